/* store_pg.c -- the PostgreSQL engine of the store (libpq): one database
 * shared by many sensors, ingesters and analysts.
 * In: a libpq connection URI (postgresql://user:pass@host:port/db,
 * postgres://...) or keyword string ("host=/run/postgresql dbname=ward").
 * Out: the engine table wd_store_pg_engine (store_int.h) and the SQL of
 * every named statement, the same values at the same positions ($N) as
 * the SQLite engine's ?N.
 * Memory: the pg_store_t owns the connection and one statement record per
 * named query: prepared on the server once per connection (PQprepare,
 * "wd<N>"), executed with PQexecPrepared -- values always travel as
 * parameters, never in SQL text. A statement's result lives until its
 * done. Text parameters that are not valid UTF-8 (hostile bytes from
 * mail or traffic) are sent with '?' for each bad byte, as the database
 * only holds UTF-8.
 * Concurrency: READ COMMITTED transactions. Incidents are serialised per
 * correlation key by transaction-level advisory locks (Q_CORR_LOCK,
 * taken in ascending order by the generic code), incident numbers by the
 * year's counter row (locked by its UPDATE until commit), status changes
 * and verdicts by row locks (FOR UPDATE). A serialization failure or a
 * deadlock is WD_ERR_CONFLICT: a statement outside a transaction is run
 * again here (bounded), a transaction by its caller (wd_store_retry).
 * db.busy_timeout is the session's lock_timeout. A connection found
 * broken at the start of a transaction is reset (once) and its statements
 * prepared again. Migrations run in one transaction under an advisory
 * lock, recorded in schema_version. Threads: one store per thread. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store_int.h"

/* The columns of a notification row (store_int.h NC_*). */
#define NOTICE_COLS                                                            \
  "id, incident_id, party_name, party_kind, party_email, party_format,"        \
  " party_deadline_hours, seq, kind, message_id, state, attempts,"             \
  " created_ns, next_ns, last_attempt_ns, sent_ns, requeued_ns, last_error,"   \
  " (message IS NOT NULL)::int"
#define NOTICE_COLS_N                                                          \
  "n.id, n.incident_id, n.party_name, n.party_kind, n.party_email,"            \
  " n.party_format, n.party_deadline_hours, n.seq, n.kind, n.message_id,"      \
  " n.state, n.attempts, n.created_ns, n.next_ns, n.last_attempt_ns,"          \
  " n.sent_ns, n.requeued_ns, n.last_error, (n.message IS NOT NULL)::int"

/* Text sorts byte by byte (COLLATE "C") as in SQLite, whatever the
 * database's collation, so both engines list rows in the same order. */
#define INC_FILTERS                                                            \
  "SELECT id FROM incidents i WHERE"                                           \
  " ($1::bigint IS NULL OR i.last_ns >= $1::bigint)"                           \
  " AND ($2::bigint IS NULL OR i.first_ns < $2::bigint)"                       \
  " AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM incident_attackers a"       \
  "  WHERE a.incident_id = i.id AND lower(a.country) = lower($3::text)))"      \
  " AND ($4::text IS NULL OR lower(i.sector) = lower($4::text) OR EXISTS"      \
  "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"             \
  "   AND lower(t.sector) = lower($4::text)))"                                 \
  " AND ($5::text IS NULL OR i.facility = $5::text OR EXISTS"                  \
  "  (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id"             \
  "   AND t.facility = $5::text))"                                             \
  " AND ($6::text IS NULL OR lower(i.class) = lower($6::text)"                 \
  "  OR lower(i.type) = lower($6::text))"                                      \
  " AND ($7::text IS NULL OR lower(i.status) = lower($7::text))"               \
  " AND ($9::text IS NULL OR i.id = $9::text)"

