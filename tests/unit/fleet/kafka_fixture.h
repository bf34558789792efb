/* kafka_fixture.h -- what the fleet's Kafka tests share: a mock cluster
 * (librdkafka's, in this process, or tests/tools/kafka_mock as a child
 * whose bootstrap line we wait for and whose stdin takes commands), a
 * scratch directory, a collector of consumed messages, and waiting on a
 * condition with a deadline (never a fixed sleep). */
#ifndef WD_TEST_KAFKA_FIXTURE_H
#define WD_TEST_KAFKA_FIXTURE_H

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet/consume.h"
#include "fleet/fleet_msg.h"
#include "fleet/publish.h"

#define DEADLINE_MS 60000 /* generous: the machine may be busy */

static inline uint64_t fx_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- scratch directory ------------------------------------------------- */

static char fx_root[64];

static inline void fx_mkroot(const char *name) {
  snprintf(fx_root, sizeof fx_root, "/tmp/wd_%s.XXXXXX", name);
  if (!mkdtemp(fx_root))
    abort();
}

static inline void fx_rmroot(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_root);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", fx_root);
}

/* --- in-process mock cluster ------------------------------------------ */

typedef struct fx_cluster {
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  char bootstraps[256];
} fx_cluster_t;

static inline void fx_cluster_start(fx_cluster_t *c, const char *topic,
                                    int parts) {
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!c->rk)
    abort();
  c->mc = rd_kafka_mock_cluster_new(c->rk, 3);
  if (!c->mc)
    abort();
  if (rd_kafka_mock_topic_create(c->mc, topic, parts, 3))
    abort();
  snprintf(c->bootstraps, sizeof c->bootstraps, "%s",
           rd_kafka_mock_cluster_bootstraps(c->mc));
}

static inline void fx_cluster_stop(fx_cluster_t *c) {
  rd_kafka_mock_cluster_destroy(c->mc);
  rd_kafka_destroy(c->rk);
}

/* --- kafka_mock as a child process ------------------------------------ */

typedef struct fx_mock {
  pid_t pid;
  int in, out; /* its stdin (we write), its stdout (we read) */
  char bootstraps[256];
} fx_mock_t;

/* Reads one line from fd within the deadline; 0 on success. */
static inline int fx_read_line(int fd, char *buf, size_t n, uint64_t deadline) {
  size_t used = 0;
  while (used + 1 < n) {
    uint64_t now = fx_now_ms();
    if (now >= deadline)
      return -1;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, (int)(deadline - now));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    char c;
    ssize_t k = read(fd, &c, 1);
    if (k <= 0)
      return -1;
    if (c == '\n') {
      buf[used] = 0;
      return 0;
    }
    buf[used++] = c;
  }
  return -1;
}

static inline int fx_mock_start(fx_mock_t *m, const char *path,
                                const char *topic) {
  int to[2], from[2];
  if (pipe(to) || pipe(from))
    return -1;
  m->pid = fork();
  if (m->pid < 0)
    return -1;
  if (m->pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[1]);
    close(from[0]);
    execl(path, path, "-b", "3", "-t", topic, (char *)NULL);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  m->in = to[1];
  m->out = from[0];
  return fx_read_line(m->out, m->bootstraps, sizeof m->bootstraps,
                      fx_now_ms() + DEADLINE_MS);
}

/* Sends one command and waits for its "ok". */
static inline int fx_mock_cmd(fx_mock_t *m, const char *cmd) {
  char line[256];
  size_t n = strlen(cmd);
  if (write(m->in, cmd, n) != (ssize_t)n || write(m->in, "\n", 1) != 1)
    return -1;
  if (fx_read_line(m->out, line, sizeof line, fx_now_ms() + DEADLINE_MS))
    return -1;
  return strcmp(line, "ok") == 0 ? 0 : -1;
}

static inline int fx_mock_stop(fx_mock_t *m) {
  kill(m->pid, SIGTERM);
  int status;
  waitpid(m->pid, &status, 0);
  close(m->in);
  close(m->out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* --- collecting consumed messages ------------------------------------- */

typedef struct fx_got {
  char id[WD_FLEET_ID_STRLEN];
  char sensor[WD_FLEET_SENSOR_MAX + 1];
  uint64_t seq;
  wd_fleet_kind kind;
  int32_t partition;
  int64_t offset;
  char key[WD_FLEET_KEY_MAX + 1];
  uint64_t attack_id; /* alert: its attack; frame: the one it shows */
} fx_got_t;

typedef struct fx_sink {
  fx_got_t *v;
  size_t n, cap;
  size_t bad;
} fx_sink_t;

static inline void fx_collect(void *user, const wd_fleet_msg_t *m,
                              const wd_consume_pos_t *pos, const char *err) {
  fx_sink_t *s = user;
  if (!m) {
    fprintf(stderr, "undecodable message at %d/%lld: %s\n", pos->partition,
            (long long)pos->offset, err);
    s->bad++;
    return;
  }
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 256;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v)
      abort();
  }
  fx_got_t *g = &s->v[s->n++];
  memset(g, 0, sizeof *g);
  wd_fleet_id_str(&m->id, g->id);
  snprintf(g->sensor, sizeof g->sensor, "%s", m->id.sensor);
  g->seq = m->id.seq;
  g->kind = m->kind;
  g->partition = pos->partition;
  g->offset = pos->offset;
  size_t kl = pos->key_len < WD_FLEET_KEY_MAX ? pos->key_len : WD_FLEET_KEY_MAX;
  if (pos->key)
    memcpy(g->key, pos->key, kl);
  if (m->kind == WD_FLEET_ALERT)
    g->attack_id = m->u.alert.alert.attack_id;
  else if (m->kind == WD_FLEET_FRAME)
    g->attack_id = m->u.frame.attack_id;
}

