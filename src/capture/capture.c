/* capture.c -- libpcap sources merged in timestamp order (see capture.h).
 * Each open file keeps one pending frame (libpcap's buffer stays valid until
 * the next read on that same handle), so merging copies nothing: the
 * earliest pending frame is returned and its file advanced on the next call.
 * Files are opened with nanosecond precision so micro- and nanosecond pcaps
 * and pcapng all give ns timestamps. */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of stdio buffer per capture file. */
#define READ_BUFFER (1u << 20)

typedef struct source {
  pcap_t *pcap;
  char *iobuf; /* stdio buffer of the file pcap reads; freed after it */
  wd_capture_file_info_t info;
  bool pending; /* hdr/data hold the next frame of this file */
  bool done;
  struct pcap_pkthdr *hdr;
  const u_char *data;
} source;

struct wd_capture {
  source *src;
  size_t n;
  bool live;
  size_t last; /* source whose frame was returned last (advance it next) */
  bool have_last;
  volatile sig_atomic_t stop;
};

static uint64_t ts_of(const source *s) {
  return (uint64_t)s->hdr->ts.tv_sec * 1000000000ull +
         (uint64_t)s->hdr->ts.tv_usec; /* tv_usec holds ns (see open) */
}

/* Reads the next frame of s into its pending slot. */
static void advance(source *s, bool live) {
  s->pending = false;
  if (s->done || !s->pcap)
    return;
  int r = pcap_next_ex(s->pcap, &s->hdr, &s->data);
  if (r == 1) {
    s->pending = true;
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

wd_rc wd_capture_open_files(const char *const *paths, size_t n,
                            wd_capture_t **out) {
  *out = NULL;
  wd_capture_t *c = calloc(1, sizeof *c);
  if (!c)
    return WD_ERR_NOMEM;
  c->src = calloc(n ? n : 1, sizeof *c->src);
  if (!c->src) {
    free(c);
    return WD_ERR_NOMEM;
  }
  c->n = n;
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) {
    source *s = &c->src[i];
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    s->info.path = paths[i];
    /* Our own stream with a large buffer: libpcap's default stdio
     * buffer costs a read() every few kilobytes. */
    bool in = strcmp(paths[i], "-") == 0;
    FILE *fp = in ? stdin : fopen(paths[i], "rb");
    if (!fp) {
      snprintf(s->info.error, sizeof s->info.error, "%s", strerror(errno));
      s->done = true;
      continue;
    }
    s->iobuf = malloc(READ_BUFFER);
    if (s->iobuf)
      setvbuf(fp, s->iobuf, _IOFBF, READ_BUFFER);
    s->pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!s->pcap) {
      snprintf(s->info.error, sizeof s->info.error, "%s", errbuf);
      if (!in)
        fclose(fp);
      s->done = true;
      continue;
    }
    s->info.opened = true;
    s->info.linktype = pcap_datalink(s->pcap);
    s->info.nanosecond = true;
    ok++;
    advance(s, false);
  }
  *out = c;
  return ok ? WD_OK : WD_ERR_IO;
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
  source *s = &c->src[0];
  s->info.path = iface;
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
    goto fail;
  }
  if (bpf && *bpf) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(p, &prog) != 0) {
      snprintf(err, errlen, "filter '%s': %s", bpf, pcap_geterr(p));
      goto fail;
    }
    pcap_freecode(&prog);
  }
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
  return WD_ERR_IO;
}

wd_rc wd_capture_next(wd_capture_t *c, wd_frame_t *f) {
  if (c->have_last) {
    advance(&c->src[c->last], c->live);
    c->have_last = false;
  }
  if (c->live) {
    source *s = &c->src[0];
    if (c->stop)
      return WD_END;
    if (!s->pending) {
      advance(s, true);
      if (!s->pending)
        return s->done ? WD_END : WD_AGAIN;
    }
  }
  size_t best = c->n;
  uint64_t best_ts = 0;
  for (size_t i = 0; i < c->n; i++) {
    source *s = &c->src[i];
    if (!s->pending)
      continue;
    uint64_t ts = ts_of(s);
    if (best == c->n || ts < best_ts) {
      best = i;
      best_ts = ts;
    }
  }
  if (best == c->n)
    return WD_END;
  source *s = &c->src[best];
  s->info.frames++;
  s->info.bytes += s->hdr->caplen;
  f->data = s->data;
  f->caplen = s->hdr->caplen;
  f->wirelen = s->hdr->len;
  f->ts_ns = s->info.nanosecond ? best_ts
                                : (uint64_t)s->hdr->ts.tv_sec * 1000000000ull +
                                      (uint64_t)s->hdr->ts.tv_usec * 1000ull;
  f->linktype = s->info.linktype;
  f->source = (uint32_t)best;
  f->num = s->info.frames;
  c->last = best;
  c->have_last = true;
  return WD_OK;
}

void wd_capture_stop(wd_capture_t *c) {
  c->stop = 1;
  /* Wakes a live read blocked in poll; safe from a signal handler. */
  if (c->live && c->src[0].pcap)
    pcap_breakloop(c->src[0].pcap);
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
    if (c->src[i].pcap)
      pcap_close(c->src[i].pcap);
    free(c->src[i].iobuf);
  }
  free(c->src);
  free(c);
}