static const char *const sql[Q_COUNT] = {
    [Q_FIND] = "SELECT id FROM incidents WHERE corr_key = $1::text"
               " AND first_ns <= $2::bigint + $3::bigint"
               " AND last_ns + $3::bigint >= $2::bigint"
               " ORDER BY last_ns DESC LIMIT 1",
    /* the counter row stays locked by this UPDATE until commit */
    [Q_SEQ_NEXT] = "INSERT INTO incident_seq AS q (year, last)"
                   " VALUES ($1::int, 1) ON CONFLICT (year) DO UPDATE"
                   " SET last = q.last + 1 WHERE q.last < 999999"
                   " RETURNING last",
    [Q_CORR_LOCK] = "SELECT pg_advisory_xact_lock($1::int, $2::int)",
    [Q_INC_PUT] =
        "INSERT INTO incidents AS i (id, corr_key, line, class, type,"
        " class_rank, severity, priority, active, facility, sector,"
        " criticality, first_ns, last_ns, spoofed, sources, summary,"
        " party_name, party_kind, party_email, party_format, party_language,"
        " party_deadline_hours, party_pgp, party_matched_by, attribution)"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::text,"
        " $6::int, $7::int, $8::int, $9::int, $10::text, $11::text,"
        " $12::text, $13::bigint, $14::bigint, $15::int, $16::bigint,"
        " $17::text, $18::text, $19::text, $20::text, $21::text, $22::text,"
        " $23::bigint, $24::text, $25::text, $26::text)"
        " ON CONFLICT (id) DO UPDATE SET"
        " class = CASE WHEN excluded.class_rank >= i.class_rank"
        "  THEN excluded.class ELSE i.class END,"
        " type = CASE WHEN excluded.class_rank >= i.class_rank"
        "  THEN excluded.type ELSE i.type END,"
        " class_rank = GREATEST(i.class_rank, excluded.class_rank),"
        " severity = LEAST(i.severity, excluded.severity),"
        " priority = GREATEST(i.priority, excluded.priority),"
        " active = excluded.active,"
        " first_ns = LEAST(i.first_ns, excluded.first_ns),"
        " last_ns = GREATEST(i.last_ns, excluded.last_ns),"
        " spoofed = GREATEST(i.spoofed, excluded.spoofed),"
        " sources = GREATEST(i.sources, excluded.sources),"
        " summary = excluded.summary, attribution = excluded.attribution,"
        " party_name = COALESCE(excluded.party_name, i.party_name),"
        " party_kind = COALESCE(excluded.party_kind, i.party_kind),"
        " party_email = COALESCE(excluded.party_email, i.party_email),"
        " party_format = COALESCE(excluded.party_format, i.party_format),"
        " party_language = COALESCE(excluded.party_language,"
        "  i.party_language),"
        " party_deadline_hours = COALESCE(excluded.party_deadline_hours,"
        "  i.party_deadline_hours),"
        " party_pgp = COALESCE(excluded.party_pgp, i.party_pgp),"
        " party_matched_by = COALESCE(excluded.party_matched_by,"
        "  i.party_matched_by)",
/* the attack columns read back, in row_attack's order */
#define ATTACKS_GET(last)                                                      \
  "SELECT detector, src, dst, start_ns, last_ns, reports, packets,"            \
  " peak_pps, peak_bps, ended, signature, " last " FROM incident_attacks"      \
  " WHERE incident_id = $1::text ORDER BY start_ns,"                           \
  " detector COLLATE \"C\", src COLLATE \"C\", dst COLLATE \"C\""
    [Q_ATTACK_PUT] =
        "INSERT INTO incident_attacks AS a (incident_id, detector, src, dst,"
        " start_ns, last_ns, reports, packets, peak_pps, peak_bps, ended,"
        " signature, tree," INTEL_COLS ")"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint,"
        " $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::bigint,"
        " $11::int, $12::text, $13::text, $14::text, $15::text, $16::text,"
        " $17::text, $18::text, $19::text)"
        " ON CONFLICT (incident_id, detector, src, dst, start_ns) DO UPDATE"
        " SET last_ns = GREATEST(a.last_ns, excluded.last_ns),"
        " reports = GREATEST(a.reports, excluded.reports),"
        " packets = GREATEST(a.packets, excluded.packets),"
        " peak_pps = GREATEST(a.peak_pps, excluded.peak_pps),"
        " peak_bps = GREATEST(a.peak_bps, excluded.peak_bps),"
        " ended = GREATEST(a.ended, excluded.ended),"
        " signature = excluded.signature,"
        " tree = CASE WHEN excluded.tree <> '' THEN excluded.tree"
        "  ELSE a.tree END," INTEL_KEEP("a."),
    [Q_ATTACKER_PUT] =
        "INSERT INTO incident_attackers (incident_id, ip, role, country, asn,"
        " as_org, reliable, reason, party, matched_by)"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint,"
        " $6::text, $7::int, $8::text, $9::text, $10::text)"
        " ON CONFLICT (incident_id, ip, role) DO UPDATE SET"
        " country = excluded.country, asn = excluded.asn,"
        " as_org = excluded.as_org, reliable = excluded.reliable,"
        " reason = excluded.reason, party = excluded.party,"
        " matched_by = excluded.matched_by",
    [Q_TARGET_PUT] =
        "INSERT INTO incident_targets (incident_id, ip, facility, sector)"
        " VALUES ($1::text, $2::text, $3::text, $4::text)"
        " ON CONFLICT (incident_id, ip) DO UPDATE SET"
        " facility = excluded.facility, sector = excluded.sector",
    [Q_HOST_PUT] =
        "INSERT INTO incident_hosts AS h (incident_id, ip, infected_ns,"
        " infected_by, active_ns) VALUES ($1::text, $2::text, $3::bigint,"
        " $4::text, $5::bigint)"
        " ON CONFLICT (incident_id, ip) DO UPDATE SET"
        " infected_by = CASE WHEN excluded.infected_ns <> 0 AND"
        "  (h.infected_ns = 0 OR excluded.infected_ns < h.infected_ns)"
        "  THEN excluded.infected_by ELSE h.infected_by END,"
        " infected_ns = CASE WHEN excluded.infected_ns <> 0 AND"
        "  (h.infected_ns = 0 OR excluded.infected_ns < h.infected_ns)"
        "  THEN excluded.infected_ns ELSE h.infected_ns END,"
        " active_ns = CASE WHEN excluded.active_ns <> 0 AND"
        "  (h.active_ns = 0 OR excluded.active_ns < h.active_ns)"
        "  THEN excluded.active_ns ELSE h.active_ns END",
    [Q_SENSOR_PUT] =
        "INSERT INTO incident_sensors AS x (incident_id, sensor, first_ns,"
        " last_ns) VALUES ($1::text, $2::text, $3::bigint, $4::bigint)"
        " ON CONFLICT (incident_id, sensor) DO UPDATE SET"
        " first_ns = LEAST(x.first_ns, excluded.first_ns),"
        " last_ns = GREATEST(x.last_ns, excluded.last_ns)",
    [Q_TOTALS] = "UPDATE incidents SET"
                 " alerts = (SELECT COALESCE(SUM(reports), 0) FROM"
                 "  incident_attacks WHERE incident_id = $1::text),"
                 " packets = GREATEST(evidence_packets, (SELECT"
                 "  COALESCE(SUM(packets), 0) FROM"
                 "  incident_attacks WHERE incident_id = $1::text)),"
                 " peak_pps = (SELECT COALESCE(MAX(peak_pps), 0) FROM"
                 "  incident_attacks WHERE incident_id = $1::text),"
                 " peak_bps = (SELECT COALESCE(MAX(peak_bps), 0) FROM"
                 "  incident_attacks WHERE incident_id = $1::text)"
                 " WHERE id = $1::text",
    [Q_EVIDENCE] = "UPDATE incidents SET evidence_path = $2::text,"
                   " evidence_sha256 = $3::text, evidence_packets = $4::bigint,"
                   " packets = GREATEST(packets, $4::bigint)"
                   " WHERE id = $1::text",
    /* the row stays locked until the end of the transaction: two writers
       never both move a status from what they read */
    [Q_STATUS_GET] = "SELECT status FROM incidents WHERE id = $1::text"
                     " FOR UPDATE",
    [Q_STATUS_SET] = "UPDATE incidents SET status = $2::text"
                     " WHERE id = $1::text",
    [Q_INC_LOCK] = "SELECT 1 FROM incidents WHERE id = $1::text FOR UPDATE",
    [Q_INC_GET] =
        "SELECT id, corr_key, line, class, type, class_rank, severity,"
        " priority, status, active, facility, sector, criticality, first_ns,"
        " last_ns, alerts, packets, peak_pps, peak_bps, spoofed, sources,"
        " summary, party_name, party_kind, party_email, party_format,"
        " party_language, party_deadline_hours, party_pgp, party_matched_by,"
        " evidence_path, evidence_sha256, evidence_packets, attribution"
        " FROM incidents WHERE id = $1::text",
    [Q_ATTACKERS_GET] =
        "SELECT ip, role, country, asn, as_org, reliable, reason, party,"
        " matched_by FROM incident_attackers WHERE incident_id = $1::text"
        " ORDER BY role COLLATE \"C\", ip COLLATE \"C\"",
    [Q_TARGETS_GET] = "SELECT ip, facility, sector FROM incident_targets"
                      " WHERE incident_id = $1::text ORDER BY ip COLLATE \"C\"",
    [Q_HOSTS_GET] =
        "SELECT ip, infected_ns, infected_by, active_ns FROM incident_hosts"
        " WHERE incident_id = $1::text ORDER BY CASE"
        " WHEN infected_ns = 0 THEN active_ns"
        " WHEN active_ns = 0 THEN infected_ns"
        " ELSE LEAST(infected_ns, active_ns) END, ip COLLATE \"C\"",
    [Q_ATTACKS_GET] = ATTACKS_GET("tree," INTEL_COLS),
    [Q_ATTACKS_GET_V7] = ATTACKS_GET("tree," INTEL_NONE),
    [Q_ATTACKS_GET_V3] = ATTACKS_GET("''," INTEL_NONE),
    [Q_SENSORS_GET] = "SELECT sensor, first_ns, last_ns FROM incident_sensors"
                      " WHERE incident_id = $1::text"
                      " ORDER BY first_ns, sensor COLLATE \"C\"",
    [Q_IDS_NEWEST] = INC_FILTERS
    " ORDER BY i.first_ns DESC, i.id COLLATE \"C\" DESC LIMIT $8::bigint",
    [Q_IDS_OLDEST] =
        INC_FILTERS " ORDER BY i.first_ns, i.id COLLATE \"C\" LIMIT $8::bigint",

    [Q_NOTICE_ADD] =
        "INSERT INTO notifications (incident_id, party_name, party_kind,"
        " party_email, party_format, party_deadline_hours, seq, kind,"
        " message_id, created_ns, next_ns)"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::text,"
        " $6::bigint, $7::int, $8::text, $9::text, $10::bigint, $10::bigint)"
        " ON CONFLICT DO NOTHING",
    [Q_NOTICE_GET] =
        "SELECT " NOTICE_COLS " FROM notifications WHERE id = $1::bigint",
    [Q_NOTICE_FIRST] =
        "SELECT " NOTICE_COLS " FROM notifications WHERE"
        " incident_id = $1::text AND party_email = $2::text AND seq = 1",
    [Q_NOTICE_BY_MSGID] = "SELECT " NOTICE_COLS " FROM notifications"
                          " WHERE message_id = $1::text",
    [Q_NOTICE_BY_INCIDENT] =
        "SELECT " NOTICE_COLS " FROM notifications WHERE incident_id = $1::text"
        " ORDER BY (lower(substr(party_email, strpos(party_email, '@')))"
        " = lower($2::text)) DESC, seq, id LIMIT 1",
    [Q_NOTICE_DUE] =
        "SELECT " NOTICE_COLS ", (next_ns <= $1::bigint OR $2::int <> 0)::int"
        " FROM notifications WHERE state IN ('queued','sending')"
        " ORDER BY next_ns, id LIMIT $3::bigint",
    /* numeric: a huge deadline must not overflow bigint */
    [Q_NOTICE_OVERDUE] =
        "SELECT " NOTICE_COLS_N " FROM notifications n"
        " WHERE n.seq = 1 AND n.state = 'sent' AND n.party_deadline_hours > 0"
        " AND n.sent_ns::numeric + n.party_deadline_hours::numeric"
        "  * 3600000000000 < $1::bigint"
        " AND NOT EXISTS (SELECT 1 FROM notifications r WHERE"
        "  r.incident_id = n.incident_id AND r.party_email = n.party_email"
        "  AND r.seq = 2)"
        " AND NOT EXISTS (SELECT 1 FROM replies p WHERE"
        "  p.kind = 'human' AND p.sender != 'unverified' AND"
        "  (p.notification_id IN (SELECT x.id FROM notifications x WHERE"
        "   x.incident_id = n.incident_id AND x.party_email = n.party_email)"
        "   OR (p.notification_id IS NULL AND p.incident_id ="
        "   n.incident_id)))"
        " ORDER BY n.sent_ns, n.id LIMIT $2::bigint",
    [Q_NOTICE_LIST] = "SELECT " NOTICE_COLS " FROM notifications"
                      " ORDER BY id DESC LIMIT $1::bigint",
    [Q_NOTICE_SET_MESSAGE] =
        "UPDATE notifications SET message = $2::bytea, subject = $3::text,"
        " pcap_attached = $4::int WHERE id = $1::bigint AND message IS NULL",
    [Q_NOTICE_MESSAGE] = "SELECT message FROM notifications"
                         " WHERE id = $1::bigint AND message IS NOT NULL",
    [Q_NOTICE_SENDING] =
        "UPDATE notifications SET state = 'sending',"
        " attempts = attempts + 1, last_attempt_ns = $2::bigint"
        " WHERE id = $1::bigint AND state IN ('queued','sending')",
    [Q_NOTICE_COUNT_ATTEMPT] = "UPDATE notifications SET attempts ="
                               " attempts + 1 WHERE id = $1::bigint",
    [Q_NOTICE_SENT] =
        "UPDATE notifications SET state = 'sent', sent_ns = $3::bigint,"
        " last_error = '', transport = $2::text WHERE id = $1::bigint",
    [Q_NOTICE_RETRY] =
        "UPDATE notifications SET state = 'queued', next_ns = $4::bigint,"
        " last_error = $2::text, last_attempt_ns = $3::bigint"
        " WHERE id = $1::bigint",
    [Q_NOTICE_FAIL] =
        "UPDATE notifications SET state = 'failed', last_error = $2::text,"
        " last_attempt_ns = $3::bigint WHERE id = $1::bigint",
    [Q_NOTICE_REQUEUE] =
        "UPDATE notifications SET state = 'queued', next_ns = $2::bigint,"
        " requeued_ns = $2::bigint, attempts = 0 WHERE state = 'failed' AND"
        " (incident_id = $1::text OR message_id = $1::text"
        "  OR id::text = $1::text)",
    [Q_NOTICE_COUNT_REF] =
        "SELECT count(*) FROM notifications WHERE incident_id = $1::text"
        " OR message_id = $1::text OR id::text = $1::text",

    [Q_REPLY_ADD] =
        "INSERT INTO replies (fingerprint, message_id, notification_id,"
        " incident_id, from_addr, subject, date_ns, received_ns, kind,"
        " kind_reason, ref_source, source, sender)"
        " VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text,"
        " $6::text, $7::bigint, $8::bigint, $9::text, $10::text, $11::text,"
        " $12::text, $13::text) ON CONFLICT (fingerprint) DO NOTHING",
    [Q_REPLY_LATEST_HUMAN] =
        "SELECT id, verdict, verdict_by, verdict_ns, note FROM replies"
        " WHERE incident_id = $1::text AND kind = 'human'"
        " AND sender != 'unverified' ORDER BY received_ns DESC, id DESC"
        " LIMIT 1",
    [Q_REPLY_JUDGE] =
        "UPDATE replies SET verdict = $2::text, note = $3::text,"
        " verdict_ns = $4::bigint, verdict_by = $5::text WHERE id = $1::bigint",
    [Q_REPLY_ADD_RECORDED] =
        "INSERT INTO replies (fingerprint, notification_id, incident_id,"
        " from_addr, subject, date_ns, received_ns, kind, kind_reason,"
        " source, verdict, note, verdict_ns, verdict_by) VALUES ($1::text,"
        " (SELECT id FROM notifications WHERE incident_id = $2::text"
        "  ORDER BY seq, id LIMIT 1), $2::text, '', '(recorded by analyst)',"
        " $3::bigint, $3::bigint, 'human', 'recorded by analyst',"
        " 'ward reply', $4::text, $5::text, $3::bigint, $6::text)"
        " RETURNING id",
    [Q_VERDICT_LOG] =
        "INSERT INTO verdicts (reply_id, incident_id, verdict, note,"
        " judged_by, at_ns, replaced) VALUES ($1::bigint, $2::text,"
        " $3::text, $4::text, $5::text, $6::bigint, $7::text)",
    [Q_VERDICT_HISTORY] =
        "SELECT reply_id, verdict, judged_by, at_ns, note, replaced"
        " FROM verdicts WHERE incident_id = $1::text ORDER BY at_ns, id",

    [Q_REPORT] =
        "SELECT n.incident_id, n.party_name,"
        " COALESCE((SELECT a.country FROM incident_attackers a WHERE"
        "  a.incident_id = n.incident_id AND a.country != '' ORDER BY"
        "  a.reliable DESC, a.ip COLLATE \"C\" LIMIT 1), ''),"
        " i.sector, i.class, (n.seq > 1)::int, n.sent_ns,"
        " (n.state = 'sent')::int, n.party_deadline_hours,"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.kind = 'auto'"
        "  AND " WD_SQL_VERIFIED "),"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.kind = 'human'"
        "  AND " WD_SQL_VERIFIED "),"
        " (EXISTS (SELECT 1" WD_SQL_REPLIES_OF " AND r.verdict = 'substantive'"
        "  AND " WD_SQL_VERIFIED "))::int,"
        " (EXISTS (SELECT 1" WD_SQL_REPLIES_OF
        " AND r.verdict = 'formal' AND " WD_SQL_VERIFIED "))::int,"
        " (SELECT MIN(" WD_SQL_REPLY_TIME ")" WD_SQL_REPLIES_OF
        " AND r.sender = 'unverified')"
        " FROM notifications n JOIN incidents i ON i.id = n.incident_id"
        " WHERE ($1::bigint = 0 OR"
        "  COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) >= $1::bigint)"
        " AND ($2::bigint = 0 OR"
        "  COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) < $2::bigint)"
        " ORDER BY n.id",
    [Q_TOKEN_ADD] = "INSERT INTO api_tokens(name, role, hash, created_ns)"
                    " VALUES ($1::text, $2::text, $3::text, $4::bigint)"
                    " ON CONFLICT(name) DO UPDATE SET"
                    " role = excluded.role, hash = excluded.hash,"
                    " created_ns = excluded.created_ns, revoked_ns = 0"
                    " WHERE api_tokens.revoked_ns != 0",
    [Q_TOKEN_BY_HASH] =
        "SELECT name, role, hash, created_ns, revoked_ns"
        " FROM api_tokens WHERE hash = $1::text AND revoked_ns = 0",
    [Q_TOKEN_LIST] = "SELECT name, role, hash, created_ns, revoked_ns"
                     " FROM api_tokens ORDER BY name COLLATE \"C\"",
    [Q_TOKEN_REVOKE] = "UPDATE api_tokens SET revoked_ns = $2::bigint"
                       " WHERE name = $1::text AND revoked_ns = 0",
    [Q_AUDIT_ADD] =
        "INSERT INTO audit(at_ns, who, action, target, before, after)"
        " VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text,"
        " $6::text)",
    [Q_AUDIT_LIST] =
        "SELECT id, at_ns, who, action, target, before, after"
        " FROM audit ORDER BY id DESC LIMIT $1::bigint OFFSET $2::bigint",
    [Q_NOTE_ADD] = "INSERT INTO incident_notes(incident_id, at_ns, by_name,"
                   " note) SELECT id, $2::bigint, $3::text, $4::text"
                   " FROM incidents WHERE id = $1::text",
    [Q_NOTES_GET] = "SELECT at_ns, by_name, note FROM incident_notes"
                    " WHERE incident_id = $1::text ORDER BY at_ns, id",
    [Q_REPLIES_OF] =
        "SELECT id, COALESCE(notification_id, 0), from_addr, subject,"
        " date_ns, received_ns, kind, sender, verdict, verdict_by, note"
        " FROM replies WHERE incident_id = $1::text ORDER BY received_ns, id",
    [Q_NOTICES_OF] = "SELECT " NOTICE_COLS " FROM notifications"
                     " WHERE incident_id = $1::text ORDER BY id",
    [Q_METRICS] = "SELECT 'incidents'::text, status, COUNT(*)::bigint FROM "
                  "incidents GROUP BY status UNION ALL "
                  "SELECT 'alerts'::text, detector, SUM(reports)::bigint FROM "
                  "incident_attacks GROUP BY detector UNION ALL "
                  "SELECT 'notifications'::text, state, COUNT(*)::bigint FROM "
                  "notifications GROUP BY state UNION ALL "
                  "SELECT 'oldest_queued_ns'::text, ''::text, "
                  "COALESCE(MIN(created_ns), 0)::bigint FROM notifications "
                  "WHERE state IN ('queued','sending') UNION ALL "
                  "SELECT 'delivery_failures'::text, ''::text, "
                  "COALESCE(SUM(attempts - CASE WHEN state = 'sent' THEN 1 "
                  "ELSE 0 END), 0)::bigint FROM notifications UNION ALL "
                  "SELECT 'replies'::text, kind, COUNT(*)::bigint FROM replies "
                  "GROUP BY kind UNION ALL "
                  "SELECT 'verdicts'::text, verdict, COUNT(*)::bigint FROM "
                  "replies WHERE verdict != '' GROUP BY verdict UNION ALL "
                  "SELECT 'tokens'::text, role, COUNT(*)::bigint FROM "
                  "api_tokens WHERE revoked_ns = 0 GROUP BY role",

    [Q_FLEET_SEEN] = "SELECT 1 FROM fleet_messages WHERE id = $1::text",
    [Q_FLEET_MARK] =
        "INSERT INTO fleet_messages (id, sensor, kind, event_ns, stored_ns)"
        " VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint)"
        " ON CONFLICT (id) DO NOTHING",
    [Q_FLEET_SENSORS] =
        "SELECT sensor, count(*), count(*) FILTER (WHERE kind = 'alert'),"
        " MAX(event_ns), MAX(stored_ns),"
        " count(*) FILTER (WHERE stored_ns >= $1::bigint),"
        " count(*) FILTER (WHERE kind = 'alert' AND stored_ns >= $1::bigint)"
        " FROM fleet_messages GROUP BY sensor ORDER BY sensor",
    [Q_INC_EXPIRE] = "UPDATE incidents SET active = 0 WHERE active = 1"
                     " AND last_ns <= $1::bigint",
    [Q_PARTY_LIST] =
        "SELECT id, name, doc, updated_ns FROM parties ORDER BY id",
    [Q_PARTY_GET] = "SELECT id, name, doc, updated_ns FROM parties"
                    " WHERE name = $1::text",
    [Q_PARTY_ADD] = "INSERT INTO parties(name, doc, updated_ns)"
                    " VALUES ($1::text, $2::text, $3::bigint)"
                    " ON CONFLICT(name) DO NOTHING",
    [Q_PARTY_UPDATE] = "UPDATE parties SET doc = $2::text,"
                       " updated_ns = $3::bigint WHERE name = $1::text",
    [Q_PARTY_DELETE] = "DELETE FROM parties WHERE name = $1::text",
};

