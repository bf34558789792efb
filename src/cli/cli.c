/* cli.c -- helpers shared by the subcommands: strict parsing of numeric
 * option values, opening the configuration and the database (see cli.h).
 * No state. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

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

int wd_cli_open_store(const char *cfg_path, const char *db_url, bool readonly,
                      wd_config_t **cfg, wd_store_t **s) {
  char err[512];
  int ec = wd_cli_load_config(cfg_path, NULL, cfg);
  if (ec)
    return ec;
  const char *url = db_url ? db_url : wd_config_store_url(*cfg);
  if (!url) {
    fprintf(stderr, "ward: no database: give --db URL or set store.url\n");
    wd_config_free(*cfg);
    return WD_CLI_EXIT_CONFIG;
  }
  wd_store_opts_t so = {.flags = readonly ? WD_STORE_READONLY : 0,
                        .busy_timeout_ms = (*cfg)->db.busy_timeout_ms};
  if (wd_store_open_opts(url, &so, s, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    wd_config_free(*cfg);
    return WD_CLI_EXIT_RUNTIME;
  }
  return 0;
}
