/* compose.c -- notification mails (see compose.h).
 * Memory: the document and the evidence bytes live in malloc'd buffers for
 * the duration of the call; the message is handed to the caller. */
#include "notify/compose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "incident/evidence.h"
#include "notify/codec.h"
#include "notify/iodef.h"
#include "notify/mime.h"
#include "notify/stix.h"

wd_rc wd_compose_message_id(const char *incident_id, const char *party_email,
                            unsigned seq, const char *sender_email,
                            char out[WD_COMPOSE_MSGID_MAX]) {
  char key[512], u[37], id[64];
  size_t o = 0;
  for (const char *p = incident_id ? incident_id : ""; *p && o < 48; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-';
    id[o++] = ok ? c : '_';
  }
  id[o] = '\0';
  const char *at = sender_email ? strrchr(sender_email, '@') : NULL;
  if (!o || !wd_notice_email_ok(sender_email) || !at)
    return WD_ERR_INVAL;
  snprintf(key, sizeof key, "%s|%s|%u", incident_id,
           party_email ? party_email : "", seq);
  wd_rc rc = wd_codec_uuid5("6f3c1a52-9b1e-4d0a-8f57-2c4e7d9b1a30", key,
                            strlen(key), u);
  if (rc != WD_OK)
    return rc;
  snprintf(out, WD_COMPOSE_MSGID_MAX, "<ward.%s.%u.%s@%s>", id, seq, u, at + 1);
  return WD_OK;
}

/* Reads the whole evidence file (at most WD_EVIDENCE_REWRITE_INPUT_MAX
 * bytes) when its SHA-256 is the recorded one: the capture is the one the
 * incident names, not something else under its name. */
static bool read_evidence(const wd_notice_incident_t *n, uint8_t **data,
                          size_t *len) {
  *data = NULL;
  *len = 0;
  if (!n->evidence_path || !wd_notice_sha256_ok(n->evidence_sha256))
    return false;
  FILE *f = fopen(n->evidence_path, "rb");
  if (!f) {
    wd_log(WD_LOG_WARN, "notify", "%s: evidence not readable: %s",
           n->evidence_path, strerror(errno));
    return false;
  }
  struct stat st;
  bool ok = false;
  uint8_t *buf = NULL;
  char hex[65];
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      (uint64_t)st.st_size > WD_EVIDENCE_REWRITE_INPUT_MAX)
    goto out;
  buf = malloc((size_t)st.st_size);
  if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
    goto out;
  if (wd_evidence_sha256_buffer(buf, (size_t)st.st_size, hex) != WD_OK)
    goto out;
  if (strcasecmp(hex, n->evidence_sha256) != 0) {
    wd_log(WD_LOG_WARN, "notify",
           "%s: SHA-256 differs from the recorded one; not attached",
           n->evidence_path);
    goto out;
  }
  ok = true;
out:
  fclose(f);
  if (ok) {
    *data = buf;
    *len = (size_t)st.st_size;
  } else {
    free(buf);
  }
  return ok;
}

/* The evidence this party gets (see compose.h): into m (a copy of the
 * notice) its name, size and hash; the bytes to attach into *pcap when
 * they are at most max. */
typedef struct evid {
  char sha[65];
  char name[160];
  uint8_t *bytes;
  size_t len;
} evid_t;

