/* worm_smb_fanout.c -- worm.smb-fanout: one source opening TCP/445 to many
 * distinct hosts in a short time, most of which do not answer (the
 * WannaCry / EternalBlue worm pattern), from inside a facility or outside.
 * In: TCP SYNs to port 445 (attempts), SYN-ACKs and RSTs from port 445 and
 * ICMP unreachables quoting a 445 SYN (their outcomes). Out: one attack per
 * source: START when decided, UPDATE every detect.update_interval while it
 * keeps trying, END after detect.end_after without a 445 SYN or at finish;
 * metrics: targets (distinct), attempts, answered, failed, pending, rate,
 * and the first targets reached. Memory: a wd_table of sources (1/12 of
 * detect.memcap; least recently active recycled), each with a fixed set of
 * SLOTS targets and a 256-bit bitmap to estimate more.
 *
 * Decision, within detect.smb_fanout.window seconds from a source's first
 * 445 SYN: at least detect.smb_fanout.targets distinct destinations, and
 * among the tracked targets at least half that many failed, and more
 * failed than answered. A target fails on a RST, an ICMP unreachable, or no
 * SYN-ACK within ANSWER_WAIT (at finish, every unanswered one). File
 * servers only receive 445 connections; domain controllers, backup and
 * management servers reach many hosts, but those hosts answer. When some
 * targets answered, the source must also have sent SMB to one of them
 * (the exploit's first message): a sweep that only resets or closes the
 * answered connections is a port scan, scan.horizontal's. When none
 * answered, only a protected source is a worm (self-spreading code on our
 * host); from outside such a sweep is a scan. Sources in
 * detect.smb_fanout.exempt are never followed. */
#include <stdlib.h>
#include <string.h>

#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"
#include "detect/hll.h"
#include "detect/icmp_quote.h"

#define SMB_PORT 445
#define SLOTS 24                     /* targets whose outcome is followed */
#define FIRST 6                      /* target addresses kept for the report */
#define BITMAP_BITS 256              /* linear counting of distinct targets */
#define ANSWER_WAIT_NS 1000000000ull /* no SYN-ACK after this: failed */

enum { ST_PENDING, ST_OK, ST_FAIL, ST_LATE };

typedef struct slot {
  uint32_t h;    /* target address hash */
  uint32_t meta; /* ms since window start << 2 | status */
} slot;

typedef struct source {
  uint64_t win_ns;  /* first 445 SYN of the window */
  uint64_t last_ns; /* latest 445 SYN */
  wd_attack_t attack;
  uint32_t attempts; /* SYNs, retransmissions included */
  uint16_t nslots;
  uint16_t sport; /* of the latest SYN, for the alert */
  uint8_t nfirst;
  uint8_t spoke; /* it sent SMB to a target that answered */
  uint8_t bitmap[BITMAP_BITS / 8];
  wd_addr_t first[FIRST];
  slot slots[SLOTS];
} source;

