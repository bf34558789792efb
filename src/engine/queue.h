/* queue.h -- bounded single-producer/single-consumer queue of fixed-size
 * records between the packet thread and the engine's worker thread.
 * In: records the producer fills in place (wd_queue_reserve, then
 * wd_queue_commit). Out: the same records, in the same order, read in
 * place by the consumer (wd_queue_peek, then wd_queue_release). Memory: one
 * preallocated ring of `records` slots (rounded up to a power of two) of
 * rec_size bytes each, nothing allocated afterwards. Fast path: C11 atomics
 * only (the producer's tail and the consumer's head, each on its own cache
 * line); no lock and no system call unless a side must sleep: the consumer
 * when the ring is empty (a condition variable, with a timeout), the
 * producer only when a record must not be lost and the ring is full (it
 * is woken once the ring is half empty, not for every slot freed). The
 * producer wakes a sleeping consumer for an urgent record, or once the
 * ring is half full; otherwise the consumer's timeout bounds the delay.
 * What may be refused is the caller's policy (wd_queue_policy); the queue
 * counts waits, refusals and the depth high-water mark.
 * Threads: exactly one producer thread and one consumer thread. */
#ifndef WD_ENGINE_QUEUE_H
#define WD_ENGINE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* Records at least / at most (engine.queue, see docs/config.md). */
#define WD_QUEUE_MIN 8u
#define WD_QUEUE_MAX (1u << 20)

typedef enum {
  WD_QUEUE_WAIT,      /* must not be lost: wait while the ring is full */
  WD_QUEUE_DROP_FULL, /* refused when the ring is full */
  WD_QUEUE_DROP_HIGH  /* refused once the ring is 3/4 full, so that the
                         last quarter stays for records that must pass */
} wd_queue_policy;

typedef struct wd_queue_stats {
  uint64_t capacity;   /* slots */
  uint64_t pushed;     /* records committed */
  uint64_t high_water; /* most records waiting at once */
  uint64_t waits;      /* times the producer had to wait for room */
  uint64_t refused;    /* reservations refused by their policy */
  uint64_t wakeups;    /* times the producer woke the consumer */
} wd_queue_stats_t;

typedef struct wd_queue wd_queue_t;

/* records is rounded up to a power of two within WD_QUEUE_MIN ..
 * WD_QUEUE_MAX; rec_size up to a multiple of 16. */
wd_rc wd_queue_new(size_t rec_size, uint32_t records, wd_queue_t **out);
void wd_queue_free(wd_queue_t *q);

/* ---- producer ---- */

/* The next free slot (rec_size bytes, 16-aligned) to fill, or NULL when the
 * policy refuses it now (counted), or the consumer has gone
 * (wd_queue_abandon). At most one reservation is outstanding. */
void *wd_queue_reserve(wd_queue_t *q, wd_queue_policy policy);
/* Publishes the reserved slot. urgent: wake the consumer if it sleeps. */
void wd_queue_commit(wd_queue_t *q, bool urgent);
/* Waits until the consumer has released every committed record (or has
 * gone). */
void wd_queue_drain(wd_queue_t *q);
/* No more records: the consumer sees WD_END once it has read the rest. */
void wd_queue_close(wd_queue_t *q);
/* Records waiting now. */
uint32_t wd_queue_depth(const wd_queue_t *q);
/* Producer: whether n slots may be reserved now without waiting. */
bool wd_queue_has_room(wd_queue_t *q, uint32_t n);
/* Producer-side counters (read on the producer thread). */
void wd_queue_stats(const wd_queue_t *q, wd_queue_stats_t *out);

/* ---- consumer ---- */

/* The oldest record, in place (*rc = WD_OK); NULL with *rc = WD_AGAIN when
 * none came within timeout_ms (0: look without sleeping; < 0: wait without
 * limit), or WD_END when the queue is closed and empty. */
void *wd_queue_peek(wd_queue_t *q, int timeout_ms, wd_rc *rc);
/* The record k places after the oldest (k = 0: the oldest) if it has been
 * committed, else NULL; never sleeps, and does not count as a peek. */
void *wd_queue_peek_ahead(wd_queue_t *q, uint32_t k);
/* Gives the slot of the record just peeked back to the producer. */
void wd_queue_release(wd_queue_t *q);
/* The consumer stops reading: the producer never waits again (its
 * reservations are refused). */
void wd_queue_abandon(wd_queue_t *q);

#endif
