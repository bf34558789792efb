/* outbox.c -- durable notification outbox (see outbox.h).
 * Memory: statements are prepared per call and finalized before return;
 * a stored incident (wd_store_incident_get) and one composed message live
 * for the handling of one notification. Values are always bound. */
#include "notify/outbox.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "detect/detector.h"

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

/* A source may be shown to the party: not internal, and in the party's
 * networks when the attribution names a party for some source. */
static bool listed_for(const wd_notice_incident_t *n, const wd_addr_t *ip) {
  return !wd_notice_addr_withheld(n, ip);
}

void wd_outbox_notice_of(const wd_store_incident_t *inc,
                         const wd_outbox_sender_t *snd, const char *party_name,
                         const wd_notice_privacy_t *privacy,
                         wd_notice_incident_t *n, wd_outbox_notice_buf_t *b) {
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
  n->privacy = privacy;
  n->party.name = inc->party.name;
  n->party.kind = inc->party.kind;
  n->party.email = inc->party.email;
  n->party.format = inc->party.format[0] ? inc->party.format : "text";
  n->party.language = inc->party.language;
  n->party.deadline_hours = inc->party.deadline_hours;
  n->party.matched_by = inc->party.matched_by[0] ? inc->party.matched_by : NULL;
  if (!party_name)
    party_name = inc->party.name;
  /* the service the attack aimed at, when a detector names one */
  uint16_t port = 0;
  uint8_t proto = 0;
  size_t nd = 0;
  for (size_t i = 0; i < inc->n_attacks && nd < 16; i++) {
    bool dup = false;
    for (size_t k = 0; k < nd; k++)
      dup |= !strcmp(b->detectors[k], inc->attacks[i].detector);
    if (!dup)
      b->detectors[nd++] = inc->attacks[i].detector;
    const wd_detector_t *d = wd_detector_find(inc->attacks[i].detector);
    if (d && d->service_port && !port) {
      port = d->service_port;
      proto = d->service_proto;
    }
  }
  n->detectors = b->detectors;
  n->n_detectors = nd;
  /* targets first: what is withheld depends on them */
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
    t->port = port;
    nt++;
  }
  n->targets = b->tgt;
  n->n_targets = nt;
  n->proto = proto;
  bool internal = wd_notice_is_internal_party(n);
  size_t na = 0;
  if (inc->n_hosts) { /* worm: infected hosts in order of infection */
    for (size_t i = 0; i < inc->n_hosts && na < WD_NOTICE_ADDRS_MAX; i++) {
      wd_notice_attacker_t *a = &b->att[na];
      memset(a, 0, sizeof *a);
      if (wd_addr_parse(inc->hosts[i].ip, &a->ip) != WD_OK)
        continue;
      if (!listed_for(n, &a->ip)) {
        n->n_withheld_sources++;
        continue;
      }
      a->role = WD_NOTICE_ROLE_INFECTED;
      a->attribution_reliable = true;
      a->first_seen_ns = inc->hosts[i].infected_ns;
      a->infected_by =
          inc->hosts[i].infected_by[0] ? inc->hosts[i].infected_by : NULL;
      if (a->infected_by) {
        wd_addr_t by;
        if (wd_addr_parse(a->infected_by, &by) != WD_OK || !listed_for(n, &by))
          a->infected_by = NULL;
      }
      na++;
    }
  } else {
    /* a party outside the facility hears of its own sources only, when
       the attribution names a party for them */
    bool by_party = false;
    for (size_t i = 0; !internal && i < inc->n_attackers; i++)
      by_party |= !strcmp(inc->attackers[i].party, party_name);
    const char *why = NULL;
    for (size_t i = 0; i < inc->n_attackers && na < WD_NOTICE_ADDRS_MAX; i++) {
      const wd_store_attacker_t *s = &inc->attackers[i];
      wd_notice_attacker_t *a = &b->att[na];
      memset(a, 0, sizeof *a);
      if (wd_addr_parse(s->ip, &a->ip) != WD_OK)
        continue;
      if (!listed_for(n, &a->ip)) {
        n->n_withheld_sources++;
        continue;
      }
      if (by_party && strcmp(s->party, party_name) != 0) {
        if (s->party[0])
          n->n_other_sources++;
        else
          n->n_unknown_sources++;
        continue;
      }
      if (by_party && !why && s->matched_by[0])
        why = s->matched_by;
      a->role = !strcmp(s->role, "reflector") ? WD_NOTICE_ROLE_REFLECTOR
                                              : WD_NOTICE_ROLE_ATTACKER;
      a->country = s->country[0] ? s->country : NULL;
      a->asn = s->asn;
      a->as_org = s->as_org[0] ? s->as_org : NULL;
      a->attribution_reliable = s->reliable;
      a->reason = s->reason[0] ? s->reason : NULL;
      na++;
    }
    if (why && (n->n_other_sources || n->n_unknown_sources ||
                strcmp(party_name, inc->party.name))) {
      snprintf(b->matched_by, sizeof b->matched_by,
               "%zu of the %s in your networks (%s)", na,
               na && b->att[0].role == WD_NOTICE_ROLE_REFLECTOR
                   ? "abused reflectors"
                   : "sources",
               why);
      n->party.matched_by = b->matched_by;
    }
  }
  n->attackers = b->att;
  n->n_attackers = na;
  n->evidence_path = inc->evidence_path[0] ? inc->evidence_path : NULL;
  n->evidence_sha256 = inc->evidence_sha256[0] ? inc->evidence_sha256 : NULL;
  n->sender_name = snd->name;
  n->sender_email = snd->email;
}

