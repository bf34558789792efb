/* store_notify.c -- the named store functions of the notification stage:
 * the outbox (notifications), replies and the analysts' verdicts, and the
 * rows of the accountability report; written once over the engines'
 * statement interface (store_int.h), their SQL beside each engine.
 * In: records from src/notify (borrowed). Out: rows into caller storage
 * or malloc'ed arrays the caller frees. The policy (what is due, who may
 * judge, what counts) stays in src/notify and src/report; these only read
 * and write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

#define PREP(st, s, q)                                                         \
  wd_store_stmt_t *st = st_prep((s), (q));                                     \
  if (!st)                                                                     \
  return WD_ERR_IO

static const char *nz(const char *v) { return v ? v : ""; }

/* ---- notifications ---- */

static void row_notice(wd_store_stmt_t *st, wd_store_notice_t *n) {
  memset(n, 0, sizeof *n);
  n->id = col_i64(st, NC_ID);
  col_copy(st, NC_INCIDENT, n->incident_id, sizeof n->incident_id);
  col_copy(st, NC_PARTY_NAME, n->party_name, sizeof n->party_name);
  col_copy(st, NC_PARTY_KIND, n->party_kind, sizeof n->party_kind);
  col_copy(st, NC_PARTY_EMAIL, n->party_email, sizeof n->party_email);
  col_copy(st, NC_PARTY_FORMAT, n->party_format, sizeof n->party_format);
  n->deadline_hours = (uint32_t)col_u64(st, NC_DEADLINE);
  n->seq = (int)col_i64(st, NC_SEQ);
  col_copy(st, NC_KIND, n->kind, sizeof n->kind);
  col_copy(st, NC_MESSAGE_ID, n->message_id, sizeof n->message_id);
  col_copy(st, NC_STATE, n->state, sizeof n->state);
  n->attempts = (unsigned)col_u64(st, NC_ATTEMPTS);
  n->created_ns = col_u64(st, NC_CREATED);
  n->next_ns = col_u64(st, NC_NEXT);
  n->last_attempt_ns = col_u64(st, NC_LAST_ATTEMPT);
  n->sent_ns = col_u64(st, NC_SENT);
  n->requeued_ns = col_u64(st, NC_REQUEUED);
  col_copy(st, NC_LAST_ERROR, n->last_error, sizeof n->last_error);
  n->has_message = col_i64(st, NC_HAS_MESSAGE) != 0;
}

/* The one row of a bound statement into out; WD_ERR_NOTFOUND when none. */
static wd_rc one_notice(wd_store_stmt_t *st, wd_store_notice_t *out) {
  wd_rc r = st_step(st);
  if (r == WD_OK)
    row_notice(st, out);
  st_done(st);
  return r == WD_END ? WD_ERR_NOTFOUND : r;
}

/* Every row of a bound statement (at most max) into a malloc'ed array;
 * due_col >= 0: only rows whose column due_col is true, the others
 * counted in *skipped. */
static wd_rc many_notices(wd_store_stmt_t *st, size_t max, int due_col,
                          wd_store_notice_t **out, size_t *n,
                          uint64_t *skipped) {
  *out = NULL;
  *n = 0;
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK && *n < max) {
    if (due_col >= 0 && !col_i64(st, due_col)) {
      if (skipped)
        (*skipped)++;
      continue;
    }
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      wd_store_notice_t *nv = realloc(*out, nc * sizeof *nv);
      if (!nv) {
        r = WD_ERR_NOMEM;
        break;
      }
      *out = nv;
      cap = nc;
    }
    row_notice(st, &(*out)[(*n)++]);
  }
  st_done(st);
  if (r != WD_END && r != WD_OK) {
    free(*out);
    *out = NULL;
    *n = 0;
    return r;
  }
  return WD_OK;
}

wd_rc wd_store_notice_add(wd_store_t *s, const wd_store_notice_t *n,
                          bool *inserted) {
  *inserted = false;
  PREP(st, s, Q_NOTICE_ADD);
  st_text(st, 1, n->incident_id);
  st_text(st, 2, n->party_name);
  st_text(st, 3, n->party_kind);
  st_text(st, 4, n->party_email);
  st_text(st, 5, n->party_format[0] ? n->party_format : "text");
  st_i64(st, 6, n->deadline_hours);
  st_i64(st, 7, n->seq);
  st_text(st, 8, n->kind);
  st_text(st, 9, n->message_id);
  st_u64(st, 10, n->created_ns);
  wd_rc r = st_step(st);
  *inserted = r == WD_END && s->e->changes(st) > 0;
  st_done(st);
  return r == WD_END ? WD_OK : r;
}

