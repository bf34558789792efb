/* mailbox_test.c -- reading replies from a Maildir (new/ and cur/), a
 * directory of .eml files, an mbox with ">From " escapes, and a single
 * file; order is by name, oversized messages are skipped and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/mailbox.h"

typedef struct seen {
  int n;
  char subjects[8][64];
  char bodies[8][128];
} seen_t;

static const char *find(const uint8_t *h, size_t len, const char *n) {
  size_t nl = strlen(n);
  for (size_t i = 0; i + nl <= len; i++)
    if (!memcmp(h + i, n, nl))
      return (const char *)h + i;
  return NULL;
}

static wd_rc collect(void *user, const char *where, const uint8_t *msg,
                     size_t len) {
  seen_t *s = user;
  (void)where;
  if (s->n >= 8)
    return WD_ERR_FULL;
  const char *subj = find(msg, len, "Subject: ");
  if (subj) {
    size_t l = strcspn(subj + 9, "\n");
    snprintf(s->subjects[s->n], 64, "%.*s", (int)l, subj + 9);
  }
  const char *body = find(msg, len, "\n\n");
  if (body)
    snprintf(s->bodies[s->n], 128, "%.*s",
             (int)(len - (size_t)(body + 2 - (const char *)msg)), body + 2);
  s->n++;
  return WD_OK;
}

static char root[] = "/tmp/mailbox_test.XXXXXX";

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  char p[512];
  if (!mkdtemp(root))
    return -1;
  const char *dirs[] = {"md", "md/new", "md/cur", "md/tmp", "emls"};
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
    mkdir(p, 0700);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_maildir(void **state) {
  (void)state;
  char p[512], err[256];
  put("md/new/2.host", "From: a@b\nSubject: new-two\n\nx\n");
  put("md/new/1.host", "From: a@b\nSubject: new-one\n\nx\n");
  put("md/cur/3.host:2,S", "From: a@b\nSubject: cur-three\n\nx\n");
  put("md/tmp/4.host", "From: a@b\nSubject: tmp-ignored\n\nx\n");
  put("md/new/.hidden", "From: a@b\nSubject: hidden\n\nx\n");
  seen_t s = {0};
  wd_mailbox_stats_t st;
  snprintf(p, sizeof p, "%s/md", root);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.subjects[0], "new-one");
  assert_string_equal(s.subjects[1], "new-two");
  assert_string_equal(s.subjects[2], "cur-three");
  assert_int_equal(st.messages, 3);
}

static void test_mbox(void **state) {
  (void)state;
  char p[512], err[256];
  put("box.mbox", "From x@y Thu Apr 16 10:00:00 2026\n"
                  "Subject: one\n\nhello\n>From the start\n>>From two\n"
                  "From inside a line is fine\n\n"
                  "From x@y Thu Apr 16 10:00:01 2026\n"
                  "Subject: two\n\nbye\n");
  seen_t s = {0};
  wd_mailbox_stats_t st;
  snprintf(p, sizeof p, "%s/box.mbox", root);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.subjects[0], "one");
  assert_string_equal(s.subjects[1], "two");
  assert_string_equal(s.bodies[0], "hello\nFrom the start\n>From two\n"
                                   "From inside a line is fine\n\n");
  assert_string_equal(s.bodies[1], "bye\n");
}

static void test_eml_dir_and_file(void **state) {
  (void)state;
  char p[512], err[256];
  put("emls/b.eml", "Subject: b\n\nx\n");
  put("emls/a.eml", "Subject: a\n\nx\n");
  seen_t s = {0};
  wd_mailbox_stats_t st;
  snprintf(p, sizeof p, "%s/emls", root);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.subjects[0], "a");
  snprintf(p, sizeof p, "%s/emls/b.eml", root);
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.subjects[0], "b");
  snprintf(p, sizeof p, "%s/missing", root);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_ERR_IO);
  assert_non_null(strstr(err, "missing"));
}

static void test_oversized_skipped(void **state) {
  (void)state;
  char p[512], err[256];
  snprintf(p, sizeof p, "%s/emls/c-big.eml", root);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  assert_int_equal(fseek(f, WD_MAILBOX_MSG_MAX, SEEK_SET), 0);
  fputc('x', f); /* sparse file one byte over the limit */
  fclose(f);
  seen_t s = {0};
  wd_mailbox_stats_t st;
  snprintf(p, sizeof p, "%s/emls", root);
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.skipped_large, 1);
  assert_int_equal(s.n, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_maildir),
      cmocka_unit_test(test_mbox),
      cmocka_unit_test(test_eml_dir_and_file),
      cmocka_unit_test(test_oversized_skipped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
