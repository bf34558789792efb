/* stream.h -- TCP stream reassembly for the application parsers (SMB).
 * In: TCP segments of one flow (sequence number, flags, payload) and the
 * peer's acknowledgements. Out: each direction's bytes in order, exactly
 * once, through a callback; lost data is reported as a gap before the next
 * bytes delivered, so the parser can resynchronize instead of giving up.
 * In-order data is handed over straight from the packet (no copy); only
 * out-of-order data is queued, in chunks from a pool reserved against
 * stream.memcap, at most stream.flow_buffer bytes per direction (counted in
 * whole chunks, so that tiny segments cannot make long lists) and within
 * stream.window bytes of the next expected byte. Overlaps: the bytes seen
 * first win. When data cannot be queued (window, per-flow buffer or memcap
 * exceeded), or the peer acknowledges bytes never seen, the stream skips
 * forward and reports the gap. Memory: a wd_stream_ctx_t (one per
 * pipeline) owns the chunk pool; a wd_stream_t lives in caller storage
 * (init/fini) and holds only chunk pointers. No allocation per packet: a
 * new slab of chunks only when the pool is empty and the memcap allows.
 * Threads: one context per pipeline, no locks. */
#ifndef WD_FLOW_STREAM_H
#define WD_FLOW_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "core/rc.h"

/* gap argument when the amount lost is unknown (mid-stream pickup). */
#define WD_STREAM_GAP_UNKNOWN UINT32_MAX

/* Receives the next in-order bytes of direction dir. gap: bytes lost just
 * before data (0 none, WD_STREAM_GAP_UNKNOWN unknown). len may be 0 when
 * only a gap is reported. data is borrowed for the call. */
typedef void (*wd_stream_data_fn)(void *user, int dir, const uint8_t *data,
                                  uint32_t len, uint32_t gap);

typedef struct wd_stream_chunk wd_stream_chunk_t;

typedef struct wd_stream_dir {
  bool init;               /* next_seq is known */
  bool fin;                /* a FIN was seen at fin_seq */
  uint32_t fin_seq;        /* sequence number the FIN occupies */
  bool acked;              /* the peer acknowledged up to ack_seq */
  uint32_t ack_seq;        /* highest such ack beyond next_seq */
  uint32_t next_seq;       /* next byte to deliver */
  uint32_t queued;         /* bytes held out of order */
  uint32_t nchunks;        /* chunks holding them */
  uint32_t gap;            /* lost bytes to report with the next delivery */
  wd_stream_chunk_t *head; /* out-of-order chunks, by seq, disjoint */
} wd_stream_dir_t;

typedef struct wd_stream {
  wd_stream_dir_t d[2]; /* [WD_DIR_TO_SERVER], [WD_DIR_TO_CLIENT] */
} wd_stream_t;

typedef struct wd_stream_stats {
  uint64_t segments;      /* segments with payload */
  uint64_t bytes;         /* payload bytes seen */
  uint64_t delivered;     /* bytes delivered in order */
  uint64_t retransmits;   /* segments entirely already delivered/queued */
  uint64_t overlaps;      /* segments partly overlapping data seen first */
  uint64_t ooo_queued;    /* segments queued out of order */
  uint64_t gaps;          /* gaps reported */
  uint64_t gap_bytes;     /* bytes skipped (known amounts) */
  uint64_t beyond_window; /* segments beyond stream.window */
  uint64_t buffer_full;   /* segments over stream.flow_buffer */
  uint64_t memcap_hits;   /* chunk slabs refused by stream.memcap */
  uint64_t ack_gaps;      /* gaps found because the peer acked unseen data */
  uint64_t active;        /* streams initialized and not finished */
  uint64_t chunks_used;   /* chunks holding data now */
  uint64_t memuse, memcap;
} wd_stream_stats_t;

typedef struct wd_stream_ctx wd_stream_ctx_t;

/* Pool for cfg->stream.memcap bytes, flow_buffer and window from cfg
 * (0 values take the built-in fallbacks 16 MiB, 64 KiB, 128 KiB). */
wd_rc wd_stream_ctx_new(const wd_config_t *cfg, wd_stream_ctx_t **out);
void wd_stream_ctx_free(wd_stream_ctx_t *c);

/* The context's memcap: other per-flow app state may reserve against it. */
wd_memcap_t *wd_stream_ctx_memcap(wd_stream_ctx_t *c);

void wd_stream_init(wd_stream_ctx_t *c, wd_stream_t *s);
/* Releases queued chunks (undelivered data is dropped). */
void wd_stream_fini(wd_stream_ctx_t *c, wd_stream_t *s);

/* One segment of direction dir. SYN sets the initial sequence number; the
 * first segment of a direction seen without SYN starts it mid-stream (the
 * first delivery then carries gap WD_STREAM_GAP_UNKNOWN). */
void wd_stream_segment(wd_stream_ctx_t *c, wd_stream_t *s, int dir,
                       uint32_t seq, uint8_t tcp_flags, const uint8_t *data,
                       uint32_t len, wd_stream_data_fn fn, void *user);

/* The peer of direction dir acknowledged everything before ack. Bytes it
 * acknowledged that were never seen are lost to the capture, but a capture
 * may also show an ACK just before the data it acknowledges: so the stream
 * skips such a hole only once later data of dir (queued or arriving) shows
 * it will not be filled. Call for packets with the ACK flag, before their
 * own payload is fed. */
void wd_stream_ack(wd_stream_ctx_t *c, wd_stream_t *s, int dir, uint32_t ack,
                   wd_stream_data_fn fn, void *user);

/* n bytes at seq of direction dir were on the wire but not captured (a
 * payload cut by the snap length): when they come next in order, the
 * stream skips them now (the gap is reported with the next delivery)
 * instead of waiting for data that will never be seen. */
void wd_stream_lost(wd_stream_ctx_t *c, wd_stream_t *s, int dir, uint32_t seq,
                    uint32_t n, wd_stream_data_fn fn, void *user);

void wd_stream_stats(const wd_stream_ctx_t *c, wd_stream_stats_t *out);

#endif
