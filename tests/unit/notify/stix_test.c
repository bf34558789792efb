/* stix_test.c -- STIX 2.1 bundles for every incident class pass the OASIS
 * schemas (shared/schemas/stix/validate.py, run with python3 through
 * stix_validate.py, which allows only the schema's known incident gap
 * described in src/notify/stix.h) and the
 * rules no schema states, checked here: ids well formed and unique,
 * modified >= created, every _ref/_refs id present in the bundle,
 * indicators with valid_from, observed/sighting windows ordered, UUIDv5
 * ids deterministic, hostile strings harmless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify/codec.h"
#include "notify/notice_fixture.h"
#include "notify/stix.h"

static bool id_ok(const char *id, const char *type) {
  size_t tl = strlen(type);
  if (strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0)
    return false;
  const char *u = id + tl + 2;
  if (strlen(u) != 36)
    return false;
  for (int i = 0; i < 36; i++) {
    char c = u[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

static void check_refs(json_t *v, json_t *ids, const char *key) {
  const char *k;
  json_t *x;
  size_t i;
  if (json_is_object(v)) {
    json_object_foreach(v, k, x) {
      size_t kl = strlen(k);
      bool one = kl > 4 && !strcmp(k + kl - 4, "_ref");
      bool many = kl > 5 && !strcmp(k + kl - 5, "_refs");
      if (one) {
        assert_true(json_is_string(x));
        if (!json_object_get(ids, json_string_value(x)))
          fail_msg("%s: dangling %s", k, json_string_value(x));
      } else if (many) {
        assert_true(json_is_array(x));
        assert_true(json_array_size(x) > 0);
        json_t *e;
        json_array_foreach(x, i, e) {
          if (!json_object_get(ids, json_string_value(e)))
            fail_msg("%s: dangling %s", k, json_string_value(e));
        }
      } else {
        check_refs(x, ids, k);
      }
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, x) check_refs(x, ids, key);
  }
}

/* The rules of STIX 2.1 no JSON schema states. */
static void check_bundle_rules(json_t *b) {
  json_t *objs = json_object_get(b, "objects"), *o, *ids = json_object();
  size_t i;
  assert_true(id_ok(json_string_value(json_object_get(b, "id")), "bundle"));
  json_array_foreach(objs, i, o) {
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *id = json_string_value(json_object_get(o, "id"));
    assert_non_null(type);
    assert_non_null(id);
    assert_true(id_ok(id, type));
    if (json_object_get(ids, id))
      fail_msg("duplicate id %s", id);
    json_object_set_new(ids, id, json_true());
    const char *cr = json_string_value(json_object_get(o, "created"));
    const char *mo = json_string_value(json_object_get(o, "modified"));
    if (cr && mo) /* same format: lexical order is time order */
      assert_true(strcmp(mo, cr) >= 0);
    if (!strcmp(type, "indicator")) {
      const char *vf = json_string_value(json_object_get(o, "valid_from"));
      assert_non_null(vf);
      const char *vu = json_string_value(json_object_get(o, "valid_until"));
      if (vu)
        assert_true(strcmp(vu, vf) > 0);
      const char *pat = json_string_value(json_object_get(o, "pattern"));
      assert_true(pat[0] == '[' && pat[strlen(pat) - 1] == ']');
    }
    if (!strcmp(type, "observed-data")) {
      assert_true(
          strcmp(json_string_value(json_object_get(o, "last_observed")),
                 json_string_value(json_object_get(o, "first_observed"))) >= 0);
      json_int_t nobs =
          json_integer_value(json_object_get(o, "number_observed"));
      assert_true(nobs >= 1 && nobs <= 999999999);
    }
    if (!strcmp(type, "sighting")) {
      assert_true(strcmp(json_string_value(json_object_get(o, "last_seen")),
                         json_string_value(json_object_get(o, "first_seen"))) >=
                  0);
    }
    if (!strcmp(type, "network-traffic")) {
      const char *st = json_string_value(json_object_get(o, "start"));
      const char *en = json_string_value(json_object_get(o, "end"));
      if (st && en)
        assert_true(strcmp(en, st) >= 0);
    }
  }
  check_refs(objs, ids, "");
  json_decref(ids);
}

