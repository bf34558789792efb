/* outbox.c -- durable notification outbox (see outbox.h).
 * In: the store's named notification functions (src/store: no SQL here,
 * whatever the engine). Memory: a stored incident (wd_store_incident_get)
 * and one composed message live for the handling of one notification;
 * lists of notifications are malloc'ed per call and freed before return.
 * Concurrency: each incident is queued in one transaction, run again when
 * it loses a race with another writer (wd_store_retry). */
#include "notify/outbox.h"

#include <inttypes.h>
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

/* Whether any of the strings names what this party may not see. */
static bool intel_leaks(const wd_notice_incident_t *n, const char *const *s,
                        size_t ns) {
  char what[64];
  for (size_t i = 0; i < ns; i++)
    if (s[i] && wd_notice_leaks(n, s[i], strlen(s[i]), what, sizeof what))
      return true;
  return false;
}

/* The indicators of the incident's intel.match attacks, one entry per
 * feed and indicator (times and counts over its attacks). An indicator
 * naming an internal address or a facility the party may not see is left
 * out and counted; a STIX feed's own pattern that does is not used (the
 * documents then build one from the value). */
static void intel_of(const wd_store_incident_t *inc, wd_notice_incident_t *n,
                     wd_outbox_notice_buf_t *b) {
  size_t ni = 0;
  for (size_t i = 0; i < inc->n_attacks; i++) {
    const wd_store_intel_t *s = &inc->attacks[i].intel;
    if (!s->value[0])
      continue;
    const char *strs[] = {s->value, s->feed, s->ref};
    if (intel_leaks(n, strs, 3)) {
      n->n_intel_withheld++;
      continue;
    }
    wd_notice_intel_t *e = NULL;
    for (size_t k = 0; k < ni && !e; k++)
      if (!strcmp(b->intel[k].value, s->value) &&
          !strcmp(b->intel[k].type, s->type) &&
          !strcmp(b->intel[k].feed, s->feed))
        e = &b->intel[k];
    if (!e) {
      if (ni == WD_NOTICE_INTEL_MAX) {
        n->n_intel_withheld++;
        continue;
      }
      e = &b->intel[ni++];
      memset(e, 0, sizeof *e);
      e->value = s->value;
      e->type = s->type;
      e->feed = s->feed;
      e->ref = s->ref;
      e->field = s->field;
      e->first_ns = inc->attacks[i].start_ns;
    }
    const char *stix = s->stix;
    if (stix[0] && !e->stix && !intel_leaks(n, &stix, 1))
      e->stix = stix;
    if (inc->attacks[i].start_ns < e->first_ns)
      e->first_ns = inc->attacks[i].start_ns;
    if (inc->attacks[i].last_ns > e->last_ns)
      e->last_ns = inc->attacks[i].last_ns;
    e->count += inc->attacks[i].reports ? inc->attacks[i].reports : 1;
  }
  n->intel = b->intel;
  n->n_intel = ni;
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
  intel_of(inc, n, b);
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

/* --- store errors -------------------------------------------------- */

static wd_rc fail_db(wd_store_t *s, char *err, size_t errlen,
                     const char *what) {
  snprintf(err, errlen, "%s: %s", what, wd_store_errmsg(s));
  return WD_ERR_IO;
}

/* --- queueing ------------------------------------------------------------ */

/* Notification seq (kind) of incident_id to party p, due at now_ns. */
static wd_rc add_notice(wd_store_t *s, const char *incident_id,
                        const wd_store_party_t *p, const char *msgid, int seq,
                        const char *kind, uint64_t now_ns, bool *inserted) {
  wd_store_notice_t n;
  memset(&n, 0, sizeof n);
  snprintf(n.incident_id, sizeof n.incident_id, "%s", incident_id);
  snprintf(n.party_name, sizeof n.party_name, "%s", p->name);
  snprintf(n.party_kind, sizeof n.party_kind, "%s", p->kind);
  snprintf(n.party_email, sizeof n.party_email, "%s", p->email);
  snprintf(n.party_format, sizeof n.party_format, "%s", p->format);
  n.deadline_hours = p->deadline_hours;
  n.seq = seq;
  snprintf(n.kind, sizeof n.kind, "%s", kind);
  snprintf(n.message_id, sizeof n.message_id, "%s", msgid);
  n.created_ns = now_ns;
  return wd_store_notice_add(s, &n, inserted);
}

/* o: the directory's entry p, matched by matched_by. */
static void party_of_entry(wd_store_party_t *o, const wd_party_t *p,
                           const char *matched_by) {
  char why[sizeof o->matched_by];
  snprintf(why, sizeof why, "%s", matched_by);
  memset(o, 0, sizeof *o);
  o->set = true;
  snprintf(o->name, sizeof o->name, "%s", p->name);
  snprintf(o->kind, sizeof o->kind, "%s", p->kind);
  snprintf(o->email, sizeof o->email, "%s", p->email);
  snprintf(o->format, sizeof o->format, "%s", p->format ? p->format : "text");
  snprintf(o->language, sizeof o->language, "%s",
           p->language ? p->language : "en");
  o->deadline_hours = p->deadline_hours;
  if (p->pgp_fingerprint)
    snprintf(o->pgp_fingerprint, sizeof o->pgp_fingerprint, "%s",
             p->pgp_fingerprint);
  snprintf(o->matched_by, sizeof o->matched_by, "%s", why);
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
    party_of_entry(&out[n++], p, a->matched_by);
  }
  if (n)
    return n;
  if (!inc->party.set || !cap)
    return 0;
  /* the incident's party as the directory has it now: a contact changed
     since the incident was attributed (ward parties, the API) is the one
     told */
  const wd_party_t *p = wd_directory_find(snd->dir, inc->party.name, NULL);
  if (p && wd_notice_email_ok(p->email))
    party_of_entry(&out[0], p, inc->party.matched_by);
  else if (wd_notice_email_ok(inc->party.email))
    out[0] = inc->party;
  else
    return 0;
  return 1;
}

