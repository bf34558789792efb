/* dns.c -- DNS message parser (dns.h).
 * In: a message's bytes, or a TCP direction's bytes in pieces. Out: the
 * caller's wd_dns_msg_t. Every read is checked against the message length;
 * names are read by wd_dns_name, whose pointer rule (each hop lands before
 * everything read so far for that name) makes loops impossible, and the hop
 * cap bounds the work. The TCP framer keeps at most WD_DNS_TCP_KEEP bytes
 * of a message and skips the rest. No allocation. */
#include "proto/dns.h"

#include <stddef.h>
#include <string.h>

#include "proto/proto_int.h"

#define STAT(st, f)                                                            \
  do {                                                                         \
    if (st)                                                                    \
      (st)->f++;                                                               \
  } while (0)

static bool label_char_plain(uint8_t c) {
  return c >= 0x21 && c <= 0x7e && c != '.' && c != '\\';
}

/* Appends one label to out at *o as text. Returns false when out is full
 * (cannot happen with WD_DNS_NAME_TEXT_MAX and 255 wire bytes). */
static bool put_label(char *out, size_t cap, size_t *o, const uint8_t *l,
                      size_t n, uint32_t *anom) {
  if (*o > 0) {
    if (*o + 1 >= cap)
      return false;
    out[(*o)++] = '.';
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t c = l[i];
    if (label_char_plain(c)) {
      if (*o + 1 >= cap)
        return false;
      if (c >= 'A' && c <= 'Z')
        c = (uint8_t)(c + 32);
      out[(*o)++] = (char)c;
    } else {
      if (*o + 4 >= cap)
        return false;
      out[(*o)++] = '\\';
      out[(*o)++] = (char)('0' + c / 100);
      out[(*o)++] = (char)('0' + (c / 10) % 10);
      out[(*o)++] = (char)('0' + c % 10);
      *anom |= WD_DNS_ANOM_NAME_ESCAPED;
    }
  }
  return true;
}

wd_rc wd_dns_name(const uint8_t *p, size_t len, size_t off, char *out,
                  size_t cap, size_t *wire_len, uint32_t *anom) {
  /* Bytes read for this name lie in [min_seen, max_read); a hop must land
   * before min_seen. */
  size_t pos = off, min_seen = off, max_read = off, o = 0, wire = 0;
  size_t first_len = 0;
  unsigned hops = 0;
  bool jumped = false;
  wd_rc rc = WD_OK;
  out[0] = '\0';
  for (;;) {
    if (pos >= len) {
      *anom |= WD_DNS_ANOM_TRUNCATED;
      rc = WD_ERR_TRUNC;
      break;
    }
    uint8_t c = p[pos];
    if (c == 0) {
      if (!jumped)
        first_len = pos + 1 - off;
      break;
    }
    if ((c & 0xc0) == 0xc0) {
      if (pos + 1 >= len) {
        *anom |= WD_DNS_ANOM_TRUNCATED;
        rc = WD_ERR_TRUNC;
        break;
      }
      size_t target = ((size_t)(c & 0x3f) << 8) | p[pos + 1];
      if (!jumped)
        first_len = pos + 2 - off;
      if (pos + 2 > max_read)
        max_read = pos + 2;
      if (target >= min_seen) {
        /* into this name's own bytes: a loop; else beyond them */
        *anom |=
            target < max_read ? WD_DNS_ANOM_PTR_LOOP : WD_DNS_ANOM_PTR_FORWARD;
        rc = WD_ERR_INVAL;
        break;
      }
      if (++hops > WD_DNS_PTR_HOPS_MAX) {
        *anom |= WD_DNS_ANOM_PTR_HOPS;
        rc = WD_ERR_INVAL;
        break;
      }
      min_seen = target;
      pos = target;
      jumped = true;
      continue;
    }
    if (c & 0xc0) {
      *anom |= WD_DNS_ANOM_BAD_LABEL;
      rc = WD_ERR_INVAL;
      break;
    }
    /* c is 1..63 */
    wire += 1 + (size_t)c;
    if (wire + 1 > WD_DNS_NAME_WIRE_MAX) {
      *anom |= WD_DNS_ANOM_NAME_TOO_LONG;
      rc = WD_ERR_INVAL;
      break;
    }
    if (pos + 1 + c > len) {
      *anom |= WD_DNS_ANOM_TRUNCATED;
      rc = WD_ERR_TRUNC;
      break;
    }
    if (pos + 1 + c > max_read)
      max_read = pos + 1 + c;
    if (!put_label(out, cap, &o, p + pos + 1, c, anom)) {
      *anom |= WD_DNS_ANOM_NAME_TOO_LONG;
      rc = WD_ERR_INVAL;
      break;
    }
    pos += 1 + (size_t)c;
  }
  out[o < cap ? o : cap - 1] = '\0';
  if (wire_len)
    *wire_len = first_len;
  return rc;
}

