/* alert.h -- what a detector reports, and where it goes.
 * In: filled by detectors on their stack. Out: handed to a wd_alert_sink_t,
 * which copies what it keeps (the EVE writer formats at once). An attack is
 * one START alert, UPDATE alerts every detect.update_interval while it
 * lasts, and one END alert: never one per packet. attack_id ties the three
 * together. Strings are borrowed for the duration of the emit call. */
#ifndef WD_DETECT_ALERT_H
#define WD_DETECT_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"

typedef enum { WD_ALERT_START, WD_ALERT_UPDATE, WD_ALERT_END } wd_alert_state;

const char *wd_alert_state_name(wd_alert_state s);

typedef enum {
  WD_METRIC_U64,
  WD_METRIC_F64,
  WD_METRIC_STR,
  WD_METRIC_BOOL
} wd_metric_type;

typedef struct wd_alert_metric {
  const char *name; /* key under "ward" in the event, e.g. "peak_pps" */
  wd_metric_type type;
  union {
    uint64_t u;
    double d;
    const char *s;
    bool b;
  } v;
} wd_alert_metric_t;

#define WD_ALERT_METRICS_MAX 20

typedef struct wd_alert {
  const char *detector;   /* "smb.ms17-010", ... (ward.detector) */
  uint32_t signature_id;  /* alert.signature_id, unique per signature */
  const char *signature;  /* alert.signature: one line, human */
  const char *category;   /* alert.category */
  uint8_t severity;       /* alert.severity: 1 (highest) .. 4 */
  const char *rsit_class; /* ward.class, e.g. "intrusion-attempts" */
  const char *rsit_type;  /* ward.type, e.g. "exploit" */
  wd_alert_state state;   /* ward.state */
  uint64_t attack_id;     /* same for START/UPDATE/END of one attack,
                             unique within a run; detectors use
                             wd_alert_next_id() */
  uint64_t ts_ns;         /* time of this report (traffic time) */
  uint64_t start_ns;      /* when the attack began (first evidence) */
  uint64_t last_ns;       /* latest evidence so far (traffic time); 0 when
                             the detector does not say (then ts_ns). An
                             END comes after a quiet period, so its ts_ns
                             is later than any evidence: incidents take
                             their times from start_ns .. last_ns */
  uint64_t flow_id;       /* flow that triggered it, 0 if none */
  bool has_src;           /* false when the source is unknown/many */
  wd_addr_t src, dst;     /* attacker side, target side */
  bool has_ports;
  uint16_t sport, dport;
  uint8_t proto; /* WD_PROTO_*, 0 if none */
  wd_alert_metric_t metrics[WD_ALERT_METRICS_MAX];
  unsigned n_metrics;
  const char *sensor; /* name of the sensor that saw it (alerts from a
                         fleet); NULL: this one (the host name) */
} wd_alert_t;

typedef struct wd_alert_sink {
  void (*emit)(void *user, const wd_alert_t *a);
  void *user;
} wd_alert_sink_t;

static inline void wd_alert_emit(const wd_alert_sink_t *s,
                                 const wd_alert_t *a) {
  if (s && s->emit)
    s->emit(s->user, a);
}

/* Appends a metric; silently ignored past WD_ALERT_METRICS_MAX. */
void wd_alert_add_u64(wd_alert_t *a, const char *name, uint64_t v);
void wd_alert_add_f64(wd_alert_t *a, const char *name, double v);
void wd_alert_add_str(wd_alert_t *a, const char *name, const char *v);
void wd_alert_add_bool(wd_alert_t *a, const char *name, bool v);

/* Run-unique attack ids, starting at 1. */
uint64_t wd_alert_next_id(void);

#endif
