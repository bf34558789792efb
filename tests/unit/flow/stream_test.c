/* stream_test.c -- tests of src/flow/stream.c: in-order delivery across
 * segments, retransmissions, overlaps (first seen wins), out-of-order
 * segments within and beyond the window, gaps (lost data shown by ACKs,
 * window, per-flow buffer, memcap), mid-stream pickup, sequence wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "flow/stream.h"

typedef struct out {
  uint8_t data[1 << 20];
  size_t n;
  unsigned calls;
  unsigned ngaps;
  uint32_t gaps[64]; /* sizes, in order */
  size_t gap_at[64]; /* delivered bytes before each gap */
  int dir;
} out;

static out o;

static void sink(void *user, int dir, const uint8_t *data, uint32_t len,
                 uint32_t gap) {
  out *x = user;
  x->dir = dir;
  x->calls++;
  if (gap && x->ngaps < 64) {
    x->gap_at[x->ngaps] = x->n;
    x->gaps[x->ngaps++] = gap;
  }
  assert_true(x->n + len <= sizeof x->data);
  if (len)
    memcpy(x->data + x->n, data, len);
  x->n += len;
}

static wd_stream_ctx_t *ctx;
static wd_stream_t st;
static uint8_t pat[1 << 17]; /* pat[i] = byte for stream offset i */

static void setup_ctx(uint64_t memcap, uint32_t flow_buffer, uint32_t window) {
  wd_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.stream.memcap = memcap;
  cfg.stream.flow_buffer = flow_buffer;
  cfg.stream.window = window;
  assert_int_equal(wd_stream_ctx_new(&cfg, &ctx), WD_OK);
  wd_stream_init(ctx, &st);
  memset(&o, 0, sizeof o);
  for (size_t i = 0; i < sizeof pat; i++)
    pat[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void teardown_ctx(void) {
  wd_stream_fini(ctx, &st);
  wd_stream_stats_t s;
  wd_stream_stats(ctx, &s);
  assert_int_equal(s.chunks_used, 0);
  assert_int_equal(s.active, 0);
  wd_stream_ctx_free(ctx);
  ctx = NULL;
}

#define ISN 1000u

/* Segment carrying stream offsets [off, off+len) of pat, to the server. */
static void seg(uint32_t isn, uint32_t off, uint32_t len) {
  wd_stream_segment(ctx, &st, WD_DIR_TO_SERVER, isn + 1 + off, WD_TCP_ACK,
                    pat + off, len, sink, &o);
}
static void syn(uint32_t isn) {
  wd_stream_segment(ctx, &st, WD_DIR_TO_SERVER, isn, WD_TCP_SYN, NULL, 0, sink,
                    &o);
}
static void ack_to_server(uint32_t isn, uint32_t off) {
  wd_stream_ack(ctx, &st, WD_DIR_TO_SERVER, isn + 1 + off, sink, &o);
}

static wd_stream_stats_t stats(void) {
  wd_stream_stats_t s;
  wd_stream_stats(ctx, &s);
  return s;
}

static void test_in_order_segments(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 100);
  seg(ISN, 100, 1460);
  seg(ISN, 1560, 40);
  assert_int_equal(o.n, 1600);
  assert_memory_equal(o.data, pat, 1600);
  assert_int_equal(o.ngaps, 0);
  assert_int_equal(o.dir, WD_DIR_TO_SERVER);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.segments, 3);
  assert_int_equal(x.delivered, 1600);
  assert_int_equal(x.chunks_used, 0); /* in order: nothing queued */
  teardown_ctx();
}

static void test_retransmission_and_overlap(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 500);
  seg(ISN, 0, 500);   /* retransmission */
  seg(ISN, 100, 200); /* inside delivered data */
  seg(ISN, 400, 300); /* overlaps the end: 200 new bytes */
  assert_int_equal(o.n, 700);
  assert_memory_equal(o.data, pat, 700);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.retransmits, 2);
  assert_int_equal(x.overlaps, 1);
  teardown_ctx();
}

static void test_out_of_order_within_window(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 100);
  seg(ISN, 3000, 1000); /* queued */
  seg(ISN, 1100, 1900); /* queued */
  seg(ISN, 3000, 1000); /* retransmission of a queued segment */
  assert_int_equal(o.n, 100);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.ooo_queued, 2);
  assert_int_equal(x.retransmits, 1);
  assert_true(x.chunks_used > 0);
  seg(ISN, 100, 1000); /* fills the hole: everything follows */
  assert_int_equal(o.n, 4000);
  assert_memory_equal(o.data, pat, 4000);
  assert_int_equal(o.ngaps, 0);
  assert_int_equal(stats().chunks_used, 0);
  teardown_ctx();
}

