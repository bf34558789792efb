/* queue.c -- the SPSC ring (see queue.h).
 * head and tail count records ever released / committed (64 bits: they
 * never wrap in practice); slot i is i & mask. The consumer counts its
 * releases in taken and publishes them to head a batch (cap / 32) at a
 * time, and always before it finds the ring empty, so the producer sees
 * at most a batch fewer free slots than there are. The producer owns tail and
 * its cached copy of head, the consumer head and its cached copy of tail.
 * Sleeping uses one mutex and two condition variables; a side announces
 * that it sleeps (consumer_sleeps, producer_waits) and then checks the
 * ring again, while the other side publishes its index and then reads the
 * flag, both with a sequentially consistent fence between: one of the two
 * always sees the other, so no wakeup is lost. Waits are also timed, as a
 * second line of defence. */
#include "engine/queue.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE 64

struct wd_queue {
  /* fixed at creation */
  uint8_t *slots;
  size_t rec_size;
  uint64_t cap, mask, high; /* high: 3/4 of cap */
  uint64_t batch;           /* releases published at once: cap / 32 */

  alignas(LINE) _Atomic uint64_t tail; /* written by the producer */
  uint64_t head_cache;                 /* producer's view of head */
  wd_queue_stats_t st;                 /* producer's counters */
  bool reserved;

  alignas(LINE) _Atomic uint64_t head; /* written by the consumer */
  uint64_t tail_cache;                 /* consumer's view of tail */
  uint64_t taken;                      /* records released (>= head) */
  bool peeked;

  alignas(LINE) _Atomic int consumer_sleeps;
  _Atomic int producer_waits;
  _Atomic int closed;
  _Atomic int abandoned;
  pthread_mutex_t mu;
  pthread_cond_t consumer_cv, producer_cv;
};

wd_rc wd_queue_new(size_t rec_size, uint32_t records, wd_queue_t **out) {
  *out = NULL;
  if (rec_size == 0)
    return WD_ERR_INVAL;
  uint64_t cap = WD_QUEUE_MIN;
  while (cap < records && cap < WD_QUEUE_MAX)
    cap <<= 1;
  wd_queue_t *q = aligned_alloc(LINE, (sizeof *q + LINE - 1) / LINE * LINE);
  if (!q)
    return WD_ERR_NOMEM;
  memset(q, 0, sizeof *q);
  q->rec_size = (rec_size + 15) / 16 * 16;
  q->cap = cap;
  q->mask = cap - 1;
  q->high = cap - cap / 4;
  q->batch = cap / 32 ? cap / 32 : 1;
  q->st.capacity = cap;
  q->slots = aligned_alloc(LINE, (size_t)cap * q->rec_size);
  if (!q->slots) {
    free(q);
    return WD_ERR_NOMEM;
  }
  atomic_init(&q->tail, 0);
  atomic_init(&q->head, 0);
  atomic_init(&q->consumer_sleeps, 0);
  atomic_init(&q->producer_waits, 0);
  atomic_init(&q->closed, 0);
  atomic_init(&q->abandoned, 0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->consumer_cv, &ca);
  pthread_cond_init(&q->producer_cv, &ca);
  pthread_condattr_destroy(&ca);
  *out = q;
  return WD_OK;
}

void wd_queue_free(wd_queue_t *q) {
  if (!q)
    return;
  pthread_cond_destroy(&q->consumer_cv);
  pthread_cond_destroy(&q->producer_cv);
  pthread_mutex_destroy(&q->mu);
  free(q->slots);
  free(q);
}

static struct timespec deadline(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* Wakes the consumer if it sleeps (producer side). */
static void wake_consumer(wd_queue_t *q) {
  atomic_thread_fence(memory_order_seq_cst);
  if (!atomic_load_explicit(&q->consumer_sleeps, memory_order_relaxed))
    return;
  pthread_mutex_lock(&q->mu);
  pthread_cond_signal(&q->consumer_cv);
  pthread_mutex_unlock(&q->mu);
  q->st.wakeups++;
}

/* Producer: sleeps until done(q) holds or the consumer has gone. */
static void producer_wait(wd_queue_t *q, bool (*done)(wd_queue_t *)) {
  while (!done(q) && !atomic_load(&q->abandoned)) {
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->producer_waits, 1);
    atomic_thread_fence(memory_order_seq_cst);
    if (!done(q) && !atomic_load(&q->abandoned)) {
      /* the consumer may sleep on a ring that was not yet worth waking it
       * for: it must run for room to appear */
      pthread_cond_signal(&q->consumer_cv);
      struct timespec ts = deadline(100);
      pthread_cond_timedwait(&q->producer_cv, &q->mu, &ts);
    }
    atomic_store(&q->producer_waits, 0);
    pthread_mutex_unlock(&q->mu);
  }
}

/* A producer that found the ring full waits until it is half empty, so
 * that it and the consumer do not wake each other for every record. */
static bool has_room(wd_queue_t *q) {
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
  return tail - q->head_cache <= q->cap / 2;
}

static bool is_drained(wd_queue_t *q) {
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
  return q->head_cache == tail;
}

