/* scan.c -- scan.horizontal (one source, one port, many hosts) and
 * scan.vertical (one source, one host, many ports), decided by Threshold
 * Random Walk (Jung, Paxson, Berger, Balakrishnan, "Fast Portscan Detection
 * Using Sequential Hypothesis Testing", IEEE S&P 2004).
 * In: first contacts and their outcomes. Only probes count: a TCP SYN, a
 * UDP datagram opening a flow from a port that is not a server's (not an
 * answer: the reply to a multicast or broadcast query, a reflector's
 * answer to a spoofed request, see udp_reply_like), or a TCP probe with neither
 * SYN nor ACK (FIN, NULL, Xmas...) to a port with no flow is an attempt on
 * (host, port); each distinct target of a test counts once. Success: SYN-ACK,
 * or any UDP answer. Failure: RST, ICMP/ICMPv6 unreachable quoting the probe,
 * no answer within detect.scan.attempt_timeout (at finish, every unanswered
 * attempt); a FIN/NULL/Xmas probe is itself a failure (no legitimate stack
 * sends one to a port it has no connection with). Out: one attack per test
 * that reaches the scanner hypothesis with at least min_hosts / min_ports
 * targets: START, UPDATE every detect.update_interval, END after
 * detect.end_after without a new probe or at finish. Sources in
 * detect.scan.exempt (the facility's own vulnerability scanners) are never
 * followed. Memory: per detector a
 * wd_table of pending attempts (1/24 of detect.memcap) and one of tests
 * (1/10), both recycling least recently used entries; a recycled pending
 * attempt counts as a failure.
 *
 * The walk: each success multiplies the likelihood ratio by theta1/theta0,
 * each failure by (1-theta1)/(1-theta0); at beta/alpha or above the source
 * is a scanner for this test. Outcomes enter the walk in the order of the
 * attempts, however late they are learnt (a timeout is learnt seconds after
 * the answers to later attempts). The ratio is floored at
 * (1-beta)/(1-alpha) (where TRW would call the source benign and restart),
 * so a busy legitimate client cannot bank credit that hides a later scan,
 * and capped at beta/alpha. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addrset.h"
#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"
#include "detect/hll.h"
#include "detect/icmp_quote.h"
#include "detect/reflect.h"

#define SEEN_BITS 512 /* per test: targets already counted (Bloom, k=1) */
#define LIST_PORTS 16 /* ports named in a vertical scan alert */
#define LIST_HOSTS 6  /* hosts named in a horizontal scan alert */
/* Attempts of one test awaiting their outcome; a new target met while
 * this many wait is not counted (a probe to it later may be). */
#define ORDER_MAX 64
/* New UDP targets one test sees in one second beyond which its UDP is a
 * flood with random ports, not a scan (UDP scans are paced by the ICMP
 * rate limits of their targets); such a test ignores UDP for FLOOD_HOLD_S
 * and forgets the UDP attempts it was waiting for. */
#define UDP_FLOOD_PPS 1000
#define FLOOD_HOLD_S 60

extern const wd_detector_t wd_detector_scan_horizontal;
extern const wd_detector_t wd_detector_scan_vertical;

enum { MODE_HORIZONTAL, MODE_VERTICAL };

enum {
  TECH_SYN = 1,
  TECH_FIN = 2,
  TECH_NULL = 4,
  TECH_XMAS = 8,
  TECH_OTHER = 16,
  TECH_UDP = 32
};

typedef struct probe_key {
  wd_addr_t src, dst;
  uint16_t port;
  uint8_t proto;
  uint8_t pad[5];
} probe_key;

typedef struct attempt {
  uint64_t first_ns;
  uint32_t seq; /* its place in its test's order of first contacts */
  uint32_t pad;
} attempt;

/* One sequential test: (src, port, proto) horizontal, (src, dst) vertical;
 * the key is a probe_key with the other fields zero. */
typedef struct test {
  double llr; /* log likelihood ratio, in [low, up] */
  wd_attack_t attack;
  uint64_t first_ns; /* first counted probe */
  uint64_t probe_ns; /* latest probe */
  uint32_t targets;  /* distinct targets counted */
  uint32_t probes;   /* every probe, repeats included */
  uint32_t ok, fail, pending;
  /* Outcomes enter the walk in the order of the attempts (as in the
   * paper), whenever they are learnt: bit i of done/good is attempt
   * base + i. */
  uint32_t base, next;
  uint64_t done, good;
  uint64_t udp_sec;    /* second counted in udp_n */
  uint64_t flood_ns;   /* UDP ignored until then (UDP flood seen) */
  uint32_t udp_n;      /* new UDP targets in udp_sec */
  uint64_t rate_sec;   /* second counted in rate_n */
  uint32_t rate_n;     /* probes in rate_sec */
  uint32_t peak_n;     /* most probes in one second */
  uint16_t sport;      /* of the first probe (horizontal alerts) */
  uint32_t answered;   /* attempts answered, whatever their place */
  uint8_t spoke;       /* horizontal TCP 445: the source sent SMB to a host
                          that answered (a worm's exploit, not a scanner) */
  uint8_t udp_flooded; /* a UDP probe of it went to a host under a UDP
                          flood (udp_flooded) */
  uint8_t held;        /* 1: decision held back for the worm detector; 2:
                          ceded to it (a worm fan-out, never a scan alert) */
  uint8_t tech;        /* TECH_* seen */
  uint8_t nlist;
  uint8_t protos; /* 1: TCP seen, 2: UDP seen */
  uint8_t seen[SEEN_BITS / 8];
  union {
    wd_addr_t hosts[LIST_HOSTS];
    uint32_t ports[LIST_PORTS]; /* proto << 16 | port */
  } list;
} test;

