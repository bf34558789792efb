/* flood.h -- the per-victim, per-second engine behind the three flood
 * detectors (ddos.syn-flood, ddos.amplification, ddos.volumetric).
 * In: the packets a detector deems relevant, as (victim, source, bytes,
 * kind, key), and the ticks of traffic time. The detector says, through
 * wd_flood_ops_t, when one second of one victim is an attack and what to
 * report. Out: START as soon as a second's counts cross the threshold
 * (mid-second), UPDATE every detect.update_interval, END after
 * detect.end_after of quiet or at finish; the partial last second is
 * evaluated at finish. Memory: a wd_table of victims (bounded by its max
 * and the detect memcap; least recently hit victims are recycled, so a
 * victim under attack stays) and a fixed array of open attacks reserved
 * at creation (more simultaneous attacks are refused and counted). No
 * allocation after creation. */
#ifndef WD_DETECT_FLOOD_H
#define WD_DETECT_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"
#include "detect/hll.h"

/* Open attacks one flood detector follows at once. */
#define WD_FLOOD_ATTACKS_MAX 256
/* Distinct sources listed in an alert (the first seen). */
#define WD_FLOOD_SAMPLE 8
#define WD_FLOOD_SEC_SAMPLE 4

/* Majority vote (Boyer-Moore MJRTY) over a stream: when one value makes up
 * more than half of the stream it is v, and k is at least its surplus. */
typedef struct wd_flood_vote {
  uint32_t v;
  uint32_t pad;
  uint64_t k;
} wd_flood_vote_t;

typedef struct wd_flood_vote_addr {
  wd_addr_t v;
  uint64_t k;
} wd_flood_vote_addr_t;

/* One victim's counts in the current second of traffic time. */
typedef struct wd_flood_sec {
  uint64_t sec;               /* the second (ts / 1e9) counted here */
  uint64_t first_ns, last_ns; /* first and last packet in it */
  uint64_t pkts, bytes;       /* relevant packets, their IP bytes */
  uint64_t aux;               /* detector-defined (handshakes, fragments) */
  uint64_t thr[2];            /* detector's per-victim thresholds */
  wd_flood_vote_t key, kind;  /* dominant key (port) and kind */
  wd_flood_vote_addr_t src;   /* dominant source */
  uint16_t slot;              /* open attack: index + 1, 0 = none */
  uint8_t refused;            /* no attack slot was free this second */
  uint8_t nsample;
  wd_addr_t sample[WD_FLOOD_SEC_SAMPLE];
  wd_hll_small_t srcs; /* distinct sources this second */
} wd_flood_sec_t;

/* One open attack on one victim: totals since START. */
typedef struct wd_flood_attack {
  wd_attack_t a;
  wd_addr_t victim;
  uint64_t pkts, bytes, aux;
  uint64_t last_pps, last_bps; /* the latest second (partial at START) */
  uint64_t peak_pps, peak_bps; /* the highest second */
  uint64_t first_pkt_ns, last_pkt_ns;
  uint64_t thr[2];
  wd_flood_vote_t key, kind;
  wd_flood_vote_addr_t src;
  uint8_t nsample;
  wd_addr_t sample[WD_FLOOD_SAMPLE];
  wd_hll_t srcs; /* distinct sources, from the second that started it */
} wd_flood_attack_t;

typedef struct wd_flood wd_flood_t;

typedef struct wd_flood_ops {
  const wd_detector_t *det;   /* the detector's descriptor */
  const char *sources_metric; /* "sources" or "reflectors" */
  /* Are these counts (a second so far, or a whole one) an attack? */
  bool (*over)(const wd_flood_t *fl, const wd_flood_sec_t *s);
  /* Optional: fills s->thr for a victim entering the table. */
  void (*init_victim)(const wd_flood_t *fl, const wd_addr_t *victim,
                      wd_flood_sec_t *s);
  /* Adds the detector's metrics and sets src/ports/proto on al. Strings
   * may live in wd_flood_scratch(fl) until the alert is emitted. */
  void (*report)(wd_flood_t *fl, const wd_flood_attack_t *at, wd_alert_t *al);
} wd_flood_ops_t;

/* How wd_flood_add treats a victim not yet counted this second. */
typedef enum {
  WD_FLOOD_CREATE,   /* create it */
  WD_FLOOD_IF_KNOWN, /* only if the victim is in the table */
  WD_FLOOD_IF_ACTIVE /* only if it has counts this second or an attack */
} wd_flood_mode;

