/* smb_session.c -- SMB2 sessions as Windows clients run them: NEGOTIATE
 * (sometimes after an SMB1 multi-protocol NEGOTIATE answered in SMB2),
 * SESSION_SETUP in two steps with real SPNEGO/NTLMSSP tokens (the user,
 * domain and workstation names visible in the AUTHENTICATE), optionally
 * preceded by mistyped passwords answered STATUS_LOGON_FAILURE, then
 * TREE_CONNECT, CREATE / READ or WRITE / CLOSE of files, TREE_DISCONNECT
 * and LOGOFF; signed after the session setup ([MS-SMB2] 3.2.4).
 * Modes: the file server's users, the backup server reading C$ of the
 * workstations, the DC opening srvsvc on IPC$, SYSVOL reads, a VM
 * snapshot written in 1 MiB chunks, a bare logon, and a password guess
 * (brute force: the session ends after the failure, or goes on when the
 * guess is right).
 * In: options and hosts. Out: a TCP session actor (tcp.c) the caller
 * starts. Memory: the session's app area. */
#include <stdio.h>

#include "tg.h"

enum {
  P_NEG1, /* SMB1 multi-protocol negotiate answered in SMB2 */
  P_NEG,
  P_SS1,
  P_SS2,
  P_TREE,
  P_CREATE,
  P_IO,
  P_CLOSE,
  P_TDIS,
  P_LOGOFF,
  P_END
};

typedef struct smb_app {
  tg_smb_opts_t o;
  int phase;
  bool resp; /* the response of the phase is next */
  int typos; /* failed attempts still to make */
  uint64_t mid;
  uint64_t sid;
  uint32_t tid;
  uint8_t fid[16];
  int files_left;
  uint64_t file_size, file_done;
  uint32_t chunk;
  bool write;
  char server[32];
  char share[64];
  char file[64];
  char user[40];
  char domain[24];
  char ws[24];
  uint8_t blob[768]; /* the current security blob */
  uint16_t bloblen;
} smb_app_t;

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static uint32_t clamp_u32(double x, double lo, double hi) {
  if (x < lo)
    x = lo;
  if (x > hi)
    x = hi;
  return (uint32_t)x;
}

static void smb_hdr(smb_app_t *a, tg_smb2_t *h, uint16_t cmd, bool reply,
                    tg_rng_t *r) {
  memset(h, 0, sizeof *h);
  h->cmd = cmd;
  h->reply = reply;
  h->mid = a->mid;
  h->sid = a->phase >= P_SS1 ? a->sid : 0;
  h->tid = a->phase > P_TREE ? a->tid : 0;
  h->signed_ = a->phase > P_SS2 && a->o.mode != TG_SMB_DC;
  if (h->signed_)
    tg_rng_bytes(r, h->sig, 16);
  memcpy(h->fid, a->fid, 16);
  h->offset = a->file_done;
}

static void smb_new_file(smb_app_t *a, tg_rng_t *r) {
  static const char *const names[] = {
      "Reports\\ward-rounds.docx", "Lab\\results-export.csv",
      "Radiology\\referral.pdf",   "Admin\\rota-2026.xlsx",
      "Pharmacy\\stock.xlsx",      "Templates\\discharge-letter.dotx",
      "Scans\\archive.zip",        "Quality\\audit-notes.docx"};
  switch (a->o.mode) {
  case TG_SMB_BACKUP:
    /* incremental backups: what changed since the last run */
    snprintf(a->file, sizeof a->file, "Users\\changed-%u.dat",
             (unsigned)tg_rng_below(r, 100000));
    a->file_size =
        (uint64_t)clamp_u32(tg_rng_lognormal(r, 2.5e5, 1.0), 4e3, 2e7);
    a->write = false;
    break;
  case TG_SMB_DC:
    snprintf(a->file, sizeof a->file, "srvsvc");
    a->file_size = 116;
    a->write = true;
    break;
  case TG_SMB_SYSVOL:
    snprintf(a->file, sizeof a->file, "hospital.example\\Policies\\GPT.INI");
    a->file_size = (uint64_t)tg_rng_range(r, 60, 9000);
    a->write = false;
    break;
  case TG_SMB_SNAPSHOT:
    snprintf(a->file, sizeof a->file, "VMs\\ehr-db01\\ehr-db01-%u.avhdx",
             (unsigned)tg_rng_below(r, 1000));
    a->file_size = a->o.bytes ? a->o.bytes : 1ULL << 30;
    a->write = true;
    break;
  default:
    snprintf(a->file, sizeof a->file, "%s",
             names[tg_rng_below(r, sizeof names / sizeof names[0])]);
    a->file_size =
        (uint64_t)clamp_u32(tg_rng_lognormal(r, 180000, 1.5), 300, 2.5e7);
    a->write = tg_rng_chance(r, 0.25);
    break;
  }
  a->file_done = 0;
  a->chunk = a->file_size > 1048576 ? 1048576 : 65536;
  tg_rng_bytes(r, a->fid, 16);
}

