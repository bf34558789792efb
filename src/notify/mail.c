/* mail.c -- bounded parser of received mail and reply classification
 * (see mail.h). Written from RFC 5322 (format), RFC 2045-2047 (MIME,
 * encoded words), RFC 3834 (Auto-Submitted) and RFC 3464 (DSN).
 * Every loop is bounded by the input length and by the limits of mail.h;
 * every string stored is cleaned to valid UTF-8 by wd_notice_clean(). */
#include "notify/mail.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "notify/codec.h"
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

/* Latin-1 (and windows-1252 approximately) to UTF-8. */
static size_t latin1_to_utf8(const uint8_t *in, size_t n, char *out,
                             size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = in[i];
    if (c < 0x80) {
      if (o + 1 >= cap)
        break;
      out[o++] = (char)c;
    } else {
      if (o + 2 >= cap)
        break;
      out[o++] = (char)(0xC0 | (c >> 6));
      out[o++] = (char)(0x80 | (c & 0x3F));
    }
  }
  return o;
}

static bool charset_latin1(const char *cs) {
  return !strcasecmp(cs, "iso-8859-1") || !strcasecmp(cs, "latin1") ||
         !strcasecmp(cs, "iso-8859-15") || !strcasecmp(cs, "windows-1252") ||
         !strcasecmp(cs, "cp1252") || !strcasecmp(cs, "iso_8859-1");
}

