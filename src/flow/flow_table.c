/* flow_table.c -- bounded table of flows keyed by 5-tuple + VLAN.
 * In: decoded packets (read only), packet time for expiry. Out: borrowed
 * wd_flow_t entries, valid until the next call into the table; the end
 * callback sees each flow once as it leaves (timeout, eviction, TCP reuse,
 * flush). Memory: the table owns everything it allocates: a bucket array
 * (reserved at creation for one bucket per possible flow, allocated small
 * and doubled as live flows grow) and a slab pointer array sized at
 * creation, and slabs of SLAB_ENTRIES flows
 * allocated lazily, each reserved first against flow.memcap (the last slab
 * is cut to what the cap leaves). Entry count is min(flow.max, what the
 * memcap holds), so memuse never exceeds memcap; when full, the least
 * recently active flow is recycled (stats.evicted, stats.cap_hits).
 * Timeouts: one LRU list per timeout class (TCP handshake, established,
 * closed; UDP; ICMP; other). All flows of a class share one timeout, so
 * each list's tail is its next flow due: expiry pops tails, at a cost
 * proportional to the flows ended, and the least recently active flow of
 * the table is the oldest of the six tails.
 * Threads: one table per pipeline, no locks. */
#include "flow/flow.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/lru.h"
#include "core/memcap.h"
#include "core/table.h"

#define SLAB_SHIFT 10
#define SLAB_ENTRIES (1u << SLAB_SHIFT)
#define NIL 0u
/* Buckets at first; they double (up to one per possible flow, reserved
 * against flow.memcap at creation) when the live flows outnumber them, so
 * the bucket array follows the live flows, not flow.max. */
#define BUCKETS_FIRST 1024u
#define NSEC 1000000000ULL
/* Flow ids are a counter kept within 63 bits (EVE flow_id is a signed
 * 64-bit integer). */
#define ID_MASK 0x7fffffffffffffffULL

/* Timeout classes: each has one timeout and one LRU list. */
enum {
  CLS_TCP_SYN,   /* handshake not completed (or TCP without flags) */
  CLS_TCP_EST,   /* established */
  CLS_TCP_CLOSE, /* FIN or RST seen */
  CLS_UDP,
  CLS_ICMP, /* ICMP and ICMPv6 */
  CLS_OTHER,
  CLS_COUNT
};

/* Two cache lines, 64-byte aligned: the first holds what a chain walk
 * reads (hash, next, and the key fields at the start of the flow), so an
 * entry that is not the one sought costs one line, and the one sought
 * one line before its counters. */
typedef struct flow_ent {
  uint32_t hash;     /* low bits of the key hash: bucket, quick compare */
  uint32_t hnext;    /* next in the bucket chain, or in the free list */
  wd_flow_t f;       /* the public part, handed out by pointer */
  wd_lru_link_t lru; /* place in its class's list (prev: more recently
                        active) */
} flow_ent;
_Static_assert(sizeof(flow_ent) == 128, "a flow entry is two cache lines");
_Static_assert(offsetof(flow_ent, f) + offsetof(wd_flow_t, vlan) + 2 <= 64,
               "the key fields are in the first cache line");

struct wd_flow_table {
  uint32_t *buckets;    /* heads of chains, nbuckets (power of two) */
  uint32_t bucket_mask; /* nbuckets - 1: grows with the live flows */
  uint32_t bucket_max;  /* buckets for max flows: reserved at creation */
  flow_ent **slabs;     /* nslabs_max pointers, the first nslabs filled */
  uint32_t nslabs, nslabs_max;
  uint32_t max;            /* entries at most; indexes are 1..max */
  uint32_t next_fresh;     /* lowest index never used */
  uint32_t free_list;      /* entries ended by timeout or flush */
  wd_lru_t cls[CLS_COUNT]; /* per class, most recently active first */
  uint64_t timeout_ns[CLS_COUNT];
  uint64_t hkey[6]; /* key_hash's words: its key, random per table */
  uint64_t next_id; /* last flow id handed out */
  wd_memcap_t mc;   /* flow.memcap; used = fixed part + slabs */
  wd_flow_end_fn on_end;
  void *user;
  wd_flow_stats_t st;
};

