/* app_test.c -- tests of src/proto/app.c: SMB ports only, reassembly of
 * messages split over segments and delivered out of order, direction and
 * flow passed through, state released at flow end, memcap exhaustion,
 * stale flow slots; TLS hellos on 443 parsed only when asked for, the
 * flow's state given back once both hellos are read (later packets cost
 * nothing); DNS over UDP parsed without state, answers only when asked
 * for. Packets are built as wd_packet_t values directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

typedef struct app_seen {
  unsigned n;
  uint8_t kind[8];
  int dir[8];
  char name[8][64];
} app_seen;

static void on_app(void *user, const wd_app_event_t *ev, const wd_flow_t *f,
                   int dir) {
  (void)f;
  app_seen *s = user;
  if (s->n >= 8)
    return;
  s->kind[s->n] = ev->kind;
  s->dir[s->n] = dir;
  const char *nm = ev->kind == WD_APP_TLS   ? ev->u.tls->sni
                   : ev->kind == WD_APP_DNS ? ev->u.dns->q[0].name
                                            : "";
  size_t l = strnlen(nm, sizeof s->name[0] - 1);
  memcpy(s->name[s->n], nm, l);
  s->name[s->n][l] = 0;
  s->n++;
}

/* A TLS hello record: type 1 (client, with server_name) or 2 (server). */
static size_t tls_hello(uint8_t *b, int type, const char *sni) {
  size_t n = 0, nl = sni ? strlen(sni) : 0;
  uint8_t body[256];
  body[n++] = 3, body[n++] = 3; /* legacy_version */
  memset(body + n, 0x11, 32);   /* random */
  n += 32;
  body[n++] = 0; /* session id */
  if (type == 1)
    body[n++] = 0, body[n++] = 2; /* one suite */
  body[n++] = 0x13, body[n++] = 0x01;
  if (type == 1)
    body[n++] = 1; /* one compression method */
  body[n++] = 0;
  size_t ext = type == 1 ? 9 + nl : 0;
  body[n++] = (uint8_t)(ext >> 8), body[n++] = (uint8_t)ext;
  if (type == 1) {
    body[n++] = 0, body[n++] = 0; /* server_name */
    body[n++] = 0, body[n++] = (uint8_t)(5 + nl);
    body[n++] = 0, body[n++] = (uint8_t)(3 + nl);
    body[n++] = 0, body[n++] = 0, body[n++] = (uint8_t)nl;
    memcpy(body + n, sni, nl);
    n += nl;
  }
  b[0] = 0x16, b[1] = 3, b[2] = 1;
  b[3] = (uint8_t)((n + 4) >> 8), b[4] = (uint8_t)(n + 4);
  b[5] = (uint8_t)type, b[6] = 0, b[7] = (uint8_t)(n >> 8), b[8] = (uint8_t)n;
  memcpy(b + 9, body, n);
  return n + 9;
}

static void tcp_pkt(wd_app_t *a, wd_flow_t *f, int dir, uint32_t seq,
                    uint8_t flags, const uint8_t *data, uint32_t len,
                    app_seen *s) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ip_version = 4;
  p.l4_proto = WD_PROTO_TCP;
  p.has_l4 = true;
  p.tcp_seq = seq;
  p.tcp_flags = flags;
  p.payload = data;
  p.payload_len = len;
  wd_app_cb_t cb = {.app = on_app, .user = s};
  wd_app_packet(a, &p, f, dir, &cb);
}

