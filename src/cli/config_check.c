/* config_check.c -- `ward config check` past the loading: what the
 * configuration names must exist and be what it claims. MaxMind files are
 * opened with libmaxminddb and their database_type checked (a country
 * database must give countries, an ASN database AS numbers), the directory
 * of responsible parties is parsed, the folders ward writes into (evidence,
 * the database's, the event file's) exist as folders or can be created, a
 * PostgreSQL store (store.url) answers, and the SMTP password file can be
 * read. In: a loaded configuration. Out:
 * one "ward: config check: KEY: problem" line per problem on stderr; exit
 * 0 or 3. Memory: everything opened is closed before return. */
#include <errno.h>
#include <limits.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "enrich/directory.h"
#include "store/store.h"

static int problem(const char *key, const char *path, const char *what) {
  fprintf(stderr, "ward: config check: %s: %s: %s\n", key, path, what);
  return 1;
}

/* Opens an mmdb and checks that its type names one of wanted[]. */
static int check_mmdb(const char *key, const char *path,
                      const char *const *wanted, const char *expected) {
  MMDB_s db;
  int rc = MMDB_open(path, MMDB_MODE_MMAP, &db);
  if (rc != MMDB_SUCCESS) {
    int e = errno;
    char msg[400];
    if (rc == MMDB_IO_ERROR && e)
      snprintf(msg, sizeof msg, "cannot open: %s; expected %s", strerror(e),
               expected);
    else
      snprintf(msg, sizeof msg, "not a MaxMind database (%s); expected %s",
               MMDB_strerror(rc), expected);
    return problem(key, path, msg);
  }
  const char *type = db.metadata.database_type ? db.metadata.database_type : "";
  bool ok = false;
  for (const char *const *w = wanted; *w; w++)
    if (strstr(type, *w))
      ok = true;
  int n = 0;
  if (!ok) {
    char msg[400];
    snprintf(msg, sizeof msg, "a MaxMind database of type '%s'; expected %s",
             type, expected);
    n = problem(key, path, msg);
  }
  MMDB_close(&db);
  return n;
}

/* A folder ward writes into: it exists and is a writable folder, or its
 * parent is, so that ward can create it. */
static int check_dir(const char *key, const char *dir) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return problem(key, dir, "exists but is not a directory");
    if (access(dir, W_OK | X_OK) != 0)
      return problem(key, dir, "directory is not writable");
    return 0;
  }
  if (errno != ENOENT)
    return problem(key, dir, strerror(errno));
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", dir);
  size_t len = strlen(parent);
  while (len > 1 && parent[len - 1] == '/')
    parent[--len] = '\0';
  char *slash = strrchr(parent, '/');
  if (!slash)
    snprintf(parent, sizeof parent, ".");
  else if (slash == parent)
    parent[1] = '\0';
  else
    *slash = '\0';
  if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
    char msg[PATH_MAX + 80];
    snprintf(msg, sizeof msg, "does not exist, and neither does its parent %s",
             parent);
    return problem(key, dir, msg);
  }
  if (access(parent, W_OK | X_OK) != 0) {
    char msg[PATH_MAX + 80];
    snprintf(msg, sizeof msg,
             "does not exist, and its parent %s is not writable", parent);
    return problem(key, dir, msg);
  }
  return 0;
}

/* A file ward creates (database, event file): not a directory, and its
 * folder is usable. */
static int check_file_dest(const char *key, const char *path) {
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return problem(key, path, "is a directory; expected a file");
    if (access(path, W_OK) != 0)
      return problem(key, path, "is not writable");
    return 0;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    return check_dir(key, ".");
  if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
  return check_dir(key, dir);
}

int wd_cli_config_check(const wd_config_t *cfg) {
  static const char *const country_types[] = {"Country", "City", NULL};
  static const char *const asn_types[] = {"ASN", "ISP", NULL};
  int n = 0;
  const char *p;
  if ((p = cfg->attribution.country_db))
    n += check_mmdb("attribution.country_db", p, country_types,
                    "a country database (type *Country* or *City*, e.g. "
                    "GeoLite2-Country)");
  if ((p = cfg->attribution.asn_db))
    n += check_mmdb("attribution.asn_db", p, asn_types,
                    "an ASN database (type *ASN* or *ISP*, e.g. "
                    "GeoLite2-ASN)");
  if ((p = cfg->attribution.directory)) {
    char err[512] = "";
    wd_directory_t *d = NULL;
    if (wd_directory_load(p, &d, err, sizeof err) != WD_OK)
      n += problem("attribution.directory", p, err[0] ? err : "cannot be read");
    wd_directory_free(d);
  }
  if ((p = cfg->evidence.dir))
    n += check_dir("evidence.dir", p);
  if ((p = cfg->store.url) && wd_store_url_is_pg(p)) {
    /* connect, read only: a database ward has not set up yet is fine (the
       first command that writes creates its tables) */
    char err[600] = "", name[WD_STORE_PATH_LEN];
    wd_store_t *s = NULL;
    wd_store_opts_t so = {.flags = WD_STORE_READONLY,
                          .busy_timeout_ms = cfg->db.busy_timeout_ms};
    wd_rc rc = wd_store_open_opts(p, &so, &s, err, sizeof err);
    wd_store_close(s);
    if (rc != WD_OK && rc != WD_ERR_INVAL) {
      const char *what = strstr(err, ": ");
      n += problem("store.url", wd_store_url_redact(p, name, sizeof name),
                   what ? what + 2 : err);
    }
  } else if ((p = cfg->store.url))
    n += check_file_dest("store.url", !strncmp(p, "sqlite:", 7) ? p + 7 : p);
  else if ((p = cfg->db.path))
    n += check_file_dest("db.path", p);
  if ((p = cfg->outputs.eve_path) && strcmp(p, "-") != 0)
    n += check_file_dest("outputs.eve.path", p);
  if ((p = cfg->notify.smtp_password_file) && access(p, R_OK) != 0)
    n += problem("notify.smtp.password_file", p, strerror(errno));
  if (n)
    fprintf(stderr, "ward: configuration %s: %d problem%s\n",
            cfg->path ? cfg->path : "(built-in defaults)", n,
            n == 1 ? "" : "s");
  return n ? WD_CLI_EXIT_CONFIG : 0;
}
