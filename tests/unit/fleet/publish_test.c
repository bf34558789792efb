/* publish_test.c -- src/fleet/publish.c and consume.c end to end through
 * tests/tools/kafka_mock (librdkafka's mock cluster, 3 brokers, in a child
 * process whose bootstrap line we wait for):
 *  - two sensors publish alerts and frames, two consumers of one group
 *    share the partitions: every id arrives, duplicates are found by id,
 *    and the messages of one key arrive in the order they were published;
 *  - all brokers down: the spool holds everything, the broker state says
 *    down; a publisher closed during the outage leaves its messages in the
 *    spool and the next one (a new run) sends them with their original
 *    ids once the brokers are back;
 *  - bad options and properties are refused with the property named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/log.h"
#include "kafka_fixture.h"

#ifndef WD_KAFKA_MOCK
#error "WD_KAFKA_MOCK (path of tests/tools/kafka_mock) is set by CMake"
#endif

#define TOPIC "ward.alerts"

static fx_mock_t mock;

static int setup(void **state) {
  (void)state;
  fx_mkroot("publish_test");
  if (fx_mock_start(&mock, WD_KAFKA_MOCK, TOPIC ":6") != 0) {
    fprintf(stderr, "kafka_mock did not print its bootstrap line\n");
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int rc = fx_mock_stop(&mock);
  fx_rmroot();
  return rc == 0 ? 0 : -1;
}

static void spool_dir(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", fx_root, name);
}

static void publish_some(wd_publish_t *p, unsigned alerts, unsigned frames,
                         uint64_t attack_base) {
  static uint8_t bytes[3000];
  for (size_t i = 0; i < sizeof bytes; i++)
    bytes[i] = (uint8_t)i;
  for (unsigned i = 0; i < alerts + frames; i++) {
    uint64_t attack = attack_base + i % 25;
    const char *facility = fx_facilities[attack % 5];
    if (i < alerts) {
      wd_alert_t a;
      fx_alert(&a, attack);
      wd_fleet_facility_t fac = {facility, WD_SECTOR_HEALTHCARE,
                                 WD_CRIT_CRITICAL};
      assert_int_equal(wd_publish_alert(p, &a, &fac), WD_OK);
    } else {
      wd_fleet_frame_t f = {.attack_id = attack,
                            .ts_ns = 1700000000000000000ull + i,
                            .linktype = 1,
                            .wire_len = 3000,
                            .cap_len = 3000, /* cut to frame_snap */
                            .data = bytes};
      assert_int_equal(wd_publish_frame(p, facility, &f), WD_OK);
    }
  }
}

/* Polls every consumer (committing after each batch) until want distinct
 * ids are in the sinks or the deadline passes. */
static void consume_until(wd_consume_t **c, fx_sink_t **s, int n, size_t want,
                          size_t *distinct, size_t *dups) {
  uint64_t deadline = fx_now_ms() + DEADLINE_MS;
  for (;;) {
    for (int i = 0; i < n; i++) {
      unsigned got;
      assert_int_equal(wd_consume_poll(c[i], 100, 100, fx_collect, s[i], &got),
                       WD_OK);
      char err[256];
      if (got)
        assert_int_equal(wd_consume_commit(c[i], err, sizeof err), WD_OK);
    }
    *distinct = fx_distinct(s, n, dups);
    if (*distinct >= want)
      return;
    if (fx_now_ms() > deadline)
      fail_msg("only %zu of %zu messages consumed", *distinct, want);
  }
}

