/* decode_link.c -- link layers: Ethernet, Linux cooked (SLL, SLL2), raw IP,
 * BSD loopback (NULL, LOOP), and the EtherType chain inside them: 802.1Q /
 * 802.1ad VLAN tags (recorded outer first, WD_VLAN_MAX deep), PPPoE session
 * and MPLS label stacks (WD_MPLS_LABEL_MAX deep).
 * In: p->frame from offset 0. Out: p->vlan*, then the network layer via
 * wd_decode_ipv4/ipv6. Frames that carry no IP (ARP, LLC, STP, MPLS
 * pseudowires, ...) end here with WD_OK and ip_version 0. No memory. */
#include <stddef.h>

#include "core/limits.h"
#include "decode/decode_int.h"

enum {
  ETH_HLEN = 14,
  SLL_HLEN = 16,  /* type, ARPHRD, addr len, addr[8], protocol */
  SLL2_HLEN = 20, /* protocol, reserved, ifindex, ARPHRD, type, len, addr */
  NULL_HLEN = 4,  /* address family, 32 bits */
  VLAN_HLEN = 4,  /* TCI, inner EtherType */
  PPPOE_HLEN = 8, /* ver/type, code, session, length, PPP protocol */
  MPLS_HLEN = 4,  /* label 20, TC 3, bottom-of-stack 1, TTL 8 */
  ARPHRD_NETLINK = 824
};

/* MPLS carries no next-protocol field: after the bottom label the first
 * nibble tells IPv4 from IPv6; anything else (pseudowire control word,
 * Ethernet over MPLS) is left undecoded. */
static wd_rc mpls(wd_packet_t *p, uint32_t off) {
  for (unsigned n = 0;; n++) {
    if (n == WD_MPLS_LABEL_MAX)
      return wd_decode_fail(p, WD_DECODE_ERR_MPLS_TOO_DEEP);
    if (p->caplen - off < MPLS_HLEN)
      return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
    bool bottom = p->frame[off + 2] & 0x01;
    off += MPLS_HLEN;
    if (bottom)
      break;
  }
  if (off == p->caplen)
    return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
  switch (p->frame[off] >> 4) {
  case 4:
    return wd_decode_ipv4(p, off);
  case 6:
    return wd_decode_ipv6(p, off);
  default:
    return WD_OK;
  }
}

wd_rc wd_decode_link_ethertype(wd_packet_t *p, uint32_t off, uint16_t type) {
  const uint8_t *f = p->frame;
  for (;;) {
    switch (type) {
    case WD_ETH_IPV4:
      return wd_decode_ipv4(p, off);
    case WD_ETH_IPV6:
      return wd_decode_ipv6(p, off);
    case WD_ETH_VLAN:
    case WD_ETH_QINQ:
    case WD_ETH_QINQ9:
      if (p->vlan_depth == WD_VLAN_MAX)
        return wd_decode_fail(p, WD_DECODE_ERR_VLAN_TOO_DEEP);
      if (p->caplen - off < VLAN_HLEN)
        return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
      p->vlan[p->vlan_depth++] = wd_rd16(f + off) & 0x0fff;
      type = wd_rd16(f + off + 2);
      off += VLAN_HLEN;
      continue; /* at most WD_VLAN_MAX + 1 rounds */
    case WD_ETH_PPPOE:
      if (p->caplen - off < PPPOE_HLEN)
        return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
      switch (wd_rd16(f + off + 6)) {
      case WD_PPP_IPV4:
        return wd_decode_ipv4(p, off + PPPOE_HLEN);
      case WD_PPP_IPV6:
        return wd_decode_ipv6(p, off + PPPOE_HLEN);
      default:
        return WD_OK; /* LCP, IPCP, ... */
      }
    case WD_ETH_MPLS:
    case WD_ETH_MPLS_MC:
      return mpls(p, off);
    default:
      return WD_OK; /* ARP, LLDP, 802.3 length + LLC, ... */
    }
  }
}

wd_rc wd_decode_ip_any(wd_packet_t *p, uint32_t off) {
  if (off == p->caplen)
    return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
  if (p->frame[off] >> 4 == 6)
    return wd_decode_ipv6(p, off);
  return wd_decode_ipv4(p, off); /* any other version is reported there */
}

/* BSD loopback: a 32-bit address family in the byte order of the host that
 * wrote it (NULL) or network order (LOOP, though not every writer obeys).
 * Family values are small, so the zero half tells the order. AF_INET6 is
 * 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
static wd_rc loopback(wd_packet_t *p) {
  const uint8_t *f = p->frame;
  if (p->caplen < NULL_HLEN)
    return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
  uint32_t af = (f[0] | f[1]) == 0 ? wd_rd16(f + 2)
                                   : (uint32_t)f[0] | (uint32_t)f[1] << 8;
  switch (af) {
  case 2:
    return wd_decode_ipv4(p, NULL_HLEN);
  case 10:
  case 24:
  case 28:
  case 30:
    return wd_decode_ipv6(p, NULL_HLEN);
  default:
    return WD_OK;
  }
}

wd_rc wd_decode_link(wd_packet_t *p, int linktype) {
  const uint8_t *f = p->frame;
  switch (linktype) {
  case 1: /* DLT_EN10MB */
    if (p->caplen < ETH_HLEN)
      return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
    return wd_decode_link_ethertype(p, ETH_HLEN, wd_rd16(f + 12));
  case 113: /* DLT_LINUX_SLL */
    if (p->caplen < SLL_HLEN)
      return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
    if (wd_rd16(f + 2) == ARPHRD_NETLINK)
      return WD_OK;
    return wd_decode_link_ethertype(p, SLL_HLEN, wd_rd16(f + 14));
  case 276: /* DLT_LINUX_SLL2 */
    if (p->caplen < SLL2_HLEN)
      return wd_decode_fail(p, WD_DECODE_ERR_LINK_TRUNC);
    if (wd_rd16(f + 8) == ARPHRD_NETLINK)
      return WD_OK;
    return wd_decode_link_ethertype(p, SLL2_HLEN, wd_rd16(f));
  case 12:  /* DLT_RAW on Linux */
  case 14:  /* DLT_RAW on BSD/OS, OpenBSD */
  case 101: /* LINKTYPE_RAW, as stored in files */
    return wd_decode_ip_any(p, 0);
  case 228: /* DLT_IPV4 */
    return wd_decode_ipv4(p, 0);
  case 229: /* DLT_IPV6 */
    return wd_decode_ipv6(p, 0);
  case 0:   /* DLT_NULL */
  case 108: /* DLT_LOOP */
    return loopback(p);
  default:
    return wd_decode_fail(p, WD_DECODE_ERR_LINKTYPE);
  }
}
