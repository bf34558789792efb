/* rdp.c -- TPKT, X.224 CR/CC and RDP negotiation (rdp.h).
 * In: TCP bytes per direction. Out: the connection's wd_rdp_summary_t.
 * The first TPKT of each direction is gathered (at most WD_RDP_PREFIX_MAX
 * bytes; the rest of a longer one skipped) and parsed; afterwards bytes
 * are only counted. No allocation. */
#include "proto/rdp.h"

#include <string.h>

#include "proto/proto_int.h"

enum { S_HEAD = 0, S_AFTER, S_STOP };

#define X224_CR 0xe0
#define X224_CC 0xd0
#define NEG_REQ 0x01
#define NEG_RSP 0x02
#define NEG_FAILURE 0x03
#define NEG_CORRELATION 0x06

static const char cookie_prefix[] = "Cookie: ";
static const char mstshash[] = "Cookie: mstshash=";

static void parse_cookie(const uint8_t *p, size_t n, size_t *off,
                         wd_rdp_summary_t *s, uint32_t *anom) {
  size_t cl = sizeof cookie_prefix - 1, ml = sizeof mstshash - 1;
  if (n - *off < cl || memcmp(p + *off, cookie_prefix, cl) != 0)
    return;
  size_t start = *off, end = start;
  while (end + 1 < n && !(p[end] == '\r' && p[end + 1] == '\n'))
    end++;
  if (end + 1 >= n) {
    *anom |= WD_RDP_ANOM_BAD_COOKIE;
    end = n;
  }
  size_t v = start + cl;
  s->cookie_kind = WD_RDP_COOKIE_TOKEN;
  if (end - start >= ml && memcmp(p + start, mstshash, ml) == 0) {
    s->cookie_kind = WD_RDP_COOKIE_MSTSHASH;
    v = start + ml;
  }
  if (!wd_text_escape(s->cookie, sizeof s->cookie, p + v, end - v, false, NULL))
    *anom |= WD_RDP_ANOM_BAD_COOKIE;
  *off = end + 2 <= n ? end + 2 : n;
}

wd_rc wd_rdp_parse(const uint8_t *p, size_t len, bool from_client,
                   wd_rdp_summary_t *s) {
  uint32_t *anom = &s->anomalies[from_client ? 0 : 1];
  if (len < 4)
    return WD_ERR_TRUNC;
  if (p[0] != 3 || p[1] != 0) {
    *anom |= WD_RDP_ANOM_NOT_RDP;
    return WD_ERR_INVAL;
  }
  size_t tl = wd_be16(p + 2);
  if (tl < 7) {
    *anom |= WD_RDP_ANOM_BAD_LENGTH;
    return WD_ERR_INVAL;
  }
  if (len < tl)
    return WD_ERR_TRUNC;
  size_t n = tl;
  uint8_t li = p[4];
  uint8_t code = p[5] & 0xf0;
  if (code != (from_client ? X224_CR : X224_CC)) {
    *anom |= WD_RDP_ANOM_NOT_RDP;
    return WD_ERR_INVAL;
  }
  if ((size_t)li + 5 != n || li < 6) {
    *anom |= WD_RDP_ANOM_BAD_LENGTH;
    if ((size_t)li + 5 > n || li < 6)
      return WD_ERR_INVAL;
    n = (size_t)li + 5;
  }
  size_t off = 11; /* TPKT 4, LI, code, DST-REF 2, SRC-REF 2, class */
  if (from_client) {
    s->cr_seen = true;
    parse_cookie(p, n, &off, s, anom);
  } else {
    s->cc_seen = true;
    s->outcome = WD_RDP_OUTCOME_NEGOTIATED;
  }
  while (off < n) {
    if (n - off < 8) {
      *anom |= WD_RDP_ANOM_BAD_NEG;
      break;
    }
    uint8_t type = p[off], flags = p[off + 1];
    uint16_t sl = wd_le16p(p + off + 2);
    if (from_client && type == NEG_CORRELATION && sl == 36 && n - off >= 36) {
      s->correlation = true;
      off += 36;
      continue;
    }
    if (sl != 8) {
      *anom |= WD_RDP_ANOM_BAD_NEG;
      break;
    }
    uint32_t v = wd_le32p(p + off + 4);
    if (from_client && type == NEG_REQ && !s->neg_req) {
      s->neg_req = true;
      s->req_flags = flags;
      s->requested = v;
    } else if (!from_client && type == NEG_RSP && !s->neg_rsp) {
      s->neg_rsp = true;
      s->rsp_flags = flags;
      s->selected = v;
    } else if (!from_client && type == NEG_FAILURE) {
      s->outcome = WD_RDP_OUTCOME_FAILED;
      s->failure_code = v;
    } else {
      *anom |= WD_RDP_ANOM_BAD_NEG;
      break;
    }
    off += 8;
  }
  if (!from_client && s->outcome == WD_RDP_OUTCOME_NEGOTIATED) {
    s->nla = (s->selected &
              (WD_RDP_PROTOCOL_HYBRID | WD_RDP_PROTOCOL_HYBRID_EX)) != 0;
    if (s->cr_seen && (s->selected & ~s->requested) != 0)
      *anom |= WD_RDP_ANOM_UNREQUESTED;
  }
  if (n < tl)
    *anom |= WD_RDP_ANOM_TRAILING;
  return WD_OK;
}

