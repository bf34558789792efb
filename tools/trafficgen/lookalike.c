/* lookalike.c -- benign traffic that resembles an attack, injected with
 * --benign KIND[:key=value,...] at known times: bulk DICOM stores, backup
 * jobs and VM snapshots (flood look-alikes), a busy resolver and its
 * recursion (scan / amplification look-alikes), busy mDNS / SSDP / NTP,
 * many SMB logons with a few mistyped passwords and the Kerberos
 * pre-authentication dance (brute-force look-alikes), the hospital's own
 * vulnerability scanner (a real scan, exempt by configuration), a wanted
 * upload to the backup provider (exfiltration look-alike, exempt by
 * configuration), long SSH and RDP administration sessions, telephone
 * calls and QUIC.
 * Each gives one truth row with detector "none": no alert may name its
 * source and target while it runs (rows with exempt= only when the
 * configuration exempts that address). In: options. Out: actors, rows. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "tg.h"

static int family_of(const wd_addr_t *a) { return wd_addr_is_v4(a) ? 4 : 6; }

static const wd_addr_t *prim(const tg_host_t *h, int fam) {
  return fam == 6 ? &h->a6 : &h->a4;
}

/* Address option with a default server or address text; *fam (if given)
 * gets the family of the address. */
static int host_opt(tg_gen_t *g, tg_attack_opt_t *o, const char *key,
                    int def_srv, const char *def_addr, tg_host_t *out,
                    int *fam) {
  wd_addr_t a;
  bool set;
  if (tg_opt_addr(o, key, &a, &set))
    return -1;
  if (!set) {
    if (def_addr) {
      if (wd_addr_parse(def_addr, &a) != WD_OK)
        return -1;
    } else {
      a = g->net.servers[def_srv].a4;
    }
  }
  tg_netmodel_host_for(g, &a, out);
  if (fam)
    *fam = family_of(&a);
  return 0;
}

static tg_tag_t tag_of(int row) {
  tg_tag_t t = {{(int16_t)row, -1}};
  return t;
}

/* ---- bulk: dicom, backup-job, vm-snapshot, wanted-upload --------------- */
static int bulk(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns, int which) {
  static const struct {
    const char *kind;
    int src;
    int dst; /* server, or -1: def_dst */
    const char *def_dst;
    uint16_t port;
    double mbps;
    const char *size;
  } d[] = {
      {"dicom", TG_SRV_MODALITY, TG_SRV_PACS, NULL, 104, 700, NULL},
      {"backup-job", TG_SRV_BACKUP, TG_SRV_NAS, NULL, 445, 900, "2G"},
      {"vm-snapshot", TG_SRV_HYPERV, TG_SRV_NAS, NULL, 445, 2000, "4G"},
      {"wanted-upload", TG_SRV_BACKUP, -1, "81.2.69.195", 443, 0, "1G"},
  };
  tg_host_t src, dst;
  uint64_t at, bytes = 0, port;
  double mbps, duration;
  int fam, dfam;
  if (host_opt(g, o, "src", d[which].src, NULL, &src, &fam) ||
      host_opt(g, o, "dst", d[which].dst, d[which].def_dst, &dst, &dfam) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_double(o, "duration",
                    which == 0   ? 20
                    : which == 3 ? 300
                                 : 0,
                    0, 86400, &duration) ||
      tg_opt_double(o, "rate", d[which].mbps, 0, 100000, &mbps) ||
      tg_opt_u64(o, "port", d[which].port, 1, 65535, &port) ||
      tg_opt_bytes(o, "size", d[which].size ? d[which].size : "0", &bytes))
    return -1;
  if (which == 0 && bytes == 0) /* DICOM: rate x duration */
    bytes = (uint64_t)(mbps * 1e6 / 8 * duration);
  if (mbps == 0 && duration > 0) /* upload: size in duration */
    mbps = (double)bytes * 8 / duration / 1e6 * 1.03;
  if (bytes == 0) {
    fprintf(stderr, "trafficgen: %s: size= or duration= must give bytes\n",
            o->kind);
    return -1;
  }
  if (fam != dfam) {
    fprintf(stderr, "trafficgen: %s: src and dst must be of one family\n",
            o->kind);
    return -1;
  }
  bool internal = dst.internal;
  char exempt[WD_ADDR_STRLEN + 16] = "";
  if (which == 3) {
    char ds[WD_ADDR_STRLEN];
    wd_addr_str(prim(&dst, fam), ds);
    snprintf(exempt, sizeof exempt, ";exempt=%s", ds);
  }
  int row =
      tg_truth_add(g, d[which].kind, "none", prim(&src, fam), prim(&dst, fam),
                   "lookalike=%s;port=%u;bytes=%llu;mbit_s=%.0f%s",
                   which == 0   ? "bulk-dicom"
                   : which == 3 ? "exfiltration"
                                : "bulk",
                   (unsigned)port, (unsigned long long)bytes, mbps, exempt);
  if (row < 0)
    return -1;
  tg_tcp_t *s;
  if (which == 0) {
    s = tg_bulk_session(g, &g->rng, TG_BULK_DICOM, &src, &dst, fam,
                        (uint16_t)port, bytes, mbps, NULL);
  } else if (internal && port == 445) {
    tg_smb_opts_t so;
    memset(&so, 0, sizeof so);
    so.mode = TG_SMB_SNAPSHOT;
    so.bytes = bytes;
    so.user = which == 1 ? "svc_backup" : "svc_hyperv";
    s = tg_smb2_session(g, &g->rng, &so, &src, &dst, fam);
    if (s && mbps > 0)
      s->gap_ns = (uint64_t)((double)(s->mss + 40) * 8 * 1000 / mbps);
  } else {
    s = tg_bulk_session(g, &g->rng, TG_BULK_TLS_UP, &src, &dst, fam,
                        (uint16_t)port, bytes, mbps,
                        which == 3 ? "backup.offsite-archive.example"
                                   : "archive.backup-vendor.example");
  }
  if (!s)
    return -1;
  s->tag = tag_of(row);
  tg_tcp_start(g, s, at);
  return 0;
}

