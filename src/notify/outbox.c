/* outbox.c -- durable notification outbox (see outbox.h).
 * Memory: statements are prepared per call and finalized before return;
 * a stored incident (wd_store_incident_get) and one composed message live
 * for the handling of one notification. Values are always bound. */
#include "notify/outbox.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define NS 1000000000ull

uint64_t wd_outbox_backoff_s(unsigned attempts) {
  uint64_t d = WD_OUTBOX_RETRY_BASE_S;
  for (unsigned i = 1; i < attempts && d < WD_OUTBOX_RETRY_MAX_S; i++)
    d *= 2;
  return d < WD_OUTBOX_RETRY_MAX_S ? d : WD_OUTBOX_RETRY_MAX_S;
}

static const char *severity_word(uint8_t s) {
  switch (s) {
  case 1:
    return "critical";
  case 2:
    return "high";
  case 3:
    return "medium";
  default:
    return "low";
  }
}

void wd_outbox_notice_of(const wd_store_incident_t *inc,
                         const wd_outbox_sender_t *snd, wd_notice_incident_t *n,
                         wd_outbox_notice_buf_t *b) {
  memset(n, 0, sizeof *n);
  n->id = inc->id;
  n->rsit_class = inc->rsit_class;
  n->rsit_type = inc->rsit_type;
  n->severity = severity_word(inc->severity);
  n->summary = inc->summary[0] ? inc->summary : NULL;
  n->first_seen_ns = inc->first_ns;
  n->last_seen_ns = inc->last_ns;
  n->ongoing = inc->active;
  n->alerts = inc->alerts;
  n->packets = inc->packets;
  n->peak_pps = inc->peak_pps;
  n->peak_bps = inc->peak_bps;
  size_t na = 0;
  bool smb = false;
  size_t nd = 0;
  for (size_t i = 0; i < inc->n_attacks && nd < 16; i++) {
    bool dup = false;
    for (size_t k = 0; k < nd; k++)
      dup |= !strcmp(b->detectors[k], inc->attacks[i].detector);
    if (!dup)
      b->detectors[nd++] = inc->attacks[i].detector;
    smb |= !strncmp(inc->attacks[i].detector, "smb.", 4) ||
           !strncmp(inc->attacks[i].detector, "worm.", 5);
  }
  n->detectors = b->detectors;
  n->n_detectors = nd;
  if (inc->n_hosts) { /* worm: infected hosts in order of infection */
    for (size_t i = 0; i < inc->n_hosts && na < WD_NOTICE_ADDRS_MAX; i++) {
      wd_notice_attacker_t *a = &b->att[na];
      memset(a, 0, sizeof *a);
      if (wd_addr_parse(inc->hosts[i].ip, &a->ip) != WD_OK)
        continue;
      a->role = WD_NOTICE_ROLE_INFECTED;
      a->attribution_reliable = true;
      a->first_seen_ns = inc->hosts[i].infected_ns;
      a->infected_by =
          inc->hosts[i].infected_by[0] ? inc->hosts[i].infected_by : NULL;
      na++;
    }
  } else {
    for (size_t i = 0; i < inc->n_attackers && na < WD_NOTICE_ADDRS_MAX; i++) {
      const wd_store_attacker_t *s = &inc->attackers[i];
      wd_notice_attacker_t *a = &b->att[na];
      memset(a, 0, sizeof *a);
      if (wd_addr_parse(s->ip, &a->ip) != WD_OK)
        continue;
      a->role = !strcmp(s->role, "reflector") ? WD_NOTICE_ROLE_REFLECTOR
                                              : WD_NOTICE_ROLE_ATTACKER;
      a->country = s->country[0] ? s->country : NULL;
      a->asn = s->asn;
      a->as_org = s->as_org[0] ? s->as_org : NULL;
      a->attribution_reliable = s->reliable;
      a->reason = s->reason[0] ? s->reason : NULL;
      na++;
    }
  }
  n->attackers = b->att;
  n->n_attackers = na;
  size_t nt = 0;
  for (size_t i = 0; i < inc->n_targets && nt < WD_NOTICE_ADDRS_MAX; i++) {
    wd_notice_target_t *t = &b->tgt[nt];
    memset(t, 0, sizeof *t);
    if (wd_addr_parse(inc->targets[i].ip, &t->ip) != WD_OK)
      continue;
    t->facility = inc->targets[i].facility[0] ? inc->targets[i].facility : NULL;
    t->sector = inc->targets[i].sector[0] ? inc->targets[i].sector
                : inc->sector[0]          ? inc->sector
                                          : NULL;
    t->port = smb ? 445 : 0;
    nt++;
  }
  n->targets = b->tgt;
  n->n_targets = nt;
  n->proto = smb ? 6 : 0;
  n->evidence_path = inc->evidence_path[0] ? inc->evidence_path : NULL;
  n->evidence_sha256 = inc->evidence_sha256[0] ? inc->evidence_sha256 : NULL;
  n->party.name = inc->party.name;
  n->party.kind = inc->party.kind;
  n->party.email = inc->party.email;
  n->party.format = inc->party.format[0] ? inc->party.format : "text";
  n->party.language = inc->party.language;
  n->party.deadline_hours = inc->party.deadline_hours;
  n->party.matched_by = inc->party.matched_by[0] ? inc->party.matched_by : NULL;
  n->sender_name = snd->name;
  n->sender_email = snd->email;
}

