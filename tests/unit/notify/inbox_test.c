/* inbox_test.c -- replies into the database: matched by In-Reply-To,
 * References or the reference in the subject, classified (human,
 * automatic), imported once however often the mailbox is read, moving
 * incidents to answered; analysts' verdicts; one reminder, threaded to the
 * first notification, for each overdue notification without a human
 * reply from the party; a stranger's reply kept as unverified; replies
 * naming no notification of ours counted as unmatched, even 10,000 of
 * them in an unrelated database; two analysts judging one reply at once:
 * one verdict wins, the other is told, none is lost (history). */
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

/* Child of the verdict race: waits for the start (EOF on fd), says it is
 * about to judge (a byte on ready), records verdict v on ref. Exit 0: it
 * won; 10: refused as already judged; else a failure. */
static void judge_child(const char *ref, const wd_inbox_verdict_t *v, int fd,
                        int ready) {
  char b, err[768];
  while (read(fd, &b, 1) > 0)
    ;
  wd_store_t *s;
  if (wd_store_open(db, &s, err, sizeof err) != WD_OK)
    _exit(3);
  if (write(ready, "x", 1) != 1)
    _exit(3);
  wd_rc rc = wd_inbox_verdict(s, ref, v, NOW + 5 * NS, NULL, err, sizeof err);
  wd_store_close(s);
  if (rc == WD_ERR_STATE && strstr(err, "already judged"))
    _exit(10);
  if (rc != WD_OK)
    fprintf(stderr, "judge %s: %s\n", v->by, err);
  _exit(rc == WD_OK ? 0 : 4);
}

/* Two analysts judge the same incident at the same moment, one
 * substantive, one formal, in two processes -- on a reply imported by
 * mail (incident 1) and on one given by phone (incident 2, recorded by
 * the analyst). Both wait behind a lock of the test's own, so that they
 * truly meet: exactly one verdict wins, the other analyst is told
 * "already judged ... by ...", one verdict is stored and in history; then
 * --force replaces it, the earlier one kept in history. */
static void test_concurrent_verdicts(void **state) {
  (void)state;
  char err[768], out[700], inbox[700], path[1400], mid[300], q[300], b[64];
  wd_store_t *s = fresh("verdicts", 2);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  snprintf(out, sizeof out, "%s/verdicts-out", dir);
  wd_transport_t t = {.outbox_dir = out};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  wd_compose_message_id("WARD-2026-000001", "cert@b.example", 1, snd.email,
                        mid);
  snprintf(inbox, sizeof inbox, "%s/verdicts.eml", dir);
  snprintf(path, sizeof path,
           "From: cert@b.example\nSubject: Re: x\nIn-Reply-To: %s\n\n"
           "Cleaned.\n",
           mid);
  write_file(inbox, path);
  wd_inbox_stats_t is = {0};
  assert_int_equal(
      wd_inbox_import(s, NULL, inbox, NOW + NS, &is, err, sizeof err), WD_OK);
  assert_int_equal(is.human, 1);
  wd_store_close(s);
  wd_inbox_verdict_t va = {.verdict = "substantive", .by = "alice"},
                     vb = {.verdict = "formal", .by = "bob"};
  for (int k = 1; k <= 2; k++) {
    char ref[WD_STORE_ID_LEN];
    snprintf(ref, sizeof ref, "WARD-2026-%06d", k);
    int start[2], ready[2];
    assert_int_equal(pipe(start), 0);
    assert_int_equal(pipe(ready), 0);
    snprintf(q, sizeof q, "SELECT 1 FROM incidents WHERE id = '%s' FOR UPDATE",
             ref);
    pid_t pa = fork();
    assert_true(pa >= 0);
    if (pa == 0) {
      close(start[1]);
      judge_child(ref, &va, start[0], ready[1]);
    }
    pid_t pb = fork();
    assert_true(pb >= 0);
    if (pb == 0) {
      close(start[1]);
      judge_child(ref, &vb, start[0], ready[1]);
    }
    /* the hold is taken after the fork: a SQLite connection must not
       cross one */
    test_hold_t h = test_hold(db, q);
    close(start[0]);
    close(start[1]); /* both go */
    char x[2];
    assert_int_equal(read(ready[0], x, 1), 1);
    assert_int_equal(read(ready[0], x + 1, 1), 1);
    assert_true(test_hold_wait(db, 2)); /* both wait behind the hold */
    test_hold_release(&h);
    int wa, wb;
    assert_int_equal(waitpid(pa, &wa, 0), pa);
    assert_int_equal(waitpid(pb, &wb, 0), pb);
    close(ready[0]);
    close(ready[1]);
    assert_true(WIFEXITED(wa) && WIFEXITED(wb));
    int ea = WEXITSTATUS(wa), eb = WEXITSTATUS(wb);
    /* one won, the other was told */
    assert_true((ea == 0 && eb == 10) || (ea == 10 && eb == 0));
    const char *won = ea == 0 ? "substantive" : "formal";
    snprintf(q, sizeof q,
             "SELECT count(*) FROM verdicts WHERE incident_id = '%s'", ref);
    assert_int_equal(q1(q), 1);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM replies WHERE incident_id = '%s' AND"
             " verdict != ''",
             ref);
    assert_int_equal(q1(q), 1);
    snprintf(q, sizeof q,
             "SELECT verdict FROM replies WHERE incident_id = '%s' AND"
             " verdict != ''",
             ref);
    assert_string_equal(test_qtext(db, q, b, sizeof b), won);
  }
  /* --force: the loser replaces the verdict, the winner's stays in
     history */
  s = NULL;
  assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
  wd_store_verdict_t *hist = NULL, prev;
  size_t n = 0;
  assert_int_equal(wd_store_verdict_history(s, "WARD-2026-000001", &hist, &n),
                   WD_OK);
  assert_int_equal(n, 1);
  bool a_won = !strcmp(hist[0].verdict, "substantive");
  free(hist);
  wd_inbox_verdict_t loser = a_won ? vb : va;
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000001", &loser, NOW + 9 * NS,
                                    &prev, err, sizeof err),
                   WD_ERR_STATE);
  loser.force = true;
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000001", &loser, NOW + 9 * NS,
                                    &prev, err, sizeof err),
                   WD_OK);
  assert_string_equal(prev.verdict, a_won ? "substantive" : "formal");
  assert_string_equal(prev.by, a_won ? "alice" : "bob");
  assert_int_equal(wd_store_verdict_history(s, "WARD-2026-000001", &hist, &n),
                   WD_OK);
  assert_int_equal(n, 2);
  assert_string_equal(hist[0].by, a_won ? "alice" : "bob");
  assert_string_equal(hist[1].verdict, loser.verdict);
  assert_string_equal(hist[1].replaced, a_won ? "substantive" : "formal");
  free(hist);
  snprintf(q, sizeof q,
           "SELECT verdict_by FROM replies WHERE incident_id ="
           " 'WARD-2026-000001' AND verdict != ''");
  assert_string_equal(test_qtext(db, q, b, sizeof b), loser.by);
  wd_store_close(s);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replies_verdicts_reminders),
      cmocka_unit_test(test_unrelated_database),
      cmocka_unit_test(test_concurrent_verdicts),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
