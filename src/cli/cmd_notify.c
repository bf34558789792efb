/* cmd_notify.c -- the notification commands: queue and send notifications
 * (ward notify), import replies (ward inbox), record verdicts (ward
 * reply), render the accountability report (ward report).
 * In: command-line arguments, the configuration (-c, else
 * /etc/ward/ward.yaml, else defaults) and the database (--db, else
 * db.path). Out: mail through the outbox, rows in the database, reports on
 * standard output or -o FILE (written to a temporary name, then renamed).
 * Time: notifications are real-world events, so these commands use the
 * wall clock (WARD_NOW, seconds since the epoch, overrides it for tests).
 * Only one `ward notify` runs at a time per database (wd_store_exclusive:
 * an flock on DB.notify-lock for SQLite, a session advisory lock for
 * PostgreSQL; both released even on SIGKILL).
 * Exit codes: 0 success, 1 failure (a notification permanently refused, a
 * database error), 2 usage, 3 configuration. */
#include "cli/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "enrich/directory.h"
#include "notify/inbox.h"
#include "notify/notice.h"
#include "notify/outbox.h"
#include "notify/smtp.h"
#include "report/report.h"
#include "report/report_store.h"
#include "store/store.h"

#define EX_OK 0
#define EX_FAIL 1
#define EX_USAGE 2
#define EX_CONFIG 3

static uint64_t now_ns(void) {
  const char *fake = getenv("WARD_NOW");
  if (fake && *fake)
    return (uint64_t)strtoull(fake, NULL, 10) * 1000000000ull;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The options every command here takes: -c/--config FILE and --db URL,
 * as rows of an option table; a table ends with --help and the
 * terminator. */
#define DB_OPTIONS                                                             \
  {"config", required_argument, 0, 'c'}, { "db", required_argument, 0, 'D' }
#define OPTIONS_END                                                            \
  {"help", no_argument, 0, 'h'}, { 0, 0, 0, 0 }

/* getopt_long over opts, taking the DB_OPTIONS into *cfg_path and *db:
 * the next other option character, or -1 at the end. */
static int next_opt(int argc, char **argv, const char *shortopts,
                    const struct option *opts, const char **cfg_path,
                    const char **db) {
  int c;
  while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
    if (c == 'c')
      *cfg_path = optarg;
    else if (c == 'D')
      *db = optarg;
    else
      break;
  }
  return c;
}

/* The end of a command: database and configuration closed, the exit
 * status of ec. */
static int finish(int ec, wd_store_t *s, wd_config_t *cfg) {
  wd_store_close(s);
  wd_config_free(cfg);
  return ec;
}

/* A usage error: the command's usage on standard error. */
static int usage_error(const char *usage) {
  fputs(usage, stderr);
  return EX_USAGE;
}

/* Config, then the database (wd_cli_open_store). */
static int open_all(const char *cfg_path, const char *db_path, bool readonly,
                    wd_config_t **cfg, wd_store_t **s) {
  return wd_cli_open_store(cfg_path, db_path, readonly, cfg, s);
}

/* The directory of parties: the store's (ward parties, the API) when it
 * has any, else attribution.directory, else NULL. False (message printed)
 * when it is unusable. */
static bool load_directory(wd_store_t *s, const wd_config_t *cfg,
                           const char *cmd, wd_directory_t **dir) {
  char err[1024];
  if (wd_store_directory(s, cfg->attribution.directory, dir, NULL, err,
                         sizeof err) != WD_OK) {
    fprintf(stderr, "ward %s: %s\n", cmd, err);
    return false;
  }
  return true;
}

/* --- ward notify --------------------------------------------------------- */

static const char notify_usage[] =
    "usage: ward notify [-c FILE] [--db URL] [--incident ID] [--outbox DIR]\n"
    "                   [--retry-now] [--reminders] [--requeue REF] "
    "[--status]\n"
    "  queues a notification for every new incident (or ID) -- for a\n"
    "  reflection attack one per party of the abused reflectors -- and sends\n"
    "  what is due over SMTP (notify.smtp.url) or into DIR as .eml files\n"
    "  (DIR is created when missing).\n"
    "  A failed attempt is retried with backoff (1 min, 2, 4, ... 6 h) until\n"
    "  notify.max_age; only a permanent refusal by the receiving SMTP server\n"
    "  (5xx for the recipient or the message) fails a notification at once.\n"
    "  --retry-now     ignore the backoff\n"
    "  --reminders     one reminder for each overdue notification\n"
    "  --requeue REF   bring failed notifications back (REF: an incident id,\n"
    "                  a notification number from --status, or a Message-ID)\n"
    "                  and send them now\n"
    "  --status        list the outbox instead\n"
    "  Exit 0; 1 when a notification failed, on database errors or when REF\n"
    "  names no failed notification; 2 usage; 3 configuration.\n";

