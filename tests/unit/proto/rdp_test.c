/* rdp_test.c -- tests of src/proto/rdp.c: Connection Request with an
 * mstshash cookie and RDP_NEG_REQ, Confirm with RDP_NEG_RSP (NLA) and with
 * RDP_NEG_FAILURE, the legacy forms without negotiation data, routing
 * tokens, pieces of every size, bytes counted afterwards, truncation at
 * every byte, hostile lengths, non-RDP input, gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/rdp.h"
#include "proto/seed.h"

/* X.224 Connection Request (after MS-RDPBCGR 4.1.1, other protocols). */
static const uint8_t cr[] = {
    0x03, 0x00, 0x00, 0x2c, /* TPKT: version 3, length 44 */
    0x27,                   /* X.224 LI 39 */
    0xe0,                   /* CR TPDU, CDT 0 */
    0x00, 0x00,             /* DST-REF */
    0x00, 0x00,             /* SRC-REF */
    0x00,                   /* class 0 */
    'C',  'o',  'o',  'k',  'i', 'e', ':', ' ', 'm',
    's',  't',  's',  'h',  'a', 's', 'h', '=', /* "Cookie: mstshash=" */
    'e',  'l',  't',  'o',  'n', 's',           /* user "eltons" */
    '\r', '\n',                                 /* cookie end */
    0x01,                                       /* RDP_NEG_REQ */
    0x00,                                       /* flags */
    0x08, 0x00,                                 /* length 8 */
    0x0b, 0x00, 0x00, 0x00,                     /* SSL | HYBRID | HYBRID_EX */
};

/* Connection Confirm selecting CredSSP. */
static const uint8_t cc_nla[] = {
    0x03, 0x00, 0x00, 0x13, /* TPKT length 19 */
    0x0e,                   /* LI 14 */
    0xd0,                   /* CC TPDU */
    0x00, 0x00, 0x12, 0x34, /* DST-REF, SRC-REF */
    0x00,                   /* class 0 */
    0x02,                   /* RDP_NEG_RSP */
    0x1f,                   /* flags */
    0x08, 0x00,             /* length 8 */
    0x02, 0x00, 0x00, 0x00, /* PROTOCOL_HYBRID */
};

/* Connection Confirm refusing: CredSSP required. */
static const uint8_t cc_fail[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0,
    0x00, 0x00, 0x12, 0x34, 0x00, 0x03, /* RDP_NEG_FAILURE */
    0x00,                               /* flags */
    0x08, 0x00,                         /* length 8 */
    0x05, 0x00, 0x00, 0x00,             /* HYBRID_REQUIRED_BY_SERVER */
};

static wd_rdp_conn_t conn;
static wd_rdp_stats_t st;

static void test_session_nla(void **state) {
  (void)state;
  seed_write("cr", 0, cr, sizeof cr);
  seed_write("cc_nla", 1, cc_nla, sizeof cc_nla);
  memset(&st, 0, sizeof st);
  wd_rdp_conn_init(&conn, &st);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, cr, sizeof cr), WD_OK);
  assert_int_equal(wd_rdp_conn_feed(&conn, 1, cc_nla, sizeof cc_nla), WD_OK);
  const wd_rdp_summary_t *s = wd_rdp_conn_summary(&conn);
  assert_true(s->cr_seen);
  assert_int_equal(s->cookie_kind, WD_RDP_COOKIE_MSTSHASH);
  assert_string_equal(s->cookie, "eltons");
  assert_true(s->neg_req);
  assert_int_equal(s->requested, 0x0b);
  assert_true(s->cc_seen);
  assert_int_equal(s->outcome, WD_RDP_OUTCOME_NEGOTIATED);
  assert_true(s->neg_rsp);
  assert_int_equal(s->selected, WD_RDP_PROTOCOL_HYBRID);
  assert_true(s->nla);
  assert_int_equal(s->anomalies[0], 0);
  assert_int_equal(s->anomalies[1], 0);
  /* then only sizes */
  uint8_t tls[200];
  memset(tls, 0x16, sizeof tls);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, tls, 150), WD_OK);
  wd_rdp_conn_feed(&conn, 1, tls, 200);
  wd_rdp_conn_feed(&conn, 1, tls, 20);
  assert_int_equal(s->after_bytes[0], 150);
  assert_int_equal(s->after_pieces[1], 2);
  assert_int_equal(s->after_bytes[1], 220);
  assert_int_equal(st.requests, 1);
  assert_int_equal(st.confirms, 1);
}

