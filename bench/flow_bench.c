/* flow_bench.c -- micro-benchmark of the flow table.
 * In: nothing (packets are synthesised in memory before timing). Out: one
 * line per case on standard output: packets, seconds, ns per packet and
 * millions of packets per second. Cases: updates of existing flows (random
 * packet order over N flows, both directions), a spoofed SYN flood (every
 * packet a new flow, table full, so each one evicts), and
 * wd_flow_table_expire on a full table with nothing due.
 * Build (not part of the default build):
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -Isrc bench/flow_bench.c \
 *      build/libwd_flow.a build/libwd_decode.a build/libwd_capture.a \
 *      build/libwd_core.a -lyaml -lpcap -lm -o flow_bench
 * Run: ./flow_bench [FLOWS [PACKETS]]   (default 100000 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void report(const char *what, size_t n, double s) {
  printf("%-34s %9zu pkts %7.3f s %7.1f ns/pkt %6.2f Mpps\n", what, n, s,
         s * 1e9 / (double)n, (double)n / s / 1e6);
}

/* A packet between client i and server i % 64, one way or the other. */
static void make(wd_packet_t *p, uint32_t i, bool back, bool udp) {
  memset(p, 0, sizeof *p);
  uint8_t c[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
  uint8_t s[4] = {192, 0, 2, (uint8_t)(i % 64)};
  wd_addr_from_v4(back ? &p->dst : &p->src, c);
  wd_addr_from_v4(back ? &p->src : &p->dst, s);
  uint16_t cp = (uint16_t)(1024 + (i * 7919u) % 60000), sp = udp ? 53 : 443;
  p->sport = back ? sp : cp;
  p->dport = back ? cp : sp;
  p->ip_version = 4;
  p->l4_proto = udp ? WD_PROTO_UDP : WD_PROTO_TCP;
  p->has_l4 = true;
  p->tcp_flags = udp ? 0 : WD_TCP_ACK;
  p->ip_len = 100;
}

int main(int argc, char **argv) {
  uint32_t nflows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
  size_t npkts = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
  if (nflows == 0 || npkts == 0)
    return 2;
  wd_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.flow.max = 1000000;
  cfg.flow.tcp_syn_s = 30;
  cfg.flow.tcp_est_s = 300;
  cfg.flow.tcp_close_s = 10;
  cfg.flow.udp_s = cfg.flow.icmp_s = cfg.flow.other_s = 60;
  /* The default flow.memcap (80 MiB) unless FLOW_BENCH_BIG is set
   * (256 MiB, so that flow.max binds). */
  bool big = getenv("FLOW_BENCH_BIG") != NULL;
  cfg.flow.memcap = (big ? 256ull : 80ull) << 20;
  printf("flow entry: %zu bytes (wd_flow_t %zu)\n", wd_flow_table_entry_size(),
         sizeof(wd_flow_t));

  wd_packet_t *pk = malloc(npkts * sizeof *pk);
  if (!pk)
    return 1;
  for (size_t i = 0; i < npkts; i++) {
    uint64_t r = rnd();
    uint32_t f = (uint32_t)(r % nflows);
    make(&pk[i], f, (r >> 40) & 1, f % 4 == 0); /* a quarter UDP */
    pk[i].ts_ns = 1000000000ull + i * 1000;
  }

  wd_flow_table_t *t;
  if (wd_flow_table_new(&cfg, NULL, NULL, &t) != WD_OK)
    return 1;
  int dir;
  /* Warm-up: create every flow once. */
  for (size_t i = 0; i < npkts; i++)
    wd_flow_table_update(t, &pk[i], &dir);
  double t0 = now_s();
  uint64_t sink = 0;
  for (size_t i = 0; i < npkts; i++)
    sink += wd_flow_table_update(t, &pk[i], &dir)->pkts[0];
  char what[64];
  snprintf(what, sizeof what, "flow update, %u flows", nflows);
  report(what, npkts, now_s() - t0);
  wd_flow_stats_t st;
  wd_flow_table_stats(t, &st);
  printf("  flows %llu, memuse %llu bytes (%.1f per flow)\n",
         (unsigned long long)st.active, (unsigned long long)st.memuse,
         (double)st.memuse / (double)st.active);

  /* Expire with nothing due, on this table. */
  t0 = now_s();
  for (int i = 0; i < 100000; i++)
    wd_flow_table_expire(t, 2000000000ull + (uint64_t)i);
  report("expire, nothing due (calls)", 100000, now_s() - t0);
  wd_flow_table_free(t);

  /* Spoofed SYN flood into a full table: every packet evicts. */
  cfg.flow.max = nflows;
  if (wd_flow_table_new(&cfg, NULL, NULL, &t) != WD_OK)
    return 1;
  for (size_t i = 0; i < npkts; i++) {
    uint64_t r = rnd();
    memcpy(pk[i].src.b + 12, &r, 4);
    pk[i].sport = (uint16_t)(r >> 32);
    pk[i].tcp_flags = WD_TCP_SYN;
    pk[i].l4_proto = WD_PROTO_TCP;
  }
  for (uint32_t i = 0; i < nflows; i++) /* fill */
    wd_flow_table_update(t, &pk[i % npkts], &dir);
  t0 = now_s();
  for (size_t i = 0; i < npkts; i++)
    sink += wd_flow_table_update(t, &pk[i], &dir)->id;
  snprintf(what, sizeof what, "SYN flood, full table of %u", nflows);
  report(what, npkts, now_s() - t0);
  wd_flow_table_stats(t, &st);
  printf("  evicted %llu, memuse %llu <= memcap %llu\n",
         (unsigned long long)st.evicted, (unsigned long long)st.memuse,
         (unsigned long long)st.memcap);
  wd_flow_table_free(t);
  free(pk);
  return sink == 42 ? 3 : 0;
}