/* --- small sqlite helpers --------------------------------------------- */

static wd_rc fail_db(sqlite3 *db, char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
  return WD_ERR_IO;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return NULL;
  return st;
}

static const char *ctext(sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  return t ? (const char *)t : "";
}

/* Ids (integers or text) from a one-column query, bounded. */
typedef struct idlist {
  char (*v)[WD_STORE_ID_LEN];
  int64_t *num;
  size_t n;
} idlist_t;

/* --- queueing ------------------------------------------------------------ */

static wd_rc insert_notice(sqlite3 *db, const wd_store_incident_t *inc,
                           const char *msgid, int seq, const char *kind,
                           uint64_t now_ns, bool *inserted) {
  sqlite3_stmt *st = prep(
      db, "INSERT OR IGNORE INTO notifications(incident_id, party_name,"
          " party_kind, party_email, party_format, party_deadline_hours, seq,"
          " kind, message_id, created_ns, next_ns)"
          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)");
  if (!st)
    return WD_ERR_IO;
  sqlite3_bind_text(st, 1, inc->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, inc->party.name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, inc->party.kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, inc->party.email, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, inc->party.format[0] ? inc->party.format : "text",
                    -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, inc->party.deadline_hours);
  sqlite3_bind_int(st, 7, seq);
  sqlite3_bind_text(st, 8, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, msgid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 10, (sqlite3_int64)now_ns);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  *inserted = sqlite3_changes(db) > 0;
  return rc == SQLITE_DONE ? WD_OK : WD_ERR_IO;
}

static wd_rc text_ids(sqlite3 *db, const char *sql, const char *arg,
                      idlist_t *l) {
  sqlite3_stmt *st = prep(db, sql);
  if (!st)
    return WD_ERR_IO;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->n < WD_OUTBOX_BATCH_MAX) {
    if (l->n == cap) {
      cap = cap ? cap * 2 : 64;
      void *nv = realloc(l->v, cap * sizeof *l->v);
      if (!nv) {
        sqlite3_finalize(st);
        return WD_ERR_NOMEM;
      }
      l->v = nv;
    }
    snprintf(l->v[l->n++], WD_STORE_ID_LEN, "%s", ctext(st, 0));
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? WD_OK : WD_ERR_IO;
}

