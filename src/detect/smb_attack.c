/* smb_attack.c -- the (attacker, target) attack table of the SMB detectors
 * (see smb_attack_int.h).
 * In: evidence from smb_ms17010.c and smb_doublepulsar.c, flow ends,
 * ticks. Out: their alerts through the common life cycle (attack.h), with
 * what every SMB attack carries: both ends and ports, the latest evidence
 * connection, its packets and share. Memory: one wd_table per detector
 * under detect.memcap; nothing allocated after creation. */
#include "detect/smb_attack_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct smb_atk_key {
  wd_addr_t attacker, target;
} smb_atk_key;

static void make_key(smb_atk_key *k, const wd_addr_t *attacker,
                     const wd_addr_t *target) {
  memset(k, 0, sizeof *k);
  k->attacker = *attacker;
  k->target = *target;
}

/* The SMB part of an alert (attack.h calls it), around the detector's. */
static void smb_fill(void *user, const void *key, void *val, wd_alert_t *a) {
  smb_atk_set *s = user;
  const smb_atk_key *k = key;
  smb_atk *v = val;
  a->flow_id = v->flow_id;
  a->has_src = true;
  a->src = k->attacker;
  a->dst = k->target;
  a->has_ports = true;
  a->sport = v->aport;
  a->dport = v->tport;
  a->proto = WD_PROTO_TCP;
  s->buf[0] = '\0';
  s->fill(v, a, s->buf, sizeof s->buf);
  /* what every SMB attack carries: the packets of its connections (what
     incidents count) and the share the attacker connected to */
  uint64_t pkts = v->pkts_closed;
  for (unsigned i = 0; i < v->nflows; i++)
    pkts += v->flow_pkts[i];
  wd_alert_add_u64(a, "packets", pkts);
  if (v->tree[0])
    wd_alert_add_str(a, "tree", v->tree);
  v->escalate = false;
  v->dirty = false;
}

/* Held while an evidence connection is open; UPDATEs only when dirty. */
static unsigned smb_flags(const void *val) {
  const smb_atk *v = val;
  return (v->nflows ? WD_ATTACK_HELD : 0) | (v->dirty ? WD_ATTACK_CHANGED : 0);
}

static void on_evict(void *user, const void *key, void *val) {
  smb_atk_set *s = user;
  smb_atk *v = val;
  wd_attack_recycled(&s->set, &v->a, key, v, v->a.last_ns);
}

void smb_atk_ends(const wd_flow_t *f, int dir, wd_addr_t *from, uint16_t *fport,
                  wd_addr_t *to, uint16_t *tport) {
  if (dir == WD_DIR_TO_SERVER) {
    *from = f->cli, *fport = f->cport, *to = f->srv, *tport = f->sport;
  } else {
    *from = f->srv, *fport = f->sport, *to = f->cli, *tport = f->cport;
  }
}

void *smb_atk_get(smb_atk_set *s, const wd_addr_t *attacker,
                  const wd_addr_t *target, uint64_t now, bool create) {
  smb_atk_key k;
  make_key(&k, attacker, target);
  if (!create) {
    void *v = wd_table_find(s->t, &k);
    if (v)
      v = wd_table_get(s->t, &k, now, NULL); /* touch recency */
    return v;
  }
  bool created = false;
  smb_atk *v = wd_table_get(s->t, &k, now, &created);
  if (v && created)
    v->a.start_ns = now;
  return v;
}

void smb_atk_touch(smb_atk *v, const wd_flow_t *f, uint16_t aport,
                   uint16_t tport, const wd_smb_msg_t *m) {
  uint64_t ts = m->ts_ns;
  if (ts > v->a.last_ns)
    v->a.last_ns = ts;
  v->flow_id = f->id;
  v->aport = aport;
  v->tport = tport;
  if (m->tree && m->tree[0])
    snprintf(v->tree, sizeof v->tree, "%s", m->tree);
  uint64_t pk = f->pkts[0] + f->pkts[1];
  unsigned i = 0;
  while (i < v->nflows && v->flows[i] != f->id)
    i++;
  if (i < v->nflows) {
    v->flow_pkts[i] = pk;
  } else if (v->nflows < SMB_ATK_FLOWS) {
    v->flow_pkts[v->nflows] = pk;
    v->flows[v->nflows++] = f->id;
  }
}

