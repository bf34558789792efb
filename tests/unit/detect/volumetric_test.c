/* volumetric_test.c -- ddos.volumetric: fires on packet-rate and bit-rate
 * floods towards a protected host (IPv4, IPv6, any protocol) with the
 * thresholds that apply (a facility's own, else the default), names a
 * dominant source, reports the protocol and the START..END sequence;
 * silent for busy but legitimate hosts; evaluates the last partial second
 * at finish; bounded under random victims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"

extern const wd_detector_ops_t wd_detector_volumetric;

static dd D;

/* n packets over [t, t + span) to victim, sources cycling over nsrc. */
static void flood(dd *d, uint64_t t, uint64_t span, unsigned n,
                  wd_addr_t victim, uint8_t proto, uint32_t ip_len,
                  const wd_addr_t *srcs, unsigned nsrc) {
  for (unsigned i = 0; i < n; i++) {
    wd_packet_t p;
    if (proto == WD_PROTO_UDP) {
      p = dd_udp(t + span * i / n, srcs[i % nsrc], 4444, victim, 9999, ip_len,
                 NULL, 0);
    } else if (proto == WD_PROTO_TCP) {
      p = dd_tcp(t + span * i / n, srcs[i % nsrc], 4444, victim, 443,
                 WD_TCP_ACK);
      p.ip_len = p.l3_len = ip_len;
    } else {
      p = dd_udp(t + span * i / n, srcs[i % nsrc], 0, victim, 0, ip_len, NULL,
                 0);
      p.l4_proto = proto;
      p.has_l4 = false;
      p.sport = p.dport = 0;
    }
    dd_packet(d, &p, NULL, WD_DIR_TO_SERVER);
  }
}

static void udp_pps_flood_three_sources(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_volumetric), WD_OK);
  wd_addr_t v = dd_ip("10.5.5.5");
  wd_addr_t s[3] = {dd_ip("198.51.100.1"), dd_ip("198.51.100.2"),
                    dd_ip("198.51.100.3")};
  for (unsigned k = 0; k < 4; k++)
    flood(&D, DD_T0 + k * DD_NSEC, DD_NSEC, 60000, v, WD_PROTO_UDP, 100, s, 3);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  const wd_alert_t *a = &D.al[0].a;
  assert_int_equal(a->state, WD_ALERT_START);
  assert_string_equal(a->detector, "ddos.volumetric");
  assert_string_equal(a->rsit_class, "availability");
  assert_string_equal(a->rsit_type, "ddos");
  /* The 50000th packet of the first second crossed the default. */
  assert_int_equal(a->ts_ns, DD_T0 + DD_NSEC * 49999 / 60000);
  assert_int_equal(a->start_ns, DD_T0);
  assert_true(wd_addr_eq(&a->dst, &v));
  assert_false(a->has_src); /* three equal sources: none dominates */
  assert_int_equal(a->proto, WD_PROTO_UDP);
  assert_true(a->has_ports);
  assert_int_equal(a->dport, 9999);
  assert_int_equal(D.al[1].a.state, WD_ALERT_END);
  assert_string_equal(dd_metric(&D, 1, "protocol"), "udp");
  assert_int_equal(dd_metric_u(&D, 1, "peak_pps"), 60000);
  assert_int_equal(dd_metric_u(&D, 1, "threshold_pps"), 50000);
  assert_int_equal(dd_metric_u(&D, 1, "sources"), 3);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 4 * 60000);
  dd_close(&D);
}

static void bps_flood_single_source(void **st) {
  (void)st;
  dd_defaults(&D.cfg);
  dd_set(&D.cfg, "detect.volumetric.max_bps", "100 Mbit/s");
  assert_int_equal(dd_open_cfg(&D, &wd_detector_volumetric), WD_OK);
  wd_addr_t v = dd_ip("192.168.50.1"), s = dd_ip("203.0.113.66");
  /* 10000 x 1500 bytes a second = 120 Mbit/s, far below max_pps. */
  for (unsigned k = 0; k < 2; k++)
    flood(&D, DD_T0 + k * DD_NSEC, DD_NSEC, 10000, v, WD_PROTO_TCP, 1500, &s,
          1);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_true(D.al[0].a.has_src);
  assert_true(wd_addr_eq(&D.al[0].a.src, &s));
  assert_int_equal(D.al[0].a.proto, WD_PROTO_TCP);
  assert_int_equal(dd_metric_u(&D, 1, "peak_bps"), 120000000ull);
  dd_close(&D);
}

