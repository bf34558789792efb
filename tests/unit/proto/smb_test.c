/* smb_test.c -- tests of src/proto/smb.c: NetBIOS framing, SMB1 commands
 * and transaction fields, SMB2/3 headers, truncation at every byte,
 * resynchronization after gaps, malformed lengths, request/response
 * tracking (secondaries, MID reuse, changed MIDs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smb.h"
#include "proto/smb_build.h"

#define MAXMSG 64

typedef struct got {
  wd_smb_msg_t m[MAXMSG];
  unsigned n;
} got;

static void collect(void *user, const wd_smb_msg_t *m) {
  got *g = user;
  if (g->n < MAXMSG) {
    g->m[g->n] = *m;
    g->m[g->n].bytes = NULL; /* borrowed: not valid after the call */
    g->n++;
  }
}

static wd_smb_conn_t conn;
static wd_smb_stats_t st;
static got g;

static void reset(bool nbss) {
  memset(&st, 0, sizeof st);
  memset(&g, 0, sizeof g);
  wd_smb_conn_init(&conn, nbss, &st);
}

static wd_rc feed(int dir, const uint8_t *p, size_t n) {
  return wd_smb_conn_feed(&conn, dir, p, n, 42, collect, &g);
}

/* SMB_COM_NEGOTIATE request, as a client sends it (hex rows). */
static const uint8_t negotiate_req[] = {
    0x00, 0x00, 0x00, 0x2f, /* NetBIOS: session message, len 47 */
    0xff, 0x53, 0x4d, 0x42, /* 0xFF 'SMB' */
    0x72,                   /* Command: NEGOTIATE */
    0x00, 0x00, 0x00, 0x00, /* Status */
    0x18,                   /* Flags: canonical paths, case-less */
    0x01, 0xc8,             /* Flags2: 0xc801 */
    0x00, 0x00,             /* PIDHigh */
    0,    0,    0,    0,    0,   0,   0,   0, /* SecuritySignature */
    0x00, 0x00,                               /* Reserved */
    0x00, 0x00,                               /* TID */
    0xff, 0xfe,                               /* PIDLow 0xfeff */
    0x00, 0x00,                               /* UID */
    0x40, 0x00,                               /* MID 64 */
    0x00,                                     /* WordCount 0 */
    0x0c, 0x00,                               /* ByteCount 12 */
    0x02, 'N',  'T',  ' ',  'L', 'M', ' ', '0', '.', '1', '2', 0x00,
};

/* TRANS2 SESSION_SETUP request as DoublePulsar's controller sends it:
 * 12 parameter bytes, Timeout whose bytes sum to 0x23 (ping). */
static const uint8_t dp_ping[] = {
    0x00, 0x00, 0x00, 0x4e,                /* NetBIOS len 78 */
    0xff, 0x53, 0x4d, 0x42, 0x32,          /* TRANSACTION2 */
    0x00, 0x00, 0x00, 0x00,                /* Status */
    0x18, 0x07, 0xc0,                      /* Flags, Flags2 */
    0x00, 0x00,                            /* PIDHigh */
    0,    0,    0,    0,    0,    0, 0, 0, /* signature */
    0x00, 0x00,                            /* reserved */
    0x00, 0x08,                            /* TID 2048 */
    0xff, 0xfe,                            /* PIDLow */
    0x00, 0x08,                            /* UID 2048 */
    0x41, 0x00,                            /* MID 65 */
    0x0f,                                  /* WordCount 15 */
    0x0c, 0x00,                            /* TotalParameterCount 12 */
    0x00, 0x00,                            /* TotalDataCount 0 */
    0x01, 0x00,                            /* MaxParameterCount */
    0x00, 0x00,                            /* MaxDataCount */
    0x00, 0x00,                            /* MaxSetupCount, Reserved1 */
    0x00, 0x00,                            /* Flags */
    0x58, 0x86, 0x45, 0x00,                /* Timeout: 0x58+0x86+0x45 = 0x123 */
    0x00, 0x00,                            /* Reserved2 */
    0x0c, 0x00,                            /* ParameterCount 12 */
    0x42, 0x00,                            /* ParameterOffset 66 */
    0x00, 0x00,                            /* DataCount 0 */
    0x4e, 0x00,                            /* DataOffset 78 */
    0x01, 0x00,                            /* SetupCount 1, Reserved3 */
    0x0e, 0x00,                            /* Setup[0]: SESSION_SETUP */
    0x0d, 0x00,                            /* ByteCount 13 */
    0x00,                                  /* pad */
    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, /* parameters */
};

