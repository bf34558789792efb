/* app.h -- the application layer the pipeline calls: TCP reassembly and
 * SMB parsing for flows on the SMB ports (445, 139).
 * In: decoded TCP packets with their flow and direction; flow ends. Out:
 * wd_smb_msg_t values on the caller's callback (borrowed for the call).
 * Memory: per-flow state (stream + SMB parser, a few KiB) comes from slabs
 * reserved against stream.memcap, shared with the reassembly chunks; the
 * flow's `app` slot holds its 1-based index. When the memcap is exhausted a
 * new SMB flow goes uninspected and stats.no_state counts it. Other ports
 * cost one comparison. Threads: one wd_app_t per pipeline. */
#ifndef WD_PROTO_APP_H
#define WD_PROTO_APP_H

#include "core/config.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "proto/smb.h"

typedef struct wd_app wd_app_t;

typedef void (*wd_smb_fn)(void *user, const struct wd_smb_msg *m,
                          const wd_flow_t *f, int dir);

typedef struct wd_app_stats {
  wd_stream_stats_t stream;
  wd_smb_stats_t smb;
  uint64_t flows; /* SMB flows given state */
  uint64_t flows_active;
  uint64_t no_state; /* SMB packets of flows refused state (memcap) */
} wd_app_stats_t;

wd_rc wd_app_new(const wd_config_t *cfg, wd_app_t **out);
void wd_app_free(wd_app_t *a);

/* Feeds one decoded TCP packet of flow f (dir = WD_DIR_TO_SERVER or
 * WD_DIR_TO_CLIENT); for SMB ports, reassembles and calls fn for every SMB
 * message (or message header) parsed. Cheap no-op for other ports. */
void wd_app_packet(wd_app_t *a, const wd_packet_t *p, wd_flow_t *f, int dir,
                   wd_smb_fn fn, void *user);

/* The flow is leaving the flow table: release its stream/parser state. */
void wd_app_flow_end(wd_app_t *a, wd_flow_t *f);

void wd_app_stats(const wd_app_t *a, wd_app_stats_t *out);

#endif
