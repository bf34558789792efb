/* memcap.h -- byte budgets for everything that grows with traffic.
 * Each table (flows, streams, each detector's state) owns one wd_memcap_t
 * and reserves before it allocates; a refused reservation counts a cap hit
 * and the table recycles its oldest entry instead of growing (counted as
 * evicted). Several tables may share one budget, each with an account of
 * its own (wd_memcap_init_share: the detectors and detect.memcap). The sum of
 * the tables' caps never exceeds memory.cap (checked at config load), so
 * ward's table memory is bounded whatever the traffic. */
#ifndef WD_CORE_MEMCAP_H
#define WD_CORE_MEMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wd_memcap wd_memcap_t;
struct wd_memcap {
  const char *name;  /* for stats ("flow", "detect", a detector) */
  size_t cap;        /* bytes this table may hold */
  size_t used;       /* bytes reserved now */
  size_t peak;       /* highest value of used */
  uint64_t hits;     /* reservations refused because of cap */
  uint64_t evicted;  /* live entries recycled because a cap was reached */
  wd_memcap_t *pool; /* NULL, or the budget this one draws on (shared) */
};

static inline void wd_memcap_init(wd_memcap_t *m, const char *name,
                                  size_t cap) {
  m->name = name;
  m->cap = cap;
  m->used = m->peak = 0;
  m->hits = m->evicted = 0;
  m->pool = NULL;
}

/* One user's account of a budget shared by several (each detector's part
 * of detect.memcap): its reservations count here and in pool, whose cap
 * bounds them all together. pool outlives m. */
static inline void wd_memcap_init_share(wd_memcap_t *m, const char *name,
                                        wd_memcap_t *pool) {
  wd_memcap_init(m, name, pool->cap);
  m->pool = pool;
}

/* A pool (a budget several accounts draw on) may be shared by tables
 * that live on different threads (the detectors of `--workers N` lanes):
 * its fields change only through these atomic operations, and are read
 * with wd_memcap_read. */
static inline bool wd_memcap_pool_reserve(wd_memcap_t *p, size_t n) {
  size_t used = __atomic_load_n(&p->used, __ATOMIC_RELAXED);
  do {
    if (n > p->cap - used) {
      __atomic_fetch_add(&p->hits, 1, __ATOMIC_RELAXED);
      return false;
    }
  } while (!__atomic_compare_exchange_n(&p->used, &used, used + n, true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  size_t peak = __atomic_load_n(&p->peak, __ATOMIC_RELAXED);
  while (used + n > peak &&
         !__atomic_compare_exchange_n(&p->peak, &peak, used + n, true,
                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    ;
  return true;
}

/* True and accounted when n more bytes fit; false and a hit otherwise. */
static inline bool wd_memcap_reserve(wd_memcap_t *m, size_t n) {
  if (m->pool ? !wd_memcap_pool_reserve(m->pool, n) : n > m->cap - m->used) {
    m->hits++;
    return false;
  }
  m->used += n;
  if (m->used > m->peak)
    m->peak = m->used;
  return true;
}

static inline void wd_memcap_release(wd_memcap_t *m, size_t n) {
  if (m->pool) {
    size_t used = __atomic_load_n(&m->pool->used, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&m->pool->used, &used,
                                        n > used ? 0 : used - n, true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
      ;
  }
  m->used = n > m->used ? 0 : m->used - n;
}

/* A table under m recycled a live entry because it was full. */
static inline void wd_memcap_evicted(wd_memcap_t *m) {
  m->evicted++;
  if (m->pool)
    __atomic_fetch_add(&m->pool->evicted, 1, __ATOMIC_RELAXED);
}

/* A copy of m's counters, safe while other threads draw on it (a pool). */
static inline void wd_memcap_read(const wd_memcap_t *m, wd_memcap_t *out) {
  *out = (wd_memcap_t){
      .name = m->name,
      .cap = m->cap,
      .used = __atomic_load_n(&m->used, __ATOMIC_RELAXED),
      .peak = __atomic_load_n(&m->peak, __ATOMIC_RELAXED),
      .hits = __atomic_load_n(&m->hits, __ATOMIC_RELAXED),
      .evicted = __atomic_load_n(&m->evicted, __ATOMIC_RELAXED),
      .pool = m->pool,
  };
}

#endif
