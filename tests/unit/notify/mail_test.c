/* mail_test.c -- the reply parser: headers (folded, encoded, duplicated,
 * malformed), matching by In-Reply-To / References / subject / body,
 * automatic replies told from human ones (RFC 3834, out of office, ticket
 * acknowledgements, bounces), MIME bodies, dates, and the limits; then
 * what hostile or merely foreign mail does: a boundary hidden in a quoted
 * parameter, windows-1252 and ISO-8859-15 text, RFC 2231 parameters, HTML
 * only replies, truncated and malformed messages, nesting past the cap,
 * and inputs built to make the MIME parser allocate without end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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
  /* CRLF line ends come out as LF, not as a space before each LF */
  assert_string_equal(m->body,
                      "Hello, we contacted the ISP; the host was cleaned.\n");
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

/* A quoted parameter value is data: "; boundary=" inside name="..." must
 * not become the multipart's boundary (the real parts would be lost and
 * a decoy part read instead). */
static void test_boundary_hidden_in_quoted_name(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("From: soc@isp.example\r\n"
            "Subject: Re: your notification\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; name=\"x; boundary=decoy\";\r\n"
            " boundary=\"real\"\r\n"
            "\r\n"
            "--decoy\r\nContent-Type: text/plain\r\n\r\n"
            "decoy text about WARD-2026-000099\r\n"
            "--decoy--\r\n"
            "--real\r\nContent-Type: text/plain\r\n\r\n"
            "We blocked the host of WARD-2026-000042.\r\n"
            "--real--\r\n");
  assert_string_equal(m->content_type, "multipart/mixed");
  assert_non_null(strstr(m->body, "We blocked the host"));
  assert_null(strstr(m->body, "decoy"));
  assert_string_equal(m->ref, "WARD-2026-000042");
  free(m);
}

/* windows-1252 is not Latin-1: 0x80 is the euro sign, 0x93/0x94 curly
 * quotes, 0x96 an en dash; ISO-8859-15 has the euro at 0xA4 (Latin-1's
 * currency sign). Bodies and encoded-word subjects alike. */
static void test_windows_1252_and_latin9(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("From: =?windows-1252?Q?=93Soc=94?= <soc@isp.example>\n"
            "Subject: =?windows-1252?Q?Re:_=93cleaned=94_=96_=80_0?=\n"
            "Content-Type: text/plain; charset=windows-1252\n"
            "Content-Transfer-Encoding: 8bit\n"
            "\n"
            "The \x93host\x94 is clean \x96 cost \x80"
            "100.\n");
  assert_string_equal(m->subject, "Re: \xe2\x80\x9c"
                                  "cleaned\xe2\x80\x9d \xe2\x80\x93 "
                                  "\xe2\x82\xac 0");
  assert_string_equal(m->from_name, "\xe2\x80\x9cSoc\xe2\x80\x9d");
  assert_string_equal(m->body, "The \xe2\x80\x9chost\xe2\x80\x9d is clean "
                               "\xe2\x80\x93 cost \xe2\x82\xac"
                               "100.\n");
  free(m);
  m = parse("From: soc@isp.example\n"
            "Subject: =?ISO-8859-15?Q?Kosten_=A4_5?=\n"
            "Content-Type: text/plain; charset=\"ISO-8859-15\"\n"
            "Content-Transfer-Encoding: quoted-printable\n"
            "\n"
            "Kosten: 5 =A4, Gr=FC=DFe\n");
  assert_string_equal(m->subject, "Kosten \xe2\x82\xac 5");
  assert_string_equal(m->body, "Kosten: 5 \xe2\x82\xac, Gr\xc3\xbc\xc3\x9f"
                               "e\n");
  free(m);
  /* undeclared 8-bit text: UTF-8 when it is, else windows-1252 */
  m = parse("From: soc@isp.example\nSubject: Gr\xfc\xdf"
            "e \x80\n\nd\xe9j\xe0 vu \x93ok\x94\n");
  assert_string_equal(m->subject, "Gr\xc3\xbc\xc3\x9f"
                                  "e \xe2\x82\xac");
  assert_string_equal(m->body, "d\xc3\xa9j\xc3\xa0 vu \xe2\x80\x9cok"
                               "\xe2\x80\x9d\n");
  free(m);
  m = parse("From: soc@isp.example\nSubject: s\n\n\xc3\xa9t\xc3\xa9\n");
  assert_string_equal(m->body, "\xc3\xa9t\xc3\xa9\n");
  free(m);
}

