/* apps.c -- application payloads of the benign mix: DNS queries and
 * answers (RFC 1035, EDNS0 per RFC 6891), NTPv4 client/server packets
 * (RFC 5905), HTTP/1.1 requests and responses, TLS 1.3 ClientHello with
 * SNI and ServerHello (RFC 8446), application-data records, SSH banners,
 * KEXINIT and binary packets (RFC 4253). In: names, sizes, the session's
 * RNG. Out: bytes in a caller's buffer or a tg_msg_t (literal part +
 * filler). No allocation. */
#include <stdio.h>

#include "tg.h"

static const char *const domains[] = {
    "www.google.com",
    "outlook.office365.com",
    "login.microsoftonline.com",
    "teams.microsoft.com",
    "update.microsoft.com",
    "ctldl.windowsupdate.com",
    "ocsp.digicert.com",
    "crl.globalsign.com",
    "fonts.gstatic.com",
    "cdn.jsdelivr.net",
    "www.nhs.uk",
    "pubmed.ncbi.nlm.nih.gov",
    "www.who.int",
    "www.ecdc.europa.eu",
    "api.weather.example.net",
    "clients4.google.com",
    "time.windows.com",
    "www.wikipedia.org",
    "github.com",
    "deb.debian.org",
    "security.debian.org",
    "ehr.hospital.example",
    "pacs.hospital.example",
    "intranet.hospital.example",
    "mail.hospital.example",
    "_ldap._tcp.dc._msdcs.hospital.example",
    "dc01.hospital.example",
    "wpad.hospital.example",
    "labsystem.hospital.example",
    "portal.hospital.example",
    "www.bbc.co.uk",
    "www.lemonde.fr",
    "edge.lab-vendor.example.com",
    "telemetry.device-vendor.example.org",
};

const char *tg_apps_domain(tg_rng_t *r) {
  size_t n = sizeof domains / sizeof domains[0];
  double u = tg_rng_unit(r);
  return domains[(size_t)(n * u * u) % n];
}

const char *tg_apps_web_domain(tg_rng_t *r) {
  for (;;) { /* names an outside web server can have */
    const char *d = tg_apps_domain(r);
    if (d[0] != '_' && !strstr(d, "hospital.example"))
      return d;
  }
}

static void set16be(tg_buf_t *b, size_t at, uint16_t v) {
  if (at + 2 <= b->len) {
    b->p[at] = (uint8_t)(v >> 8);
    b->p[at + 1] = (uint8_t)v;
  }
}

static void set24be(tg_buf_t *b, size_t at, uint32_t v) {
  if (at + 3 <= b->len) {
    b->p[at] = (uint8_t)(v >> 16);
    b->p[at + 1] = (uint8_t)(v >> 8);
    b->p[at + 2] = (uint8_t)v;
  }
}

static void put_qname(tg_buf_t *b, const char *name) {
  const char *p = name;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n > 63)
      n = 63;
    tg_put8(b, (uint8_t)n);
    tg_put(b, p, n);
    p += n;
    if (*p == '.')
      p++;
  }
  tg_put8(b, 0);
}

static void put_opt(tg_buf_t *b) {
  tg_put8(b, 0);       /* root name */
  tg_put16be(b, 41);   /* OPT */
  tg_put16be(b, 1232); /* UDP payload size */
  tg_put32be(b, 0);    /* extended rcode, version, flags */
  tg_put16be(b, 0);    /* rdlength */
}

size_t tg_apps_dns_query(uint8_t *out, size_t cap, uint16_t id,
                         const char *name, uint16_t qtype, bool edns) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put16be(&b, id);
  tg_put16be(&b, 0x0100); /* RD */
  tg_put16be(&b, 1);
  tg_put16be(&b, 0);
  tg_put16be(&b, 0);
  tg_put16be(&b, edns ? 1 : 0);
  put_qname(&b, name);
  tg_put16be(&b, qtype);
  tg_put16be(&b, 1); /* IN */
  if (edns)
    put_opt(&b);
  return b.over ? 0 : b.len;
}

