/* fleet_msg.c -- encoding and strict decoding of fleet messages (see
 * fleet_msg.h and docs/fleet.md). JSON goes through jansson (duplicate keys
 * rejected, NUL in strings rejected, size checked first); the frame and
 * envelope forms are read field by field with the length checked before
 * every read. 64-bit values that JSON integers cannot hold (above
 * INT64_MAX) travel as their two's complement, the way the EVE writer
 * prints flow ids, and come back exactly. */
#include "fleet/fleet_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/net.h"
#include "output/eve.h"

#define FRAME_MAGIC "WDF1"
#define FRAME_HDR 68u /* fixed part of the binary frame, see docs/fleet.md */
#define ENV_VERSION 1u
#define ENV_HDR 28u /* version, kind, sensor len, key len, run, seq */
#define JSON_VERSION 1

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

const char *wd_fleet_kind_name(wd_fleet_kind k) {
  switch (k) {
  case WD_FLEET_ALERT:
    return "alert";
  case WD_FLEET_FRAME:
    return "frame";
  case WD_FLEET_HEARTBEAT:
    return "heartbeat";
  }
  return "unknown";
}

wd_rc wd_fleet_kind_parse(const char *s, size_t len, wd_fleet_kind *out) {
  static const wd_fleet_kind kinds[] = {WD_FLEET_ALERT, WD_FLEET_FRAME,
                                        WD_FLEET_HEARTBEAT};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    const char *n = wd_fleet_kind_name(kinds[i]);
    if (strlen(n) == len && memcmp(n, s, len) == 0) {
      *out = kinds[i];
      return WD_OK;
    }
  }
  return WD_ERR_INVAL;
}

static bool sensor_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool sensor_valid_n(const char *s, size_t n) {
  if (n == 0 || n > WD_FLEET_SENSOR_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!sensor_char((unsigned char)s[i]))
      return false;
  return true;
}

bool wd_fleet_sensor_valid(const char *s) {
  return s && sensor_valid_n(s, strnlen(s, WD_FLEET_SENSOR_MAX + 1));
}

wd_rc wd_fleet_run_new(uint8_t run[16]) {
  size_t got = 0;
  while (got < 16) {
    ssize_t n = getrandom(run + got, 16 - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return WD_ERR_IO;
    }
    got += (size_t)n;
  }
  return WD_OK;
}

static const char hexd[] = "0123456789abcdef";

static void hex16(const uint8_t run[16], char out[33]) {
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hexd[run[i] >> 4];
    out[2 * i + 1] = hexd[run[i] & 15];
  }
  out[32] = 0;
}

static int unhex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1; /* upper case is not the canonical form: refused */
}

static bool parse_run(const char *s, size_t n, uint8_t run[16]) {
  if (n != 32)
    return false;
  for (int i = 0; i < 16; i++) {
    int h = unhex(s[2 * i]), l = unhex(s[2 * i + 1]);
    if (h < 0 || l < 0)
      return false;
    run[i] = (uint8_t)(h << 4 | l);
  }
  return true;
}

/* Decimal u64 without sign, leading zeros or overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

char *wd_fleet_id_str(const wd_fleet_id_t *id, char out[WD_FLEET_ID_STRLEN]) {
  char run[33];
  hex16(id->run, run);
  snprintf(out, WD_FLEET_ID_STRLEN, "%s/%s/%" PRIu64, id->sensor, run, id->seq);
  return out;
}

wd_rc wd_fleet_id_parse(const char *s, size_t len, wd_fleet_id_t *out) {
  const char *a = memchr(s, '/', len);
  if (!a)
    return WD_ERR_INVAL;
  size_t sl = (size_t)(a - s);
  const char *r = a + 1;
  size_t rest = len - sl - 1;
  const char *b = memchr(r, '/', rest);
  if (!b)
    return WD_ERR_INVAL;
  size_t rl = (size_t)(b - r);
  wd_fleet_id_t id;
  memset(&id, 0, sizeof id);
  if (!sensor_valid_n(s, sl) || !parse_run(r, rl, id.run) ||
      !parse_u64(b + 1, rest - rl - 1, &id.seq))
    return WD_ERR_INVAL;
  memcpy(id.sensor, s, sl);
  *out = id;
  return WD_OK;
}

bool wd_fleet_id_eq(const wd_fleet_id_t *a, const wd_fleet_id_t *b) {
  return a->seq == b->seq && memcmp(a->run, b->run, 16) == 0 &&
         strcmp(a->sensor, b->sensor) == 0;
}

size_t wd_fleet_key(const wd_fleet_facility_t *fac, const wd_addr_t *dst,
                    char out[WD_FLEET_KEY_MAX + 1]) {
  if (fac && fac->name && fac->name[0]) {
    size_t n = strnlen(fac->name, WD_FLEET_KEY_MAX);
    memcpy(out, fac->name, n);
    out[n] = 0;
    return n;
  }
  char buf[WD_ADDR_STRLEN];
  wd_addr_str(dst, buf);
  size_t n = strlen(buf);
  memcpy(out, buf, n + 1);
  return n;
}

/* --- big-endian helpers ------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static uint16_t get16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* --- JSON encoding ----------------------------------------------------- */

