/* store_json.c -- the JSON form of an incident (docs/incidents.md), used
 * by `ward incidents show/export`, incident events and exports.
 * In: a wd_store_incident_t (borrowed). Out: a new jansson object the
 * caller owns (json_decref). Strings from the network (addresses, AS
 * names) are copied as UTF-8 text: jansson escapes them for JSON and
 * refuses invalid UTF-8, which we replace by "?". */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"
#include "store/store.h"

char *wd_store_time_str(uint64_t ns, char out[40]) {
  return wd_time_str(ns, WD_TIME_RFC3339_US, out, 40);
}

/* A string value; NULL or "" becomes JSON null when null_empty. */
static json_t *str(const char *s, bool null_empty) {
  if (!s || (!*s && null_empty))
    return json_null();
  json_t *j = json_string(s);
  return j ? j : json_string("?");
}

static json_t *ts(uint64_t ns) {
  char b[40];
  return ns ? json_string(wd_store_time_str(ns, b)) : json_null();
}

static const char *sev_name(unsigned s) {
  static const char *const n[] = {"critical", "critical", "high", "medium",
                                  "low"};
  return s <= 4 ? n[s] : "low";
}

static json_t *party_json(const wd_store_party_t *p) {
  if (!p->set)
    return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "name", str(p->name, false));
  json_object_set_new(o, "kind", str(p->kind, true));
  json_object_set_new(o, "email", str(p->email, true));
  json_object_set_new(o, "format", str(p->format, true));
  json_object_set_new(o, "language", str(p->language, true));
  json_object_set_new(o, "deadline_hours", json_integer(p->deadline_hours));
  json_object_set_new(o, "pgp_fingerprint", str(p->pgp_fingerprint, true));
  json_object_set_new(o, "matched_by", str(p->matched_by, true));
  return o;
}

