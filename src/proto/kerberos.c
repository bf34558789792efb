/* kerberos.c -- Kerberos KDC message reader over a minimal DER reader
 * (kerberos.h). In: message bytes, or TCP bytes in pieces. Out: the
 * caller's wd_krb_msg_t. The DER reader hands out one element at a time
 * inside a bounded window; an element longer than its window is marked
 * cut: a cut container may still be entered (to read the fields of a
 * message longer than the TCP prefix), a cut primitive is never used.
 * No allocation, no recursion beyond the fixed message structure. */
#include "proto/kerberos.h"

#include <string.h>

#include "proto/proto_int.h"

#define STAT(st, f)                                                            \
  do {                                                                         \
    if (st)                                                                    \
      (st)->f++;                                                               \
  } while (0)

enum { CLS_UNIVERSAL = 0, CLS_APPLICATION = 1, CLS_CONTEXT = 2 };
enum { T_INTEGER = 2, T_SEQUENCE = 16, T_GENERAL_STRING = 27 };

typedef struct tlv {
  uint8_t cls;
  bool cons;
  uint32_t tag;
  const uint8_t *v; /* content */
  size_t vlen;      /* content bytes available (clamped when cut) */
  bool cut;         /* the declared length runs past the window */
} tlv;

/* A window of bytes holding a sequence of elements. */
typedef struct win {
  const uint8_t *p;
  size_t len, off;
  unsigned depth;
} win;

/* Reads the next element of w. Returns WD_OK, WD_END at the window's end,
 * WD_ERR_TRUNC when the header itself does not fit, WD_ERR_INVAL on bad
 * DER. */
static wd_rc der_next(win *w, tlv *t, uint32_t *anom) {
  if (w->off >= w->len)
    return WD_END;
  const uint8_t *p = w->p + w->off;
  size_t n = w->len - w->off, i = 0;
  uint8_t b = p[i++];
  t->cls = b >> 6;
  t->cons = (b & 0x20) != 0;
  t->tag = b & 0x1f;
  if (t->tag == 0x1f) { /* high tag number form */
    t->tag = 0;
    for (unsigned k = 0;; k++) {
      if (i >= n) {
        *anom |= WD_KRB_ANOM_TRUNCATED;
        return WD_ERR_TRUNC;
      }
      if (k >= 4) {
        *anom |= WD_KRB_ANOM_BAD_DER;
        return WD_ERR_INVAL;
      }
      uint8_t c = p[i++];
      t->tag = (t->tag << 7) | (c & 0x7f);
      if (!(c & 0x80))
        break;
    }
  }
  if (i >= n) {
    *anom |= WD_KRB_ANOM_TRUNCATED;
    return WD_ERR_TRUNC;
  }
  uint8_t l0 = p[i++];
  size_t vlen = l0;
  if (l0 & 0x80) {
    unsigned nb = l0 & 0x7f;
    if (nb == 0 || nb > 4) { /* indefinite (not DER) or absurd */
      *anom |= WD_KRB_ANOM_BAD_DER;
      return WD_ERR_INVAL;
    }
    if (n - i < nb) {
      *anom |= WD_KRB_ANOM_TRUNCATED;
      return WD_ERR_TRUNC;
    }
    vlen = 0;
    for (unsigned k = 0; k < nb; k++)
      vlen = (vlen << 8) | p[i++];
    if (vlen > WD_KRB_MSG_MAX) {
      *anom |= WD_KRB_ANOM_BAD_DER;
      return WD_ERR_INVAL;
    }
  }
  t->v = p + i;
  t->cut = vlen > n - i;
  t->vlen = t->cut ? n - i : vlen;
  w->off += i + t->vlen;
  if (t->cut)
    *anom |= WD_KRB_ANOM_TRUNCATED;
  return WD_OK;
}

/* A window over a constructed element's content. */
static bool enter(const win *parent, const tlv *t, win *w, uint32_t *anom) {
  if (!t->cons) {
    *anom |= WD_KRB_ANOM_BAD_FIELD;
    return false;
  }
  if (parent->depth + 1 > WD_DER_DEPTH_MAX) {
    *anom |= WD_KRB_ANOM_BAD_DER;
    return false;
  }
  w->p = t->v;
  w->len = t->vlen;
  w->off = 0;
  w->depth = parent->depth + 1;
  return true;
}

