/* cmd_serve.c -- `ward serve` (the console and its JSON API, docs/api.md)
 * and `ward token add|list|revoke` (its access tokens).
 * In: command-line arguments, the configuration (serve.* keys; -c, else
 * /etc/ward/ward.yaml, else defaults) and the database (--db, else
 * store.url / db.path). Out: the server until SIGTERM/SIGINT (exit 0);
 * token rows in the database (a new token is printed once, as the last
 * word of its line: only its SHA-256 is stored); an audit row for each
 * token added or revoked here. `ward parties import|list`: the directory
 * of responsible parties kept in the database (store_party.c).
 * Exit codes: 0 success, 1 failure, 2 usage, 3 configuration. */
#include "cli/commands.h"

#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/timefmt.h"
#include "enrich/directory.h"
#include "serve/serve.h"
#include "store/store.h"

#define EX_OK 0
#define EX_FAIL 1
#define EX_USAGE 2
#define EX_CONFIG 3

static const char serve_usage[] =
    "usage: ward serve [--listen ADDR:PORT] [--console DIR] [-c FILE] "
    "[--db URL]\n"
    "  serves the console at / and its JSON API at /api/ (docs/api.md),\n"
    "  Prometheus metrics at /metrics, until SIGTERM or SIGINT (exit 0).\n"
    "  Every /api/ request needs Authorization: Bearer TOKEN (ward token).\n"
    "  --listen ADDR:PORT  address to listen on (default serve.listen,\n"
    "                      127.0.0.1:8480; [::1]:8480 for IPv6)\n"
    "  --console DIR       the console's files (default serve.console_dir)\n"
    "  HTTPS when serve.tls.cert and serve.tls.key are set.\n";

static const char token_usage[] =
    "usage: ward token add NAME --role viewer|analyst|admin [-c FILE] [--db "
    "URL]\n"
    "       ward token list [-c FILE] [--db URL]\n"
    "       ward token revoke NAME [-c FILE] [--db URL]\n"
    "  add prints the new token once, as the last word of its line; only\n"
    "  its SHA-256 is stored. viewer reads; analyst also judges replies,\n"
    "  adds notes, closes incidents and requeues notifications; admin also\n"
    "  manages tokens and parties and reads the audit.\n";

static const char parties_usage[] =
    "usage: ward parties import FILE [-c FILE] [--db URL]\n"
    "       ward parties list [-c FILE] [--db URL]\n"
    "  import writes the parties of a directory file (the format of\n"
    "  attribution.directory, docs/incidents.md) into the database: a party\n"
    "  whose name is there is replaced, the others are added; each change is\n"
    "  a row of the audit. Once the database has parties, notify, inbox,\n"
    "  analyze, ingest and serve use them instead of the file (an admin\n"
    "  edits them through the API, docs/api.md). The first change through\n"
    "  the API imports attribution.directory itself when the database has\n"
    "  none. list prints the parties the pipeline uses and where from.\n";

static volatile sig_atomic_t serve_stop;

static void on_stop(int sig) { serve_stop = 1; }

static void on_ready(const char *url) {
  fprintf(stderr, "ward serve: listening on %s\n", url);
  fflush(stderr);
}

static const char *login_name(void) {
  struct passwd *pw = getpwuid(getuid());
  return pw && pw->pw_name ? pw->pw_name : "unknown";
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parses -c/--db and the command's own options; 0 to go on, else the
 * exit code. */
typedef struct args {
  const char *cfg_path, *db, *listen, *console, *role;
} args_t;

static int parse(int argc, char **argv, const char *usage, args_t *a) {
  static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                       {"db", required_argument, 0, 'D'},
                                       {"listen", required_argument, 0, 'l'},
                                       {"console", required_argument, 0, 'C'},
                                       {"role", required_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      a->cfg_path = optarg;
      break;
    case 'D':
      a->db = optarg;
      break;
    case 'l':
      a->listen = optarg;
      break;
    case 'C':
      a->console = optarg;
      break;
    case 'r':
      a->role = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      return -1;
    default:
      fputs(usage, stderr);
      return EX_USAGE;
    }
  }
  return 0;
}

