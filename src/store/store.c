/* store.c -- the store's front: choosing the engine from the URL,
 * transactions and their retries, and the named incident functions,
 * written once over the engines' statement interface (store_int.h).
 * In: a URL or path, incident records (borrowed). Out: rows; records read
 * back into caller storage. Memory: the engine's store owns the
 * connection and its prepared statements; wd_store_incident_get allocates
 * the row arrays it returns (wd_store_incident_fini). Every value is
 * bound, never pasted into SQL.
 * Crash safety comes from the engines (SQLite WAL, synchronous=NORMAL;
 * PostgreSQL's WAL: a committed transaction survives a killed process)
 * plus idempotent merges: a row is keyed by stable values and merged with
 * MIN/MAX, so replaying the same alerts gives the same rows. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_int.h"

/* ---- URLs ---- */

/* libpq's connection keywords that may open a keyword=value string. */
static const char *const pg_keywords[] = {"host",
                                          "hostaddr",
                                          "port",
                                          "dbname",
                                          "user",
                                          "password",
                                          "passfile",
                                          "service",
                                          "options",
                                          "sslmode",
                                          "sslcert",
                                          "connect_timeout",
                                          "application_name",
                                          "target_session_attrs",
                                          NULL};

bool wd_store_url_is_pg(const char *url) {
  if (!url)
    return false;
  if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
    return true;
  while (*url == ' ' || *url == '\t')
    url++;
  const char *eq = strchr(url, '=');
  if (!eq)
    return false;
  size_t n = (size_t)(eq - url);
  while (n && (url[n - 1] == ' ' || url[n - 1] == '\t'))
    n--;
  for (size_t i = 0; pg_keywords[i]; i++)
    if (strlen(pg_keywords[i]) == n && !strncmp(url, pg_keywords[i], n))
      return true;
  return false;
}

/* Appends s[0..n) to out at *o (bounded). */
static void put(char *out, size_t cap, size_t *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && *o + 1 < cap; i++)
    out[(*o)++] = s[i];
  out[*o < cap ? *o : cap - 1] = '\0';
}

char *wd_store_url_redact(const char *url, char *out, size_t cap) {
  size_t o = 0;
  if (!cap)
    return out;
  out[0] = '\0';
  if (!url)
    return out;
  const char *p = url;
  /* user:password@ of a URI */
  const char *sch = strstr(p, "://");
  if (sch && wd_store_url_is_pg(url)) {
    const char *auth = sch + 3;
    size_t alen = strcspn(auth, "/?");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
      if (auth[i] == '@')
        at = auth + i;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
      put(out, cap, &o, p, (size_t)(colon + 1 - p));
      put(out, cap, &o, "***", 3);
      p = at;
    }
  }
  /* password=... of a query string or a keyword=value string */
  while (*p) {
    if (!strncasecmp(p, "password=", 9) &&
        (p == url || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ' ||
         p[-1] == '\t')) {
      put(out, cap, &o, p, 9);
      put(out, cap, &o, "***", 3);
      p += 9;
      if (*p == '\'') { /* quoted value, \' escapes a quote */
        for (p++; *p && *p != '\''; p++)
          if (*p == '\\' && p[1])
            p++;
        if (*p)
          p++;
      } else
        p += strcspn(p, "& \t");
      continue;
    }
    put(out, cap, &o, p, 1);
    p++;
  }
  return out;
}

/* ---- the owning thread, and faults injected by tests ---- */

/* Tests: called in every commit (wd_store_set_commit_hook). */
static void (*commit_hook)(void *user);
static void *commit_hook_user;

void wd_store_set_commit_hook(void (*fn)(void *user), void *user) {
  commit_hook = fn;
  commit_hook_user = user;
}

/* ward's packet thread must never reach the database: a call from a
 * thread other than the owner is a bug in ward. It is logged (once, or
 * every time when it aborts) and counted, and aborts in debug builds or
 * with WARD_STORE_THREAD_CHECK=abort (the test suite). */
void wd_store_owner_check(wd_store_t *s, const char *what) {
  if (pthread_equal(pthread_self(), s->owner))
    return;
  if (atomic_fetch_add(&s->foreign, 1) == 0 || s->thread_abort)
    wd_log(WD_LOG_ERROR, "store",
           "%s: %s from a thread other than the one that opened the "
           "database",
           s->name, what);
  if (s->thread_abort)
    abort();
}

