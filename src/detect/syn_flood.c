/* syn_flood.c -- ddos.syn-flood: TCP SYNs towards one protected host far
 * above the handshakes it completes.
 * In: every TCP packet with its flow (SYN without ACK towards a protected
 * address counts; a packet that completed a handshake with that address as
 * server counts as one handshake). Out: START/UPDATE/END alerts through the
 * flood engine (flood.c), with peak packets/s, distinct sources (HyperLogLog
 * estimate), handshakes and whether the sources look spoofed. A handshake
 * is the flow table's WD_FLOW_EV_ESTABLISHED, or, in a capture that only
 * sees the client side, the client's ACK right after its SYN. Memory: the
 * engine's victim table (1/10 of detect.memcap) and attack array.
 *
 * A second of one victim is an attack when it holds at least
 * detect.syn_flood.min_pps SYNs and more than detect.syn_flood.ratio SYNs
 * per completed handshake. Sources look spoofed when there are many of
 * them (>= SPOOF_MIN_SOURCES) and they send few SYNs each (<=
 * SPOOF_SYN_PER_SOURCE on average): random-source floods send about one
 * SYN per address, real bots send many. Then no source is named (has_src
 * false, spoofed=true); a single dominant unspoofed source is named.
 *
 * One activity, one alert: a flood concentrates on a service to exhaust
 * it; a scan spreads over ports and is refused. A second whose SYNs come
 * mostly from one source, spread over ports (no port has half of them) and
 * are mostly refused by the victim (RSTs to SYNs, counted in aux2) is a
 * vertical scan, scan.vertical's to report (which says how fast it went):
 * while detect.scan is enabled it is not a flood here. */
#include <stdlib.h>

#include "detect/detector.h"
#include "detect/flood.h"

extern const wd_detector_t wd_detector_syn_flood;

#define SPOOF_MIN_SOURCES 64
#define SPOOF_SYN_PER_SOURCE 4

static bool spoofed(const wd_flood_attack_t *at) {
  uint64_t n = wd_flood_sources(at);
  return n >= SPOOF_MIN_SOURCES && at->pkts <= SPOOF_SYN_PER_SOURCE * n;
}

/* The detect.syn_flood keys; enabled first (wd_flood_create). */
typedef struct syn_conf {
  bool enabled;
  uint64_t min_pps; /* SYN/s to one host */
  uint32_t ratio;   /* SYNs per completed handshake */
} syn_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(syn_conf, "detect.syn_flood.enabled", enabled, "true",
                "TCP SYN floods against one host"),
    WD_KEY_RATE(syn_conf, "detect.syn_flood.min_pps", min_pps, "1000", 1,
                1000000000, "SYN packets per second to one host, at least"),
    WD_KEY_UINT(syn_conf, "detect.syn_flood.ratio", ratio, "10", 1, 1000000,
                "SYNs per completed handshake, at least"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(syn_conf, conf_rows, NULL);

/* The second looks like one source's port scan (see the header), and the
 * scan detectors are on to report it. */
static bool scan_shaped(const wd_config_t *cfg, const wd_flood_sec_t *s) {
  if (!(s->pkts && s->src.k * 2 >= s->pkts && s->key.k * 2 < s->pkts &&
        s->aux2 * 2 >= s->pkts))
    return false;
  bool scan_on;
  return wd_config_bool(cfg, "detect.scan.enabled", &scan_on) && scan_on;
}

static bool over(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  const syn_conf *c = wd_flood_conf(fl);
  if (scan_shaped(wd_flood_cfg(fl), s))
    return false;
  if (s->pkts < (c->min_pps ? c->min_pps : 1))
    return false;
  return c->ratio == 0 || s->pkts > (uint64_t)c->ratio * s->aux;
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  bool sp = spoofed(at);
  al->proto = WD_PROTO_TCP;
  if (wd_flood_key_dominant(at)) {
    al->has_ports = true;
    al->dport = (uint16_t)at->key.v;
  }
  if (!sp && wd_flood_src_dominant(at)) {
    al->has_src = true;
    al->src = at->src.v;
  }
  wd_alert_add_u64(al, "handshakes", at->aux);
  wd_alert_add_u64(al, "refused", at->aux2);
  wd_alert_add_bool(al, "spoofed", sp);
  if (!sp)
    wd_flood_add_sample(fl, al, "sources_sample", at);
}

static const wd_flood_ops_t ops = {
    .det = &wd_detector_syn_flood,
    .sources_metric = "sources",
    .over = over,
    .report = report,
};

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return wd_flood_create(&ops, cfg, mc, state);
}

/* A capture that sees only the traffic towards the server never shows the
 * SYN-ACK, so the flow table never calls the handshake complete; the
 * client's first ACK right after its SYN says the same. */
static bool one_way_handshake(const wd_packet_t *p, const wd_flow_t *f,
                              int dir) {
  return dir == WD_DIR_TO_SERVER && f->tcp_state == WD_TCP_SYN_SENT &&
         f->pkts[WD_DIR_TO_CLIENT] == 0 && f->pkts[WD_DIR_TO_SERVER] == 2 &&
         (f->tcp_flags[WD_DIR_TO_SERVER] & WD_TCP_SYN) &&
         (p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST)) == WD_TCP_ACK;
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  if (p->l4_proto != WD_PROTO_TCP || !p->has_l4)
    return;
  wd_flood_t *fl = state;
  wd_flood_pkt_t fp = {.ts_ns = p->ts_ns};
  if ((p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST)) == WD_TCP_SYN) {
    if (!wd_config_is_protected(ctx->cfg, &p->dst))
      return;
    fp.victim = &p->dst;
    fp.src = &p->src;
    fp.pkts = 1;
    fp.bytes = wd_flood_ip_bytes(p);
    fp.key = p->dport;
    fp.mode = WD_FLOOD_CREATE;
  } else if (f && ((f->pkt_events & WD_FLOW_EV_ESTABLISHED) ||
                   one_way_handshake(p, f, dir))) {
    fp.victim = &f->srv;
    fp.src = &f->cli;
    fp.aux = 1;
    fp.mode = WD_FLOOD_IF_KNOWN;
  } else if (f && dir == WD_DIR_TO_CLIENT && (p->tcp_flags & WD_TCP_RST) &&
             (f->tcp_flags[WD_DIR_TO_SERVER] & WD_TCP_SYN) &&
             !(f->tcp_flags[WD_DIR_TO_CLIENT] & WD_TCP_SYN)) {
    /* The server refused a SYN (closed port). */
    fp.victim = &f->srv;
    fp.src = &f->cli;
    fp.aux2 = 1;
    fp.mode = WD_FLOOD_IF_KNOWN;
  } else {
    return;
  }
  wd_flood_add(fl, ctx, &fp);
}

static const wd_detector_sig_t sigs[] = {
    WD_FLOOD_DDOS_SIG(2100301, "TCP SYN flood against a protected host"),
};

static const wd_detector_ref_t refs[] = {
    {"ietf", "RFC 4987", "https://www.rfc-editor.org/rfc/rfc4987",
     "TCP SYN Flooding Attacks and Common Mitigations"},
};

const wd_detector_t wd_detector_syn_flood = {
    WD_DETECTOR_ID(
        "ddos.syn-flood", WD_LINE_DDOS,
        "SYNs to a protected host far above the handshakes it completes"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_KEYS(conf_keys),
    WD_DETECTOR_REFS(refs),
    .create = create,
    .on_packet = on_packet,
    .packets = WD_PKT_TCP,
    WD_FLOOD_HOOKS,
    .cost = 10,
};
