/* tcp.c -- TCP conversations as the tap between client and server sees
 * them: three-way handshake (or a SYN left unanswered, or refused with
 * RST), application messages cut into MSS-sized segments spaced by the
 * bottleneck bandwidth, the receiver's ACK every second segment and a
 * delayed ACK when it does not answer at once, then FIN/FIN/ACK or RST.
 * Timing: each end sits delay_ns away from the tap, so an answer to a
 * packet seen at t is seen at t + 2 * delay(answering end) + think.
 * In: ends, a tg_tcp_next_fn giving the messages one at a time (one
 * message of lookahead decides piggybacked versus delayed ACKs).
 * Out: packets via tg_pkt_tcp. Memory: the session is an actor the
 * scheduler frees when it returns false; app state sits at its end. */
#include <stdlib.h>

#include "tg.h"

enum { ST_SYN, ST_DATA, ST_CLOSE };

static void tcp_fini(tg_gen_t *g, tg_actor_t *a) {
  if (a->cls >= 0) {
    tg_benign_session_done(g, a->cls, a->packets);
    if (g->live_sessions)
      g->live_sessions--;
  }
}

static void seg(tg_gen_t *g, tg_tcp_t *s, int side, uint64_t ts, uint8_t flags,
                const uint8_t *pl, size_t plen) {
  tg_tcp_end_t *me = &s->e[side], *peer = &s->e[!side];
  tg_l3_t l3 = {&me->addr, &peer->addr, me->mac, peer->mac,
                me->ttl,   me->ipid++,  true,    me->internal};
  uint8_t opt[12];
  size_t optlen = 0;
  uint16_t win = me->win;
  if (flags & TG_SYN) {
    uint16_t mss = s->mss;
    opt[0] = 2; /* MSS */
    opt[1] = 4;
    opt[2] = (uint8_t)(mss >> 8);
    opt[3] = (uint8_t)mss;
    opt[4] = 1; /* NOP */
    opt[5] = 3; /* window scale */
    opt[6] = 3;
    opt[7] = me->wscale;
    opt[8] = 1;
    opt[9] = 1;
    opt[10] = 4; /* SACK permitted */
    opt[11] = 2;
    optlen = 12;
    win = 64240;
  }
  uint32_t ack = (flags & TG_ACK) ? peer->seq : 0;
  tg_pkt_tcp(g, ts, s->tag, &l3, me->port, peer->port, me->seq, ack, flags, win,
             opt, optlen, pl, plen);
  me->seq += (uint32_t)plen + ((flags & (TG_SYN | TG_FIN)) ? 1 : 0);
  s->a.packets++;
  if (ts > s->last_ts[side])
    s->last_ts[side] = ts;
}

/* Bytes [off, off + k) of message m: the literal head, then filler, then
 * the literal tail (the last tail_len bytes of hdr). */
static void msg_bytes(const tg_gen_t *g, const tg_tcp_t *s, const tg_msg_t *m,
                      uint32_t off, uint32_t k, uint8_t *out) {
  uint32_t head = (uint32_t)(m->hdr_len - m->tail_len);
  uint32_t tail_at = m->len - m->tail_len;
  uint32_t i = 0;
  while (i < k) {
    uint32_t o = off + i, n;
    if (o < head) {
      n = head - o;
      if (n > k - i)
        n = k - i;
      memcpy(out + i, m->hdr + o, n);
    } else if (o >= tail_at) {
      n = k - i;
      memcpy(out + i, m->hdr + head + (o - tail_at), n);
    } else {
      n = tail_at - o;
      if (n > k - i)
        n = k - i;
      if (m->fill == TG_FILL_ZERO) {
        memset(out + i, 0, n);
      } else {
        const uint8_t *blk =
            m->fill == TG_FILL_TEXT ? g->fill_text : g->fill_rand;
        uint32_t pos = (o + s->salt) & (TG_FILL_SIZE - 1);
        for (uint32_t j = 0; j < n;) {
          uint32_t c = n - j;
          if (c > TG_FILL_SIZE - pos)
            c = TG_FILL_SIZE - pos;
          memcpy(out + i + j, blk + pos, c);
          j += c;
          pos = 0;
        }
      }
    }
    i += n;
  }
}

/* Earliest time the sender can start something: it has sent what it sent
 * and has seen what the other end sent. */
static uint64_t ready_time(const tg_tcp_t *s, int snd) {
  if (s->prev_dir == snd) /* goes on sending: no need to wait for ACKs */
    return s->last_ts[snd] + s->gap_ns;
  uint64_t a = s->last_ts[snd];
  uint64_t b = s->last_ts[!snd] + 2ULL * s->e[snd].delay_ns + 15 * TG_US;
  return a > b ? a : b;
}

static uint64_t delack_ns(const tg_tcp_t *s, int rcv) {
  return s->e[rcv].wscale == 8 ? 100 * TG_MS : 40 * TG_MS;
}

