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

/* DNS: a name's wire length (RFC 1035 3.1: 255 octets, length bytes and the
 * root included) and a label's (63). */
#define WD_DNS_NAME_WIRE_MAX 255
#define WD_DNS_LABEL_MAX 63

/* DNS: text form of a name: every wire byte may become a four-byte \DDD
 * escape, plus the dots and the NUL. */
#define WD_DNS_NAME_TEXT_MAX 1024

/* DNS: compression pointers followed in one name. Encoders point once to a
 * prior suffix, rarely twice; each hop must land before every byte already
 * read for the name, so even without this cap a name ends, but a crafted
 * chain of 2-byte hops would cost a read per hop. */
#define WD_DNS_PTR_HOPS_MAX 16

/* DNS: questions and resource records kept per message. Real queries carry
 * one question (RFC 9619); answers beyond 16 are counted, not kept. */
#define WD_DNS_QUESTIONS_MAX 4
#define WD_DNS_ANSWERS_MAX 16

/* DNS over TCP: bytes of one message kept for parsing. UDP answers fit in
 * 4096 (the largest EDNS buffer in use; DNS Flag Day 2020 advises 1232),
 * so do TCP retries of them; larger messages (zone transfers) are parsed
 * as far as this prefix goes and the rest skipped. */
#define WD_DNS_TCP_KEEP 4096

/* TLS: bytes of one handshake message (ClientHello or ServerHello) buffered
 * across records and segments. A ClientHello with post-quantum key shares
 * is about 1.8 KiB; 16 KiB is one full record, which a hello never needs. */
#define WD_TLS_HELLO_MAX 16384

/* TLS: plaintext record length (RFC 8446 5.1: 2^14) plus the 2048 bytes of
 * expansion ciphertext may carry; a longer record length is not TLS. */
#define WD_TLS_RECORD_MAX (16384 + 2048)

/* TLS: items kept from a hello (the rest counted): cipher suites and
 * extension types in order (clients offer 15-50 suites and 10-20
 * extensions, enough for a fingerprint), ALPN names, supported versions. */
#define WD_TLS_CIPHERS_KEEP 64
#define WD_TLS_EXTS_KEEP 64
#define WD_TLS_ALPN_KEEP 8
#define WD_TLS_ALPN_NAME_MAX 32
#define WD_TLS_VERSIONS_KEEP 8

/* TLS: a host name in server_name (RFC 6066 3: up to 2^16 - 1 bytes on the
 * wire, but a DNS host name is at most 253 characters). */
#define WD_TLS_SNI_MAX 256

/* QUIC: CRYPTO bytes gathered from Initial packets before the ClientHello
 * is parsed (offset 0 onwards; a ClientHello spans at most a few
 * Initials); the same bound as a TLS hello. */
#define WD_QUIC_CRYPTO_MAX WD_TLS_HELLO_MAX

/* QUIC: connection ID length (RFC 9000 17.2: at most 20 bytes in v1). */
#define WD_QUIC_CID_MAX 20

/* HTTP/1.x: one request, status or header line (RFC 9112 3: at least 8000
 * octets of request line SHOULD be supported); longer lines are cut and
 * flagged, the rest of the line is skipped. */
#define WD_HTTP_LINE_MAX 8192

/* HTTP/1.x: bytes of one header section (servers refuse beyond 8-64 KiB:
 * nginx large_client_header_buffers 4 x 8k, Apache LimitRequestFieldSize
 * x LimitRequestFields). Beyond it the direction is no longer inspected. */
#define WD_HTTP_HEADERS_MAX 65536

/* HTTP/1.x: header fields per section (Apache LimitRequestFields: 100). */
#define WD_HTTP_FIELDS_MAX 100

/* HTTP/1.x: text kept of a request target, Host and User-Agent. */
#define WD_HTTP_TARGET_MAX 2048
#define WD_HTTP_HOST_MAX 256
#define WD_HTTP_UA_MAX 512
#define WD_HTTP_METHOD_MAX 24

/* HTTP/1.x: requests awaiting their response (pipelining depth) at most,
 * whatever stream.http_pipeline says (its default: 16); browsers never
 * pipeline, tools send a few; more are counted and responses beyond are
 * unpaired. */
#define WD_HTTP_PIPELINE_MAX 64

/* HTTP/1.x: text kept of a response's Content-Type. */
#define WD_HTTP_CTYPE_MAX 128

/* SSH: identification line (RFC 4253 4.2: 255 characters with CR LF) and
 * the lines a server may send before it (bounded in lines and bytes). */
#define WD_SSH_IDENT_MAX 255
#define WD_SSH_BANNER_LINES_MAX 64
#define WD_SSH_BANNER_BYTES_MAX 8192

/* SSH: packet_length accepted in clear (RFC 4253 6.1 requires 35000;
 * OpenSSH accepts up to 256 KiB). */
#define WD_SSH_PACKET_MAX 262144

/* RDP: bytes of the first TPKT of each direction kept: the X.224 connection
 * request with its cookie (a routing token or mstshash, a line) and
 * RDP_NEG_REQ, or the confirm with RDP_NEG_RSP, are under 300 bytes. */
#define WD_RDP_PREFIX_MAX 512
#define WD_RDP_COOKIE_MAX 128

/* Kerberos: bytes of one message kept for parsing. Requests and errors are
 * a few hundred bytes; replies carry a ticket with a PAC of several KiB,
 * but crealm and cname come before it, so a prefix is enough. */
#define WD_KRB_PREFIX_MAX 4096

/* Kerberos: DER nesting followed (the reader's deepest window, a request's
 * principal name strings, is at depth 8) and the largest length accepted (the
 * TCP framing allows 2^31; a KDC message above 1 MiB is not seen in practice).
 */
#define WD_DER_DEPTH_MAX 12
#define WD_KRB_MSG_MAX (1u << 20)

/* Kerberos: realm and principal text kept (name components joined by '/'). */
#define WD_KRB_NAME_MAX 256

/* Indicator feeds: one line of a CSV feed, one indicator value (URLs
 * can be long; domains stop at 253) and the description kept. */
#define WD_FEED_LINE_MAX 4096
#define WD_FEED_VALUE_MAX 2048
#define WD_FEED_DESC_MAX 256
/* A STIX feed's indicator kept for a sighting (id, pattern, times), as
 * compact JSON: longer ones are not kept (a sighting then carries an
 * indicator of ward's own). */
#define WD_INTEL_STIX_MAX 1024

/* Indicator feeds: a JSON feed file read whole (STIX bundle or MISP
 * event); larger feeds belong in several files. */
#define WD_FEED_FILE_MAX (256u << 20)

/* Indicator feeds: comparisons ORed in one STIX pattern. */
#define WD_FEED_PATTERN_TERMS_MAX 64

/* Application layer: in-order bytes of one TCP flow (both directions)
 * read by the DNS, Kerberos, TLS and HTTP parsers before the flow's state
 * is released. The handshakes and first request/answer heads that carry
 * names and outcomes fit well inside; bodies after them are not read. */
#define WD_APP_INSPECT_MAX (64u * 1024u)

/* Application layer: client datagrams of one QUIC flow offered to the
 * Initial decryption before the flow is given up (a ClientHello spans
 * one to three Initials; later packets are 1-RTT). */
#define WD_APP_QUIC_DATAGRAMS_MAX 8

#endif
