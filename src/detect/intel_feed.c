/* intel_feed.c -- indicator feed readers and match sets (intel_feed.h).
 * In: feed bytes (STIX 2.1 via jansson, MISP JSON via jansson, CSV by
 * hand), single indicators. Out: a set of three open-addressing hash
 * tables (domains, address prefixes, URLs) over one array of wd_ioc_t,
 * strings in an arena freed with the set. Domain keys hash their bytes
 * from the right end, so one pass over a looked-up name yields the hash
 * of every parent domain; prefixes are keyed by (masked address, length)
 * and looked up once per prefix length present, longest first. Memory is
 * taken while loading only (tables grow by doubling, up to the set's cap);
 * lookups allocate nothing. */
#include "detect/intel_feed.h"

#include "core/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------- */

typedef struct blk {
  struct blk *next;
  size_t used, cap;
  char data[];
} blk;

#define ARENA_BLOCK 65536

/* ---- tables ------------------------------------------------------------ */

typedef struct table {
  uint32_t *slot; /* index + 1 into iocs, 0 empty */
  uint64_t *hash;
  size_t cap; /* power of two */
  size_t n;
} table;

struct wd_intel_set {
  wd_ioc_t *iocs;
  size_t n, alloc, max;
  table dom, addr, url;
  bool have_len[129];
  uint8_t lens[129]; /* prefix lengths present, longest first */
  unsigned n_lens;
  blk *arena;
  wd_intel_stats_t st;
  const char *stix; /* while a STIX indicator loads: its JSON (wd_ioc_t) */
};

static char *arena_dup(wd_intel_set_t *s, const char *str) {
  size_t n = strlen(str) + 1;
  blk *b = s->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    blk *nb = malloc(sizeof *nb + cap);
    if (!nb)
      return NULL;
    nb->next = s->arena;
    nb->used = 0;
    nb->cap = cap;
    s->arena = nb;
    b = nb;
  }
  char *out = b->data + b->used;
  memcpy(out, str, n);
  b->used += n;
  return out;
}

static uint64_t fnv_step(uint64_t h, uint8_t c) {
  return (h ^ c) * 0x100000001b3ull;
}
#define FNV_INIT 0xcbf29ce484222325ull

static uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Domain hash: bytes from the last to the first, lowercased. */
static uint64_t dom_hash(const char *d, size_t n) {
  uint64_t h = FNV_INIT;
  for (size_t i = n; i > 0; i--)
    h = fnv_step(h, lower((uint8_t)d[i - 1]));
  return h;
}

static uint64_t str_hash(const char *p) {
  uint64_t h = FNV_INIT;
  for (; *p; p++)
    h = fnv_step(h, (uint8_t)*p);
  return h;
}

static uint64_t addr_key_hash(const wd_addr_t *a, uint8_t len) {
  return wd_addr_hash(a, 0x9e3779b97f4a7c15ull) ^
         ((uint64_t)len * 0xff51afd7ed558ccdull);
}

static wd_rc table_grow(table *t) {
  size_t cap = t->cap ? t->cap * 2 : 64;
  uint32_t *slot = calloc(cap, sizeof *slot);
  uint64_t *hash = calloc(cap, sizeof *hash);
  if (!slot || !hash) {
    free(slot);
    free(hash);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->slot[i])
      continue;
    size_t j = t->hash[i] & (cap - 1);
    while (slot[j])
      j = (j + 1) & (cap - 1);
    slot[j] = t->slot[i];
    hash[j] = t->hash[i];
  }
  free(t->slot);
  free(t->hash);
  t->slot = slot;
  t->hash = hash;
  t->cap = cap;
  return WD_OK;
}

static void table_put(table *t, uint64_t h, uint32_t idx) {
  size_t j = h & (t->cap - 1);
  while (t->slot[j])
    j = (j + 1) & (t->cap - 1);
  t->slot[j] = idx + 1;
  t->hash[j] = h;
  t->n++;
}

static void table_free(table *t) {
  free(t->slot);
  free(t->hash);
}

/* ---- set --------------------------------------------------------------- */

wd_rc wd_intel_set_new(size_t max_indicators, wd_intel_set_t **out) {
  *out = NULL;
  if (max_indicators == 0 || max_indicators > (1u << 26))
    return WD_ERR_INVAL;
  wd_intel_set_t *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->max = max_indicators;
  *out = s;
  return WD_OK;
}

void wd_intel_set_free(wd_intel_set_t *s) {
  if (!s)
    return;
  table_free(&s->dom);
  table_free(&s->addr);
  table_free(&s->url);
  free(s->iocs);
  while (s->arena) {
    blk *n = s->arena->next;
    free(s->arena);
    s->arena = n;
  }
  free(s);
}

void wd_intel_set_stats(const wd_intel_set_t *s, wd_intel_stats_t *out) {
  *out = s->st;
}

/* ---- normalisation ----------------------------------------------------- */

/* A domain indicator: lowercase, one trailing dot removed, LDH labels (and
 * '_') of 1..63 bytes, at most 253 in all. */
