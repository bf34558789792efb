/* eve.c -- EVE JSON writer (see eve.h). Objects are built with jansson and
 * written with json_dumpf, one per line; stdio buffers the stream, which is
 * flushed at stats time, on reopen and on close.
 * HTTP: requests wait for their response in a ring of copies (allocated at
 * the first request, outputs.eve.http_held entries); a response finds its
 * request by flow and number (a scan of the ring: it is short, and this is
 * the worker thread). */
#include "output/eve.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/timefmt.h"
#include "proto/dns.h"

#define HTTP_HELD_DEFAULT 1024
#define HTTP_WAIT_DEFAULT_S 60

struct wd_eve {
  FILE *f;
  char *path; /* NULL for stdout */
  uint64_t events;
  /* HTTP requests awaiting their response, oldest first (kind 0: gone) */
  wd_eve_app_t *held;
  size_t h_head, h_n, h_cap, h_max;
  uint64_t wait_ns;
  wd_eve_http_stats_t hs;
};

static void http_drain(wd_eve_t *e, uint64_t now_ns, bool all);

void wd_eve_set_http(wd_eve_t *e, uint32_t held_max, uint32_t wait_s) {
  if (!e)
    return;
  e->h_max = held_max ? held_max : HTTP_HELD_DEFAULT;
  e->wait_ns =
      (uint64_t)(wait_s ? wait_s : HTTP_WAIT_DEFAULT_S) * 1000000000ull;
}

void wd_eve_http_stats(const wd_eve_t *e, wd_eve_http_stats_t *out) {
  memset(out, 0, sizeof *out);
  if (e) {
    *out = e->hs;
    out->held = e->h_n;
  }
}

wd_rc wd_eve_open(const char *path, wd_eve_t **out, char *err, size_t errlen) {
  *out = NULL;
  wd_eve_t *e = calloc(1, sizeof *e);
  if (!e)
    return WD_ERR_NOMEM;
  if (!path || strcmp(path, "-") == 0) {
    e->f = stdout;
  } else {
    e->path = strdup(path);
    e->f = e->path ? fopen(path, "a") : NULL;
    if (!e->f) {
      snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
      free(e->path);
      free(e);
      return WD_ERR_IO;
    }
  }
  wd_eve_set_http(e, 0, 0);
  *out = e;
  return WD_OK;
}

wd_rc wd_eve_reopen(wd_eve_t *e) {
  if (!e->path)
    return WD_OK;
  fflush(e->f);
  FILE *nf = fopen(e->path, "a");
  if (!nf)
    return WD_ERR_IO; /* keep writing to the old file */
  fclose(e->f);
  e->f = nf;
  return WD_OK;
}

void wd_eve_flush(wd_eve_t *e) { fflush(e->f); }

void wd_eve_close(wd_eve_t *e) {
  if (!e)
    return;
  http_drain(e, 0, true);
  free(e->held);
  fflush(e->f);
  if (e->path)
    fclose(e->f);
  free(e->path);
  free(e);
}

uint64_t wd_eve_events(const wd_eve_t *e) { return e->events; }