wd_rc wd_outbox_queue(wd_store_t *s, const wd_outbox_sender_t *snd,
                      const char *incident_id, uint64_t now_ns,
                      wd_outbox_stats_t *st, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  idlist_t l = {0};
  wd_rc rc = text_ids(db,
                      incident_id ? "SELECT id FROM incidents WHERE id = ?1"
                                  : "SELECT id FROM incidents WHERE status ="
                                    " 'new' ORDER BY first_ns, id",
                      incident_id, &l);
  if (rc != WD_OK) {
    free(l.v);
    return fail_db(db, err, errlen, "listing incidents");
  }
  for (size_t i = 0; i < l.n && rc == WD_OK; i++) {
    wd_store_incident_t inc;
    char msgid[WD_COMPOSE_MSGID_MAX];
    if ((rc = wd_store_begin(s)) != WD_OK)
      break;
    rc = wd_store_incident_get(s, l.v[i], &inc);
    if (rc != WD_OK) {
      wd_store_rollback(s);
      snprintf(err, errlen, "%s: %s", l.v[i], wd_store_errmsg(s));
      break;
    }
    if (!inc.party.set || !wd_notice_email_ok(inc.party.email) ||
        wd_compose_message_id(inc.id, inc.party.email, 1, snd->email, msgid) !=
            WD_OK) {
      st->no_party++;
      wd_log(WD_LOG_WARN, "notify",
             "%s: no party with a usable address "
             "(%s); not notified",
             inc.id, inc.party.matched_by[0] ? inc.party.matched_by : "none");
      wd_store_incident_fini(&inc);
      wd_store_rollback(s);
      continue;
    }
    bool inserted = false;
    rc = insert_notice(db, &inc, msgid, 1, "initial", now_ns, &inserted);
    if (rc == WD_OK) {
      wd_rc r2 = wd_store_incident_set_status(s, inc.id, "notified");
      if (r2 != WD_OK && r2 != WD_ERR_STATE) /* answered/closed stay */
        rc = r2;
    }
    wd_store_incident_fini(&inc);
    if (rc == WD_OK)
      rc = wd_store_commit(s);
    else
      wd_store_rollback(s);
    if (rc != WD_OK)
      fail_db(db, err, errlen, "queueing a notification");
    else if (inserted)
      st->queued++;
  }
  free(l.v);
  return rc;
}

wd_rc wd_outbox_reminders(wd_store_t *s, const wd_outbox_sender_t *snd,
                          uint64_t now_ns, wd_outbox_stats_t *st, char *err,
                          size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q = prep(
      db, "SELECT n.incident_id, n.party_name, n.party_kind, n.party_email,"
          " n.party_format, n.party_deadline_hours FROM notifications n"
          " WHERE n.seq = 1 AND n.state = 'sent' AND n.party_deadline_hours > 0"
          " AND n.sent_ns + n.party_deadline_hours * 3600000000000 < ?1"
          " AND NOT EXISTS (SELECT 1 FROM notifications r WHERE"
          "  r.incident_id = n.incident_id AND r.party_email = n.party_email"
          "  AND r.seq = 2)"
          " AND NOT EXISTS (SELECT 1 FROM replies p WHERE"
          "  p.incident_id = n.incident_id AND p.kind = 'human')"
          " ORDER BY n.sent_ns LIMIT 10000");
  if (!q)
    return fail_db(db, err, errlen, "listing overdue notifications");
  sqlite3_bind_int64(q, 1, (sqlite3_int64)now_ns);
  typedef struct {
    wd_store_incident_t inc;
  } due_t;
  due_t *due = NULL;
  size_t n = 0, cap = 0;
  wd_rc rc = WD_OK;
  while (sqlite3_step(q) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      due_t *nd = realloc(due, cap * sizeof *due);
      if (!nd) {
        rc = WD_ERR_NOMEM;
        break;
      }
      due = nd;
    }
    wd_store_incident_t *inc = &due[n++].inc;
    memset(inc, 0, sizeof *inc);
    snprintf(inc->id, sizeof inc->id, "%s", ctext(q, 0));
    inc->party.set = true;
    snprintf(inc->party.name, sizeof inc->party.name, "%s", ctext(q, 1));
    snprintf(inc->party.kind, sizeof inc->party.kind, "%s", ctext(q, 2));
    snprintf(inc->party.email, sizeof inc->party.email, "%s", ctext(q, 3));
    snprintf(inc->party.format, sizeof inc->party.format, "%s", ctext(q, 4));
    inc->party.deadline_hours = (uint32_t)sqlite3_column_int64(q, 5);
  }
  sqlite3_finalize(q);
  for (size_t i = 0; i < n && rc == WD_OK; i++) {
    char msgid[WD_COMPOSE_MSGID_MAX];
    bool inserted = false;
    if (wd_compose_message_id(due[i].inc.id, due[i].inc.party.email, 2,
                              snd->email, msgid) != WD_OK)
      continue;
    if ((rc = wd_store_begin(s)) != WD_OK)
      break;
    rc =
        insert_notice(db, &due[i].inc, msgid, 2, "reminder", now_ns, &inserted);
    rc = rc == WD_OK ? wd_store_commit(s) : (wd_store_rollback(s), rc);
    if (rc == WD_OK && inserted)
      st->reminders++;
  }
  free(due);
  if (rc != WD_OK)
    fail_db(db, err, errlen, "queueing a reminder");
  return rc;
}

/* --- sending -------------------------------------------------------------- */

