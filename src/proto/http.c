/* http.c -- HTTP/1.x head parser (http.h).
 * In: TCP bytes per direction. Out: request and response heads on the
 * caller's callbacks. Each direction collects one line at a time (at most
 * WD_HTTP_LINE_MAX bytes kept, the rest of a longer line skipped), parses
 * the start line and the field lines it needs, then skips a body of known
 * length or stops. Requests are queued (up to WD_HTTP_PIPELINE_MAX) so that
 * responses can be paired and bodiless responses to HEAD recognised. No
 * allocation. */
#include "proto/http.h"

#include <string.h>

#include "proto/proto_int.h"

enum { M_START = 0, M_FIELDS, M_BODY, M_STOP };

static bool tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const char *a, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m)
    return false;
  for (size_t i = 0; i < n; i++) {
    char x = a[i], y = lit[i];
    if (x >= 'A' && x <= 'Z')
      x = (char)(x + 32);
    if (x != y)
      return false;
  }
  return true;
}

/* "HTTP/d.d" at p (n bytes exactly). */
static bool version(const char *p, size_t n, uint8_t *maj, uint8_t *min) {
  if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' ||
      p[5] > '9' || p[7] < '0' || p[7] > '9')
    return false;
  *maj = (uint8_t)(p[5] - '0');
  *min = (uint8_t)(p[7] - '0');
  return true;
}

static void stop(wd_http_conn_t *c, int dir) {
  if (c->d[dir].mode != M_STOP && c->stats)
    c->stats->stopped++;
  c->d[dir].mode = M_STOP;
}

/* ---- start lines ------------------------------------------------------- */

static bool request_line(wd_http_conn_t *c, const char *l, size_t n) {
  wd_http_req_t *r = &c->req;
  memset(r, 0, sizeof *r);
  r->seq = c->d[0].seq;
  size_t i = 0;
  while (i < n && tchar((unsigned char)l[i]))
    i++;
  if (i == 0 || i >= WD_HTTP_METHOD_MAX || i >= n || l[i] != ' ')
    return false;
  memcpy(r->method, l, i);
  r->method[i] = '\0';
  size_t t = ++i;
  while (i < n && l[i] != ' ')
    i++;
  if (i == t)
    return false;
  if (!wd_text_escape(r->target, sizeof r->target, (const uint8_t *)l + t,
                      i - t, false, NULL))
    c->d[0].anomalies |= WD_HTTP_ANOM_CUT;
  if (i == n) { /* "GET /path": HTTP/0.9 */
    r->ver_major = 0, r->ver_minor = 9;
    c->d[0].anomalies |= WD_HTTP_ANOM_HTTP09;
    return true;
  }
  if (!version(l + i + 1, n - i - 1, &r->ver_major, &r->ver_minor))
    return false;
  if (r->ver_major != 1 || r->ver_minor > 1)
    c->d[0].anomalies |= WD_HTTP_ANOM_VERSION;
  return true;
}

static bool status_line(wd_http_conn_t *c, const char *l, size_t n) {
  wd_http_resp_t *r = &c->resp;
  memset(r, 0, sizeof *r);
  r->seq = c->d[1].seq;
  if (n < 12 || !version(l, 8, &r->ver_major, &r->ver_minor) || l[8] != ' ')
    return false;
  for (int k = 9; k < 12; k++)
    if (l[k] < '0' || l[k] > '9')
      return false;
  if (n > 12 && l[12] != ' ')
    return false;
  r->status =
      (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
  if (r->status < 100)
    return false;
  if (r->ver_major != 1 || r->ver_minor > 1)
    c->d[1].anomalies |= WD_HTTP_ANOM_VERSION;
  return true;
}

/* ---- fields ------------------------------------------------------------ */

/* Framing fields shared by both directions. */
typedef struct framing {
  bool *has_length;
  uint64_t *length;
  bool *chunked;
  uint16_t *n_fields;
} framing;

static bool parse_length(const char *v, size_t n, uint64_t *out) {
  if (n == 0 || n > 19)
    return false;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9')
      return false;
    x = x * 10 + (uint64_t)(v[i] - '0');
  }
  *out = x;
  return true;
}

/* Transfer-Encoding: true when the last coding is "chunked". */
static bool te_chunked(const char *v, size_t n) {
  size_t end = n;
  while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t'))
    end--;
  size_t start = end;
  while (start > 0 && v[start - 1] != ',')
    start--;
  while (start < end && (v[start] == ' ' || v[start] == '\t'))
    start++;
  return ieq(v + start, end - start, "chunked");
}

