/* kerberos.h -- Kerberos 5 KDC messages (RFC 4120 5.4.1, 5.4.2, 5.9.1,
 * 7.2.3 TCP framing; error codes 7.5.9) over UDP and TCP port 88.
 * In: one UDP payload (wd_krb_parse), or the in-order bytes of one TCP
 * direction in pieces of any size (wd_krb_tcp_feed: 4-byte length framing,
 * messages spanning pieces). Out: a wd_krb_msg_t per message: its type
 * (AS-REQ, AS-REP, TGS-REQ, TGS-REP, KRB-ERROR), client name and realm,
 * service name, the pre-authentication types a request carries, the
 * encryption types it offers, a reply's enc-part etype, an error's code.
 * The DER reader is ward's own: definite lengths of at most 4 bytes,
 * tag numbers of at most 4 bytes, nesting of at most WD_DER_DEPTH_MAX,
 * every element inside its parent. A message longer than the TCP prefix
 * (WD_KRB_PREFIX_MAX) is read as far as its prefix goes (replies carry
 * crealm and cname before the ticket).
 * Memory: wd_krb_msg_t and wd_krb_tcp_t are caller storage; no allocation.
 * Threads: one state per thread. */
#ifndef WD_PROTO_KERBEROS_H
#define WD_PROTO_KERBEROS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* msg-type (RFC 4120 5.10: the APPLICATION tag of the message). */
enum {
  WD_KRB_AS_REQ = 10,
  WD_KRB_AS_REP = 11,
  WD_KRB_TGS_REQ = 12,
  WD_KRB_TGS_REP = 13,
  WD_KRB_ERROR = 30
};

/* error-code values (RFC 4120 7.5.9) a detector compares against. */
enum {
  WD_KRB_ERR_C_PRINCIPAL_UNKNOWN = 6,
  WD_KRB_ERR_S_PRINCIPAL_UNKNOWN = 7,
  WD_KRB_ERR_ETYPE_NOSUPP = 14,
  WD_KRB_ERR_CLIENT_REVOKED = 18, /* disabled or locked out */
  WD_KRB_ERR_KEY_EXPIRED = 23,    /* password expired */
  WD_KRB_ERR_PREAUTH_FAILED = 24, /* wrong password */
  WD_KRB_ERR_PREAUTH_REQUIRED = 25,
  WD_KRB_AP_ERR_SKEW = 37,
  WD_KRB_ERR_RESPONSE_TOO_BIG = 52,
  WD_KRB_ERR_WRONG_REALM = 68
};

/* padata-type values of interest (RFC 4120 7.5.2, RFC 6113). */
enum {
  WD_KRB_PA_TGS_REQ = 1,
  WD_KRB_PA_ENC_TIMESTAMP = 2,
  WD_KRB_PA_PAC_REQUEST = 128
};

/* Anomalies (wd_krb_msg_t.anomalies). */
enum {
  /* not a Kerberos message: another outer tag, or not DER */
  WD_KRB_ANOM_NOT_KRB = 1u << 0,
  /* an element runs past its parent or the message (for a TCP message
   * longer than the prefix: past the prefix) */
  WD_KRB_ANOM_TRUNCATED = 1u << 1,
  /* indefinite or over-long length, tag number over 4 bytes, nesting
   * beyond WD_DER_DEPTH_MAX */
  WD_KRB_ANOM_BAD_DER = 1u << 2,
  /* a field of the wrong type (INTEGER over 4 bytes, name not a string,
   * msg-type disagreeing with the APPLICATION tag, pvno != 5) */
  WD_KRB_ANOM_BAD_FIELD = 1u << 3,
  /* a realm or name longer than kept, or with bytes that were escaped */
  WD_KRB_ANOM_NAME_CUT = 1u << 4,
  /* TCP: message longer than WD_KRB_PREFIX_MAX, read from its prefix */
  WD_KRB_ANOM_CUT = 1u << 5,
  /* TCP: the reserved high bit of the length (RFC 4120 7.2.3) or a length
   * above WD_KRB_MSG_MAX */
  WD_KRB_ANOM_BAD_FRAME = 1u << 6
};

