/* amplification.c -- ddos.amplification: reflected traffic towards one
 * protected host.
 * In: UDP packets and TCP SYN-ACKs with their flow, and IP fragments.
 * Counted towards a protected destination: (1) UDP from a reflector
 * service port (DNS, NTP, SNMP, SSDP, CLDAP, memcached, chargen, QOTD,
 * WS-Discovery, ISAKMP, NetBIOS, Ubiquiti discovery, DVR, portmap, MS-SQL
 * browser, mDNS, ARD, CoAP, RIP) that the destination did not ask for (its
 * flow has no packet from the destination; where cheap, the payload must
 * also look like a response, so a busy NTP or DNS server receiving requests
 * from peers on the same port is not a victim); (2) non-first IP fragments
 * towards a host that is receiving such traffic this second or is under an
 * open reflection attack (they carry no ports); (3) TCP SYN-ACKs to a host
 * that sent no SYN in that flow (SYN-ACK reflection). Out: alerts through
 * the flood engine with the reflected protocol, reflector port, estimated
 * reflectors (HyperLogLog), fragments, peak packets/s and bits/s, and a
 * sample of reflector addresses. The reflectors are misused, not the
 * attacker: has_src is always false. Memory: the engine's victim table
 * (1/10 of detect.memcap) and attack array.
 *
 * A second is an attack when it reaches detect.amplification.min_pps
 * packets or min_bps bits/s (a threshold set to 0 is not used) from at
 * least min_reflectors distinct sources. */
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"
#include "detect/flood.h"

extern const wd_detector_t wd_detector_amplification;

enum {
  K_DNS,
  K_NTP,
  K_SNMP,
  K_SSDP,
  K_CLDAP,
  K_MEMCACHED,
  K_CHARGEN,
  K_QOTD,
  K_WSD,
  K_ISAKMP,
  K_NETBIOS,
  K_UBIQUITI,
  K_DVR,
  K_PORTMAP,
  K_MSSQL,
  K_MDNS,
  K_ARD,
  K_COAP,
  K_RIP,
  K_SYNACK,
  K_FRAGMENT,
  K_COUNT
};

static const char *const kind_names[K_COUNT] = {
    "dns",     "ntp",        "snmp",         "ssdp",   "cldap",   "memcached",
    "chargen", "qotd",       "ws-discovery", "isakmp", "netbios", "ubiquiti",
    "dvr",     "portmap",    "mssql",        "mdns",   "ard",     "coap",
    "rip",     "tcp-synack", "fragment"};

/* Reflector kind of a UDP source port, or -1. */
static int kind_of_port(uint16_t port) {
  switch (port) {
  case 53:
    return K_DNS;
  case 123:
    return K_NTP;
  case 161:
    return K_SNMP;
  case 1900:
    return K_SSDP;
  case 389:
    return K_CLDAP;
  case 11211:
    return K_MEMCACHED;
  case 19:
    return K_CHARGEN;
  case 17:
    return K_QOTD;
  case 3702:
    return K_WSD;
  case 500:
    return K_ISAKMP;
  case 137:
    return K_NETBIOS;
  case 10001:
    return K_UBIQUITI;
  case 37810:
    return K_DVR;
  case 111:
    return K_PORTMAP;
  case 1434:
    return K_MSSQL;
  case 5353:
    return K_MDNS;
  case 3283:
    return K_ARD;
  case 5683:
    return K_COAP;
  case 520:
    return K_RIP;
  default:
    return -1;
  }
}

/* False when the payload shows a request rather than a response. Only
 * cheap, certain tests; an absent or short payload passes. */
static bool looks_like_response(int kind, const uint8_t *b, uint32_t n) {
  switch (kind) {
  case K_DNS:
  case K_MDNS:
  case K_NETBIOS:
    /* DNS and NetBIOS name service: QR/R bit, high bit of byte 2. */
    return n < 3 || (b[2] & 0x80);
  case K_NTP:
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
  case K_SSDP:
    /* Answers are "HTTP/1.1 200 OK"; requests are M-SEARCH / NOTIFY. */
    return n < 5 || memcmp(b, "HTTP/", 5) == 0;
  default:
    return true;
  }
}