static int hexv(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* --- RFC 2047 encoded words ------------------------------------------- */

/* strstr that looks at most max characters of s (stops at its NUL). */
static const char *find_bounded(const char *s, const char *needle, size_t max) {
  size_t nl = strlen(needle);
  for (size_t i = 0; i < max && s[i]; i++)
    if (!strncmp(s + i, needle, nl))
      return s + i;
  return NULL;
}

/* Decodes encoded words in s into out (raw bytes, cleaned later). */
static size_t decode_words(const char *s, char *out, size_t cap,
                           uint32_t *malformed) {
  size_t o = 0;
  const char *p = s;
  bool last_was_word = false;
  while (*p && o + 1 < cap) {
    if (p[0] == '=' && p[1] == '?') {
      const char *cs = p + 2, *q1 = find_bounded(cs, "?", 40);
      if (q1 && q1[1] && q1[2] == '?') {
        char enc = (char)toupper((unsigned char)q1[1]);
        const char *txt = q1 + 3, *end = find_bounded(txt, "?=", 1024);
        if (end && (enc == 'B' || enc == 'Q')) {
          char charset[40];
          uint8_t raw[800];
          size_t rn = 0;
          memcpy(charset, cs, (size_t)(q1 - cs));
          charset[q1 - cs] = '\0';
          char *star = strchr(charset, '*'); /* RFC 2231 language */
          if (star)
            *star = '\0';
          if (enc == 'B') {
            rn = wd_codec_base64_decode(txt, (size_t)(end - txt), raw,
                                        sizeof raw);
          } else {
            for (const char *t = txt; t < end && rn < sizeof raw; t++) {
              if (*t == '_') {
                raw[rn++] = ' ';
              } else if (*t == '=' && t + 2 < end && hexv(t[1]) >= 0 &&
                         hexv(t[2]) >= 0) {
                raw[rn++] = (uint8_t)(hexv(t[1]) << 4 | hexv(t[2]));
                t += 2;
              } else {
                raw[rn++] = (uint8_t)*t;
              }
            }
          }
          /* whitespace between adjacent encoded words is dropped */
          if (last_was_word) {
            while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
              o--;
          }
          if (charset_latin1(charset)) {
            o += latin1_to_utf8(raw, rn, out + o, cap - o);
          } else {
            size_t n = rn < cap - 1 - o ? rn : cap - 1 - o;
            memcpy(out + o, raw, n);
            o += n;
          }
          p = end + 2;
          last_was_word = true;
          continue;
        }
      }
      (*malformed)++;
    }
    if (*p != ' ' && *p != '\t')
      last_was_word = false;
    out[o++] = *p++;
  }
  out[o] = '\0';
  return o;
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

/* Extracts "<...>" ids from v: up to max into ids, returns count. */
static size_t msg_ids(const char *v, char (*ids)[WD_MAIL_ID_MAX], size_t max,
                      bool *truncated) {
  size_t n = 0;
  const char *p = v;
  while ((p = strchr(p, '<'))) {
    const char *e = p + 1;
    while (*e && *e != '>' && *e != '<' && (unsigned char)*e > 0x20)
      e++;
    if (*e != '>') {
      p = e;
      continue;
    }
    size_t l = (size_t)(e - p + 1);
    if (l > 2 && l < WD_MAIL_ID_MAX) {
      if (n == max) {
        *truncated = true;
        break;
      }
      copy_clean(ids[n], WD_MAIL_ID_MAX, p, l);
      n++;
    }
    p = e + 1;
  }
  return n;
}

/* --- dates -------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static const char *read_int(const char *s, int maxdig, int *v) {
  int n = 0, d = 0;
  while (d < maxdig && isdigit((unsigned char)s[d])) {
    n = n * 10 + (s[d] - '0');
    d++;
  }
  if (!d)
    return NULL;
  *v = n;
  return s + d;
}

uint64_t wd_mail_parse_date(const char *s) {
  static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                    "jul", "aug", "sep", "oct", "nov", "dec"};
  int day, year, hh, mm, ss = 0, month = -1;
  const char *p = skip_ws(s);
  if (isalpha((unsigned char)*p)) { /* day name */
    while (isalpha((unsigned char)*p))
      p++;
    p = skip_ws(p);
    if (*p == ',')
      p++;
    p = skip_ws(p);
  }
  if (!(p = read_int(p, 2, &day)))
    return 0;
  p = skip_ws(p);
  for (int i = 0; i < 12; i++)
    if (strncasecmp(p, mon[i], 3) == 0)
      month = i + 1;
  if (month < 0)
    return 0;
  while (isalpha((unsigned char)*p))
    p++;
  p = skip_ws(p);
  const char *y0 = p;
  if (!(p = read_int(p, 4, &year)))
    return 0;
  if (p - y0 == 2)
    year += year < 50 ? 2000 : 1900;
  else if (p - y0 == 3)
    year += 1900;
  p = skip_ws(p);
  if (!(p = read_int(p, 2, &hh)) || *p != ':' || !(p = read_int(p + 1, 2, &mm)))
    return 0;
  if (*p == ':' && !(p = read_int(p + 1, 2, &ss)))
    return 0;
  p = skip_ws(p);
  int off = 0; /* minutes east of UTC */
  if (*p == '+' || *p == '-') {
    int z;
    const char *z0 = p + 1;
    if (read_int(z0, 4, &z) && isdigit((unsigned char)z0[3])) {
      off = (z / 100) * 60 + z % 100;
      if (*p == '-')
        off = -off;
    }
  } else {
    static const struct {
      const char *n;
      int h;
    } zones[] = {{"EDT", -4}, {"EST", -5}, {"CDT", -5}, {"CST", -6},
                 {"MDT", -6}, {"MST", -7}, {"PDT", -7}, {"PST", -8}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
      if (!strncasecmp(p, zones[i].n, 3))
        off = zones[i].h * 60;
  }
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970 ||
      year > 9999)
    return 0;
  int64_t days = days_from_civil(year, (unsigned)month, (unsigned)day);
  int64_t t = days * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)off * 60;
  if (t < 0)
    return 0;
  return (uint64_t)t * 1000000000ull;
}

/* --- header sections ------------------------------------------------------ */

typedef void (*field_fn)(void *user, const char *name, const char *value);

/* Walks the header section of p[0..len): calls fn per field (unfolded,
 * name lowercased); returns the offset of the body. */
