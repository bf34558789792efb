/* config_test.c -- tests src/core/config.c and config_keys.c: defaults as
 * documented, units, every kind of bad file with its exact
 * file:line:column and key, facilities and the per-packet lookups,
 * --home-net, the memcap sum, dump-then-reload, hostile YAML, and that
 * etc/ward.yaml and docs/config.md agree with the key table. */
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
#include "detect/detector.h"

#define MiB (1024ull * 1024)

/* Repository root, from this file's path (CMake passes absolute paths). */
static void repo_path(char *out, size_t n, const char *rel) {
  const char *me = __FILE__;
  const char *cut = strstr(me, "tests/unit/core/config_test.c");
  size_t len = cut ? (size_t)(cut - me) : 0;
  snprintf(out, n, "%.*s%s", (int)len, me, rel);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *nb = realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  *len = n;
  return buf;
}

/* Key's value as `ward config show` writes it (detectors' keys live in
 * their own tables, not in wd_config_t). */
static const char *val(const wd_config_t *c, const char *key) {
  static char buf[256];
  if (wd_config_get(c, key, buf, sizeof buf) != WD_OK)
    fail_msg("no key %s", key);
  return buf;
}

static wd_config_t *load_ok(const char *yaml) {
  char err[512] = "";
  wd_config_t *c = NULL;
  wd_rc rc = wd_detect_config_load_buffer("t.yaml", yaml, strlen(yaml), &c, err,
                                          sizeof err);
  if (rc != WD_OK)
    fail_msg("unexpected error %d: %s\n--- input:\n%s", rc, err, yaml);
  return c;
}

/* Loads yaml, expects WD_ERR_CONFIG and a message starting with prefix
 * ("t.yaml:L:C: key: ") and containing part. */
static void load_bad(const char *yaml, size_t len, const char *prefix,
                     const char *part) {
  char err[1024] = "";
  wd_config_t *c = (wd_config_t *)(uintptr_t)1;
  wd_rc rc =
      wd_detect_config_load_buffer("t.yaml", yaml, len, &c, err, sizeof err);
  if (rc != WD_ERR_CONFIG || c != NULL ||
      strncmp(err, prefix, strlen(prefix)) != 0 || (part && !strstr(err, part)))
    fail_msg("rc %d, message\n  %s\nexpected\n  %s ... %s\n--- input:\n%s", rc,
             err, prefix, part ? part : "", yaml);
}
#define BAD(yaml, prefix, part) load_bad(yaml, strlen(yaml), prefix, part)

static wd_addr_t addr(const char *s) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(s, &a), WD_OK);
  return a;
}

static bool prot(const wd_config_t *c, const char *s) {
  wd_addr_t a = addr(s);
  return wd_config_is_protected(c, &a);
}

static const char *fac(const wd_config_t *c, const char *s) {
  wd_addr_t a = addr(s);
  const wd_facility_t *f = wd_config_facility_of(c, &a);
  return f ? f->name : NULL;
}

/* ---- defaults and the table ---- */

static void test_defaults(void **state) {
  (void)state;
  wd_config_t *c = NULL;
  assert_int_equal(wd_detect_config_defaults(&c), WD_OK);
  assert_null(c->path);
  assert_int_equal(c->capture.snaplen, 262144);
  assert_int_equal(c->capture.buffer_bytes, 64 * MiB);
  assert_int_equal(c->capture.timeout_ms, 100);
  assert_int_equal(c->memory.cap, 128 * MiB);
  assert_int_equal(c->flow.max, 1000000);
  assert_int_equal(c->flow.memcap, 80 * MiB);
  assert_int_equal(c->flow.tcp_syn_s, 30);
  assert_int_equal(c->flow.tcp_est_s, 300);
  assert_int_equal(c->flow.tcp_close_s, 10);
  assert_int_equal(c->flow.udp_s, 60);
  assert_int_equal(c->flow.icmp_s, 30);
  assert_int_equal(c->flow.other_s, 60);
  assert_int_equal(c->stream.memcap, 16 * MiB);
  assert_int_equal(c->stream.flow_buffer, 64 * 1024);
  assert_int_equal(c->stream.window, 128 * 1024);
  assert_int_equal(c->detect.memcap, 32 * MiB);
  assert_int_equal(c->detect.update_s, 60);
  assert_int_equal(c->detect.quiet_s, 10);
  assert_string_equal(val(c, "detect.ms17010.enabled"), "true");
  assert_string_equal(val(c, "detect.doublepulsar.enabled"), "true");
  assert_string_equal(val(c, "detect.smb_fanout.enabled"), "true");
  assert_string_equal(val(c, "detect.syn_flood.enabled"), "true");
  assert_string_equal(val(c, "detect.amplification.enabled"), "true");
  assert_string_equal(val(c, "detect.volumetric.enabled"), "true");
  assert_string_equal(val(c, "detect.scan.enabled"), "true");
  assert_string_equal(val(c, "detect.smb_fanout.targets"), "20");
  assert_string_equal(val(c, "detect.smb_fanout.window"), "10s");
  assert_string_equal(val(c, "detect.smb_fanout.exempt"), "[]");
  assert_string_equal(val(c, "detect.syn_flood.min_pps"), "1000");
  assert_string_equal(val(c, "detect.syn_flood.ratio"), "10");
  assert_string_equal(val(c, "detect.amplification.min_pps"), "1000");
  assert_string_equal(val(c, "detect.amplification.min_bps"), "50 Mbit/s");
  assert_string_equal(val(c, "detect.amplification.min_reflectors"), "10");
  assert_string_equal(val(c, "detect.volumetric.max_pps"), "50000");
  assert_string_equal(val(c, "detect.volumetric.max_bps"), "500 Mbit/s");
  assert_string_equal(val(c, "detect.scan.theta0"), "0.8");
  assert_string_equal(val(c, "detect.scan.theta1"), "0.2");
  assert_string_equal(val(c, "detect.scan.alpha"), "0.01");
  assert_string_equal(val(c, "detect.scan.beta"), "0.99");
  assert_string_equal(val(c, "detect.scan.min_hosts"), "5");
  assert_string_equal(val(c, "detect.scan.min_ports"), "5");
  assert_string_equal(val(c, "detect.scan.attempt_timeout"), "3s");
  assert_null(c->outputs.eve_path);
  assert_false(c->outputs.flow_events);
  assert_int_equal(c->outputs.stats_interval_s, 60);
  assert_null(c->attribution.country_db);
  assert_null(c->attribution.asn_db);
  assert_null(c->attribution.directory);
  assert_int_equal(c->incidents.quiet_window_s, 3600);
  assert_string_equal(c->evidence.dir, "/var/lib/ward/evidence");
  assert_int_equal(c->evidence.packets_per_flow, 20);
  assert_int_equal(c->evidence.flood_sample, 200);
  assert_string_equal(c->db.path, "/var/lib/ward/ward.db");
  assert_null(c->notify.from);
  assert_null(c->notify.smtp_url);
  assert_int_equal(c->notify.max_attachment, 5 * MiB);
  assert_int_equal(c->n_facilities, 0);
  assert_int_equal(c->home_net.n, 4);
  assert_false(c->home_net_set);
  /* Defaults respect the memcap rule themselves. */
  assert_true(c->flow.memcap + c->stream.memcap + c->detect.memcap <=
              c->memory.cap);
  assert_false(wd_config_is_set(c, "flow.max"));
  wd_config_free(c);
}

