/* store_sqlite.c -- the SQLite engine of the store (libsqlite3): a file
 * for one machine, and the default.
 * In: a path (plain, or after "sqlite:"). Out: the engine table
 * wd_store_sqlite_engine (store_int.h) and the SQL of every named
 * statement. Memory: the sq_store_t owns the connection, one prepared
 * statement per named query (prepared on first use, SQLITE_PREPARE_
 * PERSISTENT, reset after each use) and the descriptor of an exclusive
 * lock. Durability: WAL journal (set once, persistent in the file),
 * synchronous=NORMAL (a committed transaction survives a killed process),
 * foreign keys on. Concurrency: one writer at a time per file; a write
 * transaction takes the lock at BEGIN (IMMEDIATE), waiting up to
 * db.busy_timeout for another process's, so correlation and numbering are
 * serialised by the file lock itself (no Q_CORR_LOCK). Threads: one store
 * per thread (SQLITE_OPEN_NOMUTEX). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_int.h"

/* The columns of a notification row (store_int.h NC_*). */
#define NOTICE_COLS                                                            \
  "id, incident_id, party_name, party_kind, party_email, party_format,"        \
  " party_deadline_hours, seq, kind, message_id, state, attempts,"             \
  " created_ns, next_ns, last_attempt_ns, sent_ns, requeued_ns, last_error,"   \
  " message IS NOT NULL"
#define NOTICE_COLS_N                                                          \
  "n.id, n.incident_id, n.party_name, n.party_kind, n.party_email,"            \
  " n.party_format, n.party_deadline_hours, n.seq, n.kind, n.message_id,"      \
  " n.state, n.attempts, n.created_ns, n.next_ns, n.last_attempt_ns,"          \
  " n.sent_ns, n.requeued_ns, n.last_error, n.message IS NOT NULL"

#define INC_FILTERS                                                            \
  "SELECT id FROM incidents i WHERE"                                           \
  " (?1 IS NULL OR i.last_ns >= ?1) AND (?2 IS NULL OR i.first_ns < ?2)"       \
  " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM incident_attackers a"             \
  "  WHERE a.incident_id = i.id AND a.country = ?3 COLLATE NOCASE))"           \
  " AND (?4 IS NULL OR i.sector = ?4 COLLATE NOCASE OR EXISTS"                 \
  "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"             \
  "   AND t.sector = ?4 COLLATE NOCASE))"                                      \
  " AND (?5 IS NULL OR i.facility = ?5 OR EXISTS"                              \
  "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"             \
  "   AND t.facility = ?5))"                                                   \
  " AND (?6 IS NULL OR i.class = ?6 COLLATE NOCASE"                            \
  "  OR i.type = ?6 COLLATE NOCASE)"                                           \
  " AND (?7 IS NULL OR i.status = ?7 COLLATE NOCASE)"                          \
  " AND (?9 IS NULL OR i.id = ?9)"