int wd_cmd_serve(int argc, char **argv) {
  args_t a = {0};
  int ec = parse(argc, argv, serve_usage, &a);
  if (ec)
    return ec < 0 ? EX_OK : ec;
  if (optind != argc || a.role) {
    fputs(serve_usage, stderr);
    return EX_USAGE;
  }
  wd_config_t *cfg;
  ec = wd_cli_load_config(a.cfg_path, NULL, &cfg);
  if (ec)
    return ec;
  const char *url = a.db ? a.db : wd_config_store_url(cfg);
  if (!url) {
    fprintf(stderr, "ward: no database: give --db URL or set store.url\n");
    wd_config_free(cfg);
    return EX_CONFIG;
  }
  wd_serve_config_t sc =
      *(const wd_serve_config_t *)wd_config_extra(cfg, &wd_serve_keyset);
  if (a.console)
    sc.console_dir = (char *)a.console;
  wd_serve_opts_t o = {.cfg = &sc,
                       .listen = a.listen,
                       .db_url = url,
                       .directory = cfg->attribution.directory,
                       .busy_timeout_ms = cfg->db.busy_timeout_ms,
                       .stop = &serve_stop,
                       .ready = on_ready};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  char err[1024] = "";
  wd_rc rc = wd_serve_run(&o, err, sizeof err);
  if (rc != WD_OK)
    fprintf(stderr, "ward serve: %s\n", err[0] ? err : wd_rc_str(rc));
  wd_config_free(cfg);
  if (rc == WD_ERR_CONFIG)
    return EX_CONFIG;
  return rc == WD_OK ? EX_OK : EX_FAIL;
}

static void audit_cli(wd_store_t *s, const char *action, const char *name,
                      const char *before, const char *after) {
  wd_store_audit_t au = {.at_ns = now_ns()};
  snprintf(au.who, sizeof au.who, "cli:%.59s", login_name());
  snprintf(au.action, sizeof au.action, "%s", action);
  snprintf(au.target, sizeof au.target, "%s", name);
  snprintf(au.before, sizeof au.before, "%s", before);
  snprintf(au.after, sizeof au.after, "%s", after);
  if (wd_store_audit_add(s, &au) != WD_OK)
    fprintf(stderr, "ward token: audit: %s\n", wd_store_errmsg(s));
}

static int token_add(wd_store_t *s, const char *name, const char *role) {
  if (!wd_token_name_ok(name)) {
    fprintf(stderr, "ward token: name '%s': 1 to 63 of A-Z a-z 0-9 - _ . @\n",
            name);
    return EX_USAGE;
  }
  wd_store_token_t t = {.created_ns = now_ns()};
  char tok[WD_TOKEN_LEN];
  snprintf(t.name, sizeof t.name, "%s", name);
  snprintf(t.role, sizeof t.role, "%s", role);
  if (wd_token_new(tok) != WD_OK) {
    fprintf(stderr, "ward token: no random bytes\n");
    return EX_FAIL;
  }
  wd_token_hash(tok, t.hash);
  wd_rc rc = wd_store_token_add(s, &t);
  if (rc != WD_OK) {
    fprintf(stderr, "ward token: %s%s\n", wd_store_errmsg(s),
            rc == WD_ERR_STATE ? "; revoke it first" : "");
    return EX_FAIL;
  }
  char after[64];
  snprintf(after, sizeof after, "{\"role\":\"%s\"}", t.role);
  audit_cli(s, "token-add", t.name, "", after);
  printf("ward token: %s (%s), shown once: %s\n", t.name, t.role, tok);
  return EX_OK;
}

static int token_list(wd_store_t *s) {
  wd_store_token_t *v;
  size_t n;
  if (wd_store_token_list(s, &v, &n) != WD_OK) {
    fprintf(stderr, "ward token: %s\n", wd_store_errmsg(s));
    return EX_FAIL;
  }
  printf("%-24s %-8s %-24s %s\n", "NAME", "ROLE", "CREATED", "STATE");
  for (size_t i = 0; i < n; i++) {
    char c[40], r[40];
    wd_time_str(v[i].created_ns, WD_TIME_HUMAN, c, sizeof c);
    if (v[i].revoked_ns)
      wd_time_str(v[i].revoked_ns, WD_TIME_HUMAN, r, sizeof r);
    printf("%-24s %-8s %-24s %s%s\n", v[i].name, v[i].role, c,
           v[i].revoked_ns ? "revoked " : "valid", v[i].revoked_ns ? r : "");
  }
  free(v);
  return EX_OK;
}