/* The detect.amplification keys; enabled first (wd_flood_create). */
typedef struct amp_conf {
  bool enabled;
  uint64_t min_pps;        /* reflected packets per second to one host */
  uint64_t min_bps;        /* reflected bits per second */
  uint32_t min_reflectors; /* distinct reflectors sending to it */
} amp_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(amp_conf, "detect.amplification.enabled", enabled, "true",
                "UDP reflection/amplification floods against one host"),
    WD_KEY_RATE(amp_conf, "detect.amplification.min_pps", min_pps, "1000", 1,
                1000000000,
                "reflected packets per second to one host, at least"),
    WD_KEY_BITS(amp_conf, "detect.amplification.min_bps", min_bps, "50 Mbit/s",
                1, 10000000000000ull,
                "reflected bits per second to one host, at least"),
    WD_KEY_UINT(amp_conf, "detect.amplification.min_reflectors", min_reflectors,
                "10", 1, 1000000,
                "distinct reflectors sending to the host, at least"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(amp_conf, conf_rows, NULL);

static bool over(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  const amp_conf *c = wd_flood_conf(fl);
  bool rate = (c->min_pps && s->pkts >= c->min_pps) ||
              (c->min_bps && s->bytes * 8 >= c->min_bps);
  return rate && wd_flood_sec_sources(s) >= c->min_reflectors;
}

static uint16_t kind_port(unsigned k) {
  static const uint16_t ports[K_COUNT] = {
      53,    123,   161, 1900, 389,  11211, 19,   17,  3702, 500, 137,
      10001, 37810, 111, 1434, 5353, 3283,  5683, 520, 0,    0};
  return k < K_COUNT ? ports[k] : 0;
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  unsigned k = at->kind.k && at->kind.v < K_COUNT ? at->kind.v : K_FRAGMENT;
  al->proto = k == K_SYNACK ? WD_PROTO_TCP : WD_PROTO_UDP;
  wd_alert_add_str(al, "protocol", kind_names[k]);
  if (kind_port(k))
    wd_alert_add_u64(al, "reflector_port", kind_port(k));
  wd_alert_add_u64(al, "fragments", at->aux);
  wd_flood_add_sample(fl, al, "reflectors_sample", at);
}

static const wd_flood_ops_t ops = {
    .det = &wd_detector_amplification,
    .sources_metric = "reflectors",
    .over = over,
    .report = report,
};

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return wd_flood_create(&ops, cfg, mc, state);
}

/* The flow shows no packet sent by the packet's destination. */
static bool unsolicited_udp(const wd_flow_t *f, int dir) {
  if (!f)
    return true;
  /* dir is the packet's direction; the destination sent the other one. */
  return f->pkts[dir == WD_DIR_TO_SERVER ? WD_DIR_TO_CLIENT
                                         : WD_DIR_TO_SERVER] == 0;
}

static bool unsolicited_synack(const wd_flow_t *f, int dir) {
  if (!f)
    return true;
  int back = dir == WD_DIR_TO_SERVER ? WD_DIR_TO_CLIENT : WD_DIR_TO_SERVER;
  return !(f->tcp_flags[back] & WD_TCP_SYN);
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  wd_flood_t *fl = state;
  wd_flood_pkt_t fp = {.victim = &p->dst,
                       .src = &p->src,
                       .ts_ns = p->ts_ns,
                       .pkts = 1,
                       .bytes = wd_flood_ip_bytes(p),
                       .mode = WD_FLOOD_CREATE};
  if (p->fragment && !p->first_fragment) {
    if (p->l4_proto != WD_PROTO_UDP)
      return;
    /* No ports: only while reflection towards this host is under way. */
    fp.kind = WD_FLOOD_NONE;
    fp.key = WD_FLOOD_NONE;
    fp.aux = 1;
    fp.mode = WD_FLOOD_IF_ACTIVE;
  } else if (p->l4_proto == WD_PROTO_UDP && p->has_l4) {
    int k = kind_of_port(p->sport);
    if (k < 0 || !unsolicited_udp(f, dir) ||
        !looks_like_response(k, p->payload, p->payload_len))
      return;
    fp.kind = (uint32_t)k;
    fp.key = p->sport;
  } else if (p->l4_proto == WD_PROTO_TCP && p->has_l4 &&
             (p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST)) ==
                 (WD_TCP_SYN | WD_TCP_ACK)) {
    if (!unsolicited_synack(f, dir))
      return;
    fp.kind = K_SYNACK;
    fp.key = p->sport;
  } else {
    return;
  }
  if (fp.mode == WD_FLOOD_CREATE && !wd_config_is_protected(ctx->cfg, &p->dst))
    return;
  wd_flood_add(fl, ctx, &fp);
}

static const wd_detector_sig_t sigs[] = {
    WD_FLOOD_DDOS_SIG(2100302, "Reflection/amplification DDoS against a "
                               "protected host"),
};

static const wd_detector_ref_t refs[] = {
    {"cisa", "TA14-017A",
     "https://www.cisa.gov/news-events/alerts/2014/01/17/"
     "udp-based-amplification-attacks",
     "UDP-Based Amplification Attacks"},
};

/* The sources it names are the reflectors, never the attacker. */
const wd_detector_t wd_detector_amplification = {
    WD_DETECTOR_ID(
        "ddos.amplification", WD_LINE_DDOS,
        "reflected UDP, its fragments and SYN-ACKs towards a protected "
        "host"),
    .flags = WD_DETECTOR_REFLECTED,
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_KEYS(conf_keys),
    WD_DETECTOR_REFS(refs),
    .create = create,
    .on_packet = on_packet,
    WD_FLOOD_HOOKS,
};
