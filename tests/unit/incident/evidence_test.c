/* evidence_test.c -- tests of src/incident/evidence.c: the ring keeps the
 * packets before an alert, a watched flow keeps its first N packets, a
 * flood target a sample, frames are cut to WD_EVIDENCE_SNAP, files are
 * never overwritten (new name), the SHA-256 is the file's, and slots run
 * out gracefully. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "incident/evidence.h"

static char dir[64];
static uint8_t big[WD_EVIDENCE_SNAP + 500];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/wd_evidence_test.XXXXXX");
  assert_non_null(mkdtemp(dir));
  wd_log_threshold = WD_LOG_ERROR;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void pkt(wd_evidence_t *ev, uint64_t ts, uint64_t flow, const char *dst,
                uint32_t len, uint8_t mark) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  big[0] = mark;
  p.ts_ns = ts;
  p.linktype = 1;
  p.frame = big;
  p.caplen = p.wirelen = len;
  p.ip_version = 4;
  assert_int_equal(wd_addr_parse(dst, &p.dst), WD_OK);
  wd_flow_t f = {.id = flow};
  wd_evidence_packet(ev, &p, flow ? &f : NULL);
}

/* Reads path back: count, first marks, lengths. */
static int readback(const char *path, uint8_t *marks, uint32_t *caplen) {
  char e[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(path, e);
  assert_non_null(p);
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    if (n < 64) {
      marks[n] = d[0];
      caplen[n] = h->caplen;
    }
    n++;
  }
  pcap_close(p);
  return n;
}

static void test_flow_and_ring(void **state) {
  (void)state;
  wd_evidence_t *ev;
  assert_int_equal(wd_evidence_new(4, 10, &ev), WD_OK);
  for (uint8_t i = 0; i < 2; i++)
    pkt(ev, 1000 + i, 5, "10.0.0.1", 100, i); /* before: in the ring */
  pkt(ev, 1002, 6, "10.0.0.2", 100, 50);      /* other flow */
  int s = wd_evidence_slot_open(ev);
  assert_true(s >= 0);
  wd_evidence_watch_flow(ev, s, 5);
  wd_evidence_watch_flow(ev, s, 5); /* twice: harmless */
  assert_int_equal(wd_evidence_slot_count(ev, s), 2);
  pkt(ev, 1003, 5, "10.0.0.1", sizeof big, 2); /* cut to the snap */
  for (uint8_t i = 3; i < 9; i++)
    pkt(ev, 1000 + i, 5, "10.0.0.1", 100, i);
  assert_int_equal(wd_evidence_slot_count(ev, s), 4);
  char path[512], sha[65], sha2[65];
  uint64_t n;
  assert_int_equal(wd_evidence_write(ev, s, dir, "WARD-2026-000001", path,
                                     sizeof path, sha, &n),
                   WD_OK);
  assert_int_equal(n, 4);
  uint8_t marks[64];
  uint32_t lens[64];
  assert_int_equal(readback(path, marks, lens), 4);
  assert_int_equal(marks[0], 0);
  assert_int_equal(marks[3], 3);
  assert_int_equal(lens[2], WD_EVIDENCE_SNAP);
  assert_int_equal(wd_evidence_sha256_file(path, sha2), WD_OK);
  assert_string_equal(sha, sha2);
  /* written again: a new name, the first file untouched */
  char path2[512];
  assert_int_equal(wd_evidence_write(ev, s, dir, "WARD-2026-000001", path2,
                                     sizeof path2, sha2, &n),
                   WD_OK);
  assert_string_not_equal(path, path2);
  assert_non_null(strstr(path2, "WARD-2026-000001-2.pcap"));
  assert_string_equal(sha, sha2); /* same content */
  assert_int_equal(wd_evidence_sha256_file(path, sha2), WD_OK);
  assert_string_equal(sha, sha2);
  wd_evidence_stats_t st;
  wd_evidence_stats(ev, &st);
  assert_int_equal(st.truncated, 1);
  assert_int_equal(st.files, 2);
  wd_evidence_slot_release(ev, s);
  assert_int_equal(wd_evidence_slot_count(ev, s), 0);
  wd_evidence_free(ev);
}

static void test_target_sample_and_slots(void **state) {
  (void)state;
  wd_evidence_t *ev;
  assert_int_equal(wd_evidence_new(2, 10, &ev), WD_OK);
  /* more frames than the ring holds: only the latest remain */
  for (uint32_t i = 0; i < WD_EVIDENCE_RING_SLOTS + 100; i++)
    pkt(ev, 10 + i, 0, "10.9.9.9", 64, (uint8_t)i);
  int s = wd_evidence_slot_open(ev);
  wd_evidence_watch_target(ev, s, &(wd_addr_t){{0}}); /* nothing there */
  wd_addr_t v;
  assert_int_equal(wd_addr_parse("10.9.9.9", &v), WD_OK);
  wd_evidence_watch_target(ev, s, &v);
  assert_int_equal(wd_evidence_slot_count(ev, s), 5); /* half from before */
  for (int i = 0; i < 100; i++)
    pkt(ev, 100000 + (uint64_t)i, 0, "10.9.9.9", 64, 1);
  assert_int_equal(wd_evidence_slot_count(ev, s), 10);
  /* an empty slot writes nothing */
  int e = wd_evidence_slot_open(ev);
  char path[512], sha[65];
  uint64_t n;
  assert_int_equal(
      wd_evidence_write(ev, e, dir, "empty", path, sizeof path, sha, &n),
      WD_ERR_NOTFOUND);
  /* all slots taken: -1, counted; watching -1 is a no-op */
  int got = 2;
  while (wd_evidence_slot_open(ev) >= 0)
    got++;
  assert_int_equal(got, WD_EVIDENCE_SLOTS);
  wd_evidence_watch_flow(ev, -1, 5);
  wd_evidence_stats_t st;
  wd_evidence_stats(ev, &st);
  assert_int_equal(st.no_slot, 1);
  /* an unwritable directory is an error, not a crash */
  assert_int_equal(wd_evidence_write(ev, s, "/proc/nonexistent/x", "a", path,
                                     sizeof path, sha, &n),
                   WD_ERR_IO);
  wd_evidence_free(ev);
  wd_evidence_packet(NULL, NULL, NULL); /* disabled recorder */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flow_and_ring),
      cmocka_unit_test(test_target_sample_and_slots),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
