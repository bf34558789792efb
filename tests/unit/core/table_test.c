/* table_test.c -- tests of src/core/table.c: create/find/get, recency
 * (least recently used recycled first, on_evict told), remove and slot
 * reuse (also by take, which hands the value back), expiry oldest first,
 * foreach order, the entry cap and the memcap (small caps still hold entries:
 * the last slab is cut; memuse never above cap; release on free), odd key
 * sizes, and a randomised run against a simple reference model of the same LRU;
 * lookups across bucket growth after removals and expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/table.h"

typedef struct evlog {
  uint32_t keys[4096];
  uint32_t vals[4096];
  size_t n;
} evlog;

static void on_evict(void *user, const void *key, void *val) {
  evlog *l = user;
  uint32_t k, v;
  memcpy(&k, key, sizeof k);
  memcpy(&v, val, sizeof v);
  if (l->n < 4096) {
    l->keys[l->n] = k;
    l->vals[l->n] = v;
  }
  l->n++;
}

static uint32_t *get(wd_table_t *t, uint32_t k, uint64_t ns, bool *created) {
  return wd_table_get(t, &k, ns, created);
}

static uint32_t *find(wd_table_t *t, uint32_t k) {
  return wd_table_find(t, &k);
}

static void test_new_invalid(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t = (wd_table_t *)1;
  assert_int_equal(wd_table_new("t", 0, 4, 10, &mc, NULL, NULL, &t),
                   WD_ERR_INVAL);
  assert_null(t);
  assert_int_equal(wd_table_new("t", 4, 4, 0, &mc, NULL, NULL, &t),
                   WD_ERR_INVAL);
  assert_int_equal(wd_table_new("t", 4, 4, 10, NULL, NULL, NULL, &t),
                   WD_ERR_INVAL);
  /* A cap too small for the bucket array: refused, nothing reserved. */
  wd_memcap_init(&mc, "t", 100);
  assert_int_equal(wd_table_new("t", 4, 4, 10, &mc, NULL, NULL, &t),
                   WD_ERR_NOMEM);
  assert_int_equal(mc.used, 0);
}

static void test_get_find_created(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 16, 100, &mc, NULL, NULL, &t), WD_OK);
  bool created = false;
  uint32_t *v = get(t, 7, 1, &created);
  assert_non_null(v);
  assert_true(created);
  for (int i = 0; i < 4; i++)
    assert_int_equal(v[i], 0); /* zeroed */
  v[0] = 77;
  v[3] = 0xdeadbeef;
  uint32_t *w = get(t, 7, 2, &created);
  assert_ptr_equal(v, w);
  assert_false(created);
  assert_int_equal(w[0], 77);
  assert_ptr_equal(find(t, 7), v);
  assert_null(find(t, 8));
  assert_non_null(get(t, 8, 3, NULL)); /* created may be NULL */
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 2);
  assert_int_equal(st.created, 2);
  assert_int_equal(st.max, 100);
  assert_int_equal(st.evicted, 0);
  wd_table_free(t);
  assert_int_equal(mc.used, 0);
}

/* Full at 3 entries: the least recently touched goes first, on_evict sees
 * its key and value; find() does not count as a touch. */
static void test_lru_eviction_order(void **state) {
  (void)state;
  static evlog ev;
  memset(&ev, 0, sizeof ev);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, 3, &mc, on_evict, &ev, &t), WD_OK);
  for (uint32_t k = 1; k <= 3; k++)
    *get(t, k, k, NULL) = k * 10;
  get(t, 1, 4, NULL);          /* 1 is now the most recent: order 1,3,2 */
  assert_non_null(find(t, 2)); /* no touch */
  bool created;
  *get(t, 4, 5, &created) = 40;
  assert_true(created);
  assert_int_equal(ev.n, 1);
  assert_int_equal(ev.keys[0], 2);
  assert_int_equal(ev.vals[0], 20);
  assert_null(find(t, 2));
  *get(t, 5, 6, NULL) = 50; /* then 3 */
  assert_int_equal(ev.n, 2);
  assert_int_equal(ev.keys[1], 3);
  uint32_t *v = get(t, 6, 7, &created); /* then 1 */
  assert_true(created);
  assert_int_equal(*v, 0); /* recycled entry is zeroed */
  assert_int_equal(ev.keys[2], 1);
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 3);
  assert_int_equal(st.evicted, 3);
  assert_int_equal(st.cap_hits, 3);
  assert_int_equal(st.created, 6);
  assert_non_null(find(t, 4));
  assert_non_null(find(t, 5));
  assert_non_null(find(t, 6));
  wd_table_free(t);
}

