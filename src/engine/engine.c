/* engine.c -- the packet path and its worker (see engine.h).
 * Packet thread, per frame: decode, account to the flow table, offer the
 * frame to the evidence picker, feed SMB flows to reassembly and
 * parsing, offer the packet to every detector. Each time traffic time
 * enters a new second: expire flows, tick detectors, then queue a tick for the
 * incidents (and a stats snapshot when due). Alerts go through one sink that
 * counts them, lets the picker send the frames before them, and queues a full
 * copy. Nothing here allocates, writes or sleeps per packet. Worker thread:
 * reads the queue in order and does everything that does I/O (incidents, store,
 * evidence files, EVE events, human lines). The rules of the queue are set
 * where records are queued (put()): see the comment there. With
 * --workers N the packet thread is N lanes, each an engine of its own fed
 * every frame and running a share of the detectors; the worker merges
 * their queues back into the one-thread order (see "lanes" below). */
#include "engine/engine.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/table.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "engine/fleet_out.h"
#include "engine/pick.h"
#include "engine/prof.h"
#include "engine/queue.h"
#include "engine/reader.h"
#include "flow/flow.h"
#include "proto/app.h"
#include "proto/smb.h"

#define NSEC 1000000000ull

/* ---- records ---- */

enum {
  REC_ALERT = 1, /* an alert, strings copied in */
  REC_FRAME,     /* an evidence frame chosen by the picker */
  REC_TICK,      /* traffic time entered a new second */
  REC_FLOW,      /* a flow ended (only with flow events) */
  REC_STATS,     /* a snapshot of every counter */
  REC_PROGRESS,  /* the progress line's numbers */
  REC_FINISH,    /* end of input: close every incident */
  REC_APP,       /* an application event (outputs.eve.protocols) */
  REC_MARK       /* lanes: nothing more from this lane below its key */
};

/* Bytes for an alert's strings (detector, signature, category, class,
 * type, metric names and string values); longer ones are cut (counted in
 * stats.ward.engine.strings_cut). Detectors' longest lists are ~500. */
#define ALERT_STRINGS 1536

typedef struct rec_alert {
  wd_alert_t a;              /* pointers into str */
  const char *pcap_filename; /* borrowed from the capture, NULL for live */
  uint64_t pcap_cnt;
  char str[ALERT_STRINGS];
} rec_alert_t;

typedef struct rec_frame {
  wd_evidence_frame_t h;
  uint8_t data[WD_EVIDENCE_SNAP];
} rec_frame_t;

typedef struct rec_stats {
  wd_stats_snapshot_t s; /* s.files: one of the engine's file buffers */
  int files_buf;         /* which, -1 none */
  bool to_eve;           /* false: only for opts.on_stats (metrics) */
} rec_stats_t;

typedef struct rec_progress {
  uint64_t pkts, alerts, done, total;
  double elapsed;
  bool known, final;
} rec_progress_t;

typedef struct rec {
  uint32_t kind;
  /* With lanes: where the record falls in the one-thread order, the same
   * in every lane (see lanes below): the frame, then the stage, hook call
   * and detector (key_lo); REC_MARK: the least key its lane may still
   * send. */
  uint64_t key_frame, key_lo;
  union {
    rec_alert_t alert;
    rec_frame_t frame;
    struct {
      uint64_t sec_ns, now_ns;
    } tick;
    struct {
      wd_flow_t f;
      wd_flow_end_reason why;
    } flow;
    rec_stats_t stats;
    rec_progress_t progress;
    struct {
      uint64_t now_ns;
    } finish;
    wd_eve_app_t app;
  } u;
} rec_t;

_Static_assert(sizeof(rec_t) <= 2400, "queue records stay about 2.3 KiB");

/* ---- the engine ---- */

typedef struct det_slot {
  const wd_detector_ops_t *ops;
  void *state;
  uint64_t alerts;
  wd_memcap_t mc; /* its account of detect.memcap (its tables hold it) */
} det_slot;

#define FILE_BUFS 2 /* stats snapshots in flight with their file lists */

/* Stages of the packet path the profile charges (detectors apart). */
enum {
  PS_CAPTURE, /* reading the next frame (wd_capture_next) */
  PS_TICK,    /* a new second: expiry, detector ticks */
  PS_DECODE,  /* decoding and the decoder's counters */
  PS_FLOW,    /* flow lookup/creation, TCP state (and flow ends) */
  PS_PICK,    /* evidence picker */
  PS_APP,     /* stream reassembly, SMB parsing and the SMB hooks */
  PS_OUTPUT,  /* alerts and frames queued for the worker */
  PS_FINISH,  /* end of input: attacks and flows closed, worker drained */
  PS_COUNT
};
static const char *const stage_names[PS_COUNT] = {
    "capture",  "tick",       "decode", "flow lookup",
    "evidence", "stream/SMB", "output", "finish"};

typedef struct prof_state {
  bool on;
  bool nested; /* inside on_alert: its frames are charged with it */
  wd_prof_t clk;
  uint64_t acc[PS_COUNT];
  uint64_t det[WD_DETECTORS_MAX];
  uint64_t t0_ticks, t0_ns, t1_ticks, t1_ns;
  uint64_t cpu0_ns, cpu1_ns; /* the packet thread's CPU time */
  uint64_t lap_ticks;        /* what one lap costs, measured at the start */
} prof_state;

/* Charges the time since the last lap to acc (only when profiling). */
#define LAP(e, a)                                                              \
  do {                                                                         \
    if ((e)->prof.on)                                                          \
      wd_prof_lap(&(e)->prof.clk, (a));                                        \
  } while (0)

typedef struct worker {
  pthread_t thread;
  bool started;
  /* start-up handshake */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool ready;
  wd_rc setup_rc;
  char setup_err[512];
  /* the worker's own (read by others only after join) */
  wd_incidents_t *inc;
  wd_store_t *store; /* inc's, for wd_engine_store */
  uint64_t now_ns;
  uint64_t alerts;
  bool dirty; /* written since the last flush */
  wd_rc finish_rc;
  wd_incidents_stats_t inc_stats;
  wd_fleet_out_t *fleet; /* with opts.publish: alerts and frames out */
  /* lanes: each lane queue's oldest record (NULL: none peeked), whether
   * the queue ended, lane 0's stats snapshot waiting for the other lanes'
   * parts, and the evidence frames already handed on (their seq, direct
   * mapped: two lanes may pick the same frame) */
  struct rec *head[WD_READER_LANES];
  bool ended[WD_READER_LANES];
  unsigned turn; /* the lane looked at next when none has sent */
  struct rec_stats *pend;
  wd_table_t *ids; /* lanes: open attacks, lane's id -> process's id */
  wd_memcap_t ids_mc;
  uint64_t pend_key[2];
  unsigned pend_parts;
  uint64_t *seen;
} worker_t;

struct wd_engine {
  const wd_config_t *cfg;
  wd_engine_opts_t opts;
  wd_capture_t *cap;
  bool live;
  bool evidence;  /* frames are picked for incidents */
  bool to_worker; /* alerts have somewhere to go */

  wd_flow_table_t *flows;
  wd_app_t *app;
  wd_pick_t *pick;
  wd_memcap_t detect_mc;
  det_slot det[WD_DETECTORS_MAX];
  size_t ndet;
  /* The detectors whose on_packet wants a packet of each class (pkt_class:
   * its protocol, and whether it created its flow), in registry order. */
  uint8_t by_class[8][WD_DETECTORS_MAX];
  uint8_t n_by_class[8];
  wd_detect_ctx_t ctx;
  wd_alert_sink_t sink;
  size_t cur_det;      /* detector being called, for per-detector counts */
  bool any_alert_hook; /* some detector follows other detectors' alerts */
  bool in_alert_hook;  /* offering an alert: one not offered on */

  uint64_t first_ns, now_ns, cur_sec, last_stats_sec, last_metrics_sec;
  bool clock_started;
  const wd_frame_t *frame; /* frame being processed, for pcap_cnt */
  wd_stats_decoder_t dec;
  wd_stats_engine_t eng;

  /* progress */
  double start, last_progress;

  wd_queue_t *q;
  size_t nfiles;
  wd_stats_file_t *files[FILE_BUFS];
  _Atomic int files_busy[FILE_BUFS];

  /* indicator set: published by the worker, read by the packet thread */
  wd_intel_slot_t intel;
  _Atomic uint64_t intel_gen; /* swaps made (worker) */
  _Atomic uint64_t intel_ack; /* swaps the packet thread has ticked past */
  wd_intel_set_t *intel_old;  /* worker: freed once intel_ack catches up */

  worker_t w;
  /* ---- lanes (--workers N; docs/architecture.md) ----
   * Every lane is an engine of its own fed the same frames, which lane 0
   * reads for all (wd_reader_pump): its own flow table (lane 0's hash
   * key) and picker, and its share of the detectors (the slots of the
   * others stay empty); one lane has the stream/SMB state. The main
   * engine is lane 0, run on the caller's thread, and owns the worker,
   * which merges the lanes' queues by key.
   * A record's key is the frame it came from (kframe: frames begun, the
   * end of input one more), the stage of that frame (ST_*), the hook call
   * within the stage (kn: flow ends, SMB and application messages) and
   * the detector being called (none: after them). Every lane passes the
   * same frames, stages and flow ends; only the lane with the stream/SMB
   * state (app) has messages, and they have a stage of their own. So the
   * key puts every record where one thread would have put it. */
  unsigned nlanes;                     /* main: 1 without lanes */
  unsigned lane;                       /* this lane's index */
  wd_engine_t *main;                   /* lane 0 (itself there) */
  wd_engine_t *lanes[WD_READER_LANES]; /* main: every lane, [0] itself */
  uint64_t kframe, kn;
  unsigned kstage;
  uint64_t attack_ids; /* lanes: ctx.attack_ids (lane + 16 per attack) */
  size_t hook_from;    /* offering an alert: the detector that raised it */
  /* the worker waits on this lane's queue: for a mark once the lane's
   * next frame is this one or later (0: none asked) */
  _Atomic uint64_t want_mark;
  pthread_t lane_thread; /* lanes 1..: their own thread */
  bool lane_started, lane_done;
  bool finished;
  wd_rc finish_rc;
  char finish_err[512];
  prof_state prof;
  /* the frame decoded ahead of the one being processed (run_inline), or
   * NULL: its flow entry is fetched into the cache at the end of this one
   * (its bucket was asked for at the start: memory takes most of a
   * packet's time to answer) */
  const wd_decoded_t *ahead;
  /* capture files read by the reader thread (engine.reader): what the
   * packet thread knows of each file, as of the frame it works on */
  wd_reader_t *reader;
  struct file_now {
    uint64_t frames, error_frame;
    char error[256];
  } * file_now;
};

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the queue's rules ----
 * Alerts are never dropped: they are few (one per attack start, update and
 * end) and each is waited for when the queue is full. In `watch`
 * (a live link, where waiting would lose frames in the kernel instead),
 * evidence frames and flow events are dropped first, once the queue is
 * 3/4 full, so the last quarter stays for alerts; ticks and stats
 * snapshots are dropped only when it is full (the next ones carry the
 * same information, later). In `analyze` nothing is dropped: reading a
 * file, the packet thread waits (back-pressure). Each drop is counted in
 * the stats event (ward.engine). */
