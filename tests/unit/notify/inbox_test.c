/* inbox_test.c -- replies into the database: matched by In-Reply-To,
 * References or the reference in the subject, classified (human,
 * automatic), imported once however often the mailbox is read, moving
 * incidents to answered; analysts' verdicts; one reminder, threaded to the
 * first notification, for each overdue notification without a human
 * reply from the party; a stranger's reply kept as unverified; replies
 * naming no notification of ours counted as unmatched, even 10,000 of
 * them in an unrelated database. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/log.h"
#include "notify/inbox.h"
#include "notify/store_fixture.h"

static void test_replies_verdicts_reminders(void **state) {
  (void)state;
  uint64_t later;
  wd_store_t *s = replies_scenario(&later);
  (void)later;
  wd_store_close(s);
}

/* 10,000 replies naming an incident and a Message-ID of ours, imported
 * into a database that never sent them (no notification; incident 1
 * exists, incident 777 does not): all unmatched, nothing linked, no
 * incident answered. */
static void test_unrelated_database(void **state) {
  (void)state;
  enum { N = 10000 };
  char err[512], box[700];
  wd_store_t *s = fresh("unrelated", 2);
  snprintf(box, sizeof box, "%s/unrelated.mbox", dir);
  FILE *f = fopen(box, "w");
  assert_non_null(f);
  for (int i = 0; i < N; i++)
    fprintf(f,
            "From someone@cert.example Thu Apr 16 12:00:00 2026\n"
            "From: someone@cert.example\nSubject: Re: [WARD-2026-%06d]\n"
            "Message-ID: <r%d@cert.example>\n"
            "In-Reply-To: <ward.WARD-2026-%06d.1.x%d@csirt.example>\n"
            "\nHandled, case %d.\n\n",
            i % 2 ? 1 : 777, i, i % 2 ? 1 : 777, i, i);
  fclose(f);
  wd_inbox_stats_t is = {0};
  assert_int_equal(wd_inbox_import(s, NULL, box, NOW, &is, err, sizeof err),
                   WD_OK);
  assert_int_equal(is.read, N);
  assert_int_equal(is.added, N);
  assert_int_equal(is.matched, 0);
  assert_int_equal(is.unmatched, N);
  assert_int_equal(q1("SELECT count(*) FROM replies WHERE incident_id !="
                      " '' OR notification_id IS NOT NULL"),
                   0);
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE status ="
                      " 'new'"),
                   2);
  wd_store_close(s);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replies_verdicts_reminders),
      cmocka_unit_test(test_unrelated_database),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
