/* config_extra_test.c -- tests of key tables from outside core
 * (wd_config_keyset_t, as a detector will declare its own keys): their
 * defaults, values read from the same file as core keys and in the same
 * sections, wd_config_is_set, errors with file:line:column and
 * suggestions, duplicates, a dump that keeps every section in one piece
 * and reloads to the same text, tables whose names clash with core's or
 * each other's refused, and loading from a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

typedef struct demo {
  bool enabled;
  uint32_t window_s;
  uint64_t min_pps;
  double p;
  char *label;
  wd_cidr_list_t exempt;
} demo_t;

static const wd_config_key_t demo_keys[] = {
    WD_KEY_BOOL(demo_t, "detect.demo.enabled", enabled, "true", "on"),
    WD_KEY_SECS(demo_t, "detect.demo.window", window_s, "10s", 1, 3600,
                "time window"),
    WD_KEY_RATE(demo_t, "detect.demo.min_pps", min_pps, "1k", 1, 1000000,
                "rate"),
    WD_KEY_PROB(demo_t, "detect.demo.p", p, "0.5", "a probability"),
    WD_KEY_STR(demo_t, "detect.demo.label", label, "demo", 0, "a label"),
    WD_KEY_CIDRS(demo_t, "detect.demo.exempt", exempt, "10.0.0.0/8",
                 "not reported"),
};
/* Across keys: the window must not be shorter than 2 s when p > 0.9. */
static const char *const *demo_check(const void *conf, char *msg, size_t n) {
  static const char *const keys[] = {"detect.demo.window", "detect.demo.p",
                                     NULL};
  const demo_t *d = conf;
  if (d->p > 0.9 && d->window_s < 2) {
    snprintf(msg, n, "window %us with p %g; expected 2s at least", d->window_s,
             d->p);
    return keys;
  }
  return NULL;
}
static const wd_config_keyset_t demo = {demo_keys, 6, sizeof(demo_t),
                                        demo_check};

/* A second table in a section of its own, and one under flow. */
typedef struct other {
  uint64_t size;
  uint32_t n;
} other_t;
static const wd_config_key_t other_keys[] = {
    WD_KEY_SIZE(other_t, "zeta.size", size, "1 KiB", 0, 1u << 30, "bytes"),
    WD_KEY_UINT(other_t, "flow.extra_n", n, "3", 0, 10, "a count"),
};
static const wd_config_keyset_t other = {other_keys, 2, sizeof(other_t), NULL};

static const wd_config_keyset_t *const both[] = {&demo, &other};

static wd_config_t *load_ok(const char *yaml) {
  char err[512] = "";
  wd_config_t *c = NULL;
  wd_rc rc = wd_config_load_buffer_extra("t.yaml", yaml, strlen(yaml), both, 2,
                                         &c, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("unexpected error %d: %s\n--- input:\n%s", rc, err, yaml);
  return c;
}

static void load_bad(const char *yaml, const char *prefix, const char *part) {
  char err[512] = "";
  wd_config_t *c = (wd_config_t *)1;
  wd_rc rc = wd_config_load_buffer_extra("t.yaml", yaml, strlen(yaml), both, 2,
                                         &c, err, sizeof err);
  assert_int_equal(rc, WD_ERR_CONFIG);
  assert_null(c);
  if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, part))
    fail_msg("error '%s', expected '%s...%s'", err, prefix, part);
}

static void test_defaults(void **state) {
  (void)state;
  wd_config_t *c;
  assert_int_equal(wd_config_defaults_extra(both, 2, &c), WD_OK);
  const demo_t *d = wd_config_extra(c, &demo);
  const other_t *o = wd_config_extra(c, &other);
  assert_non_null(d);
  assert_non_null(o);
  assert_true(d->enabled);
  assert_int_equal(d->window_s, 10);
  assert_int_equal(d->min_pps, 1000);
  assert_true(d->p == 0.5);
  assert_string_equal(d->label, "demo");
  assert_int_equal(d->exempt.n, 1);
  assert_int_equal(o->size, 1024);
  assert_int_equal(o->n, 3);
  assert_false(wd_config_is_set(c, "detect.demo.window"));
  /* Core defaults are untouched. */
  assert_int_equal(c->flow.max, 1000000);
  wd_config_free(c);
  /* A configuration loaded without the table has none of it. */
  assert_int_equal(wd_config_defaults(&c), WD_OK);
  assert_null(wd_config_extra(c, &demo));
  wd_config_free(c);
}

