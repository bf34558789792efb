/* syn_flood_test.c -- ddos.syn-flood: fires on spoofed and single-source
 * SYN floods against a protected host (IPv4 and IPv6) with the right
 * victim, start and START..END sequence; stays silent for a busy server
 * that completes its handshakes, for rates below threshold and for hosts
 * outside the protected networks; stays bounded under millions of random
 * sources and victims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"

extern const wd_detector_ops_t wd_detector_syn_flood;

static dd D;

/* n SYNs spread evenly over [t, t + span) towards victim:port, from random
 * sources when seed != 0, else from src. */
static void syns(dd *d, uint64_t t, uint64_t span, unsigned n, wd_addr_t victim,
                 uint16_t port, uint64_t *seed, wd_addr_t src) {
  for (unsigned i = 0; i < n; i++) {
    wd_addr_t s = src;
    if (seed)
      s = dd_a4((uint32_t)dd_rand(seed) | 0x01000000u);
    wd_packet_t p = dd_tcp(t + span * i / n, s, (uint16_t)(1024 + i % 60000),
                           victim, port, WD_TCP_SYN);
    dd_packet(d, &p, NULL, WD_DIR_TO_SERVER);
  }
}

static void spoofed_flood(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  assert_non_null(D.state);
  wd_addr_t victim = dd_ip("10.10.10.10");
  uint64_t seed = 42;
  uint64_t t0 = DD_T0 + 99 * DD_MS;
  syns(&D, t0, 800 * DD_MS, 20000, victim, 25565, &seed, victim);
  /* START came within the first second of the flood. */
  int s = dd_find(&D, WD_ALERT_START, 0);
  assert_int_equal(s, 0);
  const wd_alert_t *a = &D.al[0].a;
  assert_string_equal(a->detector, "ddos.syn-flood");
  assert_string_equal(a->rsit_class, "availability");
  assert_string_equal(a->rsit_type, "ddos");
  assert_true(a->ts_ns < t0 + DD_NSEC);
  assert_int_equal(a->start_ns, t0);
  assert_true(wd_addr_eq(&a->dst, &victim));
  assert_false(a->has_src);
  assert_true(a->has_ports);
  assert_int_equal(a->dport, 25565);
  assert_int_equal(a->proto, WD_PROTO_TCP);
  assert_string_equal(dd_metric(&D, 0, "spoofed"), "true");
  /* A trickle afterwards, then silence: END after detect.end_after. */
  syns(&D, t0 + 3 * DD_NSEC, DD_NSEC, 50, victim, 25565, &seed, victim);
  for (unsigned k = 5; k <= 20; k++) { /* other traffic keeps time */
    wd_packet_t p = dd_tcp(t0 + k * DD_NSEC, dd_ip("192.0.2.1"), 1000,
                           dd_ip("10.0.0.1"), 80, WD_TCP_ACK);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  int e = dd_find(&D, WD_ALERT_END, 0);
  assert_int_equal(e, 1);
  assert_int_equal(D.al[e].a.attack_id, a->attack_id);
  assert_true(D.al[e].a.ts_ns >= t0 + 10 * DD_NSEC);
  assert_true(D.al[e].a.ts_ns <= t0 + 12 * DD_NSEC);
  unsigned long long peak = dd_metric_u(&D, e, "peak_pps");
  assert_int_equal(peak, 20000);
  unsigned long long srcs = dd_metric_u(&D, e, "sources");
  assert_true(srcs > 17000 && srcs < 23500);
  assert_int_equal(dd_metric_u(&D, e, "packets"), 20050); /* trickle too */
  assert_string_equal(dd_metric(&D, e, "spoofed"), "true");
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  dd_close(&D);
}

static void single_source_named(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  wd_addr_t victim = dd_ip("192.168.1.20"), bot = dd_ip("198.51.100.7");
  for (unsigned s = 0; s < 3; s++)
    syns(&D, DD_T0 + s * DD_NSEC, DD_NSEC, 2000, victim, 443, NULL, bot);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  for (unsigned i = 0; i < 2; i++) {
    assert_true(D.al[i].a.has_src);
    assert_true(wd_addr_eq(&D.al[i].a.src, &bot));
    assert_string_equal(dd_metric(&D, i, "spoofed"), "false");
  }
  /* START at the 1000th SYN of the first second. */
  assert_int_equal(D.al[0].a.ts_ns, DD_T0 + DD_NSEC * 999 / 2000);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 6000);
  assert_int_equal(dd_metric_u(&D, 1, "sources"), 1);
  dd_close(&D);
}

