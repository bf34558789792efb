/* inbox_test.c -- replies into the database: matched by In-Reply-To,
 * References or the reference in the subject, classified (human,
 * automatic), imported once however often the mailbox is read, moving
 * incidents to answered; analysts' verdicts; one reminder, threaded to the
 * first notification, for each overdue notification without a human
 * reply. */
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

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replies_verdicts_reminders),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
