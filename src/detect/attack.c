/* attack.c -- the attack life cycle every detector uses (see attack.h).
 * In: a detector's wd_attack_t entries, its attack set and the traffic
 * time. Out: START / UPDATE / END alerts through the detect context's
 * sink, short text lists for metrics. No allocation; the time text comes
 * from core/timefmt.h (no system call). */
#include "detect/attack.h"

#include "core/table.h"
#include "core/timefmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void wd_attack_set_init(wd_attack_set_t *s, const wd_detector_t *det,
                        const wd_config_t *cfg, wd_attack_fill_fn fill,
                        void *user) {
  memset(s, 0, sizeof *s);
  s->det = det;
  s->fill = fill;
  s->user = user;
  uint64_t q = cfg->detect.quiet_s;
  s->quiet_ns = (q ? q : 1) * WD_NSEC;
  s->hold_ns = s->quiet_ns;
  s->update_ns = (uint64_t)cfg->detect.update_s * WD_NSEC;
}

void wd_attack_set_hold(wd_attack_set_t *s, uint64_t hold_ns,
                        wd_attack_flags_fn flags) {
  s->hold_ns = hold_ns > s->quiet_ns ? hold_ns : s->quiet_ns;
  s->flags = flags;
}

void wd_attack_set_quiet(wd_attack_set_t *s, uint64_t quiet_ns) {
  s->quiet_ns = quiet_ns;
  if (s->hold_ns < quiet_ns)
    s->hold_ns = quiet_ns;
}

/* Fills the header, lets the detector add its part, sends the alert. */
static void report(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                   wd_attack_t *a, const void *key, void *val,
                   wd_alert_state st, uint64_t now_ns) {
  wd_alert_t al;
  memset(&al, 0, sizeof al);
  al.detector = s->det->name;
  if (s->det->n_sigs)
    wd_alert_sign(&al, &s->det->sigs[0]);
  al.state = st;
  al.attack_id = a->id;
  al.ts_ns = now_ns;
  al.start_ns = a->start_ns;
  al.last_ns = a->last_ns;
  s->fill(s->user, key, val, &al);
  char last[32];
  if (st == WD_ALERT_END)
    wd_alert_add_str(&al, "last_seen", wd_attack_time_str(a->last_ns, last));
  else
    a->report_ns = now_ns; /* START and UPDATE restart the interval */
  if (ctx)
    wd_alert_emit(ctx->sink, &al);
}

void wd_attack_start(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                     wd_attack_t *a, const void *key, void *val,
                     uint64_t start_ns, uint64_t last_ns, uint64_t now_ns) {
  a->id =
      ctx && ctx->attack_ids ? (*ctx->attack_ids += 16) : wd_alert_next_id();
  a->start_ns = start_ns;
  a->last_ns = last_ns;
  a->report_ns = now_ns;
  s->open++;
  s->st.started++;
  report(s, ctx, a, key, val, WD_ALERT_START, now_ns);
}

void wd_attack_update(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                      wd_attack_t *a, const void *key, void *val,
                      uint64_t now_ns) {
  if (wd_attack_is_open(a))
    report(s, ctx, a, key, val, WD_ALERT_UPDATE, now_ns);
}

void wd_attack_end(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                   wd_attack_t *a, const void *key, void *val,
                   uint64_t now_ns) {
  if (!wd_attack_is_open(a))
    return;
  report(s, ctx, a, key, val, WD_ALERT_END, now_ns);
  memset(a, 0, sizeof *a);
  s->open--;
  s->st.ended++;
}

wd_attack_due_t wd_attack_due(const wd_attack_set_t *s, const wd_attack_t *a,
                              const void *val, uint64_t now_ns) {
  if (!wd_attack_is_open(a))
    return WD_ATTACK_DUE_NONE;
  unsigned fl = s->flags ? s->flags(val) : WD_ATTACK_CHANGED;
  uint64_t quiet = now_ns > a->last_ns ? now_ns - a->last_ns : 0;
  if (quiet >= s->hold_ns || (quiet >= s->quiet_ns && !(fl & WD_ATTACK_HELD)))
    return WD_ATTACK_DUE_END;
  if (s->update_ns && (fl & WD_ATTACK_CHANGED) && now_ns >= a->report_ns &&
      now_ns - a->report_ns >= s->update_ns)
    return WD_ATTACK_DUE_UPDATE;
  return WD_ATTACK_DUE_NONE;
}

