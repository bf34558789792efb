/* smb_attack_int.h -- attack bookkeeping shared by the SMB detectors
 * (smb_ms17010.c, smb_doublepulsar.c); internal to src/detect.
 * An attack is keyed by (attacker, target) address and reported as one
 * START, UPDATEs and one END. It stays open while evidence keeps coming or
 * while a connection that carried evidence is still open (an exploit tool
 * waits on its connection between attempts), and ends after detect.end_after
 * seconds of quiet with none open, after flow.timeouts.tcp_established
 * seconds of quiet in any case, or at end of input.
 * Memory: a wd_table under detect.memcap with SMB_ATK_MAX entries; an attack
 * recycled because the table is full is reported END first. Each detector's
 * value struct starts with smb_atk. Functions are static inline so that
 * each detector file carries its own copy. */
#ifndef WD_DETECT_SMB_ATTACK_INT_H
#define WD_DETECT_SMB_ATTACK_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/table.h"
#include "detect/detector.h"
#include "proto/smb.h"

#define SMB_ATK_MAX 4096 /* attacks tracked at once per detector */
#define SMB_ATK_FLOWS 8  /* evidence connections remembered per attack */
#define SMB_ATK_BATCH 64 /* attacks ended per visit of the table */
#define SMB_NSEC 1000000000ull

typedef struct smb_atk_key {
  wd_addr_t attacker, target;
} smb_atk_key;

typedef struct smb_atk {
  uint64_t id;           /* attack_id; 0 until START was reported */
  uint64_t start_ns;     /* first evidence */
  uint64_t last_ns;      /* latest evidence */
  uint64_t report_ns;    /* latest alert */
  uint64_t flow_id;      /* connection of the latest evidence */
  uint16_t aport, tport; /* its attacker and target ports */
  bool dirty;            /* counters changed since the latest alert */
  bool escalate;         /* report an UPDATE now (verdict changed) */
  uint8_t nflows;
  uint64_t flows[SMB_ATK_FLOWS];     /* open evidence connections */
  uint64_t flow_pkts[SMB_ATK_FLOWS]; /* their packets (both directions) at
                                        the latest evidence */
  uint64_t pkts_closed;       /* the same for evidence connections that ended */
  char tree[WD_SMB_PATH_MAX]; /* share of the latest evidence connection
                                 (its latest tree connect), "" unknown */
} smb_atk;

/* Fills signature, class, severity and metrics of an alert for val. buf
 * (n bytes) may hold strings the alert points to during the emit. */
typedef void (*smb_atk_fill_fn)(const void *val, wd_alert_t *a, char *buf,
                                size_t n);

typedef struct smb_atk_set {
  const char *detector;
  wd_table_t *t;
  smb_atk_fill_fn fill;
  const wd_detect_ctx_t *ctx; /* latest context, for END on eviction */
  uint64_t quiet_ns, update_ns, hold_ns;
} smb_atk_set;

static inline void smb_atk_emit(smb_atk_set *s, const smb_atk_key *k,
                                smb_atk *v, wd_alert_state st, uint64_t ts) {
  wd_alert_t a;
  char buf[160];
  memset(&a, 0, sizeof a);
  buf[0] = '\0';
  if (st == WD_ALERT_START)
    v->id = wd_alert_next_id();
  a.detector = s->detector;
  a.state = st;
  a.attack_id = v->id;
  a.ts_ns = ts;
  a.start_ns = v->start_ns;
  a.last_ns = v->last_ns;
  a.flow_id = v->flow_id;
  a.has_src = true;
  a.src = k->attacker;
  a.dst = k->target;
  a.has_ports = true;
  a.sport = v->aport;
  a.dport = v->tport;
  a.proto = WD_PROTO_TCP;
  s->fill(v, &a, buf, sizeof buf);
  /* what every SMB attack carries: the packets of its connections (what
     incidents count) and the share the attacker connected to */
  uint64_t pkts = v->pkts_closed;
  for (unsigned i = 0; i < v->nflows; i++)
    pkts += v->flow_pkts[i];
  wd_alert_add_u64(&a, "packets", pkts);
  if (v->tree[0])
    wd_alert_add_str(&a, "tree", v->tree);
  v->report_ns = ts;
  v->dirty = false;
  v->escalate = false;
  if (s->ctx)
    wd_alert_emit(s->ctx->sink, &a);
}