static json_t *build(int which, char **text) {
  wd_notice_incident_t n;
  size_t len;
  json_error_t e;
  fixture_get(which, &n);
  assert_int_equal(wd_stix_build(&n, text, &len), WD_OK);
  json_t *b = json_loadb(*text, len, 0, &e);
  if (!b)
    fail_msg("not JSON: %s", e.text);
  return b;
}

static int count_type(json_t *b, const char *type) {
  json_t *o;
  size_t i;
  int c = 0;
  json_array_foreach(json_object_get(b, "objects"), i, o) c +=
      !strcmp(json_string_value(json_object_get(o, "type")), type);
  return c;
}

static void test_rules_every_class(void **state) {
  (void)state;
  for (int k = 0; k < FX_COUNT; k++) {
    char *text;
    json_t *b = build(k, &text);
    check_bundle_rules(b);
    assert_int_equal(count_type(b, "incident"), 1);
    assert_true(count_type(b, "identity") >= 1);
    json_decref(b);
    free(text);
  }
}

static void test_schema_validate_py(void **state) {
  (void)state;
  char dir[] = "/tmp/stix_test.XXXXXX", cmd[8192], path[4200];
  const char *shared = FIXTURE_SHARED_DIR;
  char validator[4200];
  snprintf(validator, sizeof validator, "%s/schemas/stix/validate.py", shared);
  if (access(validator, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0)
    skip();
  if (system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0)
    skip();
  assert_non_null(mkdtemp(dir));
  int w = snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s",
                   fixture_dir_of(__FILE__, "/stix_validate.py"), validator);
  for (int k = 0; k < FX_COUNT; k++) {
    char *text;
    json_t *b = build(k, &text);
    json_decref(b);
    snprintf(path, sizeof path, "%s/bundle%d.json", dir, k);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    w += snprintf(cmd + w, sizeof cmd - (size_t)w, " %s", path);
  }
  snprintf(cmd + w, sizeof cmd - (size_t)w, " >%s/out.txt 2>&1", dir);
  int rc = system(cmd);
  if (rc != 0) {
    snprintf(cmd, sizeof cmd, "cat %s/out.txt >&2", dir);
    (void)!system(cmd);
  }
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)!system(cmd);
  assert_int_equal(rc, 0);
}

static void test_deterministic_ids(void **state) {
  (void)state;
  char *t1, *t2, u[37];
  json_t *b1 = build(FX_COMPROMISE, &t1), *b2 = build(FX_COMPROMISE, &t2);
  assert_string_equal(t1, t2); /* same notice, same bundle */
  /* SCO id of ipv4-addr 89.160.20.112 follows the STIX namespace rule */
  const char *name = "{\"value\":\"89.160.20.112\"}";
  assert_int_equal(wd_codec_uuid5(WD_STIX_SCO_NS, name, strlen(name), u),
                   WD_OK);
  char want[64];
  snprintf(want, sizeof want, "ipv4-addr--%s", u);
  assert_non_null(strstr(t1, want));
  /* RFC 9562 test vector: DNS namespace, "www.example.com" */
  assert_int_equal(wd_codec_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                                  "www.example.com", 15, u),
                   WD_OK);
  assert_string_equal(u, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  json_decref(b1);
  json_decref(b2);
  free(t1);
  free(t2);
}

static void test_spoofed_no_indicator(void **state) {
  (void)state;
  char *text;
  json_t *b = build(FX_DDOS, &text);
  /* two reliable reflectors get indicators; the spoofed source does not */
  assert_int_equal(count_type(b, "indicator"), 2);
  assert_int_equal(count_type(b, "sighting"), 2);
  assert_null(strstr(text, "[ipv4-addr:value = '203.0.113.77']"));
  assert_non_null(strstr(text, "ipv6-addr"));
  assert_non_null(strstr(text, "\"number\": 64500"));
  json_decref(b);
  free(text);
}

