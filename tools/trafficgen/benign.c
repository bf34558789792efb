/* benign.c -- the benign traffic of the simulated hospital, by class:
 * web (HTTP/80 and TLS/443 to outside), the intranet application (TLS),
 * the busy SMB file server, the backup server and the domain controller
 * connecting to 445 on the workstations (every one answers), Kerberos/LDAP
 * to the domain controller, DNS to two internal resolvers (which recurse
 * to outside servers on cache misses), SSH, NTP and ICMP echo, over IPv4
 * and IPv6. Each class has a share of --rate; its spawner starts sessions
 * as a Poisson process whose mean gap is (mean packets per session of the
 * class, measured once) / (rate * share), so that once sessions of every
 * length are in flight the total is near --rate (long sessions make the
 * first seconds somewhat quieter).
 * In: the network model. Out: TCP session actors and UDP/ICMP packets.
 * Memory: sessions are actors (freed by the scheduler); spawners live for
 * the whole run. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

enum {
  C_HTTP,
  C_TLS,
  C_TLS_INTRANET,
  C_SMB_FILES,
  C_SMB_BACKUP,
  C_SMB_DC,
  C_DC_SERVICES,
  C_DNS,
  C_SSH,
  C_NTP,
  C_ICMP,
  C_QUIC,
  C_RTP,
  C_DISCOVERY,
  C_COUNT
};

static const struct {
  const char *name;
  double share;    /* of the benign packet rate */
  double est_pkts; /* mean packets per session */
} cls_def[C_COUNT] = {
    /* packets per session measured over long runs of this generator */
    [C_HTTP] = {"http", 0.07, 160},
    [C_TLS] = {"tls", 0.20, 420},
    [C_TLS_INTRANET] = {"tls-intranet", 0.09, 400},
    [C_SMB_FILES] = {"smb-files", 0.21, 2000},
    [C_SMB_BACKUP] = {"smb-backup", 0.06, 700},
    [C_SMB_DC] = {"smb-dc", 0.02, 26},
    [C_DC_SERVICES] = {"dc-services", 0.04, 29},
    [C_DNS] = {"dns", 0.09, 2.5},
    [C_SSH] = {"ssh", 0.05, 570},
    [C_NTP] = {"ntp", 0.02, 2},
    [C_ICMP] = {"icmp", 0.02, 8},
    [C_QUIC] = {"quic", 0.05, 330},
    [C_RTP] = {"rtp", 0.04, 7000},
    [C_DISCOVERY] = {"discovery", 0.005, 2.8},
};

/* The hard benchmark's mix (--profile bench-hard): many short flows (DNS,
 * QUIC, calls), heavy SMB2 and TLS for the large frames. */
static const double hard_share[C_COUNT] = {
    [C_HTTP] = 0.04,        [C_TLS] = 0.26,        [C_TLS_INTRANET] = 0.04,
    [C_SMB_FILES] = 0.24,   [C_SMB_BACKUP] = 0.05, [C_SMB_DC] = 0.01,
    [C_DC_SERVICES] = 0.02, [C_DNS] = 0.14,        [C_SSH] = 0.01,
    [C_NTP] = 0.015,        [C_ICMP] = 0.008,      [C_QUIC] = 0.08,
    [C_RTP] = 0.06,         [C_DISCOVERY] = 0.008,
};

static int pick_family(tg_rng_t *r, const tg_host_t *a, const tg_host_t *b,
                       double p6) {
  return (a->has6 && b->has6 && tg_rng_chance(r, p6)) ? 6 : 4;
}

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static uint32_t clamp_u32(double x, double lo, double hi) {
  if (x < lo)
    x = lo;
  if (x > hi)
    x = hi;
  return (uint32_t)x;
}

/* ---- HTTP ------------------------------------------------------------- */
/* app_u64: [0] phase (0 request, 1 response), [1] requests left, [2] host */
static bool http_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  tg_rng_t *r = &s->a.rng;
  const char *host = (const char *)(uintptr_t)s->app_u64[2];
  if (s->app_u64[0] == 0) {
    if (s->app_u64[1] == 0)
      return false;
    bool first = s->app_u64[3]++ == 0;
    s->app_u64[0] = 1;
    return tg_apps_http_req(m, host, r, first ? 0 : ms(tg_rng_exp(r, 1500)));
  }
  s->app_u64[0] = 0;
  s->app_u64[1]--;
  uint32_t body = clamp_u32(tg_rng_lognormal(r, 9000, 1.7), 120, 6e6);
  return tg_apps_http_resp(m, body, r, ms(tg_rng_range(r, 3, 90)));
}