static void test_negotiate_fields(void **s) {
  (void)s;
  reset(false);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 1);
  const wd_smb_msg_t *m = &g.m[0];
  assert_int_equal(m->version, WD_SMB_V1);
  assert_int_equal(m->command, WD_SMB1_NEGOTIATE);
  assert_false(m->is_response);
  assert_int_equal(m->nb_len, 47);
  assert_int_equal(m->mid, 64);
  assert_int_equal(m->pid, 0xfeff);
  assert_int_equal(m->flags2, 0xc801);
  assert_int_equal(m->byte_count, 12);
  assert_int_equal(m->ts_ns, 42);
  assert_int_equal(m->anomalies, 0);
  assert_int_equal(st.smb1, 1);
}

static void test_trans2_fields(void **s) {
  (void)s;
  reset(false);
  assert_int_equal(feed(0, dp_ping, sizeof dp_ping), WD_OK);
  assert_int_equal(g.n, 1);
  const wd_smb_msg_t *m = &g.m[0];
  assert_int_equal(m->command, WD_SMB1_TRANSACTION2);
  assert_true(m->tx.present);
  assert_false(m->tx.secondary);
  assert_int_equal(m->tx.subcommand, WD_SMB_TRANS2_SESSION_SETUP);
  assert_int_equal(m->tx.timeout, 0x00458658);
  assert_int_equal(m->tx.total_param, 12);
  assert_int_equal(m->tx.param_count, 12);
  assert_int_equal(m->tx.param_offset, 66);
  assert_int_equal(m->tx.data_offset, 78);
  assert_int_equal(m->tx.setup_count, 1);
  assert_int_equal(m->tid, 2048);
  assert_int_equal(m->uid, 2048);
  assert_int_equal(m->mid, 65);
  assert_int_equal(m->anomalies, 0);
}

static void test_each_command(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  reset(false);
  sb_hdr h = {.cmd = 0x25, .tid = 1, .pid = 2, .uid = 3, .mid = 10};
  /* TRANSACTION PeekNamedPipe on FID 0x4000 */
  n = sb_trans_req(b, &h, 0x23, 0x4000, 2, 0, 0, 0, 0, 0);
  feed(0, b, n);
  assert_int_equal(g.m[0].command, WD_SMB1_TRANSACTION);
  assert_int_equal(g.m[0].tx.subcommand, 0x23);
  assert_int_equal(g.m[0].tx.fid, 0x4000);
  assert_int_equal(g.m[0].tx.setup_count, 2);
  /* NT_TRANSACT: declared 66512 data, 976 sent */
  h.cmd = 0xa0, h.mid = 11;
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  feed(0, b, n);
  assert_int_equal(g.m[1].command, WD_SMB1_NT_TRANSACT);
  assert_int_equal(g.m[1].tx.total_data, 66512);
  assert_int_equal(g.m[1].tx.data_count, 976);
  assert_int_equal(g.m[1].tx.param_count, 30);
  assert_int_equal(g.m[1].tx.subcommand, 0);
  assert_true(g.m[1].anomalies & WD_SMB_ANOM_TOTAL_GT_SENT);
  assert_false(g.m[1].anomalies & WD_SMB_ANOM_COUNT_BEYOND_MSG);
  /* NT_TRANSACT_SECONDARY continuing it */
  h.cmd = 0xa1;
  n = sb_nt_trans_sec(b, &h, 30, 66512, 0, 0, 1000, 976);
  feed(0, b, n);
  assert_int_equal(g.m[2].tx.data_disp, 976);
  assert_int_equal(g.m[2].tx.data_count, 1000);
  assert_int_equal(g.m[2].tx.primary_cmd, WD_SMB1_NT_TRANSACT);
  assert_int_equal(g.m[2].tx.sent_data, 1976);
  assert_false(g.m[2].anomalies & WD_SMB_ANOM_SECONDARY_MISMATCH);
  /* TRANSACTION_SECONDARY of the TRANSACTION (complete it: 0 totals) */
  h.cmd = 0x26, h.mid = 10;
  n = sb_trans_sec(b, &h, 0, 0, 0, 0, 0, 0);
  feed(0, b, n);
  assert_int_equal(g.m[3].tx.primary_cmd, WD_SMB1_TRANSACTION);
  assert_true(g.m[3].tx.secondary);
  /* TREE_CONNECT_ANDX with its path */
  h.cmd = 0x75, h.mid = 12;
  n = sb_tree_connect(b, &h, "\\\\10.0.0.1\\IPC$");
  feed(0, b, n);
  assert_string_equal(g.m[4].path, "\\\\10.0.0.1\\IPC$");
  /* ECHO */
  h.cmd = 0x2b, h.mid = 13;
  uint8_t w[2] = {1, 0};
  n = sb_smb1(b, &h, w, 1, (const uint8_t *)"abcd", 4, 0);
  feed(0, b, n);
  assert_int_equal(g.m[5].command, WD_SMB1_ECHO);
  assert_int_equal(g.m[5].word_count, 1);
  assert_int_equal(g.m[5].byte_count, 4);
  /* TRANSACTION2 response */
  h.cmd = 0x32, h.resp = true, h.mid = 14, h.status = 0;
  n = sb_trans_resp(b, &h, 10, 20);
  feed(1, b, n);
  assert_true(g.m[6].is_response);
  assert_int_equal(g.m[6].tx.total_param, 10);
  assert_int_equal(g.m[6].tx.data_count, 20);
  assert_int_equal(g.n, 7);
  assert_int_equal(st.anomalies, 1);
}

