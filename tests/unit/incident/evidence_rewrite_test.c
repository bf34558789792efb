/* evidence_rewrite_test.c -- tests of src/incident/evidence_rewrite.c: a
 * capture with internal addresses everywhere they hide (IPv4 and IPv6
 * headers, the packet quoted by an ICMP error, payload text in ASCII and
 * UTF-16LE, reversed in-addr.arpa text, the address's raw bytes, the
 * facility's name, MAC addresses, an ARP frame) comes back with none of
 * them: each internal address has one placeholder everywhere, addresses
 * outside stay, the party's own network is kept on request, placeholders
 * never collide with addresses of the capture, every checksum verifies,
 * and a frame cut by the snap length gets the same checksum as the whole
 * frame. Frames are built by hand; the result is read back with libpcap
 * and wd_decode. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "decode/decode.h"
#include "incident/evidence.h"

#define FACILITY "St. Example University Hospital"

static wd_cidr_t nets[2];
static const char *const names[] = {FACILITY};

/* ---- building frames ---- */

typedef struct cap {
  uint8_t buf[1 << 16];
  size_t len;
} cap_t;

static void cap_init(cap_t *c) {
  uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
  memcpy(c->buf, h, 24);
  c->len = 24;
}

/* Appends a frame; caplen <= len cuts it like a snap length. */
static void cap_add(cap_t *c, const uint8_t *f, uint32_t len, uint32_t caplen) {
  uint32_t h[4] = {1770199200u + (uint32_t)c->len, 0, caplen, len};
  memcpy(c->buf + c->len, h, 16);
  memcpy(c->buf + c->len + 16, f, caplen);
  c->len += 16 + caplen;
}

static uint32_t sum(const uint8_t *b, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++)
    s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint32_t)s;
}

static uint16_t fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void ip4(const char *s, uint8_t out[4]) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(s, &a), WD_OK);
  memcpy(out, a.b + 12, 4);
}

static void ip6(const char *s, uint8_t out[16]) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(s, &a), WD_OK);
  memcpy(out, a.b, 16);
}

/* Ethernet header with MACs and an ethertype. */
static size_t eth(uint8_t *f, unsigned type) {
  static const uint8_t d[6] = {0x00, 0x1b, 0x21, 0x0a, 0x14, 0x28},
                       s[6] = {0x3c, 0xfd, 0xfe, 0x01, 0x02, 0x03};
  memcpy(f, d, 6);
  memcpy(f + 6, s, 6);
  put16(f + 12, type);
  return 14;
}

/* IPv4 header at p for a payload of plen bytes; returns 20. */
static size_t ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
                   size_t plen) {
  memset(p, 0, 20);
  p[0] = 0x45;
  put16(p + 2, (unsigned)(20 + plen));
  p[8] = 64;
  p[9] = proto;
  ip4(src, p + 12);
  ip4(dst, p + 16);
  put16(p + 10, fold(sum(p, 20)));
  return 20;
}

/* TCP/UDP checksum over the pseudo-header and the segment. */
static uint16_t l4sum4(const uint8_t *ip, const uint8_t *l4, size_t len) {
  uint8_t ph[12];
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = ip[9];
  put16(ph + 10, (unsigned)len);
  return fold(sum(ph, 12) + sum(l4, len));
}

static uint16_t l4sum6(const uint8_t *ip, uint8_t nh, const uint8_t *l4,
                       size_t len) {
  uint8_t ph[40] = {0};
  memcpy(ph, ip + 8, 32);
  ph[34] = (uint8_t)(len >> 8);
  ph[35] = (uint8_t)len;
  ph[39] = nh;
  return fold(sum(ph, 40) + sum(l4, len));
}

/* Frame 1: TCP 89.160.20.112:4444 -> 10.20.0.40:445 whose payload names
 * the target every way a payload can; plain: only once, at the start,
 * then filler. */
