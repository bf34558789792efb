/* config_value.c -- the values of configuration keys: parsing a scalar
 * by its key's row (booleans, whole numbers, sizes with units, durations,
 * rates, bit rates, decimals, text, names, CIDR lists), checking it
 * against the row's range, storing it in its field, and writing values
 * and ranges back as text for messages and `ward config show`.
 * In: a key row (config_keys.c, or a table from outside core) and the text
 * of one value. Out: the field at base + row offset; strings and lists
 * stored there are malloc'd and owned by the struct holding the field
 * (wd_config_free_fields). Errors: "problem; expected ..." in the caller's
 * buffer, without position (the loader adds file:line:col). No YAML here,
 * no state. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_int.h"
#include "core/text.h"

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

const char *wd_config_fmt_uint(const wd_config_key_t *k, uint64_t v, char *buf,
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

const char *wd_config_fmt_double(double v, char *buf, size_t n) {
  snprintf(buf, n, "%.15g", v);
  if (strtod(buf, NULL) != v)
    snprintf(buf, n, "%.17g", v);
  return buf;
}

/* "a size from 1 MiB to 1 TiB, like ..." for messages and docs. */
const char *wd_config_expect(const wd_config_key_t *k, char *buf, size_t n) {
  char lo[48], hi[48];
  switch (k->type) {
  case WD_CONFIG_BOOL:
    snprintf(buf, n, "true or false (also yes/no, on/off)");
    break;
  case WD_CONFIG_UINT:
    snprintf(buf, n, "a whole number from %s to %s",
             wd_config_fmt_uint(k, k->min, lo, sizeof lo),
             wd_config_fmt_uint(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_SIZE:
    snprintf(buf, n,
             "a size from %s to %s, like '64 MiB', '512 KB' or a number of "
             "bytes",
             wd_config_fmt_uint(k, k->min, lo, sizeof lo),
             wd_config_fmt_uint(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_DURATION:
    snprintf(buf, n,
             "a duration from %s to %s, like '%s' (a bare number is %s)",
             wd_config_fmt_uint(k, k->min, lo, sizeof lo),
             wd_config_fmt_uint(k, k->max, hi, sizeof hi),
             k->unit_ms == 1 ? "250ms" : "30s",
             k->unit_ms == 1 ? "milliseconds" : "seconds");
    break;
  case WD_CONFIG_RATE:
    snprintf(buf, n, "a rate per second from %s to %s, like 200000 or '200k'",
             wd_config_fmt_uint(k, k->min, lo, sizeof lo),
             wd_config_fmt_uint(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_BITRATE:
    snprintf(buf, n, "a bit rate from %s to %s, like '500 Mbit/s' or '500M'",
             wd_config_fmt_uint(k, k->min, lo, sizeof lo),
             wd_config_fmt_uint(k, k->max, hi, sizeof hi));
    break;
  case WD_CONFIG_DOUBLE:
    snprintf(buf, n, "a number between %s and %s%s",
             wd_config_fmt_double(k->dmin, lo, sizeof lo),
             wd_config_fmt_double(k->dmax, hi, sizeof hi),
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

uint64_t wd_config_uint_of(const wd_config_key_t *k, const void *base) {
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

size_t *wd_config_count_of(const wd_config_key_t *k, void *base) {
  return (size_t *)(void *)((char *)base + k->off_n);
}

void wd_config_free_fields(const wd_config_key_t *keys, size_t n, void *base) {
  for (size_t i = 0; i < n; i++) {
    if (keys[i].type == WD_CONFIG_STRING) {
      free(*str_field(&keys[i], base));
      *str_field(&keys[i], base) = NULL;
    } else if (keys[i].type == WD_CONFIG_CIDRS) {
      free(*cidrs_field(&keys[i], base));
      *cidrs_field(&keys[i], base) = NULL;
      *wd_config_count_of(&keys[i], base) = 0;
    }
  }
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
bool wd_config_cidr_item(const char *s, size_t len, wd_cidr_t *out, char *tail,
                         size_t tn) {
  char buf[WD_ADDR_STRLEN + 8], sh[64];
  trim(&s, &len);
  if (len == 0 || len >= sizeof buf || memchr(s, '\0', len)) {
    snprintf(tail, tn,
             "'%s' is not a network; expected CIDR notation like "
             "10.0.0.0/8 or 2001:db8::/32",
             wd_text_shown(s, len, sh, sizeof sh));
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
               wd_text_shown(s, len, sh, sizeof sh), wd_cidr_str(&c, net));
      return false;
    }
  }
  snprintf(tail, tn,
           "'%s' is not a network; expected CIDR notation like 10.0.0.0/8 or "
           "2001:db8::/32",
           wd_text_shown(s, len, sh, sizeof sh));
  return false;
}

wd_rc wd_config_cidrs_push(wd_cidr_list_t *l, size_t *cap, const wd_cidr_t *c) {
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

void wd_config_cidrs_store(const wd_config_key_t *k, void *base,
                           wd_cidr_list_t *l) {
  free(*cidrs_field(k, base));
  *cidrs_field(k, base) = l->v;
  *wd_config_count_of(k, base) = l->n;
  l->v = NULL;
  l->n = 0;
}

wd_rc wd_config_cidrs_count_ok(const wd_config_key_t *k, size_t n, char *tail,
                               size_t tn) {
  char ex[160];
  if (n < k->min || n > k->max) {
    snprintf(tail, tn, "%s; expected %s",
             n < k->min ? "no networks" : "too many networks",
             wd_config_expect(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  return WD_OK;
}

/* Parses one scalar into its field. null: the YAML null. On a bad value
 * returns WD_ERR_CONFIG with "problem; expected ..." in tail. */
wd_rc wd_config_apply(const wd_config_key_t *k, void *base, const char *s,
                      size_t len, bool null, char *tail, size_t tn) {
  char ex[200], sh[64], a[48], b[48];
  uint64_t v = 0;
  if (s)
    trim(&s, &len);
  if (s && memchr(s, '\0', len)) {
    snprintf(tail, tn, "value holds a NUL byte; expected %s",
             wd_config_expect(k, ex, sizeof ex));
    return WD_ERR_CONFIG;
  }
  if (null && k->type != WD_CONFIG_STRING && k->type != WD_CONFIG_CIDRS) {
    snprintf(tail, tn, "no value; expected %s",
             wd_config_expect(k, ex, sizeof ex));
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
             wd_text_shown(s, len, sh, sizeof sh),
             wd_config_expect(k, ex, sizeof ex));
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
               wd_text_shown(s, len, sh, sizeof sh), what[k->type],
               wd_config_expect(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    bool fits = scale(&n, u->mult, &v, &whole);
    if (fits && k->type == WD_CONFIG_DURATION) {
      whole = whole && v % k->unit_ms == 0;
      v /= k->unit_ms;
    }
    if (fits && !whole) {
      snprintf(tail, tn, "'%s' is not a whole number of %s; expected %s",
               wd_text_shown(s, len, sh, sizeof sh),
               k->type == WD_CONFIG_SIZE ? "bytes"
               : k->type == WD_CONFIG_DURATION
                   ? (k->unit_ms == 1 ? "milliseconds" : "seconds")
               : k->type == WD_CONFIG_RATE ? "packets per second"
                                           : "bits per second",
               wd_config_expect(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    if (!fits || v > k->max) {
      snprintf(tail, tn, "%s is above the maximum %s; expected %s",
               wd_text_shown(s, len, sh, sizeof sh),
               wd_config_fmt_uint(k, k->max, a, sizeof a),
               wd_config_expect(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    if (v < k->min) {
      snprintf(tail, tn, "%s is below the minimum %s; expected %s",
               wd_text_shown(s, len, sh, sizeof sh),
               wd_config_fmt_uint(k, k->min, b, sizeof b),
               wd_config_expect(k, ex, sizeof ex));
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
               wd_text_shown(s, len, sh, sizeof sh),
               wd_config_expect(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    bool open = (k->flags & WD_CONFIG_OPEN) != 0;
    if (open ? (d <= k->dmin || d >= k->dmax) : (d < k->dmin || d > k->dmax)) {
      snprintf(tail, tn, "%s is out of range; expected %s",
               wd_text_shown(s, len, sh, sizeof sh),
               wd_config_expect(k, ex, sizeof ex));
      return WD_ERR_CONFIG;
    }
    memcpy((char *)base + k->off, &d, sizeof d);
    return WD_OK;
  }
  case WD_CONFIG_STRING: {
    if (null || len == 0) {
      if (k->min > 0) {
        snprintf(tail, tn, "no value; expected %s",
                 wd_config_expect(k, ex, sizeof ex));
        return WD_ERR_CONFIG;
      }
      free(*str_field(k, base));
      *str_field(k, base) = NULL;
      return WD_OK;
    }
    for (size_t i = 0; i < len; i++)
      if (is_control(s + i, len - i)) {
        snprintf(tail, tn, "control character in '%s'; expected %s",
                 wd_text_shown(s, len, sh, sizeof sh),
                 wd_config_expect(k, ex, sizeof ex));
        return WD_ERR_CONFIG;
      }
    if (len > k->max) {
      snprintf(tail, tn, "text of %zu characters is too long; expected %s", len,
               wd_config_expect(k, ex, sizeof ex));
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
             wd_text_shown(s, len, sh, sizeof sh),
             wd_config_expect(k, ex, sizeof ex));
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
        rc = wd_config_cidrs_count_ok(k, l.n + 1, tail, tn);
      else if (!wd_config_cidr_item(s, il, &c, tail, tn))
        rc = WD_ERR_CONFIG;
      else
        rc = wd_config_cidrs_push(&l, &cap, &c);
      s += il;
      len -= il;
      if (comma) {
        s++;
        len--;
        if (len == 0 && rc == WD_OK)
          rc = wd_config_cidr_item(s, 0, &c, tail, tn) ? WD_OK : WD_ERR_CONFIG;
      }
    }
    if (rc == WD_OK)
      rc = wd_config_cidrs_count_ok(k, l.n, tail, tn);
    if (rc == WD_OK)
      wd_config_cidrs_store(k, base, &l);
    free(l.v);
    return rc;
  }
  }
  return WD_ERR_INVAL;
}

wd_rc wd_config_apply_defaults(const wd_config_key_t *keys, size_t n,
                               void *base) {
  char tail[256];
  for (size_t i = 0; i < n; i++) {
    const char *d = keys[i].def;
    if (!d && (keys[i].flags & WD_CONFIG_REQUIRED))
      continue;
    wd_rc rc = wd_config_apply(&keys[i], base, d, d ? strlen(d) : 0, d == NULL,
                               tail, sizeof tail);
    if (rc != WD_OK)
      return rc == WD_ERR_NOMEM ? rc : WD_ERR_INVAL; /* a bad table row */
  }
  return WD_OK;
}
