/* auth.c -- authentication messages as they cross the wire: a small ASN.1
 * DER writer; SPNEGO (RFC 4178) tokens carrying NTLMSSP NEGOTIATE,
 * CHALLENGE and AUTHENTICATE messages ([MS-NLMP] 2.2.1) for SMB session
 * setups; Kerberos 5 (RFC 4120 section 5) AS-REQ with and without
 * PA-ENC-TIMESTAMP, KRB-ERROR (KDC_ERR_PREAUTH_REQUIRED 25, PREAUTH_FAILED
 * 24), AS-REP, TGS-REQ and TGS-REP. Keys and ciphertext are random bytes
 * of the right size; every tag, length and clear field is real, so a
 * parser sees exactly what a Windows client and DC would send.
 * In: names, times, the session's RNG. Out: bytes in a caller's buffer;
 * the Kerberos builders also say where their largest ciphertext lies, so
 * a TCP message can carry it as filler (tg_tcp_msg_bytes). No allocation. */
#include <stdio.h>
#include <time.h>

#include "tg.h"

#define FILETIME_EPOCH 116444736000000000ULL

/* ---- DER ------------------------------------------------------------ */
/* Opens a constructed or primitive value: tag, one length byte for now.
 * Returns where the length byte is. */
static size_t der_open(tg_buf_t *b, uint8_t tag) {
  tg_put8(b, tag);
  size_t at = b->len;
  tg_put8(b, 0);
  return at;
}

/* Closes the value opened at `at`: writes the minimal length, moving the
 * content when the long form is needed (X.690 8.1.3). */
static void der_close(tg_buf_t *b, size_t at) {
  if (b->over || at >= b->len)
    return;
  size_t n = b->len - at - 1;
  if (n < 128) {
    b->p[at] = (uint8_t)n;
    return;
  }
  int k = n < 256 ? 1 : n < 65536 ? 2 : 3;
  if (b->len + (size_t)k > b->cap) {
    b->over = true;
    return;
  }
  memmove(b->p + at + 1 + k, b->p + at + 1, n);
  b->p[at] = (uint8_t)(0x80 | k);
  for (int i = 0; i < k; i++)
    b->p[at + 1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
  b->len += (size_t)k;
}

static void der_int(tg_buf_t *b, int64_t v) {
  uint8_t x[9];
  int n = 0;
  /* two's complement, shortest form */
  for (int i = 7; i >= 0; i--)
    x[n++] = (uint8_t)((uint64_t)v >> (8 * i));
  int s = 0;
  while (s < 7 && ((x[s] == 0x00 && !(x[s + 1] & 0x80)) ||
                   (x[s] == 0xff && (x[s + 1] & 0x80))))
    s++;
  tg_put8(b, 0x02);
  tg_put8(b, (uint8_t)(8 - s));
  tg_put(b, x + s, (size_t)(8 - s));
}

/* [n] EXPLICIT INTEGER */
static void der_ctx_int(tg_buf_t *b, int n, int64_t v) {
  size_t c = der_open(b, (uint8_t)(0xa0 | n));
  der_int(b, v);
  der_close(b, c);
}

static void der_prim(tg_buf_t *b, uint8_t tag, const void *p, size_t n) {
  size_t c = der_open(b, tag);
  tg_put(b, p, n);
  der_close(b, c);
}

/* [n] EXPLICIT GeneralString (KerberosString) */
static void der_ctx_str(tg_buf_t *b, int n, const char *s) {
  size_t c = der_open(b, (uint8_t)(0xa0 | n));
  der_prim(b, 0x1b, s, strlen(s));
  der_close(b, c);
}

/* [n] EXPLICIT GeneralizedTime "YYYYMMDDHHMMSSZ" */
static void der_ctx_time(tg_buf_t *b, int n, uint64_t epoch_s) {
  time_t t = (time_t)epoch_s;
  struct tm tm;
  gmtime_r(&t, &tm);
  char s[32];
  snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  size_t c = der_open(b, (uint8_t)(0xa0 | n));
  der_prim(b, 0x18, s, 15);
  der_close(b, c);
}

static void rnd(tg_buf_t *b, tg_rng_t *r, size_t n) {
  uint8_t x[64];
  while (n > 0) {
    size_t k = n < sizeof x ? n : sizeof x;
    tg_rng_bytes(r, x, k);
    tg_put(b, x, k);
    n -= k;
  }
}

/* ---- NTLMSSP ([MS-NLMP] 2.2.1) -------------------------------------- */
#define NTLM_FLAGS                                                             \
  0xe2888215u /* unicode, ntlm, sign, seal, always sign,                       \
                 extended security, target info, version,                      \
                 128, key exchange, 56 */

static void ntlm_version(tg_buf_t *b) {
  tg_put8(b, 10); /* Windows 10 / Server 2016+ */
  tg_put8(b, 0);
  tg_put16le(b, 19041);
  tg_putz(b, 3);
  tg_put8(b, 15); /* NTLMSSP_REVISION_W2K3 */
}

static void ntlm_field(tg_buf_t *b, size_t len, size_t off) {
  tg_put16le(b, (uint16_t)len);
  tg_put16le(b, (uint16_t)len);
  tg_put32le(b, (uint32_t)off);
}

static size_t ntlm_negotiate(uint8_t *out, size_t cap) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put(&b, "NTLMSSP", 8);
  tg_put32le(&b, 1);
  tg_put32le(&b, NTLM_FLAGS);
  ntlm_field(&b, 0, 0); /* DomainNameFields: not supplied */
  ntlm_field(&b, 0, 0); /* WorkstationFields */
  ntlm_version(&b);
  return b.over ? 0 : b.len;
}

