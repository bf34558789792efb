/* mime.c -- builds RFC 5322 / MIME messages with GMime 3 (see mime.h):
 * GMimeMessage, GMimeMultipart, GMimeTextPart (quoted-printable) and
 * GMimePart (base64), written with CRLF line ends. GMime does the
 * encoding: RFC 2047 encoded words, quoting of display names, parameter
 * encoding, header folding at 78 columns. ward keeps the guards: every
 * address and Message-ID is checked and refused rather than quoted, every
 * header value is cleaned to one line of valid UTF-8 first (no CR, LF or
 * control character reaches GMime), attachment names are reduced to
 * [A-Za-z0-9._-], text that already looks like an encoded word is
 * encoded whole by ward (GMime would pass it through), and the boundary
 * is derived from the Message-ID (so the
 * same notification gives the same bytes) and starts with "=_", which
 * neither base64 nor quoted-printable output can contain.
 * Memory: GMime's objects during the call; the result is appended to the
 * caller's wd_strbuf_t. */
#include "notify/mime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "notify/codec.h"
#include "notify/mail_int.h"
#include "notify/notice.h"

static GDateTime *utc(uint64_t ns) {
  return g_date_time_new_from_unix_utc((gint64)(ns / 1000000000ull));
}

char *wd_mime_date(uint64_t ns, char *out, size_t len) {
  return wd_time_str(ns, WD_TIME_MAIL, out, len);
}

bool wd_mime_msgid_ok(const char *id) {
  if (!id)
    return false;
  size_t n = strlen(id), at = 0;
  if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>')
    return false;
  for (size_t i = 1; i + 1 < n; i++) {
    unsigned char c = (unsigned char)id[i];
    if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == '"' ||
        c == '\\' || c == '(' || c == ')' || c == ',' || c == ';')
      return false;
    at += c == '@';
  }
  return at == 1;
}

static GMimeFormatOptions *crlf(void) {
  GMimeFormatOptions *fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  return fo;
}

/* Appends GMime's LF text with CRLF line ends. */
static void put_crlf(wd_strbuf_t *out, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    const char *nl = memchr(s + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - s) : n;
    size_t le = e > i && s[e - 1] == '\r' ? e - 1 : e;
    wd_strbuf_append(out, s + i, le - i);
    if (nl)
      wd_strbuf_puts(out, "\r\n");
    i = nl ? e + 1 : n;
  }
}

/* UTF-8 text with LF line ends (CRLF and lone CR become LF), cleaned:
 * a bad byte becomes U+FFFD. Returns a g_malloc'd string or NULL. */
static char *clean_text(const char *s, size_t *outlen) {
  size_t n = strlen(s);
  if (n > (SIZE_MAX - 1) / 3)
    return NULL;
  char *lf = g_malloc(n + 1), *clean;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\r') {
      if (i + 1 < n && s[i + 1] == '\n')
        continue;
      lf[o++] = '\n';
    } else {
      lf[o++] = s[i];
    }
  }
  clean = g_malloc(3 * o + 1);
  *outlen = wd_notice_clean(lf, o, clean, 3 * o + 1, 0);
  g_free(lf);
  return clean;
}

/* --- the case GMime leaves to ward ------------------------------------- */

/* GMime encodes only the words that need it, so text that already looks
 * like an encoded word ("=?UTF-8?Q?=0D=0ABcc:?=" in an AS name) would go
 * out as is and be decoded by the reader into something else. For such
 * values ward writes the whole value as UTF-8 base64 encoded words of at
 * most 75 characters, never splitting a character, folded with LF SP
 * (GMime makes the line ends CRLF), and sets it as the raw value. */
static bool looks_encoded(const char *v) { return v && strstr(v, "=?"); }

/* Length of the UTF-8 sequence starting with byte c (input is clean). */
static size_t u8len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static void encoded_words(wd_strbuf_t *out, const char *s) {
  size_t n = strlen(s), i = 0;
  while (i < n) {
    /* 75 - 12 ("=?UTF-8?B?" "?=") = 63 chars of base64 = 45 bytes max */
    size_t take = 0;
    while (i + take < n) {
      size_t l = u8len((unsigned char)s[i + take]);
      if (take + l > 45)
        break;
      take += l;
    }
    if (take == 0)
      take = n - i < 4 ? n - i : 4;
    wd_strbuf_puts(out, i ? "\n =?UTF-8?B?" : " =?UTF-8?B?");
    wd_codec_base64(out, s + i, take, 0);
    wd_strbuf_puts(out, "?=");
    i += take;
  }
}