/* The single element inside an explicit [n] tag. */
static bool inner(const win *parent, const tlv *t, tlv *out, win *w,
                  uint32_t *anom) {
  if (!enter(parent, t, w, anom))
    return false;
  return der_next(w, out, anom) == WD_OK;
}

static bool der_int(const tlv *t, int32_t *v, uint32_t *anom) {
  if (t->cls != CLS_UNIVERSAL || t->tag != T_INTEGER || t->cons || t->cut ||
      t->vlen == 0 || t->vlen > 4) {
    if (!t->cut)
      *anom |= WD_KRB_ANOM_BAD_FIELD;
    return false;
  }
  uint32_t x = (t->v[0] & 0x80) ? 0xffffffffu : 0;
  for (size_t i = 0; i < t->vlen; i++)
    x = (x << 8) | t->v[i];
  memcpy(v, &x, sizeof *v);
  return true;
}

/* [n] INTEGER */
static bool ctx_int(const win *w, const tlv *t, int32_t *v, uint32_t *anom) {
  tlv x;
  win iw;
  return inner(w, t, &x, &iw, anom) && der_int(&x, v, anom);
}

/* KerberosString into out (escaped); appends after sep when out has text. */
static void put_string(const tlv *t, char *out, size_t cap, const char *sep,
                       uint32_t *anom) {
  if (t->cut)
    return;
  if (t->cls != CLS_UNIVERSAL || t->cons ||
      (t->tag != T_GENERAL_STRING && t->tag != 12 && t->tag != 22 &&
       t->tag != 19)) {
    *anom |= WD_KRB_ANOM_BAD_FIELD;
    return;
  }
  size_t o = strlen(out);
  if (o > 0 && sep) {
    if (o + 1 >= cap) {
      *anom |= WD_KRB_ANOM_NAME_CUT;
      return;
    }
    out[o++] = sep[0];
    out[o] = '\0';
  }
  bool esc = false;
  if (!wd_text_escape(out + o, cap - o, t->v, t->vlen, false, &esc) || esc)
    *anom |= WD_KRB_ANOM_NAME_CUT;
}

/* [n] Realm */
static void ctx_realm(const win *w, const tlv *t, char *out, uint32_t *anom) {
  tlv x;
  win iw;
  if (inner(w, t, &x, &iw, anom)) {
    out[0] = '\0';
    put_string(&x, out, WD_KRB_NAME_MAX, NULL, anom);
  }
}

/* [n] PrincipalName ::= SEQUENCE { [0] name-type, [1] SEQUENCE OF
 * KerberosString } */
static bool ctx_principal(const win *w, const tlv *t, char *out, int32_t *type,
                          uint32_t *anom) {
  tlv seq, f;
  win iw, sw;
  if (!inner(w, t, &seq, &iw, anom) || !enter(&iw, &seq, &sw, anom))
    return false;
  out[0] = '\0';
  while (der_next(&sw, &f, anom) == WD_OK) {
    if (f.cls != CLS_CONTEXT)
      continue;
    if (f.tag == 0 && type) {
      ctx_int(&sw, &f, type, anom);
    } else if (f.tag == 1) {
      tlv list, s;
      win lw, ew;
      if (!inner(&sw, &f, &list, &lw, anom) || !enter(&lw, &list, &ew, anom))
        break;
      while (der_next(&ew, &s, anom) == WD_OK)
        put_string(&s, out, WD_KRB_NAME_MAX, "/", anom);
    }
  }
  return true;
}

/* [n] SEQUENCE OF PA-DATA */
static void padata(const win *w, const tlv *t, wd_krb_msg_t *m) {
  tlv seq, pa, f;
  win iw, sw, pw;
  if (!inner(w, t, &seq, &iw, &m->anomalies) ||
      !enter(&iw, &seq, &sw, &m->anomalies))
    return;
  while (der_next(&sw, &pa, &m->anomalies) == WD_OK) {
    if (!enter(&sw, &pa, &pw, &m->anomalies))
      break;
    while (der_next(&pw, &f, &m->anomalies) == WD_OK) {
      int32_t type;
      if (f.cls == CLS_CONTEXT && f.tag == 1 &&
          ctx_int(&pw, &f, &type, &m->anomalies)) {
        if (m->n_padata < WD_KRB_PADATA_KEEP)
          m->padata[m->n_padata] = type;
        if (m->n_padata < UINT8_MAX)
          m->n_padata++;
        if (type == WD_KRB_PA_ENC_TIMESTAMP)
          m->pa_enc_timestamp = true;
      }
    }
  }
}