/* ---- entries ---- */

static inline flow_ent *ent(const wd_flow_table_t *t, uint32_t i) {
  uint32_t k = i - 1;
  return &t->slabs[k >> SLAB_SHIFT][k & (SLAB_ENTRIES - 1)];
}

/* Entries slab s holds: SLAB_ENTRIES, except the last, cut at max. */
static uint32_t slab_entries(const wd_flow_table_t *t, uint32_t s) {
  uint64_t left = (uint64_t)t->max - ((uint64_t)s << SLAB_SHIFT);
  return left < SLAB_ENTRIES ? (uint32_t)left : SLAB_ENTRIES;
}

size_t wd_flow_table_entry_size(void) {
  return sizeof(flow_ent) + sizeof(uint32_t);
}

static int flow_class(const wd_flow_t *f) {
  switch (f->proto) {
  case WD_PROTO_TCP:
    if (f->tcp_state == WD_TCP_ESTABLISHED)
      return CLS_TCP_EST;
    if (f->tcp_state >= WD_TCP_CLOSING)
      return CLS_TCP_CLOSE;
    return CLS_TCP_SYN;
  case WD_PROTO_UDP:
    return CLS_UDP;
  case WD_PROTO_ICMP:
  case WD_PROTO_ICMPV6:
    return CLS_ICMP;
  default:
    return CLS_OTHER;
  }
}

static inline wd_lru_link_t *lru_at(void *ctx, uint32_t i) {
  return &ent(ctx, i)->lru;
}

static void chain_unlink(wd_flow_table_t *t, uint32_t i, flow_ent *e) {
  uint32_t *pp = &t->buckets[e->hash & t->bucket_mask];
  while (*pp && *pp != i)
    pp = &ent(t, *pp)->hnext;
  if (*pp == i)
    *pp = e->hnext;
}

/* Takes an entry out of its list, then tells the owner (who may change the
 * flow's fields: the entry is out of every list). Its chain is the
 * caller's: end_flow unlinks it first, a flush empties every chain. */
static void retire(wd_flow_table_t *t, flow_ent *e, wd_flow_end_reason why) {
  wd_lru_unlink(&t->cls[flow_class(&e->f)], &e->lru, lru_at, t);
  t->st.active--;
  if (t->on_end)
    t->on_end(t->user, &e->f, why);
}

/* Takes entry i out of its chain and its list, then tells the owner. */
static void end_flow(wd_flow_table_t *t, uint32_t i, flow_ent *e,
                     wd_flow_end_reason why) {
  chain_unlink(t, i, e);
  retire(t, e, why);
}

/* The list link of an entry on the free list (no list index is this). */
#define FREE_LINK UINT32_MAX

static void release(wd_flow_table_t *t, uint32_t i, flow_ent *e) {
  e->hnext = t->free_list;
  e->lru.prev = e->lru.next = FREE_LINK;
  t->free_list = i;
}

/* The least recently active flow: the oldest of the class tails. */
static uint32_t lru_oldest(const wd_flow_table_t *t) {
  uint32_t best = NIL;
  uint64_t best_ns = 0;
  for (int c = 0; c < CLS_COUNT; c++) {
    uint32_t i = t->cls[c].tail;
    if (i && (!best || ent(t, i)->f.last_ns < best_ns)) {
      best = i;
      best_ns = ent(t, i)->f.last_ns;
    }
  }
  return best;
}

/* A slot for a new flow: the free list, else a never-used index (maybe a
 * new slab), else the least recently active flow, ended as EVICTED. */
