/* http.h -- HTTP/1.0 and HTTP/1.1 message heads (RFC 9112, RFC 9110).
 * In: the in-order bytes of one TCP connection, per direction
 * (WD_DIR_TO_SERVER = 0: requests, WD_DIR_TO_CLIENT = 1: responses), in
 * pieces of any size. Out: a wd_http_req_t per request head (method,
 * target, version, Host, User-Agent, framing headers) and a wd_http_resp_t
 * per response head (status, Content-Type and Content-Length, paired with
 * the request it answers), on the
 * caller's callbacks as soon as a head's empty line is in. Several
 * messages per connection: bodies with a Content-Length are skipped and
 * the next head parsed (pipelining); a chunked body, a body delimited by
 * the connection's close, a tunnel (CONNECT 2xx, 101 Switching Protocols)
 * or a limit stops the inspection of that direction (wd_http_req_t.next /
 * wd_http_resp_t.next tell which).
 * Bounds: lines of WD_HTTP_LINE_MAX (longer ones cut and flagged), head
 * sections of WD_HTTP_HEADERS_MAX bytes and WD_HTTP_FIELDS_MAX fields,
 * pipeline_max (at most WD_HTTP_PIPELINE_MAX) requests awaiting
 * responses, more counted (stats.pipeline_full) and left unpaired.
 * Memory: a wd_http_conn_t (about 24 KiB) is caller storage; no
 * allocation. Pointers handed to callbacks are valid during the call.
 * Threads: one connection state per thread. */
#ifndef WD_PROTO_HTTP_H
#define WD_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* What the direction does after a head (next field). */
enum {
  WD_HTTP_NEXT_MESSAGE = 0, /* no body: the next head follows */
  WD_HTTP_NEXT_BODY = 1,    /* Content-Length bytes skipped, then the
                               next head */
  WD_HTTP_STOP_CHUNKED = 2, /* chunked body: inspection stops */
  WD_HTTP_STOP_CLOSE = 3,   /* response body until close: stops */
  WD_HTTP_STOP_TUNNEL = 4,  /* CONNECT or protocol switch: stops */
  WD_HTTP_STOP_LIMIT = 5,   /* a cap or malformed head: stops */
  WD_HTTP_STOP_HTTP09 = 6   /* HTTP/0.9 request: no head, stops */
};

/* Anomalies (the anomalies field of a request or response). */
enum {
  /* a line ended by LF alone (RFC 9112 2.2 allows a recipient to accept) */
  WD_HTTP_ANOM_BARE_LF = 1u << 0,
  /* a line longer than WD_HTTP_LINE_MAX (kept cut) */
  WD_HTTP_ANOM_LINE_TOO_LONG = 1u << 1,
  /* the head section beyond WD_HTTP_HEADERS_MAX or WD_HTTP_FIELDS_MAX */
  WD_HTTP_ANOM_HEAD_TOO_BIG = 1u << 2,
  /* a field line without a colon, with a name that is not a token or with
   * whitespace before the colon (RFC 9112 5.1: must be rejected) */
  WD_HTTP_ANOM_BAD_FIELD = 1u << 3,
  /* obsolete line folding (RFC 9112 5.2) */
  WD_HTTP_ANOM_OBS_FOLD = 1u << 4,
  /* Content-Length not a number, or several that disagree */
  WD_HTTP_ANOM_BAD_LENGTH = 1u << 5,
  /* both Transfer-Encoding and Content-Length (RFC 9112 6.3: the sign of
   * request smuggling) */
  WD_HTTP_ANOM_TE_AND_CL = 1u << 6,
  /* several Host fields, or none in an HTTP/1.1 request (RFC 9112 3.2) */
  WD_HTTP_ANOM_HOST = 1u << 7,
  /* request target, Host, User-Agent or Content-Type longer than kept */
  WD_HTTP_ANOM_CUT = 1u << 8,
  /* a version other than 1.0 or 1.1 */
  WD_HTTP_ANOM_VERSION = 1u << 9,
  /* Transfer-Encoding whose last coding is not chunked (request: the
   * length cannot be known, RFC 9112 6.3) */
  WD_HTTP_ANOM_BAD_TE = 1u << 10,
  /* more requests outstanding than WD_HTTP_PIPELINE_MAX */
  WD_HTTP_ANOM_PIPELINE_FULL = 1u << 11,
  /* a response with no request waiting for it */
  WD_HTTP_ANOM_UNPAIRED = 1u << 12,
  /* request without a version (HTTP/0.9 form) */
  WD_HTTP_ANOM_HTTP09 = 1u << 13
};

