/* cmd_ingest.c -- `ward ingest`: the coordination centre's side of the
 * fleet. Reads the fleet messages sensors publish (src/fleet/consume.h) in
 * a Kafka consumer group and turns their alerts into incidents with the
 * correlation of a local run (src/incident), in the store given by --db.
 * In: argv (starting at "ingest"), the configuration (facilities,
 * attribution, ingest.* keys), the topic. Out: incidents (with the sensors
 * that saw them) and the ids of the messages whose effect is stored, in
 * one transaction per batch; then, and only then, the batch's Kafka
 * offsets are committed. A message read again (after a crash, a
 * rebalance, a sensor's resend) is found among the stored ids and changes
 * nothing. Stats events (-o/--json) carry the counters; --status prints
 * the group's lag and what each sensor sent, without joining the group.
 * SIGTERM/SIGINT: the batch in hand is stored and committed, then exit 0.
 * Exit codes: 0 ok, 1 runtime (store or broker refused), 2 usage, 3
 * configuration.
 * Memory: the ids of one batch (ingest.batch), the open incidents
 * (bounded by src/incident). Threads: one; the store and the consumer
 * belong to it. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "decode/decode.h"
#include "fleet/consume.h"
#include "fleet/fleet_conf.h"
#include "incident/incident.h"
#include "output/eve.h"
#include "store/store.h"

#define NS 1000000000ull
#define POLL_MS 500
#define CAUGHT_UP_MS 5000
#define RETRY_MS_MAX 5000

static const char ingest_text[] =
    "usage: ward ingest --from kafka://BOOTSTRAP/TOPIC --db URL [options]\n"
    "       ward ingest --status [--from ...] [--db URL] [--group NAME]\n"
    "\n"
    "Reads the alerts that sensors (ward analyze/watch --publish) send to\n"
    "a Kafka topic, as a member of a consumer group, and turns them into\n"
    "incidents in the database, correlated as a local run would. Offsets\n"
    "are committed only after the database holds the messages' effect;\n"
    "a message read twice changes nothing. SIGTERM stores and commits what\n"
    "was read, then exits 0.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE      configuration (facilities, attribution,\n"
    "                         ingest.*; default /etc/ward/ward.yaml)\n"
    "      --from URL         kafka://HOST:PORT[,HOST:PORT...]/TOPIC ('-' or\n"
    "                         none: publish.kafka.brokers and .topic)\n"
    "      --db URL           the incident store: a SQLite file or\n"
    "                         postgresql://user:pass@host:port/db\n"
    "      --group NAME       consumer group (default ingest.group,\n"
    "                         ward-ingest); ingesters of one group share the\n"
    "                         topic's partitions\n"
    "      --once             stop when every partition is read to its end\n"
    "  -X, --kafka-property K=V  librdkafka property (repeatable)\n"
    "      --json             write stats events to standard output\n"
    "  -o, --output FILE      write stats events to FILE (appended)\n"
    "      --stats-interval S a stats event every S seconds (default 60)\n"
    "      --status           print the group's lag per partition and what\n"
    "                         each sensor sent (with --db), then exit\n"
    "  -q, --quiet            no summary line\n"
    "  -v, --verbose          more diagnostics (repeat for debug)\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure (store or brokers), 2 usage\n"
    "error, 3 bad configuration.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

/* A message whose effect is in memory, not yet committed. */
typedef struct pend {
  char id[WD_FLEET_ID_STRLEN];
  char sensor[WD_FLEET_SENSOR_MAX + 1];
  wd_fleet_kind kind;
  uint64_t event_ns;
} pend_t;

