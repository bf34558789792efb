/* net.c -- address and prefix helpers (see net.h). Text conversion goes
 * through inet_pton/inet_ntop; everything else is byte arithmetic. */
#include "core/net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

void wd_addr_from_v4(wd_addr_t *a, const uint8_t v4[4]) {
  memcpy(a->b, v4_mapped_prefix, 12);
  memcpy(a->b + 12, v4, 4);
}

void wd_addr_from_v6(wd_addr_t *a, const uint8_t v6[16]) {
  memcpy(a->b, v6, 16);
}

bool wd_addr_is_v4(const wd_addr_t *a) {
  return memcmp(a->b, v4_mapped_prefix, 12) == 0;
}

bool wd_addr_is_host_unicast(const wd_addr_t *a) {
  const uint8_t *b = a->b;
  if (wd_addr_is_v4(a)) {
    uint8_t o = b[12];
    return o != 0 && o != 127 && o < 224 && !(o == 169 && b[13] == 254);
  }
  static const uint8_t zero[15];
  if (!memcmp(b, zero, 15)) /* :: and ::1 */
    return false;
  return b[0] != 0xff &&                           /* multicast */
         !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80); /* link-local */
}

int wd_addr_cmp(const wd_addr_t *a, const wd_addr_t *b) {
  return memcmp(a->b, b->b, 16);
}

bool wd_addr_eq(const wd_addr_t *a, const wd_addr_t *b) {
  return memcmp(a->b, b->b, 16) == 0;
}

uint64_t wd_addr_hash(const wd_addr_t *a, uint64_t seed) {
  uint64_t x, y;
  memcpy(&x, a->b, 8);
  memcpy(&y, a->b + 8, 8);
  /* An IPv4 address sits in the top half of y (::ffff:a.b.c.d), so y is
   * folded down before each multiply: every bit of the address reaches
   * every bit of the hash, the low ones too (tables index by those). */
  uint64_t h = (seed ^ x) * 0x9e3779b97f4a7c15ULL;
  h ^= y ^ (y >> 32);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

char *wd_addr_str(const wd_addr_t *a, char out[WD_ADDR_STRLEN]) {
  if (wd_addr_is_v4(a))
    inet_ntop(AF_INET, a->b + 12, out, WD_ADDR_STRLEN);
  else
    inet_ntop(AF_INET6, a->b, out, WD_ADDR_STRLEN);
  return out;
}

wd_rc wd_addr_parse(const char *s, wd_addr_t *out) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, s, buf) == 1) {
    wd_addr_from_v4(out, buf);
    return WD_OK;
  }
  if (inet_pton(AF_INET6, s, buf) == 1) {
    wd_addr_from_v6(out, buf);
    return WD_OK;
  }
  return WD_ERR_INVAL;
}

static void mask_to(wd_addr_t *a, unsigned len) {
  for (unsigned i = 0; i < 16; i++) {
    unsigned bits = len > i * 8 ? len - i * 8 : 0;
    if (bits >= 8)
      continue;
    a->b[i] &= (uint8_t)(0xff00u >> bits);
  }
}

wd_rc wd_cidr_parse(const char *s, wd_cidr_t *out) {
  char host[WD_ADDR_STRLEN];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  if (n == 0 || n >= sizeof host)
    return WD_ERR_INVAL;
  memcpy(host, s, n);
  host[n] = '\0';
  if (wd_addr_parse(host, &out->addr) != WD_OK)
    return WD_ERR_INVAL;
  bool v4 = strchr(host, ':') == NULL;
  unsigned max = v4 ? 32 : 128, len = max;
  if (slash) {
    const char *d = slash + 1;
    if (*d < '0' || *d > '9' || strlen(d) > 3)
      return WD_ERR_INVAL;
    char *end;
    unsigned long v = strtoul(d, &end, 10);
    if (*end != '\0' || v > max)
      return WD_ERR_INVAL;
    len = (unsigned)v;
  }
  if (v4)
    len += 96;
  wd_addr_t masked = out->addr;
  mask_to(&masked, len);
  if (!wd_addr_eq(&masked, &out->addr))
    return WD_ERR_INVAL; /* host bits set: almost always a typo */
  out->len = (uint8_t)len;
  return WD_OK;
}

bool wd_cidr_contains(const wd_cidr_t *c, const wd_addr_t *a) {
  unsigned full = c->len / 8, rest = c->len % 8;
  if (memcmp(c->addr.b, a->b, full) != 0)
    return false;
  if (rest == 0)
    return true;
  uint8_t m = (uint8_t)(0xff00u >> rest);
  return (c->addr.b[full] & m) == (a->b[full] & m);
}

bool wd_cidr_overlaps(const wd_cidr_t *x, const wd_cidr_t *y) {
  return x->len <= y->len ? wd_cidr_contains(x, &y->addr)
                          : wd_cidr_contains(y, &x->addr);
}

char *wd_cidr_str(const wd_cidr_t *c, char out[WD_ADDR_STRLEN + 4]) {
  char a[WD_ADDR_STRLEN];
  bool v4 = wd_addr_is_v4(&c->addr) && c->len >= 96;
  snprintf(out, WD_ADDR_STRLEN + 4, "%s/%u", wd_addr_str(&c->addr, a),
           v4 ? c->len - 96u : c->len);
  return out;
}

bool wd_addr_is_private(const wd_addr_t *a) {
  static wd_cidr_t nets[4];
  static bool ready;
  if (!ready) {
    wd_cidr_parse("10.0.0.0/8", &nets[0]);
    wd_cidr_parse("172.16.0.0/12", &nets[1]);
    wd_cidr_parse("192.168.0.0/16", &nets[2]);
    wd_cidr_parse("fc00::/7", &nets[3]);
    ready = true;
  }
  for (int i = 0; i < 4; i++)
    if (wd_cidr_contains(&nets[i], a))
      return true;
  return false;
}