bool wd_store_owner_is_caller(const wd_store_t *s) {
  return pthread_equal(pthread_self(), s->owner) != 0;
}

uint64_t wd_store_foreign_calls(const wd_store_t *s) {
  return atomic_load(&((wd_store_t *)s)->foreign);
}

void wd_store_adopt(wd_store_t *s) { s->owner = pthread_self(); }

static void set_owner(wd_store_t *s) {
  s->owner = pthread_self();
#ifdef NDEBUG
  s->thread_abort = false;
#else
  s->thread_abort = true;
#endif
  const char *tc = getenv("WARD_STORE_THREAD_CHECK");
  if (tc && *tc)
    s->thread_abort = strcmp(tc, "abort") == 0;
  atomic_init(&s->foreign, 0);
  /* fault injection for tests: a slow disk */
  const char *dl = getenv("WARD_TEST_STORE_DELAY_MS");
  s->delay_ms = 0;
  if (dl && *dl) {
    char *end;
    unsigned long v = strtoul(dl, &end, 10);
    s->delay_ms = *end == 0 && v <= 60000 ? (uint32_t)v : 0;
  }
}

/* ---- opening ---- */

static wd_rc open_engine(const char *url, int version, const wd_store_opts_t *o,
                         wd_store_t **out, char *err, size_t errlen) {
  *out = NULL;
  char name[WD_STORE_PATH_LEN];
  wd_store_url_redact(url ? url : "(null)", name, sizeof name);
  if (!url || !*url || version < 0 || version > WD_STORE_SCHEMA_VERSION) {
    if (err && errlen)
      snprintf(err, errlen, "%s: invalid database path", name);
    return WD_ERR_INVAL;
  }
  if (wd_store_url_is_pg(url))
    return wd_store_pg_engine.open(url, name, version, o, out, err, errlen);
  const char *path = url;
  if (!strncmp(path, "sqlite://", 9))
    path += 9;
  else if (!strncmp(path, "sqlite:", 7))
    path += 7;
  if (!*path) {
    if (err && errlen)
      snprintf(err, errlen, "%s: invalid database path", name);
    return WD_ERR_INVAL;
  }
  return wd_store_sqlite_engine.open(path, path, version, o, out, err, errlen);
}

static wd_rc open_store(const char *url, int version, const wd_store_opts_t *o,
                        wd_store_t **out, char *err, size_t errlen) {
  wd_rc rc = open_engine(url, version, o, out, err, errlen);
  if (rc == WD_OK)
    set_owner(*out);
  return rc;
}

wd_rc wd_store_open_opts(const char *url, const wd_store_opts_t *opts,
                         wd_store_t **out, char *err, size_t errlen) {
  return open_store(url, WD_STORE_SCHEMA_VERSION, opts, out, err, errlen);
}

wd_rc wd_store_open_to(const char *url, int version, wd_store_t **out,
                       char *err, size_t errlen) {
  return open_store(url, version, NULL, out, err, errlen);
}

wd_rc wd_store_open(const char *url, wd_store_t **out, char *err,
                    size_t errlen) {
  return open_store(url, WD_STORE_SCHEMA_VERSION, NULL, out, err, errlen);
}

wd_rc wd_store_open_readonly(const char *url, wd_store_t **out, char *err,
                             size_t errlen) {
  wd_store_opts_t o = {.flags = WD_STORE_READONLY};
  return open_store(url, WD_STORE_SCHEMA_VERSION, &o, out, err, errlen);
}

void wd_store_close(wd_store_t *s) {
  if (!s)
    return;
  wd_store_owner_check(s, "close");
  s->e->close(s);
}

int wd_store_version(wd_store_t *s) { return s->e->schema_version(s); }

const char *wd_store_engine(const wd_store_t *s) { return s->e->name; }

const char *wd_store_name(const wd_store_t *s) { return s->name; }

const char *wd_store_errmsg(wd_store_t *s) { return s->msg; }

wd_rc wd_store_exclusive(wd_store_t *s, const char *what, char *err,
                         size_t errlen) {
  return s->e->exclusive(s, what, err, errlen);
}

