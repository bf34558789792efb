/* capture_test.c -- tests of src/capture: ward's pcap/pcapng reader
 * against libpcap (files written by pcap_dump in micro- and nanosecond
 * precision, and the shared real captures read by pcap_next_ex: same
 * frames, bytes and timestamps), pcapng with several interfaces of
 * different link types and timestamp resolutions in both byte orders (which
 * libpcap refuses), refused link types (a pcap file is not opened, a
 * pcapng interface has its frames skipped and counted), truncation and
 * corruption (frames before the damage kept), merging of several files in
 * time order, and the progress counters. */
#include <dirent.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"

static char dir_buf[4096];

static const char *captures_dir(void) {
  const char *env = getenv("WARD_CAPTURES");
  if (env && *env)
    return env;
  snprintf(dir_buf, sizeof dir_buf, "%s", __FILE__);
  for (int up = 0; up < 4; up++) {
    char *sl = strrchr(dir_buf, '/');
    if (!sl)
      return NULL;
    *sl = '\0';
  }
  size_t n = strlen(dir_buf);
  snprintf(dir_buf + n, sizeof dir_buf - n, "/../shared/captures");
  return dir_buf;
}

/* ---- a growable byte buffer for hand-built files ---- */

typedef struct bytes {
  uint8_t v[1 << 16];
  size_t n;
  bool be; /* write big-endian */
} bytes;

static void put(bytes *b, const void *p, size_t n) {
  assert_true(b->n + n <= sizeof b->v);
  memcpy(b->v + b->n, p, n);
  b->n += n;
}
static void put32(bytes *b, uint32_t v) {
  uint8_t x[4];
  for (int i = 0; i < 4; i++)
    x[i] = (uint8_t)(b->be ? v >> (24 - 8 * i) : v >> (8 * i));
  put(b, x, 4);
}
static void put16(bytes *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)(b->be ? v >> 8 : v), (uint8_t)(b->be ? v : v >> 8)};
  put(b, x, 2);
}
static void pad4(bytes *b) {
  while (b->n % 4)
    put(b, "", 1);
}

static void shb(bytes *b) {
  put32(b, 0x0a0d0d0a);
  put32(b, 28);
  put32(b, 0x1a2b3c4d);
  put16(b, 1);
  put16(b, 0);
  put32(b, 0xffffffff);
  put32(b, 0xffffffff);
  put32(b, 28);
}

/* Interface block; tsresol < 0: no option. */
static void idb(bytes *b, uint16_t linktype, int tsresol) {
  uint32_t len = 20 + (tsresol >= 0 ? 8 + 4 : 0);
  put32(b, 1);
  put32(b, len);
  put16(b, linktype);
  put16(b, 0);
  put32(b, 0);
  if (tsresol >= 0) {
    put16(b, 9);
    put16(b, 1);
    uint8_t r[4] = {(uint8_t)tsresol, 0, 0, 0};
    put(b, r, 4);
    put16(b, 0);
    put16(b, 0);
  }
  put32(b, len);
}

static void epb(bytes *b, uint32_t iface, uint64_t ts, const uint8_t *data,
                uint32_t caplen) {
  uint32_t len = 32 + ((caplen + 3) & ~3u);
  put32(b, 6);
  put32(b, len);
  put32(b, iface);
  put32(b, (uint32_t)(ts >> 32));
  put32(b, (uint32_t)ts);
  put32(b, caplen);
  put32(b, caplen);
  put(b, data, caplen);
  pad4(b);
  put32(b, len);
}

static FILE *mem(bytes *b) {
  FILE *f = fmemopen(b->v, b->n, "rb");
  assert_non_null(f);
  return f;
}

typedef struct seen {
  int calls;
  int refuse; /* link type refused */
  uint32_t ifaces[8];
  int types[8];
} seen;

static bool accept_cb(void *user, const char *path, uint32_t iface, int lt) {
  seen *s = user;
  (void)path;
  if (s->calls < 8) {
    s->ifaces[s->calls] = iface;
    s->types[s->calls] = lt;
  }
  s->calls++;
  return lt != s->refuse;
}

static const uint8_t frame_a[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x08, 0};
static const uint8_t frame_b[20] = {0x45, 0, 0, 20};

/* A pcapng with Ethernet, Linux cooked and raw-IP interfaces (nanosecond
 * resolution on the third): every frame comes with its own link type. */
