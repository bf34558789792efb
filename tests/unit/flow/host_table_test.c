/* host_table_test.c -- tests of src/flow/host_table.c: counters per
 * direction (packets, bytes, SYN, SYN-ACK, RST, UDP, ICMP unreachable,
 * fragments), flows and handshakes as client/server from the flow
 * events, the per-second roll-over (cur -> last, stale last zeroed, peaks),
 * foreach_active (only hosts of the second just closed, most recent first,
 * stop), idle timeout, and the entry and memory caps holding under a flood
 * of sources while the second lists stay sound. Packets are built field by
 * field; flows come from a real flow table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/net.h"
#include "flow/flow.h"
#include "flow/host.h"

#define NS 1000000000ULL

static wd_config_t cfg_make(uint64_t max, uint64_t memcap, uint32_t idle_s) {
  wd_config_t c;
  memset(&c, 0, sizeof c);
  c.host.max = max;
  c.host.memcap = memcap;
  c.host.idle_s = idle_s;
  c.flow.max = 10000;
  c.flow.memcap = 4 << 20;
  c.flow.tcp_syn_s = c.flow.tcp_est_s = c.flow.tcp_close_s = 60;
  c.flow.udp_s = c.flow.icmp_s = c.flow.other_s = 60;
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
  p.ip_len = 100;
  p.l3_len = 100;
  return p;
}

typedef struct rig {
  wd_host_table_t *h;
  wd_flow_table_t *f;
} rig;

static rig rig_new(uint64_t max, uint64_t memcap, uint32_t idle_s) {
  wd_config_t c = cfg_make(max, memcap, idle_s);
  rig r;
  assert_int_equal(wd_host_table_new(&c, &r.h), WD_OK);
  assert_int_equal(wd_flow_table_new(&c, NULL, NULL, &r.f), WD_OK);
  return r;
}

static void rig_free(rig *r) {
  wd_host_table_free(r->h);
  wd_flow_table_free(r->f);
}

/* What the pipeline does per packet: flow, then hosts. */
static void feed(rig *r, wd_packet_t p) {
  int dir = WD_DIR_TO_SERVER;
  wd_flow_t *f = wd_flow_table_update(r->f, &p, &dir);
  wd_host_table_update(r->h, &p, f, dir,
                       f && (f->pkt_events & WD_FLOW_EV_CREATED),
                       f && (f->pkt_events & WD_FLOW_EV_ESTABLISHED));
}

static wd_host_t *host(rig *r, const char *a) {
  wd_addr_t x;
  assert_int_equal(wd_addr_parse(a, &x), WD_OK);
  return wd_host_table_find(r->h, &x);
}

enum { SYN = WD_TCP_SYN, ACK = WD_TCP_ACK, RST = WD_TCP_RST };

static void test_new_invalid(void **state) {
  (void)state;
  wd_config_t c = cfg_make(0, 1 << 20, 10);
  wd_host_table_t *h = (wd_host_table_t *)1;
  assert_int_equal(wd_host_table_new(&c, &h), WD_ERR_INVAL);
  assert_null(h);
  c = cfg_make(100, 16, 10); /* memcap holds nothing */
  assert_int_equal(wd_host_table_new(&c, &h), WD_ERR_INVAL);
  wd_host_table_free(NULL);
}

