/* transport.h -- where a composed notification goes: an SMTP server
 * (smtp.h) or, for demos and air-gapped sites, an outbox directory of .eml
 * files (`--outbox DIR`).
 * In: the message (borrowed) with its Message-ID fixed in advance. Out:
 * WD_OK when delivered (accepted by the server, or the file durably
 * written), WD_ERR_REFUSED when the receiving SMTP server refused the
 * recipient or the message for good, WD_AGAIN (with err) for everything
 * else: retried later.
 * The directory writer is idempotent: the file is named after the
 * Message-ID and created with O_EXCL, so a retry after a crash finds the
 * file already there and reports success without a second copy; the
 * directory is created when missing. */
#ifndef WD_NOTIFY_TRANSPORT_H
#define WD_NOTIFY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"
#include "notify/smtp.h"

typedef struct wd_transport {
  const char *outbox_dir; /* non-NULL: write .eml files here */
  wd_smtp_opts_t smtp;    /* otherwise: send over SMTP */
} wd_transport_t;

wd_rc wd_transport_send(const wd_transport_t *t, const char *from,
                        const char *to, const char *message_id, const char *msg,
                        size_t len, char *err, size_t errlen);

/* File name used for a Message-ID in the outbox: characters outside
 * [A-Za-z0-9._-] become '_', plus ".eml". */
void wd_transport_eml_name(const char *message_id, char *out, size_t len);

#endif