/* A row's help and range are sound. */
static void check_row(const wd_config_key_t *k) {
  assert_non_null(k->help);
  assert_true(strlen(k->help) > 5);
  if (k->type > WD_CONFIG_BOOL && k->type <= WD_CONFIG_BITRATE) {
    assert_true(k->size == 4 || k->size == 8);
    assert_true(k->min <= k->max);
    if (k->size == 4)
      assert_true(k->max <= UINT32_MAX);
  }
  if (k->type == WD_CONFIG_DURATION)
    assert_true(k->unit_ms == 1 || k->unit_ms == 1000);
}

static void test_table(void **state) {
  (void)state;
  const wd_config_key_t *k, *fk;
  size_t n = wd_config_keys(&k), nf = wd_config_facility_keys(&fk);
  assert_true(n > 40);
  assert_int_equal(nf, 6);
  /* The detectors' own tables: sound rows, and each detector's keys
   * under detect. */
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX];
  size_t nks = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  assert_true(nks >= 7);
  for (size_t t = 0; t < nks; t++)
    for (size_t i = 0; i < ks[t]->n; i++) {
      check_row(&ks[t]->keys[i]);
      assert_true(strncmp(ks[t]->keys[i].name, "detect.", 7) == 0);
    }
  for (size_t i = 0; i < n; i++) {
    check_row(&k[i]);
    for (size_t j = 0; j < n; j++) {
      if (i == j)
        continue;
      /* Unique, and no key is also a section of another. */
      assert_string_not_equal(k[i].name, k[j].name);
      size_t l = strlen(k[i].name);
      assert_false(strncmp(k[j].name, k[i].name, l) == 0 &&
                   k[j].name[l] == '.');
    }
    /* Sections are contiguous, so the dump nests correctly: once a
     * section is left, no later key returns to it. */
    const char *dot = strrchr(k[i].name, '.');
    if (!dot)
      continue;
    size_t sl = (size_t)(dot - k[i].name);
    bool left = false;
    for (size_t j = i + 1; j < n; j++) {
      bool in = strncmp(k[j].name, k[i].name, sl) == 0 && k[j].name[sl] == '.';
      if (!in)
        left = true;
      else if (left)
        fail_msg("section of %s comes back at %s", k[i].name, k[j].name);
    }
  }
  assert_string_equal(wd_config_type_name(WD_CONFIG_SIZE), "size");
  assert_string_equal(wd_config_type_name(WD_CONFIG_CIDRS), "cidr list");
  assert_string_equal(wd_sector_name(WD_SECTOR_HEALTHCARE), "healthcare");
  assert_string_equal(wd_criticality_name(WD_CRIT_HIGH), "high");
}

/* ---- values and units ---- */

static void test_units(void **state) {
  (void)state;
  wd_config_t *c = load_ok("capture:\n"
                           "  buffer_size: 1 GiB\n"
                           "  timeout_ms: 1.5s\n"
                           "memory:\n"
                           "  cap: 2GiB\n"
                           "flow:\n"
                           "  max: 2_000_000\n"
                           "  memcap: 512 MB\n"
                           "  timeouts:\n"
                           "    tcp_syn: 2m\n"
                           "    tcp_established: 1h\n"
                           "    tcp_closed: 7\n"
                           "    udp: 1d\n"
                           "    icmp: 2000ms\n"
                           "stream:\n"
                           "  memcap: 1048576\n"
                           "  flow_buffer: 64KiB\n"
                           "  window: 512 KB\n"
                           "detect:\n"
                           "  syn_flood: {min_pps: 1.5k, ratio: \"20\"}\n"
                           "  amplification:\n"
                           "    min_bps: 2 Gbit/s\n"
                           "    enabled: off\n"
                           "  volumetric:\n"
                           "    max_pps: 2 kpps\n"
                           "    max_bps: 500M\n"
                           "  scan:\n"
                           "    enabled: No\n"
                           "    theta0: 0.9\n"
                           "    alpha: 1e-3\n"
                           "  smb_fanout:\n"
                           "    exempt: 10.1.0.0/16, 2001:db8::/32\n"
                           "outputs:\n"
                           "  eve:\n"
                           "    path: /var/log/ward/eve.json\n"
                           "    flow: yes\n"
                           "    stats_interval: 0\n"
                           "notify:\n"
                           "  smtp.url: 'smtps://mail.example.org:465'\n");
  assert_int_equal(c->capture.buffer_bytes, 1024 * MiB);
  assert_int_equal(c->capture.timeout_ms, 1500);
  assert_int_equal(c->memory.cap, 2048 * MiB);
  assert_int_equal(c->flow.max, 2000000);
  assert_int_equal(c->flow.memcap, 512000000);
  assert_int_equal(c->flow.tcp_syn_s, 120);
  assert_int_equal(c->flow.tcp_est_s, 3600);
  assert_int_equal(c->flow.tcp_close_s, 7);
  assert_int_equal(c->flow.udp_s, 86400);
  assert_int_equal(c->flow.icmp_s, 2);
  assert_int_equal(c->stream.memcap, MiB);
  assert_int_equal(c->stream.flow_buffer, 65536);
  assert_int_equal(c->stream.window, 512000);
  assert_string_equal(val(c, "detect.syn_flood.min_pps"), "1500");
  assert_string_equal(val(c, "detect.syn_flood.ratio"), "20");
  assert_string_equal(val(c, "detect.amplification.min_bps"), "2 Gbit/s");
  assert_string_equal(val(c, "detect.amplification.enabled"), "false");
  assert_string_equal(val(c, "detect.volumetric.max_pps"), "2000");
  assert_string_equal(val(c, "detect.volumetric.max_bps"), "500 Mbit/s");
  assert_string_equal(val(c, "detect.scan.enabled"), "false");
  assert_string_equal(val(c, "detect.scan.theta0"), "0.9");
  assert_string_equal(val(c, "detect.scan.alpha"), "0.001");
  assert_string_equal(val(c, "detect.smb_fanout.exempt"),
                      "[10.1.0.0/16, 2001:db8::/32]");
  assert_string_equal(c->outputs.eve_path, "/var/log/ward/eve.json");
  assert_true(c->outputs.flow_events);
  assert_int_equal(c->outputs.stats_interval_s, 0);
  assert_string_equal(c->notify.smtp_url, "smtps://mail.example.org:465");
  assert_string_equal(c->path, "t.yaml");
  assert_true(wd_config_is_set(c, "flow.max"));
  assert_true(wd_config_is_set(c, "notify.smtp.url"));
  assert_false(wd_config_is_set(c, "flow.timeouts.other"));
  assert_false(wd_config_is_set(c, "no.such.key"));
  wd_config_free(c);

  /* Empty documents and empty sections are the defaults. */
  c = load_ok("");
  assert_int_equal(c->flow.max, 1000000);
  wd_config_free(c);
  c = load_ok("# only a comment\n---\n");
  wd_config_free(c);
  c = load_ok("flow:\nstream: ~\nfacilities:\n");
  assert_int_equal(c->n_facilities, 0);
  wd_config_free(c);
  /* A string set to null is unset. */
  c = load_ok("db: {path: ~}\nevidence: {dir: \"\"}\n");
  assert_null(c->db.path);
  assert_null(c->evidence.dir);
  wd_config_free(c);
}