void wd_eve_timestamp(uint64_t ts_ns, char out[40]) {
  wd_time_str(ts_ns, WD_TIME_EVE, out, 40);
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  uint32_t cp;
  if (c < 0x80)
    return c ? 1 : 0;
  if ((c & 0xe0) == 0xc0)
    len = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    len = 3, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    len = 4, cp = c & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

json_t *wd_json_string_bytes(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; i < len; i++) {
    size_t l = utf8_seq(u + i, len - i);
    if (l == 0)
      break;
    i += l - 1;
  }
  if (i == len)
    return json_stringn(s, len);
  /* Slow path: replace each bad byte (or NUL) by U+FFFD (3 bytes). */
  char *buf = malloc(len * 3 + 1);
  if (!buf)
    return json_string("");
  size_t o = 0;
  for (i = 0; i < len;) {
    size_t l = utf8_seq(u + i, len - i);
    if (l == 0) {
      memcpy(buf + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    } else {
      memcpy(buf + o, s + i, l);
      o += l;
      i += l;
    }
  }
  json_t *j = json_stringn(buf, o);
  free(buf);
  return j;
}

json_t *wd_json_string(const char *s) {
  return wd_json_string_bytes(s ? s : "", s ? strlen(s) : 0);
}

const char *wd_eve_proto_name(uint8_t proto) {
  switch (proto) {
  case 1:
    return "ICMP";
  case 6:
    return "TCP";
  case 17:
    return "UDP";
  case 58:
    return "IPv6-ICMP";
  case 47:
    return "GRE";
  case 50:
    return "ESP";
  case 132:
    return "SCTP";
  default:
    return NULL;
  }
}

static void set_proto(json_t *o, uint8_t proto) {
  const char *n = wd_eve_proto_name(proto);
  if (n) {
    json_object_set_new(o, "proto", json_string(n));
  } else {
    char num[8];
    snprintf(num, sizeof num, "%03u", proto);
    json_object_set_new(o, "proto", json_string(num));
  }
}

static void set_addr(json_t *o, const char *key, const wd_addr_t *a) {
  char buf[WD_ADDR_STRLEN];
  json_object_set_new(o, key, json_string(wd_addr_str(a, buf)));
}

static void write_obj(wd_eve_t *e, json_t *o) {
  if (json_dumpf(o, e->f, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0) {
    fputc('\n', e->f);
    e->events++;
  }
  json_decref(o);
}

static json_t *header(const char *type, uint64_t ts_ns) {
  char ts[40];
  json_t *o = json_object();
  wd_eve_timestamp(ts_ns, ts);
  json_object_set_new(o, "timestamp", json_string(ts));
  json_object_set_new(o, "event_type", json_string(type));
  return o;
}

static json_t *metric_value(const wd_alert_metric_t *m) {
  switch (m->type) {
  case WD_METRIC_U64:
    return json_integer((json_int_t)m->v.u);
  case WD_METRIC_F64: /* JSON has no NaN or infinity: said as text */
    if (isnan(m->v.d))
      return json_string("nan");
    if (isinf(m->v.d))
      return json_string(m->v.d > 0 ? "inf" : "-inf");
    return json_real(m->v.d);
  case WD_METRIC_STR:
    return wd_json_string(m->v.s);
  case WD_METRIC_BOOL:
    return json_boolean(m->v.b);
  }
  return json_null();
}

json_t *wd_eve_alert_object(const wd_alert_t *a, const wd_eve_facility_t *fac,
                            const wd_eve_origin_t *origin) {
  json_t *o = header("alert", a->ts_ns);
  if (!o)
    return NULL;
  if (a->flow_id)
    json_object_set_new(o, "flow_id", json_integer((json_int_t)a->flow_id));
  if (origin && origin->pcap_filename)
    json_object_set_new(o, "pcap_filename",
                        wd_json_string(origin->pcap_filename));
  if (origin && origin->pcap_cnt)
    json_object_set_new(o, "pcap_cnt",
                        json_integer((json_int_t)origin->pcap_cnt));
  if (a->has_src)
    set_addr(o, "src_ip", &a->src);
  if (a->has_ports && a->has_src)
    json_object_set_new(o, "src_port", json_integer(a->sport));
  set_addr(o, "dest_ip", &a->dst);
  if (a->has_ports)
    json_object_set_new(o, "dest_port", json_integer(a->dport));
  if (a->proto)
    set_proto(o, a->proto);

  json_t *al = json_object();
  json_object_set_new(al, "action", json_string("allowed"));
  json_object_set_new(al, "gid", json_integer(1));
  json_object_set_new(al, "signature_id", json_integer(a->signature_id));
  json_object_set_new(al, "rev", json_integer(1));
  json_object_set_new(al, "signature", wd_json_string(a->signature));
  json_object_set_new(al, "category", wd_json_string(a->category));
  json_object_set_new(al, "severity", json_integer(a->severity));
  json_object_set_new(o, "alert", al);

  json_t *w = json_object();
  char ts[40];
  json_object_set_new(w, "detector", wd_json_string(a->detector));
  json_object_set_new(w, "class", wd_json_string(a->rsit_class));
  json_object_set_new(w, "type", wd_json_string(a->rsit_type));
  json_object_set_new(w, "state", json_string(wd_alert_state_name(a->state)));
  json_object_set_new(w, "attack_id", json_integer((json_int_t)a->attack_id));
  wd_eve_timestamp(a->start_ns ? a->start_ns : a->ts_ns, ts);
  json_object_set_new(w, "start", json_string(ts));
  if (fac && fac->name) {
    json_object_set_new(w, "facility", wd_json_string(fac->name));
    json_object_set_new(w, "sector", wd_json_string(fac->sector));
    json_object_set_new(w, "criticality", wd_json_string(fac->criticality));
  }
  if (!a->has_src)
    json_object_set_new(w, "source_known", json_false());
  for (unsigned i = 0; i < a->n_metrics && i < WD_ALERT_METRICS_MAX; i++)
    json_object_set_new(w, a->metrics[i].name, metric_value(&a->metrics[i]));
  json_object_set_new(o, "ward", w);
  return o;
}

void wd_eve_alert(wd_eve_t *e, const wd_alert_t *a, const wd_facility_t *fac,
                  const wd_eve_origin_t *origin) {
  wd_eve_facility_t ef = {0};
  if (fac) {
    ef.name = fac->name;
    ef.sector = wd_facility_sector(fac);
    ef.criticality = wd_criticality_name(fac->criticality);
  }
  json_t *o = wd_eve_alert_object(a, fac ? &ef : NULL, origin);
  if (o)
    write_obj(e, o);
}

static const char *tcp_state_name(uint8_t s) {
  switch (s) {
  case WD_TCP_SYN_SENT:
  case WD_TCP_SYN_RECV:
    return "new";
  case WD_TCP_ESTABLISHED:
    return "established";
  case WD_TCP_CLOSING:
  case WD_TCP_CLOSED:
    return "closed";
  default:
    return "new";
  }
}

void wd_eve_flow(wd_eve_t *e, const wd_flow_t *f, wd_flow_end_reason why) {
  char ts[40];
  json_t *o = header("flow", f->last_ns);
  json_object_set_new(o, "flow_id", json_integer((json_int_t)f->id));
  set_addr(o, "src_ip", &f->cli);
  set_addr(o, "dest_ip", &f->srv);
  if (f->proto == 6 || f->proto == 17) {
    json_object_set_new(o, "src_port", json_integer(f->cport));
    json_object_set_new(o, "dest_port", json_integer(f->sport));
  }
  set_proto(o, f->proto);
  if (f->vlan) {
    json_t *v = json_array();
    json_array_append_new(v, json_integer(f->vlan));
    json_object_set_new(o, "vlan", v);
  }
  json_t *fl = json_object();
  json_object_set_new(fl, "pkts_toserver",
                      json_integer((json_int_t)f->pkts[WD_DIR_TO_SERVER]));
  json_object_set_new(fl, "pkts_toclient",
                      json_integer((json_int_t)f->pkts[WD_DIR_TO_CLIENT]));
  json_object_set_new(fl, "bytes_toserver",
                      json_integer((json_int_t)f->bytes[WD_DIR_TO_SERVER]));
  json_object_set_new(fl, "bytes_toclient",
                      json_integer((json_int_t)f->bytes[WD_DIR_TO_CLIENT]));
  wd_eve_timestamp(f->first_ns, ts);
  json_object_set_new(fl, "start", json_string(ts));
  wd_eve_timestamp(f->last_ns, ts);
  json_object_set_new(fl, "end", json_string(ts));
  json_object_set_new(
      fl, "age",
      json_integer((json_int_t)((f->last_ns - f->first_ns) / 1000000000ull)));
  if (f->proto == 6)
    json_object_set_new(fl, "state", json_string(tcp_state_name(f->tcp_state)));
  json_object_set_new(fl, "reason",
                      json_string(why == WD_FLOW_END_TIMEOUT   ? "timeout"
                                  : why == WD_FLOW_END_EVICTED ? "forced"
                                  : why == WD_FLOW_END_REUSED  ? "tcp_reuse"
                                                               : "shutdown"));
  json_object_set_new(o, "flow", fl);
  write_obj(e, o);
}

void wd_eve_stats(wd_eve_t *e, uint64_t ts_ns, json_t *stats,
                  json_t *ward_extra) {
  json_t *o = header("stats", ts_ns);
  json_object_set_new(o, "stats", stats);
  if (ward_extra)
    json_object_set_new(o, "ward", ward_extra);
  write_obj(e, o);
  fflush(e->f);
}

void wd_eve_event(wd_eve_t *e, const char *event_type, uint64_t ts_ns,
                  json_t *obj) {
  json_t *o = header(event_type, ts_ns);
  json_object_update(o, obj);
  json_decref(obj);
  write_obj(e, o);
}

/* ---- application events ---- */

/* src cut to n - 1 bytes (a cut may split a UTF-8 sequence: the writer
 * replaces what is invalid). */
static void copy_str(char *dst, size_t n, const char *src) {
  size_t l = src ? strnlen(src, n - 1) : 0;
  if (l)
    memcpy(dst, src, l);
  dst[l] = 0;
}

static void rdata_text(const wd_dns_rr_t *rr, char *out, size_t n) {
  out[0] = 0;
  if (!rr->decoded)
    return;
  wd_addr_t a;
  if (rr->type == 1 && rr->rdlength == 4) {
    wd_addr_from_v4(&a, rr->addr);
    char b[WD_ADDR_STRLEN];
    copy_str(out, n, wd_addr_str(&a, b));
  } else if (rr->type == 28 && rr->rdlength == 16) {
    wd_addr_from_v6(&a, rr->addr);
    char b[WD_ADDR_STRLEN];
    copy_str(out, n, wd_addr_str(&a, b));
  } else {
    copy_str(out, n, rr->text);
  }
}

bool wd_eve_app_copy(wd_eve_app_t *out, const wd_app_event_t *ev,
                     const wd_flow_t *f, int dir) {
  memset(out, 0, offsetof(wd_eve_app_t, u));
  out->kind = ev->kind;
  out->proto = f->proto;
  out->cport = f->cport;
  out->sport = f->sport;
  out->vlan = f->vlan;
  out->dir = dir;
  out->ts_ns = ev->ts_ns;
  out->flow_id = f->id;
  out->cli = f->cli;
  out->srv = f->srv;
  switch (ev->kind) {
  case WD_APP_DNS:
  case WD_APP_DNS_ANSWER: {
    const wd_dns_msg_t *m = ev->u.dns;
    if (m->n_questions == 0)
      return false;
    out->u.dns.id = m->id;
    out->u.dns.flags = m->flags;
    out->u.dns.opcode = m->opcode;
    out->u.dns.rcode = m->rcode;
    out->u.dns.qtype = m->q[0].type;
    copy_str(out->u.dns.rrname, sizeof out->u.dns.rrname, m->q[0].name);
    unsigned n =
        m->n_answers < WD_EVE_APP_ANSWERS ? m->n_answers : WD_EVE_APP_ANSWERS;
    out->u.dns.n_answers = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
      out->u.dns.an[i].type = m->an[i].type;
      out->u.dns.an[i].ttl = m->an[i].ttl;
      copy_str(out->u.dns.an[i].name, sizeof out->u.dns.an[i].name,
               m->an[i].name);
      rdata_text(&m->an[i], out->u.dns.an[i].data,
                 sizeof out->u.dns.an[i].data);
    }
    return true;
  }
  case WD_APP_TLS: {
    const wd_tls_hello_t *h = ev->u.tls;
    if (dir != WD_DIR_TO_SERVER)
      return false;
    copy_str(out->u.tls.sni, sizeof out->u.tls.sni, h->has_sni ? h->sni : "");
    unsigned n = h->alpn_kept < 4 ? h->alpn_kept : 4;
    out->u.tls.n_alpn = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
      copy_str(out->u.tls.alpn[i], sizeof out->u.tls.alpn[i], h->alpn[i]);
    return true;
  }
  case WD_APP_HTTP_REQ: {
    const wd_http_req_t *r = ev->u.req;
    out->u.http.ver_major = r->ver_major;
    out->u.http.ver_minor = r->ver_minor;
    copy_str(out->u.http.method, sizeof out->u.http.method, r->method);
    copy_str(out->u.http.host, sizeof out->u.http.host,
             r->has_host ? r->host : "");
    copy_str(out->u.http.url, sizeof out->u.http.url, r->target);
    copy_str(out->u.http.user_agent, sizeof out->u.http.user_agent,
             r->has_ua ? r->user_agent : "");
    out->u.http.seq = r->seq;
    return true;
  }
  case WD_APP_HTTP_RESP: {
    const wd_http_resp_t *r = ev->u.resp;
    out->u.http.ver_major = r->ver_major;
    out->u.http.ver_minor = r->ver_minor;
    out->u.http.paired = r->paired;
    out->u.http.seq = r->req_seq;
    out->u.http.status = r->status;
    out->u.http.has_length = r->has_length;
    out->u.http.length = r->content_length;
    copy_str(out->u.http.method, sizeof out->u.http.method,
             r->paired ? r->req_method : "");
    copy_str(out->u.http.content_type, sizeof out->u.http.content_type,
             r->has_ctype ? r->content_type : "");
    return true;
  }
  default:
    return false;
  }
}

static const char *rrtype_name(uint16_t t) {
  const char *n = wd_dns_type_name(t);
  return n ? n : "UNKNOWN";
}

static json_t *dns_object(const wd_eve_app_t *a) {
  json_t *d = json_object();
  bool answer = a->kind == WD_APP_DNS_ANSWER;
  char flags[8];
  snprintf(flags, sizeof flags, "%04x", a->u.dns.flags);
  json_object_set_new(d, "version", json_integer(3));
  json_object_set_new(d, "type", json_string(answer ? "response" : "request"));
  json_object_set_new(d, "id", json_integer(a->u.dns.id));
  json_object_set_new(d, "flags", json_string(flags));
  if (answer)
    json_object_set_new(d, "qr", json_true());
  if (a->u.dns.flags & 0x0400)
    json_object_set_new(d, "aa", json_true());
  if (a->u.dns.flags & 0x0200)
    json_object_set_new(d, "tc", json_true());
  if (a->u.dns.flags & 0x0100)
    json_object_set_new(d, "rd", json_true());
  if (a->u.dns.flags & 0x0080)
    json_object_set_new(d, "ra", json_true());
  json_object_set_new(d, "opcode", json_integer(a->u.dns.opcode));
  json_t *qs = json_array(), *q = json_object();
  json_object_set_new(q, "rrname", wd_json_string(a->u.dns.rrname));
  json_object_set_new(q, "rrtype", json_string(rrtype_name(a->u.dns.qtype)));
  json_array_append_new(qs, q);
  json_object_set_new(d, "queries", qs);
  if (answer) {
    const char *rc = wd_dns_rcode_name(a->u.dns.rcode);
    json_object_set_new(d, "rcode", json_string(rc ? rc : "UNKNOWN"));
    if (a->u.dns.n_answers) {
      json_t *an = json_array();
      for (unsigned i = 0; i < a->u.dns.n_answers; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "rrname", wd_json_string(a->u.dns.an[i].name));
        json_object_set_new(r, "rrtype",
                            json_string(rrtype_name(a->u.dns.an[i].type)));
        json_object_set_new(r, "ttl", json_integer(a->u.dns.an[i].ttl));
        if (a->u.dns.an[i].data[0])
          json_object_set_new(r, "rdata", wd_json_string(a->u.dns.an[i].data));
        json_array_append_new(an, r);
      }
      json_object_set_new(d, "answers", an);
    }
  }
  return d;
}

