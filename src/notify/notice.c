/* notice.c -- helpers shared by the notification formats: incident kind,
 * disclosure rules, string cleaning, time formatting, address checks.
 * In: borrowed notice fields. Out: caller buffers; nothing allocated. */
#include "notify/notice.h"

#include "core/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "detect/detector.h"

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
  if (eq(t, "scanning") || eq(t, "scan") || eq(t, "scanner"))
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

static bool in_nets(const wd_cidr_t *v, size_t nv, const wd_addr_t *a) {
  for (size_t i = 0; v && i < nv; i++)
    if (wd_cidr_contains(&v[i], a))
      return true;
  return false;
}

static bool is_target(const wd_notice_incident_t *n, const wd_addr_t *a) {
  for (size_t i = 0; i < n->n_targets; i++)
    if (wd_addr_eq(&n->targets[i].ip, a))
      return true;
  return false;
}

bool wd_notice_addr_withheld(const wd_notice_incident_t *n,
                             const wd_addr_t *a) {
  const wd_notice_privacy_t *pv = n->privacy;
  bool internal =
      pv ? in_nets(pv->internal, pv->n_internal, a) : wd_addr_is_private(a);
  internal = internal || is_target(n, a);
  if (!internal)
    return false;
  if (wd_notice_is_internal_party(n))
    return pv && !pv->own_all && !in_nets(pv->own, pv->n_own, a);
  return true;
}

bool wd_notice_target_disclosed(const wd_notice_incident_t *n,
                                const wd_notice_target_t *t) {
  return !wd_notice_addr_withheld(n, &t->ip);
}

bool wd_notice_name_disclosed(const wd_notice_incident_t *n,
                              const char *facility) {
  if (!facility || !*facility)
    return true;
  if (!wd_notice_is_internal_party(n))
    return false;
  const wd_notice_privacy_t *pv = n->privacy;
  if (!pv || pv->own_all)
    return true;
  for (size_t i = 0; i < pv->n_own_names; i++)
    if (eq(pv->own_names[i], facility))
      return true;
  return false;
}

const char *wd_notice_evidence_policy(const wd_notice_incident_t *n) {
  const char *e = n->party.evidence;
  bool soc = wd_notice_is_internal_party(n);
  if (eq(e, "omit") || eq(e, "rewrite"))
    return e;
  if (eq(e, "full") && soc)
    return e;
  return soc && !e ? "full" : "rewrite";
}

const char *wd_notice_evidence_name(const wd_notice_incident_t *n) {
  return n->evidence_name ? n->evidence_name
                          : wd_notice_basename(n->evidence_path);
}

void wd_notice_intel_line(const wd_notice_intel_t *e, char *out, size_t len) {
  char v[WD_NOTICE_STR_MAX], f[WD_NOTICE_STR_MAX], r[WD_NOTICE_STR_MAX];
  char a[40], b[40];
  wd_time_str(e->first_ns, WD_TIME_RFC3339, a, sizeof a);
  wd_time_str(e->last_ns > e->first_ns ? e->last_ns : e->first_ns,
              WD_TIME_RFC3339, b, sizeof b);
  const char *ref = wd_notice_cleans(e->ref, r, WD_CLEAN_ONELINE, "");
  snprintf(out, len,
           "%s %s, listed in feed %s%s%s%s, seen in %s: %llu "
           "alert(s), %s .. %s",
           e->type ? e->type : "indicator",
           wd_notice_cleans(e->value, v, WD_CLEAN_ONELINE, "?"),
           wd_notice_cleans(e->feed, f, WD_CLEAN_ONELINE, "?"),
           ref[0] ? " (" : "", ref, ref[0] ? ")" : "",
           e->field && e->field[0] ? e->field : "traffic",
           (unsigned long long)e->count, a, b);
}

void wd_notice_describe(const wd_notice_incident_t *n, char *out, size_t len) {
  char sec[WD_NOTICE_STR_MAX], kind[64];
  const char *sector = NULL;
  for (size_t i = 0; i < n->n_targets && !sector; i++)
    sector = n->targets[i].sector;
  sector = wd_notice_cleans(sector, sec, WD_CLEAN_ONELINE, NULL);
  size_t refl = 0;
  for (size_t i = 0; i < n->n_attackers; i++)
    refl += n->attackers[i].role == WD_NOTICE_ROLE_REFLECTOR;
  snprintf(kind, sizeof kind, "%s", wd_notice_kind_name(wd_notice_kind_of(n)));
  if (kind[0] >= 'a' && kind[0] <= 'z')
    kind[0] = (char)(kind[0] - 'a' + 'A');
  size_t o = 0;
  wd_notice_catf(out, len, &o, "%s against a facility of the %s sector", kind,
                 sector ? sector : "critical infrastructure");
  if (refl)
    wd_notice_catf(out, len, &o,
                   ", through %zu reflector%s in networks you are "
                   "responsible for",
                   refl, refl == 1 ? "" : "s");
  else if (n->n_attackers)
    wd_notice_catf(out, len, &o,
                   ", from %zu address%s in networks you are responsible "
                   "for",
                   n->n_attackers, n->n_attackers == 1 ? "" : "es");
  wd_notice_catf(out, len, &o, "; the targeted hosts are withheld");
}

