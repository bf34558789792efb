/* store_test.c -- tests of src/store, run once per engine (SQLite, and a
 * throw-away PostgreSQL cluster: engine_fixture.h): migrations and
 * reopen, idempotent upserts, id sequence, status workflow, filters, JSON
 * form, sensors, URLs; a crash test: a child process writing incidents in
 * a loop is SIGKILLed, the database is reopened, checked (integrity +
 * invariants) and a rerun of the same writes completes it; concurrency:
 * several processes opening one new store, correlating the same attack
 * into one store at once (one incident, no lost update), a deadlock lost
 * and run again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/engine_fixture.h"
#include "store/store.h"

static char dir[256] = "/tmp/wd_store_test.XXXXXX";

/* The store's url, for the checks of the test's own connection. */
static char cur_url[1200];

static int64_t q1(const char *sql) { return test_q1(cur_url, sql); }

/* A new, empty store called name (a file or a PostgreSQL database). */
static void db_path(char *out, size_t n, const char *name) {
  char base[64];
  snprintf(base, sizeof base, "%s", name);
  char *dot = strrchr(base, '.');
  if (dot && !strcmp(dot, ".db"))
    *dot = '\0';
  test_store_url(out, n, base);
}

static int setup(void **state) {
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Opens url (asserting) and remembers it for q1. */
static wd_store_t *open_ok(const char *url) {
  char err[512];
  wd_store_t *s = NULL;
  wd_rc rc = wd_store_open(url, &s, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("%s", err);
  snprintf(cur_url, sizeof cur_url, "%s", url);
  return s;
}

static void put_one(wd_store_t *s, const wd_store_incident_t *inc) {
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
}

/* 2026-02-04 10:00:00 UTC */
#define T0 1770199200000000000ull
#define SEC 1000000000ull

static wd_store_attacker_t att[2];
static wd_store_target_t tgt[1];
static wd_store_attack_t attacks[2];

/* A typical incident with two attacks; k varies the progress. */
static void make_inc(wd_store_incident_t *inc, const char *id, int k) {
  memset(inc, 0, sizeof *inc);
  snprintf(inc->id, sizeof inc->id, "%s", id);
  snprintf(inc->corr_key, sizeof inc->corr_key, "intrusion|89.160.20.112|H|");
  snprintf(inc->line, sizeof inc->line, "intrusion");
  snprintf(inc->rsit_class, sizeof inc->rsit_class, "intrusion-attempts");
  snprintf(inc->rsit_type, sizeof inc->rsit_type, "exploit");
  inc->class_rank = 20;
  inc->severity = 2;
  inc->active = true;
  snprintf(inc->facility, sizeof inc->facility, "St. Mary's Hospital");
  snprintf(inc->sector, sizeof inc->sector, "healthcare");
  inc->first_ns = T0;
  inc->last_ns = T0 + (uint64_t)k * SEC;
  snprintf(inc->summary, sizeof inc->summary, "exploit, step %d", k);
  inc->party.set = true;
  snprintf(inc->party.name, sizeof inc->party.name, "CERT-SE");
  snprintf(inc->party.email, sizeof inc->party.email, "cert@cert.se");
  snprintf(inc->party.matched_by, sizeof inc->party.matched_by, "country SE");
  memset(att, 0, sizeof att);
  snprintf(att[0].ip, sizeof att[0].ip, "89.160.20.112");
  snprintf(att[0].role, sizeof att[0].role, "attacker");
  snprintf(att[0].country, sizeof att[0].country, "SE");
  att[0].asn = 29518;
  att[0].reliable = true;
  inc->attackers = att;
  inc->n_attackers = 1;
  memset(tgt, 0, sizeof tgt);
  snprintf(tgt[0].ip, sizeof tgt[0].ip, "10.2.0.7");
  inc->targets = tgt;
  inc->n_targets = 1;
  memset(attacks, 0, sizeof attacks);
  snprintf(attacks[0].detector, sizeof attacks[0].detector, "smb.ms17-010");
  snprintf(attacks[0].src, sizeof attacks[0].src, "89.160.20.112");
  snprintf(attacks[0].dst, sizeof attacks[0].dst, "10.2.0.7");
  attacks[0].start_ns = T0;
  attacks[0].last_ns = T0 + (uint64_t)k * SEC;
  attacks[0].reports = (uint64_t)k;
  attacks[0].packets = 100u * (uint64_t)k;
  attacks[0].peak_pps = 10u * (uint64_t)k;
  inc->attacks = attacks;
  inc->n_attacks = 1;
  if (k >= 3) {
    attacks[1] = attacks[0];
    snprintf(attacks[1].detector, sizeof attacks[1].detector,
             "smb.doublepulsar");
    attacks[1].start_ns = T0 + 3 * SEC;
    attacks[1].reports = 1;
    attacks[1].packets = 5;
    inc->n_attacks = 2;
    snprintf(inc->rsit_class, sizeof inc->rsit_class, "intrusions");
    snprintf(inc->rsit_type, sizeof inc->rsit_type, "system-compromise");
    inc->class_rank = 30;
  }
}

static void test_open_migrate_reopen(void **state) {
  (void)state;
  char p[1200], err[512];
  db_path(p, sizeof p, "m");
  wd_store_t *s;
  /* version 0: nothing applied */
  assert_int_equal(wd_store_open_to(p, 0, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), 0);
  assert_string_equal(wd_store_engine(s),
                      test_is_pg() ? "postgresql" : "sqlite");
  wd_store_close(s);
  /* full open applies every migration (SQLite: WAL on) */
  s = open_ok(p);
  assert_int_equal(wd_store_version(s), WD_STORE_SCHEMA_VERSION);
  assert_true(test_table_exists(p, "incidents"));
  assert_true(test_table_exists(p, "incident_sensors"));
  assert_true(test_table_exists(p, "verdicts"));
  if (test_is_pg())
    assert_int_equal(q1("SELECT count(*) FROM schema_version"),
                     WD_STORE_SCHEMA_VERSION);
  else {
    char b[16];
    assert_string_equal(test_qtext(p, "PRAGMA journal_mode", b, sizeof b),
                        "wal");
  }
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  put_one(s, &inc);
  wd_store_close(s);
  /* reopen: nothing re-applied, data kept */
  s = open_ok(p);
  assert_int_equal(q1("SELECT count(*) FROM incidents"), 1);
  if (test_is_pg())
    assert_int_equal(q1("SELECT count(*) FROM schema_version"),
                     WD_STORE_SCHEMA_VERSION);
  wd_store_close(s);
  /* a database from a newer ward is refused */
  test_exec(p, test_is_pg() ? "INSERT INTO schema_version(version, name)"
                              " VALUES (999, 'from the future')"
                            : "PRAGMA user_version = 999");
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_ERR_UNSUPPORTED);
  assert_null(s);
  assert_non_null(strstr(err, "newer"));
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err),
                   WD_ERR_UNSUPPORTED);
  assert_null(s);
  if (!test_is_pg()) {
    /* not a database */
    snprintf(p, sizeof p, "%s/junk.db", dir);
    FILE *f = fopen(p, "w");
    fputs("this is not sqlite, but long enough to look like a header......"
          "................................................................",
          f);
    fclose(f);
    assert_int_not_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
    assert_non_null(strstr(err, p));
  } else {
    /* no server there: a clear error, and the password is not shown */
    assert_int_equal(wd_store_open("postgresql://ward:s3cret@127.0.0.1:1/ward",
                                   &s, err, sizeof err),
                     WD_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(err, "cannot connect"));
    assert_non_null(strstr(err, "postgresql://ward:***@127.0.0.1:1/ward"));
    assert_null(strstr(err, "s3cret"));
    /* a wrong password: refused, not shown */
    char bad[1300];
    const char *at = strchr(p, '@'), *colon = strchr(p + 13, ':');
    assert_non_null(at);
    assert_non_null(colon);
    snprintf(bad, sizeof bad, "%.*s:not-the-password%s", (int)(colon - p), p,
             at);
    assert_int_equal(wd_store_open(bad, &s, err, sizeof err), WD_ERR_IO);
    assert_null(strstr(err, "not-the-password"));
    assert_non_null(strstr(err, "password"));
  }
}