static inline int fx_cmp_id(const void *a, const void *b) {
  return strcmp(((const fx_got_t *)a)->id, ((const fx_got_t *)b)->id);
}

/* Distinct ids among the sinks; *dups gets the number of repeats. */
static inline size_t fx_distinct(fx_sink_t **sinks, int n, size_t *dups) {
  size_t total = 0;
  for (int i = 0; i < n; i++)
    total += sinks[i]->n;
  fx_got_t *all = malloc((total ? total : 1) * sizeof *all);
  size_t k = 0;
  for (int i = 0; i < n; i++) {
    if (sinks[i]->n)
      memcpy(all + k, sinks[i]->v, sinks[i]->n * sizeof *all);
    k += sinks[i]->n;
  }
  qsort(all, total, sizeof *all, fx_cmp_id);
  size_t distinct = 0;
  *dups = 0;
  for (size_t i = 0; i < total; i++) {
    if (i && strcmp(all[i].id, all[i - 1].id) == 0)
      (*dups)++;
    else
      distinct++;
  }
  free(all);
  return distinct;
}

static inline bool fx_has(const fx_sink_t *s, const char *id) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i].id, id) == 0)
      return true;
  return false;
}

static inline void fx_sink_free(fx_sink_t *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* --- publishing helpers ----------------------------------------------- */

static const char *const fx_facilities[] = {
    "St. Mary", "Riverside Clinic", "North General", "Children's", "Eastside"};

static inline void fx_alert(wd_alert_t *a, uint64_t attack_id) {
  memset(a, 0, sizeof *a);
  a->detector = "smb.ms17-010";
  a->signature_id = 2100001;
  a->signature = "EternalBlue exploit attempt";
  a->category = "Attempted Administrator Privilege Gain";
  a->severity = 1;
  a->rsit_class = "intrusion-attempts";
  a->rsit_type = "exploit";
  a->state = WD_ALERT_START;
  a->attack_id = attack_id;
  a->ts_ns = 1700000000000000000ull + attack_id;
  a->has_src = true;
  wd_addr_parse("198.51.100.7", &a->src);
  wd_addr_parse("10.0.0.9", &a->dst);
  a->has_ports = true;
  a->sport = 40000;
  a->dport = 445;
  a->proto = 6;
  wd_alert_add_u64(a, "attempts", attack_id);
}

static inline wd_publish_t *fx_publisher(const char *brokers, const char *topic,
                                         const char *sensor,
                                         const char *spool) {
  static const char *const props[] = {"linger.ms=2",
                                      "reconnect.backoff.max.ms=500"};
  wd_publish_opts_t o = {.brokers = brokers,
                         .topic = topic,
                         .sensor = sensor,
                         .props = props,
                         .n_props = 2,
                         .spool = {.dir = spool,
                                   .max_bytes = 8u << 20,
                                   .sync = WD_SPOOL_SYNC_BATCH},
                         .retry_ms = 200};
  wd_publish_t *p;
  char err[512];
  if (wd_publish_new(&o, &p, err, sizeof err) != WD_OK) {
    fprintf(stderr, "publisher: %s\n", err);
    return NULL;
  }
  return p;
}

static inline wd_consume_t *fx_consumer(const char *brokers, const char *topic,
                                        const char *group,
                                        wd_consume_revoke_fn rv, void *user) {
  static const char *const props[] = {
      "session.timeout.ms=6000", "heartbeat.interval.ms=500",
      "topic.metadata.refresh.interval.ms=1000", "fetch.wait.max.ms=100"};
  wd_consume_opts_t o = {.brokers = brokers,
                         .topic = topic,
                         .group = group,
                         .props = props,
                         .n_props = 4,
                         .on_revoke = rv,
                         .user = user};
  wd_consume_t *c;
  char err[512];
  if (wd_consume_new(&o, &c, err, sizeof err) != WD_OK) {
    fprintf(stderr, "consumer: %s\n", err);
    return NULL;
  }
  return c;
}

#endif