#define WD_KRB_PADATA_KEEP 8
#define WD_KRB_ETYPES_KEEP 16

typedef struct wd_krb_msg {
  uint8_t msg_type; /* WD_KRB_*, 0 when not recognised */
  uint8_t pvno;
  bool has_cname;
  char cname[WD_KRB_NAME_MAX]; /* components joined by '/', escaped */
  int32_t cname_type;
  char crealm[WD_KRB_NAME_MAX]; /* client's realm: req-body realm of a
                                   request, crealm of a reply or error */
  char realm[WD_KRB_NAME_MAX];  /* service realm: req-body realm, the
                                   error's realm, a reply ticket's realm */
  bool has_sname;
  char sname[WD_KRB_NAME_MAX];
  bool has_error;
  int32_t error_code;                 /* KRB-ERROR error-code */
  uint8_t n_padata;                   /* PA-DATA elements */
  int32_t padata[WD_KRB_PADATA_KEEP]; /* their types, in order */
  bool pa_enc_timestamp;              /* PA-ENC-TIMESTAMP present */
  uint8_t n_etypes;                   /* request etype list */
  int32_t etypes[WD_KRB_ETYPES_KEEP];
  bool has_enc_etype;
  int32_t enc_etype;  /* reply enc-part etype */
  uint32_t msg_len;   /* bytes of the message */
  uint32_t anomalies; /* WD_KRB_ANOM_* */
} wd_krb_msg_t;

typedef struct wd_krb_stats {
  uint64_t messages;
  uint64_t requests;    /* AS-REQ and TGS-REQ */
  uint64_t replies;     /* AS-REP and TGS-REP */
  uint64_t errors;      /* KRB-ERROR */
  uint64_t not_krb;     /* messages not recognised */
  uint64_t anomalies;   /* messages with any anomaly */
  uint64_t tcp_cut;     /* TCP messages read from their prefix */
  uint64_t tcp_stopped; /* TCP directions abandoned (framing, gap) */
} wd_krb_stats_t;

/* Parses one message (UDP payload, or a TCP message without its length).
 * Fills *m. Returns WD_OK; WD_ERR_TRUNC when it ends inside an element
 * (what was read before is kept); WD_ERR_INVAL when it is not a Kerberos
 * message or breaks DER. stats may be NULL. */
wd_rc wd_krb_parse(const uint8_t *p, size_t len, wd_krb_msg_t *m,
                   wd_krb_stats_t *stats);

typedef void (*wd_krb_msg_fn)(void *user, const wd_krb_msg_t *m, wd_rc rc);

/* One TCP direction. Treat as opaque. */
typedef struct wd_krb_tcp {
  uint8_t state;
  uint8_t len_have;
  uint8_t len_b[4];
  uint32_t msg_len;
  uint32_t have; /* bytes held in buf */
  uint32_t skip; /* bytes beyond the prefix still to skip */
  uint8_t buf[WD_KRB_PREFIX_MAX];
  wd_krb_stats_t *stats;
} wd_krb_tcp_t;

void wd_krb_tcp_init(wd_krb_tcp_t *t, wd_krb_stats_t *stats);

/* Feeds the next in-order bytes. Calls fn with scratch filled for each
 * message (as soon as its prefix is in). Returns WD_OK on a message
 * boundary, WD_AGAIN inside one, WD_ERR_STATE once the direction was
 * abandoned (a bad frame length or a gap). */
wd_rc wd_krb_tcp_feed(wd_krb_tcp_t *t, const uint8_t *data, size_t len,
                      wd_krb_msg_t *scratch, wd_krb_msg_fn fn, void *user);

/* Bytes were lost: the framing is lost, the direction is abandoned. */
void wd_krb_tcp_gap(wd_krb_tcp_t *t);

const char *wd_krb_msg_name(uint8_t msg_type);
/* "KDC_ERR_PREAUTH_FAILED", ... or "other". */
const char *wd_krb_error_name(int32_t code);

#endif
