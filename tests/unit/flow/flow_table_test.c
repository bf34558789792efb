/* flow_table_test.c -- tests of src/flow/flow_table.c: one flow for both
 * directions, distinct keys (ports, protocol, VLAN, IPv6), client
 * detection (SYN, SYN-ACK first, first sender), the TCP state machine with
 * handshake detection and the pkt_events it reports, FIN/RST closing, TCP
 * port reuse, fragments, each idle timeout at its boundary, LRU eviction
 * order across timeout classes, the end callback on timeout, eviction and
 * flush, flow ids, IP-level byte counting, lookups and sound chains
 * across bucket growth after expiry, and the memory cap holding under
 * a spoofed SYN flood from 2 million random sources. Packets are built
 * field by field (no decoder). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/net.h"
#include "flow/flow.h"

#define NS 1000000000ULL

/* ---- fixtures ---- */

static wd_config_t cfg_make(uint64_t max, uint64_t memcap) {
  wd_config_t c;
  memset(&c, 0, sizeof c);
  c.flow.max = max;
  c.flow.memcap = memcap;
  c.flow.tcp_syn_s = 5;
  c.flow.tcp_est_s = 100;
  c.flow.tcp_close_s = 3;
  c.flow.udp_s = 20;
  c.flow.icmp_s = 7;
  c.flow.other_s = 11;
  return c;
}

static wd_packet_t pkt(const char *src, uint16_t sp, const char *dst,
                       uint16_t dp, uint8_t proto, uint8_t flags, uint64_t ts) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  assert_int_equal(wd_addr_parse(src, &p.src), WD_OK);
  assert_int_equal(wd_addr_parse(dst, &p.dst), WD_OK);
  p.ip_version = wd_addr_is_v4(&p.src) ? 4 : 6;
  p.l4_proto = proto;
  p.has_l4 = true;
  p.sport = sp;
  p.dport = dp;
  p.tcp_flags = flags;
  p.ts_ns = ts;
  p.ip_len = 40;
  p.l3_len = 40;
  return p;
}

static wd_packet_t tcp(const char *src, uint16_t sp, const char *dst,
                       uint16_t dp, uint8_t flags, uint64_t ts) {
  return pkt(src, sp, dst, dp, WD_PROTO_TCP, flags, ts);
}

enum {
  SYN = WD_TCP_SYN,
  ACK = WD_TCP_ACK,
  FIN = WD_TCP_FIN,
  RST = WD_TCP_RST,
  PSH = WD_TCP_PSH
};

typedef struct ended {
  uint64_t id[64];
  wd_flow_end_reason why[64];
  uint8_t state[64];
  uint64_t pkts[64];
  size_t n;
  uint64_t total;
} ended;

static ended E;

static void on_end(void *user, wd_flow_t *f, wd_flow_end_reason why) {
  ended *e = user;
  if (e->n < 64) {
    e->id[e->n] = f->id;
    e->why[e->n] = why;
    e->state[e->n] = f->tcp_state;
    e->pkts[e->n] = f->pkts[0] + f->pkts[1];
    e->n++;
  }
  e->total++;
}

static wd_flow_table_t *table(uint64_t max, uint64_t memcap) {
  memset(&E, 0, sizeof E);
  wd_config_t c = cfg_make(max, memcap);
  wd_flow_table_t *t = NULL;
  assert_int_equal(wd_flow_table_new(&c, on_end, &E, &t), WD_OK);
  assert_non_null(t);
  return t;
}

static wd_flow_t *upd(wd_flow_table_t *t, wd_packet_t p, int *dir) {
  return wd_flow_table_update(t, &p, dir);
}

/* ---- tests ---- */

static void test_new_invalid(void **state) {
  (void)state;
  wd_config_t c = cfg_make(0, 1 << 20);
  wd_flow_table_t *t = (wd_flow_table_t *)1;
  assert_int_equal(wd_flow_table_new(&c, NULL, NULL, &t), WD_ERR_INVAL);
  assert_null(t);
  c = cfg_make(1000, 64); /* not even the fixed part fits */
  assert_int_equal(wd_flow_table_new(&c, NULL, NULL, &t), WD_ERR_INVAL);
  c = cfg_make(1000, 1 << 20);
  assert_int_equal(wd_flow_table_new(&c, NULL, NULL, &t), WD_OK);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.max, 1000);
  assert_int_equal(st.memcap, 1 << 20);
  assert_true(st.memuse > 0 && st.memuse < 64 * 1024); /* lazy: no slab */
  wd_flow_table_free(t);
  wd_flow_table_free(NULL);
}