/* ---- a busy resolver ---------------------------------------------------- */
typedef struct burst {
  tg_actor_t a;
  int kind;
  int row;
  uint64_t end;
  double gap_ns;
  double miss;
  tg_host_t res;
  uint32_t done;
  int proto; /* lan-discovery: 0 all, 1 mdns, 2 ssdp, 3 ntp */
} burst_t;

enum { K_RESOLVER, K_LAN };

static const char *random_name(tg_rng_t *r, char *buf, size_t n) {
  /* many distinct names: cache misses go outside */
  static const char *const tld[] = {"com", "net", "org", "eu", "co.uk"};
  const char *pre = tg_rng_chance(r, 0.5) ? "cdn" : "img";
  unsigned num = (unsigned)tg_rng_below(r, 50000);
  snprintf(buf, n, "%s%u.%s", pre, num, tld[tg_rng_below(r, 5)]);
  return buf;
}

static void resolver_one(tg_gen_t *g, burst_t *b, uint64_t t) {
  tg_rng_t *r = &b->a.rng;
  tg_tag_t tag = tag_of(b->row);
  const tg_host_t *c = tg_netmodel_client(g, r);
  char nb[64];
  const char *name =
      tg_rng_chance(r, 0.6) ? tg_apps_domain(r) : random_name(r, nb, sizeof nb);
  uint16_t qt = tg_rng_chance(r, 0.6) ? 1 : tg_rng_chance(r, 0.7) ? 28 : 65;
  uint8_t q[300], a[1500];
  uint16_t qid = (uint16_t)tg_rng_next(r);
  size_t ql =
      tg_apps_dns_query(q, sizeof q, qid, name, qt, tg_rng_chance(r, 0.3));
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, &b->res, 4);
  tg_pkt_l3_from_hosts(&down, &b->res, c, 4);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  up.df = down.df = false;
  uint16_t cport = c->windows ? (uint16_t)tg_rng_range(r, 49152, 65535)
                              : (uint16_t)tg_rng_range(r, 32768, 60999);
  tg_pkt_udp(g, t, 0, tag, &up, cport, 53, q, ql);
  uint64_t ta = t + 2ULL * b->res.delay_ns + tg_rng_range(r, 30, 300) * TG_US;
  if (!strstr(name, "hospital.example") && tg_rng_chance(r, b->miss)) {
    /* recursion: .53 asks an outside server from a random port */
    const tg_host_t *ns = tg_netmodel_upstream_dns(g, r);
    uint8_t q2[300], a2[1500];
    size_t q2l = tg_apps_dns_query(q2, sizeof q2, (uint16_t)tg_rng_next(r),
                                   name, qt, true);
    tg_l3_t o, i;
    tg_pkt_l3_from_hosts(&o, &b->res, ns, 4);
    tg_pkt_l3_from_hosts(&i, ns, &b->res, 4);
    o.ipid = (uint16_t)tg_rng_next(r);
    i.ipid = (uint16_t)tg_rng_next(r);
    o.df = i.df = false;
    uint16_t rport = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint64_t t1 = t + 2ULL * b->res.delay_ns + 50 * TG_US;
    tg_pkt_udp(g, t1, 0, tag, &o, rport, 53, q2, q2l);
    /* now and then a big signed answer (DNSSEC, long TXT): up to the
     * 1232 bytes EDNS allows, never fragmented */
    int answers = tg_rng_chance(r, 0.03) ? 6 : 1 + (int)tg_rng_below(r, 4);
    tg_rng_t ar, ar2; /* the same records reach the client */
    tg_rng_fork(r, &ar);
    ar2 = ar;
    size_t a2l =
        tg_apps_dns_answer(a2, sizeof a2, q2, q2l, answers, &ar, false);
    uint64_t t2 = t1 + 2ULL * ns->delay_ns + tg_rng_range(r, 50, 3000) * TG_US;
    tg_pkt_udp(g, t2, 0, tag, &i, 53, rport, a2, a2l);
    size_t al = tg_apps_dns_answer(a, sizeof a, q, ql, answers, &ar2, false);
    tg_pkt_udp(g, t2 + 60 * TG_US, 0, tag, &down, 53, cport, a, al);
    return;
  }
  size_t al =
      tg_apps_dns_answer(a, sizeof a, q, ql, 1 + (int)tg_rng_below(r, 4), r,
                         strncmp(name, "wpad", 4) == 0);
  tg_pkt_udp(g, ta, 0, tag, &down, 53, cport, a, al);
}

