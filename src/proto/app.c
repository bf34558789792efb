/* app.c -- per-flow application state and the port dispatch (see app.h).
 * Layout: entries live in three pools (SMB; DNS/Kerberos over TCP; TLS,
 * HTTP, QUIC), each in slabs of SLAB_ENTRIES, allocated lazily and reserved
 * against the stream memcap; freed entries go on the pool's free list and
 * are reused. flow->app is the pool (top two bits) and 1-based entry index;
 * APP_DONE marks a flow whose first bytes were read. The entry remembers
 * its flow id so that a stale index (a flow recycled without
 * wd_app_flow_end) is never taken for another flow's state. */
#include "proto/app.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_ENTRIES 64u
#define POOL_SHIFT 30
#define IDX_MASK ((1u << POOL_SHIFT) - 1u)
#define APP_DONE UINT32_MAX

/* What an entry parses. */
enum { K_SMB, K_DNS, K_KRB, K_TLS, K_HTTP, K_QUIC };
enum { P_SMB, P_MID, P_BIG, P_COUNT };

typedef struct app_hdr {
  uint64_t flow_id;   /* owner; 0 = free */
  uint32_t next_free; /* free-list link (index), 0 = end */
  uint8_t kind;       /* K_* */
  uint8_t done;       /* directions finished (bit per dir) */
  uint32_t read;      /* bytes delivered (both directions), datagrams */
  wd_stream_t st;
} app_hdr;

typedef struct ent_smb {
  app_hdr h;
  wd_smb_conn_t smb;
} ent_smb;

typedef struct ent_mid {
  app_hdr h;
  union {
    wd_dns_tcp_t dns[2];
    wd_krb_tcp_t krb[2];
  } u;
} ent_mid;

typedef struct ent_big {
  app_hdr h;
  union {
    wd_tls_dir_t tls[2];
    wd_http_conn_t http;
    wd_quic_conn_t quic;
  } u;
} ent_big;

typedef struct pool {
  size_t esz;      /* bytes of one entry */
  uint8_t **slabs; /* nslabs_max pointers, filled lazily */
  uint32_t nslabs, nslabs_max;
  uint32_t free_head; /* index of a free entry, 0 = none */
} pool;

struct wd_app {
  wd_stream_ctx_t *sc;
  wd_memcap_t *mc; /* the stream context's memcap */
  wd_quic_ctx_t *quic_ctx;
  pool pools[P_COUNT];
  unsigned protos;        /* WD_APP_PROTO_BIT mask */
  unsigned http_pipeline; /* stream.http_pipeline */
  wd_smb_stats_t smb;
  wd_dns_stats_t dns;
  wd_tls_stats_t tls;
  wd_quic_stats_t quic;
  wd_http_stats_t http;
  wd_krb_stats_t krb;
  uint64_t flows, active, done, no_state;
  /* scratch for one message at a time */
  wd_dns_msg_t dns_msg;
  wd_krb_msg_t krb_msg;
  wd_tls_hello_t hello;
  wd_quic_pkt_t qpkt;
};

typedef struct feed_ctx {
  wd_app_t *a;
  app_hdr *h;
  const wd_flow_t *f;
  int dir;
  uint64_t ts;
  const wd_app_cb_t *cb;
} feed_ctx;

static const size_t pool_esz[P_COUNT] = {sizeof(ent_smb), sizeof(ent_mid),
                                         sizeof(ent_big)};

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
  a->http_pipeline = cfg ? cfg->stream.http_pipeline : 0;
  for (int i = 0; i < P_COUNT; i++) {
    pool *pl = &a->pools[i];
    pl->esz = pool_esz[i];
    size_t n = a->mc->cap / (SLAB_ENTRIES * pl->esz) + 1;
    if (n > IDX_MASK / SLAB_ENTRIES)
      n = IDX_MASK / SLAB_ENTRIES;
    pl->nslabs_max = (uint32_t)n;
    pl->slabs = calloc(n, sizeof *pl->slabs);
    if (!pl->slabs) {
      wd_app_free(a);
      return WD_ERR_NOMEM;
    }
  }
  *out = a;
  return WD_OK;
}

