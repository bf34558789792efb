/* store.c -- opening the SQLite database, migrations, incident upserts and
 * reads.
 * In: a path and incident records (borrowed). Out: rows; records read back
 * into caller storage. Memory: wd_store_t owns the connection and a cache
 * of prepared statements (one per query, prepared on first use, reset after
 * each use); wd_store_incident_get allocates the row arrays it returns
 * (wd_store_incident_fini). Every value is bound, never pasted into SQL.
 * Crash safety comes from SQLite (WAL, synchronous=NORMAL: a committed
 * transaction survives a killed process) plus idempotent merges: a row is
 * keyed by stable values and merged with MIN/MAX, so replaying the same
 * alerts gives the same rows. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"

/* Prepared statements, in the order of stmt_sql[]. */
enum {
  Q_FIND,
  Q_SEQ_GET,
  Q_SEQ_SET,
  Q_INC_PUT,
  Q_ATTACK_PUT,
  Q_TOTALS,
  Q_ATTACKER_PUT,
  Q_TARGET_PUT,
  Q_HOST_PUT,
  Q_EVIDENCE,
  Q_STATUS_GET,
  Q_STATUS_SET,
  Q_INC_GET,
  Q_ATTACKERS_GET,
  Q_TARGETS_GET,
  Q_HOSTS_GET,
  Q_ATTACKS_GET,
  Q_ATTACKS_GET_V2,
  Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
    [Q_FIND] = "SELECT id FROM incidents WHERE corr_key = ?1"
               " AND first_ns <= ?2 + ?3 AND last_ns + ?3 >= ?2"
               " ORDER BY last_ns DESC LIMIT 1",
    [Q_SEQ_GET] = "SELECT last FROM incident_seq WHERE year = ?1",
    [Q_SEQ_SET] = "INSERT INTO incident_seq(year, last) VALUES (?1, ?2)"
                  " ON CONFLICT(year) DO UPDATE SET last = excluded.last",
    [Q_INC_PUT] =
        "INSERT INTO incidents(id, corr_key, line, class, type, class_rank,"
        " severity, priority, active, facility, sector, criticality,"
        " first_ns, last_ns, spoofed, sources, summary, party_name,"
        " party_kind, party_email, party_format, party_language,"
        " party_deadline_hours, party_pgp, party_matched_by, attribution)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
        "?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)"
        " ON CONFLICT(id) DO UPDATE SET"
        " class = CASE WHEN excluded.class_rank >= class_rank"
        "  THEN excluded.class ELSE class END,"
        " type = CASE WHEN excluded.class_rank >= class_rank"
        "  THEN excluded.type ELSE type END,"
        " class_rank = MAX(class_rank, excluded.class_rank),"
        " severity = MIN(severity, excluded.severity),"
        " priority = MAX(priority, excluded.priority),"
        " active = excluded.active,"
        " first_ns = MIN(first_ns, excluded.first_ns),"
        " last_ns = MAX(last_ns, excluded.last_ns),"
        " spoofed = MAX(spoofed, excluded.spoofed),"
        " sources = MAX(sources, excluded.sources),"
        " summary = excluded.summary, attribution = excluded.attribution,"
        " party_name = COALESCE(excluded.party_name, party_name),"
        " party_kind = COALESCE(excluded.party_kind, party_kind),"
        " party_email = COALESCE(excluded.party_email, party_email),"
        " party_format = COALESCE(excluded.party_format, party_format),"
        " party_language = COALESCE(excluded.party_language, party_language),"
        " party_deadline_hours = COALESCE(excluded.party_deadline_hours,"
        "  party_deadline_hours),"
        " party_pgp = COALESCE(excluded.party_pgp, party_pgp),"
        " party_matched_by = COALESCE(excluded.party_matched_by,"
        "  party_matched_by)",
    [Q_ATTACK_PUT] =
        "INSERT INTO incident_attacks(incident_id, detector, src, dst,"
        " start_ns, last_ns, reports, packets, peak_pps, peak_bps, ended,"
        " signature, tree)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
        " ON CONFLICT(incident_id, detector, src, dst, start_ns) DO UPDATE SET"
        " last_ns = MAX(last_ns, excluded.last_ns),"
        " reports = MAX(reports, excluded.reports),"
        " packets = MAX(packets, excluded.packets),"
        " peak_pps = MAX(peak_pps, excluded.peak_pps),"
        " peak_bps = MAX(peak_bps, excluded.peak_bps),"
        " ended = MAX(ended, excluded.ended),"
        " signature = excluded.signature,"
        " tree = CASE WHEN excluded.tree <> '' THEN excluded.tree"
        "  ELSE tree END",
    [Q_TOTALS] = "UPDATE incidents SET"
                 " alerts = (SELECT COALESCE(SUM(reports), 0) FROM"
                 "  incident_attacks WHERE incident_id = ?1),"
                 /* at least the packets its evidence capture holds */
                 " packets = MAX(evidence_packets, (SELECT"
                 "  COALESCE(SUM(packets), 0) FROM"
                 "  incident_attacks WHERE incident_id = ?1)),"
                 " peak_pps = (SELECT COALESCE(MAX(peak_pps), 0) FROM"
                 "  incident_attacks WHERE incident_id = ?1),"
                 " peak_bps = (SELECT COALESCE(MAX(peak_bps), 0) FROM"
                 "  incident_attacks WHERE incident_id = ?1)"
                 " WHERE id = ?1",
    [Q_ATTACKER_PUT] =
        "INSERT INTO incident_attackers(incident_id, ip, role, country, asn,"
        " as_org, reliable, reason, party, matched_by)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
        " ON CONFLICT(incident_id, ip, role) DO UPDATE SET"
        " country = excluded.country, asn = excluded.asn,"
        " as_org = excluded.as_org, reliable = excluded.reliable,"
        " reason = excluded.reason, party = excluded.party,"
        " matched_by = excluded.matched_by",
    [Q_TARGET_PUT] =
        "INSERT INTO incident_targets(incident_id, ip, facility, sector)"
        " VALUES (?1,?2,?3,?4) ON CONFLICT(incident_id, ip) DO UPDATE SET"
        " facility = excluded.facility, sector = excluded.sector",
    [Q_HOST_PUT] =
        "INSERT INTO incident_hosts(incident_id, ip, infected_ns, infected_by,"
        " active_ns) VALUES (?1,?2,?3,?4,?5)"
        " ON CONFLICT(incident_id, ip) DO UPDATE SET"
        " infected_by = CASE WHEN excluded.infected_ns <> 0 AND"
        "  (infected_ns = 0 OR excluded.infected_ns < infected_ns)"
        "  THEN excluded.infected_by ELSE infected_by END,"
        " infected_ns = CASE WHEN excluded.infected_ns <> 0 AND"
        "  (infected_ns = 0 OR excluded.infected_ns < infected_ns)"
        "  THEN excluded.infected_ns ELSE infected_ns END,"
        " active_ns = CASE WHEN excluded.active_ns <> 0 AND"
        "  (active_ns = 0 OR excluded.active_ns < active_ns)"
        "  THEN excluded.active_ns ELSE active_ns END",
    [Q_EVIDENCE] = "UPDATE incidents SET evidence_path = ?2,"
                   " evidence_sha256 = ?3, evidence_packets = ?4,"
                   " packets = MAX(packets, ?4) WHERE id = ?1",
    [Q_STATUS_GET] = "SELECT status FROM incidents WHERE id = ?1",
    [Q_STATUS_SET] = "UPDATE incidents SET status = ?2 WHERE id = ?1",
    [Q_INC_GET] =
        "SELECT id, corr_key, line, class, type, class_rank, severity,"
        " priority, status, active, facility, sector, criticality, first_ns,"
        " last_ns, alerts, packets, peak_pps, peak_bps, spoofed, sources,"
        " summary, party_name, party_kind, party_email, party_format,"
        " party_language, party_deadline_hours, party_pgp, party_matched_by,"
        " evidence_path, evidence_sha256, evidence_packets, attribution"
        " FROM incidents WHERE id = ?1",
    [Q_ATTACKERS_GET] =
        "SELECT ip, role, country, asn, as_org, reliable, reason, party,"
        " matched_by FROM incident_attackers WHERE incident_id = ?1"
        " ORDER BY role, ip",
    [Q_TARGETS_GET] = "SELECT ip, facility, sector FROM incident_targets"
                      " WHERE incident_id = ?1 ORDER BY ip",
    [Q_HOSTS_GET] =
        "SELECT ip, infected_ns, infected_by, active_ns FROM incident_hosts"
        " WHERE incident_id = ?1 ORDER BY CASE"
        " WHEN infected_ns = 0 THEN active_ns"
        " WHEN active_ns = 0 THEN infected_ns"
        " ELSE MIN(infected_ns, active_ns) END, ip",
    [Q_ATTACKS_GET] =
        "SELECT detector, src, dst, start_ns, last_ns, reports, packets,"
        " peak_pps, peak_bps, ended, signature, tree FROM incident_attacks"
        " WHERE incident_id = ?1 ORDER BY start_ns, detector, src, dst",
    /* a database opened read-only before version 4 added the tree */
    [Q_ATTACKS_GET_V2] =
        "SELECT detector, src, dst, start_ns, last_ns, reports, packets,"
        " peak_pps, peak_bps, ended, signature, '' FROM incident_attacks"
        " WHERE incident_id = ?1 ORDER BY start_ns, detector, src, dst",
};

