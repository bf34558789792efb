/* det_drive.h -- drives one flood, scan or worm detector the way the
 * pipeline does, for the detector unit tests: a hand-built configuration
 * (the documented defaults), packets and flows filled field by field, a
 * tick at every new second of traffic time before the packet that enters
 * it, and a sink that records alerts (strings copied). */
#ifndef WD_TESTS_DET_DRIVE_H
#define WD_TESTS_DET_DRIVE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "det_config.h"
#include "detect/detector.h"

#define DD_NSEC 1000000000ull
#define DD_MS 1000000ull
#define DD_T0 (1700000000ull * DD_NSEC)
#define DD_ALERTS 64

typedef struct dd_alert {
  wd_alert_t a;
  char detector[40], rsit_class[40], rsit_type[40];
  char metric[WD_ALERT_METRICS_MAX][600]; /* value as text */
} dd_alert;

typedef struct dd {
  const wd_detector_ops_t *ops;
  void *state;
  wd_config_t cfg;
  wd_memcap_t mc;
  wd_alert_sink_t sink;
  wd_detect_ctx_t ctx;
  uint64_t sec; /* second of the last packet (0: none yet) */
  uint64_t now;
  dd_alert al[DD_ALERTS];
  unsigned n;     /* alerts recorded */
  unsigned total; /* alerts emitted */
} dd;

static inline void dd_emit(void *user, const wd_alert_t *a) {
  dd *d = user;
  d->total++;
  if (d->n >= DD_ALERTS)
    return;
  dd_alert *r = &d->al[d->n++];
  r->a = *a;
  snprintf(r->detector, sizeof r->detector, "%s", a->detector);
  snprintf(r->rsit_class, sizeof r->rsit_class, "%s", a->rsit_class);
  snprintf(r->rsit_type, sizeof r->rsit_type, "%s", a->rsit_type);
  for (unsigned i = 0; i < a->n_metrics && i < WD_ALERT_METRICS_MAX; i++) {
    const wd_alert_metric_t *m = &a->metrics[i];
    switch (m->type) {
    case WD_METRIC_U64:
      snprintf(r->metric[i], sizeof r->metric[i], "%llu",
               (unsigned long long)m->v.u);
      break;
    case WD_METRIC_F64:
      snprintf(r->metric[i], sizeof r->metric[i], "%.6g", m->v.d);
      break;
    case WD_METRIC_STR:
      snprintf(r->metric[i], sizeof r->metric[i], "%s", m->v.s ? m->v.s : "");
      break;
    case WD_METRIC_BOOL:
      snprintf(r->metric[i], sizeof r->metric[i], "%s",
               m->v.b ? "true" : "false");
      break;
    }
    if (m->type == WD_METRIC_STR)
      r->a.metrics[i].v.s = r->metric[i]; /* borrowed: keep the copy */
  }
  r->a.detector = r->detector;
  r->a.signature = NULL;
  r->a.category = NULL;
  r->a.rsit_class = r->rsit_class;
  r->a.rsit_type = r->rsit_type;
}

/* Sets up d for ops with d->cfg already filled (dd_defaults and changes). */
static inline wd_rc dd_open_cfg(dd *d, const wd_detector_ops_t *ops) {
  d->ops = ops;
  d->state = NULL;
  d->sec = 0;
  d->now = 0;
  d->n = d->total = 0;
  wd_memcap_init(&d->mc, "detect", d->cfg.detect.memcap);
  d->sink.emit = dd_emit;
  d->sink.user = d;
  d->ctx.cfg = &d->cfg;
  d->ctx.sink = &d->sink;
  return ops->create(&d->cfg, &d->mc, &d->state);
}

static inline wd_rc dd_open(dd *d, const wd_detector_ops_t *ops) {
  dd_defaults(&d->cfg);
  return dd_open_cfg(d, ops);
}

static inline void dd_close(dd *d) {
  if (d->state)
    d->ops->destroy(d->state);
  d->state = NULL;
}

/* Advances traffic time as the pipeline does: a tick at each new second. */
static inline void dd_time(dd *d, uint64_t ts) {
  if (ts <= d->now)
    return;
  d->now = ts;
  uint64_t sec = ts / DD_NSEC;
  if (d->sec == 0) {
    d->sec = sec;
    return;
  }
  if (sec > d->sec) {
    d->sec = sec;
    if (d->ops->on_tick)
      d->ops->on_tick(d->state, &d->ctx, sec * DD_NSEC);
  }
}

