/* reader.h -- capture files read on a thread of their own: the reader
 * thread reads each frame (wd_capture_next), copies its bytes into a ring,
 * decodes it and computes its flow key hash, and hands the result to the
 * packet thread through an SPSC queue (queue.h), in capture order. The
 * packet thread then does everything else exactly as when it reads the
 * files itself; it only no longer waits for the read, the copy out of the
 * kernel and the decode.
 * In: an open capture of files (never live: a live frame is valid only
 * until the next read, and watch's capture runs on the packet thread), the
 * flow table (its seed only: wd_flow_table_hash). Out: wd_reader_rec_t
 * records: a frame, decoded; or a file's status when reading it stopped
 * on an error, placed before the first frame that follows it (so the
 * packet thread sees the error at the same frame as when reading itself).
 * With lanes (`--workers N`) the same records go to each lane's queue,
 * and the reading is done by lane 0 itself (wd_reader_pump), not by a
 * thread of its own.
 * Memory: a queue per lane (WD_READER_RECORDS records of 256 bytes), a ring of
 * WD_READER_BYTES for the frames' bytes and a copy of each file's error
 * (256 bytes a file), allocated at start;
 * nothing per frame. When the ring is short of room for a frame (frames in
 * flight larger than it, with jumbo frames), the reader waits until the
 * packet thread has taken every frame handed over. Threads: from
 * wd_reader_start to wd_reader_stop the capture belongs to the reader
 * thread; the packet thread reads only the records and, through
 * wd_reader_progress, the bytes read. The reader thread blocks every
 * signal: they reach the packet thread. */
#ifndef WD_ENGINE_READER_H
#define WD_ENGINE_READER_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "flow/flow.h"

#define WD_READER_RECORDS 1024u
#define WD_READER_LANES 16u /* packet threads fed at most */
#define WD_READER_BYTES (8u << 20)

/* A frame decoded, with the hash of its flow key (IP packets). */
typedef struct wd_decoded {
  wd_frame_t fr;
  wd_packet_t p;
  wd_rc rc;   /* wd_decode's */
  uint32_t h; /* wd_flow_table_hash, 0 when not IP */
} wd_decoded_t;

/* Decodes d->fr into d->p and hashes its flow key: no state touched. */
void wd_decoded_fill(wd_decoded_t *d, const wd_flow_table_t *flows);

typedef enum { WD_READER_FRAME = 1, WD_READER_FILE_STATUS } wd_reader_kind;

/* Four cache lines, aligned: the packet thread pulls whole lines from the
 * reader's cache, and no record shares one with the next. */
typedef struct wd_reader_rec {
  alignas(64) wd_reader_kind kind;
  union {
    wd_decoded_t d; /* WD_READER_FRAME */
    struct {        /* WD_READER_FILE_STATUS */
      uint32_t source;
      uint64_t error_frame;
      const char *error; /* the reader's copy, until wd_reader_stop */
    } file;
  } u;
} wd_reader_rec_t;

typedef struct wd_reader wd_reader_t;

/* Starts the reader on cap (files only: WD_ERR_INVAL for live), handing
 * every record to each of `lanes` packet threads (1 .. WD_READER_LANES):
 * lane i reads them with the calls below, given i, and a frame's bytes
 * stay until every lane has released its record. thread: the reading
 * runs on a thread of its own; else lane 0's thread reads, with
 * wd_reader_pump, and owns the capture until wd_reader_stop. */
wd_rc wd_reader_start(wd_capture_t *cap, const wd_flow_table_t *flows,
                      unsigned lanes, bool thread, wd_reader_t **out);

/* Without the thread: reads up to max frames, handing each to every
 * lane, as far as every lane's queue and the ring have room now (never
 * waits). Returns the frames handed (0: no room: a lane is behind), or
 * -1 once the input has ended (the queues are closed). */
int wd_reader_pump(wd_reader_t *r, unsigned max);

/* The next record of lane, waiting for it; NULL at the end of input. */
const wd_reader_rec_t *wd_reader_next(wd_reader_t *r, unsigned lane);
/* Whether lane's next record is there already (wd_reader_next would not
 * wait for it). */
bool wd_reader_ready(wd_reader_t *r, unsigned lane);
/* Waits up to timeout_ms for lane's next record; true when there will be
 * none (end of input). */
bool wd_reader_ended(wd_reader_t *r, unsigned lane, int timeout_ms);
/* Lane will read no more: the reader stops at its next frame. */
void wd_reader_abandon(wd_reader_t *r, unsigned lane);
/* The record k after the one wd_reader_next returned, if already there
 * (never waits), else NULL. */
const wd_reader_rec_t *wd_reader_ahead(wd_reader_t *r, unsigned lane,
                                       uint32_t k);
/* Done with the record wd_reader_next returned (its frame's bytes too). */
void wd_reader_release(wd_reader_t *r, unsigned lane);

/* Bytes of the capture read so far and in all, as wd_capture_progress;
 * false when unknown. Updated every few thousand frames. */
bool wd_reader_progress(const wd_reader_t *r, uint64_t *done, uint64_t *total);

/* Stops the thread (early, if input remains) and waits for it; the
 * capture is the caller's again. NULL is ignored. */
void wd_reader_stop(wd_reader_t *r);

#endif
