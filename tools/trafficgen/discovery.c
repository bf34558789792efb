/* discovery.c -- the LAN's own chatter: multicast DNS (RFC 6762) queries
 * to 224.0.0.251 / ff02::fb port 5353 with hop limit 255, answered by the
 * devices (printers, displays, conference systems) with multicast
 * responses carrying PTR, SRV, TXT and A records; SSDP (UPnP 1.1) M-SEARCH
 * to 239.255.255.250:1900 with TTL 2, answered by unicast HTTP/1.1 200 OK
 * from the devices' port 1900 within MX seconds, and the devices' NOTIFY
 * ssdp:alive announcements; NTP clients asking the domain controller.
 * In: hosts. Out: UDP packets at the given time. No state. */
#include <stdio.h>

#include "tg.h"

static const char *const services[] = {"_ipp._tcp.local",
                                       "_printer._tcp.local",
                                       "_pdl-datastream._tcp.local",
                                       "_googlecast._tcp.local",
                                       "_airplay._tcp.local",
                                       "_raop._tcp.local",
                                       "_spotify-connect._tcp.local",
                                       "_companion-link._tcp.local",
                                       "_http._tcp.local",
                                       "_workstation._tcp.local"};
#define NSERV (sizeof services / sizeof services[0])

static const char *const models[] = {"LaserJet-M507", "Ward-Display",
                                     "Conf-Room-Bar", "Infusion-GW"};

static void put_name(tg_buf_t *b, const char *name) {
  const char *p = name;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    tg_put8(b, (uint8_t)n);
    tg_put(b, p, n);
    p += n;
    if (*p == '.')
      p++;
  }
  tg_put8(b, 0);
}

static void mcast_l3(tg_l3_t *l3, const tg_host_t *src, const wd_addr_t *grp,
                     uint8_t mac[6], uint8_t ttl, bool v6) {
  l3->src = v6 ? &src->a6 : &src->a4;
  l3->dst = grp;
  l3->smac = src->mac;
  tg_netmodel_mcast_mac(grp, mac);
  l3->dmac = mac;
  l3->ttl = ttl;
  l3->ipid = 0;
  l3->df = false;
  l3->src_internal = true;
}

static void group(wd_addr_t *a, bool v6, uint8_t last4_b2, uint8_t last) {
  if (v6) {
    uint8_t x[16] = {0xff, 0x02};
    x[15] = last;
    wd_addr_from_v6(a, x);
  } else {
    uint8_t x[4] = {224, 0, last4_b2, last};
    if (last4_b2 == 0xff) { /* 239.255.255.250 */
      x[0] = 239;
      x[1] = 255;
      x[2] = 255;
    }
    wd_addr_from_v4(a, x);
  }
}

static const tg_host_t *device(tg_gen_t *g, tg_rng_t *r, bool v6) {
  for (int i = 0; i < 8; i++) {
    const tg_host_t *d = &g->net.devices[tg_rng_below(r, TG_DEVICES)];
    if (!v6 || d->has6)
      return d;
  }
  return &g->net.devices[0];
}