/* ---- transactions ---- */

wd_rc wd_store_begin(wd_store_t *s) {
  wd_store_owner_check(s, "begin");
  if (s->readonly) {
    snprintf(s->msg, sizeof s->msg, "database opened read-only");
    return WD_ERR_STATE;
  }
  return s->e->begin(s);
}

wd_rc wd_store_commit(wd_store_t *s) {
  wd_store_owner_check(s, "commit");
  if (s->delay_ms) {
    struct timespec ts = {s->delay_ms / 1000,
                          (long)(s->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (commit_hook)
    commit_hook(commit_hook_user);
  return s->e->commit(s);
}

void wd_store_rollback(wd_store_t *s) {
  if (s->e->in_transaction(s))
    s->e->rollback(s);
}

bool wd_store_retry(wd_store_t *s, wd_rc rc, unsigned *attempt) {
  if (rc != WD_ERR_CONFLICT || *attempt >= WD_STORE_RETRY_MAX)
    return false;
  wd_store_rollback(s);
  /* a randomised pause, so that the two losers of a race do not meet
     again at once: 1..2 ms, then 2..4, 4..8, ... */
  if (!s->seed)
    s->seed =
        (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)s;
  unsigned base = 1u << (*attempt < 10 ? *attempt : 10);
  long ms = (long)(base + (unsigned)rand_r(&s->seed) % base);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  (*attempt)++;
  wd_log(WD_LOG_DEBUG, "store", "%s: %s; running the transaction again (%u)",
         s->name, s->msg, *attempt);
  return true;
}

/* ---- helpers ---- */

wd_rc wd_store_run(wd_store_stmt_t *st) {
  wd_rc r = st_step(st);
  st_done(st);
  return r == WD_END || r == WD_OK ? WD_OK : r;
}

void wd_store_msg_locked(wd_store_t *s) {
  snprintf(s->msg, sizeof s->msg,
           "database is locked: another ward held it for more than %u ms "
           "(db.busy_timeout)",
           s->busy_ms);
}

uint32_t wd_store_key_hash(const char *key) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 16777619u;
  }
  return h;
}

/* Statement q or WD_ERR_IO (message in s->msg). */
#define PREP(st, s, q)                                                         \
  wd_store_stmt_t *st = st_prep((s), (q));                                     \
  if (!st)                                                                     \
  return WD_ERR_IO

/* Text or NULL when empty (party columns: NULL keeps the stored value). */
static void bind_opt(wd_store_stmt_t *st, int i, bool set, const char *v) {
  if (set && v)
    st_text(st, i, v);
  else
    st_null(st, i);
}

/* Runs f inside its own transaction when none is open. */
typedef wd_rc (*txn_fn)(wd_store_t *s, const void *arg);

static wd_rc own_txn(wd_store_t *s, txn_fn f, const void *arg) {
  if (s->e->in_transaction(s))
    return f(s, arg);
  unsigned n = 0;
  wd_rc r;
  do {
    r = wd_store_begin(s);
    if (r == WD_OK)
      r = f(s, arg);
    if (r == WD_OK)
      r = wd_store_commit(s);
    else
      wd_store_rollback(s);
  } while (wd_store_retry(s, r, &n));
  return r;
}

/* ---- incidents ---- */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

wd_rc wd_store_corr_lock(wd_store_t *s, const char *const *keys, size_t n) {
  if (!s->e->sql[Q_CORR_LOCK] || !n)
    return WD_OK; /* the engine's write lock already serialises writers */
  uint32_t *h = malloc(n * sizeof *h);
  if (!h)
    return WD_ERR_NOMEM;
  for (size_t i = 0; i < n; i++)
    h[i] = wd_store_key_hash(keys[i]);
  qsort(h, n, sizeof *h, cmp_u32);
  wd_rc r = WD_OK;
  for (size_t i = 0; i < n && r == WD_OK; i++) {
    if (i && h[i] == h[i - 1])
      continue;
    wd_store_stmt_t *st = st_prep(s, Q_CORR_LOCK);
    if (!st) {
      r = WD_ERR_IO;
      break;
    }
    st_i64(st, 1, WD_STORE_PG_LOCK_CORR);
    st_i64(st, 2, (int32_t)h[i]);
    r = wd_store_run(st);
  }
  free(h);
  return r;
}

wd_rc wd_store_incident_find(wd_store_t *s, const char *corr_key, uint64_t t_ns,
                             uint64_t window_ns, char id[WD_STORE_ID_LEN]) {
  PREP(st, s, Q_FIND);
  st_text(st, 1, corr_key);
  st_u64(st, 2, t_ns);
  st_u64(st, 3, window_ns);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    col_copy(st, 0, id, WD_STORE_ID_LEN);
  else if (r == WD_END)
    r = WD_ERR_NOTFOUND;
  st_done(st);
  return r;
}

wd_rc wd_store_incident_new_id(wd_store_t *s, int year,
                               char id[WD_STORE_ID_LEN]) {
  PREP(st, s, Q_SEQ_NEXT);
  st_i64(st, 1, year);
  wd_rc r = st_step(st);
  int64_t n = r == WD_OK ? col_i64(st, 0) : 0;
  st_done(st);
  if (r == WD_END || (r == WD_OK && (n < 1 || n > 999999))) {
    snprintf(s->msg, sizeof s->msg, "incident numbers of %d exhausted", year);
    return WD_ERR_FULL;
  }
  if (r != WD_OK)
    return r;
  snprintf(id, WD_STORE_ID_LEN, "WARD-%04d-%06d", year % 10000, (int)n);
  return WD_OK;
}

static wd_rc put_header(wd_store_t *s, const wd_store_incident_t *inc) {
  PREP(st, s, Q_INC_PUT);
  const wd_store_party_t *p = &inc->party;
  st_text(st, 1, inc->id);
  st_text(st, 2, inc->corr_key);
  st_text(st, 3, inc->line);
  st_text(st, 4, inc->rsit_class);
  st_text(st, 5, inc->rsit_type);
  st_i64(st, 6, inc->class_rank);
  st_i64(st, 7, inc->severity);
  st_i64(st, 8, inc->priority);
  st_i64(st, 9, inc->active);
  st_text(st, 10, inc->facility);
  st_text(st, 11, inc->sector);
  st_text(st, 12, inc->criticality);
  st_u64(st, 13, inc->first_ns);
  st_u64(st, 14, inc->last_ns);
  st_i64(st, 15, inc->spoofed);
  st_u64(st, 16, inc->sources);
  st_text(st, 17, inc->summary);
  bind_opt(st, 18, p->set, p->name);
  bind_opt(st, 19, p->set, p->kind);
  bind_opt(st, 20, p->set, p->email);
  bind_opt(st, 21, p->set, p->format);
  bind_opt(st, 22, p->set, p->language);
  if (p->set)
    st_i64(st, 23, p->deadline_hours);
  else
    st_null(st, 23);
  bind_opt(st, 24, p->set && p->pgp_fingerprint[0], p->pgp_fingerprint);
  /* why nothing matched is worth keeping too */
  bind_opt(st, 25, p->matched_by[0] != 0, p->matched_by);
  st_text(st, 26, inc->attribution);
  return wd_store_run(st);
}

static wd_rc put_sensor(wd_store_t *s, const char *id,
                        const wd_store_sensor_t *x) {
  PREP(st, s, Q_SENSOR_PUT);
  st_text(st, 1, id);
  st_text(st, 2, x->name);
  st_u64(st, 3, x->first_ns);
  st_u64(st, 4, x->last_ns ? x->last_ns : x->first_ns);
  return wd_store_run(st);
}

wd_rc wd_store_incident_put(wd_store_t *s, const wd_store_incident_t *inc) {
  if (!inc->id[0])
    return WD_ERR_INVAL;
  wd_rc r = put_header(s, inc);
  wd_store_stmt_t *st;
  for (size_t i = 0; r == WD_OK && i < inc->n_attacks; i++) {
    const wd_store_attack_t *a = &inc->attacks[i];
    if (!(st = st_prep(s, Q_ATTACK_PUT)))
      return WD_ERR_IO;
    st_text(st, 1, inc->id);
    st_text(st, 2, a->detector);
    st_text(st, 3, a->src);
    st_text(st, 4, a->dst);
    st_u64(st, 5, a->start_ns);
    st_u64(st, 6, a->last_ns);
    st_u64(st, 7, a->reports);
    st_u64(st, 8, a->packets);
    st_u64(st, 9, a->peak_pps);
    st_u64(st, 10, a->peak_bps);
    st_i64(st, 11, a->ended);
    st_text(st, 12, a->signature);
    st_text(st, 13, a->tree);
    st_text(st, 14, a->intel.value);
    st_text(st, 15, a->intel.type);
    st_text(st, 16, a->intel.feed);
    st_text(st, 17, a->intel.ref);
    st_text(st, 18, a->intel.field);
    st_text(st, 19, a->intel.stix);
    r = wd_store_run(st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_attackers; i++) {
    const wd_store_attacker_t *a = &inc->attackers[i];
    if (!(st = st_prep(s, Q_ATTACKER_PUT)))
      return WD_ERR_IO;
    st_text(st, 1, inc->id);
    st_text(st, 2, a->ip);
    st_text(st, 3, a->role);
    st_text(st, 4, a->country);
    st_i64(st, 5, a->asn);
    st_text(st, 6, a->as_org);
    st_i64(st, 7, a->reliable);
    st_text(st, 8, a->reason);
    st_text(st, 9, a->party);
    st_text(st, 10, a->matched_by);
    r = wd_store_run(st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_targets; i++) {
    const wd_store_target_t *t = &inc->targets[i];
    if (!(st = st_prep(s, Q_TARGET_PUT)))
      return WD_ERR_IO;
    st_text(st, 1, inc->id);
    st_text(st, 2, t->ip);
    st_text(st, 3, t->facility);
    st_text(st, 4, t->sector);
    r = wd_store_run(st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_hosts; i++) {
    const wd_store_host_t *h = &inc->hosts[i];
    if (!(st = st_prep(s, Q_HOST_PUT)))
      return WD_ERR_IO;
    st_text(st, 1, inc->id);
    st_text(st, 2, h->ip);
    st_u64(st, 3, h->infected_ns);
    st_text(st, 4, h->infected_by);
    st_u64(st, 5, h->active_ns);
    r = wd_store_run(st);
  }
  for (size_t i = 0; r == WD_OK && i < inc->n_sensors; i++)
    if (inc->sensors[i].name[0])
      r = put_sensor(s, inc->id, &inc->sensors[i]);
  if (r == WD_OK) {
    if (!(st = st_prep(s, Q_TOTALS)))
      return WD_ERR_IO;
    st_text(st, 1, inc->id);
    r = wd_store_run(st);
  }
  return r;
}

wd_rc wd_store_incident_lock(wd_store_t *s, const char *id) {
  PREP(st, s, Q_INC_LOCK);
  st_text(st, 1, id);
  wd_rc r = st_step(st);
  st_done(st);
  if (r == WD_END) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", id);
    return WD_ERR_NOTFOUND;
  }
  return r;
}

typedef struct sensor_arg {
  const char *id;
  wd_store_sensor_t x;
} sensor_arg_t;

static wd_rc sensor_seen(wd_store_t *s, const void *arg) {
  const sensor_arg_t *a = arg;
  wd_rc r = wd_store_incident_lock(s, a->id);
  return r == WD_OK ? put_sensor(s, a->id, &a->x) : r;
}

wd_rc wd_store_incident_sensor_seen(wd_store_t *s, const char *id,
                                    const char *sensor, uint64_t first_ns,
                                    uint64_t last_ns) {
  sensor_arg_t a = {.id = id, .x = {.first_ns = first_ns, .last_ns = last_ns}};
  if (!sensor || !*sensor || strlen(sensor) >= sizeof a.x.name) {
    snprintf(s->msg, sizeof s->msg, "sensor name: 1 to %zu characters",
             sizeof a.x.name - 1);
    return WD_ERR_INVAL;
  }
  snprintf(a.x.name, sizeof a.x.name, "%s", sensor);
  return own_txn(s, sensor_seen, &a);
}

typedef struct evidence_arg {
  const char *id, *path, *sha256;
  uint64_t packets;
} evidence_arg_t;

static wd_rc set_evidence(wd_store_t *s, const void *arg) {
  const evidence_arg_t *a = arg;
  PREP(st, s, Q_EVIDENCE);
  st_text(st, 1, a->id);
  st_text(st, 2, a->path);
  st_text(st, 3, a->sha256);
  st_u64(st, 4, a->packets);
  wd_rc r = st_step(st);
  uint64_t changed = s->e->changes(st);
  st_done(st);
  if (r != WD_END && r != WD_OK)
    return r;
  if (changed == 0) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", a->id);
    return WD_ERR_NOTFOUND;
  }
  return WD_OK;
}

wd_rc wd_store_incident_set_evidence(wd_store_t *s, const char *id,
                                     const char *path, const char *sha256,
                                     uint64_t packets) {
  evidence_arg_t a = {id, path, sha256, packets};
  return own_txn(s, set_evidence, &a);
}

static int status_rank(const char *st) {
  static const char *const order[] = {"new", "notified", "answered", "closed"};
  for (int i = 0; i < 4; i++)
    if (strcmp(st, order[i]) == 0)
      return i;
  return -1;
}

typedef struct status_arg {
  const char *id, *status;
} status_arg_t;

/* Reads the status (locking the row against other writers until the end
 * of the transaction) and moves it forward. */
static wd_rc set_status(wd_store_t *s, const void *arg) {
  const status_arg_t *a = arg;
  int want = status_rank(a->status);
  if (want < 0) {
    snprintf(s->msg, sizeof s->msg, "unknown status");
    return WD_ERR_INVAL;
  }
  PREP(st, s, Q_STATUS_GET);
  st_text(st, 1, a->id);
  wd_rc r = st_step(st);
  char cur[16] = "";
  if (r == WD_OK)
    col_copy(st, 0, cur, sizeof cur);
  st_done(st);
  if (r == WD_END) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", a->id);
    return WD_ERR_NOTFOUND;
  }
  if (r != WD_OK)
    return r;
  int have = status_rank(cur);
  if (want < have) {
    snprintf(s->msg, sizeof s->msg, "%s is %s, cannot go back to %s", a->id,
             cur, a->status);
    return WD_ERR_STATE;
  }
  if (want == have)
    return WD_OK;
  if (!(st = st_prep(s, Q_STATUS_SET)))
    return WD_ERR_IO;
  st_text(st, 1, a->id);
  st_text(st, 2, a->status);
  return wd_store_run(st);
}

wd_rc wd_store_incident_set_status(wd_store_t *s, const char *id,
                                   const char *status) {
  status_arg_t a = {id, status};
  return own_txn(s, set_status, &a);
}

void wd_store_incident_fini(wd_store_incident_t *inc) {
  if (!inc || !inc->owned)
    return;
  free(inc->attackers);
  free(inc->targets);
  free(inc->hosts);
  free(inc->attacks);
  free(inc->sensors);
  inc->attackers = NULL;
  inc->targets = NULL;
  inc->hosts = NULL;
  inc->attacks = NULL;
  inc->sensors = NULL;
  inc->n_attackers = inc->n_targets = inc->n_hosts = inc->n_attacks = 0;
  inc->n_sensors = 0;
}

/* Rows of one child query into a growing array of elem-sized records. */
typedef void (*row_fn)(wd_store_stmt_t *st, void *rec);

static wd_rc get_rows(wd_store_t *s, int q, const char *id, size_t elem,
                      row_fn fn, void **arr, size_t *n) {
  *arr = NULL;
  *n = 0;
  PREP(st, s, q);
  st_text(st, 1, id);
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      void *na = realloc(*arr, nc * elem);
      if (!na) {
        r = WD_ERR_NOMEM;
        break;
      }
      *arr = na;
      cap = nc;
    }
    char *rec = (char *)*arr + *n * elem;
    memset(rec, 0, elem);
    fn(st, rec);
    (*n)++;
  }
  st_done(st);
  return r == WD_END ? WD_OK : r;
}

