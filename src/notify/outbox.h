/* outbox.h -- the durable notification outbox in ward's database.
 * In: incidents in the store (src/store), the sender's settings, a
 * transport (SMTP or an .eml directory) and the current wall-clock time
 * (passed in, so tests control it). Out: rows of the `notifications`
 * and `replies` tables (their migration, "notification outbox and
 * replies", is an entry of both engines' lists in store_schema.c, since
 * the store stage cannot refer to later stages) and mail handed to the
 * transport.
 *
 * Life of a notification: queued (in the same transaction that moves the
 * incident from new to notified) -> composed once (the exact bytes, with
 * their Message-ID and Date, are stored before the first attempt) ->
 * `sending` recorded and committed BEFORE the transport is called -> sent
 * (committed after the server accepted the DATA or the .eml was written)
 * or back to queued with exponential backoff and its error, or failed --
 * only when the receiving SMTP server refused the recipient or the
 * message for good (5xx), or when the notification has waited longer than
 * the sender's max_age. A local fault (a missing or read-only outbox
 * directory, a full disk, a message that cannot be composed, a database
 * that is busy) is never the party's fault and never final: the
 * notification stays queued with its error. wd_outbox_requeue brings a
 * failed one back.
 *
 * Parties: one notification per (incident, party address, sequence).
 * Usually the incident's party; for a reflection attack, with the
 * directory at hand, every party of a listed reflector (one notification
 * each, listing only its own reflectors). What a notification may show a
 * party outside the facility is decided here (wd_notice_privacy_t from the
 * configuration and the directory) and in notice.c.
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

#include "core/config.h"
#include "core/rc.h"
#include "enrich/directory.h"
#include "notify/compose.h"
#include "notify/transport.h"
#include "store/store.h"

/* Retry schedule: 1 min, 2, 4, ... capped at 6 h, until max_age. */
#define WD_OUTBOX_RETRY_BASE_S 60
#define WD_OUTBOX_RETRY_MAX_S 21600
/* notify.max_age when the sender gives none. */
#define WD_OUTBOX_MAX_AGE_S (7u * 86400u)
/* Parties told about one incident (reflectors' networks). */
#define WD_OUTBOX_PARTIES_MAX 64
/* Notifications handled per run (the rest wait for the next run). */
#define WD_OUTBOX_BATCH_MAX 10000

typedef struct wd_outbox_sender {
  const char *name;  /* notify.sender_name */
  const char *email; /* notify.from */
  wd_compose_opts_t compose;
  /* What is internal: the facilities' networks and names and home_net.
   * NULL: RFC 1918 / RFC 4193 addresses and the incident's targets. */
  const wd_config_t *cfg;
  /* The directory (attribution.directory): the parties of reflectors,
   * each party's evidence policy and its own facilities. NULL: the
   * incident's party only, default policies. */
  const wd_directory_t *dir;
  uint64_t max_age_s; /* notify.max_age; 0: WD_OUTBOX_MAX_AGE_S */
} wd_outbox_sender_t;

typedef struct wd_outbox_stats {
  uint64_t queued;    /* new notifications */
  uint64_t no_party;  /* incidents without a usable party address */
  uint64_t sent;      /* accepted by the transport this run */
  uint64_t retried;   /* transient failures, back in the queue */
  uint64_t failed;    /* permanent failures */
  uint64_t reminders; /* reminders queued */
  uint64_t waiting;   /* queued but not yet due */
  uint64_t requeued;  /* failed notifications brought back */
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

/* Brings failed notifications back to the queue, due now with a fresh
 * max_age: ref is an incident id (all its failed notifications), a
 * notification number (as --status prints) or a Message-ID. The message,
 * when already composed, stays byte for byte the same. WD_ERR_NOTFOUND
 * (with err) when no failed notification matches. */
wd_rc wd_outbox_requeue(wd_store_t *s, const char *ref, uint64_t now_ns,
                        wd_outbox_stats_t *st, char *err, size_t errlen);

/* Prints one line per notification (newest first, at most limit). */
wd_rc wd_outbox_status(wd_store_t *s, FILE *out, size_t limit);

/* Seconds to wait after the n-th failed attempt (n >= 1). */
uint64_t wd_outbox_backoff_s(unsigned attempts);

/* Builds the notice of a stored incident for the party named party_name
 * (NULL: the incident's party), with privacy (borrowed; NULL: see
 * wd_notice_privacy_t): a party outside the facility is told only about
 * the sources in its own networks (when the attribution says which) and
 * never about internal ones. Strings and arrays point into inc and into
 * buf, valid while both live. */
typedef struct wd_outbox_notice_buf {
  wd_notice_attacker_t att[WD_NOTICE_ADDRS_MAX];
  wd_notice_target_t tgt[WD_NOTICE_ADDRS_MAX];
  const char *detectors[16];
  char msgid[WD_COMPOSE_MSGID_MAX];
  char first_msgid[WD_COMPOSE_MSGID_MAX];
  char matched_by[256];
  wd_notice_intel_t intel[WD_NOTICE_INTEL_MAX];
} wd_outbox_notice_buf_t;

void wd_outbox_notice_of(const wd_store_incident_t *inc,
                         const wd_outbox_sender_t *snd, const char *party_name,
                         const wd_notice_privacy_t *privacy,
                         wd_notice_incident_t *n, wd_outbox_notice_buf_t *b);

/* What is internal for a notification to party p (its directory entry, or
 * NULL) of kind kind, from the sender's configuration: arrays owned by the
 * holder until wd_outbox_privacy_fini. */
typedef struct wd_outbox_privacy {
  wd_notice_privacy_t v;
  wd_cidr_t *internal, *own;
  const char **names, **own_names;
} wd_outbox_privacy_t;

wd_rc wd_outbox_privacy_init(wd_outbox_privacy_t *pv,
                             const wd_outbox_sender_t *snd, const wd_party_t *p,
                             const char *kind);
void wd_outbox_privacy_fini(wd_outbox_privacy_t *pv);

#endif