static uint32_t take_slot(wd_flow_table_t *t) {
  if (t->free_list) {
    uint32_t i = t->free_list;
    t->free_list = ent(t, i)->hnext;
    return i;
  }
  if (t->next_fresh <= t->max) {
    uint32_t i = t->next_fresh;
    uint32_t s = (i - 1) >> SLAB_SHIFT;
    if (s < t->nslabs) {
      t->next_fresh++;
      return i;
    }
    size_t bytes = (size_t)slab_entries(t, s) * sizeof(flow_ent);
    if (wd_memcap_reserve(&t->mc, bytes)) {
      flow_ent *slab = aligned_alloc(64, bytes); /* bytes: 128 * n */
      if (slab) {
        t->slabs[t->nslabs++] = slab;
        t->next_fresh++;
        return i;
      }
      wd_memcap_release(&t->mc, bytes);
    }
  }
  t->st.cap_hits++;
  uint32_t i = lru_oldest(t);
  if (i) {
    end_flow(t, i, ent(t, i), WD_FLOW_END_EVICTED);
    t->st.evicted++;
  }
  return i;
}

/* ---- keys ---- */

typedef struct flow_key {
  const wd_addr_t *src, *dst;
  uint16_t sp, dp;
  uint16_t vlan;
  uint8_t proto;
} flow_key;

static inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

static inline uint64_t rd64(const uint8_t *b) {
  uint64_t w;
  memcpy(&w, b, 8);
  return w;
}

