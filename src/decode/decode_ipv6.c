/* decode_ipv6.c -- the IPv6 header (RFC 8200) and its extension headers.
 * In: p->frame from off. Out: p->src/dst/ttl (hop limit)/ip_len/l3/l3_len,
 * fragment flags, l4_proto, then the transport header through wd_decode_l4.
 * Walks hop-by-hop (0), routing (43), fragment (44), destination options
 * (60), AH (51) and mobility (135) headers, at most WD_IPV6_EXTHDR_MAX of
 * them; ESP (50), no-next-header (59) and every other value end the walk
 * and are reported as l4_proto. Non-first fragments stop at their fragment
 * header. An atomic fragment (offset 0, no more fragments, RFC 6946) is not
 * a fragment. A zero payload length behind a hop-by-hop header is taken as
 * a jumbogram (RFC 2675) running to the end of the frame. No memory. */
#include "core/limits.h"
#include "decode/decode_int.h"

enum {
  IPV6_HLEN = 40,
  EXT_HOPOPTS = 0,
  EXT_ROUTING = 43,
  EXT_FRAGMENT = 44,
  EXT_AH = 51,
  EXT_DSTOPTS = 60,
  EXT_MOBILITY = 135,
  EXT_LEN_MIN = 8, /* every extension header has at least 8 bytes */
  FRAG_OFFSET = 0xfff8,
  FRAG_MORE = 0x0001
};

wd_rc wd_decode_ipv6(wd_packet_t *p, uint32_t off) {
  wd_rc rc = wd_decode_ip_start(p, off, 6, IPV6_HLEN, WD_DECODE_ERR_IPV6_TRUNC,
                                WD_DECODE_ERR_IPV6_BAD_VERSION);
  if (rc != WD_OK)
    return rc;
  const uint8_t *h = p->l3;
  uint32_t avail = p->l3_len;
  uint32_t wire = p->wirelen - off; /* wirelen >= caplen >= off */
  p->ttl = h[7];
  wd_addr_from_v6(&p->src, h + 8);
  wd_addr_from_v6(&p->dst, h + 24);
  uint32_t plen = wd_rd16(h + 4);
  uint8_t nh = h[6];
  uint32_t tot = IPV6_HLEN + plen;
  p->ip_len = tot;
  if (plen == 0 && nh == EXT_HOPOPTS)
    tot = wire; /* jumbogram: the real length sits in the option */
  else if (tot > wire)
    return wd_decode_fail(p, WD_DECODE_ERR_IPV6_BAD_LEN);
  uint32_t cap = tot < avail ? tot : avail;
  p->l3_len = cap;

  uint32_t pos = IPV6_HLEN;
  for (unsigned n = 0;; n++) {
    uint32_t len;
    switch (nh) {
    case EXT_HOPOPTS:
    case EXT_ROUTING:
    case EXT_DSTOPTS:
    case EXT_MOBILITY:
    case EXT_FRAGMENT:
    case EXT_AH:
      break;
    default:
      return wd_decode_l4(p, nh, h + pos, cap - pos, tot - pos, p->fragment);
    }
    if (n == WD_IPV6_EXTHDR_MAX)
      return wd_decode_fail(p, WD_DECODE_ERR_IPV6_EXTHDR_TOO_MANY);
    if (cap - pos < EXT_LEN_MIN)
      return wd_decode_fail(p, WD_DECODE_ERR_IPV6_EXTHDR_TRUNC);
    const uint8_t *e = h + pos;
    if (nh == EXT_FRAGMENT) {
      len = EXT_LEN_MIN;
      uint16_t fo = wd_rd16(e + 2);
      if (fo & (FRAG_OFFSET | FRAG_MORE)) {
        p->fragment = true;
        p->first_fragment = (fo & FRAG_OFFSET) == 0;
      }
    } else if (nh == EXT_AH) {
      len = (e[1] + 2u) * 4u; /* in 4-byte units, minus 2 */
    } else {
      len = (e[1] + 1u) * 8u; /* in 8-byte units, minus 1 */
    }
    if (len > cap - pos)
      return wd_decode_fail(p, WD_DECODE_ERR_IPV6_EXTHDR_TRUNC);
    nh = e[0];
    pos += len;
    if (p->fragment && !p->first_fragment) {
      p->l4_proto = nh; /* the rest of the datagram: no header here */
      return WD_OK;
    }
  }
}
