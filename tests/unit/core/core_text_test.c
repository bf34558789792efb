/* text_test.c -- tests of src/core/text.c: UTF-8 validation (RFC 3629
 * edge cases), escaping of controls, invalid bytes, C1 and bidi
 * characters, cutting at character boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "core/text.h"

static void test_utf8_seq(void **state) {
  (void)state;
  const unsigned char *u;
  assert_int_equal(wd_utf8_seq((const unsigned char *)"A", 1), 1);
  u = (const unsigned char *)"\xc3\xa9"; /* é */
  assert_int_equal(wd_utf8_seq(u, 2), 2);
  assert_int_equal(wd_utf8_seq(u, 1), 0);    /* cut short */
  u = (const unsigned char *)"\xe2\x82\xac"; /* € */
  assert_int_equal(wd_utf8_seq(u, 3), 3);
  u = (const unsigned char *)"\xf0\x9f\x98\x80"; /* U+1F600 */
  assert_int_equal(wd_utf8_seq(u, 4), 4);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4),
                   0);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\x80", 1), 0);
  assert_int_equal(wd_utf8_seq((const unsigned char *)"\xc3(", 2), 0);
}

static void test_escape(void **state) {
  (void)state;
  char out[128];
  assert_string_equal(wd_text_escape("Telia Company AB", out, sizeof out),
                      "Telia Company AB");
  /* valid UTF-8 stays */
  assert_string_equal(
      wd_text_escape("M\xc3\xbcnchen \xe2\x82\xac", out, sizeof out),
      "M\xc3\xbcnchen \xe2\x82\xac");
  /* Latin-1 bytes (not UTF-8) and a terminal escape sequence */
  assert_string_equal(wd_text_escape("M\xfcnchen\x1b[2J\x07", out, sizeof out),
                      "M\\xFCnchen\\x1B[2J\\x07");
  assert_string_equal(wd_text_escape("a\tb\nc\x7f", out, sizeof out),
                      "a\\x09b\\x0Ac\\x7F");
  /* C1 CSI, right-to-left override */
  assert_string_equal(
      wd_text_escape("x\xc2\x9by\xe2\x80\xaez", out, sizeof out),
      "x\\u009By\\u202Ez");
  /* backslashes of share paths are kept */
  assert_string_equal(wd_text_escape("\\\\10.0.0.5\\IPC$", out, sizeof out),
                      "\\\\10.0.0.5\\IPC$");
  assert_string_equal(wd_text_escape(NULL, out, sizeof out), "");
}

static void test_escape_cut(void **state) {
  (void)state;
  char out[8];
  /* never cut inside an escape or a sequence; a cut ends in ~ */
  assert_string_equal(wd_text_escape("abcdefghij", out, sizeof out), "abcdef~");
  assert_string_equal(wd_text_escape("ab\x01zzzz", out, sizeof out),
                      "ab\\x01~");
  assert_string_equal(wd_text_escape("abcd\x01", out, sizeof out), "abcd~");
  assert_string_equal(wd_text_escape("abcde\xe2\x82\xac", out, sizeof out),
                      "abcde~");
  assert_string_equal(wd_text_escape("abcdefg", out, sizeof out), "abcdefg");
  char one[1];
  assert_string_equal(wd_text_escape("abc", one, sizeof one), "");
  /* four times the input always fits */
  char big[4 * 6 + 1];
  assert_string_equal(
      wd_text_escape("\x01\x02\x03\xff\xfe\x1b", big, sizeof big),
      "\\x01\\x02\\x03\\xFF\\xFE\\x1B");
}

static void test_width_cut(void **state) {
  (void)state;
  char out[32];
  assert_int_equal(wd_text_width("M\xc3\xbcnchen"), 7);
  assert_int_equal(wd_text_cut("M\xc3\xbcnchen", 2, out, sizeof out), 2);
  assert_string_equal(out, "M\xc3\xbc");
  assert_int_equal(wd_text_cut("ab", 5, out, sizeof out), 2);
  assert_string_equal(out, "ab");
  char small[3];
  assert_int_equal(wd_text_cut("a\xc3\xbc", 2, small, sizeof small), 1);
  assert_string_equal(small, "a");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8_seq),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_escape_cut),
      cmocka_unit_test(test_width_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