static void test_smb2_and_transform(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  reset(false);
  /* NEGOTIATE response choosing SMB 3.0.2 */
  uint8_t body[8] = {65, 0, 1, 0, 0x02, 0x03, 0, 0};
  size_t n = sb_smb2(b, 0, true, 0, 0, 0, body, sizeof body);
  feed(1, b, n);
  assert_int_equal(g.m[0].version, WD_SMB_V2);
  assert_int_equal(g.m[0].dialect, 0x0302);
  /* a compound of two elements (CREATE + CLOSE) in one message */
  uint8_t c[256];
  size_t n1 = sb_smb2(c, 5, false, 0, 7, 72, (const uint8_t *)"12345678", 8);
  uint8_t e2[SMB_BUILD_MAX];
  size_t n2 = sb_smb2(e2, 6, false, 0, 8, 0, NULL, 0);
  memcpy(c + n1, e2 + 4, n2 - 4);
  uint32_t nb = (uint32_t)(n1 - 4 + n2 - 4);
  c[1] = 0, c[2] = (uint8_t)(nb >> 8), c[3] = (uint8_t)nb;
  assert_int_equal(feed(0, c, n1 + n2 - 4), WD_OK);
  assert_int_equal(g.n, 3);
  assert_int_equal(g.m[1].command, 5);
  assert_int_equal(g.m[1].msg_id, 7);
  assert_int_equal(g.m[1].dialect, 0x0302);
  assert_int_equal(g.m[2].command, 6);
  assert_int_equal(g.m[2].offset, 72);
  assert_int_equal(g.m[2].session_id, 0x11);
  /* SMB3 transform header: counted, session id only */
  uint8_t t[4 + 52 + 16];
  memset(t, 0, sizeof t);
  t[3] = 52 + 16;
  t[4] = 0xfd, t[5] = 'S', t[6] = 'M', t[7] = 'B';
  t[4 + 44] = 0x99;
  assert_int_equal(feed(0, t, sizeof t), WD_OK);
  assert_int_equal(g.m[3].version, WD_SMB_V3_TRANSFORM);
  assert_int_equal(g.m[3].session_id, 0x99);
  assert_int_equal(st.smb3_encrypted, 1);
  assert_int_equal(st.smb2, 3);
}

/* Feeding a message cut at every length must never read past it; the
 * header appears once its fixed fields are in, with the same fields as a
 * whole message; the rest, fed later, completes it. */
static void test_truncated_every_byte(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0xa0, .mid = 5, .pid = 9};
  size_t n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  reset(false);
  feed(0, b, n);
  wd_smb_msg_t whole = g.m[0];
  for (size_t cut = 0; cut <= n; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overruns */
    memcpy(copy, b, cut);
    reset(false);
    wd_rc rc = feed(0, copy, cut);
    assert_int_equal(rc, (cut == 0 || cut == n) ? WD_OK : WD_AGAIN);
    if (cut < 4 + 33 + 40 + 2)
      assert_int_equal(g.n, 0);
    feed(0, b + cut, n - cut);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].tx.total_data, whole.tx.total_data);
    assert_int_equal(g.m[0].tx.data_count, whole.tx.data_count);
    assert_int_equal(g.m[0].mid, 5);
    free(copy);
  }
  /* a message whose NetBIOS length ends inside the header: truncated */
  for (uint32_t len = 1; len < 40; len++) {
    uint8_t t[sizeof negotiate_req];
    memcpy(t, negotiate_req, sizeof t);
    t[3] = (uint8_t)len;
    reset(false);
    feed(0, t, 4 + len);
    if (len < 4) {
      assert_int_equal(g.n, 0);
      assert_int_equal(st.not_smb, 1);
    } else {
      assert_int_equal(g.n, 1);
      assert_true(len >= 35 ||
                  (g.m[0].anomalies &
                   (WD_SMB_ANOM_TRUNCATED | WD_SMB_ANOM_BAD_WORDCOUNT)));
    }
  }
}

