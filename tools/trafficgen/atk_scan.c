/* atk_scan.c -- port scans: horizontal (one port on many hosts of the
 * facility) and vertical (many ports of one host), of type syn (half
 * open: the scanner's kernel resets the SYN-ACK), connect (full handshake,
 * then RST), fin, null, xmas (closed ports answer RST, open ones stay
 * silent, RFC 793) and udp (closed ports answer ICMP port unreachable with
 * the quoted datagram, open ones answer). Hosts that do not exist, and
 * filtered ports, answer nothing. In: options. Out: packets, one truth row
 * per scan with its counts appended when it ends. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

enum { S_SYN, S_CONNECT, S_FIN, S_NULL, S_XMAS, S_UDP };

typedef struct scan {
  tg_actor_t a;
  bool vertical;
  int type;
  int family;
  tg_host_t src;
  tg_host_t target; /* vertical */
  wd_addr_t base;   /* horizontal: first address */
  uint16_t port;    /* horizontal */
  uint16_t sport;   /* raw scans keep one source port */
  uint32_t count, i;
  uint32_t seq_port; /* vertical: next port after the well-known list */
  double mean_gap_ns;
  double p_open, p_filtered;
  int row;
  uint32_t open, closed, silent;
  uint32_t grid_hosts; /* tg_scan_run: hosts x ports, each port in turn */
  uint16_t *grid_ports;
} scan_t;

static const uint16_t top_ports[] = {
    80,   23,   443,   21,   22,   25,    3389, 110,   445,   139,   143,
    53,   135,  3306,  8080, 1723, 111,   995,  993,   5900,  1025,  587,
    8888, 199,  1720,  465,  548,  113,   81,   6001,  10000, 514,   5060,
    179,  1026, 2000,  8443, 8000, 32768, 554,  26,    1433,  49152, 2001,
    515,  8008, 49154, 1027, 5666, 646,   5000, 5631,  631,   49153, 8081,
    2049, 88,   79,    5800, 106,  2121,  1110, 49155, 6000,  513,   990,
    5357, 427,  49156, 543,  544,  5101,  144,  7,     389,   8009,  3128,
    444,  9999, 5009,  7070, 5190, 3000,  5432};
static const uint16_t udp_top[] = {53,   123, 161, 137,  138,  67,   68,
                                   69,   500, 514, 520,  1900, 5353, 4500,
                                   1434, 162, 111, 2049, 631,  177};

static bool in_list(const uint16_t *l, size_t n, uint32_t v) {
  for (size_t j = 0; j < n; j++)
    if (l[j] == v)
      return true;
  return false;
}

/* The k-th port of a vertical scan: the well-known ones first, then
 * 1, 2, 3 ... skipping those (k grows by one per call). */
static uint16_t vertical_port(scan_t *s, uint32_t k) {
  bool udp = s->type == S_UDP;
  const uint16_t *l = udp ? udp_top : top_ports;
  size_t n = udp ? sizeof udp_top / sizeof udp_top[0]
                 : sizeof top_ports / sizeof top_ports[0];
  if (k < n)
    return l[k];
  if (s->seq_port == 0)
    s->seq_port = 1;
  while (s->seq_port < 65535 && in_list(l, n, s->seq_port))
    s->seq_port++;
  uint16_t p = (uint16_t)s->seq_port;
  s->seq_port = s->seq_port >= 65535 ? 1 : s->seq_port + 1;
  return p;
}

/* The service a host really runs on a port. */
static bool port_open(const tg_host_t *h, uint16_t port, int type) {
  if (type == S_UDP)
    return port == 53 || port == 123 || (port == 137 && h->windows) ||
           port == 161;
  if (h->windows)
    return port == 135 || port == 139 || port == 445 || port == 3389 ||
           port == 5357;
  return port == 22 || port == 80 || port == 443;
}

static void horizontal_addr(const scan_t *s, uint32_t k, wd_addr_t *out) {
  *out = s->base;
  uint32_t v =
      ((uint32_t)out->b[13] << 16) | ((uint32_t)out->b[14] << 8) | out->b[15];
  v += k;
  out->b[13] = (uint8_t)(v >> 16);
  out->b[14] = (uint8_t)(v >> 8);
  out->b[15] = (uint8_t)v;
}

