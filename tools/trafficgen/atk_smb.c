/* atk_smb.c -- the SMB attacks: MS17-010 (EternalBlue-style) exploitation,
 * the DoublePulsar implant ping, and an SMB worm (WannaCry-style fan-out
 * over TCP/445 that exploits the hosts that answer and, with chain=,
 * makes the newly infected ones spread in turn).
 * Exploitation, from the protocol facts: SMB1 NEGOTIATE (NT LM 0.12),
 * anonymous SESSION_SETUP_ANDX, TREE_CONNECT_ANDX to \\<ip>\IPC$, an
 * NT_TRANSACT whose declared TotalDataCount far exceeds the data carried,
 * TRANSACTION2_SECONDARY requests on the same MID carrying the rest (the
 * primary/secondary type mismatch), parallel grooming connections each
 * sending one ~64 KiB message with an SMB2 header (NetBIOS length 0xfff7),
 * the last secondary, then -- vulnerable target -- a TRANS2 response with
 * STATUS_INVALID_PARAMETER; a patched target refuses the NT_TRANSACT with
 * STATUS_ACCESS_DENIED and never answers the secondaries.
 * DoublePulsar ping: TRANS2 SESSION_SETUP (subcommand 0x000e) whose
 * Timeout bytes sum to 0x23, answered STATUS_NOT_IMPLEMENTED; an implanted
 * host answers with MID + 16 and a non-zero signature field.
 * In: attack options. Out: TCP session actors, truth rows. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

typedef struct worm_cfg {
  tg_host_t src;
  char parent[WD_ADDR_STRLEN]; /* "" for the first host */
  int gen, chain, spread;
  uint32_t count;
  double rate, open, rst, vuln;
  bool v6;
  int groom;
  int secondaries;
} worm_cfg_t;

enum { V_BLUE, V_ROMANCE, V_SYNERGY, V_CHAMPION };
static const char *const variant_names[] = {
    "eternalblue", "eternalromance", "eternalsynergy", "eternalchampion"};

typedef struct ms_cfg {
  tg_host_t atk, vic;
  int family;
  int variant; /* V_* */
  char pipe[24];
  int c2; /* 0 none, 1 tls, 2 raw */
  uint16_t c2_port;
  uint32_t c2_beacons;
  double c2_interval;
  wd_addr_t c2_addr;
  int attempts;
  int succeed; /* attempt that plants the implant, 0 = none */
  bool vuln;
  bool implant; /* DoublePulsar ping after each attempt */
  bool dp_only; /* no exploit: the DoublePulsar ping alone */
  bool dp_implant;
  int grooming;
  int secondaries;
  uint64_t interval;
  uint64_t ping_delay;
  int row_ms, row_dp;
  uint16_t base_port; /* attacker's first source port, 0 = random */
  bool has_child;     /* worm: the infected host spreads in turn */
  worm_cfg_t child;
} ms_cfg_t;

enum {
  PH_NEG,
  PH_SS,
  PH_TREE,
  PH_CREATE,    /* NT_CREATE_ANDX of a named pipe */
  PH_PIPEWRITE, /* romance: data into the pipe for the peek */
  PH_PEEK,      /* romance: TRANS_PEEK_NMPIPE info leak */
  PH_RENAME,    /* synergy, champion: NT_RENAME + secondary in one segment */
  PH_GROOMTX,   /* romance, synergy: incomplete transactions, one MID=FID */
  PH_RAWWRITE,  /* WRITE_ANDX in raw mode on the FID (shifts InData) */
  PH_OOB,       /* the secondary with the large data displacement */
  PH_RW,        /* secondaries rewriting the groomed transactions */
  PH_READ,      /* the completing secondary: data beyond MaxDataCount */
  PH_RACE,      /* champion: QUERY_PATH_INFO + TRANS2 secondaries */
  PH_NTTRANS,
  PH_SEC,
  PH_ECHO,
  PH_FINAL,
  PH_FINAL_RESP,
  PH_PING,
  PH_TDIS,
  PH_LOGOFF,
  PH_END
};

#define FIRST_DATA 976u
#define CHUNK 4096u

typedef struct ms_app {
  ms_cfg_t c;
  int phase;
  bool resp;
  int attempt;
  uint16_t pid, uid, tid, mid;
  uint16_t fid;
  uint16_t groom_mid; /* first MID of the groomed transactions */
  int sec_sent;
  int rw_sent;
  uint64_t final_at;
} ms_app_t;

#define GROOMS 8            /* incomplete transactions of the groom */
#define GROOM_TOTAL 0x2000u /* their TotalDataCount */
#define RAW_WRITE 0x100u    /* bytes of the raw-mode write */
#define LEAK_DATA 0x10d0u   /* NT_RENAME data, completed in one message */
#define LEAK_MORE 276u      /* what the secondary adds (BUG.txt Bug4/5) */

static uint8_t sbuf[1 << 17]; /* messages built whole (single thread) */

static void worm_launch(tg_gen_t *g, const worm_cfg_t *c, uint64_t at,
                        tg_rng_t *r);

static void hdr1(ms_app_t *a, tg_smb1_t *h, uint8_t cmd, bool reply) {
  memset(h, 0, sizeof *h);
  h->cmd = cmd;
  h->reply = reply;
  h->flags2 = 0xc007;
  h->pid = a->pid;
  h->uid = a->phase > PH_SS || (a->phase == PH_SS && reply) ? a->uid : 0;
  h->tid = a->phase > PH_TREE || (a->phase == PH_TREE && reply) ? a->tid : 0;
  h->mid = a->mid;
}

static bool groom_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  if (s->app_u64[0]++ > 0)
    return false;
  tg_tcp_msg_init(m, TG_C2S, 100 * TG_US);
  return tg_smb_groom(m);
}

static void spawn_grooming(tg_gen_t *g, tg_tcp_t *main, ms_app_t *a) {
  for (int i = 0; i < a->c.grooming; i++) {
    tg_tcp_t *s = tg_tcp_new(g, 0, &main->a.rng);
    if (!s)
      return;
    tg_tcp_ends(s, &a->c.atk, &a->c.vic, a->c.family, 445);
    /* the attacker's OS hands out ephemeral ports in sequence */
    s->e[TG_C2S].port = (uint16_t)(main->e[TG_C2S].port + 1 + i);
    s->tag = main->tag;
    s->tag.row[1] = -1;
    s->next = groom_next;
    s->close = TG_CLOSE_FIN_C;
    s->close_not_before = a->final_at + 20 * TG_MS + (uint64_t)i * TG_MS;
    tg_tcp_start(g, s, tg_sched_now + 2 * TG_MS + (uint64_t)i * 350 * TG_US);
  }
}

