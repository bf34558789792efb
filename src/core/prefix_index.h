/* prefix_index.h -- sorted disjoint network prefixes answering "which
 * prefix holds this address" per packet: the index behind
 * wd_config_facility_of and wd_config_is_protected (config.h).
 * In: an array of disjoint prefixes sorted by address (wd_prefix_sort,
 * wd_prefix_disjoint). Out: the index of the prefix holding an address,
 * or -1. Lookups are binary searches, for large sets within the slice a
 * bucket of the address's next 16 bits picks; no allocation, no system
 * call. Memory: a wd_prefix_set_t owns its array and buckets from
 * wd_prefix_set_init until wd_prefix_set_fini. Threads: read-only after
 * init, any number of readers. */
#ifndef WD_CORE_PREFIX_INDEX_H
#define WD_CORE_PREFIX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/rc.h"

/* One address family of a set: the family's prefixes share their first
 * plen bits; the next (up to) 16 bits of an address pick the slice of v
 * to search, and an address without the shared bits is answered at once.
 * IPv4 works on the 32-bit address, IPv6 on its top 64 bits. */
typedef struct wd_prefix_fam {
  uint32_t *b;   /* (1 << nb) + 1 slice starts; NULL: no prefix in family */
  uint64_t base; /* the shared leading bits */
  uint8_t width; /* 32 (IPv4) or 64 (top of IPv6) */
  uint8_t plen;  /* number of shared leading bits */
  uint8_t nb;    /* bits after them that pick the bucket */
} wd_prefix_fam_t;

typedef struct wd_prefix_set {
  wd_cidr_t *v; /* sorted by address, disjoint */
  size_t n;
  bool indexed; /* f4/f6 built; else binary search over all of v */
  wd_prefix_fam_t f4, f6;
} wd_prefix_set_t;

/* Order of prefixes: by address, then shorter first (qsort on wd_cidr_t). */
int wd_prefix_cmp(const void *a, const void *b);

/* A sorted copy of v[0..n) without the prefixes nested in others, for
 * wd_prefix_set_init (*out malloc'd). */
wd_rc wd_prefix_disjoint(const wd_cidr_t *v, size_t n, wd_cidr_t **out,
                         size_t *nout);

/* Takes v (sorted, disjoint, malloc'd: owned by s from now on, freed on
 * failure too) and builds the buckets when the set is large enough for
 * them to pay. */
wd_rc wd_prefix_set_init(wd_prefix_set_t *s, wd_cidr_t *v, size_t n);
void wd_prefix_set_fini(wd_prefix_set_t *s);

/* Index in s->v of the prefix holding a, or -1. */
long wd_prefix_set_find(const wd_prefix_set_t *s, const wd_addr_t *a);

#endif
