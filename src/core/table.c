/* table.c -- bounded LRU hash table (see table.h).
 * In: fixed-size keys and values copied in by the caller. Out: borrowed
 * value pointers (stable while the entry lives: slabs never move).
 * Layout: entries are addressed by a 32-bit index into slabs of
 * SLAB_ENTRIES entries, allocated lazily and reserved against the memcap;
 * the last slab holds only what the entry cap leaves, so a small table
 * never reserves more than it may use. Each entry is a header (hash chain,
 * LRU links, the key's hash, last touch) followed by the key and the
 * value, 8-byte aligned; a lookup compares the stored hash before the key.
 * Buckets are an array of indexes, reserved at creation for one per
 * possible entry but allocated smaller and doubled as entries come. Index 0 is
 * never used so that 0 means "none". Keys are hashed with a random per-table
 * seed: addresses an attacker chooses cannot be aimed at one bucket. Memory:
 * the table owns its slabs and arrays and releases them (and their reservation)
 * in wd_table_free. */
#include "core/table.h"

#include "core/lru.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SLAB_SHIFT 10
#define SLAB_ENTRIES (1u << SLAB_SHIFT)
#define NIL 0u
/* Buckets at first; they double (up to one per possible entry, the size
 * reserved against the memcap at creation) whenever the live entries
 * outnumber them, so a table that holds few entries keeps its buckets in
 * a few cache lines. */
#define BUCKETS_FIRST 256u

typedef struct entry_hdr {
  uint32_t hnext;    /* next in bucket chain, or free-list link */
  wd_lru_link_t lru; /* place in the table's LRU list */
  uint32_t hash;     /* low 32 bits of the key's hash: bucket, quick compare */
  uint64_t last_ns;
} entry_hdr;

struct wd_table {
  const char *name;
  size_t key_size, val_size, entry_size;
  uint64_t max; /* count cap, also bounded by 2^32-2 */
  uint32_t *buckets;
  uint32_t nbuckets;     /* power of two, grows with the entries */
  uint32_t nbuckets_max; /* what max entries need: reserved at creation */
  uint8_t **slabs;       /* nslabs_max pointers, lazily filled */
  uint32_t nslabs, nslabs_max;
  uint32_t next_fresh; /* next never-used index */
  uint32_t free_list;  /* removed entries */
  wd_lru_t lru;        /* live entries, most recently used first */
  wd_memcap_t *mc;
  size_t fixed_bytes; /* buckets + slab pointer array */
  uint64_t seed;      /* hash key, random per table */
  wd_table_evict_fn on_evict;
  void *user;
  wd_table_stats_t st;
};

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t wd_table_entry_size(size_t key_size, size_t val_size) {
  return sizeof(entry_hdr) + align8(key_size) + align8(val_size);
}

static inline entry_hdr *ent(const wd_table_t *t, uint32_t i) {
  return (entry_hdr *)(t->slabs[i >> SLAB_SHIFT] +
                       (size_t)(i & (SLAB_ENTRIES - 1)) * t->entry_size);
}
static inline void *ent_key(entry_hdr *e) { return e + 1; }
static inline void *ent_val(const wd_table_t *t, entry_hdr *e) {
  return (uint8_t *)(e + 1) + align8(t->key_size);
}

/* A bijective 64-bit mixer (the murmur3 finaliser). */
static inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* The 128-bit product of a and b, folded to 64 bits. */
static inline uint64_t mum(uint64_t a, uint64_t b) {
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const uint8_t *b) {
  uint64_t w;
  memcpy(&w, b, 8);
  return w;
}

/* Keyed hash: 16 bytes at a time through one 128-bit multiply of the
 * words each xored with a secret (seed-derived) word, chained, so that two
 * keys collide only for a given seed; each block's two multiplies are
 * independent (no chain of mixers per word), and the mixer ends it. */
