/* c2_callback.c -- c2.callback: a host just compromised calls out.
 * In: other detectors' alerts (on_alert): one of class "intrusions" (a
 * compromise: an exploit that succeeded, an implant answering, a password
 * guessed) names its target as compromised at that time; new flows
 * (on_packet, the packet that creates a flow): every pair of a facility
 * host and an outside address that opens a flow is remembered. Out: when a
 * compromised host opens, within detect.c2.within of its compromise, a
 * connection to an outside host address it had not talked to before, and
 * comes back to it (detect.c2.beacons connections in all, each at least
 * detect.c2.beacon_gap after the one before, with no quiet longer than
 * detect.c2.end_after between them), an attack per (host, address): START
 * at the first of those connections, UPDATEs while the beacons go on, END
 * after detect.c2.end_after of quiet. A single burst of connections (a
 * page and its parallel fetches) is not a callback; multicast, broadcast,
 * loopback and link-local destinations are never one.
 * The alert names the compromise it follows (detector, attacker, seconds
 * after), and joins the host's incident as its next stage
 * (WD_DETECTOR_NEXT_STAGE).
 * Memory: three wd_tables under detect.memcap: pairs seen (1/8, the least
 * recently seen forgotten: a pair forgotten looks new again), compromised
 * hosts and attacks (1/64 each, at least 256).
 * Keys: detect.c2.*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"

extern const wd_detector_t wd_detector_c2;

typedef struct c2_conf {
  bool enabled;
  uint32_t within_s;
  uint32_t end_after_s;
  uint32_t beacons;      /* spaced connections before a callback is said */
  uint32_t beacon_gap_s; /* connections closer than this count as one */
} c2_conf;

static const wd_config_key_t keys[] = {
    WD_KEY_BOOL(c2_conf, "detect.c2.enabled", enabled, "true",
                "report a compromised host calling a new outside address"),
    WD_KEY_SECS(c2_conf, "detect.c2.within", within_s, "120s", 1, 86400,
                "how long after its compromise a host's first connection to "
                "a new outside address is a callback"),
    WD_KEY_SECS(c2_conf, "detect.c2.end_after", end_after_s, "120s", 1, 86400,
                "a callback ends after this much quiet (beacons keep it "
                "open)"),
    WD_KEY_UINT(c2_conf, "detect.c2.beacons", beacons, "3", 1, 1000,
                "connections to the new address, each beacon_gap after the "
                "one before, before it is reported (1: the first)"),
    WD_KEY_SECS(c2_conf, "detect.c2.beacon_gap", beacon_gap_s, "10s", 1, 3600,
                "connections closer together than this count as one (a "
                "page's parallel fetches)"),
};
static const wd_config_keyset_t keyset =
    WD_DETECTOR_KEYSET(c2_conf, keys, NULL);

typedef struct pair {
  wd_addr_t host, peer;
} pair;

typedef struct seen_v {
  uint8_t unused;
} seen_v;

typedef struct victim_v {
  uint64_t since_ns;
  wd_addr_t attacker;
  bool has_attacker;
  char detector[32];
} victim_v;

typedef struct call_v {
  wd_attack_t a; /* closed while the beacons are being counted */
  uint64_t flows;
  uint64_t first_ns, beacon_ns; /* first connection; last one counted */
  uint32_t beacons;             /* connections counted (spaced) */
  uint64_t since_ns;            /* the compromise */
  uint64_t flow_id;
  uint16_t port, cport; /* the outside port; the host's of the first flow */
  uint8_t proto;
  bool has_attacker;
  wd_addr_t attacker;
  char detector[32];
} call_v;

typedef struct c2_state {
  const wd_config_t *cfg;
  c2_conf conf;
  wd_attack_set_t set;
  wd_table_t *seen, *victims, *calls;
  uint64_t within_ns, gap_ns;
  char attacker_text[WD_ADDR_STRLEN]; /* of the alert being filled */
} c2_state;

