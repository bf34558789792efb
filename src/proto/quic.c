/* quic.c -- QUIC v1 client Initial decryption and CRYPTO reassembly
 * (quic.h). In: client datagrams. Out: the ClientHello via
 * wd_tls_parse_hello. Each long-header packet of the datagram is parsed
 * with bounds checks on every field; Initial packets of version 1 are
 * unprotected and opened into the context's plaintext buffer, their
 * frames walked (PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE are the only
 * ones RFC 9000 12.4 allows there) and CRYPTO data copied into the
 * connection's buffer at its offset. No allocation per packet. */
#include "proto/quic.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto_int.h"

/* RFC 9001 5.2 initial_salt for version 1. */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                    0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                    0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

#define PLAIN_MAX 65536

/* Longest header (up to the packet number) opened: a long header with
 * both connection IDs is under 64 bytes; the rest is the token. */
#define HDR_MAX 2048

struct wd_quic_ctx {
  EVP_CIPHER_CTX *ecb, *gcm;
  uint8_t hdr[HDR_MAX + 4]; /* header with protection removed (AAD) */
  uint8_t plain[PLAIN_MAX];
};

wd_rc wd_quic_ctx_new(wd_quic_ctx_t **out) {
  wd_quic_ctx_t *x = calloc(1, sizeof *x);
  if (!x)
    return WD_ERR_NOMEM;
  x->ecb = EVP_CIPHER_CTX_new();
  x->gcm = EVP_CIPHER_CTX_new();
  if (!x->ecb || !x->gcm) {
    wd_quic_ctx_free(x);
    return WD_ERR_NOMEM;
  }
  *out = x;
  return WD_OK;
}

void wd_quic_ctx_free(wd_quic_ctx_t *x) {
  if (!x)
    return;
  EVP_CIPHER_CTX_free(x->ecb);
  EVP_CIPHER_CTX_free(x->gcm);
  free(x);
}

bool wd_quic_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v) {
  if (*off >= len)
    return false;
  size_t n = (size_t)1 << (p[*off] >> 6);
  if (len - *off < n)
    return false;
  uint64_t x = p[*off] & 0x3f;
  for (size_t i = 1; i < n; i++)
    x = (x << 8) | p[*off + i];
  *off += n;
  *v = x;
  return true;
}

/* HKDF-Expand-Label (RFC 8446 7.1) for outputs of at most 32 bytes: one
 * HMAC block. */
static bool expand_label(const uint8_t secret[32], const char *label,
                         uint8_t *out, size_t n) {
  uint8_t info[64];
  size_t ll = strlen(label), o = 0;
  if (n > 32 || 6 + ll > 255 || 2 + 1 + 6 + ll + 1 + 1 > sizeof info)
    return false;
  info[o++] = (uint8_t)(n >> 8);
  info[o++] = (uint8_t)n;
  info[o++] = (uint8_t)(6 + ll);
  memcpy(info + o, "tls13 ", 6);
  o += 6;
  memcpy(info + o, label, ll);
  o += ll;
  info[o++] = 0;    /* empty context */
  info[o++] = 0x01; /* HKDF-Expand counter */
  uint8_t t[32];
  unsigned tl = 0;
  if (!HMAC(EVP_sha256(), secret, 32, info, o, t, &tl) || tl != 32)
    return false;
  memcpy(out, t, n);
  return true;
}

wd_rc wd_quic_client_keys(const uint8_t *dcid, size_t dcid_len, uint8_t key[16],
                          uint8_t iv[12], uint8_t hp[16]) {
  if (dcid_len > WD_QUIC_CID_MAX)
    return WD_ERR_INVAL;
  uint8_t initial[32], client[32];
  unsigned n = 0;
  static const uint8_t empty = 0;
  if (!HMAC(EVP_sha256(), salt_v1, sizeof salt_v1, dcid_len ? dcid : &empty,
            dcid_len, initial, &n) ||
      n != 32)
    return WD_ERR_INVAL;
  if (!expand_label(initial, "client in", client, 32) ||
      !expand_label(client, "quic key", key, 16) ||
      !expand_label(client, "quic iv", iv, 12) ||
      !expand_label(client, "quic hp", hp, 16))
    return WD_ERR_INVAL;
  return WD_OK;
}

