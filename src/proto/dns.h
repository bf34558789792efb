/* dns.h -- DNS messages over UDP and TCP (RFC 1035, RFC 3596 for AAAA,
 * RFC 7766 for TCP).
 * In: one UDP payload (wd_dns_parse), or the in-order bytes of one TCP
 * direction in pieces of any size (wd_dns_tcp_feed: 2-byte length framing,
 * messages spanning pieces). Out: a wd_dns_msg_t per message: header
 * fields and flags, up to WD_DNS_QUESTIONS_MAX questions and
 * WD_DNS_ANSWERS_MAX answer records (the rest counted), names in a
 * normalised text form, simple rdata decoded (A, AAAA, CNAME, NS, PTR, MX,
 * TXT). The authority and additional sections are counted from the header
 * only.
 * Names: labels of at most 63 bytes, wire length at most 255; compression
 * pointers must land before every byte already read for the name (so they
 * point backwards and can never loop), at most WD_DNS_PTR_HOPS_MAX hops.
 * Text form: lowercase ASCII, labels joined by '.', no trailing dot (the
 * root is ""), bytes outside 0x21..0x7e and '.' or '\' inside a label
 * written as \DDD (flagged WD_DNS_ANOM_NAME_ESCAPED).
 * Memory: a wd_dns_msg_t (about 40 KiB) and a wd_dns_tcp_t are caller
 * storage; no allocation. Threads: none shared; a parser state belongs to
 * one thread. */
#ifndef WD_PROTO_DNS_H
#define WD_PROTO_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* Record types decoded (others keep their type and rdlength only). */
enum {
  WD_DNS_T_A = 1,
  WD_DNS_T_NS = 2,
  WD_DNS_T_CNAME = 5,
  WD_DNS_T_SOA = 6,
  WD_DNS_T_PTR = 12,
  WD_DNS_T_MX = 15,
  WD_DNS_T_TXT = 16,
  WD_DNS_T_AAAA = 28,
  WD_DNS_T_OPT = 41,
  WD_DNS_T_ANY = 255
};

/* Response codes (RFC 1035 4.1.1, RFC 6895). */
enum {
  WD_DNS_RCODE_NOERROR = 0,
  WD_DNS_RCODE_FORMERR = 1,
  WD_DNS_RCODE_SERVFAIL = 2,
  WD_DNS_RCODE_NXDOMAIN = 3,
  WD_DNS_RCODE_NOTIMP = 4,
  WD_DNS_RCODE_REFUSED = 5
};

/* Anomalies of one message (wd_dns_msg_t.anomalies). */
enum {
  /* the message ends inside a question or record (or its header) */
  WD_DNS_ANOM_TRUNCATED = 1u << 0,
  /* a label length byte with the reserved top bits 01 or 10 */
  WD_DNS_ANOM_BAD_LABEL = 1u << 1,
  /* a name longer than 255 wire bytes */
  WD_DNS_ANOM_NAME_TOO_LONG = 1u << 2,
  /* a compression pointer forwards, beyond the bytes read for the name */
  WD_DNS_ANOM_PTR_FORWARD = 1u << 3,
  /* a compression pointer into bytes already read for the same name
   * (itself included): a loop */
  WD_DNS_ANOM_PTR_LOOP = 1u << 4,
  /* more than WD_DNS_PTR_HOPS_MAX pointers in one name */
  WD_DNS_ANOM_PTR_HOPS = 1u << 5,
  /* a name had bytes that needed \DDD escapes */
  WD_DNS_ANOM_NAME_ESCAPED = 1u << 6,
  /* A/AAAA rdata of the wrong size, or a name or text running past its
   * rdlength */
  WD_DNS_ANOM_BAD_RDATA = 1u << 7,
  /* bytes after the last record the header announces */
  WD_DNS_ANOM_TRAILING = 1u << 8,
  /* a query (QR=0) carrying answers, or with no or several questions */
  WD_DNS_ANOM_ODD_QUERY = 1u << 9,
  /* TCP: the message was longer than WD_DNS_TCP_KEEP and was parsed from
   * its prefix only */
  WD_DNS_ANOM_CUT = 1u << 10,
  /* TXT text longer than the text kept */
  WD_DNS_ANOM_TEXT_CUT = 1u << 11
};

/* Anomalies that make a message invalid (the parse returns WD_ERR_INVAL). */
#define WD_DNS_ANOM_NAME_ERRORS                                                \
  (WD_DNS_ANOM_BAD_LABEL | WD_DNS_ANOM_NAME_TOO_LONG |                         \
   WD_DNS_ANOM_PTR_FORWARD | WD_DNS_ANOM_PTR_LOOP | WD_DNS_ANOM_PTR_HOPS)

typedef struct wd_dns_question {
  char name[WD_DNS_NAME_TEXT_MAX]; /* normalised text form */
  uint16_t type;
  uint16_t qclass; /* top bit: mDNS unicast-response (not stripped) */
} wd_dns_question_t;