int wd_cmd_notify(int argc, char **argv) {
  static const struct option opts[] = {DB_OPTIONS,
                                       {"incident", required_argument, 0, 'i'},
                                       {"outbox", required_argument, 0, 'o'},
                                       {"retry-now", no_argument, 0, 'r'},
                                       {"reminders", no_argument, 0, 'R'},
                                       {"status", no_argument, 0, 's'},
                                       {"requeue", required_argument, 0, 'q'},
                                       OPTIONS_END};
  bool retry_now = false, reminders = false, status = false;
  const char *cfg_path = NULL, *db = NULL, *incident = NULL, *outbox = NULL,
             *requeue = NULL;
  int c;
  optind = 1;
  while ((c = next_opt(argc, argv, "c:h", opts, &cfg_path, &db)) != -1) {
    switch (c) {
    case 'i':
      incident = optarg;
      break;
    case 'o':
      outbox = optarg;
      break;
    case 'r':
      retry_now = true;
      break;
    case 'R':
      reminders = true;
      break;
    case 's':
      status = true;
      break;
    case 'q':
      requeue = optarg;
      break;
    case 'h':
      fputs(notify_usage, stdout);
      return EX_OK;
    default:
      return usage_error(notify_usage);
    }
  }
  if (optind != argc) {
    return usage_error(notify_usage);
  }
  wd_config_t *cfg;
  wd_store_t *s;
  int ec = open_all(cfg_path, db, status, &cfg, &s);
  if (ec)
    return ec;
  char err[1024] = "", password[512] = "";
  wd_directory_t *dir = NULL;
  if (status) {
    ec = wd_outbox_status(s, stdout, 0) == WD_OK ? EX_OK : EX_FAIL;
    goto out;
  }
  if (!wd_notice_email_ok(cfg->notify.from)) {
    fprintf(stderr, "ward notify: set notify.from to the sender address\n");
    ec = EX_CONFIG;
    goto out;
  }
  if (!outbox && !cfg->notify.smtp_url) {
    fprintf(stderr, "ward notify: no notify.smtp.url configured; give "
                    "--outbox DIR to write .eml files instead\n");
    ec = EX_CONFIG;
    goto out;
  }
  if (wd_store_exclusive(s, "notify", err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward notify: %s\n", err);
    ec = EX_FAIL;
    goto out;
  }
  wd_transport_t t = {.outbox_dir = outbox};
  if (!outbox) {
    t.smtp.url = cfg->notify.smtp_url;
    t.smtp.username = cfg->notify.smtp_username;
    if (cfg->notify.smtp_username && cfg->notify.smtp_password_file) {
      if (wd_smtp_read_password(cfg->notify.smtp_password_file, password,
                                sizeof password, err, sizeof err) != WD_OK) {
        fprintf(stderr, "ward notify: %s\n", err);
        ec = EX_CONFIG;
        goto out;
      }
      t.smtp.password = password;
    }
  }
  if (!load_directory(s, cfg, "notify", &dir)) {
    ec = EX_CONFIG;
    goto out;
  }
  wd_outbox_sender_t snd = {
      .name = cfg->notify.sender_name ? cfg->notify.sender_name : "ward",
      .email = cfg->notify.from,
      .compose = {.max_attachment = cfg->notify.max_attachment},
      .cfg = cfg,
      .dir = dir,
      .max_age_s = cfg->notify.max_age_s};
  wd_outbox_stats_t st = {0};
  uint64_t now = now_ns();
  wd_rc rc = WD_OK;
  if (requeue) {
    rc = wd_outbox_requeue(s, requeue, now, &st, err, sizeof err);
    if (rc != WD_OK) {
      fprintf(stderr, "ward notify: %s\n", err[0] ? err : wd_rc_str(rc));
      ec = EX_FAIL;
      goto out;
    }
    printf("ward notify: %s: %" PRIu64 " failed notification(s) queued again\n",
           requeue, st.requeued);
  }
  rc = wd_outbox_queue(s, &snd, incident, now, &st, err, sizeof err);
  if (rc == WD_OK && reminders)
    rc = wd_outbox_reminders(s, &snd, now, &st, err, sizeof err);
  if (rc == WD_OK)
    rc = wd_outbox_run(s, &snd, &t, now, retry_now || requeue, &st, err,
                       sizeof err);
  printf("ward notify: %" PRIu64 " queued, %" PRIu64 " reminders, %" PRIu64
         " sent, %" PRIu64 " to retry, %" PRIu64 " waiting, %" PRIu64
         " failed, %" PRIu64 " without a party\n",
         st.queued, st.reminders, st.sent, st.retried, st.waiting, st.failed,
         st.no_party);
  if (rc != WD_OK) {
    fprintf(stderr, "ward notify: %s\n", err[0] ? err : wd_rc_str(rc));
    ec = EX_FAIL;
  } else if (st.failed) {
    ec = EX_FAIL;
  }
out:
  memset(password, 0, sizeof password);
  wd_directory_free(dir);
  return finish(ec, s, cfg);
}

/* --- ward inbox ------------------------------------------------------------
 */

static const char inbox_usage[] =
    "usage: ward inbox PATH [-c FILE] [--db URL]\n"
    "  imports replies from an .eml file, a directory of them, an mbox\n"
    "  or a Maildir. A reply counts as the party's only when its sender\n"
    "  is the address notified or listed in the party's reply_from in\n"
    "  the directory; others are kept as unverified.\n";

int wd_cmd_inbox(int argc, char **argv) {
  static const struct option opts[] = {DB_OPTIONS, OPTIONS_END};
  const char *cfg_path = NULL, *db = NULL;
  int c;
  optind = 1;
  while ((c = next_opt(argc, argv, "c:h", opts, &cfg_path, &db)) != -1) {
    if (c != 'h')
      goto usage;
    fputs(inbox_usage, stdout);
    return EX_OK;
  }
  if (optind + 1 != argc)
    goto usage;
  wd_config_t *cfg;
  wd_store_t *s;
  int ec = open_all(cfg_path, db, false, &cfg, &s);
  if (ec)
    return ec;
  char err[1024] = "";
  wd_inbox_stats_t st = {0};
  wd_directory_t *dir = NULL;
  if (!load_directory(s, cfg, "inbox", &dir)) {
    return finish(EX_CONFIG, s, cfg);
  }
  wd_rc rc =
      wd_inbox_import(s, dir, argv[optind], now_ns(), &st, err, sizeof err);
  printf("ward inbox: %" PRIu64 " read, %" PRIu64 " new (%" PRIu64
         " human, %" PRIu64 " automatic, %" PRIu64 " bounces), %" PRIu64
         " already known, %" PRIu64 " matched to a notification (%" PRIu64
         " from senders not the party's: unverified, not counted), %" PRIu64
         " unmatched (naming no notification of ours), %" PRIu64
         " unparsable, %" PRIu64 " too large\n",
         st.read, st.added, st.human, st.automatic, st.bounces, st.duplicate,
         st.matched, st.unverified, st.unmatched, st.unparsable,
         st.skipped_large);
  if (rc != WD_OK)
    fprintf(stderr, "ward inbox: %s\n", err[0] ? err : wd_rc_str(rc));
  wd_directory_free(dir);
  return finish(rc == WD_OK ? EX_OK : EX_FAIL, s, cfg);
usage:
  return usage_error(inbox_usage);
}

/* --- ward reply ------------------------------------------------------------
 */

static const char reply_usage[] =
    "usage: ward reply REF --substantive|--formal [--note TEXT] [--force]\n"
    "                  [--analyst NAME] [-c FILE] [--db URL]\n"
    "       ward reply REF --history [-c FILE] [--db URL]\n"
    "  records by hand whether the reply to notification REF answered the\n"
    "  substance or was a formality. A reply already judged otherwise (by\n"
    "  another analyst, or at the same moment) is left as it is and named,\n"
    "  exit 1; --force replaces it. Every verdict stays in the history.\n"
    "  --analyst NAME  who records it (default: the login name)\n"
    "  --history       list every verdict recorded on REF, oldest first\n";

/* The login name of whoever runs ward, "" when unknown. */
static const char *login_name(void) {
  const char *u = getenv("LOGNAME");
  if (!u || !*u)
    u = getenv("USER");
  if (!u || !*u) {
    struct passwd *pw = getpwuid(geteuid());
    u = pw ? pw->pw_name : "";
  }
  return u ? u : "";
}

/* "2026-02-04 22:49:29 UTC", or "-" for no time. */
static const char *utc(uint64_t ns, char out[40]) {
  if (!ns)
    return strcpy(out, "-");
  return wd_time_str(ns, WD_TIME_HUMAN, out, 40);
}

static int reply_history(wd_store_t *s, const char *ref) {
  wd_store_verdict_t *v = NULL;
  size_t n = 0;
  if (wd_store_verdict_history(s, ref, &v, &n) != WD_OK) {
    fprintf(stderr, "ward reply: %s: %s\n", ref, wd_store_errmsg(s));
    return EX_FAIL;
  }
  if (!n)
    printf("%s: no verdict recorded\n", ref);
  for (size_t i = 0; i < n; i++) {
    char t[40], who[WD_NOTICE_STR_MAX], note[WD_NOTICE_STR_MAX];
    printf("%s  %-11s by %s%s%s%s%s%s\n", utc(v[i].at_ns, t), v[i].verdict,
           wd_notice_cleans(v[i].by, who, WD_CLEAN_ONELINE, "an analyst"),
           v[i].replaced[0] ? " (replacing " : "", v[i].replaced,
           v[i].replaced[0] ? ")" : "", v[i].note[0] ? ": " : "",
           wd_notice_cleans(v[i].note, note, WD_CLEAN_ONELINE, ""));
  }
  free(v);
  return EX_OK;
}

int wd_cmd_reply(int argc, char **argv) {
  static const struct option opts[] = {DB_OPTIONS,
                                       {"substantive", no_argument, 0, 's'},
                                       {"formal", no_argument, 0, 'f'},
                                       {"note", required_argument, 0, 'n'},
                                       {"force", no_argument, 0, 'F'},
                                       {"analyst", required_argument, 0, 'a'},
                                       {"history", no_argument, 0, 'H'},
                                       OPTIONS_END};
  const char *cfg_path = NULL, *db = NULL, *verdict = NULL, *note = NULL,
             *analyst = NULL;
  bool force = false, history = false;
  int c;
  optind = 1;
  while ((c = next_opt(argc, argv, "c:h", opts, &cfg_path, &db)) != -1) {
    switch (c) {
    case 'h':
      fputs(reply_usage, stdout);
      return EX_OK;
    case 's':
    case 'f':
      if (verdict)
        goto usage;
      verdict = c == 's' ? "substantive" : "formal";
      break;
    case 'n':
      note = optarg;
      break;
    case 'F':
      force = true;
      break;
    case 'a':
      analyst = optarg;
      break;
    case 'H':
      history = true;
      break;
    default:
      goto usage;
    }
  }
  if (optind + 1 != argc || (!verdict && !history) || (verdict && history))
    goto usage;
  if (analyst && (!*analyst || strlen(analyst) >= WD_STORE_WHO_LEN)) {
    fprintf(stderr, "ward reply: --analyst: 1 to %d characters\n",
            WD_STORE_WHO_LEN - 1);
    return EX_USAGE;
  }
  wd_config_t *cfg;
  wd_store_t *s;
  int ec = open_all(cfg_path, db, history, &cfg, &s);
  if (ec)
    return ec;
  const char *ref = argv[optind];
  if (history) {
    ec = reply_history(s, ref);
    return finish(ec, s, cfg);
  }
  char err[768] = "";
  wd_inbox_verdict_t v = {.verdict = verdict,
                          .note = note,
                          .by = analyst ? analyst : login_name(),
                          .force = force};
  wd_store_verdict_t prev;
  wd_rc rc = wd_inbox_verdict(s, ref, &v, now_ns(), &prev, err, sizeof err);
  if (rc == WD_OK && !strcmp(prev.verdict, verdict) &&
      !strcmp(prev.note, note ? note : ""))
    printf("ward reply: %s: %s reply already recorded, unchanged\n", ref,
           verdict);
  else if (rc == WD_OK && prev.verdict[0]) {
    char t[40], who[WD_NOTICE_STR_MAX];
    printf("ward reply: %s: %s reply recorded, replacing %s by %s at %s\n", ref,
           verdict, prev.verdict,
           wd_notice_cleans(prev.by, who, WD_CLEAN_ONELINE, "an analyst"),
           utc(prev.at_ns, t));
  } else if (rc == WD_OK)
    printf("ward reply: %s: %s reply recorded\n", ref, verdict);
  else
    fprintf(stderr, "ward reply: %s\n", err[0] ? err : wd_rc_str(rc));
  return finish(rc == WD_OK ? EX_OK : EX_FAIL, s, cfg);
usage:
  return usage_error(reply_usage);
}

/* --- ward report -----------------------------------------------------------
 */

static const char report_usage[] =
    "usage: ward report [--since DATE] [--until DATE] [--by "
    "party|country|sector|class]\n"
    "                   [--format table|csv|json|html] [--detail] "
    "[--title T] [-o FILE]\n"
    "                   [-c FILE] [--db URL]\n"
    "  the notification accountability report (DATE: YYYY-MM-DD or\n"
    "  YYYY-MM-DDTHH:MM:SSZ, UTC)\n";

/* "2026-01-31", "2026-01-31T12:00:00Z" -> ns; false when malformed. */
static bool parse_date(const char *s, uint64_t *out) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  char tail = 0;
  int n =
      sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail);
  if (n != 3 && !(n == 7 && tail == 'Z'))
    return false;
  if (n == 3 && strlen(s) != 10)
    return false;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      se > 60)
    return false;
  return wd_time_from_civil(y, (unsigned)mo, (unsigned)d, (unsigned)h,
                            (unsigned)mi, (unsigned)se, out);
}

