/* decode_test.c -- wd_decode() on every supported link type, VLAN/QinQ,
 * PPPoE, MPLS, IPv4 options and fragments, IPv6 extension headers and
 * fragments, TCP/UDP/ICMP/ICMPv6 fields, Ethernet padding, snap-length cuts,
 * each error kind, and every truncation of the sample frames (each cut
 * decoded from a heap copy of exactly that many bytes, so ASan sees any
 * read past caplen). Frames: decode_frames.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "decode/decode_frames.h"

enum {
  LT_NULL = 0,
  LT_ETH = 1,
  LT_RAW = 12,
  LT_RAW_BSD = 14,
  LT_RAW_FILE = 101,
  LT_LOOP = 108,
  LT_SLL = 113,
  LT_IPV4 = 228,
  LT_IPV6 = 229,
  LT_SLL2 = 276
};

static wd_packet_t P;

/* Decodes with caller fields set as the pipeline sets them. */
static wd_rc dec(int lt, const uint8_t *f, size_t caplen, size_t wirelen) {
  P.ts_ns = 1700000000123456789ull;
  P.num = 42;
  P.source = 3;
  return wd_decode(&P, lt, f, (uint32_t)caplen, (uint32_t)wirelen);
}

static wd_rc dec_full(int lt, const uint8_t *f, size_t len) {
  return dec(lt, f, len, len);
}

/* out = frame with ins[0..k) inserted at offset at. Returns the length. */
static size_t insert(uint8_t *out, const uint8_t *frame, size_t n, size_t at,
                     const uint8_t *ins, size_t k) {
  memcpy(out, frame, at);
  memcpy(out + at, ins, k);
  memcpy(out + at + k, frame + at, n - at);
  return n + k;
}

static void put16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)(v >> 8);
  b[1] = (uint8_t)v;
}

static void assert_v4(const wd_addr_t *a, uint8_t b0, uint8_t b1, uint8_t b2,
                      uint8_t b3) {
  const uint8_t v4[4] = {b0, b1, b2, b3};
  wd_addr_t want;
  wd_addr_from_v4(&want, v4);
  assert_true(wd_addr_eq(a, &want));
}

static void assert_addr(const wd_addr_t *a, const char *text) {
  wd_addr_t want;
  assert_int_equal(wd_addr_parse(text, &want), WD_OK);
  char got[WD_ADDR_STRLEN];
  assert_string_equal(wd_addr_str(a, got), text);
  assert_true(wd_addr_eq(a, &want));
}

/* Where the packet's pointers point must lie inside the captured frame. */
static void assert_bounds(const uint8_t *f, size_t caplen) {
  if (P.l3) {
    assert_true(P.l3 >= f && P.l3 + P.l3_len <= f + caplen);
  }
  if (P.payload) {
    assert_true(P.payload >= f && P.payload + P.payload_len <= f + caplen);
  }
  if (P.ip_version == 0) {
    assert_false(P.has_l4);
  }
}

/* ---- link types ---- */

static void test_eth_ipv4_tcp(void **state) {
  (void)state;
  memset(&P, 0xa5, sizeof P); /* everything stale must be reset */
  assert_int_equal(dec_full(LT_ETH, eth_ipv4_tcp, sizeof eth_ipv4_tcp), WD_OK);
  assert_int_equal(sizeof eth_ipv4_tcp, 58);
  assert_int_equal(P.err, WD_DECODE_ERR_NONE);
  assert_int_equal(P.ts_ns, 1700000000123456789ull);
  assert_int_equal(P.num, 42);
  assert_int_equal(P.source, 3);
  assert_int_equal(P.linktype, LT_ETH);
  assert_ptr_equal(P.frame, eth_ipv4_tcp);
  assert_int_equal(P.caplen, 58);
  assert_int_equal(P.wirelen, 58);
  assert_int_equal(P.vlan_depth, 0);
  assert_int_equal(P.ip_version, 4);
  assert_int_equal(P.ttl, 64);
  assert_false(P.fragment);
  assert_false(P.first_fragment);
  assert_v4(&P.src, 192, 168, 1, 10);
  assert_v4(&P.dst, 10, 0, 0, 1);
  assert_ptr_equal(P.l3, eth_ipv4_tcp + ETH_IPV4_TCP_IP);
  assert_int_equal(P.l3_len, 44);
  assert_int_equal(P.ip_len, 44);
  assert_int_equal(P.l4_proto, WD_PROTO_TCP);
  assert_true(P.has_l4);
  assert_int_equal(P.sport, 50000);
  assert_int_equal(P.dport, 445);
  assert_int_equal(P.tcp_seq, 0x01020304);
  assert_int_equal(P.tcp_ack, 0x0a0b0c0d);
  assert_int_equal(P.tcp_flags, WD_TCP_PSH | WD_TCP_ACK);
  assert_int_equal(P.tcp_win, 8192);
  assert_int_equal(P.icmp_type, 0);
  assert_ptr_equal(P.payload, eth_ipv4_tcp + ETH_IPV4_TCP_PAYLOAD);
  assert_int_equal(P.payload_len, 4);
}

static void test_tcp_options_skipped(void **state) {
  (void)state;
  uint8_t b[sizeof eth_ipv4_tcp];
  memcpy(b, eth_ipv4_tcp, sizeof b);
  b[ETH_IPV4_TCP_TCP + 12] = 0x60; /* data offset 6: 4 option bytes */
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_true(P.has_l4);
  assert_int_equal(P.tcp_flags, WD_TCP_PSH | WD_TCP_ACK);
  assert_ptr_equal(P.payload, b + sizeof b);
  assert_int_equal(P.payload_len, 0);
}

