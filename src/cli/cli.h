/* cli.h -- helpers shared by the ward subcommands in src/cli.
 * wd_cli_load_config (main.c) loads path, else /etc/ward/ward.yaml if it
 * exists, else the defaults, then applies home_net if not NULL. On error it
 * prints "ward: ..." to stderr and returns 3 (configuration) with nothing
 * for the caller to free; on success returns 0 and the caller owns *cfg
 * (wd_config_free). */
#ifndef WD_CLI_CLI_H
#define WD_CLI_CLI_H

#include "core/config.h"

int wd_cli_load_config(const char *path, const char *home_net,
                       wd_config_t **cfg);

#endif
