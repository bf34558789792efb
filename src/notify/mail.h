/* mail.h -- received mail (replies to notifications), parsed with GMime 3,
 * and the rules that tell automatic replies from human ones.
 * In: the raw bytes of one RFC 5322 message, from anyone: hostile input.
 * Out: a wd_mail_t the caller owns (large: allocate it on the heap) with
 * the few fields replies need, each decoded (RFC 2047 words, RFC 2231
 * parameters, declared charsets through iconv, undeclared 8-bit text as
 * UTF-8 or else windows-1252), cleaned to valid UTF-8 and bounded.
 * Limits: GMime reads the message through a stream that ends it at the
 * first line over a limit: the top-level header section at
 * WD_MAIL_HEADER_MAX bytes and WD_MAIL_FIELDS_MAX fields, and in the whole
 * message WD_MAIL_FIELD_LINES_MAX lines holding a ':' and
 * WD_MAIL_BOUNDARY_LINES_MAX lines starting with "--" (what makes GMime
 * allocate). Then a field value is read up to WD_MAIL_VALUE_MAX bytes
 * after unfolding, WD_MAIL_REFS_MAX message ids of References, MIME
 * nesting WD_MAIL_DEPTH_MAX deep, WD_MAIL_PARTS_MAX parts, and a body
 * excerpt of WD_MAIL_BODY_MAX bytes; past a limit the parser stops
 * looking, sets `truncated` and keeps what it has.
 * Memory: GMime's objects live during the call only (all released before
 * it returns); the input is not copied. Threads: calls on different
 * wd_mail_t values are independent (GMime is set up once, thread-safely).
 */
#ifndef WD_NOTIFY_MAIL_H
#define WD_NOTIFY_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define WD_MAIL_HEADER_MAX (256u * 1024u)
#define WD_MAIL_FIELDS_MAX 512
#define WD_MAIL_VALUE_MAX 4096
#define WD_MAIL_ID_MAX 256
#define WD_MAIL_REFS_MAX 32
#define WD_MAIL_DEPTH_MAX 4
#define WD_MAIL_PARTS_MAX 64
#define WD_MAIL_BODY_MAX (64u * 1024u)
/* GMime costs ~130 bytes per header field and ~1.3 KiB per MIME part:
 * these two keep one message's tree within a few MiB. */
#define WD_MAIL_FIELD_LINES_MAX 16384
#define WD_MAIL_BOUNDARY_LINES_MAX 1024
/* "WARD-2026-000042" and a NUL */
#define WD_MAIL_REF_LEN 17

typedef enum {
  WD_MAIL_HUMAN, /* a person answered */
  WD_MAIL_AUTO,  /* auto-reply, out of office, ticket acknowledgement */
  WD_MAIL_BOUNCE /* delivery status notification */
} wd_mail_kind;

const char *wd_mail_kind_name(wd_mail_kind k);

typedef struct wd_mail {
  char message_id[WD_MAIL_ID_MAX]; /* "<...>" or "" */
  char in_reply_to[WD_MAIL_ID_MAX];
  char refs[WD_MAIL_REFS_MAX][WD_MAIL_ID_MAX]; /* References, in order */
  size_t n_refs;
  char from_addr[WD_MAIL_ID_MAX]; /* addr-spec, lowercase */
  char from_name[WD_MAIL_ID_MAX]; /* display name, decoded */
  char subject[1024];             /* decoded (RFC 2047), one line */
  uint64_t date_ns;               /* Date:, 0 when absent or unparsable */
  char auto_submitted[64];        /* value, lowercase, "" if absent */
  char precedence[32];
  bool x_autoreply;              /* X-Autoreply / X-Autorespond / ... */
  bool x_auto_response_suppress; /* Exchange OOF/auto-reply marker */
  bool null_return_path;         /* Return-Path: <> */
  bool report_dsn;               /* multipart/report; delivery-status */
  char content_type[96];         /* top level, lowercase, no params */
  char body[WD_MAIL_BODY_MAX];   /* the text: first text/plain part that is
                                    not an attachment, else text/html made
                                    readable; decoded, cleaned */
  size_t body_len;
  uint32_t n_attachments;               /* parts with a file name or
                                           Content-Disposition: attachment */
  char attachment_name[WD_MAIL_ID_MAX]; /* the first one's file name,
                                           decoded (RFC 2231/2047) */
  /* Results. */
  wd_mail_kind kind;
  const char *kind_reason;   /* static text: why AUTO or BOUNCE */
  char ref[WD_MAIL_REF_LEN]; /* incident reference found, or "" */
  const char *ref_source;    /* "in-reply-to", "references", "subject",
                                "body" or NULL */
  /* Observations about the input. */
  uint32_t n_fields;
  uint32_t malformed; /* what GMime warned about (lines that are not
                         header fields, bad encodings, broken MIME...) */
  bool truncated;     /* a limit was reached */
  /* Scratch space of the parser (decoding a body part), not results. */
  uint8_t scratch_raw[WD_MAIL_BODY_MAX];
  char scratch_utf[WD_MAIL_BODY_MAX * 2];
} wd_mail_t;

/* Parses len bytes (an mbox "From " line and other lines before the first
 * header field are skipped and, but for "From ", counted as malformed).
 * Returns WD_OK when a header section was found (even if damaged),
 * WD_ERR_INVAL when the input has no header field at all. */
wd_rc wd_mail_parse(const uint8_t *p, size_t len, wd_mail_t *m);

/* Finds "WARD-YYYY-NNNNNN" in s (len bytes); writes it and returns true. */
bool wd_mail_find_ref(const char *s, size_t len, char out[WD_MAIL_REF_LEN]);
/* Reference of one of our Message-IDs "<ward.WARD-2026-000042.N.x@d>". */
bool wd_mail_ref_of_msgid(const char *id, char out[WD_MAIL_REF_LEN]);
/* Parses an RFC 5322 date (also obsolete forms and zone names) with
 * GMime; 0 when it cannot or the date is before 1970. */
uint64_t wd_mail_parse_date(const char *s);

#endif
