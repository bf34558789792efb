/* queue_test.c -- the engine's SPSC queue: records come out in the order
 * they went in, across many wraparounds of the ring, with a real consumer
 * thread; the full-queue rules (wait, refuse when full, refuse at 3/4);
 * the high-water mark; records seen ahead (wd_queue_peek_ahead), also
 * while the producer writes; close and abandon (shutdown) never lose a record
 * nor leave a side waiting. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/queue.h"

typedef struct rec {
  uint64_t seq;
  uint64_t check; /* seq * a constant: a torn record shows */
  char pad[40];
} rec;

#define K 0x9e3779b97f4a7c15ull

static void test_order_single_thread(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 8, &q), WD_OK);
  wd_rc rc;
  assert_null(wd_queue_peek(q, 0, &rc));
  assert_int_equal(rc, WD_AGAIN);
  /* 5 wraparounds of an 8-slot ring, 3 records at a time */
  uint64_t in = 0, out = 0;
  for (int round = 0; round < 14; round++) {
    for (int i = 0; i < 3; i++) {
      rec *r = wd_queue_reserve(q, WD_QUEUE_DROP_FULL);
      assert_non_null(r);
      r->seq = ++in;
      wd_queue_commit(q, false);
    }
    assert_int_equal(wd_queue_depth(q), 3);
    for (int i = 0; i < 3; i++) {
      rec *r = wd_queue_peek(q, 0, &rc);
      assert_int_equal(rc, WD_OK);
      assert_int_equal(r->seq, ++out);
      wd_queue_release(q);
    }
  }
  assert_int_equal(in, 42);
  wd_queue_stats_t s;
  wd_queue_stats(q, &s);
  assert_int_equal(s.pushed, 42);
  assert_int_equal(s.high_water, 3);
  assert_int_equal(s.capacity, 8);
  wd_queue_free(q);
}

static void test_full_rules(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 16, &q), WD_OK);
  /* DROP_HIGH stops at 3/4: 12 of 16 */
  int n = 0;
  rec *r;
  while ((r = wd_queue_reserve(q, WD_QUEUE_DROP_HIGH))) {
    r->seq = (uint64_t)++n;
    wd_queue_commit(q, false);
  }
  assert_int_equal(n, 12);
  /* the last quarter is still there for the others */
  while ((r = wd_queue_reserve(q, WD_QUEUE_DROP_FULL))) {
    r->seq = (uint64_t)++n;
    wd_queue_commit(q, false);
  }
  assert_int_equal(n, 16);
  assert_null(wd_queue_reserve(q, WD_QUEUE_DROP_HIGH));
  wd_queue_stats_t s;
  wd_queue_stats(q, &s);
  assert_int_equal(s.refused, 3);
  assert_int_equal(s.high_water, 16);
  assert_int_equal(s.waits, 0);
  /* one out: one DROP_FULL fits again, DROP_HIGH still refused */
  wd_rc rc;
  r = wd_queue_peek(q, 0, &rc);
  assert_int_equal(r->seq, 1);
  wd_queue_release(q);
  assert_null(wd_queue_reserve(q, WD_QUEUE_DROP_HIGH));
  assert_non_null(wd_queue_reserve(q, WD_QUEUE_DROP_FULL));
  wd_queue_commit(q, false);
  wd_queue_free(q);
}

/* ---- a consumer thread ---- */

typedef struct consumer {
  wd_queue_t *q;
  uint64_t got, bad;
  uint64_t stop_after; /* abandon after this many (0: never) */
  int delay_every;     /* sleep 1 ms every N records (0: never) */
  bool look_ahead;     /* check the records wd_queue_peek_ahead shows */
  uint64_t end_seen, seen_ahead;
} consumer;

static void *consume(void *arg) {
  consumer *c = arg;
  for (;;) {
    wd_rc rc;
    rec *r = wd_queue_peek(c->q, 50, &rc);
    if (!r) {
      if (rc == WD_END) {
        c->end_seen = 1;
        break;
      }
      continue;
    }
    if (r->seq != c->got + 1 || r->check != r->seq * K)
      c->bad++;
    for (uint32_t k = 1; c->look_ahead && k <= 3; k++) {
      rec *a = wd_queue_peek_ahead(c->q, k);
      if (!a)
        break;
      c->seen_ahead++;
      if (a->seq != r->seq + k || a->check != a->seq * K)
        c->bad++;
    }
    c->got++;
    wd_queue_release(c->q);
    if (c->delay_every && c->got % (uint64_t)c->delay_every == 0) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    if (c->stop_after && c->got == c->stop_after) {
      wd_queue_abandon(c->q);
      break;
    }
  }
  return NULL;
}

