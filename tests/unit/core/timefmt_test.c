/* timefmt_test.c -- tests of src/core/timefmt.c: every form at known
 * moments (the epoch, leap days of 2000 and 2024, the last day of a leap
 * and a common year, 2100 that is not a leap year and 2400 that is, the
 * largest uint64_t nanosecond), sub-second digits never rounded up, text
 * cut to short buffers, civil fields and weekdays, wd_time_from_civil as
 * the inverse (with timegm's carrying over), and a randomised comparison
 * of every form with glibc's gmtime_r + strftime over 1970..2554. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/timefmt.h"

#define S WD_NSEC_PER_SEC

static const char *fmt(uint64_t ns, wd_time_form f) {
  static char b[WD_TIME_STRLEN];
  memset(b, 'x', sizeof b);
  return wd_time_str(ns, f, b, sizeof b);
}

static uint64_t civil_ns(int y, unsigned mo, unsigned d, unsigned h,
                         unsigned mi, unsigned s) {
  uint64_t ns = 0;
  assert_true(wd_time_from_civil(y, mo, d, h, mi, s, &ns));
  return ns;
}

static void test_every_form(void **state) {
  (void)state;
  uint64_t t = civil_ns(2026, 2, 4, 22, 49, 29) + 123456789;
  assert_string_equal(fmt(t, WD_TIME_RFC3339), "2026-02-04T22:49:29Z");
  assert_string_equal(fmt(t, WD_TIME_RFC3339_MS), "2026-02-04T22:49:29.123Z");
  assert_string_equal(fmt(t, WD_TIME_RFC3339_US),
                      "2026-02-04T22:49:29.123456Z");
  assert_string_equal(fmt(t, WD_TIME_EVE), "2026-02-04T22:49:29.123456+0000");
  assert_string_equal(fmt(t, WD_TIME_HUMAN), "2026-02-04 22:49:29 UTC");
  assert_string_equal(fmt(t, WD_TIME_MAIL), "Wed, 04 Feb 2026 22:49:29 +0000");
  assert_string_equal(fmt(t, WD_TIME_DATE), "2026-02-04");
  /* The longest form fits WD_TIME_STRLEN exactly. */
  assert_int_equal(strlen(fmt(t, WD_TIME_MAIL)) + 1, WD_TIME_STRLEN);
  assert_int_equal(strlen(fmt(t, WD_TIME_EVE)) + 1, WD_TIME_STRLEN);
}

static void test_epoch_edges(void **state) {
  (void)state;
  assert_string_equal(fmt(0, WD_TIME_RFC3339_US),
                      "1970-01-01T00:00:00.000000Z");
  assert_string_equal(fmt(0, WD_TIME_MAIL), "Thu, 01 Jan 1970 00:00:00 +0000");
  assert_string_equal(fmt(S - 1, WD_TIME_RFC3339_US),
                      "1970-01-01T00:00:00.999999Z"); /* cut, not rounded */
  assert_string_equal(fmt(S - 1, WD_TIME_RFC3339_MS),
                      "1970-01-01T00:00:00.999Z");
  assert_string_equal(fmt(S - 1, WD_TIME_RFC3339), "1970-01-01T00:00:00Z");
  assert_string_equal(fmt(86399 * S, WD_TIME_HUMAN), "1970-01-01 23:59:59 UTC");
  assert_string_equal(fmt(86400 * S, WD_TIME_DATE), "1970-01-02");
  /* 2^31 seconds: past the 32-bit time_t end. */
  assert_string_equal(fmt(2147483648ull * S, WD_TIME_RFC3339),
                      "2038-01-19T03:14:08Z");
  /* The last moment a uint64_t of nanoseconds holds. */
  assert_string_equal(fmt(UINT64_MAX, WD_TIME_RFC3339_US),
                      "2554-07-21T23:34:33.709551Z");
  assert_string_equal(fmt(UINT64_MAX, WD_TIME_MAIL),
                      "Sun, 21 Jul 2554 23:34:33 +0000");
}