static size_t headers(const uint8_t *p, size_t len, field_fn fn, void *user,
                      uint32_t *nfields, uint32_t *malformed, bool *truncated) {
  char name[80], val[WD_MAIL_VALUE_MAX];
  size_t vl = 0, i = 0;
  bool have = false;
  size_t lim = len < WD_MAIL_HEADER_MAX ? len : WD_MAIL_HEADER_MAX;
  while (i < lim) {
    size_t e = i;
    while (e < lim && p[e] != '\n')
      e++;
    size_t le = e; /* line is p[i..le) without CR/LF */
    if (le > i && p[le - 1] == '\r')
      le--;
    size_t next = e < lim ? e + 1 : e;
    if (le == i) { /* empty line: end of headers */
      if (have)
        fn(user, name, val);
      return next;
    }
    if (p[i] == ' ' || p[i] == '\t') { /* continuation */
      if (have) {
        size_t n = le - i;
        if (n > sizeof val - 1 - vl) {
          n = sizeof val - 1 - vl;
          *truncated = true;
        }
        memcpy(val + vl, p + i, n);
        vl += n;
        val[vl] = '\0';
      } else {
        (*malformed)++;
      }
      i = next;
      continue;
    }
    if (have) {
      fn(user, name, val);
      have = false;
    }
    size_t c = i;
    while (c < le && p[c] != ':' && p[c] > 32 && p[c] < 127)
      c++;
    if (c == le || p[c] != ':' || c == i || c - i >= sizeof name) {
      if (!(i == 0 && le - i >= 5 && !memcmp(p, "From ", 5)))
        (*malformed)++; /* not a field (an mbox "From " line is fine) */
      i = next;
      continue;
    }
    if (*nfields >= WD_MAIL_FIELDS_MAX) {
      *truncated = true;
      return len; /* give up on this message's remaining headers */
    }
    (*nfields)++;
    memcpy(name, p + i, c - i);
    name[c - i] = '\0';
    lower(name);
    size_t vs = c + 1;
    while (vs < le && (p[vs] == ' ' || p[vs] == '\t'))
      vs++;
    vl = le - vs;
    if (vl > sizeof val - 1) {
      vl = sizeof val - 1;
      *truncated = true;
    }
    memcpy(val, p + vs, vl);
    val[vl] = '\0';
    /* NUL bytes would cut the value short: make them spaces */
    for (size_t k = 0; k < vl; k++)
      if (!val[k])
        val[k] = ' ';
    have = true;
    i = next;
  }
  if (i >= WD_MAIL_HEADER_MAX && len > WD_MAIL_HEADER_MAX)
    *truncated = true;
  if (have)
    fn(user, name, val);
  return len; /* no body */
}

/* MIME parameters of a Content-Type value. */
typedef struct part {
  char type[96]; /* "text/plain", lowercase */
  char boundary[128];
  char charset[40];
  char cte[32]; /* content-transfer-encoding, lowercase */
  char report_type[40];
} part_t;

static void param(const char *v, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  for (const char *p = strchr(v, ';'); p; p = strchr(p + 1, ';')) {
    const char *k = skip_ws(p + 1);
    if (strncasecmp(k, key, kl) != 0 || k[kl] != '=')
      continue;
    const char *s = k + kl + 1;
    size_t n = 0;
    if (*s == '"') {
      s++;
      while (s[n] && s[n] != '"')
        n++;
    } else {
      while (s[n] && s[n] != ';' && s[n] != ' ' && s[n] != '\t')
        n++;
    }
    if (n >= cap)
      n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return;
  }
}

static void content_type(part_t *pt, const char *v) {
  size_t n = strcspn(v, "; \t");
  if (n >= sizeof pt->type)
    n = sizeof pt->type - 1;
  memcpy(pt->type, v, n);
  pt->type[n] = '\0';
  lower(pt->type);
  param(v, "boundary", pt->boundary, sizeof pt->boundary);
  param(v, "charset", pt->charset, sizeof pt->charset);
  param(v, "report-type", pt->report_type, sizeof pt->report_type);
  lower(pt->report_type);
}

static void part_field(void *user, const char *name, const char *v) {
  part_t *pt = user;
  if (!strcmp(name, "content-type")) {
    content_type(pt, v);
  } else if (!strcmp(name, "content-transfer-encoding")) {
    size_t n = strcspn(v, " \t;");
    if (n >= sizeof pt->cte)
      n = sizeof pt->cte - 1;
    memcpy(pt->cte, v, n);
    pt->cte[n] = '\0';
    lower(pt->cte);
  }
}

typedef struct top {
  wd_mail_t *m;
  part_t part;
} top_t;

