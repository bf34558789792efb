/* mail.c -- received mail parsed with GMime 3, and reply classification
 * (see mail.h). GMime does the reading: header fields, RFC 2047 encoded
 * words, RFC 2231 parameters, addresses, dates, MIME structure, transfer
 * encodings and charsets (iconv). ward keeps the policy: which fields and
 * which part matter, the limits, cleaning every stored string to valid
 * UTF-8 (wd_notice_clean), classification (RFC 3834 Auto-Submitted,
 * RFC 3464 DSN, and the usual auto-reply markers) and matching a reply to
 * its notification.
 * Memory: GMime objects during the call only, every one released before
 * it returns; the input is read in place through wd_mail_stream, which
 * also keeps GMime within the limits of mail.h. */
#include "notify/mail.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "notify/mail_int.h"
#include "notify/notice.h"

const char *wd_mail_kind_name(wd_mail_kind k) {
  switch (k) {
  case WD_MAIL_HUMAN:
    return "human";
  case WD_MAIL_AUTO:
    return "auto";
  case WD_MAIL_BOUNCE:
    return "bounce";
  }
  return "?";
}

/* --- small helpers ---------------------------------------------------- */

static void lower(char *s) {
  for (; *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

static void copy_clean(char *dst, size_t cap, const char *src, size_t len) {
  wd_notice_clean(src, len, dst, cap, WD_CLEAN_ONELINE);
}

static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* Case-insensitive search of needle (lowercase) in s. */
static bool contains_ci(const char *s, const char *needle) {
  size_t nl = strlen(needle);
  for (; *s; s++)
    if (strncasecmp(s, needle, nl) == 0)
      return true;
  return false;
}

/* --- references and ids -------------------------------------------------*/

bool wd_mail_find_ref(const char *s, size_t len, char out[WD_MAIL_REF_LEN]) {
  for (size_t i = 0; i + 16 <= len; i++) {
    if (strncasecmp(s + i, "WARD-", 5) != 0)
      continue;
    const char *d = s + i + 5;
    bool ok = d[4] == '-';
    for (int k = 0; ok && k < 4; k++)
      ok = isdigit((unsigned char)d[k]);
    for (int k = 5; ok && k < 11; k++)
      ok = isdigit((unsigned char)d[k]);
    if (ok && i + 16 < len && isdigit((unsigned char)s[i + 16]))
      ok = false; /* longer number: not ours */
    if (ok) {
      memcpy(out, "WARD-", 5);
      memcpy(out + 5, d, 11);
      out[16] = '\0';
      return true;
    }
  }
  return false;
}

bool wd_mail_ref_of_msgid(const char *id, char out[WD_MAIL_REF_LEN]) {
  if (strncmp(id, "<ward.", 6) != 0)
    return false;
  return wd_mail_find_ref(id + 6, strnlen(id + 6, 16), out) &&
         id[6 + 16] == '.';
}

/* --- dates -------------------------------------------------------------- */

uint64_t wd_mail_parse_date(const char *s) {
  wd_mail_gmime_init();
  GDateTime *dt = s ? g_mime_utils_header_decode_date(s) : NULL;
  if (!dt)
    return 0;
  gint64 t = g_date_time_to_unix(dt);
  g_date_time_unref(dt);
  return t > 0 ? (uint64_t)t * 1000000000ull : 0;
}

/* --- one parse ------------------------------------------------------------ */

typedef struct ctx {
  wd_mail_t *m;
  GMimeParserOptions *opts;
  GMimePart *text; /* the part the body comes from */
  int text_score;  /* lower is better: +2 attachment, +1 HTML */
  unsigned parts;  /* parts below the top level, walked */
  char val[WD_MAIL_VALUE_MAX];
} ctx_t;

/* GMime's report of a defect in the input. Raw UTF-8 in header fields is
 * not one (RFC 6532). */
static void warned(gint64 offset, GMimeParserWarning what, const gchar *item,
                   gpointer user) {
  (void)offset;
  (void)item;
  wd_mail_t *m = user;
  if (what != GMIME_WARN_UNENCODED_8BIT_HEADER)
    m->malformed++;
}

/* A header field's raw value unfolded (CR and LF dropped), without
 * surrounding white space, cut at WD_MAIL_VALUE_MAX - 1 bytes. */
static const char *value_of(ctx_t *c, GMimeHeader *h) {
  const char *raw = g_mime_header_get_raw_value(h);
  size_t o = 0;
  if (!raw)
    raw = "";
  raw = skip_ws(raw);
  for (; *raw && o < sizeof c->val - 1; raw++)
    if (*raw != '\r' && *raw != '\n')
      c->val[o++] = *raw;
  if (*raw && strspn(raw, "\r\n \t") != strlen(raw))
    c->m->truncated = true;
  while (o && (c->val[o - 1] == ' ' || c->val[o - 1] == '\t'))
    o--;
  c->val[o] = '\0';
  return c->val;
}

/* "<id>" of a GMime-decoded message id into out. */
static void put_id(char out[WD_MAIL_ID_MAX], const char *id) {
  char tmp[WD_MAIL_ID_MAX + 2];
  size_t n = strlen(id);
  if (n == 0 || n > WD_MAIL_ID_MAX - 3)
    return; /* empty, or too long to be one of ours: not kept */
  snprintf(tmp, sizeof tmp, "<%s>", id);
  copy_clean(out, WD_MAIL_ID_MAX, tmp, n + 2);
}

/* A token value (Auto-Submitted, Precedence) lowercased. */
static void token(char *out, size_t cap, const char *v) {
  copy_clean(out, cap, v, strcspn(v, "; \t("));
  lower(out);
}

static void from_field(ctx_t *c, const char *v) {
  wd_mail_t *m = c->m;
  m->from_addr[0] = m->from_name[0] = '\0';
  InternetAddressList *l = internet_address_list_parse(c->opts, v);
  if (!l)
    return;
  InternetAddress *a = NULL;
  for (int i = 0; !a && i < internet_address_list_length(l); i++) {
    InternetAddress *x = internet_address_list_get_address(l, i);
    if (INTERNET_ADDRESS_IS_GROUP(x)) { /* its first member */
      InternetAddressList *g =
          internet_address_group_get_members(INTERNET_ADDRESS_GROUP(x));
      for (int k = 0; !a && g && k < internet_address_list_length(g); k++)
        if (INTERNET_ADDRESS_IS_MAILBOX(
                internet_address_list_get_address(g, k)))
          a = internet_address_list_get_address(g, k);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(x)) {
      a = x;
    }
  }
  if (a) {
    const char *addr =
        internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
    const char *name = internet_address_get_name(a);
    if (addr)
      copy_clean(m->from_addr, sizeof m->from_addr, addr, strlen(addr));
    if (name)
      copy_clean(m->from_name, sizeof m->from_name, name, strlen(name));
    lower(m->from_addr);
  }
  g_object_unref(l);
}

static void refs_field(ctx_t *c, const char *v, char (*out)[WD_MAIL_ID_MAX],
                       size_t max, size_t *n) {
  GMimeReferences *r = g_mime_references_parse(c->opts, v);
  *n = 0;
  if (!r)
    return;
  int count = g_mime_references_length(r);
  for (int i = 0; i < count; i++) {
    if (*n == max) {
      c->m->truncated = max > 1;
      break;
    }
    out[*n][0] = '\0';
    put_id(out[*n], g_mime_references_get_message_id(r, i));
    if (out[*n][0])
      (*n)++;
  }
  g_mime_references_free(r);
}

/* One field of the top-level header section; a repeated field replaces
 * what an earlier one said. */
static void field(ctx_t *c, GMimeHeader *h) {
  wd_mail_t *m = c->m;
  const char *name = g_mime_header_get_name(h);
  if (!name)
    return;
  if (!g_ascii_strcasecmp(name, "message-id")) {
    char *id = g_mime_utils_decode_message_id(value_of(c, h));
    m->message_id[0] = '\0';
    if (id)
      put_id(m->message_id, id);
    g_free(id);
  } else if (!g_ascii_strcasecmp(name, "in-reply-to")) {
    size_t n;
    m->in_reply_to[0] = '\0';
    refs_field(c, value_of(c, h), &m->in_reply_to, 1, &n);
  } else if (!g_ascii_strcasecmp(name, "references")) {
    refs_field(c, value_of(c, h), m->refs, WD_MAIL_REFS_MAX, &m->n_refs);
  } else if (!g_ascii_strcasecmp(name, "subject")) {
    char *s = g_mime_utils_header_decode_text(c->opts, value_of(c, h));
    copy_clean(m->subject, sizeof m->subject, s ? s : "", s ? strlen(s) : 0);
    g_free(s);
  } else if (!g_ascii_strcasecmp(name, "from")) {
    from_field(c, value_of(c, h));
  } else if (!g_ascii_strcasecmp(name, "date")) {
    m->date_ns = wd_mail_parse_date(value_of(c, h));
  } else if (!g_ascii_strcasecmp(name, "auto-submitted")) {
    token(m->auto_submitted, sizeof m->auto_submitted, value_of(c, h));
  } else if (!g_ascii_strcasecmp(name, "precedence")) {
    token(m->precedence, sizeof m->precedence, value_of(c, h));
  } else if (!g_ascii_strcasecmp(name, "x-autoreply") ||
             !g_ascii_strcasecmp(name, "x-autorespond") ||
             !g_ascii_strcasecmp(name, "x-autogenerated") ||
             !g_ascii_strcasecmp(name, "x-auto-reply") ||
             !g_ascii_strcasecmp(name, "x-autoreply-from") ||
             !g_ascii_strcasecmp(name, "x-mail-autoreply") ||
             !g_ascii_strcasecmp(name, "x-fc-machinegenerated")) {
    m->x_autoreply = true;
  } else if (!g_ascii_strcasecmp(name, "x-auto-response-suppress")) {
    /* Exchange sets it on its own automatic messages (OOF, AutoReply) */
    const char *v = value_of(c, h);
    if (contains_ci(v, "all") || contains_ci(v, "oof") ||
        contains_ci(v, "autoreply"))
      m->x_auto_response_suppress = true;
  } else if (!g_ascii_strcasecmp(name, "return-path")) {
    if (!strncmp(value_of(c, h), "<>", 2))
      m->null_return_path = true;
  }
}

/* --- bodies ---------------------------------------------------------------*/

static bool is_type(GMimeContentType *ct, const char *type, const char *sub) {
  return ct && g_mime_content_type_is_type(ct, type, sub);
}

/* Walks the MIME tree (depth and parts bounded): notes delivery reports
 * and attachments and picks the part the body comes from. Attached
 * messages (message/rfc822) are not entered: their text is not the
 * reply's. */
static void walk(ctx_t *c, GMimeObject *o, int depth) {
  wd_mail_t *m = c->m;
  GMimeContentType *ct = g_mime_object_get_content_type(o);
  if (GMIME_IS_MULTIPART(o)) {
    GMimeMultipart *mp = GMIME_MULTIPART(o);
    if (is_type(ct, "multipart", "report")) {
      const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
      if (rt && !g_ascii_strcasecmp(rt, "delivery-status"))
        m->report_dsn = true;
    }
    if (depth >= WD_MAIL_DEPTH_MAX) {
      m->truncated = true;
      return;
    }
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; i++) {
      if (++c->parts > WD_MAIL_PARTS_MAX) {
        m->truncated = true;
        return;
      }
      walk(c, g_mime_multipart_get_part(mp, i), depth + 1);
    }
    return;
  }
  if (!GMIME_IS_PART(o))
    return;
  GMimePart *part = GMIME_PART(o);
  if (is_type(ct, "message", "delivery-status") ||
      is_type(ct, "message", "global-delivery-status"))
    m->report_dsn = true;
  GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
  bool attached = cd && g_mime_content_disposition_is_attachment(cd);
  const char *fn = g_mime_part_get_filename(part);
  if (attached || (fn && *fn)) {
    m->n_attachments++;
    if (!m->attachment_name[0] && fn)
      copy_clean(m->attachment_name, sizeof m->attachment_name, fn, strlen(fn));
  }
  bool html = is_type(ct, "text", "html");
  if (!html && !is_type(ct, "text", "plain"))
    return;
  int score = (attached ? 2 : 0) + (html ? 1 : 0);
  if (!c->text || score < c->text_score) {
    c->text = part;
    c->text_score = score;
  }
}

static bool is_utf8(const char *cs) {
  return !g_ascii_strcasecmp(cs, "utf-8") || !g_ascii_strcasecmp(cs, "utf8");
}

static bool is_ascii(const char *cs) {
  return !g_ascii_strcasecmp(cs, "us-ascii") ||
         !g_ascii_strcasecmp(cs, "ascii");
}

/* Valid UTF-8, allowing the excerpt to end inside a character. */
static bool utf8_text(const char *s, size_t n) {
  const gchar *end;
  if (g_utf8_validate(s, (gssize)n, &end))
    return true;
  size_t at = (size_t)(end - s), tail = n - at;
  unsigned char lead = (unsigned char)s[at];
  if (tail >= 4 || lead < 0xC2 || lead > 0xF4)
    return false;
  for (size_t i = at + 1; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      return false;
  return true;
}

/* Decodes the chosen part into m->body: transfer encoding undone and
 * line ends made LF by GMime filters, at most WD_MAIL_BODY_MAX bytes of
 * it read; then the
 * declared charset through iconv (undeclared 8-bit text: UTF-8 if valid,
 * else the fallback charsets); HTML made readable; cleaned. */
static void take_text(ctx_t *c) {
  wd_mail_t *m = c->m;
  GMimeDataWrapper *w = g_mime_part_get_content(c->text);
  GMimeStream *src = w ? g_mime_data_wrapper_get_stream(w) : NULL;
  if (!src)
    return;
  GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
  GMimeStream *f = g_mime_stream_filter_new(src);
  if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
      enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      enc == GMIME_CONTENT_ENCODING_UUENCODE) {
    GMimeFilter *dec = g_mime_filter_basic_new(enc, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
    g_object_unref(dec);
  }
  GMimeFilter *lf = g_mime_filter_dos2unix_new(FALSE); /* CRLF -> LF */
  g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), lf);
  g_object_unref(lf);
  g_mime_stream_reset(f);
  size_t n = 0, cap = sizeof m->scratch_raw;
  char *raw = (char *)m->scratch_raw;
  while (n < cap) {
    ssize_t r = g_mime_stream_read(f, raw + n, cap - n);
    if (r <= 0)
      break;
    n += (size_t)r;
  }
  if (n == cap) {
    char more;
    if (g_mime_stream_read(f, &more, 1) > 0)
      m->truncated = true;
  }
  g_object_unref(f);

  const char *cs = g_mime_object_get_content_type_parameter(
      GMIME_OBJECT(c->text), "charset");
  char *conv = NULL;
  if (cs && !is_utf8(cs) && !is_ascii(cs)) {
    iconv_t cd = g_mime_iconv_open("UTF-8", cs);
    if (cd != (iconv_t)-1) {
      conv = g_mime_iconv_strndup(cd, raw, n);
      g_mime_iconv_close(cd);
    }
    if (!conv)
      m->malformed++; /* unknown charset: the bytes are cleaned as UTF-8 */
  } else if ((!cs || is_ascii(cs)) &&
             g_mime_utils_text_is_8bit((const unsigned char *)raw, n) &&
             !utf8_text(raw, n)) {
    conv = g_mime_utils_decode_8bit(c->opts, raw, n);
  }
  const char *text = conv ? conv : raw;
  size_t tl = conv ? strlen(conv) : n;
  if (is_type(g_mime_object_get_content_type(GMIME_OBJECT(c->text)), "text",
              "html")) {
    bool cut = false;
    tl = wd_mail_html_text(text, tl, m->scratch_utf, sizeof m->scratch_utf,
                           &cut);
    text = m->scratch_utf;
    m->truncated |= cut;
  }
  m->body_len = wd_notice_clean(text, tl, m->body, sizeof m->body, 0);
  g_free(conv);
}

