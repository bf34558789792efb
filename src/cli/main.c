/* main.c -- ward's command line: parses the subcommand and its options,
 * loads the configuration (before any traffic is read), and runs it.
 * Only this folder exits the process. Exit codes (also in --help and
 * README.md and ward --help): 0 success, 1 runtime failure, 2 usage error, 3
 * bad configuration, 4 a capture file or interface could not be read at all. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/log.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "detect/intel_match.h"
#include "engine/engine.h"
#include "fleet/fleet_conf.h"
#include "output/eve.h"
#include "serve/serve.h"

#define EXIT_RUNTIME WD_CLI_EXIT_RUNTIME
#define EXIT_USAGE WD_CLI_EXIT_USAGE
#define EXIT_CONFIG WD_CLI_EXIT_CONFIG
#define EXIT_CAPTURE WD_CLI_EXIT_CAPTURE

#define DEFAULT_CONFIG "/etc/ward/ward.yaml"

/* Longest --duration and --stats-interval: a year of seconds. */
#define SECONDS_MAX 31536000u

static const char usage_text[] =
    "usage: ward COMMAND [options]\n"
    "       ward --help | --version\n"
    "\n"
    "Commands:\n"
    "  analyze [options] CAPTURE...       analyze pcap/pcapng files ('-' = "
    "stdin)\n"
    "  watch -i IFACE [-f BPF] [options]  analyze live traffic\n"
    "  config check|show [-c FILE]        validate / print the "
    "configuration\n"
    "  incidents list|show ID|export ID   incidents stored in the database\n"
    "  notify [options]                   notify the parties of new "
    "incidents\n"
    "  inbox PATH                         import replies (.eml, mbox, "
    "Maildir)\n"
    "  reply REF --substantive|--formal   classify a reply by hand\n"
    "  report [options]                   notification accountability "
    "report\n"
    "  serve [--listen ADDR:PORT]         the console and its JSON API\n"
    "  token add|list|revoke              access tokens of the API\n"
    "  parties import FILE|list           the parties kept in the database\n"
    "  ingest --from URL --db URL        fleet centre: sensors' alerts "
    "into incidents\n"
    "  version                            print the version\n"
    "\n"
    "Options of every command:\n"
    "  -h, --help             that command's usage (e.g. ward analyze "
    "--help)\n"
    "      --version          (alone) print the version\n"
    "\n"
    "The manual page ward(1) describes every command and option.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad\n"
    "configuration, 4 a capture could not be read at all.\n";

static const char common_opts[] =
    "  -c, --config FILE      configuration (default " DEFAULT_CONFIG
    " if present,\n"
    "                         else built-in defaults)\n"
    "      --home-net LIST    protected networks, CIDR[,CIDR...] (replaces\n"
    "                         the configured ones)\n"
    "      --json             write events (JSON lines) to standard output\n"
    "  -o, --output FILE      write events to FILE (appended)\n"
    "      --flows            also write a flow event per ended flow\n"
    "      --intel FILE       indicator feed (STIX 2.1 bundle, MISP event or\n"
    "                         CSV) for intel.match, besides "
    "detect.intel.feeds\n"
    "                         and the built-in WannaCry domains (repeatable)\n"
    "      --stats-interval S write a stats event every S seconds of "
    "traffic\n"
    "                         (0 to 31536000; 0: at the end only)\n"
    "      --db URL           store alerts and incidents in this database: a\n"
    "                         SQLite file (PATH, sqlite:PATH) or PostgreSQL\n"
    "                         (postgresql://user:pass@host:port/db)\n"
    "  -q, --quiet            no human summary\n"
    "  -v, --verbose          more diagnostics (repeat for debug)\n"
    "  -h, --help             this text\n";

static const char analyze_text[] =
    "usage: ward analyze [options] CAPTURE...\n"
    "\n"
    "Reads pcap and pcapng files ('-' = standard input; several files are\n"
    "merged in time order) and reports the attacks in them. SIGINT or\n"
    "SIGTERM ends the input early (also a pipe that has gone quiet).\n"
    "\n"
    "Options:\n";