static inline void smb_atk_on_evict(void *user, const void *key, void *val) {
  smb_atk_set *s = user;
  smb_atk *v = val;
  if (v->id)
    smb_atk_emit(s, key, v, WD_ALERT_END, v->last_ns);
}

static inline wd_rc smb_atk_init(smb_atk_set *s, const char *detector,
                                 size_t val_size, const wd_config_t *cfg,
                                 wd_memcap_t *mc, smb_atk_fill_fn fill) {
  memset(s, 0, sizeof *s);
  s->detector = detector;
  s->fill = fill;
  uint32_t quiet = cfg->detect.quiet_s ? cfg->detect.quiet_s : 10;
  uint32_t update = cfg->detect.update_s ? cfg->detect.update_s : 60;
  uint32_t hold = cfg->flow.tcp_est_s ? cfg->flow.tcp_est_s : 300;
  if (hold < quiet)
    hold = quiet;
  s->quiet_ns = quiet * SMB_NSEC;
  s->update_ns = update * SMB_NSEC;
  s->hold_ns = hold * SMB_NSEC;
  return wd_table_new(detector, sizeof(smb_atk_key), val_size, SMB_ATK_MAX, mc,
                      smb_atk_on_evict, s, &s->t);
}

static inline void smb_atk_fini(smb_atk_set *s) {
  wd_table_free(s->t);
  s->t = NULL;
}

/* Sender and receiver of a message of flow f travelling in direction dir. */
static inline void smb_atk_ends(const wd_flow_t *f, int dir, wd_addr_t *from,
                                uint16_t *fport, wd_addr_t *to,
                                uint16_t *tport) {
  if (dir == WD_DIR_TO_SERVER) {
    *from = f->cli, *fport = f->cport, *to = f->srv, *tport = f->sport;
  } else {
    *from = f->srv, *fport = f->sport, *to = f->cli, *tport = f->cport;
  }
}

/* The attack of (attacker, target), created (zeroed) when create is set;
 * NULL otherwise when absent. */
static inline void *smb_atk_get(smb_atk_set *s, const wd_addr_t *attacker,
                                const wd_addr_t *target, uint64_t now,
                                bool create) {
  smb_atk_key k;
  memset(&k, 0, sizeof k);
  k.attacker = *attacker;
  k.target = *target;
  if (!create) {
    void *v = wd_table_find(s->t, &k);
    if (v)
      v = wd_table_get(s->t, &k, now, NULL); /* touch recency */
    return v;
  }
  bool created = false;
  smb_atk *v = wd_table_get(s->t, &k, now, &created);
  if (v && created)
    v->start_ns = now;
  return v;
}

/* Records the evidence of message m on flow f (attacker port aport, target
 * tport): its time, the connection and its packets so far, the share. */
static inline void smb_atk_touch(smb_atk *v, const wd_flow_t *f, uint16_t aport,
                                 uint16_t tport, const wd_smb_msg_t *m) {
  uint64_t ts = m->ts_ns;
  if (ts > v->last_ns)
    v->last_ns = ts;
  v->flow_id = f->id;
  v->aport = aport;
  v->tport = tport;
  if (m->tree && m->tree[0])
    snprintf(v->tree, sizeof v->tree, "%s", m->tree);
  uint64_t pk = f->pkts[0] + f->pkts[1];
  for (unsigned i = 0; i < v->nflows; i++)
    if (v->flows[i] == f->id) {
      v->flow_pkts[i] = pk;
      return;
    }
  if (v->nflows < SMB_ATK_FLOWS) {
    v->flow_pkts[v->nflows] = pk;
    v->flows[v->nflows++] = f->id;
  }
}

/* Reports START for a new attack, or an UPDATE when a verdict changed. */
static inline void smb_atk_report(smb_atk_set *s, const wd_detect_ctx_t *ctx,
                                  smb_atk *v, const wd_addr_t *attacker,
                                  const wd_addr_t *target, uint64_t ts) {
  smb_atk_key k;
  memset(&k, 0, sizeof k);
  k.attacker = *attacker;
  k.target = *target;
  s->ctx = ctx;
  if (!v->id)
    smb_atk_emit(s, &k, v, WD_ALERT_START, ts);
  else if (v->escalate)
    smb_atk_emit(s, &k, v, WD_ALERT_UPDATE, ts);
}