/* RFC 2231: parameters split into numbered sections, and charset- and
 * percent-encoded values. */
static void test_rfc2231_parameters(void **state) {
  (void)state;
  wd_mail_t *m =
      parse("From: soc@isp.example\n"
            "Subject: report\n"
            "Content-Type: multipart/mixed; boundary*0=\"part-\";\n"
            " boundary*1=\"one\"\n"
            "\n"
            "--part-one\n"
            "Content-Type: text/plain; charset*=us-ascii'en'windows-1252\n"
            "\n"
            "Done \x96 see the log.\n"
            "--part-one\n"
            "Content-Type: text/plain; name*0*=UTF-8''%E2%82%AC-;\n"
            " name*1*=%C3%A9t%C3%A9.txt\n"
            "Content-Disposition: attachment\n"
            "\n"
            "attached log\n"
            "--part-one\n"
            "Content-Type: application/octet-stream\n"
            "Content-Disposition: attachment;\n"
            " filename*=UTF-8''r%C3%A9sum%C3%A9%20WARD.pdf\n"
            "\n"
            "%PDF\n"
            "--part-one--\n");
  assert_string_equal(m->body, "Done \xe2\x80\x93 see the log.");
  assert_int_equal(m->n_attachments, 2);
  assert_string_equal(m->attachment_name, "\xe2\x82\xac-\xc3\xa9t\xc3\xa9.txt");
  free(m);
  m = parse("From: soc@isp.example\nSubject: r\n"
            "Content-Type: multipart/mixed; boundary=b\n\n"
            "--b\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment;\n"
            " filename*=UTF-8''r%C3%A9sum%C3%A9%20WARD.pdf\n\n%PDF\n--b--\n");
  assert_int_equal(m->n_attachments, 1);
  assert_string_equal(m->attachment_name, "r\xc3\xa9sum\xc3\xa9 WARD.pdf");
  free(m);
}

/* A reply written in HTML only: its text is what a reader sees. */
static void test_html_only_reply(void **state) {
  (void)state;
  wd_mail_t *m = parse(
      "From: soc@isp.example\n"
      "Subject: Re: notification\n"
      "Content-Type: text/html; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "<!DOCTYPE html><html><head><title>Reply title</title>\n"
      "<style>p { color: red }</style>\n"
      "<script type=3D\"text/javascript\">var WARD =3D 'WARD-2026-000777';"
      "if (a < b) {}</script></head>\n"
      "<body><!-- a comment <p>hidden</p> -->\n"
      "<p>Hello&nbsp;team,</p><p>we   fixed\n   it &amp; blocked"
      " &lt;10.0.0.1&gt; &#8211; caf&eacute; &#x20AC;5 &bogus; AT&T</p>\n"
      "<ul><li>one</li><li>two</li></ul>"
      "<div>Ref: <a href=3D\"https://x.example/?a=3D1&amp;b=3D2\">"
      "WARD-2026-000042</a><br>Regards</div>\n"
      "<pre>keep   this\n  layout</pre><table><tr><td>a</td><td>b</td></tr>"
      "</table></body></html>\n");
  assert_string_equal(m->body, "Hello team,\n\n"
                               "we fixed it & blocked <10.0.0.1> "
                               "\xe2\x80\x93 caf\xc3\xa9 \xe2\x82\xac"
                               "5 &bogus; AT&T\n\n"
                               "- one\n- two\n\n"
                               "Ref: WARD-2026-000042\nRegards\n\n"
                               "keep   this\n  layout\n\na b");
  assert_string_equal(m->ref, "WARD-2026-000042");
  assert_string_equal(m->ref_source, "body");
  free(m);
  /* with a text/plain alternative, the plain text is taken */
  m = parse("From: soc@isp.example\nSubject: x\n"
            "Content-Type: multipart/alternative; boundary=a\n\n"
            "--a\nContent-Type: text/html\n\n<p>html version</p>\n"
            "--a\nContent-Type: text/plain\n\nplain version\n--a--\n");
  assert_string_equal(m->body, "plain version");
  free(m);
}

