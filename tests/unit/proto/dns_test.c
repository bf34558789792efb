/* dns_test.c -- tests of src/proto/dns.c: header flags, questions and the
 * decoded answer types, name normalisation and escaping, compression
 * (valid, forward, self, loop, hop cap), label and name length limits,
 * truncation at every byte, the kept-record caps, TCP framing over pieces
 * of every size, messages over the TCP keep, gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dns.h"
#include "proto/seed.h"

static wd_dns_msg_t m;
static wd_dns_stats_t st;

/* Query: www.Example.COM A IN, RD. */
static const uint8_t query[] = {
    0x12, 0x34,                               /* ID */
    0x01, 0x00,                               /* flags: RD */
    0x00, 0x01,                               /* QDCOUNT 1 */
    0x00, 0x00,                               /* ANCOUNT */
    0x00, 0x00,                               /* NSCOUNT */
    0x00, 0x00,                               /* ARCOUNT */
    0x03, 'w',  'w', 'w',                     /* label "www" (offset 12) */
    0x07, 'E',  'x', 'a', 'm', 'p', 'l', 'e', /* "Example" (16) */
    0x03, 'C',  'O', 'M',                     /* "COM" (24) */
    0x00,                                     /* root */
    0x00, 0x01,                               /* QTYPE A */
    0x00, 0x01,                               /* QCLASS IN */
};

/* Response to it: QR AA RD RA, 7 answers using compression. */
static const uint8_t response[] = {
    0x12, 0x34, /* ID */
    0x85, 0x80, /* QR, AA, RD, RA; RCODE 0 */
    0x00, 0x01, /* QDCOUNT */
    0x00, 0x07, /* ANCOUNT 7 */
    0x00, 0x00, /* NSCOUNT */
    0x00, 0x01, /* ARCOUNT 1 (OPT) */
    /* question at 12 */
    0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c',
    'o', 'm', 0x00,         /* www.example.com */
    0x00, 0x01, 0x00, 0x01, /* A IN */
    /* 1: www.example.com CNAME cdn.example.com */
    0xc0, 0x0c,             /* name: pointer to 12 */
    0x00, 0x05, 0x00, 0x01, /* CNAME IN */
    0x00, 0x00, 0x0e, 0x10, /* TTL 3600 */
    0x00, 0x06,             /* RDLENGTH 6 */
    0x03, 'c', 'd', 'n',    /* "cdn" */
    0xc0, 0x10,             /* pointer to "example.com" at 16 */
    /* 2: cdn.example.com A 192.0.2.1 (name at 45: pointer to the rdata) */
    0xc0, 0x2d,             /* pointer to 45 ("cdn" + ptr) */
    0x00, 0x01, 0x00, 0x01, /* A IN */
    0x00, 0x00, 0x00, 0x3c, /* TTL 60 */
    0x00, 0x04,             /* RDLENGTH 4 */
    192, 0, 2, 1,           /* address */
    /* 3: AAAA 2001:db8::1 */
    0xc0, 0x2d,             /* cdn.example.com */
    0x00, 0x1c, 0x00, 0x01, /* AAAA IN */
    0x00, 0x00, 0x00, 0x3c, /* TTL */
    0x00, 0x10,             /* RDLENGTH 16 */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    /* 4: example.com MX 10 mail.example.com */
    0xc0, 0x10,                           /* example.com */
    0x00, 0x0f, 0x00, 0x01,               /* MX IN */
    0x00, 0x00, 0x01, 0x00,               /* TTL 256 */
    0x00, 0x09,                           /* RDLENGTH 9 */
    0x00, 0x0a,                           /* preference 10 */
    0x04, 'm', 'a', 'i', 'l', 0xc0, 0x10, /* mail + ptr */
    /* 5: example.com TXT "v=spf1" "-all" */
    0xc0, 0x10, 0x00, 0x10, 0x00, 0x01, /* TXT IN */
    0x00, 0x00, 0x00, 0x01,             /* TTL 1 */
    0x00, 0x0c,                         /* RDLENGTH 12 */
    0x06, 'v', '=', 's', 'p', 'f', '1', /* string 1 */
    0x04, '-', 'a', 'l', 'l',           /* string 2 */
    /* 6: example.com NS ns1.example.com */
    0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, /* NS IN */
    0x00, 0x01, 0x51, 0x80,             /* TTL 86400 */
    0x00, 0x06,                         /* RDLENGTH */
    0x03, 'n', 's', '1', 0xc0, 0x10,    /* ns1 + ptr */
    /* 7: 1.2.0.192.in-addr.arpa PTR www.example.com */
    0x01, '1', 0x01, '2', 0x01, '0', 0x03, '1', '9', '2', 0x07, 'i', 'n', '-',
    'a', 'd', 'd', 'r', 0x04, 'a', 'r', 'p', 'a', 0x00, /* owner name */
    0x00, 0x0c, 0x00, 0x01,                             /* PTR IN */
    0x00, 0x00, 0x00, 0x05,                             /* TTL */
    0x00, 0x02,                                         /* RDLENGTH */
    0xc0, 0x0c,                                         /* www.example.com */
    /* additional: OPT pseudo-record */
    0x00,                   /* root */
    0x00, 0x29, 0x04, 0xd0, /* OPT, UDP size 1232 */
    0x00, 0x00, 0x00, 0x00, /* ext rcode, version, flags */
    0x00, 0x00,             /* RDLENGTH 0 */
};

