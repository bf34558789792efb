/* capture.h -- frames from capture files (pcap, pcapng: ward's own reader,
 * capture_int.h) or a live interface (libpcap).
 * In: file paths ("-" is standard input) or an interface name and BPF
 * filter. Out: one frame at a time, in timestamp order across all files
 * (several files are merged as one stream), each with the link type of its
 * own interface (a pcapng file may mix Ethernet, Linux cooked and raw IP).
 * A frame's bytes are borrowed and valid until the next wd_capture_next()
 * call. Read errors (truncated or corrupt files) are recorded per file with
 * the frame number and reason; the frames read before them are kept.
 * Interfaces whose link type the caller refuses (opts->accept_linktype)
 * have their frames skipped and counted, not delivered. */
#ifndef WD_CAPTURE_CAPTURE_H
#define WD_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/rc.h"

typedef struct wd_frame {
  const uint8_t *data; /* borrowed, see above */
  uint32_t caplen, wirelen;
  uint64_t ts_ns;  /* nanoseconds since the epoch */
  int linktype;    /* DLT_* */
  uint32_t source; /* index of the file, 0 for live */
  uint64_t num;    /* 1-based frame number within its source */
} wd_frame_t;

typedef struct wd_capture_file_info {
  const char *path;
  int linktype;
  bool nanosecond;
  bool opened;          /* false: could not be read at all (see error) */
  uint64_t frames;      /* frames delivered */
  uint64_t bytes;       /* captured bytes delivered */
  char error[256];      /* empty, or why reading stopped early / failed */
  uint64_t error_frame; /* frame number where the error was met */
  uint64_t size;        /* bytes of the file when known (regular), else 0 */
  uint64_t offset;      /* bytes of it read so far */
  uint32_t interfaces;  /* interfaces seen (1 for pcap, pcapng: all IDBs) */
  uint64_t skipped;     /* frames of interfaces whose link type was refused */
  int refused_linktype; /* first link type refused, -1 for none */
} wd_capture_file_info_t;

/* Asked once per interface of each file (a pcap file has one): true to
 * read its frames. A file whose only interface is refused is not opened
 * (opened=false, error "link type N is not supported"). */
typedef bool (*wd_capture_accept_fn)(void *user, const char *path,
                                     uint32_t iface, int linktype);

typedef struct wd_capture_opts {
  wd_capture_accept_fn accept_linktype; /* NULL: every link type */
  void *user;
} wd_capture_opts_t;

typedef struct wd_capture_live_stats {
  uint64_t received, dropped, ifdropped; /* pcap_stats: kernel counters */
} wd_capture_live_stats_t;

typedef struct wd_capture wd_capture_t;

/* Opens every path and reads its file header; files that cannot be
 * opened are recorded (opened=false) and skipped. The first frame of a
 * regular file is read here too; that of a pipe, a terminal or a socket
 * only by the first wd_capture_next (it may be long coming, and a stop
 * can end that wait). Returns WD_ERR_IO only when no file could be
 * opened. opts may be NULL. */
wd_rc wd_capture_open_files(const char *const *paths, size_t n,
                            const wd_capture_opts_t *opts, wd_capture_t **out);

/* One capture from an open stream (borrowed: the caller closes it after
 * wd_capture_close), named name in messages. Tests and fuzzing. */
wd_rc wd_capture_open_stream(FILE *fp, const char *name,
                             const wd_capture_opts_t *opts, wd_capture_t **out);

/* True when nothing of the file could be analyzed: it was not opened, or
 * it delivered no frame and either failed or held only refused link types.
 * A well-formed capture without frames is not "unread". */
bool wd_capture_file_unread(const wd_capture_file_info_t *fi);

/* Bytes read so far and in all (files only, when every size is known:
 * regular files, not standard input or a pipe). False when unknown. */
bool wd_capture_progress(const wd_capture_t *c, uint64_t *done,
                         uint64_t *total);

/* Opens iface for live capture with cfg->capture settings (snaplen, buffer,
 * immediate mode, timeout) and an optional BPF filter. err gets libpcap's
 * reason on failure, and the code says which: WD_ERR_INVAL the filter does
 * not compile, WD_ERR_PERM not privileged enough, WD_ERR_NOTFOUND no such
 * interface, WD_ERR_IO anything else. */
wd_rc wd_capture_open_live(const char *iface, const char *bpf,
                           const wd_config_t *cfg, wd_capture_t **out,
                           char *err, size_t errlen);

/* Next frame: WD_OK, WD_AGAIN (live: nothing within the timeout), WD_END
 * (all files done). Per-file errors never stop the other files. */
wd_rc wd_capture_next(wd_capture_t *c, wd_frame_t *f);

/* Files only: the frame the next wd_capture_next will return, when it can
 * be had without invalidating the frame returned last (it is whole in the
 * read buffer); false otherwise (live capture, the buffer needs a read, or
 * the end), and nothing changes. The frame returned last stays valid
 * until the next wd_capture_next; so does the one peeked at. Lets the
 * caller decode a frame ahead and fetch its flow's memory early. */
bool wd_capture_peek(wd_capture_t *c, wd_frame_t *f);

/* Ends the capture: wd_capture_next returns WD_END from its next call on
 * (signal-safe, and callable from another thread). A call waiting for
 * input returns: a live read at once, a file read waiting on a pipe, a
 * terminal or a socket too (that file ends there without an error). */
void wd_capture_stop(wd_capture_t *c);

size_t wd_capture_nfiles(const wd_capture_t *c);
const wd_capture_file_info_t *wd_capture_file(const wd_capture_t *c, size_t i);
bool wd_capture_is_live(const wd_capture_t *c);
wd_rc wd_capture_live_stats(wd_capture_t *c, wd_capture_live_stats_t *out);

void wd_capture_close(wd_capture_t *c);

#endif
