/* store_serve.c -- the named store functions of the console and its API
 * (src/serve): access tokens (only their hash), the audit of changes
 * made through the API, analysts' notes, the replies and notifications of
 * one incident, and the counts behind /metrics; written once over the
 * engines' statement interface (store_int.h), their SQL beside each
 * engine.
 * In: records from src/serve and src/cli (borrowed). Out: rows into
 * caller storage or malloc'ed arrays the caller frees. Who may do what
 * is decided in src/serve; these only read and write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

#define PREP(st, s, q)                                                         \
  wd_store_stmt_t *st = st_prep((s), (q));                                     \
  if (!st)                                                                     \
  return WD_ERR_IO

/* Reads every row of st into a growing array of elements of size bytes,
 * each filled by row(st, element). The statement is done afterwards. */
static wd_rc many_rows(wd_store_stmt_t *st, size_t size,
                       void (*row)(wd_store_stmt_t *, void *), void **out,
                       size_t *n) {
  *out = NULL;
  *n = 0;
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      void *nv = realloc(*out, nc * size);
      if (!nv) {
        r = WD_ERR_NOMEM;
        break;
      }
      *out = nv;
      cap = nc;
    }
    void *e = (char *)*out + (*n)++ * size;
    memset(e, 0, size);
    row(st, e);
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

/* Runs st to its end: WD_OK with the rows it changed in *ch, or its
 * error. The statement is done afterwards. */
static wd_rc run_changes(wd_store_stmt_t *st, uint64_t *ch) {
  wd_rc r = st_step(st);
  *ch = r == WD_END || r == WD_OK ? st->s->e->changes(st) : 0;
  st_done(st);
  return r == WD_END || r == WD_OK ? WD_OK : r;
}

/* ---- tokens ---- */

static void row_token(wd_store_stmt_t *st, void *p) {
  wd_store_token_t *t = p;
  col_copy(st, 0, t->name, sizeof t->name);
  col_copy(st, 1, t->role, sizeof t->role);
  col_copy(st, 2, t->hash, sizeof t->hash);
  t->created_ns = col_u64(st, 3);
  t->revoked_ns = col_u64(st, 4);
}

wd_rc wd_store_token_add(wd_store_t *s, const wd_store_token_t *t) {
  PREP(st, s, Q_TOKEN_ADD);
  st_text(st, 1, t->name);
  st_text(st, 2, t->role);
  st_text(st, 3, t->hash);
  st_u64(st, 4, t->created_ns);
  uint64_t ch;
  wd_rc r = run_changes(st, &ch);
  if (r != WD_OK)
    return r;
  if (!ch) {
    snprintf(s->msg, sizeof s->msg, "a valid token named %s exists", t->name);
    return WD_ERR_STATE;
  }
  return WD_OK;
}

wd_rc wd_store_token_by_hash(wd_store_t *s, const char *hash,
                             wd_store_token_t *out) {
  memset(out, 0, sizeof *out);
  PREP(st, s, Q_TOKEN_BY_HASH);
  st_text(st, 1, hash);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    row_token(st, out);
  st_done(st);
  return r == WD_END ? WD_ERR_NOTFOUND : r;
}

wd_rc wd_store_token_list(wd_store_t *s, wd_store_token_t **out, size_t *n) {
  PREP(st, s, Q_TOKEN_LIST);
  return many_rows(st, sizeof **out, row_token, (void **)out, n);
}

wd_rc wd_store_token_revoke(wd_store_t *s, const char *name, uint64_t now_ns) {
  PREP(st, s, Q_TOKEN_REVOKE);
  st_text(st, 1, name);
  st_u64(st, 2, now_ns);
  uint64_t ch;
  wd_rc r = run_changes(st, &ch);
  if (r != WD_OK)
    return r;
  if (!ch) {
    snprintf(s->msg, sizeof s->msg, "no valid token named %s", name);
    return WD_ERR_NOTFOUND;
  }
  return WD_OK;
}

/* ---- audit ---- */

wd_rc wd_store_audit_add(wd_store_t *s, const wd_store_audit_t *a) {
  PREP(st, s, Q_AUDIT_ADD);
  st_u64(st, 1, a->at_ns);
  st_text(st, 2, a->who);
  st_text(st, 3, a->action);
  st_text(st, 4, a->target);
  st_text(st, 5, a->before);
  st_text(st, 6, a->after);
  return wd_store_run(st);
}

static void row_audit(wd_store_stmt_t *st, void *p) {
  wd_store_audit_t *a = p;
  a->id = col_i64(st, 0);
  a->at_ns = col_u64(st, 1);
  col_copy(st, 2, a->who, sizeof a->who);
  col_copy(st, 3, a->action, sizeof a->action);
  col_copy(st, 4, a->target, sizeof a->target);
  col_copy(st, 5, a->before, sizeof a->before);
  col_copy(st, 6, a->after, sizeof a->after);
}

wd_rc wd_store_audit_list(wd_store_t *s, size_t limit, size_t offset,
                          wd_store_audit_t **out, size_t *n) {
  PREP(st, s, Q_AUDIT_LIST);
  st_u64(st, 1, limit);
  st_u64(st, 2, offset);
  return many_rows(st, sizeof **out, row_audit, (void **)out, n);
}

/* ---- notes ---- */

wd_rc wd_store_note_add(wd_store_t *s, const char *incident_id,
                        const wd_store_note_t *note) {
  PREP(st, s, Q_NOTE_ADD);
  st_text(st, 1, incident_id);
  st_u64(st, 2, note->at_ns);
  st_text(st, 3, note->by);
  st_text(st, 4, note->text);
  uint64_t ch;
  wd_rc r = run_changes(st, &ch);
  if (r != WD_OK)
    return r;
  if (!ch) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", incident_id);
    return WD_ERR_NOTFOUND;
  }
  return WD_OK;
}

