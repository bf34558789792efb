/* serve.c -- the HTTP side of `ward serve`: libmicrohttpd with a pool of
 * threads (HTTPS when serve.tls.cert and serve.tls.key are set), request
 * bodies gathered up to serve.body_max, the bearer token checked against
 * the store's hashes, the route table (serve_api.c) dispatched, the
 * console's three files and /metrics served; and the metrics-only server
 * of `ward watch --metrics`.
 * In: requests. Out: responses, each with a strict Content-Security-
 * Policy and no caching of API answers; one log line per request (method,
 * path, status, token name: never a token or a header's value).
 * Threads: the pool's; each opens its own store on first use, all closed
 * after the daemon stopped (the pool joined). The main thread only waits
 * for the stop signal (sigsuspend). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "serve/serve_int.h"

#define CSP                                                                    \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "  \
  "connect-src 'self'; base-uri 'none'; form-action 'none'; "                  \
  "frame-ancestors 'none'"

/* Longest Authorization header value looked at. */
#define AUTH_MAX 512

uint64_t wd_serve_now_ns(void) {
  const char *fake = getenv("WARD_NOW");
  if (fake && *fake)
    return (uint64_t)strtoull(fake, NULL, 10) * 1000000000ull;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool wd_serve_parse_listen(const char *s, struct sockaddr_storage *out,
                           unsigned *len, char *err, size_t errlen) {
  char host[128];
  const char *port;
  memset(out, 0, sizeof *out);
  if (s[0] == '[') {
    const char *e = strchr(s, ']');
    if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof host)
      goto bad;
    memcpy(host, s + 1, (size_t)(e - s - 1));
    host[e - s - 1] = '\0';
    port = e + 2;
  } else {
    const char *e = strrchr(s, ':');
    if (!e || (size_t)(e - s) >= sizeof host)
      goto bad;
    memcpy(host, s, (size_t)(e - s));
    host[e - s] = '\0';
    port = e + 1;
  }
  char *end;
  errno = 0;
  unsigned long p = strtoul(port, &end, 10);
  if (!*port || *end || errno || p > 65535 || port[0] == '-' || port[0] == '+')
    goto bad;
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)p);
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)p);
    *len = sizeof *v6;
    return true;
  }
bad:
  snprintf(err, errlen,
           "listen address '%s': expected ADDR:PORT (e.g. 127.0.0.1:8480 or "
           "[::1]:8480, port 0 to 65535)",
           s);
  return false;
}

/* ---- responses ---- */

void wd_resp_json(wd_resp_t *out, unsigned status, json_t *j) {
  out->status = status;
  out->ctype = "application/json";
  out->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!out->body) {
    out->status = 500;
    out->body = strdup("{\"error\":\"out of memory\"}");
  }
  out->len = out->body ? strlen(out->body) : 0;
}

void wd_resp_error(wd_resp_t *out, unsigned status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  free(out->body);
  out->body = NULL;
  wd_resp_json(out, status, json_pack("{s:s}", "error", msg));
}