/* The detect.scan keys (conf_rows below). */
typedef struct scan_conf {
  bool enabled;
  double theta0, theta1;      /* P(success) of a benign host, of a scanner */
  double alpha, beta;         /* false positive bound, detection probability */
  uint32_t min_hosts;         /* horizontal: distinct hosts before an alert */
  uint32_t min_ports;         /* vertical: distinct ports */
  uint32_t attempt_timeout_s; /* no answer after this is a failure */
  wd_cidr_list_t exempt;      /* sources never reported as scanners */
  uint32_t udp_rate_cells;    /* vertical: cells of the UDP rate sketch */
} scan_conf;

/* What the scan detectors read of the detectors they cede to or name
 * (their keys, read once at create). */
typedef struct scan_peers {
  bool syn_on;       /* detect.syn_flood.enabled */
  uint64_t syn_pps;  /* detect.syn_flood.min_pps */
  bool fanout_on;    /* detect.smb_fanout.enabled */
  uint64_t fanout_n; /* detect.smb_fanout.targets */
  uint64_t fanout_s; /* detect.smb_fanout.window */
  const wd_cidr_list_t *fanout_exempt;
} scan_peers;

typedef struct scan {
  int mode;
  const wd_config_t *cfg;
  const scan_conf *conf;
  scan_peers peers;
  wd_table_t *attempts, *tests;
  wd_addr_rate_t udp_in; /* vertical: UDP datagrams to each address per
                            second (udp_flooded) */
  wd_attack_set_t set;   /* the attacks' life cycle; set.ctx is the context
                            of the hook being run (for evictions) */
  uint64_t now_ns;
  uint32_t held;  /* tests whose decision is held back */
  bool finishing; /* end of input: nothing is held back any more */
  uint32_t min_targets;
  double l_ok, l_fail, l_up, l_low;
  /* texts of the alert being filled */
  char list[LIST_PORTS * 12 + LIST_HOSTS * (WD_ADDR_STRLEN + 1) + 1];
  char tech[48];
} scan;

static void test_key(const scan *sc, const probe_key *p, probe_key *k) {
  memset(k, 0, sizeof *k);
  k->src = p->src;
  if (sc->mode == MODE_HORIZONTAL) {
    k->port = p->port;
    k->proto = p->proto;
  } else {
    k->dst = p->dst;
  }
}

/* ---- alerts ---- */

static void tech_str(uint8_t t, char *buf, size_t n) {
  static const char *const names[] = {"syn",  "fin",         "null",
                                      "xmas", "other-flags", "udp"};
  buf[0] = '\0';
  size_t len = 0;
  for (unsigned i = 0; i < 6; i++) {
    if (!(t & (1u << i)))
      continue;
    size_t l = strlen(names[i]);
    if (len + l + 2 > n)
      break;
    if (len)
      buf[len++] = '+';
    memcpy(buf + len, names[i], l + 1);
    len += l;
  }
}

/* Distinct targets: linear counting over the seen bitmap (corrects for
 * targets that shared a bit), at least the count that entered the walk. */
static uint64_t targets_est(const test *t) {
  unsigned set = 0;
  for (unsigned i = 0; i < sizeof t->seen; i++)
    set += (unsigned)__builtin_popcount(t->seen[i]);
  if (set >= SEEN_BITS)
    return t->targets;
  double e = -(double)SEEN_BITS * log(1.0 - (double)set / SEEN_BITS);
  uint64_t n = (uint64_t)e; /* rounded down: no collision, no surplus */
  return n > t->targets ? n : t->targets;
}