static void test_put_idempotent_and_merge(void **state) {
  (void)state;
  char p[1200];
  db_path(p, sizeof p, "idem");
  wd_store_t *s = open_ok(p);
  wd_store_incident_t inc, got;
  for (int rep = 0; rep < 2; rep++) /* the same run twice */
    for (int k = 1; k <= 4; k++) {
      make_inc(&inc, "WARD-2026-000001", k);
      put_one(s, &inc);
    }
  assert_int_equal(q1("SELECT count(*) FROM incidents"), 1);
  assert_int_equal(q1("SELECT count(*) FROM incident_attacks"), 2);
  assert_int_equal(q1("SELECT count(*) FROM incident_attackers"), 1);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000001", &got), WD_OK);
  assert_int_equal(got.alerts, 4 + 1); /* reports: 4 + 1, not doubled */
  assert_int_equal(got.packets, 400 + 5);
  assert_int_equal(got.peak_pps, 40);
  assert_string_equal(got.rsit_type, "system-compromise");
  assert_string_equal(got.status, "new");
  assert_int_equal(got.first_ns, T0);
  assert_int_equal(got.last_ns, T0 + 4 * SEC);
  assert_true(got.party.set);
  assert_string_equal(got.party.matched_by, "country SE");
  wd_store_incident_fini(&got);
  /* an older, less serious view never lowers class or counts */
  make_inc(&inc, "WARD-2026-000001", 1);
  put_one(s, &inc);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000001", &got), WD_OK);
  assert_string_equal(got.rsit_type, "system-compromise");
  assert_int_equal(got.alerts, 5);
  assert_int_equal(got.last_ns, T0 + 4 * SEC);
  /* JSON form */
  json_t *j = wd_store_incident_json(&got);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "id")),
                      "WARD-2026-000001");
  assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
                      "2026-02-04T10:00:00.000000Z");
  json_t *a0 = json_array_get(json_object_get(j, "attackers"), 0);
  assert_string_equal(json_string_value(json_object_get(a0, "country")), "SE");
  assert_int_equal(json_integer_value(json_object_get(a0, "asn")), 29518);
  assert_true(json_is_true(json_object_get(a0, "attribution_reliable")));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(j, "party"), "matched_by")),
                      "country SE");
  assert_true(json_is_null(json_object_get(j, "evidence")));
  assert_int_equal(json_array_size(json_object_get(j, "sensors")), 0);
  json_decref(j);
  wd_store_incident_fini(&got);
  /* evidence */
  assert_int_equal(wd_store_incident_set_evidence(s, "WARD-2026-000001",
                                                  "/x/a.pcap", "ab", 3),
                   WD_OK);
  assert_int_equal(
      wd_store_incident_set_evidence(s, "WARD-2026-999999", "/x", "ab", 3),
      WD_ERR_NOTFOUND);
  /* text that is not UTF-8 (an AS name from a database, a share path)
     is stored and read back, whatever the engine */
  make_inc(&inc, "WARD-2026-000002", 1);
  snprintf(att[0].as_org, sizeof att[0].as_org, "Bad \xff\xfe AS \xc3\xa9");
  put_one(s, &inc);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000002", &got), WD_OK);
  assert_int_equal(got.n_attackers, 1);
  assert_non_null(strstr(got.attackers[0].as_org, "AS \xc3\xa9"));
  wd_store_incident_fini(&got);
  wd_store_close(s);
}

