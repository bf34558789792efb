/* fleet_out.h -- the worker's side of fleet mode: every alert and the
 * evidence frames chosen for it, handed to the publisher (src/fleet).
 * In: alerts with their facility and the frames the evidence picker sent
 * (pick.h), in the order the packet thread produced them: ring frames
 * come just before the alert that asked for them, later frames of a
 * watched flow or flood target after it. Out: wd_publish_alert / _frame
 * calls; each frame carries the attack id and partition key of the alert
 * it is evidence for (docs/fleet.md), so it lands beside that alert.
 * A frame no alert has claimed yet waits in a small ring (FRAMES_WAIT);
 * when the ring is full the oldest waiting frame is given up and counted
 * (frames_unmatched). Recent alerts are remembered (ALERTS_KEPT, the
 * least recently used one forgotten first) so that later frames find
 * theirs. Memory: both fixed at creation. Threads: the engine's worker
 * only; the publisher's calls copy and return (they never wait on the
 * network or the disk, see publish.h). */
#ifndef WD_ENGINE_FLEET_OUT_H
#define WD_ENGINE_FLEET_OUT_H

#include "core/config.h"
#include "detect/alert.h"
#include "engine/engine.h"
#include "fleet/publish.h"
#include "incident/evidence.h"
#include "output/stats.h"

typedef struct wd_fleet_out wd_fleet_out_t;

wd_rc wd_fleet_out_new(wd_publish_t *p, wd_fleet_out_t **out);
void wd_fleet_out_free(wd_fleet_out_t *o);

/* An alert (fac: its facility, may be NULL): waiting frames it claims
 * are published first, then the alert. */
void wd_fleet_out_alert(wd_fleet_out_t *o, const wd_alert_t *a,
                        const wd_facility_t *fac);
/* A frame chosen for evidence (h, data borrowed for the call). */
void wd_fleet_out_frame(wd_fleet_out_t *o, const wd_evidence_frame_t *h,
                        const uint8_t *data);
/* End of input: frames still waiting are given up (counted). */
void wd_fleet_out_finish(wd_fleet_out_t *o);

/* The publisher's counters and these, as "ward.fleet" of a stats event. */
void wd_fleet_out_stats(wd_fleet_out_t *o, wd_stats_extra_t *x);
void wd_fleet_out_result(const wd_fleet_out_t *o, wd_engine_fleet_stats_t *r);

#endif
