/* evidence.c -- the evidence recorder: a ring of recent frames, watches set
 * by incidents, per-incident frame buffers, pcap excerpts with SHA-256.
 * In: packets (hot path), watches (alert rate). Out: pcap files. Memory:
 * the ring and watch tables are allocated once by wd_evidence_new; a slot's
 * buffer is allocated when an incident opens (alert rate) and freed when
 * its evidence is written or the incident is dropped. Per packet: one copy
 * of at most WD_EVIDENCE_SNAP bytes, one hash probe when flows are watched,
 * a compare per watched target; nothing else. */
#include "incident/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

typedef wd_evidence_frame_t frame_hdr_t;

typedef struct slot_pkt {
  frame_hdr_t h;
  size_t off; /* into the slot buffer */
} slot_pkt_t;

#define SLOT_PKTS_MAX (WD_EVIDENCE_SLOT_BYTES / 64)

typedef struct slot {
  bool used;
  uint8_t *buf; /* WD_EVIDENCE_SLOT_BYTES */
  size_t used_bytes;
  slot_pkt_t *pkts; /* SLOT_PKTS_MAX */
  size_t n_pkts;
} slot_t;

typedef struct flow_watch {
  uint64_t flow_id; /* 0: empty */
  int slot;
  uint32_t remaining;
} flow_watch_t;

typedef struct target_watch {
  bool used;
  int slot;
  wd_addr_t dst;
  uint32_t remaining;
} target_watch_t;

struct wd_evidence {
  uint32_t per_flow, flood_sample;
  wd_evidence_ring_t ring;
  slot_t slots[WD_EVIDENCE_SLOTS];
  flow_watch_t flows[WD_EVIDENCE_FLOWS];
  uint32_t n_flows;
  target_watch_t targets[WD_EVIDENCE_TARGETS];
  uint32_t n_targets;
  wd_evidence_stats_t st;
};

wd_rc wd_evidence_new(uint32_t packets_per_flow, uint32_t flood_sample,
                      wd_evidence_t **out) {
  wd_evidence_t *ev = calloc(1, sizeof *ev);
  *out = NULL;
  if (!ev)
    return WD_ERR_NOMEM;
  ev->per_flow = packets_per_flow;
  ev->flood_sample = flood_sample;
  if (wd_evidence_ring_init(&ev->ring) != WD_OK) {
    wd_evidence_free(ev);
    return WD_ERR_NOMEM;
  }
  *out = ev;
  return WD_OK;
}

void wd_evidence_free(wd_evidence_t *ev) {
  if (!ev)
    return;
  for (unsigned i = 0; i < WD_EVIDENCE_SLOTS; i++) {
    free(ev->slots[i].buf);
    free(ev->slots[i].pkts);
  }
  wd_evidence_ring_fini(&ev->ring);
  free(ev);
}

/* Copies one frame into slot s; false when the slot is full. */
static bool slot_add(wd_evidence_t *ev, slot_t *s, const frame_hdr_t *h,
                     const uint8_t *data) {
  if (s->n_pkts >= SLOT_PKTS_MAX ||
      h->caplen > WD_EVIDENCE_SLOT_BYTES - s->used_bytes) {
    ev->st.slot_full++;
    return false;
  }
  slot_pkt_t *k = &s->pkts[s->n_pkts++];
  k->h = *h;
  k->off = s->used_bytes;
  memcpy(s->buf + s->used_bytes, data, h->caplen);
  s->used_bytes += h->caplen;
  ev->st.recorded++;
  return true;
}

static uint32_t flow_hash(uint64_t id) {
  id ^= id >> 33;
  id *= 0xff51afd7ed558ccdull;
  id ^= id >> 33;
  return (uint32_t)id & (WD_EVIDENCE_FLOWS - 1);
}

/* ---- the ring ---- */

wd_rc wd_evidence_ring_init(wd_evidence_ring_t *r) {
  memset(r, 0, sizeof *r);
  r->hdr = calloc(WD_EVIDENCE_RING_SLOTS, sizeof *r->hdr);
  r->data = malloc((size_t)WD_EVIDENCE_RING_SLOTS * WD_EVIDENCE_SNAP);
  if (!r->hdr || !r->data) {
    wd_evidence_ring_fini(r);
    return WD_ERR_NOMEM;
  }
  return WD_OK;
}

void wd_evidence_ring_fini(wd_evidence_ring_t *r) {
  free(r->hdr);
  free(r->data);
  r->hdr = NULL;
  r->data = NULL;
}

static uint32_t ring_next(wd_evidence_ring_t *r) {
  uint32_t i = r->head;
  r->head = (i + 1) % WD_EVIDENCE_RING_SLOTS;
  if (r->count < WD_EVIDENCE_RING_SLOTS)
    r->count++;
  return i;
}