/* Case-insensitive search of needle (nl bytes) in hay. */
static bool has_ci(const char *hay, size_t hl, const char *needle, size_t nl) {
  if (!nl || nl > hl)
    return false;
  for (size_t i = 0; i + nl <= hl; i++) {
    size_t k = 0;
    while (k < nl) {
      unsigned char a = (unsigned char)hay[i + k], b = (unsigned char)needle[k];
      if (a >= 'A' && a <= 'Z')
        a = (unsigned char)(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z')
        b = (unsigned char)(b - 'A' + 'a');
      if (a != b)
        break;
      k++;
    }
    if (k == nl)
      return true;
  }
  return false;
}

static bool name_leaks(const wd_notice_incident_t *n, const char *name,
                       const char *text, size_t len) {
  if (!name || !*name || wd_notice_name_disclosed(n, name))
    return false;
  size_t nl = strlen(name);
  if (n->sender_name &&
      has_ci(n->sender_name, strlen(n->sender_name), name, nl))
    return false; /* the sender is who it is */
  return has_ci(text, len, name, nl);
}

static bool is_hexc(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* Addresses written in text: dotted quads (windows of four numbers of a
 * longer dotted run too) and IPv6 tokens. */
static bool addr_leaks(const wd_notice_incident_t *n, const char *t,
                       size_t len) {
  for (size_t i = 0; i < len; i++) {
    char c = t[i];
    if (!is_hexc(c) && c != ':')
      continue;
    size_t j = i, colons = 0;
    while (j < len && (is_hexc(t[j]) || t[j] == ':' || t[j] == '.'))
      colons += t[j++] == ':';
    /* the token [i, j) */
    char tok[64];
    size_t tl = j - i < sizeof tok - 1 ? j - i : sizeof tok - 1;
    memcpy(tok, t + i, tl);
    tok[tl] = 0;
    while (tl && (tok[tl - 1] == '.' || tok[tl - 1] == ':'))
      tok[--tl] = 0;
    wd_addr_t a;
    if (colons >= 2 && wd_addr_parse(tok, &a) == WD_OK &&
        wd_notice_addr_withheld(n, &a))
      return true;
    /* dotted numbers inside the token */
    unsigned v[16], parts = 0;
    for (size_t k = 0; k <= tl && parts < 16;) {
      size_t s = k;
      unsigned x = 0;
      while (k < tl && tok[k] >= '0' && tok[k] <= '9' && k - s < 4)
        x = x * 10 + (unsigned)(tok[k++] - '0');
      if (k > s && k - s <= 3 && x <= 255 && (k == tl || tok[k] == '.')) {
        v[parts++] = x;
        k++;
        continue;
      }
      /* not a number: windows so far, then start again after it */
      for (unsigned w = 0; w + 4 <= parts; w++) {
        uint8_t b[4] = {(uint8_t)v[w], (uint8_t)v[w + 1], (uint8_t)v[w + 2],
                        (uint8_t)v[w + 3]};
        wd_addr_from_v4(&a, b);
        if (wd_notice_addr_withheld(n, &a))
          return true;
      }
      parts = 0;
      while (k < tl && tok[k] != '.' && tok[k] != ':')
        k++;
      k++;
    }
    for (unsigned w = 0; w + 4 <= parts; w++) {
      uint8_t b[4] = {(uint8_t)v[w], (uint8_t)v[w + 1], (uint8_t)v[w + 2],
                      (uint8_t)v[w + 3]};
      wd_addr_from_v4(&a, b);
      if (wd_notice_addr_withheld(n, &a))
        return true;
    }
    i = j;
  }
  return false;
}

bool wd_notice_leaks(const wd_notice_incident_t *n, const char *text,
                     size_t len, char *what, size_t whatlen) {
  if (!text)
    return false;
  if (addr_leaks(n, text, len)) {
    snprintf(what, whatlen, "an internal address");
    return true;
  }
  const wd_notice_privacy_t *pv = n->privacy;
  for (size_t i = 0; pv && i < pv->n_names; i++)
    if (name_leaks(n, pv->names[i], text, len)) {
      snprintf(what, whatlen, "a facility name");
      return true;
    }
  for (size_t i = 0; i < n->n_targets; i++)
    if (name_leaks(n, n->targets[i].facility, text, len)) {
      snprintf(what, whatlen, "a facility name");
      return true;
    }
  return false;
}

size_t wd_notice_refs(const wd_notice_incident_t *n,
                      const wd_detector_ref_t **out, size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < n->n_detectors && n->detectors; i++) {
    const wd_detector_t *d = wd_detector_find(n->detectors[i]);
    for (size_t j = 0; d && j < d->n_refs && k < max; j++) {
      bool dup = false;
      for (size_t m = 0; m < k && !dup; m++)
        dup = strcmp(out[m]->url, d->refs[j].url) == 0;
      if (!dup)
        out[k++] = &d->refs[j];
    }
  }
  return k;
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

char *wd_notice_time_iso(uint64_t ns, char *out, size_t outlen) {
  return wd_time_str(ns, WD_TIME_RFC3339, out, outlen);
}

char *wd_notice_time_human(uint64_t ns, char *out, size_t outlen) {
  return wd_time_str(ns, WD_TIME_HUMAN, out, outlen);
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
