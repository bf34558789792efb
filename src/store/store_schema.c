/* store_schema.c -- the ordered lists of schema migrations, one per
 * engine, numbered alike: version N means the same tables and columns in
 * SQLite and PostgreSQL.
 * In: nothing. Out: wd_store_sqlite_migrations[] (applied in order, each
 * in its own transaction with PRAGMA user_version = version) and
 * wd_store_pg_migrations[] (applied in one transaction under an advisory
 * lock, each recorded as a row of schema_version).
 * Rules: append only (a later stage adds version N+1 at the end of both
 * lists and raises WD_STORE_SCHEMA_VERSION); never edit a released entry;
 * times are nanoseconds since the epoch (traffic time); addresses are
 * text. */
#include "store/store_int.h"

const wd_store_migration_t wd_store_sqlite_migrations[] = {
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
    {4, "share path (SMB tree) of each attack",
     /* the tree an SMB attacker connected to (e.g. \\10.0.0.5\IPC$),
        from the alerts' tree metric; '' when none */
     "ALTER TABLE incident_attacks ADD COLUMN tree TEXT NOT NULL DEFAULT '';"},
    {5,
     "sensors that saw each incident; who recorded a verdict, and every "
     "verdict kept in history (src/notify/inbox.c)",
     /* incident_sensors -- one row per incident and sensor (the alerts'
        sensor field, default the host name): when its alerts' evidence
        began and ended.
        replies.verdict_by -- who recorded the reply's verdict (login
        name); '' before this version.
        verdicts -- every verdict recorded, in order; a verdict replaced
        with `ward reply --force` stays here with the one that replaced
        it (replaced: the verdict it replaced). The verdicts recorded
        before this version are copied in. */
     "CREATE TABLE incident_sensors ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " sensor TEXT NOT NULL,"
     " first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
     " PRIMARY KEY (incident_id, sensor));"
     "ALTER TABLE replies ADD COLUMN verdict_by TEXT NOT NULL DEFAULT '';"
     "CREATE TABLE verdicts ("
     " id INTEGER PRIMARY KEY,"
     " reply_id INTEGER REFERENCES replies(id) ON DELETE SET NULL,"
     " incident_id TEXT NOT NULL,"
     " verdict TEXT NOT NULL CHECK (verdict IN ('substantive','formal')),"
     " note TEXT NOT NULL DEFAULT '',"
     " judged_by TEXT NOT NULL DEFAULT '',"
     " at_ns INTEGER NOT NULL,"
     " replaced TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX verdicts_incident ON verdicts(incident_id, at_ns);"
     "INSERT INTO verdicts(reply_id, incident_id, verdict, note, at_ns)"
     " SELECT id, incident_id, verdict, note, verdict_ns FROM replies"
     " WHERE verdict != '' ORDER BY verdict_ns, id"},
    {6,
     "access tokens of the console and its API, the audit of every change "
     "made through it, analysts' notes on incidents (src/serve)",
     /* api_tokens -- one row per named token: only the SHA-256 of the
        token (hex) is kept; role viewer | analyst | admin; revoked_ns 0
        while it is valid. A revoked name may be given a new token.
        audit -- who (token name) changed what through the API, when, and
        the value before and after (JSON text, '' when none).
        incident_notes -- free text an analyst adds to an incident. */
     "CREATE TABLE api_tokens ("
     " name TEXT PRIMARY KEY,"
     " role TEXT NOT NULL CHECK (role IN ('viewer','analyst','admin')),"
     " hash TEXT NOT NULL UNIQUE,"
     " created_ns INTEGER NOT NULL,"
     " revoked_ns INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE audit ("
     " id INTEGER PRIMARY KEY,"
     " at_ns INTEGER NOT NULL,"
     " who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
     " before TEXT NOT NULL DEFAULT '', after TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE incident_notes ("
     " id INTEGER PRIMARY KEY,"
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " at_ns INTEGER NOT NULL, by_name TEXT NOT NULL, note TEXT NOT NULL);"
     "CREATE INDEX incident_notes_incident ON incident_notes(incident_id)"},
    {7,
     "fleet messages the centre has stored (ward ingest): read again, they "
     "change nothing",
     /* fleet_messages -- one row per fleet message (sensor/run/seq id,
        docs/fleet.md) whose effect a `ward ingest` transaction stored; a
        message delivered again is found here and skipped. stored_ns: the
        wall clock of that transaction. */
     "CREATE TABLE fleet_messages ("
     " id TEXT PRIMARY KEY,"
     " sensor TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " event_ns INTEGER NOT NULL,"
     " stored_ns INTEGER NOT NULL);"
     "CREATE INDEX fleet_messages_sensor ON fleet_messages(sensor, stored_ns)"},
    {WD_STORE_PARTIES_VERSION,
     "the directory of responsible parties kept in the store (ward parties "
     "import, the API's /api/parties)",
     /* parties -- one row per responsible party: doc is the party as a
        JSON object with the keys of the directory file (docs/incidents.md),
        checked before it is written; id keeps the directory's order
        (matching ties go to the earlier party). While the table is empty
        the directory file (attribution.directory) is used. */
     "CREATE TABLE parties ("
     " id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " doc TEXT NOT NULL,"
     " updated_ns INTEGER NOT NULL)"},
    {WD_STORE_V_INTEL,
     "the threat-intelligence indicator each intel.match attack matched",
     /* from the alerts' metrics (src/detect/intel_match.c): the indicator's
        normalised value, its STIX observable type, the feed, the feed's
        reference (line, STIX id, MISP uuid), the field it was seen in and,
        from a STIX feed, the feed's own indicator (compact JSON: id,
        pattern, times) that a sighting references; '' for every other
        attack */
     "ALTER TABLE incident_attacks ADD COLUMN intel_value TEXT NOT NULL"
     " DEFAULT '';"
     "ALTER TABLE incident_attacks ADD COLUMN intel_type TEXT NOT NULL"
     " DEFAULT '';"
     "ALTER TABLE incident_attacks ADD COLUMN intel_feed TEXT NOT NULL"
     " DEFAULT '';"
     "ALTER TABLE incident_attacks ADD COLUMN intel_ref TEXT NOT NULL"
     " DEFAULT '';"
     "ALTER TABLE incident_attacks ADD COLUMN intel_field TEXT NOT NULL"
     " DEFAULT '';"
     "ALTER TABLE incident_attacks ADD COLUMN intel_stix TEXT NOT NULL"
     " DEFAULT ''"},
};