typedef struct wd_http_req {
  uint32_t seq;                    /* 0 for the first request */
  char method[WD_HTTP_METHOD_MAX]; /* as sent (case matters) */
  char target[WD_HTTP_TARGET_MAX]; /* escaped \DDD, cut (WD_HTTP_ANOM_CUT) */
  uint8_t ver_major, ver_minor;    /* 1.1, 1.0 (0.9: none given) */
  bool has_host;
  char host[WD_HTTP_HOST_MAX]; /* first Host, lowercased, escaped */
  bool has_ua;
  char user_agent[WD_HTTP_UA_MAX]; /* first User-Agent, escaped */
  bool has_length;
  uint64_t content_length;
  bool chunked;        /* Transfer-Encoding ends in chunked */
  uint16_t n_fields;   /* field lines in the head */
  uint32_t head_bytes; /* request line and fields */
  uint8_t next;        /* WD_HTTP_NEXT_* / WD_HTTP_STOP_* */
  uint32_t anomalies;  /* WD_HTTP_ANOM_* */
} wd_http_req_t;

typedef struct wd_http_resp {
  uint32_t seq; /* 0 for the first response */
  uint8_t ver_major, ver_minor;
  uint16_t status;  /* 100..999 */
  bool paired;      /* req_* describe the request answered */
  uint32_t req_seq; /* its wd_http_req_t.seq */
  char req_method[WD_HTTP_METHOD_MAX];
  bool has_length;
  uint64_t content_length;
  bool chunked;
  bool has_ctype;
  char content_type[WD_HTTP_CTYPE_MAX]; /* first Content-Type, escaped */
  uint16_t n_fields;
  uint32_t head_bytes;
  uint8_t next;
  uint32_t anomalies;
} wd_http_resp_t;

typedef void (*wd_http_req_fn)(void *user, const wd_http_req_t *r);
typedef void (*wd_http_resp_fn)(void *user, const wd_http_resp_t *r);

typedef struct wd_http_stats {
  uint64_t requests;
  uint64_t responses;
  uint64_t not_http;      /* directions whose first line is not HTTP */
  uint64_t anomalies;     /* heads with any anomaly */
  uint64_t stopped;       /* directions no longer inspected */
  uint64_t pipeline_full; /* requests not queued for pairing */
  uint64_t skipped_bytes; /* body bytes and bytes after a stop */
} wd_http_stats_t;

/* A request awaiting its response. Treat as opaque. */
typedef struct wd_http_pending {
  uint32_t seq;
  char method[WD_HTTP_METHOD_MAX];
} wd_http_pending_t;

/* One direction. Treat as opaque. */
typedef struct wd_http_dir {
  uint8_t mode;        /* start line, fields, body, stopped */
  bool cut;            /* the current line passed the cap */
  uint32_t line_len;   /* bytes held in line */
  uint32_t head_bytes; /* of the current head */
  uint64_t body_left;  /* body bytes to skip */
  uint32_t seq;        /* messages seen */
  uint32_t anomalies;  /* of the current head */
  char line[WD_HTTP_LINE_MAX];
} wd_http_dir_t;

typedef struct wd_http_conn {
  wd_http_dir_t d[2];
  wd_http_req_t req;   /* head being read (direction 0) */
  wd_http_resp_t resp; /* head being read (direction 1) */
  wd_http_pending_t pending[WD_HTTP_PIPELINE_MAX];
  uint8_t p_head, p_count;
  uint8_t p_max; /* requests queued at most (1..WD_HTTP_PIPELINE_MAX) */
  wd_http_stats_t *stats;
} wd_http_conn_t;

/* Requests awaiting their response when stream.http_pipeline is not set. */
#define WD_HTTP_PIPELINE_DEFAULT 16

/* Prepares a connection; stats may be NULL. pipeline_max: requests kept
 * awaiting their response (0 or more than WD_HTTP_PIPELINE_MAX: the
 * most). */
void wd_http_conn_init(wd_http_conn_t *c, wd_http_stats_t *stats,
                       unsigned pipeline_max);

/* Feeds the next in-order bytes of direction dir (0 requests, 1
 * responses). Calls on_req / on_resp (either may be NULL) for each head
 * completed. Returns WD_OK when the bytes ended between messages or in a
 * skipped body, WD_AGAIN inside a head, WD_END when the direction is no
 * longer inspected (the bytes are counted, not read). */
wd_rc wd_http_conn_feed(wd_http_conn_t *c, int dir, const uint8_t *data,
                        size_t len, wd_http_req_fn on_req,
                        wd_http_resp_fn on_resp, void *user);

/* nbytes of direction dir were lost: inside a body of known length the
 * count goes on (if the loss is within it); otherwise the direction stops
 * (framing unknown). */
void wd_http_conn_gap(wd_http_conn_t *c, int dir, uint64_t nbytes);

#endif
