/* addrset_test.c -- tests of src/core/addrset.c: the rate sketch never
 * counts below the truth, stays near it with few addresses, rolls the
 * current second into the last one and clears both after a gap; the
 * recent-address filter never forgets an address within its memory, is
 * wrong about unmarked ones for a small fraction only, turns generations by
 * time and by its address cap (counted as a cap hit), and forgets after two
 * generations. Memory is reserved from the memcap and given back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/addrset.h"

#define NS 1000000000ull

static wd_addr_t addr_n(uint32_t n) {
  uint8_t v4[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                   (uint8_t)n};
  wd_addr_t a;
  wd_addr_from_v4(&a, v4);
  return a;
}

static void rate_counts_and_rolls(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_addr_rate_t r;
  assert_int_equal(wd_addr_rate_init(&r, 1000, &mc), WD_OK);
  assert_int_equal(r.mask + 1, 1024);
  assert_int_equal(mc.used, 1024 * 2 * 2 * 2);
  wd_addr_rate_roll(&r, 10);
  /* 200 addresses, address i gets i events */
  for (uint32_t i = 0; i < 200; i++) {
    wd_addr_t a = addr_n(0x0a000000u + i);
    for (uint32_t k = 0; k < i; k++)
      wd_addr_rate_add(&r, &a);
  }
  unsigned exact = 0;
  for (uint32_t i = 0; i < 200; i++) {
    wd_addr_t a = addr_n(0x0a000000u + i);
    uint32_t cur, last;
    wd_addr_rate_get(&r, &a, &cur, &last);
    assert_true(cur >= i);
    assert_int_equal(last, 0);
    exact += cur == i;
  }
  assert_true(exact > 150); /* 200 addresses in 1024 cells, two rows */
  wd_addr_t a = addr_n(0x0a000000u + 150), b = addr_n(0x0a000000u + 199);
  uint32_t cur, last;
  wd_addr_rate_roll(&r, 11);
  wd_addr_rate_add(&r, &b);
  wd_addr_rate_get(&r, &a, &cur, &last);
  assert_true(last >= 150);
  assert_true(cur <= 1);
  wd_addr_rate_get(&r, &b, &cur, &last);
  assert_int_equal(cur, 1);
  assert_true(last >= 199);
  wd_addr_rate_roll(&r, 11); /* same second: nothing changes */
  wd_addr_rate_get(&r, &b, &cur, &last);
  assert_int_equal(cur, 1);
  wd_addr_rate_roll(&r, 13); /* a gap: both seconds are gone */
  wd_addr_rate_get(&r, &b, &cur, &last);
  assert_int_equal(cur, 0);
  assert_int_equal(last, 0);
  /* counters saturate instead of wrapping */
  for (uint32_t k = 0; k < 70000; k++)
    wd_addr_rate_add(&r, &a);
  wd_addr_rate_get(&r, &a, &cur, &last);
  assert_int_equal(cur, 65535);
  wd_addr_rate_free(&r);
  assert_int_equal(mc.used, 0);
}

static void rate_refused_by_memcap(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1000);
  wd_addr_rate_t r;
  assert_int_equal(wd_addr_rate_init(&r, 4096, &mc), WD_ERR_NOMEM);
  assert_int_equal(mc.hits, 1);
  wd_addr_rate_free(&r); /* safe after a failed init */
}

static void seen_remembers_and_forgets(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_addr_seen_t s;
  assert_int_equal(wd_addr_seen_init(&s, 10000, 60 * NS, &mc), WD_OK);
  wd_addr_seen_tick(&s, 100 * NS);
  for (uint32_t i = 0; i < 5000; i++) {
    wd_addr_t a = addr_n(0xc0000000u + i);
    wd_addr_seen_mark(&s, &a);
  }
  for (uint32_t i = 0; i < 5000; i++) {
    wd_addr_t a = addr_n(0xc0000000u + i);
    assert_true(wd_addr_seen_has(&s, &a));
  }
  unsigned wrong = 0;
  for (uint32_t i = 0; i < 100000; i++) {
    wd_addr_t a = addr_n(0x0b000000u + i);
    wrong += wd_addr_seen_has(&s, &a);
  }
  assert_true(wrong < 1000); /* under 1 % at half the capacity */
  /* one generation later the addresses are still known */
  wd_addr_seen_tick(&s, 159 * NS);
  assert_int_equal(s.turns, 0);
  wd_addr_seen_tick(&s, 160 * NS);
  assert_int_equal(s.turns, 1);
  wd_addr_t a0 = addr_n(0xc0000000u);
  assert_true(wd_addr_seen_has(&s, &a0));
  /* two generations later they are forgotten */
  wd_addr_seen_tick(&s, 220 * NS);
  assert_false(wd_addr_seen_has(&s, &a0));
  assert_int_equal(s.turns_full, 0);
  assert_int_equal(mc.hits, 0);
  wd_addr_seen_free(&s);
  assert_int_equal(mc.used, 0);
}

static void seen_cap_turns_early(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "t", 1 << 20);
  wd_addr_seen_t s;
  assert_int_equal(wd_addr_seen_init(&s, 1024, 600 * NS, &mc), WD_OK);
  wd_addr_t first = addr_n(1);
  wd_addr_seen_mark(&s, &first);
  for (uint32_t i = 2; i < 1024 * 3; i++) {
    wd_addr_t a = addr_n(0x0c000000u + i * 7919u);
    wd_addr_seen_mark(&s, &a);
  }
  assert_true(s.turns_full >= 2);
  assert_int_equal(mc.hits, s.turns_full);
  assert_false(wd_addr_seen_has(&s, &first)); /* forgotten early */
  /* the latest addresses are known */
  wd_addr_t last = addr_n(0x0c000000u + (1024 * 3 - 1) * 7919u);
  assert_true(wd_addr_seen_has(&s, &last));
  wd_addr_seen_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rate_counts_and_rolls),
      cmocka_unit_test(rate_refused_by_memcap),
      cmocka_unit_test(seen_remembers_and_forgets),
      cmocka_unit_test(seen_cap_turns_early),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
