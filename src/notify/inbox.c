/* inbox.c -- importing replies and verdicts (see inbox.h).
 * In: the store's named reply and notification functions (src/store: no
 * SQL here, whatever the engine). Memory: one wd_mail_t (heap, ~330 KiB)
 * per import, reused for every message. Each message is one transaction
 * (insert + status change), so a crash mid-import loses nothing and a
 * rerun only adds what is missing. A verdict is one transaction that
 * first locks its incident, so two analysts judging at once are taken one
 * after the other: the second finds the first's verdict. Transactions
 * that lose a race with another writer are run again (wd_store_retry). */
#include "notify/inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/timefmt.h"
#include "notify/mail.h"
#include "notify/mailbox.h"
#include "notify/notice.h"

typedef struct ctx {
  wd_store_t *s;
  const wd_directory_t *dir;
  wd_mail_t *m;
  uint64_t now_ns;
  wd_inbox_stats_t *st;
  char *err;
  size_t errlen;
} ctx_t;

/* Notification answered by m: by Message-ID, else by reference + the
 * sender's domain, else the latest notification of the reference; n->id
 * is 0 when none is found. */
static wd_rc match(ctx_t *c, wd_store_notice_t *n) {
  const wd_mail_t *m = c->m;
  memset(n, 0, sizeof *n);
  const char *ids[WD_MAIL_REFS_MAX + 1];
  size_t k = 0;
  if (m->in_reply_to[0])
    ids[k++] = m->in_reply_to;
  for (size_t i = 0; i < m->n_refs; i++)
    ids[k++] = m->refs[i];
  for (size_t i = 0; i < k; i++) {
    wd_rc r = wd_store_notice_by_message_id(c->s, ids[i], n);
    if (r != WD_ERR_NOTFOUND)
      return r;
  }
  if (!m->ref[0])
    return WD_OK;
  /* by reference: prefer the party whose address shares the domain; a
     reference we never mailed (or another database's) links nothing, the
     reply is unmatched */
  const char *dom = strrchr(m->from_addr, '@');
  wd_rc r = wd_store_notice_by_incident(c->s, m->ref, dom ? dom : "", n);
  if (r == WD_ERR_NOTFOUND) {
    memset(n, 0, sizeof *n);
    return WD_OK;
  }
  return r;
}

/* Whether the sender of m is the party notification n went to: its
 * address there, or one of the directory's reply_from for that party. */
static bool sender_is_party(ctx_t *c, const wd_store_notice_t *n) {
  const char *from = c->m->from_addr;
  if (!from[0])
    return false;
  if (!strcasecmp(from, n->party_email))
    return true;
  const wd_party_t *p =
      wd_directory_find(c->dir, n->party_name, n->party_email);
  if (!p)
    p = wd_directory_find(c->dir, n->party_name, NULL);
  return p && wd_party_sender_ok(p, from);
}

/* One message in one transaction: matched, stored, its incident answered
 * when it is the party's human reply. */
