/* iodef.c -- IODEF 2.0 documents for ward's incidents (see iodef.h).
 * Memory: one libxml2 document per call, freed before returning; the
 * serialized text is copied to a malloc'd buffer for the caller.
 * Mapping per incident kind: exploit -> SystemImpact takeover-system;
 * system compromise and worm -> takeover-system succeeded; DDoS ->
 * availability-service with spoofed sources marked spoofed="yes" and
 * reflectors as intermediate systems; scanning -> impact unknown. */
#include "notify/iodef.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/catalog.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "detect/detector.h"
#include "notify/codec.h"

#define DS_NS "http://www.w3.org/2000/09/xmldsig#"

typedef struct ctx {
  xmlDocPtr doc;
  xmlNsPtr ns; /* iodef, default namespace */
  xmlNsPtr ds; /* xmldsig */
  wd_rc rc;
  const wd_notice_incident_t *n;
} ctx_t;

/* Child element with already clean text (or none). */
static xmlNodePtr el(ctx_t *c, xmlNodePtr parent, const char *name,
                     const char *text) {
  if (!parent)
    return NULL;
  xmlNodePtr x = xmlNewTextChild(parent, c->ns, BAD_CAST name,
                                 text ? BAD_CAST text : NULL);
  if (!x)
    c->rc = WD_ERR_NOMEM;
  return x;
}

/* Child element whose text may come from the network. */
static xmlNodePtr elc(ctx_t *c, xmlNodePtr parent, const char *name,
                      const char *raw) {
  char buf[WD_NOTICE_STR_MAX];
  wd_notice_clean(raw, strlen(raw), buf, sizeof buf, WD_CLEAN_ONELINE);
  return el(c, parent, name, buf);
}

static void attr(ctx_t *c, xmlNodePtr x, const char *name, const char *v) {
  char buf[WD_NOTICE_STR_MAX];
  if (!x)
    return;
  wd_notice_clean(v, strlen(v), buf, sizeof buf, WD_CLEAN_ONELINE);
  if (!xmlNewProp(x, BAD_CAST name, BAD_CAST buf))
    c->rc = WD_ERR_NOMEM;
}

static void lang(ctx_t *c, xmlNodePtr x) {
  if (x)
    xmlNodeSetLang(x, BAD_CAST "en");
  (void)c;
}

static xmlNodePtr el_time(ctx_t *c, xmlNodePtr parent, const char *name,
                          uint64_t ns) {
  char t[32];
  return el(c, parent, name, wd_notice_time_iso(ns, t, sizeof t));
}

static xmlNodePtr el_u64(ctx_t *c, xmlNodePtr parent, const char *name,
                         uint64_t v) {
  char t[24];
  snprintf(t, sizeof t, "%" PRIu64, v);
  return el(c, parent, name, t);
}

static void counter(ctx_t *c, xmlNodePtr parent, const char *type,
                    const char *unit, const char *duration, double v) {
  char t[48];
  snprintf(t, sizeof t, "%.6g", v);
  xmlNodePtr x = el(c, parent, "Counter", t);
  attr(c, x, "type", type);
  attr(c, x, "unit", unit);
  if (duration)
    attr(c, x, "duration", duration);
}

static const char *sender_domain(const wd_notice_incident_t *n) {
  const char *at = n->sender_email ? strrchr(n->sender_email, '@') : NULL;
  return at && at[1] ? at + 1 : "ward";
}

static void contact(ctx_t *c, xmlNodePtr inc, const char *role,
                    const char *name, const char *email, bool tz) {
  xmlNodePtr x = el(c, inc, "Contact", NULL);
  attr(c, x, "role", role);
  attr(c, x, "type", "organization");
  if (name)
    elc(c, x, "ContactName", name);
  if (wd_notice_email_ok(email)) {
    xmlNodePtr e = el(c, x, "Email", NULL);
    el(c, e, "EmailTo", email);
  }
  if (tz)
    el(c, x, "Timezone", "Z");
}

