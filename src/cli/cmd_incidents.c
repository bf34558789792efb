/* cmd_incidents.c -- `ward incidents list|show ID|export ID`: incidents
 * stored in the database, as a human table or JSON.
 * In: argv (starting at "incidents"), the database (--db URL, else
 * store.url or db.path of -c FILE, else the built-in default). Out: text on
 * standard output, one line per error on standard error, the exit code (0 ok, 1
 * runtime, 2 usage, 3 configuration). Memory: everything is freed before
 * return. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "store/store.h"

int wd_cmd_incidents(int argc, char **argv);

#define X_OK 0
#define X_RUNTIME 1
#define X_USAGE 2
#define X_CONFIG 3
#define DEFAULT_DB "/var/lib/ward/ward.db"

static void usage(FILE *f) {
  fprintf(f, "usage: ward incidents list [filters] [--json]\n"
             "       ward incidents show ID [--json]\n"
             "       ward incidents export ID [--format json] [-o FILE]\n"
             "options: --db URL (a SQLite file, or postgresql://...),\n"
             "         -c/--config FILE (for store.url or db.path)\n"
             "filters: --since TIME --until TIME (YYYY-MM-DD[THH:MM[:SS]]Z, "
             "UTC, or epoch seconds)\n"
             "         --country CC --sector S --facility NAME --class "
             "CLASS|TYPE --status new|notified|answered|closed --limit N\n"
             "         (--limit: 0 to 100000000, 0 = no limit)\n");
}

/* "2026-02-04", "2026-02-04T22:49[:29][Z]", "2026-02-04 22:49:29" or
 * epoch seconds; UTC. */
static bool parse_time(const char *s, uint64_t *ns) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*s && !*end && v < 100000000000ull) {
    *ns = v * 1000000000ull;
    return true;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
    return false;
  const char *r = s + n;
  if (*r == 'T' || *r == ' ') {
    int m2 = 0;
    if (sscanf(r + 1, "%2d:%2d%n", &h, &mi, &m2) != 2)
      return false;
    r += 1 + m2;
    if (*r == ':') {
      if (sscanf(r + 1, "%2d%n", &sec, &m2) != 1)
        return false;
      r += 1 + m2;
    }
  }
  if (*r == 'Z')
    r++;
  if (*r || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || sec > 60)
    return false;
  return wd_time_from_civil(y, (unsigned)mo, (unsigned)d, (unsigned)h,
                            (unsigned)mi, (unsigned)sec, ns);
}

static const char *sev_name(unsigned s) {
  static const char *const n[] = {"critical", "critical", "high", "medium",
                                  "low"};
  return s <= 4 ? n[s] : "low";
}

/* Text from the database for a human: AS names from the mmdb, share
 * paths, signatures and names can hold any bytes, which must not reach a
 * terminal as they are (core/text.h). A few rotating buffers, enough for
 * the arguments of one printf. */
#define ESC_BUFS 12
#define ESC_LEN (4 * WD_STORE_PATH_LEN + 1)
static const char *esc(const char *s) {
  static char buf[ESC_BUFS][ESC_LEN];
  static unsigned next;
  char *b = buf[next++ % ESC_BUFS];
  return wd_text_escape(s, b, ESC_LEN);
}

/* One cell of a table: escaped text cut to w characters, never inside a
 * UTF-8 sequence (an escape may be cut; it is ASCII). */
static void cell(const char *s, int w) {
  const char *e = esc(s);
  size_t n = wd_text_width(e);
  char cut[4 * 64 + 1];
  if (n > (size_t)w) {
    wd_text_cut(e, (size_t)w - 1, cut, sizeof cut);
    printf("%s~ ", cut);
  } else
    printf("%s%*s ", e, w - (int)n, "");
}

