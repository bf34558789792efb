/* store_int.h -- what the store's engines share with the generic code
 * (store.c, store_notify.c): the table of function pointers one engine
 * fills (curl's lib/vtls/vtls.h `struct Curl_ssl`, SQLite's sqlite3_vfs),
 * the named statements, and the migrations.
 * Model: every named store function (store.h) is written once, in
 * store.c / store_notify.c, over a small statement interface: prepare
 * statement Q_x, bind values by position (?1 / $1 in the SQL), step through
 * its rows, read columns. Each engine holds its own SQL text for every Q_x
 * (store_sqlite.c, store_pg.c), prepared once per connection on first use,
 * binding the same values at the same positions. A statement the engine
 * does not need is NULL (then the generic code skips it, e.g. the
 * correlation locks on SQLite).
 * Memory: an engine's store struct embeds wd_store_t first and its
 * statements embed wd_store_stmt_t first; both are the engine's to free
 * (close). Text and blob columns are valid until the next step or done of
 * the statement. Threads: as store.h, one store per thread. */
#ifndef WD_STORE_STORE_INT_H
#define WD_STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

/* The intel columns of incident_attacks as both engines write and read
 * them: in this order; none for a database before WD_STORE_V_INTEL; an
 * upsert keeps the indicator it has unless the new row names one (p: the
 * table's alias and a dot, or ""). */
#define INTEL_COLS                                                             \
  " intel_value, intel_type, intel_feed, intel_ref, intel_field, intel_stix"
#define INTEL_NONE " '', '', '', '', '', ''"
#define INTEL_KEEP1(p, c)                                                      \
  " " c " = CASE WHEN excluded.intel_value <> '' THEN excluded." c             \
  " ELSE " p c " END"
#define INTEL_KEEP(p)                                                                \
  INTEL_KEEP1(p, "intel_value")                                                      \
  "," INTEL_KEEP1(p, "intel_type") "," INTEL_KEEP1(p, "intel_feed") "," INTEL_KEEP1( \
      p, "intel_ref") "," INTEL_KEEP1(p,                                             \
                                      "intel_field") "," INTEL_KEEP1(p,              \
                                                                     "intel_"        \
                                                                     "stix")

/* The named statements, one per query of a named function. */
enum {
  /* incidents */
  Q_FIND,
  Q_SEQ_NEXT,
  Q_CORR_LOCK,
  Q_INC_PUT,
  Q_ATTACK_PUT,
  Q_ATTACKER_PUT,
  Q_TARGET_PUT,
  Q_HOST_PUT,
  Q_SENSOR_PUT,
  Q_TOTALS,
  Q_EVIDENCE,
  Q_STATUS_GET,
  Q_STATUS_SET,
  Q_INC_LOCK,
  Q_INC_GET,
  Q_ATTACKERS_GET,
  Q_TARGETS_GET,
  Q_HOSTS_GET,
  Q_ATTACKS_GET,
  Q_ATTACKS_GET_V3, /* a database read as it is before version 4 (tree) */
  Q_ATTACKS_GET_V7, /* before WD_STORE_V_INTEL (the matched indicator) */
  Q_SENSORS_GET,
  Q_IDS_NEWEST,
  Q_IDS_OLDEST,
  /* notifications */
  Q_NOTICE_ADD,
  Q_NOTICE_GET,
  Q_NOTICE_FIRST,
  Q_NOTICE_BY_MSGID,
  Q_NOTICE_BY_INCIDENT,
  Q_NOTICE_DUE,
  Q_NOTICE_OVERDUE,
  Q_NOTICE_LIST,
  Q_NOTICE_SET_MESSAGE,
  Q_NOTICE_MESSAGE,
  Q_NOTICE_SENDING,
  Q_NOTICE_COUNT_ATTEMPT,
  Q_NOTICE_SENT,
  Q_NOTICE_RETRY,
  Q_NOTICE_FAIL,
  Q_NOTICE_REQUEUE,
  Q_NOTICE_COUNT_REF,
  /* replies and verdicts */
  Q_REPLY_ADD,
  Q_REPLY_LATEST_HUMAN,
  Q_REPLY_JUDGE,
  Q_REPLY_ADD_RECORDED,
  Q_VERDICT_LOG,
  Q_VERDICT_HISTORY,
  /* the report */
  Q_REPORT,
  /* the console and its API (store_serve.c) */
  Q_TOKEN_ADD,
  Q_TOKEN_BY_HASH,
  Q_TOKEN_LIST,
  Q_TOKEN_REVOKE,
  Q_AUDIT_ADD,
  Q_AUDIT_LIST,
  Q_NOTE_ADD,
  Q_NOTES_GET,
  Q_REPLIES_OF,
  Q_NOTICES_OF,
  Q_METRICS,
  /* fleet messages stored by ward ingest */
  Q_FLEET_SEEN,
  Q_FLEET_MARK,
  Q_FLEET_SENSORS,
  Q_INC_EXPIRE,
  /* the directory of responsible parties (store_serve.c) */
  Q_PARTY_LIST,
  Q_PARTY_GET,
  Q_PARTY_ADD,
  Q_PARTY_UPDATE,
  Q_PARTY_DELETE,
  Q_COUNT
};