static void decode_rdata(const uint8_t *p, size_t len, size_t off,
                         wd_dns_rr_t *rr, uint32_t *anom, wd_rc *rc) {
  size_t rdl = rr->rdlength, wl = 0;
  switch (rr->type) {
  case WD_DNS_T_A:
  case WD_DNS_T_AAAA: {
    size_t want = rr->type == WD_DNS_T_A ? 4 : 16;
    if (rdl != want) {
      *anom |= WD_DNS_ANOM_BAD_RDATA;
      return;
    }
    memcpy(rr->addr, p + off, want);
    rr->decoded = true;
    return;
  }
  case WD_DNS_T_CNAME:
  case WD_DNS_T_NS:
  case WD_DNS_T_PTR:
  case WD_DNS_T_MX: {
    size_t pre = rr->type == WD_DNS_T_MX ? 2 : 0;
    if (rdl < pre + 1) {
      *anom |= WD_DNS_ANOM_BAD_RDATA;
      return;
    }
    if (pre)
      rr->preference = wd_be16(p + off);
    /* Pointers may reach anywhere before, but the name's own bytes must
     * stay inside the rdata: read it as if the message ended there. */
    wd_rc r = wd_dns_name(p, off + rdl, off + pre, rr->text, sizeof rr->text,
                          &wl, anom);
    if (r == WD_ERR_TRUNC) {
      /* ran past rdlength, not past the message */
      *anom &= ~(uint32_t)WD_DNS_ANOM_TRUNCATED;
      *anom |= WD_DNS_ANOM_BAD_RDATA;
      rr->text[0] = '\0';
      return;
    }
    if (r != WD_OK) {
      *rc = r;
      return;
    }
    if (pre + wl != rdl)
      *anom |= WD_DNS_ANOM_BAD_RDATA;
    rr->decoded = true;
    return;
  }
  case WD_DNS_T_TXT: {
    size_t i = 0, o = 0;
    bool esc = false;
    while (i < rdl) {
      size_t n = p[off + i];
      if (i + 1 + n > rdl) {
        *anom |= WD_DNS_ANOM_BAD_RDATA;
        break;
      }
      if (o > 0) {
        if (o + 2 >= sizeof rr->text) {
          *anom |= WD_DNS_ANOM_TEXT_CUT;
          break;
        }
        rr->text[o++] = ' ';
      }
      if (!wd_text_escape(rr->text + o, sizeof rr->text - o, p + off + i + 1, n,
                          false, &esc)) {
        *anom |= WD_DNS_ANOM_TEXT_CUT;
        o += strlen(rr->text + o);
        break;
      }
      o += strlen(rr->text + o);
      i += 1 + n;
    }
    rr->text[o] = '\0';
    rr->decoded = true;
    return;
  }
  default:
    return;
  }
}

