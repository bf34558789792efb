/* hll.h -- HyperLogLog distinct counter in a fixed block (detectors'
 * "how many sources / reflectors" figures).
 * In: 64-bit hashes or addresses. Out: an estimate of how many distinct
 * values were added: exact-ish (linear counting) up to a few hundred,
 * about 6.5 % standard error above, whatever the count. Memory: the
 * caller's wd_hll_t (WD_HLL_M one-byte registers plus a running sum, so
 * that an estimate costs O(1), not a pass over the registers). No
 * allocation, no floating point on the add path. */
#ifndef WD_DETECT_HLL_H
#define WD_DETECT_HLL_H

#include <stdint.h>

#include "core/net.h"

/* Ranks are capped here (2^32 distinct values per register is far beyond
 * anything a detector sees) so that the sum stays an exact integer. */
#define WD_HLL_RANK_MAX 32

/* 256 registers: about 6.5 % standard error. wd_hll_t keeps one byte per
 * register; wd_hll_small_t packs 4-bit registers (ranks capped at 15, good
 * to several million distinct values) for per-second counts kept for many
 * addresses at once, and merges exactly into a wd_hll_t. */
#define WD_HLL_P 8
#define WD_HLL_M (1u << WD_HLL_P)
#define WD_HLL_SMALL_RANK_MAX 15

typedef struct wd_hll {
  uint64_t sum;   /* sum over registers of 2^(RANK_MAX - reg) */
  uint16_t zeros; /* registers still 0 */
  uint8_t reg[WD_HLL_M];
} wd_hll_t;

typedef struct wd_hll_small {
  uint64_t sum;
  uint16_t zeros;
  uint8_t reg[WD_HLL_M / 2]; /* register i in the low nibble when i even */
} wd_hll_small_t;

void wd_hll_clear(wd_hll_t *h);
void wd_hll_add_hash(wd_hll_t *h, uint64_t hash);
void wd_hll_add_addr(wd_hll_t *h, const wd_addr_t *a);
/* dst |= src (the union's estimate). */
void wd_hll_merge(wd_hll_t *dst, const wd_hll_t *src);
void wd_hll_merge_small(wd_hll_t *dst, const wd_hll_small_t *src);
uint64_t wd_hll_count(const wd_hll_t *h);

void wd_hll_small_clear(wd_hll_small_t *h);
void wd_hll_small_add_hash(wd_hll_small_t *h, uint64_t hash);
uint64_t wd_hll_small_count(const wd_hll_small_t *h);

/* The hash wd_hll_add_addr uses (well mixed in every bit), for callers
 * that also want it for bitmaps. */
uint64_t wd_hll_hash_addr(const wd_addr_t *a);

#endif