/* Byte-by-byte feeding yields the same messages as one call. */
static void test_byte_by_byte(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX * 2];
  size_t n = 0;
  sb_hdr h = {.cmd = 0x72, .mid = 1};
  n += sb_smb1(b + n, &h, NULL, 0, (const uint8_t *)"\2NT LM 0.12", 12, 0);
  memcpy(b + n, dp_ping, sizeof dp_ping);
  n += sizeof dp_ping;
  h.cmd = 0x33, h.mid = 65;
  n += sb_trans_sec(b + n, &h, 0, 100, 0, 0, 100, 0);
  reset(false);
  for (size_t i = 0; i < n; i++)
    feed(0, b + i, 1);
  assert_int_equal(g.n, 3);
  assert_int_equal(g.m[0].command, 0x72);
  assert_int_equal(g.m[1].tx.timeout, 0x00458658);
  assert_int_equal(g.m[2].tx.data_count, 100);
  /* bodies 47 + 78 + 153 bytes; headers read: 35 + 65 + 53 */
  assert_int_equal(st.skipped_bytes, 12 + 13 + 100);
}

static void test_big_message_skipped(void **s) {
  (void)s;
  /* a 65527-byte SMB2 message with a malformed header (StructureSize 0),
   * then a NEGOTIATE: the body is skipped, never buffered */
  uint8_t b[SMB_BUILD_MAX];
  memset(b, 0, sizeof b);
  b[0] = 0, b[1] = 0, b[2] = 0xff, b[3] = 0xf7;
  b[4] = 0xfe, b[5] = 'S', b[6] = 'M', b[7] = 'B';
  reset(false);
  assert_int_equal(feed(0, b, 132), WD_AGAIN);
  assert_int_equal(g.n, 1);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_SMB2_BAD_HEADER);
  assert_int_equal(g.m[0].nb_len, 65527);
  uint8_t zeros[4096];
  memset(zeros, 0, sizeof zeros);
  size_t left = 65527 + 4 - 132;
  while (left) {
    size_t k = left < sizeof zeros ? left : sizeof zeros;
    feed(0, zeros, k);
    left -= k;
  }
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.m[1].command, WD_SMB1_NEGOTIATE);
}

static void test_resync_after_gap(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x33, .mid = 3};
  size_t n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 0);
  /* known gap inside a body: framing kept */
  reset(false);
  feed(0, b, 100);
  wd_smb_conn_gap(&conn, 0, 1000);
  feed(0, b + 1100, n - 1100);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 2);
  assert_true(g.m[1].command == WD_SMB1_NEGOTIATE);
  assert_int_equal(st.resyncs, 0);
  /* unknown gap: the parser searches the next header, across calls */
  reset(false);
  feed(0, b, 100);
  wd_smb_conn_gap(&conn, 0, 0);
  feed(0, b + 2000, n - 2000); /* rest of the body: zeros, no header */
  feed(0, negotiate_req, 6);   /* header split over calls */
  feed(0, negotiate_req + 6, sizeof negotiate_req - 6);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.m[1].command, WD_SMB1_NEGOTIATE);
  assert_int_equal(st.resyncs, 1);
  /* a gap that swallows a message boundary: resync too */
  reset(false);
  feed(0, b, n);
  wd_smb_conn_gap(&conn, 0, 50);
  feed(0, dp_ping + 50, sizeof dp_ping - 50); /* tail of a lost message */
  feed(0, dp_ping, sizeof dp_ping);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.m[1].tx.subcommand, WD_SMB_TRANS2_SESSION_SETUP);
  /* a gap inside a header being read: message given up, framing kept */
  reset(false);
  feed(0, dp_ping, 20);
  wd_smb_conn_gap(&conn, 0, 10);
  feed(0, dp_ping + 30, sizeof dp_ping - 30);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.m[0].command, WD_SMB1_NEGOTIATE);
}

