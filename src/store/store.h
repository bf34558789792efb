/* store.h -- ward's SQLite database: incidents, their attackers, targets,
 * infected hosts, alerts and evidence (and, by later migrations, the
 * notification outbox).
 * In: incident records built by src/incident (borrowed for the call).
 * Out: records read back into caller storage (wd_store_incident_fini frees
 * their arrays), JSON views (store_json.c). Memory: the wd_store_t owns the
 * connection and its prepared statements; nothing else outlives a call.
 * Durability: WAL journal, one transaction per logical change (the caller
 * brackets a batch with wd_store_begin/commit). Every write is an
 * idempotent upsert keyed by stable keys (incident id, attack start time,
 * address), merging with MIN/MAX, so replaying the same traffic after a
 * crash or a second `ward analyze` completes instead of duplicating.
 * Values never enter SQL text: prepared statements only.
 * Threads: one wd_store_t per thread: the thread that opens it is its
 * owner and the only one to use it (checked: see wd_store_owner_is_caller).
 * Fault injection for tests: WARD_TEST_STORE_DELAY_MS=N (read at open)
 * sleeps N ms in every commit, as a slow disk would. */
#ifndef WD_STORE_STORE_H
#define WD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/net.h"
#include "core/rc.h"

/* ---- schema migrations (store_schema.c) ---- */

/* One step of the schema. Versions are 1, 2, 3, ... in array order; the
 * database's PRAGMA user_version says how many were applied. A later stage
 * (notifications) appends its own tables as the next entry of
 * wd_store_migrations[] in store_schema.c; entries are never edited once
 * released. Each step runs in its own transaction with the version bump. */
typedef struct wd_store_migration {
  int version;      /* 1-based, equal to its position + 1 */
  const char *name; /* one line: what it adds */
  const char *sql;  /* statements separated by ';' (no values pasted) */
} wd_store_migration_t;

extern const wd_store_migration_t wd_store_migrations[];
extern const size_t wd_store_migrations_count;

/* ---- records ---- */

#define WD_STORE_ID_LEN 24   /* "WARD-2026-000042" + NUL, with room */
#define WD_STORE_KEY_LEN 256 /* correlation key */
#define WD_STORE_TEXT_LEN 256
#define WD_STORE_PATH_LEN 1024

/* A responsible party from the directory, as recorded with an incident or
 * an attacker. set is false when none matched (then matched_by says why). */
typedef struct wd_store_party {
  bool set;
  char name[WD_NAME_MAX];
  char kind[32]; /* national-cert | isp-abuse | facility-soc | ... */
  char email[256];
  char format[16]; /* iodef | stix | text */
  char language[16];
  uint32_t deadline_hours;
  char pgp_fingerprint[128];
  char matched_by[160]; /* "prefix 89.160.0.0/16", "asn 29518", ... */
} wd_store_party_t;

/* One attacking (or reflecting) address and its attribution. */
typedef struct wd_store_attacker {
  char ip[WD_ADDR_STRLEN];
  char role[16];   /* "attacker" | "reflector" */
  char country[4]; /* ISO 3166 alpha-2, "" when unknown */
  uint32_t asn;    /* 0 when unknown */
  char as_org[128];
  bool reliable;           /* false: the source address proves nothing */
  char reason[160];        /* why (un)reliable / unknown */
  char party[WD_NAME_MAX]; /* matched party name, "" if none */
  char matched_by[160];
} wd_store_attacker_t;

typedef struct wd_store_target {
  char ip[WD_ADDR_STRLEN];
  char facility[WD_NAME_MAX]; /* "" when outside every facility */
  char sector[24];
} wd_store_target_t;

/* A host of a worm outbreak. infected_ns: when another host's exploit or
 * fan-out reached it before its own activity (0: not seen being infected);
 * active_ns: when its own fan-out/exploitation began (0: never). */
typedef struct wd_store_host {
  char ip[WD_ADDR_STRLEN];
  uint64_t infected_ns;
  char infected_by[WD_ADDR_STRLEN]; /* "" when unknown (patient zero) */
  uint64_t active_ns;
} wd_store_host_t;

/* One attack (START..END of one detector's attack) inside an incident.
 * Stable key: detector, src, dst, start_ns. Counters only grow. */
