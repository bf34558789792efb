/* serve.h -- `ward serve`: the coordination centre's console and its JSON
 * API over HTTP(S) (libmicrohttpd, one process, a pool of threads), and
 * the Prometheus endpoint /metrics, all read from and written to the
 * store (docs/api.md).
 * In: the options below (from the serve.* configuration keys and the
 * command line), requests. Out: responses; every change made through the
 * API is also a row of the store's audit table.
 * Threads: each thread of the pool opens its own store on first use
 * (store.h: one store per thread); all are closed when the server stops.
 * Also here: a small metrics-only server for `ward watch --metrics`
 * (wd_metrics_server_*) that renders a snapshot the caller provides. */
#ifndef WD_SERVE_SERVE_H
#define WD_SERVE_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"
#include "core/strbuf.h"

/* serve.* keys (a key table from outside core: wd_serve_keyset). */
typedef struct wd_serve_config {
  char *listen;              /* "ADDR:PORT", default 127.0.0.1:8480 */
  char *tls_cert;            /* PEM certificate chain; with tls_key: HTTPS */
  char *tls_key;             /* PEM private key */
  char *metrics_token;       /* when set, /metrics needs Bearer of it */
  char *console_dir;         /* the console's files (default: installed) */
  uint32_t threads;          /* threads of the pool */
  uint64_t body_max;         /* largest request body, bytes */
  uint32_t auth_fail_max;    /* failed authentications per address ... */
  uint32_t auth_fail_window; /* ... within this many seconds */
  uint32_t auth_table_max;   /* addresses tracked at once */
} wd_serve_config_t;

extern const wd_config_keyset_t wd_serve_keyset;

typedef struct wd_serve_opts {
  const wd_serve_config_t *cfg;
  const char *listen;    /* overrides cfg->listen when not NULL */
  const char *db_url;    /* the store */
  const char *directory; /* attribution.directory, NULL: none */
  uint32_t busy_timeout_ms;
  volatile sig_atomic_t *stop; /* set by a signal handler: return */
  /* Called once listening, with the URL of the console (the port the
   * system chose when the listen port is 0); NULL: none. */
  void (*ready)(const char *url);
} wd_serve_opts_t;

/* Runs until *o->stop is set; WD_OK then. Failure to start: err says why
 * (address in use, unreadable certificate, store that cannot open). */
wd_rc wd_serve_run(const wd_serve_opts_t *o, char *err, size_t errlen);

/* Parses "ADDR:PORT" ("[v6]:PORT" for IPv6) into a socket address; false
 * with err when malformed. */
struct sockaddr_storage;
bool wd_serve_parse_listen(const char *s, struct sockaddr_storage *out,
                           unsigned *len, char *err, size_t errlen);

/* ---- tokens (serve_auth.c) ---- */

typedef enum {
  WD_ROLE_NONE = 0,
  WD_ROLE_VIEWER = 1,
  WD_ROLE_ANALYST = 2,
  WD_ROLE_ADMIN = 3
} wd_role;

const char *wd_role_name(wd_role r);
wd_role wd_role_parse(const char *s); /* WD_ROLE_NONE when unknown */
/* A new random token (getrandom): "wt_" + 43 characters of base64url. */
#define WD_TOKEN_LEN 64
wd_rc wd_token_new(char out[WD_TOKEN_LEN]);
/* Whether s is a usable token name: 1 to 63 of A-Z a-z 0-9 - _ . @. */
bool wd_token_name_ok(const char *s);
/* Hex SHA-256 of token. */
void wd_token_hash(const char *token, char out[65]);

/* ---- the metrics-only server of `ward watch --metrics` ---- */

typedef struct wd_metrics_server wd_metrics_server_t;
/* render(user, out) writes the exposition text; it runs on the server's
 * thread and must only read a snapshot (never lock the packet thread). */
wd_rc wd_metrics_server_start(const char *listen,
                              void (*render)(void *user, wd_strbuf_t *out),
                              void *user, wd_metrics_server_t **out, char *err,
                              size_t errlen);
/* "http://ADDR:PORT/metrics", with the port the system chose for 0. */
const char *wd_metrics_server_url(const wd_metrics_server_t *m);
void wd_metrics_server_stop(wd_metrics_server_t *m);

/* The sensor's counters for that server (serve_sensor.c): the engine's
 * worker thread hands each snapshot to wd_sensor_metrics_update (the
 * engine's on_stats), which copies it under the holder's mutex; the
 * server's thread renders the latest copy (wd_sensor_metrics_render, a
 * render callback). The packet thread never takes that mutex. */
typedef struct wd_sensor_metrics wd_sensor_metrics_t;
struct wd_stats_snapshot;
wd_sensor_metrics_t *wd_sensor_metrics_new(void);
void wd_sensor_metrics_free(wd_sensor_metrics_t *m);
void wd_sensor_metrics_update(void *m, const struct wd_stats_snapshot *s);
void wd_sensor_metrics_render(void *m, wd_strbuf_t *out);

#endif