/* The detect.smb_fanout keys (conf_rows below). */
typedef struct fanout_conf {
  bool enabled;
  uint32_t targets;      /* distinct 445 destinations ... */
  uint32_t window_s;     /* ... within this many seconds */
  wd_cidr_list_t exempt; /* sources never followed */
} fanout_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(fanout_conf, "detect.smb_fanout.enabled", enabled, "true",
                "one host opening SMB to many others (worm spread)"),
    WD_KEY_UINT(fanout_conf, "detect.smb_fanout.targets", targets, "20", 2,
                100000,
                "distinct port-445 destinations that raise an alert ..."),
    WD_KEY_SECS(fanout_conf, "detect.smb_fanout.window", window_s, "10s", 1,
                3600, "... within this time"),
    WD_KEY_CIDRS(fanout_conf, "detect.smb_fanout.exempt", exempt, "",
                 "sources never reported (file servers, domain controllers, "
                 "vulnerability scanners)"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(fanout_conf, conf_rows, NULL);

typedef struct fanout {
  const wd_config_t *cfg;
  const fanout_conf *conf;
  bool scan_on; /* detect.scan.enabled: the scan it also is, named */
  wd_table_t *sources;
  wd_attack_set_t set; /* the attacks' life cycle; set.ctx is the context
                          of the hook being run (for evictions) */
  uint64_t now_ns, last_tick_ns;
  char list[FIRST * (WD_ADDR_STRLEN + 1) + 1]; /* of the alert being filled */
} fanout;

extern const wd_detector_t wd_detector_smb_fanout;

/* ---- targets ---- */

static uint32_t target_hash(const wd_addr_t *a) {
  return (uint32_t)(wd_hll_hash_addr(a) >> 32);
}

static slot *slot_find(source *s, uint32_t h) {
  for (unsigned i = 0; i < s->nslots; i++)
    if (s->slots[i].h == h)
      return &s->slots[i];
  return NULL;
}

static unsigned bitmap_count(const source *s) {
  unsigned n = 0;
  for (unsigned i = 0; i < sizeof s->bitmap; i++)
    n += (unsigned)__builtin_popcount(s->bitmap[i]);
  return n;
}

/* Distinct targets: exact while the slots hold them all, then the larger
 * of that and the bitmap's linear-counting estimate. */
static uint64_t distinct(const source *s) {
  if (s->nslots < SLOTS)
    return s->nslots;
  unsigned set = bitmap_count(s);
  double m = BITMAP_BITS, zeros = BITMAP_BITS - set;
  double e = zeros > 0 ? -m * __builtin_log(zeros / m) : m * 8;
  return e > SLOTS ? (uint64_t)(e + 0.5) : SLOTS;
}

typedef struct outcome {
  unsigned ok, fail, pending;
} outcome;

/* Ages pending targets into failures (all of them at finish) and counts. */
static outcome resolve(source *s, uint64_t now_ns, bool finish) {
  outcome o = {0, 0, 0};
  for (unsigned i = 0; i < s->nslots; i++) {
    slot *t = &s->slots[i];
    unsigned st = t->meta & 3;
    if (st == ST_PENDING) {
      uint64_t at = s->win_ns + (uint64_t)(t->meta >> 2) * 1000000ull;
      if (finish || (now_ns > at && now_ns - at >= ANSWER_WAIT_NS)) {
        t->meta = (t->meta & ~3u) | ST_LATE;
        st = ST_LATE;
      }
    }
    if (st == ST_OK)
      o.ok++;
    else if (st == ST_PENDING)
      o.pending++;
    else
      o.fail++;
  }
  return o;
}

static void source_reset(source *s, uint64_t now_ns) {
  memset(s, 0, sizeof *s);
  s->win_ns = now_ns;
}

/* ---- alerts ---- */

/* The fan-out part of an alert (attack.h calls it). */
static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  fanout *fo = user;
  const wd_addr_t *src = key;
  source *s = val;
  outcome o = resolve(s, fo->now_ns, false);
  al->has_src = true;
  al->src = *src;
  al->dst = s->nfirst ? s->first[0] : *src;
  al->has_ports = true;
  al->sport = s->sport;
  al->dport = SMB_PORT;
  al->proto = WD_PROTO_TCP;
  uint64_t n = distinct(s);
  wd_alert_add_u64(al, "targets", n);
  wd_alert_add_u64(al, "attempts", s->attempts);
  wd_alert_add_u64(al, "answered", o.ok);
  wd_alert_add_u64(al, "failed", o.fail);
  wd_alert_add_u64(al, "pending", o.pending);
  double span = (double)(s->last_ns - s->win_ns) / 1e9;
  wd_alert_add_f64(al, "targets_per_s",
                   span > 0.001 ? (double)n / span : (double)n);
  fo->list[0] = '\0';
  for (unsigned i = 0; i < s->nfirst; i++)
    wd_attack_list_addr(fo->list, sizeof fo->list, &s->first[i]);
  wd_alert_add_str(al, "targets_sample", fo->list);
  /* The fan-out is also a horizontal scan of 445: said here, not in a
   * second alert (scan.horizontal cedes such sweeps to this detector). */
  if (fo->scan_on)
    wd_alert_add_str(al, "also_matches", "scan.horizontal");
}

static void decide(fanout *fo, const wd_detect_ctx_t *ctx, const wd_addr_t *src,
                   source *s, uint64_t now_ns, bool finish) {
  uint32_t need = fo->conf->targets;
  if (need == 0)
    need = 1;
  if (wd_attack_is_open(&s->attack) || distinct(s) < need)
    return;
  outcome o = resolve(s, now_ns, finish);
  unsigned tracked = need < SLOTS ? need : SLOTS;
  if (o.fail * 2 < tracked || o.fail <= o.ok)
    return;
  /* A worm talks SMB to the hosts that answer (to exploit them); a port
   * scanner resets the SYN-ACK or closes at once: scan.horizontal's. A
   * sweep nothing answered is a worm from one of our hosts, a scan from
   * outside. */
  if (o.ok ? !s->spoke : !wd_config_is_protected(fo->cfg, src))
    return;
  wd_attack_start(&fo->set, ctx, &s->attack, src, s, s->win_ns, s->last_ns,
                  now_ns);
}

