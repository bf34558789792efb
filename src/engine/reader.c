/* reader.c -- capture files read, copied and decoded on a thread of their
 * own (see reader.h).
 * The frames' bytes go into a ring addressed by a running byte count: a
 * frame that would cross the ring's end starts again at its beginning,
 * and the room left is what lies between the write position and the
 * first byte of the oldest record not yet released (the queue's depth
 * says which record that is). */
#include "engine/reader.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "decode/decode.h"
#include "engine/queue.h"

struct wd_reader {
  wd_capture_t *cap;
  const wd_flow_table_t *flows;
  wd_queue_t *q;
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
};

void wd_decoded_fill(wd_decoded_t *d, const wd_flow_table_t *flows) {
  const wd_frame_t *fr = &d->fr;
  d->p.ts_ns = fr->ts_ns;
  d->p.num = fr->num;
  d->p.source = fr->source;
  d->rc = wd_decode(&d->p, fr->linktype, fr->data, fr->caplen, fr->wirelen);
  d->h = d->p.ip_version ? wd_flow_table_hash(flows, &d->p) : 0;
}

/* Room for n bytes in the ring: their running position (the ring holds
 * them whole, from position % WD_READER_BYTES). The first byte still in
 * use is looked up again (the queue's depth: a line the packet thread
 * writes) only when the last look leaves no room; when the frames in
 * flight leave none either, waits for the packet thread to take them
 * all. False when the packet thread has gone. */
static bool room(wd_reader_t *r, uint32_t n, uint64_t *at) {
  uint64_t pos = r->wbyte, off = pos % WD_READER_BYTES;
  if (off + n > WD_READER_BYTES)
    pos += WD_READER_BYTES - off; /* wrap: the tail is left unused */
  if (pos + n - r->oldest > WD_READER_BYTES) {
    uint32_t depth = wd_queue_depth(r->q);
    r->oldest = depth ? r->start_of[(r->seq - depth) % WD_READER_RECORDS] : pos;
    if (pos + n - r->oldest > WD_READER_BYTES) {
      wd_queue_drain(r->q);
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
  wd_reader_rec_t *rec = wd_queue_reserve(r->q, WD_QUEUE_WAIT);
  if (rec)
    r->start_of[r->seq % WD_READER_RECORDS] = start;
  return rec;
}

static void commit(wd_reader_t *r) {
  r->seq++;
  wd_queue_commit(r->q, false);
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
  commit(r);
}

static void publish_progress(wd_reader_t *r) {
  uint64_t done, total;
  if (wd_capture_progress(r->cap, &done, &total)) {
    atomic_store_explicit(&r->done, done, memory_order_relaxed);
    atomic_store_explicit(&r->total, total, memory_order_relaxed);
    atomic_store_explicit(&r->known, 1, memory_order_release);
  }
}

static void *reader_main(void *arg) {
  wd_reader_t *r = arg;
  size_t prev = r->nfiles;           /* source of the frame handed over last */
  prctl(PR_SET_NAME, "ward-reader"); /* as top -H and /proc show it */
  for (uint64_t n = 0; !atomic_load_explicit(&r->stop, memory_order_relaxed);
       n++) {
    wd_frame_t fr;
    wd_rc rc = wd_capture_next(r->cap, &fr);
    if (prev < r->nfiles) /* the source that call moved on may have failed */
      file_status(r, prev);
    if (rc != WD_OK)
      break;
    prev = fr.source;
    uint64_t at;
    if (!room(r, fr.caplen, &at))
      break;
    wd_reader_rec_t *rec = reserve(r, at);
    if (!rec)
      break; /* the packet thread stopped reading */
    uint8_t *copy = r->bytes + at % WD_READER_BYTES;
    if (fr.caplen)
      memcpy(copy, fr.data, fr.caplen);
    rec->kind = WD_READER_FRAME;
    rec->u.d.fr = fr;
    rec->u.d.fr.data = copy;
    wd_decoded_fill(&rec->u.d, r->flows);
    commit(r);
    if ((n & 4095) == 0)
      publish_progress(r);
  }
  publish_progress(r);
  wd_queue_close(r->q);
  return NULL;
}

wd_rc wd_reader_start(wd_capture_t *cap, const wd_flow_table_t *flows,
                      wd_reader_t **out) {
  *out = NULL;
  if (!cap || !flows || wd_capture_is_live(cap))
    return WD_ERR_INVAL;
  wd_reader_t *r = calloc(1, sizeof *r);
  if (!r)
    return WD_ERR_NOMEM;
  r->cap = cap;
  r->flows = flows;
  r->nfiles = wd_capture_nfiles(cap);
  r->errors = calloc(r->nfiles ? r->nfiles : 1, sizeof *r->errors);
  r->bytes = malloc(WD_READER_BYTES);
  wd_rc rc = WD_ERR_NOMEM;
  if (r->errors && r->bytes)
    rc = wd_queue_new(sizeof(wd_reader_rec_t), WD_READER_RECORDS, &r->q);
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

const wd_reader_rec_t *wd_reader_next(wd_reader_t *r) {
  wd_rc rc;
  const wd_reader_rec_t *rec;
  /* The reader wakes this thread only once the queue is half full: on a
   * slow input (a pipe fed a little at a time) the timeout bounds how long
   * frames already read wait. */
  do
    rec = wd_queue_peek(r->q, 20, &rc);
  while (rc == WD_AGAIN);
  return rc == WD_OK ? rec : NULL;
}

const wd_reader_rec_t *wd_reader_ahead(wd_reader_t *r, uint32_t k) {
  return wd_queue_peek_ahead(r->q, k);
}

void wd_reader_release(wd_reader_t *r) { wd_queue_release(r->q); }

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
    wd_queue_abandon(r->q); /* a reader waiting for room gives up */
    pthread_join(r->thread, NULL);
  }
  wd_queue_free(r->q);
  free(r->bytes);
  free(r->errors);
  free(r);
}