static void evidence_for(wd_notice_incident_t *m, uint64_t max, evid_t *e,
                         uint8_t **pcap, size_t *pcap_len) {
  const char *policy = wd_notice_evidence_policy(m);
  *pcap = NULL;
  *pcap_len = 0;
  if (!strcmp(policy, "omit")) {
    m->evidence_withheld = m->evidence_sha256 != NULL;
    m->evidence_sha256 = NULL;
    m->evidence_bytes = 0;
    return;
  }
  if (!read_evidence(m, &e->bytes, &e->len)) {
    if (m->evidence_path && strcmp(policy, "full") != 0) {
      /* a capture we cannot read cannot be rewritten: name no hash */
      m->evidence_sha256 = NULL;
      m->evidence_bytes = 0;
    }
    return;
  }
  /* full: as recorded -- unless the capture also shows another facility's
     internal hosts, which a facility's team gets rewritten */
  bool full = !strcmp(policy, "full");
  if (full && (!m->privacy || m->privacy->own_all)) {
    m->evidence_bytes = e->len;
  } else {
    /* rewrite: what is internal and not this party's own */
    const wd_notice_privacy_t *pv = m->privacy;
    static const char *const private_nets[] = {"10.0.0.0/8", "172.16.0.0/12",
                                               "192.168.0.0/16", "fc00::/7"};
    wd_cidr_t fallback[4 + WD_NOTICE_ADDRS_MAX];
    size_t nf = 0;
    const char *names[64 + WD_NOTICE_ADDRS_MAX];
    size_t nn = 0;
    wd_evidence_redact_t r = {0};
    if (pv) {
      r.withhold = pv->internal;
      r.n_withhold = pv->n_internal;
      if (wd_notice_is_internal_party(m) && !pv->own_all) {
        r.keep = pv->own;
        r.n_keep = pv->n_own;
      }
      for (size_t i = 0; i < pv->n_names && nn < 64; i++)
        if (!wd_notice_name_disclosed(m, pv->names[i]))
          names[nn++] = pv->names[i];
    } else {
      for (size_t i = 0; i < 4; i++)
        if (wd_cidr_parse(private_nets[i], &fallback[nf]) == WD_OK)
          nf++;
    }
    /* the targets are internal whatever the configuration says */
    for (size_t i = 0;
         i < m->n_targets && nf < sizeof fallback / sizeof fallback[0]; i++) {
      if (!wd_notice_target_disclosed(m, &m->targets[i]))
        fallback[nf++] = (wd_cidr_t){m->targets[i].ip, 128};
      if (m->targets[i].facility &&
          !wd_notice_name_disclosed(m, m->targets[i].facility) &&
          nn < sizeof names / sizeof names[0])
        names[nn++] = m->targets[i].facility;
    }
    /* one list: the configured networks, then the fallback ones */
    wd_cidr_t *all = malloc((r.n_withhold + nf + 1) * sizeof *all);
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256] = "";
    wd_evidence_rewrite_stats_t st;
    wd_rc rc = WD_ERR_NOMEM;
    if (all) {
      if (r.n_withhold)
        memcpy(all, r.withhold, r.n_withhold * sizeof *all);
      memcpy(all + r.n_withhold, fallback, nf * sizeof *all);
      r.withhold = all;
      r.n_withhold += nf;
      r.names = names;
      r.n_names = nn;
      rc = wd_evidence_rewrite_buffer(e->bytes, e->len, &r, &out, &out_len, &st,
                                      err, sizeof err);
    }
    free(all);
    if (full && rc == WD_OK && !st.addresses && !st.payload && !st.dropped) {
      free(out); /* nothing of another facility in it: as recorded */
      m->evidence_bytes = e->len;
      goto attach;
    }
    free(e->bytes);
    e->bytes = NULL;
    e->len = 0;
    if (rc != WD_OK || !st.written) {
      wd_log(WD_LOG_WARN, "notify", "%s: evidence for %s not rewritten (%s)",
             m->id, m->party.name ? m->party.name : "?",
             rc != WD_OK ? (err[0] ? err : wd_rc_str(rc))
                         : "no frame could be kept");
      free(out);
      m->evidence_sha256 = NULL;
      m->evidence_bytes = 0;
      return;
    }
    e->bytes = out;
    e->len = out_len;
    if (wd_evidence_sha256_buffer(out, out_len, e->sha) != WD_OK) {
      m->evidence_sha256 = NULL;
      m->evidence_bytes = 0;
      return;
    }
    /* "WARD-2026-000042.pcap" -> "WARD-2026-000042-rewritten.pcap" */
    const char *base = wd_notice_basename(m->evidence_path);
    size_t bl = strlen(base);
    if (bl > 5 && !strcmp(base + bl - 5, ".pcap"))
      bl -= 5;
    snprintf(e->name, sizeof e->name, "%.*s-rewritten.pcap",
             (int)(bl < 100 ? bl : 100), base);
    m->evidence_name = e->name;
    m->evidence_sha256 = e->sha;
    m->evidence_bytes = out_len;
    m->evidence_rewritten = true;
  }
attach:
  if (max && e->len <= max) {
    *pcap = e->bytes;
    *pcap_len = e->len;
  }
}

/* Nothing of what goes to a party outside the facility may name an
 * internal address or a facility's name. */
static bool leaks(const wd_notice_incident_t *m, const char *part,
                  const char *text, size_t len, char *err, size_t errlen) {
  char what[64];
  if (!wd_notice_leaks(m, text, len, what, sizeof what))
    return false;
  snprintf(err, errlen,
           "the %s for %s would show %s; not sent (a bug in ward: please "
           "report it)",
           part, m->party.name ? m->party.name : "the party", what);
  return true;
}