static void test_ids_status_find_filter(void **state) {
  (void)state;
  char p[1200], id[WD_STORE_ID_LEN];
  db_path(p, sizeof p, "ids");
  wd_store_t *s = open_ok(p);
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_new_id(s, 2026, id), WD_OK);
  assert_string_equal(id, "WARD-2026-000001");
  assert_int_equal(wd_store_incident_new_id(s, 2026, id), WD_OK);
  assert_string_equal(id, "WARD-2026-000002");
  assert_int_equal(wd_store_incident_new_id(s, 2027, id), WD_OK);
  assert_string_equal(id, "WARD-2027-000001");
  wd_store_rollback(s); /* rolled back: numbers are not used up */
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_new_id(s, 2026, id), WD_OK);
  assert_string_equal(id, "WARD-2026-000001");
  wd_store_incident_t inc;
  make_inc(&inc, id, 2);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);

  /* find: inside [first - w, last + w] only */
  assert_int_equal(wd_store_begin(s), WD_OK);
  const char *key = inc.corr_key;
  assert_int_equal(wd_store_corr_lock(s, &key, 1), WD_OK);
  assert_int_equal(
      wd_store_incident_find(s, inc.corr_key, T0 + 100 * SEC, 3600 * SEC, id),
      WD_OK);
  assert_string_equal(id, "WARD-2026-000001");
  assert_int_equal(
      wd_store_incident_find(s, inc.corr_key, T0 + 7200 * SEC, 3600 * SEC, id),
      WD_ERR_NOTFOUND);
  assert_int_equal(
      wd_store_incident_find(s, "intrusion|other|H|", T0, 3600 * SEC, id),
      WD_ERR_NOTFOUND);
  wd_store_rollback(s);

  /* status only moves forward */
  const char *I = "WARD-2026-000001";
  assert_int_equal(wd_store_incident_set_status(s, I, "notified"), WD_OK);
  assert_int_equal(wd_store_incident_set_status(s, I, "new"), WD_ERR_STATE);
  assert_int_equal(wd_store_incident_set_status(s, I, "bogus"), WD_ERR_INVAL);
  assert_int_equal(
      wd_store_incident_set_status(s, "WARD-2026-000009", "closed"),
      WD_ERR_NOTFOUND);
  /* a re-run does not reset the workflow status */
  put_one(s, &inc);
  wd_store_incident_t got;
  assert_int_equal(wd_store_incident_get(s, I, &got), WD_OK);
  assert_string_equal(got.status, "notified");
  wd_store_incident_fini(&got);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000404", &got),
                   WD_ERR_NOTFOUND);

  /* filters */
  char(*ids)[WD_STORE_ID_LEN];
  size_t n;
  wd_store_filter_t f = {.country = "se"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 1);
  free(ids);
  f = (wd_store_filter_t){.country = "DE"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 0);
  free(ids);
  f = (wd_store_filter_t){.since_ns = T0 + 3600 * SEC};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 0);
  free(ids);
  f = (wd_store_filter_t){.until_ns = T0 + SEC,
                          .sector = "Healthcare",
                          .status = "notified",
                          .rsit_class = "exploit"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 1);
  free(ids);
  /* hostile filter text is a value, not SQL */
  f = (wd_store_filter_t){.facility = "x' OR '1'='1"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 0);
  free(ids);
  /* order, limit, one id */
  for (int k = 2; k <= 4; k++) {
    char nid[WD_STORE_ID_LEN];
    snprintf(nid, sizeof nid, "WARD-2026-%06d", k);
    make_inc(&inc, nid, 1);
    snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|k%d|H|", k);
    inc.first_ns = T0 + (uint64_t)k * 10 * SEC;
    inc.last_ns = inc.first_ns + SEC;
    put_one(s, &inc);
  }
  f = (wd_store_filter_t){.limit = 2};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 2);
  assert_string_equal(ids[0], "WARD-2026-000004");
  assert_string_equal(ids[1], "WARD-2026-000003");
  free(ids);
  f = (wd_store_filter_t){.oldest_first = true};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 4);
  assert_string_equal(ids[0], "WARD-2026-000001");
  assert_string_equal(ids[3], "WARD-2026-000004");
  free(ids);
  f = (wd_store_filter_t){.id = "WARD-2026-000003"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 1);
  assert_string_equal(ids[0], "WARD-2026-000003");
  free(ids);
  f = (wd_store_filter_t){.id = "WARD-2026-000404"};
  assert_int_equal(wd_store_incident_ids(s, &f, &ids, &n), WD_OK);
  assert_int_equal(n, 0);
  free(ids);
  wd_store_close(s);
}

/* The sensors that saw an incident: written with it, merged (first and
 * last sighting), added one by one, read back in order of first sighting,
 * and in its JSON form. */
