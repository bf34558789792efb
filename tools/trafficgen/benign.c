/* benign.c -- the benign traffic of the simulated hospital, by class:
 * web (HTTP/80 and TLS/443 to outside), the intranet application (TLS),
 * the busy SMB file server, the backup server and the domain controller
 * connecting to 445 on the workstations (every one answers), Kerberos/LDAP
 * to the domain controller, DNS to two internal resolvers (which recurse
 * to outside servers on cache misses), SSH, NTP and ICMP echo, over IPv4
 * and IPv6. Each class has a share of --rate; its spawner starts sessions
 * as a Poisson process whose mean gap is (mean packets per session of the
 * class, measured once) / (rate * share), so that once sessions of every
 * length are in flight the total is near --rate (long sessions make the
 * first seconds somewhat quieter).
 * In: the network model. Out: TCP session actors and UDP/ICMP packets.
 * Memory: sessions are actors (freed by the scheduler); spawners live for
 * the whole run. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

enum {
  C_HTTP,
  C_TLS,
  C_TLS_INTRANET,
  C_SMB_FILES,
  C_SMB_BACKUP,
  C_SMB_DC,
  C_DC_SERVICES,
  C_DNS,
  C_SSH,
  C_NTP,
  C_ICMP,
  C_COUNT
};

static const struct {
  const char *name;
  double share;    /* of the benign packet rate */
  double est_pkts; /* mean packets per session */
} cls_def[C_COUNT] = {
    /* packets per session measured over long runs of this generator */
    [C_HTTP] = {"http", 0.08, 160},
    [C_TLS] = {"tls", 0.25, 420},
    [C_TLS_INTRANET] = {"tls-intranet", 0.10, 375},
    [C_SMB_FILES] = {"smb-files", 0.22, 650},
    [C_SMB_BACKUP] = {"smb-backup", 0.06, 450},
    [C_SMB_DC] = {"smb-dc", 0.02, 26},
    [C_DC_SERVICES] = {"dc-services", 0.04, 21},
    [C_DNS] = {"dns", 0.09, 2.5},
    [C_SSH] = {"ssh", 0.05, 570},
    [C_NTP] = {"ntp", 0.02, 2},
    [C_ICMP] = {"icmp", 0.02, 8},
};

static int pick_family(tg_rng_t *r, const tg_host_t *a, const tg_host_t *b,
                       double p6) {
  return (a->has6 && b->has6 && tg_rng_chance(r, p6)) ? 6 : 4;
}

static uint64_t ms(double x) { return (uint64_t)(x * (double)TG_MS); }

static uint32_t clamp_u32(double x, double lo, double hi) {
  if (x < lo)
    x = lo;
  if (x > hi)
    x = hi;
  return (uint32_t)x;
}

/* ---- HTTP ------------------------------------------------------------- */
/* app_u64: [0] phase (0 request, 1 response), [1] requests left, [2] host */
static bool http_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  tg_rng_t *r = &s->a.rng;
  const char *host = (const char *)(uintptr_t)s->app_u64[2];
  if (s->app_u64[0] == 0) {
    if (s->app_u64[1] == 0)
      return false;
    bool first = s->app_u64[3]++ == 0;
    s->app_u64[0] = 1;
    return tg_apps_http_req(m, host, r, first ? 0 : ms(tg_rng_exp(r, 1500)));
  }
  s->app_u64[0] = 0;
  s->app_u64[1]--;
  uint32_t body = clamp_u32(tg_rng_lognormal(r, 9000, 1.7), 120, 6e6);
  return tg_apps_http_resp(m, body, r, ms(tg_rng_range(r, 3, 90)));
}

/* ---- TLS -------------------------------------------------------------- */
/* app_u64: [0] phase, [1] exchanges left, [2] SNI, [3] response bytes left,
 * [4] median response size, [5] mean user think (ms) */