static size_t frame_tcp(uint8_t *f, bool plain) {
  uint8_t pay[400];
  size_t pl = 0;
  if (plain) {
    memcpy(pay, "\\\\10.20.0.40\\IPC$", 17);
    memset(pay + 17, 'A', 200);
    pl = 217;
    goto build;
  }
  const char *ascii = "\\\\10.20.0.40\\IPC$ st. example university hospital ";
  memcpy(pay, ascii, strlen(ascii));
  pl += strlen(ascii);
  const char *wide = "\\\\10.20.0.40\\IPC$ " FACILITY;
  for (const char *c = wide; *c; c++) {
    pay[pl++] = (uint8_t)*c;
    pay[pl++] = 0;
  }
  uint8_t raw[4];
  ip4("10.20.0.40", raw);
  memcpy(pay + pl, raw, 4);
  pl += 4;
  const char *rev = " 40.0.20.10.in-addr.arpa 2001:db8:20::5 1.2.3.4";
  memcpy(pay + pl, rev, strlen(rev));
  pl += strlen(rev);
build:;
  size_t o = eth(f, 0x0800);
  uint8_t *ip = f + o;
  o += ipv4(ip, "89.160.20.112", "10.20.0.40", 6, 20 + pl);
  uint8_t *tcp = f + o;
  memset(tcp, 0, 20);
  put16(tcp, 4444);
  put16(tcp + 2, 445);
  tcp[12] = 0x50;
  tcp[13] = 0x18;
  put16(tcp + 14, 8192);
  memcpy(tcp + 20, pay, pl);
  put16(tcp + 16, l4sum4(ip, tcp, 20 + pl));
  return o + 20 + pl;
}

/* Frame 2: ICMP port unreachable from 10.20.0.1 to 89.160.20.112,
 * quoting UDP 89.160.20.112 -> 10.20.0.40. */
static size_t frame_icmp(uint8_t *f) {
  size_t o = eth(f, 0x0800);
  uint8_t *ip = f + o;
  o += ipv4(ip, "10.20.0.1", "89.160.20.112", 1, 8 + 28);
  uint8_t *icmp = f + o;
  memset(icmp, 0, 8);
  icmp[0] = 3;
  icmp[1] = 3;
  ipv4(icmp + 8, "89.160.20.112", "10.20.0.40", 17, 8);
  uint8_t *udp = icmp + 28;
  put16(udp, 5353);
  put16(udp + 2, 53);
  put16(udp + 4, 8);
  put16(udp + 6, 0x1234);
  put16(icmp + 2, fold(sum(icmp, 36)));
  return o + 36;
}

/* Frame 3: IPv6 UDP from inside (2001:db8:20::5) to 2a02:1::1. */
static size_t frame_udp6(uint8_t *f) {
  size_t o = eth(f, 0x86dd);
  uint8_t *ip = f + o;
  const char *txt = "from 2001:db8:20::5 on 10.20.3.9";
  size_t pl = strlen(txt);
  memset(ip, 0, 40);
  ip[0] = 0x60;
  put16(ip + 4, (unsigned)(8 + pl));
  ip[6] = 17;
  ip[7] = 64;
  ip6("2001:db8:20::5", ip + 8);
  ip6("2a02:1::1", ip + 24);
  uint8_t *udp = ip + 40;
  put16(udp, 40000);
  put16(udp + 2, 53);
  put16(udp + 4, (unsigned)(8 + pl));
  put16(udp + 6, 0);
  memcpy(udp + 8, txt, pl);
  put16(udp + 6, l4sum6(ip, 17, udp, 8 + pl));
  return o + 40 + 8 + pl;
}

/* Frame 4: ARP who-has 10.20.0.40 (not IP: left out). */
static size_t frame_arp(uint8_t *f) {
  size_t o = eth(f, 0x0806);
  uint8_t a[28] = {0, 1, 8, 0, 6, 4, 0, 1};
  ip4("10.20.0.1", a + 14);
  ip4("10.20.0.40", a + 24);
  memcpy(f + o, a, 28);
  return o + 28;
}

