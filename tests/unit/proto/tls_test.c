/* tls_test.c -- tests of src/proto/tls.c: a ClientHello's fields (GREASE,
 * SNI, ALPN, supported_versions), the same hello in pieces of every size
 * and split over records, ServerHello and HelloRetryRequest, truncation at
 * every byte, hostile lengths, invalid host names, non-TLS starts, the
 * size cap, interleaved records, the direction being done afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/seed.h"
#include "proto/tls.h"

/* A TLS 1.3 ClientHello in one record (as a browser sends it, shortened). */
static const uint8_t client_hello[] = {
    0x16, 0x03, 0x01, 0x00, 0x9a, /* record: handshake, TLS 1.0, len 154 */
    0x01, 0x00, 0x00, 0x96,       /* ClientHello, len 150 */
    0x03, 0x03,                   /* legacy_version TLS 1.2 */
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, /* random */
    0x20, /* session id length 32 */
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, /* id */
    0x00, 0x0c,             /* cipher suites: 12 bytes */
    0x0a, 0x0a,             /* GREASE */
    0x13, 0x01, 0x13, 0x02, /* TLS_AES_128_GCM_SHA256, _256_GCM_SHA384 */
    0x13, 0x03,             /* TLS_CHACHA20_POLY1305_SHA256 */
    0xc0, 0x2b, 0xc0, 0x2f, /* ECDHE_ECDSA/RSA_AES_128_GCM */
    0x01, 0x00,             /* compression: 1 method, null */
    0x00, 0x41,             /* extensions: 65 bytes */
    0x3a, 0x3a, 0x00, 0x00, /* GREASE extension, empty */
    0x00, 0x00, 0x00, 0x14, /* server_name, len 20 */
    0x00, 0x12,             /* server_name_list len 18 */
    0x00, 0x00, 0x0f,       /* host_name, len 15 */
    'w',  'w',  'w',  '.',  'E',  'x',  'a',  'm',  'p',  'l',  'e',
    '.',  'c',  'o',  'm',  0x00, 0x10, 0x00, 0x0e, /* ALPN, len 14 */
    0x00, 0x0c,      /* protocol_name_list len 12 */
    0x02, 'h',  '2', /* "h2" */
    0x08, 'h',  't',  't',  'p',  '/',  '1',  '.',  '1', /* "http/1.1" */
    0x00, 0x2b, 0x00, 0x07,             /* supported_versions, len 7 */
    0x06,                               /* 6 bytes of versions */
    0x4a, 0x4a, 0x03, 0x04, 0x03, 0x03, /* GREASE, TLS 1.3, TLS 1.2 */
    0x00, 0x0a, 0x00, 0x04,             /* supported_groups, len 4 */
    0x00, 0x02, 0x00, 0x1d,             /* x25519 */
};

/* Offsets into client_hello for the hostile variants. */
#define CH_SESSION_LEN 43
#define CH_CIPHERS_LEN 76
#define CH_EXT_LEN 92
#define CH_SNI_NAME 107

/* A TLS 1.3 ServerHello. */
static const uint8_t server_hello[] = {
    0x16, 0x03, 0x03, 0x00, 0x5a, /* record: handshake, len 90 */
    0x02, 0x00, 0x00, 0x56,       /* ServerHello, len 86 */
    0x03, 0x03,                   /* legacy_version */
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, /* random */
    0x20, /* session id echoed: 32 */
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, /* id */
    0x13, 0x01,                         /* TLS_AES_128_GCM_SHA256 */
    0x00,                               /* compression null */
    0x00, 0x0e,                         /* extensions: 14 bytes */
    0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, /* supported_versions: TLS 1.3 */
    0x00, 0x33, 0x00, 0x04,             /* key_share, len 4 */
    0x00, 0x1d, 0x00, 0x00,             /* x25519, empty key (test) */
};
#define SH_RANDOM 11

static wd_tls_dir_t dir;
static wd_tls_hello_t h;
static wd_tls_stats_t st;

