/* smb_attack_int.h -- the attack table the SMB detectors share
 * (smb_ms17010.c, smb_doublepulsar.c); internal to src/detect, code in
 * smb_attack.c.
 * An attack is keyed by (attacker, target) address and lives through the
 * common life cycle (attack.h): START at the first evidence, an UPDATE at
 * once when a verdict changes (escalate) and every detect.update_interval
 * while its counts change, END after detect.end_after of quiet with no
 * evidence connection open (an exploit tool waits on its connection
 * between attempts), after flow.timeouts.tcp_established of quiet in any
 * case, or at end of input.
 * Memory: a wd_table under detect.memcap with SMB_ATK_MAX entries; an
 * attack recycled because the table is full is reported END first. Each
 * detector's value struct starts with smb_atk. */
#ifndef WD_DETECT_SMB_ATTACK_INT_H
#define WD_DETECT_SMB_ATTACK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"
#include "proto/smb.h"

#define SMB_ATK_MAX 4096 /* attacks tracked at once per detector */
#define SMB_ATK_FLOWS 8  /* evidence connections remembered per attack */
#define SMB_ATK_BATCH 64 /* attacks ended per visit of the table */
#define SMB_ATK_PORT 445 /* the service the attacks aim at (TCP) */

typedef struct smb_atk {
  wd_attack_t a;         /* life cycle; held while an evidence connection
                            is open */
  uint64_t flow_id;      /* connection of the latest evidence */
  uint16_t aport, tport; /* its attacker and target ports */
  bool escalate;         /* report an UPDATE now (verdict changed) */
  bool dirty;            /* counters changed since the latest alert */
  uint8_t nflows;
  uint64_t flows[SMB_ATK_FLOWS];     /* open evidence connections */
  uint64_t flow_pkts[SMB_ATK_FLOWS]; /* their packets (both directions) at
                                        the latest evidence */
  uint64_t pkts_closed;       /* the same for evidence connections that ended */
  char tree[WD_SMB_PATH_MAX]; /* share of the latest evidence connection
                                 (its latest tree connect), "" unknown */
} smb_atk;

/* Sets signature (wd_alert_sign) and metrics of an alert for val. buf (n
 * bytes) may hold strings the alert points to during the emit. */
typedef void (*smb_atk_fill_fn)(const void *val, wd_alert_t *a, char *buf,
                                size_t n);

typedef struct smb_atk_set {
  wd_table_t *t;
  wd_attack_set_t set; /* set.ctx: latest context, for END on eviction */
  smb_atk_fill_fn fill;
  char buf[160];
} smb_atk_set;

/* Sender and receiver of a message of flow f travelling in direction dir. */
void smb_atk_ends(const wd_flow_t *f, int dir, wd_addr_t *from, uint16_t *fport,
                  wd_addr_t *to, uint16_t *tport);

/* The attack of (attacker, target), created (zeroed, not yet reported)
 * when create is set; NULL otherwise when absent. */
void *smb_atk_get(smb_atk_set *s, const wd_addr_t *attacker,
                  const wd_addr_t *target, uint64_t now, bool create);

/* Records the evidence of message m on flow f (attacker port aport, target
 * tport): its time, the connection and its packets so far, the share. */
void smb_atk_touch(smb_atk *v, const wd_flow_t *f, uint16_t aport,
                   uint16_t tport, const wd_smb_msg_t *m);

/* Reports START for a new attack, or an UPDATE when a verdict changed. */
void smb_atk_report(smb_atk_set *s, const wd_detect_ctx_t *ctx, smb_atk *v,
                    const wd_addr_t *attacker, const wd_addr_t *target,
                    uint64_t ts);

/* Detector hooks shared by the SMB detectors: their state is one
 * smb_atk_set, allocated by smb_atk_create (left NULL when the detector is
 * disabled: its configuration struct begins with its "enabled" flag) and
 * freed by smb_atk_destroy. */
wd_rc smb_atk_create(const wd_detector_t *det, size_t val_size,
                     const wd_config_t *cfg, wd_memcap_t *mc,
                     smb_atk_fill_fn fill, void **state);
void smb_atk_destroy(void *state);
void smb_atk_on_flow_end(void *state, const wd_detect_ctx_t *ctx,
                         const wd_flow_t *f);
void smb_atk_on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now);
void smb_atk_on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now);

/* The fix of the flaws these attacks use, as a reference. */
#define SMB_ATK_BULLETIN                                                       \
  {                                                                            \
    "microsoft", "MS17-010",                                                   \
        "https://learn.microsoft.com/en-us/security-updates/"                  \
        "securitybulletins/2017/ms17-010",                                     \
        "Microsoft Security Bulletin MS17-010: Security Update for Microsoft " \
        "Windows SMB Server"                                                   \
  }

/* The hooks an SMB detector shares (its own are create and on_smb), and
 * the service it attacks, inside its wd_detector_t. */
#define SMB_ATK_HOOKS                                                          \
  .service_port = SMB_ATK_PORT, .service_proto = WD_PROTO_TCP,                 \
  .destroy = smb_atk_destroy, .on_flow_end = smb_atk_on_flow_end,              \
  .on_tick = smb_atk_on_tick, .on_finish = smb_atk_on_finish

#endif
