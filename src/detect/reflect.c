/* reflect.c -- the table of UDP reflector services (see reflect.h).
 * In: ports and payload bytes. Out: kinds, names, the answer test. The
 * formats checked: DNS / mDNS / NetBIOS NS (RFC 1035 QR bit, RFC 1002),
 * NTP modes (RFC 5905, mode 6/7 R bit), SSDP (UPnP 1.1: answers are HTTP
 * status lines), CoAP (RFC 7252: a request's code class is 0), SLPv2
 * (RFC 2608 function ids), TFTP (RFC 1350 opcodes), OpenVPN (its
 * P_CONTROL_HARD_RESET_CLIENT opcodes), DTLS (RFC 6347 record header),
 * IKE (RFC 7296 header, Response flag; RFC 3948 non-ESP marker on 4500).
 * No state. */
#include "detect/reflect.h"

#include <string.h>

static const struct {
  const char *name;
  uint16_t port;
} kinds[WD_REFLECT_COUNT] = {
    [WD_REFLECT_DNS] = {"dns", 53},
    [WD_REFLECT_NTP] = {"ntp", 123},
    [WD_REFLECT_SNMP] = {"snmp", 161},
    [WD_REFLECT_SSDP] = {"ssdp", 1900},
    [WD_REFLECT_CLDAP] = {"cldap", 389},
    [WD_REFLECT_MEMCACHED] = {"memcached", 11211},
    [WD_REFLECT_CHARGEN] = {"chargen", 19},
    [WD_REFLECT_QOTD] = {"qotd", 17},
    [WD_REFLECT_WSD] = {"ws-discovery", 3702},
    [WD_REFLECT_ISAKMP] = {"isakmp", 500},
    [WD_REFLECT_NETBIOS] = {"netbios", 137},
    [WD_REFLECT_UBIQUITI] = {"ubiquiti", 10001},
    [WD_REFLECT_DVR] = {"dvr", 37810},
    [WD_REFLECT_PORTMAP] = {"portmap", 111},
    [WD_REFLECT_MSSQL] = {"mssql", 1434},
    [WD_REFLECT_MDNS] = {"mdns", 5353},
    [WD_REFLECT_ARD] = {"ard", 3283},
    [WD_REFLECT_COAP] = {"coap", 5683},
    [WD_REFLECT_RIP] = {"rip", 520},
    [WD_REFLECT_IKE_NATT] = {"ike-natt", 4500},
    [WD_REFLECT_BACNET] = {"bacnet", 47808},
    [WD_REFLECT_OPENVPN] = {"openvpn", 1194},
    [WD_REFLECT_RDP] = {"rdp-udp", 3389},
    [WD_REFLECT_DTLS] = {"dtls", 443},
    [WD_REFLECT_SLP] = {"slp", 427},
    [WD_REFLECT_TFTP] = {"tftp", 69},
};

int wd_reflect_kind(uint16_t sport) {
  for (int k = 0; k < WD_REFLECT_COUNT; k++)
    if (kinds[k].port == sport)
      return k;
  return -1;
}

const char *wd_reflect_name(unsigned kind) {
  return kind < WD_REFLECT_COUNT ? kinds[kind].name : "other";
}

uint16_t wd_reflect_port(unsigned kind) {
  return kind < WD_REFLECT_COUNT ? kinds[kind].port : 0;
}

/* IKE header at b: an IKEv2 message must carry the Response flag (byte
 * 19, 0x20); IKEv1 (version 0x10) has none and passes. */
static bool ike_answer(const uint8_t *b, uint32_t n) {
  if (n < 20)
    return true;
  if ((b[17] >> 4) == 2)
    return (b[19] & 0x20) != 0;
  return true;
}

bool wd_reflect_is_answer(unsigned kind, uint16_t sport, uint16_t dport,
                          const uint8_t *b, uint32_t n) {
  switch (kind) {
  case WD_REFLECT_NTP:
  case WD_REFLECT_ISAKMP:
  case WD_REFLECT_IKE_NATT:
  case WD_REFLECT_NETBIOS:
  case WD_REFLECT_RIP:
  case WD_REFLECT_BACNET:
    if (sport == dport)
      return false; /* peers on their service port */
    break;
  default:
    break;
  }
  switch (kind) {
  case WD_REFLECT_DNS:
  case WD_REFLECT_MDNS:
  case WD_REFLECT_NETBIOS:
    /* QR/R bit, high bit of byte 2 */
    return n < 3 || (b[2] & 0x80);
  case WD_REFLECT_NTP:
    if (n < 2)
      return true;
    switch (b[0] & 7) { /* mode */
    case 1:             /* symmetric active */
    case 3:             /* client request */
      return false;
    case 6: /* control: R bit */
      return (b[1] & 0x80) != 0;
    case 7: /* private (monlist): R bit */
      return (b[0] & 0x80) != 0;
    default:
      return true;
    }
  case WD_REFLECT_SSDP:
    return n < 5 || memcmp(b, "HTTP/", 5) == 0;
  case WD_REFLECT_COAP:
    /* version 1 in the top bits of byte 0; code class 0 is a request */
    return n < 2 || (b[1] >> 5) != 0 || b[1] == 0;
  case WD_REFLECT_SLP:
    /* SrvRqst 1, AttrRqst 6, SrvTypeRqst 9 are requests */
    return n < 2 || !(b[1] == 1 || b[1] == 6 || b[1] == 9);
  case WD_REFLECT_TFTP:
    /* RRQ 1, WRQ 2 and ACK 4 come from the client */
    return n < 2 || b[0] != 0 || (b[1] != 1 && b[1] != 2 && b[1] != 4);
  case WD_REFLECT_OPENVPN: {
    unsigned op = n ? b[0] >> 3 : 0;
    return n == 0 || (op != 1 && op != 7 && op != 10); /* client resets */
  }
  case WD_REFLECT_DTLS:
    /* a DTLS record (content type 20..25, version 0xfe..); a QUIC
     * packet from a web server is not this */
    return n >= 3 && b[0] >= 20 && b[0] <= 25 && b[1] == 0xfe;
  case WD_REFLECT_ISAKMP:
    return ike_answer(b, n);
  case WD_REFLECT_IKE_NATT:
    /* a non-ESP marker (four zero bytes) then IKE; ESP-in-UDP is VPN
     * traffic, not an answer */
    if (n >= 4 && memcmp(b, "\0\0\0\0", 4) == 0)
      return ike_answer(b + 4, n - 4);
    return n == 0; /* a keepalive (0xff) or ESP */
  default:
    return true;
  }
}