static wd_rc one_txn(ctx_t *c, const char *fp, const char *src,
                     wd_store_notice_t *n, const char **sender, bool *added) {
  wd_mail_t *m = c->m;
  *added = false;
  *sender = "";
  wd_rc rc = wd_store_begin(c->s);
  if (rc != WD_OK)
    return rc;
  rc = match(c, n);
  /* a bounce comes from a mail system, not from the party: not checked */
  if (rc == WD_OK && n->id && m->kind != WD_MAIL_BOUNCE)
    *sender = sender_is_party(c, n) ? "party" : "unverified";
  bool unverified = !strcmp(*sender, "unverified");
  if (rc == WD_OK) {
    wd_store_reply_t r = {.fingerprint = fp,
                          .message_id = m->message_id,
                          .notification_id = n->id,
                          .incident_id = n->id ? n->incident_id : "",
                          .from_addr = m->from_addr,
                          .subject = m->subject,
                          .date_ns = m->date_ns,
                          .received_ns = c->now_ns,
                          .kind = wd_mail_kind_name(m->kind),
                          .kind_reason = m->kind_reason,
                          .ref_source = m->ref_source,
                          .source = src,
                          .sender = *sender};
    rc = wd_store_reply_add(c->s, &r, added);
  }
  if (rc == WD_OK && *added && n->id && !unverified &&
      m->kind == WD_MAIL_HUMAN) {
    wd_rc r2 = wd_store_incident_set_status(c->s, n->incident_id, "answered");
    if (r2 != WD_OK && r2 != WD_ERR_STATE && r2 != WD_ERR_NOTFOUND)
      rc = r2;
  }
  if (rc == WD_OK)
    rc = wd_store_commit(c->s);
  else
    wd_store_rollback(c->s);
  return rc;
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
  char src[WD_NOTICE_STR_MAX];
  wd_notice_clean(where, strlen(where), src, sizeof src, WD_CLEAN_ONELINE);
  wd_store_notice_t n;
  const char *sender = "";
  bool added = false;
  unsigned tries = 0;
  wd_rc rc;
  do
    rc = one_txn(c, fp, src, &n, &sender, &added);
  while (wd_store_retry(c->s, rc, &tries));
  if (rc != WD_OK) {
    snprintf(c->err, c->errlen, "%s: %s", where, wd_store_errmsg(c->s));
    return rc;
  }
  if (!added) {
    c->st->duplicate++;
    return WD_OK;
  }
  c->st->added++;
  if (n.id)
    c->st->matched++;
  else
    c->st->unmatched++;
  if (!strcmp(sender, "unverified")) {
    char from[WD_NOTICE_STR_MAX], pn[WD_NOTICE_STR_MAX];
    c->st->unverified++;
    wd_log(WD_LOG_WARN, "notify",
           "%s: reply about %s from %s, who is not %s (its address or "
           "reply_from): kept as unverified, not counted as its answer",
           src, n.incident_id,
           wd_notice_cleans(m->from_addr, from, WD_CLEAN_ONELINE, "nobody"),
           wd_notice_cleans(n.party_name, pn, WD_CLEAN_ONELINE, "the party"));
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
  ctx_t c = {s, dir, malloc(sizeof(wd_mail_t)), now_ns, st, err, errlen};
  if (!c.m)
    return WD_ERR_NOMEM;
  wd_mailbox_stats_t ms;
  wd_rc rc = wd_mailbox_scan(path, one, &c, &ms, err, errlen);
  st->skipped_large += ms.skipped_large;
  free(c.m);
  return rc;
}

/* "2026-04-16 12:00:00 UTC" */
static const char *when(uint64_t ns, char out[40]) {
  if (!ns) {
    snprintf(out, 40, "an unknown time");
    return out;
  }
  return wd_time_str(ns, WD_TIME_HUMAN, out, 40);
}

/* The verdict's transaction: the incident locked first, then the latest
 * human reply judged (or one recorded by the analyst), the verdict kept in
 * history, the incident answered. */
static wd_rc verdict_txn(wd_store_t *s, const char *ref,
                         const wd_inbox_verdict_t *v, uint64_t now_ns,
                         wd_store_verdict_t *prev, char *err, size_t errlen) {
  memset(prev, 0, sizeof *prev);
  wd_rc rc = wd_store_begin(s);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s: %s", ref, wd_store_errmsg(s));
    return rc;
  }
  /* the incident must exist; from here no other verdict on it can run */
  rc = wd_store_incident_lock(s, ref);
  if (rc == WD_ERR_NOTFOUND) {
    wd_store_rollback(s);
    snprintf(err, errlen, "no incident %s", ref);
    return rc;
  }
  wd_store_verdict_t now = {.at_ns = now_ns};
  snprintf(now.verdict, sizeof now.verdict, "%s", v->verdict);
  snprintf(now.by, sizeof now.by, "%s", v->by ? v->by : "");
  wd_notice_clean(v->note ? v->note : "", v->note ? strlen(v->note) : 0,
                  now.note, sizeof now.note, WD_CLEAN_ONELINE);
  if (rc == WD_OK)
    rc = wd_store_reply_latest_human(s, ref, prev);
  if (rc == WD_OK && prev->verdict[0]) {
    if (!strcmp(prev->verdict, now.verdict) && !strcmp(prev->note, now.note)) {
      /* the same judgement again: nothing changes */
      wd_store_rollback(s);
      return WD_OK;
    }
    if (!v->force) {
      char t[40], who[WD_NOTICE_STR_MAX];
      wd_store_rollback(s);
      snprintf(err, errlen,
               "%s: already judged %s by %s at %s; use --force to replace it "
               "(both stay in the history: ward reply %s --history)",
               ref, prev->verdict,
               wd_notice_cleans(prev->by, who, WD_CLEAN_ONELINE, "an analyst"),
               when(prev->at_ns, t), ref);
      return WD_ERR_STATE;
    }
  }
  if (rc == WD_OK) { /* a human reply: judge it */
    now.reply_id = prev->reply_id;
    snprintf(now.replaced, sizeof now.replaced, "%s", prev->verdict);
    rc = wd_store_reply_judge(s, &now);
  } else if (rc == WD_ERR_NOTFOUND) { /* answered outside mail */
    memset(prev, 0, sizeof *prev);
    rc = wd_store_reply_add_recorded(s, ref, &now);
  }
  if (rc == WD_OK)
    rc = wd_store_verdict_log(s, ref, &now);
  if (rc == WD_OK) {
    rc = wd_store_incident_set_status(s, ref, "answered");
    if (rc == WD_ERR_STATE)
      rc = WD_OK;
  }
  if (rc == WD_OK)
    rc = wd_store_commit(s);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s: %s", ref, wd_store_errmsg(s));
    wd_store_rollback(s);
  }
  return rc;
}

wd_rc wd_inbox_verdict(wd_store_t *s, const char *ref,
                       const wd_inbox_verdict_t *v, uint64_t now_ns,
                       wd_store_verdict_t *prev, char *err, size_t errlen) {
  wd_store_verdict_t scratch;
  if (!prev)
    prev = &scratch;
  memset(prev, 0, sizeof *prev);
  if (!v->verdict || (strcmp(v->verdict, "substantive") != 0 &&
                      strcmp(v->verdict, "formal") != 0)) {
    snprintf(err, errlen, "verdict must be substantive or formal");
    return WD_ERR_INVAL;
  }
  unsigned tries = 0;
  wd_rc rc;
  do
    rc = verdict_txn(s, ref, v, now_ns, prev, err, errlen);
  while (wd_store_retry(s, rc, &tries));
  return rc;
}
