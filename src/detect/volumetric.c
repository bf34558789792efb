/* volumetric.c -- ddos.volumetric: packets/s or bits/s towards one
 * protected host above its threshold, whatever the protocol (per-host
 * thresholds in the manner of FastNetMon).
 * In: every IP packet towards a protected address. Out: alerts through the
 * flood engine (flood.c) with the rates, the thresholds that applied, the
 * dominant protocol, distinct sources (HyperLogLog) and, when one source
 * sends at least half of the traffic, that source. Memory: the engine's
 * victim table (1/10 of detect.memcap) and attack array.
 *
 * Thresholds of a host: its facility's max_pps / max_bps when set, else
 * detect.volumetric.max_pps / max_bps; 0 disables that one. They are looked
 * up once, when the host enters the victim table. A second is an attack
 * when it reaches either. */
#include <stdlib.h>

#include "detect/detector.h"
#include "detect/flood.h"

extern const wd_detector_t wd_detector_volumetric;

enum { K_TCP, K_UDP, K_ICMP, K_OTHER, K_COUNT };
static const char *const kind_names[K_COUNT] = {"tcp", "udp", "icmp", "other"};
static const uint8_t kind_proto[K_COUNT] = {WD_PROTO_TCP, WD_PROTO_UDP, 0, 0};

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

static bool over(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  (void)fl;
  return (s->thr[0] && s->pkts >= s->thr[0]) ||
         (s->thr[1] && s->bytes * 8 >= s->thr[1]);
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  (void)fl;
  unsigned k = at->kind.k && at->kind.v < K_COUNT ? at->kind.v : K_OTHER;
  al->proto = kind_proto[k];
  if (k == K_ICMP && at->kind.k) /* ICMP or ICMPv6: say which */
    al->proto = wd_addr_is_v4(&at->victim) ? WD_PROTO_ICMP : WD_PROTO_ICMPV6;
  if ((k == K_TCP || k == K_UDP) && wd_flood_key_dominant(at)) {
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

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  (void)f;
  (void)dir;
  if (p->ip_version == 0 || !wd_config_is_protected(ctx->cfg, &p->dst))
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
  case WD_PROTO_UDP:
    fp.kind = K_UDP;
    break;
  case WD_PROTO_ICMP:
  case WD_PROTO_ICMPV6:
    fp.kind = K_ICMP;
    break;
  default:
    fp.kind = K_OTHER;
    break;
  }
  if ((fp.kind == K_TCP || fp.kind == K_UDP) && p->has_l4)
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
};
