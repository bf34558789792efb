/* icmp_quote.c -- reads the original packet quoted by an ICMP error (see
 * icmp_quote.h). The decoder's payload of an ICMP message starts after
 * either the 4-byte ICMP header or the 8 bytes that include the unused
 * word; both are tried, and a candidate counts only when its version
 * matches and its source is the ICMP message's destination. IPv6
 * extension headers in the quote are not walked (no ports then). */
#include "detect/icmp_quote.h"

#include <string.h>

bool wd_icmp_quote_parse(const uint8_t *b, uint32_t n, int ip_version,
                         wd_icmp_quote_t *q) {
  memset(q, 0, sizeof *q);
  if (!b)
    return false;
  uint32_t hlen;
  bool first = true;
  if (ip_version == 4) {
    if (n < 20 || (b[0] >> 4) != 4)
      return false;
    hlen = (uint32_t)(b[0] & 0x0f) * 4;
    if (hlen < 20 || hlen > n)
      return false;
    q->proto = b[9];
    first = (((uint32_t)(b[6] & 0x1f) << 8) | b[7]) == 0;
    wd_addr_from_v4(&q->src, b + 12);
    wd_addr_from_v4(&q->dst, b + 16);
  } else if (ip_version == 6) {
    if (n < 40 || (b[0] >> 4) != 6)
      return false;
    hlen = 40;
    q->proto = b[6];
    wd_addr_from_v6(&q->src, b + 8);
    wd_addr_from_v6(&q->dst, b + 24);
  } else {
    return false;
  }
  if (first && (q->proto == WD_PROTO_TCP || q->proto == WD_PROTO_UDP) &&
      n - hlen >= 4) {
    q->has_ports = true;
    q->sport = (uint16_t)((b[hlen] << 8) | b[hlen + 1]);
    q->dport = (uint16_t)((b[hlen + 2] << 8) | b[hlen + 3]);
  }
  return true;
}

bool wd_icmp_quote_unreach(const wd_packet_t *p, wd_icmp_quote_t *q) {
  memset(q, 0, sizeof *q);
  if (p->ip_version == 4) {
    if (p->l4_proto != WD_PROTO_ICMP || p->icmp_type != 3)
      return false;
  } else if (p->ip_version == 6) {
    if (p->l4_proto != WD_PROTO_ICMPV6 || p->icmp_type != 1)
      return false;
  } else {
    return false;
  }
  if (!p->payload)
    return false;
  static const uint32_t offs[2] = {0, 4};
  for (unsigned i = 0; i < 2; i++) {
    if (p->payload_len < offs[i])
      break;
    if (wd_icmp_quote_parse(p->payload + offs[i], p->payload_len - offs[i],
                            p->ip_version, q) &&
        wd_addr_eq(&q->src, &p->dst))
      return true;
  }
  memset(q, 0, sizeof *q);
  return false;
}