static void icmp_unreach(tg_gen_t *g, uint64_t t, tg_tag_t tag,
                         const tg_l3_t *back, const tg_l3_t *probe,
                         uint16_t sport, uint16_t dport) {
  uint8_t q[64];
  size_t n;
  if (wd_addr_is_v4(probe->src)) {
    n = tg_pkt_ipv4_udp_bytes(q, sizeof q, probe->src, probe->dst, probe->ttl,
                              probe->ipid, sport, dport, NULL, 0);
    tg_pkt_icmp(g, t, tag, back, 3, 3, 0, q, n);
  } else {
    memset(q, 0, 48);
    q[0] = 0x60;
    q[5] = 8;
    q[6] = 17;
    q[7] = probe->ttl;
    memcpy(q + 8, probe->src->b, 16);
    memcpy(q + 24, probe->dst->b, 16);
    q[40] = (uint8_t)(sport >> 8);
    q[41] = (uint8_t)sport;
    q[42] = (uint8_t)(dport >> 8);
    q[43] = (uint8_t)dport;
    q[45] = 8;
    tg_pkt_icmp(g, t, tag, back, 1, 4, 0, q, 48);
  }
}

static void probe(tg_gen_t *g, scan_t *s, const tg_host_t *dst, bool exists,
                  uint16_t port, uint64_t t) {
  tg_rng_t *r = &s->a.rng;
  tg_tag_t tag = {{(int16_t)s->row, -1}};
  tg_l3_t out, back;
  tg_pkt_l3_from_hosts(&out, &s->src, dst, s->family);
  tg_pkt_l3_from_hosts(&back, dst, &s->src, s->family);
  out.ipid = (uint16_t)tg_rng_next(r);
  back.ipid = (uint16_t)tg_rng_next(r);
  out.df = s->type == S_CONNECT;
  int outcome = 0; /* 0 silent, 1 closed, 2 open */
  if (exists) {
    bool open = (s->vertical || s->grid_hosts) ? port_open(dst, port, s->type)
                                               : tg_rng_chance(r, s->p_open);
    if (open)
      outcome = 2;
    else if (!tg_rng_chance(r, s->p_filtered))
      outcome = 1;
  }
  uint64_t rtt = 2ULL * (s->src.delay_ns + dst->delay_ns);
  uint64_t t1 = t + rtt + 30 * TG_US;
  uint16_t sport =
      s->type == S_CONNECT ? (uint16_t)tg_rng_range(r, 32768, 60999) : s->sport;
  uint32_t seq = (uint32_t)tg_rng_next(r), iss = (uint32_t)tg_rng_next(r);
  uint8_t mss[4] = {2, 4, 0x05, 0xb4};
  static const uint8_t conn_opt[20] = {
      2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7};
  switch (s->type) {
  case S_SYN:
  case S_CONNECT: {
    bool c = s->type == S_CONNECT;
    tg_pkt_tcp(g, t, tag, &out, sport, port, seq, 0, TG_SYN, c ? 64240 : 1024,
               c ? conn_opt : mss, c ? 20 : 4, NULL, 0);
    if (outcome == 1)
      tg_pkt_tcp(g, t1, tag, &back, port, sport, 0, seq + 1, TG_RST | TG_ACK, 0,
                 NULL, 0, NULL, 0);
    if (outcome == 2) {
      tg_pkt_tcp(g, t1, tag, &back, port, sport, iss, seq + 1, TG_SYN | TG_ACK,
                 64240, mss, 4, NULL, 0);
      uint64_t t2 = t1 + 2ULL * s->src.delay_ns + 20 * TG_US;
      if (c) {
        tg_pkt_tcp(g, t2, tag, &out, sport, port, seq + 1, iss + 1, TG_ACK, 502,
                   NULL, 0, NULL, 0);
        tg_pkt_tcp(g, t2 + 40 * TG_US, tag, &out, sport, port, seq + 1, iss + 1,
                   TG_RST | TG_ACK, 0, NULL, 0, NULL, 0);
      } else {
        tg_pkt_tcp(g, t2, tag, &out, sport, port, seq + 1, 0, TG_RST, 0, NULL,
                   0, NULL, 0);
      }
    }
    break;
  }
  case S_FIN:
  case S_NULL:
  case S_XMAS: {
    uint8_t fl = s->type == S_FIN    ? TG_FIN
                 : s->type == S_NULL ? 0
                                     : (TG_FIN | TG_PSH | TG_URG);
    tg_pkt_tcp(g, t, tag, &out, sport, port, seq, 0, fl, 1024, NULL, 0, NULL,
               0);
    if (outcome == 1)
      tg_pkt_tcp(g, t1, tag, &back, port, sport, 0,
                 seq + ((fl & TG_FIN) ? 1 : 0), TG_RST | TG_ACK, 0, NULL, 0,
                 NULL, 0);
    if (outcome == 2)
      outcome = 0; /* RFC 793: an open port drops it: looks silent */
    break;
  }
  default: { /* UDP */
    uint8_t pl[64];
    size_t n = 0;
    if (port == 53)
      n = tg_apps_dns_query(pl, sizeof pl, (uint16_t)tg_rng_next(r),
                            "version.bind", 16, false);
    else if (port == 123)
      n = tg_apps_ntp(pl, sizeof pl, 3, t, r);
    tg_pkt_udp(g, t, 0, tag, &out, sport, port, pl, n);
    if (outcome == 1)
      icmp_unreach(g, t1, tag, &back, &out, sport, port);
    if (outcome == 2) {
      uint8_t a[128];
      size_t al = port == 123 ? tg_apps_ntp(a, sizeof a, 4, t1, r) : 0;
      if (port == 53)
        al = tg_apps_dns_answer(a, sizeof a, pl, n, 1, r, false);
      if (al == 0) {
        tg_rng_bytes(r, a, 40);
        al = 40;
      }
      tg_pkt_udp(g, t1, 0, tag, &back, port, sport, a, al);
    }
    break;
  }
  }
  if (outcome == 2)
    s->open++;
  else if (outcome == 1)
    s->closed++;
  else
    s->silent++;
}