static bool fetch(tg_gen_t *g, tg_tcp_t *s, int slot) {
  if (s->done_msgs)
    return false;
  tg_msg_t *m = &s->msg[slot];
  m->not_before = 0;
  m->think_ns = 0;
  m->fill = TG_FILL_RAND;
  m->tail_len = 0;
  if (!s->next || !s->next(g, s, m)) {
    s->done_msgs = true;
    return false;
  }
  if (m->len < m->hdr_len)
    m->len = m->hdr_len;
  s->have[slot] = true;
  return true;
}

static bool step_syn(tg_gen_t *g, tg_tcp_t *s) {
  uint64_t t = s->a.t;
  if (s->retx > 0)
    s->e[TG_C2S].seq--; /* retransmission: same initial sequence number */
  seg(g, s, TG_C2S, t, TG_SYN, NULL, 0);
  if (s->answer == TG_ANSWER_NONE) {
    if (s->retx >= s->syn_retries)
      return false;
    uint64_t base = s->e[TG_C2S].wscale == 8 ? 3 * TG_NS : TG_NS;
    s->a.t = t + (base << s->retx);
    s->retx++;
    return true;
  }
  uint64_t t1 = t + 2ULL * s->e[TG_S2C].delay_ns + 40 * TG_US;
  if (s->answer == TG_ANSWER_RST) {
    s->e[TG_S2C].seq = 0;
    seg(g, s, TG_S2C, t1, TG_RST | TG_ACK, NULL, 0);
    return false;
  }
  seg(g, s, TG_S2C, t1, TG_SYN | TG_ACK, NULL, 0);
  uint64_t t2 = t1 + 2ULL * s->e[TG_C2S].delay_ns + 20 * TG_US;
  seg(g, s, TG_C2S, t2, TG_ACK, NULL, 0);
  s->state = ST_DATA;
  s->prev_dir = 2; /* nobody has sent data yet */
  s->a.t = t2;
  s->msg_start = 0;
  return true;
}

static bool step_close(tg_gen_t *g, tg_tcp_t *s) {
  if (s->close == TG_CLOSE_NONE)
    return false;
  int closer = (s->close == TG_CLOSE_FIN_C || s->close == TG_CLOSE_RST_C)
                   ? TG_C2S
                   : TG_S2C;
  int other = !closer;
  if (s->msg_start == 0) { /* first visit: wait until the closer may act */
    uint64_t t0 = ready_time(s, closer) + s->close_think_ns;
    if (t0 < s->close_not_before)
      t0 = s->close_not_before;
    s->msg_start = t0 > s->a.t ? t0 : s->a.t;
    s->a.t = s->msg_start;
    return true;
  }
  uint64_t t = s->a.t;
  if (s->close == TG_CLOSE_RST_C || s->close == TG_CLOSE_RST_S) {
    seg(g, s, closer, t, TG_RST | TG_ACK, NULL, 0);
    return false;
  }
  seg(g, s, closer, t, TG_FIN | TG_ACK, NULL, 0);
  uint64_t t1 = t + 2ULL * s->e[other].delay_ns + 30 * TG_US;
  seg(g, s, other, t1, TG_FIN | TG_ACK, NULL, 0);
  uint64_t t2 = t1 + 2ULL * s->e[closer].delay_ns + 20 * TG_US;
  seg(g, s, closer, t2, TG_ACK, NULL, 0);
  return false;
}

static bool step_data(tg_gen_t *g, tg_tcp_t *s) {
  int c = s->cur;
  if (!s->have[c] && !fetch(g, s, c)) {
    s->state = ST_CLOSE;
    s->msg_start = 0;
    return step_close(g, s);
  }
  tg_msg_t *m = &s->msg[c];
  int snd = m->dir, rcv = !snd;
  if (s->msg_start == 0) { /* schedule the start of this message */
    uint64_t t0 = ready_time(s, snd) + m->think_ns;
    if (m->not_before > t0)
      t0 = m->not_before;
    if (t0 < s->a.t)
      t0 = s->a.t;
    s->msg_start = t0;
    s->a.t = t0;
    return true;
  }
  uint64_t t = s->a.t;
  uint8_t buf[TG_MTU];
  uint32_t mss = s->mss;
  uint64_t last = t;
  for (int n = 0; n < 24 && s->off < m->len; n++) {
    uint32_t k = m->len - s->off;
    if (k > mss)
      k = mss;
    bool end = s->off + k == m->len;
    msg_bytes(g, s, m, s->off, k, buf);
    seg(g, s, snd, t, (uint8_t)(TG_ACK | (end ? TG_PSH : 0)), buf, k);
    s->off += k;
    last = t;
    if (++s->unacked >= 2 && !end) {
      seg(g, s, rcv, t + 2ULL * s->e[rcv].delay_ns + 25 * TG_US, TG_ACK, NULL,
          0);
      s->unacked = 0;
    }
    t += s->gap_ns * k / mss + 1;
  }
  if (s->off < m->len) {
    s->a.t = t;
    return true;
  }
  /* Message complete: look ahead to decide how the receiver ACKs. */
  s->have[c] = false;
  s->cur = !c;
  s->off = 0;
  s->msg_start = 0;
  bool nxt = s->have[!c] || fetch(g, s, !c);
  const tg_msg_t *n = nxt ? &s->msg[!c] : NULL;
  s->prev_dir = (uint8_t)snd;
  if (s->unacked > 0) {
    uint64_t d = delack_ns(s, rcv);
    /* the sender goes on at once: the receiver keeps counting segments */
    bool cont = n && n->dir == snd && n->think_ns < TG_MS && !n->not_before;
    /* the receiver answers before its delayed-ACK timer: piggybacked */
    bool piggy = n && n->dir == rcv && n->think_ns < d &&
                 (n->not_before == 0 || n->not_before < last + d);
    if (!cont && !piggy) {
      uint64_t ta = last + 2ULL * s->e[rcv].delay_ns + 25 * TG_US +
                    (s->unacked >= 2 ? 0 : d / 4);
      seg(g, s, rcv, ta, TG_ACK, NULL, 0);
    }
    if (!cont)
      s->unacked = 0;
  }
  s->a.t = last;
  return true;
}

