/* smb.h -- SMB over TCP (ports 445 and 139): NetBIOS session framing, SMB1
 * headers and the transaction commands, SMB2/3 headers, SMB3 transform
 * headers.
 * In: the in-order bytes of one TCP connection, per direction, in pieces of
 * any size, and gap notices from the reassembler (stream.h). Out: one
 * wd_smb_msg_t per SMB message (per AndX command, per SMB2 compound element)
 * handed to a callback as soon as its header and fixed fields are in; the
 * rest of a message is skipped, never buffered (messages reach 16 MiB).
 * Memory: a wd_smb_conn_t is caller storage (wd_smb_conn_init), fixed size,
 * no allocation. Pointers in a message borrow the parser's buffer and are
 * valid only during the callback. Written from MS-CIFS, MS-SMB, MS-SMB2 and
 * RFC 1002. */
#ifndef WD_PROTO_SMB_H
#define WD_PROTO_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

/* wd_smb_msg_t.version */
enum {
  WD_SMB_V1 = 1,           /* 0xFF 'SMB' */
  WD_SMB_V2 = 2,           /* 0xFE 'SMB' (dialect tells 2.x or 3.x) */
  WD_SMB_V3_TRANSFORM = 3, /* 0xFD 'SMB': encrypted, nothing parsed */
  WD_SMB_V2_COMPRESSED = 4 /* 0xFC 'SMB': compressed, nothing parsed */
};

/* SMB1 commands ward looks at (MS-CIFS 2.2.2.1). */
enum {
  WD_SMB1_TRANSACTION = 0x25,
  WD_SMB1_TRANSACTION_SECONDARY = 0x26,
  WD_SMB1_ECHO = 0x2b,
  WD_SMB1_WRITE_ANDX = 0x2f,
  WD_SMB1_TRANSACTION2 = 0x32,
  WD_SMB1_TRANSACTION2_SECONDARY = 0x33,
  WD_SMB1_TREE_DISCONNECT = 0x71,
  WD_SMB1_NEGOTIATE = 0x72,
  WD_SMB1_SESSION_SETUP_ANDX = 0x73,
  WD_SMB1_LOGOFF_ANDX = 0x74,
  WD_SMB1_TREE_CONNECT_ANDX = 0x75,
  WD_SMB1_NT_TRANSACT = 0xa0,
  WD_SMB1_NT_TRANSACT_SECONDARY = 0xa1,
  WD_SMB1_NT_CREATE_ANDX = 0xa2
};

/* Subcommands. */
enum {
  WD_SMB_TRANS2_FIND_FIRST2 = 0x0001,
  WD_SMB_TRANS2_SESSION_SETUP = 0x000e, /* reserved, not implemented */
  WD_SMB_TRANS_PEEK_NMPIPE = 0x0023,
  WD_SMB_NT_TRANSACT_RENAME = 0x0005 /* reserved, not implemented */
};

/* NT status values ward compares against. */
#define WD_SMB_STATUS_SUCCESS 0x00000000u
#define WD_SMB_STATUS_NOT_IMPLEMENTED 0xc0000002u
#define WD_SMB_STATUS_INVALID_HANDLE 0xc0000008u
#define WD_SMB_STATUS_INVALID_PARAMETER 0xc000000du
#define WD_SMB_STATUS_ACCESS_DENIED 0xc0000022u
#define WD_SMB_STATUS_INSUFF_SERVER_RESOURCES 0xc0000205u

/* SESSION_SETUP outcomes (MS-ERREF 2.3.1). SMB1 carries them in the header
 * Status when Flags2 has NT_STATUS (0x4000) set, SMB2 always; the parser
 * exposes them as wd_smb_msg_t.status on the SESSION_SETUP response
 * (SMB1 command 0x73, SMB2 command WD_SMB2_SESSION_SETUP). */
#define WD_SMB_STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u /* NTLM step */
#define WD_SMB_STATUS_NO_SUCH_USER 0xc0000064u
#define WD_SMB_STATUS_WRONG_PASSWORD 0xc000006au
#define WD_SMB_STATUS_LOGON_FAILURE 0xc000006du /* user or password */
#define WD_SMB_STATUS_ACCOUNT_RESTRICTION 0xc000006eu
#define WD_SMB_STATUS_INVALID_LOGON_HOURS 0xc000006fu
#define WD_SMB_STATUS_INVALID_WORKSTATION 0xc0000070u
#define WD_SMB_STATUS_PASSWORD_EXPIRED 0xc0000071u
#define WD_SMB_STATUS_ACCOUNT_DISABLED 0xc0000072u
#define WD_SMB_STATUS_ACCOUNT_EXPIRED 0xc0000193u
#define WD_SMB_STATUS_PASSWORD_MUST_CHANGE 0xc0000224u
#define WD_SMB_STATUS_ACCOUNT_LOCKED_OUT 0xc0000234u

