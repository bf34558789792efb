/* outbox.h -- the durable notification outbox in ward's database.
 * In: incidents in the store (src/store), the sender's settings, a
 * transport (SMTP or an .eml directory) and the current wall-clock time
 * (passed in, so tests control it). Out: rows of the `notifications`
 * and `replies` tables (their migration, "notification outbox and
 * replies", is an entry of wd_store_migrations in store_schema.c, since
 * the store stage cannot refer to later stages) and mail handed to the
 * transport.
 *
 * Life of a notification: queued (in the same transaction that moves the
 * incident from new to notified) -> composed once (the exact bytes, with
 * their Message-ID and Date, are stored before the first attempt) ->
 * `sending` recorded and committed BEFORE the transport is called -> sent
 * (committed after the server accepted the DATA or the .eml was written)
 * or back to queued with exponential backoff, or failed after a permanent
 * refusal or WD_OUTBOX_ATTEMPTS_MAX attempts.
 *
 * Crash safety: a SIGKILL at any point leaves every notification in one of
 * these states, so nothing is lost: a row found `sending` at start-up is
 * retried. `sent` is committed from inside the SMTP dialogue, the moment
 * the server answers the end of DATA with 2xx (before QUIT), so the only
 * window for a duplicate is between the server storing the message and
 * our commit of that answer (well under a millisecond on loopback): a
 * kill there makes the retry send the byte-identical message with the
 * same Message-ID, which mail
 * stores and ticket systems that deduplicate by Message-ID drop, and which
 * this database counts once. The .eml transport has no such window: its
 * file is named after the Message-ID and never written twice. Exactly-once
 * over SMTP is impossible without the server's help; we chose "never
 * lost, at worst an identical copy" over "at most once, maybe lost". */
#ifndef WD_NOTIFY_OUTBOX_H
#define WD_NOTIFY_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rc.h"
#include "notify/compose.h"
#include "notify/transport.h"
#include "store/store.h"

/* Retry schedule: 1 min, 2, 4, ... capped at 6 h; failed after 40. */
#define WD_OUTBOX_RETRY_BASE_S 60
#define WD_OUTBOX_RETRY_MAX_S 21600
#define WD_OUTBOX_ATTEMPTS_MAX 40
/* Notifications handled per run (the rest wait for the next run). */
#define WD_OUTBOX_BATCH_MAX 10000

typedef struct wd_outbox_sender {
  const char *name;  /* notify.sender_name */
  const char *email; /* notify.from */
  wd_compose_opts_t compose;
} wd_outbox_sender_t;

typedef struct wd_outbox_stats {
  uint64_t queued;    /* new notifications */
  uint64_t no_party;  /* incidents without a usable party address */
  uint64_t sent;      /* accepted by the transport this run */
  uint64_t retried;   /* transient failures, back in the queue */
  uint64_t failed;    /* permanent failures */
  uint64_t reminders; /* reminders queued */
  uint64_t waiting;   /* queued but not yet due */
} wd_outbox_stats_t;

/* Queues a first notification for every incident with status new (or
 * only incident_id when not NULL), each in one transaction with the move
 * to notified. Idempotent: one notification per (incident, party, seq). */
wd_rc wd_outbox_queue(wd_store_t *s, const wd_outbox_sender_t *snd,
                      const char *incident_id, uint64_t now_ns,
                      wd_outbox_stats_t *st, char *err, size_t errlen);

/* Queues one reminder (seq 2) for each first notification sent, past its
 * party's deadline, without a human reply and without a reminder yet. */
wd_rc wd_outbox_reminders(wd_store_t *s, const wd_outbox_sender_t *snd,
                          uint64_t now_ns, wd_outbox_stats_t *st, char *err,
                          size_t errlen);

/* Sends what is due (everything queued when retry_now). */
wd_rc wd_outbox_run(wd_store_t *s, const wd_outbox_sender_t *snd,
                    const wd_transport_t *t, uint64_t now_ns, bool retry_now,
                    wd_outbox_stats_t *st, char *err, size_t errlen);

/* Prints one line per notification (newest first, at most limit). */
wd_rc wd_outbox_status(wd_store_t *s, FILE *out, size_t limit);

/* Seconds to wait after the n-th failed attempt (n >= 1). */
uint64_t wd_outbox_backoff_s(unsigned attempts);

/* Builds the notice of a stored incident; strings and arrays point into
 * inc and into buf, valid while both live. */
typedef struct wd_outbox_notice_buf {
  wd_notice_attacker_t att[WD_NOTICE_ADDRS_MAX];
  wd_notice_target_t tgt[WD_NOTICE_ADDRS_MAX];
  const char *detectors[16];
  char msgid[WD_COMPOSE_MSGID_MAX];
  char first_msgid[WD_COMPOSE_MSGID_MAX];
} wd_outbox_notice_buf_t;

void wd_outbox_notice_of(const wd_store_incident_t *inc,
                         const wd_outbox_sender_t *snd, wd_notice_incident_t *n,
                         wd_outbox_notice_buf_t *b);

#endif