/* Reads one resource record at *off; keeps it in rr when rr != NULL. */
static wd_rc read_rr(const uint8_t *p, size_t len, size_t *off, wd_dns_rr_t *rr,
                     uint32_t *anom) {
  char local[WD_DNS_NAME_TEXT_MAX];
  char *name = rr ? rr->name : local;
  size_t wl = 0;
  wd_rc rc = wd_dns_name(p, len, *off, name, WD_DNS_NAME_TEXT_MAX, &wl, anom);
  if (rc != WD_OK)
    return rc;
  size_t o = *off + wl;
  if (o + 10 > len) {
    *anom |= WD_DNS_ANOM_TRUNCATED;
    return WD_ERR_TRUNC;
  }
  uint16_t rdl = wd_be16(p + o + 8);
  if (o + 10 + rdl > len) {
    *anom |= WD_DNS_ANOM_TRUNCATED;
    return WD_ERR_TRUNC;
  }
  if (rr) {
    rr->type = wd_be16(p + o);
    rr->rclass = wd_be16(p + o + 2);
    rr->ttl = wd_be32(p + o + 4);
    rr->rdlength = rdl;
    rr->decoded = false;
    rr->preference = 0;
    rr->text[0] = '\0';
    memset(rr->addr, 0, sizeof rr->addr);
    rc = WD_OK;
    decode_rdata(p, len, o + 10, rr, anom, &rc);
    if (rc != WD_OK)
      return rc;
  }
  *off = o + 10 + rdl;
  return WD_OK;
}

static void finish_stats(const wd_dns_msg_t *m, wd_dns_stats_t *st) {
  if (!st)
    return;
  st->messages++;
  if (m->qr)
    st->responses++;
  else
    st->queries++;
  if (m->anomalies & WD_DNS_ANOM_TRUNCATED)
    st->truncated++;
  if (m->anomalies & WD_DNS_ANOM_NAME_ERRORS)
    st->bad_names++;
  if (m->anomalies)
    st->anomalies++;
  st->rr_skipped += (uint64_t)m->questions_skipped + m->answers_skipped;
}

wd_rc wd_dns_parse(const uint8_t *p, size_t len, wd_dns_msg_t *m,
                   wd_dns_stats_t *st) {
  memset(m, 0, offsetof(wd_dns_msg_t, q));
  m->msg_len = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
  if (len < 12) {
    m->anomalies |= WD_DNS_ANOM_TRUNCATED;
    if (st) {
      st->not_dns++;
      st->anomalies++;
    }
    return WD_ERR_TRUNC;
  }
  m->id = wd_be16(p);
  m->flags = wd_be16(p + 2);
  m->qr = (m->flags & 0x8000) != 0;
  m->opcode = (uint8_t)((m->flags >> 11) & 0xf);
  m->aa = (m->flags & 0x0400) != 0;
  m->tc = (m->flags & 0x0200) != 0;
  m->rd = (m->flags & 0x0100) != 0;
  m->ra = (m->flags & 0x0080) != 0;
  m->ad = (m->flags & 0x0020) != 0;
  m->cd = (m->flags & 0x0010) != 0;
  m->rcode = (uint8_t)(m->flags & 0xf);
  m->qdcount = wd_be16(p + 4);
  m->ancount = wd_be16(p + 6);
  m->nscount = wd_be16(p + 8);
  m->arcount = wd_be16(p + 10);
  if (!m->qr && (m->qdcount != 1 || m->ancount != 0))
    m->anomalies |= WD_DNS_ANOM_ODD_QUERY;

  wd_rc rc = WD_OK;
  size_t off = 12;
  for (unsigned i = 0; i < m->qdcount && rc == WD_OK; i++) {
    char local[WD_DNS_NAME_TEXT_MAX];
    bool keep = m->n_questions < WD_DNS_QUESTIONS_MAX;
    wd_dns_question_t *q = keep ? &m->q[m->n_questions] : NULL;
    size_t wl = 0;
    rc = wd_dns_name(p, len, off, q ? q->name : local, WD_DNS_NAME_TEXT_MAX,
                     &wl, &m->anomalies);
    if (rc != WD_OK)
      break;
    off += wl;
    if (off + 4 > len) {
      m->anomalies |= WD_DNS_ANOM_TRUNCATED;
      rc = WD_ERR_TRUNC;
      break;
    }
    if (q) {
      q->type = wd_be16(p + off);
      q->qclass = wd_be16(p + off + 2);
      m->n_questions++;
    } else {
      m->questions_skipped++;
    }
    off += 4;
  }
  for (unsigned i = 0; i < m->ancount && rc == WD_OK; i++) {
    bool keep = m->n_answers < WD_DNS_ANSWERS_MAX;
    rc = read_rr(p, len, &off, keep ? &m->an[m->n_answers] : NULL,
                 &m->anomalies);
    if (rc == WD_OK) {
      if (keep)
        m->n_answers++;
      else
        m->answers_skipped++;
    }
  }
  unsigned rest = (unsigned)m->nscount + m->arcount;
  for (unsigned i = 0; i < rest && rc == WD_OK; i++)
    rc = read_rr(p, len, &off, NULL, &m->anomalies);
  if (rc == WD_OK && off < len)
    m->anomalies |= WD_DNS_ANOM_TRAILING;
  finish_stats(m, st);
  return rc;
}