static rec_t *put(wd_engine_t *e, uint32_t kind) {
  wd_queue_policy pol = WD_QUEUE_WAIT;
  if (e->live && kind != REC_ALERT && kind != REC_FINISH)
    pol = kind == REC_FRAME || kind == REC_FLOW || kind == REC_PROGRESS
              ? WD_QUEUE_DROP_HIGH
              : WD_QUEUE_DROP_FULL;
  if (!e->live && kind == REC_PROGRESS)
    pol = WD_QUEUE_DROP_HIGH; /* a progress line is never worth a wait */
  rec_t *r = wd_queue_reserve(e->q, pol);
  if (!r) {
    switch (kind) {
    case REC_FRAME:
      e->eng.frames_dropped++;
      break;
    case REC_FLOW:
      e->eng.flows_dropped++;
      break;
    case REC_TICK:
      e->eng.ticks_dropped++;
      break;
    case REC_STATS:
      e->eng.stats_dropped++;
      break;
    }
    return NULL;
  }
  r->kind = kind;
  size_t d = e->in_alert_hook ? e->hook_from : e->cur_det;
  r->key_frame = e->kframe;
  r->key_lo = (uint64_t)e->kstage << 56 | (e->kn & 0xffffffffffffull) << 8 |
              (d < 255 ? d : 255);
  return r;
}

/* The stages of a frame, in order, for the records' keys (lanes). */
enum {
  ST_EXPIRE, /* a new second: flows ended by expiry */
  ST_TICK,   /* then the detectors' ticks (and the end's on_finish) */
  ST_FLOW,   /* the flow lookup (flows ended by eviction; the end's flush) */
  ST_PICK,   /* the evidence picker */
  ST_APP,    /* stream/SMB: messages */
  ST_PACKET, /* the detectors' on_packet */
  ST_END     /* the end of input: the incidents' end, the last stats */
};

static void key_stage(wd_engine_t *e, unsigned st) {
  e->kstage = st;
  e->kn = 0;
}

/* Lanes: tells the worker, when it asked and the lane has come as far
 * as it asked (or, with idle, the lane is about to wait for frames),
 * that this lane will send nothing below the next frame, so that it
 * need not wait for this lane to merge the others' records. */
static void mark(wd_engine_t *e, bool idle) {
  uint64_t want = atomic_load_explicit(&e->want_mark, memory_order_relaxed);
  if (!want || (!idle && e->kframe + 1 < want))
    return;
  atomic_store_explicit(&e->want_mark, 0, memory_order_relaxed);
  rec_t *r = put(e, REC_MARK);
  if (r) {
    r->key_frame = e->kframe + 1; /* the next frame, from its start */
    r->key_lo = 0;
    wd_queue_commit(e->q, true);
  }
}

/* On a live link everything is urgent (events should show at once); from
 * a file the worker may take records in batches. */
static void push(wd_engine_t *e, bool urgent) {
  wd_queue_commit(e->q, urgent || e->live);
}

/* ---- alerts (packet thread) ---- */

/* Copies s into the record's string space; NULL stays NULL. */
static const char *keep(wd_engine_t *e, rec_alert_t *ra, size_t *used,
                        const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s), room = sizeof ra->str - *used;
  if (room == 0) {
    e->eng.strings_cut++;
    return "";
  }
  if (n >= room) {
    n = room - 1;
    e->eng.strings_cut++;
  }
  char *d = ra->str + *used;
  memcpy(d, s, n);
  d[n] = 0;
  *used += n + 1;
  return d;
}

/* Offers a to the other detectors that follow alerts (c2.callback learns
 * of compromised hosts so); an alert they raise there is not offered on. */
static void offer_alert(wd_engine_t *e, const wd_alert_t *a) {
  if (e->in_alert_hook)
    return;
  e->in_alert_hook = true;
  size_t from = e->cur_det;
  e->hook_from = from;
  for (size_t i = 0; i < e->ndet; i++)
    if (i != from && e->det[i].state && e->det[i].ops->on_alert &&
        (!e->det[i].ops->follows ||
         (a->rsit_class &&
          strcmp(a->rsit_class, e->det[i].ops->follows) == 0))) {
      e->cur_det = i;
      e->det[i].ops->on_alert(e->det[i].state, &e->ctx, a);
    }
  e->cur_det = from;
  e->in_alert_hook = false;
}

static void alert_out(wd_engine_t *e, const wd_alert_t *a) {
  e->dec.alerts++;
  if (e->cur_det < e->ndet)
    e->det[e->cur_det].alerts++;
  if (e->any_alert_hook)
    offer_alert(e, a);
  if (!e->to_worker)
    return;
  if (e->pick)
    wd_pick_alert(e->pick, a); /* its frames go first */
  rec_t *r = put(e, REC_ALERT);
  if (!r)
    return; /* only when the worker has gone */
  rec_alert_t *ra = &r->u.alert;
  ra->a = *a;
  size_t used = 0;
  ra->a.detector = keep(e, ra, &used, a->detector);
  ra->a.signature = keep(e, ra, &used, a->signature);
  ra->a.category = keep(e, ra, &used, a->category);
  ra->a.rsit_class = keep(e, ra, &used, a->rsit_class);
  ra->a.rsit_type = keep(e, ra, &used, a->rsit_type);
  if (ra->a.n_metrics > WD_ALERT_METRICS_MAX)
    ra->a.n_metrics = WD_ALERT_METRICS_MAX;
  for (unsigned i = 0; i < ra->a.n_metrics; i++) {
    wd_alert_metric_t *m = &ra->a.metrics[i];
    m->name = keep(e, ra, &used, m->name);
    if (m->type == WD_METRIC_STR)
      m->v.s = keep(e, ra, &used, m->v.s);
  }
  ra->pcap_filename = NULL;
  ra->pcap_cnt = 0;
  if (e->frame && e->cap && !e->live) {
    const wd_capture_file_info_t *fi =
        wd_capture_file(e->cap, e->frame->source);
    ra->pcap_filename = fi ? fi->path : NULL;
    ra->pcap_cnt = e->frame->num;
  }
  push(e, false);
}

static void on_alert(void *user, const wd_alert_t *a) {
  wd_engine_t *e = user;
  if (!e->prof.on) {
    alert_out(e, a);
    return;
  }
  uint64_t t0 = wd_prof_ticks();
  e->prof.nested = true;
  alert_out(e, a);
  e->prof.nested = false;
  wd_prof_nested(&e->prof.clk, t0, &e->prof.acc[PS_OUTPUT]);
}

static void frame_out(wd_engine_t *e, const wd_evidence_frame_t *h,
                      const uint8_t *data) {
  rec_t *r = put(e, REC_FRAME);
  if (!r)
    return;
  r->u.frame.h = *h;
  if (h->caplen)
    memcpy(r->u.frame.data, data, h->caplen);
  e->eng.evidence_frames++;
  push(e, false);
}

static void send_frame(void *user, const wd_evidence_frame_t *h,
                       const uint8_t *data) {
  wd_engine_t *e = user;
  if (!e->prof.on || e->prof.nested) {
    frame_out(e, h, data);
    return;
  }
  uint64_t t0 = wd_prof_ticks();
  frame_out(e, h, data);
  wd_prof_nested(&e->prof.clk, t0, &e->prof.acc[PS_OUTPUT]);
}

/* ---- flows (packet thread) ---- */

static void on_flow_end(void *user, wd_flow_t *f, wd_flow_end_reason why) {
  wd_engine_t *e = user;
  e->kn++;
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state && e->det[i].ops->on_flow_end) {
      e->cur_det = i;
      e->det[i].ops->on_flow_end(e->det[i].state, &e->ctx, f);
    }
  e->cur_det = e->ndet;
  if (e->app)
    wd_app_flow_end(e->app, f);
  if (e->pick)
    wd_pick_flow_end(e->pick, f->id);
  if (e->opts.eve && e->opts.flow_events && !e->lane) {
    rec_t *r = put(e, REC_FLOW);
    if (r) {
      r->u.flow.f = *f;
      r->u.flow.why = why;
      push(e, false);
    }
  }
}

static void on_smb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                   int dir) {
  wd_engine_t *e = user;
  e->dec.smb_msgs++;
  e->kn++;
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state && e->det[i].ops->on_smb) {
      e->cur_det = i;
      e->det[i].ops->on_smb(e->det[i].state, &e->ctx, m, f, dir);
    }
  e->cur_det = e->ndet;
}

