/* report_store.c -- the report's notices from the database (see
 * report_store.h). One query; a reply counts for a notification when it
 * names it, or any notification of the same incident and party, or only
 * the incident -- and only when its sender is the party (replies kept as
 * unverified are counted apart). Reply time: the reply's Date when plausible
 * (not after we imported it), else the import time. Memory: two arrays grown
 * together. */
#include "report/report_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wd_report_strings {
  char id[WD_STORE_ID_LEN];
  char party[WD_NAME_MAX];
  char country[8];
  char sector[32];
  char cls[48];
};

#define REPLIES_OF                                                             \
  " FROM replies r WHERE (r.notification_id IN (SELECT x.id FROM"              \
  " notifications x WHERE x.incident_id = n.incident_id AND x.party_email"     \
  " = n.party_email) OR (r.notification_id IS NULL AND r.incident_id ="        \
  " n.incident_id))"
/* a reply from someone who is not the party never counts as its answer */
#define VERIFIED "r.sender != 'unverified'"
#define REPLY_TIME                                                             \
  "CASE WHEN r.date_ns > 0 AND r.date_ns <= r.received_ns THEN r.date_ns"      \
  " ELSE r.received_ns END"

static const char query[] =
    "SELECT n.incident_id, n.party_name,"
    " COALESCE((SELECT a.country FROM incident_attackers a WHERE"
    "  a.incident_id = n.incident_id AND a.country != '' ORDER BY"
    "  a.reliable DESC, a.ip LIMIT 1), ''),"
    " i.sector, i.class, n.seq > 1, n.sent_ns, n.state = 'sent',"
    " n.party_deadline_hours,"
    " (SELECT MIN(" REPLY_TIME ")" REPLIES_OF " AND r.kind = 'auto'"
    "  AND " VERIFIED "),"
    " (SELECT MIN(" REPLY_TIME ")" REPLIES_OF " AND r.kind = 'human'"
    "  AND " VERIFIED "),"
    " EXISTS (SELECT 1" REPLIES_OF " AND r.verdict = 'substantive'"
    "  AND " VERIFIED "),"
    " EXISTS (SELECT 1" REPLIES_OF " AND r.verdict = 'formal' AND " VERIFIED
    "),"
    " (SELECT MIN(" REPLY_TIME ")" REPLIES_OF " AND r.sender = 'unverified')"
    " FROM notifications n JOIN incidents i ON i.id = n.incident_id"
    " WHERE (?1 = 0 OR COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) >= ?1)"
    " AND (?2 = 0 OR COALESCE(NULLIF(n.sent_ns, 0), n.created_ns) < ?2)"
    " ORDER BY n.id";

static const char *ctext(sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  return t ? (const char *)t : "";
}

wd_rc wd_report_load(wd_store_t *s, uint64_t since_ns, uint64_t until_ns,
                     wd_report_data_t *out, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q = NULL;
  memset(out, 0, sizeof *out);
  if (sqlite3_prepare_v2(db, query, -1, &q, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "report query: %s", sqlite3_errmsg(db));
    return WD_ERR_IO;
  }
  sqlite3_bind_int64(q, 1, (sqlite3_int64)since_ns);
  sqlite3_bind_int64(q, 2, (sqlite3_int64)until_ns);
  size_t cap = 0;
  wd_rc rc = WD_OK;
  int sr;
  while ((sr = sqlite3_step(q)) == SQLITE_ROW) {
    if (out->n == WD_REPORT_NOTICES_MAX) {
      rc = WD_ERR_FULL;
      snprintf(err, errlen, "more than %d notifications: narrow --since",
               WD_REPORT_NOTICES_MAX);
      break;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 64;
      wd_report_notice_t *nv = realloc(out->v, cap * sizeof *nv);
      if (nv)
        out->v = nv;
      wd_report_strings_t *ns = realloc(out->str, cap * sizeof *ns);
      if (ns)
        out->str = ns;
      if (!nv || !ns) {
        rc = WD_ERR_NOMEM;
        break;
      }
    }
    wd_report_strings_t *t = &out->str[out->n];
    wd_report_notice_t *x = &out->v[out->n];
    memset(x, 0, sizeof *x);
    snprintf(t->id, sizeof t->id, "%s", ctext(q, 0));
    snprintf(t->party, sizeof t->party, "%s", ctext(q, 1));
    snprintf(t->country, sizeof t->country, "%s", ctext(q, 2));
    snprintf(t->sector, sizeof t->sector, "%s", ctext(q, 3));
    snprintf(t->cls, sizeof t->cls, "%s", ctext(q, 4));
    x->reminder = sqlite3_column_int(q, 5);
    x->sent_ns = (uint64_t)sqlite3_column_int64(q, 6);
    x->delivered = sqlite3_column_int(q, 7);
    x->deadline_hours = (uint32_t)sqlite3_column_int64(q, 8);
    x->first_auto_ns = (uint64_t)sqlite3_column_int64(q, 9);
    x->first_human_ns = (uint64_t)sqlite3_column_int64(q, 10);
    x->substantive = sqlite3_column_int(q, 11);
    x->formal = sqlite3_column_int(q, 12);
    x->first_unverified_ns = (uint64_t)sqlite3_column_int64(q, 13);
    out->n++;
  }
  if (rc == WD_OK && sr != SQLITE_DONE) {
    snprintf(err, errlen, "report query: %s", sqlite3_errmsg(db));
    rc = WD_ERR_IO;
  }
  /* the arrays no longer move: point the notices at their strings */
  for (size_t i = 0; i < out->n; i++) {
    out->v[i].incident_id = out->str[i].id;
    out->v[i].party = out->str[i].party;
    out->v[i].country = out->str[i].country;
    out->v[i].sector = out->str[i].sector;
    out->v[i].rsit_class = out->str[i].cls;
  }
  sqlite3_finalize(q);
  if (rc != WD_OK)
    wd_report_data_fini(out);
  return rc;
}

void wd_report_data_fini(wd_report_data_t *d) {
  free(d->v);
  free(d->str);
  memset(d, 0, sizeof *d);
}
