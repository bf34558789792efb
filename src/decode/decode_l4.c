/* decode_l4.c -- transport headers: TCP (RFC 9293), UDP (RFC 768), ICMP
 * (RFC 792) and ICMPv6 (RFC 4443).
 * In: the segment behind the IP headers, its captured and its claimed
 * length. Out: p->l4_proto, ports, TCP seq/ack/flags/window, ICMP
 * type/code, has_l4, payload (captured bytes after the header; for
 * protocols not decoded here, such as GRE or ESP, the whole segment).
 * Fields read before a header turns out short stay set (ports of a cut TCP
 * header); has_l4 is set only for a complete, sane header. No memory. */
#include "decode/decode_int.h"

enum { TCP_HLEN_MIN = 20, UDP_HLEN = 8, ICMP_HLEN = 8 };

static wd_rc tcp(wd_packet_t *p, const uint8_t *t, uint32_t cap, uint32_t claim,
                 bool frag) {
  if (cap >= 4) {
    p->sport = wd_rd16(t);
    p->dport = wd_rd16(t + 2);
  }
  if (cap < TCP_HLEN_MIN)
    return wd_decode_fail(p, WD_DECODE_ERR_TCP_TRUNC);
  p->tcp_seq = wd_rd32(t + 4);
  p->tcp_ack = wd_rd32(t + 8);
  p->tcp_flags = t[13];
  p->tcp_win = wd_rd16(t + 14);
  uint32_t hlen = (t[12] >> 4) * 4u;
  /* In a first fragment the header may go on in the next one: that is a
   * truncation (and an evasion trick), not a bad offset. */
  if (hlen < TCP_HLEN_MIN || (!frag && hlen > claim))
    return wd_decode_fail(p, WD_DECODE_ERR_TCP_BAD_OFFSET);
  if (hlen > cap)
    return wd_decode_fail(p, WD_DECODE_ERR_TCP_TRUNC);
  p->has_l4 = true;
  p->payload = t + hlen;
  p->payload_len = cap - hlen;
  return WD_OK;
}

static wd_rc udp(wd_packet_t *p, const uint8_t *u, uint32_t cap, uint32_t claim,
                 bool frag) {
  if (cap >= 4) {
    p->sport = wd_rd16(u);
    p->dport = wd_rd16(u + 2);
  }
  if (cap < UDP_HLEN)
    return wd_decode_fail(p, WD_DECODE_ERR_UDP_TRUNC);
  uint32_t ulen = wd_rd16(u + 4);
  /* A first fragment holds only part of what the UDP length covers. */
  if (ulen < UDP_HLEN || (!frag && ulen > claim))
    return wd_decode_fail(p, WD_DECODE_ERR_UDP_BAD_LEN);
  p->has_l4 = true;
  p->payload = u + UDP_HLEN;
  p->payload_len = (ulen < cap ? ulen : cap) - UDP_HLEN;
  return WD_OK;
}

/* ICMP and ICMPv6 share the layout: type, code, checksum and four bytes
 * whose meaning depends on the type. */
static wd_rc icmp(wd_packet_t *p, const uint8_t *c, uint32_t cap,
                  wd_decode_err trunc) {
  if (cap >= 2) {
    p->icmp_type = c[0];
    p->icmp_code = c[1];
  }
  if (cap < ICMP_HLEN)
    return wd_decode_fail(p, trunc);
  p->has_l4 = true;
  p->payload = c + ICMP_HLEN;
  p->payload_len = cap - ICMP_HLEN;
  return WD_OK;
}

wd_rc wd_decode_l4(wd_packet_t *p, uint8_t proto, const uint8_t *l4,
                   uint32_t cap, uint32_t claim, bool frag) {
  p->l4_proto = proto;
  switch (proto) {
  case WD_PROTO_TCP:
    return tcp(p, l4, cap, claim, frag);
  case WD_PROTO_UDP:
    return udp(p, l4, cap, claim, frag);
  case WD_PROTO_ICMP:
    return icmp(p, l4, cap, WD_DECODE_ERR_ICMP_TRUNC);
  case WD_PROTO_ICMPV6:
    return icmp(p, l4, cap, WD_DECODE_ERR_ICMPV6_TRUNC);
  default:
    p->payload = l4;
    p->payload_len = cap;
    return WD_OK;
  }
}
