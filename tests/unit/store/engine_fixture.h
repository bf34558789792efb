/* engine_fixture.h -- the engine a store test runs against, and queries
 * of the test's own to check what was stored.
 * Every test binary that includes this runs twice under CTest: once with
 * SQLite files in a scratch directory, once (WARD_TEST_PG=STATE, the
 * CTest fixture of tests/tools/pg_cluster.sh) against a throw-away
 * PostgreSQL cluster, one fresh database per store (CREATE DATABASE).
 * Without PostgreSQL's binaries the fixture writes STATE/skip and the
 * PostgreSQL run exits 77 ("skipped"), saying why.
 * The checks go through a connection of their own (sqlite3 or libpq), never
 * through the store under test, and use SQL both engines accept.
 * Memory: static buffers; one cached libpq connection per process. */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h before this file */

static char test_pg_base[1024];     /* "postgresql://u:p@h:port", no db */
static char test_pg_conninfo[1024]; /* "host=DIR port=P user=postgres" */
static const char *test_scratch;    /* SQLite files: the test's directory */

static inline bool test_is_pg(void) { return test_pg_base[0] != 0; }

/* Reads STATE/name into out (first line); false when missing. */
static inline bool test_read_state(const char *state, const char *name,
                                   char *out, size_t n) {
  char p[1200];
  snprintf(p, sizeof p, "%s/%s", state, name);
  FILE *f = fopen(p, "r");
  if (!f)
    return false;
  bool ok = fgets(out, (int)n, f) != NULL;
  fclose(f);
  out[strcspn(out, "\n")] = '\0';
  return ok && out[0];
}

/* Call first in main(): chooses the engine; exits 77 when the PostgreSQL
 * run must be skipped, 1 when it was asked for but no cluster is there.
 * scratch: the test's directory for SQLite files (borrowed: it may be
 * filled in later by mkdtemp). */
static inline void test_engine_init(const char *scratch) {
  test_scratch = scratch;
  const char *state = getenv("WARD_TEST_PG");
  if (!state || !*state)
    return;
  char why[512], uri[1024];
  if (test_read_state(state, "skip", why, sizeof why)) {
    printf("skipped: %s\n", why);
    exit(77);
  }
  if (!test_read_state(state, "uri", uri, sizeof uri)) {
    fprintf(stderr,
            "WARD_TEST_PG=%s holds no cluster: start one with "
            "tests/tools/pg_cluster.sh start %s (CTest does)\n",
            state, state);
    exit(1);
  }
  char *slash = strrchr(uri, '/');
  if (slash)
    *slash = '\0';
  snprintf(test_pg_base, sizeof test_pg_base, "%s", uri);
  char su[1024];
  if (test_read_state(state, "socket_uri", su, sizeof su)) {
    /* postgresql:///postgres?host=DIR&port=P&user=postgres */
    const char *h = strstr(su, "host="), *p = strstr(su, "port=");
    if (h && p)
      snprintf(test_pg_conninfo, sizeof test_pg_conninfo,
               "host=%.*s port=%.*s user=postgres", (int)strcspn(h + 5, "&"),
               h + 5, (int)strcspn(p + 5, "&"), p + 5);
  }
}

static inline void test_pg_quiet(void *arg, const char *m) {
  (void)arg;
  (void)m;
}

/* libpq connection to database db of the cluster ("postgres": the
 * maintenance database), cached per process and database. */
static inline PGconn *test_pg_conn(const char *url) {
  static PGconn *c;
  static char cur[1200];
  static pid_t owner;
  if (c && owner == getpid() && !strcmp(cur, url) &&
      PQstatus(c) == CONNECTION_OK)
    return c;
  if (c && owner == getpid())
    PQfinish(c);
  c = PQconnectdb(url);
  owner = getpid();
  snprintf(cur, sizeof cur, "%s", url);
  if (PQstatus(c) != CONNECTION_OK)
    fail_msg("%s: %s", url, PQerrorMessage(c));
  PQsetNoticeProcessor(c, test_pg_quiet, NULL);
  return c;
}

