/* engine_test.c -- the engine driven on generated captures (trafficgen):
 *  - it reports the same alerts, in the same order, as the packet path run
 *    directly on one thread (decode, flows, hosts, SMB, detectors, ticks:
 *    the loop ward ran before the worker existed, rebuilt here);
 *  - read by the reader thread (engine.reader) or by the packet thread,
 *    two files, one cut short: the same alerts, counts and file errors;
 *  - with 2 or 3 workers (lanes): the same events line for line as one
 *    packet thread (alerts, flows, incidents, stats each second), the
 *    same incidents and evidence in the store;
 *  - with a database, the packet thread is never the store's owner, every
 *    alert reaches the store even when each commit is slowed, and the
 *    evidence is written;
 *  - on a live link (watch rules) with a tiny queue and a stalled worker,
 *    evidence frames are dropped and counted, alerts never;
 *  - on a quiet live link traffic time follows the wall clock (a fake
 *    clock here): stats keep coming before any packet, an attack ends and
 *    its incident closes with no packet after it.
 * The captures are generated in a scratch folder by the trafficgen binary
 * (WARD_TRAFFICGEN, set by the build). */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "engine/engine.h"
#include "flow/flow.h"
#include "proto/app.h"
#include "store/store.h"

#define NSEC 1000000000ull

static char dir[256];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  if (system(cmd) != 0)
    fail_msg("command failed: %s", cmd);
}

static void gen(const char *name, const char *args) {
  sh("%s %s -o %s/%s >/dev/null 2>&1", WARD_TRAFFICGEN, args, dir, name);
}