static void two_sensors_two_consumers(void **state) {
  (void)state;
  fx_sink_t s1 = {0}, s2 = {0};
  fx_sink_t *sinks[2] = {&s1, &s2};
  wd_consume_t *c[2];
  c[0] = fx_consumer(mock.bootstraps, TOPIC, "centre", NULL, NULL);
  c[1] = fx_consumer(mock.bootstraps, TOPIC, "centre", NULL, NULL);
  assert_non_null(c[0]);
  assert_non_null(c[1]);
  /* Both members hold partitions before anything is published. */
  uint64_t deadline = fx_now_ms() + DEADLINE_MS;
  for (;;) {
    unsigned got;
    wd_consume_stats_t a, b;
    for (int i = 0; i < 2; i++)
      assert_int_equal(
          wd_consume_poll(c[i], 10, 50, fx_collect, sinks[i], &got), WD_OK);
    wd_consume_stats(c[0], &a);
    wd_consume_stats(c[1], &b);
    if (a.partitions && b.partitions && a.partitions + b.partitions == 6)
      break;
    if (fx_now_ms() > deadline)
      fail_msg("group never settled: %u + %u partitions", a.partitions,
               b.partitions);
  }

  char d1[256], d2[256];
  spool_dir(d1, sizeof d1, "sensor-a");
  spool_dir(d2, sizeof d2, "sensor-b");
  wd_publish_t *pa = fx_publisher(mock.bootstraps, TOPIC, "sensor-a", d1);
  wd_publish_t *pb = fx_publisher(mock.bootstraps, TOPIC, "sensor-b", d2);
  assert_non_null(pa);
  assert_non_null(pb);
  publish_some(pa, 200, 100, 1000);
  publish_some(pb, 200, 100, 5000);
  size_t distinct, dups;
  consume_until(c, sinks, 2, 600, &distinct, &dups);
  assert_int_equal(distinct, 600);
  assert_int_equal(s1.bad + s2.bad, 0);
  assert_true(s1.n > 0 && s2.n > 0); /* the group shared the work */

  assert_int_equal(wd_publish_flush(pa, DEADLINE_MS), WD_OK);
  assert_int_equal(wd_publish_flush(pb, DEADLINE_MS), WD_OK);
  wd_publish_stats_t st;
  wd_publish_stats(pa, &st);
  assert_int_equal(st.queued, 300);
  assert_int_equal(st.spooled, 300);
  assert_int_equal(st.delivered, 300);
  assert_int_equal(st.inflight, 0);
  assert_int_equal(st.spool.records, 0);
  assert_int_equal(st.broker, WD_BROKER_UP);

  /* Every sequence number of both sensors; messages of one sensor and key
   * in publishing order; frames beside their alerts' facility key. */
  for (int sensor = 0; sensor < 2; sensor++) {
    const char *name = sensor ? "sensor-b" : "sensor-a";
    bool seen[301] = {false};
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < sinks[k]->n; i++) {
        fx_got_t *g = &sinks[k]->v[i];
        if (strcmp(g->sensor, name))
          continue;
        assert_true(g->seq >= 1 && g->seq <= 300);
        seen[g->seq] = true;
        assert_int_equal(g->kind,
                         g->seq <= 200 ? WD_FLEET_ALERT : WD_FLEET_FRAME);
        assert_string_equal(g->key, fx_facilities[g->attack_id % 5]);
      }
    for (unsigned q = 1; q <= 300; q++)
      assert_true(seen[q]);
    for (int k = 0; k < 2; k++)
      for (int f = 0; f < 5; f++) {
        uint64_t last = 0;
        int32_t part = -1;
        for (size_t i = 0; i < sinks[k]->n; i++) {
          fx_got_t *g = &sinks[k]->v[i];
          if (strcmp(g->sensor, name) || strcmp(g->key, fx_facilities[f]))
            continue;
          if (part >= 0)
            assert_int_equal(g->partition, part); /* one key, one partition */
          part = g->partition;
          assert_true(g->seq > last);
          last = g->seq;
        }
      }
  }
  /* Reading a message again is recognised by its id: a new group reads the
   * whole topic from the start and finds exactly the same ids. */
  fx_sink_t again = {0};
  fx_sink_t *both[2] = {&s1, &again};
  wd_consume_t *c3 = fx_consumer(mock.bootstraps, TOPIC, "audit", NULL, NULL);
  consume_until(&c3, (fx_sink_t *[]){&again}, 1, 600, &distinct, &dups);
  assert_int_equal(dups, 0);
  fx_distinct(both, 2, &dups);
  assert_int_equal(dups, s1.n); /* everything s1 had, again */
  wd_consume_close(c3);

  wd_publish_close(pa, 5000, NULL);
  wd_publish_close(pb, 5000, NULL);
  wd_consume_close(c[0]);
  wd_consume_close(c[1]);
  fx_sink_free(&s1);
  fx_sink_free(&s2);
  fx_sink_free(&again);
}

static void wait_broker(wd_publish_t *p, wd_broker_state want) {
  uint64_t deadline = fx_now_ms() + DEADLINE_MS;
  wd_publish_stats_t st;
  for (;;) {
    wd_publish_stats(p, &st);
    if (st.broker == want)
      return;
    if (fx_now_ms() > deadline)
      fail_msg("broker state %s, waited for %s",
               wd_broker_state_name(st.broker), wd_broker_state_name(want));
    usleep(20000); /* polling a condition, not waiting for time */
  }
}

/* "sensor/<run in hex>/": how the ids of one run begin. */
static void run_prefix(const char *sensor, const uint8_t run[16], char *out) {
  int n = sprintf(out, "%s/", sensor);
  for (int i = 0; i < 16; i++)
    n += sprintf(out + n, "%02x", run[i]);
  strcpy(out + n, "/");
}

