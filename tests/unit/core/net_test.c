/* net_test.c -- tests of src/core/net.c: which addresses can be one remote
 * host's own (wd_addr_is_host_unicast: multicast, broadcast, loopback,
 * link-local and unspecified cannot; private, documentation and ordinary
 * ones can), and that wd_addr_hash spreads addresses that differ only in
 * their last byte over its low bits (tables index by those). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/net.h"

static bool host(const char *s) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(s, &a), WD_OK);
  return wd_addr_is_host_unicast(&a);
}

static void host_unicast(void **st) {
  (void)st;
  static const char *const yes[] = {
      "89.160.20.112", "8.8.8.8",     "10.20.0.40",      "192.168.1.1",
      "172.16.0.1",    "1.0.0.1",     "223.255.255.254", "169.253.1.1",
      "192.0.2.7",     "2001:db8::1", "2a02:1::5",       "fc00::1",
      "::ffff:1.2.3.4"};
  static const char *const no[] = {"224.0.0.251",
                                   "239.255.255.250",
                                   "255.255.255.255",
                                   "240.0.0.1",
                                   "127.0.0.1",
                                   "0.0.0.0",
                                   "0.1.2.3",
                                   "169.254.10.1",
                                   "ff02::fb",
                                   "ff05::c",
                                   "fe80::1",
                                   "febf::1",
                                   "::1",
                                   "::"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (!host(yes[i]))
      fail_msg("%s should be a host address", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    if (host(no[i]))
      fail_msg("%s should not be a host address", no[i]);
}

static void hash_low_bits(void **st) {
  (void)st;
  /* 256 addresses of one /24 into 256 slots by the hash's low 8 bits:
   * a good hash fills about 256 * (1 - 1/e) = 162 of them. */
  uint8_t used[256] = {0};
  unsigned n = 0;
  for (unsigned i = 0; i < 256; i++) {
    uint8_t v4[4] = {10, 20, 1, (uint8_t)i};
    wd_addr_t a;
    wd_addr_from_v4(&a, v4);
    unsigned s = (unsigned)(wd_addr_hash(&a, 7) & 255);
    n += !used[s];
    used[s] = 1;
  }
  assert_true(n > 130);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(host_unicast),
      cmocka_unit_test(hash_low_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