/* Overlapping data: the bytes seen first are delivered. */
static void test_overlap_first_seen_wins(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  uint8_t a[20], b[40];
  memset(a, 'A', sizeof a);
  memset(b, 'B', sizeof b);
  /* queued first: offsets 10..30 'A' */
  wd_stream_segment(ctx, &st, 0, ISN + 1 + 10, WD_TCP_ACK, a, 20, sink, &o);
  /* then offsets 0..40 'B' arrive in order */
  wd_stream_segment(ctx, &st, 0, ISN + 1, WD_TCP_ACK, b, 40, sink, &o);
  assert_int_equal(o.n, 40);
  for (int i = 0; i < 40; i++)
    assert_int_equal(o.data[i], (i >= 10 && i < 30) ? 'A' : 'B');
  assert_true(stats().overlaps >= 1);
  /* a queued segment overlapping another queued one keeps the first */
  wd_stream_segment(ctx, &st, 0, ISN + 1 + 60, WD_TCP_ACK, a, 20, sink, &o);
  wd_stream_segment(ctx, &st, 0, ISN + 1 + 50, WD_TCP_ACK, b, 40, sink, &o);
  wd_stream_segment(ctx, &st, 0, ISN + 1 + 40, WD_TCP_ACK, b, 10, sink, &o);
  assert_int_equal(o.n, 90);
  for (int i = 40; i < 90; i++)
    assert_int_equal(o.data[i], (i >= 60 && i < 80) ? 'A' : 'B');
  teardown_ctx();
}

static void test_beyond_window_skips(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 8192);
  syn(ISN);
  seg(ISN, 0, 100);
  seg(ISN, 5000, 100);  /* within the window: queued */
  seg(ISN, 20000, 100); /* beyond: the stream jumps to it */
  assert_int_equal(o.n, 300);
  assert_memory_equal(o.data, pat, 100);
  assert_memory_equal(o.data + 100, pat + 5000, 100);
  assert_memory_equal(o.data + 200, pat + 20000, 100);
  assert_int_equal(o.ngaps, 2);
  assert_int_equal(o.gaps[0], 4900);
  assert_int_equal(o.gap_at[0], 100);
  assert_int_equal(o.gaps[1], 20000 - 5100);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.beyond_window, 1);
  assert_int_equal(x.gaps, 2);
  assert_int_equal(x.gap_bytes, 4900 + 14900);
  /* the stream goes on in order after the jump */
  seg(ISN, 20100, 50);
  assert_int_equal(o.n, 350);
  teardown_ctx();
}

static void test_flow_buffer_cap(void **s) {
  (void)s;
  setup_ctx(1 << 20, 8000, 131072);
  syn(ISN);
  seg(ISN, 0, 10);
  /* hole at 10..20, then queue 2000-byte segments until over 8000 */
  for (uint32_t i = 0; i < 5; i++)
    seg(ISN, 20 + i * 2000, 2000);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.buffer_full, 1);
  assert_int_equal(x.ooo_queued, 4);
  /* the fifth could not wait: hole skipped, all data delivered */
  assert_int_equal(o.n, 10 + 10000);
  assert_int_equal(o.ngaps, 1);
  assert_int_equal(o.gaps[0], 10);
  assert_memory_equal(o.data + 10, pat + 20, 10000);
  teardown_ctx();

  /* tiny segments are counted in whole chunks: no long lists */
  setup_ctx(1 << 20, 8000, 131072);
  syn(ISN);
  for (uint32_t i = 0; i < 100; i++)
    seg(ISN, 10 + 2 * i, 1);
  x = stats();
  assert_true(x.chunks_used <= 5);
  assert_true(x.buffer_full > 0);
  teardown_ctx();
}

static void test_memcap(void **s) {
  (void)s;
  setup_ctx(1000, 65536, 131072); /* not even one slab of chunks */
  syn(ISN);
  seg(ISN, 0, 10);
  seg(ISN, 110, 10); /* cannot be queued: jump */
  assert_int_equal(o.n, 20);
  assert_int_equal(o.gaps[0], 100);
  wd_stream_stats_t x = stats();
  assert_int_equal(x.memcap_hits, 1);
  assert_true(x.memuse <= x.memcap);
  teardown_ctx();
}

/* Data the peer acknowledged but the capture never showed is a gap, found
 * when later data shows the hole will not be filled. */