static int setup(void **st) {
  (void)st;
  snprintf(dir, sizeof dir, "/tmp/ward-engine-test-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  /* a call into the store from any thread but its owner aborts */
  setenv("WARD_STORE_THREAD_CHECK", "abort", 1);
  gen("attacks.pcap",
      "--seed 5 --profile benign --duration 30 --hosts 60 "
      "--attack scan-vertical:at=2 --attack ms17-010:at=6,implant=1 "
      "--attack smb-worm:at=10,count=20 --attack syn-flood:at=16,duration=3 "
      "--attack amplification:at=21,proto=ntp,duration=2");
  /* attacks seen by the detectors that ask for some packets only
   * (WD_PKT_*): a callback on a new flow, TCP services, a SYN flood */
  gen("services.pcap", "--seed 9 --profile benign --duration 60 --hosts 40 "
                       "--attack ms17-010:at=2,implant=1 "
                       "--attack c2-callback:at=8,beacons=6,interval=5 "
                       "--attack brute-force:at=2,proto=ssh --attack "
                       "brute-force:at=12,proto=rdp "
                       "--attack syn-flood:at=30,duration=3");
  gen("flood.pcap", "--seed 7 --profile benign --duration 12 --hosts 20 "
                    "--rate 200 --attack syn-flood:at=2,duration=6,rate=3000");
  return 0;
}

static int teardown(void **st) {
  (void)st;
  sh("rm -rf %s", dir);
  return 0;
}

/* ---- alerts as text, for comparison ---- */

typedef struct alist {
  char **v;
  size_t n, cap;
} alist;

static void alist_add(alist *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = strdup(s);
}

static void alist_free(alist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static void alert_text(char *out, size_t n, const char *det, const char *state,
                       const char *src, const char *dst, uint64_t ts_us,
                       const char *sig) {
  snprintf(out, n, "%s %s %s>%s @%llu %s", det, state, src, dst,
           (unsigned long long)ts_us, sig);
}

/* ---- the reference: the packet path on one thread ---- */

typedef struct ref {
  const wd_config_t *cfg;
  wd_flow_table_t *flows;
  wd_app_t *app;
  const wd_detector_ops_t *ops[WD_DETECTORS_MAX];
  void *state[WD_DETECTORS_MAX];
  size_t n;
  wd_memcap_t mc;
  wd_detect_ctx_t ctx;
  wd_alert_sink_t sink;
  alist alerts;
  uint64_t now, sec;
  bool started;
  size_t cur;    /* detector being called (r->n: none) */
  bool offering; /* inside an on_alert hook */
} ref;

static void ref_alert(void *user, const wd_alert_t *a) {
  ref *r = user;
  if (!r->offering) { /* the other detectors that follow alerts */
    r->offering = true;
    size_t from = r->cur;
    for (size_t i = 0; i < r->n; i++)
      if (i != from && r->state[i] && r->ops[i]->on_alert) {
        r->cur = i;
        r->ops[i]->on_alert(r->state[i], &r->ctx, a);
      }
    r->cur = from;
    r->offering = false;
  }
  char s[WD_ADDR_STRLEN] = "", d[WD_ADDR_STRLEN], line[1024];
  if (a->has_src)
    wd_addr_str(&a->src, s);
  wd_addr_str(&a->dst, d);
  alert_text(line, sizeof line, a->detector, wd_alert_state_name(a->state), s,
             d, a->ts_ns / 1000, a->signature);
  alist_add(&r->alerts, line);
}

static void ref_flow_end(void *user, wd_flow_t *f, wd_flow_end_reason why) {
  (void)why;
  ref *r = user;
  for (size_t i = 0; i < r->n; i++)
    if (r->ops[i]->on_flow_end)
      r->cur = i, r->ops[i]->on_flow_end(r->state[i], &r->ctx, f);
  r->cur = r->n;
  wd_app_flow_end(r->app, f);
}

static void ref_app(void *user, const wd_app_event_t *ev, const wd_flow_t *f,
                    int dir_) {
  ref *r = user;
  for (size_t i = 0; i < r->n; i++)
    if (r->ops[i]->on_app &&
        (r->ops[i]->app_protos & WD_APP_PROTO_BIT(ev->kind))) {
      r->cur = i;
      r->ops[i]->on_app(r->state[i], &r->ctx, ev, f, dir_);
    }
  r->cur = r->n;
}

static void ref_smb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                    int dir_) {
  ref *r = user;
  for (size_t i = 0; i < r->n; i++)
    if (r->ops[i]->on_smb)
      r->cur = i, r->ops[i]->on_smb(r->state[i], &r->ctx, m, f, dir_);
  r->cur = r->n;
}

static void ref_run(const wd_config_t *cfg, const char *path, alist *out) {
  ref *r = calloc(1, sizeof *r);
  r->cfg = cfg;
  r->sink.emit = ref_alert;
  r->sink.user = r;
  assert_int_equal(wd_flow_table_new(cfg, ref_flow_end, r, &r->flows), WD_OK);
  assert_int_equal(wd_app_new(cfg, &r->app), WD_OK);
  r->ctx.cfg = cfg;
  r->ctx.sink = &r->sink;
  wd_memcap_init(&r->mc, "detect", cfg->detect.memcap);
  r->n = wd_detectors_list(r->ops, WD_DETECTORS_MAX);
  for (size_t i = 0; i < r->n; i++)
    assert_int_equal(r->ops[i]->create(cfg, &r->mc, &r->state[i]), WD_OK);
  unsigned app_protos = 0;
  for (size_t i = 0; i < r->n; i++)
    app_protos |= r->ops[i]->app_protos;
  wd_app_set_protocols(r->app, app_protos);
  r->cur = r->n;
  const char *paths[] = {path};
  wd_capture_t *cap;
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &cap), WD_OK);
  wd_frame_t fr;
  while (wd_capture_next(cap, &fr) == WD_OK) {
    if (!r->started) {
      r->started = true;
      r->now = fr.ts_ns;
      r->sec = fr.ts_ns / NSEC;
    } else if (fr.ts_ns > r->now) {
      r->now = fr.ts_ns;
      if (fr.ts_ns / NSEC > r->sec) {
        r->sec = fr.ts_ns / NSEC;
        uint64_t now = r->sec * NSEC;
        wd_flow_table_expire(r->flows, now);
        for (size_t i = 0; i < r->n; i++)
          if (r->ops[i]->on_tick)
            r->cur = i, r->ops[i]->on_tick(r->state[i], &r->ctx, now);
        r->cur = r->n;
      }
    }
    wd_packet_t p;
    p.ts_ns = fr.ts_ns;
    p.num = fr.num;
    p.source = fr.source;
    wd_decode(&p, fr.linktype, fr.data, fr.caplen, fr.wirelen);
    if (p.ip_version == 0)
      continue;
    int d = WD_DIR_TO_SERVER;
    wd_flow_t *f = wd_flow_table_update(r->flows, &p, &d);
    if (f && p.has_l4) {
      wd_app_cb_t cb = {.smb = ref_smb, .app = ref_app, .user = r};
      wd_app_packet(r->app, &p, f, d, &cb);
    }
    for (size_t i = 0; i < r->n; i++)
      if (r->ops[i]->on_packet)
        r->cur = i, r->ops[i]->on_packet(r->state[i], &r->ctx, &p, f, d);
    r->cur = r->n;
  }
  for (size_t i = 0; i < r->n; i++)
    if (r->ops[i]->on_finish)
      r->cur = i, r->ops[i]->on_finish(r->state[i], &r->ctx, r->now);
  r->cur = r->n;
  wd_flow_table_flush(r->flows);
  wd_capture_close(cap);
  for (size_t i = 0; i < r->n; i++)
    r->ops[i]->destroy(r->state[i]);
  wd_app_free(r->app);
  wd_flow_table_free(r->flows);
  *out = r->alerts;
  free(r);
}