/* Back-pressure: every record arrives, in order, intact, through a ring
 * far smaller than the stream (many wraparounds, the producer waiting);
 * the records the consumer sees ahead of the one it holds are whole and
 * the ones it gets next. */
static void threads_wait_order(bool look_ahead) {
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 16, &q), WD_OK);
  consumer c = {.q = q, .delay_every = 5000, .look_ahead = look_ahead};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, consume, &c), 0);
  const uint64_t N = 200000;
  for (uint64_t i = 1; i <= N; i++) {
    rec *r = wd_queue_reserve(q, WD_QUEUE_WAIT);
    assert_non_null(r);
    r->seq = i;
    r->check = i * K;
    wd_queue_commit(q, (i % 1000) == 0);
  }
  wd_queue_close(q);
  pthread_join(t, NULL);
  assert_int_equal(c.got, N);
  assert_int_equal(c.bad, 0);
  assert_int_equal(c.end_seen, 1);
  wd_queue_stats_t s;
  wd_queue_stats(q, &s);
  assert_int_equal(s.pushed, N);
  assert_int_equal(s.refused, 0);
  assert_true(s.high_water <= 16);
  if (look_ahead) /* the producer ran ahead most of the time */
    assert_true(c.seen_ahead > 0);
  wd_queue_free(q);
}

static void test_threads_wait_order(void **st) {
  (void)st;
  threads_wait_order(false);
}

static void test_threads_look_ahead(void **st) {
  (void)st;
  threads_wait_order(true);
}

/* wd_queue_peek_ahead: the k-th record after the oldest, only once
 * committed, across the ring's end; it is not a peek (release after it
 * alone does nothing). */
static void test_peek_ahead(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 8, &q), WD_OK);
  assert_null(wd_queue_peek_ahead(q, 0));
  uint64_t in = 0, out = 0;
  for (int round = 0; round < 6; round++) {
    for (int i = 0; i < 5; i++) {
      rec *r = wd_queue_reserve(q, WD_QUEUE_DROP_FULL);
      assert_non_null(r);
      r->seq = ++in;
      if (i == 4) { /* reserved, not committed: not shown */
        assert_null(wd_queue_peek_ahead(q, 4));
      }
      wd_queue_commit(q, false);
    }
    wd_queue_release(q); /* nothing peeked: no effect */
    assert_int_equal(wd_queue_depth(q), 5);
    for (int i = 0; i < 5; i++) {
      for (uint32_t k = 0; k < 5; k++) {
        rec *a = wd_queue_peek_ahead(q, k);
        if (k < (uint32_t)(5 - i)) {
          assert_non_null(a);
          assert_int_equal(a->seq, out + 1 + k);
        } else {
          assert_null(a);
        }
      }
      wd_rc rc;
      rec *r = wd_queue_peek(q, 0, &rc);
      assert_int_equal(r->seq, ++out);
      wd_queue_release(q);
    }
  }
  assert_null(wd_queue_peek_ahead(q, 0));
  wd_queue_free(q);
}

/* A consumer that sleeps on an empty ring sees a record committed without
 * urgency too (its timeout), and the close. */
static void test_close_wakes_and_drains(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 8, &q), WD_OK);
  consumer c = {.q = q};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, consume, &c), 0);
  for (uint64_t i = 1; i <= 3; i++) {
    rec *r = wd_queue_reserve(q, WD_QUEUE_WAIT);
    r->seq = i;
    r->check = i * K;
    wd_queue_commit(q, false);
  }
  wd_queue_drain(q); /* returns once all three are released */
  assert_int_equal(wd_queue_depth(q), 0);
  rec *r = wd_queue_reserve(q, WD_QUEUE_WAIT);
  r->seq = 4;
  r->check = 4 * K;
  wd_queue_commit(q, false);
  wd_queue_close(q); /* the record before the close still arrives */
  pthread_join(t, NULL);
  assert_int_equal(c.got, 4);
  assert_int_equal(c.bad, 0);
  assert_int_equal(c.end_seen, 1);
  wd_queue_free(q);
}

/* Shutdown from the consumer side: a producer waiting on a full ring is
 * released, and every later reservation is refused instead of waiting. */
