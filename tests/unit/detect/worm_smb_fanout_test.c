/* worm_smb_fanout_test.c -- worm.smb-fanout: fires on a worm opening 445 to
 * many hosts that do not answer (SYN only; RST; ICMP unreachable), inside
 * or outside a facility, IPv4 and IPv6, one-way captures included, with the
 * right source, first targets and START..END; silent for file servers,
 * backup and management servers whose targets answer, exempt sources and
 * slow clients; bounded under a million sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"

extern const wd_detector_ops_t wd_detector_smb_fanout;

static dd D;

enum { ANS_NONE, ANS_SYNACK, ANS_RST, ANS_ICMP };

/* src opens 445 to target; the target answers as told, 2 ms later. */
static void attempt(dd *d, uint64_t t, wd_addr_t src, wd_addr_t target,
                    int ans) {
  wd_packet_t syn = dd_tcp(t, src, 49152, target, 445, WD_TCP_SYN);
  dd_packet(d, &syn, NULL, WD_DIR_TO_SERVER);
  if (ans == ANS_SYNACK || ans == ANS_RST) {
    wd_packet_t r = dd_tcp(t + 2 * DD_MS, target, 445, src, 49152,
                           ans == ANS_SYNACK ? WD_TCP_SYN | WD_TCP_ACK
                                             : WD_TCP_RST | WD_TCP_ACK);
    dd_packet(d, &r, NULL, WD_DIR_TO_CLIENT);
  } else if (ans == ANS_ICMP) {
    /* Host unreachable from a router, quoting the SYN (IPv4 + 8 bytes). */
    static uint8_t q[28];
    memset(q, 0, sizeof q);
    q[0] = 0x45;
    q[9] = WD_PROTO_TCP;
    memcpy(q + 12, src.b + 12, 4);
    memcpy(q + 16, target.b + 12, 4);
    q[20] = 49152 >> 8;
    q[21] = 49152 & 0xff;
    q[22] = 445 >> 8;
    q[23] = 445 & 0xff;
    wd_packet_t r =
        dd_udp(t + 2 * DD_MS, dd_ip("10.1.0.254"), 0, src, 0, 56, q, sizeof q);
    r.l4_proto = WD_PROTO_ICMP;
    r.sport = r.dport = 0;
    r.icmp_type = 3;
    r.icmp_code = 1;
    dd_packet(d, &r, NULL, WD_DIR_TO_SERVER);
  }
}

/* Keeps traffic time moving with unrelated packets until t. */
static void idle_until(dd *d, uint64_t from, uint64_t t) {
  for (uint64_t x = from; x <= t; x += DD_NSEC / 2) {
    wd_packet_t p =
        dd_tcp(x, dd_ip("192.0.2.1"), 80, dd_ip("192.0.2.2"), 8080, WD_TCP_ACK);
    dd_packet(d, &p, NULL, WD_DIR_TO_SERVER);
  }
}

static void worm_unanswered(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t worm = dd_ip("10.1.0.7");
  /* 20 targets a second, nobody answers. */
  for (unsigned i = 0; i < 200; i++)
    attempt(&D, DD_T0 + i * 50 * DD_MS, worm, dd_a4(0x0a010100u + i), ANS_NONE);
  int s = dd_find(&D, WD_ALERT_START, 0);
  assert_int_equal(s, 0);
  const wd_alert_t *a = &D.al[0].a;
  assert_string_equal(a->detector, "worm.smb-fanout");
  assert_string_equal(a->rsit_class, "malicious-code");
  assert_string_equal(a->rsit_type, "infected-system");
  assert_true(a->has_src);
  assert_true(wd_addr_eq(&a->src, &worm));
  wd_addr_t first = dd_ip("10.1.1.0");
  assert_true(wd_addr_eq(&a->dst, &first));
  assert_int_equal(a->dport, 445);
  assert_int_equal(a->proto, WD_PROTO_TCP);
  assert_int_equal(a->start_ns, DD_T0);
  /* Decided within ~the first 30 targets at this rate (1.5 s). */
  assert_true(a->ts_ns <= DD_T0 + 1600 * DD_MS);
  assert_true(dd_metric_u(&D, 0, "targets") >= 20);
  assert_true(dd_metric_u(&D, 0, "targets") <= 32);
  assert_string_equal(dd_metric(&D, 0, "targets_sample"),
                      "10.1.1.0,10.1.1.1,10.1.1.2,10.1.1.3,10.1.1.4,10.1.1.5");
  assert_int_equal(dd_metric_u(&D, 0, "answered"), 0);
  /* It stops; END after detect.end_after. */
  idle_until(&D, DD_T0 + 10 * DD_NSEC, DD_T0 + 25 * DD_NSEC);
  int e = dd_find(&D, WD_ALERT_END, 0);
  assert_true(e > 0);
  assert_int_equal(D.al[e].a.attack_id, a->attack_id);
  unsigned long long n = dd_metric_u(&D, e, "targets");
  assert_true(n > 150 && n < 260); /* estimated past the tracked 24 */
  assert_int_equal(dd_metric_u(&D, e, "attempts"), 200);
  dd_finish(&D);
  assert_int_equal(dd_find(&D, WD_ALERT_START, 1), -1);
  dd_close(&D);
}