/* Statements whose one column is read as raw bytes (binary results). */
static bool binary_result(int q) { return q == Q_NOTICE_MESSAGE; }

#define PG_PARAMS_MAX 32
/* A statement outside a transaction that loses a race is run again at
 * most this many times. */
#define PG_AUTOCOMMIT_RETRIES 5

typedef struct pg_stmt {
  wd_store_stmt_t base;
  bool prepared;
  int nparams; /* the server's count (PQdescribePrepared) */
  const char *val[PG_PARAMS_MAX];
  int len[PG_PARAMS_MAX], fmt[PG_PARAMS_MAX];
  char num[PG_PARAMS_MAX][24]; /* integers as text */
  char *own[PG_PARAMS_MAX];    /* cleaned copies of text, freed at done */
  PGresult *res;               /* after the first step, until done */
  int row, nrows;
  uint64_t changes;
} pg_stmt_t;

typedef struct pg_store {
  wd_store_t base;
  PGconn *c;
  pg_stmt_t st[Q_COUNT];
} pg_store_t;

#define PG(s) ((pg_store_t *)(s))
#define ST(st) ((pg_stmt_t *)(st))

/* First line of a libpq message, without its "ERROR:  " / "FATAL:  ". */
static void one_line(char *out, size_t n, const char *m) {
  if (!m)
    m = "";
  if (!strncmp(m, "ERROR:  ", 8) || !strncmp(m, "FATAL:  ", 8))
    m += 8;
  size_t l = strcspn(m, "\n");
  snprintf(out, n, "%.*s", (int)l, m);
}

