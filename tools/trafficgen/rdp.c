/* rdp.c -- RDP connections to TCP 3389 ([MS-RDPBCGR] 1.3.1.1): the X.224
 * Connection Request in a TPKT (RFC 1006) with the "Cookie: mstshash="
 * user name and an RDP_NEG_REQ asking for TLS and CredSSP (NLA), the
 * Connection Confirm with an RDP_NEG_RSP selecting PROTOCOL_HYBRID, then
 * TLS; inside it the CredSSP exchange ([MS-CSSP]: NTLM negotiate,
 * challenge, authenticate with the public-key binding, the server's
 * answer) and, when the account is right, the MCS connect sequence,
 * capability exchange and an interactive session (small input events up,
 * screen updates down, idle gaps). A wrong password ends right after the
 * authenticate message: the server's error TSRequest, then its FIN.
 * Everything after the TLS handshake is application-data records of the
 * sizes these messages have. In: hosts, duration. Out: a TCP session. */
#include <stdio.h>

#include "tg.h"

/* app_u64: [0] phase, [1] session end (ns), [2] mode (0 admin, 1 failed
 * guess, 2 right guess), [3] workstation index, ref; app: user name */
enum {
  R_CR,
  R_CC,
  R_CHELLO,
  R_SHELLO,
  R_NLA1,
  R_NLA2,
  R_NLA3,
  R_NLA4,
  R_CREDS,
  R_MCS,
  R_MCSR,
  R_ACTIVE,
  R_CONFIRM,
  R_INPUT,
  R_UPDATE,
  R_END
};

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static bool x224(tg_msg_t *m, bool confirm, const char *user, uint16_t ref) {
  tg_tcp_msg_init(m, confirm ? TG_S2C : TG_C2S, confirm ? ms(1) : 0);
  tg_buf_t b = tg_tcp_msg_buf(m);
  char cookie[64] = "";
  if (!confirm && user)
    snprintf(cookie, sizeof cookie, "Cookie: mstshash=%.9s\r\n", user);
  size_t cl = strlen(cookie);
  size_t li = 6 + cl + 8; /* X.224 header after LI, cookie, RDP_NEG_* */
  tg_put8(&b, 3);         /* TPKT version */
  tg_put8(&b, 0);
  tg_put16be(&b, (uint16_t)(4 + 1 + li));
  tg_put8(&b, (uint8_t)li);
  tg_put8(&b, confirm ? 0xd0 : 0xe0); /* CC / CR */
  tg_put16be(&b, confirm ? ref : 0);  /* DST-REF */
  tg_put16be(&b, confirm ? 0x1234 : ref);
  tg_put8(&b, 0); /* class 0 */
  tg_put(&b, cookie, cl);
  tg_put8(&b, confirm ? 0x02 : 0x01); /* RDP_NEG_RSP / RDP_NEG_REQ */
  tg_put8(&b, confirm ? 0x1f : 0x00);
  tg_put16le(&b, 8);
  tg_put32le(&b, confirm ? 0x00000002u   /* PROTOCOL_HYBRID */
                         : 0x0000000bu); /* SSL | HYBRID | HYBRID_EX */
  tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
  return !b.over;
}

