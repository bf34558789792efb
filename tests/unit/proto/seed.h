/* seed.h -- lets a unit test save the messages it builds as fuzz corpus
 * seeds: when WARD_SEED_DIR is set, seed_write() writes bytes to
 * $WARD_SEED_DIR/<name> (prefixed by the fuzz target's mode byte when
 * mode >= 0). Without the variable it does nothing. */
#ifndef WD_TEST_SEED_H
#define WD_TEST_SEED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline void seed_write(const char *name, int mode, const uint8_t *p,
                              size_t n) {
  const char *dir = getenv("WARD_SEED_DIR");
  if (!dir || !*dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f)
    return;
  if (mode >= 0)
    fputc(mode, f);
  fwrite(p, 1, n, f);
  fclose(f);
}

#endif
