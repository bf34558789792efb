/* http_test.c -- tests of src/proto/http.c: request and status lines,
 * Host and User-Agent, pipelined requests with bodies skipped by
 * Content-Length (a body that looks like a request is not parsed), HEAD
 * and 1xx/204/304 responses without bodies, pairing, pieces of every
 * size, chunked and close-delimited bodies, tunnels, smuggling signs,
 * caps on lines, fields and head size, non-HTTP input, gaps; responses:
 * Content-Type and Content-Length kept, hostile status lines refused,
 * heads cut short, requests and responses interleaved, the configured
 * pipeline depth and its counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http.h"
#include "proto/seed.h"

#define MAXN 32

typedef struct got {
  unsigned nreq, nresp;
  wd_http_req_t req[MAXN];
  wd_http_resp_t resp[MAXN];
} got;

static void on_req(void *user, const wd_http_req_t *r) {
  got *g = user;
  if (g->nreq < MAXN)
    g->req[g->nreq++] = *r;
}
static void on_resp(void *user, const wd_http_resp_t *r) {
  got *g = user;
  if (g->nresp < MAXN)
    g->resp[g->nresp++] = *r;
}

static wd_http_conn_t conn;
static wd_http_stats_t st;
static got g;

static void reset_depth(unsigned depth) {
  memset(&st, 0, sizeof st);
  memset(&g, 0, sizeof g);
  wd_http_conn_init(&conn, &st, depth);
}
static void reset(void) { reset_depth(WD_HTTP_PIPELINE_DEFAULT); }

static wd_rc feed(int dir, const char *s, size_t n) {
  return wd_http_conn_feed(&conn, dir, (const uint8_t *)s, n, on_req, on_resp,
                           &g);
}
#define FEED(dir, lit) feed(dir, lit, sizeof(lit) - 1)

/* Three pipelined requests: a POST whose body looks like a request, a
 * GET, a HEAD. */
static const char pipelined[] =
    "POST /login HTTP/1.1\r\n"        /* request line */
    "Host: WWW.Example.ORG\r\n"       /* Host (lowercased) */
    "User-Agent: curl/8.5.0\r\n"      /* User-Agent */
    "Content-Length: 27\r\n"          /* body: 27 bytes */
    "\r\n"                            /* end of head */
    "GET /not-a-request HTTP/1.1\r\n" /* ...27 bytes of body, skipped: */
    "GET /second HTTP/1.1\r\n"
    "Host: www.example.org\r\n"
    "\r\n"
    "HEAD /third HTTP/1.0\r\n"
    "\r\n";

static const char responses[] =
    "HTTP/1.1 100 Continue\r\n" /* interim: pairs, does not consume */
    "\r\n"
    "HTTP/1.1 200 OK\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello" /* body skipped */
    "HTTP/1.1 304 Not Modified\r\n"
    "\r\n"
    "HTTP/1.0 200 OK\r\n"      /* answer to HEAD: no body though */
    "Content-Length: 1000\r\n" /* the length it would have */
    "\r\n";

static void check_pipelined(void) {
  assert_int_equal(g.nreq, 3);
  assert_string_equal(g.req[0].method, "POST");
  assert_string_equal(g.req[0].target, "/login");
  assert_int_equal(g.req[0].ver_major, 1);
  assert_int_equal(g.req[0].ver_minor, 1);
  assert_string_equal(g.req[0].host, "www.example.org");
  assert_string_equal(g.req[0].user_agent, "curl/8.5.0");
  assert_true(g.req[0].has_length);
  assert_int_equal(g.req[0].content_length, 27);
  assert_int_equal(g.req[0].next, WD_HTTP_NEXT_BODY);
  assert_int_equal(g.req[0].n_fields, 3);
  assert_int_equal(g.req[0].anomalies, 0);
  assert_string_equal(g.req[1].target, "/second");
  assert_int_equal(g.req[1].seq, 1);
  assert_false(g.req[1].has_ua);
  assert_string_equal(g.req[2].method, "HEAD");
  assert_int_equal(g.req[2].ver_minor, 0);
  assert_false(g.req[2].has_host); /* fine in HTTP/1.0 */
  assert_int_equal(g.req[2].anomalies, 0);
}

