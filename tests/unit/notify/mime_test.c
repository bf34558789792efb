/* mime_test.c -- MIME building blocks: base64 and quoted-printable round
 * trips, RFC 2047 encoded words for non-ASCII header text, folding,
 * refusal of addresses and Message-IDs that would inject headers, text
 * that looks like an encoded word, and a whole message parsed back by
 * Python's email package and by ward's own reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "notify/codec.h"
#include "notify/mail.h"
#include "notify/mime.h"
#include "notify/notice_fixture.h"

static void test_base64(void **state) {
  (void)state;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, "foobar", 6, 0);
  assert_string_equal(wd_strbuf_str(&b), "Zm9vYmFy");
  wd_strbuf_fini(&b);
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, "fooba", 5, 0);
  assert_string_equal(wd_strbuf_str(&b), "Zm9vYmE=");
  gsize bn = 0;
  guchar *back = g_base64_decode(b.p, &bn);
  assert_int_equal(bn, 5);
  assert_memory_equal(back, "fooba", 5);
  g_free(back);
  wd_strbuf_fini(&b);
  /* wrapping: 76 columns and CRLF */
  uint8_t big[200];
  for (int i = 0; i < 200; i++)
    big[i] = (uint8_t)i;
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, big, sizeof big, 76);
  assert_int_equal(strchr(b.p, '\r') - b.p, 76);
  guchar *dec = g_base64_decode(b.p, &bn);
  assert_int_equal(bn, 200);
  assert_memory_equal(dec, big, 200);
  g_free(dec);
  wd_strbuf_fini(&b);
}

static void test_qp(void **state) {
  (void)state;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  const char *t = "caf\xc3\xa9 = ok \nx\t\n";
  wd_mime_qp(&b, t, strlen(t));
  assert_string_equal(wd_strbuf_str(&b), "caf=C3=A9 =3D ok=20\r\nx=09\r\n");
  wd_strbuf_fini(&b);
  /* long line gets soft breaks, no line over 76 */
  char lng[400];
  memset(lng, 'a', sizeof lng - 1);
  lng[sizeof lng - 1] = '\0';
  wd_strbuf_init(&b, 0);
  wd_mime_qp(&b, lng, strlen(lng));
  for (char *p = b.p, *e; (e = strstr(p, "\r\n")); p = e + 2)
    assert_true(e - p <= 76);
  wd_strbuf_fini(&b);
}

