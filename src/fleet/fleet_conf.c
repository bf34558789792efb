/* fleet_conf.c -- the fleet's configuration keys and option forms (see
 * fleet_conf.h). */
#include "fleet/fleet_conf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/fleet_msg.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static const wd_config_key_t keys[] = {
    WD_KEY_STR(wd_fleet_conf_t, "sensor.name", sensor, NULL, 0,
               "this sensor's name in the fleet (default: the host name)"),
    WD_KEY_STR(wd_fleet_conf_t, "publish.kafka.brokers", brokers, NULL, 0,
               "Kafka bootstrap servers host:port[,...] to publish to"),
    WD_KEY_STR(wd_fleet_conf_t, "publish.kafka.topic", topic, "ward", 0,
               "Kafka topic of alerts and evidence frames"),
    WD_KEY_STR(wd_fleet_conf_t, "publish.kafka.properties", properties, NULL, 0,
               "librdkafka properties key=value, blank separated"),
    WD_KEY_STR(wd_fleet_conf_t, "publish.spool.dir", spool_dir,
               "/var/spool/ward", 0,
               "on-disk spool of messages the brokers have not acknowledged"),
    WD_KEY_SIZE(wd_fleet_conf_t, "publish.spool.max_size", spool_max, "256 MiB",
                64 * KiB, 1024 * GiB,
                "spool size; past it the oldest evidence frames go first"),
    WD_KEY_MS(wd_fleet_conf_t, "publish.heartbeat", heartbeat_ms, "10s", 0,
              3600000, "heartbeat with the publisher's counters (0: none)"),
    WD_KEY_MS(wd_fleet_conf_t, "publish.close_timeout", close_ms, "10s", 0,
              600000,
              "at exit, time to deliver what is spooled (the rest stays)"),
    WD_KEY_STR(wd_fleet_conf_t, "ingest.group", group, "ward-ingest", 0,
               "Kafka consumer group of ward ingest"),
    WD_KEY_STR(wd_fleet_conf_t, "ingest.kafka.properties", ingest_properties,
               NULL, 0, "librdkafka properties of the consumer, key=value"),
    WD_KEY_UINT(wd_fleet_conf_t, "ingest.batch", batch, "1000", 1, 100000,
                "messages stored per database transaction at most"),
};

const wd_config_keyset_t wd_fleet_keyset = {.keys = keys,
                                            .n = sizeof keys / sizeof keys[0],
                                            .size = sizeof(wd_fleet_conf_t),
                                            .check = NULL};

const wd_fleet_conf_t *wd_fleet_conf(const wd_config_t *cfg) {
  const wd_fleet_conf_t *c =
      cfg ? wd_config_extra(cfg, &wd_fleet_keyset) : NULL;
  static const wd_fleet_conf_t defaults = {.topic = "ward",
                                           .spool_dir = "/var/spool/ward",
                                           .spool_max = 256 * MiB,
                                           .heartbeat_ms = 10000,
                                           .close_ms = 10000,
                                           .group = "ward-ingest",
                                           .batch = 1000};
  return c ? c : &defaults;
}

wd_rc wd_fleet_url_parse(const char *url, char brokers[1024], char topic[1024],
                         char *err, size_t errlen) {
  static const char pfx[] = "kafka://";
  if (!url || strncmp(url, pfx, sizeof pfx - 1) != 0) {
    snprintf(err, errlen, "'%s': expected kafka://HOST:PORT[,HOST:PORT]/TOPIC",
             url ? url : "");
    return WD_ERR_INVAL;
  }
  const char *b = url + sizeof pfx - 1, *slash = strchr(b, '/');
  if (!slash || slash == b || !slash[1] || strchr(slash + 1, '/')) {
    snprintf(err, errlen,
             "'%s': expected kafka://HOST:PORT[,HOST:PORT]/TOPIC (%s)", url,
             !slash || slash == b ? "no broker" : "one topic after the '/'");
    return WD_ERR_INVAL;
  }
  size_t bl = (size_t)(slash - b), tl = strlen(slash + 1);
  if (bl >= 1024 || tl >= 1024 || tl > 249) {
    snprintf(err, errlen, "'%s': brokers or topic too long", url);
    return WD_ERR_INVAL;
  }
  for (const char *t = slash + 1; *t; t++)
    if (!(*t == '.' || *t == '_' || *t == '-' || (*t >= '0' && *t <= '9') ||
          (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))) {
      snprintf(err, errlen,
               "'%s': topic names are letters, digits, '.', '_' and '-'", url);
      return WD_ERR_INVAL;
    }
  memcpy(brokers, b, bl);
  brokers[bl] = 0;
  memcpy(topic, slash + 1, tl + 1);
  return WD_OK;
}

wd_rc wd_fleet_props_add(wd_fleet_props_t *p, const char *s, char *err,
                         size_t errlen) {
  if (!s || !*s)
    return WD_OK;
  size_t old = 0;
  for (size_t i = 0; i < p->n; i++)
    old += strlen(p->v[i]) + 1;
  size_t add = strlen(s) + 1;
  char *nb = malloc(old + add);
  if (!nb)
    return WD_ERR_NOMEM;
  /* copy the words kept so far, then re-point them */
  size_t off = 0;
  for (size_t i = 0; i < p->n; i++) {
    size_t l = strlen(p->v[i]) + 1;
    memcpy(nb + off, p->v[i], l);
    p->v[i] = nb + off;
    off += l;
  }
  memcpy(nb + off, s, add);
  free(p->buf);
  p->buf = nb;
  for (char *w = strtok(nb + off, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
    if (p->n == WD_FLEET_PROPS_MAX) {
      snprintf(err, errlen, "more than %d kafka properties",
               WD_FLEET_PROPS_MAX);
      return WD_ERR_FULL;
    }
    const char *eq = strchr(w, '=');
    if (!eq || eq == w) {
      snprintf(err, errlen, "kafka property '%s': expected key=value", w);
      return WD_ERR_INVAL;
    }
    p->v[p->n++] = w;
  }
  return WD_OK;
}

void wd_fleet_props_fini(wd_fleet_props_t *p) {
  free(p->buf);
  memset(p, 0, sizeof *p);
}

wd_rc wd_fleet_sensor_name(const char *name, char out[65], char *err,
                           size_t errlen) {
  if (name) {
    if (!wd_fleet_sensor_valid(name)) {
      snprintf(err, errlen,
               "sensor name '%s': expected 1 to %d of A-Z a-z 0-9 . _ -", name,
               WD_FLEET_SENSOR_MAX);
      return WD_ERR_INVAL;
    }
    snprintf(out, 65, "%s", name);
    return WD_OK;
  }
  char host[256] = "";
  if (gethostname(host, sizeof host) != 0)
    host[0] = 0;
  host[sizeof host - 1] = 0;
  size_t n = 0;
  while (host[n] && n < WD_FLEET_SENSOR_MAX &&
         (host[n] == '.' || host[n] == '_' || host[n] == '-' ||
          (host[n] >= '0' && host[n] <= '9') ||
          (host[n] >= 'a' && host[n] <= 'z') ||
          (host[n] >= 'A' && host[n] <= 'Z')))
    n++;
  if (n == 0)
    snprintf(out, 65, "localhost");
  else {
    memcpy(out, host, n);
    out[n] = 0;
  }
  return WD_OK;
}
