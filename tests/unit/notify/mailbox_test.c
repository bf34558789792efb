/* mailbox_test.c -- reading replies from a Maildir (new/ and cur/), a
 * directory of .eml files, an mbox with ">From " escapes, and a single
 * file; order is by name, oversized messages are skipped and counted. An
 * mbox of several messages (mboxrd escapes, CRLF, an unescaped "From "
 * body line) is split exactly, each message parses, and a message built
 * to flood GMime's parser is cut for GMime without losing its bytes or
 * the messages after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/mail.h"
#include "notify/mailbox.h"

typedef struct seen {
  int n;
  char subjects[8][64];
  char bodies[8][128];
  size_t lens[8];
  char where[8][64];
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
  s->lens[s->n] = len;
  const char *hash = strrchr(where, '#');
  snprintf(s->where[s->n], 64, "%s", hash ? hash : "");
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

typedef struct parsed {
  int n;
  char subjects[8][64];
  char bodies[8][256];
  char refs[8][WD_MAIL_REF_LEN];
} parsed_t;

static wd_rc parse_each(void *user, const char *where, const uint8_t *msg,
                        size_t len) {
  parsed_t *s = user;
  (void)where;
  if (s->n >= 8)
    return WD_ERR_FULL;
  wd_mail_t *m = malloc(sizeof *m);
  assert_non_null(m);
  assert_int_equal(wd_mail_parse(msg, len, m), WD_OK);
  snprintf(s->subjects[s->n], 64, "%.63s", m->subject);
  snprintf(s->bodies[s->n], 256, "%.255s", m->body);
  snprintf(s->refs[s->n], WD_MAIL_REF_LEN, "%s", m->ref);
  free(m);
  s->n++;
  return WD_OK;
}

static void test_mbox_several(void **state) {
  (void)state;
  char p[512], err[256];
  /* four messages: mboxrd escapes at several depths, a CRLF message, a
   * MIME message whose text holds an escaped "From ", and a body line
   * starting "From " that follows a non-empty line (a writer forgot to
   * escape it): it stays in its message */
  put("several.mbox",
      "From soc@isp.example Thu Apr 16 10:00:00 2026\n"
      "From: soc@isp.example\nSubject: first\n"
      "In-Reply-To: <ward.WARD-2026-000042.1.x@csirt.example>\n\n"
      "line\n>From the logs\n>>From quoted\n>>>From deeper\n"
      "From unescaped after a line\n\n"
      "From other@cert.example Thu Apr 16 10:00:01 2026\r\n"
      "From: other@cert.example\r\nSubject: second\r\n\r\n"
      "crlf body WARD-2026-000043\r\n\r\n"
      "From mime@x.example Thu Apr 16 10:00:02 2026\n"
      "From: mime@x.example\nSubject: third\n"
      "Content-Type: multipart/mixed; boundary=zz\n\n"
      "--zz\nContent-Type: text/plain\n\n"
      ">From here on WARD-2026-000044\n--zz--\n\n"
      "From last@y.example Thu Apr 16 10:00:03 2026\n"
      "From: last@y.example\nSubject: fourth\n\nbye");
  snprintf(p, sizeof p, "%s/several.mbox", root);
  seen_t s = {0};
  wd_mailbox_stats_t st;
  assert_int_equal(wd_mailbox_scan(p, collect, &s, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(s.n, 4);
  assert_int_equal(st.messages, 4);
  assert_string_equal(s.where[0], "#1");
  assert_string_equal(s.where[3], "#4");
  assert_string_equal(s.bodies[0], "line\nFrom the logs\n>From quoted\n"
                                   ">>From deeper\n"
                                   "From unescaped after a line\n\n");
  assert_string_equal(s.bodies[3], "bye");
  parsed_t ps = {0};
  assert_int_equal(wd_mailbox_scan(p, parse_each, &ps, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(ps.n, 4);
  assert_string_equal(ps.subjects[0], "first");
  assert_string_equal(ps.refs[0], "WARD-2026-000042");
  assert_string_equal(ps.subjects[1], "second");
  assert_string_equal(ps.bodies[1], "crlf body WARD-2026-000043\n\n");
  assert_string_equal(ps.subjects[2], "third");
  assert_string_equal(ps.bodies[2], "From here on WARD-2026-000044");
  assert_string_equal(ps.refs[2], "WARD-2026-000044");
  assert_string_equal(ps.subjects[3], "fourth");
  /* text before the first "From " line is not a message */
  static const char lead[] = "stray\n\nFrom a@b x\nSubject: only\n\nx\n";
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_mailbox_mbox((const uint8_t *)lead, sizeof lead - 1,
                                   "mem", collect, &s, &st),
                   WD_OK);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.subjects[0], "only");
}

/* An mbox message made of thousands of boundary lines and fields: GMime
 * sees it cut (its tree stays small), the callback still gets all of its
 * bytes, and the next message is split and read as usual. */
static void test_mbox_flooded_message(void **state) {
  (void)state;
  size_t cap = 4u << 20, o = 0;
  uint8_t *box = malloc(cap);
  assert_non_null(box);
  o += (size_t)snprintf((char *)box, cap,
                        "From a@b Thu Apr 16 10:00:00 2026\n"
                        "Subject: flood\n"
                        "Content-Type: multipart/mixed; boundary=b\n\n");
  size_t first_start = 34;
  for (int i = 0; i < 40000; i++)
    o += (size_t)snprintf((char *)box + o, cap - o, "--b\nX: %d\n\n", i);
  o += (size_t)snprintf((char *)box + o, cap - o, "--b--\n\n");
  size_t first_len = o - first_start;
  o += (size_t)snprintf((char *)box + o, cap - o,
                        "From c@d Thu Apr 16 10:00:01 2026\n"
                        "Subject: after\n\nstill here\n");
  seen_t s = {0};
  wd_mailbox_stats_t st;
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_mailbox_mbox(box, o, "flood", collect, &s, &st), WD_OK);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.subjects[0], "flood");
  assert_int_equal(s.lens[0], first_len);
  assert_string_equal(s.subjects[1], "after");
  assert_string_equal(s.bodies[1], "still here\n");
  free(box);
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
      cmocka_unit_test(test_mbox_several),
      cmocka_unit_test(test_mbox_flooded_message),
      cmocka_unit_test(test_eml_dir_and_file),
      cmocka_unit_test(test_oversized_skipped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