static void test_not_ip(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  int dir = -1;
  assert_null(wd_flow_table_update(t, &p, &dir));
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.created, 0);
  wd_flow_table_free(t);
}

static void test_direction_independent(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir = -1;
  wd_flow_t *f = upd(
      t, pkt("10.0.0.1", 5353, "10.0.0.2", 53, WD_PROTO_UDP, 0, 1 * NS), &dir);
  assert_non_null(f);
  assert_int_equal(dir, WD_DIR_TO_SERVER);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  uint64_t id = f->id;
  wd_flow_t *g = upd(
      t, pkt("10.0.0.2", 53, "10.0.0.1", 5353, WD_PROTO_UDP, 0, 2 * NS), &dir);
  assert_ptr_equal(f, g);
  assert_int_equal(g->id, id);
  assert_int_equal(dir, WD_DIR_TO_CLIENT);
  assert_int_equal(g->pkt_events, 0);
  upd(t, pkt("10.0.0.2", 53, "10.0.0.1", 5353, WD_PROTO_UDP, 0, 3 * NS), &dir);
  assert_int_equal(g->pkts[WD_DIR_TO_SERVER], 1);
  assert_int_equal(g->pkts[WD_DIR_TO_CLIENT], 2);
  assert_int_equal(g->bytes[WD_DIR_TO_SERVER], 40);
  assert_int_equal(g->bytes[WD_DIR_TO_CLIENT], 80);
  assert_int_equal(g->first_ns, 1 * NS);
  assert_int_equal(g->last_ns, 3 * NS);
  assert_int_equal(g->cport, 5353);
  assert_int_equal(g->sport, 53);
  char buf[WD_ADDR_STRLEN];
  assert_string_equal(wd_addr_str(&g->cli, buf), "10.0.0.1");
  assert_string_equal(wd_addr_str(&g->srv, buf), "10.0.0.2");
  assert_int_equal(g->proto, WD_PROTO_UDP);
  assert_int_equal(g->tcp_state, WD_TCP_NONE);
  /* A late (out-of-order) packet does not move last_ns back. */
  upd(t, pkt("10.0.0.1", 5353, "10.0.0.2", 53, WD_PROTO_UDP, 0, 2 * NS), &dir);
  assert_int_equal(g->last_ns, 3 * NS);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.created, 1);
  assert_int_equal(st.active, 1);
  assert_int_equal(st.udp, 1);
  wd_flow_table_free(t);
}

/* Whatever differs in ports, protocol, VLAN or address is another flow;
 * the outer VLAN tag does not count, the innermost does. */
static void test_distinct_keys(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  wd_packet_t base = tcp("192.0.2.1", 1000, "198.51.100.1", 80, SYN, NS);
  wd_flow_t *f = upd(t, base, &dir);
  uint64_t id = f->id;
  wd_packet_t p = base;
  p.sport = 1001;
  assert_true(upd(t, p, &dir)->id != id);
  p = base;
  p.dport = 81;
  assert_true(upd(t, p, &dir)->id != id);
  p = base;
  p.l4_proto = WD_PROTO_UDP;
  assert_true(upd(t, p, &dir)->id != id);
  p = base;
  p.dst.b[15] ^= 1;
  assert_true(upd(t, p, &dir)->id != id);
  /* Swapped ports only (A:80 -> B:1000) is not the reverse direction. */
  p = base;
  p.sport = 80;
  p.dport = 1000;
  assert_true(upd(t, p, &dir)->id != id);
  p = base;
  p.vlan_depth = 1;
  p.vlan[0] = 100;
  uint64_t v100 = upd(t, p, &dir)->id;
  assert_true(v100 != id);
  p.vlan_depth = 2;
  p.vlan[0] = 7; /* outer tag differs, inner is 100 */
  p.vlan[1] = 100;
  wd_flow_t *q = upd(t, p, &dir);
  assert_int_equal(q->id, v100);
  assert_int_equal(q->vlan, 100);
  assert_int_equal(upd(t, base, &dir)->id, id);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.created, 7);
  assert_int_equal(st.tcp, 6);
  assert_int_equal(st.udp, 1);
  /* IPv6 works the same, both ways. */
  f = upd(t,
          pkt("2001:db8::1", 40000, "2001:db8::2", 443, WD_PROTO_TCP, SYN, NS),
          &dir);
  id = f->id;
  assert_int_equal(
      upd(t, tcp("2001:db8::2", 443, "2001:db8::1", 40000, SYN | ACK, NS), &dir)
          ->id,
      id);
  assert_int_equal(dir, WD_DIR_TO_CLIENT);
  wd_flow_table_free(t);
}

