/* amplification_test.c -- ddos.amplification: fires on an SNMP reflection
 * burst shorter than a second, on DNS reflection sent as IP fragments, on
 * TCP SYN-ACK reflection and over IPv6, naming the protocol and counting
 * reflectors; silent for a resolver's own answers, for a DNS server
 * answering its clients, for an NTP server polled by peers from port 123,
 * for fragments with no reflection under way and for one busy reflector;
 * bounded under random reflectors and victims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"

extern const wd_detector_ops_t wd_detector_amplification;

static dd D;

/* An SNMP get-response starts with a BER sequence; only its port matters. */
static const uint8_t snmp_resp[] = {0x30, 0x82, 0x00, 0xe0, 0x02, 0x01, 0x01};
/* DNS header: id, flags 0x8180 (QR=1 response), counts. */
static const uint8_t dns_resp[] = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01,
                                   0x00, 0x05, 0x00, 0x00, 0x00, 0x00};
/* DNS query: flags 0x0100 (QR=0). */
static const uint8_t dns_query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
/* NTP client request: LI 0, version 4, mode 3. */
static const uint8_t ntp_client[] = {0x23, 0x00, 0x06, 0xec};

static void snmp_burst(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t victim = dd_ip("10.10.10.10");
  uint64_t seed = 77;
  /* 4000 responses from 4000 reflectors within 23 ms: no second closes. */
  for (unsigned i = 0; i < 4000; i++) {
    wd_addr_t r = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t p = dd_udp(DD_T0 + 40 * DD_MS + i * 5750ull, r, 161, victim,
                           54609, 238, snmp_resp, sizeof snmp_resp);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  assert_int_equal(D.n, 1); /* START as the threshold was crossed */
  assert_int_equal(D.al[0].a.state, WD_ALERT_START);
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  const wd_alert_t *a = &D.al[1].a;
  assert_int_equal(a->state, WD_ALERT_END);
  assert_string_equal(a->detector, "ddos.amplification");
  assert_string_equal(a->rsit_class, "availability");
  assert_string_equal(a->rsit_type, "ddos");
  assert_true(wd_addr_eq(&a->dst, &victim));
  assert_false(a->has_src);
  assert_int_equal(a->proto, WD_PROTO_UDP);
  assert_int_equal(a->start_ns, DD_T0 + 40 * DD_MS);
  assert_string_equal(dd_metric(&D, 1, "protocol"), "snmp");
  assert_int_equal(dd_metric_u(&D, 1, "reflector_port"), 161);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 4000);
  unsigned long long refl = dd_metric_u(&D, 1, "reflectors");
  assert_true(refl > 3400 && refl < 4600);
  assert_true(dd_metric_u(&D, 1, "burst_pps") > 150000);
  assert_true(dd_metric_u(&D, 1, "burst_bps") > 300000000ull);
  assert_non_null(dd_metric(&D, 1, "reflectors_sample"));
  assert_true(strchr(dd_metric(&D, 1, "reflectors_sample"), ',') != NULL);
  dd_close(&D);
}

/* Large DNS answers arrive as a first fragment (with the UDP header) and
 * non-first fragments (no ports). */
static void dns_fragments(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t victim = dd_ip("192.168.7.7");
  uint64_t seed = 5;
  for (unsigned s = 0; s < 3; s++)
    for (unsigned i = 0; i < 800; i++) {
      uint64_t t = DD_T0 + s * DD_NSEC + i * DD_MS;
      wd_addr_t r = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
      wd_packet_t p =
          dd_udp(t, r, 53, victim, 80, 1500, dns_resp, sizeof dns_resp);
      p.fragment = p.first_fragment = true;
      dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
      for (unsigned k = 0; k < 2; k++) {
        wd_packet_t q = dd_udp(t + 1000 + k, r, 0, victim, 0, 1500, NULL, 0);
        q.has_l4 = false;
        q.fragment = true;
        dd_packet(&D, &q, NULL, WD_DIR_TO_SERVER);
      }
    }
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_string_equal(dd_metric(&D, 1, "protocol"), "dns");
  assert_int_equal(dd_metric_u(&D, 1, "fragments"), 3 * 1600);
  assert_int_equal(dd_metric_u(&D, 1, "packets"), 3 * 2400);
  assert_int_equal(dd_metric_u(&D, 1, "peak_pps"), 2400);
  assert_int_equal(dd_metric_u(&D, 1, "peak_bps"), 2400ull * 1500 * 8);
  dd_close(&D);
}