struct wd_store {
  sqlite3 *db;
  sqlite3_stmt *st[Q_COUNT]; /* prepared on first use */
  char path[WD_STORE_PATH_LEN];
  char msg[256];
  uint32_t busy_ms;  /* how long to wait for another connection's lock */
  bool readonly;     /* opened with WD_STORE_READONLY: writes refused */
  int version;       /* schema version once open (read-only: may be old) */
  pthread_t owner;   /* the thread that opened it: the only one to use it */
  bool thread_abort; /* abort on a call from another thread */
  _Atomic uint64_t foreign; /* calls from another thread */
  uint32_t delay_ms;        /* WARD_TEST_STORE_DELAY_MS: every commit */
};

/* Tests: called in every commit (wd_store_set_commit_hook). */
static void (*commit_hook)(void *user);
static void *commit_hook_user;

void wd_store_set_commit_hook(void (*fn)(void *user), void *user) {
  commit_hook = fn;
  commit_hook_user = user;
}

/* The connection belongs to the thread that opened it (store.h): ward's
 * packet thread must never reach the database. A call from another
 * thread is a bug in ward; it is logged and counted, and aborts in debug
 * builds or with WARD_STORE_THREAD_CHECK=abort (the test suite). */
static void owner_check(wd_store_t *s, const char *what) {
  if (pthread_equal(pthread_self(), s->owner))
    return;
  if (atomic_fetch_add(&s->foreign, 1) == 0 || s->thread_abort)
    wd_log(WD_LOG_ERROR, "store",
           "%s: %s from a thread other than the one that opened the "
           "database",
           s->path, what);
  if (s->thread_abort)
    abort();
}

