/* fleet_msg.h -- the wire format of one fleet message (sensor -> centre).
 * In: what a sensor reports (an alert with its facility, an evidence frame,
 * a heartbeat with counters) and a message id; on the centre side the
 * bytes of a Kafka message (hostile input). Out: the encoded payload
 * (alerts and heartbeats as EVE JSON, frames in a compact binary form), the
 * spool envelope, and decoded messages that own their strings.
 * Every message carries an id (sensor name, 128-bit run id chosen when the
 * sensor starts, sequence number in the run) that never changes, however
 * often the message is sent again: the centre is idempotent by it. Kafka
 * headers "ward-kind" and "ward-id" repeat kind and id so a consumer can
 * filter without parsing; when present they must agree with the payload.
 * Decoding is strict and bounded: sizes are checked before every read,
 * strings are capped (WD_FLEET_STR_MAX), unknown kinds and versions are
 * refused with a sentence that says where and what was expected.
 * Format details and examples: docs/fleet.md. Memory: encoders return
 * malloc'd buffers or write into caller storage (frames, envelopes);
 * wd_fleet_msg_t owns one arena for its strings and frame bytes.
 * Threads: no shared state; every function is reentrant. */
#ifndef WD_FLEET_FLEET_MSG_H
#define WD_FLEET_FLEET_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"
#include "detect/alert.h"

#define WD_FLEET_SENSOR_MAX 64 /* sensor name: 1..64 of [A-Za-z0-9._-] */
#define WD_FLEET_KEY_MAX 255   /* partition key bytes */
#define WD_FLEET_MSG_MAX (256u * 1024u) /* payload bytes a decoder accepts */
#define WD_FLEET_STR_MAX 4096u          /* one decoded string, bytes */
#define WD_FLEET_NAME_MAX 64u           /* a metric or counter name, bytes */
#define WD_FLEET_FRAME_SNAP_MAX 65535u  /* frame bytes carried at most */
#define WD_FLEET_WIRE_MAX 262144u       /* largest wire length accepted */
#define WD_FLEET_COUNTERS_MAX 64        /* counters in one heartbeat */
/* "sensor/32 hex digits/sequence" with its NUL. */
#define WD_FLEET_ID_STRLEN (WD_FLEET_SENSOR_MAX + 1 + 32 + 1 + 20 + 1)

/* Kafka header names. */
#define WD_FLEET_HDR_KIND "ward-kind"
#define WD_FLEET_HDR_ID "ward-id"

typedef enum {
  WD_FLEET_ALERT = 1,    /* EVE alert event */
  WD_FLEET_FRAME = 2,    /* one evidence frame (binary) */
  WD_FLEET_HEARTBEAT = 3 /* EVE stats event: the sensor is alive */
} wd_fleet_kind;

/* "alert", "frame", "heartbeat"; "unknown" otherwise. */
const char *wd_fleet_kind_name(wd_fleet_kind k);
/* Parses a kind name of len bytes (not NUL-terminated). */
wd_rc wd_fleet_kind_parse(const char *s, size_t len, wd_fleet_kind *out);

typedef struct wd_fleet_id {
  char sensor[WD_FLEET_SENSOR_MAX + 1]; /* NUL-terminated */
  uint8_t run[16];                      /* chosen once per sensor start */
  uint64_t seq;                         /* 1, 2, ... within the run */
} wd_fleet_id_t;

bool wd_fleet_sensor_valid(const char *s);
/* A fresh random run id (getrandom). */
wd_rc wd_fleet_run_new(uint8_t run[16]);
/* "sensor/0123...ef/42"; returns out. */
char *wd_fleet_id_str(const wd_fleet_id_t *id, char out[WD_FLEET_ID_STRLEN]);
/* Parses the text form (len bytes, no NUL needed), strictly. */
wd_rc wd_fleet_id_parse(const char *s, size_t len, wd_fleet_id_t *out);
bool wd_fleet_id_eq(const wd_fleet_id_t *a, const wd_fleet_id_t *b);

/* The facility an alert concerns, as the sensor's configuration names it. */
typedef struct wd_fleet_facility {
  const char *name;
  wd_sector sector;
  wd_criticality criticality;
} wd_fleet_facility_t;

/* One evidence frame and the attack it shows. */
typedef struct wd_fleet_frame {
  uint64_t attack_id; /* wd_alert_t.attack_id in the same sensor run */
  uint64_t flow_id;   /* 0 if none */
  uint64_t ts_ns;     /* capture time */
  uint32_t linktype;  /* pcap LINKTYPE_* of the bytes */
  uint32_t wire_len;  /* length on the wire, <= WD_FLEET_WIRE_MAX */
  uint32_t cap_len;   /* bytes in data, <= wire_len and the snap cap */
  const uint8_t *data;
} wd_fleet_frame_t;