static void req_body(const win *w, const tlv *t, wd_krb_msg_t *m) {
  tlv seq, f;
  win iw, bw;
  uint32_t *a = &m->anomalies;
  if (!inner(w, t, &seq, &iw, a) || !enter(&iw, &seq, &bw, a))
    return;
  while (der_next(&bw, &f, a) == WD_OK) {
    if (f.cls != CLS_CONTEXT)
      continue;
    switch (f.tag) {
    case 1:
      m->has_cname = ctx_principal(&bw, &f, m->cname, &m->cname_type, a);
      break;
    case 2:
      ctx_realm(&bw, &f, m->realm, a);
      memcpy(m->crealm, m->realm, sizeof m->crealm);
      break;
    case 3:
      m->has_sname = ctx_principal(&bw, &f, m->sname, NULL, a);
      break;
    case 8: {
      tlv list, e;
      win lw, ew;
      if (!inner(&bw, &f, &list, &lw, a) || !enter(&lw, &list, &ew, a))
        break;
      while (der_next(&ew, &e, a) == WD_OK) {
        int32_t v;
        if (!der_int(&e, &v, a))
          continue;
        if (m->n_etypes < WD_KRB_ETYPES_KEEP)
          m->etypes[m->n_etypes] = v;
        if (m->n_etypes < UINT8_MAX)
          m->n_etypes++;
      }
      break;
    }
    default:
      break;
    }
  }
}

