/* stream.c -- TCP reassembly (see stream.h).
 * Per direction: next_seq (next byte owed to the consumer) and a sorted
 * list of disjoint out-of-order chunks. A segment at next_seq is delivered
 * from the packet itself, except where queued chunks already cover it
 * (first seen wins): those bytes come from the chunks. Anything that cannot
 * be queued makes the stream jump to it: queued chunks before it are
 * delivered with gaps between them, then the segment. Chunks come from
 * slabs reserved against the memcap and are kept on a free list once
 * allocated (the memcap counts slabs, not live data). Sequence numbers
 * compare modulo 2^32. */
#include "flow/stream.h"

#include <stdlib.h>
#include <string.h>

#include "decode/packet.h"

#define CHUNK_DATA 2032u /* payload bytes per chunk (~2 KiB chunks) */
#define SLAB_CHUNKS 32u  /* chunks per slab (~64 KiB) */

#define FALLBACK_MEMCAP (16u << 20)
#define FALLBACK_FLOW_BUFFER (64u << 10)
#define FALLBACK_WINDOW (128u << 10)

struct wd_stream_chunk {
  wd_stream_chunk_t *next;
  uint32_t seq;
  uint32_t len;
  uint8_t data[CHUNK_DATA];
};

typedef struct slab {
  struct slab *next;
  wd_stream_chunk_t chunks[SLAB_CHUNKS];
} slab;

struct wd_stream_ctx {
  wd_memcap_t mc;
  uint32_t flow_buffer, window;
  slab *slabs;
  wd_stream_chunk_t *free_list;
  uint32_t nfree;
  wd_stream_stats_t st;
};

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_DIFF(a, b) ((uint32_t)(a) - (uint32_t)(b)) /* a - b, a >= b */

wd_rc wd_stream_ctx_new(const wd_config_t *cfg, wd_stream_ctx_t **out) {
  wd_stream_ctx_t *c = calloc(1, sizeof *c);
  if (!c)
    return WD_ERR_NOMEM;
  uint64_t cap =
      cfg && cfg->stream.memcap ? cfg->stream.memcap : FALLBACK_MEMCAP;
  wd_memcap_init(&c->mc, "stream", (size_t)cap);
  c->flow_buffer = cfg && cfg->stream.flow_buffer ? cfg->stream.flow_buffer
                                                  : FALLBACK_FLOW_BUFFER;
  c->window = cfg && cfg->stream.window ? cfg->stream.window : FALLBACK_WINDOW;
  /* the window must leave room for the largest segment queued */
  if (c->window < CHUNK_DATA)
    c->window = CHUNK_DATA;
  *out = c;
  return WD_OK;
}

void wd_stream_ctx_free(wd_stream_ctx_t *c) {
  if (!c)
    return;
  slab *s = c->slabs;
  while (s) {
    slab *n = s->next;
    free(s);
    s = n;
  }
  free(c);
}

wd_memcap_t *wd_stream_ctx_memcap(wd_stream_ctx_t *c) { return &c->mc; }

/* Makes sure n chunks are free; false (a memcap hit) if it cannot. */
static bool reserve_chunks(wd_stream_ctx_t *c, uint32_t n) {
  while (c->nfree < n) {
    if (!wd_memcap_reserve(&c->mc, sizeof(slab))) {
      c->st.memcap_hits++;
      return false;
    }
    slab *s = malloc(sizeof *s);
    if (!s) {
      wd_memcap_release(&c->mc, sizeof(slab));
      c->st.memcap_hits++;
      return false;
    }
    s->next = c->slabs;
    c->slabs = s;
    for (unsigned i = 0; i < SLAB_CHUNKS; i++) {
      s->chunks[i].next = c->free_list;
      c->free_list = &s->chunks[i];
    }
    c->nfree += SLAB_CHUNKS;
  }
  return true;
}

static wd_stream_chunk_t *chunk_get(wd_stream_ctx_t *c) {
  wd_stream_chunk_t *k = c->free_list; /* reserved beforehand */
  c->free_list = k->next;
  c->nfree--;
  c->st.chunks_used++;
  k->next = NULL;
  return k;
}