static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed) {
  const uint8_t *b = p;
  const uint64_t s1 = seed ^ 0xa0761d6478bd642fULL;
  const uint64_t s2 = (seed >> 32 | seed << 32) ^ 0xe7037ed1a0b428dbULL;
  uint64_t h = seed ^ (uint64_t)n;
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    h = mum(rd64(b + i) ^ s1 ^ h, rd64(b + i + 8) ^ s2);
  if (i < n) {
    uint64_t w[2] = {0, 0};
    memcpy(w, b + i, n - i);
    h = mum(w[0] ^ s1 ^ h, w[1] ^ s2);
  }
  return mix64(h);
}

/* Keys of the table's own size are equal: the usual sizes compare as a
 * constant-size memcmp, which the compiler turns into a few loads. */
static inline bool key_eq(const void *a, const void *b, size_t n) {
  switch (n) {
  case 4:
    return memcmp(a, b, 4) == 0;
  case 8:
    return memcmp(a, b, 8) == 0;
  case 16:
    return memcmp(a, b, 16) == 0;
  case 20:
    return memcmp(a, b, 20) == 0;
  case 24:
    return memcmp(a, b, 24) == 0;
  case 32:
    return memcmp(a, b, 32) == 0;
  case 36:
    return memcmp(a, b, 36) == 0;
  case 40:
    return memcmp(a, b, 40) == 0;
  default:
    return memcmp(a, b, n) == 0;
  }
}

uint64_t wd_table_random_seed(void) {
  uint64_t s = 0;
  if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
    s = (uint64_t)(uintptr_t)&s; /* no entropy yet: ASLR still varies it */
  return mix64(s);
}

/* Entries slab s holds: a full slab, except the last one, which stops at
 * index max. */
static size_t slab_entries(const wd_table_t *t, uint32_t s) {
  uint64_t first = (uint64_t)s << SLAB_SHIFT;
  uint64_t left = (uint64_t)t->max + 1 - first;
  return left < SLAB_ENTRIES ? (size_t)left : SLAB_ENTRIES;
}

wd_rc wd_table_new(const char *name, size_t key_size, size_t val_size,
                   uint64_t max_entries, wd_memcap_t *mc,
                   wd_table_evict_fn on_evict, void *user, wd_table_t **out) {
  *out = NULL;
  if (key_size == 0 || max_entries == 0 || mc == NULL)
    return WD_ERR_INVAL;
  wd_table_t *t = calloc(1, sizeof *t);
  if (!t)
    return WD_ERR_NOMEM;
  t->name = name;
  t->key_size = key_size;
  t->val_size = val_size;
  t->entry_size = wd_table_entry_size(key_size, val_size);
  t->mc = mc;
  t->on_evict = on_evict;
  t->user = user;
  t->seed = wd_table_random_seed();
  if (max_entries > UINT32_MAX - SLAB_ENTRIES)
    max_entries = UINT32_MAX - SLAB_ENTRIES;
  /* What the memcap could ever hold decides the real maximum: first a
   * guess counting a bucket per entry, then exactly, once the fixed part
   * (buckets, slab pointers) is known. */
  size_t avail = mc->cap > mc->used ? mc->cap - mc->used : 0;
  uint64_t by_mem = avail / (t->entry_size + sizeof(uint32_t));
  if (max_entries > by_mem)
    max_entries = by_mem;
  if (max_entries == 0)
    max_entries = 1;
  uint32_t nb = 64;
  while (nb < max_entries && nb < (1u << 30))
    nb <<= 1;
  t->nbuckets_max = nb;
  t->nbuckets = nb < BUCKETS_FIRST ? nb : BUCKETS_FIRST;
  t->nslabs_max =
      (uint32_t)((max_entries + 1 + SLAB_ENTRIES - 1) / SLAB_ENTRIES);
  t->fixed_bytes =
      (size_t)nb * sizeof(uint32_t) + (size_t)t->nslabs_max * sizeof(uint8_t *);
  if (t->fixed_bytes < avail) {
    /* Less one: slab 0 also holds the unused index 0. */
    by_mem = (avail - t->fixed_bytes) / t->entry_size;
    by_mem = by_mem ? by_mem - 1 : 0;
    if (max_entries > by_mem)
      max_entries = by_mem;
  }
  if (max_entries == 0 || !wd_memcap_reserve(mc, t->fixed_bytes)) {
    free(t);
    return WD_ERR_NOMEM;
  }
  t->max = max_entries;
  t->buckets = calloc(t->nbuckets, sizeof(uint32_t));
  t->slabs = calloc(t->nslabs_max, sizeof(uint8_t *));
  if (!t->buckets || !t->slabs) {
    wd_memcap_release(mc, t->fixed_bytes);
    free(t->buckets);
    free(t->slabs);
    free(t);
    return WD_ERR_NOMEM;
  }
  t->next_fresh = 1;
  t->st.max = max_entries;
  *out = t;
  return WD_OK;
}