static void test_query(void **state) {
  (void)state;
  memset(&st, 0, sizeof st);
  seed_write("query", 0, query, sizeof query);
  assert_int_equal(wd_dns_parse(query, sizeof query, &m, &st), WD_OK);
  assert_int_equal(m.id, 0x1234);
  assert_false(m.qr);
  assert_true(m.rd);
  assert_false(m.aa);
  assert_int_equal(m.n_questions, 1);
  assert_string_equal(m.q[0].name, "www.example.com"); /* lowercased */
  assert_int_equal(m.q[0].type, WD_DNS_T_A);
  assert_int_equal(m.q[0].qclass, 1);
  assert_int_equal(m.anomalies, 0);
  assert_int_equal(st.queries, 1);
  assert_int_equal(st.messages, 1);
}

static void test_response_records(void **state) {
  (void)state;
  memset(&st, 0, sizeof st);
  seed_write("response", 0, response, sizeof response);
  assert_int_equal(wd_dns_parse(response, sizeof response, &m, &st), WD_OK);
  assert_true(m.qr && m.aa && m.rd && m.ra);
  assert_false(m.tc);
  assert_int_equal(m.rcode, WD_DNS_RCODE_NOERROR);
  assert_int_equal(m.anomalies, 0);
  assert_int_equal(m.n_answers, 7);
  assert_string_equal(m.an[0].name, "www.example.com");
  assert_int_equal(m.an[0].type, WD_DNS_T_CNAME);
  assert_int_equal(m.an[0].ttl, 3600);
  assert_string_equal(m.an[0].text, "cdn.example.com");
  assert_string_equal(m.an[1].name, "cdn.example.com");
  const uint8_t a[4] = {192, 0, 2, 1};
  assert_memory_equal(m.an[1].addr, a, 4);
  assert_true(m.an[1].decoded);
  assert_int_equal(m.an[2].type, WD_DNS_T_AAAA);
  assert_int_equal(m.an[2].addr[0], 0x20);
  assert_int_equal(m.an[2].addr[15], 1);
  assert_int_equal(m.an[3].preference, 10);
  assert_string_equal(m.an[3].text, "mail.example.com");
  assert_string_equal(m.an[4].text, "v=spf1 -all");
  assert_string_equal(m.an[5].text, "ns1.example.com");
  assert_string_equal(m.an[6].name, "1.2.0.192.in-addr.arpa");
  assert_string_equal(m.an[6].text, "www.example.com");
  assert_int_equal(st.responses, 1);
}

/* Every prefix of a valid message is truncated, never read beyond. */
static void test_truncated_every_byte(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof response; n++) {
    uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
    memcpy(copy, response, n);
    wd_rc rc = wd_dns_parse(copy, n, &m, NULL);
    assert_int_equal(rc, WD_ERR_TRUNC);
    assert_true(m.anomalies & WD_DNS_ANOM_TRUNCATED);
    free(copy);
  }
  /* the records complete before the cut are kept */
  assert_int_equal(wd_dns_parse(response, sizeof response - 11, &m, NULL),
                   WD_ERR_TRUNC);
  assert_int_equal(m.n_answers, 7);
}