static void test_eth_padding(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_pad_syn, 60);
  assert_int_equal(dec_full(LT_ETH, eth_pad_syn, sizeof eth_pad_syn), WD_OK);
  assert_int_equal(P.ip_len, 40);
  assert_int_equal(P.l3_len, 40);
  assert_int_equal(P.ttl, 128);
  assert_int_equal(P.tcp_flags, WD_TCP_SYN);
  assert_int_equal(P.tcp_win, 65535);
  assert_int_equal(P.sport, 1025);
  assert_int_equal(P.dport, 80);
  assert_true(P.has_l4);
  assert_int_equal(P.payload_len, 0); /* padding is not payload */
  assert_ptr_equal(P.payload, eth_pad_syn + 54);
}

static void test_snaplen_cut_is_not_an_error(void **state) {
  (void)state;
  /* 2 of 4 payload bytes captured, 58 on the wire. */
  assert_int_equal(dec(LT_ETH, eth_ipv4_tcp, 56, 58), WD_OK);
  assert_int_equal(P.err, WD_DECODE_ERR_NONE);
  assert_int_equal(P.ip_len, 44);
  assert_int_equal(P.l3_len, 42);
  assert_true(P.has_l4);
  assert_int_equal(P.payload_len, 2);
  /* The same cut with the wire length equal to it: the IP header claims
   * more than was ever sent. */
  assert_int_equal(dec(LT_ETH, eth_ipv4_tcp, 56, 56), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV4_BAD_LEN);
  /* A wire length below caplen (broken record) counts as caplen. */
  assert_int_equal(dec(LT_ETH, eth_ipv4_tcp, 58, 10), WD_OK);
  assert_int_equal(P.wirelen, 58);
}

static void test_sll(void **state) {
  (void)state;
  assert_int_equal(sizeof sll_ipv4_udp, 48);
  assert_int_equal(dec_full(LT_SLL, sll_ipv4_udp, sizeof sll_ipv4_udp), WD_OK);
  assert_int_equal(P.ip_version, 4);
  assert_ptr_equal(P.l3, sll_ipv4_udp + 16);
  assert_v4(&P.src, 172, 16, 0, 5);
  assert_v4(&P.dst, 8, 8, 8, 8);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_int_equal(P.sport, 33333);
  assert_int_equal(P.dport, 53);
  assert_int_equal(P.payload_len, 4);
  /* SLL with a VLAN tag still in the frame */
  uint8_t b[64];
  const uint8_t tag[] = {0x81, 0x00, 0x00, 0x07};
  size_t n = insert(b, sll_ipv4_udp, sizeof sll_ipv4_udp, 14, tag, 4);
  assert_int_equal(dec_full(LT_SLL, b, n), WD_OK);
  assert_int_equal(P.vlan_depth, 1);
  assert_int_equal(P.vlan[0], 7);
  assert_int_equal(P.dport, 53);
  /* netlink (ARPHRD 824) is not IP whatever the protocol says */
  memcpy(b, sll_ipv4_udp, sizeof sll_ipv4_udp);
  put16(b + 2, 824);
  assert_int_equal(dec_full(LT_SLL, b, sizeof sll_ipv4_udp), WD_OK);
  assert_int_equal(P.ip_version, 0);
}

static void test_sll2(void **state) {
  (void)state;
  assert_int_equal(sizeof sll2_ipv6_icmpv6, 72);
  assert_int_equal(dec_full(LT_SLL2, sll2_ipv6_icmpv6, sizeof sll2_ipv6_icmpv6),
                   WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_ptr_equal(P.l3, sll2_ipv6_icmpv6 + 20);
  assert_addr(&P.src, "fe80::1");
  assert_addr(&P.dst, "ff02::1");
  assert_int_equal(P.l4_proto, WD_PROTO_ICMPV6);
  assert_int_equal(P.icmp_type, 135);
  assert_int_equal(P.icmp_code, 0);
  assert_int_equal(P.payload_len, 4);
  /* netlink (ARPHRD 824) is not IP whatever the protocol says */
  uint8_t b[sizeof sll2_ipv6_icmpv6];
  memcpy(b, sll2_ipv6_icmpv6, sizeof b);
  put16(b + 8, 824);
  assert_int_equal(dec_full(LT_SLL2, b, sizeof b), WD_OK);
  assert_int_equal(P.ip_version, 0);
}

static void test_raw(void **state) {
  (void)state;
  const uint8_t *v4 = eth_ipv4_tcp + 14, *v6 = eth_ipv6_icmpv6 + 14;
  size_t n4 = sizeof eth_ipv4_tcp - 14, n6 = sizeof eth_ipv6_icmpv6 - 14;
  const int raws[] = {LT_RAW, LT_RAW_BSD, LT_RAW_FILE};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(dec_full(raws[i], v4, n4), WD_OK);
    assert_int_equal(P.ip_version, 4);
    assert_ptr_equal(P.l3, v4);
    assert_int_equal(P.dport, 445);
    assert_int_equal(dec_full(raws[i], v6, n6), WD_OK);
    assert_int_equal(P.ip_version, 6);
    assert_int_equal(P.icmp_type, 128);
  }
  assert_int_equal(dec_full(LT_IPV4, v4, n4), WD_OK);
  assert_int_equal(P.ip_version, 4);
  assert_int_equal(P.payload_len, 4);
  assert_int_equal(dec_full(LT_IPV6, v6, n6), WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.payload_len, 4);
  /* DLT_IPV4 insists on version 4, DLT_IPV6 on 6 */
  assert_int_equal(dec_full(LT_IPV4, v6, n6), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV4_BAD_VERSION);
  assert_int_equal(P.ip_version, 0);
  assert_int_equal(dec_full(LT_IPV6, v4, n4), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV6_BAD_VERSION);
  /* raw with neither version */
  uint8_t b[64];
  memcpy(b, v4, n4);
  b[0] = 0x55;
  assert_int_equal(dec_full(LT_RAW, b, n4), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV4_BAD_VERSION);
  /* an empty raw frame cannot even say its version */
  assert_int_equal(dec_full(LT_RAW, b, 0), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_LINK_TRUNC);
}

