/* atk_auth.c -- password guessing (brute force) from one source against
 * one service, each attempt as the guessing tools make it:
 *   smb1      SMB1 NEGOTIATE (extended security), SESSION_SETUP_ANDX with
 *             NTLMSSP NEGOTIATE then AUTHENTICATE, answered
 *             STATUS_LOGON_FAILURE; one connection per attempt
 *   smb2      the same in SMB2 ([MS-SMB2] SESSION_SETUP)
 *   kerberos  AS-REQ with PA-ENC-TIMESTAMP answered KRB-ERROR
 *             KDC_ERR_PREAUTH_FAILED (24), over UDP or TCP 88
 *   ssh       a short session per attempt: banners, KEXINIT, the key
 *             exchange, the encrypted service request and password tries,
 *             USERAUTH_FAILURE, then the server's DISCONNECT and FIN
 *   rdp       X.224 connection request with the user's cookie, TLS, the
 *             CredSSP exchange, the server's error, its FIN
 * success=1: the last attempt is the right password (the session then
 * goes on: shares listed, a shell, a desktop).
 * In: options. Out: actors, one truth row. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

enum { B_SMB1, B_SMB2, B_KRB, B_SSH, B_RDP };

static const struct {
  const char *name, *detector;
  uint16_t port;
  double rate; /* default attempts per second */
  int def_dst;
  bool inside; /* default source: a workstation (lateral movement) */
} bdef[] = {
    [B_SMB1] = {"smb1", "smb.brute-force", 445, 5, TG_SRV_FS, true},
    [B_SMB2] = {"smb2", "smb.brute-force", 445, 5, TG_SRV_FS, true},
    [B_KRB] = {"kerberos", "kerberos.brute-force", 88, 20, TG_SRV_DC, true},
    [B_SSH] = {"ssh", "ssh.brute-force", 22, 1, TG_SRV_SSH, false},
    [B_RDP] = {"rdp", "rdp.brute-force", 3389, 1, TG_SRV_FS, false},
};

/* ---- SMB1 with extended security ------------------------------------- */
/* app: the blob scratch; app_u64: [0] step, [1] wrong (1) or right (0),
 * [2] uid */
typedef struct smb1_app {
  char user[40];
  char ws[24];
  uint16_t pid, uid;
  uint8_t blob[768];
} smb1_app_t;

static bool smb1_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  smb1_app_t *a = (smb1_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  uint64_t now = tg_sched_now;
  tg_smb1_t h;
  memset(&h, 0, sizeof h);
  h.flags2 = 0xc807; /* unicode, NT status, extended security, ... */
  h.pid = a->pid;
  h.mid = (uint16_t)(u[0] / 2 + 1);
  static uint8_t buf[2048];
  tg_buf_t b;
  tg_buf_init(&b, buf, sizeof buf);
  uint64_t think = (u[0] % 2) ? 300 * TG_US : 2 * TG_MS;
  int dir = (u[0] % 2) ? TG_S2C : TG_C2S;
  switch (u[0]++) {
  case 0:
    h.cmd = TG_SMB1_NEGOTIATE;
    return tg_smb1_negotiate_req(m, &h, false);
  case 1:
    h.cmd = TG_SMB1_NEGOTIATE;
    h.reply = true;
    tg_smb1_b_negotiate_ext_resp(&b, &h, now, r);
    break;
  case 2: {
    h.cmd = TG_SMB1_SESSION_SETUP;
    size_t n = tg_auth_spnego_init(a->blob, sizeof a->blob);
    tg_smb1_b_session_setup_ext(&b, &h, a->blob, n);
    break;
  }
  case 3: {
    h.cmd = TG_SMB1_SESSION_SETUP;
    h.reply = true;
    h.status = TG_STATUS_MORE_PROCESSING;
    h.uid = a->uid;
    size_t n =
        tg_auth_spnego_challenge(a->blob, sizeof a->blob, "FS01", now, r);
    tg_smb1_b_session_setup_ext(&b, &h, a->blob, n);
    break;
  }
  case 4: {
    h.cmd = TG_SMB1_SESSION_SETUP;
    h.uid = a->uid;
    size_t n = tg_auth_spnego_auth(a->blob, sizeof a->blob, "HOSPITAL", a->user,
                                   a->ws, "FS01", now, r);
    tg_smb1_b_session_setup_ext(&b, &h, a->blob, n);
    break;
  }
  case 5:
    h.cmd = TG_SMB1_SESSION_SETUP;
    h.reply = true;
    h.uid = a->uid;
    if (u[1]) { /* wrong password */
      h.status = TG_STATUS_LOGON_FAILURE;
      tg_smb1_b_error(&b, &h);
    } else {
      size_t n = tg_auth_spnego_done(a->blob, sizeof a->blob, r);
      tg_smb1_b_session_setup_ext(&b, &h, a->blob, n);
    }
    think = 2 * TG_MS; /* the server checks the password */
    break;
  case 6:
    if (u[1])
      return false;
    h.cmd = TG_SMB1_TREE_CONNECT;
    h.uid = a->uid;
    return tg_smb1_tree_connect_req(m, &h, "\\\\FS01\\C$");
  case 7:
    h.cmd = TG_SMB1_TREE_CONNECT;
    h.reply = true;
    h.uid = a->uid;
    h.tid = 0x0801;
    return tg_smb1_tree_connect_resp(m, &h);
  case 8:
    h.cmd = TG_SMB1_LOGOFF;
    h.uid = a->uid;
    return tg_smb1_logoff(m, &h);
  default:
    return false;
  }
  if (b.over)
    return false;
  return tg_smb_msg_from(m, dir, think, &b, b.len, 0, TG_FILL_ZERO);
}

