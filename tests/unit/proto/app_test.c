/* app_test.c -- tests of src/proto/app.c: SMB ports only, reassembly of
 * messages split over segments and delivered out of order, direction and
 * flow passed through, state released at flow end, memcap exhaustion,
 * stale flow slots. Packets are built as wd_packet_t values directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/app.h"
#include "proto/smb_build.h"

typedef struct seen {
  unsigned n;
  uint16_t cmd[16];
  int dir[16];
  uint64_t flow[16];
  uint32_t anomalies[16];
} seen;

static void on_smb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                   int dir) {
  seen *s = user;
  if (s->n < 16) {
    s->cmd[s->n] = m->command;
    s->dir[s->n] = dir;
    s->flow[s->n] = f->id;
    s->anomalies[s->n] = m->anomalies;
    s->n++;
  }
}

static wd_config_t cfg;

static void make_cfg(uint64_t memcap) {
  memset(&cfg, 0, sizeof cfg);
  cfg.stream.memcap = memcap;
  cfg.stream.flow_buffer = 65536;
  cfg.stream.window = 131072;
}

static void flow_init(wd_flow_t *f, uint64_t id, uint16_t sport) {
  memset(f, 0, sizeof *f);
  f->id = id;
  f->cport = 40000;
  f->sport = sport;
  f->proto = 6;
}

static void pkt(wd_app_t *a, wd_flow_t *f, int dir, uint32_t seq, uint8_t flags,
                const uint8_t *data, uint32_t len, seen *s) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ts_ns = 1;
  p.ip_version = 4;
  p.l4_proto = WD_PROTO_TCP;
  p.has_l4 = true;
  p.tcp_seq = seq;
  p.tcp_flags = flags;
  p.payload = data;
  p.payload_len = len;
  wd_app_cb_t cb = {.smb = on_smb, .user = s};
  wd_app_packet(a, &p, f, dir, &cb);
}

static void test_segments_and_reorder(void **st) {
  (void)st;
  make_cfg(4u << 20);
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f;
  flow_init(&f, 5, 445);
  seen s = {0};
  uint8_t b[SMB_BUILD_MAX * 2];
  sb_hdr h = {.cmd = 0x72, .mid = 1};
  size_t n1 = sb_smb1(b, &h, NULL, 0, (const uint8_t *)"\2NT LM 0.12", 12, 0);
  h.cmd = 0x33;
  size_t n2 = sb_trans_sec(b + n1, &h, 0, 3000, 0, 0, 3000, 0);
  h.cmd = 0x2b;
  uint8_t w[2] = {1, 0};
  size_t n3 = sb_smb1(b + n1 + n2, &h, w, 1, NULL, 0, 0);
  size_t n = n1 + n2 + n3;
  pkt(a, &f, WD_DIR_TO_SERVER, 99, WD_TCP_SYN, NULL, 0, &s);
  assert_int_not_equal(f.app, 0);
  /* three segments, the last two swapped */
  size_t c1 = 30, c2 = 1500;
  pkt(a, &f, 0, 100, WD_TCP_ACK, b, (uint32_t)c1, &s);
  pkt(a, &f, 0, 100 + (uint32_t)(c1 + c2), WD_TCP_ACK, b + c1 + c2,
      (uint32_t)(n - c1 - c2), &s);
  assert_int_equal(s.n, 0);
  pkt(a, &f, 0, 100 + (uint32_t)c1, WD_TCP_ACK, b + c1, (uint32_t)c2, &s);
  assert_int_equal(s.n, 3);
  assert_int_equal(s.cmd[0], 0x72);
  assert_int_equal(s.cmd[1], 0x33);
  assert_int_equal(s.cmd[2], 0x2b);
  assert_int_equal(s.flow[2], 5);
  assert_int_equal(s.dir[0], WD_DIR_TO_SERVER);
  /* the response direction, picked up mid-stream (no SYN-ACK seen) */
  h.cmd = 0x72;
  sb_hdr r = h;
  r.resp = true;
  uint8_t rb[SMB_BUILD_MAX];
  size_t rn = sb_smb1(rb, &r, NULL, 0, NULL, 0, 0);
  pkt(a, &f, WD_DIR_TO_CLIENT, 7000, WD_TCP_ACK, rb, (uint32_t)rn, &s);
  assert_int_equal(s.n, 4);
  assert_int_equal(s.dir[3], WD_DIR_TO_CLIENT);
  wd_app_stats_t as;
  wd_app_stats(a, &as);
  assert_int_equal(as.flows, 1);
  assert_int_equal(as.flows_active, 1);
  assert_int_equal(as.smb.smb1, 4);
  assert_int_equal(as.stream.ooo_queued, 1);
  wd_app_flow_end(a, &f);
  assert_int_equal(f.app, 0);
  wd_app_stats(a, &as);
  assert_int_equal(as.flows_active, 0);
  assert_int_equal(as.stream.chunks_used, 0);
  wd_app_free(a);
}