size_t tg_apps_dns_answer(uint8_t *out, size_t cap, const uint8_t *query,
                          size_t qlen, int answers, tg_rng_t *r, bool nx) {
  if (qlen < 17)
    return 0;
  size_t q = 12;
  while (q < qlen && query[q] != 0)
    q += (size_t)query[q] + 1;
  q += 5; /* root label, QTYPE, QCLASS */
  if (q > qlen)
    return 0;
  uint16_t qtype = (uint16_t)((query[q - 4] << 8) | query[q - 3]);
  bool edns = query[11] != 0;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put(&b, query, 2);
  tg_put16be(&b, nx ? 0x8183 : 0x8180);
  tg_put16be(&b, 1);
  tg_put16be(&b, nx ? 0 : (uint16_t)answers);
  tg_put16be(&b, nx ? 1 : 0);
  tg_put16be(&b, edns ? 1 : 0);
  tg_put(&b, query + 12, q - 12);
  if (nx) { /* SOA of the zone in the authority section */
    tg_put16be(&b, 0xc00c);
    tg_put16be(&b, 6);
    tg_put16be(&b, 1);
    tg_put32be(&b, 900);
    tg_put16be(&b, 24);
    tg_put16be(&b, 0xc00c); /* MNAME, RNAME: compressed */
    tg_put16be(&b, 0xc00c);
    tg_put32be(&b, (uint32_t)tg_rng_range(r, 2024010100, 2026123199));
    tg_put32be(&b, 3600); /* refresh, retry, expire, minimum */
    tg_put32be(&b, 900);
    tg_put32be(&b, 604800);
    tg_put32be(&b, 300);
  }
  for (int i = 0; i < answers && !nx; i++) {
    tg_put16be(&b, 0xc00c);
    bool cname = i == 0 && answers > 1 && (qtype == 1 || qtype == 28);
    if (cname) {
      char edge[48];
      snprintf(edge, sizeof edge, "edge-%u.cdn-example.net",
               (unsigned)tg_rng_below(r, 900) + 100);
      tg_put16be(&b, 5);
      tg_put16be(&b, 1);
      tg_put32be(&b, (uint32_t)tg_rng_range(r, 30, 3600));
      size_t rl = b.len;
      tg_put16be(&b, 0);
      put_qname(&b, edge);
      set16be(&b, rl, (uint16_t)(b.len - rl - 2));
      continue;
    }
    uint16_t t = qtype;
    tg_put16be(&b, t);
    tg_put16be(&b, 1);
    tg_put32be(&b, (uint32_t)tg_rng_range(r, 20, 86400));
    size_t rl = b.len;
    tg_put16be(&b, 0);
    char nm[64];
    switch (t) {
    case 1: { /* A, AAAA: public addresses */
      wd_addr_t a;
      tg_netmodel_public_v4(r, &a);
      tg_put(&b, a.b + 12, 4);
      break;
    }
    case 28: {
      wd_addr_t a;
      tg_netmodel_public_v6(r, &a);
      tg_put(&b, a.b, 16);
      break;
    }
    case 12: /* PTR */
      snprintf(nm, sizeof nm, "host-%u.static.example.net",
               (unsigned)tg_rng_below(r, 100000));
      put_qname(&b, nm);
      break;
    case 33: /* SRV (RFC 2782): priority, weight, port, target */
      tg_put16be(&b, 0);
      tg_put16be(&b, 100);
      tg_put16be(&b, 389);
      snprintf(nm, sizeof nm, "dc0%u.hospital.example", (unsigned)(i + 1));
      put_qname(&b, nm);
      break;
    case 65: /* HTTPS (RFC 9460): priority 1, target ".", alpn */
      tg_put16be(&b, 1);
      tg_put8(&b, 0);
      tg_put16be(&b, 1); /* alpn */
      tg_put16be(&b, 6);
      tg_put8(&b, 2);
      tg_putstr(&b, "h3");
      tg_put8(&b, 2);
      tg_putstr(&b, "h2");
      tg_put16be(&b, 4); /* ipv4hint */
      tg_put16be(&b, 4);
      wd_addr_t h4;
      tg_netmodel_public_v4(r, &h4);
      tg_put(&b, h4.b + 12, 4);
      break;
    default: { /* TXT and anything else: one character-string */
      size_t n = 20 + tg_rng_below(r, 160);
      tg_put8(&b, (uint8_t)n);
      for (size_t k = 0; k < n; k++)
        tg_put8(&b, (uint8_t)('a' + tg_rng_below(r, 26)));
      break;
    }
    }
    set16be(&b, rl, (uint16_t)(b.len - rl - 2));
  }
  if (edns)
    put_opt(&b);
  return b.over ? 0 : b.len;
}