/* SMB2 commands (MS-SMB2 2.2.1.2) a detector of logons compares with. */
enum {
  WD_SMB2_NEGOTIATE = 0x0000,
  WD_SMB2_SESSION_SETUP = 0x0001,
  WD_SMB2_LOGOFF = 0x0002,
  WD_SMB2_TREE_CONNECT = 0x0003
};

/* Anomalies of one message (wd_smb_msg_t.anomalies): what the
 * specifications forbid or what no known client does. */
enum {
  /* a transaction request declares more parameter/data bytes in total than
   * this message carries (secondaries must follow; normal for big
   * transfers, the precondition of the MS17-010 overflows) */
  WD_SMB_ANOM_TOTAL_GT_SENT = 1u << 0,
  /* a parameter or data block (offset + count) lies beyond the message */
  WD_SMB_ANOM_COUNT_BEYOND_MSG = 1u << 1,
  /* a secondary with no open transaction on its PID/MID */
  WD_SMB_ANOM_SECONDARY_ORPHAN = 1u << 2,
  /* a secondary of another type than its primary (e.g. TRANSACTION2
   * SECONDARY continuing an NT_TRANSACT: EternalBlue) */
  WD_SMB_ANOM_SECONDARY_MISMATCH = 1u << 3,
  /* a secondary's displacement + count beyond the declared total, or a
   * total larger than the primary's */
  WD_SMB_ANOM_DISP_BEYOND_TOTAL = 1u << 4,
  /* a request reuses the MID of a transaction still open (MS-CIFS: a MID is
   * unique among outstanding requests) */
  WD_SMB_ANOM_MID_IN_USE = 1u << 5,
  /* a transaction response of another type than its request */
  WD_SMB_ANOM_RESP_MISMATCH = 1u << 6,
  /* a response whose PID/MID matches no outstanding request although the
   * request was seen (the server changed the MID: DoublePulsar's channel);
   * tx.req_* then describe the request it most likely answers */
  WD_SMB_ANOM_RESP_UNMATCHED = 1u << 7,
  /* word count below what the command needs, or header cut short by the
   * NetBIOS length */
  WD_SMB_ANOM_BAD_WORDCOUNT = 1u << 8,
  WD_SMB_ANOM_TRUNCATED = 1u << 9,
  /* SMB2 header with StructureSize != 64, or a bad NextCommand */
  WD_SMB_ANOM_SMB2_BAD_HEADER = 1u << 10,
  /* part of the message was lost in a stream gap */
  WD_SMB_ANOM_AFTER_GAP = 1u << 11,
  /* AndX chain beyond WD_SMB_ANDX_MAX, backwards, or out of the message */
  WD_SMB_ANOM_BAD_ANDX = 1u << 12,
  /* NetBIOS length larger than SMB1 allows (0x1FFFF) */
  WD_SMB_ANOM_OVERSIZE = 1u << 13,
  /* a transaction response carrying data beyond the MaxDataCount of its
   * request (MS-CIFS: the server must not send more): server memory
   * leaked, the info leaks of EternalRomance and EternalSynergy */
  WD_SMB_ANOM_RESP_BEYOND_MAX = 1u << 14
};

/* Transaction fields (SMB1 TRANSACTION, TRANSACTION2, NT_TRANSACT and their
 * secondaries and responses), as declared versus as carried. */