static bool norm_domain(const char *in, char *out, size_t cap,
                        const char **why) {
  size_t n = strlen(in);
  if (n > 0 && in[n - 1] == '.')
    n--;
  if (n == 0) {
    *why = "empty domain name";
    return false;
  }
  if (n > 253 || n >= cap) {
    *why = "domain name longer than 253 characters";
    return false;
  }
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)in[i];
    if (c == '.') {
      if (label == 0) {
        *why = "empty label in domain name";
        return false;
      }
      label = 0;
    } else if (c >= 0x80) {
      *why = "non-ASCII domain name: give IDNs in their xn-- A-label form";
      return false;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      *why = "character not allowed in a domain name";
      return false;
    } else if (++label > 63) {
      *why = "label longer than 63 characters";
      return false;
    }
    out[i] = (char)lower(c);
  }
  if (label == 0) {
    *why = "empty label in domain name";
    return false;
  }
  out[n] = '\0';
  return true;
}

bool wd_intel_url_normalise(const char *url, char *out, size_t cap) {
  const char *sep = strstr(url, "://");
  if (!sep || sep == url || cap < 2)
    return false;
  size_t o = 0;
  for (const char *p = url; p < sep; p++) {
    uint8_t c = lower((uint8_t)*p);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '-' || c == '.'))
      return false;
    if (o + 1 >= cap)
      return false;
    out[o++] = (char)c;
  }
  if (o + 3 >= cap)
    return false;
  memcpy(out + o, "://", 3);
  o += 3;
  const char *h = sep + 3, *he = h;
  while (*he && *he != '/' && *he != '?' && *he != '#')
    he++;
  if (he == h)
    return false;
  const char *at = NULL;
  for (const char *p = h; p < he; p++)
    if (*p == '@')
      at = p;
  for (const char *p = h; p < he; p++) {
    if (o + 1 >= cap)
      return false;
    uint8_t c = (uint8_t)*p;
    out[o++] = (char)(at && p <= at ? c : lower(c)); /* userinfo as is */
  }
  if (*he != '/') {
    if (o + 1 >= cap)
      return false;
    out[o++] = '/';
  }
  for (const char *p = he; *p && *p != '#'; p++) {
    if (o + 1 >= cap)
      return false;
    out[o++] = *p;
  }
  out[o] = '\0';
  return true;
}

/* ---- adding ------------------------------------------------------------ */

static wd_ioc_t *new_ioc(wd_intel_set_t *s, wd_rc *rc) {
  if (s->n >= s->max) {
    s->st.cap_hits++;
    *rc = WD_ERR_FULL;
    return NULL;
  }
  if (s->n == s->alloc) {
    size_t na = s->alloc ? s->alloc * 2 : 256;
    if (na > s->max)
      na = s->max;
    wd_ioc_t *ni = realloc(s->iocs, na * sizeof *ni);
    if (!ni) {
      *rc = WD_ERR_NOMEM;
      return NULL;
    }
    s->iocs = ni;
    s->alloc = na;
  }
  wd_ioc_t *i = &s->iocs[s->n];
  memset(i, 0, sizeof *i);
  *rc = WD_OK;
  return i;
}

static wd_rc fill_strings(wd_intel_set_t *s, wd_ioc_t *i, const char *value,
                          const char *source, const char *ref,
                          const char *desc) {
  i->value = arena_dup(s, value);
  i->source = arena_dup(s, source ? source : "");
  i->ref = arena_dup(s, ref ? ref : "");
  i->desc = arena_dup(s, desc ? desc : "");
  i->stix = arena_dup(s, s->stix ? s->stix : "");
  return (i->value && i->source && i->ref && i->desc && i->stix) ? WD_OK
                                                                 : WD_ERR_NOMEM;
}

/* Adds a text indicator (normalised domain or URL, hash h) to table t
 * unless it is there already (*dup). */
static wd_rc add_text(wd_intel_set_t *s, table *t, int kind, const char *norm,
                      uint64_t h, const char *source, const char *ref,
                      const char *desc, bool *dup) {
  wd_rc rc;
  for (size_t j = t->cap ? (h & (t->cap - 1)) : 0; t->cap && t->slot[j];
       j = (j + 1) & (t->cap - 1))
    if (t->hash[j] == h && strcmp(s->iocs[t->slot[j] - 1].value, norm) == 0) {
      s->st.duplicates++;
      *dup = true;
      return WD_OK;
    }
  if ((t->n + 1) * 2 > t->cap && (rc = table_grow(t)))
    return rc;
  wd_ioc_t *i = new_ioc(s, &rc);
  if (!i)
    return rc;
  i->kind = (uint8_t)kind;
  if ((rc = fill_strings(s, i, norm, source, ref, desc)))
    return rc;
  table_put(t, h, (uint32_t)s->n);
  s->n++;
  s->st.indicators++;
  if (kind == WD_IOC_DOMAIN)
    s->st.domains++;
  else
    s->st.urls++;
  return WD_OK;
}