static void lan_one(tg_gen_t *g, burst_t *b, uint64_t t) {
  tg_rng_t *r = &b->a.rng;
  tg_tag_t tag = tag_of(b->row);
  int p = b->proto ? b->proto : 1 + (int)tg_rng_below(r, 3);
  if (p == 1) {
    const tg_host_t *c = tg_netmodel_client(g, r);
    tg_disc_mdns(g, r, t, tag, c, tg_rng_chance(r, 0.3));
  } else if (p == 2) {
    if (tg_rng_chance(r, 0.7))
      tg_disc_ssdp(g, r, t, tag, tg_netmodel_client(g, r));
    else
      tg_disc_notify(g, r, t, tag);
  } else {
    tg_disc_ntp(g, r, t, tag, tg_netmodel_client(g, r));
  }
}

static bool burst_step(tg_gen_t *g, tg_actor_t *a) {
  burst_t *b = (burst_t *)a;
  uint64_t horizon = a->t + TG_MS;
  uint64_t t = a->t;
  for (int n = 0; n < 256 && t < horizon; n++) {
    if (t >= b->end)
      return false;
    if (b->kind == K_RESOLVER)
      resolver_one(g, b, t);
    else
      lan_one(g, b, t);
    b->done++;
    t += (uint64_t)tg_rng_exp(&a->rng, b->gap_ns) + 1;
  }
  a->t = t;
  return t < b->end;
}

static void burst_fini(tg_gen_t *g, tg_actor_t *a) {
  burst_t *b = (burst_t *)a;
  tg_truth_append(g, b->row, ";exchanges=%u", b->done);
}

