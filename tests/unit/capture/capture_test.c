/* capture_test.c -- tests of src/capture: ward's pcap/pcapng reader
 * against libpcap (files written by pcap_dump in micro- and nanosecond
 * precision, and the shared real captures read by pcap_next_ex: same
 * frames, bytes and timestamps), pcapng with several interfaces of
 * different link types and timestamp resolutions in both byte orders (which
 * libpcap refuses), refused link types (a pcap file is not opened, a
 * pcapng interface has its frames skipped and counted), truncation and
 * corruption (frames before the damage kept), merging of several files in
 * time order, and the progress counters. wd_capture_peek: over files of
 * frames up to 60 KiB, many times the read buffer, peeking (before every
 * wd_capture_next, twice, or now and then) gives the same frames in the
 * same order as not peeking, the frame returned last keeps its bytes, the
 * peek fails only where the buffer needs a read; merged files, pcapng with
 * refused interfaces, sections and oversized blocks, truncated and corrupt
 * files (the error met at the same frame), and the end. wd_capture_stop:
 * the capture ends at once without an error, on a regular file, on a pipe,
 * and when the stop comes while a read waits on the quiet pipe. */
#include <dirent.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "capture/capture_int.h"
#include "core/limits.h"
#include "pcap_file.h"

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

/* ---- wd_capture_peek ---- */

/* Size of frame i of a peek test file: mostly small, every 5th 4-16 KiB,
 * every 17th 40-60 KiB, so that the read buffer often ends inside one. */
static uint32_t peek_size(uint32_t i, uint32_t salt) {
  uint32_t x = (i + 1) * 2654435761u ^ (salt + 1) * 40503u;
  x ^= x >> 13;
  if (i % 17 == 3)
    return 40000 + x % 21000;
  if (i % 5 == 1)
    return 4097 + x % 12000;
  return 60 + x % 1400;
}

/* Bytes of frame i: its number first, then noise. */
static void peek_bytes(uint8_t *p, uint32_t n, uint32_t i, uint32_t salt) {
  uint32_t x = i * 747796405u + salt * 2891336453u + 1;
  for (uint32_t j = 0; j < n; j++) {
    x = x * 1103515245u + 12345u;
    p[j] = (uint8_t)(x >> 16);
  }
  for (uint32_t j = 0; j < 4 && j < n; j++)
    p[j] = (uint8_t)(i >> (8 * j));
  if (n > 4)
    p[4] = (uint8_t)salt;
}

/* Every third frame claims 10 more bytes on the wire. */
static uint32_t peek_wire_extra(uint32_t i) { return i % 3 ? 0 : 10; }

/* A pcap of n peek frames (peek_size, peek_bytes), frame i stamped t0 +
 * i * step microseconds; off as test_pcap_write. */
static void write_peek_pcap(const char *path, uint32_t n, uint32_t salt,
                            uint64_t t0, uint64_t step, long *off) {
  static const test_pcap_shape sh = {peek_size, peek_bytes, peek_wire_extra};
  test_pcap_write(path, n, salt, t0, step, &sh, off);
}

#define PEEK_FILES 4

typedef struct tframe {
  uint64_t ts, num, hash;
  uint32_t caplen, wirelen, source;
  int linktype;
} tframe;

/* What one read of a capture saw. */
typedef struct trace {
  tframe *f;
  size_t n, cap;
  /* per file: frames returned when its error first showed (SIZE_MAX:
   * never), and its counters at the end */
  size_t err_at[PEEK_FILES];
  char err[PEEK_FILES][256];
  uint64_t err_frame[PEEK_FILES], frames[PEEK_FILES], skipped[PEEK_FILES];
  size_t peek_ok, peek_fail;
} trace;

enum {
  PEEK_NONE,  /* wd_capture_next alone */
  PEEK_EACH,  /* a peek before every next */
  PEEK_TWICE, /* two peeks before every next: the same answer */
  PEEK_SOME   /* a peek before two nexts of three */
};

static void assert_frames_equal(const wd_frame_t *a, const wd_frame_t *b) {
  assert_int_equal(a->ts_ns, b->ts_ns);
  assert_int_equal(a->caplen, b->caplen);
  assert_int_equal(a->wirelen, b->wirelen);
  assert_int_equal(a->source, b->source);
  assert_int_equal(a->num, b->num);
  assert_int_equal(a->linktype, b->linktype);
}