void wd_quic_conn_init(wd_quic_conn_t *c, wd_quic_stats_t *stats) {
  memset(c, 0, offsetof(wd_quic_conn_t, seen));
  memset(c->seen, 0, sizeof c->seen);
  c->stats = stats;
}

#define STAT(c, f)                                                             \
  do {                                                                         \
    if ((c)->stats)                                                            \
      (c)->stats->f++;                                                         \
  } while (0)

static void crypto_data(wd_quic_conn_t *c, uint64_t off, const uint8_t *d,
                        uint64_t n, uint32_t *anom) {
  if (off >= WD_QUIC_CRYPTO_MAX) {
    *anom |= WD_QUIC_ANOM_CRYPTO_TOO_BIG;
    return;
  }
  if (n > WD_QUIC_CRYPTO_MAX - off) {
    *anom |= WD_QUIC_ANOM_CRYPTO_TOO_BIG;
    n = WD_QUIC_CRYPTO_MAX - off;
  }
  for (uint64_t i = 0; i < n; i++) {
    size_t at = (size_t)(off + i);
    uint8_t bit = (uint8_t)(1u << (at & 7));
    if (c->seen[at >> 3] & bit) {
      if (c->crypto[at] != d[i])
        *anom |= WD_QUIC_ANOM_CRYPTO_CONFLICT; /* first bytes win */
      continue;
    }
    c->seen[at >> 3] |= bit;
    c->crypto[at] = d[i];
  }
  while (c->contiguous < WD_QUIC_CRYPTO_MAX &&
         (c->seen[c->contiguous >> 3] & (1u << (c->contiguous & 7))))
    c->contiguous++;
}

/* Walks the frames of an opened Initial. */
static void frames(wd_quic_conn_t *c, const uint8_t *p, size_t len,
                   uint32_t *anom) {
  size_t o = 0;
  while (o < len) {
    uint64_t type, a, b, n;
    if (!wd_quic_varint(p, len, &o, &type))
      goto bad;
    switch (type) {
    case 0x00: /* PADDING */
    case 0x01: /* PING */
      break;
    case 0x02: /* ACK */
    case 0x03: {
      uint64_t ranges;
      if (!wd_quic_varint(p, len, &o, &a) || !wd_quic_varint(p, len, &o, &b) ||
          !wd_quic_varint(p, len, &o, &ranges) ||
          !wd_quic_varint(p, len, &o, &n))
        goto bad;
      if (ranges > len)
        goto bad;
      for (uint64_t r = 0; r < ranges; r++)
        if (!wd_quic_varint(p, len, &o, &a) || !wd_quic_varint(p, len, &o, &b))
          goto bad;
      if (type == 0x03)
        for (int k = 0; k < 3; k++)
          if (!wd_quic_varint(p, len, &o, &a))
            goto bad;
      break;
    }
    case 0x06: /* CRYPTO */
      if (!wd_quic_varint(p, len, &o, &a) || !wd_quic_varint(p, len, &o, &n) ||
          n > len - o)
        goto bad;
      crypto_data(c, a, p + o, n, anom);
      o += (size_t)n;
      break;
    case 0x1c: /* CONNECTION_CLOSE */
      if (!wd_quic_varint(p, len, &o, &a) || !wd_quic_varint(p, len, &o, &b) ||
          !wd_quic_varint(p, len, &o, &n) || n > len - o)
        goto bad;
      o += (size_t)n;
      break;
    default:
      goto bad;
    }
  }
  return;
bad:
  *anom |= WD_QUIC_ANOM_BAD_FRAME;
}

/* Unprotects and opens one Initial whose packet number starts at pn_off
 * and whose protected part (packet number + payload + tag) is rest bytes.
 * hdr is a writable copy of the header bytes up to pn_off + 4. */