/* Patterns built from a value: quotes and backslashes escaped, a host
 * address without its length, a prefix with ISSUBSET. */
static void test_pattern_escaping(void **state) {
  (void)state;
  char p[256];
  assert_true(wd_stix_pattern("url", "http://x.example/it's\\a", p, sizeof p));
  assert_string_equal(p, "[url:value = 'http://x.example/it\\'s\\\\a']");
  assert_true(wd_stix_pattern("url", "http://x.example/\\'", p, sizeof p));
  assert_string_equal(p, "[url:value = 'http://x.example/\\\\\\'']");
  assert_true(wd_stix_pattern("domain-name", "evil.example", p, sizeof p));
  assert_string_equal(p, "[domain-name:value = 'evil.example']");
  assert_true(wd_stix_pattern("ipv4-addr", "192.0.2.1/32", p, sizeof p));
  assert_string_equal(p, "[ipv4-addr:value = '192.0.2.1']");
  assert_true(wd_stix_pattern("ipv4-addr", "192.0.2.0/24", p, sizeof p));
  assert_string_equal(p, "[ipv4-addr:value ISSUBSET '192.0.2.0/24']");
  assert_true(wd_stix_pattern("ipv6-addr", "2001:db8::1/128", p, sizeof p));
  assert_string_equal(p, "[ipv6-addr:value = '2001:db8::1']");
  assert_true(wd_stix_pattern("ipv6-addr", "2001:db8::/32", p, sizeof p));
  assert_string_equal(p, "[ipv6-addr:value ISSUBSET '2001:db8::/32']");
  assert_false(wd_stix_pattern("file", "x", p, sizeof p));
  /* exactly what fits, and one byte less */
  const char *want = "[domain-name:value = 'a.example']";
  assert_true(wd_stix_pattern("domain-name", "a.example", p, strlen(want) + 1));
  assert_false(wd_stix_pattern("domain-name", "a.example", p, strlen(want)));
}

/* Each matched indicator: an indicator (the STIX feed's own, else one of
 * ward's with an escaped pattern) and a sighting of it by the sender over
 * the observed data, which holds the observable. */
static void test_intel_sightings(void **state) {
  (void)state;
  char *text;
  json_t *b = build(FX_COMPROMISE, &text);
  check_bundle_rules(b);
  json_t *objs = json_object_get(b, "objects"), *o, *feed = NULL, *own = NULL;
  const char *sender = NULL, *od = NULL;
  size_t i;
  json_array_foreach(objs, i, o) {
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *pat = json_string_value(json_object_get(o, "pattern"));
    if (!strcmp(type, "identity") && !sender)
      sender = id;
    if (!strcmp(type, "observed-data"))
      od = id;
    if (!strcmp(type, "indicator") && !strcmp(id, FX_STIX_ID))
      feed = o;
    if (!strcmp(type, "indicator") && pat && strstr(pat, "url:value"))
      own = o;
  }
  assert_non_null(feed);
  assert_string_equal(json_string_value(json_object_get(feed, "pattern")),
                      "[domain-name:value = 'c2.badcontent.example']");
  assert_string_equal(json_string_value(json_object_get(feed, "created")),
                      "2026-01-01T00:00:00.000Z");
  /* no valid_from in the feed: its creation time */
  assert_string_equal(json_string_value(json_object_get(feed, "valid_from")),
                      "2026-01-01T00:00:00.000Z");
  assert_non_null(own);
  assert_string_equal(
      json_string_value(json_object_get(own, "pattern")),
      "[url:value = 'http://files.example.org/it\\'s\\\\drop.bin']");
  int sightings = 0;
  json_array_foreach(objs, i, o) {
    if (strcmp(json_string_value(json_object_get(o, "type")), "sighting"))
      continue;
    const char *of = json_string_value(json_object_get(o, "sighting_of_ref"));
    if (strcmp(of, FX_STIX_ID) != 0 &&
        strcmp(of, json_string_value(json_object_get(own, "id"))) != 0)
      continue;
    sightings++;
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(o, "where_sighted_refs"), 0)),
                        sender);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(o, "observed_data_refs"), 0)),
                        od);
    if (!strcmp(of, FX_STIX_ID)) {
      assert_int_equal(json_integer_value(json_object_get(o, "count")), 3);
      assert_string_equal(json_string_value(json_object_get(o, "first_seen")),
                          "2026-04-16T09:02:49.000Z");
      assert_string_equal(json_string_value(json_object_get(o, "last_seen")),
                          "2026-04-16T09:03:09.000Z");
    }
  }
  assert_int_equal(sightings, 2);
  /* the observables are in the observed data */
  assert_non_null(strstr(text, "\"type\": \"domain-name\""));
  assert_non_null(strstr(text, "\"value\": \"c2.badcontent.example\""));
  json_decref(b);
  free(text);
  /* a copy that is no JSON, or no indicator id: ward's own indicator */
  b = build(FX_HOSTILE, &text);
  check_bundle_rules(b);
  assert_null(strstr(text, "indicator--x"));
  assert_non_null(strstr(text, "[ipv4-addr:value ISSUBSET '192.0.2.0/24']"));
  json_decref(b);
  free(text);
}