/* Reads the capture of paths to its end, peeking as mode says, into t.
 * Whenever a peek shows a frame, the next wd_capture_next returns it, and
 * after any peek the frame returned before still holds its bytes. */
static void run_trace(const char *const *paths, size_t n,
                      const wd_capture_opts_t *o, int mode, trace *t) {
  assert_true(n <= PEEK_FILES);
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < PEEK_FILES; i++)
    t->err_at[i] = SIZE_MAX;
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_files(paths, n, o, &c), WD_OK);
  uint8_t *prev = malloc(WD_FRAME_MAX), *pk = malloc(WD_FRAME_MAX);
  assert_non_null(prev);
  assert_non_null(pk);
  wd_frame_t last, pf, f;
  bool have_last = false;
  for (size_t step = 0;; step++) {
    for (size_t i = 0; i < n; i++) /* errors met opening */
      if (t->err_at[i] == SIZE_MAX && wd_capture_file(c, i)->error[0])
        t->err_at[i] = t->n;
    bool peeked = false;
    if (mode == PEEK_EACH || mode == PEEK_TWICE ||
        (mode == PEEK_SOME && step % 3 != 1)) {
      peeked = wd_capture_peek(c, &pf);
      if (peeked) {
        assert_non_null(pf.data);
        memcpy(pk, pf.data, pf.caplen);
      }
      if (mode == PEEK_TWICE) {
        wd_frame_t pf2;
        assert_int_equal(wd_capture_peek(c, &pf2), peeked);
        if (peeked) {
          assert_frames_equal(&pf, &pf2);
          assert_ptr_equal(pf.data, pf2.data);
        }
      }
      if (have_last)
        assert_memory_equal(last.data, prev, last.caplen);
      if (peeked)
        t->peek_ok++;
      else
        t->peek_fail++;
    }
    wd_rc rc = wd_capture_next(c, &f);
    for (size_t i = 0; i < n; i++)
      if (t->err_at[i] == SIZE_MAX && wd_capture_file(c, i)->error[0])
        t->err_at[i] = t->n;
    if (peeked) {
      assert_int_equal(rc, WD_OK);
      assert_frames_equal(&f, &pf);
      assert_memory_equal(f.data, pk, f.caplen);
    }
    if (rc == WD_END)
      break;
    assert_int_equal(rc, WD_OK);
    if (t->n == t->cap) {
      t->cap = t->cap ? 2 * t->cap : 1024;
      t->f = realloc(t->f, t->cap * sizeof *t->f);
      assert_non_null(t->f);
    }
    t->f[t->n++] = (tframe){f.ts_ns,   f.num,     test_fnv(f.data, f.caplen),
                            f.caplen,  f.wirelen, f.source,
                            f.linktype};
    memcpy(prev, f.data, f.caplen);
    last = f;
    have_last = true;
  }
  /* At the end: nothing to peek at, and the end again. */
  for (int i = 0; i < 2; i++) {
    assert_false(wd_capture_peek(c, &pf));
    assert_int_equal(wd_capture_next(c, &f), WD_END);
  }
  for (size_t i = 0; i < n; i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(c, i);
    snprintf(t->err[i], sizeof t->err[i], "%s", fi->error);
    t->err_frame[i] = fi->error_frame;
    t->frames[i] = fi->frames;
    t->skipped[i] = fi->skipped;
  }
  uint64_t done, total;
  if (wd_capture_progress(c, &done, &total))
    assert_int_equal(done, total);
  wd_capture_close(c);
  free(prev);
  free(pk);
}

static void assert_traces_equal(const trace *a, const trace *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    const tframe *x = &a->f[i], *y = &b->f[i];
    if (memcmp(x, y, sizeof *x)) {
      print_message("frame %zu differs: source %u num %llu / source %u num "
                    "%llu\n",
                    i, x->source, (unsigned long long)x->num, y->source,
                    (unsigned long long)y->num);
      fail();
    }
  }
  for (size_t i = 0; i < PEEK_FILES; i++) {
    assert_int_equal(a->err_at[i], b->err_at[i]);
    assert_string_equal(a->err[i], b->err[i]);
    assert_int_equal(a->err_frame[i], b->err_frame[i]);
    assert_int_equal(a->frames[i], b->frames[i]);
    assert_int_equal(a->skipped[i], b->skipped[i]);
  }
}

