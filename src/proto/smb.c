/* smb.c -- SMB1/SMB2/SMB3 message headers from a TCP byte stream (smb.h).
 * In: in-order bytes per direction and gap notices. Out: wd_smb_msg_t
 * values on the caller's callback. Framing: RFC 1002 session messages (port
 * 139: 17-bit length, flag bits zero) or MS-SMB2 2.1 direct TCP (port 445:
 * zero byte + 24-bit length). Each message (each SMB2 compound element) is
 * read into a prefix buffer of at most WD_SMB_PREFIX_MAX bytes, just as far
 * as its header and fixed fields go, then skipped. After a gap the parser
 * counts through the lost bytes when it knows their number and is inside a
 * message body, otherwise it searches the following bytes for a NetBIOS
 * header followed by an SMB magic. Memory: all state is in wd_smb_conn_t
 * (caller storage); no allocation. Every read is checked against the bytes
 * held. */
#include "proto/smb.h"

#include <string.h>

enum { S_HDR = 0, S_PREFIX, S_SKIP, S_RESYNC };
enum { F_AFTER_GAP = 1 };

/* Smallest NetBIOS length accepted while resynchronizing: an SMB1 header. */
#define RESYNC_MIN_LEN 32
/* SMB1 lengths cannot exceed the 17-bit RFC 1002 field. */
#define SMB1_LEN_MAX 0x1ffffu
/* Tree-connect bytes looked at (password + path). */
#define TREE_BYTES_MAX 300u

static inline uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static bool is_andx(uint8_t cmd) {
  switch (cmd) {
  case 0x24: /* LOCKING_ANDX */
  case 0x2d: /* OPEN_ANDX */
  case 0x2e: /* READ_ANDX */
  case 0x2f: /* WRITE_ANDX */
  case 0x73: /* SESSION_SETUP_ANDX */
  case 0x74: /* LOGOFF_ANDX */
  case 0x75: /* TREE_CONNECT_ANDX */
  case 0xa2: /* NT_CREATE_ANDX */
    return true;
  default:
    return false;
  }
}

/* Transaction family: the primary command a command belongs to. */
static uint8_t family(uint8_t cmd) {
  switch (cmd) {
  case WD_SMB1_TRANSACTION_SECONDARY:
    return WD_SMB1_TRANSACTION;
  case WD_SMB1_TRANSACTION2_SECONDARY:
    return WD_SMB1_TRANSACTION2;
  case WD_SMB1_NT_TRANSACT_SECONDARY:
    return WD_SMB1_NT_TRANSACT;
  default:
    return cmd;
  }
}
static bool is_trans(uint8_t fam) {
  return fam == WD_SMB1_TRANSACTION || fam == WD_SMB1_TRANSACTION2 ||
         fam == WD_SMB1_NT_TRANSACT;
}
static bool is_secondary(uint8_t cmd) {
  return cmd == WD_SMB1_TRANSACTION_SECONDARY ||
         cmd == WD_SMB1_TRANSACTION2_SECONDARY ||
         cmd == WD_SMB1_NT_TRANSACT_SECONDARY;
}

const char *wd_smb1_command_name(uint8_t cmd) {
  switch (cmd) {
  case 0x04:
    return "close";
  case 0x24:
    return "locking_andx";
  case WD_SMB1_TRANSACTION:
    return "transaction";
  case WD_SMB1_TRANSACTION_SECONDARY:
    return "transaction_secondary";
  case WD_SMB1_ECHO:
    return "echo";
  case 0x2e:
    return "read_andx";
  case WD_SMB1_WRITE_ANDX:
    return "write_andx";
  case WD_SMB1_TRANSACTION2:
    return "transaction2";
  case WD_SMB1_TRANSACTION2_SECONDARY:
    return "transaction2_secondary";
  case WD_SMB1_TREE_DISCONNECT:
    return "tree_disconnect";
  case WD_SMB1_NEGOTIATE:
    return "negotiate";
  case WD_SMB1_SESSION_SETUP_ANDX:
    return "session_setup_andx";
  case WD_SMB1_LOGOFF_ANDX:
    return "logoff_andx";
  case WD_SMB1_TREE_CONNECT_ANDX:
    return "tree_connect_andx";
  case WD_SMB1_NT_TRANSACT:
    return "nt_transact";
  case WD_SMB1_NT_TRANSACT_SECONDARY:
    return "nt_transact_secondary";
  case WD_SMB1_NT_CREATE_ANDX:
    return "nt_create_andx";
  default:
    return "other";
  }
}

void wd_smb_conn_init(wd_smb_conn_t *c, bool nbss, wd_smb_stats_t *stats) {
  memset(c, 0, sizeof *c);
  c->nbss = nbss;
  c->stats = stats;
}

#define STAT(c, field)                                                         \
  do {                                                                         \
    if ((c)->stats)                                                            \
      (c)->stats->field++;                                                     \
  } while (0)

/* ---- outstanding requests ---------------------------------------------- */