static void build_multi(bytes *b, bool be) {
  memset(b, 0, sizeof *b);
  b->be = be;
  shb(b);
  idb(b, 1, -1);
  idb(b, 113, -1);
  idb(b, 101, 9);
  epb(b, 0, 1700000000000001ull, frame_a, 14);
  epb(b, 1, 1700000000000002ull, frame_a, 16);
  epb(b, 2, 1700000000000003000ull, frame_b, sizeof frame_b);
  epb(b, 0, 1700000000000004ull, frame_a, 13);
}

static void check_multi(bool be) {
  bytes *b = calloc(1, sizeof *b);
  build_multi(b, be);
  FILE *fp = mem(b);
  seen s = {.refuse = -1};
  wd_capture_opts_t o = {accept_cb, &s};
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_stream(fp, "multi", &o, &c), WD_OK);
  wd_frame_t f;
  const int lt[4] = {1, 113, 101, 1};
  const uint32_t len[4] = {14, 16, 20, 13};
  const uint64_t ts[4] = {1700000000000001000ull, 1700000000000002000ull,
                          1700000000000003000ull, 1700000000000004000ull};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(wd_capture_next(c, &f), WD_OK);
    assert_int_equal(f.linktype, lt[i]);
    assert_int_equal(f.caplen, len[i]);
    assert_int_equal(f.ts_ns, ts[i]);
    assert_int_equal(f.num, (uint64_t)i + 1);
  }
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_string_equal(fi->error, "");
  assert_int_equal(fi->frames, 4);
  assert_int_equal(fi->interfaces, 3);
  assert_int_equal(s.calls, 3);
  assert_int_equal(s.types[1], 113);
  assert_false(wd_capture_file_unread(fi));
  wd_capture_close(c);
  fclose(fp);
  free(b);
}

static void pcapng_interfaces_le(void **st) {
  (void)st;
  check_multi(false);
}
static void pcapng_interfaces_be(void **st) {
  (void)st;
  check_multi(true);
}

/* libpcap stops at the second interface: the reason ward reads pcapng
 * itself. If a later libpcap reads such files, this still passes. */
static void pcapng_libpcap_refuses(void **st) {
  (void)st;
  bytes *b = calloc(1, sizeof *b);
  build_multi(b, false);
  FILE *fp = mem(b);
  char eb[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_fopen_offline(fp, eb);
  if (!p) {
    fclose(fp);
    free(b);
    return;
  }
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1)
    n++;
  print_message("libpcap read %d of 4 frames\n", n);
  pcap_close(p);
  free(b);
}

static void pcapng_refused_interface(void **st) {
  (void)st;
  bytes *b = calloc(1, sizeof *b);
  shb(b);
  idb(b, 1, -1);
  idb(b, 4242, -1);
  epb(b, 1, 5, frame_a, 14);
  epb(b, 0, 6, frame_a, 14);
  epb(b, 1, 7, frame_a, 14);
  FILE *fp = mem(b);
  seen s = {.refuse = 4242};
  wd_capture_opts_t o = {accept_cb, &s};
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_stream(fp, "x", &o, &c), WD_OK);
  wd_frame_t f;
  assert_int_equal(wd_capture_next(c, &f), WD_OK);
  assert_int_equal(f.linktype, 1);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_int_equal(fi->skipped, 2);
  assert_int_equal(fi->frames, 1);
  assert_int_equal(fi->refused_linktype, 4242);
  assert_false(wd_capture_file_unread(fi));
  wd_capture_close(c);
  fclose(fp);

  /* Only refused interfaces: nothing read, the file counts as unread. */
  memset(b, 0, sizeof *b);
  shb(b);
  idb(b, 4242, -1);
  epb(b, 0, 5, frame_a, 14);
  fp = mem(b);
  assert_int_equal(wd_capture_open_stream(fp, "y", &o, &c), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  fi = wd_capture_file(c, 0);
  assert_int_equal(fi->skipped, 1);
  assert_true(wd_capture_file_unread(fi));
  wd_capture_close(c);
  fclose(fp);
  free(b);
}

/* ---- classic pcap written by libpcap ---- */