static inline void test_pg_admin(const char *sql) {
  char url[1200];
  snprintf(url, sizeof url, "%s/postgres", test_pg_base);
  PGresult *r = PQexec(test_pg_conn(url), sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK &&
      PQresultStatus(r) != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  PQclear(r);
}

/* A database name for name, unique to this process. */
static inline void test_pg_dbname(char *out, size_t n, const char *name) {
  char clean[40];
  size_t j = 0;
  for (const char *p = name; *p && j + 1 < sizeof clean; p++)
    clean[j++] = isalnum((unsigned char)*p) ? (char)tolower(*p) : '_';
  clean[j] = '\0';
  snprintf(out, n, "wt_%d_%s", (int)getpid(), clean);
}

/* The URL of a new, empty store called name: a file in the scratch
 * directory, or a PostgreSQL database created for it (dropped first if
 * an earlier run left it). */
static inline void test_store_url(char *out, size_t n, const char *name) {
  if (!test_is_pg()) {
    snprintf(out, n, "%s/%s.db", test_scratch, name);
    unlink(out);
    return;
  }
  char db[64], q[200];
  test_pg_dbname(db, sizeof db, name);
  snprintf(q, sizeof q, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
  test_pg_admin(q);
  snprintf(q, sizeof q, "CREATE DATABASE %s", db);
  test_pg_admin(q);
  snprintf(out, n, "%s/%s", test_pg_base, db);
}

/* The URL of a PostgreSQL database that does not exist (nothing made). */
static inline void test_store_url_missing(char *out, size_t n,
                                          const char *name) {
  if (!test_is_pg()) {
    snprintf(out, n, "%s/%s.db", test_scratch, name);
    return;
  }
  char db[64];
  test_pg_dbname(db, sizeof db, name);
  snprintf(out, n, "%s/%s", test_pg_base, db);
}

/* Whether the PostgreSQL database of url exists. */
static inline bool test_pg_db_exists(const char *url) {
  const char *db = strrchr(url, '/');
  char q[200], admin[1200];
  snprintf(q, sizeof q,
           "SELECT count(*) FROM pg_database WHERE datname ="
           " $1");
  snprintf(admin, sizeof admin, "%s/postgres", test_pg_base);
  const char *v[1] = {db ? db + 1 : url};
  PGresult *r = PQexecParams(test_pg_conn(admin), q, 1, NULL, v, NULL, NULL, 0);
  bool yes = PQresultStatus(r) == PGRES_TUPLES_OK &&
             strcmp(PQgetvalue(r, 0, 0), "0") != 0;
  PQclear(r);
  return yes;
}

/* Runs sql (statements, no rows wanted) on url's database. */
static inline void test_exec(const char *url, const char *sql) {
  if (test_is_pg()) {
    PGresult *r = PQexec(test_pg_conn(url), sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK)
      fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return;
  }
  sqlite3 *db;
  char *m = NULL;
  if (sqlite3_open_v2(url, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    fail_msg("%s: %s", url, sqlite3_errmsg(db));
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_exec(db, sql, NULL, NULL, &m) != SQLITE_OK)
    fail_msg("%s: %s", sql, m ? m : "?");
  sqlite3_close(db);
}

/* The first column of the first row of sql as text ("" when no row). */
static inline const char *test_qtext(const char *url, const char *sql,
                                     char *out, size_t n) {
  out[0] = '\0';
  if (test_is_pg()) {
    PGresult *r = PQexec(test_pg_conn(url), sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    if (PQntuples(r) > 0)
      snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
  }
  sqlite3 *db;
  sqlite3_stmt *st;
  if (sqlite3_open_v2(url, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    fail_msg("%s: %s", url, sqlite3_errmsg(db));
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/* The first column of the first row of sql as an integer (-1: no row). */
static inline long long test_q1(const char *url, const char *sql) {
  char b[64];
  test_qtext(url, sql, b, sizeof b);
  return b[0] ? strtoll(b, NULL, 10) : -1;
}

/* The same, tolerating a database that does not yet answer (a store being
 * created by another process): -1 then. */
static inline long long test_q1_try(const char *url, const char *sql) {
  if (test_is_pg()) {
    PGconn *c = PQconnectdb(url);
    long long v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult *r = PQexec(c, sql);
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
      PQclear(r);
    }
    PQfinish(c);
    return v;
  }
  sqlite3 *db;
  long long v = -1;
  if (sqlite3_open_v2(url, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(db);
  return v;
}

/* The engine's own consistency check: SQLite's integrity_check is "ok";
 * PostgreSQL keeps its files consistent itself (WAL), so nothing to ask. */
static inline void test_integrity_ok(const char *url) {
  if (test_is_pg())
    return;
  char b[64];
  assert_string_equal(test_qtext(url, "PRAGMA integrity_check", b, sizeof b),
                      "ok");
}

/* Whether table exists in url's database. */
static inline bool test_table_exists(const char *url, const char *table) {
  char q[300];
  if (test_is_pg())
    snprintf(q, sizeof q,
             "SELECT count(*) FROM information_schema.tables WHERE"
             " table_name = '%s'",
             table);
  else
    snprintf(q, sizeof q,
             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
             " name = '%s'",
             table);
  return test_q1(url, q) == 1;
}

/* ---- holding a lock, to make two writers meet (PostgreSQL) ---- */

/* A transaction of the test's own on url that runs sql (e.g. SELECT ...
 * FOR UPDATE) and keeps its locks until test_pg_release. */
static inline PGconn *test_pg_hold(const char *url, const char *sql) {
  PGconn *c = PQconnectdb(url);
  if (PQstatus(c) != CONNECTION_OK)
    fail_msg("%s: %s", url, PQerrorMessage(c));
  PGresult *r = PQexec(c, "BEGIN");
  PQclear(r);
  r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK &&
      PQresultStatus(r) != PGRES_COMMAND_OK)
    fail_msg("%s: %s", sql, PQresultErrorMessage(r));
  PQclear(r);
  return c;
}

static inline void test_pg_release(PGconn *c) {
  PGresult *r = PQexec(c, "COMMIT");
  PQclear(r);
  PQfinish(c);
}

/* Waits (deadline 60 s) until n sessions of url's database wait for a
 * lock; false when they never do. */
static inline bool test_pg_wait_blocked(const char *url, int n) {
  const char *db = strrchr(url, '/');
  char q[300];
  snprintf(q, sizeof q,
           "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
           " AND wait_event_type = 'Lock'",
           db ? db + 1 : "");
  for (int i = 0; i < 6000; i++) {
    if (test_q1(url, q) >= n)
      return true;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return false;
}

/* ---- holding a store, to make writers meet (either engine) ---- */

/* A lock of the test's own: PostgreSQL a row lock of what sql selects
 * (SELECT ... FOR UPDATE), SQLite the file's write lock (BEGIN
 * IMMEDIATE). Writers that need it wait until test_hold_release. */
typedef struct test_hold {
  PGconn *pg;
  sqlite3 *lite;
} test_hold_t;

static inline test_hold_t test_hold(const char *url, const char *sql) {
  test_hold_t h = {0};
  if (test_is_pg()) {
    h.pg = test_pg_hold(url, sql);
    return h;
  }
  if (sqlite3_open_v2(url, &h.lite, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(h.lite, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("%s: cannot take the write lock", url);
  return h;
}

/* Waits until n writers are blocked on the hold: observable on
 * PostgreSQL (pg_stat_activity); on SQLite a writer waiting in its busy
 * handler cannot be seen, so the caller's own signal has to do. */
static inline bool test_hold_wait(const char *url, int n) {
  return test_is_pg() ? test_pg_wait_blocked(url, n) : true;
}

static inline void test_hold_release(test_hold_t *h) {
  if (h->pg)
    test_pg_release(h->pg);
  if (h->lite) {
    sqlite3_exec(h->lite, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(h->lite);
  }
  h->pg = NULL;
  h->lite = NULL;
}

#endif