static void set_err(char *err, size_t errlen, const char *path,
                    const char *what, const char *detail) {
  if (err && errlen)
    snprintf(err, errlen, "%s: %s%s%s", path, what, detail ? ": " : "",
             detail ? detail : "");
}

static sqlite3_stmt *stmt(wd_store_t *s, int q) {
  owner_check(s, "query");
  if (!s->st[q]) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[q], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->st[q], NULL) != SQLITE_OK) {
      snprintf(s->msg, sizeof s->msg, "prepare: %s", sqlite3_errmsg(s->db));
      wd_log(WD_LOG_ERROR, "store", "%s: %s", s->path, s->msg);
      return NULL;
    }
  }
  return s->st[q];
}

static void done(sqlite3_stmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static wd_rc db_rc(wd_store_t *s, int rc) {
  snprintf(s->msg, sizeof s->msg, "%s", sqlite3_errmsg(s->db));
  if (rc == SQLITE_NOMEM)
    return WD_ERR_NOMEM;
  if (rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH)
    return WD_ERR_INVAL;
  return WD_ERR_IO;
}

/* Runs a statement without results; resets it. */
static wd_rc step_done(wd_store_t *s, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  done(st);
  return rc == SQLITE_DONE ? WD_OK : db_rc(s, rc);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* Text or NULL when empty (party columns: NULL keeps the stored value). */
static void bind_opt(sqlite3_stmt *st, int i, bool set, const char *v) {
  if (set && v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v) {
  /* nanosecond times fit in int64 until 2262 */
  sqlite3_bind_int64(st, i, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t n) {
  const unsigned char *t = sqlite3_column_text(st, i);
  snprintf(out, n, "%s", t ? (const char *)t : "");
}

static uint64_t col_u64(sqlite3_stmt *st, int i) {
  sqlite3_int64 v = sqlite3_column_int64(st, i);
  return v < 0 ? 0 : (uint64_t)v;
}

static wd_rc exec(wd_store_t *s, const char *sql) {
  owner_check(s, "statement");
  char *m = NULL;
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, &m);
  if (rc != SQLITE_OK) {
    snprintf(s->msg, sizeof s->msg, "%s", m ? m : sqlite3_errstr(rc));
    sqlite3_free(m);
    return rc == SQLITE_NOMEM ? WD_ERR_NOMEM : WD_ERR_IO;
  }
  return WD_OK;
}

int wd_store_version(wd_store_t *s) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
      SQLITE_OK)
    return -1;
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs sql, waiting while another connection holds the lock it needs.
 * SQLite's busy handler (sqlite3_busy_timeout) already waits for most
 * locks; some it cannot wait for (changing the journal mode, a WAL being
 * recovered or reset by another process) return SQLITE_BUSY at once, so
 * those are retried here until the same bound has passed. Not on the
 * packet path: at most once per traffic second. */
static wd_rc exec_wait(wd_store_t *s, const char *sql) {
  owner_check(s, "statement");
  uint64_t deadline = mono_ms() + s->busy_ms;
  long pause_ms = 2;
  for (;;) {
    char *m = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &m);
    if (rc == SQLITE_OK)
      return WD_OK;
    snprintf(s->msg, sizeof s->msg, "%s", m ? m : sqlite3_errstr(rc));
    sqlite3_free(m);
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
      return rc == SQLITE_NOMEM ? WD_ERR_NOMEM : WD_ERR_IO;
    if (mono_ms() >= deadline) {
      snprintf(s->msg, sizeof s->msg,
               "database is locked: another ward held it for more than "
               "%u ms (db.busy_timeout)",
               s->busy_ms);
      return WD_ERR_IO;
    }
    struct timespec ts = {0, pause_ms * 1000000L};
    nanosleep(&ts, NULL);
    if (pause_ms < 50)
      pause_ms *= 2;
  }
}

/* Applies migrations up to target, each in its own transaction. Another
 * process may be opening the same new database at this moment: each step
 * takes the write lock first (BEGIN EXCLUSIVE, waiting for it), then reads
 * user_version again inside the transaction and applies only what is still
 * missing, so two wards never run the same step. The version number is an
 * integer we format ourselves, not an outside value. */
static wd_rc migrate(wd_store_t *s, int target) {
  for (;;) {
    wd_rc rc = exec_wait(s, "BEGIN EXCLUSIVE");
    if (rc != WD_OK)
      return rc;
    int have = wd_store_version(s);
    if (have < 0 || have >= target ||
        (size_t)have >= wd_store_migrations_count) {
      exec(s, "COMMIT");
      if (have < 0) {
        snprintf(s->msg, sizeof s->msg, "cannot read the schema version: %s",
                 sqlite3_errmsg(s->db));
        return WD_ERR_IO;
      }
      return WD_OK;
    }
    const wd_store_migration_t *m = &wd_store_migrations[have];
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", m->version);
    if ((rc = exec(s, m->sql)) != WD_OK || (rc = exec(s, bump)) != WD_OK ||
        (rc = exec_wait(s, "COMMIT")) != WD_OK) {
      char why[256];
      snprintf(why, sizeof why, "migration %d (%.60s): %.160s", m->version,
               m->name, s->msg);
      exec(s, "ROLLBACK");
      snprintf(s->msg, sizeof s->msg, "%s", why);
      return rc;
    }
    wd_log(WD_LOG_INFO, "store", "%s: schema version %d: %s", s->path,
           m->version, m->name);
  }
}

/* Journal mode WAL (persistent in the file): set once by whichever ward
 * opens a new database first; the others find it set. */
static wd_rc set_wal(wd_store_t *s) {
  sqlite3_stmt *st;
  bool wal = false;
  if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char *m = sqlite3_column_text(st, 0);
      wal = m && strcmp((const char *)m, "wal") == 0;
    }
    sqlite3_finalize(st);
  }
  return wal ? WD_OK : exec_wait(s, "PRAGMA journal_mode = WAL");
}