static wd_smb_pending_t *pend_find(wd_smb_conn_t *c, uint32_t pid,
                                   uint16_t mid) {
  for (unsigned i = 0; i < WD_SMB_PENDING_MAX; i++) {
    wd_smb_pending_t *e = &c->pending[i];
    if (e->used && e->pid == pid && e->mid == mid)
      return e;
  }
  return NULL;
}

/* A free entry, else the oldest refused transaction (answered already:
 * nothing outstanding is lost), else the least recently used (counted). */
static wd_smb_pending_t *pend_new(wd_smb_conn_t *c) {
  wd_smb_pending_t *old = NULL, *ref = NULL;
  for (unsigned i = 0; i < WD_SMB_PENDING_MAX; i++) {
    wd_smb_pending_t *e = &c->pending[i];
    if (!e->used)
      return e;
    if (e->refused && (!ref || e->clock < ref->clock))
      ref = e;
    if (!old || e->clock < old->clock)
      old = e;
  }
  if (ref)
    return ref;
  if (c->stats)
    c->stats->pending_evicted++;
  return old;
}

/* Oldest unanswered request of family fam from pid (refused transactions
 * were answered; orphan secondaries are no request of their own). */
static wd_smb_pending_t *pend_oldest(wd_smb_conn_t *c, uint32_t pid,
                                     uint8_t fam) {
  wd_smb_pending_t *best = NULL;
  for (unsigned i = 0; i < WD_SMB_PENDING_MAX; i++) {
    wd_smb_pending_t *e = &c->pending[i];
    if (e->used && !e->refused && !e->orphan && e->pid == pid &&
        e->cmd == fam && (!best || e->clock < best->clock))
      best = e;
  }
  return best;
}

static bool pend_complete(const wd_smb_pending_t *e) {
  return e->sent_param >= e->total_param && e->sent_data >= e->total_data;
}

static void fill_primary(wd_smb_tx_info_t *tx, const wd_smb_pending_t *e) {
  tx->primary_cmd = e->cmd;
  tx->primary_sub = e->sub;
  tx->primary_fid = e->fid;
  tx->primary_timeout = e->timeout;
  tx->primary_total_data = e->total_data;
  tx->sent_param = e->sent_param;
  tx->sent_data = e->sent_data;
  tx->primary_status = e->refused ? e->status : 0;
}

/* Secondaries with no primary seen (capture started late, primary lost in
 * a gap, or none sent): remembered per PID/MID so that a burst of them,
 * and blocks placed beyond their own declared totals, can be told. */
static void track_orphan(wd_smb_conn_t *c, wd_smb_msg_t *m, wd_smb_pending_t *e,
                         uint8_t fam) {
  wd_smb_tx_info_t *tx = &m->tx;
  m->anomalies |= WD_SMB_ANOM_SECONDARY_ORPHAN;
  if (e && !(e->orphan && e->cmd == fam))
    return; /* the MID of another outstanding request: keep that one */
  if (!e) {
    e = pend_new(c);
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->orphan = 1;
    e->pid = m->pid;
    e->mid = m->mid;
    e->cmd = fam;
  }
  e->clock = ++c->clock;
  uint64_t dend = (uint64_t)tx->data_disp + tx->data_count;
  uint64_t pend = (uint64_t)tx->param_disp + tx->param_count;
  bool bad = dend > tx->total_data || pend > tx->total_param;
  if (bad)
    m->anomalies |= WD_SMB_ANOM_DISP_BEYOND_TOTAL;
  if (e->orphan_count < UINT16_MAX)
    e->orphan_count++;
  if (bad && e->orphan_inconsistent < UINT16_MAX)
    e->orphan_inconsistent++;
  if (dend > e->orphan_max_end)
    e->orphan_max_end = dend > UINT32_MAX ? UINT32_MAX : (uint32_t)dend;
  tx->orphan_count = e->orphan_count;
  tx->orphan_inconsistent = e->orphan_inconsistent;
  tx->orphan_max_end = e->orphan_max_end;
}

