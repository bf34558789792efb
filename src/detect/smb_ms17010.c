/* smb_ms17010.c -- smb.ms17-010: exploitation of the SMBv1 flaws fixed by
 * MS17-010 (EternalBlue, EternalRomance/Synergy, EternalChampion) and the
 * vulnerability checks scanners send for it.
 * In: parsed SMB messages (on_smb) with the parser's anomaly flags, flow
 * ends, ticks. Out: one attack per (attacker, target) pair: START at the
 * first exploitation attempt (or check verdict), an UPDATE as soon as the
 * target's answer shows it vulnerable or patched or a DoublePulsar implant
 * answers after an attempt (success), periodic UPDATEs while attempts go
 * on, END after quiet. Evidence is protocol behaviour, never tool bytes:
 *  - transaction type confusion: a secondary of another type than its
 *    primary (TRANSACTION2_SECONDARY continuing an NT_TRANSACT is
 *    EternalBlue: it lets a 32-bit NT total reach the TRANS2 FEA code);
 *  - WRITE_ANDX on the MID of an open TRANSACTION (EternalRomance/Synergy
 *    make the server write into the transaction's buffer);
 *    The attacker's messages are the attempt whatever the server answers:
 *    a patched server refusing the incomplete primary does not stop the
 *    exploit from sending the secondaries (the parser keeps the refused
 *    transaction linked, tx.primary_status);
 *  - a burst of orphan TRANSACTION2_SECONDARY messages on one MID (primary
 *    not seen: capture started late or lost it) that place their data
 *    beyond their own declared TotalDataCount, which no genuine
 *    transaction does;
 *  - NT_TRANSACT_SECONDARY continuing an NT_TRANSACT_RENAME, a reserved,
 *    unimplemented function: the rename stage EternalSynergy and
 *    EternalChampion share (named by what follows: a TRANSACTION2_SECONDARY
 *    writing into the rename transaction is EternalSynergy, a secondary on
 *    the MID of an already complete TRANSACTION2 is EternalChampion's race);
 *  - a transaction answer beyond its request's MaxDataCount (server memory
 *    leaked: EternalRomance on a pipe TRANSACTION, the rename stage on an
 *    NT_TRANSACT): vulnerable;
 *  - answers: the server answering the confused transaction with
 *    STATUS_INVALID_PARAMETER (it processed it: vulnerable), with another
 *    error, or refusing the primary before the secondaries (patched), the
 * PeekNamedPipe-on-FID-0 check answered STATUS_INSUFF_SERVER_RESOURCES
 * (vulnerable) or ACCESS_DENIED / INVALID_HANDLE (patched), and a DoublePulsar
 * implant reply (MID + 16..18) from the target after an attempt: the attempt
 * succeeded. Memory: the shared SMB attack table (smb_attack.c, a wd_table
 * under detect.memcap). */
#include <stdio.h>
#include <string.h>

#include "detect/smb_attack_int.h"
#include "proto/smb.h"

extern const wd_detector_t wd_detector_ms17010;

#define ATTEMPTS_KEPT 4
/* Self-inconsistent orphan TRANS2 secondaries on one MID that make an
 * attempt: one could be a damaged message, a run of them is deliberate
 * (EternalBlue sends 10 to 16 of 4096 bytes). */
#define ORPHAN_BURST 4

enum {
  V_ETERNALBLUE = 1u << 0,
  V_TYPE_CONFUSION = 1u << 1,
  V_ROMANCE = 1u << 2,
  V_CHAMPION = 1u << 3,
  V_ORPHAN = 1u << 4,
  V_SYNERGY = 1u << 5,
  V_RENAME_LEAK = 1u << 6, /* the NT_TRANSACT_RENAME stage that
                              EternalSynergy and EternalChampion share */
  V_LEAK = 1u << 7         /* another answer beyond MaxDataCount */
};

enum { OUT_UNKNOWN = 0, OUT_PATCHED, OUT_VULNERABLE };

enum { SIG_ATTEMPT, SIG_SUCCEEDED, SIG_CHECK };

typedef struct attempt {
  uint64_t flow_id;
  uint32_t pid;
  uint16_t mid;
  uint32_t num;   /* 1-based attempt number */
  uint8_t answer; /* 0 none, 1 overflow answered, 2 rejected */
  bool orphan;    /* primary not seen: answers prove nothing */
} attempt;