/* --- what is internal --------------------------------------------------- */

void wd_outbox_privacy_fini(wd_outbox_privacy_t *pv) {
  free(pv->internal);
  free(pv->own);
  free(pv->names);
  free(pv->own_names);
  memset(pv, 0, sizeof *pv);
}

static const wd_facility_t *facility_named(const wd_config_t *cfg,
                                           const char *name) {
  for (size_t i = 0; cfg && i < cfg->n_facilities; i++)
    if (!strcmp(cfg->facilities[i].name, name))
      return &cfg->facilities[i];
  return NULL;
}

wd_rc wd_outbox_privacy_init(wd_outbox_privacy_t *pv,
                             const wd_outbox_sender_t *snd, const wd_party_t *p,
                             const char *kind) {
  memset(pv, 0, sizeof *pv);
  const wd_config_t *cfg = snd->cfg;
  bool soc = kind && !strcmp(kind, "facility-soc");
  size_t nn = 0, nf = cfg ? cfg->n_facilities : 0;
  for (size_t i = 0; i < nf; i++)
    nn += cfg->facilities[i].n_networks;
  nn += cfg ? cfg->home_net.n : 0;
  static const char *const private_nets[] = {"10.0.0.0/8", "172.16.0.0/12",
                                             "192.168.0.0/16", "fc00::/7"};
  nn += 4; /* RFC 1918 / 4193 always: nobody outside needs them */
  pv->internal = calloc(nn, sizeof *pv->internal);
  pv->names = calloc(nf + 1, sizeof *pv->names);
  size_t own_n = 0, own_names = p ? p->n_facilities : 0;
  for (size_t i = 0; p && i < p->n_facilities; i++) {
    const wd_facility_t *f = facility_named(cfg, p->facilities[i]);
    own_n += f ? f->n_networks : 0;
  }
  pv->own = calloc(own_n + 1, sizeof *pv->own);
  pv->own_names = calloc(own_names + 1, sizeof *pv->own_names);
  if (!pv->internal || !pv->names || !pv->own || !pv->own_names) {
    wd_outbox_privacy_fini(pv);
    return WD_ERR_NOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < nf; i++) {
    for (size_t j = 0; j < cfg->facilities[i].n_networks; j++)
      pv->internal[k++] = cfg->facilities[i].networks[j];
    pv->names[pv->v.n_names++] = cfg->facilities[i].name;
  }
  for (size_t i = 0; cfg && i < cfg->home_net.n; i++)
    pv->internal[k++] = cfg->home_net.v[i];
  for (size_t i = 0; i < 4; i++)
    if (wd_cidr_parse(private_nets[i], &pv->internal[k]) == WD_OK)
      k++;
  pv->v.internal = pv->internal;
  pv->v.n_internal = k;
  pv->v.names = pv->names;
  if (soc) {
    /* a facility's own team sees its own facilities; without a directory
       entry naming them, all of them (as before there was a choice) */
    pv->v.own_all = !p || !p->n_facilities;
    k = 0;
    for (size_t i = 0; p && i < p->n_facilities; i++) {
      const wd_facility_t *f = facility_named(cfg, p->facilities[i]);
      for (size_t j = 0; f && j < f->n_networks; j++)
        pv->own[k++] = f->networks[j];
      pv->own_names[pv->v.n_own_names++] = p->facilities[i];
    }
    pv->v.own = pv->own;
    pv->v.n_own = k;
    pv->v.own_names = pv->own_names;
  }
  return WD_OK;
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

static wd_rc insert_notice(sqlite3 *db, const char *incident_id,
                           const wd_store_party_t *p, const char *msgid,
                           int seq, const char *kind, uint64_t now_ns,
                           bool *inserted) {
  sqlite3_stmt *st = prep(
      db, "INSERT OR IGNORE INTO notifications(incident_id, party_name,"
          " party_kind, party_email, party_format, party_deadline_hours, seq,"
          " kind, message_id, created_ns, next_ns)"
          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)");
  if (!st)
    return WD_ERR_IO;
  sqlite3_bind_text(st, 1, incident_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, p->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, p->email, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, p->format[0] ? p->format : "text", -1,
                    SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, p->deadline_hours);
  sqlite3_bind_int(st, 7, seq);
  sqlite3_bind_text(st, 8, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, msgid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 10, (sqlite3_int64)now_ns);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  *inserted = sqlite3_changes(db) > 0;
  return rc == SQLITE_DONE ? WD_OK : WD_ERR_IO;
}

/* The parties an incident is notified to: for a reflection attack with
 * the directory at hand, the party of every listed reflector (once per
 * address, in the order of the reflectors); otherwise, or when none of
 * them has one, the incident's party. Returns how many (0: none). */
static size_t parties_of(const wd_store_incident_t *inc,
                         const wd_outbox_sender_t *snd, wd_store_party_t *out,
                         size_t cap) {
  size_t n = 0;
  bool reflection = false;
  for (size_t i = 0; i < inc->n_attackers; i++)
    reflection |= !strcmp(inc->attackers[i].role, "reflector");
  for (size_t i = 0; reflection && snd->dir && i < inc->n_attackers; i++) {
    const wd_store_attacker_t *a = &inc->attackers[i];
    if (strcmp(a->role, "reflector") != 0 || !a->party[0])
      continue;
    const wd_party_t *p = wd_directory_find(snd->dir, a->party, NULL);
    if (!p || !wd_notice_email_ok(p->email))
      continue;
    bool dup = false;
    for (size_t k = 0; k < n && !dup; k++)
      dup = !strcasecmp(out[k].email, p->email);
    if (dup || n == cap)
      continue;
    wd_store_party_t *o = &out[n++];
    memset(o, 0, sizeof *o);
    o->set = true;
    snprintf(o->name, sizeof o->name, "%s", p->name);
    snprintf(o->kind, sizeof o->kind, "%s", p->kind);
    snprintf(o->email, sizeof o->email, "%s", p->email);
    snprintf(o->format, sizeof o->format, "%s", p->format ? p->format : "text");
    snprintf(o->language, sizeof o->language, "%s",
             p->language ? p->language : "en");
    o->deadline_hours = p->deadline_hours;
    snprintf(o->matched_by, sizeof o->matched_by, "%s", a->matched_by);
  }
  if (n)
    return n;
  if (!inc->party.set || !wd_notice_email_ok(inc->party.email) || !cap)
    return 0;
  out[0] = inc->party;
  return 1;
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
  wd_store_party_t *parties = calloc(WD_OUTBOX_PARTIES_MAX, sizeof *parties);
  if (!parties) {
    free(l.v);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < l.n && rc == WD_OK; i++) {
    wd_store_incident_t inc;
    if ((rc = wd_store_begin(s)) != WD_OK)
      break;
    rc = wd_store_incident_get(s, l.v[i], &inc);
    if (rc != WD_OK) {
      wd_store_rollback(s);
      snprintf(err, errlen, "%s: %s", l.v[i], wd_store_errmsg(s));
      break;
    }
    size_t np = parties_of(&inc, snd, parties, WD_OUTBOX_PARTIES_MAX);
    size_t usable = 0, inserted_n = 0;
    for (size_t k = 0; k < np && rc == WD_OK; k++) {
      char msgid[WD_COMPOSE_MSGID_MAX];
      bool inserted = false;
      if (wd_compose_message_id(inc.id, parties[k].email, 1, snd->email,
                                msgid) != WD_OK)
        continue;
      usable++;
      rc = insert_notice(db, inc.id, &parties[k], msgid, 1, "initial", now_ns,
                         &inserted);
      inserted_n += inserted;
    }
    if (rc == WD_OK && !usable) {
      st->no_party++;
      wd_log(WD_LOG_WARN, "notify",
             "%s: no party with a usable address "
             "(%s); not notified",
             inc.id, inc.party.matched_by[0] ? inc.party.matched_by : "none");
      wd_store_incident_fini(&inc);
      wd_store_rollback(s);
      continue;
    }
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
    else
      st->queued += inserted_n;
  }
  free(parties);
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
          "  p.kind = 'human' AND p.sender != 'unverified' AND"
          "  (p.notification_id IN (SELECT x.id FROM notifications x WHERE"
          "   x.incident_id = n.incident_id AND x.party_email = n.party_email)"
          "   OR (p.notification_id IS NULL AND p.incident_id ="
          "   n.incident_id)))"
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
    rc = insert_notice(db, due[i].inc.id, &due[i].inc.party, msgid, 2,
                       "reminder", now_ns, &inserted);
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
  uint64_t since_ns; /* queued, or brought back: max_age counts from here */
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
  /* the party the row was queued for (the incident's may change later) */
  sqlite3_stmt *q = prep(db, "SELECT party_name, party_kind, party_format,"
                             " party_deadline_hours FROM notifications"
                             " WHERE id = ?1");
  char pname[WD_NAME_MAX] = "", pkind[32] = "", pfmt[16] = "";
  uint32_t deadline = 0;
  if (q) {
    sqlite3_bind_int64(q, 1, r->id);
    if (sqlite3_step(q) == SQLITE_ROW) {
      snprintf(pname, sizeof pname, "%s", ctext(q, 0));
      snprintf(pkind, sizeof pkind, "%s", ctext(q, 1));
      snprintf(pfmt, sizeof pfmt, "%s", ctext(q, 2));
      deadline = (uint32_t)sqlite3_column_int64(q, 3);
    }
    sqlite3_finalize(q);
  }
  /* what this party may see: the directory's entry (its own facilities,
     its evidence policy) and the configuration (what is internal) */
  const wd_party_t *dp = wd_directory_find(snd->dir, pname, r->party_email);
  wd_outbox_privacy_t pv;
  rc = wd_outbox_privacy_init(&pv, snd, dp, pkind);
  if (rc != WD_OK) {
    wd_store_incident_fini(&inc);
    free(b);
    return rc;
  }
  wd_notice_incident_t n;
  wd_outbox_notice_of(&inc, snd, pname, &pv.v, &n, b);
  n.party.deadline_hours = deadline;
  n.party.name = pname;
  n.party.kind = pkind;
  n.party.format = pfmt;
  n.party.email = r->party_email;
  n.party.evidence = dp ? dp->evidence : NULL;
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
  wd_outbox_privacy_fini(&pv);
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

/* A failed attempt: back to the queue with backoff and its error, or
 * failed when the receiving server refused for good (permanent) or the
 * notification is older than max_age. */
static wd_rc attempt_failed(sqlite3 *db, const wd_outbox_sender_t *snd,
                            const row_t *r, bool permanent, const char *why,
                            uint64_t now_ns, wd_outbox_stats_t *st) {
  uint64_t max_age = snd->max_age_s ? snd->max_age_s : WD_OUTBOX_MAX_AGE_S;
  bool too_old = now_ns >= r->since_ns + max_age * NS;
  if (permanent || too_old) {
    char e[700];
    snprintf(e, sizeof e, "%s%s", why,
             permanent ? "" : " (given up: notify.max_age reached)");
    st->failed++;
    wd_log(WD_LOG_ERROR, "notify",
           "%s: giving up on %s: %s; `ward notify --requeue %s` brings it back",
           r->incident_id, r->party_email, e, r->incident_id);
    return exec_bind(db,
                     "UPDATE notifications SET state = 'failed',"
                     " last_error = ?2, last_attempt_ns = ?3 WHERE id = ?1",
                     r->id, e, (int64_t)now_ns, 0);
  }
  uint64_t wait = wd_outbox_backoff_s(r->attempts + 1);
  st->retried++;
  wd_log(WD_LOG_WARN, "notify", "%s: %s; retry in %" PRIu64 " s",
         r->incident_id, why, wait);
  return exec_bind(db,
                   "UPDATE notifications SET state = 'queued', next_ns = ?4,"
                   " last_error = ?2, last_attempt_ns = ?3 WHERE id = ?1",
                   r->id, why, (int64_t)now_ns, (int64_t)(now_ns + wait * NS));
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
    if (rc != WD_OK) { /* our fault, not the party's: retried */
      char e[600];
      snprintf(e, sizeof e, "cannot compose: %s", why);
      if (exec_bind(db,
                    "UPDATE notifications SET attempts = attempts + 1"
                    " WHERE id = ?1",
                    r->id, NULL, 0, 0) != WD_OK ||
          attempt_failed(db, snd, r, false, e, now_ns, st) != WD_OK)
        return fail_db(db, err, errlen, "recording a result");
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
  } else {
    /* only the receiving server's permanent refusal is final (5xx to the
       recipient or the message, WD_ERR_REFUSED); anything else is retried */
    w = attempt_failed(db, snd, r, rc == WD_ERR_REFUSED, why, now_ns, st);
  }
  return w == WD_OK ? WD_OK : fail_db(db, err, errlen, "recording a result");
}

wd_rc wd_outbox_run(wd_store_t *s, const wd_outbox_sender_t *snd,
                    const wd_transport_t *t, uint64_t now_ns, bool retry_now,
                    wd_outbox_stats_t *st, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q =
      prep(db, "SELECT id, incident_id, party_email, seq, message_id, attempts,"
               " message IS NOT NULL, next_ns <= ?1 OR ?2,"
               " MAX(created_ns, requeued_ns) FROM notifications"
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
    r->since_ns = (uint64_t)sqlite3_column_int64(q, 8);
  }
  sqlite3_finalize(q);
  for (size_t i = 0; i < n && rc == WD_OK; i++)
    rc = send_one(s, snd, t, &rows[i], now_ns, st, err, errlen);
  free(rows);
  return rc;
}

wd_rc wd_outbox_requeue(wd_store_t *s, const char *ref, uint64_t now_ns,
                        wd_outbox_stats_t *st, char *err, size_t errlen) {
  sqlite3 *db = wd_store_db(s);
  sqlite3_stmt *q = prep(
      db, "UPDATE notifications SET state = 'queued', next_ns = ?2,"
          " requeued_ns = ?2, attempts = 0 WHERE state = 'failed' AND"
          " (incident_id = ?1 OR message_id = ?1 OR CAST(id AS TEXT) = ?1)");
  if (!q)
    return fail_db(db, err, errlen, "requeueing");
  sqlite3_bind_text(q, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_int64(q, 2, (sqlite3_int64)now_ns);
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE)
    return fail_db(db, err, errlen, "requeueing");
  int n = sqlite3_changes(db);
  if (n == 0) {
    long long any = 0;
    q = prep(db, "SELECT count(*) FROM notifications WHERE incident_id = ?1"
                 " OR message_id = ?1 OR CAST(id AS TEXT) = ?1");
    if (q) {
      sqlite3_bind_text(q, 1, ref, -1, SQLITE_STATIC);
      if (sqlite3_step(q) == SQLITE_ROW)
        any = sqlite3_column_int64(q, 0);
      sqlite3_finalize(q);
    }
    snprintf(err, errlen,
             any ? "%s: no failed notification (see --status)"
                 : "%s: no notification with this incident, number or "
                   "Message-ID",
             ref);
    return WD_ERR_NOTFOUND;
  }
  st->requeued += (uint64_t)n;
  return WD_OK;
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