static bool tls_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  tg_rng_t *r = &s->a.rng;
  uint64_t *u = s->app_u64;
  switch (u[0]) {
  case 0:
    u[0] = 1;
    return tg_apps_tls_client_hello(m, (const char *)(uintptr_t)u[2], r);
  case 1:
    u[0] = 2;
    return tg_apps_tls_server_hello(m, r, ms(tg_rng_range(r, 1, 25)));
  case 2: {
    if (u[1] == 0) { /* close_notify, then the connection closes */
      u[0] = 4;
      return tg_apps_tls_record(m, TG_C2S, 19, ms(tg_rng_exp(r, 800)));
    }
    bool first = u[6]++ == 0;
    uint32_t req = (uint32_t)tg_rng_range(r, 180, 1400) + (first ? 74 : 0);
    u[3] = clamp_u32(tg_rng_lognormal(r, (double)u[4], 1.6), 60, 12e6);
    u[0] = 3;
    return tg_apps_tls_record(m, TG_C2S, req,
                              first ? 0 : ms(tg_rng_exp(r, (double)u[5])));
  }
  case 3: {
    uint32_t len = u[3] > 16384 ? 16384 : (uint32_t)u[3];
    bool first = u[7] == 0;
    u[3] -= len;
    u[7] = u[3] ? 1 : 0;
    if (u[3] == 0) {
      u[1]--;
      u[0] = 2;
    }
    return tg_apps_tls_record(m, TG_S2C, len + 17,
                              first ? ms(tg_rng_range(r, 2, 60)) : 0);
  }
  default:
    return false;
  }
}

/* ---- SMB2 sessions (file server, backup, domain controller) ------------ */
enum { SMB_FILES, SMB_BACKUP, SMB_DC, SMB_SYSVOL };
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
  int mode;
  int phase;
  bool resp; /* the response of the phase is next */
  uint64_t mid;
  uint64_t sid;
  uint32_t tid;
  uint8_t fid[16];
  uint8_t sig[16];
  int files_left;
  uint64_t file_size, file_done;
  uint32_t chunk;
  bool write;
  char server[32];
  char share[64];
  char file[64];
} smb_app_t;

static void smb_hdr(smb_app_t *a, tg_smb2_t *h, uint16_t cmd, bool reply,
                    tg_rng_t *r) {
  memset(h, 0, sizeof *h);
  h->cmd = cmd;
  h->reply = reply;
  h->mid = a->mid;
  h->sid = a->phase >= P_SS1 ? a->sid : 0;
  h->tid = a->phase > P_TREE ? a->tid : 0;
  h->signed_ = a->phase > P_SS2 && a->mode != SMB_DC;
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
  switch (a->mode) {
  case SMB_BACKUP:
    /* incremental backups: what changed since the last run */
    snprintf(a->file, sizeof a->file, "Users\\changed-%u.dat",
             (unsigned)tg_rng_below(r, 100000));
    a->file_size =
        (uint64_t)clamp_u32(tg_rng_lognormal(r, 2.5e5, 1.0), 4e3, 2e7);
    a->write = false;
    break;
  case SMB_DC:
    snprintf(a->file, sizeof a->file, "srvsvc");
    a->file_size = 116;
    a->write = true;
    break;
  case SMB_SYSVOL:
    snprintf(a->file, sizeof a->file, "hospital.example\\Policies\\GPT.INI");
    a->file_size = (uint64_t)tg_rng_range(r, 60, 9000);
    a->write = false;
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
    a->phase = P_NEG;
    a->mid = 1;
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  }
  case P_NEG:
    smb_hdr(a, &h, TG_SMB2_NEGOTIATE, rsp, r);
    if (rsp) {
      a->phase = P_SS1;
      a->mid++;
    }
    return tg_smb2_msg(m, &h, 0, NULL, now, r);
  case P_SS1:
    smb_hdr(a, &h, TG_SMB2_SESSION_SETUP, rsp, r);
    if (rsp) {
      h.status = TG_STATUS_MORE_PROCESSING;
      h.sid = a->sid;
      a->phase = P_SS2;
      a->mid++;
      return tg_smb2_msg(m, &h, (uint32_t)tg_rng_range(r, 230, 330), NULL, now,
                         r);
    }
    h.sid = 0;
    return tg_smb2_msg(m, &h, 74, NULL, now, r);
  case P_SS2:
    smb_hdr(a, &h, TG_SMB2_SESSION_SETUP, rsp, r);
    if (rsp) {
      a->phase = P_TREE;
      a->mid++;
      return tg_smb2_msg(m, &h, 29, NULL, now, r);
    }
    m->think_ns = ms(0.2);
    return tg_smb2_msg(m, &h, (uint32_t)tg_rng_range(r, 480, 700), NULL, now,
                       r);
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
    if (!rsp && a->mode == SMB_FILES && a->file_done == 0)
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
      if (a->mode == SMB_DC) /* the pipe answers the bind: read it back */
        a->write = false;
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
  else
    snprintf(out, n, "FS01");
}