static void test_remove_reuses_slot(void **state) {
  (void)state;
  static evlog ev;
  memset(&ev, 0, sizeof ev);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, 2, &mc, on_evict, &ev, &t), WD_OK);
  uint32_t *a = get(t, 1, 1, NULL);
  get(t, 2, 2, NULL);
  wd_table_remove(t, &(uint32_t){1});
  wd_table_remove(t, &(uint32_t){99}); /* absent: nothing */
  assert_null(find(t, 1));
  assert_int_equal(ev.n, 0); /* remove does not call on_evict */
  uint32_t *c = get(t, 3, 3, NULL);
  assert_ptr_equal(a, c); /* the freed slot, no eviction */
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 2);
  assert_int_equal(st.evicted, 0);
  assert_non_null(find(t, 2));
  /* Removing the LRU tail and head keeps the list sound. */
  wd_table_remove(t, &(uint32_t){2});
  wd_table_remove(t, &(uint32_t){3});
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 0);
  get(t, 4, 4, NULL);
  get(t, 5, 5, NULL);
  get(t, 6, 6, NULL);
  assert_int_equal(ev.n, 1);
  assert_int_equal(ev.keys[0], 4);
  wd_table_free(t);
}

static void test_expire_oldest_first(void **state) {
  (void)state;
  static evlog ev;
  memset(&ev, 0, sizeof ev);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, 100, &mc, on_evict, &ev, &t), WD_OK);
  for (uint32_t k = 1; k <= 10; k++)
    get(t, k, k * 100, NULL);
  get(t, 2, 2000, NULL);   /* refreshed */
  wd_table_expire(t, 500); /* removes last touch < 500: 1, 3, 4 */
  assert_int_equal(ev.n, 3);
  assert_int_equal(ev.keys[0], 1);
  assert_int_equal(ev.keys[1], 3);
  assert_int_equal(ev.keys[2], 4);
  assert_non_null(find(t, 5));
  assert_non_null(find(t, 2));
  wd_table_expire(t, 500); /* nothing more due */
  assert_int_equal(ev.n, 3);
  wd_table_expire(t, 2001); /* everything */
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.expired, 10);
  assert_int_equal(ev.keys[9], 2);
  assert_non_null(get(t, 11, 3000, NULL));
  wd_table_free(t);
}

typedef struct visit {
  uint32_t keys[16];
  uint64_t ns[16];
  size_t n, stop_after;
} visit;

static bool visitor(void *user, const void *key, void *val, uint64_t last_ns) {
  visit *v = user;
  (void)val;
  memcpy(&v->keys[v->n], key, 4);
  v->ns[v->n] = last_ns;
  v->n++;
  return v->n < v->stop_after;
}

static void test_foreach_mru_first(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, 100, &mc, NULL, NULL, &t), WD_OK);
  for (uint32_t k = 1; k <= 5; k++)
    get(t, k, k, NULL);
  get(t, 3, 9, NULL);
  visit v = {.stop_after = 16};
  wd_table_foreach(t, visitor, &v);
  assert_int_equal(v.n, 5);
  uint32_t want[5] = {3, 5, 4, 2, 1};
  for (int i = 0; i < 5; i++)
    assert_int_equal(v.keys[i], want[i]);
  assert_int_equal(v.ns[0], 9);
  visit s = {.stop_after = 2};
  wd_table_foreach(t, visitor, &s);
  assert_int_equal(s.n, 2);
  wd_table_free(t);
}