static void check_client(const wd_tls_hello_t *x) {
  assert_int_equal(x->hs_type, WD_TLS_HS_CLIENT_HELLO);
  assert_int_equal(x->record_version, 0x0301);
  assert_int_equal(x->legacy_version, 0x0303);
  assert_int_equal(x->version, 0x0304); /* GREASE 0x4a4a ignored */
  assert_int_equal(x->session_id_len, 32);
  assert_int_equal(x->n_ciphers, 6);
  assert_int_equal(x->ciphers[0], 0x0a0a);
  assert_int_equal(x->ciphers[5], 0xc02f);
  assert_int_equal(x->n_compression, 1);
  assert_int_equal(x->n_exts, 5);
  assert_int_equal(x->exts[0], 0x3a3a);
  assert_int_equal(x->exts[1], WD_TLS_EXT_SERVER_NAME);
  assert_int_equal(x->exts[4], 10);
  assert_true(x->has_sni);
  assert_string_equal(x->sni, "www.example.com");
  assert_int_equal(x->n_alpn, 2);
  assert_string_equal(x->alpn[0], "h2");
  assert_string_equal(x->alpn[1], "http/1.1");
  assert_int_equal(x->n_versions, 3);
  assert_int_equal(x->anomalies, 0);
}

static void test_client_hello(void **state) {
  (void)state;
  memset(&st, 0, sizeof st);
  seed_write("client_hello", 0, client_hello, sizeof client_hello);
  wd_tls_dir_init(&dir, &st);
  assert_int_equal(wd_tls_dir_feed(&dir, client_hello, sizeof client_hello, &h),
                   WD_OK);
  check_client(&h);
  assert_int_equal(st.client_hellos, 1);
  /* done: later bytes are not read */
  assert_int_equal(wd_tls_dir_feed(&dir, client_hello, 10, &h), WD_END);
  assert_true(wd_tls_is_grease(0xfafa));
  assert_false(wd_tls_is_grease(0x0a1a));
  assert_string_equal(wd_tls_version_name(0x0304), "TLS 1.3");
}

static void test_pieces_every_size(void **state) {
  (void)state;
  size_t n = sizeof client_hello;
  for (size_t piece = 1; piece < n; piece++) {
    wd_tls_dir_init(&dir, NULL);
    wd_rc rc = WD_AGAIN;
    for (size_t i = 0; i < n; i += piece) {
      size_t k = n - i < piece ? n - i : piece;
      rc = wd_tls_dir_feed(&dir, client_hello + i, k, &h);
      if (i + k < n)
        assert_int_equal(rc, WD_AGAIN);
    }
    assert_int_equal(rc, WD_OK);
    check_client(&h);
  }
}

/* The hello split over three records (RFC 8446 5.1 allows fragmenting
 * handshake messages across records), the first cut inside the handshake
 * header. */
static void test_split_over_records(void **state) {
  (void)state;
  const uint8_t *hs = client_hello + 5;
  size_t hs_len = sizeof client_hello - 5;
  size_t cuts[3] = {2, 60, hs_len - 62};
  uint8_t stream[400];
  size_t o = 0, at = 0;
  for (int r = 0; r < 3; r++) {
    stream[o++] = 0x16, stream[o++] = 0x03, stream[o++] = 0x03;
    stream[o++] = (uint8_t)(cuts[r] >> 8), stream[o++] = (uint8_t)cuts[r];
    memcpy(stream + o, hs + at, cuts[r]);
    o += cuts[r], at += cuts[r];
  }
  seed_write("client_hello_3_records", 0, stream, o);
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, stream, o, &h), WD_OK);
  assert_string_equal(h.sni, "www.example.com");
  assert_int_equal(h.record_version, 0x0303);
  assert_int_equal(h.n_ciphers, 6);
}

static void test_truncated_every_byte(void **state) {
  (void)state;
  const uint8_t *hs = client_hello + 5;
  size_t n = sizeof client_hello - 5;
  for (size_t k = 0; k < n; k++) {
    uint8_t *copy = malloc(k ? k : 1);
    memcpy(copy, hs, k);
    assert_int_equal(wd_tls_parse_hello(copy, k, &h), WD_ERR_TRUNC);
    free(copy);
  }
  /* a stream that stops early is still waiting */
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, client_hello, 100, &h), WD_AGAIN);
  wd_tls_dir_gap(&dir);
  assert_int_equal(wd_tls_dir_feed(&dir, client_hello + 100, 10, &h), WD_END);
}