/* Request/response bookkeeping of the first command of an SMB1 message. */
static void track(wd_smb_conn_t *c, wd_smb_msg_t *m) {
  uint8_t cmd = (uint8_t)m->command;
  uint8_t fam = family(cmd);
  wd_smb_tx_info_t *tx = &m->tx;
  wd_smb_pending_t *e = pend_find(c, m->pid, m->mid);

  if (!m->is_response) {
    if (is_secondary(cmd)) {
      if (!e || !is_trans(e->cmd) || e->orphan) {
        track_orphan(c, m, e, fam);
        return;
      }
      if (e->cmd != fam)
        m->anomalies |= WD_SMB_ANOM_SECONDARY_MISMATCH;
      if ((uint64_t)tx->param_disp + tx->param_count > e->total_param ||
          (uint64_t)tx->data_disp + tx->data_count > e->total_data ||
          tx->total_param > e->total_param || tx->total_data > e->total_data)
        m->anomalies |= WD_SMB_ANOM_DISP_BEYOND_TOTAL;
      e->sent_param += tx->param_count;
      e->sent_data += tx->data_count;
      e->clock = ++c->clock;
      fill_primary(tx, e);
      return;
    }
    if (e && (e->orphan || e->refused) && !is_trans(fam))
      return; /* keep the orphan count or the refused transaction */
    if (e && is_trans(e->cmd) && !e->refused && !e->orphan &&
        !pend_complete(e)) {
      /* the MID of an open transaction: keep the transaction, tell which
       * one was hit */
      m->anomalies |= WD_SMB_ANOM_MID_IN_USE;
      if (!is_trans(fam)) {
        fill_primary(tx, e);
        return;
      }
    }
    if (!e)
      e = pend_new(c);
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->pid = m->pid;
    e->mid = m->mid;
    e->cmd = fam;
    e->clock = ++c->clock;
    if (tx->present) {
      e->sub = tx->subcommand;
      e->fid = tx->fid;
      e->timeout = tx->timeout;
      e->total_param = tx->total_param;
      e->total_data = tx->total_data;
      e->sent_param = tx->param_count;
      e->sent_data = tx->data_count;
      tx->sent_param = e->sent_param;
      tx->sent_data = e->sent_data;
    }
    return;
  }

  if (e) {
    if (is_trans(e->cmd) && !is_trans(fam))
      return; /* answer to a request that collided with the MID */
    if (e->orphan) {
      /* an answer to orphan secondaries: their primary was never seen */
      tx->orphan_count = e->orphan_count;
      tx->orphan_inconsistent = e->orphan_inconsistent;
      tx->orphan_max_end = e->orphan_max_end;
      if (m->status != 0 || m->word_count != 0)
        e->used = 0;
      return;
    }
    if (is_trans(e->cmd)) {
      if (e->cmd != fam)
        m->anomalies |= WD_SMB_ANOM_RESP_MISMATCH;
      fill_primary(tx, e);
      bool final;
      if (m->status != 0)
        final = true;
      else if (m->word_count == 0)
        final = pend_complete(e); /* interim "send the rest" otherwise */
      else
        final = (uint64_t)tx->param_disp + tx->param_count >= tx->total_param &&
                (uint64_t)tx->data_disp + tx->data_count >= tx->total_data;
      if (final && m->status != 0 && !e->refused && !e->orphan &&
          fam == e->cmd && !pend_complete(e)) {
        /* the primary refused before it was complete: a client stops
         * here; keep it to link what is sent anyway */
        e->refused = 1;
        e->status = m->status;
      } else if (final) {
        e->used = 0;
      }
      return;
    }
    e->used = 0;
    return;
  }
  /* No request with this PID/MID: link to the oldest unanswered request of
   * the same command from the same process. */
  wd_smb_pending_t *r = pend_oldest(c, m->pid, fam);
  if (!r)
    return;
  m->anomalies |= WD_SMB_ANOM_RESP_UNMATCHED;
  tx->req_linked = true;
  tx->req_mid = r->mid;
  tx->req_sub = r->sub;
  tx->req_timeout = r->timeout;
  tx->mid_delta = (uint16_t)(m->mid - r->mid);
  if (is_trans(r->cmd))
    fill_primary(tx, r);
  r->used = 0;
}

/* ---- SMB1 --------------------------------------------------------------- */

/* Bytes of the element the SMB1 walk wants (may exceed have). */
static uint32_t smb1_required(const uint8_t *p, uint32_t have,
                              uint32_t unit_len) {
  uint32_t off = 32, r;
  bool resp;
  if (have < 33)
    return 33;
  resp = (p[9] & 0x80) != 0;
  uint8_t cmd = p[4];
  for (unsigned idx = 0; idx < WD_SMB_ANDX_MAX; idx++) {
    r = off + 1;
    if (have < r)
      return r;
    uint32_t wc = p[off];
    r = off + 1 + 2 * wc + 2;
    if (have < r)
      return r;
    if (cmd == WD_SMB1_TREE_CONNECT_ANDX && !resp) {
      uint32_t bc = le16(p + off + 1 + 2 * wc);
      r += min32(bc, TREE_BYTES_MAX);
      if (have < r)
        return r;
    }
    if (!is_andx(cmd) || wc < 2)
      break;
    uint8_t next = p[off + 1];
    uint32_t noff = le16(p + off + 3);
    if (next == 0xff || noff <= off || noff >= unit_len)
      break;
    off = noff;
    cmd = next;
  }
  return r;
}

