/* detector.h -- the interface every detector implements, and the registry.
 * In: packets with their flow, parsed SMB messages, flow ends, and a tick
 * at each new second of traffic time. Out: alerts through the sink.
 * Each detector keeps its own state, bounded by detect.memcap (the
 * wd_memcap_t handed to create) and by its config keys. Hooks a detector
 * does not need are NULL. Detectors never do I/O and never allocate per
 * packet. */
#ifndef WD_DETECT_DETECTOR_H
#define WD_DETECT_DETECTOR_H

#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "detect/alert.h"
#include "flow/flow.h"
#include "flow/host.h"

struct wd_smb_msg; /* proto/smb.h */

typedef struct wd_detect_ctx {
  const wd_config_t *cfg;
  wd_host_table_t *hosts; /* shared per-address counters, read only */
  const wd_alert_sink_t *sink;
} wd_detect_ctx_t;

typedef struct wd_detector_ops {
  const char *name; /* exactly as in ward.detector */
  /* Creates state; returns WD_OK with *state NULL when disabled. */
  wd_rc (*create)(const wd_config_t *cfg, wd_memcap_t *mc, void **state);
  void (*destroy)(void *state);
  void (*on_packet)(void *state, const wd_detect_ctx_t *ctx,
                    const wd_packet_t *p, const wd_flow_t *f, int dir);
  void (*on_smb)(void *state, const wd_detect_ctx_t *ctx,
                 const struct wd_smb_msg *m, const wd_flow_t *f, int dir);
  void (*on_flow_end)(void *state, const wd_detect_ctx_t *ctx,
                      const wd_flow_t *f);
  /* Traffic time entered a new second; now_ns is its start. */
  void (*on_tick)(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns);
  /* End of input: report END for every attack still open. */
  void (*on_finish)(void *state, const wd_detect_ctx_t *ctx,
                    uint64_t now_ns);
} wd_detector_ops_t;

/* Fills out with the detectors linked in, in a fixed order; returns how
 * many. */
#include <stddef.h>
size_t wd_detectors_list(const wd_detector_ops_t **out, size_t max);
#define WD_DETECTORS_MAX 32

#endif
