/* hll.c -- HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007) with the
 * small-range linear-counting correction (see hll.h).
 * In: hashes. Out: estimates. Memory: the caller's struct only. The running
 * sum of 2^-register is kept as an integer scaled by 2^WD_HLL_RANK_MAX so
 * that add and merge keep it exact and a count needs no pass. Both sizes
 * index registers by the hash's top WD_HLL_P bits and rank the rest the
 * same way, which is what makes merging the small into the large exact. */
#include "detect/hll.h"

#include <math.h>
#include <string.h>

static unsigned rank_of(uint64_t hash, unsigned cap) {
  uint64_t rest = hash << WD_HLL_P;
  unsigned r = 1;
  while (r < cap && !(rest & 0x8000000000000000ULL)) {
    rest <<= 1;
    r++;
  }
  return r;
}

/* Moves the running sum and zero count for register old -> r (r > old). */
static void account(uint64_t *sum, uint16_t *zeros, unsigned old, unsigned r) {
  if (old == 0)
    (*zeros)--;
  *sum -= (uint64_t)1 << (WD_HLL_RANK_MAX - old);
  *sum += (uint64_t)1 << (WD_HLL_RANK_MAX - r);
}

static uint64_t estimate(uint64_t sum_fx, unsigned zeros) {
  const double m = WD_HLL_M;
  if (zeros == WD_HLL_M)
    return 0;
  double alpha = 0.7213 / (1.0 + 1.079 / m);
  double sum = (double)sum_fx / (double)((uint64_t)1 << WD_HLL_RANK_MAX);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0)
    e = m * log(m / (double)zeros); /* linear counting */
  return (uint64_t)(e + 0.5);
}

/* ---- one byte per register ---- */

void wd_hll_clear(wd_hll_t *h) {
  memset(h->reg, 0, sizeof h->reg);
  h->zeros = WD_HLL_M;
  h->sum = (uint64_t)WD_HLL_M << WD_HLL_RANK_MAX;
}

static void set_reg(wd_hll_t *h, unsigned i, unsigned r) {
  if (r <= h->reg[i])
    return;
  account(&h->sum, &h->zeros, h->reg[i], r);
  h->reg[i] = (uint8_t)r;
}

void wd_hll_add_hash(wd_hll_t *h, uint64_t hash) {
  set_reg(h, (unsigned)(hash >> (64 - WD_HLL_P)),
          rank_of(hash, WD_HLL_RANK_MAX));
}

uint64_t wd_hll_hash_addr(const wd_addr_t *a) {
  /* splitmix64 finaliser over wd_addr_hash, so that the top bits (the
   * register index) are as well mixed as the bottom ones. */
  uint64_t z = wd_addr_hash(a, 0x5eed0f0aULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void wd_hll_add_addr(wd_hll_t *h, const wd_addr_t *a) {
  wd_hll_add_hash(h, wd_hll_hash_addr(a));
}

void wd_hll_merge(wd_hll_t *dst, const wd_hll_t *src) {
  for (unsigned i = 0; i < WD_HLL_M; i++)
    set_reg(dst, i, src->reg[i]);
}

static unsigned small_get(const wd_hll_small_t *h, unsigned i) {
  uint8_t b = h->reg[i / 2];
  return i & 1 ? b >> 4 : b & 0x0f;
}

void wd_hll_merge_small(wd_hll_t *dst, const wd_hll_small_t *src) {
  for (unsigned i = 0; i < WD_HLL_M; i++)
    set_reg(dst, i, small_get(src, i));
}

uint64_t wd_hll_count(const wd_hll_t *h) { return estimate(h->sum, h->zeros); }

/* ---- four bits per register ---- */

void wd_hll_small_clear(wd_hll_small_t *h) {
  memset(h->reg, 0, sizeof h->reg);
  h->zeros = WD_HLL_M;
  h->sum = (uint64_t)WD_HLL_M << WD_HLL_RANK_MAX;
}

void wd_hll_small_add_hash(wd_hll_small_t *h, uint64_t hash) {
  unsigned i = (unsigned)(hash >> (64 - WD_HLL_P));
  unsigned r = rank_of(hash, WD_HLL_SMALL_RANK_MAX);
  unsigned old = small_get(h, i);
  if (r <= old)
    return;
  account(&h->sum, &h->zeros, old, r);
  uint8_t *b = &h->reg[i / 2];
  *b = i & 1 ? (uint8_t)((*b & 0x0f) | (r << 4)) : (uint8_t)((*b & 0xf0) | r);
}

uint64_t wd_hll_small_count(const wd_hll_small_t *h) {
  return estimate(h->sum, h->zeros);
}
