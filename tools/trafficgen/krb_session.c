/* krb_session.c -- Kerberos exchanges with the domain controller (RFC
 * 4120), over TCP 88 as Windows sends them (a connection per request, the
 * 4-byte record length of 7.2.2) or over UDP 88 as guessing tools often
 * do. A normal Windows logon is the pre-authentication dance: an AS-REQ
 * without pre-authentication, answered KRB-ERROR KDC_ERR_PREAUTH_REQUIRED
 * (25) with the ETYPE-INFO2 salt; the AS-REQ again with PA-ENC-TIMESTAMP,
 * answered AS-REP; then a TGS-REQ for the file server, answered TGS-REP.
 * A wrong password gets KDC_ERR_PREAUTH_FAILED (24) instead of the AS-REP.
 * In: hosts, user. Out: TCP session actors or UDP packets. */
#include <stdio.h>

#include "tg.h"

typedef struct krb_app {
  int kind;
  int step; /* 0 request, 1 answer */
  char user[40];
  char host[24];
} krb_app_t;

static void fill_krb(tg_krb_t *k, const krb_app_t *a, tg_rng_t *r,
                     uint64_t now) {
  memset(k, 0, sizeof *k);
  k->realm = "HOSPITAL.EXAMPLE";
  k->user = a->user;
  k->host = a->host[0] ? a->host : NULL;
  k->service = "cifs";
  k->service_host = "fs01.hospital.example";
  k->nonce = (uint32_t)tg_rng_next(r) & 0x7fffffff;
  k->now_ns = now;
}

/* Builds the request (dir C2S) or answer of kind into out; the ticket
 * cipher (if any) in [*oo, *oo + *ol). */
static size_t build(int kind, bool answer, const tg_krb_t *k, tg_rng_t *r,
                    uint8_t *out, size_t cap, size_t *oo, size_t *ol) {
  *oo = *ol = 0;
  if (!answer) {
    if (kind == TG_KRB_TGS)
      return tg_krb_tgs_req(out, cap, k, r, oo, ol);
    return tg_krb_as_req(out, cap, k, kind != TG_KRB_AS_NOPA, r);
  }
  switch (kind) {
  case TG_KRB_AS_NOPA:
    return tg_krb_error(out, cap, k, TG_KRB_PREAUTH_REQUIRED, r);
  case TG_KRB_AS_BAD:
    return tg_krb_error(out, cap, k, TG_KRB_PREAUTH_FAILED, r);
  case TG_KRB_TGS:
    return tg_krb_as_rep(out, cap, k, true, r, oo, ol);
  default:
    return tg_krb_as_rep(out, cap, k, false, r, oo, ol);
  }
}

static bool krb_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  krb_app_t *a = (krb_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  if (a->step > 1)
    return false;
  bool ans = a->step == 1;
  a->step++;
  tg_krb_t k;
  fill_krb(&k, a, r, tg_sched_now);
  uint8_t buf[4096];
  size_t oo, ol;
  size_t n = build(a->kind, ans, &k, r, buf + 4, sizeof buf - 4, &oo, &ol);
  if (!n)
    return false;
  buf[0] = (uint8_t)(n >> 24);
  buf[1] = (uint8_t)(n >> 16);
  buf[2] = (uint8_t)(n >> 8);
  buf[3] = (uint8_t)n;
  uint64_t think = ans ? (uint64_t)(200 + tg_rng_below(r, 900)) * TG_US
                       : (uint64_t)(50 + tg_rng_below(r, 200)) * TG_US;
  return tg_tcp_msg_bytes(m, ans ? TG_S2C : TG_C2S, think, buf, n + 4,
                          ol ? oo + 4 : n + 4, ol);
}

static void names(krb_app_t *a, const tg_host_t *client, const char *user) {
  if (client->index != UINT32_MAX)
    snprintf(a->host, sizeof a->host, "WS%05u", (unsigned)client->index + 1);
  if (user)
    snprintf(a->user, sizeof a->user, "%s", user);
  else if (client->index != UINT32_MAX)
    tg_apps_user(client->index, a->user, sizeof a->user);
  else
    snprintf(a->user, sizeof a->user, "svc_app");
}

tg_tcp_t *tg_krb_session(tg_gen_t *g, tg_rng_t *r, int kind,
                         const tg_host_t *client, const tg_host_t *kdc,
                         const char *user, int family) {
  tg_tcp_t *s = tg_tcp_new(g, sizeof(krb_app_t), r);
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, kdc, family, 88);
  s->next = krb_next;
  krb_app_t *a = (krb_app_t *)s->app;
  a->kind = kind;
  names(a, client, user);
  s->close = TG_CLOSE_FIN_C;
  s->close_think_ns = (uint64_t)(100 + tg_rng_below(&s->a.rng, 900)) * TG_US;
  return s;
}

int tg_krb_udp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag, int kind,
               const tg_host_t *client, const tg_host_t *kdc, const char *user,
               int family) {
  krb_app_t a;
  memset(&a, 0, sizeof a);
  a.kind = kind;
  names(&a, client, user);
  tg_krb_t k;
  fill_krb(&k, &a, r, t);
  uint8_t buf[4096];
  size_t oo, ol;
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, client, kdc, family);
  tg_pkt_l3_from_hosts(&down, kdc, client, family);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = client->windows ? (uint16_t)tg_rng_range(r, 49152, 65535)
                                   : (uint16_t)tg_rng_range(r, 32768, 60999);
  size_t n = build(kind, false, &k, r, buf, sizeof buf, &oo, &ol);
  int pk = tg_pkt_udp(g, t, 10 * TG_US, tag, &up, cport, 88, buf, n);
  uint64_t t1 = t + 2ULL * kdc->delay_ns + tg_rng_range(r, 200, 1100) * TG_US;
  k.now_ns = t1;
  n = build(kind, true, &k, r, buf, sizeof buf, &oo, &ol);
  pk += tg_pkt_udp(g, t1, 10 * TG_US, tag, &down, 88, cport, buf, n);
  return pk;
}

void tg_krb_logon(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                  const tg_host_t *client, const tg_host_t *kdc,
                  const char *user, int typos, int cls) {
  int kinds[8], n = 0;
  kinds[n++] = TG_KRB_AS_NOPA;
  for (int i = 0; i < typos && n < 6; i++)
    kinds[n++] = TG_KRB_AS_BAD;
  kinds[n++] = TG_KRB_AS_PA;
  kinds[n++] = TG_KRB_TGS;
  uint64_t at = t;
  for (int i = 0; i < n; i++) {
    tg_tcp_t *s = tg_krb_session(g, r, kinds[i], client, kdc, user, 4);
    if (!s)
      return;
    s->tag = tag;
    tg_benign_start_tcp(g, s, cls, at);
    /* each exchange takes a few milliseconds; a retyped password takes
     * the user a few seconds */
    at += (kinds[i] == TG_KRB_AS_BAD ? tg_rng_range(r, 2000, 6000)
                                     : tg_rng_range(r, 8, 30)) *
          TG_MS;
  }
}
