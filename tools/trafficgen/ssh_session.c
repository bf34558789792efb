/* ssh_session.c -- SSH connections (RFC 4253, 4252, 4254) as the tap sees
 * them: banners and KEXINIT, the curve25519 key exchange and NEWKEYS in
 * clear, then encrypted packets whose sizes follow the protocol: the
 * service request/accept, password authentication attempts, and either
 * an interactive shell (keystrokes echoed, bursts of output, idle gaps),
 * a bulk copy (scp/sftp), or -- a guessed password that was wrong -- a
 * USERAUTH_FAILURE per try and, after the last, the server's DISCONNECT
 * and FIN.
 * In: options, hosts. Out: a TCP session actor the caller starts.
 * Memory: app_u64 of the session. */
#include "tg.h"

/* app_u64: [0] phase, [1] keystrokes left, [2] bulk bytes left, [3] auth
 * failures still to answer, [4] mode, [5] mean think (ms), [6] idle share
 * (per mille) */
enum {
  S_CBANNER,
  S_SBANNER,
  S_KEXINIT,
  S_KEXREPLY,
  S_NEWKEYS,
  S_ACCEPT,
  S_AUTH,
  S_AUTHRESP,
  S_SHELL,
  S_ECHO,
  S_DISCONNECT,
  S_END
};

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static uint32_t clamp_u32(double x, double lo, double hi) {
  if (x < lo)
    x = lo;
  if (x > hi)
    x = hi;
  return (uint32_t)x;
}

static bool ssh_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  uint32_t len; /* drawn before the call that uses it, in order */
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  bool guess = u[4] == TG_SSH_GUESS;
  switch (u[0]) {
  case S_CBANNER:
    u[0] = S_SBANNER;
    return tg_apps_ssh_banner(m, TG_C2S, false);
  case S_SBANNER:
    u[0] = S_KEXINIT;
    return tg_apps_ssh_banner(m, TG_S2C, true);
  case S_KEXINIT:
    u[0] = S_KEXREPLY;
    return tg_apps_ssh_kex(m, TG_C2S, r, ms(1));
  case S_KEXREPLY:
    u[0] = S_NEWKEYS;
    return tg_apps_ssh_kex(m, TG_S2C, r, ms(2));
  case S_NEWKEYS: /* NEWKEYS + SERVICE_REQUEST "ssh-userauth" */
    u[0] = S_ACCEPT;
    return tg_apps_ssh_newkeys(m, 28, r, ms(tg_rng_range(r, 1, 5)));
  case S_ACCEPT:
    u[0] = S_AUTH;
    return tg_apps_ssh_packet(m, TG_S2C, 28, ms(0.3));
  case S_AUTH: /* USERAUTH_REQUEST, "password" */
    u[0] = S_AUTHRESP;
    len = (uint32_t)tg_rng_range(r, 76, 124);
    return tg_apps_ssh_packet(m, TG_C2S, len,
                              guess ? ms(tg_rng_range(r, 2, 60))
                                    : ms(tg_rng_range(r, 600, 4000)));
  case S_AUTHRESP:
    if (u[3] > 0) { /* USERAUTH_FAILURE, after the server's delay */
      u[3]--;
      /* a user types again; a guessing tool's connection ends after its
       * last try (the server drops it) unless that try is the right
       * password (a shell follows) */
      u[0] = (u[3] == 0 && guess && !u[1] && !u[2]) ? S_DISCONNECT : S_AUTH;
      return tg_apps_ssh_packet(m, TG_S2C, 44, ms(tg_rng_range(r, 1800, 3000)));
    }
    u[0] = S_SHELL; /* USERAUTH_SUCCESS */
    return tg_apps_ssh_packet(m, TG_S2C, 12, ms(tg_rng_range(r, 5, 40)));
  case S_DISCONNECT: /* too many failures: SSH_MSG_DISCONNECT, then FIN */
    u[0] = S_END;
    return tg_apps_ssh_packet(m, TG_S2C, 60, ms(1));
  case S_SHELL: /* interactive or bulk */
    if (u[2] > 0) {
      uint32_t n = u[2] > 32768 ? 32768 : (uint32_t)u[2];
      u[2] -= n;
      return tg_apps_ssh_packet(m, TG_C2S, n, 0);
    }
    if (u[1] == 0)
      return false;
    u[0] = S_ECHO;
    {
      double think = tg_rng_exp(r, (double)u[5]);
      if (u[6] && tg_rng_below(r, 1000) < u[6]) /* reading, thinking */
        think += tg_rng_exp(r, 40000);
      return tg_apps_ssh_packet(m, TG_C2S, 36, ms(think));
    }
  case S_ECHO: {
    u[0] = S_SHELL;
    u[1]--;
    uint32_t out = tg_rng_chance(r, 0.08)
                       ? clamp_u32(tg_rng_lognormal(r, 4000, 1.2), 100, 2e5)
                       : 36;
    return tg_apps_ssh_packet(m, TG_S2C, out, ms(0.3 + tg_rng_unit(r) * 2));
  }
  default:
    return false;
  }
}

tg_tcp_t *tg_ssh_session(tg_gen_t *g, tg_rng_t *r, const tg_ssh_opts_t *o,
                         const tg_host_t *client, const tg_host_t *server,
                         int family) {
  tg_tcp_t *s = tg_tcp_new(g, 0, r);
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, server, family, o->port ? o->port : 22);
  s->next = ssh_next;
  uint64_t *u = s->app_u64;
  u[0] = S_CBANNER;
  u[1] = o->keystrokes;
  u[2] = o->bulk;
  u[3] = (uint64_t)o->failures;
  u[4] = (uint64_t)o->mode;
  u[5] = o->think_ms ? o->think_ms : 350;
  u[6] = o->idle_permille;
  if (o->mode == TG_SSH_GUESS && o->failures > 0 && !o->keystrokes &&
      !o->bulk) {
    s->close = TG_CLOSE_FIN_S; /* the server hangs up */
    s->close_think_ns = ms(tg_rng_range(&s->a.rng, 1, 3));
  } else {
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(&s->a.rng, 10, 500));
  }
  return s;
}