/* Damaged input: what is there is kept, the damage is counted. */
static void test_malformed_and_truncated(void **state) {
  (void)state;
  /* cut inside a base64 part, no closing boundary */
  wd_mail_t *m = parse("From: soc@isp.example\r\n"
                       "Subject: =?UTF-8?B?UmU6IHdl?= =?UTF-8?Q?_fixed_it\r\n"
                       "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
                       "\r\n"
                       "--b\r\n"
                       "Content-Type: text/plain\r\n"
                       "Content-Transfer-Encoding: base64\r\n"
                       "\r\n"
                       "aGVsbG8gd29ybGQsIFdBUkQtMjAyNi0wMDAwNDIgaXMgZG9u");
  assert_string_equal(m->from_addr, "soc@isp.example");
  assert_non_null(strstr(m->subject, "Re: we"));
  assert_non_null(strstr(m->body, "hello world, WARD-2026-000042 is"));
  assert_string_equal(m->ref, "WARD-2026-000042");
  assert_true(m->malformed >= 1);
  free(m);
  /* cut inside the header section, in the middle of a field */
  m = parse("From: soc@isp.example\nSubject: half a subj");
  assert_string_equal(m->subject, "half a subj");
  assert_int_equal(m->body_len, 0);
  free(m);
  /* a multipart without a boundary parameter, broken quoted-printable,
   * an unknown charset, an invalid Content-Type */
  m = parse("From: soc@isp.example\nSubject: s\n"
            "Content-Type: multipart/mixed\n\n--x\n\ntext\n");
  assert_true(m->malformed >= 1);
  free(m);
  m = parse("From: soc@isp.example\nSubject: s\n"
            "Content-Type: text/plain; charset=x-no-such-charset\n"
            "Content-Transfer-Encoding: quoted-printable\n\n"
            "a=ZZb=3\n=C3=A9=\n");
  assert_non_null(strstr(m->body, "a=ZZb"));
  assert_true(m->malformed >= 1);
  free(m);
  m = parse("From: soc@isp.example\nSubject: s\nContent-Type: /;;;\n\nbody\n");
  assert_string_equal(m->from_addr, "soc@isp.example");
  free(m);
}

/* Nesting past WD_MAIL_DEPTH_MAX: the text within the cap is read, the
 * text below it is not, and the message is marked truncated. */
static void test_nesting_past_the_cap(void **state) {
  (void)state;
  char deep[8192];
  size_t o = (size_t)snprintf(deep, sizeof deep,
                              "From: a@b.example\nSubject: deep\n"
                              "Content-Type: multipart/mixed; boundary=b0\n\n");
  for (int d = 0; d < 12; d++) {
    if (d == 2)
      o += (size_t)snprintf(deep + o, sizeof deep - o,
                            "--b%d\nContent-Type: text/plain\n\n"
                            "shallow WARD-2026-000042\n",
                            d);
    o += (size_t)snprintf(deep + o, sizeof deep - o,
                          "--b%d\nContent-Type: multipart/mixed; "
                          "boundary=b%d\n\n",
                          d, d + 1);
  }
  o += (size_t)snprintf(deep + o, sizeof deep - o,
                        "--b12\nContent-Type: text/plain\n\ndeep text\n");
  wd_mail_t *m = malloc(sizeof *m);
  assert_int_equal(wd_mail_parse((uint8_t *)deep, o, m), WD_OK);
  assert_true(m->truncated);
  assert_string_equal(m->body, "shallow WARD-2026-000042");
  free(m);
  /* only deep text: none is read */
  o = (size_t)snprintf(deep, sizeof deep,
                       "From: a@b.example\nSubject: deep\n"
                       "Content-Type: multipart/mixed; boundary=b0\n\n");
  for (int d = 0; d < 12; d++)
    o += (size_t)snprintf(deep + o, sizeof deep - o,
                          "--b%d\nContent-Type: multipart/mixed; "
                          "boundary=b%d\n\n",
                          d, d + 1);
  o += (size_t)snprintf(deep + o, sizeof deep - o,
                        "--b12\nContent-Type: text/plain\n\ndeep text\n");
  m = malloc(sizeof *m);
  assert_int_equal(wd_mail_parse((uint8_t *)deep, o, m), WD_OK);
  assert_true(m->truncated);
  assert_int_equal(m->body_len, 0);
  free(m);
}