static void test_null_loop(void **state) {
  (void)state;
  const uint8_t *v4 = eth_ipv4_tcp + 14, *v6 = eth_ipv6_icmpv6 + 14;
  size_t n4 = sizeof eth_ipv4_tcp - 14, n6 = sizeof eth_ipv6_icmpv6 - 14;
  /* AF_INET and every OS's AF_INET6, in both byte orders, on both types */
  const struct {
    uint8_t af;
    int version;
  } fams[] = {{2, 4}, {10, 6}, {24, 6}, {28, 6}, {30, 6}};
  const int lts[] = {LT_NULL, LT_LOOP};
  uint8_t b[128];
  for (size_t t = 0; t < 2; t++)
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++)
      for (int big = 0; big < 2; big++) {
        memset(b, 0, 4);
        b[big ? 3 : 0] = fams[i].af;
        size_t n = fams[i].version == 4 ? n4 : n6;
        memcpy(b + 4, fams[i].version == 4 ? v4 : v6, n);
        assert_int_equal(dec_full(lts[t], b, n + 4), WD_OK);
        assert_int_equal(P.ip_version, fams[i].version);
        assert_ptr_equal(P.l3, b + 4);
        assert_true(P.has_l4);
      }
  /* any other family (7 is AF_ISO on the BSDs): not IP */
  memset(b, 0, 4);
  b[0] = 7;
  memcpy(b + 4, v4, n4);
  assert_int_equal(dec_full(LT_NULL, b, n4 + 4), WD_OK);
  assert_int_equal(P.ip_version, 0);
  assert_int_equal(dec_full(LT_LOOP, b, 3), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_LINK_TRUNC);
}

static void test_arp_not_ip(void **state) {
  (void)state;
  memset(&P, 0x5a, sizeof P);
  assert_int_equal(dec_full(LT_ETH, eth_arp, sizeof eth_arp), WD_OK);
  assert_int_equal(P.err, WD_DECODE_ERR_NONE);
  assert_int_equal(P.ip_version, 0);
  assert_int_equal(P.vlan_depth, 0);
  assert_null(P.l3);
  assert_int_equal(P.l3_len, 0);
  assert_int_equal(P.l4_proto, 0);
  assert_false(P.has_l4);
  assert_int_equal(P.sport, 0);
  assert_null(P.payload);
  assert_int_equal(P.payload_len, 0);
  assert_int_equal(P.num, 42); /* caller's fields are kept */
  /* 802.3 length field + LLC (STP): not IP either */
  uint8_t b[sizeof eth_arp];
  memcpy(b, eth_arp, sizeof b);
  put16(b + 12, 0x0026);
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.ip_version, 0);
}

static void test_unknown_linktype(void **state) {
  (void)state;
  assert_int_equal(dec_full(147, eth_ipv4_tcp, sizeof eth_ipv4_tcp),
                   WD_ERR_UNSUPPORTED);
  assert_int_equal(P.err, WD_DECODE_ERR_LINKTYPE);
  assert_int_equal(P.ip_version, 0);
  assert_int_equal(dec_full(-1, eth_ipv4_tcp, sizeof eth_ipv4_tcp),
                   WD_ERR_UNSUPPORTED);
  /* a NULL frame is an empty one */
  assert_int_equal(wd_decode(&P, LT_ETH, NULL, 100, 100), WD_ERR_TRUNC);
  assert_int_equal(P.caplen, 0);
  assert_int_equal(P.err, WD_DECODE_ERR_LINK_TRUNC);
}

/* ---- VLAN, PPPoE, MPLS ---- */

static void test_vlan(void **state) {
  (void)state;
  uint8_t b[128];
  const uint8_t tag[] = {0x81, 0x00, 0x2f, 0xff}; /* PCP 1, DEI, VLAN 4095 */
  size_t n = insert(b, eth_ipv4_tcp, sizeof eth_ipv4_tcp, 12, tag, 4);
  assert_int_equal(dec_full(LT_ETH, b, n), WD_OK);
  assert_int_equal(P.vlan_depth, 1);
  assert_int_equal(P.vlan[0], 4095);
  assert_ptr_equal(P.l3, b + 18);
  assert_int_equal(P.dport, 445);
  assert_int_equal(P.payload_len, 4);
}

static void test_qinq(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_qinq_udp, 54);
  assert_int_equal(dec_full(LT_ETH, eth_qinq_udp, sizeof eth_qinq_udp), WD_OK);
  assert_int_equal(P.vlan_depth, 2);
  assert_int_equal(P.vlan[0], 200); /* outer first */
  assert_int_equal(P.vlan[1], 100);
  assert_ptr_equal(P.l3, eth_qinq_udp + 22);
  assert_int_equal(P.ttl, 63);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_true(P.has_l4);
  assert_int_equal(P.sport, 33333);
  assert_int_equal(P.dport, 53);
  assert_ptr_equal(P.payload, eth_qinq_udp + 50);
  assert_int_equal(P.payload_len, 4);
  /* the old 0x9100 outer tag */
  uint8_t b[128];
  const uint8_t tags[] = {0x91, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14};
  size_t n = insert(b, eth_ipv4_tcp, sizeof eth_ipv4_tcp, 12, tags, 8);
  assert_int_equal(dec_full(LT_ETH, b, n), WD_OK);
  assert_int_equal(P.vlan_depth, 2);
  assert_int_equal(P.vlan[0], 10);
  assert_int_equal(P.vlan[1], 20);
  assert_int_equal(P.ip_version, 4);
}

