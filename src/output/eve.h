/* eve.h -- events as JSON lines, compatible with Suricata's EVE format.
 * In: alerts, ended flows, statistics snapshots, and ready-made objects
 * from later stages (incidents). Out: one JSON object per line on a stream
 * (a file or standard output) owned by the writer. EVE's own fields are
 * used wherever EVE has them; everything of ward's lives under the
 * top-level "ward" object. Strings from the network are made valid UTF-8
 * (invalid bytes become U+FFFD) before jansson escapes them. */
#ifndef WD_OUTPUT_EVE_H
#define WD_OUTPUT_EVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/rc.h"
#include "detect/alert.h"
#include "flow/flow.h"

typedef struct wd_eve wd_eve_t;

/* path NULL or "-" writes to standard output. */
wd_rc wd_eve_open(const char *path, wd_eve_t **out, char *err, size_t errlen);
/* Reopens the file by name (log rotation, SIGHUP); no-op on stdout. */
wd_rc wd_eve_reopen(wd_eve_t *e);
void wd_eve_flush(wd_eve_t *e);
void wd_eve_close(wd_eve_t *e);
uint64_t wd_eve_events(const wd_eve_t *e); /* lines written */

/* Where a frame came from, for pcap_filename / pcap_cnt. */
typedef struct wd_eve_origin {
  const char *pcap_filename; /* NULL for live */
  uint64_t pcap_cnt;         /* frame number, 0 if none */
} wd_eve_origin_t;

/* An alert; fac is the protected facility involved (or NULL). */
void wd_eve_alert(wd_eve_t *e, const wd_alert_t *a, const wd_facility_t *fac,
                  const wd_eve_origin_t *origin);

/* The facility fields of an alert's "ward" object, as text. */
typedef struct wd_eve_facility {
  const char *name, *sector, *criticality;
} wd_eve_facility_t;

/* The object wd_eve_alert writes ("timestamp" and "event_type"
 * included), for a caller that adds to it (the fleet's messages); fac and
 * origin may be NULL. NULL when out of memory. */
json_t *wd_eve_alert_object(const wd_alert_t *a, const wd_eve_facility_t *fac,
                            const wd_eve_origin_t *origin);

/* A flow leaving the table. */
void wd_eve_flow(wd_eve_t *e, const wd_flow_t *f, wd_flow_end_reason why);

/* A stats event: stats is the EVE "stats" object, ward_extra ward's own
 * counters; both are consumed (reference stolen). */
void wd_eve_stats(wd_eve_t *e, uint64_t ts_ns, json_t *stats,
                  json_t *ward_extra);

/* Any other event: obj must hold everything but "timestamp" and
 * "event_type", which are added; obj is consumed. */
void wd_eve_event(wd_eve_t *e, const char *event_type, uint64_t ts_ns,
                  json_t *obj);

/* Helpers shared with later stages. */
/* EVE timestamp "2017-04-16T17:22:49.379993+0000" (UTC). */
void wd_eve_timestamp(uint64_t ts_ns, char out[40]);
/* A JSON string from arbitrary bytes (invalid UTF-8 replaced). */
json_t *wd_json_string_bytes(const char *s, size_t len);
json_t *wd_json_string(const char *s);
const char *wd_eve_proto_name(uint8_t proto);

#endif