static void test_sensors(void **state) {
  (void)state;
  char p[1200];
  db_path(p, sizeof p, "sensors");
  wd_store_t *s = open_ok(p);
  wd_store_incident_t inc, got;
  wd_store_sensor_t sn[2] = {{"sensor-b", T0 + 5 * SEC, T0 + 9 * SEC},
                             {"sensor-a", T0 + 2 * SEC, T0 + 3 * SEC}};
  make_inc(&inc, "WARD-2026-000001", 1);
  inc.sensors = sn;
  inc.n_sensors = 2;
  put_one(s, &inc);
  /* the same sensors seen again, earlier and later */
  sn[0].first_ns = T0 + 6 * SEC;
  sn[0].last_ns = T0 + 20 * SEC;
  sn[1].first_ns = T0 + SEC;
  sn[1].last_ns = T0 + 2 * SEC;
  put_one(s, &inc);
  /* a third one, as a fleet ingest adds it */
  assert_int_equal(wd_store_incident_sensor_seen(s, "WARD-2026-000001",
                                                 "sensor-c", T0 + 30 * SEC,
                                                 T0 + 31 * SEC),
                   WD_OK);
  assert_int_equal(wd_store_incident_sensor_seen(s, "WARD-2026-000001",
                                                 "sensor-c", T0 + 29 * SEC,
                                                 T0 + 30 * SEC),
                   WD_OK);
  assert_int_equal(
      wd_store_incident_sensor_seen(s, "WARD-2026-999999", "sensor-c", T0, T0),
      WD_ERR_NOTFOUND);
  assert_int_equal(
      wd_store_incident_sensor_seen(s, "WARD-2026-000001", "", T0, T0),
      WD_ERR_INVAL);
  assert_int_equal(q1("SELECT count(*) FROM incident_sensors"), 3);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000001", &got), WD_OK);
  assert_int_equal(got.n_sensors, 3);
  assert_string_equal(got.sensors[0].name, "sensor-a");
  assert_int_equal(got.sensors[0].first_ns, T0 + SEC);
  assert_int_equal(got.sensors[0].last_ns, T0 + 3 * SEC);
  assert_string_equal(got.sensors[1].name, "sensor-b");
  assert_int_equal(got.sensors[1].first_ns, T0 + 5 * SEC);
  assert_int_equal(got.sensors[1].last_ns, T0 + 20 * SEC);
  assert_string_equal(got.sensors[2].name, "sensor-c");
  assert_int_equal(got.sensors[2].first_ns, T0 + 29 * SEC);
  assert_int_equal(got.sensors[2].last_ns, T0 + 31 * SEC);
  json_t *j = wd_store_incident_json(&got);
  json_t *js = json_object_get(j, "sensors");
  assert_int_equal(json_array_size(js), 3);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(js, 1), "name")),
      "sensor-b");
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(js, 1), "last_seen")),
      "2026-02-04T10:00:20.000000Z");
  json_decref(j);
  wd_store_incident_fini(&got);
  wd_store_close(s);
}

/* Fleet message ids (ward ingest): known once committed, not after a
 * rollback; a second mark is a no-op; per-sensor counts; expiring active
 * incidents by their last evidence. */
static void test_fleet_messages(void **state) {
  (void)state;
  char p[1200];
  db_path(p, sizeof p, "fleet");
  wd_store_t *s = open_ok(p);
  bool seen = true;
  assert_int_equal(wd_store_fleet_seen(s, "a/00/1", &seen), WD_OK);
  assert_false(seen);
  /* rolled back: not known */
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_fleet_mark(s, "a/00/1", "a", "alert", T0, T0 + SEC),
                   WD_OK);
  wd_store_rollback(s);
  assert_int_equal(wd_store_fleet_seen(s, "a/00/1", &seen), WD_OK);
  assert_false(seen);
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_fleet_mark(s, "a/00/1", "a", "alert", T0, T0 + SEC),
                   WD_OK);
  assert_int_equal(wd_store_fleet_mark(s, "a/00/1", "a", "alert", T0, T0 + SEC),
                   WD_OK);
  assert_int_equal(
      wd_store_fleet_mark(s, "a/00/2", "a", "frame", T0 + 2 * SEC, T0 + SEC),
      WD_OK);
  assert_int_equal(wd_store_fleet_mark(s, "b/00/1", "b", "alert", T0 + 5 * SEC,
                                       T0 + 3 * SEC),
                   WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_int_equal(wd_store_fleet_seen(s, "a/00/1", &seen), WD_OK);
  assert_true(seen);
  assert_int_equal(q1("SELECT count(*) FROM fleet_messages"), 3);
  wd_store_fleet_sensor_t *v = NULL;
  size_t n = 0;
  assert_int_equal(wd_store_fleet_sensors(s, 0, &v, &n), WD_OK);
  assert_int_equal(n, 2);
  assert_string_equal(v[0].name, "a");
  assert_int_equal(v[0].messages, 2);
  assert_int_equal(v[0].alerts, 1);
  assert_int_equal(v[0].last_event_ns, T0 + 2 * SEC);
  assert_int_equal(v[0].recent_messages, 2);
  assert_string_equal(v[1].name, "b");
  assert_int_equal(v[1].last_stored_ns, T0 + 3 * SEC);
  free(v);
  /* only what was stored from T0 + 2 s on counts as recent */
  assert_int_equal(wd_store_fleet_sensors(s, T0 + 2 * SEC, &v, &n), WD_OK);
  assert_int_equal(n, 2);
  assert_int_equal(v[0].messages, 2);
  assert_int_equal(v[0].recent_messages, 0);
  assert_int_equal(v[0].recent_alerts, 0);
  assert_int_equal(v[1].recent_messages, 1);
  assert_int_equal(v[1].recent_alerts, 1);
  free(v);
  /* two active incidents; only the one quiet since before the mark ends */
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  inc.active = true;
  put_one(s, &inc);
  uint64_t last1 = inc.last_ns;
  make_inc(&inc, "WARD-2026-000002", 2);
  inc.active = true;
  inc.last_ns = last1 + 100 * SEC;
  put_one(s, &inc);
  uint64_t k = 0;
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_expire(s, last1, &k), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_int_equal(k, 1);
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE active = 1"), 1);
  assert_int_equal(
      q1("SELECT count(*) FROM incidents WHERE active = 1 AND id = "
         "'WARD-2026-000002'"),
      1);
  wd_store_close(s);
}