/* The scan part of an alert (attack.h calls it). */
static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  scan *sc = user;
  const probe_key *k = key;
  const test *t = val;
  al->has_src = true;
  al->src = k->src;
  al->proto = t->protos == 2 ? WD_PROTO_UDP : WD_PROTO_TCP;
  char *list = sc->list;
  size_t list_n = sizeof sc->list;
  list[0] = '\0';
  if (sc->mode == MODE_HORIZONTAL) {
    al->dst = t->nlist ? t->list.hosts[0] : k->src;
    al->has_ports = true;
    al->sport = t->sport;
    al->dport = k->port;
    al->proto = k->proto;
    wd_alert_add_u64(al, "hosts", targets_est(t));
    for (unsigned i = 0; i < t->nlist; i++)
      wd_attack_list_addr(list, list_n, &t->list.hosts[i]);
    wd_alert_add_str(al, "hosts_sample", list);
  } else {
    al->dst = k->dst;
    wd_alert_add_u64(al, "ports", targets_est(t));
    for (unsigned i = 0; i < t->nlist; i++) {
      uint32_t pp = t->list.ports[i];
      wd_attack_list_u64(list, list_n, pp & 0xffff);
      /* Mixed TCP and UDP: mark the UDP ones. */
      size_t len = strnlen(list, list_n);
      if ((pp >> 16) == WD_PROTO_UDP && t->protos == 3 && len + 5 < list_n)
        memcpy(list + len, "/udp", 5);
    }
    wd_alert_add_str(al, "ports_sample", list);
  }
  wd_alert_add_u64(al, "probes", t->probes);
  wd_alert_add_u64(al, "packets", t->probes); /* the scanner's packets */
  wd_alert_add_u64(al, "answered", t->ok);
  wd_alert_add_u64(al, "failed", t->fail);
  wd_alert_add_u64(al, "pending", t->pending);
  tech_str(t->tech, sc->tech, sizeof sc->tech);
  wd_alert_add_str(al, "technique", sc->tech);
  wd_alert_add_f64(al, "likelihood_ratio", exp(t->llr));
  double span = (double)(t->attack.last_ns - t->first_ns) / 1e9;
  wd_alert_add_f64(al, "duration_s", span > 0 ? span : 0);
  /* The same probes are also a SYN flood by rate: say so here rather than
   * in a second alert (ddos.syn-flood leaves one source's refused port
   * sweep to this detector). */
  wd_alert_add_u64(al, "peak_probes_per_s", t->peak_n);
  uint64_t flood = sc->peers.syn_pps;
  if (sc->mode == MODE_VERTICAL && (t->tech & TECH_SYN) && sc->peers.syn_on &&
      flood && t->peak_n >= flood)
    wd_alert_add_str(al, "also_matches", "ddos.syn-flood");
}

/* A sweep of TCP 445 is worm.smb-fanout's when it reaches that detector's
 * count within its window (detect.smb_fanout.targets, .window) and the
 * source sent SMB to a host that answered, or nothing answered and the
 * source is one of ours (the worm detector's own conditions): one activity, one
 * alert, the one that says more. Until the window has passed the decision is
 * held back; a slower or smaller sweep, or one that never speaks SMB, is a
 * scan. */
static bool worm_watched(const scan *sc, const probe_key *k) {
  return sc->mode == MODE_HORIZONTAL && k->proto == WD_PROTO_TCP &&
         k->port == 445 && sc->peers.fanout_on &&
         !(sc->peers.fanout_exempt &&
           wd_detect_listed(sc->peers.fanout_exempt, &k->src));
}

/* True when t's decision waits (held back for, or ceded to, the worm
 * detector). */
static bool worm_holds(scan *sc, const probe_key *k, test *t, uint64_t now) {
  if (t->held == 2)
    return true;
  if (!worm_watched(sc, k))
    return false;
  uint64_t window = sc->peers.fanout_s * WD_NSEC;
  bool within = !sc->finishing && now - t->first_ns <= window;
  bool worm = t->answered ? t->spoke : wd_config_is_protected(sc->cfg, &k->src);
  if (within && worm && targets_est(t) >= sc->peers.fanout_n) {
    if (t->held == 1)
      sc->held--;
    t->held = 2;
    return true;
  }
  if (within) {
    if (!t->held)
      sc->held++;
    t->held = 1;
    return true;
  }
  if (t->held == 1)
    sc->held--;
  t->held = 0;
  return false;
}

/* The host receives UDP at a flood's rate (more than UDP_FLOOD_PPS
 * datagrams this second or the last): datagrams to its random ports are a
 * flood or reflected answers from ports of services we do not know, not
 * probes (a UDP scan is paced by its target's ICMP rate limit). Asked when
 * a UDP-only vertical test is about to be decided, never per packet. */
static bool udp_flooded(const scan *sc, const wd_addr_t *dst) {
  uint32_t cur, last;
  wd_addr_rate_get(&sc->udp_in, dst, &cur, &last);
  return cur > UDP_FLOOD_PPS || last > UDP_FLOOD_PPS;
}

static void forget_walk(test *t);

static void decide(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *k,
                   test *t, uint64_t now_ns) {
  if (wd_attack_is_open(&t->attack) || t->targets < sc->min_targets ||
      t->llr < sc->l_up || worm_holds(sc, k, t, now_ns))
    return;
  if (sc->mode == MODE_VERTICAL && t->protos == 2 &&
      (t->udp_flooded || udp_flooded(sc, &k->dst))) {
    t->udp_flooded = 0;
    t->flood_ns = now_ns + (uint64_t)FLOOD_HOLD_S * WD_NSEC;
    forget_walk(t);
    return;
  }
  /* quiet counts from the latest probe, not from the decision (which can
     come at an attempt's timeout, long after) */
  uint64_t last = t->probe_ns && t->probe_ns < now_ns ? t->probe_ns : now_ns;
  wd_attack_start(&sc->set, ctx, &t->attack, k, t, t->first_ns, last, now_ns);
}

