/* decode_int.h -- helpers shared by the decoder's layer files only.
 * Every layer function takes the packet being filled and the offset of its
 * header within p->frame; it reads at most p->caplen bytes of the frame and
 * never writes to it. Invariant on entry: off <= p->caplen, and
 * p->wirelen >= p->caplen (wd_decode() makes it so). */
#ifndef WD_DECODE_DECODE_INT_H
#define WD_DECODE_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "decode/packet.h"

/* EtherTypes and PPP protocol numbers the decoder follows. */
enum {
  WD_ETH_IPV4 = 0x0800,
  WD_ETH_IPV6 = 0x86dd,
  WD_ETH_VLAN = 0x8100,  /* 802.1Q */
  WD_ETH_QINQ = 0x88a8,  /* 802.1ad service tag */
  WD_ETH_QINQ9 = 0x9100, /* pre-standard QinQ */
  WD_ETH_PPPOE = 0x8864, /* PPPoE session stage */
  WD_ETH_MPLS = 0x8847,
  WD_ETH_MPLS_MC = 0x8848,
  WD_PPP_IPV4 = 0x0021,
  WD_PPP_IPV6 = 0x0057
};

static inline uint16_t wd_rd16(const uint8_t *b) {
  return (uint16_t)((unsigned)b[0] << 8 | b[1]);
}

static inline uint32_t wd_rd32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
         b[3];
}

/* Records why decoding stopped and maps the kind to a return code:
 * *_TRUNC kinds are WD_ERR_TRUNC, the unknown link type
 * WD_ERR_UNSUPPORTED, the rest (bad fields, too deep) WD_ERR_INVAL. */
wd_rc wd_decode_fail(wd_packet_t *p, wd_decode_err e);

/* The start of an IP header of version ver at off: points p->l3 at it
 * (l3_len: all that was captured from there), checks that hmin bytes were
 * captured (else trunc) and the version nibble (else bad_version), and
 * sets p->ip_version. */
static inline wd_rc wd_decode_ip_start(wd_packet_t *p, uint32_t off,
                                       unsigned ver, uint32_t hmin,
                                       wd_decode_err trunc,
                                       wd_decode_err bad_version) {
  p->l3 = p->frame + off;
  p->l3_len = p->caplen - off;
  if (p->l3_len < hmin)
    return wd_decode_fail(p, trunc);
  if (p->l3[0] >> 4 != ver)
    return wd_decode_fail(p, bad_version);
  p->ip_version = (uint8_t)ver;
  return WD_OK;
}

/* decode_link.c: walks an EtherType chain starting at off (VLAN tags,
 * PPPoE, MPLS) and hands IP on to the network layer. */
wd_rc wd_decode_link_ethertype(wd_packet_t *p, uint32_t off, uint16_t type);
/* decode_link.c: the link header of linktype, then the rest. */
wd_rc wd_decode_link(wd_packet_t *p, int linktype);

/* decode_ipv4.c / decode_ipv6.c: an IP header at off and what follows. */
wd_rc wd_decode_ipv4(wd_packet_t *p, uint32_t off);
wd_rc wd_decode_ipv6(wd_packet_t *p, uint32_t off);
/* Raw IP: the version nibble picks the family. */
wd_rc wd_decode_ip_any(wd_packet_t *p, uint32_t off);

/* decode_l4.c: the transport header of protocol proto at l4. cap: bytes of
 * it captured (within the IP packet); claim: bytes the IP header says the
 * segment has (cap <= claim). frag: the segment is the first fragment of a
 * datagram, so lengths that cover the whole datagram cannot be checked. */
wd_rc wd_decode_l4(wd_packet_t *p, uint8_t proto, const uint8_t *l4,
                   uint32_t cap, uint32_t claim, bool frag);

#endif