/* The 128-bit product of a and b, folded to 64 bits. */
static inline uint64_t mum(uint64_t a, uint64_t b) {
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Direction-independent keyed hash: the endpoint (address, port) that
 * sorts first is hashed first, so both directions meet in one bucket (the
 * swap is done with masks: the order is random per packet, and a branch
 * on it would be mispredicted half the time). Each address goes through
 * one 128-bit multiply with words of the table's random key, the two in
 * parallel, and a third binds them with the ports, protocol and VLAN, so
 * that colliding keys cannot be chosen without the key. */
static uint32_t key_hash(const wd_flow_table_t *t, const flow_key *k) {
  uint64_t a0 = rd64(k->src->b), a1 = rd64(k->src->b + 8);
  uint64_t b0 = rd64(k->dst->b), b1 = rd64(k->dst->b + 8);
  uint64_t pa = k->sp, pb = k->dp;
  uint64_t sw = (uint64_t)(a0 > b0) |
                ((uint64_t)(a0 == b0) &
                 ((uint64_t)(a1 > b1) | ((uint64_t)(a1 == b1) & (pa > pb))));
  uint64_t m = 0 - sw, x;
  x = (a0 ^ b0) & m;
  a0 ^= x;
  b0 ^= x;
  x = (a1 ^ b1) & m;
  a1 ^= x;
  b1 ^= x;
  x = (pa ^ pb) & m;
  pa ^= x;
  pb ^= x;
  const uint64_t *s = t->hkey;
  uint64_t ha = mum(a0 ^ s[0], a1 ^ s[1]);
  uint64_t hb = mum(b0 ^ s[2], b1 ^ s[3]);
  uint64_t rest =
      pa | pb << 16 | (uint64_t)k->proto << 32 | (uint64_t)k->vlan << 40;
  uint64_t h = mum(ha ^ rest ^ s[4], hb ^ s[5]);
  return (uint32_t)(h ^ h >> 32);
}

static inline bool addr_eq(const wd_addr_t *x, const wd_addr_t *y) {
  return rd64(x->b) == rd64(y->b) && rd64(x->b + 8) == rd64(y->b + 8);
}

/* Entry index of k (NIL if none); *dir tells the packet's direction. */
static uint32_t lookup(const wd_flow_table_t *t, const flow_key *k, uint32_t h,
                       int *dir) {
  for (uint32_t i = t->buckets[h & t->bucket_mask]; i; i = ent(t, i)->hnext) {
    const flow_ent *e = ent(t, i);
    const wd_flow_t *f = &e->f;
    if (e->hash != h || f->proto != k->proto || f->vlan != k->vlan)
      continue;
    if (f->cport == k->sp && f->sport == k->dp && addr_eq(&f->cli, k->src) &&
        addr_eq(&f->srv, k->dst)) {
      *dir = WD_DIR_TO_SERVER;
      return i;
    }
    if (f->cport == k->dp && f->sport == k->sp && addr_eq(&f->cli, k->dst) &&
        addr_eq(&f->srv, k->src)) {
      *dir = WD_DIR_TO_CLIENT;
      return i;
    }
  }
  return NIL;
}

/* ---- creation ---- */

void wd_flow_table_share_key(wd_flow_table_t *t, const wd_flow_table_t *from) {
  memcpy(t->hkey, from->hkey, sizeof t->hkey);
}

wd_rc wd_flow_table_new(const wd_config_t *cfg, wd_flow_end_fn on_end,
                        void *user, wd_flow_table_t **out) {
  *out = NULL;
  if (!cfg || cfg->flow.max == 0)
    return WD_ERR_INVAL;
  wd_flow_table_t *t = calloc(1, sizeof *t);
  if (!t)
    return WD_ERR_NOMEM;
  wd_memcap_init(&t->mc, "flow", (size_t)cfg->flow.memcap);
  t->on_end = on_end;
  t->user = user;
  uint64_t seed = wd_table_random_seed();
  for (unsigned j = 0; j < 6; j++)
    t->hkey[j] = mix64(seed + (j + 1) * 0x9e3779b97f4a7c15ULL);

  /* Entries at most: flow.max, bounded by what the memcap holds once the
   * fixed part (this struct, buckets at one per entry, slab pointers) is
   * paid for. */
  uint64_t max = cfg->flow.max;
  if (max > (1u << 30))
    max = 1u << 30;
  uint64_t guess = cfg->flow.memcap / wd_flow_table_entry_size();
  if (max > guess)
    max = guess;
  uint32_t nb = 64;
  while (nb < max)
    nb <<= 1;
  uint32_t nslabs_max = (uint32_t)((max + SLAB_ENTRIES - 1) >> SLAB_SHIFT);
  size_t fixed = sizeof *t + (size_t)nb * sizeof(uint32_t) +
                 (size_t)nslabs_max * sizeof(flow_ent *);
  if (fixed < t->mc.cap) {
    uint64_t by_mem = (t->mc.cap - fixed) / sizeof(flow_ent);
    if (max > by_mem)
      max = by_mem;
  } else {
    max = 0;
  }
  if (max == 0 || !wd_memcap_reserve(&t->mc, fixed)) {
    free(t);
    return WD_ERR_INVAL; /* flow.memcap cannot hold a single flow */
  }
  t->max = (uint32_t)max;
  t->bucket_max = nb;
  if (nb > BUCKETS_FIRST)
    nb = BUCKETS_FIRST;
  t->bucket_mask = nb - 1;
  t->nslabs_max = nslabs_max;
  t->buckets = calloc(nb, sizeof(uint32_t));
  t->slabs = calloc(nslabs_max ? nslabs_max : 1, sizeof(flow_ent *));
  if (!t->buckets || !t->slabs) {
    free(t->buckets);
    free(t->slabs);
    free(t);
    return WD_ERR_NOMEM;
  }
  t->next_fresh = 1;
  t->timeout_ns[CLS_TCP_SYN] = (uint64_t)cfg->flow.tcp_syn_s * NSEC;
  t->timeout_ns[CLS_TCP_EST] = (uint64_t)cfg->flow.tcp_est_s * NSEC;
  t->timeout_ns[CLS_TCP_CLOSE] = (uint64_t)cfg->flow.tcp_close_s * NSEC;
  t->timeout_ns[CLS_UDP] = (uint64_t)cfg->flow.udp_s * NSEC;
  t->timeout_ns[CLS_ICMP] = (uint64_t)cfg->flow.icmp_s * NSEC;
  t->timeout_ns[CLS_OTHER] = (uint64_t)cfg->flow.other_s * NSEC;
  t->st.max = t->max;
  *out = t;
  return WD_OK;
}

void wd_flow_table_free(wd_flow_table_t *t) {
  if (!t)
    return;
  for (uint32_t s = 0; s < t->nslabs; s++)
    free(t->slabs[s]);
  free(t->slabs);
  free(t->buckets);
  free(t);
}

/* Doubles the buckets and rechains every live flow from its stored hash;
 * when the larger array cannot be had, chains just stay longer. The
 * entries are visited in memory order (every index used so far but the
 * free ones and taken, the slot being filled), which the processor
 * fetches ahead, rather than in list order, a cache miss per entry. */
static void grow(wd_flow_table_t *t, uint32_t taken) {
  uint32_t nb = (t->bucket_mask + 1) * 2;
  uint32_t *b = calloc(nb, sizeof *b);
  if (!b)
    return;
  for (uint32_t i = 1; i < t->next_fresh; i++) {
    flow_ent *e = ent(t, i);
    if (i == taken || e->lru.next == FREE_LINK)
      continue;
    uint32_t *head = &b[e->hash & (nb - 1)];
    e->hnext = *head;
    *head = i;
  }
  free(t->buckets);
  t->buckets = b;
  t->bucket_mask = nb - 1;
}

/* ---- per packet ---- */

uint32_t wd_flow_table_ip_bytes(const wd_packet_t *p) {
  if (p->frame && p->l3 && p->l3 >= p->frame) {
    uint64_t off = (uint64_t)(p->l3 - p->frame);
    uint32_t n = p->wirelen > off ? p->wirelen - (uint32_t)off : 0;
    if (p->ip_len && p->ip_len < n)
      n = p->ip_len;
    return n;
  }
  return p->ip_len ? p->ip_len : p->l3_len;
}

/* Fills entry e for a new flow whose first packet is p. The client is the
 * sender, except that a SYN-ACK names its receiver. */
static void flow_init(wd_flow_table_t *t, flow_ent *e, const flow_key *k,
                      const wd_packet_t *p, int *dir) {
  wd_flow_t *f = &e->f;
  memset(f, 0, sizeof *f);
  t->next_id = (t->next_id + 1) & ID_MASK;
  if (t->next_id == 0)
    t->next_id = 1;
  f->id = t->next_id;
  bool synack =
      k->proto == WD_PROTO_TCP && p->has_l4 &&
      (p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK)) == (WD_TCP_SYN | WD_TCP_ACK);
  if (synack) {
    f->cli = *k->dst;
    f->srv = *k->src;
    f->cport = k->dp;
    f->sport = k->sp;
    *dir = WD_DIR_TO_CLIENT;
  } else {
    f->cli = *k->src;
    f->srv = *k->dst;
    f->cport = k->sp;
    f->sport = k->dp;
    *dir = WD_DIR_TO_SERVER;
  }
  f->vlan = k->vlan;
  f->proto = k->proto;
  f->first_ns = f->last_ns = p->ts_ns;
  f->pkt_events = WD_FLOW_EV_CREATED;
  t->st.created++;
  t->st.active++;
  switch (k->proto) {
  case WD_PROTO_TCP:
    t->st.tcp++;
    break;
  case WD_PROTO_UDP:
    t->st.udp++;
    break;
  case WD_PROTO_ICMP:
  case WD_PROTO_ICMPV6:
    t->st.icmp++;
    break;
  default:
    t->st.other++;
    break;
  }
}

