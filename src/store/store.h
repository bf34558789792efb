/* store.h -- ward's database: incidents (their attackers, targets,
 * infected hosts, attacks and the sensors that saw them), notifications,
 * replies, verdicts and what the report reads. One interface, two engines:
 * SQLite (store_sqlite.c, the embedded default for one machine) and
 * PostgreSQL (store_pg.c, one shared store for a fleet of sensors and a
 * coordination centre). The engine is chosen once, at open, from the URL:
 *   PATH, sqlite:PATH                         SQLite file
 *   postgresql://user:pass@host:port/db, postgres://...,
 *   "host=/run/postgresql dbname=ward ..."    PostgreSQL (libpq's forms)
 * Callers see an opaque wd_store_t and named functions; no caller sees an
 * engine or writes SQL (docs/store.md).
 * In: records built by src/incident, src/notify (borrowed for the call).
 * Out: records read back into caller storage (wd_store_incident_fini frees
 * an incident's arrays; list functions return one malloc'ed array the
 * caller frees), JSON views (store_json.c).
 * Memory: the wd_store_t owns the connection and its prepared statements
 * (each statement prepared once per connection, on first use); nothing
 * else outlives a call.
 * Durability: one transaction per logical change (the caller brackets a
 * batch with wd_store_begin/commit). Incident writes are idempotent
 * upserts keyed by stable keys (incident id, attack start time, address)
 * merged with MIN/MAX, so replaying the same traffic after a crash or a
 * second `ward analyze` completes instead of duplicating.
 * Concurrency: several processes may write one store. SQLite: writers take
 * the file's write lock at BEGIN (one at a time). PostgreSQL: correlation
 * keys are locked (wd_store_corr_lock) before incidents are found or
 * inserted, incident numbers come from a counter row locked until commit,
 * and a transaction that loses a serialization race or a deadlock says
 * WD_ERR_CONFLICT, to be run again (wd_store_retry).
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

/* Schema version this ward writes. Both engines number their migrations
 * 1 .. WD_STORE_SCHEMA_VERSION the same way (store_schema.c); a database
 * whose version is higher is refused. */
#define WD_STORE_SCHEMA_VERSION 9

/* The version that brought the parties table (the directory of
 * responsible parties kept in the store); a database read as it is before
 * it has no parties, and the directory file is used. */
#define WD_STORE_PARTIES_VERSION 8

/* The version that added the matched indicator of an attack
 * (incident_attacks.intel_*, wd_store_attack_t.intel). */
#define WD_STORE_V_INTEL 9

/* ---- records ---- */

#define WD_STORE_ID_LEN 24   /* "WARD-2026-000042" + NUL, with room */
#define WD_STORE_KEY_LEN 256 /* correlation key */
#define WD_STORE_TEXT_LEN 256
#define WD_STORE_PATH_LEN 1024
#define WD_STORE_SENSOR_LEN 65  /* sensor name: up to 64 bytes (fleet) */
#define WD_STORE_MSGID_LEN 256  /* a Message-ID with its <> */
#define WD_STORE_EMAIL_LEN 256  /* a mail address */
#define WD_STORE_ERROR_LEN 1024 /* last delivery error of a notification */
#define WD_STORE_WHO_LEN 64     /* who recorded a verdict (login name) */

/* A responsible party from the directory, as recorded with an incident or
 * an attacker. set is false when none matched (then matched_by says why). */
typedef struct wd_store_party {
  bool set;
  char name[WD_NAME_MAX];
  char kind[32]; /* national-cert | isp-abuse | facility-soc | ... */
  char email[WD_STORE_EMAIL_LEN];
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

/* The threat-intelligence indicator an intel.match attack matched, from
 * its alerts (value "" for every other attack). */
typedef struct wd_store_intel {
  char value[WD_STORE_TEXT_LEN]; /* normalised: domain, URL, address/len */
  char type[16];                 /* domain-name | url | ipv4-addr | ipv6-addr */
  char feed[64];                 /* the feed's name ("builtin:wannacry") */
  char ref[160];                 /* "line 12", the STIX id, a MISP uuid */
  char field[24]; /* where it was seen: dns.query, tls.sni, ... */
  char stix[WD_INTEL_STIX_MAX + 1]; /* the STIX feed's own indicator as
                                       compact JSON (id, pattern, times);
                                       "" when the feed gave none */
} wd_store_intel_t;

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
  wd_store_intel_t intel;     /* intel.match: the indicator matched */
} wd_store_attack_t;

