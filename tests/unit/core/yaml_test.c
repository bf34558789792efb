/* yaml_test.c -- tests of src/core/yaml.c, the YAML reader: the event
 * sequence with line:column marks (block and flow styles, multi-byte
 * characters counted once), scalars with quotes, NUL bytes and nulls,
 * messages "NAME:L:C: KEY: ..." for syntax errors, bad bytes placed by
 * line and column, anchors and aliases refused, the nesting cap (exactly
 * depth_max accepted, one more refused, however deep the text goes), the
 * first error kept and every later call failing, and empty input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/yaml.h"

static wd_yaml_t *open_text(const char *text, size_t len, unsigned depth,
                            char *err, size_t errlen) {
  wd_yaml_t *y = NULL;
  assert_int_equal(wd_yaml_new("t.yaml", text, len, depth, err, errlen, &y),
                   WD_OK);
  return y;
}

static const wd_yaml_event_t *next_ok(wd_yaml_t *y, wd_yaml_kind kind,
                                      uint32_t line, uint32_t col) {
  const wd_yaml_event_t *ev;
  assert_int_equal(wd_yaml_next(y, &ev), WD_OK);
  assert_non_null(ev);
  if (ev->kind != kind || ev->at.line != line || ev->at.col != col)
    fail_msg("event %d at %u:%u, expected %d at %u:%u", ev->kind, ev->at.line,
             ev->at.col, kind, line, col);
  return ev;
}

/* Reads every event of text and returns the first error's code. */
static wd_rc drain(const char *text, size_t len, unsigned depth, char *err,
                   size_t errlen) {
  wd_yaml_t *y = open_text(text, len, depth, err, errlen);
  const wd_yaml_event_t *ev = NULL;
  wd_rc rc;
  do
    rc = wd_yaml_next(y, &ev);
  while (rc == WD_OK && ev->kind != WD_YAML_STREAM_END);
  wd_yaml_free(y);
  return rc;
}

static void expect_error(const char *text, size_t len, unsigned depth,
                         const char *prefix, const char *part) {
  char err[256] = "";
  assert_int_equal(drain(text, len, depth, err, sizeof err), WD_ERR_CONFIG);
  if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, part))
    fail_msg("error '%s', expected '%s...%s'", err, prefix, part);
}

static void test_events_and_marks(void **state) {
  (void)state;
  const char *t = "a: 1\n"
                  "b:\n"
                  "  - x\n"
                  "  - \"q\\0z\"\n"
                  "c: {d: ~, e: 'é', f: null}\n"
                  "é: [1, 2]\n";
  wd_yaml_t *y = open_text(t, strlen(t), 4, NULL, 0);
  next_ok(y, WD_YAML_STREAM_START, 1, 1);
  next_ok(y, WD_YAML_DOC_START, 1, 1);
  next_ok(y, WD_YAML_MAP_START, 1, 1);
  const wd_yaml_event_t *ev = next_ok(y, WD_YAML_SCALAR, 1, 1);
  assert_string_equal(ev->s, "a");
  assert_true(ev->plain);
  ev = next_ok(y, WD_YAML_SCALAR, 1, 4);
  assert_string_equal(ev->s, "1");
  assert_false(wd_yaml_is_null(ev));
  next_ok(y, WD_YAML_SCALAR, 2, 1);
  next_ok(y, WD_YAML_SEQ_START, 3, 3);
  ev = next_ok(y, WD_YAML_SCALAR, 3, 5);
  assert_string_equal(wd_yaml_what(ev), "a value");
  ev = next_ok(y, WD_YAML_SCALAR, 4, 5);
  assert_int_equal(ev->len, 3); /* a NUL byte of its own */
  assert_memory_equal(ev->s, "q\0z", 3);
  assert_false(ev->plain);
  ev = next_ok(y, WD_YAML_SEQ_END, 5, 1);
  assert_string_equal(wd_yaml_what(ev), "the end of a block");
  next_ok(y, WD_YAML_SCALAR, 5, 1);
  ev = next_ok(y, WD_YAML_MAP_START, 5, 4);
  assert_string_equal(wd_yaml_what(ev), "a mapping");
  next_ok(y, WD_YAML_SCALAR, 5, 5);
  ev = next_ok(y, WD_YAML_SCALAR, 5, 8);
  assert_true(wd_yaml_is_null(ev));
  next_ok(y, WD_YAML_SCALAR, 5, 11);
  ev = next_ok(y, WD_YAML_SCALAR, 5, 14);
  assert_string_equal(ev->s, "é");
  assert_false(wd_yaml_is_null(ev));
  next_ok(y, WD_YAML_SCALAR, 5, 19); /* 'é' is one column */
  ev = next_ok(y, WD_YAML_SCALAR, 5, 22);
  assert_true(wd_yaml_is_null(ev));
  next_ok(y, WD_YAML_MAP_END, 5, 26);
  next_ok(y, WD_YAML_SCALAR, 6, 1);
  ev = next_ok(y, WD_YAML_SEQ_START, 6, 4);
  assert_string_equal(wd_yaml_what(ev), "a list");
  next_ok(y, WD_YAML_SCALAR, 6, 5);
  next_ok(y, WD_YAML_SCALAR, 6, 8);
  next_ok(y, WD_YAML_SEQ_END, 6, 9);
  next_ok(y, WD_YAML_MAP_END, 7, 1);
  next_ok(y, WD_YAML_DOC_END, 7, 1);
  next_ok(y, WD_YAML_STREAM_END, 7, 1);
  assert_false(wd_yaml_failed(y));
  wd_yaml_free(y);
}

