/* flood.c -- per-victim one-second windows and attack life cycle for the
 * flood detectors (see flood.h).
 * In: wd_flood_add per relevant packet, wd_flood_tick per new second of
 * traffic time, wd_flood_finish at the end. Out: alerts through the
 * detect context's sink. Memory: the victim table (wd_table, entries
 * recycled least recently hit first) and the attack array, both counted
 * against the detect memcap; nothing is allocated after wd_flood_new.
 *
 * Time: each victim's counts belong to one second of traffic time (sec).
 * Entries hit during the current second sit at the head of the table's
 * recency list, so closing a second walks only them. Packet times are
 * made monotonic here, so that an out-of-order frame cannot break that
 * order. */
#include "detect/flood.h"

#include <stdlib.h>
#include <string.h>

#define SCRATCH_LEN 512

struct wd_flood {
  const wd_flood_ops_t *ops;
  const wd_config_t *cfg;
  const void *conf; /* the detector's own keys (wd_detector_conf) */
  wd_memcap_t *mc;
  wd_table_t *victims;
  wd_flood_attack_t *attacks; /* WD_FLOOD_ATTACKS_MAX slots */
  bool used[WD_FLOOD_ATTACKS_MAX];
  uint32_t vhash[WD_FLOOD_ATTACKS_MAX]; /* victim hash of each used slot */
  size_t attacks_bytes;
  uint64_t now_ns; /* latest traffic time seen (monotonic) */
  uint64_t sec;    /* second being counted; 0 before the first packet */
  uint64_t refused;
  wd_attack_set_t set; /* the attacks' life cycle (attack.h) */
  char scratch[SCRATCH_LEN];
};

static void fill(void *user, const void *key, void *val, wd_alert_t *al);

wd_rc wd_flood_new(const wd_flood_ops_t *ops, const wd_config_t *cfg,
                   wd_memcap_t *mc, uint64_t max_victims, wd_flood_t **out) {
  *out = NULL;
  wd_flood_t *fl = calloc(1, sizeof *fl);
  if (!fl)
    return WD_ERR_NOMEM;
  fl->ops = ops;
  fl->cfg = cfg;
  fl->conf = wd_detector_conf(cfg, ops->det);
  fl->mc = mc;
  wd_attack_set_init(&fl->set, ops->det, cfg, fill, fl);
  fl->attacks_bytes = sizeof(wd_flood_attack_t) * WD_FLOOD_ATTACKS_MAX;
  if (!wd_memcap_reserve(mc, fl->attacks_bytes)) {
    free(fl);
    return WD_ERR_NOMEM;
  }
  fl->attacks = calloc(WD_FLOOD_ATTACKS_MAX, sizeof *fl->attacks);
  wd_rc rc = WD_ERR_NOMEM;
  if (!fl->attacks)
    goto fail;
  rc = wd_table_new(ops->det->name, sizeof(wd_addr_t), sizeof(wd_flood_sec_t),
                    max_victims, mc, NULL, NULL, &fl->victims);
  if (rc != WD_OK)
    goto fail;
  *out = fl;
  return WD_OK;
fail:
  wd_memcap_release(mc, fl->attacks_bytes);
  free(fl->attacks);
  free(fl);
  return rc;
}

void wd_flood_free(wd_flood_t *fl) {
  if (!fl)
    return;
  wd_table_free(fl->victims);
  wd_memcap_release(fl->mc, fl->attacks_bytes);
  free(fl->attacks);
  free(fl);
}

const wd_config_t *wd_flood_cfg(const wd_flood_t *fl) { return fl->cfg; }

const void *wd_flood_conf(const wd_flood_t *fl) { return fl->conf; }

char *wd_flood_scratch(wd_flood_t *fl, size_t *len) {
  *len = sizeof fl->scratch;
  fl->scratch[0] = '\0';
  return fl->scratch;
}

void wd_flood_stats(const wd_flood_t *fl, wd_flood_stats_t *out) {
  wd_table_stats(fl->victims, &out->victims);
  out->attacks_open = fl->set.open;
  out->attacks_refused = fl->refused;
}

/* ---- small summaries ---- */

static void vote(wd_flood_vote_t *v, uint32_t x) {
  if (x == WD_FLOOD_NONE)
    return;
  if (v->k == 0) {
    v->v = x;
    v->k = 1;
  } else if (v->v == x) {
    v->k++;
  } else {
    v->k--;
  }
}

