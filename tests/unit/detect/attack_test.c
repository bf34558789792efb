/* attack_test.c -- the one attack life cycle (attack.h): START with the
 * descriptor's header, UPDATE every interval and none when it is 0, END
 * after the quiet period (at least a second) with last_seen, holding
 * through quiet up to the hold, updates only on change, END when a table
 * recycles the entry at its cap, END of everything at finish; time text,
 * bounded text lists, table budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/table.h"
#include "detect/attack.h"
#include "detect/det_drive.h"

static const wd_detector_sig_t sigs[] = {
    {42, "sig", "cat", 3, "availability", "ddos"},
    {43, "other sig", "cat2", 1, "intrusions", "system-compromise"},
};

static const wd_detector_t det = {
    .name = "test.kind",
    .line = WD_LINE_DDOS,
    WD_DETECTOR_SIGS(sigs),
};

typedef struct entry {
  wd_attack_t a;
  uint64_t count;
  bool second_sig;
  unsigned flags; /* WD_ATTACK_* the detector says */
} entry;

static unsigned flags_of(const void *val) {
  return ((const entry *)val)->flags;
}

static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  (void)user;
  const entry *e = val;
  if (key)
    al->dst = *(const wd_addr_t *)key;
  if (e->second_sig)
    wd_alert_sign(al, &sigs[1]);
  wd_alert_add_u64(al, "count", e->count);
}

static void setup(dd *d, wd_attack_set_t *s, uint32_t update_s,
                  uint32_t quiet_s) {
  memset(d, 0, sizeof *d);
  dd_defaults(&d->cfg);
  d->cfg.detect.update_s = update_s;
  d->cfg.detect.quiet_s = quiet_s;
  d->sink.emit = dd_emit;
  d->sink.user = d;
  d->ctx.cfg = &d->cfg;
  d->ctx.sink = &d->sink;
  wd_attack_set_init(s, &det, &d->cfg, fill, NULL);
}

static void life_cycle(void **st) {
  (void)st;
  dd d;
  wd_attack_set_t s;
  setup(&d, &s, 60, 10);
  entry e;
  memset(&e, 0, sizeof e);
  assert_false(wd_attack_is_open(&e.a));
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0), WD_ATTACK_DUE_NONE);
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 100 * DD_NSEC, true),
      WD_ATTACK_DUE_NONE); /* nothing open: nothing to end */
  assert_int_equal(d.n, 0);

  e.count = 7;
  wd_attack_start(&s, &d.ctx, &e.a, NULL, &e, DD_T0 - DD_NSEC, DD_T0, DD_T0);
  assert_true(wd_attack_is_open(&e.a));
  uint64_t id = e.a.id;
  assert_true(id > 0);
  assert_int_equal(s.open, 1);
  assert_int_equal(d.n, 1);
  const wd_alert_t *a = &d.al[0].a;
  assert_int_equal(a->state, WD_ALERT_START);
  assert_string_equal(a->detector, "test.kind");
  assert_int_equal(a->signature_id, 42);
  assert_int_equal(a->severity, 3);
  assert_string_equal(a->rsit_class, "availability");
  assert_int_equal(a->attack_id, id);
  assert_int_equal(a->start_ns, DD_T0 - DD_NSEC);
  assert_int_equal(a->last_ns, DD_T0);
  assert_int_equal(a->ts_ns, DD_T0);
  assert_int_equal(dd_metric_u(&d, 0, "count"), 7);
  assert_null(dd_metric(&d, 0, "last_seen"));

  /* quiet counts from the latest evidence */
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 9 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 10 * DD_NSEC),
                   WD_ATTACK_DUE_END);
  /* evidence keeps coming: an UPDATE 60 s after the START, then 60 s
   * after that UPDATE */
  wd_attack_seen(&e.a, DD_T0 + 59 * DD_NSEC);
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 59 * DD_NSEC, false),
      WD_ATTACK_DUE_NONE);
  wd_attack_seen(&e.a, DD_T0 + 60 * DD_NSEC);
  e.count = 9;
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 60 * DD_NSEC, false),
      WD_ATTACK_DUE_UPDATE);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_UPDATE);
  assert_int_equal(d.al[1].a.attack_id, id);
  assert_int_equal(d.al[1].a.ts_ns, DD_T0 + 60 * DD_NSEC);
  assert_int_equal(dd_metric_u(&d, 1, "count"), 9);
  assert_int_equal(e.a.report_ns, DD_T0 + 60 * DD_NSEC);
  wd_attack_seen(&e.a, DD_T0 + 119 * DD_NSEC);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 119 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 120 * DD_NSEC),
                   WD_ATTACK_DUE_UPDATE);
  /* older evidence does not move the quiet period back */
  wd_attack_seen(&e.a, DD_T0);
  assert_int_equal(e.a.last_ns, DD_T0 + 119 * DD_NSEC);

  /* the fill may sign another of the descriptor's signatures */
  e.second_sig = true;
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 129 * DD_NSEC, false),
      WD_ATTACK_DUE_END);
  assert_int_equal(d.n, 3);
  a = &d.al[2].a;
  assert_int_equal(a->state, WD_ALERT_END);
  assert_int_equal(a->attack_id, id);
  assert_int_equal(a->signature_id, 43);
  assert_int_equal(a->severity, 1);
  assert_string_equal(a->rsit_type, "system-compromise");
  assert_int_equal(a->ts_ns, DD_T0 + 129 * DD_NSEC);
  assert_int_equal(a->last_ns, DD_T0 + 119 * DD_NSEC);
  char t[32];
  assert_string_equal(dd_metric(&d, 2, "last_seen"),
                      wd_attack_time_str(DD_T0 + 119 * DD_NSEC, t));
  assert_false(wd_attack_is_open(&e.a));
  assert_int_equal(s.open, 0);
  assert_int_equal(s.st.started, 1);
  assert_int_equal(s.st.ended, 1);
  assert_int_equal(s.st.recycled, 0);
  /* an END of a closed attack says nothing */
  wd_attack_end(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 200 * DD_NSEC);
  assert_int_equal(d.n, 3);

  /* the next attack has a new id */
  wd_attack_start(&s, &d.ctx, &e.a, NULL, &e, DD_T0, DD_T0, DD_T0);
  assert_true(e.a.id > id);
  /* finish ends it whatever the time */
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + DD_NSEC / 2, true),
      WD_ATTACK_DUE_END);
  assert_int_equal(d.al[d.n - 1].a.state, WD_ALERT_END);
}

