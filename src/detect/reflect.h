/* reflect.h -- the UDP services abused as reflectors: which source port
 * belongs to which, and whether a datagram from it is an answer.
 * In: a UDP source port and payload. Out: a reflector kind (WD_REFLECT_*)
 * with its name and port, or -1; whether the payload can be a response.
 * Used by ddos.amplification (what it counts) and by the scan detectors (a
 * datagram from such a port is an answer, never a probe). No state, no
 * allocation. */
#ifndef WD_DETECT_REFLECT_H
#define WD_DETECT_REFLECT_H

#include <stdbool.h>
#include <stdint.h>

enum {
  WD_REFLECT_DNS,
  WD_REFLECT_NTP,
  WD_REFLECT_SNMP,
  WD_REFLECT_SSDP,
  WD_REFLECT_CLDAP,
  WD_REFLECT_MEMCACHED,
  WD_REFLECT_CHARGEN,
  WD_REFLECT_QOTD,
  WD_REFLECT_WSD,
  WD_REFLECT_ISAKMP,
  WD_REFLECT_NETBIOS,
  WD_REFLECT_UBIQUITI,
  WD_REFLECT_DVR,
  WD_REFLECT_PORTMAP,
  WD_REFLECT_MSSQL,
  WD_REFLECT_MDNS,
  WD_REFLECT_ARD,
  WD_REFLECT_COAP,
  WD_REFLECT_RIP,
  WD_REFLECT_IKE_NATT,
  WD_REFLECT_BACNET,
  WD_REFLECT_OPENVPN,
  WD_REFLECT_RDP,
  WD_REFLECT_DTLS,
  WD_REFLECT_SLP,
  WD_REFLECT_TFTP,
  WD_REFLECT_COUNT
};

/* Reflector kind of a UDP source port, or -1. */
int wd_reflect_kind(uint16_t sport);
/* Its name ("dns", "ike-natt", ...) and service port. */
const char *wd_reflect_name(unsigned kind);
uint16_t wd_reflect_port(unsigned kind);
/* False when the payload shows a request, not an answer, of kind (only
 * cheap, certain tests; an absent or short payload passes). sport and
 * dport equal is a peer exchange (NTP symmetric, IKE, NetBIOS) for the
 * kinds whose peers use their service port on both ends. */
bool wd_reflect_is_answer(unsigned kind, uint16_t sport, uint16_t dport,
                          const uint8_t *b, uint32_t n);

#endif
