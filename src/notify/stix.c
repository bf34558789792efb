/* stix.c -- STIX 2.1 bundles (see stix.h), built with jansson.
 * Memory: one json_t tree per call, released before returning; strings
 * from the notice are cleaned to valid UTF-8 first (jansson refuses
 * anything else) and escaped by jansson. Identities carry a fixed creation
 * time so that the same sender is the same object version in every
 * bundle; the incident and observed data are created at the first
 * notification and modified at this one (a reminder). */
#include "notify/stix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/timefmt.h"
#include "detect/detector.h"
#include "notify/codec.h"

#define IDENTITY_CREATED "2020-01-01T00:00:00.000Z"
#define TLP_CREATED "2017-01-20T00:00:00.000Z"

typedef struct ctx {
  const wd_notice_incident_t *n;
  json_t *objects;
  json_t *sco_refs; /* ids for observed-data.object_refs */
  wd_rc rc;
  char created[32], modified[32], first[32], last[32];
  char sender_id[64], od_id[64], incident_id[64];
} ctx_t;

static void ts(uint64_t ns, char out[32]) {
  wd_time_str(ns, WD_TIME_RFC3339_MS, out, 32);
}

/* A cleaned string value (never NULL: "" for NULL input). */
static json_t *jstr(const char *raw) {
  char buf[WD_NOTICE_STR_MAX];
  wd_notice_clean(raw ? raw : "", raw ? strlen(raw) : 0, buf, sizeof buf,
                  WD_CLEAN_ONELINE);
  return json_string(buf);
}

static void set(ctx_t *c, json_t *o, const char *k, json_t *v) {
  if (!o || !v) {
    json_decref(v);
    c->rc = WD_ERR_NOMEM;
    return;
  }
  if (json_object_set_new(o, k, v) != 0)
    c->rc = WD_ERR_NOMEM;
}

/* "type--uuid5(ns, name)". */
static void make_id(ctx_t *c, const char *type, const char *ns,
                    const char *name, char out[64]) {
  char u[37];
  if (wd_codec_uuid5(ns, name, strlen(name), u) != WD_OK) {
    c->rc = WD_ERR_UNSUPPORTED;
    snprintf(out, 64, "%s--00000000-0000-5000-8000-000000000000", type);
    return;
  }
  snprintf(out, 64, "%s--%s", type, u);
}

/* Id for the ward-made object of kind `what` about this incident. */
static void ward_id(ctx_t *c, const char *type, const char *what,
                    char out[64]) {
  char name[WD_NOTICE_STR_MAX + 640];
  snprintf(name, sizeof name, "%s|%s|%s", type, c->n->id, what);
  make_id(c, type, WD_STIX_NS, name, out);
}

/* SCO id from its ID-contributing properties (compact, sorted JSON). */
static void sco_id(ctx_t *c, const char *type, json_t *contrib, char out[64]) {
  char *s = json_dumps(contrib, JSON_COMPACT | JSON_SORT_KEYS);
  if (!s) {
    c->rc = WD_ERR_NOMEM;
    snprintf(out, 64, "%s--00000000-0000-5000-8000-000000000000", type);
    return;
  }
  make_id(c, type, WD_STIX_SCO_NS, s, out);
  free(s);
}

static json_t *sdo(ctx_t *c, const char *type, const char *id,
                   const char *created, const char *modified) {
  json_t *o = json_object();
  set(c, o, "type", json_string(type));
  set(c, o, "spec_version", json_string("2.1"));
  set(c, o, "id", json_string(id));
  if (created) {
    set(c, o, "created", json_string(created));
    set(c, o, "modified", json_string(modified));
  }
  return o;
}

static void add(ctx_t *c, json_t *o) {
  if (!o || json_array_append_new(c->objects, o) != 0)
    c->rc = WD_ERR_NOMEM;
}

