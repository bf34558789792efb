/* store_fleet.c -- the fleet messages the centre has stored (store.h,
 * "fleet messages"): ward ingest asks whether a message id is known
 * before it correlates the message, and records the id in the same
 * transaction that stores the message's effect, so a message delivered
 * again (Kafka is at least once) changes nothing. Written once over the
 * statement interface (store_int.h) for both engines.
 * In: message ids, sensors, kinds and times (borrowed). Out: yes/no, and
 * per-sensor counts for `ward ingest --status` (a malloc'ed array). */
#include <stdlib.h>

#include "store/store_int.h"

#define FLEET_PREP(st, s, q)                                                   \
  wd_store_stmt_t *st = st_prep((s), (q));                                     \
  if (!st)                                                                     \
  return WD_ERR_IO

wd_rc wd_store_fleet_seen(wd_store_t *s, const char *id, bool *seen) {
  *seen = false;
  FLEET_PREP(st, s, Q_FLEET_SEEN);
  st_text(st, 1, id);
  wd_rc r = st_step(st);
  st_done(st);
  if (r == WD_OK)
    *seen = true;
  return r == WD_OK || r == WD_END ? WD_OK : r;
}

wd_rc wd_store_fleet_mark(wd_store_t *s, const char *id, const char *sensor,
                          const char *kind, uint64_t event_ns,
                          uint64_t stored_ns) {
  FLEET_PREP(st, s, Q_FLEET_MARK);
  st_text(st, 1, id);
  st_text(st, 2, sensor);
  st_text(st, 3, kind);
  st_u64(st, 4, event_ns);
  st_u64(st, 5, stored_ns);
  return wd_store_run(st);
}

wd_rc wd_store_fleet_sensors(wd_store_t *s, uint64_t since_ns,
                             wd_store_fleet_sensor_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  FLEET_PREP(st, s, Q_FLEET_SENSORS);
  st_u64(st, 1, since_ns);
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      void *na = realloc(*out, nc * sizeof **out);
      if (!na) {
        r = WD_ERR_NOMEM;
        break;
      }
      *out = na;
      cap = nc;
    }
    wd_store_fleet_sensor_t *x = &(*out)[(*n)++];
    col_copy(st, 0, x->name, sizeof x->name);
    x->messages = col_u64(st, 1);
    x->alerts = col_u64(st, 2);
    x->last_event_ns = col_u64(st, 3);
    x->last_stored_ns = col_u64(st, 4);
    x->recent_messages = col_u64(st, 5);
    x->recent_alerts = col_u64(st, 6);
  }
  st_done(st);
  if (r != WD_END) {
    free(*out);
    *out = NULL;
    *n = 0;
    return r;
  }
  return WD_OK;
}

wd_rc wd_store_incident_expire(wd_store_t *s, uint64_t last_ns, uint64_t *n) {
  FLEET_PREP(st, s, Q_INC_EXPIRE);
  st_u64(st, 1, last_ns);
  wd_rc r = st_step(st);
  uint64_t changed = s->e->changes(st);
  st_done(st);
  if (n)
    *n = changed;
  return r == WD_OK || r == WD_END ? WD_OK : r;
}
