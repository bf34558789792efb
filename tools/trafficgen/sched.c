/* sched.c -- trafficgen's clock: actors on a time heap, packets on a second
 * heap, and the pcap writer.
 * In: actors (tg_sched_add) whose steps queue packets (tg_sched_push) stamped
 * no earlier than the step. Out: the pcap, in (timestamp, creation) order,
 * so timestamps never decrease and one seed gives one byte stream.
 * A queued packet is written once no actor can still emit an earlier one:
 * when its time is <= the earliest pending actor step. Memory: actors are
 * freed when their step returns false; packet bytes when written. The run
 * stops at --packets or when neither actors nor packets are left; packets
 * after the end time (--duration) are dropped. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

uint64_t tg_sched_now;

static bool actor_less(const tg_actor_t *x, const tg_actor_t *y) {
  return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static bool pkt_less(const tg_pktq_t *x, const tg_pktq_t *y) {
  return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

static void *grow(void *p, size_t *cap, size_t elem) {
  size_t n = *cap ? *cap * 2 : 1024;
  void *q = realloc(p, n * elem);
  if (!q) {
    fprintf(stderr, "trafficgen: out of memory\n");
    exit(1);
  }
  *cap = n;
  return q;
}

void tg_sched_add(tg_gen_t *g, tg_actor_t *a, uint64_t t) {
  a->t = t;
  a->seq = g->actor_seq++;
  if (g->nactors == g->capactors)
    g->actors = grow(g->actors, &g->capactors, sizeof *g->actors);
  size_t i = g->nactors++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!actor_less(a, g->actors[parent]))
      break;
    g->actors[i] = g->actors[parent];
    i = parent;
  }
  g->actors[i] = a;
}

static void actor_sift_down(tg_gen_t *g, size_t i) {
  tg_actor_t *a = g->actors[i];
  size_t n = g->nactors;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    const tg_actor_t *best = a;
    if (l < n && actor_less(g->actors[l], best)) {
      m = l;
      best = g->actors[l];
    }
    if (l + 1 < n && actor_less(g->actors[l + 1], best))
      m = l + 1;
    if (m == i)
      break;
    g->actors[i] = g->actors[m];
    i = m;
  }
  g->actors[i] = a;
}

void tg_sched_push(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const uint8_t *f,
                   size_t len) {
  if (ts < tg_sched_now) /* a bug in an actor; keep the order anyway */
    ts = tg_sched_now;
  if (ts > g->end_ns)
    return; /* after the end of the capture */
  uint8_t *d = malloc(len);
  if (!d) {
    fprintf(stderr, "trafficgen: out of memory\n");
    exit(1);
  }
  memcpy(d, f, len);
  if (g->nq == g->capq)
    g->q = grow(g->q, &g->capq, sizeof *g->q);
  tg_pktq_t x = {ts, g->pkt_seq++, tag, (uint32_t)len, d};
  size_t i = g->nq++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!pkt_less(&x, &g->q[parent]))
      break;
    g->q[i] = g->q[parent];
    i = parent;
  }
  g->q[i] = x;
}

static void pkt_pop(tg_gen_t *g, tg_pktq_t *out) {
  *out = g->q[0];
  tg_pktq_t x = g->q[--g->nq];
  size_t n = g->nq, i = 0;
  if (n == 0)
    return;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    const tg_pktq_t *best = &x;
    if (l < n && pkt_less(&g->q[l], best)) {
      m = l;
      best = &g->q[l];
    }
    if (l + 1 < n && pkt_less(&g->q[l + 1], best))
      m = l + 1;
    if (m == i)
      break;
    g->q[i] = g->q[m];
    i = m;
  }
  g->q[i] = x;
}

static void truth_note(tg_gen_t *g, int row, uint64_t ts) {
  if (row < 0 || row >= g->ntruth)
    return;
  tg_truth_t *t = &g->truth[row];
  if (t->packets == 0)
    t->first_ns = ts;
  t->last_ns = ts;
  t->packets++;
}

static void write_one(tg_gen_t *g, const tg_pktq_t *p) {
  struct pcap_pkthdr h;
  uint64_t ts = p->ts;
  if (!g->nano)
    ts -= ts % TG_US; /* what a microsecond file can hold */
  h.ts.tv_sec = (time_t)(ts / TG_NS);
  h.ts.tv_usec = (suseconds_t)(g->nano ? ts % TG_NS : (ts % TG_NS) / TG_US);
  h.len = p->len;
  h.caplen = g->snaplen && p->len > g->snaplen ? g->snaplen : p->len;
  pcap_dump((u_char *)g->dumper, &h, p->data);
  if (g->written == 0)
    g->first_ts = ts;
  g->last_ts = ts;
  g->written++;
  g->bytes += p->len;
  truth_note(g, p->tag.row[0], ts);
  truth_note(g, p->tag.row[1], ts);
  if (g->max_packets && g->written >= g->max_packets)
    g->stop = true;
}

/* Writes queued packets stamped <= limit. */
static void flush_until(tg_gen_t *g, uint64_t limit) {
  while (g->nq > 0 && !g->stop && g->q[0].ts <= limit) {
    tg_pktq_t p;
    pkt_pop(g, &p);
    write_one(g, &p);
    free(p.data);
  }
}

int tg_sched_run(tg_gen_t *g) {
  while (!g->stop) {
    uint64_t next = g->nactors ? g->actors[0]->t : UINT64_MAX;
    flush_until(g, next);
    if (g->stop || g->nactors == 0)
      break;
    tg_actor_t *a = g->actors[0];
    if (a->t > g->end_ns) {
      /* every remaining actor is past the end: drop them all */
      flush_until(g, UINT64_MAX);
      break;
    }
    tg_sched_now = a->t;
    bool again = a->step(g, a);
    if (again) {
      if (a->t < tg_sched_now)
        a->t = tg_sched_now;
      a->seq = g->actor_seq++;
      actor_sift_down(g, 0);
    } else {
      g->actors[0] = g->actors[--g->nactors];
      if (g->nactors > 0)
        actor_sift_down(g, 0);
      if (a->fini)
        a->fini(g, a);
      free(a);
    }
  }
  if (pcap_dump_flush((pcap_dumper_t *)g->dumper) != 0)
    return -1;
  return 0;
}

void tg_sched_free(tg_gen_t *g) {
  for (size_t i = 0; i < g->nactors; i++) {
    if (g->actors[i]->fini)
      g->actors[i]->fini(g, g->actors[i]);
    free(g->actors[i]);
  }
  free(g->actors);
  g->actors = NULL;
  g->nactors = 0;
  for (size_t i = 0; i < g->nq; i++)
    free(g->q[i].data);
  free(g->q);
  g->q = NULL;
  g->nq = 0;
}