/* ---- reading the engine's EVE output ---- */

static uint64_t parse_ts_us(const char *ts) {
  struct tm tm = {0};
  unsigned us = 0;
  if (sscanf(ts, "%d-%d-%dT%d:%d:%d.%u", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (uint64_t)timegm(&tm) * 1000000ull + us;
}

typedef struct eve_summary {
  alist alerts;
  size_t stats, incident_open, incident_close, flows;
  uint64_t first_close_us; /* time of the first incident close event */
  json_t *last_stats;      /* ward object of the last stats event */
} eve_summary;

static void eve_read(const char *path, eve_summary *s) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    if (!o)
      fail_msg("%s: not JSON: %s", path, je.text);
    const char *type = json_string_value(json_object_get(o, "event_type"));
    json_t *w = json_object_get(o, "ward");
    if (strcmp(type, "alert") == 0) {
      const char *src = json_string_value(json_object_get(o, "src_ip"));
      char text[1024];
      alert_text(
          text, sizeof text, json_string_value(json_object_get(w, "detector")),
          json_string_value(json_object_get(w, "state")), src ? src : "",
          json_string_value(json_object_get(o, "dest_ip")),
          parse_ts_us(json_string_value(json_object_get(o, "timestamp"))),
          json_string_value(
              json_object_get(json_object_get(o, "alert"), "signature")));
      alist_add(&s->alerts, text);
    } else if (strcmp(type, "stats") == 0) {
      s->stats++;
      json_decref(s->last_stats);
      s->last_stats = json_incref(w);
    } else if (strcmp(type, "incident") == 0) {
      const char *ch = json_string_value(json_object_get(w, "change"));
      if (strcmp(ch, "open") == 0)
        s->incident_open++;
      else if (strcmp(ch, "close") == 0) {
        if (!s->incident_close++)
          s->first_close_us =
              parse_ts_us(json_string_value(json_object_get(o, "timestamp")));
      }
    } else if (strcmp(type, "flow") == 0)
      s->flows++;
    json_decref(o);
  }
  free(line);
  fclose(f);
}

static void eve_free(eve_summary *s) {
  alist_free(&s->alerts);
  json_decref(s->last_stats);
}

static uint64_t engine_counter(const eve_summary *s, const char *name) {
  json_t *e = json_object_get(s->last_stats, "engine");
  assert_non_null(e);
  return (uint64_t)json_integer_value(json_object_get(e, name));
}