static json_t *u64_json(uint64_t v) { return json_integer((json_int_t)v); }

static json_t *fleet_obj(const wd_fleet_id_t *id) {
  char run[33];
  hex16(id->run, run);
  json_t *f = json_object();
  json_object_set_new(f, "v", json_integer(JSON_VERSION));
  json_object_set_new(f, "sensor", json_string(id->sensor));
  json_object_set_new(f, "run", json_string(run));
  json_object_set_new(f, "seq", u64_json(id->seq));
  return f;
}

static const char *const reserved_ward[] = {
    "detector", "class",  "type",        "state",        "attack_id", "start",
    "facility", "sector", "criticality", "source_known", "fleet",     NULL};

static bool is_reserved(const char *k) {
  for (int i = 0; reserved_ward[i]; i++)
    if (strcmp(reserved_ward[i], k) == 0)
      return true;
  return false;
}

static char metric_letter(wd_metric_type t) {
  switch (t) {
  case WD_METRIC_U64:
    return 'u';
  case WD_METRIC_F64:
    return 'f';
  case WD_METRIC_STR:
    return 's';
  case WD_METRIC_BOOL:
    return 'b';
  }
  return '?';
}

static wd_rc dump(json_t *o, char **out, size_t *len) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!s)
    return WD_ERR_NOMEM;
  *out = s;
  *len = strlen(s);
  return WD_OK;
}

wd_rc wd_fleet_encode_alert(const wd_fleet_id_t *id, const wd_alert_t *a,
                            const wd_fleet_facility_t *fac, char **out,
                            size_t *len) {
  *out = NULL;
  *len = 0;
  if (!wd_fleet_sensor_valid(id->sensor) || a->n_metrics > WD_ALERT_METRICS_MAX)
    return WD_ERR_INVAL;
  char types[WD_ALERT_METRICS_MAX + 1];
  for (unsigned i = 0; i < a->n_metrics; i++) {
    const char *n = a->metrics[i].name;
    size_t nl = n ? strlen(n) : 0;
    if (nl == 0 || nl > WD_FLEET_NAME_MAX || is_reserved(n))
      return WD_ERR_INVAL;
    for (unsigned j = 0; j < i; j++)
      if (strcmp(a->metrics[j].name, n) == 0)
        return WD_ERR_INVAL;
    types[i] = metric_letter(a->metrics[i].type);
    if (types[i] == '?')
      return WD_ERR_INVAL;
  }
  types[a->n_metrics] = 0;

  /* The sensor's EVE alert, with the source port also when the source is
   * not named (the centre rebuilds the alert from it) and the fleet's own
   * fields: ids, exact times, the metrics' types. */
  wd_eve_facility_t ef = {0};
  if (fac && fac->name) {
    ef.name = fac->name;
    ef.sector = wd_sector_name(fac->sector);
    ef.criticality = wd_criticality_name(fac->criticality);
  }
  json_t *o = wd_eve_alert_object(a, fac && fac->name ? &ef : NULL, NULL);
  if (!o)
    return WD_ERR_NOMEM;
  if (a->has_ports && !a->has_src)
    json_object_set_new(o, "src_port", json_integer(a->sport));
  json_t *w = json_object_get(o, "ward");
  json_t *f = fleet_obj(id);
  json_object_set_new(f, "ts_ns", u64_json(a->ts_ns));
  json_object_set_new(f, "start_ns", u64_json(a->start_ns));
  json_object_set_new(f, "last_ns", u64_json(a->last_ns));
  json_object_set_new(f, "metric_types", json_string(types));
  json_object_set_new(w, "fleet", f);
  return dump(o, out, len);
}

static bool counter_name_valid(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > WD_FLEET_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.'))
      return false;
  }
  return true;
}

wd_rc wd_fleet_encode_heartbeat(const wd_fleet_id_t *id,
                                const wd_fleet_heartbeat_t *hb, char **out,
                                size_t *len) {
  *out = NULL;
  *len = 0;
  if (!wd_fleet_sensor_valid(id->sensor) ||
      hb->n_counters > WD_FLEET_COUNTERS_MAX)
    return WD_ERR_INVAL;
  for (unsigned i = 0; i < hb->n_counters; i++) {
    if (!counter_name_valid(hb->counters[i].name))
      return WD_ERR_INVAL;
    for (unsigned j = 0; j < i; j++)
      if (strcmp(hb->counters[i].name, hb->counters[j].name) == 0)
        return WD_ERR_INVAL;
  }
  char ts[40];
  json_t *o = json_object();
  if (!o)
    return WD_ERR_NOMEM;
  wd_eve_timestamp(hb->ts_ns, ts);
  json_object_set_new(o, "timestamp", json_string(ts));
  json_object_set_new(o, "event_type", json_string("stats"));
  json_t *st = json_object();
  for (unsigned i = 0; i < hb->n_counters; i++)
    json_object_set_new(st, hb->counters[i].name,
                        u64_json(hb->counters[i].value));
  json_object_set_new(o, "stats", st);
  json_t *w = json_object();
  if (hb->version)
    json_object_set_new(w, "version", wd_json_string(hb->version));
  json_t *f = fleet_obj(id);
  json_object_set_new(f, "ts_ns", u64_json(hb->ts_ns));
  json_object_set_new(w, "fleet", f);
  json_object_set_new(o, "ward", w);
  return dump(o, out, len);
}