/* ---- the attack ---------------------------------------------------------- */
typedef struct brute {
  tg_actor_t a;
  int proto;
  tg_host_t src, dst;
  int fam;
  uint32_t left, n, attempts, tries;
  bool success, udp;
  double gap_ns;
  int row;
  char user[40];
} brute_t;

static bool brute_step(tg_gen_t *g, tg_actor_t *a) {
  brute_t *b = (brute_t *)a;
  tg_rng_t *r = &a->rng;
  if (b->left == 0)
    return false;
  bool last = b->left <= (b->proto == B_SSH ? b->tries : 1);
  bool right = b->success && last;
  tg_tag_t tag = {{(int16_t)b->row, -1}};
  tg_tcp_t *s = NULL;
  uint32_t used = 1;
  switch (b->proto) {
  case B_SMB1: {
    s = tg_tcp_new(g, sizeof(smb1_app_t), r);
    if (!s)
      return false;
    tg_tcp_ends(s, &b->src, &b->dst, b->fam, 445);
    s->next = smb1_next;
    smb1_app_t *p = (smb1_app_t *)s->app;
    snprintf(p->user, sizeof p->user, "%s", b->user);
    snprintf(p->ws, sizeof p->ws, "%s", "KALI");
    p->pid = (uint16_t)tg_rng_next(r);
    p->uid = (uint16_t)(0x0800 + tg_rng_below(r, 256));
    s->app_u64[1] = right ? 0 : 1;
    s->close = right ? TG_CLOSE_FIN_C : TG_CLOSE_RST_C;
    s->close_think_ns = TG_MS;
    break;
  }
  case B_SMB2: {
    tg_smb_opts_t o;
    memset(&o, 0, sizeof o);
    o.mode = TG_SMB_GUESS;
    o.typos = right ? 0 : 1;
    o.user = b->user;
    s = tg_smb2_session(g, r, &o, &b->src, &b->dst, b->fam);
    break;
  }
  case B_KRB:
    if (b->udp) {
      tg_krb_udp(g, r, a->t, tag, right ? TG_KRB_AS_PA : TG_KRB_AS_BAD, &b->src,
                 &b->dst, b->user, b->fam);
    } else {
      s = tg_krb_session(g, r, right ? TG_KRB_AS_PA : TG_KRB_AS_BAD, &b->src,
                         &b->dst, b->user, b->fam);
    }
    break;
  case B_SSH: {
    tg_ssh_opts_t o;
    memset(&o, 0, sizeof o);
    o.mode = TG_SSH_GUESS;
    uint32_t k = b->left < b->tries ? b->left : b->tries;
    used = k;
    o.failures = right ? (int)k - 1 : (int)k;
    o.keystrokes = right ? 40 : 0; /* the intruder looks around */
    o.think_ms = 250;
    s = tg_ssh_session(g, r, &o, &b->src, &b->dst, b->fam);
    break;
  }
  default:
    s = tg_rdp_session(g, r, &b->src, &b->dst, b->fam, 0, right ? 2 : 1);
    if (s) {
      tg_rdp_set_user(s, b->user);
      tg_rdp_set_end(s, a->t + 90 * TG_NS);
    }
    break;
  }
  if (s) {
    s->tag = tag;
    tg_tcp_start(g, s, a->t);
  }
  b->left -= used;
  b->n += used;
  a->t += (uint64_t)tg_rng_exp(r, b->gap_ns * used) + 1;
  return true;
}