void wd_table_free(wd_table_t *t) {
  if (!t)
    return;
  size_t bytes = t->fixed_bytes;
  for (uint32_t i = 0; i < t->nslabs; i++) {
    bytes += slab_entries(t, i) * t->entry_size;
    free(t->slabs[i]);
  }
  wd_memcap_release(t->mc, bytes);
  free(t->slabs);
  free(t->buckets);
  free(t);
}

static inline wd_lru_link_t *lru_at(void *ctx, uint32_t i) {
  return &ent(ctx, i)->lru;
}

static void chain_unlink(wd_table_t *t, uint32_t i, entry_hdr *e) {
  uint32_t *pp = &t->buckets[e->hash & (t->nbuckets - 1)];
  while (*pp && *pp != i)
    pp = &ent(t, *pp)->hnext;
  if (*pp == i)
    *pp = e->hnext;
}

/* The list link of an entry on the free list (no entry index is this). */
#define FREE_LINK UINT32_MAX

/* Detaches entry i from chain and LRU and puts it on the free list. */
static void release(wd_table_t *t, uint32_t i) {
  entry_hdr *e = ent(t, i);
  chain_unlink(t, i, e);
  wd_lru_unlink(&t->lru, &e->lru, lru_at, t);
  e->lru.prev = e->lru.next = FREE_LINK;
  e->hnext = t->free_list;
  t->free_list = i;
  t->st.entries--;
}

static uint32_t lookup(wd_table_t *t, const void *key, uint32_t *hash) {
  uint32_t h = (uint32_t)hash_bytes(key, t->key_size, t->seed);
  *hash = h;
  for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i;) {
    entry_hdr *e = ent(t, i);
    if (e->hash == h && key_eq(ent_key(e), key, t->key_size))
      return i;
    i = e->hnext;
  }
  return NIL;
}

void *wd_table_find(wd_table_t *t, const void *key) {
  uint32_t b, i = lookup(t, key, &b);
  return i ? ent_val(t, ent(t, i)) : NULL;
}

/* A slot for a new entry: free list, then a fresh index (maybe a new slab),
 * else the least recently used entry. */
static uint32_t take_slot(wd_table_t *t) {
  if (t->free_list) {
    uint32_t i = t->free_list;
    t->free_list = ent(t, i)->hnext;
    return i;
  }
  if (t->next_fresh <= t->max) {
    uint32_t i = t->next_fresh;
    uint32_t s = i >> SLAB_SHIFT;
    if (s < t->nslabs)
      return t->next_fresh++, i;
    size_t bytes = slab_entries(t, s) * t->entry_size;
    if (s < t->nslabs_max && wd_memcap_reserve(t->mc, bytes)) {
      uint8_t *slab = malloc(bytes);
      if (slab) {
        t->slabs[s] = slab;
        t->nslabs++;
        return t->next_fresh++, i;
      }
      wd_memcap_release(t->mc, bytes);
    }
  }
  t->st.cap_hits++;
  if (!t->lru.tail)
    return NIL;
  uint32_t i = t->lru.tail;
  entry_hdr *e = ent(t, i);
  if (t->on_evict)
    t->on_evict(t->user, ent_key(e), ent_val(t, e));
  t->st.evicted++;
  wd_memcap_evicted(t->mc);
  chain_unlink(t, i, e);
  wd_lru_unlink(&t->lru, &e->lru, lru_at, t);
  t->st.entries--;
  return i;
}