/* Builds a message with one question whose name bytes are given. */
static size_t one_question(uint8_t *out, const uint8_t *name, size_t n) {
  static const uint8_t hdr[12] = {0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(out, hdr, 12);
  memcpy(out + 12, name, n);
  out[12 + n] = 0, out[13 + n] = 1, out[14 + n] = 0, out[15 + n] = 1;
  return 16 + n;
}

static void test_pointer_self_forward_loop(void **state) {
  (void)state;
  uint8_t msg[64];
  memset(&st, 0, sizeof st);
  /* pointer to itself (offset 12) */
  static const uint8_t self[] = {0xc0, 0x0c};
  size_t n = one_question(msg, self, sizeof self);
  assert_int_equal(wd_dns_parse(msg, n, &m, &st), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_PTR_LOOP);
  /* pointer forwards, to the QTYPE */
  static const uint8_t fwd[] = {0xc0, 0x0e};
  n = one_question(msg, fwd, sizeof fwd);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_PTR_FORWARD);
  /* "a" then a pointer back to the name's start: a loop */
  static const uint8_t loop[] = {0x01, 'a', 0xc0, 0x0c};
  n = one_question(msg, loop, sizeof loop);
  seed_write("pointer_loop", 0, msg, n);
  assert_int_equal(wd_dns_parse(msg, n, &m, &st), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_PTR_LOOP);
  assert_int_equal(st.bad_names, 2);
  assert_false(m.anomalies & WD_DNS_ANOM_PTR_FORWARD);
}

/* Two names pointing at each other through earlier bytes: the second hop
 * lands inside what was already read. */
static void test_pointer_two_step_loop(void **state) {
  (void)state;
  static const uint8_t msg[] = {
      0,    1,    0,    0,    0, 1, 0, 0, 0, 0, 0, 0, /* header, 1 question */
      0x01, 'x',  0xc0, 0x10, /* 12: "x" -> 16 (forward) */
      0x01, 'y',  0xc0, 0x0c, /* 16: "y" -> 12 */
      0xc0, 0x10,             /* 20: the question: -> 16 */
      0x00, 0x01, 0x00, 0x01,
  };
  /* The question is read from offset 12 (the header says 1 question):
   * "x" then 0xc0 0x10 points forward. */
  assert_int_equal(wd_dns_parse(msg, sizeof msg, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_PTR_FORWARD);
  /* Read from 20 directly: 20 -> 16 ("y") -> 12 ("x") -> 16: already
   * read for this name. */
  char out[WD_DNS_NAME_TEXT_MAX];
  uint32_t anom = 0;
  size_t wl = 0;
  assert_int_equal(
      wd_dns_name(msg, sizeof msg, 20, out, sizeof out, &wl, &anom),
      WD_ERR_INVAL);
  assert_true(anom & WD_DNS_ANOM_PTR_LOOP);
}

static void test_pointer_hop_cap(void **state) {
  (void)state;
  /* offset 0: root; 1, 3, 5...: each pointer to the one before it. */
  uint8_t buf[1 + 2 * 20];
  buf[0] = 0;
  buf[1] = 0xc0, buf[2] = 0x00;
  for (unsigned i = 1; i < 20; i++) {
    buf[1 + 2 * i] = 0xc0;
    buf[2 + 2 * i] = (uint8_t)(1 + 2 * (i - 1));
  }
  char out[WD_DNS_NAME_TEXT_MAX];
  uint32_t anom = 0;
  size_t wl = 0;
  /* 16 hops: allowed */
  assert_int_equal(
      wd_dns_name(buf, sizeof buf, 1 + 2 * 15, out, sizeof out, &wl, &anom),
      WD_OK);
  assert_int_equal(wl, 2);
  assert_string_equal(out, "");
  /* 17 hops: refused */
  anom = 0;
  assert_int_equal(
      wd_dns_name(buf, sizeof buf, 1 + 2 * 16, out, sizeof out, &wl, &anom),
      WD_ERR_INVAL);
  assert_true(anom & WD_DNS_ANOM_PTR_HOPS);
}

static void test_label_and_name_limits(void **state) {
  (void)state;
  uint8_t name[300], msg[320];
  /* 64-byte label: length byte 0x40 has the reserved top bits 01 */
  memset(name, 'a', sizeof name);
  name[0] = 0x40;
  name[65] = 0;
  size_t n = one_question(msg, name, 66);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_BAD_LABEL);
  /* 63-byte label: fine */
  name[0] = 63;
  name[64] = 0;
  n = one_question(msg, name, 65);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_OK);
  assert_int_equal(strlen(m.q[0].name), 63);
  /* four 63-byte labels: 4 * 64 + 1 = 257 > 255 */
  memset(name, 'a', sizeof name);
  for (int i = 0; i < 4; i++)
    name[i * 64] = 63;
  name[256] = 0;
  n = one_question(msg, name, 257);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_ERR_INVAL);
  assert_true(m.anomalies & WD_DNS_ANOM_NAME_TOO_LONG);
  /* 3 * 64 + 62 + 1 = 255: the longest name allowed */
  name[3 * 64] = 61;
  name[3 * 64 + 62] = 0;
  n = one_question(msg, name, 3 * 64 + 63);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_OK);
  assert_int_equal(strlen(m.q[0].name), 3 * 63 + 61 + 3);
}

