/* tls.h -- TLS ClientHello and ServerHello (RFC 8446 4.1.2-4.1.3, RFC 5246
 * 7.4.1, RFC 6066 3 server_name, RFC 7301 ALPN, RFC 8446 4.2.1
 * supported_versions, RFC 8701 GREASE).
 * In: the in-order bytes of one TCP direction in pieces of any size
 * (wd_tls_dir_feed: record layer, a hello spanning several records and
 * segments), or one whole handshake message (wd_tls_parse_hello: used by
 * QUIC, whose CRYPTO frames carry handshake messages without records).
 * Out: a wd_tls_hello_t for the first handshake message of the direction:
 * legacy and real version, cipher suites (count, first ones kept), the
 * extension types in order, SNI (validated host name, lowercased), ALPN
 * names, supported versions; for a ServerHello the chosen version and
 * cipher suite and whether it is a HelloRetryRequest. After the first
 * handshake message the direction is done: nothing after it is read
 * (everything after a ServerHello in TLS 1.3 is encrypted).
 * Memory: a wd_tls_dir_t holds a WD_TLS_HELLO_MAX buffer (caller storage);
 * no allocation. Threads: one state per thread. */
#ifndef WD_PROTO_TLS_H
#define WD_PROTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

enum {
  WD_TLS_HS_CLIENT_HELLO = 1,
  WD_TLS_HS_SERVER_HELLO = 2,
};

/* Extension types ward reads. */
enum {
  WD_TLS_EXT_SERVER_NAME = 0,
  WD_TLS_EXT_ALPN = 16,
  WD_TLS_EXT_SUPPORTED_VERSIONS = 43,
};

/* Anomalies (wd_tls_hello_t.anomalies). */
enum {
  /* the first record is not a TLS handshake record (content type 22,
   * version 3.x) */
  WD_TLS_ANOM_NOT_TLS = 1u << 0,
  /* an SSL 2.0 compatible ClientHello (RFC 5246 E.2): not parsed */
  WD_TLS_ANOM_SSLV2 = 1u << 1,
  /* a record longer than WD_TLS_RECORD_MAX, or an empty handshake record
   * (RFC 8446 5.1 forbids it) */
  WD_TLS_ANOM_BAD_RECORD = 1u << 2,
  /* another record type between the records of the hello */
  WD_TLS_ANOM_INTERLEAVED = 1u << 3,
  /* the handshake message is longer than WD_TLS_HELLO_MAX */
  WD_TLS_ANOM_TOO_BIG = 1u << 4,
  /* the first handshake message is not a hello */
  WD_TLS_ANOM_NOT_HELLO = 1u << 5,
  /* a length inside the hello disagrees with the bytes there (vectors
   * overrunning their parent, odd cipher suite bytes, session id > 32) */
  WD_TLS_ANOM_BAD_LENGTH = 1u << 6,
  /* the same extension type twice (RFC 8446 4.2 forbids it) */
  WD_TLS_ANOM_DUP_EXT = 1u << 7,
  /* server_name: not a valid DNS host name (characters other than
   * letters, digits, '-', '_', '.'; an empty or 64+ byte label; a trailing
   * dot; longer than 253) */
  WD_TLS_ANOM_SNI_INVALID = 1u << 8,
  /* server_name: more than one host_name, or a name type other than 0 */
  WD_TLS_ANOM_SNI_ODD = 1u << 9,
  /* ALPN: an empty name or a list that overruns the extension */
  WD_TLS_ANOM_ALPN_BAD = 1u << 10,
  /* bytes after the extensions */
  WD_TLS_ANOM_TRAILING = 1u << 11,
  /* the hello ended before a field it announced */
  WD_TLS_ANOM_TRUNCATED = 1u << 12
};

