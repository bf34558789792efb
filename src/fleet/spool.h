/* spool.h -- bounded on-disk spool of messages waiting for the broker.
 * In: records (opaque bytes, at most WD_SPOOL_RECORD_MAX) with a class
 * (keep: alerts; droppable: evidence frames, heartbeats), and acks/nacks by
 * record number. Out: the unacked records, oldest first, again and again
 * until acked -- also after a crash or restart.
 * On disk (one directory, locked with flock against a second process):
 * append-only segment files seg-<first record number, 16 hex>.wsp of
 * framed records [u32 length][u32 CRC-32C][u64 record number][u8 class]
 * [3 zero bytes][payload], and the file "acked" with the low-water mark:
 * every record below it is acked (written to a temporary file, fsynced,
 * renamed). A torn or corrupt record ends its segment at open: it and what
 * follows in that segment are cut off (counted), everything before is
 * kept. Records acked out of order above the mark come back after a crash
 * and are sent again: delivery is at least once, never less.
 * Durability (sync): BATCH (default) -- the caller appends a batch and
 * calls wd_spool_sync() once before producing it, so nothing is sent that
 * a crash could make the spool forget; ALWAYS -- fdatasync per append;
 * NONE -- the kernel decides (tests, tmpfs). The ack mark is persisted by
 * wd_spool_sync_acks() (the publisher calls it about once a second and at
 * close), so a crash re-sends at most that second's acked records.
 * Size: "bytes" is the size of all segment files. An append that would
 * pass max_bytes first reclaims acked space (segments rewritten without
 * dead records, empty ones removed), then drops the OLDEST droppable
 * records (counted in dropped) until slack = min(segment_bytes,
 * max_bytes / 8) is free beyond the new record. When only keep records
 * remain and it is still full: a droppable record is refused
 * (refused_droppable, WD_ERR_FULL); a keep record is accepted while the
 * total stays within hard_max_bytes (counted in over_soft), beyond that
 * refused (refused_keep, WD_ERR_FULL): the only case an alert is lost,
 * and the caller logs it. Keep records are never dropped.
 * Memory: 24 bytes per record held on disk plus one scratch buffer of
 * WD_SPOOL_RECORD_MAX; both bounded by hard_max_bytes.
 * Threads: none of its own; one thread at a time (the publisher's). */
#ifndef WD_FLEET_SPOOL_H
#define WD_FLEET_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

#define WD_SPOOL_RECORD_MAX (1u << 20) /* payload bytes of one record */
#define WD_SPOOL_RECORD_HDR 20u        /* framing bytes per record */
#define WD_SPOOL_MIN_BYTES 4096u       /* smallest max_bytes accepted */

typedef enum {
  WD_SPOOL_KEEP = 0,     /* never dropped (alerts) */
  WD_SPOOL_DROPPABLE = 1 /* dropped oldest first when full (frames) */
} wd_spool_class;

typedef enum {
  WD_SPOOL_SYNC_BATCH = 0,
  WD_SPOOL_SYNC_ALWAYS,
  WD_SPOOL_SYNC_NONE
} wd_spool_sync_mode;

typedef struct wd_spool_opts {
  const char *dir;         /* created if missing (mode 0700) */
  uint64_t max_bytes;      /* soft cap, >= WD_SPOOL_MIN_BYTES */
  uint64_t hard_max_bytes; /* keep records may grow to this; 0: 2 x max */
  uint64_t segment_bytes;  /* 0: max_bytes / 8 within [4 KiB, 64 MiB] */
  wd_spool_sync_mode sync;
} wd_spool_opts_t;

typedef struct wd_spool_stats {
  uint64_t bytes;             /* segment files on disk */
  uint64_t records;           /* records not yet acked (nor dropped) */
  uint64_t live_bytes;        /* their framed size */
  uint64_t inflight;          /* handed out by wd_spool_next, not yet acked */
  uint64_t segments;          /* segment files */
  uint64_t appended;          /* records appended since open */
  uint64_t acked;             /* acked since open */
  uint64_t dropped;           /* droppable records dropped to make room */
  uint64_t dropped_bytes;     /* their framed size */
  uint64_t refused_droppable; /* droppable appends refused (only keep left) */
  uint64_t refused_keep;      /* keep appends refused: hard cap reached */
  uint64_t over_soft;         /* keep appends accepted above max_bytes */
  uint64_t recovered;         /* records found unacked at open */
  uint64_t torn;              /* tails cut at open (torn or corrupt records) */
  uint64_t torn_bytes;        /* bytes cut */
  uint64_t corrupt;           /* records failing their CRC when read back */
  uint64_t compactions;       /* segments rewritten without dead records */
  uint64_t io_errors;
} wd_spool_stats_t;

typedef struct wd_spool wd_spool_t;

/* Opens (and recovers) the spool in opts->dir. err gets the path and the
 * reason on failure (another process holding the lock is WD_ERR_STATE). */
wd_rc wd_spool_open(const wd_spool_opts_t *opts, wd_spool_t **out, char *err,
                    size_t errlen);
/* Persists the ack mark, removes fully acked segments, closes. NULL ok. */
void wd_spool_close(wd_spool_t *sp);

/* Appends one record; *rsn (may be NULL) gets its number. WD_ERR_FULL as
 * described above; WD_ERR_INVAL when len is 0 or over the record cap;
 * WD_ERR_IO when the disk refuses (nothing of the record is kept). */
wd_rc wd_spool_append(wd_spool_t *sp, wd_spool_class cls, const void *rec,
                      size_t len, uint64_t *rsn);
/* Makes appended records durable (BATCH mode); no-op when nothing new. */
wd_rc wd_spool_sync(wd_spool_t *sp);
/* Persists the ack low-water mark if it moved. */
wd_rc wd_spool_sync_acks(wd_spool_t *sp);

/* The oldest record that is neither acked nor handed out: copies it into
 * buf (cap bytes, WD_SPOOL_RECORD_MAX always suffices) and marks it in
 * flight. WD_END when none is waiting. */
wd_rc wd_spool_next(wd_spool_t *sp, uint64_t *rsn, wd_spool_class *cls,
                    void *buf, size_t cap, size_t *len);
/* The broker has it: the record is done. Unknown or done rsn: no-op. */
void wd_spool_ack(wd_spool_t *sp, uint64_t rsn);
/* Not delivered: the record waits again (returned by next, in order). */
void wd_spool_nack(wd_spool_t *sp, uint64_t rsn);
/* Every record in flight waits again (the producer was reset). */
void wd_spool_rewind(wd_spool_t *sp);

void wd_spool_stats(const wd_spool_t *sp, wd_spool_stats_t *out);

#endif
