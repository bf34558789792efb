/* cli.c -- helpers shared by the subcommands: strict parsing of numeric
 * option values (see cli.h). No state. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wd_cli_uint(const char *cmd, const char *opt, const char *arg, uint64_t min,
                uint64_t max, const char *unit, uint64_t *out) {
  const char *p = arg ? arg : "";
  bool ok = *p >= '0' && *p <= '9';
  uint64_t v = 0;
  for (; ok && *p; p++) {
    if (*p < '0' || *p > '9') {
      ok = false;
      break;
    }
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) {
      ok = false; /* overflows: out of range below */
      v = UINT64_MAX;
      break;
    }
    v = v * 10 + d;
  }
  if (ok && v >= min && v <= max) {
    *out = v;
    return 0;
  }
  fprintf(stderr,
          "ward %s: %s '%s': expected a whole number%s%s from %" PRIu64
          " to %" PRIu64 "\n",
          cmd, opt, arg ? arg : "", unit ? " of " : "", unit ? unit : "", min,
          max);
  return WD_CLI_EXIT_USAGE;
}