/* Adds; *dup set when the indicator was already present. */
static wd_rc add(wd_intel_set_t *s, int kind, const char *value,
                 const char *source, const char *ref, const char *desc,
                 const char **why, bool *dup) {
  static const char *nowhy = "";
  *why = nowhy;
  *dup = false;
  char norm[WD_FEED_VALUE_MAX];
  wd_rc rc;
  if (!value || strlen(value) >= WD_FEED_VALUE_MAX) {
    *why = "value missing or longer than the limit";
    return WD_ERR_INVAL;
  }
  if (kind == WD_IOC_DOMAIN) {
    if (!norm_domain(value, norm, sizeof norm, why))
      return WD_ERR_INVAL;
    return add_text(s, &s->dom, WD_IOC_DOMAIN, norm,
                    dom_hash(norm, strlen(norm)), source, ref, desc, dup);
  }
  if (kind == WD_IOC_ADDR) {
    wd_cidr_t c;
    if (wd_cidr_parse(value, &c) != WD_OK) {
      *why = strchr(value, '/') ? "not an IP prefix (or host bits set "
                                  "beyond the prefix length)"
                                : "not an IP address";
      return WD_ERR_INVAL;
    }
    uint64_t h = addr_key_hash(&c.addr, c.len);
    for (size_t j = s->addr.cap ? (h & (s->addr.cap - 1)) : 0;
         s->addr.cap && s->addr.slot[j]; j = (j + 1) & (s->addr.cap - 1)) {
      const wd_ioc_t *o = &s->iocs[s->addr.slot[j] - 1];
      if (s->addr.hash[j] == h && o->prefix_len == c.len &&
          wd_addr_eq(&o->addr, &c.addr)) {
        s->st.duplicates++;
        *dup = true;
        return WD_OK;
      }
    }
    if ((s->addr.n + 1) * 2 > s->addr.cap && (rc = table_grow(&s->addr)))
      return rc;
    wd_ioc_t *i = new_ioc(s, &rc);
    if (!i)
      return rc;
    i->kind = WD_IOC_ADDR;
    i->addr = c.addr;
    i->prefix_len = c.len;
    char text[WD_ADDR_STRLEN + 4];
    wd_cidr_str(&c, text);
    if ((rc = fill_strings(s, i, text, source, ref, desc)))
      return rc;
    table_put(&s->addr, h, (uint32_t)s->n);
    s->n++;
    s->st.indicators++;
    if (c.len == 128)
      s->st.addrs++;
    else
      s->st.prefixes++;
    if (!s->have_len[c.len]) {
      s->have_len[c.len] = true;
      s->n_lens = 0;
      for (int l = 128; l >= 0; l--)
        if (s->have_len[l])
          s->lens[s->n_lens++] = (uint8_t)l;
    }
    return WD_OK;
  }
  if (kind == WD_IOC_URL) {
    if (!wd_intel_url_normalise(value, norm, sizeof norm)) {
      *why = "not a URL of the form scheme://host/...";
      return WD_ERR_INVAL;
    }
    return add_text(s, &s->url, WD_IOC_URL, norm, str_hash(norm), source, ref,
                    desc, dup);
  }
  *why = "unknown indicator kind";
  return WD_ERR_INVAL;
}

wd_rc wd_intel_add(wd_intel_set_t *s, int kind, const char *value,
                   const char *source, const char *ref, const char *desc,
                   const char **why) {
  bool dup;
  const char *w;
  wd_rc rc = add(s, kind, value, source, ref, desc, &w, &dup);
  if (why)
    *why = rc == WD_ERR_FULL ? "indicator cap reached" : w;
  return rc;
}

/* ---- lookups ----------------------------------------------------------- */

const wd_ioc_t *wd_intel_match_domain(const wd_intel_set_t *s, const char *name,
                                      size_t len) {
  if (!s || !name || s->dom.n == 0)
    return NULL;
  if (len == (size_t)-1)
    len = strlen(name);
  if (len > 0 && name[len - 1] == '.')
    len--;
  if (len == 0 || len > 1024)
    return NULL;
  const wd_ioc_t *best = NULL;
  uint64_t h = FNV_INIT;
  size_t mask = s->dom.cap - 1;
  for (size_t i = len; i > 0; i--) {
    h = fnv_step(h, lower((uint8_t)name[i - 1]));
    if (i - 1 > 0 && name[i - 2] != '.')
      continue;
    /* name[i-1 .. len) is a suffix on a label boundary */
    size_t sl = len - (i - 1);
    for (size_t j = h & mask; s->dom.slot[j]; j = (j + 1) & mask) {
      if (s->dom.hash[j] != h)
        continue;
      const wd_ioc_t *o = &s->iocs[s->dom.slot[j] - 1];
      if (strlen(o->value) != sl)
        continue;
      bool eq = true;
      for (size_t k = 0; k < sl && eq; k++)
        eq = (uint8_t)o->value[k] == lower((uint8_t)name[i - 1 + k]);
      if (eq) {
        best = o;
        break;
      }
    }
  }
  return best;
}

const wd_ioc_t *wd_intel_match_addr(const wd_intel_set_t *s,
                                    const wd_addr_t *a) {
  if (!s || s->addr.n == 0)
    return NULL;
  size_t mask = s->addr.cap - 1;
  for (unsigned k = 0; k < s->n_lens; k++) {
    uint8_t len = s->lens[k];
    wd_addr_t m = *a;
    for (unsigned b = 0; b < 16; b++) {
      unsigned bits = b * 8;
      if (bits >= len)
        m.b[b] = 0;
      else if (bits + 8 > len)
        m.b[b] &= (uint8_t)(0xff << (8 - (len - bits)));
    }
    uint64_t h = addr_key_hash(&m, len);
    for (size_t j = h & mask; s->addr.slot[j]; j = (j + 1) & mask) {
      const wd_ioc_t *o = &s->iocs[s->addr.slot[j] - 1];
      if (s->addr.hash[j] == h && o->prefix_len == len &&
          wd_addr_eq(&o->addr, &m))
        return o;
    }
  }
  return NULL;
}

