/* capture_file.c -- ward's reader of pcap and pcapng files (see
 * capture_int.h). Layout references: the pcap file format and the pcapng
 * draft (IETF opsawg, "PCAP Next Generation Dump File Format"). The file is
 * read in WD_CAPFILE_BUFFER chunks; a record is returned in place when it
 * is whole in the buffer, and the unread tail is moved to the front when a
 * record would cross the buffer's end, so nothing is copied per frame. */
#include "capture/capture_int.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/limits.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_MOD 0xa1b2cd34u /* "modified" pcap: 24-byte records */
#define NG_SHB 0x0a0d0d0au
#define NG_IDB 1u
#define NG_PB 2u /* obsolete packet block */
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_BOM 0x1a2b3c4du
#define LINKTYPE_MASK 0x03ffffffu /* upper bits: FCS length flags */

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static uint16_t bswap16(uint16_t v) { return (uint16_t)(v >> 8 | v << 8); }
static uint32_t bswap32(uint32_t v) {
  return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

static uint16_t rd16(const wd_capfile_t *f, const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return f->swap ? bswap16(v) : v;
}
static uint32_t rd32(const wd_capfile_t *f, const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return f->swap ? bswap32(v) : v;
}

static size_t avail(const wd_capfile_t *f) { return f->end - f->start; }
static const uint8_t *cur(const wd_capfile_t *f) { return f->buf + f->start; }
static void consume(wd_capfile_t *f, size_t n) {
  f->start += n;
  f->consumed += n;
}

/* Waits until fd has bytes or its end (true), or a stop (false, stopped
 * set), or a signal (false). */
static bool readable(wd_capfile_t *f, int fd) {
  struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                          {.fd = f->wake_fd, .events = POLLIN}};
  if (f->stopped || poll(pfd, 2, -1) < 0)
    return false; /* stopped before, or EINTR: the caller looks again */
  if (pfd[1].revents) {
    f->stopped = true;
    return false;
  }
  return true; /* readable, hung up or failed: read() says which */
}

/* Makes need (<= WD_CAPFILE_BUFFER) bytes available: WD_OK, WD_ERR_TRUNC
 * when the file ends first, WD_ERR_IO on a read error. */
static wd_rc fill(wd_capfile_t *f, size_t need) {
  if (avail(f) >= need)
    return WD_OK;
  if (f->buffered_only)
    return WD_AGAIN; /* the caller still holds the last frame in place */
  if (f->start + need > WD_CAPFILE_BUFFER) {
    memmove(f->buf, f->buf + f->start, avail(f));
    f->end -= f->start;
    f->start = 0;
  }
  int fd = fileno(f->fp);
  while (avail(f) < need) {
    if (f->eof)
      return WD_ERR_TRUNC;
    if (f->wake_fd >= 0 && !readable(f, fd)) {
      if (f->stopped)
        return WD_END;
      continue; /* a signal: see whether it was a stop */
    }
    size_t room = WD_CAPFILE_BUFFER - f->end, got;
    if (fd >= 0) {
      /* read() returns what a pipe has, where fread would wait for the
       * whole megabyte. */
      ssize_t r = read(fd, f->buf + f->end, room);
      if (r < 0) {
        if (errno == EINTR)
          continue;
        return WD_ERR_IO;
      }
      got = (size_t)r;
    } else {
      got = fread(f->buf + f->end, 1, room, f->fp);
      if (got == 0 && ferror(f->fp))
        return WD_ERR_IO;
    }
    if (got == 0)
      f->eof = true;
    f->end += got;
  }
  return WD_OK;
}

/* Discards n bytes, in pieces (blocks larger than the buffer). */
static wd_rc skip(wd_capfile_t *f, uint64_t n) {
  while (n > 0) {
    wd_rc rc = fill(f, 1);
    if (rc != WD_OK)
      return rc;
    size_t take = avail(f) < n ? avail(f) : (size_t)n;
    consume(f, take);
    n -= take;
  }
  return WD_OK;
}