/* One resolved attempt of test t. */
static void step(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *k,
                 test *t, bool ok, uint64_t now_ns) {
  if (ok) {
    t->ok++;
    t->llr += sc->l_ok;
  } else {
    t->fail++;
    t->llr += sc->l_fail;
  }
  if (t->llr < sc->l_low)
    t->llr = sc->l_low;
  if (t->llr > sc->l_up)
    t->llr = sc->l_up;
  decide(sc, ctx, k, t, now_ns);
}

/* Feeds the outcomes now known, in attempt order, to the walk. When an
 * attempt still waiting for its outcome holds later outcomes back, the walk
 * is also run ahead with every waiting attempt counted as a success (the
 * most benign outcome it can have): if even then the test reaches the
 * scanner threshold, the decision cannot change and is taken now, instead
 * of attempt_timeout later. */
static void drain(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *k,
                  test *t, uint64_t now_ns) {
  while (t->done & 1) {
    bool ok = t->good & 1;
    t->done >>= 1;
    t->good >>= 1;
    t->base++;
    step(sc, ctx, k, t, ok, now_ns);
  }
  if (!t->done || t->llr >= sc->l_up || wd_attack_is_open(&t->attack))
    return;
  uint32_t n = t->next - t->base;
  double l = t->llr;
  for (uint32_t off = 0; off < n && off < ORDER_MAX; off++) {
    bool known = t->done >> off & 1;
    bool ok = !known || (t->good >> off & 1);
    l += ok ? sc->l_ok : sc->l_fail;
    if (l < sc->l_low)
      l = sc->l_low;
    if (l >= sc->l_up) {
      t->llr = sc->l_up;
      decide(sc, ctx, k, t, now_ns);
      return;
    }
  }
}

/* Outcome of attempt seq of t (ignored when already settled). */
static void resolve(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *k,
                    test *t, uint32_t seq, bool ok, uint64_t now_ns) {
  uint32_t off = seq - t->base;
  if (off >= ORDER_MAX || (t->done >> off & 1))
    return;
  t->done |= (uint64_t)1 << off;
  if (ok) {
    t->good |= (uint64_t)1 << off;
    t->answered++;
  }
  if (t->pending)
    t->pending--;
  drain(sc, ctx, k, t, now_ns);
}

/* t's attack ended. The walk starts again: a later burst is a new attack with
 * its own start and counts, not the continuation of this one. Attempts still
 * waiting keep their old sequence numbers, which now fall outside the
 * window (resolve ignores them). */
static void restart(scan *sc, test *t) {
  if (t->held == 1)
    sc->held--;
  uint32_t next = t->next;
  memset(t, 0, sizeof *t);
  t->base = t->next = next;
}

/* The tests table recycles a test: an open attack ends here. */
static void test_evicted(void *user, const void *key, void *val) {
  scan *sc = user;
  test *t = val;
  if (t->held == 1)
    sc->held--;
  wd_attack_recycled(&sc->set, &t->attack, key, t, sc->now_ns);
}

/* A pending attempt leaves the table unanswered (timeout, recycling,
 * finish): a failure. */
static void attempt_evicted(void *user, const void *key, void *val) {
  scan *sc = user;
  const attempt *a = val;
  probe_key tk;
  test_key(sc, key, &tk);
  test *t = wd_table_find(sc->tests, &tk);
  if (t)
    resolve(sc, sc->set.ctx, &tk, t, a->seq, false, sc->now_ns);
}

/* ---- probes and answers ---- */

static bool no_unicast_answer(const wd_addr_t *a) {
  if (wd_addr_is_v4(a))
    return a->b[12] >= 224; /* multicast, reserved, broadcast */
  return a->b[0] == 0xff;   /* IPv6 multicast */
}

/* Forgets t's walk so far: its answers and timeouts now fall outside the
 * order window and are ignored. */
static void forget_walk(test *t) {
  t->llr = 0;
  t->base = t->next;
  t->done = t->good = 0;
  t->pending = 0;
}

/* Counts a UDP first contact of t; true when t is (or just became) under a
 * UDP flood: then its pending attempts are dropped from the walk. */
static bool udp_flood(scan *sc, test *t, uint64_t now) {
  (void)sc;
  if (now < t->flood_ns)
    return true;
  uint64_t sec = now / WD_NSEC;
  if (sec != t->udp_sec) {
    t->udp_sec = sec;
    t->udp_n = 0;
  }
  if (++t->udp_n <= UDP_FLOOD_PPS)
    return false;
  t->flood_ns = now + (uint64_t)FLOOD_HOLD_S * WD_NSEC;
  if (!wd_attack_is_open(&t->attack))
    forget_walk(t);
  return true;
}