/* The table recycles a source: an open attack ends here. */
static void on_evict(void *user, const void *key, void *val) {
  fanout *fo = user;
  source *s = val;
  wd_attack_recycled(&fo->set, &s->attack, key, s, fo->now_ns);
}

/* ---- detector ---- */

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  *state = NULL;
  const fanout_conf *conf = wd_detector_conf(cfg, &wd_detector_smb_fanout);
  if (!conf)
    return WD_ERR_CONFIG;
  if (!conf->enabled)
    return WD_OK;
  fanout *fo = calloc(1, sizeof *fo);
  if (!fo)
    return WD_ERR_NOMEM;
  fo->cfg = cfg;
  fo->conf = conf;
  fo->scan_on =
      wd_config_bool(cfg, "detect.scan.enabled", &fo->scan_on) && fo->scan_on;
  wd_attack_set_init(&fo->set, &wd_detector_smb_fanout, cfg, fill, fo);
  uint64_t max =
      wd_attack_table_max(mc, 12, sizeof(wd_addr_t), sizeof(source), 64);
  wd_rc rc = wd_table_new("worm.smb-fanout", sizeof(wd_addr_t), sizeof(source),
                          max, mc, on_evict, fo, &fo->sources);
  if (rc != WD_OK) {
    free(fo);
    return rc;
  }
  *state = fo;
  return WD_OK;
}

static void destroy(void *state) {
  fanout *fo = state;
  if (!fo)
    return;
  fo->set.ctx = NULL; /* no alerts while freeing */
  wd_table_free(fo->sources);
  free(fo);
}

static void on_syn(fanout *fo, const wd_detect_ctx_t *ctx, const wd_packet_t *p,
                   uint64_t now) {
  if (wd_detect_listed(&fo->conf->exempt, &p->src))
    return;
  bool created;
  source *s = wd_table_get(fo->sources, &p->src, now, &created);
  if (!s)
    return;
  uint64_t window = (uint64_t)fo->conf->window_s * WD_NSEC;
  if (created || (!wd_attack_is_open(&s->attack) && now - s->win_ns > window))
    source_reset(s, now);
  s->attempts++;
  s->last_ns = now;
  s->sport = p->sport;
  if (wd_attack_is_open(&s->attack))
    s->attack.last_ns = now;
  uint32_t h = target_hash(&p->dst);
  if (slot_find(s, h))
    return; /* a target already counted */
  unsigned bit = h % BITMAP_BITS;
  bool fresh = !(s->bitmap[bit / 8] & (1u << (bit % 8)));
  s->bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
  if (s->nslots < SLOTS) {
    uint64_t ms = (now - s->win_ns) / 1000000ull;
    if (ms > 0x3fffffffull)
      ms = 0x3fffffffull;
    s->slots[s->nslots].h = h;
    s->slots[s->nslots].meta = (uint32_t)(ms << 2) | ST_PENDING;
    s->nslots++;
    fresh = true;
  }
  if (fresh && s->nfirst < FIRST)
    s->first[s->nfirst++] = p->dst;
  decide(fo, ctx, &p->src, s, now, false);
}

/* An answer from target to source (SYN-ACK: ok; RST/unreachable: fail). */
static void on_answer(fanout *fo, const wd_addr_t *src, const wd_addr_t *target,
                      bool ok) {
  source *s = wd_table_find(fo->sources, src);
  if (!s)
    return;
  slot *t = slot_find(s, target_hash(target));
  if (!t)
    return;
  unsigned st = t->meta & 3;
  if (ok && (st == ST_PENDING || st == ST_LATE))
    t->meta = (t->meta & ~3u) | ST_OK;
  else if (!ok && st == ST_PENDING)
    t->meta = (t->meta & ~3u) | ST_FAIL;
}

/* The source sent SMB data to target: marks it when the target is one it
 * follows and that answered. */