const char *wd_req_arg(const wd_req_t *r, const char *name) {
  return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- the stores of the pool's threads ---- */

static _Thread_local wd_store_t *tls_store;
static _Thread_local const wd_serve_t *tls_owner;

static wd_store_t *thread_store(wd_serve_t *srv, char *err, size_t errlen) {
  if (tls_store && tls_owner == srv)
    return tls_store;
  wd_store_opts_t so = {.busy_timeout_ms = srv->o->busy_timeout_ms};
  wd_store_t *s;
  if (wd_store_open_opts(srv->o->db_url, &so, &s, err, errlen) != WD_OK)
    return NULL;
  pthread_mutex_lock(&srv->mu);
  if (srv->n_stores == srv->cap_stores) {
    size_t nc = srv->cap_stores ? srv->cap_stores * 2 : 8;
    wd_store_t **nv = realloc(srv->stores, nc * sizeof *nv);
    if (!nv) {
      pthread_mutex_unlock(&srv->mu);
      wd_store_close(s);
      snprintf(err, errlen, "out of memory");
      return NULL;
    }
    srv->stores = nv;
    srv->cap_stores = nc;
  }
  srv->stores[srv->n_stores++] = s;
  pthread_mutex_unlock(&srv->mu);
  tls_store = s;
  tls_owner = srv;
  return s;
}

/* ---- one request ---- */

typedef struct conn {
  wd_strbuf_t body;
  bool too_big;
} conn_t;

static void add_common_headers(struct MHD_Response *resp, bool tls) {
  MHD_add_response_header(resp, "Content-Security-Policy", CSP);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  if (tls)
    MHD_add_response_header(resp, "Strict-Transport-Security",
                            "max-age=31536000");
}

static enum MHD_Result send_resp(wd_serve_t *srv, struct MHD_Connection *c,
                                 wd_resp_t *r, bool api) {
  struct MHD_Response *resp;
  if (r->fd >= 0) {
    resp = MHD_create_response_from_fd64(r->fd_size, r->fd);
    if (!resp)
      close(r->fd);
    r->fd = -1;
  } else {
    resp = MHD_create_response_from_buffer(
        r->len, r->body ? r->body : (void *)"",
        r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp)
      r->body = NULL;
  }
  if (!resp)
    return MHD_NO;
  add_common_headers(resp, srv->cfg && srv->cfg->tls_cert);
  if (r->ctype)
    MHD_add_response_header(resp, "Content-Type", r->ctype);
  MHD_add_response_header(resp, "Cache-Control", api ? "no-store" : "no-cache");
  if (r->hdr_name[0])
    MHD_add_response_header(resp, r->hdr_name, r->hdr_value);
  if (r->disposition[0])
    MHD_add_response_header(resp, "Content-Disposition", r->disposition);
  if (r->status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"ward\"");
  enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static void client_addr(struct MHD_Connection *c, char out[64]) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(out, 64, "?");
  if (!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

/* The token of "Bearer TOKEN", NULL when the header is absent or of
 * another scheme. */
static const char *bearer(struct MHD_Connection *c) {
  const char *h =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (!h || strlen(h) > AUTH_MAX || strncasecmp(h, "Bearer ", 7) != 0)
    return NULL;
  h += 7;
  while (*h == ' ')
    h++;
  return *h ? h : NULL;
}

/* Constant-time comparison of two NUL-terminated strings. */
static bool same_secret(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char d = la != lb;
  for (size_t i = 0; i < la && i < lb; i++)
    d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

/* Splits path ("/a/b") at '/' into segs (each < WD_SEG_MAX); -1 when too
 * many, too long, empty ("//", a trailing '/') or not starting with '/'. */
static int split_path(const char *path, char segs[][WD_SEG_MAX], int max) {
  int n = 0;
  const char *p = path;
  if (*p != '/')
    return -1;
  while (*p == '/') {
    p++;
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (n == max || l >= WD_SEG_MAX || l == 0)
      return -1;
    memcpy(segs[n], p, l);
    segs[n][l] = '\0';
    n++;
    p += l;
  }
  return n;
}

/* Whether route path pat matches the segments; {} parts into args. */
static bool route_match(const char *pat, char segs[][WD_SEG_MAX], int n,
                        char args[][WD_SEG_MAX]) {
  char ps[8][WD_SEG_MAX];
  int pn = split_path(pat, ps, 8), k = 0;
  if (pn != n)
    return false;
  for (int i = 0; i < n; i++) {
    if (!strcmp(ps[i], "{}")) {
      if (k == WD_ROUTE_ARGS)
        return false;
      memcpy(args[k++], segs[i], WD_SEG_MAX);
    } else if (strcmp(ps[i], segs[i]) != 0) {
      return false;
    }
  }
  return true;
}

const wd_route_t *wd_route_find(const char *method, const char *path,
                                char args[][WD_SEG_MAX], unsigned *status) {
  char segs[8][WD_SEG_MAX];
  int n = split_path(path, segs, 8);
  *status = 404;
  for (size_t i = 0; n > 0 && i < wd_n_routes; i++) {
    const wd_route_t *rt = &wd_routes[i];
    if (!route_match(rt->path, segs, n, args))
      continue;
    *status = 405;
    if (!strcmp(rt->method, method)) {
      *status = 200;
      return rt;
    }
  }
  return NULL;
}

static void api(wd_serve_t *srv, wd_req_t *r, const char *url, wd_resp_t *out) {
  char addr[64], err[512];
  client_addr(r->c, addr);
  if (wd_limit_blocked(srv, addr, r->now_ns)) {
    srv->auth_refused++;
    snprintf(out->hdr_name, sizeof out->hdr_name, "Retry-After");
    snprintf(out->hdr_value, sizeof out->hdr_value, "%u",
             srv->cfg->auth_fail_window);
    wd_resp_error(out, 429,
                  "too many failed authentications from %s; try again in "
                  "%u s",
                  addr, srv->cfg->auth_fail_window);
    return;
  }
  r->s = thread_store(srv, err, sizeof err);
  if (!r->s) {
    wd_log(WD_LOG_ERROR, "serve", "store: %s", err);
    wd_resp_error(out, 503, "the database cannot be opened now");
    return;
  }
  const char *tok = bearer(r->c);
  wd_store_token_t t;
  char hash[65];
  if (!tok) {
    srv->auth_failures++;
    wd_limit_fail(srv, addr, r->now_ns);
    wd_resp_error(out, 401,
                  "authentication required: send Authorization: Bearer TOKEN");
    return;
  }
  wd_token_hash(tok, hash);
  wd_rc rc = wd_store_token_by_hash(r->s, hash, &t);
  if (rc != WD_OK) {
    if (rc != WD_ERR_NOTFOUND) {
      wd_resp_error(out, 503, "the database cannot be read now");
      return;
    }
    srv->auth_failures++;
    wd_limit_fail(srv, addr, r->now_ns);
    wd_resp_error(out, 401, "unknown or revoked token");
    return;
  }
  snprintf(r->who, sizeof r->who, "%s", t.name);
  r->role = wd_role_parse(t.role);
  unsigned status;
  const wd_route_t *rt = wd_route_find(r->method, url, r->args, &status);
  if (!rt && status == 405)
    wd_resp_error(out, 405, "method %s not allowed on %s", r->method, url);
  else if (!rt)
    wd_resp_error(out, 404, "no such resource: %s", url);
  else if (r->role < rt->role)
    wd_resp_error(out, 403, "%s %s needs the %s role; token %s is %s",
                  r->method, rt->path, wd_role_name(rt->role), r->who,
                  wd_role_name(r->role));
  else
    rt->fn(r, out);
}

static void metrics(wd_serve_t *srv, wd_req_t *r, wd_resp_t *out) {
  char err[512];
  if (srv->cfg->metrics_token) {
    const char *tok = bearer(r->c);
    if (!tok || !same_secret(tok, srv->cfg->metrics_token)) {
      wd_resp_error(out, 401, "/metrics needs serve.metrics_token as Bearer");
      return;
    }
  }
  wd_store_t *s = thread_store(srv, err, sizeof err);
  if (!s) {
    wd_resp_error(out, 503, "the database cannot be opened now");
    return;
  }
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  if (wd_serve_metrics(srv, s, r->now_ns, &b) != WD_OK) {
    wd_strbuf_fini(&b);
    wd_resp_error(out, 503, "the database cannot be read now");
    return;
  }
  out->status = 200;
  out->ctype = "text/plain; version=0.0.4; charset=utf-8";
  out->body = wd_strbuf_take(&b, &out->len);
}

/* The console: three files, by name only (no path from the request ever
 * reaches the file system). */
static void console(wd_serve_t *srv, const char *url, wd_resp_t *out) {
  static const struct {
    const char *url, *file, *ctype;
  } files[] = {
      {"/", "index.html", "text/html; charset=utf-8"},
      {"/index.html", "index.html", "text/html; charset=utf-8"},
      {"/app.js", "app.js", "text/javascript; charset=utf-8"},
      {"/app.css", "app.css", "text/css; charset=utf-8"},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (strcmp(url, files[i].url) != 0)
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", srv->cfg->console_dir, files[i].file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0)
        close(fd);
      wd_log(WD_LOG_ERROR, "serve", "%s: %s", path, strerror(errno));
      wd_resp_error(out, 500, "the console's file %s is missing",
                    files[i].file);
      return;
    }
    out->status = 200;
    out->fd = fd;
    out->fd_size = (uint64_t)st.st_size;
    out->ctype = files[i].ctype;
    return;
  }
  if (!strcmp(url, "/favicon.ico")) { /* none: said without an error */
    out->status = 204;
    return;
  }
  wd_resp_error(out, 404, "no such page: %s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
  wd_serve_t *srv = cls;
  conn_t *cn = *con_cls;
  wd_resp_t out = {.fd = -1};
  if (!cn) {
    cn = calloc(1, sizeof *cn);
    if (!cn)
      return MHD_NO;
    wd_strbuf_init(&cn->body, (size_t)srv->cfg->body_max);
    *con_cls = cn;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > srv->cfg->body_max) {
      wd_resp_error(&out, 413, "request body over %" PRIu64 " bytes",
                    srv->cfg->body_max);
      return send_resp(srv, c, &out, true);
    }
    return MHD_YES;
  }
  if (*data_size) {
    if (!cn->too_big &&
        (cn->body.len + *data_size > srv->cfg->body_max ||
         wd_strbuf_append(&cn->body, data, *data_size) != WD_OK))
      cn->too_big = true;
    *data_size = 0;
    return MHD_YES;
  }
  srv->requests++;
  wd_req_t r = {.srv = srv,
                .c = c,
                .method = method,
                .body = cn->body.p ? cn->body.p : "",
                .body_len = cn->body.len,
                .now_ns = wd_serve_now_ns()};
  bool is_api = !strncmp(url, "/api/", 5) || !strcmp(url, "/api");
  if (cn->too_big)
    wd_resp_error(&out, 413, "request body over %" PRIu64 " bytes",
                  srv->cfg->body_max);
  else if (is_api)
    api(srv, &r, url, &out);
  else if (!strcmp(url, "/metrics") && !strcmp(method, "GET"))
    metrics(srv, &r, &out);
  else if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
    console(srv, url, &out);
  else
    wd_resp_error(&out, 405, "method %s not allowed on %s", method, url);
  wd_log(WD_LOG_INFO, "serve", "%s %s %u %s", method, url, out.status,
         r.who[0] ? r.who : "-");
  return send_resp(srv, c, &out,
                   is_api || out.ctype == NULL ||
                       !strcmp(out.ctype, "application/json"));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  conn_t *cn = *con_cls;
  if (cn) {
    wd_strbuf_fini(&cn->body);
    free(cn);
    *con_cls = NULL;
  }
}

static char *read_pem(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  wd_strbuf_t b;
  wd_strbuf_init(&b, 1u << 20);
  if (!f || wd_strbuf_read(&b, f) != WD_OK || !b.len) {
    snprintf(err, errlen, "%s: %s", path,
             f ? "unreadable or empty (or over 1 MiB)" : strerror(errno));
    if (f)
      fclose(f);
    wd_strbuf_fini(&b);
    return NULL;
  }
  fclose(f);
  size_t n;
  return wd_strbuf_take(&b, &n);
}

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t l = strlen(msg);
  while (l && msg[l - 1] == '\n')
    msg[--l] = '\0';
  wd_log(WD_LOG_WARN, "serve", "%s", msg);
}

static struct MHD_Daemon *start(const char *listen, unsigned threads,
                                const char *cert, const char *key,
                                MHD_AccessHandlerCallback fn, void *user,
                                char *err, size_t errlen) {
  struct sockaddr_storage sa;
  unsigned salen;
  if (!wd_serve_parse_listen(listen, &sa, &salen, err, errlen))
    return NULL;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (sa.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (cert) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      snprintf(err, errlen, "this libmicrohttpd has no TLS");
      return NULL;
    }
    flags |= MHD_USE_TLS;
  }
  /* a pool only for more than one thread (libmicrohttpd warns of 1);
     the certificate and key only with TLS */
  struct MHD_OptionItem more[4];
  size_t k = 0;
  if (threads > 1)
    more[k++] =
        (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
  if (cert) {
    more[k++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert};
    more[k++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key};
  }
  more[k] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, NULL, NULL, fn, user, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, user, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
      MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_ARRAY, more,
      MHD_OPTION_END);
  if (!d)
    snprintf(err, errlen,
             "cannot listen on %s (in use, not an address of this machine, or "
             "a bad certificate/key)",
             listen);
  return d;
}

/* "http://ADDR:PORT/" of d listening on listen (the port it got when
 * listen asked for 0). */
static void daemon_url(struct MHD_Daemon *d, const char *listen, bool tls,
                       char *out, size_t n) {
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  struct sockaddr_storage sa;
  unsigned salen;
  char host[INET6_ADDRSTRLEN] = "?", err[160];
  if (!wd_serve_parse_listen(listen, &sa, &salen, err, sizeof err))
    memset(&sa, 0, sizeof sa);
  if (sa.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host,
              sizeof host);
  else
    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host,
              sizeof host);
  bool v6 = sa.ss_family == AF_INET6;
  snprintf(out, n, "%s://%s%s%s:%u/", tls ? "https" : "http", v6 ? "[" : "",
           host, v6 ? "]" : "", di ? (unsigned)di->port : 0u);
}

