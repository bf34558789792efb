/* atk_misc.c -- attacks seen at the application edge:
 *   service-scan  version detection against one port (nmap -sV style):
 *                 many short connections, each waiting for a banner or
 *                 sending one probe that does not fit the port's protocol
 *                 (HTTP GET/OPTIONS, RTSP, an SSLv3 and a TLS hello, a Sun
 *                 RPC NULL call, DNS version.bind over TCP, bare CRLFs,
 *                 HELP, an X.224 request); the server answers or hangs up
 *   exfiltration  an inside host sending hundreds of MiB to one outside
 *                 address over TLS, little coming back
 *   c2-callback   a compromised host calling out to a new outside address:
 *                 periodic HTTPS beacons, or one raw TCP session (4444)
 *                 that first downloads a stage, then beacons
 *   intel         indicator hits: DNS queries for a listed domain (exact,
 *                 subdomain, mixed case), HTTP requests whose Host is the
 *                 domain (with a trailing dot too) or whose URL is listed,
 *                 a TLS ClientHello with the domain as SNI, a connection to
 *                 a listed address; near misses (same suffix, punycode
 *                 look-alike) get rows of detector none
 * In: options. Out: actors, truth rows. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "tg.h"

#define KILLSWITCH "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com"

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static int family_of(const wd_addr_t *a) { return wd_addr_is_v4(a) ? 4 : 6; }

static tg_tag_t tag1(int row) {
  tg_tag_t t = {{(int16_t)row, -1}};
  return t;
}

/* src=/dst= with defaults: an attacker index or a server / workstation. */
static int ends(tg_gen_t *g, tg_attack_opt_t *o, const char *skey,
                const char *dkey, int def_atk, int def_srv, bool def_client,
                tg_host_t *src, tg_host_t *dst, int *fam) {
  wd_addr_t s, d;
  bool sset, dset;
  if (tg_opt_addr(o, skey, &s, &sset) || tg_opt_addr(o, dkey, &d, &dset))
    return -1;
  if (!sset) {
    if (def_client) {
      if (g->net.nclients == 0) {
        fprintf(stderr, "trafficgen: %s needs --hosts >= 1\n", o->kind);
        return -1;
      }
      s = g->net.clients[tg_rng_below(&g->rng, g->net.nclients)].a4;
    } else {
      tg_default_attacker(def_atk, false, &s);
    }
  }
  if (!dset) {
    if (def_srv >= 0) {
      d = wd_addr_is_v4(&s) ? g->net.servers[def_srv].a4
                            : g->net.servers[def_srv].a6;
    } else {
      tg_rng_t r;
      tg_rng_fork(&g->rng, &r);
      if (wd_addr_is_v4(&s))
        tg_netmodel_public_v4(&r, &d);
      else
        tg_netmodel_public_v6(&r, &d);
    }
  }
  if (wd_addr_is_v4(&s) != wd_addr_is_v4(&d)) {
    fprintf(stderr, "trafficgen: %s: %s and %s must be of one family\n",
            o->kind, skey, dkey);
    return -1;
  }
  tg_netmodel_host_for(g, &s, src);
  tg_netmodel_host_for(g, &d, dst);
  *fam = family_of(&s);
  return 0;
}

static const wd_addr_t *prim(const tg_host_t *h, int fam) {
  return fam == 6 ? &h->a6 : &h->a4;
}

/* ---- service scan ------------------------------------------------------- */
enum {
  P_NULL,
  P_GET,
  P_OPTIONS,
  P_RTSP,
  P_CRLF,
  P_HELP,
  P_SSLV3,
  P_TLS,
  P_RPC,
  P_DNS,
  P_X224,
  P_COUNT
};