static void vote_addr(wd_flood_vote_addr_t *v, const wd_addr_t *a) {
  if (v->k == 0) {
    v->v = *a;
    v->k = 1;
  } else if (wd_addr_eq(&v->v, a)) {
    v->k++;
  } else {
    v->k--;
  }
}

static void sample_add(wd_addr_t *s, uint8_t *n, unsigned max,
                       const wd_addr_t *a) {
  if (*n >= max)
    return;
  for (unsigned i = 0; i < *n; i++)
    if (wd_addr_eq(&s[i], a))
      return;
  s[(*n)++] = *a;
}

uint64_t wd_flood_sec_sources(const wd_flood_sec_t *s) {
  return wd_hll_small_count(&s->srcs);
}

uint64_t wd_flood_sources(const wd_flood_attack_t *at) {
  return wd_hll_count(&at->srcs);
}

bool wd_flood_src_dominant(const wd_flood_attack_t *at) {
  return at->pkts && at->src.k * 2 >= at->pkts;
}

bool wd_flood_key_dominant(const wd_flood_attack_t *at) {
  return at->pkts && at->key.k * 2 >= at->pkts;
}

/* ---- alerts ---- */

/* The flood part of every alert (attack.h calls it), then the
 * detector's. */
static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  (void)key;
  wd_flood_t *fl = user;
  const wd_flood_attack_t *at = val;
  al->dst = at->victim;
  wd_alert_add_u64(al, "pps", at->last_pps);
  wd_alert_add_u64(al, "bps", at->last_bps);
  wd_alert_add_u64(al, "peak_pps", at->peak_pps);
  wd_alert_add_u64(al, "peak_bps", at->peak_bps);
  wd_alert_add_u64(al, "packets", at->pkts);
  wd_alert_add_u64(al, "bytes", at->bytes);
  wd_alert_add_u64(al, fl->ops->sources_metric, wd_flood_sources(at));
  double span = at->last_pkt_ns > at->first_pkt_ns
                    ? (double)(at->last_pkt_ns - at->first_pkt_ns) / 1e9
                    : 0.0;
  wd_alert_add_f64(al, "duration_s", span);
  /* A burst shorter than a second: its own rate says more than the
   * per-second count. */
  if (span >= 0.001 && span < 1.0) {
    wd_alert_add_u64(al, "burst_pps", (uint64_t)((double)at->pkts / span));
    wd_alert_add_u64(al, "burst_bps",
                     (uint64_t)((double)at->bytes * 8.0 / span));
  }
  fl->ops->report(fl, at, al);
}

/* ---- attacks ---- */

static wd_flood_attack_t *attack_of(wd_flood_t *fl, wd_flood_sec_t *s,
                                    const wd_addr_t *victim) {
  if (s->slot) {
    wd_flood_attack_t *at = &fl->attacks[s->slot - 1];
    if (fl->used[s->slot - 1] && wd_addr_eq(&at->victim, victim))
      return at;
    s->slot = 0;
  }
  return NULL;
}

static uint32_t victim_hash(const wd_addr_t *v) {
  return (uint32_t)wd_addr_hash(v, 0x7a11) | 1u; /* never 0 (= free) */
}

/* The victim's entry was recycled while its attack stayed open: find it. */
static wd_flood_attack_t *attack_find(wd_flood_t *fl, wd_flood_sec_t *s,
                                      const wd_addr_t *victim) {
  if (!fl->set.open)
    return NULL;
  uint32_t h = victim_hash(victim);
  for (unsigned i = 0; i < WD_FLOOD_ATTACKS_MAX; i++)
    if (fl->vhash[i] == h && wd_addr_eq(&fl->attacks[i].victim, victim)) {
      s->slot = (uint16_t)(i + 1);
      return &fl->attacks[i];
    }
  return NULL;
}

/* Opens an attack on victim from the counts so far in s and says START. */
static void attack_start(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                         wd_flood_sec_t *s, const wd_addr_t *victim) {
  if (attack_find(fl, s, victim))
    return;
  unsigned i = 0;
  while (i < WD_FLOOD_ATTACKS_MAX && fl->used[i])
    i++;
  if (i == WD_FLOOD_ATTACKS_MAX) {
    if (!s->refused)
      fl->refused++;
    s->refused = 1;
    return;
  }
  wd_flood_attack_t *at = &fl->attacks[i];
  memset(at, 0, sizeof *at);
  fl->used[i] = true;
  fl->vhash[i] = victim_hash(victim);
  s->slot = (uint16_t)(i + 1);
  at->victim = *victim;
  at->pkts = s->pkts;
  at->bytes = s->bytes;
  at->aux = s->aux;
  at->last_pps = at->peak_pps = s->pkts;
  at->last_bps = at->peak_bps = s->bytes * 8;
  at->first_pkt_ns = s->first_ns;
  at->last_pkt_ns = s->last_ns;
  at->thr[0] = s->thr[0];
  at->thr[1] = s->thr[1];
  at->key = s->key;
  at->kind = s->kind;
  at->src = s->src;
  for (unsigned j = 0; j < s->nsample; j++)
    sample_add(at->sample, &at->nsample, WD_FLOOD_SAMPLE, &s->sample[j]);
  wd_hll_clear(&at->srcs);
  wd_hll_merge_small(&at->srcs, &s->srcs);
  wd_attack_start(&fl->set, ctx, &at->a, NULL, at, s->first_ns, s->last_ns,
                  s->last_ns);
}