/* Reads paths without peeking into ref, then in every peek mode: the
 * same. The counts of peeks that did and did not show a frame (each
 * before every next) go to *ok and *failed. */
static void peek_modes_agree(const char *const *paths, size_t n,
                             const wd_capture_opts_t *o, trace *ref, size_t *ok,
                             size_t *failed) {
  run_trace(paths, n, o, PEEK_NONE, ref);
  assert_int_equal(ref->peek_ok + ref->peek_fail, 0);
  for (int mode = PEEK_EACH; mode <= PEEK_SOME; mode++) {
    trace t;
    run_trace(paths, n, o, mode, &t);
    assert_traces_equal(ref, &t);
    if (mode == PEEK_EACH) {
      *ok = t.peek_ok;
      *failed = t.peek_fail;
      assert_int_equal(t.peek_ok + t.peek_fail, ref->n + 1);
    }
    free(t.f);
  }
}

/* (a) One pcap of 1500 frames, about 8 MiB: every frame as written, in
 * every mode; a peek fails only when the next record crosses the end of
 * the buffer (about once per buffer's worth) and at the end. */
static void peek_single_file(void **st) {
  (void)st;
  char path[64];
  test_temp_path(path, sizeof path);
  enum { N = 1500 };
  long *off = malloc((N + 1) * sizeof *off);
  assert_non_null(off);
  write_peek_pcap(path, N, 7, 1700000000000000ull, 1000, off);
  const char *paths[1] = {path};
  trace ref;
  size_t ok, failed;
  peek_modes_agree(paths, 1, NULL, &ref, &ok, &failed);
  /* what was written */
  assert_int_equal(ref.n, N);
  uint8_t *buf = malloc(WD_FRAME_MAX);
  assert_non_null(buf);
  for (uint32_t i = 0; i < N; i++) {
    uint32_t len = peek_size(i, 7);
    peek_bytes(buf, len, i, 7);
    assert_int_equal(ref.f[i].num, i + 1);
    assert_int_equal(ref.f[i].caplen, len);
    assert_int_equal(ref.f[i].wirelen, len + (i % 3 ? 0 : 10));
    assert_int_equal(ref.f[i].ts, (1700000000000000ull + i * 1000ull) * 1000);
    assert_int_equal(ref.f[i].hash, test_fnv(buf, len));
    assert_int_equal(ref.f[i].linktype, 1);
  }
  assert_string_equal(ref.err[0], "");
  /* Each read of the buffer but the first follows a failed peek, and
   * refills leave at least a buffer less the largest record of new
   * bytes; the end fails once more. */
  uint64_t size = (uint64_t)off[N], B = WD_CAPFILE_BUFFER;
  print_message("%llu bytes: %zu peeks showed a frame, %zu did not\n",
                (unsigned long long)size, ok, failed);
  assert_true(size > 6 * B);
  assert_true(ok > N / 2);
  assert_true(failed >= (size + B - 1) / B);
  assert_true(failed <= size / (B - 61000 - 16) + 2);
  free(buf);
  free(off);
  free(ref.f);
  unlink(path);
}

/* (b) Three files merged by time (equal timestamps too; one ends early):
 * peeking changes nothing. */