wd_rc wd_compose(const wd_notice_incident_t *n, const wd_compose_opts_t *o,
                 wd_composed_t *out, char *err, size_t errlen) {
  wd_rc rc;
  char *doc = NULL, fn_doc[96], fn_pcap[160];
  size_t doc_len = 0, pcap_len = 0;
  uint8_t *pcap = NULL;
  wd_mime_part_t parts[2];
  size_t np = 0;
  wd_strbuf_t body, msg;
  evid_t ev;
  wd_notice_attacker_t *shown = NULL;
  memset(&ev, 0, sizeof ev);

  memset(out, 0, sizeof *out);
  wd_strbuf_init(&body, 1u << 20);
  wd_strbuf_init(&msg, 0);
  if (!n->id || !wd_mime_msgid_ok(n->message_id)) {
    snprintf(err, errlen, "notification without id or Message-ID");
    rc = WD_ERR_INVAL;
    goto out;
  }
  /* the sources this party may see (never an internal one outside its
     own facility), then the evidence: the documents name the capture
     actually offered */
  wd_notice_incident_t m = *n;
  shown = m.n_attackers ? malloc(m.n_attackers * sizeof *shown) : NULL;
  if (m.n_attackers && !shown) {
    rc = WD_ERR_NOMEM;
    goto out;
  }
  size_t ns = 0;
  for (size_t i = 0; i < m.n_attackers; i++) {
    if (wd_notice_addr_withheld(&m, &m.attackers[i].ip)) {
      m.n_withheld_sources++;
      continue;
    }
    shown[ns] = m.attackers[i];
    wd_addr_t by;
    if (shown[ns].infected_by &&
        (wd_addr_parse(shown[ns].infected_by, &by) != WD_OK ||
         wd_notice_addr_withheld(&m, &by)))
      shown[ns].infected_by = NULL;
    ns++;
  }
  m.attackers = shown;
  m.n_attackers = ns;
  evidence_for(&m, o ? o->max_attachment : 0, &ev, &pcap, &pcap_len);
  const char *fmt = m.party.format ? m.party.format : "text";
  const char *doc_name = NULL;
  if (!strcmp(fmt, "iodef")) {
    rc = wd_iodef_build(&m, &doc, &doc_len);
    snprintf(fn_doc, sizeof fn_doc, "%s-iodef.xml", m.id);
    parts[np].content_type = "application/xml";
    doc_name = "IODEF 2.0 (RFC 7970)";
    out->doc = "iodef";
  } else if (!strcmp(fmt, "stix")) {
    rc = wd_stix_build(&m, &doc, &doc_len);
    snprintf(fn_doc, sizeof fn_doc, "%s-stix.json", m.id);
    parts[np].content_type = "application/json";
    doc_name = "STIX 2.1";
    out->doc = "stix";
  } else {
    rc = WD_OK;
  }
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s document: %s", fmt, wd_rc_str(rc));
    goto out;
  }
  if (doc) {
    if (leaks(&m, "document", doc, doc_len, err, errlen)) {
      rc = WD_ERR_STATE;
      goto out;
    }
    parts[np].filename = fn_doc;
    parts[np].data = doc;
    parts[np].len = doc_len;
    np++;
  }
  if (pcap) {
    snprintf(fn_pcap, sizeof fn_pcap, "%s", wd_notice_evidence_name(&m));
    parts[np].filename = fn_pcap;
    parts[np].content_type = "application/vnd.tcpdump.pcap";
    parts[np].data = pcap;
    parts[np].len = pcap_len;
    np++;
    out->pcap_attached = true;
  }
  wd_text_subject(&m, out->subject, sizeof out->subject);
  rc = wd_text_body(&m, out->pcap_attached, doc_name, &body);
  if (rc != WD_OK) {
    snprintf(err, errlen, "text body: %s", wd_rc_str(rc));
    goto out;
  }
  if (leaks(&m, "subject", out->subject, strlen(out->subject), err, errlen) ||
      leaks(&m, "text", wd_strbuf_str(&body), body.len, err, errlen) ||
      (m.party.name && leaks(&m, "recipient name", m.party.name,
                             strlen(m.party.name), err, errlen))) {
    rc = WD_ERR_STATE;
    goto out;
  }
  wd_mime_msg_t mm = {
      .from_name = m.sender_name,
      .from_addr = m.sender_email,
      .to_name = m.party.name,
      .to_addr = m.party.email,
      .subject = out->subject,
      .message_id = m.message_id,
      .in_reply_to = m.reminder ? m.first_message_id : NULL,
      .references = m.reminder ? m.first_message_id : NULL,
      .date_ns = m.report_ns,
      .body = wd_strbuf_str(&body),
      .parts = parts,
      .n_parts = np,
  };
  if (mm.in_reply_to && !wd_mime_msgid_ok(mm.in_reply_to))
    mm.in_reply_to = mm.references = NULL;
  rc = wd_mime_build(&mm, &msg, err, errlen);
  if (rc == WD_OK)
    out->msg = wd_strbuf_take(&msg, &out->len);
out:
  wd_strbuf_fini(&body);
  wd_strbuf_fini(&msg);
  free(doc);
  free(ev.bytes);
  free(shown);
  return rc;
}

void wd_composed_fini(wd_composed_t *c) {
  free(c->msg);
  c->msg = NULL;
  c->len = 0;
}