/* Inner lengths that lie: each is refused with BAD_LENGTH, none is read
 * past its parent. */
static void test_hostile_lengths(void **state) {
  (void)state;
  uint8_t x[sizeof client_hello];
  struct {
    size_t at;
    uint8_t v;
  } cases[] = {
      {CH_SESSION_LEN, 33},     /* session id > 32 */
      {CH_CIPHERS_LEN + 1, 11}, /* odd cipher suite bytes */
      {CH_CIPHERS_LEN, 0xff},   /* cipher suites past the message */
      {CH_EXT_LEN + 1, 0x42},   /* extensions one byte past */
      {CH_EXT_LEN + 11, 0x13},  /* server_name_list 19 > its 18 bytes */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memcpy(x, client_hello, sizeof x);
    x[cases[i].at] = cases[i].v;
    memset(&st, 0, sizeof st);
    wd_tls_dir_init(&dir, &st);
    assert_int_equal(wd_tls_dir_feed(&dir, x, sizeof x, &h), WD_ERR_INVAL);
    assert_true(h.anomalies & WD_TLS_ANOM_BAD_LENGTH);
    assert_int_equal(st.malformed, 1);
  }
}

static void test_sni_invalid(void **state) {
  (void)state;
  uint8_t x[sizeof client_hello];
  /* a NUL inside the name: escaped in the text, flagged */
  memcpy(x, client_hello, sizeof x);
  x[CH_SNI_NAME + 3] = 0x00;
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, x, sizeof x, &h), WD_OK);
  assert_true(h.anomalies & WD_TLS_ANOM_SNI_INVALID);
  assert_string_equal(h.sni, "www\\000example.com");
  /* a trailing dot (RFC 6066: not allowed) */
  memcpy(x, client_hello, sizeof x);
  x[CH_SNI_NAME + 14] = '.';
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, x, sizeof x, &h), WD_OK);
  assert_true(h.anomalies & WD_TLS_ANOM_SNI_INVALID);
  /* an empty label */
  memcpy(x, client_hello, sizeof x);
  x[CH_SNI_NAME + 4] = '.';
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, x, sizeof x, &h), WD_OK);
  assert_true(h.anomalies & WD_TLS_ANOM_SNI_INVALID);
  /* the original passes */
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, client_hello, sizeof client_hello, &h),
                   WD_OK);
  assert_false(h.anomalies & WD_TLS_ANOM_SNI_INVALID);
}

static void test_duplicate_extension(void **state) {
  (void)state;
  uint8_t x[sizeof client_hello];
  memcpy(x, client_hello, sizeof x);
  /* turn supported_groups (10) into a second ALPN (16)... with wrong
   * content, but the duplicate is what is checked */
  x[sizeof x - 8 + 1] = 0x10;
  wd_tls_dir_init(&dir, NULL);
  wd_tls_dir_feed(&dir, x, sizeof x, &h);
  assert_true(h.anomalies & WD_TLS_ANOM_DUP_EXT);
}

static void test_not_tls(void **state) {
  (void)state;
  static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  memset(&st, 0, sizeof st);
  wd_tls_dir_init(&dir, &st);
  assert_int_equal(wd_tls_dir_feed(&dir, http, sizeof http - 1, &h),
                   WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_NOT_TLS);
  assert_int_equal(st.not_tls, 1);
  /* SSL 2.0 compatible ClientHello: 2-byte header with the top bit set,
   * then msg_type 1 */
  static const uint8_t v2[] = {
      0x80, 0x2e, /* length 46, no padding */
      0x01,       /* CLIENT-HELLO */
      0x03, 0x01, /* version */
  };
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, v2, sizeof v2, &h), WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_SSLV2);
  /* a handshake record whose first message is a Certificate (11) */
  static const uint8_t cert[] = {0x16, 0x03, 0x03, 0x00, 0x04,
                                 0x0b, 0x00, 0x00, 0x00};
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, cert, sizeof cert, &h), WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_NOT_HELLO);
}