wd_rc wd_store_notice_get(wd_store_t *s, int64_t id, wd_store_notice_t *out) {
  PREP(st, s, Q_NOTICE_GET);
  st_i64(st, 1, id);
  return one_notice(st, out);
}

wd_rc wd_store_notice_first(wd_store_t *s, const char *incident_id,
                            const char *party_email, wd_store_notice_t *out) {
  PREP(st, s, Q_NOTICE_FIRST);
  st_text(st, 1, incident_id);
  st_text(st, 2, party_email);
  return one_notice(st, out);
}

wd_rc wd_store_notice_by_message_id(wd_store_t *s, const char *message_id,
                                    wd_store_notice_t *out) {
  PREP(st, s, Q_NOTICE_BY_MSGID);
  st_text(st, 1, message_id);
  return one_notice(st, out);
}

wd_rc wd_store_notice_by_incident(wd_store_t *s, const char *incident_id,
                                  const char *domain, wd_store_notice_t *out) {
  PREP(st, s, Q_NOTICE_BY_INCIDENT);
  st_text(st, 1, incident_id);
  st_text(st, 2, nz(domain));
  return one_notice(st, out);
}

wd_rc wd_store_notice_due(wd_store_t *s, uint64_t now_ns, bool all, size_t max,
                          wd_store_notice_t **out, size_t *n,
                          uint64_t *waiting) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_NOTICE_DUE);
  st_u64(st, 1, now_ns);
  st_i64(st, 2, all);
  st_u64(st, 3, max);
  return many_notices(st, max, NC_COUNT, out, n, waiting);
}

wd_rc wd_store_notice_overdue(wd_store_t *s, uint64_t now_ns, size_t max,
                              wd_store_notice_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_NOTICE_OVERDUE);
  st_u64(st, 1, now_ns);
  st_u64(st, 2, max);
  return many_notices(st, max, -1, out, n, NULL);
}

wd_rc wd_store_notice_list(wd_store_t *s, size_t limit, wd_store_notice_t **out,
                           size_t *n) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_NOTICE_LIST);
  if (limit)
    st_u64(st, 1, limit);
  return many_notices(st, limit ? limit : SIZE_MAX, -1, out, n, NULL);
}

wd_rc wd_store_notice_set_message(wd_store_t *s, int64_t id, const void *msg,
                                  size_t len, const char *subject,
                                  bool pcap_attached) {
  PREP(st, s, Q_NOTICE_SET_MESSAGE);
  st_i64(st, 1, id);
  st_blob(st, 2, msg, len);
  st_text(st, 3, nz(subject));
  st_i64(st, 4, pcap_attached);
  return wd_store_run(st);
}

wd_rc wd_store_notice_message(wd_store_t *s, int64_t id, uint8_t **msg,
                              size_t *len) {
  *msg = NULL;
  *len = 0;
  PREP(st, s, Q_NOTICE_MESSAGE);
  st_i64(st, 1, id);
  wd_rc r = st_step(st);
  if (r == WD_OK) {
    size_t n = 0;
    const void *p = s->e->col_blob(st, 0, &n);
    if (!(*msg = malloc(n ? n : 1)))
      r = WD_ERR_NOMEM;
    else {
      if (n)
        memcpy(*msg, p, n);
      *len = n;
    }
  } else if (r == WD_END) {
    snprintf(s->msg, sizeof s->msg, "notification %lld has no message",
             (long long)id);
    r = WD_ERR_NOTFOUND;
  }
  st_done(st);
  return r;
}

wd_rc wd_store_notice_sending(wd_store_t *s, int64_t id, uint64_t now_ns) {
  PREP(st, s, Q_NOTICE_SENDING);
  st_i64(st, 1, id);
  st_u64(st, 2, now_ns);
  return wd_store_run(st);
}

wd_rc wd_store_notice_count_attempt(wd_store_t *s, int64_t id) {
  PREP(st, s, Q_NOTICE_COUNT_ATTEMPT);
  st_i64(st, 1, id);
  return wd_store_run(st);
}