/* The http object of a request (req, may be NULL) and its response (resp,
 * may be NULL). */
static json_t *http_object(const wd_eve_app_t *req, const wd_eve_app_t *resp) {
  json_t *h = json_object();
  char ver[16];
  const wd_eve_app_t *v = req ? req : resp;
  if (req) {
    if (req->u.http.host[0])
      json_object_set_new(h, "hostname", wd_json_string(req->u.http.host));
    json_object_set_new(h, "url", wd_json_string(req->u.http.url));
    if (req->u.http.user_agent[0])
      json_object_set_new(h, "http_user_agent",
                          wd_json_string(req->u.http.user_agent));
  }
  const char *method = req    ? req->u.http.method
                       : resp ? resp->u.http.method
                              : "";
  if (method[0])
    json_object_set_new(h, "http_method", wd_json_string(method));
  snprintf(ver, sizeof ver, "HTTP/%u.%u", v->u.http.ver_major,
           v->u.http.ver_minor);
  json_object_set_new(h, "protocol", json_string(ver));
  if (resp) {
    json_object_set_new(h, "status", json_integer(resp->u.http.status));
    if (resp->u.http.content_type[0])
      json_object_set_new(h, "http_content_type",
                          wd_json_string(resp->u.http.content_type));
    if (resp->u.http.has_length)
      json_object_set_new(
          h, "length",
          json_integer((json_int_t)(resp->u.http.length & INT64_MAX)));
  }
  return h;
}