static tg_tcp_t *smb_session(tg_gen_t *g, tg_rng_t *r, int mode,
                             const tg_host_t *client, const tg_host_t *server,
                             int family) {
  tg_tcp_t *s = tg_tcp_new(g, sizeof(smb_app_t), r);
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, server, family, 445);
  s->next = smb_next;
  smb_app_t *a = (smb_app_t *)s->app;
  a->mode = mode;
  a->phase =
      (mode == SMB_FILES && tg_rng_chance(&s->a.rng, 0.15)) ? P_NEG1 : P_NEG;
  a->sid = tg_rng_next(&s->a.rng) | 0x0000040000000001ULL;
  a->tid = (uint32_t)tg_rng_range(&s->a.rng, 1, 9);
  switch (mode) {
  case SMB_BACKUP:
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "C$");
    a->files_left = (int)tg_rng_range(&s->a.rng, 1, 2);
    break;
  case SMB_DC:
    host_name(server, a->server, sizeof a->server);
    snprintf(a->share, sizeof a->share, "IPC$");
    a->files_left = 1;
    break;
  case SMB_SYSVOL:
    snprintf(a->server, sizeof a->server, "hospital.example");
    snprintf(a->share, sizeof a->share, "SYSVOL");
    a->files_left = (int)tg_rng_range(&s->a.rng, 1, 4);
    break;
  default:
    snprintf(a->server, sizeof a->server, "FS01");
    static const char *const shares[] = {"Departments", "Users", "Scans",
                                         "Apps"};
    snprintf(a->share, sizeof a->share, "%s",
             shares[tg_rng_below(&s->a.rng, 4)]);
    a->files_left = (int)tg_rng_range(&s->a.rng, 1, 6);
    break;
  }
  s->close = TG_CLOSE_FIN_C;
  s->close_think_ns = ms(tg_rng_range(&s->a.rng, 5, 400));
  return s;
}

/* ---- Kerberos / LDAP ---------------------------------------------------- */
/* app_u64: [0] exchanges left, [1] phase, [2] kind (0 LDAP, 1 Kerberos) */
static bool small_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  bool rsp = u[1] == 1;
  if (!rsp && u[0] == 0)
    return false;
  tg_tcp_msg_init(m, rsp ? TG_S2C : TG_C2S,
                  rsp ? ms(0.2 + tg_rng_unit(r)) : ms(tg_rng_exp(r, 30)));
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint32_t len;
  if (u[2] == 1) { /* Kerberos over TCP: 4-byte length, then the PDU */
    len = rsp ? (uint32_t)tg_rng_range(r, 1200, 1700)
              : (uint32_t)tg_rng_range(r, 220, 1900);
    tg_put32be(&b, len);
    tg_put8(&b, rsp ? (u[0] > 1 ? 0x6b : 0x6d) : (u[0] > 1 ? 0x6a : 0x6c));
    tg_tcp_msg_done(m, &b, len - 1, TG_FILL_RAND);
  } else { /* LDAP: BER SEQUENCE with a long-form length */
    len = rsp ? (uint32_t)tg_rng_range(r, 60, 4000)
              : (uint32_t)tg_rng_range(r, 60, 600);
    tg_put8(&b, 0x30);
    tg_put8(&b, 0x84);
    tg_put32be(&b, len);
    tg_put8(&b, 0x02);
    tg_put8(&b, 0x01);
    tg_put8(&b, (uint8_t)(u[3] + 1));
    tg_tcp_msg_done(m, &b, len - 3, TG_FILL_RAND);
  }
  u[1] = rsp ? 0 : 1;
  if (rsp) {
    u[0]--;
    u[3]++;
  }
  return true;
}

