/* host_table.c -- per-address counters (see host.h).
 * In: every IP packet with its flow and direction (wd_host_table_update),
 * and the start of each traffic-time second (wd_host_table_tick). Out:
 * borrowed wd_host_t entries, valid until the next update or tick (either
 * may recycle an entry). Memory: a wd_table of host_ent under host.max and
 * host.memcap, owned here; the least recently active host is recycled when
 * full and hosts idle past host.timeout leave at the tick.
 * Seconds: hosts touched in the current second sit on an intrusive list
 * (cur); the tick moves exactly those to the "last second" list, zeroes the
 * last_* of the hosts on the previous one, and updates peaks, so its cost
 * is proportional to the hosts active in the two seconds, never to the
 * table size. Each host is on each list at most once, so the lists are
 * bounded by the table. Threads: one table per pipeline, no locks. */
#include "flow/host.h"

#include <stdlib.h>
#include <string.h>

#define NSEC 1000000000ULL

/* A table value: the public host and its links on the two second lists.
 * Pointers are stable: table slabs never move, and an entry leaving the
 * table is unlinked first (on_evict). */
enum { CUR, LAST }; /* the two lists: touched this second, the closed one */

typedef struct host_ent {
  wd_host_t h; /* first: a host_ent pointer is a wd_host_t pointer */
  struct host_ent *prev[2], *next[2]; /* links on list CUR and LAST */
  bool on[2];                         /* on that list now */
} host_ent;

struct wd_host_table {
  wd_table_t *tab;  /* wd_addr_t -> host_ent */
  wd_memcap_t mc;   /* host.memcap */
  uint64_t idle_ns; /* host.timeout */
  /* Heads: [CUR] the most recently touched this second, [LAST] the
   * closed second's hosts in the same order. */
  host_ent *head[2];
  uint64_t count[2];
};

static void unlink_from(wd_host_table_t *t, host_ent *e, int l) {
  if (e->prev[l])
    e->prev[l]->next[l] = e->next[l];
  else
    t->head[l] = e->next[l];
  if (e->next[l])
    e->next[l]->prev[l] = e->prev[l];
  e->prev[l] = e->next[l] = NULL;
  e->on[l] = false;
  t->count[l]--;
}

/* An entry leaves the table (recycled or idle): out of both lists. */
static void on_evict(void *user, const void *key, void *val) {
  wd_host_table_t *t = user;
  host_ent *e = val;
  (void)key;
  for (int l = CUR; l <= LAST; l++)
    if (e->on[l])
      unlink_from(t, e, l);
}

wd_rc wd_host_table_new(const wd_config_t *cfg, wd_host_table_t **out) {
  *out = NULL;
  if (!cfg || cfg->host.max == 0)
    return WD_ERR_INVAL;
  wd_host_table_t *t = calloc(1, sizeof *t);
  if (!t)
    return WD_ERR_NOMEM;
  wd_memcap_init(&t->mc, "host", (size_t)cfg->host.memcap);
  t->idle_ns = (uint64_t)cfg->host.idle_s * NSEC;
  wd_rc rc = wd_table_new("host", sizeof(wd_addr_t), sizeof(host_ent),
                          cfg->host.max, &t->mc, on_evict, t, &t->tab);
  if (rc != WD_OK) {
    free(t);
    return rc == WD_ERR_NOMEM ? WD_ERR_INVAL : rc; /* memcap holds none */
  }
  *out = t;
  return WD_OK;
}

void wd_host_table_free(wd_host_table_t *t) {
  if (!t)
    return;
  wd_table_free(t->tab);
  free(t);
}

/* Adds p to one counter block, bytes being its IP-level size. */
static void count(wd_host_counts_t *c, const wd_packet_t *p, uint32_t bytes) {
  c->pkts++;
  c->bytes += bytes;
  if (p->fragment)
    c->frags++;
  switch (p->l4_proto) {
  case WD_PROTO_TCP:
    if (p->has_l4) {
      if (p->tcp_flags & WD_TCP_SYN) {
        if (p->tcp_flags & WD_TCP_ACK)
          c->tcp_synack++;
        else
          c->tcp_syn++;
      }
      if (p->tcp_flags & WD_TCP_RST)
        c->tcp_rst++;
    }
    break;
  case WD_PROTO_UDP:
    c->udp_pkts++;
    c->udp_bytes += bytes;
    break;
  case WD_PROTO_ICMP:
    if (p->has_l4 && p->icmp_type == 3)
      c->icmp_unreach++;
    break;
  case WD_PROTO_ICMPV6:
    if (p->has_l4 && p->icmp_type == 1)
      c->icmp_unreach++;
    break;
  default:
    break;
  }
}

/* The entry of addr, created if new, moved to the front of this second's
 * list. NULL only if the table can hold nothing (not after _new). */