const wd_ioc_t *wd_intel_match_url(const wd_intel_set_t *s, const char *url) {
  if (!s || !url || s->url.n == 0)
    return NULL;
  char norm[WD_FEED_VALUE_MAX];
  if (!wd_intel_url_normalise(url, norm, sizeof norm))
    return NULL;
  uint64_t h = str_hash(norm);
  size_t mask = s->url.cap - 1;
  for (size_t j = h & mask; s->url.slot[j]; j = (j + 1) & mask)
    if (s->url.hash[j] == h &&
        strcmp(s->iocs[s->url.slot[j] - 1].value, norm) == 0)
      return &s->iocs[s->url.slot[j] - 1];
  return NULL;
}

/* ---- reports ----------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
note(wd_intel_report_t *rep, const char *fmt, ...) {
  if (!rep)
    return;
  if (rep->n_msgs >= WD_INTEL_REPORT_MAX) {
    rep->msgs_dropped++;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rep->msgs[rep->n_msgs++], WD_INTEL_MSG_MAX, fmt, ap);
  va_end(ap);
}

/* Loader context. */
typedef struct ld {
  wd_intel_set_t *s;
  wd_intel_report_t *rep;
  const char *label, *source;
  bool cap_noted;
} ld;

/* Adds one indicator for a loader and reports the outcome. where: "12"
 * (a line) or an object id. */
static wd_rc ld_add(ld *l, int kind, const char *value, const char *ref,
                    const char *desc, const char *where) {
  const char *why;
  bool dup;
  wd_rc rc = add(l->s, kind, value, l->source, ref, desc, &why, &dup);
  if (rc == WD_OK) {
    if (dup)
      l->rep->duplicates++;
    else
      l->rep->loaded++;
  } else if (rc == WD_ERR_FULL) {
    l->rep->cap_hits++;
    if (!l->cap_noted)
      note(l->rep,
           "%s:%s: indicator cap %zu reached; this and later indicators "
           "refused",
           l->label, where, l->s->max);
    l->cap_noted = true;
  } else if (rc == WD_ERR_INVAL) {
    l->rep->rejected++;
    l->s->st.rejected++;
    note(l->rep, "%s:%s: %s ('%.60s')", l->label, where, why, value);
  }
  return rc == WD_ERR_NOMEM ? rc : WD_OK;
}

static void ld_reject(ld *l, const char *where, const char *why) {
  l->rep->rejected++;
  l->s->st.rejected++;
  note(l->rep, "%s:%s: %s", l->label, where, why);
}

static void ld_skip(ld *l, const char *where, const char *why) {
  l->rep->skipped++;
  l->s->st.skipped++;
  if (where)
    note(l->rep, "%s:%s: skipped: %s", l->label, where, why);
}

/* ---- CSV --------------------------------------------------------------- */

static int kind_of_type(const char *t) {
  static const struct {
    const char *name;
    int kind;
  } map[] = {{"domain", WD_IOC_DOMAIN},  {"hostname", WD_IOC_DOMAIN},
             {"fqdn", WD_IOC_DOMAIN},    {"domain-name", WD_IOC_DOMAIN},
             {"ip", WD_IOC_ADDR},        {"ipv4", WD_IOC_ADDR},
             {"ipv6", WD_IOC_ADDR},      {"ip-src", WD_IOC_ADDR},
             {"ip-dst", WD_IOC_ADDR},    {"ipv4-addr", WD_IOC_ADDR},
             {"ipv6-addr", WD_IOC_ADDR}, {"cidr", WD_IOC_ADDR},
             {"url", WD_IOC_URL},        {"uri", WD_IOC_URL}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    const char *a = map[i].name, *b = t;
    while (*a && lower((uint8_t)*b) == (uint8_t)*a)
      a++, b++;
    if (!*a && !*b)
      return map[i].kind;
  }
  return 0;
}

/* Trims spaces and one pair of surrounding double quotes, in place. */
static char *trim(char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  size_t n = strlen(p);
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
    p[--n] = '\0';
  if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
    p[n - 1] = '\0';
    p++;
  }
  return p;
}