typedef struct wd_dns_rr {
  char name[WD_DNS_NAME_TEXT_MAX];
  uint16_t type;
  uint16_t rclass;
  uint32_t ttl;
  uint16_t rdlength;
  bool decoded; /* rdata below is filled (type decoded, rdata valid) */
  /* A: addr[0..3]; AAAA: addr[0..15] (network order) */
  uint8_t addr[16];
  /* MX preference */
  uint16_t preference;
  /* CNAME/NS/PTR target, MX exchange (normalised name), or TXT strings
   * (escaped, joined by one space) */
  char text[WD_DNS_NAME_TEXT_MAX];
} wd_dns_rr_t;

typedef struct wd_dns_msg {
  uint16_t id;
  uint16_t flags; /* the raw 16 bits after the ID */
  bool qr, aa, tc, rd, ra, ad, cd;
  uint8_t opcode;
  uint8_t rcode; /* header RCODE (4 bits; EDNS extended bits ignored) */
  uint16_t qdcount, ancount, nscount, arcount; /* as the header says */
  uint8_t n_questions;                         /* kept in q[] */
  uint8_t n_answers;                           /* kept in an[] */
  uint16_t questions_skipped;                  /* parsed but not kept (cap) */
  uint16_t answers_skipped;
  uint32_t anomalies; /* WD_DNS_ANOM_* */
  uint32_t msg_len;   /* bytes of the message (TCP: as framed) */
  wd_dns_question_t q[WD_DNS_QUESTIONS_MAX];
  wd_dns_rr_t an[WD_DNS_ANSWERS_MAX];
} wd_dns_msg_t;

typedef struct wd_dns_stats {
  uint64_t messages;   /* messages parsed (whatever the result) */
  uint64_t queries;    /* QR = 0 */
  uint64_t responses;  /* QR = 1 */
  uint64_t truncated;  /* WD_DNS_ANOM_TRUNCATED */
  uint64_t bad_names;  /* messages with a WD_DNS_ANOM_NAME_ERRORS bit */
  uint64_t anomalies;  /* messages with any anomaly */
  uint64_t not_dns;    /* shorter than a header */
  uint64_t rr_skipped; /* questions and answers over the caps */
  uint64_t tcp_cut;    /* TCP messages parsed from their prefix only */
  uint64_t tcp_gaps;   /* TCP directions abandoned after a gap */
} wd_dns_stats_t;

/* Parses one DNS message of len bytes (a UDP payload, or a TCP message
 * without its length prefix). Fills *m: the header fields always, and
 * q[0..n_questions) and an[0..n_answers) (entries beyond are stale); on
 * error what was read before the problem is kept. Returns WD_OK; WD_ERR_TRUNC
 * when the message is shorter than its header or ends inside a question or
 * record (flag WD_DNS_ANOM_TRUNCATED); WD_ERR_INVAL on a name error (flags in
 * WD_DNS_ANOM_NAME_ERRORS): parsing stops at that name. stats may be
 * NULL. */
wd_rc wd_dns_parse(const uint8_t *p, size_t len, wd_dns_msg_t *m,
                   wd_dns_stats_t *stats);

/* Reads the name at offset off of the message p[0..len): writes its text
 * form into out (cap bytes, at least 1), its wire length at off (up to and
 * including the terminating zero or the first pointer) into *wire_len, and
 * ORs anomalies into *anom. Returns WD_OK, WD_ERR_TRUNC or WD_ERR_INVAL. */
wd_rc wd_dns_name(const uint8_t *p, size_t len, size_t off, char *out,
                  size_t cap, size_t *wire_len, uint32_t *anom);

/* Receives a parsed TCP message; m is the caller's scratch (valid for the
 * call), rc what wd_dns_parse returned. */
typedef void (*wd_dns_msg_fn)(void *user, const wd_dns_msg_t *m, wd_rc rc);

/* One TCP direction. Treat as opaque. */
typedef struct wd_dns_tcp {
  uint8_t state;
  uint8_t len_have; /* bytes of the length prefix held */
  uint8_t len_b[2]; /* the length prefix */
  uint16_t msg_len; /* length of the current message */
  uint16_t have;    /* bytes of it held in buf */
  uint16_t skip;    /* bytes of it still to skip (beyond the keep) */
  uint8_t buf[WD_DNS_TCP_KEEP];
  wd_dns_stats_t *stats;
} wd_dns_tcp_t;

/* Prepares one direction; stats may be NULL. */
void wd_dns_tcp_init(wd_dns_tcp_t *t, wd_dns_stats_t *stats);

/* Feeds the next in-order bytes of the direction. For each complete
 * message calls fn with scratch (caller storage, overwritten each time)
 * filled. Returns WD_OK when the bytes ended on a message boundary,
 * WD_AGAIN when a message is incomplete (state kept), WD_ERR_STATE once
 * the direction was abandoned after a gap. */
wd_rc wd_dns_tcp_feed(wd_dns_tcp_t *t, const uint8_t *data, size_t len,
                      wd_dns_msg_t *scratch, wd_dns_msg_fn fn, void *user);

/* Bytes of the direction were lost: the length framing cannot be found
 * again reliably, so the direction is abandoned (counted in tcp_gaps). */
void wd_dns_tcp_gap(wd_dns_tcp_t *t);

const char *wd_dns_type_name(uint16_t type);
const char *wd_dns_rcode_name(uint8_t rcode);

#endif