static void test_client_detection(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  char buf[WD_ADDR_STRLEN];
  /* SYN-ACK seen first: its receiver is the client. */
  wd_flow_t *f =
      upd(t, tcp("10.1.1.1", 443, "10.2.2.2", 50000, SYN | ACK, NS), &dir);
  assert_int_equal(dir, WD_DIR_TO_CLIENT);
  assert_string_equal(wd_addr_str(&f->cli, buf), "10.2.2.2");
  assert_int_equal(f->cport, 50000);
  assert_int_equal(f->sport, 443);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_RECV);
  assert_int_equal(f->pkts[WD_DIR_TO_CLIENT], 1);
  assert_int_equal(f->tcp_flags[WD_DIR_TO_CLIENT], SYN | ACK);
  /* The client's ACK then completes the handshake. */
  f = upd(t, tcp("10.2.2.2", 50000, "10.1.1.1", 443, ACK, NS), &dir);
  assert_int_equal(dir, WD_DIR_TO_SERVER);
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_ESTABLISHED);
  /* SYN first: the sender. */
  f = upd(t, tcp("10.3.3.3", 1234, "10.4.4.4", 22, SYN, NS), &dir);
  assert_string_equal(wd_addr_str(&f->cli, buf), "10.3.3.3");
  assert_int_equal(dir, WD_DIR_TO_SERVER);
  /* Anything else: the first sender (here a mid-stream TCP packet from the
   * server side, and ICMP). */
  f = upd(t, tcp("10.5.5.5", 80, "10.6.6.6", 3333, ACK | PSH, NS), &dir);
  assert_string_equal(wd_addr_str(&f->cli, buf), "10.5.5.5");
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED); /* no handshake */
  f = upd(t, pkt("10.7.7.7", 0, "10.8.8.8", 0, WD_PROTO_ICMP, 0, NS), &dir);
  assert_string_equal(wd_addr_str(&f->cli, buf), "10.7.7.7");
  wd_flow_table_free(t);
}