void smb_atk_report(smb_atk_set *s, const wd_detect_ctx_t *ctx, smb_atk *v,
                    const wd_addr_t *attacker, const wd_addr_t *target,
                    uint64_t ts) {
  smb_atk_key k;
  make_key(&k, attacker, target);
  s->set.ctx = ctx;
  if (!wd_attack_is_open(&v->a))
    wd_attack_start(&s->set, ctx, &v->a, &k, v, v->a.start_ns, v->a.last_ns,
                    ts);
  else if (v->escalate)
    wd_attack_update(&s->set, ctx, &v->a, &k, v, ts);
}

void smb_atk_on_flow_end(void *state, const wd_detect_ctx_t *ctx,
                         const wd_flow_t *f) {
  (void)ctx;
  smb_atk_set *s = state;
  for (int dir = 0; dir < 2; dir++) {
    smb_atk_key k;
    make_key(&k, dir ? &f->srv : &f->cli, dir ? &f->cli : &f->srv);
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

typedef struct visit {
  smb_atk_set *s;
  uint64_t now;
  bool all; /* end every attack (finish) */
  unsigned n;
  smb_atk_key done[SMB_ATK_BATCH];
} visit;

/* Attacks ended here (and entries that never became one) leave the
 * table after the walk. */
static bool visit_one(void *user, const void *key, void *val, uint64_t last) {
  (void)last;
  visit *x = user;
  smb_atk *v = val;
  if (wd_attack_is_open(&v->a) &&
      wd_attack_step(&x->s->set, x->s->set.ctx, &v->a, key, v, x->now,
                     x->all) != WD_ATTACK_DUE_END)
    return true;
  memcpy(&x->done[x->n++], key, sizeof(smb_atk_key));
  return x->n < SMB_ATK_BATCH;
}

/* Periodic UPDATEs and ENDs at time now; with all, ENDs everything. */
static void tick(smb_atk_set *s, const wd_detect_ctx_t *ctx, uint64_t now,
                 bool all) {
  s->set.ctx = ctx;
  for (;;) {
    visit x;
    x.s = s;
    x.now = now;
    x.all = all;
    x.n = 0;
    wd_table_foreach(s->t, visit_one, &x);
    for (unsigned i = 0; i < x.n; i++)
      wd_table_remove(s->t, &x.done[i]);
    if (x.n < SMB_ATK_BATCH)
      break;
  }
}

void smb_atk_on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  tick(state, ctx, now, false);
}

void smb_atk_on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  tick(state, ctx, now, true);
}

wd_rc smb_atk_create(const wd_detector_t *det, size_t val_size,
                     const wd_config_t *cfg, wd_memcap_t *mc,
                     smb_atk_fill_fn fill, void **state) {
  *state = NULL;
  const bool *enabled = wd_detector_conf(cfg, det);
  if (!enabled)
    return WD_ERR_CONFIG;
  if (!*enabled)
    return WD_OK;
  smb_atk_set *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->fill = fill;
  wd_attack_set_init(&s->set, det, cfg, smb_fill, s);
  uint64_t hold = (uint64_t)(cfg->flow.tcp_est_s ? cfg->flow.tcp_est_s : 300);
  wd_attack_set_hold(&s->set, hold * WD_NSEC, smb_flags);
  wd_rc rc = wd_table_new(det->name, sizeof(smb_atk_key), val_size, SMB_ATK_MAX,
                          mc, on_evict, s, &s->t);
  if (rc != WD_OK) {
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

void smb_atk_destroy(void *state) {
  smb_atk_set *s = state;
  if (!s)
    return;
  wd_table_free(s->t);
  free(s);
}