static void test_gap_from_ack(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 100);
  ack_to_server(ISN, 300); /* 100..300 lost to the capture */
  assert_int_equal(o.ngaps, 0);
  seg(ISN, 300, 50);
  assert_int_equal(o.ngaps, 1);
  assert_int_equal(o.gaps[0], 200);
  assert_int_equal(o.gap_at[0], 100);
  assert_int_equal(o.n, 150);
  assert_int_equal(stats().ack_gaps, 1);
  /* queued data after an acknowledged hole is delivered at the ACK */
  seg(ISN, 500, 50);
  assert_int_equal(o.n, 150);
  ack_to_server(ISN, 550);
  assert_int_equal(o.n, 200);
  assert_int_equal(o.gaps[1], 150);
  teardown_ctx();
}

/* A capture may show the ACK just before the data it acknowledges. */
static void test_ack_before_data(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 100);
  ack_to_server(ISN, 2000);
  seg(ISN, 100, 1900);
  assert_int_equal(o.n, 2000);
  assert_int_equal(o.ngaps, 0);
  /* an ACK covering a FIN is not a gap either */
  wd_stream_segment(ctx, &st, 0, ISN + 1 + 2000, WD_TCP_ACK | WD_TCP_FIN,
                    pat + 2000, 10, sink, &o);
  ack_to_server(ISN, 2011);
  assert_int_equal(o.ngaps, 0);
  assert_int_equal(stats().ack_gaps, 0);
  teardown_ctx();
}

static void test_midstream_and_wrap(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  /* no SYN: the first segment starts the stream, gap unknown */
  uint32_t isn = 0xffffff00u; /* sequence numbers wrap inside the data */
  seg(isn, 0, 200);
  seg(isn, 400, 100); /* queued across the wrap */
  seg(isn, 200, 200);
  assert_int_equal(o.n, 500);
  assert_memory_equal(o.data, pat, 500);
  assert_int_equal(o.ngaps, 1);
  assert_int_equal(o.gaps[0], WD_STREAM_GAP_UNKNOWN);
  assert_int_equal(o.gap_at[0], 0);
  /* the other direction is independent */
  wd_stream_segment(ctx, &st, WD_DIR_TO_CLIENT, 5, WD_TCP_ACK, pat, 10, sink,
                    &o);
  assert_int_equal(o.dir, WD_DIR_TO_CLIENT);
  assert_int_equal(o.n, 510);
  teardown_ctx();
}

static void test_syn_restart_and_fini(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 10);
  seg(ISN, 100, 10); /* queued */
  assert_true(stats().chunks_used > 0);
  syn(5000); /* the port is reused: new stream, queued data dropped */
  assert_int_equal(stats().chunks_used, 0);
  seg(5000, 0, 10);
  assert_int_equal(o.n, 20);
  assert_int_equal(o.gaps[o.ngaps - 1], WD_STREAM_GAP_UNKNOWN);
  seg(5000, 50, 10); /* queued, released by fini (checked in teardown) */
  teardown_ctx();
}

/* Bytes on the wire but cut by the snap length are skipped at once. */
static void test_lost_to_snaplen(void **s) {
  (void)s;
  setup_ctx(1 << 20, 65536, 131072);
  syn(ISN);
  seg(ISN, 0, 96); /* 96 bytes captured of a 1460-byte segment */
  wd_stream_lost(ctx, &st, WD_DIR_TO_SERVER, ISN + 1 + 96, 1460 - 96, sink, &o);
  seg(ISN, 1460, 96);
  assert_int_equal(o.n, 192);
  assert_int_equal(o.ngaps, 1);
  assert_int_equal(o.gaps[0], 1460 - 96);
  assert_memory_equal(o.data + 96, pat + 1460, 96);
  /* not next in order: ignored */
  wd_stream_lost(ctx, &st, WD_DIR_TO_SERVER, ISN + 1 + 5000, 10, sink, &o);
  seg(ISN, 1556, 4);
  assert_int_equal(o.n, 196);
  assert_int_equal(o.ngaps, 1);
  teardown_ctx();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_in_order_segments),
      cmocka_unit_test(test_retransmission_and_overlap),
      cmocka_unit_test(test_out_of_order_within_window),
      cmocka_unit_test(test_overlap_first_seen_wins),
      cmocka_unit_test(test_beyond_window_skips),
      cmocka_unit_test(test_flow_buffer_cap),
      cmocka_unit_test(test_memcap),
      cmocka_unit_test(test_gap_from_ack),
      cmocka_unit_test(test_ack_before_data),
      cmocka_unit_test(test_midstream_and_wrap),
      cmocka_unit_test(test_syn_restart_and_fini),
      cmocka_unit_test(test_lost_to_snaplen),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
