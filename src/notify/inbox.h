/* inbox.h -- replies into the database, and the analysts' verdicts.
 * In: a mailbox path (mailbox.h: .eml, directory, mbox, Maildir) whose
 * messages are hostile input, parsed by mail.h. Out: rows of the `replies`
 * table, each matched to the notification it answers (In-Reply-To or
 * References naming one of our Message-IDs, else the incident reference in
 * the subject or body, then the party whose address domain matches the
 * sender); a human reply moves the incident to `answered`. Importing the
 * same mail twice adds nothing (rows are keyed by the SHA-256 of the
 * message bytes). */
#ifndef WD_NOTIFY_INBOX_H
#define WD_NOTIFY_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "store/store.h"

typedef struct wd_inbox_stats {
  uint64_t read;      /* messages looked at */
  uint64_t added;     /* new reply rows */
  uint64_t duplicate; /* already imported */
  uint64_t matched;   /* tied to a notification or incident */
  uint64_t unmatched; /* no reference we know (kept, incident "") */
  uint64_t human, automatic, bounces;
  uint64_t unparsable;
  uint64_t skipped_large;
} wd_inbox_stats_t;

wd_rc wd_inbox_import(wd_store_t *s, const char *path, uint64_t now_ns,
                      wd_inbox_stats_t *st, char *err, size_t errlen);

/* Records the analysts' verdict on the latest human reply about incident
 * ref ("substantive" or "formal"), with a note; when no human reply was
 * imported (an answer by phone) a reply row "recorded by analyst" is
 * added. The incident moves to answered. */
wd_rc wd_inbox_verdict(wd_store_t *s, const char *ref, const char *verdict,
                       const char *note, uint64_t now_ns, char *err,
                       size_t errlen);

#endif