typedef struct ms_attack {
  smb_atk h;
  uint32_t attempts;
  uint32_t variants;
  uint32_t overflow_answers; /* STATUS_INVALID_PARAMETER to a confused tx */
  uint32_t rejected;         /* other error answers to attempts */
  uint32_t checks, checks_vulnerable, checks_patched;
  uint32_t leaks;          /* answers beyond their request's MaxDataCount */
  uint32_t implant_checks; /* DoublePulsar pings answered "no implant" */
  uint32_t grooming;       /* malformed SMB2 headers from the attacker */
  uint32_t max_declared;   /* largest declared TotalDataCount */
  uint32_t orphan_end;     /* largest data end of orphan secondaries */
  uint32_t succeeded_attempt;
  uint8_t outcome;
  bool compromised;
  uint8_t next_att;
  attempt att[ATTEMPTS_KEPT]; /* the latest attempts (ring) */
} ms_attack;

static const char *outcome_name(uint8_t o) {
  return o == OUT_VULNERABLE ? "vulnerable"
         : o == OUT_PATCHED  ? "patched"
                             : "unknown";
}

static void fill(const void *val, wd_alert_t *a, char *buf, size_t n) {
  const ms_attack *v = val;
  const wd_detector_sig_t *sigs = wd_detector_ms17010.sigs;
  if (v->compromised) {
    wd_alert_sign(a, &sigs[SIG_SUCCEEDED]);
  } else if (v->attempts || v->leaks) {
    wd_alert_sign(a, &sigs[SIG_ATTEMPT]);
  } else {
    wd_alert_sign(a, &sigs[SIG_CHECK]);
    if (v->outcome == OUT_VULNERABLE)
      a->severity = 2; /* a vulnerable host was found */
  }
  /* The rename stage names no family on its own; with what followed it
   * the family is known. */
  bool rename_only = (v->variants & V_RENAME_LEAK) &&
                     !(v->variants & (V_SYNERGY | V_CHAMPION));
  snprintf(buf, n, "%s%s%s%s%s%s%s%s",
           (v->variants & V_ETERNALBLUE) ? "eternalblue," : "",
           (v->variants & V_ROMANCE) ? "eternalromance," : "",
           (v->variants & V_SYNERGY) ? "eternalsynergy," : "",
           (v->variants & V_CHAMPION) ? "eternalchampion," : "",
           rename_only ? "eternalsynergy-or-champion," : "",
           (v->variants & V_TYPE_CONFUSION) ? "type-confusion," : "",
           (v->variants & V_LEAK) ? "info-leak," : "",
           (v->variants & V_ORPHAN) ? "orphan-secondaries," : "");
  size_t l = strlen(buf);
  if (l)
    buf[l - 1] = '\0';
  else
    snprintf(buf, n, "check");
  wd_alert_add_str(a, "variant", buf);
  wd_alert_add_u64(a, "attempts", v->attempts);
  wd_alert_add_str(a, "outcome", outcome_name(v->outcome));
  wd_alert_add_bool(a, "compromised", v->compromised);
  if (v->compromised)
    wd_alert_add_u64(a, "succeeded_attempt", v->succeeded_attempt);
  wd_alert_add_u64(a, "overflow_answers", v->overflow_answers);
  wd_alert_add_u64(a, "rejected_answers", v->rejected);
  wd_alert_add_u64(a, "connections_open", v->h.nflows);
  if (v->max_declared)
    wd_alert_add_u64(a, "max_declared_data", v->max_declared);
  if (v->orphan_end)
    wd_alert_add_u64(a, "orphan_data_end", v->orphan_end);
  if (v->grooming)
    wd_alert_add_u64(a, "grooming_messages", v->grooming);
  if (v->checks) {
    wd_alert_add_u64(a, "vuln_checks", v->checks);
    wd_alert_add_u64(a, "vuln_checks_vulnerable", v->checks_vulnerable);
    wd_alert_add_u64(a, "vuln_checks_patched", v->checks_patched);
  }
  if (v->implant_checks)
    wd_alert_add_u64(a, "implant_checks", v->implant_checks);
  if (v->leaks)
    wd_alert_add_u64(a, "leak_answers", v->leaks);
}

/* The detect.ms17010 keys. */
typedef struct ms17010_conf {
  bool enabled;
} ms17010_conf;

