/* reader.c -- capture files read, copied and decoded on a thread of their
 * own (see reader.h).
 * The frames' bytes go into a ring addressed by a running byte count: a
 * frame that would cross the ring's end starts again at its beginning,
 * and the room left is what lies between the write position and the
 * first byte of the oldest record not yet released (the deepest lane
 * queue's depth says which record that is). With lanes, each record is
 * written into the first lane's queue and copied into the others'; the
 * frame's bytes stay in the one ring. */
#include "engine/reader.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/limits.h"
#include "decode/decode.h"
#include "engine/queue.h"

struct wd_reader {
  wd_capture_t *cap;
  const wd_flow_table_t *flows;
  wd_queue_t *q[WD_READER_LANES]; /* one per lane, the same records */
  unsigned nq;
  uint8_t *bytes; /* WD_READER_BYTES */
  /* reader thread only */
  uint64_t seq;    /* records committed */
  uint64_t wbyte;  /* running write position */
  uint64_t oldest; /* first byte in use, as last looked up (or earlier) */
  uint64_t start_of[WD_READER_RECORDS]; /* first byte of each record */
  char (*errors)[256]; /* per file: the error handed over or met at open
                          (empty: none yet) */
  size_t nfiles;
  /* shared */
  _Atomic int stop;
  _Atomic uint64_t done, total;
  _Atomic int known;
  pthread_t thread;
  bool started;
  /* reading, on whichever thread does it */
  size_t prev; /* source of the frame handed over last */
  uint64_t n;  /* frames read */
  bool ended;  /* the queues are closed */
};

void wd_decoded_fill(wd_decoded_t *d, const wd_flow_table_t *flows) {
  const wd_frame_t *fr = &d->fr;
  d->p.ts_ns = fr->ts_ns;
  d->p.num = fr->num;
  d->p.source = fr->source;
  d->rc = wd_decode(&d->p, fr->linktype, fr->data, fr->caplen, fr->wirelen);
  d->h = d->p.ip_version ? wd_flow_table_hash(flows, &d->p) : 0;
}

/* Records the slowest lane has not released yet. */
static uint32_t depth(const wd_reader_t *r) {
  uint32_t d = 0;
  for (unsigned i = 0; i < r->nq; i++) {
    uint32_t di = wd_queue_depth(r->q[i]);
    d = di > d ? di : d;
  }
  return d;
}

/* Looks up again the first byte still in use: that of the oldest record
 * some lane has not released, or pos when none is out. */
static void refresh_oldest(wd_reader_t *r, uint64_t pos) {
  uint32_t d = depth(r);
  r->oldest = d ? r->start_of[(r->seq - d) % WD_READER_RECORDS] : pos;
}

/* Room for n bytes in the ring: their running position (the ring holds
 * them whole, from position % WD_READER_BYTES). The first byte still in
 * use is looked up again (the queues' depths: lines the packet threads
 * write) only when the last look leaves no room; when the frames in
 * flight leave none either, waits for the packet threads to take them
 * all. False when a packet thread has gone. */
static bool room(wd_reader_t *r, uint32_t n, uint64_t *at) {
  uint64_t pos = r->wbyte, off = pos % WD_READER_BYTES;
  if (off + n > WD_READER_BYTES)
    pos += WD_READER_BYTES - off; /* wrap: the tail is left unused */
  if (pos + n - r->oldest > WD_READER_BYTES) {
    refresh_oldest(r, pos);
    if (pos + n - r->oldest > WD_READER_BYTES) {
      for (unsigned i = 0; i < r->nq; i++)
        wd_queue_drain(r->q[i]);
      if (atomic_load(&r->stop))
        return false;
      r->oldest = pos;
    }
  }
  *at = pos;
  r->wbyte = pos + n;
  return true;
}

static wd_reader_rec_t *reserve(wd_reader_t *r, uint64_t start) {
  wd_reader_rec_t *rec = wd_queue_reserve(r->q[0], WD_QUEUE_WAIT);
  if (rec)
    r->start_of[r->seq % WD_READER_RECORDS] = start;
  return rec;
}

/* Publishes rec (the first lane's slot) to every lane; false when a
 * lane has gone. */