static void check_responses(void) {
  assert_int_equal(g.nresp, 4);
  assert_int_equal(g.resp[0].status, 100);
  assert_true(g.resp[0].paired);
  assert_int_equal(g.resp[0].req_seq, 0);
  assert_int_equal(g.resp[1].status, 200);
  assert_int_equal(g.resp[1].req_seq, 0); /* 100 did not consume it */
  assert_string_equal(g.resp[1].req_method, "POST");
  assert_int_equal(g.resp[1].next, WD_HTTP_NEXT_BODY);
  assert_int_equal(g.resp[2].status, 304);
  assert_int_equal(g.resp[2].req_seq, 1);
  assert_int_equal(g.resp[3].req_seq, 2);
  assert_string_equal(g.resp[3].req_method, "HEAD");
  assert_int_equal(g.resp[3].next, WD_HTTP_NEXT_MESSAGE);
  for (unsigned i = 0; i < 4; i++)
    assert_int_equal(g.resp[i].anomalies, 0);
}

static void test_pipelined(void **state) {
  (void)state;
  reset();
  seed_write("pipelined_req", 0, (const uint8_t *)pipelined,
             sizeof pipelined - 1);
  seed_write("pipelined_resp", 1, (const uint8_t *)responses,
             sizeof responses - 1);
  assert_int_equal(FEED(0, pipelined), WD_OK);
  check_pipelined();
  assert_int_equal(FEED(1, responses), WD_OK);
  check_responses();
  assert_int_equal(st.requests, 3);
  assert_int_equal(st.responses, 4);
  assert_int_equal(st.skipped_bytes, 27 + 5);
}

static void test_pieces_every_size(void **state) {
  (void)state;
  size_t n = sizeof pipelined - 1, m = sizeof responses - 1;
  for (size_t piece = 1; piece <= n; piece++) {
    reset();
    for (size_t i = 0; i < n; i += piece)
      feed(0, pipelined + i, n - i < piece ? n - i : piece);
    for (size_t i = 0; i < m; i += piece)
      feed(1, responses + i, m - i < piece ? m - i : piece);
    check_pipelined();
    check_responses();
  }
  /* inside a head: WD_AGAIN */
  reset();
  assert_int_equal(FEED(0, "GET / HTTP/1.1\r\nHost: a"), WD_AGAIN);
}

static void test_chunked_stops(void **state) {
  (void)state;
  reset();
  assert_int_equal(FEED(0, "POST /up HTTP/1.1\r\n"
                           "Host: a\r\n"
                           "Transfer-Encoding: gzip, chunked\r\n"
                           "\r\n"
                           "5\r\nhello\r\n"),
                   WD_END);
  assert_int_equal(g.nreq, 1);
  assert_true(g.req[0].chunked);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_CHUNKED);
  assert_int_equal(FEED(0, "GET /later HTTP/1.1\r\n\r\n"), WD_END);
  assert_int_equal(g.nreq, 1);
  assert_int_equal(st.stopped, 1);
  /* chunked response */
  assert_int_equal(FEED(1, "HTTP/1.1 200 OK\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"),
                   WD_END);
  assert_int_equal(g.resp[0].next, WD_HTTP_STOP_CHUNKED);
}

static void test_smuggling_signs(void **state) {
  (void)state;
  reset();
  FEED(0, "POST / HTTP/1.1\r\n"
          "Host: a\r\n"
          "Content-Length: 4\r\n"
          "Transfer-Encoding: chunked\r\n\r\n");
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_TE_AND_CL);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_CHUNKED);
  reset();
  FEED(0, "POST / HTTP/1.1\r\n"
          "Host: a\r\n"
          "Content-Length: 4\r\n"
          "Content-Length: 5\r\n\r\n");
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_BAD_LENGTH);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_LIMIT);
  reset();
  FEED(0, "POST / HTTP/1.1\r\n"
          "Host: a\r\n"
          "Content-Length: +4\r\n\r\n");
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_BAD_LENGTH);
  reset();
  FEED(0, "GET / HTTP/1.1\r\n"
          "Host: a\r\n"
          "Host : b\r\n" /* whitespace before the colon */
          " folded\r\n"  /* obs-fold */
          "Host: c\n"    /* bare LF, second Host */
          "\r\n");
  assert_int_equal(g.nreq, 1);
  uint32_t a = g.req[0].anomalies;
  assert_true(a & WD_HTTP_ANOM_BAD_FIELD);
  assert_true(a & WD_HTTP_ANOM_OBS_FOLD);
  assert_true(a & WD_HTTP_ANOM_BARE_LF);
  assert_true(a & WD_HTTP_ANOM_HOST);
  assert_string_equal(g.req[0].host, "a");
  /* HTTP/1.1 without Host */
  reset();
  FEED(0, "GET / HTTP/1.1\r\n\r\n");
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_HOST);
}