static void test_bad_lengths(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x32, .mid = 3};
  size_t n = sb_trans_req(b, &h, 1, 0, 1, 0, 10, 10, 10, 10);
  /* DataOffset pointing beyond the message */
  sb_le16(b + 4 + 33 + 24, 60000);
  reset(false);
  feed(0, b, n);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_COUNT_BEYOND_MSG);
  /* count larger than the declared total */
  n = sb_trans_req(b, &h, 1, 0, 1, 0, 5, 5, 10, 10);
  reset(false);
  feed(0, b, n);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_DISP_BEYOND_TOTAL);
  /* word count too small for a TRANSACTION2 request */
  uint8_t w[4] = {0};
  n = sb_smb1(b, &h, w, 2, NULL, 0, 0);
  reset(false);
  feed(0, b, n);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_BAD_WORDCOUNT);
  /* word count beyond the message: NetBIOS length cut */
  n = sb_trans_req(b, &h, 1, 0, 1, 0, 0, 0, 0, 0);
  b[3] = 40;
  reset(false);
  feed(0, b, 44);
  assert_int_equal(g.n, 1);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_BAD_WORDCOUNT);
  /* port 139: flag bits set in the length byte are bad framing */
  uint8_t bad[8] = {0x00, 0x80, 0x00, 0x10, 0xff, 'S', 'M', 'B'};
  reset(true);
  feed(0, bad, sizeof bad);
  assert_int_equal(st.bad_framing, 1);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 1);
  /* keepalive and session request are skipped */
  uint8_t ka[4] = {0x85, 0, 0, 0};
  uint8_t sreq[8] = {0x81, 0, 0, 4, 1, 2, 3, 4};
  reset(true);
  feed(0, ka, 4);
  feed(0, sreq, 8);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(st.netbios_control, 2);
  assert_int_equal(g.n, 1);
  /* not SMB: resync */
  uint8_t http[] = "\0\0\0\x20GET / HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\n";
  reset(false);
  feed(0, http, 36);
  assert_int_equal(st.not_smb, 1);
  assert_int_equal(feed(0, negotiate_req, sizeof negotiate_req), WD_OK);
  assert_int_equal(g.n, 1);
  /* AndX offset pointing backwards */
  uint8_t aw[8] = {0x75, 0, 10, 0, 0, 0, 0, 0};
  h.cmd = 0x73;
  n = sb_smb1(b, &h, aw, 4, NULL, 0, 0);
  reset(false);
  feed(0, b, n);
  assert_int_equal(g.n, 1);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_BAD_ANDX);
  /* SMB2 NextCommand not 8-aligned */
  n = sb_smb2(b, 5, false, 0, 1, 65, NULL, 0);
  reset(false);
  feed(0, b, n);
  assert_int_equal(g.n, 1);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_SMB2_BAD_HEADER);
}

static void test_andx_chain(void **s) {
  (void)s;
  /* SESSION_SETUP_ANDX followed by TREE_CONNECT_ANDX in one message */
  uint8_t b[SMB_BUILD_MAX];
  uint8_t w[26];
  memset(w, 0, sizeof w);
  sb_hdr h = {.cmd = 0x73, .mid = 4, .flags2 = 0x4001}; /* ASCII */
  /* session setup: 13 words, AndX -> tree connect at offset 32+1+26+2 */
  w[0] = 0x75;
  sb_le16(w + 2, 61);
  size_t n = sb_smb1(b, &h, w, 13, NULL, 0, 0);
  /* append the tree connect: wc 4, andx none, password len 1, path */
  uint8_t *t = b + n;
  t[0] = 4;
  memset(t + 1, 0, 8);
  t[1] = 0xff;
  sb_le16(t + 7, 1);
  const char path[] = "\\\\SRV\\IPC$";
  sb_le16(t + 9, (uint16_t)(1 + sizeof path + 6));
  t[11] = 0;
  memcpy(t + 12, path, sizeof path);
  memcpy(t + 12 + sizeof path, "IPC\0\0\0", 6);
  size_t tlen = 11 + 1 + sizeof path + 6;
  uint32_t nb = (uint32_t)(n - 4 + tlen);
  b[2] = (uint8_t)(nb >> 8), b[3] = (uint8_t)nb;
  reset(false);
  assert_int_equal(feed(0, b, n + tlen), WD_OK);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.m[0].command, WD_SMB1_SESSION_SETUP_ANDX);
  assert_int_equal(g.m[1].command, WD_SMB1_TREE_CONNECT_ANDX);
  assert_int_equal(g.m[1].andx_index, 1);
  assert_string_equal(g.m[1].path, "\\\\SRV\\IPC$");
}