static void peek_merged_files(void **st) {
  (void)st;
  char pa[64], pb[64], pc[64];
  test_temp_path(pa, sizeof pa);
  test_temp_path(pb, sizeof pb);
  test_temp_path(pc, sizeof pc);
  write_peek_pcap(pa, 700, 1, 1000000, 10, NULL);
  write_peek_pcap(pb, 1000, 2, 1000000, 7, NULL); /* ties every 7th of a */
  write_peek_pcap(pc, 3, 3, 1000005, 10, NULL);
  const char *paths[3] = {pb, pa, pc};
  trace ref;
  size_t ok, failed;
  peek_modes_agree(paths, 3, NULL, &ref, &ok, &failed);
  assert_int_equal(ref.n, 1703);
  assert_int_equal(ref.frames[0], 1000);
  assert_int_equal(ref.frames[1], 700);
  assert_int_equal(ref.frames[2], 3);
  size_t ties = 0;
  for (size_t i = 1; i < ref.n; i++) {
    assert_true(ref.f[i].ts >= ref.f[i - 1].ts);
    if (ref.f[i].ts == ref.f[i - 1].ts) {
      ties++;
      assert_true(ref.f[i].source > ref.f[i - 1].source);
    }
  }
  assert_true(ties > 50);
  assert_true(ok > 0);
  assert_true(failed > 3);
  free(ref.f);
  unlink(pa);
  unlink(pb);
  unlink(pc);
}

/* Writes the block in b to fp and empties b. */
static void flush_block(bytes *b, FILE *fp) {
  assert_int_equal(fwrite(b->v, 1, b->n, fp), b->n);
  b->n = 0;
}

/* (c) A pcapng of two sections, each with an Ethernet interface and one
 * of a refused link type (frames of both, large and small), and a
 * custom block larger than the buffer between them: the same frames and
 * skip counts with and without peeking. */
static void peek_pcapng_refused(void **st) {
  (void)st;
  char path[64];
  test_temp_path(path, sizeof path);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  bytes *b = calloc(1, sizeof *b);
  uint8_t *buf = malloc(WD_FRAME_MAX);
  assert_non_null(b);
  assert_non_null(buf);
  uint32_t accepted = 0, refused = 0;
  for (uint32_t sec = 0; sec < 2; sec++) {
    shb(b);
    /* section 0: iface 0 Ethernet; section 1: iface 1 Ethernet */
    idb(b, sec ? 4242 : 1, -1);
    idb(b, sec ? 1 : 4242, -1);
    flush_block(b, fp);
    for (uint32_t i = 0; i < 900; i++) {
      uint32_t k = sec * 900 + i;
      uint32_t len = peek_size(k, 9);
      peek_bytes(buf, len, k, 9);
      bool skip_it = k % 3 == 0;
      uint32_t iface = skip_it == (sec == 0) ? 1 : 0;
      epb(b, iface, 1700000000000000ull + k, buf, len);
      flush_block(b, fp);
      if (skip_it)
        refused++;
      else
        accepted++;
    }
    if (sec == 0) { /* 1.5 MiB of a custom block: skipped in pieces */
      uint32_t big = 3u << 19;
      test_pcap_le32(fp, 0x40000bad);
      test_pcap_le32(fp, big);
      uint8_t *body = calloc(1, big - 12);
      assert_non_null(body);
      assert_int_equal(fwrite(body, 1, big - 12, fp), big - 12);
      free(body);
      test_pcap_le32(fp, big);
    }
  }
  assert_int_equal(fclose(fp), 0);
  seen s = {.refuse = 4242};
  wd_capture_opts_t o = {accept_cb, &s};
  const char *paths[1] = {path};
  trace ref;
  size_t ok, failed;
  peek_modes_agree(paths, 1, &o, &ref, &ok, &failed);
  assert_int_equal(ref.n, accepted);
  assert_int_equal(ref.frames[0], accepted);
  assert_int_equal(ref.skipped[0], refused);
  assert_string_equal(ref.err[0], "");
  for (size_t i = 0; i < ref.n; i++)
    assert_int_equal(ref.f[i].linktype, 1);
  assert_true(ok > 0);
  assert_true(failed > 3);
  free(ref.f);
  free(buf);
  free(b);
  unlink(path);
}

/* (d) A file cut inside a record (its data, then its header) or with a
 * corrupt record length, merged with a sound one: the frames before the
 * damage, and the error met at the same frame, peeking or not. */
