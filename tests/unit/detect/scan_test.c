/* scan_test.c -- scan.vertical and scan.horizontal (Threshold Random Walk):
 * fire on SYN scans answered by RST, unanswered (timeout, and one-way
 * captures resolved at finish), UDP scans answered by ICMP port
 * unreachable, FIN/NULL/Xmas probes and IPv6 scans, with the right scanner,
 * target and START..END; silent for a connect to two open ports, clients
 * reaching many servers that answer (even with some failures), a resolver
 * asking many name servers, replies to multicast name queries, and each
 * other's shape; bounded under a spoofed SYN flood. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "detect/det_drive.h"

extern const wd_detector_ops_t wd_detector_scan_vertical;
extern const wd_detector_ops_t wd_detector_scan_horizontal;

static dd V, H;

enum { ANS_NONE, ANS_SYNACK, ANS_RST };

static void both(const wd_packet_t *p, const wd_flow_t *f, int dir) {
  dd_packet(&V, p, f, dir);
  dd_packet(&H, p, f, dir);
}

static void open_both(void) {
  assert_int_equal(dd_open(&V, &wd_detector_scan_vertical), WD_OK);
  assert_int_equal(dd_open(&H, &wd_detector_scan_horizontal), WD_OK);
  assert_non_null(V.state);
  assert_non_null(H.state);
}

static void finish_both(void) {
  dd_finish(&V);
  dd_finish(&H);
}

static void close_both(void) {
  dd_close(&V);
  dd_close(&H);
}

static void tcp_probe(uint64_t t, wd_addr_t src, wd_addr_t dst, uint16_t port,
                      int ans) {
  wd_packet_t syn = dd_tcp(t, src, 40000, dst, port, WD_TCP_SYN);
  both(&syn, NULL, WD_DIR_TO_SERVER);
  if (ans != ANS_NONE) {
    wd_packet_t r = dd_tcp(t + DD_MS, dst, port, src, 40000,
                           ans == ANS_SYNACK ? WD_TCP_SYN | WD_TCP_ACK
                                             : WD_TCP_RST | WD_TCP_ACK);
    both(&r, NULL, WD_DIR_TO_CLIENT);
  }
}

/* The 29 ports of the shared portscan capture's kind of scan. */
static const uint16_t ports29[29] = {
    139, 135, 445,  80,    22,   515, 23,  21,   6000, 1025,
    25,  111, 1028, 9100,  1029, 79,  497, 548,  5000, 1917,
    53,  161, 9001, 65535, 443,  113, 993, 8080, 2869};

/* The facility's own vulnerability scanner, listed in detect.scan.exempt,
 * sweeps ports and hosts without an alert; another source doing the same
 * is reported. */
static void exempt_scanner_silent(void **st) {
  (void)st;
  dd_defaults(&V.cfg);
  dd_defaults(&H.cfg);
  dd_set(&V.cfg, "detect.scan.exempt", "10.20.0.30/32");
  dd_set(&H.cfg, "detect.scan.exempt", "10.20.0.30/32");
  assert_int_equal(dd_open_cfg(&V, &wd_detector_scan_vertical), WD_OK);
  assert_int_equal(dd_open_cfg(&H, &wd_detector_scan_horizontal), WD_OK);
  for (unsigned h = 0; h < 8; h++)
    for (unsigned i = 0; i < 29; i++)
      tcp_probe(DD_T0 + (h * 29 + i) * 10 * DD_MS, dd_ip("10.20.0.30"),
                dd_a4(0x0a140110u + h), ports29[i], ANS_RST);
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  for (unsigned i = 0; i < 29; i++)
    tcp_probe(DD_T0 + 5 * DD_NSEC + i * 10 * DD_MS, dd_ip("10.20.0.31"),
              dd_a4(0x0a140110u), ports29[i], ANS_RST);
  finish_both();
  assert_true(V.total > 0);
  close_both();
}