/* ---- TLS -------------------------------------------------------------- */
/* app_u64: [0] phase, [1] exchanges left, [2] SNI, [3] response bytes left,
 * [4] median response size, [5] mean user think (ms) */
static bool tls_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  tg_rng_t *r = &s->a.rng;
  uint64_t *u = s->app_u64;
  switch (u[0]) {
  case 0:
    u[0] = 1;
    return tg_apps_tls_client_hello(m, (const char *)(uintptr_t)u[2], r);
  case 1:
    u[0] = 2;
    return tg_apps_tls_server_hello(m, r, ms(tg_rng_range(r, 1, 25)));
  case 2: {
    if (u[1] == 0) { /* close_notify, then the connection closes */
      u[0] = 4;
      return tg_apps_tls_record(m, TG_C2S, 19, ms(tg_rng_exp(r, 800)));
    }
    bool first = u[6]++ == 0;
    uint32_t req = (uint32_t)tg_rng_range(r, 180, 1400) + (first ? 74 : 0);
    u[3] = clamp_u32(tg_rng_lognormal(r, (double)u[4], 1.6), 60, 12e6);
    u[0] = 3;
    return tg_apps_tls_record(m, TG_C2S, req,
                              first ? 0 : ms(tg_rng_exp(r, (double)u[5])));
  }
  case 3: {
    uint32_t len = u[3] > 16384 ? 16384 : (uint32_t)u[3];
    bool first = u[7] == 0;
    u[3] -= len;
    u[7] = u[3] ? 1 : 0;
    if (u[3] == 0) {
      u[1]--;
      u[0] = 2;
    }
    return tg_apps_tls_record(m, TG_S2C, len + 17,
                              first ? ms(tg_rng_range(r, 2, 60)) : 0);
  }
  default:
    return false;
  }
}

/* ---- SMB2 sessions (smb_session.c) ------------------------------------ */
static tg_tcp_t *smb_session(tg_gen_t *g, tg_rng_t *r, int mode,
                             const tg_host_t *client, const tg_host_t *server,
                             int family) {
  tg_smb_opts_t o;
  memset(&o, 0, sizeof o);
  o.mode = mode;
  /* now and then a user mistypes the password once (STATUS_LOGON_FAILURE,
   * then the right one): normal, never an attack */
  if (mode == TG_SMB_FILES && tg_rng_chance(r, 0.02))
    o.typos = 1;
  return tg_smb2_session(g, r, &o, client, server, family);
}

/* ---- LDAP --------------------------------------------------------------- */
/* app_u64: [0] searches left, [1] phase, [3] message id */
static bool ldap_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  bool rsp = u[1] == 1;
  if (!rsp && u[0] == 0)
    return false;
  uint8_t buf[4096];
  size_t n, oo = 0, ol = 0;
  uint32_t id = (uint32_t)u[3] + 1;
  char dn[128], who[48];
  uint32_t k = (uint32_t)tg_rng_below(r, g->net.nclients ? g->net.nclients : 1);
  tg_apps_user(k, who, sizeof who);
  if (rsp) {
    snprintf(dn, sizeof dn, "CN=%s,OU=Staff,DC=hospital,DC=example", who);
    n = tg_ldap_search_res(buf, sizeof buf, id, dn,
                           (size_t)tg_rng_range(r, 40, 3600), r, &oo, &ol);
  } else {
    n = tg_ldap_search_req(buf, sizeof buf, id, "DC=hospital,DC=example",
                           "sAMAccountName", who);
  }
  u[1] = rsp ? 0 : 1;
  if (rsp) {
    u[0]--;
    u[3]++;
  }
  if (!ol)
    oo = n;
  return tg_tcp_msg_bytes(
      m, rsp ? TG_S2C : TG_C2S,
      rsp ? ms(0.2 + tg_rng_unit(r)) : ms(tg_rng_exp(r, 30)), buf, n, oo, ol);
}

/* ---- session spawning --------------------------------------------------- */
void tg_benign_start_tcp(tg_gen_t *g, tg_tcp_t *s, int cls, uint64_t t) {
  s->a.cls = cls;
  if (cls >= 0) {
    g->live_sessions++;
    g->cls[cls].sessions++;
  }
  tg_tcp_start(g, s, t);
}

