/* capture_int.h -- the capture file reader shared by capture.c and its
 * tests: classic pcap (micro- and nanosecond, either byte order, the
 * "modified" variant) and pcapng (every section, every interface with its
 * own link type and timestamp resolution), read by ward itself because
 * libpcap refuses a pcapng whose interfaces have different link types.
 * In: a FILE the caller opened. Out: one frame at a time; its bytes point
 * into the reader's buffer and stay valid until the next wd_capfile_next().
 * Memory: one buffer of WD_CAPFILE_BUFFER bytes and, for pcapng, an
 * interface table of at most WD_CAPFILE_IFACES_MAX rows, both allocated at
 * open; nothing per frame. Every length read from the file is checked
 * before it is used, so a hostile file can only end the read with an
 * error. Threads: one reader per thread. */
#ifndef WD_CAPTURE_CAPTURE_INT_H
#define WD_CAPTURE_CAPTURE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rc.h"

/* Bytes read at once, and the largest pcapng block kept whole (larger
 * blocks that hold no frame are skipped in pieces). */
#define WD_CAPFILE_BUFFER (1u << 20)
/* Interfaces of one pcapng section: a capture host has tens; thousands
 * are a crafted file. */
#define WD_CAPFILE_IFACES_MAX 1024

typedef enum { WD_CAPFILE_PCAP = 1, WD_CAPFILE_PCAPNG } wd_capfile_format;

/* Called once per interface (a pcap file has one, a pcapng section one
 * per interface block): false means its frames are skipped and counted. */
typedef bool (*wd_capfile_accept_fn)(void *user, uint32_t iface, int linktype);

typedef struct wd_capfile_iface {
  int linktype;
  bool accepted;
  bool pow2;        /* if_tsresol is a power of two */
  uint8_t tsres;    /* exponent of the timestamp unit (default 6) */
  int64_t tsoffset; /* if_tsoffset: seconds added to every timestamp */
  uint32_t snaplen; /* bounds a simple packet block's data */
} wd_capfile_iface_t;

typedef struct wd_capfile {
  FILE *fp; /* borrowed */
  uint8_t *buf;
  size_t start, end; /* unread bytes are buf[start, end) */
  bool eof;
  uint64_t consumed; /* bytes of the file taken from the buffer */
  wd_capfile_format format;
  bool swap; /* the file's byte order is not the host's */
  /* pcap */
  bool nanosecond;
  bool modified; /* 24-byte record headers (0xa1b2cd34) */
  /* pcapng */
  wd_capfile_iface_t *ifaces;
  uint32_t n_ifaces;
  uint64_t sections;
  /* interfaces of every section, and frames not delivered */
  uint64_t ifaces_seen, skipped;
  uint64_t last_ts; /* of the last frame: a simple packet block has none */
  int first_linktype;
  wd_capfile_accept_fn accept;
  void *user;
  /* Set by the caller around one wd_capfile_next: deliver the next frame
   * only if it is whole in the buffer, else return WD_AGAIN having read
   * nothing and moved nothing, so the frame delivered before stays valid
   * (wd_capture_peek). */
  bool buffered_only;
  /* Set by wd_capfile_wake (else -1): each read first waits in poll for
   * the file or wake_fd, and once wake_fd is readable the file ends there
   * (stopped; WD_END, no error), however much of it is still to come. */
  int wake_fd;
  bool stopped;
} wd_capfile_t;

typedef struct wd_capfile_frame {
  const uint8_t *data;
  uint32_t caplen, wirelen;
  uint64_t ts_ns;
  int linktype;
  uint32_t iface;
} wd_capfile_frame_t;

/* Reads the file header. On error returns WD_ERR_IO/WD_ERR_INVAL/
 * WD_ERR_TRUNC/WD_ERR_NOMEM with a sentence in err and nothing to free
 * beyond wd_capfile_fini (always safe to call). */
wd_rc wd_capfile_open(wd_capfile_t *f, FILE *fp, wd_capfile_accept_fn accept,
                      void *user, char *err, size_t errlen);

/* WD_OK and a frame, WD_END at a clean end of file, or an error with the
 * reason in err (the frames before it stay valid results). */
wd_rc wd_capfile_next(wd_capfile_t *f, wd_capfile_frame_t *out, char *err,
                      size_t errlen);

/* For a file whose reads may wait for ever (a pipe, a terminal, a socket:
 * not a regular file): lets a stop end the wait. wake_fd is the read end
 * of a pipe the stopper writes to (from a signal handler, or another
 * thread), and never drains. Call after wd_capfile_open. */
void wd_capfile_wake(wd_capfile_t *f, int wake_fd);
void wd_capfile_fini(wd_capfile_t *f);

#endif