static wd_rc io_err(wd_rc rc, char *err, size_t errlen, const char *what,
                    size_t need, size_t have) {
  if (rc == WD_AGAIN)
    return rc; /* buffered_only: nothing was read, nothing went wrong */
  if (rc == WD_ERR_IO)
    put_err(err, errlen, "read error: %s", strerror(errno));
  else
    put_err(err, errlen, "truncated capture: %s needs %zu bytes, only %zu left",
            what, need, have);
  return rc;
}

static const uint64_t pow10_tab[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

/* A pcapng timestamp in units of 10^-e (or 2^-e) seconds, in ns. Unsigned
 * arithmetic: an absurd timestamp wraps, it never traps. */
static uint64_t ng_ns(const wd_capfile_iface_t *i, uint64_t t) {
  unsigned e = i->tsres;
  uint64_t ns;
  if (!i->pow2) {
    ns = e <= 9 ? t * pow10_tab[9 - e] : t / pow10_tab[e - 9];
  } else {
    uint64_t sec = t >> e, frac = t & ((1ull << e) - 1);
    if (e > 30) { /* below a nanosecond: drop the bits first */
      frac >>= e - 30;
      e = 30;
    }
    ns = sec * 1000000000ull + ((frac * 1000000000ull) >> e);
  }
  return ns + (uint64_t)i->tsoffset * 1000000000ull;
}

static wd_rc pcap_header(wd_capfile_t *f, uint32_t magic, char *err,
                         size_t errlen) {
  wd_rc rc = fill(f, 24);
  if (rc != WD_OK)
    return io_err(rc, err, errlen, "the pcap file header", 24, avail(f));
  f->format = WD_CAPFILE_PCAP;
  f->nanosecond = magic == PCAP_MAGIC_NS;
  f->modified = magic == PCAP_MAGIC_MOD;
  const uint8_t *p = cur(f);
  uint16_t major = rd16(f, p + 4);
  if (major != 2) {
    put_err(err, errlen, "pcap version %u.%u; expected 2.x", major,
            rd16(f, p + 6));
    return WD_ERR_INVAL;
  }
  int lt = (int)(rd32(f, p + 20) & LINKTYPE_MASK);
  consume(f, 24);
  f->first_linktype = lt;
  f->ifaces_seen = 1;
  f->n_ifaces = 1;
  f->ifaces[0].linktype = lt;
  f->ifaces[0].accepted = !f->accept || f->accept(f->user, 0, lt);
  if (!f->ifaces[0].accepted) {
    put_err(err, errlen, "link type %d is not supported", lt);
    return WD_ERR_UNSUPPORTED;
  }
  return WD_OK;
}

wd_rc wd_capfile_open(wd_capfile_t *f, FILE *fp, wd_capfile_accept_fn accept,
                      void *user, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->fp = fp;
  f->wake_fd = -1;
  f->accept = accept;
  f->user = user;
  f->first_linktype = -1;
  f->buf = malloc(WD_CAPFILE_BUFFER);
  f->ifaces = calloc(WD_CAPFILE_IFACES_MAX, sizeof *f->ifaces);
  if (!f->buf || !f->ifaces) {
    put_err(err, errlen, "out of memory");
    return WD_ERR_NOMEM;
  }
  wd_rc rc = fill(f, 4);
  if (rc != WD_OK) {
    if (rc == WD_ERR_TRUNC && avail(f) == 0) {
      put_err(err, errlen, "empty file; expected a pcap or pcapng capture");
      return WD_ERR_TRUNC;
    }
    return io_err(rc, err, errlen, "the file header", 4, avail(f));
  }
  uint32_t magic;
  memcpy(&magic, cur(f), 4);
  if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
      magic == PCAP_MAGIC_MOD)
    return pcap_header(f, magic, err, errlen);
  if (bswap32(magic) == PCAP_MAGIC_US || bswap32(magic) == PCAP_MAGIC_NS ||
      bswap32(magic) == PCAP_MAGIC_MOD) {
    f->swap = true;
    return pcap_header(f, bswap32(magic), err, errlen);
  }
  if (magic == NG_SHB) {
    f->format = WD_CAPFILE_PCAPNG;
    /* The section header block is read by the first wd_capfile_next. */
    return WD_OK;
  }
  const uint8_t *p = cur(f);
  put_err(err, errlen,
          "not a pcap or pcapng file (starts with %02x %02x %02x %02x)", p[0],
          p[1], p[2], p[3]);
  return WD_ERR_INVAL;
}