/* Which engine a URL opens, and what messages show of it. */
static void test_urls(void **state) {
  (void)state;
  char b[300], err[512];
  assert_true(wd_store_url_is_pg("postgresql://u:p@h:5432/ward"));
  assert_true(wd_store_url_is_pg("postgres://h/ward"));
  assert_true(wd_store_url_is_pg("host=/run/postgresql dbname=ward"));
  assert_true(wd_store_url_is_pg("dbname=ward user=ward"));
  assert_false(wd_store_url_is_pg("/var/lib/ward/ward.db"));
  assert_false(wd_store_url_is_pg("ward.db"));
  assert_false(wd_store_url_is_pg("sqlite:/tmp/x.db"));
  assert_false(wd_store_url_is_pg("./a=b.db"));
  assert_string_equal(
      wd_store_url_redact("postgresql://ward:s3cret@db:5432/ward", b, sizeof b),
      "postgresql://ward:***@db:5432/ward");
  assert_string_equal(
      wd_store_url_redact("postgres://ward@db/ward?password=s3cret&sslmode=x",
                          b, sizeof b),
      "postgres://ward@db/ward?password=***&sslmode=x");
  assert_string_equal(
      wd_store_url_redact("host=/run/pg password='a b\\' c' dbname=w", b,
                          sizeof b),
      "host=/run/pg password=*** dbname=w");
  assert_string_equal(wd_store_url_redact("/var/lib/ward/ward.db", b, sizeof b),
                      "/var/lib/ward/ward.db");
  /* sqlite:PATH is the file PATH */
  char path[600], url[700];
  snprintf(path, sizeof path, "%s/prefixed.db", dir);
  snprintf(url, sizeof url, "sqlite:%s", path);
  wd_store_t *s;
  assert_int_equal(wd_store_open(url, &s, err, sizeof err), WD_OK);
  assert_string_equal(wd_store_engine(s), "sqlite");
  wd_store_close(s);
  assert_int_equal(access(path, F_OK), 0);
  assert_int_equal(wd_store_open("", &s, err, sizeof err), WD_ERR_INVAL);
  assert_int_equal(wd_store_open("sqlite:", &s, err, sizeof err), WD_ERR_INVAL);
  if (!test_is_pg() || !test_pg_conninfo[0])
    return;
  /* libpq's keyword form, over the unix socket */
  char kw[1500], db[64];
  db_path(url, sizeof url, "keywords");
  test_pg_dbname(db, sizeof db, "keywords");
  snprintf(kw, sizeof kw, "%s dbname=%s", test_pg_conninfo, db);
  assert_int_equal(wd_store_open(kw, &s, err, sizeof err), WD_OK);
  assert_string_equal(wd_store_engine(s), "postgresql");
  assert_int_equal(wd_store_version(s), WD_STORE_SCHEMA_VERSION);
  wd_store_close(s);
}

/* ---- crash test ---- */

#define CRASH_N 400

/* What the writer does: incident i gets attack rows and grows over
 * steps; each step is one transaction. Deterministic, so a rerun redoes
 * exactly the same writes. */
static void crash_writes(const char *p, int from) {
  char err[512];
  wd_store_t *s;
  if (wd_store_open(p, &s, err, sizeof err) != WD_OK)
    _exit(3);
  for (int i = from; i < CRASH_N; i++) {
    wd_store_incident_t inc;
    char id[WD_STORE_ID_LEN];
    if (wd_store_begin(s) != WD_OK)
      _exit(4);
    make_inc(&inc, "", 4);
    snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|k%d|H|", i);
    inc.first_ns = T0 + (uint64_t)i * 10000 * SEC; /* far apart */
    inc.last_ns = inc.first_ns + 4 * SEC;
    for (size_t k = 0; k < inc.n_attacks; k++)
      inc.attacks[k].start_ns += (uint64_t)i * 10000 * SEC;
    const char *key = inc.corr_key;
    wd_rc rc = wd_store_corr_lock(s, &key, 1);
    if (rc == WD_OK)
      rc =
          wd_store_incident_find(s, inc.corr_key, inc.first_ns, 3600 * SEC, id);
    if (rc == WD_ERR_NOTFOUND)
      rc = wd_store_incident_new_id(s, 2026, id);
    if (rc != WD_OK)
      _exit(5);
    snprintf(inc.id, sizeof inc.id, "%s", id);
    if (wd_store_incident_put(s, &inc) != WD_OK || wd_store_commit(s) != WD_OK)
      _exit(6);
  }
  wd_store_close(s);
}

static void check_invariants(const char *p, int64_t *n_inc) {
  wd_store_t *s = open_ok(p);
  test_integrity_ok(p);
  /* no half-written incident: every incident has its attacks, attackers
     and target, and totals equal the sum of its attacks */
  *n_inc = q1("SELECT count(*) FROM incidents");
  assert_int_equal(q1("SELECT count(*) FROM incidents i WHERE"
                      " (SELECT count(*) FROM incident_attacks a"
                      "  WHERE a.incident_id = i.id) <> 2"
                      " OR (SELECT count(*) FROM incident_attackers a"
                      "  WHERE a.incident_id = i.id) <> 1"
                      " OR (SELECT count(*) FROM incident_targets a"
                      "  WHERE a.incident_id = i.id) <> 1"
                      " OR alerts <> (SELECT sum(reports) FROM"
                      "  incident_attacks a WHERE a.incident_id = i.id)"),
                   0);
  /* ids unique per key and sequence consistent */
  assert_int_equal(q1("SELECT count(DISTINCT corr_key) FROM incidents"),
                   *n_inc);
  assert_int_equal(q1("SELECT COALESCE(MAX(last), 0) FROM incident_seq"),
                   *n_inc);
  wd_store_close(s);
}

static void test_crash_sigkill(void **state) {
  (void)state;
  char p[1200];
  db_path(p, sizeof p, "crash");
  /* created before the writer starts, so that the reader below sees a
     ward database from the first look */
  wd_store_close(open_ok(p));
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (;;) /* write until killed */
      crash_writes(p, 0);
  }
  /* let it write for a while, then kill it mid-flight */
  int64_t seen = 0;
  for (int tries = 0; tries < 6000 && seen < 20; tries++) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    seen = test_q1_try(p, "SELECT count(*) FROM incidents");
  }
  kill(pid, SIGKILL);
  int wst;
  waitpid(pid, &wst, 0);
  assert_true(WIFSIGNALED(wst));
  int64_t n1;
  check_invariants(p, &n1);
  assert_true(n1 >= 1);
  print_message("killed after %lld of %d incidents\n", (long long)n1, CRASH_N);
  /* the rerun completes it; nothing is duplicated */
  crash_writes(p, 0);
  int64_t n2;
  check_invariants(p, &n2);
  assert_int_equal(n2, CRASH_N);
}