/* The columns of a notification row, in this order, in every statement
 * that reads one (Q_NOTICE_GET ... Q_NOTICE_LIST); Q_NOTICE_DUE adds a
 * 20th: due now (1/0). */
enum {
  NC_ID,
  NC_INCIDENT,
  NC_PARTY_NAME,
  NC_PARTY_KIND,
  NC_PARTY_EMAIL,
  NC_PARTY_FORMAT,
  NC_DEADLINE,
  NC_SEQ,
  NC_KIND,
  NC_MESSAGE_ID,
  NC_STATE,
  NC_ATTEMPTS,
  NC_CREATED,
  NC_NEXT,
  NC_LAST_ATTEMPT,
  NC_SENT,
  NC_REQUEUED,
  NC_LAST_ERROR,
  NC_HAS_MESSAGE,
  NC_COUNT
};

/* SQL both engines' report statements share. The replies of
 * notification n (by it, another notification of the same incident and
 * party, or only the incident); */
#define WD_SQL_REPLIES_OF                                                      \
  " FROM replies r WHERE (r.notification_id IN (SELECT x.id FROM"              \
  " notifications x WHERE x.incident_id = n.incident_id AND x.party_email"     \
  " = n.party_email) OR (r.notification_id IS NULL AND r.incident_id ="        \
  " n.incident_id))"
/* a reply from someone who is not the party never counts as its answer; */
#define WD_SQL_VERIFIED "r.sender != 'unverified'"
/* a reply's time: its Date when plausible, else when it was received. */
#define WD_SQL_REPLY_TIME                                                      \
  "CASE WHEN r.date_ns > 0 AND r.date_ns <= r.received_ns THEN r.date_ns"      \
  " ELSE r.received_ns END"

/* One step of the schema. Versions are 1, 2, 3, ... in array order; the
 * database records how many were applied (SQLite: PRAGMA user_version;
 * PostgreSQL: the rows of schema_version). Both engines have the same
 * numbers with the same meaning; entries are never edited once released
 * (store_schema.c). */
typedef struct wd_store_migration {
  int version;      /* 1-based, equal to its position + 1 */
  const char *name; /* one line: what it adds */
  const char *sql;  /* statements separated by ';' (no values pasted) */
} wd_store_migration_t;

extern const wd_store_migration_t wd_store_sqlite_migrations[];
extern const wd_store_migration_t wd_store_pg_migrations[];

typedef struct wd_store_engine wd_store_engine_t;

/* What every store has, whatever its engine (first member of the
 * engine's struct). */
struct wd_store {
  const wd_store_engine_t *e;
  char name[WD_STORE_PATH_LEN]; /* path or URL, password hidden */
  char msg[512];                /* last error, one line */
  uint32_t busy_ms;             /* lock waits: db.busy_timeout */
  bool readonly;                /* WD_STORE_READONLY: writes refused */
  int version;                  /* schema version once open */
  unsigned seed;                /* pauses of wd_store_retry (rand_r) */
  pthread_t owner;   /* the thread that opened it: the only one to use it */
  bool thread_abort; /* abort on a call from another thread */
  _Atomic uint64_t foreign; /* calls from another thread */
  uint32_t delay_ms;        /* WARD_TEST_STORE_DELAY_MS: every commit */
};

/* The connection belongs to the thread that opened it (store.h): a call
 * from another thread is logged and counted, and aborts when
 * thread_abort is set (store.c). */
void wd_store_owner_check(wd_store_t *s, const char *what);

/* A prepared statement (first member of the engine's statement). */
typedef struct wd_store_stmt {
  wd_store_t *s;
  int q;
} wd_store_stmt_t;