/* The same steps for PostgreSQL: nanosecond times and counters are
 * BIGINT, messages BYTEA, row numbers identity columns; flags stay
 * INTEGER 0/1 so that both engines read them alike. */
const wd_store_migration_t wd_store_pg_migrations[] = {
    {1, "incidents, attackers, targets, hosts, attacks, id sequence",
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
     " first_ns BIGINT NOT NULL, last_ns BIGINT NOT NULL,"
     " alerts BIGINT NOT NULL DEFAULT 0, packets BIGINT NOT NULL DEFAULT 0,"
     " peak_pps BIGINT NOT NULL DEFAULT 0, peak_bps BIGINT NOT NULL DEFAULT 0,"
     " spoofed INTEGER NOT NULL DEFAULT 0, sources BIGINT NOT NULL DEFAULT 0,"
     " attribution TEXT NOT NULL DEFAULT '',"
     " summary TEXT NOT NULL DEFAULT '',"
     " party_name TEXT, party_kind TEXT, party_email TEXT, party_format TEXT,"
     " party_language TEXT, party_deadline_hours BIGINT,"
     " party_pgp TEXT, party_matched_by TEXT,"
     " evidence_path TEXT, evidence_sha256 TEXT,"
     " evidence_packets BIGINT NOT NULL DEFAULT 0);"
     "CREATE INDEX incidents_corr ON incidents(corr_key, last_ns);"
     "CREATE INDEX incidents_first ON incidents(first_ns);"
     "CREATE TABLE incident_attackers ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " ip TEXT NOT NULL, role TEXT NOT NULL,"
     " country TEXT NOT NULL DEFAULT '', asn BIGINT NOT NULL DEFAULT 0,"
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
     " ip TEXT NOT NULL, infected_ns BIGINT NOT NULL DEFAULT 0,"
     " infected_by TEXT NOT NULL DEFAULT '',"
     " active_ns BIGINT NOT NULL DEFAULT 0,"
     " PRIMARY KEY (incident_id, ip));"
     "CREATE TABLE incident_attacks ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " detector TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,"
     " start_ns BIGINT NOT NULL, last_ns BIGINT NOT NULL,"
     " reports BIGINT NOT NULL, packets BIGINT NOT NULL DEFAULT 0,"
     " peak_pps BIGINT NOT NULL DEFAULT 0, peak_bps BIGINT NOT NULL DEFAULT 0,"
     " ended INTEGER NOT NULL DEFAULT 0, signature TEXT NOT NULL DEFAULT '',"
     " PRIMARY KEY (incident_id, detector, src, dst, start_ns));"
     "CREATE TABLE incident_seq ("
     " year INTEGER PRIMARY KEY, last BIGINT NOT NULL)"},
    {2, "notification outbox and replies (src/notify/outbox.c, inbox.c)",
     "CREATE TABLE notifications ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " party_name TEXT NOT NULL, party_kind TEXT NOT NULL DEFAULT '',"
     " party_email TEXT NOT NULL, party_format TEXT NOT NULL DEFAULT 'text',"
     " party_deadline_hours BIGINT NOT NULL DEFAULT 0,"
     " seq INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('initial','reminder')),"
     " message_id TEXT NOT NULL UNIQUE,"
     " subject TEXT NOT NULL DEFAULT '',"
     " state TEXT NOT NULL DEFAULT 'queued'"
     "  CHECK (state IN ('queued','sending','sent','failed')),"
     " created_ns BIGINT NOT NULL,"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_ns BIGINT NOT NULL,"
     " last_attempt_ns BIGINT NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " sent_ns BIGINT NOT NULL DEFAULT 0,"
     " transport TEXT NOT NULL DEFAULT '',"
     " pcap_attached INTEGER NOT NULL DEFAULT 0,"
     " message BYTEA,"
     " UNIQUE (incident_id, party_email, seq));"
     "CREATE INDEX notifications_due ON notifications(state, next_ns);"
     "CREATE TABLE replies ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " fingerprint TEXT NOT NULL UNIQUE,"
     " message_id TEXT NOT NULL DEFAULT '',"
     " notification_id BIGINT REFERENCES notifications(id)"
     "  ON DELETE SET NULL,"
     " incident_id TEXT NOT NULL DEFAULT '',"
     " from_addr TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '',"
     " date_ns BIGINT NOT NULL DEFAULT 0, received_ns BIGINT NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('human','auto','bounce')),"
     " kind_reason TEXT NOT NULL DEFAULT '',"
     " ref_source TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',"
     " verdict TEXT NOT NULL DEFAULT ''"
     "  CHECK (verdict IN ('','substantive','formal')),"
     " note TEXT NOT NULL DEFAULT '', verdict_ns BIGINT NOT NULL DEFAULT 0);"
     "CREATE INDEX replies_notification ON replies(notification_id);"
     "CREATE INDEX replies_incident ON replies(incident_id)"},
    {3,
     "who sent a reply (the party or an unverified stranger); when a failed "
     "notification was brought back (src/notify/inbox.c, outbox.c)",
     "ALTER TABLE replies ADD COLUMN sender TEXT NOT NULL DEFAULT ''"
     " CHECK (sender IN ('', 'party', 'unverified'));"
     "ALTER TABLE notifications ADD COLUMN requeued_ns BIGINT NOT NULL"
     " DEFAULT 0"},
    {4, "share path (SMB tree) of each attack",
     "ALTER TABLE incident_attacks ADD COLUMN tree TEXT NOT NULL DEFAULT ''"},
    {5,
     "sensors that saw each incident; who recorded a verdict, and every "
     "verdict kept in history (src/notify/inbox.c)",
     "CREATE TABLE incident_sensors ("
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " sensor TEXT NOT NULL,"
     " first_ns BIGINT NOT NULL, last_ns BIGINT NOT NULL,"
     " PRIMARY KEY (incident_id, sensor));"
     "ALTER TABLE replies ADD COLUMN verdict_by TEXT NOT NULL DEFAULT '';"
     "CREATE TABLE verdicts ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " reply_id BIGINT REFERENCES replies(id) ON DELETE SET NULL,"
     " incident_id TEXT NOT NULL,"
     " verdict TEXT NOT NULL CHECK (verdict IN ('substantive','formal')),"
     " note TEXT NOT NULL DEFAULT '',"
     " judged_by TEXT NOT NULL DEFAULT '',"
     " at_ns BIGINT NOT NULL,"
     " replaced TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX verdicts_incident ON verdicts(incident_id, at_ns);"
     "INSERT INTO verdicts(reply_id, incident_id, verdict, note, at_ns)"
     " SELECT id, incident_id, verdict, note, verdict_ns FROM replies"
     " WHERE verdict != '' ORDER BY verdict_ns, id"},
    {6,
     "access tokens of the console and its API, the audit of every change "
     "made through it, analysts' notes on incidents (src/serve)",
     "CREATE TABLE api_tokens ("
     " name TEXT PRIMARY KEY,"
     " role TEXT NOT NULL CHECK (role IN ('viewer','analyst','admin')),"
     " hash TEXT NOT NULL UNIQUE,"
     " created_ns BIGINT NOT NULL,"
     " revoked_ns BIGINT NOT NULL DEFAULT 0);"
     "CREATE TABLE audit ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " at_ns BIGINT NOT NULL,"
     " who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
     " before TEXT NOT NULL DEFAULT '', after TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE incident_notes ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
     " at_ns BIGINT NOT NULL, by_name TEXT NOT NULL, note TEXT NOT NULL);"
     "CREATE INDEX incident_notes_incident ON incident_notes(incident_id)"},
    {7,
     "fleet messages the centre has stored (ward ingest): read again, they "
     "change nothing",
     "CREATE TABLE fleet_messages ("
     " id TEXT PRIMARY KEY,"
     " sensor TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " event_ns BIGINT NOT NULL,"
     " stored_ns BIGINT NOT NULL);"
     "CREATE INDEX fleet_messages_sensor ON fleet_messages(sensor, stored_ns)"},
    {WD_STORE_PARTIES_VERSION,
     "the directory of responsible parties kept in the store (ward parties "
     "import, the API's /api/parties)",
     "CREATE TABLE parties ("
     " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " doc TEXT NOT NULL,"
     " updated_ns BIGINT NOT NULL)"},
    {WD_STORE_V_INTEL,
     "the threat-intelligence indicator each intel.match attack matched",
     "ALTER TABLE incident_attacks"
     " ADD COLUMN intel_value TEXT NOT NULL DEFAULT '',"
     " ADD COLUMN intel_type TEXT NOT NULL DEFAULT '',"
     " ADD COLUMN intel_feed TEXT NOT NULL DEFAULT '',"
     " ADD COLUMN intel_ref TEXT NOT NULL DEFAULT '',"
     " ADD COLUMN intel_field TEXT NOT NULL DEFAULT '',"
     " ADD COLUMN intel_stix TEXT NOT NULL DEFAULT ''"},
};

/* Both lists are the whole schema, numbered alike. */
_Static_assert(sizeof wd_store_sqlite_migrations /
                       sizeof wd_store_sqlite_migrations[0] ==
                   WD_STORE_SCHEMA_VERSION,
               "SQLite migrations: one per schema version");
_Static_assert(sizeof wd_store_pg_migrations /
                       sizeof wd_store_pg_migrations[0] ==
                   WD_STORE_SCHEMA_VERSION,
               "PostgreSQL migrations: one per schema version");
