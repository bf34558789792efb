/* text.h -- the plain-text notification a person can act on.
 * In: a wd_notice_incident_t (borrowed). Out: the subject line and the
 * body (UTF-8, LF line ends), appended to caller buffers. Tells what was
 * seen, when (UTC), from which of the recipient's addresses, against what
 * kind of facility (sector only, never facility or host names or patient
 * data, unless the recipient is the facility's own team), the evidence
 * hash, what we ask, and the reference to quote. English only for now:
 * party.language is recorded but other languages fall back to English. */
#ifndef WD_NOTIFY_TEXT_H
#define WD_NOTIFY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"
#include "core/strbuf.h"
#include "notify/notice.h"

/* Longest subject we write, in bytes (before any RFC 2047 encoding). */
#define WD_TEXT_SUBJECT_MAX 200

/* "[WARD-2026-000042] System compromise from AS29518 (SE) against a
 * healthcare facility"; one line, cleaned. */
wd_rc wd_text_subject(const wd_notice_incident_t *n, char *out, size_t len);

/* attached_pcap: the evidence capture travels with the message;
 * attached_doc: name of the machine-readable attachment ("IODEF 2.0
 * (RFC 7970)", "STIX 2.1"), or NULL. */
wd_rc wd_text_body(const wd_notice_incident_t *n, bool attached_pcap,
                   const char *attached_doc, wd_strbuf_t *out);

#endif