static wd_rc open_store(const char *path, int version, const wd_store_opts_t *o,
                        wd_store_t **out, char *err, size_t errlen) {
  *out = NULL;
  bool ro = o && (o->flags & WD_STORE_READONLY);
  if (!path || !*path || version < 0 ||
      (size_t)version > wd_store_migrations_count) {
    set_err(err, errlen, path ? path : "(null)", "invalid database path", NULL);
    return WD_ERR_INVAL;
  }
  struct stat sb;
  if (ro && stat(path, &sb) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      set_err(err, errlen, path, "no such database", NULL);
      return WD_ERR_NOTFOUND;
    }
    set_err(err, errlen, path, "cannot open database", strerror(errno));
    return WD_ERR_IO;
  }
  wd_store_t *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  snprintf(s->path, sizeof s->path, "%s", path);
  s->readonly = ro;
  s->owner = pthread_self();
#ifdef NDEBUG
  s->thread_abort = false;
#else
  s->thread_abort = true;
#endif
  const char *tc = getenv("WARD_STORE_THREAD_CHECK");
  if (tc && *tc)
    s->thread_abort = strcmp(tc, "abort") == 0;
  atomic_init(&s->foreign, 0);
  /* fault injection for tests: a slow disk */
  const char *dl = getenv("WARD_TEST_STORE_DELAY_MS");
  if (dl && *dl) {
    char *end;
    unsigned long v = strtoul(dl, &end, 10);
    s->delay_ms = *end == 0 && v <= 60000 ? (uint32_t)v : 0;
  }
  s->busy_ms =
      o && o->busy_timeout_ms ? o->busy_timeout_ms : WD_STORE_BUSY_TIMEOUT_MS;
  int flags =
      ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  wd_rc r = WD_OK;
  if (rc != SQLITE_OK) {
    set_err(err, errlen, path, "cannot open database",
            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    r = WD_ERR_IO;
    goto fail;
  }
  sqlite3_extended_result_codes(s->db, 0);
  sqlite3_busy_timeout(s->db, (int)s->busy_ms);
  if (!ro && ((r = set_wal(s)) != WD_OK ||
              (r = exec(s, "PRAGMA synchronous = NORMAL")) != WD_OK ||
              (r = exec(s, "PRAGMA foreign_keys = ON")) != WD_OK)) {
    set_err(err, errlen, path, "cannot set up database", s->msg);
    goto fail;
  }
  int have = wd_store_version(s);
  if (have < 0) {
    set_err(err, errlen, path, "not a ward database", sqlite3_errmsg(s->db));
    r = WD_ERR_IO;
    goto fail;
  }
  if ((size_t)have > wd_store_migrations_count) {
    char d[96];
    snprintf(d, sizeof d, "schema version %d, this ward knows up to %zu", have,
             wd_store_migrations_count);
    set_err(err, errlen, path, "database is newer than this ward", d);
    r = WD_ERR_UNSUPPORTED;
    goto fail;
  }
  if (ro && have == 0) {
    /* read-only: no schema is created, and a file without one is some
       other program's database (or an empty file) */
    set_err(err, errlen, path, "not a ward database",
            "no ward schema in it (user_version 0)");
    r = WD_ERR_INVAL;
    goto fail;
  }
  if (!ro && have < version && (r = migrate(s, version)) != WD_OK) {
    set_err(err, errlen, path, "cannot migrate", s->msg);
    goto fail;
  }
  s->version = wd_store_version(s);
  *out = s;
  return WD_OK;
fail:
  wd_store_close(s);
  return r;
}

wd_rc wd_store_open_opts(const char *path, const wd_store_opts_t *opts,
                         wd_store_t **out, char *err, size_t errlen) {
  return open_store(path, (int)wd_store_migrations_count, opts, out, err,
                    errlen);
}

wd_rc wd_store_open_to(const char *path, int version, wd_store_t **out,
                       char *err, size_t errlen) {
  return open_store(path, version, NULL, out, err, errlen);
}

wd_rc wd_store_open(const char *path, wd_store_t **out, char *err,
                    size_t errlen) {
  return open_store(path, (int)wd_store_migrations_count, NULL, out, err,
                    errlen);
}

wd_rc wd_store_open_readonly(const char *path, wd_store_t **out, char *err,
                             size_t errlen) {
  wd_store_opts_t o = {.flags = WD_STORE_READONLY};
  return open_store(path, (int)wd_store_migrations_count, &o, out, err, errlen);
}

