/* flow.h -- one bidirectional conversation and the table that owns it.
 * In: decoded packets (read only). Out: a borrowed wd_flow_t valid until
 * the next call into the table (it may be recycled afterwards). Memory:
 * entries come from slabs reserved against flow.memcap; at flow.max or the
 * memcap the least recently active flow is recycled and counted.
 * Timeouts are driven by packet time (wd_flow_table_expire), never by the
 * wall clock. Threads: one table per pipeline, no locks. */
#ifndef WD_FLOW_FLOW_H
#define WD_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"
#include "decode/packet.h"

typedef enum {
  WD_TCP_NONE = 0,    /* not TCP */
  WD_TCP_SYN_SENT,    /* SYN seen from the client */
  WD_TCP_SYN_RECV,    /* SYN-ACK seen from the server */
  WD_TCP_ESTABLISHED, /* handshake completed (or mid-stream pickup) */
  WD_TCP_CLOSING,     /* FIN seen */
  WD_TCP_CLOSED       /* RST, or FIN both ways */
} wd_tcp_state;

typedef enum {
  WD_FLOW_END_TIMEOUT,  /* idle longer than its timeout */
  WD_FLOW_END_EVICTED,  /* recycled because the table was full */
  WD_FLOW_END_SHUTDOWN, /* still open when input ended */
  WD_FLOW_END_REUSED    /* TCP: a new SYN on a closed flow's 5-tuple
                           starts a new flow (EVE reason "tcp_reuse") */
} wd_flow_end_reason;

/* Direction of a packet relative to its flow. */
enum { WD_DIR_TO_SERVER = 0, WD_DIR_TO_CLIENT = 1 };

typedef struct wd_flow {
  uint64_t id;        /* unique within a run, never 0 (EVE flow_id) */
  wd_addr_t cli, srv; /* client = sender of the SYN; receiver of a SYN-ACK
                         seen first; else sender of the first packet */
  uint16_t cport, sport;
  uint16_t vlan;        /* innermost VLAN id, 0 if none */
  uint8_t proto;        /* WD_PROTO_* */
  uint8_t tcp_state;    /* wd_tcp_state */
  uint8_t tcp_flags[2]; /* OR of flags seen to server / to client */
  uint8_t pkt_events;   /* what the packet just accounted did: WD_FLOW_EV_*
                           (kept here, in what was padding: 112-byte flow) */
  uint64_t first_ns, last_ns;
  uint64_t pkts[2];  /* [WD_DIR_TO_SERVER], [WD_DIR_TO_CLIENT] */
  uint64_t bytes[2]; /* IP-level bytes (wire length less link header) */
  uint32_t app;      /* slot for the app-layer / stream state owner:
                        0 = none; meaning is the owner's (see stream.h) */
  uint32_t user;     /* spare slot for detectors, 0 = none */
} wd_flow_t;

/* wd_flow_t.pkt_events bits, valid right after wd_flow_table_update. */
enum {
  WD_FLOW_EV_CREATED = 0x01,     /* this packet created the flow (also a
                                    new SYN on a closed one: TCP reuse) */
  WD_FLOW_EV_ESTABLISHED = 0x02, /* this packet completed the handshake */
  WD_FLOW_EV_CLOSED = 0x04       /* this packet closed it (RST, last FIN) */
};

typedef struct wd_flow_stats {
  uint64_t created;
  uint64_t active;
  uint64_t timed_out;
  uint64_t evicted;  /* recycled while still active */
  uint64_t cap_hits; /* times flow.max or flow.memcap stopped growth */
  uint64_t tcp, udp, icmp, other; /* created, by protocol */
  uint64_t memuse, memcap;
  uint64_t reused; /* TCP flows ended by a new SYN on their 5-tuple */
  uint64_t max;    /* entries at most: flow.max, or what flow.memcap holds */
} wd_flow_stats_t;

typedef struct wd_flow_table wd_flow_table_t;

/* Called when a flow leaves the table (timeout, eviction, shutdown), before
 * its memory is reused: emit a flow event, release app state. It must not
 * call into the table (expiry ends flows found ahead of the call). */
typedef void (*wd_flow_end_fn)(void *user, wd_flow_t *flow,
                               wd_flow_end_reason why);

wd_rc wd_flow_table_new(const wd_config_t *cfg, wd_flow_end_fn on_end,
                        void *user, wd_flow_table_t **out);
void wd_flow_table_free(wd_flow_table_t *t);
/* Gives t the hash key of from (before t holds any flow): tables fed the
 * same packets (the lanes of `--workers N`) then share one
 * wd_flow_table_hash and keep their flows in the same order. */
void wd_flow_table_share_key(wd_flow_table_t *t, const wd_flow_table_t *from);

/* Finds or creates the flow of p (which must have ip_version != 0), updates
 * its counters and TCP state, sets pkt_events and *dir. Returns NULL only
 * when p is not IP. Key: addresses, ports, IP protocol and innermost VLAN,
 * the same whichever way the packet goes. Packets without ports (non-first
 * fragments, truncated TCP/UDP headers, ICMP and other protocols) are
 * tracked on addresses + protocol + VLAN with ports 0; a fragmented TCP/UDP
 * datagram thus adds its first fragment to the 5-tuple flow and the others
 * to the port-less flow of the address pair. */
wd_flow_t *wd_flow_table_update(wd_flow_table_t *t, const wd_packet_t *p,
                                int *dir);

/* Looking a flow up ahead of time, so that its memory arrives while the
 * packets before it are worked on: wd_flow_table_hash gives the key hash
 * of IP packet p (it reads only the table's hash key, fixed at creation: any
 * thread may call it); wd_flow_table_prefetch_bucket starts fetching its
 * bucket, and wd_flow_table_prefetch_entry, once the bucket has come,
 * the first entry of the bucket; wd_flow_table_update_hashed is
 * wd_flow_table_update with the hash already known. A prefetch changes
 * nothing: a table changed in between only makes it useless. */
uint32_t wd_flow_table_hash(const wd_flow_table_t *t, const wd_packet_t *p);
void wd_flow_table_prefetch_bucket(const wd_flow_table_t *t, uint32_t h);
void wd_flow_table_prefetch_entry(const wd_flow_table_t *t, uint32_t h);
wd_flow_t *wd_flow_table_update_hashed(wd_flow_table_t *t, const wd_packet_t *p,
                                       uint32_t h, int *dir);

/* Ends flows idle past their timeout at time now_ns. Cheap when nothing is
 * due; call once per packet-time second. */
void wd_flow_table_expire(wd_flow_table_t *t, uint64_t now_ns);

/* Ends every flow (end of input), calling on_end with SHUTDOWN. */
void wd_flow_table_flush(wd_flow_table_t *t);

void wd_flow_table_stats(const wd_flow_table_t *t, wd_flow_stats_t *out);

/* Bytes of p counted at IP level: the wire length less the link header,
 * cut to the IP length the header claims (drops Ethernet padding); without
 * a frame, ip_len, else l3_len. The flow table and detectors use it. */
uint32_t wd_flow_table_ip_bytes(const wd_packet_t *p);

/* Bytes one flow costs in the table (entry, links, one bucket), for sizing
 * flow.memcap. */
size_t wd_flow_table_entry_size(void);

/* The table's own consistency, for tests: every live flow is in the chain
 * of its bucket exactly once and nothing else is. Returns the number of
 * faults found (0: sound). Walks everything: never on the packet path. */
size_t wd_flow_table_check(const wd_flow_table_t *t);

#endif
