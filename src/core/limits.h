/* limits.h -- fixed input limits, each with its reason. These bound what
 * a hostile packet or file can make ward do; configurable caps (table
 * sizes, memcaps) live in the config instead. */
#ifndef WD_CORE_LIMITS_H
#define WD_CORE_LIMITS_H

/* VLAN tags walked per frame: QinQ is two; more is either a lab oddity or an
 * attempt to make the decoder loop. */
#define WD_VLAN_MAX 2

/* MPLS labels walked per frame: provider networks stack two to four (VPN,
 * transport, fast reroute, entropy); a longer stack is a crafted frame. */
#define WD_MPLS_LABEL_MAX 8

/* IPv6 extension headers walked per packet: RFC 8200 expects a handful;
 * attackers chain hundreds to evade inspection. */
#define WD_IPV6_EXTHDR_MAX 8

/* Largest frame ward looks at (jumbo frames and GRO on capture hosts). */
#define WD_FRAME_MAX 262144

/* Facilities in one configuration; more belongs in a real directory. */
#define WD_FACILITY_MAX 1024

/* Sectors a configuration adds to the built-in ones (sectors:), and the
 * longest sector name: a sector is a coarse grouping for reports, not a
 * per-facility label. */
#define WD_SECTORS_EXTRA_MAX 32
#define WD_SECTOR_NAME_MAX 48

/* Networks listed under one facility, or in one CIDR list. */
#define WD_CIDR_LIST_MAX 256

/* Length of a facility, party or detector name. */
#define WD_NAME_MAX 128

/* Capture files given to one `ward analyze`. */
#define WD_CAPTURE_FILES_MAX 1024

/* SMB: bytes of one message (or SMB2 compound element) the parser looks at
 * before skipping the rest. Covers the SMB1 header (32), word count and up
 * to ~230 parameter words, byte count and a tree-connect path, or an SMB2
 * header (64) plus a NEGOTIATE response's fixed part. Messages can be 16 MiB
 * (SMB2 reads) and the exploit's grooming messages ~64 KiB: they are never
 * buffered whole. */
#define WD_SMB_PREFIX_MAX 512

/* SMB1 requests remembered per connection while awaiting their response
 * (transactions and their secondaries included). Windows servers grant
 * MaxMpxCount 50, real clients keep a handful outstanding; the oldest is
 * forgotten when full (counted). */
#define WD_SMB_PENDING_MAX 32

/* SMB1 AndX commands followed in one message: real clients chain 2 or 3;
 * a chain is also how a crafted message could make the parser loop. */
#define WD_SMB_ANDX_MAX 8

/* SMB2 compound elements followed in one transport message (NextCommand
 * chain); Windows clients compound fewer than 10. */
#define WD_SMB2_COMPOUND_MAX 32

/* Tree-connect path kept per message, as ASCII ("\\host\IPC$"): UNC
 * paths of shares are short; longer ones are cut (and flagged). */
#define WD_SMB_PATH_MAX 128

#endif