static void av_pair(tg_buf_t *b, uint16_t id, const char *s) {
  tg_put16le(b, id);
  tg_put16le(b, (uint16_t)(2 * strlen(s)));
  tg_pututf16(b, s, false);
}

/* The server's AV_PAIR list ([MS-NLMP] 2.2.2.1). */
static void target_info(tg_buf_t *b, const char *server, uint64_t now_ns) {
  char dns[96];
  snprintf(dns, sizeof dns, "%s.hospital.example", server);
  for (char *p = dns; *p && *p != '.'; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p + 32);
  av_pair(b, 2, "HOSPITAL");         /* MsvAvNbDomainName */
  av_pair(b, 1, server);             /* MsvAvNbComputerName */
  av_pair(b, 4, "hospital.example"); /* MsvAvDnsDomainName */
  av_pair(b, 3, dns);                /* MsvAvDnsComputerName */
  av_pair(b, 5, "hospital.example"); /* MsvAvDnsTreeName */
  tg_put16le(b, 7);                  /* MsvAvTimestamp */
  tg_put16le(b, 8);
  tg_put64le(b, now_ns / 100 + FILETIME_EPOCH);
  tg_put16le(b, 0); /* MsvAvEOL */
  tg_put16le(b, 0);
}

static size_t ntlm_challenge(uint8_t *out, size_t cap, const char *server,
                             uint64_t now_ns, tg_rng_t *r) {
  uint8_t ti[400];
  tg_buf_t t;
  tg_buf_init(&t, ti, sizeof ti);
  target_info(&t, server, now_ns);
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  const size_t hdr = 56, tn = 2 * strlen("HOSPITAL");
  tg_put(&b, "NTLMSSP", 8);
  tg_put32le(&b, 2);
  ntlm_field(&b, tn, hdr); /* TargetNameFields */
  tg_put32le(&b, NTLM_FLAGS | 0x00010000u /* target type domain */);
  rnd(&b, r, 8); /* ServerChallenge */
  tg_putz(&b, 8);
  ntlm_field(&b, t.len, hdr + tn); /* TargetInfoFields */
  ntlm_version(&b);
  tg_pututf16(&b, "HOSPITAL", false);
  tg_put(&b, ti, t.len);
  return b.over || t.over ? 0 : b.len;
}

