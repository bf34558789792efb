/* strbuf_test.c -- tests of src/core/strbuf.c: appends and formatted text
 * up to the cap and not a byte past it (the buffer keeps what it had),
 * sticky errors, take and reuse, an empty take, and wd_strbuf_read: a
 * file exactly at the cap, one byte over (WD_ERR_FULL, what fitted kept),
 * an empty file, a file larger than one read chunk, a directory
 * (WD_ERR_IO, errno EISDIR) and an append after reading. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/strbuf.h"

static void test_cap_and_sticky(void **state) {
  (void)state;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 10);
  assert_string_equal(wd_strbuf_str(&b), "");
  assert_int_equal(wd_strbuf_puts(&b, "hello"), WD_OK);
  assert_int_equal(wd_strbuf_printf(&b, "%d%c", 12, '3'), WD_OK);
  assert_int_equal(wd_strbuf_putc(&b, '4'), WD_OK);
  assert_string_equal(wd_strbuf_str(&b), "hello1234");
  assert_int_equal(wd_strbuf_append(&b, "56", 2), WD_ERR_FULL);
  assert_string_equal(wd_strbuf_str(&b), "hello1234"); /* kept */
  assert_int_equal(b.len, 9);
  assert_int_equal(wd_strbuf_putc(&b, '5'), WD_ERR_FULL); /* sticky */
  assert_int_equal(wd_strbuf_rc(&b), WD_ERR_FULL);
  size_t len = 1;
  assert_null(wd_strbuf_take(&b, &len)); /* nothing after an error */
  assert_int_equal(len, 0);
  /* Reusable after take. */
  assert_int_equal(wd_strbuf_puts(&b, "0123456789"), WD_OK);
  assert_int_equal(b.cap, 11); /* never more than the cap can use */
  char *p = wd_strbuf_take(&b, &len);
  assert_string_equal(p, "0123456789");
  assert_int_equal(len, 10);
  free(p);
  p = wd_strbuf_take(&b, &len);
  assert_string_equal(p, ""); /* empty but a string */
  free(p);
  wd_strbuf_fini(&b);
}

static FILE *file_of(size_t n, char fill) {
  FILE *f = tmpfile();
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fputc(fill + (char)(i % 7), f);
  rewind(f);
  return f;
}

static void test_read(void **state) {
  (void)state;
  wd_strbuf_t b;
  /* Exactly the cap. */
  FILE *f = file_of(1000, 'a');
  wd_strbuf_init(&b, 1000);
  assert_int_equal(wd_strbuf_read(&b, f), WD_OK);
  assert_int_equal(b.len, 1000);
  assert_int_equal(wd_strbuf_str(&b)[999], 'a' + 999 % 7);
  assert_int_equal(wd_strbuf_str(&b)[1000], '\0');
  wd_strbuf_fini(&b);
  fclose(f);
  /* One byte over: full, what fitted kept. */
  f = file_of(1001, 'a');
  wd_strbuf_init(&b, 1000);
  assert_int_equal(wd_strbuf_read(&b, f), WD_ERR_FULL);
  assert_int_equal(b.len, 1000);
  wd_strbuf_fini(&b);
  fclose(f);
  /* Empty file: an empty string. */
  f = file_of(0, 'a');
  wd_strbuf_init(&b, 1000);
  assert_int_equal(wd_strbuf_read(&b, f), WD_OK);
  assert_int_equal(b.len, 0);
  assert_string_equal(wd_strbuf_str(&b), "");
  wd_strbuf_fini(&b);
  fclose(f);
  /* Several read chunks, after what the buffer already held. */
  size_t big = 300000;
  f = file_of(big, 'A');
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_strbuf_puts(&b, ">"), WD_OK);
  assert_int_equal(wd_strbuf_read(&b, f), WD_OK);
  assert_int_equal(b.len, big + 1);
  for (size_t i = 0; i < big; i++)
    if (wd_strbuf_str(&b)[i + 1] != 'A' + (char)(i % 7))
      fail_msg("byte %zu differs", i);
  assert_int_equal(wd_strbuf_puts(&b, "<"), WD_OK);
  assert_int_equal(wd_strbuf_str(&b)[big + 1], '<');
  wd_strbuf_fini(&b);
  fclose(f);
  /* A directory opens but cannot be read. */
  f = fopen("/", "rb");
  assert_non_null(f);
  wd_strbuf_init(&b, 1000);
  errno = 0;
  assert_int_equal(wd_strbuf_read(&b, f), WD_ERR_IO);
  assert_int_equal(errno, EISDIR);
  assert_int_equal(wd_strbuf_rc(&b), WD_ERR_IO);
  wd_strbuf_fini(&b);
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cap_and_sticky),
      cmocka_unit_test(test_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