typedef struct wd_fleet_counter {
  const char *name; /* 1..64 of [a-z0-9_.] */
  uint64_t value;
} wd_fleet_counter_t;

/* A heartbeat: the sensor is alive, with counters of its choosing. */
typedef struct wd_fleet_heartbeat {
  uint64_t ts_ns;      /* wall clock when sent */
  const char *version; /* ward version of the sensor, may be NULL */
  wd_fleet_counter_t counters[WD_FLEET_COUNTERS_MAX];
  unsigned n_counters;
} wd_fleet_heartbeat_t;

/* Partition key of an alert: the facility name when known, else the
 * target address. Alerts and frames of one attack share it, so they stay
 * in order within one partition. Returns the key's length. */
size_t wd_fleet_key(const wd_fleet_facility_t *fac, const wd_addr_t *dst,
                    char out[WD_FLEET_KEY_MAX + 1]);

/* --- encoding (sensor side) ------------------------------------------ */

/* Alert as one line of EVE JSON (no newline), *out malloc'd (caller
 * frees). Metric names must be 1..64 bytes, unique, and none of ward's own
 * keys (WD_ERR_INVAL: a detector bug). fac may be NULL. */
wd_rc wd_fleet_encode_alert(const wd_fleet_id_t *id, const wd_alert_t *a,
                            const wd_fleet_facility_t *fac, char **out,
                            size_t *len);
/* Heartbeat as EVE stats JSON, *out malloc'd. */
wd_rc wd_fleet_encode_heartbeat(const wd_fleet_id_t *id,
                                const wd_fleet_heartbeat_t *hb, char **out,
                                size_t *len);
/* Bytes wd_fleet_encode_frame writes for a frame of cap_len bytes. */
size_t wd_fleet_frame_size(const wd_fleet_id_t *id, uint32_t cap_len);
/* Frame in binary form into out (cap bytes); WD_ERR_FULL if too small. */
wd_rc wd_fleet_encode_frame(const wd_fleet_id_t *id, const wd_fleet_frame_t *f,
                            uint8_t *out, size_t cap, size_t *len);

/* --- envelope: one message as the spool keeps it ---------------------- */

/* Everything needed to produce a message again after a restart: kind, id,
 * key and payload. Decoded envelopes borrow key and payload from the
 * buffer they were decoded from. */
typedef struct wd_fleet_envelope {
  wd_fleet_kind kind;
  wd_fleet_id_t id;
  const char *key;
  size_t key_len;
  const uint8_t *payload;
  size_t payload_len;
} wd_fleet_envelope_t;

size_t wd_fleet_envelope_size(const wd_fleet_envelope_t *e);
wd_rc wd_fleet_envelope_encode(const wd_fleet_envelope_t *e, uint8_t *out,
                               size_t cap, size_t *len);
wd_rc wd_fleet_envelope_decode(const uint8_t *p, size_t len,
                               wd_fleet_envelope_t *out, char *err,
                               size_t errlen);

/* --- decoding (centre side) ------------------------------------------- */

/* A decoded message. Every pointer inside (alert strings, metric names,
 * facility name, frame bytes, counter names) points into the arena and
 * stays valid until wd_fleet_msg_fini. */
typedef struct wd_fleet_msg {
  wd_fleet_kind kind;
  wd_fleet_id_t id;
  union {
    struct {
      wd_alert_t alert;
      bool has_facility;
      wd_fleet_facility_t facility;
    } alert;
    wd_fleet_frame_t frame;
    wd_fleet_heartbeat_t heartbeat;
  } u;
  char *arena; /* owned */
  size_t arena_used, arena_cap;
} wd_fleet_msg_t;

void wd_fleet_msg_init(wd_fleet_msg_t *m);
void wd_fleet_msg_fini(wd_fleet_msg_t *m);

/* Decodes a payload of len bytes. kind_hdr / id_hdr are the values of the
 * Kafka headers (NULL when absent, then the payload alone decides); when
 * given they must match the payload. On error m holds nothing (fini is
 * still safe) and err says what was wrong and where. */
wd_rc wd_fleet_decode(const uint8_t *p, size_t len, const char *kind_hdr,
                      size_t kind_len, const char *id_hdr, size_t id_len,
                      wd_fleet_msg_t *m, char *err, size_t errlen);

#endif