static bool scan_step(tg_gen_t *g, tg_actor_t *a) {
  scan_t *s = (scan_t *)a;
  if (s->i >= s->count)
    return false;
  if (s->grid_hosts) {
    const tg_host_t *h = &g->net.clients[s->i % s->grid_hosts];
    probe(g, s, h, true, s->grid_ports[s->i / s->grid_hosts], a->t);
  } else if (s->vertical) {
    probe(g, s, &s->target, true, vertical_port(s, s->i), a->t);
  } else {
    wd_addr_t d;
    horizontal_addr(s, s->i, &d);
    tg_host_t h;
    tg_netmodel_host_for(g, &d, &h);
    probe(g, s, &h, tg_netmodel_exists(g, &d), s->port, a->t);
  }
  s->i++;
  a->t += (uint64_t)tg_rng_exp(&a->rng, s->mean_gap_ns) + 1;
  return true;
}

static void scan_fini(tg_gen_t *g, tg_actor_t *a) {
  scan_t *s = (scan_t *)a;
  tg_truth_append(g, s->row, ";probed=%u;open=%u;closed=%u;silent=%u", s->i,
                  s->open, s->closed, s->silent);
  free(s->grid_ports);
}

int tg_scan_run(tg_gen_t *g, const tg_host_t *src, const tg_host_t *dst,
                uint32_t hosts, uint32_t ports, double rate, uint64_t at,
                int row) {
  (void)dst;
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: the scanner needs --hosts >= 1\n");
    return -1;
  }
  if (hosts > g->net.nclients)
    hosts = g->net.nclients;
  scan_t *s = calloc(1, sizeof *s);
  if (!s)
    return -1;
  s->grid_ports = calloc(ports, sizeof *s->grid_ports);
  if (!s->grid_ports) {
    free(s);
    return -1;
  }
  s->a.step = scan_step;
  s->a.fini = scan_fini;
  s->a.cls = -1;
  tg_rng_fork(&g->rng, &s->a.rng);
  s->type = S_SYN;
  s->family = 4;
  s->src = *src;
  s->sport = (uint16_t)tg_rng_range(&s->a.rng, 32768, 65000);
  s->mean_gap_ns = 1e9 / rate;
  s->p_filtered = 0;
  s->grid_hosts = hosts;
  for (uint32_t k = 0; k < ports; k++)
    s->grid_ports[k] = vertical_port(s, k);
  s->count = hosts * ports;
  s->row = row;
  tg_sched_add(g, &s->a, at);
  return 0;
}