typedef struct wd_smb_tx_info {
  bool present;                 /* the command is a transaction command */
  bool secondary;               /* 0x26, 0x33, 0xa1 */
  uint32_t total_param;         /* TotalParameterCount */
  uint32_t total_data;          /* TotalDataCount */
  uint32_t max_param, max_data; /* primary requests */
  uint8_t max_setup;
  uint32_t param_count, param_offset, param_disp;
  uint32_t data_count, data_offset, data_disp;
  uint8_t setup_count;
  uint16_t setup[4];   /* first setup words (up to 4) */
  uint16_t subcommand; /* TRANS/TRANS2 setup[0], NT_TRANSACT Function */
  uint16_t fid;        /* TRANS setup[1], TRANS2_SECONDARY FID */
  uint32_t timeout;    /* TRANS/TRANS2 primary Timeout */
  uint16_t flags;      /* TRANS/TRANS2 primary Flags */
  /* Connection context: the primary this message belongs to (for
   * secondaries and responses), or whose MID a request reuses
   * (WD_SMB_ANOM_MID_IN_USE); 0 when none was seen. */
  uint8_t primary_cmd;            /* 0x25, 0x32 or 0xa0 */
  uint16_t primary_sub;           /* its subcommand */
  uint16_t primary_fid;           /* its TRANS setup[1] */
  uint32_t primary_timeout;       /* its Timeout (TRANS/TRANS2) */
  uint32_t primary_total_data;    /* its declared TotalDataCount */
  uint32_t primary_total_param;   /* its declared TotalParameterCount */
  uint32_t primary_max_data;      /* its MaxDataCount (requests' limit on
                                     the answer) */
  uint32_t sent_param, sent_data; /* bytes carried so far by the primary
                                     and its secondaries (incl. this one) */
  /* For secondaries: the error status with which the server refused the
   * still incomplete primary (0: not refused). A client must stop there;
   * the parser keeps the refused transaction so that secondaries sent
   * anyway stay linked to it. */
  uint32_t primary_status;
  /* For secondaries flagged WD_SMB_ANOM_SECONDARY_ORPHAN: the orphan
   * secondaries of this command family seen on this PID/MID (incl. this
   * one), how many of them place their block beyond their own declared
   * total (DataDisplacement + DataCount > TotalDataCount, or the same for
   * parameters: impossible in a genuine transaction), and the largest end
   * of a data block (displacement + count) among them. */
  uint16_t orphan_count;
  uint16_t orphan_inconsistent;
  uint32_t orphan_max_end;
  /* For responses flagged WD_SMB_ANOM_RESP_UNMATCHED: the request it most
   * likely answers (same command, same PID, oldest unanswered). */
  bool req_linked;
  uint16_t req_mid;
  uint16_t req_sub;
  uint32_t req_timeout;
  uint16_t mid_delta; /* response MID - request MID (mod 2^16) */
} wd_smb_tx_info_t;

typedef struct wd_smb_msg {
  uint64_t ts_ns;     /* packet time of the bytes that completed it */
  uint8_t version;    /* WD_SMB_V* */
  uint8_t nb_type;    /* NetBIOS message type (0x00 session message) */
  uint32_t nb_len;    /* NetBIOS length of the whole message */
  uint32_t offset;    /* of this element within the message (SMB2
                         compound element, 0 otherwise) */
  uint8_t andx_index; /* 0 = first command, n = n-th AndX follower */
  uint16_t command;   /* SMB1 (8 bit) or SMB2 command */
  bool is_response;   /* SMB1 FLAGS_REPLY / SMB2 SERVER_TO_REDIR */
  uint32_t status;    /* NT status (SMB1 DOS errors as class|code<<16) */
  uint32_t anomalies; /* WD_SMB_ANOM_* */

  /* SMB1 */
  uint8_t flags;
  uint16_t flags2;
  uint32_t pid; /* PIDHigh << 16 | PIDLow */
  uint16_t tid, uid, mid;
  uint8_t signature[8]; /* SecuritySignature (also SMB2's first 8) */
  uint8_t word_count;
  uint16_t byte_count;
  bool byte_count_present; /* the byte count was within the prefix */

  /* SMB2/3 */
  uint16_t dialect; /* negotiated dialect of the connection, 0 until
                       a NEGOTIATE response was seen (0x02ff: SMB1 to
                       SMB2 upgrade) */
  uint16_t structure_size;
  uint32_t smb2_flags;
  uint64_t msg_id;
  uint64_t session_id; /* also the transform header's SessionId */
  uint32_t tree_id;
  uint16_t credits; /* CreditRequest / CreditResponse */

  wd_smb_tx_info_t tx;

  /* Share path of a TREE_CONNECT_ANDX (SMB1) or TREE_CONNECT (SMB2)
   * request, e.g. \\10.0.0.5\IPC$ (printable ASCII, '?' for
   * anything else; "" if none) */
  char path[WD_SMB_PATH_MAX];
  /* The share path of the latest tree connect request seen on this
   * connection (this message's own included; "" before any): the tree the
   * client works in. Borrowed from the connection, valid during the
   * callback. */
  const char *tree;

  /* Borrowed: the bytes of this element the parser holds (header first),
   * at most WD_SMB_PREFIX_MAX; valid only during the callback. */
  const uint8_t *bytes;
  uint32_t bytes_len;
} wd_smb_msg_t;

typedef void (*wd_smb_msg_fn)(void *user, const wd_smb_msg_t *m);