/* Frame 5: UDP without checksum from a seen documentation address. */
static size_t frame_udp_nocsum(uint8_t *f) {
  size_t o = eth(f, 0x0800);
  uint8_t *ip = f + o;
  o += ipv4(ip, "192.0.2.1", "10.20.0.41", 17, 8 + 4);
  uint8_t *udp = f + o;
  put16(udp, 123);
  put16(udp + 2, 123);
  put16(udp + 4, 12);
  put16(udp + 6, 0);
  memcpy(udp + 8, "ntp!", 4);
  return o + 12;
}

/* ---- reading back ---- */

typedef struct out_frame {
  uint8_t f[2048];
  uint32_t caplen, len;
} out_frame_t;

static int read_back(const uint8_t *buf, size_t len, out_frame_t *fr, int max) {
  char eb[PCAP_ERRBUF_SIZE];
  FILE *fp = fmemopen((void *)buf, len, "rb");
  assert_non_null(fp);
  pcap_t *p = pcap_fopen_offline(fp, eb);
  assert_non_null(p);
  assert_int_equal(pcap_datalink(p), 1);
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1 && n < max) {
    assert_true(h->caplen <= sizeof fr[n].f);
    memcpy(fr[n].f, d, h->caplen);
    fr[n].caplen = h->caplen;
    fr[n].len = h->len;
    n++;
  }
  pcap_close(p);
  return n;
}

static bool internal(const wd_addr_t *a) {
  return wd_cidr_contains(&nets[0], a) || wd_cidr_contains(&nets[1], a);
}

static bool has(const uint8_t *h, size_t hl, const void *n, size_t nl) {
  return nl <= hl && memmem(h, hl, n, nl) != NULL;
}

static bool has_text(const uint8_t *h, size_t hl, const char *s) {
  uint8_t wide[256];
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) {
    wide[2 * i] = (uint8_t)s[i];
    wide[2 * i + 1] = 0;
  }
  for (size_t i = 0; i + n <= hl; i++)
    if (!strncasecmp((const char *)h + i, s, n))
      return true;
  return has(h, hl, wide, 2 * n);
}

static void setup_nets(void) {
  assert_int_equal(wd_cidr_parse("10.20.0.0/16", &nets[0]), WD_OK);
  assert_int_equal(wd_cidr_parse("2001:db8:20::/48", &nets[1]), WD_OK);
}