/* TCP state machine, without sequence numbers (see flow.h). */
static void tcp_track(wd_flow_t *f, uint8_t fl, int dir) {
  uint8_t old = f->tcp_state;
  uint8_t st = old;
  bool syn = fl & WD_TCP_SYN, ack = fl & WD_TCP_ACK;
  f->tcp_flags[dir] |= fl;
  if (fl & WD_TCP_RST) {
    st = WD_TCP_CLOSED;
  } else {
    switch (old) {
    case WD_TCP_NONE: /* first packet of the flow */
      if (syn)
        st = ack ? WD_TCP_SYN_RECV : WD_TCP_SYN_SENT;
      else
        st = WD_TCP_ESTABLISHED; /* mid-stream pickup: no handshake */
      break;
    case WD_TCP_SYN_SENT:
      if (dir == WD_DIR_TO_CLIENT && syn && ack)
        st = WD_TCP_SYN_RECV;
      break;
    case WD_TCP_SYN_RECV:
      if (dir == WD_DIR_TO_SERVER && ack && !syn) {
        st = WD_TCP_ESTABLISHED;
        f->pkt_events |= WD_FLOW_EV_ESTABLISHED;
      }
      break;
    default:
      break;
    }
    if ((fl & WD_TCP_FIN) && st != WD_TCP_CLOSED)
      st = WD_TCP_CLOSING;
    if (st == WD_TCP_CLOSING && (f->tcp_flags[0] & WD_TCP_FIN) &&
        (f->tcp_flags[1] & WD_TCP_FIN))
      st = WD_TCP_CLOSED;
  }
  if (st == WD_TCP_CLOSED && old != WD_TCP_CLOSED)
    f->pkt_events |= WD_FLOW_EV_CLOSED;
  f->tcp_state = st;
}