static void start_tcp(tg_gen_t *g, tg_tcp_t *s, int cls) {
  tg_benign_start_tcp(g, s, cls,
                      tg_sched_now + tg_rng_below(&s->a.rng, 200) * TG_US);
}

static void spawn_tcp(tg_gen_t *g, int cls, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  const tg_host_t *c = tg_netmodel_client(g, r);
  tg_tcp_t *s = NULL;
  switch (cls) {
  case C_HTTP: {
    const tg_host_t *w = tg_netmodel_web(g, r);
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, w, pick_family(r, c, w, 0.5), 80);
    s->next = http_next;
    s->app_u64[1] = tg_rng_range(r, 1, 6);
    s->app_u64[2] = (uintptr_t)tg_apps_web_domain(r);
    s->close = tg_rng_chance(r, 0.2) ? TG_CLOSE_RST_C : TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_exp(r, 2500));
    break;
  }
  case C_TLS:
  case C_TLS_INTRANET: {
    bool intra = cls == C_TLS_INTRANET;
    const tg_host_t *w =
        intra ? &n->servers[TG_SRV_EHR] : tg_netmodel_web(g, r);
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, w, pick_family(r, c, w, intra ? 0.3 : 0.5), 443);
    s->next = tls_next;
    s->app_u64[1] = intra ? tg_rng_range(r, 3, 25) : tg_rng_range(r, 1, 8);
    s->app_u64[2] =
        (uintptr_t)(intra ? "ehr.hospital.example" : tg_apps_web_domain(r));
    s->app_u64[4] = intra ? 7000 : 22000;
    s->app_u64[5] = intra ? 4000 : 1200;
    s->close = tg_rng_chance(r, 0.1)   ? TG_CLOSE_RST_C
               : tg_rng_chance(r, 0.3) ? TG_CLOSE_FIN_S
                                       : TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_exp(r, 1500));
    break;
  }
  case C_SMB_FILES: {
    const tg_host_t *fs = &n->servers[TG_SRV_FS];
    s = smb_session(g, r, TG_SMB_FILES, c, fs, pick_family(r, c, fs, 0.4));
    break;
  }
  case C_SMB_BACKUP:
  case C_SMB_DC: {
    /* sweep the workstations in order, as backup and inventory jobs do */
    const tg_host_t *src =
        &n->servers[cls == C_SMB_BACKUP ? TG_SRV_BACKUP : TG_SRV_DC];
    uint64_t k = g->cls[cls].sessions;
    const tg_host_t *dst =
        &n->clients[(k * (cls == C_SMB_BACKUP ? 1 : 7)) % n->nclients];
    s = smb_session(g, r, cls == C_SMB_BACKUP ? TG_SMB_BACKUP : TG_SMB_DC, src,
                    dst, 4);
    break;
  }
  case C_DC_SERVICES: {
    const tg_host_t *dc = &n->servers[TG_SRV_DC];
    double u = tg_rng_unit(r);
    if (u < 0.25) {
      s = smb_session(g, r, TG_SMB_SYSVOL, c, dc, 4);
      break;
    }
    if (u < 0.6) { /* a logon: the Kerberos pre-authentication dance */
      int typos = tg_rng_chance(r, 0.02) ? 1 : 0;
      tg_krb_logon(g, r, tg_sched_now + tg_rng_below(r, 200) * TG_US, TG_NOTAG,
                   c, dc, NULL, typos, cls);
      return;
    }
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, dc, 4, 389);
    s->next = ldap_next;
    s->app_u64[0] = tg_rng_range(r, 1, 5);
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(r, 1, 50));
    break;
  }
  case C_SSH: {
    bool ext = tg_rng_chance(r, 0.3);
    const tg_host_t *srv =
        ext ? &n->ext_ssh[tg_rng_below(r, 8)] : &n->servers[TG_SRV_SSH];
    tg_ssh_opts_t o;
    memset(&o, 0, sizeof o);
    o.mode = TG_SSH_SHELL;
    o.keystrokes = (uint32_t)tg_rng_range(r, 5, 120);
    if (tg_rng_chance(r, 0.12))
      o.bulk = clamp_u32(tg_rng_lognormal(r, 2e6, 1.0), 1e4, 4e7);
    s = tg_ssh_session(g, r, &o, c, srv, pick_family(r, c, srv, 0.5));
    break;
  }
  default:
    return;
  }
  if (s)
    start_tcp(g, s, cls);
}

