/* pick.c -- the evidence picker (see pick.h): the ring of recent frames
 * (incident/evidence.h) with a "sent" mark each, a hash of watched flows
 * (linear probing, deletion by backward shift, at most 3/4 full) and a short
 * list of watched flood targets. */
#include "engine/pick.h"

#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"

typedef struct flow_watch {
  uint64_t flow_id; /* 0: empty */
  uint32_t remaining;
} flow_watch_t;

typedef struct target_watch {
  bool used;
  wd_addr_t dst;
  uint64_t attack_id; /* the attack that set it: its END clears it */
  uint32_t remaining;
} target_watch_t;

struct wd_pick {
  uint32_t per_flow, flood_sample;
  wd_pick_send_fn send;
  void *user;
  wd_evidence_ring_t ring;
  bool sent[WD_EVIDENCE_RING_SLOTS]; /* per ring frame */
  flow_watch_t flows[WD_EVIDENCE_FLOWS];
  uint32_t n_flows;
  target_watch_t targets[WD_EVIDENCE_TARGETS];
  uint32_t n_targets;
  wd_pick_stats_t st;
};

wd_rc wd_pick_new(uint32_t packets_per_flow, uint32_t flood_sample,
                  wd_pick_send_fn send, void *user, wd_pick_t **out) {
  *out = NULL;
  wd_pick_t *k = calloc(1, sizeof *k);
  if (!k)
    return WD_ERR_NOMEM;
  k->per_flow = packets_per_flow;
  k->flood_sample = flood_sample;
  k->send = send;
  k->user = user;
  if (wd_evidence_ring_init(&k->ring) != WD_OK) {
    wd_pick_free(k);
    return WD_ERR_NOMEM;
  }
  *out = k;
  return WD_OK;
}

void wd_pick_free(wd_pick_t *k) {
  if (!k)
    return;
  wd_evidence_ring_fini(&k->ring);
  free(k);
}

static uint32_t flow_hash(uint64_t id) {
  id ^= id >> 33;
  id *= 0xff51afd7ed558ccdull;
  id ^= id >> 33;
  return (uint32_t)id & (WD_EVIDENCE_FLOWS - 1);
}

#define NEXT(i) (((i) + 1) & (WD_EVIDENCE_FLOWS - 1))

static flow_watch_t *flow_find(wd_pick_t *k, uint64_t id, uint32_t *slot) {
  uint32_t i = flow_hash(id);
  for (uint32_t n = 0; n < WD_EVIDENCE_FLOWS; n++, i = NEXT(i)) {
    if (!k->flows[i].flow_id)
      break;
    if (k->flows[i].flow_id == id) {
      if (slot)
        *slot = i;
      return &k->flows[i];
    }
  }
  if (slot)
    *slot = i;
  return NULL;
}

static void send_ring(wd_pick_t *k, uint32_t i) {
  k->sent[i] = true;
  k->st.sent++;
  k->send(k->user, &k->ring.hdr[i], wd_evidence_ring_data(&k->ring, i));
}

void wd_pick_packet(wd_pick_t *k, const wd_packet_t *p, const wd_flow_t *f) {
  if (!k)
    return;
  uint32_t i = wd_evidence_ring_packet(&k->ring, p, f);
  const wd_evidence_frame_t *h = &k->ring.hdr[i];
  k->sent[i] = false;

  bool want = false;
  if (k->n_flows && h->flow_id) {
    flow_watch_t *w = flow_find(k, h->flow_id, NULL);
    if (w && w->remaining) {
      w->remaining--;
      want = true;
    }
  }
  if (k->n_targets && h->ip)
    for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++) {
      target_watch_t *w = &k->targets[t];
      if (w->used && w->remaining && wd_addr_eq(&w->dst, &h->dst)) {
        w->remaining--;
        want = true;
      }
    }
  if (want)
    send_ring(k, i);
}

/* Sends unsent ring frames (wd_evidence_ring_pull). */
static bool take_unsent(void *user, uint32_t i) {
  wd_pick_t *k = user;
  if (k->sent[i])
    return false;
  send_ring(k, i);
  return true;
}

static uint32_t pull_ring(wd_pick_t *k, uint64_t flow_id, const wd_addr_t *dst,
                          uint32_t n) {
  return wd_evidence_ring_pull(&k->ring, flow_id, dst, n, take_unsent, k);
}

static void watch_flow(wd_pick_t *k, uint64_t flow_id) {
  uint32_t slot;
  if (flow_find(k, flow_id, &slot))
    return; /* watched (or done) until the flow ends */
  if (k->n_flows >= WD_EVIDENCE_FLOWS * 3 / 4) {
    k->st.watch_full++;
    return;
  }
  uint32_t got = pull_ring(k, flow_id, NULL, k->per_flow);
  k->flows[slot] = (flow_watch_t){flow_id, k->per_flow - got};
  k->n_flows++;
}

static void watch_target(wd_pick_t *k, const wd_alert_t *a) {
  target_watch_t *free_w = NULL, *done_w = NULL;
  for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++) {
    target_watch_t *w = &k->targets[t];
    if (!w->used) {
      if (!free_w)
        free_w = w;
      continue;
    }
    if (wd_addr_eq(&w->dst, &a->dst))
      return;
    if (!w->remaining && !done_w)
      done_w = w;
  }
  target_watch_t *w = free_w ? free_w : done_w;
  if (!w) {
    k->st.watch_full++;
    return;
  }
  if (w->used)
    k->n_targets--;
  uint32_t got = pull_ring(k, 0, &a->dst, (k->flood_sample + 1) / 2);
  *w = (target_watch_t){true, a->dst, a->attack_id, k->flood_sample - got};
  k->n_targets++;
}

static bool addr_zero(const wd_addr_t *a) {
  static const wd_addr_t z;
  return memcmp(a, &z, sizeof z) == 0;
}

void wd_pick_alert(wd_pick_t *k, const wd_alert_t *a) {
  if (!k || !a)
    return;
  if (a->flow_id && k->per_flow)
    watch_flow(k, a->flow_id);
  const wd_detector_t *d = wd_detector_find(a->detector);
  bool ddos = d && d->line == WD_LINE_DDOS;
  if (ddos && k->flood_sample && !addr_zero(&a->dst)) {
    if (a->state == WD_ALERT_END) {
      for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++)
        if (k->targets[t].used && k->targets[t].attack_id == a->attack_id &&
            wd_addr_eq(&k->targets[t].dst, &a->dst)) {
          k->targets[t].used = false;
          k->n_targets--;
        }
    } else
      watch_target(k, a);
  }
}

void wd_pick_flow_end(wd_pick_t *k, uint64_t flow_id) {
  uint32_t i;
  if (!k || !k->n_flows || !flow_id || !flow_find(k, flow_id, &i))
    return;
  /* backward-shift deletion keeps every probe sequence unbroken */
  k->flows[i].flow_id = 0;
  k->n_flows--;
  for (uint32_t j = NEXT(i); k->flows[j].flow_id; j = NEXT(j)) {
    uint32_t home = flow_hash(k->flows[j].flow_id);
    /* move j to the hole at i when its home is not in (i, j] cyclically */
    bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!in_range) {
      k->flows[i] = k->flows[j];
      k->flows[j].flow_id = 0;
      i = j;
    }
  }
}

void wd_pick_stats(const wd_pick_t *k, wd_pick_stats_t *out) {
  if (k) {
    *out = k->st;
    out->truncated = k->ring.truncated;
  } else {
    memset(out, 0, sizeof *out);
  }
}