static uint32_t ping_timeout(tg_rng_t *r) {
  /* four bytes whose sum is 0x23 (the implant's "ping" opcode) */
  uint32_t left = 0x23, b[4];
  for (int i = 0; i < 3; i++) {
    b[i] = tg_rng_below(r, left + 1);
    left -= b[i];
  }
  b[3] = left;
  uint32_t k = tg_rng_below(r, 4); /* rotate: the remainder moves around */
  uint32_t t = 0;
  for (int i = 0; i < 4; i++)
    t |= b[(i + k) % 4] << (8 * i);
  return t;
}

/* A message built whole in sbuf; [oo, oo + ol) travels as filler. */
static bool from_sbuf(tg_msg_t *m, int dir, uint64_t think, tg_buf_t *b,
                      size_t oo, size_t ol) {
  if (b->over)
    return false;
  if (!ol)
    oo = b->len;
  return tg_smb_msg_from(m, dir, think, b, oo, ol, TG_FILL_ZERO);
}

/* The EternalRomance / EternalSynergy / EternalChampion messages (see the
 * file comment of docs/trafficgen.md for the sources): after the tree
 * connect to IPC$, a named pipe is opened, the info leak of the variant
 * runs, and on a vulnerable target the write primitive follows. */
static bool eternal_next(tg_gen_t *g, tg_tcp_t *s, ms_app_t *a, tg_msg_t *m,
                         bool rsp) {
  (void)g;
  tg_rng_t *r = &s->a.rng;
  uint64_t now = tg_sched_now;
  tg_smb1_t h;
  tg_buf_t b;
  tg_buf_init(&b, sbuf, sizeof sbuf);
  uint64_t think = rsp ? 150 * TG_US + tg_rng_below(r, 300) * TG_US
                       : 200 * TG_US + tg_rng_below(r, 400) * TG_US;
  int dir = rsp ? TG_S2C : TG_C2S;
  size_t oo = 0, ol = 0;
  int v = a->c.variant;
  /* NT_RENAME parameters: the FID, then RenameFlags 0 */
  const uint8_t fidp[4] = {(uint8_t)a->fid, (uint8_t)(a->fid >> 8), 0, 0};
  switch (a->phase) {
  case PH_CREATE: {
    hdr1(a, &h, TG_SMB1_NT_CREATE_ANDX, rsp);
    a->resp = !rsp;
    if (!rsp) {
      char name[40];
      snprintf(name, sizeof name, "\\%s", a->c.pipe);
      tg_smb1_b_nt_create(&b, &h, name);
      break;
    }
    a->fid = (uint16_t)(0x4000 + tg_rng_below(r, 0x100));
    tg_smb1_b_nt_create_resp(&b, &h, a->fid, now);
    a->mid++;
    a->phase = v == V_ROMANCE ? PH_PIPEWRITE : PH_RENAME;
    break;
  }
  case PH_PIPEWRITE: /* romance: something in the pipe for the peek */
    hdr1(a, &h, TG_SMB1_WRITE_ANDX, rsp);
    a->resp = !rsp;
    if (!rsp) {
      tg_smb1_b_write_andx(&b, &h, a->fid, 0x0008 /* MSG_START */, 0, 0x200,
                           NULL);
      break;
    }
    tg_smb1_b_write_andx_resp(&b, &h, 0x200);
    a->mid++;
    a->phase = PH_PEEK;
    break;
  case PH_PEEK: {
    /* TRANS_PEEK_NMPIPE ([MS-CIFS] 2.2.5.5) with a huge MaxParameterCount
     * and MaxDataCount 1 (BUG.txt Bug2 + Bug3): an unpatched server
     * answers with more data than MaxDataCount -- memory beyond OutData */
    hdr1(a, &h, TG_SMB1_TRANSACTION, rsp);
    a->resp = !rsp;
    if (!rsp) {
      tg_smb1_trans_t t;
      memset(&t, 0, sizeof t);
      t.cmd = TG_SMB1_TRANSACTION;
      t.setup[0] = 0x0023;
      t.setup[1] = a->fid;
      t.nsetup = 2;
      t.max_param = 0xffff;
      t.max_data = 1;
      t.name = "\\PIPE\\";
      tg_smb1_b_trans(&b, &h, &t, NULL);
      break;
    }
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    static const uint8_t peek_param[6] = {0x00, 0x02, 0x00, 0x02, 0x03, 0x00};
    sc.param = peek_param; /* ReadDataAvailable, MessageBytesLength, state */
    sc.nparam = sc.total_param = 6;
    h.status = TG_STATUS_BUFFER_OVERFLOW; /* more than the buffer: normal */
    if (a->c.vuln) {
      size_t at;
      sc.ndata = sc.total_data = 0x200 + 0x2c0; /* pipe data + leaked pool */
      tg_smb1_b_trans_resp(&b, &h, &sc, &at);
      oo = at;
      ol = sc.ndata;
    } else {
      sc.ndata = sc.total_data = 1; /* patched: MaxDataCount respected */
      tg_smb1_b_trans_resp(&b, &h, &sc, NULL);
    }
    a->mid++;
    a->phase = a->c.vuln ? PH_GROOMTX : a->c.implant ? PH_PING : PH_TDIS;
    break;
  }
  case PH_RENAME: {
    /* synergy, champion: a complete NT_TRANSACT_RENAME whose answer
     * exceeds the session's MaxBufferSize, and in the same TCP segment an
     * NT_TRANSACT_SECONDARY on its MID adding LEAK_MORE bytes (BUG.txt
     * Bug4 + Bug5): the second part of the answer carries them, read from
     * beyond OutData */
    hdr1(a, &h, TG_SMB1_NT_TRANSACT, rsp);
    a->resp = !rsp;
    if (!rsp) {
      tg_smb1_trans_t t;
      memset(&t, 0, sizeof t);
      t.cmd = TG_SMB1_NT_TRANSACT;
      t.function = 5; /* NT_TRANSACT_RENAME */
      t.param = fidp;
      t.nparam = t.total_param = 4;
      t.ndata = t.total_data = LEAK_DATA;
      t.max_param = v == V_CHAMPION ? 0x1000 : 0x20;
      t.max_data = LEAK_DATA;
      size_t at;
      tg_smb1_b_trans(&b, &h, &t, &at);
      oo = at;
      ol = LEAK_DATA;
      tg_smb1_sec_t sc;
      memset(&sc, 0, sizeof sc);
      tg_smb1_t h2 = h;
      h2.cmd = TG_SMB1_NT_TRANSACT_SECONDARY;
      sc.total_param = 4;
      sc.total_data = LEAK_DATA;
      sc.ndata = LEAK_MORE;
      sc.data_disp = LEAK_DATA; /* beyond TotalDataCount */
      tg_smb1_b_secondary(&b, &h2, &sc, NULL);
      break;
    }
    a->mid++;
    if (!a->c.vuln) { /* patched: SrvSmbNtRename refuses (BUG.txt Bug1) */
      h.status = TG_STATUS_NOT_SUPPORTED;
      tg_smb1_b_error(&b, &h);
      a->phase = a->c.implant ? PH_PING : PH_TDIS;
      break;
    }
    /* two response parts: the echo of the data, then the extra bytes */
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    sc.total_param = 4;
    sc.total_data = LEAK_DATA + LEAK_MORE;
    sc.nparam = 4;
    sc.ndata = 0x1000;
    size_t at;
    tg_smb1_b_trans_resp(&b, &h, &sc, &at);
    oo = at;
    ol = 0x1000;
    sc.nparam = 0;
    sc.param_disp = 4;
    sc.ndata = LEAK_DATA + LEAK_MORE - 0x1000;
    sc.data_disp = 0x1000;
    tg_smb1_b_trans_resp(&b, &h, &sc, NULL);
    a->phase = v == V_CHAMPION ? PH_RACE : PH_GROOMTX;
    break;
  }
  case PH_GROOMTX: {
    /* incomplete transactions that stay allocated side by side; the last
     * one's MID is the pipe's FID, so a raw-mode WRITE_ANDX on the FID
     * lands in it (BUG.txt Bug6) */
    uint8_t cmd = v == V_ROMANCE ? TG_SMB1_TRANSACTION : TG_SMB1_NT_TRANSACT;
    a->resp = !rsp;
    if (!rsp)
      a->groom_mid = a->mid;
    for (int i = 0; i <= GROOMS; i++) {
      hdr1(a, &h, cmd, rsp);
      h.mid = i == GROOMS ? a->fid : (uint16_t)(a->groom_mid + i);
      if (rsp) { /* interim responses: send the rest */
        tg_smb1_b_error(&b, &h);
        continue;
      }
      tg_smb1_trans_t t;
      memset(&t, 0, sizeof t);
      t.cmd = cmd;
      t.total_param = 0x200;
      t.total_data = GROOM_TOTAL;
      t.max_param = 0;
      t.max_data = 0;
      if (cmd == TG_SMB1_NT_TRANSACT) {
        t.function = 5;
        t.param = fidp;
        t.nparam = 4;
      } else {
        t.name = "";
      }
      tg_smb1_b_trans(&b, &h, &t, NULL);
    }
    if (rsp) {
      a->mid = (uint16_t)(a->groom_mid + GROOMS);
      a->phase = PH_RAWWRITE;
    }
    break;
  }
  case PH_RAWWRITE:
    hdr1(a, &h, TG_SMB1_WRITE_ANDX, rsp);
    a->resp = !rsp;
    if (!rsp) {
      size_t at;
      tg_smb1_b_write_andx(&b, &h, a->fid, 0x0004 /* RAW_MODE */, 0, RAW_WRITE,
                           &at);
      break;
    }
    tg_smb1_b_write_andx_resp(&b, &h, RAW_WRITE);
    a->phase = PH_OOB;
    break;
  case PH_OOB: {
    /* the secondary on MID = FID: in bounds by its own counts, beyond the
     * buffer once InData has moved by the raw write. Romance uses the
     * matching TRANSACTION_SECONDARY, synergy a TRANSACTION2_SECONDARY on
     * its NT transaction (type confusion, Bug6) */
    hdr1(a, &h,
         v == V_ROMANCE ? TG_SMB1_TRANSACTION_SECONDARY
                        : TG_SMB1_TRANS2_SECONDARY,
         false);
    h.mid = a->fid;
    a->resp = false;
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    sc.total_param = 0x200;
    sc.total_data = GROOM_TOTAL;
    sc.ndata = 0x80;
    sc.data_disp = GROOM_TOTAL - 0x80;
    sc.fid = a->fid;
    tg_smb1_b_secondary(&b, &h, &sc, NULL);
    a->phase = PH_RW;
    break;
  }
  case PH_RW: {
    /* rewriting the neighbouring transaction through the corrupted one */
    hdr1(a, &h,
         v == V_ROMANCE ? TG_SMB1_TRANSACTION_SECONDARY
                        : TG_SMB1_NT_TRANSACT_SECONDARY,
         false);
    h.mid = (uint16_t)(a->groom_mid + (a->rw_sent % GROOMS));
    a->resp = false;
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    sc.total_param = 0x200;
    sc.total_data = GROOM_TOTAL;
    sc.ndata = 0x40;
    sc.data_disp = (uint32_t)(0x100 + 0x40 * a->rw_sent);
    tg_smb1_b_secondary(&b, &h, &sc, NULL);
    if (++a->rw_sent >= 4)
      a->phase = PH_READ;
    break;
  }
  case PH_READ: {
    uint8_t sec = v == V_ROMANCE ? TG_SMB1_TRANSACTION_SECONDARY
                                 : TG_SMB1_NT_TRANSACT_SECONDARY;
    uint8_t cmd = v == V_ROMANCE ? TG_SMB1_TRANSACTION : TG_SMB1_NT_TRANSACT;
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    sc.total_param = 0x200;
    sc.total_data = GROOM_TOTAL;
    if (!rsp) { /* all the rest: the transaction executes */
      hdr1(a, &h, sec, false);
      h.mid = a->groom_mid;
      sc.nparam = 0x200;
      sc.ndata = GROOM_TOTAL;
      size_t at;
      tg_smb1_b_secondary(&b, &h, &sc, &at);
      oo = at;
      ol = GROOM_TOTAL;
      a->resp = true;
      break;
    }
    /* its answer: 0x200 bytes of data although MaxDataCount was 0 -- the
     * exploit reads kernel memory through the rewritten transaction */
    hdr1(a, &h, cmd, true);
    h.mid = a->groom_mid;
    sc.total_param = 0;
    sc.total_data = 0x200;
    sc.ndata = 0x200;
    size_t at;
    tg_smb1_b_trans_resp(&b, &h, &sc, &at);
    oo = at;
    ol = 0x200;
    a->resp = false;
    a->mid = (uint16_t)(a->groom_mid + GROOMS + 1);
    a->phase = a->c.implant ? PH_PING : PH_TDIS;
    break;
  }
  case PH_RACE: {
    /* champion: TRANS2_QUERY_PATH_INFORMATION, SMB_INFO_IS_NAME_VALID,
     * complete in one message, and in the same TCP segment secondaries
     * on its MID that the server processes while executing it (Bug5): the
     * data lands on the stack */
    hdr1(a, &h, TG_SMB1_TRANS2, rsp);
    if (!rsp) {
      uint8_t prm[16] = {0x06, 0x00, 0, 0, 0, 0, '\\', 0, 'x', 0, 0, 0};
      tg_smb1_trans_t t;
      memset(&t, 0, sizeof t);
      t.cmd = TG_SMB1_TRANS2;
      t.setup[0] = 0x0005;
      t.nsetup = 1;
      t.param = prm;
      t.nparam = t.total_param = 12;
      t.total_data = 0x100;
      t.ndata = 0x100;
      t.max_param = 2;
      t.max_data = 0x40;
      size_t at;
      tg_smb1_b_trans(&b, &h, &t, &at);
      oo = at;
      ol = 0x100;
      for (int i = 0; i < 3; i++) {
        tg_smb1_t h2 = h;
        h2.cmd = TG_SMB1_TRANS2_SECONDARY;
        tg_smb1_sec_t sc;
        memset(&sc, 0, sizeof sc);
        sc.total_param = 12;
        sc.total_data = 0x100;
        sc.ndata = 0x60;
        sc.data_disp = (uint32_t)(0x40 + 0x30 * i);
        tg_smb1_b_secondary(&b, &h2, &sc, NULL);
      }
      a->resp = true;
      break;
    }
    /* the QUERY_PATH_INFORMATION answer: the name is valid */
    tg_smb1_sec_t sc;
    memset(&sc, 0, sizeof sc);
    static const uint8_t ea[2] = {0, 0};
    sc.param = ea;
    sc.nparam = sc.total_param = 2;
    tg_smb1_b_trans_resp(&b, &h, &sc, NULL);
    a->resp = false;
    a->mid++;
    a->phase = a->c.implant ? PH_PING : PH_TDIS;
    break;
  }
  default:
    return false;
  }
  return from_sbuf(m, dir, think, &b, oo, ol);
}

