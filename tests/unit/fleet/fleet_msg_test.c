/* fleet_msg_test.c -- tests of src/fleet/fleet_msg.c: every alert field and
 * every metric type survive encode + decode exactly (64-bit values above
 * INT64_MAX, NaN and infinities included); the JSON is an EVE alert a
 * foreign consumer can read; frames, heartbeats and envelopes round-trip;
 * ids parse strictly; hostile input (truncations at every length, each
 * field made wrong in turn, random flips) is refused with a sentence that
 * names the field, never read out of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "fleet/fleet_msg.h"
#include "incident/incident.h"

static wd_fleet_id_t test_id(void) {
  wd_fleet_id_t id;
  memset(&id, 0, sizeof id);
  snprintf(id.sensor, sizeof id.sensor, "hospital-a.sensor_1");
  for (int i = 0; i < 16; i++)
    id.run[i] = (uint8_t)(0xf0 + i);
  id.seq = 0xfffffffffffffff0ull;
  return id;
}

/* An alert with every field set to a value that would show a loss. */
static void full_alert(wd_alert_t *a) {
  memset(a, 0, sizeof *a);
  a->detector = "smb.ms17-010";
  a->signature_id = 0xffffffffu;
  a->signature = "EternalBlue \"exploit\" \xc3\xa9 \\ attempt";
  a->category = "Attempted Administrator Privilege Gain";
  a->severity = 1;
  a->rsit_class = "intrusion-attempts";
  a->rsit_type = "exploit";
  a->state = WD_ALERT_UPDATE;
  a->attack_id = UINT64_MAX;
  a->ts_ns = 1492363369379993123ull;
  a->start_ns = 1492363300000000001ull;
  a->last_ns = 1492363300500000003ull;
  a->flow_id = 0x8000000000000001ull;
  a->has_src = true;
  assert_int_equal(wd_addr_parse("2001:db8::7", &a->src), WD_OK);
  assert_int_equal(wd_addr_parse("192.0.2.45", &a->dst), WD_OK);
  a->has_ports = true;
  a->sport = 65535;
  a->dport = 445;
  a->proto = 6;
  wd_alert_add_u64(a, "big", UINT64_MAX);
  wd_alert_add_u64(a, "zero", 0);
  wd_alert_add_f64(a, "ratio", 3.25);
  wd_alert_add_f64(a, "tiny", 1e-300);
  wd_alert_add_f64(a, "negzero", -0.0);
  wd_alert_add_f64(a, "whole", 2.0);
  wd_alert_add_f64(a, "nan", NAN);
  wd_alert_add_f64(a, "inf", INFINITY);
  wd_alert_add_f64(a, "ninf", -INFINITY);
  wd_alert_add_str(a, "variant", "DoublePulsar \xe2\x9c\x93");
  wd_alert_add_str(a, "empty", "");
  wd_alert_add_bool(a, "spoofed", true);
  wd_alert_add_bool(a, "patched", false);
  wd_alert_add_u64(a, "peak_pps", 123456789);
  wd_alert_add_f64(a, "pi", 3.141592653589793);
  static const char *const fill[] = {"fill1", "fill2", "fill3", "fill4",
                                     "fill5", "fill6", "fill7", "fill8"};
  for (unsigned i = 0; a->n_metrics < WD_ALERT_METRICS_MAX - 1 && i < 8; i++)
    wd_alert_add_u64(a, fill[i], i);
  wd_alert_add_str(a, "last", "the last one");
  assert_int_equal(a->n_metrics, WD_ALERT_METRICS_MAX);
}

static const wd_fleet_facility_t fac = {"St. Mary's \xc3\xa9 Hospital",
                                        WD_SECTOR_HEALTHCARE, WD_CRIT_HIGH};

static void decode_ok(const char *json, size_t len, wd_fleet_msg_t *m) {
  char err[256] = "";
  wd_rc rc = wd_fleet_decode((const uint8_t *)json, len, "alert", 5, NULL, 0, m,
                             err, sizeof err);
  if (rc != WD_OK)
    fail_msg("decode: %s", err);
}

static void assert_metrics_equal(const wd_alert_t *a, const wd_alert_t *b) {
  assert_int_equal(a->n_metrics, b->n_metrics);
  for (unsigned i = 0; i < a->n_metrics; i++) {
    const wd_alert_metric_t *x = &a->metrics[i], *y = &b->metrics[i];
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->type, y->type);
    switch (x->type) {
    case WD_METRIC_U64:
      assert_true(x->v.u == y->v.u);
      break;
    case WD_METRIC_F64:
      if (isnan(x->v.d))
        assert_true(isnan(y->v.d));
      else
        assert_memory_equal(&x->v.d, &y->v.d, sizeof(double)); /* -0.0 */
      break;
    case WD_METRIC_STR:
      assert_string_equal(x->v.s, y->v.s);
      break;
    case WD_METRIC_BOOL:
      assert_int_equal(x->v.b, y->v.b);
      break;
    }
  }
}