static size_t ntlm_authenticate(uint8_t *out, size_t cap, const char *domain,
                                const char *user, const char *ws,
                                const char *server, uint64_t now_ns,
                                tg_rng_t *r) {
  /* NTLMv2 response: NTProofStr, then the NTLMv2_CLIENT_CHALLENGE
   * ([MS-NLMP] 2.2.2.7) with the server's AV pairs */
  uint8_t nt[480];
  tg_buf_t n;
  tg_buf_init(&n, nt, sizeof nt);
  rnd(&n, r, 16); /* NTProofStr */
  tg_put8(&n, 1); /* RespType */
  tg_put8(&n, 1); /* HiRespType */
  tg_putz(&n, 6); /* Reserved1, Reserved2 */
  tg_put64le(&n, now_ns / 100 + FILETIME_EPOCH);
  rnd(&n, r, 8);  /* ChallengeFromClient */
  tg_putz(&n, 4); /* Reserved3 */
  target_info(&n, server, now_ns);
  tg_putz(&n, 4);
  size_t dl = 2 * strlen(domain), ul = 2 * strlen(user), wl = 2 * strlen(ws);
  const size_t hdr = 88;
  size_t lm_off = hdr, nt_off = lm_off + 24, d_off = nt_off + n.len;
  size_t u_off = d_off + dl, w_off = u_off + ul, k_off = w_off + wl;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put(&b, "NTLMSSP", 8);
  tg_put32le(&b, 3);
  ntlm_field(&b, 24, lm_off); /* LmChallengeResponse: Z(24) with a MIC */
  ntlm_field(&b, n.len, nt_off);
  ntlm_field(&b, dl, d_off);
  ntlm_field(&b, ul, u_off);
  ntlm_field(&b, wl, w_off);
  ntlm_field(&b, 16, k_off); /* EncryptedRandomSessionKey */
  tg_put32le(&b, NTLM_FLAGS);
  ntlm_version(&b);
  rnd(&b, r, 16); /* MIC */
  tg_putz(&b, 24);
  tg_put(&b, nt, n.len);
  tg_pututf16(&b, domain, false);
  tg_pututf16(&b, user, false);
  tg_pututf16(&b, ws, false);
  rnd(&b, r, 16);
  return b.over || n.over ? 0 : b.len;
}

/* ---- SPNEGO (RFC 4178, the GSS-API framing of RFC 2743 3.1) ---------- */
static const uint8_t OID_SPNEGO[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t OID_NTLM[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                   0x82, 0x37, 0x02, 0x02, 0x0a};
static const uint8_t OID_KRB5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x12, 0x01, 0x02, 0x02};
static const uint8_t OID_MSKRB5[] = {0x2a, 0x86, 0x48, 0x82, 0xf7,
                                     0x12, 0x01, 0x02, 0x02};

size_t tg_auth_spnego_init(uint8_t *out, size_t cap) {
  uint8_t tok[64];
  size_t tl = ntlm_negotiate(tok, sizeof tok);
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, 0x60);
  der_prim(&b, 0x06, OID_SPNEGO, sizeof OID_SPNEGO);
  size_t c0 = der_open(&b, 0xa0);
  size_t seq = der_open(&b, 0x30);
  size_t mt = der_open(&b, 0xa0); /* mechTypes */
  size_t l = der_open(&b, 0x30);
  der_prim(&b, 0x06, OID_NTLM, sizeof OID_NTLM);
  der_close(&b, l);
  der_close(&b, mt);
  size_t tk = der_open(&b, 0xa2); /* mechToken */
  der_prim(&b, 0x04, tok, tl);
  der_close(&b, tk);
  der_close(&b, seq);
  der_close(&b, c0);
  der_close(&b, app);
  return b.over ? 0 : b.len;
}

