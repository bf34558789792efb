/* kafka_conf.c -- librdkafka configuration helpers (see kafka_int.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "fleet/kafka_int.h"

wd_rc wd_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *val,
                   char *err, size_t errlen) {
  char why[256];
  if (rd_kafka_conf_set(conf, key, val, why, sizeof why) != RD_KAFKA_CONF_OK) {
    snprintf(err, errlen, "kafka property %s=%s: %s", key, val, why);
    return WD_ERR_CONFIG;
  }
  return WD_OK;
}

wd_rc wd_kafka_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n,
                     const wd_kafka_guard_t *guards, char *err, size_t errlen) {
  for (size_t i = 0; i < n; i++) {
    const char *p = props[i];
    const char *eq = p ? strchr(p, '=') : NULL;
    if (!eq || eq == p) {
      snprintf(err, errlen, "kafka property %zu (\"%s\"): expected key=value",
               i + 1, p ? p : "");
      return WD_ERR_CONFIG;
    }
    char key[128];
    size_t kl = (size_t)(eq - p);
    if (kl >= sizeof key) {
      snprintf(err, errlen, "kafka property %zu: key longer than %zu bytes",
               i + 1, sizeof key - 1);
      return WD_ERR_CONFIG;
    }
    memcpy(key, p, kl);
    key[kl] = 0;
    const char *val = eq + 1;
    for (const wd_kafka_guard_t *g = guards; g && g->key; g++) {
      if (strcmp(g->key, key) != 0)
        continue;
      bool ok = false;
      for (const char *const *v = g->ok; v && *v; v++)
        if (strcmp(*v, val) == 0)
          ok = true;
      if (!ok) {
        snprintf(err, errlen,
                 "kafka property %s: ward sets it itself%s%s (it needs this "
                 "for its delivery guarantees)",
                 key, g->ok ? " and only accepts " : "", g->ok ? g->ok[0] : "");
        return WD_ERR_CONFIG;
      }
    }
    wd_rc rc = wd_kafka_set(conf, key, val, err, errlen);
    if (rc != WD_OK)
      return rc;
  }
  return WD_OK;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
  (void)rk;
  wd_log_level l = level <= 3   ? WD_LOG_WARN
                   : level <= 5 ? WD_LOG_INFO
                                : WD_LOG_DEBUG;
  wd_log(l, "kafka", "%s: %s", fac, buf);
}

void wd_kafka_log_to_ward(rd_kafka_conf_t *conf) {
  rd_kafka_conf_set_log_cb(conf, log_cb);
}

uint64_t wd_fleet_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