/* ---- every kind of bad file: position, key, problem ---- */

static void test_bad_values(void **state) {
  (void)state;
  BAD("flow:\n  max: [1, 2]\n", "t.yaml:2:8: flow.max: ",
      "found a list; expected a whole number from 1024 to 100000000");
  BAD("flow:\n  max: 10\n",
      "t.yaml:2:8: flow.max: ", "10 is below the minimum 1024");
  BAD("flow:\n  max: -5\n",
      "t.yaml:2:8: flow.max: ", "'-5' is not a whole number");
  BAD("flow:\n  max: 99999999999999999999999\n",
      "t.yaml:2:8: flow.max: ", "is above the maximum 100000000");
  BAD("flow:\n  max: 5000 \n  memcap: 2 TiB\n", "t.yaml:3:11: flow.memcap: ",
      "2 TiB is above the maximum 1 TiB; expected a size from 1 MiB to 1 TiB");
  BAD("flow:\n  memcap: 64M\n",
      "t.yaml:2:11: flow.memcap: ", "'64M' is not a size");
  BAD("flow:\n  memcap: 1.5 B\n",
      "t.yaml:2:11: flow.memcap: ", "not a whole number of bytes");
  BAD("flow:\n  timeouts:\n    udp: 250ms\n",
      "t.yaml:3:10: flow.timeouts.udp: ",
      "'250ms' is not a whole number of seconds");
  BAD("flow:\n  timeouts:\n    udp: 30 fortnights\n",
      "t.yaml:3:10: flow.timeouts.udp: ", "is not a duration");
  BAD("capture:\n  timeout_ms: 20s\n",
      "t.yaml:2:15: capture.timeout_ms: ", "20s is above the maximum 10s");
  BAD("outputs:\n  eve:\n    flow: maybe\n", "t.yaml:3:11: outputs.eve.flow: ",
      "'maybe' is not a boolean; expected true or false");
  BAD("outputs:\n  eve:\n    flow:\n",
      "t.yaml:3:10: outputs.eve.flow: ", "no value");
  BAD("detect:\n  volumetric:\n    max_bps: 2 GB/s\n",
      "t.yaml:3:14: detect.volumetric.max_bps: ", "is not a bit rate");
  BAD("detect:\n  syn_flood:\n    min_pps: 5 mpps\n",
      "t.yaml:3:14: detect.syn_flood.min_pps: ", "is not a rate");
  BAD("detect:\n  scan:\n    alpha: 1\n", "t.yaml:3:12: detect.scan.alpha: ",
      "1 is out of range; expected a number between 0 and 1 (both excluded)");
  BAD("detect:\n  scan:\n    beta: nan\n",
      "t.yaml:3:11: detect.scan.beta: ", "'nan' is not a number");
  BAD("outputs:\n  eve:\n    path: \"a\\tb\"\n",
      "t.yaml:3:11: outputs.eve.path: ", "control character");
  /* YAML escapes for NEL and LS would not survive a dump and reload. */
  BAD("outputs:\n  eve:\n    path: \"a\\Nb\"\n",
      "t.yaml:3:11: outputs.eve.path: ", "control character");
  BAD("outputs:\n  eve:\n    path: \"a\\Lb\"\n",
      "t.yaml:3:11: outputs.eve.path: ", "control character");
  BAD("outputs:\n  eve:\n    path: {a: b}\n",
      "t.yaml:3:11: outputs.eve.path: ", "found a mapping; expected text");
  BAD("flow: 5\n", "t.yaml:1:7: flow: ",
      "found a value; expected a mapping of the keys of section 'flow'");
  BAD("- a\n- b\n", "t.yaml:1:1: (top): ", "expected a mapping of keys");
  BAD("just text\n", "t.yaml:1:1: (top): ", "found a value");
  BAD("? [a]\n: 1\n", "t.yaml:1:3: (top): ", "found a list as a key");
}

static void test_bad_keys(void **state) {
  (void)state;
  BAD("flow:\n  maxx: 5\n", "t.yaml:2:3: flow.maxx: ",
      "unknown key 'flow.maxx'; expected a key of section 'flow' "
      "(docs/config.md); did you mean 'flow.max'?");
  BAD("flwo:\n  max: 5\n", "t.yaml:1:1: flwo: ", "did you mean 'flow'?");
  BAD("capture:\n  snaplen: 100\ndetect:\n  scan:\n    thetha0: 0.5\n",
      "t.yaml:5:5: detect.scan.thetha0: ",
      "did you mean 'detect.scan.theta0'?");
  BAD("flow:\n  timeout:\n    udp: 5\n",
      "t.yaml:2:3: flow.timeout: ", "did you mean 'flow.timeouts'?");
  /* Far from every key: no suggestion. */
  char err[512];
  wd_config_t *c;
  const char *y = "completely_unrelated: 1\n";
  assert_int_equal(
      wd_detect_config_load_buffer("t.yaml", y, strlen(y), &c, err, sizeof err),
      WD_ERR_CONFIG);
  assert_string_equal(err, "t.yaml:1:1: completely_unrelated: unknown key "
                           "'completely_unrelated'; expected a key listed "
                           "in docs/config.md");
  /* Duplicates: same mapping, dotted form, repeated section. */
  BAD("flow:\n  max: 5000\n  max: 6000\n",
      "t.yaml:3:3: flow.max: ", "duplicate key (first given at line 2)");
  BAD("flow:\n  max: 5000\nflow.max: 6000\n",
      "t.yaml:3:1: flow.max: ", "duplicate key (first given at line 2)");
  BAD("flow:\n  max: 5000\nstream:\n  window: 8 KiB\nflow:\n  memcap: 1 MiB\n",
      "t.yaml:5:1: flow: ", "duplicate section (first given at line 1)");
  /* Dotted keys are the same keys. */
  c = load_ok("flow.timeouts.udp: 2m\ndetect.scan: {alpha: 0.05}\n");
  assert_int_equal(c->flow.udp_s, 120);
  assert_string_equal(val(c, "detect.scan.alpha"), "0.05");
  wd_config_free(c);
}