/* EternalBlue's transaction pattern as the parser reports it. */
static void test_tracking_type_confusion(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  sb_hdr h = {.cmd = 0xa0, .mid = 65, .pid = 0xfeff, .uid = 2048};
  reset(false);
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  feed(0, b, n);
  sb_hdr r = h;
  r.resp = true;
  n = sb_empty(b, &r); /* interim response */
  feed(1, b, n);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 976);
  feed(0, b, n);
  assert_true(g.m[2].anomalies & WD_SMB_ANOM_SECONDARY_MISMATCH);
  assert_int_equal(g.m[2].tx.primary_cmd, WD_SMB1_NT_TRANSACT);
  assert_int_equal(g.m[2].tx.primary_total_data, 66512);
  assert_int_equal(g.m[2].tx.sent_data, 976 + 4096);
  /* ECHO on the open transaction's MID */
  h.cmd = 0x2b;
  uint8_t w[2] = {1, 0};
  n = sb_smb1(b, &h, w, 1, (const uint8_t *)"x", 1, 0);
  feed(0, b, n);
  assert_true(g.m[3].anomalies & WD_SMB_ANOM_MID_IN_USE);
  r.cmd = 0x2b;
  n = sb_smb1(b, &r, w, 1, (const uint8_t *)"x", 1, 0);
  feed(1, b, n);
  assert_int_equal(g.m[4].anomalies, 0);
  /* the server answers as TRANSACTION2: response of another type */
  r.cmd = 0x32, r.status = WD_SMB_STATUS_INVALID_PARAMETER;
  n = sb_empty(b, &r);
  feed(1, b, n);
  assert_true(g.m[5].anomalies & WD_SMB_ANOM_RESP_MISMATCH);
  assert_int_equal(g.m[5].tx.primary_cmd, WD_SMB1_NT_TRANSACT);
  /* a secondary now has no primary */
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 10, 0);
  feed(0, b, n);
  assert_true(g.m[6].anomalies & WD_SMB_ANOM_SECONDARY_ORPHAN);
}

/* A primary refused before it is complete stays linked: secondaries sent
 * anyway carry its status; orphan secondaries are counted per MID. */