static int64_t sql_int(const char *db, const char *sql) {
  sqlite3 *h;
  sqlite3_stmt *st;
  int64_t v = -1;
  assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

/* ---- running the engine ---- */

typedef struct run_opts {
  const char *capture;
  const char *capture2; /* a second file, merged with the first */
  bool run;             /* through wd_engine_run (its own read loop) */
  bool reader;          /* engine.reader, with run */
  unsigned workers;     /* engine.workers, with run (0: 1) */
  bool flow_events;     /* a flow event per flow */
  uint32_t stats_every; /* a stats event every so many seconds (0: end) */
  const char *db;       /* NULL: none */
  bool live;            /* watch rules (frames fed, no capture object) */
  uint32_t queue;       /* 0: default */
  uint32_t flood_sample;
  bool check_owner; /* assert the packet thread does not own the store */
  /* called after every fed frame (live runs) */
  void (*after_frame)(wd_engine_t *e, void *user);
  void *user;
} run_opts;

static wd_engine_result_t run_engine(const run_opts *ro, const char *eve_name,
                                     eve_summary *sum) {
  wd_config_t *cfg;
  assert_int_equal(wd_detect_config_defaults(&cfg), WD_OK);
  char evdir[512], evepath[512];
  snprintf(evdir, sizeof evdir, "%s/evidence-%s", dir, eve_name);
  snprintf(evepath, sizeof evepath, "%s/%s.json", dir, eve_name);
  free(cfg->evidence.dir);
  cfg->evidence.dir = strdup(evdir);
  if (ro->flood_sample)
    cfg->evidence.flood_sample = ro->flood_sample;
  cfg->engine.reader = ro->reader;
  cfg->engine.workers = ro->workers ? ro->workers : 1;
  cfg->memory.cap = (cfg->engine.workers + 1) * cfg->flow.memcap +
                    cfg->stream.memcap + cfg->detect.memcap;
  wd_eve_t *eve;
  char err[512];
  assert_int_equal(wd_eve_open(evepath, &eve, err, sizeof err), WD_OK);
  char cap_path[512], cap_path2[512];
  snprintf(cap_path, sizeof cap_path, "%s/%s", dir, ro->capture);
  snprintf(cap_path2, sizeof cap_path2, "%s/%s", dir,
           ro->capture2 ? ro->capture2 : "");
  const char *paths[] = {cap_path, cap_path2};
  wd_capture_t *cap;
  assert_int_equal(
      wd_capture_open_files(paths, ro->capture2 ? 2 : 1, NULL, &cap), WD_OK);
  wd_engine_opts_t o = {.eve = eve,
                        .db_path = ro->db,
                        .live = ro->live,
                        .queue_records = ro->queue,
                        .flow_events = ro->flow_events,
                        .stats_interval_s = ro->stats_every};
  wd_engine_t *e;
  assert_int_equal(
      wd_engine_new(cfg, ro->live ? NULL : cap, &o, &e, err, sizeof err),
      WD_OK);
  if (ro->check_owner) {
    wd_store_t *s = wd_engine_store(e);
    assert_non_null(s);
    assert_false(wd_store_owner_is_caller(s));
  }
  wd_frame_t fr;
  if (ro->run) {
    assert_int_equal(wd_engine_run(e, err, sizeof err), WD_OK);
  } else if (ro->live) {
    while (wd_capture_next(cap, &fr) == WD_OK) {
      wd_engine_feed(e, &fr);
      if (ro->after_frame)
        ro->after_frame(e, ro->user);
    }
  } else {
    /* the same loop as wd_engine_run, to look at the store mid-run */
    while (wd_capture_next(cap, &fr) == WD_OK)
      wd_engine_feed(e, &fr);
  }
  if (ro->check_owner)
    assert_int_equal(wd_store_foreign_calls(wd_engine_store(e)), 0);
  assert_int_equal(wd_engine_finish(e, err, sizeof err), WD_OK);
  wd_engine_result_t res;
  wd_engine_result(e, &res);
  wd_engine_free(e);
  wd_capture_close(cap);
  wd_eve_close(eve);
  wd_config_free(cfg);
  eve_read(evepath, sum);
  return res;
}

/* ---- tests ---- */

/* The engine against the reference loop, which calls every detector on
 * every IP packet: the engine calls each only for the packets it asks for
 * (WD_PKT_*), which must change nothing. */
static void same_alerts_as_direct_path(const char *capture, size_t min) {
  wd_config_t *cfg;
  assert_int_equal(wd_detect_config_defaults(&cfg), WD_OK);
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, capture);
  alist want;
  ref_run(cfg, path, &want);
  wd_config_free(cfg);
  assert_true(want.n >= min);

  eve_summary got;
  run_opts ro = {.capture = capture};
  wd_engine_result_t res = run_engine(&ro, capture, &got);
  assert_int_equal(res.alerts, want.n);
  assert_int_equal(res.alerts_written, want.n);
  assert_int_equal(got.alerts.n, want.n);
  for (size_t i = 0; i < want.n; i++)
    if (strcmp(want.v[i], got.alerts.v[i]) != 0)
      fail_msg("alert %zu differs:\n direct: %s\n engine: %s", i, want.v[i],
               got.alerts.v[i]);
  assert_int_equal(got.stats, 1);
  /* analyze never drops */
  assert_int_equal(engine_counter(&got, "frames_dropped"), 0);
  assert_int_equal(engine_counter(&got, "flows_dropped"), 0);
  alist_free(&want);
  eve_free(&got);
}

static void test_same_alerts_as_direct_path(void **st) {
  (void)st;
  same_alerts_as_direct_path("attacks.pcap", 10); /* five attacks */
}

static void test_same_alerts_services(void **st) {
  (void)st;
  /* an implant's callback, password guessing on SSH and RDP, a SYN flood */
  same_alerts_as_direct_path("services.pcap", 12);
}

/* The last stats event as text, but for what depends on the threads'
 * timing (how full the queue got, how often the packet thread waited). */