/* app_u64: [0] step, [1] probe, [2] port */
static size_t probe_bytes(int p, uint8_t *out, size_t cap, tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  switch (p) {
  case P_GET:
    tg_putstr(&b, "GET / HTTP/1.0\r\n\r\n");
    break;
  case P_OPTIONS:
    tg_putstr(&b, "OPTIONS / HTTP/1.0\r\n\r\n");
    break;
  case P_RTSP:
    tg_putstr(&b, "OPTIONS / RTSP/1.0\r\n\r\n");
    break;
  case P_CRLF:
    tg_putstr(&b, "\r\n\r\n");
    break;
  case P_HELP:
    tg_putstr(&b, "HELP\r\n");
    break;
  case P_SSLV3: { /* SSL 3.0 ClientHello (RFC 6101 5.6.1.2) */
    static const uint16_t cs[] = {0x0004, 0x0005, 0x000a, 0x0009, 0x0064,
                                  0x0062, 0x0003, 0x0006, 0x0013, 0x0012};
    uint8_t x[32];
    tg_put8(&b, 0x16);
    tg_put16be(&b, 0x0300);
    tg_put16be(&b, (uint16_t)(4 + 2 + 32 + 1 + 2 + 2 * 10 + 2));
    tg_put8(&b, 1);
    tg_put8(&b, 0);
    tg_put16be(&b, (uint16_t)(2 + 32 + 1 + 2 + 2 * 10 + 2));
    tg_put16be(&b, 0x0300);
    tg_rng_bytes(r, x, 32);
    tg_put(&b, x, 32);
    tg_put8(&b, 0);
    tg_put16be(&b, 20);
    for (int i = 0; i < 10; i++)
      tg_put16be(&b, cs[i]);
    tg_put8(&b, 1);
    tg_put8(&b, 0);
    break;
  }
  case P_TLS: { /* a TLS 1.2 ClientHello without extensions */
    uint8_t x[32];
    tg_put8(&b, 0x16);
    tg_put16be(&b, 0x0301);
    tg_put16be(&b, 4 + 2 + 32 + 1 + 2 + 8 + 2);
    tg_put8(&b, 1);
    tg_put8(&b, 0);
    tg_put16be(&b, 2 + 32 + 1 + 2 + 8 + 2);
    tg_put16be(&b, 0x0303);
    tg_rng_bytes(r, x, 32);
    tg_put(&b, x, 32);
    tg_put8(&b, 0);
    tg_put16be(&b, 8);
    tg_put16be(&b, 0xc02f);
    tg_put16be(&b, 0xc02b);
    tg_put16be(&b, 0x009c);
    tg_put16be(&b, 0x002f);
    tg_put8(&b, 1);
    tg_put8(&b, 0);
    break;
  }
  case P_RPC: /* ONC RPC v2 NULL call to the portmapper (RFC 5531) */
    tg_put32be(&b, 0x80000028u); /* record mark: last fragment, 40 bytes */
    tg_put32be(&b, (uint32_t)tg_rng_next(r));
    tg_put32be(&b, 0); /* CALL */
    tg_put32be(&b, 2);
    tg_put32be(&b, 100000);
    tg_put32be(&b, 2);
    tg_put32be(&b, 0);
    tg_putz(&b, 16); /* AUTH_NULL credential and verifier */
    break;
  case P_DNS: { /* version.bind CH TXT over TCP */
    uint8_t q[64];
    size_t n = tg_apps_dns_query(q, sizeof q, (uint16_t)tg_rng_next(r),
                                 "version.bind", 16, false);
    if (n >= 4) {
      q[n - 1] = 3; /* class CH */
      tg_put16be(&b, (uint16_t)n);
      tg_put(&b, q, n);
    }
    break;
  }
  case P_X224: /* X.224 CR, cookie-less */
    tg_put(&b, "\x03\x00\x00\x0b\x06\xe0\x00\x00\x00\x00\x00", 11);
    break;
  default:
    break;
  }
  return b.over ? 0 : b.len;
}

