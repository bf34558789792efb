/* kerberos_test.c -- tests of src/proto/kerberos.c: AS-REQ with
 * pre-authentication and etypes, KRB-ERROR PREAUTH_FAILED with cname and
 * realms, AS-REP with its ticket realm and enc-part etype, truncation at
 * every byte (fields before the cut kept), hostile DER (indefinite and
 * over-long lengths, long tags, wrong types, wrong outer tag), TCP framing
 * over pieces of every size, messages over the prefix, bad frames. The
 * messages were built by a small DER encoder; each element is commented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/kerberos.h"
#include "proto/seed.h"

static const uint8_t as_req[] = {
    0x6a, 0x81, 0xba, /* AS-REQ [APPLICATION 10] */
    0x30, 0x81, 0xb7, /* SEQUENCE */
    0xa1, 0x03,       /* [1] pvno */
    0x02, 0x01,       /* pvno INTEGER 5 */
    0x05, 0xa2, 0x03, /* [2] msg-type */
    0x02, 0x01,       /* msg-type INTEGER 10 */
    0x0a, 0xa3, 0x25, /* [3] padata */
    0x30, 0x23,       /* SEQUENCE OF PA-DATA */
    0x30, 0x0e,       /* PA-DATA */
    0xa1, 0x03,       /* [1]  */
    0x02, 0x01,       /* padata-type PA-ENC-TIMESTAMP INTEGER 2 */
    0x02, 0xa2, 0x07, /* [2]  */
    0x04, 0x05,       /* padata-value OCTET STRING */
    0x30, 0x03, 0x02, 0x01, 0x12, 0x30, 0x11, /* PA-DATA */
    0xa1, 0x04,                               /* [1]  */
    0x02, 0x02,             /* padata-type PA-PAC-REQUEST INTEGER 128 */
    0x00, 0x80, 0xa2, 0x09, /* [2]  */
    0x04, 0x07,             /* padata-value OCTET STRING */
    0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff, 0xa4, 0x81, 0x83, /* [4] req-body
                                                                 */
    0x30, 0x81, 0x80,                         /* KDC-REQ-BODY */
    0xa0, 0x07,                               /* [0] kdc-options */
    0x03, 0x05,                               /* kdc-options BIT STRING */
    0x00, 0x40, 0x81, 0x00, 0x10, 0xa1, 0x12, /* [1] cname */
    0x30, 0x10,                               /* cname PrincipalName */
    0xa0, 0x03,                               /* [0]  */
    0x02, 0x01,                               /* name-type INTEGER 1 */
    0x01, 0xa1, 0x09,                         /* [1] name-string */
    0x30, 0x07,                               /* SEQUENCE OF */
    0x1b, 0x05, /* component GeneralString "Alice" */
    0x41, 0x6c, 0x69, 0x63, 0x65, 0xa2, 0x12, /* [2] realm */
    0x1b, 0x10, /* realm GeneralString "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d, 0x50, 0x4c,
    0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa3, 0x25, /* [3] sname */
    0x30, 0x23,                               /* sname PrincipalName */
    0xa0, 0x03,                               /* [0]  */
    0x02, 0x01,                               /* name-type INTEGER 2 */
    0x02, 0xa1, 0x1c,                         /* [1] name-string */
    0x30, 0x1a,                               /* SEQUENCE OF */
    0x1b, 0x06, /* component GeneralString "krbtgt" */
    0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x10, /* component GeneralString
                                                       "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d, 0x50, 0x4c,
    0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa5, 0x11, /* [5] till */
    0x18, 0x0f, /* KerberosTime "20370913024805Z" */
    0x32, 0x30, 0x33, 0x37, 0x30, 0x39, 0x31, 0x33, 0x30, 0x32, 0x34,
    0x38, 0x30, 0x35, 0x5a, 0xa7, 0x06, /* [7] nonce */
    0x02, 0x04,                         /* nonce INTEGER 123456789 */
    0x07, 0x5b, 0xcd, 0x15, 0xa8, 0x0b, /* [8] etype */
    0x30, 0x09,                         /* SEQUENCE OF Int32 */
    0x02, 0x01,                         /* etype aes256 INTEGER 18 */
    0x12, 0x02, 0x01,                   /* etype aes128 INTEGER 17 */
    0x11, 0x02, 0x01,                   /* etype rc4-hmac INTEGER 23 */
    0x17,
};
/* 189 bytes */
static const uint8_t krb_error[] = {
    0x7e, 0x81, 0x8e, /* KRB-ERROR [APPLICATION 30] */
    0x30, 0x81, 0x8b, /* SEQUENCE */
    0xa0, 0x03,       /* [0] pvno */
    0x02, 0x01,       /* pvno INTEGER 5 */
    0x05, 0xa1, 0x03, /* [1] msg-type */
    0x02, 0x01,       /* msg-type INTEGER 30 */
    0x1e, 0xa4, 0x11, /* [4] stime */
    0x18, 0x0f,       /* KerberosTime "20260102030405Z" */
    0x32, 0x30, 0x32, 0x36, 0x30, 0x31, 0x30, 0x32, 0x30,
    0x33, 0x30, 0x34, 0x30, 0x35, 0x5a, 0xa5, 0x04, /* [5] susec */
    0x02, 0x02,                                     /* susec INTEGER 1234 */
    0x04, 0xd2, 0xa6, 0x03,                         /* [6] error-code */
    0x02, 0x01,       /* error-code KDC_ERR_PREAUTH_FAILED INTEGER 24 */
    0x18, 0xa7, 0x12, /* [7] crealm */
    0x1b, 0x10,       /* crealm GeneralString "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa8, 0x12, /* [8] cname */
    0x30, 0x10,       /* cname PrincipalName */
    0xa0, 0x03,       /* [0]  */
    0x02, 0x01,       /* name-type INTEGER 1 */
    0x01, 0xa1, 0x09, /* [1] name-string */
    0x30, 0x07,       /* SEQUENCE OF */
    0x1b, 0x05,       /* component GeneralString "alice" */
    0x61, 0x6c, 0x69, 0x63, 0x65, 0xa9, 0x12, /* [9] realm */
    0x1b, 0x10, /* realm GeneralString "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47, 0xaa, 0x25, /* [10] sname */
    0x30, 0x23,       /* sname PrincipalName */
    0xa0, 0x03,       /* [0]  */
    0x02, 0x01,       /* name-type INTEGER 2 */
    0x02, 0xa1, 0x1c, /* [1] name-string */
    0x30, 0x1a,       /* SEQUENCE OF */
    0x1b, 0x06,       /* component GeneralString "krbtgt" */
    0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x10, /* component GeneralString
                                                       "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47,
};
/* 145 bytes */
static const uint8_t as_rep[] = {
    0x6b, 0x81, 0xc2, /* AS-REP [APPLICATION 11] */
    0x30, 0x81, 0xbf, /* SEQUENCE */
    0xa0, 0x03,       /* [0] pvno */
    0x02, 0x01,       /* pvno INTEGER 5 */
    0x05, 0xa1, 0x03, /* [1] msg-type */
    0x02, 0x01,       /* msg-type INTEGER 11 */
    0x0b, 0xa3, 0x12, /* [3] crealm */
    0x1b, 0x10,       /* crealm GeneralString "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa4, 0x12, /* [4] cname */
    0x30, 0x10,       /* cname PrincipalName */
    0xa0, 0x03,       /* [0]  */
    0x02, 0x01,       /* name-type INTEGER 1 */
    0x01, 0xa1, 0x09, /* [1] name-string */
    0x30, 0x07,       /* SEQUENCE OF */
    0x1b, 0x05,       /* component GeneralString "alice" */
    0x61, 0x6c, 0x69, 0x63, 0x65, 0xa5, 0x6e, /* [5] ticket */
    0x61, 0x6c,                               /* Ticket [APPLICATION 1] */
    0x30, 0x6a,                               /* SEQUENCE */
    0xa0, 0x03,                               /* [0]  */
    0x02, 0x01,                               /* tkt-vno INTEGER 5 */
    0x05, 0xa1, 0x12,                         /* [1]  */
    0x1b, 0x10, /* realm GeneralString "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa2, 0x25, /* [2]  */
    0x30, 0x23,       /* sname PrincipalName */
    0xa0, 0x03,       /* [0]  */
    0x02, 0x01,       /* name-type INTEGER 2 */
    0x02, 0xa1, 0x1c, /* [1] name-string */
    0x30, 0x1a,       /* SEQUENCE OF */
    0x1b, 0x06,       /* component GeneralString "krbtgt" */
    0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x10, /* component GeneralString
                                                       "CORP.EXAMPLE.ORG" */
    0x43, 0x4f, 0x52, 0x50, 0x2e, 0x45, 0x58, 0x41, 0x4d,
    0x50, 0x4c, 0x45, 0x2e, 0x4f, 0x52, 0x47, 0xa3, 0x28, /* [3]  */
    0x30, 0x26,                                           /* EncryptedData */
    0xa0, 0x03,                                           /* [0]  */
    0x02, 0x01,                                           /* etype INTEGER 18 */
    0x12, 0xa1, 0x03,                                     /* [1]  */
    0x02, 0x01,                                           /* kvno INTEGER 2 */
    0x02, 0xa2, 0x1a,                                     /* [2]  */
    0x04, 0x18, /* cipher OCTET STRING */
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xa6, 0x1b, /* [6] enc-part */
    0x30, 0x19,                                     /* EncryptedData */
    0xa0, 0x03,                                     /* [0]  */
    0x02, 0x01,       /* etype rc4-hmac INTEGER 23 */
    0x17, 0xa2, 0x12, /* [2]  */
    0x04, 0x10,       /* cipher OCTET STRING */
    0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
    0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
};
/* 197 bytes */

static wd_krb_msg_t m;
static wd_krb_stats_t st;

static void test_as_req(void **state) {
  (void)state;
  seed_write("as_req", 0, as_req, sizeof as_req);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_krb_parse(as_req, sizeof as_req, &m, &st), WD_OK);
  assert_int_equal(m.msg_type, WD_KRB_AS_REQ);
  assert_int_equal(m.pvno, 5);
  assert_true(m.has_cname);
  assert_string_equal(m.cname, "Alice");
  assert_int_equal(m.cname_type, 1);
  assert_string_equal(m.realm, "CORP.EXAMPLE.ORG");
  assert_string_equal(m.crealm, "CORP.EXAMPLE.ORG");
  assert_string_equal(m.sname, "krbtgt/CORP.EXAMPLE.ORG");
  assert_int_equal(m.n_padata, 2);
  assert_int_equal(m.padata[0], WD_KRB_PA_ENC_TIMESTAMP);
  assert_int_equal(m.padata[1], WD_KRB_PA_PAC_REQUEST);
  assert_true(m.pa_enc_timestamp);
  assert_int_equal(m.n_etypes, 3);
  assert_int_equal(m.etypes[2], 23);
  assert_int_equal(m.anomalies, 0);
  assert_int_equal(st.requests, 1);
  assert_string_equal(wd_krb_msg_name(m.msg_type), "AS-REQ");
}