void wd_app_free(wd_app_t *a) {
  if (!a)
    return;
  for (int p = 0; p < P_COUNT; p++) {
    for (uint32_t i = 0; i < a->pools[p].nslabs; i++)
      free(a->pools[p].slabs[i]);
    free(a->pools[p].slabs);
  }
  wd_quic_ctx_free(a->quic_ctx);
  wd_stream_ctx_free(a->sc);
  free(a);
}

void wd_app_set_protocols(wd_app_t *a, unsigned mask) {
  a->protos = mask;
  if ((mask & WD_APP_PROTO_BIT(WD_APP_QUIC)) && !a->quic_ctx &&
      wd_quic_ctx_new(&a->quic_ctx) != WD_OK)
    a->protos &= ~WD_APP_PROTO_BIT(WD_APP_QUIC);
}

static app_hdr *entry(const wd_app_t *a, uint32_t ref) {
  if (ref == 0 || ref == APP_DONE)
    return NULL;
  uint32_t p = ref >> POOL_SHIFT, i = (ref & IDX_MASK) - 1;
  if (p >= P_COUNT || (ref & IDX_MASK) == 0)
    return NULL;
  const pool *pl = &a->pools[p];
  if (i / SLAB_ENTRIES >= pl->nslabs)
    return NULL;
  return (app_hdr *)(pl->slabs[i / SLAB_ENTRIES] +
                     (size_t)(i % SLAB_ENTRIES) * pl->esz);
}

static uint32_t entry_alloc(wd_app_t *a, uint32_t p) {
  pool *pl = &a->pools[p];
  if (pl->free_head == 0) {
    size_t bytes = SLAB_ENTRIES * pl->esz;
    if (pl->nslabs >= pl->nslabs_max || !wd_memcap_reserve(a->mc, bytes))
      return 0;
    uint8_t *s = calloc(SLAB_ENTRIES, pl->esz);
    if (!s) {
      wd_memcap_release(a->mc, bytes);
      return 0;
    }
    uint32_t base = pl->nslabs * SLAB_ENTRIES;
    pl->slabs[pl->nslabs++] = s;
    for (uint32_t i = SLAB_ENTRIES; i-- > 0;) {
      ((app_hdr *)(s + (size_t)i * pl->esz))->next_free = pl->free_head;
      pl->free_head = base + i + 1;
    }
  }
  uint32_t idx = pl->free_head;
  uint32_t ref = (p << POOL_SHIFT) | idx;
  app_hdr *h = entry(a, ref);
  pl->free_head = h->next_free;
  h->next_free = 0;
  return ref;
}

static void entry_release(wd_app_t *a, uint32_t ref, app_hdr *h) {
  pool *pl = &a->pools[ref >> POOL_SHIFT];
  if (h->kind != K_QUIC)
    wd_stream_fini(a->sc, &h->st);
  h->flow_id = 0;
  h->next_free = pl->free_head;
  pl->free_head = ref & IDX_MASK;
  if (a->active)
    a->active--;
}

/* The kind of parser a flow's server port asks for, -1 none. */
static int tcp_kind(uint16_t sp, uint16_t cp, unsigned protos) {
  if (sp == 445 || sp == 139 || cp == 445 || cp == 139)
    return K_SMB;
  switch (sp) {
  case 53:
    return (protos & (WD_APP_PROTO_BIT(WD_APP_DNS) |
                      WD_APP_PROTO_BIT(WD_APP_DNS_ANSWER)))
               ? K_DNS
               : -1;
  case 88:
    return (protos & WD_APP_PROTO_BIT(WD_APP_KRB)) ? K_KRB : -1;
  case 443:  /* https */
  case 465:  /* submissions */
  case 636:  /* ldaps */
  case 853:  /* dns over tls */
  case 989:  /* ftps-data */
  case 990:  /* ftps */
  case 993:  /* imaps */
  case 995:  /* pop3s */
  case 5061: /* sips */
  case 8443: /* https-alt */
    return (protos & WD_APP_PROTO_BIT(WD_APP_TLS)) ? K_TLS : -1;
  case 80:
  case 3128: /* proxies */
  case 8000:
  case 8008:
  case 8080:
  case 8888:
    return (protos & (WD_APP_PROTO_BIT(WD_APP_HTTP_REQ) |
                      WD_APP_PROTO_BIT(WD_APP_HTTP_RESP)))
               ? K_HTTP
               : -1;
  default:
    return -1;
  }
}

