/* exfil_test.c -- tests of src/detect/exfil.c driven packet by packet: 300
 * MiB sent by a facility host to one outside address with little coming
 * back is an exfiltration naming the destination, the host and the bytes; the
 * same volume sent to a multicast group is not (no one receiver). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "det_drive.h"

extern const wd_detector_t wd_detector_exfil;

static dd D;

/* 300 MiB from 10.0.0.9 to dst over 80 s, in 60000-byte packets. */
static void send_bulk(const char *dst) {
  assert_int_equal(dd_open(&D, &wd_detector_exfil), WD_OK);
  assert_non_null(D.state);
  wd_packet_t p0 =
      dd_tcp(DD_T0, dd_ip("10.0.0.9"), 50000, dd_ip(dst), 443, WD_TCP_ACK);
  wd_flow_t f = dd_flow(&p0, 1);
  const uint64_t total = 300ull << 20, n = total / 60000;
  for (uint64_t i = 0; i < n; i++) {
    wd_packet_t p = p0;
    p.ts_ns = DD_T0 + i * (80 * DD_NSEC / n);
    p.ip_len = p.l3_len = 60000;
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    dd_packet(&D, &p, &f, WD_DIR_TO_SERVER);
  }
  D.ops->on_flow_end(D.state, &D.ctx, &f);
  dd_finish(&D);
}

static void bulk_to_one_address(void **st) {
  (void)st;
  send_bulk("175.130.173.137");
  int s = dd_find(&D, WD_ALERT_START, 0);
  assert_true(s >= 0);
  wd_addr_t want = dd_ip("175.130.173.137");
  assert_true(wd_addr_eq(&D.al[s].a.src, &want));
  /* the facility host, as text that outlives the detector's fill */
  assert_string_equal(dd_metric(&D, s, "host"), "10.0.0.9");
  int e = dd_find(&D, WD_ALERT_END, 0);
  assert_true(e >= 0);
  assert_string_equal(dd_metric(&D, e, "host"), "10.0.0.9");
  dd_close(&D);
}

static void multicast_not_exfiltration(void **st) {
  (void)st;
  send_bulk("239.1.2.3");
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bulk_to_one_address),
      cmocka_unit_test(multicast_not_exfiltration),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