/* --- classification
 * ---------------------------------------------------------*/

static void classify(wd_mail_t *m) {
  static const char *const auto_subjects[] = {"auto:",
                                              "autoreply",
                                              "auto-reply",
                                              "auto reply",
                                              "automatic reply",
                                              "automatische antwort",
                                              "out of office",
                                              "out of the office",
                                              "ooo:",
                                              "abwesenheit",
                                              "absence",
                                              "r\xc3\xa9ponse automatique",
                                              "respuesta autom",
                                              "risposta automatica",
                                              "ticket created",
                                              "[rt]",
                                              "has been received",
                                              "we have received your",
                                              "acknowledgement",
                                              "acknowledgment",
                                              "auto-response"};
  static const char *const bounce_subjects[] = {
      "undelivered mail",     "delivery status notification",
      "mail delivery failed", "returned mail",
      "undeliverable",        "delivery failure",
      "failure notice"};
  static const char *const auto_body[] = {
      "this is an automated",    "this is an automatic",
      "automatically generated", "auto-generated",
      "do not reply to this",    "this message was generated automatically"};
  m->kind = WD_MAIL_HUMAN;
  m->kind_reason = NULL;
  char local[WD_MAIL_ID_MAX];
  size_t ll = strcspn(m->from_addr, "@");
  memcpy(local, m->from_addr, ll);
  local[ll] = '\0';

  if (m->report_dsn) {
    m->kind = WD_MAIL_BOUNCE;
    m->kind_reason = "multipart/report delivery-status (RFC 3464)";
    return;
  }
  if (!strcmp(local, "mailer-daemon") || !strcmp(local, "postmaster")) {
    m->kind = WD_MAIL_BOUNCE;
    m->kind_reason = "from mailer-daemon/postmaster";
    return;
  }
  for (size_t i = 0; i < sizeof bounce_subjects / sizeof *bounce_subjects;
       i++) {
    if (contains_ci(m->subject, bounce_subjects[i]) && m->null_return_path) {
      m->kind = WD_MAIL_BOUNCE;
      m->kind_reason = "delivery failure subject, null Return-Path";
      return;
    }
  }
  m->kind = WD_MAIL_AUTO;
  if (m->auto_submitted[0] && strcmp(m->auto_submitted, "no") != 0) {
    m->kind_reason = "Auto-Submitted (RFC 3834)";
    return;
  }
  if (m->x_autoreply) {
    m->kind_reason = "X-Autoreply or similar header";
    return;
  }
  if (m->x_auto_response_suppress) {
    m->kind_reason = "X-Auto-Response-Suppress (Exchange automatic reply)";
    return;
  }
  if (!strcmp(m->precedence, "auto_reply") || !strcmp(m->precedence, "bulk") ||
      !strcmp(m->precedence, "junk") || !strcmp(m->precedence, "list")) {
    m->kind_reason = "Precedence: bulk/junk/list/auto_reply";
    return;
  }
  if (m->null_return_path) {
    m->kind_reason = "null Return-Path";
    return;
  }
  if (contains_ci(local, "noreply") || contains_ci(local, "no-reply") ||
      contains_ci(local, "donotreply") || contains_ci(local, "do-not-reply")) {
    m->kind_reason = "from a no-reply address";
    return;
  }
  for (size_t i = 0; i < sizeof auto_subjects / sizeof *auto_subjects; i++) {
    if (contains_ci(m->subject, auto_subjects[i])) {
      m->kind_reason = "automatic-reply or ticket subject";
      return;
    }
  }
  /* "Ticket #1234 created", "[#1234] ... received" */
  const char *t = m->subject;
  while ((t = strchr(t, '#'))) {
    t++;
    if (isdigit((unsigned char)*t) &&
        (contains_ci(t, "created") || contains_ci(t, "received") ||
         contains_ci(t, "opened"))) {
      m->kind_reason = "ticket acknowledgement subject";
      return;
    }
  }
  char head[1024];
  size_t hn = m->body_len < sizeof head - 1 ? m->body_len : sizeof head - 1;
  memcpy(head, m->body, hn);
  head[hn] = '\0';
  for (size_t i = 0; i < sizeof auto_body / sizeof *auto_body; i++) {
    if (contains_ci(head, auto_body[i])) {
      m->kind_reason = "automatically generated body";
      return;
    }
  }
  m->kind = WD_MAIL_HUMAN;
}