static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  c2_state *s = user;
  const pair *k = key;
  const call_v *v = val;
  al->has_src = true;
  al->src = k->peer;
  al->dst = k->host;
  al->has_ports = true;
  al->sport = v->port;
  al->dport = v->cport;
  al->proto = v->proto;
  al->flow_id = v->flow_id;
  wd_alert_add_u64(al, "flows", v->flows);
  wd_alert_add_str(al, "after", v->detector);
  if (v->has_attacker) /* the text lives until the alert is emitted */
    wd_alert_add_str(al, "compromised_by",
                     wd_addr_str(&v->attacker, s->attacker_text));
  wd_alert_add_u64(al, "seconds_after_compromise",
                   (v->a.start_ns - v->since_ns) / WD_NSEC);
  wd_alert_add_u64(al, "c2_port", v->port);
}

static void on_evict(void *user, const void *key, void *val) {
  c2_state *s = user;
  call_v *v = val;
  wd_attack_recycled(&s->set, &v->a, key, v, v->a.last_ns);
}

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  *state = NULL;
  const c2_conf *c = wd_config_extra(cfg, &keyset);
  if (!c)
    return WD_ERR_CONFIG; /* loaded without the detectors' keys */
  c2_conf conf = *c;
  if (!conf.enabled)
    return WD_OK;
  c2_state *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->cfg = cfg;
  s->conf = conf;
  s->within_ns = (uint64_t)conf.within_s * WD_NSEC;
  s->gap_ns = (uint64_t)conf.beacon_gap_s * WD_NSEC;
  wd_attack_set_init(&s->set, &wd_detector_c2, cfg, fill, s);
  wd_attack_set_quiet(&s->set, (uint64_t)conf.end_after_s * WD_NSEC);
  wd_rc rc = wd_table_new(
      "c2.seen", sizeof(pair), sizeof(seen_v),
      wd_attack_table_max(mc, 8, sizeof(pair), sizeof(seen_v), 1024), mc, NULL,
      NULL, &s->seen);
  if (rc == WD_OK)
    rc = wd_table_new(
        "c2.victims", sizeof(wd_addr_t), sizeof(victim_v),
        wd_attack_table_max(mc, 64, sizeof(wd_addr_t), sizeof(victim_v), 256),
        mc, NULL, NULL, &s->victims);
  if (rc == WD_OK)
    rc = wd_table_new(
        "c2.callback", sizeof(pair), sizeof(call_v),
        wd_attack_table_max(mc, 64, sizeof(pair), sizeof(call_v), 256), mc,
        on_evict, s, &s->calls);
  if (rc != WD_OK) {
    wd_table_free(s->seen);
    wd_table_free(s->victims);
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

static void destroy(void *state) {
  c2_state *s = state;
  if (!s)
    return;
  wd_table_free(s->seen);
  wd_table_free(s->victims);
  wd_table_free(s->calls);
  free(s);
}

static bool addr_zero(const wd_addr_t *a) {
  static const wd_addr_t z;
  return memcmp(a, &z, sizeof z) == 0;
}

static void on_alert(void *state, const wd_detect_ctx_t *ctx,
                     const wd_alert_t *a) {
  c2_state *s = state;
  if (a->state == WD_ALERT_END || !a->rsit_class ||
      strcmp(a->rsit_class, "intrusions") != 0 || addr_zero(&a->dst) ||
      !wd_config_is_protected(ctx->cfg, &a->dst))
    return;
  bool created = false;
  victim_v *v = wd_table_get(s->victims, &a->dst, a->ts_ns, &created);
  if (!v)
    return;
  uint64_t t = a->last_ns ? a->last_ns : a->ts_ns;
  if (!created && v->since_ns && v->since_ns + s->within_ns >= t)
    return; /* the same compromise, reported again */
  v->since_ns = t;
  v->has_attacker = a->has_src;
  if (a->has_src)
    v->attacker = a->src;
  snprintf(v->detector, sizeof v->detector, "%s", a->detector);
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  (void)dir;
  if (!f || !(f->pkt_events & WD_FLOW_EV_CREATED))
    return;
  c2_state *s = state;
  /* a facility host opening a flow to an outside host */
  if (!wd_addr_is_host_unicast(&f->srv) ||
      !wd_config_is_protected(ctx->cfg, &f->cli) ||
      wd_config_is_protected(ctx->cfg, &f->srv))
    return;
  pair k;
  memset(&k, 0, sizeof k);
  k.host = f->cli;
  k.peer = f->srv;
  s->set.ctx = ctx;
  call_v *c = wd_table_find(s->calls, &k);
  if (c) {
    wd_table_get(s->calls, &k, p->ts_ns, NULL); /* touched: kept */
    wd_table_get(s->seen, &k, p->ts_ns, NULL);
    c->flows++;
    c->flow_id = f->id;
    if (wd_attack_is_open(&c->a)) {
      wd_attack_seen(&c->a, p->ts_ns);
      return;
    }
    if (p->ts_ns >= c->beacon_ns + s->gap_ns) {
      c->beacons++;
      c->beacon_ns = p->ts_ns;
    }
    if (c->beacons >= s->conf.beacons)
      wd_attack_start(&s->set, ctx, &c->a, &k, c, c->first_ns, p->ts_ns,
                      p->ts_ns);
    return;
  }
  bool fresh = false;
  wd_table_get(s->seen, &k, p->ts_ns, &fresh);
  if (!fresh)
    return;
  const victim_v *v = wd_table_find(s->victims, &f->cli);
  if (!v || p->ts_ns < v->since_ns || p->ts_ns > v->since_ns + s->within_ns)
    return;
  c = wd_table_get(s->calls, &k, p->ts_ns, NULL);
  if (!c)
    return;
  memset(c, 0, sizeof *c);
  c->flows = 1;
  c->beacons = 1;
  c->first_ns = c->beacon_ns = p->ts_ns;
  c->since_ns = v->since_ns;
  c->flow_id = f->id;
  c->port = f->sport;
  c->cport = f->cport;
  c->proto = f->proto;
  c->has_attacker = v->has_attacker;
  c->attacker = v->attacker;
  memcpy(c->detector, v->detector, sizeof c->detector);
  if (c->beacons >= s->conf.beacons)
    wd_attack_start(&s->set, ctx, &c->a, &k, c, p->ts_ns, p->ts_ns, p->ts_ns);
}

/* Ended callbacks leave the table, and so do candidates whose host did not
 * come back within end_after. */
static void walk(c2_state *s, const wd_detect_ctx_t *ctx, uint64_t now,
                 bool all) {
  WD_ATTACK_TABLE_WALK(&s->set, ctx, s->calls, pair, call_v, a, s->set.quiet_ns,
                       now, all);
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, false);
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, true);
}

static const wd_detector_sig_t sigs[] = {
    {2100701,
     "A host just compromised connects to a new outside address (command "
     "and control callback)",
     "A Network Trojan was detected", 1, "malicious-code", "c2"},
};

static const wd_detector_ref_t refs[] = {
    {"mitre-attack", "TA0011", "https://attack.mitre.org/tactics/TA0011/",
     "MITRE ATT&CK: Command and Control"},
};

const wd_detector_t wd_detector_c2 = {
    WD_DETECTOR_ID("c2.callback", WD_LINE_INTRUSION,
                   "a host just compromised connecting to an outside address "
                   "it had not talked to before"),
    .flags = WD_DETECTOR_NEXT_STAGE,
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    .create = create,
    .destroy = destroy,
    .on_packet = on_packet,
    .packets = WD_PKT_FLOW_NEW,
    .on_alert = on_alert,
    .keys = &keyset,
    .on_tick = on_tick,
    .on_finish = on_finish,
    .follows = "intrusions",
    .cost = 16,
};
