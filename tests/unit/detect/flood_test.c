/* flood_test.c -- the flood engine with a test detector (a second is an
 * attack at 10 packets): START at the crossing packet, per-second rates
 * and peaks, UPDATE and END timing, the partial last second at finish,
 * seconds closed without a tick, out-of-order packets, the IF_KNOWN /
 * IF_ACTIVE modes, the attack array limit and a small victim table that
 * recycles victims without losing their attack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"
#include "detect/flood.h"

static bool over10(const wd_flood_t *fl, const wd_flood_sec_t *s) {
  (void)fl;
  return s->pkts >= 10;
}

static void report(wd_flood_t *fl, const wd_flood_attack_t *at,
                   wd_alert_t *al) {
  (void)fl;
  wd_alert_add_u64(al, "aux", at->aux);
  if (wd_flood_key_dominant(at)) {
    al->has_ports = true;
    al->dport = (uint16_t)at->key.v;
  }
}

static const wd_detector_sig_t sigs[] = {
    {1, "sig", "cat", 2, "availability", "ddos"},
};

static const wd_detector_t det = {
    .name = "test.flood",
    .line = WD_LINE_DDOS,
    WD_DETECTOR_SIGS(sigs),
};

static const wd_flood_ops_t ops = {
    .det = &det,
    .sources_metric = "sources",
    .over = over10,
    .report = report,
};

static wd_flood_t *F;
static dd D; /* used for its sink and context only */
static wd_addr_t SRC;

static void setup(uint64_t max_victims) {
  dd_defaults(&D.cfg);
  D.cfg.detect.quiet_s = 2;
  D.cfg.detect.update_s = 3;
  wd_memcap_init(&D.mc, "detect", 16u << 20);
  D.n = D.total = 0;
  D.sink.emit = dd_emit;
  D.sink.user = &D;
  D.ctx.cfg = &D.cfg;
  D.ctx.sink = &D.sink;
  SRC = dd_ip("198.51.100.1");
  assert_int_equal(wd_flood_new(&ops, &D.cfg, &D.mc, max_victims, &F), WD_OK);
}

static void add(uint64_t ts, wd_addr_t victim, uint32_t aux,
                wd_flood_mode mode) {
  wd_flood_pkt_t fp = {.victim = &victim,
                       .src = &SRC,
                       .ts_ns = ts,
                       .pkts = aux ? 0 : 1,
                       .bytes = 100,
                       .aux = aux,
                       .key = 80,
                       .kind = 0,
                       .mode = mode};
  wd_flood_add(F, &D.ctx, &fp);
}

static void teardown(void) {
  wd_flood_free(F);
  F = NULL;
  assert_int_equal(D.mc.used, 0);
}

static void life_cycle(void **st) {
  (void)st;
  setup(1000);
  wd_addr_t v = dd_ip("10.0.0.1");
  /* Second 0: 12 packets; START at the 10th. */
  for (unsigned i = 0; i < 12; i++)
    add(DD_T0 + i * 10 * DD_MS, v, 0, WD_FLOOD_CREATE);
  assert_int_equal(D.n, 1);
  assert_int_equal(D.al[0].a.ts_ns, DD_T0 + 90 * DD_MS);
  assert_int_equal(D.al[0].a.start_ns, DD_T0);
  assert_int_equal(dd_metric_u(&D, 0, "pps"), 10);
  assert_true(D.al[0].a.has_ports);
  assert_int_equal(D.al[0].a.dport, 80);
  /* Seconds 1..5: 20 packets each; no tick calls (the engine closes the
   * seconds itself as packets move on). */
  for (unsigned s = 1; s <= 5; s++)
    for (unsigned i = 0; i < 20; i++)
      add(DD_T0 + s * DD_NSEC + i * DD_MS, v, 0, WD_FLOOD_CREATE);
  /* An UPDATE came 3 s after START, with the last complete second. */
  int u = dd_find(&D, WD_ALERT_UPDATE, 0);
  assert_int_equal(u, 1);
  assert_int_equal(D.al[u].a.ts_ns, DD_T0 + 4 * DD_NSEC);
  assert_int_equal(dd_metric_u(&D, u, "pps"), 20);
  assert_int_equal(dd_metric_u(&D, u, "peak_pps"), 20);
  /* An out-of-order packet (from second 2) counts in the current one. */
  add(DD_T0 + 2 * DD_NSEC, v, 0, WD_FLOOD_CREATE);
  /* Quiet: ticks at 6, 7, 8. */
  wd_flood_tick(F, &D.ctx, DD_T0 + 6 * DD_NSEC);
  wd_flood_tick(F, &D.ctx, DD_T0 + 7 * DD_NSEC);
  assert_int_equal(dd_find(&D, WD_ALERT_END, 0), -1);
  wd_flood_tick(F, &D.ctx, DD_T0 + 8 * DD_NSEC);
  int e = dd_find(&D, WD_ALERT_END, 0);
  assert_true(e > 0);
  assert_int_equal(dd_metric_u(&D, e, "packets"), 12 + 100 + 1);
  assert_int_equal(dd_metric_u(&D, e, "pps"), 0);
  assert_int_equal(dd_metric_u(&D, e, "peak_pps"), 21);
  assert_non_null(dd_metric(&D, e, "last_seen"));
  wd_flood_stats_t fs;
  wd_flood_stats(F, &fs);
  assert_int_equal(fs.attacks_open, 0);
  wd_flood_finish(F, &D.ctx, DD_T0 + 9 * DD_NSEC);
  assert_int_equal(dd_find(&D, WD_ALERT_START, 1), -1);
  teardown();
}