static int burst(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns, int kind) {
  burst_t *b = calloc(1, sizeof *b);
  if (!b)
    return -1;
  uint64_t at;
  double rate, duration;
  const char *proto = kind == K_LAN ? tg_opt_str(o, "proto", "all") : "dns";
  if (host_opt(g, o, "resolver", TG_SRV_DNS1, NULL, &b->res, NULL) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_double(o, "rate", kind == K_RESOLVER ? 3000 : 300, 1, 1e6,
                    &rate) ||
      tg_opt_double(o, "duration", 10, 0.01, 86400, &duration) ||
      tg_opt_double(o, "miss", 0.3, 0, 1, &b->miss)) {
    free(b);
    return -1;
  }
  if (kind == K_LAN) {
    static const char *const p[] = {"all", "mdns", "ssdp", "ntp"};
    b->proto = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(proto, p[i]) == 0)
        b->proto = i;
    if (b->proto < 0) {
      fprintf(stderr,
              "trafficgen: lan-discovery: proto=%s: expected all, mdns, ssdp "
              "or ntp\n",
              proto);
      free(b);
      return -1;
    }
  }
  b->kind = kind;
  b->a.step = burst_step;
  b->a.fini = burst_fini;
  b->a.cls = -1;
  tg_rng_fork(&g->rng, &b->a.rng);
  b->gap_ns = 1e9 / rate;
  b->end = at + (uint64_t)(duration * 1e9);
  if (kind == K_RESOLVER)
    b->row = tg_truth_add(g, "busy-resolver", "none", &b->res.a4, NULL,
                          "lookalike=scan|amplification;queries_s=%g;"
                          "duration=%g;miss=%g",
                          rate, duration, b->miss);
  else
    b->row = tg_truth_add(g, "lan-discovery", "none", NULL, NULL,
                          "lookalike=amplification;proto=%s;exchanges_s=%g;"
                          "duration=%g",
                          proto, rate, duration);
  if (b->row < 0) {
    free(b);
    return -1;
  }
  tg_sched_add(g, &b->a, at);
  return 0;
}

/* ---- logons: SMB, Kerberos ---------------------------------------------- */
typedef struct logons {
  tg_actor_t a;
  int kind; /* 0 smb, 1 kerberos */
  int row;
  uint32_t left, n, typos_done;
  double gap_ns, typos, smb1;
  tg_host_t server;
} logons_t;

static bool logons_step(tg_gen_t *g, tg_actor_t *a) {
  logons_t *l = (logons_t *)a;
  tg_rng_t *r = &a->rng;
  if (l->left == 0)
    return false;
  l->left--;
  l->n++;
  const tg_host_t *c = tg_netmodel_client(g, r);
  int typos = tg_rng_chance(r, l->typos) ? 1 + (int)tg_rng_below(r, 2) : 0;
  if (typos)
    l->typos_done++;
  if (l->kind == 0) {
    tg_smb_opts_t o;
    memset(&o, 0, sizeof o);
    o.mode = TG_SMB_LOGON;
    o.typos = typos;
    tg_tcp_t *s = tg_smb2_session(g, r, &o, c, &l->server, 4);
    if (s) {
      s->tag = tag_of(l->row);
      tg_tcp_start(g, s, a->t);
    }
  } else {
    tg_krb_logon(g, r, a->t, tag_of(l->row), c, &l->server, NULL, typos, -1);
  }
  a->t += (uint64_t)tg_rng_exp(r, l->gap_ns) + 1;
  return true;
}

static void logons_fini(tg_gen_t *g, tg_actor_t *a) {
  logons_t *l = (logons_t *)a;
  tg_truth_append(g, l->row, ";logons=%u;with_typos=%u", l->n, l->typos_done);
}