static void count_udp(tg_gen_t *g, int cls, uint32_t pkts) {
  g->cls[cls].sessions++;
  tg_benign_session_done(g, cls, pkts);
}

static void spawn_dns(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *c = tg_netmodel_client(g, r);
  const tg_host_t *res =
      &n->servers[tg_rng_chance(r, 0.75) ? TG_SRV_DNS1 : TG_SRV_DNS2];
  int fam = pick_family(r, c, res, 0.3);
  const char *name = tg_apps_domain(r);
  double u = tg_rng_unit(r);
  uint16_t qtype = u < 0.55 ? 1 : u < 0.85 ? 28 : u < 0.95 ? 65 : 12;
  if (strncmp(name, "_ldap", 5) == 0)
    qtype = 33;
  uint8_t q[512], a[1500];
  uint16_t id = (uint16_t)tg_rng_next(r);
  size_t ql = tg_apps_dns_query(q, sizeof q, id, name, qtype, false);
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, res, fam);
  tg_pkt_l3_from_hosts(&down, res, c, fam);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = (uint16_t)tg_rng_range(r, 49152, 65535);
  tg_pkt_udp(g, t, 0, TG_NOTAG, &up, cport, 53, q, ql);
  uint32_t pkts = 1;
  bool internal = strstr(name, "hospital.example") != NULL;
  bool nx = strncmp(name, "wpad", 4) == 0;
  uint64_t ta = t + 2ULL * res->delay_ns + tg_rng_range(r, 40, 400) * TG_US;
  if (!internal && tg_rng_chance(r, 0.3)) { /* cache miss: recurse */
    const tg_host_t *up_srv = tg_netmodel_upstream_dns(g, r);
    uint8_t q2[512], a2[1500];
    uint16_t id2 = (uint16_t)tg_rng_next(r);
    size_t q2l = tg_apps_dns_query(q2, sizeof q2, id2, name, qtype, true);
    tg_l3_t o, i;
    tg_pkt_l3_from_hosts(&o, res, up_srv, 4);
    tg_pkt_l3_from_hosts(&i, up_srv, res, 4);
    o.ipid = (uint16_t)tg_rng_next(r);
    i.ipid = (uint16_t)tg_rng_next(r);
    uint16_t rport = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint64_t t1 = t + 2ULL * res->delay_ns + 60 * TG_US;
    tg_pkt_udp(g, t1, 0, TG_NOTAG, &o, rport, 53, q2, q2l);
    int answers = 1 + (int)tg_rng_below(r, 4);
    /* the resolver passes on what it was told: same records both ways */
    tg_rng_t ar, ar2;
    tg_rng_fork(r, &ar);
    ar2 = ar;
    size_t a2l =
        tg_apps_dns_answer(a2, sizeof a2, q2, q2l, answers, &ar, false);
    uint64_t t2 =
        t1 + 2ULL * up_srv->delay_ns + tg_rng_range(r, 50, 3000) * TG_US;
    tg_pkt_udp(g, t2, 0, TG_NOTAG, &i, 53, rport, a2, a2l);
    size_t al0 = tg_apps_dns_answer(a, sizeof a, q, ql, answers, &ar2, nx);
    tg_pkt_udp(g, t2 + 80 * TG_US, 0, TG_NOTAG, &down, 53, cport, a, al0);
    count_udp(g, C_DNS, pkts + 3);
    return;
  }
  int answers = qtype == 33 ? 2 : 1 + (int)tg_rng_below(r, 4);
  size_t al = tg_apps_dns_answer(a, sizeof a, q, ql, answers, r, nx);
  tg_pkt_udp(g, ta, 0, TG_NOTAG, &down, 53, cport, a, al);
  pkts++;
  count_udp(g, C_DNS, pkts);
}