static void test_handshake_states(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  const char *c = "172.16.0.1", *s = "172.16.0.2";
  wd_flow_t *f = upd(t, tcp(c, 4000, s, 445, SYN, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_SENT);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  f = upd(t, tcp(c, 4000, s, 445, SYN, NS + 1), &dir); /* retransmission */
  assert_int_equal(f->tcp_state, WD_TCP_SYN_SENT);
  assert_int_equal(f->pkt_events, 0);
  /* A SYN-ACK from the client side is not the server's answer. */
  f = upd(t, tcp(c, 4000, s, 445, SYN | ACK, NS + 2), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_SENT);
  f = upd(t, tcp(s, 445, c, 4000, SYN | ACK, NS + 3), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_RECV);
  assert_int_equal(f->pkt_events, 0);
  /* An ACK from the server side does not complete it. */
  f = upd(t, tcp(s, 445, c, 4000, ACK, NS + 4), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_RECV);
  f = upd(t, tcp(c, 4000, s, 445, ACK, NS + 5), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_ESTABLISHED);
  f = upd(t, tcp(c, 4000, s, 445, ACK | PSH, NS + 6), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  assert_int_equal(f->pkt_events, 0); /* only once */
  assert_int_equal(f->tcp_flags[WD_DIR_TO_SERVER], SYN | ACK | PSH);
  assert_int_equal(f->tcp_flags[WD_DIR_TO_CLIENT], SYN | ACK);

  /* Without the server's SYN-ACK (spoofed or one-sided), a client ACK is no
   * handshake. */
  f = upd(t, tcp(c, 4001, s, 445, SYN, NS), &dir);
  f = upd(t, tcp(c, 4001, s, 445, ACK, NS + 1), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_SENT);
  assert_int_equal(f->pkt_events, 0);
  wd_flow_table_free(t);
}

static wd_flow_t *established(wd_flow_table_t *t, const char *c, uint16_t cp,
                              const char *s, uint16_t sp, uint64_t ts) {
  int dir;
  upd(t, tcp(c, cp, s, sp, SYN, ts), &dir);
  upd(t, tcp(s, sp, c, cp, SYN | ACK, ts), &dir);
  wd_flow_t *f = upd(t, tcp(c, cp, s, sp, ACK, ts), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  return f;
}

static void test_fin_rst_closing(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  const char *c = "10.0.0.1", *s = "10.0.0.2";
  wd_flow_t *f = established(t, c, 1, s, 80, NS);
  f = upd(t, tcp(c, 1, s, 80, FIN | ACK, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_CLOSING);
  assert_int_equal(f->pkt_events, 0);
  f = upd(t, tcp(c, 1, s, 80, FIN | ACK, NS), &dir); /* same side again */
  assert_int_equal(f->tcp_state, WD_TCP_CLOSING);
  f = upd(t, tcp(s, 80, c, 1, FIN | ACK, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_CLOSED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CLOSED);
  f = upd(t, tcp(c, 1, s, 80, ACK, NS), &dir); /* last ACK */
  assert_int_equal(f->tcp_state, WD_TCP_CLOSED);
  assert_int_equal(f->pkt_events, 0);

  /* RST from either side closes at once, from any state. */
  f = established(t, c, 2, s, 80, NS);
  f = upd(t, tcp(s, 80, c, 2, RST, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_CLOSED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CLOSED);
  f = upd(t, tcp(c, 3, s, 80, SYN, NS), &dir);
  f = upd(t, tcp(s, 80, c, 3, RST | ACK, NS), &dir); /* port closed */
  assert_int_equal(f->tcp_state, WD_TCP_CLOSED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CLOSED);
  f = upd(t, tcp(c, 4, s, 80, RST, NS), &dir); /* RST first */
  assert_int_equal(f->tcp_state, WD_TCP_CLOSED);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED | WD_FLOW_EV_CLOSED);
  /* FIN during the handshake, and FIN as a first packet. */
  f = upd(t, tcp(c, 5, s, 80, SYN, NS), &dir);
  f = upd(t, tcp(c, 5, s, 80, FIN, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_CLOSING);
  f = upd(t, tcp(c, 6, s, 80, FIN | ACK, NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_CLOSING);
  wd_flow_table_free(t);
}

/* A SYN on a closed flow's 5-tuple ends it (REUSED) and starts a new flow;
 * on a flow still open it is just another packet. */
static void test_tcp_reuse(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  const char *c = "10.0.0.1", *s = "10.0.0.2";
  wd_flow_t *f = established(t, c, 7, s, 445, NS);
  uint64_t old = f->id;
  upd(t, tcp(c, 7, s, 445, SYN, 2 * NS), &dir); /* open: not reuse */
  assert_int_equal(E.total, 0);
  f = upd(t, tcp(s, 445, c, 7, RST, 2 * NS), &dir);
  f = upd(t, tcp(c, 7, s, 445, SYN, 3 * NS), &dir);
  assert_int_equal(E.n, 1);
  assert_int_equal(E.id[0], old);
  assert_int_equal(E.why[0], WD_FLOW_END_REUSED);
  assert_int_equal(E.state[0], WD_TCP_CLOSED);
  assert_int_equal(E.pkts[0], 5);
  assert_true(f->id != old);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_SENT);
  assert_int_equal(f->pkts[0], 1);
  assert_int_equal(f->pkts[1], 0);
  assert_int_equal(f->first_ns, 3 * NS);
  /* The new flow is the one found afterwards. */
  f = upd(t, tcp(s, 445, c, 7, SYN | ACK, 3 * NS), &dir);
  assert_int_equal(f->tcp_state, WD_TCP_SYN_RECV);
  assert_int_equal(dir, WD_DIR_TO_CLIENT);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.reused, 1);
  assert_int_equal(st.created, 2);
  assert_int_equal(st.active, 1);
  wd_flow_table_free(t);
}

/* Non-first fragments (no ports) go to the port-less flow of the address
 * pair and protocol; so do TCP/UDP packets whose header was cut. */
static void test_fragments(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  wd_packet_t first =
      pkt("10.9.0.1", 5000, "10.9.0.2", 53, WD_PROTO_UDP, 0, NS);
  first.fragment = first.first_fragment = true;
  wd_flow_t *f = upd(t, first, &dir);
  assert_int_equal(f->cport, 5000);
  uint64_t id5 = f->id;
  wd_packet_t rest = first;
  rest.first_fragment = false;
  rest.has_l4 = false;
  rest.sport = rest.dport = 0;
  f = upd(t, rest, &dir);
  assert_true(f->id != id5);
  assert_int_equal(f->cport, 0);
  assert_int_equal(f->sport, 0);
  assert_int_equal(f->proto, WD_PROTO_UDP);
  uint64_t id0 = f->id;
  /* A stale port value in a non-first fragment is ignored. */
  rest.sport = 99;
  rest.has_l4 = true;
  assert_int_equal(upd(t, rest, &dir)->id, id0);
  /* Reverse direction of the port-less flow. */
  wd_packet_t back = rest;
  back.src = rest.dst;
  back.dst = rest.src;
  f = upd(t, back, &dir);
  assert_int_equal(f->id, id0);
  assert_int_equal(dir, WD_DIR_TO_CLIENT);
  /* TCP without a full header: no state tracking, handshake class. */
  wd_packet_t cut = tcp("10.9.0.1", 1, "10.9.0.2", 2, SYN, NS);
  cut.has_l4 = false;
  f = upd(t, cut, &dir);
  assert_int_equal(f->tcp_state, WD_TCP_NONE);
  assert_int_equal(f->cport, 0);
  wd_flow_table_free(t);
}

/* Each timeout class ends its flows when idle for exactly its timeout, not
 * a nanosecond earlier, and a packet restarts the count. */
static void test_timeouts(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  const uint64_t t0 = 1000 * NS;
  wd_flow_t *f;
  f = upd(t, tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN, t0), &dir); /* 5 s */
  uint64_t syn_id = f->id;
  f = established(t, "10.0.0.1", 3, "10.0.0.2", 4, t0); /* 100 s */
  uint64_t est_id = f->id;
  f = established(t, "10.0.0.1", 5, "10.0.0.2", 6, t0);
  upd(t, tcp("10.0.0.1", 5, "10.0.0.2", 6, RST, t0), &dir); /* 3 s */
  uint64_t close_id = f->id;
  f = upd(t, pkt("10.0.0.1", 7, "10.0.0.2", 8, WD_PROTO_UDP, 0, t0),
          &dir); /* 20 s */
  uint64_t udp_id = f->id;
  f = upd(t, pkt("10.0.0.1", 0, "10.0.0.2", 0, WD_PROTO_ICMP, 0, t0),
          &dir); /* 7 s */
  uint64_t icmp_id = f->id;
  f = upd(t, pkt("2001:db8::1", 0, "2001:db8::2", 0, WD_PROTO_ICMPV6, 0, t0),
          &dir); /* 7 s */
  uint64_t icmp6_id = f->id;
  f = upd(t, pkt("10.0.0.1", 0, "10.0.0.2", 0, 47 /* GRE */, 0, t0),
          &dir); /* 11 s */
  uint64_t gre_id = f->id;
  /* The UDP flow is refreshed at t0 + 10 s. */
  upd(t, pkt("10.0.0.2", 8, "10.0.0.1", 7, WD_PROTO_UDP, 0, t0 + 10 * NS),
      &dir);

  /* When each ends (seconds after t0) and how many have ended then. */
  struct {
    uint64_t at;
    size_t total;
    uint64_t id, id2;
  } due[] = {
      {3, 1, close_id, 0}, {5, 2, syn_id, 0},  {7, 4, icmp_id, icmp6_id},
      {11, 5, gre_id, 0},  {30, 6, udp_id, 0}, /* not at 20: refreshed at 10 */
      {100, 7, est_id, 0}};
  size_t before = 0;
  for (size_t i = 0; i < sizeof due / sizeof due[0]; i++) {
    wd_flow_table_expire(t, t0 + due[i].at * NS - 1);
    assert_int_equal(E.n, before);
    wd_flow_table_expire(t, t0 + due[i].at * NS);
    assert_int_equal(E.n, due[i].total);
    bool found = false, found2 = due[i].id2 == 0;
    for (size_t j = before; j < E.n; j++) {
      assert_int_equal(E.why[j], WD_FLOW_END_TIMEOUT);
      found |= E.id[j] == due[i].id;
      found2 |= E.id[j] == due[i].id2;
    }
    assert_true(found && found2);
    before = E.n;
  }
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.timed_out, 7);
  assert_int_equal(st.active, 0);
  assert_int_equal(st.evicted, 0);
  wd_flow_table_free(t);
}

/* A flow changes timeout class as its state changes: the handshake
 * timeout stops applying once established, the closed one starts with
 * RST. */
static void test_timeout_follows_state(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100, 1 << 20);
  int dir;
  const uint64_t t0 = 50 * NS;
  established(t, "10.0.0.1", 1, "10.0.0.2", 2, t0);
  wd_flow_table_expire(t, t0 + 50 * NS); /* past tcp_syn (5 s) */
  assert_int_equal(E.n, 0);
  upd(t, tcp("10.0.0.2", 2, "10.0.0.1", 1, RST, t0 + 60 * NS), &dir);
  wd_flow_table_expire(t, t0 + 62 * NS);
  assert_int_equal(E.n, 0);
  wd_flow_table_expire(t, t0 + 63 * NS); /* tcp_closed: 3 s */
  assert_int_equal(E.n, 1);
  assert_int_equal(E.why[0], WD_FLOW_END_TIMEOUT);
  wd_flow_table_free(t);
}

/* Full table: the least recently active flow is recycled, whatever its
 * timeout class, and the end callback sees it (EVICTED) first. */
static void test_lru_eviction_order(void **state) {
  (void)state;
  wd_flow_table_t *t = table(4, 1 << 20);
  int dir;
  uint64_t id[6];
  id[0] =
      upd(t, pkt("10.0.0.1", 1, "10.0.0.9", 53, WD_PROTO_UDP, 0, 1 * NS), &dir)
          ->id;
  id[1] = upd(t, tcp("10.0.0.2", 2, "10.0.0.9", 80, SYN, 2 * NS), &dir)->id;
  id[2] =
      upd(t, pkt("10.0.0.3", 0, "10.0.0.9", 0, WD_PROTO_ICMP, 0, 3 * NS), &dir)
          ->id;
  id[3] = upd(t, pkt("10.0.0.4", 0, "10.0.0.9", 0, 50, 0, 4 * NS), &dir)->id;
  /* Refresh the UDP flow: the TCP one is now the least recent. */
  upd(t, pkt("10.0.0.9", 53, "10.0.0.1", 1, WD_PROTO_UDP, 0, 5 * NS), &dir);
  assert_int_equal(E.n, 0);
  wd_flow_t *f = upd(t, tcp("10.0.0.5", 5, "10.0.0.9", 80, SYN, 6 * NS), &dir);
  id[4] = f->id;
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  assert_int_equal(f->pkts[0], 1);
  assert_int_equal(E.n, 1);
  assert_int_equal(E.id[0], id[1]);
  assert_int_equal(E.why[0], WD_FLOW_END_EVICTED);
  /* Then the ICMP one, then the other-protocol one. */
  id[5] = upd(t, tcp("10.0.0.6", 6, "10.0.0.9", 80, SYN, 7 * NS), &dir)->id;
  assert_int_equal(E.id[1], id[2]);
  upd(t, tcp("10.0.0.7", 7, "10.0.0.9", 80, SYN, 8 * NS), &dir);
  assert_int_equal(E.id[2], id[3]);
  assert_int_equal(E.n, 3);
  /* The survivors are still found (not recreated). */
  f = upd(t, pkt("10.0.0.1", 1, "10.0.0.9", 53, WD_PROTO_UDP, 0, 9 * NS), &dir);
  assert_int_equal(f->id, id[0]);
  assert_int_equal(f->pkts[0] + f->pkts[1], 3);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.evicted, 3);
  assert_int_equal(st.cap_hits, 3);
  assert_int_equal(st.active, 4);
  assert_int_equal(st.created, 7);
  (void)id[5];
  wd_flow_table_free(t);
}

static void test_flush_and_reuse(void **state) {
  (void)state;
  wd_flow_table_t *t = table(1000, 1 << 20);
  int dir;
  for (uint16_t i = 0; i < 10; i++)
    upd(t, tcp("10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 80, SYN, NS),
        &dir);
  wd_flow_table_flush(t);
  assert_int_equal(E.n, 10);
  for (size_t i = 0; i < E.n; i++)
    assert_int_equal(E.why[i], WD_FLOW_END_SHUTDOWN);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.active, 0);
  assert_int_equal(wd_flow_table_check(t), 0); /* no chain names an entry */
  wd_flow_table_flush(t);                      /* nothing more */
  assert_int_equal(E.n, 10);
  /* The table works after a flush: freed entries are reused, and every
   * flushed key is new again. */
  size_t mem = st.memuse;
  wd_flow_t *f =
      upd(t, tcp("10.0.0.1", 1000, "10.0.0.2", 80, SYN, 2 * NS), &dir);
  assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  assert_int_equal(f->pkts[0], 1);
  for (uint16_t i = 1; i < 10; i++) {
    f = upd(t,
            tcp("10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 80, SYN, 2 * NS),
            &dir);
    assert_int_equal(f->pkt_events, WD_FLOW_EV_CREATED);
  }
  assert_int_equal(wd_flow_table_check(t), 0);
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.memuse, mem);
  assert_int_equal(st.active, 10);
  wd_flow_table_free(t);
}

static void test_ids_unique(void **state) {
  (void)state;
  wd_flow_table_t *t = table(1 << 16, 64 << 20);
  static uint64_t ids[20000];
  int dir;
  wd_packet_t p = tcp("10.0.0.1", 1, "10.0.0.2", 80, SYN, NS);
  for (int i = 0; i < 20000; i++) {
    p.sport = (uint16_t)i;
    p.src.b[14] = (uint8_t)(i >> 8);
    wd_flow_t *f = upd(t, p, &dir);
    assert_true(f->id != 0);
    assert_true(f->id < (1ULL << 63));
    ids[i] = f->id;
  }
  for (int i = 1; i < 20000; i++)
    assert_true(ids[i] > ids[i - 1]); /* a counter: distinct */
  wd_flow_table_free(t);
}

/* IP-level bytes: the wire length less the link header, cut to what the IP
 * header claims (Ethernet padding). */
static void test_ip_bytes(void **state) {
  (void)state;
  uint8_t frame[60] = {0};
  wd_packet_t p = tcp("10.0.0.1", 1, "10.0.0.2", 2, ACK, NS);
  p.frame = frame;
  p.caplen = 60;
  p.wirelen = 60;
  p.l3 = frame + 14;
  p.ip_len = 40; /* 14 + 40 + 6 bytes of padding */
  assert_int_equal(wd_flow_table_ip_bytes(&p), 40);
  p.ip_len = 9000; /* claims more than the wire carried */
  assert_int_equal(wd_flow_table_ip_bytes(&p), 46);
  p.caplen = 34; /* snaplen cut: the wire length still counts */
  p.wirelen = 1514;
  p.ip_len = 1500;
  assert_int_equal(wd_flow_table_ip_bytes(&p), 1500);
  p.frame = NULL;
  p.l3 = NULL;
  assert_int_equal(wd_flow_table_ip_bytes(&p), 1500);
  p.ip_len = 0;
  p.l3_len = 20;
  assert_int_equal(wd_flow_table_ip_bytes(&p), 20);
  assert_true(wd_flow_table_entry_size() >= sizeof(wd_flow_t));
}

/* 2 million spoofed SYNs from random sources to one victim: the table
 * never holds more than its cap, memuse never exceeds memcap, and what it
 * could not keep was evicted, counted and told to the owner. */
static void test_spoofed_flood_capped(void **state) {
  (void)state;
  const uint64_t memcap = 4 << 20;
  wd_flow_table_t *t = table(1000000, memcap);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  uint64_t max = st.max;
  assert_true(max < 1000000); /* the memcap binds first */
  assert_true(max * wd_flow_table_entry_size() <= memcap);
  assert_true(max * wd_flow_table_entry_size() > memcap * 9 / 10);
  wd_packet_t p = tcp("10.0.0.1", 1, "192.0.2.80", 80, SYN, NS);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  int dir;
  const uint32_t N = 2000000;
  for (uint32_t i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(p.src.b + 12, &x, 4);
    p.sport = (uint16_t)(x >> 40);
    p.ts_ns = NS + (uint64_t)i * 1000; /* 1 Mpps */
    wd_flow_t *f = wd_flow_table_update(t, &p, &dir);
    assert_non_null(f);
    if ((i & 1023) == 0) {
      wd_flow_table_stats(t, &st);
      assert_true(st.memuse <= st.memcap);
      assert_true(st.active <= max);
    }
  }
  wd_flow_table_stats(t, &st);
  assert_true(st.memuse <= memcap);
  assert_int_equal(st.active, max);
  assert_true(st.created >= N - 100); /* a few random repeats */
  assert_int_equal(st.evicted, st.created - st.active);
  assert_int_equal(st.cap_hits, st.evicted);
  assert_int_equal(E.total, st.evicted);
  for (size_t i = 0; i < E.n; i++)
    assert_int_equal(E.why[i], WD_FLOW_END_EVICTED);
  /* Still a working table: a legitimate flow goes through. */
  wd_flow_t *f = established(t, "10.1.2.3", 5555, "192.0.2.80", 443, 3 * NS);
  assert_int_equal(f->tcp_state, WD_TCP_ESTABLISHED);
  /* And expiry removes the flood (5 s handshake timeout), not the real
   * flow (established: 100 s). */
  uint64_t before = E.total;
  wd_flow_table_expire(t, 9 * NS);
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.active, 1);
  assert_int_equal(st.timed_out, max - 1);
  assert_int_equal(E.total, before + max - 1);
  wd_flow_table_free(t);
}

