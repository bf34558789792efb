/* quic.c -- QUIC version 1 connections to UDP 443 (RFC 9000), with real
 * Initial packets: the client's first datagram carries a TLS 1.3
 * ClientHello (SNI, ALPN h3, quic_transport_parameters) in a CRYPTO frame,
 * padded to 1200 bytes and protected as RFC 9001 section 5 says -- keys
 * from HKDF over the client's Destination Connection ID with the v1 salt,
 * AES-128-GCM on the payload, AES-ECB header protection -- so anyone can
 * decrypt it, as on a real network; the server's Initial (ACK + the
 * ServerHello) likewise. What follows (Handshake and 1-RTT packets) is
 * protected with keys from the TLS key exchange, which a tap cannot know:
 * those packets have correct headers and random payloads.
 * In: hosts, SNI, sizes. Out: UDP packets through a conversation actor.
 * Crypto: libcrypto (OpenSSL 3), EVP interfaces; no allocation per packet
 * beyond the cipher contexts made once. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

static const uint8_t V1_SALT[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                    0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                    0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

/* ---- key schedule (RFC 9001 5.1, 5.2; RFC 8446 7.1) ------------------- */
static void hmac256(const uint8_t *key, size_t kl, const uint8_t *d, size_t dl,
                    uint8_t out[32]) {
  unsigned int n = 32;
  HMAC(EVP_sha256(), key, (int)kl, d, dl, out, &n);
}

static void expand_label(const uint8_t secret[32], const char *label,
                         uint8_t *out, size_t n) {
  uint8_t info[64];
  size_t ll = 6 + strlen(label);
  info[0] = (uint8_t)(n >> 8);
  info[1] = (uint8_t)n;
  info[2] = (uint8_t)ll;
  memcpy(info + 3, "tls13 ", 6);
  memcpy(info + 9, label, strlen(label));
  info[3 + ll] = 0; /* empty context */
  size_t il = 4 + ll;
  /* HKDF-Expand, one or two blocks are all we need */
  uint8_t t[32], buf[96];
  size_t done = 0, tl = 0;
  for (uint8_t i = 1; done < n; i++) {
    memcpy(buf, t, tl);
    memcpy(buf + tl, info, il);
    buf[tl + il] = i;
    hmac256(secret, 32, buf, tl + il + 1, t);
    tl = 32;
    size_t k = n - done < 32 ? n - done : 32;
    memcpy(out + done, t, k);
    done += k;
  }
}

typedef struct quic_keys {
  uint8_t key[16], iv[12], hp[16];
} quic_keys_t;

void tg_quic_initial_keys(const uint8_t *dcid, size_t dl, bool server,
                          uint8_t key[16], uint8_t iv[12], uint8_t hp[16]) {
  uint8_t initial[32], secret[32];
  hmac256(V1_SALT, sizeof V1_SALT, dcid, dl, initial); /* HKDF-Extract */
  expand_label(initial, server ? "server in" : "client in", secret, 32);
  expand_label(secret, "quic key", key, 16);
  expand_label(secret, "quic iv", iv, 12);
  expand_label(secret, "quic hp", hp, 16);
}

/* ---- packet protection (RFC 9001 5.3, 5.4) ----------------------------- */
static EVP_CIPHER_CTX *gcm_ctx, *ecb_ctx;

static void crypto_init(void) {
  if (!gcm_ctx) {
    gcm_ctx = EVP_CIPHER_CTX_new();
    ecb_ctx = EVP_CIPHER_CTX_new();
    if (!gcm_ctx || !ecb_ctx) {
      fprintf(stderr, "trafficgen: libcrypto: no cipher context\n");
      exit(1);
    }
  }
}

void tg_quic_free(void) {
  EVP_CIPHER_CTX_free(gcm_ctx);
  EVP_CIPHER_CTX_free(ecb_ctx);
  gcm_ctx = ecb_ctx = NULL;
}