/* Ends after the session setup (a failed guess ends at the failure). */
static bool setup_only(const smb_app_t *a) { return a->o.mode == TG_SMB_LOGON; }

static bool smb_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  smb_app_t *a = (smb_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  uint64_t now = tg_sched_now;
  tg_smb2_t h;
  bool rsp = a->resp;
  uint64_t think = rsp ? ms(0.05 + tg_rng_unit(r) * 0.6) : ms(0.05);
  tg_tcp_msg_init(m, rsp ? TG_S2C : TG_C2S, think);
  a->resp = !rsp;
  switch (a->phase) {
  case P_NEG1: {
    if (!rsp) {
      tg_smb1_t h1;
      memset(&h1, 0, sizeof h1);
      h1.cmd = TG_SMB1_NEGOTIATE;
      h1.flags2 = 0xc853;
      h1.pid = (uint16_t)tg_rng_next(r);
      return tg_smb1_negotiate_req(m, &h1, true);
    }
    smb_hdr(a, &h, TG_SMB2_NEGOTIATE, true, r);
    h.dialect = 0x02ff; /* "SMB 2.???": go on in SMB2 */
    a->bloblen = (uint16_t)tg_auth_spnego_hints(a->blob, sizeof a->blob);
    h.blob = a->blob;
    h.bloblen = a->bloblen;
    a->phase = P_NEG;
    a->mid = 1;
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  }
  case P_NEG:
    smb_hdr(a, &h, TG_SMB2_NEGOTIATE, rsp, r);
    if (rsp) {
      a->bloblen = (uint16_t)tg_auth_spnego_hints(a->blob, sizeof a->blob);
      h.blob = a->blob;
      h.bloblen = a->bloblen;
      a->phase = P_SS1;
      a->mid++;
    }
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_SS1:
    smb_hdr(a, &h, TG_SMB2_SESSION_SETUP, rsp, r);
    if (rsp) {
      h.status = TG_STATUS_MORE_PROCESSING;
      h.sid = a->sid;
      a->bloblen = (uint16_t)tg_auth_spnego_challenge(a->blob, sizeof a->blob,
                                                      a->server, now, r);
      a->phase = P_SS2;
      a->mid++;
    } else {
      h.sid = 0;
      a->bloblen = (uint16_t)tg_auth_spnego_init(a->blob, sizeof a->blob);
    }
    h.blob = a->blob;
    h.bloblen = a->bloblen;
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_SS2:
    smb_hdr(a, &h, TG_SMB2_SESSION_SETUP, rsp, r);
    if (!rsp) {
      /* typing the password; a guessing tool does not wait */
      m->think_ns = a->o.mode == TG_SMB_GUESS ? ms(0.3) : ms(0.2);
      a->bloblen =
          (uint16_t)tg_auth_spnego_auth(a->blob, sizeof a->blob, a->domain,
                                        a->user, a->ws, a->server, now, r);
      h.blob = a->blob;
      h.bloblen = a->bloblen;
      return tg_smb2_msg(m, &h, 0, NULL, now, r);
    }
    a->mid++;
    if (a->typos > 0) { /* wrong password: try again from the start */
      a->typos--;
      h.status = TG_STATUS_LOGON_FAILURE;
      h.blob = a->blob;
      h.bloblen = 0;
      a->phase = a->o.mode == TG_SMB_GUESS ? P_END : P_SS1;
      a->sid = tg_rng_next(r) | 0x0000040000000001ULL;
      return tg_smb2_msg(m, &h, 0, NULL, now, r);
    }
    a->bloblen = (uint16_t)tg_auth_spnego_done(a->blob, sizeof a->blob, r);
    h.blob = a->blob;
    h.bloblen = a->bloblen;
    a->phase = setup_only(a) ? P_LOGOFF : P_TREE;
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_TREE: {
    char path[112];
    snprintf(path, sizeof path, "\\\\%s\\%s", a->server, a->share);
    smb_hdr(a, &h, TG_SMB2_TREE_CONNECT, rsp, r);
    if (rsp) {
      a->phase = P_CREATE;
      a->mid++;
      smb_new_file(a, r);
    }
    return tg_smb2_msg(m, &h, 0, path, now, r);
  }
  case P_CREATE:
    smb_hdr(a, &h, TG_SMB2_CREATE, rsp, r);
    if (!rsp && a->o.mode == TG_SMB_FILES && a->file_done == 0)
      m->think_ns = ms(tg_rng_exp(r, 900)); /* the user clicks around */
    if (rsp) {
      a->phase = P_IO;
      a->mid++;
    }
    return tg_smb2_msg(m, &h, (uint32_t)a->file_size, a->file, now, r);
  case P_IO: {
    uint64_t left = a->file_size - a->file_done;
    uint32_t n = left < a->chunk ? (uint32_t)left : a->chunk;
    smb_hdr(a, &h, a->write ? TG_SMB2_WRITE : TG_SMB2_READ, rsp, r);
    if (rsp) {
      a->file_done += n;
      a->mid++;
      if (a->file_done >= a->file_size)
        a->phase = P_CLOSE;
      if (a->o.mode == TG_SMB_DC) /* the pipe answers the bind: read it */
        a->write = false;
    } else if (a->o.mode == TG_SMB_SNAPSHOT) {
      m->think_ns = 20 * TG_US; /* the copy streams */
    }
    return tg_smb2_msg(m, &h, n, NULL, now, r);
  }
  case P_CLOSE:
    smb_hdr(a, &h, TG_SMB2_CLOSE, rsp, r);
    if (rsp) {
      a->mid++;
      if (--a->files_left > 0) {
        a->phase = P_CREATE;
        smb_new_file(a, r);
      } else {
        a->phase = P_TDIS;
      }
    }
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_TDIS:
    smb_hdr(a, &h, TG_SMB2_TREE_DISCONNECT, rsp, r);
    if (!rsp)
      m->think_ns = ms(tg_rng_exp(r, 400));
    if (rsp) {
      a->phase = P_LOGOFF;
      a->mid++;
    }
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_LOGOFF:
    smb_hdr(a, &h, TG_SMB2_LOGOFF, rsp, r);
    if (!rsp && setup_only(a))
      m->think_ns = ms(tg_rng_exp(r, 300));
    if (rsp) {
      a->phase = P_END;
      a->mid++;
    }
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  default:
    (void)g;
    return false;
  }
}