int wd_cmd_report(int argc, char **argv) {
  static const struct option opts[] = {DB_OPTIONS,
                                       {"since", required_argument, 0, 's'},
                                       {"until", required_argument, 0, 'u'},
                                       {"by", required_argument, 0, 'b'},
                                       {"format", required_argument, 0, 'f'},
                                       {"detail", no_argument, 0, 'd'},
                                       {"title", required_argument, 0, 't'},
                                       {"output", required_argument, 0, 'o'},
                                       OPTIONS_END};
  const char *cfg_path = NULL, *db = NULL, *out_path = NULL,
             *title = "Notification accountability";
  uint64_t since = 0, until = 0;
  wd_report_by by = WD_REPORT_BY_PARTY;
  wd_report_format fmt = WD_REPORT_TABLE;
  bool detail = false;
  int c;
  optind = 1;
  while ((c = next_opt(argc, argv, "c:o:h", opts, &cfg_path, &db)) != -1) {
    switch (c) {
    case 'h':
      fputs(report_usage, stdout);
      return EX_OK;
    case 's':
    case 'u':
      if (!parse_date(optarg, c == 's' ? &since : &until)) {
        fprintf(stderr,
                "ward report: bad date '%s'; expected YYYY-MM-DD "
                "or YYYY-MM-DDTHH:MM:SSZ\n",
                optarg);
        return EX_USAGE;
      }
      break;
    case 'b':
      if (wd_report_by_parse(optarg, &by) != WD_OK) {
        fprintf(stderr, "ward report: --by party|country|sector|class\n");
        return EX_USAGE;
      }
      break;
    case 'f':
      if (wd_report_format_parse(optarg, &fmt) != WD_OK) {
        fprintf(stderr, "ward report: --format table|csv|json|html\n");
        return EX_USAGE;
      }
      break;
    case 'd':
      detail = true;
      break;
    case 't':
      title = optarg;
      break;
    case 'o':
      out_path = optarg;
      break;
    default:
      return usage_error(report_usage);
    }
  }
  wd_config_t *cfg;
  wd_store_t *s;
  int ec = open_all(cfg_path, db, true, &cfg, &s);
  if (ec)
    return ec;
  char err[512] = "";
  wd_report_data_t d;
  wd_report_t *r = NULL;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  wd_rc rc = wd_report_load(s, since, until, &d, err, sizeof err);
  if (rc == WD_OK) {
    rc = wd_report_new(d.v, d.n, by, now_ns(), since, until, &r);
    if (rc == WD_OK)
      rc = wd_report_render(r, fmt, detail, title, &b);
    if (rc != WD_OK)
      snprintf(err, sizeof err, "%s", wd_rc_str(rc));
  }
  if (rc == WD_OK && out_path) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(b.p ? b.p : "", 1, b.len, f) != b.len || fclose(f) != 0 ||
        rename(tmp, out_path) != 0) {
      snprintf(err, sizeof err, "%s: %s", out_path, strerror(errno));
      unlink(tmp);
      rc = WD_ERR_IO;
    }
  } else if (rc == WD_OK) {
    fwrite(b.p ? b.p : "", 1, b.len, stdout);
  }
  if (rc != WD_OK)
    fprintf(stderr, "ward report: %s\n", err);
  wd_strbuf_fini(&b);
  wd_report_free(r);
  if (rc == WD_OK || d.v)
    wd_report_data_fini(&d);
  return finish(rc == WD_OK ? EX_OK : EX_FAIL, s, cfg);
}
