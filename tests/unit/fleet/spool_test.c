/* spool_test.c -- tests of src/fleet/spool.c: records come back oldest
 * first until acked, also after reopening; out-of-order acks above the
 * mark are sent again after a restart (at least once); a segment cut at
 * every byte, or with any byte of its last record changed, keeps every
 * record before the damage and takes appends again; a writer killed with
 * SIGKILL loses nothing it had synced; a full spool drops the oldest
 * droppable records first, never keep records, refuses droppable ones
 * when only keep records remain and lets keep records grow to the hard
 * cap, then refuses them; nack/rewind order; the directory lock; a
 * damaged ack file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "fleet/spool.h"

static char root[64];

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/wd_spool_test.XXXXXX");
  assert_non_null(mkdtemp(root));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

static void subdir(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", root, name);
}

static wd_spool_t *open_spool(const char *dir, uint64_t max, uint64_t hard,
                              uint64_t seg, wd_spool_sync_mode mode) {
  wd_spool_opts_t o = {.dir = dir,
                       .max_bytes = max,
                       .hard_max_bytes = hard,
                       .segment_bytes = seg,
                       .sync = mode};
  wd_spool_t *sp;
  char err[256] = "";
  wd_rc rc = wd_spool_open(&o, &sp, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("open %s: %s (%s)", dir, wd_rc_str(rc), err);
  return sp;
}

/* Record i: "rec-<i>" followed by i % 50 bytes of a pattern. */
static size_t make_rec(unsigned i, uint8_t *buf) {
  int n = snprintf((char *)buf, 32, "rec-%u:", i);
  size_t len = (size_t)n + i % 50;
  for (size_t k = (size_t)n; k < len; k++)
    buf[k] = (uint8_t)(i + k);
  return len;
}

static unsigned rec_index(const uint8_t *buf, size_t len) {
  unsigned i;
  char tmp[32];
  size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
  memcpy(tmp, buf, n);
  tmp[n] = 0;
  assert_int_equal(sscanf(tmp, "rec-%u:", &i), 1);
  uint8_t want[128];
  assert_int_equal(make_rec(i, want), len);
  assert_memory_equal(want, buf, len);
  return i;
}

/* Takes every waiting record; fills idx (their indices) and rsns. */
static size_t take_all(wd_spool_t *sp, unsigned *idx, uint64_t *rsns,
                       size_t max) {
  static uint8_t buf[WD_SPOOL_RECORD_MAX];
  size_t n = 0, len;
  uint64_t rsn;
  wd_spool_class cls;
  while (wd_spool_next(sp, &rsn, &cls, buf, sizeof buf, &len) == WD_OK) {
    assert_true(n < max);
    idx[n] = rec_index(buf, len);
    if (rsns)
      rsns[n] = rsn;
    n++;
  }
  return n;
}

static void oldest_first_and_reopen(void **state) {
  (void)state;
  char dir[128];
  subdir(dir, sizeof dir, "basic");
  wd_spool_t *sp = open_spool(dir, 1 << 20, 0, 4096, WD_SPOOL_SYNC_BATCH);
  uint8_t buf[128];
  uint64_t first = 0;
  for (unsigned i = 0; i < 200; i++) {
    uint64_t rsn;
    assert_int_equal(wd_spool_append(sp,
                                     i % 3 ? WD_SPOOL_KEEP : WD_SPOOL_DROPPABLE,
                                     buf, make_rec(i, buf), &rsn),
                     WD_OK);
    if (i == 0)
      first = rsn;
    assert_true(rsn == first + i);
  }
  assert_int_equal(wd_spool_sync(sp), WD_OK);
  wd_spool_stats_t st;
  wd_spool_stats(sp, &st);
  assert_int_equal(st.records, 200);
  assert_true(st.segments > 1);
  unsigned idx[400];
  uint64_t rsns[400];
  assert_int_equal(take_all(sp, idx, rsns, 400), 200);
  for (unsigned i = 0; i < 200; i++)
    assert_int_equal(idx[i], i);
  /* Everything in flight: nothing more until a nack. */
  assert_int_equal(take_all(sp, idx, NULL, 400), 0);
  for (unsigned i = 0; i < 150; i++)
    wd_spool_ack(sp, rsns[i]);
  wd_spool_ack(sp, rsns[0]);   /* twice: no-op */
  wd_spool_ack(sp, 999999999); /* unknown: no-op */
  wd_spool_stats(sp, &st);
  assert_int_equal(st.records, 50);
  assert_int_equal(st.acked, 150);
  uint64_t segs_before = st.segments;
  wd_spool_close(sp);

  sp = open_spool(dir, 1 << 20, 0, 4096, WD_SPOOL_SYNC_BATCH);
  wd_spool_stats(sp, &st);
  assert_int_equal(st.recovered, 50);
  assert_true(st.segments <= segs_before);
  assert_int_equal(take_all(sp, idx, rsns, 400), 50);
  for (unsigned i = 0; i < 50; i++)
    assert_int_equal(idx[i], 150 + i);
  /* Numbers are never reused after a restart. */
  uint64_t rsn;
  assert_int_equal(
      wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(7, buf), &rsn), WD_OK);
  assert_true(rsn > rsns[49]);
  for (unsigned i = 0; i < 50; i++)
    wd_spool_ack(sp, rsns[i]);
  wd_spool_ack(sp, rsn);
  wd_spool_close(sp);
  /* Fully acked: no segment file left. */
  DIR *d = opendir(dir);
  struct dirent *e;
  unsigned segs = 0;
  while ((e = readdir(d)) != NULL)
    segs += strncmp(e->d_name, "seg-", 4) == 0;
  closedir(d);
  assert_int_equal(segs, 0);
  sp = open_spool(dir, 1 << 20, 0, 4096, WD_SPOOL_SYNC_BATCH);
  assert_int_equal(take_all(sp, idx, NULL, 400), 0);
  wd_spool_close(sp);
}