static inline void dd_packet(dd *d, const wd_packet_t *p, const wd_flow_t *f,
                             int dir) {
  dd_time(d, p->ts_ns);
  if (d->ops->on_packet)
    d->ops->on_packet(d->state, &d->ctx, p, f, dir);
}

static inline void dd_finish(dd *d) {
  if (d->ops->on_finish)
    d->ops->on_finish(d->state, &d->ctx, d->now);
}

/* ---- addresses, packets, flows ---- */

static inline wd_addr_t dd_a4(uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                  (uint8_t)v};
  wd_addr_t a;
  wd_addr_from_v4(&a, b);
  return a;
}

static inline wd_addr_t dd_ip(const char *s) {
  wd_addr_t a;
  memset(&a, 0, sizeof a);
  if (wd_addr_parse(s, &a) != WD_OK)
    abort();
  return a;
}

/* An IPv6 address: prefix text plus a 32-bit host part in the last bytes. */
static inline wd_addr_t dd_a6(const char *prefix, uint32_t host) {
  wd_addr_t a = dd_ip(prefix);
  a.b[12] = (uint8_t)(host >> 24);
  a.b[13] = (uint8_t)(host >> 16);
  a.b[14] = (uint8_t)(host >> 8);
  a.b[15] = (uint8_t)host;
  return a;
}

static inline wd_packet_t dd_tcp(uint64_t ts, wd_addr_t src, uint16_t sport,
                                 wd_addr_t dst, uint16_t dport, uint8_t flags) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ts_ns = ts;
  p.ip_version = wd_addr_is_v4(&src) ? 4 : 6;
  p.ttl = 64;
  p.src = src;
  p.dst = dst;
  p.l4_proto = WD_PROTO_TCP;
  p.has_l4 = true;
  p.sport = sport;
  p.dport = dport;
  p.tcp_flags = flags;
  p.ip_len = p.ip_version == 4 ? 40 : 60;
  p.l3_len = p.ip_len;
  return p;
}

static inline wd_packet_t dd_udp(uint64_t ts, wd_addr_t src, uint16_t sport,
                                 wd_addr_t dst, uint16_t dport, uint32_t ip_len,
                                 const uint8_t *payload, uint32_t payload_len) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ts_ns = ts;
  p.ip_version = wd_addr_is_v4(&src) ? 4 : 6;
  p.ttl = 64;
  p.src = src;
  p.dst = dst;
  p.l4_proto = WD_PROTO_UDP;
  p.has_l4 = true;
  p.sport = sport;
  p.dport = dport;
  p.ip_len = ip_len;
  p.l3_len = ip_len;
  p.payload = payload;
  p.payload_len = payload_len;
  return p;
}

/* A flow as the flow table would hand it over after accounting p. */
static inline wd_flow_t dd_flow(const wd_packet_t *cli_first, uint64_t id) {
  wd_flow_t f;
  memset(&f, 0, sizeof f);
  f.id = id;
  f.cli = cli_first->src;
  f.srv = cli_first->dst;
  f.cport = cli_first->sport;
  f.sport = cli_first->dport;
  f.proto = cli_first->l4_proto;
  f.first_ns = f.last_ns = cli_first->ts_ns;
  return f;
}

/* Accounts p to f in direction dir (counters and TCP flags only). */
static inline void dd_flow_add(wd_flow_t *f, const wd_packet_t *p, int dir) {
  f->pkts[dir]++;
  f->bytes[dir] += p->ip_len;
  f->tcp_flags[dir] |= p->tcp_flags;
  f->last_ns = p->ts_ns;
  f->pkt_events = f->pkts[0] + f->pkts[1] == 1 ? WD_FLOW_EV_CREATED : 0;
}

/* Index of the first alert with this state at or after from, or -1. */
static inline int dd_find(const dd *d, wd_alert_state st, unsigned from) {
  for (unsigned i = from; i < d->n; i++)
    if (d->al[i].a.state == st)
      return (int)i;
  return -1;
}

/* Metric text of alert i, or NULL. */
static inline const char *dd_metric(const dd *d, unsigned i, const char *name) {
  if (i >= d->n)
    return NULL;
  for (unsigned m = 0; m < d->al[i].a.n_metrics && m < WD_ALERT_METRICS_MAX;
       m++)
    if (d->al[i].a.metrics[m].name &&
        strcmp(d->al[i].a.metrics[m].name, name) == 0)
      return d->al[i].metric[m];
  return NULL;
}

static inline unsigned long long dd_metric_u(const dd *d, unsigned i,
                                             const char *name) {
  const char *s = dd_metric(d, i, name);
  return s ? strtoull(s, NULL, 10) : ~0ull;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t dd_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1dULL;
}

#endif