static void test_bad_networks(void **state) {
  (void)state;
  BAD("detect:\n  smb_fanout:\n    exempt: [10.0.0.0/8, 10.1.2.3/16]\n",
      "t.yaml:3:26: detect.smb_fanout.exempt: ",
      "host bits set in '10.1.2.3/16'; expected the network address "
      "10.1.0.0/16");
  BAD("detect:\n  smb_fanout:\n    exempt:\n      - 10.0.0.0/8\n"
      "      - 2001:db8::1/32\n",
      "t.yaml:5:9: detect.smb_fanout.exempt: ",
      "expected the network address 2001:db8::/32");
  BAD("detect:\n  smb_fanout:\n    exempt: [10.0.0.0/8, bogus]\n",
      "t.yaml:3:26: detect.smb_fanout.exempt: ",
      "'bogus' is not a network; expected CIDR notation");
  BAD("detect:\n  smb_fanout:\n    exempt: [10.0.0.0/33]\n",
      "t.yaml:3:14: detect.smb_fanout.exempt: ", "is not a network");
  BAD("detect:\n  smb_fanout:\n    exempt: [[10.0.0.0/8]]\n",
      "t.yaml:3:14: detect.smb_fanout.exempt: ", "found a list in the list");
  BAD("detect:\n  smb_fanout:\n    exempt: 10.0.0.0/8,\n",
      "t.yaml:3:13: detect.smb_fanout.exempt: ", "'' is not a network");
  /* More than WD_CIDR_LIST_MAX entries. */
  char *y = malloc(64 + 16 * 300);
  assert_non_null(y);
  size_t o = (size_t)sprintf(y, "detect:\n  smb_fanout:\n    exempt: [");
  for (int i = 0; i < 300; i++)
    o += (size_t)sprintf(y + o, "%s10.%d.0.0/16", i ? ", " : "", i % 256);
  strcpy(y + o, "]\n");
  load_bad(y, strlen(y), "t.yaml:3:", "too many networks");
  free(y);
}

static void test_bad_yaml(void **state) {
  (void)state;
  BAD("flow:\n  max: &x 5000\n",
      "t.yaml:2:8: yaml: ", "anchors and aliases are not supported");
  BAD("flow: &a\n  max: 5000\nstream: *a\n",
      "t.yaml:1:7: yaml: ", "anchors and aliases are not supported");
  BAD("flow:\n\tmax: 5\n", "t.yaml:2:1: yaml: ",
      "found character that cannot start any token; expected well-formed "
      "YAML");
  BAD("flow: {max: 5000\n", "t.yaml:2:1: yaml: ", "expected well-formed");
  /* A plain IPv6 prefix starting with ':' inside [ ]: say to quote it. */
  BAD("home_net: [10.0.0.0/8, ::1]\n", "t.yaml:1:24: yaml: ",
      "expected well-formed YAML (quote a value in [ ] that starts with "
      "':', as in [\"::1\"])");
  BAD("flow:\n  max: 5000\n---\nstream:\n  window: 8 KiB\n",
      "t.yaml:3:1: yaml: ",
      "a second document; expected a single YAML document");
  /* Bytes libyaml refuses carry their position too. */
  load_bad("flow:\n  max: 5\0"
           "000\n",
           17, "t.yaml:2:9: yaml: ", "control characters are not allowed");
  BAD("flow:\n  max: 5\xff\n", "t.yaml:2:9: yaml: ", "UTF-8");
  /* Billion laughs is refused at the first anchor. */
  BAD("detect:\n  smb_fanout:\n    exempt: &a [x, x, x]\n"
      "    b: &b [*a, *a, *a, *a, *a]\n",
      "t.yaml:3:13: yaml: ", "anchors and aliases");
  /* Deep nesting stops at the first unexpected level. */
  size_t n = 200000;
  char *deep = malloc(n + 64);
  assert_non_null(deep);
  strcpy(deep, "detect:\n  smb_fanout:\n    exempt: ");
  size_t o = strlen(deep);
  memset(deep + o, '[', n);
  deep[o + n] = '\0';
  load_bad(deep, strlen(deep), "t.yaml:3:14: detect.smb_fanout.exempt: ",
           "found a list in the list");
  memset(deep, '[', n);
  deep[n] = '\0';
  load_bad(deep, n, "t.yaml:1:1: (top): ", "found a list");
  free(deep);
  /* Too large. */
  size_t big = WD_CONFIG_FILE_MAX + 1;
  char *b = malloc(big);
  assert_non_null(b);
  memset(b, '#', big);
  load_bad(b, big, "t.yaml:1:1: (file): ", "expected a configuration of");
  free(b);
  /* A NULL error buffer is fine. */
  wd_config_t *c;
  assert_int_equal(
      wd_detect_config_load_buffer("t.yaml", "x: 1", 4, &c, NULL, 0),
      WD_ERR_CONFIG);
  assert_null(c);
}

static void test_file_errors(void **state) {
  (void)state;
  char err[512], path[4096];
  wd_config_t *c;
  assert_int_equal(
      wd_detect_config_load("/nonexistent/ward.yaml", &c, err, sizeof err),
      WD_ERR_IO);
  assert_null(c);
  assert_string_equal(err,
                      "/nonexistent/ward.yaml: cannot open: No such file or "
                      "directory");
  repo_path(path, sizeof path, "etc");
  assert_int_equal(wd_detect_config_load(path, &c, err, sizeof err), WD_ERR_IO);
  assert_non_null(strstr(err, "cannot read: Is a directory"));
  /* Endless input stops one byte past the limit. */
  assert_int_equal(wd_detect_config_load("/dev/zero", &c, err, sizeof err),
                   WD_ERR_CONFIG);
  assert_string_equal(err, "/dev/zero:1:1: (file): larger than 4194304 bytes; "
                           "expected a configuration of at most 4194304 "
                           "bytes");
  /* Errors from a file name the file. */
  snprintf(path, sizeof path, "/tmp/ward-config-test-%d.yaml", (int)getpid());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("# test\nflow:\n  max: lots\n", f);
  fclose(f);
  assert_int_equal(wd_detect_config_load(path, &c, err, sizeof err),
                   WD_ERR_CONFIG);
  char want[4200];
  snprintf(want, sizeof want, "%s:3:8: flow.max: 'lots' is not", path);
  assert_memory_equal(err, want, strlen(want));
  remove(path);
}

/* ---- cross-key checks ---- */

static void test_memcap_sum(void **state) {
  (void)state;
  BAD("memory:\n  cap: 64 MiB\n", "t.yaml:2:3: memory.cap: ",
      "flow.memcap 80 MiB + stream.memcap 16 MiB + detect.memcap 32 MiB "
      "exceed memory.cap 64 MiB; expected the three memcaps to sum to "
      "memory.cap at most");
  /* Without memory.cap in the file, the last memcap given is named. */
  BAD("stream:\n  memcap: 8 MiB\nflow:\n  memcap: 100 MiB\n",
      "t.yaml:4:3: flow.memcap: ", "exceed memory.cap 128 MiB");
  /* Exactly at the cap is fine; raising the cap makes room. */
  wd_config_t *c = load_ok("memory: {cap: 1 GiB}\nflow: {memcap: 900 MiB}\n"
                           "stream: {memcap: 92 MiB}\n");
  assert_int_equal(c->flow.memcap + c->stream.memcap + c->detect.memcap,
                   c->memory.cap);
  wd_config_free(c);
  BAD("detect:\n  scan:\n    theta1: 0.9\n",
      "t.yaml:3:5: detect.scan.theta1: ", "theta1 0.9 is not below theta0 0.8");
  BAD("detect:\n  scan:\n    beta: 0.2\n    alpha: 0.3\n",
      "t.yaml:4:5: detect.scan.alpha: ", "alpha 0.3 is not below beta 0.2");
}

/* ---- facilities and lookups ---- */

static const char facilities_yaml[] =
    "facilities:\n"
    "  - name: St. Example University Hospital\n"
    "    sector: healthcare\n"
    "    criticality: critical\n"
    "    networks: [10.20.0.0/16, 2001:db8:20::/48]\n"
    "    max_pps: 200000\n"
    "    max_bps: 2 Gbit/s\n"
    "  - name: Grid\n"
    "    sector: Energy\n"
    "    networks:\n"
    "      - 192.0.2.0/24\n"
    "      - 198.51.100.128/25\n"
    "  - name: \"Clinic \\\"Nord\\\"\"\n"
    "    networks: 10.21.0.0/16\n";