static void test_limits(void **state) {
  (void)state;
  /* a 10000-byte target: the line is cut, the rest skipped, parsing goes
   * on with the next line */
  reset();
  static char big[10100];
  memcpy(big, "GET /", 5);
  memset(big + 5, 'a', 10000);
  memcpy(big + 10005, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
  wd_http_conn_feed(&conn, 0, (const uint8_t *)big, 10028, on_req, on_resp, &g);
  assert_int_equal(g.nreq, 1);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_LINE_TOO_LONG);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_CUT);
  assert_int_equal(strlen(g.req[0].target), WD_HTTP_TARGET_MAX - 1);
  /* more fields than allowed: the head ends there, inspection stops */
  reset();
  FEED(0, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < WD_HTTP_FIELDS_MAX + 5; i++)
    FEED(0, "X-A: b\r\n");
  assert_int_equal(g.nreq, 1);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_HEAD_TOO_BIG);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_LIMIT);
  assert_int_equal(FEED(0, "\r\n"), WD_END);
  /* a head section over its byte cap, in long lines */
  reset();
  FEED(0, "GET / HTTP/1.1\r\n");
  static char field[8000];
  memset(field, 'v', sizeof field);
  memcpy(field, "X-Big: ", 7);
  memcpy(field + sizeof field - 2, "\r\n", 2);
  for (int i = 0; i < 10 && g.nreq == 0; i++)
    feed(0, field, sizeof field);
  assert_int_equal(g.nreq, 1);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_HEAD_TOO_BIG);
  /* one endless field line without LF: the head is given up at the cap */
  reset();
  FEED(0, "GET / HTTP/1.1\r\nX-Endless: ");
  memset(field, 'w', sizeof field);
  wd_rc rc = WD_AGAIN;
  for (int i = 0; i < 10 && rc != WD_END; i++)
    rc = feed(0, field, sizeof field);
  assert_int_equal(rc, WD_END);
  assert_int_equal(g.nreq, 1);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_LIMIT);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_HEAD_TOO_BIG);
  /* requests beyond the pipeline cap are flagged, not queued */
  reset();
  for (int i = 0; i < WD_HTTP_PIPELINE_DEFAULT + 2; i++)
    FEED(0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_true(g.req[WD_HTTP_PIPELINE_DEFAULT].anomalies &
              WD_HTTP_ANOM_PIPELINE_FULL);
  assert_int_equal(st.pipeline_full, 2);
}

static void test_not_http(void **state) {
  (void)state;
  reset();
  static const uint8_t bin[] = {0x16, 0x03, 0x01, 0x00, 0x10, '\n'};
  assert_int_equal(
      wd_http_conn_feed(&conn, 0, bin, sizeof bin, on_req, on_resp, &g),
      WD_END);
  assert_int_equal(st.not_http, 1);
  assert_int_equal(g.nreq, 0);
  assert_int_equal(FEED(1, "SSH-2.0-OpenSSH_9.6\r\n"), WD_END);
  assert_int_equal(g.nresp, 0);
  reset();
  FEED(1, "HTTP/1.1 2x0 OK\r\n\r\n");
  assert_int_equal(g.nresp, 0);
  reset();
  FEED(0, "GET  / HTTP/1.1\r\n\r\n"); /* two spaces */
  assert_int_equal(g.nreq, 0);
  /* HTTP/0.9 */
  reset();
  assert_int_equal(FEED(0, "GET /old\r\n"), WD_END);
  assert_int_equal(g.nreq, 1);
  assert_int_equal(g.req[0].ver_minor, 9);
  assert_true(g.req[0].anomalies & WD_HTTP_ANOM_HTTP09);
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_HTTP09);
}