static void test_values(void **state) {
  (void)state;
  wd_config_t *c = load_ok("flow:\n"
                           "  max: 5000\n"
                           "  extra_n: 7\n"
                           "detect:\n"
                           "  update_interval: 9s\n"
                           "  demo:\n"
                           "    window: 2m\n"
                           "    exempt: [192.0.2.0/24, 2001:db8::/32]\n"
                           "  demo.label: \"x y\"\n"
                           "detect.demo.p: 0.25\n"
                           "zeta: {size: 2 MiB}\n");
  const demo_t *d = wd_config_extra(c, &demo);
  const other_t *o = wd_config_extra(c, &other);
  assert_int_equal(c->flow.max, 5000);
  assert_int_equal(c->detect.update_s, 9);
  assert_int_equal(d->window_s, 120);
  assert_int_equal(d->exempt.n, 2);
  assert_string_equal(d->label, "x y");
  assert_true(d->p == 0.25);
  assert_true(d->enabled); /* default */
  assert_int_equal(o->n, 7);
  assert_int_equal(o->size, 2u << 20);
  assert_true(wd_config_is_set(c, "detect.demo.window"));
  assert_true(wd_config_is_set(c, "zeta.size"));
  assert_true(wd_config_is_set(c, "flow.max"));
  assert_false(wd_config_is_set(c, "detect.demo.enabled"));
  assert_false(wd_config_is_set(c, "no.such.key"));
  wd_config_free(c);
}

static void test_errors(void **state) {
  (void)state;
  load_bad("detect:\n  demo:\n    window: 2h\n",
           "t.yaml:3:13: detect.demo.window: ", "is above the maximum 1h");
  load_bad(
      "detect:\n  demo:\n    windwo: 2m\n",
      "t.yaml:3:5: detect.demo.windwo: ", "did you mean 'detect.demo.window'?");
  load_bad("detect:\n  demo:\n    exempt: [10.0.0.1/8]\n",
           "t.yaml:3:14: detect.demo.exempt: ", "host bits set");
  load_bad("detect:\n  demo:\n    p: 1\n",
           "t.yaml:3:8: detect.demo.p: ", "out of range");
  load_bad("detect.demo.window: 5\ndetect:\n  demo:\n    window: 6\n",
           "t.yaml:4:5: detect.demo.window: ",
           "duplicate key (first given at line 1)");
  load_bad("zeta:\n  size: 1\nzeta:\n  size: 2\n",
           "t.yaml:3:1: zeta: ", "duplicate section (first given at line 1)");
  load_bad("zeeta:\n  size: 1\n",
           "t.yaml:1:1: zeeta: ", "did you mean 'zeta'?");
}

static char *dump(const wd_config_t *c, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  assert_non_null(f);
  assert_int_equal(wd_config_dump(c, f), WD_OK);
  fclose(f);
  return buf;
}

static void test_dump_reload(void **state) {
  (void)state;
  wd_config_t *c = load_ok("detect:\n  demo:\n    window: 2m\n"
                           "    label: \"quote \\\" here\"\n"
                           "flow:\n  extra_n: 1\n");
  size_t n1, n2;
  char *d1 = dump(c, &n1);
  /* Each section once: the demo keys sit inside detect, extra_n inside
   * flow, zeta at the end. */
  char *det = strstr(d1, "\ndetect:\n");
  assert_non_null(det);
  assert_null(strstr(det + 1, "\ndetect:\n"));
  char *demo_at = strstr(d1, "\n  demo:\n    enabled: true\n    window: 2m\n");
  assert_non_null(demo_at);
  assert_true(demo_at > det);
  assert_non_null(strstr(d1, "  extra_n: 1\n"));
  assert_null(strstr(strstr(d1, "\nflow:\n") + 1, "\nflow:\n"));
  assert_non_null(strstr(d1, "\nzeta:\n  size: 1 KiB\n"));
  char err[512] = "";
  wd_config_t *r = NULL;
  if (wd_config_load_buffer_extra("dump.yaml", d1, n1, both, 2, &r, err,
                                  sizeof err) != WD_OK)
    fail_msg("dump does not reload: %s\n%s", err, d1);
  char *d2 = dump(r, &n2);
  /* Same text but the file name in the first line. */
  assert_string_equal(strchr(d1, '\n'), strchr(d2, '\n'));
  const demo_t *d = wd_config_extra(r, &demo);
  assert_string_equal(d->label, "quote \" here");
  free(d1);
  free(d2);
  wd_config_free(r);
  wd_config_free(c);
}