static void print_row(const wd_store_incident_t *inc) {
  char first[40];
  wd_store_time_str(inc->first_ns, first);
  first[16] = 0; /* minutes */
  first[10] = ' ';
  const char *att = "";
  char attb[64] = "";
  if (inc->n_attackers) {
    const wd_store_attacker_t *a = &inc->attackers[0];
    snprintf(attb, sizeof attb, "%s%s%s%s", a->ip, a->country[0] ? " " : "",
             a->country, a->reliable ? "" : " (unreliable)");
    att = attb;
  } else if (inc->spoofed)
    att = "spoofed";
  cell(inc->id, 16);
  cell(first, 16);
  cell(sev_name(inc->severity), 8);
  cell(inc->status, 8);
  cell(inc->rsit_type, 17);
  cell(inc->facility[0] ? inc->facility : "-", 18);
  cell(att, 28);
  printf("%s\n", esc(inc->summary));
}

static void print_detail(const wd_store_incident_t *inc) {
  char a[40], b[40];
  printf("%s  %s/%s  severity %s  status %s%s\n", esc(inc->id),
         esc(inc->rsit_class), esc(inc->rsit_type), sev_name(inc->severity),
         esc(inc->status), inc->active ? "  (active)" : "");
  printf("  %s\n", esc(inc->summary));
  printf("  seen     %s .. %s\n", wd_store_time_str(inc->first_ns, a),
         wd_store_time_str(inc->last_ns, b));
  printf("  counts   %llu alerts, %llu packets, peak %llu pkt/s, %llu bit/s\n",
         (unsigned long long)inc->alerts, (unsigned long long)inc->packets,
         (unsigned long long)inc->peak_pps, (unsigned long long)inc->peak_bps);
  if (inc->facility[0])
    printf("  facility %s (%s, %s)\n", esc(inc->facility), esc(inc->sector),
           esc(inc->criticality));
  if (inc->attribution[0])
    printf("  sources  %s\n", esc(inc->attribution));
  for (size_t i = 0; i < inc->n_attackers; i++) {
    const wd_store_attacker_t *x = &inc->attackers[i];
    printf("  %-9s %s  %s  AS%u %s  %s (%s)%s%s\n", esc(x->role), esc(x->ip),
           x->country[0] ? esc(x->country) : "--", x->asn, esc(x->as_org),
           x->reliable ? "reliable" : "unreliable", esc(x->reason),
           x->party[0] ? "  -> " : "", esc(x->party));
  }
  for (size_t i = 0; i < inc->n_targets; i++)
    printf("  target   %s  %s %s\n", esc(inc->targets[i].ip),
           esc(inc->targets[i].facility), esc(inc->targets[i].sector));
  for (size_t i = 0; i < inc->n_hosts; i++) {
    const wd_store_host_t *h = &inc->hosts[i];
    uint64_t t =
        h->infected_ns && (!h->active_ns || h->infected_ns < h->active_ns)
            ? h->infected_ns
            : h->active_ns;
    printf("  host %3zu %s  %s%s%s\n", i + 1, esc(h->ip),
           wd_store_time_str(t, a), h->infected_by[0] ? "  infected by " : "",
           esc(h->infected_by));
  }
  for (size_t i = 0; i < inc->n_attacks; i++) {
    const wd_store_attack_t *x = &inc->attacks[i];
    printf("  alert    %s %s -> %s  %llu reports, %llu packets%s  %s\n",
           esc(x->detector), x->src[0] ? esc(x->src) : "*", esc(x->dst),
           (unsigned long long)x->reports, (unsigned long long)x->packets,
           x->ended ? ", ended" : "", esc(x->signature));
    if (x->tree[0])
      printf("           share %s\n", esc(x->tree));
    if (x->intel.value[0]) {
      printf("           indicator %s %s", esc(x->intel.type),
             esc(x->intel.value));
      printf(" of feed %s", esc(x->intel.feed));
      printf(" (%s), seen in %s\n", esc(x->intel.ref), esc(x->intel.field));
    }
  }
  for (size_t i = 0; i < inc->n_sensors; i++)
    printf("  sensor   %s  %s .. %s\n", esc(inc->sensors[i].name),
           wd_store_time_str(inc->sensors[i].first_ns, a),
           wd_store_time_str(inc->sensors[i].last_ns, b));
  if (inc->party.set)
    printf("  party    %s <%s> (%s, %s, %s, %u h) matched by %s\n",
           esc(inc->party.name), esc(inc->party.email), esc(inc->party.kind),
           esc(inc->party.format), esc(inc->party.language),
           inc->party.deadline_hours, esc(inc->party.matched_by));
  else
    printf("  party    none: %s\n", esc(inc->party.matched_by));
  if (inc->evidence_path[0])
    printf("  evidence %s  sha256 %s  (%llu packets)\n",
           esc(inc->evidence_path), esc(inc->evidence_sha256),
           (unsigned long long)inc->evidence_packets);
}