/* wd_rc for a failed result, s->msg set. */
static wd_rc res_rc(wd_store_t *s, const PGresult *res) {
  pg_store_t *p = PG(s);
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *prim =
      res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (!state && PQstatus(p->c) == CONNECTION_BAD) {
    char m[300];
    one_line(m, sizeof m, PQerrorMessage(p->c));
    snprintf(s->msg, sizeof s->msg, "connection lost: %s", m);
    return WD_ERR_IO;
  }
  if (prim)
    snprintf(s->msg, sizeof s->msg, "%s", prim);
  else
    one_line(s->msg, sizeof s->msg,
             res ? PQresultErrorMessage(res) : PQerrorMessage(p->c));
  if (!state)
    return WD_ERR_IO;
  if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
    return WD_ERR_CONFLICT;      /* serialization failure, deadlock */
  if (!strcmp(state, "55P03")) { /* lock_timeout */
    wd_store_msg_locked(s);
    return WD_ERR_IO;
  }
  if (!strcmp(state, "25006")) /* read-only transaction */
    return WD_ERR_STATE;
  if (!strcmp(state, "53200")) /* out of memory */
    return WD_ERR_NOMEM;
  if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2))
    return WD_ERR_INVAL; /* constraint, data exception */
  return WD_ERR_IO;
}