/* Closed ports answer RST at once: decided at the 20th target. */
static void worm_rst_fast(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t worm = dd_ip("172.16.3.3");
  for (unsigned i = 0; i < 40; i++)
    attempt(&D, DD_T0 + i * 10 * DD_MS, worm, dd_a4(0xac100400u + i),
            i % 5 == 0 ? ANS_SYNACK : ANS_RST);
  assert_int_equal(D.n, 1);
  assert_int_equal(D.al[0].a.ts_ns, DD_T0 + 19 * 10 * DD_MS);
  assert_int_equal(dd_metric_u(&D, 0, "targets"), 20);
  assert_int_equal(dd_metric_u(&D, 0, "answered"), 4);
  assert_int_equal(dd_metric_u(&D, 0, "failed"), 15);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  dd_close(&D);
}

static void worm_icmp_unreachable(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t worm = dd_ip("10.9.0.2");
  for (unsigned i = 0; i < 25; i++)
    attempt(&D, DD_T0 + i * 5 * DD_MS, worm, dd_a4(0xc6336400u + i), ANS_ICMP);
  assert_int_equal(D.n, 1);
  assert_int_equal(dd_metric_u(&D, 0, "failed"), 19);
  dd_close(&D);
}

/* One-way capture: 25 SYNs in half a second, then the input ends. */
static void one_way_finish(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t worm = dd_ip("89.160.20.112"); /* from outside */
  for (unsigned i = 0; i < 25; i++)
    attempt(&D, DD_T0 + i * 20 * DD_MS, worm, dd_a4(0x0a140000u + i * 7),
            ANS_NONE);
  assert_int_equal(D.n, 0);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  assert_true(wd_addr_eq(&D.al[1].a.src, &worm));
  assert_int_equal(dd_metric_u(&D, 1, "failed"), 24);
  dd_close(&D);
}

static void ipv6_worm(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t worm = dd_ip("fd00:1::7");
  for (unsigned i = 0; i < 30; i++)
    attempt(&D, DD_T0 + i * 30 * DD_MS, worm, dd_a6("fd00:1::", 0x100 + i),
            ANS_RST);
  assert_int_equal(D.n, 1);
  assert_true(wd_addr_eq(&D.al[0].a.src, &worm));
  wd_addr_t first = dd_a6("fd00:1::", 0x100);
  assert_true(wd_addr_eq(&D.al[0].a.dst, &first));
  dd_close(&D);
}

/* A backup server connects to 60 hosts in 6 s; every one answers. A
 * management server reaches 30, of which 10 are switched off. */
static void answering_fanout_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  for (unsigned i = 0; i < 60; i++)
    attempt(&D, DD_T0 + i * 100 * DD_MS, dd_ip("10.0.0.20"),
            dd_a4(0x0a000100u + i), ANS_SYNACK);
  for (unsigned i = 0; i < 30; i++)
    attempt(&D, DD_T0 + 7 * DD_NSEC + i * 20 * DD_MS, dd_ip("10.0.0.21"),
            dd_a4(0x0a000200u + i), i % 3 == 0 ? ANS_NONE : ANS_SYNACK);
  idle_until(&D, DD_T0 + 8 * DD_NSEC, DD_T0 + 20 * DD_NSEC);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* A file server only receives 445 connections, from many clients. */
static void file_server_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  wd_addr_t fs = dd_ip("10.0.0.5");
  for (unsigned i = 0; i < 500; i++)
    attempt(&D, DD_T0 + i * 10 * DD_MS, dd_a4(0x0a000400u + i), fs,
            i % 4 ? ANS_SYNACK : ANS_NONE);
  /* One client retrying the same dead server many times: one target. */
  for (unsigned i = 0; i < 50; i++)
    attempt(&D, DD_T0 + 6 * DD_NSEC + i * 100 * DD_MS, dd_ip("10.0.9.9"),
            dd_ip("10.0.0.6"), ANS_NONE);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void exempt_source(void **st) {
  (void)st;
  dd_defaults(&D.cfg);
  dd_set(&D.cfg, "detect.smb_fanout.exempt", "10.0.7.0/24");
  assert_int_equal(dd_open_cfg(&D, &wd_detector_smb_fanout), WD_OK);
  for (unsigned i = 0; i < 100; i++)
    attempt(&D, DD_T0 + i * 10 * DD_MS, dd_ip("10.0.7.9"),
            dd_a4(0x0a000100u + i), ANS_NONE);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* 20 unanswered targets spread over a minute: slower than the window. */
static void slow_source_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  for (unsigned i = 0; i < 40; i++)
    attempt(&D, DD_T0 + i * 3 * DD_NSEC, dd_ip("10.0.3.3"),
            dd_a4(0x0a000300u + i), ANS_NONE);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void bounded_under_many_sources(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_smb_fanout), WD_OK);
  uint64_t seed = 17;
  size_t peak = 0;
  for (unsigned i = 0; i < 1000000; i++) {
    wd_packet_t p =
        dd_tcp(DD_T0 + i * 1000ull, dd_a4((uint32_t)dd_rand(&seed)), 1000,
               dd_a4((uint32_t)dd_rand(&seed)), 445, WD_TCP_SYN);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
    if (D.mc.used > peak)
      peak = D.mc.used;
  }
  assert_true(peak <= D.mc.cap / 4);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
  assert_int_equal(D.mc.used, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(worm_unanswered),
      cmocka_unit_test(worm_rst_fast),
      cmocka_unit_test(worm_icmp_unreachable),
      cmocka_unit_test(one_way_finish),
      cmocka_unit_test(ipv6_worm),
      cmocka_unit_test(answering_fanout_silent),
      cmocka_unit_test(file_server_silent),
      cmocka_unit_test(exempt_source),
      cmocka_unit_test(slow_source_silent),
      cmocka_unit_test(bounded_under_many_sources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