/* --- binary frame ------------------------------------------------------ */

size_t wd_fleet_frame_size(const wd_fleet_id_t *id, uint32_t cap_len) {
  return FRAME_HDR + strnlen(id->sensor, WD_FLEET_SENSOR_MAX + 1) + cap_len;
}

wd_rc wd_fleet_encode_frame(const wd_fleet_id_t *id, const wd_fleet_frame_t *f,
                            uint8_t *out, size_t cap, size_t *len) {
  *len = 0;
  if (!wd_fleet_sensor_valid(id->sensor) ||
      f->cap_len > WD_FLEET_FRAME_SNAP_MAX || f->cap_len > f->wire_len ||
      f->wire_len > WD_FLEET_WIRE_MAX || (f->cap_len && !f->data))
    return WD_ERR_INVAL;
  size_t sl = strlen(id->sensor);
  size_t need = FRAME_HDR + sl + f->cap_len;
  if (cap < need)
    return WD_ERR_FULL;
  memcpy(out, FRAME_MAGIC, 4);
  out[4] = (uint8_t)sl;
  out[5] = 0;
  put16(out + 6, 0);
  memcpy(out + 8, id->run, 16);
  put64(out + 24, id->seq);
  put64(out + 32, f->attack_id);
  put64(out + 40, f->flow_id);
  put64(out + 48, f->ts_ns);
  put32(out + 56, f->linktype);
  put32(out + 60, f->wire_len);
  put32(out + 64, f->cap_len);
  memcpy(out + FRAME_HDR, id->sensor, sl);
  if (f->cap_len)
    memcpy(out + FRAME_HDR + sl, f->data, f->cap_len);
  *len = need;
  return WD_OK;
}

/* --- envelope ---------------------------------------------------------- */

size_t wd_fleet_envelope_size(const wd_fleet_envelope_t *e) {
  return ENV_HDR + strnlen(e->id.sensor, WD_FLEET_SENSOR_MAX + 1) + e->key_len +
         e->payload_len;
}

wd_rc wd_fleet_envelope_encode(const wd_fleet_envelope_t *e, uint8_t *out,
                               size_t cap, size_t *len) {
  *len = 0;
  if (!wd_fleet_sensor_valid(e->id.sensor) || e->key_len > WD_FLEET_KEY_MAX ||
      e->payload_len > WD_FLEET_MSG_MAX ||
      strcmp(wd_fleet_kind_name(e->kind), "unknown") == 0)
    return WD_ERR_INVAL;
  size_t sl = strlen(e->id.sensor);
  size_t need = ENV_HDR + sl + e->key_len + e->payload_len;
  if (cap < need)
    return WD_ERR_FULL;
  out[0] = ENV_VERSION;
  out[1] = (uint8_t)e->kind;
  out[2] = (uint8_t)sl;
  out[3] = (uint8_t)e->key_len;
  memcpy(out + 4, e->id.run, 16);
  put64(out + 20, e->id.seq);
  memcpy(out + ENV_HDR, e->id.sensor, sl);
  if (e->key_len)
    memcpy(out + ENV_HDR + sl, e->key, e->key_len);
  if (e->payload_len)
    memcpy(out + ENV_HDR + sl + e->key_len, e->payload, e->payload_len);
  *len = need;
  return WD_OK;
}

