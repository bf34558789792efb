/* atk_flood.c -- denial-of-service floods towards one protected host:
 *   syn-flood      SYNs to host:port from spoofed random sources (or a few
 *                  real ones); the victim answers SYN-ACK or not (answer=)
 *   amplification  UDP answers from many reflectors' service ports (DNS ANY
 *                  as IP fragments, NTP monlist, SNMP, SSDP, CLDAP,
 *                  memcached, chargen, QOTD, WS-Discovery, ISAKMP, NetBIOS,
 *                  Ubiquiti, DVR), or SYN-ACKs from reflectors' ports 80/443
 *                  to a victim that never sent a SYN (proto=synack)
 *   volumetric     udp, icmp, tcp-ack or gre packets of size= bytes from a
 *                  few sources
 * Arrivals are Poisson at rate= packets per second for duration= seconds;
 * each step emits the packets of the next millisecond. In: options. Out:
 * packets and one truth row per flood. Memory: one actor per flood plus
 * the reflector list. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "tg.h"

enum { F_SYN, F_AMP, F_VOL };

enum {
  AMP_DNS,
  AMP_NTP,
  AMP_SNMP,
  AMP_SSDP,
  AMP_CLDAP,
  AMP_MEMCACHED,
  AMP_CHARGEN,
  AMP_QOTD,
  AMP_WSD,
  AMP_ISAKMP,
  AMP_NETBIOS,
  AMP_UBIQUITI,
  AMP_DVR,
  AMP_SYNACK,
  AMP_ISAKMP_NATT,
  AMP_BACNET,
  AMP_DAHUA,
  AMP_ARD,
  AMP_OPENVPN,
  AMP_RDP,
  AMP_DTLS,
  AMP_COAP,
  AMP_MDNS,
  AMP_SLP,
  AMP_TFTP,
  AMP_GENERIC,
  AMP_COUNT
};

static const struct {
  const char *name;
  uint16_t port;
  uint32_t lo, hi; /* UDP payload size range of one answer */
} amp_def[AMP_COUNT] = {
    [AMP_DNS] = {"dns", 53, 3000, 4000},
    [AMP_NTP] = {"ntp", 123, 440, 440},
    [AMP_SNMP] = {"snmp", 161, 1100, 1450},
    [AMP_SSDP] = {"ssdp", 1900, 260, 340},
    [AMP_CLDAP] = {"cldap", 389, 2700, 3100},
    [AMP_MEMCACHED] = {"memcached", 11211, 1400, 1400},
    [AMP_CHARGEN] = {"chargen", 19, 740, 1406},
    [AMP_QOTD] = {"qotd", 17, 90, 510},
    [AMP_WSD] = {"wsd", 3702, 700, 1400},
    [AMP_ISAKMP] = {"isakmp", 500, 300, 900},
    [AMP_NETBIOS] = {"netbios", 137, 229, 400},
    [AMP_UBIQUITI] = {"ubiquiti", 10001, 150, 250},
    [AMP_DVR] = {"dvr", 37810, 300, 600},
    [AMP_SYNACK] = {"synack", 0, 0, 0},
    [AMP_ISAKMP_NATT] = {"isakmp-natt", 4500, 300, 900},
    [AMP_BACNET] = {"bacnet", 47808, 400, 1400},
    [AMP_DAHUA] = {"dahua", 37810, 300, 600},
    [AMP_ARD] = {"ard", 3283, 1000, 1034},
    [AMP_OPENVPN] = {"openvpn", 1194, 100, 300},
    [AMP_RDP] = {"rdp", 3389, 1232, 1232},
    [AMP_DTLS] = {"dtls", 443, 900, 1200},
    [AMP_COAP] = {"coap", 5683, 400, 1150},
    [AMP_MDNS] = {"mdns", 5353, 400, 1400},
    [AMP_SLP] = {"slp", 427, 1200, 1450},
    [AMP_TFTP] = {"tftp", 69, 516, 516},
    [AMP_GENERIC] = {"generic", 0, 1000, 1400},
};

enum { V_UDP, V_ICMP, V_TCPACK, V_GRE };

typedef struct flood {
  tg_actor_t a;
  int kind;
  int proto; /* AMP_* or V_* */
  int row;
  uint64_t end;
  double mean_gap_ns;
  uint64_t next_t; /* time of the next unit */
  tg_host_t victim;
  int family;
  uint16_t port;      /* victim port (syn-flood, tcp-ack) */
  uint16_t vports[3]; /* amplification: ports the spoofed requests used */
  uint8_t nvports;    /* how many of them; 0: a random port per answer */
  uint16_t aport;     /* amplification: the reflectors' service port */
  bool frag_only;     /* only non-first fragments reach the victim */
  double first_p;     /* ... except this share of first fragments */
  uint32_t lo, hi;    /* answer payload sizes */
  bool spoof, answer;
  uint32_t size;
  uint32_t nsrc;
  wd_addr_t *src; /* real sources or reflectors */
  uint8_t *src_ttl;
  uint64_t units;
} flood_t;

static void flood_fini(tg_gen_t *g, tg_actor_t *a) {
  flood_t *f = (flood_t *)a;
  tg_truth_append(g, f->row, ";units=%llu", (unsigned long long)f->units);
  free(f->src);
  free(f->src_ttl);
}