struct wd_store_engine {
  const char *name;       /* "sqlite", "postgresql" */
  const char *const *sql; /* [Q_COUNT], NULL entries: not needed */
  /* Opens target (a path, or a libpq connection string/URI), migrates up
   * to version unless read-only, and returns the store with name, busy_ms,
   * readonly and version set; err "name: what" on failure. */
  wd_rc (*open)(const char *target, const char *name, int version,
                const wd_store_opts_t *o, wd_store_t **out, char *err,
                size_t errlen);
  void (*close)(wd_store_t *s);
  int (*schema_version)(wd_store_t *s);
  wd_rc (*begin)(wd_store_t *s);
  wd_rc (*commit)(wd_store_t *s);
  void (*rollback)(wd_store_t *s);
  bool (*in_transaction)(wd_store_t *s);
  wd_rc (*exclusive)(wd_store_t *s, const char *what, char *err, size_t errlen);
  /* Statement q, prepared on first use, with every value unbound (NULL);
   * NULL with s->msg on failure. */
  wd_store_stmt_t *(*prepare)(wd_store_t *s, int q);
  /* Values, by position from 1; a text or blob is borrowed until the
   * statement's first step. NULL text binds NULL. */
  void (*bind_text)(wd_store_stmt_t *st, int i, const char *v);
  void (*bind_i64)(wd_store_stmt_t *st, int i, int64_t v);
  void (*bind_null)(wd_store_stmt_t *st, int i);
  void (*bind_blob)(wd_store_stmt_t *st, int i, const void *p, size_t n);
  /* WD_OK: a row is there; WD_END: no more rows (or done, for a statement
   * without rows); otherwise an error with s->msg (WD_ERR_CONFLICT: lost a
   * race, run the transaction again). */
  wd_rc (*step)(wd_store_stmt_t *st);
  bool (*col_null)(wd_store_stmt_t *st, int i);        /* columns from 0 */
  const char *(*col_text)(wd_store_stmt_t *st, int i); /* never NULL */
  int64_t (*col_i64)(wd_store_stmt_t *st, int i);
  const void *(*col_blob)(wd_store_stmt_t *st, int i, size_t *n);
  /* Rows the last step inserted, updated or deleted. */
  uint64_t (*changes)(wd_store_stmt_t *st);
  /* Ends the use of the statement (its values and rows let go). */
  void (*done)(wd_store_stmt_t *st);
};

extern const wd_store_engine_t wd_store_sqlite_engine;
extern const wd_store_engine_t wd_store_pg_engine;

/* ---- helpers of the generic code ---- */

static inline wd_store_stmt_t *st_prep(wd_store_t *s, int q) {
  wd_store_owner_check(s, "query");
  return s->e->prepare(s, q);
}
static inline void st_text(wd_store_stmt_t *st, int i, const char *v) {
  st->s->e->bind_text(st, i, v);
}
static inline void st_i64(wd_store_stmt_t *st, int i, int64_t v) {
  st->s->e->bind_i64(st, i, v);
}
/* Nanosecond times and counters: they fit in int64 until 2262. */
static inline void st_u64(wd_store_stmt_t *st, int i, uint64_t v) {
  st->s->e->bind_i64(st, i, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}
static inline void st_null(wd_store_stmt_t *st, int i) {
  st->s->e->bind_null(st, i);
}
static inline void st_blob(wd_store_stmt_t *st, int i, const void *p,
                           size_t n) {
  st->s->e->bind_blob(st, i, p, n);
}
static inline wd_rc st_step(wd_store_stmt_t *st) { return st->s->e->step(st); }
static inline void st_done(wd_store_stmt_t *st) { st->s->e->done(st); }
static inline bool col_null(wd_store_stmt_t *st, int i) {
  return st->s->e->col_null(st, i);
}
static inline int64_t col_i64(wd_store_stmt_t *st, int i) {
  return st->s->e->col_i64(st, i);
}
static inline uint64_t col_u64(wd_store_stmt_t *st, int i) {
  int64_t v = st->s->e->col_i64(st, i);
  return v < 0 ? 0 : (uint64_t)v;
}
static inline void col_copy(wd_store_stmt_t *st, int i, char *out, size_t n) {
  const char *t = st->s->e->col_text(st, i);
  size_t l = strlen(t);
  if (n == 0)
    return;
  if (l >= n)
    l = n - 1;
  memcpy(out, t, l);
  out[l] = '\0';
}

/* Runs a prepared statement without rows to its end; WD_OK or its error.
 * The statement is done afterwards. */
wd_rc wd_store_run(wd_store_stmt_t *st);

/* "... database is locked: another ward held it for more than N ms
 * (db.busy_timeout)" into s->msg. */
void wd_store_msg_locked(wd_store_t *s);

/* 32-bit FNV-1a of a correlation key (the lock of wd_store_corr_lock). */
uint32_t wd_store_key_hash(const char *key);

/* Advisory lock classes of ward on PostgreSQL (the first of the two keys
 * of pg_advisory_lock(int, int)): 0x57415244 is "WARD". */
#define WD_STORE_PG_LOCK_MIGRATE 0x57415244
#define WD_STORE_PG_LOCK_CORR 0x57415245
#define WD_STORE_PG_LOCK_EXCLUSIVE 0x57415246

#endif
