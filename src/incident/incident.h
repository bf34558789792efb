/* incident.h -- from alerts to incidents: correlation, attribution,
 * responsible parties, evidence, and the pipeline API.
 * In: the frames chosen for evidence (wd_incidents_frame; the engine's
 * packet thread picks them), every alert, the traffic clock.
 * Out: incidents in the store (src/store: SQLite or PostgreSQL) and
 * "open" / "update" /
 * "close" incident events through a callback. Correlation rules are in
 * docs/incidents.md; in short, one incident per line of activity
 * (intrusion: one attacker against one facility, stages escalate; worm:
 * lateral SMB exploitation and fan-out inside one facility; ddos: floods
 * against one target) within incidents.quiet_window.
 * Memory: wd_incidents_t owns the store connection, the geo databases, the
 * directory, the evidence recorder and at most WD_INCIDENTS_OPEN_MAX open
 * incidents (each with capped lists). Per chosen frame only the evidence
 * recorder runs (bounded copy, no allocation, no system call); alerts are
 * correlated in memory; the store is written once per traffic-time second at
 * most, one transaction for all changed incidents.
 * Threads: one per pipeline, no locks; the thread that calls
 * wd_incidents_new owns the store connection and must make every other
 * call (the engine's worker thread). */
#ifndef WD_INCIDENT_INCIDENT_H
#define WD_INCIDENT_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/net.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "detect/alert.h"
#include "flow/flow.h"
#include "incident/evidence.h"
#include "store/store.h"

/* An incident as events and exports see it: the stored record. */
typedef wd_store_incident_t wd_incident_t;

/* Told when an incident opens, changes or closes; what is "open",
 * "update" or "close". inc is borrowed for the call; wd_incident_json()
 * gives its JSON form (the same as `ward incidents export`). Called from
 * wd_incidents_tick/_finish, after the change is committed. */
typedef void (*wd_incident_event_fn)(void *user, const wd_incident_t *inc,
                                     const char *what);

/* Open incidents kept in memory; at the cap the least recently active one
 * is closed early (counted in stats.forced_close). */
#define WD_INCIDENTS_OPEN_MAX 512
/* Per incident: attackers/reflectors, targets, worm hosts, attacks kept;
 * more are counted (stats.list_full), the totals stay exact. */
#define WD_INCIDENT_ATTACKERS_MAX 64
#define WD_INCIDENT_TARGETS_MAX 256
#define WD_INCIDENT_HOSTS_MAX 1024
#define WD_INCIDENT_ATTACKS_MAX 256
/* Sensors recorded per incident (the alerts' sensor, default this host's
 * name); more are counted in stats.list_full. */
#define WD_INCIDENT_SENSORS_MAX 32
/* A flood whose detector names no source and counts at least this many
 * distinct sources is treated as spoofed when the detector does not say. */
#define WD_INCIDENT_SPOOFED_SOURCES 64

typedef struct wd_incidents_stats {
  uint64_t alerts; /* alerts received */
  uint64_t opened; /* incidents created in this run */
  uint64_t merged; /* incidents found in the database and continued */
  uint64_t closed;
  uint64_t forced_close; /* closed early at WD_INCIDENTS_OPEN_MAX */
  uint64_t list_full;    /* attackers/targets/hosts/attacks not kept */
  uint64_t flushes;      /* transactions committed */
  uint64_t db_errors;    /* failed transactions (retried next tick) */
  uint64_t evidence_files;
} wd_incidents_stats_t;

typedef struct wd_incidents wd_incidents_t;

/* Opens the store at db_path, a path or URL (NULL: store.url, else
 * db.path of cfg), the MaxMind databases
 * and the directory of cfg->attribution (a missing/corrupt database is a
 * warning; a bad directory file is an error with file:line:col in err),
 * and the evidence recorder when cfg->evidence.dir is set. cfg is
 * borrowed for the life of the returned object. event may be NULL. */
wd_rc wd_incidents_new(const wd_config_t *cfg, const char *db_path,
                       wd_incident_event_fn event, void *user,
                       wd_incidents_t **out, char *err, size_t errlen);