static const char fleet_opts[] =
    "      --sensor NAME      this sensor's name in incidents and fleet "
    "messages\n"
    "                         (default sensor.name, else the host name)\n"
    "      --publish URL      publish alerts and evidence frames to\n"
    "                         kafka://HOST:PORT[,...]/TOPIC ('-': the\n"
    "                         configured publish.kafka.brokers and topic)\n"
    "      --spool DIR        spool of unacknowledged messages (default\n"
    "                         publish.spool.dir)\n"
    "  -X, --kafka-property K=V  librdkafka property for --publish "
    "(repeatable)\n";
static const char analyze_tail[] =
    "      --metrics ADDR:PORT serve the counters as Prometheus metrics at\n"
    "                         http://ADDR:PORT/metrics while reading\n"
    "      --progress         progress line on standard error even when it "
    "is\n"
    "                         not a terminal (share read, time left)\n"
    "      --no-progress      no progress line\n"
    "      --profile-stages   time each stage of the packet path and print\n"
    "                         ns per packet of each on standard error\n"
    "      --workers N        packet threads (1 to 16; default\n"
    "                         engine.workers): each follows every flow and\n"
    "                         runs a share of the detectors, the alerts\n"
    "                         those of one thread; each keeps a flow table\n"
    "                         (memory.cap must hold N x flow.memcap)\n"
    "\n"
    "Without --json or -o, ward prints a short human summary of what it "
    "found.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad\n"
    "configuration, 4 a capture could not be read at all (the others are\n"
    "still analyzed).\n";

static const char watch_text[] =
    "usage: ward watch -i IFACE [-f BPF] [options]\n"
    "\n"
    "Captures live traffic on IFACE until SIGINT/SIGTERM (or --duration);\n"
    "SIGHUP reopens the event file and reloads the indicator feeds. Needs\n"
    "root, or the capabilities\n"
    "  setcap cap_net_raw,cap_net_admin+eip /path/to/ward\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  interface to capture on (required)\n"
    "  -f, --filter BPF       capture filter (pcap-filter(7) syntax)\n"
    "      --duration S       stop after S seconds (1 to 31536000)\n"
    "      --metrics ADDR:PORT serve the sensor's counters as Prometheus\n"
    "                         metrics at http://ADDR:PORT/metrics\n";