static int logons(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns, int kind) {
  logons_t *l = calloc(1, sizeof *l);
  if (!l)
    return -1;
  uint64_t at, count;
  double rate;
  if (host_opt(g, o, "server", kind == 0 ? TG_SRV_FS : TG_SRV_DC, NULL,
               &l->server, NULL) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "count", 200, 1, 1000000, &count) ||
      tg_opt_double(o, "rate", 20, 0.01, 100000, &rate) ||
      tg_opt_double(o, "typos", kind == 0 ? 0.05 : 0.03, 0, 1, &l->typos)) {
    free(l);
    return -1;
  }
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: %s needs --hosts >= 1\n", o->kind);
    free(l);
    return -1;
  }
  l->kind = kind;
  l->left = (uint32_t)count;
  l->gap_ns = 1e9 / rate;
  l->a.step = logons_step;
  l->a.fini = logons_fini;
  l->a.cls = -1;
  tg_rng_fork(&g->rng, &l->a.rng);
  l->row = tg_truth_add(
      g, kind == 0 ? "smb-logons" : "kerberos-logons", "none", NULL,
      &l->server.a4,
      kind == 0 ? "lookalike=brute-force;status=STATUS_LOGON_FAILURE;"
                  "typo_share=%g"
                : "lookalike=brute-force;error=KDC_ERR_PREAUTH_REQUIRED;"
                  "typo_share=%g",
      l->typos);
  if (l->row < 0) {
    free(l);
    return -1;
  }
  tg_sched_add(g, &l->a, at);
  return 0;
}

/* ---- the hospital's vulnerability scanner -------------------------------- */
static int vuln_scanner(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  tg_host_t src;
  uint64_t at, hosts, ports;
  double rate;
  if (host_opt(g, o, "src", TG_SRV_SCANNER, NULL, &src, NULL) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "hosts", 40, 1, 30000, &hosts) ||
      tg_opt_u64(o, "ports", 60, 1, 65000, &ports) ||
      tg_opt_double(o, "rate", 400, 1, 1e6, &rate))
    return -1;
  char s[WD_ADDR_STRLEN];
  wd_addr_str(&src.a4, s);
  int row = tg_truth_add(g, "vuln-scanner", "none", &src.a4, NULL,
                         "lookalike=scan.horizontal|scan.vertical;hosts=%u;"
                         "ports=%u;rate=%g;exempt=%s",
                         (unsigned)hosts, (unsigned)ports, rate, s);
  if (row < 0)
    return -1;
  /* a sweep of one port over the workstations, then each of the first
   * hosts port by port, as scanners do after host discovery */
  return tg_scan_run(g, &src, NULL, (uint32_t)hosts, (uint32_t)ports, rate, at,
                     row);
}

/* ---- administration sessions ----------------------------------------------
 */
static int admin(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, count;
  double window, length, ssh_share;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "count", 4, 1, 1000, &count) ||
      tg_opt_double(o, "window", 3600, 1, 86400 * 7, &window) ||
      tg_opt_double(o, "length", 1200, 10, 86400, &length) ||
      tg_opt_double(o, "ssh", 0.5, 0, 1, &ssh_share))
    return -1;
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: admin-sessions needs --hosts >= 1\n");
    return -1;
  }
  int row = tg_truth_add(g, "admin-sessions", "none", NULL, NULL,
                         "lookalike=brute-force|exfiltration;sessions=%u;"
                         "median_s=%g",
                         (unsigned)count, length);
  if (row < 0)
    return -1;
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  for (uint64_t i = 0; i < count; i++) {
    /* administrators sit at the first workstations */
    const tg_host_t *c =
        &g->net.clients[i % (g->net.nclients < 8 ? g->net.nclients : 8)];
    uint64_t t = at + (uint64_t)(tg_rng_unit(&r) * window * 1e9);
    double len = tg_rng_lognormal(&r, length, 0.6);
    tg_tcp_t *s;
    if (tg_rng_chance(&r, ssh_share)) {
      tg_ssh_opts_t so;
      memset(&so, 0, sizeof so);
      so.mode = TG_SSH_SHELL;
      so.think_ms = 900;
      so.idle_permille = 40;
      so.keystrokes = (uint32_t)(len / 2.6) + 20;
      static const int hosts[] = {TG_SRV_SSH, TG_SRV_EHR, TG_SRV_PORTAL};
      s = tg_ssh_session(g, &r, &so, c, &g->net.servers[hosts[i % 3]], 4);
    } else {
      static const int hosts[] = {TG_SRV_DC, TG_SRV_FS, TG_SRV_PACS};
      s = tg_rdp_session(g, &r, c, &g->net.servers[hosts[i % 3]], 4,
                         (uint64_t)(len * 1e9), 0);
      if (s)
        tg_rdp_set_end(s, t + (uint64_t)(len * 1e9));
    }
    if (!s)
      return -1;
    s->tag = tag_of(row);
    tg_tcp_start(g, s, t);
  }
  return 0;
}