static void on_app(void *user, const wd_app_event_t *ev, const wd_flow_t *f,
                   int dir) {
  wd_engine_t *e = user;
  unsigned bit = WD_APP_PROTO_BIT(ev->kind);
  e->kn++;
  if (e->opts.eve && (e->opts.eve_protocols & bit)) {
    rec_t *r = put(e, REC_APP);
    if (r) {
      if (wd_eve_app_copy(&r->u.app, ev, f, dir))
        push(e, false);
      else
        r->kind = 0; /* nothing to write: the worker skips it */
    }
  }
  e->kn++; /* the detectors' records go after the event */
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state && e->det[i].ops->on_app &&
        (e->det[i].ops->app_protos & bit)) {
      e->cur_det = i;
      e->det[i].ops->on_app(e->det[i].state, &e->ctx, ev, f, dir);
    }
  e->cur_det = e->ndet;
}

/* ---- stats (packet thread: a copy of the counters) ---- */

static int take_files_buf(wd_engine_t *e) {
  for (int i = 0; i < FILE_BUFS; i++)
    if (!atomic_load_explicit(&e->files_busy[i], memory_order_acquire))
      return i;
  return -1;
}

static void snapshot(wd_engine_t *e, bool final, bool to_eve) {
  if (!(e->opts.eve && to_eve) && !e->opts.on_stats)
    return;
  int fb = -1;
  if (e->nfiles) {
    fb = take_files_buf(e);
    if (fb < 0 && (!e->live || final)) {
      /* both lists are still being written: once the worker has caught
       * up, both are free */
      wd_queue_drain(e->q);
      fb = take_files_buf(e);
    }
    if (fb < 0) {
      e->eng.stats_dropped++;
      return;
    }
  }
  rec_t *r = put(e, REC_STATS);
  if (!r)
    return;
  wd_stats_snapshot_t *s = &r->u.stats.s;
  memset(s, 0, sizeof *s);
  r->u.stats.files_buf = fb;
  r->u.stats.to_eve = to_eve;
  s->ts_ns = e->clock_started ? e->now_ns
                              : (uint64_t)time(NULL) * NSEC; /* nothing yet */
  s->uptime_s = e->clock_started ? (e->now_ns - e->first_ns) / NSEC : 0;
  s->span_s = e->clock_started ? (double)(e->now_ns - e->first_ns) / 1e9 : 0.0;
  if (e->live && e->cap && wd_capture_live_stats(e->cap, &s->live) == WD_OK)
    s->has_live = true;
  s->dec = e->dec;
  wd_flow_table_stats(e->flows, &s->flow);
  wd_memcap_read(&e->main->detect_mc, &s->detect_mc);
  if (e->main->nlanes > 1) {
    /* the pool moves with every lane: this lane's accounts, as of now,
     * which the worker adds up */
    s->detect_mc.used = s->detect_mc.hits = s->detect_mc.evicted = 0;
    for (size_t i = 0; i < e->ndet; i++) {
      s->detect_mc.used += e->det[i].mc.used;
      s->detect_mc.hits += e->det[i].mc.hits;
      s->detect_mc.evicted += e->det[i].mc.evicted;
    }
  }
  if (e->app) {
    s->has_app = true;
    wd_app_stats(e->app, &s->app);
  }
  s->ndet = e->ndet;
  for (size_t i = 0; i < e->ndet; i++) {
    s->det[i].name = e->det[i].ops->name;
    s->det[i].alerts = e->det[i].alerts;
    s->det[i].memuse = e->det[i].mc.used;
    s->det[i].evicted = e->det[i].mc.evicted;
  }
  wd_queue_stats_t qs;
  wd_queue_stats(e->q, &qs);
  e->eng.queue_size = qs.capacity;
  e->eng.queue_high_water = qs.high_water;
  e->eng.waits = qs.waits;
  s->engine = e->eng;
  if (fb >= 0) {
    atomic_store_explicit(&e->files_busy[fb], 1, memory_order_relaxed);
    wd_stats_file_t *fl = e->files[fb];
    for (size_t i = 0; i < e->nfiles; i++) {
      const wd_capture_file_info_t *fi = wd_capture_file(e->cap, i);
      fl[i].path = fi->path; /* set at open: safe beside the reader */
      if (e->reader) {
        const struct file_now *fn = &e->file_now[i];
        fl[i].frames = fn->frames;
        fl[i].error_frame = fn->error_frame;
        snprintf(fl[i].error, sizeof fl[i].error, "%s", fn->error);
      } else {
        fl[i].frames = fi->frames;
        fl[i].error_frame = fi->error_frame;
        snprintf(fl[i].error, sizeof fl[i].error, "%s", fi->error);
      }
    }
    s->files = fl;
    s->nfiles = e->nfiles;
  }
  push(e, true);
}

/* ---- time (packet thread) ---- */

static void tick(wd_engine_t *e, uint64_t sec) {
  uint64_t now = sec * NSEC;
  key_stage(e, ST_EXPIRE);
  wd_flow_table_expire(e->flows, now);
  /* a quiescent point: no hook holds the previous indicator set */
  atomic_store_explicit(
      &e->intel_ack,
      atomic_load_explicit(&e->main->intel_gen, memory_order_acquire),
      memory_order_release);
  key_stage(e, ST_TICK);
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state && e->det[i].ops->on_tick) {
      e->cur_det = i;
      e->det[i].ops->on_tick(e->det[i].state, &e->ctx, now);
    }
  e->cur_det = e->ndet;
  /* After the detectors: the ENDs they report now (after a jump of traffic
   * time, for attacks long quiet) still reach the incidents they belong
   * to; then those quiet for incidents.quiet_window close, before the
   * packet that moved the clock is looked at. */
  if (e->opts.db_path && !e->lane) {
    rec_t *r = put(e, REC_TICK);
    if (r) {
      r->u.tick.sec_ns = now;
      r->u.tick.now_ns = e->now_ns;
      push(e, false);
    }
  }
  bool eve = e->opts.stats_interval_s &&
             sec >= e->last_stats_sec + e->opts.stats_interval_s;
  /* metrics (opts.on_stats): a snapshot every second of traffic time */
  bool metrics = e->opts.on_stats && sec > e->last_metrics_sec;
  if (eve)
    e->last_stats_sec = sec;
  if (eve || metrics) {
    e->last_metrics_sec = sec;
    snapshot(e, false, eve);
  }
}

static void advance_time(wd_engine_t *e, uint64_t ts_ns) {
  if (!e->clock_started) {
    e->clock_started = true;
    e->first_ns = ts_ns;
    e->now_ns = ts_ns;
    e->cur_sec = ts_ns / NSEC;
    e->last_stats_sec = e->cur_sec;
    return;
  }
  if (ts_ns <= e->now_ns)
    return; /* out-of-order frame: time never goes back */
  e->now_ns = ts_ns;
  uint64_t sec = ts_ns / NSEC;
  if (sec > e->cur_sec) {
    e->cur_sec = sec;
    tick(e, sec);
  }
}

/* ---- per frame (packet thread) ---- */

static void progress(wd_engine_t *e, bool final);

/* Decodes d->fr (and hashes its flow key), charged to the profile. */
static void decode_frame(wd_engine_t *e, wd_decoded_t *d) {
  wd_decoded_fill(d, e->flows);
  LAP(e, &e->prof.acc[PS_DECODE]);
}

/* The class of an IP packet for the detectors' WD_PKT_* masks: bits 0-1
 * its protocol (TCP, UDP, ICMP, other), bit 2 whether it created f. */
static unsigned pkt_class(const wd_packet_t *p, const wd_flow_t *f) {
  unsigned c;
  switch (p->l4_proto) {
  case WD_PROTO_TCP:
    c = 0;
    break;
  case WD_PROTO_UDP:
    c = 1;
    break;
  case WD_PROTO_ICMP:
  case WD_PROTO_ICMPV6:
    c = 2;
    break;
  default:
    c = 3;
  }
  if (f && (f->pkt_events & WD_FLOW_EV_CREATED))
    c |= 4;
  return c;
}

/* Fills by_class from each enabled detector's on_packet and WD_PKT_*. */
static void by_class_init(wd_engine_t *e) {
  for (unsigned c = 0; c < 8; c++) {
    e->n_by_class[c] = 0;
    for (size_t i = 0; i < e->ndet; i++) {
      const wd_detector_ops_t *ops = e->det[i].ops;
      if (!e->det[i].state || !ops->on_packet)
        continue;
      unsigned protos = ops->packets & 15u ? ops->packets & 15u : 15u;
      if (!(protos & (1u << (c & 3))))
        continue;
      if ((ops->packets & WD_PKT_FLOW_NEW) && !(c & 4))
        continue;
      e->by_class[c][e->n_by_class[c]++] = (uint8_t)i;
    }
  }
}

/* Everything a frame does, in order: time, counters, flow, parsers,
 * detectors. */