size_t tg_auth_spnego_hints(uint8_t *out, size_t cap) {
  /* the server's negTokenInit2 in a NEGOTIATE response ([MS-SPNG] 2.2.1) */
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, 0x60);
  der_prim(&b, 0x06, OID_SPNEGO, sizeof OID_SPNEGO);
  size_t c0 = der_open(&b, 0xa0);
  size_t seq = der_open(&b, 0x30);
  size_t mt = der_open(&b, 0xa0);
  size_t l = der_open(&b, 0x30);
  der_prim(&b, 0x06, OID_MSKRB5, sizeof OID_MSKRB5);
  der_prim(&b, 0x06, OID_KRB5, sizeof OID_KRB5);
  der_prim(&b, 0x06, OID_NTLM, sizeof OID_NTLM);
  der_close(&b, l);
  der_close(&b, mt);
  size_t h = der_open(&b, 0xa3); /* negHints */
  size_t hs = der_open(&b, 0x30);
  size_t hn = der_open(&b, 0xa0);
  static const char hint[] = "not_defined_in_RFC4178@please_ignore";
  der_prim(&b, 0x1b, hint, sizeof hint - 1);
  der_close(&b, hn);
  der_close(&b, hs);
  der_close(&b, h);
  der_close(&b, seq);
  der_close(&b, c0);
  der_close(&b, app);
  return b.over ? 0 : b.len;
}

/* negTokenResp ([1] NegTokenResp) with an optional token and MIC. */
static size_t neg_resp(uint8_t *out, size_t cap, int state, bool mech,
                       const uint8_t *tok, size_t tl, tg_rng_t *mic) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t c1 = der_open(&b, 0xa1);
  size_t seq = der_open(&b, 0x30);
  if (state >= 0) {
    size_t s = der_open(&b, 0xa0);
    uint8_t e = (uint8_t)state;
    der_prim(&b, 0x0a, &e, 1); /* ENUMERATED */
    der_close(&b, s);
  }
  if (mech) {
    size_t m = der_open(&b, 0xa1);
    der_prim(&b, 0x06, OID_NTLM, sizeof OID_NTLM);
    der_close(&b, m);
  }
  if (tok) {
    size_t t = der_open(&b, 0xa2);
    der_prim(&b, 0x04, tok, tl);
    der_close(&b, t);
  }
  if (mic) { /* an NTLMSSP_MESSAGE_SIGNATURE ([MS-NLMP] 2.2.2.9.1) */
    size_t m = der_open(&b, 0xa3);
    size_t o = der_open(&b, 0x04);
    tg_put32le(&b, 1);
    rnd(&b, mic, 8);
    tg_put32le(&b, 0);
    der_close(&b, o);
    der_close(&b, m);
  }
  der_close(&b, seq);
  der_close(&b, c1);
  return b.over ? 0 : b.len;
}

size_t tg_auth_spnego_challenge(uint8_t *out, size_t cap, const char *server,
                                uint64_t now_ns, tg_rng_t *r) {
  uint8_t tok[512];
  size_t tl = ntlm_challenge(tok, sizeof tok, server, now_ns, r);
  if (!tl)
    return 0;
  return neg_resp(out, cap, 1 /* accept-incomplete */, true, tok, tl, NULL);
}

size_t tg_auth_spnego_auth(uint8_t *out, size_t cap, const char *domain,
                           const char *user, const char *ws, const char *server,
                           uint64_t now_ns, tg_rng_t *r) {
  uint8_t tok[700];
  size_t tl =
      ntlm_authenticate(tok, sizeof tok, domain, user, ws, server, now_ns, r);
  if (!tl)
    return 0;
  return neg_resp(out, cap, -1, false, tok, tl, r);
}

size_t tg_auth_spnego_done(uint8_t *out, size_t cap, tg_rng_t *r) {
  return neg_resp(out, cap, 0 /* accept-completed */, false, NULL, 0, r);
}