static void assert_alert_equal(const wd_alert_t *a, const wd_alert_t *b) {
  assert_string_equal(a->detector, b->detector);
  assert_int_equal(a->signature_id, b->signature_id);
  assert_string_equal(a->signature, b->signature);
  assert_string_equal(a->category, b->category);
  assert_int_equal(a->severity, b->severity);
  assert_string_equal(a->rsit_class, b->rsit_class);
  assert_string_equal(a->rsit_type, b->rsit_type);
  assert_int_equal(a->state, b->state);
  assert_true(a->attack_id == b->attack_id);
  assert_true(a->ts_ns == b->ts_ns);
  assert_true(a->start_ns == b->start_ns);
  assert_true(a->last_ns == b->last_ns);
  assert_true(a->flow_id == b->flow_id);
  assert_int_equal(a->has_src, b->has_src);
  if (a->has_src)
    assert_memory_equal(&a->src, &b->src, sizeof a->src);
  assert_memory_equal(&a->dst, &b->dst, sizeof a->dst);
  assert_int_equal(a->has_ports, b->has_ports);
  if (a->has_ports) {
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
  }
  assert_int_equal(a->proto, b->proto);
  assert_metrics_equal(a, b);
}

static void round_trip_every_field(void **state) {
  (void)state;
  wd_alert_t a;
  full_alert(&a);
  wd_fleet_id_t id = test_id();
  char *json;
  size_t len;
  assert_int_equal(wd_fleet_encode_alert(&id, &a, &fac, &json, &len), WD_OK);
  assert_int_equal(strlen(json), len);
  char ids[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&id, ids);
  wd_fleet_msg_t m;
  char err[256];
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, "alert", 5, ids,
                                   strlen(ids), &m, err, sizeof err),
                   WD_OK);
  free(json);
  assert_int_equal(m.kind, WD_FLEET_ALERT);
  assert_true(wd_fleet_id_eq(&m.id, &id));
  assert_alert_equal(&a, &m.u.alert.alert);
  assert_true(m.u.alert.has_facility);
  assert_string_equal(m.u.alert.facility.name, fac.name);
  assert_int_equal(m.u.alert.facility.sector, WD_SECTOR_HEALTHCARE);
  assert_int_equal(m.u.alert.facility.criticality, WD_CRIT_HIGH);
  wd_fleet_msg_fini(&m);
}

/* Every state, every protocol number, source unknown, no ports, no
 * facility, no metrics; sector and criticality in each value. */
static void round_trip_variants(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id();
  for (unsigned proto = 0; proto < 256; proto++) {
    wd_alert_t a;
    memset(&a, 0, sizeof a);
    a.detector = "ddos.syn_flood";
    a.signature = "SYN flood";
    a.category = "Denial of Service";
    a.rsit_class = "availability";
    a.rsit_type = "ddos";
    a.state = (wd_alert_state)(proto % 3);
    a.severity = (uint8_t)(proto % 5);
    a.attack_id = proto;
    a.ts_ns = 1000000000ull * proto;
    a.proto = (uint8_t)proto;
    a.has_src = proto % 2;
    a.has_ports = proto % 4 < 2;
    a.sport = (uint16_t)proto;
    a.dport = (uint16_t)(proto * 3);
    assert_int_equal(wd_addr_parse("10.1.2.3", &a.src), WD_OK);
    assert_int_equal(wd_addr_parse("::1", &a.dst), WD_OK);
    wd_fleet_facility_t f = {"f", (wd_sector)(proto % 7),
                             (wd_criticality)(proto % 3)};
    char *json;
    size_t len;
    assert_int_equal(
        wd_fleet_encode_alert(&id, &a, proto % 3 ? &f : NULL, &json, &len),
        WD_OK);
    wd_fleet_msg_t m;
    decode_ok(json, len, &m);
    free(json);
    assert_alert_equal(&a, &m.u.alert.alert);
    assert_int_equal(m.u.alert.has_facility, proto % 3 != 0);
    if (proto % 3) {
      assert_int_equal(m.u.alert.facility.sector, f.sector);
      assert_int_equal(m.u.alert.facility.criticality, f.criticality);
    }
    wd_fleet_msg_fini(&m);
  }
}