wd_rc wd_fleet_envelope_decode(const uint8_t *p, size_t len,
                               wd_fleet_envelope_t *out, char *err,
                               size_t errlen) {
  memset(out, 0, sizeof *out);
  if (len < ENV_HDR) {
    fail(err, errlen, "envelope: %zu bytes, need at least %u", len, ENV_HDR);
    return WD_ERR_TRUNC;
  }
  if (p[0] != ENV_VERSION) {
    fail(err, errlen, "envelope: version %u at byte 0, expected %u", p[0],
         ENV_VERSION);
    return WD_ERR_UNSUPPORTED;
  }
  wd_fleet_kind k = (wd_fleet_kind)p[1];
  if (k != WD_FLEET_ALERT && k != WD_FLEET_FRAME && k != WD_FLEET_HEARTBEAT) {
    fail(err, errlen, "envelope: kind %u at byte 1 is not 1..3", p[1]);
    return WD_ERR_INVAL;
  }
  size_t sl = p[2], kl = p[3];
  if (len - ENV_HDR < sl + kl) {
    fail(err, errlen, "envelope: sensor and key need %zu bytes, %zu left",
         sl + kl, len - ENV_HDR);
    return WD_ERR_TRUNC;
  }
  if (!sensor_valid_n((const char *)p + ENV_HDR, sl)) {
    fail(err, errlen,
         "envelope: sensor name at byte %u is not 1..%d of "
         "[A-Za-z0-9._-]",
         ENV_HDR, WD_FLEET_SENSOR_MAX);
    return WD_ERR_INVAL;
  }
  if (len - ENV_HDR - sl - kl > WD_FLEET_MSG_MAX) {
    fail(err, errlen, "envelope: payload of %zu bytes over the %u cap",
         len - ENV_HDR - sl - kl, WD_FLEET_MSG_MAX);
    return WD_ERR_INVAL;
  }
  out->kind = k;
  memcpy(out->id.sensor, p + ENV_HDR, sl);
  out->id.sensor[sl] = 0;
  memcpy(out->id.run, p + 4, 16);
  out->id.seq = get64(p + 20);
  out->key = (const char *)p + ENV_HDR + sl;
  out->key_len = kl;
  out->payload = p + ENV_HDR + sl + kl;
  out->payload_len = len - ENV_HDR - sl - kl;
  return WD_OK;
}

/* --- decoding ---------------------------------------------------------- */

void wd_fleet_msg_init(wd_fleet_msg_t *m) { memset(m, 0, sizeof *m); }

void wd_fleet_msg_fini(wd_fleet_msg_t *m) {
  free(m->arena);
  memset(m, 0, sizeof *m);
}

/* The arena holds copies of decoded strings and bytes: never more than the
 * payload's own length plus one NUL per string. */
static wd_rc arena_new(wd_fleet_msg_t *m, size_t len) {
  m->arena_cap = len + 64 * 4 + 64;
  m->arena = malloc(m->arena_cap);
  m->arena_used = 0;
  return m->arena ? WD_OK : WD_ERR_NOMEM;
}

static void *arena_take(wd_fleet_msg_t *m, size_t n) {
  if (m->arena_cap - m->arena_used < n)
    return NULL;
  void *p = m->arena + m->arena_used;
  m->arena_used += n;
  return p;
}

static const char *arena_str(wd_fleet_msg_t *m, const char *s, size_t n) {
  char *d = arena_take(m, n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

typedef struct dctx {
  wd_fleet_msg_t *m;
  char *err;
  size_t errlen;
  const char *what; /* "alert", "heartbeat" */
} dctx_t;

static wd_rc bad(dctx_t *c, const char *path, const char *expected) {
  fail(c->err, c->errlen, "%s: %s: expected %s", c->what, path, expected);
  return WD_ERR_INVAL;
}

/* A string member: required or optional (*out stays NULL when absent). */
static wd_rc get_str(dctx_t *c, json_t *o, const char *key, const char *path,
                     bool required, const char **out, size_t *lenp) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v) {
    if (required)
      return bad(c, path, "a string (missing)");
    return WD_OK;
  }
  if (!json_is_string(v))
    return bad(c, path, "a string");
  size_t n = json_string_length(v);
  if (n > WD_FLEET_STR_MAX)
    return bad(c, path, "a string of at most 4096 bytes");
  *out = arena_str(c->m, json_string_value(v), n);
  if (!*out)
    return bad(c, path, "a smaller message (arena exhausted)");
  if (lenp)
    *lenp = n;
  return WD_OK;
}

/* An integer member in [min, max] (signed view), or its two's complement
 * as u64 when min is INT64_MIN. */
static wd_rc get_int(dctx_t *c, json_t *o, const char *key, const char *path,
                     bool required, json_int_t min, json_int_t max,
                     bool *present, json_int_t *out) {
  json_t *v = json_object_get(o, key);
  if (present)
    *present = v != NULL;
  *out = 0;
  if (!v)
    return required ? bad(c, path, "an integer (missing)") : WD_OK;
  if (!json_is_integer(v))
    return bad(c, path, "an integer");
  json_int_t x = json_integer_value(v);
  if (x < min || x > max) {
    char exp[96];
    snprintf(exp, sizeof exp, "an integer in %lld..%lld", (long long)min,
             (long long)max);
    return bad(c, path, exp);
  }
  *out = x;
  return WD_OK;
}

static wd_rc get_u64(dctx_t *c, json_t *o, const char *key, const char *path,
                     bool required, uint64_t *out) {
  json_int_t x;
  wd_rc rc = get_int(c, o, key, path, required, INT64_MIN, INT64_MAX, NULL, &x);
  *out = (uint64_t)x;
  return rc;
}