/* A memcap far below one 1024-entry slab still holds entries (the last
 * slab is cut to what the cap leaves), never goes above the cap, and
 * recycles instead of growing. */
static void test_small_memcap(void **state) {
  (void)state;
  size_t vsz = 200;
  size_t esz = wd_table_entry_size(4, vsz);
  assert_true(esz >= 4 + vsz);
  assert_int_equal(esz % 8, 0);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 64 * 1024);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, vsz, 1000000, &mc, NULL, NULL, &t),
                   WD_OK);
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_true(st.max > 200); /* ~64 KiB / 232 bytes */
  assert_true(st.max * esz <= 64 * 1024);
  for (uint32_t k = 0; k < 5000; k++) {
    assert_non_null(get(t, k, k, NULL));
    assert_true(mc.used <= mc.cap);
  }
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, st.max);
  assert_int_equal(st.evicted, 5000 - st.max);
  assert_true(st.cap_hits >= st.evicted);
  /* The newest max keys are there, the older ones are gone. */
  assert_non_null(find(t, 4999));
  assert_non_null(find(t, (uint32_t)(5000 - st.max)));
  assert_null(find(t, (uint32_t)(4999 - st.max)));
  wd_table_free(t);
  assert_int_equal(mc.used, 0);
}

/* Shared memcap: a second table only gets what the first left. */
static void test_shared_memcap(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 256 * 1024);
  wd_table_t *a, *b;
  assert_int_equal(wd_table_new("a", 8, 8, 100000, &mc, NULL, NULL, &a), WD_OK);
  for (uint64_t k = 0; k < 100000; k++)
    assert_non_null(wd_table_get(a, &k, k, NULL));
  assert_true(mc.used <= mc.cap);
  size_t used_a = mc.used;
  wd_rc rc = wd_table_new("b", 8, 8, 100000, &mc, NULL, NULL, &b);
  if (rc == WD_OK) {
    for (uint64_t k = 0; k < 1000; k++)
      wd_table_get(b, &k, k, NULL);
    assert_true(mc.used <= mc.cap);
    wd_table_free(b);
  } else {
    assert_int_equal(rc, WD_ERR_NOMEM);
  }
  assert_int_equal(mc.used, used_a);
  wd_table_free(a);
  assert_int_equal(mc.used, 0);
}

/* Accounts of a shared budget (each detector's part of detect.memcap):
 * each table's bytes and evictions are counted on its own account and on
 * the pool, the pool's cap bounds them together, and a refusal counts on
 * both. */
static void test_memcap_accounts(void **state) {
  (void)state;
  wd_memcap_t pool, ma, mb;
  wd_memcap_init(&pool, "pool", 2 << 20);
  wd_memcap_init_share(&ma, "a", &pool);
  wd_memcap_init_share(&mb, "b", &pool);
  assert_int_equal(ma.cap, pool.cap);
  wd_table_t *a, *b;
  assert_int_equal(wd_table_new("a", 8, 8, 100, &ma, NULL, NULL, &a), WD_OK);
  assert_int_equal(wd_table_new("b", 8, 200, 100000, &mb, NULL, NULL, &b),
                   WD_OK);
  for (uint64_t k = 0; k < 300; k++) /* a: its count cap (100) */
    assert_non_null(wd_table_get(a, &k, k, NULL));
  for (uint64_t k = 0; k < 20000; k++) /* b: the pool's bytes */
    assert_non_null(wd_table_get(b, &k, k, NULL));
  wd_table_stats_t sa, sb;
  wd_table_stats(a, &sa);
  wd_table_stats(b, &sb);
  assert_int_equal(ma.evicted, 200);
  assert_int_equal(ma.evicted, sa.evicted);
  assert_int_equal(mb.evicted, sb.evicted);
  assert_true(mb.evicted > 0);
  assert_int_equal(pool.evicted, ma.evicted + mb.evicted);
  assert_int_equal(pool.used, ma.used + mb.used);
  assert_true(pool.used <= pool.cap);
  assert_true(mb.hits > 0); /* refused by the pool, counted here too */
  assert_int_equal(pool.hits, ma.hits + mb.hits);
  wd_table_free(b);
  assert_int_equal(mb.used, 0);
  assert_int_equal(pool.used, ma.used);
  wd_table_free(a);
  assert_int_equal(pool.used, 0);
}