static void probe(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *pk,
                  uint16_t sport, uint8_t tech, bool failed, uint64_t now) {
  if (no_unicast_answer(&pk->dst) ||
      wd_detect_listed(&sc->conf->exempt, &pk->src))
    return;
  probe_key tk;
  test_key(sc, pk, &tk);
  bool created;
  test *t = wd_table_get(sc->tests, &tk, now, &created);
  if (!t)
    return;
  if (created || !t->first_ns) { /* new, or restarted after its attack */
    t->llr = 0;
    t->first_ns = now;
    t->sport = sport;
  }
  if (pk->proto == WD_PROTO_UDP && udp_flood(sc, t, now))
    return;
  t->probes++;
  t->probe_ns = now;
  if (now / WD_NSEC != t->rate_sec) {
    t->rate_sec = now / WD_NSEC;
    t->rate_n = 0;
  }
  if (++t->rate_n > t->peak_n)
    t->peak_n = t->rate_n;
  if (wd_attack_is_open(&t->attack))
    t->attack.last_ns = now;
  uint64_t h =
      sc->mode == MODE_HORIZONTAL
          ? wd_hll_hash_addr(&pk->dst)
          : ((uint64_t)pk->proto << 16 | pk->port) * 0x9e3779b97f4a7c15ULL;
  unsigned bit = (unsigned)(h >> 40) % SEEN_BITS;
  if (t->seen[bit / 8] & (1u << (bit % 8)))
    return; /* this target was counted already */
  if (t->next - t->base >= ORDER_MAX)
    return; /* too many outcomes outstanding: not counted (yet) */
  t->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
  t->targets++;
  /* Near a decision, ask once per probe whether its host is flooded with
   * UDP (a sketch look-up; never for a client's first datagrams). */
  if (pk->proto == WD_PROTO_UDP && sc->mode == MODE_VERTICAL &&
      !t->udp_flooded && t->targets + 1 >= sc->min_targets)
    t->udp_flooded = udp_flooded(sc, &pk->dst);
  t->tech |= tech;
  t->protos |= pk->proto == WD_PROTO_UDP ? 2 : 1;
  if (sc->mode == MODE_HORIZONTAL && t->nlist < LIST_HOSTS)
    t->list.hosts[t->nlist++] = pk->dst;
  else if (sc->mode == MODE_VERTICAL && t->nlist < LIST_PORTS)
    t->list.ports[t->nlist++] = (uint32_t)pk->proto << 16 | pk->port;
  uint32_t seq = t->next++;
  t->pending++;
  if (failed) {
    resolve(sc, ctx, &tk, t, seq, false, now);
    return;
  }
  /* t stays valid: evictions below only look tests up. */
  bool fresh;
  attempt *a = wd_table_get(sc->attempts, pk, now, &fresh);
  if (!a) {
    resolve(sc, ctx, &tk, t, seq, false, now);
    return;
  }
  if (!fresh) /* the same probe key still waits from before: replace it */
    resolve(sc, ctx, &tk, t, a->seq, false, now);
  a->first_ns = now;
  a->seq = seq;
  decide(sc, ctx, &tk, t, now);
}

static void answer(scan *sc, const wd_detect_ctx_t *ctx, const probe_key *pk,
                   bool ok, uint64_t now) {
  attempt a;
  if (!wd_table_take(sc->attempts, pk, &a))
    return;
  uint32_t seq = a.seq;
  probe_key tk;
  test_key(sc, pk, &tk);
  test *t = wd_table_find(sc->tests, &tk);
  if (t)
    resolve(sc, ctx, &tk, t, seq, ok, now);
}

/* A UDP datagram that opens a flow but answers something: from a service
 * port to an ephemeral one (the reply to a multicast or broadcast query,
 * e.g. LLMNR, mDNS, NetBIOS, SSDP, WS-Discovery), from a reflector service
 * (reflect.h: DNS, NTP, memcached, BACnet, DVR, ...) to a port of no such
 * service (reflected answers towards a victim whose address was spoofed:
 * the reflector answers, it never probes), or between equal ports
 * (NetBIOS, NTP, IKE, RIP peers). Scanners send from a port of their own
 * to the ports they probe. */
static bool udp_reply_like(uint16_t sport, uint16_t dport) {
  if (sport == dport)
    return true;
  if (wd_reflect_kind(sport) >= 0 && wd_reflect_kind(dport) < 0)
    return true;
  if (dport < 1024)
    return false;
  return sport == 5355 /* LLMNR */ || sport < 1024;
}

static void make_key(probe_key *k, const wd_addr_t *src, const wd_addr_t *dst,
                     uint16_t port, uint8_t proto) {
  memset(k, 0, sizeof *k);
  k->src = *src;
  k->dst = *dst;
  k->port = port;
  k->proto = proto;
}