static const wd_config_key_t conf_rows[] = {
    WD_KEY_BOOL(ms17010_conf, "detect.ms17010.enabled", enabled, "true",
                "EternalBlue (MS17-010) exploit attempts in SMBv1"),
};

static const wd_config_keyset_t conf_keys =
    WD_DETECTOR_KEYSET(ms17010_conf, conf_rows, NULL);

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  return smb_atk_create(&wd_detector_ms17010, sizeof(ms_attack), cfg, mc, fill,
                        state);
}

static attempt *find_attempt(ms_attack *v, uint64_t flow_id, uint32_t pid,
                             uint16_t mid) {
  for (unsigned i = 0; i < ATTEMPTS_KEPT; i++) {
    attempt *t = &v->att[i];
    if (t->num && t->flow_id == flow_id && t->pid == pid && t->mid == mid)
      return t;
  }
  return NULL;
}

static void set_outcome(ms_attack *v, uint8_t o) {
  if (o > v->outcome) { /* vulnerable beats patched beats unknown */
    v->outcome = o;
    v->h.escalate = true;
  }
}

/* An exploitation attempt by `from` against `to` on this transaction. */
static void on_attempt(smb_atk_set *s, const wd_detect_ctx_t *ctx,
                       const wd_smb_msg_t *m, const wd_flow_t *f,
                       const wd_addr_t *from, uint16_t fport,
                       const wd_addr_t *to, uint16_t tport, uint32_t variant) {
  ms_attack *v = smb_atk_get(s, from, to, m->ts_ns, true);
  if (!v)
    return;
  smb_atk_touch(&v->h, f, fport, tport, m);
  if (m->tx.primary_total_data > v->max_declared)
    v->max_declared = m->tx.primary_total_data;
  if (m->tx.orphan_max_end > v->orphan_end)
    v->orphan_end = m->tx.orphan_max_end;
  attempt *t = find_attempt(v, f->id, m->pid, m->mid);
  if (!t) {
    t = &v->att[v->next_att];
    v->next_att = (uint8_t)((v->next_att + 1) % ATTEMPTS_KEPT);
    t->flow_id = f->id;
    t->pid = m->pid;
    t->mid = m->mid;
    t->num = ++v->attempts;
    t->answer = 0;
    t->orphan = (variant == V_ORPHAN);
    v->h.dirty = true;
  }
  if (t->answer == 0 && m->tx.primary_status != WD_SMB_STATUS_SUCCESS) {
    /* the server refused the primary already: the secondaries are sent
     * into a transaction it dropped (patched, or not exploitable) */
    t->answer = 2;
    v->rejected++;
    set_outcome(v, OUT_PATCHED);
  }
  if (!(v->variants & variant)) {
    v->variants |= variant;
    v->h.dirty = true;
  }
  smb_atk_report(s, ctx, &v->h, from, to, m->ts_ns);
}

