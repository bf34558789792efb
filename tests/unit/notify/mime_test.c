/* mime_test.c -- MIME building blocks: base64 and quoted-printable round
 * trips, RFC 2047 encoded words for non-ASCII header text, folding,
 * refusal of addresses and Message-IDs that would inject headers, and a
 * whole message parsed back by Python's email package. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/codec.h"
#include "notify/mime.h"
#include "notify/notice_fixture.h"

static void test_base64(void **state) {
  (void)state;
  wd_strbuf_t b;
  uint8_t back[64];
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, "foobar", 6, 0);
  assert_string_equal(wd_strbuf_str(&b), "Zm9vYmFy");
  wd_strbuf_fini(&b);
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, "fooba", 5, 0);
  assert_string_equal(wd_strbuf_str(&b), "Zm9vYmE=");
  assert_int_equal(wd_codec_base64_decode(b.p, b.len, back, sizeof back), 5);
  assert_memory_equal(back, "fooba", 5);
  wd_strbuf_fini(&b);
  /* wrapping: 76 columns and CRLF */
  uint8_t big[200];
  for (int i = 0; i < 200; i++)
    big[i] = (uint8_t)i;
  wd_strbuf_init(&b, 0);
  wd_codec_base64(&b, big, sizeof big, 76);
  assert_int_equal(strchr(b.p, '\r') - b.p, 76);
  uint8_t dec[256];
  assert_int_equal(wd_codec_base64_decode(b.p, b.len, dec, sizeof dec), 200);
  assert_memory_equal(dec, big, 200);
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
  /* encoded, and no raw CR/LF from the value: only folding CRLF SP */
  assert_non_null(strstr(b.p, "=?UTF-8?B?"));
  assert_null(strstr(b.p, "Bcc:"));
  for (char *p = strstr(b.p, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
    assert_true(p[2] == ' ');
  wd_strbuf_fini(&b);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_qp),
      cmocka_unit_test(test_header_encoding),
      cmocka_unit_test(test_refuses_injection),
      cmocka_unit_test(test_python_parses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
