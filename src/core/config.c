/* config.c -- loads, checks, dumps and queries ward's configuration.
 * In: a YAML file or buffer (libyaml event parser, one pass, no document
 * tree), defaults and rules from the key table (config_keys.c), --home-net.
 * Out: a wd_config_t the caller owns and frees with wd_config_free; every
 * string and list in it is owned by it. Nothing is read from traffic here;
 * wd_config_facility_of / wd_config_is_protected are the only per-packet
 * calls: binary searches over sorted disjoint prefixes, no allocation.
 * Hostile files: size capped (WD_CONFIG_FILE_MAX), anchors and aliases
 * refused, nesting bounded by the key schema (WD_CONFIG_DEPTH_MAX), lists
 * capped (WD_FACILITY_MAX, WD_CIDR_LIST_MAX); the first error stops the
 * load with "FILE:LINE:COL: KEY: problem; expected ...". */
#include "core/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Sorted disjoint prefixes, and for large sets a bucket index per address
 * family: the prefixes of a family share their first plen bits; the next
 * (up to) 16 bits of an address pick the slice of v to search, and an
 * address without the shared bits is answered at once. IPv4 works on the
 * 32-bit address, IPv6 on its top 64 bits. Lookups in 1024 facilities x
 * 256 networks cost a few compares. */
#define BUCKET_BITS 16
#define BUCKET_MIN 32 /* below this, a plain binary search is as fast */

typedef struct fam_index {
  uint32_t *b;   /* (1 << nb) + 1 slice starts; NULL: no prefix in family */
  uint64_t base; /* the shared leading bits */
  uint8_t width; /* 32 (IPv4) or 64 (top of IPv6) */
  uint8_t plen;  /* number of shared leading bits */
  uint8_t nb;    /* bits after them that pick the bucket */
} fam_index_t;

typedef struct prefix_set {
  wd_cidr_t *v; /* sorted by address, disjoint */
  size_t n;
  bool indexed; /* f4/f6 built; else binary search over all of v */
  fam_index_t f4, f6;
} prefix_set_t;

/* The lookups and which keys the file set. */
struct wd_config_index {
  prefix_set_t fac;  /* facility networks */
  uint32_t *fac_id;  /* facility index of each fac.v entry */
  prefix_set_t prot; /* protected networks, nested ones dropped */
  bool prot_is_fac;  /* protected = the facilities' networks: use fac */
  bool *set;         /* per key table row: given by the file */
};

typedef struct mark {
  uint32_t line, col; /* 1-based; line 0: not given */
} mark_t;

/* One facility network while loading, for the overlap check. */
typedef struct net_ref {
  wd_cidr_t c;
  uint32_t fac;
  mark_t at;
} net_ref_t;

/* A section (key prefix such as "flow.timeouts") already opened, so that a
 * second "flow:" is reported as a duplicate. */
typedef struct section {
  char name[64];
  mark_t at;
} section_t;

#define SECTIONS_MAX 64
#define PATH_MAX_LEN 256

typedef struct load {
  const char *name; /* file name for messages */
  const char *buf;  /* the text, for positions of reader errors */
  size_t len;
  yaml_parser_t parser;
  wd_config_t *cfg;
  char *err;
  size_t errlen;
  const wd_config_key_t *keys;
  size_t nkeys;
  const wd_config_key_t *fkeys;
  size_t nfkeys;
  mark_t *set_at; /* per row: where the file gave it */
  section_t sections[SECTIONS_MAX];
  size_t n_sections;
  net_ref_t *nets; /* every facility network, in file order */
  size_t n_nets, cap_nets;
  mark_t *item_at; /* marks of the items of the cidr list just read */
  size_t cap_item_at;
  /* Facility sectors that are not built in, resolved against sectors:
   * once the whole file is read (it may come after the facilities). */
  char **sector_pending; /* per facility, lower-case name or NULL */
  mark_t *sector_at;
} load_t;

/* ---- messages ---- */

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Copies text for a message: control and non-ASCII bytes become '?',
 * long text is cut with "...". */
static const char *shown(const char *s, size_t len, char *buf, size_t n) {
  size_t o = 0, i;
  for (i = 0; i < len && o + 4 < n; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
  }
  if (i < len) {
    while (o + 4 > n && o > 0)
      o--;
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
  return buf;
}

static wd_rc fail(load_t *L, mark_t at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static wd_rc fail(load_t *L, mark_t at, const char *key, const char *fmt, ...) {
  if (!L->err || L->errlen == 0)
    return WD_ERR_CONFIG;
  char k[96];
  int n = snprintf(L->err, L->errlen, "%s:%u:%u: %s: ", L->name, at.line,
                   at.col, shown(key, strlen(key), k, sizeof k));
  if (n >= 0 && (size_t)n < L->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return WD_ERR_CONFIG;
}

static mark_t mark_of(yaml_mark_t m) {
  mark_t r;
  r.line = m.line >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)m.line + 1;
  r.col = m.column >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)m.column + 1;
  return r;
}

/* ---- numbers and units ---- */

typedef struct unit {
  const char *name;
  uint64_t mult;
} unit_t;

static const unit_t size_units[] = {{"", 1},
                                    {"b", 1},
                                    {"kb", 1000ull},
                                    {"mb", 1000000ull},
                                    {"gb", 1000000000ull},
                                    {"tb", 1000000000000ull},
                                    {"kib", 1ull << 10},
                                    {"mib", 1ull << 20},
                                    {"gib", 1ull << 30},
                                    {"tib", 1ull << 40},
                                    {NULL, 0}};

/* Durations in milliseconds; "" is replaced by the field's unit. */
static const unit_t duration_units[] = {
    {"ms", 1},      {"s", 1000},    {"sec", 1000},   {"m", 60000},
    {"min", 60000}, {"h", 3600000}, {"d", 86400000}, {NULL, 0}};

/* Rate prefixes; case matters ("m" would be milli). */
static const unit_t rate_prefixes[] = {
    {"", 1},           {"k", 1000ull},       {"K", 1000ull},
    {"M", 1000000ull}, {"G", 1000000000ull}, {"T", 1000000000000ull},
    {NULL, 0}};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_space(char c) { return c == ' ' || c == '\t'; }

static void trim(const char **s, size_t *len) {
  while (*len > 0 && is_space(**s)) {
    (*s)++;
    (*len)--;
  }
  while (*len > 0 && is_space((*s)[*len - 1]))
    (*len)--;
}

/* Splits "1_000.25 MiB" into 1000, 25/100 and "MiB". At most three
 * decimals. *over is set when the integer part exceeds 64 bits. */
typedef struct num {
  uint64_t ip;
  uint32_t frac, pow10;
  bool over;
  const char *unit;
  size_t ulen;
} num_t;

static bool split_number(const char *s, size_t len, num_t *n) {
  size_t i = 0;
  memset(n, 0, sizeof *n);
  n->pow10 = 1;
  if (len == 0 || !is_digit(s[0]))
    return false;
  for (; i < len && (is_digit(s[i]) || s[i] == '_'); i++) {
    if (s[i] == '_') {
      if (i + 1 >= len || !is_digit(s[i + 1]))
        return false;
      continue;
    }
    unsigned d = (unsigned)(s[i] - '0');
    if (n->ip > (UINT64_MAX - d) / 10)
      n->over = true;
    else
      n->ip = n->ip * 10 + d;
  }
  if (i < len && s[i] == '.') {
    i++;
    if (i >= len || !is_digit(s[i]))
      return false;
    for (; i < len && is_digit(s[i]); i++) {
      if (n->pow10 == 1000)
        return false;
      n->frac = n->frac * 10 + (uint32_t)(s[i] - '0');
      n->pow10 *= 10;
    }
  }
  while (i < len && is_space(s[i]))
    i++;
  n->unit = s + i;
  n->ulen = len - i;
  return true;
}

/* n * mult; false on overflow; *whole false when a fraction remains. */
static bool scale(const num_t *n, uint64_t mult, uint64_t *out, bool *whole) {
  if (n->over || (mult && n->ip > UINT64_MAX / mult))
    return false;
  uint64_t v = n->ip * mult;
  uint64_t f = (uint64_t)n->frac * mult; /* frac < 1000, mult < 2^50 */
  *whole = f % n->pow10 == 0;
  f /= n->pow10;
  if (v > UINT64_MAX - f)
    return false;
  *out = v + f;
  return true;
}

static bool unit_eq(const char *u, size_t ulen, const char *name, bool icase) {
  return strlen(name) == ulen &&
         (icase ? strncasecmp(u, name, ulen) : strncmp(u, name, ulen)) == 0;
}

static const unit_t *find_unit(const unit_t *t, const char *u, size_t ulen,
                               bool icase) {
  for (; t->name; t++)
    if (unit_eq(u, ulen, t->name, icase))
      return t;
  return NULL;
}

/* Drops a trailing suffix (any of sfx[]) from the unit text. */
static void strip_suffix(const char **u, size_t *ulen, const char *const *sfx) {
  for (; *sfx; sfx++) {
    size_t l = strlen(*sfx);
    if (*ulen >= l && strncmp(*u + *ulen - l, *sfx, l) == 0) {
      *ulen -= l;
      break;
    }
  }
  while (*ulen > 0 && is_space((*u)[*ulen - 1]))
    (*ulen)--;
}

/* ---- formatting values (messages and dump) ---- */

static const char *fmt_u(const wd_config_key_t *k, uint64_t v, char *buf,
                         size_t n) {
  static const unit_t bin[] = {{"TiB", 1ull << 40},
                               {"GiB", 1ull << 30},
                               {"MiB", 1ull << 20},
                               {"KiB", 1ull << 10},
                               {NULL, 0}};
  static const unit_t dur[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000},
                               {"s", 1000},     {"ms", 1},      {NULL, 0}};
  static const unit_t bits[] = {{"Tbit/s", 1000000000000ull},
                                {"Gbit/s", 1000000000ull},
                                {"Mbit/s", 1000000ull},
                                {"kbit/s", 1000ull},
                                {NULL, 0}};
  const unit_t *t = NULL;
  uint64_t x = v;
  switch (k->type) {
  case WD_CONFIG_SIZE:
    t = bin;
    break;
  case WD_CONFIG_DURATION:
    t = dur;
    if (v > UINT64_MAX / k->unit_ms) {
      snprintf(buf, n, "%llu", (unsigned long long)v);
      return buf;
    }
    x = v * k->unit_ms;
    if (x == 0) {
      snprintf(buf, n, k->unit_ms == 1 ? "0ms" : "0s");
      return buf;
    }
    break;
  case WD_CONFIG_BITRATE:
    t = bits;
    break;
  default:
    break;
  }
  if (t && x != 0)
    for (; t->name; t++)
      if (x % t->mult == 0) {
        snprintf(buf, n, "%llu%s%s", (unsigned long long)(x / t->mult),
                 k->type == WD_CONFIG_DURATION ? "" : " ", t->name);
        return buf;
      }
  if (k->type == WD_CONFIG_BITRATE && x != 0)
    snprintf(buf, n, "%llu bit/s", (unsigned long long)x);
  else
    snprintf(buf, n, "%llu", (unsigned long long)x);
  return buf;
}