static void row_attacker(wd_store_stmt_t *st, void *rec) {
  wd_store_attacker_t *a = rec;
  col_copy(st, 0, a->ip, sizeof a->ip);
  col_copy(st, 1, a->role, sizeof a->role);
  col_copy(st, 2, a->country, sizeof a->country);
  a->asn = (uint32_t)col_u64(st, 3);
  col_copy(st, 4, a->as_org, sizeof a->as_org);
  a->reliable = col_i64(st, 5) != 0;
  col_copy(st, 6, a->reason, sizeof a->reason);
  col_copy(st, 7, a->party, sizeof a->party);
  col_copy(st, 8, a->matched_by, sizeof a->matched_by);
}

static void row_target(wd_store_stmt_t *st, void *rec) {
  wd_store_target_t *t = rec;
  col_copy(st, 0, t->ip, sizeof t->ip);
  col_copy(st, 1, t->facility, sizeof t->facility);
  col_copy(st, 2, t->sector, sizeof t->sector);
}

static void row_host(wd_store_stmt_t *st, void *rec) {
  wd_store_host_t *h = rec;
  col_copy(st, 0, h->ip, sizeof h->ip);
  h->infected_ns = col_u64(st, 1);
  col_copy(st, 2, h->infected_by, sizeof h->infected_by);
  h->active_ns = col_u64(st, 3);
}

