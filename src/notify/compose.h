/* compose.h -- one notification mail from one incident: subject, text,
 * the machine-readable document the party asked for (IODEF or STIX), the
 * evidence capture when small enough, all in one MIME message.
 * In: a wd_notice_incident_t (borrowed) whose message_id is already fixed
 * (wd_compose_message_id), and the options. Out: a wd_composed_t owning
 * the message bytes until wd_composed_fini(). Reads the evidence file
 * (bounded by max_attachment) and attaches it only when its SHA-256 equals
 * the recorded one. */
#ifndef WD_NOTIFY_COMPOSE_H
#define WD_NOTIFY_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "notify/notice.h"
#include "notify/text.h"

#define WD_COMPOSE_MSGID_MAX 256

typedef struct wd_compose_opts {
  uint64_t max_attachment; /* notify.max_attachment: largest pcap
                              attached, bytes; 0 never attaches */
} wd_compose_opts_t;

typedef struct wd_composed {
  char *msg; /* RFC 5322 message, CRLF, NUL-terminated */
  size_t len;
  char subject[WD_TEXT_SUBJECT_MAX + 1];
  bool pcap_attached;
  const char *doc; /* "iodef", "stix" or NULL (text only) */
} wd_composed_t;

/* "<ward.WARD-2026-000042.1.<uuid5>@sender-domain>": stable for one
 * (incident, party, sequence number), so a retry reuses it. */
wd_rc wd_compose_message_id(const char *incident_id, const char *party_email,
                            unsigned seq, const char *sender_email,
                            char out[WD_COMPOSE_MSGID_MAX]);

wd_rc wd_compose(const wd_notice_incident_t *n, const wd_compose_opts_t *o,
                 wd_composed_t *out, char *err, size_t errlen);
void wd_composed_fini(wd_composed_t *c);

#endif