/* The flow key of IP packet p; true when its TCP flags count (a TCP
 * packet with ports). */
static bool packet_key(const wd_packet_t *p, flow_key *k) {
  k->src = &p->src;
  k->dst = &p->dst;
  k->proto = p->l4_proto;
  k->vlan = p->vlan_depth ? (uint16_t)(p->vlan[p->vlan_depth - 1] & 0x0fff) : 0;
  bool ports = p->has_l4 &&
               (k->proto == WD_PROTO_TCP || k->proto == WD_PROTO_UDP) &&
               !(p->fragment && !p->first_fragment);
  k->sp = ports ? p->sport : 0;
  k->dp = ports ? p->dport : 0;
  return ports && k->proto == WD_PROTO_TCP;
}

uint32_t wd_flow_table_hash(const wd_flow_table_t *t, const wd_packet_t *p) {
  flow_key k;
  packet_key(p, &k);
  return key_hash(t, &k);
}

void wd_flow_table_prefetch_bucket(const wd_flow_table_t *t, uint32_t h) {
  __builtin_prefetch(&t->buckets[h & t->bucket_mask]);
}

void wd_flow_table_prefetch_entry(const wd_flow_table_t *t, uint32_t h) {
  uint32_t i = t->buckets[h & t->bucket_mask];
  if (i) {
    const flow_ent *e = ent(t, i);
    __builtin_prefetch(e, 1);       /* the key and chain */
    __builtin_prefetch(&e->lru, 1); /* the counters and list links */
  }
}

wd_flow_t *wd_flow_table_update(wd_flow_table_t *t, const wd_packet_t *p,
                                int *dir) {
  if (p->ip_version == 0)
    return NULL;
  return wd_flow_table_update_hashed(t, p, wd_flow_table_hash(t, p), dir);
}

wd_flow_t *wd_flow_table_update_hashed(wd_flow_table_t *t, const wd_packet_t *p,
                                       uint32_t h, int *dir) {
  if (p->ip_version == 0)
    return NULL;
  flow_key k;
  bool tcp = packet_key(p, &k); /* flags are valid */
  int d = WD_DIR_TO_SERVER;
  int cls = -1; /* class list the entry is on, -1 if on none */
  uint32_t i = lookup(t, &k, h, &d);
  flow_ent *e;
  if (i) {
    e = ent(t, i);
    wd_flow_t *f = &e->f;
    cls = flow_class(f);
    if (tcp && f->tcp_state == WD_TCP_CLOSED &&
        (p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST)) == WD_TCP_SYN) {
      /* A new connection on a closed flow's 5-tuple: end the old flow and
       * start afresh in the same entry (same key, same chain). */
      wd_lru_unlink(&t->cls[cls], &e->lru, lru_at, t);
      cls = -1; /* on no list: linked again below */
      t->st.reused++;
      t->st.active--;
      if (t->on_end)
        t->on_end(t->user, f, WD_FLOW_END_REUSED);
      flow_init(t, e, &k, p, &d);
    } else {
      f->pkt_events = 0;
      if (p->ts_ns > f->last_ns)
        f->last_ns = p->ts_ns;
    }
  } else {
    i = take_slot(t);
    if (!i)
      return NULL; /* max >= 1 always: not reached */
    if (t->st.active >= t->bucket_mask + 1 &&
        t->bucket_mask + 1 < t->bucket_max)
      grow(t, i);
    e = ent(t, i);
    flow_init(t, e, &k, p, &d);
    e->hash = h;
    uint32_t *bucket = &t->buckets[h & t->bucket_mask];
    e->hnext = *bucket;
    *bucket = i;
  }
  wd_flow_t *f = &e->f;
  f->pkts[d]++;
  f->bytes[d] += wd_flow_table_ip_bytes(p);
  if (tcp)
    tcp_track(f, p->tcp_flags, d);
  /* Most recent of its class. A flow already at the head of its class
   * (back-to-back packets) is left alone: no neighbours touched. */
  int now_cls = flow_class(f);
  if (cls == now_cls) {
    wd_lru_touch(&t->cls[cls], i, &e->lru, lru_at, t);
  } else {
    if (cls >= 0)
      wd_lru_unlink(&t->cls[cls], &e->lru, lru_at, t);
    wd_lru_push_front(&t->cls[now_cls], i, &e->lru, lru_at, t);
  }
  *dir = d;
  return f;
}