static wd_rc pcap_next(wd_capfile_t *f, wd_capfile_frame_t *o, char *err,
                       size_t errlen) {
  size_t hl = f->modified ? 24 : 16;
  wd_rc rc = fill(f, hl);
  if (rc != WD_OK) {
    if (rc == WD_ERR_TRUNC && avail(f) == 0)
      return WD_END;
    return io_err(rc, err, errlen, "a record header", hl, avail(f));
  }
  const uint8_t *p = cur(f);
  uint32_t sec = rd32(f, p), frac = rd32(f, p + 4);
  uint32_t caplen = rd32(f, p + 8), len = rd32(f, p + 12);
  if (caplen > WD_FRAME_MAX) {
    put_err(err, errlen,
            "corrupt record: captured length %u exceeds the largest frame "
            "(%u bytes)",
            caplen, WD_FRAME_MAX);
    return WD_ERR_INVAL;
  }
  if ((rc = fill(f, hl + caplen)) != WD_OK)
    return io_err(rc, err, errlen, "a frame", hl + caplen, avail(f));
  p = cur(f);
  o->data = p + hl;
  o->caplen = caplen;
  o->wirelen = len;
  o->ts_ns = (uint64_t)sec * 1000000000ull +
             (uint64_t)frac * (f->nanosecond ? 1u : 1000u);
  o->linktype = f->ifaces[0].linktype;
  o->iface = 0;
  consume(f, hl + caplen);
  return WD_OK;
}

/* Options of an interface block: if_tsresol (9) and if_tsoffset (14). */
static wd_rc idb_options(wd_capfile_t *f, wd_capfile_iface_t *i,
                         const uint8_t *p, size_t n, char *err, size_t errlen) {
  while (n >= 4) {
    uint16_t code = rd16(f, p), len = rd16(f, p + 2);
    size_t padded = ((size_t)len + 3) & ~(size_t)3;
    if (code == 0)
      return WD_OK;
    if (padded > n - 4) {
      put_err(err, errlen,
              "corrupt interface block: option %u of %u bytes overruns the "
              "block",
              code, len);
      return WD_ERR_INVAL;
    }
    if (code == 9 && len >= 1) {
      uint8_t v = p[4];
      i->pow2 = v & 0x80;
      i->tsres = v & 0x7f;
      if ((!i->pow2 && i->tsres > 19) || (i->pow2 && i->tsres > 63)) {
        put_err(err, errlen,
                "interface block: timestamp resolution %s%u is not "
                "supported",
                i->pow2 ? "2^-" : "10^-", i->tsres);
        return WD_ERR_INVAL;
      }
    } else if (code == 14 && len == 8) {
      uint64_t v;
      memcpy(&v, p + 4, 8);
      if (f->swap)
        v = (uint64_t)bswap32((uint32_t)v) << 32 | bswap32((uint32_t)(v >> 32));
      i->tsoffset = (int64_t)v;
    }
    p += 4 + padded;
    n -= 4 + padded;
  }
  return WD_OK;
}

