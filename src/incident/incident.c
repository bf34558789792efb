/* incident.c -- alert correlation into incidents, attribution, parties,
 * and the batch writes to the store.
 * In: alerts (borrowed for the call), packets (handed to the evidence
 * recorder), the traffic clock. Out: rows in the store, incident events.
 * Memory: each open incident is one allocation with lists grown up to
 * their caps (alert rate, never per packet); at most WD_INCIDENTS_OPEN_MAX
 * are open. Correlation (docs/incidents.md):
 *   line      detectors                     key
 *   ddos      ddos.*                        target address (+ facility)
 *   worm      worm.smb-fanout from inside,  facility of the source
 *             smb.* inside -> inside
 *   intrusion everything else (scan, smb.*) attacker address + target
 *                                           facility
 * Alerts with the same key within incidents.quiet_window of the
 * incident's last alert join it; its class/type is the most serious stage
 * reached. Ids and merges with earlier runs are decided at flush time in
 * the database (natural key: corr_key + time window), so a second run over
 * the same traffic updates the same incidents. */
#include "incident/incident.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timefmt.h"
#include "detect/detector.h"
#include "enrich/directory.h"
#include "enrich/geo.h"
#include "incident/evidence.h"

#define NS 1000000000ull

typedef struct oinc {
  wd_store_incident_t rec; /* lists below are rec's arrays */
  wd_addr_t *attacker_addr;
  const wd_party_t **attacker_party;
  wd_addr_t *target_addr;
  wd_addr_t *host_addr;
  uint64_t *attack_id; /* parallel to rec.attacks */
  size_t cap_attackers, cap_targets, cap_hosts, cap_attacks, cap_sensors;
  const wd_facility_t *fac; /* facility the key names (may be NULL) */
  bool spreading; /* a worm-line detector (self-spreading code) reported */
  bool amplification;
  bool src_inside;   /* the key's attacker is an internal host */
  char protocol[32]; /* reflected protocol, from metrics */
  uint8_t det_sev;   /* highest detector severity seen (1 best) */
  int ev_slot;       /* evidence slot, -1 none */
  bool dirty;
  bool id_new; /* id allocated in the running transaction */
  bool emitted_open;
  bool merged;
  size_t n_based; /* counts_add: attacks [0, n_based) have the stored
                     alert counts added (rows are only appended) */
} oinc_t;

struct wd_incidents {
  const wd_config_t *cfg;
  wd_store_t *store;
  wd_geo_t *geo;
  wd_directory_t *dir;
  wd_evidence_t *ev;
  wd_incident_event_fn event;
  void *user;
  oinc_t *open[WD_INCIDENTS_OPEN_MAX];
  size_t n_open;
  uint64_t quiet_ns;
  char sensor[WD_STORE_SENSOR_LEN]; /* this host's name: alerts' default */
  wd_incidents_stats_t st;
  wd_rc last_err;
  const wd_incidents_txn_hook_t *hook; /* the caller's work, or NULL */
  bool counts_add; /* alerts are never given twice: see incident.h */
};

/* ---- classification ---- */

const char *wd_incident_line(const char *det, bool src_inside,
                             bool dst_inside) {
  return wd_detector_line(wd_detector_find(det), src_inside, dst_inside);
}

/* The sources the detector names are reflectors, not the attacker. */
static bool reflected(const wd_detector_t *d) {
  return d && (d->flags & WD_DETECTOR_REFLECTED);
}

int wd_incident_class_rank(const char *cls, const char *type) {
  static const struct {
    const char *name;
    int rank;
  } types[] =
      {
          {"scanning", 10},
          {"sniffing", 10},
          {"social-engineering", 10},
          {"brute-force", 20},
          {"exploit", 20},
          {"ids-alert", 20},
          {"login-attempts", 20},
          {"unknown", 15},
          {"ddos", 25},
          {"dos", 25},
          {"outage", 25},
          {"sabotage", 25},
          {"application-compromise", 30},
          {"system-compromise", 30},
          {"privileged-account-compromise", 32},
          {"burglary", 30},
          {"infected-system", 35},
          {"c2-server", 35},
          {"c2", 36},                /* a compromised host's callback */
          {"data-exfiltration", 37}, /* the last stage of an intrusion */
          {"malware-distribution", 38},
          {"worm", 40},
      },
    classes[] = {
        {"information-gathering", 10},
        {"intrusion-attempts", 20},
        {"availability", 25},
        {"intrusions", 30},
        {"information-content-security", 37},
        {"malicious-code", 40},
    };
  for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(type, types[i].name) == 0)
      return types[i].rank;
  for (size_t i = 0; cls && i < sizeof classes / sizeof classes[0]; i++)
    if (strcmp(cls, classes[i].name) == 0)
      return classes[i].rank;
  return 5;
}

/* ---- helpers ---- */

static const wd_facility_t *facility_of(const wd_config_t *cfg,
                                        const wd_addr_t *a) {
  if (cfg->index)
    return wd_config_facility_of(cfg, a);
  /* hand-built configurations (tests): longest prefix, linear */
  const wd_facility_t *best = NULL;
  int best_len = -1;
  for (size_t i = 0; i < cfg->n_facilities; i++)
    for (size_t j = 0; j < cfg->facilities[i].n_networks; j++) {
      const wd_cidr_t *c = &cfg->facilities[i].networks[j];
      if ((int)c->len > best_len && wd_cidr_contains(c, a)) {
        best = &cfg->facilities[i];
        best_len = c->len;
      }
    }
  return best;
}

static bool inside(const wd_config_t *cfg, const wd_addr_t *a) {
  return facility_of(cfg, a) != NULL || wd_config_is_protected(cfg, a);
}

static bool addr_zero(const wd_addr_t *a) {
  static const wd_addr_t z;
  return memcmp(a, &z, sizeof z) == 0;
}

static void copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

static const wd_alert_metric_t *metric(const wd_alert_t *a, const char *name) {
  for (unsigned i = 0; i < a->n_metrics && i < WD_ALERT_METRICS_MAX; i++)
    if (a->metrics[i].name && strcmp(a->metrics[i].name, name) == 0)
      return &a->metrics[i];
  return NULL;
}

static uint64_t metric_u64(const wd_alert_t *a, const char *name) {
  const wd_alert_metric_t *m = metric(a, name);
  if (!m)
    return 0;
  if (m->type == WD_METRIC_U64)
    return m->v.u;
  if (m->type == WD_METRIC_F64 && m->v.d > 0 && m->v.d < 1.8e19)
    return (uint64_t)m->v.d;
  return 0;
}

static bool metric_bool(const wd_alert_t *a, const char *name) {
  const wd_alert_metric_t *m = metric(a, name);
  return m &&
         ((m->type == WD_METRIC_BOOL && m->v.b) ||
          (m->type == WD_METRIC_U64 && m->v.u) ||
          (m->type == WD_METRIC_STR && m->v.s && strcmp(m->v.s, "true") == 0));
}