/* Runs text (no values) and expects no rows. */
static wd_rc exec(wd_store_t *s, const char *text) {
  PGresult *res = PQexec(PG(s)->c, text);
  ExecStatusType t = PQresultStatus(res);
  wd_rc r =
      t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? WD_OK : res_rc(s, res);
  PQclear(res);
  return r;
}

static void notice_log(void *arg, const char *message) {
  wd_store_t *s = arg;
  char m[300];
  one_line(m, sizeof m, message);
  wd_log(WD_LOG_DEBUG, "store", "%s: %s", s->name, m);
}

/* The session's settings: lock waits bounded by db.busy_timeout, and a
 * read-only session when asked. Values are integers we format. */
static wd_rc session_setup(wd_store_t *s) {
  char q[96];
  snprintf(q, sizeof q, "SET lock_timeout = %u", s->busy_ms);
  wd_rc r = exec(s, q);
  if (r == WD_OK)
    r = exec(s, "SET client_min_messages = warning");
  if (r == WD_OK && s->readonly)
    r = exec(s, "SET default_transaction_read_only = on");
  return r;
}

static void stmt_clear(pg_stmt_t *st) {
  PQclear(st->res);
  st->res = NULL;
  for (int i = 0; i < PG_PARAMS_MAX; i++) {
    free(st->own[i]);
    st->own[i] = NULL;
    st->val[i] = NULL;
    st->len[i] = 0;
    st->fmt[i] = 0;
  }
  st->row = -1;
  st->nrows = 0;
}