static inline void smb_atk_flow_end(smb_atk_set *s, const wd_flow_t *f) {
  for (int dir = 0; dir < 2; dir++) {
    smb_atk_key k;
    memset(&k, 0, sizeof k);
    k.attacker = dir ? f->srv : f->cli;
    k.target = dir ? f->cli : f->srv;
    smb_atk *v = wd_table_find(s->t, &k);
    if (!v)
      continue;
    for (unsigned i = 0; i < v->nflows; i++)
      if (v->flows[i] == f->id) {
        /* counted up to its latest evidence, as while it was open, so
           the count does not depend on when the connection is seen to
           end */
        v->pkts_closed += v->flow_pkts[i];
        v->nflows--;
        v->flows[i] = v->flows[v->nflows];
        v->flow_pkts[i] = v->flow_pkts[v->nflows];
        break;
      }
  }
}

typedef struct smb_atk_visit {
  smb_atk_set *s;
  uint64_t now;
  bool all; /* end every attack (finish) */
  unsigned n;
  smb_atk_key done[SMB_ATK_BATCH];
} smb_atk_visit;

static inline bool smb_atk_visit_fn(void *user, const void *key, void *val,
                                    uint64_t last) {
  (void)last;
  smb_atk_visit *x = user;
  smb_atk *v = val;
  uint64_t quiet = x->now > v->last_ns ? x->now - v->last_ns : 0;
  bool end = x->all || !v->id || (quiet >= x->s->quiet_ns && v->nflows == 0) ||
             quiet >= x->s->hold_ns;
  if (end) {
    if (v->id)
      smb_atk_emit(x->s, key, v, WD_ALERT_END, x->now);
    memcpy(&x->done[x->n++], key, sizeof(smb_atk_key));
    return x->n < SMB_ATK_BATCH;
  }
  if (v->dirty && x->now >= v->report_ns + x->s->update_ns)
    smb_atk_emit(x->s, key, v, WD_ALERT_UPDATE, x->now);
  return true;
}

/* Periodic UPDATEs and ENDs at time now; with all, ENDs everything. */
static inline void smb_atk_tick(smb_atk_set *s, const wd_detect_ctx_t *ctx,
                                uint64_t now, bool all) {
  s->ctx = ctx;
  for (;;) {
    smb_atk_visit x;
    x.s = s;
    x.now = now;
    x.all = all;
    x.n = 0;
    wd_table_foreach(s->t, smb_atk_visit_fn, &x);
    for (unsigned i = 0; i < x.n; i++)
      wd_table_remove(s->t, &x.done[i]);
    if (x.n < SMB_ATK_BATCH)
      break;
  }
}

/* Detector hooks shared by the SMB detectors: their state is one
 * smb_atk_set, allocated by smb_atk_create (left NULL when the detector is
 * disabled) and freed by smb_atk_destroy. */
static inline wd_rc smb_atk_create(bool enabled, const char *detector,
                                   size_t val_size, const wd_config_t *cfg,
                                   wd_memcap_t *mc, smb_atk_fill_fn fill,
                                   void **state) {
  *state = NULL;
  if (!enabled)
    return WD_OK;
  smb_atk_set *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  wd_rc rc = smb_atk_init(s, detector, val_size, cfg, mc, fill);
  if (rc != WD_OK) {
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

static inline void smb_atk_destroy(void *state) {
  smb_atk_set *s = state;
  if (!s)
    return;
  smb_atk_fini(s);
  free(s);
}

static inline void smb_atk_on_flow_end(void *state, const wd_detect_ctx_t *ctx,
                                       const wd_flow_t *f) {
  (void)ctx;
  smb_atk_flow_end(state, f);
}

static inline void smb_atk_on_tick(void *state, const wd_detect_ctx_t *ctx,
                                   uint64_t now) {
  smb_atk_tick(state, ctx, now, false);
}

static inline void smb_atk_on_finish(void *state, const wd_detect_ctx_t *ctx,
                                     uint64_t now) {
  smb_atk_tick(state, ctx, now, true);
}

/* The wd_detector_ops_t of an SMB detector: its own create and on_smb, the
 * rest shared. */
#define SMB_ATK_OPS(NAME, CREATE, ON_SMB)                                      \
  {                                                                            \
    .name = (NAME), .create = (CREATE), .destroy = smb_atk_destroy,            \
    .on_smb = (ON_SMB), .on_flow_end = smb_atk_on_flow_end,                    \
    .on_tick = smb_atk_on_tick, .on_finish = smb_atk_on_finish,                \
  }

#endif
