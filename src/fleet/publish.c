/* publish.c -- the fleet producer (see publish.h). The queue is a byte
 * ring of records [u32 length][u32 spool class][envelope] under one
 * mutex; callers copy in, the thread copies out one record at a time.
 * Everything else -- the spool, the librdkafka handle, its delivery
 * reports (served by rd_kafka_poll in the thread) -- belongs to the thread,
 * so none of it needs a lock. The thread publishes a snapshot of its
 * counters after every round for wd_publish_stats and _flush. */
#include "fleet/publish.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "fleet/kafka_int.h"

#define QREC_HDR 8u
#define ROUND_RECORDS 256 /* queue records moved to the spool per round */
#define IDLE_WAIT_MS 20   /* the thread's nap when there is nothing to do */

struct wd_publish {
  char *brokers, *topic, *version;
  char **props;
  size_t n_props;
  wd_fleet_id_t base; /* sensor and run; seq unused */
  _Atomic uint64_t seq;
  uint32_t frame_snap, alert_wait_ms, inflight_max, retry_ms, heartbeat_ms;

  /* Queue: under qmu. */
  pthread_mutex_t qmu;
  pthread_cond_t qwork, qspace;
  uint8_t *ring;
  size_t cap;
  uint64_t head, tail, qn;
  bool closing, stop;
  uint32_t close_ms;
  uint64_t queued, dropped_frames, alerts_waited, alerts_dropped, encode_errors;

  /* Thread only. */
  pthread_t th;
  bool started;
  rd_kafka_t *rk;
  wd_spool_t *sp;
  uint8_t *rec; /* one spool record */
  uint64_t replay_after_ms;
  bool fatal;
  uint64_t lost_logged;
  wd_publish_stats_t t; /* thread's counters (queue fields unused) */
  uint64_t accounted;   /* queue records taken by the thread */

  /* Snapshot of t, under smu. */
  pthread_mutex_t smu;
  pthread_cond_t sdone;
  wd_publish_stats_t snap;
  uint64_t snap_accounted;
};

const char *wd_broker_state_name(wd_broker_state s) {
  switch (s) {
  case WD_BROKER_UP:
    return "up";
  case WD_BROKER_DOWN:
    return "down";
  case WD_BROKER_UNKNOWN:
    break;
  }
  return "unknown";
}

/* --- librdkafka callbacks (run in the thread, inside rd_kafka_poll) ---- */

static bool permanent(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
         e == RD_KAFKA_RESP_ERR_INVALID_RECORD ||
         e == RD_KAFKA_RESP_ERR__INVALID_ARG;
}

static void set_broker(wd_publish_t *p, wd_broker_state s, uint32_t up) {
  if (s != p->t.broker && s == WD_BROKER_DOWN)
    wd_log(WD_LOG_WARN, "fleet",
           "no Kafka broker of %s reachable: messages wait in the spool",
           p->brokers);
  else if (s != p->t.broker && s == WD_BROKER_UP &&
           p->t.broker == WD_BROKER_DOWN)
    wd_log(WD_LOG_INFO, "fleet", "Kafka brokers of %s reachable again",
           p->brokers);
  p->t.broker = s;
  p->t.brokers_up = up;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  wd_publish_t *p = opaque;
  uint64_t rsn = (uint64_t)(uintptr_t)m->_private;
  if (p->t.inflight)
    p->t.inflight--;
  if (!m->err) {
    p->t.delivered++;
    if (rsn)
      wd_spool_ack(p->sp, rsn);
    if (p->t.broker != WD_BROKER_UP)
      set_broker(p, WD_BROKER_UP, p->t.brokers_up ? p->t.brokers_up : 1);
  } else if (permanent(m->err)) {
    p->t.rejected++;
    wd_log(WD_LOG_ERROR, "fleet",
           "message of %zu bytes to %s refused for good: %s", m->len, p->topic,
           rd_kafka_err2str(m->err));
    if (rsn)
      wd_spool_ack(p->sp, rsn); /* would block the spool forever */
  } else {
    p->t.failed++;
    if (rsn)
      wd_spool_nack(p->sp, rsn);
    p->replay_after_ms = wd_fleet_now_ms() + p->retry_ms;
  }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
  (void)rk;
  wd_publish_t *p = opaque;
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    p->fatal = true;
  } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    set_broker(p, WD_BROKER_DOWN, 0);
  } else {
    wd_log(WD_LOG_DEBUG, "fleet", "kafka: %s", reason);
  }
}