typedef struct wd_store_attack {
  char detector[64];
  char src[WD_ADDR_STRLEN]; /* "" when spoofed/unknown */
  char dst[WD_ADDR_STRLEN];
  uint64_t start_ns, last_ns;
  uint64_t reports; /* alerts received: start + updates + end */
  uint64_t packets, peak_pps, peak_bps;
  bool ended;
  char signature[160];
  char tree[WD_SMB_PATH_MAX]; /* SMB share path from the alerts, "" none */
} wd_store_attack_t;

typedef struct wd_store_incident {
  char id[WD_STORE_ID_LEN];        /* WARD-<year>-<6 digits> */
  char corr_key[WD_STORE_KEY_LEN]; /* line|attacker|facility|target */
  char line[16];                   /* "intrusion" | "worm" | "ddos" */
  char rsit_class[48];             /* most serious stage reached */
  char rsit_type[48];
  int class_rank;             /* order of stages: higher wins */
  uint8_t severity;           /* 1 (critical) .. 4 (low) */
  int priority;               /* sort key: detector severity + criticality */
  char status[16];            /* new | notified | answered | closed */
  bool active;                /* alerts within the quiet window */
  char facility[WD_NAME_MAX]; /* target facility, "" if none */
  char sector[24];
  char criticality[16];
  uint64_t first_ns, last_ns;
  uint64_t alerts, packets, peak_pps, peak_bps; /* from the attacks */
  bool spoofed;                                 /* sources proven unreliable */
  uint64_t sources; /* distinct sources/reflectors (estimate) */
  char attribution[WD_STORE_TEXT_LEN]; /* how far the sources can be
                                          trusted, one line */
  char summary[WD_STORE_TEXT_LEN];
  wd_store_party_t party;
  char evidence_path[WD_STORE_PATH_LEN]; /* "" until written */
  char evidence_sha256[65];
  uint64_t evidence_packets;

  wd_store_attacker_t *attackers;
  size_t n_attackers;
  wd_store_target_t *targets;
  size_t n_targets;
  wd_store_host_t *hosts; /* read back in order of infection */
  size_t n_hosts;
  wd_store_attack_t *attacks;
  size_t n_attacks;
  bool owned; /* arrays allocated by wd_store_incident_get */
} wd_store_incident_t;

/* Filters of wd_store_incident_ids; zero/NULL fields do not filter. */
typedef struct wd_store_filter {
  uint64_t since_ns, until_ns; /* incident overlaps [since, until) */
  const char *country;         /* an attacker in this country */
  const char *sector, *facility, *rsit_class, *status;
  size_t limit; /* 0: no limit */
} wd_store_filter_t;

typedef struct wd_store wd_store_t;

/* How long a connection waits for a lock another process holds (one
 * transaction of another `ward analyze`, `ward notify`, a migration)
 * before giving up with "database is locked": db.busy_timeout. */
#define WD_STORE_BUSY_TIMEOUT_MS 10000u

/* wd_store_opts_t.flags */
enum {
  /* Open an existing database only: never create the file, never apply
   * migrations, refuse every write (wd_store_begin says WD_ERR_STATE).
   * A missing file is WD_ERR_NOTFOUND with "PATH: no such database"; a
   * file without ward's schema is WD_ERR_INVAL ("not a ward database").
   * A database of an older ward is read as it is (a write command
   * upgrades it). For the commands that only read. */
  WD_STORE_READONLY = 1u << 0
};

typedef struct wd_store_opts {
  unsigned flags;           /* WD_STORE_* */
  uint32_t busy_timeout_ms; /* 0: WD_STORE_BUSY_TIMEOUT_MS */
} wd_store_opts_t;

/* Opens (creating) path, sets WAL and applies every pending migration.
 * Several processes may open the same new database at once: each
 * migration step runs under BEGIN EXCLUSIVE and re-reads user_version
 * inside it, so the later ones wait and find it done. A database newer
 * than this ward (user_version above the list) is refused. On failure err
 * holds one line "path: what". Waits up to WD_STORE_BUSY_TIMEOUT_MS for
 * locks. */
wd_rc wd_store_open(const char *path, wd_store_t **out, char *err,
                    size_t errlen);
/* As wd_store_open with options (opts may be NULL: the defaults). */
wd_rc wd_store_open_opts(const char *path, const wd_store_opts_t *opts,
                         wd_store_t **out, char *err, size_t errlen);