void wd_rdp_conn_init(wd_rdp_conn_t *c, wd_rdp_stats_t *stats) {
  for (int i = 0; i < 2; i++)
    memset(&c->d[i], 0, offsetof(wd_rdp_dir_t, buf));
  memset(&c->sum, 0, sizeof c->sum);
  c->stats = stats;
}

const wd_rdp_summary_t *wd_rdp_conn_summary(const wd_rdp_conn_t *c) {
  return &c->sum;
}

static wd_rc parse_first(wd_rdp_conn_t *c, int dir) {
  wd_rdp_dir_t *d = &c->d[dir];
  uint8_t *b = d->buf;
  /* parse the prefix as if it were the whole TPKT */
  bool cut = d->tpkt_len > d->have;
  if (cut) {
    c->sum.anomalies[dir] |= WD_RDP_ANOM_TOO_BIG;
    b[2] = (uint8_t)(d->have >> 8), b[3] = (uint8_t)d->have;
  }
  wd_rc rc = wd_rdp_parse(b, d->have, dir == 0, &c->sum);
  if (c->stats) {
    if (rc != WD_OK)
      c->stats->not_rdp++;
    else if (dir == 0)
      c->stats->requests++;
    else if (c->sum.outcome == WD_RDP_OUTCOME_FAILED)
      c->stats->failures++;
    else
      c->stats->confirms++;
    if (c->sum.anomalies[dir])
      c->stats->anomalies++;
  }
  d->state = rc == WD_OK ? S_AFTER : S_STOP;
  return rc == WD_OK ? WD_OK : WD_ERR_INVAL;
}

wd_rc wd_rdp_conn_feed(wd_rdp_conn_t *c, int dir, const uint8_t *data,
                       size_t len) {
  dir &= 1;
  wd_rdp_dir_t *d = &c->d[dir];
  size_t i = 0;
  wd_rc rc = WD_AGAIN;
  while (i < len) {
    if (d->state == S_STOP)
      return rc == WD_ERR_INVAL ? rc : WD_END;
    if (d->state == S_AFTER) {
      c->sum.after_bytes[dir] += len - i;
      c->sum.after_pieces[dir]++;
      return WD_OK;
    }
    if (d->have < 4) {
      d->buf[d->have++] = data[i++];
      if (d->have == 4) {
        if (d->buf[0] != 3 || d->buf[1] != 0) {
          c->sum.anomalies[dir] |= WD_RDP_ANOM_NOT_RDP;
          if (c->stats)
            c->stats->not_rdp++;
          d->state = S_STOP;
          return WD_ERR_INVAL;
        }
        d->tpkt_len = wd_be16(d->buf + 2);
        if (d->tpkt_len < 7) {
          c->sum.anomalies[dir] |= WD_RDP_ANOM_BAD_LENGTH;
          if (c->stats)
            c->stats->not_rdp++;
          d->state = S_STOP;
          return WD_ERR_INVAL;
        }
        uint16_t keep =
            d->tpkt_len > WD_RDP_PREFIX_MAX ? WD_RDP_PREFIX_MAX : d->tpkt_len;
        d->skip = (uint16_t)(d->tpkt_len - keep);
      }
      continue;
    }
    /* the kept prefix is fixed by the length; skip only shrinks */
    uint16_t keep =
        d->tpkt_len > WD_RDP_PREFIX_MAX ? WD_RDP_PREFIX_MAX : d->tpkt_len;
    if (d->have < keep) {
      size_t n = keep - d->have;
      if (n > len - i)
        n = len - i;
      memcpy(d->buf + d->have, data + i, n);
      d->have = (uint16_t)(d->have + n);
      i += n;
      if (d->have == keep && d->skip == 0) {
        rc = parse_first(c, dir);
        if (rc != WD_OK)
          return rc;
      }
      continue;
    }
    size_t n = d->skip < len - i ? d->skip : len - i;
    d->skip = (uint16_t)(d->skip - n);
    i += n;
    if (d->skip == 0) {
      rc = parse_first(c, dir);
      if (rc != WD_OK)
        return rc;
    }
  }
  if (d->state == S_AFTER)
    return WD_OK;
  return d->state == S_STOP ? WD_END : WD_AGAIN;
}

void wd_rdp_conn_gap(wd_rdp_conn_t *c, int dir, uint32_t nbytes) {
  dir &= 1;
  wd_rdp_dir_t *d = &c->d[dir];
  if (d->state == S_AFTER) {
    c->sum.after_bytes[dir] += nbytes;
    return;
  }
  if (d->state == S_HEAD) {
    c->sum.anomalies[dir] |= WD_RDP_ANOM_GAP;
    d->state = S_STOP;
  }
}

const char *wd_rdp_failure_name(uint32_t code) {
  switch (code) {
  case WD_RDP_FAIL_SSL_REQUIRED_BY_SERVER:
    return "SSL_REQUIRED_BY_SERVER";
  case WD_RDP_FAIL_SSL_NOT_ALLOWED_BY_SERVER:
    return "SSL_NOT_ALLOWED_BY_SERVER";
  case WD_RDP_FAIL_SSL_CERT_NOT_ON_SERVER:
    return "SSL_CERT_NOT_ON_SERVER";
  case WD_RDP_FAIL_INCONSISTENT_FLAGS:
    return "INCONSISTENT_FLAGS";
  case WD_RDP_FAIL_HYBRID_REQUIRED_BY_SERVER:
    return "HYBRID_REQUIRED_BY_SERVER";
  case WD_RDP_FAIL_SSL_WITH_USER_AUTH_REQUIRED:
    return "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER";
  default:
    return "unknown";
  }
}