static void spawn_ntp(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *dc = &n->servers[TG_SRV_DC];
  const tg_host_t *c = dc, *srv;
  if (tg_rng_chance(r, 0.85)) {
    c = tg_netmodel_client(g, r);
    srv = dc;
  } else {
    srv = &n->ext_ntp[tg_rng_below(r, 4)];
  }
  uint8_t p[64];
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, srv, 4);
  tg_pkt_l3_from_hosts(&down, srv, c, 4);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = c->windows && c != dc ? 123 : 123;
  size_t l = tg_apps_ntp(p, sizeof p, 3, t, r);
  tg_pkt_udp(g, t, 0, TG_NOTAG, &up, cport, 123, p, l);
  uint64_t t1 = t + 2ULL * srv->delay_ns + tg_rng_range(r, 20, 300) * TG_US;
  l = tg_apps_ntp(p, sizeof p, 4, t1, r);
  tg_pkt_udp(g, t1, 0, TG_NOTAG, &down, 123, cport, p, l);
  count_udp(g, C_NTP, 2);
}

static void spawn_icmp(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *c = tg_netmodel_client(g, r);
  const tg_host_t *dst = tg_rng_chance(r, 0.6)
                             ? &n->servers[tg_rng_below(r, TG_SRV_CLASSIC)]
                             : tg_netmodel_web(g, r);
  int fam = pick_family(r, c, dst, 0.3);
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, dst, fam);
  tg_pkt_l3_from_hosts(&down, dst, c, fam);
  uint8_t pl[56];
  size_t pll;
  if (c->windows) {
    memcpy(pl, "abcdefghijklmnopqrstuvwabcdefghi", 32);
    pll = 32;
  } else {
    for (int i = 0; i < 56; i++)
      pl[i] = i < 8 ? (uint8_t)tg_rng_next(r) : (uint8_t)(0x08 + i);
    pll = 56;
  }
  uint16_t id = (uint16_t)tg_rng_next(r);
  int count = 4;
  uint8_t req = fam == 6 ? 128 : 8, rep = fam == 6 ? 129 : 0;
  uint16_t ipid = (uint16_t)tg_rng_next(r), ipid2 = (uint16_t)tg_rng_next(r);
  for (int i = 0; i < count; i++) {
    uint64_t ti = t + (uint64_t)i * TG_NS + tg_rng_below(r, 3000) * TG_US;
    up.ipid = ipid++;
    down.ipid = ipid2++;
    uint32_t rest = ((uint32_t)id << 16) | (uint32_t)(i + 1);
    tg_pkt_icmp(g, ti, TG_NOTAG, &up, req, 0, rest, pl, pll);
    uint64_t tr = ti + 2ULL * dst->delay_ns + 30 * TG_US;
    tg_pkt_icmp(g, tr, TG_NOTAG, &down, rep, 0, rest, pl, pll);
  }
  count_udp(g, C_ICMP, (uint32_t)(2 * count));
}

/* ---- QUIC, calls, LAN chatter ------------------------------------------ */
static void spawn_quic(tg_gen_t *g, tg_rng_t *r) {
  const tg_host_t *c = tg_netmodel_client(g, r);
  const tg_host_t *w = tg_netmodel_web(g, r);
  uint64_t at = tg_sched_now + tg_rng_below(r, 200) * TG_US;
  int fam = pick_family(r, c, w, 0.5);
  const char *sni = tg_apps_web_domain(r);
  tg_quic_start(g, r, at, TG_NOTAG, c, w, fam, sni,
                (uint32_t)tg_rng_range(r, 1, 8), 20000, C_QUIC);
}

static uint64_t call_length(tg_rng_t *r) {
  double s = tg_rng_lognormal(r, 40, 0.8);
  return (uint64_t)((s < 4 ? 4 : s > 3600 ? 3600 : s) * (double)TG_NS);
}

static void spawn_call(tg_gen_t *g, tg_rng_t *r, bool in_progress) {
  const tg_host_t *c = tg_netmodel_client(g, r);
  /* two calls in five go outside, through the carrier's SIP trunk */
  const tg_host_t *trunk =
      tg_rng_chance(r, 0.4) ? &g->net.ext_ssh[4 + tg_rng_below(r, 2)] : NULL;
  uint64_t len = call_length(r);
  if (in_progress)
    len = (uint64_t)(tg_rng_unit(r) * (double)len) + TG_NS;
  tg_voip_call(g, r, tg_sched_now + tg_rng_below(r, 20000) * TG_US, TG_NOTAG, c,
               trunk, len, in_progress, C_RTP);
}

