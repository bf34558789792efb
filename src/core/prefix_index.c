/* prefix_index.c -- sorted disjoint prefixes with a bucket index per
 * address family (see prefix_index.h), and the configuration's two
 * lookups built on them: the facility holding an address and whether an
 * address is protected.
 * In: prefixes from a loaded configuration (facility networks, home_net).
 * Out: wd_prefix_set_t owning its arrays; the configuration's index
 * (struct wd_config_index) owns two sets and the facility id of each
 * facility network. Per packet: wd_config_facility_of and
 * wd_config_is_protected, a bucket pick and a binary search each, no
 * allocation; lookups in 1024 facilities x 256 networks cost a few
 * compares. Built once at load and again by --home-net, before traffic. */
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"
#include "core/prefix_index.h"

#define BUCKET_BITS 16
#define BUCKET_MIN 32 /* below this, a plain binary search is as fast */

int wd_prefix_cmp(const void *x, const void *y) {
  const wd_cidr_t *a = x, *b = y;
  int c = memcmp(a->addr.b, b->addr.b, 16);
  return c ? c : (int)a->len - (int)b->len;
}

int wd_config_net_ref_cmp(const void *x, const void *y) {
  const wd_config_net_ref_t *a = x, *b = y;
  int c = wd_prefix_cmp(&a->c, &b->c);
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
long wd_prefix_set_find(const wd_prefix_set_t *s, const wd_addr_t *a) {
  size_t lo = 0, hi = s->n;
  if (s->indexed) {
    bool v4 = wd_addr_is_v4(a);
    const wd_prefix_fam_t *f = v4 ? &s->f4 : &s->f6;
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

void wd_prefix_set_fini(wd_prefix_set_t *s) {
  free(s->v);
  free(s->f4.b);
  free(s->f6.b);
  memset(s, 0, sizeof *s);
}

/* Buckets of one family; first..last are its lowest and highest family
 * values. */
static wd_rc fam_init(wd_prefix_fam_t *f, const wd_prefix_set_t *s, bool v4,
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

wd_rc wd_prefix_set_init(wd_prefix_set_t *s, wd_cidr_t *v, size_t n) {
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
    wd_prefix_set_fini(s);
    return rc;
  }
  s->indexed = true;
  return WD_OK;
}

wd_rc wd_prefix_disjoint(const wd_cidr_t *v, size_t n, wd_cidr_t **out,
                         size_t *nout) {
  wd_cidr_t *c = malloc((n ? n : 1) * sizeof *c);
  if (!c)
    return WD_ERR_NOMEM;
  if (n)
    memcpy(c, v, n * sizeof *c);
  if (n > 1)
    qsort(c, n, sizeof *c, wd_prefix_cmp);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || !wd_cidr_contains(&c[k - 1], &c[i].addr))
      c[k++] = c[i];
  *out = c;
  *nout = k;
  return WD_OK;
}

wd_rc wd_config_index_build(wd_config_t *cfg) {
  struct wd_config_index *x = cfg->index;
  size_t total = 0;
  for (size_t i = 0; i < cfg->n_facilities; i++)
    total += cfg->facilities[i].n_networks;
  wd_config_net_ref_t *r = malloc((total ? total : 1) * sizeof *r);
  wd_cidr_t *fc = malloc((total ? total : 1) * sizeof *fc);
  uint32_t *fid = malloc((total ? total : 1) * sizeof *fid);
  wd_cidr_t *prot = NULL;
  size_t n_prot = 0, k = 0;
  wd_prefix_set_t fs = {0}, ps = {0};
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
    qsort(r, total, sizeof *r, wd_config_net_ref_cmp);
  for (k = 0; k < total; k++) {
    fc[k] = r[k].c;
    fid[k] = r[k].fac;
  }
  if (!prot_is_fac && (rc = wd_prefix_disjoint(cfg->home_net.v, cfg->home_net.n,
                                               &prot, &n_prot)) != WD_OK)
    goto out;
  /* set_init owns the array from here, freeing it when it fails. */
  rc = wd_prefix_set_init(&fs, fc, total);
  fc = NULL;
  if (rc != WD_OK)
    goto out;
  rc = wd_prefix_set_init(&ps, prot, n_prot);
  prot = NULL;
  if (rc != WD_OK) {
    wd_prefix_set_fini(&fs);
    goto out;
  }
  wd_prefix_set_fini(&x->fac);
  wd_prefix_set_fini(&x->prot);
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

void wd_config_index_free(struct wd_config_index *x) {
  if (!x)
    return;
  wd_prefix_set_fini(&x->fac);
  wd_prefix_set_fini(&x->prot);
  free(x->fac_id);
}

/* ---- lookups (per packet) ---- */

const wd_facility_t *wd_config_facility_of(const wd_config_t *cfg,
                                           const wd_addr_t *addr) {
  const struct wd_config_index *x = cfg->index;
  if (!x || x->fac.n == 0)
    return NULL;
  long i = wd_prefix_set_find(&x->fac, addr);
  return i < 0 ? NULL : &cfg->facilities[x->fac_id[i]];
}

bool wd_config_is_protected(const wd_config_t *cfg, const wd_addr_t *addr) {
  const struct wd_config_index *x = cfg->index;
  if (!x)
    return wd_addr_is_private(addr);
  return wd_prefix_set_find(x->prot_is_fac ? &x->fac : &x->prot, addr) >= 0;
}