static void chunk_put(wd_stream_ctx_t *c, wd_stream_chunk_t *k) {
  k->next = c->free_list;
  c->free_list = k;
  c->nfree++;
  c->st.chunks_used--;
}

void wd_stream_init(wd_stream_ctx_t *c, wd_stream_t *s) {
  memset(s, 0, sizeof *s);
  c->st.active++;
}

static void dir_clear(wd_stream_ctx_t *c, wd_stream_dir_t *d) {
  wd_stream_chunk_t *k = d->head;
  while (k) {
    wd_stream_chunk_t *n = k->next;
    chunk_put(c, k);
    k = n;
  }
  d->head = NULL;
  d->queued = 0;
  d->nchunks = 0;
}

void wd_stream_fini(wd_stream_ctx_t *c, wd_stream_t *s) {
  dir_clear(c, &s->d[0]);
  dir_clear(c, &s->d[1]);
  if (c->st.active)
    c->st.active--;
}

/* Hands len bytes at next_seq to the consumer with any pending gap. */
static void deliver(wd_stream_ctx_t *c, wd_stream_dir_t *d, int dir,
                    const uint8_t *data, uint32_t len, wd_stream_data_fn fn,
                    void *user) {
  uint32_t gap = d->gap;
  d->gap = 0;
  d->next_seq += len;
  c->st.delivered += len;
  if (d->acked && !SEQ_LT(d->next_seq, d->ack_seq))
    d->acked = false; /* caught up with the peer's ack */
  fn(user, dir, data, len, gap);
}

/* Delivers queued chunks that start at (or before) next_seq. */
static void drain(wd_stream_ctx_t *c, wd_stream_dir_t *d, int dir,
                  wd_stream_data_fn fn, void *user) {
  while (d->head && SEQ_LEQ(d->head->seq, d->next_seq)) {
    wd_stream_chunk_t *k = d->head;
    uint32_t end = k->seq + k->len;
    if (SEQ_LT(d->next_seq, end)) {
      uint32_t skip = SEQ_DIFF(d->next_seq, k->seq);
      deliver(c, d, dir, k->data + skip, k->len - skip, fn, user);
    }
    d->head = k->next;
    d->queued -= k->len;
    d->nchunks--;
    chunk_put(c, k);
  }
}

/* Records a jump of next_seq to seq (seq after next_seq). */
static void jump(wd_stream_ctx_t *c, wd_stream_dir_t *d, uint32_t seq) {
  uint32_t n = SEQ_DIFF(seq, d->next_seq);
  if (n == 0)
    return;
  c->st.gaps++;
  c->st.gap_bytes += n;
  if (d->gap != WD_STREAM_GAP_UNKNOWN) {
    uint64_t g = (uint64_t)d->gap + n;
    d->gap =
        g >= WD_STREAM_GAP_UNKNOWN ? WD_STREAM_GAP_UNKNOWN - 1 : (uint32_t)g;
  }
  d->next_seq = seq;
}

/* Skips forward to seq, delivering queued chunks before it (gaps between
 * them). */
static void skip_to(wd_stream_ctx_t *c, wd_stream_dir_t *d, int dir,
                    uint32_t seq, wd_stream_data_fn fn, void *user) {
  while (d->head && SEQ_LT(d->head->seq, seq)) {
    if (SEQ_LT(d->next_seq, d->head->seq))
      jump(c, d, d->head->seq);
    drain(c, d, dir, fn, user);
  }
  if (SEQ_LT(d->next_seq, seq))
    jump(c, d, seq);
}

/* In-order segment at next_seq: packet bytes where no chunk covers them,
 * chunk bytes where one does. */
static void deliver_inorder(wd_stream_ctx_t *c, wd_stream_dir_t *d, int dir,
                            const uint8_t *data, uint32_t len,
                            wd_stream_data_fn fn, void *user) {
  uint32_t end = d->next_seq + len;
  while (SEQ_LT(d->next_seq, end)) {
    if (d->head && SEQ_LEQ(d->head->seq, d->next_seq)) {
      c->st.overlaps++;
      drain(c, d, dir, fn, user);
      continue;
    }
    uint32_t n = SEQ_DIFF(end, d->next_seq);
    if (d->head && SEQ_LT(d->head->seq, end))
      n = SEQ_DIFF(d->head->seq, d->next_seq);
    uint32_t from = len - SEQ_DIFF(end, d->next_seq);
    deliver(c, d, dir, data + from, n, fn, user);
  }
  drain(c, d, dir, fn, user);
}

