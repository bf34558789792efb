/* rdp.h -- RDP connection start: TPKT (RFC 1006), X.224 Connection Request
 * and Connection Confirm (ITU-T X.224 13.3, 13.4) with the RDP negotiation
 * structures of MS-RDPBCGR 2.2.1.1 and 2.2.1.2.
 * In: the in-order bytes of one TCP connection per direction
 * (WD_DIR_TO_SERVER = 0: client, WD_DIR_TO_CLIENT = 1: server) in pieces
 * of any size. Out: a wd_rdp_summary_t: the client's cookie
 * ("Cookie: mstshash=USER" or a routing token), the protocols it requested
 * (RDP_NEG_REQ), the server's choice (RDP_NEG_RSP selectedProtocol) or
 * refusal (RDP_NEG_FAILURE failureCode), whether CredSSP/NLA was selected,
 * then only sizes: bytes and pieces per direction after the first TPKT of
 * each. A later detector tells sessions from failures (negotiation
 * failures, NLA sessions that end after a few small exchanges).
 * Memory: wd_rdp_conn_t is caller storage (about 1.3 KiB); no allocation.
 * Threads: one state per thread. */
#ifndef WD_PROTO_RDP_H
#define WD_PROTO_RDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* requestedProtocols / selectedProtocol bits (MS-RDPBCGR 2.2.1.1.1). */
enum {
  WD_RDP_PROTOCOL_RDP = 0x00000000,    /* standard RDP security */
  WD_RDP_PROTOCOL_SSL = 0x00000001,    /* TLS */
  WD_RDP_PROTOCOL_HYBRID = 0x00000002, /* CredSSP (NLA) */
  WD_RDP_PROTOCOL_RDSTLS = 0x00000004,
  WD_RDP_PROTOCOL_HYBRID_EX = 0x00000008, /* CredSSP + early user auth */
  WD_RDP_PROTOCOL_RDSAAD = 0x00000010
};

/* RDP_NEG_FAILURE failureCode values (MS-RDPBCGR 2.2.1.2.2). */
enum {
  WD_RDP_FAIL_SSL_REQUIRED_BY_SERVER = 1,
  WD_RDP_FAIL_SSL_NOT_ALLOWED_BY_SERVER = 2,
  WD_RDP_FAIL_SSL_CERT_NOT_ON_SERVER = 3,
  WD_RDP_FAIL_INCONSISTENT_FLAGS = 4,
  WD_RDP_FAIL_HYBRID_REQUIRED_BY_SERVER = 5,
  WD_RDP_FAIL_SSL_WITH_USER_AUTH_REQUIRED = 6
};

/* wd_rdp_summary_t.cookie_kind */
enum {
  WD_RDP_COOKIE_NONE = 0,
  WD_RDP_COOKIE_MSTSHASH = 1, /* "Cookie: mstshash=" + user name */
  WD_RDP_COOKIE_TOKEN = 2     /* another "Cookie: " line (routing token) */
};

/* wd_rdp_summary_t.outcome */
enum {
  WD_RDP_OUTCOME_PENDING = 0,    /* no Connection Confirm yet */
  WD_RDP_OUTCOME_NEGOTIATED = 1, /* confirmed: selected is valid */
  WD_RDP_OUTCOME_FAILED = 2      /* RDP_NEG_FAILURE: failure_code */
};

/* Anomalies (per direction). */
enum {
  /* not a TPKT (version 3) carrying the expected X.224 TPDU */
  WD_RDP_ANOM_NOT_RDP = 1u << 0,
  /* TPKT length below 7, or X.224 length indicator inconsistent with it */
  WD_RDP_ANOM_BAD_LENGTH = 1u << 1,
  /* a cookie line without its CR LF, or cut to WD_RDP_COOKIE_MAX */
  WD_RDP_ANOM_BAD_COOKIE = 1u << 2,
  /* a negotiation structure with length != 8, an unknown type, or one
   * that does not fit */
  WD_RDP_ANOM_BAD_NEG = 1u << 3,
  /* first TPKT longer than WD_RDP_PREFIX_MAX: parsed from its prefix */
  WD_RDP_ANOM_TOO_BIG = 1u << 4,
  /* bytes after the structures the TPDU should hold */
  WD_RDP_ANOM_TRAILING = 1u << 5,
  /* the server selected a protocol the client did not request */
  WD_RDP_ANOM_UNREQUESTED = 1u << 6,
  /* bytes lost before the first TPKT was read */
  WD_RDP_ANOM_GAP = 1u << 7
};