static void rand_src(tg_rng_t *r, int family, wd_addr_t *out) {
  if (family == 6)
    tg_netmodel_public_v6(r, out);
  else
    tg_netmodel_public_v4(r, out);
}

static const uint8_t *fill(tg_gen_t *g, tg_rng_t *r, size_t n) {
  if (n > TG_FILL_SIZE)
    n = TG_FILL_SIZE;
  return g->fill_rand + tg_rng_below(r, (uint32_t)(TG_FILL_SIZE - n + 1));
}

static void syn_unit(tg_gen_t *g, flood_t *f, uint64_t t) {
  tg_rng_t *r = &f->a.rng;
  wd_addr_t sa;
  uint8_t ttl;
  if (f->spoof) {
    rand_src(r, f->family, &sa);
    ttl = (uint8_t)tg_rng_range(r, 40, 250);
  } else {
    uint32_t k = tg_rng_below(r, f->nsrc);
    sa = f->src[k];
    ttl = f->src_ttl[k];
  }
  const wd_addr_t *va = f->family == 6 ? &f->victim.a6 : &f->victim.a4;
  static const uint8_t router[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  tg_l3_t up = {&sa,           va,   router,
                f->victim.mac, ttl,  (uint16_t)tg_rng_next(r),
                false,         false};
  tg_tag_t tag = {{(int16_t)f->row, -1}};
  uint16_t sport = (uint16_t)tg_rng_range(r, 1024, 65535);
  uint32_t seq = (uint32_t)tg_rng_next(r);
  uint16_t win = f->spoof ? (uint16_t)(tg_rng_below(r, 16) * 512) : 64240;
  uint8_t opt[4] = {2, 4, 0x05, 0xb4};
  tg_pkt_tcp(g, t, tag, &up, sport, f->port, seq, 0, TG_SYN, win, opt,
             f->spoof ? 0 : 4, NULL, 0);
  if (f->answer) {
    tg_l3_t down = {va,     &sa,           f->victim.mac,
                    router, f->victim.ttl, (uint16_t)tg_rng_next(r),
                    true,   true};
    uint64_t t1 = t + 2ULL * f->victim.delay_ns + 20 * TG_US;
    uint32_t iss = (uint32_t)tg_rng_next(r);
    tg_pkt_tcp(g, t1, tag, &down, f->port, sport, iss, seq + 1, TG_SYN | TG_ACK,
               64240, opt, 4, NULL, 0);
    /* a few spoofed addresses belong to live hosts, which reset */
    if (f->spoof && tg_rng_chance(r, 0.03)) {
      uint64_t t2 = t1 + tg_rng_range(r, 10, 150) * TG_MS;
      tg_pkt_tcp(g, t2, tag, &up, sport, f->port, seq + 1, 0, TG_RST, 0, NULL,
                 0, NULL, 0);
    }
  }
}

static void put_name(tg_buf_t *b, const char *name) {
  for (const char *p = name; *p;) {
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

static size_t amp_payload(tg_gen_t *g, flood_t *f, uint8_t *out, size_t cap) {
  tg_rng_t *r = &f->a.rng;
  uint32_t n = (uint32_t)tg_rng_range(r, f->lo, f->hi);
  if (n > cap)
    n = (uint32_t)cap;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  switch (f->proto) {
  case AMP_ISAKMP_NATT: { /* RFC 3948 non-ESP marker, then an IKEv2
                           * IKE_SA_INIT response (RFC 7296 3.1-3.9) */
    uint8_t spi[8];
    tg_put32be(&b, 0);
    tg_rng_bytes(r, spi, 8);
    tg_put(&b, spi, 8);
    tg_rng_bytes(r, spi, 8);
    tg_put(&b, spi, 8);
    tg_put8(&b, 33);   /* next payload: SA */
    tg_put8(&b, 0x20); /* IKEv2 */
    tg_put8(&b, 34);   /* IKE_SA_INIT */
    tg_put8(&b, 0x20); /* response */
    tg_put32be(&b, 0);
    size_t len = b.len;
    tg_put32be(&b, 0);
    /* SA: one IKE proposal, ENCR_AES_CBC-256, PRF/INTEG SHA2-256, group 14 */
    static const uint8_t sa[] = {34, 0, 0, 48, 0, 0, 0, 44, 1,    1,  0, 4,
                                 3,  0, 0, 12, 1, 0, 0, 12, 0x80, 14, 1, 0,
                                 3,  0, 0, 8,  2, 0, 0, 5,  3,    0,  0, 8,
                                 3,  0, 0, 12, 0, 0, 0, 8,  4,    0,  0, 14};
    tg_put(&b, sa, sizeof sa);
    tg_put8(&b, 40); /* KE, then Nonce */
    tg_put8(&b, 0);
    tg_put16be(&b, 8 + 256);
    tg_put16be(&b, 14);
    tg_put16be(&b, 0);
    tg_put(&b, fill(g, r, 256), 256);
    bool more = b.len + 36 + 8 < n;
    tg_put8(&b, more ? 43 : 0); /* Nonce, then vendor IDs to the size */
    tg_put8(&b, 0);
    tg_put16be(&b, 36);
    tg_put(&b, fill(g, r, 32), 32);
    while (more) {
      size_t k = n - b.len - 4;
      if (k > 200)
        k = 20 + tg_rng_below(r, 100);
      more = b.len + 4 + k + 8 < n;
      tg_put8(&b, more ? 43 : 0);
      tg_put8(&b, 0);
      tg_put16be(&b, (uint16_t)(4 + k));
      tg_put(&b, fill(g, r, k), k);
    }
    tg_set32be(&b, len, (uint32_t)(b.len - 4));
    return b.len;
  }
  case AMP_BACNET: {   /* BVLC, NPDU, ReadPropertyMultiple-ACK (ASHRAE 135
                        * 21): per property an object-name string */
    tg_put8(&b, 0x81); /* BACnet/IP */
    tg_put8(&b, 0x0a); /* Original-Unicast-NPDU */
    size_t len = b.len;
    tg_put16be(&b, 0);
    tg_put8(&b, 0x01); /* NPDU version */
    tg_put8(&b, 0x00);
    tg_put8(&b, 0x30); /* Complex-ACK */
    tg_put8(&b, (uint8_t)tg_rng_below(r, 256));
    tg_put8(&b, 0x0e); /* readPropertyMultiple */
    tg_put8(&b, 0x0c); /* [0] objectIdentifier: device */
    tg_put32be(&b, (8u << 22) | tg_rng_below(r, 4194303));
    tg_put8(&b, 0x1e); /* [1] listOfResults: opening tag */
    static const char *const names[] = {
        "AHU-3 supply air temp", "Chiller plant status", "OR-2 room pressure",
        "Boiler 1 flow setpoint"};
    while (b.len + 40 < n) {
      const char *nm = names[tg_rng_below(r, 4)];
      size_t l = strlen(nm);
      tg_put8(&b, 0x29); /* [2] propertyIdentifier */
      tg_put8(&b, 77);   /* object-name */
      tg_put8(&b, 0x4e); /* [4] propertyValue: opening */
      tg_put8(&b, 0x75); /* character string, extended length */
      tg_put8(&b, (uint8_t)(l + 1));
      tg_put8(&b, 0); /* UTF-8 */
      tg_put(&b, nm, l);
      tg_put8(&b, 0x4f); /* closing */
    }
    tg_put8(&b, 0x1f); /* closing tag 1 */
    b.p[len] = (uint8_t)(b.len >> 8);
    b.p[len + 1] = (uint8_t)b.len;
    return b.len;
  }
  case AMP_ARD: /* Apple Remote Desktop "net-assistant" status reply */
    tg_put16be(&b, 0x0014);
    tg_put16be(&b, 0x0001);
    tg_put32be(&b, n - 8);
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  case AMP_OPENVPN: /* P_CONTROL_HARD_RESET_SERVER_V2, key id 0 */
    tg_put8(&b, (uint8_t)(8 << 3));
    tg_put(&b, fill(g, r, 8), 8); /* session id */
    tg_put8(&b, 1);               /* one ack */
    tg_put32be(&b, 0);
    tg_put(&b, fill(g, r, 8), 8); /* remote session id */
    tg_put32be(&b, 0);            /* packet id */
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  case AMP_RDP: /* MS-RDPEUDP SYN+ACK: FEC header, SYNDATA, padded */
    tg_put32be(&b, 0xffffffffu);              /* snSourceAck */
    tg_put16be(&b, 64);                       /* uReceiveWindowSize */
    tg_put16be(&b, 0x0005);                   /* RDPUDP_FLAG_SYN | ACK */
    tg_put32be(&b, (uint32_t)tg_rng_next(r)); /* snInitialSequenceNumber */
    tg_put16be(&b, 1232);
    tg_put16be(&b, 1232);
    tg_putz(&b, n - b.len);
    return b.len;
  case AMP_DTLS: { /* DTLS 1.2 handshake record: a Certificate fragment */
    uint32_t body = n - 13 - 12;
    tg_put8(&b, 22);
    tg_put16be(&b, 0xfefd);
    tg_put16be(&b, 0); /* epoch */
    tg_put16be(&b, 0);
    tg_put32be(&b, 1 + tg_rng_below(r, 4)); /* sequence number */
    tg_put16be(&b, (uint16_t)(n - 13));
    tg_put8(&b, 11); /* certificate */
    tg_put8(&b, 0);
    tg_put16be(&b, 3900);
    tg_put16be(&b, 1); /* message_seq */
    uint32_t foff = tg_rng_below(r, 3) * body;
    tg_put8(&b, (uint8_t)(foff >> 16));
    tg_put16be(&b, (uint16_t)foff);
    tg_put8(&b, (uint8_t)(body >> 16));
    tg_put16be(&b, (uint16_t)body);
    tg_put(&b, fill(g, r, body), body);
    return b.len;
  }
  case AMP_COAP: {            /* RFC 7252 2.05 Content, /.well-known/core */
    tg_put8(&b, 0x60 | 0x00); /* ver 1, ACK, no token */
    tg_put8(&b, 0x45);        /* 2.05 */
    tg_put16be(&b, (uint16_t)tg_rng_next(r));
    tg_put8(&b, 0xc1); /* Content-Format (12), length 1 */
    tg_put8(&b, 40);   /* application/link-format */
    tg_put8(&b, 0xff);
    static const char *const res[] = {
        "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",",
        "</sensors/light>;rt=\"light-lux\";if=\"sensor\",",
        "</firmware/v2.1>;rt=\"firmware\";sz=262144,",
        "</config/net>;ct=40;title=\"network\","};
    while (b.len + 60 < n)
      tg_putstr(&b, res[tg_rng_below(r, 4)]);
    tg_putstr(&b, "</>;ct=40");
    return b.len;
  }
  case AMP_MDNS: { /* a unicast answer with many records */
    tg_put16be(&b, (uint16_t)tg_rng_next(r));
    tg_put16be(&b, 0x8400);
    tg_put16be(&b, 0);
    size_t an = b.len;
    tg_put16be(&b, 0);
    tg_putz(&b, 4);
    uint16_t k = 0;
    while (b.len + 80 < n) {
      char nm[64];
      snprintf(nm, sizeof nm, "device-%u._services._dns-sd._udp.local",
               (unsigned)tg_rng_below(r, 1000));
      put_name(&b, nm);
      tg_put16be(&b, 16); /* TXT */
      tg_put16be(&b, 0x8001);
      tg_put32be(&b, 4500);
      tg_put16be(&b, 25);
      tg_put8(&b, 24);
      tg_putstr(&b, "model=NAS-Box-4;fw=2.0.1");
      k++;
    }
    b.p[an] = (uint8_t)(k >> 8);
    b.p[an + 1] = (uint8_t)k;
    return b.len;
  }
  case AMP_SLP: { /* SLPv2 SrvRply (RFC 2608 8.2) with long URL entries */
    size_t len = b.len + 2;
    tg_put8(&b, 2); /* version */
    tg_put8(&b, 2); /* SrvRply */
    tg_put8(&b, 0);
    tg_put16be(&b, 0); /* length, 24 bits: set below */
    tg_put16be(&b, 0); /* flags */
    tg_put8(&b, 0);
    tg_put16be(&b, 0);                        /* next extension offset */
    tg_put16be(&b, (uint16_t)tg_rng_next(r)); /* XID */
    tg_put16be(&b, 2);
    tg_putstr(&b, "en");
    tg_put16be(&b, 0); /* error code */
    size_t cnt = b.len;
    tg_put16be(&b, 0);
    uint16_t k = 0;
    while (b.len + 70 < n) {
      char url[96];
      unsigned esx = (unsigned)tg_rng_below(r, 1000);
      unsigned vm = (unsigned)tg_rng_below(r, 100000);
      int ul =
          snprintf(url, sizeof url,
                   "service:VMwareInfrastructure://esx-%03u.lab/%u", esx, vm);
      tg_put8(&b, 0);
      tg_put16be(&b, 65535); /* lifetime */
      tg_put16be(&b, (uint16_t)ul);
      tg_put(&b, url, (size_t)ul);
      tg_put8(&b, 0); /* no authentication blocks */
      k++;
    }
    b.p[cnt] = (uint8_t)(k >> 8);
    b.p[cnt + 1] = (uint8_t)k;
    b.p[len] = (uint8_t)(b.len >> 8);
    b.p[len + 1] = (uint8_t)b.len;
    return b.len;
  }
  case AMP_TFTP: /* a DATA block (RFC 1350) */
    tg_put16be(&b, 3);
    tg_put16be(&b, (uint16_t)(1 + tg_rng_below(r, 4000)));
    tg_put(&b, fill(g, r, 512), 512);
    return b.len;
  case AMP_GENERIC: /* an unknown service: opaque answers */
    tg_put(&b, fill(g, r, n), n);
    return b.len;
  case AMP_DNS: {
    static const char *const zones[] = {"example.org", "isc.example",
                                        "big-zone.example.net"};
    uint16_t qid = (uint16_t)tg_rng_next(r);
    return tg_apps_dns_big(out, cap, qid, zones[tg_rng_below(r, 3)], n, r);
  }
  case AMP_NTP:        /* mode 7 MON_GETLIST_1 answer: 6 items of 72 bytes */
    tg_put8(&b, 0xd7); /* response, more, version 2, mode 7 */
    tg_put8(&b, (uint8_t)tg_rng_below(r, 128));
    tg_put8(&b, 3);  /* implementation XNTPD */
    tg_put8(&b, 42); /* MON_GETLIST_1 */
    tg_put16be(&b, 6);
    tg_put16be(&b, 72);
    tg_put(&b, fill(g, r, 432), 432);
    return b.len;
  case AMP_SNMP: /* SNMPv2c GetResponse, community "public" */
    tg_put8(&b, 0x30);
    tg_put8(&b, 0x82);
    tg_put16be(&b, (uint16_t)(n - 4));
    tg_put(&b, "\x02\x01\x01\x04\x06public", 11);
    tg_put8(&b, 0xa2);
    tg_put8(&b, 0x82);
    tg_put16be(&b, (uint16_t)(n - 19));
    tg_put(&b, "\x02\x04", 2);
    tg_put32be(&b, (uint32_t)tg_rng_next(r));
    tg_put(&b, "\x02\x01\x00\x02\x01\x00\x30\x82", 8);
    tg_put16be(&b, (uint16_t)(n - 35));
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  case AMP_SSDP: {
    char s[400];
    unsigned v[5]; /* drawn in order: the call's arguments are unsequenced */
    v[0] = (unsigned)tg_rng_range(r, 1, 254);
    v[1] = (unsigned)tg_rng_next(r);
    for (int i = 2; i < 5; i++)
      v[i] = (unsigned)tg_rng_below(r, 65536);
    unsigned long long node = tg_rng_next(r) & 0xffffffffffffULL;
    int k = snprintf(s, sizeof s,
                     "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\n"
                     "EXT:\r\nLOCATION: http://192.168.1.%u:1900/desc.xml\r\n"
                     "SERVER: Linux/3.10 UPnP/1.0 IGD/1.0\r\n"
                     "ST: upnp:rootdevice\r\nUSN: uuid:%08x-%04x-%04x-%04x-"
                     "%012llx::upnp:rootdevice\r\n\r\n",
                     v[0], v[1], v[2], v[3], v[4], node);
    tg_put(&b, s, k > 0 ? (size_t)k : 0);
    return b.len;
  }
  case AMP_CLDAP: /* LDAP searchResEntry of the rootDSE */
    tg_put8(&b, 0x30);
    tg_put8(&b, 0x84);
    tg_put32be(&b, n - 6);
    tg_put(&b, "\x02\x01\x01\x64\x84", 5);
    tg_put32be(&b, n - 15);
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  case AMP_MEMCACHED: {
    tg_put16be(&b, (uint16_t)tg_rng_next(r)); /* UDP frame header */
    tg_put16be(&b, (uint16_t)tg_rng_below(r, 700));
    tg_put16be(&b, 700);
    tg_put16be(&b, 0);
    tg_putstr(&b, "VALUE a 0 1000000\r\n");
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  }
  case AMP_CHARGEN: {
    uint32_t start = tg_rng_below(r, 95);
    for (uint32_t line = 0; b.len + 74 <= n; line++) {
      for (uint32_t i = 0; i < 72; i++)
        tg_put8(&b, (uint8_t)(33 + (start + line + i) % 95));
      tg_put(&b, "\r\n", 2);
    }
    return b.len;
  }
  case AMP_QOTD: {
    static const char q[] =
        "\"The good physician treats the disease; the great physician "
        "treats the patient who has the disease.\" ";
    while (b.len + sizeof q - 1 <= n)
      tg_put(&b, q, sizeof q - 1);
    tg_put(&b, "\r\n", 2);
    return b.len;
  }
  case AMP_WSD:
    tg_putstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
                  "xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" "
                  "xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/"
                  "discovery\"><soap:Body><wsd:ProbeMatches>");
    while (b.len + 40 < n)
      tg_putstr(&b, "<wsd:Types>wsdp:Device</wsd:Types>");
    tg_putstr(&b, "</wsd:ProbeMatches></soap:Body></soap:Envelope>");
    return b.len;
  case AMP_ISAKMP: {
    uint8_t cookie[8];
    tg_rng_bytes(r, cookie, 8);
    tg_put(&b, cookie, 8);
    tg_rng_bytes(r, cookie, 8);
    tg_put(&b, cookie, 8);
    tg_put8(&b, 1);    /* next payload: SA */
    tg_put8(&b, 0x10); /* version 1.0 */
    tg_put8(&b, 2);    /* identity protection */
    tg_put8(&b, 0);
    tg_put32be(&b, 0);
    tg_put32be(&b, n);
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  }
  case AMP_NETBIOS: /* NBSTAT answer */
    tg_put16be(&b, (uint16_t)tg_rng_next(r));
    tg_put16be(&b, 0x8400);
    tg_put(&b, "\x00\x00\x00\x01\x00\x00\x00\x00", 8);
    tg_put(&b,
           "\x20"
           "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
           "\x00",
           34);
    tg_put(&b, "\x00\x21\x00\x01\x00\x00\x00\x00", 8);
    tg_put16be(&b, (uint16_t)(n - b.len - 2));
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  case AMP_UBIQUITI:
    tg_put8(&b, 1);
    tg_put8(&b, 0);
    tg_put16be(&b, (uint16_t)(n - 4));
    tg_put(&b, fill(g, r, n - b.len), n - b.len);
    return b.len;
  default: /* DVR (37810) */
    tg_putstr(&b, "<?xml version=\"1.0\"?><DVR><DeviceInfo><Model>DVR-16CH"
                  "</Model>");
    while (b.len + 30 < n)
      tg_putstr(&b, "<Channel>enabled</Channel>");
    tg_putstr(&b, "</DeviceInfo></DVR>");
    return b.len;
  }
}

/* The network layer of one flood packet: a source drawn from the flood's
 * sources, through the router, to the victim (the family of the flood). */
static tg_l3_t flood_l3(flood_t *f) {
  tg_rng_t *r = &f->a.rng;
  uint32_t k = tg_rng_below(r, f->nsrc);
  static const uint8_t router[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  tg_l3_t l3 = {&f->src[k],    f->family == 6 ? &f->victim.a6 : &f->victim.a4,
                router,        f->victim.mac,
                f->src_ttl[k], (uint16_t)tg_rng_next(r),
                false,         false};
  return l3;
}

static void amp_unit(tg_gen_t *g, flood_t *f, uint64_t t) {
  tg_rng_t *r = &f->a.rng;
  tg_l3_t l3 = flood_l3(f);
  tg_tag_t tag = {{(int16_t)f->row, -1}};
  uint16_t vport = f->nvports ? f->vports[tg_rng_below(r, f->nvports)]
                              : (uint16_t)tg_rng_range(r, 1024, 65535);
  if (f->proto == AMP_SYNACK) {
    uint8_t opt[4] = {2, 4, 0x05, 0xb4};
    uint16_t sp = tg_rng_chance(r, 0.5) ? 80 : 443;
    uint32_t seq = (uint32_t)tg_rng_next(r), ack = (uint32_t)tg_rng_next(r);
    tg_pkt_tcp(g, t, tag, &l3, sp, vport, seq, ack, TG_SYN | TG_ACK, 29200, opt,
               4, NULL, 0);
    f->units++;
    return;
  }
  uint8_t *pl = g->l4 + 8; /* built in place: tg_pkt_udp moves nothing */
  size_t n = amp_payload(g, f, pl, TG_L4_MAX - 8);
  unsigned flags = 0;
  if (f->frag_only) {
    if (n < 2900) { /* big enough to leave as fragments */
      size_t want = 2900 + tg_rng_below(r, 1400);
      memcpy(pl + n, fill(g, r, want - n), want - n);
      n = want;
    }
    if (!tg_rng_chance(r, f->first_p))
      flags = TG_UDP_NO_FIRST;
  }
  f->units += (uint64_t)tg_pkt_udp_ex(g, t, 2 * TG_US, tag, &l3, f->aport,
                                      vport, pl, n, flags);
}

static void vol_unit(tg_gen_t *g, flood_t *f, uint64_t t) {
  tg_rng_t *r = &f->a.rng;
  tg_l3_t l3 = flood_l3(f);
  tg_tag_t tag = {{(int16_t)f->row, -1}};
  size_t iph = f->family == 6 ? 40 : 20;
  size_t size = f->size < iph + 28 ? iph + 28 : f->size;
  switch (f->proto) {
  case V_UDP: {
    size_t n = size - iph - 8;
    uint16_t sp = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint16_t dp = (uint16_t)tg_rng_range(r, 1, 65535);
    tg_pkt_udp(g, t, 0, tag, &l3, sp, dp, fill(g, r, n), n);
    break;
  }
  case V_ICMP: {
    size_t n = size - iph - 8;
    uint32_t rest = (uint32_t)tg_rng_next(r);
    tg_pkt_icmp(g, t, tag, &l3, f->family == 6 ? 128 : 8, 0, rest,
                fill(g, r, n), n);
    break;
  }
  case V_TCPACK: {
    size_t n = size - iph - 20;
    uint16_t sp = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint32_t seq = (uint32_t)tg_rng_next(r), ack = (uint32_t)tg_rng_next(r);
    tg_pkt_tcp(g, t, tag, &l3, sp, f->port, seq, ack, TG_ACK, 1024, NULL, 0,
               fill(g, r, n), n);
    break;
  }
  default: { /* GRE (RFC 2784) carrying IPv4/UDP junk */
    uint8_t pl[TG_MTU];
    size_t n = size - iph;
    pl[0] = 0;
    pl[1] = 0;
    pl[2] = 0x08; /* protocol type: IPv4 */
    pl[3] = 0x00;
    wd_addr_t is, id;
    tg_netmodel_public_v4(r, &is);
    tg_netmodel_public_v4(r, &id);
    size_t inner = n - 4 < 28 ? 0 : n - 4 - 28;
    uint16_t ipid = (uint16_t)tg_rng_next(r);
    uint16_t sp = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint16_t dp = (uint16_t)tg_rng_range(r, 1, 65535);
    size_t il = tg_pkt_ipv4_udp_bytes(pl + 4, sizeof pl - 4, &is, &id, 64, ipid,
                                      sp, dp, fill(g, r, inner), inner);
    tg_pkt_ip(g, t, tag, &l3, 47, pl, 4 + il);
    break;
  }
  }
  f->units++;
}

static bool flood_step(tg_gen_t *g, tg_actor_t *a) {
  flood_t *f = (flood_t *)a;
  uint64_t horizon = a->t + TG_MS;
  for (int n = 0; n < 512 && f->next_t < horizon; n++) {
    if (f->next_t >= f->end)
      return false;
    switch (f->kind) {
    case F_SYN:
      syn_unit(g, f, f->next_t);
      f->units++;
      break;
    case F_AMP:
      amp_unit(g, f, f->next_t);
      break;
    default:
      vol_unit(g, f, f->next_t);
      break;
    }
    f->next_t += (uint64_t)tg_rng_exp(&a->rng, f->mean_gap_ns) + 1;
  }
  if (f->next_t >= f->end)
    return false;
  a->t = f->next_t;
  return true;
}

static flood_t *flood_new(tg_gen_t *g, int kind, uint64_t at, double rate,
                          double duration) {
  flood_t *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->kind = kind;
  f->a.step = flood_step;
  f->a.fini = flood_fini;
  f->a.cls = -1;
  tg_rng_fork(&g->rng, &f->a.rng);
  f->mean_gap_ns = 1e9 / rate;
  f->next_t = at;
  f->end = at + (uint64_t)(duration * 1e9);
  return f;
}

static int victim(tg_gen_t *g, tg_attack_opt_t *o, int def, flood_t *f) {
  uint64_t v6;
  wd_addr_t d;
  bool set;
  if (tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) || tg_opt_addr(o, "dst", &d, &set))
    return -1;
  if (!set)
    d = v6 ? g->net.servers[def].a6 : g->net.servers[def].a4;
  tg_netmodel_host_for(g, &d, &f->victim);
  f->family = wd_addr_is_v4(&d) ? 4 : 6;
  return 0;
}

/* The real sources of a non-spoofed flood: src= or the MaxMind test
 * addresses, one family. */
static int real_sources(tg_gen_t *g, tg_attack_opt_t *o, flood_t *f, uint32_t n,
                        char *list, size_t listcap) {
  wd_addr_t s;
  bool set;
  if (tg_opt_addr(o, "src", &s, &set))
    return -1;
  if (set) {
    if (wd_addr_is_v4(&s) != (f->family == 4)) {
      fprintf(stderr, "trafficgen: %s: src and dst families differ\n", o->kind);
      return -1;
    }
    n = 1;
  }
  f->src = calloc(n, sizeof *f->src);
  f->src_ttl = calloc(n, 1);
  if (!f->src || !f->src_ttl)
    return -1;
  f->nsrc = n;
  list[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (set)
      f->src[i] = s;
    else if (i < 4)
      tg_default_attacker(f->family == 6 ? (int)(i % 2) : (int)i + 1,
                          f->family == 6, &f->src[i]);
    else
      rand_src(&f->a.rng, f->family, &f->src[i]);
    f->src_ttl[i] = (uint8_t)tg_rng_range(&f->a.rng, 44, 120);
    char t[WD_ADDR_STRLEN];
    wd_addr_str(&f->src[i], t);
    size_t l = strlen(list);
    if (i < 8)
      snprintf(list + l, listcap - l, "%s%s", i ? "|" : "", t);
  }
  return 0;
}

int tg_atk_synflood(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, port, spoof, answer, sources;
  double rate, duration;
  wd_addr_t given;
  bool has_src;
  if (tg_opt_addr(o, "src", &given, &has_src) || tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_double(o, "rate", 20000, 1, 5e6, &rate) ||
      tg_opt_double(o, "duration", 5, 0.001, 3600, &duration) ||
      tg_opt_u64(o, "port", 443, 1, 65535, &port) ||
      tg_opt_u64(o, "spoof", has_src ? 0 : 1, 0, 1, &spoof) ||
      tg_opt_u64(o, "answer", 1, 0, 1, &answer) ||
      tg_opt_u64(o, "sources", 3, 1, 10000, &sources))
    return -1;
  flood_t *f = flood_new(g, F_SYN, at, rate, duration);
  if (!f || victim(g, o, TG_SRV_PORTAL, f))
    goto fail;
  f->port = (uint16_t)port;
  f->spoof = spoof != 0;
  f->answer = answer != 0;
  char list[512] = "";
  if (!f->spoof && real_sources(g, o, f, (uint32_t)sources, list, sizeof list))
    goto fail;
  if (f->spoof && has_src)
    fprintf(stderr, "trafficgen: syn-flood: src= ignored with spoof=1\n");
  const wd_addr_t *va = f->family == 6 ? &f->victim.a6 : &f->victim.a4;
  const wd_addr_t *atk = (!f->spoof && f->nsrc == 1) ? &f->src[0] : NULL;
  f->row = tg_truth_add(g, "syn-flood", "ddos.syn-flood", atk, va,
                        "port=%u;rate=%g;duration=%g;spoofed=%d;answer=%d%s%s",
                        (unsigned)port, rate, duration, f->spoof ? 1 : 0,
                        f->answer ? 1 : 0, list[0] ? ";sources=" : "", list);
  if (f->row < 0)
    goto fail;
  tg_sched_add(g, &f->a, at);
  return 0;
fail:
  if (f) {
    free(f->src);
    free(f->src_ttl);
    free(f);
  }
  return -1;
}

static void reflector_v4(tg_rng_t *r, wd_addr_t *out) {
  double u = tg_rng_unit(r);
  uint32_t x;
  if (u < 0.1)
    x = 0x01000000u | tg_rng_below(r, 256); /* 1.0.0.0/24, AS15169 */
  else if (u < 0.3)
    x = 0x01800000u | tg_rng_below(r, 1u << 21); /* 1.128.0.0/11, AS1221 */
  else if (u < 0.4)
    x = 0x0c515c00u | tg_rng_below(r, 1024); /* 12.81.92.0/22, AS7018 */
  else if (u < 0.5)
    x = 0xd6000000u | tg_rng_below(r, 1u << 24); /* 214.0.0.0/8, AS721 */
  else {
    tg_netmodel_public_v4(r, out);
    return;
  }
  if ((x & 0xff) == 0)
    x |= 1;
  uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
                  (uint8_t)x};
  wd_addr_from_v4(out, b);
}

int tg_atk_amplification(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, nref, port, fonly, size, nvports;
  double rate, duration, first_p;
  const char *given = tg_opt_str(o, "proto", NULL);
  if (tg_opt_u64(o, "port", 0, 1, 65535, &port))
    return -1;
  /* port= alone: an unknown service; isakmp on 4500: NAT traversal */
  const char *proto = given ? given : port ? "generic" : "dns";
  int p = -1;
  for (int i = 0; i < AMP_COUNT; i++)
    if (strcasecmp(proto, amp_def[i].name) == 0)
      p = i;
  if (p == AMP_ISAKMP && port == 4500)
    p = AMP_ISAKMP_NATT;
  if (p < 0) {
    fprintf(stderr, "trafficgen: amplification: unknown proto '%s' (", proto);
    for (int i = 0; i < AMP_COUNT; i++)
      fprintf(stderr, "%s%s", i ? ", " : "", amp_def[i].name);
    fprintf(stderr, ")\n");
    return -1;
  }
  if (p == AMP_GENERIC && !port) {
    fprintf(stderr, "trafficgen: amplification: proto=generic needs port=\n");
    return -1;
  }
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_double(o, "rate", 10000, 1, 5e6, &rate) ||
      tg_opt_double(o, "duration", 5, 0.001, 3600, &duration) ||
      tg_opt_u64(o, "reflectors", 2000, 1, 1000000, &nref) ||
      tg_opt_u64(o, "fragments-only", 0, 0, 1, &fonly) ||
      tg_opt_double(o, "first", 0, 0, 1, &first_p) ||
      tg_opt_u64(o, "size", 0, 0, 60000, &size) ||
      tg_opt_u64(o, "vports", 3, 0, 3, &nvports))
    return -1;
  if (p == AMP_SYNACK && fonly) {
    fprintf(stderr, "trafficgen: amplification: synack has no fragments\n");
    return -1;
  }
  flood_t *f = flood_new(g, F_AMP, at, rate, duration);
  if (!f || victim(g, o, TG_SRV_VPN, f))
    goto fail;
  f->proto = p;
  f->aport = port ? (uint16_t)port : amp_def[p].port;
  f->frag_only = fonly != 0;
  f->nvports = (uint8_t)nvports;
  f->first_p = first_p;
  f->lo = size ? (uint32_t)size : amp_def[p].lo;
  f->hi = size ? (uint32_t)size : amp_def[p].hi;
  /* rate counts packets: a DNS/CLDAP answer is several fragments */
  if (f->frag_only)
    f->mean_gap_ns *= 2.2;
  else if (p == AMP_DNS)
    f->mean_gap_ns *= 3;
  else if (p == AMP_CLDAP)
    f->mean_gap_ns *= 2;
  f->nsrc = (uint32_t)nref;
  f->src = calloc(nref, sizeof *f->src);
  f->src_ttl = calloc(nref, 1);
  if (!f->src || !f->src_ttl)
    goto fail;
  for (uint32_t i = 0; i < f->nsrc; i++) {
    if (f->family == 6)
      tg_netmodel_public_v6(&f->a.rng, &f->src[i]);
    else
      reflector_v4(&f->a.rng, &f->src[i]);
    f->src_ttl[i] = (uint8_t)tg_rng_range(&f->a.rng, 40, 250);
  }
  for (int i = 0; i < 3; i++)
    f->vports[i] = (uint16_t)tg_rng_range(&f->a.rng, 1024, 65535);
  const wd_addr_t *va = f->family == 6 ? &f->victim.a6 : &f->victim.a4;
  f->row =
      tg_truth_add(g, "amplification", "ddos.amplification", NULL, va,
                   "proto=%s;port=%u;reflectors=%u;rate=%g;duration=%g%s",
                   amp_def[p].name, (unsigned)f->aport, (unsigned)nref, rate,
                   duration, f->frag_only ? ";fragments_only=1" : "");
  if (f->frag_only)
    tg_truth_append(g, f->row, ";first=%g", first_p);
  if (nvports != 3)
    tg_truth_append(g, f->row, ";vports=%u;not=scan.vertical|scan.horizontal",
                    (unsigned)nvports);
  if (f->row < 0)
    goto fail;
  tg_sched_add(g, &f->a, at);
  return 0;
fail:
  if (f) {
    free(f->src);
    free(f->src_ttl);
    free(f);
  }
  return -1;
}