/* One incident's first notifications and its move to notified, in one
 * transaction. *inserted_n: notifications added; *no_party: none had a
 * usable address (nothing changed). */
static wd_rc queue_one(wd_store_t *s, const wd_outbox_sender_t *snd,
                       const char *id, uint64_t now_ns,
                       wd_store_party_t *parties, size_t *inserted_n,
                       bool *no_party, char *err, size_t errlen) {
  *inserted_n = 0;
  *no_party = false;
  wd_rc rc = wd_store_begin(s);
  if (rc != WD_OK) {
    fail_db(s, err, errlen, "queueing a notification");
    return rc;
  }
  wd_store_incident_t inc;
  rc = wd_store_incident_get(s, id, &inc);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s: %s", id, wd_store_errmsg(s));
    wd_store_rollback(s);
    return rc;
  }
  size_t np = parties_of(&inc, snd, parties, WD_OUTBOX_PARTIES_MAX);
  size_t usable = 0;
  for (size_t k = 0; k < np && rc == WD_OK; k++) {
    char msgid[WD_COMPOSE_MSGID_MAX];
    bool inserted = false;
    if (wd_compose_message_id(inc.id, parties[k].email, 1, snd->email, msgid) !=
        WD_OK)
      continue;
    usable++;
    rc = add_notice(s, inc.id, &parties[k], msgid, 1, "initial", now_ns,
                    &inserted);
    *inserted_n += inserted;
  }
  if (rc == WD_OK && !usable) {
    *no_party = true;
    wd_log(WD_LOG_WARN, "notify",
           "%s: no party with a usable address "
           "(%s); not notified",
           inc.id, inc.party.matched_by[0] ? inc.party.matched_by : "none");
    wd_store_incident_fini(&inc);
    wd_store_rollback(s);
    return WD_OK;
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
    fail_db(s, err, errlen, "queueing a notification");
  return rc;
}

