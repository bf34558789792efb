/* quic.h -- QUIC version 1 client Initial packets (RFC 9000 17.2.2, 19;
 * RFC 9001 5): the TLS ClientHello they carry.
 * In: UDP datagrams from the client of one QUIC connection (coalesced
 * packets included). Out: a wd_tls_hello_t (tls.h) for the ClientHello,
 * once the CRYPTO frames of the Initial packets cover it from offset 0
 * (frames in any order, over several packets: clients split and shuffle
 * them), plus per-packet facts (version, connection IDs, packet number).
 * How: the Initial keys come from the packet's Destination Connection ID
 * (HKDF-SHA256 with the version 1 salt, labels "client in", "quic key",
 * "quic iv", "quic hp"); header protection is removed with AES-128-ECB
 * over the 16-byte sample; the payload is opened with AES-128-GCM, all
 * through OpenSSL's libcrypto. Initial keys are public by design: this
 * reads what any on-path observer can, nothing more.
 * Memory: a wd_quic_ctx_t (one per pipeline: the cipher contexts and a
 * plaintext buffer, allocated once) and a wd_quic_conn_t per connection
 * (caller storage, WD_QUIC_CRYPTO_MAX bytes of CRYPTO data and a bitmap of
 * what arrived). Key derivation happens once per Destination Connection
 * ID (OpenSSL's HMAC may allocate internally then); the per-packet work
 * reuses the context's cipher contexts.
 * Threads: a context and its connections belong to one thread. */
#ifndef WD_PROTO_QUIC_H
#define WD_PROTO_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"
#include "proto/tls.h"

#define WD_QUIC_VERSION_1 0x00000001u

/* Anomalies (wd_quic_conn_t.anomalies, wd_quic_pkt_t.anomalies). */
enum {
  /* not a long-header packet with the fixed bit, or a length field
   * running past the datagram */
  WD_QUIC_ANOM_BAD_HEADER = 1u << 0,
  /* a connection ID longer than 20 bytes (RFC 9000 17.2) */
  WD_QUIC_ANOM_BAD_CID = 1u << 1,
  /* a version other than 1 (not decrypted; Version Negotiation is 0) */
  WD_QUIC_ANOM_VERSION = 1u << 2,
  /* the payload did not authenticate with the Initial keys (not the
   * client's Initial, corrupted, or not QUIC) */
  WD_QUIC_ANOM_DECRYPT = 1u << 3,
  /* a frame type not allowed in an Initial packet, or a frame running
   * past the payload */
  WD_QUIC_ANOM_BAD_FRAME = 1u << 4,
  /* CRYPTO data beyond WD_QUIC_CRYPTO_MAX (a ClientHello never needs it) */
  WD_QUIC_ANOM_CRYPTO_TOO_BIG = 1u << 5,
  /* CRYPTO data at the same offset differing from what arrived first */
  WD_QUIC_ANOM_CRYPTO_CONFLICT = 1u << 6,
  /* an Initial datagram shorter than 1200 bytes (RFC 9000 14.1) */
  WD_QUIC_ANOM_SHORT_DATAGRAM = 1u << 7
};

/* One packet as read. */
typedef struct wd_quic_pkt {
  uint8_t type; /* long header type: 0 Initial, 1 0-RTT, 2 Handshake,
                   3 Retry */
  uint32_t version;
  uint8_t dcid_len, scid_len;
  uint8_t dcid[WD_QUIC_CID_MAX], scid[WD_QUIC_CID_MAX];
  uint64_t token_len;
  uint64_t pn;          /* packet number (truncated form) */
  uint32_t payload_len; /* plaintext bytes */
  uint32_t anomalies;
} wd_quic_pkt_t;

typedef struct wd_quic_stats {
  uint64_t datagrams;
  uint64_t initials;      /* client Initial packets opened */
  uint64_t decrypt_fail;  /* Initial packets that did not authenticate */
  uint64_t other_packets; /* other long-header types or versions */
  uint64_t hellos;        /* ClientHellos parsed */
  uint64_t malformed;     /* packets or frames refused */
} wd_quic_stats_t;

typedef struct wd_quic_ctx wd_quic_ctx_t;

wd_rc wd_quic_ctx_new(wd_quic_ctx_t **out);
void wd_quic_ctx_free(wd_quic_ctx_t *c);

/* One connection's client Initial CRYPTO stream. Treat as opaque. */
typedef struct wd_quic_conn {
  bool done; /* hello parsed (or given up) */
  bool have_keys;
  uint8_t key_dcid_len;
  uint8_t key_dcid[WD_QUIC_CID_MAX];
  uint8_t key[16], iv[12], hp[16];
  uint32_t contiguous; /* CRYPTO bytes present from offset 0 */
  uint32_t anomalies;  /* collected over the packets */
  wd_quic_stats_t *stats;
  uint8_t seen[WD_QUIC_CRYPTO_MAX / 8]; /* bitmap of bytes present */
  uint8_t crypto[WD_QUIC_CRYPTO_MAX];
} wd_quic_conn_t;

void wd_quic_conn_init(wd_quic_conn_t *c, wd_quic_stats_t *stats);

/* Feeds one UDP datagram sent by the client. Returns WD_AGAIN while the
 * ClientHello is incomplete (state kept); WD_OK when it completed with
 * this datagram and *hello is filled; WD_ERR_INVAL when nothing in the
 * datagram was a decryptable QUIC v1 Initial (pkt->anomalies say why);
 * WD_END once done. pkt (may be NULL) describes the last packet read. */
wd_rc wd_quic_conn_datagram(wd_quic_ctx_t *x, wd_quic_conn_t *c,
                            const uint8_t *data, size_t len,
                            wd_tls_hello_t *hello, wd_quic_pkt_t *pkt);

/* Walks the frames of an Initial payload already opened (for tools and
 * tests): CRYPTO data is gathered as for a datagram. Returns as
 * wd_quic_conn_datagram; *anomalies (may be NULL) gets this payload's. */
wd_rc wd_quic_conn_frames(wd_quic_conn_t *c, const uint8_t *plain, size_t len,
                          wd_tls_hello_t *hello, uint32_t *anomalies);

/* The client Initial key, IV and header-protection key for a Destination
 * Connection ID (RFC 9001 5.2). Returns WD_OK or WD_ERR_INVAL. */
wd_rc wd_quic_client_keys(const uint8_t *dcid, size_t dcid_len, uint8_t key[16],
                          uint8_t iv[12], uint8_t hp[16]);

/* Reads a variable-length integer (RFC 9000 16) at *off; false when it
 * does not fit in len. */
bool wd_quic_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v);

#endif