static void test_facilities(void **state) {
  (void)state;
  wd_config_t *c = load_ok(facilities_yaml);
  assert_int_equal(c->n_facilities, 3);
  const wd_facility_t *f = &c->facilities[0];
  assert_string_equal(f->name, "St. Example University Hospital");
  assert_int_equal(f->sector, WD_SECTOR_HEALTHCARE);
  assert_int_equal(f->criticality, WD_CRIT_CRITICAL);
  assert_int_equal(f->n_networks, 2);
  assert_int_equal(f->max_pps, 200000);
  assert_int_equal(f->max_bps, 2000000000ull);
  assert_int_equal(c->facilities[1].sector, WD_SECTOR_ENERGY);
  assert_int_equal(c->facilities[1].criticality, WD_CRIT_NORMAL);
  assert_int_equal(c->facilities[1].max_pps, 0);
  assert_int_equal(c->facilities[2].sector, WD_SECTOR_OTHER);
  assert_string_equal(c->facilities[2].name, "Clinic \"Nord\"");

  assert_string_equal(fac(c, "10.20.0.0"), "St. Example University Hospital");
  assert_string_equal(fac(c, "10.20.255.255"),
                      "St. Example University Hospital");
  assert_string_equal(fac(c, "2001:db8:20:ffff::1"),
                      "St. Example University Hospital");
  assert_null(fac(c, "2001:db8:21::1"));
  assert_null(fac(c, "10.19.255.255"));
  assert_string_equal(fac(c, "10.21.0.1"), "Clinic \"Nord\"");
  assert_null(fac(c, "10.22.0.0"));
  assert_string_equal(fac(c, "192.0.2.77"), "Grid");
  assert_string_equal(fac(c, "198.51.100.200"), "Grid");
  assert_null(fac(c, "198.51.100.127"));
  assert_null(fac(c, "0.0.0.0"));
  assert_null(fac(c, "::"));
  assert_null(fac(c, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  /* With facilities, protected = their networks (not RFC 1918). */
  assert_true(prot(c, "10.20.1.1"));
  assert_true(prot(c, "192.0.2.1"));
  assert_false(prot(c, "10.1.1.1"));
  assert_false(prot(c, "192.168.1.1"));
  wd_config_free(c);

  /* Without facilities: RFC 1918 + RFC 4193. */
  assert_int_equal(wd_detect_config_defaults(&c), WD_OK);
  assert_true(prot(c, "10.1.1.1"));
  assert_true(prot(c, "172.31.255.255"));
  assert_false(prot(c, "172.32.0.0"));
  assert_true(prot(c, "192.168.0.1"));
  assert_true(prot(c, "fd12::1"));
  assert_false(prot(c, "8.8.8.8"));
  assert_false(prot(c, "2001:db8::1"));
  assert_null(fac(c, "10.1.1.1"));
  wd_config_free(c);
}

static void test_bad_facilities(void **state) {
  (void)state;
  BAD("facilities:\n  - name: A\n    networks: [10.20.0.0/16]\n"
      "  - name: B\n    networks: [10.30.0.0/16, 10.20.5.0/24]\n",
      "t.yaml:5:30: facilities[1].networks: ",
      "10.20.5.0/24 of facility 'B' overlaps 10.20.0.0/16 of facility 'A' "
      "(line 3); expected disjoint networks");
  /* The later one in the file is reported, whichever is wider. */
  BAD("facilities:\n  - name: A\n    networks: [10.20.5.0/24]\n"
      "  - name: B\n    networks: [10.0.0.0/8]\n",
      "t.yaml:5:16: facilities[1].networks: ",
      "10.0.0.0/8 of facility 'B' overlaps 10.20.5.0/24 of facility 'A'");
  BAD("facilities:\n  - name: A\n    networks: [2001:db8::/32]\n"
      "  - name: B\n    networks: [2001:db8:1::/48]\n",
      "t.yaml:5:16: facilities[1].networks: ", "of facility 'A'");
  BAD("facilities:\n  - name: A\n    networks: [10.0.0.0/8, 10.20.0.0/16]\n",
      "t.yaml:3:28: facilities[0].networks: ",
      "10.20.0.0/16 overlaps 10.0.0.0/8 of the same facility 'A'");
  BAD("facilities:\n  - sector: energy\n    networks: [10.0.0.0/8]\n",
      "t.yaml:2:5: facilities[0].name: ", "missing key 'name'");
  BAD("facilities:\n  - name: X\n",
      "t.yaml:2:5: facilities[0].networks: ", "missing key 'networks'");
  BAD("facilities:\n  - name: X\n    networks: []\n",
      "t.yaml:3:15: facilities[0].networks: ", "no networks");
  BAD("facilities:\n  - name:\n    networks: [10.0.0.0/8]\n",
      "t.yaml:2:10: facilities[0].name: ", "no value");
  BAD("facilities:\n  - name: X\n    networks: 10.0.0.0/8\n"
      "    sector: hospital\n",
      "t.yaml:4:13: facilities[0].sector: ",
      "'hospital' is not a known value; expected one of healthcare, energy, "
      "transport, finance, education, government, research, water, telecom, "
      "public-health, emergency-services, other, or a name listed under "
      "sectors:");
  BAD("facilities:\n  - name: X\n    networks: 10.0.0.0/8\n"
      "    criticality: 1\n",
      "t.yaml:4:18: facilities[0].criticality: ",
      "expected one of critical, high, normal");
  BAD("facilities:\n  - name: X\n    netwroks: 10.0.0.0/8\n",
      "t.yaml:3:5: facilities[0].netwroks: ",
      "unknown key 'netwroks'; expected a facility key");
  BAD("facilities:\n  - name: X\n    networks: 10.0.0.0/8\n"
      "  - name: X\n    networks: 11.0.0.0/8\n",
      "t.yaml:4:5: facilities[1].name: ",
      "facility name 'X' is already used by facilities[0]");
  BAD("facilities:\n  - name: X\n    name: Y\n    networks: 10.0.0.0/8\n",
      "t.yaml:3:5: facilities[0].name: ", "duplicate key");
  BAD("facilities:\n  - just a name\n",
      "t.yaml:2:5: facilities[0]: ", "expected a facility mapping");
  BAD("facilities:\n  name: X\n", "t.yaml:2:3: facilities: ",
      "found a mapping; expected a list of facilities");
  BAD("facilities: []\nfacilities: []\n",
      "t.yaml:2:1: facilities: ", "duplicate section");
  BAD("facilities:\n  - name: X\n    networks: 10.0.0.0/8\n    max_bps: 5 "
      "MB/s\n",
      "t.yaml:4:14: facilities[0].max_bps: ", "is not a bit rate");
  /* Name length is bounded (WD_NAME_MAX). */
  char y[512];
  snprintf(y, sizeof y,
           "facilities:\n  - name: %0200d\n    networks: [10.0.0.0/8]\n", 7);
  load_bad(y, strlen(y), "t.yaml:2:11: facilities[0].name: ", "too long");
}

/* WD_FACILITY_MAX facilities of 8 networks each: loads, lookups right, and
 * one more facility is refused. */
static void test_many_facilities(void **state) {
  (void)state;
  size_t cap = (size_t)(WD_FACILITY_MAX + 1) * 200 + 64, o = 0;
  char *y = malloc(cap);
  assert_non_null(y);
  o += (size_t)sprintf(y, "facilities:\n");
  for (int i = 0; i < WD_FACILITY_MAX; i++) {
    o += (size_t)sprintf(y + o, "  - name: f%d\n    networks: [", i);
    for (int j = 0; j < 8; j++)
      o += (size_t)sprintf(y + o, "%s10.%d.%d.0/24", j ? ", " : "", i / 32,
                           (i % 32) * 8 + j);
    o += (size_t)sprintf(y + o, "]\n");
  }
  wd_config_t *c = load_ok(y);
  assert_int_equal(c->n_facilities, WD_FACILITY_MAX);
  char a[32];
  for (int i = 0; i < WD_FACILITY_MAX; i += 7) {
    char want[16];
    snprintf(want, sizeof want, "f%d", i);
    snprintf(a, sizeof a, "10.%d.%d.9", i / 32, (i % 32) * 8 + 5);
    assert_string_equal(fac(c, a), want);
    assert_true(prot(c, a));
  }
  assert_null(fac(c, "10.32.0.1"));
  assert_false(prot(c, "10.32.0.1"));
  wd_config_free(c);
  sprintf(y + o, "  - name: one-too-many\n    networks: [11.0.0.0/8]\n");
  load_bad(y, strlen(y), "t.yaml:", "too many facilities; expected at most");
  free(y);
}

static void test_home_net(void **state) {
  (void)state;
  char err[512];
  wd_config_t *c = load_ok(facilities_yaml);
  assert_int_equal(
      wd_config_set_home_net(c, "10.20.5.0/24, 2001:db8::/32", err, sizeof err),
      WD_OK);
  assert_true(c->home_net_set);
  /* Protection follows --home-net only ... */
  assert_true(prot(c, "10.20.5.1"));
  assert_false(prot(c, "10.20.6.1"));
  assert_true(prot(c, "2001:db8:99::1"));
  assert_false(prot(c, "192.0.2.1"));
  /* ... while facilities still name hosts. */
  assert_string_equal(fac(c, "10.20.6.1"), "St. Example University Hospital");
  assert_string_equal(fac(c, "192.0.2.1"), "Grid");

  /* Bad lists leave the previous value in place. */
  assert_int_equal(wd_config_set_home_net(c, "10.0.0.1/8", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_string_equal(err, "host bits set in '10.0.0.1/8'; expected the "
                           "network address 10.0.0.0/8");
  assert_int_equal(wd_config_set_home_net(c, "10.0.0.0/8,,", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_int_equal(wd_config_set_home_net(c, "", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_non_null(strstr(err, "no networks"));
  assert_int_equal(wd_config_set_home_net(c, "lan", err, sizeof err),
                   WD_ERR_CONFIG);
  assert_true(prot(c, "10.20.5.1"));
  assert_false(prot(c, "10.20.6.1"));

  /* Nested and repeated prefixes are fine in home_net. */
  assert_int_equal(wd_config_set_home_net(c,
                                          "10.0.0.0/8,10.1.0.0/16,10.1.0.0/"
                                          "16,192.168.1.0/24,0.0.0.0/32",
                                          err, sizeof err),
                   WD_OK);
  assert_true(prot(c, "10.1.2.3"));
  assert_true(prot(c, "10.255.0.1"));
  assert_true(prot(c, "192.168.1.9"));
  assert_true(prot(c, "0.0.0.0"));
  assert_false(prot(c, "192.168.2.9"));
  wd_config_free(c);

  /* home_net in the file does the same as --home-net. */
  c = load_ok("home_net: [198.18.0.0/15]\n");
  assert_true(c->home_net_set);
  assert_true(prot(c, "198.19.1.1"));
  assert_false(prot(c, "10.0.0.1"));
  wd_config_free(c);
}

/* The bucketed search agrees with a linear scan, for random sets of
 * prefixes (nested ones allowed in home_net) and addresses at and around
 * every prefix boundary. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 17;
  rnd_state ^= rnd_state << 5;
  return rnd_state;
}

static void rnd_prefix(char *out, size_t n) {
  uint32_t r = rnd();
  if (r % 3) { /* IPv4, often clustered in 10.0.0.0/12 */
    uint32_t a = r % 2 ? (0x0a000000u | (rnd() & 0x000fffffu)) : rnd();
    unsigned len = rnd() % 33;
    if (len)
      a &= ~0u << (32 - len);
    else
      a = 0;
    snprintf(out, n, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
             a & 255, len);
  } else {
    uint16_t g[8] = {0};
    g[0] = rnd() % 4 ? 0x2001 : (uint16_t)rnd();
    g[1] = rnd() % 2 ? 0x0db8 : (uint16_t)rnd();
    g[2] = (uint16_t)(rnd() % 8);
    g[3] = (uint16_t)rnd();
    g[7] = (uint16_t)rnd();
    unsigned len = rnd() % 129;
    for (unsigned i = 0; i < 8; i++) {
      unsigned keep = len > i * 16 ? len - i * 16 : 0;
      if (keep < 16)
        g[i] &= (uint16_t)(keep ? 0xffffu << (16 - keep) : 0);
    }
    snprintf(out, n, "%x:%x:%x:%x:%x:%x:%x:%x/%u", g[0], g[1], g[2], g[3], g[4],
             g[5], g[6], g[7], len);
  }
}

static bool linear(const wd_cidr_list_t *l, const wd_addr_t *a) {
  for (size_t i = 0; i < l->n; i++)
    if (wd_cidr_contains(&l->v[i], a))
      return true;
  return false;
}

static void probe(const wd_config_t *c, wd_addr_t a, int delta) {
  /* a + delta on the 128-bit form */
  for (int i = 15; i >= 0 && delta; i--) {
    int v = a.b[i] + delta;
    a.b[i] = (uint8_t)v;
    delta = v < 0 ? -1 : v > 255 ? 1 : 0;
  }
  if (wd_config_is_protected(c, &a) != linear(&c->home_net, &a)) {
    char s[WD_ADDR_STRLEN];
    fail_msg("lookup of %s disagrees with a linear scan", wd_addr_str(&a, s));
  }
}

static void test_lookup_matches_linear(void **state) {
  (void)state;
  char err[512], *list = malloc(256 * 48);
  assert_non_null(list);
  wd_config_t *c;
  assert_int_equal(wd_detect_config_defaults(&c), WD_OK);
  for (int round = 0; round < 60; round++) {
    size_t n = round < 10 ? 40 : 1 + rnd() % 256, o = 0;
    if (round < 3) {
      /* Shapes random sets rarely make: one IPv6 prefix beside many IPv4
       * ones; ::/8 holding all IPv4 space beside many IPv6 prefixes; one
       * IPv4 /8 beside many IPv6 prefixes. */
      static const char *const first[] = {"2001:db8::/32", "::/8",
                                          "10.0.0.0/8"};
      o += (size_t)snprintf(list, 256 * 48, "%s", first[round]);
      for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(
            list + o, 256 * 48 - o,
            round == 0 ? ",172.16.%d.0/24" : ",2001:db8:%x::/48", i);
      n = 0;
    }
    for (size_t i = 0; i < n; i++) {
      char p[64];
      if (round % 20 == 19 && i == 0)
        snprintf(p, sizeof p, "::/%u", rnd() % 8); /* covers IPv4 too */
      else
        rnd_prefix(p, sizeof p);
      o += (size_t)snprintf(list + o, 256 * 48 - o, "%s%s", i ? "," : "", p);
    }
    if (wd_config_set_home_net(c, list, err, sizeof err) != WD_OK)
      fail_msg("%s", err);
    for (size_t i = 0; i < c->home_net.n; i++) {
      wd_addr_t last = c->home_net.v[i].addr;
      unsigned len = c->home_net.v[i].len;
      for (unsigned bit = len; bit < 128; bit++)
        last.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
      for (int d = -1; d <= 1; d++) {
        probe(c, c->home_net.v[i].addr, d);
        probe(c, last, d);
      }
    }
    for (int i = 0; i < 300; i++) {
      wd_addr_t a;
      uint8_t v4[4] = {10, (uint8_t)(rnd() & 15), (uint8_t)rnd(),
                       (uint8_t)rnd()};
      wd_addr_from_v4(&a, v4);
      probe(c, a, 0);
      uint32_t r = rnd();
      memcpy(v4, &r, 4);
      wd_addr_from_v4(&a, v4);
      probe(c, a, 0);
      for (int j = 0; j < 16; j++)
        a.b[j] = (uint8_t)rnd();
      a.b[0] = 0x20;
      a.b[1] = 0x01;
      probe(c, a, 0);
    }
  }
  wd_config_free(c);
  free(list);
}

/* ---- dump and reload ---- */

/* Calls fn on every key name of the detectors' tables. */
static void each_detector_key(void (*fn)(const char *name, void *u), void *u) {
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX];
  size_t nks = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  for (size_t t = 0; t < nks; t++)
    for (size_t i = 0; i < ks[t]->n; i++)
      fn(ks[t]->keys[i].name, u);
}

typedef struct pair {
  const wd_config_t *a, *b;
} pair_t;

static void same_key(const char *name, void *u) {
  const pair_t *p = u;
  char va[512], vb[512];
  assert_int_equal(wd_config_get(p->a, name, va, sizeof va), WD_OK);
  assert_int_equal(wd_config_get(p->b, name, vb, sizeof vb), WD_OK);
  if (strcmp(va, vb) != 0)
    fail_msg("%s differs: %s / %s", name, va, vb);
}

static void assert_same(const wd_config_t *a, const wd_config_t *b) {
  const wd_config_key_t *k, *fk;
  size_t n = wd_config_keys(&k), nf = wd_config_facility_keys(&fk);
  pair_t pr = {a, b};
  each_detector_key(same_key, &pr);
  for (size_t i = 0; i < n; i++) {
    const char *pa = (const char *)a + k[i].off,
               *pb = (const char *)b + k[i].off;
    if (k[i].type == WD_CONFIG_STRING) {
      const char *sa, *sb;
      memcpy(&sa, pa, sizeof sa);
      memcpy(&sb, pb, sizeof sb);
      if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
        fail_msg("%s differs", k[i].name);
    } else if (k[i].type == WD_CONFIG_CIDRS) {
      const wd_cidr_t *va, *vb;
      size_t na, nb;
      memcpy(&va, pa, sizeof va);
      memcpy(&vb, pb, sizeof vb);
      memcpy(&na, (const char *)a + k[i].off_n, sizeof na);
      memcpy(&nb, (const char *)b + k[i].off_n, sizeof nb);
      assert_int_equal(na, nb);
      if (na)
        assert_memory_equal(va, vb, na * sizeof *va);
    } else if (memcmp(pa, pb, k[i].size) != 0) {
      fail_msg("%s differs", k[i].name);
    }
  }
  assert_int_equal(a->home_net_set, b->home_net_set);
  assert_int_equal(a->n_facilities, b->n_facilities);
  for (size_t j = 0; j < a->n_facilities; j++) {
    const wd_facility_t *fa = &a->facilities[j], *fb = &b->facilities[j];
    assert_string_equal(fa->name, fb->name);
    assert_int_equal(fa->n_networks, fb->n_networks);
    assert_memory_equal(fa->networks, fb->networks,
                        fa->n_networks * sizeof *fa->networks);
    for (size_t i = 0; i < nf; i++)
      if (fk[i].type != WD_CONFIG_STRING && fk[i].type != WD_CONFIG_CIDRS)
        assert_memory_equal((const char *)fa + fk[i].off,
                            (const char *)fb + fk[i].off, fk[i].size);
  }
}

static wd_config_t *dump_reload(const wd_config_t *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(wd_config_dump(c, f), WD_OK);
  fclose(f);
  char err[512] = "";
  wd_config_t *r = NULL;
  wd_rc rc =
      wd_detect_config_load_buffer("dump.yaml", buf, len, &r, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("reload failed: %s\n%s", err, buf);
  free(buf);
  return r;
}

static void test_dump_reload(void **state) {
  (void)state;
  wd_config_t *c, *r;
  assert_int_equal(wd_detect_config_defaults(&c), WD_OK);
  r = dump_reload(c);
  assert_same(c, r);
  wd_config_free(r);
  wd_config_free(c);

  static const char custom[] =
      "home_net: [10.20.0.0/16, fd00::/8, \"::/0\"]\n"
      "capture: {timeout_ms: 1500ms, buffer_size: 2000000}\n"
      "memory: {cap: 1 TiB}\n"
      "flow: {memcap: 512 MB, timeouts: {udp: 90s}}\n"
      "stream: {window: 5000}\n"
      "detect:\n"
      "  smb_fanout: {exempt: [10.20.1.10/32, 2001:db8::5/128, \"::1\"]}\n"
      "  volumetric: {max_bps: 1234567 bit/s, max_pps: 1.5M}\n"
      "  scan: {theta0: 0.7000000000000001, alpha: 0.333, enabled: off}\n"
      "outputs: {eve: {path: \"/tmp/x \\\"y\\\"\\\\z.json\", flow: on}}\n"
      "notify: {max_attachment: 0, from: cert@example.org}\n";
  char *y = malloc(sizeof custom + sizeof facilities_yaml);
  assert_non_null(y);
  strcpy(y, custom);
  strcat(y, facilities_yaml);
  c = load_ok(y);
  free(y);
  assert_string_equal(c->outputs.eve_path, "/tmp/x \"y\"\\z.json");
  r = dump_reload(c);
  assert_same(c, r);
  assert_string_equal(fac(r, "192.0.2.1"), "Grid");
  wd_config_free(r);
  wd_config_free(c);
}

/* ---- the shipped example and the docs ---- */

static void key_in_example(const char *name, void *u) {
  if (!wd_config_is_set(u, name))
    fail_msg("etc/ward.yaml lacks %s", name);
}

static void key_in_docs(const char *name, void *u) {
  char want[160];
  snprintf(want, sizeof want, "### `%s`", name);
  if (!strstr(u, want))
    fail_msg("docs/config.md lacks a section '%s'", want);
}

static void test_example_file(void **state) {
  (void)state;
  char path[4096], err[512] = "";
  repo_path(path, sizeof path, "etc/ward.yaml");
  wd_config_t *c = NULL, *d = NULL;
  wd_rc rc = wd_detect_config_load(path, &c, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("%s", err);
  /* Values equal to the defaults, and every key is present. */
  assert_int_equal(wd_detect_config_defaults(&d), WD_OK);
  assert_same(c, d);
  wd_config_free(d);
  const wd_config_key_t *k;
  size_t n = wd_config_keys(&k);
  for (size_t i = 0; i < n; i++)
    if (strcmp(k[i].name, "home_net") != 0 && !wd_config_is_set(c, k[i].name))
      fail_msg("etc/ward.yaml lacks %s", k[i].name);
  each_detector_key(key_in_example, c);
  wd_config_free(c);

  /* The commented facility example loads once uncommented. */
  size_t len;
  char *text = slurp(path, &len);
  assert_non_null(text);
  char *start = strstr(text, "\n# facilities:\n");
  assert_non_null(start);
  char *out = malloc(len + 1), *o = out;
  assert_non_null(out);
  for (char *p = start + 1; *p && *p != '\n';) {
    char *eol = strchr(p, '\n');
    size_t l = eol ? (size_t)(eol - p + 1) : strlen(p);
    if (l >= 2 && p[0] == '#') {
      memcpy(o, p + 2, l - 2);
      o += l - 2;
    }
    p += l;
  }
  *o = '\0';
  rc = wd_detect_config_load_buffer("example", out, strlen(out), &c, err,
                                    sizeof err);
  if (rc != WD_OK)
    fail_msg("%s\n%s", err, out);
  assert_int_equal(c->n_facilities, 2);
  assert_int_equal(c->facilities[0].sector, WD_SECTOR_HEALTHCARE);
  assert_int_equal(c->facilities[0].max_bps, 2000000000ull);
  assert_string_equal(fac(c, "10.20.1.1"), "St. Example University Hospital");
  wd_config_free(c);
  free(out);
  free(text);
}

static void test_docs(void **state) {
  (void)state;
  char path[4096], want[160];
  size_t len;
  repo_path(path, sizeof path, "docs/config.md");
  char *text = slurp(path, &len);
  assert_non_null(text);
  const wd_config_key_t *k;
  size_t n = wd_config_keys(&k);
  for (size_t i = 0; i < n; i++) {
    snprintf(want, sizeof want, "### `%s`", k[i].name);
    if (!strstr(text, want))
      fail_msg("docs/config.md lacks a section '%s'", want);
  }
  each_detector_key(key_in_docs, text);
  n = wd_config_facility_keys(&k);
  for (size_t i = 0; i < n; i++) {
    snprintf(want, sizeof want, "`%s`", k[i].name);
    if (!strstr(text, want))
      fail_msg("docs/config.md lacks facility key %s", want);
  }
  /* Every key is in use: none is described as waiting for a later stage. */
  if (strstr(text, "later stage"))
    fail_msg("docs/config.md still calls a key 'used by a later stage'");
  if (!strstr(text, "### `sectors`") || !strstr(text, "`research`"))
    fail_msg("docs/config.md lacks the sectors list or the research sector");
  free(text);
}

/* Built-in sectors (research among them) and the file's own. */
static void test_sectors(void **state) {
  (void)state;
  wd_config_t *c = load_ok(
      "facilities:\n"
      "  - name: Lab\n    sector: research\n    networks: [10.1.0.0/16]\n"
      "  - name: Works\n    sector: Water\n    networks: [10.2.0.0/16]\n"
      "  - name: Ops\n    sector: public-health\n    networks: [10.3.0.0/16]\n"
      "  - name: 112\n    sector: emergency-services\n"
      "    networks: [10.4.0.0/16]\n"
      "  - name: Port\n    sector: maritime\n    networks: [10.5.0.0/16]\n"
      "  - name: Tel\n    sector: telecom\n    networks: [10.6.0.0/16]\n"
      "  - name: Min\n    sector: government\n    networks: [10.7.0.0/16]\n"
      "sectors: [maritime, space]\n");
  assert_int_equal(c->facilities[0].sector, WD_SECTOR_RESEARCH);
  assert_string_equal(wd_facility_sector(&c->facilities[0]), "research");
  assert_string_equal(wd_facility_sector(&c->facilities[1]), "water");
  assert_string_equal(wd_facility_sector(&c->facilities[2]), "public-health");
  assert_string_equal(wd_facility_sector(&c->facilities[3]),
                      "emergency-services");
  assert_int_equal(c->facilities[4].sector, WD_SECTOR_EXTRA);
  assert_string_equal(wd_facility_sector(&c->facilities[4]), "maritime");
  assert_string_equal(wd_facility_sector(&c->facilities[5]), "telecom");
  assert_string_equal(wd_facility_sector(&c->facilities[6]), "government");
  assert_int_equal(c->n_sectors, 2);
  assert_string_equal(c->sectors[1], "space");
  /* config show loads back to the same sectors. */
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  assert_int_equal(wd_config_dump(c, m), WD_OK);
  fclose(m);
  wd_config_t *back = load_ok(buf);
  assert_int_equal(back->n_sectors, 2);
  assert_string_equal(wd_facility_sector(&back->facilities[4]), "maritime");
  assert_string_equal(wd_facility_sector(&back->facilities[0]), "research");
  wd_config_free(back);
  free(buf);
  wd_config_free(c);

  BAD("facilities:\n  - name: X\n    networks: 10.0.0.0/8\n"
      "    sector: maritime\nsectors: [space]\n",
      "t.yaml:4:13: facilities[0].sector: ", "'maritime' is not a known value");
  BAD("sectors: [Space]\n",
      "t.yaml:1:11: sectors: ", "'Space' is not a sector name");
  BAD("sectors: [space, space]\n",
      "t.yaml:1:18: sectors: ", "'space' is listed twice");
  BAD("sectors: [research]\n",
      "t.yaml:1:11: sectors: ", "'research' is a built-in sector");
  BAD("sectors: space\n",
      "t.yaml:1:10: sectors: ", "expected a list of sector names");
  BAD("sectors: []\nsectors: []\n", "t.yaml:2:1: sectors: ", "duplicate");
  char many[2048] = "sectors: [";
  for (int i = 0; i <= WD_SECTORS_EXTRA_MAX; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "%ss%d",
             i ? ", " : "", i);
  strcat(many, "]\n");
  BAD(many, "t.yaml:1:", "is one too many; expected at most 32");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_units),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_bad_keys),
      cmocka_unit_test(test_bad_networks),
      cmocka_unit_test(test_bad_yaml),
      cmocka_unit_test(test_file_errors),
      cmocka_unit_test(test_memcap_sum),
      cmocka_unit_test(test_facilities),
      cmocka_unit_test(test_bad_facilities),
      cmocka_unit_test(test_sectors),
      cmocka_unit_test(test_many_facilities),
      cmocka_unit_test(test_home_net),
      cmocka_unit_test(test_lookup_matches_linear),
      cmocka_unit_test(test_dump_reload),
      cmocka_unit_test(test_example_file),
      cmocka_unit_test(test_docs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