/* Expiry ends exactly the flows due, oldest first, however many there are
 * (more than one batch of the list walk ahead, and a batch cut short by
 * the first flow not due), and leaves the others findable. */
static void test_expiry_order(void **state) {
  (void)state;
  wd_flow_table_t *t = table(1000, 1 << 20);
  enum { N = 50, DUE = 37 };
  uint64_t ids[N];
  char a[32];
  int dir;
  for (uint32_t i = 0; i < N; i++) { /* one every 100 ms */
    snprintf(a, sizeof a, "10.0.0.%u", i + 1);
    ids[i] =
        upd(t,
            pkt(a, 40000, "192.0.2.1", 53, WD_PROTO_UDP, 0, NS + i * (NS / 10)),
            &dir)
            ->id;
  }
  /* udp_s is 20 s: flow i is due once 20 s have passed since it was seen */
  wd_flow_table_expire(t, NS + (DUE - 1) * (NS / 10) + 20 * NS);
  assert_int_equal(E.n, DUE);
  for (uint32_t i = 0; i < DUE; i++) {
    assert_int_equal(E.id[i], ids[i]);
    assert_int_equal(E.why[i], WD_FLOW_END_TIMEOUT);
  }
  assert_int_equal(wd_flow_table_check(t), 0);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.active, N - DUE);
  assert_int_equal(st.timed_out, DUE);
  for (uint32_t i = DUE; i < N; i++) { /* the rest are still there */
    snprintf(a, sizeof a, "10.0.0.%u", i + 1);
    assert_int_equal(
        upd(t, pkt("192.0.2.1", 53, a, 40000, WD_PROTO_UDP, 0, 30 * NS), &dir)
            ->id,
        ids[i]);
  }
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.created, N);
  wd_flow_table_free(t);
}