typedef struct ingest {
  wd_incidents_t *inc;
  wd_store_t *store;
  pend_t *pend;
  size_t n_pend, cap_pend;
  uint64_t clock_ns;  /* the fleet's traffic time: newest evidence seen */
  uint64_t frame_seq; /* evidence frames handed to the recorder */
  uint64_t quiet_ns;  /* incidents.quiet_window */
  bool closing_all;   /* the end: every stored incident up to the clock */
  bool store_failed;
  /* counters */
  uint64_t in, alerts, frames, heartbeats, duplicates, bad, stored, db_errors,
      commits, commit_errors;
} ingest_t;

static uint64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static bool pending(const ingest_t *g, const char *id) {
  for (size_t i = 0; i < g->n_pend; i++)
    if (strcmp(g->pend[i].id, id) == 0)
      return true;
  return false;
}

static wd_rc mark_txn(void *user, wd_store_t *s) {
  ingest_t *g = user;
  uint64_t now = wall_ns();
  /* Incidents another (stopped, killed) ingester left active close as
   * this one's would: quiet for the window of the fleet's clock. */
  uint64_t upto = g->closing_all              ? g->clock_ns
                  : g->clock_ns > g->quiet_ns ? g->clock_ns - g->quiet_ns
                                              : 0;
  if (upto) {
    wd_rc rc = wd_store_incident_expire(s, upto, NULL);
    if (rc != WD_OK)
      return rc;
  }
  for (size_t i = 0; i < g->n_pend; i++) {
    const pend_t *p = &g->pend[i];
    wd_rc rc = wd_store_fleet_mark(
        s, p->id, p->sensor, wd_fleet_kind_name(p->kind), p->event_ns, now);
    if (rc != WD_OK)
      return rc;
  }
  return WD_OK;
}

static void mark_done(void *user, bool committed) {
  ingest_t *g = user;
  if (committed) {
    g->stored += g->n_pend;
    g->n_pend = 0;
  } else
    g->db_errors++;
}

/* Flow and attack ids are unique within one sensor run only: at the
 * centre they are made unique across the fleet (64-bit FNV-1a of sensor,
 * run and id; never 0), so that two sensors' attack 7 stay two attacks
 * and their flow 12 two flows of evidence. */
static uint64_t fleet_unique(const wd_fleet_id_t *id, uint64_t v) {
  if (!v)
    return 0;
  uint64_t h = 1469598103934665603ull;
  for (const char *c = id->sensor; *c; c++)
    h = (h ^ (uint8_t)*c) * 1099511628211ull;
  for (size_t i = 0; i < sizeof id->run; i++)
    h = (h ^ id->run[i]) * 1099511628211ull;
  for (int i = 0; i < 8; i++)
    h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211ull;
  return h ? h : 1;
}

/* An evidence frame to the centre's recorder, in the order it came: the
 * frames an alert asked for come just before it (same partition). */
static void frame_to_evidence(ingest_t *g, const wd_fleet_msg_t *m) {
  const wd_fleet_frame_t *f = &m->u.frame;
  wd_evidence_frame_t h;
  memset(&h, 0, sizeof h);
  h.seq = ++g->frame_seq;
  h.ts_ns = f->ts_ns;
  h.flow_id = fleet_unique(&m->id, f->flow_id);
  h.caplen = f->cap_len < WD_EVIDENCE_SNAP ? f->cap_len : WD_EVIDENCE_SNAP;
  h.wirelen = f->wire_len;
  h.linktype = (int)f->linktype;
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ts_ns = f->ts_ns;
  wd_decode(&p, (int)f->linktype, f->data, f->cap_len, f->wire_len);
  if (p.ip_version) {
    h.ip = true;
    h.dst = p.dst;
  }
  wd_incidents_frame(g->inc, &h, f->data);
}