static void row_note(wd_store_stmt_t *st, void *p) {
  wd_store_note_t *nt = p;
  nt->at_ns = col_u64(st, 0);
  col_copy(st, 1, nt->by, sizeof nt->by);
  col_copy(st, 2, nt->text, sizeof nt->text);
}

wd_rc wd_store_notes(wd_store_t *s, const char *incident_id,
                     wd_store_note_t **out, size_t *n) {
  PREP(st, s, Q_NOTES_GET);
  st_text(st, 1, incident_id);
  return many_rows(st, sizeof **out, row_note, (void **)out, n);
}

/* ---- replies of one incident ---- */

static void row_reply(wd_store_stmt_t *st, void *p) {
  wd_store_reply_row_t *r = p;
  r->id = col_i64(st, 0);
  r->notification_id = col_i64(st, 1);
  col_copy(st, 2, r->from_addr, sizeof r->from_addr);
  col_copy(st, 3, r->subject, sizeof r->subject);
  r->date_ns = col_u64(st, 4);
  r->received_ns = col_u64(st, 5);
  col_copy(st, 6, r->kind, sizeof r->kind);
  col_copy(st, 7, r->sender, sizeof r->sender);
  col_copy(st, 8, r->verdict, sizeof r->verdict);
  col_copy(st, 9, r->verdict_by, sizeof r->verdict_by);
  col_copy(st, 10, r->note, sizeof r->note);
}

wd_rc wd_store_replies_of(wd_store_t *s, const char *incident_id,
                          wd_store_reply_row_t **out, size_t *n) {
  PREP(st, s, Q_REPLIES_OF);
  st_text(st, 1, incident_id);
  return many_rows(st, sizeof **out, row_reply, (void **)out, n);
}

/* ---- metrics ---- */

static void row_metric(wd_store_stmt_t *st, void *p) {
  wd_store_metric_t *m = p;
  col_copy(st, 0, m->what, sizeof m->what);
  col_copy(st, 1, m->label, sizeof m->label);
  m->value = col_u64(st, 2);
}

wd_rc wd_store_metrics(wd_store_t *s, wd_store_metric_t **out, size_t *n) {
  PREP(st, s, Q_METRICS);
  return many_rows(st, sizeof **out, row_metric, (void **)out, n);
}

/* ---- the directory of responsible parties ---- */

static void row_party(wd_store_stmt_t *st, void *p) {
  wd_store_party_row_t *y = p;
  y->id = col_i64(st, 0);
  col_copy(st, 1, y->name, sizeof y->name);
  y->doc = strdup(st->s->e->col_text(st, 2));
  y->updated_ns = col_u64(st, 3);
}

void wd_store_parties_free(wd_store_party_row_t *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i].doc);
  free(v);
}

wd_rc wd_store_party_list(wd_store_t *s, wd_store_party_row_t **out,
                          size_t *n) {
  *out = NULL;
  *n = 0;
  if (s->version < WD_STORE_PARTIES_VERSION)
    return WD_OK;
  PREP(st, s, Q_PARTY_LIST);
  wd_rc r = many_rows(st, sizeof **out, row_party, (void **)out, n);
  for (size_t i = 0; r == WD_OK && i < *n; i++)
    if (!(*out)[i].doc) {
      wd_store_parties_free(*out, *n);
      *out = NULL;
      *n = 0;
      r = WD_ERR_NOMEM;
    }
  return r;
}

wd_rc wd_store_party_get(wd_store_t *s, const char *name,
                         wd_store_party_row_t *out) {
  memset(out, 0, sizeof *out);
  if (s->version < WD_STORE_PARTIES_VERSION)
    return WD_ERR_NOTFOUND;
  PREP(st, s, Q_PARTY_GET);
  st_text(st, 1, name);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    row_party(st, out);
  st_done(st);
  if (r == WD_OK && !out->doc)
    return WD_ERR_NOMEM;
  return r == WD_END ? WD_ERR_NOTFOUND : r;
}

/* Runs statement q over (name, doc, now); WD_ERR_STATE / WD_ERR_NOTFOUND
 * (missing, with the message set) when it changed no row. */
static wd_rc party_write(wd_store_t *s, int q, const char *name,
                         const char *doc, uint64_t now_ns, wd_rc missing) {
  PREP(st, s, q);
  st_text(st, 1, name);
  if (doc) {
    st_text(st, 2, doc);
    st_u64(st, 3, now_ns);
  }
  uint64_t ch;
  wd_rc r = run_changes(st, &ch);
  if (r != WD_OK)
    return r;
  if (!ch) {
    snprintf(s->msg, sizeof s->msg,
             missing == WD_ERR_STATE ? "a party named %s exists"
                                     : "no party named %s",
             name);
    return missing;
  }
  return WD_OK;
}

wd_rc wd_store_party_add(wd_store_t *s, const char *name, const char *doc,
                         uint64_t now_ns) {
  return party_write(s, Q_PARTY_ADD, name, doc, now_ns, WD_ERR_STATE);
}

wd_rc wd_store_party_update(wd_store_t *s, const char *name, const char *doc,
                            uint64_t now_ns) {
  return party_write(s, Q_PARTY_UPDATE, name, doc, now_ns, WD_ERR_NOTFOUND);
}

wd_rc wd_store_party_delete(wd_store_t *s, const char *name) {
  return party_write(s, Q_PARTY_DELETE, name, NULL, 0, WD_ERR_NOTFOUND);
}