/* Doubles the buckets and rechains every live entry from its stored hash;
 * when the larger array cannot be had, the table stays as it is (longer
 * chains, still correct). Recency is untouched. The entries are visited
 * in memory order (every index used so far but the free ones and taken,
 * the slot being filled), which the processor fetches ahead, rather than
 * in recency order, a cache miss per entry. */
static void grow(wd_table_t *t, uint32_t taken) {
  uint32_t nb = t->nbuckets * 2;
  uint32_t *b = calloc(nb, sizeof *b);
  if (!b)
    return;
  for (uint32_t i = 1; i < t->next_fresh; i++) {
    entry_hdr *e = ent(t, i);
    if (i == taken || e->lru.next == FREE_LINK)
      continue;
    uint32_t *head = &b[e->hash & (nb - 1)];
    e->hnext = *head;
    *head = i;
  }
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = nb;
}

void *wd_table_get(wd_table_t *t, const void *key, uint64_t now_ns,
                   bool *created) {
  uint32_t b, i = lookup(t, key, &b);
  if (created)
    *created = false;
  if (i) {
    entry_hdr *e = ent(t, i);
    e->last_ns = now_ns;
    wd_lru_touch(&t->lru, i, &e->lru, lru_at, t);
    return ent_val(t, e);
  }
  i = take_slot(t);
  if (!i)
    return NULL;
  if (t->st.entries >= t->nbuckets && t->nbuckets < t->nbuckets_max)
    grow(t, i);
  entry_hdr *e = ent(t, i);
  memcpy(ent_key(e), key, t->key_size);
  memset(ent_val(t, e), 0, t->val_size);
  e->last_ns = now_ns;
  e->hash = b;
  e->hnext = t->buckets[b & (t->nbuckets - 1)];
  t->buckets[b & (t->nbuckets - 1)] = i;
  wd_lru_push_front(&t->lru, i, &e->lru, lru_at, t);
  t->st.entries++;
  t->st.created++;
  if (created)
    *created = true;
  return ent_val(t, e);
}

void wd_table_remove(wd_table_t *t, const void *key) {
  uint32_t b, i = lookup(t, key, &b);
  if (i)
    release(t, i);
}

bool wd_table_take(wd_table_t *t, const void *key, void *val_out) {
  uint32_t b, i = lookup(t, key, &b);
  if (!i)
    return false;
  memcpy(val_out, ent_val(t, ent(t, i)), t->val_size);
  release(t, i);
  return true;
}

void wd_table_expire(wd_table_t *t, uint64_t cutoff_ns) {
  while (t->lru.tail) {
    uint32_t i = t->lru.tail;
    entry_hdr *e = ent(t, i);
    if (e->last_ns >= cutoff_ns)
      break;
    if (t->on_evict)
      t->on_evict(t->user, ent_key(e), ent_val(t, e));
    release(t, i);
    t->st.expired++;
  }
}

void wd_table_foreach(wd_table_t *t, wd_table_visit_fn fn, void *user) {
  for (uint32_t i = t->lru.head; i;) {
    entry_hdr *e = ent(t, i);
    uint32_t next = e->lru.next;
    if (!fn(user, ent_key(e), ent_val(t, e), e->last_ns))
      return;
    i = next;
  }
}

size_t wd_table_check(const wd_table_t *t) {
  size_t faults = 0;
  uint64_t chained = 0;
  for (uint32_t b = 0; b < t->nbuckets; b++) {
    uint64_t steps = 0;
    for (uint32_t i = t->buckets[b]; i; i = ent(t, i)->hnext) {
      entry_hdr *e = ent(t, i);
      if (i >= t->next_fresh || ++steps > t->st.entries ||
          e->lru.next == FREE_LINK) {
        faults++; /* out of range, a loop, or a free entry */
        break;
      }
      if ((e->hash & (t->nbuckets - 1)) != b)
        faults++;
      chained++;
    }
  }
  return faults + (chained != t->st.entries);
}

void wd_table_stats(const wd_table_t *t, wd_table_stats_t *out) {
  *out = t->st;
}
