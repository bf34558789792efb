/* tls.c -- TLS hello parser (tls.h).
 * In: TCP bytes of one direction, or one handshake message. Out: the
 * caller's wd_tls_hello_t. The record layer is followed only until the
 * first handshake message is complete; its bytes are gathered (across
 * records) in the direction's buffer, capped at WD_TLS_HELLO_MAX. Parsing
 * reads vectors through a cursor that never goes past its parent's end.
 * No allocation. */
#include "proto/tls.h"

#include <string.h>

#include "proto/proto_int.h"

enum { S_RECORD = 0, S_BODY, S_DONE };

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446
 * 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

bool wd_tls_is_grease(uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *wd_tls_version_name(uint16_t v) {
  switch (v) {
  case 0x0300:
    return "SSL 3.0";
  case 0x0301:
    return "TLS 1.0";
  case 0x0302:
    return "TLS 1.1";
  case 0x0303:
    return "TLS 1.2";
  case 0x0304:
    return "TLS 1.3";
  default:
    return "unknown";
  }
}

/* A bounded cursor over [p, end). */
typedef struct cur {
  const uint8_t *p, *end;
  bool bad;
} cur;

static bool take(cur *c, size_t n, const uint8_t **out) {
  if (c->bad || (size_t)(c->end - c->p) < n) {
    c->bad = true;
    return false;
  }
  *out = c->p;
  c->p += n;
  return true;
}
static bool u8(cur *c, uint32_t *v) {
  const uint8_t *q;
  if (!take(c, 1, &q))
    return false;
  *v = q[0];
  return true;
}
static bool u16(cur *c, uint32_t *v) {
  const uint8_t *q;
  if (!take(c, 2, &q))
    return false;
  *v = wd_be16(q);
  return true;
}
/* A sub-cursor of n bytes. */
static bool sub(cur *c, size_t n, cur *s) {
  const uint8_t *q;
  if (!take(c, n, &q))
    return false;
  s->p = q;
  s->end = q + n;
  s->bad = false;
  return true;
}
static size_t left(const cur *c) { return (size_t)(c->end - c->p); }

/* RFC 1123 host name, at most 253 characters, no trailing dot. Underscore
 * is tolerated (seen in real names). */
static bool host_name_valid(const uint8_t *p, size_t n) {
  if (n == 0 || n > 253)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63)
      return false;
  }
  return label > 0; /* a trailing dot leaves an empty last label */
}

static void ext_sni(cur *e, wd_tls_hello_t *h) {
  uint32_t list_len;
  cur l;
  if (!u16(e, &list_len) || !sub(e, list_len, &l)) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return;
  }
  while (left(&l) > 0) {
    uint32_t type, n;
    const uint8_t *name;
    if (!u8(&l, &type) || !u16(&l, &n) || !take(&l, n, &name)) {
      h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
      return;
    }
    if (type != 0 || h->has_sni) {
      h->anomalies |= WD_TLS_ANOM_SNI_ODD;
      continue;
    }
    h->has_sni = true;
    if (!host_name_valid(name, n))
      h->anomalies |= WD_TLS_ANOM_SNI_INVALID;
    if (!wd_text_escape(h->sni, sizeof h->sni, name, n, true, NULL))
      h->anomalies |= WD_TLS_ANOM_SNI_INVALID;
  }
}

static void ext_alpn(cur *e, wd_tls_hello_t *h) {
  uint32_t list_len;
  cur l;
  if (!u16(e, &list_len) || !sub(e, list_len, &l)) {
    h->anomalies |= WD_TLS_ANOM_ALPN_BAD;
    return;
  }
  while (left(&l) > 0) {
    uint32_t n;
    const uint8_t *name;
    if (!u8(&l, &n) || !take(&l, n, &name)) {
      h->anomalies |= WD_TLS_ANOM_ALPN_BAD;
      return;
    }
    if (n == 0)
      h->anomalies |= WD_TLS_ANOM_ALPN_BAD;
    if (h->n_alpn < 255)
      h->n_alpn++;
    if (h->alpn_kept < WD_TLS_ALPN_KEEP) {
      wd_text_escape(h->alpn[h->alpn_kept], WD_TLS_ALPN_NAME_MAX, name, n,
                     false, NULL);
      h->alpn_kept++;
    }
  }
}

static void add_version(wd_tls_hello_t *h, uint16_t v) {
  if (h->n_versions < 255)
    h->n_versions++;
  if (h->versions_kept < WD_TLS_VERSIONS_KEEP)
    h->versions[h->versions_kept++] = v;
}

static void ext_versions(cur *e, wd_tls_hello_t *h, bool client) {
  uint32_t v;
  if (!client) {
    if (!u16(e, &v)) {
      h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
      return;
    }
    add_version(h, (uint16_t)v);
    h->version = (uint16_t)v;
    return;
  }
  uint32_t n;
  cur l;
  if (!u8(e, &n) || (n & 1) || !sub(e, n, &l)) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return;
  }
  uint16_t best = 0;
  while (u16(&l, &v)) {
    add_version(h, (uint16_t)v);
    if (!wd_tls_is_grease((uint16_t)v) && v > best)
      best = (uint16_t)v;
  }
  if (best)
    h->version = best;
}