/* ---- read-only opening ---- */

static void test_open_readonly(void **state) {
  (void)state;
  char p[1200], err[512];
  wd_store_t *s = NULL;
  /* a database that does not exist is not created */
  test_store_url_missing(p, sizeof p, "typo");
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err),
                   WD_ERR_NOTFOUND);
  assert_null(s);
  assert_non_null(strstr(err, "no such database"));
  if (test_is_pg()) {
    assert_false(test_pg_db_exists(p));
    assert_non_null(strstr(err, ":***@")); /* the password is not shown */
  } else {
    assert_non_null(strstr(err, p));
    assert_int_not_equal(access(p, F_OK), 0);
    char side[1300];
    snprintf(side, sizeof side, "%s-wal", p);
    assert_int_not_equal(access(side, F_OK), 0);
  }
  /* an existing ward database is read; writes are refused */
  db_path(p, sizeof p, "ro");
  s = open_ok(p);
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  put_one(s, &inc);
  wd_store_close(s);
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err), WD_OK);
  wd_store_incident_t got;
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000001", &got), WD_OK);
  assert_string_equal(got.summary, "exploit, step 1");
  wd_store_incident_fini(&got);
  make_inc(&inc, "WARD-2026-000002", 1);
  wd_rc rc = wd_store_begin(s);
  if (rc == WD_OK)
    rc = wd_store_incident_put(s, &inc);
  assert_int_not_equal(rc, WD_OK);
  wd_store_rollback(s);
  assert_int_not_equal(
      wd_store_incident_set_status(s, "WARD-2026-000001", "closed"), WD_OK);
  wd_store_close(s);
  /* a database of an older ward (version 2: no attack trees, no sensors
     yet) is read as it is, not upgraded */
  db_path(p, sizeof p, "v2");
  assert_int_equal(wd_store_open_to(p, 2, &s, err, sizeof err), WD_OK);
  wd_store_close(s);
  test_exec(p, "INSERT INTO incidents(id, corr_key, line, class, type,"
               " severity, first_ns, last_ns) VALUES ('WARD-2026-000009',"
               " 'k', 'intrusion', 'intrusion-attempts', 'exploit', 2, 1, 2)");
  test_exec(p, "INSERT INTO incident_attacks(incident_id, detector, src,"
               " dst, start_ns, last_ns, reports) VALUES"
               " ('WARD-2026-000009', 'smb.ms17-010', 'a', 'b', 1, 2, 1)");
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), 2);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000009", &got), WD_OK);
  assert_int_equal(got.n_attacks, 1);
  assert_string_equal(got.attacks[0].detector, "smb.ms17-010");
  assert_string_equal(got.attacks[0].tree, "");
  assert_string_equal(got.attacks[0].intel.value, "");
  assert_int_equal(got.n_sensors, 0);
  wd_store_incident_fini(&got);
  wd_store_close(s);
  /* the version before the matched indicators: trees read, no indicator */
  char p7[1200];
  db_path(p7, sizeof p7, "v-intel");
  assert_int_equal(
      wd_store_open_to(p7, WD_STORE_V_INTEL - 1, &s, err, sizeof err), WD_OK);
  wd_store_close(s);
  test_exec(p7, "INSERT INTO incidents(id, corr_key, line, class, type,"
                " severity, first_ns, last_ns) VALUES ('WARD-2026-000009',"
                " 'k', 'intrusion', 'intrusion-attempts', 'exploit', 2, 1, 2)");
  test_exec(p7, "INSERT INTO incident_attacks(incident_id, detector, src,"
                " dst, start_ns, last_ns, reports, tree) VALUES"
                " ('WARD-2026-000009', 'smb.ms17-010', 'a', 'b', 1, 2, 1,"
                " 'IPC')");
  assert_int_equal(wd_store_open_readonly(p7, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), WD_STORE_V_INTEL - 1);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000009", &got), WD_OK);
  assert_string_equal(got.attacks[0].tree, "IPC");
  assert_string_equal(got.attacks[0].intel.value, "");
  wd_store_incident_fini(&got);
  wd_store_close(s);
  /* a write command upgrades it, keeping what it holds */
  s = open_ok(p);
  assert_int_equal(wd_store_version(s), WD_STORE_SCHEMA_VERSION);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000009", &got), WD_OK);
  assert_int_equal(got.n_attacks, 1);
  wd_store_incident_fini(&got);
  wd_store_close(s);
  /* a database that ward never set up is not taken for a ward one */
  db_path(p, sizeof p, "other");
  if (test_is_pg())
    test_exec(p, "CREATE TABLE t(x int)");
  else {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
  }
  assert_int_not_equal(wd_store_open_readonly(p, &s, err, sizeof err), WD_OK);
  assert_null(s);
  assert_non_null(strstr(err, "not a ward database"));
}

/* A store of version 4 (before the verdict history) upgraded: the
 * verdicts recorded until then are its first history. */
static void test_upgrade_keeps_verdicts(void **state) {
  (void)state;
  char p[1200], err[512];
  db_path(p, sizeof p, "v4");
  wd_store_t *s;
  assert_int_equal(wd_store_open_to(p, 4, &s, err, sizeof err), WD_OK);
  wd_store_close(s);
  test_exec(p, "INSERT INTO replies(fingerprint, incident_id, received_ns,"
               " kind, verdict, note, verdict_ns) VALUES ('f1',"
               " 'WARD-2026-000001', 5, 'human', 'formal', 'by phone', 7)");
  test_exec(p, "INSERT INTO replies(fingerprint, incident_id, received_ns,"
               " kind) VALUES ('f2', 'WARD-2026-000002', 6, 'human')");
  s = open_ok(p);
  assert_int_equal(wd_store_version(s), WD_STORE_SCHEMA_VERSION);
  wd_store_verdict_t *v;
  size_t n;
  assert_int_equal(wd_store_verdict_history(s, "WARD-2026-000001", &v, &n),
                   WD_OK);
  assert_int_equal(n, 1);
  assert_string_equal(v[0].verdict, "formal");
  assert_string_equal(v[0].note, "by phone");
  assert_int_equal(v[0].at_ns, 7);
  free(v);
  assert_int_equal(q1("SELECT count(*) FROM verdicts"), 1);
  wd_store_close(s);
}