static void test_krb_error(void **state) {
  (void)state;
  seed_write("krb_error", 0, krb_error, sizeof krb_error);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_krb_parse(krb_error, sizeof krb_error, &m, &st), WD_OK);
  assert_int_equal(m.msg_type, WD_KRB_ERROR);
  assert_true(m.has_error);
  assert_int_equal(m.error_code, WD_KRB_ERR_PREAUTH_FAILED);
  assert_string_equal(wd_krb_error_name(m.error_code),
                      "KDC_ERR_PREAUTH_FAILED");
  assert_string_equal(m.cname, "alice");
  assert_string_equal(m.crealm, "CORP.EXAMPLE.ORG");
  assert_string_equal(m.realm, "CORP.EXAMPLE.ORG");
  assert_string_equal(m.sname, "krbtgt/CORP.EXAMPLE.ORG");
  assert_int_equal(m.anomalies, 0);
  assert_int_equal(st.errors, 1);
}

static void test_as_rep(void **state) {
  (void)state;
  seed_write("as_rep", 0, as_rep, sizeof as_rep);
  assert_int_equal(wd_krb_parse(as_rep, sizeof as_rep, &m, NULL), WD_OK);
  assert_int_equal(m.msg_type, WD_KRB_AS_REP);
  assert_string_equal(m.crealm, "CORP.EXAMPLE.ORG");
  assert_string_equal(m.cname, "alice");
  assert_string_equal(m.realm, "CORP.EXAMPLE.ORG");
  assert_true(m.has_enc_etype);
  assert_int_equal(m.enc_etype, 23);
  assert_int_equal(m.anomalies, 0);
}