/* Keys that are not a multiple of 8 bytes, and many of them: every one is
 * found again, and a key differing in its last byte is another key. */
static void test_odd_key_sizes(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 64 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 13, 4, 50000, &mc, NULL, NULL, &t), WD_OK);
  uint8_t key[13];
  for (uint32_t i = 0; i < 50000; i++) {
    memset(key, 0xab, sizeof key);
    memcpy(key + 9, &i, 4);
    *(uint32_t *)wd_table_get(t, key, i, NULL) = i;
  }
  for (uint32_t i = 0; i < 50000; i++) {
    memset(key, 0xab, sizeof key);
    memcpy(key + 9, &i, 4);
    uint32_t *v = wd_table_find(t, key);
    assert_non_null(v);
    assert_int_equal(*v, i);
  }
  memset(key, 0xab, sizeof key);
  key[12] = 0xff; /* i = 0xff...: never inserted */
  key[11] = 0xff;
  assert_null(wd_table_find(t, key));
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, 50000);
  assert_int_equal(st.evicted, 0);
  wd_table_free(t);
}

static void test_random_seed(void **state) {
  (void)state;
  uint64_t a = wd_table_random_seed(), b = wd_table_random_seed();
  assert_true(a != b);
}

/* ---- randomised run against a reference LRU ---- */

#define REF_MAX 37
#define REF_KEYS 120

typedef struct ref {
  uint32_t key[REF_MAX]; /* [0] most recent */
  uint32_t val[REF_MAX];
  uint64_t ns[REF_MAX];
  int n;
} ref;

static int ref_pos(const ref *r, uint32_t k) {
  for (int i = 0; i < r->n; i++)
    if (r->key[i] == k)
      return i;
  return -1;
}

static void ref_del(ref *r, int i) {
  memmove(&r->key[i], &r->key[i + 1], (size_t)(r->n - i - 1) * 4);
  memmove(&r->val[i], &r->val[i + 1], (size_t)(r->n - i - 1) * 4);
  memmove(&r->ns[i], &r->ns[i + 1], (size_t)(r->n - i - 1) * 8);
  r->n--;
}

static void ref_front(ref *r, uint32_t k, uint32_t v, uint64_t ns) {
  memmove(&r->key[1], &r->key[0], (size_t)r->n * 4);
  memmove(&r->val[1], &r->val[0], (size_t)r->n * 4);
  memmove(&r->ns[1], &r->ns[0], (size_t)r->n * 8);
  r->key[0] = k;
  r->val[0] = v;
  r->ns[0] = ns;
  r->n++;
}

static uint64_t rng_state = 0x1234567887654321ULL;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)rng_state;
}

