/* lru_test.c -- tests of src/core/lru.h over a caller's array: an empty
 * list, push and order from both ends, unlink at the head, middle and
 * tail, touch (and that touching the head writes nothing), several lists
 * sharing one array with entries moving between them, and a randomised
 * run against a plain array model of the same order, checking every link
 * both ways after each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/lru.h"

#define N 64

typedef struct item {
  uint32_t value;
  wd_lru_link_t link;
} item_t;

typedef struct store {
  item_t v[N + 1]; /* index 0 unused: 0 means none */
  unsigned calls;  /* accessor calls */
} store_t;

static wd_lru_link_t *at(void *ctx, uint32_t i) {
  store_t *s = ctx;
  s->calls++;
  assert_true(i >= 1 && i <= N);
  return &s->v[i].link;
}

/* The list from head to tail into out; also walks it back from the tail
 * and checks both ways agree. Returns its length. */
static size_t order(store_t *s, const wd_lru_t *l, uint32_t *out) {
  size_t n = 0;
  uint32_t prev = 0;
  for (uint32_t i = l->head; i; i = s->v[i].link.next) {
    assert_true(n < N);
    assert_int_equal(s->v[i].link.prev, prev);
    out[n++] = i;
    prev = i;
  }
  assert_int_equal(l->tail, prev);
  size_t k = n;
  for (uint32_t i = l->tail; i; i = s->v[i].link.prev)
    assert_int_equal(out[--k], i);
  assert_int_equal(k, 0);
  return n;
}

static void expect(store_t *s, const wd_lru_t *l, const uint32_t *want,
                   size_t n) {
  uint32_t got[N];
  assert_int_equal(order(s, l, got), n);
  if (n)
    assert_memory_equal(got, want, n * sizeof *want);
}

static void test_basic(void **state) {
  (void)state;
  static store_t s;
  memset(&s, 0, sizeof s);
  wd_lru_t l;
  wd_lru_init(&l);
  assert_true(wd_lru_empty(&l));
  expect(&s, &l, NULL, 0);
  for (uint32_t i = 1; i <= 4; i++)
    wd_lru_push_front(&l, i, &s.v[i].link, at, &s);
  assert_false(wd_lru_empty(&l));
  expect(&s, &l, (uint32_t[]){4, 3, 2, 1}, 4);
  assert_int_equal(l.tail, 1); /* least recently used */
  wd_lru_touch(&l, 2, &s.v[2].link, at, &s);
  expect(&s, &l, (uint32_t[]){2, 4, 3, 1}, 4);
  wd_lru_touch(&l, 1, &s.v[1].link, at, &s); /* the tail */
  expect(&s, &l, (uint32_t[]){1, 2, 4, 3}, 4);
  /* Touching the head reads and writes nothing. */
  s.calls = 0;
  wd_lru_link_t before = s.v[1].link;
  wd_lru_touch(&l, 1, &s.v[1].link, at, &s);
  assert_int_equal(s.calls, 0);
  assert_memory_equal(&before, &s.v[1].link, sizeof before);
  /* Unlink middle, head, tail; links of an unlinked entry are zero. */
  wd_lru_unlink(&l, &s.v[4].link, at, &s);
  assert_int_equal(s.v[4].link.prev, 0);
  assert_int_equal(s.v[4].link.next, 0);
  expect(&s, &l, (uint32_t[]){1, 2, 3}, 3);
  wd_lru_unlink(&l, &s.v[1].link, at, &s);
  expect(&s, &l, (uint32_t[]){2, 3}, 2);
  wd_lru_unlink(&l, &s.v[3].link, at, &s);
  expect(&s, &l, (uint32_t[]){2}, 1);
  assert_int_equal(l.head, 2);
  assert_int_equal(l.tail, 2);
  wd_lru_unlink(&l, &s.v[2].link, at, &s);
  assert_true(wd_lru_empty(&l));
  assert_int_equal(l.tail, 0);
  /* And it fills again. */
  wd_lru_push_front(&l, 9, &s.v[9].link, at, &s);
  expect(&s, &l, (uint32_t[]){9}, 1);
}

static void test_lists_share_an_array(void **state) {
  (void)state;
  static store_t s;
  memset(&s, 0, sizeof s);
  wd_lru_t a, b;
  wd_lru_init(&a);
  wd_lru_init(&b);
  for (uint32_t i = 1; i <= 6; i++)
    wd_lru_push_front(i % 2 ? &a : &b, i, &s.v[i].link, at, &s);
  expect(&s, &a, (uint32_t[]){5, 3, 1}, 3);
  expect(&s, &b, (uint32_t[]){6, 4, 2}, 3);
  /* 3 moves from a to b, as a flow changes timeout class. */
  wd_lru_unlink(&a, &s.v[3].link, at, &s);
  wd_lru_push_front(&b, 3, &s.v[3].link, at, &s);
  expect(&s, &a, (uint32_t[]){5, 1}, 2);
  expect(&s, &b, (uint32_t[]){3, 6, 4, 2}, 4);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

/* Model: the list as an array, head first. */
static size_t model_find(const uint32_t *m, size_t n, uint32_t i) {
  for (size_t k = 0; k < n; k++)
    if (m[k] == i)
      return k;
  return SIZE_MAX;
}

static void model_remove(uint32_t *m, size_t *n, size_t k) {
  memmove(m + k, m + k + 1, (*n - k - 1) * sizeof *m);
  (*n)--;
}

static void model_front(uint32_t *m, size_t *n, uint32_t i) {
  memmove(m + 1, m, *n * sizeof *m);
  m[0] = i;
  (*n)++;
}

static void test_random_against_model(void **state) {
  (void)state;
  static store_t s;
  memset(&s, 0, sizeof s);
  wd_lru_t l;
  wd_lru_init(&l);
  uint32_t model[N];
  size_t n = 0;
  for (int step = 0; step < 200000; step++) {
    uint32_t i = 1 + rnd(N);
    size_t k = model_find(model, n, i);
    unsigned op = rnd(4);
    if (k == SIZE_MAX) { /* not listed: push it */
      wd_lru_push_front(&l, i, &s.v[i].link, at, &s);
      model_front(model, &n, i);
    } else if (op == 0) { /* unlink */
      wd_lru_unlink(&l, &s.v[i].link, at, &s);
      model_remove(model, &n, k);
    } else if (op == 1 && n) { /* take the tail, as eviction does */
      uint32_t t = l.tail;
      assert_int_equal(t, model[n - 1]);
      wd_lru_unlink(&l, &s.v[t].link, at, &s);
      model_remove(model, &n, n - 1);
    } else { /* touch */
      wd_lru_touch(&l, i, &s.v[i].link, at, &s);
      model_remove(model, &n, k);
      model_front(model, &n, i);
    }
    if (step % 97 == 0 || n < 3)
      expect(&s, &l, model, n);
  }
  expect(&s, &l, model, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_lists_share_an_array),
      cmocka_unit_test(test_random_against_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