static char *stats_text(const eve_summary *s) {
  json_t *w = json_deep_copy(s->last_stats);
  assert_non_null(w);
  json_t *e = json_object_get(w, "engine");
  json_object_del(e, "queue_high_water");
  json_object_del(e, "waits");
  char *text = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);
  assert_non_null(text);
  json_decref(w);
  return text;
}

/* Two files, the second cut short mid-record, read by the packet thread
 * and by the reader thread: the same alerts in the same order, the same
 * counts and stats, the same file error at the same frame. */
static void test_reader_thread_same_run(void **st) {
  (void)st;
  sh("head -c 400000 %s/flood.pcap > %s/flood-cut.pcap", dir, dir);
  eve_summary a, b;
  run_opts ro = {.capture = "attacks.pcap",
                 .capture2 = "flood-cut.pcap",
                 .run = true,
                 .reader = false};
  wd_engine_result_t ra = run_engine(&ro, "inline", &a);
  ro.reader = true;
  wd_engine_result_t rb = run_engine(&ro, "reader", &b);
  assert_true(ra.packets > 10000);
  assert_int_equal(ra.files_partial, 1);
  assert_int_equal(rb.files_partial, 1);
  assert_int_equal(rb.packets, ra.packets);
  assert_int_equal(rb.bytes, ra.bytes);
  assert_int_equal(rb.decode_errors, ra.decode_errors);
  assert_int_equal(rb.alerts, ra.alerts);
  assert_true(ra.alerts >= 10);
  assert_int_equal(b.alerts.n, a.alerts.n);
  for (size_t i = 0; i < a.alerts.n; i++)
    if (strcmp(a.alerts.v[i], b.alerts.v[i]) != 0)
      fail_msg("alert %zu differs:\n inline: %s\n reader: %s", i, a.alerts.v[i],
               b.alerts.v[i]);
  /* the same stats: flows, tables, detectors, files with their errors */
  char *ta = stats_text(&a), *tb = stats_text(&b);
  assert_non_null(strstr(ta, "/flood-cut.pcap\""));
  assert_non_null(strstr(ta, "\"error_frame\""));
  assert_string_equal(ta, tb);
  free(ta);
  free(tb);
  eve_free(&a);
  eve_free(&b);
}

/* Attack ids count across the runs of this process: each is replaced by
 * the order in which the run first names it. */
static void renumber_ids(json_t *v, uint64_t *seen, size_t *n) {
  if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) renumber_ids(x, seen, n);
    return;
  }
  if (!json_is_object(v))
    return;
  const char *k;
  json_t *x;
  json_object_foreach(v, k, x) {
    if (strcmp(k, "attack_id") == 0 && json_is_integer(x)) {
      uint64_t id = (uint64_t)json_integer_value(x), rank = 0;
      while (rank < *n && seen[rank] != id)
        rank++;
      if (rank == *n && *n < 4096)
        seen[(*n)++] = id;
      json_integer_set(x, (json_int_t)rank + 1);
    } else {
      renumber_ids(x, seen, n);
    }
  }
}

/* The lines of an EVE file, but for what depends on the threads' timing
 * or their number (how full the queues got, how often a thread waited,
 * how many slots the queues have, frames the pickers sent before the
 * worker dropped those sent twice), attack ids renumbered. */
static void eve_lines(const char *name, alist *out) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", dir, name);
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0;
  static const char *const timing[] = {"queue_high_water", "waits",
                                       "queue_size", "evidence_frames"};
  static uint64_t seen[4096];
  size_t nseen = 0;
  while (getline(&line, &cap, f) > 0) {
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    renumber_ids(o, seen, &nseen);
    json_t *eng = json_object_get(json_object_get(o, "ward"), "engine");
    for (size_t i = 0; eng && i < sizeof timing / sizeof *timing; i++)
      json_object_del(eng, timing[i]);
    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    /* each run has its evidence folder: evidence-<name> */
    for (char *at = text; (at = strstr(at, name)) != NULL; at++)
      at[strlen(name) - 1] = 'N';
    alist_add(out, text);
    free(text);
    json_decref(o);
  }
  free(line);
  fclose(f);
}

/* Lanes (engine.workers): every event as with one packet thread, in the
 * same order (alerts, flow events, incidents, a stats event a second
 * whose detector counts each lane adds its part to), and the same store. */