typedef struct wd_rdp_summary {
  bool cr_seen;                   /* Connection Request parsed */
  uint8_t cookie_kind;            /* WD_RDP_COOKIE_* */
  char cookie[WD_RDP_COOKIE_MAX]; /* mstshash value or whole token, escaped */
  bool neg_req;                   /* RDP_NEG_REQ present */
  uint8_t req_flags;
  uint32_t requested; /* requestedProtocols */
  bool correlation;   /* RDP_NEG_CORRELATION_INFO present */
  bool cc_seen;       /* Connection Confirm parsed */
  uint8_t outcome;    /* WD_RDP_OUTCOME_* */
  bool neg_rsp;       /* RDP_NEG_RSP present (else legacy) */
  uint8_t rsp_flags;
  uint32_t selected;        /* selectedProtocol (0 when legacy) */
  uint32_t failure_code;    /* RDP_NEG_FAILURE failureCode */
  bool nla;                 /* selected HYBRID or HYBRID_EX */
  uint64_t after_bytes[2];  /* bytes after each side's first TPKT */
  uint32_t after_pieces[2]; /* pieces holding them */
  uint32_t anomalies[2];    /* WD_RDP_ANOM_*, [0] client [1] server */
} wd_rdp_summary_t;

typedef struct wd_rdp_stats {
  uint64_t requests;  /* Connection Requests parsed */
  uint64_t confirms;  /* Connection Confirms with a negotiation response
                         or legacy */
  uint64_t failures;  /* RDP_NEG_FAILURE */
  uint64_t not_rdp;   /* directions that were not RDP */
  uint64_t anomalies; /* TPDUs with an anomaly */
} wd_rdp_stats_t;

/* One direction. Treat as opaque. */
typedef struct wd_rdp_dir {
  uint8_t state;
  uint16_t tpkt_len; /* of the first TPKT */
  uint16_t have;     /* bytes of it held */
  uint16_t skip;     /* bytes of it beyond the prefix */
  uint8_t buf[WD_RDP_PREFIX_MAX];
} wd_rdp_dir_t;

typedef struct wd_rdp_conn {
  wd_rdp_dir_t d[2];
  wd_rdp_summary_t sum;
  wd_rdp_stats_t *stats;
} wd_rdp_conn_t;

void wd_rdp_conn_init(wd_rdp_conn_t *c, wd_rdp_stats_t *stats);

/* Feeds the next in-order bytes of direction dir. Returns WD_AGAIN while
 * the first TPKT of the direction is incomplete; WD_OK once it was parsed
 * (later bytes are counted in after_bytes); WD_ERR_INVAL if the direction
 * is not RDP (anomalies say why; later calls return WD_END). */
wd_rc wd_rdp_conn_feed(wd_rdp_conn_t *c, int dir, const uint8_t *data,
                       size_t len);

/* Bytes of direction dir were lost: before the first TPKT is complete the
 * direction is abandoned; after it, a known amount is counted. */
void wd_rdp_conn_gap(wd_rdp_conn_t *c, int dir, uint32_t nbytes);

/* Parses one whole TPKT holding an X.224 Connection Request (client) or
 * Connection Confirm (server) into *s (fields of that side only; s is not
 * cleared). Returns WD_OK, WD_ERR_TRUNC (len short of the TPKT length) or
 * WD_ERR_INVAL (not the expected TPDU; anomalies say why). */
wd_rc wd_rdp_parse(const uint8_t *p, size_t len, bool from_client,
                   wd_rdp_summary_t *s);

const wd_rdp_summary_t *wd_rdp_conn_summary(const wd_rdp_conn_t *c);

/* "SSL_REQUIRED_BY_SERVER", ... or "unknown". */
const char *wd_rdp_failure_name(uint32_t code);

#endif
