/* table.h -- bounded hash table with least-recently-used recycling.
 * The one container for per-address and per-attack state (hosts, detector
 * state). Keys and values are fixed-size byte blocks copied in; values are
 * zeroed on creation. Memory: entries live in slabs reserved against a
 * wd_memcap_t; at max entries or at the memcap the least recently touched
 * entry is recycled (on_evict is told first) and stats count it. No
 * allocation once the slabs exist and the buckets have grown to the live
 * entries (at most log2(max) doublings over a table's life). Returned value
 * pointers are borrowed until the next call that may create or remove an entry.
 */
#ifndef WD_CORE_TABLE_H
#define WD_CORE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/memcap.h"
#include "core/rc.h"

typedef struct wd_table wd_table_t;

/* Told about an entry just before it is recycled or expired. */
typedef void (*wd_table_evict_fn)(void *user, const void *key, void *val);
/* Visitor for wd_table_foreach; return false to stop. */
typedef bool (*wd_table_visit_fn)(void *user, const void *key, void *val,
                                  uint64_t last_ns);

typedef struct wd_table_stats {
  uint64_t entries; /* live now */
  uint64_t max;     /* most entries it may ever hold */
  uint64_t created;
  uint64_t evicted;  /* recycled while live because full */
  uint64_t expired;  /* removed by wd_table_expire */
  uint64_t cap_hits; /* growth refused by max or memcap */
} wd_table_stats_t;

/* max_entries is a count cap; mc (shared with nothing else growing in
 * parallel, or shared on purpose) bounds bytes. */
wd_rc wd_table_new(const char *name, size_t key_size, size_t val_size,
                   uint64_t max_entries, wd_memcap_t *mc,
                   wd_table_evict_fn on_evict, void *user, wd_table_t **out);
void wd_table_free(wd_table_t *t);

/* Value for key, or NULL. Does not touch recency. */
void *wd_table_find(wd_table_t *t, const void *key);

/* Value for key, created (zeroed) if absent, recycling the least recently
 * used entry when full; marks it most recently used at now_ns. *created
 * (if not NULL) tells whether it is new. Returns NULL only if the table can
 * hold no entry at all. */
void *wd_table_get(wd_table_t *t, const void *key, uint64_t now_ns,
                   bool *created);

/* Removes key if present (on_evict is not called). */
void wd_table_remove(wd_table_t *t, const void *key);

/* Removes key if present, its value first copied to val_out (val_size
 * bytes): one lookup where find then remove take two. False, and val_out
 * untouched, when key is absent. on_evict is not called. */
bool wd_table_take(wd_table_t *t, const void *key, void *val_out);

/* Removes, oldest first, every entry last touched before cutoff_ns, telling
 * on_evict. Cost is proportional to what is removed. */
void wd_table_expire(wd_table_t *t, uint64_t cutoff_ns);

/* Visits live entries from most to least recently used. The visitor must
 * not create or remove entries. */
void wd_table_foreach(wd_table_t *t, wd_table_visit_fn fn, void *user);

void wd_table_stats(const wd_table_t *t, wd_table_stats_t *out);

/* The table's own consistency, for tests: every live entry is in the
 * chain of its bucket exactly once and nothing else is. Returns the number
 * of faults found (0: sound). Walks everything: never per packet. */
size_t wd_table_check(const wd_table_t *t);

/* Bytes one entry of this shape costs (for sizing in tests and docs). */
size_t wd_table_entry_size(size_t key_size, size_t val_size);

/* A fresh random 64-bit hash key (getrandom; distinct per call), for
 * tables of other shapes that hash attacker-chosen keys too (flows). */
uint64_t wd_table_random_seed(void);

#endif