typedef struct row {
  int64_t id;
  char incident_id[WD_STORE_ID_LEN];
  char party_email[256];
  int seq;
  char message_id[WD_COMPOSE_MSGID_MAX];
  unsigned attempts;
  bool has_message;
} row_t;

static wd_rc exec_bind(sqlite3 *db, const char *sql, int64_t id,
                       const char *text, int64_t a, int64_t b) {
  sqlite3_stmt *st = prep(db, sql);
  if (!st)
    return WD_ERR_IO;
  sqlite3_bind_int64(st, 1, id);
  if (text)
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, a);
  sqlite3_bind_int64(st, 4, b);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? WD_OK : WD_ERR_IO;
}

/* Composes row's message and stores it (once: a message already stored
 * is never replaced, so every retry sends the same bytes). */
static wd_rc compose_and_store(wd_store_t *s, const wd_outbox_sender_t *snd,
                               const row_t *r, uint64_t now_ns, char *err,
                               size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  wd_store_incident_t inc;
  wd_outbox_notice_buf_t *b = calloc(1, sizeof *b);
  if (!b)
    return WD_ERR_NOMEM;
  wd_rc rc = wd_store_incident_get(s, r->incident_id, &inc);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s: %s", r->incident_id, wd_store_errmsg(s));
    free(b);
    return rc;
  }
  wd_notice_incident_t n;
  wd_outbox_notice_of(&inc, snd, &n, b);
  /* the party the row was queued for (the incident's may change later) */
  sqlite3_stmt *q = prep(db, "SELECT party_name, party_kind, party_format,"
                             " party_deadline_hours FROM notifications"
                             " WHERE id = ?1");
  char pname[WD_NAME_MAX] = "", pkind[32] = "", pfmt[16] = "";
  if (q) {
    sqlite3_bind_int64(q, 1, r->id);
    if (sqlite3_step(q) == SQLITE_ROW) {
      snprintf(pname, sizeof pname, "%s", ctext(q, 0));
      snprintf(pkind, sizeof pkind, "%s", ctext(q, 1));
      snprintf(pfmt, sizeof pfmt, "%s", ctext(q, 2));
      n.party.deadline_hours = (uint32_t)sqlite3_column_int64(q, 3);
    }
    sqlite3_finalize(q);
  }
  n.party.name = pname;
  n.party.kind = pkind;
  n.party.format = pfmt;
  n.party.email = r->party_email;
  snprintf(b->msgid, sizeof b->msgid, "%s", r->message_id);
  n.message_id = b->msgid;
  n.report_ns = now_ns;
  if (r->seq > 1) {
    q = prep(db, "SELECT message_id, sent_ns FROM notifications WHERE"
                 " incident_id = ?1 AND party_email = ?2 AND seq = 1");
    if (q) {
      sqlite3_bind_text(q, 1, r->incident_id, -1, SQLITE_STATIC);
      sqlite3_bind_text(q, 2, r->party_email, -1, SQLITE_STATIC);
      if (sqlite3_step(q) == SQLITE_ROW) {
        snprintf(b->first_msgid, sizeof b->first_msgid, "%s", ctext(q, 0));
        n.first_sent_ns = (uint64_t)sqlite3_column_int64(q, 1);
        n.reminder = true;
        n.first_message_id = b->first_msgid;
      }
      sqlite3_finalize(q);
    }
  }
  wd_composed_t c;
  rc = wd_compose(&n, &snd->compose, &c, err, errlen);
  wd_store_incident_fini(&inc);
  free(b);
  if (rc != WD_OK)
    return rc;
  sqlite3_stmt *u = prep(db, "UPDATE notifications SET message = ?2,"
                             " subject = ?3, pcap_attached = ?4"
                             " WHERE id = ?1 AND message IS NULL");
  if (!u) {
    wd_composed_fini(&c);
    return fail_db(db, err, errlen, "storing a message");
  }
  sqlite3_bind_int64(u, 1, r->id);
  sqlite3_bind_blob64(u, 2, c.msg, c.len, SQLITE_STATIC);
  sqlite3_bind_text(u, 3, c.subject, -1, SQLITE_STATIC);
  sqlite3_bind_int(u, 4, c.pcap_attached);
  int sr = sqlite3_step(u);
  sqlite3_finalize(u);
  wd_composed_fini(&c);
  return sr == SQLITE_DONE ? WD_OK : fail_db(db, err, errlen, "storing");
}