static void vertical_one_way(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("10.100.25.14"), host = dd_ip("10.100.18.12");
  for (unsigned i = 0; i < 29; i++)
    tcp_probe(DD_T0 + i * 100 * DD_MS, scanner, host, ports29[i], ANS_NONE);
  assert_int_equal(V.n, 0); /* still waiting for answers */
  finish_both();
  assert_int_equal(V.n, 2);
  assert_int_equal(H.total, 0);
  const wd_alert_t *a = &V.al[0].a;
  assert_int_equal(a->state, WD_ALERT_START);
  assert_string_equal(a->detector, "scan.vertical");
  assert_string_equal(a->rsit_class, "information-gathering");
  assert_string_equal(a->rsit_type, "scanner");
  assert_true(a->has_src);
  assert_true(wd_addr_eq(&a->src, &scanner));
  assert_true(wd_addr_eq(&a->dst, &host));
  assert_int_equal(a->start_ns, DD_T0);
  assert_int_equal(V.al[1].a.state, WD_ALERT_END);
  assert_int_equal(V.al[1].a.attack_id, a->attack_id);
  unsigned long long ports = dd_metric_u(&V, 1, "ports"); /* estimated */
  assert_true(ports >= 29 && ports <= 31);
  assert_int_equal(dd_metric_u(&V, 1, "failed"), 29);
  assert_int_equal(dd_metric_u(&V, 1, "answered"), 0);
  assert_string_equal(dd_metric(&V, 1, "technique"), "syn");
  assert_int_equal(
      strncmp(dd_metric(&V, 1, "ports_sample"), "139,135,445,80,22,", 18), 0);
  close_both();
}

/* Closed ports answer RST: decided at the 5th port (min_ports). */
static void vertical_rst(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("192.168.1.66"), host = dd_ip("192.168.1.1");
  for (unsigned i = 0; i < 29; i++)
    tcp_probe(DD_T0 + i * 10 * DD_MS, scanner, host, ports29[i],
              ports29[i] == 80 || ports29[i] == 443 ? ANS_SYNACK : ANS_RST);
  assert_int_equal(V.n, 1);
  assert_int_equal(V.al[0].a.ts_ns, DD_T0 + 5 * 10 * DD_MS + DD_MS);
  finish_both();
  assert_int_equal(V.n, 2);
  assert_int_equal(dd_metric_u(&V, 1, "answered"), 2);
  assert_int_equal(dd_metric_u(&V, 1, "failed"), 27);
  assert_int_equal(H.total, 0);
  close_both();
}

/* A silent (filtered) first port must not hold the decision back until
 * its timeout: the closed ports' RSTs already prove the scan even if the
 * silent port later answered. Decided as soon as enough RSTs are in. */
static void vertical_silent_first_port(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("192.168.7.66"), host = dd_ip("192.168.7.1");
  for (unsigned i = 0; i < 29; i++)
    tcp_probe(DD_T0 + i * 10 * DD_MS, scanner, host, ports29[i],
              i == 0 ? ANS_NONE : ANS_RST);
  assert_int_equal(V.n, 1);
  assert_int_equal(V.al[0].a.state, WD_ALERT_START);
  /* Before the first probe could time out (attempt_timeout is 3 s). */
  assert_true(V.al[0].a.ts_ns < DD_T0 + DD_NSEC);
  finish_both();
  assert_int_equal(V.n, 2);
  close_both();
}

/* Unanswered probes fail after detect.scan.attempt_timeout: decided while
 * the scan goes on, before the end of input. */
static void vertical_timeout(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("10.0.0.66"), host = dd_ip("10.0.0.1");
  for (unsigned i = 0; i < 100; i++)
    tcp_probe(DD_T0 + i * 100 * DD_MS, scanner, host, (uint16_t)(1000 + i),
              ANS_NONE);
  assert_int_equal(V.n, 1);
  assert_true(V.al[0].a.ts_ns <= DD_T0 + 5 * DD_NSEC);
  finish_both();
  close_both();
}

/* nmap -p 80: connects to 80 and 443, both open. */
static void two_open_ports_silent(void **st) {
  (void)st;
  open_both();
  wd_addr_t c = dd_ip("10.87.1.10"), s = dd_ip("130.211.223.103");
  tcp_probe(DD_T0, c, s, 80, ANS_SYNACK);
  tcp_probe(DD_T0 + DD_MS * 3, c, s, 443, ANS_SYNACK);
  tcp_probe(DD_T0 + DD_MS * 60, c, s, 80, ANS_SYNACK);
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  close_both();
}