static const char *metric_str(const wd_alert_t *a, const char *name);

/* The indicator an intel.match alert names (metrics indicator,
 * indicator_type, feed, indicator_ref, field, indicator_stix), into the
 * attack's row; an alert naming none changes nothing. */
static void intel_of(const wd_alert_t *a, wd_store_intel_t *in) {
  const char *v = metric_str(a, "indicator");
  if (!v || !v[0])
    return;
  static const struct {
    const char *metric;
    size_t off, len;
  } f[] = {
#define F(m, x)                                                                \
  {m, offsetof(wd_store_intel_t, x), sizeof((wd_store_intel_t *)0)->x}
      F("indicator", value), F("indicator_type", type),
      F("feed", feed),       F("indicator_ref", ref),
      F("field", field),     F("indicator_stix", stix),
#undef F
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    const char *s = metric_str(a, f[i].metric);
    /* a copy cut short is no STIX object: none rather than a broken one */
    if (s && f[i].off == offsetof(wd_store_intel_t, stix) &&
        strlen(s) >= f[i].len)
      s = NULL;
    snprintf((char *)in + f[i].off, f[i].len, "%s", s ? s : "");
  }
}

static const char *metric_str(const wd_alert_t *a, const char *name) {
  const wd_alert_metric_t *m = metric(a, name);
  return m && m->type == WD_METRIC_STR ? m->v.s : NULL;
}

/* Grows a list (elem bytes) to hold one more, up to max; false at the cap
 * or without memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max) {
  if (n < *cap)
    return true;
  if (n >= max)
    return false;
  size_t nc = *cap ? *cap * 2 : 4;
  if (nc > max)
    nc = max;
  void *na = realloc(*arr, nc * elem);
  if (!na)
    return false;
  *arr = na;
  *cap = nc;
  return true;
}

static void oinc_free(oinc_t *o) {
  if (!o)
    return;
  free(o->rec.attackers);
  free(o->rec.targets);
  free(o->rec.hosts);
  free(o->rec.attacks);
  free(o->rec.sensors);
  free(o->attacker_addr);
  free(o->attacker_party);
  free(o->target_addr);
  free(o->host_addr);
  free(o->attack_id);
  free(o);
}

static const char *sector_of(const wd_facility_t *f) {
  return f ? wd_facility_sector(f) : "";
}

/* ---- attribution ---- */

static void fill_party(wd_store_party_t *dst, const wd_party_t *p,
                       const char *matched_by) {
  memset(dst, 0, sizeof *dst);
  copy(dst->matched_by, sizeof dst->matched_by, matched_by);
  if (!p)
    return;
  dst->set = true;
  copy(dst->name, sizeof dst->name, p->name);
  copy(dst->kind, sizeof dst->kind, p->kind);
  copy(dst->email, sizeof dst->email, p->email);
  copy(dst->format, sizeof dst->format, p->format);
  copy(dst->language, sizeof dst->language, p->language);
  copy(dst->pgp_fingerprint, sizeof dst->pgp_fingerprint, p->pgp_fingerprint);
  dst->deadline_hours = p->deadline_hours;
}

/* Index of addr/role among o's attackers, adding it (attributed) when
 * new; -1 at the cap. */
static long add_attacker(wd_incidents_t *x, oinc_t *o, const wd_addr_t *addr,
                         const char *role, bool reliable, const char *reason) {
  for (size_t i = 0; i < o->rec.n_attackers; i++)
    if (wd_addr_eq(&o->attacker_addr[i], addr) &&
        strcmp(o->rec.attackers[i].role, role) == 0) {
      wd_store_attacker_t *a = &o->rec.attackers[i];
      if (a->reliable && !reliable) { /* later evidence of spoofing */
        a->reliable = false;
        copy(a->reason, sizeof a->reason, reason);
      }
      return (long)i;
    }
  size_t n = o->rec.n_attackers, cap = o->cap_attackers;
  void *p1 = o->rec.attackers, *p2 = o->attacker_addr,
       *p3 = (void *)o->attacker_party;
  if (!grow(&p1, &cap, n, sizeof *o->rec.attackers,
            WD_INCIDENT_ATTACKERS_MAX)) {
    x->st.list_full++;
    return -1;
  }
  o->rec.attackers = p1;
  size_t cap2 = o->cap_attackers, cap3 = o->cap_attackers;
  bool ok =
      grow(&p2, &cap2, n, sizeof *o->attacker_addr, WD_INCIDENT_ATTACKERS_MAX);
  if (ok)
    o->attacker_addr = p2;
  ok = ok && grow(&p3, &cap3, n, sizeof *o->attacker_party,
                  WD_INCIDENT_ATTACKERS_MAX);
  if (ok)
    o->attacker_party = p3;
  if (!ok || cap2 != cap || cap3 != cap) {
    x->st.list_full++;
    return -1;
  }
  o->cap_attackers = cap;
  wd_store_attacker_t *a = &o->rec.attackers[n];
  memset(a, 0, sizeof *a);
  o->attacker_addr[n] = *addr;
  wd_addr_str(addr, a->ip);
  copy(a->role, sizeof a->role, role);
  a->reliable = reliable;
  const wd_facility_t *f = facility_of(x->cfg, addr);
  wd_geo_result_t g;
  if (f || wd_config_is_protected(x->cfg, addr)) {
    memset(&g, 0, sizeof g);
    if (reliable)
      snprintf(a->reason, sizeof a->reason, "internal host%s%s",
               f ? " of facility " : "", f ? f->name : "");
    else
      copy(a->reason, sizeof a->reason, reason);
  } else {
    wd_geo_lookup(x->geo, addr, &g);
    copy(a->country, sizeof a->country, g.country);
    a->asn = g.asn;
    copy(a->as_org, sizeof a->as_org, g.as_org);
    if (!g.has_country && !g.has_asn && reliable)
      snprintf(
          a->reason, sizeof a->reason, "%s; country and AS unknown%s", reason,
          x->geo && (wd_geo_has_country_db(x->geo) || wd_geo_has_asn_db(x->geo))
              ? ""
              : " (no attribution database)");
    else
      copy(a->reason, sizeof a->reason, reason);
  }
  char why[160];
  const wd_party_t *p = wd_directory_match(
      x->dir, addr, g.has_country ? g.country : "", g.has_asn ? g.asn : 0,
      f ? f->name : NULL, why, sizeof why);
  o->attacker_party[n] = p;
  copy(a->party, sizeof a->party, p ? p->name : "");
  copy(a->matched_by, sizeof a->matched_by, why);
  o->rec.n_attackers = n + 1;
  return (long)n;
}

