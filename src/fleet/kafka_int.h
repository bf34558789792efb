/* kafka_int.h -- helpers shared by publish.c and consume.c: librdkafka
 * configuration from ward's options and the user's "key=value" properties,
 * and a monotonic clock. Not an API outside src/fleet. */
#ifndef WD_FLEET_KAFKA_INT_H
#define WD_FLEET_KAFKA_INT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* A property ward sets itself: the user may repeat it only with one of
 * the values in ok (NULL-ended; ok NULL: not at all). */
typedef struct wd_kafka_guard {
  const char *key;
  const char *const *ok;
} wd_kafka_guard_t;

/* Sets one property; err names it and gives librdkafka's reason. */
wd_rc wd_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *val,
                   char *err, size_t errlen);
/* Applies the user's properties ("key=value"), refusing those guards
 * forbid. */
wd_rc wd_kafka_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n,
                     const wd_kafka_guard_t *guards, char *err, size_t errlen);

/* Routes librdkafka's own log lines through wd_log (area "kafka"):
 * syslog levels 0..3 as warnings, 4..5 as info, the rest as debug. */
void wd_kafka_log_to_ward(rd_kafka_conf_t *conf);

uint64_t wd_fleet_now_ms(void);

#endif