/* One field line: the framing fields, Host and User-Agent. */
static void field_line(wd_http_conn_t *c, int dir, const char *l, size_t n,
                       framing *f) {
  uint32_t *anom = &c->d[dir].anomalies;
  if (l[0] == ' ' || l[0] == '\t') {
    *anom |= WD_HTTP_ANOM_OBS_FOLD;
    return;
  }
  size_t i = 0;
  while (i < n && tchar((unsigned char)l[i]))
    i++;
  if (i == 0 || i == n || l[i] != ':') {
    *anom |= WD_HTTP_ANOM_BAD_FIELD;
    return;
  }
  size_t name_len = i++;
  while (i < n && (l[i] == ' ' || l[i] == '\t'))
    i++;
  size_t end = n;
  while (end > i && (l[end - 1] == ' ' || l[end - 1] == '\t'))
    end--;
  const char *v = l + i;
  size_t vn = end - i;
  if (*f->n_fields < UINT16_MAX)
    (*f->n_fields)++;
  if (ieq(l, name_len, "content-length")) {
    uint64_t x;
    if (!parse_length(v, vn, &x))
      *anom |= WD_HTTP_ANOM_BAD_LENGTH;
    else if (*f->has_length && *f->length != x)
      *anom |= WD_HTTP_ANOM_BAD_LENGTH;
    else
      *f->has_length = true, *f->length = x;
  } else if (ieq(l, name_len, "transfer-encoding")) {
    if (te_chunked(v, vn))
      *f->chunked = true;
    else
      *anom |= WD_HTTP_ANOM_BAD_TE;
  } else if (dir == 0 && ieq(l, name_len, "host")) {
    if (c->req.has_host) {
      *anom |= WD_HTTP_ANOM_HOST;
    } else {
      c->req.has_host = true;
      if (!wd_text_escape(c->req.host, sizeof c->req.host, (const uint8_t *)v,
                          vn, true, NULL))
        *anom |= WD_HTTP_ANOM_CUT;
    }
  } else if (dir == 1 && ieq(l, name_len, "content-type")) {
    if (!c->resp.has_ctype) {
      c->resp.has_ctype = true;
      if (!wd_text_escape(c->resp.content_type, sizeof c->resp.content_type,
                          (const uint8_t *)v, vn, false, NULL))
        *anom |= WD_HTTP_ANOM_CUT;
    }
  } else if (dir == 0 && ieq(l, name_len, "user-agent")) {
    if (!c->req.has_ua) {
      c->req.has_ua = true;
      if (!wd_text_escape(c->req.user_agent, sizeof c->req.user_agent,
                          (const uint8_t *)v, vn, false, NULL))
        *anom |= WD_HTTP_ANOM_CUT;
    }
  }
}

/* ---- end of a head ----------------------------------------------------- */

/* After a message's head was reported: the direction's next message
 * number, and what it reads next (a body to skip, the next head, or
 * nothing). A response opening a tunnel stops the requests too; a CONNECT
 * request stops only its own direction until the answer says. */
static void next_message(wd_http_conn_t *c, int dir, uint8_t next,
                         uint64_t content_length) {
  wd_http_dir_t *d = &c->d[dir];
  d->seq++;
  d->anomalies = 0;
  d->head_bytes = 0;
  if (next == WD_HTTP_NEXT_BODY) {
    d->mode = M_BODY;
    d->body_left = content_length;
  } else if (next == WD_HTTP_NEXT_MESSAGE) {
    d->mode = M_START;
  } else {
    stop(c, dir);
    if (next == WD_HTTP_STOP_TUNNEL && dir == 1)
      stop(c, 0);
  }
}