int wd_cmd_token(int argc, char **argv) {
  args_t a = {0};
  int ec = parse(argc, argv, token_usage, &a);
  if (ec)
    return ec < 0 ? EX_OK : ec;
  const char *verb = optind < argc ? argv[optind] : "";
  int rest = argc - optind - 1;
  bool ok = (!strcmp(verb, "add") && rest == 1 && a.role) ||
            (!strcmp(verb, "list") && rest == 0 && !a.role) ||
            (!strcmp(verb, "revoke") && rest == 1 && !a.role);
  if (!ok || a.listen || a.console) {
    fputs(token_usage, stderr);
    return EX_USAGE;
  }
  if (a.role && !wd_role_parse(a.role)) {
    fprintf(stderr,
            "ward token: --role '%s': expected viewer, analyst or "
            "admin\n",
            a.role);
    return EX_USAGE;
  }
  wd_config_t *cfg;
  wd_store_t *s;
  ec = wd_cli_open_store(a.cfg_path, a.db, false, &cfg, &s);
  if (ec)
    return ec;
  const char *name = rest == 1 ? argv[optind + 1] : NULL;
  if (!strcmp(verb, "add")) {
    ec = token_add(s, name, a.role);
  } else if (!strcmp(verb, "list")) {
    ec = token_list(s);
  } else if (wd_store_token_revoke(s, name, now_ns()) != WD_OK) {
    fprintf(stderr, "ward token: %s\n", wd_store_errmsg(s));
    ec = EX_FAIL;
  } else {
    audit_cli(s, "token-revoke", name, "{\"state\":\"valid\"}",
              "{\"state\":\"revoked\"}");
    printf("ward token: %s revoked\n", name);
  }
  wd_store_close(s);
  wd_config_free(cfg);
  return ec;
}

int wd_cmd_parties(int argc, char **argv) {
  args_t a = {0};
  int ec = parse(argc, argv, parties_usage, &a);
  if (ec)
    return ec < 0 ? EX_OK : ec;
  const char *verb = optind < argc ? argv[optind] : "";
  int rest = argc - optind - 1;
  bool imp = !strcmp(verb, "import") && rest == 1;
  if ((!imp && !(!strcmp(verb, "list") && rest == 0)) || a.role || a.listen ||
      a.console) {
    fputs(parties_usage, stderr);
    return EX_USAGE;
  }
  char err[1024] = "";
  wd_directory_t *d = NULL;
  if (imp &&
      wd_directory_load(argv[optind + 1], &d, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward parties: %s\n", err);
    return EX_CONFIG;
  }
  wd_config_t *cfg;
  wd_store_t *s;
  ec = wd_cli_open_store(a.cfg_path, a.db, !imp, &cfg, &s);
  if (ec) {
    wd_directory_free(d);
    return ec;
  }
  if (imp) {
    char who[WD_STORE_TOKEN_NAME_LEN];
    size_t added, updated;
    snprintf(who, sizeof who, "cli:%.59s", login_name());
    if (wd_store_parties_import(s, d, who, now_ns(), &added, &updated, err,
                                sizeof err) != WD_OK) {
      fprintf(stderr, "ward parties: %s\n", err);
      ec = EX_FAIL;
    } else {
      printf("ward parties: %zu added, %zu replaced, %zu unchanged\n", added,
             updated, wd_directory_count(d) - added - updated);
    }
  } else {
    bool from_store;
    if (wd_store_directory(s, cfg->attribution.directory, &d, &from_store, err,
                           sizeof err) != WD_OK) {
      fprintf(stderr, "ward parties: %s\n", err);
      ec = EX_FAIL;
    } else {
      printf("# from %s\n", from_store ? "the database"
                            : d        ? cfg->attribution.directory
                                       : "nowhere (no directory)");
      printf("%-24s %-16s %-32s %-6s %s\n", "NAME", "KIND", "EMAIL", "FORMAT",
             "DEADLINE");
      for (size_t i = 0; i < wd_directory_count(d); i++) {
        const wd_party_t *p = wd_directory_party(d, i);
        printf("%-24s %-16s %-32s %-6s %uh\n", p->name, p->kind, p->email,
               p->format, p->deadline_hours);
      }
    }
  }
  wd_directory_free(d);
  wd_store_close(s);
  wd_config_free(cfg);
  return ec;
}