static bool ms_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  ms_app_t *a = (ms_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  tg_smb1_t h;
  bool rsp = a->resp;
  uint64_t now = tg_sched_now;
  tg_tcp_msg_init(m, rsp ? TG_S2C : TG_C2S,
                  rsp ? 60 * TG_US + tg_rng_below(r, 200) * TG_US
                      : 150 * TG_US + tg_rng_below(r, 300) * TG_US);
  switch (a->phase) {
  case PH_NEG:
    hdr1(a, &h, TG_SMB1_NEGOTIATE, rsp);
    a->resp = !rsp;
    if (rsp) {
      a->phase = PH_SS;
      return tg_smb1_negotiate_resp(m, &h, now, r);
    }
    return tg_smb1_negotiate_req(m, &h, false);
  case PH_SS:
    hdr1(a, &h, TG_SMB1_SESSION_SETUP, rsp);
    a->resp = !rsp;
    if (rsp) {
      a->phase = PH_TREE;
      return tg_smb1_session_setup_resp(m, &h);
    }
    return tg_smb1_session_setup_req(m, &h);
  case PH_TREE: {
    hdr1(a, &h, TG_SMB1_TREE_CONNECT, rsp);
    a->resp = !rsp;
    if (rsp) {
      a->phase = a->c.dp_only             ? PH_PING
                 : a->c.variant == V_BLUE ? PH_NTTRANS
                                          : PH_CREATE;
      a->mid++;
      return tg_smb1_tree_connect_resp(m, &h);
    }
    char ip[WD_ADDR_STRLEN], path[WD_ADDR_STRLEN + 16];
    wd_addr_str(&s->e[TG_S2C].addr, ip);
    snprintf(path, sizeof path, "\\\\%s\\IPC$", ip);
    return tg_smb1_tree_connect_req(m, &h, path);
  }
  case PH_CREATE:
  case PH_PIPEWRITE:
  case PH_PEEK:
  case PH_RENAME:
  case PH_GROOMTX:
  case PH_RAWWRITE:
  case PH_OOB:
  case PH_RW:
  case PH_READ:
  case PH_RACE:
    return eternal_next(g, s, a, m, rsp);
  case PH_NTTRANS:
    hdr1(a, &h, TG_SMB1_NT_TRANSACT, rsp);
    a->resp = !rsp;
    if (rsp) {
      /* vulnerable: interim response, send the rest; patched: refused */
      h.status = a->c.vuln ? TG_STATUS_SUCCESS : TG_STATUS_ACCESS_DENIED;
      a->phase = PH_SEC;
      return tg_smb1_empty_resp(m, &h);
    }
    return tg_smb1_nt_trans_req(
        m, &h, FIRST_DATA + (uint32_t)a->c.secondaries * CHUNK, FIRST_DATA);
  case PH_SEC:
    hdr1(a, &h, TG_SMB1_TRANS2_SECONDARY, false);
    a->resp = false;
    m->think_ns = 40 * TG_US + tg_rng_below(r, 120) * TG_US;
    if (++a->sec_sent == a->c.secondaries - 1) {
      a->phase = PH_ECHO;
      a->final_at = now + 1000 * TG_MS + tg_rng_below(r, 30) * TG_MS;
      spawn_grooming(g, s, a);
    }
    return tg_smb1_trans2_secondary(
        m, &h, CHUNK, (uint16_t)(FIRST_DATA + (a->sec_sent - 1) * CHUNK));
  case PH_ECHO:
    hdr1(a, &h, TG_SMB1_ECHO, rsp);
    a->resp = !rsp;
    if (rsp)
      a->phase = PH_FINAL;
    return tg_smb1_echo(m, &h);
  case PH_FINAL:
    hdr1(a, &h, TG_SMB1_TRANS2_SECONDARY, false);
    a->resp = false;
    m->not_before = a->final_at;
    a->sec_sent++;
    a->phase = a->c.vuln ? PH_FINAL_RESP : a->c.implant ? PH_PING : PH_TDIS;
    if (a->c.vuln)
      a->resp = true;
    return tg_smb1_trans2_secondary(
        m, &h, CHUNK, (uint16_t)(FIRST_DATA + (a->sec_sent - 1) * CHUNK));
  case PH_FINAL_RESP:
    hdr1(a, &h, TG_SMB1_TRANS2, true);
    h.status = TG_STATUS_INVALID_PARAMETER; /* the overflow happened */
    a->resp = false;
    a->phase = a->c.implant ? PH_PING : PH_TDIS;
    return tg_smb1_trans2_resp(m, &h);
  case PH_PING:
    if (!rsp) {
      a->mid++;
      hdr1(a, &h, TG_SMB1_TRANS2, false);
      a->resp = true;
      if (!a->c.dp_only)
        m->think_ns = a->c.ping_delay;
      if (s->tag.row[0] != a->c.row_dp)
        s->tag.row[1] = (int16_t)a->c.row_dp;
      return tg_smb1_trans2_ping(m, &h, ping_timeout(r));
    }
    hdr1(a, &h, TG_SMB1_TRANS2, true);
    h.status = TG_STATUS_NOT_IMPLEMENTED;
    a->resp = false;
    a->phase = PH_TDIS;
    bool implanted =
        a->c.dp_only ? a->c.dp_implant : (a->c.succeed == a->attempt);
    if (implanted) {
      h.mid = (uint16_t)(a->mid + 16); /* the implant's answer */
      uint32_t key = (uint32_t)tg_rng_next(r) | 0x01010101u;
      for (int i = 0; i < 4; i++)
        h.sig[i] = (uint8_t)(key >> (8 * i));
      if (a->c.has_child) {
        worm_cfg_t child = a->c.child;
        worm_launch(g, &child, now + 3 * TG_NS + tg_rng_below(r, 5000) * TG_MS,
                    r);
      }
      if (a->c.c2) /* the implanted payload calls home within seconds */
        tg_c2_launch(g, &a->c.vic, &a->c.c2_addr, a->c.c2 == 2, a->c.c2_port,
                     a->c.c2_beacons, a->c.c2_interval,
                     now + 2 * TG_NS + tg_rng_below(r, 4000) * TG_MS,
                     variant_names[a->c.variant]);
    }
    return tg_smb1_empty_resp(m, &h);
  case PH_TDIS:
    hdr1(a, &h, TG_SMB1_TREE_DISCONNECT, rsp);
    if (!rsp)
      m->think_ns = 5 * TG_MS + tg_rng_below(r, 2000) * TG_MS;
    a->resp = !rsp;
    if (rsp)
      a->phase = PH_LOGOFF;
    return tg_smb1_simple_req(m, &h);
  case PH_LOGOFF:
    hdr1(a, &h, TG_SMB1_LOGOFF, rsp);
    a->resp = !rsp;
    if (rsp)
      a->phase = PH_END;
    return tg_smb1_logoff(m, &h);
  default:
    return false;
  }
}

