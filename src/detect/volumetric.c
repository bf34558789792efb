/* volumetric.c -- ddos.volumetric: packets/s or bits/s towards one
 * protected host above its threshold, whatever the protocol (per-host
 * thresholds in the manner of FastNetMon), counting only traffic the host
 * did not ask for.
 * In: every IP packet towards a protected address that is not part of an
 * established two-way conversation (see unsolicited): unanswered SYNs,
 * ACKs and data of no handshake, UDP/ICMP/other datagrams of flows the
 * host never sent in, packets of no known flow. A DICOM store, a backup
 * or a VM snapshot at line rate is one connection the host accepted and
 * answers: it is never a flood. Out: alerts through the
 * flood engine (flood.c) with the rates, the thresholds that applied, the
 * dominant protocol, distinct sources (HyperLogLog) and, when one source
 * sends at least half of the traffic, that source. Memory: the engine's
 * victim table (1/10 of detect.memcap) and attack array.
 *
 * Thresholds of a host: its facility's max_pps / max_bps when set, else
 * detect.volumetric.max_pps / max_bps; 0 disables that one. They are looked
 * up once, when the host enters the victim table. A second is an attack
 * when it reaches either.
 *
 * One activity, one alert: UDP answers from reflector service ports
 * (reflect.h) and the fragments of answers are counted as their own kind;
 * a second whose traffic is mostly such answers from at least
 * detect.amplification.min_reflectors sources is a reflection attack,
 * ddos.amplification's to report (when it is on), not a second alert
 * here. A flood from one or a few sources using a reflector port stays
 * this detector's. */
#include <stdlib.h>

#include "detect/detector.h"
#include "detect/flood.h"
#include "detect/reflect.h"

extern const wd_detector_t wd_detector_volumetric;

/* K_REFLECTED: UDP answers from reflector ports and non-first UDP
 * fragments, reported as udp. */
enum { K_TCP, K_UDP, K_ICMP, K_OTHER, K_REFLECTED, K_COUNT };
static const char *const kind_names[K_COUNT] = {"tcp", "udp", "icmp", "other",
                                                "udp"};
static const uint8_t kind_proto[K_COUNT] = {WD_PROTO_TCP, WD_PROTO_UDP, 0, 0,
                                            WD_PROTO_UDP};

/* The detect.volumetric keys; enabled first (wd_flood_create). */
typedef struct vol_conf {
  bool enabled;
  uint64_t max_pps; /* default per host; a facility's max_pps overrides */
  uint64_t max_bps;
} vol_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(vol_conf, "detect.volumetric.enabled", enabled, "true",
                "any traffic to one host above its packet or bit rate"),
    WD_KEY_RATE(vol_conf, "detect.volumetric.max_pps", max_pps, "50000", 1,
                10000000000ull,
                "packets per second to one host; a facility's max_pps "
                "overrides"),
    WD_KEY_BITS(vol_conf, "detect.volumetric.max_bps", max_bps, "500 Mbit/s", 1,
                10000000000000ull,
                "bits per second to one host; a facility's max_bps "
                "overrides"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(vol_conf, conf_rows, NULL);

static void init_victim(const wd_flood_t *fl, const wd_addr_t *victim,
                        wd_flood_sec_t *s) {
  const vol_conf *c = wd_flood_conf(fl);
  const wd_facility_t *fac = wd_config_facility_of(wd_flood_cfg(fl), victim);
  s->thr[0] = fac && fac->max_pps ? fac->max_pps : c->max_pps;
  s->thr[1] = fac && fac->max_bps ? fac->max_bps : c->max_bps;
}

/* Mostly reflected answers from as many sources as ddos.amplification
 * needs, with that detector on: its attack (asked only of such seconds). */
static bool reflection(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  if (!(s->kind.k && s->kind.v == K_REFLECTED))
    return false;
  const wd_config_t *cfg = wd_flood_cfg(fl);
  bool amp_on = false;
  uint64_t min_reflectors = 0;
  return wd_config_bool(cfg, "detect.amplification.enabled", &amp_on) &&
         amp_on &&
         wd_config_uint(cfg, "detect.amplification.min_reflectors",
                        &min_reflectors) &&
         wd_flood_sec_sources(s) >= min_reflectors;
}

static bool over(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  bool rate = (s->thr[0] && s->pkts >= s->thr[0]) ||
              (s->thr[1] && s->bytes * 8 >= s->thr[1]);
  return rate && !reflection(fl, s);
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  (void)fl;
  unsigned k = at->kind.k && at->kind.v < K_COUNT ? at->kind.v : K_OTHER;
  al->proto = kind_proto[k];
  if (k == K_ICMP && at->kind.k) /* ICMP or ICMPv6: say which */
    al->proto = wd_addr_is_v4(&at->victim) ? WD_PROTO_ICMP : WD_PROTO_ICMPV6;
  if ((k == K_TCP || k == K_UDP || k == K_REFLECTED) &&
      wd_flood_key_dominant(at)) {
    al->has_ports = true;
    al->dport = (uint16_t)at->key.v;
  }
  if (wd_flood_src_dominant(at)) {
    al->has_src = true;
    al->src = at->src.v;
  }
  wd_alert_add_str(al, "protocol", kind_names[k]);
  wd_alert_add_u64(al, "threshold_pps", at->thr[0]);
  wd_alert_add_u64(al, "threshold_bps", at->thr[1]);
}

static const wd_flood_ops_t ops = {
    .det = &wd_detector_volumetric,
    .sources_metric = "sources",
    .over = over,
    .init_victim = init_victim,
    .report = report,
};

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return wd_flood_create(&ops, cfg, mc, state);
}

