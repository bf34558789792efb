/* app.c -- per-flow application state for the SMB ports (see app.h).
 * Layout: entries (stream + SMB connection parser) live in slabs of
 * SLAB_ENTRIES, allocated lazily and reserved against the stream memcap;
 * freed entries go on a free list and are reused. flow->app is the 1-based
 * entry index; the entry remembers its flow id so that a stale index (a
 * flow recycled without wd_app_flow_end) is never taken for another flow's
 * state. */
#include "proto/app.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_ENTRIES 64u

typedef struct app_flow {
  uint64_t flow_id;   /* owner; 0 = free */
  uint32_t next_free; /* free-list link (index), 0 = end */
  wd_stream_t st;
  wd_smb_conn_t smb;
} app_flow;

struct wd_app {
  wd_stream_ctx_t *sc;
  wd_memcap_t *mc;  /* the stream context's memcap */
  app_flow **slabs; /* nslabs_max pointers, filled lazily */
  uint32_t nslabs, nslabs_max;
  uint32_t free_head; /* index of a free entry, 0 = none */
  wd_smb_stats_t smb;
  uint64_t flows, active, no_state;
};

typedef struct feed_ctx {
  wd_app_t *a;
  app_flow *af;
  const wd_flow_t *f;
  int dir;
  uint64_t ts;
  wd_smb_fn fn;
  void *user;
} feed_ctx;

wd_rc wd_app_new(const wd_config_t *cfg, wd_app_t **out) {
  wd_app_t *a = calloc(1, sizeof *a);
  if (!a)
    return WD_ERR_NOMEM;
  wd_rc rc = wd_stream_ctx_new(cfg, &a->sc);
  if (rc != WD_OK) {
    free(a);
    return rc;
  }
  a->mc = wd_stream_ctx_memcap(a->sc);
  size_t slab_bytes = SLAB_ENTRIES * sizeof(app_flow);
  size_t n = a->mc->cap / slab_bytes + 1;
  if (n > UINT32_MAX / SLAB_ENTRIES)
    n = UINT32_MAX / SLAB_ENTRIES;
  a->nslabs_max = (uint32_t)n;
  a->slabs = calloc(n, sizeof *a->slabs);
  if (!a->slabs) {
    wd_stream_ctx_free(a->sc);
    free(a);
    return WD_ERR_NOMEM;
  }
  *out = a;
  return WD_OK;
}

void wd_app_free(wd_app_t *a) {
  if (!a)
    return;
  for (uint32_t i = 0; i < a->nslabs; i++)
    free(a->slabs[i]);
  free(a->slabs);
  wd_stream_ctx_free(a->sc);
  free(a);
}

static app_flow *entry(const wd_app_t *a, uint32_t idx) {
  uint32_t i = idx - 1;
  if (idx == 0 || i / SLAB_ENTRIES >= a->nslabs)
    return NULL;
  return &a->slabs[i / SLAB_ENTRIES][i % SLAB_ENTRIES];
}

static uint32_t entry_alloc(wd_app_t *a) {
  if (a->free_head == 0) {
    size_t bytes = SLAB_ENTRIES * sizeof(app_flow);
    if (a->nslabs >= a->nslabs_max || !wd_memcap_reserve(a->mc, bytes))
      return 0;
    app_flow *s = calloc(SLAB_ENTRIES, sizeof *s);
    if (!s) {
      wd_memcap_release(a->mc, bytes);
      return 0;
    }
    uint32_t base = a->nslabs * SLAB_ENTRIES;
    a->slabs[a->nslabs++] = s;
    for (uint32_t i = SLAB_ENTRIES; i-- > 0;) {
      s[i].next_free = a->free_head;
      a->free_head = base + i + 1;
    }
  }
  uint32_t idx = a->free_head;
  app_flow *af = entry(a, idx);
  a->free_head = af->next_free;
  af->next_free = 0;
  return idx;
}

static void entry_release(wd_app_t *a, uint32_t idx, app_flow *af) {
  wd_stream_fini(a->sc, &af->st);
  af->flow_id = 0;
  af->next_free = a->free_head;
  a->free_head = idx;
  if (a->active)
    a->active--;
}

static bool smb_port(uint16_t port) { return port == 445 || port == 139; }

static void on_msg(void *user, const wd_smb_msg_t *m) {
  feed_ctx *x = user;
  x->fn(x->user, m, x->f, x->dir);
}

static void on_data(void *user, int dir, const uint8_t *data, uint32_t len,
                    uint32_t gap) {
  feed_ctx *x = user;
  x->dir = dir;
  if (gap)
    wd_smb_conn_gap(&x->af->smb, dir, gap == WD_STREAM_GAP_UNKNOWN ? 0 : gap);
  if (len)
    wd_smb_conn_feed(&x->af->smb, dir, data, len, x->ts, on_msg, x);
}

void wd_app_packet(wd_app_t *a, const wd_packet_t *p, wd_flow_t *f, int dir,
                   wd_smb_fn fn, void *user) {
  if (!f || !p->has_l4 || p->l4_proto != WD_PROTO_TCP ||
      !(smb_port(f->sport) || smb_port(f->cport)))
    return;
  app_flow *af = entry(a, f->app);
  if (!af || af->flow_id != f->id) {
    uint32_t idx = entry_alloc(a);
    if (idx == 0) {
      a->no_state++;
      f->app = 0;
      return;
    }
    af = entry(a, idx);
    af->flow_id = f->id;
    wd_stream_init(a->sc, &af->st);
    bool nbss = !(f->sport == 445 || f->cport == 445);
    wd_smb_conn_init(&af->smb, nbss, &a->smb);
    f->app = idx;
    a->flows++;
    a->active++;
  }
  feed_ctx x = {a, af, f, dir, p->ts_ns, fn, user};
  if (p->tcp_flags & WD_TCP_ACK)
    wd_stream_ack(a->sc, &af->st, !dir, p->tcp_ack, on_data, &x);
  wd_stream_segment(a->sc, &af->st, dir, p->tcp_seq, p->tcp_flags, p->payload,
                    p->payload_len, on_data, &x);
  /* payload cut by the snap length: the rest is a gap of known size */
  if (p->payload && p->l3 && p->ip_len && !p->fragment) {
    uint64_t hdrs = (uint64_t)(p->payload - p->l3);
    if (p->ip_len > hdrs && p->ip_len - hdrs > p->payload_len) {
      uint32_t seq = p->tcp_seq + ((p->tcp_flags & WD_TCP_SYN) ? 1u : 0u);
      wd_stream_lost(a->sc, &af->st, dir, seq + p->payload_len,
                     (uint32_t)(p->ip_len - hdrs - p->payload_len), on_data,
                     &x);
    }
  }
}

void wd_app_flow_end(wd_app_t *a, wd_flow_t *f) {
  app_flow *af = entry(a, f->app);
  if (af && af->flow_id == f->id && f->id != 0)
    entry_release(a, f->app, af);
  f->app = 0;
}

void wd_app_stats(const wd_app_t *a, wd_app_stats_t *out) {
  memset(out, 0, sizeof *out);
  wd_stream_stats(a->sc, &out->stream);
  out->smb = a->smb;
  out->flows = a->flows;
  out->flows_active = a->active;
  out->no_state = a->no_state;
}