typedef struct wd_smb_stats {
  uint64_t messages; /* SMB messages (elements) reported */
  uint64_t smb1, smb2, smb3_encrypted, smb2_compressed;
  uint64_t netbios_control; /* session request/response, keepalive */
  uint64_t not_smb;         /* framed messages without an SMB magic */
  uint64_t bad_framing;     /* NetBIOS headers that make no sense */
  uint64_t resyncs;         /* times the parser found a header again */
  uint64_t gaps;            /* gap notices received */
  uint64_t anomalies;       /* messages with at least one anomaly */
  uint64_t pending_evicted; /* outstanding requests forgotten (table full) */
  uint64_t skipped_bytes;   /* message bytes not looked at */
} wd_smb_stats_t;

/* Per direction framing state. Treat as opaque. */
typedef struct wd_smb_dir {
  uint8_t state;
  uint8_t nb_type;
  uint8_t hdr_len;    /* bytes held in hdr */
  uint8_t hdr[8];     /* NetBIOS header, or the resync window */
  uint8_t flags;      /* after_gap, ... */
  uint8_t units;      /* SMB2 compound elements seen in this message */
  uint32_t nb_len;    /* current message length */
  uint32_t pos;       /* bytes of the message body consumed */
  uint32_t unit_off;  /* start of the current element */
  uint32_t unit_next; /* start of the next element, 0 = none */
  uint32_t skip;      /* bytes left to skip */
  uint16_t pre_len;   /* bytes held in pre */
  uint16_t need;      /* bytes wanted in pre */
  uint8_t pre[WD_SMB_PREFIX_MAX];
} wd_smb_dir_t;

/* An outstanding SMB1 request (transactions: until complete and answered).
 * Treat as opaque. */
typedef struct wd_smb_pending {
  uint32_t pid;
  uint16_t mid;
  uint8_t cmd; /* family: primary command for transactions */
  uint8_t used;
  uint16_t sub, fid;
  uint32_t timeout;
  uint32_t total_param, total_data;
  uint32_t sent_param, sent_data;
  uint32_t max_data; /* MaxDataCount of the primary */
  uint64_t clock;    /* age for LRU replacement */
  uint32_t status;   /* refused: the error answering the incomplete primary */
  uint8_t refused;   /* primary refused before complete: kept for the
                        secondaries a client should no longer send; reused
                        first */
  uint8_t orphan;    /* no primary seen: counts orphan secondaries */
  uint16_t orphan_count, orphan_inconsistent;
  uint32_t orphan_max_end;
} wd_smb_pending_t;

typedef struct wd_smb_conn {
  wd_smb_dir_t d[2]; /* indexed by the caller's direction */
  wd_smb_pending_t pending[WD_SMB_PENDING_MAX];
  uint64_t clock;
  uint16_t dialect;
  char tree[WD_SMB_PATH_MAX]; /* latest tree connect request path */
  bool nbss;                  /* port 139: 17-bit RFC 1002 lengths; else direct
                                 TCP (445): 24-bit length, first byte zero */
  wd_smb_stats_t *stats;      /* where counters go (may be NULL) */
} wd_smb_conn_t;

/* Prepares conn. nbss: the server port is 139 (NetBIOS session service);
 * false for direct TCP (445). stats may be NULL. */
void wd_smb_conn_init(wd_smb_conn_t *c, bool nbss, wd_smb_stats_t *stats);

/* Feeds the next in-order bytes of direction dir (0 or 1). Calls fn for
 * every message header completed. Returns WD_OK when the data ended on a
 * message boundary, WD_AGAIN when a message is still incomplete (state is
 * kept; feed more). */
wd_rc wd_smb_conn_feed(wd_smb_conn_t *c, int dir, const uint8_t *data,
                       size_t len, uint64_t ts_ns, wd_smb_msg_fn fn,
                       void *user);

/* nbytes of direction dir were lost (0 = unknown amount). Inside a message
 * body the parser keeps counting; otherwise it searches for the next
 * NetBIOS + SMB header in the data that follows. */
void wd_smb_conn_gap(wd_smb_conn_t *c, int dir, uint32_t nbytes);

/* Decodes one complete message (NetBIOS header included) outside any
 * connection: for tests and tools. Calls fn for each element; returns
 * WD_OK, WD_AGAIN if len is short of the NetBIOS length, WD_ERR_INVAL if it
 * is not a NetBIOS session message carrying SMB. */
wd_rc wd_smb_decode(const uint8_t *data, size_t len, wd_smb_msg_fn fn,
                    void *user);

const char *wd_smb1_command_name(uint8_t cmd);

#endif