/* A busy web server: 3000 connections a second, every one completed. */
static void busy_server_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  wd_addr_t srv = dd_ip("10.20.0.80");
  uint64_t seed = 7;
  for (unsigned i = 0; i < 15000; i++) {
    uint64_t t = DD_T0 + (uint64_t)i * (DD_NSEC / 3000);
    wd_addr_t cli = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t syn = dd_tcp(t, cli, 40000, srv, 443, WD_TCP_SYN);
    wd_flow_t f = dd_flow(&syn, i + 1);
    dd_flow_add(&f, &syn, WD_DIR_TO_SERVER);
    dd_packet(&D, &syn, &f, WD_DIR_TO_SERVER);
    wd_packet_t sa =
        dd_tcp(t + 100000, srv, 443, cli, 40000, WD_TCP_SYN | WD_TCP_ACK);
    dd_flow_add(&f, &sa, WD_DIR_TO_CLIENT);
    dd_packet(&D, &sa, &f, WD_DIR_TO_CLIENT);
    wd_packet_t ack = dd_tcp(t + 200000, cli, 40000, srv, 443, WD_TCP_ACK);
    dd_flow_add(&f, &ack, WD_DIR_TO_SERVER);
    f.pkt_events |= WD_FLOW_EV_ESTABLISHED;
    dd_packet(&D, &ack, &f, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* The same server seen by a one-way tap: SYN, then the client's ACK. */
static void busy_server_one_way_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  wd_addr_t srv = dd_ip("10.20.0.80");
  uint64_t seed = 8;
  for (unsigned i = 0; i < 9000; i++) {
    uint64_t t = DD_T0 + (uint64_t)i * (DD_NSEC / 3000);
    wd_addr_t cli = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t syn = dd_tcp(t, cli, 40000, srv, 443, WD_TCP_SYN);
    wd_flow_t f = dd_flow(&syn, i + 1);
    dd_flow_add(&f, &syn, WD_DIR_TO_SERVER);
    f.tcp_state = WD_TCP_SYN_SENT;
    dd_packet(&D, &syn, &f, WD_DIR_TO_SERVER);
    wd_packet_t ack = dd_tcp(t + 200000, cli, 40000, srv, 443, WD_TCP_ACK);
    dd_flow_add(&f, &ack, WD_DIR_TO_SERVER);
    dd_packet(&D, &ack, &f, WD_DIR_TO_SERVER);
    wd_packet_t data =
        dd_tcp(t + 300000, cli, 40000, srv, 443, WD_TCP_ACK | WD_TCP_PSH);
    dd_flow_add(&f, &data, WD_DIR_TO_SERVER);
    dd_packet(&D, &data, &f, WD_DIR_TO_SERVER); /* not a second handshake */
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void below_threshold_or_unprotected(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  uint64_t seed = 9;
  for (unsigned s = 0; s < 5; s++)
    syns(&D, DD_T0 + s * DD_NSEC, DD_NSEC, 900, dd_ip("10.0.0.5"), 22, &seed,
         dd_ip("10.0.0.5"));
  /* 5000 SYN/s towards a public address: not protected. */
  syns(&D, DD_T0 + 6 * DD_NSEC, DD_NSEC, 5000, dd_ip("203.0.113.5"), 80, &seed,
       dd_ip("203.0.113.5"));
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void ipv6_flood(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  wd_addr_t victim = dd_ip("fd00:10::10");
  uint64_t seed = 11;
  for (unsigned i = 0; i < 3000; i++) {
    wd_addr_t s = dd_a6("2001:db8::", (uint32_t)dd_rand(&seed));
    wd_packet_t p =
        dd_tcp(DD_T0 + i * 200000ull, s, 5555, victim, 80, WD_TCP_SYN);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_true(wd_addr_eq(&D.al[0].a.dst, &victim));
  assert_false(D.al[0].a.has_src);
  assert_string_equal(dd_metric(&D, 1, "spoofed"), "true");
  assert_int_equal(D.al[0].a.start_ns, DD_T0);
  dd_close(&D);
}

/* A long flood: START, an UPDATE every detect.update_interval, END. */
static void updates_while_it_lasts(void **st) {
  (void)st;
  dd_defaults(&D.cfg);
  D.cfg.detect.update_s = 5;
  D.cfg.detect.quiet_s = 3;
  assert_int_equal(dd_open_cfg(&D, &wd_detector_syn_flood), WD_OK);
  wd_addr_t victim = dd_ip("172.16.5.5");
  uint64_t seed = 5;
  for (unsigned s = 0; s < 12; s++)
    syns(&D, DD_T0 + s * DD_NSEC, DD_NSEC, 1500, victim, 80, &seed, victim);
  /* Quiet for 4 s of traffic time (another host's packets keep time). */
  for (unsigned s = 12; s < 17; s++) {
    wd_packet_t p = dd_tcp(DD_T0 + s * DD_NSEC, dd_ip("10.9.9.9"), 1,
                           dd_ip("10.9.9.8"), 2, WD_TCP_ACK);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  assert_int_equal(D.n, 4);
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  assert_int_equal(D.al[1].a.state, WD_ALERT_UPDATE);
  assert_int_equal(D.al[2].a.state, WD_ALERT_UPDATE);
  assert_int_equal(D.al[3].a.state, WD_ALERT_END);
  for (unsigned i = 1; i < 4; i++)
    assert_int_equal(D.al[i].a.attack_id, D.al[0].a.attack_id);
  assert_true(D.al[1].a.ts_ns - D.al[0].a.ts_ns >= 5 * DD_NSEC);
  assert_int_equal(dd_metric_u(&D, 1, "pps"), 1500);
  assert_int_equal(dd_metric_u(&D, 3, "packets"), 12 * 1500);
  assert_int_equal(dd_metric_u(&D, 3, "pps"), 0);
  dd_finish(&D);
  assert_int_equal(D.n, 4);
  dd_close(&D);
}

/* Shorter than a second and the end of input: seen all the same. */
static void short_burst_finish(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  uint64_t seed = 3;
  syns(&D, DD_T0 + 500 * DD_MS, 20 * DD_MS, 1200, dd_ip("10.1.1.1"), 25, &seed,
       dd_ip("10.1.1.1"));
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  assert_true(dd_metric(&D, 1, "burst_pps") != NULL);
  assert_true(dd_metric_u(&D, 1, "burst_pps") > 50000);
  dd_close(&D);
}

/* Millions of random sources towards random protected victims: the state
 * stays within its table and the memcap. */
static void bounded_under_random_flood(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_syn_flood), WD_OK);
  uint64_t seed = 1234;
  size_t peak = 0;
  for (unsigned i = 0; i < 2000000; i++) {
    wd_addr_t s = dd_a4((uint32_t)dd_rand(&seed));
    wd_addr_t v = dd_a4(0x0a000000u | ((uint32_t)dd_rand(&seed) & 0xffffff));
    wd_packet_t p = dd_tcp(DD_T0 + i * 1000ull, s, 1, v, 80, WD_TCP_SYN);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
    if (D.mc.used > peak)
      peak = D.mc.used;
  }
  assert_true(peak <= D.mc.cap);
  assert_true(peak <= D.mc.cap / 4);
  assert_int_equal(D.total, 0);
  dd_finish(&D);
  dd_close(&D);
  assert_int_equal(D.mc.used, 0);
}

static void disabled(void **st) {
  (void)st;
  dd_defaults(&D.cfg);
  dd_set(&D.cfg, "detect.syn_flood.enabled", "false");
  assert_int_equal(dd_open_cfg(&D, &wd_detector_syn_flood), WD_OK);
  assert_null(D.state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spoofed_flood),
      cmocka_unit_test(single_source_named),
      cmocka_unit_test(busy_server_silent),
      cmocka_unit_test(busy_server_one_way_silent),
      cmocka_unit_test(below_threshold_or_unprotected),
      cmocka_unit_test(ipv6_flood),
      cmocka_unit_test(updates_while_it_lasts),
      cmocka_unit_test(short_burst_finish),
      cmocka_unit_test(bounded_under_random_flood),
      cmocka_unit_test(disabled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