static wd_rc ng_frame(wd_capfile_t *f, uint32_t iface, uint64_t ts, bool has_ts,
                      const uint8_t *data, uint32_t caplen, uint32_t len,
                      wd_capfile_frame_t *o, char *err, size_t errlen) {
  if (iface >= f->n_ifaces) {
    put_err(err, errlen,
            "corrupt packet block: interface %u, but the section defines "
            "%u",
            iface, f->n_ifaces);
    return WD_ERR_INVAL;
  }
  if (caplen > WD_FRAME_MAX) {
    put_err(err, errlen,
            "corrupt packet block: captured length %u exceeds the largest "
            "frame (%u bytes)",
            caplen, WD_FRAME_MAX);
    return WD_ERR_INVAL;
  }
  const wd_capfile_iface_t *i = &f->ifaces[iface];
  if (!i->accepted) {
    f->skipped++;
    return WD_AGAIN;
  }
  o->data = data;
  o->caplen = caplen;
  o->wirelen = len;
  /* A simple packet block has no time: it takes its predecessor's. */
  o->ts_ns = has_ts ? ng_ns(i, ts) : f->last_ts;
  f->last_ts = o->ts_ns;
  o->linktype = i->linktype;
  o->iface = iface;
  return WD_OK;
}

static wd_rc ng_next(wd_capfile_t *f, wd_capfile_frame_t *o, char *err,
                     size_t errlen) {
  for (;;) {
    wd_rc rc = fill(f, 8);
    if (rc != WD_OK) {
      if (rc == WD_AGAIN)
        return rc;
      if (rc == WD_ERR_TRUNC && avail(f) == 0 && f->sections)
        return WD_END;
      return io_err(rc, err, errlen, "a block header", 8, avail(f));
    }
    uint32_t raw_type;
    memcpy(&raw_type, cur(f), 4);
    if (raw_type == NG_SHB) {
      if ((rc = fill(f, 12)) != WD_OK)
        return io_err(rc, err, errlen, "a section header", 12, avail(f));
      uint32_t bom;
      memcpy(&bom, cur(f) + 8, 4);
      if (bom == NG_BOM)
        f->swap = false;
      else if (bswap32(bom) == NG_BOM)
        f->swap = true;
      else {
        put_err(err, errlen,
                "corrupt section header: byte-order magic %08x; expected "
                "1a2b3c4d",
                bom);
        return WD_ERR_INVAL;
      }
    } else if (!f->sections) {
      put_err(err, errlen, "pcapng file does not start with a section header");
      return WD_ERR_INVAL;
    }
    uint32_t type = rd32(f, cur(f)), tlen = rd32(f, cur(f) + 4);
    if (tlen < 12 || tlen % 4) {
      put_err(err, errlen,
              "corrupt block: length %u; expected a multiple of 4, at least "
              "12",
              tlen);
      return WD_ERR_INVAL;
    }
    bool packet = type == NG_EPB || type == NG_SPB || type == NG_PB;
    if (tlen > WD_CAPFILE_BUFFER) {
      if (f->buffered_only)
        return WD_AGAIN; /* skipped in pieces: reads */
      if (packet || type == NG_SHB || type == NG_IDB) {
        put_err(err, errlen,
                "corrupt block: type %u of %u bytes; expected at most %u", type,
                tlen, WD_CAPFILE_BUFFER);
        return WD_ERR_INVAL;
      }
      if ((rc = skip(f, tlen)) != WD_OK)
        return io_err(rc, err, errlen, "a block", tlen, avail(f));
      continue;
    }
    if ((rc = fill(f, tlen)) != WD_OK)
      return io_err(rc, err, errlen, "a block", tlen, avail(f));
    const uint8_t *p = cur(f), *b = p + 8;
    size_t blen = tlen - 12;
    if (rd32(f, p + tlen - 4) != tlen) {
      put_err(err, errlen,
              "corrupt block: trailing length %u differs from the leading "
              "%u",
              rd32(f, p + tlen - 4), tlen);
      return WD_ERR_INVAL;
    }
    wd_rc got = WD_AGAIN;
    switch (type) {
    case NG_SHB:
      if (blen < 16 || rd16(f, b + 4) != 1) {
        put_err(err, errlen, "section header of version %u; expected 1.x",
                blen >= 16 ? rd16(f, b + 4) : 0);
        return WD_ERR_INVAL;
      }
      f->sections++;
      f->n_ifaces = 0; /* interface numbers restart in each section */
      break;
    case NG_IDB: {
      if (blen < 8) {
        put_err(err, errlen, "corrupt interface block: %zu bytes", blen);
        return WD_ERR_INVAL;
      }
      if (f->n_ifaces >= WD_CAPFILE_IFACES_MAX) {
        put_err(err, errlen,
                "more than %u interfaces in one section; expected fewer",
                WD_CAPFILE_IFACES_MAX);
        return WD_ERR_INVAL;
      }
      wd_capfile_iface_t *i = &f->ifaces[f->n_ifaces];
      memset(i, 0, sizeof *i);
      i->linktype = rd16(f, b);
      i->snaplen = rd32(f, b + 4);
      i->tsres = 6;
      if ((rc = idb_options(f, i, b + 8, blen - 8, err, errlen)) != WD_OK)
        return rc;
      i->accepted = !f->accept ||
                    f->accept(f->user, (uint32_t)f->ifaces_seen, i->linktype);
      if (f->first_linktype < 0)
        f->first_linktype = i->linktype;
      f->n_ifaces++;
      f->ifaces_seen++;
      break;
    }
    case NG_EPB:
    case NG_PB: {
      if (blen < 20) {
        put_err(err, errlen, "corrupt packet block: %zu bytes", blen);
        return WD_ERR_INVAL;
      }
      uint32_t caplen = rd32(f, b + 12);
      if (caplen > blen - 20) {
        put_err(err, errlen,
                "corrupt packet block: captured length %u overruns the "
                "block",
                caplen);
        return WD_ERR_INVAL;
      }
      /* The same layout but for the interface: 32 bits in an enhanced
       * block, 16 (then 16 bits of drop count) in the obsolete one. */
      uint32_t ifc = type == NG_EPB ? rd32(f, b) : rd16(f, b);
      uint64_t ts = (uint64_t)rd32(f, b + 4) << 32 | rd32(f, b + 8);
      got = ng_frame(f, ifc, ts, true, b + 20, caplen, rd32(f, b + 16), o, err,
                     errlen);
      break;
    }
    case NG_SPB: {
      if (blen < 4) {
        put_err(err, errlen, "corrupt simple packet block: %zu bytes", blen);
        return WD_ERR_INVAL;
      }
      uint32_t len = rd32(f, b), caplen = len;
      if (caplen > blen - 4)
        caplen = (uint32_t)(blen - 4);
      if (f->n_ifaces && f->ifaces[0].snaplen && caplen > f->ifaces[0].snaplen)
        caplen = f->ifaces[0].snaplen;
      got = ng_frame(f, 0, 0, false, b + 4, caplen, len, o, err, errlen);
      break;
    }
    default:
      break; /* name resolution, statistics, custom...: not needed */
    }
    if (got != WD_OK && got != WD_AGAIN)
      return got;
    consume(f, tlen); /* the frame stays in the buffer until next call */
    if (got == WD_OK)
      return WD_OK;
  }
}

wd_rc wd_capfile_next(wd_capfile_t *f, wd_capfile_frame_t *out, char *err,
                      size_t errlen) {
  if (!f->buf)
    return WD_END;
  wd_rc rc = f->format == WD_CAPFILE_PCAP ? pcap_next(f, out, err, errlen)
                                          : ng_next(f, out, err, errlen);
  if (f->stopped && rc != WD_OK) { /* a stop is an end, not a short file */
    if (err && errlen)
      err[0] = '\0';
    return WD_END;
  }
  return rc;
}

void wd_capfile_wake(wd_capfile_t *f, int wake_fd) { f->wake_fd = wake_fd; }

void wd_capfile_fini(wd_capfile_t *f) {
  free(f->buf);
  free(f->ifaces);
  f->buf = NULL;
  f->ifaces = NULL;
}
