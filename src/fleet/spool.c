/* spool.c -- the on-disk spool (see spool.h for the format, the size rules
 * and durability). Records are numbered (rsn) from 1 up, never reused,
 * also across restarts (the next number is above both the ack mark and the
 * last record found). Each segment keeps an array of its records (number,
 * offset, length, class, state), sorted by number, so an ack is two binary
 * searches. A compaction rewrites a segment without its dead records into
 * a temporary file that is fsynced and renamed over the segment: a crash
 * leaves either the old or the new file, both valid. */
#include "fleet/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "fleet/crc32c.h"

#define SEG_MAGIC "WDSPSEG1"
#define SEG_HDR 8u
#define ACK_MAGIC "WDSPACK1"
#define ACK_FILE "acked"
#define NAME_LEN 25 /* "seg-" + 16 hex + ".wsp" + NUL */

enum { ST_PENDING, ST_INFLIGHT, ST_DONE, ST_DROPPED };

typedef struct rec {
  uint64_t rsn;
  uint32_t off; /* of the record header in the segment file */
  uint32_t len; /* payload bytes */
  uint8_t cls;
  uint8_t state;
} rec_t;

typedef struct seg {
  uint64_t name; /* first record number when created: the file name */
  int fd;        /* O_RDWR | O_APPEND */
  uint64_t size; /* file bytes */
  rec_t *r;
  size_t n, cap;
  size_t live; /* records pending or in flight */
  size_t head; /* records before it are dead */
} seg_t;

struct wd_spool {
  char *dir;
  int dirfd, lockfd;
  uint64_t max, hard, segsz, slack;
  wd_spool_sync_mode mode;
  seg_t **segs;
  size_t nsegs, capsegs;
  seg_t *active; /* last segment while it takes appends */
  uint64_t next_rsn;
  uint64_t lwm_saved;   /* ack mark last persisted */
  uint64_t cursor;      /* no pending record below this number */
  uint64_t drop_cursor; /* no live droppable record below this number */
  uint64_t prev_rsn;    /* while loading: last number seen */
  bool dirty_data, dirty_dir;
  uint8_t *scratch; /* WD_SPOOL_RECORD_HDR + WD_SPOOL_RECORD_MAX */
  wd_spool_stats_t st;
};

static void put32le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static uint64_t get64le(const uint8_t *p) {
  return (uint64_t)get32le(p) | (uint64_t)get32le(p + 4) << 32;
}

static void seg_name(uint64_t name, char out[NAME_LEN]) {
  snprintf(out, NAME_LEN, "seg-%016" PRIx64 ".wsp", name);
}

/* CRC over the length, the number, class and padding, and the payload. */
static uint32_t rec_crc(const uint8_t *hdr, const void *payload, size_t len) {
  uint32_t c = wd_crc32c(0, hdr, 4);
  c = wd_crc32c(c, hdr + 8, WD_SPOOL_RECORD_HDR - 8);
  return wd_crc32c(c, payload, len);
}

static int do_sync(wd_spool_t *sp, int fd) {
  if (sp->mode == WD_SPOOL_SYNC_NONE)
    return 0;
  return fdatasync(fd);
}

static bool is_live(const rec_t *r) {
  return r->state == ST_PENDING || r->state == ST_INFLIGHT;
}

static void seg_free(seg_t *s) {
  if (!s)
    return;
  if (s->fd >= 0)
    close(s->fd);
  free(s->r);
  free(s);
}

static wd_rc seg_push(seg_t *s, const rec_t *r) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 64;
    rec_t *nr = realloc(s->r, nc * sizeof *nr);
    if (!nr)
      return WD_ERR_NOMEM;
    s->r = nr;
    s->cap = nc;
  }
  s->r[s->n++] = *r;
  if (is_live(r))
    s->live++;
  return WD_OK;
}

static wd_rc segs_push(wd_spool_t *sp, seg_t *s) {
  if (sp->nsegs == sp->capsegs) {
    size_t nc = sp->capsegs ? sp->capsegs * 2 : 16;
    seg_t **ns = realloc(sp->segs, nc * sizeof *ns);
    if (!ns)
      return WD_ERR_NOMEM;
    sp->segs = ns;
    sp->capsegs = nc;
  }
  sp->segs[sp->nsegs++] = s;
  return WD_OK;
}