static const char *fmt_d(double v, char *buf, size_t n) {
  snprintf(buf, n, "%.15g", v);
  if (strtod(buf, NULL) != v)
    snprintf(buf, n, "%.17g", v);
  return buf;
}

/* "a size from 1 MiB to 1 TiB, like ..." for messages and docs. */
static const char *expectation(const wd_config_key_t *k, char *buf, size_t n) {
  char lo[48], hi[48];
  switch (k->type) {
  case WD_CONFIG_BOOL:
    snprintf(buf, n, "true or false (also yes/no, on/off)");
    break;
  case WD_CONFIG_UINT:
    snprintf(buf, n, "a whole number from %s to %s",
             fmt_u(k, k->min, lo, sizeof lo), fmt_u(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_SIZE:
    snprintf(buf, n,
             "a size from %s to %s, like '64 MiB', '512 KB' or a number of "
             "bytes",
             fmt_u(k, k->min, lo, sizeof lo), fmt_u(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_DURATION:
    snprintf(buf, n,
             "a duration from %s to %s, like '%s' (a bare number is %s)",
             fmt_u(k, k->min, lo, sizeof lo), fmt_u(k, k->max, hi, sizeof hi),
             k->unit_ms == 1 ? "250ms" : "30s",
             k->unit_ms == 1 ? "milliseconds" : "seconds");
    break;
  case WD_CONFIG_RATE:
    snprintf(buf, n, "a rate per second from %s to %s, like 200000 or '200k'",
             fmt_u(k, k->min, lo, sizeof lo), fmt_u(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_BITRATE:
    snprintf(buf, n, "a bit rate from %s to %s, like '500 Mbit/s' or '500M'",
             fmt_u(k, k->min, lo, sizeof lo), fmt_u(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_DOUBLE:
    snprintf(buf, n, "a number between %s and %s%s",
             fmt_d(k->dmin, lo, sizeof lo), fmt_d(k->dmax, hi, sizeof hi),
             (k->flags & WD_CONFIG_OPEN) ? " (both excluded)" : "");
    break;
  case WD_CONFIG_STRING:
    snprintf(buf, n, "text of %s%llu characters at most, no control characters",
             k->min ? "1 to " : "", (unsigned long long)k->max);
    break;
  case WD_CONFIG_ENUM: {
    size_t o = (size_t)snprintf(buf, n, "one of");
    for (size_t i = 0; k->names[i] && o < n; i++)
      o += (size_t)snprintf(buf + o, n - o, "%s %s", i ? "," : "", k->names[i]);
    break;
  }
  case WD_CONFIG_CIDRS:
    snprintf(buf, n,
             "a list of %s%llu networks like [10.0.0.0/8, 2001:db8::/32]",
             k->min ? "1 to " : "up to ", (unsigned long long)k->max);
    break;
  }
  return buf;
}

/* ---- fields ---- */

static void store_u(const wd_config_key_t *k, void *base, uint64_t v) {
  char *p = (char *)base + k->off;
  if (k->size == 4) {
    uint32_t x = (uint32_t)v;
    memcpy(p, &x, 4);
  } else {
    memcpy(p, &v, 8);
  }
}

static uint64_t load_u(const wd_config_key_t *k, const void *base) {
  const char *p = (const char *)base + k->off;
  if (k->size == 4) {
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
  }
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static char **str_field(const wd_config_key_t *k, void *base) {
  return (char **)(void *)((char *)base + k->off);
}

static wd_cidr_t **cidrs_field(const wd_config_key_t *k, void *base) {
  return (wd_cidr_t **)(void *)((char *)base + k->off);
}

static size_t *count_field(const wd_config_key_t *k, void *base) {
  return (size_t *)(void *)((char *)base + k->off_n);
}

static void free_fields(const wd_config_key_t *keys, size_t n, void *base) {
  for (size_t i = 0; i < n; i++) {
    if (keys[i].type == WD_CONFIG_STRING) {
      free(*str_field(&keys[i], base));
      *str_field(&keys[i], base) = NULL;
    } else if (keys[i].type == WD_CONFIG_CIDRS) {
      free(*cidrs_field(&keys[i], base));
      *cidrs_field(&keys[i], base) = NULL;
      *count_field(&keys[i], base) = 0;
    }
  }
}

static bool is_null(const char *s, size_t len, bool plain) {
  if (!plain)
    return false;
  return len == 0 || (len == 1 && s[0] == '~') ||
         (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
                       memcmp(s, "NULL", 4) == 0));
}

/* C0/C1 controls, DEL, and the Unicode line/paragraph separators and BOM:
 * none belongs in a path or a name, and YAML folds some of them. */
static bool is_control(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] < 0x20 || u[0] == 0x7f)
    return true;
  if (len >= 2 && u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
    return true;
  return len >= 3 &&
         ((u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) ||
          (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf));
}

static void mask_addr(wd_addr_t *a, unsigned len) {
  for (unsigned i = 0; i < 16; i++) {
    unsigned bits = len > i * 8 ? len - i * 8 : 0;
    if (bits < 8)
      a->b[i] &= (uint8_t)(0xff00u >> bits);
  }
}

/* One network of a list. On error writes "problem; expected ..." to tail. */
static bool cidr_item(const char *s, size_t len, wd_cidr_t *out, char *tail,
                      size_t tn) {
  char buf[WD_ADDR_STRLEN + 8], sh[64];
  trim(&s, &len);
  if (len == 0 || len >= sizeof buf || memchr(s, '\0', len)) {
    snprintf(tail, tn,
             "'%s' is not a network; expected CIDR notation like "
             "10.0.0.0/8 or 2001:db8::/32",
             shown(s, len, sh, sizeof sh));
    return false;
  }
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (wd_cidr_parse(buf, out) == WD_OK)
    return true;
  /* Tell host bits apart from bad syntax: same parse with the bits masked. */
  char *slash = strchr(buf, '/');
  wd_addr_t a;
  if (slash) {
    *slash = '\0';
    char *end;
    errno = 0;
    unsigned long plen = strtoul(slash + 1, &end, 10);
    bool v4 = strchr(buf, ':') == NULL;
    if (is_digit(slash[1]) && *end == '\0' && plen <= (v4 ? 32u : 128u) &&
        wd_addr_parse(buf, &a) == WD_OK) {
      wd_cidr_t c = {a, (uint8_t)(plen + (v4 ? 96 : 0))};
      mask_addr(&c.addr, c.len);
      char net[WD_ADDR_STRLEN + 4];
      snprintf(tail, tn,
               "host bits set in '%s'; expected the network address %s",
               shown(s, len, sh, sizeof sh), wd_cidr_str(&c, net));
      return false;
    }
  }
  snprintf(tail, tn,
           "'%s' is not a network; expected CIDR notation like 10.0.0.0/8 or "
           "2001:db8::/32",
           shown(s, len, sh, sizeof sh));
  return false;
}

static wd_rc cidrs_push(wd_cidr_list_t *l, size_t *cap, const wd_cidr_t *c) {
  if (l->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    wd_cidr_t *nv = realloc(l->v, nc * sizeof *nv);
    if (!nv)
      return WD_ERR_NOMEM;
    l->v = nv;
    *cap = nc;
  }
  l->v[l->n++] = *c;
  return WD_OK;
}

static void cidrs_store(const wd_config_key_t *k, void *base,
                        wd_cidr_list_t *l) {
  free(*cidrs_field(k, base));
  *cidrs_field(k, base) = l->v;
  *count_field(k, base) = l->n;
  l->v = NULL;
  l->n = 0;
}

static wd_rc cidrs_count_ok(const wd_config_key_t *k, size_t n, char *tail,
                            size_t tn) {
  char ex[160];
  if (n < k->min || n > k->max) {
    snprintf(tail, tn, "%s; expected %s",
             n < k->min ? "no networks" : "too many networks",
             expectation(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  return WD_OK;
}

/* Parses one scalar into its field. null: the YAML null. On a bad value
 * returns WD_ERR_CONFIG with "problem; expected ..." in tail. */
static wd_rc apply_scalar(const wd_config_key_t *k, void *base, const char *s,
                          size_t len, bool null, char *tail, size_t tn) {
  char ex[200], sh[64], a[48], b[48];
  uint64_t v = 0;
  if (s)
    trim(&s, &len);
  if (s && memchr(s, '\0', len)) {
    snprintf(tail, tn, "value holds a NUL byte; expected %s",
             expectation(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  if (null && k->type != WD_CONFIG_STRING && k->type != WD_CONFIG_CIDRS) {
    snprintf(tail, tn, "no value; expected %s", expectation(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  switch (k->type) {
  case WD_CONFIG_BOOL: {
    static const char *const yes[] = {"true", "yes", "on", NULL};
    static const char *const no[] = {"false", "no", "off", NULL};
    for (int i = 0; yes[i]; i++) {
      if (unit_eq(s, len, yes[i], true)) {
        *(bool *)(void *)((char *)base + k->off) = true;
        return WD_OK;
      }
      if (unit_eq(s, len, no[i], true)) {
        *(bool *)(void *)((char *)base + k->off) = false;
        return WD_OK;
      }
    }
    snprintf(tail, tn, "'%s' is not a boolean; expected %s",
             shown(s, len, sh, sizeof sh), expectation(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  case WD_CONFIG_UINT:
  case WD_CONFIG_SIZE:
  case WD_CONFIG_DURATION:
  case WD_CONFIG_RATE:
  case WD_CONFIG_BITRATE: {
    num_t n;
    const unit_t *u = NULL;
    bool whole = true, ok = split_number(s, len, &n);
    if (ok) {
      const char *us = n.unit;
      size_t ul = n.ulen;
      switch (k->type) {
      case WD_CONFIG_UINT:
        u = ul == 0 && n.pow10 == 1 ? &rate_prefixes[0] : NULL;
        break;
      case WD_CONFIG_SIZE:
        u = find_unit(size_units, us, ul, true);
        break;
      case WD_CONFIG_DURATION: {
        static const unit_t bare[] = {{"", 1000}, {"", 1}};
        u = ul == 0 ? &bare[k->unit_ms == 1]
                    : find_unit(duration_units, us, ul, true);
        break;
      }
      case WD_CONFIG_RATE: {
        static const char *const sfx[] = {"pps", "/s", NULL};
        strip_suffix(&us, &ul, sfx);
        u = find_unit(rate_prefixes, us, ul, false);
        break;
      }
      default: {
        static const char *const sfx[] = {"bit/s", "bps", "b/s", NULL};
        strip_suffix(&us, &ul, sfx);
        u = find_unit(rate_prefixes, us, ul, false);
        break;
      }
      }
    }
    if (!ok || !u) {
      static const char *const what[] = {[WD_CONFIG_UINT] = "a whole number",
                                         [WD_CONFIG_SIZE] = "a size",
                                         [WD_CONFIG_DURATION] = "a duration",
                                         [WD_CONFIG_RATE] = "a rate",
                                         [WD_CONFIG_BITRATE] = "a bit rate"};
      snprintf(tail, tn, "'%s' is not %s; expected %s",
               shown(s, len, sh, sizeof sh), what[k->type],
               expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    bool fits = scale(&n, u->mult, &v, &whole);
    if (fits && k->type == WD_CONFIG_DURATION) {
      whole = whole && v % k->unit_ms == 0;
      v /= k->unit_ms;
    }
    if (fits && !whole) {
      snprintf(tail, tn, "'%s' is not a whole number of %s; expected %s",
               shown(s, len, sh, sizeof sh),
               k->type == WD_CONFIG_SIZE ? "bytes"
               : k->type == WD_CONFIG_DURATION
                   ? (k->unit_ms == 1 ? "milliseconds" : "seconds")
               : k->type == WD_CONFIG_RATE ? "packets per second"
                                           : "bits per second",
               expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    if (!fits || v > k->max) {
      snprintf(tail, tn, "%s is above the maximum %s; expected %s",
               shown(s, len, sh, sizeof sh), fmt_u(k, k->max, a, sizeof a),
               expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    if (v < k->min) {
      snprintf(tail, tn, "%s is below the minimum %s; expected %s",
               shown(s, len, sh, sizeof sh), fmt_u(k, k->min, b, sizeof b),
               expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    store_u(k, base, v);
    return WD_OK;
  }
  case WD_CONFIG_DOUBLE: {
    char buf[64];
    double d = 0;
    char *end = NULL;
    bool ok = len > 0 && len < sizeof buf &&
              (is_digit(s[0]) || s[0] == '.' || s[0] == '-' || s[0] == '+');
    if (ok) {
      memcpy(buf, s, len);
      buf[len] = '\0';
      errno = 0;
      d = strtod(buf, &end);
      ok = *end == '\0' && errno == 0 && isfinite(d);
    }
    if (!ok) {
      snprintf(tail, tn, "'%s' is not a number; expected %s",
               shown(s, len, sh, sizeof sh), expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    bool open = (k->flags & WD_CONFIG_OPEN) != 0;
    if (open ? (d <= k->dmin || d >= k->dmax) : (d < k->dmin || d > k->dmax)) {
      snprintf(tail, tn, "%s is out of range; expected %s",
               shown(s, len, sh, sizeof sh), expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    memcpy((char *)base + k->off, &d, sizeof d);
    return WD_OK;
  }
  case WD_CONFIG_STRING: {
    if (null || len == 0) {
      if (k->min > 0) {
        snprintf(tail, tn, "no value; expected %s",
                 expectation(k, ex, sizeof ex));
        return WD_ERR_CONFIG;
      }
      free(*str_field(k, base));
      *str_field(k, base) = NULL;
      return WD_OK;
    }
    for (size_t i = 0; i < len; i++)
      if (is_control(s + i, len - i)) {
        snprintf(tail, tn, "control character in '%s'; expected %s",
                 shown(s, len, sh, sizeof sh), expectation(k, ex, sizeof ex));
        return WD_ERR_CONFIG;
      }
    if (len > k->max) {
      snprintf(tail, tn, "text of %zu characters is too long; expected %s", len,
               expectation(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    char *copy = malloc(len + 1);
    if (!copy)
      return WD_ERR_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    free(*str_field(k, base));
    *str_field(k, base) = copy;
    return WD_OK;
  }
  case WD_CONFIG_ENUM:
    for (int i = 0; k->names[i]; i++)
      if (unit_eq(s, len, k->names[i], true)) {
        memcpy((char *)base + k->off, &i, sizeof i);
        return WD_OK;
      }
    snprintf(tail, tn, "'%s' is not a known value; expected %s",
             shown(s, len, sh, sizeof sh), expectation(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  case WD_CONFIG_CIDRS: {
    /* A scalar list: "10.0.0.0/8, 192.168.0.0/16" (null: empty). */
    wd_cidr_list_t l = {NULL, 0};
    size_t cap = 0;
    wd_rc rc = WD_OK;
    while (!null && len > 0 && rc == WD_OK) {
      const char *comma = memchr(s, ',', len);
      size_t il = comma ? (size_t)(comma - s) : len;
      wd_cidr_t c;
      if (l.n >= k->max)
        rc = cidrs_count_ok(k, l.n + 1, tail, tn);
      else if (!cidr_item(s, il, &c, tail, tn))
        rc = WD_ERR_CONFIG;
      else
        rc = cidrs_push(&l, &cap, &c);
      s += il;
      len -= il;
      if (comma) {
        s++;
        len--;
        if (len == 0 && rc == WD_OK)
          rc = cidr_item(s, 0, &c, tail, tn) ? WD_OK : WD_ERR_CONFIG;
      }
    }
    if (rc == WD_OK)
      rc = cidrs_count_ok(k, l.n, tail, tn);
    if (rc == WD_OK)
      cidrs_store(k, base, &l);
    free(l.v);
    return rc;
  }
  }
  return WD_ERR_INVAL;
}

static wd_rc apply_defaults(const wd_config_key_t *keys, size_t n, void *base) {
  char tail[256];
  for (size_t i = 0; i < n; i++) {
    const char *d = keys[i].def;
    if (!d && (keys[i].flags & WD_CONFIG_REQUIRED))
      continue;
    wd_rc rc = apply_scalar(&keys[i], base, d, d ? strlen(d) : 0, d == NULL,
                            tail, sizeof tail);
    if (rc != WD_OK)
      return rc == WD_ERR_NOMEM ? rc : WD_ERR_INVAL; /* a bad table row */
  }
  return WD_OK;
}

/* ---- index: sorted prefixes ---- */

static int cidr_cmp(const wd_cidr_t *a, const wd_cidr_t *b) {
  int c = memcmp(a->addr.b, b->addr.b, 16);
  return c ? c : (int)a->len - (int)b->len;
}

static int cmp_cidr(const void *x, const void *y) { return cidr_cmp(x, y); }

static int cmp_net_ref(const void *x, const void *y) {
  const net_ref_t *a = x, *b = y;
  int c = cidr_cmp(&a->c, &b->c);
  if (c)
    return c;
  return a->fac < b->fac ? -1 : a->fac > b->fac;
}

/* First i in [lo, hi) with v[i].addr > a (or hi). */
static size_t upper_bound(const wd_cidr_t *v, size_t lo, size_t hi,
                          const wd_addr_t *a) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (memcmp(v[mid].addr.b, a->b, 16) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* First i with v[i].addr >= a. */
static size_t lower_bound(const wd_cidr_t *v, size_t n, const wd_addr_t *a) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (memcmp(v[mid].addr.b, a->b, 16) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The top bits of a w-bit word. */
static uint64_t wmask(unsigned w, unsigned bits) {
  if (bits == 0)
    return 0;
  uint64_t full = w == 64 ? ~0ull : (1ull << w) - 1;
  return (~0ull << (w - bits)) & full;
}

/* IPv4: the 32-bit address; IPv6: its top 64 bits. */
static uint64_t fam_val(const wd_addr_t *a, bool v4) {
  uint64_t x = 0;
  const uint8_t *p = v4 ? a->b + 12 : a->b;
  for (int i = 0; i < (v4 ? 4 : 8); i++)
    x = x << 8 | p[i];
  return x;
}

/* The address whose family value is x; the rest all ones or zeros. */
static void fam_addr(wd_addr_t *a, bool v4, uint64_t x, bool ones) {
  if (v4) {
    uint8_t q[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
                    (uint8_t)x};
    wd_addr_from_v4(a, q);
    return;
  }
  for (int i = 0; i < 8; i++)
    a->b[i] = (uint8_t)(x >> (56 - 8 * i));
  memset(a->b + 8, ones ? 0xff : 0, 8);
}

/* Family value of the last address of prefix c. */
static uint64_t fam_last(const wd_cidr_t *c, bool v4) {
  unsigned w = v4 ? 32 : 64;
  unsigned len = v4 ? c->len - 96u : (c->len > 64 ? 64u : c->len);
  return fam_val(&c->addr, v4) | (wmask(w, w) & ~wmask(w, len));
}

/* Index of the prefix of s holding a, or -1. The candidate is the last
 * prefix starting at or before a: in a's bucket, or the one just before
 * it (disjoint prefixes: no earlier one can hold a instead). */
static long search(const prefix_set_t *s, const wd_addr_t *a) {
  size_t lo = 0, hi = s->n;
  if (s->indexed) {
    bool v4 = wd_addr_is_v4(a);
    const fam_index_t *f = v4 ? &s->f4 : &s->f6;
    if (!f->b)
      return -1;
    uint64_t x = fam_val(a, v4);
    if (((x ^ f->base) & wmask(f->width, f->plen)) != 0)
      return -1; /* outside every prefix of the family */
    uint64_t k = 0;
    if (f->nb)
      k = ((x << f->plen) & wmask(f->width, f->width)) >> (f->width - f->nb);
    lo = f->b[k];
    hi = f->b[k + 1];
  }
  size_t i = upper_bound(s->v, lo, hi, a);
  if (i == 0 || !wd_cidr_contains(&s->v[i - 1], a))
    return -1;
  return (long)(i - 1);
}

static void set_free(prefix_set_t *s) {
  free(s->v);
  free(s->f4.b);
  free(s->f6.b);
  memset(s, 0, sizeof *s);
}

/* Buckets of one family; first..last are its lowest and highest family
 * values. */
static wd_rc fam_init(fam_index_t *f, const prefix_set_t *s, bool v4,
                      uint64_t first, uint64_t last) {
  unsigned w = v4 ? 32 : 64, plen = 0;
  while (plen < w && ((first ^ last) & wmask(w, plen + 1)) == 0)
    plen++;
  f->width = (uint8_t)w;
  f->plen = (uint8_t)plen;
  f->nb = (uint8_t)(w - plen < BUCKET_BITS ? w - plen : BUCKET_BITS);
  f->base = first & wmask(w, plen);
  size_t nbk = (size_t)1 << f->nb;
  f->b = malloc((nbk + 1) * sizeof *f->b);
  if (!f->b)
    return WD_ERR_NOMEM;
  wd_addr_t a;
  for (size_t k = 0; k < nbk; k++) {
    fam_addr(&a, v4, f->base | (uint64_t)k << (w - plen - f->nb), false);
    f->b[k] = (uint32_t)lower_bound(s->v, s->n, &a);
  }
  fam_addr(&a, v4, f->base | (wmask(w, w) & ~wmask(w, plen)), true);
  f->b[nbk] = (uint32_t)upper_bound(s->v, 0, s->n, &a);
  return WD_OK;
}

/* Takes v (sorted, disjoint; owned by s from now on, freed on failure)
 * and builds the buckets when worth it. */
static wd_rc set_init(prefix_set_t *s, wd_cidr_t *v, size_t n) {
  memset(s, 0, sizeof *s);
  s->v = v;
  s->n = n;
  if (n < BUCKET_MIN)
    return WD_OK;
  /* IPv4 prefixes sit together in [i0, i1). A wider IPv6 prefix holding
   * IPv4 space (::/0, ::/8) would be found by neither family: no index. */
  static const uint8_t zero4[4] = {0, 0, 0, 0};
  wd_addr_t a;
  wd_addr_from_v4(&a, zero4);
  size_t i0 = lower_bound(v, n, &a), i1 = i0;
  if (i0 > 0 && wd_cidr_contains(&v[i0 - 1], &a))
    return WD_OK;
  while (i1 < n && wd_addr_is_v4(&v[i1].addr))
    i1++;
  wd_rc rc = WD_OK;
  if (i1 > i0)
    rc = fam_init(&s->f4, s, true, fam_val(&v[i0].addr, true),
                  fam_last(&v[i1 - 1], true));
  if (rc == WD_OK && (i0 > 0 || i1 < n))
    rc = fam_init(&s->f6, s, false, fam_val(&v[i0 > 0 ? 0 : i1].addr, false),
                  fam_last(&v[i1 < n ? n - 1 : i0 - 1], false));
  if (rc != WD_OK) {
    set_free(s);
    return rc;
  }
  s->indexed = true;
  return WD_OK;
}

/* Sorted copy of v without the prefixes nested in others. */
static wd_rc disjoint_copy(const wd_cidr_t *v, size_t n, wd_cidr_t **out,
                           size_t *nout) {
  wd_cidr_t *c = malloc((n ? n : 1) * sizeof *c);
  if (!c)
    return WD_ERR_NOMEM;
  if (n)
    memcpy(c, v, n * sizeof *c);
  if (n > 1)
    qsort(c, n, sizeof *c, cmp_cidr);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || !wd_cidr_contains(&c[k - 1], &c[i].addr))
      c[k++] = c[i];
  *out = c;
  *nout = k;
  return WD_OK;
}

/* Rebuilds the lookups from facilities, home_net and home_net_set. The
 * facility networks are disjoint (checked at load). */
static wd_rc index_build(wd_config_t *cfg) {
  struct wd_config_index *x = cfg->index;
  size_t total = 0;
  for (size_t i = 0; i < cfg->n_facilities; i++)
    total += cfg->facilities[i].n_networks;
  net_ref_t *r = malloc((total ? total : 1) * sizeof *r);
  wd_cidr_t *fc = malloc((total ? total : 1) * sizeof *fc);
  uint32_t *fid = malloc((total ? total : 1) * sizeof *fid);
  wd_cidr_t *prot = NULL;
  size_t n_prot = 0, k = 0;
  prefix_set_t fs = {0}, ps = {0};
  bool prot_is_fac = !cfg->home_net_set && cfg->n_facilities > 0;
  wd_rc rc = WD_ERR_NOMEM;
  if (!r || !fc || !fid)
    goto out;
  for (size_t i = 0; i < cfg->n_facilities; i++)
    for (size_t j = 0; j < cfg->facilities[i].n_networks; j++) {
      r[k].c = cfg->facilities[i].networks[j];
      r[k].fac = (uint32_t)i;
      k++;
    }
  if (total > 1)
    qsort(r, total, sizeof *r, cmp_net_ref);
  for (k = 0; k < total; k++) {
    fc[k] = r[k].c;
    fid[k] = r[k].fac;
  }
  if (!prot_is_fac && (rc = disjoint_copy(cfg->home_net.v, cfg->home_net.n,
                                          &prot, &n_prot)) != WD_OK)
    goto out;
  /* set_init owns the array from here, freeing it when it fails. */
  rc = set_init(&fs, fc, total);
  fc = NULL;
  if (rc != WD_OK)
    goto out;
  rc = set_init(&ps, prot, n_prot);
  prot = NULL;
  if (rc != WD_OK) {
    set_free(&fs);
    goto out;
  }
  set_free(&x->fac);
  set_free(&x->prot);
  free(x->fac_id);
  x->fac = fs;
  x->prot = ps;
  x->fac_id = fid;
  x->prot_is_fac = prot_is_fac;
  fid = NULL;
out:
  free(r);
  free(fc);
  free(fid);
  free(prot);
  return rc;
}

/* ---- public: life cycle ---- */

void wd_config_free(wd_config_t *cfg) {
  if (!cfg)
    return;
  const wd_config_key_t *keys, *fkeys;
  size_t n = wd_config_keys(&keys), nf = wd_config_facility_keys(&fkeys);
  free_fields(keys, n, cfg);
  for (size_t i = 0; i < cfg->n_facilities; i++)
    free_fields(fkeys, nf, &cfg->facilities[i]);
  free(cfg->facilities);
  for (size_t i = 0; i < cfg->n_sectors; i++)
    free(cfg->sectors[i]);
  free(cfg->sectors);
  free(cfg->path);
  if (cfg->index) {
    set_free(&cfg->index->fac);
    set_free(&cfg->index->prot);
    free(cfg->index->fac_id);
    free(cfg->index->set);
    free(cfg->index);
  }
  free(cfg);
}

static wd_rc config_new(wd_config_t **out) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys);
  wd_config_t *cfg = calloc(1, sizeof *cfg);
  if (!cfg)
    return WD_ERR_NOMEM;
  cfg->index = calloc(1, sizeof *cfg->index);
  if (!cfg->index || !(cfg->index->set = calloc(n, sizeof(bool)))) {
    wd_config_free(cfg);
    return WD_ERR_NOMEM;
  }
  wd_rc rc = apply_defaults(keys, n, cfg);
  if (rc != WD_OK) {
    wd_config_free(cfg);
    return rc;
  }
  *out = cfg;
  return WD_OK;
}

wd_rc wd_config_defaults(wd_config_t **out) {
  wd_config_t *cfg;
  *out = NULL;
  wd_rc rc = config_new(&cfg);
  if (rc != WD_OK)
    return rc;
  if ((rc = index_build(cfg)) != WD_OK) {
    wd_config_free(cfg);
    return rc;
  }
  *out = cfg;
  return WD_OK;
}

/* ---- loading: events ---- */

static const char *event_what(const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SEQUENCE_START_EVENT:
    return "a list";
  case YAML_MAPPING_START_EVENT:
    return "a mapping";
  case YAML_SCALAR_EVENT:
    return "a value";
  default:
    return "the end of a block";
  }
}

/* Next event; refuses aliases and anchors (no expansion bombs, and one
 * place per value keeps messages exact). */
static wd_rc next(load_t *L, yaml_event_t *ev) {
  if (!yaml_parser_parse(&L->parser, ev)) {
    yaml_parser_t *p = &L->parser;
    if (p->error == YAML_MEMORY_ERROR) {
      put_err(L->err, L->errlen, "%s: out of memory while reading", L->name);
      return WD_ERR_NOMEM;
    }
    mark_t at = mark_of(p->problem_mark);
    if (p->error == YAML_READER_ERROR) {
      /* Bad bytes (NUL, invalid UTF-8) come with an offset, not a mark. */
      size_t off = p->problem_offset < L->len ? p->problem_offset : L->len;
      at.line = 1;
      at.col = 1;
      for (size_t i = 0; i < off; i++) {
        if (L->buf[i] == '\n') {
          at.line++;
          at.col = 1;
        } else if (((unsigned char)L->buf[i] & 0xc0) != 0x80) {
          at.col++;
        }
      }
    }
    char a[96], b[96];
    const char *prob = p->problem ? p->problem : "malformed input";
    if (p->context)
      return fail(L, at, "yaml", "%s %s; expected well-formed YAML",
                  shown(p->context, strlen(p->context), a, sizeof a),
                  shown(prob, strlen(prob), b, sizeof b));
    return fail(L, at, "yaml", "%s; expected well-formed YAML",
                shown(prob, strlen(prob), b, sizeof b));
  }
  const yaml_char_t *anchor = NULL;
  if (ev->type == YAML_SCALAR_EVENT)
    anchor = ev->data.scalar.anchor;
  else if (ev->type == YAML_SEQUENCE_START_EVENT)
    anchor = ev->data.sequence_start.anchor;
  else if (ev->type == YAML_MAPPING_START_EVENT)
    anchor = ev->data.mapping_start.anchor;
  if (ev->type == YAML_ALIAS_EVENT || anchor) {
    mark_t at = mark_of(ev->start_mark);
    yaml_event_delete(ev);
    return fail(L, at, "yaml",
                "anchors and aliases are not supported; expected plain "
                "values");
  }
  return WD_OK;
}

/* ---- loading: suggestions ---- */

/* Optimal string alignment distance (a swap counts one), capped inputs. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 80 || lb > 80)
    return SIZE_MAX;
  unsigned char d[81][81];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (unsigned char)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (unsigned char)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      unsigned c = d[i - 1][j - 1] + (unsigned)(a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1u < c)
        c = d[i - 1][j] + 1u;
      if (d[i][j - 1] + 1u < c)
        c = d[i][j - 1] + 1u;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1u < c)
        c = d[i - 2][j - 2] + 1u;
      d[i][j] = (unsigned char)c;
    }
  return d[la][lb];
}

static void consider(const char *key, const char *cand, size_t clen, char *best,
                     size_t bestn, size_t *bestd) {
  char c[PATH_MAX_LEN];
  if (clen >= sizeof c)
    return;
  memcpy(c, cand, clen);
  c[clen] = '\0';
  size_t d = edit_distance(key, c);
  if (d < *bestd) {
    *bestd = d;
    snprintf(best, bestn, "%s", c);
  }
}

/* Closest key or section name to path, if close enough. */
static bool suggest(const wd_config_key_t *keys, size_t n, const char *path,
                    bool sections, char *best, size_t bestn) {
  size_t bestd = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    const char *name = keys[i].name;
    consider(path, name, strlen(name), best, bestn, &bestd);
    if (sections)
      for (const char *d = strchr(name, '.'); d; d = strchr(d + 1, '.'))
        consider(path, name, (size_t)(d - name), best, bestn, &bestd);
  }
  if (sections) {
    consider(path, "facilities", 10, best, bestn, &bestd);
    consider(path, "sectors", 7, best, bestn, &bestd);
  }
  size_t len = strlen(path);
  size_t limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
  return bestd <= limit;
}

static wd_rc unknown_key(load_t *L, mark_t at, const char *slot,
                         const char *path, const char *section, bool facility) {
  char best[PATH_MAX_LEN], sh[96];
  bool close =
      facility ? suggest(L->fkeys, L->nfkeys, path, false, best, sizeof best)
               : suggest(L->keys, L->nkeys, path, true, best, sizeof best);
  char where[96];
  if (facility)
    snprintf(where, sizeof where,
             "a facility key (name, sector, "
             "criticality, networks, max_pps, max_bps)");
  else if (section[0])
    snprintf(where, sizeof where, "a key of section '%s' (docs/config.md)",
             section);
  else
    snprintf(where, sizeof where, "a key listed in docs/config.md");
  if (close)
    return fail(L, at, slot,
                "unknown key '%s'; expected %s; did you mean '%s'?",
                shown(path, strlen(path), sh, sizeof sh), where, best);
  return fail(L, at, slot, "unknown key '%s'; expected %s",
              shown(path, strlen(path), sh, sizeof sh), where);
}

/* ---- loading: values ---- */

static const wd_config_key_t *find_key(const wd_config_key_t *keys, size_t n,
                                       const char *name, size_t *idx) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(keys[i].name, name) == 0) {
      if (idx)
        *idx = i;
      return &keys[i];
    }
  return NULL;
}

static bool is_section(const wd_config_key_t *keys, size_t n,
                       const char *path) {
  size_t l = strlen(path);
  for (size_t i = 0; i < n; i++)
    if (strncmp(keys[i].name, path, l) == 0 && keys[i].name[l] == '.')
      return true;
  return false;
}

static wd_rc item_mark(load_t *L, size_t i, mark_t at) {
  if (i >= L->cap_item_at) {
    size_t nc = L->cap_item_at ? L->cap_item_at * 2 : 16;
    mark_t *nm = realloc(L->item_at, nc * sizeof *nm);
    if (!nm)
      return WD_ERR_NOMEM;
    L->item_at = nm;
    L->cap_item_at = nc;
  }
  L->item_at[i] = at;
  return WD_OK;
}

/* Reads the value of key k (its event comes next) into base. path names
 * the key in messages. Cidr lists leave each item's mark in L->item_at. */
static wd_rc read_value(load_t *L, const wd_config_key_t *k, void *base,
                        const char *path, size_t *n_items) {
  yaml_event_t ev;
  char tail[512], ex[200];
  wd_rc rc = next(L, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = mark_of(ev.start_mark);
  *n_items = 0;
  if (ev.type == YAML_SCALAR_EVENT) {
    const char *s = (const char *)ev.data.scalar.value;
    size_t len = ev.data.scalar.length;
    bool null =
        is_null(s, len, ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
    rc = apply_scalar(k, base, s, len, null, tail, sizeof tail);
    yaml_event_delete(&ev);
    if (rc == WD_ERR_CONFIG)
      return fail(L, at, path, "%s", tail);
    if (rc == WD_OK && k->type == WD_CONFIG_CIDRS) {
      *n_items = *count_field(k, base);
      for (size_t i = 0; i < *n_items && rc == WD_OK; i++)
        rc = item_mark(L, i, at);
    }
    return rc;
  }
  if (ev.type != YAML_SEQUENCE_START_EVENT || k->type != WD_CONFIG_CIDRS) {
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    return fail(L, at, path, "found %s; expected %s", what,
                expectation(k, ex, sizeof ex));
  }
  yaml_event_delete(&ev);
  wd_cidr_list_t l = {NULL, 0};
  size_t cap = 0;
  for (;;) {
    if ((rc = next(L, &ev)) != WD_OK)
      break;
    mark_t iat = mark_of(ev.start_mark);
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&ev);
      if (cidrs_count_ok(k, l.n, tail, sizeof tail) != WD_OK)
        rc = fail(L, at, path, "%s", tail);
      break;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
      const char *what = event_what(&ev);
      yaml_event_delete(&ev);
      rc = fail(L, iat, path, "found %s in the list; expected %s", what,
                expectation(k, ex, sizeof ex));
      break;
    }
    wd_cidr_t c;
    bool ok;
    if (l.n >= k->max) {
      cidrs_count_ok(k, l.n + 1, tail, sizeof tail);
      ok = false;
    } else {
      ok = cidr_item((const char *)ev.data.scalar.value, ev.data.scalar.length,
                     &c, tail, sizeof tail);
    }
    yaml_event_delete(&ev);
    if (!ok) {
      rc = fail(L, iat, path, "%s", tail);
      break;
    }
    if ((rc = item_mark(L, l.n, iat)) != WD_OK ||
        (rc = cidrs_push(&l, &cap, &c)) != WD_OK)
      break;
  }
  if (rc == WD_OK) {
    *n_items = l.n;
    cidrs_store(k, base, &l);
  }
  free(l.v);
  return rc;
}

/* ---- loading: facilities ---- */

static wd_rc net_push(load_t *L, const wd_cidr_t *c, uint32_t fac, mark_t at) {
  if (L->n_nets == L->cap_nets) {
    size_t nc = L->cap_nets ? L->cap_nets * 2 : 64;
    net_ref_t *nn = realloc(L->nets, nc * sizeof *nn);
    if (!nn)
      return WD_ERR_NOMEM;
    L->nets = nn;
    L->cap_nets = nc;
  }
  L->nets[L->n_nets].c = *c;
  L->nets[L->n_nets].fac = fac;
  L->nets[L->n_nets].at = at;
  L->n_nets++;
  return WD_OK;
}

/* ---- loading: sectors ---- */

static bool is_builtin_sector(const char *name) {
  for (int i = 0; i <= WD_SECTOR_OTHER; i++)
    if (strcmp(wd_sector_name((wd_sector)i), name) == 0)
      return true;
  return false;
}

/* A facility's sector: a built-in name (any case), else kept for
 * check_sectors. k is the facility key "sector". */
static wd_rc read_sector(load_t *L, const wd_config_key_t *k, size_t idx,
                         const char *path) {
  yaml_event_t ev;
  char tail[512], ex[200];
  wd_rc rc = next(L, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = mark_of(ev.start_mark);
  if (ev.type != YAML_SCALAR_EVENT) {
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    return fail(L, at, path, "found %s; expected %s", what,
                expectation(k, ex, sizeof ex));
  }
  const char *v = (const char *)ev.data.scalar.value;
  size_t len = ev.data.scalar.length;
  bool null = is_null(v, len, ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
  rc = apply_scalar(k, &L->cfg->facilities[idx], v, len, null, tail,
                    sizeof tail);
  if (rc == WD_ERR_CONFIG && !null && len > 0 && len < WD_SECTOR_NAME_MAX &&
      strlen(v) == len) {
    if (!L->sector_pending &&
        (!(L->sector_pending =
               calloc(WD_FACILITY_MAX, sizeof *L->sector_pending)) ||
         !(L->sector_at = calloc(WD_FACILITY_MAX, sizeof *L->sector_at)))) {
      yaml_event_delete(&ev);
      return WD_ERR_NOMEM;
    }
    char *low = strdup(v);
    if (!low) {
      yaml_event_delete(&ev);
      return WD_ERR_NOMEM;
    }
    for (char *c = low; *c; c++)
      if (*c >= 'A' && *c <= 'Z')
        *c = (char)(*c - 'A' + 'a');
    free(L->sector_pending[idx]);
    L->sector_pending[idx] = low;
    L->sector_at[idx] = at;
    rc = WD_OK;
  }
  yaml_event_delete(&ev);
  if (rc == WD_ERR_CONFIG)
    return fail(L, at, path, "%s", tail);
  return rc;
}

static bool sector_name_ok(const char *s, size_t len) {
  if (len == 0 || len >= WD_SECTOR_NAME_MAX || strlen(s) != len ||
      !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-'))
      return false;
  return s[len - 1] != '-';
}

/* Top-level "sectors: [name, ...]": extra sector names. */
static wd_rc read_sectors(load_t *L) {
  yaml_event_t ev;
  char sh[64];
  wd_rc rc = next(L, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = mark_of(ev.start_mark);
  if (ev.type == YAML_SCALAR_EVENT &&
      is_null((const char *)ev.data.scalar.value, ev.data.scalar.length,
              ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
    yaml_event_delete(&ev);
    return WD_OK;
  }
  if (ev.type != YAML_SEQUENCE_START_EVENT) {
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    return fail(L, at, "sectors",
                "found %s; expected a list of sector names like "
                "[research, water]",
                what);
  }
  yaml_event_delete(&ev);
  wd_config_t *cfg = L->cfg;
  for (;;) {
    if ((rc = next(L, &ev)) != WD_OK)
      return rc;
    mark_t iat = mark_of(ev.start_mark);
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&ev);
      return WD_OK;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
      const char *what = event_what(&ev);
      yaml_event_delete(&ev);
      return fail(L, iat, "sectors", "found %s in the list; expected a name",
                  what);
    }
    const char *v = (const char *)ev.data.scalar.value;
    size_t len = ev.data.scalar.length;
    shown(v, len, sh, sizeof sh);
    bool ok = sector_name_ok(v, len);
    char *dup = ok ? strdup(v) : NULL;
    yaml_event_delete(&ev);
    if (!ok)
      return fail(L, iat, "sectors",
                  "'%s' is not a sector name; expected 1 to %d lower-case "
                  "letters, digits and '-', starting with a letter",
                  sh, WD_SECTOR_NAME_MAX - 1);
    if (!dup)
      return WD_ERR_NOMEM;
    const char *why = is_builtin_sector(dup) ? "is a built-in sector" : NULL;
    for (size_t i = 0; !why && i < cfg->n_sectors; i++)
      if (strcmp(cfg->sectors[i], dup) == 0)
        why = "is listed twice";
    if (!why && cfg->n_sectors >= WD_SECTORS_EXTRA_MAX)
      why = "is one too many";
    if (why) {
      free(dup);
      return fail(L, iat, "sectors",
                  "'%s' %s; expected at most %d distinct names that are not "
                  "built in",
                  sh, why, WD_SECTORS_EXTRA_MAX);
    }
    if (!cfg->sectors &&
        !(cfg->sectors = calloc(WD_SECTORS_EXTRA_MAX, sizeof *cfg->sectors))) {
      free(dup);
      return WD_ERR_NOMEM;
    }
    cfg->sectors[cfg->n_sectors++] = dup;
  }
}

/* Every facility sector that is not built in must be listed in sectors:. */
static wd_rc check_sectors(load_t *L) {
  wd_config_t *cfg = L->cfg;
  if (!L->sector_pending)
    return WD_OK;
  for (size_t i = 0; i < cfg->n_facilities; i++) {
    const char *want = L->sector_pending[i];
    if (!want)
      continue;
    wd_facility_t *f = &cfg->facilities[i];
    for (size_t j = 0; j < cfg->n_sectors; j++)
      if (strcmp(cfg->sectors[j], want) == 0) {
        f->sector = WD_SECTOR_EXTRA;
        f->sector_name = cfg->sectors[j];
      }
    if (f->sector_name)
      continue;
    const wd_config_key_t *k = find_key(L->fkeys, L->nfkeys, "sector", NULL);
    char ex[300], path[64], sh[64];
    snprintf(path, sizeof path, "facilities[%zu].sector", i);
    return fail(L, L->sector_at[i], path,
                "'%s' is not a known value; expected %s, or a name listed "
                "under sectors:",
                shown(want, strlen(want), sh, sizeof sh),
                expectation(k, ex, sizeof ex));
  }
  return WD_OK;
}

/* One "- name: ..." item; its MAPPING_START is consumed. */
static wd_rc read_facility(load_t *L, size_t idx, mark_t start) {
  wd_facility_t *f = &L->cfg->facilities[idx];
  mark_t seen[8] = {{0, 0}};
  char path[PATH_MAX_LEN], prefix[32];
  yaml_event_t ev;
  wd_rc rc;
  snprintf(prefix, sizeof prefix, "facilities[%zu]", idx);
  for (;;) {
    if ((rc = next(L, &ev)) != WD_OK)
      return rc;
    mark_t at = mark_of(ev.start_mark);
    if (ev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
      const char *what = event_what(&ev);
      yaml_event_delete(&ev);
      return fail(L, at, prefix, "found %s as a key; expected a key name",
                  what);
    }
    const char *key = (const char *)ev.data.scalar.value;
    size_t klen = ev.data.scalar.length;
    char kbuf[64];
    shown(key, klen, kbuf, sizeof kbuf);
    yaml_event_delete(&ev);
    snprintf(path, sizeof path, "%s.%s", prefix, kbuf);
    size_t ri;
    const wd_config_key_t *k = find_key(L->fkeys, L->nfkeys, kbuf, &ri);
    if (!k || strlen(kbuf) != klen)
      return unknown_key(L, at, path, kbuf, "", true);
    if (ri < 8 && seen[ri].line)
      return fail(L, at, path,
                  "duplicate key (first given at line %u); expected each "
                  "key once",
                  seen[ri].line);
    if (ri < 8)
      seen[ri] = at;
    if (strcmp(k->name, "sector") == 0) {
      if ((rc = read_sector(L, k, idx, path)) != WD_OK)
        return rc;
      continue;
    }
    size_t n_items;
    if ((rc = read_value(L, k, f, path, &n_items)) != WD_OK)
      return rc;
    if (k->type == WD_CONFIG_CIDRS)
      for (size_t i = 0; i < n_items; i++)
        if ((rc = net_push(L, &f->networks[i], (uint32_t)idx, L->item_at[i])) !=
            WD_OK)
          return rc;
    if (k->type == WD_CONFIG_STRING && strcmp(k->name, "name") == 0)
      for (size_t j = 0; j < idx; j++)
        if (strcmp(L->cfg->facilities[j].name, f->name) == 0)
          return fail(L, at, path,
                      "facility name '%s' is already used by "
                      "facilities[%zu]; expected unique names",
                      f->name, j);
  }
  for (size_t i = 0; i < L->nfkeys && i < 8; i++)
    if ((L->fkeys[i].flags & WD_CONFIG_REQUIRED) && !seen[i].line) {
      snprintf(path, sizeof path, "%s.%s", prefix, L->fkeys[i].name);
      return fail(L, start, path,
                  "missing key '%s'; expected name: and networks: in every "
                  "facility",
                  L->fkeys[i].name);
    }
  return WD_OK;
}

static wd_rc read_facilities(load_t *L) {
  yaml_event_t ev;
  wd_rc rc = next(L, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = mark_of(ev.start_mark);
  if (ev.type == YAML_SCALAR_EVENT &&
      is_null((const char *)ev.data.scalar.value, ev.data.scalar.length,
              ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
    yaml_event_delete(&ev);
    return WD_OK;
  }
  if (ev.type != YAML_SEQUENCE_START_EVENT) {
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    return fail(L, at, "facilities",
                "found %s; expected a list of facilities ('- name: ...')",
                what);
  }
  yaml_event_delete(&ev);
  size_t cap = 0;
  for (;;) {
    if ((rc = next(L, &ev)) != WD_OK)
      return rc;
    at = mark_of(ev.start_mark);
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&ev);
      return WD_OK;
    }
    wd_config_t *cfg = L->cfg;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "facilities[%zu]", cfg->n_facilities);
    if (ev.type != YAML_MAPPING_START_EVENT) {
      const char *what = event_what(&ev);
      yaml_event_delete(&ev);
      return fail(L, at, prefix,
                  "found %s; expected a facility mapping with name: and "
                  "networks:",
                  what);
    }
    yaml_event_delete(&ev);
    if (cfg->n_facilities >= WD_FACILITY_MAX)
      return fail(L, at, prefix,
                  "too many facilities; expected at most %d (WD_FACILITY_MAX)",
                  WD_FACILITY_MAX);
    if (cfg->n_facilities == cap) {
      size_t nc = cap ? cap * 2 : 8;
      wd_facility_t *nf = realloc(cfg->facilities, nc * sizeof *nf);
      if (!nf)
        return WD_ERR_NOMEM;
      cfg->facilities = nf;
      cap = nc;
    }
    size_t idx = cfg->n_facilities++;
    memset(&cfg->facilities[idx], 0, sizeof cfg->facilities[idx]);
    if ((rc = apply_defaults(L->fkeys, L->nfkeys, &cfg->facilities[idx])) !=
        WD_OK)
      return rc;
    if ((rc = read_facility(L, idx, at)) != WD_OK)
      return rc;
  }
}

/* ---- loading: sections ---- */

static wd_rc open_section(load_t *L, const char *path, mark_t at) {
  for (size_t i = 0; i < L->n_sections; i++)
    if (strcmp(L->sections[i].name, path) == 0)
      return fail(L, at, path,
                  "duplicate section (first given at line %u); expected each "
                  "section once",
                  L->sections[i].at.line);
  if (L->n_sections < SECTIONS_MAX &&
      strlen(path) < sizeof L->sections[0].name) {
    snprintf(L->sections[L->n_sections].name, sizeof L->sections[0].name, "%s",
             path);
    L->sections[L->n_sections].at = at;
    L->n_sections++;
  }
  return WD_OK;
}

/* Keys of a mapping under prefix ("" at the top); its MAPPING_START is
 * consumed. Dotted keys ("flow.max: 10") work at any level. */
static wd_rc read_map(load_t *L, const char *prefix, int depth, mark_t start) {
  yaml_event_t ev;
  wd_rc rc;
  char path[PATH_MAX_LEN];
  if (depth > WD_CONFIG_DEPTH_MAX)
    return fail(L, start, prefix, "nested too deep; expected at most %d levels",
                WD_CONFIG_DEPTH_MAX);
  for (;;) {
    if ((rc = next(L, &ev)) != WD_OK)
      return rc;
    mark_t at = mark_of(ev.start_mark);
    if (ev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&ev);
      return WD_OK;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
      const char *what = event_what(&ev);
      yaml_event_delete(&ev);
      return fail(L, at, prefix[0] ? prefix : "(top)",
                  "found %s as a key; expected a key name", what);
    }
    const char *key = (const char *)ev.data.scalar.value;
    size_t klen = ev.data.scalar.length;
    size_t plen = strlen(prefix);
    bool fits = plen + 1 + klen < sizeof path && strlen(key) == klen;
    if (fits) {
      if (plen)
        snprintf(path, sizeof path, "%s.%s", prefix, key);
      else
        snprintf(path, sizeof path, "%s", key);
    } else {
      char sh[96];
      snprintf(path, sizeof path, "%s%s%s", prefix, plen ? "." : "",
               shown(key, klen, sh, sizeof sh));
    }
    yaml_event_delete(&ev);
    size_t ri;
    const wd_config_key_t *k =
        fits ? find_key(L->keys, L->nkeys, path, &ri) : NULL;
    if (k) {
      if (L->set_at[ri].line)
        return fail(L, at, path,
                    "duplicate key (first given at line %u); expected each "
                    "key once",
                    L->set_at[ri].line);
      L->set_at[ri] = at;
      size_t n_items;
      if ((rc = read_value(L, k, L->cfg, path, &n_items)) != WD_OK)
        return rc;
      continue;
    }
    if (fits && strcmp(path, "sectors") == 0) {
      if ((rc = open_section(L, path, at)) != WD_OK ||
          (rc = read_sectors(L)) != WD_OK)
        return rc;
      continue;
    }
    if (fits && strcmp(path, "facilities") == 0) {
      if ((rc = open_section(L, path, at)) != WD_OK ||
          (rc = read_facilities(L)) != WD_OK)
        return rc;
      continue;
    }
    if (!fits || !is_section(L->keys, L->nkeys, path))
      return unknown_key(L, at, path, path, prefix, false);
    if ((rc = open_section(L, path, at)) != WD_OK)
      return rc;
    if ((rc = next(L, &ev)) != WD_OK)
      return rc;
    mark_t vat = mark_of(ev.start_mark);
    if (ev.type == YAML_MAPPING_START_EVENT) {
      yaml_event_delete(&ev);
      if ((rc = read_map(L, path, depth + 1, vat)) != WD_OK)
        return rc;
      continue;
    }
    bool empty =
        ev.type == YAML_SCALAR_EVENT &&
        is_null((const char *)ev.data.scalar.value, ev.data.scalar.length,
                ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    if (!empty)
      return fail(L, vat, path,
                  "found %s; expected a mapping of the keys of section '%s'",
                  what, path);
  }
}

/* ---- loading: checks across keys ---- */

static mark_t mark_or_first(load_t *L, const char *const *names, size_t n) {
  mark_t best = {1, 1};
  /* The key given last in the file, else line 1. */
  for (size_t i = 0; i < n; i++) {
    size_t ri;
    if (find_key(L->keys, L->nkeys, names[i], &ri) && L->set_at[ri].line &&
        (L->set_at[ri].line > best.line ||
         (L->set_at[ri].line == best.line && L->set_at[ri].col > best.col)))
      best = L->set_at[ri];
  }
  return best;
}

static wd_rc check_memcaps(load_t *L) {
  static const char *const names[] = {"memory.cap", "flow.memcap",
                                      "host.memcap", "stream.memcap",
                                      "detect.memcap"};
  const wd_config_t *c = L->cfg;
  uint64_t parts[4] = {c->flow.memcap, c->host.memcap, c->stream.memcap,
                       c->detect.memcap};
  uint64_t sum = 0;
  bool over = false;
  for (int i = 0; i < 4; i++) {
    if (sum > UINT64_MAX - parts[i])
      over = true;
    else
      sum += parts[i];
  }
  if (!over && sum <= c->memory.cap)
    return WD_OK;
  const wd_config_key_t *sk = find_key(L->keys, L->nkeys, "memory.cap", NULL);
  char s[5][48];
  size_t ri;
  mark_t at;
  const char *key;
  if (find_key(L->keys, L->nkeys, "memory.cap", &ri) && L->set_at[ri].line) {
    at = L->set_at[ri];
    key = "memory.cap";
  } else {
    at = mark_or_first(L, names + 1, 4);
    key = "flow.memcap";
    for (int i = 1; i < 5; i++)
      if (find_key(L->keys, L->nkeys, names[i], &ri) &&
          L->set_at[ri].line == at.line && L->set_at[ri].col == at.col)
        key = names[i];
  }
  return fail(L, at, key,
              "flow.memcap %s + host.memcap %s + stream.memcap %s + "
              "detect.memcap %s exceed memory.cap %s; expected the four "
              "memcaps to sum to memory.cap at most",
              fmt_u(sk, parts[0], s[0], 48), fmt_u(sk, parts[1], s[1], 48),
              fmt_u(sk, parts[2], s[2], 48), fmt_u(sk, parts[3], s[3], 48),
              fmt_u(sk, c->memory.cap, s[4], 48));
}

static wd_rc check_scan(load_t *L) {
  const wd_config_t *c = L->cfg;
  static const char *const th[] = {"detect.scan.theta0", "detect.scan.theta1"};
  static const char *const ab[] = {"detect.scan.alpha", "detect.scan.beta"};
  char a[40], b[40];
  if (c->detect.scan.theta1 >= c->detect.scan.theta0) {
    mark_t at = mark_or_first(L, th, 2);
    return fail(L, at, "detect.scan.theta1",
                "theta1 %s is not below theta0 %s; expected scanners to "
                "succeed less often than benign hosts (theta1 < theta0)",
                fmt_d(c->detect.scan.theta1, a, sizeof a),
                fmt_d(c->detect.scan.theta0, b, sizeof b));
  }
  if (c->detect.scan.alpha >= c->detect.scan.beta) {
    mark_t at = mark_or_first(L, ab, 2);
    return fail(L, at, "detect.scan.alpha",
                "alpha %s is not below beta %s; expected a false positive "
                "bound below the detection probability (alpha < beta)",
                fmt_d(c->detect.scan.alpha, a, sizeof a),
                fmt_d(c->detect.scan.beta, b, sizeof b));
  }
  return WD_OK;
}

static bool mark_after(mark_t a, mark_t b) {
  return a.line > b.line || (a.line == b.line && a.col > b.col);
}

/* Facility networks must be disjoint: an address names one facility.
 * Sorted by address, nested prefixes sit next to each other, so checking
 * neighbours finds an overlap if there is one. */
static wd_rc check_overlaps(load_t *L) {
  if (L->n_nets > 1)
    qsort(L->nets, L->n_nets, sizeof *L->nets, cmp_net_ref);
  for (size_t i = 1; i < L->n_nets; i++) {
    const net_ref_t *p = &L->nets[i - 1], *q = &L->nets[i];
    if (!wd_cidr_contains(&p->c, &q->c.addr))
      continue;
    const net_ref_t *late = mark_after(q->at, p->at) ? q : p;
    const net_ref_t *early = late == q ? p : q;
    char path[48], x[WD_ADDR_STRLEN + 4], y[WD_ADDR_STRLEN + 4];
    const wd_facility_t *lf = &L->cfg->facilities[late->fac];
    const wd_facility_t *ef = &L->cfg->facilities[early->fac];
    snprintf(path, sizeof path, "facilities[%u].networks", late->fac);
    if (late->fac == early->fac)
      return fail(L, late->at, path,
                  "%s overlaps %s of the same facility '%s'; expected "
                  "disjoint networks",
                  wd_cidr_str(&late->c, x), wd_cidr_str(&early->c, y),
                  lf->name ? lf->name : "");
    return fail(L, late->at, path,
                "%s of facility '%s' overlaps %s of facility '%s' (line %u); "
                "expected disjoint networks (an address belongs to one "
                "facility)",
                wd_cidr_str(&late->c, x), lf->name ? lf->name : "",
                wd_cidr_str(&early->c, y), ef->name ? ef->name : "",
                early->at.line);
  }
  return WD_OK;
}

/* ---- loading: document ---- */

static wd_rc read_document(load_t *L) {
  yaml_event_t ev;
  wd_rc rc;
  if ((rc = next(L, &ev)) != WD_OK)
    return rc;
  yaml_event_delete(&ev); /* STREAM_START */
  if ((rc = next(L, &ev)) != WD_OK)
    return rc;
  if (ev.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&ev);
    return WD_OK; /* empty file: defaults */
  }
  yaml_event_delete(&ev); /* DOCUMENT_START */
  if ((rc = next(L, &ev)) != WD_OK)
    return rc;
  mark_t at = mark_of(ev.start_mark);
  if (ev.type == YAML_MAPPING_START_EVENT) {
    yaml_event_delete(&ev);
    if ((rc = read_map(L, "", 0, at)) != WD_OK)
      return rc;
  } else {
    bool empty =
        ev.type == YAML_SCALAR_EVENT &&
        is_null((const char *)ev.data.scalar.value, ev.data.scalar.length,
                ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
    const char *what = event_what(&ev);
    yaml_event_delete(&ev);
    if (!empty)
      return fail(L, at, "(top)",
                  "found %s; expected a mapping of keys ('section: ...')",
                  what);
  }
  if ((rc = next(L, &ev)) != WD_OK)
    return rc;
  yaml_event_delete(&ev); /* DOCUMENT_END */
  if ((rc = next(L, &ev)) != WD_OK)
    return rc;
  at = mark_of(ev.start_mark);
  bool end = ev.type == YAML_STREAM_END_EVENT;
  yaml_event_delete(&ev);
  if (!end)
    return fail(L, at, "yaml",
                "a second document; expected a single YAML document");
  return WD_OK;
}

wd_rc wd_config_load_buffer(const char *name, const char *buf, size_t len,
                            wd_config_t **out, char *err, size_t errlen) {
  load_t L;
  wd_rc rc;
  *out = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (!name)
    name = "(buffer)";
  if (!buf) {
    buf = "";
    len = 0;
  }
  if (len > WD_CONFIG_FILE_MAX) {
    put_err(err, errlen,
            "%s:1:1: (file): %zu bytes; expected a configuration of at most "
            "%u bytes",
            name, len, WD_CONFIG_FILE_MAX);
    return WD_ERR_CONFIG;
  }
  memset(&L, 0, sizeof L);
  L.name = name;
  L.buf = buf;
  L.len = len;
  L.err = err;
  L.errlen = errlen;
  L.nkeys = wd_config_keys(&L.keys);
  L.nfkeys = wd_config_facility_keys(&L.fkeys);
  if ((rc = config_new(&L.cfg)) != WD_OK)
    return rc;
  if (!(L.set_at = calloc(L.nkeys, sizeof *L.set_at)) ||
      !(L.cfg->path = strdup(name))) {
    free(L.set_at);
    wd_config_free(L.cfg);
    return WD_ERR_NOMEM;
  }
  if (!yaml_parser_initialize(&L.parser)) {
    free(L.set_at);
    wd_config_free(L.cfg);
    return WD_ERR_NOMEM;
  }
  yaml_parser_set_input_string(&L.parser, (const unsigned char *)buf, len);
  rc = read_document(&L);
  yaml_parser_delete(&L.parser);
  if (rc == WD_OK)
    rc = check_sectors(&L);
  if (rc == WD_OK)
    rc = check_memcaps(&L);
  if (rc == WD_OK)
    rc = check_scan(&L);
  if (rc == WD_OK)
    rc = check_overlaps(&L);
  if (rc == WD_OK) {
    size_t hi;
    for (size_t i = 0; i < L.nkeys; i++)
      L.cfg->index->set[i] = L.set_at[i].line != 0;
    if (find_key(L.keys, L.nkeys, "home_net", &hi))
      L.cfg->home_net_set = L.set_at[hi].line != 0;
    rc = index_build(L.cfg);
  }
  if (rc == WD_ERR_NOMEM && err && errlen && !err[0])
    put_err(err, errlen, "%s: out of memory", name);
  free(L.set_at);
  free(L.nets);
  free(L.item_at);
  if (L.sector_pending)
    for (size_t i = 0; i < WD_FACILITY_MAX; i++)
      free(L.sector_pending[i]);
  free(L.sector_pending);
  free(L.sector_at);
  if (rc != WD_OK) {
    wd_config_free(L.cfg);
    return rc;
  }
  *out = L.cfg;
  return WD_OK;
}

wd_rc wd_config_load(const char *path, wd_config_t **out, char *err,
                     size_t errlen) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    put_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  size_t cap = 64 * 1024, len = 0;
  char *buf = malloc(cap);
  wd_rc rc = WD_OK;
  if (!buf) {
    fclose(f);
    return WD_ERR_NOMEM;
  }
  for (;;) {
    if (len == cap) {
      if (cap > (size_t)WD_CONFIG_FILE_MAX) {
        put_err(err, errlen,
                "%s:1:1: (file): larger than %u bytes; expected a "
                "configuration of at most %u bytes",
                path, WD_CONFIG_FILE_MAX, WD_CONFIG_FILE_MAX);
        rc = WD_ERR_CONFIG;
        break;
      }
      /* Grow to at most one byte past the limit: enough to tell. */
      size_t nc = cap * 2 > (size_t)WD_CONFIG_FILE_MAX + 1
                      ? (size_t)WD_CONFIG_FILE_MAX + 1
                      : cap * 2;
      char *nb = realloc(buf, nc);
      if (!nb) {
        rc = WD_ERR_NOMEM;
        break;
      }
      buf = nb;
      cap = nc;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) {
      if (ferror(f)) {
        put_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = WD_ERR_IO;
      }
      break;
    }
  }
  fclose(f);
  if (rc == WD_OK)
    rc = wd_config_load_buffer(path, buf, len, out, err, errlen);
  free(buf);
  return rc;
}

/* ---- --home-net ---- */

wd_rc wd_config_set_home_net(wd_config_t *cfg, const char *list, char *err,
                             size_t errlen) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys);
  const wd_config_key_t *k = find_key(keys, n, "home_net", NULL);
  wd_cidr_list_t old = cfg->home_net;
  char tail[512];
  if (!k || !list)
    return WD_ERR_INVAL;
  cfg->home_net.v = NULL;
  cfg->home_net.n = 0;
  wd_rc rc = apply_scalar(k, cfg, list, strlen(list), false, tail, sizeof tail);
  if (rc == WD_OK && cfg->home_net.n == 0) {
    snprintf(tail, sizeof tail,
             "no networks; expected CIDR[,CIDR...] like "
             "10.0.0.0/8,2001:db8::/32");
    rc = WD_ERR_CONFIG;
  }
  if (rc != WD_OK) {
    free(cfg->home_net.v);
    cfg->home_net = old;
    if (rc == WD_ERR_CONFIG)
      put_err(err, errlen, "%s", tail);
    return rc;
  }
  bool was = cfg->home_net_set;
  cfg->home_net_set = true;
  if ((rc = index_build(cfg)) != WD_OK) {
    free(cfg->home_net.v);
    cfg->home_net = old;
    cfg->home_net_set = was;
    return rc;
  }
  free(old.v);
  return WD_OK;
}

/* ---- lookups (per packet) ---- */

const wd_facility_t *wd_config_facility_of(const wd_config_t *cfg,
                                           const wd_addr_t *addr) {
  const struct wd_config_index *x = cfg->index;
  if (!x || x->fac.n == 0)
    return NULL;
  long i = search(&x->fac, addr);
  return i < 0 ? NULL : &cfg->facilities[x->fac_id[i]];
}

bool wd_config_is_protected(const wd_config_t *cfg, const wd_addr_t *addr) {
  const struct wd_config_index *x = cfg->index;
  if (!x)
    return wd_addr_is_private(addr);
  return search(x->prot_is_fac ? &x->fac : &x->prot, addr) >= 0;
}

bool wd_config_is_set(const wd_config_t *cfg, const char *key) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys), i;
  return cfg->index && find_key(keys, n, key, &i) && cfg->index->set[i];
}

/* ---- dump ---- */

static void dump_string(FILE *out, const char *s) {
  if (!s) {
    fputs("~", out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static void dump_cidrs(FILE *out, const wd_cidr_t *v, size_t n) {
  char b[WD_ADDR_STRLEN + 4];
  fputc('[', out);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s%s", i ? ", " : "", wd_cidr_str(&v[i], b));
  fputc(']', out);
}

static void dump_value(FILE *out, const wd_config_key_t *k, const void *base) {
  const char *p = (const char *)base + k->off;
  char b[64];
  switch (k->type) {
  case WD_CONFIG_BOOL: {
    bool v;
    memcpy(&v, p, sizeof v);
    fputs(v ? "true" : "false", out);
    break;
  }
  case WD_CONFIG_DOUBLE: {
    double d;
    memcpy(&d, p, sizeof d);
    fputs(fmt_d(d, b, sizeof b), out);
    break;
  }
  case WD_CONFIG_STRING: {
    const char *v;
    memcpy(&v, p, sizeof v);
    dump_string(out, v);
    break;
  }
  case WD_CONFIG_ENUM: {
    int e;
    memcpy(&e, p, sizeof e);
    size_t n = 0;
    while (k->names[n])
      n++;
    fputs((unsigned)e < n ? k->names[e] : "?", out);
    break;
  }
  case WD_CONFIG_CIDRS: {
    const wd_cidr_t *v;
    size_t n;
    memcpy(&v, p, sizeof v);
    memcpy(&n, (const char *)base + k->off_n, sizeof n);
    dump_cidrs(out, v, n);
    break;
  }
  default:
    fputs(fmt_u(k, load_u(k, base), b, sizeof b), out);
    break;
  }
}

/* Number of leading dot-separated sections two names share. */
static size_t common_sections(const char *a, const char *b) {
  size_t n = 0;
  for (;;) {
    const char *da = strchr(a, '.'), *db = strchr(b, '.');
    if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)))
      return n;
    n++;
    a = da + 1;
    b = db + 1;
  }
}

wd_rc wd_config_dump(const wd_config_t *cfg, FILE *out) {
  const wd_config_key_t *keys, *fkeys;
  size_t n = wd_config_keys(&keys), nf = wd_config_facility_keys(&fkeys);
  const void *base = cfg;
  fprintf(out, "# ward effective configuration (%s)\n",
          cfg->path ? cfg->path : "built-in defaults");
  const char *prev = "";
  for (size_t i = 0; i < n; i++) {
    const wd_config_key_t *k = &keys[i];
    if (strcmp(k->name, "home_net") == 0) {
      if (!cfg->home_net_set)
        fputs("# home_net: not set; protected networks are the facilities' "
              "or, with none,\n#   RFC 1918 + RFC 4193\n",
              out);
      else {
        fputs("home_net: ", out);
        dump_value(out, k, base);
        fputc('\n', out);
      }
      fputs("sectors: [", out);
      for (size_t j = 0; j < cfg->n_sectors; j++)
        fprintf(out, "%s%s", j ? ", " : "", cfg->sectors[j]);
      fputs("]\n", out);
      fputs(cfg->n_facilities ? "facilities:\n" : "facilities: []\n", out);
      for (size_t j = 0; j < cfg->n_facilities; j++)
        for (size_t m = 0; m < nf; m++) {
          const wd_facility_t *f = &cfg->facilities[j];
          fprintf(out, "  %s %s: ", m ? " " : "-", fkeys[m].name);
          if (strcmp(fkeys[m].name, "sector") == 0)
            fputs(wd_facility_sector(f), out);
          else
            dump_value(out, &fkeys[m], f);
          fputc('\n', out);
        }
      continue;
    }
    size_t common = common_sections(prev, k->name), depth = 0;
    const char *c = k->name;
    for (const char *d; (d = strchr(c, '.')) != NULL; c = d + 1, depth++)
      if (depth >= common)
        fprintf(out, "%*s%.*s:\n", (int)(2 * depth), "", (int)(d - c), c);
    fprintf(out, "%*s%s: ", (int)(2 * depth), "", c);
    dump_value(out, k, base);
    fputc('\n', out);
    prev = k->name;
  }
  return ferror(out) ? WD_ERR_IO : WD_OK;
}