/* ---- calls and QUIC ----------------------------------------------------- */
static int voip(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, calls;
  double length, window, ext;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "calls", 10, 1, 100000, &calls) ||
      tg_opt_double(o, "length", 120, 1, 86400, &length) ||
      tg_opt_double(o, "window", 10, 0, 86400, &window) ||
      tg_opt_double(o, "external", 0.4, 0, 1, &ext))
    return -1;
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: voip needs --hosts >= 1\n");
    return -1;
  }
  int row =
      tg_truth_add(g, "voip", "none", &g->net.servers[TG_SRV_PBX].a4, NULL,
                   "lookalike=volumetric;calls=%u;length_s=%g;pps=50",
                   (unsigned)calls, length);
  if (row < 0)
    return -1;
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  for (uint64_t i = 0; i < calls; i++) {
    const tg_host_t *c = tg_netmodel_client(g, &r);
    const tg_host_t *trunk = tg_rng_chance(&r, ext)
                                 ? &g->net.ext_ssh[4 + tg_rng_below(&r, 2)]
                                 : NULL;
    uint64_t t = at + (uint64_t)(tg_rng_unit(&r) * window * 1e9);
    if (tg_voip_call(g, &r, t, tag_of(row), c, trunk, (uint64_t)(length * 1e9),
                     false, -1))
      return -1;
  }
  return 0;
}

static int quic(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, sessions;
  double window;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "sessions", 40, 1, 1000000, &sessions) ||
      tg_opt_double(o, "window", 10, 0, 86400, &window))
    return -1;
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: quic needs --hosts >= 1\n");
    return -1;
  }
  int row = tg_truth_add(g, "quic", "none", NULL, NULL,
                         "lookalike=amplification|volumetric;sessions=%u",
                         (unsigned)sessions);
  if (row < 0)
    return -1;
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  for (uint64_t i = 0; i < sessions; i++) {
    const tg_host_t *c = tg_netmodel_client(g, &r);
    const tg_host_t *w = tg_netmodel_web(g, &r);
    uint64_t t = at + (uint64_t)(tg_rng_unit(&r) * window * 1e9);
    const char *sni = tg_apps_web_domain(&r);
    if (tg_quic_start(g, &r, t, tag_of(row), c, w, 4, sni,
                      (uint32_t)tg_rng_range(&r, 1, 6), 40000, -1))
      return -1;
  }
  return 0;
}

static const char *const kinds[] = {
    "dicom",         "backup-job",     "vm-snapshot", "wanted-upload",
    "busy-resolver", "lan-discovery",  "smb-logons",  "kerberos-logons",
    "vuln-scanner",  "admin-sessions", "voip",        "quic"};

int tg_look_run(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  const char *k = o->kind;
  for (int i = 0; i < 4; i++)
    if (strcmp(k, kinds[i]) == 0)
      return bulk(g, o, at_ns, i);
  if (strcmp(k, "busy-resolver") == 0)
    return burst(g, o, at_ns, K_RESOLVER);
  if (strcmp(k, "lan-discovery") == 0)
    return burst(g, o, at_ns, K_LAN);
  if (strcmp(k, "smb-logons") == 0)
    return logons(g, o, at_ns, 0);
  if (strcmp(k, "kerberos-logons") == 0)
    return logons(g, o, at_ns, 1);
  if (strcmp(k, "vuln-scanner") == 0)
    return vuln_scanner(g, o, at_ns);
  if (strcmp(k, "admin-sessions") == 0)
    return admin(g, o, at_ns);
  if (strcmp(k, "voip") == 0)
    return voip(g, o, at_ns);
  if (strcmp(k, "quic") == 0)
    return quic(g, o, at_ns);
  fprintf(stderr, "trafficgen: unknown --benign kind '%s' (", k);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    fprintf(stderr, "%s%s", i ? ", " : "", kinds[i]);
  fprintf(stderr, ")\n");
  return -1;
}