static void top_field(void *user, const char *name, const char *v) {
  top_t *t = user;
  wd_mail_t *m = t->m;
  char tmp[WD_MAIL_VALUE_MAX];
  part_field(&t->part, name, v);
  if (!strcmp(name, "message-id")) {
    char ids[1][WD_MAIL_ID_MAX];
    if (msg_ids(v, ids, 1, &m->truncated))
      memcpy(m->message_id, ids[0], WD_MAIL_ID_MAX);
  } else if (!strcmp(name, "in-reply-to")) {
    char ids[1][WD_MAIL_ID_MAX];
    if (msg_ids(v, ids, 1, &m->truncated))
      memcpy(m->in_reply_to, ids[0], WD_MAIL_ID_MAX);
  } else if (!strcmp(name, "references")) {
    m->n_refs = msg_ids(v, m->refs, WD_MAIL_REFS_MAX, &m->truncated);
  } else if (!strcmp(name, "subject")) {
    decode_words(v, tmp, sizeof tmp, &m->malformed);
    copy_clean(m->subject, sizeof m->subject, tmp, strlen(tmp));
  } else if (!strcmp(name, "from")) {
    const char *lt = strrchr(v, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt) {
      copy_clean(m->from_addr, sizeof m->from_addr, lt + 1,
                 (size_t)(gt - lt - 1));
      size_t nl = (size_t)(lt - v);
      char nm[WD_MAIL_ID_MAX];
      if (nl >= sizeof nm)
        nl = sizeof nm - 1;
      memcpy(nm, v, nl);
      nm[nl] = '\0';
      decode_words(nm, tmp, sizeof tmp, &m->malformed);
      /* strip quotes and spaces */
      char *s = tmp, *e = tmp + strlen(tmp);
      while (*s == ' ' || *s == '"')
        s++;
      while (e > s && (e[-1] == ' ' || e[-1] == '"'))
        e--;
      copy_clean(m->from_name, sizeof m->from_name, s, (size_t)(e - s));
    } else {
      size_t n = strcspn(v, " \t(,");
      copy_clean(m->from_addr, sizeof m->from_addr, v, n);
    }
    lower(m->from_addr);
  } else if (!strcmp(name, "date")) {
    m->date_ns = wd_mail_parse_date(v);
  } else if (!strcmp(name, "auto-submitted")) {
    copy_clean(m->auto_submitted, sizeof m->auto_submitted, v,
               strcspn(v, "; \t("));
    lower(m->auto_submitted);
  } else if (!strcmp(name, "precedence")) {
    copy_clean(m->precedence, sizeof m->precedence, v, strcspn(v, "; \t("));
    lower(m->precedence);
  } else if (!strcmp(name, "x-autoreply") || !strcmp(name, "x-autorespond") ||
             !strcmp(name, "x-autogenerated") ||
             !strcmp(name, "x-auto-reply") ||
             !strcmp(name, "x-autoreply-from") ||
             !strcmp(name, "x-mail-autoreply") ||
             !strcmp(name, "x-fc-machinegenerated")) {
    m->x_autoreply = true;
  } else if (!strcmp(name, "x-auto-response-suppress")) {
    /* Exchange sets it on its own automatic messages (OOF, AutoReply) */
    if (contains_ci(v, "all") || contains_ci(v, "oof") ||
        contains_ci(v, "autoreply"))
      m->x_auto_response_suppress = true;
  } else if (!strcmp(name, "return-path")) {
    const char *s = skip_ws(v);
    if (!strncmp(s, "<>", 2))
      m->null_return_path = true;
  }
}

/* --- bodies ---------------------------------------------------------------*/

/* Decodes a part body into m->body (appending, bounded). */
static void take_text(wd_mail_t *m, const uint8_t *p, size_t len,
                      const part_t *pt) {
  uint8_t *raw = m->scratch_raw;
  char *utf = m->scratch_utf;
  size_t rn = 0;
  size_t in = len < WD_MAIL_BODY_MAX * 2 ? len : WD_MAIL_BODY_MAX * 2;
  if (len > in)
    m->truncated = true;
  if (!strcmp(pt->cte, "base64")) {
    rn = wd_codec_base64_decode((const char *)p, in, raw, WD_MAIL_BODY_MAX);
  } else if (!strcmp(pt->cte, "quoted-printable")) {
    for (size_t i = 0; i < in && rn < WD_MAIL_BODY_MAX; i++) {
      if (p[i] == '=' && i + 1 < in && (p[i + 1] == '\n' || p[i + 1] == '\r')) {
        i += p[i + 1] == '\r' && i + 2 < in && p[i + 2] == '\n' ? 2 : 1;
      } else if (p[i] == '=' && i + 2 < in && hexv(p[i + 1]) >= 0 &&
                 hexv(p[i + 2]) >= 0) {
        raw[rn++] = (uint8_t)(hexv(p[i + 1]) << 4 | hexv(p[i + 2]));
        i += 2;
      } else {
        raw[rn++] = p[i];
      }
    }
  } else {
    rn = in < WD_MAIL_BODY_MAX ? in : WD_MAIL_BODY_MAX;
    memcpy(raw, p, rn);
  }
  size_t un;
  if (charset_latin1(pt->charset)) {
    un = latin1_to_utf8(raw, rn, utf, sizeof m->scratch_utf);
  } else {
    un = rn;
    memcpy(utf, raw, rn);
  }
  if (!strcmp(pt->type, "text/html")) { /* crude: drop tags */
    size_t o = 0;
    bool tag = false;
    for (size_t i = 0; i < un; i++) {
      if (utf[i] == '<')
        tag = true;
      else if (utf[i] == '>')
        tag = false;
      else if (!tag)
        utf[o++] = utf[i];
    }
    un = o;
  }
  m->body_len = wd_notice_clean(utf, un, m->body, sizeof m->body, 0);
}