/* What another tool reading the topic sees: an EVE alert. */
static void eve_compatible(void **state) {
  (void)state;
  wd_alert_t a;
  full_alert(&a);
  wd_fleet_id_t id = test_id();
  char *json;
  size_t len;
  assert_int_equal(wd_fleet_encode_alert(&id, &a, &fac, &json, &len), WD_OK);
  json_t *o = json_loads(json, 0, NULL);
  free(json);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "event_type")),
                      "alert");
  assert_string_equal(json_string_value(json_object_get(o, "timestamp")),
                      "2017-04-16T17:22:49.379993+0000");
  assert_string_equal(json_string_value(json_object_get(o, "src_ip")),
                      "2001:db8::7");
  assert_string_equal(json_string_value(json_object_get(o, "dest_ip")),
                      "192.0.2.45");
  assert_int_equal(json_integer_value(json_object_get(o, "dest_port")), 445);
  assert_string_equal(json_string_value(json_object_get(o, "proto")), "TCP");
  json_t *al = json_object_get(o, "alert");
  assert_int_equal(json_integer_value(json_object_get(al, "signature_id")),
                   0xffffffffu);
  assert_int_equal(json_integer_value(json_object_get(al, "severity")), 1);
  json_t *w = json_object_get(o, "ward");
  assert_string_equal(json_string_value(json_object_get(w, "detector")),
                      "smb.ms17-010");
  assert_string_equal(json_string_value(json_object_get(w, "state")), "update");
  assert_string_equal(json_string_value(json_object_get(w, "sector")),
                      "healthcare");
  assert_int_equal(json_integer_value(json_object_get(w, "peak_pps")),
                   123456789);
  json_t *f = json_object_get(w, "fleet");
  assert_string_equal(json_string_value(json_object_get(f, "sensor")),
                      "hospital-a.sensor_1");
  assert_string_equal(json_string_value(json_object_get(f, "run")),
                      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  json_decref(o);
}

static void encode_refuses_bad_metrics(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id();
  char *json;
  size_t len;
  const char *bad_names[] = {"state", "fleet", "detector", "", NULL};
  for (int i = 0; i < 5; i++) {
    wd_alert_t a;
    memset(&a, 0, sizeof a);
    a.detector = "x";
    wd_alert_add_u64(&a, "fine", 1);
    if (i < 4)
      wd_alert_add_u64(&a, bad_names[i], 1);
    else
      wd_alert_add_u64(&a, "fine", 2); /* duplicate */
    assert_int_equal(wd_fleet_encode_alert(&id, &a, NULL, &json, &len),
                     WD_ERR_INVAL);
    assert_null(json);
  }
  wd_fleet_id_t bad = id;
  strcpy(bad.sensor, "no/slash");
  wd_alert_t a;
  memset(&a, 0, sizeof a);
  assert_int_equal(wd_fleet_encode_alert(&bad, &a, NULL, &json, &len),
                   WD_ERR_INVAL);
}

static void ids(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id(), back;
  char s[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&id, s);
  assert_string_equal(s, "hospital-a.sensor_1/f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff/"
                         "18446744073709551600");
  assert_int_equal(wd_fleet_id_parse(s, strlen(s), &back), WD_OK);
  assert_true(wd_fleet_id_eq(&id, &back));
  const char *bad[] = {
      "",
      "a",
      "a/b",
      "/00000000000000000000000000000000/1",
      "a/0000000000000000000000000000000/1",   /* 31 digits */
      "a/000000000000000000000000000000000/1", /* 33 */
      "a/0000000000000000000000000000000G/1",
      "a/0000000000000000000000000000000A/1", /* upper case */
      "a/00000000000000000000000000000000/",
      "a/00000000000000000000000000000000/01",
      "a/00000000000000000000000000000000/18446744073709551616",
      "a/00000000000000000000000000000000/1x",
      "a/00000000000000000000000000000000/-1",
      "a b/00000000000000000000000000000000/1",
      "a/00000000000000000000000000000000/1/2",
      /* a 65-byte sensor name */
      ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
       "00000000000000000000000000000000/1"),
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (wd_fleet_id_parse(bad[i], strlen(bad[i]), &back) == WD_OK)
      fail_msg("id \"%s\" accepted", bad[i]);
  assert_int_equal(
      wd_fleet_id_parse("a/00000000000000000000000000000000/0", 36, &back),
      WD_OK);
  uint8_t r1[16], r2[16];
  assert_int_equal(wd_fleet_run_new(r1), WD_OK);
  assert_int_equal(wd_fleet_run_new(r2), WD_OK);
  assert_memory_not_equal(r1, r2, 16);
}