static void row_attack(wd_store_stmt_t *st, void *rec) {
  wd_store_attack_t *a = rec;
  col_copy(st, 0, a->detector, sizeof a->detector);
  col_copy(st, 1, a->src, sizeof a->src);
  col_copy(st, 2, a->dst, sizeof a->dst);
  a->start_ns = col_u64(st, 3);
  a->last_ns = col_u64(st, 4);
  a->reports = col_u64(st, 5);
  a->packets = col_u64(st, 6);
  a->peak_pps = col_u64(st, 7);
  a->peak_bps = col_u64(st, 8);
  a->ended = col_i64(st, 9) != 0;
  col_copy(st, 10, a->signature, sizeof a->signature);
  col_copy(st, 11, a->tree, sizeof a->tree);
  wd_store_intel_t *i = &a->intel;
  col_copy(st, 12, i->value, sizeof i->value);
  col_copy(st, 13, i->type, sizeof i->type);
  col_copy(st, 14, i->feed, sizeof i->feed);
  col_copy(st, 15, i->ref, sizeof i->ref);
  col_copy(st, 16, i->field, sizeof i->field);
  col_copy(st, 17, i->stix, sizeof i->stix);
}

static void row_sensor(wd_store_stmt_t *st, void *rec) {
  wd_store_sensor_t *x = rec;
  col_copy(st, 0, x->name, sizeof x->name);
  x->first_ns = col_u64(st, 1);
  x->last_ns = col_u64(st, 2);
}