/* Builds a message of about `size` bytes: a text part, then `unit`
 * repeated (after "--b\n" when `in_part`: the header of one more part). */
static uint8_t *flood(const char *unit, bool in_part, size_t size,
                      size_t *len) {
  static const char head[] = "From: a@b.example\nSubject: flood\n"
                             "Content-Type: multipart/mixed; boundary=b\n\n"
                             "--b\nContent-Type: text/plain\n\n"
                             "kept WARD-2026-000042\n--b\n";
  size_t ul = strlen(unit), hl = sizeof head - (in_part ? 1 : 5);
  uint8_t *p = malloc(size + hl + ul);
  assert_non_null(p);
  memcpy(p, head, hl);
  size_t o = hl;
  while (o + ul <= size + hl) {
    memcpy(p + o, unit, ul);
    o += ul;
  }
  *len = o;
  return p;
}

/* 16 MiB of empty MIME parts or of header fields would make GMime build
 * millions of objects (gigabytes); the stream limits keep it to a few
 * MiB. Checked in a child process with its address space capped 256 MiB
 * above what it already uses (not under ASan, which reserves terabytes). */
static void test_allocation_floods(void **state) {
  (void)state;
  static const char *const units[] = {"--b\n\n", "--b\nX:y\nX:y\nX:y\n\n",
                                      "a:b\n"};
  for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
    size_t len;
    uint8_t *p = flood(units[u], u == 2, 16u << 20, &len);
    wd_mail_t *m = malloc(sizeof *m);
    assert_non_null(m);
#if defined(__SANITIZE_ADDRESS__)
#define WD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WD_TEST_ASAN 1
#endif
#endif
#ifndef WD_TEST_ASAN
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      FILE *f = fopen("/proc/self/statm", "r");
      unsigned long pages = 0;
      if (!f || fscanf(f, "%lu", &pages) != 1)
        _exit(3);
      fclose(f);
      rlim_t cap =
          (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)256 << 20);
      struct rlimit rl = {cap, cap};
      if (setrlimit(RLIMIT_AS, &rl) != 0)
        _exit(4);
      wd_rc rc = wd_mail_parse(p, len, m);
      _exit(rc == WD_OK && m->truncated &&
                    !strcmp(m->body, "kept WARD-2026-000042")
                ? 0
                : 5);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      fail_msg("flood %zu: child status %d", u, st);
#endif
    /* and in this process: the same result */
    assert_int_equal(wd_mail_parse(p, len, m), WD_OK);
    assert_true(m->truncated);
    assert_string_equal(m->body, "kept WARD-2026-000042");
    free(m);
    free(p);
  }
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
      cmocka_unit_test(test_boundary_hidden_in_quoted_name),
      cmocka_unit_test(test_windows_1252_and_latin9),
      cmocka_unit_test(test_rfc2231_parameters),
      cmocka_unit_test(test_html_only_reply),
      cmocka_unit_test(test_malformed_and_truncated),
      cmocka_unit_test(test_nesting_past_the_cap),
      cmocka_unit_test(test_allocation_floods),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
