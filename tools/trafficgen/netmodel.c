/* netmodel.c -- the hospital trafficgen simulates.
 * Internal: 10.20.0.0/16 and 2001:db8:20::/48. Servers sit in 10.20.0.x
 * (resolvers .53/.54, SMB file server .10, backup .20, domain controller .5,
 * intranet application .80, SSH jump host .22, imaging server .40, modality
 * .41, web portal .81, public web site .82, VPN gateway .25, vulnerability
 * scanner .30, hypervisor .60, storage .61, telephony .70; LAN devices
 * .150-.181); --hosts
 * workstations from 10.20.1.10 on (240 per /24, client n
 * at 10.20.(1+n/240).(10+n%240), some also at
 * 2001:db8:20:1::(n+0x100)). 10.20.128.0/17 is kept empty (worm and scan
 * targets that do not exist). External servers get random public addresses that
 * avoid special-purpose ranges and the MaxMind test ranges the attacks use. In:
 * the seed. Out: host records owned by tg_gen_t. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

#define CLIENTS_MAX 30000

static const struct {
  uint8_t last;
  bool windows;
  uint32_t mbps;
} server_def[TG_SRV_COUNT] = {
    [TG_SRV_DNS1] = {53, false, 1000},    [TG_SRV_DNS2] = {54, false, 1000},
    [TG_SRV_FS] = {10, true, 10000},      [TG_SRV_BACKUP] = {20, true, 10000},
    [TG_SRV_DC] = {5, true, 1000},        [TG_SRV_EHR] = {80, false, 10000},
    [TG_SRV_SSH] = {22, false, 1000},     [TG_SRV_PACS] = {40, true, 1000},
    [TG_SRV_MODALITY] = {41, true, 1000}, [TG_SRV_PORTAL] = {81, false, 1000},
    [TG_SRV_VPN] = {25, false, 1000},     [TG_SRV_WWW] = {82, false, 1000},
    [TG_SRV_SCANNER] = {30, false, 1000}, [TG_SRV_PBX] = {70, false, 1000},
    [TG_SRV_HYPERV] = {60, true, 10000},  [TG_SRV_NAS] = {61, true, 10000},
};

static uint64_t addr_hash(const wd_addr_t *a) {
  return wd_addr_hash(a, 0x7467u);
}

void tg_netmodel_mac_for(const wd_addr_t *a, uint8_t mac[6]) {
  uint64_t h = addr_hash(a);
  mac[0] = 0x02; /* locally administered, unicast */
  mac[1] = 0x1a;
  for (int i = 0; i < 4; i++)
    mac[2 + i] = (uint8_t)(h >> (8 * i));
}

static void v4(wd_addr_t *out, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  uint8_t x[4] = {a, b, c, d};
  wd_addr_from_v4(out, x);
}

static void v6_facility(wd_addr_t *out, uint16_t subnet, uint32_t host) {
  uint8_t x[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x20};
  x[6] = (uint8_t)(subnet >> 8);
  x[7] = (uint8_t)subnet;
  x[12] = (uint8_t)(host >> 24);
  x[13] = (uint8_t)(host >> 16);
  x[14] = (uint8_t)(host >> 8);
  x[15] = (uint8_t)host;
  wd_addr_from_v6(out, x);
}

void tg_netmodel_internal(uint32_t n, bool v6, wd_addr_t *out) {
  if (v6)
    v6_facility(out, 1, n + 0x100);
  else
    v4(out, 10, 20, (uint8_t)(1 + n / 240), (uint8_t)(10 + n % 240));
}

bool tg_netmodel_is_internal(const wd_addr_t *a) {
  if (wd_addr_is_v4(a))
    return a->b[12] == 10 && a->b[13] == 20;
  static const uint8_t p[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x20};
  return memcmp(a->b, p, 6) == 0;
}