/* Chooses the incident's party (see docs/incidents.md). */
static void choose_party(wd_incidents_t *x, oinc_t *o) {
  wd_store_incident_t *r = &o->rec;
  char why[512];
  const wd_party_t *p = NULL;
  if (strcmp(r->line, "worm") == 0 ||
      (strcmp(r->line, "ddos") == 0 && !o->amplification)) {
    /* an outbreak inside a facility, or a flood whose sources prove
       nothing: the facility's own security team */
    const char *fname = o->fac ? o->fac->name : NULL;
    char m[160];
    p = wd_directory_match(x->dir, NULL, NULL, 0, fname, m, sizeof m);
    if (p && strcmp(r->line, "ddos") == 0)
      snprintf(why, sizeof why, "%s (target; sources not attributable)", m);
    else if (p)
      snprintf(why, sizeof why, "%s", m);
    else
      snprintf(why, sizeof why, "no facility-soc entry for %s",
               fname ? fname : "the protected network");
    /* a flood from real (unspoofed) sources: their networks' party */
    if (!p && strcmp(r->line, "ddos") == 0 && !r->spoofed)
      for (size_t i = 0; i < r->n_attackers && !p; i++)
        if ((p = o->attacker_party[i]))
          snprintf(why, sizeof why, "attacker %s: %s", r->attackers[i].ip,
                   r->attackers[i].matched_by);
    fill_party(&r->party, p, why);
    return;
  }
  if (o->amplification) {
    /* the party of most reflectors */
    size_t best_n = 0, best_i = 0;
    for (size_t i = 0; i < r->n_attackers; i++) {
      if (!o->attacker_party[i])
        continue;
      size_t c = 0;
      for (size_t j = 0; j < r->n_attackers; j++)
        c += o->attacker_party[j] == o->attacker_party[i];
      if (c > best_n) {
        best_n = c;
        best_i = i;
      }
    }
    if (best_n) {
      p = o->attacker_party[best_i];
      snprintf(why, sizeof why, "reflectors: %s (%zu of %zu listed)",
               r->attackers[best_i].matched_by, best_n, r->n_attackers);
    } else
      snprintf(why, sizeof why, "no party for any listed reflector");
    fill_party(&r->party, p, why);
    return;
  }
  for (size_t i = 0; i < r->n_attackers; i++)
    if (r->attackers[i].reliable) {
      p = o->attacker_party[i];
      snprintf(why, sizeof why, "%s", r->attackers[i].matched_by);
      fill_party(&r->party, p, why);
      return;
    }
  fill_party(&r->party, NULL,
             r->n_attackers ? "attacker address not attributable"
                            : "no attacker address");
}

/* ---- lists ---- */

static void add_target(wd_incidents_t *x, oinc_t *o, const wd_addr_t *addr) {
  if (addr_zero(addr))
    return;
  for (size_t i = 0; i < o->rec.n_targets; i++)
    if (wd_addr_eq(&o->target_addr[i], addr))
      return;
  size_t n = o->rec.n_targets, cap = o->cap_targets, cap2 = o->cap_targets;
  void *p1 = o->rec.targets, *p2 = o->target_addr;
  bool ok = grow(&p1, &cap, n, sizeof *o->rec.targets, WD_INCIDENT_TARGETS_MAX);
  if (ok)
    o->rec.targets = p1;
  ok = ok &&
       grow(&p2, &cap2, n, sizeof *o->target_addr, WD_INCIDENT_TARGETS_MAX);
  if (ok)
    o->target_addr = p2;
  if (!ok || cap != cap2) {
    x->st.list_full++;
    return;
  }
  o->cap_targets = cap;
  const wd_facility_t *f = facility_of(x->cfg, addr);
  wd_store_target_t *t = &o->rec.targets[n];
  memset(t, 0, sizeof *t);
  o->target_addr[n] = *addr;
  wd_addr_str(addr, t->ip);
  copy(t->facility, sizeof t->facility, f ? f->name : "");
  copy(t->sector, sizeof t->sector, sector_of(f));
  o->rec.n_targets = n + 1;
}

static wd_store_host_t *host(wd_incidents_t *x, oinc_t *o,
                             const wd_addr_t *addr) {
  for (size_t i = 0; i < o->rec.n_hosts; i++)
    if (wd_addr_eq(&o->host_addr[i], addr))
      return &o->rec.hosts[i];
  size_t n = o->rec.n_hosts, cap = o->cap_hosts, cap2 = o->cap_hosts;
  void *p1 = o->rec.hosts, *p2 = o->host_addr;
  bool ok = grow(&p1, &cap, n, sizeof *o->rec.hosts, WD_INCIDENT_HOSTS_MAX);
  if (ok)
    o->rec.hosts = p1;
  ok = ok && grow(&p2, &cap2, n, sizeof *o->host_addr, WD_INCIDENT_HOSTS_MAX);
  if (ok)
    o->host_addr = p2;
  if (!ok || cap != cap2) {
    x->st.list_full++;
    return NULL;
  }
  o->cap_hosts = cap;
  wd_store_host_t *h = &o->rec.hosts[n];
  memset(h, 0, sizeof *h);
  o->host_addr[n] = *addr;
  wd_addr_str(addr, h->ip);
  o->rec.n_hosts = n + 1;
  return h;
}

/* Worm bookkeeping: src began its own activity at t; when dst is given,
 * src reached dst at t (exploit or fan-out connection). */
static void worm_hosts(wd_incidents_t *x, oinc_t *o, const wd_alert_t *a,
                       uint64_t t) {
  if (!a->has_src)
    return;
  wd_store_host_t *s = host(x, o, &a->src);
  if (!s)
    return;
  if (!s->active_ns || t < s->active_ns) {
    s->active_ns = t;
    if (s->infected_ns && s->infected_ns > t) { /* active before "infected" */
      s->infected_ns = 0;
      s->infected_by[0] = 0;
    }
  }
  char src_ip[WD_ADDR_STRLEN];
  copy(src_ip, sizeof src_ip, s->ip); /* s may move when the list grows */
  if (addr_zero(&a->dst) || wd_addr_eq(&a->src, &a->dst) ||
      !inside(x->cfg, &a->dst))
    return;
  wd_store_host_t *d = host(x, o, &a->dst);
  if (!d)
    return;
  if ((!d->infected_ns || t < d->infected_ns) &&
      (!d->active_ns || d->active_ns > t)) {
    d->infected_ns = t;
    copy(d->infected_by, sizeof d->infected_by, src_ip);
  }
}