static void test_response_ends(void **state) {
  (void)state;
  /* no length: body until close */
  reset();
  FEED(0, "GET / HTTP/1.0\r\n\r\n");
  assert_int_equal(FEED(1, "HTTP/1.0 200 OK\r\n\r\n<html>"), WD_END);
  assert_int_equal(g.resp[0].next, WD_HTTP_STOP_CLOSE);
  /* switching protocols: both directions stop */
  reset();
  FEED(0, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
  FEED(1, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
  assert_int_equal(g.resp[0].next, WD_HTTP_STOP_TUNNEL);
  assert_int_equal(FEED(0, "\x81\x05hello"), WD_END);
  /* CONNECT */
  reset();
  FEED(0, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n");
  assert_int_equal(g.req[0].next, WD_HTTP_STOP_TUNNEL);
  FEED(1, "HTTP/1.1 200 Connection established\r\n\r\n");
  assert_int_equal(g.resp[0].next, WD_HTTP_STOP_TUNNEL);
  /* a response nobody asked for */
  reset();
  FEED(1, "HTTP/1.1 204 No Content\r\n\r\n");
  assert_false(g.resp[0].paired);
  assert_true(g.resp[0].anomalies & WD_HTTP_ANOM_UNPAIRED);
  assert_int_equal(g.resp[0].next, WD_HTTP_NEXT_MESSAGE);
}

static void test_gaps(void **state) {
  (void)state;
  reset();
  FEED(0, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123");
  wd_http_conn_gap(&conn, 0, 90); /* lost inside the body */
  assert_int_equal(FEED(0, "789012GET /next HTTP/1.1\r\nHost: a\r\n\r\n"),
                   WD_OK);
  assert_int_equal(g.nreq, 2);
  assert_string_equal(g.req[1].target, "/next");
  wd_http_conn_gap(&conn, 0, 5); /* lost between heads: stop */
  assert_int_equal(FEED(0, "GET /x HTTP/1.1\r\n\r\n"), WD_END);
  assert_int_equal(g.nreq, 2);
}

static void test_response_fields(void **state) {
  (void)state;
  reset();
  FEED(0, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  assert_int_equal(FEED(1, "HTTP/1.1 404 Not Found\r\n"
                           "content-type: text/html; charset=\"utf-8\"\x01\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: 3\r\n\r\nabc"),
                   WD_OK);
  assert_int_equal(g.nresp, 1);
  wd_http_resp_t *r = &g.resp[0];
  assert_int_equal(r->status, 404);
  assert_true(r->paired);
  assert_string_equal(r->req_method, "GET");
  assert_true(r->has_ctype);
  /* the first one, its control byte escaped */
  assert_string_equal(r->content_type, "text/html; charset=\"utf-8\"\\001");
  assert_true(r->has_length);
  assert_int_equal(r->content_length, 3);
  /* a Content-Type longer than kept: cut and flagged */
  char big[600];
  int n = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Type: ");
  memset(big + n, 'x', 300);
  n += 300;
  n += snprintf(big + n, sizeof big - (size_t)n,
                "\r\nContent-Length: 0\r\n\r\n");
  reset();
  FEED(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  feed(1, big, (size_t)n);
  assert_int_equal(g.nresp, 1);
  assert_true(g.resp[0].anomalies & WD_HTTP_ANOM_CUT);
  assert_int_equal(strlen(g.resp[0].content_type), WD_HTTP_CTYPE_MAX - 1);
}

/* Status lines that are no HTTP/1.x status line: nothing reported, the
 * direction stops and is counted; the requests go on. */
static void test_bad_status_lines(void **state) {
  (void)state;
  static const char *const bad[] = {
      "HTTP/1.1 20 OK\r\n\r\n",   "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n",
      "HTTP/1.1200 OK\r\n\r\n",   "http/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 2a0 OK\r\n\r\n",  "HTTP/1.1  200 OK\r\n\r\n",
      "HTTP/11 200 OK\r\n\r\n",   "\x7fTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200\tOK\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n",
      "HTTP/1.1 -20 OK\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset();
    FEED(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(feed(1, bad[i], strlen(bad[i])), WD_END);
    assert_int_equal(g.nresp, 0);
    assert_int_equal(st.not_http, 1);
    assert_int_equal(FEED(1, "HTTP/1.1 200 OK\r\n\r\n"), WD_END);
    assert_int_equal(g.nresp, 0);
    assert_int_equal(FEED(0, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"), WD_OK);
    assert_int_equal(g.nreq, 2);
  }
  /* a bare status line of exactly three digits is one */
  reset();
  FEED(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  FEED(1, "HTTP/1.1 204\r\n\r\n");
  assert_int_equal(g.nresp, 1);
  assert_int_equal(g.resp[0].status, 204);
}

/* A response head cut short at every byte reports nothing until its
 * empty line; its fields are the same however it was split. */
static void test_truncated_response(void **state) {
  (void)state;
  static const char resp[] = "HTTP/1.1 302 Found\r\n"
                             "Location: /x\r\n"
                             "Content-Type: text/plain\r\n"
                             "Content-Length: 2\r\n\r\nok";
  size_t n = sizeof resp - 1, head = n - 2;
  for (size_t cut = 0; cut < n; cut++) {
    reset();
    FEED(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    wd_rc rc = feed(1, resp, cut);
    assert_int_equal(g.nresp, cut >= head ? 1 : 0);
    if (cut > 0 && cut < head)
      assert_int_equal(rc, WD_AGAIN);
    feed(1, resp + cut, n - cut);
    assert_int_equal(g.nresp, 1);
    assert_int_equal(g.resp[0].status, 302);
    assert_string_equal(g.resp[0].content_type, "text/plain");
    assert_int_equal(g.resp[0].content_length, 2);
  }
}

/* Requests and responses interleaved a byte at a time across the two
 * directions pair in order. */
static void test_interleaved(void **state) {
  (void)state;
  static const char req[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                            "HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
                            "POST /3 HTTP/1.1\r\nHost: a\r\n"
                            "Content-Length: 4\r\n\r\nbody";
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
                             "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
                             "HTTP/1.1 201 Created\r\n"
                             "Content-Type: text/plain\r\n"
                             "Content-Length: 0\r\n\r\n";
  reset();
  size_t a = 0, b = 0, na = sizeof req - 1, nb = sizeof resp - 1;
  while (a < na || b < nb) {
    if (a < na)
      feed(0, req + a++, 1);
    if (b < nb && (g.nreq > g.nresp || a == na))
      feed(1, resp + b++, 1);
  }
  assert_int_equal(g.nreq, 3);
  assert_int_equal(g.nresp, 3);
  for (unsigned i = 0; i < 3; i++) {
    assert_true(g.resp[i].paired);
    assert_int_equal(g.resp[i].req_seq, i);
  }
  assert_string_equal(g.resp[1].req_method, "HEAD"); /* no body read */
  assert_int_equal(g.resp[2].status, 201);
  assert_string_equal(g.resp[2].content_type, "text/plain");
  assert_int_equal(st.pipeline_full, 0);
}

/* The configured depth: requests beyond it are counted, their responses
 * unpaired; the ones kept still pair. */
static void test_pipeline_depth(void **state) {
  (void)state;
  reset_depth(2);
  for (int i = 0; i < 4; i++)
    FEED(0, "GET /p HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_int_equal(g.nreq, 4);
  assert_int_equal(st.pipeline_full, 2);
  assert_false(g.req[1].anomalies & WD_HTTP_ANOM_PIPELINE_FULL);
  assert_true(g.req[2].anomalies & WD_HTTP_ANOM_PIPELINE_FULL);
  for (int i = 0; i < 4; i++)
    FEED(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  assert_int_equal(g.nresp, 4);
  assert_true(g.resp[0].paired && g.resp[1].paired);
  assert_int_equal(g.resp[1].req_seq, 1);
  assert_false(g.resp[2].paired);
  assert_true(g.resp[3].anomalies & WD_HTTP_ANOM_UNPAIRED);
  /* 0 or beyond the most: the most */
  reset_depth(0);
  assert_int_equal(conn.p_max, WD_HTTP_PIPELINE_MAX);
  reset_depth(WD_HTTP_PIPELINE_MAX + 1);
  assert_int_equal(conn.p_max, WD_HTTP_PIPELINE_MAX);
  for (int i = 0; i < WD_HTTP_PIPELINE_MAX + 1; i++)
    FEED(0, "GET /p HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_int_equal(st.pipeline_full, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_pieces_every_size),
      cmocka_unit_test(test_chunked_stops),
      cmocka_unit_test(test_smuggling_signs),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_not_http),
      cmocka_unit_test(test_response_ends),
      cmocka_unit_test(test_gaps),
      cmocka_unit_test(test_response_fields),
      cmocka_unit_test(test_bad_status_lines),
      cmocka_unit_test(test_truncated_response),
      cmocka_unit_test(test_interleaved),
      cmocka_unit_test(test_pipeline_depth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
