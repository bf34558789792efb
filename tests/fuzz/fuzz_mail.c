/* fuzz_mail.c -- libFuzzer target for the reply readers: the mail parser
 * (GMime through ward's bounded stream: headers, encoded words, RFC 2231
 * parameters, charsets, MIME walking, HTML to text, classification,
 * reference matching) and the mbox splitter (GMime's MBOX format with
 * ward's skip of over-limit messages), on arbitrary bytes. Any crash,
 * sanitizer report, leak or unbounded loop is a bug. Also checks
 * invariants: stored strings are NUL-terminated, valid and within their
 * arrays; every mbox message handed on lies inside the input. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/mail.h"
#include "notify/mailbox.h"

static wd_mail_t *m;

static wd_rc each(void *user, const char *where, const uint8_t *msg,
                  size_t len) {
  size_t *total = user;
  (void)where;
  *total += len;
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
    assert(strlen(m->attachment_name) < sizeof m->attachment_name);
    assert(strlen(m->content_type) < sizeof m->content_type);
    assert(m->n_fields <= WD_MAIL_FIELDS_MAX);
    assert(!strchr(m->subject, '\n') && !strchr(m->from_name, '\n'));
  }
  char ref[WD_MAIL_REF_LEN];
  wd_mail_find_ref((const char *)data, size, ref);
  wd_mailbox_stats_t st;
  size_t total = 0;
  memset(&st, 0, sizeof st);
  wd_mailbox_mbox(data, size, "fuzz", each, &total, &st);
  assert(total <= size); /* messages are disjoint pieces of the input */
  return 0;
}