static uint8_t stealth_tech(uint8_t flags) {
  if (flags == 0)
    return TECH_NULL;
  if ((flags & (WD_TCP_FIN | WD_TCP_PSH | WD_TCP_URG)) ==
      (WD_TCP_FIN | WD_TCP_PSH | WD_TCP_URG))
    return TECH_XMAS;
  if (flags == WD_TCP_FIN)
    return TECH_FIN;
  return TECH_OTHER;
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  scan *sc = state;
  sc->set.ctx = ctx;
  uint64_t now = p->ts_ns > sc->now_ns ? p->ts_ns : sc->now_ns;
  sc->now_ns = now;
  probe_key k;
  if (p->l4_proto == WD_PROTO_TCP && p->has_l4) {
    uint8_t fl = p->tcp_flags;
    uint8_t sar = fl & (WD_TCP_SYN | WD_TCP_ACK | WD_TCP_RST);
    if (sar == WD_TCP_SYN) {
      make_key(&k, &p->src, &p->dst, p->dport, WD_PROTO_TCP);
      probe(sc, ctx, &k, p->sport, TECH_SYN, false, now);
    } else if (sar == (WD_TCP_SYN | WD_TCP_ACK)) {
      make_key(&k, &p->dst, &p->src, p->sport, WD_PROTO_TCP);
      answer(sc, ctx, &k, true, now);
    } else if (sc->mode == MODE_HORIZONTAL && p->dport == 445 &&
               p->payload_len && f && dir == WD_DIR_TO_SERVER &&
               f->pkts[WD_DIR_TO_SERVER] <= 4) {
      /* The first data of an SMB session: a worm's exploit follows its
       * answered SYNs (see worm_holds). */
      make_key(&k, &p->src, &p->dst, 445, WD_PROTO_TCP);
      probe_key tk;
      test_key(sc, &k, &tk);
      test *t = wd_table_find(sc->tests, &tk);
      if (t)
        t->spoke = 1;
    } else if ((fl & WD_TCP_RST) &&
               !(f && (f->tcp_flags[dir ^ 1] & WD_TCP_SYN) &&
                 (f->tcp_flags[dir] & WD_TCP_SYN))) {
      /* A RST ending a connection whose handshake was seen answers no
       * pending attempt: skip the lookup. */
      make_key(&k, &p->dst, &p->src, p->sport, WD_PROTO_TCP);
      answer(sc, ctx, &k, false, now);
    } else if (!(fl & WD_TCP_ACK) &&
               (!f ||
                f->pkts[WD_DIR_TO_SERVER] + f->pkts[WD_DIR_TO_CLIENT] <= 1)) {
      make_key(&k, &p->src, &p->dst, p->dport, WD_PROTO_TCP);
      probe(sc, ctx, &k, p->sport, stealth_tech(fl), true, now);
    }
    return;
  }
  if (p->l4_proto == WD_PROTO_UDP && sc->udp_in.cur)
    wd_addr_rate_add(&sc->udp_in, &p->dst); /* fragments too */
  if (p->l4_proto == WD_PROTO_UDP && p->has_l4) {
    if (!f)
      return;
    if (dir == WD_DIR_TO_SERVER && f->pkts[WD_DIR_TO_SERVER] == 1 &&
        f->pkts[WD_DIR_TO_CLIENT] == 0 && !udp_reply_like(p->sport, p->dport)) {
      make_key(&k, &p->src, &p->dst, p->dport, WD_PROTO_UDP);
      probe(sc, ctx, &k, p->sport, TECH_UDP, false, now);
    } else if (dir == WD_DIR_TO_CLIENT && f->pkts[WD_DIR_TO_CLIENT] == 1) {
      make_key(&k, &p->dst, &p->src, p->sport, WD_PROTO_UDP);
      answer(sc, ctx, &k, true, now);
    }
    return;
  }
  wd_icmp_quote_t q;
  if ((p->l4_proto == WD_PROTO_ICMP || p->l4_proto == WD_PROTO_ICMPV6) &&
      wd_icmp_quote_unreach(p, &q) && q.has_ports) {
    make_key(&k, &q.src, &q.dst, q.dport, q.proto);
    answer(sc, ctx, &k, false, now);
  }
}

/* ---- time ---- */

typedef struct walk {
  scan *sc;
  const wd_detect_ctx_t *ctx;
  uint64_t now;
  bool finish;
} walk;

static bool held_one(void *user, const void *key, void *val, uint64_t last_ns) {
  (void)last_ns;
  walk *w = user;
  test *t = val;
  if (t->held == 1)
    decide(w->sc, w->ctx, key, t, w->now);
  return w->sc->held > 0;
}