static void horizontal_syn(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("216.160.83.58");
  for (unsigned i = 0; i < 50; i++)
    tcp_probe(DD_T0 + i * 20 * DD_MS, scanner, dd_a4(0x0a000000u + i * 3), 22,
              i % 10 == 0 ? ANS_SYNACK
              : i % 2     ? ANS_RST
                          : ANS_NONE);
  finish_both();
  assert_int_equal(V.total, 0);
  assert_int_equal(H.n, 2);
  const wd_alert_t *a = &H.al[0].a;
  assert_string_equal(a->detector, "scan.horizontal");
  assert_true(wd_addr_eq(&a->src, &scanner));
  assert_true(a->has_ports);
  assert_int_equal(a->dport, 22);
  wd_addr_t first = dd_a4(0x0a000000u);
  assert_true(wd_addr_eq(&a->dst, &first));
  unsigned long long hosts = dd_metric_u(&H, 1, "hosts"); /* estimated */
  assert_true(hosts >= 45 && hosts <= 55);
  /* Five hosts answered; one may share its bit in the seen-bitmap with an
   * earlier host and not enter the walk. */
  assert_true(dd_metric_u(&H, 1, "answered") >= 4);
  close_both();
}

/* A client reaching 300 web servers, 15 % of them failing (in a spread
 * out pattern), and a resolver asking 500 name servers that answer. */
static void busy_clients_silent(void **st) {
  (void)st;
  open_both();
  wd_addr_t c = dd_ip("10.2.2.2");
  for (unsigned i = 0; i < 300; i++)
    tcp_probe(DD_T0 + i * 50 * DD_MS, c, dd_a4(0x5db80000u + i * 17), 443,
              i % 7 == 3 ? ANS_NONE : ANS_SYNACK);
  wd_addr_t res = dd_ip("10.0.0.53");
  static const uint8_t q[12] = {0};
  for (unsigned i = 0; i < 500; i++) {
    uint64_t t = DD_T0 + i * 30 * DD_MS;
    wd_packet_t p = dd_udp(t, res, (uint16_t)(20000 + i),
                           dd_a4(0xc0000000u + i * 5), 53, 60, q, sizeof q);
    wd_flow_t f = dd_flow(&p, i + 1);
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    both(&p, &f, WD_DIR_TO_SERVER);
    if (i % 25 == 7)
      continue; /* a lame server */
    wd_packet_t r =
        dd_udp(t + 20 * DD_MS, p.dst, 53, res, p.sport, 200, q, sizeof q);
    dd_flow_add(&f, &r, WD_DIR_TO_CLIENT);
    both(&r, &f, WD_DIR_TO_CLIENT);
  }
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  close_both();
}

/* UDP scan of one host: closed ports answer ICMPv4 port unreachable. */
static void udp_scan_icmp(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("10.4.4.4"), host = dd_ip("10.4.4.5");
  for (unsigned i = 0; i < 20; i++) {
    uint16_t port = (uint16_t)(100 + i);
    uint64_t t = DD_T0 + i * 50 * DD_MS;
    wd_packet_t p = dd_udp(t, scanner, 5555, host, port, 28, NULL, 0);
    wd_flow_t f = dd_flow(&p, i + 1);
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    both(&p, &f, WD_DIR_TO_SERVER);
    /* ICMP: type 3 code 3; payload = 4 unused bytes + quoted IP + UDP. */
    uint8_t b[4 + 28];
    memset(b, 0, sizeof b);
    b[4] = 0x45;
    b[4 + 9] = WD_PROTO_UDP;
    memcpy(b + 4 + 12, scanner.b + 12, 4);
    memcpy(b + 4 + 16, host.b + 12, 4);
    b[4 + 20] = 5555 >> 8;
    b[4 + 21] = 5555 & 0xff;
    b[4 + 22] = (uint8_t)(port >> 8);
    b[4 + 23] = (uint8_t)port;
    wd_packet_t r = dd_udp(t + DD_MS, host, 0, scanner, 0, 56, b, sizeof b);
    r.l4_proto = WD_PROTO_ICMP;
    r.icmp_type = 3;
    r.icmp_code = 3;
    both(&r, NULL, WD_DIR_TO_SERVER);
  }
  assert_int_equal(V.n, 1);
  finish_both();
  assert_int_equal(H.total, 0);
  assert_string_equal(dd_metric(&V, 1, "technique"), "udp");
  assert_int_equal(V.al[1].a.proto, WD_PROTO_UDP);
  assert_int_equal(dd_metric_u(&V, 1, "failed"), 20);
  close_both();
}

/* Name-resolution chatter: A asks by multicast (LLMNR) and broadcast
 * (NetBIOS); B answers by unicast to A's ephemeral ports, opening new
 * flows; A's sockets are closed by then and it sends port unreachable. */