/* Unlinks segment i (all its records dead) and forgets it. */
static void seg_remove(wd_spool_t *sp, size_t i) {
  seg_t *s = sp->segs[i];
  char name[NAME_LEN];
  seg_name(s->name, name);
  if (unlinkat(sp->dirfd, name, 0) != 0) {
    sp->st.io_errors++;
    wd_log(WD_LOG_WARN, "spool", "cannot remove %s/%s: %s", sp->dir, name,
           strerror(errno));
  }
  sp->st.bytes -= s->size;
  if (sp->active == s)
    sp->active = NULL;
  seg_free(s);
  memmove(sp->segs + i, sp->segs + i + 1,
          (sp->nsegs - i - 1) * sizeof sp->segs[0]);
  sp->nsegs--;
  sp->dirty_dir = true;
}

/* Record with number rsn: its segment index and record index. */
static rec_t *find(wd_spool_t *sp, uint64_t rsn, size_t *si) {
  size_t lo = 0, hi = sp->nsegs;
  while (lo < hi) { /* first segment whose last record is >= rsn */
    size_t mid = (lo + hi) / 2;
    seg_t *s = sp->segs[mid];
    if (s->n == 0 || s->r[s->n - 1].rsn < rsn)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == sp->nsegs)
    return NULL;
  seg_t *s = sp->segs[lo];
  size_t a = 0, b = s->n;
  while (a < b) {
    size_t mid = (a + b) / 2;
    if (s->r[mid].rsn < rsn)
      a = mid + 1;
    else
      b = mid;
  }
  if (a == s->n || s->r[a].rsn != rsn)
    return NULL;
  *si = lo;
  return &s->r[a];
}

/* Marks a live record dead (done or dropped) and updates the counters. */
static void kill_rec(wd_spool_t *sp, seg_t *s, rec_t *r, int state) {
  if (r->state == ST_INFLIGHT)
    sp->st.inflight--;
  r->state = (uint8_t)state;
  s->live--;
  sp->st.records--;
  sp->st.live_bytes -= WD_SPOOL_RECORD_HDR + (uint64_t)r->len;
}

static uint64_t low_water(wd_spool_t *sp) {
  for (size_t i = 0; i < sp->nsegs; i++) {
    seg_t *s = sp->segs[i];
    while (s->head < s->n && !is_live(&s->r[s->head]))
      s->head++;
    if (s->head < s->n)
      return s->r[s->head].rsn;
  }
  return sp->next_rsn;
}