int tg_atk_volumetric(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  uint64_t at, size, sources, port;
  double rate, duration;
  const char *proto = tg_opt_str(o, "proto", "udp");
  int p = strcmp(proto, "udp") == 0       ? V_UDP
          : strcmp(proto, "icmp") == 0    ? V_ICMP
          : strcmp(proto, "tcp-ack") == 0 ? V_TCPACK
          : strcmp(proto, "gre") == 0     ? V_GRE
                                          : -1;
  if (p < 0) {
    fprintf(stderr,
            "trafficgen: volumetric: unknown proto '%s' (udp, icmp, "
            "tcp-ack, gre)\n",
            proto);
    return -1;
  }
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_double(o, "rate", 100000, 1, 5e6, &rate) ||
      tg_opt_double(o, "duration", 3, 0.001, 3600, &duration) ||
      tg_opt_u64(o, "size", 1000, 60, TG_MTU, &size) ||
      tg_opt_u64(o, "sources", 4, 1, 10000, &sources) ||
      tg_opt_u64(o, "port", 80, 1, 65535, &port))
    return -1;
  flood_t *f = flood_new(g, F_VOL, at, rate, duration);
  if (!f || victim(g, o, TG_SRV_WWW, f))
    goto fail;
  f->proto = p;
  f->size = (uint32_t)size;
  f->port = (uint16_t)port;
  char list[512];
  if (real_sources(g, o, f, (uint32_t)sources, list, sizeof list))
    goto fail;
  const wd_addr_t *va = f->family == 6 ? &f->victim.a6 : &f->victim.a4;
  f->row = tg_truth_add(g, "volumetric", "ddos.volumetric",
                        f->nsrc == 1 ? &f->src[0] : NULL, va,
                        "proto=%s;rate=%g;size=%u;duration=%g;sources=%s",
                        proto, rate, (unsigned)size, duration, list);
  if (f->row < 0)
    goto fail;
  tg_sched_add(g, &f->a, at);
  return 0;
fail:
  if (f) {
    free(f->src);
    free(f->src_ttl);
    free(f);
  }
  return -1;
}