/* wd_store_open_opts with WD_STORE_READONLY and the default timeout. */
wd_rc wd_store_open_readonly(const char *path, wd_store_t **out, char *err,
                             size_t errlen);
/* As wd_store_open, applying migrations only up to version (tests). */
wd_rc wd_store_open_to(const char *path, int version, wd_store_t **out,
                       char *err, size_t errlen);
void wd_store_close(wd_store_t *s);

/* Ownership: true on the thread that opened s (or adopted it). A call
 * from any other thread is counted (wd_store_foreign_calls) and logged;
 * it aborts in debug builds (no NDEBUG) and when WARD_STORE_THREAD_CHECK
 * is "abort" at open ("log" only logs). */
bool wd_store_owner_is_caller(const wd_store_t *s);
uint64_t wd_store_foreign_calls(const wd_store_t *s);
/* Hands s to the calling thread (the previous owner must be done). */
void wd_store_adopt(wd_store_t *s);
/* Tests: fn(user) runs in every wd_store_commit, on the committing
 * thread, before the COMMIT (NULL: none). Process-wide. */
void wd_store_set_commit_hook(void (*fn)(void *user), void *user);

/* PRAGMA user_version now. */
int wd_store_version(wd_store_t *s);
/* The connection, borrowed until wd_store_close (later stages' queries). */
struct sqlite3 *wd_store_db(wd_store_t *s);
/* Last error text of this store (one line), valid until the next call. */
const char *wd_store_errmsg(wd_store_t *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Every write transaction starts
 * with wd_store_begin: it takes the write lock at once (waiting up to the
 * busy timeout for another process's transaction to end), so a
 * transaction never has to upgrade a stale read snapshot. Writes outside
 * one (set_evidence, set_status) open their own the same way. */
wd_rc wd_store_begin(wd_store_t *s);
wd_rc wd_store_commit(wd_store_t *s);
void wd_store_rollback(wd_store_t *s);

/* Inside a transaction: the incident with this correlation key whose
 * [first_seen - window, last_seen + window] holds t_ns, most recent first;
 * WD_ERR_NOTFOUND when none. */
wd_rc wd_store_incident_find(wd_store_t *s, const char *corr_key, uint64_t t_ns,
                             uint64_t window_ns, char id[WD_STORE_ID_LEN]);
/* Inside a transaction: the next id of year (WARD-2026-000001, ...). */
wd_rc wd_store_incident_new_id(wd_store_t *s, int year,
                               char id[WD_STORE_ID_LEN]);
/* Inside a transaction: inserts or merges inc (its id must be set) with
 * its attackers, targets, hosts and attacks; totals are recomputed from
 * the stored attacks. Status is never changed here (new on insert). */
wd_rc wd_store_incident_put(wd_store_t *s, const wd_store_incident_t *inc);
/* Records the evidence capture (own transaction if none is open). */
wd_rc wd_store_incident_set_evidence(wd_store_t *s, const char *id,
                                     const char *path, const char *sha256,
                                     uint64_t packets);
/* Moves the workflow status forward: new -> notified -> answered ->
 * closed (closed from any; never backwards: WD_ERR_STATE). Own
 * transaction if none is open. */
wd_rc wd_store_incident_set_status(wd_store_t *s, const char *id,
                                   const char *status);
/* Reads one incident with all its rows into out (wd_store_incident_fini
 * frees). WD_ERR_NOTFOUND when absent. */
wd_rc wd_store_incident_get(wd_store_t *s, const char *id,
                            wd_store_incident_t *out);
void wd_store_incident_fini(wd_store_incident_t *inc);
/* Ids matching f, newest first (by first_seen), into a malloc'ed array
 * the caller frees. */
wd_rc wd_store_incident_ids(wd_store_t *s, const wd_store_filter_t *f,
                            char (**ids)[WD_STORE_ID_LEN], size_t *n);

/* ---- JSON (store_json.c) ---- */

struct json_t;
/* The documented JSON form of an incident (docs/incidents.md); a new
 * reference the caller json_decref()s, NULL when out of memory. */
struct json_t *wd_store_incident_json(const wd_store_incident_t *inc);
/* "2026-02-04T22:49:29.123456Z" from nanoseconds since the epoch. */
char *wd_store_time_str(uint64_t ns, char out[40]);

#endif