/* Records the delivery the moment the server accepted the DATA. */
typedef struct accept_ctx {
  sqlite3 *db;
  int64_t id;
  uint64_t now_ns;
  bool recorded;
} accept_ctx_t;

static void on_accepted(void *user) {
  accept_ctx_t *a = user;
  a->recorded = exec_bind(a->db,
                          "UPDATE notifications SET state = 'sent',"
                          " sent_ns = ?3, last_error = '', transport = ?2"
                          " WHERE id = ?1",
                          a->id, "smtp", (int64_t)a->now_ns, 0) == WD_OK;
}

static wd_rc send_one(wd_store_t *s, const wd_outbox_sender_t *snd,
                      const wd_transport_t *t, const row_t *r, uint64_t now_ns,
                      wd_outbox_stats_t *st, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  char why[512] = "";
  wd_rc rc;
  if (!r->has_message) {
    rc = compose_and_store(s, snd, r, now_ns, why, sizeof why);
    if (rc == WD_ERR_IO)
      return fail_db(db, err, errlen, "composing");
    if (rc != WD_OK) { /* cannot ever be composed: fail it */
      exec_bind(db,
                "UPDATE notifications SET state = 'failed', last_error = ?2,"
                " last_attempt_ns = ?3 WHERE id = ?1",
                r->id, why, (int64_t)now_ns, 0);
      st->failed++;
      return WD_OK;
    }
  }
  /* 1. the attempt is durable before any byte leaves */
  if (exec_bind(db,
                "UPDATE notifications SET state = 'sending',"
                " attempts = attempts + 1, last_attempt_ns = ?3"
                " WHERE id = ?1 AND state IN ('queued','sending')",
                r->id, NULL, (int64_t)now_ns, 0) != WD_OK)
    return fail_db(db, err, errlen, "recording an attempt");
  sqlite3_stmt *q = prep(db, "SELECT message FROM notifications WHERE id = ?1");
  if (!q)
    return fail_db(db, err, errlen, "reading a message");
  sqlite3_bind_int64(q, 1, r->id);
  if (sqlite3_step(q) != SQLITE_ROW || !sqlite3_column_blob(q, 0)) {
    sqlite3_finalize(q);
    return fail_db(db, err, errlen, "reading a message");
  }
  /* 2. send the stored bytes; over SMTP the delivery is recorded from
   * inside the dialogue, right when the server accepts the DATA */
  accept_ctx_t acc = {db, r->id, now_ns, false};
  wd_transport_t tt = *t;
  tt.smtp.accepted = on_accepted;
  tt.smtp.accepted_user = &acc;
  t = &tt;
  rc = wd_transport_send(t, snd->email, r->party_email, r->message_id,
                         sqlite3_column_blob(q, 0),
                         (size_t)sqlite3_column_bytes(q, 0), why, sizeof why);
  sqlite3_finalize(q);
  /* 3. record the outcome */
  wd_rc w;
  if (rc == WD_OK && acc.recorded) {
    w = WD_OK;
    st->sent++;
    wd_log(WD_LOG_INFO, "notify", "%s: sent %s to %s", r->incident_id,
           r->message_id, r->party_email);
  } else if (rc == WD_OK) {
    w = exec_bind(db,
                  "UPDATE notifications SET state = 'sent', sent_ns = ?3,"
                  " last_error = '', transport = ?2 WHERE id = ?1",
                  r->id, t->outbox_dir ? "outbox" : "smtp", (int64_t)now_ns, 0);
    st->sent++;
    wd_log(WD_LOG_INFO, "notify", "%s: sent %s to %s", r->incident_id,
           r->message_id, r->party_email);
  } else if (rc == WD_AGAIN && r->attempts + 1 < WD_OUTBOX_ATTEMPTS_MAX) {
    uint64_t next = now_ns + wd_outbox_backoff_s(r->attempts + 1) * NS;
    w = exec_bind(db,
                  "UPDATE notifications SET state = 'queued', next_ns = ?4,"
                  " last_error = ?2 WHERE id = ?1",
                  r->id, why, (int64_t)now_ns, (int64_t)next);
    st->retried++;
    wd_log(WD_LOG_WARN, "notify", "%s: %s; retry in %" PRIu64 " s",
           r->incident_id, why, wd_outbox_backoff_s(r->attempts + 1));
  } else {
    w = exec_bind(db,
                  "UPDATE notifications SET state = 'failed', last_error = ?2"
                  " WHERE id = ?1",
                  r->id, why, 0, 0);
    st->failed++;
    wd_log(WD_LOG_ERROR, "notify", "%s: giving up on %s: %s", r->incident_id,
           r->party_email, why);
  }
  return w == WD_OK ? WD_OK : fail_db(db, err, errlen, "recording a result");
}