static void test_nulls(void **state) {
  (void)state;
  static const char *const nulls[] = {"a:", "a: ~", "a: null", "a: Null",
                                      "a: NULL"};
  static const char *const values[] = {"a: ''", "a: \"null\"", "a: nul",
                                       "a: NuLL", "a: ~~"};
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < 5; i++) {
      const char *t = pass ? values[i] : nulls[i];
      wd_yaml_t *y = open_text(t, strlen(t), 4, NULL, 0);
      const wd_yaml_event_t *ev;
      for (int k = 0; k < 5; k++)
        assert_int_equal(wd_yaml_next(y, &ev), WD_OK);
      assert_int_equal(ev->kind, WD_YAML_SCALAR);
      if (wd_yaml_is_null(ev) != !pass)
        fail_msg("'%s': null is %d", t, wd_yaml_is_null(ev));
      wd_yaml_free(y);
    }
}

static void test_syntax_errors(void **state) {
  (void)state;
  expect_error("a:\n\tb: 5\n", 9, 4, "t.yaml:2:1: yaml: ",
               "found character that cannot start any token; expected "
               "well-formed YAML");
  expect_error("a: {b: 5\n", 9, 4,
               "t.yaml:2:1: yaml: ", "while parsing a flow mapping");
  expect_error("a: [1, 2\n", 9, 4,
               "t.yaml:2:1: yaml: ", "expected well-formed YAML");
  expect_error("a: 'open\n", 9, 4,
               "t.yaml:2:1: yaml: ", "while scanning a quoted scalar");
  /* Bytes libyaml refuses, placed by line and column (characters). */
  expect_error("a: b\nc: x\0y\n", 11, 4,
               "t.yaml:2:5: yaml: ", "control characters are not allowed");
  expect_error("a: b\nc: é\xff\n", 11, 4, "t.yaml:2:5: yaml: ", "UTF-8");
  expect_error("\xfe", 1, 4, "t.yaml:1:1: yaml: ", "UTF-8");
}

static void test_anchors_refused(void **state) {
  (void)state;
  expect_error("a: &x 5\n", 8, 4, "t.yaml:1:4: yaml: ",
               "anchors and aliases are not supported; expected plain values");
  expect_error("a: &x [1]\nb: *x\n", 16, 4,
               "t.yaml:1:4: yaml: ", "anchors and aliases");
  expect_error("- &m {k: v}\n", 12, 4, "t.yaml:1:3: yaml: ", "anchors");
  /* An alias alone (no anchor first) is refused too. */
  expect_error("a: *x\n", 6, 4, "t.yaml:1:4: yaml: ", "anchors and aliases");
}

