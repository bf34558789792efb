/* evidence.h -- bounded recorder of the packets that show an incident, and
 * the pcap excerpt written from them.
 * In: every packet (wd_evidence_packet, hot path: one bounded copy into a
 * ring of recent frames, one hash probe for watched flows, a compare per
 * watched flood target; no allocation, no system call), and, at alert
 * rate, which flows and targets an incident involves. Out: a pcap file per
 * incident (libpcap pcap_dump, never overwritten: O_EXCL, a new name if
 * taken) and its SHA-256 (OpenSSL EVP). Memory: fixed at creation: the
 * ring (WD_EVIDENCE_RING_SLOTS frames of at most WD_EVIDENCE_SNAP bytes),
 * the watch tables, and one buffer per incident slot
 * (WD_EVIDENCE_SLOT_BYTES) taken when an incident opens and returned when
 * its evidence is written. What does not fit is counted, never grown. */
#ifndef WD_INCIDENT_EVIDENCE_H
#define WD_INCIDENT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "flow/flow.h"

#define WD_EVIDENCE_SNAP 2048u            /* bytes kept of one frame */
#define WD_EVIDENCE_RING_SLOTS 2048u      /* recent frames remembered */
#define WD_EVIDENCE_SLOTS 64u             /* incidents collecting at once */
#define WD_EVIDENCE_SLOT_BYTES (1u << 20) /* frame bytes per incident */
#define WD_EVIDENCE_FLOWS 1024u           /* watched flows (hash, power of 2) */
#define WD_EVIDENCE_TARGETS 16u           /* watched flood targets */

typedef struct wd_evidence_stats {
  uint64_t recorded;   /* frames copied into incident slots */
  uint64_t slot_full;  /* frames dropped: slot buffer full */
  uint64_t no_slot;    /* incidents without a slot (all taken) */
  uint64_t watch_full; /* flows/targets not watched: table full */
  uint64_t truncated;  /* frames cut to WD_EVIDENCE_SNAP */
  uint64_t files;      /* pcap files written */
  uint64_t write_errors;
} wd_evidence_stats_t;

typedef struct wd_evidence wd_evidence_t;

/* One frame as the recorder keeps it: what wd_evidence_packet takes from a
 * packet, or what the engine's packet thread chose and sent through its
 * queue (wd_evidence_frame). */
typedef struct wd_evidence_frame {
  uint64_t seq; /* packet number in the run, from 1: orders equal times */
  uint64_t ts_ns;
  uint64_t flow_id; /* 0: none */
  wd_addr_t dst;
  uint32_t caplen; /* bytes kept (<= WD_EVIDENCE_SNAP) */
  uint32_t wirelen;
  int linktype;
  bool ip; /* dst valid */
} wd_evidence_frame_t;

/* The ring of recent frames, in the recorder and in the engine's picker:
 * the last WD_EVIDENCE_RING_SLOTS frames, each cut to WD_EVIDENCE_SNAP
 * bytes, so that an alert's evidence starts before the alert. Allocated
 * once (wd_evidence_ring_init); a put is one bounded copy. */
typedef struct wd_evidence_ring {
  wd_evidence_frame_t *hdr; /* WD_EVIDENCE_RING_SLOTS */
  uint8_t *data;            /* WD_EVIDENCE_RING_SLOTS * WD_EVIDENCE_SNAP */
  uint32_t head;            /* next index written */
  uint32_t count;
  uint64_t seq;       /* the last frame's number */
  uint64_t truncated; /* frames cut to WD_EVIDENCE_SNAP */
} wd_evidence_ring_t;

wd_rc wd_evidence_ring_init(wd_evidence_ring_t *r);
void wd_evidence_ring_fini(wd_evidence_ring_t *r);
/* Puts packet p (of flow f, may be NULL), numbered next; or a frame
 * already numbered by the caller. Returns the index it took. */
uint32_t wd_evidence_ring_packet(wd_evidence_ring_t *r, const wd_packet_t *p,
                                 const wd_flow_t *f);
uint32_t wd_evidence_ring_frame(wd_evidence_ring_t *r,
                                const wd_evidence_frame_t *h,
                                const uint8_t *data);
static inline const uint8_t *wd_evidence_ring_data(const wd_evidence_ring_t *r,
                                                   uint32_t i) {
  return r->data + (size_t)i * WD_EVIDENCE_SNAP;
}
/* Offers take() the frames of flow_id (or, flow_id 0, towards dst) still
 * in the ring, oldest first, until it has accepted n; returns how many it
 * accepted. */
uint32_t wd_evidence_ring_pull(const wd_evidence_ring_t *r, uint64_t flow_id,
                               const wd_addr_t *dst, uint32_t n,
                               bool (*take)(void *user, uint32_t i),
                               void *user);

/* packets_per_flow / flood_sample as in cfg evidence.*. */
wd_rc wd_evidence_new(uint32_t packets_per_flow, uint32_t flood_sample,
                      wd_evidence_t **out);
void wd_evidence_free(wd_evidence_t *ev);

/* Per packet (before the detectors see it, so that the frame that
 * triggers an alert is in the ring). f may be NULL. */
void wd_evidence_packet(wd_evidence_t *ev, const wd_packet_t *p,
                        const wd_flow_t *f);

/* The same for a frame already cut to WD_EVIDENCE_SNAP, numbered by the
 * caller (h->seq, increasing): the engine's worker feeds the frames its
 * packet thread chose (for flows and targets of open attacks, and the
 * ones before each alert), so that the watches below find them. */