static long attack_row(wd_incidents_t *x, oinc_t *o, const wd_alert_t *a,
                       uint64_t start) {
  char src[WD_ADDR_STRLEN] = "", dst[WD_ADDR_STRLEN] = "";
  if (a->has_src)
    wd_addr_str(&a->src, src);
  if (!addr_zero(&a->dst))
    wd_addr_str(&a->dst, dst);
  for (size_t i = 0; i < o->rec.n_attacks; i++) {
    wd_store_attack_t *r = &o->rec.attacks[i];
    if (a->attack_id && o->attack_id[i] == a->attack_id &&
        strcmp(r->detector, a->detector) == 0)
      return (long)i;
    if (strcmp(r->detector, a->detector) == 0 && r->start_ns == start &&
        strcmp(r->src, src) == 0 && strcmp(r->dst, dst) == 0)
      return (long)i;
  }
  size_t n = o->rec.n_attacks, cap = o->cap_attacks, cap2 = o->cap_attacks;
  void *p1 = o->rec.attacks, *p2 = o->attack_id;
  /* the last row is kept for "(other)": everything past the cap */
  bool ok = n + 1 < WD_INCIDENT_ATTACKS_MAX &&
            grow(&p1, &cap, n, sizeof *o->rec.attacks, WD_INCIDENT_ATTACKS_MAX);
  if (ok)
    o->rec.attacks = p1;
  ok = ok && grow(&p2, &cap2, n, sizeof *o->attack_id, WD_INCIDENT_ATTACKS_MAX);
  if (ok)
    o->attack_id = p2;
  if (!ok || cap != cap2) {
    x->st.list_full++;
    for (size_t i = 0; i < o->rec.n_attacks; i++)
      if (strcmp(o->rec.attacks[i].detector, "(other)") == 0)
        return (long)i;
    if (o->rec.n_attacks >= o->cap_attacks) {
      /* make room for the "(other)" row itself */
      p1 = o->rec.attacks;
      p2 = o->attack_id;
      cap = cap2 = o->cap_attacks;
      if (!grow(&p1, &cap, n, sizeof *o->rec.attacks, n + 1))
        return -1;
      o->rec.attacks = p1;
      if (!grow(&p2, &cap2, n, sizeof *o->attack_id, n + 1))
        return -1;
      o->attack_id = p2;
      o->cap_attacks = cap < cap2 ? cap : cap2;
      if (n >= o->cap_attacks)
        return -1;
    }
    wd_store_attack_t *r = &o->rec.attacks[n];
    memset(r, 0, sizeof *r);
    copy(r->detector, sizeof r->detector, "(other)");
    copy(r->src, sizeof r->src, "*");
    copy(r->dst, sizeof r->dst, "*");
    copy(r->signature, sizeof r->signature,
         "attacks past the per-incident "
         "cap, counted together");
    o->attack_id[n] = 0;
    o->rec.n_attacks = n + 1;
    return (long)n;
  }
  o->cap_attacks = cap;
  wd_store_attack_t *r = &o->rec.attacks[n];
  memset(r, 0, sizeof *r);
  copy(r->detector, sizeof r->detector, a->detector);
  copy(r->src, sizeof r->src, src);
  copy(r->dst, sizeof r->dst, dst);
  r->start_ns = start;
  o->attack_id[n] = a->attack_id;
  o->rec.n_attacks = n + 1;
  return (long)n;
}

/* Address lists in a string metric: "a.b.c.d[:n], [v6]:n, v6 ...". */
static size_t parse_addrs(const char *s, wd_addr_t *out, size_t max) {
  size_t n = 0;
  while (s && *s && n < max) {
    while (*s == ' ' || *s == ',' || *s == ';' || *s == '\t')
      s++;
    char tok[WD_ADDR_STRLEN + 16];
    size_t len = strcspn(s, " ,;\t");
    if (len == 0)
      break;
    if (len < sizeof tok) {
      memcpy(tok, s, len);
      tok[len] = 0;
      char *t = tok;
      if (*t == '[') {
        t++;
        char *e = strchr(t, ']');
        if (e)
          *e = 0;
      } else if (strchr(t, '.')) {
        char *c = strchr(t, ':');
        if (c)
          *c = 0;
      }
      if (wd_addr_parse(t, &out[n]) == WD_OK)
        n++;
    }
    s += len;
  }
  return n;
}

/* ---- incidents in memory ---- */

static void compute_severity(oinc_t *o) {
  wd_store_incident_t *r = &o->rec;
  int s = o->det_sev ? o->det_sev : 3;
  int bonus = 10;
  if (o->fac) {
    if (o->fac->criticality == WD_CRIT_CRITICAL) {
      s = s > 1 ? s - 1 : 1;
      bonus = 30;
    } else if (o->fac->criticality == WD_CRIT_HIGH)
      bonus = 20;
    if (o->fac->sector == WD_SECTOR_HEALTHCARE)
      bonus += 5;
  }
  r->severity = (uint8_t)s;
  r->priority = (5 - s) * 100 + bonus + r->class_rank;
}

static void make_summary(wd_incidents_t *x, oinc_t *o) {
  wd_store_incident_t *r = &o->rec;
  char when[40], fac[WD_NAME_MAX + 8] = "";
  wd_store_time_str(r->first_ns, when);
  when[19] = 0; /* seconds are enough here */
  if (r->facility[0])
    snprintf(fac, sizeof fac, " (%s)", r->facility);
  if (strcmp(r->line, "worm") == 0) {
    const char *zero = "";
    uint64_t best = 0;
    for (size_t i = 0; i < r->n_hosts; i++)
      if (!r->hosts[i].infected_by[0] && r->hosts[i].active_ns &&
          (!best || r->hosts[i].active_ns < best)) {
        best = r->hosts[i].active_ns;
        zero = r->hosts[i].ip;
      }
    snprintf(r->summary, sizeof r->summary,
             "%s in %s: %zu hosts, started %sZ%s%s",
             o->spreading ? "SMB worm outbreak" : "lateral SMB exploitation",
             r->facility[0] ? r->facility : "the protected network", r->n_hosts,
             when, zero[0] ? " from " : "", zero);
  } else if (strcmp(r->line, "ddos") == 0) {
    const char *tgt = r->n_targets ? r->targets[0].ip : "?";
    if (o->amplification)
      snprintf(r->summary, sizeof r->summary,
               "%s%s amplification attack against %s%s via %llu reflectors",
               o->protocol, o->protocol[0] ? "" : "reflection", tgt, fac,
               (unsigned long long)(r->sources ? r->sources : r->n_attackers));
    else
      snprintf(r->summary, sizeof r->summary, "%s against %s%s%s",
               r->attacks ? r->attacks[0].detector : "flood", tgt, fac,
               r->spoofed ? " from spoofed sources" : "");
  } else {
    const wd_store_attacker_t *a = r->n_attackers ? &r->attackers[0] : NULL;
    char from[200] = "";
    /* "AS209 Example Org", or "AS209" alone when the AS has no name */
    const char *org_sep = a && a->as_org[0] ? " " : "";
    if (a && a->country[0] && a->asn)
      snprintf(from, sizeof from, " from %s (%s, AS%u%s%s)", a->ip, a->country,
               a->asn, org_sep, a->as_org);
    else if (a && a->asn)
      snprintf(from, sizeof from, " from %s (AS%u%s%s)", a->ip, a->asn, org_sep,
               a->as_org);
    else if (a && a->country[0])
      snprintf(from, sizeof from, " from %s (%s)", a->ip, a->country);
    else if (a)
      snprintf(from, sizeof from, " from %s", a->ip);
    const char *tgt = r->n_targets == 1 ? r->targets[0].ip : "";
    char tg[64] = "";
    if (r->n_targets > 1)
      snprintf(tg, sizeof tg, "%zu hosts", r->n_targets);
    snprintf(r->summary, sizeof r->summary, "%s (%s) of %s%s%s", r->rsit_type,
             r->rsit_class, tgt[0] ? tgt : tg, fac, from);
  }
  (void)x;
}

