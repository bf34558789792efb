/* c2_callback_test.c -- tests of src/detect/c2_callback.c: a compromised
 * host that comes back to a new outside address (spaced connections) is a
 * callback, started at the first connection and naming the compromise;
 * one burst of parallel connections (a page) is not; multicast service
 * discovery never is; addresses used before the compromise are not new;
 * connections after detect.c2.within are not callbacks; with
 * detect.c2.beacons 1 the first connection is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "det_drive.h"

extern const wd_detector_t wd_detector_c2;

static dd D;
static const char *const VICTIM = "10.0.0.9";
static uint64_t flow_id;

static void compromise(uint64_t t) {
  wd_alert_t a;
  memset(&a, 0, sizeof a);
  a.detector = "smb.ms17-010";
  a.rsit_class = "intrusions";
  a.state = WD_ALERT_START;
  a.ts_ns = t;
  a.has_src = true;
  a.src = dd_ip("89.160.20.112");
  a.dst = dd_ip(VICTIM);
  dd_time(&D, t);
  D.ops->on_alert(D.state, &D.ctx, &a);
}

/* The victim opens a TCP connection to peer:port at t. */
static void connect_to(uint64_t t, const char *peer, uint16_t port) {
  wd_packet_t p = dd_tcp(t, dd_ip(VICTIM), (uint16_t)(40000 + flow_id % 20000),
                         dd_ip(peer), port, WD_TCP_SYN);
  wd_flow_t f = dd_flow(&p, ++flow_id);
  dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
  dd_packet(&D, &p, &f, WD_DIR_TO_SERVER);
}

static void open_c2(unsigned beacons) {
  dd_defaults(&D.cfg);
  char v[16];
  snprintf(v, sizeof v, "%u", beacons);
  dd_set(&D.cfg, "detect.c2.beacons", v);
  assert_int_equal(dd_open_cfg(&D, &wd_detector_c2), WD_OK);
  assert_non_null(D.state);
}

static void beacons_are_a_callback(void **st) {
  (void)st;
  open_c2(3);
  uint64_t t0 = DD_T0 + 10 * DD_NSEC;
  connect_to(DD_T0, "81.2.69.142", 443); /* used before: not new */
  compromise(t0);
  for (unsigned i = 0; i < 2; i++)
    connect_to(t0 + (5 + 30 * i) * DD_NSEC, "5.51.251.239", 443);
  assert_int_equal(D.total, 0); /* two beacons: not yet */
  connect_to(t0 + 65 * DD_NSEC, "5.51.251.239", 443);
  assert_int_equal(D.total, 1);
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  assert_int_equal(D.al[0].a.start_ns, t0 + 5 * DD_NSEC);
  assert_string_equal(dd_metric(&D, 0, "after"), "smb.ms17-010");
  assert_string_equal(dd_metric(&D, 0, "compromised_by"), "89.160.20.112");
  assert_int_equal(dd_metric_u(&D, 0, "seconds_after_compromise"), 5);
  wd_addr_t c2 = dd_ip("5.51.251.239");
  assert_true(wd_addr_eq(&D.al[0].a.src, &c2));
  /* the old address, visited again three times, is not new */
  for (unsigned i = 0; i < 3; i++)
    connect_to(t0 + (70 + 20 * i) * DD_NSEC, "81.2.69.142", 443);
  dd_finish(&D);
  assert_int_equal(D.total, 2);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  dd_close(&D);
}

static void burst_and_discovery_silent(void **st) {
  (void)st;
  open_c2(3);
  uint64_t t0 = DD_T0 + DD_NSEC;
  compromise(t0);
  /* a page: six parallel connections within 200 ms, to each of 20 sites */
  for (unsigned s = 0; s < 20; s++) {
    char peer[32];
    snprintf(peer, sizeof peer, "93.184.%u.34", s);
    for (unsigned i = 0; i < 6; i++)
      connect_to(t0 + s * 3 * DD_NSEC + i * 40 * DD_MS, peer, 443);
  }
  /* mDNS and SSDP every 20 s */
  for (unsigned i = 0; i < 6; i++) {
    connect_to(t0 + i * 20 * DD_NSEC, "224.0.0.251", 5353);
    connect_to(t0 + i * 20 * DD_NSEC + 1, "239.255.255.250", 1900);
    connect_to(t0 + i * 20 * DD_NSEC + 2, "255.255.255.255", 67);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void late_or_single(void **st) {
  (void)st;
  /* beyond detect.c2.within (120 s): not a callback */
  open_c2(3);
  compromise(DD_T0);
  for (unsigned i = 0; i < 4; i++)
    connect_to(DD_T0 + (200 + 30 * i) * DD_NSEC, "5.51.251.239", 443);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
  /* beacons 1: the first connection is reported */
  open_c2(1);
  compromise(DD_T0);
  connect_to(DD_T0 + 3 * DD_NSEC, "5.51.251.239", 443);
  assert_int_equal(D.total, 1);
  dd_finish(&D);
  dd_close(&D);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(beacons_are_a_callback),
      cmocka_unit_test(burst_and_discovery_silent),
      cmocka_unit_test(late_or_single),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