/* ---- Kerberos (RFC 4120 section 5) ----------------------------------- */
static void principal(tg_buf_t *b, int ctx, int type, const char *a,
                      const char *c) {
  size_t o = der_open(b, (uint8_t)(0xa0 | ctx));
  size_t seq = der_open(b, 0x30);
  der_ctx_int(b, 0, type);
  size_t ns = der_open(b, 0xa1);
  size_t l = der_open(b, 0x30);
  der_prim(b, 0x1b, a, strlen(a));
  if (c)
    der_prim(b, 0x1b, c, strlen(c));
  der_close(b, l);
  der_close(b, ns);
  der_close(b, seq);
  der_close(b, o);
}

/* [ctx] EncryptedData { etype, kvno (optional), cipher of n random bytes }
 * (ctx < 0: no context tag). The cipher is its last content, so it ends
 * where the value ends: callers locate it from the end of the message,
 * which no later length fix-up (they insert in front) moves. */
static void enc_data(tg_buf_t *b, int ctx, int etype, int kvno, size_t n,
                     tg_rng_t *r) {
  size_t o = ctx >= 0 ? der_open(b, (uint8_t)(0xa0 | ctx)) : 0;
  size_t seq = der_open(b, 0x30);
  der_ctx_int(b, 0, etype);
  if (kvno >= 0)
    der_ctx_int(b, 1, kvno);
  size_t c = der_open(b, 0xa2);
  size_t os = der_open(b, 0x04);
  rnd(b, r, n);
  der_close(b, os);
  der_close(b, c);
  der_close(b, seq);
  if (ctx >= 0)
    der_close(b, o);
}

static void kdc_options(tg_buf_t *b, int ctx, uint32_t flags) {
  size_t o = der_open(b, (uint8_t)(0xa0 | ctx));
  uint8_t bits[5] = {0, (uint8_t)(flags >> 24), (uint8_t)(flags >> 16),
                     (uint8_t)(flags >> 8), (uint8_t)flags};
  der_prim(b, 0x03, bits, 5);
  der_close(b, o);
}

static void etypes(tg_buf_t *b, int ctx) {
  static const int e[] = {18, 17, 23, 24, -135};
  size_t o = der_open(b, (uint8_t)(0xa0 | ctx));
  size_t l = der_open(b, 0x30);
  for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
    der_int(b, e[i]);
  der_close(b, l);
  der_close(b, o);
}

static void pa_data(tg_buf_t *b, int type, const uint8_t *v, size_t n) {
  size_t seq = der_open(b, 0x30);
  der_ctx_int(b, 1, type);
  size_t o = der_open(b, 0xa2);
  der_prim(b, 0x04, v, n);
  der_close(b, o);
  der_close(b, seq);
}

static size_t etype_info2(uint8_t *out, size_t cap, const tg_krb_t *k) {
  char salt[128];
  snprintf(salt, sizeof salt, "%s%s", k->realm, k->user);
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t l = der_open(&b, 0x30);
  size_t e = der_open(&b, 0x30);
  der_ctx_int(&b, 0, 18); /* aes256-cts-hmac-sha1-96 */
  der_ctx_str(&b, 1, salt);
  der_close(&b, e);
  der_close(&b, l);
  return b.over ? 0 : b.len;
}