static void test_size_caps(void **state) {
  (void)state;
  /* a handshake message announcing 64 KiB: refused without buffering */
  static const uint8_t big[] = {
      0x16, 0x03, 0x01, 0x40, 0x00, /* record len 16384 */
      0x01, 0x01, 0x00, 0x00,       /* ClientHello, len 65536 */
  };
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, big, sizeof big, &h), WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_TOO_BIG);
  /* a record longer than TLS allows */
  static const uint8_t rec[] = {0x16, 0x03, 0x01, 0x48, 0x01};
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, rec, sizeof rec, &h), WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_BAD_RECORD);
}

static void test_interleaved(void **state) {
  (void)state;
  uint8_t stream[64];
  memcpy(stream, client_hello, 5);
  stream[4] = 20; /* record of 20 bytes: part of the hello */
  memcpy(stream + 5, client_hello + 5, 20);
  static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
  memcpy(stream + 25, alert, sizeof alert);
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, stream, 25 + sizeof alert, &h),
                   WD_ERR_INVAL);
  assert_true(h.anomalies & WD_TLS_ANOM_INTERLEAVED);
}

static void test_server_hello(void **state) {
  (void)state;
  seed_write("server_hello", 0, server_hello, sizeof server_hello);
  memset(&st, 0, sizeof st);
  wd_tls_dir_init(&dir, &st);
  assert_int_equal(wd_tls_dir_feed(&dir, server_hello, sizeof server_hello, &h),
                   WD_OK);
  assert_int_equal(h.hs_type, WD_TLS_HS_SERVER_HELLO);
  assert_int_equal(h.legacy_version, 0x0303);
  assert_int_equal(h.version, 0x0304);
  assert_int_equal(h.cipher, 0x1301);
  assert_false(h.hello_retry);
  assert_int_equal(h.n_exts, 2);
  assert_int_equal(h.anomalies, 0);
  assert_int_equal(st.server_hellos, 1);
  /* the HelloRetryRequest random */
  static const uint8_t hrr[32] = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
      0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
      0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  uint8_t x[sizeof server_hello];
  memcpy(x, server_hello, sizeof x);
  memcpy(x + SH_RANDOM, hrr, 32);
  wd_tls_dir_init(&dir, NULL);
  assert_int_equal(wd_tls_dir_feed(&dir, x, sizeof x, &h), WD_OK);
  assert_true(h.hello_retry);
  /* TLS 1.2 server: no supported_versions, the legacy version stands */
  static const uint8_t sh12[] = {
      0x02, 0x00, 0x00, 0x26, /* ServerHello, len 38 */
      0x03, 0x03,             /* TLS 1.2 */
      1,    2,    3,    4,    5,  6,  7,  8,  9,  10, 11,
      12,   13,   14,   15,   16, 17, 18, 19, 20, 21, 22,
      23,   24,   25,   26,   27, 28, 29, 30, 31, 32, /* random */
      0x00,                                           /* no session id */
      0xc0, 0x2f,                                     /* ECDHE_RSA_AES128 */
      0x00,                                           /* null compression */
  };
  assert_int_equal(wd_tls_parse_hello(sh12, sizeof sh12, &h), WD_OK);
  assert_int_equal(h.version, 0x0303);
  assert_int_equal(h.cipher, 0xc02f);
  assert_int_equal(h.n_exts, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client_hello),
      cmocka_unit_test(test_pieces_every_size),
      cmocka_unit_test(test_split_over_records),
      cmocka_unit_test(test_truncated_every_byte),
      cmocka_unit_test(test_hostile_lengths),
      cmocka_unit_test(test_sni_invalid),
      cmocka_unit_test(test_duplicate_extension),
      cmocka_unit_test(test_not_tls),
      cmocka_unit_test(test_size_caps),
      cmocka_unit_test(test_interleaved),
      cmocka_unit_test(test_server_hello),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