static void on_message(void *user, const wd_fleet_msg_t *m,
                       const wd_consume_pos_t *pos, const char *err) {
  ingest_t *g = user;
  g->in++;
  if (!m) {
    g->bad++;
    wd_log(WD_LOG_WARN, "ingest", "partition %d offset %" PRId64 ": %s",
           (int)pos->partition, pos->offset, err ? err : "undecodable");
    return;
  }
  char id[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&m->id, id);
  bool seen = false;
  if (wd_store_fleet_seen(g->store, id, &seen) != WD_OK) {
    /* unknown whether it is stored: taking it could count it twice, so
     * the batch stops uncommitted and comes again */
    wd_log(WD_LOG_ERROR, "ingest", "%s: %s", id, wd_store_errmsg(g->store));
    g->store_failed = true;
    return;
  }
  if (seen || pending(g, id)) {
    g->duplicates++;
    return;
  }
  if (g->n_pend == g->cap_pend) {
    size_t nc = g->cap_pend ? g->cap_pend * 2 : 256;
    pend_t *np = realloc(g->pend, nc * sizeof *np);
    if (!np) {
      wd_log(WD_LOG_ERROR, "ingest", "%s: out of memory: not stored", id);
      g->store_failed = true; /* nothing of the batch is committed */
      return;
    }
    g->pend = np;
    g->cap_pend = nc;
  }
  pend_t *p = &g->pend[g->n_pend++];
  snprintf(p->id, sizeof p->id, "%s", id);
  snprintf(p->sensor, sizeof p->sensor, "%s", m->id.sensor);
  p->kind = m->kind;
  switch (m->kind) {
  case WD_FLEET_ALERT: {
    wd_alert_t a = m->u.alert.alert;
    a.sensor = m->id.sensor;
    a.attack_id = fleet_unique(&m->id, a.attack_id);
    a.flow_id = fleet_unique(&m->id, a.flow_id);
    uint64_t ev = a.last_ns && a.last_ns <= a.ts_ns ? a.last_ns : a.ts_ns;
    p->event_ns = ev;
    if (ev > g->clock_ns)
      g->clock_ns = ev;
    wd_incidents_alert(g->inc, &a);
    g->alerts++;
    break;
  }
  case WD_FLEET_FRAME:
    p->event_ns = m->u.frame.ts_ns;
    frame_to_evidence(g, m);
    g->frames++;
    break;
  case WD_FLEET_HEARTBEAT:
    p->event_ns = m->u.heartbeat.ts_ns;
    g->heartbeats++;
    break;
  }
}

/* Stores the batch: incidents and ids in one transaction, retried while
 * the store refuses (pausing up to RETRY_MS_MAX) unless stopping. */