static void test_vlan_too_deep(void **state) {
  (void)state;
  uint8_t b[128];
  const uint8_t tags[] = {0x88, 0xa8, 0x00, 0x01, 0x81, 0x00,
                          0x00, 0x02, 0x81, 0x00, 0x00, 0x03};
  size_t n = insert(b, eth_ipv4_tcp, sizeof eth_ipv4_tcp, 12, tags, 12);
  assert_int_equal(dec_full(LT_ETH, b, n), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_VLAN_TOO_DEEP);
  assert_int_equal(P.vlan_depth, WD_VLAN_MAX);
  assert_int_equal(P.vlan[0], 1);
  assert_int_equal(P.vlan[1], 2);
  assert_int_equal(P.ip_version, 0);
}

static void test_pppoe(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_pppoe_icmp, 54);
  assert_int_equal(dec_full(LT_ETH, eth_pppoe_icmp, sizeof eth_pppoe_icmp),
                   WD_OK);
  assert_int_equal(P.ip_version, 4);
  assert_ptr_equal(P.l3, eth_pppoe_icmp + 22);
  assert_v4(&P.src, 100, 64, 0, 1);
  assert_int_equal(P.l4_proto, WD_PROTO_ICMP);
  assert_int_equal(P.icmp_type, 0);
  assert_int_equal(P.payload_len, 4);
  /* LCP inside the session: not IP */
  uint8_t b[sizeof eth_pppoe_icmp];
  memcpy(b, eth_pppoe_icmp, sizeof b);
  put16(b + 20, 0xc021);
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.ip_version, 0);
  /* PPP IPv6 */
  uint8_t c[128];
  memcpy(c, eth_pppoe_icmp, 22);
  put16(c + 20, 0x0057);
  memcpy(c + 22, eth_ipv6_icmpv6 + 14, sizeof eth_ipv6_icmpv6 - 14);
  assert_int_equal(dec_full(LT_ETH, c, 22 + sizeof eth_ipv6_icmpv6 - 14),
                   WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.icmp_type, 128);
}

static void test_mpls(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_mpls_udp, 54);
  assert_int_equal(dec_full(LT_ETH, eth_mpls_udp, sizeof eth_mpls_udp), WD_OK);
  assert_int_equal(P.ip_version, 4);
  assert_ptr_equal(P.l3, eth_mpls_udp + 22);
  assert_int_equal(P.dport, 53);
  /* IPv6 under one label */
  uint8_t b[256];
  memcpy(b, eth_mpls_udp, 14);
  const uint8_t label[] = {0x00, 0x01, 0x01, 0x40}; /* bottom */
  memcpy(b + 14, label, 4);
  memcpy(b + 18, eth_ipv6_ext_tcp + 14, sizeof eth_ipv6_ext_tcp - 14);
  assert_int_equal(dec_full(LT_ETH, b, 4 + sizeof eth_ipv6_ext_tcp), WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.sport, 443);
  /* a pseudowire control word after the stack: not decoded, not an error */
  b[18] = 0x00;
  assert_int_equal(dec_full(LT_ETH, b, 4 + sizeof eth_ipv6_ext_tcp), WD_OK);
  assert_int_equal(P.ip_version, 0);
  /* WD_MPLS_LABEL_MAX labels are fine, one more is not */
  for (int labels = WD_MPLS_LABEL_MAX; labels <= WD_MPLS_LABEL_MAX + 1;
       labels++) {
    memcpy(b, eth_mpls_udp, 14);
    for (int i = 0; i < labels; i++) {
      const uint8_t l[] = {0x00, 0x10, i == labels - 1 ? 0x01 : 0x00, 0x40};
      memcpy(b + 14 + 4 * i, l, 4);
    }
    memcpy(b + 14 + 4 * labels, eth_mpls_udp + 22, 32);
    wd_rc rc = dec_full(LT_ETH, b, 14 + 4 * (size_t)labels + 32);
    if (labels == WD_MPLS_LABEL_MAX) {
      assert_int_equal(rc, WD_OK);
      assert_int_equal(P.ip_version, 4);
    } else {
      assert_int_equal(rc, WD_ERR_INVAL);
      assert_int_equal(P.err, WD_DECODE_ERR_MPLS_TOO_DEEP);
    }
  }
}

/* ---- IPv4 ---- */

static void test_ipv4_options(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_ipv4_opts_udp, 48);
  assert_int_equal(
      dec_full(LT_ETH, eth_ipv4_opts_udp, sizeof eth_ipv4_opts_udp), WD_OK);
  assert_int_equal(P.ip_len, 34);
  assert_int_equal(P.l3_len, 34);
  assert_int_equal(P.ttl, 1);
  assert_v4(&P.dst, 224, 0, 0, 251);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_int_equal(P.sport, 5353); /* read after the 4 option bytes */
  assert_int_equal(P.dport, 5353);
  assert_ptr_equal(P.payload, eth_ipv4_opts_udp + 46);
  assert_int_equal(P.payload_len, 2);
  /* options cut off by the capture */
  assert_int_equal(dec(LT_ETH, eth_ipv4_opts_udp, 36, 48), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV4_TRUNC);
  assert_int_equal(P.ip_version, 4); /* addresses were there */
  assert_v4(&P.src, 192, 0, 2, 1);
}