size_t tg_apps_dns_big(uint8_t *out, size_t cap, uint16_t id, const char *name,
                       size_t size, tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put16be(&b, id);
  tg_put16be(&b, 0x8580); /* response, authoritative, RD, RA */
  tg_put16be(&b, 1);
  size_t an = b.len;
  tg_put16be(&b, 0);
  tg_put16be(&b, 0);
  tg_put16be(&b, 1);
  put_qname(&b, name);
  tg_put16be(&b, 255); /* ANY */
  tg_put16be(&b, 1);
  uint16_t n = 0;
  static const uint16_t types[] = {48, 46, 16, 46, 1, 28, 2, 15, 6, 46};
  while (b.len + 300 < size && b.len + 300 < cap) {
    uint16_t t = types[n % (sizeof types / sizeof types[0])];
    size_t rdl = t == 1 ? 4 : t == 28 ? 16 : t == 48 ? 264 : t == 46 ? 280 : 60;
    tg_put16be(&b, 0xc00c);
    tg_put16be(&b, t);
    tg_put16be(&b, 1);
    tg_put32be(&b, 3600);
    tg_put16be(&b, (uint16_t)rdl);
    uint8_t rd[300];
    tg_rng_bytes(r, rd, rdl);
    tg_put(&b, rd, rdl);
    n++;
  }
  set16be(&b, an, n);
  put_opt(&b);
  set16be(&b, 10, 1);
  return b.over ? 0 : b.len;
}

size_t tg_apps_ntp(uint8_t *out, size_t cap, int mode, uint64_t now_ns,
                   tg_rng_t *r) {
  if (cap < 48)
    return 0;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  uint64_t sec = now_ns / TG_NS + 2208988800ULL; /* NTP era 0 */
  uint64_t frac = ((now_ns % TG_NS) << 32) / TG_NS;
  uint64_t ts = (sec << 32) | frac;
  tg_put8(&b, (uint8_t)((4 << 3) | mode)); /* LI 0, VN 4, mode */
  if (mode == 3) {
    tg_put8(&b, 0);    /* stratum */
    tg_put8(&b, 6);    /* poll */
    tg_put8(&b, 0xe9); /* precision */
    tg_putz(&b, 12);   /* root delay, dispersion, reference id */
    tg_putz(&b, 24);   /* reference, origin, receive timestamps */
    tg_put32be(&b, (uint32_t)(ts >> 32));
    tg_put32be(&b, (uint32_t)ts);
  } else {
    tg_put8(&b, 2);
    tg_put8(&b, 6);
    tg_put8(&b, 0xe8);
    tg_put32be(&b, (uint32_t)tg_rng_range(r, 0x100, 0x900));
    tg_put32be(&b, (uint32_t)tg_rng_range(r, 0x100, 0x900));
    tg_put32be(&b, 0xc0000201u + (uint32_t)tg_rng_below(r, 200));
    uint64_t ref = ts - (64ULL << 32);
    uint64_t org = ts - (1ULL << 22);
    tg_put32be(&b, (uint32_t)(ref >> 32));
    tg_put32be(&b, (uint32_t)ref);
    tg_put32be(&b, (uint32_t)(org >> 32));
    tg_put32be(&b, (uint32_t)org);
    tg_put32be(&b, (uint32_t)(ts >> 32));
    tg_put32be(&b, (uint32_t)ts);
    tg_put32be(&b, (uint32_t)(ts >> 32));
    tg_put32be(&b, (uint32_t)ts + 0x2000);
  }
  return b.len;
}

static const char *const paths[] = {"/",
                                    "/index.html",
                                    "/api/v2/status",
                                    "/static/app.js",
                                    "/img/logo.png",
                                    "/news/latest",
                                    "/search?q=guidelines",
                                    "/updates/manifest.json",
                                    "/favicon.ico",
                                    "/css/site.css"};
static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 "
    "Firefox/125.0",
    "Microsoft-Delivery-Optimization/10.0", "Debian APT-HTTP/1.3 (2.6.1)"};