static void req_body(tg_buf_t *b, const tg_krb_t *k, bool tgs) {
  size_t o = der_open(b, 0xa4);
  size_t seq = der_open(b, 0x30);
  kdc_options(b, 0, tgs ? 0x40810000u : 0x40810010u);
  if (!tgs)
    principal(b, 1, 1 /* NT-PRINCIPAL */, k->user, NULL);
  der_ctx_str(b, 2, k->realm);
  if (tgs)
    principal(b, 3, 2 /* NT-SRV-INST */, k->service, k->service_host);
  else
    principal(b, 3, 2, "krbtgt", k->realm);
  der_ctx_time(b, 5, 2136422885ULL); /* 2037-09-13: "no end" as Windows asks */
  if (!tgs)
    der_ctx_time(b, 6, 2136422885ULL);
  der_ctx_int(b, 7, k->nonce);
  etypes(b, 8);
  if (!tgs && k->host) { /* addresses: the client's NetBIOS name */
    size_t a = der_open(b, 0xa9);
    size_t l = der_open(b, 0x30);
    size_t h = der_open(b, 0x30);
    der_ctx_int(b, 0, 20);
    char nb[17];
    snprintf(nb, sizeof nb, "%-16s", k->host);
    size_t ad = der_open(b, 0xa1);
    der_prim(b, 0x04, nb, 16);
    der_close(b, ad);
    der_close(b, h);
    der_close(b, l);
    der_close(b, a);
  }
  der_close(b, seq);
  der_close(b, o);
}

size_t tg_krb_as_req(uint8_t *out, size_t cap, const tg_krb_t *k, bool padata,
                     tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, 0x6a); /* [APPLICATION 10] */
  size_t seq = der_open(&b, 0x30);
  der_ctx_int(&b, 1, 5);
  der_ctx_int(&b, 2, 10);
  size_t pa = der_open(&b, 0xa3);
  size_t l = der_open(&b, 0x30);
  if (padata) { /* PA-ENC-TIMESTAMP: EncryptedData of PA-ENC-TS-ENC */
    uint8_t v[128];
    tg_buf_t e;
    tg_buf_init(&e, v, sizeof v);
    enc_data(&e, -1, 18, -1, 56, r);
    pa_data(&b, 2, v, e.len);
  }
  /* PA-PAC-REQUEST ([MS-KILE] 2.2.3): include-pac TRUE */
  static const uint8_t pac[] = {0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff};
  pa_data(&b, 128, pac, sizeof pac);
  der_close(&b, l);
  der_close(&b, pa);
  req_body(&b, k, false);
  der_close(&b, seq);
  der_close(&b, app);
  return b.over ? 0 : b.len;
}

size_t tg_krb_error(uint8_t *out, size_t cap, const tg_krb_t *k, int code,
                    tg_rng_t *r) {
  (void)r;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, 0x7e); /* [APPLICATION 30] */
  size_t seq = der_open(&b, 0x30);
  der_ctx_int(&b, 0, 5);
  der_ctx_int(&b, 1, 30);
  der_ctx_time(&b, 4, k->now_ns / TG_NS);
  der_ctx_int(&b, 5, (int64_t)((k->now_ns / 1000) % 1000000));
  der_ctx_int(&b, 6, code);
  der_ctx_str(&b, 9, k->realm);
  principal(&b, 10, 2, "krbtgt", k->realm);
  if (code == 25) { /* e-data: METHOD-DATA the client may use */
    uint8_t ei[160], md[240];
    size_t el = etype_info2(ei, sizeof ei, k);
    tg_buf_t m;
    tg_buf_init(&m, md, sizeof md);
    size_t ml = der_open(&m, 0x30);
    pa_data(&m, 19, ei, el);  /* PA-ETYPE-INFO2 */
    pa_data(&m, 2, NULL, 0);  /* PA-ENC-TIMESTAMP */
    pa_data(&m, 16, NULL, 0); /* PA-PK-AS-REQ */
    pa_data(&m, 15, NULL, 0); /* PA-PK-AS-REP_OLD */
    der_close(&m, ml);
    size_t ed = der_open(&b, 0xac);
    der_prim(&b, 0x04, md, m.len);
    der_close(&b, ed);
  }
  der_close(&b, seq);
  der_close(&b, app);
  return b.over ? 0 : b.len;
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno, realm, sname, enc-part }
 * under [ctx]; its n-byte cipher is its last content. */
