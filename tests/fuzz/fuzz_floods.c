/* fuzz_floods.c -- libFuzzer target for the flood, scan and worm detectors
 * (ddos.*, scan.*, worm.smb-fanout) and the ICMP quote parser they use.
 * Input: records of 12 bytes, each one synthetic packet (kind, TCP flags,
 * addresses from a small pool of protected/public IPv4/IPv6 hosts or
 * derived from the bytes, ports, time step, size, flow shape), followed by
 * up to 63 bytes of payload taken from the input (ICMP quotes, DNS/NTP
 * headers). Every detector sees every packet, with a tick at each new
 * second of traffic time, then the end of input. Besides the sanitizers'
 * checks, aborts when an alert breaks its contract (names, state order per
 * attack, times, metric count). All state is freed after each input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"

extern const wd_detector_ops_t wd_detector_smb_fanout, wd_detector_syn_flood,
    wd_detector_amplification, wd_detector_volumetric,
    wd_detector_scan_horizontal, wd_detector_scan_vertical;

#define NDET 6
#define NSEC 1000000000ull
#define OPEN_MAX 4096

typedef struct run {
  uint64_t open_ids[OPEN_MAX]; /* attacks between START and END */
  unsigned nopen;
  uint64_t now;
} run;

static void on_alert(void *user, const wd_alert_t *a) {
  run *r = user;
  if (!a->detector || !a->signature || !a->rsit_class || !a->rsit_type ||
      a->attack_id == 0 || a->n_metrics > WD_ALERT_METRICS_MAX ||
      a->severity < 1 || a->severity > 4 || a->ts_ns > r->now ||
      a->start_ns > a->ts_ns)
    abort();
  for (unsigned i = 0; i < a->n_metrics; i++)
    if (!a->metrics[i].name ||
        (a->metrics[i].type == WD_METRIC_STR && !a->metrics[i].v.s))
      abort();
  unsigned i = 0;
  while (i < r->nopen && r->open_ids[i] != a->attack_id)
    i++;
  bool known = i < r->nopen;
  if (a->state == WD_ALERT_START) {
    if (known)
      abort(); /* two STARTs */
    if (r->nopen < OPEN_MAX)
      r->open_ids[r->nopen++] = a->attack_id;
  } else if (!known && r->nopen < OPEN_MAX) {
    abort(); /* UPDATE or END of an attack never started */
  } else if (known && a->state == WD_ALERT_END) {
    r->open_ids[i] = r->open_ids[--r->nopen];
  }
}

static wd_addr_t pool(uint8_t i, const uint8_t *rec) {
  static const char *const names[8] = {
      "10.10.10.10", "192.168.1.5", "198.51.100.7", "203.0.113.9",
      "fd00::10",    "2001:db8::7", "224.0.0.251",  "10.0.0.255"};
  wd_addr_t a;
  if (i & 0x80) { /* derived from the record: many distinct addresses */
    uint8_t b[4] = {(uint8_t)(i & 0x40 ? 10 : 1), rec[4], rec[5], rec[9]};
    wd_addr_from_v4(&a, b);
  } else if (wd_addr_parse(names[i & 7], &a) != WD_OK) {
    abort();
  }
  return a;
}