static const char *party_role(const wd_notice_incident_t *n) {
  const char *k = n->party.kind ? n->party.kind : "";
  if (!strcmp(k, "isp-abuse"))
    return "abuse";
  if (!strcmp(k, "law-enforcement"))
    return "leo";
  if (!strcmp(k, "facility-soc"))
    return "tech";
  return "irt";
}

/* The request made of the recipient, one paragraph, shared with text.c's
 * wording in spirit. */
static const char *ask(const wd_notice_incident_t *n, wd_notice_kind k) {
  bool internal = wd_notice_is_internal_party(n);
  switch (k) {
  case WD_NOTICE_COMPROMISE:
  case WD_NOTICE_WORM:
    return internal ? "Please isolate the listed hosts, remove the implant "
                      "and patch MS17-010/SMBv1 before reconnecting them."
                    : "Please identify and isolate the listed source "
                      "hosts: they are probably compromised and attack "
                      "other networks.";
  case WD_NOTICE_EXPLOIT:
    return "Please identify the listed source hosts and stop the "
           "exploitation attempts; they are probably compromised.";
  case WD_NOTICE_DDOS:
    return "Please check the listed hosts: reflectors should be closed or "
           "rate-limited, and sources that are not spoofed stopped.";
  case WD_NOTICE_SCAN:
    return "Please identify the listed source hosts and stop the scanning.";
  case WD_NOTICE_OTHER:
    break;
  }
  return "Please investigate the listed hosts.";
}

static void assessment(ctx_t *c, xmlNodePtr inc, wd_notice_kind k) {
  const wd_notice_incident_t *n = c->n;
  char cat[256];
  xmlNodePtr a = el(c, inc, "Assessment", NULL);
  attr(c, a, "occurrence", "actual");
  snprintf(cat, sizeof cat, "%s/%s", n->rsit_class ? n->rsit_class : "other",
           n->rsit_type ? n->rsit_type : "other");
  lang(c, elc(c, a, "IncidentCategory", cat));
  xmlNodePtr si = el(c, a, "SystemImpact", NULL);
  attr(c, si, "severity", wd_notice_severity3(n->severity));
  const char *type = "unknown", *completion = NULL;
  switch (k) {
  case WD_NOTICE_EXPLOIT:
    type = "takeover-system";
    break;
  case WD_NOTICE_COMPROMISE:
  case WD_NOTICE_WORM:
    type = "takeover-system";
    completion = "succeeded";
    break;
  case WD_NOTICE_DDOS:
    type = "availability-service";
    break;
  case WD_NOTICE_SCAN:
  case WD_NOTICE_OTHER:
    break;
  }
  if (completion)
    attr(c, si, "completion", completion);
  attr(c, si, "type", type);
  lang(c, elc(c, si, "Description", wd_notice_kind_name(k)));
  if (n->alerts)
    counter(c, a, "counter", "alert", NULL, (double)n->alerts);
  if (n->packets)
    counter(c, a, "counter", "packet", NULL, (double)n->packets);
  if (n->peak_pps)
    counter(c, a, "rate", "packet", "second", (double)n->peak_pps);
  if (n->peak_bps)
    counter(c, a, "rate", "mbit", "second", (double)n->peak_bps / 1e6);
  if (k == WD_NOTICE_WORM && n->n_attackers)
    counter(c, a, "counter", "host", NULL, (double)n->n_attackers);
  xmlNodePtr conf = el(c, a, "Confidence", NULL);
  attr(c, conf, "rating", wd_notice_unreliable(n) ? "medium" : "high");
}