static const char watch_tail[] =
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error (also a bad\n"
    "filter), 3 bad configuration, 4 the interface could not be opened.\n";

static const char config_text[] =
    "usage: ward config check|show [-c FILE]\n"
    "\n"
    "  check   load the configuration and open what it names (MaxMind\n"
    "          databases, directory, evidence and database folders);\n"
    "          exit 0 when all is well, 3 otherwise, one line per problem\n"
    "  show    print the effective configuration as YAML\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE      configuration (default " DEFAULT_CONFIG
    " if present,\n"
    "                         else built-in defaults)\n"
    "  -h, --help             this text\n";

static void usage(FILE *f) { fputs(usage_text, f); }

static void capture_usage(FILE *f, bool live) {
  fputs(live ? watch_text : analyze_text, f);
  fputs(common_opts, f);
  fputs(fleet_opts, f);
  fputs(live ? watch_tail : analyze_tail, f);
}

static volatile sig_atomic_t stop_flag, reopen_flag;
static wd_capture_t *stop_capture; /* woken by the stop signals (a live
                                      read, or a file read on a pipe) */

static void on_signal(int sig) {
  if (sig == SIGHUP) {
    reopen_flag = 1;
  } else {
    stop_flag = 1;
    if (stop_capture)
      wd_capture_stop(stop_capture);
  }
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
}

/* Loads the configuration named by -c, or the default file, or defaults,
 * with the key tables of every detector. */
int wd_cli_load_config(const char *path, const char *home_net,
                       wd_config_t **cfg) {
  char err[512] = "";
  wd_rc rc;
  struct stat st;
  /* the detectors' and the stages' own key tables, known to every
     command (config check, config show): the console's (serve.*) and the
     fleet's (sensor.*, publish.*, ingest.*) */
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX + 2];
  size_t nks = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  ks[nks++] = &wd_serve_keyset;
  ks[nks++] = &wd_fleet_keyset;
  if (!path && stat(DEFAULT_CONFIG, &st) == 0)
    path = DEFAULT_CONFIG;
  if (path)
    rc = wd_config_load_extra(path, ks, nks, cfg, err, sizeof err);
  else
    rc = wd_config_defaults_extra(ks, nks, cfg);
  if (rc != WD_OK) {
    fprintf(stderr, "ward: %s\n", err[0] ? err : wd_rc_str(rc));
    return EXIT_CONFIG;
  }
  if (home_net &&
      wd_config_set_home_net(*cfg, home_net, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward: --home-net: %s\n", err);
    wd_config_free(*cfg);
    *cfg = NULL;
    return EXIT_CONFIG;
  }
  return 0;
}

/* Feeds given with --intel, kept for reloads. */
#define INTEL_FILES_MAX 64
typedef struct intel_src {
  const wd_config_t *cfg;
  const char *files[INTEL_FILES_MAX];
  size_t n;
} intel_src;

static void intel_say(void *user, const char *line) {
  (void)user;
  fprintf(stderr, "ward: intel: %s\n", line);
}

/* SIGHUP in watch (the engine's worker thread): the feeds read again. */
static wd_intel_set_t *intel_reload(void *user) {
  intel_src *src = user;
  wd_intel_set_t *s = NULL;
  unsigned bad = 0;
  if (wd_intel_build(src->cfg, src->files, src->n, intel_say, NULL, &s, &bad) !=
      WD_OK) {
    fprintf(stderr, "ward: intel: reload failed: out of memory; the "
                    "indicators in force stay\n");
    return NULL;
  }
  wd_intel_stats_t st;
  wd_intel_set_stats(s, &st);
  fprintf(stderr, "ward: intel: reloaded, %llu indicators in force\n",
          (unsigned long long)st.indicators);
  return s;
}

static void print_summary(FILE *h, const wd_capture_t *cap,
                          const wd_engine_result_t *res) {
  fprintf(
      h, "ward: %llu packets (%llu bytes), %llu decode errors, %llu alerts\n",
      (unsigned long long)res->packets, (unsigned long long)res->bytes,
      (unsigned long long)res->decode_errors, (unsigned long long)res->alerts);
  for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
    if (wd_capture_file_unread(fi))
      fprintf(h, "  %s: not read: %s\n", fi->path,
              fi->error[0] ? fi->error : "no frame of a supported link type");
  }
}

/* "null (0), ethernet (1), raw (12, 14, 101), ..." from the decoder's
 * own list. */
static const char *supported_linktypes(void) {
  static char buf[512];
  if (buf[0])
    return buf;
  size_t len = 0;
  const char *prev = NULL;
  for (int lt = 0; lt < 1024 && len < sizeof buf; lt++) {
    if (!wd_decode_linktype_supported(lt))
      continue;
    const char *name = wd_decode_linktype_name(lt);
    int n;
    if (prev && strcmp(prev, name) == 0) {
      len--; /* reopen the group: drop its ')' */
      n = snprintf(buf + len, sizeof buf - len, ", %d)", lt);
    } else {
      n = snprintf(buf + len, sizeof buf - len, "%s%s (%d)", prev ? ", " : "",
                   name, lt);
    }
    if (n < 0 || (size_t)n >= sizeof buf - len)
      break;
    len += (size_t)n;
    prev = name;
  }
  return buf;
}

/* Told about every interface of every capture file: says at once when its
 * link type cannot be decoded (its frames are then skipped). */