/* Replaces the raw value of o's header `name` with encoded words of
 * `text`, followed by `tail` (" <addr>" for an address) and LF. */
static void raw_words(GMimeHeaderList *hl, const char *name, const char *text,
                      const char *tail) {
  GMimeHeader *h = g_mime_header_list_get_header(hl, name);
  wd_strbuf_t raw;
  if (!h)
    return;
  wd_strbuf_init(&raw, 0);
  encoded_words(&raw, text);
  if (tail)
    wd_strbuf_printf(&raw, "\n %s", tail);
  wd_strbuf_putc(&raw, '\n');
  if (wd_strbuf_rc(&raw) == WD_OK)
    g_mime_header_set_raw_value(h, wd_strbuf_str(&raw));
  wd_strbuf_fini(&raw);
}

wd_rc wd_mime_header_text(wd_strbuf_t *out, const char *name,
                          const char *value) {
  char v[WD_NOTICE_STR_MAX];
  wd_notice_clean(value ? value : "", value ? strlen(value) : 0, v, sizeof v,
                  WD_CLEAN_ONELINE);
  wd_mail_gmime_init();
  GMimeFormatOptions *fo = crlf();
  GMimeHeaderList *hl = g_mime_header_list_new(NULL);
  g_mime_header_list_set(hl, name, v, "UTF-8");
  if (looks_encoded(v))
    raw_words(hl, name, v, NULL);
  char *h = g_mime_header_list_to_string(hl, fo);
  put_crlf(out, h, strlen(h));
  g_free(h);
  g_object_unref(hl);
  g_mime_format_options_free(fo);
  return wd_strbuf_rc(out);
}