static wd_rc load_csv(ld *l, const char *data, size_t len) {
  size_t pos = 0;
  if (len >= 3 && (uint8_t)data[0] == 0xef && (uint8_t)data[1] == 0xbb &&
      (uint8_t)data[2] == 0xbf)
    pos = 3; /* UTF-8 byte order mark, as spreadsheet exports write it */
  unsigned line = 0;
  bool first = true;
  char buf[WD_FEED_LINE_MAX + 1];
  while (pos < len) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
    const char *lp = data + pos;
    pos += n + (nl ? 1 : 0);
    line++;
    char where[24];
    snprintf(where, sizeof where, "%u", line);
    if (n > WD_FEED_LINE_MAX) {
      ld_reject(l, where, "line longer than 4096 bytes");
      continue;
    }
    memcpy(buf, lp, n);
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
      ld_reject(l, where, "NUL byte in line");
      continue;
    }
    char *p = trim(buf);
    if (*p == '\0' || *p == '#')
      continue;
    char *c1 = strchr(p, ',');
    if (!c1) {
      ld_reject(l, where, "expected type,value[,description]");
      continue;
    }
    *c1 = '\0';
    char *type = trim(p), *value = c1 + 1, *desc = "";
    char *c2 = strchr(value, ',');
    if (c2) {
      *c2 = '\0';
      desc = trim(c2 + 1);
    }
    value = trim(value);
    bool header = first && strcmp(type, "type") == 0;
    first = false;
    if (header)
      continue;
    int kind = kind_of_type(type);
    if (!kind) {
      ld_reject(l, where,
                "unknown type (expected domain, hostname, ip, cidr or url)");
      continue;
    }
    if (strlen(desc) >= WD_FEED_DESC_MAX)
      desc[WD_FEED_DESC_MAX - 1] = '\0';
    char ref[32];
    snprintf(ref, sizeof ref, "line %u", line);
    if (ld_add(l, kind, value, ref, desc, where) != WD_OK)
      return WD_ERR_NOMEM;
  }
  return WD_OK;
}

/* ---- STIX 2.1 ---------------------------------------------------------- */

typedef struct term {
  int kind;
  bool v6; /* ipv6-addr path */
  char value[WD_FEED_VALUE_MAX];
} term;

static void ws(const char **p) {
  while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
    (*p)++;
}

static bool word(const char **p, const char *w) {
  size_t n = strlen(w);
  if (strncmp(*p, w, n) != 0)
    return false;
  char c = (*p)[n];
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
    return false;
  *p += n;
  return true;
}

/* Parses the subset of STIX patterning ward reads: ORs of equality
 * comparisons on domain-name:value, ipv4-addr:value, ipv6-addr:value and
 * url:value, inside one or several observation expressions joined by OR.
 * Returns the number of terms, or -1 with why set. */
static int stix_pattern(const char *p, term *t, int max, const char **why) {
  int n = 0;
  ws(&p);
  for (;;) {
    if (*p != '[') {
      *why = "pattern is not an observation expression [ ... ]";
      return -1;
    }
    p++;
    for (;;) {
      ws(&p);
      const char *path = p;
      while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '_' || *p == ':' || *p == '.' || *p == '\'' ||
             (*p >= 'A' && *p <= 'Z'))
        if (*p++ == '\'') {
          *why = "unsupported object path";
          return -1;
        }
      size_t pl = (size_t)(p - path);
      int kind = 0;
      bool v6 = false;
      if (pl == 17 && strncmp(path, "domain-name:value", pl) == 0)
        kind = WD_IOC_DOMAIN;
      else if (pl == 15 && strncmp(path, "ipv4-addr:value", pl) == 0)
        kind = WD_IOC_ADDR;
      else if (pl == 15 && strncmp(path, "ipv6-addr:value", pl) == 0)
        kind = WD_IOC_ADDR, v6 = true;
      else if (pl == 9 && strncmp(path, "url:value", pl) == 0)
        kind = WD_IOC_URL;
      if (!kind) {
        *why = "object path other than domain-name:value, ipv4-addr:value, "
               "ipv6-addr:value or url:value";
        return -1;
      }
      ws(&p);
      if (*p != '=' || p[1] == '=') {
        *why = "comparison other than '='";
        return -1;
      }
      p++;
      ws(&p);
      if (*p != '\'') {
        *why = "comparison value is not a string";
        return -1;
      }
      p++;
      if (n >= max) {
        *why = "too many comparisons in one pattern";
        return -1;
      }
      size_t o = 0;
      for (;; p++) {
        if (*p == '\0') {
          *why = "unterminated string in pattern";
          return -1;
        }
        if (*p == '\'')
          break;
        if (*p == '\\') {
          p++;
          if (*p != '\'' && *p != '\\') {
            *why = "bad escape in pattern string";
            return -1;
          }
        }
        if (o + 1 >= sizeof t[n].value) {
          *why = "pattern value too long";
          return -1;
        }
        t[n].value[o++] = *p;
      }
      p++;
      t[n].value[o] = '\0';
      t[n].kind = kind;
      t[n].v6 = v6;
      n++;
      ws(&p);
      if (word(&p, "OR"))
        continue;
      if (*p == ']') {
        p++;
        break;
      }
      *why = "pattern uses AND or another operator (only ORs of "
             "equality comparisons are read)";
      return -1;
    }
    ws(&p);
    if (*p == '\0')
      return n;
    if (word(&p, "OR")) {
      ws(&p);
      continue;
    }
    *why = "pattern uses AND, FOLLOWEDBY or a qualifier (only ORs of "
           "equality comparisons are read)";
    return -1;
  }
}

