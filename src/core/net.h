/* net.h -- IP addresses and prefixes as ward stores them.
 * An address is 16 bytes in network order; IPv4 is kept IPv4-mapped
 * (::ffff:a.b.c.d) so one compare, hash and prefix test serves both
 * families. A prefix length is always counted on the 128-bit form
 * (10.0.0.0/8 is stored as 104). Pure functions, no allocation. */
#ifndef WD_CORE_NET_H
#define WD_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

typedef struct wd_addr {
  uint8_t b[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
} wd_addr_t;

typedef struct wd_cidr {
  wd_addr_t addr; /* masked network address */
  uint8_t len;    /* prefix length on the 128-bit form, 0..128 */
} wd_cidr_t;

/* Longest text form of an address, with the terminating NUL. */
#define WD_ADDR_STRLEN 46

void wd_addr_from_v4(wd_addr_t *a, const uint8_t v4[4]);
void wd_addr_from_v6(wd_addr_t *a, const uint8_t v6[16]);
bool wd_addr_is_v4(const wd_addr_t *a);
/* a can be one remote host's own address: false for multicast, broadcast
 * and the reserved 240.0.0.0/4, loopback, link-local, "this network"
 * (0.0.0.0/8, ::) and the IPv4-compatible/v6 forms of those (RFC 6890).
 * Private and documentation ranges are hosts: whether they are ours is the
 * configuration's question. */
bool wd_addr_is_host_unicast(const wd_addr_t *a);
int wd_addr_cmp(const wd_addr_t *a, const wd_addr_t *b);
bool wd_addr_eq(const wd_addr_t *a, const wd_addr_t *b);
uint64_t wd_addr_hash(const wd_addr_t *a, uint64_t seed);
/* Writes the usual text form (dotted quad for IPv4); returns out. */
char *wd_addr_str(const wd_addr_t *a, char out[WD_ADDR_STRLEN]);
/* Parses "192.0.2.1" or "2001:db8::1". */
wd_rc wd_addr_parse(const char *s, wd_addr_t *out);

/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a host prefix).
 * Host bits set beyond the prefix are an error (WD_ERR_INVAL). */
wd_rc wd_cidr_parse(const char *s, wd_cidr_t *out);
bool wd_cidr_contains(const wd_cidr_t *c, const wd_addr_t *a);
bool wd_cidr_overlaps(const wd_cidr_t *x, const wd_cidr_t *y);
/* Text form "10.0.0.0/8" (IPv4 prefix lengths in IPv4 terms). */
char *wd_cidr_str(const wd_cidr_t *c, char out[WD_ADDR_STRLEN + 4]);

/* RFC 1918 and RFC 4193 ranges: the protected network when no facility
 * is configured. */
bool wd_addr_is_private(const wd_addr_t *a);

#endif
