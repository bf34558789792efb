/* det_config.h -- configurations for the detector unit tests: the
 * built-in defaults with every detector's own keys, and setting one key
 * from its text as a file would. */
#ifndef WD_TESTS_DET_CONFIG_H
#define WD_TESTS_DET_CONFIG_H

#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"
#include "detect/detector.h"

/* The configurations handed out, freed at exit. */
static wd_config_t *dd_kept[256];
static unsigned dd_n_kept;

static inline void dd_free_kept(void) {
  while (dd_n_kept)
    wd_config_free(dd_kept[--dd_n_kept]);
}

/* The built-in defaults, every detector's keys included, into *c: a
 * shallow copy of a configuration of its own (a detector reads its keys
 * through the copy's index, so changes made with dd_set stay in c's).
 * The configurations are kept to the end of the test. */
static inline void dd_defaults(wd_config_t *c) {
  wd_config_t *fresh = NULL;
  if (dd_n_kept == 0)
    atexit(dd_free_kept);
  if (dd_n_kept == 256 || wd_detect_config_defaults(&fresh) != WD_OK)
    abort();
  dd_kept[dd_n_kept++] = fresh;
  *c = *fresh;
}

/* Sets one configuration key of c from its text ("100 Mbit/s"). */
static inline void dd_set(wd_config_t *c, const char *key, const char *value) {
  char err[256];
  if (wd_config_set(c, key, value, err, sizeof err) != WD_OK) {
    fprintf(stderr, "dd_set: %s\n", err);
    abort();
  }
}

#endif
