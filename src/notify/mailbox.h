/* mailbox.h -- reads received mail from an .eml file, a directory of .eml
 * files, an mbox file (mboxo/mboxrd, ">From " unescaped) or a Maildir
 * (new/ and cur/), and hands each message to a callback.
 * In: a path (local files, contents hostile). Out: per message, borrowed
 * bytes valid during the callback; counts in wd_mailbox_stats_t.
 * Limits: messages larger than WD_MAILBOX_MSG_MAX are skipped and counted;
 * at most WD_MAILBOX_FILES_MAX files per directory and WD_MAILBOX_MSGS_MAX
 * messages per scan (then `truncated`). Files are read in name order, so a
 * scan is repeatable. */
#ifndef WD_NOTIFY_MAILBOX_H
#define WD_NOTIFY_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define WD_MAILBOX_MSG_MAX (16u << 20)
#define WD_MAILBOX_FILES_MAX 100000
#define WD_MAILBOX_MSGS_MAX 1000000

typedef struct wd_mailbox_stats {
  uint64_t messages;      /* handed to the callback */
  uint64_t skipped_large; /* over WD_MAILBOX_MSG_MAX */
  uint64_t unreadable;    /* files that could not be read */
  bool truncated;         /* a count limit was reached */
} wd_mailbox_stats_t;

/* where: file name (and "#n" for the n-th message of an mbox). A callback
 * returning anything but WD_OK stops the scan with that code. */
typedef wd_rc (*wd_mailbox_fn)(void *user, const char *where,
                               const uint8_t *msg, size_t len);

wd_rc wd_mailbox_scan(const char *path, wd_mailbox_fn fn, void *user,
                      wd_mailbox_stats_t *st, char *err, size_t errlen);

/* Splits an mbox held in memory (used by wd_mailbox_scan and the fuzzer). */
wd_rc wd_mailbox_mbox(const uint8_t *p, size_t len, const char *name,
                      wd_mailbox_fn fn, void *user, wd_mailbox_stats_t *st);

#endif
