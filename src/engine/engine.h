/* engine.h -- one run of ward's packet path, and the thread behind it.
 * capture -> decode -> flows/hosts -> SMB reassembly and parsing ->
 * detectors -> alerts, on the packet thread (the caller of wd_engine_run or
 * wd_engine_feed); then, through a bounded queue (queue.h), on one worker
 * thread the engine starts: incident correlation (the store and the
 * evidence files, src/incident), EVE events (alerts, flows, stats,
 * incidents) and the human alert lines, in the order the packet thread
 * produced them. The packet thread does no I/O of its own: no store, no
 * file, no event line (docs/architecture.md).
 * In: a loaded config, the options below (both borrowed for the life of
 * the engine) and frames (a capture, or frames fed one by one). Out: the
 * events and incidents above, a result with counters. Memory: tables,
 * detectors, the queue and the evidence picker are sized at creation;
 * nothing is allocated per packet. Time is traffic time; on a live link
 * that goes quiet it follows the wall clock. With opts.workers > 1
 * (files only) the packet path runs on that many threads (lanes), with
 * the events and incidents of one (docs/architecture.md). */
#ifndef WD_ENGINE_ENGINE_H
#define WD_ENGINE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "core/config.h"
#include "detect/intel_feed.h"
#include "fleet/publish.h"
#include "incident/incident.h"
#include "output/eve.h"
#include "output/stats.h"

typedef struct wd_engine_opts {
  wd_eve_t *eve;                 /* NULL: no events; used by the worker only */
  FILE *human;                   /* human alert lines, NULL for none (worker) */
  bool progress;                 /* progress line on standard error (worker) */
  bool flow_events;              /* emit flow events */
  unsigned eve_protocols;        /* application events written: WD_APP_PROTO_BIT
                                    mask (wd_eve_protocols), 0 none */
  uint32_t stats_interval_s;     /* 0: stats at the end only */
  const char *db_path;           /* store incidents here (NULL: none) */
  volatile sig_atomic_t *reopen; /* set by SIGHUP: reopen outputs */
  volatile sig_atomic_t *stop;   /* set by SIGINT/SIGTERM */
  /* Without a capture (frames fed by wd_engine_feed): true to follow the
   * rules of a live link (drops instead of waits, idle clock). With a
   * capture, its own kind decides. */
  bool live;
  uint32_t queue_records; /* 0: cfg->engine.queue */
  /* Wall clock in ns since the epoch for an idle live link (tests); NULL:
   * CLOCK_REALTIME. */
  uint64_t (*wall_clock)(void *user);
  void *clock_user;
  /* Metrics (`ward watch --metrics`): called on the worker thread with a
   * snapshot of every counter, once a second of traffic time and at the
   * end; it copies what it needs (the snapshot's file list is reused).
   * NULL: none. Never called on the packet thread. */
  void (*on_stats)(void *user, const wd_stats_snapshot_t *s);
  void *stats_user;
  /* The indicator set intel.match matches against (NULL: none); the
   * engine owns it from wd_engine_new on, also when that fails. */
  wd_intel_set_t *intel;
  /* Called on the worker thread when SIGHUP came (*reopen): a new set to
   * publish (NULL: keep the one in force). The packet thread swaps to it
   * at its next packet; the old set is freed once the packet thread has
   * passed a tick after the swap, so no hook still reads it. */
  wd_intel_set_t *(*intel_reload)(void *user);
  void *intel_user;
  /* Time each stage of the packet path (wd_engine_run only): a cheap
   * clock read at each stage boundary; off, one branch per stage. */
  bool profile_stages;
  /* Packet threads (lanes) reading a capture of files: each follows
   * every flow and runs its share of the detectors; the worker merges
   * their records into the order of one thread (docs/architecture.md).
   * 0: cfg->engine.workers. Live capture and profile_stages: one. */
  unsigned workers;
  /* Fleet mode: the worker publishes every alert (keyed by its
   * facility) and the evidence frames chosen for it (NULL: none).
   * Borrowed; its calls only copy into its queue (docs/fleet.md). */
  wd_publish_t *publish;
  /* The sensor's name recorded with the incidents of this run (NULL: the
   * host name). Borrowed. */
  const char *sensor;
} wd_engine_opts_t;

typedef struct wd_engine_fleet_stats {
  uint64_t frames_published; /* evidence frames handed to the publisher */
  uint64_t frames_unmatched; /* frames no alert claimed: not published */
  uint64_t publish_refused;  /* alerts/frames the publisher did not take */
} wd_engine_fleet_stats_t;

typedef struct wd_engine_result {
  uint64_t packets, bytes, alerts, decode_errors;
  uint64_t files_failed;   /* could not be read at all */
  uint64_t files_partial;  /* stopped early on a read error */
  uint64_t alerts_written; /* alerts the worker handled */
  wd_stats_engine_t engine;
  bool has_incidents;
  wd_incidents_stats_t incidents;
  wd_engine_fleet_stats_t fleet; /* with opts.publish */
} wd_engine_result_t;

typedef struct wd_engine wd_engine_t;

/* Sets up tables, detectors and the worker thread, which opens the store
 * (with opts->db_path) and owns it from then on. cap may be NULL (frames
 * come through wd_engine_feed); else it is borrowed until wd_engine_free.
 * On failure err says why and nothing was started. */
wd_rc wd_engine_new(const wd_config_t *cfg, wd_capture_t *cap,
                    const wd_engine_opts_t *opts, wd_engine_t **out, char *err,
                    size_t errlen);

/* Reads the capture until it ends (or *opts->stop), then finishes
 * (wd_engine_finish). */
wd_rc wd_engine_run(wd_engine_t *e, char *err, size_t errlen);

/* One frame (its bytes borrowed for the call). */
void wd_engine_feed(wd_engine_t *e, const wd_frame_t *fr);
/* Nothing came from a live link: traffic time follows the wall clock. */
void wd_engine_idle(wd_engine_t *e);

/* End of input: closes open attacks and flows, writes the last stats,
 * waits for the worker to store every incident and stop. Returns the
 * store's error, if any (err says which). Once only; later calls return
 * the same. */
wd_rc wd_engine_finish(wd_engine_t *e, char *err, size_t errlen);

/* Counters so far (complete after wd_engine_finish). */
void wd_engine_result(const wd_engine_t *e, wd_engine_result_t *out);

/* With opts.profile_stages, after wd_engine_finish: ns per packet of each
 * stage (capture, tick, decode, flow lookup, evidence,
 * stream/SMB, each detector, output, finish) and their total, as a table
 * on out. */
void wd_engine_profile_print(const wd_engine_t *e, FILE *out);

/* For tests: the worker's store (NULL without a database), borrowed; only
 * its owner thread may use it, others may ask wd_store_owner_is_caller. */
wd_store_t *wd_engine_store(wd_engine_t *e);

/* Finishes if needed, stops the worker, frees everything. */
void wd_engine_free(wd_engine_t *e);

#endif