static void end_request(wd_http_conn_t *c, bool limit, wd_http_req_fn fn,
                        void *user) {
  wd_http_dir_t *d = &c->d[0];
  wd_http_req_t *r = &c->req;
  if (r->ver_major == 1 && r->ver_minor >= 1 && !r->has_host)
    d->anomalies |= WD_HTTP_ANOM_HOST;
  if (r->chunked && r->has_length)
    d->anomalies |= WD_HTTP_ANOM_TE_AND_CL;
  if (limit)
    r->next = WD_HTTP_STOP_LIMIT;
  else if (d->anomalies & WD_HTTP_ANOM_HTTP09)
    r->next = WD_HTTP_STOP_HTTP09;
  else if (d->anomalies & WD_HTTP_ANOM_BAD_TE)
    r->next = WD_HTTP_STOP_LIMIT; /* length unknown (RFC 9112 6.3) */
  else if (r->chunked)
    r->next = WD_HTTP_STOP_CHUNKED;
  else if (d->anomalies & WD_HTTP_ANOM_BAD_LENGTH)
    r->next = WD_HTTP_STOP_LIMIT;
  else if (strcmp(r->method, "CONNECT") == 0)
    r->next = WD_HTTP_STOP_TUNNEL;
  else if (r->has_length && r->content_length > 0)
    r->next = WD_HTTP_NEXT_BODY;
  else
    r->next = WD_HTTP_NEXT_MESSAGE;
  /* queue for pairing */
  if (c->p_count < c->p_max) {
    wd_http_pending_t *p =
        &c->pending[(c->p_head + c->p_count) % WD_HTTP_PIPELINE_MAX];
    p->seq = r->seq;
    memcpy(p->method, r->method, sizeof p->method);
    c->p_count++;
  } else {
    d->anomalies |= WD_HTTP_ANOM_PIPELINE_FULL;
    if (c->stats)
      c->stats->pipeline_full++;
  }
  r->anomalies = d->anomalies;
  r->head_bytes = d->head_bytes;
  if (c->stats) {
    c->stats->requests++;
    if (r->anomalies)
      c->stats->anomalies++;
  }
  if (fn)
    fn(user, r);
  next_message(c, 0, r->next, r->content_length);
}

static void end_response(wd_http_conn_t *c, bool limit, wd_http_resp_fn fn,
                         void *user) {
  wd_http_dir_t *d = &c->d[1];
  wd_http_resp_t *r = &c->resp;
  bool interim = r->status >= 100 && r->status < 200 && r->status != 101;
  bool head = false, connect = false;
  if (c->p_count > 0) {
    wd_http_pending_t *p = &c->pending[c->p_head];
    r->paired = true;
    r->req_seq = p->seq;
    memcpy(r->req_method, p->method, sizeof r->req_method);
    head = strcmp(p->method, "HEAD") == 0;
    connect = strcmp(p->method, "CONNECT") == 0;
    if (!interim) {
      c->p_head = (uint8_t)((c->p_head + 1) % WD_HTTP_PIPELINE_MAX);
      c->p_count--;
    }
  } else {
    d->anomalies |= WD_HTTP_ANOM_UNPAIRED;
  }
  if (r->chunked && r->has_length)
    d->anomalies |= WD_HTTP_ANOM_TE_AND_CL;
  bool no_body = head || interim || r->status == 204 || r->status == 304;
  if (limit)
    r->next = WD_HTTP_STOP_LIMIT;
  else if (r->status == 101 || (connect && r->status / 100 == 2))
    r->next = WD_HTTP_STOP_TUNNEL;
  else if (no_body)
    r->next = WD_HTTP_NEXT_MESSAGE;
  else if (r->chunked)
    r->next = WD_HTTP_STOP_CHUNKED;
  else if (d->anomalies & (WD_HTTP_ANOM_BAD_LENGTH | WD_HTTP_ANOM_BAD_TE))
    r->next = WD_HTTP_STOP_LIMIT;
  else if (r->has_length)
    r->next = r->content_length ? WD_HTTP_NEXT_BODY : WD_HTTP_NEXT_MESSAGE;
  else
    r->next = WD_HTTP_STOP_CLOSE;
  r->anomalies = d->anomalies;
  r->head_bytes = d->head_bytes;
  if (c->stats) {
    c->stats->responses++;
    if (r->anomalies)
      c->stats->anomalies++;
  }
  if (fn)
    fn(user, r);
  next_message(c, 1, r->next, r->content_length);
}

/* One complete line (CR LF removed). */
static void line(wd_http_conn_t *c, int dir, const char *l, size_t n,
                 wd_http_req_fn on_req, wd_http_resp_fn on_resp, void *user) {
  wd_http_dir_t *d = &c->d[dir];
  if (d->mode == M_START) {
    if (n == 0) { /* empty lines before a start line (RFC 9112 2.2) */
      d->anomalies = 0;
      d->head_bytes = 0;
      return;
    }
    bool ok = dir == 0 ? request_line(c, l, n) : status_line(c, l, n);
    if (!ok) {
      if (c->stats && d->seq == 0)
        c->stats->not_http++;
      stop(c, dir);
      return;
    }
    d->mode = M_FIELDS;
    if (dir == 0 && (d->anomalies & WD_HTTP_ANOM_HTTP09))
      end_request(c, false, on_req, user);
    return;
  }
  bool limit = d->head_bytes > WD_HTTP_HEADERS_MAX;
  uint16_t *nf = dir == 0 ? &c->req.n_fields : &c->resp.n_fields;
  if (n > 0 && !limit) {
    framing f = dir == 0
                    ? (framing){&c->req.has_length, &c->req.content_length,
                                &c->req.chunked, nf}
                    : (framing){&c->resp.has_length, &c->resp.content_length,
                                &c->resp.chunked, nf};
    field_line(c, dir, l, n, &f);
    limit = *nf > WD_HTTP_FIELDS_MAX;
  }
  if (limit)
    d->anomalies |= WD_HTTP_ANOM_HEAD_TOO_BIG;
  if (n == 0 || limit) {
    if (dir == 0)
      end_request(c, limit, on_req, user);
    else
      end_response(c, limit, on_resp, user);
  }
}