static void test_failure(void **state) {
  (void)state;
  seed_write("cc_fail", 1, cc_fail, sizeof cc_fail);
  memset(&st, 0, sizeof st);
  wd_rdp_conn_init(&conn, &st);
  wd_rdp_conn_feed(&conn, 0, cr, sizeof cr);
  assert_int_equal(wd_rdp_conn_feed(&conn, 1, cc_fail, sizeof cc_fail), WD_OK);
  assert_int_equal(conn.sum.outcome, WD_RDP_OUTCOME_FAILED);
  assert_int_equal(conn.sum.failure_code,
                   WD_RDP_FAIL_HYBRID_REQUIRED_BY_SERVER);
  assert_false(conn.sum.nla);
  assert_int_equal(st.failures, 1);
  assert_string_equal(wd_rdp_failure_name(5), "HYBRID_REQUIRED_BY_SERVER");
}

/* Old clients and servers: no cookie, no negotiation data. */
static void test_legacy(void **state) {
  (void)state;
  static const uint8_t cr0[] = {0x03, 0x00, 0x00, 0x0b, /* TPKT len 11 */
                                0x06, 0xe0, 0,    0,    0, 0, 0};
  static const uint8_t cc0[] = {0x03, 0x00, 0x00, 0x0b, /* TPKT len 11 */
                                0x06, 0xd0, 0,    0,    0x12, 0x34, 0};
  wd_rdp_conn_init(&conn, NULL);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, cr0, sizeof cr0), WD_OK);
  assert_int_equal(wd_rdp_conn_feed(&conn, 1, cc0, sizeof cc0), WD_OK);
  assert_int_equal(conn.sum.cookie_kind, WD_RDP_COOKIE_NONE);
  assert_false(conn.sum.neg_req);
  assert_int_equal(conn.sum.outcome, WD_RDP_OUTCOME_NEGOTIATED);
  assert_false(conn.sum.neg_rsp);
  assert_int_equal(conn.sum.selected, WD_RDP_PROTOCOL_RDP);
  assert_false(conn.sum.nla);
}

static void test_routing_token(void **state) {
  (void)state;
  static const uint8_t tok[] = {
      0x03, 0x00, 0x00, 0x26,              /* TPKT len 38 */
      0x21, 0xe0, 0,    0,    0,   0,   0, /* LI 33, CR */
      'C',  'o',  'o',  'k',  'i', 'e', ':',  ' ',  'm',
      's',  't',  's',  '=',  '1', '2', '3',  '.',  '4',
      '5',  '.',  '0',  '0',  '0', '0', '\r', '\n', /* token */
      0x00, /* one byte more than the structures: trailing junk */
  };
  wd_rdp_summary_t s;
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_rdp_parse(tok, sizeof tok, true, &s), WD_OK);
  assert_int_equal(s.cookie_kind, WD_RDP_COOKIE_TOKEN);
  assert_string_equal(s.cookie, "msts=123.45.0000");
  assert_true(s.anomalies[0] & WD_RDP_ANOM_BAD_NEG);
}

static void test_pieces_every_size(void **state) {
  (void)state;
  for (size_t piece = 1; piece <= sizeof cr; piece++) {
    wd_rdp_conn_init(&conn, NULL);
    wd_rc rc = WD_AGAIN;
    for (size_t i = 0; i < sizeof cr; i += piece) {
      size_t k = sizeof cr - i < piece ? sizeof cr - i : piece;
      rc = wd_rdp_conn_feed(&conn, 0, cr + i, k);
      if (i + k < sizeof cr)
        assert_int_equal(rc, WD_AGAIN);
    }
    assert_int_equal(rc, WD_OK);
    assert_string_equal(conn.sum.cookie, "eltons");
    assert_int_equal(conn.sum.requested, 0x0b);
    assert_int_equal(conn.sum.after_bytes[0], 0);
  }
}