wd_rc wd_outbox_queue(wd_store_t *s, const wd_outbox_sender_t *snd,
                      const char *incident_id, uint64_t now_ns,
                      wd_outbox_stats_t *st, char *err, size_t errlen) {
  char(*ids)[WD_STORE_ID_LEN] = NULL;
  size_t n = 0;
  /* one incident (whatever its status), or every new one, oldest first */
  wd_store_filter_t f = {.id = incident_id,
                         .status = incident_id ? NULL : "new",
                         .oldest_first = true,
                         .limit = WD_OUTBOX_BATCH_MAX};
  wd_rc rc = wd_store_incident_ids(s, &f, &ids, &n);
  if (rc != WD_OK)
    return fail_db(s, err, errlen, "listing incidents");
  wd_store_party_t *parties = calloc(WD_OUTBOX_PARTIES_MAX, sizeof *parties);
  if (!parties) {
    free(ids);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < n && rc == WD_OK; i++) {
    size_t inserted_n = 0;
    bool no_party = false;
    unsigned tries = 0;
    do
      rc = queue_one(s, snd, ids[i], now_ns, parties, &inserted_n, &no_party,
                     err, errlen);
    while (wd_store_retry(s, rc, &tries));
    if (rc == WD_OK) {
      st->queued += inserted_n;
      st->no_party += no_party;
    }
  }
  free(parties);
  free(ids);
  return rc;
}

wd_rc wd_outbox_reminders(wd_store_t *s, const wd_outbox_sender_t *snd,
                          uint64_t now_ns, wd_outbox_stats_t *st, char *err,
                          size_t errlen) {
  wd_store_notice_t *due = NULL;
  size_t n = 0;
  wd_rc rc = wd_store_notice_overdue(s, now_ns, WD_OUTBOX_BATCH_MAX, &due, &n);
  if (rc != WD_OK)
    return fail_db(s, err, errlen, "listing overdue notifications");
  for (size_t i = 0; i < n && rc == WD_OK; i++) {
    char msgid[WD_COMPOSE_MSGID_MAX];
    wd_store_party_t p;
    memset(&p, 0, sizeof p);
    p.set = true;
    snprintf(p.name, sizeof p.name, "%s", due[i].party_name);
    snprintf(p.kind, sizeof p.kind, "%s", due[i].party_kind);
    snprintf(p.email, sizeof p.email, "%s", due[i].party_email);
    snprintf(p.format, sizeof p.format, "%s", due[i].party_format);
    p.deadline_hours = due[i].deadline_hours;
    if (wd_compose_message_id(due[i].incident_id, p.email, 2, snd->email,
                              msgid) != WD_OK)
      continue;
    bool inserted = false;
    unsigned tries = 0;
    do {
      inserted = false;
      rc = wd_store_begin(s);
      if (rc == WD_OK)
        rc = add_notice(s, due[i].incident_id, &p, msgid, 2, "reminder", now_ns,
                        &inserted);
      rc = rc == WD_OK ? wd_store_commit(s) : (wd_store_rollback(s), rc);
    } while (wd_store_retry(s, rc, &tries));
    if (rc == WD_OK && inserted)
      st->reminders++;
  }
  free(due);
  if (rc != WD_OK)
    fail_db(s, err, errlen, "queueing a reminder");
  return rc;
}

/* --- sending -------------------------------------------------------------- */

/* Composes r's message and stores it (once: a message already stored
 * is never replaced, so every retry sends the same bytes). */
static wd_rc compose_and_store(wd_store_t *s, const wd_outbox_sender_t *snd,
                               const wd_store_notice_t *r, uint64_t now_ns,
                               char *err, size_t errlen) {
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
  /* the party the row was queued for (the incident's may change later);
     what this party may see: the directory's entry (its own facilities,
     its evidence policy) and the configuration (what is internal) */
  const wd_party_t *dp =
      wd_directory_find(snd->dir, r->party_name, r->party_email);
  wd_outbox_privacy_t pv;
  rc = wd_outbox_privacy_init(&pv, snd, dp, r->party_kind);
  if (rc != WD_OK) {
    wd_store_incident_fini(&inc);
    free(b);
    return rc;
  }
  wd_notice_incident_t n;
  wd_outbox_notice_of(&inc, snd, r->party_name, &pv.v, &n, b);
  n.party.deadline_hours = r->deadline_hours;
  n.party.name = r->party_name;
  n.party.kind = r->party_kind;
  n.party.format = r->party_format;
  n.party.email = r->party_email;
  n.party.evidence = dp ? dp->evidence : NULL;
  snprintf(b->msgid, sizeof b->msgid, "%s", r->message_id);
  n.message_id = b->msgid;
  n.report_ns = now_ns;
  wd_store_notice_t first;
  if (r->seq > 1 && wd_store_notice_first(s, r->incident_id, r->party_email,
                                          &first) == WD_OK) {
    snprintf(b->first_msgid, sizeof b->first_msgid, "%s", first.message_id);
    n.first_sent_ns = first.sent_ns;
    n.reminder = true;
    n.first_message_id = b->first_msgid;
  }
  wd_composed_t c;
  rc = wd_compose(&n, &snd->compose, &c, err, errlen);
  wd_store_incident_fini(&inc);
  wd_outbox_privacy_fini(&pv);
  free(b);
  if (rc != WD_OK)
    return rc;
  rc = wd_store_notice_set_message(s, r->id, c.msg, c.len, c.subject,
                                   c.pcap_attached);
  wd_composed_fini(&c);
  return rc == WD_OK ? WD_OK : fail_db(s, err, errlen, "storing");
}