static void test_ipv4_fragments(void **state) {
  (void)state;
  assert_int_equal(
      dec_full(LT_ETH, eth_ipv4_frag_first, sizeof eth_ipv4_frag_first), WD_OK);
  assert_true(P.fragment);
  assert_true(P.first_fragment);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_true(P.has_l4); /* UDP length 2008 > fragment: fine here */
  assert_int_equal(P.sport, 4000);
  assert_int_equal(P.dport, 4001);
  assert_int_equal(P.payload_len, 8);

  assert_int_equal(
      dec_full(LT_ETH, eth_ipv4_frag_later, sizeof eth_ipv4_frag_later), WD_OK);
  assert_true(P.fragment);
  assert_false(P.first_fragment);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_false(P.has_l4); /* the bytes look like UDP but are not a header */
  assert_int_equal(P.sport, 0);
  assert_int_equal(P.dport, 0);
  assert_null(P.payload);
  assert_int_equal(P.l3_len, 28);
  assert_v4(&P.src, 198, 51, 100, 1);

  /* DF alone is not a fragment (eth_ipv4_tcp has DF) */
  dec_full(LT_ETH, eth_ipv4_tcp, sizeof eth_ipv4_tcp);
  assert_false(P.fragment);

  /* a first fragment too short for the TCP header: truncated, ports kept */
  uint8_t b[sizeof eth_ipv4_tcp];
  memcpy(b, eth_ipv4_tcp, sizeof b);
  put16(b + ETH_IPV4_TCP_FRAG, 0x2000); /* MF */
  put16(b + ETH_IPV4_TCP_TOTLEN, 28);   /* 8 bytes of TCP */
  assert_int_equal(dec_full(LT_ETH, b, 14 + 28), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_TCP_TRUNC);
  assert_true(P.fragment);
  assert_int_equal(P.sport, 50000);
  assert_int_equal(P.dport, 445);
  assert_false(P.has_l4);
  /* a first fragment whose TCP options run into the next fragment */
  b[ETH_IPV4_TCP_TCP + 12] = 0xf0; /* 60-byte header */
  put16(b + ETH_IPV4_TCP_TOTLEN, 44);
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_TCP_TRUNC);
}

static void test_icmp(void **state) {
  (void)state;
  assert_int_equal(dec_full(LT_ETH, eth_ipv4_icmp, sizeof eth_ipv4_icmp),
                   WD_OK);
  assert_int_equal(P.l4_proto, WD_PROTO_ICMP);
  assert_true(P.has_l4);
  assert_int_equal(P.icmp_type, 8);
  assert_int_equal(P.icmp_code, 0);
  assert_int_equal(P.sport, 0);
  assert_ptr_equal(P.payload, eth_ipv4_icmp + 42);
  assert_int_equal(P.payload_len, 4);
  assert_int_equal(memcmp(P.payload, "abcd", 4), 0);
}

static void test_other_protocol(void **state) {
  (void)state;
  uint8_t b[sizeof eth_ipv4_tcp];
  memcpy(b, eth_ipv4_tcp, sizeof b);
  b[ETH_IPV4_TCP_PROTO] = 47; /* GRE: not decoded, payload = IP payload */
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.l4_proto, 47);
  assert_false(P.has_l4);
  assert_ptr_equal(P.payload, b + ETH_IPV4_TCP_TCP);
  assert_int_equal(P.payload_len, 24);
}

/* ---- IPv6 ---- */

static void test_ipv6_ext_headers(void **state) {
  (void)state;
  assert_int_equal(sizeof eth_ipv6_ext_tcp, 124);
  assert_int_equal(dec_full(LT_ETH, eth_ipv6_ext_tcp, sizeof eth_ipv6_ext_tcp),
                   WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.ttl, 255);
  assert_addr(&P.src, "2001:db8::1");
  assert_addr(&P.dst, "2001:db8::2");
  assert_int_equal(P.ip_len, 110);
  assert_int_equal(P.l3_len, 110);
  assert_false(P.fragment);
  assert_int_equal(P.l4_proto, WD_PROTO_TCP);
  assert_true(P.has_l4);
  assert_int_equal(P.sport, 443);
  assert_int_equal(P.dport, 50001);
  assert_int_equal(P.tcp_seq, 0x11223344);
  assert_int_equal(P.tcp_ack, 0x55667788);
  assert_int_equal(P.tcp_flags, WD_TCP_SYN | WD_TCP_ACK);
  assert_int_equal(P.tcp_win, 1024);
  assert_ptr_equal(P.payload, eth_ipv6_ext_tcp + ETH_IPV6_EXT_TCP + 20);
  assert_int_equal(P.payload_len, 2);

  /* an extension header longer than the packet */
  uint8_t b[sizeof eth_ipv6_ext_tcp];
  memcpy(b, eth_ipv6_ext_tcp, sizeof b);
  b[ETH_IPV6_EXT_AH + 1] = 40;
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_ERR_TRUNC);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV6_EXTHDR_TRUNC);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.l4_proto, 0);
  /* ESP ends the walk: no transport header to read */
  memcpy(b, eth_ipv6_ext_tcp, sizeof b);
  b[ETH_IPV6_EXT_HBH + 8] = 50;
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.l4_proto, 50);
  assert_false(P.has_l4);
  assert_ptr_equal(P.payload, b + ETH_IPV6_EXT_HBH + 16);
  /* no next header */
  b[ETH_IPV6_EXT_HBH + 8] = 59;
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.l4_proto, 59);
}

/* IPv6 with n destination-options headers, then no next header. */
static size_t ipv6_chain(uint8_t *b, int n) {
  memcpy(b, eth_ipv6_icmpv6, 54);
  put16(b + 18, (uint16_t)(8 * n));
  b[20] = 60;
  for (int i = 0; i < n; i++) {
    const uint8_t d[] = {i == n - 1 ? 59 : 60, 0, 1, 4, 0, 0, 0, 0};
    memcpy(b + 54 + 8 * i, d, 8);
  }
  return 54 + 8 * (size_t)n;
}

static void test_ipv6_exthdr_limit(void **state) {
  (void)state;
  uint8_t b[256];
  size_t n = ipv6_chain(b, WD_IPV6_EXTHDR_MAX);
  assert_int_equal(dec_full(LT_ETH, b, n), WD_OK);
  assert_int_equal(P.l4_proto, 59);
  n = ipv6_chain(b, WD_IPV6_EXTHDR_MAX + 1);
  assert_int_equal(dec_full(LT_ETH, b, n), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_IPV6_EXTHDR_TOO_MANY);
  assert_int_equal(P.ip_version, 6);
}

