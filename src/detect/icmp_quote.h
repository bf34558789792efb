/* icmp_quote.h -- the packet quoted inside an ICMP/ICMPv6 "destination
 * unreachable", which tells a scan or worm detector which of its attempts
 * failed.
 * In: a decoded packet (read only; its payload bytes are borrowed). Out:
 * the quoted packet's addresses, protocol and ports in the caller's
 * struct. Pure function, no allocation; every read is length-checked. */
#ifndef WD_DETECT_ICMP_QUOTE_H
#define WD_DETECT_ICMP_QUOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"
#include "decode/packet.h"

typedef struct wd_icmp_quote {
  wd_addr_t src, dst; /* of the quoted (original) packet */
  uint8_t proto;      /* its transport protocol */
  bool has_ports;     /* its first 4 transport bytes were quoted */
  uint16_t sport, dport;
} wd_icmp_quote_t;

/* True when p is an ICMP type 3 / ICMPv6 type 1 message whose quoted packet
 * was sent by p's destination (the one being told); fills q. */
bool wd_icmp_quote_unreach(const wd_packet_t *p, wd_icmp_quote_t *q);

/* Parses a quoted IP packet from b (n bytes); version must match
 * ip_version (4 or 6). Exposed for tests and the fuzz target. */
bool wd_icmp_quote_parse(const uint8_t *b, uint32_t n, int ip_version,
                         wd_icmp_quote_t *q);

#endif