static void test_nesting_cap(void **state) {
  (void)state;
  char err[256];
  /* Exactly four levels: accepted. */
  assert_int_equal(drain("[[[[1]]]]", 9, 4, err, sizeof err), WD_OK);
  assert_int_equal(drain("a: {b: [{c: 1}]}", 16, 4, err, sizeof err), WD_OK);
  /* One more: refused where the fifth opens. */
  expect_error("[[[[[1]]]]]", 11, 4, "t.yaml:1:5: yaml: ",
               "nested deeper than 4 levels; expected at most 4 levels");
  expect_error("a:\n  b:\n    c: [1]\n", 19, 3,
               "t.yaml:3:8: yaml: ", "nested deeper than 3 levels");
  /* Closing levels makes room again. */
  assert_int_equal(drain("- [[1]]\n- [[2]]\n- [[3]]\n", 24, 3, err, sizeof err),
                   WD_OK);
  /* 200000 levels stop at the first level past the cap. */
  size_t n = 200000;
  char *deep = malloc(n);
  assert_non_null(deep);
  memset(deep, '[', n);
  expect_error(deep, n, 16, "t.yaml:1:17: yaml: ", "nested deeper than 16");
  free(deep);
}

static void test_first_error_kept(void **state) {
  (void)state;
  char err[256] = "";
  wd_yaml_t *y = open_text("a: &x 1\n", 8, 4, err, sizeof err);
  const wd_yaml_event_t *ev;
  wd_rc rc;
  do
    rc = wd_yaml_next(y, &ev);
  while (rc == WD_OK);
  assert_int_equal(rc, WD_ERR_CONFIG);
  assert_null(ev);
  assert_true(wd_yaml_failed(y));
  /* Later calls fail the same way and leave the message alone. */
  assert_int_equal(wd_yaml_next(y, &ev), WD_ERR_CONFIG);
  wd_yaml_mark_t at = {9, 9};
  assert_int_equal(wd_yaml_fail(y, at, "k", "second %d", 2), WD_ERR_CONFIG);
  assert_string_equal(err, "t.yaml:1:4: yaml: anchors and aliases are not "
                           "supported; expected plain values");
  wd_yaml_free(y);

  /* A caller's error: key shown with '?' for control bytes, or no key. */
  y = open_text("", 0, 4, err, sizeof err);
  at.line = 3;
  at.col = 7;
  assert_int_equal(wd_yaml_fail(y, at, "bad\tkey", "found %s", "x"),
                   WD_ERR_CONFIG);
  assert_string_equal(err, "t.yaml:3:7: bad?key: found x");
  wd_yaml_free(y);
  y = open_text("", 0, 4, err, sizeof err);
  wd_yaml_fail(y, at, NULL, "plain");
  assert_string_equal(err, "t.yaml:3:7: plain");
  wd_yaml_free(y);
  /* No buffer: still failed, nothing written. */
  y = open_text("", 0, 4, NULL, 0);
  wd_yaml_fail(y, at, NULL, "x");
  assert_true(wd_yaml_failed(y));
  wd_yaml_free(y);
}

static void test_empty_and_args(void **state) {
  (void)state;
  wd_yaml_t *y = open_text(NULL, 0, 1, NULL, 0);
  next_ok(y, WD_YAML_STREAM_START, 1, 1);
  next_ok(y, WD_YAML_STREAM_END, 1, 1);
  wd_yaml_free(y);
  assert_int_equal(wd_yaml_new("t", "", 0, 0, NULL, 0, &y), WD_ERR_INVAL);
  assert_null(y);
  assert_int_equal(wd_yaml_new(NULL, "", 0, 4, NULL, 0, &y), WD_ERR_INVAL);
  wd_yaml_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_events_and_marks),
      cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_anchors_refused),
      cmocka_unit_test(test_nesting_cap),
      cmocka_unit_test(test_first_error_kept),
      cmocka_unit_test(test_empty_and_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