static void test_abandon_releases_producer(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec), 8, &q), WD_OK);
  consumer c = {.q = q, .stop_after = 5};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, consume, &c), 0);
  uint64_t sent = 0, refused = 0;
  for (uint64_t i = 1; i <= 100; i++) {
    rec *r = wd_queue_reserve(q, WD_QUEUE_WAIT);
    if (!r) {
      refused++;
      continue;
    }
    r->seq = i;
    r->check = i * K;
    wd_queue_commit(q, true);
    sent++;
  }
  pthread_join(t, NULL);
  assert_int_equal(c.got, 5);
  assert_true(refused > 0);
  assert_true(sent >= 5 && sent <= 5 + 8);
  wd_queue_free(q);
}

/* Drop rules under a slow consumer: DROP_HIGH records are refused and
 * counted while WAIT records all arrive, in order among themselves. */
typedef struct rec2 {
  uint64_t kind; /* 1 must pass, 2 may drop */
  uint64_t seq;
} rec2;

typedef struct consumer2 {
  wd_queue_t *q;
  uint64_t must, may, bad_order, last_must;
  _Atomic int gate; /* the consumer starts reading once it is 1 */
} consumer2;

static void *consume2(void *arg) {
  consumer2 *c = arg;
  while (!atomic_load(&c->gate)) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  for (;;) {
    wd_rc rc;
    rec2 *r = wd_queue_peek(c->q, 50, &rc);
    if (!r) {
      if (rc == WD_END)
        break;
      continue;
    }
    if (r->kind == 1) {
      if (r->seq != c->last_must + 1)
        c->bad_order++;
      c->last_must = r->seq;
      c->must++;
    } else
      c->may++;
    struct timespec ts = {0, 200000}; /* a slow disk */
    nanosleep(&ts, NULL);
    wd_queue_release(c->q);
  }
  return NULL;
}

static void test_drop_first_never_must(void **st) {
  (void)st;
  wd_queue_t *q;
  assert_int_equal(wd_queue_new(sizeof(rec2), 16, &q), WD_OK);
  consumer2 c = {.q = q};
  atomic_init(&c.gate, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, consume2, &c), 0);
  uint64_t must = 0, may_sent = 0, may_refused = 0;
  /* the consumer is held (a stalled disk): droppable records fill the
   * first 3/4 and are then refused, a record that must pass still fits */
  for (int i = 0; i < 20; i++) {
    rec2 *r = wd_queue_reserve(q, WD_QUEUE_DROP_HIGH);
    if (!r) {
      may_refused++;
      continue;
    }
    r->kind = 2;
    may_sent++;
    wd_queue_commit(q, false);
  }
  assert_int_equal(may_sent, 12);
  assert_int_equal(may_refused, 8);
  rec2 *r0 = wd_queue_reserve(q, WD_QUEUE_WAIT);
  assert_non_null(r0);
  r0->kind = 1;
  r0->seq = ++must;
  wd_queue_commit(q, true);
  atomic_store(&c.gate, 1);
  /* then a stream of both against a slow consumer */
  for (int i = 1; i < 4000; i++) {
    bool m = i % 50 == 0;
    rec2 *r = wd_queue_reserve(q, m ? WD_QUEUE_WAIT : WD_QUEUE_DROP_HIGH);
    if (!r) {
      assert_false(m);
      may_refused++;
      continue;
    }
    r->kind = m ? 1 : 2;
    r->seq = m ? ++must : 0;
    m ? must : may_sent++;
    wd_queue_commit(q, m);
  }
  wd_queue_close(q);
  pthread_join(t, NULL);
  assert_int_equal(c.must, must);
  assert_int_equal(c.bad_order, 0);
  assert_int_equal(c.may, may_sent);
  wd_queue_stats_t s;
  wd_queue_stats(q, &s);
  assert_int_equal(s.refused, may_refused);
  assert_true(s.high_water >= 12);
  wd_queue_free(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_single_thread),
      cmocka_unit_test(test_full_rules),
      cmocka_unit_test(test_threads_wait_order),
      cmocka_unit_test(test_threads_look_ahead),
      cmocka_unit_test(test_peek_ahead),
      cmocka_unit_test(test_close_wakes_and_drains),
      cmocka_unit_test(test_abandon_releases_producer),
      cmocka_unit_test(test_drop_first_never_must),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