json_t *wd_store_incident_json(const wd_store_incident_t *inc) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "id", str(inc->id, false));
  json_object_set_new(o, "class", str(inc->rsit_class, false));
  json_object_set_new(o, "type", str(inc->rsit_type, false));
  json_object_set_new(o, "line", str(inc->line, false));
  json_object_set_new(o, "severity", json_string(sev_name(inc->severity)));
  json_object_set_new(o, "severity_level", json_integer(inc->severity));
  json_object_set_new(o, "priority", json_integer(inc->priority));
  json_object_set_new(o, "status",
                      str(inc->status[0] ? inc->status : "new", false));
  json_object_set_new(o, "active", json_boolean(inc->active));
  json_object_set_new(o, "summary", str(inc->summary, false));
  json_object_set_new(o, "first_seen", ts(inc->first_ns));
  json_object_set_new(o, "last_seen", ts(inc->last_ns));
  json_object_set_new(o, "facility", str(inc->facility, true));
  json_object_set_new(o, "sector", str(inc->sector, true));
  json_object_set_new(o, "criticality", str(inc->criticality, true));
  json_object_set_new(o, "alerts", json_integer((json_int_t)inc->alerts));
  json_object_set_new(o, "packets", json_integer((json_int_t)inc->packets));
  json_object_set_new(o, "peak_pps", json_integer((json_int_t)inc->peak_pps));
  json_object_set_new(o, "peak_bps", json_integer((json_int_t)inc->peak_bps));
  json_object_set_new(o, "spoofed", json_boolean(inc->spoofed));
  json_object_set_new(o, "sources", json_integer((json_int_t)inc->sources));
  json_object_set_new(o, "attribution", str(inc->attribution, true));

  json_t *att = json_array(), *refl = json_array();
  for (size_t i = 0; i < inc->n_attackers; i++) {
    const wd_store_attacker_t *a = &inc->attackers[i];
    json_t *x = json_object();
    json_object_set_new(x, "ip", str(a->ip, false));
    json_object_set_new(x, "role", str(a->role, false));
    json_object_set_new(x, "country", str(a->country, true));
    json_object_set_new(x, "asn", a->asn ? json_integer(a->asn) : json_null());
    json_object_set_new(x, "as_org", str(a->as_org, true));
    json_object_set_new(x, "attribution_reliable", json_boolean(a->reliable));
    json_object_set_new(x, "reason", str(a->reason, true));
    json_object_set_new(x, "party", str(a->party, true));
    json_object_set_new(x, "matched_by", str(a->matched_by, true));
    json_array_append_new(strcmp(a->role, "reflector") == 0 ? refl : att, x);
  }
  json_object_set_new(o, "attackers", att);
  json_object_set_new(o, "reflectors", refl);

  json_t *tg = json_array();
  for (size_t i = 0; i < inc->n_targets; i++) {
    const wd_store_target_t *t = &inc->targets[i];
    json_t *x = json_object();
    json_object_set_new(x, "ip", str(t->ip, false));
    json_object_set_new(x, "facility", str(t->facility, true));
    json_object_set_new(x, "sector", str(t->sector, true));
    json_array_append_new(tg, x);
  }
  json_object_set_new(o, "targets", tg);

  json_t *hs = json_array();
  for (size_t i = 0; i < inc->n_hosts; i++) {
    const wd_store_host_t *h = &inc->hosts[i];
    json_t *x = json_object();
    json_object_set_new(x, "order", json_integer((json_int_t)i + 1));
    json_object_set_new(x, "ip", str(h->ip, false));
    json_object_set_new(x, "infected_at", ts(h->infected_ns));
    json_object_set_new(x, "infected_by", str(h->infected_by, true));
    json_object_set_new(x, "active_from", ts(h->active_ns));
    json_array_append_new(hs, x);
  }
  json_object_set_new(o, "infected_hosts", hs);

  json_t *al = json_array();
  for (size_t i = 0; i < inc->n_attacks; i++) {
    const wd_store_attack_t *a = &inc->attacks[i];
    json_t *x = json_object();
    json_object_set_new(x, "detector", str(a->detector, false));
    json_object_set_new(x, "signature", str(a->signature, true));
    json_object_set_new(x, "src_ip", str(a->src, true));
    json_object_set_new(x, "dest_ip", str(a->dst, true));
    json_object_set_new(x, "start", ts(a->start_ns));
    json_object_set_new(x, "last", ts(a->last_ns));
    json_object_set_new(x, "reports", json_integer((json_int_t)a->reports));
    json_object_set_new(x, "packets", json_integer((json_int_t)a->packets));
    json_object_set_new(x, "peak_pps", json_integer((json_int_t)a->peak_pps));
    json_object_set_new(x, "peak_bps", json_integer((json_int_t)a->peak_bps));
    json_object_set_new(x, "ended", json_boolean(a->ended));
    json_object_set_new(x, "tree", str(a->tree, true));
    json_t *in = json_null();
    if (a->intel.value[0]) {
      in = json_object();
      json_object_set_new(in, "indicator", str(a->intel.value, false));
      json_object_set_new(in, "type", str(a->intel.type, true));
      json_object_set_new(in, "feed", str(a->intel.feed, true));
      json_object_set_new(in, "ref", str(a->intel.ref, true));
      json_object_set_new(in, "field", str(a->intel.field, true));
      json_object_set_new(in, "stix", json_boolean(a->intel.stix[0] != 0));
    }
    json_object_set_new(x, "intel", in);
    json_array_append_new(al, x);
  }
  json_object_set_new(o, "alerts_detail", al);

  json_t *sn = json_array();
  for (size_t i = 0; i < inc->n_sensors; i++) {
    const wd_store_sensor_t *x = &inc->sensors[i];
    json_t *e = json_object();
    json_object_set_new(e, "name", str(x->name, false));
    json_object_set_new(e, "first_seen", ts(x->first_ns));
    json_object_set_new(e, "last_seen", ts(x->last_ns));
    json_array_append_new(sn, e);
  }
  json_object_set_new(o, "sensors", sn);

  if (inc->evidence_path[0]) {
    json_t *e = json_object();
    json_object_set_new(e, "path", str(inc->evidence_path, false));
    json_object_set_new(e, "sha256", str(inc->evidence_sha256, true));
    json_object_set_new(e, "packets",
                        json_integer((json_int_t)inc->evidence_packets));
    json_object_set_new(o, "evidence", e);
  } else
    json_object_set_new(o, "evidence", json_null());
  json_object_set_new(o, "party", party_json(&inc->party));
  if (!inc->party.set && inc->party.matched_by[0])
    json_object_set_new(o, "party_note", str(inc->party.matched_by, false));
  return o;
}