static void test_clashes_refused(void **state) {
  (void)state;
  static const wd_config_key_t dup_core[] = {
      WD_KEY_UINT(other_t, "flow.max", n, "3", 0, 10, "clash")};
  static const wd_config_key_t section_core[] = {
      WD_KEY_UINT(other_t, "flow", n, "3", 0, 10, "clash")};
  static const wd_config_key_t under_key[] = {
      WD_KEY_UINT(other_t, "flow.max.x", n, "3", 0, 10, "clash")};
  static const wd_config_key_t fac[] = {
      WD_KEY_UINT(other_t, "facilities.x", n, "3", 0, 10, "clash")};
  static const wd_config_key_t bad_default[] = {
      WD_KEY_UINT(other_t, "zz.n", n, "eleven", 0, 10, "bad")};
  static const wd_config_keyset_t sets[] = {
      {dup_core, 1, sizeof(other_t), NULL},
      {section_core, 1, sizeof(other_t), NULL},
      {under_key, 1, sizeof(other_t), NULL},
      {fac, 1, sizeof(other_t), NULL},
      {bad_default, 1, sizeof(other_t), NULL}};
  wd_config_t *c = (wd_config_t *)1;
  char err[256];
  for (size_t i = 0; i < 5; i++) {
    const wd_config_keyset_t *one[] = {&sets[i]};
    assert_int_equal(wd_config_defaults_extra(one, 1, &c), WD_ERR_INVAL);
    assert_null(c);
    assert_int_equal(
        wd_config_load_buffer_extra("t", "", 0, one, 1, &c, err, sizeof err),
        WD_ERR_INVAL);
  }
  /* The same table twice, or two tables naming one key. */
  const wd_config_keyset_t *twice[] = {&demo, &demo};
  assert_int_equal(wd_config_defaults_extra(twice, 2, &c), WD_ERR_INVAL);
  assert_int_equal(wd_config_defaults_extra(NULL, 1, &c), WD_ERR_INVAL);
}

/* The table's check runs after the file is read and places the error at
 * the key at fault the file gave last. */
static void test_check_across_keys(void **state) {
  (void)state;
  load_bad("detect:\n  demo:\n    window: 1s\n    p: 0.95\n",
           "t.yaml:4:5: detect.demo.window: ", "expected 2s at least");
  load_bad("detect.demo.p: 0.95\ndetect.demo.window: 1s\n",
           "t.yaml:2:1: detect.demo.window: ", "window 1s with p 0.95");
  wd_config_t *c = load_ok("detect.demo.p: 0.95\n");
  wd_config_free(c);
}

/* wd_config_set replaces one value, core or extra, refuses a bad value
 * or one its table's check refuses and then leaves the old one;
 * wd_config_get reads values back as the dump writes them. */
static void test_set_get(void **state) {
  (void)state;
  char err[256], v[64];
  wd_config_t *c = load_ok("");
  const demo_t *d = wd_config_extra(c, &demo);
  assert_int_equal(
      wd_config_set(c, "detect.demo.window", "90s", err, sizeof err), WD_OK);
  assert_int_equal(d->window_s, 90);
  assert_true(wd_config_is_set(c, "detect.demo.window"));
  assert_int_equal(wd_config_get(c, "detect.demo.window", v, sizeof v), WD_OK);
  assert_string_equal(v, "90s");
  assert_int_equal(wd_config_set(c, "detect.demo.exempt",
                                 "192.0.2.0/24, 2001:db8::/32", err,
                                 sizeof err),
                   WD_OK);
  assert_int_equal(d->exempt.n, 2);
  assert_int_equal(
      wd_config_set(c, "detect.demo.label", "new", err, sizeof err), WD_OK);
  assert_string_equal(d->label, "new");
  assert_int_equal(wd_config_set(c, "flow.max", "4096", err, sizeof err),
                   WD_OK);
  assert_int_equal(c->flow.max, 4096);
  /* a bad value: error says which key and what was expected */
  assert_int_equal(
      wd_config_set(c, "detect.demo.window", "soon", err, sizeof err),
      WD_ERR_CONFIG);
  assert_non_null(strstr(err, "detect.demo.window: "));
  assert_int_equal(d->window_s, 90);
  /* refused by the table's check: nothing changes */
  assert_int_equal(
      wd_config_set(c, "detect.demo.window", "1s", err, sizeof err), WD_OK);
  assert_int_equal(wd_config_set(c, "detect.demo.p", "0.99", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_non_null(strstr(err, "expected 2s at least"));
  assert_true(d->p == 0.5);
  assert_int_equal(wd_config_set(c, "detect.nope", "1", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_non_null(strstr(err, "detect.nope: no such key"));
  assert_int_equal(wd_config_get(c, "detect.nope", v, sizeof v),
                   WD_ERR_NOTFOUND);
  assert_int_equal(wd_config_get(c, "detect.demo.label", v, 3), WD_ERR_INVAL);
  wd_config_free(c);
}

static void test_load_file(void **state) {
  (void)state;
  char path[] = "/tmp/ward-config-extra-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *y = "detect:\n  demo:\n    min_pps: 2k\n";
  assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
  close(fd);
  wd_config_t *c = NULL;
  char err[256] = "";
  assert_int_equal(wd_config_load_extra(path, both, 2, &c, err, sizeof err),
                   WD_OK);
  assert_int_equal(((const demo_t *)wd_config_extra(c, &demo))->min_pps, 2000);
  assert_string_equal(c->path, path);
  wd_config_free(c);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_dump_reload),
      cmocka_unit_test(test_clashes_refused),
      cmocka_unit_test(test_check_across_keys),
      cmocka_unit_test(test_set_get),
      cmocka_unit_test(test_load_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