wd_rc wd_serve_run(const wd_serve_opts_t *o, char *err, size_t errlen) {
  wd_serve_t srv = {.o = o, .cfg = o->cfg};
  wd_rc rc = WD_OK;
  char *cert = NULL, *key = NULL;
  if (!o->cfg->console_dir) {
    snprintf(err, errlen, "serve.console_dir is not set");
    return WD_ERR_CONFIG;
  }
  if (!o->cfg->tls_cert != !o->cfg->tls_key) {
    snprintf(err, errlen, "serve.tls.cert and serve.tls.key go together");
    return WD_ERR_CONFIG;
  }
  if (o->cfg->tls_cert) {
    cert = read_pem(o->cfg->tls_cert, err, errlen);
    key = cert ? read_pem(o->cfg->tls_key, err, errlen) : NULL;
    if (!key) {
      free(cert);
      return WD_ERR_CONFIG;
    }
  }
  if (o->directory &&
      wd_directory_load(o->directory, &srv.dir, err, errlen) != WD_OK) {
    free(cert);
    free(key);
    return WD_ERR_CONFIG;
  }
  srv.n_limit = o->cfg->auth_table_max;
  srv.limit = calloc(srv.n_limit, sizeof *srv.limit);
  pthread_mutex_init(&srv.mu, NULL);
  /* the store is opened (and migrated) once here, so that a bad URL is
     said at start, not at the first request */
  wd_store_t *first;
  wd_store_opts_t so = {.busy_timeout_ms = o->busy_timeout_ms};
  if (!srv.limit) {
    snprintf(err, errlen, "out of memory");
    rc = WD_ERR_NOMEM;
  } else if (wd_store_open_opts(o->db_url, &so, &first, err, errlen) != WD_OK) {
    rc = WD_ERR_IO;
  } else {
    wd_store_close(first);
  }
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  struct MHD_Daemon *d = NULL;
  if (rc == WD_OK) {
    const char *listen = o->listen ? o->listen : o->cfg->listen;
    d = start(listen, o->cfg->threads, cert, key, on_request, &srv, err,
              errlen);
    if (!d)
      rc = WD_ERR_IO;
    else if (o->ready) {
      char url[128];
      daemon_url(d, listen, cert != NULL, url, sizeof url);
      o->ready(url);
    }
  }
  while (d && !*o->stop)
    sigsuspend(&old);
  if (d)
    MHD_stop_daemon(d);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  for (size_t i = 0; i < srv.n_stores; i++) {
    wd_store_adopt(srv.stores[i]);
    wd_store_close(srv.stores[i]);
  }
  free(srv.stores);
  free(srv.limit);
  pthread_mutex_destroy(&srv.mu);
  wd_directory_free(srv.dir);
  free(cert);
  free(key);
  return rc;
}