/* key or kind of a packet that takes no part in the vote. */
#define WD_FLOOD_NONE 0xffffffffu

typedef struct wd_flood_pkt {
  const wd_addr_t *victim;
  const wd_addr_t *src;
  uint64_t ts_ns;
  uint32_t pkts;  /* 0 or 1: counted towards rates */
  uint32_t bytes; /* IP bytes */
  uint32_t aux;
  uint32_t key;  /* e.g. a port, voted for the report (or NONE) */
  uint32_t kind; /* detector-defined class, voted (or NONE) */
  wd_flood_mode mode;
} wd_flood_pkt_t;

typedef struct wd_flood_stats {
  wd_table_stats_t victims;
  uint64_t attacks_open;
  uint64_t attacks_refused; /* over threshold but no free attack slot */
} wd_flood_stats_t;

/* max_victims caps the victim table; the attack array is reserved against
 * mc here. */
wd_rc wd_flood_new(const wd_flood_ops_t *ops, const wd_config_t *cfg,
                   wd_memcap_t *mc, uint64_t max_victims, wd_flood_t **out);
void wd_flood_free(wd_flood_t *fl);

const wd_config_t *wd_flood_cfg(const wd_flood_t *fl);
/* The detector's own configuration (its struct of ops->det->keys; NULL
 * when cfg was loaded without it). */
const void *wd_flood_conf(const wd_flood_t *fl);
/* Scratch text space for report() (valid until the next report). */
char *wd_flood_scratch(wd_flood_t *fl, size_t *len);

void wd_flood_add(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                  const wd_flood_pkt_t *fp);
/* Closes the second being counted if now_ns is past it, then sends due
 * UPDATE/END alerts. */
void wd_flood_tick(wd_flood_t *fl, const wd_detect_ctx_t *ctx, uint64_t now_ns);
/* Evaluates the partial last second and ends every open attack. */
void wd_flood_finish(wd_flood_t *fl, const wd_detect_ctx_t *ctx,
                     uint64_t now_ns);

void wd_flood_stats(const wd_flood_t *fl, wd_flood_stats_t *out);

/* Adds the attack's sampled source addresses as one text metric key. */
void wd_flood_add_sample(wd_flood_t *fl, wd_alert_t *al, const char *key,
                         const wd_flood_attack_t *at);

/* Detector hooks shared by the flood detectors (state is a wd_flood_t).
 * A flood detector's own configuration struct begins with its
 * "enabled" flag: wd_flood_create leaves *state NULL when it is false;
 * otherwise it sizes the victim table from mc and calls wd_flood_new. */
wd_rc wd_flood_create(const wd_flood_ops_t *ops, const wd_config_t *cfg,
                      wd_memcap_t *mc, void **state);
void wd_flood_destroy(void *state);
void wd_flood_on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns);
void wd_flood_on_finish(void *state, const wd_detect_ctx_t *ctx,
                        uint64_t now_ns);

/* The signature of a flood detector: a DDoS against a protected host. */
#define WD_FLOOD_DDOS_SIG(SID, TEXT)                                           \
  {                                                                            \
    .id = (SID), .text = (TEXT), .category = "Attempted Denial of Service",    \
    .severity = 2, .rsit_class = "availability", .rsit_type = "ddos",          \
  }

/* The hooks a flood detector shares (its own are create and on_packet),
 * inside its wd_detector_t. */
#define WD_FLOOD_HOOKS                                                         \
  .destroy = wd_flood_destroy, .on_tick = wd_flood_on_tick,                    \
  .on_finish = wd_flood_on_finish

/* IP bytes of a packet as its header claims (what rates count). */
static inline uint32_t wd_flood_ip_bytes(const wd_packet_t *p) {
  return p->ip_len ? p->ip_len : p->l3_len;
}

/* Distinct sources of the attack (HyperLogLog estimate). */
uint64_t wd_flood_sources(const wd_flood_attack_t *at);
/* Dominant source / key when they make up at least half of the packets
 * (by the vote's surplus bound). */
bool wd_flood_src_dominant(const wd_flood_attack_t *at);
bool wd_flood_key_dominant(const wd_flood_attack_t *at);
/* Count of distinct sources in a second's counts. */
uint64_t wd_flood_sec_sources(const wd_flood_sec_t *s);

#endif
