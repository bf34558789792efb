/* brute.c -- the password-guessing engine (see brute_int.h).
 * In: attempts from the four brute-force detectors. Out: their alerts
 * through attack.c. Memory: one wd_table per detector. */
#include "detect/brute_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_MAX 64
/* IP bytes from the client below which a connection carried no login: an
 * SSH KEXINIT alone is about 1.5 KiB, an RDP TLS ClientHello and CredSSP
 * negotiation about as much; a banner check is a few hundred. */
#define BRUTE_CLIENT_BYTES_MIN 1024u

typedef struct bkey {
  wd_addr_t src, dst;
  uint16_t port;
  uint16_t pad;
} bkey;

typedef struct bval {
  wd_attack_t a;
  uint64_t attempts, failures, successes;
  uint64_t win_start_ns; /* the window's start */
  uint32_t win_failures; /* failures since win_start_ns */
  bool success_after;    /* a success came after the failures */
  uint8_t proto;
  uint64_t flow_id;
  uint64_t success_ns;
  uint64_t success_flow; /* flow of the latest success counted */
  uint64_t fail_pkts;    /* ssh/rdp: most client packets of a failed one */
  uint64_t fail_dur_ns;  /* ssh/rdp: longest failed connection */
  char first_user[USER_MAX];
  char last_user[USER_MAX];
} bval;

struct brute_set {
  wd_attack_set_t set;
  wd_table_t *t;
  brute_conf conf;
  uint64_t window_ns;
};

const brute_conf *brute_conf_of(const void *state) {
  return &((const brute_set *)state)->conf;
}

static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  brute_set *s = user;
  const bkey *k = key;
  const bval *v = val;
  wd_alert_sign(al, &s->set.det->sigs[v->success_after ? 1 : 0]);
  al->has_src = true;
  al->src = k->src;
  al->dst = k->dst;
  al->has_ports = true;
  al->sport = 0;
  al->dport = k->port;
  al->proto = v->proto;
  al->flow_id = v->flow_id;
  wd_alert_add_str(al, "service", s->set.det->name);
  wd_alert_add_u64(al, "attempts", v->attempts);
  wd_alert_add_u64(al, "failures", v->failures);
  wd_alert_add_u64(al, "successes", v->successes);
  wd_alert_add_u64(al, "window_failures", v->win_failures);
  wd_alert_add_u64(al, "threshold", s->conf.failures);
  wd_alert_add_u64(al, "window_s", s->conf.window_s);
  wd_alert_add_bool(al, "success_followed", v->success_after);
  if (v->first_user[0])
    wd_alert_add_str(al, "user", v->first_user);
  if (v->last_user[0] && strcmp(v->last_user, v->first_user) != 0)
    wd_alert_add_str(al, "last_user", v->last_user);
}

static void on_evict(void *user, const void *key, void *val) {
  brute_set *s = user;
  bval *v = val;
  wd_attack_recycled(&s->set, &v->a, key, v, v->a.last_ns);
}

const wd_detector_ref_t brute_refs[1] = {
    {"mitre-attack", "T1110", "https://attack.mitre.org/techniques/T1110/",
     "MITRE ATT&CK: Brute Force"},
};

wd_rc brute_create(const wd_detector_t *det, const wd_config_keyset_t *ks,
                   const wd_config_t *cfg, wd_memcap_t *mc, brute_conf *conf,
                   void **state) {
  *state = NULL;
  const brute_conf *c = wd_config_extra(cfg, ks);
  if (!c)
    return WD_ERR_CONFIG; /* loaded without the detectors' keys */
  *conf = *c;
  if (!conf->enabled)
    return WD_OK;
  brute_set *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->conf = *conf;
  s->window_ns = (uint64_t)conf->window_s * WD_NSEC;
  wd_attack_set_init(&s->set, det, cfg, fill, s);
  /* attempts judged at flow end arrive once the closed flow leaves the
   * table: the quiet period covers that delay */
  if (conf->session_max_s)
    wd_attack_set_quiet(
        &s->set,
        s->set.quiet_ns +
            (uint64_t)(cfg->flow.tcp_close_s + conf->session_max_s) * WD_NSEC);
  uint64_t max = wd_attack_table_max(mc, 16, sizeof(bkey), sizeof(bval), 1024);
  wd_rc rc = wd_table_new(det->name, sizeof(bkey), sizeof(bval), max, mc,
                          on_evict, s, &s->t);
  if (rc != WD_OK) {
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

void brute_destroy(void *state) {
  brute_set *s = state;
  if (!s)
    return;
  wd_table_free(s->t);
  free(s);
}

void brute_attempt(void *state, const wd_detect_ctx_t *ctx,
                   const wd_addr_t *src, const wd_addr_t *dst, uint16_t port,
                   uint8_t proto, bool success, const char *user,
                   uint64_t flow_id, uint64_t ts) {
  brute_set *s = state;
  bkey k;
  memset(&k, 0, sizeof k);
  k.src = *src;
  k.dst = *dst;
  k.port = port;
  s->set.ctx = ctx;
  /* only pairs with a failure take an entry: logons that succeed at
   * once cost a lookup */
  bval *v =
      success ? wd_table_find(s->t, &k) : wd_table_get(s->t, &k, ts, NULL);
  if (!v)
    return;
  v->attempts++;
  v->proto = proto;
  v->flow_id = flow_id;
  if (user && user[0]) {
    if (!v->first_user[0])
      snprintf(v->first_user, sizeof v->first_user, "%s", user);
    snprintf(v->last_user, sizeof v->last_user, "%s", user);
  }
  if (!v->win_start_ns || ts > v->win_start_ns + s->window_ns) {
    v->win_start_ns = ts;
    v->win_failures = 0;
  }
  bool open = wd_attack_is_open(&v->a);
  if (success) {
    if (flow_id && v->success_flow == flow_id)
      return; /* this connection's success is counted already */
    v->success_flow = flow_id;
    v->successes++;
    if (open && !v->success_after) {
      v->success_after = true;
      v->success_ns = ts;
      wd_attack_seen(&v->a, ts);
      wd_attack_update(&s->set, ctx, &v->a, &k, v, ts);
    } else if (open) {
      wd_attack_seen(&v->a, ts);
    }
    return;
  }
  v->failures++;
  v->win_failures++;
  if (open) {
    wd_attack_seen(&v->a, ts);
    return;
  }
  if (v->win_failures >= s->conf.failures && v->failures > v->successes)
    wd_attack_start(&s->set, ctx, &v->a, &k, v, v->win_start_ns, ts, ts);
}

/* Ended attacks, and pairs quiet for a window that never became one,
 * leave the table. */
static void walk(brute_set *s, const wd_detect_ctx_t *ctx, uint64_t now,
                 bool all) {
  WD_ATTACK_TABLE_WALK(&s->set, ctx, s->t, bkey, bval, a, s->window_ns, now,
                       all);
}

void brute_on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, false);
}

