/* cli.h -- helpers shared by the ward subcommands in src/cli.
 * wd_cli_load_config (main.c) loads path, else /etc/ward/ward.yaml if it
 * exists, else the defaults, then applies home_net if not NULL. On error it
 * prints "ward: ..." to stderr and returns 3 (configuration) with nothing
 * for the caller to free; on success returns 0 and the caller owns *cfg
 * (wd_config_free).
 * wd_cli_uint (cli.c) is the one parser of numeric option values: a whole
 * decimal number, digits only (no sign, no suffix, no blank), within
 * [min, max]. Anything else prints "ward CMD: OPT 'ARG': expected a whole
 * number of UNIT from MIN to MAX" and returns the usage exit code (2). */
#ifndef WD_CLI_CLI_H
#define WD_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "fleet/fleet_conf.h"
#include "fleet/publish.h"

#define WD_CLI_EXIT_RUNTIME 1
#define WD_CLI_EXIT_USAGE 2
#define WD_CLI_EXIT_CONFIG 3
#define WD_CLI_EXIT_CAPTURE 4

int wd_cli_load_config(const char *path, const char *home_net,
                       wd_config_t **cfg);

/* 0 and *out set, or 2 after the message above. unit may be NULL. */
int wd_cli_uint(const char *cmd, const char *opt, const char *arg, uint64_t min,
                uint64_t max, const char *unit, uint64_t *out);

/* The configuration (as wd_cli_load_config), then the database: db_url,
 * else store.url / db.path; created and migrated if needed, or, when
 * readonly, an existing one opened read-only (a missing database is said
 * so and never created). Prints "ward: ..." and returns 1 or 3 on
 * failure, with nothing for the caller to free; 0 with *cfg and *s the
 * caller's. */
struct wd_store;
int wd_cli_open_store(const char *cfg_path, const char *db_url, bool readonly,
                      wd_config_t **cfg, struct wd_store **s);

/* `ward config check` beyond loading: opens what the configuration names
 * (config_check.c). Prints one line per problem; returns 0 or 3. */
int wd_cli_config_check(const wd_config_t *cfg);

/* Fleet options (cli_fleet.c). Each prints "ward CMD: ..." and returns an
 * exit code on error, 0 on success. */
/* kafka://BOOTSTRAP/TOPIC from option opt (url), else the configured
 * brokers and topic. */
int wd_cli_kafka_target(const char *cmd, const char *opt, const char *url,
                        const char *cfg_brokers, const char *cfg_topic,
                        char brokers[1024], char topic[1024]);
/* The configured property words, then each -X given (one property each).
 * *out is the caller's (wd_fleet_props_fini); it borrows opt_props. */
int wd_cli_kafka_props(const char *cmd, const char *cfg_words,
                       const char *const *opt_props, size_t n_opt,
                       wd_fleet_props_t *out);
/* The sensor's publisher (url: --publish; NULL options fall back to the
 * configuration); sensor gets the sensor name. */
int wd_cli_publisher(const char *cmd, const wd_config_t *cfg, const char *url,
                     const char *sensor_opt, const char *spool_opt,
                     const char *const *props, size_t n_props,
                     wd_publish_t **out, char sensor[65]);

#endif