static int print_json(json_t *j, FILE *out) {
  if (!j || json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
    return X_RUNTIME;
  fputc('\n', out);
  return X_OK;
}

int wd_cmd_incidents(int argc, char **argv) {
  enum {
    O_DB = 256,
    O_SINCE,
    O_UNTIL,
    O_COUNTRY,
    O_SECTOR,
    O_FACILITY,
    O_CLASS,
    O_STATUS,
    O_LIMIT,
    O_JSON,
    O_FORMAT
  };
  static const struct option opts[] = {
      {"db", required_argument, 0, O_DB},
      {"config", required_argument, 0, 'c'},
      {"since", required_argument, 0, O_SINCE},
      {"until", required_argument, 0, O_UNTIL},
      {"country", required_argument, 0, O_COUNTRY},
      {"sector", required_argument, 0, O_SECTOR},
      {"facility", required_argument, 0, O_FACILITY},
      {"class", required_argument, 0, O_CLASS},
      {"status", required_argument, 0, O_STATUS},
      {"limit", required_argument, 0, O_LIMIT},
      {"json", no_argument, 0, O_JSON},
      {"format", required_argument, 0, O_FORMAT},
      {"output", required_argument, 0, 'o'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? X_USAGE : X_OK;
  }
  const char *sub = argv[1];
  const char *db = NULL, *cfg_path = NULL, *out_path = NULL;
  bool json = false;
  wd_store_filter_t f = {0};
  optind = 2;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
    switch (c) {
    case O_DB:
      db = optarg;
      break;
    case 'c':
      cfg_path = optarg;
      break;
    case 'o':
      out_path = optarg;
      break;
    case O_SINCE:
    case O_UNTIL:
      if (!parse_time(optarg, c == O_SINCE ? &f.since_ns : &f.until_ns)) {
        fprintf(stderr,
                "ward incidents: bad time '%s' (YYYY-MM-DD"
                "[THH:MM[:SS]][Z] or epoch seconds)\n",
                optarg);
        return X_USAGE;
      }
      break;
    case O_COUNTRY:
      f.country = optarg;
      break;
    case O_SECTOR:
      f.sector = optarg;
      break;
    case O_FACILITY:
      f.facility = optarg;
      break;
    case O_CLASS:
      f.rsit_class = optarg;
      break;
    case O_STATUS:
      f.status = optarg;
      break;
    case O_LIMIT: {
      uint64_t v;
      int ec = wd_cli_uint("incidents", "--limit", optarg, 0, 100000000,
                           "incidents", &v);
      if (ec)
        return ec;
      f.limit = (size_t)v;
      break;
    }
    case O_JSON:
      json = true;
      break;
    case O_FORMAT:
      if (strcmp(optarg, "json") != 0) {
        fprintf(stderr,
                "ward incidents: format '%s' not supported here "
                "(json; IODEF/STIX/text come from `ward notify`)\n",
                optarg);
        return X_USAGE;
      }
      json = true;
      break;
    case 'h':
      usage(stdout);
      return X_OK;
    default:
      fprintf(stderr, "ward incidents: unknown or incomplete option '%s'\n",
              argv[optind - 1]);
      usage(stderr);
      return X_USAGE;
    }
  }
  bool is_list = strcmp(sub, "list") == 0;
  bool is_show = strcmp(sub, "show") == 0;
  bool is_export = strcmp(sub, "export") == 0;
  if (!is_list && !is_show && !is_export) {
    fprintf(stderr, "ward incidents: unknown command '%s'\n", sub);
    usage(stderr);
    return X_USAGE;
  }
  const char *id = NULL;
  if (!is_list) {
    if (optind >= argc) {
      fprintf(stderr, "ward incidents %s: which incident? (ID)\n", sub);
      return X_USAGE;
    }
    id = argv[optind++];
  }
  if (optind < argc) {
    fprintf(stderr, "ward incidents: unexpected '%s'\n", argv[optind]);
    return X_USAGE;
  }
  if (is_export)
    json = true;

  char err[512];
  wd_config_t *cfg = NULL;
  if (!db && cfg_path) {
    if (wd_cli_load_config(cfg_path, NULL, &cfg) != 0)
      return X_CONFIG;
    db = wd_config_store_url(cfg);
  }
  if (!db)
    db = DEFAULT_DB;
  wd_store_t *s = NULL;
  /* read only: a mistyped path is an error, never a new empty database */
  wd_store_opts_t so = {.flags = WD_STORE_READONLY,
                        .busy_timeout_ms = cfg ? cfg->db.busy_timeout_ms : 0};
  if (wd_store_open_opts(db, &so, &s, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward: %s\n", err);
    wd_config_free(cfg);
    return X_RUNTIME;
  }
  int ec = X_OK;
  FILE *out = stdout;
  if (out_path && !(out = fopen(out_path, "w"))) {
    perror(out_path);
    ec = X_RUNTIME;
    goto done;
  }
  if (is_list) {
    char(*ids)[WD_STORE_ID_LEN] = NULL;
    size_t n = 0;
    if (wd_store_incident_ids(s, &f, &ids, &n) != WD_OK) {
      fprintf(stderr, "ward: %s: %s\n", wd_store_name(s), wd_store_errmsg(s));
      ec = X_RUNTIME;
      goto done;
    }
    json_t *arr = json ? json_array() : NULL;
    if (!json && n)
      printf("%-16s %-16s %-8s %-8s %-17s %-18s %-28s %s\n", "ID",
             "FIRST SEEN (UTC)", "SEVERITY", "STATUS", "TYPE", "FACILITY",
             "ATTACKER", "SUMMARY");
    for (size_t i = 0; i < n && ec == X_OK; i++) {
      wd_store_incident_t inc;
      if (wd_store_incident_get(s, ids[i], &inc) != WD_OK) {
        fprintf(stderr, "ward: %s: %s\n", wd_store_name(s), wd_store_errmsg(s));
        ec = X_RUNTIME;
        break;
      }
      if (json)
        json_array_append_new(arr, wd_store_incident_json(&inc));
      else
        print_row(&inc);
      wd_store_incident_fini(&inc);
    }
    if (json && ec == X_OK)
      ec = print_json(arr, out);
    else if (!json && n == 0)
      fprintf(out, "no incidents\n");
    json_decref(arr);
    free(ids);
  } else {
    wd_store_incident_t inc;
    wd_rc rc = wd_store_incident_get(s, id, &inc);
    if (rc != WD_OK) {
      fprintf(stderr, "ward: %s: %s\n", wd_store_name(s), wd_store_errmsg(s));
      ec = rc == WD_ERR_NOTFOUND ? X_RUNTIME : X_RUNTIME;
      goto done;
    }
    if (json) {
      json_t *j = wd_store_incident_json(&inc);
      ec = print_json(j, out);
      json_decref(j);
    } else
      print_detail(&inc);
    wd_store_incident_fini(&inc);
  }
done:
  if (out && out != stdout && fclose(out) != 0)
    ec = X_RUNTIME;
  wd_store_close(s);
  wd_config_free(cfg);
  return ec;
}