static wd_rc get_addr(dctx_t *c, json_t *o, const char *key, bool required,
                      bool *present, wd_addr_t *out) {
  json_t *v = json_object_get(o, key);
  *present = v != NULL;
  memset(out, 0, sizeof *out);
  if (!v)
    return required ? bad(c, key, "an IP address (missing)") : WD_OK;
  if (!json_is_string(v) || json_string_length(v) >= WD_ADDR_STRLEN ||
      wd_addr_parse(json_string_value(v), out) != WD_OK)
    return bad(c, key, "an IPv4 or IPv6 address");
  return WD_OK;
}

static wd_rc parse_proto(dctx_t *c, json_t *o, uint8_t *out) {
  json_t *v = json_object_get(o, "proto");
  *out = 0;
  if (!v)
    return WD_OK;
  if (!json_is_string(v))
    return bad(c, "proto", "a protocol name or number");
  const char *s = json_string_value(v);
  for (unsigned p = 1; p < 256; p++) {
    const char *n = wd_eve_proto_name((uint8_t)p);
    if (n && strcmp(n, s) == 0) {
      *out = (uint8_t)p;
      return WD_OK;
    }
  }
  uint64_t num;
  size_t n = json_string_length(v);
  if (n == 3 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
      s[2] >= '0' && s[2] <= '9') {
    num = (uint64_t)(s[0] - '0') * 100 + (uint64_t)(s[1] - '0') * 10 +
          (uint64_t)(s[2] - '0');
    if (num >= 1 && num <= 255 && !wd_eve_proto_name((uint8_t)num)) {
      *out = (uint8_t)num;
      return WD_OK;
    }
  }
  return bad(c, "proto", "a protocol name (TCP, UDP, ...) or three digits");
}

/* Checks the "fleet" object against the headers' id and fills m->id. */
static wd_rc parse_fleet(dctx_t *c, json_t *w, json_t **fout) {
  json_t *f = json_object_get(w, "fleet");
  *fout = f;
  if (!f || !json_is_object(f))
    return bad(c, "ward.fleet", "an object");
  json_int_t v;
  wd_rc rc = get_int(c, f, "v", "ward.fleet.v", true, 0, INT64_MAX, NULL, &v);
  if (rc)
    return rc;
  if (v != JSON_VERSION) {
    fail(c->err, c->errlen, "%s: ward.fleet.v: version %lld, expected %d",
         c->what, (long long)v, JSON_VERSION);
    return WD_ERR_UNSUPPORTED;
  }
  json_t *s = json_object_get(f, "sensor");
  if (!s || !json_is_string(s) ||
      !sensor_valid_n(json_string_value(s), json_string_length(s)))
    return bad(c, "ward.fleet.sensor", "1..64 of [A-Za-z0-9._-]");
  memcpy(c->m->id.sensor, json_string_value(s), json_string_length(s));
  c->m->id.sensor[json_string_length(s)] = 0;
  json_t *r = json_object_get(f, "run");
  if (!r || !json_is_string(r) ||
      !parse_run(json_string_value(r), json_string_length(r), c->m->id.run))
    return bad(c, "ward.fleet.run", "32 lower-case hex digits");
  return get_u64(c, f, "seq", "ward.fleet.seq", true, &c->m->id.seq);
}

static wd_rc parse_enum(dctx_t *c, json_t *w, const char *key, const char *path,
                        const char *(*name)(int), int n, int *out) {
  json_t *v = json_object_get(w, key);
  if (!v || !json_is_string(v))
    return bad(c, path, "a string");
  for (int i = 0; i < n; i++)
    if (strcmp(name(i), json_string_value(v)) == 0) {
      *out = i;
      return WD_OK;
    }
  return bad(c, path, "a known name");
}

static const char *state_name_i(int i) {
  return wd_alert_state_name((wd_alert_state)i);
}
static const char *sector_name_i(int i) { return wd_sector_name((wd_sector)i); }
static const char *crit_name_i(int i) {
  return wd_criticality_name((wd_criticality)i);
}