static void test_counters(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  const char *a = "10.0.0.1", *b = "10.0.0.2";
  feed(&r, pkt(a, 1000, b, 80, WD_PROTO_TCP, SYN, NS));
  feed(&r, pkt(b, 80, a, 1000, WD_PROTO_TCP, SYN | ACK, NS));
  feed(&r, pkt(a, 1000, b, 80, WD_PROTO_TCP, ACK, NS));
  feed(&r, pkt(b, 80, a, 1000, WD_PROTO_TCP, RST | ACK, NS));
  feed(&r, pkt(a, 5000, b, 53, WD_PROTO_UDP, 0, NS));
  wd_packet_t icmp = pkt(b, 0, a, 0, WD_PROTO_ICMP, 0, NS);
  icmp.icmp_type = 3; /* destination unreachable */
  feed(&r, icmp);
  icmp.icmp_type = 0; /* echo reply: not counted as unreachable */
  feed(&r, icmp);
  wd_packet_t frag = pkt(a, 0, b, 0, WD_PROTO_UDP, 0, NS);
  frag.fragment = true;
  frag.has_l4 = false;
  feed(&r, frag);
  wd_host_t *ha = host(&r, a), *hb = host(&r, b);
  assert_non_null(ha);
  assert_non_null(hb);
  char buf[WD_ADDR_STRLEN];
  assert_string_equal(wd_addr_str(&ha->addr, buf), a);
  /* a sent: SYN, ACK, UDP, fragment (UDP) */
  assert_int_equal(ha->out.pkts, 4);
  assert_int_equal(ha->out.bytes, 400);
  assert_int_equal(ha->out.tcp_syn, 1);
  assert_int_equal(ha->out.tcp_synack, 0);
  assert_int_equal(ha->out.udp_pkts, 2);
  assert_int_equal(ha->out.udp_bytes, 200);
  assert_int_equal(ha->out.frags, 1);
  /* a received: SYN-ACK, RST, 2 ICMP */
  assert_int_equal(ha->in.pkts, 4);
  assert_int_equal(ha->in.tcp_synack, 1);
  assert_int_equal(ha->in.tcp_rst, 1);
  assert_int_equal(ha->in.icmp_unreach, 1);
  assert_int_equal(ha->in.tcp_syn, 0);
  /* mirrored on b */
  assert_int_equal(hb->in.pkts, 4);
  assert_int_equal(hb->in.tcp_syn, 1);
  assert_int_equal(hb->out.tcp_synack, 1);
  assert_int_equal(hb->out.tcp_rst, 1);
  assert_int_equal(hb->out.icmp_unreach, 1);
  assert_int_equal(hb->in.frags, 1);
  /* the current second holds the same so far */
  assert_memory_equal(&ha->cur_in, &ha->in, sizeof ha->in);
  assert_memory_equal(&hb->cur_out, &hb->out, sizeof hb->out);
  /* flows: TCP, UDP, ICMP, port-less UDP (fragment); a started three */
  assert_int_equal(ha->flows_as_client, 3);
  assert_int_equal(ha->flows_as_server, 1);
  assert_int_equal(hb->flows_as_server, 3);
  assert_int_equal(hb->flows_as_client, 1);
  assert_int_equal(ha->handshakes_as_client, 1);
  assert_int_equal(hb->handshakes_as_server, 1);
  assert_int_equal(ha->handshakes_as_server, 0);
  assert_int_equal(ha->first_ns, NS);
  assert_int_equal(ha->last_ns, NS);
  /* ICMPv6 destination unreachable is type 1. */
  wd_packet_t i6 =
      pkt("2001:db8::1", 0, "2001:db8::2", 0, WD_PROTO_ICMPV6, 0, NS);
  i6.icmp_type = 1;
  feed(&r, i6);
  assert_int_equal(host(&r, "2001:db8::2")->in.icmp_unreach, 1);
  /* No flow: counters still, no flow counts. */
  wd_packet_t p = pkt("10.0.0.3", 1, "10.0.0.4", 2, WD_PROTO_UDP, 0, NS);
  wd_host_table_update(r.h, &p, NULL, WD_DIR_TO_SERVER, true, true);
  assert_int_equal(host(&r, "10.0.0.3")->out.pkts, 1);
  assert_int_equal(host(&r, "10.0.0.3")->flows_as_client, 0);
  assert_int_equal(host(&r, "10.0.0.4")->handshakes_as_server, 0);
  rig_free(&r);
}