static void emit(feed_ctx *x, wd_app_event_t *ev) {
  if (x->cb->app && (x->a->protos & WD_APP_PROTO_BIT(ev->kind))) {
    ev->ts_ns = x->ts;
    x->cb->app(x->cb->user, ev, x->f, x->dir);
  }
}

static void on_smb_msg(void *user, const wd_smb_msg_t *m) {
  feed_ctx *x = user;
  if (x->cb->smb)
    x->cb->smb(x->cb->user, m, x->f, x->dir);
}

static void on_dns(void *user, const wd_dns_msg_t *m, wd_rc rc) {
  (void)rc;
  wd_app_event_t ev = {.kind = m->qr ? WD_APP_DNS_ANSWER : WD_APP_DNS,
                       .u.dns = m};
  emit(user, &ev);
}

static void on_krb(void *user, const wd_krb_msg_t *m, wd_rc rc) {
  (void)rc;
  if (m->msg_type == 0)
    return;
  wd_app_event_t ev = {.kind = WD_APP_KRB, .u.krb = m};
  emit(user, &ev);
}

static void on_req(void *user, const wd_http_req_t *r) {
  wd_app_event_t ev = {.kind = WD_APP_HTTP_REQ, .u.req = r};
  emit(user, &ev);
}

static void on_resp(void *user, const wd_http_resp_t *r) {
  wd_app_event_t ev = {.kind = WD_APP_HTTP_RESP, .u.resp = r};
  emit(user, &ev);
}

static void feed_tls(feed_ctx *x, int dir, const uint8_t *data, uint32_t len,
                     uint32_t gap) {
  ent_big *e = (ent_big *)x->h;
  wd_tls_dir_t *d = &e->u.tls[dir];
  if (gap) {
    wd_tls_dir_gap(d);
    x->h->done |= (uint8_t)(1u << dir);
  }
  if (!len || (x->h->done & (1u << dir)))
    return;
  wd_rc rc = wd_tls_dir_feed(d, data, len, &x->a->hello);
  if (rc == WD_AGAIN)
    return;
  x->h->done |= (uint8_t)(1u << dir);
  if (rc == WD_OK) {
    wd_app_event_t ev = {.kind = WD_APP_TLS, .u.tls = &x->a->hello};
    emit(x, &ev);
  }
}