void wd_store_close(wd_store_t *s) {
  if (!s)
    return;
  owner_check(s, "close");
  for (int i = 0; i < Q_COUNT; i++)
    sqlite3_finalize(s->st[i]);
  if (s->db && sqlite3_close(s->db) != SQLITE_OK)
    wd_log(WD_LOG_WARN, "store", "%s: close: %s", s->path,
           sqlite3_errmsg(s->db));
  free(s);
}

struct sqlite3 *wd_store_db(wd_store_t *s) {
  owner_check(s, "wd_store_db");
  return s->db;
}

bool wd_store_owner_is_caller(const wd_store_t *s) {
  return pthread_equal(pthread_self(), s->owner) != 0;
}

uint64_t wd_store_foreign_calls(const wd_store_t *s) {
  return atomic_load(&((wd_store_t *)s)->foreign);
}

void wd_store_adopt(wd_store_t *s) { s->owner = pthread_self(); }

const char *wd_store_errmsg(wd_store_t *s) { return s->msg; }

wd_rc wd_store_begin(wd_store_t *s) {
  if (s->readonly) {
    snprintf(s->msg, sizeof s->msg, "database opened read-only");
    return WD_ERR_STATE;
  }
  /* the write lock at once: a transaction that reads first and writes
     later could find its snapshot stale, which no waiting can fix */
  return exec_wait(s, "BEGIN IMMEDIATE");
}

