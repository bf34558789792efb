/* report_test.c -- the accountability report: counts per party and per
 * country ("75 notifications in 18 months, 7 formal replies, none of
 * substance"), overdue and median, reminders, every format (table, CSV
 * with formula guard, JSON parsed back, HTML self-contained), hostile
 * names, and the HTML page rendered by headless Chromium into a screenshot
 * that is not blank (skipped when chromium is not installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/report.h"

#define DAY (86400ull * 1000000000ull)
#define HOUR (3600ull * 1000000000ull)
#define T0 1735689600000000000ull /* 2025-01-01T00:00:00Z */

static wd_report_notice_t v[200];
static size_t nv;
static char ids[200][20];

static void make(void) {
  nv = 0;
  /* CERT-XX: 75 notifications over 18 months, 7 formal replies */
  for (int i = 0; i < 75; i++) {
    wd_report_notice_t *x = &v[nv];
    memset(x, 0, sizeof *x);
    snprintf(ids[nv], sizeof ids[nv], "WARD-2025-%06d", i + 1);
    x->incident_id = ids[nv];
    x->party = "CERT-XX";
    x->country = "XX";
    x->sector = i % 2 ? "healthcare" : "energy";
    x->rsit_class = "intrusions";
    x->sent_ns = T0 + (uint64_t)i * 7 * DAY;
    x->delivered = true;
    x->deadline_hours = 72;
    if (i % 3 == 0)
      x->first_auto_ns = x->sent_ns + 60ull * 1000000000ull;
    if (i < 7) {
      x->first_human_ns = x->sent_ns + (uint64_t)(10 + i) * 24 * HOUR;
      x->formal = true;
    }
    nv++;
  }
  /* CERT-YY: 4 incidents, all answered with substance in 2, 4, 6, 8 h */
  for (int i = 0; i < 4; i++) {
    wd_report_notice_t *x = &v[nv];
    memset(x, 0, sizeof *x);
    snprintf(ids[nv], sizeof ids[nv], "WARD-2025-%06d", 100 + i);
    x->incident_id = ids[nv];
    x->party = "CERT-YY";
    x->country = "YY";
    x->sector = "healthcare";
    x->rsit_class = "availability";
    x->sent_ns = T0 + (uint64_t)(30 + i) * DAY;
    x->delivered = true;
    x->deadline_hours = 24;
    x->first_human_ns = x->sent_ns + (uint64_t)(2 * (i + 1)) * HOUR;
    x->substantive = true;
    nv++;
  }
  /* a reminder to CERT-YY for its first incident: sent mail, not an
   * incident; and one queued but never sent */
  v[nv] = v[nv - 4];
  v[nv].reminder = true;
  v[nv].sent_ns += 3 * DAY;
  v[nv].first_human_ns = 0;
  nv++;
  memset(&v[nv], 0, sizeof v[nv]);
  v[nv].incident_id = "WARD-2025-000200";
  v[nv].party = "=HYPERLINK(\"http://evil\")<script>\r\n";
  v[nv].country = "ZZ";
  v[nv].deadline_hours = 72;
  nv++;
}

static const wd_report_row_t *row(const wd_report_t *r, const char *key) {
  for (size_t i = 0; i < r->n_rows; i++)
    if (!strcmp(r->rows[i].key, key))
      return &r->rows[i];
  fail_msg("no row %s", key);
  return NULL;
}

static void test_counts(void **state) {
  (void)state;
  wd_report_t *r;
  make();
  uint64_t now = T0 + 548 * DAY; /* about 18 months later */
  assert_int_equal(wd_report_new(v, nv, WD_REPORT_BY_PARTY, now, T0, now, &r),
                   WD_OK);
  assert_int_equal(r->n_rows, 3);
  const wd_report_row_t *xx = row(r, "CERT-XX");
  assert_int_equal(xx->incidents, 75);
  assert_int_equal(xx->sent, 75);
  assert_int_equal(xx->delivered, 75);
  assert_int_equal(xx->auto_replies, 25);
  assert_int_equal(xx->human_replies, 7);
  assert_int_equal(xx->formal, 7);
  assert_int_equal(xx->substantive, 0);
  assert_int_equal(xx->overdue, 68);
  assert_true(xx->median_hours > 13 * 24 - 0.01 &&
              xx->median_hours < 13 * 24 + 0.01); /* 10..16 days: 13 */
  assert_string_equal(xx->country, "XX");
  const wd_report_row_t *yy = row(r, "CERT-YY");
  assert_int_equal(yy->incidents, 4);
  assert_int_equal(yy->sent, 5); /* with the reminder */
  assert_int_equal(yy->reminders, 1);
  assert_int_equal(yy->substantive, 4);
  assert_int_equal(yy->overdue, 0);
  assert_true(yy->median_hours > 4.99 && yy->median_hours < 5.01);
  const wd_report_row_t *zz = row(r, "=HYPERLINK(\"http://evil\")<script>\r\n");
  assert_int_equal(zz->sent, 0);
  assert_int_equal(zz->overdue, 0); /* never sent: not overdue */
  assert_int_equal(r->total.incidents, 80);
  wd_report_free(r);

  /* by country / sector / class */
  assert_int_equal(wd_report_new(v, nv, WD_REPORT_BY_SECTOR, now, 0, 0, &r),
                   WD_OK);
  assert_int_equal(row(r, "healthcare")->incidents, 37 + 4);
  wd_report_free(r);
  assert_int_equal(wd_report_new(v, nv, WD_REPORT_BY_COUNTRY, now, 0, 0, &r),
                   WD_OK);
  assert_string_equal(row(r, "XX")->party, "CERT-XX");
  wd_report_free(r);
}