static void row_header(wd_store_stmt_t *st, wd_store_incident_t *out) {
  int c = 0;
  col_copy(st, c++, out->id, sizeof out->id);
  col_copy(st, c++, out->corr_key, sizeof out->corr_key);
  col_copy(st, c++, out->line, sizeof out->line);
  col_copy(st, c++, out->rsit_class, sizeof out->rsit_class);
  col_copy(st, c++, out->rsit_type, sizeof out->rsit_type);
  out->class_rank = (int)col_i64(st, c++);
  out->severity = (uint8_t)col_i64(st, c++);
  out->priority = (int)col_i64(st, c++);
  col_copy(st, c++, out->status, sizeof out->status);
  out->active = col_i64(st, c++) != 0;
  col_copy(st, c++, out->facility, sizeof out->facility);
  col_copy(st, c++, out->sector, sizeof out->sector);
  col_copy(st, c++, out->criticality, sizeof out->criticality);
  out->first_ns = col_u64(st, c++);
  out->last_ns = col_u64(st, c++);
  out->alerts = col_u64(st, c++);
  out->packets = col_u64(st, c++);
  out->peak_pps = col_u64(st, c++);
  out->peak_bps = col_u64(st, c++);
  out->spoofed = col_i64(st, c++) != 0;
  out->sources = col_u64(st, c++);
  col_copy(st, c++, out->summary, sizeof out->summary);
  wd_store_party_t *p = &out->party;
  p->set = !col_null(st, c);
  col_copy(st, c++, p->name, sizeof p->name);
  col_copy(st, c++, p->kind, sizeof p->kind);
  col_copy(st, c++, p->email, sizeof p->email);
  col_copy(st, c++, p->format, sizeof p->format);
  col_copy(st, c++, p->language, sizeof p->language);
  p->deadline_hours = (uint32_t)col_u64(st, c++);
  col_copy(st, c++, p->pgp_fingerprint, sizeof p->pgp_fingerprint);
  col_copy(st, c++, p->matched_by, sizeof p->matched_by);
  col_copy(st, c++, out->evidence_path, sizeof out->evidence_path);
  col_copy(st, c++, out->evidence_sha256, sizeof out->evidence_sha256);
  out->evidence_packets = col_u64(st, c++);
  col_copy(st, c++, out->attribution, sizeof out->attribution);
}