/* Per packet, before the detectors see it (so the frame that triggers an
 * alert is already recorded). f may be NULL. Hot path: no allocation, no
 * system call. */
void wd_incidents_packet(wd_incidents_t *x, const wd_packet_t *p,
                         const wd_flow_t *f);

/* A frame chosen elsewhere (the engine's packet thread) for the evidence
 * recorder, in packet order; h and data are borrowed for the call. */
void wd_incidents_frame(wd_incidents_t *x, const wd_evidence_frame_t *h,
                        const uint8_t *data);

/* Per alert (start, update or end), from the alert sink. Correlates in
 * memory; nothing is written until the next tick. Metrics read:
 * spoofed (bool), packets, peak_pps, peak_bps, sources/reflectors (u64),
 * protocol (str), and address lists in top_sources / top_reflectors /
 * reflectors_top (str: "a.b.c.d[:count], ..."). */
void wd_incidents_alert(wd_incidents_t *x, const wd_alert_t *a);

/* Extra source addresses of an alert the detector knows (e.g. the top
 * reflectors of an amplification attack); call right after
 * wd_incidents_alert with the same alert. Reflectors (ddos.amplification)
 * are recorded as parties to notify as reflectors, not as attackers. At
 * most WD_INCIDENT_ATTACKERS_MAX are kept per incident. */
void wd_incidents_sources(wd_incidents_t *x, const wd_alert_t *a,
                          const wd_addr_t *srcs, size_t n);

/* Once per traffic-time second (now_ns: the new second): writes changed
 * incidents in one transaction, closes incidents quiet for
 * incidents.quiet_window (writing their evidence), emits events. */
void wd_incidents_tick(wd_incidents_t *x, uint64_t now_ns);

/* End of input: writes everything, closes every open incident (event
 * "close"), writes evidence. Returns the last store error, if any. */
wd_rc wd_incidents_finish(wd_incidents_t *x);

/* Work of the caller's to commit with the incidents (ward ingest: the ids
 * of the fleet messages whose effect the transaction stores). in_txn runs
 * inside every transaction that writes incidents, before its COMMIT (an
 * error rolls it back); done says afterwards whether it committed. */
typedef struct wd_incidents_txn_hook {
  wd_rc (*in_txn)(void *user, wd_store_t *s);
  void (*done)(void *user, bool committed);
  void *user;
} wd_incidents_txn_hook_t;

/* Sets (or with NULL clears) the hook; borrowed until cleared. */
void wd_incidents_set_txn_hook(wd_incidents_t *x,
                               const wd_incidents_txn_hook_t *hook);

/* For a caller that never gives the same alert twice (ward ingest skips
 * the messages it stored): an incident continued from the store (after a
 * restart, or closed and reopened) adds the alerts its stored attacks
 * counted to the new ones, instead of keeping the larger count as a
 * replay of the same traffic must (the default). */
void wd_incidents_set_counts_add(wd_incidents_t *x, bool on);

/* Writes every changed incident now, in one transaction with the hook's
 * work (one is run for the hook alone when no incident changed). Returns
 * the store's error; the changes stay pending and are written again by
 * the next flush or tick. */
wd_rc wd_incidents_flush(wd_incidents_t *x);

void wd_incidents_free(wd_incidents_t *x);

void wd_incidents_stats(const wd_incidents_t *x, wd_incidents_stats_t *out);

/* The store, borrowed (e.g. for the CLI after a run). */
wd_store_t *wd_incidents_store(wd_incidents_t *x);

/* The JSON form of an incident (new reference; see docs/incidents.md). */
struct json_t *wd_incident_json(const wd_incident_t *inc);

/* Line of activity of a detector ("intrusion", "worm", "ddos") given
 * whether source and target are protected (inside). */
const char *wd_incident_line(const char *detector, bool src_inside,
                             bool dst_inside);
/* Rank of an RSIT class/type: which stage is more serious. */
int wd_incident_class_rank(const char *rsit_class, const char *rsit_type);

#endif