static void test_truncated_every_byte(void **state) {
  (void)state;
  const struct {
    const uint8_t *p;
    size_t n;
  } msgs[] = {{as_req, sizeof as_req},
              {krb_error, sizeof krb_error},
              {as_rep, sizeof as_rep}};
  for (size_t k = 0; k < 3; k++)
    for (size_t n = 0; n < msgs[k].n; n++) {
      uint8_t *copy = malloc(n ? n : 1);
      memcpy(copy, msgs[k].p, n);
      wd_rc rc = wd_krb_parse(copy, n, &m, NULL);
      assert_true(rc == WD_ERR_TRUNC || rc == WD_ERR_INVAL);
      free(copy);
    }
  /* fields before the cut are kept: the error code comes before the
   * names */
  assert_int_equal(wd_krb_parse(krb_error, 60, &m, NULL), WD_ERR_TRUNC);
  assert_true(m.has_error);
  assert_int_equal(m.error_code, 24);
  assert_true(m.anomalies & WD_KRB_ANOM_TRUNCATED);
}

static void test_hostile_der(void **state) {
  (void)state;
  uint8_t x[sizeof krb_error];
  /* indefinite length on the outer element */
  memcpy(x, krb_error, sizeof x);
  x[1] = 0x80;
  assert_int_equal(wd_krb_parse(x, sizeof x, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_KRB_ANOM_BAD_DER);
  /* a 5-byte length */
  x[1] = 0x85;
  assert_int_equal(wd_krb_parse(x, sizeof x, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_KRB_ANOM_BAD_DER);
  /* a SEQUENCE where the APPLICATION tag belongs */
  memcpy(x, krb_error, sizeof x);
  x[0] = 0x30;
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_krb_parse(x, sizeof x, &m, &st), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_KRB_ANOM_NOT_KRB);
  assert_int_equal(st.not_krb, 1);
  /* high tag number form running 5 bytes */
  static const uint8_t longtag[] = {0x7f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00};
  assert_int_equal(wd_krb_parse(longtag, sizeof longtag, &m, NULL),
                   WD_ERR_INVAL);
  assert_true(m.anomalies & WD_KRB_ANOM_BAD_DER);
  /* a declared length of 2^31 */
  static const uint8_t huge[] = {0x6a, 0x84, 0x80, 0x00, 0x00, 0x00, 0x30};
  assert_int_equal(wd_krb_parse(huge, sizeof huge, &m, NULL), WD_ERR_INVAL);
  /* msg-type 11 inside a KRB-ERROR, pvno 4 */
  memcpy(x, krb_error, sizeof x);
  x[15] = 11; /* msg-type value */
  x[10] = 4;  /* pvno value */
  assert_int_equal(wd_krb_parse(x, sizeof x, &m, NULL), WD_OK);
  assert_true(m.anomalies & WD_KRB_ANOM_BAD_FIELD);
  /* the error-code INTEGER turned into an OCTET STRING */
  memcpy(x, krb_error, sizeof x);
  for (size_t i = 0; i + 2 < sizeof x; i++)
    if (x[i] == 0xa6) { /* [6] error-code */
      x[i + 2] = 0x04;
      break;
    }
  assert_int_equal(wd_krb_parse(x, sizeof x, &m, NULL), WD_OK);
  assert_false(m.has_error);
  assert_true(m.anomalies & WD_KRB_ANOM_BAD_FIELD);
}

/* ---- TCP -------------------------------------------------------------- */

typedef struct got {
  unsigned n;
  uint8_t type[8];
  wd_rc rc[8];
  uint32_t anom[8];
  int32_t err[8];
  char cname[8][WD_KRB_NAME_MAX];
} got;

static void collect(void *user, const wd_krb_msg_t *msg, wd_rc rc) {
  got *g = user;
  if (g->n < 8) {
    g->type[g->n] = msg->msg_type;
    g->rc[g->n] = rc;
    g->anom[g->n] = msg->anomalies;
    g->err[g->n] = msg->error_code;
    memcpy(g->cname[g->n], msg->cname, WD_KRB_NAME_MAX);
    g->n++;
  }
}

static size_t frame(uint8_t *out, const uint8_t *p, size_t n) {
  out[0] = (uint8_t)(n >> 24), out[1] = (uint8_t)(n >> 16);
  out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
  memcpy(out + 4, p, n);
  return n + 4;
}

static wd_krb_tcp_t tcp;

static void test_tcp_pieces(void **state) {
  (void)state;
  uint8_t s[600];
  size_t n = frame(s, as_req, sizeof as_req);
  n += frame(s + n, krb_error, sizeof krb_error);
  seed_write("tcp_req_error", 1 | (10 << 1), s, n);
  for (size_t piece = 1; piece <= n; piece++) {
    got g = {0};
    wd_krb_tcp_init(&tcp, NULL);
    wd_rc rc = WD_OK;
    for (size_t i = 0; i < n; i += piece)
      rc = wd_krb_tcp_feed(&tcp, s + i, n - i < piece ? n - i : piece, &m,
                           collect, &g);
    assert_int_equal(rc, WD_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.type[0], WD_KRB_AS_REQ);
    assert_int_equal(g.type[1], WD_KRB_ERROR);
    assert_int_equal(g.err[1], 24);
  }
}

/* A reply with a 6000-byte ticket: read from its prefix (cname, crealm
 * come first), the rest skipped, the next message found. */
static void test_tcp_over_prefix(void **state) {
  (void)state;
  static uint8_t rep[6200], s[6400];
  size_t o = 0;
  rep[o++] = 0x6b, rep[o++] = 0x82, o += 2; /* AS-REP, 2-byte length */
  rep[o++] = 0x30, rep[o++] = 0x82, o += 2; /* SEQUENCE */
  /* [0] pvno 5, [1] msg-type 11 */
  static const uint8_t head[] = {0xa0, 0x03, 0x02, 0x01, 0x05,
                                 0xa1, 0x03, 0x02, 0x01, 0x0b};
  memcpy(rep + o, head, sizeof head);
  o += sizeof head;
  /* [3] crealm and [4] cname copied from as_rep (they follow its header:
   * 4 + 3 + 5 + 5 bytes in) */
  size_t names_at = 3 + 3 + 5 + 5, names_len = 20 + 20;
  memcpy(rep + o, as_rep + names_at, names_len);
  o += names_len;
  /* [5] ticket: an OCTET STRING of 6000 bytes stands in for it */
  rep[o++] = 0xa5, rep[o++] = 0x82, rep[o++] = 0x17, rep[o++] = 0x74;
  rep[o++] = 0x04, rep[o++] = 0x82, rep[o++] = 0x17, rep[o++] = 0x70;
  memset(rep + o, 0xcc, 6000);
  o += 6000;
  size_t seq_len = o - 8, app_len = o - 4;
  rep[2] = (uint8_t)(app_len >> 8), rep[3] = (uint8_t)app_len;
  rep[6] = (uint8_t)(seq_len >> 8), rep[7] = (uint8_t)seq_len;
  /* the whole message parses */
  assert_int_equal(wd_krb_parse(rep, o, &m, NULL), WD_OK);
  assert_string_equal(m.cname, "alice");
  size_t n = frame(s, rep, o);
  n += frame(s + n, krb_error, sizeof krb_error);
  for (size_t piece = 700; piece <= 2100; piece += 700) {
    got g = {0};
    memset(&st, 0, sizeof st);
    wd_krb_tcp_init(&tcp, &st);
    for (size_t i = 0; i < n; i += piece)
      wd_krb_tcp_feed(&tcp, s + i, n - i < piece ? n - i : piece, &m, collect,
                      &g);
    assert_int_equal(g.n, 2);
    assert_true(g.anom[0] & WD_KRB_ANOM_CUT);
    assert_int_equal(g.rc[0], WD_ERR_TRUNC);
    assert_string_equal(g.cname[0], "alice");
    assert_int_equal(g.type[1], WD_KRB_ERROR);
    assert_int_equal(st.tcp_cut, 1);
  }
}

static void test_tcp_bad_frames(void **state) {
  (void)state;
  static const uint8_t reserved[] = {0x80, 0x00, 0x00, 0x10, 0x6a};
  got g = {0};
  memset(&st, 0, sizeof st);
  wd_krb_tcp_init(&tcp, &st);
  assert_int_equal(
      wd_krb_tcp_feed(&tcp, reserved, sizeof reserved, &m, collect, &g),
      WD_ERR_STATE);
  assert_int_equal(g.n, 1);
  assert_true(g.anom[0] & WD_KRB_ANOM_BAD_FRAME);
  assert_int_equal(st.tcp_stopped, 1);
  /* gap */
  wd_krb_tcp_init(&tcp, NULL);
  uint8_t s[300];
  size_t n = frame(s, as_req, sizeof as_req);
  wd_krb_tcp_feed(&tcp, s, 10, &m, collect, &g);
  wd_krb_tcp_gap(&tcp);
  assert_int_equal(wd_krb_tcp_feed(&tcp, s + 10, n - 10, &m, collect, &g),
                   WD_ERR_STATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_as_req),
      cmocka_unit_test(test_krb_error),
      cmocka_unit_test(test_as_rep),
      cmocka_unit_test(test_truncated_every_byte),
      cmocka_unit_test(test_hostile_der),
      cmocka_unit_test(test_tcp_pieces),
      cmocka_unit_test(test_tcp_over_prefix),
      cmocka_unit_test(test_tcp_bad_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