static void test_workers_same_run(void **st) {
  (void)st;
  static const char *const sums[] = {
      "SELECT COUNT(*) FROM incidents",
      "SELECT SUM(reports) FROM incident_attacks",
      "SELECT SUM(packets) FROM incidents",
      "SELECT COUNT(*) FROM incidents WHERE evidence_path != ''"};
  alist want = {0};
  int64_t want_sum[4] = {0};
  for (unsigned w = 1; w <= 3; w++) {
    char name[32], db[512];
    snprintf(name, sizeof name, "workers-%u", w);
    snprintf(db, sizeof db, "%s/workers-%u.db", dir, w);
    eve_summary sum;
    /* two files, flow events, a stats event a second, a database */
    run_opts ro = {.capture = "attacks.pcap", .capture2 = "services.pcap"};
    ro.run = ro.reader = ro.flow_events = true;
    ro.workers = w;
    ro.db = db;
    ro.stats_every = 1;
    wd_engine_result_t res = run_engine(&ro, name, &sum);
    assert_true(res.alerts >= 20);
    assert_int_equal(res.alerts_written, res.alerts);
    assert_true(sum.flows > 100 && sum.stats > 10 && sum.incident_close > 3);
    alist got;
    eve_lines(name, &got);
    if (w == 1) {
      want = got;
      for (int i = 0; i < 4; i++)
        want_sum[i] = sql_int(db, sums[i]);
      assert_true(want_sum[3] > 0);
    } else {
      assert_int_equal(got.n, want.n);
      for (size_t i = 0; i < want.n; i++)
        if (strcmp(want.v[i], got.v[i]) != 0)
          fail_msg("%u workers: event %zu differs:\n one: %s\n %u: %s", w, i,
                   want.v[i], w, got.v[i]);
      for (int i = 0; i < 4; i++)
        if (sql_int(db, sums[i]) != want_sum[i])
          fail_msg("%u workers: %s: %lld, one thread %lld", w, sums[i],
                   (long long)sql_int(db, sums[i]), (long long)want_sum[i]);
      /* the same evidence files, byte for byte */
      sh("cd %s/evidence-workers-1 && for f in *; do cmp \"$f\" "
         "../evidence-workers-%u/\"$f\" || exit 1; done; "
         "test \"$(ls | wc -l)\" = \"$(ls ../evidence-workers-%u | wc -l)\"",
         dir, w, w);
      alist_free(&got);
    }
    eve_free(&sum);
  }
  alist_free(&want);
}

static void test_store_owned_by_worker(void **st) {
  (void)st;
  char db[512];
  snprintf(db, sizeof db, "%s/owner.db", dir);
  eve_summary got;
  run_opts ro = {.capture = "attacks.pcap", .db = db, .check_owner = true};
  wd_engine_result_t res = run_engine(&ro, "owner", &got);
  assert_true(res.has_incidents);
  assert_true(res.incidents.opened >= 3);
  assert_int_equal(res.incidents.db_errors, 0);
  assert_int_equal(res.incidents.closed, res.incidents.opened);
  assert_int_equal(got.incident_close, res.incidents.opened);
  /* every alert is in the store: each is one report of an attack */
  assert_int_equal(sql_int(db, "SELECT SUM(reports) FROM incident_attacks"),
                   (int64_t)res.alerts);
  assert_true(sql_int(db,
                      "SELECT COUNT(*) FROM incidents WHERE "
                      "evidence_path IS NOT NULL AND evidence_path != ''") > 0);
  eve_free(&got);
}

/* ---- a stalled store ---- */

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool hold; /* commits wait while true */
  int delay; /* ms slept in every commit */
  _Atomic uint64_t commits;
  _Atomic int held; /* a commit is waiting now */
} hook = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void commit_hook(void *user) {
  (void)user;
  atomic_fetch_add(&hook.commits, 1);
  if (hook.delay) {
    struct timespec ts = {0, (long)hook.delay * 1000000L};
    nanosleep(&ts, NULL);
  }
  pthread_mutex_lock(&hook.mu);
  /* a generous bound: the test releases it as soon as it has seen drops */
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 60;
  while (hook.hold) {
    atomic_store(&hook.held, 1);
    if (pthread_cond_timedwait(&hook.cv, &hook.mu, &dl) != 0)
      break;
  }
  atomic_store(&hook.held, 0);
  pthread_mutex_unlock(&hook.mu);
}

static void hold_commits(bool on) {
  pthread_mutex_lock(&hook.mu);
  hook.hold = on;
  pthread_cond_broadcast(&hook.cv);
  pthread_mutex_unlock(&hook.mu);
}