static const uint16_t ports[16] = {445,   53, 123, 161,  1900, 389, 80, 443,
                                   11211, 19, 17,  3702, 500,  137, 22, 65535};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Small thresholds so that short inputs reach every state; loaded
   * once. */
  static wd_config_t *cfgp;
  static const char yaml[] =
      "detect: {memcap: 16 MiB, update_interval: 3s, end_after: 2s,\n"
      "  smb_fanout: {targets: 4, window: 10s},\n"
      "  syn_flood: {min_pps: 5, ratio: 2},\n"
      "  amplification: {min_pps: 5, min_bps: 8000, min_reflectors: 2},\n"
      "  volumetric: {max_pps: 8, max_bps: 20000},\n"
      "  scan: {min_hosts: 3, min_ports: 3, attempt_timeout: 1s}}\n";
  if (!cfgp && wd_detect_config_load_buffer("fuzz", yaml, sizeof yaml - 1,
                                            &cfgp, NULL, 0) != WD_OK)
    abort();
  const wd_config_t *cfg = cfgp;

  const wd_detector_ops_t *ops[NDET] = {
      &wd_detector_smb_fanout,      &wd_detector_syn_flood,
      &wd_detector_amplification,   &wd_detector_volumetric,
      &wd_detector_scan_horizontal, &wd_detector_scan_vertical};
  void *st[NDET] = {0};
  wd_memcap_t mc;
  wd_memcap_init(&mc, "detect", cfg->detect.memcap);
  static run r;
  memset(&r, 0, sizeof r);
  wd_alert_sink_t sink = {on_alert, &r};
  wd_detect_ctx_t ctx = {.cfg = cfg, .sink = &sink};
  for (int i = 0; i < NDET; i++)
    if (ops[i]->create(cfg, &mc, &st[i]) != WD_OK)
      abort();

  uint64_t t = 1700000000ull * NSEC, sec = t / NSEC;
  size_t off = 0;
  while (size - off >= 12) {
    const uint8_t *rec = data + off;
    off += 12;
    uint32_t plen = rec[11] & 63;
    if (plen > size - off)
      plen = (uint32_t)(size - off);
    const uint8_t *pl = plen ? data + off : NULL;
    off += plen;

    t += rec[8] == 255 ? 5 * NSEC : (uint64_t)rec[8] * 10000000ull;
    if (t / NSEC > sec) {
      sec = t / NSEC;
      r.now = sec * NSEC;
      for (int i = 0; i < NDET; i++)
        if (st[i])
          ops[i]->on_tick(st[i], &ctx, sec * NSEC);
    }
    r.now = t;
    wd_packet_t p;
    memset(&p, 0, sizeof p);
    p.ts_ns = t;
    p.src = pool(rec[2], rec);
    p.dst = pool(rec[3], rec);
    p.ip_version = wd_addr_is_v4(&p.src) ? 4 : 6;
    p.ip_len = p.l3_len = 20u + rec[9] * 6u;
    p.sport =
        rec[6] & 0x80 ? ports[rec[6] & 15] : (uint16_t)(rec[6] << 8 | rec[4]);
    p.dport =
        rec[7] & 0x80 ? ports[rec[7] & 15] : (uint16_t)(rec[7] << 8 | rec[5]);
    p.payload = pl;
    p.payload_len = plen;
    switch (rec[0] & 7) {
    case 0:
    case 1:
      p.l4_proto = WD_PROTO_TCP;
      p.has_l4 = true;
      p.tcp_flags = rec[1];
      break;
    case 2:
    case 3:
      p.l4_proto = WD_PROTO_UDP;
      p.has_l4 = true;
      break;
    case 4:
      p.l4_proto = p.ip_version == 4 ? WD_PROTO_ICMP : WD_PROTO_ICMPV6;
      p.has_l4 = true;
      p.icmp_type = rec[1] & 1 ? (p.ip_version == 4 ? 3 : 1) : rec[1];
      p.sport = p.dport = 0;
      break;
    case 5: /* fragment */
      p.l4_proto = rec[1] & 1 ? WD_PROTO_UDP : WD_PROTO_TCP;
      p.fragment = true;
      p.first_fragment = rec[1] & 2;
      p.has_l4 = p.first_fragment;
      break;
    default:
      p.l4_proto = rec[1];
      break;
    }
    wd_flow_t f;
    memset(&f, 0, sizeof f);
    const wd_flow_t *fp = NULL;
    int dir = rec[10] & 1;
    if (rec[10] & 2) {
      f.id = off;
      f.cli = dir ? p.dst : p.src;
      f.srv = dir ? p.src : p.dst;
      f.proto = p.l4_proto;
      f.pkts[0] = (rec[10] >> 2) & 3;
      f.pkts[1] = (rec[10] >> 4) & 3;
      f.pkts[dir]++;
      f.tcp_flags[dir] = p.tcp_flags;
      f.tcp_flags[!dir] = rec[10] & 0x40 ? WD_TCP_SYN : 0;
      f.pkt_events = rec[10] & 0x80 ? WD_FLOW_EV_ESTABLISHED : 0;
      fp = &f;
    }
    for (int i = 0; i < NDET; i++)
      if (st[i])
        ops[i]->on_packet(st[i], &ctx, &p, fp, dir);
    if (mc.used > mc.cap)
      abort();
  }
  r.now = t;
  for (int i = 0; i < NDET; i++)
    if (st[i])
      ops[i]->on_finish(st[i], &ctx, t);
  if (r.nopen != 0)
    abort(); /* every attack ended */
  for (int i = 0; i < NDET; i++)
    if (st[i])
      ops[i]->destroy(st[i]);
  if (mc.used != 0)
    abort();
  return 0;
}