/* librdkafka statistics (statistics.interval.ms): brokers in state UP. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  (void)rk;
  wd_publish_t *p = opaque;
  json_t *o = json_loadb(json, len, 0, NULL);
  json_t *brokers = o ? json_object_get(o, "brokers") : NULL;
  if (json_is_object(brokers)) {
    uint32_t up = 0;
    const char *k;
    json_t *b;
    json_object_foreach(brokers, k, b) {
      json_t *id = json_object_get(b, "nodeid");
      json_t *st = json_object_get(b, "state");
      if (json_is_integer(id) && json_integer_value(id) >= 0 &&
          json_is_string(st) && strcmp(json_string_value(st), "UP") == 0)
        up++;
    }
    set_broker(p, up ? WD_BROKER_UP : WD_BROKER_DOWN, up);
  }
  json_decref(o);
  return 0; /* librdkafka frees json */
}

static const char *const only_true[] = {"true", NULL};
static const char *const only_all[] = {"all", "-1", NULL};
static const wd_kafka_guard_t producer_guards[] = {
    {"enable.idempotence", only_true},
    {"acks", only_all},
    {"request.required.acks", only_all},
    {"bootstrap.servers", NULL},
    {NULL, NULL}};

static wd_rc create_producer(wd_publish_t *p, char *err, size_t errlen) {
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  char cid[WD_FLEET_SENSOR_MAX + 8];
  snprintf(cid, sizeof cid, "ward-%s", p->base.sensor);
  wd_rc rc;
  if ((rc = wd_kafka_set(c, "bootstrap.servers", p->brokers, err, errlen)) ||
      (rc = wd_kafka_set(c, "client.id", cid, err, errlen)) ||
      (rc = wd_kafka_set(c, "enable.idempotence", "true", err, errlen)) ||
      (rc = wd_kafka_set(c, "acks", "all", err, errlen)) ||
      (rc = wd_kafka_set(c, "statistics.interval.ms", "1000", err, errlen)) ||
      (rc = wd_kafka_apply(c, (const char *const *)p->props, p->n_props,
                           producer_guards, err, errlen))) {
    rd_kafka_conf_destroy(c);
    return rc;
  }
  rd_kafka_conf_set_opaque(c, p);
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_conf_set_error_cb(c, error_cb);
  rd_kafka_conf_set_stats_cb(c, stats_cb);
  wd_kafka_log_to_ward(c);
  char why[512];
  p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof why);
  if (!p->rk) {
    rd_kafka_conf_destroy(c);
    snprintf(err, errlen, "kafka producer for %s: %s", p->brokers, why);
    return WD_ERR_CONFIG;
  }
  return WD_OK;
}

/* --- producing --------------------------------------------------------- */

static rd_kafka_resp_err_t
produce_env(wd_publish_t *p, const wd_fleet_envelope_t *e, uint64_t rsn) {
  char id[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&e->id, id);
  const char *kind = wd_fleet_kind_name(e->kind);
  rd_kafka_resp_err_t r = rd_kafka_producev(
      p->rk, RD_KAFKA_V_TOPIC(p->topic),
      RD_KAFKA_V_KEY((void *)e->key, e->key_len),
      RD_KAFKA_V_VALUE((void *)e->payload, e->payload_len),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER(WD_FLEET_HDR_KIND, kind, (ssize_t)strlen(kind)),
      RD_KAFKA_V_HEADER(WD_FLEET_HDR_ID, id, (ssize_t)strlen(id)),
      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)rsn), RD_KAFKA_V_END);
  if (!r) {
    p->t.produced++;
    p->t.inflight++;
  }
  return r;
}