static void test_escaping(void **state) {
  (void)state;
  static const uint8_t name[] = {
      0x05, 'A', '.',  'b', 0x01, ' ', /* "A.b\001 " */
      0x02, 'x', '\\',                 /* "x\" */
      0x00,
  };
  uint8_t msg[64];
  size_t n = one_question(msg, name, sizeof name);
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_OK);
  assert_string_equal(m.q[0].name, "a\\046b\\001\\032.x\\092");
  assert_true(m.anomalies & WD_DNS_ANOM_NAME_ESCAPED);
}

static void test_bad_rdata(void **state) {
  (void)state;
  static const uint8_t msg[] = {
      0,    2,    0x81, 0x80, 0, 0, 0, 2, 0, 0, 0, 0, /* response, 2 answers */
      0x00,                                           /* root */
      0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0,             /* A IN TTL 0 */
      0x00, 0x05, 1,    2,    3, 4, 5,                /* RDLENGTH 5: wrong */
      0x00,                                           /* root */
      0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0,             /* CNAME */
      0x00, 0x02, 0x03, 'a',                          /* name runs past rdata */
  };
  assert_int_equal(wd_dns_parse(msg, sizeof msg, &m, NULL), WD_OK);
  assert_int_equal(m.n_answers, 2);
  assert_false(m.an[0].decoded);
  assert_false(m.an[1].decoded);
  assert_true(m.anomalies & WD_DNS_ANOM_BAD_RDATA);
  assert_false(m.anomalies & WD_DNS_ANOM_TRUNCATED);
  /* RDLENGTH beyond the message */
  uint8_t cut[sizeof msg];
  memcpy(cut, msg, sizeof msg);
  cut[22] = 0x40;
  assert_int_equal(wd_dns_parse(cut, sizeof cut, &m, NULL), WD_ERR_TRUNC);
  assert_int_equal(m.n_answers, 0);
}

static size_t many_answers(uint8_t *out, unsigned count) {
  static const uint8_t hdr[12] = {0, 3, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
  memcpy(out, hdr, 12);
  out[6] = (uint8_t)(count >> 8), out[7] = (uint8_t)count;
  size_t o = 12;
  for (unsigned i = 0; i < count; i++) {
    static const uint8_t rr[] = {0x00, 0x00, 0x01, 0x00, 0x01, 0, 0,
                                 0,    9,    0x00, 0x04, 10,   0, 0};
    memcpy(out + o, rr, sizeof rr);
    out[o + sizeof rr] = (uint8_t)i;
    o += sizeof rr + 1;
  }
  return o;
}

static void test_answer_cap(void **state) {
  (void)state;
  uint8_t msg[12 + 20 * 15];
  size_t n = many_answers(msg, 20);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_dns_parse(msg, n, &m, &st), WD_OK);
  assert_int_equal(m.n_answers, WD_DNS_ANSWERS_MAX);
  assert_int_equal(m.answers_skipped, 20 - WD_DNS_ANSWERS_MAX);
  assert_int_equal(m.an[15].addr[3], 15);
  assert_int_equal(st.rr_skipped, 4);
  /* header claims more than there is: truncated */
  msg[7] = 21;
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_ERR_TRUNC);
  /* and fewer: trailing bytes */
  msg[7] = 19;
  assert_int_equal(wd_dns_parse(msg, n, &m, NULL), WD_OK);
  assert_true(m.anomalies & WD_DNS_ANOM_TRAILING);
}

/* ---- TCP -------------------------------------------------------------- */

typedef struct got {
  unsigned n;
  uint16_t id[8];
  wd_rc rc[8];
  uint32_t anom[8];
  uint8_t n_answers[8];
} got;

static void collect(void *user, const wd_dns_msg_t *msg, wd_rc rc) {
  got *g = user;
  if (g->n < 8) {
    g->id[g->n] = msg->id;
    g->rc[g->n] = rc;
    g->anom[g->n] = msg->anomalies;
    g->n_answers[g->n] = msg->n_answers;
    g->n++;
  }
}

static wd_dns_tcp_t tcp;