static void modes(void **st) {
  (void)st;
  setup(1000);
  wd_addr_t v = dd_ip("10.0.0.2"), w = dd_ip("10.0.0.3");
  add(DD_T0, v, 1, WD_FLOOD_IF_KNOWN); /* unknown: dropped */
  add(DD_T0, v, 0, WD_FLOOD_CREATE);
  add(DD_T0 + 1, v, 5, WD_FLOOD_IF_KNOWN);
  /* IF_ACTIVE: w is unknown; v is active this second. */
  add(DD_T0 + 2, w, 0, WD_FLOOD_IF_ACTIVE);
  for (unsigned i = 0; i < 9; i++)
    add(DD_T0 + 3 + i, v, 0, WD_FLOOD_IF_ACTIVE);
  assert_int_equal(D.n, 1);
  /* The next second v has no packet yet, but an open attack: counted. */
  add(DD_T0 + DD_NSEC, v, 0, WD_FLOOD_IF_ACTIVE);
  wd_flood_finish(F, &D.ctx, DD_T0 + DD_NSEC);
  assert_int_equal(D.n, 2);
  assert_int_equal(dd_metric_u(&D, 1, "aux"), 5);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 11);
  wd_flood_stats_t fs;
  wd_flood_stats(F, &fs);
  assert_int_equal(fs.victims.entries, 1);
  teardown();
}

static void attack_array_full(void **st) {
  (void)st;
  setup(100000);
  for (uint32_t k = 0; k < WD_FLOOD_ATTACKS_MAX + 10; k++)
    for (unsigned i = 0; i < 10; i++)
      add(DD_T0 + k * 1000 + i, dd_a4(0x0a000000u + k), 0, WD_FLOOD_CREATE);
  assert_int_equal(D.total, WD_FLOOD_ATTACKS_MAX);
  wd_flood_stats_t fs;
  wd_flood_stats(F, &fs);
  assert_int_equal(fs.attacks_open, WD_FLOOD_ATTACKS_MAX);
  assert_int_equal(fs.attacks_refused, 10);
  wd_flood_finish(F, &D.ctx, DD_T0 + DD_NSEC);
  assert_int_equal(D.total, 2 * WD_FLOOD_ATTACKS_MAX);
  wd_flood_stats(F, &fs);
  assert_int_equal(fs.attacks_open, 0);
  teardown();
}

/* A victim table of 64: the attacked victim is recycled by a crowd of
 * others and comes back; its attack goes on (one START, one END). */
static void recycled_victim_keeps_attack(void **st) {
  (void)st;
  setup(64);
  wd_addr_t v = dd_ip("10.0.0.9");
  for (unsigned s = 0; s < 3; s++) {
    for (unsigned i = 0; i < 10; i++)
      add(DD_T0 + s * DD_NSEC + i, v, 0, WD_FLOOD_CREATE);
    for (uint32_t k = 0; k < 5000; k++)
      add(DD_T0 + s * DD_NSEC + 100 + k, dd_a4(0x0a100000u + k), 0,
          WD_FLOOD_CREATE);
  }
  wd_flood_stats_t fs;
  wd_flood_stats(F, &fs);
  assert_true(fs.victims.evicted > 0);
  assert_true(fs.victims.entries <= 64);
  wd_flood_finish(F, &D.ctx, DD_T0 + 3 * DD_NSEC);
  assert_int_equal(D.n, 2);
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 30);
  teardown();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(life_cycle),
      cmocka_unit_test(modes),
      cmocka_unit_test(attack_array_full),
      cmocka_unit_test(recycled_victim_keeps_attack),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