static const char *jstr(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* id is "indicator--" and a UUID in lowercase hex. */
static bool stix_id_ok(const char *id) {
  if (strncmp(id, "indicator--", 11) != 0 || strlen(id) != 11 + 36)
    return false;
  for (int i = 0; i < 36; i++) {
    char c = id[11 + i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

/* A STIX timestamp: YYYY-MM-DDTHH:MM:SS[.s+]Z. */
static bool stix_time_ok(const char *t) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  for (int i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i])
      return false;
  const char *p = t + sizeof shape - 1;
  if (*p == '.') {
    const char *f = ++p;
    while (*p >= '0' && *p <= '9')
      p++;
    if (p == f)
      return false;
  }
  return p[0] == 'Z' && p[1] == 0;
}

/* The feed's indicator as wd_ioc_t.stix holds it (malloc'ed), or NULL. */
static char *stix_copy(json_t *o, const char *id) {
  if (!stix_id_ok(id))
    return NULL;
  json_t *c = json_object();
  json_object_set_new(c, "id", json_string(id));
  json_object_set(c, "pattern", json_object_get(o, "pattern"));
  static const char *const times[] = {"created", "modified", "valid_from"};
  for (int k = 0; k < 3; k++) {
    const char *t = jstr(o, times[k]);
    if (t && stix_time_ok(t))
      json_object_set_new(c, times[k], json_string(t));
  }
  char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(c);
  if (s && strlen(s) > WD_INTEL_STIX_MAX) {
    free(s);
    s = NULL;
  }
  return s;
}

static wd_rc stix_indicator(ld *l, json_t *o, size_t idx, term *terms) {
  const char *id = jstr(o, "id");
  char where[200];
  if (!id) {
    snprintf(where, sizeof where, "objects[%zu]", idx);
    ld_reject(l, where, "indicator without an id");
    return WD_OK;
  }
  snprintf(where, sizeof where, " %.180s", id);
  if (json_is_true(json_object_get(o, "revoked"))) {
    ld_skip(l, where, "revoked");
    return WD_OK;
  }
  const char *pt = jstr(o, "pattern_type");
  if (pt && strcmp(pt, "stix") != 0) {
    char why[96];
    snprintf(why, sizeof why, "pattern_type '%.40s' is not read", pt);
    ld_skip(l, where, why);
    return WD_OK;
  }
  const char *pattern = jstr(o, "pattern");
  if (!pattern) {
    ld_reject(l, where, "indicator without a pattern");
    return WD_OK;
  }
  const char *why;
  int n = stix_pattern(pattern, terms, WD_FEED_PATTERN_TERMS_MAX, &why);
  if (n < 0) {
    ld_skip(l, where, why);
    return WD_OK;
  }
  const char *desc = jstr(o, "name");
  if (!desc)
    desc = jstr(o, "description");
  char d[WD_FEED_DESC_MAX];
  snprintf(d, sizeof d, "%s", desc ? desc : "");
  char *copy = stix_copy(o, id);
  l->s->stix = copy;
  wd_rc rc = WD_OK;
  for (int i = 0; rc == WD_OK && i < n; i++) {
    if (terms[i].kind == WD_IOC_ADDR &&
        (strchr(terms[i].value, ':') != NULL) != terms[i].v6) {
      ld_reject(l, where,
                terms[i].v6 ? "ipv6-addr value is not IPv6"
                            : "ipv4-addr value is not IPv4");
      continue;
    }
    if (ld_add(l, terms[i].kind, terms[i].value, id, d, where) != WD_OK)
      rc = WD_ERR_NOMEM;
  }
  l->s->stix = NULL;
  free(copy);
  return rc;
}

static wd_rc load_stix(ld *l, json_t *root) {
  json_t *objs = json_object_get(root, "objects");
  if (!json_is_array(objs)) {
    ld_reject(l, " bundle", "bundle without an objects array");
    return WD_OK;
  }
  term *terms = malloc(sizeof *terms * WD_FEED_PATTERN_TERMS_MAX);
  if (!terms)
    return WD_ERR_NOMEM;
  wd_rc rc = WD_OK;
  size_t i;
  json_t *o;
  json_array_foreach(objs, i, o) {
    const char *type = jstr(o, "type");
    if (!json_is_object(o) || !type) {
      char where[40];
      snprintf(where, sizeof where, "objects[%zu]", i);
      ld_reject(l, where, "object without a type");
      continue;
    }
    if (strcmp(type, "indicator") != 0)
      continue;
    if ((rc = stix_indicator(l, o, i, terms)) != WD_OK)
      break;
  }
  free(terms);
  return rc;
}

/* ---- MISP -------------------------------------------------------------- */

typedef struct misp_ctx {
  unsigned other_types, not_ids;
  char first_other[40];
} misp_ctx;

static bool to_ids_false(json_t *v) {
  if (!v)
    return false;
  if (json_is_false(v))
    return true;
  if (json_is_integer(v))
    return json_integer_value(v) == 0;
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    return strcmp(s, "0") == 0 || strcmp(s, "false") == 0;
  }
  return false;
}

static wd_rc misp_attribute(ld *l, misp_ctx *mc, json_t *a, const char *info,
                            const char *ev, size_t idx) {
  const char *type = jstr(a, "type");
  const char *value = jstr(a, "value");
  const char *uuid = jstr(a, "uuid");
  char where[168], ref[160];
  if (uuid)
    snprintf(ref, sizeof ref, "%.60s", uuid);
  else
    snprintf(ref, sizeof ref, "Event %.40s Attribute %zu", ev, idx);
  snprintf(where, sizeof where, " %s", ref);
  if (!json_is_object(a) || !type || !value) {
    ld_reject(l, where, "attribute without a type or value");
    return WD_OK;
  }
  if (json_is_true(json_object_get(a, "deleted")))
    return WD_OK;
  int k1 = 0, k2 = 0; /* kinds of the parts left and right of '|' */
  if (!strcmp(type, "domain") || !strcmp(type, "hostname"))
    k1 = WD_IOC_DOMAIN;
  else if (!strcmp(type, "ip-src") || !strcmp(type, "ip-dst"))
    k1 = WD_IOC_ADDR;
  else if (!strcmp(type, "url"))
    k1 = WD_IOC_URL;
  else if (!strcmp(type, "domain|ip"))
    k1 = WD_IOC_DOMAIN, k2 = WD_IOC_ADDR;
  else if (!strcmp(type, "ip-src|port") || !strcmp(type, "ip-dst|port"))
    k1 = WD_IOC_ADDR, k2 = -1; /* port ignored */
  else if (!strcmp(type, "hostname|port"))
    k1 = WD_IOC_DOMAIN, k2 = -1;
  if (!k1) {
    if (mc->other_types++ == 0)
      snprintf(mc->first_other, sizeof mc->first_other, "%.38s", type);
    ld_skip(l, NULL, NULL);
    return WD_OK;
  }
  if (to_ids_false(json_object_get(a, "to_ids"))) {
    mc->not_ids++;
    ld_skip(l, NULL, NULL);
    return WD_OK;
  }
  const char *comment = jstr(a, "comment");
  char d[WD_FEED_DESC_MAX];
  snprintf(d, sizeof d, "%s", comment && *comment ? comment : info);
  if (!k2)
    return ld_add(l, k1, value, ref, d, where);
  char left[WD_FEED_VALUE_MAX];
  const char *bar = strchr(value, '|');
  if (!bar || (size_t)(bar - value) >= sizeof left) {
    ld_reject(l, where, "composite attribute without '|'");
    return WD_OK;
  }
  memcpy(left, value, (size_t)(bar - value));
  left[bar - value] = '\0';
  wd_rc rc = ld_add(l, k1, left, ref, d, where);
  if (rc == WD_OK && k2 > 0)
    rc = ld_add(l, k2, bar + 1, ref, d, where);
  return rc;
}

static wd_rc misp_event(ld *l, misp_ctx *mc, json_t *ev) {
  if (json_object_get(ev, "Event"))
    ev = json_object_get(ev, "Event");
  if (!json_is_object(ev)) {
    ld_reject(l, " Event", "event is not an object");
    return WD_OK;
  }
  const char *info = jstr(ev, "info");
  const char *id = jstr(ev, "uuid");
  if (!id)
    id = jstr(ev, "id");
  if (!info)
    info = "";
  if (!id)
    id = "?";
  size_t i, k;
  json_t *a, *obj;
  wd_rc rc;
  json_array_foreach(json_object_get(ev, "Attribute"), i, a) {
    if ((rc = misp_attribute(l, mc, a, info, id, i)) != WD_OK)
      return rc;
  }
  json_array_foreach(json_object_get(ev, "Object"), k, obj) {
    json_array_foreach(json_object_get(obj, "Attribute"), i, a) {
      if ((rc = misp_attribute(l, mc, a, info, id, i)) != WD_OK)
        return rc;
    }
  }
  return WD_OK;
}

static wd_rc load_misp(ld *l, json_t *root) {
  misp_ctx mc = {0, 0, ""};
  json_t *list = root;
  if (json_is_object(root) && json_is_array(json_object_get(root, "response")))
    list = json_object_get(root, "response");
  wd_rc rc = WD_OK;
  if (json_is_array(list)) {
    size_t i;
    json_t *ev;
    json_array_foreach(list, i, ev) {
      if ((rc = misp_event(l, &mc, ev)) != WD_OK)
        break;
    }
  } else {
    rc = misp_event(l, &mc, root);
  }
  if (mc.other_types)
    note(l->rep,
         "%s: %u attributes of types ward does not match (first: '%s') "
         "skipped",
         l->label, mc.other_types, mc.first_other);
  if (mc.not_ids)
    note(l->rep, "%s: %u attributes with to_ids false skipped", l->label,
         mc.not_ids);
  return rc;
}

/* ---- format, entry points ---------------------------------------------- */

int wd_intel_detect_format(const char *data, size_t len) {
  size_t i = 0;
  if (len >= 3 && (uint8_t)data[0] == 0xef && (uint8_t)data[1] == 0xbb &&
      (uint8_t)data[2] == 0xbf)
    i = 3; /* UTF-8 byte order mark */
  while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                     data[i] == '\n'))
    i++;
  if (i >= len)
    return WD_FEED_CSV; /* empty: nothing to load */
  if (data[i] == '[')
    return WD_FEED_MISP;
  if (data[i] != '{')
    return WD_FEED_CSV;
  /* look for the keys that tell the two JSON formats apart in the first
   * KiB; the loader checks again on the parsed document */
  size_t n = len - i < 1024 ? len - i : 1024;
  char head[1025];
  memcpy(head, data + i, n);
  head[n] = '\0';
  for (size_t k = 0; k < n; k++)
    if (head[k] == '\0')
      head[k] = ' ';
  if (strstr(head, "\"bundle\"") || strstr(head, "\"objects\""))
    return WD_FEED_STIX;
  if (strstr(head, "\"Event\"") || strstr(head, "\"response\"") ||
      strstr(head, "\"Attribute\""))
    return WD_FEED_MISP;
  return WD_FEED_UNKNOWN;
}