static wd_rc parse_metric(dctx_t *c, const char *name, json_t *v, char type,
                          wd_alert_metric_t *m) {
  char path[WD_FLEET_NAME_MAX + 16];
  snprintf(path, sizeof path, "ward.%s", name);
  m->name = arena_str(c->m, name, strlen(name));
  if (!m->name)
    return bad(c, path, "a smaller message (arena exhausted)");
  switch (type) {
  case 'u':
    if (!json_is_integer(v))
      return bad(c, path, "an integer (metric type u)");
    m->type = WD_METRIC_U64;
    m->v.u = (uint64_t)json_integer_value(v);
    return WD_OK;
  case 'f':
    m->type = WD_METRIC_F64;
    if (json_is_real(v)) {
      m->v.d = json_real_value(v);
      return WD_OK;
    }
    if (json_is_string(v)) {
      const char *s = json_string_value(v);
      if (strcmp(s, "nan") == 0)
        m->v.d = NAN;
      else if (strcmp(s, "inf") == 0)
        m->v.d = INFINITY;
      else if (strcmp(s, "-inf") == 0)
        m->v.d = -INFINITY;
      else
        return bad(c, path, "a real, \"nan\", \"inf\" or \"-inf\"");
      return WD_OK;
    }
    return bad(c, path, "a real (metric type f)");
  case 's':
    if (!json_is_string(v) || json_string_length(v) > WD_FLEET_STR_MAX)
      return bad(c, path, "a string of at most 4096 bytes (metric type s)");
    m->type = WD_METRIC_STR;
    m->v.s = arena_str(c->m, json_string_value(v), json_string_length(v));
    if (!m->v.s)
      return bad(c, path, "a smaller message (arena exhausted)");
    return WD_OK;
  case 'b':
    if (!json_is_boolean(v))
      return bad(c, path, "true or false (metric type b)");
    m->type = WD_METRIC_BOOL;
    m->v.b = json_is_true(v);
    return WD_OK;
  default:
    return bad(c, "ward.fleet.metric_types", "letters u, f, s, b");
  }
}

static wd_rc decode_alert(dctx_t *c, json_t *o) {
  wd_fleet_msg_t *m = c->m;
  wd_alert_t *a = &m->u.alert.alert;
  wd_rc rc;
  json_t *ev = json_object_get(o, "event_type");
  if (!ev || !json_is_string(ev) || strcmp(json_string_value(ev), "alert"))
    return bad(c, "event_type", "\"alert\"");
  if (!json_is_string(json_object_get(o, "timestamp")))
    return bad(c, "timestamp", "a string");
  json_t *w = json_object_get(o, "ward");
  if (!w || !json_is_object(w))
    return bad(c, "ward", "an object");
  json_t *f;
  if ((rc = parse_fleet(c, w, &f)))
    return rc;
  if ((rc = get_u64(c, f, "ts_ns", "ward.fleet.ts_ns", true, &a->ts_ns)) ||
      (rc = get_u64(c, f, "start_ns", "ward.fleet.start_ns", true,
                    &a->start_ns)) ||
      (rc = get_u64(c, f, "last_ns", "ward.fleet.last_ns", false,
                    &a->last_ns)) ||
      (rc = get_u64(c, o, "flow_id", "flow_id", false, &a->flow_id)))
    return rc;
  bool dst_present;
  if ((rc = get_addr(c, o, "src_ip", false, &a->has_src, &a->src)) ||
      (rc = get_addr(c, o, "dest_ip", true, &dst_present, &a->dst)))
    return rc;
  json_int_t sp, dp;
  bool has_sp, has_dp;
  if ((rc = get_int(c, o, "src_port", "src_port", false, 0, 65535, &has_sp,
                    &sp)) ||
      (rc = get_int(c, o, "dest_port", "dest_port", false, 0, 65535, &has_dp,
                    &dp)))
    return rc;
  if (has_sp != has_dp)
    return bad(c, has_sp ? "dest_port" : "src_port", "both ports or neither");
  a->has_ports = has_dp;
  a->sport = (uint16_t)sp;
  a->dport = (uint16_t)dp;
  if ((rc = parse_proto(c, o, &a->proto)))
    return rc;

  json_t *al = json_object_get(o, "alert");
  if (!al || !json_is_object(al))
    return bad(c, "alert", "an object");
  json_int_t sid, sev;
  if ((rc = get_int(c, al, "signature_id", "alert.signature_id", true, 0,
                    UINT32_MAX, NULL, &sid)) ||
      (rc = get_int(c, al, "severity", "alert.severity", true, 0, 255, NULL,
                    &sev)) ||
      (rc = get_str(c, al, "signature", "alert.signature", true, &a->signature,
                    NULL)) ||
      (rc = get_str(c, al, "category", "alert.category", true, &a->category,
                    NULL)))
    return rc;
  a->signature_id = (uint32_t)sid;
  a->severity = (uint8_t)sev;

  int st;
  if ((rc = get_str(c, w, "detector", "ward.detector", true, &a->detector,
                    NULL)) ||
      (rc = get_str(c, w, "class", "ward.class", true, &a->rsit_class, NULL)) ||
      (rc = get_str(c, w, "type", "ward.type", true, &a->rsit_type, NULL)) ||
      (rc = parse_enum(c, w, "state", "ward.state", state_name_i,
                       WD_ALERT_END + 1, &st)) ||
      (rc = get_u64(c, w, "attack_id", "ward.attack_id", true, &a->attack_id)))
    return rc;
  a->state = (wd_alert_state)st;
  json_t *sk = json_object_get(w, "source_known");
  if (sk && (!json_is_false(sk) || a->has_src))
    return bad(c, "ward.source_known", "false, and only without src_ip");
  if (!sk && !a->has_src)
    return bad(c, "ward.source_known", "false when src_ip is absent");

  if (json_object_get(w, "facility")) {
    int sec, crit;
    if ((rc = get_str(c, w, "facility", "ward.facility", true,
                      &m->u.alert.facility.name, NULL)) ||
        (rc = parse_enum(c, w, "sector", "ward.sector", sector_name_i,
                         WD_SECTOR_OTHER + 1, &sec)) ||
        (rc = parse_enum(c, w, "criticality", "ward.criticality", crit_name_i,
                         WD_CRIT_NORMAL + 1, &crit)))
      return rc;
    m->u.alert.has_facility = true;
    m->u.alert.facility.sector = (wd_sector)sec;
    m->u.alert.facility.criticality = (wd_criticality)crit;
  } else if (json_object_get(w, "sector") ||
             json_object_get(w, "criticality")) {
    return bad(c, "ward.facility", "a facility name with sector/criticality");
  }

  json_t *mt = json_object_get(f, "metric_types");
  if (!mt || !json_is_string(mt) ||
      json_string_length(mt) > WD_ALERT_METRICS_MAX)
    return bad(c, "ward.fleet.metric_types", "a string of at most 16 letters");
  const char *types = json_string_value(mt);
  size_t nt = json_string_length(mt);
  const char *key;
  json_t *v;
  unsigned i = 0;
  json_object_foreach(w, key, v) {
    if (is_reserved(key))
      continue;
    size_t kl = strlen(key);
    if (kl == 0 || kl > WD_FLEET_NAME_MAX)
      return bad(c, "ward", "metric names of 1..64 bytes");
    if (i >= nt)
      return bad(c, "ward.fleet.metric_types", "one letter per metric");
    if ((rc = parse_metric(c, key, v, types[i], &a->metrics[i])))
      return rc;
    i++;
  }
  if (i != nt)
    return bad(c, "ward.fleet.metric_types", "one letter per metric");
  a->n_metrics = i;
  return WD_OK;
}