wd_rc wd_store_notice_sent(wd_store_t *s, int64_t id, const char *transport,
                           uint64_t now_ns) {
  PREP(st, s, Q_NOTICE_SENT);
  st_i64(st, 1, id);
  st_text(st, 2, nz(transport));
  st_u64(st, 3, now_ns);
  return wd_store_run(st);
}

wd_rc wd_store_notice_retry(wd_store_t *s, int64_t id, const char *error,
                            uint64_t now_ns, uint64_t next_ns) {
  PREP(st, s, Q_NOTICE_RETRY);
  st_i64(st, 1, id);
  st_text(st, 2, nz(error));
  st_u64(st, 3, now_ns);
  st_u64(st, 4, next_ns);
  return wd_store_run(st);
}

wd_rc wd_store_notice_fail(wd_store_t *s, int64_t id, const char *error,
                           uint64_t now_ns) {
  PREP(st, s, Q_NOTICE_FAIL);
  st_i64(st, 1, id);
  st_text(st, 2, nz(error));
  st_u64(st, 3, now_ns);
  return wd_store_run(st);
}

wd_rc wd_store_notice_requeue(wd_store_t *s, const char *ref, uint64_t now_ns,
                              uint64_t *n) {
  *n = 0;
  PREP(st, s, Q_NOTICE_REQUEUE);
  st_text(st, 1, ref);
  st_u64(st, 2, now_ns);
  wd_rc r = st_step(st);
  if (r == WD_END)
    *n = s->e->changes(st);
  st_done(st);
  return r == WD_END ? WD_OK : r;
}

wd_rc wd_store_notice_count_ref(wd_store_t *s, const char *ref, uint64_t *n) {
  *n = 0;
  PREP(st, s, Q_NOTICE_COUNT_REF);
  st_text(st, 1, ref);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    *n = col_u64(st, 0);
  st_done(st);
  return r == WD_OK || r == WD_END ? WD_OK : r;
}

/* ---- replies and verdicts ---- */

wd_rc wd_store_reply_add(wd_store_t *s, const wd_store_reply_t *x,
                         bool *added) {
  *added = false;
  PREP(st, s, Q_REPLY_ADD);
  st_text(st, 1, nz(x->fingerprint));
  st_text(st, 2, nz(x->message_id));
  if (x->notification_id)
    st_i64(st, 3, x->notification_id);
  else
    st_null(st, 3);
  st_text(st, 4, nz(x->incident_id));
  st_text(st, 5, nz(x->from_addr));
  st_text(st, 6, nz(x->subject));
  st_u64(st, 7, x->date_ns);
  st_u64(st, 8, x->received_ns);
  st_text(st, 9, nz(x->kind));
  st_text(st, 10, nz(x->kind_reason));
  st_text(st, 11, nz(x->ref_source));
  st_text(st, 12, nz(x->source));
  st_text(st, 13, nz(x->sender));
  wd_rc r = st_step(st);
  *added = r == WD_END && s->e->changes(st) > 0;
  st_done(st);
  return r == WD_END ? WD_OK : r;
}

wd_rc wd_store_reply_latest_human(wd_store_t *s, const char *incident_id,
                                  wd_store_verdict_t *out) {
  memset(out, 0, sizeof *out);
  PREP(st, s, Q_REPLY_LATEST_HUMAN);
  st_text(st, 1, incident_id);
  wd_rc r = st_step(st);
  if (r == WD_OK) {
    out->reply_id = col_i64(st, 0);
    col_copy(st, 1, out->verdict, sizeof out->verdict);
    col_copy(st, 2, out->by, sizeof out->by);
    out->at_ns = col_u64(st, 3);
    col_copy(st, 4, out->note, sizeof out->note);
  }
  st_done(st);
  return r == WD_END ? WD_ERR_NOTFOUND : r;
}

wd_rc wd_store_reply_judge(wd_store_t *s, const wd_store_verdict_t *v) {
  PREP(st, s, Q_REPLY_JUDGE);
  st_i64(st, 1, v->reply_id);
  st_text(st, 2, v->verdict);
  st_text(st, 3, v->note);
  st_u64(st, 4, v->at_ns);
  st_text(st, 5, v->by);
  return wd_store_run(st);
}