static void test_header_encoding(void **state) {
  (void)state;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  wd_mime_header_text(&b, "Subject", "[WARD-2026-000042] plain ascii");
  assert_string_equal(wd_strbuf_str(&b),
                      "Subject: [WARD-2026-000042] plain ascii\r\n");
  wd_strbuf_fini(&b);
  wd_strbuf_init(&b, 0);
  wd_mime_header_text(&b, "Subject", "\xc3\xa9quipe\r\nBcc: x@y.example");
  /* encoded, and no raw CR/LF from the value: only folding CRLF + white
   * space, so no line of it can start a header such as Bcc: (GMime
   * encodes only the words that need it, so "Bcc:" may stay inside the
   * folded value, never at the start of a line) */
  assert_non_null(strstr(b.p, "=?UTF-8?B?"));
  assert_true(strncmp(b.p, "Subject: ", 9) == 0);
  assert_null(strstr(b.p, "\nBcc:"));
  for (char *p = strstr(b.p, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
    assert_true(p[2] == ' ' || p[2] == '\t');
  assert_int_equal(b.p[b.len - 1], '\n');
  /* read back: one field, the value cleaned to one line */
  wd_strbuf_t msg;
  wd_strbuf_init(&msg, 0);
  wd_strbuf_printf(&msg, "From: a@b.example\r\n%s\r\nbody\r\n", b.p);
  wd_mail_t *m = malloc(sizeof *m);
  assert_non_null(m);
  assert_int_equal(wd_mail_parse((const uint8_t *)msg.p, msg.len, m), WD_OK);
  assert_int_equal(m->n_fields, 2);
  assert_string_equal(m->subject, "\xc3\xa9quipe  Bcc: x@y.example");
  wd_strbuf_fini(&msg);
  wd_strbuf_fini(&b);
  /* text that looks like an encoded word is encoded whole, so a reader
   * shows it as written rather than decoding it into CR LF Bcc: */
  wd_strbuf_init(&b, 0);
  wd_mime_header_text(&b, "Subject", "AS =?UTF-8?Q?=0D=0ABcc:_x@y?= net");
  assert_null(strstr(b.p, "=?UTF-8?Q?"));
  wd_strbuf_init(&msg, 0);
  wd_strbuf_printf(&msg, "From: a@b.example\r\n%s\r\nbody\r\n", b.p);
  assert_int_equal(wd_mail_parse((const uint8_t *)msg.p, msg.len, m), WD_OK);
  assert_string_equal(m->subject, "AS =?UTF-8?Q?=0D=0ABcc:_x@y?= net");
  wd_strbuf_fini(&msg);
  wd_strbuf_fini(&b);
  free(m);
}

static void test_refuses_injection(void **state) {
  (void)state;
  char err[128];
  wd_strbuf_t b;
  wd_mime_msg_t m = {.from_addr = "cert@csirt.example",
                     .to_addr = "cert@x.example\r\nBcc: evil@example.org",
                     .subject = "s",
                     .message_id = "<a@b>",
                     .body = "x"};
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_mime_build(&m, &b, err, sizeof err), WD_ERR_INVAL);
  m.to_addr = "a <b@c>";
  assert_int_equal(wd_mime_build(&m, &b, err, sizeof err), WD_ERR_INVAL);
  m.to_addr = "ok@x.example";
  m.message_id = "<a@b>\r\nX: y";
  assert_int_equal(wd_mime_build(&m, &b, err, sizeof err), WD_ERR_INVAL);
  m.message_id = "<a@b>";
  m.in_reply_to = "<x y@z>";
  assert_int_equal(wd_mime_build(&m, &b, err, sizeof err), WD_ERR_INVAL);
  wd_strbuf_fini(&b);
  assert_false(wd_notice_email_ok("a@b@c"));
  assert_false(wd_notice_email_ok("@b"));
  assert_false(wd_notice_email_ok("a\"b@c"));
  assert_true(wd_notice_email_ok("cert@cert.se"));
}

static void test_python_parses(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0)
    skip();
  char err[128], path[] = "/tmp/mime_test.XXXXXX", cmd[8192];
  wd_strbuf_t b;
  uint8_t bin[3000];
  for (size_t i = 0; i < sizeof bin; i++)
    bin[i] = (uint8_t)(i * 7);
  wd_mime_part_t parts[] = {
      {"WARD-2026-000042-iodef.xml", "application/xml", "<?xml x?>", 9},
      {"ev\r\nil\".pcap", "application/vnd.tcpdump.pcap", bin, sizeof bin}};
  wd_mime_msg_t m = {.from_name = "Example \"National\" CSIRT",
                     .from_addr = "cert@csirt.example",
                     .to_name = "CERT " HOSTILE,
                     .to_addr = "cert@cert.se.example",
                     .subject = "[WARD-2026-000042] \xc3\x89quipe " HOSTILE,
                     .message_id = "<ward.1@csirt.example>",
                     .in_reply_to = "<ward.0@csirt.example>",
                     .date_ns = FX_T0,
                     .body = "Line one\n.\nFrom here\ntrailing space \n" HOSTILE
                             "\n",
                     .parts = parts,
                     .n_parts = 2};
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_mime_build(&m, &b, err, sizeof err), WD_OK);
  assert_non_null(strstr(b.p, "Date: Thu, 16 Apr 2026 09:02:49 +0000\r\n"));
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
  close(fd);
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 %s %s --expect-parts 3 --subject-has "
           "'[WARD-2026-000042] \xc3\x89quipe' --from-name "
           "'Example \"National\" CSIRT' --to cert@cert.se.example "
           "--pcap-sha256 $(/usr/bin/python3 -c \"import hashlib; "
           "print(hashlib.sha256(bytes((i*7)%%256 for i in "
           "range(3000))).hexdigest())\")",
           fixture_dir_of(__FILE__, "/mime_check.py"), path);
  int rc = system(cmd);
  unlink(path);
  wd_strbuf_fini(&b);
  assert_int_equal(rc, 0);
}