/* The attack in slot at ended: the slot is free again. */
static void slot_free(wd_flood_t *fl, wd_flood_attack_t *at) {
  unsigned i = (unsigned)(at - fl->attacks);
  wd_flood_sec_t *s = wd_table_find(fl->victims, &at->victim);
  if (s && s->slot == i + 1)
    s->slot = 0;
  fl->used[i] = false;
  fl->vhash[i] = 0;
}

/* ---- seconds ---- */

typedef struct close_walk {
  wd_flood_t *fl;
  const wd_detect_ctx_t *ctx;
  uint64_t sec;
} close_walk;

/* Evaluates one victim's completed (or, at finish, partial) second. */
static bool close_one(void *user, const void *key, void *val,
                      uint64_t last_ns) {
  close_walk *w = user;
  wd_flood_t *fl = w->fl;
  wd_flood_sec_t *s = val;
  if (last_ns < w->sec * WD_NSEC)
    return false; /* older entries were not hit in this second */
  if (s->sec != w->sec || (s->pkts == 0 && s->aux == 0))
    return true;
  bool over = fl->ops->over(fl, s);
  wd_flood_attack_t *at = attack_of(fl, s, key);
  if (!at && over) {
    at = attack_find(fl, s, key);
    if (!at)
      attack_start(fl, w->ctx, s, key);
    at = attack_of(fl, s, key);
  }
  if (!at)
    return true;
  at->last_pps = s->pkts;
  at->last_bps = s->bytes * 8;
  if (at->last_pps > at->peak_pps)
    at->peak_pps = at->last_pps;
  if (at->last_bps > at->peak_bps)
    at->peak_bps = at->last_bps;
  if (over && s->last_ns > at->a.last_ns)
    at->a.last_ns = s->last_ns;
  return true;
}

static void close_second(wd_flood_t *fl, const wd_detect_ctx_t *ctx) {
  if (!fl->sec)
    return;
  close_walk w = {fl, ctx, fl->sec};
  wd_table_foreach(fl->victims, close_one, &w);
}

static void attacks_due(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                        uint64_t now_ns, bool finish) {
  for (unsigned i = 0; i < WD_FLOOD_ATTACKS_MAX && fl->set.open; i++) {
    if (!fl->used[i])
      continue;
    wd_flood_attack_t *at = &fl->attacks[i];
    /* No packet in the second just closed: the current rate is 0. */
    if (at->last_pkt_ns < fl->sec * WD_NSEC) {
      at->last_pps = 0;
      at->last_bps = 0;
    }
    if (wd_attack_step(&fl->set, ctx, &at->a, NULL, at, now_ns, finish) ==
        WD_ATTACK_DUE_END)
      slot_free(fl, at);
  }
}

void wd_flood_tick(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                   uint64_t now_ns) {
  if (now_ns > fl->now_ns)
    fl->now_ns = now_ns;
  uint64_t sec = fl->now_ns / WD_NSEC;
  if (fl->sec && sec > fl->sec) {
    close_second(fl, ctx);
    attacks_due(fl, ctx, fl->now_ns, false);
    fl->sec = sec;
  }
}

void wd_flood_finish(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                     uint64_t now_ns) {
  if (now_ns > fl->now_ns)
    fl->now_ns = now_ns;
  close_second(fl, ctx);
  attacks_due(fl, ctx, fl->now_ns, true);
  fl->sec = 0;
}

/* ---- packets ---- */

static void sec_reset(wd_flood_sec_t *s, uint64_t sec) {
  s->sec = sec;
  s->first_ns = s->last_ns = 0;
  s->pkts = s->bytes = s->aux = 0;
  memset(&s->key, 0, sizeof s->key);
  memset(&s->kind, 0, sizeof s->kind);
  memset(&s->src, 0, sizeof s->src);
  s->refused = 0;
  s->nsample = 0;
  wd_hll_small_clear(&s->srcs);
}

