/* store_test.c -- tests of src/store: migrations and reopen, idempotent
 * upserts, id sequence, status workflow, filters, JSON form, and a crash
 * test: a child process writing incidents in a loop is SIGKILLed, the
 * database is reopened, checked (integrity_check + invariants) and a rerun
 * of the same writes completes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static char dir[256];

static void db_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/wd_store_test.XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
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

static int64_t q1(wd_store_t *s, const char *sql) {
  sqlite3_stmt *st;
  int64_t v = -1;
  assert_int_equal(sqlite3_prepare_v2(wd_store_db(s), sql, -1, &st, NULL),
                   SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void test_open_migrate_reopen(void **state) {
  (void)state;
  char p[300], err[256];
  db_path(p, sizeof p, "m.db");
  wd_store_t *s;
  /* version 0: nothing applied */
  assert_int_equal(wd_store_open_to(p, 0, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), 0);
  wd_store_close(s);
  /* full open applies every migration, WAL on */
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), (int)wd_store_migrations_count);
  assert_int_equal(q1(s, "SELECT count(*) FROM sqlite_master WHERE name ="
                         " 'incidents'"),
                   1);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(wd_store_db(s), "PRAGMA journal_mode", -1, &st, NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  wd_store_close(s);
  /* reopen: nothing re-applied, data kept */
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  assert_int_equal(q1(s, "SELECT count(*) FROM incidents"), 1);
  /* a database from a newer ward is refused */
  sqlite3_exec(wd_store_db(s), "PRAGMA user_version = 999", 0, 0, 0);
  wd_store_close(s);
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_ERR_UNSUPPORTED);
  assert_null(s);
  assert_non_null(strstr(err, "newer"));
  /* not a database */
  db_path(p, sizeof p, "junk.db");
  FILE *f = fopen(p, "w");
  fputs("this is not sqlite, but long enough to look like a header......"
        "................................................................",
        f);
  fclose(f);
  assert_int_not_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  assert_non_null(strstr(err, p));
}

static void test_put_idempotent_and_merge(void **state) {
  (void)state;
  char p[300], err[256];
  db_path(p, sizeof p, "idem.db");
  wd_store_t *s;
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  wd_store_incident_t inc, got;
  for (int rep = 0; rep < 2; rep++) /* the same run twice */
    for (int k = 1; k <= 4; k++) {
      make_inc(&inc, "WARD-2026-000001", k);
      assert_int_equal(wd_store_begin(s), WD_OK);
      assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
      assert_int_equal(wd_store_commit(s), WD_OK);
    }
  assert_int_equal(q1(s, "SELECT count(*) FROM incidents"), 1);
  assert_int_equal(q1(s, "SELECT count(*) FROM incident_attacks"), 2);
  assert_int_equal(q1(s, "SELECT count(*) FROM incident_attackers"), 1);
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
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
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
  json_decref(j);
  wd_store_incident_fini(&got);
  /* evidence */
  assert_int_equal(wd_store_incident_set_evidence(s, "WARD-2026-000001",
                                                  "/x/a.pcap", "ab", 3),
                   WD_OK);
  assert_int_equal(
      wd_store_incident_set_evidence(s, "WARD-2026-999999", "/x", "ab", 3),
      WD_ERR_NOTFOUND);
  wd_store_close(s);
}

static void test_ids_status_find_filter(void **state) {
  (void)state;
  char p[300], err[256], id[WD_STORE_ID_LEN];
  db_path(p, sizeof p, "ids.db");
  wd_store_t *s;
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
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

  /* status only moves forward */
  const char *I = "WARD-2026-000001";
  assert_int_equal(wd_store_incident_set_status(s, I, "notified"), WD_OK);
  assert_int_equal(wd_store_incident_set_status(s, I, "new"), WD_ERR_STATE);
  assert_int_equal(wd_store_incident_set_status(s, I, "bogus"), WD_ERR_INVAL);
  assert_int_equal(
      wd_store_incident_set_status(s, "WARD-2026-000009", "closed"),
      WD_ERR_NOTFOUND);
  /* a re-run does not reset the workflow status */
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  wd_store_incident_t got;
  assert_int_equal(wd_store_incident_get(s, I, &got), WD_OK);
  assert_string_equal(got.status, "notified");
  wd_store_incident_fini(&got);

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
  wd_store_close(s);
}

/* ---- crash test ---- */

#define CRASH_N 400

/* What the writer does: incident i gets attack rows and grows over
 * steps; each step is one transaction. Deterministic, so a rerun redoes
 * exactly the same writes. */