/* ward analyze with every commit slowed stores every alert, as unslowed. */
static void test_slow_store_analyze_keeps_all(void **st) {
  (void)st;
  char db1[512], db2[512];
  snprintf(db1, sizeof db1, "%s/fast.db", dir);
  snprintf(db2, sizeof db2, "%s/slow.db", dir);
  eve_summary a, b;
  run_opts ro = {.capture = "attacks.pcap", .db = db1, .queue = 16};
  wd_engine_result_t ra = run_engine(&ro, "fast", &a);
  hook.delay = 20;
  atomic_store(&hook.commits, 0);
  wd_store_set_commit_hook(commit_hook, NULL);
  ro.db = db2;
  wd_engine_result_t rb = run_engine(&ro, "slow", &b);
  wd_store_set_commit_hook(NULL, NULL);
  hook.delay = 0;
  assert_true(atomic_load(&hook.commits) > 3);
  assert_int_equal(ra.alerts, rb.alerts);
  assert_int_equal(rb.alerts_written, rb.alerts);
  assert_int_equal(a.alerts.n, b.alerts.n);
  for (size_t i = 0; i < a.alerts.n; i++)
    assert_string_equal(a.alerts.v[i], b.alerts.v[i]);
  const char *q = "SELECT SUM(reports) FROM incident_attacks";
  assert_int_equal(sql_int(db1, q), (int64_t)ra.alerts);
  assert_int_equal(sql_int(db2, q), (int64_t)rb.alerts);
  q = "SELECT SUM(packets) FROM incidents";
  assert_int_equal(sql_int(db1, q), sql_int(db2, q));
  /* the packet thread waited (if it had to) instead of dropping */
  assert_int_equal(rb.engine.frames_dropped, 0);
  assert_int_equal(rb.engine.ticks_dropped, 0);
  eve_free(&a);
  eve_free(&b);
}

typedef struct drop_watch {
  bool released;
} drop_watch;

static void release_on_drops(wd_engine_t *e, void *user) {
  drop_watch *d = user;
  if (d->released)
    return;
  wd_engine_result_t r;
  wd_engine_result(e, &r);
  if (r.engine.frames_dropped > 0) {
    d->released = true;
    hold_commits(false);
  }
}

/* watch rules, a 16-record queue, the worker stalled in its first commit:
 * evidence frames are dropped and counted, every alert still arrives. */
static void test_watch_drops_frames_not_alerts(void **st) {
  (void)st;
  char db[512];
  snprintf(db, sizeof db, "%s/drops.db", dir);
  hold_commits(true);
  wd_store_set_commit_hook(commit_hook, NULL);
  drop_watch dw = {0};
  eve_summary got;
  run_opts ro = {.capture = "flood.pcap",
                 .db = db,
                 .live = true,
                 .queue = 16,
                 .flood_sample = 100000,
                 .after_frame = release_on_drops,
                 .user = &dw};
  wd_engine_result_t res = run_engine(&ro, "drops", &got);
  hold_commits(false);
  wd_store_set_commit_hook(NULL, NULL);
  assert_true(dw.released);
  assert_true(res.engine.frames_dropped > 0);
  assert_true(res.engine.queue_high_water >= 12);
  assert_true(res.alerts >= 2); /* the flood's start and end */
  assert_int_equal(res.alerts_written, res.alerts);
  assert_int_equal(got.alerts.n, res.alerts);
  assert_int_equal(sql_int(db, "SELECT SUM(reports) FROM incident_attacks"),
                   (int64_t)res.alerts);
  /* the stats event says so too */
  assert_int_equal(engine_counter(&got, "frames_dropped"),
                   res.engine.frames_dropped);
  eve_free(&got);
}

/* ---- a quiet live link ---- */

typedef struct fake_clock {
  uint64_t ns;
} fake_clock;

static uint64_t fake_now(void *user) { return ((fake_clock *)user)->ns; }