/* Protects packet p[0, len): header [0, pn_off + pn_len), payload after;
 * writes the 16-byte tag at p + len; returns len + 16. */
static size_t protect(const quic_keys_t *k, uint8_t *p, size_t pn_off,
                      size_t pn_len, uint64_t pn, size_t len) {
  crypto_init();
  uint8_t nonce[12];
  memcpy(nonce, k->iv, 12);
  for (int i = 0; i < 8; i++)
    nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
  size_t hl = pn_off + pn_len;
  int n = 0;
  uint8_t *ct = p + hl;
  if (EVP_EncryptInit_ex(gcm_ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) !=
          1 ||
      EVP_EncryptUpdate(gcm_ctx, NULL, &n, p, (int)hl) != 1 ||
      EVP_EncryptUpdate(gcm_ctx, ct, &n, ct, (int)(len - hl)) != 1 ||
      EVP_EncryptFinal_ex(gcm_ctx, ct + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_GET_TAG, 16, p + len) != 1) {
    fprintf(stderr, "trafficgen: libcrypto: AES-128-GCM failed\n");
    exit(1);
  }
  /* header protection: mask from the 16 bytes 4 after the PN start */
  uint8_t mask[32];
  if (EVP_EncryptInit_ex(ecb_ctx, EVP_aes_128_ecb(), NULL, k->hp, NULL) != 1 ||
      EVP_CIPHER_CTX_set_padding(ecb_ctx, 0) != 1 ||
      EVP_EncryptUpdate(ecb_ctx, mask, &n, p + pn_off + 4, 16) != 1) {
    fprintf(stderr, "trafficgen: libcrypto: AES-ECB failed\n");
    exit(1);
  }
  p[0] ^= mask[0] & ((p[0] & 0x80) ? 0x0f : 0x1f);
  for (size_t i = 0; i < pn_len; i++)
    p[pn_off + i] ^= mask[1 + i];
  return len + 16;
}

/* ---- encoding helpers -------------------------------------------------- */
static void varint(tg_buf_t *b, uint64_t v) {
  if (v < 64) {
    tg_put8(b, (uint8_t)v);
  } else if (v < 16384) {
    tg_put16be(b, (uint16_t)(0x4000 | v));
  } else {
    tg_put32be(b, (uint32_t)(0x80000000u | v));
  }
}

static void tp(tg_buf_t *b, uint64_t id, uint64_t v) { /* varint param */
  uint8_t x[8];
  tg_buf_t t;
  tg_buf_init(&t, x, sizeof x);
  varint(&t, v);
  varint(b, id);
  varint(b, t.len);
  tg_put(b, x, t.len);
}