static void app_write(wd_eve_t *e, const wd_eve_app_t *a,
                      const wd_eve_app_t *resp);

/* Writes held requests: all, or those whose wait is over at now_ns. */
static void http_drain(wd_eve_t *e, uint64_t now_ns, bool all) {
  while (e->h_n) {
    wd_eve_app_t *h = &e->held[e->h_head];
    if (h->kind) {
      if (!all && h->ts_ns + e->wait_ns > now_ns)
        return;
      e->hs.unanswered++;
      app_write(e, h, NULL);
    }
    e->h_head = (e->h_head + 1) % e->h_cap;
    e->h_n--;
  }
}

/* A request: held for its response (the oldest written when full). */
static void http_hold(wd_eve_t *e, const wd_eve_app_t *a) {
  if (!e->held) {
    e->held = malloc(e->h_max * sizeof *e->held);
    if (!e->held) {
      app_write(e, a, NULL);
      return;
    }
    e->h_cap = e->h_max;
  }
  if (e->h_n == e->h_cap) { /* close the gaps answered requests left */
    size_t live = 0;
    for (size_t i = 0; i < e->h_n; i++) {
      wd_eve_app_t *h = &e->held[(e->h_head + i) % e->h_cap];
      if (h->kind) {
        wd_eve_app_t *to = &e->held[(e->h_head + live++) % e->h_cap];
        if (to != h)
          *to = *h;
      }
    }
    e->h_n = live;
  }
  if (e->h_n == e->h_cap) {
    wd_eve_app_t *old = &e->held[e->h_head];
    if (old->kind) {
      e->hs.evicted++;
      app_write(e, old, NULL);
    }
    e->h_head = (e->h_head + 1) % e->h_cap;
    e->h_n--;
  }
  e->held[(e->h_head + e->h_n) % e->h_cap] = *a;
  e->h_n++;
}

