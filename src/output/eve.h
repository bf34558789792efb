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
#include "proto/app.h"

typedef struct wd_eve wd_eve_t;

/* An application event (event_type dns, tls or http) as the packet thread
 * hands it to the writer: a fixed-size copy of what is written, so that it
 * can travel through the engine's queue (about 2 KiB). Strings are cut to
 * their fields (the DNS names to 255 bytes, the URL to 1 KiB). */
#define WD_EVE_APP_NAME 256
#define WD_EVE_APP_ANSWERS 4
#define WD_EVE_HTTP_CTYPE 96
typedef struct wd_eve_app {
  uint8_t kind; /* WD_APP_DNS, WD_APP_DNS_ANSWER, WD_APP_TLS, WD_APP_HTTP_REQ,
                   WD_APP_HTTP_RESP */
  uint8_t proto;
  uint16_t cport, sport; /* of the flow */
  uint16_t vlan;
  int dir; /* the message's direction (WD_DIR_*) */
  uint64_t ts_ns;
  uint64_t flow_id;
  wd_addr_t cli, srv;
  union {
    struct {
      uint16_t id, flags, qtype;
      uint8_t opcode, rcode, n_answers;
      char rrname[WD_EVE_APP_NAME];
      struct {
        uint16_t type;
        uint32_t ttl;
        char name[WD_EVE_APP_NAME / 2];
        char data[WD_EVE_APP_NAME / 2];
      } an[WD_EVE_APP_ANSWERS];
    } dns;
    struct {
      char sni[WD_EVE_APP_NAME];
      uint8_t n_alpn;
      char alpn[4][32];
    } tls;
    struct {
      uint8_t ver_major, ver_minor;
      bool paired;     /* a response answering request seq */
      bool has_length; /* response Content-Length */
      uint16_t status; /* response: its status */
      uint32_t seq;    /* the request's number in its connection */
      uint64_t length; /* response Content-Length */
      char method[16];
      char host[WD_EVE_APP_NAME];
      char url[1024];
      char user_agent[WD_EVE_APP_NAME];
      char content_type[WD_EVE_HTTP_CTYPE]; /* response Content-Type */
    } http;
  } u;
} wd_eve_app_t;

/* Fills out from an application event of flow f (packet thread: a copy,
 * no I/O). False when the event is not one EVE has a type for. */
bool wd_eve_app_copy(wd_eve_app_t *out, const wd_app_event_t *ev,
                     const wd_flow_t *f, int dir);
/* Writes it (worker). An HTTP request is held until the response that
 * answers it (same flow, paired with its number), then written once with
 * both, as Suricata writes a transaction: the request's fields and time,
 * the response's status, http_content_type and length. A request is
 * written without them when no answer came within the wait (traffic time),
 * when the held table is full (the oldest; counted) and at close. A
 * response whose request is not held is written alone. */
void wd_eve_app(wd_eve_t *e, const wd_eve_app_t *a);

/* Requests held at most (outputs.eve.http_held; 0: the default 1024) and
 * how long one waits for its answer (outputs.eve.http_wait, seconds). */
void wd_eve_set_http(wd_eve_t *e, uint32_t held_max, uint32_t wait_s);

/* HTTP requests written without their response: no answer within the
 * wait or at close (unanswered), pushed out of a full table (evicted). */
typedef struct wd_eve_http_stats {
  uint64_t held, unanswered, evicted, responses_alone;
} wd_eve_http_stats_t;
void wd_eve_http_stats(const wd_eve_t *e, wd_eve_http_stats_t *out);

/* The WD_APP_PROTO_BIT mask of a list "dns, tls, http" (outputs.eve.
 * protocols; NULL or "": 0). False with *bad the first unknown item. */
bool wd_eve_protocols(const char *list, unsigned *mask, char *bad,
                      size_t badlen);

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