/* [n] EncryptedData ::= SEQUENCE { [0] etype, ... } */
static bool enc_etype(const win *w, const tlv *t, int32_t *out,
                      uint32_t *anom) {
  tlv seq, f;
  win iw, sw;
  if (!inner(w, t, &seq, &iw, anom) || !enter(&iw, &seq, &sw, anom))
    return false;
  if (der_next(&sw, &f, anom) == WD_OK && f.cls == CLS_CONTEXT && f.tag == 0)
    return ctx_int(&sw, &f, out, anom);
  return false;
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { [0] tkt-vno, [1] realm, ... } */
static void ticket_realm(const win *w, const tlv *t, char *out,
                         uint32_t *anom) {
  tlv app, seq, f;
  win aw, iw, sw;
  if (!inner(w, t, &app, &aw, anom) || app.cls != CLS_APPLICATION ||
      app.tag != 1 || !inner(&aw, &app, &seq, &iw, anom) ||
      !enter(&iw, &seq, &sw, anom))
    return;
  while (der_next(&sw, &f, anom) == WD_OK)
    if (f.cls == CLS_CONTEXT && f.tag == 1) {
      ctx_realm(&sw, &f, out, anom);
      return;
    }
}

static void check_header(wd_krb_msg_t *m, int32_t pvno, int32_t type) {
  if (pvno != 5 || type != m->msg_type)
    m->anomalies |= WD_KRB_ANOM_BAD_FIELD;
}

wd_rc wd_krb_parse(const uint8_t *p, size_t len, wd_krb_msg_t *m,
                   wd_krb_stats_t *st) {
  memset(m, 0, sizeof *m);
  m->msg_len = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
  uint32_t *a = &m->anomalies;
  win top = {p, len, 0, 0}, mw, sw;
  tlv app, seq, f;
  wd_rc rc = der_next(&top, &app, a);
  bool known = rc == WD_OK && app.cls == CLS_APPLICATION && app.cons &&
               (app.tag == WD_KRB_AS_REQ || app.tag == WD_KRB_AS_REP ||
                app.tag == WD_KRB_TGS_REQ || app.tag == WD_KRB_TGS_REP ||
                app.tag == WD_KRB_ERROR);
  if (!known || !inner(&top, &app, &seq, &mw, a) || seq.cls != 0 ||
      seq.tag != T_SEQUENCE || !enter(&mw, &seq, &sw, a)) {
    if (!known)
      *a |= WD_KRB_ANOM_NOT_KRB;
    STAT(st, messages);
    STAT(st, not_krb);
    STAT(st, anomalies);
    return (*a & WD_KRB_ANOM_NOT_KRB) || (*a & WD_KRB_ANOM_BAD_DER) ||
                   rc == WD_ERR_INVAL
               ? WD_ERR_INVAL
               : WD_ERR_TRUNC;
  }
  m->msg_type = (uint8_t)app.tag;
  int32_t pvno = -1, type = -1;
  bool req = app.tag == WD_KRB_AS_REQ || app.tag == WD_KRB_TGS_REQ;
  bool rep = app.tag == WD_KRB_AS_REP || app.tag == WD_KRB_TGS_REP;
  while ((rc = der_next(&sw, &f, a)) == WD_OK) {
    if (f.cls != CLS_CONTEXT)
      continue;
    if (req) {
      /* KDC-REQ: [1] pvno [2] msg-type [3] padata [4] req-body */
      if (f.tag == 1)
        ctx_int(&sw, &f, &pvno, a);
      else if (f.tag == 2)
        ctx_int(&sw, &f, &type, a);
      else if (f.tag == 3)
        padata(&sw, &f, m);
      else if (f.tag == 4)
        req_body(&sw, &f, m);
    } else if (rep) {
      /* KDC-REP: [0] pvno [1] msg-type [2] padata [3] crealm [4] cname
       * [5] ticket [6] enc-part */
      if (f.tag == 0)
        ctx_int(&sw, &f, &pvno, a);
      else if (f.tag == 1)
        ctx_int(&sw, &f, &type, a);
      else if (f.tag == 2)
        padata(&sw, &f, m);
      else if (f.tag == 3)
        ctx_realm(&sw, &f, m->crealm, a);
      else if (f.tag == 4)
        m->has_cname = ctx_principal(&sw, &f, m->cname, &m->cname_type, a);
      else if (f.tag == 5)
        ticket_realm(&sw, &f, m->realm, a);
      else if (f.tag == 6)
        m->has_enc_etype = enc_etype(&sw, &f, &m->enc_etype, a);
    } else {
      /* KRB-ERROR: [0] pvno [1] msg-type ... [6] error-code [7] crealm
       * [8] cname [9] realm [10] sname */
      switch (f.tag) {
      case 0:
        ctx_int(&sw, &f, &pvno, a);
        break;
      case 1:
        ctx_int(&sw, &f, &type, a);
        break;
      case 6:
        m->has_error = ctx_int(&sw, &f, &m->error_code, a);
        break;
      case 7:
        ctx_realm(&sw, &f, m->crealm, a);
        break;
      case 8:
        m->has_cname = ctx_principal(&sw, &f, m->cname, &m->cname_type, a);
        break;
      case 9:
        ctx_realm(&sw, &f, m->realm, a);
        break;
      case 10:
        m->has_sname = ctx_principal(&sw, &f, m->sname, NULL, a);
        break;
      default:
        break;
      }
    }
    if (f.cut)
      break;
  }
  m->pvno = pvno >= 0 && pvno < 256 ? (uint8_t)pvno : 0;
  if (pvno >= 0 && type >= 0)
    check_header(m, pvno, type);
  else if (!(*a & WD_KRB_ANOM_TRUNCATED))
    *a |= WD_KRB_ANOM_BAD_FIELD;
  if (st) {
    st->messages++;
    if (req)
      st->requests++;
    else if (rep)
      st->replies++;
    else
      st->errors++;
    if (*a)
      st->anomalies++;
  }
  if (rc == WD_ERR_INVAL || (*a & WD_KRB_ANOM_BAD_DER))
    return WD_ERR_INVAL;
  return (*a & WD_KRB_ANOM_TRUNCATED) ? WD_ERR_TRUNC : WD_OK;
}

/* ---- TCP framing ------------------------------------------------------- */

enum { K_RUN = 0, K_DEAD = 1 };

void wd_krb_tcp_init(wd_krb_tcp_t *t, wd_krb_stats_t *stats) {
  memset(t, 0, offsetof(wd_krb_tcp_t, buf));
  t->stats = stats;
}

void wd_krb_tcp_gap(wd_krb_tcp_t *t) {
  if (t->state != K_DEAD)
    STAT(t->stats, tcp_stopped);
  t->state = K_DEAD;
}

wd_rc wd_krb_tcp_feed(wd_krb_tcp_t *t, const uint8_t *data, size_t len,
                      wd_krb_msg_t *scratch, wd_krb_msg_fn fn, void *user) {
  size_t i = 0;
  while (i < len) {
    if (t->state == K_DEAD)
      return WD_ERR_STATE;
    if (t->len_have < 4) {
      t->len_b[t->len_have++] = data[i++];
      if (t->len_have == 4) {
        t->msg_len = wd_be32(t->len_b);
        if ((t->msg_len & 0x80000000u) || t->msg_len > WD_KRB_MSG_MAX ||
            t->msg_len == 0) {
          memset(scratch, 0, sizeof *scratch);
          scratch->anomalies = WD_KRB_ANOM_BAD_FRAME;
          scratch->msg_len = t->msg_len;
          if (fn)
            fn(user, scratch, WD_ERR_INVAL);
          wd_krb_tcp_gap(t);
          return WD_ERR_STATE;
        }
        t->have = 0;
        uint32_t keep =
            t->msg_len > WD_KRB_PREFIX_MAX ? WD_KRB_PREFIX_MAX : t->msg_len;
        t->skip = t->msg_len - keep;
      }
      continue;
    }
    uint32_t keep =
        t->msg_len > WD_KRB_PREFIX_MAX ? WD_KRB_PREFIX_MAX : t->msg_len;
    if (t->have < keep) {
      size_t n = keep - t->have;
      if (n > len - i)
        n = len - i;
      memcpy(t->buf + t->have, data + i, n);
      t->have += (uint32_t)n;
      i += n;
      if (t->have == keep) {
        wd_rc rc = wd_krb_parse(t->buf, keep, scratch, t->stats);
        scratch->msg_len = t->msg_len;
        if (t->skip) {
          scratch->anomalies |= WD_KRB_ANOM_CUT;
          STAT(t->stats, tcp_cut);
        }
        if (fn)
          fn(user, scratch, rc);
        if (t->skip == 0)
          t->len_have = 0;
      }
      continue;
    }
    size_t n = t->skip < len - i ? t->skip : len - i;
    t->skip -= (uint32_t)n;
    i += n;
    if (t->skip == 0)
      t->len_have = 0;
  }
  if (t->state == K_DEAD)
    return WD_ERR_STATE;
  return t->len_have == 0 ? WD_OK : WD_AGAIN;
}

const char *wd_krb_msg_name(uint8_t msg_type) {
  switch (msg_type) {
  case WD_KRB_AS_REQ:
    return "AS-REQ";
  case WD_KRB_AS_REP:
    return "AS-REP";
  case WD_KRB_TGS_REQ:
    return "TGS-REQ";
  case WD_KRB_TGS_REP:
    return "TGS-REP";
  case WD_KRB_ERROR:
    return "KRB-ERROR";
  default:
    return "unknown";
  }
}

const char *wd_krb_error_name(int32_t code) {
  switch (code) {
  case 0:
    return "KDC_ERR_NONE";
  case WD_KRB_ERR_C_PRINCIPAL_UNKNOWN:
    return "KDC_ERR_C_PRINCIPAL_UNKNOWN";
  case WD_KRB_ERR_S_PRINCIPAL_UNKNOWN:
    return "KDC_ERR_S_PRINCIPAL_UNKNOWN";
  case WD_KRB_ERR_ETYPE_NOSUPP:
    return "KDC_ERR_ETYPE_NOSUPP";
  case WD_KRB_ERR_CLIENT_REVOKED:
    return "KDC_ERR_CLIENT_REVOKED";
  case WD_KRB_ERR_KEY_EXPIRED:
    return "KDC_ERR_KEY_EXPIRED";
  case WD_KRB_ERR_PREAUTH_FAILED:
    return "KDC_ERR_PREAUTH_FAILED";
  case WD_KRB_ERR_PREAUTH_REQUIRED:
    return "KDC_ERR_PREAUTH_REQUIRED";
  case WD_KRB_AP_ERR_SKEW:
    return "KRB_AP_ERR_SKEW";
  case WD_KRB_ERR_RESPONSE_TOO_BIG:
    return "KRB_ERR_RESPONSE_TOO_BIG";
  case WD_KRB_ERR_WRONG_REALM:
    return "KDC_ERR_WRONG_REALM";
  default:
    return "other";
  }
}