static wd_rc store_batch(ingest_t *g) {
  unsigned pause_ms = 100;
  for (;;) {
    if (g->clock_ns)
      wd_incidents_tick(g->inc, g->clock_ns / NS * NS);
    wd_rc rc = g->n_pend ? wd_incidents_flush(g->inc) : WD_OK;
    if (rc == WD_OK)
      return WD_OK;
    wd_log(WD_LOG_WARN, "ingest",
           "storing %zu messages failed (%s): %s; offsets not committed",
           g->n_pend, wd_rc_str(rc), wd_store_errmsg(g->store));
    if (stop_flag)
      return rc;
    struct timespec ts = {pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (pause_ms < RETRY_MS_MAX)
      pause_ms *= 2;
  }
}

static wd_rc on_revoke(void *user) { return store_batch(user); }

static void commit(ingest_t *g, wd_consume_t *c) {
  char err[512];
  if (wd_consume_commit(c, err, sizeof err) == WD_OK)
    g->commits++;
  else {
    g->commit_errors++;
    wd_log(WD_LOG_WARN, "ingest",
           "%s (the messages come again; stored "
           "ones change nothing)",
           err);
  }
}

static void stats_event(wd_eve_t *eve, const ingest_t *g, wd_consume_t *c) {
  if (!eve)
    return;
  wd_consume_stats_t cs;
  wd_consume_stats(c, &cs);
  wd_incidents_stats_t is;
  wd_incidents_stats(g->inc, &is);
  json_t *o = json_object();
  const struct {
    const char *n;
    uint64_t v;
  } k[] = {{"messages_in", g->in},
           {"alerts", g->alerts},
           {"frames", g->frames},
           {"heartbeats", g->heartbeats},
           {"duplicates", g->duplicates},
           {"bad", g->bad},
           {"stored", g->stored},
           {"pending", g->n_pend},
           {"db_errors", g->db_errors},
           {"commits", g->commits},
           {"commit_errors", g->commit_errors},
           {"partitions", cs.partitions},
           {"rebalances", cs.rebalances},
           {"incidents_opened", is.opened},
           {"incidents_merged", is.merged},
           {"incidents_closed", is.closed}};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
    json_object_set_new(o, k[i].n, json_integer((json_int_t)k[i].v));
  json_object_set_new(o, "lag", json_integer(cs.lag));
  json_t *w = json_object();
  json_object_set_new(w, "ingest", o);
  json_t *ev = json_object();
  json_object_set_new(ev, "ward", w);
  wd_eve_event(eve, "stats", wall_ns(), ev);
  wd_eve_flush(eve);
}

static int status(const wd_consume_opts_t *co, const char *db) {
  int ec = 0;
  char err[512];
  if (co->brokers) {
    static wd_consume_part_status_t parts[WD_CONSUME_STATUS_PARTS];
    size_t n = 0;
    int64_t lag = 0;
    if (wd_consume_group_status(co, 10000, parts, WD_CONSUME_STATUS_PARTS, &n,
                                &lag, err, sizeof err) != WD_OK) {
      fprintf(stderr, "ward ingest --status: %s\n", err);
      ec = WD_CLI_EXIT_RUNTIME;
    } else {
      printf("topic %s at %s, group %s: lag %" PRId64 " messages\n", co->topic,
             co->brokers, co->group, lag);
      printf("  partition  committed  high  lag\n");
      for (size_t i = 0; i < n; i++) {
        int64_t from =
            parts[i].committed >= 0 ? parts[i].committed : parts[i].low;
        printf("  %9d  %9" PRId64 "  %4" PRId64 "  %" PRId64 "\n",
               (int)parts[i].partition, parts[i].committed, parts[i].high,
               parts[i].high > from ? parts[i].high - from : 0);
      }
    }
  }
  if (db) {
    wd_store_t *s = NULL;
    if (wd_store_open_readonly(db, &s, err, sizeof err) != WD_OK) {
      fprintf(stderr, "ward ingest --status: %s\n", err);
      return WD_CLI_EXIT_RUNTIME;
    }
    wd_store_fleet_sensor_t *v = NULL;
    size_t n = 0;
    if (wd_store_fleet_sensors(s, 0, &v, &n) != WD_OK) {
      fprintf(stderr, "ward ingest --status: %s\n", wd_store_errmsg(s));
      ec = WD_CLI_EXIT_RUNTIME;
    } else {
      printf("store %s: %zu sensors\n", wd_store_name(s), n);
      printf("  sensor  messages  alerts  last event  last stored\n");
      for (size_t i = 0; i < n; i++) {
        char a[40], b[40];
        wd_eve_timestamp(v[i].last_event_ns, a);
        wd_eve_timestamp(v[i].last_stored_ns, b);
        printf("  %s  %" PRIu64 "  %" PRIu64 "  %.19sZ  %.19sZ\n", v[i].name,
               v[i].messages, v[i].alerts, a, b);
      }
    }
    free(v);
    wd_store_close(s);
  }
  return ec;
}

int wd_cmd_ingest(int argc, char **argv) {
  enum { O_FROM = 256, O_DB, O_GROUP, O_ONCE, O_JSON, O_STATS, O_STATUS };
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'},
      {"from", required_argument, 0, O_FROM},
      {"db", required_argument, 0, O_DB},
      {"group", required_argument, 0, O_GROUP},
      {"once", no_argument, 0, O_ONCE},
      {"kafka-property", required_argument, 0, 'X'},
      {"json", no_argument, 0, O_JSON},
      {"output", required_argument, 0, 'o'},
      {"stats-interval", required_argument, 0, O_STATS},
      {"status", no_argument, 0, O_STATUS},
      {"quiet", no_argument, 0, 'q'},
      {"verbose", no_argument, 0, 'v'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *cfg_path = NULL, *from = NULL, *db = NULL, *group = NULL;
  const char *out_path = NULL;
  const char *props[WD_FLEET_PROPS_MAX];
  size_t n_props = 0;
  bool once = false, json = false, want_status = false, quiet = false;
  uint64_t stats_s = 60;
  int c, ec;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:X:o:qvh", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      cfg_path = optarg;
      break;
    case O_FROM:
      from = strcmp(optarg, "-") == 0 ? NULL : optarg; /* -: configured */
      break;
    case O_DB:
      db = optarg;
      break;
    case O_GROUP:
      group = optarg;
      break;
    case O_ONCE:
      once = true;
      break;
    case 'X':
      if (n_props == WD_FLEET_PROPS_MAX) {
        fprintf(stderr, "ward ingest: more than %d -X properties\n",
                WD_FLEET_PROPS_MAX);
        return WD_CLI_EXIT_USAGE;
      }
      props[n_props++] = optarg;
      break;
    case O_JSON:
      json = true;
      break;
    case 'o':
      out_path = optarg;
      break;
    case O_STATS:
      if ((ec = wd_cli_uint("ingest", "--stats-interval", optarg, 1, 31536000,
                            "seconds", &stats_s)))
        return ec;
      break;
    case O_STATUS:
      want_status = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'v':
      wd_log_threshold++;
      break;
    case 'h':
      fputs(ingest_text, stdout);
      return 0;
    default:
      fprintf(stderr, "ward ingest: see 'ward ingest --help'\n");
      return WD_CLI_EXIT_USAGE;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "ward ingest: unexpected '%s'\n", argv[optind]);
    return WD_CLI_EXIT_USAGE;
  }
  if (json && out_path) {
    fprintf(stderr, "ward ingest: --json and -o are exclusive\n");
    return WD_CLI_EXIT_USAGE;
  }
  wd_config_t *cfg = NULL;
  if ((ec = wd_cli_load_config(cfg_path, NULL, &cfg)))
    return ec;
  const wd_fleet_conf_t *fc = wd_fleet_conf(cfg);
  char brokers[1024] = "", topic[1024] = "";
  if ((from || !want_status || fc->brokers) &&
      (ec = wd_cli_kafka_target("ingest", "--from", from, fc->brokers,
                                fc->topic, brokers, topic))) {
    wd_config_free(cfg);
    return ec;
  }
  wd_fleet_props_t pr;
  if ((ec = wd_cli_kafka_props("ingest", fc->ingest_properties, props, n_props,
                               &pr))) {
    wd_config_free(cfg);
    return ec;
  }
  ingest_t g;
  memset(&g, 0, sizeof g);
  wd_consume_opts_t co = {.brokers = brokers[0] ? brokers : NULL,
                          .topic = topic,
                          .group = group ? group : fc->group,
                          .props = pr.v,
                          .n_props = pr.n,
                          .on_revoke = on_revoke,
                          .user = &g};
  if (want_status) {
    const char *sdb = db ? db : wd_config_store_url(cfg);
    ec = status(&co, db || !co.brokers ? sdb : NULL);
    wd_fleet_props_fini(&pr);
    wd_config_free(cfg);
    return ec;
  }
  if (!db && !wd_config_store_url(cfg)) {
    fprintf(stderr, "ward ingest: no database (--db, store.url or db.path)\n");
    wd_fleet_props_fini(&pr);
    wd_config_free(cfg);
    return WD_CLI_EXIT_USAGE;
  }
  char err[512] = "";
  wd_eve_t *eve = NULL;
  const char *eve_path = json ? "-" : out_path;
  wd_consume_t *cons = NULL;
  wd_rc rc = WD_OK;
  ec = 0;
  if (eve_path && wd_eve_open(eve_path, &eve, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward ingest: %s\n", err);
    ec = WD_CLI_EXIT_RUNTIME;
    goto done;
  }
  if ((rc = wd_incidents_new(cfg, db, NULL, NULL, &g.inc, err, sizeof err)) !=
      WD_OK) {
    fprintf(stderr, "ward ingest: %s\n", err[0] ? err : wd_rc_str(rc));
    ec = rc == WD_ERR_CONFIG ? WD_CLI_EXIT_CONFIG : WD_CLI_EXIT_RUNTIME;
    goto done;
  }
  g.store = wd_incidents_store(g.inc);
  g.quiet_ns =
      (uint64_t)(cfg->incidents.quiet_window_s ? cfg->incidents.quiet_window_s
                                               : 3600) *
      NS;
  wd_incidents_txn_hook_t hook = {mark_txn, mark_done, &g};
  wd_incidents_set_txn_hook(g.inc, &hook);
  wd_incidents_set_counts_add(g.inc, true); /* stored messages are skipped */
  if ((rc = wd_consume_new(&co, &cons, err, sizeof err)) != WD_OK) {
    fprintf(stderr, "ward ingest: --from: %s\n", err);
    ec = WD_CLI_EXIT_CONFIG;
    goto done;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  uint64_t last_stats = wall_ns();
  while (!stop_flag) {
    unsigned n = 0;
    wd_consume_poll(cons, fc->batch, POLL_MS, on_message, &g, &n);
    if (g.store_failed) {
      fprintf(stderr, "ward ingest: the store failed: stopping without "
                      "committing the batch (it is read again)\n");
      ec = WD_CLI_EXIT_RUNTIME;
      break;
    }
    if (n) {
      if (store_batch(&g) != WD_OK) {
        ec = WD_CLI_EXIT_RUNTIME;
        break; /* stopping: not committed, read again next time */
      }
      commit(&g, cons);
    }
    uint64_t now = wall_ns();
    if (now - last_stats >= stats_s * NS) {
      stats_event(eve, &g, cons);
      last_stats = now;
    }
    if (once && n == 0 && wd_consume_caught_up(cons, CAUGHT_UP_MS))
      break;
  }
  /* The end (caught up, or a stop signal): the incidents are written and
   * closed with the last ids, then the offsets committed. */
  if (ec == 0) {
    g.closing_all = true;
    rc = wd_incidents_finish(g.inc);
    if (rc == WD_OK)
      rc = wd_incidents_flush(g.inc);
    if (rc != WD_OK) {
      fprintf(stderr, "ward ingest: storing incidents: %s\n",
              wd_store_errmsg(g.store));
      ec = WD_CLI_EXIT_RUNTIME;
    } else
      commit(&g, cons);
  }
  stats_event(eve, &g, cons);
  if (!quiet) {
    wd_incidents_stats_t is;
    wd_incidents_stats(g.inc, &is);
    fprintf(stderr,
            "ward ingest: %" PRIu64 " messages (%" PRIu64 " alerts, %" PRIu64
            " frames, %" PRIu64 " heartbeats), %" PRIu64
            " already stored, %" PRIu64 " undecodable; %" PRIu64
            " incidents opened, %" PRIu64 " continued\n",
            g.in, g.alerts, g.frames, g.heartbeats, g.duplicates, g.bad,
            is.opened, is.merged);
  }
done:
  wd_consume_close(cons);
  if (g.inc)
    wd_incidents_set_txn_hook(g.inc, NULL);
  wd_incidents_free(g.inc);
  free(g.pend);
  wd_eve_close(eve);
  wd_fleet_props_fini(&pr);
  wd_config_free(cfg);
  return ec;
}