static void identity(ctx_t *c, const char *name, const char *email,
                     const char *cls, char id[64]) {
  char key[512];
  snprintf(key, sizeof key, "identity|%s|%s", email ? email : "",
           name ? name : "");
  make_id(c, "identity", WD_STIX_NS, key, id);
  json_t *o = sdo(c, "identity", id, IDENTITY_CREATED, IDENTITY_CREATED);
  set(c, o, "name", jstr(name ? name : email ? email : "unknown"));
  set(c, o, "identity_class", json_string(cls));
  if (wd_notice_email_ok(email))
    set(c, o, "contact_information", json_string(email));
  add(c, o);
}

static void tlp_amber(ctx_t *c) {
  json_t *o = json_object();
  set(c, o, "type", json_string("marking-definition"));
  set(c, o, "spec_version", json_string("2.1"));
  set(c, o, "id", json_string(WD_STIX_TLP_AMBER));
  set(c, o, "created", json_string(TLP_CREATED));
  set(c, o, "definition_type", json_string("tlp"));
  set(c, o, "name", json_string("TLP:AMBER"));
  json_t *d = json_object();
  set(c, d, "tlp", json_string("amber"));
  set(c, o, "definition", d);
  add(c, o);
}

static void mark(ctx_t *c, json_t *o) {
  json_t *m = json_array();
  if (!m || json_array_append_new(m, json_string(WD_STIX_TLP_AMBER)))
    c->rc = WD_ERR_NOMEM;
  set(c, o, "object_marking_refs", m);
  set(c, o, "created_by_ref", json_string(c->sender_id));
}

static void ref(ctx_t *c, json_t *arr, const char *id) {
  if (!arr || json_array_append_new(arr, json_string(id)) != 0)
    c->rc = WD_ERR_NOMEM;
}

/* ipv4-addr / ipv6-addr SCO, with belongs_to_refs to its AS when known;
 * returns its id in out. ASes are emitted once per number. */
static void addr_sco(ctx_t *c, const wd_addr_t *ip, uint32_t asn,
                     const char *as_org, json_t *seen, char out[64]) {
  char txt[WD_ADDR_STRLEN], as_id[64];
  const char *type = wd_addr_is_v4(ip) ? "ipv4-addr" : "ipv6-addr";
  wd_addr_str(ip, txt);
  json_t *contrib = json_object();
  set(c, contrib, "value", json_string(txt));
  sco_id(c, type, contrib, out);
  json_decref(contrib);
  if (json_object_get(seen, out))
    return;
  set(c, seen, out, json_true());
  json_t *o = sdo(c, type, out, NULL, NULL);
  set(c, o, "value", json_string(txt));
  if (asn) {
    json_t *ac = json_object();
    set(c, ac, "number", json_integer(asn));
    sco_id(c, "autonomous-system", ac, as_id);
    json_decref(ac);
    if (!json_object_get(seen, as_id)) {
      set(c, seen, as_id, json_true());
      json_t *as = sdo(c, "autonomous-system", as_id, NULL, NULL);
      set(c, as, "number", json_integer(asn));
      if (as_org)
        set(c, as, "name", jstr(as_org));
      add(c, as);
      ref(c, c->sco_refs, as_id);
    }
    json_t *b = json_array();
    ref(c, b, as_id);
    set(c, o, "belongs_to_refs", b);
  }
  add(c, o);
  ref(c, c->sco_refs, out);
}

static const char *l4(uint8_t proto) {
  switch (proto) {
  case 6:
    return "tcp";
  case 17:
    return "udp";
  case 1:
  case 58:
    return "icmp";
  default:
    return NULL;
  }
}

static void traffic_sco(ctx_t *c, const char *src, const char *dst, bool v4,
                        uint16_t dport) {
  char id[64];
  json_t *protos = json_array();
  ref(c, protos, v4 ? "ipv4" : "ipv6");
  if (l4(c->n->proto))
    ref(c, protos, l4(c->n->proto));
  json_t *contrib = json_object();
  if (src)
    set(c, contrib, "src_ref", json_string(src));
  if (dst)
    set(c, contrib, "dst_ref", json_string(dst));
  if (dport)
    set(c, contrib, "dst_port", json_integer(dport));
  set(c, contrib, "protocols", json_deep_copy(protos));
  sco_id(c, "network-traffic", contrib, id);
  json_decref(contrib);
  json_t *o = sdo(c, "network-traffic", id, NULL, NULL);
  if (src)
    set(c, o, "src_ref", json_string(src));
  if (dst)
    set(c, o, "dst_ref", json_string(dst));
  if (dport)
    set(c, o, "dst_port", json_integer(dport));
  set(c, o, "protocols", protos);
  set(c, o, "start", json_string(c->first));
  if (!c->n->ongoing)
    set(c, o, "end", json_string(c->last));
  add(c, o);
  ref(c, c->sco_refs, id);
}