bool tg_apps_http_req(tg_msg_t *m, const char *host, tg_rng_t *r,
                      uint64_t think) {
  tg_tcp_msg_init(m, TG_C2S, think);
  char s[TG_MSG_HDR];
  const char *path = paths[tg_rng_below(r, sizeof paths / sizeof paths[0])];
  const char *agent = agents[tg_rng_below(r, sizeof agents / sizeof agents[0])];
  int n = snprintf(
      s, sizeof s,
      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
      "Accept-Language: en-GB,en;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
      "Connection: keep-alive\r\n\r\n",
      path, host, agent);
  if (n <= 0 || (size_t)n >= sizeof s)
    return false;
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put(&b, s, (size_t)n);
  tg_tcp_msg_done(m, &b, 0, TG_FILL_TEXT);
  return !b.over;
}

bool tg_apps_http_resp(tg_msg_t *m, uint32_t body, tg_rng_t *r,
                       uint64_t think) {
  static const char *const types[] = {
      "text/html; charset=utf-8", "application/javascript", "image/png",
      "application/json", "application/octet-stream"};
  tg_tcp_msg_init(m, TG_S2C, think);
  char s[TG_MSG_HDR];
  const char *type = types[tg_rng_below(r, 5)];
  unsigned age = (unsigned)tg_rng_below(r, 86400);
  int n = snprintf(s, sizeof s,
                   "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: %s\r\n"
                   "Content-Length: %u\r\nCache-Control: max-age=%u\r\n"
                   "Connection: keep-alive\r\n\r\n",
                   type, (unsigned)body, age);
  if (n <= 0 || (size_t)n >= sizeof s)
    return false;
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put(&b, s, (size_t)n);
  tg_tcp_msg_done(m, &b, body, TG_FILL_TEXT);
  return !b.over;
}

bool tg_apps_tls_client_hello(tg_msg_t *m, const char *sni, tg_rng_t *r) {
  static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                    0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                    0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                     0x0805, 0x0501, 0x0806, 0x0601};
  tg_tcp_msg_init(m, TG_C2S, 0);
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint8_t rnd[32];
  tg_put8(&b, 0x16); /* handshake record */
  tg_put16be(&b, 0x0301);
  size_t rec = b.len;
  tg_put16be(&b, 0);
  tg_put8(&b, 1); /* ClientHello */
  size_t hs = b.len;
  tg_put8(&b, 0);
  tg_put16be(&b, 0);
  tg_put16be(&b, 0x0303);
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  tg_put8(&b, 32); /* legacy session id */
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  tg_put16be(&b, (uint16_t)(2 * (sizeof suites / sizeof suites[0])));
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    tg_put16be(&b, suites[i]);
  tg_put8(&b, 1);
  tg_put8(&b, 0); /* null compression */
  size_t ext = b.len;
  tg_put16be(&b, 0);
  size_t sl = strlen(sni);
  if (sl) { /* server_name (none when connecting to a bare address) */
    tg_put16be(&b, 0x0000);
    tg_put16be(&b, (uint16_t)(sl + 5));
    tg_put16be(&b, (uint16_t)(sl + 3));
    tg_put8(&b, 0); /* host_name */
    tg_put16be(&b, (uint16_t)sl);
    tg_put(&b, sni, sl);
  }
  tg_put16be(&b, 0x000a); /* supported_groups */
  tg_put16be(&b, 8);
  tg_put16be(&b, 6);
  tg_put16be(&b, 0x001d);
  tg_put16be(&b, 0x0017);
  tg_put16be(&b, 0x0018);
  tg_put16be(&b, 0x000b); /* ec_point_formats */
  tg_put16be(&b, 2);
  tg_put8(&b, 1);
  tg_put8(&b, 0);
  tg_put16be(&b, 0x000d); /* signature_algorithms */
  tg_put16be(&b, (uint16_t)(2 + 2 * (sizeof sigalgs / sizeof sigalgs[0])));
  tg_put16be(&b, (uint16_t)(2 * (sizeof sigalgs / sizeof sigalgs[0])));
  for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++)
    tg_put16be(&b, sigalgs[i]);
  tg_put16be(&b, 0x0010); /* ALPN: h2, http/1.1 */
  tg_put16be(&b, 14);
  tg_put16be(&b, 12);
  tg_put8(&b, 2);
  tg_putstr(&b, "h2");
  tg_put8(&b, 8);
  tg_putstr(&b, "http/1.1");
  tg_put16be(&b, 0x002b); /* supported_versions */
  tg_put16be(&b, 5);
  tg_put8(&b, 4);
  tg_put16be(&b, 0x0304);
  tg_put16be(&b, 0x0303);
  tg_put16be(&b, 0x002d); /* psk_key_exchange_modes */
  tg_put16be(&b, 2);
  tg_put8(&b, 1);
  tg_put8(&b, 1);
  tg_put16be(&b, 0x0033); /* key_share: x25519 */
  tg_put16be(&b, 38);
  tg_put16be(&b, 36);
  tg_put16be(&b, 0x001d);
  tg_put16be(&b, 32);
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  set16be(&b, ext, (uint16_t)(b.len - ext - 2));
  set24be(&b, hs, (uint32_t)(b.len - hs - 3));
  set16be(&b, rec, (uint16_t)(b.len - rec - 2));
  tg_tcp_msg_done(m, &b, 0, TG_FILL_RAND);
  return !b.over;
}