/* Extensions block (optional: a TLS 1.2 hello may end before it). */
static void extensions(cur *c, wd_tls_hello_t *h, bool client) {
  if (left(c) == 0)
    return;
  uint32_t total;
  cur all;
  if (!u16(c, &total) || !sub(c, total, &all)) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return;
  }
  /* seen: duplicate detection for types below 64 (all the registered
   * common ones) plus a scan of the kept list for the others. */
  uint64_t seen = 0;
  while (left(&all) > 0) {
    uint32_t type, n;
    cur e;
    if (!u16(&all, &type) || !u16(&all, &n) || !sub(&all, n, &e)) {
      h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
      return;
    }
    bool dup = false;
    if (type < 64) {
      dup = (seen >> type) & 1;
      seen |= 1ull << type;
    } else if (!wd_tls_is_grease((uint16_t)type)) {
      for (unsigned i = 0; i < h->exts_kept; i++)
        dup |= h->exts[i] == type;
    }
    if (dup)
      h->anomalies |= WD_TLS_ANOM_DUP_EXT;
    if (h->n_exts < UINT16_MAX)
      h->n_exts++;
    if (h->exts_kept < WD_TLS_EXTS_KEEP)
      h->exts[h->exts_kept++] = (uint16_t)type;
    switch (type) {
    case WD_TLS_EXT_SERVER_NAME:
      if (client)
        ext_sni(&e, h);
      break;
    case WD_TLS_EXT_ALPN:
      ext_alpn(&e, h);
      break;
    case WD_TLS_EXT_SUPPORTED_VERSIONS:
      if (!dup)
        ext_versions(&e, h, client);
      break;
    default:
      break;
    }
  }
  if (left(c) > 0)
    h->anomalies |= WD_TLS_ANOM_TRAILING;
}

static wd_rc client_hello(cur *c, wd_tls_hello_t *h) {
  uint32_t v, n;
  const uint8_t *q;
  cur l;
  if (!u16(c, &v) || !take(c, 32, &q) || !u8(c, &n))
    goto trunc;
  h->legacy_version = h->version = (uint16_t)v;
  if (n > 32) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return WD_ERR_INVAL;
  }
  h->session_id_len = (uint8_t)n;
  if (!take(c, n, &q) || !u16(c, &n) || !sub(c, n, &l))
    goto trunc;
  if ((n & 1) || n == 0) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return WD_ERR_INVAL;
  }
  h->n_ciphers = (uint16_t)(n / 2);
  while (u16(&l, &v))
    if (h->ciphers_kept < WD_TLS_CIPHERS_KEEP)
      h->ciphers[h->ciphers_kept++] = (uint16_t)v;
  if (!u8(c, &n) || !take(c, n, &q))
    goto trunc;
  h->n_compression = (uint8_t)n;
  extensions(c, h, true);
  return (h->anomalies & WD_TLS_ANOM_BAD_LENGTH) ? WD_ERR_INVAL : WD_OK;
trunc:
  h->anomalies |= WD_TLS_ANOM_TRUNCATED | WD_TLS_ANOM_BAD_LENGTH;
  return WD_ERR_INVAL;
}

static wd_rc server_hello(cur *c, wd_tls_hello_t *h) {
  uint32_t v, n;
  const uint8_t *rnd, *q;
  if (!u16(c, &v) || !take(c, 32, &rnd) || !u8(c, &n))
    goto trunc;
  h->legacy_version = h->version = (uint16_t)v;
  h->hello_retry = memcmp(rnd, hrr_random, 32) == 0;
  if (n > 32) {
    h->anomalies |= WD_TLS_ANOM_BAD_LENGTH;
    return WD_ERR_INVAL;
  }
  h->session_id_len = (uint8_t)n;
  if (!take(c, n, &q) || !u16(c, &v) || !u8(c, &n))
    goto trunc;
  h->cipher = (uint16_t)v;
  h->n_compression = 1;
  extensions(c, h, false);
  return (h->anomalies & WD_TLS_ANOM_BAD_LENGTH) ? WD_ERR_INVAL : WD_OK;
trunc:
  h->anomalies |= WD_TLS_ANOM_TRUNCATED | WD_TLS_ANOM_BAD_LENGTH;
  return WD_ERR_INVAL;
}

wd_rc wd_tls_parse_hello(const uint8_t *msg, size_t len, wd_tls_hello_t *h) {
  memset(h, 0, sizeof *h);
  if (len < 4) {
    h->anomalies |= WD_TLS_ANOM_TRUNCATED;
    return WD_ERR_TRUNC;
  }
  h->hs_type = msg[0];
  h->hs_len = wd_be24(msg + 1);
  if (msg[0] != WD_TLS_HS_CLIENT_HELLO && msg[0] != WD_TLS_HS_SERVER_HELLO) {
    h->anomalies |= WD_TLS_ANOM_NOT_HELLO;
    return WD_ERR_INVAL;
  }
  if (len - 4 < h->hs_len) {
    h->anomalies |= WD_TLS_ANOM_TRUNCATED;
    return WD_ERR_TRUNC;
  }
  cur c = {msg + 4, msg + 4 + h->hs_len, false};
  return msg[0] == WD_TLS_HS_CLIENT_HELLO ? client_hello(&c, h)
                                          : server_hello(&c, h);
}