static const char *const sql[Q_COUNT] = {
    [Q_FIND] = "SELECT id FROM incidents WHERE corr_key = ?1"
               " AND first_ns <= ?2 + ?3 AND last_ns + ?3 >= ?2"
               " ORDER BY last_ns DESC LIMIT 1",
    [Q_SEQ_NEXT] = "INSERT INTO incident_seq(year, last) VALUES (?1, 1)"
                   " ON CONFLICT(year) DO UPDATE SET last = last + 1"
                   " WHERE last < 999999 RETURNING last",
    [Q_CORR_LOCK] = NULL, /* BEGIN IMMEDIATE holds the file's write lock */
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
/* the attack columns read back, in row_attack's order */
#define ATTACKS_GET(last)                                                      \
  "SELECT detector, src, dst, start_ns, last_ns, reports, packets,"            \
  " peak_pps, peak_bps, ended, signature, " last " FROM incident_attacks"      \
  " WHERE incident_id = ?1 ORDER BY start_ns, detector, src, dst"
    [Q_ATTACK_PUT] =
        "INSERT INTO incident_attacks(incident_id, detector, src, dst,"
        " start_ns, last_ns, reports, packets, peak_pps, peak_bps, ended,"
        " signature, tree," INTEL_COLS ")"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
        "?18,?19)"
        " ON CONFLICT(incident_id, detector, src, dst, start_ns) DO UPDATE SET"
        " last_ns = MAX(last_ns, excluded.last_ns),"
        " reports = MAX(reports, excluded.reports),"
        " packets = MAX(packets, excluded.packets),"
        " peak_pps = MAX(peak_pps, excluded.peak_pps),"
        " peak_bps = MAX(peak_bps, excluded.peak_bps),"
        " ended = MAX(ended, excluded.ended),"
        " signature = excluded.signature,"
        " tree = CASE WHEN excluded.tree <> '' THEN excluded.tree"
        "  ELSE tree END," INTEL_KEEP(""),
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
    [Q_SENSOR_PUT] =
        "INSERT INTO incident_sensors(incident_id, sensor, first_ns, last_ns)"
        " VALUES (?1,?2,?3,?4) ON CONFLICT(incident_id, sensor) DO UPDATE SET"
        " first_ns = MIN(first_ns, excluded.first_ns),"
        " last_ns = MAX(last_ns, excluded.last_ns)",
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
    [Q_EVIDENCE] = "UPDATE incidents SET evidence_path = ?2,"
                   " evidence_sha256 = ?3, evidence_packets = ?4,"
                   " packets = MAX(packets, ?4) WHERE id = ?1",
    [Q_STATUS_GET] = "SELECT status FROM incidents WHERE id = ?1",
    [Q_STATUS_SET] = "UPDATE incidents SET status = ?2 WHERE id = ?1",
    [Q_INC_LOCK] = "SELECT 1 FROM incidents WHERE id = ?1",
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
    [Q_ATTACKS_GET] = ATTACKS_GET("tree," INTEL_COLS),
    [Q_ATTACKS_GET_V7] = ATTACKS_GET("tree," INTEL_NONE),
    [Q_ATTACKS_GET_V3] = ATTACKS_GET("''," INTEL_NONE),
    [Q_SENSORS_GET] = "SELECT sensor, first_ns, last_ns FROM incident_sensors"
                      " WHERE incident_id = ?1 ORDER BY first_ns, sensor",
    [Q_IDS_NEWEST] = INC_FILTERS " ORDER BY i.first_ns DESC, i.id DESC"
                                 " LIMIT COALESCE(?8, -1)",
    [Q_IDS_OLDEST] =
        INC_FILTERS " ORDER BY i.first_ns, i.id LIMIT COALESCE(?8, -1)",

    [Q_NOTICE_ADD] =
        "INSERT INTO notifications(incident_id, party_name, party_kind,"
        " party_email, party_format, party_deadline_hours, seq, kind,"
        " message_id, created_ns, next_ns)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10) ON CONFLICT DO NOTHING",
    [Q_NOTICE_GET] = "SELECT " NOTICE_COLS " FROM notifications WHERE id = ?1",
    [Q_NOTICE_FIRST] = "SELECT " NOTICE_COLS " FROM notifications WHERE"
                       " incident_id = ?1 AND party_email = ?2 AND seq = 1",
    [Q_NOTICE_BY_MSGID] =
        "SELECT " NOTICE_COLS " FROM notifications WHERE message_id = ?1",
    /* by reference: prefer the party whose address shares the domain */
    [Q_NOTICE_BY_INCIDENT] =
        "SELECT " NOTICE_COLS " FROM notifications WHERE incident_id = ?1"
        " ORDER BY (lower(substr(party_email, instr(party_email, '@')))"
        " = lower(?2)) DESC, seq, id LIMIT 1",
    [Q_NOTICE_DUE] = "SELECT " NOTICE_COLS ", next_ns <= ?1 OR ?2"
                     " FROM notifications WHERE state IN ('queued','sending')"
                     " ORDER BY next_ns, id LIMIT ?3",
    [Q_NOTICE_OVERDUE] =
        "SELECT " NOTICE_COLS_N " FROM notifications n"
        " WHERE n.seq = 1 AND n.state = 'sent' AND n.party_deadline_hours > 0"
        " AND n.sent_ns + n.party_deadline_hours * 3600000000000 < ?1"
        " AND NOT EXISTS (SELECT 1 FROM notifications r WHERE"
        "  r.incident_id = n.incident_id AND r.party_email = n.party_email"
        "  AND r.seq = 2)"
        " AND NOT EXISTS (SELECT 1 FROM replies p WHERE"
        "  p.kind = 'human' AND p.sender != 'unverified' AND"
        "  (p.notification_id IN (SELECT x.id FROM notifications x WHERE"
        "   x.incident_id = n.incident_id AND x.party_email = n.party_email)"
        "   OR (p.notification_id IS NULL AND p.incident_id ="
        "   n.incident_id)))"
        " ORDER BY n.sent_ns, n.id LIMIT ?2",
    [Q_NOTICE_LIST] = "SELECT " NOTICE_COLS " FROM notifications"
                      " ORDER BY id DESC LIMIT COALESCE(?1, -1)",
    [Q_NOTICE_SET_MESSAGE] = "UPDATE notifications SET message = ?2,"
                             " subject = ?3, pcap_attached = ?4"
                             " WHERE id = ?1 AND message IS NULL",
    [Q_NOTICE_MESSAGE] = "SELECT message FROM notifications WHERE id = ?1"
                         " AND message IS NOT NULL",
    [Q_NOTICE_SENDING] = "UPDATE notifications SET state = 'sending',"
                         " attempts = attempts + 1, last_attempt_ns = ?2"
                         " WHERE id = ?1 AND state IN ('queued','sending')",
    [Q_NOTICE_COUNT_ATTEMPT] =
        "UPDATE notifications SET attempts = attempts + 1 WHERE id = ?1",
    [Q_NOTICE_SENT] = "UPDATE notifications SET state = 'sent', sent_ns = ?3,"
                      " last_error = '', transport = ?2 WHERE id = ?1",
    [Q_NOTICE_RETRY] =
        "UPDATE notifications SET state = 'queued', next_ns = ?4,"
        " last_error = ?2, last_attempt_ns = ?3 WHERE id = ?1",
    [Q_NOTICE_FAIL] = "UPDATE notifications SET state = 'failed',"
                      " last_error = ?2, last_attempt_ns = ?3 WHERE id = ?1",
    [Q_NOTICE_REQUEUE] =
        "UPDATE notifications SET state = 'queued', next_ns = ?2,"
        " requeued_ns = ?2, attempts = 0 WHERE state = 'failed' AND"
        " (incident_id = ?1 OR message_id = ?1 OR CAST(id AS TEXT) = ?1)",
    [Q_NOTICE_COUNT_REF] =
        "SELECT count(*) FROM notifications WHERE incident_id = ?1"
        " OR message_id = ?1 OR CAST(id AS TEXT) = ?1",

    [Q_REPLY_ADD] =
        "INSERT INTO replies(fingerprint, message_id, notification_id,"
        " incident_id, from_addr, subject, date_ns, received_ns, kind,"
        " kind_reason, ref_source, source, sender)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
        " ON CONFLICT(fingerprint) DO NOTHING",
    [Q_REPLY_LATEST_HUMAN] =
        "SELECT id, verdict, verdict_by, verdict_ns, note FROM replies"
        " WHERE incident_id = ?1 AND kind = 'human'"
        " AND sender != 'unverified' ORDER BY received_ns DESC, id DESC"
        " LIMIT 1",
    [Q_REPLY_JUDGE] = "UPDATE replies SET verdict = ?2, note = ?3,"
                      " verdict_ns = ?4, verdict_by = ?5 WHERE id = ?1",
    [Q_REPLY_ADD_RECORDED] =
        "INSERT INTO replies(fingerprint, notification_id, incident_id,"
        " from_addr, subject, date_ns, received_ns, kind, kind_reason,"
        " source, verdict, note, verdict_ns, verdict_by) VALUES (?1,"
        " (SELECT id FROM notifications WHERE incident_id = ?2"
        "  ORDER BY seq, id LIMIT 1), ?2, '', '(recorded by analyst)',"
        " ?3, ?3, 'human', 'recorded by analyst', 'ward reply', ?4, ?5,"
        " ?3, ?6) RETURNING id",
    [Q_VERDICT_LOG] =
        "INSERT INTO verdicts(reply_id, incident_id, verdict, note,"
        " judged_by, at_ns, replaced) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    [Q_VERDICT_HISTORY] =
        "SELECT reply_id, verdict, judged_by, at_ns, note, replaced"
        " FROM verdicts WHERE incident_id = ?1 ORDER BY at_ns, id",

    [Q_REPORT] =
        "SELECT n.incident_id, n.party_name,"
        " COALESCE((SELECT a.country FROM incident_attackers a WHERE"
        "  a.incident_id = n.incident_id AND a.country != '' ORDER BY"
        "  a.reliable DESC, a.ip LIMIT 1), ''),"
        " i.sector, i.class, n.seq > 1, n.sent_ns, n.state = 'sent',"
        " n.party_deadline_hours,"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.kind = 'auto'"
        "  AND " WD_SQL_VERIFIED "),"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.kind = 'human'"
        "  AND " WD_SQL_VERIFIED "),"
        " EXISTS (SELECT 1" WD_SQL_REPLIES_OF " AND r.verdict = 'substantive'"
        "  AND " WD_SQL_VERIFIED "),"
        " EXISTS (SELECT 1" WD_SQL_REPLIES_OF
        " AND r.verdict = 'formal' AND " WD_SQL_VERIFIED "),"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.sender = 'unverified')"
        " FROM notifications n JOIN incidents i ON i.id = n.incident_id"
        " WHERE (?1 = 0 OR COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) >= ?1)"
        " AND (?2 = 0 OR COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) < ?2)"
        " ORDER BY n.id",
    [Q_TOKEN_ADD] = "INSERT INTO api_tokens(name, role, hash, created_ns)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET"
                    " role = excluded.role, hash = excluded.hash,"
                    " created_ns = excluded.created_ns, revoked_ns = 0"
                    " WHERE api_tokens.revoked_ns != 0",
    [Q_TOKEN_BY_HASH] = "SELECT name, role, hash, created_ns, revoked_ns"
                        " FROM api_tokens WHERE hash = ?1 AND revoked_ns = 0",
    [Q_TOKEN_LIST] = "SELECT name, role, hash, created_ns, revoked_ns"
                     " FROM api_tokens ORDER BY name",
    [Q_TOKEN_REVOKE] = "UPDATE api_tokens SET revoked_ns = ?2"
                       " WHERE name = ?1 AND revoked_ns = 0",
    [Q_AUDIT_ADD] = "INSERT INTO audit(at_ns, who, action, target, before,"
                    " after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_AUDIT_LIST] = "SELECT id, at_ns, who, action, target, before, after"
                     " FROM audit ORDER BY id DESC LIMIT ?1 OFFSET ?2",
    [Q_NOTE_ADD] = "INSERT INTO incident_notes(incident_id, at_ns, by_name,"
                   " note) SELECT id, ?2, ?3, ?4 FROM incidents WHERE id = ?1",
    [Q_NOTES_GET] = "SELECT at_ns, by_name, note FROM incident_notes"
                    " WHERE incident_id = ?1 ORDER BY at_ns, id",
    [Q_REPLIES_OF] =
        "SELECT id, COALESCE(notification_id, 0), from_addr, subject,"
        " date_ns, received_ns, kind, sender, verdict, verdict_by, note"
        " FROM replies WHERE incident_id = ?1 ORDER BY received_ns, id",
    [Q_NOTICES_OF] = "SELECT " NOTICE_COLS " FROM notifications"
                     " WHERE incident_id = ?1 ORDER BY id",
    [Q_METRICS] =
        "SELECT 'incidents', status, COUNT(*) FROM incidents GROUP BY status "
        "UNION ALL "
        "SELECT 'alerts', detector, SUM(reports) FROM incident_attacks GROUP "
        "BY detector UNION ALL "
        "SELECT 'notifications', state, COUNT(*) FROM notifications GROUP BY "
        "state UNION ALL "
        "SELECT 'oldest_queued_ns', '', COALESCE(MIN(created_ns), 0) FROM "
        "notifications WHERE state IN ('queued','sending') UNION ALL "
        "SELECT 'delivery_failures', '', COALESCE(SUM(attempts - CASE WHEN "
        "state = 'sent' THEN 1 ELSE 0 END), 0) FROM notifications UNION ALL "
        "SELECT 'replies', kind, COUNT(*) FROM replies GROUP BY kind UNION ALL "
        "SELECT 'verdicts', verdict, COUNT(*) FROM replies WHERE verdict != '' "
        "GROUP BY verdict UNION ALL "
        "SELECT 'tokens', role, COUNT(*) FROM api_tokens WHERE revoked_ns = 0 "
        "GROUP BY role",

    [Q_FLEET_SEEN] = "SELECT 1 FROM fleet_messages WHERE id = ?1",
    [Q_FLEET_MARK] =
        "INSERT INTO fleet_messages(id, sensor, kind, event_ns, stored_ns)"
        " VALUES (?1,?2,?3,?4,?5) ON CONFLICT(id) DO NOTHING",
    [Q_FLEET_SENSORS] =
        "SELECT sensor, count(*), SUM(kind = 'alert'), MAX(event_ns),"
        " MAX(stored_ns), SUM(stored_ns >= ?1),"
        " SUM(kind = 'alert' AND stored_ns >= ?1)"
        " FROM fleet_messages GROUP BY sensor ORDER BY sensor",
    [Q_INC_EXPIRE] =
        "UPDATE incidents SET active = 0 WHERE active = 1 AND last_ns <= ?1",
    [Q_PARTY_LIST] =
        "SELECT id, name, doc, updated_ns FROM parties ORDER BY id",
    [Q_PARTY_GET] = "SELECT id, name, doc, updated_ns FROM parties"
                    " WHERE name = ?1",
    [Q_PARTY_ADD] = "INSERT INTO parties(name, doc, updated_ns)"
                    " VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
    [Q_PARTY_UPDATE] = "UPDATE parties SET doc = ?2, updated_ns = ?3"
                       " WHERE name = ?1",
    [Q_PARTY_DELETE] = "DELETE FROM parties WHERE name = ?1",
};

