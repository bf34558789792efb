/* hll_test.c -- HyperLogLog counters: empty and repeated values, the exact
 * small range, accuracy at large counts for both sizes, the small sketch's
 * exact merge into the large one, and unions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"
#include "detect/hll.h"

static double rel(uint64_t est, uint64_t n) {
  return ((double)est - (double)n) / (double)n;
}

static void empty_and_repeats(void **st) {
  (void)st;
  wd_hll_t h;
  wd_hll_small_t s;
  wd_hll_clear(&h);
  wd_hll_small_clear(&s);
  assert_int_equal(wd_hll_count(&h), 0);
  assert_int_equal(wd_hll_small_count(&s), 0);
  wd_addr_t a = dd_ip("192.0.2.1");
  for (unsigned i = 0; i < 1000; i++) {
    wd_hll_add_addr(&h, &a);
    wd_hll_small_add_hash(&s, wd_hll_hash_addr(&a));
  }
  assert_int_equal(wd_hll_count(&h), 1);
  assert_int_equal(wd_hll_small_count(&s), 1);
}

static void small_range_near_exact(void **st) {
  (void)st;
  wd_hll_t h;
  wd_hll_clear(&h);
  for (uint32_t i = 1; i <= 100; i++) {
    wd_addr_t a = dd_a4(0x0a000000u + i);
    wd_hll_add_addr(&h, &a);
    wd_hll_add_addr(&h, &a);
  }
  uint64_t n = wd_hll_count(&h);
  assert_true(n >= 92 && n <= 108);
}

static void large_counts(void **st) {
  (void)st;
  static const uint64_t checks[] = {1000, 10000, 100000, 1000000};
  wd_hll_t h;
  wd_hll_small_t s;
  wd_hll_clear(&h);
  wd_hll_small_clear(&s);
  uint64_t seed = 2024;
  unsigned c = 0;
  for (uint64_t i = 1; i <= 1000000; i++) {
    wd_addr_t a = dd_a6("2001:db8::", (uint32_t)dd_rand(&seed));
    a.b[8] = (uint8_t)(i >> 24); /* distinct by construction */
    a.b[9] = (uint8_t)(i >> 16);
    a.b[10] = (uint8_t)(i >> 8);
    a.b[11] = (uint8_t)i;
    uint64_t x = wd_hll_hash_addr(&a);
    wd_hll_add_hash(&h, x);
    wd_hll_small_add_hash(&s, x);
    if (i == checks[c]) {
      /* 6.5 % standard error: 3 sigma is about 20 %. */
      assert_true(rel(wd_hll_count(&h), i) < 0.2);
      assert_true(rel(wd_hll_count(&h), i) > -0.2);
      /* Same registers while ranks stay below 16; then nearly. */
      if (i <= 10000)
        assert_int_equal(wd_hll_small_count(&s), wd_hll_count(&h));
      assert_true(rel(wd_hll_small_count(&s), wd_hll_count(&h)) > -0.03);
      assert_true(rel(wd_hll_small_count(&s), wd_hll_count(&h)) < 0.03);
      c++;
    }
  }
  assert_int_equal(c, 4);
}

static void merges(void **st) {
  (void)st;
  wd_hll_t a, b, u;
  wd_hll_small_t s;
  wd_hll_clear(&a);
  wd_hll_clear(&b);
  wd_hll_clear(&u);
  wd_hll_small_clear(&s);
  for (uint32_t i = 0; i < 5000; i++) {
    wd_addr_t x = dd_a4(0x01000000u + i), y = dd_a4(0x02000000u + i);
    wd_hll_add_addr(&a, &x);
    wd_hll_add_addr(&b, &y);
    wd_hll_add_addr(&u, &x);
    wd_hll_add_addr(&u, &y);
    wd_hll_small_add_hash(&s, wd_hll_hash_addr(&y));
  }
  wd_hll_t m = a;
  wd_hll_merge(&m, &b);
  assert_int_equal(wd_hll_count(&m), wd_hll_count(&u));
  assert_memory_equal(m.reg, u.reg, sizeof m.reg);
  wd_hll_t m2 = a;
  wd_hll_merge_small(&m2, &s);
  assert_memory_equal(m2.reg, u.reg, sizeof u.reg);
  assert_int_equal(m2.sum, u.sum);
  assert_int_equal(m2.zeros, u.zeros);
  assert_true(rel(wd_hll_count(&m), 10000) < 0.2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_and_repeats),
      cmocka_unit_test(small_range_near_exact),
      cmocka_unit_test(large_counts),
      cmocka_unit_test(merges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