/* Finds the next boundary line "--b" at or after from; returns its offset
 * or len. *after: offset after the line; *final: it was "--b--". */
static size_t next_boundary(const uint8_t *p, size_t len, size_t from,
                            const char *b, size_t *after, bool *final) {
  size_t bl = strlen(b);
  for (size_t i = from; i + 2 + bl <= len; i++) {
    if ((i == 0 || p[i - 1] == '\n') && p[i] == '-' && p[i + 1] == '-' &&
        !memcmp(p + i + 2, b, bl)) {
      size_t e = i + 2 + bl;
      *final = e + 1 < len && p[e] == '-' && p[e + 1] == '-';
      while (e < len && p[e] != '\n')
        e++;
      *after = e < len ? e + 1 : e;
      return i;
    }
  }
  return len;
}

static void walk(wd_mail_t *m, const uint8_t *p, size_t len, const part_t *pt,
                 int depth, unsigned *parts) {
  if (m->body_len && m->report_dsn)
    return;
  if (!strcmp(pt->type, "message/delivery-status"))
    m->report_dsn = true;
  if (!strncmp(pt->type, "multipart/", 10)) {
    if (!strcmp(pt->type, "multipart/report") &&
        !strcmp(pt->report_type, "delivery-status"))
      m->report_dsn = true;
    if (depth >= WD_MAIL_DEPTH_MAX || !pt->boundary[0]) {
      m->truncated |= depth >= WD_MAIL_DEPTH_MAX;
      return;
    }
    size_t after = 0, a2 = 0;
    bool final = false, f2 = false;
    size_t at = next_boundary(p, len, 0, pt->boundary, &after, &final);
    while (at < len && !final) {
      if (++*parts > WD_MAIL_PARTS_MAX) {
        m->truncated = true;
        return;
      }
      a2 = len;
      f2 = true; /* no further boundary: this part runs to the end */
      size_t nx = next_boundary(p, len, after, pt->boundary, &a2, &f2);
      size_t end = nx; /* the CRLF before the boundary belongs to it */
      if (end > after && p[end - 1] == '\n')
        end--;
      if (end > after && p[end - 1] == '\r')
        end--;
      part_t sub;
      memset(&sub, 0, sizeof sub);
      uint32_t nf = 0;
      size_t body = headers(p + after, end - after, part_field, &sub, &nf,
                            &m->malformed, &m->truncated);
      if (!sub.type[0])
        strcpy(sub.type, "text/plain");
      walk(m, p + after + body, end - after - body, &sub, depth + 1, parts);
      at = nx;
      after = a2;
      final = f2;
    }
    return;
  }
  if (m->body_len == 0 &&
      (!strcmp(pt->type, "text/plain") || !strcmp(pt->type, "text/html")))
    take_text(m, p, len, pt);
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

wd_rc wd_mail_parse(const uint8_t *p, size_t len, wd_mail_t *m) {
  top_t t;
  memset(m, 0, offsetof(wd_mail_t, body));
  m->body[0] = '\0';
  m->body_len = 0;
  m->ref[0] = '\0';
  m->ref_source = NULL;
  m->kind = WD_MAIL_HUMAN;
  m->kind_reason = NULL;
  m->n_fields = m->malformed = 0;
  m->truncated = false;
  memset(&t, 0, sizeof t);
  t.m = m;
  size_t body = headers(p, len, top_field, &t, &m->n_fields, &m->malformed,
                        &m->truncated);
  if (m->n_fields == 0)
    return WD_ERR_INVAL;
  if (!t.part.type[0])
    strcpy(t.part.type, "text/plain");
  memcpy(m->content_type, t.part.type, sizeof m->content_type);
  m->content_type[sizeof m->content_type - 1] = '\0';
  unsigned parts = 0;
  if (body < len)
    walk(m, p + body, len - body, &t.part, 0, &parts);
  classify(m);
  find_ref(m);
  return WD_OK;
}