/* What ward sends, ward reads back as it meant it: subject, names,
 * addresses, ids, body and attachments, hostile strings cleaned the same
 * way on both sides. */
static void test_read_back(void **state) {
  (void)state;
  char err[128];
  wd_strbuf_t b;
  static const uint8_t bin[] = {0, 1, 2, 0xff};
  wd_mime_part_t parts[] = {
      {"WARD-2026-000042-iodef.xml", "application/xml", "<?xml x?>", 9},
      {"ev\r\nil\".pcap", "application/vnd.tcpdump.pcap", bin, sizeof bin}};
  wd_mime_msg_t msg = {
      .from_name = "Example \"National\" CSIRT",
      .from_addr = "cert@csirt.example",
      .to_name = "CERT =?UTF-8?Q?=0D=0A?= " HOSTILE,
      .to_addr = "cert@cert.se.example",
      .subject = "[WARD-2026-000042] \xc3\x89quipe " HOSTILE,
      .message_id = "<ward.WARD-2026-000042.2.x@csirt.example>",
      .in_reply_to = "<ward.WARD-2026-000042.1.x@csirt.example>",
      .references = "<ward.WARD-2026-000042.1.x@csirt.example>",
      .date_ns = FX_T0,
      .body = "Line one\r\n.\nFrom here\ntrailing space \ncaf\xc3\xa9 = "
              "\xe2\x82\xac\n" HOSTILE "\n",
      .parts = parts,
      .n_parts = 2};
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_mime_build(&msg, &b, err, sizeof err), WD_OK);
  wd_mail_t *m = malloc(sizeof *m);
  assert_non_null(m);
  assert_int_equal(wd_mail_parse((const uint8_t *)b.p, b.len, m), WD_OK);
  char want[1024];
  size_t n = wd_notice_clean(msg.subject, strlen(msg.subject), want,
                             sizeof want, WD_CLEAN_ONELINE);
  while (n && want[n - 1] == ' ')
    want[--n] = '\0'; /* a header value ends without white space */
  assert_string_equal(m->subject, want);
  assert_string_equal(m->from_name, msg.from_name);
  assert_string_equal(m->from_addr, "cert@csirt.example");
  assert_string_equal(m->message_id, msg.message_id);
  assert_string_equal(m->in_reply_to, msg.in_reply_to);
  assert_int_equal(m->n_refs, 1);
  assert_string_equal(m->ref, "WARD-2026-000042");
  assert_string_equal(m->ref_source, "in-reply-to");
  assert_int_equal(m->date_ns, FX_T0 / 1000000000ull * 1000000000ull);
  assert_string_equal(m->content_type, "multipart/mixed");
  static const char lines[] = "Line one\n.\nFrom here\ntrailing space \n"
                              "caf\xc3\xa9 = \xe2\x82\xac\nevil\nBcc:";
  assert_true(strncmp(m->body, lines, sizeof lines - 1) == 0);
  assert_null(strchr(m->body, '\r'));
  assert_int_equal(m->n_attachments, 2);
  assert_string_equal(m->attachment_name, "WARD-2026-000042-iodef.xml");
  assert_int_equal(m->malformed, 0);
  assert_false(m->truncated);
  free(m);
  wd_strbuf_fini(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_qp),
      cmocka_unit_test(test_header_encoding),
      cmocka_unit_test(test_refuses_injection),
      cmocka_unit_test(test_python_parses),
      cmocka_unit_test(test_read_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
