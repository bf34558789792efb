/* serve_sensor.c -- the sensor's counters as Prometheus text, for `ward
 * watch --metrics ADDR:PORT`: packets, bytes, decode errors, the kernel's
 * drops, flows, each table's entries, cap hits and memory, alerts by
 * detector, what the engine's queue dropped. Names ward_sensor_..._total
 * for counters, bytes and seconds as base units.
 * In: snapshots from the engine's worker thread (wd_sensor_metrics_update,
 * copied under this holder's mutex). Out: text rendered on the metrics
 * server's thread from the latest copy. The packet thread is never
 * involved: the engine builds the snapshot there and queues it, as for
 * the EVE stats event. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "output/stats.h"
#include "serve/serve.h"

struct wd_sensor_metrics {
  pthread_mutex_t mu;
  bool have;
  wd_stats_snapshot_t s;
};

wd_sensor_metrics_t *wd_sensor_metrics_new(void) {
  wd_sensor_metrics_t *m = calloc(1, sizeof *m);
  if (m)
    pthread_mutex_init(&m->mu, NULL);
  return m;
}

void wd_sensor_metrics_free(wd_sensor_metrics_t *m) {
  if (!m)
    return;
  pthread_mutex_destroy(&m->mu);
  free(m);
}

void wd_sensor_metrics_update(void *user, const wd_stats_snapshot_t *s) {
  wd_sensor_metrics_t *m = user;
  pthread_mutex_lock(&m->mu);
  m->s = *s;
  m->s.files = NULL; /* the engine reuses its file lists */
  m->s.nfiles = 0;
  m->have = true;
  pthread_mutex_unlock(&m->mu);
}

static void one(wd_strbuf_t *b, const char *name, const char *type,
                const char *help, uint64_t v) {
  wd_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name,
                   help, name, type, name, v);
}

static void head(wd_strbuf_t *b, const char *name, const char *type,
                 const char *help) {
  wd_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labelled(wd_strbuf_t *b, const char *name, const char *key,
                     const char *val, uint64_t v) {
  wd_strbuf_printf(b, "%s{%s=\"%s\"} %" PRIu64 "\n", name, key, val, v);
}

/* The per-detector counter a family shows. */
enum { DET_ALERTS, DET_MEMUSE, DET_EVICTED };

/* A family with a sample per detector: every detector for its alerts,
 * those that hold state for their memory and evictions. */
static void by_detector(wd_strbuf_t *b, const wd_stats_snapshot_t *s,
                        const char *name, const char *type, const char *help,
                        int which) {
  head(b, name, type, help);
  for (size_t i = 0; i < s->ndet && i < WD_DETECTORS_MAX; i++) {
    if (!s->det[i].name || (which != DET_ALERTS && !s->det[i].memuse))
      continue;
    uint64_t v = which == DET_ALERTS   ? s->det[i].alerts
                 : which == DET_MEMUSE ? s->det[i].memuse
                                       : s->det[i].evicted;
    labelled(b, name, "detector", s->det[i].name, v);
  }
}

void wd_sensor_metrics_render(void *user, wd_strbuf_t *b) {
  wd_sensor_metrics_t *m = user;
  wd_stats_snapshot_t s;
  pthread_mutex_lock(&m->mu);
  bool have = m->have;
  s = m->s;
  pthread_mutex_unlock(&m->mu);
  if (!have)
    memset(&s, 0, sizeof s);
  one(b, "ward_sensor_up", "gauge",
      "1 once the engine has counted (a snapshot is there).", have);
  one(b, "ward_sensor_traffic_seconds", "gauge", "Traffic time covered so far.",
      s.uptime_s);
  one(b, "ward_sensor_packets_total", "counter", "Frames read.", s.dec.pkts);
  one(b, "ward_sensor_bytes_total", "counter", "Bytes of the frames read.",
      s.dec.bytes);
  one(b, "ward_sensor_decode_errors_total", "counter",
      "Frames with a decoding error.", s.dec.decode_errors);
  one(b, "ward_sensor_capture_received_total", "counter",
      "Packets the kernel received for the capture (live only).",
      s.live.received);
  one(b, "ward_sensor_capture_drops_total", "counter",
      "Packets the kernel dropped: no room in the capture buffer.",
      s.live.dropped);
  one(b, "ward_sensor_capture_interface_drops_total", "counter",
      "Packets the interface dropped.", s.live.ifdropped);
  one(b, "ward_sensor_flows_created_total", "counter", "Flows created.",
      s.flow.created);
  one(b, "ward_sensor_flows_active", "gauge", "Flows in the table now.",
      s.flow.active);
  one(b, "ward_sensor_flows_timed_out_total", "counter", "Flows timed out.",
      s.flow.timed_out);
  one(b, "ward_sensor_flows_evicted_total", "counter",
      "Flows recycled while still active (table full).", s.flow.evicted);
  head(b, "ward_sensor_table_entries", "gauge", "Entries of each table now.");
  labelled(b, "ward_sensor_table_entries", "table", "flow", s.flow.active);
  head(b, "ward_sensor_table_cap_hits_total", "counter",
       "Times a table's entry or memory cap stopped its growth.");
  labelled(b, "ward_sensor_table_cap_hits_total", "table", "flow",
           s.flow.cap_hits);
  labelled(b, "ward_sensor_table_cap_hits_total", "table", "detect",
           s.detect_mc.hits);
  head(b, "ward_sensor_table_memory_bytes", "gauge",
       "Memory each table holds now.");
  labelled(b, "ward_sensor_table_memory_bytes", "table", "flow", s.flow.memuse);
  labelled(b, "ward_sensor_table_memory_bytes", "table", "detect",
           s.detect_mc.used);
  head(b, "ward_sensor_table_memory_limit_bytes", "gauge",
       "Memory each table may hold (its memcap).");
  labelled(b, "ward_sensor_table_memory_limit_bytes", "table", "flow",
           s.flow.memcap);
  labelled(b, "ward_sensor_table_memory_limit_bytes", "table", "detect",
           s.detect_mc.cap);
  by_detector(b, &s, "ward_sensor_detector_memory_bytes", "gauge",
              "Memory each detector's state holds now (its part of detect).",
              DET_MEMUSE);
  by_detector(
      b, &s, "ward_sensor_detector_evicted_total", "counter",
      "Live entries a detector's tables recycled because they were full.",
      DET_EVICTED);
  by_detector(b, &s, "ward_sensor_alerts_total", "counter",
              "Alerts by detector.", DET_ALERTS);
  head(b, "ward_sensor_engine_dropped_total", "counter",
       "Records the engine's queue could not take, by kind.");
  labelled(b, "ward_sensor_engine_dropped_total", "kind", "evidence_frame",
           s.engine.frames_dropped);
  labelled(b, "ward_sensor_engine_dropped_total", "kind", "flow",
           s.engine.flows_dropped);
  labelled(b, "ward_sensor_engine_dropped_total", "kind", "tick",
           s.engine.ticks_dropped);
  labelled(b, "ward_sensor_engine_dropped_total", "kind", "stats",
           s.engine.stats_dropped);
  one(b, "ward_sensor_engine_queue_waits_total", "counter",
      "Times the packet thread waited for room in the queue.", s.engine.waits);
}
