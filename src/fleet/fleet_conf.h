/* fleet_conf.h -- the fleet's keys of ward.yaml (sensor.*, publish.*,
 * ingest.*), the kafka://BOOTSTRAP/TOPIC form of --publish and --from, and
 * librdkafka properties written as "key=value" words.
 * In: the configuration file (through the key table wd_fleet_keyset,
 * loaded with the core keys by src/cli), option values. Out: a
 * wd_fleet_conf_t the configuration owns (wd_fleet_conf), parsed URLs and
 * property lists (caller storage; wd_fleet_props_fini frees).
 * Threads: none; reentrant. */
#ifndef WD_FLEET_FLEET_CONF_H
#define WD_FLEET_FLEET_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"

typedef struct wd_fleet_conf {
  char *sensor;            /* sensor.name; NULL: the host name */
  char *brokers;           /* publish.kafka.brokers */
  char *topic;             /* publish.kafka.topic */
  char *properties;        /* publish.kafka.properties: "k=v k=v ..." */
  char *spool_dir;         /* publish.spool.dir */
  uint64_t spool_max;      /* publish.spool.max_size */
  uint32_t heartbeat_ms;   /* publish.heartbeat (0: none) */
  uint32_t close_ms;       /* publish.close_timeout */
  char *group;             /* ingest.group */
  char *ingest_properties; /* ingest.kafka.properties */
  uint32_t batch;          /* ingest.batch: messages per transaction */
} wd_fleet_conf_t;

extern const wd_config_keyset_t wd_fleet_keyset;

/* The fleet keys of cfg (the defaults when cfg was loaded without them).
 * Borrowed until wd_config_free. */
const wd_fleet_conf_t *wd_fleet_conf(const wd_config_t *cfg);

/* Splits "kafka://host:port[,host:port...]/TOPIC" into brokers and topic
 * (each at most 1023 bytes). err says what is wrong with it. */
wd_rc wd_fleet_url_parse(const char *url, char brokers[1024], char topic[1024],
                         char *err, size_t errlen);

/* librdkafka properties: words "key=value" separated by blanks, from the
 * configuration, then any given one by one (-X). */
#define WD_FLEET_PROPS_MAX 64
typedef struct wd_fleet_props {
  char *buf; /* owned: the words */
  const char *v[WD_FLEET_PROPS_MAX];
  size_t n;
} wd_fleet_props_t;

/* Appends the words of s (NULL ok); WD_ERR_FULL past WD_FLEET_PROPS_MAX
 * and WD_ERR_INVAL for a word without '=' (err names it). */
wd_rc wd_fleet_props_add(wd_fleet_props_t *p, const char *s, char *err,
                         size_t errlen);
void wd_fleet_props_fini(wd_fleet_props_t *p);

/* The sensor name: name if given, else the host name (cut at the first
 * character a sensor name may not have). WD_ERR_INVAL (err says why) when
 * the given name is not 1..64 of [A-Za-z0-9._-]. */
wd_rc wd_fleet_sensor_name(const char *name, char out[65], char *err,
                           size_t errlen);

#endif
