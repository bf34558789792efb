/* smb_doublepulsar.c -- smb.doublepulsar: the DoublePulsar kernel implant
 * answering its controller over SMBv1, and probes for it.
 * In: parsed SMB messages (on_smb), flow ends, ticks. Out: one attack per
 * (controller, host) pair. DoublePulsar hooks the reserved, unimplemented
 * TRANSACTION2 SESSION_SETUP (0x000e) subcommand: the controller's request
 * carries an opcode in the sum of its Timeout bytes (0x23 ping, 0xc8 exec,
 * 0x77 kill) and the implant answers STATUS_NOT_IMPLEMENTED with the
 * request's MID + 16 (success), + 17 (bad parameters) or + 18 (allocation
 * failure). A server never changes a MID, so such an answer means the
 * implant is present: host compromised, severity 1. The same request
 * answered with its own MID is a probe of a clean host (reported as
 * information gathering, severity 3); a later implant answer escalates the
 * same attack with an immediate UPDATE. The parser links a response to the
 * request it answers even when the MID changed (WD_SMB_ANOM_RESP_UNMATCHED,
 * tx.req_*), so this detector keeps no per-request state.
 * Memory: the shared SMB attack table (smb_attack.c, a wd_table under
 * detect.memcap). */
#include "detect/smb_attack_int.h"
#include "proto/smb.h"

extern const wd_detector_t wd_detector_doublepulsar;

enum { OP_PING = 0x23, OP_EXEC = 0xc8, OP_KILL = 0x77 };

typedef struct dp_attack {
  smb_atk h;
  uint32_t requests;        /* TRANS2 SESSION_SETUP requests */
  uint32_t implant_replies; /* answered with MID + 16..18 */
  uint32_t clean_replies;   /* answered with the request's MID */
  uint32_t exec_requests;   /* opcode exec (payload upload) */
  uint32_t kill_requests;   /* opcode kill (uninstall) */
  uint16_t last_delta;      /* MID delta of the latest implant reply */
  uint8_t last_opcode;      /* Timeout byte sum of the latest request */
  bool implant;
} dp_attack;

static uint8_t opcode_of(uint32_t timeout) {
  return (uint8_t)((timeout & 0xff) + ((timeout >> 8) & 0xff) +
                   ((timeout >> 16) & 0xff) + (timeout >> 24));
}

static const char *opcode_name(uint8_t op) {
  switch (op) {
  case OP_PING:
    return "ping";
  case OP_EXEC:
    return "exec";
  case OP_KILL:
    return "kill";
  default:
    return "unknown";
  }
}

static void fill(const void *val, wd_alert_t *a, char *buf, size_t n) {
  const dp_attack *v = val;
  (void)buf;
  (void)n;
  wd_alert_sign(a, &wd_detector_doublepulsar.sigs[v->implant ? 0 : 1]);
  wd_alert_add_str(a, "verdict", v->implant ? "implant-present" : "no-implant");
  wd_alert_add_bool(a, "implant", v->implant);
  wd_alert_add_u64(a, "requests", v->requests);
  wd_alert_add_u64(a, "implant_replies", v->implant_replies);
  wd_alert_add_u64(a, "clean_replies", v->clean_replies);
  if (v->implant)
    wd_alert_add_u64(a, "reply_mid_delta", v->last_delta);
  wd_alert_add_str(a, "opcode", opcode_name(v->last_opcode));
  wd_alert_add_u64(a, "exec_requests", v->exec_requests);
  wd_alert_add_u64(a, "kill_requests", v->kill_requests);
}

/* The detect.doublepulsar keys. */
typedef struct doublepulsar_conf {
  bool enabled;
} doublepulsar_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(doublepulsar_conf, "detect.doublepulsar.enabled", enabled,
                "true", "DoublePulsar implant probes and answers"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(doublepulsar_conf, conf_rows, NULL);

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return smb_atk_create(&wd_detector_doublepulsar, sizeof(dp_attack), cfg, mc,
                        fill, state);
}