static bool due_one(void *user, const void *key, void *val, uint64_t last_ns) {
  (void)last_ns;
  walk *w = user;
  test *t = val;
  if (wd_attack_step(&w->sc->set, w->ctx, &t->attack, key, t, w->now,
                     w->finish) == WD_ATTACK_DUE_END)
    restart(w->sc, t);
  return w->sc->set.open > 0;
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns) {
  scan *sc = state;
  sc->set.ctx = ctx;
  if (now_ns > sc->now_ns)
    sc->now_ns = now_ns;
  if (sc->udp_in.cur)
    wd_addr_rate_roll(&sc->udp_in, now_ns / WD_NSEC);
  uint64_t to =
      (uint64_t)(sc->conf->attempt_timeout_s ? sc->conf->attempt_timeout_s
                                             : 1) *
      WD_NSEC;
  if (sc->now_ns > to)
    wd_table_expire(sc->attempts, sc->now_ns - to);
  if (sc->held) {
    walk w = {sc, ctx, sc->now_ns, false};
    wd_table_foreach(sc->tests, held_one, &w);
  }
  if (sc->set.open) {
    walk w = {sc, ctx, sc->now_ns, false};
    wd_table_foreach(sc->tests, due_one, &w);
  }
  /* Probes further apart than the incident quiet window never add up to
   * one scan: a test not probed for that long is forgotten (in a capture
   * with a long pause as much as across two runs). */
  uint64_t forget = (uint64_t)(sc->cfg->incidents.quiet_window_s
                                   ? sc->cfg->incidents.quiet_window_s
                                   : 3600) *
                    WD_NSEC;
  if (sc->now_ns > forget)
    wd_table_expire(sc->tests, sc->now_ns - forget);
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx,
                      uint64_t now_ns) {
  scan *sc = state;
  sc->set.ctx = ctx;
  if (now_ns > sc->now_ns)
    sc->now_ns = now_ns;
  sc->finishing = true;
  wd_table_expire(sc->attempts, UINT64_MAX); /* unanswered: failures */
  if (sc->held) {
    walk w = {sc, ctx, sc->now_ns, false};
    wd_table_foreach(sc->tests, held_one, &w);
  }
  if (sc->set.open) {
    walk w = {sc, ctx, sc->now_ns, true};
    wd_table_foreach(sc->tests, due_one, &w);
  }
}

/* ---- setup ---- */

/* detect.scan.* hold across keys: scanners succeed less often than benign
 * hosts, and the false positive bound is below the detection
 * probability. */