/* The buckets double as flows come (every live flow rechained, the freed
 * entries and the slot being filled not), also after expiry has freed
 * entries: every live flow is still found, none twice, every chain sound
 * (wd_flow_table_check). */
static void test_growth_keeps_flows(void **state) {
  (void)state;
  wd_flow_table_t *t = table(100000, 64 << 20);
  enum { OLD = 3000, NEW = 9000 };
  static uint64_t ids[OLD + NEW];
  char a[32];
  int dir;
  /* even: UDP (20 s idle), odd: TCP established (100 s) */
  for (uint32_t i = 0; i < OLD; i++) {
    snprintf(a, sizeof a, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
    ids[i] = i % 2 ? established(t, a, 40000, "192.0.2.1", 443, NS)->id
                   : upd(t, pkt(a, 40000, "192.0.2.1", 53, WD_PROTO_UDP, 0, NS),
                         &dir)
                         ->id;
  }
  assert_int_equal(wd_flow_table_check(t), 0);
  wd_flow_table_expire(t, 30 * NS); /* the UDP half goes: entries freed */
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.active, OLD / 2);
  assert_int_equal(wd_flow_table_check(t), 0);
  /* new flows take the freed entries first, then fresh ones; the buckets
   * double twice more meanwhile */
  for (uint32_t i = OLD; i < OLD + NEW; i++) {
    snprintf(a, sizeof a, "172.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
    ids[i] = upd(t, tcp(a, 50000, "198.51.100.7", 80, SYN, 31 * NS), &dir)->id;
  }
  wd_flow_table_stats(t, &st);
  uint64_t created = st.created;
  assert_int_equal(st.active, OLD / 2 + NEW);
  assert_int_equal(wd_flow_table_check(t), 0);
  for (uint32_t i = 1; i < OLD; i += 2) { /* the other way */
    snprintf(a, sizeof a, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
    assert_int_equal(
        upd(t, tcp("192.0.2.1", 443, a, 40000, ACK, 32 * NS), &dir)->id,
        ids[i]);
    assert_int_equal(dir, WD_DIR_TO_CLIENT);
  }
  for (uint32_t i = OLD; i < OLD + NEW; i++) {
    snprintf(a, sizeof a, "172.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
    assert_int_equal(
        upd(t, tcp(a, 50000, "198.51.100.7", 80, ACK, 32 * NS), &dir)->id,
        ids[i]);
  }
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.created, created); /* every one found, none made */
  wd_flow_table_expire(t, 200 * NS);
  wd_flow_table_stats(t, &st);
  assert_int_equal(st.active, 0);
  assert_int_equal(wd_flow_table_check(t), 0);
  wd_flow_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_invalid),
      cmocka_unit_test(test_not_ip),
      cmocka_unit_test(test_direction_independent),
      cmocka_unit_test(test_distinct_keys),
      cmocka_unit_test(test_client_detection),
      cmocka_unit_test(test_handshake_states),
      cmocka_unit_test(test_fin_rst_closing),
      cmocka_unit_test(test_tcp_reuse),
      cmocka_unit_test(test_fragments),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_timeout_follows_state),
      cmocka_unit_test(test_lru_eviction_order),
      cmocka_unit_test(test_flush_and_reuse),
      cmocka_unit_test(test_expiry_order),
      cmocka_unit_test(test_ids_unique),
      cmocka_unit_test(test_ip_bytes),
      cmocka_unit_test(test_spoofed_flood_capped),
      cmocka_unit_test(test_growth_keeps_flows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
