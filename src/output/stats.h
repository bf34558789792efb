/* stats.h -- the EVE "stats" event, built from plain counters.
 * In: a wd_stats_snapshot_t that the engine fills on its packet thread (a
 * copy of every counter at one instant: decoder, flow table,
 * stream/SMB, detectors, the engine's queue, the capture). Out: one
 * "stats" event on an EVE writer (wd_stats_write, on the engine's worker
 * thread). Memory: the snapshot is plain data the caller owns; file paths
 * and detector names in it are borrowed from the capture and the detector
 * registry, which outlive the run. Nothing here touches a table. */
#ifndef WD_OUTPUT_STATS_H
#define WD_OUTPUT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "core/memcap.h"
#include "core/table.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "proto/app.h"

/* Frame counts by link type, in this order in the event. */
enum {
  WD_STATS_LINK_ETHERNET,
  WD_STATS_LINK_SLL,
  WD_STATS_LINK_SLL2,
  WD_STATS_LINK_RAW,
  WD_STATS_LINK_NULL,
  WD_STATS_LINK_OTHER,
  WD_STATS_LINKS
};

/* Index of a link type (DLT_*) in wd_stats_decoder_t.by_link. */
int wd_stats_link_index(int linktype);

/* What the packet path counts itself. */
typedef struct wd_stats_decoder {
  uint64_t pkts, bytes, max_pkt, non_ip;
  uint64_t by_link[WD_STATS_LINKS];
  uint64_t ipv4, ipv6, tcp, udp, icmp4, icmp6, vlan, qinq, frags;
  uint64_t errors[WD_DECODE_ERR_COUNT]; /* by wd_decode_err */
  uint64_t decode_errors;               /* frames with any error */
  uint64_t alerts;
  uint64_t smb_msgs;
} wd_stats_decoder_t;

/* The engine's queue and what its rules cost (docs/architecture.md). */
typedef struct wd_stats_engine {
  uint64_t queue_size;       /* records the queue holds */
  uint64_t queue_high_water; /* most records waiting at once */
  uint64_t waits;            /* times the packet thread waited for room */
  uint64_t frames_dropped;   /* evidence frames not sent: queue 3/4 full */
  uint64_t flows_dropped;    /* flow events not sent: queue 3/4 full */
  uint64_t ticks_dropped;    /* clock ticks not sent: queue full */
  uint64_t stats_dropped;    /* stats snapshots not sent: queue full */
  uint64_t evidence_frames;  /* evidence frames sent */
  uint64_t strings_cut;      /* alert strings cut to fit a record */
} wd_stats_engine_t;

/* One capture file (or the live interface). */
typedef struct wd_stats_file {
  const char *path; /* borrowed from the capture */
  uint64_t frames;
  uint64_t error_frame;
  char error[256]; /* empty: none */
} wd_stats_file_t;

typedef struct wd_stats_snapshot {
  uint64_t ts_ns;    /* event time (traffic time, else the wall clock) */
  uint64_t uptime_s; /* traffic time covered */
  double span_s;     /* the same, exact, for pps/bps (0: none) */
  bool has_live;     /* live capture: the kernel's counters below */
  wd_capture_live_stats_t live;
  wd_stats_decoder_t dec;
  wd_flow_stats_t flow;
  wd_memcap_t detect_mc;
  bool has_app;
  wd_app_stats_t app;
  size_t ndet;
  struct {
    const char *name; /* borrowed: the detector's ops */
    uint64_t alerts;
    uint64_t memuse;  /* its part of detect_mc.used (0: no tables, off) */
    uint64_t evicted; /* live entries its tables recycled when full */
  } det[WD_DETECTORS_MAX];
  wd_stats_engine_t engine;
  size_t nfiles;          /* entries of files */
  wd_stats_file_t *files; /* caller's storage */
} wd_stats_snapshot_t;

/* Writes s as one "stats" event (and flushes the writer). */
void wd_stats_write(wd_eve_t *eve, const wd_stats_snapshot_t *s);

/* Counters of a stage that runs beside the engine (the fleet publisher),
 * filled by the worker when it writes the event: "ward.NAME" of the
 * stats event, each counter under its name, state (if not NULL) as
 * "state". Names are borrowed (static strings). */
#define WD_STATS_EXTRA_MAX 24
typedef struct wd_stats_extra {
  const char *name; /* "fleet" */
  const char *state;
  size_t n;
  struct {
    const char *name;
    uint64_t v;
  } c[WD_STATS_EXTRA_MAX];
} wd_stats_extra_t;

/* wd_stats_write with extra counters (NULL: none). */
void wd_stats_write_extra(wd_eve_t *eve, const wd_stats_snapshot_t *s,
                          const wd_stats_extra_t *x);

#endif
