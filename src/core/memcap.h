/* memcap.h -- byte budgets for everything that grows with traffic.
 * Each table (flows, hosts, streams, detector state) owns one wd_memcap_t
 * and reserves before it allocates; a refused reservation counts a cap hit
 * and the table recycles its oldest entry instead of growing. The sum of
 * the tables' caps never exceeds memory.cap (checked at config load), so
 * ward's table memory is bounded whatever the traffic. */
#ifndef WD_CORE_MEMCAP_H
#define WD_CORE_MEMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wd_memcap {
  const char *name; /* table name for stats ("flow", "host", ...) */
  size_t cap;       /* bytes this table may hold */
  size_t used;      /* bytes reserved now */
  size_t peak;      /* highest value of used */
  uint64_t hits;    /* reservations refused because of cap */
} wd_memcap_t;

static inline void wd_memcap_init(wd_memcap_t *m, const char *name,
                                  size_t cap) {
  m->name = name;
  m->cap = cap;
  m->used = m->peak = 0;
  m->hits = 0;
}

/* True and accounted when n more bytes fit; false and a hit otherwise. */
static inline bool wd_memcap_reserve(wd_memcap_t *m, size_t n) {
  if (n > m->cap - m->used) {
    m->hits++;
    return false;
  }
  m->used += n;
  if (m->used > m->peak)
    m->peak = m->used;
  return true;
}

static inline void wd_memcap_release(wd_memcap_t *m, size_t n) {
  m->used = n > m->used ? 0 : m->used - n;
}

#endif