static void on_smb(void *state, const wd_detect_ctx_t *ctx,
                   const struct wd_smb_msg *m, const wd_flow_t *f, int dir) {
  smb_atk_set *s = state;
  if (m->version != WD_SMB_V1 && m->version != WD_SMB_V2)
    return;
  wd_addr_t from, to;
  uint16_t fport, tport;
  smb_atk_ends(f, dir, &from, &fport, &to, &tport);
  const wd_smb_tx_info_t *tx = &m->tx;

  if (m->version == WD_SMB_V2) {
    /* grooming: SMB2 headers that no client sends, from an attacker */
    if (!m->is_response && (m->anomalies & WD_SMB_ANOM_SMB2_BAD_HEADER)) {
      ms_attack *v = smb_atk_get(s, &from, &to, m->ts_ns, false);
      if (v) {
        v->grooming++;
        v->h.dirty = true;
      }
    }
    return;
  }

  if (!m->is_response) {
    if (m->andx_index == 0 && (m->anomalies & WD_SMB_ANOM_SECONDARY_MISMATCH)) {
      /* TRANS2 secondaries continuing an NT transaction: EternalBlue's
       * (function 0, totals the FEA code misreads), EternalSynergy's
       * out-of-bounds write (a rename transaction) */
      uint32_t var = V_TYPE_CONFUSION;
      if (tx->primary_cmd == WD_SMB1_NT_TRANSACT &&
          m->command == WD_SMB1_TRANSACTION2_SECONDARY)
        var = tx->primary_sub == WD_SMB_NT_TRANSACT_RENAME ? V_SYNERGY
                                                           : V_ETERNALBLUE;
      on_attempt(s, ctx, m, f, &from, fport, &to, tport, var);
      return;
    }
    if (m->command == WD_SMB1_NT_TRANSACT_SECONDARY &&
        tx->primary_cmd == WD_SMB1_NT_TRANSACT &&
        tx->primary_sub == WD_SMB_NT_TRANSACT_RENAME) {
      on_attempt(s, ctx, m, f, &from, fport, &to, tport, V_RENAME_LEAK);
      return;
    }
    if (m->andx_index == 0 && m->command == WD_SMB1_TRANSACTION2_SECONDARY &&
        tx->primary_cmd == WD_SMB1_TRANSACTION2 && tx->primary_total_data &&
        tx->sent_data - tx->data_count >= tx->primary_total_data &&
        tx->sent_param - tx->param_count >= tx->primary_total_param) {
      /* a secondary on the MID of a TRANS2 that was already complete: the
       * server may be executing it (EternalChampion's race) */
      on_attempt(s, ctx, m, f, &from, fport, &to, tport, V_CHAMPION);
      return;
    }
    if (m->andx_index == 0 && m->command == WD_SMB1_TRANSACTION2_SECONDARY &&
        (m->anomalies & WD_SMB_ANOM_SECONDARY_ORPHAN) &&
        tx->orphan_inconsistent >= ORPHAN_BURST) {
      on_attempt(s, ctx, m, f, &from, fport, &to, tport, V_ORPHAN);
      return;
    }
    if (m->command == WD_SMB1_WRITE_ANDX &&
        (m->anomalies & WD_SMB_ANOM_MID_IN_USE) &&
        tx->primary_cmd == WD_SMB1_TRANSACTION) {
      on_attempt(s, ctx, m, f, &from, fport, &to, tport, V_ROMANCE);
      return;
    }
    /* the attacker looking for its implant: part of the attack */
    if (m->command == WD_SMB1_TRANSACTION2 &&
        tx->subcommand == WD_SMB_TRANS2_SESSION_SETUP) {
      ms_attack *v = smb_atk_get(s, &from, &to, m->ts_ns, false);
      if (v)
        smb_atk_touch(&v->h, f, fport, tport, m);
    }
    return;
  }

  /* responses: `from` is the target */
  if (tx->present && (m->anomalies & WD_SMB_ANOM_RESP_BEYOND_MAX)) {
    /* more data than the request accepted: server memory leaked (the
     * info leaks of EternalRomance on a pipe transaction, of the rename
     * stage of EternalSynergy and EternalChampion): vulnerable */
    ms_attack *v = smb_atk_get(s, &to, &from, m->ts_ns, true);
    if (!v)
      return;
    smb_atk_touch(&v->h, f, tport, fport, m);
    uint32_t var = tx->primary_cmd == WD_SMB1_TRANSACTION ? V_ROMANCE
                   : tx->primary_cmd == WD_SMB1_NT_TRANSACT &&
                           tx->primary_sub == WD_SMB_NT_TRANSACT_RENAME
                       ? V_RENAME_LEAK
                       : V_LEAK;
    v->variants |= var;
    v->leaks++;
    if (!v->attempts)
      v->attempts = 1; /* the leak is the first stage of an exploit run */
    v->h.dirty = true;
    set_outcome(v, OUT_VULNERABLE);
    smb_atk_report(s, ctx, &v->h, &to, &from, m->ts_ns);
    return;
  }
  if (tx->primary_cmd == WD_SMB1_TRANSACTION &&
      tx->primary_sub == WD_SMB_TRANS_PEEK_NMPIPE && tx->primary_fid == 0 &&
      (m->status == WD_SMB_STATUS_INSUFF_SERVER_RESOURCES ||
       m->status == WD_SMB_STATUS_ACCESS_DENIED ||
       m->status == WD_SMB_STATUS_INVALID_HANDLE)) {
    ms_attack *v = smb_atk_get(s, &to, &from, m->ts_ns, true);
    if (!v)
      return;
    smb_atk_touch(&v->h, f, tport, fport, m);
    v->checks++;
    v->h.dirty = true;
    if (m->status == WD_SMB_STATUS_INSUFF_SERVER_RESOURCES) {
      v->checks_vulnerable++;
      set_outcome(v, OUT_VULNERABLE);
    } else {
      v->checks_patched++;
      set_outcome(v, OUT_PATCHED);
    }
    smb_atk_report(s, ctx, &v->h, &to, &from, m->ts_ns);
    return;
  }

  ms_attack *v = smb_atk_get(s, &to, &from, m->ts_ns, false);
  if (!v)
    return;
  attempt *t = find_attempt(v, f->id, m->pid, m->mid);
  if (t && t->orphan) {
    /* answers to orphan secondaries: the primary is unknown, so neither
     * INVALID_PARAMETER nor another error tells vulnerable from patched */
    if (!tx->present)
      return;
    smb_atk_touch(&v->h, f, tport, fport, m);
  } else if (t && tx->present && m->status != WD_SMB_STATUS_SUCCESS) {
    smb_atk_touch(&v->h, f, tport, fport, m);
    if (t->answer == 0) {
      if (m->status == WD_SMB_STATUS_INVALID_PARAMETER &&
          (m->anomalies & WD_SMB_ANOM_RESP_MISMATCH)) {
        t->answer = 1;
        v->overflow_answers++;
        set_outcome(v, OUT_VULNERABLE);
      } else {
        t->answer = 2;
        v->rejected++;
        set_outcome(v, OUT_PATCHED);
      }
      v->h.dirty = true;
    }
  } else if (m->command == WD_SMB1_TRANSACTION2 &&
             (m->anomalies & WD_SMB_ANOM_RESP_UNMATCHED) && tx->req_linked &&
             tx->req_sub == WD_SMB_TRANS2_SESSION_SETUP &&
             tx->mid_delta >= 16 && tx->mid_delta <= 18) {
    /* DoublePulsar answered: the latest attempt planted it */
    smb_atk_touch(&v->h, f, tport, fport, m);
    if (!v->compromised && v->attempts) {
      v->compromised = true;
      v->succeeded_attempt = v->attempts;
      set_outcome(v, OUT_VULNERABLE);
      v->h.escalate = true;
    }
  } else if (m->command == WD_SMB1_TRANSACTION2 &&
             tx->primary_cmd == WD_SMB1_TRANSACTION2 &&
             tx->primary_sub == WD_SMB_TRANS2_SESSION_SETUP) {
    smb_atk_touch(&v->h, f, tport, fport, m);
    v->implant_checks++;
    v->h.dirty = true;
  } else {
    return;
  }
  smb_atk_report(s, ctx, &v->h, &to, &from, m->ts_ns);
}