/* 5000 non-first fragments from random sources within half a second;
 * contacted: the protected host sent a datagram to each source first. */
static void fragments_from(bool contacted) {
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  uint64_t seed = 8;
  wd_addr_t us = dd_ip("10.0.0.9");
  for (unsigned i = 0; i < 5000; i++) {
    uint64_t t = DD_T0 + i * 100000ull;
    wd_addr_t r = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    if (contacted) {
      wd_packet_t out = dd_udp(t, us, 40000, r, 53, 80, NULL, 0);
      dd_packet(&D, &out, NULL, WD_DIR_TO_SERVER);
    }
    wd_packet_t q = dd_udp(t + 1, r, 0, us, 0, 1500, NULL, 0);
    q.has_l4 = false;
    q.fragment = true;
    dd_packet(&D, &q, NULL, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
}

/* Fragments of answers to requests this network sent are not reflection
 * on their own (large legitimate answers). */
static void fragments_of_answers_silent(void **st) {
  (void)st;
  fragments_from(true);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* Fragments from sources nobody here sent to: answers whose first
 * fragments were dropped on the way, an attack of their own. */
static void fragments_unsolicited_attack(void **st) {
  (void)st;
  fragments_from(false);
  assert_int_equal(D.n, 2);
  assert_string_equal(dd_metric(&D, 0, "protocol"), "fragment");
  assert_int_equal(dd_metric_u(&D, 1, "fragments"), 5000);
  dd_close(&D);
}

static void synack_reflection(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t victim = dd_ip("10.3.3.3");
  uint64_t seed = 21;
  for (unsigned i = 0; i < 3000; i++) {
    wd_addr_t r = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t p = dd_tcp(DD_T0 + i * 300000ull, r, i % 2 ? 443 : 80, victim,
                           31337, WD_TCP_SYN | WD_TCP_ACK);
    /* The flow table makes the receiver of a lone SYN-ACK the client. */
    wd_flow_t f;
    memset(&f, 0, sizeof f);
    f.cli = victim;
    f.srv = r;
    f.proto = WD_PROTO_TCP;
    dd_flow_add(&f, &p, WD_DIR_TO_CLIENT);
    dd_packet(&D, &p, &f, WD_DIR_TO_CLIENT);
  }
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_string_equal(dd_metric(&D, 1, "protocol"), "tcp-synack");
  assert_int_equal(D.al[1].a.proto, WD_PROTO_TCP);
  assert_null(dd_metric(&D, 1, "reflector_port"));
  dd_close(&D);
}

/* A protected resolver asks many servers; their answers are solicited. */
static void resolver_answers_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t res = dd_ip("10.0.0.53");
  uint64_t seed = 4;
  for (unsigned i = 0; i < 20000; i++) {
    uint64_t t = DD_T0 + i * 200000ull; /* 5000 answers a second */
    wd_addr_t ns = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t q = dd_udp(t, res, (uint16_t)(10000 + i % 50000), ns, 53, 60,
                           dns_query, sizeof dns_query);
    wd_flow_t f = dd_flow(&q, i + 1);
    dd_flow_add(&f, &q, WD_DIR_TO_SERVER);
    dd_packet(&D, &q, &f, WD_DIR_TO_SERVER);
    wd_packet_t r = dd_udp(t + 50000, ns, 53, res, q.sport, 1200, dns_resp,
                           sizeof dns_resp);
    dd_flow_add(&f, &r, WD_DIR_TO_CLIENT);
    dd_packet(&D, &r, &f, WD_DIR_TO_CLIENT);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* A DNS server answering 3000 clients a second: each client gets answers
 * from one server it asked. */
static void dns_server_answering_clients_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t srv = dd_ip("10.0.0.53");
  uint64_t seed = 6;
  for (unsigned i = 0; i < 9000; i++) {
    uint64_t t = DD_T0 + i * 333333ull;
    wd_addr_t cli = dd_a4(0x0a010000u | ((uint32_t)dd_rand(&seed) & 0xffff));
    wd_packet_t q = dd_udp(t, cli, 5353 + (uint16_t)(i % 1000), srv, 53, 60,
                           dns_query, sizeof dns_query);
    wd_flow_t f = dd_flow(&q, i + 1);
    dd_flow_add(&f, &q, WD_DIR_TO_SERVER);
    dd_packet(&D, &q, &f, WD_DIR_TO_SERVER);
    wd_packet_t r =
        dd_udp(t + 1000, srv, 53, cli, q.sport, 400, dns_resp, sizeof dns_resp);
    dd_flow_add(&f, &r, WD_DIR_TO_CLIENT);
    dd_packet(&D, &r, &f, WD_DIR_TO_CLIENT);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* Peers polling a protected NTP server from their port 123 open new flows
 * (unsolicited), but their payload is a client request. */
static void ntp_server_polled_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  uint64_t seed = 10;
  for (unsigned i = 0; i < 6000; i++) {
    wd_addr_t peer = dd_a4((uint32_t)dd_rand(&seed) | 0x01000000u);
    wd_packet_t p =
        dd_udp(DD_T0 + i * 500000ull, peer, 123, dd_ip("10.0.0.123"), 123, 76,
               ntp_client, sizeof ntp_client);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

/* One busy reflector is not a reflection attack (min_reflectors). */
static void single_reflector_silent(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  for (unsigned i = 0; i < 5000; i++) {
    wd_packet_t p = dd_udp(DD_T0 + i * 200000ull, dd_ip("198.51.100.1"), 123,
                           dd_ip("10.0.0.2"), 40000, 468, NULL, 0);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
  assert_int_equal(D.total, 0);
  dd_close(&D);
}

static void ipv6_ntp(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  wd_addr_t victim = dd_ip("fd12::77");
  /* NTP mode 7 (monlist) response: R bit set, mode 7. */
  static const uint8_t mon[] = {0xd7, 0x00, 0x03, 0x2a};
  uint64_t seed = 12;
  for (unsigned i = 0; i < 2500; i++) {
    wd_addr_t r = dd_a6("2001:db8:1::", (uint32_t)dd_rand(&seed));
    wd_packet_t p =
        dd_udp(DD_T0 + i * 400000ull, r, 123, victim, 80, 508, mon, sizeof mon);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
  }
  dd_finish(&D);
  assert_int_equal(D.n, 2);
  assert_true(wd_addr_eq(&D.al[0].a.dst, &victim));
  assert_string_equal(dd_metric(&D, 1, "protocol"), "ntp");
  dd_close(&D);
}

static void bounded_under_random_reflectors(void **st) {
  (void)st;
  assert_int_equal(dd_open(&D, &wd_detector_amplification), WD_OK);
  uint64_t seed = 99;
  size_t peak = 0;
  for (unsigned i = 0; i < 1000000; i++) {
    wd_addr_t r = dd_a4((uint32_t)dd_rand(&seed));
    wd_addr_t v = dd_a4(0xc0a80000u | ((uint32_t)dd_rand(&seed) & 0xffff));
    wd_packet_t p = dd_udp(DD_T0 + i * 2000ull, r, 53, v, 1024, 512, dns_resp,
                           sizeof dns_resp);
    dd_packet(&D, &p, NULL, WD_DIR_TO_SERVER);
    if (D.mc.used > peak)
      peak = D.mc.used;
  }
  assert_true(peak <= D.mc.cap / 4);
  dd_finish(&D);
  dd_close(&D);
  assert_int_equal(D.mc.used, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(snmp_burst),
      cmocka_unit_test(dns_fragments),
      cmocka_unit_test(fragments_of_answers_silent),
      cmocka_unit_test(fragments_unsolicited_attack),
      cmocka_unit_test(synack_reflection),
      cmocka_unit_test(resolver_answers_silent),
      cmocka_unit_test(dns_server_answering_clients_silent),
      cmocka_unit_test(ntp_server_polled_silent),
      cmocka_unit_test(single_reflector_silent),
      cmocka_unit_test(ipv6_ntp),
      cmocka_unit_test(bounded_under_random_reflectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