/* Schedules every attempt of one exploitation (or the lone ping). */
static void ms_launch(tg_gen_t *g, const ms_cfg_t *c, uint64_t at,
                      tg_rng_t *r) {
  int n = c->dp_only ? 1 : c->attempts;
  for (int k = 1; k <= n; k++) {
    tg_tcp_t *s = tg_tcp_new(g, sizeof(ms_app_t), r);
    if (!s)
      return;
    tg_tcp_ends(s, &c->atk, &c->vic, c->family, 445);
    uint16_t base = c->base_port ? c->base_port : s->e[TG_C2S].port;
    if (base > 65535 - 80 * n)
      base = (uint16_t)(49152 + base % 4096);
    s->e[TG_C2S].port = (uint16_t)(base + (k - 1) * (c->grooming + 1));
    s->tag.row[0] = (int16_t)(c->dp_only ? c->row_dp : c->row_ms);
    s->tag.row[1] = -1;
    s->next = ms_next;
    s->close = TG_CLOSE_FIN_C;
    s->close_think_ns = 2 * TG_MS;
    ms_app_t *a = (ms_app_t *)s->app;
    a->c = *c;
    a->attempt = k;
    a->pid = (uint16_t)tg_rng_next(&s->a.rng);
    a->uid = (uint16_t)(0x0800 + 8 * tg_rng_below(&s->a.rng, 16));
    a->tid = (uint16_t)(0x0800 + 2 * tg_rng_below(&s->a.rng, 64));
    a->mid = 64;
    tg_tcp_start(g, s, at + (uint64_t)(k - 1) * c->interval);
  }
}