static bool commit(wd_reader_t *r, const wd_reader_rec_t *rec) {
  r->seq++;
  for (unsigned i = 1; i < r->nq; i++) {
    wd_reader_rec_t *c = wd_queue_reserve(r->q[i], WD_QUEUE_WAIT);
    if (!c)
      return false;
    memcpy(c, rec, sizeof *c);
    wd_queue_commit(r->q[i], false);
  }
  wd_queue_commit(r->q[0], false);
  return true;
}

/* Hands over the error of file s, once, if reading it stopped on one. */
static void file_status(wd_reader_t *r, size_t s) {
  const wd_capture_file_info_t *fi = wd_capture_file(r->cap, s);
  if (!fi || !fi->error[0] || r->errors[s][0])
    return;
  snprintf(r->errors[s], sizeof r->errors[s], "%s", fi->error);
  wd_reader_rec_t *rec = reserve(r, r->wbyte);
  if (!rec)
    return;
  rec->kind = WD_READER_FILE_STATUS;
  rec->u.file.source = (uint32_t)s;
  rec->u.file.error_frame = fi->error_frame;
  rec->u.file.error = r->errors[s];
  commit(r, rec);
}

static void publish_progress(wd_reader_t *r) {
  uint64_t done, total;
  if (wd_capture_progress(r->cap, &done, &total)) {
    atomic_store_explicit(&r->done, done, memory_order_relaxed);
    atomic_store_explicit(&r->total, total, memory_order_relaxed);
    atomic_store_explicit(&r->known, 1, memory_order_release);
  }
}

/* Reads one frame and hands it to every lane (the error of the file
 * just left first, when reading it stopped on one). False at the end of
 * input, or when a lane has gone. */
static bool read_one(wd_reader_t *r) {
  wd_frame_t fr;
  wd_rc rc = wd_capture_next(r->cap, &fr);
  if (r->prev < r->nfiles) /* the source that call moved on may have failed */
    file_status(r, r->prev);
  if (rc != WD_OK)
    return false;
  r->prev = fr.source;
  uint64_t at;
  if (!room(r, fr.caplen, &at))
    return false;
  wd_reader_rec_t *rec = reserve(r, at);
  if (!rec)
    return false; /* the packet thread stopped reading */
  uint8_t *copy = r->bytes + at % WD_READER_BYTES;
  if (fr.caplen)
    memcpy(copy, fr.data, fr.caplen);
  rec->kind = WD_READER_FRAME;
  rec->u.d.fr = fr;
  rec->u.d.fr.data = copy;
  wd_decoded_fill(&rec->u.d, r->flows);
  if (!commit(r, rec))
    return false;
  if ((r->n++ & 4095) == 0)
    publish_progress(r);
  return true;
}

static void end_of_input(wd_reader_t *r) {
  publish_progress(r);
  for (unsigned i = 0; i < r->nq; i++)
    wd_queue_close(r->q[i]);
  r->ended = true;
}

static void *reader_main(void *arg) {
  wd_reader_t *r = arg;
  prctl(PR_SET_NAME, "ward-reader"); /* as top -H and /proc show it */
  while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && read_one(r))
    ;
  end_of_input(r);
  return NULL;
}

/* Whether a frame (and a file's status before it) can be handed to every
 * lane without waiting: two free slots in each queue, and room in the
 * ring for the largest frame where it may have to start again at the
 * ring's beginning. */
static bool can_read(wd_reader_t *r) {
  for (unsigned i = 0; i < r->nq; i++)
    if (!wd_queue_has_room(r->q[i], 2))
      return false;
  uint64_t need = 2 * (uint64_t)WD_FRAME_MAX;
  if (r->wbyte + need - r->oldest <= WD_READER_BYTES)
    return true;
  refresh_oldest(r, r->wbyte);
  return r->wbyte + need - r->oldest <= WD_READER_BYTES;
}

int wd_reader_pump(wd_reader_t *r, unsigned max) {
  if (r->ended)
    return -1;
  unsigned k = 0;
  for (; k < max && can_read(r); k++)
    if (!read_one(r)) {
      end_of_input(r);
      return k ? (int)k : -1;
    }
  return (int)k;
}