void brute_on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, true);
}

void brute_session_end(void *state, const wd_detect_ctx_t *ctx,
                       const wd_flow_t *f, uint16_t port) {
  brute_set *s = state;
  if (f->proto != WD_PROTO_TCP || f->sport != port)
    return;
  /* a conversation: the handshake answered, data both ways and at least
   * a key exchange's worth from the client (a port probe, an unanswered
   * SYN, a monitor reading the banner is no logon attempt) */
  if (!(f->tcp_flags[WD_DIR_TO_CLIENT] & WD_TCP_SYN) ||
      f->pkts[WD_DIR_TO_SERVER] < 4 || f->pkts[WD_DIR_TO_CLIENT] < 3 ||
      f->bytes[WD_DIR_TO_SERVER] < BRUTE_CLIENT_BYTES_MIN)
    return;
  uint64_t dur = f->last_ns - f->first_ns;
  uint64_t bytes = f->bytes[0] + f->bytes[1];
  bool closed = f->tcp_state == WD_TCP_CLOSED || f->tcp_state == WD_TCP_CLOSING;
  bool short_one = closed && dur <= (uint64_t)s->conf.session_max_s * WD_NSEC &&
                   bytes <= s->conf.session_bytes &&
                   f->pkts[WD_DIR_TO_SERVER] <= s->conf.session_packets;
  brute_attempt(state, ctx, &f->cli, &f->srv, port, f->proto, !short_one, NULL,
                f->id, f->last_ns);
  if (!short_one)
    return;
  bkey k;
  memset(&k, 0, sizeof k);
  k.src = f->cli;
  k.dst = f->srv;
  k.port = port;
  bval *v = wd_table_find(s->t, &k);
  if (v) { /* the profile of this source's failed connections */
    if (f->pkts[WD_DIR_TO_SERVER] > v->fail_pkts)
      v->fail_pkts = f->pkts[WD_DIR_TO_SERVER];
    if (dur > v->fail_dur_ns)
      v->fail_dur_ns = dur;
  }
}

/* A connection of a source whose failed ones all looked alike outgrows
 * them: twice their client packets, or twice their length and a second. */
static bool outgrows(const brute_set *s, const wd_flow_t *f, uint16_t port) {
  bkey k;
  memset(&k, 0, sizeof k);
  k.src = f->cli;
  k.dst = f->srv;
  k.port = port;
  const bval *v = wd_table_find(s->t, &k);
  if (!v || !v->fail_pkts || !wd_attack_is_open(&v->a))
    return false;
  uint64_t dur = f->last_ns - f->first_ns;
  return f->pkts[WD_DIR_TO_SERVER] > 2 * v->fail_pkts ||
         dur > 2 * v->fail_dur_ns + WD_NSEC;
}

void brute_session_packet(void *state, const wd_detect_ctx_t *ctx,
                          const wd_packet_t *p, const wd_flow_t *f, int dir,
                          uint16_t port) {
  brute_set *s = state;
  if (!f || f->proto != WD_PROTO_TCP || f->sport != port)
    return;
  uint64_t bytes = f->bytes[0] + f->bytes[1];
  uint64_t len = wd_flow_table_ip_bytes(p);
  uint64_t n = f->pkts[0] + f->pkts[1];
  bool doubling = n >= 8 && (n & (n - 1)) == 0;
  bool cross =
      (bytes > s->conf.session_bytes && bytes - len <= s->conf.session_bytes) ||
      (dir == WD_DIR_TO_SERVER &&
       f->pkts[WD_DIR_TO_SERVER] == (uint64_t)s->conf.session_packets + 1) ||
      (doubling &&
       f->last_ns - f->first_ns > (uint64_t)s->conf.session_max_s * WD_NSEC) ||
      (doubling && outgrows(s, f, port));
  if (cross)
    brute_attempt(state, ctx, &f->cli, &f->srv, port, f->proto, true, NULL,
                  f->id, p->ts_ns);
}