static void test_random_against_reference(void **state) {
  (void)state;
  static evlog ev;
  static ref r;
  memset(&ev, 0, sizeof ev);
  memset(&r, 0, sizeof r);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, REF_MAX, &mc, on_evict, &ev, &t),
                   WD_OK);
  uint64_t now = 0;
  for (int step = 0; step < 200000; step++) {
    uint32_t op = rnd() % 100, k = rnd() % REF_KEYS;
    now += rnd() % 3;
    if (op < 70) { /* get */
      int pos = ref_pos(&r, k);
      size_t before = ev.n;
      bool created;
      uint32_t *v = get(t, k, now, &created);
      assert_non_null(v);
      if (pos >= 0) {
        assert_false(created);
        assert_int_equal(*v, r.val[pos]);
        ref_del(&r, pos);
        assert_int_equal(ev.n, before);
      } else {
        assert_true(created);
        assert_int_equal(*v, 0);
        if (r.n == REF_MAX) { /* the reference's tail was recycled */
          assert_int_equal(ev.n, before + 1);
          assert_int_equal(ev.keys[(before) % 4096], r.key[r.n - 1]);
          ref_del(&r, r.n - 1);
        } else {
          assert_int_equal(ev.n, before);
        }
      }
      *v = rnd();
      ref_front(&r, k, *v, now);
      if (ev.n >= 4000)
        ev.n = 0;
    } else if (op < 85) { /* find */
      int pos = ref_pos(&r, k);
      uint32_t *v = find(t, k);
      if (pos < 0) {
        assert_null(v);
      } else {
        assert_non_null(v);
        assert_int_equal(*v, r.val[pos]);
      }
    } else if (op < 90) { /* remove */
      int pos = ref_pos(&r, k);
      wd_table_remove(t, &k);
      if (pos >= 0)
        ref_del(&r, pos);
    } else if (op < 95) { /* take: remove, the value handed back */
      int pos = ref_pos(&r, k);
      uint32_t v = 0xdeadbeef;
      assert_int_equal(wd_table_take(t, &k, &v), pos >= 0);
      assert_null(find(t, k));
      if (pos >= 0) {
        assert_int_equal(v, r.val[pos]);
        ref_del(&r, pos);
      } else {
        assert_int_equal(v, 0xdeadbeef); /* untouched */
      }
    } else { /* expire a little */
      uint64_t cutoff = now > 40 ? now - 40 : 0;
      size_t before = ev.n;
      wd_table_expire(t, cutoff);
      size_t gone = 0;
      while (r.n > 0 && r.ns[r.n - 1] < cutoff) {
        assert_true(before + gone < ev.n);
        assert_int_equal(ev.keys[before + gone], r.key[r.n - 1]);
        ref_del(&r, r.n - 1);
        gone++;
      }
      assert_int_equal(ev.n, before + gone);
    }
    wd_table_stats_t st;
    wd_table_stats(t, &st);
    assert_int_equal(st.entries, (uint64_t)r.n);
  }
  wd_table_free(t);
}

/* The buckets double as entries come (every live entry rechained, freed
 * ones and the slot being filled not), also after removals and expiry
 * have freed entries: every live entry is found with its value, no
 * removed one is. */
static void test_growth_keeps_entries(void **state) {
  (void)state;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 64 << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("t", 4, 4, 200000, &mc, NULL, NULL, &t), WD_OK);
  enum { FIRST = 20000, MORE = 50000 };
  for (uint32_t k = 0; k < FIRST; k++)
    *get(t, k * 7919u, k < FIRST / 2 ? 1 : 10, NULL) = k;
  for (uint32_t k = 1; k < FIRST; k += 2) /* odd keys removed */
    wd_table_remove(t, &(uint32_t){k * 7919u});
  wd_table_expire(t, 5); /* and the even ones of the first half */
  wd_table_stats_t st;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, FIRST / 4);
  assert_int_equal(wd_table_check(t), 0);
  for (uint32_t k = FIRST; k < FIRST + MORE; k++)
    *get(t, k * 7919u, 20, NULL) = k;
  wd_table_stats(t, &st);
  assert_int_equal(st.entries, FIRST / 4 + MORE);
  assert_int_equal(wd_table_check(t), 0);
  for (uint32_t k = 0; k < FIRST + MORE; k++) {
    uint32_t *v = find(t, k * 7919u);
    bool live = k >= FIRST || (k % 2 == 0 && k >= FIRST / 2);
    if (!live) {
      assert_null(v);
      continue;
    }
    assert_non_null(v);
    assert_int_equal(*v, k);
  }
  wd_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_invalid),
      cmocka_unit_test(test_get_find_created),
      cmocka_unit_test(test_lru_eviction_order),
      cmocka_unit_test(test_remove_reuses_slot),
      cmocka_unit_test(test_expire_oldest_first),
      cmocka_unit_test(test_foreach_mru_first),
      cmocka_unit_test(test_small_memcap),
      cmocka_unit_test(test_shared_memcap),
      cmocka_unit_test(test_memcap_accounts),
      cmocka_unit_test(test_odd_key_sizes),
      cmocka_unit_test(test_random_seed),
      cmocka_unit_test(test_random_against_reference),
      cmocka_unit_test(test_growth_keeps_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