wd_rc wd_reader_start(wd_capture_t *cap, const wd_flow_table_t *flows,
                      unsigned lanes, bool thread, wd_reader_t **out) {
  *out = NULL;
  if (!cap || !flows || wd_capture_is_live(cap) || lanes < 1 ||
      lanes > WD_READER_LANES)
    return WD_ERR_INVAL;
  wd_reader_t *r = calloc(1, sizeof *r);
  if (!r)
    return WD_ERR_NOMEM;
  r->cap = cap;
  r->flows = flows;
  r->nfiles = wd_capture_nfiles(cap);
  r->prev = r->nfiles;
  r->errors = calloc(r->nfiles ? r->nfiles : 1, sizeof *r->errors);
  r->bytes = malloc(WD_READER_BYTES);
  wd_rc rc = r->errors && r->bytes ? WD_OK : WD_ERR_NOMEM;
  for (; rc == WD_OK && r->nq < lanes; r->nq++)
    rc = wd_queue_new(sizeof(wd_reader_rec_t), WD_READER_RECORDS, &r->q[r->nq]);
  if (rc != WD_OK) {
    wd_reader_stop(r);
    return rc;
  }
  /* errors met opening the files are the caller's to see already */
  for (size_t i = 0; i < r->nfiles; i++)
    snprintf(r->errors[i], sizeof r->errors[i], "%s",
             wd_capture_file(cap, i)->error);
  atomic_init(&r->stop, 0);
  atomic_init(&r->done, 0);
  atomic_init(&r->total, 0);
  atomic_init(&r->known, 0);
  publish_progress(r);
  if (!thread) { /* the first lane reads (wd_reader_pump) */
    *out = r;
    return WD_OK;
  }
  /* Signals go to the packet thread, which acts on them (as with the
   * worker). */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int tr = pthread_create(&r->thread, NULL, reader_main, r);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (tr != 0) {
    wd_reader_stop(r);
    return WD_ERR_NOMEM;
  }
  r->started = true;
  *out = r;
  return WD_OK;
}

const wd_reader_rec_t *wd_reader_next(wd_reader_t *r, unsigned lane) {
  wd_rc rc;
  const wd_reader_rec_t *rec;
  /* The reader wakes this thread only once the queue is half full: on a
   * slow input (a pipe fed a little at a time) the timeout bounds how long
   * frames already read wait. */
  do
    rec = wd_queue_peek(r->q[lane], 20, &rc);
  while (rc == WD_AGAIN);
  return rc == WD_OK ? rec : NULL;
}

bool wd_reader_ended(wd_reader_t *r, unsigned lane, int timeout_ms) {
  wd_rc rc;
  return !wd_queue_peek(r->q[lane], timeout_ms, &rc) && rc == WD_END;
}

void wd_reader_abandon(wd_reader_t *r, unsigned lane) {
  wd_queue_abandon(r->q[lane]);
}

bool wd_reader_ready(wd_reader_t *r, unsigned lane) {
  return wd_queue_peek_ahead(r->q[lane], 0) != NULL;
}

const wd_reader_rec_t *wd_reader_ahead(wd_reader_t *r, unsigned lane,
                                       uint32_t k) {
  return wd_queue_peek_ahead(r->q[lane], k);
}

void wd_reader_release(wd_reader_t *r, unsigned lane) {
  wd_queue_release(r->q[lane]);
}

bool wd_reader_progress(const wd_reader_t *r, uint64_t *done, uint64_t *total) {
  if (!atomic_load_explicit(&r->known, memory_order_acquire))
    return false;
  *done = atomic_load_explicit(&r->done, memory_order_relaxed);
  *total = atomic_load_explicit(&r->total, memory_order_relaxed);
  return true;
}

void wd_reader_stop(wd_reader_t *r) {
  if (!r)
    return;
  if (r->started) {
    atomic_store(&r->stop, 1);
    for (unsigned i = 0; i < r->nq; i++)
      wd_queue_abandon(r->q[i]); /* a reader waiting for room gives up */
    pthread_join(r->thread, NULL);
  }
  for (unsigned i = 0; i < r->nq; i++)
    wd_queue_free(r->q[i]);
  free(r->bytes);
  free(r->errors);
  free(r);
}