static void path_copy(wd_smb_msg_t *m, const uint8_t *s, uint32_t n,
                      bool unicode) {
  size_t o = 0;
  uint32_t step = unicode ? 2 : 1;
  for (uint32_t i = 0; i + step <= n; i += step) {
    uint16_t ch = unicode ? le16(s + i) : s[i];
    if (ch == 0)
      break;
    if (o + 1 >= sizeof m->path) {
      m->anomalies |= WD_SMB_ANOM_TRUNCATED;
      break;
    }
    m->path[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
  }
  m->path[o] = '\0';
}

/* The totals and the counts, offsets and displacements of a transaction
 * response or secondary request (MS-CIFS 2.2.4.33-2.2.4.46): the totals
 * lead, the other six words start at word byte at. */
static void tx_counts(wd_smb_tx_info_t *tx, const uint8_t *w, unsigned at) {
  tx->total_param = le16(w);
  tx->total_data = le16(w + 2);
  tx->param_count = le16(w + at);
  tx->param_offset = le16(w + at + 2);
  tx->param_disp = le16(w + at + 4);
  tx->data_count = le16(w + at + 6);
  tx->data_offset = le16(w + at + 8);
  tx->data_disp = le16(w + at + 10);
}

/* Fields of one command whose words start at p + off. */
static void smb1_command(wd_smb_msg_t *m, const uint8_t *p, uint32_t have,
                         uint32_t off, uint32_t unit_len) {
  uint8_t cmd = (uint8_t)m->command;
  uint32_t wc = p[off];
  const uint8_t *w = p + off + 1;
  uint32_t wa = min32(2 * wc, have - off - 1); /* word bytes held */
  wd_smb_tx_info_t *tx = &m->tx;
  m->word_count = (uint8_t)wc;
  if ((uint64_t)off + 1 + 2 * wc + 2 > unit_len)
    m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
  if (off + 1 + 2 * wc + 2 <= have) {
    m->byte_count = le16(p + off + 1 + 2 * wc);
    m->byte_count_present = true;
  }
  if (wa < 2 * wc)
    m->anomalies |= WD_SMB_ANOM_TRUNCATED;

  bool resp = m->is_response;
  switch (cmd) {
  case WD_SMB1_TRANSACTION:
  case WD_SMB1_TRANSACTION2:
    tx->present = true;
    if (wc == 0)
      break; /* interim or error response */
    if (!resp) {
      if (wc < 14 || wa < 28) {
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
        break;
      }
      tx->total_param = le16(w);
      tx->total_data = le16(w + 2);
      tx->max_param = le16(w + 4);
      tx->max_data = le16(w + 6);
      tx->max_setup = w[8];
      tx->flags = le16(w + 10);
      tx->timeout = le32(w + 12);
      tx->param_count = le16(w + 18);
      tx->param_offset = le16(w + 20);
      tx->data_count = le16(w + 22);
      tx->data_offset = le16(w + 24);
      tx->setup_count = w[26];
      if (14u + tx->setup_count > wc)
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
      for (unsigned i = 0; i < 4 && i < tx->setup_count; i++)
        if (28 + 2 * i + 2 <= wa)
          tx->setup[i] = le16(w + 28 + 2 * i);
      tx->subcommand = tx->setup[0];
      if (cmd == WD_SMB1_TRANSACTION)
        tx->fid = tx->setup[1];
    } else {
      if (wc < 10 || wa < 20) {
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
        break;
      }
      tx_counts(tx, w, 6);
      tx->setup_count = w[18];
    }
    break;
  case WD_SMB1_TRANSACTION_SECONDARY:
  case WD_SMB1_TRANSACTION2_SECONDARY:
    tx->present = true;
    tx->secondary = true;
    if (resp && wc == 0)
      break;
    if (wc < (cmd == WD_SMB1_TRANSACTION2_SECONDARY ? 9u : 8u) || wa < 16) {
      m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
      break;
    }
    tx_counts(tx, w, 4);
    if (cmd == WD_SMB1_TRANSACTION2_SECONDARY && wa >= 18)
      tx->fid = le16(w + 16);
    break;
  case WD_SMB1_NT_TRANSACT:
  case WD_SMB1_NT_TRANSACT_SECONDARY:
    tx->present = true;
    tx->secondary = cmd == WD_SMB1_NT_TRANSACT_SECONDARY;
    if (wc == 0)
      break;
    if (cmd == WD_SMB1_NT_TRANSACT && !resp) {
      if (wc < 19 || wa < 38) {
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
        break;
      }
      tx->max_setup = w[0];
      tx->total_param = le32(w + 3);
      tx->total_data = le32(w + 7);
      tx->max_param = le32(w + 11);
      tx->max_data = le32(w + 15);
      tx->param_count = le32(w + 19);
      tx->param_offset = le32(w + 23);
      tx->data_count = le32(w + 27);
      tx->data_offset = le32(w + 31);
      tx->setup_count = w[35];
      tx->subcommand = le16(w + 36);
      if (19u + tx->setup_count > wc)
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
      for (unsigned i = 0; i < 4 && i < tx->setup_count; i++)
        if (38 + 2 * i + 2 <= wa)
          tx->setup[i] = le16(w + 38 + 2 * i);
    } else {
      /* response (18 + setup words) or secondary (18 words): same layout
       * up to DataDisplacement */
      if (wc < 18 || wa < 35) {
        m->anomalies |= WD_SMB_ANOM_BAD_WORDCOUNT;
        break;
      }
      tx->total_param = le32(w + 3);
      tx->total_data = le32(w + 7);
      tx->param_count = le32(w + 11);
      tx->param_offset = le32(w + 15);
      tx->param_disp = le32(w + 19);
      tx->data_count = le32(w + 23);
      tx->data_offset = le32(w + 27);
      tx->data_disp = le32(w + 31);
      if (resp && wa >= 36)
        tx->setup_count = w[35];
    }
    break;
  case WD_SMB1_TREE_CONNECT_ANDX:
    if (resp || wc < 4 || wa < 8 || !m->byte_count_present)
      break;
    {
      uint32_t b0 = off + 1 + 2 * wc + 2; /* first data byte */
      uint32_t bend = min32(have, b0 + m->byte_count);
      uint32_t ps = b0 + le16(w + 6); /* after the password */
      bool uni = (m->flags2 & 0x8000) != 0;
      if (uni && (ps & 1))
        ps++; /* Unicode strings are 2-aligned from the header */
      if (ps < bend)
        path_copy(m, p + ps, bend - ps, uni);
    }
    break;
  default:
    break;
  }

  if (tx->present && !resp && !tx->secondary &&
      (tx->param_count < tx->total_param || tx->data_count < tx->total_data))
    m->anomalies |= WD_SMB_ANOM_TOTAL_GT_SENT;
  if (tx->present &&
      ((tx->param_count &&
        (uint64_t)tx->param_offset + tx->param_count > unit_len) ||
       (tx->data_count &&
        (uint64_t)tx->data_offset + tx->data_count > unit_len)))
    m->anomalies |= WD_SMB_ANOM_COUNT_BEYOND_MSG;
  if (tx->present && !tx->secondary && !resp &&
      (tx->param_count > tx->total_param || tx->data_count > tx->total_data))
    m->anomalies |= WD_SMB_ANOM_DISP_BEYOND_TOTAL;
}

static void smb1_emit(wd_smb_conn_t *c, wd_smb_msg_t *m, const uint8_t *p,
                      uint32_t have, uint32_t unit_len, wd_smb_msg_fn fn,
                      void *user) {
  m->version = WD_SMB_V1;
  if (m->nb_len > SMB1_LEN_MAX)
    m->anomalies |= WD_SMB_ANOM_OVERSIZE;
  if (have < 32) {
    m->anomalies |= WD_SMB_ANOM_TRUNCATED;
    if (have >= 5)
      m->command = p[4];
    STAT(c, smb1);
    STAT(c, messages);
    STAT(c, anomalies);
    fn(user, m);
    return;
  }
  m->status = le32(p + 5);
  m->flags = p[9];
  m->flags2 = le16(p + 10);
  m->pid = ((uint32_t)le16(p + 12) << 16) | le16(p + 26);
  memcpy(m->signature, p + 14, 8);
  m->tid = le16(p + 24);
  m->uid = le16(p + 28);
  m->mid = le16(p + 30);
  m->is_response = (m->flags & 0x80) != 0;
  uint32_t base_anom = m->anomalies;
  uint32_t off = 32;
  uint8_t cmd = p[4];
  for (unsigned idx = 0;; idx++) {
    m->andx_index = (uint8_t)idx;
    m->command = cmd;
    m->anomalies = base_anom;
    m->word_count = 0;
    m->byte_count = 0;
    m->byte_count_present = false;
    memset(&m->tx, 0, sizeof m->tx);
    m->path[0] = '\0';
    bool more = false;
    uint32_t noff = 0;
    uint8_t next = 0xff;
    if (off + 1 > have) {
      m->anomalies |= (off + 1 > unit_len) ? WD_SMB_ANOM_BAD_WORDCOUNT
                                           : WD_SMB_ANOM_TRUNCATED;
    } else {
      smb1_command(m, p, have, off, unit_len);
      if (m->path[0])
        memcpy(c->tree, m->path, sizeof c->tree);
      uint32_t wc = p[off];
      if (is_andx(cmd) && wc >= 2 && off + 5 <= have) {
        next = p[off + 1];
        noff = le16(p + off + 3);
        if (next != 0xff) {
          if (noff <= off || noff >= unit_len || idx + 1 >= WD_SMB_ANDX_MAX)
            m->anomalies |= WD_SMB_ANOM_BAD_ANDX;
          else if (noff >= have)
            m->anomalies |= WD_SMB_ANOM_TRUNCATED; /* beyond the prefix */
          else
            more = true;
        }
      }
    }
    if (idx == 0)
      track(c, m);
    STAT(c, messages);
    if (idx == 0)
      STAT(c, smb1);
    if (m->anomalies)
      STAT(c, anomalies);
    fn(user, m);
    if (!more)
      break;
    off = noff;
    cmd = next;
  }
}

/* ---- SMB2 / SMB3 -------------------------------------------------------- */

static uint32_t smb2_required(const uint8_t *p, uint32_t have) {
  if (have < 64)
    return 64;
  /* NEGOTIATE response: DialectRevision at 64 + 4 */
  if (le16(p + 12) == 0 && (le32(p + 16) & 1))
    return 64 + 6;
  /* TREE_CONNECT request: PathOffset, PathLength at 64 + 4, then the path
     (MS-SMB2 2.2.9); the caller caps this at WD_SMB_PREFIX_MAX */
  if (le16(p + 12) == WD_SMB2_TREE_CONNECT && !(le32(p + 16) & 1)) {
    if (have < 64 + 8)
      return 64 + 8;
    uint32_t end = (uint32_t)le16(p + 64 + 4) + le16(p + 64 + 6);
    return end > 64 + 8 ? end : 64 + 8;
  }
  return 64;
}

/* The UTF-16LE share path of an SMB2 TREE_CONNECT request into m->path.
 * The offset counts from the SMB2 header; a path beyond what is held is
 * cut (the prefix holds WD_SMB_PREFIX_MAX bytes, paths are short). */
static void smb2_tree_path(wd_smb_msg_t *m, const uint8_t *p, uint32_t have,
                           uint32_t unit_len) {
  if (have < 64 + 8 || le16(p + 64) != 9)
    return;
  uint32_t off = le16(p + 64 + 4), len = le16(p + 64 + 6);
  if (len == 0)
    return;
  if (off < 64 + 8 || (uint64_t)off + len > unit_len) {
    m->anomalies |= WD_SMB_ANOM_COUNT_BEYOND_MSG;
    return;
  }
  if (off >= have) {
    m->anomalies |= WD_SMB_ANOM_TRUNCATED;
    return;
  }
  path_copy(m, p + off, min32(len, have - off), true);
}

/* Returns the offset of the next compound element relative to this one, 0
 * when none. */
static uint32_t smb2_emit(wd_smb_conn_t *c, wd_smb_msg_t *m, const uint8_t *p,
                          uint32_t have, uint32_t unit_len, wd_smb_msg_fn fn,
                          void *user) {
  uint32_t next = 0;
  m->version = WD_SMB_V2;
  if (have < 64) {
    m->anomalies |= WD_SMB_ANOM_TRUNCATED;
  } else {
    m->structure_size = le16(p + 4);
    m->status = le32(p + 8);
    m->command = le16(p + 12);
    m->credits = le16(p + 14);
    m->smb2_flags = le32(p + 16);
    next = le32(p + 20);
    m->msg_id = le64(p + 24);
    if (!(m->smb2_flags & 2)) /* SMB2_FLAGS_ASYNC_COMMAND */
      m->tree_id = le32(p + 36);
    m->session_id = le64(p + 40);
    memcpy(m->signature, p + 48, 8);
    m->is_response = (m->smb2_flags & 1) != 0;
    if (m->structure_size != 64)
      m->anomalies |= WD_SMB_ANOM_SMB2_BAD_HEADER;
    if (m->command == 0 && m->is_response && have >= 70 &&
        m->status == WD_SMB_STATUS_SUCCESS)
      c->dialect = le16(p + 68);
    if (m->command == WD_SMB2_TREE_CONNECT && !m->is_response) {
      smb2_tree_path(m, p, have, unit_len);
      if (m->path[0])
        memcpy(c->tree, m->path, sizeof c->tree);
    }
    if (next != 0 && (next < 64 || (next & 7) || next >= unit_len)) {
      m->anomalies |= WD_SMB_ANOM_SMB2_BAD_HEADER;
      next = 0;
    }
  }
  m->dialect = c->dialect;
  STAT(c, messages);
  STAT(c, smb2);
  if (m->anomalies)
    STAT(c, anomalies);
  fn(user, m);
  return next;
}

static void smb3_transform_emit(wd_smb_conn_t *c, wd_smb_msg_t *m,
                                const uint8_t *p, uint32_t have,
                                wd_smb_msg_fn fn, void *user) {
  m->version = WD_SMB_V3_TRANSFORM;
  if (have >= 52)
    m->session_id = le64(p + 44);
  else
    m->anomalies |= WD_SMB_ANOM_TRUNCATED;
  m->dialect = c->dialect;
  STAT(c, messages);
  STAT(c, smb3_encrypted);
  fn(user, m);
}

/* ---- framing ------------------------------------------------------------ */

static bool magic_ok(const uint8_t *p) {
  return (p[0] == 0xff || p[0] == 0xfe || p[0] == 0xfd || p[0] == 0xfc) &&
         p[1] == 'S' && p[2] == 'M' && p[3] == 'B';
}

static void start_message(wd_smb_dir_t *d, uint32_t len) {
  d->nb_len = len;
  d->pos = 0;
  d->unit_off = 0;
  d->unit_next = 0;
  d->units = 0;
  d->pre_len = 0;
  d->need = (uint16_t)min32(4, len);
  d->hdr_len = 0;
  d->state = len ? S_PREFIX : S_HDR;
}

static void enter_resync(wd_smb_dir_t *d) {
  d->state = S_RESYNC;
  d->hdr_len = 0;
  d->pre_len = 0;
}

/* The current element is done: next compound element or next message. */
static void end_unit(wd_smb_dir_t *d) {
  if (d->unit_next && d->unit_next < d->nb_len &&
      d->units < WD_SMB2_COMPOUND_MAX) {
    d->unit_off = d->unit_next;
    d->unit_next = 0;
    d->pre_len = 0;
    d->need = (uint16_t)min32(4, d->nb_len - d->unit_off);
    d->state = S_PREFIX;
    return;
  }
  d->state = S_HDR;
  d->hdr_len = 0;
  d->flags = 0;
}

/* Decodes the element held in pre once enough is there. Returns the bytes
 * still wanted (> pre_len), 0 when the element is done (state set to skip
 * the rest), or -1 when it is not SMB. */
static long decode_unit(wd_smb_conn_t *c, wd_smb_dir_t *d, uint64_t ts,
                        wd_smb_msg_fn fn, void *user) {
  uint32_t unit_len = d->nb_len - d->unit_off;
  uint32_t cap = min32(unit_len, WD_SMB_PREFIX_MAX);
  uint32_t have = d->pre_len;
  const uint8_t *p = d->pre;
  if (have < 4) {
    if (have < cap)
      return 4;
    STAT(c, not_smb); /* a message too short for any magic */
    d->skip = d->nb_len - d->pos;
    d->state = S_SKIP;
    return 0;
  }
  if (!magic_ok(p))
    return -1;
  uint32_t req;
  switch (p[0]) {
  case 0xff:
    req = smb1_required(p, have, unit_len);
    break;
  case 0xfe:
    req = smb2_required(p, have);
    break;
  case 0xfd:
    req = 52;
    break;
  default:
    req = 4;
    break;
  }
  req = min32(req, cap);
  if (req > have)
    return (long)req;

  wd_smb_msg_t m;
  memset(&m, 0, sizeof m);
  m.ts_ns = ts;
  m.nb_type = d->nb_type;
  m.nb_len = d->nb_len;
  m.offset = d->unit_off;
  m.bytes = p;
  m.bytes_len = have;
  m.tree = c->tree;
  if (d->flags & F_AFTER_GAP)
    m.anomalies |= WD_SMB_ANOM_AFTER_GAP;
  uint32_t next = 0;
  switch (p[0]) {
  case 0xff:
    smb1_emit(c, &m, p, have, unit_len, fn, user);
    break;
  case 0xfe:
    next = smb2_emit(c, &m, p, have, unit_len, fn, user);
    break;
  case 0xfd:
    smb3_transform_emit(c, &m, p, have, fn, user);
    break;
  default:
    m.version = WD_SMB_V2_COMPRESSED;
    m.dialect = c->dialect;
    STAT(c, messages);
    STAT(c, smb2_compressed);
    fn(user, &m);
    break;
  }
  d->units++;
  d->unit_next = next ? d->unit_off + next : 0;
  if (d->unit_next && d->unit_next < d->pos)
    d->unit_next = 0; /* a compound element inside what was read */
  uint32_t end = d->unit_next ? d->unit_next : d->nb_len;
  d->skip = end - d->pos; /* pos <= unit_off + cap <= end */
  d->state = S_SKIP;
  return 0;
}

/* Checks the NetBIOS header in d->hdr; sets up the message or resyncs. */
static void header_done(wd_smb_conn_t *c, wd_smb_dir_t *d) {
  const uint8_t *h = d->hdr;
  uint8_t type = h[0];
  uint32_t len17 = ((uint32_t)(h[1] & 1) << 16) | ((uint32_t)h[2] << 8) | h[3];
  d->nb_type = type;
  if (type == 0x00) {
    if (c->nbss && (h[1] & 0xfe)) {
      STAT(c, bad_framing);
      enter_resync(d);
      return;
    }
    uint32_t len =
        c->nbss ? len17 : ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    start_message(d, len);
    return;
  }
  if (type >= 0x81 && type <= 0x85 && !(h[1] & 0xfe)) {
    /* session request/responses, retarget, keepalive: skip the body */
    STAT(c, netbios_control);
    d->nb_len = len17;
    d->pos = 0;
    d->unit_next = 0;
    d->skip = len17;
    d->state = S_SKIP;
    d->hdr_len = 0;
    return;
  }
  STAT(c, bad_framing);
  enter_resync(d);
}

/* Feeds resync bytes; returns how many were consumed. On a match the
 * message is set up with its 4 magic bytes already in pre. */
static size_t resync(wd_smb_conn_t *c, wd_smb_dir_t *d, const uint8_t *data,
                     size_t len) {
  size_t used = 0;
  while (used < len) {
    if (d->hdr_len == 0) {
      const uint8_t *z = memchr(data + used, 0, len - used);
      if (!z) {
        if (c->stats)
          c->stats->skipped_bytes += len - used;
        return len;
      }
      if (c->stats)
        c->stats->skipped_bytes += (size_t)(z - (data + used));
      used = (size_t)(z - data);
    }
    d->hdr[d->hdr_len++] = data[used++];
    if (d->hdr_len < 8)
      continue;
    const uint8_t *h = d->hdr;
    uint32_t len24 = ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    bool ok = h[0] == 0 && magic_ok(h + 4) && (!c->nbss || !(h[1] & 0xfe)) &&
              len24 >= RESYNC_MIN_LEN;
    if (ok) {
      STAT(c, resyncs);
      d->nb_type = 0;
      start_message(d, len24);
      memcpy(d->pre, h + 4, 4);
      d->pre_len = 4;
      d->pos = 4;
      d->flags = 0;
      return used;
    }
    /* slide by one, keep the window starting at the next zero byte */
    uint8_t k = 1;
    while (k < 8 && h[k] != 0)
      k++;
    memmove(d->hdr, d->hdr + k, (size_t)(8 - k));
    d->hdr_len = (uint8_t)(8 - k);
    if (c->stats)
      c->stats->skipped_bytes += k;
  }
  return used;
}

wd_rc wd_smb_conn_feed(wd_smb_conn_t *c, int dir, const uint8_t *data,
                       size_t len, uint64_t ts_ns, wd_smb_msg_fn fn,
                       void *user) {
  wd_smb_dir_t *d = &c->d[dir ? 1 : 0];
  for (;;) {
    switch (d->state) {
    case S_HDR: {
      if (len == 0)
        goto out;
      size_t take = 4u - d->hdr_len;
      if (take > len)
        take = len;
      memcpy(d->hdr + d->hdr_len, data, take);
      d->hdr_len = (uint8_t)(d->hdr_len + take);
      data += take;
      len -= take;
      if (d->hdr_len < 4)
        goto out;
      header_done(c, d);
      break;
    }
    case S_PREFIX: {
      if (d->pre_len < d->need) {
        if (len == 0)
          goto out;
        size_t take = (size_t)(d->need - d->pre_len);
        if (take > len)
          take = len;
        memcpy(d->pre + d->pre_len, data, take);
        d->pre_len = (uint16_t)(d->pre_len + take);
        d->pos += (uint32_t)take;
        data += take;
        len -= take;
        if (d->pre_len < d->need)
          goto out;
      }
      long r = decode_unit(c, d, ts_ns, fn, user);
      if (r > 0) {
        d->need = (uint16_t)r;
      } else if (r < 0) {
        STAT(c, not_smb);
        enter_resync(d);
      }
      break;
    }
    case S_SKIP: {
      if (d->skip) {
        if (len == 0)
          goto out;
        size_t take = d->skip < len ? d->skip : len;
        d->skip -= (uint32_t)take;
        d->pos += (uint32_t)take;
        if (c->stats)
          c->stats->skipped_bytes += take;
        data += take;
        len -= take;
        if (d->skip)
          goto out;
      }
      end_unit(d);
      break;
    }
    case S_RESYNC:
    default: {
      if (len == 0)
        goto out;
      size_t used = resync(c, d, data, len);
      data += used;
      len -= used;
      break;
    }
    }
  }
out:
  return (d->state == S_HDR && d->hdr_len == 0) ? WD_OK : WD_AGAIN;
}

void wd_smb_conn_gap(wd_smb_conn_t *c, int dir, uint32_t nbytes) {
  wd_smb_dir_t *d = &c->d[dir ? 1 : 0];
  STAT(c, gaps);
  if (nbytes && d->state == S_SKIP && nbytes <= d->skip) {
    /* inside a body: the framing survives */
    d->skip -= nbytes;
    d->pos += nbytes;
    d->flags |= F_AFTER_GAP;
    return;
  }
  if (nbytes && d->state == S_PREFIX && (uint64_t)d->pos + nbytes < d->nb_len &&
      d->unit_next == 0) {
    /* the element's header lost part of its bytes: give it up, keep the
     * framing */
    d->pos += nbytes;
    d->skip = d->nb_len - d->pos;
    d->flags |= F_AFTER_GAP;
    d->state = S_SKIP;
    return;
  }
  enter_resync(d);
}

typedef struct decode_ctx {
  wd_smb_msg_fn fn;
  void *user;
  unsigned n;
} decode_ctx;

static void decode_cb(void *user, const wd_smb_msg_t *m) {
  decode_ctx *x = user;
  x->n++;
  if (x->fn)
    x->fn(x->user, m);
}

wd_rc wd_smb_decode(const uint8_t *data, size_t len, wd_smb_msg_fn fn,
                    void *user) {
  if (len < 8 || data[0] != 0 || !magic_ok(data + 4))
    return WD_ERR_INVAL;
  wd_smb_conn_t conn; /* a few KiB of stack */
  decode_ctx x = {fn, user, 0};
  wd_smb_conn_init(&conn, false, NULL);
  uint32_t nb = ((uint32_t)data[1] << 16) | ((uint32_t)data[2] << 8) | data[3];
  if (len > (size_t)nb + 4)
    len = (size_t)nb + 4;
  wd_rc rc = wd_smb_conn_feed(&conn, 0, data, len, 0, decode_cb, &x);
  if (x.n == 0 && rc == WD_OK)
    return WD_ERR_INVAL;
  return rc;
}