static void write_pcap(const char *path, int dlt, bool nano, int n) {
  pcap_t *d = pcap_open_dead_with_tstamp_precision(
      dlt, 65535,
      nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  assert_non_null(d);
  pcap_dumper_t *w = pcap_dump_open(d, path);
  assert_non_null(w);
  uint8_t buf[1500];
  for (int i = 0; i < n; i++) {
    struct pcap_pkthdr h;
    h.ts.tv_sec = 1700000000 + i;
    h.ts.tv_usec = nano ? 123456789 : 123456;
    h.caplen = (bpf_u_int32)(60 + i % 1000);
    h.len = h.caplen + 4;
    for (size_t j = 0; j < h.caplen; j++)
      buf[j] = (uint8_t)(i + j);
    pcap_dump((u_char *)w, &h, buf);
  }
  pcap_dump_close(w);
  pcap_close(d);
}

/* Both readers over one file: identical frames. */
static int compare_with_libpcap(const char *path) {
  char eb[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(
      path, PCAP_TSTAMP_PRECISION_NANO, eb);
  assert_non_null(p);
  wd_capture_t *c;
  const char *paths[1] = {path};
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  int n = 0;
  for (;;) {
    struct pcap_pkthdr *h;
    const u_char *d;
    wd_frame_t f;
    int r = pcap_next_ex(p, &h, &d);
    wd_rc rc = wd_capture_next(c, &f);
    if (r != 1) {
      assert_int_equal(rc, WD_END);
      break;
    }
    assert_int_equal(rc, WD_OK);
    assert_int_equal(f.caplen, h->caplen);
    assert_int_equal(f.wirelen, h->len);
    assert_int_equal(f.ts_ns, (uint64_t)h->ts.tv_sec * 1000000000ull +
                                  (uint64_t)h->ts.tv_usec);
    assert_memory_equal(f.data, d, h->caplen);
    assert_int_equal(f.linktype,
                     pcap_datalink(p) == 12 ? 101 : pcap_datalink(p));
    n++;
  }
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_string_equal(fi->error, "");
  assert_int_equal(fi->frames, (uint64_t)n);
  uint64_t done, total;
  assert_true(wd_capture_progress(c, &done, &total));
  assert_int_equal(done, total);
  wd_capture_close(c);
  pcap_close(p);
  return n;
}

static void pcap_matches_libpcap(void **st) {
  (void)st;
  char path[] = "/tmp/ward-capture-test-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW, DLT_NULL};
  for (size_t i = 0; i < 4; i++)
    for (int nano = 0; nano < 2; nano++) {
      /* 3000 frames of up to 1 KiB: several buffer refills. */
      write_pcap(path, dlts[i], nano, 3000);
      assert_int_equal(compare_with_libpcap(path), 3000);
    }
  unlink(path);
}

static void shared_captures_match_libpcap(void **st) {
  (void)st;
  const char *dir = captures_dir();
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d) {
    print_message("no shared captures at %s: skipped\n", dir ? dir : "?");
    skip();
  }
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || (strcmp(e->d_name + l - 5, ".pcap") &&
                  strcmp(e->d_name + l - 7 > e->d_name ? e->d_name + l - 7 : "",
                         ".pcapng")))
      continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int n = compare_with_libpcap(path);
    assert_true(n > 0);
    files++;
  }
  closedir(d);
  assert_true(files > 0);
}

/* A pcap of a link type the caller refuses is not opened at all. */
static void pcap_refused_linktype(void **st) {
  (void)st;
  char path[] = "/tmp/ward-capture-test-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  write_pcap(path, 147 /* DLT_USER0 */, false, 3);
  seen s = {.refuse = 147};
  wd_capture_opts_t o = {accept_cb, &s};
  wd_capture_t *c;
  const char *paths[1] = {path};
  assert_int_equal(wd_capture_open_files(paths, 1, &o, &c), WD_ERR_IO);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_false(fi->opened);
  assert_true(wd_capture_file_unread(fi));
  assert_int_equal(fi->refused_linktype, 147);
  assert_non_null(strstr(fi->error, "link type 147 is not supported"));
  assert_int_equal(s.calls, 1);
  wd_frame_t f;
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  wd_capture_close(c);
  unlink(path);
}

/* Cut in the middle of a record: the frames before it are delivered, the
 * error names the truncation and the frame. */
