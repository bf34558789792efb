/* ssh.h -- SSH transport as far as it is in clear (RFC 4253 4.2, 6, 7,
 * RFC 4250 4.1.2 message numbers), then the shape of what follows.
 * In: the in-order bytes of one TCP connection per direction
 * (WD_DIR_TO_SERVER = 0: client, WD_DIR_TO_CLIENT = 1: server) in pieces
 * of any size, with their packet time. Out: a wd_ssh_summary_t, readable
 * at any time: both identification strings ("SSH-2.0-OpenSSH_9.6"), the
 * lines a server sent before its own, the binary packets in clear per
 * direction (KEXINIT, NEWKEYS, key exchange messages), and after a
 * direction's NEWKEYS only sizes: encrypted bytes and the pieces the
 * reassembler delivered (about one per TCP segment with payload), with the
 * times of the first and last.
 * Why: the authentication exchange is encrypted, but its outcome shows in
 * the shape: a client whose credentials fail is answered with a few small
 * USERAUTH_FAILURE packets and the session ends soon after NEWKEYS; a
 * session that logs in makes the server send channel data (shell, command
 * output, window adjustments). A later detector reads, at flow end,
 * kex_done, dir[1].enc_bytes, dir[1].enc_pieces and the duration after
 * NEWKEYS, and counts auth-shaped sessions per client (brute force by
 * behaviour); the thresholds are the detector's, from configuration.
 * Memory: wd_ssh_conn_t is caller storage (under 1 KiB); no allocation.
 * Threads: one connection state per thread. */
#ifndef WD_PROTO_SSH_H
#define WD_PROTO_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* Message numbers counted in clear. */
enum {
  WD_SSH_MSG_DISCONNECT = 1,
  WD_SSH_MSG_IGNORE = 2,
  WD_SSH_MSG_SERVICE_REQUEST = 5,
  WD_SSH_MSG_KEXINIT = 20,
  WD_SSH_MSG_NEWKEYS = 21,
};

/* Anomalies (wd_ssh_dir_summary_t.anomalies). */
enum {
  /* identification line longer than 255 bytes (kept cut) */
  WD_SSH_ANOM_IDENT_TOO_LONG = 1u << 0,
  /* identification or banner line ended by LF alone */
  WD_SSH_ANOM_BARE_LF = 1u << 1,
  /* protocol version other than 2.0 or 1.99 (SSH-1: not followed) */
  WD_SSH_ANOM_VERSION = 1u << 2,
  /* lines before the identification from the client (RFC 4253 4.2 lets
   * only the server send them), or more than the caps allow */
  WD_SSH_ANOM_BANNER = 1u << 3,
  /* a clear packet_length above WD_SSH_PACKET_MAX or below 5, or a
   * padding_length that does not fit: framing is lost, the direction stops */
  WD_SSH_ANOM_BAD_PACKET = 1u << 4,
  /* packet_length + 4 not a multiple of 8, or padding below 4 (RFC 4253
   * 6); flagged, framing kept */
  WD_SSH_ANOM_BAD_PADDING = 1u << 5,
  /* a message in clear that belongs after key exchange (service request,
   * user authentication, channels: 5..127 except 20..49) */
  WD_SSH_ANOM_EARLY_MSG = 1u << 6,
  /* bytes lost before NEWKEYS: the direction stops */
  WD_SSH_ANOM_GAP = 1u << 7,
  /* not SSH: no identification line within the banner caps, or binary
   * data where the identification belongs */
  WD_SSH_ANOM_NOT_SSH = 1u << 8
};

typedef struct wd_ssh_dir_summary {
  bool ident_seen;
  char ident[WD_SSH_IDENT_MAX + 1];    /* whole line without CR LF, escaped */
  char proto[8];                       /* "2.0" or "1.99" */
  char software[WD_SSH_IDENT_MAX + 1]; /* softwareversion, escaped */
  uint16_t banner_lines;               /* lines before the identification */
  uint32_t clear_packets;              /* binary packets before NEWKEYS */
  uint16_t kexinit;                    /* KEXINIT packets in clear */
  bool newkeys;                        /* NEWKEYS seen: encrypted after it */
  uint8_t last_clear_msg;              /* message number of the last one */
  uint64_t newkeys_ns;                 /* time of the piece holding NEWKEYS */
  uint64_t enc_bytes;                  /* bytes after NEWKEYS (+ known gaps) */
  uint32_t enc_pieces;                 /* pieces with bytes after NEWKEYS */
  uint64_t first_enc_ns, last_enc_ns;
  bool stopped;       /* framing lost or not SSH */
  uint32_t anomalies; /* WD_SSH_ANOM_* */
} wd_ssh_dir_summary_t;

typedef struct wd_ssh_summary {
  wd_ssh_dir_summary_t dir[2]; /* [0] client, [1] server */
  bool kex_done;               /* NEWKEYS in both directions */
} wd_ssh_summary_t;

typedef struct wd_ssh_stats {
  uint64_t connections; /* wd_ssh_conn_init calls */
  uint64_t idents;      /* identification lines read */
  uint64_t kex_done;    /* connections that reached NEWKEYS both ways */
  uint64_t not_ssh;     /* directions that were not SSH */
  uint64_t anomalies;   /* anomaly bits set (each first time per dir) */
} wd_ssh_stats_t;

/* Per direction framing. Treat as opaque. */
typedef struct wd_ssh_dir {
  uint8_t state;
  uint8_t hdr_have;  /* packet header bytes held */
  uint8_t hdr[6];    /* packet_length, padding_length, msg number */
  uint16_t line_len; /* identification / banner line bytes held */
  uint16_t banner_bytes;
  uint32_t skip; /* packet bytes left to skip */
  char line[WD_SSH_IDENT_MAX + 1];
  bool line_cut;
} wd_ssh_dir_t;

typedef struct wd_ssh_conn {
  wd_ssh_dir_t d[2];
  wd_ssh_summary_t sum;
  wd_ssh_stats_t *stats;
} wd_ssh_conn_t;

void wd_ssh_conn_init(wd_ssh_conn_t *c, wd_ssh_stats_t *stats);

/* Feeds the next in-order bytes of direction dir with their packet time.
 * Returns WD_AGAIN while identification or clear packets are being read,
 * WD_OK once the direction is encrypted (bytes only counted), WD_END when
 * the direction stopped (not SSH, or framing lost). */
wd_rc wd_ssh_conn_feed(wd_ssh_conn_t *c, int dir, const uint8_t *data,
                       size_t len, uint64_t ts_ns);

/* nbytes of direction dir were lost (0: unknown). After NEWKEYS a known
 * amount is added to enc_bytes; before, the direction stops. */
void wd_ssh_conn_gap(wd_ssh_conn_t *c, int dir, uint32_t nbytes);

/* The summary so far; borrowed, valid while c is. */
const wd_ssh_summary_t *wd_ssh_conn_summary(const wd_ssh_conn_t *c);

#endif