static void addr_text(const wd_addr_t *a, char out[WD_ADDR_STRLEN]) {
  wd_addr_str(a, out);
}

static int family_of(const wd_addr_t *a) { return wd_addr_is_v4(a) ? 4 : 6; }

static const wd_addr_t *primary(const tg_host_t *h, int family) {
  return family == 6 ? &h->a6 : &h->a4;
}

/* Attacker and victim from src=/dst=/ipv6=, with defaults. */
static int endpoints(tg_gen_t *g, tg_attack_opt_t *o, int def_atk, int def_vic,
                     tg_host_t *atk, tg_host_t *vic, int *family) {
  uint64_t v6;
  if (tg_opt_u64(o, "ipv6", 0, 0, 1, &v6))
    return -1;
  wd_addr_t s, d;
  bool sset, dset;
  if (tg_opt_addr(o, "src", &s, &sset) || tg_opt_addr(o, "dst", &d, &dset))
    return -1;
  if (!sset)
    tg_default_attacker(def_atk, v6 != 0, &s);
  if (!dset) {
    const tg_host_t *h = &g->net.servers[def_vic];
    d = v6 ? h->a6 : h->a4;
  }
  if (wd_addr_is_v4(&s) != wd_addr_is_v4(&d)) {
    fprintf(stderr, "trafficgen: %s: src and dst must be of one family\n",
            o->kind);
    return -1;
  }
  tg_netmodel_host_for(g, &s, atk);
  tg_netmodel_host_for(g, &d, vic);
  *family = family_of(&s);
  return 0;
}

/* The victims of dst=A|B|...: parsed into out (at most n); returns how
 * many, 0 when dst= is absent, -1 on a bad address. */