bool tg_apps_tls_server_hello(tg_msg_t *m, tg_rng_t *r, uint64_t think) {
  tg_tcp_msg_init(m, TG_S2C, think);
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint8_t rnd[32];
  tg_put8(&b, 0x16);
  tg_put16be(&b, 0x0303);
  size_t rec = b.len;
  tg_put16be(&b, 0);
  tg_put8(&b, 2); /* ServerHello */
  size_t hs = b.len;
  tg_put8(&b, 0);
  tg_put16be(&b, 0);
  tg_put16be(&b, 0x0303);
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  tg_put8(&b, 32);
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  tg_put16be(&b, 0x1301);
  tg_put8(&b, 0);
  tg_put16be(&b, 46);
  tg_put16be(&b, 0x002b);
  tg_put16be(&b, 2);
  tg_put16be(&b, 0x0304);
  tg_put16be(&b, 0x0033);
  tg_put16be(&b, 36);
  tg_put16be(&b, 0x001d);
  tg_put16be(&b, 32);
  tg_rng_bytes(r, rnd, 32);
  tg_put(&b, rnd, 32);
  set24be(&b, hs, (uint32_t)(b.len - hs - 3));
  set16be(&b, rec, (uint16_t)(b.len - rec - 2));
  /* ChangeCipherSpec (middlebox compatibility), then the encrypted
   * EncryptedExtensions/Certificate/CertificateVerify/Finished record */
  tg_put(&b, "\x14\x03\x03\x00\x01\x01", 6);
  uint32_t enc = (uint32_t)tg_rng_range(r, 2400, 5200);
  tg_put8(&b, 0x17);
  tg_put16be(&b, 0x0303);
  tg_put16be(&b, (uint16_t)enc);
  tg_tcp_msg_done(m, &b, enc, TG_FILL_RAND);
  return !b.over;
}

bool tg_apps_tls_record(tg_msg_t *m, int dir, uint32_t len, uint64_t think) {
  if (len > 16384 + 256)
    len = 16384 + 256;
  tg_tcp_msg_init(m, dir, think);
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put8(&b, 0x17); /* application_data */
  tg_put16be(&b, 0x0303);
  tg_put16be(&b, (uint16_t)len);
  tg_tcp_msg_done(m, &b, len, TG_FILL_RAND);
  return true;
}

bool tg_apps_ssh_banner(tg_msg_t *m, int dir, bool server) {
  tg_tcp_msg_init(m, dir, server ? 2 * TG_MS : 0);
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_putstr(&b, server ? "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
                       : "SSH-2.0-OpenSSH_for_Windows_8.1\r\n");
  /* KEXINIT right behind the banner, in clear (RFC 4253 7.1) */
  static const char *const lists[] = {
      ("curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
       "diffie-hellman-group16-sha512,ext-info-c"),
      "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
      "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
      "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
      "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
      "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
      "none,zlib@openssh.com",
      "none,zlib@openssh.com",
      "",
      ""};
  size_t start = b.len;
  tg_put32be(&b, 0);
  tg_put8(&b, 0);  /* padding length */
  tg_put8(&b, 20); /* SSH_MSG_KEXINIT */
  for (int i = 0; i < 16; i++)
    tg_put8(&b, (uint8_t)(0x5a ^ (i * 37) ^ (server ? 0xff : 0)));
  for (int i = 0; i < 10; i++) {
    tg_put32be(&b, (uint32_t)strlen(lists[i]));
    tg_putstr(&b, lists[i]);
  }
  tg_put8(&b, 0);    /* first_kex_packet_follows */
  tg_put32be(&b, 0); /* reserved */
  size_t body = b.len - start - 4;
  uint8_t pad = (uint8_t)(8 - (body % 8));
  if (pad < 4)
    pad = (uint8_t)(pad + 8);
  tg_putz(&b, pad);
  b.p[start + 4] = pad;
  uint32_t plen = (uint32_t)(b.len - start - 4);
  b.p[start] = (uint8_t)(plen >> 24);
  b.p[start + 1] = (uint8_t)(plen >> 16);
  b.p[start + 2] = (uint8_t)(plen >> 8);
  b.p[start + 3] = (uint8_t)plen;
  tg_tcp_msg_done(m, &b, 0, TG_FILL_RAND);
  return !b.over;
}

