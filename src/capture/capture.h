/* capture.h -- frames from capture files or a live interface (libpcap).
 * In: file paths ("-" is standard input) or an interface name and BPF
 * filter. Out: one frame at a time, in timestamp order across all files
 * (several files are merged as one stream). A frame's bytes are borrowed
 * from libpcap and valid until the next wd_capture_next() call. Read errors
 * (truncated or corrupt files) are recorded per file with the frame number
 * and reason; the frames read before them are kept. */
#ifndef WD_CAPTURE_CAPTURE_H
#define WD_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
} wd_capture_file_info_t;

typedef struct wd_capture_live_stats {
  uint64_t received, dropped, ifdropped; /* pcap_stats: kernel counters */
} wd_capture_live_stats_t;

typedef struct wd_capture wd_capture_t;

/* Opens every path; files that cannot be opened are recorded (opened=false)
 * and skipped. Returns WD_ERR_IO only when no file could be opened. */
wd_rc wd_capture_open_files(const char *const *paths, size_t n,
                            wd_capture_t **out);

/* Opens iface for live capture with cfg->capture settings (snaplen, buffer,
 * immediate mode, timeout) and an optional BPF filter. err gets libpcap's
 * reason on failure. */
wd_rc wd_capture_open_live(const char *iface, const char *bpf,
                           const wd_config_t *cfg, wd_capture_t **out,
                           char *err, size_t errlen);

/* Next frame: WD_OK, WD_AGAIN (live: nothing within the timeout), WD_END
 * (all files done). Per-file errors never stop the other files. */
wd_rc wd_capture_next(wd_capture_t *c, wd_frame_t *f);

/* Live only: ask wd_capture_next to return WD_END soon (signal-safe). */
void wd_capture_stop(wd_capture_t *c);

size_t wd_capture_nfiles(const wd_capture_t *c);
const wd_capture_file_info_t *wd_capture_file(const wd_capture_t *c, size_t i);
bool wd_capture_is_live(const wd_capture_t *c);
wd_rc wd_capture_live_stats(wd_capture_t *c, wd_capture_live_stats_t *out);

void wd_capture_close(wd_capture_t *c);

#endif
