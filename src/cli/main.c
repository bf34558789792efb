/* main.c -- ward's command line: parses the subcommand and its options,
 * loads the configuration (before any traffic is read), and runs it.
 * Only this folder exits the process. Exit codes (also in --help and
 * README.md and ward --help): 0 success, 1 runtime failure, 2 usage error, 3
 * bad configuration, 4 a capture file or interface could not be read at all. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "core/config.h"
#include "core/log.h"
#include "output/eve.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_CONFIG 3
#define EXIT_CAPTURE 4

#define DEFAULT_CONFIG "/etc/ward/ward.yaml"

static const char usage_text[] =
    "usage: ward COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  analyze [options] CAPTURE...   analyze pcap/pcapng files ('-' = stdin)\n"
    "  watch -i IFACE [-f BPF] [options]  analyze live traffic\n"
    "  config check|show [-c FILE]    validate / print the configuration\n"
    "  incidents list|show ID|export ID   incidents stored in the database\n"
    "  notify | inbox PATH | reply REF | report   notifications and replies\n"
    "  version                        print the version\n"
    "\n"
    "Options of analyze and watch:\n"
    "  -c, --config FILE      configuration (default " DEFAULT_CONFIG
    " if present,\n"
    "                         else built-in defaults)\n"
    "      --home-net LIST    protected networks, CIDR[,CIDR...] (replaces\n"
    "                         the configured ones)\n"
    "      --json             write events (JSON lines) to standard output\n"
    "  -o, --output FILE      write events to FILE (appended)\n"
    "      --flows            also write a flow event per ended flow\n"
    "      --stats-interval S write a stats event every S seconds of traffic\n"
    "      --db PATH          store alerts and incidents in this SQLite file\n"
    "      --no-progress      no progress line on standard error\n"
    "  -q, --quiet            no human summary\n"
    "  -v, --verbose          more diagnostics (repeat for debug)\n"
    "  -i, --interface IFACE  (watch) interface to capture on\n"
    "  -f, --filter BPF       (watch) capture filter\n"
    "      --duration S       (watch) stop after S seconds\n"
    "\n"
    "Without --json or -o, ward prints a short human summary of what it "
    "found.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 bad\n"
    "configuration, 4 a capture could not be read at all.\n";

static void usage(FILE *f) { fputs(usage_text, f); }

static volatile sig_atomic_t stop_flag, reopen_flag;
static wd_capture_t *live_capture; /* woken by the stop signals */