static void test_tls_first_bytes_only(void **st) {
  (void)st;
  make_cfg(4u << 20);
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_flow_t f;
  flow_init(&f, 9, 443);
  app_seen s = {0};
  uint8_t ch[300], sh[300];
  size_t cn = tls_hello(ch, 1, "Listed.Example"), sn = tls_hello(sh, 2, NULL);
  /* nobody asked for TLS: no state, no event */
  tcp_pkt(a, &f, 0, 99, WD_TCP_SYN, NULL, 0, &s);
  tcp_pkt(a, &f, 0, 100, WD_TCP_ACK, ch, (uint32_t)cn, &s);
  assert_int_equal(f.app, 0);
  assert_int_equal(s.n, 0);
  wd_app_set_protocols(a, WD_APP_PROTO_BIT(WD_APP_TLS));
  flow_init(&f, 10, 443);
  tcp_pkt(a, &f, 0, 99, WD_TCP_SYN, NULL, 0, &s);
  tcp_pkt(a, &f, 1, 499, WD_TCP_SYN | WD_TCP_ACK, NULL, 0, &s);
  /* the ClientHello in two segments */
  tcp_pkt(a, &f, 0, 100, WD_TCP_ACK, ch, 20, &s);
  assert_int_equal(s.n, 0);
  tcp_pkt(a, &f, 0, 120, WD_TCP_ACK, ch + 20, (uint32_t)(cn - 20), &s);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.kind[0], WD_APP_TLS);
  assert_int_equal(s.dir[0], WD_DIR_TO_SERVER);
  assert_string_equal(s.name[0], "listed.example");
  assert_int_not_equal(f.app, 0);
  tcp_pkt(a, &f, 1, 500, WD_TCP_ACK, sh, (uint32_t)sn, &s);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.dir[1], WD_DIR_TO_CLIENT);
  wd_app_stats_t as;
  wd_app_stats(a, &as);
  assert_int_equal(as.flows_done, 1);
  assert_int_equal(as.flows_active, 0);
  assert_int_equal(as.tls.client_hellos, 1);
  /* later bytes of the flow are not looked at, no state is taken again */
  tcp_pkt(a, &f, 0, 120 + (uint32_t)(cn - 20), WD_TCP_ACK, ch, (uint32_t)cn,
          &s);
  wd_app_stats(a, &as);
  assert_int_equal(s.n, 2);
  assert_int_equal(as.flows, 1);
  assert_int_equal(as.stream.segments, 3);
  wd_app_flow_end(a, &f);
  assert_int_equal(f.app, 0);
  wd_app_free(a);
}

/* A DNS message over UDP: a query for name, or its answer (QR set). */
static void dns_pkt(wd_app_t *a, wd_flow_t *f, bool answer, app_seen *s) {
  uint8_t m[64] = {0x12, 0x34, answer ? 0x81 : 0x01, answer ? 0x80 : 0, 0, 1};
  size_t n = 12;
  static const uint8_t q[] = {4,   'e', 'v', 'i', 'l', 7, 'e', 'x', 'a',
                              'm', 'p', 'l', 'e', 0,   0, 1,   0,   1};
  memcpy(m + n, q, sizeof q);
  n += 18;
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ip_version = 4;
  p.l4_proto = WD_PROTO_UDP;
  p.has_l4 = true;
  p.sport = answer ? 53 : 40000;
  p.dport = answer ? 40000 : 53;
  p.payload = m;
  p.payload_len = (uint32_t)n;
  wd_app_cb_t cb = {.app = on_app, .user = s};
  wd_app_packet(a, &p, f, answer ? 1 : 0, &cb);
}

static void test_dns_udp(void **st) {
  (void)st;
  make_cfg(4u << 20);
  wd_app_t *a;
  assert_int_equal(wd_app_new(&cfg, &a), WD_OK);
  wd_app_set_protocols(a, WD_APP_PROTO_BIT(WD_APP_DNS));
  wd_flow_t f;
  flow_init(&f, 11, 53);
  f.proto = 17;
  app_seen s = {0};
  dns_pkt(a, &f, false, &s);
  dns_pkt(a, &f, true, &s); /* answers were not asked for */
  assert_int_equal(s.n, 1);
  assert_int_equal(s.kind[0], WD_APP_DNS);
  assert_string_equal(s.name[0], "evil.example");
  assert_int_equal(f.app, 0); /* no per-flow state */
  wd_app_set_protocols(a, WD_APP_PROTO_BIT(WD_APP_DNS) |
                              WD_APP_PROTO_BIT(WD_APP_DNS_ANSWER));
  dns_pkt(a, &f, true, &s);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.kind[1], WD_APP_DNS_ANSWER);
  wd_app_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_segments_and_reorder),
      cmocka_unit_test(test_other_ports_ignored),
      cmocka_unit_test(test_memcap_and_stale_slot),
      cmocka_unit_test(test_snaplen_cut),
      cmocka_unit_test(test_tls_first_bytes_only),
      cmocka_unit_test(test_dns_udp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