int tg_disc_mdns(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *asker, bool v6) {
  if (v6 && !asker->has6)
    v6 = false;
  wd_addr_t grp;
  group(&grp, v6, 0, 0xfb);
  uint8_t mac[6], q[256], a[1024];
  tg_l3_t l3;
  const char *svc = services[tg_rng_below(r, NSERV)];
  tg_buf_t b;
  tg_buf_init(&b, q, sizeof q);
  tg_put16be(&b, 0); /* id 0, standard query */
  tg_put16be(&b, 0);
  tg_put16be(&b, 1);
  tg_putz(&b, 6);
  put_name(&b, svc);
  tg_put16be(&b, 12);                                      /* PTR */
  tg_put16be(&b, tg_rng_chance(r, 0.3) ? 0x8001 : 0x0001); /* QU / QM */
  mcast_l3(&l3, asker, &grp, mac, 255, v6);
  l3.ipid = (uint16_t)tg_rng_next(r);
  int n = tg_pkt_udp(g, t, 0, tag, &l3, 5353, 5353, q, b.len);
  /* zero to three devices offer that service */
  int k = (int)tg_rng_below(r, 4);
  for (int i = 0; i < k; i++) {
    const tg_host_t *d = device(g, r, v6);
    char inst[96], host[48];
    snprintf(host, sizeof host, "%s-%02u.local",
             models[(d->a4.b[15] - 150) % 4], (unsigned)(d->a4.b[15] - 150));
    snprintf(inst, sizeof inst, "%s-%02u.%s", models[(d->a4.b[15] - 150) % 4],
             (unsigned)(d->a4.b[15] - 150), svc);
    tg_buf_init(&b, a, sizeof a);
    tg_put16be(&b, 0);
    tg_put16be(&b, 0x8400); /* response, authoritative */
    tg_put16be(&b, 0);
    tg_put16be(&b, 1); /* answers: PTR */
    tg_put16be(&b, 0);
    tg_put16be(&b, 3); /* additionals: SRV, TXT, A/AAAA */
    put_name(&b, svc);
    tg_put16be(&b, 12);
    tg_put16be(&b, 1);
    tg_put32be(&b, 4500);
    size_t rl = b.len;
    tg_put16be(&b, 0);
    put_name(&b, inst);
    b.p[rl] = (uint8_t)((b.len - rl - 2) >> 8);
    b.p[rl + 1] = (uint8_t)(b.len - rl - 2);
    put_name(&b, inst); /* SRV */
    tg_put16be(&b, 33);
    tg_put16be(&b, 0x8001); /* cache flush */
    tg_put32be(&b, 120);
    rl = b.len;
    tg_put16be(&b, 0);
    tg_put16be(&b, 0);
    tg_put16be(&b, 0);
    tg_put16be(&b, 631);
    put_name(&b, host);
    b.p[rl] = (uint8_t)((b.len - rl - 2) >> 8);
    b.p[rl + 1] = (uint8_t)(b.len - rl - 2);
    put_name(&b, inst); /* TXT */
    tg_put16be(&b, 16);
    tg_put16be(&b, 0x8001);
    tg_put32be(&b, 4500);
    static const char *const txt[] = {"txtvers=1", "qtotal=1", "rp=ipp/print",
                                      "ty=Ward Lab Device",
                                      "pdl=application/pdf,image/urf"};
    rl = b.len;
    tg_put16be(&b, 0);
    for (size_t j = 0; j < sizeof txt / sizeof txt[0]; j++) {
      tg_put8(&b, (uint8_t)strlen(txt[j]));
      tg_putstr(&b, txt[j]);
    }
    b.p[rl] = (uint8_t)((b.len - rl - 2) >> 8);
    b.p[rl + 1] = (uint8_t)(b.len - rl - 2);
    put_name(&b, host); /* A or AAAA */
    tg_put16be(&b, v6 ? 28 : 1);
    tg_put16be(&b, 0x8001);
    tg_put32be(&b, 120);
    tg_put16be(&b, v6 ? 16 : 4);
    tg_put(&b, v6 ? d->a6.b : d->a4.b + 12, v6 ? 16 : 4);
    if (b.over)
      continue;
    tg_l3_t dl;
    mcast_l3(&dl, d, &grp, mac, 255, v6);
    dl.ipid = (uint16_t)tg_rng_next(r);
    n += tg_pkt_udp(g, t + tg_rng_range(r, 20, 120) * TG_MS, 0, tag, &dl, 5353,
                    5353, a, b.len);
  }
  return n;
}