static void peek_truncated_file(void **st) {
  (void)st;
  char pa[64], pb[64];
  test_temp_path(pa, sizeof pa);
  test_temp_path(pb, sizeof pb);
  enum { NA = 800, NB = 900, CUT = 600 };
  long *off = malloc((NB + 1) * sizeof *off);
  assert_non_null(off);
  write_peek_pcap(pa, NA, 4, 1000000, 10, NULL);
  const char *paths[2] = {pa, pb};
  for (int kind = 0; kind < 3; kind++) {
    write_peek_pcap(pb, NB, 5, 1000003, 10, off);
    assert_true(off[CUT] > 3 * (long)WD_CAPFILE_BUFFER);
    if (kind == 0) /* inside the data of record CUT */
      assert_int_equal(truncate(pb, off[CUT] + 16 + 30), 0);
    else if (kind == 1) /* inside its header */
      assert_int_equal(truncate(pb, off[CUT] + 7), 0);
    else { /* its captured length beyond the largest frame */
      FILE *fp = fopen(pb, "r+b");
      assert_non_null(fp);
      assert_int_equal(fseek(fp, off[CUT] + 8, SEEK_SET), 0);
      test_pcap_le32(fp, WD_FRAME_MAX + 1);
      assert_int_equal(fclose(fp), 0);
    }
    trace ref;
    size_t ok, failed;
    peek_modes_agree(paths, 2, NULL, &ref, &ok, &failed);
    assert_string_equal(ref.err[0], "");
    assert_int_equal(ref.frames[0], NA);
    assert_int_equal(ref.frames[1], CUT);
    assert_int_equal(ref.err_frame[1], CUT + 1);
    assert_non_null(
        strstr(ref.err[1], kind == 2 ? "corrupt record" : "truncated"));
    /* the error shows once the last good frame of b has been returned,
     * before the next frame of a */
    assert_true(ref.err_at[1] > 0 && ref.err_at[1] < ref.n);
    const tframe *lastb = &ref.f[ref.err_at[1] - 1];
    assert_int_equal(lastb->source, 1);
    assert_int_equal(lastb->num, CUT);
    assert_int_equal(ref.f[ref.err_at[1]].source, 0);
    assert_int_equal(ref.n, NA + CUT);
    assert_true(ok > 0);
    assert_true(failed > 2);
    free(ref.f);
  }
  /* Alone: the error and the end. */
  const char *one[1] = {pb};
  trace ref;
  size_t ok, failed;
  peek_modes_agree(one, 1, NULL, &ref, &ok, &failed);
  assert_int_equal(ref.n, CUT);
  assert_int_equal(ref.err_at[0], CUT);
  assert_int_equal(ref.err_frame[0], CUT + 1);
  free(ref.f);
  free(off);
  unlink(pa);
  unlink(pb);
}

/* (e) The first peek shows frame 1; at the end, and on an empty capture
 * or a file that could not be opened, there is nothing to peek at. */
static void peek_ends(void **st) {
  (void)st;
  char path[64];
  test_temp_path(path, sizeof path);
  write_peek_pcap(path, 2, 6, 1000000, 10, NULL);
  const char *paths[2] = {path, "/nonexistent/ward-capture-test"};
  wd_capture_t *c;
  assert_int_equal(wd_capture_open_files(paths, 2, NULL, &c), WD_OK);
  wd_frame_t f, g;
  assert_true(wd_capture_peek(c, &f));
  assert_int_equal(f.num, 1);
  assert_int_equal(f.source, 0);
  assert_int_equal(wd_capture_file(c, 0)->frames, 0); /* not counted yet */
  assert_int_equal(wd_capture_next(c, &g), WD_OK);
  assert_frames_equal(&f, &g);
  assert_true(wd_capture_peek(c, &f));
  assert_int_equal(f.num, 2);
  assert_int_equal(wd_capture_next(c, &g), WD_OK);
  assert_frames_equal(&f, &g);
  assert_false(wd_capture_peek(c, &f));
  assert_int_equal(wd_capture_next(c, &g), WD_END);
  assert_false(wd_capture_peek(c, &f));
  assert_int_equal(wd_capture_next(c, &g), WD_END);
  assert_int_equal(wd_capture_file(c, 0)->frames, 2);
  assert_false(wd_capture_file(c, 1)->opened);
  wd_capture_close(c);

  /* header only */
  assert_int_equal(truncate(path, 24), 0);
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  assert_false(wd_capture_peek(c, &f));
  assert_int_equal(wd_capture_next(c, &g), WD_END);
  assert_false(wd_capture_peek(c, &f));
  wd_capture_close(c);
  unlink(path);
}