static void attribution_note(oinc_t *o) {
  wd_store_incident_t *r = &o->rec;
  if (o->amplification)
    snprintf(r->attribution, sizeof r->attribution,
             "reflection attack: the listed reflectors are abused third "
             "parties (notify them as reflectors); the attacker's own "
             "address is hidden by spoofing");
  else if (r->spoofed)
    snprintf(r->attribution, sizeof r->attribution,
             "source addresses are spoofed (%llu distinct sources): their "
             "countries and networks say nothing about the attacker",
             (unsigned long long)r->sources);
  else if (strcmp(r->line, "worm") == 0)
    snprintf(r->attribution, sizeof r->attribution,
             "internal hosts spreading the infection");
  else if (strcmp(r->line, "ddos") == 0)
    snprintf(r->attribution, sizeof r->attribution,
             "flood sources as seen; not proven by a completed handshake");
  else
    snprintf(r->attribution, sizeof r->attribution,
             "attacker address from two-way traffic (sessions or answered "
             "probes): not spoofed");
}

static oinc_t *open_new(wd_incidents_t *x, const char *key, const char *line,
                        const wd_facility_t *fac) {
  if (x->n_open == WD_INCIDENTS_OPEN_MAX) {
    /* close the least recently active one early */
    size_t old = 0;
    for (size_t i = 1; i < x->n_open; i++)
      if (x->open[i]->rec.last_ns < x->open[old]->rec.last_ns)
        old = i;
    x->open[old]->rec.active = false;
    x->open[old]->dirty = true;
    x->st.forced_close++;
    wd_incidents_tick(x, UINT64_MAX); /* closes what is marked inactive */
    if (x->n_open == WD_INCIDENTS_OPEN_MAX)
      return NULL;
  }
  oinc_t *o = calloc(1, sizeof *o);
  if (!o)
    return NULL;
  copy(o->rec.corr_key, sizeof o->rec.corr_key, key);
  copy(o->rec.line, sizeof o->rec.line, line);
  copy(o->rec.status, sizeof o->rec.status, "new");
  o->rec.active = true;
  o->fac = fac;
  copy(o->rec.facility, sizeof o->rec.facility, fac ? fac->name : "");
  copy(o->rec.sector, sizeof o->rec.sector, sector_of(fac));
  copy(o->rec.criticality, sizeof o->rec.criticality,
       fac ? wd_criticality_name(fac->criticality) : "");
  o->ev_slot = wd_evidence_slot_open(x->ev);
  x->open[x->n_open++] = o;
  return o;
}

/* Records that sensor saw evidence of o between t and ev. */
static void sighting(wd_incidents_t *x, oinc_t *o, const char *sensor,
                     uint64_t t, uint64_t ev) {
  wd_store_incident_t *r = &o->rec;
  for (size_t i = 0; i < r->n_sensors; i++) {
    wd_store_sensor_t *s = &r->sensors[i];
    if (strcmp(s->name, sensor) == 0) {
      if (t < s->first_ns)
        s->first_ns = t;
      if (ev > s->last_ns)
        s->last_ns = ev;
      return;
    }
  }
  if (!grow((void **)&r->sensors, &o->cap_sensors, r->n_sensors,
            sizeof *r->sensors, WD_INCIDENT_SENSORS_MAX)) {
    x->st.list_full++;
    return;
  }
  wd_store_sensor_t *s = &r->sensors[r->n_sensors++];
  memset(s, 0, sizeof *s);
  copy(s->name, sizeof s->name, sensor);
  s->first_ns = t;
  s->last_ns = ev;
}

/* The open intrusion or worm incident with an attack on host (its target)
 * active around t .. ev, NULL when none. */
static oinc_t *stage_of(wd_incidents_t *x, const wd_addr_t *host, uint64_t t,
                        uint64_t ev) {
  char h[WD_ADDR_STRLEN];
  wd_addr_str(host, h);
  for (size_t i = 0; i < x->n_open; i++) {
    oinc_t *c = x->open[i];
    if (!c->rec.active || strcmp(c->rec.line, "ddos") == 0 ||
        t > c->rec.last_ns + x->quiet_ns || ev + x->quiet_ns < c->rec.first_ns)
      continue;
    for (size_t j = 0; j < c->rec.n_attacks; j++)
      if (strcmp(c->rec.attacks[j].dst, h) == 0)
        return c;
  }
  return NULL;
}