static const char *const *check_conf(const void *conf, char *msg, size_t n) {
  static const char *const th[] = {"detect.scan.theta1", "detect.scan.theta0",
                                   NULL};
  static const char *const ab[] = {"detect.scan.alpha", "detect.scan.beta",
                                   NULL};
  const scan_conf *c = conf;
  if (c->theta1 >= c->theta0) {
    snprintf(msg, n,
             "theta1 %g is not below theta0 %g; expected scanners to "
             "succeed less often than benign hosts (theta1 < theta0)",
             c->theta1, c->theta0);
    return th;
  }
  if (c->alpha >= c->beta) {
    snprintf(msg, n,
             "alpha %g is not below beta %g; expected a false positive "
             "bound below the detection probability (alpha < beta)",
             c->alpha, c->beta);
    return ab;
  }
  return NULL;
}

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(scan_conf, "detect.scan.enabled", enabled, "true",
                "horizontal and vertical scans (sequential hypothesis "
                "testing)"),
    WD_KEY_PROB(scan_conf, "detect.scan.theta0", theta0, "0.8",
                "probability that a benign host's connection attempt "
                "succeeds"),
    WD_KEY_PROB(scan_conf, "detect.scan.theta1", theta1, "0.2",
                "probability that a scanner's attempt succeeds (below "
                "theta0)"),
    WD_KEY_PROB(scan_conf, "detect.scan.alpha", alpha, "0.01",
                "false positive probability accepted (below beta)"),
    WD_KEY_PROB(scan_conf, "detect.scan.beta", beta, "0.99",
                "detection probability wanted"),
    WD_KEY_UINT(scan_conf, "detect.scan.min_hosts", min_hosts, "5", 1, 65536,
                "distinct hosts tried before a horizontal scan is reported"),
    WD_KEY_UINT(scan_conf, "detect.scan.min_ports", min_ports, "5", 1, 65536,
                "distinct ports tried before a vertical scan is reported"),
    WD_KEY_SECS(scan_conf, "detect.scan.attempt_timeout", attempt_timeout_s,
                "3s", 1, 600,
                "an attempt without answer after this counts as failed"),
    WD_KEY_CIDRS(scan_conf, "detect.scan.exempt", exempt, "",
                 "sources never reported as scanners (your own vulnerability "
                 "scanners)"),
    WD_KEY_UINT(scan_conf, "detect.scan.udp_rate_cells", udp_rate_cells,
                "65536", 64, 16777216,
                "counters per row of the sketch of UDP datagrams to each "
                "host per second, by which a vertical scan ignores a "
                "flooded host (8 bytes each; it errs high by about UDP "
                "datagrams per second / cells)"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(scan_conf, conf_rows, check_conf);

static void destroy(void *state) {
  scan *sc = state;
  if (!sc)
    return;
  wd_table_free(sc->attempts);
  wd_table_free(sc->tests);
  wd_addr_rate_free(&sc->udp_in);
  free(sc);
}

static wd_rc create_mode(int mode, const wd_detector_t *det,
                         const wd_config_t *cfg, wd_memcap_t *mc,
                         void **state) {
  *state = NULL;
  const scan_conf *conf = wd_detector_conf(cfg, det);
  if (!conf)
    return WD_ERR_CONFIG;
  if (!conf->enabled)
    return WD_OK;
  double t0 = conf->theta0, t1 = conf->theta1;
  double a = conf->alpha, b = conf->beta;
  if (!(t1 > 0 && t1 < t0 && t0 < 1 && a > 0 && a < b && b < 1))
    return WD_ERR_CONFIG;
  scan *sc = calloc(1, sizeof *sc);
  if (!sc)
    return WD_ERR_NOMEM;
  sc->mode = mode;
  sc->cfg = cfg;
  sc->conf = conf;
  scan_peers *pe = &sc->peers;
  pe->syn_on = wd_config_bool(cfg, "detect.syn_flood.enabled", &pe->syn_on) &&
               pe->syn_on;
  wd_config_uint(cfg, "detect.syn_flood.min_pps", &pe->syn_pps);
  pe->fanout_on =
      wd_config_bool(cfg, "detect.smb_fanout.enabled", &pe->fanout_on) &&
      pe->fanout_on;
  wd_config_uint(cfg, "detect.smb_fanout.targets", &pe->fanout_n);
  wd_config_uint(cfg, "detect.smb_fanout.window", &pe->fanout_s);
  pe->fanout_exempt = wd_config_cidrs(cfg, "detect.smb_fanout.exempt");
  wd_attack_set_init(&sc->set, det, cfg, fill, sc);
  sc->l_ok = log(t1 / t0);
  sc->l_fail = log((1 - t1) / (1 - t0));
  sc->l_up = log(b / a);
  sc->l_low = log((1 - b) / (1 - a));
  uint32_t min = mode == MODE_HORIZONTAL ? conf->min_hosts : conf->min_ports;
  sc->min_targets = min ? min : 1;
  uint64_t max_att =
      wd_attack_table_max(mc, 24, sizeof(probe_key), sizeof(attempt), 256);
  uint64_t max_tests =
      wd_attack_table_max(mc, 10, sizeof(probe_key), sizeof(test), 64);
  wd_rc rc = wd_table_new(det->name, sizeof(probe_key), sizeof(attempt),
                          max_att, mc, attempt_evicted, sc, &sc->attempts);
  if (rc == WD_OK)
    rc = wd_table_new(det->name, sizeof(probe_key), sizeof(test), max_tests, mc,
                      test_evicted, sc, &sc->tests);
  if (rc == WD_OK && mode == MODE_VERTICAL)
    rc = wd_addr_rate_init(&sc->udp_in, conf->udp_rate_cells, mc);
  if (rc != WD_OK) {
    destroy(sc);
    return rc;
  }
  *state = sc;
  return WD_OK;
}

static wd_rc create_h(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return create_mode(MODE_HORIZONTAL, &wd_detector_scan_horizontal, cfg, mc,
                     state);
}

static wd_rc create_v(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return create_mode(MODE_VERTICAL, &wd_detector_scan_vertical, cfg, mc, state);
}

static const wd_detector_sig_t sig_h[] = {
    {2100401, "Horizontal scan: one port probed on many hosts",
     "Detection of a Network Scan", 3, "information-gathering", "scanner"},
};

static const wd_detector_sig_t sig_v[] = {
    {2100402, "Vertical scan: many ports probed on one host",
     "Detection of a Network Scan", 3, "information-gathering", "scanner"},
};

/* The two share their state's code, their hooks and the detect.scan
 * keys. */
#define SCAN_HOOKS                                                             \
  .destroy = destroy, .on_packet = on_packet, .on_tick = on_tick,              \
  .on_finish = on_finish

const wd_detector_t wd_detector_scan_horizontal = {
    WD_DETECTOR_ID("scan.horizontal", WD_LINE_INTRUSION,
                   "one source probing one port on many hosts (Threshold "
                   "Random Walk)"),
    WD_DETECTOR_SIGS(sig_h),
    .create = create_h,
    WD_DETECTOR_KEYS(conf_keys),
    SCAN_HOOKS,
    .cost = 56,
};

const wd_detector_t wd_detector_scan_vertical = {
    WD_DETECTOR_ID("scan.vertical", WD_LINE_INTRUSION,
                   "one source probing many ports of one host (Threshold "
                   "Random Walk)"),
    WD_DETECTOR_SIGS(sig_v),
    .create = create_v,
    WD_DETECTOR_KEYS(conf_keys),
    SCAN_HOOKS,
    .cost = 68,
};
