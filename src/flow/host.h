/* host.h -- per-address counters, for every address seen.
 * In: decoded packets with their flow (wd_host_table_update). Out: borrowed
 * wd_host_t entries, valid until the next update call. Counters come in two
 * forms: totals since the host entered the table, and a one-second window
 * of traffic time (cur_*) that wd_host_table_tick() rolls into last_* and
 * peak_*. Memory: a wd_table under host.max / host.memcap; the least
 * recently active host is recycled when full (stats count it). */
#ifndef WD_FLOW_HOST_H
#define WD_FLOW_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/net.h"
#include "core/rc.h"
#include "core/table.h"
#include "decode/packet.h"
#include "flow/flow.h"

/* Counters for one direction of one second (or of all time). */
typedef struct wd_host_counts {
  uint64_t pkts, bytes;
  uint64_t tcp_syn;    /* SYN without ACK */
  uint64_t tcp_synack; /* SYN with ACK */
  uint64_t tcp_rst;
  uint64_t udp_pkts, udp_bytes;
  uint64_t icmp_unreach; /* ICMP/ICMPv6 destination unreachable */
  uint64_t frags;        /* IP fragments */
} wd_host_counts_t;

typedef struct wd_host {
  wd_addr_t addr;
  uint64_t first_ns, last_ns;
  wd_host_counts_t in, out;           /* totals: to / from this address */
  wd_host_counts_t cur_in, cur_out;   /* this traffic-time second so far */
  wd_host_counts_t last_in, last_out; /* the previous complete second */
  uint64_t peak_pps_in, peak_bps_in;  /* highest complete second seen */
  uint64_t flows_as_client, flows_as_server; /* flows started */
  uint64_t handshakes_as_server; /* TCP handshakes completed towards it */
  uint64_t handshakes_as_client;
} wd_host_t;

typedef struct wd_host_table wd_host_table_t;

wd_rc wd_host_table_new(const wd_config_t *cfg, wd_host_table_t **out);
void wd_host_table_free(wd_host_table_t *t);

/* Accounts p (with its flow and direction, flow may be NULL) to its source
 * and destination hosts. new_flow: the flow was created by this packet;
 * handshake_done: this packet completed the flow's TCP handshake. */
void wd_host_table_update(wd_host_table_t *t, const wd_packet_t *p,
                          const wd_flow_t *flow, int dir, bool new_flow,
                          bool handshake_done);

/* Borrowed entry of addr or NULL. */
wd_host_t *wd_host_table_find(wd_host_table_t *t, const wd_addr_t *addr);

/* Closes the current second at now_ns (call when traffic time enters a new
 * second): cur_* -> last_*, peaks updated, cur_* zeroed for hosts active in
 * it; hosts idle past host.timeout leave the table. */
void wd_host_table_tick(wd_host_table_t *t, uint64_t now_ns);

/* Visits hosts active in the second just closed by the last tick (those
 * whose last_in/last_out is non-zero), most recent first. */
void wd_host_table_foreach_active(wd_host_table_t *t,
                                  bool (*fn)(void *user, wd_host_t *h),
                                  void *user);

void wd_host_table_stats(const wd_host_table_t *t, wd_table_stats_t *out,
                         wd_memcap_t *mem);

/* Bytes one host costs in the table (entry, links, one bucket), for sizing
 * host.memcap. */
size_t wd_host_table_entry_size(void);

#endif
