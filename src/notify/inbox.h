/* inbox.h -- replies into the database, and the analysts' verdicts.
 * In: a mailbox path (mailbox.h: .eml, directory, mbox, Maildir) whose
 * messages are hostile input, parsed by mail.h. Out: rows of the `replies`
 * table, each matched to the notification it answers (In-Reply-To or
 * References naming one of our Message-IDs, else the incident reference in
 * the subject or body, then the party whose address domain matches the
 * sender). The sender is then checked against the party: its address in
 * the notification, or one listed in the directory's reply_from for it
 * (an address or a whole @domain). A reply from anyone else is kept as
 * `unverified` -- shown, never counted as the party's answer, the
 * incident's status unchanged; a human reply of the party moves the
 * incident to `answered`. A reply naming no notification of ours (an
 * unknown reference, or a database that never sent it) is unmatched:
 * kept with no incident. Importing the same mail twice adds nothing (rows
 * are keyed by the SHA-256 of the message bytes). */
#ifndef WD_NOTIFY_INBOX_H
#define WD_NOTIFY_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "enrich/directory.h"
#include "store/store.h"

typedef struct wd_inbox_stats {
  uint64_t read;       /* messages looked at */
  uint64_t added;      /* new reply rows */
  uint64_t duplicate;  /* already imported */
  uint64_t matched;    /* tied to a notification of ours */
  uint64_t unmatched;  /* naming no notification of ours (kept, incident "") */
  uint64_t unverified; /* matched, but from a sender that is not the party's
                          (kept, never counted as its answer) */
  uint64_t human, automatic, bounces;
  uint64_t unparsable;
  uint64_t skipped_large;
} wd_inbox_stats_t;

/* dir: the directory (reply_from of each party); NULL: only the party
 * address the notification went to is the party's. */
wd_rc wd_inbox_import(wd_store_t *s, const wd_directory_t *dir,
                      const char *path, uint64_t now_ns, wd_inbox_stats_t *st,
                      char *err, size_t errlen);

/* An analyst's verdict on a reply. */
typedef struct wd_inbox_verdict {
  const char *verdict; /* "substantive" or "formal" */
  const char *note;    /* NULL: none */
  const char *by;      /* who records it (login name), NULL: "" */
  bool force;          /* replace a verdict already recorded */
} wd_inbox_verdict_t;

/* Records verdict v on the latest human reply of the party (not an
 * unverified one) about incident ref; when no human reply was imported
 * (an answer by phone) a reply row "recorded by analyst" is added. The
 * incident moves to answered. Every verdict is also kept in the history
 * (wd_store_verdict_history). One verdict at a time per incident, also
 * across processes: when the reply already has a different verdict (or
 * note), nothing changes and WD_ERR_STATE says "already judged VERDICT by
 * WHO at TIME; use --force", unless v->force, which replaces it (the
 * replaced one stays in the history). The same verdict and note again
 * change nothing and succeed. prev (may be NULL) gets the verdict found
 * before this one (verdict "" when none). */
wd_rc wd_inbox_verdict(wd_store_t *s, const char *ref,
                       const wd_inbox_verdict_t *v, uint64_t now_ns,
                       wd_store_verdict_t *prev, char *err, size_t errlen);

#endif
