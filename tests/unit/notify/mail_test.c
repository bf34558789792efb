/* mail_test.c -- the reply parser: headers (folded, encoded, duplicated,
 * malformed), matching by In-Reply-To / References / subject / body,
 * automatic replies told from human ones (RFC 3834, out of office, ticket
 * acknowledgements, bounces), MIME bodies, dates, and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/mail.h"

static wd_mail_t *parse(const char *s) {
  wd_mail_t *m = malloc(sizeof *m);
  assert_non_null(m);
  assert_int_equal(wd_mail_parse((const uint8_t *)s, strlen(s), m), WD_OK);
  return m;
}

#define OUR_ID "<ward.WARD-2026-000042.1.2b55de8c-7b9a-56b0-b92d@csirt.example>"

static void test_human_reply_by_in_reply_to(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("Return-Path: <analyst@cert.se.example>\r\n"
            "From: \"Anna Analyst\" <Analyst@CERT.se.example>\r\n"
            "To: cert@csirt.example\r\n"
            "Subject: Re: something else\r\n"
            "Date: Fri, 17 Apr 2026 08:15:00 +0200\r\n"
            "Message-ID: <reply1@cert.se.example>\r\n"
            "In-Reply-To: " OUR_ID "\r\n"
            "References:\r\n " OUR_ID "\r\n"
            "\r\n"
            "Hello, we contacted the ISP; the host was cleaned.\r\n");
  assert_int_equal(m->kind, WD_MAIL_HUMAN);
  assert_string_equal(m->ref, "WARD-2026-000042");
  assert_string_equal(m->ref_source, "in-reply-to");
  assert_string_equal(m->from_addr, "analyst@cert.se.example");
  assert_string_equal(m->from_name, "Anna Analyst");
  assert_string_equal(m->message_id, "<reply1@cert.se.example>");
  assert_int_equal(m->n_refs, 1);
  /* 2026-04-17T06:15:00Z */
  assert_int_equal(m->date_ns, 1776406500ull * 1000000000ull);
  assert_non_null(strstr(m->body, "host was cleaned"));
  free(m);
}

static void test_subject_ref_and_encoded_words(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <jm@cert-bund.example>\n"
            "Subject: =?UTF-8?B?UmU6IFtXQVJELTIwMjYtMDAwMDQzXSDDqXTDqQ==?=\n"
            " =?UTF-8?Q?_ok?=\n"
            "\n"
            "body\n");
  assert_string_equal(m->subject,
                      "Re: [WARD-2026-000043] \xc3\xa9t\xc3\xa9 ok");
  assert_string_equal(m->from_name, "J\xc3\xb6rg M\xc3\xbcller");
  assert_string_equal(m->ref, "WARD-2026-000043");
  assert_string_equal(m->ref_source, "subject");
  assert_int_equal(m->kind, WD_MAIL_HUMAN);
  free(m);
}

static void test_auto_replies(void **state) {
  (void)state;
  static const char *const autos[] = {
      "From: a@b.example\nAuto-Submitted: auto-replied\nSubject: Re: "
      "[WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nX-Autoreply: yes\nSubject: x\n\nx\n",
      "From: a@b.example\nPrecedence: bulk\nSubject: x\n\nx\n",
      "From: a@b.example\nX-Auto-Response-Suppress: All\nSubject: "
      "Automatic reply: [WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nSubject: Out of Office: [WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nSubject: Auto: [WARD-2026-000042]\n\nx\n",
      "From: rt@b.example\nSubject: [b.example #12345] AutoReply: "
      "[WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nSubject: Ticket #4711 created: "
      "[WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nSubject: [RT] [WARD-2026-000042]\n\nx\n",
      "From: no-reply@b.example\nSubject: [WARD-2026-000042]\n\nx\n",
      "From: a@b.example\nSubject: [WARD-2026-000042]\n\nThis is an "
      "automatically generated message.\n",
  };
  for (size_t i = 0; i < sizeof autos / sizeof *autos; i++) {
    wd_mail_t *m = parse(autos[i]);
    if (m->kind != WD_MAIL_AUTO)
      fail_msg("case %zu: %s", i, wd_mail_kind_name(m->kind));
    assert_non_null(m->kind_reason);
    free(m);
  }
  /* Auto-Submitted: no is a human */
  wd_mail_t *m = parse("From: a@b.example\nAuto-Submitted: no\nSubject: "
                       "Re: [WARD-2026-000042]\n\nWe isolated the host.\n");
  assert_int_equal(m->kind, WD_MAIL_HUMAN);
  free(m);
}

static void test_bounce(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("From: MAILER-DAEMON@mx.example\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"B1\"\r\n"
            "\r\n"
            "--B1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
            "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Status: 5.1.1\r\n"
            "--B1\r\nContent-Type: message/rfc822-headers\r\n\r\n"
            "Message-ID: " OUR_ID "\r\n"
            "--B1--\r\n");
  assert_int_equal(m->kind, WD_MAIL_BOUNCE);
  assert_true(m->report_dsn);
  assert_non_null(strstr(m->body, "Could not deliver"));
  free(m);
}

