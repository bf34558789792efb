/* attack.h -- the START / UPDATE / END life of one attack, shared by the
 * flood, scan and worm detectors.
 * In: evidence times from a detector and the ticks of traffic time. Out:
 * what is due (an UPDATE every detect.update_interval, an END after
 * detect.end_after of quiet) and the common header of each alert. Memory:
 * a wd_attack_t lives inside the detector's own table entry. */
#ifndef WD_DETECT_ATTACK_H
#define WD_DETECT_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "detect/alert.h"

#define WD_NSEC 1000000000ull

/* The fixed description of a detector's alerts. */
typedef struct wd_alert_kind {
  const char *detector;   /* ward.detector */
  uint32_t signature_id;  /* alert.signature_id */
  const char *signature;  /* alert.signature */
  const char *category;   /* alert.category */
  uint8_t severity;       /* 1 (highest) .. 4 */
  const char *rsit_class; /* ward.class */
  const char *rsit_type;  /* ward.type */
} wd_alert_kind_t;

typedef struct wd_attack {
  uint64_t id;        /* attack_id; 0 while no attack is open */
  uint64_t start_ns;  /* first evidence */
  uint64_t last_ns;   /* latest evidence (quiet is counted from here) */
  uint64_t report_ns; /* time of the START or of the latest UPDATE */
} wd_attack_t;

typedef enum {
  WD_ATTACK_DUE_NONE,
  WD_ATTACK_DUE_UPDATE,
  WD_ATTACK_DUE_END
} wd_attack_due_t;

static inline bool wd_attack_is_open(const wd_attack_t *a) {
  return a->id != 0;
}

/* Opens a with a fresh attack id; start_ns is the first evidence. */
void wd_attack_open(wd_attack_t *a, uint64_t start_ns, uint64_t now_ns);
void wd_attack_close(wd_attack_t *a);

/* Quiet period and update interval in nanoseconds (quiet at least 1 s, so
 * that an attack is never ended by the tick that closes its own second;
 * update 0 = no updates). */
uint64_t wd_attack_quiet_ns(const wd_config_t *cfg);
uint64_t wd_attack_update_ns(const wd_config_t *cfg);

/* What an open attack needs at traffic time now_ns. */
wd_attack_due_t wd_attack_due(const wd_attack_t *a, const wd_config_t *cfg,
                              uint64_t now_ns);

/* Zeroes al and fills the fields every alert of a shares: the kind's texts,
 * state, attack_id, ts_ns = now_ns, start_ns, last_ns (a's latest
 * evidence). Marks a reported (START and
 * UPDATE restart the update interval). */
void wd_attack_alert(wd_alert_t *al, const wd_alert_kind_t *k, wd_attack_t *a,
                     wd_alert_state st, uint64_t now_ns);

/* Entries a detector's table may hold: its share (1/den) of the detect
 * memcap, at least min_entries. The memcap itself still bounds real use
 * (table.c allocates slabs lazily, never beyond the entry cap). */
uint64_t wd_attack_table_max(const wd_memcap_t *mc, unsigned den,
                             size_t key_size, size_t val_size,
                             uint64_t min_entries);

/* "2021-04-28T10:30:21.099510Z" for a metric (out must hold 32 bytes). */
char *wd_attack_time_str(uint64_t ns, char out[32]);

/* Appends a's text form to a comma-separated list in buf (size n), keeping
 * it NUL-terminated; silently stops when full. */
void wd_attack_list_addr(char *buf, size_t n, const wd_addr_t *a);
void wd_attack_list_u64(char *buf, size_t n, uint64_t v);

#endif