static bool accept_linktype(void *user, const char *path, uint32_t iface,
                            int linktype) {
  (void)user;
  if (wd_decode_linktype_supported(linktype))
    return true;
  if (iface == 0)
    fprintf(stderr, "ward: %s: link type %d is not supported; supported: %s\n",
            path, linktype, supported_linktypes());
  else
    fprintf(stderr,
            "ward: %s: interface %u: link type %d is not supported, its "
            "frames are skipped; supported: %s\n",
            path, iface, linktype, supported_linktypes());
  return false;
}

/* The message for a live capture that could not start, and its exit code:
 * a filter libpcap rejects is a usage error. */
static int live_open_failed(wd_rc rc, const char *err) {
  if (rc == WD_ERR_INVAL) {
    fprintf(stderr, "ward watch: bad --filter: %s\n", err);
    return EXIT_USAGE;
  }
  fprintf(stderr, "ward watch: cannot capture on %s\n", err);
  if (rc == WD_ERR_PERM) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
      snprintf(self, sizeof self, "/path/to/ward");
    else
      self[n] = '\0';
    fprintf(stderr,
            "ward watch: capturing needs root, or the capabilities "
            "CAP_NET_RAW and CAP_NET_ADMIN on the binary:\n"
            "  setcap cap_net_raw,cap_net_admin+eip %s\n",
            self);
  }
  return EXIT_CAPTURE;
}

/* After the engine: what is spooled is delivered for up to close_ms; the
 * rest stays in the spool for the next start (never lost). */
static int close_publisher(wd_publish_t *pub, uint32_t close_ms, FILE *human,
                           int ec) {
  if (!pub)
    return ec;
  wd_publish_stats_t st;
  wd_publish_close(pub, close_ms, &st);
  if (human)
    fprintf(human,
            "ward: published %llu messages, %llu delivered, %llu waiting in "
            "the spool, %llu evidence frames dropped\n",
            (unsigned long long)st.queued, (unsigned long long)st.delivered,
            (unsigned long long)st.spool.records,
            (unsigned long long)(st.spool.dropped + st.dropped_frames));
  if (st.spool.records)
    fprintf(stderr,
            "ward: %llu messages not yet acknowledged by the brokers stay in "
            "the spool and are sent at the next start\n",
            (unsigned long long)st.spool.records);
  if (st.alerts_dropped || st.spool.refused_keep)
    fprintf(stderr, "ward: %llu alerts could not be published (spool full)\n",
            (unsigned long long)(st.alerts_dropped + st.spool.refused_keep));
  return ec;
}