static void test_ipv6_fragments(void **state) {
  (void)state;
  assert_int_equal(
      dec_full(LT_ETH, eth_ipv6_frag_first, sizeof eth_ipv6_frag_first), WD_OK);
  assert_true(P.fragment);
  assert_true(P.first_fragment);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_true(P.has_l4);
  assert_int_equal(P.sport, 500);
  assert_int_equal(P.dport, 4500);
  assert_int_equal(P.payload_len, 8);

  assert_int_equal(
      dec_full(LT_ETH, eth_ipv6_frag_later, sizeof eth_ipv6_frag_later), WD_OK);
  assert_true(P.fragment);
  assert_false(P.first_fragment);
  assert_int_equal(P.l4_proto, WD_PROTO_UDP);
  assert_false(P.has_l4);
  assert_int_equal(P.sport, 0);
  assert_null(P.payload);
  assert_addr(&P.src, "2001:db8::a");

  /* atomic fragment (offset 0, no M): a whole datagram, RFC 6946 */
  uint8_t b[sizeof eth_ipv6_frag_first];
  memcpy(b, eth_ipv6_frag_first, sizeof b);
  b[ETH_IPV6_FRAG_FH + 3] = 0x00;
  put16(b + ETH_IPV6_FRAG_FH + 8 + 4, 16); /* UDP length: this packet */
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_false(P.fragment);
  assert_true(P.has_l4);
  assert_int_equal(P.payload_len, 8);
  /* ... whose UDP length says more than it has: bad */
  put16(b + ETH_IPV6_FRAG_FH + 8 + 4, 17);
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_ERR_INVAL);
  assert_int_equal(P.err, WD_DECODE_ERR_UDP_BAD_LEN);
}

static void test_icmpv6(void **state) {
  (void)state;
  assert_int_equal(dec_full(LT_ETH, eth_ipv6_icmpv6, sizeof eth_ipv6_icmpv6),
                   WD_OK);
  assert_int_equal(P.ip_version, 6);
  assert_int_equal(P.ttl, 1);
  assert_int_equal(P.ip_len, 52);
  assert_int_equal(P.l3_len, 52);
  assert_int_equal(P.l4_proto, WD_PROTO_ICMPV6);
  assert_true(P.has_l4);
  assert_int_equal(P.icmp_type, 128);
  assert_int_equal(P.icmp_code, 0);
  assert_ptr_equal(P.payload, eth_ipv6_icmpv6 + 62);
  assert_int_equal(P.payload_len, 4);
}

static void test_ipv6_jumbogram(void **state) {
  (void)state;
  uint8_t b[sizeof eth_ipv6_ext_tcp];
  memcpy(b, eth_ipv6_ext_tcp, sizeof b);
  put16(b + ETH_IPV6_EXT_PLEN, 0); /* length in a hop-by-hop option */
  assert_int_equal(dec_full(LT_ETH, b, sizeof b), WD_OK);
  assert_int_equal(P.ip_len, 40);
  assert_int_equal(P.l3_len, 110);
  assert_int_equal(P.payload_len, 2);
}

/* ---- error kinds not met above ---- */

static void expect(int lt, const uint8_t *f, size_t caplen, size_t wirelen,
                   wd_rc rc, wd_decode_err err) {
  assert_int_equal(dec(lt, f, caplen, wirelen), rc);
  assert_int_equal(P.err, err);
  assert_bounds(f, caplen);
}