int tg_atk_scan(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns,
                bool vertical) {
  static const char *const types[] = {"syn",  "connect", "fin",
                                      "null", "xmas",    "udp"};
  const char *type = tg_opt_str(o, "type", "syn");
  int t = -1;
  for (int i = 0; i < 6; i++)
    if (strcmp(type, types[i]) == 0)
      t = i;
  if (t < 0) {
    fprintf(stderr,
            "trafficgen: %s: unknown type '%s' (syn, connect, fin, "
            "null, xmas, udp)\n",
            o->kind, type);
    return -1;
  }
  uint64_t at, count, port, v6;
  double rate, p_open, p_filt;
  wd_addr_t src, dst;
  bool sset, dset;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "count", vertical ? 100 : 256, 1, vertical ? 65000 : 65536,
                 &count) ||
      tg_opt_double(o, "rate", vertical ? 200 : 100, 0.01, 1e6, &rate) ||
      tg_opt_u64(o, "port", t == S_UDP ? 161 : 3389, 1, 65535, &port) ||
      tg_opt_double(o, "open", 0.05, 0, 1, &p_open) ||
      tg_opt_double(o, "filtered", 0.2, 0, 1, &p_filt) ||
      tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) ||
      tg_opt_addr(o, "src", &src, &sset) || tg_opt_addr(o, "dst", &dst, &dset))
    return -1;
  scan_t *s = calloc(1, sizeof *s);
  if (!s)
    return -1;
  s->a.step = scan_step;
  s->a.fini = scan_fini;
  s->a.cls = -1;
  tg_rng_fork(&g->rng, &s->a.rng);
  s->vertical = vertical;
  s->type = t;
  s->count = (uint32_t)count;
  s->port = (uint16_t)port;
  s->sport = (uint16_t)tg_rng_range(&s->a.rng, 32768, 65000);
  s->mean_gap_ns = 1e9 / rate;
  s->p_open = p_open;
  s->p_filtered = p_filt;
  if (!sset)
    tg_default_attacker(vertical ? 1 : 2, v6 != 0, &src);
  s->family = wd_addr_is_v4(&src) ? 4 : 6;
  if (!dset) {
    if (vertical)
      dst = s->family == 6 ? g->net.servers[TG_SRV_PACS].a6
                           : g->net.servers[TG_SRV_PACS].a4;
    else if (s->family == 6)
      tg_netmodel_internal(0, true, &dst); /* 2001:db8:20:1::100 on */
    else {
      static const uint8_t first[4] = {10, 20, 1, 1};
      wd_addr_from_v4(&dst, first);
    }
  }
  if (wd_addr_is_v4(&dst) != (s->family == 4)) {
    fprintf(stderr, "trafficgen: %s: src and dst families differ\n", o->kind);
    free(s);
    return -1;
  }
  tg_netmodel_host_for(g, &src, &s->src);
  char detail[64];
  if (vertical) {
    tg_netmodel_host_for(g, &dst, &s->target);
    snprintf(detail, sizeof detail, "ports=%u", (unsigned)count);
  } else {
    s->base = dst;
    snprintf(detail, sizeof detail, "port=%u;hosts=%u", (unsigned)port,
             (unsigned)count);
  }
  /* many SYNs from one source are a scan, never also a SYN flood */
  s->row =
      tg_truth_add(g, vertical ? "scan-vertical" : "scan-horizontal",
                   vertical ? "scan.vertical" : "scan.horizontal", &src,
                   vertical ? &dst : NULL,
                   "type=%s;%s;rate=%g;not=ddos.syn-flood", type, detail, rate);
  if (s->row < 0) {
    free(s);
    return -1;
  }
  tg_sched_add(g, &s->a, at);
  return 0;
}