int tg_disc_ssdp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *asker) {
  wd_addr_t grp;
  group(&grp, false, 0xff, 250);
  uint8_t mac[6];
  tg_l3_t l3;
  mcast_l3(&l3, asker, &grp, mac, 2, false);
  l3.ipid = (uint16_t)tg_rng_next(r);
  static const char *const st[] = {
      "ssdp:all", "upnp:rootdevice", "urn:dial-multiscreen-org:service:dial:1",
      "urn:schemas-upnp-org:device:MediaRenderer:1"};
  const char *s = st[tg_rng_below(r, 4)];
  unsigned mx = 1 + tg_rng_below(r, 3);
  char q[400], a[600];
  int ql = snprintf(q, sizeof q,
                    "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                    "MAN: \"ssdp:discover\"\r\nMX: %u\r\nST: %s\r\n"
                    "USER-AGENT: Microsoft-Windows/10.0 UPnP/1.0\r\n\r\n",
                    mx, s);
  uint16_t cport = (uint16_t)tg_rng_range(r, 49152, 65535);
  int n = tg_pkt_udp(g, t, 0, tag, &l3, cport, 1900, (const uint8_t *)q,
                     (size_t)ql);
  int k = (int)tg_rng_below(r, 5);
  for (int i = 0; i < k; i++) {
    const tg_host_t *d = device(g, r, false);
    char ip[WD_ADDR_STRLEN];
    wd_addr_str(&d->a4, ip);
    int al =
        snprintf(a, sizeof a,
                 "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                 "LOCATION: http://%s:49152/description.xml\r\n"
                 "SERVER: Linux/4.9 UPnP/1.1 WardLab/2.0\r\nST: %s\r\n"
                 "USN: uuid:4d696e69-%04x-0010-8000-%012llx::%s\r\n\r\n",
                 ip, s, (unsigned)d->a4.b[15],
                 (unsigned long long)(0x001a11000000ULL | d->a4.b[15]), s);
    tg_l3_t dl;
    tg_host_t dh = *d;
    tg_pkt_l3_from_hosts(&dl, &dh, asker, 4);
    dl.ipid = (uint16_t)tg_rng_next(r);
    dl.df = false;
    n += tg_pkt_udp(g, t + tg_rng_range(r, 5, 1000 * mx - 50) * TG_MS, 0, tag,
                    &dl, 1900, cport, (const uint8_t *)a, (size_t)al);
  }
  return n;
}

int tg_disc_notify(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag) {
  const tg_host_t *d = device(g, r, false);
  wd_addr_t grp;
  group(&grp, false, 0xff, 250);
  uint8_t mac[6];
  tg_l3_t l3;
  mcast_l3(&l3, d, &grp, mac, 2, false);
  l3.ipid = (uint16_t)tg_rng_next(r);
  char ip[WD_ADDR_STRLEN], m[600];
  wd_addr_str(&d->a4, ip);
  static const char *const nt[] = {"upnp:rootdevice", "",
                                   "urn:schemas-upnp-org:device:Basic:1"};
  int n = 0;
  for (int i = 0; i < 3; i++) {
    char uuid[64];
    snprintf(uuid, sizeof uuid, "uuid:4d696e69-%04x-0010-8000-%012llx",
             (unsigned)d->a4.b[15],
             (unsigned long long)(0x001a11000000ULL | d->a4.b[15]));
    int ml = snprintf(m, sizeof m,
                      "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                      "CACHE-CONTROL: max-age=1800\r\n"
                      "LOCATION: http://%s:49152/description.xml\r\n"
                      "NT: %s\r\nNTS: ssdp:alive\r\n"
                      "SERVER: Linux/4.9 UPnP/1.1 WardLab/2.0\r\n"
                      "USN: %s%s%s\r\n\r\n",
                      ip, nt[i][0] ? nt[i] : uuid, uuid, nt[i][0] ? "::" : "",
                      nt[i]);
    l3.ipid++;
    n += tg_pkt_udp(g, t + (uint64_t)i * 2 * TG_MS, 0, tag, &l3, 1900, 1900,
                    (const uint8_t *)m, (size_t)ml);
  }
  return n;
}

int tg_disc_ntp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                const tg_host_t *client) {
  const tg_host_t *dc = &g->net.servers[TG_SRV_DC];
  uint8_t p[64];
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, client, dc, 4);
  tg_pkt_l3_from_hosts(&down, dc, client, 4);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  /* Windows w32time uses source port 123; ntpd/chrony on Linux too */
  size_t l = tg_apps_ntp(p, sizeof p, 3, t, r);
  int n = tg_pkt_udp(g, t, 0, tag, &up, 123, 123, p, l);
  uint64_t t1 = t + 2ULL * dc->delay_ns + tg_rng_range(r, 20, 300) * TG_US;
  l = tg_apps_ntp(p, sizeof p, 4, t1, r);
  n += tg_pkt_udp(g, t1, 0, tag, &down, 123, 123, p, l);
  return n;
}