wd_rc wd_outbox_run(wd_store_t *s, const wd_outbox_sender_t *snd,
                    const wd_transport_t *t, uint64_t now_ns, bool retry_now,
                    wd_outbox_stats_t *st, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q =
      prep(db, "SELECT id, incident_id, party_email, seq, message_id, attempts,"
               " message IS NOT NULL, next_ns <= ?1 OR ?2 FROM notifications"
               " WHERE state IN ('queued','sending') ORDER BY next_ns, id"
               " LIMIT 10000");
  if (!q)
    return fail_db(db, err, errlen, "listing the outbox");
  sqlite3_bind_int64(q, 1, (sqlite3_int64)now_ns);
  sqlite3_bind_int(q, 2, retry_now);
  row_t *rows = NULL;
  size_t n = 0, cap = 0;
  wd_rc rc = WD_OK;
  while (sqlite3_step(q) == SQLITE_ROW) {
    if (!sqlite3_column_int(q, 7)) {
      st->waiting++;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      row_t *nr = realloc(rows, cap * sizeof *rows);
      if (!nr) {
        rc = WD_ERR_NOMEM;
        break;
      }
      rows = nr;
    }
    row_t *r = &rows[n++];
    r->id = sqlite3_column_int64(q, 0);
    snprintf(r->incident_id, sizeof r->incident_id, "%s", ctext(q, 1));
    snprintf(r->party_email, sizeof r->party_email, "%s", ctext(q, 2));
    r->seq = sqlite3_column_int(q, 3);
    snprintf(r->message_id, sizeof r->message_id, "%s", ctext(q, 4));
    r->attempts = (unsigned)sqlite3_column_int(q, 5);
    r->has_message = sqlite3_column_int(q, 6);
  }
  sqlite3_finalize(q);
  for (size_t i = 0; i < n && rc == WD_OK; i++)
    rc = send_one(s, snd, t, &rows[i], now_ns, st, err, errlen);
  free(rows);
  return rc;
}

wd_rc wd_outbox_status(wd_store_t *s, FILE *out, size_t limit) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q =
      prep(db, "SELECT id, incident_id, party_name, seq, state, attempts,"
               " next_ns, sent_ns, last_error, message_id FROM notifications"
               " ORDER BY id DESC LIMIT ?1");
  if (!q)
    return WD_ERR_IO;
  sqlite3_bind_int64(q, 1, limit ? (sqlite3_int64)limit : 1000000);
  fprintf(out, "%-5s %-17s %-20s %-8s %-7s %4s %-23s %-23s %s\n", "ID",
          "INCIDENT", "PARTY", "KIND", "STATE", "TRY", "NEXT (UTC)",
          "SENT (UTC)", "LAST ERROR");
  while (sqlite3_step(q) == SQLITE_ROW) {
    char nx[32], se[32], party[WD_NOTICE_STR_MAX], e[WD_NOTICE_STR_MAX];
    const char *state = ctext(q, 4);
    uint64_t next = (uint64_t)sqlite3_column_int64(q, 6),
             sent = (uint64_t)sqlite3_column_int64(q, 7);
    if (!strcmp(state, "queued") || !strcmp(state, "sending"))
      wd_notice_time_human(next, nx, sizeof nx);
    else
      snprintf(nx, sizeof nx, "-");
    if (sent)
      wd_notice_time_human(sent, se, sizeof se);
    else
      snprintf(se, sizeof se, "-");
    fprintf(out, "%-5lld %-17s %-20.20s %-8s %-7s %4d %-23s %-23s %s\n",
            (long long)sqlite3_column_int64(q, 0), ctext(q, 1),
            wd_notice_cleans(ctext(q, 2), party, WD_CLEAN_ONELINE, ""),
            sqlite3_column_int(q, 3) > 1 ? "reminder" : "initial", state,
            sqlite3_column_int(q, 5), nx, se,
            wd_notice_cleans(ctext(q, 8), e, WD_CLEAN_ONELINE, ""));
  }
  sqlite3_finalize(q);
  return WD_OK;
}