wd_rc wd_store_commit(wd_store_t *s) {
  owner_check(s, "commit");
  if (s->delay_ms) {
    struct timespec ts = {s->delay_ms / 1000,
                          (long)(s->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (commit_hook)
    commit_hook(commit_hook_user);
  wd_rc rc = exec_wait(s, "COMMIT"); /* a busy COMMIT can be retried */
  if (rc != WD_OK)
    wd_store_rollback(s);
  return rc;
}

void wd_store_rollback(wd_store_t *s) {
  if (!sqlite3_get_autocommit(s->db))
    exec(s, "ROLLBACK");
}

wd_rc wd_store_incident_find(wd_store_t *s, const char *corr_key, uint64_t t_ns,
                             uint64_t window_ns, char id[WD_STORE_ID_LEN]) {
  sqlite3_stmt *st = stmt(s, Q_FIND);
  if (!st)
    return WD_ERR_IO;
  bind_text(st, 1, corr_key);
  bind_u64(st, 2, t_ns);
  bind_u64(st, 3, window_ns);
  int rc = sqlite3_step(st);
  wd_rc r = WD_ERR_NOTFOUND;
  if (rc == SQLITE_ROW) {
    col_text(st, 0, id, WD_STORE_ID_LEN);
    r = WD_OK;
  } else if (rc != SQLITE_DONE)
    r = db_rc(s, rc);
  done(st);
  return r;
}

wd_rc wd_store_incident_new_id(wd_store_t *s, int year,
                               char id[WD_STORE_ID_LEN]) {
  sqlite3_stmt *st = stmt(s, Q_SEQ_GET);
  if (!st)
    return WD_ERR_IO;
  sqlite3_bind_int(st, 1, year);
  int64_t last = 0;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    last = sqlite3_column_int64(st, 0);
  done(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_rc(s, rc);
  if (last >= 999999) {
    snprintf(s->msg, sizeof s->msg, "incident numbers of %d exhausted", year);
    return WD_ERR_FULL;
  }
  if (!(st = stmt(s, Q_SEQ_SET)))
    return WD_ERR_IO;
  sqlite3_bind_int(st, 1, year);
  sqlite3_bind_int64(st, 2, last + 1);
  wd_rc r = step_done(s, st);
  if (r == WD_OK)
    snprintf(id, WD_STORE_ID_LEN, "WARD-%04d-%06d", year % 10000,
             (int)(last + 1)); /* last < 999999 */
  return r;
}

static wd_rc put_header(wd_store_t *s, const wd_store_incident_t *inc) {
  sqlite3_stmt *st = stmt(s, Q_INC_PUT);
  if (!st)
    return WD_ERR_IO;
  const wd_store_party_t *p = &inc->party;
  bind_text(st, 1, inc->id);
  bind_text(st, 2, inc->corr_key);
  bind_text(st, 3, inc->line);
  bind_text(st, 4, inc->rsit_class);
  bind_text(st, 5, inc->rsit_type);
  sqlite3_bind_int(st, 6, inc->class_rank);
  sqlite3_bind_int(st, 7, inc->severity);
  sqlite3_bind_int(st, 8, inc->priority);
  sqlite3_bind_int(st, 9, inc->active);
  bind_text(st, 10, inc->facility);
  bind_text(st, 11, inc->sector);
  bind_text(st, 12, inc->criticality);
  bind_u64(st, 13, inc->first_ns);
  bind_u64(st, 14, inc->last_ns);
  sqlite3_bind_int(st, 15, inc->spoofed);
  bind_u64(st, 16, inc->sources);
  bind_text(st, 17, inc->summary);
  bind_opt(st, 18, p->set, p->name);
  bind_opt(st, 19, p->set, p->kind);
  bind_opt(st, 20, p->set, p->email);
  bind_opt(st, 21, p->set, p->format);
  bind_opt(st, 22, p->set, p->language);
  if (p->set)
    sqlite3_bind_int64(st, 23, p->deadline_hours);
  else
    sqlite3_bind_null(st, 23);
  bind_opt(st, 24, p->set && p->pgp_fingerprint[0], p->pgp_fingerprint);
  /* why nothing matched is worth keeping too */
  bind_opt(st, 25, p->matched_by[0] != 0, p->matched_by);
  bind_text(st, 26, inc->attribution);
  return step_done(s, st);
}

wd_rc wd_store_incident_put(wd_store_t *s, const wd_store_incident_t *inc) {
  if (!inc->id[0])
    return WD_ERR_INVAL;
  wd_rc r = put_header(s, inc);
  sqlite3_stmt *st;
  for (size_t i = 0; r == WD_OK && i < inc->n_attacks; i++) {
    const wd_store_attack_t *a = &inc->attacks[i];
    if (!(st = stmt(s, Q_ATTACK_PUT)))
      return WD_ERR_IO;
    bind_text(st, 1, inc->id);
    bind_text(st, 2, a->detector);
    bind_text(st, 3, a->src);
    bind_text(st, 4, a->dst);
    bind_u64(st, 5, a->start_ns);
    bind_u64(st, 6, a->last_ns);
    bind_u64(st, 7, a->reports);
    bind_u64(st, 8, a->packets);
    bind_u64(st, 9, a->peak_pps);
    bind_u64(st, 10, a->peak_bps);
    sqlite3_bind_int(st, 11, a->ended);
    bind_text(st, 12, a->signature);
    bind_text(st, 13, a->tree);
    r = step_done(s, st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_attackers; i++) {
    const wd_store_attacker_t *a = &inc->attackers[i];
    if (!(st = stmt(s, Q_ATTACKER_PUT)))
      return WD_ERR_IO;
    bind_text(st, 1, inc->id);
    bind_text(st, 2, a->ip);
    bind_text(st, 3, a->role);
    bind_text(st, 4, a->country);
    sqlite3_bind_int64(st, 5, a->asn);
    bind_text(st, 6, a->as_org);
    sqlite3_bind_int(st, 7, a->reliable);
    bind_text(st, 8, a->reason);
    bind_text(st, 9, a->party);
    bind_text(st, 10, a->matched_by);
    r = step_done(s, st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_targets; i++) {
    const wd_store_target_t *t = &inc->targets[i];
    if (!(st = stmt(s, Q_TARGET_PUT)))
      return WD_ERR_IO;
    bind_text(st, 1, inc->id);
    bind_text(st, 2, t->ip);
    bind_text(st, 3, t->facility);
    bind_text(st, 4, t->sector);
    r = step_done(s, st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_hosts; i++) {
    const wd_store_host_t *h = &inc->hosts[i];
    if (!(st = stmt(s, Q_HOST_PUT)))
      return WD_ERR_IO;
    bind_text(st, 1, inc->id);
    bind_text(st, 2, h->ip);
    bind_u64(st, 3, h->infected_ns);
    bind_text(st, 4, h->infected_by);
    bind_u64(st, 5, h->active_ns);
    r = step_done(s, st);
  }
  if (r == WD_OK) {
    if (!(st = stmt(s, Q_TOTALS)))
      return WD_ERR_IO;
    bind_text(st, 1, inc->id);
    r = step_done(s, st);
  }
  return r;
}

wd_rc wd_store_incident_set_evidence(wd_store_t *s, const char *id,
                                     const char *path, const char *sha256,
                                     uint64_t packets) {
  bool own = sqlite3_get_autocommit(s->db);
  wd_rc r = own ? wd_store_begin(s) : WD_OK;
  if (r != WD_OK)
    return r;
  sqlite3_stmt *st = stmt(s, Q_EVIDENCE);
  if (!st)
    r = WD_ERR_IO;
  else {
    bind_text(st, 1, id);
    bind_text(st, 2, path);
    bind_text(st, 3, sha256);
    bind_u64(st, 4, packets);
    r = step_done(s, st);
    if (r == WD_OK && sqlite3_changes(s->db) == 0) {
      snprintf(s->msg, sizeof s->msg, "no incident %s", id);
      r = WD_ERR_NOTFOUND;
    }
  }
  if (own) {
    if (r == WD_OK)
      r = wd_store_commit(s);
    else
      wd_store_rollback(s);
  }
  return r;
}

static int status_rank(const char *st) {
  static const char *const order[] = {"new", "notified", "answered", "closed"};
  for (int i = 0; i < 4; i++)
    if (strcmp(st, order[i]) == 0)
      return i;
  return -1;
}

static wd_rc set_status(wd_store_t *s, const char *id, const char *status);

wd_rc wd_store_incident_set_status(wd_store_t *s, const char *id,
                                   const char *status) {
  bool own = sqlite3_get_autocommit(s->db);
  wd_rc r = own ? wd_store_begin(s) : WD_OK;
  if (r != WD_OK)
    return r;
  r = set_status(s, id, status);
  if (own) {
    if (r == WD_OK)
      r = wd_store_commit(s);
    else
      wd_store_rollback(s);
  }
  return r;
}

/* Reads the status and moves it forward, inside the caller's transaction
 * (so no other writer changes it in between). */
static wd_rc set_status(wd_store_t *s, const char *id, const char *status) {
  int want = status_rank(status);
  if (want < 0) {
    snprintf(s->msg, sizeof s->msg, "unknown status");
    return WD_ERR_INVAL;
  }
  sqlite3_stmt *st = stmt(s, Q_STATUS_GET);
  if (!st)
    return WD_ERR_IO;
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  char cur[16] = "";
  if (rc == SQLITE_ROW)
    col_text(st, 0, cur, sizeof cur);
  done(st);
  if (rc == SQLITE_DONE) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", id);
    return WD_ERR_NOTFOUND;
  }
  if (rc != SQLITE_ROW)
    return db_rc(s, rc);
  int have = status_rank(cur);
  if (want < have) {
    snprintf(s->msg, sizeof s->msg, "%s is %s, cannot go back to %s", id, cur,
             status);
    return WD_ERR_STATE;
  }
  if (want == have)
    return WD_OK;
  if (!(st = stmt(s, Q_STATUS_SET)))
    return WD_ERR_IO;
  bind_text(st, 1, id);
  bind_text(st, 2, status);
  return step_done(s, st);
}

void wd_store_incident_fini(wd_store_incident_t *inc) {
  if (!inc || !inc->owned)
    return;
  free(inc->attackers);
  free(inc->targets);
  free(inc->hosts);
  free(inc->attacks);
  inc->attackers = NULL;
  inc->targets = NULL;
  inc->hosts = NULL;
  inc->attacks = NULL;
  inc->n_attackers = inc->n_targets = inc->n_hosts = inc->n_attacks = 0;
}

/* Rows of one child query into a growing array of elem-sized records. */
typedef void (*row_fn)(sqlite3_stmt *st, void *rec);

static wd_rc get_rows(wd_store_t *s, int q, const char *id, size_t elem,
                      row_fn fn, void **arr, size_t *n) {
  sqlite3_stmt *st = stmt(s, q);
  if (!st)
    return WD_ERR_IO;
  bind_text(st, 1, id);
  size_t cap = 0;
  wd_rc r = WD_OK;
  int rc;
  *arr = NULL;
  *n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      void *na = realloc(*arr, nc * elem);
      if (!na) {
        r = WD_ERR_NOMEM;
        break;
      }
      *arr = na;
      cap = nc;
    }
    char *rec = (char *)*arr + *n * elem;
    memset(rec, 0, elem);
    fn(st, rec);
    (*n)++;
  }
  if (r == WD_OK && rc != SQLITE_DONE)
    r = db_rc(s, rc);
  done(st);
  return r;
}

static void row_attacker(sqlite3_stmt *st, void *rec) {
  wd_store_attacker_t *a = rec;
  col_text(st, 0, a->ip, sizeof a->ip);
  col_text(st, 1, a->role, sizeof a->role);
  col_text(st, 2, a->country, sizeof a->country);
  a->asn = (uint32_t)col_u64(st, 3);
  col_text(st, 4, a->as_org, sizeof a->as_org);
  a->reliable = sqlite3_column_int(st, 5) != 0;
  col_text(st, 6, a->reason, sizeof a->reason);
  col_text(st, 7, a->party, sizeof a->party);
  col_text(st, 8, a->matched_by, sizeof a->matched_by);
}

static void row_target(sqlite3_stmt *st, void *rec) {
  wd_store_target_t *t = rec;
  col_text(st, 0, t->ip, sizeof t->ip);
  col_text(st, 1, t->facility, sizeof t->facility);
  col_text(st, 2, t->sector, sizeof t->sector);
}

static void row_host(sqlite3_stmt *st, void *rec) {
  wd_store_host_t *h = rec;
  col_text(st, 0, h->ip, sizeof h->ip);
  h->infected_ns = col_u64(st, 1);
  col_text(st, 2, h->infected_by, sizeof h->infected_by);
  h->active_ns = col_u64(st, 3);
}

static void row_attack(sqlite3_stmt *st, void *rec) {
  wd_store_attack_t *a = rec;
  col_text(st, 0, a->detector, sizeof a->detector);
  col_text(st, 1, a->src, sizeof a->src);
  col_text(st, 2, a->dst, sizeof a->dst);
  a->start_ns = col_u64(st, 3);
  a->last_ns = col_u64(st, 4);
  a->reports = col_u64(st, 5);
  a->packets = col_u64(st, 6);
  a->peak_pps = col_u64(st, 7);
  a->peak_bps = col_u64(st, 8);
  a->ended = sqlite3_column_int(st, 9) != 0;
  col_text(st, 10, a->signature, sizeof a->signature);
  col_text(st, 11, a->tree, sizeof a->tree);
}

wd_rc wd_store_incident_get(wd_store_t *s, const char *id,
                            wd_store_incident_t *out) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = stmt(s, Q_INC_GET);
  if (!st)
    return WD_ERR_IO;
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    done(st);
    if (rc == SQLITE_DONE) {
      snprintf(s->msg, sizeof s->msg, "no incident %s", id);
      return WD_ERR_NOTFOUND;
    }
    return db_rc(s, rc);
  }
  int c = 0;
  col_text(st, c++, out->id, sizeof out->id);
  col_text(st, c++, out->corr_key, sizeof out->corr_key);
  col_text(st, c++, out->line, sizeof out->line);
  col_text(st, c++, out->rsit_class, sizeof out->rsit_class);
  col_text(st, c++, out->rsit_type, sizeof out->rsit_type);
  out->class_rank = sqlite3_column_int(st, c++);
  out->severity = (uint8_t)sqlite3_column_int(st, c++);
  out->priority = sqlite3_column_int(st, c++);
  col_text(st, c++, out->status, sizeof out->status);
  out->active = sqlite3_column_int(st, c++) != 0;
  col_text(st, c++, out->facility, sizeof out->facility);
  col_text(st, c++, out->sector, sizeof out->sector);
  col_text(st, c++, out->criticality, sizeof out->criticality);
  out->first_ns = col_u64(st, c++);
  out->last_ns = col_u64(st, c++);
  out->alerts = col_u64(st, c++);
  out->packets = col_u64(st, c++);
  out->peak_pps = col_u64(st, c++);
  out->peak_bps = col_u64(st, c++);
  out->spoofed = sqlite3_column_int(st, c++) != 0;
  out->sources = col_u64(st, c++);
  col_text(st, c++, out->summary, sizeof out->summary);
  wd_store_party_t *p = &out->party;
  p->set = sqlite3_column_type(st, c) != SQLITE_NULL;
  col_text(st, c++, p->name, sizeof p->name);
  col_text(st, c++, p->kind, sizeof p->kind);
  col_text(st, c++, p->email, sizeof p->email);
  col_text(st, c++, p->format, sizeof p->format);
  col_text(st, c++, p->language, sizeof p->language);
  p->deadline_hours = (uint32_t)col_u64(st, c++);
  col_text(st, c++, p->pgp_fingerprint, sizeof p->pgp_fingerprint);
  col_text(st, c++, p->matched_by, sizeof p->matched_by);
  col_text(st, c++, out->evidence_path, sizeof out->evidence_path);
  col_text(st, c++, out->evidence_sha256, sizeof out->evidence_sha256);
  out->evidence_packets = col_u64(st, c++);
  col_text(st, c++, out->attribution, sizeof out->attribution);
  done(st);

  out->owned = true;
  char key[WD_STORE_ID_LEN];
  snprintf(key, sizeof key, "%s", out->id);
  void *arr;
  wd_rc r = get_rows(s, Q_ATTACKERS_GET, key, sizeof(wd_store_attacker_t),
                     row_attacker, &arr, &out->n_attackers);
  out->attackers = arr;
  if (r == WD_OK) {
    r = get_rows(s, Q_TARGETS_GET, key, sizeof(wd_store_target_t), row_target,
                 &arr, &out->n_targets);
    out->targets = arr;
  }
  if (r == WD_OK) {
    r = get_rows(s, Q_HOSTS_GET, key, sizeof(wd_store_host_t), row_host, &arr,
                 &out->n_hosts);
    out->hosts = arr;
  }
  if (r == WD_OK) {
    r = get_rows(s, s->version < 4 ? Q_ATTACKS_GET_V2 : Q_ATTACKS_GET, key,
                 sizeof(wd_store_attack_t), row_attack, &arr, &out->n_attacks);
    out->attacks = arr;
  }
  if (r != WD_OK)
    wd_store_incident_fini(out);
  return r;
}

wd_rc wd_store_incident_ids(wd_store_t *s, const wd_store_filter_t *f,
                            char (**ids)[WD_STORE_ID_LEN], size_t *n) {
  /* Fixed SQL: each filter is "?N IS NULL OR ..." so no text is built. */
  static const char sql[] =
      "SELECT id FROM incidents i WHERE"
      " (?1 IS NULL OR i.last_ns >= ?1) AND (?2 IS NULL OR i.first_ns < ?2)"
      " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM incident_attackers a"
      "  WHERE a.incident_id = i.id AND a.country = ?3 COLLATE NOCASE))"
      " AND (?4 IS NULL OR i.sector = ?4 COLLATE NOCASE OR EXISTS"
      "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"
      "   AND t.sector = ?4 COLLATE NOCASE))"
      " AND (?5 IS NULL OR i.facility = ?5 OR EXISTS"
      "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"
      "   AND t.facility = ?5))"
      " AND (?6 IS NULL OR i.class = ?6 COLLATE NOCASE"
      "  OR i.type = ?6 COLLATE NOCASE)"
      " AND (?7 IS NULL OR i.status = ?7 COLLATE NOCASE)"
      " ORDER BY i.first_ns DESC, i.id DESC LIMIT ?8";
  sqlite3_stmt *st;
  *ids = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_rc(s, sqlite3_errcode(s->db));
  if (f && f->since_ns)
    bind_u64(st, 1, f->since_ns);
  if (f && f->until_ns)
    bind_u64(st, 2, f->until_ns);
  if (f && f->country)
    bind_text(st, 3, f->country);
  if (f && f->sector)
    bind_text(st, 4, f->sector);
  if (f && f->facility)
    bind_text(st, 5, f->facility);
  if (f && f->rsit_class)
    bind_text(st, 6, f->rsit_class);
  if (f && f->status)
    bind_text(st, 7, f->status);
  sqlite3_bind_int64(st, 8, f && f->limit ? (int64_t)f->limit : -1);
  size_t cap = 0;
  int rc;
  wd_rc r = WD_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      void *na = realloc(*ids, nc * sizeof **ids);
      if (!na) {
        r = WD_ERR_NOMEM;
        break;
      }
      *ids = na;
      cap = nc;
    }
    col_text(st, 0, (*ids)[*n], WD_STORE_ID_LEN);
    (*n)++;
  }
  if (r == WD_OK && rc != SQLITE_DONE)
    r = db_rc(s, rc);
  sqlite3_finalize(st);
  if (r != WD_OK) {
    free(*ids);
    *ids = NULL;
    *n = 0;
  }
  return r;
}