void *wd_queue_reserve(wd_queue_t *q, wd_queue_policy policy) {
  if (atomic_load_explicit(&q->abandoned, memory_order_relaxed)) {
    q->st.refused++;
    return NULL;
  }
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  uint64_t limit = policy == WD_QUEUE_DROP_HIGH ? q->high : q->cap;
  if (tail - q->head_cache >= limit) {
    q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
    if (tail - q->head_cache >= limit) {
      if (policy != WD_QUEUE_WAIT) {
        q->st.refused++;
        return NULL;
      }
      q->st.waits++;
      producer_wait(q, has_room);
      if (atomic_load(&q->abandoned)) {
        q->st.refused++;
        return NULL;
      }
    }
  }
  q->reserved = true;
  return q->slots + (size_t)(tail & q->mask) * q->rec_size;
}

void wd_queue_commit(wd_queue_t *q, bool urgent) {
  if (!q->reserved)
    return;
  q->reserved = false;
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed) + 1;
  atomic_store_explicit(&q->tail, tail, memory_order_release);
  q->st.pushed++;
  uint64_t depth = tail - q->head_cache; /* an upper bound, cheaply */
  if (depth > q->st.high_water) {
    q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
    depth = tail - q->head_cache;
    if (depth > q->st.high_water)
      q->st.high_water = depth;
  }
  if (!urgent && depth >= q->cap / 2) { /* the bound may be stale */
    q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
    depth = tail - q->head_cache;
  }
  if (urgent || depth >= q->cap / 2)
    wake_consumer(q);
}

void wd_queue_drain(wd_queue_t *q) {
  wake_consumer(q);
  producer_wait(q, is_drained);
}

void wd_queue_close(wd_queue_t *q) {
  atomic_store(&q->closed, 1);
  pthread_mutex_lock(&q->mu);
  pthread_cond_signal(&q->consumer_cv);
  pthread_mutex_unlock(&q->mu);
}

uint32_t wd_queue_depth(const wd_queue_t *q) {
  return (uint32_t)(atomic_load(&q->tail) - atomic_load(&q->head));
}

bool wd_queue_has_room(wd_queue_t *q, uint32_t n) {
  uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  if (q->cap - (tail - q->head_cache) >= n)
    return true;
  q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
  return q->cap - (tail - q->head_cache) >= n;
}

void wd_queue_stats(const wd_queue_t *q, wd_queue_stats_t *out) {
  *out = q->st;
}

/* Consumer: makes the records released so far visible to the producer,
 * and wakes it if it waits for room that is now there. */
static void publish_head(wd_queue_t *q) {
  uint64_t head = q->taken;
  atomic_store_explicit(&q->head, head, memory_order_release);
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&q->producer_waits, memory_order_relaxed) &&
      atomic_load_explicit(&q->tail, memory_order_relaxed) - head <=
          q->cap / 2) {
    pthread_mutex_lock(&q->mu);
    pthread_cond_signal(&q->producer_cv);
    pthread_mutex_unlock(&q->mu);
  }
}

void *wd_queue_peek(wd_queue_t *q, int timeout_ms, wd_rc *rc) {
  uint64_t head = q->taken;
  if (head == q->tail_cache) {
    q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head == q->tail_cache) {
      /* nothing to read: every slot released goes back before this side
       * returns empty-handed or sleeps */
      if (atomic_load_explicit(&q->head, memory_order_relaxed) != head)
        publish_head(q);
      if (atomic_load(&q->closed)) {
        /* closed after its last commit: look once more */
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (head == q->tail_cache) {
          *rc = WD_END;
          return NULL;
        }
      } else if (timeout_ms == 0) {
        *rc = WD_AGAIN; /* a look, no sleep */
        return NULL;
      } else {
        pthread_mutex_lock(&q->mu);
        atomic_store(&q->consumer_sleeps, 1);
        atomic_thread_fence(memory_order_seq_cst);
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (head == q->tail_cache && !atomic_load(&q->closed)) {
          if (timeout_ms < 0) {
            pthread_cond_wait(&q->consumer_cv, &q->mu);
          } else {
            struct timespec ts = deadline(timeout_ms);
            pthread_cond_timedwait(&q->consumer_cv, &q->mu, &ts);
          }
        }
        atomic_store(&q->consumer_sleeps, 0);
        pthread_mutex_unlock(&q->mu);
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (head == q->tail_cache) {
          *rc = atomic_load(&q->closed) ? WD_END : WD_AGAIN;
          if (*rc == WD_END) { /* a commit may precede the close */
            q->tail_cache =
                atomic_load_explicit(&q->tail, memory_order_acquire);
            if (head != q->tail_cache)
              goto ready;
          }
          return NULL;
        }
      }
    }
  }
ready:
  q->peeked = true;
  *rc = WD_OK;
  return q->slots + (size_t)(head & q->mask) * q->rec_size;
}

void *wd_queue_peek_ahead(wd_queue_t *q, uint32_t k) {
  uint64_t at = q->taken + k;
  if (at >= q->tail_cache) {
    q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (at >= q->tail_cache)
      return NULL;
  }
  return q->slots + (size_t)(at & q->mask) * q->rec_size;
}

void wd_queue_release(wd_queue_t *q) {
  if (!q->peeked)
    return;
  q->peeked = false;
  /* published a batch at a time: one fence, and one write of the line the
   * producer reads, per batch rather than per record */
  if (++q->taken - atomic_load_explicit(&q->head, memory_order_relaxed) >=
      q->batch)
    publish_head(q);
}

void wd_queue_abandon(wd_queue_t *q) {
  atomic_store(&q->abandoned, 1);
  pthread_mutex_lock(&q->mu);
  pthread_cond_signal(&q->producer_cv);
  pthread_mutex_unlock(&q->mu);
}
