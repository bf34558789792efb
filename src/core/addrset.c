/* addrset.c -- per-address rate sketch and recent-address filter (see
 * addrset.h). Everything is allocated at init and cleared in place. */
#include "core/addrset.h"

#include <stdlib.h>
#include <string.h>

#include "core/table.h"

static uint32_t pow2_at_least(uint64_t n, uint32_t lo) {
  uint64_t p = lo;
  while (p < n && p < (1u << 30))
    p <<= 1;
  return (uint32_t)p;
}

static void *reserve(wd_memcap_t *mc, size_t n) {
  if (mc && !wd_memcap_reserve(mc, n))
    return NULL;
  void *p = calloc(1, n);
  if (!p && mc)
    wd_memcap_release(mc, n);
  return p;
}

wd_rc wd_addr_rate_init(wd_addr_rate_t *r, uint32_t cells, wd_memcap_t *mc) {
  memset(r, 0, sizeof *r);
  uint32_t n = pow2_at_least(cells, 64);
  size_t row2 = (size_t)n * 2 * sizeof(uint16_t);
  uint16_t *mem = reserve(mc, 2 * row2);
  if (!mem)
    return WD_ERR_NOMEM;
  r->cur = mem;
  r->last = mem + (size_t)n * 2;
  r->mask = n - 1;
  r->seed = wd_table_random_seed();
  r->bytes = 2 * row2;
  r->mc = mc;
  return WD_OK;
}

void wd_addr_rate_free(wd_addr_rate_t *r) {
  if (!r->cur)
    return;
  free(r->cur < r->last ? r->cur : r->last);
  if (r->mc)
    wd_memcap_release(r->mc, r->bytes);
  memset(r, 0, sizeof *r);
}

void wd_addr_rate_roll(wd_addr_rate_t *r, uint64_t sec) {
  if (sec == r->sec)
    return;
  size_t row2 = ((size_t)r->mask + 1) * 2 * sizeof(uint16_t);
  if (sec == r->sec + 1) {
    uint16_t *t = r->last;
    r->last = r->cur;
    r->cur = t;
  } else {
    memset(r->last, 0, row2);
  }
  memset(r->cur, 0, row2);
  r->sec = sec;
}

static uint32_t cm_min(const uint16_t *rows, uint32_t mask, uint64_t h) {
  uint16_t a = rows[h & mask];
  uint16_t b = rows[(size_t)mask + 1 + ((h >> 32) & mask)];
  return a < b ? a : b;
}

void wd_addr_rate_get(const wd_addr_rate_t *r, const wd_addr_t *a,
                      uint32_t *cur, uint32_t *last) {
  uint64_t h = wd_addr_rate_hash_(r, a);
  *cur = cm_min(r->cur, r->mask, h);
  *last = cm_min(r->last, r->mask, h);
}

wd_rc wd_addr_seen_init(wd_addr_seen_t *s, uint64_t max, uint64_t memory_ns,
                        wd_memcap_t *mc) {
  memset(s, 0, sizeof *s);
  if (!max)
    max = 1;
  /* 16 bits per address: 32 addresses per 512-bit block. */
  uint32_t nb = pow2_at_least((max + 31) / 32, 1);
  size_t gen = (size_t)nb * 64;
  uint64_t *mem = reserve(mc, 2 * gen);
  if (!mem)
    return WD_ERR_NOMEM;
  s->gen[0] = mem;
  s->gen[1] = mem + (size_t)nb * 8;
  s->nblocks = nb;
  s->max = max;
  s->memory_ns = memory_ns ? memory_ns : 1;
  s->seed = wd_table_random_seed();
  s->bytes = 2 * gen;
  s->mc = mc;
  return WD_OK;
}

void wd_addr_seen_free(wd_addr_seen_t *s) {
  if (!s->gen[0])
    return;
  free(s->gen[0]);
  if (s->mc)
    wd_memcap_release(s->mc, s->bytes);
  memset(s, 0, sizeof *s);
}

void wd_addr_seen_turn_(wd_addr_seen_t *s) {
  bool full = s->added >= s->max;
  s->young ^= 1;
  memset(s->gen[s->young], 0, (size_t)s->nblocks * 64);
  s->added = 0;
  s->turns++;
  if (full) {
    s->turns_full++;
    if (s->mc)
      s->mc->hits++; /* the cap: older addresses forgotten early */
  }
}

void wd_addr_seen_tick(wd_addr_seen_t *s, uint64_t now_ns) {
  if (!s->born_ns) {
    s->born_ns = now_ns;
    return;
  }
  if (now_ns - s->born_ns < s->memory_ns)
    return;
  s->born_ns = now_ns;
  wd_addr_seen_turn_(s);
}

static bool block_has(const uint64_t *b, uint64_t h) {
  for (int i = 0; i < 4; i++) {
    unsigned bit = (unsigned)(h >> (9 * i)) & 511u;
    if (!(b[bit >> 6] & (1ull << (bit & 63u))))
      return false;
  }
  return true;
}

bool wd_addr_seen_has(const wd_addr_seen_t *s, const wd_addr_t *a) {
  uint64_t h = wd_addr_hash(a, s->seed);
  return block_has(wd_addr_seen_block_(s, 0, h), h) ||
         block_has(wd_addr_seen_block_(s, 1, h), h);
}