/* A valid alert, changed by one JSON edit: decoding must fail and say
 * where. */
typedef struct mutation {
  const char *path;   /* "ward.fleet.v": object path of the member */
  const char *json;   /* new value as JSON; NULL: delete the member */
  const char *expect; /* substring of the error */
} mutation_t;

/* The metric_types strings below spell the metrics of full_alert(): 15,
 * four fills, and the last one. */
_Static_assert(WD_ALERT_METRICS_MAX == 20, "update the metric_types below");
static const mutation_t mutations[] = {
    {"event_type", "\"flow\"", "event_type"},
    {"timestamp", "5", "timestamp"},
    {"ward", "[]", "ward"},
    {"ward.fleet", NULL, "ward.fleet"},
    {"ward.fleet.v", "2", "version 2"},
    {"ward.fleet.v", "\"1\"", "ward.fleet.v"},
    {"ward.fleet.sensor", "\"a/b\"", "ward.fleet.sensor"},
    {"ward.fleet.sensor", "\"\"", "ward.fleet.sensor"},
    {"ward.fleet.run", "\"F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF\"",
     "ward.fleet.run"},
    {"ward.fleet.run", "\"f0\"", "ward.fleet.run"},
    {"ward.fleet.seq", "1.5", "ward.fleet.seq"},
    {"ward.fleet.seq", NULL, "ward.fleet.seq"},
    {"ward.fleet.ts_ns", "\"now\"", "ward.fleet.ts_ns"},
    {"ward.fleet.start_ns", NULL, "ward.fleet.start_ns"},
    {"ward.fleet.metric_types", "\"uu\"", "metric_types"},
    {"ward.fleet.metric_types", "\"uuuuuuuuuuuuuuuuuuuuu\"", "metric_types"},
    {"ward.fleet.metric_types", "\"sufffffffssbbufuuuus\"", "ward.big"},
    {"ward.fleet.metric_types", "\"xufffffffssbbufuuuus\"", "metric_types"},
    {"ward.fleet.metric_types", "7", "metric_types"},
    {"ward.big", "\"many\"", "ward.big"},
    {"ward.ratio", "3", "ward.ratio"},
    {"ward.ratio", "\"NaN\"", "ward.ratio"},
    {"ward.variant", "false", "ward.variant"},
    {"ward.spoofed", "1", "ward.spoofed"},
    {"ward.extra", "1", "metric_types"},
    {"ward.detector", NULL, "ward.detector"},
    {"ward.detector", "7", "ward.detector"},
    {"ward.class", "null", "ward.class"},
    {"ward.type", NULL, "ward.type"},
    {"ward.state", "\"paused\"", "ward.state"},
    {"ward.attack_id", "\"1\"", "ward.attack_id"},
    {"ward.source_known", "true", "ward.source_known"},
    {"ward.facility", "5", "ward.facility"},
    {"ward.sector", "\"farming\"", "ward.sector"},
    {"ward.criticality", NULL, "ward.criticality"},
    {"src_ip", "\"999.1.1.1\"", "src_ip"},
    {"src_ip", "17", "src_ip"},
    {"dest_ip", NULL, "dest_ip"},
    {"dest_ip", "\"2001:db8::1::2\"", "dest_ip"},
    {"src_port", "70000", "src_port"},
    {"src_port", "-1", "src_port"},
    {"src_port", NULL, "src_port"},
    {"dest_port", "\"445\"", "dest_port"},
    {"proto", "\"XYZ\"", "proto"},
    {"proto", "\"006\"", "proto"},
    {"proto", "\"000\"", "proto"},
    {"proto", "6", "proto"},
    {"flow_id", "\"1\"", "flow_id"},
    {"alert", NULL, "alert"},
    {"alert.signature_id", "-1", "alert.signature_id"},
    {"alert.signature_id", "4294967296", "alert.signature_id"},
    {"alert.severity", "256", "alert.severity"},
    {"alert.signature", NULL, "alert.signature"},
    {"alert.category", "[]", "alert.category"},
};

static json_t *parent_of(json_t *root, const char *path, char *last) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *o = root;
  char *save, *tok = strtok_r(buf, ".", &save), *next;
  while ((next = strtok_r(NULL, ".", &save)) != NULL) {
    o = json_object_get(o, tok);
    assert_non_null(o);
    tok = next;
  }
  strcpy(last, tok);
  return o;
}