static void ticket(tg_buf_t *b, int ctx, const tg_krb_t *k, bool tgs, size_t n,
                   tg_rng_t *r) {
  size_t o = der_open(b, (uint8_t)(0xa0 | ctx));
  size_t app = der_open(b, 0x61);
  size_t seq = der_open(b, 0x30);
  der_ctx_int(b, 0, 5);
  der_ctx_str(b, 1, k->realm);
  if (tgs)
    principal(b, 2, 2, k->service, k->service_host);
  else
    principal(b, 2, 2, "krbtgt", k->realm);
  enc_data(b, 3, 18, 2, n, r);
  der_close(b, seq);
  der_close(b, app);
  der_close(b, o);
}

size_t tg_krb_as_rep(uint8_t *out, size_t cap, const tg_krb_t *k, bool tgs,
                     tg_rng_t *r, size_t *opq_off, size_t *opq_len) {
  size_t tlen = tgs ? 1100 + tg_rng_below(r, 300) : 980 + tg_rng_below(r, 120);
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, tgs ? 0x6d : 0x6b); /* [APPLICATION 13 / 11] */
  size_t seq = der_open(&b, 0x30);
  der_ctx_int(&b, 0, 5);
  der_ctx_int(&b, 1, tgs ? 13 : 11);
  if (!tgs) {
    uint8_t ei[160];
    size_t el = etype_info2(ei, sizeof ei, k);
    size_t pa = der_open(&b, 0xa2);
    size_t l = der_open(&b, 0x30);
    pa_data(&b, 19, ei, el);
    der_close(&b, l);
    der_close(&b, pa);
  }
  der_ctx_str(&b, 3, k->realm);
  principal(&b, 4, 1, k->user, NULL);
  ticket(&b, 5, k, tgs, tlen, r);
  size_t after_tkt = b.len;
  enc_data(&b, 6, 18, tgs ? 1 : 3, 250 + tg_rng_below(r, 60), r);
  size_t tail = b.len - after_tkt;
  der_close(&b, seq);
  der_close(&b, app);
  if (b.over)
    return 0;
  if (opq_off && opq_len) { /* the ticket's cipher, counted from the end */
    *opq_len = tlen;
    *opq_off = b.len - tail - tlen;
  }
  return b.len;
}

size_t tg_krb_tgs_req(uint8_t *out, size_t cap, const tg_krb_t *k, tg_rng_t *r,
                      size_t *opq_off, size_t *opq_len) {
  size_t tlen = 980 + tg_rng_below(r, 120);
  /* the AP-REQ ([APPLICATION 14]) in PA-TGS-REQ, built first */
  uint8_t ap[1600];
  tg_buf_t a;
  tg_buf_init(&a, ap, sizeof ap);
  size_t aa = der_open(&a, 0x6e);
  size_t as = der_open(&a, 0x30);
  der_ctx_int(&a, 0, 5);
  der_ctx_int(&a, 1, 14);
  kdc_options(&a, 2, 0); /* ap-options */
  ticket(&a, 3, k, false, tlen, r);
  size_t after_tkt = a.len;
  enc_data(&a, 4, 18, -1, 160 + tg_rng_below(r, 40), r); /* authenticator */
  size_t auth_len = a.len - after_tkt;
  der_close(&a, as);
  der_close(&a, aa);
  if (a.over)
    return 0;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t app = der_open(&b, 0x6c); /* [APPLICATION 12] */
  size_t seq = der_open(&b, 0x30);
  der_ctx_int(&b, 1, 5);
  der_ctx_int(&b, 2, 12);
  size_t pa = der_open(&b, 0xa3);
  size_t l = der_open(&b, 0x30);
  pa_data(&b, 1, ap, a.len); /* PA-TGS-REQ */
  der_close(&b, l);
  der_close(&b, pa);
  size_t after_pa = b.len;
  req_body(&b, k, true);
  size_t body = b.len - after_pa;
  der_close(&b, seq);
  der_close(&b, app);
  if (b.over)
    return 0;
  if (opq_off && opq_len) { /* from the end: req-body, authenticator */
    *opq_len = tlen;
    *opq_off = b.len - body - auth_len - tlen;
  }
  return b.len;
}