/* ---- time and end ---- */

/* Flows due are ended EXPIRE_BATCH at a time: the list is walked ahead to
 * find them and their buckets are prefetched, so that unlinking one does
 * not wait for its bucket after the walk waited for its entry. */
#define EXPIRE_BATCH 16

void wd_flow_table_expire(wd_flow_table_t *t, uint64_t now_ns) {
  for (int c = 0; c < CLS_COUNT; c++) {
    uint64_t to = t->timeout_ns[c];
    if (now_ns < to)
      continue;
    uint64_t cutoff = now_ns - to; /* idle since cutoff or before: due */
    uint32_t due[EXPIRE_BATCH];
    uint32_t n;
    do {
      /* From the tail towards more recently active flows, in the order
       * they are ended below (ending a tail leaves the next one as tail). */
      n = 0;
      for (uint32_t i = t->cls[c].tail; i && n < EXPIRE_BATCH;) {
        const flow_ent *e = ent(t, i);
        if (e->f.last_ns > cutoff)
          break;
        __builtin_prefetch(&t->buckets[e->hash & t->bucket_mask], 1);
        due[n++] = i;
        i = e->lru.prev;
      }
      for (uint32_t k = 0; k < n; k++) {
        flow_ent *e = ent(t, due[k]);
        end_flow(t, due[k], e, WD_FLOW_END_TIMEOUT);
        release(t, due[k], e);
        t->st.timed_out++;
      }
    } while (n == EXPIRE_BATCH);
  }
}

/* Every flow ends, so every chain empties at once: no flow's bucket is
 * visited (each would be a cache miss at the end of a large run). */
void wd_flow_table_flush(wd_flow_table_t *t) {
  memset(t->buckets, 0, ((size_t)t->bucket_mask + 1) * sizeof *t->buckets);
  for (int c = 0; c < CLS_COUNT; c++)
    while (t->cls[c].tail) {
      uint32_t i = t->cls[c].tail;
      flow_ent *e = ent(t, i);
      retire(t, e, WD_FLOW_END_SHUTDOWN);
      release(t, i, e);
    }
}

size_t wd_flow_table_check(const wd_flow_table_t *t) {
  size_t faults = 0;
  uint64_t chained = 0;
  for (uint32_t b = 0; b <= t->bucket_mask; b++) {
    uint64_t steps = 0;
    for (uint32_t i = t->buckets[b]; i; i = ent(t, i)->hnext) {
      const flow_ent *e = ent(t, i);
      if (i >= t->next_fresh || ++steps > t->st.active ||
          e->lru.next == FREE_LINK) {
        faults++; /* out of range, a loop, or a free entry */
        break;
      }
      if ((e->hash & t->bucket_mask) != b)
        faults++;
      chained++;
    }
  }
  return faults + (chained != t->st.active);
}

void wd_flow_table_stats(const wd_flow_table_t *t, wd_flow_stats_t *out) {
  *out = t->st;
  out->memuse = t->mc.used;
  out->memcap = t->mc.cap;
}
