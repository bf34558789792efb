/* mime.c -- builds RFC 5322 / MIME messages (see mime.h).
 * Memory: everything goes into the caller's wd_strbuf_t; the boundary is
 * derived from the Message-ID, and starts with "=_" which neither base64
 * nor quoted-printable output can contain. */
#include "notify/mime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/codec.h"
#include "notify/notice.h"

char *wd_mime_date(uint64_t ns, char *out, size_t len) {
  static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed",
                                   "Thu", "Fri", "Sat"};
  static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  time_t t = (time_t)(ns / 1000000000ull);
  if (!gmtime_r(&t, &tm))
    memset(&tm, 0, sizeof tm);
  snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
           wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
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

static bool plain_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
      return false;
  return true;
}

/* Length of the UTF-8 sequence starting with byte c (input is clean). */
static size_t u8len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Encoded-words "=?UTF-8?B?...?=" of at most 75 characters each, never
 * splitting a character, separated by CRLF SP (folding). col: current
 * column. */
static void encoded_words(wd_strbuf_t *out, const char *s, size_t col) {
  size_t n = strlen(s), i = 0;
  bool first = true;
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
    if (!first || col + 75 > 78)
      wd_strbuf_puts(out, first ? "\r\n " : "\r\n ");
    wd_strbuf_puts(out, "=?UTF-8?B?");
    wd_codec_base64(out, s + i, take, 0);
    wd_strbuf_puts(out, "?=");
    i += take;
    first = false;
    col = 1;
  }
}

/* Folds plain ASCII at spaces so lines stay within 78 characters. */
static void folded(wd_strbuf_t *out, const char *s, size_t col) {
  while (*s) {
    size_t n = strlen(s);
    if (col + n <= 78) {
      wd_strbuf_puts(out, s);
      return;
    }
    size_t room = 78 > col ? 78 - col : 0, cut = 0;
    for (size_t i = 1; i < n && i <= room; i++)
      if (s[i] == ' ')
        cut = i;
    if (cut == 0) { /* no space in reach: next space, or the rest */
      const char *sp = strchr(s + 1, ' ');
      cut = sp ? (size_t)(sp - s) : n;
    }
    wd_strbuf_append(out, s, cut);
    s += cut;
    if (*s) {
      wd_strbuf_puts(out, "\r\n"); /* the space starts the next line */
      col = 0;
    }
  }
}

wd_rc wd_mime_header_text(wd_strbuf_t *out, const char *name,
                          const char *value) {
  char v[WD_NOTICE_STR_MAX];
  wd_notice_clean(value ? value : "", value ? strlen(value) : 0, v, sizeof v,
                  WD_CLEAN_ONELINE);
  wd_strbuf_printf(out, "%s: ", name);
  size_t col = strlen(name) + 2;
  /* "=?" in plain text would be read as an encoded word: encode it too */
  if (plain_ascii(v) && !strstr(v, "=?"))
    folded(out, v, col);
  else
    encoded_words(out, v, col);
  wd_strbuf_puts(out, "\r\n");
  return wd_strbuf_rc(out);
}

/* Display name + address: "Name" <addr>, the name quoted or encoded. */
static void address(wd_strbuf_t *out, const char *hdr, const char *name,
                    const char *addr) {
  char v[WD_NOTICE_STR_MAX];
  wd_strbuf_printf(out, "%s: ", hdr);
  const char *dn = wd_notice_cleans(name, v, WD_CLEAN_ONELINE, NULL);
  if (dn && plain_ascii(dn) && !strstr(dn, "=?")) {
    wd_strbuf_putc(out, '"');
    for (const char *p = dn; *p; p++) {
      if (*p == '"' || *p == '\\')
        wd_strbuf_putc(out, '\\');
      wd_strbuf_putc(out, *p);
    }
    wd_strbuf_puts(out, "\" ");
  } else if (dn) {
    encoded_words(out, dn, strlen(hdr) + 2);
    wd_strbuf_puts(out, "\r\n ");
  }
  wd_strbuf_printf(out, "<%s>\r\n", addr);
}

