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
  char err[512], out[700], inbox[700], path[2400], mid1[300], mid2[300];
  wd_store_t *s = fresh("replies", 4);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  snprintf(out, sizeof out, "%s/replies-out", dir);
  mkdir(out, 0700);
  wd_transport_t t = {.outbox_dir = out};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  wd_compose_message_id("WARD-2026-000001", "cert@b.example", 1, snd.email,
                        mid1);
  wd_compose_message_id("WARD-2026-000002", "cert@c.example", 1, snd.email,
                        mid2);
  snprintf(inbox, sizeof inbox, "%s/Maildir", dir);
  mkdir(inbox, 0700);
  snprintf(path, sizeof path, "%s/new", inbox);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/cur", inbox);
  mkdir(path, 0700);
  char msg[2000];
  /* human reply to incident 1 by In-Reply-To, 5 hours later */
  snprintf(msg, sizeof msg,
           "From: Analyst <a@b.example>\nSubject: Re: your mail\n"
           "Date: Thu, 16 Apr 2026 16:46:40 +0000\nMessage-ID: <h1@b>\n"
           "In-Reply-To: %s\n\nWe cleaned the host.\n",
           mid1);
  snprintf(path, sizeof path, "%s/new/1.x", inbox);
  write_file(path, msg);
  /* automatic acknowledgement of incident 2 */
  snprintf(msg, sizeof msg,
           "From: rt@c.example\nSubject: [c #77] AutoReply: x\n"
           "Auto-Submitted: auto-replied\nReferences: %s\n\nTicket created\n",
           mid2);
  snprintf(path, sizeof path, "%s/new/2.x", inbox);
  write_file(path, msg);
  /* human reply to incident 3 found only by the subject */
  snprintf(path, sizeof path, "%s/cur/3.x:2,S", inbox);
  write_file(path, "From: someone@a.example\nSubject: Re: [WARD-2026-000003]"
                   "\n\nNoted.\n");
  /* spam without reference */
  snprintf(path, sizeof path, "%s/cur/4.x:2,S", inbox);
  write_file(path, "From: spam@x.example\nSubject: offer\n\nbuy\n");
  wd_inbox_stats_t is = {0};
  assert_int_equal(
      wd_inbox_import(s, inbox, NOW + 100 * 3600 * NS, &is, err, sizeof err),
      WD_OK);
  assert_int_equal(is.added, 4);
  assert_int_equal(is.human, 3);
  assert_int_equal(is.automatic, 1);
  assert_int_equal(is.matched, 3);
  assert_int_equal(is.unmatched, 1);
  /* importing again adds nothing */
  memset(&is, 0, sizeof is);
  assert_int_equal(
      wd_inbox_import(s, inbox, NOW + 101 * 3600 * NS, &is, err, sizeof err),
      WD_OK);
  assert_int_equal(is.duplicate, 4);
  assert_int_equal(is.added, 0);
  assert_int_equal(q1(s, "SELECT count(*) FROM incidents WHERE status ="
                         " 'answered'"),
                   2);
  /* verdicts */
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000001", "substantive",
                                    "host reimaged", NOW, err, sizeof err),
                   WD_OK);
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000003", "formal", NULL, NOW,
                                    err, sizeof err),
                   WD_OK);
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-999999", "formal", NULL, NOW,
                                    err, sizeof err),
                   WD_ERR_NOTFOUND);
  /* reminders: after the 72 h deadline, incidents 2 and 4 (no human reply)
   * get one reminder each, and only one */
  memset(&st, 0, sizeof st);
  uint64_t later = NOW + 73 * 3600 * NS;
  assert_int_equal(wd_outbox_reminders(s, &snd, later, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.reminders, 2);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_reminders(s, &snd, later, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.reminders, 0);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, later, false, &st, err, sizeof err), WD_OK);
  assert_int_equal(st.sent, 2);
  /* the reminder threads to the first notification */
  snprintf(path, sizeof path, "grep -l 'In-Reply-To: %s' %s/*.eml >/dev/null",
           mid2, out);
  assert_int_equal(system(path), 0);
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