static bool svc_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  int p = (int)u[1];
  uint16_t port = (uint16_t)u[2];
  bool banner = port == 22 || port == 21 || port == 25;
  switch (u[0]++) {
  case 0:
    if (banner) { /* the service speaks first */
      tg_tcp_msg_init(m, TG_S2C, ms(2));
      tg_buf_t b = tg_tcp_msg_buf(m);
      tg_putstr(&b, port == 22   ? "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
                    : port == 21 ? "220 FTP server ready.\r\n"
                                 : "220 mail.hospital.example ESMTP\r\n");
      tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
      return true;
    }
    u[0]++;
    /* nothing to wait for */
    __attribute__((fallthrough));
  case 1: {
    if (p == P_NULL)
      return false; /* nmap waited; nothing came, it moves on */
    uint8_t x[256];
    size_t n = probe_bytes(p, x, sizeof x, r);
    tg_tcp_msg_init(m, TG_C2S, banner ? ms(tg_rng_range(r, 5, 50)) : ms(1));
    tg_buf_t b = tg_tcp_msg_buf(m);
    tg_put(&b, x, n);
    tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
    return true;
  }
  case 2:
    if (port == 22) { /* OpenSSH refuses a non-SSH identification */
      tg_tcp_msg_init(m, TG_S2C, ms(1));
      tg_buf_t b = tg_tcp_msg_buf(m);
      tg_putstr(&b, "Invalid SSH identification string.\r\n");
      tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
      return true;
    }
    if (port == 80 || port == 443 || port == 8080) {
      tg_tcp_msg_init(m, TG_S2C, ms(2));
      tg_buf_t b = tg_tcp_msg_buf(m);
      tg_putstr(&b, "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n");
      tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
      return true;
    }
    return false; /* SMB and the rest: no answer, the server hangs up */
  default:
    return false;
  }
}

typedef struct svc_scan {
  tg_actor_t a;
  tg_host_t src, dst;
  int fam;
  uint16_t port;
  uint32_t left, n;
  double gap_ns;
  int row;
} svc_scan_t;

static bool svc_step(tg_gen_t *g, tg_actor_t *a) {
  svc_scan_t *v = (svc_scan_t *)a;
  if (v->left == 0)
    return false;
  v->left--;
  tg_tcp_t *s = tg_tcp_new(g, 0, &a->rng);
  if (!s)
    return false;
  tg_tcp_ends(s, &v->src, &v->dst, v->fam, v->port);
  s->next = svc_next;
  int p = (int)(v->n % P_COUNT);
  s->app_u64[1] = (uint64_t)p;
  s->app_u64[2] = v->port;
  s->tag = tag1(v->row);
  bool ssh = v->port == 22;
  /* the server drops the junk (SMB: RST at once); nmap closes the rest */
  s->close = ssh                                  ? TG_CLOSE_FIN_S
             : (v->port == 445 || v->port == 139) ? TG_CLOSE_RST_S
                                                  : TG_CLOSE_FIN_C;
  s->close_think_ns = p == P_NULL ? ms(tg_rng_range(&a->rng, 5000, 6000))
                                  : ms(tg_rng_range(&a->rng, 1, 30));
  tg_tcp_start(g, s, a->t);
  v->n++;
  a->t += (uint64_t)tg_rng_exp(&a->rng, v->gap_ns) + 1;
  return true;
}

int tg_atk_service_scan(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  svc_scan_t *v = calloc(1, sizeof *v);
  if (!v)
    return -1;
  uint64_t at, port, count, v6;
  double rate;
  if (tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) ||
      tg_opt_u64(o, "port", 445, 1, 65535, &port))
    goto fail;
  (void)v6;
  if (ends(g, o, "src", "dst", 2, port == 22 ? TG_SRV_SSH : TG_SRV_FS, false,
           &v->src, &v->dst, &v->fam) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "count", 2 * P_COUNT, 1, 100000, &count) ||
      tg_opt_double(o, "rate", 4, 0.01, 10000, &rate))
    goto fail;
  v->port = (uint16_t)port;
  v->left = (uint32_t)count;
  v->gap_ns = 1e9 / rate;
  v->a.step = svc_step;
  v->a.cls = -1;
  tg_rng_fork(&g->rng, &v->a.rng);
  v->row = tg_truth_add(g, "service-scan", "scan.service",
                        prim(&v->src, v->fam), prim(&v->dst, v->fam),
                        "port=%u;connections=%u;probes=null|http-get|"
                        "http-options|rtsp|crlf|help|sslv3|tls|rpc-null|"
                        "dns-version|x224;not=scan.vertical",
                        (unsigned)port, (unsigned)count);
  if (v->row < 0)
    goto fail;
  tg_sched_add(g, &v->a, at);
  return 0;
fail:
  free(v);
  return -1;
}

