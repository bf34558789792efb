/* amplification.c -- ddos.amplification: reflected traffic towards one
 * protected host.
 * In: UDP packets and TCP SYN-ACKs with their flow, and IP fragments.
 * Counted towards a protected destination, in flows it never sent in: (1)
 * UDP from a reflector service port (reflect.h: DNS, NTP, SNMP, SSDP,
 * CLDAP, memcached, chargen, QOTD, WS-Discovery, ISAKMP and IKE NAT-T,
 * NetBIOS, Ubiquiti discovery, Dahua DVR, portmap, MS-SQL browser, mDNS,
 * ARD, CoAP, RIP, BACnet, OpenVPN, RDP over UDP, DTLS, SLP, TFTP) whose
 * payload can be an answer (reflect.c: a busy NTP or DNS server receiving
 * requests, IKE peers on port 500, QUIC on UDP 443 are not); (2) UDP from
 * any other port, which makes an attack only when one source port carries
 * most of the second (many reflectors answering from one service port we
 * do not know: "udp-other"); (3) non-first IP fragments: from a source
 * this network has not sent to lately (a filter of recent destinations), as
 * an attack of their own (answers whose first fragments are dropped on the
 * way), else only towards a host receiving reflection this second or
 * under an open attack; (4) TCP SYN-ACKs to a host that sent no SYN in
 * that flow (SYN-ACK reflection). Out: alerts through the flood engine
 * with the reflected protocol, reflector port, estimated reflectors
 * (HyperLogLog), fragments, peak packets/s and bits/s, and a sample of
 * reflector addresses. The reflectors are misused, not the attacker:
 * has_src is always false. Memory: the engine's victim table (1/10 of
 * detect.memcap), its attack array, and the filter of addresses packets
 * went to (detect.amplification.contacted_max, 4 bytes each).
 *
 * A second is an attack when it reaches detect.amplification.min_pps
 * packets or min_bps bits/s (a threshold set to 0 is not used) from at
 * least min_reflectors distinct sources. */
#include <stdlib.h>
#include <string.h>

#include "core/addrset.h"
#include "detect/detector.h"
#include "detect/flood.h"
#include "detect/reflect.h"

extern const wd_detector_t wd_detector_amplification;

/* Kinds: the reflector services of reflect.h, then these. */
enum {
  K_SYNACK = WD_REFLECT_COUNT, /* TCP SYN-ACK reflection */
  K_FRAGMENT,                  /* non-first fragments only */
  K_GENERIC,                   /* unsolicited UDP from one shared port */
  K_COUNT
};

static const char *kind_name(unsigned k) {
  switch (k) {
  case K_SYNACK:
    return "tcp-synack";
  case K_FRAGMENT:
    return "fragment";
  case K_GENERIC:
    return "udp-other";
  default:
    return wd_reflect_name(k);
  }
}

/* The detect.amplification keys; enabled first (wd_flood_create). */
typedef struct amp_conf {
  bool enabled;
  uint64_t min_pps;        /* reflected packets per second to one host */
  uint64_t min_bps;        /* reflected bits per second */
  uint32_t min_reflectors; /* distinct reflectors sending to it */
  uint32_t contacted_max;  /* addresses the recent-destination filter holds */
  uint32_t contacted_s;    /* and how long it remembers one, at least */
} amp_conf;

/* The flood engine, and the addresses this network sent packets to lately
 * (of which a fragment's source is asked). */