/* A flow first seen by its SYN-ACK: the sender is the server. */
static void test_flow_roles_from_direction(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  const char *cl = "10.0.0.1", *sv = "10.0.0.2";
  feed(&r, pkt(sv, 443, cl, 5000, WD_PROTO_TCP, SYN | ACK, NS));
  feed(&r, pkt(cl, 5000, sv, 443, WD_PROTO_TCP, ACK, NS));
  assert_int_equal(host(&r, cl)->flows_as_client, 1);
  assert_int_equal(host(&r, sv)->flows_as_server, 1);
  assert_int_equal(host(&r, sv)->flows_as_client, 0);
  assert_int_equal(host(&r, sv)->handshakes_as_server, 1);
  assert_int_equal(host(&r, cl)->handshakes_as_client, 1);
  rig_free(&r);
}

typedef struct visited {
  wd_addr_t addr[64];
  uint64_t last_in[64];
  size_t n, stop_after;
} visited;

static bool visit(void *user, wd_host_t *h) {
  visited *v = user;
  if (v->n < 64) {
    v->addr[v->n] = h->addr;
    v->last_in[v->n] = h->last_in.pkts;
  }
  v->n++;
  return v->n < v->stop_after;
}

static bool visited_has(const visited *v, const char *a) {
  wd_addr_t x;
  assert_int_equal(wd_addr_parse(a, &x), WD_OK);
  for (size_t i = 0; i < v->n && i < 64; i++)
    if (wd_addr_eq(&v->addr[i], &x))
      return true;
  return false;
}

static void test_second_rollover_and_peaks(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  const char *a = "10.0.0.1", *b = "10.0.0.2", *c = "10.0.0.3", *d = "10.0.0.4";
  /* second 10: a -> b, 3 packets */
  for (int i = 0; i < 3; i++)
    feed(&r, pkt(a, 1, b, 2, WD_PROTO_UDP, 0, 10 * NS + (uint64_t)i));
  wd_host_table_tick(r.h, 11 * NS);
  wd_host_t *hb = host(&r, b);
  assert_int_equal(hb->last_in.pkts, 3);
  assert_int_equal(hb->last_in.bytes, 300);
  assert_int_equal(hb->cur_in.pkts, 0);
  assert_int_equal(hb->in.pkts, 3);
  assert_int_equal(hb->peak_pps_in, 3);
  assert_int_equal(hb->peak_bps_in, 2400);
  assert_int_equal(host(&r, a)->last_out.pkts, 3);
  assert_int_equal(host(&r, a)->peak_pps_in, 0);
  visited v = {.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 2);
  assert_true(visited_has(&v, a) && visited_has(&v, b));
  /* Most recent first: b was touched after a by the last packet. */
  wd_addr_t xb;
  wd_addr_parse(b, &xb);
  assert_true(wd_addr_eq(&v.addr[0], &xb));

  /* second 11: only c -> d. a and b were idle: their last_* is zeroed and
   * they are not visited; peaks stay. */
  feed(&r, pkt(c, 1, d, 2, WD_PROTO_UDP, 0, 11 * NS));
  /* Until the tick, the closed second is still second 10. */
  v = (visited){.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 2);
  assert_true(visited_has(&v, b));
  wd_host_table_tick(r.h, 12 * NS);
  assert_int_equal(hb->last_in.pkts, 0);
  assert_int_equal(hb->last_in.bytes, 0);
  assert_int_equal(host(&r, a)->last_out.pkts, 0);
  assert_int_equal(hb->peak_pps_in, 3);
  v = (visited){.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 2);
  assert_true(visited_has(&v, c) && visited_has(&v, d));
  assert_false(visited_has(&v, b));

  /* second 12: b gets 5 (new peak), second 13: 2 (peak stays 5). */
  for (int i = 0; i < 5; i++)
    feed(&r, pkt(c, 1, b, 2, WD_PROTO_UDP, 0, 12 * NS));
  wd_host_table_tick(r.h, 13 * NS);
  assert_int_equal(hb->peak_pps_in, 5);
  assert_int_equal(hb->peak_bps_in, 4000);
  for (int i = 0; i < 2; i++)
    feed(&r, pkt(c, 1, b, 2, WD_PROTO_UDP, 0, 13 * NS));
  wd_host_table_tick(r.h, 14 * NS);
  assert_int_equal(hb->last_in.pkts, 2);
  assert_int_equal(hb->peak_pps_in, 5);
  /* d was active in second 11 only: its last is zero since. */
  assert_int_equal(host(&r, d)->last_in.pkts, 0);
  assert_int_equal(host(&r, d)->in.pkts, 1);
  /* Host active in two seconds running stays right. */
  for (int i = 0; i < 4; i++)
    feed(&r, pkt(c, 1, b, 2, WD_PROTO_UDP, 0, 14 * NS));
  wd_host_table_tick(r.h, 15 * NS);
  assert_int_equal(hb->last_in.pkts, 4);
  /* A tick with nothing in the second: nobody active. */
  wd_host_table_tick(r.h, 16 * NS);
  assert_int_equal(hb->last_in.pkts, 0);
  v = (visited){.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 0);
  assert_int_equal(hb->in.pkts, 3 + 5 + 2 + 4);
  rig_free(&r);
}