/* Bytes of [seq, seq+len) not covered by queued chunks, and the chunks
 * needed to hold them. */
static uint32_t uncovered(const wd_stream_dir_t *d, uint32_t seq, uint32_t len,
                          uint32_t *nchunks) {
  uint32_t cur = seq, end = seq + len, bytes = 0, chunks = 0;
  for (const wd_stream_chunk_t *k = d->head; k && SEQ_LT(cur, end);
       k = k->next) {
    uint32_t kend = k->seq + k->len;
    if (SEQ_LEQ(kend, cur))
      continue;
    if (SEQ_LT(cur, k->seq)) {
      uint32_t piece =
          SEQ_LT(k->seq, end) ? SEQ_DIFF(k->seq, cur) : SEQ_DIFF(end, cur);
      bytes += piece;
      chunks += (piece + CHUNK_DATA - 1) / CHUNK_DATA;
    }
    if (SEQ_LT(cur, kend))
      cur = kend;
  }
  if (SEQ_LT(cur, end)) {
    uint32_t piece = SEQ_DIFF(end, cur);
    bytes += piece;
    chunks += (piece + CHUNK_DATA - 1) / CHUNK_DATA;
  }
  *nchunks = chunks;
  return bytes;
}

/* Inserts the uncovered parts of the segment (chunks already reserved). */
static void queue_insert(wd_stream_ctx_t *c, wd_stream_dir_t *d, uint32_t seq,
                         const uint8_t *data, uint32_t len) {
  uint32_t end = seq + len, cur = seq;
  wd_stream_chunk_t **link = &d->head;
  while (SEQ_LT(cur, end)) {
    wd_stream_chunk_t *k = *link;
    if (k && SEQ_LEQ(k->seq + k->len, cur)) {
      link = &k->next;
      continue;
    }
    if (k && SEQ_LEQ(k->seq, cur)) { /* cur inside k: skip its bytes */
      cur = k->seq + k->len;
      link = &k->next;
      continue;
    }
    /* a free stretch from cur to the next chunk (or the end) */
    uint32_t stop = (k && SEQ_LT(k->seq, end)) ? k->seq : end;
    while (SEQ_LT(cur, stop)) {
      uint32_t n = SEQ_DIFF(stop, cur);
      if (n > CHUNK_DATA)
        n = CHUNK_DATA;
      wd_stream_chunk_t *nk = chunk_get(c);
      nk->seq = cur;
      nk->len = n;
      memcpy(nk->data, data + SEQ_DIFF(cur, seq), n);
      nk->next = *link;
      *link = nk;
      link = &nk->next;
      d->queued += n;
      d->nchunks++;
      cur += n;
    }
  }
}

