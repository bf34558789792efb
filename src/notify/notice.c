/* notice.c -- helpers shared by the notification formats: incident kind,
 * disclosure rules, string cleaning, time formatting, address checks.
 * In: borrowed notice fields. Out: caller buffers; nothing allocated. */
#include "notify/notice.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool eq(const char *a, const char *b) {
  return a && b && strcmp(a, b) == 0;
}

wd_notice_kind wd_notice_kind_of(const wd_notice_incident_t *n) {
  const char *t = n->rsit_type;
  if (eq(t, "system-compromise") || eq(t, "application-compromise"))
    return WD_NOTICE_COMPROMISE;
  if (eq(t, "exploit") || eq(t, "exploit-known-vuln") || eq(t, "exploitation"))
    return WD_NOTICE_EXPLOIT;
  if (eq(t, "ddos") || eq(t, "dos"))
    return WD_NOTICE_DDOS;
  if (eq(t, "scanning") || eq(t, "scan"))
    return WD_NOTICE_SCAN;
  if (eq(t, "worm") || eq(t, "infected-system"))
    return WD_NOTICE_WORM;
  return WD_NOTICE_OTHER;
}

const char *wd_notice_kind_name(wd_notice_kind k) {
  switch (k) {
  case WD_NOTICE_EXPLOIT:
    return "exploitation attempt";
  case WD_NOTICE_COMPROMISE:
    return "system compromise";
  case WD_NOTICE_DDOS:
    return "denial-of-service attack";
  case WD_NOTICE_SCAN:
    return "network scanning";
  case WD_NOTICE_WORM:
    return "worm infection";
  case WD_NOTICE_OTHER:
    break;
  }
  return "security incident";
}

const char *wd_notice_severity3(const char *s) {
  if (eq(s, "critical") || eq(s, "high"))
    return "high";
  if (eq(s, "low") || eq(s, "info"))
    return "low";
  return "medium";
}

bool wd_notice_is_internal_party(const wd_notice_incident_t *n) {
  return eq(n->party.kind, "facility-soc");
}

bool wd_notice_target_disclosed(const wd_notice_incident_t *n,
                                const wd_notice_target_t *t) {
  return wd_notice_is_internal_party(n) || !wd_addr_is_private(&t->ip);
}

size_t wd_notice_unreliable(const wd_notice_incident_t *n) {
  size_t c = 0;
  for (size_t i = 0; i < n->n_attackers; i++)
    c += !n->attackers[i].attribution_reliable;
  return c;
}

/* Decodes one UTF-8 sequence at p (avail bytes). Returns its length and
 * the code point, or 0 for an invalid/overlong/surrogate/truncated one. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp) {
  unsigned char c = p[0];
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (avail < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

static bool is_bidi_control(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

size_t wd_notice_clean(const char *in, size_t len, char *out, size_t outcap,
                       unsigned flags) {
  static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
  const unsigned char *p = (const unsigned char *)in;
  size_t o = 0, i = 0;
  if (!outcap)
    return 0;
  while (i < len) {
    uint32_t cp = 0;
    size_t n = utf8_decode(p + i, len - i, &cp);
    const char *put;
    size_t putn;
    char one;
    if (n == 0) {
      n = 1; /* skip one bad byte, emit one replacement */
      cp = 0xFFFD;
    }
    if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F))
      cp = 0xFFFD;
    if (is_bidi_control(cp)) {
      i += n;
      continue;
    }
    if (cp < 0x80) {
      one = (char)cp;
      if (cp == '\n' || cp == '\t') {
        if (flags & WD_CLEAN_ONELINE)
          one = ' ';
      } else if (cp < 0x20 || cp == 0x7F) {
        one = ' ';
      }
      put = &one;
      putn = 1;
    } else if (flags & WD_CLEAN_ASCII) {
      one = '?';
      put = &one;
      putn = 1;
    } else if (cp == 0xFFFD) {
      put = repl;
      putn = 3;
    } else {
      put = (const char *)p + i;
      putn = n;
    }
    if (putn > outcap - 1 - o)
      break;
    memcpy(out + o, put, putn);
    o += putn;
    i += n;
  }
  out[o] = '\0';
  return o;
}

const char *wd_notice_cleans(const char *s, char out[WD_NOTICE_STR_MAX],
                             unsigned flags, const char *dflt) {
  if (!s)
    return dflt;
  size_t n = wd_notice_clean(s, strlen(s), out, WD_NOTICE_STR_MAX, flags);
  /* all blanks count as nothing */
  for (size_t i = 0; i < n; i++)
    if (out[i] != ' ')
      return out;
  return dflt;
}

static bool utc(uint64_t ns, struct tm *tm) {
  time_t t = (time_t)(ns / 1000000000ull);
  return gmtime_r(&t, tm) != NULL;
}

char *wd_notice_time_iso(uint64_t ns, char *out, size_t outlen) {
  struct tm tm;
  if (!utc(ns, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, outlen, "1970-01-01T00:00:00Z");
  return out;
}

char *wd_notice_time_human(uint64_t ns, char *out, size_t outlen) {
  struct tm tm;
  if (!utc(ns, &tm) || !strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm))
    snprintf(out, outlen, "1970-01-01 00:00:00 UTC");
  return out;
}

bool wd_notice_email_ok(const char *a) {
  if (!a)
    return false;
  size_t at = 0, n = 0, ats = 0;
  for (const char *p = a; *p; p++, n++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c >= 0x7F || strchr("<>()[]\\,;:\"", c))
      return false;
    if (c == '@')
      ats++, at = n;
  }
  return ats == 1 && at > 0 && at + 1 < n && n <= 254;
}

bool wd_notice_country_ok(const char *cc) {
  return cc && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' &&
         cc[2] == '\0';
}

bool wd_notice_sha256_ok(const char *h) {
  if (!h)
    return false;
  size_t n = 0;
  for (; h[n]; n++) {
    char c = h[n];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
          (c >= 'A' && c <= 'F')))
      return false;
  }
  return n == 64;
}

const char *wd_notice_basename(const char *path) {
  if (!path)
    return NULL;
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

void wd_notice_catf(char *buf, size_t cap, size_t *o, const char *fmt, ...) {
  if (!cap)
    return;
  if (*o >= cap)
    *o = cap - 1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *o, cap - *o, fmt, ap);
  va_end(ap);
  if (n > 0)
    *o = (size_t)n >= cap - *o ? cap - 1 : *o + (size_t)n;
}