static void host_name(const tg_host_t *h, char *out, size_t n) {
  if (h->index != UINT32_MAX)
    snprintf(out, n, "WS%05u", (unsigned)h->index + 1);
  else if (h->a4.b[15] == 10)
    snprintf(out, n, "FS01");
  else if (h->a4.b[15] == 61)
    snprintf(out, n, "NAS01");
  else if (h->a4.b[15] == 5)
    snprintf(out, n, "DC01");
  else
    snprintf(out, n, "SRV%03u", (unsigned)h->a4.b[15]);
}

void tg_apps_user(uint32_t n, char *out, size_t cap) {
  static const char *const sur[] = {
      "patel",    "smith",  "jones",  "garcia", "nguyen",    "muller", "rossi",
      "kowalski", "okafor", "haddad", "silva",  "johansson", "tanaka", "dubois",
      "novak",    "brown",  "wilson", "ahmed",  "kim",       "larsen"};
  static const char init[] = "ajmskrltdeghnpbcfw";
  size_t ns = sizeof sur / sizeof sur[0], ni = sizeof init - 1;
  uint32_t k = n / (uint32_t)(ns * ni); /* more staff than names: a number */
  snprintf(out, cap, "%c.%s", init[n % ni], sur[(n / ni) % ns]);
  if (k) {
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%u", (unsigned)k);
  }
}