/* Rewrites segment i with only its live records. */
static wd_rc compact(wd_spool_t *sp, size_t i) {
  seg_t *s = sp->segs[i];
  char name[NAME_LEN], tmp[NAME_LEN + 4];
  seg_name(s->name, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", name);
  int fd =
      openat(sp->dirfd, tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    goto io;
  uint32_t *offs = malloc(s->live * sizeof *offs);
  if (!offs) {
    close(fd);
    unlinkat(sp->dirfd, tmp, 0);
    return WD_ERR_NOMEM;
  }
  uint64_t off = SEG_HDR;
  size_t k = 0;
  bool ok = write(fd, SEG_MAGIC, SEG_HDR) == (ssize_t)SEG_HDR;
  for (size_t j = 0; ok && j < s->n; j++) {
    rec_t *r = &s->r[j];
    if (!is_live(r))
      continue;
    size_t n = WD_SPOOL_RECORD_HDR + r->len;
    ok = pread(s->fd, sp->scratch, n, r->off) == (ssize_t)n &&
         write(fd, sp->scratch, n) == (ssize_t)n;
    offs[k++] = (uint32_t)off;
    off += n;
  }
  if (!ok || do_sync(sp, fd) != 0) {
    free(offs);
    close(fd);
    unlinkat(sp->dirfd, tmp, 0);
    goto io;
  }
  close(fd);
  if (renameat(sp->dirfd, tmp, sp->dirfd, name) != 0) {
    free(offs);
    unlinkat(sp->dirfd, tmp, 0);
    goto io;
  }
  if (sp->mode != WD_SPOOL_SYNC_NONE)
    fsync(sp->dirfd);
  int nfd = openat(sp->dirfd, name, O_RDWR | O_APPEND | O_CLOEXEC);
  if (nfd < 0) {
    free(offs);
    goto io; /* the old descriptor still reads the old (unlinked) file */
  }
  close(s->fd);
  s->fd = nfd;
  k = 0;
  for (size_t j = 0; j < s->n; j++) {
    if (!is_live(&s->r[j]))
      continue;
    s->r[k] = s->r[j];
    s->r[k].off = offs[k];
    k++;
  }
  free(offs);
  s->n = k;
  s->head = 0;
  sp->st.bytes -= s->size - off;
  s->size = off;
  sp->st.compactions++;
  return WD_OK;
io:
  sp->st.io_errors++;
  wd_log(WD_LOG_WARN, "spool", "cannot compact %s/%s: %s", sp->dir, name,
         strerror(errno));
  return WD_ERR_IO;
}

/* Frees the space of dead records: empty segments removed, others
 * rewritten. */
static void reclaim(wd_spool_t *sp) {
  for (size_t i = 0; i < sp->nsegs;) {
    seg_t *s = sp->segs[i];
    if (s->live == 0 && s->n > 0) {
      seg_remove(sp, i);
      continue;
    }
    if (s->live < s->n)
      compact(sp, i);
    i++;
  }
}

static wd_rc make_room(wd_spool_t *sp, wd_spool_class cls, uint64_t want) {
  reclaim(sp);
  if (sp->st.bytes + want <= sp->max)
    return WD_OK;
  uint64_t target = sp->st.bytes + want - sp->max + sp->slack, freed = 0;
  bool any = false;
  size_t si;
  for (si = 0; si < sp->nsegs && freed < target; si++) {
    seg_t *s = sp->segs[si];
    for (size_t j = s->head; j < s->n && freed < target; j++) {
      rec_t *r = &s->r[j];
      if (r->rsn < sp->drop_cursor || !is_live(r) ||
          r->cls != WD_SPOOL_DROPPABLE)
        continue;
      freed += WD_SPOOL_RECORD_HDR + (uint64_t)r->len;
      sp->st.dropped++;
      sp->st.dropped_bytes += WD_SPOOL_RECORD_HDR + (uint64_t)r->len;
      kill_rec(sp, s, r, ST_DROPPED);
      sp->drop_cursor = r->rsn + 1;
      any = true;
    }
  }
  if (freed < target)
    sp->drop_cursor = sp->next_rsn; /* none left below the next record */
  if (any)
    reclaim(sp);
  if (sp->st.bytes + want <= sp->max)
    return WD_OK;
  if (cls == WD_SPOOL_DROPPABLE) {
    sp->st.refused_droppable++;
    return WD_ERR_FULL;
  }
  if (sp->st.bytes + want <= sp->hard) {
    sp->st.over_soft++;
    return WD_OK;
  }
  sp->st.refused_keep++;
  return WD_ERR_FULL;
}

/* Starts a new active segment named after the next record. */
static wd_rc roll(wd_spool_t *sp) {
  if (sp->active) {
    seg_t *old = sp->active;
    if (sp->dirty_data && sp->mode == WD_SPOOL_SYNC_BATCH &&
        fdatasync(old->fd) != 0)
      sp->st.io_errors++;
    sp->dirty_data = false;
    sp->active = NULL;
    if (old->live == 0)
      seg_remove(sp, sp->nsegs - 1);
  }
  char name[NAME_LEN];
  seg_name(sp->next_rsn, name);
  seg_t *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->name = sp->next_rsn;
  s->fd = openat(sp->dirfd, name,
                 O_CREAT | O_EXCL | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
  if (s->fd < 0 || write(s->fd, SEG_MAGIC, SEG_HDR) != (ssize_t)SEG_HDR) {
    wd_log(WD_LOG_WARN, "spool", "cannot create %s/%s: %s", sp->dir, name,
           strerror(errno));
    if (s->fd >= 0)
      unlinkat(sp->dirfd, name, 0);
    seg_free(s);
    sp->st.io_errors++;
    return WD_ERR_IO;
  }
  s->size = SEG_HDR;
  if (segs_push(sp, s) != WD_OK) {
    unlinkat(sp->dirfd, name, 0);
    seg_free(s);
    return WD_ERR_NOMEM;
  }
  sp->st.bytes += SEG_HDR;
  sp->active = s;
  sp->dirty_dir = true;
  return WD_OK;
}

wd_rc wd_spool_append(wd_spool_t *sp, wd_spool_class cls, const void *rec,
                      size_t len, uint64_t *rsn) {
  if (len == 0 || len > WD_SPOOL_RECORD_MAX ||
      (cls != WD_SPOOL_KEEP && cls != WD_SPOOL_DROPPABLE))
    return WD_ERR_INVAL;
  uint64_t size = WD_SPOOL_RECORD_HDR + (uint64_t)len;
  bool need_roll =
      !sp->active || (sp->active->n > 0 && sp->active->size + size > sp->segsz);
  uint64_t want = size + (need_roll ? SEG_HDR : 0);
  if (want > sp->hard)
    return WD_ERR_INVAL;
  if (sp->st.bytes + want > sp->max) {
    wd_rc rc = make_room(sp, cls, want);
    if (rc != WD_OK)
      return rc;
    need_roll = !sp->active ||
                (sp->active->n > 0 && sp->active->size + size > sp->segsz);
  }
  if (need_roll) {
    wd_rc rc = roll(sp);
    if (rc != WD_OK)
      return rc;
  }
  seg_t *s = sp->active;
  uint8_t hdr[WD_SPOOL_RECORD_HDR];
  memset(hdr, 0, sizeof hdr);
  put32le(hdr, (uint32_t)len);
  put64le(hdr + 8, sp->next_rsn);
  hdr[16] = (uint8_t)cls;
  put32le(hdr + 4, rec_crc(hdr, rec, len));
  size_t done = 0, total = sizeof hdr + len;
  while (done < total) {
    ssize_t n;
    if (done < sizeof hdr) {
      struct iovec v[2] = {{hdr + done, sizeof hdr - done}, {(void *)rec, len}};
      n = writev(s->fd, v, 2);
    } else {
      n = write(s->fd, (const uint8_t *)rec + (done - sizeof hdr),
                total - done);
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      if (ftruncate(s->fd, (off_t)s->size) != 0)
        sp->st.io_errors++;
      sp->st.io_errors++;
      wd_log(WD_LOG_WARN, "spool", "cannot append to %s: %s", sp->dir,
             strerror(e));
      return WD_ERR_IO;
    }
    done += (size_t)n;
  }
  rec_t r = {.rsn = sp->next_rsn,
             .off = (uint32_t)s->size,
             .len = (uint32_t)len,
             .cls = (uint8_t)cls,
             .state = ST_PENDING};
  if (seg_push(s, &r) != WD_OK) {
    if (ftruncate(s->fd, (off_t)s->size) != 0)
      sp->st.io_errors++;
    return WD_ERR_NOMEM;
  }
  s->size += size;
  sp->st.bytes += size;
  sp->st.records++;
  sp->st.live_bytes += size;
  sp->st.appended++;
  if (rsn)
    *rsn = sp->next_rsn;
  sp->next_rsn++;
  if (sp->mode == WD_SPOOL_SYNC_ALWAYS) {
    if (fdatasync(s->fd) != 0)
      sp->st.io_errors++;
  } else {
    sp->dirty_data = true;
  }
  return WD_OK;
}

wd_rc wd_spool_sync(wd_spool_t *sp) {
  wd_rc rc = WD_OK;
  if (sp->dirty_data && sp->active && sp->mode == WD_SPOOL_SYNC_BATCH &&
      fdatasync(sp->active->fd) != 0) {
    sp->st.io_errors++;
    rc = WD_ERR_IO;
  }
  sp->dirty_data = false;
  if (sp->dirty_dir && sp->mode != WD_SPOOL_SYNC_NONE)
    fsync(sp->dirfd);
  sp->dirty_dir = false;
  return rc;
}

wd_rc wd_spool_sync_acks(wd_spool_t *sp) {
  uint64_t lwm = low_water(sp);
  if (lwm == sp->lwm_saved)
    return WD_OK;
  uint8_t b[20];
  memcpy(b, ACK_MAGIC, 8);
  put64le(b + 8, lwm);
  put32le(b + 16, wd_crc32c(0, b, 16));
  int fd = openat(sp->dirfd, ACK_FILE ".tmp",
                  O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, b, sizeof b) != (ssize_t)sizeof b ||
      do_sync(sp, fd) != 0) {
    if (fd >= 0)
      close(fd);
    sp->st.io_errors++;
    return WD_ERR_IO;
  }
  close(fd);
  if (renameat(sp->dirfd, ACK_FILE ".tmp", sp->dirfd, ACK_FILE) != 0) {
    sp->st.io_errors++;
    return WD_ERR_IO;
  }
  if (sp->mode != WD_SPOOL_SYNC_NONE)
    fsync(sp->dirfd);
  sp->lwm_saved = lwm;
  return WD_OK;
}

wd_rc wd_spool_next(wd_spool_t *sp, uint64_t *rsn, wd_spool_class *cls,
                    void *buf, size_t cap, size_t *len) {
  size_t si = 0, j = 0;
  /* Position at the first record numbered >= cursor. */
  {
    size_t lo = 0, hi = sp->nsegs;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      seg_t *s = sp->segs[mid];
      if (s->n == 0 || s->r[s->n - 1].rsn < sp->cursor)
        lo = mid + 1;
      else
        hi = mid;
    }
    si = lo;
    if (si < sp->nsegs) {
      seg_t *s = sp->segs[si];
      size_t a = s->head, b = s->n;
      while (a < b) {
        size_t mid = (a + b) / 2;
        if (s->r[mid].rsn < sp->cursor)
          a = mid + 1;
        else
          b = mid;
      }
      j = a;
    }
  }
  for (; si < sp->nsegs; si++, j = 0) {
    seg_t *s = sp->segs[si];
    if (j < s->head)
      j = s->head;
    for (; j < s->n; j++) {
      rec_t *r = &s->r[j];
      if (r->state != ST_PENDING)
        continue;
      size_t n = WD_SPOOL_RECORD_HDR + r->len;
      uint8_t *h = sp->scratch;
      if (pread(s->fd, h, n, r->off) != (ssize_t)n || get32le(h) != r->len ||
          get64le(h + 8) != r->rsn ||
          get32le(h + 4) != rec_crc(h, h + WD_SPOOL_RECORD_HDR, r->len)) {
        sp->st.corrupt++;
        wd_log(WD_LOG_WARN, "spool",
               "record %" PRIu64 " in %s is unreadable or corrupt: dropped",
               r->rsn, sp->dir);
        kill_rec(sp, s, r, ST_DROPPED);
        continue;
      }
      if (cap < r->len)
        return WD_ERR_FULL;
      memcpy(buf, h + WD_SPOOL_RECORD_HDR, r->len);
      r->state = ST_INFLIGHT;
      sp->st.inflight++;
      *rsn = r->rsn;
      *cls = (wd_spool_class)r->cls;
      *len = r->len;
      sp->cursor = r->rsn + 1;
      return WD_OK;
    }
  }
  sp->cursor = sp->next_rsn;
  return WD_END;
}

void wd_spool_ack(wd_spool_t *sp, uint64_t rsn) {
  size_t si;
  rec_t *r = find(sp, rsn, &si);
  if (!r || !is_live(r))
    return;
  seg_t *s = sp->segs[si];
  kill_rec(sp, s, r, ST_DONE);
  sp->st.acked++;
  if (s->live == 0 && s != sp->active)
    seg_remove(sp, si);
}

void wd_spool_nack(wd_spool_t *sp, uint64_t rsn) {
  size_t si;
  rec_t *r = find(sp, rsn, &si);
  if (!r || r->state != ST_INFLIGHT)
    return;
  r->state = ST_PENDING;
  sp->st.inflight--;
  if (rsn < sp->cursor)
    sp->cursor = rsn;
}

void wd_spool_rewind(wd_spool_t *sp) {
  for (size_t i = 0; i < sp->nsegs; i++) {
    seg_t *s = sp->segs[i];
    for (size_t j = s->head; j < s->n; j++)
      if (s->r[j].state == ST_INFLIGHT) {
        s->r[j].state = ST_PENDING;
        if (s->r[j].rsn < sp->cursor)
          sp->cursor = s->r[j].rsn;
      }
  }
  sp->st.inflight = 0;
}

void wd_spool_stats(const wd_spool_t *sp, wd_spool_stats_t *out) {
  *out = sp->st;
  out->segments = sp->nsegs;
}

/* --- open and recovery ------------------------------------------------- */

static void cut(wd_spool_t *sp, seg_t *s, const char *name, uint64_t at,
                uint64_t size, const char *why) {
  wd_log(WD_LOG_WARN, "spool",
         "%s/%s: %s at byte %" PRIu64 ": %" PRIu64
         " bytes from there dropped, %zu records before it kept",
         sp->dir, name, why, at, size - at, s->n);
  sp->st.torn++;
  sp->st.torn_bytes += size - at;
  if (ftruncate(s->fd, (off_t)at) != 0 || do_sync(sp, s->fd) != 0)
    sp->st.io_errors++;
}

static wd_rc load_seg(wd_spool_t *sp, uint64_t nm, uint64_t lwm) {
  char name[NAME_LEN];
  seg_name(nm, name);
  seg_t *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->name = nm;
  s->fd = openat(sp->dirfd, name, O_RDWR | O_APPEND | O_CLOEXEC);
  struct stat st;
  if (s->fd < 0 || fstat(s->fd, &st) != 0) {
    wd_log(WD_LOG_WARN, "spool", "cannot open %s/%s: %s", sp->dir, name,
           strerror(errno));
    sp->st.io_errors++;
    seg_free(s);
    return WD_OK; /* the rest of the spool is still good */
  }
  uint64_t size = (uint64_t)st.st_size;
  uint8_t *h = sp->scratch;
  if (size < SEG_HDR || pread(s->fd, h, SEG_HDR, 0) != (ssize_t)SEG_HDR ||
      memcmp(h, SEG_MAGIC, SEG_HDR) != 0) {
    /* Created but its header never written (a crash), or not ours. */
    wd_log(WD_LOG_WARN, "spool", "%s/%s: no segment header: removed", sp->dir,
           name);
    sp->st.torn++;
    sp->st.torn_bytes += size;
    unlinkat(sp->dirfd, name, 0);
    seg_free(s);
    return WD_OK;
  }
  uint64_t off = SEG_HDR;
  while (off < size) {
    if (size - off < WD_SPOOL_RECORD_HDR) {
      cut(sp, s, name, off, size, "torn record header");
      break;
    }
    if (pread(s->fd, h, WD_SPOOL_RECORD_HDR, (off_t)off) !=
        (ssize_t)WD_SPOOL_RECORD_HDR) {
      cut(sp, s, name, off, size, "unreadable record header");
      break;
    }
    uint32_t len = get32le(h);
    uint64_t rsn = get64le(h + 8);
    if (len == 0 || len > WD_SPOOL_RECORD_MAX || h[16] > WD_SPOOL_DROPPABLE ||
        h[17] || h[18] || h[19]) {
      cut(sp, s, name, off, size, "invalid record header");
      break;
    }
    if (size - off - WD_SPOOL_RECORD_HDR < len) {
      cut(sp, s, name, off, size, "torn record");
      break;
    }
    if (pread(s->fd, h + WD_SPOOL_RECORD_HDR, len,
              (off_t)(off + WD_SPOOL_RECORD_HDR)) != (ssize_t)len ||
        get32le(h + 4) != rec_crc(h, h + WD_SPOOL_RECORD_HDR, len)) {
      cut(sp, s, name, off, size, "record failing its CRC");
      break;
    }
    if (rsn <= sp->prev_rsn) {
      cut(sp, s, name, off, size, "record number out of order");
      break;
    }
    rec_t r = {.rsn = rsn,
               .off = (uint32_t)off,
               .len = len,
               .cls = h[16],
               .state = rsn < lwm ? ST_DONE : ST_PENDING};
    if (seg_push(s, &r) != WD_OK) {
      seg_free(s);
      return WD_ERR_NOMEM;
    }
    sp->prev_rsn = rsn;
    if (is_live(&r)) {
      sp->st.records++;
      sp->st.live_bytes += WD_SPOOL_RECORD_HDR + (uint64_t)len;
    }
    off += WD_SPOOL_RECORD_HDR + len;
  }
  s->size = off < size ? off : size;
  if (segs_push(sp, s) != WD_OK) {
    seg_free(s);
    return WD_ERR_NOMEM;
  }
  sp->st.bytes += s->size;
  return WD_OK;
}

static uint64_t read_lwm(wd_spool_t *sp) {
  uint8_t b[20];
  int fd = openat(sp->dirfd, ACK_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, b, sizeof b);
  close(fd);
  if (n != (ssize_t)sizeof b || memcmp(b, ACK_MAGIC, 8) != 0 ||
      get32le(b + 16) != wd_crc32c(0, b, 16)) {
    wd_log(WD_LOG_WARN, "spool",
           "%s/%s is damaged: every record found is sent again", sp->dir,
           ACK_FILE);
    return 0;
  }
  return get64le(b + 8);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Segment names found in the directory, sorted; *.tmp files removed. */
static wd_rc list_segs(wd_spool_t *sp, uint64_t **names, size_t *n) {
  *names = NULL;
  *n = 0;
  int fd = dup(sp->dirfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return WD_ERR_IO;
  }
  size_t cap = 0;
  struct dirent *e;
  wd_rc rc = WD_OK;
  while ((e = readdir(d)) != NULL) {
    const char *nm = e->d_name;
    size_t l = strlen(nm);
    if (l > 4 && strcmp(nm + l - 4, ".tmp") == 0) {
      unlinkat(sp->dirfd, nm, 0);
      continue;
    }
    if (l != NAME_LEN - 1 || strncmp(nm, "seg-", 4) != 0 ||
        strcmp(nm + 20, ".wsp") != 0)
      continue;
    uint64_t v = 0;
    bool ok = true;
    for (int i = 4; i < 20; i++) {
      char c = nm[i];
      int x = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                     : -1;
      if (x < 0) {
        ok = false;
        break;
      }
      v = v << 4 | (uint64_t)x;
    }
    if (!ok)
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      uint64_t *nn = realloc(*names, cap * sizeof *nn);
      if (!nn) {
        rc = WD_ERR_NOMEM;
        break;
      }
      *names = nn;
    }
    (*names)[(*n)++] = v;
  }
  closedir(d);
  if (*n)
    qsort(*names, *n, sizeof **names, cmp_u64);
  return rc;
}

wd_rc wd_spool_open(const wd_spool_opts_t *o, wd_spool_t **out, char *err,
                    size_t errlen) {
  *out = NULL;
  if (!o->dir || !o->dir[0] || o->max_bytes < WD_SPOOL_MIN_BYTES ||
      (o->hard_max_bytes && o->hard_max_bytes < o->max_bytes)) {
    snprintf(err, errlen,
             "spool: need a directory, max_bytes >= %u and hard_max_bytes "
             ">= max_bytes",
             WD_SPOOL_MIN_BYTES);
    return WD_ERR_INVAL;
  }
  wd_spool_t *sp = calloc(1, sizeof *sp);
  if (!sp)
    return WD_ERR_NOMEM;
  sp->dirfd = sp->lockfd = -1;
  sp->max = o->max_bytes;
  sp->hard = o->hard_max_bytes ? o->hard_max_bytes : 2 * o->max_bytes;
  sp->segsz = o->segment_bytes;
  if (!sp->segsz) {
    sp->segsz = o->max_bytes / 8;
    if (sp->segsz < 4096)
      sp->segsz = 4096;
    if (sp->segsz > (64u << 20))
      sp->segsz = 64u << 20;
  }
  if (sp->segsz > (256u << 20))
    sp->segsz = 256u << 20; /* offsets are 32-bit */
  sp->slack = sp->segsz < sp->max / 8 ? sp->segsz : sp->max / 8;
  sp->mode = o->sync;
  sp->dir = strdup(o->dir);
  sp->scratch = malloc(WD_SPOOL_RECORD_HDR + WD_SPOOL_RECORD_MAX);
  wd_rc rc = WD_ERR_NOMEM;
  uint64_t *names = NULL;
  size_t nn = 0;
  if (!sp->dir || !sp->scratch)
    goto fail;
  if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "spool: cannot create %s: %s", o->dir,
             strerror(errno));
    rc = WD_ERR_IO;
    goto fail;
  }
  sp->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sp->dirfd < 0) {
    snprintf(err, errlen, "spool: cannot open %s: %s", o->dir, strerror(errno));
    rc = WD_ERR_IO;
    goto fail;
  }
  sp->lockfd = openat(sp->dirfd, "lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (sp->lockfd < 0 || flock(sp->lockfd, LOCK_EX | LOCK_NB) != 0) {
    bool busy = sp->lockfd >= 0 && errno == EWOULDBLOCK;
    snprintf(err, errlen, "spool: %s: %s", o->dir,
             busy ? "in use by another process" : strerror(errno));
    rc = busy ? WD_ERR_STATE : WD_ERR_IO;
    goto fail;
  }
  uint64_t lwm = read_lwm(sp);
  sp->lwm_saved = lwm;
  rc = list_segs(sp, &names, &nn);
  if (rc != WD_OK) {
    snprintf(err, errlen, "spool: cannot list %s", o->dir);
    goto fail;
  }
  for (size_t i = 0; i < nn; i++)
    if ((rc = load_seg(sp, names[i], lwm)) != WD_OK)
      goto fail;
  free(names);
  names = NULL;
  sp->next_rsn = sp->prev_rsn + 1;
  if (sp->next_rsn < lwm)
    sp->next_rsn = lwm;
  if (sp->next_rsn == 0)
    sp->next_rsn = 1;
  for (size_t i = 0; i < sp->nsegs;) {
    seg_t *s = sp->segs[i];
    s->live = 0;
    for (size_t j = 0; j < s->n; j++)
      if (is_live(&s->r[j]))
        s->live++;
    if (s->live == 0) {
      seg_remove(sp, i);
      continue;
    }
    i++;
  }
  if (sp->nsegs && sp->segs[sp->nsegs - 1]->size < sp->segsz)
    sp->active = sp->segs[sp->nsegs - 1];
  sp->st.recovered = sp->st.records;
  sp->cursor = 0;
  sp->drop_cursor = 0;
  if (sp->st.recovered)
    wd_log(WD_LOG_INFO, "spool",
           "%s: %" PRIu64 " records not yet delivered, sent again", sp->dir,
           sp->st.recovered);
  *out = sp;
  return WD_OK;
fail:
  free(names);
  wd_spool_close(sp);
  return rc;
}

void wd_spool_close(wd_spool_t *sp) {
  if (!sp)
    return;
  if (sp->dirfd >= 0 && sp->lockfd >= 0) {
    wd_spool_sync(sp);
    wd_spool_sync_acks(sp);
    for (size_t i = 0; i < sp->nsegs;) {
      if (sp->segs[i]->live == 0) {
        seg_remove(sp, i);
        continue;
      }
      i++;
    }
    if (sp->dirty_dir && sp->mode != WD_SPOOL_SYNC_NONE)
      fsync(sp->dirfd);
  }
  for (size_t i = 0; i < sp->nsegs; i++)
    seg_free(sp->segs[i]);
  free(sp->segs);
  if (sp->lockfd >= 0)
    close(sp->lockfd); /* releases the flock */
  if (sp->dirfd >= 0)
    close(sp->dirfd);
  free(sp->scratch);
  free(sp->dir);
  free(sp);
}