static void test_error_kinds(void **state) {
  (void)state;
  uint8_t b[256];
  const size_t n4 = sizeof eth_ipv4_tcp, n6 = sizeof eth_ipv6_ext_tcp;

  expect(LT_ETH, eth_ipv4_tcp, 13, 13, WD_ERR_TRUNC, WD_DECODE_ERR_LINK_TRUNC);
  expect(LT_SLL, sll_ipv4_udp, 15, 48, WD_ERR_TRUNC, WD_DECODE_ERR_LINK_TRUNC);
  expect(LT_SLL2, sll2_ipv6_icmpv6, 19, 72, WD_ERR_TRUNC,
         WD_DECODE_ERR_LINK_TRUNC);
  expect(LT_ETH, eth_qinq_udp, 16, 54, WD_ERR_TRUNC,
         WD_DECODE_ERR_LINK_TRUNC); /* inside a VLAN tag */
  expect(LT_ETH, eth_pppoe_icmp, 21, 54, WD_ERR_TRUNC,
         WD_DECODE_ERR_LINK_TRUNC);
  expect(LT_ETH, eth_mpls_udp, 20, 54, WD_ERR_TRUNC, WD_DECODE_ERR_LINK_TRUNC);

  expect(LT_ETH, eth_ipv4_tcp, 33, 58, WD_ERR_TRUNC, WD_DECODE_ERR_IPV4_TRUNC);
  memcpy(b, eth_ipv4_tcp, n4);
  b[ETH_IPV4_TCP_IP] = 0x44; /* IHL 4 */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_IPV4_BAD_HLEN);
  assert_int_equal(P.ip_version, 4);
  assert_int_equal(P.l4_proto, 0);
  b[ETH_IPV4_TCP_IP] = 0x4f; /* IHL 15: 60 bytes > total length 44 */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_IPV4_BAD_LEN);
  memcpy(b, eth_ipv4_tcp, n4);
  put16(b + ETH_IPV4_TCP_TOTLEN, 19); /* shorter than the header */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_IPV4_BAD_LEN);
  put16(b + ETH_IPV4_TCP_TOTLEN, 1500); /* longer than the wire frame */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_IPV4_BAD_LEN);
  assert_int_equal(P.ip_len, 1500);
  expect(LT_ETH, b, n4, 1514, WD_OK, WD_DECODE_ERR_NONE); /* snap cut */
  memcpy(b, eth_ipv4_tcp, n4);
  b[ETH_IPV4_TCP_IP] = 0x65; /* EtherType IPv4, version 6 */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_IPV4_BAD_VERSION);
  assert_int_equal(P.ip_version, 0);

  expect(LT_ETH, eth_ipv6_ext_tcp, 53, n6, WD_ERR_TRUNC,
         WD_DECODE_ERR_IPV6_TRUNC);
  memcpy(b, eth_ipv6_ext_tcp, n6);
  b[14] = 0x40; /* EtherType IPv6, version 4 */
  expect(LT_ETH, b, n6, n6, WD_ERR_INVAL, WD_DECODE_ERR_IPV6_BAD_VERSION);
  memcpy(b, eth_ipv6_ext_tcp, n6);
  put16(b + ETH_IPV6_EXT_PLEN, 71); /* one byte more than sent */
  expect(LT_ETH, b, n6, n6, WD_ERR_INVAL, WD_DECODE_ERR_IPV6_BAD_LEN);
  assert_int_equal(P.ip_version, 6);
  expect(LT_ETH, eth_ipv6_ext_tcp, 60, n6, WD_ERR_TRUNC,
         WD_DECODE_ERR_IPV6_EXTHDR_TRUNC);

  expect(LT_ETH, eth_ipv4_tcp, 40, n4, WD_ERR_TRUNC, WD_DECODE_ERR_TCP_TRUNC);
  assert_int_equal(P.sport, 50000); /* read before the cut */
  assert_int_equal(P.dport, 445);
  assert_false(P.has_l4);
  assert_v4(&P.src, 192, 168, 1, 10);
  memcpy(b, eth_ipv4_tcp, n4);
  b[ETH_IPV4_TCP_TCP + 12] = 0x40; /* data offset 4 */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_TCP_BAD_OFFSET);
  b[ETH_IPV4_TCP_TCP + 12] = 0x70; /* 28 bytes > 24-byte segment */
  expect(LT_ETH, b, n4, n4, WD_ERR_INVAL, WD_DECODE_ERR_TCP_BAD_OFFSET);
  b[ETH_IPV4_TCP_TCP + 12] = 0x60; /* 24 bytes, 22 captured */
  expect(LT_ETH, b, n4 - 2, n4, WD_ERR_TRUNC, WD_DECODE_ERR_TCP_TRUNC);

  expect(LT_ETH, eth_qinq_udp, 45, 54, WD_ERR_TRUNC, WD_DECODE_ERR_UDP_TRUNC);
  memcpy(b, eth_qinq_udp, sizeof eth_qinq_udp);
  put16(b + 46, 7); /* UDP length below its header */
  expect(LT_ETH, b, 54, 54, WD_ERR_INVAL, WD_DECODE_ERR_UDP_BAD_LEN);
  put16(b + 46, 13); /* one byte more than the IP payload */
  expect(LT_ETH, b, 54, 54, WD_ERR_INVAL, WD_DECODE_ERR_UDP_BAD_LEN);
  put16(b + 46, 10); /* shorter than the IP payload: trust UDP */
  expect(LT_ETH, b, 54, 54, WD_OK, WD_DECODE_ERR_NONE);
  assert_int_equal(P.payload_len, 2);

  expect(LT_ETH, eth_ipv4_icmp, 41, 46, WD_ERR_TRUNC, WD_DECODE_ERR_ICMP_TRUNC);
  assert_int_equal(P.icmp_type, 8); /* type and code were there */
  expect(LT_ETH, eth_ipv6_icmpv6, 61, 66, WD_ERR_TRUNC,
         WD_DECODE_ERR_ICMPV6_TRUNC);
  assert_int_equal(P.icmp_type, 128);
}

/* ---- truncation at every byte ---- */

typedef struct {
  const char *name;
  int lt;
  const uint8_t *f;
  size_t len;
  size_t ip_end; /* end of the IP packet (less than len when padded) */
} sample_t;

static void truncate_all(const sample_t *s) {
  for (size_t k = 0; k <= s->len; k++) {
    /* exactly k bytes on the heap: ASan flags any read beyond */
    uint8_t *c = malloc(k ? k : 1);
    assert_non_null(c);
    memcpy(c, s->f, k);

    /* the frame really ended after k bytes */
    wd_rc rc = dec(s->lt, c, k, k);
    assert_bounds(c, k);
    if (k < s->ip_end) {
      if (rc == WD_OK || P.err == WD_DECODE_ERR_NONE)
        fail_msg("%s cut at %zu: no error", s->name, k);
      assert_true(rc == WD_ERR_TRUNC || rc == WD_ERR_INVAL);
    } else {
      assert_int_equal(rc, WD_OK);
    }

    /* only k bytes captured of the whole frame (snap length) */
    rc = dec(s->lt, c, k, s->len);
    assert_bounds(c, k);
    assert_true((rc == WD_OK) == (P.err == WD_DECODE_ERR_NONE));
    if (rc == WD_OK && P.ip_version != 0) {
      assert_int_equal(P.l3_len, k - (size_t)(P.l3 - c) < P.ip_len
                                     ? k - (size_t)(P.l3 - c)
                                     : P.ip_len);
    }
    free(c);
  }
}