static void test_every_place_rewritten(void **state) {
  (void)state;
  setup_nets();
  static cap_t c;
  uint8_t f[2048];
  cap_init(&c);
  size_t n = frame_tcp(f, false);
  assert_int_equal(l4sum4(f + 14, f + 34, n - 34), 0);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  n = frame_icmp(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  n = frame_udp6(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  n = frame_arp(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  n = frame_udp_nocsum(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  wd_evidence_redact_t r = {
      .withhold = nets, .n_withhold = 2, .names = names, .n_names = 1};
  uint8_t *out = NULL;
  size_t out_len = 0;
  wd_evidence_rewrite_stats_t st;
  char err[256];
  assert_int_equal(wd_evidence_rewrite_buffer(c.buf, c.len, &r, &out, &out_len,
                                              &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.packets, 5);
  assert_int_equal(st.written, 4);
  assert_int_equal(st.dropped, 1); /* the ARP frame */
  assert_true(st.payload >= 6);
  static out_frame_t fr[8];
  assert_int_equal(read_back(out, out_len, fr, 8), 4);
  if (getenv("DUMP")) {
    FILE *d = fopen("/tmp/in.pcap", "wb");
    fwrite(c.buf, 1, c.len, d);
    fclose(d);
    d = fopen("/tmp/out.pcap", "wb");
    fwrite(out, 1, out_len, d);
    fclose(d);
  }

  /* nothing internal anywhere: text, raw bytes, name, MACs */
  uint8_t raw[4], raw6[16];
  ip4("10.20.0.40", raw);
  ip6("2001:db8:20::5", raw6);
  static const uint8_t mac[6] = {0x00, 0x1b, 0x21, 0x0a, 0x14, 0x28};
  for (int i = 0; i < 4; i++) {
    const uint8_t *b = fr[i].f;
    size_t l = fr[i].caplen;
    assert_false(has_text(b, l, "10.20."));
    assert_false(has_text(b, l, "2001:db8:20:"));
    assert_false(has_text(b, l, "0.20.10.in-addr"));
    assert_false(has_text(b, l, FACILITY));
    assert_false(has(b, l, raw, 4));
    assert_false(has(b, l, raw6, 16));
    assert_false(has(b, l, mac, 6));
    assert_int_equal(fr[i].f[0] & 0x03, 0x02); /* locally administered */
    wd_packet_t p;
    memset(&p, 0, sizeof p);
    assert_int_equal(wd_decode(&p, 1, b, fr[i].caplen, fr[i].len), WD_OK);
    assert_false(internal(&p.src));
    assert_false(internal(&p.dst));
  }

  /* frame 1: the target's placeholder, the attacker kept, checksums */
  wd_packet_t p1;
  memset(&p1, 0, sizeof p1);
  wd_decode(&p1, 1, fr[0].f, fr[0].caplen, fr[0].len);
  char a[WD_ADDR_STRLEN], b[WD_ADDR_STRLEN];
  assert_string_equal(wd_addr_str(&p1.src, a), "89.160.20.112");
  wd_addr_str(&p1.dst, b);
  /* 192.0.2.1 is in the capture (frame 5): never a placeholder */
  assert_string_equal(b, "192.0.2.2");
  const uint8_t *ip = p1.l3, *tcp = ip + 20;
  assert_int_equal(fold(sum(ip, 20)), 0);
  assert_int_equal(l4sum4(ip, tcp, fr[0].caplen - 34), 0);
  /* the text got the same placeholder, at the same length */
  assert_true(has(fr[0].f, fr[0].caplen, "\\\\192.0.2.02\\IPC$", 17));
  assert_true(has(fr[0].f, fr[0].caplen, "2.2.00.192.in-addr.arpa", 23));
  assert_true(has(fr[0].f, fr[0].caplen, "1.2.3.4", 7)); /* not internal */
  uint8_t ph[4];
  ip4("192.0.2.2", ph);
  assert_true(has(fr[0].f, fr[0].caplen, ph, 4)); /* the raw bytes */

  /* frame 2: the quoted packet too, with the same placeholder */
  const uint8_t *ip2 = fr[1].f + 14, *icmp = ip2 + 20, *inner = icmp + 8;
  assert_int_equal(fold(sum(ip2, 20)), 0);
  assert_int_equal(fold(sum(icmp, 36)), 0);
  assert_int_equal(fold(sum(inner, 20)), 0);
  assert_memory_equal(inner + 16, ph, 4);
  assert_memory_not_equal(ip2 + 12, ph, 4); /* 10.20.0.1: its own */

  /* frame 3: IPv6 placeholder in 3fff::/20, text of the same length */
  wd_packet_t p3;
  memset(&p3, 0, sizeof p3);
  wd_decode(&p3, 1, fr[2].f, fr[2].caplen, fr[2].len);
  assert_int_equal(p3.src.b[0], 0x3f);
  assert_int_equal(p3.src.b[1], 0xff);
  const uint8_t *ip3 = p3.l3;
  assert_int_equal(l4sum6(ip3, 17, ip3 + 40, fr[2].caplen - 54), 0);
  char s6[WD_ADDR_STRLEN];
  wd_addr_str(&p3.src, s6);
  assert_int_equal(strlen("2001:db8:20::5"), 14);
  assert_false(has(fr[2].f, fr[2].caplen, "2001:db8", 8));

  /* frame 5 (4th written): UDP without checksum stays without */
  const uint8_t *udp5 = fr[3].f + 34;
  assert_int_equal(udp5[6] | udp5[7], 0);
  free(out);
}

/* A frame cut by the snap length: its TCP checksum is updated from the
 * difference, so it equals the whole frame's (which verifies). */
static void test_cut_frame_checksum(void **state) {
  (void)state;
  setup_nets();
  static cap_t whole, cut;
  uint8_t f[2048];
  size_t n = frame_tcp(f, true);
  cap_init(&whole);
  cap_add(&whole, f, (uint32_t)n, (uint32_t)n);
  cap_init(&cut);
  cap_add(&cut, f, (uint32_t)n, 80); /* headers and a little payload */
  wd_evidence_redact_t r = {.withhold = nets, .n_withhold = 2};
  uint8_t *o1, *o2;
  size_t l1, l2;
  char err[256];
  assert_int_equal(wd_evidence_rewrite_buffer(whole.buf, whole.len, &r, &o1,
                                              &l1, NULL, err, sizeof err),
                   WD_OK);
  assert_int_equal(wd_evidence_rewrite_buffer(cut.buf, cut.len, &r, &o2, &l2,
                                              NULL, err, sizeof err),
                   WD_OK);
  static out_frame_t a[2], b[2];
  assert_int_equal(read_back(o1, l1, a, 2), 1);
  assert_int_equal(read_back(o2, l2, b, 2), 1);
  assert_int_equal(b[0].caplen, 80);
  assert_int_equal(b[0].len, (uint32_t)n);
  assert_int_equal(l4sum4(a[0].f + 14, a[0].f + 34, n - 34), 0);
  assert_memory_equal(a[0].f + 34 + 16, b[0].f + 34 + 16, 2);
  assert_memory_equal(a[0].f, b[0].f, 80);
  free(o1);
  free(o2);
}

/* The party's own network is kept; other internal ones are not. */
static void test_keep_own_network(void **state) {
  (void)state;
  setup_nets();
  wd_cidr_t own;
  assert_int_equal(wd_cidr_parse("10.20.0.0/24", &own), WD_OK);
  static cap_t c;
  uint8_t f[2048];
  cap_init(&c);
  size_t n = frame_icmp(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  n = frame_udp6(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  wd_evidence_redact_t r = {
      .withhold = nets, .n_withhold = 2, .keep = &own, .n_keep = 1};
  uint8_t *out;
  size_t len;
  char err[256];
  assert_int_equal(wd_evidence_rewrite_buffer(c.buf, c.len, &r, &out, &len,
                                              NULL, err, sizeof err),
                   WD_OK);
  static out_frame_t fr[2];
  assert_int_equal(read_back(out, len, fr, 2), 2);
  uint8_t k[4];
  ip4("10.20.0.1", k);
  assert_memory_equal(fr[0].f + 14 + 12, k, 4);
  assert_false(has_text(fr[1].f, fr[1].caplen, "10.20.3.9"));
  free(out);
}

static void test_bad_input(void **state) {
  (void)state;
  setup_nets();
  wd_evidence_redact_t r = {.withhold = nets, .n_withhold = 2};
  uint8_t *out = (uint8_t *)1;
  size_t len = 1;
  char err[256] = "";
  static const uint8_t junk[64] = "not a capture at all, just some text";
  assert_int_equal(wd_evidence_rewrite_buffer(junk, sizeof junk, &r, &out, &len,
                                              NULL, err, sizeof err),
                   WD_ERR_INVAL);
  assert_null(out);
  assert_non_null(strstr(err, "not a capture"));
  assert_int_equal(wd_evidence_rewrite("/nonexistent/x.pcap", &r, &out, &len,
                                       NULL, err, sizeof err),
                   WD_ERR_IO);
  /* a capture damaged part-way: the frames before the damage come out */
  static cap_t c;
  uint8_t f[2048];
  cap_init(&c);
  size_t n = frame_icmp(f);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  cap_add(&c, f, (uint32_t)n, (uint32_t)n);
  wd_evidence_rewrite_stats_t st;
  assert_int_equal(wd_evidence_rewrite_buffer(c.buf, c.len - 10, &r, &out, &len,
                                              &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.written, 1);
  free(out);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_place_rewritten),
      cmocka_unit_test(test_cut_frame_checksum),
      cmocka_unit_test(test_keep_own_network),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