uint32_t wd_evidence_ring_packet(wd_evidence_ring_t *r, const wd_packet_t *p,
                                 const wd_flow_t *f) {
  uint32_t i = ring_next(r);
  frame_hdr_t *h = &r->hdr[i];
  uint32_t cap = p->caplen;
  if (cap > WD_EVIDENCE_SNAP) {
    cap = WD_EVIDENCE_SNAP;
    r->truncated++;
  }
  h->seq = ++r->seq;
  h->ts_ns = p->ts_ns;
  h->flow_id = f ? f->id : 0;
  h->ip = p->ip_version != 0;
  if (h->ip)
    h->dst = p->dst;
  h->caplen = p->frame ? cap : 0;
  h->wirelen = p->wirelen;
  h->linktype = p->linktype;
  if (h->caplen)
    memcpy(r->data + (size_t)i * WD_EVIDENCE_SNAP, p->frame, h->caplen);
  return i;
}

uint32_t wd_evidence_ring_frame(wd_evidence_ring_t *r,
                                const wd_evidence_frame_t *fh,
                                const uint8_t *fdata) {
  uint32_t i = ring_next(r);
  frame_hdr_t *h = &r->hdr[i];
  *h = *fh;
  if (h->caplen > WD_EVIDENCE_SNAP)
    h->caplen = WD_EVIDENCE_SNAP;
  if (h->caplen)
    memcpy(r->data + (size_t)i * WD_EVIDENCE_SNAP, fdata, h->caplen);
  if (h->seq > r->seq)
    r->seq = h->seq;
  return i;
}

uint32_t wd_evidence_ring_pull(const wd_evidence_ring_t *r, uint64_t flow_id,
                               const wd_addr_t *dst, uint32_t n,
                               bool (*take)(void *user, uint32_t i),
                               void *user) {
  uint32_t got = 0;
  uint32_t start =
      (r->head + WD_EVIDENCE_RING_SLOTS - r->count) % WD_EVIDENCE_RING_SLOTS;
  for (uint32_t j = 0; j < r->count && got < n; j++) {
    uint32_t i = (start + j) % WD_EVIDENCE_RING_SLOTS;
    const frame_hdr_t *h = &r->hdr[i];
    bool match =
        flow_id ? h->flow_id == flow_id : (h->ip && wd_addr_eq(&h->dst, dst));
    if (match && take(user, i))
      got++;
  }
  return got;
}

/* ---- the recorder ---- */

/* Copies ring frame i into the slots watching it. */
static void record(wd_evidence_t *ev, uint32_t i);

void wd_evidence_packet(wd_evidence_t *ev, const wd_packet_t *p,
                        const wd_flow_t *f) {
  if (ev)
    record(ev, wd_evidence_ring_packet(&ev->ring, p, f));
}

void wd_evidence_frame(wd_evidence_t *ev, const wd_evidence_frame_t *fh,
                       const uint8_t *fdata) {
  if (ev && fh)
    record(ev, wd_evidence_ring_frame(&ev->ring, fh, fdata));
}

static void record(wd_evidence_t *ev, uint32_t i) {
  const frame_hdr_t *h = &ev->ring.hdr[i];
  const uint8_t *data = wd_evidence_ring_data(&ev->ring, i);
  uint64_t copied = 0; /* slots that got this frame (a bit each) */
  if (ev->n_flows && h->flow_id) {
    for (uint32_t k = flow_hash(h->flow_id), n = 0; n < WD_EVIDENCE_FLOWS;
         k = (k + 1) & (WD_EVIDENCE_FLOWS - 1), n++) {
      flow_watch_t *w = &ev->flows[k];
      if (!w->flow_id)
        break;
      if (w->flow_id != h->flow_id || !w->remaining ||
          (copied & (1ull << w->slot)))
        continue;
      if (slot_add(ev, &ev->slots[w->slot], h, data)) {
        w->remaining--;
        copied |= 1ull << w->slot;
      }
    }
  }
  if (ev->n_targets && h->ip) {
    for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++) {
      target_watch_t *w = &ev->targets[t];
      if (!w->used || !w->remaining || (copied & (1ull << w->slot)) ||
          !wd_addr_eq(&w->dst, &h->dst))
        continue;
      if (slot_add(ev, &ev->slots[w->slot], h, data)) {
        w->remaining--;
        copied |= 1ull << w->slot;
      }
    }
  }
}

int wd_evidence_slot_open(wd_evidence_t *ev) {
  if (!ev)
    return -1;
  for (int i = 0; i < (int)WD_EVIDENCE_SLOTS; i++) {
    slot_t *s = &ev->slots[i];
    if (s->used)
      continue;
    if (!s->buf)
      s->buf = malloc(WD_EVIDENCE_SLOT_BYTES);
    if (!s->pkts)
      s->pkts = malloc(SLOT_PKTS_MAX * sizeof *s->pkts);
    if (!s->buf || !s->pkts)
      break;
    s->used = true;
    s->used_bytes = 0;
    s->n_pkts = 0;
    return i;
  }
  ev->st.no_slot++;
  return -1;
}