static size_t frame(uint8_t *out, const uint8_t *msg, size_t n) {
  out[0] = (uint8_t)(n >> 8), out[1] = (uint8_t)n;
  memcpy(out + 2, msg, n);
  return n + 2;
}

/* A query and a response in one stream, fed in pieces of every size from
 * 1 to the whole: both messages come out, whatever the cuts. */
static void test_tcp_pieces(void **state) {
  (void)state;
  uint8_t stream[2 * 400];
  size_t n = frame(stream, query, sizeof query);
  n += frame(stream + n, response, sizeof response);
  seed_write("tcp_two_messages", 1 | (6 << 1), stream, n);
  for (size_t piece = 1; piece <= n; piece++) {
    got g = {0};
    wd_dns_tcp_init(&tcp, NULL);
    wd_rc last = WD_OK;
    for (size_t i = 0; i < n; i += piece) {
      size_t k = n - i < piece ? n - i : piece;
      last = wd_dns_tcp_feed(&tcp, stream + i, k, &m, collect, &g);
      if (i + k < sizeof query + 2)
        assert_int_equal(last, WD_AGAIN);
    }
    assert_int_equal(last, WD_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.rc[0], WD_OK);
    assert_int_equal(g.rc[1], WD_OK);
    assert_int_equal(g.n_answers[1], 7);
  }
}

/* A message longer than the TCP keep: parsed from its prefix, flagged,
 * and the next message is still found. */
static void test_tcp_over_keep(void **state) {
  (void)state;
  static uint8_t big[2 + 12 + 400 * 15 + 2 + sizeof query];
  static uint8_t msg[12 + 400 * 15];
  size_t n = many_answers(msg, 400);
  size_t s = frame(big, msg, n);
  s += frame(big + s, query, sizeof query);
  got g = {0};
  memset(&st, 0, sizeof st);
  wd_dns_tcp_init(&tcp, &st);
  assert_int_equal(wd_dns_tcp_feed(&tcp, big, s, &m, collect, &g), WD_OK);
  assert_int_equal(g.n, 2);
  assert_true(g.anom[0] & WD_DNS_ANOM_CUT);
  assert_int_equal(g.rc[0], WD_ERR_TRUNC);
  assert_int_equal(g.n_answers[0], WD_DNS_ANSWERS_MAX);
  assert_int_equal(g.id[1], 0x1234);
  assert_int_equal(st.tcp_cut, 1);
  /* the same in pieces: the skipped part must not be buffered */
  for (size_t piece = 1000; piece <= 3000; piece += 1000) {
    memset(&g, 0, sizeof g);
    wd_dns_tcp_init(&tcp, NULL);
    for (size_t i = 0; i < s; i += piece)
      wd_dns_tcp_feed(&tcp, big + i, s - i < piece ? s - i : piece, &m, collect,
                      &g);
    assert_int_equal(g.n, 2);
    assert_true(g.anom[0] & WD_DNS_ANOM_CUT);
    assert_int_equal(g.id[1], 0x1234);
  }
}

static void test_tcp_gap(void **state) {
  (void)state;
  uint8_t stream[64];
  size_t n = frame(stream, query, sizeof query);
  got g = {0};
  memset(&st, 0, sizeof st);
  wd_dns_tcp_init(&tcp, &st);
  assert_int_equal(wd_dns_tcp_feed(&tcp, stream, 5, &m, collect, &g), WD_AGAIN);
  wd_dns_tcp_gap(&tcp);
  assert_int_equal(wd_dns_tcp_feed(&tcp, stream, n, &m, collect, &g),
                   WD_ERR_STATE);
  assert_int_equal(g.n, 0);
  assert_int_equal(st.tcp_gaps, 1);
}

static void test_names_of_codes(void **state) {
  (void)state;
  assert_string_equal(wd_dns_type_name(28), "AAAA");
  assert_string_equal(wd_dns_rcode_name(3), "NXDOMAIN");
  assert_string_equal(wd_dns_rcode_name(15), "other");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query),
      cmocka_unit_test(test_response_records),
      cmocka_unit_test(test_truncated_every_byte),
      cmocka_unit_test(test_pointer_self_forward_loop),
      cmocka_unit_test(test_pointer_two_step_loop),
      cmocka_unit_test(test_pointer_hop_cap),
      cmocka_unit_test(test_label_and_name_limits),
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_bad_rdata),
      cmocka_unit_test(test_answer_cap),
      cmocka_unit_test(test_tcp_pieces),
      cmocka_unit_test(test_tcp_over_keep),
      cmocka_unit_test(test_tcp_gap),
      cmocka_unit_test(test_names_of_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