typedef struct sq_stmt {
  wd_store_stmt_t base;
  sqlite3_stmt *st; /* NULL until first prepared */
  uint64_t changes; /* of the last step that finished */
} sq_stmt_t;

typedef struct sq_store {
  wd_store_t base;
  sqlite3 *db;
  char path[WD_STORE_PATH_LEN];
  int lock_fd; /* wd_store_exclusive, -1 none */
  sq_stmt_t st[Q_COUNT];
} sq_store_t;

#define SQ(s) ((sq_store_t *)(s))
#define ST(st) ((sq_stmt_t *)(st))

static void set_err(char *err, size_t errlen, const char *path,
                    const char *what, const char *detail) {
  if (err && errlen)
    snprintf(err, errlen, "%s: %s%s%s", path, what, detail ? ": " : "",
             detail ? detail : "");
}

static wd_rc db_rc(wd_store_t *s, int rc) {
  sq_store_t *q = SQ(s);
  int prim = rc & 0xff;
  if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
    wd_store_msg_locked(s);
    return WD_ERR_IO;
  }
  snprintf(s->msg, sizeof s->msg, "%s", sqlite3_errmsg(q->db));
  if (prim == SQLITE_NOMEM)
    return WD_ERR_NOMEM;
  if (prim == SQLITE_CONSTRAINT || prim == SQLITE_MISMATCH)
    return WD_ERR_INVAL;
  if (prim == SQLITE_READONLY)
    return WD_ERR_STATE;
  return WD_ERR_IO;
}