static void test_other_ports_ignored(void **st) {
  (void)st;
  make_cfg(4u << 20);
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f;
  flow_init(&f, 9, 80);
  seen s = {0};
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x72};
  size_t n = sb_smb1(b, &h, NULL, 0, NULL, 0, 0);
  pkt(a, &f, 0, 1, WD_TCP_ACK, b, (uint32_t)n, &s);
  assert_int_equal(s.n, 0);
  assert_int_equal(f.app, 0);
  /* port 139 on the client side (flow seen from the server first) */
  flow_init(&f, 10, 40000);
  f.cport = 139;
  pkt(a, &f, 0, 1, WD_TCP_ACK, b, (uint32_t)n, &s);
  assert_int_equal(s.n, 1);
  wd_app_flow_end(a, &f);
  wd_app_free(a);
}

static void test_memcap_and_stale_slot(void **st) {
  (void)st;
  make_cfg(1); /* room for no per-flow state at all */
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f;
  flow_init(&f, 3, 445);
  seen s = {0};
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x72};
  size_t n = sb_smb1(b, &h, NULL, 0, NULL, 0, 0);
  pkt(a, &f, 0, 1, WD_TCP_ACK, b, (uint32_t)n, &s);
  assert_int_equal(s.n, 0);
  wd_app_stats_t as;
  wd_app_stats(a, &as);
  assert_int_equal(as.no_state, 1);
  assert_true(as.stream.memuse <= as.stream.memcap);
  wd_app_free(a);

  /* a flow whose slot belongs to another flow gets fresh state */
  make_cfg(4u << 20);
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f1, f2;
  flow_init(&f1, 1, 445);
  flow_init(&f2, 2, 445);
  pkt(a, &f1, 0, 1, WD_TCP_ACK, b, 10, &s); /* f1 mid-message */
  f2.app = f1.app;                          /* stale copy */
  pkt(a, &f2, 0, 1, WD_TCP_ACK, b, (uint32_t)n, &s);
  assert_int_equal(s.n, 1);
  assert_int_not_equal(f2.app, f1.app);
  wd_app_flow_end(a, &f1);
  wd_app_flow_end(a, &f2);
  wd_app_free(a);
}

/* A capture with a short snap length: payloads cut, framing kept. */
static void test_snaplen_cut(void **st) {
  (void)st;
  make_cfg(4u << 20);
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f;
  flow_init(&f, 5, 445);
  seen s = {0};
  uint8_t frame[40 + SMB_BUILD_MAX]; /* IPv4 + TCP headers, then SMB */
  memset(frame, 0, 40);
  sb_hdr h = {.cmd = 0x33, .mid = 65};
  size_t n = sb_trans_sec(frame + 40, &h, 0, 4096, 0, 0, 4096, 0);
  wd_app_cb_t cb = {.smb = on_smb, .user = &s};
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ip_version = 4;
  p.l4_proto = WD_PROTO_TCP;
  p.has_l4 = true;
  p.tcp_flags = WD_TCP_SYN;
  p.tcp_seq = 99;
  p.l3 = frame;
  wd_app_packet(a, &p, &f, 0, &cb);
  p.tcp_flags = WD_TCP_ACK;
  p.tcp_seq = 100;
  p.payload = frame + 40;
  p.payload_len = 96;            /* captured */
  p.ip_len = (uint32_t)(40 + n); /* on the wire */
  wd_app_packet(a, &p, &f, 0, &cb);
  assert_int_equal(s.n, 1);
  /* the next message, in the next packet, is found without searching */
  h.cmd = 0x2b;
  uint8_t w[2] = {1, 0};
  size_t n2 = sb_smb1(frame + 40, &h, w, 1, NULL, 0, 0);
  p.tcp_seq = 100 + (uint32_t)n;
  p.payload_len = (uint32_t)n2;
  p.ip_len = (uint32_t)(40 + n2);
  wd_app_packet(a, &p, &f, 0, &cb);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.cmd[1], 0x2b);
  assert_true(s.anomalies[1] == 0 || s.anomalies[1] == WD_SMB_ANOM_MID_IN_USE);
  wd_app_stats_t as;
  wd_app_stats(a, &as);
  assert_int_equal(as.smb.resyncs, 0);
  assert_int_equal(as.stream.gap_bytes, n - 96);
  wd_app_flow_end(a, &f);
  wd_app_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_segments_and_reorder),
      cmocka_unit_test(test_other_ports_ignored),
      cmocka_unit_test(test_memcap_and_stale_slot),
      cmocka_unit_test(test_snaplen_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