/* Rebuilds the flow hash without slot's watches (rare: at release). */
static void flows_drop_slot(wd_evidence_t *ev, int slot) {
  flow_watch_t keep[WD_EVIDENCE_FLOWS];
  uint32_t n = 0;
  for (unsigned i = 0; i < WD_EVIDENCE_FLOWS; i++)
    if (ev->flows[i].flow_id && ev->flows[i].slot != slot)
      keep[n++] = ev->flows[i];
  memset(ev->flows, 0, sizeof ev->flows);
  ev->n_flows = 0;
  for (uint32_t j = 0; j < n; j++) {
    uint32_t k = flow_hash(keep[j].flow_id);
    while (ev->flows[k].flow_id)
      k = (k + 1) & (WD_EVIDENCE_FLOWS - 1);
    ev->flows[k] = keep[j];
    ev->n_flows++;
  }
}

void wd_evidence_slot_release(wd_evidence_t *ev, int slot) {
  if (!ev || slot < 0 || slot >= (int)WD_EVIDENCE_SLOTS)
    return;
  slot_t *s = &ev->slots[slot];
  s->used = false;
  s->used_bytes = 0;
  s->n_pkts = 0;
  /* the buffers go back to the allocator: most slots stay unused */
  free(s->buf);
  free(s->pkts);
  s->buf = NULL;
  s->pkts = NULL;
  flows_drop_slot(ev, slot);
  for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++)
    if (ev->targets[t].used && ev->targets[t].slot == slot) {
      ev->targets[t].used = false;
      ev->n_targets--;
    }
}

/* Frames already in the ring into a slot (wd_evidence_ring_pull). */
typedef struct pull {
  wd_evidence_t *ev;
  slot_t *s;
} pull_t;

static bool pull_take(void *user, uint32_t i) {
  pull_t *u = user;
  return slot_add(u->ev, u->s, &u->ev->ring.hdr[i],
                  wd_evidence_ring_data(&u->ev->ring, i));
}

static uint32_t pull_ring(wd_evidence_t *ev, slot_t *s, uint64_t flow_id,
                          const wd_addr_t *dst, uint32_t n) {
  pull_t u = {ev, s};
  return wd_evidence_ring_pull(&ev->ring, flow_id, dst, n, pull_take, &u);
}

static bool slot_ok(const wd_evidence_t *ev, int slot) {
  return ev && slot >= 0 && slot < (int)WD_EVIDENCE_SLOTS &&
         ev->slots[slot].used;
}

void wd_evidence_watch_flow(wd_evidence_t *ev, int slot, uint64_t flow_id) {
  if (!slot_ok(ev, slot) || !flow_id || !ev->per_flow)
    return;
  uint32_t k = flow_hash(flow_id);
  for (uint32_t n = 0; n < WD_EVIDENCE_FLOWS; n++) {
    flow_watch_t *w = &ev->flows[k];
    if (!w->flow_id)
      break;
    if (w->flow_id == flow_id && w->slot == slot)
      return; /* already watched (or done) */
    k = (k + 1) & (WD_EVIDENCE_FLOWS - 1);
  }
  /* keep the table at most 3/4 full so probes stay short */
  if (ev->n_flows >= WD_EVIDENCE_FLOWS * 3 / 4) {
    ev->st.watch_full++;
    return;
  }
  uint32_t got = pull_ring(ev, &ev->slots[slot], flow_id, NULL, ev->per_flow);
  ev->flows[k] = (flow_watch_t){flow_id, slot, ev->per_flow - got};
  ev->n_flows++;
}

void wd_evidence_watch_target(wd_evidence_t *ev, int slot,
                              const wd_addr_t *dst) {
  if (!slot_ok(ev, slot) || !ev->flood_sample)
    return;
  for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++)
    if (ev->targets[t].used && ev->targets[t].slot == slot &&
        wd_addr_eq(&ev->targets[t].dst, dst))
      return;
  for (unsigned t = 0; t < WD_EVIDENCE_TARGETS; t++) {
    target_watch_t *w = &ev->targets[t];
    if (w->used)
      continue;
    /* half from what led up to the alert, the rest from what follows */
    uint32_t got =
        pull_ring(ev, &ev->slots[slot], 0, dst, (ev->flood_sample + 1) / 2);
    *w = (target_watch_t){true, slot, *dst, ev->flood_sample - got};
    ev->n_targets++;
    return;
  }
  ev->st.watch_full++;
}