static void method(ctx_t *c, xmlNodePtr inc) {
  const wd_notice_incident_t *n = c->n;
  char line[WD_NOTICE_STR_MAX], desc[WD_NOTICE_STR_MAX];
  size_t o = 0;
  wd_notice_catf(line, sizeof line, &o, "Detected by ward:");
  for (size_t i = 0; i < n->n_detectors && i < 16; i++) {
    const char *d = n->detectors[i] ? n->detectors[i] : "?";
    wd_notice_catf(line, sizeof line, &o, "%s %s", i ? "," : "", d);
  }
  xmlNodePtr m = el(c, inc, "Method", NULL);
  const wd_detector_ref_t *refs[WD_NOTICE_REFS_MAX];
  size_t nr = wd_notice_refs(n, refs, WD_NOTICE_REFS_MAX);
  for (size_t i = 0; i < nr; i++) {
    xmlNodePtr r = el(c, m, "Reference", NULL);
    el(c, r, "URL", refs[i]->url);
    size_t k = 0;
    const char *id = refs[i]->id, *title = refs[i]->title;
    wd_notice_catf(desc, sizeof desc, &k, "%s%s%s", id ? id : "",
                   id && title ? ", " : "", title ? title : "");
    lang(c, el(c, r, "Description", desc));
  }
  lang(c, elc(c, m, "Description", line));
}

static void system_attacker(ctx_t *c, xmlNodePtr flow,
                            const wd_notice_attacker_t *a) {
  char ip[WD_ADDR_STRLEN], d[WD_NOTICE_STR_MAX];
  xmlNodePtr sys = el(c, flow, "System", NULL);
  attr(c, sys, "category",
       a->role == WD_NOTICE_ROLE_REFLECTOR ? "intermediate" : "source");
  attr(c, sys, "spoofed", a->attribution_reliable ? "no" : "yes");
  xmlNodePtr node = el(c, sys, "Node", NULL);
  xmlNodePtr ad = el(c, node, "Address", wd_addr_str(&a->ip, ip));
  attr(c, ad, "category", wd_addr_is_v4(&a->ip) ? "ipv4-addr" : "ipv6-addr");
  if (wd_notice_country_ok(a->country))
    lang(c, el(c, node, "Location", a->country));
  size_t o = 0;
  d[0] = '\0';
  if (a->asn)
    wd_notice_catf(d, sizeof d, &o, "AS%" PRIu32 " ", a->asn);
  if (a->as_org)
    wd_notice_catf(d, sizeof d, &o, "%s; ", a->as_org);
  wd_notice_catf(d, sizeof d, &o, "country %s",
                 wd_notice_country_ok(a->country) ? a->country : "unknown");
  if (a->role == WD_NOTICE_ROLE_REFLECTOR)
    wd_notice_catf(d, sizeof d, &o, "; abused as a reflector/amplifier");
  if (!a->attribution_reliable)
    wd_notice_catf(d, sizeof d, &o, "; attribution unreliable: %s",
                   a->reason ? a->reason : "source may be spoofed");
  if (a->infected_by)
    wd_notice_catf(d, sizeof d, &o, "; infected by %s", a->infected_by);
  lang(c, elc(c, sys, "Description", d));
}

static void system_target(ctx_t *c, xmlNodePtr flow,
                          const wd_notice_target_t *t) {
  const wd_notice_incident_t *n = c->n;
  char ip[WD_ADDR_STRLEN], d[WD_NOTICE_STR_MAX], num[8];
  xmlNodePtr sys = el(c, flow, "System", NULL);
  attr(c, sys, "category", "target");
  attr(c, sys, "ownership", "organization");
  xmlNodePtr node = el(c, sys, "Node", NULL);
  xmlNodePtr ad = el(c, node, "Address", wd_addr_str(&t->ip, ip));
  attr(c, ad, "category", wd_addr_is_v4(&t->ip) ? "ipv4-addr" : "ipv6-addr");
  if (t->port || n->proto) {
    xmlNodePtr sv = el(c, sys, "Service", NULL);
    if (n->proto) {
      snprintf(num, sizeof num, "%u", (unsigned)n->proto);
      attr(c, sv, "ip-protocol", num);
    }
    if (t->port)
      el_u64(c, sv, "Port", t->port);
  }
  if (wd_notice_is_internal_party(n) && t->facility &&
      wd_notice_name_disclosed(n, t->facility))
    snprintf(d, sizeof d, "%s (%s sector)", t->facility,
             t->sector ? t->sector : "unknown");
  else
    snprintf(d, sizeof d, "host of a %s-sector facility",
             t->sector ? t->sector : "critical");
  lang(c, elc(c, sys, "Description", d));
}