/* Produces waiting spool records, oldest first, within inflight_max. */
static void replay(wd_publish_t *p) {
  if (wd_fleet_now_ms() < p->replay_after_ms)
    return;
  while (p->t.inflight < p->inflight_max) {
    uint64_t rsn;
    wd_spool_class cls;
    size_t len;
    if (wd_spool_next(p->sp, &rsn, &cls, p->rec, WD_SPOOL_RECORD_MAX, &len) !=
        WD_OK)
      return;
    wd_fleet_envelope_t e;
    char why[160];
    if (wd_fleet_envelope_decode(p->rec, len, &e, why, sizeof why) != WD_OK) {
      wd_log(WD_LOG_ERROR, "fleet", "spool record %" PRIu64 ": %s: dropped",
             rsn, why);
      p->t.rejected++;
      wd_spool_ack(p->sp, rsn);
      continue;
    }
    rd_kafka_resp_err_t r = produce_env(p, &e, rsn);
    if (!r)
      continue;
    if (permanent(r)) {
      wd_log(WD_LOG_ERROR, "fleet", "message %" PRIu64 " refused for good: %s",
             e.id.seq, rd_kafka_err2str(r));
      p->t.rejected++;
      wd_spool_ack(p->sp, rsn);
      continue;
    }
    wd_spool_nack(p->sp, rsn);
    if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      p->replay_after_ms = wd_fleet_now_ms() + p->retry_ms;
    return;
  }
}

/* Spools one record taken from the queue (in p->rec). */
static void spool_one(wd_publish_t *p, wd_spool_class cls, size_t len) {
  wd_rc rc = wd_spool_append(p->sp, cls, p->rec, len, NULL);
  if (rc == WD_OK) {
    p->t.spooled++;
    return;
  }
  wd_fleet_envelope_t e;
  if (wd_fleet_envelope_decode(p->rec, len, &e, NULL, 0) != WD_OK)
    return; /* cannot happen: we encoded it */
  if (rc == WD_ERR_FULL) {
    p->t.spool_refused++;
    if (cls == WD_SPOOL_KEEP && p->lost_logged++ % 1000 == 0)
      wd_log(WD_LOG_ERROR, "fleet",
             "spool full up to its hard cap: alert %" PRIu64 " lost (%" PRIu64
             " so far)",
             e.id.seq, p->lost_logged);
    return;
  }
  /* The disk failed: send it anyway, without the crash guarantee. */
  if (produce_env(p, &e, 0) == RD_KAFKA_RESP_ERR_NO_ERROR)
    p->t.unspooled++;
  else
    p->t.spool_refused++;
}

/* Moves up to max records from the queue into the spool. */
static size_t drain(wd_publish_t *p, size_t max, bool *stop) {
  size_t moved = 0;
  while (moved < max) {
    pthread_mutex_lock(&p->qmu);
    *stop = p->stop;
    if (p->head == p->tail) {
      pthread_mutex_unlock(&p->qmu);
      break;
    }
    uint8_t h[QREC_HDR];
    for (unsigned i = 0; i < QREC_HDR; i++)
      h[i] = p->ring[(p->head + i) % p->cap];
    uint32_t len, cls;
    memcpy(&len, h, 4);
    memcpy(&cls, h + 4, 4);
    size_t off = (size_t)((p->head + QREC_HDR) % p->cap);
    size_t first = len < p->cap - off ? len : p->cap - off;
    memcpy(p->rec, p->ring + off, first);
    memcpy(p->rec + first, p->ring, len - first);
    p->head += QREC_HDR + len;
    p->qn--;
    pthread_cond_broadcast(&p->qspace);
    pthread_mutex_unlock(&p->qmu);
    spool_one(p, (wd_spool_class)cls, len);
    p->accounted++;
    moved++;
  }
  return moved;
}