wd_attack_due_t wd_attack_step(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                               wd_attack_t *a, const void *key, void *val,
                               uint64_t now_ns, bool finish) {
  wd_attack_due_t due = !wd_attack_is_open(a) ? WD_ATTACK_DUE_NONE
                        : finish              ? WD_ATTACK_DUE_END
                                 : wd_attack_due(s, a, val, now_ns);
  if (due == WD_ATTACK_DUE_END)
    wd_attack_end(s, ctx, a, key, val, now_ns);
  else if (due == WD_ATTACK_DUE_UPDATE)
    report(s, ctx, a, key, val, WD_ALERT_UPDATE, now_ns);
  return due;
}

void wd_attack_recycled(wd_attack_set_t *s, wd_attack_t *a, const void *key,
                        void *val, uint64_t ts) {
  if (!wd_attack_is_open(a))
    return;
  s->st.recycled++;
  wd_attack_end(s, s->ctx, a, key, val, ts);
}

#define WALK_BATCH 64

typedef struct walk {
  wd_attack_set_t *s;
  size_t key_size, attack_off;
  uint64_t idle_ns, now_ns;
  bool all;
  unsigned n;
  uint8_t done[WALK_BATCH][WD_ATTACK_WALK_KEY_MAX];
} walk_t;

static bool walk_one(void *user, const void *key, void *val, uint64_t last) {
  walk_t *w = user;
  wd_attack_t *a = (wd_attack_t *)(void *)((char *)val + w->attack_off);
  if (wd_attack_is_open(a)) {
    if (wd_attack_step(w->s, w->s->ctx, a, key, val, w->now_ns, w->all) !=
        WD_ATTACK_DUE_END)
      return true;
  } else if (!w->all && last + w->idle_ns > w->now_ns) {
    return true;
  }
  memcpy(w->done[w->n++], key, w->key_size);
  return w->n < WALK_BATCH;
}

void wd_attack_table_walk(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                          struct wd_table *t, size_t key_size,
                          size_t attack_off, uint64_t idle_ns, uint64_t now_ns,
                          bool all) {
  if (key_size > WD_ATTACK_WALK_KEY_MAX) /* WD_ATTACK_TABLE_WALK refuses it */
    return;
  s->ctx = ctx;
  walk_t w = {.s = s,
              .key_size = key_size,
              .attack_off = attack_off,
              .idle_ns = idle_ns,
              .now_ns = now_ns,
              .all = all};
  /* entries leave between walks, never while the table is walked */
  do {
    w.n = 0;
    wd_table_foreach(t, walk_one, &w);
    for (unsigned i = 0; i < w.n; i++)
      wd_table_remove(t, w.done[i]);
  } while (w.n == WALK_BATCH);
}

uint64_t wd_attack_table_max(const wd_memcap_t *mc, unsigned den,
                             size_t key_size, size_t val_size,
                             uint64_t min_entries) {
  uint64_t n =
      (mc->cap / (den ? den : 1)) / wd_table_entry_size(key_size, val_size);
  return n > min_entries ? n : min_entries;
}

char *wd_attack_time_str(uint64_t ns, char out[32]) {
  return wd_time_str(ns, WD_TIME_RFC3339_US, out, 32);
}

static void list_append(char *buf, size_t n, const char *item) {
  size_t len = strnlen(buf, n);
  size_t need = strlen(item) + (len ? 1 : 0);
  if (len + need + 1 > n)
    return;
  if (len)
    buf[len++] = ',';
  memcpy(buf + len, item, strlen(item) + 1);
}

void wd_attack_list_addr(char *buf, size_t n, const wd_addr_t *a) {
  char s[WD_ADDR_STRLEN];
  list_append(buf, n, wd_addr_str(a, s));
}

void wd_attack_list_u64(char *buf, size_t n, uint64_t v) {
  char s[24];
  snprintf(s, sizeof s, "%" PRIu64, v);
  list_append(buf, n, s);
}
