/* fuzz_mail.c -- libFuzzer target for the reply readers: the mail parser
 * (headers, encoded words, MIME walking, classification, reference
 * matching) and the mbox splitter, on arbitrary bytes. Any crash,
 * sanitizer report or unbounded loop is a bug. Also checks invariants:
 * stored strings are NUL-terminated and within their arrays. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/mail.h"
#include "notify/mailbox.h"

static wd_mail_t *m;

static wd_rc each(void *user, const char *where, const uint8_t *msg,
                  size_t len) {
  (void)user;
  (void)where;
  wd_mail_parse(msg, len, m);
  return WD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!m && !(m = malloc(sizeof *m)))
    return 0;
  if (wd_mail_parse(data, size, m) == WD_OK) {
    assert(strlen(m->subject) < sizeof m->subject);
    assert(strlen(m->from_addr) < sizeof m->from_addr);
    assert(m->body_len < sizeof m->body && m->body[m->body_len] == '\0');
    assert(m->n_refs <= WD_MAIL_REFS_MAX);
    assert(m->kind == WD_MAIL_HUMAN || m->kind == WD_MAIL_AUTO ||
           m->kind == WD_MAIL_BOUNCE);
    assert(!m->ref[0] || strlen(m->ref) == 16);
  }
  char ref[WD_MAIL_REF_LEN];
  wd_mail_find_ref((const char *)data, size, ref);
  wd_mailbox_stats_t st;
  memset(&st, 0, sizeof st);
  wd_mailbox_mbox(data, size, "fuzz", each, NULL, &st);
  return 0;
}