static void on_smb_sent(fanout *fo, const wd_addr_t *src,
                        const wd_addr_t *target) {
  source *s = wd_table_find(fo->sources, src);
  if (!s || s->spoke)
    return;
  slot *t = slot_find(s, target_hash(target));
  if (t && (t->meta & 3) == ST_OK)
    s->spoke = 1;
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  fanout *fo = state;
  fo->set.ctx = ctx;
  uint64_t now = p->ts_ns > fo->now_ns ? p->ts_ns : fo->now_ns;
  fo->now_ns = now;
  if (p->l4_proto == WD_PROTO_TCP && p->has_l4) {
    uint8_t fl = p->tcp_flags & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST);
    if (fl == WD_TCP_SYN && p->dport == SMB_PORT)
      on_syn(fo, ctx, p, now);
    else if (p->sport == SMB_PORT && fl == (WD_TCP_SYN | WD_TCP_ACK))
      on_answer(fo, &p->dst, &p->src, true);
    else if (p->sport == SMB_PORT && (fl & WD_TCP_RST))
      on_answer(fo, &p->dst, &p->src, false);
    else if (p->dport == SMB_PORT && p->payload_len && f &&
             dir == WD_DIR_TO_SERVER && f->pkts[WD_DIR_TO_SERVER] <= 4)
      on_smb_sent(fo, &p->src, &p->dst); /* the first data of a session */
    return;
  }
  wd_icmp_quote_t q;
  if ((p->l4_proto == WD_PROTO_ICMP || p->l4_proto == WD_PROTO_ICMPV6) &&
      wd_icmp_quote_unreach(p, &q) && q.proto == WD_PROTO_TCP && q.has_ports &&
      q.dport == SMB_PORT)
    on_answer(fo, &q.src, &q.dst, false);
}

typedef struct walk {
  fanout *fo;
  const wd_detect_ctx_t *ctx;
  uint64_t now, since;
  bool finish;
} walk;

static bool tick_one(void *user, const void *key, void *val, uint64_t last_ns) {
  walk *w = user;
  source *s = val;
  if (!w->finish && !w->fo->set.open && last_ns < w->since)
    return false; /* older sources were settled by an earlier tick */
  decide(w->fo, w->ctx, key, s, w->now, w->finish);
  if (wd_attack_step(&w->fo->set, w->ctx, &s->attack, key, s, w->now,
                     w->finish) == WD_ATTACK_DUE_END)
    source_reset(s, w->now); /* a new window if it goes on */
  return true;
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns) {
  fanout *fo = state;
  fo->set.ctx = ctx;
  if (now_ns > fo->now_ns)
    fo->now_ns = now_ns;
  /* A source last active before the previous tick less the answer wait
   * had all its targets aged then. */
  uint64_t since =
      fo->last_tick_ns > ANSWER_WAIT_NS ? fo->last_tick_ns - ANSWER_WAIT_NS : 0;
  walk w = {fo, ctx, fo->now_ns, since, false};
  wd_table_foreach(fo->sources, tick_one, &w);
  fo->last_tick_ns = fo->now_ns;
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx,
                      uint64_t now_ns) {
  fanout *fo = state;
  fo->set.ctx = ctx;
  if (now_ns > fo->now_ns)
    fo->now_ns = now_ns;
  walk w = {fo, ctx, fo->now_ns, 0, true};
  wd_table_foreach(fo->sources, tick_one, &w);
}

static const wd_detector_sig_t sigs[] = {
    {2100201, "SMB worm-like fan-out: TCP/445 to many hosts, mostly unanswered",
     "A Network Trojan was detected", 1, "malicious-code", "infected-system"},
};

static const wd_detector_ref_t refs[] = {
    WD_CVE("CVE-2017-0144", "SMBv1 remote code execution (EternalBlue), the "
                            "flaw WannaCry spreads through"),
    {"cisa", "AA17-132A",
     "https://www.cisa.gov/news-events/alerts/2017/05/12/"
     "indicators-associated-wannacry-ransomware",
     "Indicators Associated With WannaCry Ransomware"},
};

const wd_detector_t wd_detector_smb_fanout = {
    WD_DETECTOR_ID(
        "worm.smb-fanout", WD_LINE_WORM,
        "one source opening TCP/445 to many hosts that mostly do not "
        "answer"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    WD_DETECTOR_KEYS(conf_keys),
    .service_port = SMB_PORT,
    .service_proto = WD_PROTO_TCP,
    .create = create,
    .destroy = destroy,
    .on_packet = on_packet,
    .on_tick = on_tick,
    .on_finish = on_finish,
    .cost = 16,
};