static void find_ref(wd_mail_t *m) {
  m->ref[0] = '\0';
  m->ref_source = NULL;
  if (m->in_reply_to[0] && wd_mail_ref_of_msgid(m->in_reply_to, m->ref)) {
    m->ref_source = "in-reply-to";
    return;
  }
  for (size_t i = 0; i < m->n_refs; i++) {
    if (wd_mail_ref_of_msgid(m->refs[i], m->ref)) {
      m->ref_source = "references";
      return;
    }
  }
  if (wd_mail_find_ref(m->subject, strlen(m->subject), m->ref)) {
    m->ref_source = "subject";
    return;
  }
  if (wd_mail_find_ref(m->body, m->body_len, m->ref)) {
    m->ref_source = "body";
    return;
  }
}

/* Offset of the first line of p that looks like a header field ("name:",
 * also the obsolete "name :"); the lines before it are skipped, counted as
 * malformed except an mbox "From " line at the start. Stops at an empty
 * line (no header section) and after WD_MAIL_HEADER_MAX bytes. */
static size_t first_field(const uint8_t *p, size_t len, uint32_t *malformed) {
  size_t i = 0;
  while (i < len && i < WD_MAIL_HEADER_MAX) {
    const uint8_t *nl = memchr(p + i, '\n', len - i);
    size_t le = nl ? (size_t)(nl - p) : len;
    size_t next = nl ? le + 1 : len;
    if (le > i && p[le - 1] == '\r')
      le--;
    if (le == i)
      return i;
    size_t k = i;
    while (k < le && p[k] > 32 && p[k] < 127 && p[k] != ':')
      k++;
    size_t name_end = k;
    while (k < le && (p[k] == ' ' || p[k] == '\t'))
      k++;
    if (name_end > i && k < le && p[k] == ':')
      return i;
    if (!(i == 0 && le - i >= 5 && !memcmp(p, "From ", 5)))
      (*malformed)++;
    i = next;
  }
  return i;
}