static void test_truncation_every_byte(void **state) {
  (void)state;
  static uint8_t null_v6[4 + sizeof eth_ipv6_ext_tcp - 14];
  memcpy(null_v6, (const uint8_t[]){30, 0, 0, 0}, 4);
  memcpy(null_v6 + 4, eth_ipv6_ext_tcp + 14, sizeof eth_ipv6_ext_tcp - 14);
  static uint8_t vlan_v6[4 + sizeof eth_ipv6_frag_first];
  const uint8_t tag[] = {0x81, 0x00, 0x00, 0x05};
  insert(vlan_v6, eth_ipv6_frag_first, sizeof eth_ipv6_frag_first, 12, tag, 4);
  const sample_t s[] = {
      {"eth_ipv4_tcp", LT_ETH, eth_ipv4_tcp, sizeof eth_ipv4_tcp, 58},
      {"eth_pad_syn", LT_ETH, eth_pad_syn, sizeof eth_pad_syn, 54},
      {"eth_qinq_udp", LT_ETH, eth_qinq_udp, sizeof eth_qinq_udp, 54},
      {"eth_ipv4_opts_udp", LT_ETH, eth_ipv4_opts_udp, sizeof eth_ipv4_opts_udp,
       48},
      {"eth_ipv4_frag_first", LT_ETH, eth_ipv4_frag_first,
       sizeof eth_ipv4_frag_first, 50},
      {"eth_ipv4_icmp", LT_ETH, eth_ipv4_icmp, sizeof eth_ipv4_icmp, 46},
      {"eth_ipv6_ext_tcp", LT_ETH, eth_ipv6_ext_tcp, sizeof eth_ipv6_ext_tcp,
       124},
      {"vlan_ipv6_frag_first", LT_ETH, vlan_v6, sizeof vlan_v6, sizeof vlan_v6},
      {"eth_ipv6_frag_later", LT_ETH, eth_ipv6_frag_later,
       sizeof eth_ipv6_frag_later, 70},
      {"eth_ipv6_icmpv6", LT_ETH, eth_ipv6_icmpv6, sizeof eth_ipv6_icmpv6, 66},
      {"sll_ipv4_udp", LT_SLL, sll_ipv4_udp, sizeof sll_ipv4_udp, 48},
      {"sll2_ipv6_icmpv6", LT_SLL2, sll2_ipv6_icmpv6, sizeof sll2_ipv6_icmpv6,
       72},
      {"eth_pppoe_icmp", LT_ETH, eth_pppoe_icmp, sizeof eth_pppoe_icmp, 54},
      {"eth_mpls_udp", LT_ETH, eth_mpls_udp, sizeof eth_mpls_udp, 54},
      {"raw_ipv4_tcp", LT_RAW, eth_ipv4_tcp + 14, sizeof eth_ipv4_tcp - 14, 44},
      {"null_ipv6_ext_tcp", LT_NULL, null_v6, sizeof null_v6, sizeof null_v6},
  };
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    truncate_all(&s[i]);
}

/* ---- names ---- */

static void test_names(void **state) {
  (void)state;
  assert_string_equal(wd_decode_err_name(WD_DECODE_ERR_NONE), "none");
  assert_string_equal(wd_decode_err_name(WD_DECODE_ERR_TCP_BAD_OFFSET),
                      "tcp_bad_data_offset");
  assert_string_equal(wd_decode_err_name(WD_DECODE_ERR_MPLS_TOO_DEEP),
                      "mpls_too_deep");
  assert_string_equal(wd_decode_err_name(WD_DECODE_ERR_COUNT), "unknown");
  assert_string_equal(wd_decode_err_name((wd_decode_err)-1), "unknown");
  /* names are distinct stats keys: lower case, digits, underscores */
  for (int i = 0; i < WD_DECODE_ERR_COUNT; i++) {
    const char *a = wd_decode_err_name((wd_decode_err)i);
    assert_true(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
                strlen(a));
    for (int j = 0; j < i; j++)
      assert_string_not_equal(a, wd_decode_err_name((wd_decode_err)j));
  }
  const struct {
    int lt;
    const char *name;
  } lts[] = {{LT_NULL, "null"},   {LT_ETH, "ethernet"}, {LT_RAW, "raw"},
             {LT_RAW_BSD, "raw"}, {LT_RAW_FILE, "raw"}, {LT_LOOP, "loop"},
             {LT_SLL, "sll"},     {LT_SLL2, "sll2"},    {LT_IPV4, "ipv4"},
             {LT_IPV6, "ipv6"}};
  for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
    assert_string_equal(wd_decode_linktype_name(lts[i].lt), lts[i].name);
    assert_true(wd_decode_linktype_supported(lts[i].lt));
  }
  assert_string_equal(wd_decode_linktype_name(105), "unknown"); /* 802.11 */
  assert_false(wd_decode_linktype_supported(105));
  assert_false(wd_decode_linktype_supported(-1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eth_ipv4_tcp),
      cmocka_unit_test(test_tcp_options_skipped),
      cmocka_unit_test(test_eth_padding),
      cmocka_unit_test(test_snaplen_cut_is_not_an_error),
      cmocka_unit_test(test_sll),
      cmocka_unit_test(test_sll2),
      cmocka_unit_test(test_raw),
      cmocka_unit_test(test_null_loop),
      cmocka_unit_test(test_arp_not_ip),
      cmocka_unit_test(test_unknown_linktype),
      cmocka_unit_test(test_vlan),
      cmocka_unit_test(test_qinq),
      cmocka_unit_test(test_vlan_too_deep),
      cmocka_unit_test(test_pppoe),
      cmocka_unit_test(test_mpls),
      cmocka_unit_test(test_ipv4_options),
      cmocka_unit_test(test_ipv4_fragments),
      cmocka_unit_test(test_icmp),
      cmocka_unit_test(test_other_protocol),
      cmocka_unit_test(test_ipv6_ext_headers),
      cmocka_unit_test(test_ipv6_exthdr_limit),
      cmocka_unit_test(test_ipv6_fragments),
      cmocka_unit_test(test_icmpv6),
      cmocka_unit_test(test_ipv6_jumbogram),
      cmocka_unit_test(test_error_kinds),
      cmocka_unit_test(test_truncation_every_byte),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
