/* pick.h -- which frames become evidence, chosen on the packet thread.
 * In: every packet (wd_pick_packet: one bounded copy into a ring of recent
 * frames, one hash probe when flows are watched, a compare per watched
 * flood target; no allocation, no system call) and every alert the packet
 * thread emits (wd_pick_alert, at alert rate). Out: the frames an incident
 * can keep, handed to a send callback (the engine puts them on its queue
 * for the worker's evidence recorder, src/incident/evidence.c): for an
 * alert naming a flow, the first evidence.packets_per_flow frames of that
 * flow (those still in the ring, then the next ones); for a flood alert
 * (ddos.*), evidence.flood_sample frames towards its target (up to half
 * from the ring, the rest from what follows). The recorder decides which
 * incident keeps them, with the same rules, so what it gets is what it
 * would have recorded itself. Ring frames are sent before the alert that
 * asked for them, so the frame that triggered an alert is always there.
 * Each frame is sent at most once. Memory: fixed at creation (ring of
 * WD_EVIDENCE_RING_SLOTS frames of WD_EVIDENCE_SNAP bytes, flow and target
 * watch tables); a full watch table refuses and counts.
 * Threads: the packet thread only. */
#ifndef WD_ENGINE_PICK_H
#define WD_ENGINE_PICK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "decode/packet.h"
#include "detect/alert.h"
#include "flow/flow.h"
#include "incident/evidence.h"

typedef struct wd_pick wd_pick_t;

/* Called for every chosen frame; h and data are borrowed for the call. */
typedef void (*wd_pick_send_fn)(void *user, const wd_evidence_frame_t *h,
                                const uint8_t *data);

typedef struct wd_pick_stats {
  uint64_t sent;       /* frames handed to send */
  uint64_t truncated;  /* frames cut to WD_EVIDENCE_SNAP */
  uint64_t watch_full; /* flows/targets not watched: table full */
} wd_pick_stats_t;

wd_rc wd_pick_new(uint32_t packets_per_flow, uint32_t flood_sample,
                  wd_pick_send_fn send, void *user, wd_pick_t **out);
void wd_pick_free(wd_pick_t *k);

/* Per packet, before the detectors see it. f may be NULL. */
void wd_pick_packet(wd_pick_t *k, const wd_packet_t *p, const wd_flow_t *f);
/* Per alert, before the alert itself is sent on. */
void wd_pick_alert(wd_pick_t *k, const wd_alert_t *a);
/* A flow left the table: its watch is forgotten. */
void wd_pick_flow_end(wd_pick_t *k, uint64_t flow_id);

void wd_pick_stats(const wd_pick_t *k, wd_pick_stats_t *out);

#endif