static void heartbeat_self(wd_publish_t *p) {
  wd_fleet_heartbeat_t hb;
  memset(&hb, 0, sizeof hb);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  hb.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  hb.version = p->version;
  wd_spool_stats_t ss;
  wd_spool_stats(p->sp, &ss);
  const struct {
    const char *n;
    uint64_t v;
  } c[] = {{"fleet.produced", p->t.produced},
           {"fleet.delivered", p->t.delivered},
           {"fleet.failed", p->t.failed},
           {"fleet.rejected", p->t.rejected},
           {"fleet.spool_bytes", ss.bytes},
           {"fleet.spool_records", ss.records},
           {"fleet.spool_dropped", ss.dropped},
           {"fleet.spool_refused", p->t.spool_refused}};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    hb.counters[i].name = c[i].n;
    hb.counters[i].value = c[i].v;
  }
  hb.n_counters = sizeof c / sizeof c[0];
  wd_publish_heartbeat(p, &hb);
}

static void snapshot(wd_publish_t *p) {
  wd_spool_stats(p->sp, &p->t.spool);
  pthread_mutex_lock(&p->smu);
  p->snap = p->t;
  p->snap_accounted = p->accounted;
  pthread_cond_broadcast(&p->sdone);
  pthread_mutex_unlock(&p->smu);
}

/* After a fatal error (an idempotence guarantee broken): a new producer,
 * everything in flight produced again from the spool. */
static void reset_producer(wd_publish_t *p) {
  char why[512];
  rd_kafka_fatal_error(p->rk, why, sizeof why);
  wd_log(WD_LOG_ERROR, "fleet",
         "kafka producer failed (%s): starting a new one, undelivered "
         "messages are sent again from the spool",
         why);
  rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(p->rk, 0);
  rd_kafka_destroy(p->rk);
  p->rk = NULL;
  p->fatal = false;
  p->t.inflight = 0;
  wd_spool_rewind(p->sp);
  char err[512];
  if (create_producer(p, err, sizeof err) != WD_OK) {
    /* The configuration was good before: retry on the next round. */
    wd_log(WD_LOG_ERROR, "fleet", "%s", err);
    p->fatal = true;
    return;
  }
  p->t.resets++;
}

static void *run(void *arg) {
  wd_publish_t *p = arg;
  uint64_t last_acks = wd_fleet_now_ms(), last_hb = last_acks;
  bool stop = false;
  for (;;) {
    size_t moved = drain(p, ROUND_RECORDS, &stop);
    if (moved)
      wd_spool_sync(p->sp); /* durable before it is produced */
    if (p->fatal)
      reset_producer(p);
    if (p->rk) {
      replay(p);
      rd_kafka_poll(p->rk, 0);
    }
    uint64_t now = wd_fleet_now_ms();
    if (now - last_acks >= 1000) {
      wd_spool_sync_acks(p->sp);
      last_acks = now;
    }
    if (p->heartbeat_ms && now - last_hb >= p->heartbeat_ms && !stop) {
      heartbeat_self(p);
      last_hb = now;
    }
    snapshot(p);
    if (stop)
      break;
    if (!moved) {
      pthread_mutex_lock(&p->qmu);
      if (p->head == p->tail && !p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += IDLE_WAIT_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->qwork, &p->qmu, &ts);
      }
      pthread_mutex_unlock(&p->qmu);
    }
  }
  /* Closing: everything queued goes to the spool, then deliver what can
   * be delivered before the deadline; the rest stays in the spool. */
  while (drain(p, SIZE_MAX, &stop))
    ;
  wd_spool_sync(p->sp);
  uint64_t deadline = wd_fleet_now_ms() + p->close_ms;
  while (p->rk && wd_fleet_now_ms() < deadline) {
    if (p->fatal)
      break;
    replay(p);
    wd_spool_stats_t ss;
    wd_spool_stats(p->sp, &ss);
    if (p->t.inflight == 0 && ss.records == 0)
      break;
    rd_kafka_poll(p->rk, 10);
  }
  if (p->rk) {
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(p->rk, 1000); /* serves the purged messages' reports */
  }
  wd_spool_sync_acks(p->sp);
  snapshot(p);
  return NULL;
}

/* --- the caller's side ------------------------------------------------- */