/* Records the delivery the moment the server accepted the DATA. */
typedef struct accept_ctx {
  wd_store_t *s;
  int64_t id;
  uint64_t now_ns;
  bool recorded;
} accept_ctx_t;

static void on_accepted(void *user) {
  accept_ctx_t *a = user;
  a->recorded = wd_store_notice_sent(a->s, a->id, "smtp", a->now_ns) == WD_OK;
}

/* A failed attempt: back to the queue with backoff and its error, or
 * failed when the receiving server refused for good (permanent) or the
 * notification is older than max_age. */
static wd_rc attempt_failed(wd_store_t *s, const wd_outbox_sender_t *snd,
                            const wd_store_notice_t *r, bool permanent,
                            const char *why, uint64_t now_ns,
                            wd_outbox_stats_t *st) {
  uint64_t max_age = snd->max_age_s ? snd->max_age_s : WD_OUTBOX_MAX_AGE_S;
  /* queued, or brought back: max_age counts from here */
  uint64_t since =
      r->requeued_ns > r->created_ns ? r->requeued_ns : r->created_ns;
  bool too_old = now_ns >= since + max_age * NS;
  if (permanent || too_old) {
    char e[700];
    snprintf(e, sizeof e, "%s%s", why,
             permanent ? "" : " (given up: notify.max_age reached)");
    st->failed++;
    wd_log(WD_LOG_ERROR, "notify",
           "%s: giving up on %s: %s; `ward notify --requeue %s` brings it back",
           r->incident_id, r->party_email, e, r->incident_id);
    return wd_store_notice_fail(s, r->id, e, now_ns);
  }
  uint64_t wait = wd_outbox_backoff_s(r->attempts + 1);
  st->retried++;
  wd_log(WD_LOG_WARN, "notify", "%s: %s; retry in %" PRIu64 " s",
         r->incident_id, why, wait);
  return wd_store_notice_retry(s, r->id, why, now_ns, now_ns + wait * NS);
}

static wd_rc send_one(wd_store_t *s, const wd_outbox_sender_t *snd,
                      const wd_transport_t *t, const wd_store_notice_t *r,
                      uint64_t now_ns, wd_outbox_stats_t *st, char *err,
                      size_t errlen) {
  char why[512] = "";
  wd_rc rc;
  if (!r->has_message) {
    rc = compose_and_store(s, snd, r, now_ns, why, sizeof why);
    if (rc == WD_ERR_IO)
      return fail_db(s, err, errlen, "composing");
    if (rc != WD_OK) { /* our fault, not the party's: retried */
      char e[600];
      snprintf(e, sizeof e, "cannot compose: %s", why);
      if (wd_store_notice_count_attempt(s, r->id) != WD_OK ||
          attempt_failed(s, snd, r, false, e, now_ns, st) != WD_OK)
        return fail_db(s, err, errlen, "recording a result");
      return WD_OK;
    }
  }
  /* 1. the attempt is durable before any byte leaves */
  if (wd_store_notice_sending(s, r->id, now_ns) != WD_OK)
    return fail_db(s, err, errlen, "recording an attempt");
  uint8_t *msg = NULL;
  size_t len = 0;
  if (wd_store_notice_message(s, r->id, &msg, &len) != WD_OK)
    return fail_db(s, err, errlen, "reading a message");
  /* 2. send the stored bytes; over SMTP the delivery is recorded from
   * inside the dialogue, right when the server accepts the DATA */
  accept_ctx_t acc = {s, r->id, now_ns, false};
  wd_transport_t tt = *t;
  tt.smtp.accepted = on_accepted;
  tt.smtp.accepted_user = &acc;
  t = &tt;
  rc = wd_transport_send(t, snd->email, r->party_email, r->message_id,
                         (const char *)msg, len, why, sizeof why);
  free(msg);
  /* 3. record the outcome */
  wd_rc w;
  if (rc == WD_OK && acc.recorded) {
    w = WD_OK;
    st->sent++;
    wd_log(WD_LOG_INFO, "notify", "%s: sent %s to %s", r->incident_id,
           r->message_id, r->party_email);
  } else if (rc == WD_OK) {
    w = wd_store_notice_sent(s, r->id, t->outbox_dir ? "outbox" : "smtp",
                             now_ns);
    st->sent++;
    wd_log(WD_LOG_INFO, "notify", "%s: sent %s to %s", r->incident_id,
           r->message_id, r->party_email);
  } else {
    /* only the receiving server's permanent refusal is final (5xx to the
       recipient or the message, WD_ERR_REFUSED); anything else is retried */
    w = attempt_failed(s, snd, r, rc == WD_ERR_REFUSED, why, now_ns, st);
  }
  return w == WD_OK ? WD_OK : fail_db(s, err, errlen, "recording a result");
}