wd_rc wd_mime_qp(wd_strbuf_t *out, const char *text, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  char line[80];
  size_t col = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '\r' && i + 1 < len && text[i + 1] == '\n')
      continue; /* CRLF: handled at the LF */
    if (c == '\n') {
      /* trailing space or tab before a line break must be encoded */
      if (col && (line[col - 1] == ' ' || line[col - 1] == '\t')) {
        unsigned char w = (unsigned char)line[--col];
        line[col++] = '=';
        line[col++] = hex[w >> 4];
        line[col++] = hex[w & 15];
      }
      wd_strbuf_append(out, line, col);
      wd_strbuf_puts(out, "\r\n");
      col = 0;
      continue;
    }
    char enc[3];
    size_t el;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      enc[0] = (char)c;
      el = 1;
    } else {
      enc[0] = '=';
      enc[1] = hex[c >> 4];
      enc[2] = hex[c & 15];
      el = 3;
    }
    /* a line starting with "." or "From " is safe in QP; keep it simple */
    if (col + el > 75) {
      wd_strbuf_append(out, line, col);
      wd_strbuf_puts(out, "=\r\n");
      col = 0;
    }
    memcpy(line + col, enc, el);
    col += el;
  }
  if (col) {
    if (line[col - 1] == ' ' || line[col - 1] == '\t') {
      wd_strbuf_append(out, line, col);
      wd_strbuf_puts(out, "=\r\n");
    } else {
      wd_strbuf_append(out, line, col);
      wd_strbuf_puts(out, "\r\n");
    }
  }
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

wd_rc wd_mime_build(const wd_mime_msg_t *m, wd_strbuf_t *out, char *err,
                    size_t errlen) {
  char date[64], bnd[64], u[37];
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
  wd_codec_uuid5("6f3c1a52-9b1e-4d0a-8f57-2c4e7d9b1a30", m->message_id,
                 strlen(m->message_id), u);
  snprintf(bnd, sizeof bnd, "=_ward_%s", u);

  wd_strbuf_printf(out, "Date: %s\r\n",
                   wd_mime_date(m->date_ns, date, sizeof date));
  address(out, "From", m->from_name, m->from_addr);
  address(out, "To", m->to_name, m->to_addr);
  wd_mime_header_text(out, "Subject", m->subject);
  wd_strbuf_printf(out, "Message-ID: %s\r\n", m->message_id);
  if (m->in_reply_to)
    wd_strbuf_printf(out, "In-Reply-To: %s\r\n", m->in_reply_to);
  if (m->references)
    wd_strbuf_printf(out, "References: %s\r\n", m->references);
  wd_strbuf_puts(out, "MIME-Version: 1.0\r\n");
  wd_strbuf_puts(out, "X-Mailer: ward\r\n");
  wd_strbuf_printf(out,
                   "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n"
                   "\r\nThis is a message in MIME format.\r\n",
                   bnd);

  wd_strbuf_printf(out,
                   "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"
                   "Content-Disposition: inline\r\n\r\n",
                   bnd);
  const char *body = m->body ? m->body : "";
  /* the body is our text but quotes network strings: clean it whole
   * (a bad byte becomes U+FFFD, 3 bytes: room for 3x) */
  size_t bl = strlen(body);
  char *clean = bl < out->max / 3 ? malloc(3 * bl + 1) : NULL;
  if (!clean) {
    out->rc = bl < out->max / 3 ? WD_ERR_NOMEM : WD_ERR_FULL;
  } else {
    size_t cl = wd_notice_clean(body, bl, clean, 3 * bl + 1, 0);
    wd_mime_qp(out, clean, cl);
    free(clean);
  }

  for (size_t i = 0; i < m->n_parts; i++) {
    const wd_mime_part_t *p = &m->parts[i];
    char fn[128];
    safe_filename(p->filename, fn, sizeof fn);
    wd_strbuf_printf(out,
                     "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                     "Content-Transfer-Encoding: base64\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n"
                     "\r\n",
                     bnd, p->content_type, fn, fn);
    wd_codec_base64(out, p->data, p->len, 76);
  }
  wd_strbuf_printf(out, "\r\n--%s--\r\n", bnd);
  if (wd_strbuf_rc(out) != WD_OK)
    snprintf(err, errlen, "message too large or out of memory");
  return wd_strbuf_rc(out);
}
