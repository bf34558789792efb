/* eve.c -- EVE JSON writer (see eve.h). Objects are built with jansson and
 * written with json_dumpf, one per line; stdio buffers the stream, which is
 * flushed at stats time, on reopen and on close. */
#include "output/eve.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/timefmt.h"

struct wd_eve {
  FILE *f;
  char *path; /* NULL for stdout */
  uint64_t events;
};

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