static void zero_intervals(void **st) {
  (void)st;
  dd d;
  wd_attack_set_t s;
  setup(&d, &s, 0, 0);
  assert_int_equal(s.quiet_ns, DD_NSEC);
  entry e;
  memset(&e, 0, sizeof e);
  wd_attack_start(&s, &d.ctx, &e.a, NULL, &e, DD_T0, DD_T0, DD_T0);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + DD_NSEC / 2),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + DD_NSEC),
                   WD_ATTACK_DUE_END);
  wd_attack_seen(&e.a, DD_T0 + 1000 * DD_NSEC);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 1000 * DD_NSEC),
                   WD_ATTACK_DUE_NONE); /* never an UPDATE */
}

/* The SMB detectors' variant: held open while a connection is, up to the
 * hold; periodic UPDATEs only when something changed; an immediate
 * UPDATE on request. */
static void hold_and_changes(void **st) {
  (void)st;
  dd d;
  wd_attack_set_t s;
  setup(&d, &s, 60, 10);
  wd_attack_set_hold(&s, 5 * DD_NSEC, flags_of); /* below quiet: raised */
  assert_int_equal(s.hold_ns, 10 * DD_NSEC);
  wd_attack_set_hold(&s, 300 * DD_NSEC, flags_of);
  entry e;
  memset(&e, 0, sizeof e);
  wd_attack_start(&s, &d.ctx, &e.a, NULL, &e, DD_T0, DD_T0, DD_T0);
  e.flags = WD_ATTACK_HELD;
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 10 * DD_NSEC),
                   WD_ATTACK_DUE_NONE); /* held through the quiet period */
  /* nothing changed: no periodic UPDATE */
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 60 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  e.flags = WD_ATTACK_HELD | WD_ATTACK_CHANGED;
  assert_int_equal(
      wd_attack_step(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 60 * DD_NSEC, false),
      WD_ATTACK_DUE_UPDATE);
  /* the next one an interval after it */
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 119 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  e.flags = WD_ATTACK_HELD;
  wd_attack_update(&s, &d.ctx, &e.a, NULL, &e, DD_T0 + 61 * DD_NSEC);
  assert_int_equal(d.n, 3);
  assert_int_equal(d.al[2].a.state, WD_ALERT_UPDATE);
  assert_int_equal(e.a.report_ns, DD_T0 + 61 * DD_NSEC);
  /* the hold ends it even while held */
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 299 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 300 * DD_NSEC),
                   WD_ATTACK_DUE_END);
  /* released: the quiet period applies again */
  e.flags = 0;
  assert_int_equal(wd_attack_due(&s, &e.a, &e, DD_T0 + 10 * DD_NSEC),
                   WD_ATTACK_DUE_END);
}

