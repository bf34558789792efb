/* store_thread_test.c -- a store belongs to the thread that opened it:
 * calls from that thread pass, a call from another thread is counted and
 * logged (WARD_STORE_THREAD_CHECK=log) or aborts the process
 * (WARD_STORE_THREAD_CHECK=abort, the test suite's setting); a store handed
 * over with wd_store_adopt works on its new thread. And the fault
 * injection of a slow disk: WARD_TEST_STORE_DELAY_MS makes each commit
 * last at least that long. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static char path[256];

static wd_store_t *open_db(const char *check) {
  setenv("WARD_STORE_THREAD_CHECK", check, 1);
  snprintf(path, sizeof path, "/tmp/ward-store-thread-%d.db", (int)getpid());
  unlink(path);
  wd_store_t *s;
  char err[256];
  assert_int_equal(wd_store_open(path, &s, err, sizeof err), WD_OK);
  return s;
}

static void close_db(wd_store_t *s) {
  wd_store_close(s);
  char p[300];
  unlink(path);
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
}

typedef struct call {
  wd_store_t *s;
  bool owner;
  wd_rc rc;
} call;

static void *other_thread(void *arg) {
  call *c = arg;
  c->owner = wd_store_owner_is_caller(c->s);
  c->rc = wd_store_begin(c->s);
  if (c->rc == WD_OK)
    c->rc = wd_store_commit(c->s);
  return NULL;
}

static void test_owner_passes_other_counted(void **st) {
  (void)st;
  wd_store_t *s = open_db("log");
  assert_true(wd_store_owner_is_caller(s));
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_int_equal(wd_store_foreign_calls(s), 0);
  call c = {.s = s};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, other_thread, &c), 0);
  pthread_join(t, NULL);
  assert_false(c.owner);
  assert_true(wd_store_foreign_calls(s) >= 2); /* begin and commit */
  close_db(s);
}

static void *adopt_thread(void *arg) {
  call *c = arg;
  wd_store_adopt(c->s);
  c->owner = wd_store_owner_is_caller(c->s);
  c->rc = wd_store_begin(c->s);
  if (c->rc == WD_OK)
    c->rc = wd_store_commit(c->s);
  return NULL;
}

static void test_adopt(void **st) {
  (void)st;
  wd_store_t *s = open_db("abort");
  call c = {.s = s};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, adopt_thread, &c), 0);
  pthread_join(t, NULL);
  assert_true(c.owner);
  assert_int_equal(c.rc, WD_OK);
  assert_int_equal(wd_store_foreign_calls(s), 0);
  assert_false(wd_store_owner_is_caller(s));
  wd_store_adopt(s); /* back, to close it here */
  close_db(s);
}

static void test_other_thread_aborts(void **st) {
  (void)st;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    wd_store_t *s = open_db("abort");
    call c = {.s = s};
    pthread_t t;
    pthread_create(&t, NULL, other_thread, &c);
    pthread_join(t, NULL);
    _exit(0); /* not reached when the check works */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
  char p[300];
  unlink(path);
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
}

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_commit_delay(void **st) {
  (void)st;
  setenv("WARD_TEST_STORE_DELAY_MS", "150", 1);
  wd_store_t *s = open_db("abort");
  unsetenv("WARD_TEST_STORE_DELAY_MS"); /* read once, at open */
  double t0 = mono();
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_true(mono() - t0 >= 0.150);
  close_db(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_owner_passes_other_counted),
      cmocka_unit_test(test_adopt),
      cmocka_unit_test(test_other_thread_aborts),
      cmocka_unit_test(test_commit_delay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