static wd_rc enqueue(wd_publish_t *p, wd_spool_class cls, const uint8_t *env,
                     size_t len) {
  size_t need = QREC_HDR + len;
  if (len > WD_SPOOL_RECORD_MAX || need > p->cap)
    return WD_ERR_INVAL;
  pthread_mutex_lock(&p->qmu);
  if (p->closing) {
    pthread_mutex_unlock(&p->qmu);
    return WD_ERR_STATE;
  }
  if (p->tail - p->head + need > p->cap) {
    if (cls != WD_SPOOL_KEEP) {
      p->dropped_frames++;
      pthread_mutex_unlock(&p->qmu);
      return WD_ERR_FULL;
    }
    p->alerts_waited++;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += p->alert_wait_ms / 1000;
    ts.tv_nsec += (long)(p->alert_wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    while (p->tail - p->head + need > p->cap && !p->closing)
      if (pthread_cond_timedwait(&p->qspace, &p->qmu, &ts) == ETIMEDOUT)
        break;
    if (p->tail - p->head + need > p->cap || p->closing) {
      p->alerts_dropped++;
      uint64_t n = p->alerts_dropped;
      pthread_mutex_unlock(&p->qmu);
      wd_log(WD_LOG_ERROR, "fleet",
             "publish queue full for %u ms: alert dropped (%" PRIu64 " so far)",
             p->alert_wait_ms, n);
      return WD_ERR_FULL;
    }
  }
  uint8_t h[QREC_HDR];
  uint32_t l32 = (uint32_t)len, c32 = (uint32_t)cls;
  memcpy(h, &l32, 4);
  memcpy(h + 4, &c32, 4);
  for (unsigned i = 0; i < QREC_HDR; i++)
    p->ring[(p->tail + i) % p->cap] = h[i];
  size_t off = (size_t)((p->tail + QREC_HDR) % p->cap);
  size_t first = len < p->cap - off ? len : p->cap - off;
  memcpy(p->ring + off, env, first);
  memcpy(p->ring, env + first, len - first);
  p->tail += need;
  p->qn++;
  p->queued++;
  pthread_cond_signal(&p->qwork);
  pthread_mutex_unlock(&p->qmu);
  return WD_OK;
}

static void next_id(wd_publish_t *p, wd_fleet_id_t *id) {
  *id = p->base;
  id->seq = atomic_fetch_add(&p->seq, 1) + 1;
}

static void count_encode_error(wd_publish_t *p) {
  pthread_mutex_lock(&p->qmu);
  p->encode_errors++;
  pthread_mutex_unlock(&p->qmu);
}

/* Wraps payload in an envelope and queues it. */
static wd_rc queue_msg(wd_publish_t *p, wd_fleet_kind kind,
                       const wd_fleet_id_t *id, const char *key, size_t key_len,
                       const uint8_t *payload, size_t len, wd_spool_class cls) {
  wd_fleet_envelope_t e = {kind, *id, key, key_len, payload, len};
  size_t n = wd_fleet_envelope_size(&e), got;
  uint8_t *buf = malloc(n);
  if (!buf)
    return WD_ERR_NOMEM;
  wd_rc rc = wd_fleet_envelope_encode(&e, buf, n, &got);
  if (rc == WD_OK)
    rc = enqueue(p, cls, buf, got);
  else
    count_encode_error(p);
  free(buf);
  return rc;
}

wd_rc wd_publish_alert(wd_publish_t *p, const wd_alert_t *a,
                       const wd_fleet_facility_t *fac) {
  wd_fleet_id_t id;
  next_id(p, &id);
  char *json;
  size_t len;
  wd_rc rc = wd_fleet_encode_alert(&id, a, fac, &json, &len);
  if (rc != WD_OK) {
    count_encode_error(p);
    wd_log(WD_LOG_ERROR, "fleet", "alert of %s not publishable: %s",
           a->detector ? a->detector : "?", wd_rc_str(rc));
    return rc;
  }
  char key[WD_FLEET_KEY_MAX + 1];
  size_t kl = wd_fleet_key(fac, &a->dst, key);
  rc = queue_msg(p, WD_FLEET_ALERT, &id, key, kl, (const uint8_t *)json, len,
                 WD_SPOOL_KEEP);
  free(json);
  return rc;
}

wd_rc wd_publish_frame(wd_publish_t *p, const char *key,
                       const wd_fleet_frame_t *f) {
  wd_fleet_frame_t c = *f;
  if (c.cap_len > p->frame_snap)
    c.cap_len = p->frame_snap;
  wd_fleet_id_t id;
  next_id(p, &id);
  size_t n = wd_fleet_frame_size(&id, c.cap_len), got;
  uint8_t *buf = malloc(n);
  if (!buf)
    return WD_ERR_NOMEM;
  wd_rc rc = wd_fleet_encode_frame(&id, &c, buf, n, &got);
  size_t kl = key ? strnlen(key, WD_FLEET_KEY_MAX + 1) : 0;
  if (rc == WD_OK && kl > WD_FLEET_KEY_MAX)
    rc = WD_ERR_INVAL;
  if (rc == WD_OK)
    rc = queue_msg(p, WD_FLEET_FRAME, &id, key, kl, buf, got,
                   WD_SPOOL_DROPPABLE);
  else
    count_encode_error(p);
  free(buf);
  return rc;
}

wd_rc wd_publish_heartbeat(wd_publish_t *p, const wd_fleet_heartbeat_t *hb) {
  wd_fleet_id_t id;
  next_id(p, &id);
  char *json;
  size_t len;
  wd_rc rc = wd_fleet_encode_heartbeat(&id, hb, &json, &len);
  if (rc != WD_OK) {
    count_encode_error(p);
    return rc;
  }
  rc = queue_msg(p, WD_FLEET_HEARTBEAT, &id, p->base.sensor,
                 strlen(p->base.sensor), (const uint8_t *)json, len,
                 WD_SPOOL_DROPPABLE);
  free(json);
  return rc;
}

void wd_publish_run(const wd_publish_t *p, uint8_t run[16]) {
  memcpy(run, p->base.run, 16);
}

void wd_publish_stats(wd_publish_t *p, wd_publish_stats_t *out) {
  pthread_mutex_lock(&p->smu);
  *out = p->snap;
  pthread_mutex_unlock(&p->smu);
  pthread_mutex_lock(&p->qmu);
  out->queued = p->queued;
  out->queue_depth = p->qn;
  out->queue_bytes = p->tail - p->head;
  out->dropped_frames = p->dropped_frames;
  out->alerts_waited = p->alerts_waited;
  out->alerts_dropped = p->alerts_dropped;
  out->encode_errors = p->encode_errors;
  pthread_mutex_unlock(&p->qmu);
}

wd_rc wd_publish_flush(wd_publish_t *p, uint32_t timeout_ms) {
  pthread_mutex_lock(&p->qmu);
  uint64_t target = p->queued;
  pthread_mutex_unlock(&p->qmu);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  wd_rc rc = WD_OK;
  pthread_mutex_lock(&p->smu);
  while (p->snap_accounted < target || p->snap.spool.records > 0 ||
         p->snap.inflight > 0) {
    if (pthread_cond_timedwait(&p->sdone, &p->smu, &ts) == ETIMEDOUT) {
      rc = WD_AGAIN;
      break;
    }
  }
  pthread_mutex_unlock(&p->smu);
  return rc;
}

static void publish_free(wd_publish_t *p) {
  if (p->rk)
    rd_kafka_destroy(p->rk);
  wd_spool_close(p->sp);
  for (size_t i = 0; i < p->n_props; i++)
    free(p->props[i]);
  free(p->props);
  free(p->brokers);
  free(p->topic);
  free(p->version);
  free(p->ring);
  free(p->rec);
  pthread_mutex_destroy(&p->qmu);
  pthread_cond_destroy(&p->qwork);
  pthread_cond_destroy(&p->qspace);
  pthread_mutex_destroy(&p->smu);
  pthread_cond_destroy(&p->sdone);
  free(p);
}

wd_rc wd_publish_new(const wd_publish_opts_t *o, wd_publish_t **out, char *err,
                     size_t errlen) {
  *out = NULL;
  if (!o->brokers || !o->brokers[0] || !o->topic || !o->topic[0]) {
    snprintf(err, errlen, "publish: need brokers and a topic");
    return WD_ERR_INVAL;
  }
  if (!wd_fleet_sensor_valid(o->sensor)) {
    snprintf(err, errlen,
             "publish: sensor name \"%s\": expected 1..%d of [A-Za-z0-9._-]",
             o->sensor ? o->sensor : "", WD_FLEET_SENSOR_MAX);
    return WD_ERR_INVAL;
  }
  if (o->inflight_max > 100000 ||
      (o->frame_snap && o->frame_snap > WD_FLEET_FRAME_SNAP_MAX)) {
    snprintf(err, errlen,
             "publish: inflight_max at most 100000, frame_snap at most %u",
             WD_FLEET_FRAME_SNAP_MAX);
    return WD_ERR_INVAL;
  }
  wd_publish_t *p = calloc(1, sizeof *p);
  if (!p)
    return WD_ERR_NOMEM;
  pthread_mutex_init(&p->qmu, NULL);
  pthread_cond_init(&p->qwork, NULL);
  pthread_cond_init(&p->qspace, NULL);
  pthread_mutex_init(&p->smu, NULL);
  pthread_cond_init(&p->sdone, NULL);
  wd_rc rc = WD_ERR_NOMEM;
  p->brokers = strdup(o->brokers);
  p->topic = strdup(o->topic);
  p->version = o->version ? strdup(o->version) : NULL;
  p->cap = o->queue_bytes ? o->queue_bytes : (4u << 20);
  if (p->cap < 64 * 1024)
    p->cap = 64 * 1024;
  p->ring = malloc(p->cap);
  p->rec = malloc(WD_SPOOL_RECORD_MAX);
  p->props = o->n_props ? calloc(o->n_props, sizeof *p->props) : NULL;
  if (!p->brokers || !p->topic || !p->ring || !p->rec ||
      (o->version && !p->version) || (o->n_props && !p->props))
    goto fail;
  for (size_t i = 0; i < o->n_props; i++) {
    p->props[i] = strdup(o->props[i] ? o->props[i] : "");
    if (!p->props[i])
      goto fail;
    p->n_props++;
  }
  snprintf(p->base.sensor, sizeof p->base.sensor, "%s", o->sensor);
  if ((rc = wd_fleet_run_new(p->base.run)) != WD_OK) {
    snprintf(err, errlen, "publish: no random run id: %s", strerror(errno));
    goto fail;
  }
  p->frame_snap = o->frame_snap ? o->frame_snap : 2048;
  p->alert_wait_ms = o->alert_wait_ms ? o->alert_wait_ms : 5000;
  p->inflight_max = o->inflight_max ? o->inflight_max : 10000;
  p->retry_ms = o->retry_ms ? o->retry_ms : 500;
  p->heartbeat_ms = o->heartbeat_ms;
  if ((rc = wd_spool_open(&o->spool, &p->sp, err, errlen)) != WD_OK)
    goto fail;
  if ((rc = create_producer(p, err, errlen)) != WD_OK)
    goto fail;
  snapshot(p);
  if (pthread_create(&p->th, NULL, run, p) != 0) {
    snprintf(err, errlen, "publish: cannot start its thread");
    rc = WD_ERR_NOMEM;
    goto fail;
  }
  p->started = true;
  *out = p;
  return WD_OK;
fail:
  publish_free(p);
  return rc;
}

void wd_publish_close(wd_publish_t *p, uint32_t timeout_ms,
                      wd_publish_stats_t *final) {
  if (!p)
    return;
  pthread_mutex_lock(&p->qmu);
  p->closing = true;
  p->stop = true;
  p->close_ms = timeout_ms;
  pthread_cond_broadcast(&p->qwork);
  pthread_cond_broadcast(&p->qspace);
  pthread_mutex_unlock(&p->qmu);
  if (p->started)
    pthread_join(p->th, NULL);
  if (final)
    wd_publish_stats(p, final);
  publish_free(p);
}