/* ---- SSH -------------------------------------------------------------- */
/* app_u64: [0] phase, [1] keystrokes left, [2] bulk bytes left, [3] echo */
static bool ssh_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  uint64_t *u = s->app_u64;
  tg_rng_t *r = &s->a.rng;
  switch (u[0]) {
  case 0:
    u[0] = 1;
    return tg_apps_ssh_banner(m, TG_C2S, false);
  case 1:
    u[0] = 2;
    return tg_apps_ssh_banner(m, TG_S2C, true);
  case 2: /* ECDH init */
    u[0] = 3;
    return tg_apps_ssh_packet(m, TG_C2S, 44, ms(1));
  case 3: /* ECDH reply + NEWKEYS */
    u[0] = 4;
    return tg_apps_ssh_packet(m, TG_S2C, (uint32_t)tg_rng_range(r, 500, 1100),
                              ms(2));
  case 4: /* NEWKEYS, service request, auth */
  case 6:
    u[0]++;
    return tg_apps_ssh_packet(m, TG_C2S, (uint32_t)tg_rng_range(r, 60, 700),
                              ms(tg_rng_range(r, 1, 400)));
  case 5:
  case 7:
    u[0]++;
    return tg_apps_ssh_packet(m, TG_S2C, (uint32_t)tg_rng_range(r, 40, 600),
                              ms(tg_rng_range(r, 1, 30)));
  case 8: /* interactive or bulk */
    if (u[2] > 0) {
      uint32_t n = u[2] > 32768 ? 32768 : (uint32_t)u[2];
      u[2] -= n;
      return tg_apps_ssh_packet(m, TG_C2S, n, 0);
    }
    if (u[1] == 0)
      return false;
    u[0] = 9;
    return tg_apps_ssh_packet(m, TG_C2S, 36, ms(tg_rng_exp(r, 350)));
  case 9: {
    u[0] = 8;
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

/* ---- session spawning --------------------------------------------------- */
static void start_tcp(tg_gen_t *g, tg_tcp_t *s, int cls) {
  s->a.cls = cls;
  g->live_sessions++;
  g->cls[cls].sessions++;
  tg_tcp_start(g, s, tg_sched_now + tg_rng_below(&s->a.rng, 200) * TG_US);
}

static void spawn_tcp(tg_gen_t *g, int cls, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  const tg_host_t *c = tg_netmodel_client(g, r);
  tg_tcp_t *s = NULL;
  switch (cls) {
  case C_HTTP: {
    const tg_host_t *w = tg_netmodel_web(g, r);
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, w, pick_family(r, c, w, 0.5), 80);
    s->next = http_next;
    s->app_u64[1] = tg_rng_range(r, 1, 6);
    s->app_u64[2] = (uintptr_t)tg_apps_domain(r);
    s->close = tg_rng_chance(r, 0.2) ? TG_CLOSE_RST_C : TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_exp(r, 2500));
    break;
  }
  case C_TLS:
  case C_TLS_INTRANET: {
    bool intra = cls == C_TLS_INTRANET;
    const tg_host_t *w =
        intra ? &n->servers[TG_SRV_EHR] : tg_netmodel_web(g, r);
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, w, pick_family(r, c, w, intra ? 0.3 : 0.5), 443);
    s->next = tls_next;
    s->app_u64[1] = intra ? tg_rng_range(r, 3, 25) : tg_rng_range(r, 1, 8);
    s->app_u64[2] =
        (uintptr_t)(intra ? "ehr.hospital.example" : tg_apps_domain(r));
    s->app_u64[4] = intra ? 7000 : 22000;
    s->app_u64[5] = intra ? 4000 : 1200;
    s->close = tg_rng_chance(r, 0.1)   ? TG_CLOSE_RST_C
               : tg_rng_chance(r, 0.3) ? TG_CLOSE_FIN_S
                                       : TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_exp(r, 1500));
    break;
  }
  case C_SMB_FILES: {
    const tg_host_t *fs = &n->servers[TG_SRV_FS];
    s = smb_session(g, r, SMB_FILES, c, fs, pick_family(r, c, fs, 0.4));
    break;
  }
  case C_SMB_BACKUP:
  case C_SMB_DC: {
    /* sweep the workstations in order, as backup and inventory jobs do */
    const tg_host_t *src =
        &n->servers[cls == C_SMB_BACKUP ? TG_SRV_BACKUP : TG_SRV_DC];
    uint64_t k = g->cls[cls].sessions;
    const tg_host_t *dst =
        &n->clients[(k * (cls == C_SMB_BACKUP ? 1 : 7)) % n->nclients];
    s = smb_session(g, r, cls == C_SMB_BACKUP ? SMB_BACKUP : SMB_DC, src, dst,
                    4);
    break;
  }
  case C_DC_SERVICES: {
    const tg_host_t *dc = &n->servers[TG_SRV_DC];
    double u = tg_rng_unit(r);
    if (u < 0.25) {
      s = smb_session(g, r, SMB_SYSVOL, c, dc, 4);
      break;
    }
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    bool krb = u < 0.6;
    tg_tcp_ends(s, c, dc, 4, krb ? 88 : 389);
    s->next = small_next;
    s->app_u64[0] = krb ? 1 : tg_rng_range(r, 1, 5);
    s->app_u64[2] = krb ? 1 : 0;
    s->close = krb ? TG_CLOSE_FIN_C : TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(r, 1, 50));
    break;
  }
  case C_SSH: {
    bool ext = tg_rng_chance(r, 0.3);
    const tg_host_t *srv =
        ext ? &n->ext_ssh[tg_rng_below(r, 8)] : &n->servers[TG_SRV_SSH];
    s = tg_tcp_new(g, 0, r);
    if (!s)
      return;
    tg_tcp_ends(s, c, srv, pick_family(r, c, srv, 0.5), 22);
    s->next = ssh_next;
    s->app_u64[1] = tg_rng_range(r, 5, 120);
    if (tg_rng_chance(r, 0.12))
      s->app_u64[2] = clamp_u32(tg_rng_lognormal(r, 2e6, 1.0), 1e4, 4e7);
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = ms(tg_rng_range(r, 10, 500));
    break;
  }
  default:
    return;
  }
  if (s)
    start_tcp(g, s, cls);
}