/* ---- concurrent opening of a new database ---- */

#define RACE_PROCS 4
#define RACE_ROUNDS 12

/* Child: waits for the start signal (EOF on fd), opens the shared new
 * database, writes its own incident. Exit 0 only if all of it worked. */
static void race_child(const char *p, int fd, int k) {
  char b;
  while (read(fd, &b, 1) > 0)
    ;
  char err[512];
  wd_store_t *s;
  if (wd_store_open(p, &s, err, sizeof err) != WD_OK) {
    fprintf(stderr, "child %d: %s\n", k, err);
    _exit(3);
  }
  wd_store_incident_t inc;
  char id[WD_STORE_ID_LEN];
  make_inc(&inc, "", 1);
  snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|race%d|H|", k);
  wd_rc rc;
  unsigned tries = 0;
  do {
    rc = wd_store_begin(s);
    if (rc == WD_OK)
      rc = wd_store_incident_new_id(s, 2026, id);
    if (rc == WD_OK) {
      snprintf(inc.id, sizeof inc.id, "%s", id);
      rc = wd_store_incident_put(s, &inc);
    }
    if (rc == WD_OK)
      rc = wd_store_commit(s);
  } while (wd_store_retry(s, rc, &tries));
  if (rc != WD_OK) {
    fprintf(stderr, "child %d: %s\n", k, wd_store_errmsg(s));
    _exit(4);
  }
  wd_store_close(s);
  _exit(0);
}

static void test_concurrent_new_db(void **state) {
  (void)state;
  int failed = 0;
  for (int round = 0; round < RACE_ROUNDS; round++) {
    char p[1200], name[32];
    snprintf(name, sizeof name, "race%d", round);
    db_path(p, sizeof p, name);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[RACE_PROCS];
    for (int k = 0; k < RACE_PROCS; k++) {
      pids[k] = fork();
      assert_true(pids[k] >= 0);
      if (pids[k] == 0) {
        close(fds[1]);
        race_child(p, fds[0], k);
      }
    }
    close(fds[0]);
    close(fds[1]); /* all children start at once */
    for (int k = 0; k < RACE_PROCS; k++) {
      int wst;
      assert_int_equal(waitpid(pids[k], &wst, 0), pids[k]);
      if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
        failed++;
    }
    wd_store_t *s = open_ok(p);
    int64_t n = q1("SELECT count(*) FROM incidents");
    int64_t ids = q1("SELECT count(DISTINCT id) FROM incidents");
    if (test_is_pg() &&
        q1("SELECT count(*) FROM schema_version") != WD_STORE_SCHEMA_VERSION)
      failed++;
    wd_store_close(s);
    if (n != RACE_PROCS || ids != RACE_PROCS)
      failed++;
  }
  assert_int_equal(failed, 0);
}

/* ---- several writers correlating the same attack ---- */

#define SAME_PROCS 4
#define SAME_ROUNDS 25

/* Child k: SAME_ROUNDS times, as `ward analyze` does at each flush, finds
 * the incident of one correlation key or numbers a new one, and writes it
 * with an attack of its own (round r). All children start at once. */
static void same_child(const char *p, int fd, int k) {
  char b;
  while (read(fd, &b, 1) > 0)
    ;
  char err[512];
  wd_store_t *s;
  if (wd_store_open(p, &s, err, sizeof err) != WD_OK) {
    fprintf(stderr, "child %d: %s\n", k, err);
    _exit(3);
  }
  for (int r = 0; r < SAME_ROUNDS; r++) {
    wd_store_incident_t inc;
    make_inc(&inc, "", 1);
    snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|198.51.100.7|H|");
    attacks[0].start_ns = T0 + (uint64_t)(k * 1000 + r) * SEC;
    attacks[0].last_ns = attacks[0].start_ns + SEC;
    attacks[0].reports = 1;
    inc.first_ns = attacks[0].start_ns;
    inc.last_ns = attacks[0].last_ns;
    wd_rc rc;
    unsigned tries = 0;
    do {
      rc = wd_store_begin(s);
      const char *key = inc.corr_key;
      if (rc == WD_OK)
        rc = wd_store_corr_lock(s, &key, 1);
      if (rc == WD_OK)
        rc = wd_store_incident_find(s, inc.corr_key, inc.first_ns, 100000 * SEC,
                                    inc.id);
      if (rc == WD_ERR_NOTFOUND)
        rc = wd_store_incident_new_id(s, 2026, inc.id);
      if (rc == WD_OK)
        rc = wd_store_incident_put(s, &inc);
      if (rc == WD_OK)
        rc = wd_store_commit(s);
      if (rc != WD_OK)
        wd_store_rollback(s);
    } while (wd_store_retry(s, rc, &tries));
    if (rc != WD_OK) {
      fprintf(stderr, "child %d round %d: %s\n", k, r, wd_store_errmsg(s));
      _exit(4);
    }
  }
  wd_store_close(s);
  _exit(0);
}

/* Writers at once on one attack: one incident, numbered once, holding
 * every writer's attacks; none lost. */
