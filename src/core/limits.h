/* limits.h -- fixed input limits, each with its reason. These bound what
 * a hostile packet or file can make ward do; configurable caps (table
 * sizes, memcaps) live in the config instead. */
#ifndef WD_CORE_LIMITS_H
#define WD_CORE_LIMITS_H

/* VLAN tags walked per frame: QinQ is two; more is either a lab oddity or an
 * attempt to make the decoder loop. */
#define WD_VLAN_MAX 2

/* IPv6 extension headers walked per packet: RFC 8200 expects a handful;
 * attackers chain hundreds to evade inspection. */
#define WD_IPV6_EXTHDR_MAX 8

/* Largest frame ward looks at (jumbo frames and GRO on capture hosts). */
#define WD_FRAME_MAX 262144

/* Facilities in one configuration; more belongs in a real directory. */
#define WD_FACILITY_MAX 1024

/* Networks listed under one facility, or in one CIDR list. */
#define WD_CIDR_LIST_MAX 256

/* Length of a facility, party or detector name. */
#define WD_NAME_MAX 128

/* Capture files given to one `ward analyze`. */
#define WD_CAPTURE_FILES_MAX 1024

#endif
