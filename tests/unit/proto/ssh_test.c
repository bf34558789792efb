/* ssh_test.c -- tests of src/proto/ssh.c: identification strings of both
 * sides and the server's banner lines, clear packets up to NEWKEYS, the
 * encrypted bytes and pieces counted after it, the same session in pieces
 * of every size, hostile lengths and paddings, messages out of place,
 * version 1, overlong and binary identification, caps on banners, gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/seed.h"
#include "proto/ssh.h"

static wd_ssh_conn_t conn;
static wd_ssh_stats_t st;

/* The client's identification and a KEXINIT packet, by hand. */
static const uint8_t client_start[] = {
    'S',  'S',  'H',  '-',  '2',  '.',  '0', '-', /* "SSH-2.0-" */
    'O',  'p',  'e',  'n',  'S',  'S',  'H', '_', '9', '.', '6', /* software */
    ' ',  'U',  'b',  'u',  'n',  't',  'u',                     /* comment */
    '\r', '\n', 0x00, 0x00, 0x00, 0x1c, /* packet_length 28 (28 + 4 = 32) */
    0x0a,                               /* padding_length 10 */
    0x14,                               /* SSH_MSG_KEXINIT */
    1,    2,    3,    4,    5,    6,    7,   8,   9,   10,  11,
    12,   13,   14,   15,   16,                           /* cookie */
    0,    0,    0,    0,    0,    0,    0,   0,   0,   0, /* padding (name-lists
                                                             omitted) */
};

/* Appends a clear packet with message msg and a body of body bytes,
 * padded to a multiple of 8 with at least 4 bytes of padding. */
static size_t pkt(uint8_t *out, uint8_t msg, size_t body) {
  size_t pad = 8 - ((4 + 1 + 1 + body) % 8);
  if (pad < 4)
    pad += 8;
  uint32_t plen = (uint32_t)(1 + 1 + body + pad);
  out[0] = (uint8_t)(plen >> 24), out[1] = (uint8_t)(plen >> 16);
  out[2] = (uint8_t)(plen >> 8), out[3] = (uint8_t)plen;
  out[4] = (uint8_t)pad;
  out[5] = msg;
  memset(out + 6, 0xab, body + pad);
  return 4 + plen;
}

static uint8_t cstream[512], sstream[512];
static size_t clen, slen;

static void build(void) {
  memcpy(cstream, client_start, sizeof client_start);
  clen = sizeof client_start;
  clen += pkt(cstream + clen, 30, 36); /* KEX_ECDH_INIT */
  clen += pkt(cstream + clen, 21, 0);  /* NEWKEYS */
  static const char sb[] = "Authorized use only\r\n"
                           "SSH-2.0-OpenSSH_8.9p1\r\n";
  memcpy(sstream, sb, sizeof sb - 1);
  slen = sizeof sb - 1;
  slen += pkt(sstream + slen, 20, 200); /* KEXINIT */
  slen += pkt(sstream + slen, 31, 120); /* KEX_ECDH_REPLY */
  slen += pkt(sstream + slen, 21, 0);   /* NEWKEYS */
}

static void check_clear(const wd_ssh_summary_t *s) {
  assert_true(s->dir[0].ident_seen);
  assert_string_equal(s->dir[0].ident, "SSH-2.0-OpenSSH_9.6 Ubuntu");
  assert_string_equal(s->dir[0].proto, "2.0");
  assert_string_equal(s->dir[0].software, "OpenSSH_9.6");
  assert_int_equal(s->dir[0].banner_lines, 0);
  assert_int_equal(s->dir[0].clear_packets, 3);
  assert_int_equal(s->dir[0].kexinit, 1);
  assert_true(s->dir[0].newkeys);
  assert_string_equal(s->dir[1].software, "OpenSSH_8.9p1");
  assert_int_equal(s->dir[1].banner_lines, 1);
  assert_int_equal(s->dir[1].clear_packets, 3);
  assert_true(s->kex_done);
  assert_int_equal(s->dir[0].anomalies, 0);
  assert_int_equal(s->dir[1].anomalies, 0);
}