static void test_foreach_stops(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  char a[32];
  for (int i = 1; i <= 10; i++) {
    snprintf(a, sizeof a, "10.0.1.%d", i);
    feed(&r, pkt(a, 1, "10.0.0.1", 2, WD_PROTO_UDP, 0, NS));
  }
  wd_host_table_tick(r.h, 2 * NS);
  visited v = {.stop_after = 3};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 3);
  v = (visited){.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 11);
  /* The destination was touched last by every packet: first. */
  assert_true(visited_has(&v, "10.0.0.1"));
  wd_addr_t x;
  wd_addr_parse("10.0.0.1", &x);
  assert_true(wd_addr_eq(&v.addr[0], &x));
  assert_int_equal(v.last_in[0], 10);
  rig_free(&r);
}

static void test_idle_timeout(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 10);
  feed(&r, pkt("10.0.0.1", 1, "10.0.0.2", 2, WD_PROTO_UDP, 0, 1 * NS));
  feed(&r, pkt("10.0.0.3", 1, "10.0.0.2", 2, WD_PROTO_UDP, 0, 5 * NS));
  wd_host_table_tick(r.h, 6 * NS);
  wd_host_table_tick(r.h, 11 * NS); /* idle exactly 10 s: stays */
  assert_non_null(host(&r, "10.0.0.1"));
  wd_host_table_tick(r.h, 12 * NS);
  assert_null(host(&r, "10.0.0.1"));
  assert_non_null(host(&r, "10.0.0.2"));
  assert_non_null(host(&r, "10.0.0.3"));
  wd_host_table_tick(r.h, 16 * NS);
  assert_null(host(&r, "10.0.0.2"));
  assert_null(host(&r, "10.0.0.3"));
  wd_table_stats_t st;
  wd_memcap_t mc;
  wd_host_table_stats(r.h, &st, &mc);
  assert_int_equal(st.expired, 3);
  assert_int_equal(st.entries, 0);
  /* A host idle-expired while on the last-second list is unlinked. */
  feed(&r, pkt("10.0.0.5", 1, "10.0.0.6", 2, WD_PROTO_UDP, 0, 20 * NS));
  wd_host_table_tick(r.h, 40 * NS); /* closes second 20, then expires */
  visited v = {.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 0);
  rig_free(&r);
}

/* 300000 random sources against a 1000-host table: entries and memuse stay
 * capped, recycling is counted, and the second lists stay consistent with
 * the table (every visited host is findable, no host twice). */