static void replies_to_multicast_silent(void **st) {
  (void)st;
  open_both();
  wd_addr_t a = dd_ip("192.168.198.203"), b = dd_ip("192.168.198.204");
  for (unsigned i = 0; i < 12; i++) {
    uint64_t t = DD_T0 + i * 400 * DD_MS;
    uint16_t eph = (uint16_t)(50000 + i * 97);
    bool nbns = i % 3 == 0;
    wd_packet_t q = dd_udp(t, a, nbns ? 137 : eph,
                           dd_ip(nbns ? "192.168.198.255" : "224.0.0.252"),
                           nbns ? 137 : 5355, 60, NULL, 0);
    wd_flow_t fq = dd_flow(&q, 2 * i + 1);
    dd_flow_add(&fq, &q, WD_DIR_TO_SERVER);
    both(&q, &fq, WD_DIR_TO_SERVER);
    wd_packet_t r = dd_udp(t + DD_MS, b, nbns ? 137 : 5355, a, nbns ? 137 : eph,
                           80, NULL, 0);
    wd_flow_t fr = dd_flow(&r, 2 * i + 2);
    dd_flow_add(&fr, &r, WD_DIR_TO_SERVER);
    both(&r, &fr, WD_DIR_TO_SERVER);
    uint8_t u[28];
    memset(u, 0, sizeof u);
    u[0] = 0x45;
    u[9] = WD_PROTO_UDP;
    memcpy(u + 12, b.b + 12, 4);
    memcpy(u + 16, a.b + 12, 4);
    u[20] = (uint8_t)(r.sport >> 8);
    u[21] = (uint8_t)r.sport;
    u[22] = (uint8_t)(r.dport >> 8);
    u[23] = (uint8_t)r.dport;
    wd_packet_t ic = dd_udp(t + 2 * DD_MS, a, 0, b, 0, 56, u, sizeof u);
    ic.l4_proto = WD_PROTO_ICMP;
    ic.icmp_type = 3;
    ic.icmp_code = 3;
    both(&ic, NULL, WD_DIR_TO_SERVER);
  }
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  close_both();
}

/* Reflection towards a victim whose address was spoofed: 40 reflectors
 * answer from their service ports (DNS, Dahua DVR, BACnet, memcached, IKE
 * NAT-T) to random ports of the victim, 100 answers each, unanswered. The
 * reflectors answer; none is a scanner. A scanner sending from its own
 * port to as many ports is still one. */
static void reflected_answers_not_scans(void **st) {
  (void)st;
  open_both();
  static const uint16_t svc[] = {53, 37810, 47808, 11211, 4500};
  wd_addr_t victim = dd_ip("10.20.0.25");
  uint64_t seed = 7;
  uint64_t id = 1;
  for (unsigned i = 0; i < 4000; i++) {
    wd_addr_t refl = dd_a4(0x01000000u + i % 40);
    uint16_t port = (uint16_t)(1024 + dd_rand(&seed) % 64000);
    wd_packet_t p = dd_udp(DD_T0 + i * (DD_MS / 2), refl, svc[i % 40 % 5],
                           victim, port, 1200, NULL, 0);
    wd_flow_t f = dd_flow(&p, id++);
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    both(&p, &f, WD_DIR_TO_SERVER);
  }
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  for (unsigned i = 0; i < 40; i++) {
    wd_packet_t p =
        dd_udp(DD_T0 + 3 * DD_NSEC + i * 20 * DD_MS, dd_ip("216.160.83.58"),
               41234, victim, (uint16_t)(1024 + i * 997), 28, NULL, 0);
    wd_flow_t f = dd_flow(&p, id++);
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    both(&p, &f, WD_DIR_TO_SERVER);
  }
  finish_both();
  assert_true(V.total > 0);
  close_both();
}

/* A UDP flood with random destination ports is many unanswered "ports",
 * but at a rate no UDP scan reaches: not a scan (ddos.volumetric's). */
static void udp_flood_not_a_scan(void **st) {
  (void)st;
  open_both();
  wd_addr_t src = dd_ip("216.160.83.58"), victim = dd_ip("10.20.0.82");
  uint64_t seed = 3;
  for (unsigned i = 0; i < 180000; i++) { /* 60000 a second for 3 s */
    uint16_t port = (uint16_t)(dd_rand(&seed) | 1);
    wd_packet_t p =
        dd_udp(DD_T0 + i * 16667ull, src, 40000, victim, port, 120, NULL, 0);
    wd_flow_t f = dd_flow(&p, i + 1);
    dd_flow_add(&f, &p, WD_DIR_TO_SERVER);
    both(&p, &f, WD_DIR_TO_SERVER);
  }
  for (unsigned k = 4; k < 8; k++) { /* timeouts come and go */
    wd_packet_t p = dd_tcp(DD_T0 + k * DD_NSEC, dd_ip("192.0.2.1"), 1,
                           dd_ip("192.0.2.2"), 2, WD_TCP_ACK);
    both(&p, NULL, WD_DIR_TO_SERVER);
  }
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  close_both();
}