/* ---- LDAP (RFC 4511 4.5) --------------------------------------------- */
size_t tg_ldap_search_req(uint8_t *out, size_t cap, uint32_t id,
                          const char *base, const char *attr,
                          const char *value) {
  static const char *const attrs[] = {"objectSid", "memberOf", "cn",
                                      "userAccountControl", "gPLink"};
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t msg = der_open(&b, 0x30);
  der_int(&b, id);
  size_t op = der_open(&b, 0x63); /* [APPLICATION 3] SearchRequest */
  der_prim(&b, 0x04, base, strlen(base));
  uint8_t e = 2; /* wholeSubtree */
  der_prim(&b, 0x0a, &e, 1);
  e = 0; /* neverDerefAliases */
  der_prim(&b, 0x0a, &e, 1);
  der_int(&b, 0);
  der_int(&b, 120);
  uint8_t f = 0;
  der_prim(&b, 0x01, &f, 1);
  size_t flt = der_open(&b, 0xa3); /* equalityMatch */
  der_prim(&b, 0x04, attr, strlen(attr));
  der_prim(&b, 0x04, value, strlen(value));
  der_close(&b, flt);
  size_t al = der_open(&b, 0x30);
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
    der_prim(&b, 0x04, attrs[i], strlen(attrs[i]));
  der_close(&b, al);
  der_close(&b, op);
  der_close(&b, msg);
  return b.over ? 0 : b.len;
}

size_t tg_ldap_search_res(uint8_t *out, size_t cap, uint32_t id, const char *dn,
                          size_t value_len, tg_rng_t *r, size_t *opq_off,
                          size_t *opq_len) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  size_t msg = der_open(&b, 0x30);
  der_int(&b, id);
  size_t op = der_open(&b, 0x64); /* [APPLICATION 4] SearchResultEntry */
  der_prim(&b, 0x04, dn, strlen(dn));
  size_t al = der_open(&b, 0x30);
  size_t a1 = der_open(&b, 0x30);
  der_prim(&b, 0x04, "cn", 2);
  size_t v1 = der_open(&b, 0x31);
  const char *cn = strchr(dn, '=') ? strchr(dn, '=') + 1 : dn;
  size_t cl = strcspn(cn, ",");
  der_prim(&b, 0x04, cn, cl);
  der_close(&b, v1);
  der_close(&b, a1);
  size_t a2 = der_open(&b, 0x30);
  der_prim(&b, 0x04, "objectSid", 9);
  size_t v2 = der_open(&b, 0x31);
  uint8_t sid[28] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0};
  tg_rng_bytes(r, sid + 12, 16);
  der_prim(&b, 0x04, sid, sizeof sid);
  der_close(&b, v2);
  der_close(&b, a2);
  /* a large value last (group membership, policy data): its bytes end the
   * entry, so they can travel as filler */
  size_t a3 = der_open(&b, 0x30);
  der_prim(&b, 0x04, "extensionData", 13);
  size_t v3 = der_open(&b, 0x31);
  size_t os = der_open(&b, 0x04);
  rnd(&b, r, value_len);
  der_close(&b, os);
  der_close(&b, v3);
  der_close(&b, a3);
  der_close(&b, al);
  der_close(&b, op);
  der_close(&b, msg);
  size_t entry_end = b.len;
  /* SearchResultDone, success */
  size_t m2 = der_open(&b, 0x30);
  der_int(&b, id);
  size_t d = der_open(&b, 0x65);
  uint8_t rc = 0;
  der_prim(&b, 0x0a, &rc, 1);
  der_prim(&b, 0x04, "", 0);
  der_prim(&b, 0x04, "", 0);
  der_close(&b, d);
  der_close(&b, m2);
  if (b.over)
    return 0;
  if (opq_off && opq_len) {
    *opq_len = value_len;
    *opq_off = entry_end - value_len;
  }
  return b.len;
}
