/* fleet_out.c -- alerts and their evidence frames to the fleet publisher
 * (see fleet_out.h). Linear searches over fixed arrays: they run on the
 * worker at alert and evidence-frame rate, never per packet. */
#include "engine/fleet_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"
#include "fleet/fleet_msg.h"

#define FRAMES_WAIT 64  /* frames waiting for their alert */
#define ALERTS_KEPT 256 /* recent alerts later frames may belong to */

typedef struct wait_frame {
  bool used;
  wd_evidence_frame_t h;
  uint8_t data[WD_EVIDENCE_SNAP];
} wait_frame_t;

typedef struct kept_alert {
  bool used;
  bool flood;       /* frames towards dst belong to it */
  uint64_t flow_id; /* frames of this flow belong to it (0: none) */
  wd_addr_t dst;
  uint64_t attack_id;
  uint64_t used_at; /* for forgetting the least recently used */
  char key[WD_FLEET_KEY_MAX + 1];
} kept_alert_t;

struct wd_fleet_out {
  wd_publish_t *p;
  wait_frame_t wait[FRAMES_WAIT];
  size_t wait_next; /* slot to fill (the oldest when all are used) */
  kept_alert_t kept[ALERTS_KEPT];
  uint64_t clock;
  wd_engine_fleet_stats_t st;
};

wd_rc wd_fleet_out_new(wd_publish_t *p, wd_fleet_out_t **out) {
  *out = NULL;
  wd_fleet_out_t *o = calloc(1, sizeof *o);
  if (!o)
    return WD_ERR_NOMEM;
  o->p = p;
  *out = o;
  return WD_OK;
}

void wd_fleet_out_free(wd_fleet_out_t *o) { free(o); }

static bool claims(const kept_alert_t *k, const wd_evidence_frame_t *h) {
  if (!k->used)
    return false;
  if (k->flow_id && h->flow_id == k->flow_id)
    return true;
  return k->flood && h->ip && wd_addr_eq(&h->dst, &k->dst);
}

static void publish(wd_fleet_out_t *o, const kept_alert_t *k,
                    const wd_evidence_frame_t *h, const uint8_t *data) {
  wd_fleet_frame_t f = {.attack_id = k->attack_id,
                        .flow_id = h->flow_id,
                        .ts_ns = h->ts_ns,
                        .linktype = (uint32_t)h->linktype,
                        .wire_len = h->wirelen,
                        .cap_len = h->caplen,
                        .data = data};
  if (f.wire_len < f.cap_len)
    f.wire_len = f.cap_len;
  if (wd_publish_frame(o->p, k->key, &f) == WD_OK)
    o->st.frames_published++;
  else
    o->st.publish_refused++;
}

static kept_alert_t *keep(wd_fleet_out_t *o, const wd_alert_t *a,
                          const char *key) {
  kept_alert_t *slot = NULL, *old = NULL;
  for (size_t i = 0; i < ALERTS_KEPT && !slot; i++) {
    kept_alert_t *k = &o->kept[i];
    if (k->used && k->attack_id == a->attack_id && k->flow_id == a->flow_id)
      slot = k;
    else if (!old || !k->used || (old->used && k->used_at < old->used_at))
      old = k;
  }
  if (!slot)
    slot = old;
  const wd_detector_t *d = wd_detector_find(a->detector);
  slot->used = true;
  slot->flood = d && d->line == WD_LINE_DDOS;
  slot->flow_id = a->flow_id;
  slot->dst = a->dst;
  slot->attack_id = a->attack_id;
  slot->used_at = ++o->clock;
  snprintf(slot->key, sizeof slot->key, "%s", key);
  return slot;
}

void wd_fleet_out_alert(wd_fleet_out_t *o, const wd_alert_t *a,
                        const wd_facility_t *fac) {
  wd_fleet_facility_t ff, *fp = NULL;
  if (fac) {
    ff.name = fac->name;
    ff.sector = fac->sector;
    ff.criticality = fac->criticality;
    fp = &ff;
  }
  char key[WD_FLEET_KEY_MAX + 1];
  wd_fleet_key(fp, &a->dst, key);
  kept_alert_t *k = keep(o, a, key);
  /* frames sent before the alert that asked for them, oldest first */
  for (size_t n = 0; n < FRAMES_WAIT; n++) {
    wait_frame_t *w = &o->wait[(o->wait_next + n) % FRAMES_WAIT];
    if (w->used && claims(k, &w->h)) {
      publish(o, k, &w->h, w->data);
      w->used = false;
    }
  }
  if (wd_publish_alert(o->p, a, fp) != WD_OK)
    o->st.publish_refused++;
}

void wd_fleet_out_frame(wd_fleet_out_t *o, const wd_evidence_frame_t *h,
                        const uint8_t *data) {
  kept_alert_t *best = NULL;
  for (size_t i = 0; i < ALERTS_KEPT; i++)
    if (claims(&o->kept[i], h) && (!best || o->kept[i].used_at > best->used_at))
      best = &o->kept[i];
  if (best) {
    best->used_at = ++o->clock;
    publish(o, best, h, data);
    return;
  }
  wait_frame_t *w = &o->wait[o->wait_next];
  if (w->used)
    o->st.frames_unmatched++;
  w->used = true;
  w->h = *h;
  size_t n = h->caplen < WD_EVIDENCE_SNAP ? h->caplen : WD_EVIDENCE_SNAP;
  w->h.caplen = (uint32_t)n;
  memcpy(w->data, data, n);
  o->wait_next = (o->wait_next + 1) % FRAMES_WAIT;
}

void wd_fleet_out_finish(wd_fleet_out_t *o) {
  for (size_t i = 0; i < FRAMES_WAIT; i++)
    if (o->wait[i].used) {
      o->wait[i].used = false;
      o->st.frames_unmatched++;
    }
}

void wd_fleet_out_stats(wd_fleet_out_t *o, wd_stats_extra_t *x) {
  wd_publish_stats_t ps;
  wd_publish_stats(o->p, &ps);
  memset(x, 0, sizeof *x);
  x->name = "fleet";
  x->state = wd_broker_state_name(ps.broker);
  const struct {
    const char *n;
    uint64_t v;
  } c[] = {{"messages_out", ps.queued},
           {"delivered", ps.delivered},
           {"failed", ps.failed},
           {"rejected", ps.rejected},
           {"inflight", ps.inflight},
           {"queue_depth", ps.queue_depth},
           {"spool_bytes", ps.spool.bytes},
           {"spool_records", ps.spool.records},
           {"spool_dropped", ps.spool.dropped},
           {"spool_refused", ps.spool_refused},
           {"frames_dropped", ps.dropped_frames},
           {"alerts_dropped", ps.alerts_dropped},
           {"frames_published", o->st.frames_published},
           {"frames_unmatched", o->st.frames_unmatched},
           {"brokers_up", ps.brokers_up}};
  for (size_t i = 0; i < sizeof c / sizeof c[0] && i < WD_STATS_EXTRA_MAX;
       i++) {
    x->c[i].name = c[i].n;
    x->c[i].v = c[i].v;
    x->n++;
  }
}

void wd_fleet_out_result(const wd_fleet_out_t *o, wd_engine_fleet_stats_t *r) {
  *r = o->st;
}