static void test_tracking_refused_and_orphans(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  sb_hdr h = {.cmd = 0xa0, .mid = 65, .pid = 0xfeff, .uid = 2048};
  reset(false);
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  feed(0, b, n);
  sb_hdr r = h;
  r.resp = true;
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  n = sb_empty(b, &r);
  feed(1, b, n);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 976);
  feed(0, b, n);
  const wd_smb_msg_t *m = &g.m[2];
  assert_false(m->anomalies & WD_SMB_ANOM_SECONDARY_ORPHAN);
  assert_true(m->anomalies & WD_SMB_ANOM_SECONDARY_MISMATCH);
  assert_int_equal(m->tx.primary_cmd, WD_SMB1_NT_TRANSACT);
  assert_int_equal(m->tx.primary_status, WD_SMB_STATUS_ACCESS_DENIED);
  /* an ECHO on the MID neither collides nor drops the refused one */
  h.cmd = 0x2b;
  uint8_t w[2] = {1, 0};
  n = sb_smb1(b, &h, w, 1, (const uint8_t *)"x", 1, 0);
  feed(0, b, n);
  assert_int_equal(g.m[3].anomalies, 0);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 5072);
  feed(0, b, n);
  assert_int_equal(g.m[4].tx.primary_status, WD_SMB_STATUS_ACCESS_DENIED);
  /* a new transaction may reuse the MID of a refused one */
  h.cmd = 0x32;
  n = sb_trans_req(b, &h, 0x0001, 0, 1, 0, 40, 0, 40, 0);
  feed(0, b, n);
  assert_false(g.m[5].anomalies & WD_SMB_ANOM_MID_IN_USE);
  /* a vulnerable server's interim answer keeps it open, not refused */
  reset(false);
  h.cmd = 0xa0;
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  feed(0, b, n);
  r.status = 0;
  n = sb_empty(b, &r);
  feed(1, b, n);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 976);
  feed(0, b, n);
  assert_int_equal(g.m[2].tx.primary_status, 0);
  /* orphans: counted per PID/MID, blocks beyond their own total told */
  reset(false);
  for (unsigned i = 0; i < 3; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    feed(0, b, n);
  }
  n = sb_trans_sec(b, &h, 0, 60000, 0, 0, 100, 0); /* consistent */
  feed(0, b, n);
  m = &g.m[3];
  assert_true(m->anomalies & WD_SMB_ANOM_SECONDARY_ORPHAN);
  assert_int_equal(g.m[0].tx.orphan_count, 1);
  assert_true(g.m[0].anomalies & WD_SMB_ANOM_DISP_BEYOND_TOTAL);
  assert_false(m->anomalies & WD_SMB_ANOM_DISP_BEYOND_TOTAL);
  assert_int_equal(m->tx.orphan_count, 4);
  assert_int_equal(m->tx.orphan_inconsistent, 3);
  assert_int_equal(m->tx.orphan_max_end, 976 + 3 * 4096);
  assert_int_equal(m->tx.primary_cmd, 0);
  h.mid = 66;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 976);
  feed(0, b, n);
  assert_int_equal(g.m[4].tx.orphan_count, 1);
  /* orphans are no request: a response with another MID links to none */
  r.cmd = 0x32;
  r.mid = 65 + 16;
  r.status = WD_SMB_STATUS_NOT_IMPLEMENTED;
  n = sb_empty(b, &r);
  feed(1, b, n);
  assert_false(g.m[5].anomalies & WD_SMB_ANOM_RESP_UNMATCHED);
  /* refused transactions are reused first, without counting evictions */
  reset(false);
  h.cmd = 0x32;
  r.cmd = 0x32;
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  for (unsigned i = 0; i < 2 * WD_SMB_PENDING_MAX; i++) {
    h.mid = r.mid = (uint16_t)(100 + i);
    n = sb_trans_req(b, &h, 0x0008, 0, 1, 0, 10, 60000, 10, 1000);
    feed(0, b, n);
    n = sb_empty(b, &r);
    feed(1, b, n);
  }
  assert_int_equal(st.pending_evicted, 0);
}

/* A response whose MID is not the request's: DoublePulsar's answer. */
static void test_tracking_changed_mid(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  reset(false);
  feed(0, dp_ping, sizeof dp_ping);
  sb_hdr r = {.cmd = 0x32,
              .resp = true,
              .status = WD_SMB_STATUS_NOT_IMPLEMENTED,
              .tid = 2048,
              .pid = 0xfeff,
              .uid = 2048,
              .mid = 65 + 16};
  size_t n = sb_empty(b, &r);
  feed(1, b, n);
  const wd_smb_msg_t *m = &g.m[1];
  assert_true(m->anomalies & WD_SMB_ANOM_RESP_UNMATCHED);
  assert_true(m->tx.req_linked);
  assert_int_equal(m->tx.req_mid, 65);
  assert_int_equal(m->tx.mid_delta, 16);
  assert_int_equal(m->tx.req_sub, WD_SMB_TRANS2_SESSION_SETUP);
  assert_int_equal(m->tx.req_timeout, 0x00458658);
  /* the same ping answered normally links by MID, no anomaly */
  reset(false);
  feed(0, dp_ping, sizeof dp_ping);
  r.mid = 65;
  n = sb_empty(b, &r);
  feed(1, b, n);
  assert_int_equal(g.m[1].anomalies, 0);
  assert_int_equal(g.m[1].tx.primary_sub, WD_SMB_TRANS2_SESSION_SETUP);
  assert_int_equal(g.m[1].tx.primary_timeout, 0x00458658);
  /* a response to a request never seen (mid-stream): no anomaly */
  reset(false);
  feed(1, b, n);
  assert_int_equal(g.m[0].anomalies, 0);
}

static void test_pending_table_bounded(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  reset(false);
  sb_hdr h = {.cmd = 0x2b};
  uint8_t w[2] = {1, 0};
  for (unsigned i = 0; i < 3 * WD_SMB_PENDING_MAX; i++) {
    h.mid = (uint16_t)i;
    size_t n = sb_smb1(b, &h, w, 1, NULL, 0, 0);
    feed(0, b, n);
  }
  assert_int_equal(st.pending_evicted, 2 * WD_SMB_PENDING_MAX);
}