static void on_data(void *user, int dir, const uint8_t *data, uint32_t len,
                    uint32_t gap) {
  feed_ctx *x = user;
  x->dir = dir;
  app_hdr *h = x->h;
  h->read += len;
  switch (h->kind) {
  case K_SMB: {
    wd_smb_conn_t *c = &((ent_smb *)h)->smb;
    if (gap)
      wd_smb_conn_gap(c, dir, gap == WD_STREAM_GAP_UNKNOWN ? 0 : gap);
    if (len)
      wd_smb_conn_feed(c, dir, data, len, x->ts, on_smb_msg, x);
    break;
  }
  case K_DNS: {
    wd_dns_tcp_t *t = &((ent_mid *)h)->u.dns[dir];
    if (gap)
      wd_dns_tcp_gap(t);
    if (len && wd_dns_tcp_feed(t, data, len, &x->a->dns_msg, on_dns, x) ==
                   WD_ERR_STATE)
      h->done |= (uint8_t)(1u << dir);
    break;
  }
  case K_KRB: {
    wd_krb_tcp_t *t = &((ent_mid *)h)->u.krb[dir];
    if (gap)
      wd_krb_tcp_gap(t);
    if (len && wd_krb_tcp_feed(t, data, len, &x->a->krb_msg, on_krb, x) ==
                   WD_ERR_STATE)
      h->done |= (uint8_t)(1u << dir);
    break;
  }
  case K_TLS:
    feed_tls(x, dir, data, len, gap);
    break;
  case K_HTTP: {
    wd_http_conn_t *c = &((ent_big *)h)->u.http;
    if (gap)
      wd_http_conn_gap(c, dir, gap == WD_STREAM_GAP_UNKNOWN ? UINT64_MAX : gap);
    if (len &&
        wd_http_conn_feed(c, dir, data, len, on_req, on_resp, x) == WD_END)
      h->done |= (uint8_t)(1u << dir);
    break;
  }
  default:
    break;
  }
}

/* Gives the entry of a flow whose first bytes were read back; the flow
 * stays marked so that it is not taken up again. */
static void finish_early(wd_app_t *a, wd_flow_t *f, app_hdr *h) {
  entry_release(a, f->app, h);
  f->app = APP_DONE;
  a->done++;
}

static app_hdr *take(wd_app_t *a, wd_flow_t *f, int kind) {
  app_hdr *h = entry(a, f->app);
  if (h && h->flow_id == f->id)
    return h;
  uint32_t p = kind == K_SMB                      ? P_SMB
               : (kind == K_DNS || kind == K_KRB) ? P_MID
                                                  : P_BIG;
  uint32_t ref = entry_alloc(a, p);
  if (ref == 0) {
    a->no_state++;
    f->app = 0;
    return NULL;
  }
  h = entry(a, ref);
  h->flow_id = f->id;
  h->kind = (uint8_t)kind;
  h->done = 0;
  h->read = 0;
  switch (kind) {
  case K_SMB:
    wd_smb_conn_init(&((ent_smb *)h)->smb,
                     !(f->sport == 445 || f->cport == 445), &a->smb);
    break;
  case K_DNS:
    for (int d = 0; d < 2; d++)
      wd_dns_tcp_init(&((ent_mid *)h)->u.dns[d], &a->dns);
    break;
  case K_KRB:
    for (int d = 0; d < 2; d++)
      wd_krb_tcp_init(&((ent_mid *)h)->u.krb[d], &a->krb);
    break;
  case K_TLS:
    for (int d = 0; d < 2; d++)
      wd_tls_dir_init(&((ent_big *)h)->u.tls[d], &a->tls);
    break;
  case K_HTTP:
    wd_http_conn_init(&((ent_big *)h)->u.http, &a->http, a->http_pipeline);
    break;
  case K_QUIC:
    wd_quic_conn_init(&((ent_big *)h)->u.quic, &a->quic);
    break;
  }
  if (kind != K_QUIC)
    wd_stream_init(a->sc, &h->st);
  f->app = ref;
  a->flows++;
  a->active++;
  return h;
}