void wd_http_conn_init(wd_http_conn_t *c, wd_http_stats_t *stats,
                       unsigned pipeline_max) {
  for (int i = 0; i < 2; i++)
    memset(&c->d[i], 0, offsetof(wd_http_dir_t, line));
  memset(&c->req, 0, sizeof c->req);
  memset(&c->resp, 0, sizeof c->resp);
  c->p_head = c->p_count = 0;
  c->p_max = (uint8_t)(pipeline_max && pipeline_max <= WD_HTTP_PIPELINE_MAX
                           ? pipeline_max
                           : WD_HTTP_PIPELINE_MAX);
  c->stats = stats;
}

void wd_http_conn_gap(wd_http_conn_t *c, int dir, uint64_t nbytes) {
  wd_http_dir_t *d = &c->d[dir & 1];
  if (d->mode == M_BODY && nbytes > 0 && nbytes <= d->body_left) {
    d->body_left -= nbytes;
    if (d->body_left == 0)
      d->mode = M_START;
    return;
  }
  stop(c, dir & 1);
}

wd_rc wd_http_conn_feed(wd_http_conn_t *c, int dir, const uint8_t *data,
                        size_t len, wd_http_req_fn on_req,
                        wd_http_resp_fn on_resp, void *user) {
  dir &= 1;
  wd_http_dir_t *d = &c->d[dir];
  size_t i = 0;
  while (i < len) {
    if (d->mode == M_STOP) {
      if (c->stats)
        c->stats->skipped_bytes += len - i;
      return WD_END;
    }
    if (d->mode == M_BODY) {
      uint64_t n = d->body_left;
      if (n > len - i)
        n = len - i;
      d->body_left -= n;
      i += (size_t)n;
      if (c->stats)
        c->stats->skipped_bytes += n;
      if (d->body_left == 0)
        d->mode = M_START;
      continue;
    }
    const uint8_t *lf = memchr(data + i, '\n', len - i);
    size_t take = lf ? (size_t)(lf - (data + i)) : len - i;
    /* keep what fits, skip the rest of an overlong line */
    size_t room = WD_HTTP_LINE_MAX - d->line_len;
    size_t keep = take < room ? take : room;
    memcpy(d->line + d->line_len, data + i, keep);
    d->line_len += (uint32_t)keep;
    if (keep < take)
      d->cut = true;
    d->head_bytes += (uint32_t)(take + (lf ? 1 : 0));
    i += take;
    if (!lf) {
      /* a head that never ends: give up at the cap, mid-line */
      if (d->head_bytes > WD_HTTP_HEADERS_MAX) {
        d->anomalies |= WD_HTTP_ANOM_HEAD_TOO_BIG | WD_HTTP_ANOM_LINE_TOO_LONG;
        d->line_len = 0;
        d->cut = false;
        if (d->mode == M_FIELDS && dir == 0)
          end_request(c, true, on_req, user);
        else if (d->mode == M_FIELDS)
          end_response(c, true, on_resp, user);
        else
          stop(c, dir);
      }
      break;
    }
    i++; /* the LF */
    size_t n = d->line_len;
    if (d->cut) {
      d->anomalies |= WD_HTTP_ANOM_LINE_TOO_LONG;
    } else if (n > 0 && d->line[n - 1] == '\r') {
      n--;
    } else {
      d->anomalies |= WD_HTTP_ANOM_BARE_LF;
    }
    d->line_len = 0;
    d->cut = false;
    line(c, dir, d->line, n, on_req, on_resp, user);
  }
  if (d->mode == M_STOP)
    return WD_END;
  if (d->mode == M_BODY || (d->mode == M_START && d->line_len == 0))
    return WD_OK;
  return WD_AGAIN;
}
