/* kafka_mock.c -- librdkafka's mock Kafka cluster (rdkafka_mock.h) as a
 * process of its own, for the fleet tests and for trying `ward ... --publish`
 * by hand. No broker to install: the mock brokers listen on loopback.
 *   kafka_mock [-b BROKERS] [-t TOPIC[:PARTITIONS]]...
 * Starts BROKERS (default 3) brokers, creates each topic (default 4
 * partitions, replication min(3, BROKERS)), prints the bootstrap servers as
 * one line on standard output and runs until SIGTERM/SIGINT, "quit" or the
 * end of standard input. Commands on standard input, one per line, each
 * answered by one line ("ok" or "error: ..."):
 *   down ID|all      disconnect a broker and refuse new connections
 *   up ID|all        accept connections again
 *   rtt ID|all MS    delay the broker's responses by MS milliseconds
 *   topic NAME N     create a topic with N partitions
 *   quit
 * Only what Debian's librdkafka 2.0.2 mock API offers is used. */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static int brokers = 3;

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec) {
  char name[256];
  int parts = 4;
  const char *colon = strchr(spec, ':');
  size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
  if (n == 0 || n >= sizeof name)
    return -1;
  memcpy(name, spec, n);
  name[n] = 0;
  if (colon) {
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || v < 1 || v > 1000)
      return -1;
    parts = (int)v;
  }
  return rd_kafka_mock_topic_create(mc, name, parts,
                                    brokers < 3 ? brokers : 3) ==
                 RD_KAFKA_RESP_ERR_NO_ERROR
             ? 0
             : -1;
}

static int broker_id(const char *s, int32_t *id) {
  if (strcmp(s, "all") == 0) {
    *id = -1;
    return 0;
  }
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 1 || v > brokers)
    return -1;
  *id = (int32_t)v;
  return 0;
}

/* One command line; writes the answer. Returns 1 on quit. */
static int command(rd_kafka_mock_cluster_t *mc, char *line) {
  char *argv[4] = {0};
  int argc = 0;
  for (char *tok = strtok(line, " \t\r\n"); tok && argc < 4;
       tok = strtok(NULL, " \t\r\n"))
    argv[argc++] = tok;
  if (argc == 0)
    return 0;
  int32_t id;
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (strcmp(argv[0], "quit") == 0) {
    printf("ok\n");
    fflush(stdout);
    return 1;
  } else if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) &&
             argc == 2 && broker_id(argv[1], &id) == 0) {
    e = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                          : rd_kafka_mock_broker_set_up(mc, id);
  } else if (strcmp(argv[0], "rtt") == 0 && argc == 3 &&
             broker_id(argv[1], &id) == 0) {
    e = rd_kafka_mock_broker_set_rtt(mc, id, atoi(argv[2]));
  } else if (strcmp(argv[0], "topic") == 0 && argc == 3) {
    char spec[300];
    snprintf(spec, sizeof spec, "%s:%s", argv[1], argv[2]);
    if (create_topic(mc, spec) != 0)
      e = RD_KAFKA_RESP_ERR__INVALID_ARG;
  } else {
    printf("error: unknown command or arguments (down|up ID|all, rtt ID|all "
           "MS, topic NAME N, quit)\n");
    fflush(stdout);
    return 0;
  }
  if (e)
    printf("error: %s\n", rd_kafka_err2str(e));
  else
    printf("ok\n");
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  const char *topics[64];
  int ntopics = 0, opt;
  while ((opt = getopt(argc, argv, "b:t:")) != -1) {
    if (opt == 'b') {
      brokers = atoi(optarg);
      if (brokers < 1 || brokers > 16) {
        fprintf(stderr, "kafka_mock: -b takes 1..16\n");
        return 2;
      }
    } else if (opt == 't' && ntopics < 64) {
      topics[ntopics++] = optarg;
    } else {
      fprintf(stderr, "usage: kafka_mock [-b BROKERS] [-t TOPIC[:N]]...\n");
      return 2;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "kafka_mock: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  for (int i = 0; i < ntopics; i++)
    if (create_topic(mc, topics[i]) != 0) {
      fprintf(stderr, "kafka_mock: bad topic %s (NAME[:1..1000])\n", topics[i]);
      rd_kafka_mock_cluster_destroy(mc);
      rd_kafka_destroy(rk);
      return 2;
    }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char buf[1024];
  size_t used = 0;
  while (!stop) {
    ssize_t n = read(0, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; /* end of input: the test that started us is gone */
    used += (size_t)n;
    buf[used] = 0;
    char *nl;
    int quit = 0;
    while (!quit && (nl = strchr(buf, '\n')) != NULL) {
      *nl = 0;
      quit = command(mc, buf);
      size_t rest = used - (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, rest);
      used = rest;
      buf[used] = 0;
    }
    if (quit)
      break;
    if (used == sizeof buf - 1)
      used = 0; /* a line too long: forget it */
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