static void file_sco(ctx_t *c) {
  const wd_notice_incident_t *n = c->n;
  char id[64], hex[65];
  if (!wd_notice_sha256_ok(n->evidence_sha256))
    return;
  for (int i = 0; i < 64; i++) {
    char ch = n->evidence_sha256[i];
    hex[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
  }
  hex[64] = '\0';
  json_t *hashes = json_object();
  set(c, hashes, "SHA-256", json_string(hex));
  json_t *contrib = json_object();
  set(c, contrib, "hashes", json_deep_copy(hashes));
  const char *fname = wd_notice_evidence_name(n);
  if (fname)
    set(c, contrib, "name", jstr(fname));
  sco_id(c, "file", contrib, id);
  json_decref(contrib);
  json_t *o = sdo(c, "file", id, NULL, NULL);
  set(c, o, "hashes", hashes);
  if (fname)
    set(c, o, "name", jstr(fname));
  if (n->evidence_bytes)
    set(c, o, "size", json_integer((json_int_t)n->evidence_bytes));
  set(c, o, "mime_type", json_string("application/vnd.tcpdump.pcap"));
  add(c, o);
  ref(c, c->sco_refs, id);
}

static void incident_sdo(ctx_t *c, wd_notice_kind k) {
  const wd_notice_incident_t *n = c->n;
  char name[WD_NOTICE_STR_MAX], label[256];
  wd_strbuf_t d;
  wd_strbuf_init(&d, 16384);
  json_t *o = sdo(c, "incident", c->incident_id, c->created, c->modified);
  snprintf(name, sizeof name, "%s: %s", n->id, wd_notice_kind_name(k));
  set(c, o, "name", jstr(name));
  /* the correlator's summary names hosts and the facility: only for the
     facility's own team */
  char s[WD_NOTICE_STR_MAX];
  if (n->summary && wd_notice_is_internal_party(n))
    wd_notice_clean(n->summary, strlen(n->summary), s, sizeof s,
                    WD_CLEAN_ONELINE);
  else
    wd_notice_describe(n, s, sizeof s);
  wd_strbuf_printf(&d, "%s. ", s);
  wd_strbuf_printf(
      &d,
      "%s observed from %s to %s (UTC), %zu source "
      "address(es), %" PRIu64 " alert(s), %" PRIu64 " packet(s); severity %s.",
      wd_notice_kind_name(k), c->first, n->ongoing ? "ongoing" : c->last,
      n->n_attackers, n->alerts, n->packets, n->severity ? n->severity : "?");
  if (n->peak_pps || n->peak_bps)
    wd_strbuf_printf(&d, " Peak %" PRIu64 " packets/s, %" PRIu64 " bit/s.",
                     n->peak_pps, n->peak_bps);
  if (wd_notice_unreliable(n))
    wd_strbuf_printf(&d,
                     " %zu source address(es) are probably spoofed; "
                     "their attribution is unreliable.",
                     wd_notice_unreliable(n));
  if (n->reminder)
    wd_strbuf_puts(&d, " Reminder of an earlier notification.");
  set(c, o, "description", jstr(wd_strbuf_str(&d)));
  wd_strbuf_fini(&d);
  json_t *labels = json_array();
  snprintf(label, sizeof label, "rsit:%s/%s",
           n->rsit_class ? n->rsit_class : "other",
           n->rsit_type ? n->rsit_type : "other");
  json_array_append_new(labels, jstr(label));
  snprintf(label, sizeof label, "severity:%s",
           n->severity ? n->severity : "medium");
  json_array_append_new(labels, jstr(label));
  set(c, o, "labels", labels);
  json_t *er = json_object();
  set(c, er, "source_name", json_string("ward"));
  set(c, er, "external_id", jstr(n->id));
  json_t *ers = json_array();
  if (!ers || json_array_append_new(ers, er) != 0)
    c->rc = WD_ERR_NOMEM;
  const wd_detector_ref_t *refs[WD_NOTICE_REFS_MAX];
  size_t nr = wd_notice_refs(n, refs, WD_NOTICE_REFS_MAX);
  for (size_t i = 0; i < nr; i++) {
    json_t *ref = json_object();
    set(c, ref, "source_name", json_string(refs[i]->source));
    if (refs[i]->id)
      set(c, ref, "external_id", json_string(refs[i]->id));
    set(c, ref, "url", json_string(refs[i]->url));
    if (refs[i]->title)
      set(c, ref, "description", json_string(refs[i]->title));
    json_array_append_new(ers, ref);
  }
  set(c, o, "external_references", ers);
  mark(c, o);
  add(c, o);
}

static void relationship(ctx_t *c, const char *src, const char *dst) {
  char id[64], key[160];
  snprintf(key, sizeof key, "%s>%s", src, dst);
  ward_id(c, "relationship", key, id);
  json_t *o = sdo(c, "relationship", id, c->created, c->modified);
  set(c, o, "relationship_type", json_string("related-to"));
  set(c, o, "source_ref", json_string(src));
  set(c, o, "target_ref", json_string(dst));
  mark(c, o);
  add(c, o);
}

/* A sighting (id sid) of indicator id, seen count times (at least once)
 * from first to last, by the sender, in the incident's observed data;
 * the caller adds its own fields, then marks and adds it. */
static json_t *sighting(ctx_t *c, const char *sid, const char *id,
                        const char *first, const char *last, uint64_t count) {
  json_t *s = sdo(c, "sighting", sid, c->created, c->modified);
  set(c, s, "sighting_of_ref", json_string(id));
  set(c, s, "first_seen", json_string(first));
  set(c, s, "last_seen", json_string(last));
  uint64_t cnt = count ? count : 1;
  set(c, s, "count",
      json_integer(cnt > 999999999 ? 999999999 : (json_int_t)cnt));
  json_t *od = json_array();
  ref(c, od, c->od_id);
  set(c, s, "observed_data_refs", od);
  json_t *where = json_array();
  ref(c, where, c->sender_id);
  set(c, s, "where_sighted_refs", where);
  return s;
}

static void indicator(ctx_t *c, const wd_notice_attacker_t *a,
                      const char *addr_id) {
  const wd_notice_incident_t *n = c->n;
  char id[64], sid[64], txt[WD_ADDR_STRLEN], pat[128], name[160];
  wd_addr_str(&a->ip, txt);
  ward_id(c, "indicator", txt, id);
  json_t *o = sdo(c, "indicator", id, c->created, c->modified);
  snprintf(name, sizeof name, "%s %s (%s)",
           a->role == WD_NOTICE_ROLE_REFLECTOR ? "Reflector" : "Source", txt,
           n->id);
  set(c, o, "name", jstr(name));
  json_t *types = json_array();
  ref(c, types,
      a->role == WD_NOTICE_ROLE_REFLECTOR ? "anomalous-activity"
                                          : "malicious-activity");
  set(c, o, "indicator_types", types);
  snprintf(pat, sizeof pat, "[%s:value = '%s']",
           wd_addr_is_v4(&a->ip) ? "ipv4-addr" : "ipv6-addr", txt);
  set(c, o, "pattern", json_string(pat));
  set(c, o, "pattern_type", json_string("stix"));
  set(c, o, "valid_from", json_string(c->first));
  mark(c, o);
  add(c, o);

  ward_id(c, "sighting", txt, sid);
  json_t *s = sighting(c, sid, id, c->first, c->last, n->alerts);
  mark(c, s);
  add(c, s);
  relationship(c, id, c->incident_id);
  (void)addr_id;
}

bool wd_stix_pattern(const char *type, const char *value, char *out,
                     size_t cap) {
  bool addr = !strcmp(type, "ipv4-addr") || !strcmp(type, "ipv6-addr");
  if (!addr && strcmp(type, "domain-name") != 0 && strcmp(type, "url") != 0)
    return false;
  size_t vl = strlen(value);
  const char *op = "=";
  const char *slash = addr ? strrchr(value, '/') : NULL;
  if (slash) {
    const char *host = !strcmp(type, "ipv4-addr") ? "/32" : "/128";
    if (!strcmp(slash, host))
      vl = (size_t)(slash - value); /* one address */
    else
      op = "ISSUBSET";
  }
  wd_strbuf_t b;
  wd_strbuf_init(&b, cap);
  wd_strbuf_printf(&b, "[%s:value %s '", type, op);
  for (size_t i = 0; i < vl; i++) {
    if (value[i] == '\\' || value[i] == '\'')
      wd_strbuf_putc(&b, '\\');
    wd_strbuf_putc(&b, value[i]);
  }
  wd_strbuf_puts(&b, "']");
  bool ok = wd_strbuf_rc(&b) == WD_OK && b.len < cap;
  if (ok)
    memcpy(out, wd_strbuf_str(&b), b.len + 1);
  wd_strbuf_fini(&b);
  return ok;
}

/* A string property of a feed's indicator copy, when it is one. */
static const char *jget(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "indicator--" and an RFC 9562 UUID (the form the schemas require). */
static bool feed_id_ok(const char *id) {
  if (!id || strncmp(id, "indicator--", 11) != 0 || strlen(id) != 11 + 36)
    return false;
  const char *u = id + 11;
  for (int i = 0; i < 36; i++) {
    char c = u[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex)
      return false;
  }
  return u[14] >= '1' && u[14] <= '5' && strchr("89abAB", u[19]);
}

/* A feed's timestamp (YYYY-MM-DDTHH:MM:SS[.fff...]Z) with at least
 * millisecond digits, as STIX wants created and modified: the same
 * instant, so the same object version. False when it is none. */
static bool feed_time(const char *t, char out[48]) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  if (!t)
    return false;
  for (int i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i])
      return false;
  const char *p = t + sizeof shape - 1, *f = p;
  size_t nf = 0;
  bool dot = *p == '.';
  if (dot)
    for (f = ++p; *p >= '0' && *p <= '9'; p++)
      nf++;
  if (p[0] != 'Z' || p[1] || nf > 9 || (dot && !nf))
    return false;
  snprintf(out, 48, "%.19s.%.*s%.*sZ", t, (int)nf, f,
           nf < 3 ? (int)(3 - nf) : 0, "000");
  return true;
}