int tg_atk_brute(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  const char *proto = tg_opt_str(o, "proto", "smb2");
  int p = -1;
  for (int i = 0; i <= B_RDP; i++)
    if (strcmp(proto, bdef[i].name) == 0)
      p = i;
  if (p < 0) {
    fprintf(stderr,
            "trafficgen: brute-force: proto=%s: expected smb1, smb2, "
            "kerberos, ssh or rdp\n",
            proto);
    return -1;
  }
  brute_t *b = calloc(1, sizeof *b);
  if (!b)
    return -1;
  uint64_t at, attempts, success, tries, v6;
  double rate;
  wd_addr_t s, d;
  bool sset, dset;
  const char *transport = tg_opt_str(o, "transport", "udp");
  const char *user = tg_opt_str(o, "user", "administrator");
  if (tg_opt_addr(o, "src", &s, &sset) || tg_opt_addr(o, "dst", &d, &dset) ||
      tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) || tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "attempts", 50, 1, 1000000, &attempts) ||
      tg_opt_u64(o, "success", 0, 0, 1, &success) ||
      tg_opt_u64(o, "tries", 3, 1, 6, &tries) ||
      tg_opt_double(o, "rate", bdef[p].rate, 0.01, 10000, &rate))
    goto fail;
  if (strcmp(transport, "udp") != 0 && strcmp(transport, "tcp") != 0) {
    fprintf(stderr, "trafficgen: brute-force: transport=%s: udp or tcp\n",
            transport);
    goto fail;
  }
  if (!sset) {
    if (bdef[p].inside && g->net.nclients > 0) {
      const tg_host_t *h =
          &g->net.clients[tg_rng_below(&g->rng, g->net.nclients)];
      s = v6 && h->has6 ? h->a6 : h->a4;
      if (v6 && !h->has6)
        tg_default_attacker(1, true, &s);
    } else {
      tg_default_attacker(1, v6 != 0, &s);
    }
  }
  if (!dset)
    d = wd_addr_is_v4(&s) ? g->net.servers[bdef[p].def_dst].a4
                          : g->net.servers[bdef[p].def_dst].a6;
  if (wd_addr_is_v4(&s) != wd_addr_is_v4(&d)) {
    fprintf(stderr, "trafficgen: brute-force: src and dst families differ\n");
    goto fail;
  }
  tg_netmodel_host_for(g, &s, &b->src);
  tg_netmodel_host_for(g, &d, &b->dst);
  b->fam = wd_addr_is_v4(&s) ? 4 : 6;
  b->proto = p;
  b->left = b->attempts = (uint32_t)attempts;
  b->success = success != 0;
  b->tries = (uint32_t)tries;
  b->udp = p == B_KRB && strcmp(transport, "udp") == 0;
  b->gap_ns = 1e9 / rate;
  snprintf(b->user, sizeof b->user, "%s", user);
  b->a.step = brute_step;
  b->a.cls = -1;
  tg_rng_fork(&g->rng, &b->a.rng);
  b->row = tg_truth_add(
      g, "brute-force", bdef[p].detector, &s, &d,
      "proto=%s;port=%u;attempts=%u;user=%s;outcome=%s;transport=%s%s",
      bdef[p].name, (unsigned)bdef[p].port, (unsigned)attempts, user,
      success ? "guessed" : "failed",
      p == B_KRB ? (b->udp ? "udp" : "tcp") : "tcp",
      p == B_SSH ? ";per_connection=" : "");
  if (p == B_SSH)
    tg_truth_append(g, b->row, "%u", (unsigned)tries);
  if (b->row < 0)
    goto fail;
  tg_sched_add(g, &b->a, at);
  return 0;
fail:
  free(b);
  return -1;
}
