/* eve_http_test.c -- tests of the EVE writer's HTTP transactions
 * (src/output/eve.c): a request is written once, with the response that
 * answers it (status, http_content_type, length); an interim response is
 * not one; a request with no answer is written without one after the wait
 * or at close; a full table writes its oldest request (counted) and that
 * request's late response is written alone; the parser's events copied as
 * the packet thread copies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "output/eve.h"
#include "proto/http.h"

#define S 1000000000ull
#define T0 (1776330169ull * S)

static wd_flow_t flow(uint64_t id) {
  wd_flow_t f;
  memset(&f, 0, sizeof f);
  f.id = id;
  f.proto = 6;
  f.cport = 50000;
  f.sport = 80;
  wd_addr_parse("10.20.1.5", &f.cli);
  wd_addr_parse("192.0.2.80", &f.srv);
  return f;
}

static void req(wd_eve_t *e, uint64_t fid, uint32_t seq, uint64_t ts,
                const char *url) {
  wd_http_req_t r;
  memset(&r, 0, sizeof r);
  r.seq = seq;
  strcpy(r.method, "GET");
  snprintf(r.target, sizeof r.target, "%s", url);
  r.ver_major = 1, r.ver_minor = 1;
  r.has_host = true;
  strcpy(r.host, "www.example.org");
  wd_app_event_t ev = {.kind = WD_APP_HTTP_REQ, .ts_ns = ts, .u.req = &r};
  wd_flow_t f = flow(fid);
  static wd_eve_app_t a;
  assert_true(wd_eve_app_copy(&a, &ev, &f, WD_DIR_TO_SERVER));
  a.ts_ns = ts;
  wd_eve_app(e, &a);
}

static void resp(wd_eve_t *e, uint64_t fid, uint32_t seq, uint64_t ts,
                 uint16_t status) {
  wd_http_resp_t r;
  memset(&r, 0, sizeof r);
  r.paired = true;
  r.req_seq = seq;
  strcpy(r.req_method, "GET");
  r.status = status;
  r.ver_major = 1, r.ver_minor = 1;
  r.has_ctype = true;
  strcpy(r.content_type, "text/html");
  r.has_length = true;
  r.content_length = 1234;
  wd_app_event_t ev = {.kind = WD_APP_HTTP_RESP, .ts_ns = ts, .u.resp = &r};
  wd_flow_t f = flow(fid);
  static wd_eve_app_t a;
  assert_true(wd_eve_app_copy(&a, &ev, &f, WD_DIR_TO_CLIENT));
  a.ts_ns = ts;
  wd_eve_app(e, &a);
}

/* The http events written, in order. */
static json_t *events(const char *path) {
  json_t *all = json_array();
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[8192];
  while (fgets(line, sizeof line, f)) {
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    json_array_append_new(all, json_object_get(o, "http"));
    json_incref(json_object_get(o, "http"));
    json_decref(o);
  }
  fclose(f);
  return all;
}

static const char *s_of(json_t *h, const char *k) {
  return json_string_value(json_object_get(h, k));
}
static json_int_t i_of(json_t *h, const char *k) {
  json_t *v = json_object_get(h, k);
  return v ? json_integer_value(v) : -1;
}

static void test_transactions(void **state) {
  (void)state;
  char path[] = "/tmp/eve_http_test.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  wd_eve_t *e;
  char err[256];
  assert_int_equal(wd_eve_open(path, &e, err, sizeof err), WD_OK);
  wd_eve_set_http(e, 2, 5); /* two held, 5 s */
  req(e, 1, 0, T0, "/a");
  req(e, 2, 0, T0 + 1, "/b");
  resp(e, 2, 0, T0 + 2, 100); /* interim: not the answer */
  resp(e, 2, 0, T0 + 3, 404); /* b, answered */
  req(e, 3, 0, T0 + 4, "/c");
  req(e, 3, 1, T0 + 5, "/d"); /* full: a written without an answer */
  resp(e, 1, 0, T0 + 6, 200); /* a's answer, late: alone */
  resp(e, 3, 1, T0 + 7, 301); /* d before c (another flow's order) */
  req(e, 4, 0, T0 + 3 * S, "/e");
  resp(e, 9, 0, T0 + 6 * S, 200); /* c's wait is over, not e's */
  wd_eve_http_stats_t hs;
  wd_eve_http_stats(e, &hs);
  assert_int_equal(hs.evicted, 1);
  assert_int_equal(hs.unanswered, 1);
  assert_int_equal(hs.responses_alone, 2);
  wd_eve_close(e); /* e, unanswered, at close */
  json_t *ev = events(path);
  unlink(path);
  assert_int_equal(json_array_size(ev), 7);
  json_t *h = json_array_get(ev, 0);
  assert_string_equal(s_of(h, "url"), "/b");
  assert_int_equal(i_of(h, "status"), 404);
  assert_string_equal(s_of(h, "http_content_type"), "text/html");
  assert_int_equal(i_of(h, "length"), 1234);
  h = json_array_get(ev, 1);
  assert_string_equal(s_of(h, "url"), "/a");
  assert_int_equal(i_of(h, "status"), -1);
  h = json_array_get(ev, 2); /* a's response alone */
  assert_null(s_of(h, "url"));
  assert_int_equal(i_of(h, "status"), 200);
  assert_string_equal(s_of(h, "http_method"), "GET");
  h = json_array_get(ev, 3);
  assert_string_equal(s_of(h, "url"), "/d");
  assert_int_equal(i_of(h, "status"), 301);
  h = json_array_get(ev, 4);
  assert_string_equal(s_of(h, "url"), "/c");
  assert_int_equal(i_of(h, "status"), -1);
  h = json_array_get(ev, 5); /* flow 9's response: no request held */
  assert_int_equal(i_of(h, "status"), 200);
  h = json_array_get(ev, 6);
  assert_string_equal(s_of(h, "url"), "/e");
  assert_int_equal(i_of(h, "status"), -1);
  json_decref(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transactions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