/* A table at its cap recycles its least recent entry: the attack in it is
 * reported END (through the set's context) before the entry is reused. */
typedef struct rec_state {
  wd_attack_set_t s;
  uint64_t now;
} rec_state;

static void on_evict(void *user, const void *key, void *val) {
  rec_state *r = user;
  entry *e = val;
  wd_attack_recycled(&r->s, &e->a, key, e, r->now);
}

static void recycling_at_cap(void **st) {
  (void)st;
  dd d;
  rec_state r;
  setup(&d, &r.s, 60, 10);
  wd_memcap_t mc;
  wd_memcap_init(&mc, "detect", 1u << 20);
  wd_table_t *t;
  assert_int_equal(wd_table_new("test", sizeof(wd_addr_t), sizeof(entry), 4,
                                &mc, on_evict, &r, &t),
                   WD_OK);
  r.s.ctx = &d.ctx;
  uint64_t ids[6];
  for (uint32_t i = 0; i < 6; i++) {
    wd_addr_t k = dd_a4(0x0a000001u + i);
    r.now = DD_T0 + i * DD_NSEC;
    bool created;
    entry *e = wd_table_get(t, &k, r.now, &created);
    assert_non_null(e);
    assert_true(created);
    assert_false(wd_attack_is_open(&e->a)); /* a recycled entry is clean */
    e->count = i;
    wd_attack_start(&r.s, &d.ctx, &e->a, &k, e, r.now, r.now, r.now);
    ids[i] = e->a.id;
  }
  /* 6 STARTs, and ENDs of the first two when entries 5 and 6 came */
  assert_int_equal(r.s.st.started, 6);
  assert_int_equal(r.s.st.recycled, 2);
  assert_int_equal(r.s.st.ended, 2);
  assert_int_equal(r.s.open, 4);
  assert_int_equal(d.n, 8);
  int end = dd_find(&d, WD_ALERT_END, 0);
  assert_true(end >= 0);
  assert_int_equal(d.al[end].a.attack_id, ids[0]);
  assert_int_equal(dd_metric_u(&d, (unsigned)end, "count"), 0);
  wd_addr_t first = dd_a4(0x0a000001u);
  assert_true(wd_addr_eq(&d.al[end].a.dst, &first));
  assert_int_equal(d.al[end].a.ts_ns, DD_T0 + 4 * DD_NSEC);
  end = dd_find(&d, WD_ALERT_END, (unsigned)end + 1);
  assert_int_equal(d.al[end].a.attack_id, ids[1]);
  /* with no context the recycled attack closes silently */
  r.s.ctx = NULL;
  wd_addr_t k = dd_a4(0x0b000001u);
  r.now = DD_T0 + 10 * DD_NSEC;
  assert_non_null(wd_table_get(t, &k, r.now, NULL));
  assert_int_equal(r.s.st.recycled, 3);
  assert_int_equal(r.s.open, 3);
  assert_int_equal(d.n, 8);
  wd_table_free(t);
}

static void texts(void **st) {
  (void)st;
  char t[32];
  /* 2021-04-28T10:30:21.099510Z */
  assert_string_equal(wd_attack_time_str(1619605821099510000ull, t),
                      "2021-04-28T10:30:21.099510Z");
  char buf[24] = "";
  wd_addr_t a = dd_ip("10.0.0.1"), b = dd_ip("192.168.100.200");
  wd_attack_list_addr(buf, sizeof buf, &a);
  assert_string_equal(buf, "10.0.0.1");
  wd_attack_list_addr(buf, sizeof buf, &a);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1");
  wd_attack_list_addr(buf, sizeof buf, &b); /* does not fit: left out */
  assert_string_equal(buf, "10.0.0.1,10.0.0.1");
  wd_attack_list_u64(buf, sizeof buf, 445);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1,445");
  wd_attack_list_u64(buf, sizeof buf, 4444);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1,445");
}

static void budgets(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "detect", 16u << 20);
  /* 2 MiB / 240-byte entries. */
  assert_int_equal(wd_table_entry_size(16, 200), 240);
  assert_int_equal(wd_attack_table_max(&mc, 8, 16, 200, 10), 8738);
  assert_int_equal(wd_attack_table_max(&mc, 64, 16, 200, 10), 1092);
  wd_memcap_init(&mc, "detect", 1000);
  assert_int_equal(wd_attack_table_max(&mc, 8, 16, 200, 10), 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(life_cycle),
      cmocka_unit_test(zero_intervals),
      cmocka_unit_test(hold_and_changes),
      cmocka_unit_test(recycling_at_cap),
      cmocka_unit_test(texts),
      cmocka_unit_test(budgets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