static void test_idle_link_clock(void **st) {
  (void)st;
  wd_config_t *cfg;
  assert_int_equal(wd_detect_config_defaults(&cfg), WD_OK);
  free(cfg->evidence.dir);
  cfg->evidence.dir = NULL;
  cfg->incidents.quiet_window_s = 600;
  char evepath[512], db[512], cap_path[512];
  snprintf(evepath, sizeof evepath, "%s/idle.json", dir);
  snprintf(db, sizeof db, "%s/idle.db", dir);
  snprintf(cap_path, sizeof cap_path, "%s/flood.pcap", dir);
  wd_eve_t *eve;
  char err[512];
  assert_int_equal(wd_eve_open(evepath, &eve, err, sizeof err), WD_OK);
  const char *paths[] = {cap_path};
  wd_capture_t *cap;
  assert_int_equal(wd_capture_open_files(paths, 1, NULL, &cap), WD_OK);
  wd_frame_t fr;
  assert_int_equal(wd_capture_next(cap, &fr), WD_OK);
  fake_clock clk = {fr.ts_ns - 30 * NSEC}; /* before the first packet */
  wd_engine_opts_t o = {.eve = eve,
                        .db_path = db,
                        .live = true,
                        .queue_records = 8192, /* room for every record */
                        .stats_interval_s = 1,
                        .wall_clock = fake_now,
                        .clock_user = &clk};
  wd_engine_t *e;
  assert_int_equal(wd_engine_new(cfg, NULL, &o, &e, err, sizeof err), WD_OK);
  /* 20 quiet seconds before any packet: the capture said "again" */
  for (int i = 0; i < 200; i++) {
    wd_engine_idle(e);
    clk.ns += NSEC / 10;
  }
  /* then the flood, then nothing more for two quiet windows */
  uint64_t last = 0;
  do {
    wd_engine_feed(e, &fr);
    last = fr.ts_ns;
  } while (wd_capture_next(cap, &fr) == WD_OK);
  wd_engine_result_t mid;
  wd_engine_result(e, &mid);
  uint64_t alerts_at_last_packet = mid.alerts;
  for (clk.ns = last; clk.ns < last + 1300 * NSEC; clk.ns += NSEC / 4)
    wd_engine_idle(e);
  wd_engine_result_t quiet;
  wd_engine_result(e, &quiet);
  /* the flood's END came from the clock alone */
  assert_true(quiet.alerts > alerts_at_last_packet);
  assert_int_equal(wd_engine_finish(e, err, sizeof err), WD_OK);
  wd_engine_result_t res;
  wd_engine_result(e, &res);
  wd_engine_free(e);
  wd_capture_close(cap);
  wd_eve_close(eve);
  wd_config_free(cfg);
  eve_summary s;
  eve_read(evepath, &s);
  assert_int_equal(res.engine.ticks_dropped, 0);
  assert_int_equal(res.engine.stats_dropped, 0);
  /* stats every second: 20 before the first packet, ~1300 after it */
  assert_true(s.stats >= 1300);
  size_t ends = 0;
  for (size_t i = 0; i < s.alerts.n; i++)
    ends += strstr(s.alerts.v[i], " end ") != NULL;
  assert_true(ends >= 1);
  /* the incident closed on the clock (a quiet window after the flood),
   * not at the end of input */
  assert_true(s.incident_close >= 1);
  assert_true(s.first_close_us < (last + 1200 * NSEC) / 1000);
  assert_int_equal(res.incidents.closed, res.incidents.opened);
  eve_free(&s);
  (void)res;
}

/* Before any packet the clock starts on the first idle call: stats come
 * on a link that never carries a frame. */
static void test_idle_from_start_stats(void **st) {
  (void)st;
  wd_config_t *cfg;
  assert_int_equal(wd_detect_config_defaults(&cfg), WD_OK);
  char evepath[512];
  snprintf(evepath, sizeof evepath, "%s/silent.json", dir);
  wd_eve_t *eve;
  char err[512];
  assert_int_equal(wd_eve_open(evepath, &eve, err, sizeof err), WD_OK);
  fake_clock clk = {1767603600ull * NSEC};
  wd_engine_opts_t o = {.eve = eve,
                        .live = true,
                        .stats_interval_s = 2,
                        .wall_clock = fake_now,
                        .clock_user = &clk};
  wd_engine_t *e;
  assert_int_equal(wd_engine_new(cfg, NULL, &o, &e, err, sizeof err), WD_OK);
  for (int i = 0; i <= 100; i++) {
    wd_engine_idle(e);
    clk.ns += NSEC / 10;
  }
  assert_int_equal(wd_engine_finish(e, err, sizeof err), WD_OK);
  wd_engine_free(e);
  wd_eve_close(eve);
  wd_config_free(cfg);
  eve_summary s;
  eve_read(evepath, &s);
  /* 10 s at one every 2 s, plus the last one */
  assert_int_equal(s.stats, 6);
  eve_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_alerts_as_direct_path),
      cmocka_unit_test(test_same_alerts_services),
      cmocka_unit_test(test_reader_thread_same_run),
      cmocka_unit_test(test_workers_same_run),
      cmocka_unit_test(test_store_owned_by_worker),
      cmocka_unit_test(test_slow_store_analyze_keeps_all),
      cmocka_unit_test(test_watch_drops_frames_not_alerts),
      cmocka_unit_test(test_idle_link_clock),
      cmocka_unit_test(test_idle_from_start_stats),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
