/* capture.c -- capture sources merged in timestamp order (see capture.h).
 * Files are read by capture_file.c, a live interface by libpcap. Each
 * source keeps one pending frame (its bytes stay valid until the next read
 * on that same source), so merging copies nothing: the earliest pending
 * frame is returned and its source advanced on the next call. All
 * timestamps are nanoseconds. */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_int.h"

typedef struct source {
  pcap_t *pcap; /* live */
  int live_fd;  /* live: its selectable descriptor, -1 if none */
  int wait_ms;  /* live: longest wait for a frame (capture.timeout_ms) */
  wd_capfile_t file;
  FILE *fp; /* file: opened here (closed here unless borrowed) */
  bool own_fp;
  bool is_file;
  const wd_capture_opts_t *opts;
  wd_capture_file_info_t info;
  bool pending; /* frame holds the next frame of this source */
  bool done;
  bool unprimed; /* a pipe's first frame is read by the first
                    wd_capture_next, not at open (it may be long coming) */
  wd_frame_t frame;
} source;

struct wd_capture {
  source *src;
  size_t n;
  bool live;
  size_t last; /* source whose frame was returned last (advance it next) */
  bool have_last;
  wd_capture_opts_t opts;
  volatile sig_atomic_t stop;
  int wake[2];     /* a pipe wd_capture_stop writes to, made when a file source
                      is not a regular file (its reads wait in poll on it) */
  size_t unprimed; /* sources whose first frame is still to be read */
};

static bool accept_iface(void *user, uint32_t iface, int linktype) {
  source *s = user;
  s->info.interfaces = iface + 1;
  bool ok =
      !s->opts->accept_linktype ||
      s->opts->accept_linktype(s->opts->user, s->info.path, iface, linktype);
  if (!ok && s->info.refused_linktype < 0)
    s->info.refused_linktype = linktype;
  return ok;
}

/* Reads the next frame of a file source into its pending slot; with
 * buffered_only, only when it is whole in the buffer (false when not: the
 * source is as before, nothing read). */
static bool advance_file(source *s, bool buffered_only) {
  wd_capfile_frame_t fr;
  s->file.buffered_only = buffered_only;
  wd_rc rc =
      wd_capfile_next(&s->file, &fr, s->info.error, sizeof s->info.error);
  s->file.buffered_only = false;
  if (rc == WD_AGAIN)
    return false;
  s->info.offset = s->file.consumed;
  s->info.skipped = s->file.skipped;
  if (rc == WD_OK) {
    s->pending = true;
    s->frame.data = fr.data;
    s->frame.caplen = fr.caplen;
    s->frame.wirelen = fr.wirelen;
    s->frame.ts_ns = fr.ts_ns;
    s->frame.linktype = fr.linktype;
    return true;
  }
  if (rc != WD_END)
    s->info.error_frame = s->info.frames + 1;
  s->done = true;
  return true;
}

/* Reads the next frame of s into its pending slot. */
static void advance(source *s, bool live) {
  s->pending = false;
  if (s->done)
    return;
  if (s->is_file) {
    advance_file(s, false);
    return;
  }
  if (!s->pcap)
    return;
  struct pcap_pkthdr *hdr;
  const u_char *data;
  int r = pcap_next_ex(s->pcap, &hdr, &data);
  if (r == 0 && live && s->live_fd >= 0) {
    /* Non-blocking: nothing now. Wait at most capture.timeout_ms for the
     * descriptor, so that a quiet link still returns WD_AGAIN (libpcap's
     * own timeout does not return while nothing arrives at all). */
    struct pollfd pfd = {.fd = s->live_fd, .events = POLLIN};
    if (poll(&pfd, 1, s->wait_ms) > 0)
      r = pcap_next_ex(s->pcap, &hdr, &data);
  }
  if (r == 1) {
    s->pending = true;
    s->frame.data = data;
    s->frame.caplen = hdr->caplen;
    s->frame.wirelen = hdr->len;
    s->frame.ts_ns = s->info.nanosecond
                         ? (uint64_t)hdr->ts.tv_sec * 1000000000ull +
                               (uint64_t)hdr->ts.tv_usec /* tv_usec holds ns */
                         : (uint64_t)hdr->ts.tv_sec * 1000000000ull +
                               (uint64_t)hdr->ts.tv_usec * 1000ull;
    s->frame.linktype = s->info.linktype;
    return;
  }
  if (r == 0 && live)
    return; /* timeout */
  if (r == PCAP_ERROR_BREAK)
    return; /* wd_capture_stop: the caller sees its stop flag */
  if (r == PCAP_ERROR) {
    snprintf(s->info.error, sizeof s->info.error, "%s", pcap_geterr(s->pcap));
    s->info.error_frame = s->info.frames + 1;
  }
  s->done = true;
}

/* The read end of c's wake pipe, made on first use (-1: none). */
static int wake_fd(wd_capture_t *c) {
  if (c->wake[0] >= 0 || pipe(c->wake) != 0)
    return c->wake[0];
  for (int i = 0; i < 2; i++) {
    fcntl(c->wake[i], F_SETFD, FD_CLOEXEC);
    fcntl(c->wake[i], F_SETFL, O_NONBLOCK);
  }
  return c->wake[0];
}