/* A sensor that saw an incident: its name (the alerts' sensor field,
 * default the host name) and the evidence times of its alerts. Stable
 * key: the name; times merge with MIN/MAX. */
typedef struct wd_store_sensor {
  char name[WD_STORE_SENSOR_LEN];
  uint64_t first_ns, last_ns;
} wd_store_sensor_t;

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
  wd_store_sensor_t *sensors; /* read back by first sighting */
  size_t n_sensors;
  bool owned; /* arrays allocated by wd_store_incident_get */
} wd_store_incident_t;

/* Filters of wd_store_incident_ids; zero/NULL fields do not filter. */
typedef struct wd_store_filter {
  uint64_t since_ns, until_ns; /* incident overlaps [since, until) */
  const char *id;              /* this incident only */
  const char *country;         /* an attacker in this country */
  const char *sector, *facility, *rsit_class, *status;
  bool oldest_first; /* order by first_seen ascending (default: newest) */
  size_t limit;      /* 0: no limit */
} wd_store_filter_t;

typedef struct wd_store wd_store_t;

/* ---- opening ---- */

/* How long a connection waits for a lock another process holds (one
 * transaction of another `ward analyze`, `ward notify`, a migration)
 * before giving up with "database is locked": db.busy_timeout. On
 * PostgreSQL it is the session's lock_timeout. */
#define WD_STORE_BUSY_TIMEOUT_MS 10000u

/* wd_store_opts_t.flags */
enum {
  /* Open an existing database only: never create it, never apply
   * migrations, refuse every write (wd_store_begin says WD_ERR_STATE).
   * A missing database is WD_ERR_NOTFOUND with "NAME: no such database";
   * one without ward's schema is WD_ERR_INVAL ("not a ward database").
   * A database of an older ward is read as it is (a write command
   * upgrades it). For the commands that only read. */
  WD_STORE_READONLY = 1u << 0
};

typedef struct wd_store_opts {
  unsigned flags;           /* WD_STORE_* */
  uint32_t busy_timeout_ms; /* 0: WD_STORE_BUSY_TIMEOUT_MS */
} wd_store_opts_t;

/* Opens url (see the top of this file; a SQLite file is created, a
 * PostgreSQL database must exist) and applies every pending migration.
 * Several processes may open the same new database at once: SQLite runs
 * each step under BEGIN EXCLUSIVE and re-reads user_version inside it;
 * PostgreSQL runs them in one transaction under an advisory lock and
 * re-reads schema_version inside it; so the later ones wait and find it
 * done. A database newer than this ward is refused (WD_ERR_UNSUPPORTED).
 * On failure err holds one line "name: what" (a password in the URL is
 * shown as ***). */
wd_rc wd_store_open(const char *url, wd_store_t **out, char *err,
                    size_t errlen);
/* As wd_store_open with options (opts may be NULL: the defaults). */
wd_rc wd_store_open_opts(const char *url, const wd_store_opts_t *opts,
                         wd_store_t **out, char *err, size_t errlen);
/* wd_store_open_opts with WD_STORE_READONLY and the default timeout. */
wd_rc wd_store_open_readonly(const char *url, wd_store_t **out, char *err,
                             size_t errlen);