static void record(ctx_t *c, xmlNodePtr ev) {
  const wd_notice_incident_t *n = c->n;
  bool hash = wd_notice_sha256_ok(n->evidence_sha256);
  size_t nd = n->n_details < WD_NOTICE_DETAILS_MAX ? n->n_details
                                                   : WD_NOTICE_DETAILS_MAX;
  if (!hash && !nd && !n->n_intel)
    return;
  xmlNodePtr rec = el(c, ev, "Record", NULL);
  xmlNodePtr rd = el(c, rec, "RecordData", NULL);
  el_time(c, rd, "DateTime", n->first_seen_ns);
  if (hash) {
    char d[WD_NOTICE_STR_MAX];
    snprintf(d, sizeof d,
             "Evidence capture (pcap excerpt), SHA-256 %s; available on "
             "request if not attached.%s",
             n->evidence_sha256,
             n->evidence_rewritten
                 ? " Internal addresses of the facility are replaced by "
                   "documentation-network placeholders."
                 : "");
    lang(c, elc(c, rd, "Description", d));
  }
  for (size_t i = 0; i < nd; i++)
    if (n->details[i])
      lang(c, elc(c, rd, "Description", n->details[i]));
  for (size_t i = 0; i < n->n_intel; i++) {
    char line[4 * WD_NOTICE_STR_MAX], d[4 * WD_NOTICE_STR_MAX + 64];
    wd_notice_intel_line(&n->intel[i], line, sizeof line);
    snprintf(d, sizeof d, "Threat-intelligence indicator matched: %s", line);
    lang(c, elc(c, rd, "Description", d));
  }
  if (hash) {
    uint8_t dig[32];
    wd_strbuf_t b64;
    wd_strbuf_init(&b64, 256);
    wd_codec_hex_decode(n->evidence_sha256, dig, sizeof dig);
    wd_codec_base64(&b64, dig, sizeof dig, 0);
    xmlNodePtr fd = el(c, rd, "FileData", NULL);
    xmlNodePtr f = el(c, fd, "File", NULL);
    if (wd_notice_evidence_name(n))
      elc(c, f, "FileName", wd_notice_evidence_name(n));
    if (n->evidence_bytes)
      el_u64(c, f, "FileSize", n->evidence_bytes);
    xmlNodePtr hd = el(c, f, "HashData", NULL);
    attr(c, hd, "scope", "file-contents");
    xmlNodePtr h = el(c, hd, "Hash", NULL);
    if (h) {
      xmlNodePtr dm = xmlNewChild(h, c->ds, BAD_CAST "DigestMethod", NULL);
      attr(c, dm, "Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256");
      if (!dm || !xmlNewTextChild(h, c->ds, BAD_CAST "DigestValue",
                                  BAD_CAST wd_strbuf_str(&b64)))
        c->rc = WD_ERR_NOMEM;
    }
    wd_strbuf_fini(&b64);
  }
}