tg_tcp_t *tg_smb2_session(tg_gen_t *g, tg_rng_t *r, const tg_smb_opts_t *o,
                          const tg_host_t *client, const tg_host_t *server,
                          int family) {
  tg_tcp_t *s = tg_tcp_new(g, sizeof(smb_app_t), r);
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, server, family, 445);
  s->next = smb_next;
  smb_app_t *a = (smb_app_t *)s->app;
  a->o = *o;
  int mode = o->mode;
  tg_rng_t *sr = &s->a.rng;
  a->phase = (mode == TG_SMB_FILES && tg_rng_chance(sr, 0.15)) ? P_NEG1 : P_NEG;
  a->sid = tg_rng_next(sr) | 0x0000040000000001ULL;
  a->tid = (uint32_t)tg_rng_range(sr, 1, 9);
  a->typos = o->typos;
  snprintf(a->domain, sizeof a->domain, "%s",
           o->domain ? o->domain : "HOSPITAL");
  host_name(client, a->ws, sizeof a->ws);
  if (o->user)
    snprintf(a->user, sizeof a->user, "%s", o->user);
  else if (client->index != UINT32_MAX)
    tg_apps_user(client->index, a->user, sizeof a->user);
  else
    snprintf(a->user, sizeof a->user, "%s$", a->ws); /* machine account */
  switch (mode) {
  case TG_SMB_BACKUP:
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "C$");
    if (!o->user)
      snprintf(a->user, sizeof a->user, "svc_backup");
    a->files_left = (int)tg_rng_range(sr, 1, 2);
    break;
  case TG_SMB_DC:
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "IPC$");
    a->files_left = 1;
    break;
  case TG_SMB_SYSVOL:
    snprintf(a->server, sizeof a->server, "hospital.example");
    snprintf(a->share, sizeof a->share, "SYSVOL");
    snprintf(a->user, sizeof a->user, "%s$", a->ws);
    a->files_left = (int)tg_rng_range(sr, 1, 4);
    break;
  case TG_SMB_GUESS: /* the right guess: the attacker looks around */
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "C$");
    a->files_left = 1;
    break;
  case TG_SMB_SNAPSHOT:
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "Hyper-V");
    if (!o->user)
      snprintf(a->user, sizeof a->user, "svc_hyperv");
    a->files_left = 1;
    break;
  default:
    host_name(server, a->server, sizeof a->server);
    static const char *const shares[] = {"Departments", "Users", "Scans",
                                         "Apps"};
    snprintf(a->share, sizeof a->share, "%s", shares[tg_rng_below(sr, 4)]);
    a->files_left = (int)tg_rng_range(sr, 1, 6);
    break;
  }
  s->close = TG_CLOSE_FIN_C;
  s->close_think_ns = ms(tg_rng_range(sr, 5, 400));
  if (mode == TG_SMB_GUESS) {
    s->close_think_ns = ms(tg_rng_range(sr, 1, 20));
    if (o->typos > 0)
      s->close = TG_CLOSE_RST_C; /* the tool drops the connection */
  }
  return s;
}
