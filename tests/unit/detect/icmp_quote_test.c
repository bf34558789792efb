/* icmp_quote_test.c -- the packet quoted by an ICMP/ICMPv6 unreachable:
 * IPv4 and IPv6 quotes at either payload offset, options in the quoted
 * header, non-first fragments (no ports), quotes not sent by the receiver,
 * other ICMP types, and every truncation of the quoted bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"
#include "detect/icmp_quote.h"

/* Quoted IPv4 header + first 8 bytes of TCP. */
static const uint8_t q4[] = {
    0x45, 0x00, 0x00, 0x3c, /* version 4, IHL 5, total length 60 */
    0x12, 0x34, 0x40, 0x00, /* id, DF, fragment offset 0 */
    0x40, 0x06, 0x00, 0x00, /* TTL 64, protocol TCP, checksum */
    0x0a, 0x01, 0x00, 0x07, /* source 10.1.0.7 */
    0x0a, 0x01, 0x01, 0x05, /* destination 10.1.1.5 */
    0xc0, 0x00, 0x01, 0xbd, /* TCP source port 49152, destination 445 */
    0x00, 0x00, 0x00, 0x01, /* sequence number */
};

/* Quoted IPv6 header + UDP ports. */
static const uint8_t q6[] = {
    0x60, 0x00, 0x00, 0x00, /* version 6 */
    0x00, 0x08, 0x11, 0x40, /* payload length 8, next header UDP, hops */
    0xfd, 0x00, 0,    0,    0, 0, 0, 0,
    0,    0,    0,    0,    0, 0, 0, 0x07, /* fd00::7 */
    0xfd, 0x00, 0,    0,    0, 0, 0, 0,
    0,    0,    0,    0,    0, 0, 0, 0x80, /* fd00::80 */
    0x15, 0xb3, 0x00, 0x35,                /* UDP 5555 -> 53 */
    0x00, 0x08, 0x00, 0x00,                /* length, checksum */
};

static wd_packet_t unreach4(const uint8_t *pl, uint32_t n, const char *to) {
  wd_packet_t p =
      dd_udp(DD_T0, dd_ip("10.1.0.254"), 0, dd_ip(to), 0, 56, pl, n);
  p.l4_proto = WD_PROTO_ICMP;
  p.has_l4 = true;
  p.icmp_type = 3;
  p.icmp_code = 1;
  return p;
}

static void ipv4_both_offsets(void **st) {
  (void)st;
  wd_icmp_quote_t q;
  wd_packet_t p = unreach4(q4, sizeof q4, "10.1.0.7");
  assert_true(wd_icmp_quote_unreach(&p, &q));
  wd_addr_t s = dd_ip("10.1.0.7"), d = dd_ip("10.1.1.5");
  assert_true(wd_addr_eq(&q.src, &s));
  assert_true(wd_addr_eq(&q.dst, &d));
  assert_int_equal(q.proto, WD_PROTO_TCP);
  assert_true(q.has_ports);
  assert_int_equal(q.sport, 49152);
  assert_int_equal(q.dport, 445);
  /* Payload starting at the unused word of the ICMP header. */
  uint8_t b[4 + sizeof q4];
  memset(b, 0, 4);
  memcpy(b + 4, q4, sizeof q4);
  p = unreach4(b, sizeof b, "10.1.0.7");
  assert_true(wd_icmp_quote_unreach(&p, &q));
  assert_int_equal(q.dport, 445);
}

static void ipv4_options_and_fragments(void **st) {
  (void)st;
  uint8_t b[sizeof q4 + 4];
  memcpy(b, q4, 20);
  b[0] = 0x46; /* IHL 6: one option word */
  memset(b + 20, 1, 4);
  memcpy(b + 24, q4 + 20, 8);
  wd_icmp_quote_t q;
  assert_true(wd_icmp_quote_parse(b, sizeof b, 4, &q));
  assert_true(q.has_ports);
  assert_int_equal(q.dport, 445);
  b[6] = 0x20; /* more fragments, offset 8: not the first fragment */
  b[7] = 0x01;
  assert_true(wd_icmp_quote_parse(b, sizeof b, 4, &q));
  assert_false(q.has_ports);
  b[0] = 0x44; /* IHL 4: invalid */
  assert_false(wd_icmp_quote_parse(b, sizeof b, 4, &q));
  assert_false(wd_icmp_quote_parse(b, sizeof b, 5, &q));
  assert_false(wd_icmp_quote_parse(NULL, 0, 4, &q));
}

static void not_for_the_receiver(void **st) {
  (void)st;
  wd_icmp_quote_t q;
  wd_packet_t p = unreach4(q4, sizeof q4, "10.1.0.8");
  assert_false(wd_icmp_quote_unreach(&p, &q));
  p = unreach4(q4, sizeof q4, "10.1.0.7");
  p.icmp_type = 11; /* time exceeded */
  assert_false(wd_icmp_quote_unreach(&p, &q));
  p.icmp_type = 3;
  p.l4_proto = WD_PROTO_UDP;
  assert_false(wd_icmp_quote_unreach(&p, &q));
}

static void ipv6(void **st) {
  (void)st;
  uint8_t b[4 + sizeof q6];
  memset(b, 0, 4);
  memcpy(b + 4, q6, sizeof q6);
  wd_packet_t p =
      dd_udp(DD_T0, dd_ip("fd00::80"), 0, dd_ip("fd00::7"), 0, 96, b, sizeof b);
  p.l4_proto = WD_PROTO_ICMPV6;
  p.icmp_type = 1;
  p.icmp_code = 4;
  wd_icmp_quote_t q;
  assert_true(wd_icmp_quote_unreach(&p, &q));
  assert_int_equal(q.proto, WD_PROTO_UDP);
  assert_int_equal(q.sport, 5555);
  assert_int_equal(q.dport, 53);
  wd_addr_t d = dd_ip("fd00::80");
  assert_true(wd_addr_eq(&q.dst, &d));
  p.icmp_type = 3; /* ICMPv6 type 3 is time exceeded */
  assert_false(wd_icmp_quote_unreach(&p, &q));
}

/* Every length of the quote: never a read past it, ports only when whole. */
static void truncation(void **st) {
  (void)st;
  for (uint32_t n = 0; n <= sizeof q4; n++) {
    uint8_t *b = malloc(n ? n : 1);
    memcpy(b, q4, n);
    wd_packet_t p = unreach4(n ? b : NULL, n, "10.1.0.7");
    wd_icmp_quote_t q;
    bool ok = wd_icmp_quote_unreach(&p, &q);
    assert_int_equal(ok, n >= 20);
    assert_int_equal(q.has_ports, n >= 24);
    free(b);
  }
  for (uint32_t n = 0; n <= sizeof q6; n++) {
    uint8_t *b = malloc(n ? n : 1);
    memcpy(b, q6, n);
    wd_icmp_quote_t q;
    bool ok = wd_icmp_quote_parse(n ? b : NULL, n, 6, &q);
    assert_int_equal(ok, n >= 40);
    assert_int_equal(q.has_ports, n >= 44);
    free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ipv4_both_offsets),
      cmocka_unit_test(ipv4_options_and_fragments),
      cmocka_unit_test(not_for_the_receiver),
      cmocka_unit_test(ipv6),
      cmocka_unit_test(truncation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