/* Acks above the low-water mark are in memory only: after a restart those
 * records come again (at least once), those below it never. */
static void out_of_order_acks(void **state) {
  (void)state;
  char dir[128];
  subdir(dir, sizeof dir, "ooo");
  wd_spool_t *sp = open_spool(dir, 1 << 20, 0, 0, WD_SPOOL_SYNC_BATCH);
  uint8_t buf[128];
  for (unsigned i = 0; i < 10; i++)
    assert_int_equal(
        wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(i, buf), NULL), WD_OK);
  unsigned idx[20];
  uint64_t rsns[20];
  assert_int_equal(take_all(sp, idx, rsns, 20), 10);
  for (unsigned i = 0; i < 10; i++)
    if (i < 3 || i == 5 || i == 8)
      wd_spool_ack(sp, rsns[i]);
  assert_int_equal(wd_spool_sync_acks(sp), WD_OK);
  wd_spool_close(sp);
  sp = open_spool(dir, 1 << 20, 0, 0, WD_SPOOL_SYNC_BATCH);
  size_t n = take_all(sp, idx, NULL, 20);
  assert_int_equal(n, 7);
  unsigned want[] = {3, 4, 5, 6, 7, 8, 9};
  for (unsigned i = 0; i < n; i++)
    assert_int_equal(idx[i], want[i]);
  wd_spool_close(sp);
}

static void nack_and_rewind(void **state) {
  (void)state;
  char dir[128];
  subdir(dir, sizeof dir, "nack");
  wd_spool_t *sp = open_spool(dir, 1 << 20, 0, 0, WD_SPOOL_SYNC_NONE);
  uint8_t buf[WD_SPOOL_RECORD_MAX];
  for (unsigned i = 0; i < 6; i++)
    assert_int_equal(
        wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(i, buf), NULL), WD_OK);
  uint64_t r[6], rsn;
  wd_spool_class cls;
  size_t len;
  for (int i = 0; i < 3; i++)
    assert_int_equal(wd_spool_next(sp, &r[i], &cls, buf, sizeof buf, &len),
                     WD_OK);
  wd_spool_nack(sp, r[1]);
  assert_int_equal(wd_spool_next(sp, &rsn, &cls, buf, sizeof buf, &len), WD_OK);
  assert_int_equal(rec_index(buf, len), 1);
  assert_int_equal(wd_spool_next(sp, &rsn, &cls, buf, sizeof buf, &len), WD_OK);
  assert_int_equal(rec_index(buf, len), 3);
  /* A buffer too small leaves the record waiting. */
  assert_int_equal(wd_spool_next(sp, &rsn, &cls, buf, 3, &len), WD_ERR_FULL);
  wd_spool_ack(sp, r[0]);
  wd_spool_rewind(sp);
  unsigned idx[10];
  assert_int_equal(take_all(sp, idx, NULL, 10), 5);
  for (unsigned i = 0; i < 5; i++)
    assert_int_equal(idx[i], i + 1);
  wd_spool_stats_t st;
  wd_spool_stats(sp, &st);
  assert_int_equal(st.inflight, 5);
  wd_spool_close(sp);
}