/* ---- wd_capture_stop on a pipe ---- */

typedef struct pipe_reader {
  wd_capture_t *c;
  _Atomic long tid;
  wd_rc rc;
} pipe_reader;

static void *read_pipe(void *arg) {
  pipe_reader *r = arg;
  r->tid = syscall(SYS_gettid);
  wd_frame_t f;
  r->rc = wd_capture_next(r->c, &f);
  return NULL;
}

/* Whether thread tid waits in poll: 1 yes, 0 not yet, -1 cannot tell
 * (the first field of /proc/self/task/TID/syscall is the system call it
 * is in; a machine may hide it). */
static int in_poll(long tid) {
  char path[64], buf[64] = "";
  snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
  FILE *fp = fopen(path, "r");
  if (!fp)
    return -1;
  bool got = fgets(buf, sizeof buf, fp) != NULL;
  fclose(fp);
  if (!got)
    return -1;
  long nr = strtol(buf, NULL, 10);
  return nr == SYS_poll || nr == SYS_ppoll;
}

/* A pipe holding a pcap header and three frames, its writer left open. */
static wd_capture_t *open_quiet_pipe(int *writer) {
  char path[64];
  test_temp_path(path, sizeof path);
  write_peek_pcap(path, 3, 7, 1000000, 1000, NULL);
  FILE *in = fopen(path, "rb");
  assert_non_null(in);
  static uint8_t raw[1 << 17];
  size_t n = fread(raw, 1, sizeof raw, in);
  fclose(in);
  unlink(path);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_true(n < 65536); /* fits in a pipe's buffer */
  assert_int_equal(write(fds[1], raw, n), (ssize_t)n);
  FILE *fp = fdopen(fds[0], "rb");
  assert_non_null(fp);
  wd_capture_t *c = NULL;
  assert_int_equal(wd_capture_open_stream(fp, "pipe", NULL, &c), WD_OK);
  *writer = fds[1];
  return c;
}

static void stop_ends_quiet_pipe(void **state) {
  (void)state;
  /* The stop comes between two frames: the capture ends there, on a
   * pipe as on a regular file, and no file has an error. */
  int w;
  wd_capture_t *c = open_quiet_pipe(&w);
  wd_frame_t f;
  assert_int_equal(wd_capture_next(c, &f), WD_OK);
  wd_capture_stop(c);
  assert_false(wd_capture_peek(c, &f));
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
  assert_int_equal(fi->frames, 1);
  assert_string_equal(fi->error, "");
  assert_int_equal(fi->error_frame, 0);
  wd_capture_close(c);
  close(w);
  char path[64];
  test_temp_path(path, sizeof path);
  write_peek_pcap(path, 3, 7, 1000000, 1000, NULL);
  const char *paths[] = {path};
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &c), WD_OK);
  assert_int_equal(wd_capture_next(c, &f), WD_OK);
  wd_capture_stop(c);
  assert_int_equal(wd_capture_next(c, &f), WD_END);
  assert_int_equal(wd_capture_file(c, 0)->frames, 1);
  assert_string_equal(wd_capture_file(c, 0)->error, "");
  wd_capture_close(c);
  unlink(path);

  /* The stop comes from another thread while a read waits in poll. */
  c = open_quiet_pipe(&w);
  for (int i = 0; i < 3; i++)
    assert_int_equal(wd_capture_next(c, &f), WD_OK);
  pipe_reader r = {.c = c, .rc = WD_OK};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_pipe, &r), 0);
  /* Until it waits in poll (where that cannot be seen: at once). */
  while (!r.tid || in_poll(r.tid) == 0)
    sched_yield();
  wd_capture_stop(c);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(r.rc, WD_END);
  fi = wd_capture_file(c, 0);
  assert_int_equal(fi->frames, 3);
  assert_string_equal(fi->error, "");
  wd_capture_close(c);
  close(w);
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
      cmocka_unit_test(peek_single_file),
      cmocka_unit_test(peek_merged_files),
      cmocka_unit_test(peek_pcapng_refused),
      cmocka_unit_test(peek_truncated_file),
      cmocka_unit_test(peek_ends),
      cmocka_unit_test(stop_ends_quiet_pipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
