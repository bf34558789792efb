/* intel_match.h -- the intel.match detector's configuration and the one
 * way to build its indicator set from that configuration and extra feed
 * files (the CLI's --intel), used at start and on reload.
 * In: a loaded configuration, feed paths. Out: a wd_intel_set_t the caller
 * owns (publish it in the engine's slot), one message line per feed and
 * per rejected line through the caller's function. File I/O: call it from
 * the main or worker thread, never from the packet thread. */
#ifndef WD_DETECT_INTEL_MATCH_H
#define WD_DETECT_INTEL_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "detect/detector.h"
#include "detect/intel_feed.h"

/* detect.intel.* */
typedef struct wd_intel_conf {
  bool enabled;
  bool builtin;            /* the built-in WannaCry kill-switch feed */
  char *feeds;             /* comma-separated feed files, NULL none */
  uint32_t max_indicators; /* over all feeds */
  uint32_t end_after_s;    /* quiet that ends one host's hits */
} wd_intel_conf_t;

extern const wd_config_keyset_t wd_intel_keyset;

/* The values in cfg (the key table's defaults when cfg was loaded without
 * it); feeds is borrowed from cfg (NULL with the defaults). */
void wd_intel_conf(const wd_config_t *cfg, wd_intel_conf_t *out);

typedef void (*wd_intel_say_fn)(void *user, const char *line);

/* A new set: the built-in feed (detect.intel.builtin), detect.intel.feeds,
 * then files[0..nfiles). Each file's outcome and rejected lines go to fn.
 * A file that cannot be read or is no feed is reported, counted in
 * *bad_files and skipped. Returns WD_OK or WD_ERR_NOMEM. */
wd_rc wd_intel_build(const wd_config_t *cfg, const char *const *files,
                     size_t nfiles, wd_intel_say_fn fn, void *user,
                     wd_intel_set_t **out, unsigned *bad_files);

#endif