static void test_mime_body(void **state) {
  (void)state;
  wd_mail_t *m = parse(
      "From: x@y.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
      "preamble\r\n--outer\r\n"
      "Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
      "--inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Gr=FC=DFe, see [WARD-2026-000044] soft=\r\nbreak\r\n"
      "--inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
      "--inner--\r\n--outer\r\nContent-Type: application/pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer--\r\n");
  assert_string_equal(m->content_type, "multipart/mixed");
  assert_non_null(strstr(m->body, "Gr\xc3\xbc\xc3\x9f"
                                  "e"));
  assert_non_null(strstr(m->body, "softbreak"));
  assert_null(strstr(m->body, "html"));
  assert_string_equal(m->ref, "WARD-2026-000044");
  assert_string_equal(m->ref_source, "body");
  free(m);
  m = parse("From: x@y.example\nContent-Type: text/plain\n"
            "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n");
  assert_string_equal(m->body, "hello world");
  free(m);
}

static void test_hostile_headers(void **state) {
  (void)state;
  /* no header at all */
  wd_mail_t *m = malloc(sizeof *m);
  assert_int_equal(wd_mail_parse((const uint8_t *)"\r\n\r\nbody", 8, m),
                   WD_ERR_INVAL);
  assert_int_equal(wd_mail_parse((const uint8_t *)"", 0, m), WD_ERR_INVAL);
  /* NUL bytes, bare CR, non-UTF-8, garbage lines, huge fields */
  static const uint8_t evil[] =
      "garbage line\nFrom: \"ev\x00il\xff\" <x@y>\nSubject: a\rb\xc0\xaf"
      "\x1b[31m =?utf-8?B?////?= =?x?Q?=ZZ?= =?UTF-8?B?\n"
      "References: <a@b> <c d> <<e>> <" OUR_ID "\n\nbody";
  assert_int_equal(wd_mail_parse(evil, sizeof evil - 1, m), WD_OK);
  assert_true(m->malformed >= 1);
  assert_null(strchr(m->subject, '\r'));
  assert_null(strchr(m->subject, '\x1b'));
  assert_null(strstr(m->subject, "\xc0\xaf"));
  free(m);
  /* more fields than WD_MAIL_FIELDS_MAX: truncated, no crash */
  size_t cap = (WD_MAIL_FIELDS_MAX + 10) * 16 + 16, o = 0;
  char *big = malloc(cap);
  for (int i = 0; i < WD_MAIL_FIELDS_MAX + 10; i++)
    o += (size_t)snprintf(big + o, cap - o, "X-%03d: y\n", i % 1000);
  m = malloc(sizeof *m);
  assert_int_equal(wd_mail_parse((uint8_t *)big, o, m), WD_OK);
  assert_true(m->truncated);
  assert_int_equal(m->n_fields, WD_MAIL_FIELDS_MAX);
  free(big);
  /* deep MIME nesting stops at WD_MAIL_DEPTH_MAX */
  char deep[4096];
  o = (size_t)snprintf(deep, sizeof deep,
                       "From: a@b\nContent-Type: multipart/mixed; "
                       "boundary=b0\n\n");
  for (int d = 0; d < 10; d++)
    o += (size_t)snprintf(deep + o, sizeof deep - o,
                          "--b%d\nContent-Type: multipart/mixed; "
                          "boundary=b%d\n\n",
                          d, d + 1);
  o += (size_t)snprintf(deep + o, sizeof deep - o, "--b10\n\ntext\n");
  assert_int_equal(wd_mail_parse((uint8_t *)deep, o, m), WD_OK);
  assert_true(m->truncated);
  free(m);
}

static void test_refs_and_dates(void **state) {
  (void)state;
  char r[WD_MAIL_REF_LEN];
  assert_true(wd_mail_find_ref("x [WARD-2026-000042] y", 22, r));
  assert_string_equal(r, "WARD-2026-000042");
  assert_false(wd_mail_find_ref("WARD-2026-0000421", 17, r));
  assert_false(wd_mail_find_ref("WARD-26-000042", 14, r));
  assert_true(wd_mail_ref_of_msgid(OUR_ID, r));
  assert_false(wd_mail_ref_of_msgid("<WARD-2026-000042@x>", r));
  assert_int_equal(wd_mail_parse_date("Thu, 16 Apr 2026 10:02:49 +0000"),
                   1776333769ull * 1000000000ull);
  assert_int_equal(wd_mail_parse_date("16 Apr 26 10:02 GMT"),
                   1776333720ull * 1000000000ull);
  assert_int_equal(wd_mail_parse_date("Thu, 16 Apr 2026 05:02:49 EST"),
                   1776333769ull * 1000000000ull);
  assert_int_equal(wd_mail_parse_date("garbage"), 0);
  assert_int_equal(wd_mail_parse_date("99 Apr 2026 10:02:49 +0000"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_human_reply_by_in_reply_to),
      cmocka_unit_test(test_subject_ref_and_encoded_words),
      cmocka_unit_test(test_auto_replies),
      cmocka_unit_test(test_bounce),
      cmocka_unit_test(test_mime_body),
      cmocka_unit_test(test_hostile_headers),
      cmocka_unit_test(test_refs_and_dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