void wd_stream_segment(wd_stream_ctx_t *c, wd_stream_t *s, int dir,
                       uint32_t seq, uint8_t tcp_flags, const uint8_t *data,
                       uint32_t len, wd_stream_data_fn fn, void *user) {
  wd_stream_dir_t *d = &s->d[dir ? 1 : 0];
  dir = dir ? 1 : 0;
  if (tcp_flags & WD_TCP_SYN) {
    if (!d->init || d->next_seq != seq + 1) {
      /* new connection (or the port reused): start over */
      bool had = d->init;
      dir_clear(c, d);
      d->init = true;
      d->next_seq = seq + 1;
      d->gap = had ? WD_STREAM_GAP_UNKNOWN : 0;
      d->acked = false;
      d->fin = false;
    }
    seq++; /* data on a SYN (TCP Fast Open) follows the SYN's number */
  }
  if (tcp_flags & WD_TCP_FIN) {
    d->fin = true;
    d->fin_seq = seq + len;
  }
  if (len == 0)
    return;
  c->st.segments++;
  c->st.bytes += len;
  if (!d->init) {
    d->init = true;
    d->next_seq = seq;
    d->gap = WD_STREAM_GAP_UNKNOWN;
  }
  if (SEQ_LT(seq, d->next_seq)) {
    uint32_t old = SEQ_DIFF(d->next_seq, seq);
    if (old >= len) {
      c->st.retransmits++;
      return;
    }
    c->st.overlaps++;
    data += old;
    len -= old;
    seq = d->next_seq;
  }
  if (seq == d->next_seq) {
    deliver_inorder(c, d, dir, data, len, fn, user);
    return;
  }
  /* out of order; the peer acknowledged the hole already: it is lost */
  if (d->acked && SEQ_LT(d->next_seq, d->ack_seq)) {
    uint32_t lost_end = SEQ_LEQ(seq, d->ack_seq) ? seq : d->ack_seq;
    c->st.ack_gaps++;
    skip_to(c, d, dir, lost_end, fn, user);
    if (SEQ_LT(seq, d->next_seq)) {
      uint32_t old = SEQ_DIFF(d->next_seq, seq);
      if (old >= len)
        return;
      data += old;
      len -= old;
      seq = d->next_seq;
    }
    if (seq == d->next_seq) {
      deliver_inorder(c, d, dir, data, len, fn, user);
      return;
    }
  }
  uint32_t nchunks;
  uint32_t add = uncovered(d, seq, len, &nchunks);
  if (add == 0) {
    c->st.retransmits++;
    return;
  }
  if (add < len)
    c->st.overlaps++;
  bool fits = true;
  if ((uint64_t)SEQ_DIFF(seq, d->next_seq) + len > c->window) {
    c->st.beyond_window++;
    fits = false;
  } else if ((uint64_t)d->queued + add > c->flow_buffer ||
             (uint64_t)(d->nchunks + nchunks) * CHUNK_DATA >
                 (uint64_t)c->flow_buffer + CHUNK_DATA) {
    c->st.buffer_full++;
    fits = false;
  } else if (!reserve_chunks(c, nchunks)) {
    fits = false;
  }
  if (fits) {
    c->st.ooo_queued++;
    queue_insert(c, d, seq, data, len);
    return;
  }
  /* cannot wait for the hole: skip to this segment */
  skip_to(c, d, dir, seq, fn, user);
  if (SEQ_LT(seq, d->next_seq)) { /* a chunk delivered part of it */
    uint32_t old = SEQ_DIFF(d->next_seq, seq);
    if (old >= len)
      return;
    data += old;
    len -= old;
  }
  deliver_inorder(c, d, dir, data, len, fn, user);
}

void wd_stream_ack(wd_stream_ctx_t *c, wd_stream_t *s, int dir, uint32_t ack,
                   wd_stream_data_fn fn, void *user) {
  wd_stream_dir_t *d = &s->d[dir ? 1 : 0];
  dir = dir ? 1 : 0;
  if (d->fin && SEQ_LT(d->fin_seq, ack))
    ack = d->fin_seq; /* the FIN takes a sequence number, not a byte */
  if (!d->init || !SEQ_LT(d->next_seq, ack))
    return;
  /* an ACK far beyond (more than the window) is not trusted: a bogus or
   * unrelated packet must not make the stream skip */
  if (SEQ_DIFF(ack, d->next_seq) > c->window)
    return;
  if (!d->acked || SEQ_LT(d->ack_seq, ack)) {
    d->acked = true;
    d->ack_seq = ack;
  }
  /* queued data after the hole was acknowledged: the hole is lost */
  if (d->head && SEQ_LEQ(d->head->seq, ack)) {
    c->st.ack_gaps++;
    jump(c, d, d->head->seq);
    drain(c, d, dir, fn, user);
  }
}

void wd_stream_lost(wd_stream_ctx_t *c, wd_stream_t *s, int dir, uint32_t seq,
                    uint32_t n, wd_stream_data_fn fn, void *user) {
  wd_stream_dir_t *d = &s->d[dir ? 1 : 0];
  dir = dir ? 1 : 0;
  if (!d->init || n == 0 || d->next_seq != seq || n > c->window)
    return;
  skip_to(c, d, dir, seq + n, fn, user);
  drain(c, d, dir, fn, user);
}

void wd_stream_stats(const wd_stream_ctx_t *c, wd_stream_stats_t *out) {
  *out = c->st;
  out->memuse = c->mc.used;
  out->memcap = c->mc.cap;
}