static bool v4_ok(uint32_t x) {
  static const struct {
    uint32_t net;
    int len;
  } bad[] = {
      {0x00000000, 8},
      {0x0a000000, 8},
      {0x64400000, 10},
      {0x7f000000, 8},
      {0xa9fe0000, 16},
      {0xac100000, 12},
      {0xc0000000, 24},
      {0xc0000200, 24},
      {0xc0586300, 24},
      {0xc0a80000, 16},
      {0xc6120000, 15},
      {0xc6336400, 24},
      {0xcb007100, 24},
      {0xe0000000, 3},
      /* ranges the attacks take their sources from */
      {0x59a00000, 16},
      {0xd8a05300, 24},
      {0x432b9c00, 24},
      {0x51024500, 24},
      {0x01000000, 24},
      {0x01800000, 11},
      {0x0c515c00, 22},
      {0xd6000000, 8},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t mask = bad[i].len ? ~0u << (32 - bad[i].len) : 0;
    if ((x & mask) == bad[i].net)
      return false;
  }
  return true;
}

void tg_netmodel_public_v4(tg_rng_t *r, wd_addr_t *out) {
  uint32_t x;
  do
    x = (uint32_t)tg_rng_next(r);
  while (!v4_ok(x) || (x & 0xff) == 0 || (x & 0xff) == 255);
  v4(out, (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
     (uint8_t)x);
}

void tg_netmodel_public_v6(tg_rng_t *r, wd_addr_t *out) {
  uint8_t x[16];
  uint16_t top;
  do
    top = (uint16_t)(0x2400 + tg_rng_below(r, 0x0700));
  while (top == 0x2a02);
  x[0] = (uint8_t)(top >> 8);
  x[1] = (uint8_t)top;
  tg_rng_bytes(r, x + 2, 14);
  x[8] = x[9] = x[10] = x[11] = 0; /* host part looks assigned, not SLAAC */
  if (x[15] == 0)
    x[15] = 1;
  wd_addr_from_v6(out, x);
}

static void external(tg_rng_t *r, tg_host_t *h, double v6_share,
                     uint32_t min_ms, uint32_t max_ms) {
  memset(h, 0, sizeof *h);
  tg_netmodel_public_v4(r, &h->a4);
  h->has4 = true;
  if (tg_rng_chance(r, v6_share)) {
    tg_netmodel_public_v6(r, &h->a6);
    h->has6 = true;
  }
  h->windows = tg_rng_chance(r, 0.1);
  h->ttl = (uint8_t)((h->windows ? 128 : 64) - tg_rng_range(r, 6, 22));
  h->delay_ns =
      (uint32_t)(tg_rng_range(r, min_ms * 1000, max_ms * 1000) * TG_US / 2);
  h->mbps = (uint32_t)tg_rng_range(r, 30, 400);
}

int tg_netmodel_init(tg_gen_t *g) {
  tg_net_t *n = &g->net;
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  static const uint8_t router[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  memcpy(n->router_mac, router, 6);

  if (g->nhosts > CLIENTS_MAX)
    g->nhosts = CLIENTS_MAX;
  n->nclients = g->nhosts;
  n->clients = calloc(n->nclients ? n->nclients : 1, sizeof *n->clients);
  if (n->n_web == 0)
    n->n_web = 512;
  if (n->n_dns == 0)
    n->n_dns = 64;
  if (n->web_pow <= 0)
    n->web_pow = 3;
  n->ext_web = calloc(n->n_web, sizeof *n->ext_web);
  n->ext_dns = calloc(n->n_dns, sizeof *n->ext_dns);
  if (!n->clients || !n->ext_web || !n->ext_dns)
    return -1;
  for (uint32_t i = 0; i < n->nclients; i++) {
    tg_host_t *h = &n->clients[i];
    h->index = i;
    tg_netmodel_internal(i, false, &h->a4);
    h->has4 = true;
    h->has6 = tg_rng_chance(&r, 0.4);
    if (h->has6)
      tg_netmodel_internal(i, true, &h->a6);
    h->internal = true;
    h->windows = tg_rng_chance(&r, 0.85);
    h->ttl = h->windows ? 128 : 64;
    tg_netmodel_mac_for(&h->a4, h->mac);
    h->delay_ns = (uint32_t)tg_rng_range(&r, 40, 250) * TG_US;
    h->mbps = tg_rng_chance(&r, 0.2) ? 100 : 1000;
  }
  for (int i = 0; i < TG_SRV_COUNT; i++) {
    tg_host_t *h = &n->servers[i];
    v4(&h->a4, 10, 20, 0, server_def[i].last);
    v6_facility(&h->a6, 0, server_def[i].last);
    h->has4 = h->has6 = true;
    h->internal = true;
    h->windows = server_def[i].windows;
    h->ttl = h->windows ? 128 : 64;
    tg_netmodel_mac_for(&h->a4, h->mac);
    h->delay_ns = 30 * TG_US;
    h->mbps = server_def[i].mbps;
    h->index = UINT32_MAX;
  }
  for (uint32_t i = 0; i < n->n_web; i++)
    external(&r, &n->ext_web[i], 0.35, 4, 160);
  for (uint32_t i = 0; i < n->n_dns; i++)
    external(&r, &n->ext_dns[i], 0.5, 2, 90);
  for (int i = 0; i < 4; i++)
    external(&r, &n->ext_ntp[i], 0.5, 5, 40);
  for (int i = 0; i < 8; i++)
    external(&r, &n->ext_ssh[i], 0.3, 10, 120);
  for (uint32_t i = 0; i < n->n_web; i++)
    memcpy(n->ext_web[i].mac, router, 6);
  for (uint32_t i = 0; i < n->n_dns; i++)
    memcpy(n->ext_dns[i].mac, router, 6);
  for (int i = 0; i < 4; i++)
    memcpy(n->ext_ntp[i].mac, router, 6);
  for (int i = 0; i < 8; i++)
    memcpy(n->ext_ssh[i].mac, router, 6);
  /* devices that announce themselves on the LAN (SSDP, mDNS): printers,
   * displays, conference systems, device gateways at 10.20.0.150 on */
  for (int i = 0; i < TG_DEVICES; i++) {
    tg_host_t *h = &n->devices[i];
    v4(&h->a4, 10, 20, 0, (uint8_t)(150 + i));
    v6_facility(&h->a6, 0, (uint32_t)(150 + i));
    h->has4 = true;
    h->has6 = i % 2 == 0;
    h->internal = true;
    h->windows = false;
    h->ttl = 64;
    tg_netmodel_mac_for(&h->a4, h->mac);
    h->delay_ns = (uint32_t)tg_rng_range(&r, 60, 400) * TG_US;
    h->mbps = 100;
    h->index = UINT32_MAX;
  }
  return 0;
}

void tg_netmodel_mcast_mac(const wd_addr_t *a, uint8_t mac[6]) {
  if (wd_addr_is_v4(a)) { /* RFC 1112: 01:00:5e + low 23 bits */
    mac[0] = 0x01;
    mac[1] = 0x00;
    mac[2] = 0x5e;
    mac[3] = a->b[13] & 0x7f;
    mac[4] = a->b[14];
    mac[5] = a->b[15];
  } else { /* RFC 2464: 33:33 + low 32 bits */
    mac[0] = mac[1] = 0x33;
    memcpy(mac + 2, a->b + 12, 4);
  }
}

void tg_netmodel_free(tg_gen_t *g) {
  free(g->net.clients);
  free(g->net.ext_web);
  free(g->net.ext_dns);
  g->net.clients = g->net.ext_web = g->net.ext_dns = NULL;
}

const tg_host_t *tg_netmodel_client(tg_gen_t *g, tg_rng_t *r) {
  return &g->net.clients[tg_rng_below(r, g->net.nclients)];
}

const tg_host_t *tg_netmodel_web(tg_gen_t *g, tg_rng_t *r) {
  /* popularity: a few sites get most of the sessions (Zipf-like) */
  double u = tg_rng_unit(r);
  uint32_t n = g->net.n_web;
  double x = g->net.web_pow == 3 ? u * u * u : pow(u, g->net.web_pow);
  uint32_t i = (uint32_t)(n * x);
  return &g->net.ext_web[i < n ? i : n - 1];
}

const tg_host_t *tg_netmodel_upstream_dns(tg_gen_t *g, tg_rng_t *r) {
  double u = tg_rng_unit(r);
  uint32_t n = g->net.n_dns;
  uint32_t i = (uint32_t)(n * u * u);
  return &g->net.ext_dns[i < n ? i : n - 1];
}

static const tg_host_t *find_known(tg_gen_t *g, const wd_addr_t *a) {
  tg_net_t *n = &g->net;
  for (int i = 0; i < TG_SRV_COUNT; i++)
    if (wd_addr_eq(a, &n->servers[i].a4) || wd_addr_eq(a, &n->servers[i].a6))
      return &n->servers[i];
  for (int i = 0; i < TG_DEVICES; i++)
    if (wd_addr_eq(a, &n->devices[i].a4) ||
        (n->devices[i].has6 && wd_addr_eq(a, &n->devices[i].a6)))
      return &n->devices[i];
  if (!tg_netmodel_is_internal(a))
    return NULL;
  uint32_t idx = UINT32_MAX;
  if (wd_addr_is_v4(a)) {
    uint8_t x = a->b[14], y = a->b[15];
    if (x >= 1 && x <= 126 && y >= 10 && y < 250)
      idx = (uint32_t)(x - 1) * 240 + (uint32_t)(y - 10);
  } else if (a->b[6] == 0 && a->b[7] == 1) {
    uint32_t host = ((uint32_t)a->b[12] << 24) | ((uint32_t)a->b[13] << 16) |
                    ((uint32_t)a->b[14] << 8) | a->b[15];
    bool zero = a->b[8] == 0 && a->b[9] == 0 && a->b[10] == 0 && a->b[11] == 0;
    if (zero && host >= 0x100)
      idx = host - 0x100;
  }
  if (idx < n->nclients) {
    const tg_host_t *h = &n->clients[idx];
    if (wd_addr_eq(a, &h->a4) || (h->has6 && wd_addr_eq(a, &h->a6)))
      return h;
  }
  return NULL;
}

bool tg_netmodel_exists(tg_gen_t *g, const wd_addr_t *a) {
  return find_known(g, a) != NULL;
}

void tg_netmodel_host_for(tg_gen_t *g, const wd_addr_t *a, tg_host_t *out) {
  const tg_host_t *k = find_known(g, a);
  if (k) {
    *out = *k;
    /* the family asked for becomes the primary one */
    if (wd_addr_is_v4(a)) {
      out->a4 = *a;
      out->has4 = true;
    } else {
      out->a6 = *a;
      out->has6 = true;
    }
    return;
  }
  memset(out, 0, sizeof *out);
  if (wd_addr_is_v4(a)) {
    out->a4 = *a;
    out->has4 = true;
  } else {
    out->a6 = *a;
    out->has6 = true;
  }
  uint64_t h = addr_hash(a);
  out->index = UINT32_MAX;
  if (tg_netmodel_is_internal(a) || wd_addr_is_private(a)) {
    out->internal = true;
    out->windows = true;
    out->ttl = 128;
    tg_netmodel_mac_for(a, out->mac);
    out->delay_ns = (uint32_t)(60 + h % 200) * TG_US;
    out->mbps = 1000;
  } else {
    out->internal = false;
    out->windows = (h >> 8) % 2 == 0;
    out->ttl = (uint8_t)((out->windows ? 128 : 64) - 8 - (h >> 16) % 14);
    memcpy(out->mac, g->net.router_mac, 6);
    out->delay_ns = (uint32_t)(8 + (h >> 24) % 40) * TG_MS / 2;
    out->mbps = 100;
  }
}
