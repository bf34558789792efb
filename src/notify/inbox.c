/* inbox.c -- importing replies and verdicts (see inbox.h).
 * Memory: one wd_mail_t (heap, ~330 KiB) per import, reused for every
 * message; statements prepared per call. Each message is one transaction
 * (insert + status change), so a crash mid-import loses nothing and a
 * rerun only adds what is missing. */
#include "notify/inbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "notify/mail.h"
#include "notify/mailbox.h"
#include "notify/notice.h"

typedef struct ctx {
  wd_store_t *s;
  const wd_directory_t *dir;
  sqlite3 *db;
  wd_mail_t *m;
  uint64_t now_ns;
  wd_inbox_stats_t *st;
  char *err;
  size_t errlen;
} ctx_t;

static const char *ctext(sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  return t ? (const char *)t : "";
}

/* Notification answered by m: by Message-ID, else by reference + the
 * sender's domain, else the latest notification of the reference. */
static int64_t match(ctx_t *c, char incident[WD_STORE_ID_LEN]) {
  const wd_mail_t *m = c->m;
  int64_t id = 0;
  incident[0] = '\0';
  const char *ids[WD_MAIL_REFS_MAX + 1];
  size_t n = 0;
  if (m->in_reply_to[0])
    ids[n++] = m->in_reply_to;
  for (size_t i = 0; i < m->n_refs; i++)
    ids[n++] = m->refs[i];
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(c->db,
                         "SELECT id, incident_id FROM notifications WHERE"
                         " message_id = ?1",
                         -1, &q, NULL) != SQLITE_OK)
    return 0;
  for (size_t i = 0; i < n && !id; i++) {
    sqlite3_bind_text(q, 1, ids[i], -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
      id = sqlite3_column_int64(q, 0);
      snprintf(incident, WD_STORE_ID_LEN, "%s", ctext(q, 1));
    }
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  if (id || !m->ref[0])
    return id;
  /* by reference: prefer the party whose address shares the domain */
  const char *dom = strrchr(m->from_addr, '@');
  if (sqlite3_prepare_v2(
          c->db,
          "SELECT id, incident_id FROM notifications WHERE incident_id = ?1"
          " ORDER BY (lower(substr(party_email, instr(party_email, '@')))"
          " = lower(?2)) DESC, seq, id LIMIT 1",
          -1, &q, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(q, 1, m->ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, dom ? dom : "", -1, SQLITE_STATIC);
  if (sqlite3_step(q) == SQLITE_ROW) {
    id = sqlite3_column_int64(q, 0);
    snprintf(incident, WD_STORE_ID_LEN, "%s", ctext(q, 1));
  }
  /* else: a reference we never mailed (or another database's): nothing
     is linked, the reply is unmatched */
  sqlite3_finalize(q);
  return id;
}

/* Whether the sender of m is the party notification nid went to: its
 * address there, or one of the directory's reply_from for that party.
 * party gets the party's name for messages. */
static bool sender_is_party(ctx_t *c, int64_t nid, char *party, size_t plen) {
  sqlite3_stmt *q = NULL;
  char name[WD_NAME_MAX] = "", email[256] = "";
  party[0] = '\0';
  if (sqlite3_prepare_v2(c->db,
                         "SELECT party_name, party_email FROM notifications"
                         " WHERE id = ?1",
                         -1, &q, NULL) != SQLITE_OK)
    return false;
  sqlite3_bind_int64(q, 1, nid);
  if (sqlite3_step(q) == SQLITE_ROW) {
    snprintf(name, sizeof name, "%s", ctext(q, 0));
    snprintf(email, sizeof email, "%s", ctext(q, 1));
  }
  sqlite3_finalize(q);
  snprintf(party, plen, "%s", name);
  const char *from = c->m->from_addr;
  if (!from[0])
    return false;
  if (!strcasecmp(from, email))
    return true;
  const wd_party_t *p = wd_directory_find(c->dir, name, email);
  if (!p)
    p = wd_directory_find(c->dir, name, NULL);
  return p && wd_party_sender_ok(p, from);
}

static wd_rc one(void *user, const char *where, const uint8_t *msg,
                 size_t len) {
  ctx_t *c = user;
  wd_mail_t *m = c->m;
  c->st->read++;
  if (wd_mail_parse(msg, len, m) != WD_OK) {
    c->st->unparsable++;
    wd_log(WD_LOG_WARN, "notify", "%s: not a mail message, skipped", where);
    return WD_OK;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  char fp[65];
  if (EVP_Digest(msg, len, md, &mdlen, EVP_sha256(), NULL) != 1)
    return WD_ERR_UNSUPPORTED;
  for (unsigned i = 0; i < 32; i++)
    snprintf(fp + 2 * i, 3, "%02x", md[i]);
  if (wd_store_begin(c->s) != WD_OK)
    return WD_ERR_IO;
  char incident[WD_STORE_ID_LEN], party[WD_NAME_MAX] = "";
  int64_t nid = match(c, incident);
  /* a bounce comes from a mail system, not from the party: not checked */
  const char *sender = "";
  if (nid && m->kind != WD_MAIL_BOUNCE)
    sender =
        sender_is_party(c, nid, party, sizeof party) ? "party" : "unverified";
  bool unverified = !strcmp(sender, "unverified");
  sqlite3_stmt *q = NULL;
  wd_rc rc = WD_OK;
  if (sqlite3_prepare_v2(
          c->db,
          "INSERT OR IGNORE INTO replies(fingerprint, message_id,"
          " notification_id, incident_id, from_addr, subject, date_ns,"
          " received_ns, kind, kind_reason, ref_source, source, sender)"
          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
          -1, &q, NULL) != SQLITE_OK) {
    wd_store_rollback(c->s);
    return WD_ERR_IO;
  }
  char src[WD_NOTICE_STR_MAX];
  wd_notice_clean(where, strlen(where), src, sizeof src, WD_CLEAN_ONELINE);
  sqlite3_bind_text(q, 1, fp, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, m->message_id, -1, SQLITE_STATIC);
  if (nid)
    sqlite3_bind_int64(q, 3, nid);
  else
    sqlite3_bind_null(q, 3);
  sqlite3_bind_text(q, 4, incident, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 5, m->from_addr, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 6, m->subject, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 7, (sqlite3_int64)m->date_ns);
  sqlite3_bind_int64(q, 8, (sqlite3_int64)c->now_ns);
  sqlite3_bind_text(q, 9, wd_mail_kind_name(m->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 10, m->kind_reason ? m->kind_reason : "", -1,
                    SQLITE_STATIC);
  sqlite3_bind_text(q, 11, m->ref_source ? m->ref_source : "", -1,
                    SQLITE_STATIC);
  sqlite3_bind_text(q, 12, src, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 13, sender, -1, SQLITE_STATIC);
  int sr = sqlite3_step(q);
  sqlite3_finalize(q);
  bool added = sqlite3_changes(c->db) > 0;
  if (sr != SQLITE_DONE)
    rc = WD_ERR_IO;
  if (rc == WD_OK && added && nid && !unverified && m->kind == WD_MAIL_HUMAN) {
    wd_rc r2 = wd_store_incident_set_status(c->s, incident, "answered");
    if (r2 != WD_OK && r2 != WD_ERR_STATE && r2 != WD_ERR_NOTFOUND)
      rc = r2;
  }
  if (rc == WD_OK)
    rc = wd_store_commit(c->s);
  else
    wd_store_rollback(c->s);
  if (rc != WD_OK) {
    snprintf(c->err, c->errlen, "%s: %s", where, sqlite3_errmsg(c->db));
    return rc;
  }
  if (!added) {
    c->st->duplicate++;
    return WD_OK;
  }
  c->st->added++;
  if (nid)
    c->st->matched++;
  else
    c->st->unmatched++;
  if (unverified) {
    char from[WD_NOTICE_STR_MAX], pn[WD_NOTICE_STR_MAX];
    c->st->unverified++;
    wd_log(WD_LOG_WARN, "notify",
           "%s: reply about %s from %s, who is not %s (its address or "
           "reply_from): kept as unverified, not counted as its answer",
           src, incident,
           wd_notice_cleans(m->from_addr, from, WD_CLEAN_ONELINE, "nobody"),
           wd_notice_cleans(party, pn, WD_CLEAN_ONELINE, "the party"));
  }
  if (m->kind == WD_MAIL_HUMAN)
    c->st->human++;
  else if (m->kind == WD_MAIL_AUTO)
    c->st->automatic++;
  else
    c->st->bounces++;
  return WD_OK;
}

wd_rc wd_inbox_import(wd_store_t *s, const wd_directory_t *dir,
                      const char *path, uint64_t now_ns, wd_inbox_stats_t *st,
                      char *err, size_t errlen) {
  ctx_t c = {s,  dir, wd_store_db(s), malloc(sizeof(wd_mail_t)), now_ns,
             st, err, errlen};
  if (!c.m)
    return WD_ERR_NOMEM;
  wd_mailbox_stats_t ms;
  wd_rc rc = wd_mailbox_scan(path, one, &c, &ms, err, errlen);
  st->skipped_large += ms.skipped_large;
  free(c.m);
  return rc;
}

wd_rc wd_inbox_verdict(wd_store_t *s, const char *ref, const char *verdict,
                       const char *note, uint64_t now_ns, char *err,
                       size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q = NULL;
  char clean_note[WD_NOTICE_STR_MAX];
  wd_notice_clean(note ? note : "", note ? strlen(note) : 0, clean_note,
                  sizeof clean_note, WD_CLEAN_ONELINE);
  if (strcmp(verdict, "substantive") != 0 && strcmp(verdict, "formal") != 0) {
    snprintf(err, errlen, "verdict must be substantive or formal");
    return WD_ERR_INVAL;
  }
  wd_rc rc = wd_store_begin(s);
  if (rc != WD_OK)
    return rc;
  /* the incident must exist */
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM incidents WHERE id = ?1", -1, &q,
                         NULL) != SQLITE_OK)
    goto dberr;
  sqlite3_bind_text(q, 1, ref, -1, SQLITE_STATIC);
  int found = sqlite3_step(q) == SQLITE_ROW;
  sqlite3_finalize(q);
  if (!found) {
    wd_store_rollback(s);
    snprintf(err, errlen, "no incident %s", ref);
    return WD_ERR_NOTFOUND;
  }
  if (sqlite3_prepare_v2(
          db,
          "UPDATE replies SET verdict = ?2, note = ?3, verdict_ns = ?4"
          " WHERE id = (SELECT id FROM replies WHERE incident_id = ?1"
          " AND kind = 'human' AND sender != 'unverified'"
          " ORDER BY received_ns DESC, id DESC LIMIT 1)",
          -1, &q, NULL) != SQLITE_OK)
    goto dberr;
  sqlite3_bind_text(q, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, verdict, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, clean_note, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 4, (sqlite3_int64)now_ns);
  int sr = sqlite3_step(q);
  sqlite3_finalize(q);
  if (sr != SQLITE_DONE)
    goto dberr;
  if (sqlite3_changes(db) == 0) { /* answered outside mail */
    char fp[96];
    snprintf(fp, sizeof fp, "analyst:%s:%llu", ref, (unsigned long long)now_ns);
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO replies(fingerprint, notification_id, incident_id,"
            " from_addr, subject, date_ns, received_ns, kind, kind_reason,"
            " source, verdict, note, verdict_ns) VALUES (?1,"
            " (SELECT id FROM notifications WHERE incident_id = ?2"
            "  ORDER BY seq, id LIMIT 1), ?2, '', '(recorded by analyst)',"
            " ?3, ?3, 'human', 'recorded by analyst', 'ward reply', ?4, ?5,"
            " ?3)",
            -1, &q, NULL) != SQLITE_OK)
      goto dberr;
    sqlite3_bind_text(q, 1, fp, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ref, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)now_ns);
    sqlite3_bind_text(q, 4, verdict, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, clean_note, -1, SQLITE_STATIC);
    sr = sqlite3_step(q);
    sqlite3_finalize(q);
    if (sr != SQLITE_DONE)
      goto dberr;
  }
  rc = wd_store_incident_set_status(s, ref, "answered");
  if (rc != WD_OK && rc != WD_ERR_STATE) {
    wd_store_rollback(s);
    snprintf(err, errlen, "%s: %s", ref, wd_store_errmsg(s));
    return rc;
  }
  return wd_store_commit(s);
dberr:
  snprintf(err, errlen, "%s: %s", ref, sqlite3_errmsg(db));
  wd_store_rollback(s);
  return WD_ERR_IO;
}