static void hostile_alerts(void **state) {
  (void)state;
  wd_alert_t a;
  full_alert(&a);
  wd_fleet_id_t id = test_id();
  char *json;
  size_t len;
  assert_int_equal(wd_fleet_encode_alert(&id, &a, &fac, &json, &len), WD_OK);
  json_t *orig = json_loads(json, 0, NULL);
  assert_non_null(orig);
  for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
    const mutation_t *mu = &mutations[i];
    json_t *o = json_deep_copy(orig);
    char last[64];
    json_t *parent = parent_of(o, mu->path, last);
    if (mu->json)
      json_object_set_new(parent, last,
                          json_loads(mu->json, JSON_DECODE_ANY, NULL));
    else
      json_object_del(parent, last);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    wd_fleet_msg_t m;
    char err[256] = "";
    wd_rc rc = wd_fleet_decode((const uint8_t *)s, strlen(s), NULL, 0, NULL, 0,
                               &m, err, sizeof err);
    if (rc == WD_OK)
      fail_msg("mutation %s=%s accepted", mu->path,
               mu->json ? mu->json : "(deleted)");
    if (!strstr(err, mu->expect))
      fail_msg("mutation %s: error \"%s\" does not name \"%s\"", mu->path, err,
               mu->expect);
    assert_null(m.arena);
    free(s);
  }
  json_decref(orig);

  /* Syntax, size, headers. */
  wd_fleet_msg_t m;
  char err[256];
  const char *syntax[] = {"",
                          "{",
                          "[]",
                          "\"alert\"",
                          "{} x",
                          "{\"a\":1,\"a\":2}",
                          "{\"s\":\"\\u0000\"}"};
  for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
    assert_int_not_equal(wd_fleet_decode((const uint8_t *)syntax[i],
                                         strlen(syntax[i]), NULL, 0, NULL, 0,
                                         &m, err, sizeof err),
                         WD_OK);
    assert_true(strlen(err) > 0);
  }
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, "alrt", 4, NULL,
                                   0, &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "ward-kind"));
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, "frame", 5, NULL,
                                   0, &m, err, sizeof err),
                   WD_ERR_INVAL); /* JSON claimed to be a frame */
  wd_fleet_id_t other = id;
  other.seq++;
  char ids[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&other, ids);
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, "alert", 5, ids,
                                   strlen(ids), &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "does not match"));
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, "alert", 5, "x",
                                   1, &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "ward-id"));
  /* Every truncation of a valid alert fails cleanly. */
  for (size_t n = 0; n < len; n++)
    assert_int_not_equal(wd_fleet_decode((const uint8_t *)json, n, NULL, 0,
                                         NULL, 0, &m, err, sizeof err),
                         WD_OK);
  free(json);

  /* Oversized payload, over-long string. */
  size_t big = WD_FLEET_MSG_MAX + 1;
  char *huge = malloc(big);
  memset(huge, ' ', big);
  huge[0] = '{';
  huge[big - 1] = '}';
  assert_int_equal(wd_fleet_decode((const uint8_t *)huge, big, NULL, 0, NULL, 0,
                                   &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "cap"));
  free(huge);
  wd_alert_t b;
  full_alert(&b);
  char *longsig = malloc(WD_FLEET_STR_MAX + 2);
  memset(longsig, 'x', WD_FLEET_STR_MAX + 1);
  longsig[WD_FLEET_STR_MAX + 1] = 0;
  b.signature = longsig;
  assert_int_equal(wd_fleet_encode_alert(&id, &b, NULL, &json, &len), WD_OK);
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, NULL, 0, NULL, 0,
                                   &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "alert.signature"));
  free(json);
  free(longsig);
}

