/* decode_ipv4.c -- the IPv4 header (RFC 791).
 * In: p->frame from off. Out: p->src/dst/ttl/ip_len/l3/l3_len, fragment
 * flags, l4_proto, then the transport header through wd_decode_l4 (first
 * fragments and whole datagrams only). Options are skipped, the header
 * checksum is not verified. The total length bounds everything after it, so
 * Ethernet padding never reaches the payload. No memory. */
#include "decode/decode_int.h"

enum {
  IPV4_HLEN_MIN = 20,
  IPV4_MF = 0x2000,     /* more fragments */
  IPV4_OFFSET = 0x1fff, /* fragment offset, 8-byte units */
  IPV4_FRAG = 0x3fff    /* MF or a non-zero offset */
};

wd_rc wd_decode_ipv4(wd_packet_t *p, uint32_t off) {
  wd_rc rc =
      wd_decode_ip_start(p, off, 4, IPV4_HLEN_MIN, WD_DECODE_ERR_IPV4_TRUNC,
                         WD_DECODE_ERR_IPV4_BAD_VERSION);
  if (rc != WD_OK)
    return rc;
  const uint8_t *h = p->l3;
  uint32_t avail = p->l3_len;
  uint32_t wire = p->wirelen - off; /* wirelen >= caplen >= off */
  p->ttl = h[8];
  wd_addr_from_v4(&p->src, h + 12);
  wd_addr_from_v4(&p->dst, h + 16);
  uint32_t hlen = (h[0] & 0x0fu) * 4u;
  uint32_t tot = wd_rd16(h + 2);
  p->ip_len = tot;
  if (hlen < IPV4_HLEN_MIN)
    return wd_decode_fail(p, WD_DECODE_ERR_IPV4_BAD_HLEN);
  /* Longer than the frame on the wire cannot be a snap length cut. */
  if (tot < hlen || tot > wire)
    return wd_decode_fail(p, WD_DECODE_ERR_IPV4_BAD_LEN);
  if (hlen > avail)
    return wd_decode_fail(p, WD_DECODE_ERR_IPV4_TRUNC);
  uint32_t cap = tot < avail ? tot : avail;
  p->l3_len = cap;
  uint8_t proto = h[9];
  uint16_t frag = wd_rd16(h + 6);
  if (frag & IPV4_FRAG) {
    p->fragment = true;
    p->first_fragment = (frag & IPV4_OFFSET) == 0;
    if (!p->first_fragment) {
      p->l4_proto = proto; /* the rest of the datagram: no header here */
      return WD_OK;
    }
  }
  return wd_decode_l4(p, proto, h + hlen, cap - hlen, tot - hlen, p->fragment);
}