static void test_session(void **state) {
  (void)state;
  build();
  seed_write("client", 0, cstream, clen);
  seed_write("server", 1, sstream, slen);
  memset(&st, 0, sizeof st);
  wd_ssh_conn_init(&conn, &st);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, cstream, clen, 100), WD_OK);
  assert_int_equal(wd_ssh_conn_feed(&conn, 1, sstream, slen, 200), WD_OK);
  const wd_ssh_summary_t *s = wd_ssh_conn_summary(&conn);
  check_clear(s);
  assert_int_equal(s->dir[0].enc_bytes, 0);
  /* encrypted: client sends 3 pieces, server answers 2 */
  uint8_t junk[100];
  memset(junk, 0x5a, sizeof junk);
  wd_ssh_conn_feed(&conn, 0, junk, 52, 300);
  wd_ssh_conn_feed(&conn, 1, junk, 44, 310);
  wd_ssh_conn_feed(&conn, 0, junk, 100, 320);
  wd_ssh_conn_feed(&conn, 1, junk, 60, 330);
  wd_ssh_conn_feed(&conn, 0, junk, 0, 335); /* empty: not a piece */
  wd_ssh_conn_feed(&conn, 0, junk, 80, 340);
  assert_int_equal(s->dir[0].enc_bytes, 232);
  assert_int_equal(s->dir[0].enc_pieces, 3);
  assert_int_equal(s->dir[1].enc_bytes, 104);
  assert_int_equal(s->dir[1].enc_pieces, 2);
  assert_int_equal(s->dir[1].first_enc_ns, 310);
  assert_int_equal(s->dir[1].last_enc_ns, 330);
  assert_int_equal(s->dir[0].newkeys_ns, 100);
  assert_int_equal(st.kex_done, 1);
  assert_int_equal(st.idents, 2);
  /* a known gap after NEWKEYS is counted */
  wd_ssh_conn_gap(&conn, 1, 1000);
  assert_int_equal(s->dir[1].enc_bytes, 1104);
  assert_false(s->dir[1].stopped);
}

/* The NEWKEYS packet and the first encrypted bytes in one piece. */
static void test_newkeys_and_data_together(void **state) {
  (void)state;
  build();
  uint8_t x[600];
  memcpy(x, cstream, clen);
  memset(x + clen, 0x11, 64);
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, x, clen + 64, 5), WD_OK);
  assert_int_equal(conn.sum.dir[0].enc_bytes, 64);
  assert_int_equal(conn.sum.dir[0].enc_pieces, 1);
}

static void test_pieces_every_size(void **state) {
  (void)state;
  build();
  for (size_t piece = 1; piece <= slen; piece++) {
    wd_ssh_conn_init(&conn, NULL);
    for (size_t i = 0; i < clen; i += piece)
      wd_ssh_conn_feed(&conn, 0, cstream + i,
                       clen - i < piece ? clen - i : piece, 1);
    for (size_t i = 0; i < slen; i += piece)
      wd_ssh_conn_feed(&conn, 1, sstream + i,
                       slen - i < piece ? slen - i : piece, 2);
    check_clear(&conn.sum);
    assert_int_equal(conn.sum.dir[0].enc_bytes, 0);
    assert_int_equal(conn.sum.dir[1].enc_bytes, 0);
  }
  /* mid-identification: WD_AGAIN */
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, cstream, 10, 1), WD_AGAIN);
}

static void test_bad_packets(void **state) {
  (void)state;
  build();
  uint8_t x[sizeof client_start];
  const size_t plen_at = 28;
  /* packet_length 1 MiB: framing refused, direction stops */
  memcpy(x, client_start, sizeof x);
  x[plen_at + 1] = 0x10;
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, x, sizeof x, 1), WD_END);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_BAD_PACKET);
  assert_true(conn.sum.dir[0].stopped);
  /* padding_length larger than the packet */
  memcpy(x, client_start, sizeof x);
  x[plen_at + 4] = 30;
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, x, sizeof x, 1), WD_END);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_BAD_PACKET);
  /* padding of 3 bytes, length not a multiple of 8: flagged, followed */
  memcpy(x, client_start, sizeof x);
  x[plen_at + 3] = 0x1b; /* 27 */
  x[plen_at + 4] = 3;
  wd_ssh_conn_init(&conn, NULL);
  wd_ssh_conn_feed(&conn, 0, x, sizeof x - 1, 1);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_BAD_PADDING);
  assert_int_equal(conn.sum.dir[0].clear_packets, 1);
  assert_false(conn.sum.dir[0].stopped);
  /* a user authentication request in clear */
  uint8_t y[64];
  memcpy(y, "SSH-2.0-x\r\n", 11);
  size_t n = 11 + pkt(y + 11, 50, 10);
  wd_ssh_conn_init(&conn, NULL);
  wd_ssh_conn_feed(&conn, 0, y, n, 1);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_EARLY_MSG);
}