static int victim_list(tg_attack_opt_t *o, wd_addr_t *out, int n) {
  const char *v = tg_opt_str(o, "dst", NULL);
  if (!v)
    return 0;
  int k = 0;
  char buf[160];
  snprintf(buf, sizeof buf, "%s", v);
  for (char *p = buf, *q; p && *p && k < n; p = q) {
    q = strchr(p, '|');
    if (q)
      *q++ = 0;
    if (wd_addr_parse(p, &out[k]) != WD_OK) {
      fprintf(stderr, "trafficgen: %s: dst=%s: '%s' is not an IP address\n",
              o->kind, v, p);
      return -1;
    }
    k++;
  }
  return k;
}

int tg_atk_ms17010(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  ms_cfg_t c;
  memset(&c, 0, sizeof c);
  uint64_t at, attempts, vuln, implant, groom, sec, succeed, v6, nvict, c2_port,
      beacons;
  double interval, ping_delay, vgap, c2_interval;
  wd_addr_t vict[8], s;
  bool sset, c2set;
  int nv = victim_list(o, vict, 8);
  const char *variant = tg_opt_str(o, "variant", "eternalblue");
  const char *pipe = tg_opt_str(o, "pipe", "browser");
  const char *c2 = tg_opt_str(o, "c2", "none");
  if (nv < 0 || tg_opt_addr(o, "src", &s, &sset) ||
      tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) || tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "victims", nv > 0 ? (uint64_t)nv : 1, 1, 8, &nvict) ||
      tg_opt_double(o, "victim_gap", 20, 1, 86400, &vgap) ||
      tg_opt_u64(o, "attempts", 1, 1, 20, &attempts) ||
      tg_opt_u64(o, "vuln", 1, 0, 1, &vuln) ||
      tg_opt_u64(o, "implant", 0, 0, 1, &implant) ||
      tg_opt_u64(o, "grooming", 12, 1, 64, &groom) ||
      tg_opt_u64(o, "secondaries", 16, 10, 16, &sec) ||
      tg_opt_u64(o, "succeed", attempts, 0, attempts, &succeed) ||
      tg_opt_double(o, "interval", 18, 2, 3600, &interval) ||
      tg_opt_double(o, "ping_delay", attempts > 1 ? 15 : 2, 0.01, 600,
                    &ping_delay) ||
      tg_opt_u64(o, "c2_port", strcmp(c2, "raw") == 0 ? 4444 : 443, 1, 65535,
                 &c2_port) ||
      tg_opt_u64(o, "beacons", 10, 1, 100000, &beacons) ||
      tg_opt_double(o, "beacon_interval", 30, 0.1, 86400, &c2_interval) ||
      tg_opt_addr(o, "c2_addr", &c.c2_addr, &c2set))
    return -1;
  c.variant = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(variant, variant_names[i]) == 0)
      c.variant = i;
  if (c.variant < 0) {
    fprintf(stderr,
            "trafficgen: ms17-010: variant=%s: expected eternalblue, "
            "eternalromance, eternalsynergy or eternalchampion\n",
            variant);
    return -1;
  }
  c.c2 = strcmp(c2, "none") == 0  ? 0
         : strcmp(c2, "tls") == 0 ? 1
         : strcmp(c2, "raw") == 0 ? 2
                                  : -1;
  if (c.c2 < 0) {
    fprintf(stderr, "trafficgen: ms17-010: c2=%s: expected none, tls or raw\n",
            c2);
    return -1;
  }
  if (strlen(pipe) >= sizeof c.pipe || strchr(pipe, '\\')) {
    fprintf(stderr, "trafficgen: ms17-010: pipe=%s: a pipe name\n", pipe);
    return -1;
  }
  snprintf(c.pipe, sizeof c.pipe, "%s", pipe);
  if (!sset)
    tg_default_attacker(0, v6 != 0, &s);
  /* default victims: the imaging server, the modality, then workstations */
  int total = (int)nvict;
  for (int i = nv; i < total; i++) {
    if (i == 0)
      vict[i] =
          v6 ? g->net.servers[TG_SRV_PACS].a6 : g->net.servers[TG_SRV_PACS].a4;
    else if (i == 1)
      vict[i] = v6 ? g->net.servers[TG_SRV_MODALITY].a6
                   : g->net.servers[TG_SRV_MODALITY].a4;
    else
      tg_netmodel_internal((uint32_t)(i - 2), v6 != 0, &vict[i]);
  }
  for (int i = 0; i < total; i++)
    if (wd_addr_is_v4(&s) != wd_addr_is_v4(&vict[i])) {
      fprintf(stderr, "trafficgen: %s: src and dst must be of one family\n",
              o->kind);
      return -1;
    }
  if (c.c2 && !c2set) { /* a new outside address, not seen before */
    tg_rng_t r;
    tg_rng_fork(&g->rng, &r);
    if (wd_addr_is_v4(&s))
      tg_netmodel_public_v4(&r, &c.c2_addr);
    else
      tg_netmodel_public_v6(&r, &c.c2_addr);
  }
  if (ping_delay > interval - 1 && attempts > 1)
    ping_delay = interval - 1;
  tg_netmodel_host_for(g, &s, &c.atk);
  c.family = wd_addr_is_v4(&s) ? 4 : 6;
  c.attempts = (int)attempts;
  c.vuln = vuln != 0;
  c.implant = implant != 0;
  c.succeed = (c.vuln && c.implant) ? (int)succeed : 0;
  c.grooming = (int)groom;
  c.secondaries = (int)sec;
  c.interval = (uint64_t)(interval * 1e9);
  c.ping_delay = (uint64_t)(ping_delay * 1e9);
  c.c2_port = (uint16_t)c2_port;
  c.c2_beacons = (uint32_t)beacons;
  c.c2_interval = c2_interval;
  for (int i = 0; i < total; i++) {
    ms_cfg_t cv = c;
    tg_netmodel_host_for(g, &vict[i], &cv.vic);
    const wd_addr_t *sa = primary(&cv.atk, cv.family),
                    *da = primary(&cv.vic, cv.family);
    const char *outcome = cv.vuln ? "vulnerable" : "patched";
    char succ[16];
    if (cv.succeed)
      snprintf(succ, sizeof succ, "%d", cv.succeed);
    else
      snprintf(succ, sizeof succ, "none");
    if (cv.variant == V_BLUE)
      cv.row_ms = tg_truth_add(
          g, "ms17-010", "smb.ms17-010", sa, da,
          "variant=eternalblue;attempts=%d;outcome=%s;succeeded_attempt=%s;"
          "implant=%d;grooming=%d;secondaries=%d;total_data=%u",
          cv.attempts, outcome, succ, cv.succeed ? 1 : 0, cv.grooming,
          cv.secondaries, FIRST_DATA + (unsigned)cv.secondaries * CHUNK);
    else
      cv.row_ms = tg_truth_add(
          g, "ms17-010", "smb.ms17-010", sa, da,
          "variant=%s;attempts=%d;outcome=%s;succeeded_attempt=%s;"
          "implant=%d;pipe=%s;leak=%s;write=%s",
          variant_names[cv.variant], cv.attempts, outcome, succ,
          cv.succeed ? 1 : 0, cv.pipe,
          cv.variant == V_ROMANCE ? "trans-peek-nmpipe" : "nt-rename-secondary",
          cv.variant == V_ROMANCE   ? "write-andx-raw+trans-secondary"
          : cv.variant == V_SYNERGY ? "write-andx-raw+trans2-secondary"
                                    : "trans2-query-path-race");
    cv.row_dp = -1;
    if (cv.implant)
      cv.row_dp = tg_truth_add(
          g, "doublepulsar", "smb.doublepulsar", sa, da,
          "implant=%d;pings=%d;via=%s%s", cv.succeed ? 1 : 0, cv.attempts,
          variant_names[cv.variant], total > 1 ? ";victims=" : "");
    if (total > 1)
      tg_truth_append(g, cv.row_dp, "%d;victim=%d", total, i + 1);
    if (cv.row_ms < 0)
      return -1;
    ms_launch(g, &cv, at + (uint64_t)(i * vgap * 1e9), &g->rng);
  }
  return 0;
}

