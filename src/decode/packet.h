/* packet.h -- the decoded view of one captured frame.
 * In: filled by wd_decode() from a frame it does not own. Out: read-only
 * to every later stage (flows, parsers, detectors). All pointers borrow
 * the frame, which is valid only until the capture source reads the next
 * one. Lives on the caller's stack or in its struct: no allocation. */
#ifndef WD_DECODE_PACKET_H
#define WD_DECODE_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/net.h"

/* Why a frame could not be (fully) decoded; each kind is a stats counter
 * (stats.ward.decode_errors.<name>). */
#define WD_DECODE_ERR_MAP(X)                                                 \
  X(NONE, "none")                                                            \
  X(LINKTYPE, "unknown_linktype")                                            \
  X(LINK_TRUNC, "link_truncated")                                            \
  X(VLAN_TOO_DEEP, "vlan_too_deep")                                          \
  X(IPV4_TRUNC, "ipv4_truncated")                                            \
  X(IPV4_BAD_HLEN, "ipv4_bad_header_length")                                 \
  X(IPV4_BAD_LEN, "ipv4_bad_total_length")                                   \
  X(IPV4_BAD_VERSION, "ipv4_bad_version")                                    \
  X(IPV6_TRUNC, "ipv6_truncated")                                            \
  X(IPV6_BAD_VERSION, "ipv6_bad_version")                                    \
  X(IPV6_EXTHDR_TRUNC, "ipv6_exthdr_truncated")                              \
  X(IPV6_EXTHDR_TOO_MANY, "ipv6_exthdr_too_many")                            \
  X(TCP_TRUNC, "tcp_truncated")                                              \
  X(TCP_BAD_OFFSET, "tcp_bad_data_offset")                                   \
  X(UDP_TRUNC, "udp_truncated")                                              \
  X(UDP_BAD_LEN, "udp_bad_length")                                           \
  X(ICMP_TRUNC, "icmp_truncated")                                            \
  X(ICMPV6_TRUNC, "icmpv6_truncated")                                        \
  X(IPV6_BAD_LEN, "ipv6_bad_payload_length")                                 \
  X(MPLS_TOO_DEEP, "mpls_too_deep")

typedef enum {
#define WD_DECODE_ERR_ENUM(name, text) WD_DECODE_ERR_##name,
  WD_DECODE_ERR_MAP(WD_DECODE_ERR_ENUM)
#undef WD_DECODE_ERR_ENUM
      WD_DECODE_ERR_COUNT
} wd_decode_err;

/* TCP flag bits as on the wire. */
enum {
  WD_TCP_FIN = 0x01,
  WD_TCP_SYN = 0x02,
  WD_TCP_RST = 0x04,
  WD_TCP_PSH = 0x08,
  WD_TCP_ACK = 0x10,
  WD_TCP_URG = 0x20,
  WD_TCP_ECE = 0x40,
  WD_TCP_CWR = 0x80
};

/* IP protocol numbers in wd_packet_t.l4_proto. */
enum {
  WD_PROTO_ICMP = 1,
  WD_PROTO_TCP = 6,
  WD_PROTO_UDP = 17,
  WD_PROTO_ICMPV6 = 58
};

typedef struct wd_packet {
  /* capture */
  uint64_t ts_ns;       /* capture time, nanoseconds since the epoch */
  uint64_t num;         /* 1-based frame number within its source file */
  uint32_t source;      /* index of the capture file (0 for live) */
  int linktype;         /* DLT_* of the source */
  const uint8_t *frame; /* whole captured frame, borrowed */
  uint32_t caplen;      /* bytes captured */
  uint32_t wirelen;     /* bytes on the wire */

  /* Decoded fields: wd_decode() resets each by name (a field added below
   * must be reset there too; a size check in decode.c reminds). */

  /* link */
  uint16_t vlan[WD_VLAN_MAX]; /* VLAN ids, outer first; valid up to
                                vlan_depth */
  uint8_t vlan_depth;         /* 0 .. WD_VLAN_MAX */

  /* network */
  uint8_t ip_version;   /* 0 (not IP), 4 or 6 */
  uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
  bool fragment;        /* part of a fragmented datagram */
  bool first_fragment;  /* offset 0: carries the transport header */
  wd_addr_t src, dst;   /* valid when ip_version != 0 */
  const uint8_t *l3;    /* IP header */
  uint32_t l3_len;      /* bytes from l3 to end of IP payload (capped by
                           caplen) */
  uint32_t ip_len;      /* IP total length as claimed by the header */

  /* transport: valid when l4_proto is set and l4 decoded (has_l4) */
  uint8_t l4_proto;   /* WD_PROTO_* (or another IP protocol number) */
  bool has_l4;        /* transport header fully present */
  uint16_t sport, dport;
  uint8_t tcp_flags;  /* WD_TCP_* */
  uint32_t tcp_seq, tcp_ack;
  uint16_t tcp_win;
  uint8_t icmp_type, icmp_code;
  const uint8_t *payload; /* transport payload (captured part); for
                             protocols not decoded (GRE, ESP) the IP
                             payload; NULL in non-first fragments */
  uint32_t payload_len;   /* captured payload bytes */

  wd_decode_err err; /* first problem met, WD_DECODE_ERR_NONE if none */
} wd_packet_t;

#endif