static void on_smb(void *state, const wd_detect_ctx_t *ctx,
                   const struct wd_smb_msg *m, const wd_flow_t *f, int dir) {
  smb_atk_set *s = state;
  if (m->version != WD_SMB_V1 || m->command != WD_SMB1_TRANSACTION2)
    return;
  const wd_smb_tx_info_t *tx = &m->tx;
  wd_addr_t from, to;
  uint16_t fport, tport;
  smb_atk_ends(f, dir, &from, &fport, &to, &tport);

  if (!m->is_response) {
    if (tx->subcommand != WD_SMB_TRANS2_SESSION_SETUP)
      return;
    /* counted on an attack already reported; the verdict needs the answer */
    dp_attack *v = smb_atk_get(s, &from, &to, m->ts_ns, false);
    if (!v)
      return;
    smb_atk_touch(&v->h, f, fport, tport, m);
    v->requests++;
    v->last_opcode = opcode_of(tx->timeout);
    if (v->last_opcode == OP_EXEC)
      v->exec_requests++;
    else if (v->last_opcode == OP_KILL)
      v->kill_requests++;
    v->h.dirty = true;
    return;
  }

  /* responses: `from` is the host, `to` the controller */
  bool implant = (m->anomalies & WD_SMB_ANOM_RESP_UNMATCHED) &&
                 tx->req_linked && tx->req_sub == WD_SMB_TRANS2_SESSION_SETUP &&
                 tx->mid_delta >= 16 && tx->mid_delta <= 18;
  bool clean = !implant && tx->primary_cmd == WD_SMB1_TRANSACTION2 &&
               tx->primary_sub == WD_SMB_TRANS2_SESSION_SETUP &&
               !(m->anomalies & WD_SMB_ANOM_RESP_UNMATCHED);
  if (!implant && !clean)
    return;
  dp_attack *v = smb_atk_get(s, &to, &from, m->ts_ns, true);
  if (!v)
    return;
  smb_atk_touch(&v->h, f, tport, fport, m);
  bool fresh = !wd_attack_is_open(&v->h.a);
  if (fresh) {
    /* the request that opened it was not counted yet */
    uint32_t timeout = implant ? tx->req_timeout : tx->primary_timeout;
    v->requests++;
    v->last_opcode = opcode_of(timeout);
    if (v->last_opcode == OP_EXEC)
      v->exec_requests++;
    else if (v->last_opcode == OP_KILL)
      v->kill_requests++;
  }
  v->h.dirty = true;
  if (implant) {
    v->implant_replies++;
    v->last_delta = tx->mid_delta;
    if (!v->implant) {
      v->implant = true;
      v->h.escalate = true;
    }
  } else {
    v->clean_replies++;
  }
  smb_atk_report(s, ctx, &v->h, &to, &from, m->ts_ns);
}

static const wd_detector_sig_t sigs[] = {
    {2100101,
     "SMB DoublePulsar implant present (reply MID shifted by the implant)",
     "backdoor", 1, "intrusions", "system-compromise"},
    {2100102, "SMB DoublePulsar probe (host answered normally: no implant)",
     "probe", 3, "information-gathering", "scanner"},
};

/* The implant is planted through the MS17-010 flaws: their fix is the
 * remedy. */
static const wd_detector_ref_t refs[] = {
    WD_CVE("CVE-2017-0144", "SMBv1 remote code execution (EternalBlue), "
                            "through which DoublePulsar is planted"),
    SMB_ATK_BULLETIN,
};

const wd_detector_t wd_detector_doublepulsar = {
    WD_DETECTOR_ID("smb.doublepulsar", WD_LINE_EXPLOIT,
                   "the DoublePulsar implant answering (or not) its SMB ping"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    WD_DETECTOR_KEYS(conf_keys),
    .create = create,
    .on_smb = on_smb,
    SMB_ATK_HOOKS,
    .cost = 2,
};