static void test_decode_api(void **s) {
  (void)s;
  got local;
  memset(&local, 0, sizeof local);
  assert_int_equal(
      wd_smb_decode(negotiate_req, sizeof negotiate_req, collect, &local),
      WD_OK);
  assert_int_equal(local.n, 1);
  assert_int_equal(wd_smb_decode(negotiate_req, 20, collect, &local),
                   WD_AGAIN); /* header not complete: nothing reported */
  assert_int_equal(local.n, 1);
  assert_int_equal(wd_smb_decode(negotiate_req, 50, collect, &local),
                   WD_AGAIN); /* header complete, one body byte missing */
  assert_int_equal(local.n, 2);
  assert_int_equal(
      wd_smb_decode((const uint8_t *)"\x85\0\0\0\xffSMB", 8, collect, &local),
      WD_ERR_INVAL);
  assert_string_equal(wd_smb1_command_name(0xa0), "nt_transact");
  assert_string_equal(wd_smb1_command_name(0x01), "other");
}


/* SMB2 TREE_CONNECT request (MS-SMB2 2.2.9) with a UTF-16LE path. */
static size_t smb2_tree(uint8_t *b, const char *path, uint16_t off_adj) {
  uint8_t body[8 + 2 * 64];
  size_t l = strlen(path);
  memset(body, 0, sizeof body);
  sb_le16(body, 9);
  sb_le16(body + 4, (uint16_t)(64 + 8 + off_adj));
  sb_le16(body + 6, (uint16_t)(2 * l));
  for (size_t i = 0; i < l; i++)
    body[8 + 2 * i] = (uint8_t)path[i];
  return sb_smb2(b, WD_SMB2_TREE_CONNECT, false, 0, 3, 0, body,
                 (uint32_t)(8 + 2 * l));
}

static void test_tree_paths(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  reset(false);
  size_t n = smb2_tree(b, "\\\\10.0.0.5\\IPC$", 0);
  /* byte by byte: the path is taken once the whole of it is in */
  for (size_t i = 0; i < n; i++)
    feed(0, b + i, 1);
  assert_int_equal(g.n, 1);
  assert_string_equal(g.m[0].path, "\\\\10.0.0.5\\IPC$");
  assert_string_equal(g.m[0].tree, "\\\\10.0.0.5\\IPC$");
  assert_int_equal(g.m[0].anomalies, 0);
  /* later messages of the connection name the tree they work in */
  n = sb_smb2(b, 5, false, 0, 4, 0, NULL, 0);
  feed(0, b, n);
  assert_string_equal(g.m[1].path, "");
  assert_string_equal(g.m[1].tree, "\\\\10.0.0.5\\IPC$");
  /* the response carries no path */
  n = sb_smb2(b, WD_SMB2_TREE_CONNECT, true, 0, 3, 0, (const uint8_t *)"\x10",
              1);
  feed(1, b, n);
  assert_string_equal(g.m[2].path, "");
  /* a path offset beyond the message: flagged, nothing taken */
  n = smb2_tree(b, "\\\\evil\\C$", 200);
  feed(0, b, n);
  assert_true(g.m[3].anomalies & WD_SMB_ANOM_COUNT_BEYOND_MSG);
  assert_string_equal(g.m[3].path, "");
  assert_string_equal(g.m[3].tree, "\\\\10.0.0.5\\IPC$");
  /* SMB1 TREE_CONNECT_ANDX sets the tree too */
  reset(false);
  sb_hdr h;
  memset(&h, 0, sizeof h);
  h.cmd = 0x75, h.mid = 12;
  n = sb_tree_connect(b, &h, "\\\\10.0.0.1\\IPC$");
  feed(0, b, n);
  assert_string_equal(g.m[0].tree, "\\\\10.0.0.1\\IPC$");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_negotiate_fields),
      cmocka_unit_test(test_trans2_fields),
      cmocka_unit_test(test_each_command),
      cmocka_unit_test(test_smb2_and_transform),
      cmocka_unit_test(test_tree_paths),
      cmocka_unit_test(test_truncated_every_byte),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_big_message_skipped),
      cmocka_unit_test(test_resync_after_gap),
      cmocka_unit_test(test_bad_lengths),
      cmocka_unit_test(test_andx_chain),
      cmocka_unit_test(test_tracking_type_confusion),
      cmocka_unit_test(test_tracking_refused_and_orphans),
      cmocka_unit_test(test_tracking_changed_mid),
      cmocka_unit_test(test_pending_table_bounded),
      cmocka_unit_test(test_decode_api),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