typedef struct wd_tls_hello {
  uint8_t hs_type;         /* WD_TLS_HS_CLIENT_HELLO or _SERVER_HELLO */
  uint16_t record_version; /* version field of the first record (0 for
                              wd_tls_parse_hello) */
  uint16_t legacy_version; /* ClientHello/ServerHello.legacy_version */
  uint16_t version;        /* real version: client: highest non-GREASE
                              supported_versions entry; server: selected
                              version; else legacy_version */
  bool hello_retry;        /* ServerHello is a HelloRetryRequest */
  uint8_t session_id_len;
  uint16_t n_ciphers;                    /* suites offered (client) */
  uint8_t ciphers_kept;                  /* kept in ciphers[] */
  uint16_t ciphers[WD_TLS_CIPHERS_KEEP]; /* in order, GREASE included */
  uint16_t cipher;                       /* chosen suite (server) */
  uint8_t n_compression;                 /* compression methods */
  uint16_t n_exts;                       /* extensions present */
  uint8_t exts_kept;                     /* kept in exts[] */
  uint16_t exts[WD_TLS_EXTS_KEEP];       /* types, in order */
  bool has_sni;                          /* a host_name was present */
  char sni[WD_TLS_SNI_MAX];              /* lowercased, escaped \DDD */
  uint8_t n_alpn;                        /* ALPN names offered/chosen */
  uint8_t alpn_kept;                     /* kept in alpn[] */
  char alpn[WD_TLS_ALPN_KEEP][WD_TLS_ALPN_NAME_MAX]; /* escaped, cut */
  uint8_t n_versions; /* supported_versions entries */
  uint8_t versions_kept;
  uint16_t versions[WD_TLS_VERSIONS_KEEP]; /* in order */
  uint32_t hs_len;                         /* handshake body length */
  uint32_t anomalies;                      /* WD_TLS_ANOM_* */
} wd_tls_hello_t;

typedef struct wd_tls_stats {
  uint64_t client_hellos;
  uint64_t server_hellos;
  uint64_t not_tls;     /* directions that did not start as TLS */
  uint64_t malformed;   /* hellos refused (WD_ERR_INVAL) */
  uint64_t sni_invalid; /* hellos with WD_TLS_ANOM_SNI_INVALID */
  uint64_t anomalies;   /* hellos with any anomaly */
} wd_tls_stats_t;

/* One TCP direction. Treat as opaque. */
typedef struct wd_tls_dir {
  uint8_t state;
  uint8_t rec_have;        /* record header bytes held */
  uint8_t rec_hdr[5];      /* current record header */
  uint16_t record_version; /* of the first record */
  uint32_t rec_left;       /* body bytes of the current record left */
  uint32_t anomalies;      /* collected before the hello is parsed */
  uint32_t hs_have;        /* handshake bytes held */
  wd_tls_stats_t *stats;
  uint8_t buf[WD_TLS_HELLO_MAX];
} wd_tls_dir_t;

void wd_tls_dir_init(wd_tls_dir_t *d, wd_tls_stats_t *stats);

/* Feeds the next in-order bytes. Returns WD_AGAIN while the first
 * handshake message is incomplete; WD_OK when it completed in these bytes
 * and *out is filled (bytes after it are not read); WD_ERR_INVAL when the
 * direction is not TLS or the hello is malformed (*out is filled with what
 * was read and the anomalies saying why); WD_END on any call after that
 * (the direction is done). */
wd_rc wd_tls_dir_feed(wd_tls_dir_t *d, const uint8_t *data, size_t len,
                      wd_tls_hello_t *out);

/* The direction lost bytes: a hello in progress cannot be completed; the
 * direction is done (later feeds return WD_END). */
void wd_tls_dir_gap(wd_tls_dir_t *d);

/* Parses one handshake message (4-byte header: type, 24-bit length, then
 * the body), a ClientHello or a ServerHello. Returns WD_OK; WD_ERR_TRUNC
 * when len is short of the header's length; WD_ERR_INVAL when it is not a
 * hello or is malformed (anomalies say how; what came before is kept). */
wd_rc wd_tls_parse_hello(const uint8_t *msg, size_t len, wd_tls_hello_t *out);

/* True for the RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa). */
bool wd_tls_is_grease(uint16_t v);

/* "TLS 1.3", "TLS 1.2", ..., "SSL 3.0", else "unknown". */
const char *wd_tls_version_name(uint16_t v);

#endif