static void test_hostile(void **state) {
  (void)state;
  char *text;
  json_t *b = build(FX_HOSTILE, &text);
  check_bundle_rules(b);
  assert_null(strstr(text, "\xff"));
  assert_null(strstr(text, "\r\n"));
  assert_null(strstr(text, "\xe2\x80\xae"));
  json_decref(b);
  free(text);
}

/* external_references of the bundle's objects with this source_name,
 * their external_id (or url) joined by spaces into out. */
static int refs_of(json_t *b, const char *source, char *out, size_t n) {
  json_t *o, *r;
  size_t i, j;
  int c = 0;
  out[0] = '\0';
  json_array_foreach(json_object_get(b, "objects"), i, o) {
    json_array_foreach(json_object_get(o, "external_references"), j, r) {
      if (strcmp(json_string_value(json_object_get(r, "source_name")),
                 source) != 0)
        continue;
      const char *id = json_string_value(json_object_get(r, "external_id"));
      const char *url = json_string_value(json_object_get(r, "url"));
      assert_non_null(url);
      size_t l = strlen(out);
      snprintf(out + l, n - l, "%s%s", l ? " " : "", id ? id : url);
      c++;
    }
  }
  return c;
}

static void test_references(void **state) {
  (void)state;
  char *text, ids[512];
  json_t *b = build(FX_EXPLOIT, &text); /* smb.ms17-010 */
  assert_int_equal(refs_of(b, "cve", ids, sizeof ids), 6);
  assert_string_equal(ids, "CVE-2017-0143 CVE-2017-0144 CVE-2017-0145 "
                           "CVE-2017-0146 CVE-2017-0147 CVE-2017-0148");
  assert_int_equal(refs_of(b, "microsoft", ids, sizeof ids), 1);
  assert_string_equal(ids, "MS17-010");
  json_decref(b);
  free(text);
  b = build(FX_DDOS, &text); /* syn-flood and amplification */
  assert_int_equal(refs_of(b, "cve", ids, sizeof ids), 0);
  assert_int_equal(refs_of(b, "ietf", ids, sizeof ids), 1);
  assert_string_equal(ids, "RFC 4987");
  json_decref(b);
  free(text);
  b = build(FX_SCAN, &text);
  assert_int_equal(refs_of(b, "cve", ids, sizeof ids), 0);
  json_decref(b);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules_every_class),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_schema_validate_py),
      cmocka_unit_test(test_deterministic_ids),
      cmocka_unit_test(test_spoofed_no_indicator),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_pattern_escaping),
      cmocka_unit_test(test_intel_sightings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