static void process(wd_engine_t *e, const wd_decoded_t *d) {
  const wd_frame_t *fr = &d->fr;
  const wd_packet_t *p = &d->p;
  e->frame = fr;
  e->kframe++;
  key_stage(e, ST_EXPIRE);
  advance_time(e, fr->ts_ns);
  LAP(e, &e->prof.acc[PS_TICK]);
  wd_stats_decoder_t *c = &e->dec;
  c->pkts++;
  c->bytes += fr->caplen;
  if (fr->caplen > c->max_pkt)
    c->max_pkt = fr->caplen;
  c->by_link[wd_stats_link_index(fr->linktype)]++;
  wd_rc rc = d->rc;
  if (p->err != WD_DECODE_ERR_NONE) {
    c->errors[p->err]++;
    c->decode_errors++;
  }
  if (p->vlan_depth == 1)
    c->vlan++;
  else if (p->vlan_depth > 1)
    c->qinq++;
  if (p->ip_version == 0) {
    if (rc == WD_OK)
      c->non_ip++;
    LAP(e, &e->prof.acc[PS_DECODE]);
    goto done;
  }
  if (p->ip_version == 4)
    c->ipv4++;
  else
    c->ipv6++;
  if (p->fragment)
    c->frags++;
  switch (p->l4_proto) {
  case WD_PROTO_TCP:
    c->tcp++;
    break;
  case WD_PROTO_UDP:
    c->udp++;
    break;
  case WD_PROTO_ICMP:
    c->icmp4++;
    break;
  case WD_PROTO_ICMPV6:
    c->icmp6++;
    break;
  }
  LAP(e, &e->prof.acc[PS_DECODE]);
  int dir = WD_DIR_TO_SERVER;
  key_stage(e, ST_FLOW);
  wd_flow_t *f = wd_flow_table_update_hashed(e->flows, p, d->h, &dir);
  LAP(e, &e->prof.acc[PS_FLOW]);
  key_stage(e, ST_PICK);
  if (e->pick) {
    wd_pick_packet(e->pick, p, f);
    LAP(e, &e->prof.acc[PS_PICK]);
  }
  key_stage(e, ST_APP);
  if (f && e->app && p->has_l4) {
    static const wd_app_cb_t cb_tmpl = {.smb = on_smb, .app = on_app};
    wd_app_cb_t cb = cb_tmpl;
    cb.user = e;
    wd_app_packet(e->app, p, f, dir, &cb);
    LAP(e, &e->prof.acc[PS_APP]);
  }
  unsigned cls = pkt_class(p, f);
  key_stage(e, ST_PACKET);
  for (unsigned k = 0; k < e->n_by_class[cls]; k++) {
    size_t i = e->by_class[cls][k];
    const wd_detector_ops_t *ops = e->det[i].ops;
    if (ops->packets_srv && (!f || f->sport != ops->packets_srv))
      continue;
    e->cur_det = i;
    ops->on_packet(e->det[i].state, &e->ctx, p, f, dir);
    LAP(e, &e->prof.det[i]);
  }
  e->cur_det = e->ndet;
done:
  if (e->ahead) /* its bucket has come by now: fetch its entry */
    wd_flow_table_prefetch_entry(e->flows, e->ahead->h);
  e->frame = NULL;
  if (e->opts.progress && (c->pkts & 0xffff) == 0 && !e->lane)
    progress(e, false);
}

void wd_engine_feed(wd_engine_t *e, const wd_frame_t *fr) {
  if (e->finished)
    return;
  LAP(e, &e->prof.acc[PS_CAPTURE]);
  wd_decoded_t d;
  d.fr = *fr;
  decode_frame(e, &d);
  process(e, &d);
}