static wd_rc exec(wd_store_t *s, const char *text) {
  char *m = NULL;
  int rc = sqlite3_exec(SQ(s)->db, text, NULL, NULL, &m);
  if (rc != SQLITE_OK) {
    snprintf(s->msg, sizeof s->msg, "%s", m ? m : sqlite3_errstr(rc));
    sqlite3_free(m);
    return rc == SQLITE_NOMEM ? WD_ERR_NOMEM : WD_ERR_IO;
  }
  return WD_OK;
}

static int sq_version(wd_store_t *s) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(SQ(s)->db, "PRAGMA user_version", -1, &st, NULL) !=
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

/* Runs text, waiting while another connection holds the lock it needs.
 * SQLite's busy handler (sqlite3_busy_timeout) already waits for most
 * locks; some it cannot wait for (changing the journal mode, a WAL being
 * recovered or reset by another process) return SQLITE_BUSY at once, so
 * those are retried here until the same bound has passed. Not on the
 * packet path: at most once per traffic second. */
static wd_rc exec_wait(wd_store_t *s, const char *text) {
  uint64_t deadline = mono_ms() + s->busy_ms;
  long pause_ms = 2;
  for (;;) {
    char *m = NULL;
    int rc = sqlite3_exec(SQ(s)->db, text, NULL, NULL, &m);
    if (rc == SQLITE_OK)
      return WD_OK;
    snprintf(s->msg, sizeof s->msg, "%s", m ? m : sqlite3_errstr(rc));
    sqlite3_free(m);
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
      return rc == SQLITE_NOMEM ? WD_ERR_NOMEM : WD_ERR_IO;
    if (mono_ms() >= deadline) {
      wd_store_msg_locked(s);
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
    int have = sq_version(s);
    if (have < 0 || have >= target || have >= WD_STORE_SCHEMA_VERSION) {
      exec(s, "COMMIT");
      if (have < 0) {
        snprintf(s->msg, sizeof s->msg, "cannot read the schema version: %s",
                 sqlite3_errmsg(SQ(s)->db));
        return WD_ERR_IO;
      }
      return WD_OK;
    }
    const wd_store_migration_t *m = &wd_store_sqlite_migrations[have];
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
    wd_log(WD_LOG_INFO, "store", "%s: schema version %d: %s", s->name,
           m->version, m->name);
  }
}

/* Journal mode WAL (persistent in the file): set once by whichever ward
 * opens a new database first; the others find it set. */
static wd_rc set_wal(wd_store_t *s) {
  sqlite3_stmt *st;
  bool wal = false;
  if (sqlite3_prepare_v2(SQ(s)->db, "PRAGMA journal_mode", -1, &st, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char *m = sqlite3_column_text(st, 0);
      wal = m && strcmp((const char *)m, "wal") == 0;
    }
    sqlite3_finalize(st);
  }
  return wal ? WD_OK : exec_wait(s, "PRAGMA journal_mode = WAL");
}

static void sq_close(wd_store_t *s) {
  sq_store_t *q = SQ(s);
  for (int i = 0; i < Q_COUNT; i++)
    sqlite3_finalize(q->st[i].st);
  if (q->db && sqlite3_close(q->db) != SQLITE_OK)
    wd_log(WD_LOG_WARN, "store", "%s: close: %s", s->name,
           sqlite3_errmsg(q->db));
  if (q->lock_fd >= 0)
    close(q->lock_fd);
  free(q);
}

static wd_rc sq_open(const char *path, const char *name, int version,
                     const wd_store_opts_t *o, wd_store_t **out, char *err,
                     size_t errlen) {
  *out = NULL;
  bool ro = o && (o->flags & WD_STORE_READONLY);
  struct stat sb;
  if (ro && stat(path, &sb) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      set_err(err, errlen, path, "no such database", NULL);
      return WD_ERR_NOTFOUND;
    }
    set_err(err, errlen, path, "cannot open database", strerror(errno));
    return WD_ERR_IO;
  }
  sq_store_t *q = calloc(1, sizeof *q);
  if (!q)
    return WD_ERR_NOMEM;
  wd_store_t *s = &q->base;
  s->e = &wd_store_sqlite_engine;
  snprintf(s->name, sizeof s->name, "%s", name);
  snprintf(q->path, sizeof q->path, "%s", path);
  q->lock_fd = -1;
  for (int i = 0; i < Q_COUNT; i++) {
    q->st[i].base.s = s;
    q->st[i].base.q = i;
  }
  s->readonly = ro;
  s->busy_ms =
      o && o->busy_timeout_ms ? o->busy_timeout_ms : WD_STORE_BUSY_TIMEOUT_MS;
  int flags =
      ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path, &q->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  wd_rc r = WD_OK;
  if (rc != SQLITE_OK) {
    set_err(err, errlen, path, "cannot open database",
            q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
    r = WD_ERR_IO;
    goto fail;
  }
  sqlite3_extended_result_codes(q->db, 0);
  sqlite3_busy_timeout(q->db, (int)s->busy_ms);
  if (!ro && ((r = set_wal(s)) != WD_OK ||
              (r = exec(s, "PRAGMA synchronous = NORMAL")) != WD_OK ||
              (r = exec(s, "PRAGMA foreign_keys = ON")) != WD_OK)) {
    set_err(err, errlen, path, "cannot set up database", s->msg);
    goto fail;
  }
  int have = sq_version(s);
  if (have < 0) {
    set_err(err, errlen, path, "not a ward database", sqlite3_errmsg(q->db));
    r = WD_ERR_IO;
    goto fail;
  }
  if (have > WD_STORE_SCHEMA_VERSION) {
    char d[96];
    snprintf(d, sizeof d, "schema version %d, this ward knows up to %d", have,
             WD_STORE_SCHEMA_VERSION);
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
  s->version = sq_version(s);
  *out = s;
  return WD_OK;
fail:
  sq_close(s);
  return r;
}

static wd_rc sq_begin(wd_store_t *s) {
  /* the write lock at once: a transaction that reads first and writes
     later could find its snapshot stale, which no waiting can fix */
  return exec_wait(s, "BEGIN IMMEDIATE");
}

static void sq_rollback(wd_store_t *s) {
  if (!sqlite3_get_autocommit(SQ(s)->db))
    exec(s, "ROLLBACK");
}

static wd_rc sq_commit(wd_store_t *s) {
  wd_rc rc = exec_wait(s, "COMMIT"); /* a busy COMMIT can be retried */
  if (rc != WD_OK)
    sq_rollback(s);
  return rc;
}

static bool sq_in_transaction(wd_store_t *s) {
  return !sqlite3_get_autocommit(SQ(s)->db);
}

static wd_rc sq_exclusive(wd_store_t *s, const char *what, char *err,
                          size_t errlen) {
  sq_store_t *q = SQ(s);
  char lockpath[WD_STORE_PATH_LEN + 64];
  snprintf(lockpath, sizeof lockpath, "%s.%s-lock", q->path, what);
  int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
    return WD_ERR_IO;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    snprintf(err, errlen, "%s: another ward %s is running", lockpath, what);
    close(fd);
    return WD_ERR_STATE;
  }
  if (q->lock_fd >= 0)
    close(q->lock_fd);
  q->lock_fd = fd;
  return WD_OK;
}

static wd_store_stmt_t *sq_prepare(wd_store_t *s, int q) {
  sq_store_t *x = SQ(s);
  sq_stmt_t *st = &x->st[q];
  if (!st->st) {
    if (!sql[q]) {
      snprintf(s->msg, sizeof s->msg, "statement %d: not for SQLite", q);
      return NULL;
    }
    if (sqlite3_prepare_v3(x->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->st, NULL) != SQLITE_OK) {
      snprintf(s->msg, sizeof s->msg, "prepare: %s", sqlite3_errmsg(x->db));
      wd_log(WD_LOG_ERROR, "store", "%s: %s", s->name, s->msg);
      return NULL;
    }
  }
  st->changes = 0;
  return &st->base;
}

static void sq_bind_text(wd_store_stmt_t *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(ST(st)->st, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(ST(st)->st, i);
}

static void sq_bind_i64(wd_store_stmt_t *st, int i, int64_t v) {
  sqlite3_bind_int64(ST(st)->st, i, v);
}

static void sq_bind_null(wd_store_stmt_t *st, int i) {
  sqlite3_bind_null(ST(st)->st, i);
}

static void sq_bind_blob(wd_store_stmt_t *st, int i, const void *p, size_t n) {
  sqlite3_bind_blob64(ST(st)->st, i, p, n, SQLITE_TRANSIENT);
}

static wd_rc sq_step(wd_store_stmt_t *st) {
  int rc = sqlite3_step(ST(st)->st);
  if (rc == SQLITE_ROW)
    return WD_OK;
  if (rc == SQLITE_DONE) {
    ST(st)->changes = (uint64_t)sqlite3_changes(SQ(st->s)->db);
    return WD_END;
  }
  return db_rc(st->s, rc);
}

static bool sq_col_null(wd_store_stmt_t *st, int i) {
  return sqlite3_column_type(ST(st)->st, i) == SQLITE_NULL;
}

static const char *sq_col_text(wd_store_stmt_t *st, int i) {
  const unsigned char *t = sqlite3_column_text(ST(st)->st, i);
  return t ? (const char *)t : "";
}

static int64_t sq_col_i64(wd_store_stmt_t *st, int i) {
  return sqlite3_column_int64(ST(st)->st, i);
}

static const void *sq_col_blob(wd_store_stmt_t *st, int i, size_t *n) {
  const void *p = sqlite3_column_blob(ST(st)->st, i);
  *n = (size_t)sqlite3_column_bytes(ST(st)->st, i);
  return p;
}

static uint64_t sq_changes(wd_store_stmt_t *st) { return ST(st)->changes; }

static void sq_done(wd_store_stmt_t *st) {
  sqlite3_reset(ST(st)->st);
  sqlite3_clear_bindings(ST(st)->st);
}

const wd_store_engine_t wd_store_sqlite_engine = {
    .name = "sqlite",
    .sql = sql,
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .exclusive = sq_exclusive,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_i64 = sq_bind_i64,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .col_null = sq_col_null,
    .col_text = sq_col_text,
    .col_i64 = sq_col_i64,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .done = sq_done,
};