/* ---- the metrics-only server of `ward watch --metrics` ---- */

struct wd_metrics_server {
  struct MHD_Daemon *d;
  char url[160];
  void (*render)(void *user, wd_strbuf_t *out);
  void *user;
};

static const wd_serve_config_t metrics_cfg = {.body_max = 0};

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
  wd_metrics_server_t *m = cls;
  if (*data_size) /* no body is wanted: drop it */
    return MHD_NO;
  wd_serve_t srv = {.cfg = &metrics_cfg};
  wd_resp_t out = {.fd = -1};
  if (strcmp(url, "/metrics") != 0) {
    wd_resp_error(&out, 404, "only /metrics is served here");
  } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    wd_resp_error(&out, 405, "method %s not allowed on /metrics", method);
  } else {
    wd_strbuf_t b;
    wd_strbuf_init(&b, 0);
    m->render(m->user, &b);
    out.status = 200;
    out.ctype = "text/plain; version=0.0.4; charset=utf-8";
    out.body = wd_strbuf_take(&b, &out.len);
  }
  return send_resp(&srv, c, &out, true);
}

wd_rc wd_metrics_server_start(const char *listen,
                              void (*render)(void *user, wd_strbuf_t *out),
                              void *user, wd_metrics_server_t **out, char *err,
                              size_t errlen) {
  wd_metrics_server_t *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, errlen, "out of memory");
    return WD_ERR_NOMEM;
  }
  m->render = render;
  m->user = user;
  m->d = start(listen, 1, NULL, NULL, on_metrics, m, err, errlen);
  if (!m->d) {
    free(m);
    return WD_ERR_IO;
  }
  daemon_url(m->d, listen, false, m->url, sizeof m->url);
  snprintf(m->url + strlen(m->url), sizeof m->url - strlen(m->url), "metrics");
  *out = m;
  return WD_OK;
}

const char *wd_metrics_server_url(const wd_metrics_server_t *m) {
  return m->url;
}

void wd_metrics_server_stop(wd_metrics_server_t *m) {
  if (!m)
    return;
  MHD_stop_daemon(m->d);
  free(m);
}
