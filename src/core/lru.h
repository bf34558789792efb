/* lru.h -- ward's one least-recently-used list: intrusive, doubly linked
 * by 32-bit index, over entries the caller stores (an array, or slabs
 * addressed by index). Used by the bounded hash table (core/table.c) and
 * the flow table (flow/flow_table.c, one list per timeout class).
 * In: entry indexes, 1 and up (0 means "none"), and a function giving the
 * link of an entry. Out: the order of use: head most recent, tail least;
 * recycling and expiry take the tail. Memory: a wd_lru_t is two indexes,
 * a link two more inside each entry; no allocation, nothing to free.
 * Cost: O(1) per operation; all static inline, so with the accessor a
 * static function the compiler inlines it too (the flow table calls this
 * per packet). Threads: the caller's (no locks). */
#ifndef WD_CORE_LRU_H
#define WD_CORE_LRU_H

#include <stdbool.h>
#include <stdint.h>

/* Inside each entry. Neither is meaningful while the entry is on no list
 * (wd_lru_unlink sets both to 0). */
typedef struct wd_lru_link {
  uint32_t prev; /* towards more recently used, 0 at the head */
  uint32_t next; /* towards less recently used, 0 at the tail */
} wd_lru_link_t;

typedef struct wd_lru {
  uint32_t head, tail; /* most / least recently used, 0 when empty */
} wd_lru_t;

/* The link of entry i (i >= 1) in ctx's storage. */
typedef wd_lru_link_t *(*wd_lru_at_fn)(void *ctx, uint32_t i);

static inline void wd_lru_init(wd_lru_t *l) { l->head = l->tail = 0; }

static inline bool wd_lru_empty(const wd_lru_t *l) { return l->head == 0; }

/* Takes entry e (on list l) off it. */
static inline void wd_lru_unlink(wd_lru_t *l, wd_lru_link_t *e, wd_lru_at_fn at,
                                 void *ctx) {
  if (e->prev)
    at(ctx, e->prev)->next = e->next;
  else
    l->head = e->next;
  if (e->next)
    at(ctx, e->next)->prev = e->prev;
  else
    l->tail = e->prev;
  e->prev = e->next = 0;
}

/* Puts entry i (link e, on no list) at the head of l. */
static inline void wd_lru_push_front(wd_lru_t *l, uint32_t i, wd_lru_link_t *e,
                                     wd_lru_at_fn at, void *ctx) {
  e->prev = 0;
  e->next = l->head;
  if (l->head)
    at(ctx, l->head)->prev = i;
  l->head = i;
  if (!l->tail)
    l->tail = i;
}

/* Marks entry i (link e, on l) most recently used; nothing is written
 * when it already is. */
static inline void wd_lru_touch(wd_lru_t *l, uint32_t i, wd_lru_link_t *e,
                                wd_lru_at_fn at, void *ctx) {
  if (l->head == i)
    return;
  wd_lru_unlink(l, e, at, ctx);
  wd_lru_push_front(l, i, e, at, ctx);
}

#endif
