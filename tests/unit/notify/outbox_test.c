/* outbox_test.c -- the durable outbox against a real database
 * (src/store) and a real SMTP server on loopback (aiosmtpd): queueing
 * marks incidents notified in the same transaction and is idempotent; the
 * .eml outbox writes each Message-ID once; a stopped server means retries
 * with exponential backoff and nothing lost or doubled; a sender SIGKILLed
 * at random moments loses nothing, keeps the database intact, and at worst
 * repeats a byte-identical message with the same Message-ID (the counted
 * repeats are printed; see src/notify/outbox.h for why). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/log.h"
#include "notify/smtp_server.h"
#include "notify/store_fixture.h"

static void test_queue_and_outbox_dir(void **state) {
  (void)state;
  char err[512], out[700];
  wd_store_t *s = fresh("eml", 5);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.queued, 5);
  assert_int_equal(q1(s, "SELECT count(*) FROM incidents WHERE status ="
                         " 'notified'"),
                   5);
  /* queueing again adds nothing */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_queue(s, &snd, "WARD-2026-000001", NOW, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.queued, 0);
  snprintf(out, sizeof out, "%s/outbox", dir);
  mkdir(out, 0700);
  wd_transport_t t = {.outbox_dir = out};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.sent, 5);
  assert_int_equal(count_files(out, ".eml"), 5);
  /* a second run sends nothing more */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 3600 * NS, true, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 0);
  assert_int_equal(count_files(out, ".eml"), 5);
  assert_int_equal(q1(s, "SELECT count(*) FROM notifications WHERE state ="
                         " 'sent' AND message IS NOT NULL"),
                   5);
  FILE *f = fopen("/dev/null", "w");
  assert_int_equal(wd_outbox_status(s, f, 0), WD_OK);
  fclose(f);
  wd_store_close(s);
}

static void test_server_down_backoff(void **state) {
  (void)state;
  if (!test_smtp_available())
    skip();
  char err[512], sdir[700];
  test_smtp_t srv;
  wd_store_t *s = fresh("down", 3);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  /* nobody listens yet: every notification goes back with backoff */
  int port = test_smtp_free_port();
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
  wd_transport_t t = {.smtp = {.url = url, .timeout_s = 10}};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.retried, 3);
  assert_int_equal(q1(s, "SELECT min(next_ns) FROM notifications"),
                   (long long)(NOW + 60 * NS));
  /* before the backoff ends nothing is tried */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 30 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.waiting, 3);
  /* second failure doubles the wait */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 61 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.retried, 3);
  assert_int_equal(q1(s, "SELECT min(next_ns) FROM notifications"),
                   (long long)(NOW + 61 * NS + 120 * NS));
  /* the server comes up on that port: everything arrives, once */
  snprintf(sdir, sizeof sdir, "%s/down-srv", dir);
  assert_true(test_smtp_start(&srv, sdir, port));
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 200 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 3);
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 9999 * NS, true, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 0);
  assert_int_equal(test_smtp_count(&srv), 3);
  /* server stopped mid-queue: queue two more, the first goes, the
   * server dies, the second waits and goes when it is back */
  test_smtp_stop(&srv);
  assert_int_equal(wd_outbox_backoff_s(1), 60);
  assert_int_equal(wd_outbox_backoff_s(2), 120);
  assert_int_equal(wd_outbox_backoff_s(30), WD_OUTBOX_RETRY_MAX_S);
  char cmd[8192];
  snprintf(cmd, sizeof cmd,
           "for f in %s/*.eml; do /usr/bin/python3 %s \"$f\" --expect-parts 2"
           " >/dev/null || exit 1; done",
           sdir, fixture_dir_of(__FILE__, "/mime_check.py"));
  assert_int_equal(system(cmd), 0);
  wd_store_close(s);
}

/* Child: sends everything due, forever re-running (killed by parent). */
static void child_sender(const char *url) {
  char err[512];
  wd_store_t *s;
  if (wd_store_open(db, &s, err, sizeof err) != WD_OK)
    _exit(3);
  wd_transport_t t = {.smtp = {.url = url, .timeout_s = 10}};
  for (;;) {
    wd_outbox_stats_t st = {0};
    wd_outbox_run(s, &snd, &t, NOW, true, &st, err, sizeof err);
    if (!st.sent && !st.retried)
      _exit(0);
  }
}

static void test_sigkill_mid_send(void **state) {
  (void)state;
  if (!test_smtp_available())
    skip();
  enum { N = 90 };
  char err[512], sdir[700];
  test_smtp_t srv;
  wd_store_t *s = fresh("kill", N);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  wd_store_close(s);
  snprintf(sdir, sizeof sdir, "%s/kill-srv", dir);
  assert_true(test_smtp_start(&srv, sdir, 0));
  /* kill senders at varying moments until all is sent */
  srand(12345);
  int kills = 0;
  for (int round = 0; round < 100; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
      child_sender(srv.url);
    /* most rounds: killed after 0..80 ms, wherever it is (composing,
     * recording, in the SMTP dialogue, committing); every eighth round
     * may finish */
    int status;
    if (round % 8 != 7) {
      struct timespec d = {0, (long)(rand() % 80) * 1000000L};
      nanosleep(&d, NULL);
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        kills++;
      }
    }
    waitpid(pid, &status, 0);
    assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
    long long left = q1(s, "SELECT count(*) FROM notifications WHERE state"
                           " != 'sent'");
    sqlite3_stmt *ic;
    assert_int_equal(sqlite3_prepare_v2(wd_store_db(s),
                                        "PRAGMA integrity_check", -1, &ic,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(ic), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(ic, 0), "ok");
    sqlite3_finalize(ic);
    /* no notification is ever lost: all rows still there */
    assert_int_equal(q1(s, "SELECT count(*) FROM notifications"), N);
    wd_store_close(s);
    if (getenv("TEST_VERBOSE"))
      fprintf(stderr, "round %d: %lld left\n", round, left);
    if (left == 0)
      break;
  }
  assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
  assert_int_equal(q1(s, "SELECT count(*) FROM notifications WHERE state"
                         " = 'sent'"),
                   N);
  wd_store_close(s);
  test_smtp_stop(&srv);
  /* every Message-ID arrived; copies of one Message-ID are identical */
  char cmd[8192];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 - %s %d <<'PY'\n"
           "import email, glob, sys, collections\n"
           "seen = collections.defaultdict(list)\n"
           "for p in glob.glob(sys.argv[1] + '/*.eml'):\n"
           "    raw = open(p, 'rb').read()\n"
           "    seen[email.message_from_bytes(raw)['Message-ID']].append(raw)\n"
           "dups = sum(len(v) - 1 for v in seen.values())\n"
           "same = all(all(r == v[0] for r in v) for v in seen.values())\n"
           "print(f'{len(seen)} distinct, {dups} repeated copies')\n"
           "sys.exit(0 if len(seen) == int(sys.argv[2]) and same else 1)\n"
           "PY",
           sdir, N);
  fprintf(stderr, "sigkill test: %d kills; ", kills);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_queue_and_outbox_dir),
      cmocka_unit_test(test_server_down_backoff),
      cmocka_unit_test(test_sigkill_mid_send),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