void wd_evidence_frame(wd_evidence_t *ev, const wd_evidence_frame_t *h,
                       const uint8_t *data);

/* Takes a slot for a new incident; -1 when all are taken (counted). */
int wd_evidence_slot_open(wd_evidence_t *ev);
/* Frees the slot and forgets its watches. */
void wd_evidence_slot_release(wd_evidence_t *ev, int slot);
/* Keeps the first packets_per_flow packets of flow_id (those still in the
 * ring, then the next ones). Watching a flow twice is harmless. */
void wd_evidence_watch_flow(wd_evidence_t *ev, int slot, uint64_t flow_id);
/* Keeps a sample of flood_sample packets towards dst. */
void wd_evidence_watch_target(wd_evidence_t *ev, int slot,
                              const wd_addr_t *dst);
/* Frames held by slot. */
size_t wd_evidence_slot_count(const wd_evidence_t *ev, int slot);

/* Writes the slot's frames (in time order) to dir/<name>.pcap, or
 * dir/<name>-2.pcap, ... if taken (never overwriting), creating dir if
 * needed. Fills path, the file's SHA-256 in hex and the packet count.
 * WD_ERR_NOTFOUND when the slot holds nothing (no file). */
wd_rc wd_evidence_write(wd_evidence_t *ev, int slot, const char *dir,
                        const char *name, char *path, size_t pathlen,
                        char sha256[65], uint64_t *packets);

/* SHA-256 of a file in hex (64 characters + NUL). */
wd_rc wd_evidence_sha256_file(const char *path, char sha256[65]);

void wd_evidence_stats(const wd_evidence_t *ev, wd_evidence_stats_t *out);

/* ---- a capture fit for a party outside the facility
 * (evidence_rewrite.c) ----
 * In: a pcap or pcapng capture (from disk or memory; hostile bytes, any
 * link type wd_decode knows) and what to withhold. Out: a new classic pcap
 * (nanosecond timestamps, same link type and snap length) in a malloc'd
 * buffer the caller frees, where every internal address -- inside one of
 * `withhold` and none of `keep` -- is replaced by a placeholder from the
 * documentation networks (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 * 3fff::/20; never one inside withhold/keep or seen in the capture), the
 * same placeholder for the same address everywhere: IPv4/IPv6 source and
 * destination, the packet quoted in ICMP/ICMPv6 errors, IP-in-IP, the
 * exact 4/16 bytes of such an address inside payloads, and its text
 * (dotted quad, also reversed as in in-addr.arpa names, or IPv6 text, in
 * ASCII or UTF-16LE) where same-length placeholder text replaces it (or
 * 'x's when no placeholder fits). The names given (facility names) are
 * masked with 'x' in payloads, ASCII or UTF-16LE, ignoring case. MAC
 * addresses become locally administered 02:00:00:00:hh:ll (group bit
 * kept, broadcast kept). Checksums (IPv4 header, TCP, UDP, ICMP, ICMPv6)
 * are updated incrementally, so they stay right even for frames cut by
 * the snap length. Frames that cannot be made safe are left out and
 * counted: non-IP frames (ARP, LLDP, ...), frames that do not decode, and
 * frames with an internal address once the placeholders run out. Not
 * rewritten: names inside DNS messages in wire format (length-prefixed
 * labels) and addresses inside IPv6 extension headers. */

/* Input read at most (a capture of a notification is at most an
 * incident's WD_EVIDENCE_SLOT_BYTES of frames, plus headers). */
#define WD_EVIDENCE_REWRITE_INPUT_MAX (64u << 20)
/* Distinct internal addresses mapped in one capture (the IPv4
 * documentation networks hold 762). */
#define WD_EVIDENCE_REWRITE_ADDRS_MAX 2048u
/* Distinct MAC addresses mapped in one capture. */
#define WD_EVIDENCE_REWRITE_MACS_MAX 4096u

typedef struct wd_evidence_redact {
  const wd_cidr_t *withhold; /* internal networks */
  size_t n_withhold;
  const wd_cidr_t *keep; /* internal networks the party may see */
  size_t n_keep;
  const char *const *names; /* masked in payloads; empty ones ignored */
  size_t n_names;
} wd_evidence_redact_t;

typedef struct wd_evidence_rewrite_stats {
  uint64_t packets;   /* frames read */
  uint64_t written;   /* frames in the new capture */
  uint64_t dropped;   /* frames left out (see above) */
  uint64_t addresses; /* distinct internal addresses replaced */
  uint64_t payload;   /* replacements inside payloads (bytes or text) */
} wd_evidence_rewrite_stats_t;

/* Rewrites the capture in the file path. WD_ERR_IO when it cannot be read,
 * WD_ERR_INVAL when it is not a capture (err says why), WD_ERR_FULL above
 * WD_EVIDENCE_REWRITE_INPUT_MAX. */
wd_rc wd_evidence_rewrite(const char *path, const wd_evidence_redact_t *r,
                          uint8_t **out, size_t *out_len,
                          wd_evidence_rewrite_stats_t *st, char *err,
                          size_t errlen);
/* The same for a capture in memory (tests, fuzzing). */
wd_rc wd_evidence_rewrite_buffer(const uint8_t *pcap, size_t len,
                                 const wd_evidence_redact_t *r, uint8_t **out,
                                 size_t *out_len,
                                 wd_evidence_rewrite_stats_t *st, char *err,
                                 size_t errlen);

/* SHA-256 of a buffer in hex (64 characters + NUL). */
wd_rc wd_evidence_sha256_buffer(const uint8_t *p, size_t len, char sha256[65]);

#endif