wd_rc wd_store_incident_get(wd_store_t *s, const char *id,
                            wd_store_incident_t *out) {
  memset(out, 0, sizeof *out);
  PREP(st, s, Q_INC_GET);
  st_text(st, 1, id);
  wd_rc r = st_step(st);
  if (r == WD_OK)
    row_header(st, out);
  st_done(st);
  if (r == WD_END) {
    snprintf(s->msg, sizeof s->msg, "no incident %s", id);
    return WD_ERR_NOTFOUND;
  }
  if (r != WD_OK)
    return r;
  out->owned = true;
  char key[WD_STORE_ID_LEN];
  snprintf(key, sizeof key, "%s", out->id);
  void *arr;
  r = get_rows(s, Q_ATTACKERS_GET, key, sizeof(wd_store_attacker_t),
               row_attacker, &arr, &out->n_attackers);
  out->attackers = arr;
  if (r == WD_OK) {
    r = get_rows(s, Q_TARGETS_GET, key, sizeof(wd_store_target_t), row_target,
                 &arr, &out->n_targets);
    out->targets = arr;
  }
  if (r == WD_OK) {
    r = get_rows(s, Q_HOSTS_GET, key, sizeof(wd_store_host_t), row_host, &arr,
                 &out->n_hosts);
    out->hosts = arr;
  }
  if (r == WD_OK) {
    /* a database of an older ward, read as it is */
    int q = s->version < 4                  ? Q_ATTACKS_GET_V3
            : s->version < WD_STORE_V_INTEL ? Q_ATTACKS_GET_V7
                                            : Q_ATTACKS_GET;
    r = get_rows(s, q, key, sizeof(wd_store_attack_t), row_attack, &arr,
                 &out->n_attacks);
    out->attacks = arr;
  }
  if (r == WD_OK && s->version >= 5) {
    r = get_rows(s, Q_SENSORS_GET, key, sizeof(wd_store_sensor_t), row_sensor,
                 &arr, &out->n_sensors);
    out->sensors = arr;
  }
  if (r != WD_OK)
    wd_store_incident_fini(out);
  return r;
}