static wd_rc decode_heartbeat(dctx_t *c, json_t *o) {
  wd_fleet_heartbeat_t *hb = &c->m->u.heartbeat;
  wd_rc rc;
  json_t *ev = json_object_get(o, "event_type");
  if (!ev || !json_is_string(ev) || strcmp(json_string_value(ev), "stats"))
    return bad(c, "event_type", "\"stats\"");
  json_t *w = json_object_get(o, "ward");
  if (!w || !json_is_object(w))
    return bad(c, "ward", "an object");
  json_t *f;
  if ((rc = parse_fleet(c, w, &f)) ||
      (rc = get_u64(c, f, "ts_ns", "ward.fleet.ts_ns", true, &hb->ts_ns)) ||
      (rc =
           get_str(c, w, "version", "ward.version", false, &hb->version, NULL)))
    return rc;
  json_t *st = json_object_get(o, "stats");
  if (!st || !json_is_object(st))
    return bad(c, "stats", "an object");
  if (json_object_size(st) > WD_FLEET_COUNTERS_MAX)
    return bad(c, "stats", "at most 64 counters");
  const char *key;
  json_t *v;
  unsigned i = 0;
  json_object_foreach(st, key, v) {
    if (!counter_name_valid(key))
      return bad(c, "stats", "counter names of 1..64 of [a-z0-9_.]");
    if (!json_is_integer(v))
      return bad(c, "stats", "integer counters");
    hb->counters[i].name = arena_str(c->m, key, strlen(key));
    if (!hb->counters[i].name)
      return bad(c, "stats", "a smaller message (arena exhausted)");
    hb->counters[i].value = (uint64_t)json_integer_value(v);
    i++;
  }
  hb->n_counters = i;
  return WD_OK;
}