static void copy_file(const char *from, const char *to, off_t len) {
  int in = open(from, O_RDONLY),
      out = open(to, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  assert_true(in >= 0 && out >= 0);
  static char buf[1 << 16];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    assert_int_equal(write(out, buf, (size_t)n), n);
  close(in);
  assert_int_equal(ftruncate(out, len), 0);
  close(out);
}

static void only_segment(const char *dir, char *path, size_t n) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "seg-", 4) == 0) {
      snprintf(path, n, "%s/%s", dir, e->d_name);
      found++;
    }
  closedir(d);
  assert_int_equal(found, 1);
}

/* One segment of 6 records; every cut from 0 bytes to the whole file and
 * every changed byte of the last record. */
static void torn_tail_every_byte(void **state) {
  (void)state;
  char dir[128], seg[512];
  subdir(dir, sizeof dir, "torn-src");
  wd_spool_t *sp = open_spool(dir, 1 << 20, 0, 1 << 20, WD_SPOOL_SYNC_NONE);
  uint8_t buf[WD_SPOOL_RECORD_MAX];
  off_t ends[7];
  ends[0] = 8; /* segment header */
  for (unsigned i = 0; i < 6; i++) {
    size_t len = make_rec(i + 40, buf); /* 40.. : long records */
    assert_int_equal(wd_spool_append(sp, WD_SPOOL_KEEP, buf, len, NULL), WD_OK);
    ends[i + 1] = ends[i] + (off_t)(WD_SPOOL_RECORD_HDR + len);
  }
  wd_spool_close(sp);
  only_segment(dir, seg, sizeof seg);
  struct stat st;
  assert_int_equal(stat(seg, &st), 0);
  assert_int_equal(st.st_size, ends[6]);
  const char *base = strrchr(seg, '/') + 1;

  char work[128], wseg[512];
  subdir(work, sizeof work, "torn-work");
  for (off_t cut = 0; cut <= ends[6]; cut++) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", work, work);
    assert_int_equal(system(cmd), 0);
    snprintf(wseg, sizeof wseg, "%s/%s", work, base);
    copy_file(seg, wseg, cut);
    unsigned whole = 0;
    while (whole < 6 && ends[whole + 1] <= cut)
      whole++;
    sp = open_spool(work, 1 << 20, 0, 1 << 20, WD_SPOOL_SYNC_NONE);
    wd_spool_stats_t ss;
    wd_spool_stats(sp, &ss);
    assert_int_equal(ss.recovered, whole);
    if (cut != ends[whole] && cut >= 8)
      assert_int_equal(ss.torn, 1);
    unsigned idx[10];
    uint64_t rsns[10];
    assert_int_equal(take_all(sp, idx, rsns, 10), whole);
    for (unsigned i = 0; i < whole; i++)
      assert_int_equal(idx[i], i + 40);
    /* Appends continue cleanly after the cut. */
    uint64_t rsn;
    assert_int_equal(
        wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(99, buf), &rsn),
        WD_OK);
    wd_spool_close(sp);
    sp = open_spool(work, 1 << 20, 0, 1 << 20, WD_SPOOL_SYNC_NONE);
    wd_spool_stats(sp, &ss);
    assert_int_equal(ss.torn, 0);
    assert_int_equal(take_all(sp, idx, NULL, 10), whole + 1);
    assert_int_equal(idx[whole], 99);
    wd_spool_close(sp);
  }
  /* Any byte of the last record changed: that record goes, five stay. */
  for (off_t at = ends[5]; at < ends[6]; at++) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", work, work);
    assert_int_equal(system(cmd), 0);
    snprintf(wseg, sizeof wseg, "%s/%s", work, base);
    copy_file(seg, wseg, ends[6]);
    int fd = open(wseg, O_RDWR);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    sp = open_spool(work, 1 << 20, 0, 1 << 20, WD_SPOOL_SYNC_NONE);
    wd_spool_stats_t ss;
    wd_spool_stats(sp, &ss);
    assert_int_equal(ss.recovered, 5); /* found at open, not later */
    assert_int_equal(ss.torn, 1);
    unsigned idx[10];
    assert_int_equal(take_all(sp, idx, NULL, 10), 5);
    wd_spool_close(sp);
  }
}