static void event_data(ctx_t *c, xmlNodePtr inc, wd_notice_kind k) {
  const wd_notice_incident_t *n = c->n;
  size_t na = n->n_attackers < WD_NOTICE_ADDRS_MAX ? n->n_attackers
                                                   : WD_NOTICE_ADDRS_MAX;
  size_t nt = 0, shown_t = 0;
  for (size_t i = 0; i < n->n_targets; i++)
    nt += wd_notice_target_disclosed(n, &n->targets[i]);
  xmlNodePtr ev = el(c, inc, "EventData", NULL);
  char d[WD_NOTICE_STR_MAX];
  if (n->n_attackers > na) {
    snprintf(d, sizeof d,
             "%zu source addresses in total; the first %zu are listed.",
             n->n_attackers, na);
    lang(c, el(c, ev, "Description", d));
  }
  if (nt < n->n_targets) {
    snprintf(d, sizeof d,
             "%zu targeted hosts in total; internal addresses are withheld.",
             n->n_targets);
    lang(c, el(c, ev, "Description", d));
  }
  if (na || nt) {
    xmlNodePtr flow = el(c, ev, "Flow", NULL);
    for (size_t i = 0; i < na; i++)
      system_attacker(c, flow, &n->attackers[i]);
    for (size_t i = 0; i < n->n_targets && shown_t < WD_NOTICE_ADDRS_MAX; i++) {
      if (!wd_notice_target_disclosed(n, &n->targets[i]))
        continue;
      system_target(c, flow, &n->targets[i]);
      shown_t++;
    }
  }
  xmlNodePtr ex = el(c, ev, "Expectation", NULL);
  attr(c, ex, "action",
       wd_notice_is_internal_party(n) ? "investigate" : "contact-source-site");
  attr(c, ex, "severity", wd_notice_severity3(n->severity));
  lang(c, el(c, ex, "Description", ask(n, k)));
  record(c, ev);
}

wd_rc wd_iodef_build(const wd_notice_incident_t *n, char **out, size_t *len) {
  ctx_t c = {.n = n, .rc = WD_OK};
  char d[WD_NOTICE_STR_MAX];
  *out = NULL;
  *len = 0;
  if (!n->id)
    return WD_ERR_INVAL;
  wd_notice_kind k = wd_notice_kind_of(n);
  c.doc = xmlNewDoc(BAD_CAST "1.0");
  if (!c.doc)
    return WD_ERR_NOMEM;
  xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "IODEF-Document");
  if (!root) {
    xmlFreeDoc(c.doc);
    return WD_ERR_NOMEM;
  }
  xmlDocSetRootElement(c.doc, root);
  c.ns = xmlNewNs(root, BAD_CAST WD_IODEF_NS, NULL);
  c.ds = xmlNewNs(root, BAD_CAST DS_NS, BAD_CAST "ds");
  if (!c.ns || !c.ds)
    c.rc = WD_ERR_NOMEM;
  xmlSetNs(root, c.ns);
  attr(&c, root, "version", "2.00");
  lang(&c, root);

  xmlNodePtr inc = el(&c, root, "Incident", NULL);
  attr(&c, inc, "purpose", "mitigation");
  attr(&c, inc, "status", "new");
  attr(&c, inc, "restriction", "amber");
  xmlNodePtr id = elc(&c, inc, "IncidentID", n->id);
  attr(&c, id, "name", sender_domain(n));
  el_time(&c, inc, "DetectTime", n->first_seen_ns);
  el_time(&c, inc, "StartTime", n->first_seen_ns);
  if (!n->ongoing && n->last_seen_ns)
    el_time(&c, inc, "EndTime", n->last_seen_ns);
  el_time(&c, inc, "ReportTime", n->report_ns);
  el_time(&c, inc, "GenerationTime", n->report_ns);
  /* the correlator's summary names hosts and the facility: only for the
     facility's own team */
  if (n->summary && wd_notice_is_internal_party(n)) {
    lang(&c, elc(&c, inc, "Description", n->summary));
  } else {
    wd_notice_describe(n, d, sizeof d);
    lang(&c, elc(&c, inc, "Description", d));
  }
  if (n->reminder) {
    char t[32];
    snprintf(d, sizeof d, "Reminder: first notified %s, no reply received yet.",
             wd_notice_time_iso(n->first_sent_ns, t, sizeof t));
    lang(&c, el(&c, inc, "Description", d));
  }
  xmlNodePtr disc = el(&c, inc, "Discovery", NULL);
  attr(&c, disc, "source", "nidps");
  lang(&c, el(&c, disc, "Description",
              "Network intrusion detection sensor (ward) on the reporting "
              "organization's networks"));
  assessment(&c, inc, k);
  method(&c, inc);
  contact(&c, inc, "creator", n->sender_name, n->sender_email, true);
  contact(&c, inc, party_role(n), n->party.name, n->party.email, false);
  event_data(&c, inc, k);

  if (c.rc == WD_OK) {
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(c.doc, &mem, &size, "UTF-8", 1);
    if (!mem || size <= 0) {
      c.rc = WD_ERR_NOMEM;
    } else {
      *out = malloc((size_t)size + 1);
      if (!*out) {
        c.rc = WD_ERR_NOMEM;
      } else {
        memcpy(*out, mem, (size_t)size);
        (*out)[size] = '\0';
        *len = (size_t)size;
      }
    }
    xmlFree(mem);
  }
  xmlFreeDoc(c.doc);
  return c.rc;
}