void wd_incidents_alert(wd_incidents_t *x, const wd_alert_t *a) {
  if (!x || !a || !a->detector)
    return;
  x->st.alerts++;
  const wd_config_t *cfg = x->cfg;
  bool src_in = a->has_src && inside(cfg, &a->src);
  bool dst_in = !addr_zero(&a->dst) && inside(cfg, &a->dst);
  const wd_detector_t *det = wd_detector_find(a->detector);
  const char *line = wd_detector_line(det, src_in, dst_in);
  const wd_facility_t *fdst =
      addr_zero(&a->dst) ? NULL : facility_of(cfg, &a->dst);
  const wd_facility_t *fsrc = a->has_src ? facility_of(cfg, &a->src) : NULL;
  const wd_facility_t *fac = fdst;
  char key[WD_STORE_KEY_LEN], s[WD_ADDR_STRLEN] = "*", d[WD_ADDR_STRLEN];
  if (strcmp(line, "worm") == 0) {
    fac = fsrc ? fsrc : fdst;
    snprintf(key, sizeof key, "worm|*|%s|", fac ? fac->name : "");
  } else if (strcmp(line, "ddos") == 0) {
    snprintf(key, sizeof key, "ddos|*|%s|%s", fac ? fac->name : "",
             wd_addr_str(&a->dst, d));
  } else {
    if (a->has_src)
      wd_addr_str(&a->src, s);
    snprintf(key, sizeof key, "intrusion|%s|%s|", s, fac ? fac->name : "");
  }
  /* The attack's evidence spans t .. ev. The report time ts_ns can be
   * much later: an END comes a quiet period after the last evidence, and
   * after a jump of traffic time (a pause in a capture, the next file of
   * the run) at the first packet after the jump. Incidents are built from
   * evidence times only, so that the same traffic gives the same incidents
   * whether it is analyzed in one run or split into several. */
  uint64_t ev = a->last_ns ? a->last_ns : a->ts_ns;
  if (ev > a->ts_ns)
    ev = a->ts_ns;
  uint64_t t = a->start_ns && a->start_ns <= ev ? a->start_ns : ev;
  oinc_t *o = NULL;
  for (size_t i = 0; i < x->n_open && !o; i++) {
    oinc_t *c = x->open[i];
    if (c->rec.active && strcmp(c->rec.corr_key, key) == 0 &&
        t <= c->rec.last_ns + x->quiet_ns &&
        ev + x->quiet_ns >= c->rec.first_ns)
      o = c;
  }
  /* a later stage on a host (its callback, its data leaving) continues
   * the open intrusion of that host, whoever its other end is */
  if (!o && det && (det->flags & WD_DETECTOR_NEXT_STAGE) && !addr_zero(&a->dst))
    o = stage_of(x, &a->dst, t, ev);
  if (!o && !(o = open_new(x, key, line, fac)))
    return;
  sighting(x, o, a->sensor && *a->sensor ? a->sensor : x->sensor, t, ev);
  wd_store_incident_t *r = &o->rec;
  if (!r->first_ns || t < r->first_ns)
    r->first_ns = t;
  if (ev > r->last_ns)
    r->last_ns = ev;
  int rank = wd_incident_class_rank(a->rsit_class, a->rsit_type);
  if (rank >= r->class_rank) {
    r->class_rank = rank;
    copy(r->rsit_class, sizeof r->rsit_class,
         a->rsit_class ? a->rsit_class : "other");
    copy(r->rsit_type, sizeof r->rsit_type,
         a->rsit_type ? a->rsit_type : "unknown");
  }
  if (det && det->line == WD_LINE_WORM)
    o->spreading = true;
  if (strcmp(line, "worm") == 0 && o->spreading && r->class_rank < 40) {
    r->class_rank = 40;
    copy(r->rsit_class, sizeof r->rsit_class, "malicious-code");
    copy(r->rsit_type, sizeof r->rsit_type, "worm");
  }
  uint8_t sev = a->severity >= 1 && a->severity <= 4 ? a->severity : 3;
  if (!o->det_sev || sev < o->det_sev)
    o->det_sev = sev;
  compute_severity(o);

  long ai = attack_row(x, o, a, t);
  if (ai >= 0) {
    wd_store_attack_t *ar = &r->attacks[ai];
    uint64_t v;
    if (ev > ar->last_ns)
      ar->last_ns = ev;
    ar->reports++;
    if ((v = metric_u64(a, "packets")) > ar->packets)
      ar->packets = v;
    if ((v = metric_u64(a, "peak_pps")) > ar->peak_pps)
      ar->peak_pps = v;
    if ((v = metric_u64(a, "peak_bps")) > ar->peak_bps)
      ar->peak_bps = v;
    if (a->state == WD_ALERT_END)
      ar->ended = true;
    if (strcmp(ar->detector, "(other)") != 0) {
      copy(ar->signature, sizeof ar->signature, a->signature);
      const char *tree = metric_str(a, "tree");
      if (tree && tree[0])
        copy(ar->tree, sizeof ar->tree, tree);
      intel_of(a, &ar->intel);
    }
  }
  for (size_t i = 0; i < r->n_attacks; i++) { /* in-memory totals */
    if (i == 0)
      r->alerts = r->packets = r->peak_pps = r->peak_bps = 0;
    r->alerts += r->attacks[i].reports;
    r->packets += r->attacks[i].packets;
    if (r->attacks[i].peak_pps > r->peak_pps)
      r->peak_pps = r->attacks[i].peak_pps;
    if (r->attacks[i].peak_bps > r->peak_bps)
      r->peak_bps = r->attacks[i].peak_bps;
  }

  /* Spoofing is what a detector says, or what a flood from very many
   * unnamed sources implies; a flood from a handful of sources none of
   * which dominates is not evidence of spoofing. */
  bool spoofed = metric_bool(a, "spoofed") ||
                 (!a->has_src && strcmp(line, "ddos") == 0 &&
                  metric_u64(a, "sources") >= WD_INCIDENT_SPOOFED_SOURCES);
  if (spoofed)
    r->spoofed = true;
  uint64_t srcs = metric_u64(a, "sources");
  if (!srcs)
    srcs = metric_u64(a, "distinct_sources");
  if (!srcs)
    srcs = metric_u64(a, "reflectors");
  if (srcs > r->sources)
    r->sources = srcs;
  bool ampl = reflected(det);
  if (ampl) {
    o->amplification = true;
    const char *proto = metric_str(a, "protocol");
    if (proto)
      copy(o->protocol, sizeof o->protocol, proto);
  }
  if (a->has_src) {
    if (ampl)
      add_attacker(x, o, &a->src, "reflector", true,
                   "reflector (amplifier) answering spoofed requests: an "
                   "abused third party");
    else if (spoofed)
      add_attacker(x, o, &a->src, "attacker", false,
                   "source address spoofed: says nothing about the attacker");
    else if (strcmp(line, "ddos") == 0)
      add_attacker(x, o, &a->src, "attacker", true,
                   "flood source as seen, no handshake to prove it");
    else
      add_attacker(x, o, &a->src, "attacker", true,
                   "two-way traffic with the target");
  }
  static const char *const lists[] = {"top_reflectors", "reflectors_top",
                                      "reflectors_sample", "top_sources",
                                      "sources_top"};
  for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
    const char *v = metric_str(a, lists[k]);
    wd_addr_t addrs[WD_INCIDENT_ATTACKERS_MAX];
    size_t n = v ? parse_addrs(v, addrs, WD_INCIDENT_ATTACKERS_MAX) : 0;
    if (n)
      wd_incidents_sources(x, a, addrs, n);
  }
  if (!addr_zero(&a->dst))
    add_target(x, o, &a->dst);
  if (strcmp(line, "worm") == 0)
    worm_hosts(x, o, a, t);
  if (o->ev_slot >= 0) {
    if (a->flow_id)
      wd_evidence_watch_flow(x->ev, o->ev_slot, a->flow_id);
    if (strcmp(line, "ddos") == 0 && !addr_zero(&a->dst))
      wd_evidence_watch_target(x->ev, o->ev_slot, &a->dst);
  }
  if (!o->src_inside && src_in && strcmp(line, "intrusion") == 0)
    o->src_inside = true;
  attribution_note(o);
  choose_party(x, o);
  make_summary(x, o);
  o->dirty = true;
}