/* A response: written with the request it answers when that is held. */
static void http_answer(wd_eve_t *e, const wd_eve_app_t *a) {
  if (a->u.http.status < 200 && a->u.http.status != 101)
    return; /* interim: the final response follows */
  for (size_t i = 0; a->u.http.paired && i < e->h_n; i++) {
    wd_eve_app_t *h = &e->held[(e->h_head + i) % e->h_cap];
    if (h->kind && h->flow_id == a->flow_id && h->u.http.seq == a->u.http.seq) {
      app_write(e, h, a);
      h->kind = 0;
      while (e->h_n && !e->held[e->h_head].kind) {
        e->h_head = (e->h_head + 1) % e->h_cap;
        e->h_n--;
      }
      return;
    }
  }
  e->hs.responses_alone++;
  app_write(e, NULL, a);
}

void wd_eve_app(wd_eve_t *e, const wd_eve_app_t *a) {
  http_drain(e, a->ts_ns, false);
  if (a->kind == WD_APP_HTTP_REQ)
    http_hold(e, a);
  else if (a->kind == WD_APP_HTTP_RESP)
    http_answer(e, a);
  else
    app_write(e, a, NULL);
}

/* One event: a (or, for a response alone, resp) with resp's fields. */
static void app_write(wd_eve_t *e, const wd_eve_app_t *a,
                      const wd_eve_app_t *resp) {
  if (!a)
    a = resp;
  const char *type = a->kind == WD_APP_TLS ? "tls"
                     : a->kind == WD_APP_HTTP_REQ || a->kind == WD_APP_HTTP_RESP
                         ? "http"
                         : "dns";
  json_t *o = header(type, a->ts_ns);
  json_object_set_new(o, "flow_id", json_integer((json_int_t)a->flow_id));
  /* the message's sender is src, as Suricata writes a DNS answer */
  bool rev = a->dir == WD_DIR_TO_CLIENT && a->kind != WD_APP_HTTP_RESP;
  set_addr(o, "src_ip", rev ? &a->srv : &a->cli);
  json_object_set_new(o, "src_port", json_integer(rev ? a->sport : a->cport));
  set_addr(o, "dest_ip", rev ? &a->cli : &a->srv);
  json_object_set_new(o, "dest_port", json_integer(rev ? a->cport : a->sport));
  set_proto(o, a->proto);
  if (a->vlan) {
    json_t *v = json_array();
    json_array_append_new(v, json_integer(a->vlan));
    json_object_set_new(o, "vlan", v);
  }
  if (a->kind == WD_APP_TLS) {
    json_t *t = json_object();
    if (a->u.tls.sni[0])
      json_object_set_new(t, "sni", wd_json_string(a->u.tls.sni));
    if (a->u.tls.n_alpn) {
      json_t *al = json_array();
      for (unsigned i = 0; i < a->u.tls.n_alpn; i++)
        json_array_append_new(al, wd_json_string(a->u.tls.alpn[i]));
      json_object_set_new(t, "client_alpns", al);
    }
    json_object_set_new(o, "tls", t);
  } else if (a->kind == WD_APP_HTTP_REQ || a->kind == WD_APP_HTTP_RESP) {
    const wd_eve_app_t *req = a->kind == WD_APP_HTTP_REQ ? a : NULL;
    json_object_set_new(o, "http", http_object(req, resp));
  } else {
    json_object_set_new(o, "dns", dns_object(a));
  }
  write_obj(e, o);
}

bool wd_eve_protocols(const char *list, unsigned *mask, char *bad,
                      size_t badlen) {
  *mask = 0;
  while (list && *list) {
    while (*list == ',' || *list == ' ' || *list == '\t')
      list++;
    size_t n = strcspn(list, ", \t");
    if (!n)
      break;
    if (n == 3 && strncmp(list, "dns", 3) == 0)
      *mask |=
          WD_APP_PROTO_BIT(WD_APP_DNS) | WD_APP_PROTO_BIT(WD_APP_DNS_ANSWER);
    else if (n == 3 && strncmp(list, "tls", 3) == 0)
      *mask |= WD_APP_PROTO_BIT(WD_APP_TLS);
    else if (n == 4 && strncmp(list, "http", 4) == 0)
      *mask |= WD_APP_PROTO_BIT(WD_APP_HTTP_REQ) |
               WD_APP_PROTO_BIT(WD_APP_HTTP_RESP);
    else {
      snprintf(bad, badlen, "%.*s", (int)n, list);
      return false;
    }
    list += n;
  }
  return true;
}