/* ---- record layer ------------------------------------------------------ */

void wd_tls_dir_init(wd_tls_dir_t *d, wd_tls_stats_t *stats) {
  memset(d, 0, offsetof(wd_tls_dir_t, buf));
  d->stats = stats;
}

void wd_tls_dir_gap(wd_tls_dir_t *d) { d->state = S_DONE; }

static wd_rc fail(wd_tls_dir_t *d, wd_tls_hello_t *out, uint32_t anom) {
  memset(out, 0, sizeof *out);
  out->record_version = d->record_version;
  out->anomalies = d->anomalies | anom;
  d->state = S_DONE;
  if (d->stats) {
    if (anom & (WD_TLS_ANOM_NOT_TLS | WD_TLS_ANOM_SSLV2))
      d->stats->not_tls++;
    else
      d->stats->malformed++;
  }
  return WD_ERR_INVAL;
}

static wd_rc finish(wd_tls_dir_t *d, wd_tls_hello_t *out) {
  wd_rc rc = wd_tls_parse_hello(d->buf, d->hs_have, out);
  out->record_version = d->record_version;
  out->anomalies |= d->anomalies;
  d->state = S_DONE;
  if (d->stats) {
    if (rc != WD_OK)
      d->stats->malformed++;
    else if (out->hs_type == WD_TLS_HS_CLIENT_HELLO)
      d->stats->client_hellos++;
    else
      d->stats->server_hellos++;
    if (out->anomalies & WD_TLS_ANOM_SNI_INVALID)
      d->stats->sni_invalid++;
    if (out->anomalies)
      d->stats->anomalies++;
  }
  return rc == WD_ERR_TRUNC ? WD_ERR_INVAL : rc;
}

wd_rc wd_tls_dir_feed(wd_tls_dir_t *d, const uint8_t *data, size_t len,
                      wd_tls_hello_t *out) {
  size_t i = 0;
  while (i < len) {
    if (d->state == S_DONE)
      return WD_END;
    if (d->state == S_RECORD) {
      d->rec_hdr[d->rec_have++] = data[i++];
      bool first = d->hs_have == 0 && d->record_version == 0;
      if (first && d->rec_have == 3 && (d->rec_hdr[0] & 0x80) &&
          d->rec_hdr[2] == 1)
        return fail(d, out, WD_TLS_ANOM_SSLV2);
      if (d->rec_have < 5)
        continue;
      d->rec_have = 0;
      uint16_t ver = wd_be16(d->rec_hdr + 1);
      uint32_t rlen = wd_be16(d->rec_hdr + 3);
      if (d->rec_hdr[0] != 22 || (ver >> 8) != 3) {
        if (first)
          return fail(d, out, WD_TLS_ANOM_NOT_TLS);
        return fail(d, out, WD_TLS_ANOM_INTERLEAVED);
      }
      if (rlen > WD_TLS_RECORD_MAX)
        return fail(d, out, WD_TLS_ANOM_BAD_RECORD);
      if (first)
        d->record_version = ver;
      if (rlen == 0) {
        d->anomalies |= WD_TLS_ANOM_BAD_RECORD;
        continue;
      }
      d->rec_left = rlen;
      d->state = S_BODY;
      continue;
    }
    /* S_BODY: gather handshake bytes until the first message is whole */
    size_t n = d->rec_left;
    if (n > len - i)
      n = len - i;
    uint32_t need = WD_TLS_HELLO_MAX;
    if (d->hs_have >= 4) {
      need = 4 + wd_be24(d->buf + 1);
    }
    if (n > WD_TLS_HELLO_MAX - d->hs_have)
      n = WD_TLS_HELLO_MAX - d->hs_have;
    if (d->hs_have >= 4 && n > need - d->hs_have)
      n = need - d->hs_have;
    memcpy(d->buf + d->hs_have, data + i, n);
    d->hs_have += (uint32_t)n;
    d->rec_left -= (uint32_t)n;
    i += n;
    if (d->hs_have >= 4) {
      uint8_t t = d->buf[0];
      if (t != WD_TLS_HS_CLIENT_HELLO && t != WD_TLS_HS_SERVER_HELLO)
        return fail(d, out, WD_TLS_ANOM_NOT_HELLO);
      need = 4 + wd_be24(d->buf + 1);
      if (need > WD_TLS_HELLO_MAX)
        return fail(d, out, WD_TLS_ANOM_TOO_BIG);
      if (d->hs_have >= need)
        return finish(d, out);
    }
    if (d->rec_left == 0)
      d->state = S_RECORD;
  }
  return d->state == S_DONE ? WD_END : WD_AGAIN;
}