static uint64_t wall_ns(wd_engine_t *e) {
  if (e->opts.wall_clock)
    return e->opts.wall_clock(e->opts.clock_user);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

void wd_engine_idle(wd_engine_t *e) {
  if (e->finished)
    return;
  /* Live and quiet: traffic time follows the wall clock, from the start
   * (before any packet too), so that attacks end, incidents close and
   * stats keep coming on a quiet link. */
  advance_time(e, wall_ns(e));
}

/* ---- progress (numbers on the packet thread, the line on the worker) ---- */

static void progress(wd_engine_t *e, bool final) {
  double now = mono_now();
  /* The first check always prints: a long run shows its pace soon. */
  if (!final && now - e->last_progress <= 0.5 && e->dec.pkts != 0x10000)
    return;
  e->last_progress = now;
  rec_t *r = put(e, REC_PROGRESS);
  if (!r)
    return;
  rec_progress_t *p = &r->u.progress;
  p->pkts = e->dec.pkts;
  p->alerts = e->dec.alerts;
  p->known = e->reader
                 ? wd_reader_progress(e->reader, &p->done, &p->total)
                 : e->cap && wd_capture_progress(e->cap, &p->done, &p->total);
  p->elapsed = now - e->start;
  p->final = final;
  push(e, final);
}

/* ---- the worker ---- */

static void human_alert(FILE *h, const wd_alert_t *a,
                        const wd_facility_t *fac) {
  char ts[40], s[WD_ADDR_STRLEN], d[WD_ADDR_STRLEN];
  wd_eve_timestamp(a->ts_ns, ts);
  fprintf(h, "%.19sZ  %-18s %-6s %s -> %s", ts, a->detector,
          wd_alert_state_name(a->state),
          a->has_src ? wd_addr_str(&a->src, s) : "(many/spoofed)",
          wd_addr_str(&a->dst, d));
  if (a->has_ports)
    fprintf(h, ":%u", a->dport);
  fprintf(h, "  %s", a->signature);
  if (fac)
    fprintf(h, " [%s, %s]", fac->name, wd_facility_sector(fac));
  for (unsigned i = 0; i < a->n_metrics; i++) {
    const wd_alert_metric_t *m = &a->metrics[i];
    switch (m->type) {
    case WD_METRIC_U64:
      fprintf(h, " %s=%" PRIu64, m->name, m->v.u);
      break;
    case WD_METRIC_F64:
      fprintf(h, " %s=%.3g", m->name, m->v.d);
      break;
    case WD_METRIC_STR:
      fprintf(h, " %s=%s", m->name, m->v.s ? m->v.s : "");
      break;
    case WD_METRIC_BOOL:
      fprintf(h, " %s=%s", m->name, m->v.b ? "true" : "false");
      break;
    }
  }
  fputc('\n', h);
}

static void on_incident(void *user, const wd_incident_t *inc,
                        const char *what) {
  wd_engine_t *e = user;
  if (!e->opts.eve)
    return;
  json_t *w = json_object();
  json_object_set_new(w, "change", json_string(what));
  json_object_set_new(w, "incident", wd_incident_json(inc));
  json_t *o = json_object();
  json_object_set_new(o, "ward", w);
  wd_eve_event(e->opts.eve, "incident", e->w.now_ns, o);
  e->w.dirty = true;
}

/* Lanes: an attack's id as one thread would have given it (the process's
 * count, taken at its START in the merged order), for the lane's own id. */
static void worker_attack_id(wd_engine_t *e, wd_alert_t *a) {
  if (!a->attack_id)
    return;
  uint64_t lane_id = a->attack_id;
  bool created = false;
  if (a->state == WD_ALERT_END) {
    uint64_t v;
    a->attack_id =
        wd_table_take(e->w.ids, &lane_id, &v) ? v : wd_alert_next_id();
    return;
  }
  uint64_t *id = wd_table_get(e->w.ids, &lane_id, e->w.now_ns, &created);
  if (!id) {
    a->attack_id = wd_alert_next_id();
    return;
  }
  if (created)
    *id = wd_alert_next_id();
  a->attack_id = *id;
}

static void worker_alert(wd_engine_t *e, rec_alert_t *ra) {
  wd_alert_t *a = &ra->a;
  if (e->w.ids)
    worker_attack_id(e, a);
  a->sensor = e->opts.sensor; /* NULL: the host name */
  e->w.alerts++;
  if (e->w.inc)
    wd_incidents_alert(e->w.inc, a);
  const wd_facility_t *fac = wd_config_facility_of(e->cfg, &a->dst);
  if (!fac && a->has_src)
    fac = wd_config_facility_of(e->cfg, &a->src);
  if (e->w.fleet)
    wd_fleet_out_alert(e->w.fleet, a, wd_config_facility_of(e->cfg, &a->dst));
  if (e->opts.eve) {
    wd_eve_origin_t origin = {ra->pcap_filename, ra->pcap_cnt};
    wd_eve_alert(e->opts.eve, a, fac, &origin);
  }
  if (e->opts.human)
    human_alert(e->opts.human, a, fac);
  e->w.dirty = true;
}

static void worker_progress(const rec_progress_t *p, uint64_t alerts) {
  char tail[96] = "";
  if (p->known) {
    double share = p->total ? (double)p->done / (double)p->total : 1.0;
    if (share > 1.0)
      share = 1.0;
    if (p->final || share >= 1.0)
      snprintf(tail, sizeof tail, ", 100%% read");
    else if (share > 0)
      snprintf(tail, sizeof tail, ", %.0f%% read, about %.0f s left",
               share * 100.0, p->elapsed * (1.0 - share) / share + 0.5);
  }
  fprintf(stderr,
          "\rward: %" PRIu64 " packets, %" PRIu64 " alerts, %.1f s%s  %s",
          p->pkts, alerts, p->elapsed, tail, p->final ? "\n" : "");
  fflush(stderr);
}

static void worker_stats(wd_engine_t *e, rec_stats_t *st) {
  if (e->opts.on_stats)
    e->opts.on_stats(e->opts.stats_user, &st->s);
  if (st->to_eve && e->opts.eve) {
    if (e->w.fleet) {
      wd_stats_extra_t x;
      wd_fleet_out_stats(e->w.fleet, &x);
      wd_stats_write_extra(e->opts.eve, &st->s, &x);
    } else {
      wd_stats_write(e->opts.eve, &st->s);
    }
    e->w.dirty = false; /* the stats event flushes */
  }
  if (st->files_buf >= 0)
    atomic_store_explicit(&e->files_busy[st->files_buf], 0,
                          memory_order_release);
}

/* Lanes: one lane's engine counters added to another's. */
static void engine_add(wd_stats_engine_t *a, const wd_stats_engine_t *b) {
  a->queue_size += b->queue_size;
  a->queue_high_water += b->queue_high_water;
  a->waits += b->waits;
  a->frames_dropped += b->frames_dropped;
  a->flows_dropped += b->flows_dropped;
  a->ticks_dropped += b->ticks_dropped;
  a->stats_dropped += b->stats_dropped;
  a->evidence_frames += b->evidence_frames;
  a->strings_cut += b->strings_cut;
}

/* Lanes: what a lane counts beside lane 0 (its detectors' alerts and
 * memory, its share of the queue's drops) added to lane 0's snapshot. */
static void stats_add(wd_stats_snapshot_t *s, const wd_stats_snapshot_t *p) {
  s->dec.alerts += p->dec.alerts;
  s->dec.smb_msgs += p->dec.smb_msgs; /* counted where SMB is parsed */
  s->detect_mc.used += p->detect_mc.used;
  s->detect_mc.hits += p->detect_mc.hits;
  s->detect_mc.evicted += p->detect_mc.evicted;
  if (p->has_app) {
    s->has_app = true;
    s->app = p->app;
  }
  for (size_t i = 0; i < s->ndet && i < p->ndet; i++) {
    s->det[i].alerts += p->det[i].alerts;
    s->det[i].memuse += p->det[i].memuse;
    s->det[i].evicted += p->det[i].evicted;
  }
  engine_add(&s->engine, &p->engine);
}

static void stats_flush(wd_engine_t *e) {
  if (e->w.pend_parts) {
    e->w.pend_parts = 0;
    worker_stats(e, e->w.pend);
  }
}

/* Lanes: lane 0's snapshot waits for the other lanes' parts (taken at
 * the same point, so with the same key: the merge hands them over right
 * after it); one missing (dropped) lets it go with the parts it has. */
static void stats_part(wd_engine_t *e, unsigned lane, rec_t *r) {
  worker_t *w = &e->w;
  if (lane == 0) {
    stats_flush(e);
    *w->pend = r->u.stats;
    w->pend_key[0] = r->key_frame;
    w->pend_key[1] = r->key_lo;
    w->pend_parts = 1;
  } else if (w->pend_parts && r->key_frame == w->pend_key[0] &&
             r->key_lo == w->pend_key[1]) {
    stats_add(&w->pend->s, &r->u.stats.s);
    w->pend_parts++;
  }
  if (w->pend_parts == e->nlanes)
    stats_flush(e);
}

#define SEEN_FRAMES 8192u /* evidence frames remembered, lanes */

/* Lanes: whether frame seq was handed on already (another lane's picker
 * chose it too). */
static bool frame_seen(wd_engine_t *e, uint64_t seq) {
  if (!e->w.seen)
    return false;
  uint64_t *slot = &e->w.seen[seq & (SEEN_FRAMES - 1)];
  if (*slot == seq)
    return true;
  *slot = seq;
  return false;
}

static void worker_record(wd_engine_t *e, rec_t *r, unsigned lane) {
  switch (r->kind) {
  case REC_ALERT:
    worker_alert(e, &r->u.alert);
    break;
  case REC_FRAME:
    if (frame_seen(e, r->u.frame.h.seq))
      break;
    wd_incidents_frame(e->w.inc, &r->u.frame.h, r->u.frame.data);
    if (e->w.fleet)
      wd_fleet_out_frame(e->w.fleet, &r->u.frame.h, r->u.frame.data);
    break;
  case REC_TICK:
    e->w.now_ns = r->u.tick.now_ns;
    wd_incidents_tick(e->w.inc, r->u.tick.sec_ns);
    break;
  case REC_FLOW:
    wd_eve_flow(e->opts.eve, &r->u.flow.f, r->u.flow.why);
    e->w.dirty = true;
    break;
  case REC_STATS:
    if (e->nlanes > 1)
      stats_part(e, lane, r);
    else
      worker_stats(e, &r->u.stats);
    break;
  case REC_PROGRESS:
    worker_progress(&r->u.progress,
                    e->nlanes > 1 ? e->w.alerts : r->u.progress.alerts);
    break;
  case REC_APP:
    wd_eve_app(e->opts.eve, &r->u.app);
    e->w.dirty = true;
    break;
  case REC_FINISH:
    e->w.now_ns = r->u.finish.now_ns;
    if (e->w.inc)
      e->w.finish_rc = wd_incidents_finish(e->w.inc);
    if (e->w.fleet)
      wd_fleet_out_finish(e->w.fleet);
    break;
  }
}

/* Between batches: outputs reopened on SIGHUP; on a live link, what was
 * written is flushed before the worker sleeps. */
static void intel_reload(wd_engine_t *e) {
  if (e->intel_old) /* the previous swap is still being waited for */
    return;
  wd_intel_set_t *s = e->opts.intel_reload(e->opts.intel_user);
  if (!s)
    return;
  e->intel_old = wd_intel_slot_swap(&e->intel, s);
  atomic_fetch_add_explicit(&e->intel_gen, 1, memory_order_acq_rel);
}

static void worker_idle(wd_engine_t *e) {
  if (e->opts.reopen && *e->opts.reopen) {
    *e->opts.reopen = 0;
    if (e->opts.eve)
      wd_eve_reopen(e->opts.eve);
    if (e->opts.intel_reload)
      intel_reload(e);
  }
  bool acked = e->intel_old != NULL;
  for (unsigned i = 0; acked && i < e->nlanes; i++)
    acked =
        atomic_load_explicit(&e->lanes[i]->intel_ack, memory_order_acquire) >=
        atomic_load_explicit(&e->intel_gen, memory_order_acquire);
  if (acked) {
    wd_intel_set_free(e->intel_old);
    e->intel_old = NULL;
  }
  if (e->live && e->w.dirty) {
    if (e->opts.eve)
      wd_eve_flush(e->opts.eve);
    if (e->opts.human)
      fflush(e->opts.human);
    e->w.dirty = false;
  }
}

/* The next record for the worker, in place, from lane *from: with lanes,
 * the least (key, lane) of the lanes' oldest records, a mark counting as
 * below a record of the same key (its lane may still send that key).
 * Each lane's records come in its own order; a lane that has sent
 * nothing is asked for a mark (want_mark) and waited for, as the record
 * that goes next may still come from it. NULL with *rc WD_AGAIN when
 * nothing came within timeout_ms, WD_END when every queue has ended. */
static rec_t *next_rec(wd_engine_t *e, int timeout_ms, wd_rc *rc,
                       unsigned *from) {
  worker_t *w = &e->w;
  if (e->nlanes == 1) {
    *from = 0;
    return w->head[0] = wd_queue_peek(e->q, timeout_ms, rc);
  }
  for (;;) {
    unsigned empty = e->nlanes, heads = 0;
    for (unsigned i = 0; i < e->nlanes; i++) {
      if (!w->head[i] && !w->ended[i]) {
        wd_rc qrc;
        w->head[i] = wd_queue_peek(e->lanes[i]->q, 0, &qrc);
        if (!w->head[i] && qrc == WD_END)
          w->ended[i] = true;
        else if (!w->head[i] && empty == e->nlanes)
          empty = i;
      }
      heads += w->head[i] != NULL;
    }
    if (empty < e->nlanes) {
      /* With a record waiting elsewhere, the lane that sent nothing is
       * asked for a mark past it and waited for. With none anywhere,
       * the lanes are looked at in turn, a millisecond each: a record
       * may come on any of them. */
      wd_engine_t *l = e->lanes[empty];
      int wait = timeout_ms;
      if (heads) {
        uint64_t want = UINT64_MAX;
        for (unsigned k = 0; k < e->nlanes; k++)
          if (w->head[k] && w->head[k]->key_frame < want)
            want = w->head[k]->key_frame;
        atomic_store_explicit(&l->want_mark, want + 1, memory_order_relaxed);
      } else {
        l = e->lanes[w->turn++ % e->nlanes];
        wait = timeout_ms ? 1 : 0;
      }
      unsigned i = l->lane;
      wd_rc qrc = WD_AGAIN;
      if (!w->head[i] && !w->ended[i])
        w->head[i] = wd_queue_peek(l->q, wait, &qrc);
      if (!w->head[i] && qrc == WD_END)
        w->ended[i] = true;
      if (!w->head[i] && !w->ended[i]) {
        *rc = WD_AGAIN;
        return NULL;
      }
      continue; /* look at them all again */
    }
    unsigned best = e->nlanes;
    for (unsigned i = 0; i < e->nlanes; i++) {
      const rec_t *r = w->head[i];
      if (!r)
        continue;
      const rec_t *b = best < e->nlanes ? w->head[best] : NULL;
      int c = !b ? -1
              : r->key_frame != b->key_frame
                  ? (r->key_frame < b->key_frame ? -1 : 1)
              : r->key_lo != b->key_lo ? (r->key_lo < b->key_lo ? -1 : 1)
                                       : 0;
      if (c < 0 || (c == 0 && r->kind == REC_MARK && b->kind != REC_MARK))
        best = i;
    }
    if (best == e->nlanes) {
      *rc = WD_END;
      return NULL;
    }
    if (w->head[best]->kind != REC_MARK) {
      *from = best;
      *rc = WD_OK;
      return w->head[best];
    }
    wd_queue_release(e->lanes[best]->q); /* heard: look at that lane again */
    w->head[best] = NULL;
  }
}

static void *worker_main(void *arg) {
  wd_engine_t *e = arg;
  worker_t *w = &e->w;
  prctl(PR_SET_NAME, "ward-worker"); /* as top -H and /proc show it */
  wd_rc rc = WD_OK;
  if (e->opts.db_path)
    rc = wd_incidents_new(e->cfg, e->opts.db_path, on_incident, e, &w->inc,
                          w->setup_err, sizeof w->setup_err);
  if (rc == WD_OK && e->opts.publish &&
      (rc = wd_fleet_out_new(e->opts.publish, &w->fleet)) != WD_OK)
    snprintf(w->setup_err, sizeof w->setup_err, "out of memory");
  if (w->inc)
    w->store = wd_incidents_store(w->inc);
  pthread_mutex_lock(&w->mu);
  w->setup_rc = rc;
  w->ready = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (rc != WD_OK) {
    for (unsigned i = 0; i < e->nlanes; i++)
      wd_queue_abandon(e->lanes[i]->q);
    return NULL;
  }
  int timeout = e->live ? 100 : 250;
  unsigned n = 0;
  for (;;) {
    wd_rc qrc;
    unsigned from = 0;
    rec_t *r = next_rec(e, 0, &qrc, &from);
    if (!r && qrc == WD_AGAIN) {
      worker_idle(e);
      r = next_rec(e, timeout, &qrc, &from);
    }
    if (!r) {
      if (qrc == WD_END)
        break;
      continue;
    }
    worker_record(e, r, from);
    wd_queue_release(e->lanes[from]->q);
    w->head[from] = NULL;
    if ((++n & 255) == 0 && e->opts.reopen && *e->opts.reopen)
      worker_idle(e);
  }
  stats_flush(e);
  worker_idle(e);
  if (w->inc) {
    wd_incidents_stats(w->inc, &w->inc_stats);
    wd_incidents_free(w->inc); /* the store closes on its own thread */
    w->inc = NULL;
    w->store = NULL;
  }
  return NULL;
}

/* ---- stage profile ---- */

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* Calibration points and the cost of one lap (the clock read itself,
 * charged to whatever stage it ends: printed so it can be discounted). */
static void prof_start(wd_engine_t *e) {
  prof_state *ps = &e->prof;
  memset(ps, 0, sizeof *ps);
  enum { N = 1024 };
  uint64_t sink = 0;
  wd_prof_t c = {wd_prof_ticks(), 0};
  uint64_t a = wd_prof_ticks();
  for (int i = 0; i < N; i++)
    wd_prof_lap(&c, &sink);
  ps->lap_ticks = (wd_prof_ticks() - a) / N;
  ps->cpu0_ns = thread_cpu_ns();
  ps->t0_ns = wd_prof_mono_ns();
  ps->t0_ticks = wd_prof_ticks();
  ps->clk.last = ps->t0_ticks;
  ps->on = true;
}

void wd_engine_profile_print(const wd_engine_t *e, FILE *out) {
  const prof_state *ps = &e->prof;
  if (!ps->t1_ticks || ps->t1_ticks <= ps->t0_ticks || !e->dec.pkts) {
    fprintf(out, "ward: no stage profile (no packets)\n");
    return;
  }
  double wall = (double)(ps->t1_ns - ps->t0_ns);
  double ns_per_tick = wall / (double)(ps->t1_ticks - ps->t0_ticks);
  /* Stages are timed on the wall clock; time the thread spent off the
   * CPU (a shared machine) falls on whatever stage it interrupted, in
   * proportion to its wall time: scaled by the thread's CPU share, the
   * figures add up to its CPU time. */
  double cpu_share = wall > 0 ? (double)(ps->cpu1_ns - ps->cpu0_ns) / wall : 1;
  if (cpu_share > 1 || cpu_share <= 0)
    cpu_share = 1;
  double per = ns_per_tick * cpu_share / (double)e->dec.pkts, total = 0;
  for (int i = 0; i < PS_COUNT; i++)
    total += (double)ps->acc[i] * per;
  for (size_t i = 0; i < e->ndet; i++)
    total += (double)ps->det[i] * per;
  fprintf(out,
          "ward: stage profile: %" PRIu64 " packets, %.1f ns/packet of the "
          "packet thread's CPU time (on the CPU %.0f%% of its wall time; "
          "one clock read costs %.1f ns, charged to the stage it ends)\n",
          e->dec.pkts, total, 100.0 * cpu_share,
          (double)ps->lap_ticks * ns_per_tick);
  fprintf(out, "  %-28s %10s %7s\n", "stage", "ns/packet", "share");
  for (int i = 0; i < PS_COUNT; i++) {
    double v = (double)ps->acc[i] * per;
    fprintf(out, "  %-28s %10.1f %6.1f%%\n", stage_names[i], v,
            total > 0 ? 100.0 * v / total : 0.0);
    if (i == PS_APP)
      for (size_t d = 0; d < e->ndet; d++) {
        if (!e->det[d].state || !e->det[d].ops->on_packet)
          continue;
        char name[64];
        snprintf(name, sizeof name, "detect %s", e->det[d].ops->name);
        double dv = (double)ps->det[d] * per;
        fprintf(out, "  %-28s %10.1f %6.1f%%\n", name, dv,
                total > 0 ? 100.0 * dv / total : 0.0);
      }
  }
  fprintf(out, "  %-28s %10.1f %6.1f%%\n", "total", total, 100.0);
}

/* ---- life cycle ---- */

/* A lane's own tables: its queue to the worker, flow table (with the
 * hash key of lane 0's: frames are hashed once for all lanes), stream/SMB
 * state (one lane: app) and picker. */
static wd_rc lane_tables(wd_engine_t *e, uint32_t qn, bool app) {
  wd_rc rc;
  if ((rc = wd_queue_new(sizeof(rec_t), qn, &e->q)) != WD_OK ||
      (rc = wd_flow_table_new(e->cfg, on_flow_end, e, &e->flows)) != WD_OK ||
      (app && (rc = wd_app_new(e->cfg, &e->app)) != WD_OK))
    return rc;
  if (e->lane)
    wd_flow_table_share_key(e->flows, e->main->flows);
  if (e->evidence)
    rc = wd_pick_new(e->cfg->evidence.packets_per_flow,
                     e->cfg->evidence.flood_sample, send_frame, e, &e->pick);
  return rc;
}

/* Lane i of m (i >= 1): the options of m without what only lane 0 sends
 * (flow and application events, ticks and the end for the incidents,
 * progress), the indicator set of m. */
static wd_rc lane_new(wd_engine_t *m, unsigned i, uint32_t qn, bool app) {
  wd_engine_t *l = aligned_alloc(64, (sizeof *l + 63) / 64 * 64);
  if (!l)
    return WD_ERR_NOMEM;
  memset(l, 0, sizeof *l);
  m->lanes[i] = l;
  l->cfg = m->cfg;
  l->opts = m->opts;
  l->opts.progress = false;
  l->opts.flow_events = false;
  l->opts.db_path = NULL;
  l->opts.publish = NULL;
  l->opts.intel_reload = NULL;
  l->cap = m->cap;
  l->evidence = m->evidence;
  l->to_worker = m->to_worker;
  l->sink.emit = on_alert;
  l->sink.user = l;
  l->lane = i;
  l->main = l->lanes[0] = m;
  l->nlanes = 1;
  l->ctx.cfg = m->cfg;
  l->ctx.sink = &l->sink;
  l->ctx.intel = &m->intel;
  atomic_init(&l->intel_gen, 0);
  atomic_init(&l->intel_ack, 0);
  atomic_init(&l->want_mark, 0);
  for (int k = 0; k < FILE_BUFS; k++)
    atomic_init(&l->files_busy[k], 0);
  l->start = l->last_progress = m->start;
  return lane_tables(l, qn, app);
}

static bool has_class(const wd_detector_ops_t *d, const char *cls) {
  for (size_t i = 0; i < d->n_sigs; i++)
    if (d->sigs[i].rsit_class && strcmp(d->sigs[i].rsit_class, cls) == 0)
      return true;
  return false;
}

#define APP_COST 60   /* stream/SMB per packet, as a detector's cost */
#define READ_COST 200 /* lane 0 reads and decodes for all (the same) */

static bool uses_app(const wd_detector_ops_t *d) {
  return d->on_smb || d->on_app || d->app_protos;
}

static void join(size_t *bundle, size_t n, size_t a, size_t b) {
  size_t old = bundle[b], to = bundle[a];
  for (size_t k = 0; k < n; k++)
    if (bundle[k] == old)
      bundle[k] = to;
}

/* Which lane runs each detector (--workers): bundles of what must stay
 * together (a detector that follows alerts, with every detector that has
 * a signature of the class it follows; every detector of SMB or
 * application messages, on the one lane that reassembles and parses, its
 * cost counted with them), the costliest bundle first, each to the lane
 * with the least cost so far (lane 0 starts with the reading). Returns
 * the lane that parses. */
static unsigned share_out(const wd_detector_ops_t *const *ops, size_t n,
                          unsigned lanes, unsigned *lane_of) {
  size_t bundle[WD_DETECTORS_MAX], app = n;
  for (size_t i = 0; i < n; i++)
    bundle[i] = i;
  for (size_t f = 0; f < n; f++) {
    if (uses_app(ops[f]))
      join(bundle, n, app < n ? app : (app = f), f);
    if (!ops[f]->on_alert)
      continue;
    for (size_t j = 0; j < n; j++)
      if (!ops[f]->follows || has_class(ops[j], ops[f]->follows))
        join(bundle, n, f, j);
  }
  uint64_t cost[WD_DETECTORS_MAX] = {0}, load[WD_READER_LANES] = {0};
  unsigned at[WD_DETECTORS_MAX] = {0};
  bool placed[WD_DETECTORS_MAX] = {false};
  for (size_t i = 0; i < n; i++)
    cost[bundle[i]] += ops[i]->cost ? ops[i]->cost : 1;
  if (app < n)
    cost[bundle[app]] += APP_COST;
  if (lanes > 1)
    load[0] = READ_COST;
  for (;;) {
    size_t b = n;
    for (size_t i = 0; i < n; i++)
      if (bundle[i] == i && !placed[i] && (b == n || cost[i] > cost[b]))
        b = i;
    if (b == n)
      break;
    unsigned least = 0;
    for (unsigned k = 1; k < lanes; k++)
      if (load[k] < load[least])
        least = k;
    load[least] += cost[b];
    at[b] = least;
    placed[b] = true;
  }
  for (size_t i = 0; i < n; i++)
    lane_of[i] = at[bundle[i]];
  return app < n ? lane_of[app] : 0;
}

wd_rc wd_engine_new(const wd_config_t *cfg, wd_capture_t *cap,
                    const wd_engine_opts_t *opts, wd_engine_t **out, char *err,
                    size_t errlen) {
  *out = NULL;
  if (err && errlen)
    err[0] = 0;
  wd_engine_t *e = aligned_alloc(64, (sizeof *e + 63) / 64 * 64);
  wd_rc rc = WD_ERR_NOMEM;
  if (!e) {
    wd_intel_set_free(opts->intel);
    snprintf(err, errlen, "out of memory");
    return rc;
  }
  memset(e, 0, sizeof *e);
  e->cfg = cfg;
  e->opts = *opts;
  wd_intel_slot_init(&e->intel, opts->intel);
  e->opts.intel = NULL; /* the slot holds it */
  atomic_init(&e->intel_gen, 0);
  atomic_init(&e->intel_ack, 0);
  e->cap = cap;
  e->live = cap ? wd_capture_is_live(cap) : opts->live;
  e->to_worker = opts->eve || opts->human || opts->db_path || opts->publish;
  /* Frames are picked for the local evidence files, and for the centre
   * when publishing (it needs no local folder). */
  e->evidence = ((opts->db_path && cfg->evidence.dir) || opts->publish) &&
                (cfg->evidence.packets_per_flow || cfg->evidence.flood_sample);
  e->sink.emit = on_alert;
  e->sink.user = e;
  e->start = e->last_progress = mono_now();
  for (int i = 0; i < FILE_BUFS; i++)
    atomic_init(&e->files_busy[i], 0);
  atomic_init(&e->want_mark, 0);
  pthread_mutex_init(&e->w.mu, NULL);
  pthread_cond_init(&e->w.cv, NULL);
  /* Lanes read files (lane 0 reads for all); never live, never with
   * the stage profile (which times one thread). */
  unsigned lanes = opts->workers ? opts->workers : cfg->engine.workers;
  if (!cap || e->live || opts->profile_stages || lanes < 1)
    lanes = 1;
  if (lanes > WD_READER_LANES)
    lanes = WD_READER_LANES;
  e->nlanes = lanes;
  e->main = e->lanes[0] = e;
  const wd_detector_ops_t *ops[WD_DETECTORS_MAX];
  size_t n = wd_detectors_list(ops, WD_DETECTORS_MAX);
  unsigned lane_of[WD_DETECTORS_MAX];
  unsigned app_lane = share_out(ops, n, lanes, lane_of);
  /* Each lane keeps every flow: lanes flow tables in all. */
  uint64_t need = (uint64_t)lanes * cfg->flow.memcap + cfg->stream.memcap +
                  cfg->detect.memcap;
  if (lanes > 1 && need > cfg->memory.cap) {
    snprintf(err, errlen,
             "%u workers keep a flow table each: %u x flow.memcap %.0f MiB "
             "+ stream.memcap %.0f MiB + detect.memcap %.0f MiB exceed "
             "memory.cap %.0f MiB; expected memory.cap of %.0f MiB or more "
             "(or a smaller flow.memcap)",
             lanes, lanes, cfg->flow.memcap / 1048576.0,
             cfg->stream.memcap / 1048576.0, cfg->detect.memcap / 1048576.0,
             cfg->memory.cap / 1048576.0, need / 1048576.0);
    rc = WD_ERR_INVAL;
    goto fail;
  }
  uint32_t qn = opts->queue_records ? opts->queue_records : cfg->engine.queue;
  if (!qn)
    qn = 1024;
  rc = lane_tables(e, qn, app_lane == 0);
  for (unsigned i = 1; rc == WD_OK && i < lanes; i++)
    rc = lane_new(e, i, qn, app_lane == i);
  if (rc == WD_OK && lanes > 1) {
    e->w.pend = malloc(sizeof *e->w.pend);
    e->attack_ids = 0;
    e->ctx.attack_ids = &e->attack_ids;
    for (unsigned i = 1; i < lanes; i++) {
      e->lanes[i]->attack_ids = i;
      e->lanes[i]->ctx.attack_ids = &e->lanes[i]->attack_ids;
    }
    /* open attacks at once: well above what the detectors' tables hold */
    wd_memcap_init(&e->w.ids_mc, "attack ids", 64u << 20);
    if (rc == WD_OK)
      rc = wd_table_new("attack ids", sizeof(uint64_t), sizeof(uint64_t),
                        1u << 20, &e->w.ids_mc, NULL, NULL, &e->w.ids);
    e->w.seen = e->evidence ? calloc(SEEN_FRAMES, sizeof *e->w.seen) : NULL;
    if (!e->w.pend || (e->evidence && !e->w.seen))
      rc = WD_ERR_NOMEM;
  }
  if (rc != WD_OK) {
    snprintf(err, errlen, "cannot set up tables: %s", wd_rc_str(rc));
    goto fail;
  }
  e->nfiles = cap ? wd_capture_nfiles(cap) : 0;
  for (int i = 0; i < FILE_BUFS && e->nfiles; i++)
    if (!(e->files[i] = calloc(e->nfiles, sizeof *e->files[i]))) {
      rc = WD_ERR_NOMEM;
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
  e->ctx.cfg = cfg;
  e->ctx.sink = &e->sink;
  e->ctx.intel = &e->intel;
  wd_memcap_init(&e->detect_mc, "detect", cfg->detect.memcap);
  unsigned app_protos = 0;
  for (unsigned k = 0; k < lanes; k++) {
    wd_engine_t *l = e->lanes[k];
    l->ndet = n; /* every slot; only the lane's own detectors have state */
    for (size_t i = 0; i < n; i++)
      l->det[i].ops = ops[i];
  }
  for (size_t i = 0; i < n; i++) {
    void *st = NULL;
    wd_engine_t *l = e->lanes[lane_of[i]];
    wd_memcap_t *mc = &l->det[i].mc;
    wd_memcap_init_share(mc, ops[i]->name, &e->detect_mc);
    if ((rc = ops[i]->create(cfg, mc, &st)) != WD_OK) {
      snprintf(err, errlen, "cannot set up detector %s: %s", ops[i]->name,
               wd_rc_str(rc));
      goto fail;
    }
    l->det[i].state = st;
    if (st)
      app_protos |= ops[i]->app_protos;
    if (st && ops[i]->on_alert)
      l->any_alert_hook = true;
  }
  if (opts->eve)
    app_protos |= opts->eve_protocols;
  /* every lane parses what any detector wants, so that the lanes pass
   * the same hook points */
  for (unsigned k = 0; k < lanes; k++) {
    wd_engine_t *l = e->lanes[k];
    l->cur_det = l->ndet;
    by_class_init(l);
    if (l->app)
      wd_app_set_protocols(l->app, app_protos);
  }

  /* The worker opens the store itself: the connection belongs to it. It
   * blocks the process's signals (SIGINT, SIGHUP, ...), so that they reach
   * the packet thread, which acts on them, and never interrupt a write. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int tr = pthread_create(&e->w.thread, NULL, worker_main, e);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (tr != 0) {
    rc = WD_ERR_NOMEM;
    snprintf(err, errlen, "cannot start the worker thread");
    goto fail;
  }
  e->w.started = true;
  pthread_mutex_lock(&e->w.mu);
  while (!e->w.ready)
    pthread_cond_wait(&e->w.cv, &e->w.mu);
  rc = e->w.setup_rc;
  pthread_mutex_unlock(&e->w.mu);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s",
             e->w.setup_err[0] ? e->w.setup_err : wd_rc_str(rc));
    goto fail;
  }
  *out = e;
  return WD_OK;
fail:
  e->finished = true; /* nothing to finish */
  wd_engine_free(e);
  return rc;
}

/* Whether the packet thread should stop reading now (a stop signal). */
static bool stopping(wd_engine_t *e) { return e->opts.stop && *e->opts.stop; }

/* Reading the capture on the packet thread. Reading a file, each frame is
 * decoded one ahead of the frame being worked on (when the capture can
 * show it without a read, wd_capture_peek), and its flow's bucket, then
 * (once the current frame's flow is found) its first entry, are fetched
 * into the cache meanwhile: the flow table is far larger than the caches,
 * and a lookup would otherwise wait on memory twice. */
static void run_inline(wd_engine_t *e) {
  wd_decoded_t ring[2];
  unsigned cur = 0;
  bool ahead = false; /* ring[cur] holds the next frame, decoded */
  for (;;) {
    if (stopping(e)) {
      wd_capture_stop(e->cap);
      break;
    }
    if (!ahead) {
      wd_rc rc = wd_capture_next(e->cap, &ring[cur].fr);
      if (rc == WD_END)
        break;
      if (rc == WD_AGAIN) {
        wd_engine_idle(e);
        continue;
      }
      LAP(e, &e->prof.acc[PS_CAPTURE]);
      decode_frame(e, &ring[cur]);
    }
    wd_decoded_t *nx = &ring[cur ^ 1];
    ahead = wd_capture_peek(e->cap, &nx->fr);
    if (ahead) {
      LAP(e, &e->prof.acc[PS_CAPTURE]);
      decode_frame(e, nx);
      if (nx->p.ip_version)
        wd_flow_table_prefetch_bucket(e->flows, nx->h);
    }
    e->ahead = ahead && nx->p.ip_version ? nx : NULL;
    process(e, &ring[cur]);
    e->ahead = NULL;
    if (ahead) {
      wd_capture_next(e->cap, &nx->fr); /* the frame peeked at */
      LAP(e, &e->prof.acc[PS_CAPTURE]);
      cur ^= 1;
    }
  }
}

/* The frame k records ahead, if it is one and IP (else NULL). */
static const wd_decoded_t *ahead_ip(wd_reader_t *r, unsigned lane, uint32_t k) {
  const wd_reader_rec_t *rec = wd_reader_ahead(r, lane, k);
  return rec && rec->kind == WD_READER_FRAME && rec->u.d.p.ip_version
             ? &rec->u.d
             : NULL;
}

/* Frames from the reader thread, decoded; two records ahead are in sight,
 * so the bucket of the one after next and the entry of the next (its
 * bucket asked for one frame earlier) are fetched before this one is
 * worked on. */
static void run_reader(wd_engine_t *e) {
  const wd_reader_rec_t *rec;
  wd_reader_t *r = e->main->reader;
  unsigned lane = e->lane;
  bool lanes = e->main->nlanes > 1, stopped = false;
  for (;;) {
    /* A stop ends the reading; the frames already read are still
     * analysed (at most the reader's queue), then the run finishes. */
    if (!lane && !stopped && stopping(e)) {
      wd_capture_stop(e->cap); /* the reader may wait on a pipe */
      stopped = true;
    }
    if (lanes) {
      /* the worker may be waiting to hear from this lane: it is told
       * before the lane waits for frames, and between frames */
      mark(e, false);
      if (!lane) { /* lane 0 reads for all */
        int k;
        while (!wd_reader_ready(r, 0) && (k = wd_reader_pump(r, 16)) >= 0)
          if (k == 0) { /* another lane is behind */
            mark(e, true);
            sched_yield();
          }
      } else {
        while (!wd_reader_ready(r, lane) && !wd_reader_ended(r, lane, 5))
          mark(e, true);
      }
    }
    if ((rec = wd_reader_next(r, lane)) == NULL)
      break;
    if (rec->kind == WD_READER_FILE_STATUS) {
      if (!lane) {
        struct file_now *fn = &e->file_now[rec->u.file.source];
        fn->error_frame = rec->u.file.error_frame;
        snprintf(fn->error, sizeof fn->error, "%s", rec->u.file.error);
      }
      wd_reader_release(r, lane);
      continue;
    }
    const wd_decoded_t *two = ahead_ip(r, lane, 2);
    if (two)
      wd_flow_table_prefetch_bucket(e->flows, two->h);
    const wd_decoded_t *one = ahead_ip(r, lane, 1);
    if (one)
      wd_flow_table_prefetch_entry(e->flows, one->h);
    if (!lane)
      e->file_now[rec->u.d.fr.source].frames = rec->u.d.fr.num;
    process(e, &rec->u.d);
    wd_reader_release(r, lane);
  }
}

static void lane_finish(wd_engine_t *e);

/* Lanes 1..: their share of the detectors on every frame, then their end
 * of input. */
static void *lane_main(void *arg) {
  wd_engine_t *l = arg;
  char name[16];
  snprintf(name, sizeof name, "ward-lane-%u", l->lane);
  prctl(PR_SET_NAME, name);
  run_reader(l);
  lane_finish(l);
  return NULL;
}

/* Starts lanes 1.. on their threads (signals blocked: they reach the
 * packet thread). False when one could not start. */
static bool lanes_start(wd_engine_t *e) {
  bool ok = true;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  for (unsigned i = 1; i < e->nlanes && ok; i++) {
    wd_engine_t *l = e->lanes[i];
    ok = pthread_create(&l->lane_thread, NULL, lane_main, l) == 0;
    l->lane_started = ok;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return ok;
}

/* The reader thread when it may help: files, two processors or more, no
 * stage profile (which times the read and the decode on this thread).
 * With lanes, always, without a thread: lane 0 reads for all. */
static void reader_start(wd_engine_t *e) {
  if (e->nlanes == 1 &&
      (e->live || !e->cfg->engine.reader || e->opts.profile_stages ||
       sysconf(_SC_NPROCESSORS_ONLN) < 2))
    return;
  e->file_now = calloc(e->nfiles ? e->nfiles : 1, sizeof *e->file_now);
  if (!e->file_now)
    return;
  for (size_t i = 0; i < e->nfiles; i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(e->cap, i);
    e->file_now[i].error_frame = fi->error_frame;
    snprintf(e->file_now[i].error, sizeof e->file_now[i].error, "%s",
             fi->error);
  }
  /* lanes: lane 0 reads, no thread of its own (share_out gives it less
   * of the detectors' work) */
  if (wd_reader_start(e->cap, e->flows, e->nlanes, e->nlanes == 1,
                      &e->reader) != WD_OK) {
    free(e->file_now);
    e->file_now = NULL;
  }
}

wd_rc wd_engine_run(wd_engine_t *e, char *err, size_t errlen) {
  if (!e->cap)
    return WD_ERR_INVAL;
  if (e->opts.profile_stages)
    prof_start(e);
  reader_start(e);
  if (e->nlanes > 1) {
    /* Every lane must see every frame: without the reader, or without
     * every lane's thread, nothing is read. */
    bool ok = e->reader && lanes_start(e);
    for (unsigned i = 1; !ok && e->reader && i < e->nlanes; i++)
      if (!e->lanes[i]->lane_started)
        wd_reader_abandon(e->reader, i); /* the reader stops at once */
    if (e->reader)
      run_reader(e);
    lane_finish(e);
    for (unsigned i = 1; i < e->nlanes; i++)
      if (e->lanes[i]->lane_started) {
        pthread_join(e->lanes[i]->lane_thread, NULL);
        e->lanes[i]->lane_started = false;
      }
    wd_reader_stop(e->reader);
    e->reader = NULL;
    wd_rc rc = wd_engine_finish(e, err, errlen);
    if (!ok) {
      snprintf(err, errlen, "cannot start the threads of --workers %u",
               e->nlanes);
      return WD_ERR_NOMEM;
    }
    return rc;
  }
  if (e->reader) {
    run_reader(e);
    wd_reader_stop(e->reader); /* the capture is this thread's again */
    e->reader = NULL;
  } else {
    run_inline(e);
  }
  LAP(e, &e->prof.acc[PS_CAPTURE]);
  return wd_engine_finish(e, err, errlen);
}

/* End of input for one lane: its attacks closed, then its flows, the
 * incidents told (lane 0), its last snapshot; then its queue closes. */
static void lane_finish(wd_engine_t *e) {
  if (e->lane_done)
    return;
  e->kframe++;
  key_stage(e, ST_TICK);
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state && e->det[i].ops->on_finish) {
      e->cur_det = i;
      e->det[i].ops->on_finish(e->det[i].state, &e->ctx, e->now_ns);
    }
  e->cur_det = e->ndet;
  key_stage(e, ST_FLOW);
  wd_flow_table_flush(e->flows);
  key_stage(e, ST_END);
  if (!e->lane && (e->opts.db_path || e->opts.publish)) {
    rec_t *r = put(e, REC_FINISH);
    if (r) {
      r->u.finish.now_ns = e->now_ns;
      push(e, true);
    }
  }
  snapshot(e, true, true);
  if (e->opts.progress)
    progress(e, true);
  e->lane_done = true;
  wd_queue_close(e->q);
}

wd_rc wd_engine_finish(wd_engine_t *e, char *err, size_t errlen) {
  if (e->finished) {
    if (err && errlen)
      snprintf(err, errlen, "%s", e->finish_err);
    return e->finish_rc;
  }
  lane_finish(e);
  for (unsigned i = 1; i < e->nlanes; i++) {
    wd_engine_t *l = e->lanes[i];
    if (l->lane_started) {
      pthread_join(l->lane_thread, NULL);
      l->lane_started = false;
    }
    lane_finish(l); /* a lane that never ran */
  }
  e->finished = true;
  pthread_join(e->w.thread, NULL);
  e->w.started = false;
  e->finish_rc = e->w.finish_rc;
  if (e->prof.on) {
    LAP(e, &e->prof.acc[PS_FINISH]);
    e->prof.t1_ticks = wd_prof_ticks();
    e->prof.t1_ns = wd_prof_mono_ns();
    e->prof.cpu1_ns = thread_cpu_ns();
  }
  if (e->finish_rc != WD_OK)
    snprintf(e->finish_err, sizeof e->finish_err, "storing incidents in %s: %s",
             e->opts.db_path, wd_rc_str(e->finish_rc));
  if (err && errlen)
    snprintf(err, errlen, "%s", e->finish_err);
  return e->finish_rc;
}

void wd_engine_result(const wd_engine_t *e, wd_engine_result_t *res) {
  memset(res, 0, sizeof *res);
  res->packets = e->dec.pkts;
  res->bytes = e->dec.bytes;
  res->alerts = e->dec.alerts;
  res->decode_errors = e->dec.decode_errors;
  for (size_t i = 0; e->cap && i < wd_capture_nfiles(e->cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(e->cap, i);
    if (wd_capture_file_unread(fi))
      res->files_failed++;
    else if (fi->error[0])
      res->files_partial++;
  }
  res->engine = e->eng;
  wd_queue_stats_t qs;
  wd_queue_stats(e->q, &qs);
  res->engine.queue_size = qs.capacity;
  res->engine.queue_high_water = qs.high_water;
  res->engine.waits = qs.waits;
  for (unsigned i = 1; i < e->nlanes; i++) { /* the other lanes' parts */
    const wd_engine_t *l = e->lanes[i];
    wd_stats_engine_t b = l->eng;
    wd_queue_stats(l->q, &qs);
    b.queue_size = qs.capacity;
    b.queue_high_water = qs.high_water;
    b.waits = qs.waits;
    engine_add(&res->engine, &b);
    res->alerts += l->dec.alerts;
  }
  if (e->finished && !e->w.started) {
    res->alerts_written = e->w.alerts;
    res->has_incidents = e->opts.db_path != NULL;
    res->incidents = e->w.inc_stats;
    if (e->w.fleet)
      wd_fleet_out_result(e->w.fleet, &res->fleet);
  }
}

wd_store_t *wd_engine_store(wd_engine_t *e) { return e->w.store; }

/* A lane's detectors and tables (lane_tables). */
static void lane_free(wd_engine_t *e) {
  for (size_t i = 0; i < e->ndet; i++)
    if (e->det[i].state)
      e->det[i].ops->destroy(e->det[i].state);
  wd_pick_free(e->pick);
  if (e->app)
    wd_app_free(e->app);
  if (e->flows)
    wd_flow_table_free(e->flows);
  wd_queue_free(e->q);
}

void wd_engine_free(wd_engine_t *e) {
  if (!e)
    return;
  if (!e->finished)
    wd_engine_finish(e, NULL, 0);
  if (e->w.started) { /* set-up failed after the worker started */
    for (unsigned i = 0; i < e->nlanes; i++)
      if (e->lanes[i] && e->lanes[i]->q)
        wd_queue_close(e->lanes[i]->q);
    pthread_join(e->w.thread, NULL);
  }
  for (unsigned i = 1; i < e->nlanes; i++)
    if (e->lanes[i]) {
      lane_free(e->lanes[i]);
      free(e->lanes[i]);
    }
  lane_free(e);
  free(e->w.pend);
  if (e->w.ids)
    wd_table_free(e->w.ids);
  free(e->w.seen);
  for (int i = 0; i < FILE_BUFS; i++)
    free(e->files[i]);
  free(e->file_now);
  wd_fleet_out_free(e->w.fleet);
  wd_intel_set_free(e->intel_old);
  wd_intel_set_free(wd_intel_slot_swap(&e->intel, NULL));
  pthread_cond_destroy(&e->w.cv);
  pthread_mutex_destroy(&e->w.mu);
  free(e);
}