/* ---- exfiltration -------------------------------------------------------- */
int tg_atk_exfil(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  tg_host_t src, dst;
  int fam;
  uint64_t at, bytes, port;
  double duration;
  if (ends(g, o, "src", "dst", 0, -1, true, &src, &dst, &fam) ||
      tg_opt_at(g, o, at_ns, &at) || tg_opt_bytes(o, "size", "300M", &bytes) ||
      tg_opt_double(o, "duration", 480, 1, 86400, &duration) ||
      tg_opt_u64(o, "port", 443, 1, 65535, &port))
    return -1;
  if (!src.internal || dst.internal) {
    fprintf(stderr, "trafficgen: exfiltration: src must be inside and dst "
                    "outside the facility\n");
    return -1;
  }
  double mbps = (double)bytes * 8 / duration / 1e6 * 1.04;
  int row = tg_truth_add(
      g, "exfiltration", "exfil.volume", prim(&src, fam), prim(&dst, fam),
      "port=%u;bytes=%llu;duration=%g;mbit_s=%.1f", (unsigned)port,
      (unsigned long long)bytes, duration, mbps);
  if (row < 0)
    return -1;
  tg_tcp_t *s =
      tg_bulk_session(g, &g->rng, TG_BULK_TLS_UP, &src, &dst, fam,
                      (uint16_t)port, bytes, mbps, "files.share-drop.example");
  if (!s)
    return -1;
  s->tag = tag1(row);
  tg_tcp_start(g, s, at);
  return 0;
}

/* ---- C2 callback ----------------------------------------------------------
 */
typedef struct c2 {
  tg_actor_t a;
  tg_host_t victim, server;
  int fam;
  bool raw;
  uint16_t port;
  uint32_t left;
  double interval_ns;
  int row;
  char sni[64];
} c2_t;

/* Raw session: the stage download, then beacons. app_u64: [0] step, [1]
 * beacons left, [2] interval (ns) */
static bool raw_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  if (u[0] == 0) { /* the stage, length-prefixed as reverse shells do */
    u[0] = 1;
    uint32_t n = (uint32_t)tg_rng_range(r, 170000, 210000);
    tg_tcp_msg_init(m, TG_S2C, ms(tg_rng_range(r, 30, 200)));
    tg_buf_t b = tg_tcp_msg_buf(m);
    tg_put32le(&b, n);
    tg_tcp_msg_done(m, &b, n, TG_FILL_RAND);
    return true;
  }
  if (u[1] == 0)
    return false;
  bool req = u[0] % 2 == 1;
  u[0]++;
  if (req) {
    double jit = 0.8 + 0.4 * tg_rng_unit(r);
    tg_tcp_msg_init(m, TG_C2S, (uint64_t)((double)u[2] * jit));
    tg_buf_t b = tg_tcp_msg_buf(m);
    tg_put32le(&b, 0);
    tg_tcp_msg_done(m, &b, (uint32_t)tg_rng_range(r, 60, 220), TG_FILL_RAND);
    return true;
  }
  u[1]--;
  tg_tcp_msg_init(m, TG_S2C, ms(tg_rng_range(r, 20, 120)));
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put32le(&b, 0);
  tg_tcp_msg_done(m, &b, (uint32_t)tg_rng_range(r, 16, 90), TG_FILL_RAND);
  return true;
}

/* One HTTPS beacon: handshake, a small request, a small answer. app_u64:
 * [0] step, [1] sni */
static bool beacon_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  uint32_t len; /* drawn before the call that uses it, in order */
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  switch (u[0]++) {
  case 0:
    return tg_apps_tls_client_hello(m, (const char *)(uintptr_t)u[1], r);
  case 1:
    return tg_apps_tls_server_hello(m, r, ms(tg_rng_range(r, 5, 40)));
  case 2:
    return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 280, 700),
                              ms(1));
  case 3:
    len = (uint32_t)tg_rng_range(r, 90, 400);
    return tg_apps_tls_record(m, TG_S2C, len, ms(tg_rng_range(r, 20, 150)));
  default:
    return false;
  }
}