void wd_incidents_sources(wd_incidents_t *x, const wd_alert_t *a,
                          const wd_addr_t *srcs, size_t n) {
  if (!x || !a || !srcs)
    return;
  /* the incident the alert just went to: the open one with its attack */
  oinc_t *o = NULL;
  for (size_t i = 0; i < x->n_open && !o; i++)
    for (size_t j = 0; j < x->open[i]->rec.n_attacks && !o; j++)
      if (x->open[i]->attack_id[j] == a->attack_id && a->attack_id &&
          strcmp(x->open[i]->rec.attacks[j].detector, a->detector) == 0)
        o = x->open[i];
  if (!o)
    return;
  bool ampl = reflected(wd_detector_find(a->detector));
  bool spoofed = o->rec.spoofed;
  for (size_t i = 0; i < n && i < WD_INCIDENT_ATTACKERS_MAX; i++) {
    if (addr_zero(&srcs[i]))
      continue;
    if (ampl)
      add_attacker(x, o, &srcs[i], "reflector", true,
                   "reflector (amplifier) answering spoofed requests: an "
                   "abused third party");
    else
      add_attacker(x, o, &srcs[i], "attacker", !spoofed,
                   spoofed ? "source address spoofed: says nothing about "
                             "the attacker"
                           : "flood source as seen, no handshake to prove "
                             "it");
  }
  choose_party(x, o);
  make_summary(x, o);
  o->dirty = true;
}

/* ---- writing ---- */

static int year_of(uint64_t ns) {
  wd_civil_t c;
  wd_time_civil(ns, &c);
  return c.year;
}

static void emit(wd_incidents_t *x, oinc_t *o, const char *what) {
  if (!x->event)
    return;
  wd_store_incident_t view;
  if (o->rec.id[0] &&
      wd_store_incident_get(x->store, o->rec.id, &view) == WD_OK) {
    x->event(x->user, &view, what);
    wd_store_incident_fini(&view);
  } else
    x->event(x->user, &o->rec, what);
}

/* Forgets the ids given in a transaction that did not commit: they are
 * decided again by the next one. */
static void undo_new_ids(wd_incidents_t *x) {
  for (size_t i = 0; i < x->n_open; i++)
    if (x->open[i]->id_new) {
      x->open[i]->id_new = false;
      x->open[i]->rec.id[0] = 0;
    }
}

/* An incident continued from the store whose alerts are all new (the
 * caller never gives an alert twice): the alerts its stored attacks
 * already counted are added to this run's, so that the stored MAX keeps
 * the sum. Once per attack row, when it is first written. */
static void add_stored_reports(wd_incidents_t *x, oinc_t *o) {
  if (!o->merged || o->n_based >= o->rec.n_attacks) {
    o->n_based = o->rec.n_attacks; /* a new incident: nothing stored */
    return;
  }
  wd_store_incident_t cur;
  if (wd_store_incident_get(x->store, o->rec.id, &cur) != WD_OK)
    return;
  for (size_t i = o->n_based; i < o->rec.n_attacks; i++) {
    wd_store_attack_t *a = &o->rec.attacks[i];
    for (size_t j = 0; j < cur.n_attacks; j++) {
      const wd_store_attack_t *b = &cur.attacks[j];
      if (strcmp(a->detector, b->detector) == 0 && a->start_ns == b->start_ns &&
          strcmp(a->src, b->src) == 0 && strcmp(a->dst, b->dst) == 0) {
        a->reports += b->reports;
        break;
      }
    }
  }
  wd_store_incident_fini(&cur);
  o->n_based = o->rec.n_attacks;
}

/* The transaction of a flush: the correlation keys of every dirty
 * incident locked first (on a shared PostgreSQL store another ward
 * correlating the same attack waits here, then finds this incident
 * instead of inserting its own), then each found in the database or
 * numbered, and written. */
static wd_rc flush_txn(wd_incidents_t *x) {
  wd_rc rc = wd_store_begin(x->store);
  if (rc != WD_OK)
    return rc;
  const char *keys[WD_INCIDENTS_OPEN_MAX];
  size_t nk = 0;
  for (size_t i = 0; i < x->n_open; i++)
    if (x->open[i]->dirty)
      keys[nk++] = x->open[i]->rec.corr_key;
  rc = wd_store_corr_lock(x->store, keys, nk);
  for (size_t i = 0; rc == WD_OK && i < x->n_open; i++) {
    oinc_t *o = x->open[i];
    if (!o->dirty)
      continue;
    if (!o->rec.id[0]) {
      rc = wd_store_incident_find(x->store, o->rec.corr_key, o->rec.first_ns,
                                  x->quiet_ns, o->rec.id);
      if (rc == WD_OK)
        o->merged = true;
      else if (rc == WD_ERR_NOTFOUND) {
        rc = wd_store_incident_new_id(x->store, year_of(o->rec.first_ns),
                                      o->rec.id);
        o->merged = false;
      }
      if (rc == WD_OK)
        o->id_new = true;
      else
        o->rec.id[0] = 0;
    }
    if (rc == WD_OK && x->counts_add)
      add_stored_reports(x, o);
    if (rc == WD_OK)
      rc = wd_store_incident_put(x->store, &o->rec);
  }
  if (rc == WD_OK && x->hook && x->hook->in_txn)
    rc = x->hook->in_txn(x->hook->user, x->store);
  if (rc == WD_OK)
    rc = wd_store_commit(x->store);
  return rc;
}

/* One transaction for every dirty incident (run again when it loses a
 * race with another writer); then their events. */
static wd_rc flush(wd_incidents_t *x, bool force) {
  size_t dirty = 0;
  for (size_t i = 0; i < x->n_open; i++)
    dirty += x->open[i]->dirty;
  if (!dirty && !(force && x->hook))
    return WD_OK;
  unsigned tries = 0;
  wd_rc rc;
  do {
    rc = flush_txn(x);
    if (rc != WD_OK) {
      wd_store_rollback(x->store);
      undo_new_ids(x);
    }
  } while (wd_store_retry(x->store, rc, &tries));
  if (x->hook && x->hook->done)
    x->hook->done(x->hook->user, rc == WD_OK);
  if (rc != WD_OK) {
    x->st.db_errors++;
    x->last_err = rc;
    if (x->st.db_errors == 1 || x->st.db_errors % 100 == 0)
      wd_log(WD_LOG_WARN, "incident",
             "writing %zu incidents failed (%s): %s; retrying at the next "
             "second",
             dirty, wd_rc_str(rc), wd_store_errmsg(x->store));
    return rc;
  }
  x->st.flushes++;
  for (size_t i = 0; i < x->n_open; i++) {
    oinc_t *o = x->open[i];
    if (!o->dirty)
      continue;
    if (o->id_new)
      o->merged ? x->st.merged++ : x->st.opened++;
    o->id_new = false;
    o->dirty = false;
    if (!o->emitted_open) {
      o->emitted_open = true;
      emit(x, o, "open");
    } else if (o->rec.active)
      emit(x, o, "update");
  }
  return WD_OK;
}