/* The applied version: the highest row of schema_version, 0 when the
 * table is not there (a database ward never set up). */
static int pg_version(wd_store_t *s) {
  PGresult *res =
      PQexec(PG(s)->c, "SELECT CASE WHEN to_regclass('schema_version') IS NULL"
                       " THEN 0 ELSE -1 END");
  int v = -1;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
    v = atoi(PQgetvalue(res, 0, 0));
  PQclear(res);
  if (v != -1)
    return v;
  res = PQexec(PG(s)->c, "SELECT COALESCE(max(version), 0) FROM"
                         " schema_version");
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
    v = atoi(PQgetvalue(res, 0, 0));
  else
    res_rc(s, res);
  PQclear(res);
  return v;
}

/* Applies migrations up to target in one transaction. Other wards may be
 * opening the same new database at this moment: the advisory lock makes
 * them wait; inside it schema_version is read again and only what is
 * still missing is applied, so no step ever runs twice. */
static wd_rc migrate(wd_store_t *s, int target) {
  char q[128];
  wd_rc r = exec(s, "BEGIN");
  if (r != WD_OK)
    return r;
  snprintf(q, sizeof q, "SELECT pg_advisory_xact_lock(%d, 0)",
           WD_STORE_PG_LOCK_MIGRATE);
  if ((r = exec(s, q)) != WD_OK ||
      (r = exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
                   " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                   " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")) != WD_OK)
    goto fail;
  int have = pg_version(s);
  if (have < 0) {
    r = WD_ERR_IO;
    goto fail;
  }
  if (have > WD_STORE_SCHEMA_VERSION) {
    snprintf(s->msg, sizeof s->msg,
             "database is newer than this ward: schema version %d, this ward "
             "knows up to %d",
             have, WD_STORE_SCHEMA_VERSION);
    r = WD_ERR_UNSUPPORTED;
    goto fail;
  }
  for (int v = have + 1; v <= target; v++) {
    const wd_store_migration_t *m = &wd_store_pg_migrations[v - 1];
    if ((r = exec(s, m->sql)) != WD_OK) {
      char why[300];
      snprintf(why, sizeof why, "migration %d (%.60s): %.200s", m->version,
               m->name, s->msg);
      snprintf(s->msg, sizeof s->msg, "%s", why);
      goto fail;
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", m->version);
    const char *vals[2] = {ver, m->name};
    PGresult *res = PQexecParams(
        PG(s)->c,
        "INSERT INTO schema_version(version, name) VALUES ($1::int, $2::text)",
        2, NULL, vals, NULL, NULL, 0);
    r = PQresultStatus(res) == PGRES_COMMAND_OK ? WD_OK : res_rc(s, res);
    PQclear(res);
    if (r != WD_OK)
      goto fail;
    wd_log(WD_LOG_INFO, "store", "%s: schema version %d: %s", s->name,
           m->version, m->name);
  }
  PGresult *res = PQexec(PG(s)->c, "COMMIT");
  r = PQresultStatus(res) == PGRES_COMMAND_OK ? WD_OK : res_rc(s, res);
  PQclear(res);
  return r;
fail:
  exec(s, "ROLLBACK");
  return r;
}

static void pg_close(wd_store_t *s) {
  pg_store_t *p = PG(s);
  for (int i = 0; i < Q_COUNT; i++)
    stmt_clear(&p->st[i]);
  if (p->c)
    PQfinish(p->c);
  free(p);
}

static void set_err(char *err, size_t errlen, const char *name,
                    const char *what, const char *detail) {
  if (err && errlen)
    snprintf(err, errlen, "%s: %s%s%s", name, what, detail ? ": " : "",
             detail ? detail : "");
}

static wd_rc pg_open(const char *target, const char *name, int version,
                     const wd_store_opts_t *o, wd_store_t **out, char *err,
                     size_t errlen) {
  *out = NULL;
  pg_store_t *p = calloc(1, sizeof *p);
  if (!p)
    return WD_ERR_NOMEM;
  wd_store_t *s = &p->base;
  s->e = &wd_store_pg_engine;
  snprintf(s->name, sizeof s->name, "%s", name);
  s->readonly = o && (o->flags & WD_STORE_READONLY);
  s->busy_ms =
      o && o->busy_timeout_ms ? o->busy_timeout_ms : WD_STORE_BUSY_TIMEOUT_MS;
  for (int i = 0; i < Q_COUNT; i++) {
    p->st[i].base.s = s;
    p->st[i].base.q = i;
    p->st[i].row = -1;
  }
  /* the URL's own settings win over the first two; the encoding is ours */
  const char *kw[] = {"fallback_application_name", "connect_timeout", "dbname",
                      "client_encoding", NULL};
  const char *vals[] = {"ward", "10", target, "UTF8", NULL};
  p->c = PQconnectdbParams(kw, vals, 1);
  wd_rc r = WD_OK;
  if (!p->c) {
    r = WD_ERR_NOMEM;
    goto fail;
  }
  if (PQstatus(p->c) != CONNECTION_OK) {
    char m[400];
    one_line(m, sizeof m, PQerrorMessage(p->c));
    if (strstr(m, "database \"") && strstr(m, "\" does not exist")) {
      set_err(err, errlen, name, "no such database", m);
      r = WD_ERR_NOTFOUND;
    } else {
      set_err(err, errlen, name, "cannot connect", m);
      r = WD_ERR_IO;
    }
    goto fail;
  }
  PQsetNoticeProcessor(p->c, notice_log, s);
  if ((r = session_setup(s)) != WD_OK) {
    set_err(err, errlen, name, "cannot set up the session", s->msg);
    goto fail;
  }
  int have = pg_version(s);
  if (have < 0) {
    set_err(err, errlen, name, "cannot read the schema version", s->msg);
    r = WD_ERR_IO;
    goto fail;
  }
  if (have > WD_STORE_SCHEMA_VERSION) {
    char d[96];
    snprintf(d, sizeof d, "schema version %d, this ward knows up to %d", have,
             WD_STORE_SCHEMA_VERSION);
    set_err(err, errlen, name, "database is newer than this ward", d);
    r = WD_ERR_UNSUPPORTED;
    goto fail;
  }
  if (s->readonly && have == 0) {
    set_err(err, errlen, name, "not a ward database",
            "no ward schema in it (no schema_version table)");
    r = WD_ERR_INVAL;
    goto fail;
  }
  if (!s->readonly && have < version && (r = migrate(s, version)) != WD_OK) {
    set_err(err, errlen, name,
            r == WD_ERR_UNSUPPORTED ? "cannot open" : "cannot migrate", s->msg);
    goto fail;
  }
  s->version = pg_version(s);
  *out = s;
  return WD_OK;
fail:
  pg_close(s);
  return r;
}

static bool pg_in_transaction(wd_store_t *s) {
  PGTransactionStatusType t = PQtransactionStatus(PG(s)->c);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* A connection the server dropped (restart, idle timeout) is made again
 * before a transaction or a statement outside one begins; its prepared
 * statements went with the old session. */
static wd_rc reconnect(wd_store_t *s) {
  pg_store_t *p = PG(s);
  if (PQstatus(p->c) == CONNECTION_OK)
    return WD_OK;
  PQreset(p->c);
  if (PQstatus(p->c) != CONNECTION_OK) {
    char m[300];
    one_line(m, sizeof m, PQerrorMessage(p->c));
    snprintf(s->msg, sizeof s->msg, "connection lost: %s", m);
    return WD_ERR_IO;
  }
  for (int i = 0; i < Q_COUNT; i++) {
    stmt_clear(&p->st[i]);
    p->st[i].prepared = false;
  }
  wd_log(WD_LOG_WARN, "store", "%s: connection was lost, connected again",
         s->name);
  return session_setup(s);
}

static wd_rc pg_begin(wd_store_t *s) {
  wd_rc r = reconnect(s);
  if (r == WD_OK)
    r = exec(s, "BEGIN");
  /* a connection the server closed is only seen when used: nothing was
     done yet, so connect again and begin once more */
  if (r != WD_OK && PQstatus(PG(s)->c) == CONNECTION_BAD &&
      (r = reconnect(s)) == WD_OK)
    r = exec(s, "BEGIN");
  return r;
}

static void pg_rollback(wd_store_t *s) {
  if (pg_in_transaction(s))
    exec(s, "ROLLBACK");
}

static wd_rc pg_commit(wd_store_t *s) {
  PGresult *res = PQexec(PG(s)->c, "COMMIT");
  wd_rc r = WD_OK;
  if (PQresultStatus(res) != PGRES_COMMAND_OK)
    r = res_rc(s, res);
  else if (!strcmp(PQcmdStatus(res), "ROLLBACK")) {
    /* the transaction had failed: COMMIT of an aborted one rolls back */
    snprintf(s->msg, sizeof s->msg, "transaction was aborted, rolled back");
    r = WD_ERR_IO;
  }
  PQclear(res);
  if (r != WD_OK)
    pg_rollback(s);
  return r;
}

static wd_rc pg_exclusive(wd_store_t *s, const char *what, char *err,
                          size_t errlen) {
  char ns[16], key[16];
  snprintf(ns, sizeof ns, "%d", WD_STORE_PG_LOCK_EXCLUSIVE);
  snprintf(key, sizeof key, "%d", (int32_t)wd_store_key_hash(what));
  const char *vals[2] = {ns, key};
  PGresult *res =
      PQexecParams(PG(s)->c, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2,
                   NULL, vals, NULL, NULL, 0);
  wd_rc r;
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
    r = res_rc(s, res);
    snprintf(err, errlen, "%s: %s", s->name, s->msg);
  } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
    snprintf(err, errlen, "%s: another ward %s is running on this database",
             s->name, what);
    r = WD_ERR_STATE;
  } else
    r = WD_OK;
  PQclear(res);
  return r;
}

static wd_store_stmt_t *pg_prepare(wd_store_t *s, int q) {
  pg_store_t *p = PG(s);
  pg_stmt_t *st = &p->st[q];
  if (!pg_in_transaction(s) && reconnect(s) != WD_OK)
    return NULL;
  stmt_clear(st);
  if (!st->prepared) {
    if (!sql[q]) {
      snprintf(s->msg, sizeof s->msg, "statement %d: not for PostgreSQL", q);
      return NULL;
    }
    char name[16];
    snprintf(name, sizeof name, "wd%d", q);
    PGresult *res = PQprepare(p->c, name, sql[q], 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      res_rc(s, res);
      PQclear(res);
      wd_log(WD_LOG_ERROR, "store", "%s: prepare: %s", s->name, s->msg);
      return NULL;
    }
    PQclear(res);
    res = PQdescribePrepared(p->c, name);
    if (PQresultStatus(res) != PGRES_COMMAND_OK ||
        PQnparams(res) > PG_PARAMS_MAX) {
      res_rc(s, res);
      PQclear(res);
      return NULL;
    }
    st->nparams = PQnparams(res);
    PQclear(res);
    st->prepared = true;
  }
  st->changes = 0;
  return &st->base;
}

/* Whether t is valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF). */
static bool utf8_ok(const unsigned char *t) {
  while (*t) {
    unsigned c = *t;
    size_t n;
    unsigned min;
    if (c < 0x80) {
      t++;
      continue;
    }
    if ((c & 0xe0) == 0xc0)
      n = 1, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0)
      n = 2, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0)
      n = 3, min = 0x10000, c &= 0x07;
    else
      return false;
    for (size_t i = 1; i <= n; i++) {
      if ((t[i] & 0xc0) != 0x80)
        return false;
      c = (c << 6) | (t[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
      return false;
    t += n + 1;
  }
  return true;
}

/* A copy of t with '?' for every byte that is not part of valid UTF-8. */
static char *utf8_clean(const char *t) {
  size_t l = strlen(t);
  char *o = malloc(l + 1);
  if (!o)
    return NULL;
  const unsigned char *u = (const unsigned char *)t;
  size_t j = 0;
  for (size_t i = 0; i < l;) {
    unsigned char one[5] = {0};
    size_t n = u[i] < 0x80             ? 1
               : (u[i] & 0xe0) == 0xc0 ? 2
               : (u[i] & 0xf0) == 0xe0 ? 3
               : (u[i] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n && i + n <= l) {
      memcpy(one, u + i, n);
      if (utf8_ok(one)) {
        memcpy(o + j, u + i, n);
        j += n;
        i += n;
        continue;
      }
    }
    o[j++] = '?';
    i++;
  }
  o[j] = '\0';
  return o;
}

static void pg_bind_text(wd_store_stmt_t *b, int i, const char *v) {
  pg_stmt_t *st = ST(b);
  if (i < 1 || i > PG_PARAMS_MAX)
    return;
  free(st->own[i - 1]);
  st->own[i - 1] = NULL;
  st->fmt[i - 1] = 0;
  if (v && !utf8_ok((const unsigned char *)v)) {
    st->own[i - 1] = utf8_clean(v);
    v = st->own[i - 1] ? st->own[i - 1] : "?";
  }
  st->val[i - 1] = v;
}

static void pg_bind_i64(wd_store_stmt_t *b, int i, int64_t v) {
  pg_stmt_t *st = ST(b);
  if (i < 1 || i > PG_PARAMS_MAX)
    return;
  snprintf(st->num[i - 1], sizeof st->num[i - 1], "%" PRId64, v);
  st->val[i - 1] = st->num[i - 1];
  st->fmt[i - 1] = 0;
}

static void pg_bind_null(wd_store_stmt_t *b, int i) {
  pg_stmt_t *st = ST(b);
  if (i >= 1 && i <= PG_PARAMS_MAX)
    st->val[i - 1] = NULL;
}

static void pg_bind_blob(wd_store_stmt_t *b, int i, const void *p, size_t n) {
  pg_stmt_t *st = ST(b);
  if (i < 1 || i > PG_PARAMS_MAX || n > INT32_MAX)
    return;
  st->val[i - 1] = p ? p : "";
  st->len[i - 1] = (int)n;
  st->fmt[i - 1] = 1; /* bytes as they are */
}

static wd_rc pg_step(wd_store_stmt_t *b) {
  pg_stmt_t *st = ST(b);
  wd_store_t *s = b->s;
  pg_store_t *p = PG(s);
  if (!st->res) {
    char name[16];
    snprintf(name, sizeof name, "wd%d", b->q);
    bool own = !pg_in_transaction(s);
    for (int attempt = 0;; attempt++) {
      st->res = PQexecPrepared(p->c, name, st->nparams, st->val, st->len,
                               st->fmt, binary_result(b->q));
      ExecStatusType t = PQresultStatus(st->res);
      if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
        break;
      wd_rc r = res_rc(s, st->res);
      PQclear(st->res);
      st->res = NULL;
      if (r == WD_ERR_CONFLICT && own && attempt < PG_AUTOCOMMIT_RETRIES) {
        struct timespec ts = {0, (1L << attempt) * 1000000L};
        nanosleep(&ts, NULL);
        continue;
      }
      return r;
    }
    st->nrows =
        PQresultStatus(st->res) == PGRES_TUPLES_OK ? PQntuples(st->res) : 0;
    const char *ct = PQcmdTuples(st->res);
    st->changes = ct && *ct ? strtoull(ct, NULL, 10) : 0;
    st->row = -1;
  }
  if (st->row + 1 < st->nrows) {
    st->row++;
    return WD_OK;
  }
  st->row = st->nrows;
  return WD_END;
}

static bool pg_col_null(wd_store_stmt_t *b, int i) {
  pg_stmt_t *st = ST(b);
  return !st->res || st->row < 0 || st->row >= st->nrows ||
         i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i);
}

static const char *pg_col_text(wd_store_stmt_t *b, int i) {
  pg_stmt_t *st = ST(b);
  if (pg_col_null(b, i))
    return "";
  return PQgetvalue(st->res, st->row, i);
}

static int64_t pg_col_i64(wd_store_stmt_t *b, int i) {
  const char *t = pg_col_text(b, i);
  if (*t == 't')
    return 1;
  if (*t == 'f')
    return 0;
  return strtoll(t, NULL, 10);
}

static const void *pg_col_blob(wd_store_stmt_t *b, int i, size_t *n) {
  pg_stmt_t *st = ST(b);
  *n = 0;
  if (pg_col_null(b, i))
    return NULL;
  *n = (size_t)PQgetlength(st->res, st->row, i);
  return PQgetvalue(st->res, st->row, i);
}

static uint64_t pg_changes(wd_store_stmt_t *b) { return ST(b)->changes; }

static void pg_done(wd_store_stmt_t *b) { stmt_clear(ST(b)); }

const wd_store_engine_t wd_store_pg_engine = {
    .name = "postgresql",
    .sql = sql,
    .open = pg_open,
    .close = pg_close,
    .schema_version = pg_version,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .exclusive = pg_exclusive,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_i64 = pg_bind_i64,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .col_null = pg_col_null,
    .col_text = pg_col_text,
    .col_i64 = pg_col_i64,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .done = pg_done,
};