static void outage_and_restart(void **state) {
  (void)state;
  char dir[256];
  spool_dir(dir, sizeof dir, "outage");
  wd_publish_t *p = fx_publisher(mock.bootstraps, TOPIC, "sensor-o", dir);
  assert_non_null(p);
  uint8_t run1[16];
  wd_publish_run(p, run1);
  publish_some(p, 1, 0, 1);
  assert_int_equal(wd_publish_flush(p, DEADLINE_MS), WD_OK);
  wait_broker(p, WD_BROKER_UP);

  assert_int_equal(fx_mock_cmd(&mock, "down all"), 0);
  wait_broker(p, WD_BROKER_DOWN);
  publish_some(p, 100, 20, 100);
  /* Wait until all of it is in the spool; none can be delivered. */
  uint64_t deadline = fx_now_ms() + DEADLINE_MS;
  wd_publish_stats_t st;
  for (;;) {
    wd_publish_stats(p, &st);
    if (st.spooled == 121)
      break;
    if (fx_now_ms() > deadline)
      fail_msg("spooled %llu of 121", (unsigned long long)st.spooled);
    usleep(20000);
  }
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.spool.records, 120);
  assert_true(st.spool.bytes > 0);
  assert_int_equal(wd_publish_flush(p, 300), WD_AGAIN);
  /* Closed during the outage: the messages stay in the spool. */
  wd_publish_stats_t fin;
  wd_publish_close(p, 500, &fin);
  assert_int_equal(fin.delivered, 1);
  assert_int_equal(fin.spool.records, 120);

  /* A new run on the same spool: recovers them, adds its own. */
  p = fx_publisher(mock.bootstraps, TOPIC, "sensor-o", dir);
  assert_non_null(p);
  uint8_t run2[16];
  wd_publish_run(p, run2);
  assert_memory_not_equal(run1, run2, 16);
  wd_publish_stats(p, &st);
  assert_int_equal(st.spool.recovered, 120);
  publish_some(p, 30, 10, 900);
  assert_int_equal(wd_publish_flush(p, 300), WD_AGAIN);

  assert_int_equal(fx_mock_cmd(&mock, "up all"), 0);
  assert_int_equal(wd_publish_flush(p, DEADLINE_MS), WD_OK);
  wd_publish_stats(p, &st);
  assert_int_equal(st.spool.records, 0);
  assert_true(st.delivered >= 160);
  assert_int_equal(st.broker, WD_BROKER_UP);
  wd_publish_close(p, 5000, NULL);

  /* The centre sees the first run's 121 ids and the second run's 40. */
  char p1[48], p2[48];
  run_prefix("sensor-o", run1, p1);
  run_prefix("sensor-o", run2, p2);
  size_t pl = strlen(p1);
  fx_sink_t s = {0};
  wd_consume_t *c = fx_consumer(mock.bootstraps, TOPIC, "outage", NULL, NULL);
  deadline = fx_now_ms() + DEADLINE_MS;
  bool seen1[122], seen2[41];
  unsigned r1, r2;
  for (;;) {
    unsigned got;
    assert_int_equal(wd_consume_poll(c, 500, 100, fx_collect, &s, &got), WD_OK);
    memset(seen1, 0, sizeof seen1);
    memset(seen2, 0, sizeof seen2);
    r1 = r2 = 0;
    for (size_t i = 0; i < s.n; i++) {
      fx_got_t *g = &s.v[i];
      if (strncmp(g->id, p1, pl) == 0 && g->seq <= 121 && !seen1[g->seq]) {
        seen1[g->seq] = true;
        r1++;
      }
      if (strncmp(g->id, p2, pl) == 0 && g->seq <= 40 && !seen2[g->seq]) {
        seen2[g->seq] = true;
        r2++;
      }
    }
    if (r1 == 121 && r2 == 40 && wd_consume_caught_up(c, 5000))
      break;
    if (fx_now_ms() > deadline)
      fail_msg("consumed %u of run 1's 121, %u of run 2's 40", r1, r2);
  }
  assert_int_equal(s.bad, 0);
  wd_consume_close(c);
  fx_sink_free(&s);
}

typedef struct hb_sink {
  unsigned heartbeats;
  uint64_t produced; /* largest fleet.produced seen */
  unsigned from_caller;
} hb_sink_t;