static void set16(uint8_t *p, size_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void set24(uint8_t *p, size_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}

/* TLS 1.3 ClientHello for QUIC (RFC 9001 8: no legacy session id, the
 * quic_transport_parameters extension of RFC 9000 18). */
static size_t client_hello(uint8_t *out, size_t cap, const char *sni,
                           const uint8_t *scid, size_t sl, tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  uint8_t x[32];
  tg_put8(&b, 1);
  size_t hs = b.len;
  tg_putz(&b, 3);
  tg_put16be(&b, 0x0303);
  tg_rng_bytes(r, x, 32);
  tg_put(&b, x, 32);
  tg_put8(&b, 0); /* legacy_session_id: empty */
  tg_put16be(&b, 6);
  tg_put16be(&b, 0x1301);
  tg_put16be(&b, 0x1302);
  tg_put16be(&b, 0x1303);
  tg_put8(&b, 1);
  tg_put8(&b, 0);
  size_t ext = b.len;
  tg_put16be(&b, 0);
  size_t n = strlen(sni);
  tg_put16be(&b, 0x0000); /* server_name */
  tg_put16be(&b, (uint16_t)(n + 5));
  tg_put16be(&b, (uint16_t)(n + 3));
  tg_put8(&b, 0);
  tg_put16be(&b, (uint16_t)n);
  tg_put(&b, sni, n);
  tg_put16be(&b, 0x000a); /* supported_groups */
  tg_put16be(&b, 6);
  tg_put16be(&b, 4);
  tg_put16be(&b, 0x001d);
  tg_put16be(&b, 0x0017);
  tg_put16be(&b, 0x000d); /* signature_algorithms */
  tg_put16be(&b, 10);
  tg_put16be(&b, 8);
  tg_put16be(&b, 0x0403);
  tg_put16be(&b, 0x0804);
  tg_put16be(&b, 0x0401);
  tg_put16be(&b, 0x0503);
  tg_put16be(&b, 0x0010); /* ALPN: h3 */
  tg_put16be(&b, 5);
  tg_put16be(&b, 3);
  tg_put8(&b, 2);
  tg_putstr(&b, "h3");
  tg_put16be(&b, 0x002b); /* supported_versions: TLS 1.3 */
  tg_put16be(&b, 3);
  tg_put8(&b, 2);
  tg_put16be(&b, 0x0304);
  tg_put16be(&b, 0x002d); /* psk_key_exchange_modes */
  tg_put16be(&b, 2);
  tg_put8(&b, 1);
  tg_put8(&b, 1);
  tg_put16be(&b, 0x0033); /* key_share: x25519 */
  tg_put16be(&b, 38);
  tg_put16be(&b, 36);
  tg_put16be(&b, 0x001d);
  tg_put16be(&b, 32);
  tg_rng_bytes(r, x, 32);
  tg_put(&b, x, 32);
  tg_put16be(&b, 0x0039); /* quic_transport_parameters */
  size_t tpl = b.len;
  tg_put16be(&b, 0);
  tp(&b, 0x01, 30000);    /* max_idle_timeout */
  tp(&b, 0x03, 1472);     /* max_udp_payload_size */
  tp(&b, 0x04, 15728640); /* initial_max_data */
  tp(&b, 0x05, 6291456);  /* initial_max_stream_data_bidi_local */
  tp(&b, 0x06, 6291456);  /* ..._bidi_remote */
  tp(&b, 0x07, 6291456);  /* ..._uni */
  tp(&b, 0x08, 100);      /* initial_max_streams_bidi */
  tp(&b, 0x09, 103);      /* initial_max_streams_uni */
  varint(&b, 0x0f);       /* initial_source_connection_id */
  varint(&b, sl);
  tg_put(&b, scid, sl);
  set16(b.p + tpl, b.len - tpl - 2);
  set16(b.p + ext, b.len - ext - 2);
  set24(b.p + hs, b.len - hs - 3);
  return b.over ? 0 : b.len;
}

static size_t server_hello(uint8_t *out, size_t cap, tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  uint8_t x[32];
  tg_put8(&b, 2);
  size_t hs = b.len;
  tg_putz(&b, 3);
  tg_put16be(&b, 0x0303);
  tg_rng_bytes(r, x, 32);
  tg_put(&b, x, 32);
  tg_put8(&b, 0); /* legacy_session_id_echo */
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
  tg_rng_bytes(r, x, 32);
  tg_put(&b, x, 32);
  set24(b.p + hs, b.len - hs - 3);
  return b.over ? 0 : b.len;
}

/* An Initial packet into out: frames f[0, fl) (then PADDING up to pad
 * bytes of datagram when pad > 0). Returns its length. */
static size_t initial(uint8_t *out, size_t cap, const uint8_t *dcid, size_t dl,
                      const uint8_t *scid, size_t sl, const uint8_t *orig_dcid,
                      size_t ol, bool server, uint64_t pn, const uint8_t *f,
                      size_t fl, size_t pad) {
  quic_keys_t k;
  tg_quic_initial_keys(orig_dcid, ol, server, k.key, k.iv, k.hp);
  const size_t pn_len = 2;
  size_t hdr = 1 + 4 + 1 + dl + 1 + sl + 1 /* token length 0 */ + 2;
  size_t body = pn_len + fl + 16;
  if (pad && hdr + body < pad)
    body = pad - hdr;
  if (hdr + body > cap || body >= 16384)
    return 0;
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  tg_put8(&b, (uint8_t)(0xc0 | (pn_len - 1))); /* long header, Initial */
  tg_put32be(&b, 1);
  tg_put8(&b, (uint8_t)dl);
  tg_put(&b, dcid, dl);
  tg_put8(&b, (uint8_t)sl);
  tg_put(&b, scid, sl);
  tg_put8(&b, 0);
  tg_put16be(&b, (uint16_t)(0x4000 | body)); /* Length */
  size_t pn_off = b.len;
  tg_put16be(&b, (uint16_t)pn);
  tg_put(&b, f, fl);
  tg_putz(&b, body - pn_len - fl - 16); /* PADDING frames */
  if (b.over)
    return 0;
  return protect(&k, out, pn_off, pn_len, pn, b.len);
}

/* A packet protected with keys a tap cannot derive: a long-header
 * Handshake packet (type 2) or a short-header 1-RTT packet, with a random
 * payload of n bytes. */
static size_t opaque(uint8_t *out, size_t cap, bool handshake,
                     const uint8_t *dcid, size_t dl, const uint8_t *scid,
                     size_t sl, size_t n, tg_rng_t *r) {
  tg_buf_t b;
  tg_buf_init(&b, out, cap);
  if (handshake) {
    tg_put8(&b, (uint8_t)(0xe0 | tg_rng_below(r, 16)));
    tg_put32be(&b, 1);
    tg_put8(&b, (uint8_t)dl);
    tg_put(&b, dcid, dl);
    tg_put8(&b, (uint8_t)sl);
    tg_put(&b, scid, sl);
    tg_put16be(&b, (uint16_t)(0x4000 | n));
  } else {
    tg_put8(&b, (uint8_t)(0x40 | tg_rng_below(r, 32)));
    tg_put(&b, dcid, dl);
  }
  if (b.len + n > cap)
    return 0;
  tg_rng_bytes(r, out + b.len, n);
  return b.len + n;
}

/* ---- a connection ---------------------------------------------------- */
enum { Q_CI, Q_SI, Q_CHS, Q_REQ, Q_DATA, Q_CLOSE, Q_END };

typedef struct quic {
  tg_actor_t a;
  tg_l3_t up, down;
  tg_host_t c, s;
  uint16_t cport, sport;
  uint8_t dcid[8], cid_c[8], cid_s[8]; /* original DCID, client/server CIDs */
  char sni[96];
  int phase;
  uint32_t exchanges; /* requests left */
  uint64_t left;      /* response bytes left in this exchange */
  uint64_t median;    /* median response */
  uint32_t sent_unacked;
  uint64_t gap_ns; /* spacing of full datagrams */
  uint64_t rtt_ns;
  uint64_t pn_c, pn_s;
  tg_tag_t tag;
  int cls;
} quic_t;

static void q_send(tg_gen_t *g, quic_t *q, bool from_client, uint64_t t,
                   const uint8_t *p, size_t n) {
  tg_l3_t *l3 = from_client ? &q->up : &q->down;
  l3->ipid++;
  tg_pkt_udp(g, t, 0, q->tag, l3, from_client ? q->cport : q->sport,
             from_client ? q->sport : q->cport, p, n);
  q->a.packets++;
}

static bool quic_step(tg_gen_t *g, tg_actor_t *a) {
  quic_t *q = (quic_t *)a;
  tg_rng_t *r = &a->rng;
  uint8_t pkt[1600], fr[1400];
  uint64_t t = a->t;
  switch (q->phase) {
  case Q_CI: { /* client Initial: CRYPTO(ClientHello), padded to 1250 */
    tg_buf_t f;
    tg_buf_init(&f, fr, sizeof fr);
    uint8_t ch[600];
    size_t cl = client_hello(ch, sizeof ch, q->sni, q->cid_c, 8, r);
    tg_put8(&f, 0x06); /* CRYPTO */
    varint(&f, 0);
    varint(&f, cl);
    tg_put(&f, ch, cl);
    size_t n = initial(pkt, sizeof pkt, q->dcid, 8, q->cid_c, 8, q->dcid, 8,
                       false, q->pn_c++, fr, f.len, 1250);
    if (n)
      q_send(g, q, true, t, pkt, n);
    q->phase = Q_SI;
    a->t = t + q->rtt_ns + tg_rng_range(r, 300, 3000) * TG_US;
    return true;
  }
  case Q_SI: { /* server: Initial(ACK, CRYPTO(ServerHello)) + Handshake */
    tg_buf_t f;
    tg_buf_init(&f, fr, sizeof fr);
    uint8_t sh[200];
    size_t sl = server_hello(sh, sizeof sh, r);
    tg_put8(&f, 0x02); /* ACK of client packet 0 */
    varint(&f, 0);
    varint(&f, tg_rng_below(r, 40));
    varint(&f, 0);
    varint(&f, 0);
    tg_put8(&f, 0x06);
    varint(&f, 0);
    varint(&f, sl);
    tg_put(&f, sh, sl);
    size_t n = initial(pkt, sizeof pkt, q->cid_c, 8, q->cid_s, 8, q->dcid, 8,
                       true, q->pn_s++, fr, f.len, 0);
    size_t h = opaque(pkt + n, sizeof pkt - n, true, q->cid_c, 8, q->cid_s, 8,
                      n < 1100 ? 1200 - n : 100, r);
    q_send(g, q, false, t, pkt, n + h);
    /* the rest of the certificate chain */
    n = opaque(pkt, sizeof pkt, true, q->cid_c, 8, q->cid_s, 8,
               (size_t)tg_rng_range(r, 900, 1200), r);
    q_send(g, q, false, t + q->gap_ns, pkt, n);
    q->phase = Q_CHS;
    a->t = t + q->gap_ns + q->rtt_ns / 2 + tg_rng_range(r, 100, 900) * TG_US;
    return true;
  }
  case Q_CHS: { /* client: Initial(ACK) padded + Handshake(Finished) */
    tg_buf_t f;
    tg_buf_init(&f, fr, sizeof fr);
    tg_put8(&f, 0x02);
    varint(&f, 0);
    varint(&f, 0);
    varint(&f, 0);
    varint(&f, 0);
    size_t h = opaque(fr + 100, sizeof fr - 100, true, q->cid_s, 8, q->cid_c, 8,
                      58, r);
    size_t n = initial(pkt, sizeof pkt, q->cid_s, 8, q->cid_c, 8, q->dcid, 8,
                       false, q->pn_c++, fr, f.len, 1250 - h);
    memcpy(pkt + n, fr + 100, h);
    q_send(g, q, true, t, pkt, n + h);
    q->phase = Q_REQ;
    a->t = t + tg_rng_range(r, 1, 30) * TG_MS;
    return true;
  }
  case Q_REQ: { /* 1-RTT: a request */
    if (q->exchanges == 0) {
      q->phase = Q_CLOSE;
      a->t = t + (uint64_t)tg_rng_exp(r, 2000) * TG_MS;
      return true;
    }
    q->exchanges--;
    size_t n = opaque(pkt, sizeof pkt, false, q->cid_s, 8, NULL, 0,
                      (size_t)tg_rng_range(r, 60, 420), r);
    q_send(g, q, true, t, pkt, n);
    double sz = tg_rng_lognormal(r, (double)q->median, 1.5);
    q->left = sz < 200 ? 200 : sz > 2e7 ? 20000000 : (uint64_t)sz;
    q->phase = Q_DATA;
    a->t = t + q->rtt_ns + tg_rng_range(r, 1, 40) * TG_MS;
    return true;
  }
  case Q_DATA: { /* server datagrams, the client ACKs every second */
    for (int i = 0; i < 16 && q->left > 0; i++) {
      size_t k = q->left > 1232 ? 1232 : (size_t)q->left;
      q->left -= k;
      size_t n =
          opaque(pkt, sizeof pkt, false, q->cid_c, 8, NULL, 0, k + 20, r);
      q_send(g, q, false, t, pkt, n);
      if (++q->sent_unacked >= 2 || q->left == 0) {
        q->sent_unacked = 0;
        size_t m = opaque(pkt, sizeof pkt, false, q->cid_s, 8, NULL, 0,
                          (size_t)tg_rng_range(r, 25, 40), r);
        q_send(g, q, true, t + q->rtt_ns / 2 + 30 * TG_US, pkt, m);
      }
      t += q->gap_ns;
    }
    if (q->left > 0) {
      a->t = t;
      return true;
    }
    q->phase = Q_REQ;
    a->t = t + q->rtt_ns + (uint64_t)tg_rng_exp(r, 1500) * TG_MS;
    return true;
  }
  case Q_CLOSE: { /* CONNECTION_CLOSE in a 1-RTT packet */
    size_t n = opaque(pkt, sizeof pkt, false, q->cid_s, 8, NULL, 0,
                      (size_t)tg_rng_range(r, 24, 40), r);
    q_send(g, q, true, t, pkt, n);
    return false;
  }
  default:
    return false;
  }
}

static void quic_fini(tg_gen_t *g, tg_actor_t *a) {
  quic_t *q = (quic_t *)a;
  if (q->cls >= 0) {
    tg_benign_session_done(g, q->cls, a->packets);
    if (g->live_sessions)
      g->live_sessions--;
  }
}

int tg_quic_start(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                  const tg_host_t *client, const tg_host_t *server, int family,
                  const char *sni, uint32_t exchanges, uint64_t median,
                  int cls) {
  quic_t *q = calloc(1, sizeof *q);
  if (!q)
    return -1;
  q->a.step = quic_step;
  q->a.fini = quic_fini;
  q->a.cls = -1;
  tg_rng_fork(r, &q->a.rng);
  tg_rng_t *qr = &q->a.rng;
  q->c = *client;
  q->s = *server;
  tg_pkt_l3_from_hosts(&q->up, &q->c, &q->s, family);
  tg_pkt_l3_from_hosts(&q->down, &q->s, &q->c, family);
  q->up.df = q->down.df = true;
  q->up.ipid = (uint16_t)tg_rng_next(qr);
  q->down.ipid = (uint16_t)tg_rng_next(qr);
  q->cport = client->windows ? (uint16_t)tg_rng_range(qr, 49152, 65535)
                             : (uint16_t)tg_rng_range(qr, 32768, 60999);
  q->sport = 443;
  tg_rng_bytes(qr, q->dcid, 8);
  tg_rng_bytes(qr, q->cid_c, 8);
  tg_rng_bytes(qr, q->cid_s, 8);
  snprintf(q->sni, sizeof q->sni, "%s", sni);
  q->phase = Q_CI;
  q->exchanges = exchanges ? exchanges : 1;
  q->median = median ? median : 20000;
  uint32_t mbps = client->mbps < server->mbps ? client->mbps : server->mbps;
  q->gap_ns = (uint64_t)1300 * 8 * 1000 / (mbps ? mbps : 100);
  q->rtt_ns = 2ULL * (client->delay_ns + server->delay_ns);
  q->tag = tag;
  q->cls = cls;
  if (cls >= 0) {
    g->live_sessions++;
    g->cls[cls].sessions++;
  }
  tg_sched_add(g, &q->a, t);
  return 0;
}