/* FIN, NULL and Xmas probes to ports with no connection. */
static void stealth_probes(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("10.6.6.6"), host = dd_ip("10.6.6.7");
  static const uint8_t flags[3] = {WD_TCP_FIN, 0,
                                   WD_TCP_FIN | WD_TCP_PSH | WD_TCP_URG};
  for (unsigned i = 0; i < 9; i++) {
    wd_packet_t p = dd_tcp(DD_T0 + i * DD_MS, scanner, 33333, host,
                           (uint16_t)(20 + i), flags[i % 3]);
    both(&p, NULL, WD_DIR_TO_SERVER);
  }
  assert_int_equal(V.n, 1);
  finish_both();
  assert_string_equal(dd_metric(&V, 1, "technique"), "fin+null+xmas");
  /* A FIN inside an existing connection is no probe. */
  dd_close(&V);
  assert_int_equal(dd_open(&V, &wd_detector_scan_vertical), WD_OK);
  for (unsigned i = 0; i < 9; i++) {
    wd_packet_t p = dd_tcp(DD_T0 + i * DD_MS, scanner, 33333, host,
                           (uint16_t)(20 + i), WD_TCP_FIN);
    wd_flow_t f = dd_flow(&p, 1);
    f.pkts[WD_DIR_TO_SERVER] = 10;
    f.pkts[WD_DIR_TO_CLIENT] = 10;
    dd_packet(&V, &p, &f, WD_DIR_TO_SERVER);
  }
  dd_finish(&V);
  assert_int_equal(V.total, 0);
  close_both();
}

static void ipv6_vertical(void **st) {
  (void)st;
  open_both();
  wd_addr_t scanner = dd_ip("2a02:d180::1"), host = dd_ip("fd00::80");
  for (unsigned i = 0; i < 12; i++)
    tcp_probe(DD_T0 + i * DD_MS, scanner, host, (uint16_t)(8000 + i), ANS_RST);
  finish_both();
  assert_int_equal(V.n, 2);
  assert_true(wd_addr_eq(&V.al[0].a.src, &scanner));
  assert_true(wd_addr_eq(&V.al[0].a.dst, &host));
  close_both();
}

/* A spoofed SYN flood is one probe per source: no scan, bounded state. */
static void bounded_under_spoofed_flood(void **st) {
  (void)st;
  open_both();
  uint64_t seed = 55;
  size_t peak = 0;
  wd_addr_t victim = dd_ip("10.10.10.10");
  for (unsigned i = 0; i < 1000000; i++) {
    wd_packet_t p = dd_tcp(DD_T0 + i * 2000ull, dd_a4((uint32_t)dd_rand(&seed)),
                           1000, victim, 25565, WD_TCP_SYN);
    both(&p, NULL, WD_DIR_TO_SERVER);
    if (V.mc.used > peak)
      peak = V.mc.used;
  }
  assert_true(peak <= V.mc.cap / 4);
  assert_true(H.mc.used <= H.mc.cap / 4);
  finish_both();
  assert_int_equal(V.total + H.total, 0);
  close_both();
  assert_int_equal(V.mc.used, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(vertical_one_way),
      cmocka_unit_test(exempt_scanner_silent),
      cmocka_unit_test(vertical_rst),
      cmocka_unit_test(vertical_silent_first_port),
      cmocka_unit_test(vertical_timeout),
      cmocka_unit_test(two_open_ports_silent),
      cmocka_unit_test(horizontal_syn),
      cmocka_unit_test(busy_clients_silent),
      cmocka_unit_test(udp_scan_icmp),
      cmocka_unit_test(replies_to_multicast_silent),
      cmocka_unit_test(udp_flood_not_a_scan),
      cmocka_unit_test(reflected_answers_not_scans),
      cmocka_unit_test(stealth_probes),
      cmocka_unit_test(ipv6_vertical),
      cmocka_unit_test(bounded_under_spoofed_flood),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