/* ---- TCP framing ------------------------------------------------------- */

enum { T_RUN = 0, T_DEAD = 1 };

void wd_dns_tcp_init(wd_dns_tcp_t *t, wd_dns_stats_t *stats) {
  memset(t, 0, offsetof(wd_dns_tcp_t, buf));
  t->stats = stats;
}

void wd_dns_tcp_gap(wd_dns_tcp_t *t) {
  if (t->state != T_DEAD)
    STAT(t->stats, tcp_gaps);
  t->state = T_DEAD;
}

wd_rc wd_dns_tcp_feed(wd_dns_tcp_t *t, const uint8_t *data, size_t len,
                      wd_dns_msg_t *scratch, wd_dns_msg_fn fn, void *user) {
  if (t->state == T_DEAD)
    return WD_ERR_STATE;
  size_t i = 0;
  while (i < len) {
    if (t->len_have < 2) {
      t->len_b[t->len_have++] = data[i++];
      if (t->len_have == 2) {
        t->msg_len = wd_be16(t->len_b);
        t->have = 0;
        uint16_t keep =
            t->msg_len > WD_DNS_TCP_KEEP ? WD_DNS_TCP_KEEP : t->msg_len;
        t->skip = (uint16_t)(t->msg_len - keep);
        if (t->msg_len == 0) {
          STAT(t->stats, not_dns);
          t->len_have = 0;
        }
      }
      continue;
    }
    /* the kept prefix is fixed by the length; skip only shrinks */
    uint16_t keep = t->msg_len > WD_DNS_TCP_KEEP ? WD_DNS_TCP_KEEP : t->msg_len;
    if (t->have < keep) {
      size_t n = keep - t->have;
      if (n > len - i)
        n = len - i;
      memcpy(t->buf + t->have, data + i, n);
      t->have = (uint16_t)(t->have + n);
      i += n;
      if (t->have == keep) {
        wd_rc rc = wd_dns_parse(t->buf, keep, scratch, t->stats);
        scratch->msg_len = t->msg_len;
        if (t->skip) {
          scratch->anomalies |= WD_DNS_ANOM_CUT;
          STAT(t->stats, tcp_cut);
        }
        if (fn)
          fn(user, scratch, rc);
        if (t->skip == 0)
          t->len_have = 0;
      }
      continue;
    }
    size_t n = t->skip;
    if (n > len - i)
      n = len - i;
    t->skip = (uint16_t)(t->skip - n);
    i += n;
    if (t->skip == 0)
      t->len_have = 0;
  }
  return t->len_have == 0 ? WD_OK : WD_AGAIN;
}

const char *wd_dns_type_name(uint16_t type) {
  switch (type) {
  case WD_DNS_T_A:
    return "A";
  case WD_DNS_T_NS:
    return "NS";
  case WD_DNS_T_CNAME:
    return "CNAME";
  case WD_DNS_T_SOA:
    return "SOA";
  case WD_DNS_T_PTR:
    return "PTR";
  case WD_DNS_T_MX:
    return "MX";
  case WD_DNS_T_TXT:
    return "TXT";
  case WD_DNS_T_AAAA:
    return "AAAA";
  case WD_DNS_T_OPT:
    return "OPT";
  case 33:
    return "SRV";
  case 64:
    return "SVCB";
  case 65:
    return "HTTPS";
  case WD_DNS_T_ANY:
    return "ANY";
  default:
    return "other";
  }
}

const char *wd_dns_rcode_name(uint8_t rcode) {
  static const char *names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                "NXDOMAIN", "NOTIMP",  "REFUSED"};
  return rcode < sizeof names / sizeof names[0] ? names[rcode] : "other";
}