/* As wd_store_open, applying migrations only up to version (tests). */
wd_rc wd_store_open_to(const char *url, int version, wd_store_t **out,
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

/* Whether url names a PostgreSQL database (else a SQLite file). */
bool wd_store_url_is_pg(const char *url);
/* url fit for messages and logs: a password is replaced by "***". */
char *wd_store_url_redact(const char *url, char *out, size_t n);

/* Schema version now (-1 when it cannot be read). */
int wd_store_version(wd_store_t *s);
/* "sqlite" or "postgresql" (for messages; callers never branch on it). */
const char *wd_store_engine(const wd_store_t *s);
/* The store's path or URL with its password hidden, for messages. */
const char *wd_store_name(const wd_store_t *s);
/* Last error text of this store (one line), valid until the next call. */
const char *wd_store_errmsg(wd_store_t *s);

/* Holds what (e.g. "notify") for this connection until wd_store_close, so
 * that only one process runs it per store: SQLite an flock on
 * PATH.what-lock, PostgreSQL a session advisory lock (both released even
 * when the process is killed). WD_ERR_STATE with err "... another ward
 * what is running" when another holds it. */
wd_rc wd_store_exclusive(wd_store_t *s, const char *what, char *err,
                         size_t errlen);

/* ---- transactions ---- */

/* Begins / commits / rolls back a write transaction. wd_store_begin takes
 * the write lock at once on SQLite (BEGIN IMMEDIATE, waiting up to the busy
 * timeout for another process's transaction), so a transaction never has
 * to upgrade a stale read snapshot; PostgreSQL runs at READ COMMITTED with
 * the locks named below. Writes outside one (set_evidence, set_status,
 * notification updates) open their own the same way. */
wd_rc wd_store_begin(wd_store_t *s);
wd_rc wd_store_commit(wd_store_t *s);
void wd_store_rollback(wd_store_t *s);

/* Transactions that lose a race on PostgreSQL (serialization failure,
 * deadlock: WD_ERR_CONFLICT) are run again, at most this many times. */
#define WD_STORE_RETRY_MAX 8

/* After a transaction that ended with rc: true when it should be run
 * again -- rc is WD_ERR_CONFLICT and *attempt < WD_STORE_RETRY_MAX; then
 * the transaction is rolled back, *attempt counted and a short randomised
 * pause (a few ms, doubling) taken. Use:
 *   unsigned n = 0;
 *   do rc = one_transaction(s); while (wd_store_retry(s, rc, &n)); */
bool wd_store_retry(wd_store_t *s, wd_rc rc, unsigned *attempt);

/* ---- incidents ---- */

/* Inside a transaction: until it ends, no other writer finds, inserts or
 * changes incidents of these correlation keys (PostgreSQL: advisory
 * transaction locks on their hashes, always taken in ascending order so
 * that two writers never wait for each other in a cycle; SQLite: the write
 * lock already held). Take it for every incident a transaction writes,
 * before wd_store_incident_find: then two processes correlating the same
 * attack never both insert it. */
wd_rc wd_store_corr_lock(wd_store_t *s, const char *const *keys, size_t n);

/* Inside a transaction: the incident with this correlation key whose
 * [first_seen - window, last_seen + window] holds t_ns, most recent first;
 * WD_ERR_NOTFOUND when none. */
wd_rc wd_store_incident_find(wd_store_t *s, const char *corr_key, uint64_t t_ns,
                             uint64_t window_ns, char id[WD_STORE_ID_LEN]);
/* Inside a transaction: the next id of year (WARD-2026-000001, ...): the
 * year's counter row is incremented and stays locked until the end of the
 * transaction, so ids are never given twice and a rolled back transaction
 * uses none up. WD_ERR_FULL after 999999. */
wd_rc wd_store_incident_new_id(wd_store_t *s, int year,
                               char id[WD_STORE_ID_LEN]);
/* Inside a transaction: inserts or merges inc (its id must be set) with
 * its attackers, targets, hosts, attacks and sensors; totals are
 * recomputed from the stored attacks. Status is never changed here (new on
 * insert). */
wd_rc wd_store_incident_put(wd_store_t *s, const wd_store_incident_t *inc);
/* Records that sensor saw incident id's activity between first_ns and
 * last_ns (merged with what is stored: MIN/MAX). Own transaction if none is
 * open. WD_ERR_NOTFOUND when there is no such incident. */
wd_rc wd_store_incident_sensor_seen(wd_store_t *s, const char *id,
                                    const char *sensor, uint64_t first_ns,
                                    uint64_t last_ns);
/* Records the evidence capture (own transaction if none is open). */
wd_rc wd_store_incident_set_evidence(wd_store_t *s, const char *id,
                                     const char *path, const char *sha256,
                                     uint64_t packets);
/* Moves the workflow status forward: new -> notified -> answered ->
 * closed (closed from any; never backwards: WD_ERR_STATE). Own
 * transaction if none is open. */
wd_rc wd_store_incident_set_status(wd_store_t *s, const char *id,
                                   const char *status);
/* Inside a transaction: checks that incident id exists and keeps every
 * other writer from changing it (or recording a verdict on it) until the
 * transaction ends. WD_ERR_NOTFOUND when absent. */
wd_rc wd_store_incident_lock(wd_store_t *s, const char *id);
/* Reads one incident with all its rows into out (wd_store_incident_fini
 * frees). WD_ERR_NOTFOUND when absent. */
wd_rc wd_store_incident_get(wd_store_t *s, const char *id,
                            wd_store_incident_t *out);
void wd_store_incident_fini(wd_store_incident_t *inc);
/* Ids matching f (NULL: all), newest first by first_seen (oldest first
 * with f->oldest_first), into a malloc'ed array the caller frees. */
wd_rc wd_store_incident_ids(wd_store_t *s, const wd_store_filter_t *f,
                            char (**ids)[WD_STORE_ID_LEN], size_t *n);

/* ---- fleet messages (ward ingest, src/cli/cmd_ingest.c) ---- */

/* A message id as docs/fleet.md writes it ("sensor/run/seq") with NUL. */
#define WD_STORE_FLEET_ID_LEN 128

/* Whether the effect of fleet message id is already stored (a message
 * read again changes nothing). Inside or outside a transaction. */
wd_rc wd_store_fleet_seen(wd_store_t *s, const char *id, bool *seen);
/* Inside a transaction: records that message id (of sensor, kind
 * "alert" / "frame" / "heartbeat", about event_ns) is stored, committed
 * with the effect it had. A second record of the same id is a no-op. */
wd_rc wd_store_fleet_mark(wd_store_t *s, const char *id, const char *sensor,
                          const char *kind, uint64_t event_ns,
                          uint64_t stored_ns);
/* Inside a transaction: incidents still marked active whose last
 * evidence is at or before last_ns are marked inactive (ward ingest: the
 * incidents a stopped or killed ingester left open, once the fleet's
 * traffic time has passed their quiet window, and every one at the end
 * of --once, as the end of a local run closes them). *n (may be NULL)
 * gets how many. */
wd_rc wd_store_incident_expire(wd_store_t *s, uint64_t last_ns, uint64_t *n);
/* Per sensor: messages and alerts stored, the newest event time and the
 * newest storing time (`ward ingest --status`, the console's sensors), and
 * the messages and alerts stored since a given time (its rates). */
typedef struct wd_store_fleet_sensor {
  char name[WD_STORE_SENSOR_LEN];
  uint64_t messages, alerts;
  uint64_t last_event_ns, last_stored_ns;
  uint64_t recent_messages, recent_alerts; /* stored at since_ns or later */
} wd_store_fleet_sensor_t;
/* Every sensor with a stored message, by name, into a malloc'ed array the
 * caller frees; recent_* count from since_ns. */
wd_rc wd_store_fleet_sensors(wd_store_t *s, uint64_t since_ns,
                             wd_store_fleet_sensor_t **out, size_t *n);

/* ---- notifications (src/notify/outbox.c) ---- */

/* One mail to one party about one incident: seq 1 the first notification,
 * 2 its reminder. state: queued | sending | sent | failed. */
typedef struct wd_store_notice {
  int64_t id; /* the notification number (`ward notify --status`) */
  char incident_id[WD_STORE_ID_LEN];
  char party_name[WD_NAME_MAX];
  char party_kind[32];
  char party_email[WD_STORE_EMAIL_LEN];
  char party_format[16];
  uint32_t deadline_hours;
  int seq;
  char kind[16]; /* initial | reminder */
  char message_id[WD_STORE_MSGID_LEN];
  char state[16];
  unsigned attempts;
  uint64_t created_ns, next_ns, last_attempt_ns, sent_ns, requeued_ns;
  char last_error[WD_STORE_ERROR_LEN];
  bool has_message; /* its bytes are composed and stored */
} wd_store_notice_t;

/* Queues notification n (incident_id, party_*, seq, kind, message_id,
 * created_ns: due at once). Idempotent: one per (incident, party address,
 * seq); *inserted says whether this call added it. */
wd_rc wd_store_notice_add(wd_store_t *s, const wd_store_notice_t *n,
                          bool *inserted);
/* Notification id into out; WD_ERR_NOTFOUND when absent. */
wd_rc wd_store_notice_get(wd_store_t *s, int64_t id, wd_store_notice_t *out);
/* The first notification (seq 1) of incident_id to party_email. */
wd_rc wd_store_notice_first(wd_store_t *s, const char *incident_id,
                            const char *party_email, wd_store_notice_t *out);
/* The notification whose Message-ID is message_id. */
wd_rc wd_store_notice_by_message_id(wd_store_t *s, const char *message_id,
                                    wd_store_notice_t *out);
/* A notification of incident_id, preferring the party whose address is
 * in domain ("@example.org", case-insensitive), then the first one. */
wd_rc wd_store_notice_by_incident(wd_store_t *s, const char *incident_id,
                                  const char *domain, wd_store_notice_t *out);
/* Notifications queued or sending (a `sending` one was cut short and is
 * retried), due at now_ns (all of them when all), oldest due first, at
 * most max; *waiting counts those not yet due. Malloc'ed array. */
wd_rc wd_store_notice_due(wd_store_t *s, uint64_t now_ns, bool all, size_t max,
                          wd_store_notice_t **out, size_t *n,
                          uint64_t *waiting);
/* First notifications sent, past their party's deadline at now_ns,
 * without a human reply from the party and without a reminder yet; at
 * most max. Malloc'ed array. */
wd_rc wd_store_notice_overdue(wd_store_t *s, uint64_t now_ns, size_t max,
                              wd_store_notice_t **out, size_t *n);
/* The newest limit notifications (0: all), newest first. */
wd_rc wd_store_notice_list(wd_store_t *s, size_t limit, wd_store_notice_t **out,
                           size_t *n);
/* Stores the composed message of id once (never replaced: every retry
 * sends the same bytes). */
wd_rc wd_store_notice_set_message(wd_store_t *s, int64_t id, const void *msg,
                                  size_t len, const char *subject,
                                  bool pcap_attached);
/* The stored message of id, malloc'ed into *msg (the caller frees);
 * WD_ERR_NOTFOUND when none is stored. */
wd_rc wd_store_notice_message(wd_store_t *s, int64_t id, uint8_t **msg,
                              size_t *len);
/* An attempt begins: state sending, attempts + 1 (committed before any
 * byte leaves). Only a queued or sending notification moves. */
wd_rc wd_store_notice_sending(wd_store_t *s, int64_t id, uint64_t now_ns);
/* An attempt that could not even begin (the message could not be
 * composed) is counted. */
wd_rc wd_store_notice_count_attempt(wd_store_t *s, int64_t id);
/* Delivered (transport: "smtp" | "outbox") at now_ns. */
wd_rc wd_store_notice_sent(wd_store_t *s, int64_t id, const char *transport,
                           uint64_t now_ns);
/* Back to the queue with its error, due at next_ns. */
wd_rc wd_store_notice_retry(wd_store_t *s, int64_t id, const char *error,
                            uint64_t now_ns, uint64_t next_ns);
/* Failed for good with its error. */
wd_rc wd_store_notice_fail(wd_store_t *s, int64_t id, const char *error,
                           uint64_t now_ns);
/* Brings back every failed notification that ref names (an incident id,
 * a notification number or a Message-ID), due at now_ns with a fresh
 * max_age; *n says how many. */
wd_rc wd_store_notice_requeue(wd_store_t *s, const char *ref, uint64_t now_ns,
                              uint64_t *n);
/* How many notifications ref names, in any state. */
wd_rc wd_store_notice_count_ref(wd_store_t *s, const char *ref, uint64_t *n);

/* ---- replies and verdicts (src/notify/inbox.c) ---- */

/* A received mail as stored. Strings are borrowed for the call. */
typedef struct wd_store_reply {
  const char *fingerprint; /* SHA-256 of the bytes: imported once */
  const char *message_id;
  int64_t notification_id; /* 0: matched to none */
  const char *incident_id; /* "" when unmatched */
  const char *from_addr, *subject;
  uint64_t date_ns, received_ns;
  const char *kind; /* human | auto | bounce */
  const char *kind_reason, *ref_source, *source;
  const char *sender; /* party | unverified | "" (not checked) */
} wd_store_reply_t;

/* Adds reply r; *added is false when a reply with its fingerprint is
 * already stored (nothing changes then). */
wd_rc wd_store_reply_add(wd_store_t *s, const wd_store_reply_t *r, bool *added);

/* The analysts' judgement of a reply. */
typedef struct wd_store_verdict {
  int64_t reply_id;
  char verdict[16]; /* substantive | formal | "" (none yet) */
  char by[WD_STORE_WHO_LEN];
  uint64_t at_ns;
  char note[WD_STORE_TEXT_LEN];
  char replaced[16]; /* history: the verdict this one replaced, "" none */
} wd_store_verdict_t;

/* The latest human reply of the party (not an unverified one) about
 * incident_id and its verdict; WD_ERR_NOTFOUND when none. */
wd_rc wd_store_reply_latest_human(wd_store_t *s, const char *incident_id,
                                  wd_store_verdict_t *out);
/* Records verdict v (v->reply_id, verdict, note, by, at_ns) on its reply. */
wd_rc wd_store_reply_judge(wd_store_t *s, const wd_store_verdict_t *v);
/* Adds a reply "recorded by analyst" to incident_id (an answer given by
 * phone), tied to its first notification, with verdict v; v->reply_id
 * gets its id. */
wd_rc wd_store_reply_add_recorded(wd_store_t *s, const char *incident_id,
                                  wd_store_verdict_t *v);
/* Appends v to the verdict history of incident_id (every verdict ever
 * recorded, the replaced ones included). */
wd_rc wd_store_verdict_log(wd_store_t *s, const char *incident_id,
                           const wd_store_verdict_t *v);
/* The verdict history of incident_id, oldest first, malloc'ed. */
wd_rc wd_store_verdict_history(wd_store_t *s, const char *incident_id,
                               wd_store_verdict_t **out, size_t *n);

/* ---- the accountability report (src/report/report_store.c) ---- */

/* One notification with what the report counts of it. A reply counts
 * for it when it names it, another notification of the same incident and
 * party, or only the incident -- and only when its sender is the party
 * (unverified ones apart). Reply time: its Date when plausible (not after
 * the import), else the import time. */
typedef struct wd_store_report_row {
  char incident_id[WD_STORE_ID_LEN];
  char party[WD_NAME_MAX];
  char country[8]; /* of the most reliable source, "" unknown */
  char sector[32];
  char rsit_class[48];
  bool reminder;
  uint64_t sent_ns;
  bool delivered;
  uint32_t deadline_hours;
  uint64_t first_auto_ns, first_human_ns; /* 0: none */
  bool substantive, formal;
  uint64_t first_unverified_ns;
} wd_store_report_row_t;

/* Notifications sent (or, when not sent, queued) in [since, until) (a zero
 * bound is open), in order of number; at most max (WD_ERR_FULL beyond).
 * Malloc'ed array. */
wd_rc wd_store_report_rows(wd_store_t *s, uint64_t since_ns, uint64_t until_ns,
                           size_t max, wd_store_report_row_t **out, size_t *n);

/* ---- the console and its API (src/serve; store_serve.c) ---- */

#define WD_STORE_TOKEN_NAME_LEN 64
#define WD_STORE_AUDIT_LEN 2048 /* before / after of one change (JSON) */
#define WD_STORE_NOTE_LEN 2048

/* A named access token. Only the SHA-256 of the token is stored. */
typedef struct wd_store_token {
  char name[WD_STORE_TOKEN_NAME_LEN];
  char role[16];                   /* viewer | analyst | admin */
  char hash[65];                   /* hex SHA-256 of the token */
  uint64_t created_ns, revoked_ns; /* revoked_ns 0: valid */
} wd_store_token_t;

/* Adds token t (name, role, hash, created_ns). WD_ERR_STATE when a valid
 * token of that name exists (a revoked name is given the new token). */
wd_rc wd_store_token_add(wd_store_t *s, const wd_store_token_t *t);
/* The valid token whose hash is hash; WD_ERR_NOTFOUND when none. */
wd_rc wd_store_token_by_hash(wd_store_t *s, const char *hash,
                             wd_store_token_t *out);
/* Every token (revoked ones too), by name, malloc'ed. */
wd_rc wd_store_token_list(wd_store_t *s, wd_store_token_t **out, size_t *n);
/* Revokes the valid token name at now_ns; WD_ERR_NOTFOUND when none. */
wd_rc wd_store_token_revoke(wd_store_t *s, const char *name, uint64_t now_ns);

/* One change made through the API. */
typedef struct wd_store_audit {
  int64_t id;
  uint64_t at_ns;
  char who[WD_STORE_TOKEN_NAME_LEN]; /* the token's name */
  char action[48];                   /* "judgement", "close", ... */
  char target[WD_STORE_MSGID_LEN];   /* incident id, ref, token name */
  char before[WD_STORE_AUDIT_LEN], after[WD_STORE_AUDIT_LEN];
} wd_store_audit_t;

wd_rc wd_store_audit_add(wd_store_t *s, const wd_store_audit_t *a);
/* Newest first: at most limit rows after skipping offset. Malloc'ed. */
wd_rc wd_store_audit_list(wd_store_t *s, size_t limit, size_t offset,
                          wd_store_audit_t **out, size_t *n);

/* An analyst's note on an incident. */
typedef struct wd_store_note {
  uint64_t at_ns;
  char by[WD_STORE_TOKEN_NAME_LEN];
  char text[WD_STORE_NOTE_LEN];
} wd_store_note_t;

/* WD_ERR_NOTFOUND when incident_id does not exist. */
wd_rc wd_store_note_add(wd_store_t *s, const char *incident_id,
                        const wd_store_note_t *note);
/* Oldest first, malloc'ed. */
wd_rc wd_store_notes(wd_store_t *s, const char *incident_id,
                     wd_store_note_t **out, size_t *n);

/* A stored reply as read back for display. */
typedef struct wd_store_reply_row {
  int64_t id, notification_id; /* 0: matched to none */
  char from_addr[WD_STORE_EMAIL_LEN];
  char subject[WD_STORE_TEXT_LEN];
  uint64_t date_ns, received_ns;
  char kind[16];   /* human | auto | bounce */
  char sender[16]; /* party | unverified | "" */
  char verdict[16];
  char verdict_by[WD_STORE_WHO_LEN];
  char note[WD_STORE_TEXT_LEN];
} wd_store_reply_row_t;

/* The replies about incident_id, in order of import, malloc'ed. */
wd_rc wd_store_replies_of(wd_store_t *s, const char *incident_id,
                          wd_store_reply_row_t **out, size_t *n);
/* The notifications of incident_id, in order of number, malloc'ed. */
wd_rc wd_store_notices_of(wd_store_t *s, const char *incident_id,
                          wd_store_notice_t **out, size_t *n);

/* One counted value of the store for /metrics: what (incidents,
 * alerts, notifications, oldest_queued_ns, delivery_failures, replies,
 * verdicts, tokens), a label (state, detector, kind, role, "") and the
 * value. */
typedef struct wd_store_metric {
  char what[32];
  char label[64];
  uint64_t value;
} wd_store_metric_t;

wd_rc wd_store_metrics(wd_store_t *s, wd_store_metric_t **out, size_t *n);

/* ---- the directory of responsible parties (store_party.c) ---- */

/* One party as the store keeps it: its name and the party as a JSON
 * object with the directory file's keys (docs/incidents.md), checked by
 * wd_party_check before it was written. id: the directory's order. */
typedef struct wd_store_party_row {
  int64_t id;
  char name[WD_NAME_MAX];
  char *doc; /* malloc'ed */
  uint64_t updated_ns;
} wd_store_party_row_t;

/* Every party, in the directory's order (none before
 * WD_STORE_PARTIES_VERSION); wd_store_parties_free releases them. */
wd_rc wd_store_party_list(wd_store_t *s, wd_store_party_row_t **out, size_t *n);
void wd_store_parties_free(wd_store_party_row_t *v, size_t n);
/* The party named name into *out (its doc the caller frees);
 * WD_ERR_NOTFOUND when there is none. */
wd_rc wd_store_party_get(wd_store_t *s, const char *name,
                         wd_store_party_row_t *out);
/* Adds a party at the end (WD_ERR_STATE when the name is taken), replaces
 * one's doc (WD_ERR_NOTFOUND when there is none), removes one
 * (WD_ERR_NOTFOUND). doc: what wd_party_check made. */
wd_rc wd_store_party_add(wd_store_t *s, const char *name, const char *doc,
                         uint64_t now_ns);
wd_rc wd_store_party_update(wd_store_t *s, const char *name, const char *doc,
                            uint64_t now_ns);
wd_rc wd_store_party_delete(wd_store_t *s, const char *name);

struct wd_directory;
struct wd_party;
/* The directory the pipeline uses: the store's parties when it has any,
 * else the file at path (attribution.directory; NULL: none, *out NULL).
 * *from_store (may be NULL) says which. err: "where: what" on failure. */
wd_rc wd_store_directory(wd_store_t *s, const char *path,
                         struct wd_directory **out, bool *from_store, char *err,
                         size_t errlen);
/* A party of a loaded directory as the JSON object the store keeps; a new
 * reference, NULL when out of memory. */
struct json_t *wd_party_json(const struct wd_party *p);
/* Checks a party given as JSON (the API's body, or one read back) and
 * returns its canonical form (defaults filled in, countries upper case)
 * as a new reference; NULL with err naming the field and what was
 * expected ("email: 'x' is not a mail address (expected user@domain)"). */
struct json_t *wd_party_check(struct json_t *in, char *err, size_t errlen);
/* Writes the parties of d into the store: a party whose name is there is
 * replaced, the others are added at the end, in one transaction, each
 * change a row of the audit (who, action "party-import", before, after).
 * *added and *updated count them; unchanged parties are left alone. */
wd_rc wd_store_parties_import(wd_store_t *s, const struct wd_directory *d,
                              const char *who, uint64_t now_ns, size_t *added,
                              size_t *updated, char *err, size_t errlen);

/* ---- JSON (store_json.c) ---- */

struct json_t;
/* The documented JSON form of an incident (docs/incidents.md); a new
 * reference the caller json_decref()s, NULL when out of memory. */
struct json_t *wd_store_incident_json(const wd_store_incident_t *inc);
/* "2026-02-04T22:49:29.123456Z" from nanoseconds since the epoch. */
char *wd_store_time_str(uint64_t ns, char out[40]);

#endif