size_t wd_evidence_slot_count(const wd_evidence_t *ev, int slot) {
  return slot_ok(ev, slot) ? ev->slots[slot].n_pkts : 0;
}

static int pkt_cmp(const void *a, const void *b) {
  const slot_pkt_t *x = a, *y = b;
  if (x->h.ts_ns != y->h.ts_ns)
    return x->h.ts_ns < y->h.ts_ns ? -1 : 1;
  return x->h.seq < y->h.seq ? -1 : x->h.seq > y->h.seq;
}

wd_rc wd_evidence_sha256_file(const char *path, char sha256[65]) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return WD_ERR_IO;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  wd_rc rc = WD_ERR_IO;
  unsigned char buf[16384], md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      ok = ok && EVP_DigestUpdate(ctx, buf, n) == 1;
    if (ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
        mdlen == 32) {
      for (unsigned i = 0; i < 32; i++)
        snprintf(sha256 + 2 * i, 3, "%02x", md[i]);
      rc = WD_OK;
    }
  }
  EVP_MD_CTX_free(ctx);
  fclose(f);
  return rc;
}

/* mkdir -p for dir (mode 0750). */
static bool make_dir(const char *dir) {
  char tmp[1024];
  if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
    return false;
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return false;
      *p = '/';
    }
  return mkdir(tmp, 0750) == 0 || errno == EEXIST;
}

wd_rc wd_evidence_write(wd_evidence_t *ev, int slot, const char *dir,
                        const char *name, char *path, size_t pathlen,
                        char sha256[65], uint64_t *packets) {
  if (!slot_ok(ev, slot) || !dir || !name)
    return WD_ERR_INVAL;
  slot_t *s = &ev->slots[slot];
  *packets = 0;
  if (s->n_pkts == 0)
    return WD_ERR_NOTFOUND;
  if (!make_dir(dir)) {
    wd_log(WD_LOG_WARN, "evidence", "cannot create %s: %s", dir,
           strerror(errno));
    ev->st.write_errors++;
    return WD_ERR_IO;
  }
  int fd = -1;
  for (int k = 1; k <= 1000 && fd < 0; k++) {
    if (k == 1)
      snprintf(path, pathlen, "%s/%s.pcap", dir, name);
    else
      snprintf(path, pathlen, "%s/%s-%d.pcap", dir, name, k);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    wd_log(WD_LOG_WARN, "evidence", "cannot create %s: %s", path,
           strerror(errno));
    ev->st.write_errors++;
    return WD_ERR_IO;
  }
  qsort(s->pkts, s->n_pkts, sizeof *s->pkts, pkt_cmp);
  int linktype = s->pkts[0].h.linktype;
  pcap_t *pd = pcap_open_dead_with_tstamp_precision(linktype, WD_EVIDENCE_SNAP,
                                                    PCAP_TSTAMP_PRECISION_NANO);
  FILE *fp = pd ? fdopen(fd, "wb") : NULL;
  pcap_dumper_t *dump = fp ? pcap_dump_fopen(pd, fp) : NULL;
  if (!dump) {
    if (fp)
      fclose(fp);
    else
      close(fd);
    if (pd)
      pcap_close(pd);
    unlink(path);
    ev->st.write_errors++;
    return WD_ERR_IO;
  }
  uint64_t last_seq = 0;
  for (size_t i = 0; i < s->n_pkts; i++) {
    const slot_pkt_t *k = &s->pkts[i];
    if (k->h.seq == last_seq || k->h.linktype != linktype)
      continue; /* same frame through two watches; or another link type */
    last_seq = k->h.seq;
    struct pcap_pkthdr ph;
    ph.ts.tv_sec = (time_t)(k->h.ts_ns / 1000000000u);
    ph.ts.tv_usec = (suseconds_t)(k->h.ts_ns % 1000000000u); /* nano */
    ph.caplen = k->h.caplen;
    ph.len = k->h.wirelen > k->h.caplen ? k->h.wirelen : k->h.caplen;
    pcap_dump((u_char *)dump, &ph, s->buf + k->off);
    (*packets)++;
  }
  bool ok = pcap_dump_flush(dump) == 0 && fsync(fileno(fp)) == 0;
  pcap_dump_close(dump); /* closes fp and fd */
  pcap_close(pd);
  if (!ok || wd_evidence_sha256_file(path, sha256) != WD_OK) {
    wd_log(WD_LOG_WARN, "evidence", "cannot write %s", path);
    unlink(path);
    ev->st.write_errors++;
    return WD_ERR_IO;
  }
  ev->st.files++;
  return WD_OK;
}

void wd_evidence_stats(const wd_evidence_t *ev, wd_evidence_stats_t *out) {
  if (ev) {
    *out = ev->st;
    out->truncated = ev->ring.truncated;
  } else {
    memset(out, 0, sizeof *out);
  }
}