static void count_udp(tg_gen_t *g, int cls, uint32_t pkts) {
  g->cls[cls].sessions++;
  tg_benign_session_done(g, cls, pkts);
}

static void spawn_dns(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *c = tg_netmodel_client(g, r);
  const tg_host_t *res =
      &n->servers[tg_rng_chance(r, 0.75) ? TG_SRV_DNS1 : TG_SRV_DNS2];
  int fam = pick_family(r, c, res, 0.3);
  const char *name = tg_apps_domain(r);
  double u = tg_rng_unit(r);
  uint16_t qtype = u < 0.55 ? 1 : u < 0.85 ? 28 : u < 0.95 ? 65 : 12;
  if (strncmp(name, "_ldap", 5) == 0)
    qtype = 33;
  uint8_t q[512], a[1500];
  uint16_t id = (uint16_t)tg_rng_next(r);
  size_t ql = tg_apps_dns_query(q, sizeof q, id, name, qtype, false);
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, res, fam);
  tg_pkt_l3_from_hosts(&down, res, c, fam);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = (uint16_t)tg_rng_range(r, 49152, 65535);
  tg_pkt_udp(g, t, 0, TG_NOTAG, &up, cport, 53, q, ql);
  uint32_t pkts = 1;
  bool internal = strstr(name, "hospital.example") != NULL;
  bool nx = strncmp(name, "wpad", 4) == 0;
  uint64_t ta = t + 2ULL * res->delay_ns + tg_rng_range(r, 40, 400) * TG_US;
  if (!internal && tg_rng_chance(r, 0.3)) { /* cache miss: recurse */
    const tg_host_t *up_srv = tg_netmodel_upstream_dns(g, r);
    uint8_t q2[512], a2[1500];
    uint16_t id2 = (uint16_t)tg_rng_next(r);
    size_t q2l = tg_apps_dns_query(q2, sizeof q2, id2, name, qtype, true);
    tg_l3_t o, i;
    tg_pkt_l3_from_hosts(&o, res, up_srv, 4);
    tg_pkt_l3_from_hosts(&i, up_srv, res, 4);
    o.ipid = (uint16_t)tg_rng_next(r);
    i.ipid = (uint16_t)tg_rng_next(r);
    uint16_t rport = (uint16_t)tg_rng_range(r, 1024, 65535);
    uint64_t t1 = t + 2ULL * res->delay_ns + 60 * TG_US;
    tg_pkt_udp(g, t1, 0, TG_NOTAG, &o, rport, 53, q2, q2l);
    int answers = 1 + (int)tg_rng_below(r, 4);
    size_t a2l = tg_apps_dns_answer(a2, sizeof a2, q2, q2l, answers, r, false);
    uint64_t t2 =
        t1 + 2ULL * up_srv->delay_ns + tg_rng_range(r, 50, 3000) * TG_US;
    tg_pkt_udp(g, t2, 0, TG_NOTAG, &i, 53, rport, a2, a2l);
    ta = t2 + 80 * TG_US;
    pkts += 2;
  }
  int answers = qtype == 33 ? 2 : 1 + (int)tg_rng_below(r, 4);
  size_t al = tg_apps_dns_answer(a, sizeof a, q, ql, answers, r, nx);
  tg_pkt_udp(g, ta, 0, TG_NOTAG, &down, 53, cport, a, al);
  pkts++;
  count_udp(g, C_DNS, pkts);
}