static void crash_writes(const char *p, int from) {
  char err[256];
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
    wd_rc rc =
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
  char err[256];
  wd_store_t *s;
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(wd_store_db(s), "PRAGMA integrity_check",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
  sqlite3_finalize(st);
  /* no half-written incident: every incident has its attacks, attackers
     and target, and totals equal the sum of its attacks */
  *n_inc = q1(s, "SELECT count(*) FROM incidents");
  assert_int_equal(q1(s, "SELECT count(*) FROM incidents i WHERE"
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
  assert_int_equal(q1(s, "SELECT count(DISTINCT corr_key) FROM incidents"),
                   *n_inc);
  assert_int_equal(q1(s, "SELECT COALESCE(MAX(last), 0) FROM incident_seq"),
                   *n_inc);
  wd_store_close(s);
}

static void test_crash_sigkill(void **state) {
  (void)state;
  char p[300];
  db_path(p, sizeof p, "crash.db");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (;;) /* write until killed */
      crash_writes(p, 0);
  }
  /* let it write for a while, then kill it mid-flight */
  int64_t seen = 0;
  for (int tries = 0; tries < 400 && seen < 20; tries++) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    sqlite3 *db;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
      sqlite3_stmt *st;
      if (sqlite3_prepare_v2(db, "SELECT count(*) FROM incidents", -1, &st,
                             NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
          seen = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
      }
    }
    sqlite3_close(db);
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
  char p[300], err[256];
  wd_store_t *s = NULL;
  /* a database that does not exist is not created */
  db_path(p, sizeof p, "typo.db");
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err),
                   WD_ERR_NOTFOUND);
  assert_null(s);
  assert_non_null(strstr(err, "no such database"));
  assert_non_null(strstr(err, p));
  assert_int_not_equal(access(p, F_OK), 0);
  char side[320];
  snprintf(side, sizeof side, "%s-wal", p);
  assert_int_not_equal(access(side, F_OK), 0);
  /* an existing ward database is read; writes are refused */
  db_path(p, sizeof p, "ro.db");
  assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
  wd_store_incident_t inc;
  make_inc(&inc, "WARD-2026-000001", 1);
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
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
  wd_store_close(s);
  /* a database of an older ward (version 2: no attack trees yet) is read
     as it is, not upgraded */
  db_path(p, sizeof p, "v2.db");
  assert_int_equal(wd_store_open_to(p, 2, &s, err, sizeof err), WD_OK);
  assert_int_equal(
      sqlite3_exec(
          wd_store_db(s),
          "INSERT INTO incidents(id, corr_key, line, class, type,"
          " severity, first_ns, last_ns) VALUES ('WARD-2026-000009',"
          " 'k', 'intrusion', 'intrusion-attempts', 'exploit', 2, 1, 2);"
          "INSERT INTO incident_attacks(incident_id, detector, src,"
          " dst, start_ns, last_ns, reports) VALUES"
          " ('WARD-2026-000009', 'smb.ms17-010', 'a', 'b', 1, 2, 1)",
          0, 0, 0),
      SQLITE_OK);
  wd_store_close(s);
  assert_int_equal(wd_store_open_readonly(p, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_version(s), 2);
  assert_int_equal(wd_store_incident_get(s, "WARD-2026-000009", &got), WD_OK);
  assert_int_equal(got.n_attacks, 1);
  assert_string_equal(got.attacks[0].detector, "smb.ms17-010");
  assert_string_equal(got.attacks[0].tree, "");
  wd_store_incident_fini(&got);
  wd_store_close(s);
  /* an SQLite file that ward never set up is not taken for a ward one */
  db_path(p, sizeof p, "other.db");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  assert_int_not_equal(wd_store_open_readonly(p, &s, err, sizeof err), WD_OK);
  assert_null(s);
  assert_non_null(strstr(err, "not a ward database"));
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
  char err[256];
  wd_store_t *s;
  if (wd_store_open(p, &s, err, sizeof err) != WD_OK) {
    fprintf(stderr, "child %d: %s\n", k, err);
    _exit(3);
  }
  wd_store_incident_t inc;
  char id[WD_STORE_ID_LEN];
  make_inc(&inc, "", 1);
  snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|race%d|H|", k);
  wd_rc rc = wd_store_begin(s);
  if (rc == WD_OK)
    rc = wd_store_incident_new_id(s, 2026, id);
  if (rc == WD_OK) {
    snprintf(inc.id, sizeof inc.id, "%s", id);
    rc = wd_store_incident_put(s, &inc);
  }
  if (rc == WD_OK)
    rc = wd_store_commit(s);
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
    char p[300], name[32];
    snprintf(name, sizeof name, "race%d.db", round);
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
    char err[256];
    wd_store_t *s;
    assert_int_equal(wd_store_open(p, &s, err, sizeof err), WD_OK);
    int64_t n = q1(s, "SELECT count(*) FROM incidents");
    int64_t ids = q1(s, "SELECT count(DISTINCT id) FROM incidents");
    wd_store_close(s);
    if (n != RACE_PROCS || ids != RACE_PROCS)
      failed++;
  }
  assert_int_equal(failed, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_migrate_reopen),
      cmocka_unit_test(test_put_idempotent_and_merge),
      cmocka_unit_test(test_ids_status_find_filter),
      cmocka_unit_test(test_crash_sigkill),
      cmocka_unit_test(test_open_readonly),
      cmocka_unit_test(test_concurrent_new_db),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
