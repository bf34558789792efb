/* addrset.h -- one fact about every address, in fixed memory.
 * For a detector that must ask "how much UDP did this address receive this
 * second?" or "did this network send anything to that address lately?"
 * about any address at all, where an entry per address (a table) would cost
 * a lookup and a record per packet. Both structures answer with an error in
 * one known direction only, and are sized once, at create, from a count the
 * user configures:
 *
 *  - wd_addr_rate_t: events per address in the current and the previous
 *    second of traffic time (a count-min sketch: two rows of saturating
 *    16-bit counters; the estimate is never below the true count, and is
 *    above it by about events-per-second / cells on average).
 *  - wd_addr_seen_t: the addresses marked in the recent past (a blocked
 *    Bloom filter in two generations; "not seen" is always right, "seen"
 *    is wrong for a small fraction of addresses). A generation lasts
 *    `memory` nanoseconds or `max` new addresses, whichever comes first;
 *    an address is remembered for one to two generations.
 *
 * In: addresses (and traffic time at each second). Out: estimates. Memory:
 * reserved from the caller's memcap; no allocation after create. */
#ifndef WD_CORE_ADDRSET_H
#define WD_CORE_ADDRSET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memcap.h"
#include "core/net.h"
#include "core/rc.h"

typedef struct wd_addr_rate {
  uint16_t *cur, *last; /* 2 rows of `cells` counters each */
  uint32_t mask;        /* cells - 1 (cells: a power of two) */
  uint64_t sec;         /* traffic-time second that cur counts */
  uint64_t seed;
  size_t bytes;
  wd_memcap_t *mc;
} wd_addr_rate_t;

/* cells: counters per row, rounded up to a power of two (>= 64). */
wd_rc wd_addr_rate_init(wd_addr_rate_t *r, uint32_t cells, wd_memcap_t *mc);
void wd_addr_rate_free(wd_addr_rate_t *r);
/* Traffic time is now in second sec (call at each new second): cur
 * becomes last, or both are cleared after a gap. */
void wd_addr_rate_roll(wd_addr_rate_t *r, uint64_t sec);

static inline uint64_t wd_addr_rate_hash_(const wd_addr_rate_t *r,
                                          const wd_addr_t *a) {
  return wd_addr_hash(a, r->seed);
}

/* One more event of a in the current second. */
static inline void wd_addr_rate_add(wd_addr_rate_t *r, const wd_addr_t *a) {
  uint64_t h = wd_addr_rate_hash_(r, a);
  uint16_t *c0 = &r->cur[h & r->mask];
  uint16_t *c1 = &r->cur[(size_t)r->mask + 1 + ((h >> 32) & r->mask)];
  *c0 += *c0 != UINT16_MAX;
  *c1 += *c1 != UINT16_MAX;
}

/* Events of a in the current and in the previous second (estimates, never
 * below the truth, saturated at 65535). */
void wd_addr_rate_get(const wd_addr_rate_t *r, const wd_addr_t *a,
                      uint32_t *cur, uint32_t *last);

typedef struct wd_addr_seen {
  uint64_t *gen[2]; /* blocks of 512 bits (8 words) each */
  uint32_t nblocks; /* per generation, a power of two */
  uint8_t young;    /* index of the generation being marked */
  uint64_t max;     /* new addresses per generation before it turns */
  uint64_t added;   /* new addresses marked in the young generation */
  uint64_t memory_ns, born_ns;
  uint64_t turns, turns_full; /* generations turned; by `max` (a cap hit) */
  uint64_t seed;
  size_t bytes;
  wd_memcap_t *mc;
} wd_addr_seen_t;

/* max: addresses a generation holds (16 bits each); memory_ns: how long a
 * generation lasts. */
wd_rc wd_addr_seen_init(wd_addr_seen_t *s, uint64_t max, uint64_t memory_ns,
                        wd_memcap_t *mc);
void wd_addr_seen_free(wd_addr_seen_t *s);
/* Traffic time is now now_ns: turns the generation when it is old. */
void wd_addr_seen_tick(wd_addr_seen_t *s, uint64_t now_ns);

/* The block of a in generation g and its four bit masks (one per word
 * half of the 512-bit block, chosen by 9 bits each of the hash). */
static inline uint64_t *wd_addr_seen_block_(const wd_addr_seen_t *s, int g,
                                            uint64_t h) {
  return s->gen[g] + (size_t)((h >> 36) & (s->nblocks - 1)) * 8;
}

void wd_addr_seen_turn_(wd_addr_seen_t *s);

/* Marks a as seen now. */
static inline void wd_addr_seen_mark(wd_addr_seen_t *s, const wd_addr_t *a) {
  uint64_t h = wd_addr_hash(a, s->seed);
  uint64_t *b = wd_addr_seen_block_(s, s->young, h);
  bool fresh = false;
  for (int i = 0; i < 4; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    uint64_t m = 1ull << (bit & 63u);
    uint64_t *w = &b[bit >> 6];
    fresh |= !(*w & m);
    *w |= m;
  }
  if (fresh && ++s->added >= s->max)
    wd_addr_seen_turn_(s);
}

/* a was marked in the current or the previous generation (or collides
 * with addresses that were). */
bool wd_addr_seen_has(const wd_addr_seen_t *s, const wd_addr_t *a);

#endif