/* The observable an indicator names, as an SCO in the observed data. */
static void intel_sco(ctx_t *c, const wd_notice_intel_t *e, json_t *seen) {
  char v[WD_NOTICE_STR_MAX], id[64];
  wd_notice_clean(e->value, strlen(e->value), v, sizeof v, WD_CLEAN_ONELINE);
  bool addr = !strcmp(e->type, "ipv4-addr") || !strcmp(e->type, "ipv6-addr");
  char *slash = addr ? strrchr(v, '/') : NULL;
  if (slash && !strcmp(slash, !strcmp(e->type, "ipv4-addr") ? "/32" : "/128"))
    *slash = '\0';
  json_t *contrib = json_object();
  set(c, contrib, "value", json_string(v));
  sco_id(c, e->type, contrib, id);
  json_decref(contrib);
  if (json_object_get(seen, id))
    return;
  set(c, seen, id, json_true());
  json_t *o = sdo(c, e->type, id, NULL, NULL);
  set(c, o, "value", json_string(v));
  add(c, o);
  ref(c, c->sco_refs, id);
}

/* One matched indicator: the indicator (the feed's own when it gave one)
 * and a sighting of it by the sender. */
static void intel_sighting(ctx_t *c, const wd_notice_intel_t *e) {
  char id[64], sid[64], key[WD_NOTICE_STR_MAX], first[32], last[32];
  char pat[WD_NOTICE_STR_MAX + 64], v[WD_NOTICE_STR_MAX];
  ts(e->first_ns ? e->first_ns : c->n->first_seen_ns, first);
  ts(e->last_ns > e->first_ns ? e->last_ns : e->first_ns, last);
  if (!e->first_ns)
    memcpy(last, first, sizeof last);
  json_t *feed = e->stix ? json_loads(e->stix, 0, NULL) : NULL;
  const char *fid = jget(feed, "id"), *fpat = jget(feed, "pattern");
  char cr[48], mo[48], vf[48];
  bool has_cr = feed_time(jget(feed, "created"), cr);
  bool has_mo = feed_time(jget(feed, "modified"), mo);
  bool has_vf = feed_time(jget(feed, "valid_from"), vf);
  json_t *o;
  if (feed_id_ok(fid) && fpat && fpat[0] == '[' && (has_cr || has_vf)) {
    /* the feed's object as it gave it: its id, pattern and times */
    snprintf(id, sizeof id, "%s", fid);
    if (!has_cr)
      memcpy(cr, vf, sizeof cr);
    if (!has_mo || strcmp(mo, cr) < 0)
      memcpy(mo, cr, sizeof mo);
    o = sdo(c, "indicator", id, cr, mo);
    set(c, o, "pattern", jstr(fpat));
    set(c, o, "pattern_type", json_string("stix"));
    set(c, o, "valid_from", json_string(has_vf ? vf : cr));
  } else {
    snprintf(key, sizeof key, "intel|%s|%s|%s", e->type, e->value, e->feed);
    ward_id(c, "indicator", key, id);
    o = sdo(c, "indicator", id, c->created, c->modified);
    wd_notice_clean(e->value, strlen(e->value), v, sizeof v, WD_CLEAN_ONELINE);
    if (!wd_stix_pattern(e->type, v, pat, sizeof pat))
      c->rc = WD_ERR_INVAL;
    char label[2 * WD_NOTICE_STR_MAX + 32];
    snprintf(label, sizeof label, "Listed in feed %s: %s", e->feed, v);
    set(c, o, "name", jstr(label));
    json_t *types = json_array();
    ref(c, types, "malicious-activity");
    set(c, o, "indicator_types", types);
    set(c, o, "pattern", json_string(pat));
    set(c, o, "pattern_type", json_string("stix"));
    set(c, o, "valid_from", json_string(first));
    json_t *er = json_object();
    set(c, er, "source_name", jstr(e->feed));
    if (e->ref && e->ref[0])
      set(c, er, "external_id", jstr(e->ref));
    json_t *ers = json_array();
    if (!ers || json_array_append_new(ers, er) != 0)
      c->rc = WD_ERR_NOMEM;
    set(c, o, "external_references", ers);
    mark(c, o);
  }
  json_decref(feed);
  add(c, o);

  char skey[80];
  snprintf(skey, sizeof skey, "intel|%s", id);
  ward_id(c, "sighting", skey, sid);
  json_t *s = sighting(c, sid, id, first, last, e->count);
  if (e->field && e->field[0]) {
    snprintf(skey, sizeof skey, "Seen in %.40s", e->field);
    set(c, s, "description", jstr(skey));
  }
  mark(c, s);
  add(c, s);
  relationship(c, id, c->incident_id);
}