void wd_flood_add(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                  const wd_flood_pkt_t *fp) {
  uint64_t now = fp->ts_ns > fl->now_ns ? fp->ts_ns : fl->now_ns;
  uint64_t sec = now / WD_NSEC;
  if (fl->sec && sec > fl->sec)
    wd_flood_tick(fl, ctx, now); /* no tick came for this second */
  fl->now_ns = now;
  fl->sec = sec;

  wd_flood_sec_t *s;
  if (fp->mode == WD_FLOOD_CREATE) {
    bool created;
    s = wd_table_get(fl->victims, fp->victim, now, &created);
    if (!s)
      return;
    if (created) {
      sec_reset(s, sec);
      if (fl->ops->init_victim)
        fl->ops->init_victim(fl, fp->victim, s);
      attack_find(fl, s, fp->victim); /* back after being recycled */
    }
  } else {
    s = wd_table_find(fl->victims, fp->victim);
    if (!s)
      return;
    if (fp->mode == WD_FLOOD_IF_ACTIVE && s->sec != sec &&
        !attack_of(fl, s, fp->victim))
      return;
    s = wd_table_get(fl->victims, fp->victim, now, NULL); /* touch */
  }
  if (s->sec != sec)
    sec_reset(s, sec);

  if (!s->first_ns)
    s->first_ns = fp->ts_ns;
  s->last_ns = now;
  s->aux += fp->aux;
  wd_flood_attack_t *at = attack_of(fl, s, fp->victim);
  if (at) {
    at->aux += fp->aux;
    if (fp->pkts) {
      at->pkts += fp->pkts;
      at->bytes += fp->bytes;
      at->last_pkt_ns = now;
      vote(&at->key, fp->key);
      vote(&at->kind, fp->kind);
      vote_addr(&at->src, fp->src);
      sample_add(at->sample, &at->nsample, WD_FLOOD_SAMPLE, fp->src);
      wd_hll_add_addr(&at->srcs, fp->src);
    }
  }
  if (!fp->pkts)
    return;
  s->pkts += fp->pkts;
  s->bytes += fp->bytes;
  if (at) {
    /* Also here, not only when the second closes: the entry might be
     * recycled before that. */
    if (s->pkts > at->peak_pps)
      at->peak_pps = s->pkts;
    if (s->bytes * 8 > at->peak_bps)
      at->peak_bps = s->bytes * 8;
    if (fl->ops->over(fl, s))
      at->a.last_ns = now;
  }
  vote(&s->key, fp->key);
  vote(&s->kind, fp->kind);
  vote_addr(&s->src, fp->src);
  sample_add(s->sample, &s->nsample, WD_FLOOD_SEC_SAMPLE, fp->src);
  wd_hll_small_add_hash(&s->srcs, wd_hll_hash_addr(fp->src));
  if (!at && !s->refused && fl->ops->over(fl, s))
    attack_start(fl, ctx, s, fp->victim);
}

void wd_flood_add_sample(wd_flood_t *fl, wd_alert_t *al, const char *key,
                         const wd_flood_attack_t *at) {
  if (!at->nsample)
    return;
  size_t n;
  char *buf = wd_flood_scratch(fl, &n);
  for (unsigned i = 0; i < at->nsample; i++)
    wd_attack_list_addr(buf, n, &at->sample[i]);
  wd_alert_add_str(al, key, buf);
}

wd_rc wd_flood_create(const wd_flood_ops_t *ops, const wd_config_t *cfg,
                      wd_memcap_t *mc, void **state) {
  *state = NULL;
  const bool *enabled = wd_detector_conf(cfg, ops->det);
  if (!enabled)
    return WD_ERR_CONFIG;
  if (!*enabled)
    return WD_OK;
  uint64_t max = wd_attack_table_max(mc, 10, sizeof(wd_addr_t),
                                     sizeof(wd_flood_sec_t), 64);
  return wd_flood_new(ops, cfg, mc, max, (wd_flood_t **)state);
}

void wd_flood_destroy(void *state) { wd_flood_free(state); }

void wd_flood_on_tick(void *state, const wd_detect_ctx_t *ctx,
                      uint64_t now_ns) {
  wd_flood_tick(state, ctx, now_ns);
}

void wd_flood_on_finish(void *state, const wd_detect_ctx_t *ctx,
                        uint64_t now_ns) {
  wd_flood_finish(state, ctx, now_ns);
}