/* Opens source s of c on fp (NULL: failed to open, errno says why). */
static bool open_source(wd_capture_t *c, source *s, FILE *fp, bool own) {
  s->is_file = true;
  s->info.refused_linktype = -1;
  if (!fp) {
    snprintf(s->info.error, sizeof s->info.error, "%s", strerror(errno));
    s->done = true;
    return false;
  }
  s->fp = fp;
  s->own_fp = own;
  struct stat st;
  int fd = fileno(fp);
  bool regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (regular)
    s->info.size = (uint64_t)st.st_size;
  wd_rc rc = wd_capfile_open(&s->file, fp, accept_iface, s, s->info.error,
                             sizeof s->info.error);
  s->info.offset = s->file.consumed;
  if (rc != WD_OK) {
    s->done = true;
    return false;
  }
  s->info.opened = true;
  s->info.nanosecond = true;
  if (fd >= 0 && !regular) { /* a pipe, a terminal, a socket */
    wd_capfile_wake(&s->file, wake_fd(c));
    s->unprimed = true;
    c->unprimed++;
    return true;
  }
  advance(s, false);
  s->info.linktype = s->file.first_linktype;
  return true;
}

static wd_capture_t *capture_new(size_t n, const wd_capture_opts_t *opts) {
  wd_capture_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->src = calloc(n ? n : 1, sizeof *c->src);
  if (!c->src) {
    free(c);
    return NULL;
  }
  c->n = n;
  c->wake[0] = c->wake[1] = -1;
  if (opts)
    c->opts = *opts;
  for (size_t i = 0; i < n; i++)
    c->src[i].opts = &c->opts;
  return c;
}

wd_rc wd_capture_open_files(const char *const *paths, size_t n,
                            const wd_capture_opts_t *opts, wd_capture_t **out) {
  *out = NULL;
  wd_capture_t *c = capture_new(n, opts);
  if (!c)
    return WD_ERR_NOMEM;
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) {
    source *s = &c->src[i];
    s->info.path = paths[i];
    bool in = strcmp(paths[i], "-") == 0;
    FILE *fp = in ? stdin : fopen(paths[i], "rb");
    if (open_source(c, s, fp, !in))
      ok++;
  }
  *out = c;
  return ok ? WD_OK : WD_ERR_IO;
}

wd_rc wd_capture_open_stream(FILE *fp, const char *name,
                             const wd_capture_opts_t *opts,
                             wd_capture_t **out) {
  *out = NULL;
  wd_capture_t *c = capture_new(1, opts);
  if (!c)
    return WD_ERR_NOMEM;
  c->src[0].info.path = name;
  bool ok = open_source(c, &c->src[0], fp, false);
  *out = c;
  return ok ? WD_OK : WD_ERR_IO;
}

bool wd_capture_file_unread(const wd_capture_file_info_t *fi) {
  if (!fi->opened)
    return true;
  return fi->frames == 0 && (fi->error[0] || fi->skipped > 0);
}

bool wd_capture_progress(const wd_capture_t *c, uint64_t *done,
                         uint64_t *total) {
  *done = *total = 0;
  if (c->live)
    return false;
  for (size_t i = 0; i < c->n; i++) {
    const source *s = &c->src[i];
    if (!s->info.opened)
      continue;
    if (!s->info.size)
      return false;
    *done += s->done ? s->info.size : s->info.offset;
    *total += s->info.size;
  }
  return *total > 0;
}

wd_rc wd_capture_open_live(const char *iface, const char *bpf,
                           const wd_config_t *cfg, wd_capture_t **out,
                           char *err, size_t errlen) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  *out = NULL;
  wd_capture_t *c = calloc(1, sizeof *c);
  if (!c || !(c->src = calloc(1, sizeof *c->src))) {
    free(c);
    return WD_ERR_NOMEM;
  }
  c->n = 1;
  c->live = true;
  c->wake[0] = c->wake[1] = -1;
  source *s = &c->src[0];
  s->info.path = iface;
  s->info.refused_linktype = -1;
  s->opts = &c->opts;
  wd_rc rc = WD_ERR_IO;
  pcap_t *p = pcap_create(iface, errbuf);
  if (!p) {
    snprintf(err, errlen, "%s", errbuf);
    goto fail;
  }
  s->pcap = p;
  pcap_set_snaplen(p, (int)cfg->capture.snaplen);
  pcap_set_promisc(p, 1);
  pcap_set_timeout(p, (int)cfg->capture.timeout_ms);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, (int)(cfg->capture.buffer_bytes > 0x7fffffff
                                    ? 0x7fffffff
                                    : cfg->capture.buffer_bytes));
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int r = pcap_activate(p);
  if (r < 0) {
    snprintf(err, errlen, "%s: %s", iface,
             r == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(r));
    rc = r == PCAP_ERROR_PERM_DENIED      ? WD_ERR_PERM
         : r == PCAP_ERROR_NO_SUCH_DEVICE ? WD_ERR_NOTFOUND
                                          : WD_ERR_IO;
    goto fail;
  }
  if (bpf && *bpf) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      snprintf(err, errlen, "filter '%s': %s", bpf, pcap_geterr(p));
      rc = WD_ERR_INVAL;
      goto fail;
    }
    if (pcap_setfilter(p, &prog) != 0) {
      snprintf(err, errlen, "filter '%s': %s", bpf, pcap_geterr(p));
      pcap_freecode(&prog);
      goto fail;
    }
    pcap_freecode(&prog);
  }
  /* Non-blocking reads and our own wait (advance): a quiet link is seen */
  s->live_fd = -1;
  s->wait_ms = (int)cfg->capture.timeout_ms;
  if (pcap_setnonblock(p, 1, errbuf) == 0)
    s->live_fd = pcap_get_selectable_fd(p);
  if (s->live_fd < 0)
    pcap_setnonblock(p, 0, errbuf);
  s->info.opened = true;
  s->info.linktype = pcap_datalink(p);
  s->info.nanosecond =
      pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  *out = c;
  return WD_OK;