static void render(wd_report_format f, bool detail, wd_strbuf_t *b) {
  wd_report_t *r;
  make();
  uint64_t now = T0 + 548 * DAY;
  assert_int_equal(wd_report_new(v, nv, WD_REPORT_BY_PARTY, now, T0, now, &r),
                   WD_OK);
  wd_strbuf_init(b, 0);
  assert_int_equal(wd_report_render(r, f, detail, "Accountability 2025", b),
                   WD_OK);
  wd_report_free(r);
}

static void test_formats(void **state) {
  (void)state;
  wd_strbuf_t b;
  render(WD_REPORT_TABLE, true, &b);
  assert_non_null(strstr(b.p, "CERT-XX"));
  assert_non_null(strstr(b.p, "overdue"));
  assert_null(strchr(b.p, '\r'));
  wd_strbuf_fini(&b);

  render(WD_REPORT_CSV, false, &b);
  assert_true(strncmp(b.p,
                      "group,party,country,incidents,sent,delivered,"
                      "auto_replies,human_replies,substantive,formal,overdue,"
                      "median_hours_to_reply\r\n",
                      120) == 0);
  assert_non_null(strstr(b.p, "CERT-XX,CERT-XX,XX,75,75,75,25,7,0,7,68,312.0"));
  /* a name that a spreadsheet would run is quoted and defused */
  assert_non_null(strstr(b.p, "\"'=HYPERLINK(\"\"http://evil\"\")"));
  wd_strbuf_fini(&b);

  render(WD_REPORT_JSON, true, &b);
  json_error_t e;
  json_t *j = json_loads(b.p, 0, &e);
  assert_non_null(j);
  json_t *rows = json_object_get(j, "rows");
  assert_int_equal(json_array_size(rows), 3);
  json_t *r0 = json_array_get(rows, 1); /* sorted: CERT-XX, CERT-YY */
  assert_string_equal(json_string_value(json_object_get(r0, "party")),
                      "CERT-XX");
  static const char *const keys[] = {"party",
                                     "country",
                                     "incidents",
                                     "sent",
                                     "delivered",
                                     "auto_replies",
                                     "human_replies",
                                     "substantive",
                                     "formal",
                                     "overdue",
                                     "median_hours_to_reply"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
    assert_non_null(json_object_get(r0, keys[k]));
  assert_int_equal(json_integer_value(json_object_get(r0, "formal")), 7);
  assert_int_equal(json_array_size(json_object_get(j, "notifications")), nv);
  json_decref(j);
  wd_strbuf_fini(&b);

  render(WD_REPORT_HTML, true, &b);
  assert_true(strncmp(b.p, "<!DOCTYPE html>", 15) == 0);
  assert_non_null(strstr(b.p, "<svg"));
  assert_null(strstr(b.p, "<script"));
  assert_null(strstr(b.p, "src=\"http"));
  assert_null(strstr(b.p, "href=\"http"));
  assert_non_null(strstr(b.p, "&lt;script&gt;"));
  assert_non_null(strstr(b.p, "Content-Security-Policy"));
  wd_strbuf_fini(&b);
}

static void test_chromium_screenshot(void **state) {
  (void)state;
  const char *chromium = NULL;
  static const char *const cands[] = {"/usr/bin/chromium",
                                      "/usr/bin/chromium-browser"};
  for (int i = 0; i < 2; i++)
    if (access(cands[i], X_OK) == 0)
      chromium = cands[i];
  if (!chromium || access("/usr/bin/python3", X_OK) != 0)
    skip();
  char dir[] = "/tmp/report_test.XXXXXX", cmd[8192], html[600];
  assert_non_null(mkdtemp(dir));
  wd_strbuf_t b;
  render(WD_REPORT_HTML, false, &b);
  snprintf(html, sizeof html, "%s/report.html", dir);
  FILE *f = fopen(html, "w");
  assert_non_null(f);
  fwrite(b.p, 1, b.len, f);
  fclose(f);
  wd_strbuf_fini(&b);
  snprintf(cmd, sizeof cmd,
           "cd %s && timeout 60 %s --headless --no-sandbox --disable-gpu "
           "--no-first-run --disable-background-networking "
           "--disable-component-update --disable-sync "
           "--user-data-dir=%s/profile --window-size=1000,900 "
           "--screenshot=%s/out.png file://%s >%s/chromium.log 2>&1",
           dir, chromium, dir, dir, html, dir);
  int rc = system(cmd);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/png_nonblank.py %s/out.png",
           ".", dir);
  char check[8192];
  const char *slash = strrchr(__FILE__, '/');
  snprintf(check, sizeof check,
           "/usr/bin/python3 %.*s/png_nonblank.py %s/out.png",
           (int)(slash - __FILE__), __FILE__, dir);
  int rc2 = rc == 0 ? system(check) : -1;
  if (rc != 0) {
    snprintf(cmd, sizeof cmd, "tail -5 %s/chromium.log >&2", dir);
    (void)!system(cmd);
  }
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
  assert_int_equal(rc, 0);
  assert_int_equal(rc2, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_formats),
      cmocka_unit_test(test_chromium_screenshot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