wd_rc wd_outbox_run(wd_store_t *s, const wd_outbox_sender_t *snd,
                    const wd_transport_t *t, uint64_t now_ns, bool retry_now,
                    wd_outbox_stats_t *st, char *err, size_t errlen) {
  wd_store_notice_t *rows = NULL;
  size_t n = 0;
  wd_rc rc = wd_store_notice_due(s, now_ns, retry_now, WD_OUTBOX_BATCH_MAX,
                                 &rows, &n, &st->waiting);
  if (rc != WD_OK)
    return fail_db(s, err, errlen, "listing the outbox");
  for (size_t i = 0; i < n && rc == WD_OK; i++)
    rc = send_one(s, snd, t, &rows[i], now_ns, st, err, errlen);
  free(rows);
  return rc;
}

wd_rc wd_outbox_requeue(wd_store_t *s, const char *ref, uint64_t now_ns,
                        wd_outbox_stats_t *st, char *err, size_t errlen) {
  uint64_t n = 0;
  if (wd_store_notice_requeue(s, ref, now_ns, &n) != WD_OK)
    return fail_db(s, err, errlen, "requeueing");
  if (n == 0) {
    uint64_t any = 0;
    wd_store_notice_count_ref(s, ref, &any);
    snprintf(err, errlen,
             any ? "%s: no failed notification (see --status)"
                 : "%s: no notification with this incident, number or "
                   "Message-ID",
             ref);
    return WD_ERR_NOTFOUND;
  }
  st->requeued += n;
  return WD_OK;
}

wd_rc wd_outbox_status(wd_store_t *s, FILE *out, size_t limit) {
  wd_store_notice_t *v = NULL;
  size_t n = 0;
  if (wd_store_notice_list(s, limit, &v, &n) != WD_OK)
    return WD_ERR_IO;
  fprintf(out, "%-5s %-17s %-20s %-8s %-7s %4s %-23s %-23s %s\n", "ID",
          "INCIDENT", "PARTY", "KIND", "STATE", "TRY", "NEXT (UTC)",
          "SENT (UTC)", "LAST ERROR");
  for (size_t i = 0; i < n; i++) {
    const wd_store_notice_t *r = &v[i];
    char nx[32], se[32], party[WD_NOTICE_STR_MAX], e[WD_NOTICE_STR_MAX];
    if (!strcmp(r->state, "queued") || !strcmp(r->state, "sending"))
      wd_notice_time_human(r->next_ns, nx, sizeof nx);
    else
      snprintf(nx, sizeof nx, "-");
    if (r->sent_ns)
      wd_notice_time_human(r->sent_ns, se, sizeof se);
    else
      snprintf(se, sizeof se, "-");
    fprintf(out, "%-5lld %-17s %-20.20s %-8s %-7s %4u %-23s %-23s %s\n",
            (long long)r->id, r->incident_id,
            wd_notice_cleans(r->party_name, party, WD_CLEAN_ONELINE, ""),
            r->seq > 1 ? "reminder" : "initial", r->state, r->attempts, nx, se,
            wd_notice_cleans(r->last_error, e, WD_CLEAN_ONELINE, ""));
  }
  free(v);
  return WD_OK;
}