int tg_atk_doublepulsar(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  ms_cfg_t c;
  memset(&c, 0, sizeof c);
  uint64_t at, implant;
  if (endpoints(g, o, 3, TG_SRV_MODALITY, &c.atk, &c.vic, &c.family) ||
      tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "implant", 1, 0, 1, &implant))
    return -1;
  c.dp_only = true;
  c.dp_implant = implant != 0;
  c.attempts = 1;
  const wd_addr_t *sa = primary(&c.atk, c.family),
                  *da = primary(&c.vic, c.family);
  c.row_ms = -1;
  c.row_dp = tg_truth_add(g, "doublepulsar", "smb.doublepulsar", sa, da,
                          "implant=%d;pings=1;reply_mid_delta=%d",
                          c.dp_implant ? 1 : 0, c.dp_implant ? 16 : 0);
  if (c.row_dp < 0)
    return -1;
  ms_launch(g, &c, at, &g->rng);
  return 0;
}

/* ---- worm ------------------------------------------------------------- */
typedef struct worm {
  tg_actor_t a;
  worm_cfg_t c;
  int row;
  uint32_t i;      /* targets tried */
  uint32_t open_i; /* open targets used */
  uint32_t perm_off, perm_step, open_off, open_step;
  uint32_t answered, refused, silent, infected, children;
  uint16_t port; /* next ephemeral source port */
} worm_t;

static uint16_t worm_port(worm_t *w, int n) {
  if (w->port < 49152 || w->port > 65535 - n)
    w->port = 49152;
  uint16_t p = w->port;
  w->port = (uint16_t)(w->port + n);
  return p;
}

static uint32_t coprime_step(tg_rng_t *r, uint32_t n) {
  if (n <= 1)
    return 1;
  for (;;) {
    uint32_t s = 1 + tg_rng_below(r, n - 1);
    uint32_t a = s, b = n;
    while (b) {
      uint32_t t = a % b;
      a = b;
      b = t;
    }
    if (a == 1)
      return s;
  }
}

/* The k-th distinct address of the empty part of the facility. */
static void empty_addr(const worm_t *w, uint32_t k, wd_addr_t *out) {
  uint32_t x = (w->perm_off + k * w->perm_step) % 32768u;
  if (w->c.v6) {
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x20, 0x00, 0x01};
    b[12] = 0x00;
    b[13] = 0x10; /* ::10:0 + x, above every workstation */
    b[14] = (uint8_t)(x >> 8);
    b[15] = (uint8_t)x;
    wd_addr_from_v6(out, b);
  } else {
    uint8_t b[4] = {10, 20, (uint8_t)(128 + (x >> 8)), (uint8_t)x};
    wd_addr_from_v4(out, b);
  }
}

/* Next existing workstation not yet tried (and not the worm itself). */
static const tg_host_t *open_target(tg_gen_t *g, worm_t *w) {
  uint32_t n = g->net.nclients;
  while (w->open_i < n) {
    uint32_t k = (w->open_off + w->open_i * w->open_step) % n;
    w->open_i++;
    const tg_host_t *h = &g->net.clients[k];
    if (h->index == w->c.src.index)
      continue;
    if (w->c.v6 && !h->has6)
      continue;
    return h;
  }
  return NULL;
}

static void worm_fini(tg_gen_t *g, tg_actor_t *a) {
  worm_t *w = (worm_t *)a;
  tg_truth_append(g, w->row,
                  ";reached=%u;answered=%u;refused=%u;silent=%u;"
                  "exploited_vulnerable=%u",
                  w->i, w->answered, w->refused, w->silent, w->infected);
}