/* A writer killed with SIGKILL at an arbitrary moment: every record it
 * reported as appended and synced is there after reopening, intact. */
static void killed_writer(void **state) {
  (void)state;
  char dir[128];
  subdir(dir, sizeof dir, "killed");
  for (int round = 0; round < 3; round++) {
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(pfd[0]);
      wd_spool_t *sp = open_spool(dir, 64 << 20, 0, 16384, WD_SPOOL_SYNC_BATCH);
      uint8_t buf[128];
      for (unsigned i = (unsigned)round * 1000000u;; i++) {
        if (wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(i, buf), NULL) !=
            WD_OK)
          _exit(3);
        if (i % 10 == 9) {
          wd_spool_sync(sp);
          unsigned done = i + 1 - (unsigned)round * 1000000u;
          if (write(pfd[1], &done, sizeof done) != sizeof done)
            _exit(4);
        }
      }
    }
    close(pfd[1]);
    unsigned done = 0, v;
    unsigned want = 200 + (unsigned)round * 137;
    while (done < want && read(pfd[0], &v, sizeof v) == sizeof v)
      done = v;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    while (read(pfd[0], &v, sizeof v) == sizeof v)
      done = v; /* reports written before the kill */
    close(pfd[0]);
    assert_true(WIFSIGNALED(status));
    wd_spool_t *sp = open_spool(dir, 64 << 20, 0, 16384, WD_SPOOL_SYNC_BATCH);
    static unsigned idx[2000000];
    static uint64_t rsns[2000000];
    size_t n = take_all(sp, idx, rsns, 2000000);
    /* This round's records, in order, at least all that were synced. */
    size_t k = 0;
    while (k < n && idx[k] < (unsigned)round * 1000000u)
      k++;
    assert_true(n - k >= done);
    for (size_t j = k; j < n; j++)
      assert_int_equal(idx[j], (unsigned)round * 1000000u + (j - k));
    for (size_t j = 0; j < n; j++)
      wd_spool_ack(sp, rsns[j]);
    wd_spool_close(sp);
  }
}

/* max 16 KiB, segments of 2 KiB, records of ~100 bytes. */
static void full_spool(void **state) {
  (void)state;
  char dir[128];
  subdir(dir, sizeof dir, "full");
  const uint64_t max = 16384, hard = 24576;
  wd_spool_t *sp = open_spool(dir, max, hard, 2048, WD_SPOOL_SYNC_NONE);
  uint8_t buf[128];
  unsigned alerts = 0, frames = 0;
  wd_spool_stats_t st;
  /* Alerts and frames, 1 alert per 4 records, until far past the cap. */
  for (unsigned i = 0; i < 600; i++) {
    bool alert = i % 4 == 0;
    size_t len = make_rec(i, buf);
    assert_int_equal(wd_spool_append(sp,
                                     alert ? WD_SPOOL_KEEP : WD_SPOOL_DROPPABLE,
                                     buf, len, NULL),
                     WD_OK);
    alerts += alert;
    frames += !alert;
    wd_spool_stats(sp, &st);
    assert_true(st.bytes <= max);
  }
  wd_spool_stats(sp, &st);
  assert_true(st.dropped > 0);
  assert_int_equal(st.refused_droppable, 0);
  /* Every alert kept; the frames kept are the newest ones. */
  static unsigned idx[1000];
  uint64_t rsns[1000];
  size_t n = take_all(sp, idx, rsns, 1000);
  assert_int_equal(n, st.records);
  unsigned got_alerts = 0, oldest_frame = 1000, newest_missing = 0;
  bool seen[600] = {false};
  for (size_t j = 0; j < n; j++) {
    seen[idx[j]] = true;
    if (idx[j] % 4 == 0)
      got_alerts++;
    else if (idx[j] < oldest_frame)
      oldest_frame = idx[j];
  }
  assert_int_equal(got_alerts, alerts);
  for (unsigned i = 0; i < 600; i++)
    if (i % 4 && !seen[i])
      newest_missing = i;
  assert_true(newest_missing < oldest_frame); /* dropped oldest first */
  assert_int_equal(st.dropped, frames - (n - alerts));
  wd_spool_rewind(sp);

  /* Now alerts only: frames go first, then alerts pass the soft cap. */
  unsigned i = 600;
  for (;; i++) {
    wd_rc rc = wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(i, buf), NULL);
    wd_spool_stats(sp, &st);
    assert_true(st.bytes <= hard);
    if (rc == WD_ERR_FULL)
      break;
    assert_int_equal(rc, WD_OK);
    assert_true(i < 5000);
  }
  assert_true(st.over_soft > 0);
  assert_int_equal(st.refused_keep, 1);
  assert_true(st.bytes > max);
  /* No droppable record left: a frame is refused, counted. */
  assert_int_equal(
      wd_spool_append(sp, WD_SPOOL_DROPPABLE, buf, make_rec(1, buf), NULL),
      WD_ERR_FULL);
  wd_spool_stats(sp, &st);
  assert_int_equal(st.refused_droppable, 1);
  /* Every alert ever appended is still there. */
  n = take_all(sp, idx, rsns, 1000);
  unsigned a2 = 0;
  for (size_t j = 0; j < n; j++) {
    assert_int_equal(idx[j] % 4 == 0 || idx[j] >= 600, true);
    a2++;
  }
  assert_int_equal(a2, alerts + (i - 600));
  /* Acking makes room again: appends succeed under the soft cap. */
  for (size_t j = 0; j < n; j++)
    wd_spool_ack(sp, rsns[j]);
  assert_int_equal(
      wd_spool_append(sp, WD_SPOOL_DROPPABLE, buf, make_rec(2, buf), NULL),
      WD_OK);
  wd_spool_stats(sp, &st);
  assert_true(st.bytes <= max);
  /* Bad arguments. */
  assert_int_equal(wd_spool_append(sp, WD_SPOOL_KEEP, buf, 0, NULL),
                   WD_ERR_INVAL);
  assert_int_equal(
      wd_spool_append(sp, WD_SPOOL_KEEP, buf, WD_SPOOL_RECORD_MAX + 1, NULL),
      WD_ERR_INVAL);
  wd_spool_close(sp);
}

