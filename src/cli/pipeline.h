/* pipeline.h -- one run of ward's packet path:
 * capture -> decode -> flows/hosts -> SMB reassembly and parsing ->
 * detectors -> alerts -> events (and, with a database, incidents).
 * In: an open capture and a loaded config, both borrowed for the run. Out:
 * events on the EVE writer, a human summary, counters. Everything per
 * packet is preallocated; time is traffic time. */
#ifndef WD_CLI_PIPELINE_H
#define WD_CLI_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "core/config.h"
#include "output/eve.h"

typedef struct wd_pipeline_opts {
  wd_eve_t *eve;                 /* NULL: no events */
  FILE *human;                   /* human summary stream, NULL for none */
  bool progress;                 /* progress line on standard error */
  bool flow_events;              /* emit flow events */
  uint32_t stats_interval_s;     /* 0: stats at the end only */
  const char *db_path;           /* store incidents here (NULL: none) */
  volatile sig_atomic_t *reopen; /* set by SIGHUP: reopen outputs */
  volatile sig_atomic_t *stop;   /* set by SIGINT/SIGTERM */
} wd_pipeline_opts_t;

typedef struct wd_pipeline_result {
  uint64_t packets, bytes, alerts, decode_errors;
  uint64_t files_failed;  /* could not be read at all */
  uint64_t files_partial; /* stopped early on a read error */
} wd_pipeline_result_t;

/* Runs until the capture ends (or *stop). Returns WD_OK or the setup
 * failure (then nothing was read). */
wd_rc wd_pipeline_run(const wd_config_t *cfg, wd_capture_t *cap,
                      const wd_pipeline_opts_t *opts, wd_pipeline_result_t *res,
                      char *err, size_t errlen);

#endif
