/* publish.h -- the sensor side of the fleet: alerts, evidence frames and
 * heartbeats to a Kafka topic, at least once, surviving broker outages and
 * restarts.
 * In: wd_publish_alert / _frame / _heartbeat from any thread (the incident
 * worker, the evidence recorder). They encode the message (alert: EVE
 * JSON; frame: binary, cut to frame_snap bytes), give it the next id
 * (sensor, run, sequence) and copy it into a bounded in-memory queue
 * (queue_bytes). They never wait on disk, network or the broker: when the
 * queue is full a frame or heartbeat is dropped at once (dropped_frames),
 * an alert waits for room up to alert_wait_ms (the queue drains to disk,
 * so this is short unless the disk is stuck) and is then dropped and
 * counted (alerts_dropped) and logged.
 * Out: Kafka messages keyed by facility (or target address) with headers
 * ward-kind and ward-id; librdkafka with enable.idempotence=true, acks=all.
 * A background thread of its own moves queued messages into the spool
 * (spool.h; fsynced per batch) and only then produces them, oldest first,
 * at most inflight_max at a time; a delivery report acks the spool record;
 * a failed one puts it back to be produced again after a short pause.
 * While the brokers are unreachable librdkafka retries the messages it
 * holds and the rest wait in the spool; everything is produced when the
 * brokers return, and after a restart the spool's unacked records are
 * produced again with their original ids.
 * Memory: the queue (queue_bytes), the spool's index, librdkafka's buffers
 * for at most inflight_max messages, one scratch record.
 * Threads: one background thread per publisher; the wd_publish_* calls
 * are safe from several threads at once (the queue has one mutex, held
 * only for a copy). */
#ifndef WD_FLEET_PUBLISH_H
#define WD_FLEET_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "detect/alert.h"
#include "fleet/fleet_msg.h"
#include "fleet/spool.h"

typedef enum {
  WD_BROKER_UNKNOWN = 0, /* not yet known (starting) */
  WD_BROKER_UP,          /* at least one broker connected */
  WD_BROKER_DOWN         /* none reachable */
} wd_broker_state;

const char *wd_broker_state_name(wd_broker_state s);

typedef struct wd_publish_opts {
  const char *brokers; /* bootstrap.servers, "host:port,..." */
  const char *topic;
  const char *sensor; /* this sensor's name: 1..64 of [A-Za-z0-9._-] */
  /* librdkafka properties "key=value" passed through (TLS, SASL, tuning);
   * enable.idempotence and acks cannot be weakened (an error). */
  const char *const *props;
  size_t n_props;
  wd_spool_opts_t spool;  /* spool.dir is required */
  size_t queue_bytes;     /* in-memory queue; 0: 4 MiB */
  uint32_t frame_snap;    /* frame bytes kept; 0: 2048 */
  uint32_t alert_wait_ms; /* an alert's wait for queue room; 0: 5000 */
  uint32_t inflight_max;  /* messages handed to librdkafka; 0: 10000 */
  uint32_t retry_ms;      /* pause after a failed delivery; 0: 500 */
  uint32_t heartbeat_ms;  /* own heartbeat with these stats; 0: none */
  const char *version;    /* ward version put into heartbeats, or NULL */
} wd_publish_opts_t;

typedef struct wd_publish_stats {
  uint64_t queued;         /* messages accepted into the queue */
  uint64_t queue_depth;    /* messages in the queue now */
  uint64_t queue_bytes;    /* bytes in the queue now */
  uint64_t dropped_frames; /* frames and heartbeats dropped: queue full */
  uint64_t alerts_waited;  /* alerts that waited for queue room */
  uint64_t alerts_dropped; /* alerts given up after alert_wait_ms */
  uint64_t encode_errors;  /* messages refused by the encoder */
  uint64_t spooled;        /* records appended to the spool */
  uint64_t spool_refused;  /* records the spool refused (full: see
                              spool.h; alerts among them are lost) */
  uint64_t unspooled;      /* produced without the spool (disk error) */
  uint64_t produced;       /* handed to librdkafka (again after failure
                              or restart included) */
  uint64_t delivered;      /* delivery reports: stored by the broker */
  uint64_t failed;         /* delivery reports: error, produced again */
  uint64_t rejected;       /* refused for good (too large...): logged */
  uint64_t inflight;       /* produced, report not yet received */
  uint64_t resets;         /* producer recreated after a fatal error */
  wd_broker_state broker;
  uint32_t brokers_up; /* brokers connected at the last statistics */
  wd_spool_stats_t spool;
} wd_publish_stats_t;

typedef struct wd_publish wd_publish_t;

/* Validates the options, opens (recovers) the spool, creates the producer
 * and starts the thread. A fresh random run id is chosen. err says what
 * was wrong (a property's name and librdkafka's reason). */
wd_rc wd_publish_new(const wd_publish_opts_t *opts, wd_publish_t **out,
                     char *err, size_t errlen);

/* An alert; fac may be NULL (the key is then the target address). */
wd_rc wd_publish_alert(wd_publish_t *p, const wd_alert_t *a,
                       const wd_fleet_facility_t *fac);
/* An evidence frame; key is the partition key of the alert it belongs to
 * (wd_fleet_key), so frames stay beside their alerts. WD_ERR_FULL when
 * dropped (counted). */
wd_rc wd_publish_frame(wd_publish_t *p, const char *key,
                       const wd_fleet_frame_t *f);
/* A heartbeat with the caller's counters, keyed by the sensor name. */
wd_rc wd_publish_heartbeat(wd_publish_t *p, const wd_fleet_heartbeat_t *hb);

/* This run's id (the sequence numbers start at 1). */
void wd_publish_run(const wd_publish_t *p, uint8_t run[16]);
void wd_publish_stats(wd_publish_t *p, wd_publish_stats_t *out);
/* Waits until every message queued so far is delivered, up to timeout_ms;
 * WD_AGAIN when some is still undelivered. */
wd_rc wd_publish_flush(wd_publish_t *p, uint32_t timeout_ms);

/* Stops taking messages, moves the queue into the spool, tries to deliver
 * for up to timeout_ms, then stops: whatever is undelivered stays in the
 * spool for the next start. Fills final (may be NULL). NULL p ok. */
void wd_publish_close(wd_publish_t *p, uint32_t timeout_ms,
                      wd_publish_stats_t *final);

#endif