static bool c2_step(tg_gen_t *g, tg_actor_t *a) {
  c2_t *c = (c2_t *)a;
  if (c->left == 0)
    return false;
  tg_tcp_t *s = tg_tcp_new(g, 0, &a->rng);
  if (!s)
    return false;
  tg_tcp_ends(s, &c->victim, &c->server, c->fam, c->port);
  s->tag = tag1(c->row);
  if (c->raw) { /* one session carries everything */
    s->next = raw_next;
    s->app_u64[1] = c->left;
    s->app_u64[2] = (uint64_t)c->interval_ns;
    s->close = TG_CLOSE_NONE;
    c->left = 0;
  } else {
    s->next = beacon_next;
    s->app_u64[1] = (uintptr_t)c->sni;
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(&a->rng, 5, 50));
    c->left--;
  }
  tg_tcp_start(g, s, a->t);
  double jit = 0.8 + 0.4 * tg_rng_unit(&a->rng);
  a->t += (uint64_t)(c->interval_ns * jit);
  return true;
}

int tg_c2_launch(tg_gen_t *g, const tg_host_t *victim, const wd_addr_t *server,
                 bool raw, uint16_t port, uint32_t beacons, double interval_s,
                 uint64_t at, const char *after) {
  c2_t *c = calloc(1, sizeof *c);
  if (!c)
    return -1;
  c->victim = *victim;
  tg_netmodel_host_for(g, server, &c->server);
  c->fam = family_of(server);
  c->raw = raw;
  c->port = port;
  c->left = beacons;
  c->interval_ns = interval_s * 1e9;
  c->a.step = c2_step;
  c->a.cls = -1;
  tg_rng_fork(&g->rng, &c->a.rng);
  snprintf(c->sni, sizeof c->sni, "cdn-%04x.static-assets.example",
           (unsigned)tg_rng_below(&c->a.rng, 65536));
  c->row = tg_truth_add(
      g, "c2-callback", "c2.callback", server,
      c->fam == 6 ? &victim->a6 : &victim->a4,
      "mode=%s;port=%u;beacons=%u;interval=%g;direction=target_to_attacker%s%s",
      raw ? "raw" : "tls", (unsigned)port, (unsigned)beacons, interval_s,
      after ? ";after=" : "", after ? after : "");
  if (c->row < 0) {
    free(c);
    return -1;
  }
  tg_sched_add(g, &c->a, at);
  return 0;
}

int tg_atk_c2(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  tg_host_t victim, server;
  int fam;
  uint64_t at, port, beacons;
  double interval;
  const char *mode = tg_opt_str(o, "mode", "tls");
  bool raw = strcmp(mode, "raw") == 0;
  if (!raw && strcmp(mode, "tls") != 0) {
    fprintf(stderr, "trafficgen: c2-callback: mode=%s: expected tls or raw\n",
            mode);
    return -1;
  }
  if (ends(g, o, "victim", "c2", 0, -1, false, &victim, &server, &fam))
    return -1;
  (void)fam;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "port", raw ? 4444 : 443, 1, 65535, &port) ||
      tg_opt_u64(o, "beacons", 10, 1, 100000, &beacons) ||
      tg_opt_double(o, "interval", 30, 0.1, 86400, &interval))
    return -1;
  /* victim= defaults to the imaging server, the usual exploit target */
  wd_addr_t v;
  bool vset;
  tg_opt_addr(o, "victim", &v, &vset);
  if (!vset)
    victim = g->net.servers[TG_SRV_PACS];
  const wd_addr_t *sa = fam == 6 ? &server.a6 : &server.a4;
  return tg_c2_launch(g, &victim, sa, raw, (uint16_t)port, (uint32_t)beacons,
                      interval, at, NULL);
}

/* ---- intel hits ---------------------------------------------------------- */
static void mixed_case(const char *in, char *out, size_t n, tg_rng_t *r) {
  size_t i = 0;
  for (; in[i] && i + 1 < n; i++) {
    char c = in[i];
    if (c >= 'a' && c <= 'z' && tg_rng_chance(r, 0.5))
      c = (char)(c - 32);
    out[i] = c;
  }
  out[i] = 0;
}