static void test_concurrent_same_attack(void **state) {
  (void)state;
  char p[1200];
  db_path(p, sizeof p, "same");
  wd_store_close(open_ok(p));
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pids[SAME_PROCS];
  for (int k = 0; k < SAME_PROCS; k++) {
    pids[k] = fork();
    assert_true(pids[k] >= 0);
    if (pids[k] == 0) {
      close(fds[1]);
      same_child(p, fds[0], k);
    }
  }
  close(fds[0]);
  close(fds[1]);
  int failed = 0;
  for (int k = 0; k < SAME_PROCS; k++) {
    int wst;
    assert_int_equal(waitpid(pids[k], &wst, 0), pids[k]);
    failed += !WIFEXITED(wst) || WEXITSTATUS(wst) != 0;
  }
  assert_int_equal(failed, 0);
  wd_store_t *s = open_ok(p);
  assert_int_equal(q1("SELECT count(*) FROM incidents"), 1);
  assert_int_equal(q1("SELECT COALESCE(MAX(last), 0) FROM incident_seq"), 1);
  assert_int_equal(q1("SELECT count(*) FROM incident_attacks"),
                   SAME_PROCS * SAME_ROUNDS);
  assert_int_equal(q1("SELECT alerts FROM incidents"),
                   SAME_PROCS * SAME_ROUNDS);
  wd_store_close(s);
}

/* ---- a deadlock lost and run again (PostgreSQL) ---- */

/* Two writers each hold one incident and reach for the other's: the
 * server breaks the cycle by failing one of them, which the store reports
 * as WD_ERR_CONFLICT; run again, it succeeds. Child and parent meet at
 * two pipes. */
static void test_deadlock_conflict(void **state) {
  (void)state;
  if (!test_is_pg()) {
    print_message("SQLite takes one writer at a time: no deadlock to lose\n");
    return;
  }
  char p[1200];
  db_path(p, sizeof p, "deadlock");
  wd_store_t *s = open_ok(p);
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  put_one(s, &inc);
  make_inc(&inc, "WARD-2026-000002", 1);
  put_one(s, &inc);
  int up[2], down[2];
  assert_int_equal(pipe(up), 0);
  assert_int_equal(pipe(down), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char err[512], b = 0;
    wd_store_t *c;
    if (wd_store_open(p, &c, err, sizeof err) != WD_OK)
      _exit(3);
    unsigned tries = 0;
    wd_rc rc;
    bool lost = false;
    do {
      rc = wd_store_begin(c);
      if (rc == WD_OK)
        rc = wd_store_incident_lock(c, "WARD-2026-000002");
      if (tries == 0) { /* first attempt: meet the parent */
        if (write(up[1], "x", 1) != 1 || read(down[0], &b, 1) != 1)
          _exit(5);
      }
      if (rc == WD_OK)
        rc = wd_store_incident_lock(c, "WARD-2026-000001");
      if (rc == WD_OK)
        rc = wd_store_commit(c);
      lost |= rc == WD_ERR_CONFLICT;
    } while (wd_store_retry(c, rc, &tries));
    wd_store_close(c);
    _exit(rc != WD_OK ? 4 : lost ? 10 : 0);
  }
  char b;
  unsigned tries = 0;
  wd_rc rc;
  bool lost = false;
  do {
    rc = wd_store_begin(s);
    if (rc == WD_OK)
      rc = wd_store_incident_lock(s, "WARD-2026-000001");
    if (tries == 0) {
      assert_int_equal(read(up[0], &b, 1), 1); /* child holds 2 */
      assert_int_equal(write(down[1], "x", 1), 1);
    }
    if (rc == WD_OK)
      rc = wd_store_incident_lock(s, "WARD-2026-000002");
    if (rc == WD_OK)
      rc = wd_store_commit(s);
    lost |= rc == WD_ERR_CONFLICT;
  } while (wd_store_retry(s, rc, &tries));
  assert_int_equal(rc, WD_OK);
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst));
  int child = WEXITSTATUS(wst);
  assert_true(child == 0 || child == 10);
  /* exactly one of the two lost the race, and both finished */
  assert_true(lost != (child == 10));
  wd_store_close(s);
}

/* A connection the server closed (a restart, an administrator) is made
 * again: the next transaction begins on a new one, its statements
 * prepared again. */
static void test_reconnect(void **state) {
  (void)state;
  if (!test_is_pg()) {
    print_message("SQLite has no connection to lose\n");
    return;
  }
  char p[1200], q[400], db[64];
  db_path(p, sizeof p, "reconnect");
  wd_store_t *s = open_ok(p);
  wd_store_incident_t inc, got;
  make_inc(&inc, "WARD-2026-000001", 1);
  put_one(s, &inc);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000001", &got), WD_OK);
  wd_store_incident_fini(&got);
  test_pg_dbname(db, sizeof db, "reconnect");
  snprintf(q, sizeof q,
           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
           " WHERE datname = '%s' AND application_name = 'ward'",
           db);
  char admin[1200];
  snprintf(admin, sizeof admin, "%s/postgres", test_pg_base);
  assert_int_equal(test_q1(admin, q), 1);
  /* the server may take a moment to end the backend: wait for it */
  snprintf(q, sizeof q,
           "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND"
           " application_name = 'ward'",
           db);
  for (int i = 0; i < 6000 && test_q1(admin, q) != 0; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  make_inc(&inc, "WARD-2026-000002", 1);
  put_one(s, &inc);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000002", &got), WD_OK);
  wd_store_incident_fini(&got);
  assert_int_equal(q1("SELECT count(*) FROM incidents"), 2);
  wd_store_close(s);
}

int main(void) {
  test_engine_init(dir);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_migrate_reopen),
      cmocka_unit_test(test_put_idempotent_and_merge),
      cmocka_unit_test(test_ids_status_find_filter),
      cmocka_unit_test(test_sensors),
      cmocka_unit_test(test_fleet_messages),
      cmocka_unit_test(test_urls),
      cmocka_unit_test(test_crash_sigkill),
      cmocka_unit_test(test_open_readonly),
      cmocka_unit_test(test_upgrade_keeps_verdicts),
      cmocka_unit_test(test_concurrent_new_db),
      cmocka_unit_test(test_concurrent_same_attack),
      cmocka_unit_test(test_deadlock_conflict),
      cmocka_unit_test(test_reconnect),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