static bool tcp_step(tg_gen_t *g, tg_actor_t *a) {
  tg_tcp_t *s = (tg_tcp_t *)a;
  switch (s->state) {
  case ST_SYN:
    return step_syn(g, s);
  case ST_DATA:
    return step_data(g, s);
  default:
    return step_close(g, s);
  }
}

tg_tcp_t *tg_tcp_new(tg_gen_t *g, size_t app_size, tg_rng_t *parent) {
  (void)g;
  tg_tcp_t *s = calloc(1, sizeof *s + app_size);
  if (!s)
    return NULL;
  s->a.step = tcp_step;
  s->a.fini = tcp_fini;
  s->a.cls = -1;
  tg_rng_fork(parent, &s->a.rng);
  s->tag = TG_NOTAG;
  s->answer = TG_ANSWER_OPEN;
  s->close = TG_CLOSE_FIN_C;
  s->syn_retries = 2;
  s->mss = 1460;
  s->gap_ns = 12 * TG_US;
  s->close_think_ns = 0;
  s->salt = (uint16_t)tg_rng_next(&s->a.rng);
  return s;
}

static void end_from_host(tg_tcp_end_t *e, const tg_host_t *h, int family,
                          tg_rng_t *r) {
  e->addr = family == 6 ? h->a6 : h->a4;
  memcpy(e->mac, h->mac, 6);
  e->internal = h->internal;
  e->ttl = h->ttl;
  e->wscale = h->windows ? 8 : 7;
  e->win = h->windows ? 1026 : 502;
  e->ipid = (uint16_t)tg_rng_next(r);
  e->seq = (uint32_t)tg_rng_next(r);
  e->delay_ns = h->delay_ns;
}

void tg_tcp_ends(tg_tcp_t *s, const tg_host_t *client, const tg_host_t *server,
                 int family, uint16_t dport) {
  tg_rng_t *r = &s->a.rng;
  end_from_host(&s->e[TG_C2S], client, family, r);
  end_from_host(&s->e[TG_S2C], server, family, r);
  s->e[TG_C2S].port = client->windows ? (uint16_t)tg_rng_range(r, 49152, 65535)
                                      : (uint16_t)tg_rng_range(r, 32768, 60999);
  s->e[TG_S2C].port = dport;
  s->mss = family == 6 ? 1440 : 1460;
  uint32_t mbps = client->mbps < server->mbps ? client->mbps : server->mbps;
  if (mbps == 0)
    mbps = 100;
  s->gap_ns = (uint64_t)(s->mss + 40) * 8 * 1000 / mbps;
}

void tg_tcp_start(tg_gen_t *g, tg_tcp_t *s, uint64_t t) {
  tg_sched_add(g, &s->a, t);
}

void tg_tcp_msg_init(tg_msg_t *m, int dir, uint64_t think_ns) {
  m->dir = (uint8_t)dir;
  m->fill = TG_FILL_RAND;
  m->hdr_len = 0;
  m->tail_len = 0;
  m->len = 0;
  m->think_ns = think_ns;
  m->not_before = 0;
}

tg_buf_t tg_tcp_msg_buf(tg_msg_t *m) {
  tg_buf_t b;
  tg_buf_init(&b, m->hdr, sizeof m->hdr);
  return b;
}

void tg_tcp_msg_done(tg_msg_t *m, const tg_buf_t *b, uint32_t extra, int fill) {
  m->hdr_len = (uint16_t)b->len;
  m->len = (uint32_t)b->len + extra;
  m->fill = (uint8_t)fill;
}

bool tg_tcp_msg_bytes(tg_msg_t *m, int dir, uint64_t think_ns, const uint8_t *p,
                      size_t len, size_t opq_off, size_t opq_len) {
  tg_tcp_msg_init(m, dir, think_ns);
  if (opq_off > len || opq_len > len - opq_off)
    return false;
  size_t tail = len - opq_off - opq_len;
  if (opq_off + tail > sizeof m->hdr)
    return false;
  memcpy(m->hdr, p, opq_off);
  memcpy(m->hdr + opq_off, p + opq_off + opq_len, tail);
  m->hdr_len = (uint16_t)(opq_off + tail);
  m->tail_len = (uint16_t)tail;
  m->len = (uint32_t)len;
  m->fill = TG_FILL_RAND;
  return true;
}