static void frames(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id();
  static uint8_t data[WD_FLEET_FRAME_SNAP_MAX];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  uint32_t lens[] = {0, 1, 60, 1514, WD_FLEET_FRAME_SNAP_MAX};
  for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
    wd_fleet_frame_t f = {.attack_id = UINT64_MAX - k,
                          .flow_id = 0x8000000000000000ull + k,
                          .ts_ns = 1492363369379993123ull + k,
                          .linktype = 113,
                          .wire_len = lens[k] + 100,
                          .cap_len = lens[k],
                          .data = data};
    size_t n = wd_fleet_frame_size(&id, f.cap_len), got;
    uint8_t *buf = malloc(n);
    assert_int_equal(wd_fleet_encode_frame(&id, &f, buf, n - 1, &got),
                     WD_ERR_FULL);
    assert_int_equal(wd_fleet_encode_frame(&id, &f, buf, n, &got), WD_OK);
    assert_int_equal(got, n);
    wd_fleet_msg_t m;
    char err[256];
    assert_int_equal(
        wd_fleet_decode(buf, n, NULL, 0, NULL, 0, &m, err, sizeof err), WD_OK);
    assert_int_equal(m.kind, WD_FLEET_FRAME);
    assert_true(wd_fleet_id_eq(&m.id, &id));
    assert_true(m.u.frame.attack_id == f.attack_id);
    assert_true(m.u.frame.flow_id == f.flow_id);
    assert_true(m.u.frame.ts_ns == f.ts_ns);
    assert_int_equal(m.u.frame.linktype, 113);
    assert_int_equal(m.u.frame.wire_len, f.wire_len);
    assert_int_equal(m.u.frame.cap_len, f.cap_len);
    if (f.cap_len)
      assert_memory_equal(m.u.frame.data, data, f.cap_len);
    wd_fleet_msg_fini(&m);
    /* Every truncation and one byte too many. */
    for (size_t t = 0; t < n; t++)
      assert_int_not_equal(
          wd_fleet_decode(buf, t, "frame", 5, NULL, 0, &m, err, sizeof err),
          WD_OK);
    uint8_t *more = malloc(n + 1);
    memcpy(more, buf, n);
    more[n] = 0;
    assert_int_equal(
        wd_fleet_decode(more, n + 1, "frame", 5, NULL, 0, &m, err, sizeof err),
        WD_ERR_INVAL);
    free(more);
    free(buf);
  }
  /* Encoder limits. */
  wd_fleet_frame_t f = {.wire_len = 10, .cap_len = 11, .data = data};
  uint8_t buf[256];
  size_t got;
  assert_int_equal(wd_fleet_encode_frame(&id, &f, buf, sizeof buf, &got),
                   WD_ERR_INVAL);
  /* Field by field hostile: bad magic, flags, cap > wire, huge wire. */
  f.cap_len = 4;
  assert_int_equal(wd_fleet_encode_frame(&id, &f, buf, sizeof buf, &got),
                   WD_OK);
  struct {
    size_t off;
    uint8_t val;
    const char *expect;
  } edits[] = {{0, 'X', "magic"},      {5, 1, "flags"},    {7, 1, "reserved"},
               {4, 0, "header says"},  {4, 200, "bytes"},  {67, 11, "cap_len"},
               {61, 0xff, "wire_len"}, {68, '/', "sensor"}};
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    uint8_t c[256];
    memcpy(c, buf, got);
    c[edits[i].off] = edits[i].val;
    wd_fleet_msg_t m;
    char err[256] = "";
    assert_int_not_equal(
        wd_fleet_decode(c, got, "frame", 5, NULL, 0, &m, err, sizeof err),
        WD_OK);
    if (!strstr(err, edits[i].expect))
      fail_msg("frame edit at %zu: \"%s\" lacks \"%s\"", edits[i].off, err,
               edits[i].expect);
  }
}

static void heartbeats(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id();
  wd_fleet_heartbeat_t hb;
  memset(&hb, 0, sizeof hb);
  hb.ts_ns = 1700000000123456789ull;
  hb.version = "0.1.0";
  char names[WD_FLEET_COUNTERS_MAX][16];
  for (unsigned i = 0; i < WD_FLEET_COUNTERS_MAX; i++) {
    snprintf(names[i], sizeof names[i], "c.%u", i);
    hb.counters[i].name = names[i];
    hb.counters[i].value = i == 0 ? UINT64_MAX : i * 1000u;
  }
  hb.n_counters = WD_FLEET_COUNTERS_MAX;
  char *json;
  size_t len;
  assert_int_equal(wd_fleet_encode_heartbeat(&id, &hb, &json, &len), WD_OK);
  wd_fleet_msg_t m;
  char err[256];
  if (wd_fleet_decode((const uint8_t *)json, len, NULL, 0, NULL, 0, &m, err,
                      sizeof err) != WD_OK)
    fail_msg("%s\n%s", err, json);
  assert_int_equal(m.kind, WD_FLEET_HEARTBEAT);
  assert_true(wd_fleet_id_eq(&m.id, &id));
  assert_true(m.u.heartbeat.ts_ns == hb.ts_ns);
  assert_string_equal(m.u.heartbeat.version, "0.1.0");
  assert_int_equal(m.u.heartbeat.n_counters, WD_FLEET_COUNTERS_MAX);
  for (unsigned i = 0; i < WD_FLEET_COUNTERS_MAX; i++) {
    assert_string_equal(m.u.heartbeat.counters[i].name, names[i]);
    assert_true(m.u.heartbeat.counters[i].value == hb.counters[i].value);
  }
  wd_fleet_msg_fini(&m);
  /* An alert header on a heartbeat, a bad counter name. */
  assert_int_not_equal(wd_fleet_decode((const uint8_t *)json, len, "alert", 5,
                                       NULL, 0, &m, err, sizeof err),
                       WD_OK);
  free(json);
  hb.counters[3].name = "Bad Name";
  assert_int_equal(wd_fleet_encode_heartbeat(&id, &hb, &json, &len),
                   WD_ERR_INVAL);
  const char *bad =
      "{\"timestamp\":\"x\",\"event_type\":\"stats\",\"stats\":{\"A\":1},"
      "\"ward\":{\"fleet\":{\"v\":1,\"sensor\":\"s\",\"run\":"
      "\"00000000000000000000000000000000\",\"seq\":1,\"ts_ns\":1}}}";
  assert_int_equal(wd_fleet_decode((const uint8_t *)bad, strlen(bad), NULL, 0,
                                   NULL, 0, &m, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "stats"));
}

