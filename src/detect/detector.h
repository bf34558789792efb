/* detector.h -- what a detector is: its descriptor (name, signatures,
 * RSIT class, incident line, references, documentation page) and its
 * hooks; and the registry that lists them.
 * In: packets with their flow, parsed SMB messages, application events
 * (DNS, TLS and QUIC hellos, HTTP heads, Kerberos), flow ends, and a tick
 * at each new second of traffic time. Out: alerts through the sink.
 * Each detector keeps its own state, bounded by detect.memcap (the
 * wd_memcap_t handed to create) and by its config keys. Hooks a detector
 * does not need are NULL. Detectors never do I/O and never allocate per
 * packet. A descriptor is static storage: the registry hands out borrowed
 * pointers valid for the life of the process.
 * Later stages never compare detector names: they look the stored name up
 * with wd_detector_find and read the descriptor (its line for incidents,
 * its references and service for notifications). */
#ifndef WD_DETECT_DETECTOR_H
#define WD_DETECT_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "detect/alert.h"
#include "flow/flow.h"

struct wd_smb_msg;    /* proto/smb.h */
struct wd_app_event;  /* proto/app.h */
struct wd_intel_slot; /* detect/intel_feed.h */

typedef struct wd_detect_ctx {
  const wd_config_t *cfg;
  const wd_alert_sink_t *sink;
  struct wd_intel_slot *intel; /* indicator set in force (NULL: none);
                                  read with wd_intel_slot_get in a hook */
  /* The ids of the attacks started (wd_attack_start): NULL, the process's
   * count (wd_alert_next_id); with `--workers` lanes, the lane's own
   * (lane index + 16 per attack), which the engine's worker maps to the
   * process's count in the order of one thread. */
  uint64_t *attack_ids;
} wd_detect_ctx_t;

/* The incident line a detector's alerts go to (docs/incidents.md), as a
 * rule on where the two ends are. */
typedef enum {
  WD_LINE_INTRUSION, /* "intrusion": one attacker against a facility */
  WD_LINE_EXPLOIT,   /* "intrusion", but "worm" when attacker and target are
                        both inside: an exploit moving host to host */
  WD_LINE_WORM,      /* "worm" when the source is inside (self-spreading
                        code on our host), "intrusion" from outside */
  WD_LINE_DDOS       /* "ddos": an availability attack on one target */
} wd_detect_line;

/* One signature a detector reports (alert.signature_id and the rest). */
typedef struct wd_detector_sig {
  uint32_t id;            /* alert.signature_id, unique across detectors */
  const char *text;       /* alert.signature: one line, human */
  const char *category;   /* alert.category */
  uint8_t severity;       /* alert.severity: 1 (highest) .. 4 */
  const char *rsit_class; /* ward.class (RSIT machine-readable value) */
  const char *rsit_type;  /* ward.type */
} wd_detector_sig_t;

/* A public reference notifications cite (IODEF Reference, STIX
 * external_references, the text mail). */
typedef struct wd_detector_ref {
  const char *source; /* STIX source_name: "cve", "microsoft", ... */
  const char *id;     /* "CVE-2017-0144", "MS17-010"; NULL for a bare URL */
  const char *url;
  const char *title; /* one line, human */
} wd_detector_ref_t;

/* Which packets on_packet is called for (wd_detector_t.packets): the
 * pipeline calls it only for IP packets of a protocol named here (none
 * named: every protocol), and with WD_PKT_FLOW_NEW only for the packet
 * that creates its flow. A detector declares what it would otherwise
 * return at once for; the skipped calls cost nothing. */
#define WD_PKT_TCP 1u
#define WD_PKT_UDP 2u
#define WD_PKT_ICMP 4u  /* ICMP and ICMPv6 */
#define WD_PKT_OTHER 8u /* any other IP protocol */
#define WD_PKT_FLOW_NEW 16u

/* Flags. */
#define WD_DETECTOR_REFLECTED                                                  \
  1u /* sources it names are reflectors: abused                                \
        third parties, never the attacker */
#define WD_DETECTOR_NEXT_STAGE                                                 \
  2u /* a later stage of an intrusion on the host it names as target (C2       \
        callback, exfiltration): its alerts join an open incident with an      \
        attack on that host before opening one of their own */