/* --- validation ------------------------------------------------------ */

typedef struct errsink {
  char *buf;
  size_t len;
  int count;
} errsink_t;

static void on_error(void *user, xmlErrorPtr e) {
  errsink_t *s = user;
  if (s->count++ || !s->buf || !s->len || !e)
    return;
  snprintf(s->buf, s->len, "line %d: %s", e->line,
           e->message ? e->message : "error");
  size_t l = strlen(s->buf);
  while (l && (s->buf[l - 1] == '\n'))
    s->buf[--l] = '\0';
}

static void on_generic(void *user, const char *msg, ...) {
  (void)user;
  (void)msg;
}

wd_rc wd_iodef_validate(const char *xml, size_t len, const char *schema_dir,
                        char *err, size_t errlen) {
  static char loaded[4096];
  char path[4096];
  errsink_t sink = {err, errlen, 0};
  wd_rc rc = WD_OK;
  xmlSchemaParserCtxtPtr pc = NULL;
  xmlSchemaPtr schema = NULL;
  xmlSchemaValidCtxtPtr vc = NULL;
  xmlDocPtr doc = NULL;

  if (err && errlen)
    err[0] = '\0';
  xmlSetGenericErrorFunc(NULL, on_generic);
  snprintf(path, sizeof path, "%s/catalog.xml", schema_dir);
  if (strcmp(loaded, path) != 0) {
    if (xmlLoadCatalog(path) != 0) {
      snprintf(err, errlen, "%s: cannot load catalog", path);
      return WD_ERR_IO;
    }
    snprintf(loaded, sizeof loaded, "%s", path);
  }
  snprintf(path, sizeof path, "%s/iodef-2.0.xsd", schema_dir);
  pc = xmlSchemaNewParserCtxt(path);
  if (!pc) {
    rc = WD_ERR_NOMEM;
    goto out;
  }
  xmlSchemaSetParserStructuredErrors(pc, on_error, &sink);
  schema = xmlSchemaParse(pc);
  if (!schema) {
    if (err && !sink.count)
      snprintf(err, errlen, "%s: cannot load schema", path);
    rc = WD_ERR_IO;
    goto out;
  }
  doc =
      xmlReadMemory(xml, (int)len, "iodef.xml", NULL,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    if (err)
      snprintf(err, errlen, "not well-formed XML");
    rc = WD_ERR_INVAL;
    goto out;
  }
  vc = xmlSchemaNewValidCtxt(schema);
  if (!vc) {
    rc = WD_ERR_NOMEM;
    goto out;
  }
  xmlSchemaSetValidStructuredErrors(vc, on_error, &sink);
  if (xmlSchemaValidateDoc(vc, doc) != 0)
    rc = WD_ERR_INVAL;
out:
  xmlSchemaFreeValidCtxt(vc);
  xmlFreeDoc(doc);
  xmlSchemaFree(schema);
  xmlSchemaFreeParserCtxt(pc);
  return rc;
}