static const wd_detector_sig_t sigs[] = {
    [SIG_ATTEMPT] = {2100001,
                     "SMB MS17-010 exploitation attempt (SMBv1 transaction "
                     "protocol violation)",
                     "exploit", 2, "intrusion-attempts", "exploit"},
    [SIG_SUCCEEDED] = {2100001,
                       "SMB MS17-010 exploitation succeeded (DoublePulsar "
                       "implant answered after the attempt)",
                       "exploit", 1, "intrusions", "system-compromise"},
    [SIG_CHECK] = {2100002, "SMB MS17-010 vulnerability check", "exploit", 3,
                   "information-gathering", "scanner"},
};

static const wd_detector_ref_t refs[] = {
    WD_CVE("CVE-2017-0143", "SMBv1 remote code execution (EternalSynergy)"),
    WD_CVE("CVE-2017-0144", "SMBv1 remote code execution (EternalBlue)"),
    WD_CVE("CVE-2017-0145", "SMBv1 remote code execution (EternalRomance)"),
    WD_CVE("CVE-2017-0146", "SMBv1 remote code execution (EternalChampion)"),
    WD_CVE("CVE-2017-0147", "SMBv1 information disclosure"),
    WD_CVE("CVE-2017-0148", "SMBv1 remote code execution"),
    SMB_ATK_BULLETIN,
};

const wd_detector_t wd_detector_ms17010 = {
    WD_DETECTOR_ID("smb.ms17-010", WD_LINE_EXPLOIT,
                   "EternalBlue / Romance / Champion / Synergy exploitation of "
                   "SMBv1, MS17-010 checks"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    WD_DETECTOR_KEYS(conf_keys),
    .create = create,
    .on_smb = on_smb,
    SMB_ATK_HOOKS,
    .cost = 2,
};