typedef struct amp {
  wd_flood_t *fl;
  wd_addr_seen_t contacted;
} amp;

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
    WD_KEY_UINT(amp_conf, "detect.amplification.contacted_max", contacted_max,
                "262144", 1024, 100000000,
                "destinations remembered as contacted, by which fragments "
                "from a source nobody here sent to count on their own (4 "
                "bytes each; when more come, older ones are forgotten "
                "early)"),
    WD_KEY_SECS(amp_conf, "detect.amplification.contacted_memory", contacted_s,
                "300s", 1, 86400,
                "how long a contacted destination is remembered, at least "
                "(at most twice this)"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(amp_conf, conf_rows, NULL);

static bool over(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  const amp_conf *c = wd_flood_conf(fl);
  bool rate = (c->min_pps && s->pkts >= c->min_pps) ||
              (c->min_bps && s->bytes * 8 >= c->min_bps);
  if (!rate || wd_flood_sec_sources(s) < c->min_reflectors)
    return false;
  /* Traffic from ports of no known service is reflection only when one
   * source port carries most of it (many reflectors answering from their
   * service port); random ports are a plain flood, ddos.volumetric's. */
  if (s->kind.k && s->kind.v == K_GENERIC)
    return s->key.k * 2 >= s->pkts;
  return true;
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  unsigned k = at->kind.k && at->kind.v < K_COUNT ? at->kind.v : K_FRAGMENT;
  al->proto = k == K_SYNACK ? WD_PROTO_TCP : WD_PROTO_UDP;
  wd_alert_add_str(al, "protocol", kind_name(k));
  if (k < WD_REFLECT_COUNT)
    wd_alert_add_u64(al, "reflector_port", wd_reflect_port(k));
  else if (k == K_GENERIC && wd_flood_key_dominant(at))
    wd_alert_add_u64(al, "reflector_port", at->key.v);
  wd_alert_add_u64(al, "fragments", at->aux);
  wd_flood_add_sample(fl, al, "reflectors_sample", at);
  /* Above the target's volumetric threshold too: said here, not in a
   * second alert (ddos.volumetric leaves reflection to this detector). */
  const wd_config_t *cfg = wd_flood_cfg(fl);
  const wd_facility_t *fac = wd_config_facility_of(cfg, &at->victim);
  bool vol_on = false;
  uint64_t pps = 0, bps = 0;
  wd_config_bool(cfg, "detect.volumetric.enabled", &vol_on);
  wd_config_uint(cfg, "detect.volumetric.max_pps", &pps);
  wd_config_uint(cfg, "detect.volumetric.max_bps", &bps);
  if (fac && fac->max_pps)
    pps = fac->max_pps;
  if (fac && fac->max_bps)
    bps = fac->max_bps;
  if (vol_on && ((pps && at->peak_pps >= pps) || (bps && at->peak_bps >= bps)))
    wd_alert_add_str(al, "also_matches", "ddos.volumetric");
}

static const wd_flood_ops_t ops = {
    .det = &wd_detector_amplification,
    .sources_metric = "reflectors",
    .over = over,
    .report = report,
};

static void destroy(void *state) {
  amp *a = state;
  if (!a)
    return;
  wd_flood_free(a->fl);
  wd_addr_seen_free(&a->contacted);
  free(a);
}

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  *state = NULL;
  const amp_conf *c = wd_detector_conf(cfg, &wd_detector_amplification);
  if (!c)
    return WD_ERR_CONFIG;
  if (!c->enabled)
    return WD_OK;
  amp *a = calloc(1, sizeof *a);
  if (!a)
    return WD_ERR_NOMEM;
  wd_rc rc = wd_flood_create(&ops, cfg, mc, (void **)&a->fl);
  if (rc == WD_OK)
    rc = wd_addr_seen_init(&a->contacted, c->contacted_max,
                           (uint64_t)c->contacted_s * WD_NSEC, mc);
  if (rc != WD_OK) {
    destroy(a);
    return rc;
  }
  *state = a;
  return WD_OK;
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns) {
  amp *a = state;
  wd_addr_seen_tick(&a->contacted, now_ns);
  wd_flood_tick(a->fl, ctx, now_ns);
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx,
                      uint64_t now_ns) {
  wd_flood_finish(((amp *)state)->fl, ctx, now_ns);
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
  amp *a = state;
  wd_addr_seen_mark(&a->contacted, &p->dst);
  wd_flood_pkt_t fp = {.victim = &p->dst,
                       .src = &p->src,
                       .ts_ns = p->ts_ns,
                       .pkts = 1,
                       .bytes = wd_flood_ip_bytes(p),
                       .mode = WD_FLOOD_CREATE};
  if (p->fragment && !p->first_fragment) {
    if (p->l4_proto != WD_PROTO_UDP)
      return;
    /* No ports. A fragment stream from a source this network has not sent
     * to lately is unsolicited: counted on its own (answers whose first
     * fragments never arrive); otherwise only while reflection towards
     * this host is under way. Fragments take no part in the protocol's
     * vote: an attack of fragments alone reads "fragment", and the first
     * fragments name the protocol when they arrive. */
    fp.kind = WD_FLOOD_NONE;
    fp.key = WD_FLOOD_NONE;
    fp.aux = 1;
    fp.mode = wd_addr_seen_has(&a->contacted, &p->src) ? WD_FLOOD_IF_ACTIVE
                                                       : WD_FLOOD_CREATE;
  } else if (p->l4_proto == WD_PROTO_UDP && p->has_l4) {
    if (!unsolicited_udp(f, dir))
      return;
    int k = wd_reflect_kind(p->sport);
    if (k >= 0 && !wd_reflect_is_answer((unsigned)k, p->sport, p->dport,
                                        p->payload, p->payload_len))
      return;
    if (k < 0 && p->sport == p->dport)
      return; /* peers on one port (syslog, RTP pairs): not answers */
    fp.kind = k >= 0 ? (uint32_t)k : K_GENERIC;
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
  wd_flood_add(a->fl, ctx, &fp);
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
    .destroy = destroy,
    .on_packet = on_packet,
    .on_tick = on_tick,
    .on_finish = on_finish,
    .cost = 36,
};