bool tg_apps_ssh_packet(tg_msg_t *m, int dir, uint32_t len, uint64_t think) {
  tg_tcp_msg_init(m, dir, think);
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put32be(&b, len); /* packet length; the rest is ciphertext + MAC */
  tg_tcp_msg_done(m, &b, len + 16, TG_FILL_RAND);
  return true;
}

/* One SSH binary packet in clear (RFC 4253 6): length, padding length,
 * payload, random padding to a multiple of 8 (at least 4 bytes). */
static void ssh_clear(tg_buf_t *b, const uint8_t *pl, size_t n, tg_rng_t *r) {
  size_t pad = 8 - ((n + 5) % 8);
  if (pad < 4)
    pad += 8;
  tg_put32be(b, (uint32_t)(1 + n + pad));
  tg_put8(b, (uint8_t)pad);
  tg_put(b, pl, n);
  uint8_t x[16];
  tg_rng_bytes(r, x, pad);
  tg_put(b, x, pad);
}

static void ssh_string(tg_buf_t *b, const void *p, size_t n) {
  tg_put32be(b, (uint32_t)n);
  tg_put(b, p, n);
}

bool tg_apps_ssh_kex(tg_msg_t *m, int dir, tg_rng_t *r, uint64_t think) {
  tg_tcp_msg_init(m, dir, think);
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint8_t pl[400], k[64];
  tg_buf_t p;
  tg_buf_init(&p, pl, sizeof pl);
  if (dir == TG_C2S) { /* SSH_MSG_KEX_ECDH_INIT (RFC 5656 4, RFC 8731) */
    tg_put8(&p, 30);
    tg_rng_bytes(r, k, 32);
    ssh_string(&p, k, 32);
    ssh_clear(&b, pl, p.len, r);
  } else { /* SSH_MSG_KEX_ECDH_REPLY, then SSH_MSG_NEWKEYS */
    uint8_t hk[64], sig[96];
    tg_buf_t h, s;
    tg_buf_init(&h, hk, sizeof hk);
    tg_buf_init(&s, sig, sizeof sig);
    ssh_string(&h, "ssh-ed25519", 11); /* host key blob (RFC 8709) */
    tg_rng_bytes(r, k, 32);
    ssh_string(&h, k, 32);
    ssh_string(&s, "ssh-ed25519", 11);
    tg_rng_bytes(r, k, 64);
    ssh_string(&s, k, 64);
    tg_put8(&p, 31);
    ssh_string(&p, hk, h.len);
    tg_rng_bytes(r, k, 32);
    ssh_string(&p, k, 32);
    ssh_string(&p, sig, s.len);
    ssh_clear(&b, pl, p.len, r);
    uint8_t nk = 21;
    ssh_clear(&b, &nk, 1, r);
  }
  tg_tcp_msg_done(m, &b, 0, TG_FILL_RAND);
  return !b.over;
}

bool tg_apps_ssh_newkeys(tg_msg_t *m, uint32_t first_len, tg_rng_t *r,
                         uint64_t think) {
  tg_tcp_msg_init(m, TG_C2S, think);
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint8_t nk = 21;
  ssh_clear(&b, &nk, 1, r);
  /* the first encrypted packet (SERVICE_REQUEST) follows at once */
  tg_put32be(&b, first_len);
  tg_tcp_msg_done(m, &b, first_len + 16, TG_FILL_RAND);
  return !b.over;
}