static void test_identification_edges(void **state) {
  (void)state;
  /* SSH-1 */
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(
      wd_ssh_conn_feed(&conn, 1, (const uint8_t *)"SSH-1.5-old\r\n", 13, 1),
      WD_END);
  assert_true(conn.sum.dir[1].anomalies & WD_SSH_ANOM_VERSION);
  /* 1.99 is the compatible SSH-2 form */
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(
      wd_ssh_conn_feed(&conn, 1, (const uint8_t *)"SSH-1.99-x\n", 11, 1),
      WD_AGAIN);
  assert_string_equal(conn.sum.dir[1].proto, "1.99");
  assert_true(conn.sum.dir[1].anomalies & WD_SSH_ANOM_BARE_LF);
  /* overlong identification: kept cut, flagged, parsing goes on */
  static uint8_t longid[400];
  memcpy(longid, "SSH-2.0-", 8);
  memset(longid + 8, 'z', 300);
  memcpy(longid + 308, "\r\n", 2);
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, longid, 310, 1), WD_AGAIN);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_IDENT_TOO_LONG);
  assert_int_equal(strlen(conn.sum.dir[0].ident), WD_SSH_IDENT_MAX);
  /* a client sending lines before its identification */
  wd_ssh_conn_init(&conn, NULL);
  wd_ssh_conn_feed(&conn, 0, (const uint8_t *)"hello\r\nSSH-2.0-c\r\n", 18, 1);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_BANNER);
  assert_true(conn.sum.dir[0].ident_seen);
  /* binary data: not SSH */
  memset(&st, 0, sizeof st);
  wd_ssh_conn_init(&conn, &st);
  static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00};
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, tls, sizeof tls, 1), WD_END);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_NOT_SSH);
  assert_int_equal(st.not_ssh, 1);
  /* endless banner lines: stops at the cap */
  wd_ssh_conn_init(&conn, NULL);
  wd_rc rc = WD_AGAIN;
  for (int i = 0; i < WD_SSH_BANNER_LINES_MAX + 2 && rc != WD_END; i++)
    rc = wd_ssh_conn_feed(&conn, 1, (const uint8_t *)"banner\r\n", 8, 1);
  assert_int_equal(rc, WD_END);
  assert_true(conn.sum.dir[1].anomalies & WD_SSH_ANOM_NOT_SSH);
  /* one endless line without LF: stops at the byte cap */
  static uint8_t flood[WD_SSH_BANNER_BYTES_MAX + 10];
  memset(flood, 'a', sizeof flood);
  wd_ssh_conn_init(&conn, NULL);
  assert_int_equal(wd_ssh_conn_feed(&conn, 1, flood, sizeof flood, 1), WD_END);
}

static void test_gap_before_newkeys(void **state) {
  (void)state;
  build();
  wd_ssh_conn_init(&conn, NULL);
  wd_ssh_conn_feed(&conn, 0, cstream, 20, 1);
  wd_ssh_conn_gap(&conn, 0, 4);
  assert_true(conn.sum.dir[0].stopped);
  assert_true(conn.sum.dir[0].anomalies & WD_SSH_ANOM_GAP);
  assert_int_equal(wd_ssh_conn_feed(&conn, 0, cstream + 24, 10, 1), WD_END);
  /* inside a skipped packet body, a known loss is absorbed */
  wd_ssh_conn_init(&conn, NULL);
  wd_ssh_conn_feed(&conn, 0, cstream, sizeof client_start - 20, 1);
  wd_ssh_conn_gap(&conn, 0, 10);
  assert_false(conn.sum.dir[0].stopped);
  wd_ssh_conn_feed(&conn, 0, cstream + sizeof client_start - 10,
                   clen - (sizeof client_start - 10), 1);
  assert_true(conn.sum.dir[0].newkeys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_session),
      cmocka_unit_test(test_newkeys_and_data_together),
      cmocka_unit_test(test_pieces_every_size),
      cmocka_unit_test(test_bad_packets),
      cmocka_unit_test(test_identification_edges),
      cmocka_unit_test(test_gap_before_newkeys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