static host_ent *touch(wd_host_table_t *t, const wd_addr_t *addr, uint64_t ts) {
  bool created;
  host_ent *e = wd_table_get(t->tab, addr, ts, &created);
  if (!e)
    return NULL;
  if (created) {
    e->h.addr = *addr;
    e->h.first_ns = ts;
  }
  if (ts > e->h.last_ns)
    e->h.last_ns = ts;
  if (t->head[CUR] == e)
    return e;
  if (e->on[CUR])
    unlink_from(t, e, CUR);
  e->prev[CUR] = NULL;
  e->next[CUR] = t->head[CUR];
  if (t->head[CUR])
    t->head[CUR]->prev[CUR] = e;
  t->head[CUR] = e;
  e->on[CUR] = true;
  t->count[CUR]++;
  return e;
}

void wd_host_table_update(wd_host_table_t *t, const wd_packet_t *p,
                          const wd_flow_t *flow, int dir, bool new_flow,
                          bool handshake_done) {
  if (p->ip_version == 0)
    return;
  uint32_t bytes = wd_flow_table_ip_bytes(p);
  /* The sender is the flow's client when the packet goes to the server. */
  bool src_is_cli = dir == WD_DIR_TO_SERVER;
  bool nf = flow && new_flow, hs = flow && handshake_done;

  /* One host at a time: touching the second may recycle the first. */
  host_ent *s = touch(t, &p->src, p->ts_ns);
  if (s) {
    count(&s->h.out, p, bytes);
    count(&s->h.cur_out, p, bytes);
    if (nf)
      *(src_is_cli ? &s->h.flows_as_client : &s->h.flows_as_server) += 1;
    if (hs)
      *(src_is_cli ? &s->h.handshakes_as_client : &s->h.handshakes_as_server) +=
          1;
  }
  host_ent *d = touch(t, &p->dst, p->ts_ns);
  if (d) {
    count(&d->h.in, p, bytes);
    count(&d->h.cur_in, p, bytes);
    if (nf)
      *(src_is_cli ? &d->h.flows_as_server : &d->h.flows_as_client) += 1;
    if (hs)
      *(src_is_cli ? &d->h.handshakes_as_server : &d->h.handshakes_as_client) +=
          1;
  }
}

wd_host_t *wd_host_table_find(wd_host_table_t *t, const wd_addr_t *addr) {
  host_ent *e = wd_table_find(t->tab, addr);
  return e ? &e->h : NULL;
}

void wd_host_table_tick(wd_host_table_t *t, uint64_t now_ns) {
  /* The hosts of the second before: their last_* is now stale. */
  for (host_ent *e = t->head[LAST], *next; e; e = next) {
    next = e->next[LAST];
    memset(&e->h.last_in, 0, sizeof e->h.last_in);
    memset(&e->h.last_out, 0, sizeof e->h.last_out);
    e->prev[LAST] = e->next[LAST] = NULL;
    e->on[LAST] = false;
  }
  /* The hosts of the second just closed: cur_* -> last_*, peaks; they
   * move from the current list to the last one, in the same order. */
  for (host_ent *e = t->head[CUR], *next; e; e = next) {
    next = e->next[CUR];
    wd_host_t *h = &e->h;
    h->last_in = h->cur_in;
    h->last_out = h->cur_out;
    memset(&h->cur_in, 0, sizeof h->cur_in);
    memset(&h->cur_out, 0, sizeof h->cur_out);
    if (h->last_in.pkts > h->peak_pps_in)
      h->peak_pps_in = h->last_in.pkts;
    if (h->last_in.bytes * 8 > h->peak_bps_in)
      h->peak_bps_in = h->last_in.bytes * 8;
    e->prev[LAST] = e->prev[CUR];
    e->next[LAST] = next;
    e->on[LAST] = true;
    e->prev[CUR] = e->next[CUR] = NULL;
    e->on[CUR] = false;
  }
  t->head[LAST] = t->head[CUR];
  t->count[LAST] = t->count[CUR];
  t->head[CUR] = NULL;
  t->count[CUR] = 0;
  if (t->idle_ns && now_ns > t->idle_ns)
    wd_table_expire(t->tab, now_ns - t->idle_ns);
}

void wd_host_table_foreach_active(wd_host_table_t *t,
                                  bool (*fn)(void *user, wd_host_t *h),
                                  void *user) {
  for (host_ent *e = t->head[LAST], *next; e; e = next) {
    next = e->next[LAST];
    if (!fn(user, &e->h))
      return;
  }
}

size_t wd_host_table_entry_size(void) {
  return wd_table_entry_size(sizeof(wd_addr_t), sizeof(host_ent)) +
         sizeof(uint32_t);
}

void wd_host_table_stats(const wd_host_table_t *t, wd_table_stats_t *out,
                         wd_memcap_t *mem) {
  wd_table_stats(t->tab, out);
  if (mem)
    *mem = t->mc;
}