static void test_cap_under_flood(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  wd_packet_t p = pkt("10.0.0.1", 1, "192.0.2.1", 80, WD_PROTO_TCP, SYN, NS);
  uint64_t x = 88172645463325252ULL;
  for (uint32_t i = 0; i < 300000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(p.src.b + 12, &x, 4);
    p.ts_ns = NS + (uint64_t)i * 10000; /* 100 kpps: 3 s */
    if (p.ts_ns / NS != (p.ts_ns - 10000) / NS)
      wd_host_table_tick(r.h, p.ts_ns / NS * NS);
    int dir;
    wd_flow_t *f = wd_flow_table_update(r.f, &p, &dir);
    wd_host_table_update(r.h, &p, f, dir,
                         f && (f->pkt_events & WD_FLOW_EV_CREATED), false);
  }
  wd_table_stats_t st;
  wd_memcap_t mc;
  wd_host_table_stats(r.h, &st, &mc);
  assert_int_equal(st.entries, 1000);
  assert_true(st.max <= 1000);
  assert_true(mc.used <= mc.cap);
  assert_true(st.evicted >= 290000);
  assert_true(st.cap_hits >= st.evicted);
  /* The victim is the most recently touched: it survived. */
  wd_host_t *v = host(&r, "192.0.2.1");
  assert_non_null(v);
  assert_int_equal(v->in.pkts, 300000);
  assert_int_equal(v->in.tcp_syn, 300000);
  assert_true(v->flows_as_server > 290000);
  wd_host_table_tick(r.h, 5 * NS);
  static visited vis;
  vis = (visited){.stop_after = 100000};
  wd_host_table_foreach_active(r.h, visit, &vis);
  assert_true(vis.n <= 1000);
  assert_true(vis.n > 0);
  for (size_t i = 0; i < vis.n && i < 64; i++) {
    assert_non_null(wd_host_table_find(r.h, &vis.addr[i]));
    for (size_t j = 0; j < i; j++)
      assert_false(wd_addr_eq(&vis.addr[i], &vis.addr[j]));
  }
  assert_int_equal(v->peak_pps_in, 100000);
  rig_free(&r);

  /* The memcap binds before host.max: entries stop at what it holds. */
  rig s = rig_new(1000000, 1 << 20, 300);
  for (uint32_t i = 0; i < 50000; i++) {
    memcpy(p.src.b + 12, &i, 4);
    wd_host_table_update(s.h, &p, NULL, WD_DIR_TO_SERVER, false, false);
  }
  wd_host_table_stats(s.h, &st, &mc);
  assert_true(mc.used <= mc.cap);
  assert_int_equal(mc.cap, 1 << 20);
  assert_true(st.max < 1000000);
  assert_true(wd_host_table_entry_size() > sizeof(wd_host_t));
  assert_true(st.max * wd_host_table_entry_size() <= 1 << 20);
  assert_true(st.max * wd_host_table_entry_size() > (1 << 20) * 9 / 10);
  assert_int_equal(st.entries, st.max);
  assert_true(st.evicted > 0);
  rig_free(&s);
}

/* Same address as source and destination: one entry, both directions. */
static void test_land_packet(void **state) {
  (void)state;
  rig r = rig_new(1000, 4 << 20, 300);
  feed(&r, pkt("10.0.0.1", 80, "10.0.0.1", 80, WD_PROTO_TCP, SYN, NS));
  wd_host_t *h = host(&r, "10.0.0.1");
  assert_int_equal(h->in.tcp_syn, 1);
  assert_int_equal(h->out.tcp_syn, 1);
  wd_host_table_tick(r.h, 2 * NS);
  visited v = {.stop_after = 64};
  wd_host_table_foreach_active(r.h, visit, &v);
  assert_int_equal(v.n, 1);
  rig_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_invalid),
      cmocka_unit_test(test_counters),
      cmocka_unit_test(test_flow_roles_from_direction),
      cmocka_unit_test(test_second_rollover_and_peaks),
      cmocka_unit_test(test_foreach_stops),
      cmocka_unit_test(test_idle_timeout),
      cmocka_unit_test(test_cap_under_flood),
      cmocka_unit_test(test_land_packet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