static bool worm_step(tg_gen_t *g, tg_actor_t *a) {
  worm_t *w = (worm_t *)a;
  tg_rng_t *r = &a->rng;
  if (w->i >= w->c.count)
    return false;
  int fam = w->c.v6 ? 6 : 4;
  double u = tg_rng_unit(r);
  const tg_host_t *open = NULL;
  if (u < w->c.open)
    open = open_target(g, w);
  w->i++;
  if (open) {
    w->answered++;
    bool vuln = tg_rng_chance(r, w->c.vuln);
    ms_cfg_t c;
    memset(&c, 0, sizeof c);
    c.atk = w->c.src;
    c.vic = *open;
    c.family = fam;
    c.attempts = 1;
    c.vuln = vuln;
    c.implant = true; /* the worm checks for the implant after exploiting */
    c.succeed = vuln ? 1 : 0;
    c.grooming = w->c.groom;
    c.secondaries = w->c.secondaries;
    c.interval = 10 * TG_NS;
    c.ping_delay = 500 * TG_MS + tg_rng_below(r, 1500) * TG_MS;
    const wd_addr_t *sa = primary(&c.atk, fam), *da = primary(&c.vic, fam);
    char by[WD_ADDR_STRLEN];
    addr_text(sa, by);
    c.row_ms = tg_truth_add(
        g, "ms17-010", "smb.ms17-010", sa, da,
        "attempts=1;outcome=%s;succeeded_attempt=%s;implant=%d;grooming=%d;"
        "secondaries=%d;total_data=%u;via=worm;generation=%d",
        vuln ? "vulnerable" : "patched", vuln ? "1" : "none", vuln ? 1 : 0,
        c.grooming, c.secondaries, FIRST_DATA + (unsigned)c.secondaries * CHUNK,
        w->c.gen);
    c.row_dp = tg_truth_add(g, "doublepulsar", "smb.doublepulsar", sa, da,
                            "implant=%d;pings=1;via=worm", vuln ? 1 : 0);
    if (vuln) {
      w->infected++;
      if (w->c.gen < w->c.chain && (int)w->children < w->c.spread) {
        w->children++;
        c.has_child = true;
        c.child = w->c;
        c.child.src = *open;
        c.child.gen = w->c.gen + 1;
        snprintf(c.child.parent, sizeof c.child.parent, "%s", by);
      }
    }
    c.base_port = worm_port(w, c.grooming + 1);
    if (c.row_ms >= 0)
      ms_launch(g, &c, a->t, r);
  } else {
    /* a host that does not answer, or refuses with RST */
    wd_addr_t dst;
    empty_addr(w, w->i, &dst);
    tg_host_t vic;
    tg_netmodel_host_for(g, &dst, &vic);
    tg_tcp_t *s = tg_tcp_new(g, 0, r);
    if (!s)
      return false;
    tg_tcp_ends(s, &w->c.src, &vic, fam, 445);
    s->e[TG_C2S].port = worm_port(w, 1);
    s->tag.row[0] = (int16_t)w->row;
    s->tag.row[1] = -1;
    bool rst = tg_rng_unit(r) < w->c.rst / (1.0 - w->c.open + 1e-9);
    s->answer = rst ? TG_ANSWER_RST : TG_ANSWER_NONE;
    s->syn_retries = 1;
    if (rst)
      w->refused++;
    else
      w->silent++;
    tg_tcp_start(g, s, a->t);
  }
  double gap = tg_rng_exp(r, 1e9 / w->c.rate);
  a->t += (uint64_t)gap + 1;
  return true;
}

static void worm_launch(tg_gen_t *g, const worm_cfg_t *c, uint64_t at,
                        tg_rng_t *r) {
  worm_t *w = calloc(1, sizeof *w);
  if (!w)
    return;
  w->c = *c;
  w->a.step = worm_step;
  w->a.fini = worm_fini;
  w->a.cls = -1;
  tg_rng_fork(r, &w->a.rng);
  w->perm_off = tg_rng_below(&w->a.rng, 32768);
  w->perm_step = 2 * tg_rng_below(&w->a.rng, 16383) + 1; /* odd: full cycle */
  uint32_t n = g->net.nclients ? g->net.nclients : 1;
  w->open_off = tg_rng_below(&w->a.rng, n);
  w->open_step = coprime_step(&w->a.rng, n);
  w->port = (uint16_t)tg_rng_range(&w->a.rng, 49152, 60000);
  const wd_addr_t *sa = primary(&w->c.src, c->v6 ? 6 : 4);
  if (c->parent[0])
    w->row = tg_truth_add(g, "smb-worm", "worm.smb-fanout", sa, NULL,
                          "targets=%u;rate=%g;generation=%d;infected_by=%s;"
                          "not=scan.horizontal",
                          c->count, c->rate, c->gen, c->parent);
  else
    w->row = tg_truth_add(g, "smb-worm", "worm.smb-fanout", sa, NULL,
                          "targets=%u;rate=%g;generation=%d;"
                          "not=scan.horizontal",
                          c->count, c->rate, c->gen);
  tg_sched_add(g, &w->a, at);
}

int tg_atk_worm(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns) {
  worm_cfg_t c;
  memset(&c, 0, sizeof c);
  uint64_t at, count, chain, spread, v6, groom, sec;
  wd_addr_t s;
  bool sset;
  if (tg_opt_at(g, o, at_ns, &at) ||
      tg_opt_u64(o, "count", 200, 1, 100000, &count) ||
      tg_opt_double(o, "rate", 20, 0.1, 100000, &c.rate) ||
      tg_opt_double(o, "open", 0.1, 0, 1, &c.open) ||
      tg_opt_double(o, "rst", 0.3, 0, 1, &c.rst) ||
      tg_opt_double(o, "vuln", 0.5, 0, 1, &c.vuln) ||
      tg_opt_u64(o, "chain", 0, 0, 5, &chain) ||
      tg_opt_u64(o, "spread", 2, 1, 50, &spread) ||
      tg_opt_u64(o, "grooming", 4, 1, 64, &groom) ||
      tg_opt_u64(o, "secondaries", 16, 10, 16, &sec) ||
      tg_opt_u64(o, "ipv6", 0, 0, 1, &v6) || tg_opt_addr(o, "src", &s, &sset))
    return -1;
  if (c.open + c.rst > 1) {
    fprintf(stderr, "trafficgen: smb-worm: open + rst must not exceed 1\n");
    return -1;
  }
  if (g->net.nclients < 2) {
    fprintf(stderr, "trafficgen: smb-worm needs --hosts >= 2\n");
    return -1;
  }
  c.v6 = v6 != 0;
  if (!sset) { /* a workstation of the facility, IPv6-capable if needed */
    uint32_t n = g->net.nclients, k = tg_rng_below(&g->rng, n);
    for (uint32_t i = 0; i < n; i++) {
      const tg_host_t *h = &g->net.clients[(k + i) % n];
      if (!c.v6 || h->has6) {
        s = c.v6 ? h->a6 : h->a4;
        break;
      }
    }
  }
  if (c.v6 == wd_addr_is_v4(&s)) {
    fprintf(stderr, "trafficgen: smb-worm: src family does not match ipv6=\n");
    return -1;
  }
  tg_netmodel_host_for(g, &s, &c.src);
  c.count = (uint32_t)count;
  c.chain = (int)chain;
  c.spread = (int)spread;
  c.groom = (int)groom;
  c.secondaries = (int)sec;
  worm_launch(g, &c, at, &g->rng);
  return 0;
}