fail:
  if (s->pcap)
    pcap_close(s->pcap);
  free(c->src);
  free(c);
  return rc;
}

/* The source whose pending frame comes next (c->n: none). */
static size_t earliest(const wd_capture_t *c) {
  size_t best = c->n;
  uint64_t best_ts = 0;
  for (size_t i = 0; i < c->n; i++) {
    const source *s = &c->src[i];
    if (!s->pending)
      continue;
    uint64_t ts = s->frame.ts_ns;
    if (best == c->n || ts < best_ts) {
      best = i;
      best_ts = ts;
    }
  }
  return best;
}

/* Reads the first frame of each source that has none yet. */
static void prime(wd_capture_t *c) {
  for (size_t i = 0; i < c->n; i++) {
    source *s = &c->src[i];
    if (!s->unprimed)
      continue;
    advance(s, false);
    s->info.linktype = s->file.first_linktype;
    s->unprimed = false;
  }
  c->unprimed = 0;
}

bool wd_capture_peek(wd_capture_t *c, wd_frame_t *f) {
  if (c->live || c->stop || c->unprimed)
    return false;
  if (c->have_last) {
    source *s = &c->src[c->last];
    s->pending = false;
    if (!s->done && !advance_file(s, true)) {
      s->pending = true; /* it would read: the frame returned last stays */
      return false;
    }
    c->have_last = false;
  }
  size_t best = earliest(c);
  if (best == c->n)
    return false;
  *f = c->src[best].frame;
  f->source = (uint32_t)best;
  f->num = c->src[best].info.frames + 1;
  return true;
}

wd_rc wd_capture_next(wd_capture_t *c, wd_frame_t *f) {
  if (c->stop)
    return WD_END;
  if (c->have_last) {
    advance(&c->src[c->last], c->live);
    c->have_last = false;
  }
  if (c->unprimed)
    prime(c);
  if (c->live) {
    source *s = &c->src[0];
    if (!s->pending) {
      advance(s, true);
      if (!s->pending)
        return s->done ? WD_END : WD_AGAIN;
    }
  }
  size_t best = earliest(c);
  if (best == c->n)
    return WD_END;
  source *s = &c->src[best];
  s->info.frames++;
  s->info.bytes += s->frame.caplen;
  *f = s->frame;
  f->source = (uint32_t)best;
  f->num = s->info.frames;
  c->last = best;
  c->have_last = true;
  return WD_OK;
}

void wd_capture_stop(wd_capture_t *c) {
  c->stop = 1;
  /* Wakes a live read blocked in poll, or a file read waiting on a pipe;
   * both safe from a signal handler. */
  if (c->live && c->src[0].pcap)
    pcap_breakloop(c->src[0].pcap);
  if (c->wake[1] >= 0) {
    ssize_t w = write(c->wake[1], "", 1); /* full: already woken */
    (void)w;
  }
}

size_t wd_capture_nfiles(const wd_capture_t *c) { return c->n; }

const wd_capture_file_info_t *wd_capture_file(const wd_capture_t *c, size_t i) {
  return i < c->n ? &c->src[i].info : NULL;
}

bool wd_capture_is_live(const wd_capture_t *c) { return c->live; }

wd_rc wd_capture_live_stats(wd_capture_t *c, wd_capture_live_stats_t *out) {
  struct pcap_stat ps;
  memset(out, 0, sizeof *out);
  if (!c->live || !c->src[0].pcap || pcap_stats(c->src[0].pcap, &ps) != 0)
    return WD_ERR_UNSUPPORTED;
  out->received = ps.ps_recv;
  out->dropped = ps.ps_drop;
  out->ifdropped = ps.ps_ifdrop;
  return WD_OK;
}

void wd_capture_close(wd_capture_t *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    source *s = &c->src[i];
    if (s->pcap)
      pcap_close(s->pcap);
    wd_capfile_fini(&s->file);
    if (s->fp && s->own_fp)
      fclose(s->fp);
  }
  for (int i = 0; i < 2; i++)
    if (c->wake[i] >= 0)
      close(c->wake[i]);
  free(c->src);
  free(c);
}
