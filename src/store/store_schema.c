/* store_schema.c -- the ordered list of schema migrations.
 * In: nothing. Out: wd_store_migrations[], applied by wd_store_open in
 * order, each in its own transaction with PRAGMA user_version = version.
 * Rules: append only (a later stage adds version N+1 at the end, e.g. the
 * notification outbox); never edit a released entry; times are INTEGER
 * nanoseconds since the epoch (traffic time); addresses are text. */
#include "store/store.h"

const wd_store_migration_t wd_store_migrations[] = {
    {1, "incidents, attackers, targets, hosts, attacks, id sequence",
     /* one row per incident; corr_key groups the alerts of one line of
        activity (see src/incident/incident.c) */
     "CREATE TABLE incidents ("
     " id TEXT PRIMARY KEY,"
     " corr_key TEXT NOT NULL,"
     " line TEXT NOT NULL,"
     " class TEXT NOT NULL, type TEXT NOT NULL,"
     " class_rank INTEGER NOT NULL DEFAULT 0,"
     " severity INTEGER NOT NULL, priority INTEGER NOT NULL DEFAULT 0,"
     " status TEXT NOT NULL DEFAULT 'new'"
     "  CHECK (status IN ('new','notified','answered','closed')),"
     " active INTEGER NOT NULL DEFAULT 1,"
     " facility TEXT NOT NULL DEFAULT '', sector TEXT NOT NULL DEFAULT '',"
     " criticality TEXT NOT NULL DEFAULT '',"
     " first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
     " alerts INTEGER NOT NULL DEFAULT 0, packets INTEGER NOT NULL DEFAULT 0,"
     " peak_pps INTEGER NOT NULL DEFAULT 0, peak_bps INTEGER NOT NULL DEFAULT "
     "0,"
     " spoofed INTEGER NOT NULL DEFAULT 0, sources INTEGER NOT NULL DEFAULT 0,"
     " attribution TEXT NOT NULL DEFAULT '',"
     " summary TEXT NOT NULL DEFAULT '',"
     " party_name TEXT, party_kind TEXT, party_email TEXT, party_format TEXT,"
     " party_language TEXT, party_deadline_hours INTEGER,"
     " party_pgp TEXT, party_matched_by TEXT,"
     " evidence_path TEXT, evidence_sha256 TEXT,"
     " evidence_packets INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX incidents_corr ON incidents(corr_key, last_ns);"
     "CREATE INDEX incidents_first ON incidents(first_ns);"
     "CREATE TABLE incident_attackers ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " ip TEXT NOT NULL, role TEXT NOT NULL,"
     " country TEXT NOT NULL DEFAULT '', asn INTEGER NOT NULL DEFAULT 0,"
     " as_org TEXT NOT NULL DEFAULT '', reliable INTEGER NOT NULL,"
     " reason TEXT NOT NULL DEFAULT '', party TEXT NOT NULL DEFAULT '',"
     " matched_by TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY (incident_id, ip, role));"
     "CREATE INDEX incident_attackers_country ON incident_attackers(country);"
     "CREATE TABLE incident_targets ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " ip TEXT NOT NULL, facility TEXT NOT NULL DEFAULT '',"
     " sector TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY (incident_id, ip));"
     "CREATE TABLE incident_hosts ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " ip TEXT NOT NULL, infected_ns INTEGER NOT NULL DEFAULT 0,"
     " infected_by TEXT NOT NULL DEFAULT '',"
     " active_ns INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (incident_id, ip));"
     "CREATE TABLE incident_attacks ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " detector TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,"
     " start_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
     " reports INTEGER NOT NULL, packets INTEGER NOT NULL DEFAULT 0,"
     " peak_pps INTEGER NOT NULL DEFAULT 0, peak_bps INTEGER NOT NULL DEFAULT "
     "0,"
     " ended INTEGER NOT NULL DEFAULT 0, signature TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY (incident_id, detector, src, dst, start_ns));"
     "CREATE TABLE incident_seq ("
     " year INTEGER PRIMARY KEY, last INTEGER NOT NULL);"},
    {2, "notification outbox and replies (src/notify/outbox.c, inbox.c)",
     /* one row per mail to one party about one incident: seq 1 the first
        notification, 2 its reminder; message holds the exact bytes, fixed
        before the first attempt so every retry sends the same mail */
     "CREATE TABLE notifications ("
     " id INTEGER PRIMARY KEY,"
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " party_name TEXT NOT NULL, party_kind TEXT NOT NULL DEFAULT '',"
     " party_email TEXT NOT NULL, party_format TEXT NOT NULL DEFAULT 'text',"
     " party_deadline_hours INTEGER NOT NULL DEFAULT 0,"
     " seq INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('initial','reminder')),"
     " message_id TEXT NOT NULL UNIQUE,"
     " subject TEXT NOT NULL DEFAULT '',"
     " state TEXT NOT NULL DEFAULT 'queued'"
     "  CHECK (state IN ('queued','sending','sent','failed')),"
     " created_ns INTEGER NOT NULL,"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_ns INTEGER NOT NULL,"
     " last_attempt_ns INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " sent_ns INTEGER NOT NULL DEFAULT 0,"
     " transport TEXT NOT NULL DEFAULT '',"
     " pcap_attached INTEGER NOT NULL DEFAULT 0,"
     " message BLOB,"
     " UNIQUE (incident_id, party_email, seq));"
     "CREATE INDEX notifications_due ON notifications(state, next_ns);"
     /* one row per received mail, keyed by the SHA-256 of its bytes so a
        mailbox imported twice adds nothing; verdict: the analysts' */
     "CREATE TABLE replies ("
     " id INTEGER PRIMARY KEY,"
     " fingerprint TEXT NOT NULL UNIQUE,"
     " message_id TEXT NOT NULL DEFAULT '',"
     " notification_id INTEGER REFERENCES notifications(id)"
     "  ON DELETE SET NULL,"
     " incident_id TEXT NOT NULL DEFAULT '',"
     " from_addr TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '',"
     " date_ns INTEGER NOT NULL DEFAULT 0, received_ns INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('human','auto','bounce')),"
     " kind_reason TEXT NOT NULL DEFAULT '',"
     " ref_source TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',"
     " verdict TEXT NOT NULL DEFAULT ''"
     "  CHECK (verdict IN ('','substantive','formal')),"
     " note TEXT NOT NULL DEFAULT '', verdict_ns INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX replies_notification ON replies(notification_id);"
     "CREATE INDEX replies_incident ON replies(incident_id);"},
    {3,
     "who sent a reply (the party or an unverified stranger); when a failed "
     "notification was brought back (src/notify/inbox.c, outbox.c)",
     /* replies.sender -- 'party': the sender is the party's address or
        listed in its reply_from; 'unverified': it is not, so the reply is
        kept and shown but never counted as the party's answer; '': not
        checked (bounces, replies matched to nothing, verdicts recorded by
        an analyst, rows imported before this version).
        notifications.requeued_ns -- when `ward notify --requeue` brought a
        failed notification back (0: never); its maximum age counts from
        then */
     "ALTER TABLE replies ADD COLUMN sender TEXT NOT NULL DEFAULT ''"
     " CHECK (sender IN ('', 'party', 'unverified'));"
     "ALTER TABLE notifications ADD COLUMN requeued_ns INTEGER NOT NULL"
     " DEFAULT 0"},
};

const size_t wd_store_migrations_count =
    sizeof wd_store_migrations / sizeof wd_store_migrations[0];
