/* serve_int.h -- what the parts of the serve stage share: the request as
 * the handlers see it, the response they fill, the route table
 * (serve_api.c), the failed-authentication limiter (serve_auth.c) and the
 * metrics text of the store (serve_metrics.c).
 * Memory: a request's body and a response's body are malloc'ed and freed
 * by serve.c after the response is queued. */
#ifndef WD_SERVE_SERVE_INT_H
#define WD_SERVE_SERVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "enrich/directory.h"
#include "serve/serve.h"
#include "store/store.h"

struct MHD_Connection;

typedef struct wd_serve wd_serve_t;

/* Path segments of a route's {} parts, at most this many. */
#define WD_ROUTE_ARGS 2
/* Longest path segment (an id, a ref, a token name). */
#define WD_SEG_MAX 256

typedef struct wd_req {
  wd_serve_t *srv;
  struct MHD_Connection *c;
  wd_store_t *s;
  const char *method;
  char args[WD_ROUTE_ARGS][WD_SEG_MAX];
  const char *body;
  size_t body_len;
  char who[WD_STORE_TOKEN_NAME_LEN]; /* the token's name */
  wd_role role;
  uint64_t now_ns;
} wd_req_t;

typedef struct wd_resp {
  unsigned status;
  char *body; /* malloc'ed */
  size_t len;
  const char *ctype;
  int fd; /* >= 0: send this file instead of body */
  uint64_t fd_size;
  char hdr_name[48]; /* one extra header, "" none */
  char hdr_value[512];
  char disposition[160]; /* Content-Disposition, "" none */
} wd_resp_t;

typedef void (*wd_handler_fn)(wd_req_t *r, wd_resp_t *out);

typedef struct wd_route {
  const char *method;
  const char *path; /* "/api/incidents/{}/close": {} one segment */
  wd_role role;     /* least role allowed */
  wd_handler_fn fn;
} wd_route_t;

extern const wd_route_t wd_routes[];
extern const size_t wd_n_routes;

/* The route of method and path (as libmicrohttpd decoded it), its {}
 * parts into args; NULL with *status 404 (no such path: also an empty
 * segment, too many or too long ones) or 405 (the path with another
 * method). */
const wd_route_t *wd_route_find(const char *method, const char *path,
                                char args[][WD_SEG_MAX], unsigned *status);

/* The whole server. */
struct wd_serve {
  const wd_serve_opts_t *o;
  const wd_serve_config_t *cfg;
  wd_directory_t *dir;
  pthread_mutex_t mu; /* the limiter and the list of stores */
  wd_store_t **stores;
  size_t n_stores, cap_stores;
  struct wd_limit_slot *limit;
  size_t n_limit;
  _Atomic uint64_t limit_full; /* limiter table full: an address forgot */
  _Atomic uint64_t auth_failures, auth_refused, requests;
};

/* Response helpers (serve.c): JSON of j (stolen), {"error": msg}. */
void wd_resp_json(wd_resp_t *out, unsigned status, struct json_t *j);
void wd_resp_error(wd_resp_t *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A query argument of the request, NULL when absent. */
const char *wd_req_arg(const wd_req_t *r, const char *name);
uint64_t wd_serve_now_ns(void);

/* ---- the failed-authentication limiter (serve_auth.c) ---- */

typedef struct wd_limit_slot {
  char addr[64];
  uint64_t window_start_ns;
  uint32_t failures;
} wd_limit_slot_t;

/* True when addr has failed too often within the window (refuse it). */
bool wd_limit_blocked(wd_serve_t *srv, const char *addr, uint64_t now_ns);
/* Counts a failed authentication of addr. */
void wd_limit_fail(wd_serve_t *srv, const char *addr, uint64_t now_ns);

/* ---- /metrics of the store (serve_metrics.c) ---- */
wd_rc wd_serve_metrics(wd_serve_t *srv, wd_store_t *s, uint64_t now_ns,
                       wd_strbuf_t *out);

#endif