/* A DNS lookup by client through the resolver (which asks outside). */
static void dns_lookup(tg_gen_t *g, tg_rng_t *r, uint64_t t, int row,
                       const tg_host_t *c, const char *name, bool nx) {
  const tg_host_t *res = &g->net.servers[TG_SRV_DNS1];
  uint8_t q[300], a[600];
  size_t ql =
      tg_apps_dns_query(q, sizeof q, (uint16_t)tg_rng_next(r), name, 1, false);
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, res, 4);
  tg_pkt_l3_from_hosts(&down, res, c, 4);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = (uint16_t)tg_rng_range(r, 49152, 65535);
  tg_tag_t tag = tag1(row);
  tg_pkt_udp(g, t, 0, tag, &up, cport, 53, q, ql);
  const tg_host_t *ns = tg_netmodel_upstream_dns(g, r);
  uint8_t q2[300], a2[600];
  size_t q2l =
      tg_apps_dns_query(q2, sizeof q2, (uint16_t)tg_rng_next(r), name, 1, true);
  tg_l3_t o, i;
  tg_pkt_l3_from_hosts(&o, res, ns, 4);
  tg_pkt_l3_from_hosts(&i, ns, res, 4);
  o.ipid = (uint16_t)tg_rng_next(r);
  i.ipid = (uint16_t)tg_rng_next(r);
  uint16_t rport = (uint16_t)tg_rng_range(r, 1024, 65535);
  uint64_t t1 = t + 2ULL * res->delay_ns + 60 * TG_US;
  tg_pkt_udp(g, t1, 0, TG_NOTAG, &o, rport, 53, q2, q2l);
  tg_rng_t ar, ar2; /* the same records reach the client */
  tg_rng_fork(r, &ar);
  ar2 = ar;
  size_t a2l = tg_apps_dns_answer(a2, sizeof a2, q2, q2l, 1, &ar, nx);
  uint64_t t2 = t1 + 2ULL * ns->delay_ns + tg_rng_range(r, 200, 3000) * TG_US;
  tg_pkt_udp(g, t2, 0, TG_NOTAG, &i, 53, rport, a2, a2l);
  size_t al = tg_apps_dns_answer(a, sizeof a, q, ql, 1, &ar2, nx);
  tg_pkt_udp(g, t2 + 80 * TG_US, 0, tag, &down, 53, cport, a, al);
}

/* HTTP GET to server with the Host and path given. app_u64: [0] step, [1]
 * host, [2] path */
static bool intel_http_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  if (u[0]++ == 0) {
    tg_tcp_msg_init(m, TG_C2S, 0);
    tg_buf_t b = tg_tcp_msg_buf(m);
    char x[TG_MSG_HDR];
    int n =
        snprintf(x, sizeof x,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nCache-Control: "
                 "no-cache\r\n\r\n",
                 (const char *)(uintptr_t)u[2], (const char *)(uintptr_t)u[1]);
    if (n <= 0 || (size_t)n >= sizeof x)
      return false;
    tg_put(&b, x, (size_t)n);
    tg_tcp_msg_done(m, &b, 0, TG_FILL_TEXT);
    return true;
  }
  if (u[0] == 2) {
    uint32_t body = (uint32_t)tg_rng_range(r, 150, 900);
    return tg_apps_http_resp(m, body, r, ms(tg_rng_range(r, 20, 90)));
  }
  return false;
}

static bool intel_tls_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  switch (u[0]++) {
  case 0:
    return tg_apps_tls_client_hello(m, (const char *)(uintptr_t)u[1], r);
  case 1:
    return tg_apps_tls_server_hello(m, r, ms(5));
  case 2:
    return tg_apps_tls_record(m, TG_C2S, 420, ms(2));
  case 3:
    return tg_apps_tls_record(m, TG_S2C, 2400, ms(30));
  default:
    return false;
  }
}

typedef struct intel_cfg {
  char domain[160];
  char sub[170];
  char mixed[170];
  char dotted[170];
  char sni[160];
  char url_host[172];
  char url_path[160];
  char near1[180];
  char near2[180];
} intel_cfg_t;

static intel_cfg_t intel_store[8]; /* names live until the run ends */
static int intel_n;

