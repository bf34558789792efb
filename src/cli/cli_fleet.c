/* cli_fleet.c -- fleet options shared by ward analyze, ward watch and
 * ward ingest: the sensor name, kafka://BOOTSTRAP/TOPIC, librdkafka
 * properties (configuration words, then -X key=value), and the publisher
 * a sensor runs (src/fleet/publish.h).
 * In: option values and the loaded configuration (fleet keys, see
 * src/fleet/fleet_conf.h). Out: a started publisher the caller closes, or
 * a message on standard error and an exit code. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "fleet/fleet_conf.h"

int wd_cli_kafka_target(const char *cmd, const char *opt, const char *url,
                        const char *cfg_brokers, const char *cfg_topic,
                        char brokers[1024], char topic[1024]) {
  char err[512];
  if (url) {
    if (wd_fleet_url_parse(url, brokers, topic, err, sizeof err) != WD_OK) {
      fprintf(stderr, "ward %s: %s %s\n", cmd, opt, err);
      return WD_CLI_EXIT_USAGE;
    }
    return 0;
  }
  if (!cfg_brokers || !cfg_topic) {
    fprintf(stderr,
            "ward %s: %s: no brokers given (or publish.kafka.brokers)\n", cmd,
            opt);
    return WD_CLI_EXIT_USAGE;
  }
  snprintf(brokers, 1024, "%s", cfg_brokers);
  snprintf(topic, 1024, "%s", cfg_topic);
  return 0;
}

int wd_cli_kafka_props(const char *cmd, const char *cfg_words,
                       const char *const *opt_props, size_t n_opt,
                       wd_fleet_props_t *out) {
  char err[512];
  memset(out, 0, sizeof *out);
  wd_rc rc = wd_fleet_props_add(out, cfg_words, err, sizeof err);
  for (size_t i = 0; rc == WD_OK && i < n_opt; i++) {
    if (strpbrk(opt_props[i], " \t")) {
      /* one -X is one property: its value may hold blanks */
      if (out->n == WD_FLEET_PROPS_MAX) {
        snprintf(err, sizeof err, "more than %d kafka properties",
                 WD_FLEET_PROPS_MAX);
        rc = WD_ERR_FULL;
      } else if (!strchr(opt_props[i], '=') || opt_props[i][0] == '=') {
        snprintf(err, sizeof err, "kafka property '%s': expected key=value",
                 opt_props[i]);
        rc = WD_ERR_INVAL;
      } else
        out->v[out->n++] = opt_props[i];
      continue;
    }
    rc = wd_fleet_props_add(out, opt_props[i], err, sizeof err);
  }
  if (rc != WD_OK) {
    fprintf(stderr, "ward %s: %s\n", cmd, err);
    wd_fleet_props_fini(out);
    return WD_CLI_EXIT_CONFIG;
  }
  return 0;
}

int wd_cli_publisher(const char *cmd, const wd_config_t *cfg, const char *url,
                     const char *sensor_opt, const char *spool_opt,
                     const char *const *props, size_t n_props,
                     wd_publish_t **out, char sensor[65]) {
  *out = NULL;
  const wd_fleet_conf_t *fc = wd_fleet_conf(cfg);
  char err[512], brokers[1024], topic[1024];
  if (wd_fleet_sensor_name(sensor_opt ? sensor_opt : fc->sensor, sensor, err,
                           sizeof err) != WD_OK) {
    fprintf(stderr, "ward %s: %s%s\n", cmd, sensor_opt ? "--sensor: " : "",
            err);
    return sensor_opt ? WD_CLI_EXIT_USAGE : WD_CLI_EXIT_CONFIG;
  }
  int ec = wd_cli_kafka_target(cmd, "--publish", url, fc->brokers, fc->topic,
                               brokers, topic);
  if (ec)
    return ec;
  wd_fleet_props_t pr;
  if ((ec = wd_cli_kafka_props(cmd, fc->properties, props, n_props, &pr)))
    return ec;
  wd_publish_opts_t po = {
      .brokers = brokers,
      .topic = topic,
      .sensor = sensor,
      .props = pr.v,
      .n_props = pr.n,
      .spool = {.dir = spool_opt ? spool_opt : fc->spool_dir,
                .max_bytes = fc->spool_max},
      .heartbeat_ms = fc->heartbeat_ms,
      .version = WARD_VERSION,
  };
  wd_rc rc = wd_publish_new(&po, out, err, sizeof err);
  wd_fleet_props_fini(&pr);
  if (rc != WD_OK) {
    fprintf(stderr, "ward %s: --publish: %s\n", cmd, err);
    return rc == WD_ERR_CONFIG || rc == WD_ERR_INVAL ? WD_CLI_EXIT_CONFIG
                                                     : WD_CLI_EXIT_RUNTIME;
  }
  return 0;
}
