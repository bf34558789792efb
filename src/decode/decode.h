/* decode.h -- frames -> wd_packet_t, the decoder's public API.
 * In: one captured frame (borrowed, read only) and its link type. Out: the
 * caller's wd_packet_t filled with pointers into that frame. No allocation,
 * no system call, no logging: this runs once per captured frame.
 * Link types are libpcap DLT_ values as pcap_datalink() returns them:
 * Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (12, 14, 101),
 * raw IPv4 (228) and IPv6 (229), BSD loopback NULL (0) and LOOP (108).
 * Inside Ethernet/SLL: 802.1Q/802.1ad VLAN stacks (WD_VLAN_MAX deep),
 * PPPoE session and MPLS (WD_MPLS_LABEL_MAX labels). docs/decoding.md
 * lists what each error kind means. */
#ifndef WD_DECODE_DECODE_H
#define WD_DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "decode/packet.h"

/* Decodes frame into p. The caller has set p->ts_ns, p->num, p->source;
 * wd_decode sets everything else (resetting all decoded fields first).
 * Returns WD_OK when the frame was decoded as far as it goes (also for
 * non-IP frames such as ARP: then p->ip_version == 0 and WD_OK); on
 * malformed input it returns WD_ERR_TRUNC or WD_ERR_INVAL with p->err
 * saying why (and fields decoded so far stay valid, e.g. an IP packet whose
 * TCP header is truncated still has addresses). WD_ERR_UNSUPPORTED for an
 * unknown linktype (p->err == WD_DECODE_ERR_LINKTYPE).
 * A wirelen below caplen (a broken capture record) is taken as caplen.
 * A payload cut by the capture's snap length is not an error: payload_len
 * is what was captured. Headers cut short are. */
wd_rc wd_decode(wd_packet_t *p, int linktype, const uint8_t *frame,
                uint32_t caplen, uint32_t wirelen);

/* True for the link types listed above. */
bool wd_decode_linktype_supported(int linktype);

/* Short name of a link type ("ethernet", "sll", "raw", ...), "unknown" for
 * unsupported ones. Static string. */
const char *wd_decode_linktype_name(int linktype);

/* The text column of WD_DECODE_ERR_MAP ("ipv4_truncated"), "unknown" when
 * out of range. Static string. */
const char *wd_decode_err_name(wd_decode_err e);

#endif