static void test_truncated_and_hostile(void **state) {
  (void)state;
  wd_rdp_summary_t s;
  for (size_t k = 0; k < sizeof cr; k++) {
    uint8_t *copy = malloc(k ? k : 1);
    memcpy(copy, cr, k);
    memset(&s, 0, sizeof s);
    assert_int_equal(wd_rdp_parse(copy, k, true, &s), WD_ERR_TRUNC);
    free(copy);
  }
  uint8_t x[sizeof cr];
  /* LI larger than the TPKT */
  memcpy(x, cr, sizeof x);
  x[4] = 0x60;
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_rdp_parse(x, sizeof x, true, &s), WD_ERR_INVAL);
  assert_true(s.anomalies[0] & WD_RDP_ANOM_BAD_LENGTH);
  /* cookie without CR LF: runs to the end, flagged */
  memcpy(x, cr, sizeof x);
  x[34] = 'x';
  memset(&s, 0, sizeof s);
  wd_rdp_parse(x, sizeof x, true, &s);
  assert_true(s.anomalies[0] & WD_RDP_ANOM_BAD_COOKIE);
  /* negotiation length 9 */
  memcpy(x, cr, sizeof x);
  x[38] = 9;
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_rdp_parse(x, sizeof x, true, &s), WD_OK);
  assert_true(s.anomalies[0] & WD_RDP_ANOM_BAD_NEG);
  assert_false(s.neg_req);
  /* a confirm where a request belongs */
  memset(&s, 0, sizeof s);
  assert_int_equal(wd_rdp_parse(cc_nla, sizeof cc_nla, true, &s), WD_ERR_INVAL);
  assert_true(s.anomalies[0] & WD_RDP_ANOM_NOT_RDP);
  /* server selecting what was not requested */
  memset(&s, 0, sizeof s);
  memcpy(x, cr, sizeof x);
  x[40] = 0x01; /* requested SSL only */
  wd_rdp_parse(x, sizeof x, true, &s);
  wd_rdp_parse(cc_nla, sizeof cc_nla, false, &s);
  assert_true(s.anomalies[1] & WD_RDP_ANOM_UNREQUESTED);
}

static void test_not_rdp_and_gaps(void **state) {
  (void)state;
  memset(&st, 0, sizeof st);
  wd_rdp_conn_init(&conn, &st);
  assert_int_equal(
      wd_rdp_conn_feed(&conn, 0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16),
      WD_ERR_INVAL);
  assert_true(conn.sum.anomalies[0] & WD_RDP_ANOM_NOT_RDP);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, cr, sizeof cr), WD_END);
  assert_int_equal(st.not_rdp, 1);
  /* TPKT length 4 */
  static const uint8_t tiny[] = {0x03, 0x00, 0x00, 0x04};
  wd_rdp_conn_init(&conn, NULL);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, tiny, 4), WD_ERR_INVAL);
  assert_true(conn.sum.anomalies[0] & WD_RDP_ANOM_BAD_LENGTH);
  /* a TPKT of 2000 bytes: parsed from its prefix, rest skipped */
  static uint8_t big[2000];
  memcpy(big, cr, sizeof cr);
  big[2] = 0x07, big[3] = 0xd0;
  wd_rdp_conn_init(&conn, NULL);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, big, 1000), WD_AGAIN);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, big + 1000, 1000), WD_OK);
  assert_true(conn.sum.anomalies[0] & WD_RDP_ANOM_TOO_BIG);
  assert_string_equal(conn.sum.cookie, "eltons");
  /* gap before the first TPKT completes */
  wd_rdp_conn_init(&conn, NULL);
  wd_rdp_conn_feed(&conn, 0, cr, 10);
  wd_rdp_conn_gap(&conn, 0, 5);
  assert_true(conn.sum.anomalies[0] & WD_RDP_ANOM_GAP);
  assert_int_equal(wd_rdp_conn_feed(&conn, 0, cr + 15, 5), WD_END);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_session_nla),
      cmocka_unit_test(test_failure),
      cmocka_unit_test(test_legacy),
      cmocka_unit_test(test_routing_token),
      cmocka_unit_test(test_pieces_every_size),
      cmocka_unit_test(test_truncated_and_hostile),
      cmocka_unit_test(test_not_rdp_and_gaps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