static wd_rc decode_frame(wd_fleet_msg_t *m, const uint8_t *p, size_t len,
                          char *err, size_t errlen) {
  if (len < FRAME_HDR) {
    fail(err, errlen, "frame: %zu bytes, the header needs %u", len, FRAME_HDR);
    return WD_ERR_TRUNC;
  }
  if (memcmp(p, FRAME_MAGIC, 4) != 0) {
    fail(err, errlen, "frame: bytes 0..3 are not the magic \"WDF1\"");
    return WD_ERR_INVAL;
  }
  size_t sl = p[4];
  if (p[5] != 0 || get16(p + 6) != 0) {
    fail(err, errlen, "frame: flags/reserved at bytes 5..7 must be zero");
    return WD_ERR_UNSUPPORTED;
  }
  wd_fleet_frame_t *f = &m->u.frame;
  f->attack_id = get64(p + 32);
  f->flow_id = get64(p + 40);
  f->ts_ns = get64(p + 48);
  f->linktype = get32(p + 56);
  f->wire_len = get32(p + 60);
  f->cap_len = get32(p + 64);
  if (f->wire_len > WD_FLEET_WIRE_MAX || f->cap_len > f->wire_len ||
      f->cap_len > WD_FLEET_FRAME_SNAP_MAX) {
    fail(err, errlen,
         "frame: cap_len %u / wire_len %u at bytes 60..67: expected "
         "cap_len <= wire_len <= %u and cap_len <= %u",
         f->cap_len, f->wire_len, WD_FLEET_WIRE_MAX, WD_FLEET_FRAME_SNAP_MAX);
    return WD_ERR_INVAL;
  }
  if (len != FRAME_HDR + sl + f->cap_len) {
    fail(err, errlen, "frame: %zu bytes, header says %zu", len,
         FRAME_HDR + sl + (size_t)f->cap_len);
    return len < FRAME_HDR + sl + f->cap_len ? WD_ERR_TRUNC : WD_ERR_INVAL;
  }
  if (!sensor_valid_n((const char *)p + FRAME_HDR, sl)) {
    fail(err, errlen,
         "frame: sensor name at byte %u is not 1..%d of "
         "[A-Za-z0-9._-]",
         FRAME_HDR, WD_FLEET_SENSOR_MAX);
    return WD_ERR_INVAL;
  }
  memcpy(m->id.sensor, p + FRAME_HDR, sl);
  m->id.sensor[sl] = 0;
  memcpy(m->id.run, p + 8, 16);
  m->id.seq = get64(p + 24);
  uint8_t *d = arena_take(m, f->cap_len ? f->cap_len : 1);
  if (!d) {
    fail(err, errlen, "frame: no room for %u bytes", f->cap_len);
    return WD_ERR_NOMEM;
  }
  if (f->cap_len)
    memcpy(d, p + FRAME_HDR + sl, f->cap_len);
  f->data = d;
  return WD_OK;
}

wd_rc wd_fleet_decode(const uint8_t *p, size_t len, const char *kind_hdr,
                      size_t kind_len, const char *id_hdr, size_t id_len,
                      wd_fleet_msg_t *m, char *err, size_t errlen) {
  wd_fleet_msg_init(m);
  if (err && errlen)
    err[0] = 0;
  if (!p && len) {
    fail(err, errlen, "message: no payload");
    return WD_ERR_INVAL;
  }
  if (len > WD_FLEET_MSG_MAX) {
    fail(err, errlen, "message: %zu bytes, over the %u byte cap", len,
         WD_FLEET_MSG_MAX);
    return WD_ERR_INVAL;
  }
  wd_fleet_kind kind;
  if (kind_hdr) {
    if (wd_fleet_kind_parse(kind_hdr, kind_len, &kind) != WD_OK) {
      fail(err, errlen, "header %s: expected alert, frame or heartbeat",
           WD_FLEET_HDR_KIND);
      return WD_ERR_INVAL;
    }
  } else if (len >= 4 && memcmp(p, FRAME_MAGIC, 4) == 0) {
    kind = WD_FLEET_FRAME;
  } else {
    kind = WD_FLEET_ALERT; /* JSON: event_type decides below */
  }
  wd_fleet_id_t hid;
  if (id_hdr && wd_fleet_id_parse(id_hdr, id_len, &hid) != WD_OK) {
    fail(err, errlen,
         "header %s: expected sensor/32 hex digits/sequence number",
         WD_FLEET_HDR_ID);
    return WD_ERR_INVAL;
  }
  wd_rc rc = arena_new(m, len);
  if (rc) {
    fail(err, errlen, "message: out of memory for %zu bytes", len);
    return rc;
  }
  if (kind == WD_FLEET_FRAME) {
    rc = decode_frame(m, p, len, err, errlen);
  } else {
    json_error_t je;
    json_t *o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
      fail(err, errlen, "message: JSON at byte %d (line %d, column %d): %s",
           je.position, je.line, je.column, je.text);
      rc = WD_ERR_INVAL;
    } else if (!json_is_object(o)) {
      fail(err, errlen, "message: expected a JSON object");
      rc = WD_ERR_INVAL;
    } else {
      if (!kind_hdr) {
        json_t *ev = json_object_get(o, "event_type");
        if (json_is_string(ev) && strcmp(json_string_value(ev), "stats") == 0)
          kind = WD_FLEET_HEARTBEAT;
      }
      dctx_t c = {m, err, errlen, wd_fleet_kind_name(kind)};
      rc = kind == WD_FLEET_HEARTBEAT ? decode_heartbeat(&c, o)
                                      : decode_alert(&c, o);
    }
    json_decref(o);
  }
  if (rc == WD_OK && id_hdr && !wd_fleet_id_eq(&hid, &m->id)) {
    char a[WD_FLEET_ID_STRLEN];
    fail(err, errlen, "header %s does not match the payload's id %s",
         WD_FLEET_HDR_ID, wd_fleet_id_str(&m->id, a));
    rc = WD_ERR_INVAL;
  }
  if (rc != WD_OK) {
    wd_fleet_msg_fini(m);
    return rc;
  }
  m->kind = kind;
  return WD_OK;
}