wd_rc wd_stix_build(const wd_notice_incident_t *n, char **out, size_t *len) {
  ctx_t c;
  memset(&c, 0, sizeof c);
  c.n = n;
  *out = NULL;
  *len = 0;
  if (!n->id)
    return WD_ERR_INVAL;
  wd_notice_kind k = wd_notice_kind_of(n);
  uint64_t first = n->first_seen_ns, last = n->last_seen_ns;
  if (last < first)
    last = first;
  ts(first, c.first);
  ts(last, c.last);
  uint64_t created =
      n->reminder && n->first_sent_ns && n->first_sent_ns <= n->report_ns
          ? n->first_sent_ns
          : n->report_ns;
  ts(created, c.created);
  ts(n->report_ns, c.modified);

  json_t *bundle = json_object();
  c.objects = json_array();
  c.sco_refs = json_array();
  json_t *seen = json_object();
  char bid[64], party_id[64], key[128];
  snprintf(key, sizeof key, "%" PRIu64, n->report_ns);
  ward_id(&c, "bundle", key, bid);
  set(&c, bundle, "type", json_string("bundle"));
  set(&c, bundle, "id", json_string(bid));

  identity(&c, n->sender_name, n->sender_email, "organization", c.sender_id);
  identity(&c, n->party.name, n->party.email, "organization", party_id);
  tlp_amber(&c);
  ward_id(&c, "incident", "", c.incident_id);
  ward_id(&c, "observed-data", "", c.od_id);
  incident_sdo(&c, k);

  /* SCOs: sources (capped), disclosed targets, traffic, evidence file. */
  size_t na = n->n_attackers < WD_NOTICE_ADDRS_MAX ? n->n_attackers
                                                   : WD_NOTICE_ADDRS_MAX;
  char first_tgt[64] = "";
  bool first_tgt_v4 = true;
  uint16_t first_port = 0;
  size_t shown = 0;
  for (size_t i = 0; i < n->n_targets && shown < WD_NOTICE_ADDRS_MAX; i++) {
    const wd_notice_target_t *t = &n->targets[i];
    if (!wd_notice_target_disclosed(n, t))
      continue;
    char tid[64];
    addr_sco(&c, &t->ip, 0, NULL, seen, tid);
    if (!shown++) {
      memcpy(first_tgt, tid, sizeof tid);
      first_tgt_v4 = wd_addr_is_v4(&t->ip);
      first_port = t->port;
    }
  }
  if (!first_port && n->n_targets)
    first_port = n->targets[0].port;
  char(*aid)[64] = na ? calloc(na, sizeof *aid) : NULL;
  if (na && !aid)
    c.rc = WD_ERR_NOMEM;
  for (size_t i = 0; aid && i < na; i++) {
    const wd_notice_attacker_t *a = &n->attackers[i];
    addr_sco(&c, &a->ip, a->asn, a->as_org, seen, aid[i]);
    bool v4 = wd_addr_is_v4(&a->ip);
    traffic_sco(&c, aid[i],
                first_tgt[0] && v4 == first_tgt_v4 ? first_tgt : NULL, v4,
                first_port);
  }
  file_sco(&c);
  for (size_t i = 0; i < n->n_intel; i++)
    intel_sco(&c, &n->intel[i], seen);

  if (json_array_size(c.sco_refs)) {
    json_t *od = sdo(&c, "observed-data", c.od_id, c.created, c.modified);
    set(&c, od, "first_observed", json_string(c.first));
    set(&c, od, "last_observed", json_string(c.last));
    uint64_t cnt = n->alerts ? n->alerts : 1;
    set(&c, od, "number_observed",
        json_integer(cnt > 999999999 ? 999999999 : (json_int_t)cnt));
    set(&c, od, "object_refs", json_deep_copy(c.sco_refs));
    mark(&c, od);
    add(&c, od);
    relationship(&c, c.od_id, c.incident_id);
    for (size_t i = 0; aid && i < na; i++)
      if (n->attackers[i].attribution_reliable)
        indicator(&c, &n->attackers[i], aid[i]);
    for (size_t i = 0; i < n->n_intel; i++)
      intel_sighting(&c, &n->intel[i]);
  }
  free(aid);
  set(&c, bundle, "objects", c.objects);
  c.objects = NULL;
  if (c.rc == WD_OK) {
    char *s = json_dumps(bundle, JSON_INDENT(2));
    if (!s) {
      c.rc = WD_ERR_NOMEM;
    } else {
      *out = s;
      *len = strlen(s);
    }
  }
  json_decref(c.objects);
  json_decref(c.sco_refs);
  json_decref(seen);
  json_decref(bundle);
  return c.rc;
}
