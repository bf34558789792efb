/* mime.h -- RFC 5322 / MIME (RFC 2045-2047) messages.
 * In: a wd_mime_msg_t whose strings and attachment bytes are borrowed.
 * Out: the message (CRLF line ends) appended to a wd_strbuf_t.
 * multipart/mixed: a text/plain UTF-8 part in quoted-printable, then each
 * attachment in base64 wrapped at 76 columns. Header text that is not
 * ASCII becomes RFC 2047 encoded-words; header values never contain CR
 * or LF from the input (they are cleaned first), addresses are checked
 * (wd_notice_email_ok) and refused otherwise: no header injection. */
#ifndef WD_NOTIFY_MIME_H
#define WD_NOTIFY_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "core/strbuf.h"

typedef struct wd_mime_part {
  const char *filename;     /* cleaned to [A-Za-z0-9._-] */
  const char *content_type; /* "application/xml", ... (ours, trusted) */
  const void *data;
  size_t len;
} wd_mime_part_t;

typedef struct wd_mime_msg {
  const char *from_name, *from_addr; /* display name may be NULL */
  const char *to_name, *to_addr;
  const char *subject;
  const char *message_id;  /* "<...@...>" */
  const char *in_reply_to; /* optional "<...>" */
  const char *references;  /* optional "<...>" */
  uint64_t date_ns;        /* Date: header */
  const char *body;        /* UTF-8 text, LF or CRLF line ends */
  const wd_mime_part_t *parts;
  size_t n_parts;
} wd_mime_msg_t;

/* Builds the message; WD_ERR_INVAL (err says which) for a bad address or
 * Message-ID. */
wd_rc wd_mime_build(const wd_mime_msg_t *m, wd_strbuf_t *out, char *err,
                    size_t errlen);

/* Appends "Name: value" for unstructured text (Subject), with RFC 2047
 * encoded-words when the value is not printable ASCII and folding so no
 * line exceeds 78 characters. */
wd_rc wd_mime_header_text(wd_strbuf_t *out, const char *name,
                          const char *value);
/* Appends body text as quoted-printable (RFC 2045 6.7) with CRLF. */
wd_rc wd_mime_qp(wd_strbuf_t *out, const char *text, size_t len);
/* RFC 5322 date: "Thu, 16 Apr 2026 10:02:49 +0000". */
char *wd_mime_date(uint64_t ns, char *out, size_t len);
/* A Message-ID "<...>" is 1..250 printable ASCII with one '@', no spaces. */
bool wd_mime_msgid_ok(const char *id);

#endif