wd_rc wd_store_incident_ids(wd_store_t *s, const wd_store_filter_t *f,
                            char (**ids)[WD_STORE_ID_LEN], size_t *n) {
  *ids = NULL;
  *n = 0;
  /* Fixed SQL: each filter is "?N IS NULL OR ..." so no text is built. */
  PREP(st, s, f && f->oldest_first ? Q_IDS_OLDEST : Q_IDS_NEWEST);
  if (f && f->since_ns)
    st_u64(st, 1, f->since_ns);
  if (f && f->until_ns)
    st_u64(st, 2, f->until_ns);
  if (f && f->country)
    st_text(st, 3, f->country);
  if (f && f->sector)
    st_text(st, 4, f->sector);
  if (f && f->facility)
    st_text(st, 5, f->facility);
  if (f && f->rsit_class)
    st_text(st, 6, f->rsit_class);
  if (f && f->status)
    st_text(st, 7, f->status);
  if (f && f->limit)
    st_u64(st, 8, f->limit);
  if (f && f->id)
    st_text(st, 9, f->id);
  size_t cap = 0;
  wd_rc r;
  while ((r = st_step(st)) == WD_OK) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      void *na = realloc(*ids, nc * sizeof **ids);
      if (!na) {
        r = WD_ERR_NOMEM;
        break;
      }
      *ids = na;
      cap = nc;
    }
    col_copy(st, 0, (*ids)[*n], WD_STORE_ID_LEN);
    (*n)++;
  }
  st_done(st);
  if (r != WD_END) {
    free(*ids);
    *ids = NULL;
    *n = 0;
    return r;
  }
  return WD_OK;
}