/* Evidence of a closing incident: written once; a second run that finds
 * the same bytes already recorded removes its own new copy. */
static void write_evidence(wd_incidents_t *x, oinc_t *o) {
  if (o->ev_slot < 0 || !x->cfg->evidence.dir || !o->rec.id[0])
    return;
  char path[WD_STORE_PATH_LEN], sha[65];
  uint64_t n = 0;
  wd_rc rc = wd_evidence_write(x->ev, o->ev_slot, x->cfg->evidence.dir,
                               o->rec.id, path, sizeof path, sha, &n);
  if (rc != WD_OK)
    return;
  x->st.evidence_files++;
  wd_store_incident_t cur;
  if (wd_store_incident_get(x->store, o->rec.id, &cur) == WD_OK) {
    bool same = strcmp(cur.evidence_sha256, sha) == 0 &&
                access(cur.evidence_path, R_OK) == 0 &&
                strcmp(cur.evidence_path, path) != 0;
    wd_store_incident_fini(&cur);
    if (same) {
      unlink(path); /* our own file of a moment ago */
      x->st.evidence_files--;
      return;
    }
  }
  rc = wd_store_incident_set_evidence(x->store, o->rec.id, path, sha, n);
  if (rc != WD_OK) {
    x->st.db_errors++;
    x->last_err = rc;
    wd_log(WD_LOG_WARN, "incident", "%s: recording evidence %s failed: %s",
           o->rec.id, path, wd_store_errmsg(x->store));
  }
}

/* Closes (writes, evidence, event, frees) every inactive incident. */
static void close_inactive(wd_incidents_t *x) {
  flush(x, false);
  size_t w = 0;
  for (size_t i = 0; i < x->n_open; i++) {
    oinc_t *o = x->open[i];
    if (o->rec.active || o->dirty) { /* dirty: not written yet, retry */
      x->open[w++] = o;
      continue;
    }
    write_evidence(x, o);
    if (!o->emitted_open)
      emit(x, o, "open");
    emit(x, o, "close");
    x->st.closed++;
    wd_evidence_slot_release(x->ev, o->ev_slot);
    oinc_free(o);
  }
  x->n_open = w;
}

void wd_incidents_tick(wd_incidents_t *x, uint64_t now_ns) {
  if (!x)
    return;
  bool closing = false;
  for (size_t i = 0; i < x->n_open; i++) {
    oinc_t *o = x->open[i];
    if (o->rec.active && o->rec.last_ns + x->quiet_ns <= now_ns &&
        now_ns != UINT64_MAX) {
      o->rec.active = false;
      o->dirty = true;
    }
    closing |= !o->rec.active;
  }
  if (closing)
    close_inactive(x);
  else
    flush(x, false);
}

void wd_incidents_set_txn_hook(wd_incidents_t *x,
                               const wd_incidents_txn_hook_t *hook) {
  if (x)
    x->hook = hook;
}

void wd_incidents_set_counts_add(wd_incidents_t *x, bool on) {
  if (x)
    x->counts_add = on;
}

wd_rc wd_incidents_flush(wd_incidents_t *x) {
  return x ? flush(x, true) : WD_ERR_INVAL;
}

wd_rc wd_incidents_finish(wd_incidents_t *x) {
  if (!x)
    return WD_ERR_INVAL;
  for (size_t i = 0; i < x->n_open; i++) {
    x->open[i]->rec.active = false;
    x->open[i]->dirty = true;
  }
  close_inactive(x);
  if (x->n_open) /* the database refused: one more try */
    close_inactive(x);
  return x->n_open ? x->last_err : WD_OK;
}

/* ---- life cycle ---- */

wd_rc wd_incidents_new(const wd_config_t *cfg, const char *db_path,
                       wd_incident_event_fn event, void *user,
                       wd_incidents_t **out, char *err, size_t errlen) {
  *out = NULL;
  if (err && errlen)
    err[0] = 0;
  wd_incidents_t *x = calloc(1, sizeof *x);
  if (!x)
    return WD_ERR_NOMEM;
  x->cfg = cfg;
  x->event = event;
  x->user = user;
  x->quiet_ns =
      (uint64_t)(cfg->incidents.quiet_window_s ? cfg->incidents.quiet_window_s
                                               : 3600) *
      NS;
  const char *path = db_path ? db_path : wd_config_store_url(cfg);
  if (gethostname(x->sensor, sizeof x->sensor) != 0 || !x->sensor[0])
    snprintf(x->sensor, sizeof x->sensor, "localhost");
  x->sensor[sizeof x->sensor - 1] = '\0';
  wd_store_opts_t so = {.busy_timeout_ms = cfg->db.busy_timeout_ms};
  wd_rc rc = path ? wd_store_open_opts(path, &so, &x->store, err, errlen)
                  : WD_ERR_INVAL;
  if (rc != WD_OK) {
    if (!path && err)
      snprintf(err, errlen, "no database path (--db or db.path)");
    goto fail;
  }
  if ((rc = wd_geo_open(cfg->attribution.country_db, cfg->attribution.asn_db,
                        &x->geo)) != WD_OK)
    goto fail;
  /* the store's parties when it has any (a centre edits them through
     the API), else the file */
  if ((rc = wd_store_directory(x->store, cfg->attribution.directory, &x->dir,
                               NULL, err, errlen)) != WD_OK)
    goto fail;
  if (cfg->evidence.dir &&
      (cfg->evidence.packets_per_flow || cfg->evidence.flood_sample) &&
      (rc = wd_evidence_new(cfg->evidence.packets_per_flow,
                            cfg->evidence.flood_sample, &x->ev)) != WD_OK)
    goto fail;
  *out = x;
  return WD_OK;
fail:
  wd_incidents_free(x);
  return rc;
}

void wd_incidents_free(wd_incidents_t *x) {
  if (!x)
    return;
  for (size_t i = 0; i < x->n_open; i++)
    oinc_free(x->open[i]);
  wd_evidence_free(x->ev);
  wd_directory_free(x->dir);
  wd_geo_free(x->geo);
  wd_store_close(x->store);
  free(x);
}

void wd_incidents_packet(wd_incidents_t *x, const wd_packet_t *p,
                         const wd_flow_t *f) {
  if (x && x->ev)
    wd_evidence_packet(x->ev, p, f);
}

void wd_incidents_frame(wd_incidents_t *x, const wd_evidence_frame_t *h,
                        const uint8_t *data) {
  if (x && x->ev)
    wd_evidence_frame(x->ev, h, data);
}

void wd_incidents_stats(const wd_incidents_t *x, wd_incidents_stats_t *out) {
  *out = x->st;
}

wd_store_t *wd_incidents_store(wd_incidents_t *x) { return x->store; }

struct json_t *wd_incident_json(const wd_incident_t *inc) {
  return wd_store_incident_json(inc);
}
