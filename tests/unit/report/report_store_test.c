/* report_store_test.c -- the accountability report loaded from a real
 * database after notifications, replies (human, automatic), verdicts and
 * reminders: incidents, mails sent, reminders, human and automatic
 * replies, substantive and formal verdicts and overdue notifications are
 * counted as docs/notifications.md defines them; a stranger's reply is
 * shown as unverified and credits no party. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/log.h"
#include "notify/inbox.h"
#include "notify/store_fixture.h"
#include "report/report_store.h"

static void test_load_and_count(void **state) {
  (void)state;
  char err[512];
  uint64_t later;
  wd_store_t *s = replies_scenario(&later);
  /* report from the database */
  wd_report_data_t d;
  wd_report_t *r;
  assert_int_equal(wd_report_load(s, 0, 0, &d, err, sizeof err), WD_OK);
  assert_int_equal(d.n, 6);
  assert_int_equal(wd_report_new(d.v, d.n, WD_REPORT_BY_PARTY, later, 0, 0, &r),
                   WD_OK);
  assert_int_equal(r->total.incidents, 4);
  assert_int_equal(r->total.sent, 6);
  assert_int_equal(r->total.reminders, 2);
  assert_int_equal(r->total.human_replies, 2);
  assert_int_equal(r->total.auto_replies, 1);
  assert_int_equal(r->total.substantive, 1);
  assert_int_equal(r->total.formal, 1);
  assert_int_equal(r->total.overdue, 2);
  /* the stranger's reply to CERT-B's notification of incident 4 is shown,
     and credits nobody: CERT-B answered incident 1 only */
  assert_int_equal(r->total.unverified, 1);
  const wd_report_row_t *rb = NULL;
  for (size_t i = 0; i < r->n_rows; i++)
    if (!strcmp(r->rows[i].key, "CERT-B"))
      rb = &r->rows[i];
  assert_non_null(rb);
  assert_int_equal(rb->incidents, 2);
  assert_int_equal(rb->human_replies, 1);
  assert_int_equal(rb->unverified, 1);
  assert_int_equal(rb->overdue, 1);
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_report_render(r, WD_REPORT_JSON, true, NULL, &b), WD_OK);
  assert_non_null(strstr(b.p, "\"median_hours_to_reply\""));
  assert_non_null(strstr(b.p, "\"unverified_replies\": 1"));
  assert_non_null(strstr(b.p, "\"status\": \"overdue\""));
  wd_strbuf_fini(&b);
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_report_render(r, WD_REPORT_TABLE, false, NULL, &b),
                   WD_OK);
  assert_non_null(strstr(b.p, "UNVERIF"));
  assert_non_null(strstr(b.p, "not counted as its answers"));
  wd_strbuf_fini(&b);
  wd_report_free(r);
  wd_report_data_fini(&d);
  wd_store_close(s);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_and_count),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