static int run_capture(int argc, char **argv, bool live) {
  enum {
    O_HOME = 256,
    O_JSON,
    O_FLOWS,
    O_STATS,
    O_DB,
    O_NOPROG,
    O_PROG,
    O_DURATION,
    O_METRICS,
    O_INTEL,
    O_PROFILE,
    O_SENSOR,
    O_PUBLISH,
    O_SPOOL,
    O_WORKERS
  };
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'},
      {"home-net", required_argument, 0, O_HOME},
      {"json", no_argument, 0, O_JSON},
      {"output", required_argument, 0, 'o'},
      {"flows", no_argument, 0, O_FLOWS},
      {"stats-interval", required_argument, 0, O_STATS},
      {"db", required_argument, 0, O_DB},
      {"no-progress", no_argument, 0, O_NOPROG},
      {"progress", no_argument, 0, O_PROG},
      {"profile-stages", no_argument, 0, O_PROFILE},
      {"workers", required_argument, 0, O_WORKERS},
      {"quiet", no_argument, 0, 'q'},
      {"verbose", no_argument, 0, 'v'},
      {"interface", required_argument, 0, 'i'},
      {"filter", required_argument, 0, 'f'},
      {"duration", required_argument, 0, O_DURATION},
      {"metrics", required_argument, 0, O_METRICS},
      {"intel", required_argument, 0, O_INTEL},
      {"sensor", required_argument, 0, O_SENSOR},
      {"publish", required_argument, 0, O_PUBLISH},
      {"spool", required_argument, 0, O_SPOOL},
      {"kafka-property", required_argument, 0, 'X'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *cmd = live ? "watch" : "analyze";
  const char *cfg_path = NULL, *home_net = NULL, *out_path = NULL;
  const char *db = NULL, *iface = NULL, *bpf = NULL, *metrics = NULL;
  bool json = false, flows = false, quiet = false, progress = true;
  bool force_progress = false, have_stats = false, profile = false;
  uint64_t stats_interval = 0, duration = 0, workers = 0;
  static intel_src isrc;
  memset(&isrc, 0, sizeof isrc);
  const char *sensor_opt = NULL, *publish_url = NULL, *spool = NULL;
  const char *props[WD_FLEET_PROPS_MAX];
  size_t n_props = 0;
  bool publish = false;
  int c, ec;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:o:qvi:f:hX:", opts, NULL)) != -1) {
    switch (c) {
    case O_SENSOR:
      sensor_opt = optarg;
      break;
    case O_PUBLISH:
      publish = true;
      publish_url = strcmp(optarg, "-") == 0 ? NULL : optarg;
      break;
    case O_SPOOL:
      spool = optarg;
      break;
    case 'X':
      if (n_props == WD_FLEET_PROPS_MAX) {
        fprintf(stderr, "ward %s: more than %d -X properties\n", cmd,
                WD_FLEET_PROPS_MAX);
        return EXIT_USAGE;
      }
      props[n_props++] = optarg;
      break;
    case 'c':
      cfg_path = optarg;
      break;
    case O_HOME:
      home_net = optarg;
      break;
    case O_JSON:
      json = true;
      break;
    case 'o':
      out_path = optarg;
      break;
    case O_FLOWS:
      flows = true;
      break;
    case O_STATS:
      if ((ec = wd_cli_uint(cmd, "--stats-interval", optarg, 0, SECONDS_MAX,
                            "seconds", &stats_interval)))
        return ec;
      have_stats = true;
      break;
    case O_DB:
      db = optarg;
      break;
    case O_INTEL:
      if (isrc.n >= INTEL_FILES_MAX) {
        fprintf(stderr, "ward %s: --intel: at most %d feed files\n", cmd,
                INTEL_FILES_MAX);
        return EXIT_USAGE;
      }
      isrc.files[isrc.n++] = optarg;
      break;
    case O_NOPROG:
      progress = false;
      break;
    case O_PROG:
      force_progress = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'v':
      wd_log_threshold++;
      break;
    case O_PROFILE:
      if (live) {
        fprintf(stderr, "ward watch: --profile-stages is an option of ward "
                        "analyze\n");
        return EXIT_USAGE;
      }
      profile = true;
      break;
    case O_WORKERS:
      if (live) {
        fprintf(stderr, "ward watch: --workers is an option of ward analyze "
                        "(a live interface is read by one packet thread)\n");
        return EXIT_USAGE;
      }
      if ((ec = wd_cli_uint(cmd, "--workers", optarg, 1, 16, "packet threads",
                            &workers)))
        return ec;
      break;
    case 'i':
    case 'f':
    case O_DURATION:
      if (!live) {
        fprintf(stderr, "ward analyze: %s is an option of ward watch\n",
                c == 'i'   ? "-i/--interface"
                : c == 'f' ? "-f/--filter"
                           : "--duration");
        return EXIT_USAGE;
      }
      if (c == 'i')
        iface = optarg;
      else if (c == 'f')
        bpf = optarg;
      else if ((ec = wd_cli_uint(cmd, "--duration", optarg, 1, SECONDS_MAX,
                                 "seconds", &duration)))
        return ec;
      break;
    case O_METRICS:
      metrics = optarg;
      break;
    case 'h':
      capture_usage(stdout, live);
      return 0;
    default:
      fprintf(stderr, "ward %s: see 'ward %s --help'\n", cmd, cmd);
      return EXIT_USAGE;
    }
  }
  if (profile && workers > 1) {
    fprintf(stderr, "ward analyze: --profile-stages times one packet thread: "
                    "expected no --workers above 1 with it\n");
    return EXIT_USAGE;
  }
  if (live && (!iface || optind != argc)) {
    fprintf(stderr, "ward watch: give one interface with -i and no files\n");
    return EXIT_USAGE;
  }
  if (!live && optind == argc) {
    fprintf(stderr, "ward analyze: no capture file given\n");
    return EXIT_USAGE;
  }
  if (!live && argc - optind > WD_CAPTURE_FILES_MAX) {
    fprintf(stderr, "ward analyze: %d capture files; expected at most %d\n",
            argc - optind, WD_CAPTURE_FILES_MAX);
    return EXIT_USAGE;
  }
  if (json && out_path) {
    fprintf(stderr, "ward: --json and -o are exclusive\n");
    return EXIT_USAGE;
  }

  if ((spool || n_props) && !publish) {
    fprintf(stderr, "ward %s: --spool and -X go with --publish\n", cmd);
    return EXIT_USAGE;
  }
  wd_config_t *cfg = NULL;
  ec = wd_cli_load_config(cfg_path, home_net, &cfg);
  if (ec)
    return ec;
  if (!publish && wd_fleet_conf(cfg)->brokers)
    publish = true; /* publish.kafka.brokers configured: a sensor */

  char err[512] = "";
  /* Indicators: read here, before any packet; reloads on the worker. */
  wd_intel_set_t *intel = NULL;
  wd_intel_conf_t ic;
  wd_intel_conf(cfg, &ic);
  isrc.cfg = cfg;
  if (ic.enabled) {
    unsigned bad = 0;
    if (wd_intel_build(cfg, isrc.files, isrc.n, intel_say, NULL, &intel,
                       &bad) != WD_OK) {
      fprintf(stderr, "ward: intel: out of memory\n");
      wd_config_free(cfg);
      return EXIT_RUNTIME;
    }
    if (bad) {
      fprintf(stderr, "ward: intel: %u feed file%s could not be used\n", bad,
              bad == 1 ? "" : "s");
      wd_intel_set_free(intel);
      wd_config_free(cfg);
      return EXIT_CONFIG;
    }
  } else if (isrc.n) {
    fprintf(stderr, "ward: --intel: detect.intel.enabled is false in the "
                    "configuration\n");
    wd_config_free(cfg);
    return EXIT_CONFIG;
  }

  char sensor[WD_FLEET_SENSOR_MAX + 1] = "";
  if (sensor_opt &&
      wd_fleet_sensor_name(sensor_opt, sensor, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward %s: --sensor: %s\n", cmd, err);
    wd_config_free(cfg);
    return EXIT_USAGE;
  }
  if (!sensor_opt && wd_fleet_conf(cfg)->sensor &&
      wd_fleet_sensor_name(wd_fleet_conf(cfg)->sensor, sensor, err,
                           sizeof err) != WD_OK) {
    fprintf(stderr, "ward %s: sensor.name: %s\n", cmd, err);
    wd_config_free(cfg);
    return EXIT_CONFIG;
  }
  wd_eve_t *eve = NULL;
  const char *eve_path = json       ? "-"
                         : out_path ? out_path
                                    : cfg->outputs.eve_path;
  if (eve_path && wd_eve_open(eve_path, &eve, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    wd_intel_set_free(intel);
    wd_config_free(cfg);
    return EXIT_RUNTIME;
  }
  wd_eve_set_http(eve, cfg->outputs.http_held, cfg->outputs.http_wait_s);

  wd_capture_t *cap = NULL;
  wd_rc rc;
  if (live) {
    rc = wd_capture_open_live(iface, bpf, cfg, &cap, err, sizeof err);
    if (rc != WD_OK) {
      wd_eve_close(eve);
      wd_intel_set_free(intel);
      wd_config_free(cfg);
      return live_open_failed(rc, err);
    }
  } else {
    wd_capture_opts_t co = {.accept_linktype = accept_linktype};
    rc = wd_capture_open_files((const char *const *)argv + optind,
                               (size_t)(argc - optind), &co, &cap);
    if (!cap) {
      wd_eve_close(eve);
      wd_intel_set_free(intel);
      wd_config_free(cfg);
      return EXIT_RUNTIME;
    }
  }
  for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
    /* A refused link type was already named by accept_linktype. */
    if (!fi->opened && fi->refused_linktype < 0)
      fprintf(stderr, "ward: %s: cannot read: %s\n", fi->path, fi->error);
  }

  wd_publish_t *pub = NULL;
  if (publish && (ec = wd_cli_publisher(cmd, cfg, publish_url, sensor_opt,
                                        spool, props, n_props, &pub, sensor))) {
    wd_capture_close(cap);
    wd_eve_close(eve);
    wd_config_free(cfg);
    return ec;
  }
  stop_capture = cap;
  install_signals();
  if (live && duration > 0)
    alarm((unsigned)duration);

  wd_engine_opts_t po = {0};
  po.eve = eve;
  po.human = (!quiet && !json) ? stdout : NULL;
  /* With -o the human lines still go to stdout; with --json stdout is
   * the event stream. */
  po.progress =
      !live && (force_progress || (progress && isatty(STDERR_FILENO)));
  po.flow_events = flows || cfg->outputs.flow_events;
  char bad[64];
  if (!wd_eve_protocols(cfg->outputs.eve_protocols, &po.eve_protocols, bad,
                        sizeof bad)) {
    fprintf(stderr,
            "ward: outputs.eve.protocols: '%s' is not one of dns, tls, "
            "http\n",
            bad);
    stop_capture = NULL;
    wd_capture_close(cap);
    wd_eve_close(eve);
    wd_intel_set_free(intel);
    wd_config_free(cfg);
    return EXIT_CONFIG;
  }
  po.stats_interval_s = have_stats ? (uint32_t)stats_interval
                        : live     ? cfg->outputs.stats_interval_s
                                   : 0;
  po.db_path = db;
  po.stop = &stop_flag;
  po.reopen = &reopen_flag;
  po.intel = intel; /* the engine's from here on */
  if (live && ic.enabled) {
    po.intel_reload = intel_reload;
    po.intel_user = &isrc;
  }

  /* --metrics: the counters over HTTP, from the worker's snapshots */
  wd_sensor_metrics_t *sm = NULL;
  wd_metrics_server_t *msrv = NULL;
  if (metrics) {
    sm = wd_sensor_metrics_new();
    if (!sm || wd_metrics_server_start(metrics, wd_sensor_metrics_render, sm,
                                       &msrv, err, sizeof err) != WD_OK) {
      fprintf(stderr, "ward %s: --metrics: %s\n", cmd,
              sm ? err : "out of memory");
      wd_sensor_metrics_free(sm);
      wd_capture_close(cap);
      wd_eve_close(eve);
      wd_config_free(cfg);
      return EXIT_USAGE;
    }
    fprintf(stderr, "ward %s: metrics on %s\n", cmd,
            wd_metrics_server_url(msrv));
    po.on_stats = wd_sensor_metrics_update;
    po.stats_user = sm;
  }

  po.profile_stages = profile;
  po.workers = (unsigned)workers;
  po.publish = pub;
  po.sensor = sensor[0] ? sensor : NULL;

  wd_engine_result_t res = {0};
  wd_engine_t *eng = NULL;
  rc = wd_engine_new(cfg, cap, &po, &eng, err, sizeof err);
  bool refused = rc == WD_ERR_INVAL; /* the configuration, for --workers */
  if (rc == WD_OK) {
    rc = wd_engine_run(eng, err, sizeof err);
    wd_engine_result(eng, &res);
    if (profile)
      wd_engine_profile_print(eng, stderr);
    wd_engine_free(eng);
  }
  if (rc != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    ec = refused ? EXIT_CONFIG : EXIT_RUNTIME;
  } else {
    for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
      const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
      if (!fi->opened)
        continue;
      if (fi->error[0] && fi->frames == 0)
        fprintf(stderr, "ward: %s: cannot read: %s (at frame %llu)\n", fi->path,
                fi->error, (unsigned long long)fi->error_frame);
      else if (fi->error[0])
        fprintf(stderr,
                "ward: %s: stopped reading at frame %llu: %s (the %llu "
                "frames before it were analyzed)\n",
                fi->path, (unsigned long long)fi->error_frame, fi->error,
                (unsigned long long)fi->frames);
      else if (fi->skipped && fi->frames == 0)
        fprintf(stderr,
                "ward: %s: nothing read: all %llu frames have link types "
                "ward does not support\n",
                fi->path, (unsigned long long)fi->skipped);
      if (fi->skipped && fi->frames)
        fprintf(stderr,
                "ward: %s: %llu frames skipped (unsupported link types), "
                "%llu analyzed\n",
                fi->path, (unsigned long long)fi->skipped,
                (unsigned long long)fi->frames);
    }
    if (po.human)
      print_summary(po.human, cap, &res);
    ec = res.files_failed ? EXIT_CAPTURE : 0;
  }
  stop_capture = NULL;
  wd_metrics_server_stop(msrv);
  wd_sensor_metrics_free(sm);
  ec = close_publisher(pub, wd_fleet_conf(cfg)->close_ms, po.human, ec);
  wd_capture_close(cap);
  wd_eve_close(eve);
  wd_config_free(cfg);
  return ec;
}