static bool open_initial(wd_quic_ctx_t *x, wd_quic_conn_t *c,
                         const uint8_t *pkt, size_t pn_off, size_t rest,
                         wd_quic_pkt_t *info, size_t *plain_len) {
  if (rest < 4 + 16) /* the sample is 16 bytes, 4 after the PN start */
    return false;
  const uint8_t *sample = pkt + pn_off + 4;
  uint8_t mask[32];
  int ml = 0;
  if (EVP_EncryptInit_ex(x->ecb, EVP_aes_128_ecb(), NULL, c->hp, NULL) != 1)
    return false;
  EVP_CIPHER_CTX_set_padding(x->ecb, 0);
  if (EVP_EncryptUpdate(x->ecb, mask, &ml, sample, 16) != 1 || ml != 16)
    return false;
  uint8_t *hdr = x->hdr;
  if (pn_off > HDR_MAX)
    return false;
  memcpy(hdr, pkt, pn_off + 4);
  hdr[0] ^= mask[0] & 0x0f;
  size_t pn_len = (size_t)(hdr[0] & 3) + 1;
  uint64_t pn = 0;
  for (size_t i = 0; i < pn_len; i++) {
    hdr[pn_off + i] ^= mask[1 + i];
    pn = (pn << 8) | hdr[pn_off + i];
  }
  info->pn = pn;
  size_t ct_len = rest - pn_len;
  if (ct_len < 16 || ct_len - 16 > PLAIN_MAX)
    return false;
  ct_len -= 16;
  uint8_t nonce[12];
  memcpy(nonce, c->iv, 12);
  for (int i = 0; i < 8; i++)
    nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
  const uint8_t *ct = pkt + pn_off + pn_len;
  int n = 0, fl = 0;
  EVP_CIPHER_CTX *g = x->gcm;
  if (EVP_DecryptInit_ex(g, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(g, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
      EVP_DecryptInit_ex(g, NULL, NULL, c->key, nonce) != 1 ||
      EVP_DecryptUpdate(g, NULL, &n, hdr, (int)(pn_off + pn_len)) != 1 ||
      EVP_DecryptUpdate(g, x->plain, &n, ct, (int)ct_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(g, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + ct_len)) !=
          1 ||
      EVP_DecryptFinal_ex(g, x->plain + n, &fl) != 1)
    return false;
  *plain_len = (size_t)n + (size_t)fl;
  return true;
}

static wd_rc hello_check(wd_quic_conn_t *c, wd_tls_hello_t *hello);

wd_rc wd_quic_conn_datagram(wd_quic_ctx_t *x, wd_quic_conn_t *c,
                            const uint8_t *data, size_t len,
                            wd_tls_hello_t *hello, wd_quic_pkt_t *pkt) {
  wd_quic_pkt_t local;
  if (!pkt)
    pkt = &local;
  memset(pkt, 0, sizeof *pkt);
  if (c->done)
    return WD_END;
  STAT(c, datagrams);
  bool opened = false;
  size_t pos = 0;
  if (len < 7)
    pkt->anomalies |= WD_QUIC_ANOM_BAD_HEADER;
  while (pos < len) {
    const uint8_t *p = data + pos;
    size_t n = len - pos, o = 0;
    memset(pkt, 0, sizeof *pkt);
    if (n < 7 || (p[0] & 0xc0) != 0xc0) {
      if (pos == 0)
        pkt->anomalies |= WD_QUIC_ANOM_BAD_HEADER;
      break; /* short header or padding after the last packet */
    }
    pkt->type = (p[0] >> 4) & 3;
    pkt->version = wd_be32(p + 1);
    o = 5;
    pkt->dcid_len = p[o++];
    if (pkt->dcid_len > WD_QUIC_CID_MAX || o + pkt->dcid_len + 1 > n) {
      pkt->anomalies |= WD_QUIC_ANOM_BAD_CID;
      break;
    }
    memcpy(pkt->dcid, p + o, pkt->dcid_len);
    o += pkt->dcid_len;
    pkt->scid_len = p[o++];
    if (pkt->scid_len > WD_QUIC_CID_MAX || o + pkt->scid_len > n) {
      pkt->anomalies |= WD_QUIC_ANOM_BAD_CID;
      break;
    }
    memcpy(pkt->scid, p + o, pkt->scid_len);
    o += pkt->scid_len;
    if (pkt->version != WD_QUIC_VERSION_1) {
      pkt->anomalies |= WD_QUIC_ANOM_VERSION;
      STAT(c, other_packets);
      break; /* lengths of other versions cannot be trusted */
    }
    if (pkt->type == 3) { /* Retry: no length, ends the datagram */
      STAT(c, other_packets);
      break;
    }
    uint64_t plen;
    if (pkt->type == 0) {
      if (!wd_quic_varint(p, n, &o, &pkt->token_len) ||
          pkt->token_len > n - o) {
        pkt->anomalies |= WD_QUIC_ANOM_BAD_HEADER;
        break;
      }
      o += (size_t)pkt->token_len;
    }
    if (!wd_quic_varint(p, n, &o, &plen) || plen > n - o) {
      pkt->anomalies |= WD_QUIC_ANOM_BAD_HEADER;
      break;
    }
    size_t next = o + (size_t)plen;
    if (pkt->type != 0) {
      STAT(c, other_packets);
      pos += next;
      continue;
    }
    if (len < 1200)
      c->anomalies |= WD_QUIC_ANOM_SHORT_DATAGRAM;
    if (!c->have_keys || c->key_dcid_len != pkt->dcid_len ||
        memcmp(c->key_dcid, pkt->dcid, pkt->dcid_len) != 0) {
      if (wd_quic_client_keys(pkt->dcid, pkt->dcid_len, c->key, c->iv, c->hp) !=
          WD_OK)
        break;
      c->have_keys = true;
      c->key_dcid_len = pkt->dcid_len;
      memcpy(c->key_dcid, pkt->dcid, pkt->dcid_len);
    }
    size_t plain_len = 0;
    if (!open_initial(x, c, p, o, (size_t)plen, pkt, &plain_len)) {
      pkt->anomalies |= WD_QUIC_ANOM_DECRYPT;
      STAT(c, decrypt_fail);
      pos += next;
      continue;
    }
    STAT(c, initials);
    opened = true;
    pkt->payload_len = (uint32_t)plain_len;
    frames(c, x->plain, plain_len, &pkt->anomalies);
    c->anomalies |= pkt->anomalies;
    pos += next;
  }
  c->anomalies |= pkt->anomalies & ~(uint32_t)WD_QUIC_ANOM_DECRYPT;
  if (pkt->anomalies &
      (WD_QUIC_ANOM_BAD_HEADER | WD_QUIC_ANOM_BAD_CID | WD_QUIC_ANOM_BAD_FRAME))
    STAT(c, malformed);
  wd_rc hr = hello_check(c, hello);
  if (hr != WD_AGAIN)
    return hr;
  return opened ? WD_AGAIN : WD_ERR_INVAL;
}

static wd_rc hello_check(wd_quic_conn_t *c, wd_tls_hello_t *hello) {
  if (c->contiguous >= 4) {
    uint32_t need = 4 + wd_be24(c->crypto + 1);
    if (c->crypto[0] != WD_TLS_HS_CLIENT_HELLO || need > WD_QUIC_CRYPTO_MAX) {
      c->done = true;
      memset(hello, 0, sizeof *hello);
      hello->anomalies = c->crypto[0] != WD_TLS_HS_CLIENT_HELLO
                             ? WD_TLS_ANOM_NOT_HELLO
                             : WD_TLS_ANOM_TOO_BIG;
      return WD_ERR_INVAL;
    }
    if (c->contiguous >= need) {
      c->done = true;
      wd_rc rc = wd_tls_parse_hello(c->crypto, need, hello);
      if (rc == WD_OK)
        STAT(c, hellos);
      return rc == WD_OK ? WD_OK : WD_ERR_INVAL;
    }
  }
  return WD_AGAIN;
}

wd_rc wd_quic_conn_frames(wd_quic_conn_t *c, const uint8_t *plain, size_t len,
                          wd_tls_hello_t *hello, uint32_t *anomalies) {
  uint32_t a = 0;
  if (c->done)
    return WD_END;
  frames(c, plain, len, &a);
  c->anomalies |= a;
  if (anomalies)
    *anomalies = a;
  return hello_check(c, hello);
}
