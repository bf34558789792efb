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

#include <openssl/evp.h>

#include "core/log.h"
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

/* Reads the evidence file if it is at most max bytes and its SHA-256 is
 * the recorded one. */
static bool read_evidence(const wd_notice_incident_t *n, uint64_t max,
                          uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (!max || !n->evidence_path || !wd_notice_sha256_ok(n->evidence_sha256))
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
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      (uint64_t)st.st_size > max)
    goto out;
  buf = malloc((size_t)st.st_size);
  if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
    goto out;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  char hex[65];
  if (EVP_Digest(buf, (size_t)st.st_size, md, &mdlen, EVP_sha256(), NULL) !=
          1 ||
      mdlen != 32)
    goto out;
  for (unsigned i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
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

wd_rc wd_compose(const wd_notice_incident_t *n, const wd_compose_opts_t *o,
                 wd_composed_t *out, char *err, size_t errlen) {
  wd_rc rc;
  char *doc = NULL, fn_doc[96], fn_pcap[128];
  size_t doc_len = 0, pcap_len = 0;
  uint8_t *pcap = NULL;
  wd_mime_part_t parts[2];
  size_t np = 0;
  wd_strbuf_t body, msg;

  memset(out, 0, sizeof *out);
  wd_strbuf_init(&body, 1u << 20);
  wd_strbuf_init(&msg, 0);
  if (!n->id || !wd_mime_msgid_ok(n->message_id)) {
    snprintf(err, errlen, "notification without id or Message-ID");
    rc = WD_ERR_INVAL;
    goto out;
  }
  const char *fmt = n->party.format ? n->party.format : "text";
  const char *doc_name = NULL;
  if (!strcmp(fmt, "iodef")) {
    rc = wd_iodef_build(n, &doc, &doc_len);
    snprintf(fn_doc, sizeof fn_doc, "%s-iodef.xml", n->id);
    parts[np].content_type = "application/xml";
    doc_name = "IODEF 2.0 (RFC 7970)";
    out->doc = "iodef";
  } else if (!strcmp(fmt, "stix")) {
    rc = wd_stix_build(n, &doc, &doc_len);
    snprintf(fn_doc, sizeof fn_doc, "%s-stix.json", n->id);
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
    parts[np].filename = fn_doc;
    parts[np].data = doc;
    parts[np].len = doc_len;
    np++;
  }
  if (read_evidence(n, o ? o->max_attachment : 0, &pcap, &pcap_len)) {
    snprintf(fn_pcap, sizeof fn_pcap, "%s",
             wd_notice_basename(n->evidence_path));
    parts[np].filename = fn_pcap;
    parts[np].content_type = "application/vnd.tcpdump.pcap";
    parts[np].data = pcap;
    parts[np].len = pcap_len;
    np++;
    out->pcap_attached = true;
  }
  wd_text_subject(n, out->subject, sizeof out->subject);
  rc = wd_text_body(n, out->pcap_attached, doc_name, &body);
  if (rc != WD_OK) {
    snprintf(err, errlen, "text body: %s", wd_rc_str(rc));
    goto out;
  }
  wd_mime_msg_t m = {
      .from_name = n->sender_name,
      .from_addr = n->sender_email,
      .to_name = n->party.name,
      .to_addr = n->party.email,
      .subject = out->subject,
      .message_id = n->message_id,
      .in_reply_to = n->reminder ? n->first_message_id : NULL,
      .references = n->reminder ? n->first_message_id : NULL,
      .date_ns = n->report_ns,
      .body = wd_strbuf_str(&body),
      .parts = parts,
      .n_parts = np,
  };
  if (m.in_reply_to && !wd_mime_msgid_ok(m.in_reply_to))
    m.in_reply_to = m.references = NULL;
  rc = wd_mime_build(&m, &msg, err, errlen);
  if (rc == WD_OK)
    out->msg = wd_strbuf_take(&msg, &out->len);
out:
  wd_strbuf_fini(&body);
  wd_strbuf_fini(&msg);
  free(doc);
  free(pcap);
  return rc;
}

void wd_composed_fini(wd_composed_t *c) {
  free(c->msg);
  c->msg = NULL;
  c->len = 0;
}