static void on_signal(int sig) {
  if (sig == SIGHUP) {
    reopen_flag = 1;
  } else {
    stop_flag = 1;
    if (live_capture)
      wd_capture_stop(live_capture);
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

/* Loads the configuration named by -c, or the default file, or defaults. */
int wd_cli_load_config(const char *path, const char *home_net,
                       wd_config_t **cfg) {
  char err[512] = "";
  wd_rc rc;
  struct stat st;
  if (path)
    rc = wd_config_load(path, cfg, err, sizeof err);
  else if (stat(DEFAULT_CONFIG, &st) == 0)
    rc = wd_config_load(DEFAULT_CONFIG, cfg, err, sizeof err);
  else
    rc = wd_config_defaults(cfg);
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

static void print_summary(FILE *h, const wd_capture_t *cap,
                          const wd_pipeline_result_t *res) {
  fprintf(
      h, "ward: %llu packets (%llu bytes), %llu decode errors, %llu alerts\n",
      (unsigned long long)res->packets, (unsigned long long)res->bytes,
      (unsigned long long)res->decode_errors, (unsigned long long)res->alerts);
  for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
    if (fi->error[0] && !fi->opened)
      fprintf(h, "  %s: not read: %s\n", fi->path, fi->error);
  }
}

static int run_capture(int argc, char **argv, bool live) {
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'},
      {"home-net", required_argument, 0, 'H'},
      {"json", no_argument, 0, 'j'},
      {"output", required_argument, 0, 'o'},
      {"flows", no_argument, 0, 'F'},
      {"stats-interval", required_argument, 0, 'S'},
      {"db", required_argument, 0, 'D'},
      {"no-progress", no_argument, 0, 'P'},
      {"quiet", no_argument, 0, 'q'},
      {"verbose", no_argument, 0, 'v'},
      {"interface", required_argument, 0, 'i'},
      {"filter", required_argument, 0, 'f'},
      {"duration", required_argument, 0, 'T'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *cfg_path = NULL, *home_net = NULL, *out_path = NULL;
  const char *db = NULL, *iface = NULL, *bpf = NULL;
  bool json = false, flows = false, quiet = false, progress = true;
  long stats_interval = -1, duration = 0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:jo:qvi:f:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      cfg_path = optarg;
      break;
    case 'H':
      home_net = optarg;
      break;
    case 'j':
      json = true;
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'F':
      flows = true;
      break;
    case 'S':
      stats_interval = strtol(optarg, NULL, 10);
      break;
    case 'D':
      db = optarg;
      break;
    case 'P':
      progress = false;
      break;
    case 'q':
      quiet = true;
      break;
    case 'v':
      wd_log_threshold++;
      break;
    case 'i':
      iface = optarg;
      break;
    case 'f':
      bpf = optarg;
      break;
    case 'T':
      duration = strtol(optarg, NULL, 10);
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (live && (!iface || optind != argc)) {
    fprintf(stderr, "ward watch: give one interface with -i and no files\n");
    return EXIT_USAGE;
  }
  if (!live && optind == argc) {
    fprintf(stderr, "ward analyze: no capture file given\n");
    return EXIT_USAGE;
  }
  if (json && out_path) {
    fprintf(stderr, "ward: --json and -o are exclusive\n");
    return EXIT_USAGE;
  }

  wd_config_t *cfg = NULL;
  int ec = wd_cli_load_config(cfg_path, home_net, &cfg);
  if (ec)
    return ec;

  char err[512] = "";
  wd_eve_t *eve = NULL;
  const char *eve_path = json       ? "-"
                         : out_path ? out_path
                                    : cfg->outputs.eve_path;
  if (eve_path && wd_eve_open(eve_path, &eve, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    wd_config_free(cfg);
    return EXIT_RUNTIME;
  }

  wd_capture_t *cap = NULL;
  wd_rc rc;
  if (live) {
    rc = wd_capture_open_live(iface, bpf, cfg, &cap, err, sizeof err);
    if (rc != WD_OK) {
      fprintf(stderr, "ward: cannot capture on %s\n", err);
      wd_eve_close(eve);
      wd_config_free(cfg);
      return EXIT_CAPTURE;
    }
  } else {
    rc = wd_capture_open_files((const char *const *)argv + optind,
                               (size_t)(argc - optind), &cap);
    if (!cap) {
      wd_eve_close(eve);
      wd_config_free(cfg);
      return EXIT_RUNTIME;
    }
  }
  for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
    if (!fi->opened)
      fprintf(stderr, "ward: %s: cannot read: %s\n", fi->path, fi->error);
  }

  if (live)
    live_capture = cap;
  install_signals();
  if (live && duration > 0)
    alarm((unsigned)duration);

  wd_pipeline_opts_t po = {0};
  po.eve = eve;
  po.human = (!quiet && !json) ? stdout : NULL;
  /* With -o the human lines still go to stdout; with --json stdout is
   * the event stream. */
  po.progress = progress && !live && isatty(STDERR_FILENO);
  po.flow_events = flows || cfg->outputs.flow_events;
  po.stats_interval_s = stats_interval >= 0 ? (uint32_t)stats_interval
                        : live              ? cfg->outputs.stats_interval_s
                                            : 0;
  po.db_path = db;
  po.stop = &stop_flag;
  po.reopen = &reopen_flag;

  wd_pipeline_result_t res;
  rc = wd_pipeline_run(cfg, cap, &po, &res, err, sizeof err);
  if (rc != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    ec = EXIT_RUNTIME;
  } else {
    for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
      const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
      if (fi->opened && fi->error[0])
        fprintf(stderr,
                "ward: %s: stopped reading at frame %llu: %s (the %llu "
                "frames before it were analyzed)\n",
                fi->path, (unsigned long long)fi->error_frame, fi->error,
                (unsigned long long)fi->frames);
    }
    if (po.human)
      print_summary(po.human, cap, &res);
    ec = res.files_failed ? EXIT_CAPTURE : 0;
  }
  live_capture = NULL;
  wd_capture_close(cap);
  wd_eve_close(eve);
  wd_config_free(cfg);
  return ec;
}

static int cmd_config(int argc, char **argv) {
  const char *path = NULL;
  if (argc < 2) {
    fprintf(stderr, "usage: ward config check|show [-c FILE]\n");
    return EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++) {
    if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
        i + 1 < argc)
      path = argv[++i];
    else {
      fprintf(stderr, "ward config: unexpected '%s'\n", argv[i]);
      return EXIT_USAGE;
    }
  }
  wd_config_t *cfg = NULL;
  int ec = wd_cli_load_config(path, NULL, &cfg);
  if (ec)
    return ec;
  if (strcmp(argv[1], "show") == 0)
    wd_config_dump(cfg, stdout);
  else if (strcmp(argv[1], "check") == 0)
    printf("ward: configuration %s is valid (%zu facilities)\n",
           cfg->path ? cfg->path : "(built-in defaults)", cfg->n_facilities);
  else {
    wd_config_free(cfg);
    fprintf(stderr, "usage: ward config check|show [-c FILE]\n");
    return EXIT_USAGE;
  }
  wd_config_free(cfg);
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
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("ward %s\n", WARD_VERSION);
    return 0;
  }
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