static void on_heartbeat(void *user, const wd_fleet_msg_t *m,
                         const wd_consume_pos_t *pos, const char *err) {
  (void)err;
  hb_sink_t *h = user;
  if (!m || m->kind != WD_FLEET_HEARTBEAT ||
      strcmp(m->id.sensor, "sensor-hb") != 0)
    return;
  assert_int_equal(pos->key_len, strlen("sensor-hb")); /* keyed by sensor */
  h->heartbeats++;
  for (unsigned i = 0; i < m->u.heartbeat.n_counters; i++) {
    const wd_fleet_counter_t *c = &m->u.heartbeat.counters[i];
    if (strcmp(c->name, "fleet.produced") == 0 && c->value > h->produced)
      h->produced = c->value;
    if (strcmp(c->name, "beds.monitored") == 0 && c->value == 42)
      h->from_caller++;
  }
  assert_string_equal(m->u.heartbeat.version, "9.9.9");
}

/* The publisher's own heartbeats carry its counters; a caller's carries
 * the caller's. */
static void heartbeats(void **state) {
  (void)state;
  char dir[256], err[512];
  spool_dir(dir, sizeof dir, "hb");
  wd_publish_opts_t o = {.brokers = mock.bootstraps,
                         .topic = TOPIC,
                         .sensor = "sensor-hb",
                         .spool = {.dir = dir, .max_bytes = 1 << 20},
                         .heartbeat_ms = 100,
                         .version = "9.9.9"};
  wd_publish_t *p;
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_OK);
  wd_fleet_heartbeat_t hb = {.ts_ns = 1, .version = "9.9.9"};
  hb.counters[0].name = "beds.monitored";
  hb.counters[0].value = 42;
  hb.n_counters = 1;
  assert_int_equal(wd_publish_heartbeat(p, &hb), WD_OK);
  hb_sink_t h = {0};
  wd_consume_t *c = fx_consumer(mock.bootstraps, TOPIC, "hb", NULL, NULL);
  uint64_t deadline = fx_now_ms() + DEADLINE_MS;
  while (h.heartbeats < 3 || h.produced < 2 || h.from_caller < 1) {
    unsigned got;
    assert_int_equal(wd_consume_poll(c, 100, 100, on_heartbeat, &h, &got),
                     WD_OK);
    if (fx_now_ms() > deadline)
      fail_msg("%u heartbeats, produced %llu", h.heartbeats,
               (unsigned long long)h.produced);
  }
  wd_consume_close(c);
  wd_publish_close(p, 5000, NULL);
}

static void bad_options(void **state) {
  (void)state;
  char dir[256], err[512];
  spool_dir(dir, sizeof dir, "bad");
  wd_publish_t *p;
  const char *weak[] = {"enable.idempotence=false"};
  wd_publish_opts_t o = {.brokers = mock.bootstraps,
                         .topic = TOPIC,
                         .sensor = "s",
                         .props = weak,
                         .n_props = 1,
                         .spool = {.dir = dir, .max_bytes = 1 << 20}};
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_ERR_CONFIG);
  assert_non_null(strstr(err, "enable.idempotence"));
  const char *acks[] = {"acks=1"};
  o.props = acks;
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_ERR_CONFIG);
  assert_non_null(strstr(err, "acks"));
  const char *unknown[] = {"no.such.property=1"};
  o.props = unknown;
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_ERR_CONFIG);
  assert_non_null(strstr(err, "no.such.property"));
  const char *noeq[] = {"linger.ms"};
  o.props = noeq;
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_ERR_CONFIG);
  assert_non_null(strstr(err, "key=value"));
  o.props = NULL;
  o.n_props = 0;
  o.sensor = "bad/name";
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_ERR_INVAL);
  assert_non_null(strstr(err, "sensor"));
  /* A good one passes TLS/SASL-style settings through. */
  const char *fine[] = {"socket.keepalive.enable=true",
                        "security.protocol=plaintext"};
  o.sensor = "s";
  o.props = fine;
  o.n_props = 2;
  assert_int_equal(wd_publish_new(&o, &p, err, sizeof err), WD_OK);
  wd_publish_close(p, 1000, NULL);

  wd_consume_t *c;
  const char *autoc[] = {"enable.auto.commit=true"};
  wd_consume_opts_t co = {.brokers = mock.bootstraps,
                          .topic = TOPIC,
                          .group = "g",
                          .props = autoc,
                          .n_props = 1};
  assert_int_equal(wd_consume_new(&co, &c, err, sizeof err), WD_ERR_CONFIG);
  assert_non_null(strstr(err, "enable.auto.commit"));
  co.props = NULL;
  co.n_props = 0;
  co.group = NULL;
  assert_int_equal(wd_consume_new(&co, &c, err, sizeof err), WD_ERR_INVAL);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR;
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(two_sensors_two_consumers),
      cmocka_unit_test(outage_and_restart),
      cmocka_unit_test(heartbeats),
      cmocka_unit_test(bad_options),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