static void envelopes(void **state) {
  (void)state;
  wd_fleet_id_t id = test_id();
  const char payload[] = "{\"x\":1}";
  wd_fleet_envelope_t e = {
      WD_FLEET_ALERT,    id, "St. Mary", 8, (const uint8_t *)payload,
      sizeof payload - 1};
  size_t n = wd_fleet_envelope_size(&e), got;
  uint8_t buf[256];
  assert_int_equal(wd_fleet_envelope_encode(&e, buf, n - 1, &got), WD_ERR_FULL);
  assert_int_equal(wd_fleet_envelope_encode(&e, buf, sizeof buf, &got), WD_OK);
  assert_int_equal(got, n);
  wd_fleet_envelope_t d;
  char err[256];
  assert_int_equal(wd_fleet_envelope_decode(buf, got, &d, err, sizeof err),
                   WD_OK);
  assert_int_equal(d.kind, WD_FLEET_ALERT);
  assert_true(wd_fleet_id_eq(&d.id, &id));
  assert_int_equal(d.key_len, 8);
  assert_memory_equal(d.key, "St. Mary", 8);
  assert_int_equal(d.payload_len, sizeof payload - 1);
  assert_memory_equal(d.payload, payload, d.payload_len);
  for (size_t t = 0; t < 28 + strlen(id.sensor) + 8; t++)
    assert_int_not_equal(wd_fleet_envelope_decode(buf, t, &d, err, sizeof err),
                         WD_OK);
  uint8_t c[256];
  memcpy(c, buf, got);
  c[0] = 2;
  assert_int_equal(wd_fleet_envelope_decode(c, got, &d, err, sizeof err),
                   WD_ERR_UNSUPPORTED);
  memcpy(c, buf, got);
  c[1] = 9;
  assert_int_equal(wd_fleet_envelope_decode(c, got, &d, err, sizeof err),
                   WD_ERR_INVAL);
  assert_non_null(strstr(err, "kind"));
}

/* Random damage to valid messages: decoding ends in OK or an error with a
 * sentence; ASan watches the reads. */
static void random_flips(void **state) {
  (void)state;
  wd_alert_t a;
  full_alert(&a);
  wd_fleet_id_t id = test_id();
  char *json;
  size_t len;
  assert_int_equal(wd_fleet_encode_alert(&id, &a, &fac, &json, &len), WD_OK);
  static uint8_t data[300];
  wd_fleet_frame_t f = {.wire_len = 300, .cap_len = 300, .data = data};
  uint8_t frame[600];
  size_t flen;
  assert_int_equal(wd_fleet_encode_frame(&id, &f, frame, sizeof frame, &flen),
                   WD_OK);
  uint64_t x = 88172645463325252ull;
  unsigned errors = 0;
  for (int round = 0; round < 3000; round++) {
    bool is_frame = round % 2;
    size_t n = is_frame ? flen : len;
    uint8_t *c = malloc(n);
    memcpy(c, is_frame ? frame : (const uint8_t *)json, n);
    for (int k = 0; k < 1 + round % 4; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      c[x % n] = (uint8_t)(x >> 32);
    }
    wd_fleet_msg_t m;
    char err[256] = "";
    if (wd_fleet_decode(c, n, NULL, 0, NULL, 0, &m, err, sizeof err) != WD_OK) {
      assert_true(strlen(err) > 0);
      errors++;
    }
    wd_fleet_msg_fini(&m);
    free(c);
  }
  assert_true(errors > 0);
  free(json);
}

static void keys(void **state) {
  (void)state;
  char k[WD_FLEET_KEY_MAX + 1];
  wd_addr_t dst;
  assert_int_equal(wd_addr_parse("2001:db8::9", &dst), WD_OK);
  assert_int_equal(wd_fleet_key(&fac, &dst, k), strlen(fac.name));
  assert_string_equal(k, fac.name);
  assert_int_equal(wd_fleet_key(NULL, &dst, k), strlen("2001:db8::9"));
  assert_string_equal(k, "2001:db8::9");
}