wd_rc wd_mail_parse(const uint8_t *p, size_t len, wd_mail_t *m) {
  static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
  memset(m, 0, offsetof(wd_mail_t, body));
  m->body[0] = '\0';
  m->body_len = 0;
  m->n_attachments = 0;
  m->attachment_name[0] = '\0';
  m->ref[0] = '\0';
  m->ref_source = NULL;
  m->kind = WD_MAIL_HUMAN;
  m->kind_reason = NULL;
  m->n_fields = m->malformed = 0;
  m->truncated = false;
  if (!p)
    len = 0;
  size_t start = p ? first_field(p, len, &m->malformed) : 0;

  wd_mail_gmime_init();
  ctx_t cx, *c = &cx;
  memset(c, 0, sizeof *c);
  c->m = m;
  c->opts = g_mime_parser_options_new();
  g_mime_parser_options_set_warning_callback(c->opts, warned, m);
  g_mime_parser_options_set_fallback_charsets(c->opts, fallback);
  GMimeStream *s = wd_mail_stream_new(p ? p + start : NULL, len - start,
                                      WD_MAIL_STREAM_MESSAGE);
  GMimeParser *ps = g_mime_parser_new_with_stream(s);
  g_mime_parser_set_format(ps, GMIME_FORMAT_MESSAGE);
  GMimeMessage *msg = g_mime_parser_construct_message(ps, c->opts);
  if (wd_mail_stream_cuts(s))
    m->truncated = true;
  wd_rc rc = WD_ERR_INVAL;
  if (msg) {
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    if (n > WD_MAIL_FIELDS_MAX) {
      n = WD_MAIL_FIELDS_MAX;
      m->truncated = true;
    }
    for (int i = 0; i < n; i++)
      field(c, g_mime_header_list_get_header_at(hl, i));
    m->n_fields = (uint32_t)n;
  }
  if (msg && m->n_fields) {
    GMimeObject *top = g_mime_message_get_mime_part(msg);
    GMimeContentType *ct = top ? g_mime_object_get_content_type(top) : NULL;
    char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    snprintf(m->content_type, sizeof m->content_type, "%s",
             type ? type : "text/plain");
    lower(m->content_type);
    g_free(type);
    if (top)
      walk(c, top, 0);
    if (c->text)
      take_text(c);
    classify(m);
    find_ref(m);
    rc = WD_OK;
  }
  if (msg)
    g_object_unref(msg);
  g_object_unref(ps);
  g_object_unref(s);
  g_mime_parser_options_free(c->opts);
  return rc;
}