static void udp_packet(wd_app_t *a, const wd_packet_t *p, wd_flow_t *f, int dir,
                       const wd_app_cb_t *cb) {
  if (!p->payload || !p->payload_len)
    return;
  feed_ctx x = {a, NULL, f, dir, p->ts_ns, cb};
  if ((a->protos &
       (WD_APP_PROTO_BIT(WD_APP_DNS) | WD_APP_PROTO_BIT(WD_APP_DNS_ANSWER))) &&
      (p->sport == 53 || p->dport == 53)) {
    /* the QR bit first: a message nobody asked for is not parsed */
    int kind = p->payload_len > 2 && (p->payload[2] & 0x80) ? WD_APP_DNS_ANSWER
                                                            : WD_APP_DNS;
    if (!(a->protos & WD_APP_PROTO_BIT(kind)))
      return;
    wd_dns_parse(p->payload, p->payload_len, &a->dns_msg, &a->dns);
    on_dns(&x, &a->dns_msg, WD_OK);
    return;
  }
  if ((a->protos & WD_APP_PROTO_BIT(WD_APP_KRB)) &&
      (p->sport == 88 || p->dport == 88)) {
    wd_rc rc = wd_krb_parse(p->payload, p->payload_len, &a->krb_msg, &a->krb);
    on_krb(&x, &a->krb_msg, rc);
    return;
  }
  if (!(a->protos & WD_APP_PROTO_BIT(WD_APP_QUIC)) || f->sport != 443 ||
      dir != WD_DIR_TO_SERVER || f->app == APP_DONE)
    return;
  app_hdr *h = take(a, f, K_QUIC);
  if (!h)
    return;
  x.h = h;
  wd_rc rc =
      wd_quic_conn_datagram(a->quic_ctx, &((ent_big *)h)->u.quic, p->payload,
                            p->payload_len, &a->hello, &a->qpkt);
  if (rc == WD_OK) {
    wd_app_event_t ev = {.kind = WD_APP_QUIC, .u.tls = &a->hello};
    emit(&x, &ev);
  }
  if (rc == WD_OK || rc == WD_END || ++h->read >= WD_APP_QUIC_DATAGRAMS_MAX)
    finish_early(a, f, h);
}

void wd_app_packet(wd_app_t *a, const wd_packet_t *p, wd_flow_t *f, int dir,
                   const wd_app_cb_t *cb) {
  if (!f || !p->has_l4 || f->app == APP_DONE)
    return;
  if (p->l4_proto == WD_PROTO_UDP) {
    if (a->protos)
      udp_packet(a, p, f, dir, cb);
    return;
  }
  if (p->l4_proto != WD_PROTO_TCP)
    return;
  int kind = tcp_kind(f->sport, f->cport, a->protos);
  if (kind < 0)
    return;
  app_hdr *h = take(a, f, kind);
  if (!h)
    return;
  feed_ctx x = {a, h, f, dir, p->ts_ns, cb};
  if (p->tcp_flags & WD_TCP_ACK)
    wd_stream_ack(a->sc, &h->st, !dir, p->tcp_ack, on_data, &x);
  wd_stream_segment(a->sc, &h->st, dir, p->tcp_seq, p->tcp_flags, p->payload,
                    p->payload_len, on_data, &x);
  /* payload cut by the snap length: the rest is a gap of known size */
  if (p->payload && p->l3 && p->ip_len && !p->fragment) {
    uint64_t hdrs = (uint64_t)(p->payload - p->l3);
    if (p->ip_len > hdrs && p->ip_len - hdrs > p->payload_len) {
      uint32_t seq = p->tcp_seq + ((p->tcp_flags & WD_TCP_SYN) ? 1u : 0u);
      wd_stream_lost(a->sc, &h->st, dir, seq + p->payload_len,
                     (uint32_t)(p->ip_len - hdrs - p->payload_len), on_data,
                     &x);
    }
  }
  if (h->kind != K_SMB && (h->done == 3u || h->read >= WD_APP_INSPECT_MAX))
    finish_early(a, f, h);
}

void wd_app_flow_end(wd_app_t *a, wd_flow_t *f) {
  app_hdr *h = entry(a, f->app);
  if (h && h->flow_id == f->id && f->id != 0)
    entry_release(a, f->app, h);
  f->app = 0;
}

void wd_app_stats(const wd_app_t *a, wd_app_stats_t *out) {
  memset(out, 0, sizeof *out);
  wd_stream_stats(a->sc, &out->stream);
  out->smb = a->smb;
  out->dns = a->dns;
  out->tls = a->tls;
  out->quic = a->quic;
  out->http = a->http;
  out->krb = a->krb;
  out->flows = a->flows;
  out->flows_active = a->active;
  out->flows_done = a->done;
  out->no_state = a->no_state;
}
