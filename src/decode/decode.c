/* decode.c -- wd_decode() entry point and the decoder's name tables.
 * In: a borrowed frame and its link type. Out: the caller's wd_packet_t,
 * reset and then filled layer by layer (decode_link.c, decode_ipv4.c,
 * decode_ipv6.c, decode_l4.c). Memory: none; pointers in the packet borrow
 * the frame. */
#include "decode/decode.h"

#include <stddef.h>
#include <string.h>

#include "decode/decode_int.h"

static const char *const err_names[] = {
#define WD_DECODE_ERR_TEXT(name, text) text,
    WD_DECODE_ERR_MAP(WD_DECODE_ERR_TEXT)
#undef WD_DECODE_ERR_TEXT
};

_Static_assert(sizeof err_names / sizeof err_names[0] == WD_DECODE_ERR_COUNT,
               "one name per decode error");

wd_rc wd_decode_fail(wd_packet_t *p, wd_decode_err e) {
  p->err = e;
  switch (e) {
  case WD_DECODE_ERR_NONE:
    return WD_OK;
  case WD_DECODE_ERR_LINKTYPE:
    return WD_ERR_UNSUPPORTED;
  case WD_DECODE_ERR_LINK_TRUNC:
  case WD_DECODE_ERR_IPV4_TRUNC:
  case WD_DECODE_ERR_IPV6_TRUNC:
  case WD_DECODE_ERR_IPV6_EXTHDR_TRUNC:
  case WD_DECODE_ERR_TCP_TRUNC:
  case WD_DECODE_ERR_UDP_TRUNC:
  case WD_DECODE_ERR_ICMP_TRUNC:
  case WD_DECODE_ERR_ICMPV6_TRUNC:
    return WD_ERR_TRUNC;
  default:
    return WD_ERR_INVAL;
  }
}

/* wd_decode() resets the packet field by field (a struct-wide clear compiles
 * to "rep stos" on gcc, twice as slow per frame). A field added to
 * wd_packet_t must be reset there too; this trips when the size changes. */
_Static_assert(sizeof(void *) != 8 || sizeof(wd_packet_t) == 144,
               "wd_packet_t changed: reset the new field in wd_decode()");

wd_rc wd_decode(wd_packet_t *p, int linktype, const uint8_t *frame,
                uint32_t caplen, uint32_t wirelen) {
  if (frame == NULL)
    caplen = 0;
  /* Reset every decoded field, keep what the caller set. */
  p->linktype = linktype;
  p->frame = frame;
  p->caplen = caplen;
  p->wirelen = wirelen < caplen ? caplen : wirelen;
  p->vlan_depth = 0;
  p->ip_version = 0;
  p->ttl = 0;
  p->fragment = false;
  p->first_fragment = false;
  p->src = (wd_addr_t){{0}};
  p->dst = (wd_addr_t){{0}};
  p->l3 = NULL;
  p->l3_len = 0;
  p->ip_len = 0;
  p->l4_proto = 0;
  p->has_l4 = false;
  p->sport = 0;
  p->dport = 0;
  p->tcp_flags = 0;
  p->tcp_seq = 0;
  p->tcp_ack = 0;
  p->tcp_win = 0;
  p->icmp_type = 0;
  p->icmp_code = 0;
  p->payload = NULL;
  p->payload_len = 0;
  p->err = WD_DECODE_ERR_NONE;
  for (unsigned i = 0; i < WD_VLAN_MAX; i++)
    p->vlan[i] = 0;
  return wd_decode_link(p, linktype);
}

/* Link types by their Linux DLT_ numbers (pcap/dlt.h); raw IP also under
 * the BSD/OS number 14 and the file-format LINKTYPE_RAW 101. */
static const char unknown_link[] = "unknown";

const char *wd_decode_linktype_name(int linktype) {
  switch (linktype) {
  case 0:
    return "null";
  case 1:
    return "ethernet";
  case 12:
  case 14:
  case 101:
    return "raw";
  case 108:
    return "loop";
  case 113:
    return "sll";
  case 276:
    return "sll2";
  case 228:
    return "ipv4";
  case 229:
    return "ipv6";
  default:
    return unknown_link;
  }
}

bool wd_decode_linktype_supported(int linktype) {
  return wd_decode_linktype_name(linktype) != unknown_link;
}

const char *wd_decode_err_name(wd_decode_err e) {
  if ((unsigned)e >= WD_DECODE_ERR_COUNT)
    return "unknown";
  return err_names[e];
}