static void spawn_ntp(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *dc = &n->servers[TG_SRV_DC];
  const tg_host_t *c = dc, *srv;
  if (tg_rng_chance(r, 0.85)) {
    c = tg_netmodel_client(g, r);
    srv = dc;
  } else {
    srv = &n->ext_ntp[tg_rng_below(r, 4)];
  }
  uint8_t p[64];
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, srv, 4);
  tg_pkt_l3_from_hosts(&down, srv, c, 4);
  up.ipid = (uint16_t)tg_rng_next(r);
  down.ipid = (uint16_t)tg_rng_next(r);
  uint16_t cport = c->windows && c != dc ? 123 : 123;
  size_t l = tg_apps_ntp(p, sizeof p, 3, t, r);
  tg_pkt_udp(g, t, 0, TG_NOTAG, &up, cport, 123, p, l);
  uint64_t t1 = t + 2ULL * srv->delay_ns + tg_rng_range(r, 20, 300) * TG_US;
  l = tg_apps_ntp(p, sizeof p, 4, t1, r);
  tg_pkt_udp(g, t1, 0, TG_NOTAG, &down, 123, cport, p, l);
  count_udp(g, C_NTP, 2);
}

static void spawn_icmp(tg_gen_t *g, tg_rng_t *r) {
  tg_net_t *n = &g->net;
  uint64_t t = tg_sched_now;
  const tg_host_t *c = tg_netmodel_client(g, r);
  const tg_host_t *dst = tg_rng_chance(r, 0.6)
                             ? &n->servers[tg_rng_below(r, TG_SRV_COUNT)]
                             : tg_netmodel_web(g, r);
  int fam = pick_family(r, c, dst, 0.3);
  tg_l3_t up, down;
  tg_pkt_l3_from_hosts(&up, c, dst, fam);
  tg_pkt_l3_from_hosts(&down, dst, c, fam);
  uint8_t pl[56];
  size_t pll;
  if (c->windows) {
    memcpy(pl, "abcdefghijklmnopqrstuvwabcdefghi", 32);
    pll = 32;
  } else {
    for (int i = 0; i < 56; i++)
      pl[i] = i < 8 ? (uint8_t)tg_rng_next(r) : (uint8_t)(0x08 + i);
    pll = 56;
  }
  uint16_t id = (uint16_t)tg_rng_next(r);
  int count = 4;
  uint8_t req = fam == 6 ? 128 : 8, rep = fam == 6 ? 129 : 0;
  uint16_t ipid = (uint16_t)tg_rng_next(r), ipid2 = (uint16_t)tg_rng_next(r);
  for (int i = 0; i < count; i++) {
    uint64_t ti = t + (uint64_t)i * TG_NS + tg_rng_below(r, 3000) * TG_US;
    up.ipid = ipid++;
    down.ipid = ipid2++;
    uint32_t rest = ((uint32_t)id << 16) | (uint32_t)(i + 1);
    tg_pkt_icmp(g, ti, TG_NOTAG, &up, req, 0, rest, pl, pll);
    uint64_t tr = ti + 2ULL * dst->delay_ns + 30 * TG_US;
    tg_pkt_icmp(g, tr, TG_NOTAG, &down, rep, 0, rest, pl, pll);
  }
  count_udp(g, C_ICMP, (uint32_t)(2 * count));
}