static void truncated_keeps_earlier_frames(void **st) {
  (void)st;
  char path[] = "/tmp/ward-capture-test-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  write_pcap(path, DLT_EN10MB, false, 10);
  /* 24 header + 10 records of 16 + 60..69 bytes; cut inside the 6th. */
  long cut = 24;
  for (int i = 0; i < 5; i++)
    cut += 16 + 60 + i;
  cut += 20;
  assert_int_equal(truncate(path, cut), 0);
  wd_capture_t *c;
  const char *paths[1] = {path};
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  wd_frame_t f;
  int n = 0;
  while (wd_capture_next(c, &f) == WD_OK)
    n++;
  assert_int_equal(n, 5);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_non_null(strstr(fi->error, "truncated"));
  assert_int_equal(fi->error_frame, 6);
  assert_false(wd_capture_file_unread(fi));
  wd_capture_close(c);

  /* Cut inside the first record: nothing read, the file is unread. */
  assert_int_equal(truncate(path, 24 + 10), 0);
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  assert_true(wd_capture_file_unread(wd_capture_file(c, 0)));
  wd_capture_close(c);

  /* Header only: a well-formed empty capture, read, not "unread". */
  assert_int_equal(truncate(path, 24), 0);
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  assert_false(wd_capture_file_unread(wd_capture_file(c, 0)));
  wd_capture_close(c);
  unlink(path);
}

static void corrupt_pcapng_blocks(void **st) {
  (void)st;
  bytes *b = calloc(1, sizeof *b);
  /* Frame on an interface that was never defined. */
  shb(b);
  idb(b, 1, -1);
  epb(b, 0, 1, frame_a, 14);
  epb(b, 3, 2, frame_a, 14);
  FILE *fp = mem(b);
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_stream(fp, "x", NULL, &c), WD_OK);
  wd_frame_t f;
  assert_int_equal(wd_capture_next(c, &f), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_non_null(strstr(fi->error, "interface 3"));
  assert_int_equal(fi->error_frame, 2);
  wd_capture_close(c);
  fclose(fp);

  /* A block length that is not a multiple of 4. */
  memset(b, 0, sizeof *b);
  shb(b);
  idb(b, 1, -1);
  put32(b, 6);
  put32(b, 33);
  fp = mem(b);
  assert_int_equal(wd_capture_open_stream(fp, "x", NULL, &c), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  assert_non_null(strstr(wd_capture_file(c, 0)->error, "length 33"));
  wd_capture_close(c);
  fclose(fp);
  free(b);
}

/* Two files interleave by timestamp. */
static void merges_in_time_order(void **st) {
  (void)st;
  bytes *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  shb(a);
  idb(a, 1, -1);
  shb(b);
  idb(b, 101, -1);
  for (int i = 0; i < 5; i++) {
    epb(a, 0, (uint64_t)(10 * i), frame_a, 14);
    epb(b, 0, (uint64_t)(10 * i + 5), frame_b, 20);
  }
  char pa[] = "/tmp/ward-capture-test-XXXXXX",
       pb[] = "/tmp/ward-capture-test-XXXXXX";
  int fa = mkstemp(pa), fb = mkstemp(pb);
  assert_int_equal(write(fa, a->v, a->n), (ssize_t)a->n);
  assert_int_equal(write(fb, b->v, b->n), (ssize_t)b->n);
  close(fa);
  close(fb);
  const char *paths[2] = {pb, pa};
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_files(paths, 2, NULL, &c), WD_OK);
  wd_frame_t f;
  uint64_t last = 0;
  for (int i = 0; i < 10; i++) {
    assert_int_equal(wd_capture_next(c, &f), WD_OK);
    assert_true(f.ts_ns >= last);
    last = f.ts_ns;
    assert_int_equal(f.source, i % 2 ? 0u : 1u);
    assert_int_equal(f.linktype, i % 2 ? 101 : 1);
  }
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  wd_capture_close(c);
  unlink(pa);
  unlink(pb);
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pcapng_interfaces_le),
      cmocka_unit_test(pcapng_interfaces_be),
      cmocka_unit_test(pcapng_libpcap_refuses),
      cmocka_unit_test(pcapng_refused_interface),
      cmocka_unit_test(pcap_matches_libpcap),
      cmocka_unit_test(shared_captures_match_libpcap),
      cmocka_unit_test(pcap_refused_linktype),
      cmocka_unit_test(truncated_keeps_earlier_frames),
      cmocka_unit_test(corrupt_pcapng_blocks),
      cmocka_unit_test(merges_in_time_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