static bool rdp_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  uint32_t len; /* drawn before the call that uses it, in order */
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  const char *user = (const char *)s->app;
  switch (u[0]) {
  case R_CR:
    u[0] = R_CC;
    return x224(m, false, user, (uint16_t)(u[3] * 7 + 1));
  case R_CC:
    u[0] = R_CHELLO;
    return x224(m, true, NULL, (uint16_t)(u[3] * 7 + 1));
  case R_CHELLO:
    u[0] = R_SHELLO;
    return tg_apps_tls_client_hello(m, "srv.hospital.example", r);
  case R_SHELLO:
    u[0] = R_NLA1;
    return tg_apps_tls_server_hello(m, r, ms(2));
  case R_NLA1: /* TSRequest: NTLM NEGOTIATE */
    u[0] = R_NLA2;
    return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 70, 90),
                              ms(1));
  case R_NLA2: /* TSRequest: NTLM CHALLENGE */
    u[0] = R_NLA3;
    return tg_apps_tls_record(m, TG_S2C, (uint32_t)tg_rng_range(r, 260, 320),
                              ms(1));
  case R_NLA3: /* TSRequest: NTLM AUTHENTICATE + pubKeyAuth */
    u[0] = R_NLA4;
    len = (uint32_t)tg_rng_range(r, 700, 1100);
    return tg_apps_tls_record(m, TG_C2S, len,
                              u[2] == 1 ? ms(tg_rng_range(r, 5, 60))
                                        : ms(tg_rng_range(r, 300, 3000)));
  case R_NLA4:
    if (u[2] == 1) { /* TSRequest with errorCode: logon failure */
      u[0] = R_END;
      len = (uint32_t)tg_rng_range(r, 40, 60);
      return tg_apps_tls_record(m, TG_S2C, len, ms(tg_rng_range(r, 80, 400)));
    }
    u[0] = R_CREDS; /* pubKeyAuth of the server */
    len = (uint32_t)tg_rng_range(r, 300, 360);
    return tg_apps_tls_record(m, TG_S2C, len, ms(tg_rng_range(r, 20, 120)));
  case R_CREDS: /* TSCredentials */
    u[0] = R_MCS;
    return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 150, 260),
                              ms(1));
  case R_MCS: /* MCS Connect Initial with the GCC conference request */
    u[0] = R_MCSR;
    return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 420, 520),
                              ms(1));
  case R_MCSR: /* Connect Response, channel joins, licensing */
    u[0] = R_ACTIVE;
    return tg_apps_tls_record(m, TG_S2C, (uint32_t)tg_rng_range(r, 900, 2400),
                              ms(3));
  case R_ACTIVE: /* Demand Active */
    u[0] = R_CONFIRM;
    return tg_apps_tls_record(m, TG_S2C, (uint32_t)tg_rng_range(r, 300, 600),
                              ms(10));
  case R_CONFIRM: /* Confirm Active, synchronize, control, fonts */
    u[0] = R_UPDATE;
    return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 480, 700),
                              ms(5));
  case R_INPUT: /* fast-path input: keys, mouse */
    if (tg_sched_now >= u[1])
      return false;
    u[0] = R_UPDATE;
    {
      double think = tg_rng_exp(r, 700);
      if (tg_rng_chance(r, 0.03)) /* reading, on the phone */
        think += tg_rng_exp(r, 45000);
      return tg_apps_tls_record(m, TG_C2S, (uint32_t)tg_rng_range(r, 9, 40),
                                ms(think));
    }
  case R_UPDATE: { /* screen update */
    u[0] = R_INPUT;
    double n = tg_rng_lognormal(r, 1800, 1.4);
    len = n < 40 ? 40 : n > 16000 ? 16000 : (uint32_t)n;
    return tg_apps_tls_record(m, TG_S2C, len, ms(2 + tg_rng_unit(r) * 30));
  }
  default:
    return false;
  }
}

tg_tcp_t *tg_rdp_session(tg_gen_t *g, tg_rng_t *r, const tg_host_t *client,
                         const tg_host_t *server, int family,
                         uint64_t duration_ns, int mode) {
  tg_tcp_t *s = tg_tcp_new(g, 40, r); /* app: the user name */
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, server, family, 3389);
  s->next = rdp_next;
  s->app_u64[0] = R_CR;
  s->app_u64[2] = (uint64_t)mode;
  s->app_u64[3] = client->index != UINT32_MAX ? client->index : 0;
  tg_apps_user((uint32_t)s->app_u64[3], (char *)s->app, 40);
  /* the end of the interactive part, from the first message on */
  s->app_u64[1] = tg_sched_now + duration_ns;
  if (mode == 1) {
    s->close = TG_CLOSE_FIN_S;
    s->close_think_ns = ms(tg_rng_range(&s->a.rng, 1, 10));
  } else {
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(&s->a.rng, 20, 300));
  }
  return s;
}

void tg_rdp_set_user(tg_tcp_t *s, const char *user) {
  snprintf((char *)s->app, 40, "%s", user);
}

void tg_rdp_set_end(tg_tcp_t *s, uint64_t end_ns) { s->app_u64[1] = end_ns; }