wd_rc wd_intel_load_buffer(wd_intel_set_t *s, const char *data, size_t len,
                           const char *label, const char *source,
                           wd_intel_report_t *rep) {
  wd_intel_report_t local;
  if (!rep)
    rep = &local;
  memset(rep, 0, sizeof *rep);
  ld l = {s, rep, label ? label : "feed", source ? source : "feed", false};
  int fmt = wd_intel_detect_format(data, len);
  rep->format = (uint8_t)fmt;
  if (fmt == WD_FEED_CSV)
    return load_csv(&l, data, len);
  if (fmt == WD_FEED_UNKNOWN) {
    note(rep, "%s: JSON that is neither a STIX 2.1 bundle nor a MISP event",
         l.label);
    return WD_ERR_INVAL;
  }
  json_error_t err;
  json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    note(rep, "%s:%d:%d: JSON error: %s", l.label, err.line, err.column,
         err.text);
    return WD_ERR_INVAL;
  }
  wd_rc rc;
  if (fmt == WD_FEED_STIX) {
    const char *type = jstr(root, "type");
    if (!type || strcmp(type, "bundle") != 0) {
      note(rep, "%s: a STIX document that is not a bundle", l.label);
      json_decref(root);
      return WD_ERR_INVAL;
    }
    rc = load_stix(&l, root);
  } else {
    rc = load_misp(&l, root);
  }
  json_decref(root);
  return rc;
}