typedef struct wd_detector {
  const char *name;  /* exactly as in ward.detector */
  const char *title; /* one line: what it looks for */
  wd_detect_line line;
  unsigned flags;                /* WD_DETECTOR_* */
  const wd_detector_sig_t *sigs; /* sigs[0] unless the detector says */
  size_t n_sigs;
  const wd_detector_ref_t *refs;
  size_t n_refs;
  uint16_t service_port; /* the targets' service attacked (445), 0 any */
  uint8_t service_proto; /* its WD_PROTO_*, 0 with port 0 */
  const char *doc;       /* its page, "docs/detectors/<name>.md" */
  /* Its own configuration keys ("detect.<section>.*") and their defaults,
   * NULL: none. Detectors sharing a table name the same one. */
  const wd_config_keyset_t *keys;

  /* Creates state; returns WD_OK with *state NULL when disabled. */
  wd_rc (*create)(const wd_config_t *cfg, wd_memcap_t *mc, void **state);
  void (*destroy)(void *state);
  void (*on_packet)(void *state, const wd_detect_ctx_t *ctx,
                    const wd_packet_t *p, const wd_flow_t *f, int dir);
  unsigned packets;     /* WD_PKT_* mask on_packet needs (0: every packet) */
  uint16_t packets_srv; /* nonzero: only packets of flows whose server port
                           (f->sport) is this one */
  void (*on_smb)(void *state, const wd_detect_ctx_t *ctx,
                 const struct wd_smb_msg *m, const wd_flow_t *f, int dir);
  /* An application message of flow f (src/proto/app.h); the pipeline
   * parses a protocol only when some detector or output wants it, and a
   * detector says which it wants in app_protos. */
  void (*on_app)(void *state, const wd_detect_ctx_t *ctx,
                 const struct wd_app_event *ev, const wd_flow_t *f, int dir);
  unsigned app_protos; /* WD_APP_PROTO_BIT(...) mask on_app needs */
  /* An alert another detector just raised (a borrowed view, valid for
   * the call): how a detector learns of a compromised host. Alerts raised
   * inside this hook are not offered on. */
  void (*on_alert)(void *state, const wd_detect_ctx_t *ctx,
                   const wd_alert_t *a);
  /* With on_alert: the class (ward.class, RSIT) of the alerts it follows,
   * the only ones offered to it; NULL: every alert. `--workers` keeps a
   * follower on the lane of every detector with a signature of that
   * class. */
  const char *follows;
  void (*on_flow_end)(void *state, const wd_detect_ctx_t *ctx,
                      const wd_flow_t *f);
  /* Traffic time entered a new second; now_ns is its start. */
  void (*on_tick)(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns);
  /* End of input: report END for every attack still open. */
  void (*on_finish)(void *state, const wd_detect_ctx_t *ctx, uint64_t now_ns);
  /* About what its hooks take per packet, in ns (`ward analyze
   * --profile-stages` on bench/run's hard corpus): how `--workers` shares
   * the detectors out among its lanes. 0 counts as 1. */
  uint16_t cost;
} wd_detector_t;

/* The name the pipeline holds its detectors by. */
typedef wd_detector_t wd_detector_ops_t;

/* A descriptor's name, incident line and title; its docs page follows
 * from the name. */
#define WD_DETECTOR_ID(NAME, LINE, TITLE)                                      \
  .name = NAME, .line = (LINE), .title = (TITLE),                              \
  .doc = "docs/detectors/" NAME ".md"
/* A descriptor's signatures and references, from static arrays. */
#define WD_DETECTOR_SIGS(a) .sigs = (a), .n_sigs = sizeof(a) / sizeof((a)[0])
#define WD_DETECTOR_REFS(a) .refs = (a), .n_refs = sizeof(a) / sizeof((a)[0])
/* A CVE record as a reference. */
#define WD_CVE(ID, TITLE)                                                      \
  { "cve", (ID), "https://www.cve.org/CVERecord?id=" ID, (TITLE) }

/* A detector's key table from the rows of its struct T (static arrays;
 * check may be NULL), and the descriptor field naming it. */
#define WD_DETECTOR_KEYSET(T, rows, chk)                                       \
  { (rows), sizeof(rows) / sizeof((rows)[0]), sizeof(T), (chk) }
#define WD_DETECTOR_KEYS(ks) .keys = &(ks)

/* d's own configuration in cfg (its struct of d->keys), or NULL when cfg
 * was not loaded with d's keys (see wd_detector_keysets). */
static inline const void *wd_detector_conf(const wd_config_t *cfg,
                                           const wd_detector_t *d) {
  return d->keys ? wd_config_extra(cfg, d->keys) : NULL;
}

/* Fills out with the key tables of the detectors linked in, each once;
 * returns how many. A configuration loaded with them
 * (wd_config_load_extra) is one every detector can run with. */
size_t wd_detector_keysets(const wd_config_keyset_t **out, size_t max);

/* wd_config_defaults_extra / _load_extra / _load_buffer_extra with every
 * detector's keys. */
wd_rc wd_detect_config_defaults(wd_config_t **out);
wd_rc wd_detect_config_load(const char *path, wd_config_t **out, char *err,
                            size_t errlen);
wd_rc wd_detect_config_load_buffer(const char *name, const char *buf,
                                   size_t len, wd_config_t **out, char *err,
                                   size_t errlen);

/* addr is in one of l's networks (a detector's exempt list). */
static inline bool wd_detect_listed(const wd_cidr_list_t *l,
                                    const wd_addr_t *addr) {
  for (size_t i = 0; i < l->n && i < WD_CIDR_LIST_MAX; i++)
    if (wd_cidr_contains(&l->v[i], addr))
      return true;
  return false;
}

/* Fills out with the detectors linked in, in the fixed order of
 * registry.c; returns how many. */
size_t wd_detectors_list(const wd_detector_t **out, size_t max);
#define WD_DETECTORS_MAX 32

/* The detector named name (as stored in ward.detector), NULL when none is
 * (an alert of an older or newer ward, "(other)"). */
const wd_detector_t *wd_detector_find(const char *name);

/* The signature of d with id sig_id, NULL when d has none. */
const wd_detector_sig_t *wd_detector_sig(const wd_detector_t *d,
                                         uint32_t sig_id);

/* The incident line ("intrusion", "worm", "ddos") of an alert of d (NULL:
 * an unknown detector, "intrusion") from where its ends are. */
const char *wd_detector_line(const wd_detector_t *d, bool src_inside,
                             bool dst_inside);

/* Sets the signature fields of al (signature_id, signature, category,
 * severity, ward.class, ward.type) from sig. */
void wd_alert_sign(wd_alert_t *al, const wd_detector_sig_t *sig);

#endif