/* A facility's own thresholds apply to its hosts; others get the default. */
static void facility_threshold(void **st) {
  (void)st;
  static const char yaml[] = "facilities:\n"
                             "  - name: Small Clinic\n"
                             "    sector: healthcare\n"
                             "    networks: [10.20.0.0/16, fd20::/48]\n"
                             "    max_pps: 1000\n"
                             "  - name: Big Hospital\n"
                             "    networks: [10.30.0.0/16]\n";
  wd_config_t *c = NULL;
  char err[256];
  assert_int_equal(wd_detect_config_load_buffer("t.yaml", yaml, strlen(yaml),
                                                &c, err, sizeof err),
                   WD_OK);
  D.cfg = *c; /* shallow: c stays the owner */
  assert_int_equal(dd_open_cfg(&D, &wd_detector_volumetric), WD_OK);
  wd_addr_t s = dd_ip("198.51.100.9");
  flood(&D, DD_T0, DD_NSEC, 2000, dd_ip("10.30.0.5"), WD_PROTO_ICMP, 84, &s, 1);
  flood(&D, DD_T0 + DD_NSEC, DD_NSEC, 2000, dd_ip("10.20.0.5"), WD_PROTO_ICMP,
        84, &s, 1);
  wd_addr_t s6 = dd_ip("2001:db8::9");
  flood(&D, DD_T0 + 2 * DD_NSEC, DD_NSEC, 2000, dd_ip("fd20::5"),
        WD_PROTO_ICMPV6, 104, &s6, 1);
  dd_finish(&D);
  assert_int_equal(D.n, 4);
  wd_addr_t clinic = dd_ip("10.20.0.5"), clinic6 = dd_ip("fd20::5");
  unsigned seen = 0;
  for (unsigned i = 0; i < D.n; i++) {
    if (wd_addr_eq(&D.al[i].a.dst, &clinic))
      seen |= 1;
    else if (wd_addr_eq(&D.al[i].a.dst, &clinic6))
      seen |= 2;
    else
      fail_msg("alert for a host under the default threshold");
    assert_int_equal(dd_metric_u(&D, i, "threshold_pps"), 1000);
    assert_string_equal(dd_metric(&D, i, "protocol"), "icmp");
  }
  assert_int_equal(seen, 3);
  assert_int_equal(D.al[0].a.proto, WD_PROTO_ICMP);
  for (unsigned i = 0; i < D.n; i++)
    if (wd_addr_eq(&D.al[i].a.dst, &clinic6))
      assert_int_equal(D.al[i].a.proto, WD_PROTO_ICMPV6);
  dd_close(&D);
  wd_config_free(c);
}

/* A busy web server: 30000 packets a second from many clients. */
static void busy_host_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_volumetric), WD_OK);
  wd_addr_t cl[64];
  for (unsigned i = 0; i < 64; i++)
    cl[i] = dd_a4(0xcb007100u + i);
  for (unsigned k = 0; k < 5; k++)
    flood(&D, DD_T0 + k * DD_NSEC, DD_NSEC, 30000, dd_ip("10.1.1.80"),
          WD_PROTO_TCP, 600, cl, 64);
  /* Traffic to an address outside the protected networks never counts. */
  flood(&D, DD_T0 + 6 * DD_NSEC, DD_NSEC, 80000, dd_ip("8.8.8.8"), WD_PROTO_UDP,
        100, cl, 64);
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void ipv6_partial_second(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_volumetric), WD_OK);
  wd_addr_t v = dd_ip("fd00::1:1"), s = dd_ip("2001:db8::66");
  /* 55000 packets in 100 ms, then the input ends. */
  flood(&D, DD_T0 + 300 * DD_MS, 100 * DD_MS, 55000, v, WD_PROTO_UDP, 60, &s,
        1);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_true(wd_addr_eq(&D.al[1].a.dst, &v));
  assert_true(D.al[1].a.has_src);
  assert_true(wd_addr_eq(&D.al[1].a.src, &s));
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 55000);
  assert_true(dd_metric_u(&D, 1, "burst_pps") > 500000);
  dd_close(&D);
}

static void bounded_under_random_victims(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_volumetric), WD_OK);
  uint64_t seed = 31;
  size_t peak = 0;
  for (unsigned i = 0; i < 1000000; i++) {
    wd_addr_t s = dd_a4((uint32_t)dd_rand(&seed));
    wd_addr_t v = dd_a4(0x0a000000u | ((uint32_t)dd_rand(&seed) & 0xffffff));
    wd_packet_t p = dd_udp(DD_T0 + i * 1000ull, s, 1, v, 2, 100, NULL, 0);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
    if (D.mc.used > peak)
      peak = D.mc.used;
  }
  assert_true(peak <= D.mc.cap / 4);
  assert_int_equal(D.total, 0);
  dd_finish(&D);
  dd_close(&D);
  assert_int_equal(D.mc.used, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(udp_pps_flood_three_sources),
      cmocka_unit_test(bps_flood_single_source),
      cmocka_unit_test(facility_threshold),
      cmocka_unit_test(busy_host_silent),
      cmocka_unit_test(ipv6_partial_second),
      cmocka_unit_test(bounded_under_random_victims),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