static void lock_and_damaged_ack_file(void **state) {
  (void)state;
  char dir[128], path[256];
  subdir(dir, sizeof dir, "lock");
  wd_spool_t *sp = open_spool(dir, 1 << 20, 0, 0, WD_SPOOL_SYNC_NONE);
  wd_spool_opts_t o = {.dir = dir, .max_bytes = 1 << 20};
  wd_spool_t *two;
  char err[256];
  /* flock is per open file: a second open in this process conflicts too. */
  assert_int_equal(wd_spool_open(&o, &two, err, sizeof err), WD_ERR_STATE);
  assert_non_null(strstr(err, "in use"));
  uint8_t buf[128];
  for (unsigned i = 0; i < 4; i++)
    assert_int_equal(
        wd_spool_append(sp, WD_SPOOL_KEEP, buf, make_rec(i, buf), NULL), WD_OK);
  unsigned idx[8];
  uint64_t rsns[8];
  assert_int_equal(take_all(sp, idx, rsns, 8), 4);
  wd_spool_ack(sp, rsns[0]);
  wd_spool_ack(sp, rsns[1]);
  wd_spool_close(sp);
  snprintf(path, sizeof path, "%s/acked", dir);
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, "X", 1, 10), 1);
  close(fd);
  sp = open_spool(dir, 1 << 20, 0, 0, WD_SPOOL_SYNC_NONE);
  /* The mark cannot be trusted: whatever is on disk is sent again. */
  size_t n = take_all(sp, idx, rsns, 8);
  assert_true(n >= 2);
  assert_int_equal(idx[n - 1], 3);
  wd_spool_close(sp);
  /* Bad options. */
  wd_spool_opts_t bad = {.dir = dir, .max_bytes = 100};
  assert_int_equal(wd_spool_open(&bad, &two, err, sizeof err), WD_ERR_INVAL);
  wd_spool_opts_t bad2 = {.dir = "/proc/no/such/dir", .max_bytes = 1 << 20};
  assert_int_not_equal(wd_spool_open(&bad2, &two, err, sizeof err), WD_OK);
  assert_non_null(strstr(err, "/proc/no/such/dir"));
}

int main(void) {
  wd_log_threshold = -1; /* the torn-tail cases warn by design */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(oldest_first_and_reopen),
      cmocka_unit_test(out_of_order_acks),
      cmocka_unit_test(nack_and_rewind),
      cmocka_unit_test(torn_tail_every_byte),
      cmocka_unit_test(killed_writer),
      cmocka_unit_test(full_spool),
      cmocka_unit_test(lock_and_damaged_ack_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