/* An intel.match alert from a sensor, decoded at the centre and given to
 * the incident builder as `ward ingest` does: the centre's store keeps
 * the matched indicator of the attack, the STIX feed's own object too. */
static void intel_to_centre_store(void **state) {
  (void)state;
  static const char stix[] =
      "{\"created\":\"2026-01-01T00:00:00.000Z\",\"id\":\"indicator--"
      "0d7e1f5a-3c2b-4e8f-9a6d-1b2c3d4e5f60\",\"pattern\":\"[url:value = "
      "'http://x.example/a\\\\'b']\"}";
  wd_alert_t a;
  memset(&a, 0, sizeof a);
  a.detector = "intel.match";
  a.signature = "Traffic naming an indicator";
  a.rsit_class = "malicious-code";
  a.rsit_type = "infected-system";
  a.severity = 2;
  a.state = WD_ALERT_START;
  a.attack_id = 1;
  a.ts_ns = a.start_ns = a.last_ns = 1776330169000000000ull;
  a.has_src = true;
  assert_int_equal(wd_addr_parse("216.160.83.57", &a.src), WD_OK);
  assert_int_equal(wd_addr_parse("10.20.1.55", &a.dst), WD_OK);
  wd_alert_add_str(&a, "indicator", "http://x.example/a'b");
  wd_alert_add_str(&a, "indicator_type", "url");
  wd_alert_add_str(&a, "indicator_stix", stix);
  wd_alert_add_str(&a, "feed", "apt.json");
  wd_alert_add_str(&a, "indicator_ref",
                   "indicator--0d7e1f5a-3c2b-4e8f-9a6d-1b2c3d4e5f60");
  wd_alert_add_str(&a, "field", "http.url");
  wd_fleet_id_t id = test_id();
  char *json, err[512];
  size_t len;
  assert_int_equal(wd_fleet_encode_alert(&id, &a, NULL, &json, &len), WD_OK);
  wd_fleet_msg_t m;
  assert_int_equal(wd_fleet_decode((const uint8_t *)json, len, NULL, 0, NULL, 0,
                                   &m, err, sizeof err),
                   WD_OK);
  free(json);
  char dir[] = "/tmp/fleet_intel.XXXXXX", db[64];
  assert_non_null(mkdtemp(dir));
  snprintf(db, sizeof db, "%s/centre.db", dir);
  static const char yaml[] = "facilities:\n"
                             "  - name: H\n    sector: healthcare\n"
                             "    networks: [10.20.0.0/16]\n";
  wd_config_t *cfg;
  assert_int_equal(
      wd_config_load_buffer("c", yaml, strlen(yaml), &cfg, err, sizeof err),
      WD_OK);
  wd_incidents_t *x;
  assert_int_equal(wd_incidents_new(cfg, db, NULL, NULL, &x, err, sizeof err),
                   WD_OK);
  wd_incidents_alert(x, &m.u.alert.alert);
  wd_fleet_msg_fini(&m);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  wd_store_filter_t f;
  memset(&f, 0, sizeof f);
  char(*ids)[WD_STORE_ID_LEN] = NULL;
  size_t n = 0;
  assert_int_equal(wd_store_incident_ids(wd_incidents_store(x), &f, &ids, &n),
                   WD_OK);
  assert_int_equal(n, 1);
  wd_store_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_int_equal(inc.n_attacks, 1);
  const wd_store_intel_t *in = &inc.attacks[0].intel;
  assert_string_equal(in->value, "http://x.example/a'b");
  assert_string_equal(in->type, "url");
  assert_string_equal(in->feed, "apt.json");
  assert_string_equal(in->field, "http.url");
  assert_string_equal(in->stix, stix);
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
  wd_config_free(cfg);
  snprintf(err, sizeof err, "rm -rf %s", dir);
  assert_int_equal(system(err), 0);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_every_field),
      cmocka_unit_test(round_trip_variants),
      cmocka_unit_test(eve_compatible),
      cmocka_unit_test(encode_refuses_bad_metrics),
      cmocka_unit_test(ids),
      cmocka_unit_test(hostile_alerts),
      cmocka_unit_test(frames),
      cmocka_unit_test(heartbeats),
      cmocka_unit_test(envelopes),
      cmocka_unit_test(random_flips),
      cmocka_unit_test(keys),
      cmocka_unit_test(intel_to_centre_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