wd_rc wd_intel_load_file(wd_intel_set_t *s, const char *path,
                         const char *source, wd_intel_report_t *rep) {
  wd_intel_report_t local;
  if (!rep)
    rep = &local;
  FILE *f = fopen(path, "rb");
  if (!f) {
    memset(rep, 0, sizeof *rep);
    note(rep, "%s: cannot open: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  wd_strbuf_t b;
  wd_strbuf_init(&b, WD_FEED_FILE_MAX);
  wd_rc rc = wd_strbuf_read(&b, f);
  fclose(f);
  if (rc == WD_ERR_FULL) {
    memset(rep, 0, sizeof *rep);
    note(rep, "%s: larger than %u MiB", path, WD_FEED_FILE_MAX >> 20);
    rc = WD_ERR_INVAL;
  } else if (rc == WD_ERR_IO) {
    memset(rep, 0, sizeof *rep);
    note(rep, "%s: read error", path);
  } else if (rc == WD_OK) {
    if (!source) {
      const char *slash = strrchr(path, '/');
      source = slash ? slash + 1 : path;
    }
    rc = wd_intel_load_buffer(s, wd_strbuf_str(&b), b.len, path, source, rep);
  }
  wd_strbuf_fini(&b);
  return rc;
}

/* WannaCry kill-switch domains: the worm exits when an HTTP request to its
 * domain succeeds; infected hosts keep asking. Public origins in
 * docs/protocols.md ("Built-in feed"). */
static const struct {
  const char *domain, *desc;
} wannacry[] = {
    {"iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
     "WannaCry kill switch, first sample (MalwareTech, Cisco Talos, "
     "2017-05-12)"},
    {"ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
     "WannaCry kill switch, variant found 2017-05-14 (Matt Suiche, Comae)"},
    {"ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com",
     "WannaCry kill switch, variant of 2017-05-15 (Cisco Umbrella)"},
    {"iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
     "WannaCry kill switch, variant (SigmaHQ rule "
     "net_dns_wannacry_killswitch_domain)"},
    {"ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.test",
     "WannaCry kill switch, test build (SigmaHQ rule)"},
    {"ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.testing",
     "WannaCry kill switch, test build (SigmaHQ rule)"},
};

wd_rc wd_intel_add_builtin(wd_intel_set_t *s) {
  for (size_t i = 0; i < sizeof wannacry / sizeof wannacry[0]; i++) {
    char ref[32];
    snprintf(ref, sizeof ref, "wannacry %zu", i + 1);
    const char *why;
    wd_rc rc = wd_intel_add(s, WD_IOC_DOMAIN, wannacry[i].domain,
                            "builtin:wannacry", ref, wannacry[i].desc, &why);
    if (rc != WD_OK)
      return rc;
  }
  return WD_OK;
}

/* ---- reload slot ------------------------------------------------------- */

void wd_intel_slot_init(wd_intel_slot_t *slot, wd_intel_set_t *s) {
  atomic_init(&slot->cur, s);
}

const wd_intel_set_t *wd_intel_slot_get(wd_intel_slot_t *slot) {
  return atomic_load_explicit(&slot->cur, memory_order_acquire);
}

wd_intel_set_t *wd_intel_slot_swap(wd_intel_slot_t *slot, wd_intel_set_t *s) {
  return atomic_exchange_explicit(&slot->cur, s, memory_order_acq_rel);
}