wd_rc wd_mime_qp(wd_strbuf_t *out, const char *text, size_t len) {
  GMimeEncoding enc;
  char *lf = g_malloc(len + 1);
  size_t n = 0;
  for (size_t i = 0; i < len; i++) /* QP encodes a bare CR: LF only */
    if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
      lf[n++] = text[i];
  wd_mail_gmime_init();
  g_mime_encoding_init_encode(&enc, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  char *q = g_malloc(g_mime_encoding_outlen(&enc, n) + 1);
  size_t ql = g_mime_encoding_flush(&enc, lf, n, q);
  put_crlf(out, q, ql);
  g_free(q);
  g_free(lf);
  return wd_strbuf_rc(out);
}

static void safe_filename(const char *in, char *out, size_t len) {
  size_t o = 0;
  for (const char *p = in ? in : ""; *p && o + 1 < len; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out[o++] = ok ? c : '_';
  }
  if (o == 0 || out[0] == '.')
    o = (size_t)snprintf(out, len, "attachment.bin");
  out[o < len ? o : len - 1] = '\0';
}

/* A part whose content is a copy of p[0..n). */
static void set_content(GMimePart *part, const void *p, size_t n,
                        GMimeContentEncoding enc) {
  GMimeStream *ms = g_mime_stream_mem_new_with_buffer(p, n);
  GMimeDataWrapper *dw =
      g_mime_data_wrapper_new_with_stream(ms, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content(part, dw);
  g_mime_part_set_content_encoding(part, enc);
  g_object_unref(dw);
  g_object_unref(ms);
}

static void add_mailbox(GMimeMessage *msg, GMimeAddressType type,
                        const char *hdr, const char *name, const char *addr) {
  char v[WD_NOTICE_STR_MAX], tail[300];
  const char *dn = wd_notice_cleans(name, v, WD_CLEAN_ONELINE, NULL);
  g_mime_message_add_mailbox(msg, type, dn, addr);
  if (looks_encoded(dn)) {
    snprintf(tail, sizeof tail, "<%s>", addr);
    raw_words(g_mime_object_get_header_list(GMIME_OBJECT(msg)), hdr, dn, tail);
  }
}

wd_rc wd_mime_build(const wd_mime_msg_t *m, wd_strbuf_t *out, char *err,
                    size_t errlen) {
  char bnd[64], u[37], subj[WD_NOTICE_STR_MAX];
  if (!wd_notice_email_ok(m->from_addr) || !wd_notice_email_ok(m->to_addr)) {
    snprintf(err, errlen, "invalid From or To address");
    return WD_ERR_INVAL;
  }
  if (!wd_mime_msgid_ok(m->message_id) ||
      (m->in_reply_to && !wd_mime_msgid_ok(m->in_reply_to)) ||
      (m->references && !wd_mime_msgid_ok(m->references))) {
    snprintf(err, errlen, "invalid Message-ID");
    return WD_ERR_INVAL;
  }
  size_t bl = 0;
  char *body = clean_text(m->body ? m->body : "", &bl);
  if (!body) {
    snprintf(err, errlen, "message too large or out of memory");
    return WD_ERR_FULL;
  }
  wd_codec_uuid5("6f3c1a52-9b1e-4d0a-8f57-2c4e7d9b1a30", m->message_id,
                 strlen(m->message_id), u);
  snprintf(bnd, sizeof bnd, "=_ward_%s", u);
  wd_notice_clean(m->subject ? m->subject : "",
                  m->subject ? strlen(m->subject) : 0, subj, sizeof subj,
                  WD_CLEAN_ONELINE);

  wd_mail_gmime_init();
  GMimeMessage *msg = g_mime_message_new(FALSE);
  GMimeObject *top = GMIME_OBJECT(msg);
  GDateTime *dt = utc(m->date_ns);
  if (dt) {
    g_mime_message_set_date(msg, dt);
    g_date_time_unref(dt);
  }
  add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, "From", m->from_name, m->from_addr);
  add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, "To", m->to_name, m->to_addr);
  g_mime_message_set_subject(msg, subj, "UTF-8");
  if (looks_encoded(subj))
    raw_words(g_mime_object_get_header_list(top), "Subject", subj, NULL);
  g_mime_object_set_header(top, "Message-ID", m->message_id, NULL);
  if (m->in_reply_to)
    g_mime_object_set_header(top, "In-Reply-To", m->in_reply_to, NULL);
  if (m->references)
    g_mime_object_set_header(top, "References", m->references, NULL);
  g_mime_object_set_header(top, "MIME-Version", "1.0", NULL);
  g_mime_object_set_header(top, "X-Mailer", "ward", NULL);

  GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
  g_mime_multipart_set_boundary(mixed, bnd);
  g_mime_multipart_set_prologue(mixed, "This is a message in MIME format.");
  g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));

  GMimeTextPart *text = g_mime_text_part_new_with_subtype("plain");
  set_content(GMIME_PART(text), body, bl,
              GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_text_part_set_charset(text, "UTF-8");
  g_mime_object_set_disposition(GMIME_OBJECT(text), GMIME_DISPOSITION_INLINE);
  g_mime_multipart_add(mixed, GMIME_OBJECT(text));
  g_object_unref(text);
  g_free(body);

  for (size_t i = 0; i < m->n_parts; i++) {
    const wd_mime_part_t *p = &m->parts[i];
    char fn[128];
    safe_filename(p->filename, fn, sizeof fn);
    GMimeContentType *ct = g_mime_content_type_parse(
        NULL, p->content_type ? p->content_type : "application/octet-stream");
    GMimePart *part = g_mime_part_new();
    g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
    g_object_unref(ct);
    set_content(part, p->data, p->len, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_object_set_disposition(GMIME_OBJECT(part),
                                  GMIME_DISPOSITION_ATTACHMENT);
    g_mime_part_set_filename(part, fn);
    g_mime_multipart_add(mixed, GMIME_OBJECT(part));
    g_object_unref(part);
  }
  g_object_unref(mixed);

  GMimeFormatOptions *fo = crlf();
  GMimeStream *os = g_mime_stream_mem_new();
  gint64 w = g_mime_object_write_to_stream(top, fo, os);
  GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(os));
  if (w < 0 || !ba)
    out->rc = out->rc ? out->rc : WD_ERR_NOMEM;
  else
    wd_strbuf_append(out, ba->data, ba->len);
  g_object_unref(os);
  g_mime_format_options_free(fo);
  g_object_unref(msg);
  if (wd_strbuf_rc(out) != WD_OK)
    snprintf(err, errlen, "message too large or out of memory");
  return wd_strbuf_rc(out);
}