static int cmd_config(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *path = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      path = optarg;
      break;
    case 'h':
      fputs(config_text, stdout);
      return 0;
    default:
      fputs(config_text, stderr);
      return EXIT_USAGE;
    }
  }
  if (optind + 1 != argc ||
      (strcmp(argv[optind], "show") != 0 && strcmp(argv[optind], "check"))) {
    if (optind < argc)
      fprintf(stderr, "ward config: unexpected '%s'\n",
              argv[optind +
                   (optind + 1 < argc && (!strcmp(argv[optind], "show") ||
                                          !strcmp(argv[optind], "check")))]);
    fputs(config_text, stderr);
    return EXIT_USAGE;
  }
  const char *sub = argv[optind];
  wd_config_t *cfg = NULL;
  int ec = wd_cli_load_config(path, NULL, &cfg);
  if (ec)
    return ec;
  if (strcmp(sub, "show") == 0) {
    wd_config_dump(cfg, stdout);
  } else {
    ec = wd_cli_config_check(cfg);
    if (ec == 0)
      printf("ward: configuration %s is valid (%zu facilities)\n",
             cfg->path ? cfg->path : "(built-in defaults)", cfg->n_facilities);
  }
  wd_config_free(cfg);
  return ec;
}

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || !strcmp(argv[1], "-h"))) {
    puts("usage: ward version   (or ward --version): print the version");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "ward version: unexpected '%s'\n", argv[1]);
    return EXIT_USAGE;
  }
  printf("ward %s\n", WARD_VERSION);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "analyze") == 0)
    return run_capture(argc - 1, argv + 1, false);
  if (strcmp(cmd, "watch") == 0)
    return run_capture(argc - 1, argv + 1, true);
  if (strcmp(cmd, "config") == 0)
    return cmd_config(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
    return cmd_version(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  for (const wd_command_t *c = wd_commands; c->name; c++)
    if (strcmp(cmd, c->name) == 0)
      return c->fn(argc - 1, argv + 1);
  fprintf(stderr, "ward: unknown command '%s'\n", cmd);
  usage(stderr);
  return EXIT_USAGE;
}