wd_rc wd_store_reply_add_recorded(wd_store_t *s, const char *incident_id,
                                  wd_store_verdict_t *v) {
  char fp[96];
  snprintf(fp, sizeof fp, "analyst:%.40s:%llu", incident_id,
           (unsigned long long)v->at_ns);
  PREP(st, s, Q_REPLY_ADD_RECORDED);
  st_text(st, 1, fp);
  st_text(st, 2, incident_id);
  st_u64(st, 3, v->at_ns);
  st_text(st, 4, v->verdict);
  st_text(st, 5, v->note);
  st_text(st, 6, v->by);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    v->reply_id = col_i64(st, 0);
  st_done(st);
  return r == WD_END ? WD_ERR_IO : r;
}

wd_rc wd_store_verdict_log(wd_store_t *s, const char *incident_id,
                           const wd_store_verdict_t *v) {
  PREP(st, s, Q_VERDICT_LOG);
  if (v->reply_id)
    st_i64(st, 1, v->reply_id);
  else
    st_null(st, 1);
  st_text(st, 2, incident_id);
  st_text(st, 3, v->verdict);
  st_text(st, 4, v->note);
  st_text(st, 5, v->by);
  st_u64(st, 6, v->at_ns);
  st_text(st, 7, v->replaced);
  return wd_store_run(st);
}

wd_rc wd_store_verdict_history(wd_store_t *s, const char *incident_id,
                               wd_store_verdict_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_VERDICT_HISTORY);
  st_text(st, 1, incident_id);
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      wd_store_verdict_t *nv = realloc(*out, nc * sizeof *nv);
      if (!nv) {
        r = WD_ERR_NOMEM;
        break;
      }
      *out = nv;
      cap = nc;
    }
    wd_store_verdict_t *v = &(*out)[(*n)++];
    memset(v, 0, sizeof *v);
    v->reply_id = col_i64(st, 0);
    col_copy(st, 1, v->verdict, sizeof v->verdict);
    col_copy(st, 2, v->by, sizeof v->by);
    v->at_ns = col_u64(st, 3);
    col_copy(st, 4, v->note, sizeof v->note);
    col_copy(st, 5, v->replaced, sizeof v->replaced);
  }
  st_done(st);
  if (r != WD_END) {
    free(*out);
    *out = NULL;
    *n = 0;
    return r;
  }
  return WD_OK;
}

/* ---- the report ---- */

wd_rc wd_store_report_rows(wd_store_t *s, uint64_t since_ns, uint64_t until_ns,
                           size_t max, wd_store_report_row_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_REPORT);
  st_u64(st, 1, since_ns);
  st_u64(st, 2, until_ns);
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == max) {
      snprintf(s->msg, sizeof s->msg, "more than %zu notifications", max);
      r = WD_ERR_FULL;
      break;
    }
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      wd_store_report_row_t *nv = realloc(*out, nc * sizeof *nv);
      if (!nv) {
        r = WD_ERR_NOMEM;
        break;
      }
      *out = nv;
      cap = nc;
    }
    wd_store_report_row_t *x = &(*out)[(*n)++];
    memset(x, 0, sizeof *x);
    col_copy(st, 0, x->incident_id, sizeof x->incident_id);
    col_copy(st, 1, x->party, sizeof x->party);
    col_copy(st, 2, x->country, sizeof x->country);
    col_copy(st, 3, x->sector, sizeof x->sector);
    col_copy(st, 4, x->rsit_class, sizeof x->rsit_class);
    x->reminder = col_i64(st, 5) != 0;
    x->sent_ns = col_u64(st, 6);
    x->delivered = col_i64(st, 7) != 0;
    x->deadline_hours = (uint32_t)col_u64(st, 8);
    x->first_auto_ns = col_u64(st, 9);
    x->first_human_ns = col_u64(st, 10);
    x->substantive = col_i64(st, 11) != 0;
    x->formal = col_i64(st, 12) != 0;
    x->first_unverified_ns = col_u64(st, 13);
  }
  st_done(st);
  if (r != WD_END) {
    free(*out);
    *out = NULL;
    *n = 0;
    return r;
  }
  return WD_OK;
}

wd_rc wd_store_notices_of(wd_store_t *s, const char *incident_id,
                          wd_store_notice_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  PREP(st, s, Q_NOTICES_OF);
  st_text(st, 1, incident_id);
  return many_notices(st, SIZE_MAX, -1, out, n, NULL);
}