int tg_atk_intel(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, near;
  const char *type = tg_opt_str(o, "type", "all");
  const char *domain = tg_opt_str(o, "domain", KILLSWITCH);
  const char *url = tg_opt_str(o, "url", NULL);
  const char *sni = tg_opt_str(o, "sni", NULL);
  wd_addr_t ip, src;
  bool ipset, sset;
  if (tg_opt_at(g, o, at_ns, &at) || tg_opt_u64(o, "near", 1, 0, 1, &near) ||
      tg_opt_addr(o, "ip", &ip, &ipset) || tg_opt_addr(o, "src", &src, &sset))
    return -1;
  bool all = strcmp(type, "all") == 0;
  bool t_dns = all || strcmp(type, "dns") == 0;
  bool t_http = all || strcmp(type, "http") == 0;
  bool t_tls = all || strcmp(type, "tls") == 0;
  bool t_ip = all || strcmp(type, "ip") == 0;
  if (!t_dns && !t_http && !t_tls && !t_ip) {
    fprintf(stderr,
            "trafficgen: intel: type=%s: expected dns, http, tls, ip or all\n",
            type);
    return -1;
  }
  if (intel_n >= 8) {
    fprintf(stderr, "trafficgen: intel: at most 8 per run\n");
    return -1;
  }
  if (g->net.nclients == 0) {
    fprintf(stderr, "trafficgen: intel needs --hosts >= 1\n");
    return -1;
  }
  if (!ipset)
    tg_default_attacker(4, false, &ip); /* 67.43.156.1 */
  if (!sset)
    src = g->net.clients[tg_rng_below(&g->rng, g->net.nclients)].a4;
  if (!wd_addr_is_v4(&src) || !wd_addr_is_v4(&ip)) {
    fprintf(stderr, "trafficgen: intel: src= and ip= are IPv4 addresses\n");
    return -1;
  }
  intel_cfg_t *c = &intel_store[intel_n++];
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  char dom[160]; /* the name without a trailing dot (the root label) */
  snprintf(dom, sizeof dom, "%s", domain);
  size_t dl = strlen(dom);
  if (dl > 1 && dom[dl - 1] == '.')
    dom[dl - 1] = 0;
  snprintf(c->domain, sizeof c->domain, "%s", dom);
  snprintf(c->sub, sizeof c->sub, "www.%s", dom);
  mixed_case(dom, c->mixed, sizeof c->mixed, &r);
  snprintf(c->dotted, sizeof c->dotted, "%s.", dom);
  snprintf(c->sni, sizeof c->sni, "%s", sni ? sni : dom);
  if (url) { /* http://host/path */
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    snprintf(c->url_host, sizeof c->url_host, "%.*s", (int)hl, h);
    snprintf(c->url_path, sizeof c->url_path, "%s", slash ? slash : "/");
  } else {
    snprintf(c->url_host, sizeof c->url_host, "www.%s", dom);
    snprintf(c->url_path, sizeof c->url_path, "/");
  }
  tg_host_t ch, iph, web;
  tg_netmodel_host_for(g, &src, &ch);
  tg_netmodel_host_for(g, &ip, &iph);
  wd_addr_t wa;
  tg_netmodel_public_v4(&r, &wa); /* where the domain resolves */
  tg_netmodel_host_for(g, &wa, &web);
  uint64_t t = at;
  char detail[200];
  if (t_dns) {
    const char *names[3] = {c->domain, c->sub, c->mixed};
    const char *var[3] = {"exact", "subdomain", "mixed-case"};
    for (int i = 0; i < 3; i++) {
      snprintf(detail, sizeof detail,
               "type=dns;indicator=%s;seen=%s;variant=%s", c->domain, names[i],
               var[i]);
      int row =
          tg_truth_add(g, "intel", "intel.match", NULL, &src, "%s", detail);
      if (row < 0)
        return -1;
      dns_lookup(g, &r, t, row, &ch, names[i], false);
      t += ms(tg_rng_range(&r, 200, 900));
    }
  }
  if (t_http) {
    const char *hosts[2] = {c->url_host, c->dotted};
    for (int i = 0; i < (url ? 1 : 2); i++) {
      snprintf(detail, sizeof detail,
               "type=http;indicator=%s;seen=%s;variant=%s",
               url ? url : c->domain, hosts[i],
               i == 0 ? (url ? "url" : "host") : "host-trailing-dot");
      int row =
          tg_truth_add(g, "intel", "intel.match", NULL, &src, "%s", detail);
      if (row < 0)
        return -1;
      tg_tcp_t *s = tg_tcp_new(g, 0, &r);
      if (!s)
        return -1;
      tg_tcp_ends(s, &ch, &web, 4, 80);
      s->next = intel_http_next;
      s->app_u64[1] = (uintptr_t)hosts[i];
      s->app_u64[2] = (uintptr_t)c->url_path;
      s->tag = tag1(row);
      tg_tcp_start(g, s, t);
      t += ms(tg_rng_range(&r, 300, 1200));
    }
  }
  if (t_tls && !sni) { /* some clients keep the trailing dot in the SNI */
    snprintf(detail, sizeof detail,
             "type=tls;indicator=%s;seen=%s;variant=sni-trailing-dot",
             c->domain, c->dotted);
    int row = tg_truth_add(g, "intel", "intel.match", NULL, &src, "%s", detail);
    if (row < 0)
      return -1;
    tg_tcp_t *s = tg_tcp_new(g, 0, &r);
    if (!s)
      return -1;
    tg_tcp_ends(s, &ch, &web, 4, 443);
    s->next = intel_tls_next;
    s->app_u64[1] = (uintptr_t)c->dotted;
    s->tag = tag1(row);
    tg_tcp_start(g, s, t);
    t += ms(tg_rng_range(&r, 300, 1200));
  }
  if (t_tls) {
    snprintf(detail, sizeof detail, "type=tls;indicator=%s;seen=%s;variant=sni",
             c->sni, c->sni);
    int row = tg_truth_add(g, "intel", "intel.match", NULL, &src, "%s", detail);
    if (row < 0)
      return -1;
    tg_tcp_t *s = tg_tcp_new(g, 0, &r);
    if (!s)
      return -1;
    tg_tcp_ends(s, &ch, &web, 4, 443);
    s->next = intel_tls_next;
    s->app_u64[1] = (uintptr_t)c->sni;
    s->tag = tag1(row);
    tg_tcp_start(g, s, t);
    t += ms(tg_rng_range(&r, 300, 1200));
  }
  if (t_ip) {
    char is[WD_ADDR_STRLEN];
    wd_addr_str(&ip, is);
    snprintf(detail, sizeof detail, "type=ip;indicator=%s;port=443", is);
    int row = tg_truth_add(g, "intel", "intel.match", &ip, &src, "%s", detail);
    if (row < 0)
      return -1;
    tg_tcp_t *s = tg_tcp_new(g, 0, &r);
    if (!s)
      return -1;
    tg_tcp_ends(s, &ch, &iph, 4, 443);
    s->next = intel_tls_next;
    s->app_u64[1] = (uintptr_t) "";
    s->tag = tag1(row);
    tg_tcp_start(g, s, t);
    t += ms(tg_rng_range(&r, 300, 1200));
  }
  if (near && t_dns) {
    /* near misses: a name that only ends like the indicator, and a
     * punycode look-alike (the last letter accented): no match */
    snprintf(c->near1, sizeof c->near1, "not%s", dom);
    if (strcmp(dom, KILLSWITCH) == 0)
      snprintf(c->near2, sizeof c->near2,
               "xn--iuqerfsodp9ifjaposdfjhgosurijfaewrwergwe-1jd.com");
    else
      snprintf(c->near2, sizeof c->near2, "%s.example.net", dom);
    const char *names[2] = {c->near1, c->near2};
    for (int i = 0; i < 2; i++) {
      int row =
          tg_truth_add(g, "intel-near-miss", "none", NULL, &src,
                       "type=dns;indicator=%s;seen=%s;variant=%s", c->domain,
                       names[i], i == 0 ? "shared-suffix" : "look-alike");
      if (row < 0)
        return -1;
      dns_lookup(g, &r, t, row, &ch, names[i], true);
      t += ms(tg_rng_range(&r, 200, 900));
    }
  }
  return 0;
}