static void spawn_discovery(tg_gen_t *g, tg_rng_t *r) {
  uint64_t t = tg_sched_now;
  double u = tg_rng_unit(r);
  int n;
  if (u < 0.45) {
    const tg_host_t *c = tg_netmodel_client(g, r);
    n = tg_disc_mdns(g, r, t, TG_NOTAG, c, tg_rng_chance(r, 0.3));
  } else if (u < 0.8)
    n = tg_disc_ssdp(g, r, t, TG_NOTAG, tg_netmodel_client(g, r));
  else
    n = tg_disc_notify(g, r, t, TG_NOTAG);
  count_udp(g, C_DISCOVERY, (uint32_t)n);
}

/* ---- spawners ----------------------------------------------------------- */
typedef struct spawner {
  tg_actor_t a;
  int cls;
} spawner_t;

static uint64_t spawn_gap(tg_gen_t *g, spawner_t *sp) {
  tg_class_stat_t *c = &g->cls[sp->cls];
  double per_s = g->rate * c->share / c->avg_pkts; /* sessions per second */
  if (per_s <= 0)
    return UINT64_MAX / 4;
  double gap = tg_rng_exp(&sp->a.rng, 1e9 / per_s);
  return (uint64_t)gap + 1;
}

static bool spawner_step(tg_gen_t *g, tg_actor_t *a) {
  spawner_t *sp = (spawner_t *)a;
  if (g->live_sessions < TG_SESSIONS_MAX) {
    switch (sp->cls) {
    case C_DNS:
      spawn_dns(g, &a->rng);
      break;
    case C_NTP:
      spawn_ntp(g, &a->rng);
      break;
    case C_ICMP:
      spawn_icmp(g, &a->rng);
      break;
    case C_QUIC:
      spawn_quic(g, &a->rng);
      break;
    case C_RTP:
      spawn_call(g, &a->rng, false);
      break;
    case C_DISCOVERY:
      spawn_discovery(g, &a->rng);
      break;
    default:
      spawn_tcp(g, sp->cls, &a->rng);
      break;
    }
  } else {
    g->sessions_skipped++;
  }
  a->t += spawn_gap(g, sp);
  return true;
}

void tg_benign_session_done(tg_gen_t *g, int cls, uint32_t packets) {
  if (cls < 0 || cls >= C_COUNT)
    return;
  tg_class_stat_t *c = &g->cls[cls];
  c->packets += packets;
  c->ended++;
}

int tg_benign_setup(tg_gen_t *g) {
  if (g->rate <= 0 || g->net.nclients == 0)
    return 0;
  g->ncls = C_COUNT;
  double total = 0;
  const bool hard = g->mix == TG_MIX_HARD;
  for (int i = 0; i < C_COUNT; i++)
    total += hard ? hard_share[i] : cls_def[i].share;
  for (int i = 0; i < C_COUNT; i++) {
    g->cls[i].share = (hard ? hard_share[i] : cls_def[i].share) / total;
    g->cls[i].avg_pkts = cls_def[i].est_pkts;
    spawner_t *sp = calloc(1, sizeof *sp);
    if (!sp)
      return -1;
    sp->cls = i;
    sp->a.step = spawner_step;
    sp->a.cls = -1;
    tg_rng_fork(&g->rng, &sp->a.rng);
    tg_sched_add(g, &sp->a, g->start_ns + spawn_gap(g, sp) % TG_NS);
    if (i == C_RTP) {
      /* calls already running when the capture starts: as many as are
       * in progress on average (at least one when calls are a real part
       * of the mix) */
      double per_s = g->rate * g->cls[i].share; /* RTP packets per second */
      double live = per_s / 130.0;
      uint32_t k = (uint32_t)(live + tg_rng_unit(&sp->a.rng));
      if (k == 0 && per_s >= 20)
        k = 1;
      uint64_t now = tg_sched_now;
      tg_sched_now = g->start_ns;
      for (uint32_t j = 0; j < k && j < 2000; j++)
        spawn_call(g, &sp->a.rng, true);
      tg_sched_now = now;
    }
  }
  return 0;
}

void tg_benign_report(tg_gen_t *g) {
  for (int i = 0; i < g->ncls; i++)
    fprintf(stderr,
            "trafficgen: class %-13s sessions %8llu packets %10llu "
            "mean %.1f (assumed %.1f = %.1f)\n",
            cls_def[i].name, (unsigned long long)g->cls[i].sessions,
            (unsigned long long)g->cls[i].packets,
            g->cls[i].ended
                ? (double)g->cls[i].packets / (double)g->cls[i].ended
                : 0.0,
            g->cls[i].avg_pkts, cls_def[i].est_pkts);
}