/* ---- spawners ----------------------------------------------------------- */
typedef struct spawner {
  tg_actor_t a;
  int cls;
} spawner_t;

static uint64_t spawn_gap(tg_gen_t *g, spawner_t *sp) {
  tg_class_stat_t *c = &g->cls[sp->cls];
  double per_s = g->rate * c->share / c->avg_pkts; /* sessions per second */
  if (per_s <= 0)
    return UINT64_MAX / 4;
  double gap = tg_rng_exp(&sp->a.rng, 1e9 / per_s);
  return (uint64_t)gap + 1;
}

static bool spawner_step(tg_gen_t *g, tg_actor_t *a) {
  spawner_t *sp = (spawner_t *)a;
  if (g->live_sessions < TG_SESSIONS_MAX) {
    switch (sp->cls) {
    case C_DNS:
      spawn_dns(g, &a->rng);
      break;
    case C_NTP:
      spawn_ntp(g, &a->rng);
      break;
    case C_ICMP:
      spawn_icmp(g, &a->rng);
      break;
    default:
      spawn_tcp(g, sp->cls, &a->rng);
      break;
    }
  } else {
    g->sessions_skipped++;
  }
  a->t += spawn_gap(g, sp);
  return true;
}

void tg_benign_session_done(tg_gen_t *g, int cls, uint32_t packets) {
  if (cls < 0 || cls >= C_COUNT)
    return;
  tg_class_stat_t *c = &g->cls[cls];
  c->packets += packets;
  c->ended++;
}

int tg_benign_setup(tg_gen_t *g) {
  if (g->rate <= 0 || g->net.nclients == 0)
    return 0;
  g->ncls = C_COUNT;
  double total = 0;
  for (int i = 0; i < C_COUNT; i++)
    total += cls_def[i].share;
  for (int i = 0; i < C_COUNT; i++) {
    g->cls[i].share = cls_def[i].share / total;
    g->cls[i].avg_pkts = cls_def[i].est_pkts;
    spawner_t *sp = calloc(1, sizeof *sp);
    if (!sp)
      return -1;
    sp->cls = i;
    sp->a.step = spawner_step;
    sp->a.cls = -1;
    tg_rng_fork(&g->rng, &sp->a.rng);
    tg_sched_add(g, &sp->a, g->start_ns + spawn_gap(g, sp) % TG_NS);
  }
  return 0;
}

void tg_benign_report(tg_gen_t *g) {
  for (int i = 0; i < g->ncls; i++)
    fprintf(stderr,
            "trafficgen: class %-13s sessions %8llu packets %10llu "
            "mean %.1f (assumed %.1f = %.1f)\n",
            cls_def[i].name, (unsigned long long)g->cls[i].sessions,
            (unsigned long long)g->cls[i].packets,
            g->cls[i].ended
                ? (double)g->cls[i].packets / (double)g->cls[i].ended
                : 0.0,
            g->cls[i].avg_pkts, cls_def[i].est_pkts);
}