static void test_leap_years(void **state) {
  (void)state;
  /* 2000: divisible by 400, a leap year. */
  assert_string_equal(fmt(civil_ns(2000, 2, 29, 12, 0, 0), WD_TIME_DATE),
                      "2000-02-29");
  assert_string_equal(
      fmt(civil_ns(2000, 2, 28, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2000-02-29");
  assert_string_equal(fmt(civil_ns(2000, 12, 31, 23, 59, 59), WD_TIME_MAIL),
                      "Sun, 31 Dec 2000 23:59:59 +0000");
  /* 2024: divisible by 4. */
  assert_string_equal(
      fmt(civil_ns(2024, 2, 28, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2024-02-29");
  assert_string_equal(
      fmt(civil_ns(2024, 2, 29, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2024-03-01");
  /* 2023: common, so Feb 28 is followed by Mar 1. */
  assert_string_equal(
      fmt(civil_ns(2023, 2, 28, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2023-03-01");
  assert_string_equal(fmt(civil_ns(2023, 12, 31, 0, 0, 0), WD_TIME_MAIL),
                      "Sun, 31 Dec 2023 00:00:00 +0000");
  /* 2100: divisible by 100 but not 400, not a leap year. */
  assert_string_equal(
      fmt(civil_ns(2100, 2, 28, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2100-03-01");
  /* 2400: divisible by 400 again. */
  assert_string_equal(
      fmt(civil_ns(2400, 2, 28, 0, 0, 0) + 86400 * S, WD_TIME_DATE),
      "2400-02-29");
  /* Days in the years around them. */
  assert_int_equal(civil_ns(2001, 1, 1, 0, 0, 0) -
                       civil_ns(2000, 1, 1, 0, 0, 0),
                   366 * 86400 * S);
  assert_int_equal(civil_ns(2101, 1, 1, 0, 0, 0) -
                       civil_ns(2100, 1, 1, 0, 0, 0),
                   365 * 86400 * S);
  assert_int_equal(civil_ns(2401, 1, 1, 0, 0, 0) -
                       civil_ns(2400, 1, 1, 0, 0, 0),
                   366 * 86400 * S);
}

static void test_civil(void **state) {
  (void)state;
  wd_civil_t c;
  wd_time_civil(civil_ns(2026, 2, 4, 22, 49, 29) + 7, &c);
  assert_int_equal(c.year, 2026);
  assert_int_equal(c.month, 2);
  assert_int_equal(c.day, 4);
  assert_int_equal(c.hour, 22);
  assert_int_equal(c.min, 49);
  assert_int_equal(c.sec, 29);
  assert_int_equal(c.wday, 3); /* Wednesday */
  assert_int_equal(c.nsec, 7);
  wd_time_civil(0, &c);
  assert_int_equal(c.year, 1970);
  assert_int_equal(c.wday, 4); /* Thursday */
  /* timegm's carrying over: January 32 is February 1, second 60 the next
   * minute, December 31 + 1 day the next year. */
  assert_int_equal(civil_ns(2026, 1, 32, 0, 0, 0),
                   civil_ns(2026, 2, 1, 0, 0, 0));
  assert_int_equal(civil_ns(2026, 2, 31, 0, 0, 0),
                   civil_ns(2026, 3, 3, 0, 0, 0));
  assert_int_equal(civil_ns(2026, 1, 1, 0, 0, 60),
                   civil_ns(2026, 1, 1, 0, 1, 0));
  assert_int_equal(civil_ns(2025, 13, 1, 0, 0, 0),
                   civil_ns(2026, 1, 1, 0, 0, 0));
  uint64_t ns;
  assert_false(wd_time_from_civil(1969, 12, 31, 23, 59, 59, &ns));
  assert_true(wd_time_from_civil(1970, 1, 1, 0, 0, 0, &ns));
  assert_int_equal(ns, 0);
  assert_false(wd_time_from_civil(2555, 1, 1, 0, 0, 0, &ns)); /* > 64 bits */
  assert_false(wd_time_from_civil(2026, 0, 1, 0, 0, 0, &ns));
  assert_false(wd_time_from_civil(2026, 1, 0, 0, 0, 0, &ns));
}

static void test_short_buffers(void **state) {
  (void)state;
  char b[11];
  uint64_t t = civil_ns(2026, 2, 4, 22, 49, 29);
  assert_string_equal(wd_time_str(t, WD_TIME_RFC3339, b, sizeof b),
                      "2026-02-04");
  assert_string_equal(wd_time_str(t, WD_TIME_RFC3339, b, 1), "");
  b[0] = 'x';
  wd_time_str(t, WD_TIME_RFC3339, b, 0); /* writes nothing */
  assert_int_equal(b[0], 'x');
}

/* The forms as glibc writes them, the way ward wrote them before. */
static void libc_form(uint64_t ns, wd_time_form f, char *out, size_t n) {
  time_t t = (time_t)(ns / S);
  struct tm tm;
  assert_non_null(gmtime_r(&t, &tm));
  char b[40];
  unsigned us = (unsigned)(ns % S / 1000), ms = (unsigned)(ns % S / 1000000);
  switch (f) {
  case WD_TIME_RFC3339:
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    break;
  case WD_TIME_RFC3339_MS:
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03uZ", b, ms);
    break;
  case WD_TIME_RFC3339_US:
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06uZ", b, us);
    break;
  case WD_TIME_EVE:
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06u+0000", b, us);
    break;
  case WD_TIME_HUMAN:
    strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
    break;
  case WD_TIME_MAIL:
    strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm); /* C locale */
    break;
  case WD_TIME_DATE:
    strftime(out, n, "%Y-%m-%d", &tm);
    break;
  }
}

static void test_against_libc(void **state) {
  (void)state;
  uint64_t r = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    /* Mostly spread over the whole range, some near day and year ends. */
    uint64_t ns = i % 4 ? r : (r % 20000) * 86400 * S - (r >> 50);
    for (int f = WD_TIME_RFC3339; f <= WD_TIME_DATE; f++) {
      char want[64], got[WD_TIME_STRLEN];
      libc_form(ns, (wd_time_form)f, want, sizeof want);
      wd_time_str(ns, (wd_time_form)f, got, sizeof got);
      if (strcmp(want, got) != 0)
        fail_msg("ns %llu form %d: '%s', libc '%s'", (unsigned long long)ns, f,
                 got, want);
    }
    wd_civil_t c;
    wd_time_civil(ns, &c);
    uint64_t back;
    assert_true(wd_time_from_civil(c.year, c.month, c.day, c.hour, c.min, c.sec,
                                   &back));
    assert_int_equal(back, ns - ns % S);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_form),    cmocka_unit_test(test_epoch_edges),
      cmocka_unit_test(test_leap_years),    cmocka_unit_test(test_civil),
      cmocka_unit_test(test_short_buffers), cmocka_unit_test(test_against_libc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