/* p (towards the protected host, direction dir of flow f) is not part of
 * a conversation the host takes part in. TCP: the handshake was not seen
 * both ways (a flow picked up mid-stream counts as a conversation once the
 * host sends in it without resetting). Others: the host never sent in
 * the flow. Non-first fragments have a port-less flow of their own (the
 * address pair): they count like any datagram of it. */
static bool unsolicited(const wd_packet_t *p, const wd_flow_t *f, int dir) {
  if (!f)
    return true;
  int back = dir ^ 1;
  if (p->l4_proto == WD_PROTO_TCP && f->proto == WD_PROTO_TCP) {
    if ((f->tcp_flags[dir] & WD_TCP_SYN) && (f->tcp_flags[back] & WD_TCP_SYN))
      return false; /* a handshake both ways */
    if (!(f->tcp_flags[dir] & WD_TCP_SYN) && !(f->tcp_flags[back] & WD_TCP_SYN))
      return f->pkts[back] == 0 || (f->tcp_flags[back] & WD_TCP_RST);
    return true; /* SYNs one way only */
  }
  return f->pkts[back] == 0;
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  /* the flow's own state first: most packets belong to a conversation,
   * and that answer costs no lookup in the protected networks */
  if (p->ip_version == 0 || !unsolicited(p, f, dir) ||
      !wd_config_is_protected(ctx->cfg, &p->dst))
    return;
  wd_flood_pkt_t fp = {.victim = &p->dst,
                       .src = &p->src,
                       .ts_ns = p->ts_ns,
                       .pkts = 1,
                       .bytes = wd_flood_ip_bytes(p),
                       .key = WD_FLOOD_NONE,
                       .mode = WD_FLOOD_CREATE};
  switch (p->l4_proto) {
  case WD_PROTO_TCP:
    fp.kind = K_TCP;
    break;
  case WD_PROTO_UDP: {
    int r = p->has_l4 ? wd_reflect_kind(p->sport) : -1;
    if (p->fragment && !p->first_fragment)
      fp.kind = K_REFLECTED; /* no header: as the answers it is part of */
    else if (r >= 0 && wd_reflect_is_answer((unsigned)r, p->sport, p->dport,
                                            p->payload, p->payload_len))
      fp.kind = K_REFLECTED;
    else
      fp.kind = K_UDP;
    break;
  }
  case WD_PROTO_ICMP:
  case WD_PROTO_ICMPV6:
    fp.kind = K_ICMP;
    break;
  default:
    fp.kind = K_OTHER;
    break;
  }
  if ((fp.kind == K_TCP || fp.kind == K_UDP || fp.kind == K_REFLECTED) &&
      p->has_l4)
    fp.key = p->dport;
  wd_flood_add(state, ctx, &fp);
}

static const wd_detector_sig_t sigs[] = {
    WD_FLOOD_DDOS_SIG(2100303, "Traffic towards a protected host above its "
                               "volumetric threshold"),
};

const wd_detector_t wd_detector_volumetric = {
    WD_DETECTOR_ID(
        "ddos.volumetric", WD_LINE_DDOS,
        "packets/s or bits/s to one protected host above its threshold"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_KEYS(conf_keys),
    .create = create,
    .on_packet = on_packet,
    WD_FLOOD_HOOKS,
    .cost = 23,
};
