/* intel_match.c -- intel.match: traffic naming an indicator of a threat
 * intelligence feed (STIX 2.1, MISP, CSV, and the built-in WannaCry
 * kill-switch domains; intel_feed.h).
 * In: application events (DNS queries, TLS and QUIC ClientHello SNI, HTTP
 * Host and URL) and the two addresses of every new flow; the indicator set
 * in force (ctx->intel, swapped on reload by the engine's worker). Out: one
 * attack per (facility host, indicator): START at the first hit, UPDATEs
 * while hits go on, END after detect.intel.end_after without one. The
 * alert names the indicator, its feed and reference, the field it was seen
 * in (dns.query, tls.sni, quic.sni, http.host, http.url, dest_ip, src_ip)
 * and the value seen there.
 * Matching costs hash lookups (names: one per label suffix); nothing is
 * allocated per packet. Names are compared case-insensitively, without one
 * trailing dot; punycode (xn--) labels are compared as written, so a
 * look-alike in another script never matches the ASCII name.
 * Memory: a wd_table of entries (1/16 of detect.memcap, at least 1024),
 * each holding copies of the strings its alerts cite: a reload frees the
 * old set while attacks of its indicators are still open. The least
 * recently hit entry is recycled (its attack ends) when full.
 * Keys: detect.intel.* (this file's own table; the CLI reads feeds and
 * builtin to build the set, see wd_intel_build). */
#include "detect/intel_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/table.h"
#include "detect/attack.h"
#include "proto/app.h"

extern const wd_detector_t wd_detector_intel_match;

#define KS(NAME, m, d, h) WD_KEY_SECS(wd_intel_conf_t, NAME, m, d, 1, 86400, h)
static const wd_config_key_t keys[] = {
    WD_KEY_BOOL(wd_intel_conf_t, "detect.intel.enabled", enabled, "true",
                "report traffic naming a listed indicator"),
    WD_KEY_BOOL(wd_intel_conf_t, "detect.intel.builtin", builtin, "true",
                "include the built-in WannaCry kill-switch domains"),
    WD_KEY_STR(wd_intel_conf_t, "detect.intel.feeds", feeds, NULL, 0,
               "feed files (STIX 2.1 bundle, MISP event, CSV), separated by "
               "commas; --intel adds more"),
    WD_KEY_UINT(wd_intel_conf_t, "detect.intel.max_indicators", max_indicators,
                "1000000", 1, 1u << 26,
                "indicators kept at most over all feeds; beyond, refused and "
                "counted"),
    KS("detect.intel.end_after", end_after_s, "600s",
       "an indicator's hits by one host end after this much quiet"),
};
#undef KS
const wd_config_keyset_t wd_intel_keyset =
    WD_DETECTOR_KEYSET(wd_intel_conf_t, keys, NULL);

void wd_intel_conf(const wd_config_t *cfg, wd_intel_conf_t *out) {
  const wd_intel_conf_t *c = wd_config_extra(cfg, &wd_intel_keyset);
  /* a configuration loaded without the detectors' keys matches nothing */
  if (c)
    *out = *c;
  else
    memset(out, 0, sizeof *out);
}

/* ---- building the set (not on the packet thread) ---- */

static void say(wd_intel_say_fn fn, void *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void say(wd_intel_say_fn fn, void *user, const char *fmt, ...) {
  char line[WD_INTEL_MSG_MAX + 128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (fn)
    fn(user, line);
}

static wd_rc load_one(wd_intel_set_t *s, const char *path, wd_intel_say_fn fn,
                      void *user, wd_intel_report_t *rep) {
  memset(rep, 0, sizeof *rep);
  wd_rc rc = wd_intel_load_file(s, path, NULL, rep);
  if (rc != WD_OK) {
    say(fn, user, "%s: not loaded: %s", path,
        rep->n_msgs ? rep->msgs[0] : wd_rc_str(rc));
    return rc;
  }
  static const char *const fmt_names[] = {"unknown", "STIX 2.1", "MISP", "CSV"};
  say(fn, user,
      "%s: %s feed, %u indicators loaded, %u rejected, %u skipped, %u "
      "duplicates%s",
      path, fmt_names[rep->format <= 3 ? rep->format : 0], rep->loaded,
      rep->rejected, rep->skipped, rep->duplicates,
      rep->cap_hits ? ", cap reached (detect.intel.max_indicators)" : "");
  for (uint32_t i = 0; i < rep->n_msgs; i++)
    say(fn, user, "  %s", rep->msgs[i]);
  if (rep->msgs_dropped)
    say(fn, user, "  (%u more not shown)", rep->msgs_dropped);
  return WD_OK;
}

/* Calls f(path) for each comma- or space-separated item of list. */
static wd_rc each_path(const char *list, wd_intel_set_t *s, wd_intel_say_fn fn,
                       void *user, wd_intel_report_t *rep, unsigned *bad) {
  char path[4096];
  while (list && *list) {
    while (*list == ',' || *list == ' ' || *list == '\t')
      list++;
    size_t n = strcspn(list, ",");
    while (n && (list[n - 1] == ' ' || list[n - 1] == '\t'))
      n--;
    if (n && n < sizeof path) {
      memcpy(path, list, n);
      path[n] = 0;
      wd_rc rc = load_one(s, path, fn, user, rep);
      if (rc == WD_ERR_NOMEM)
        return rc;
      if (rc != WD_OK)
        (*bad)++;
    }
    list += strcspn(list, ",");
  }
  return WD_OK;
}

wd_rc wd_intel_build(const wd_config_t *cfg, const char *const *files,
                     size_t nfiles, wd_intel_say_fn fn, void *user,
                     wd_intel_set_t **out, unsigned *bad_files) {
  *out = NULL;
  *bad_files = 0;
  wd_intel_conf_t c;
  wd_intel_conf(cfg, &c);
  const wd_intel_conf_t *x = wd_config_extra(cfg, &wd_intel_keyset);
  const char *feeds = x ? x->feeds : NULL;
  wd_intel_set_t *s = NULL;
  wd_rc rc = wd_intel_set_new(c.max_indicators, &s);
  if (rc != WD_OK)
    return rc;
  if (c.builtin && (rc = wd_intel_add_builtin(s)) != WD_OK)
    goto fail;
  wd_intel_report_t *rep = malloc(sizeof *rep);
  if (!rep) {
    rc = WD_ERR_NOMEM;
    goto fail;
  }
  rc = each_path(feeds, s, fn, user, rep, bad_files);
  for (size_t i = 0; rc == WD_OK && i < nfiles; i++) {
    rc = load_one(s, files[i], fn, user, rep);
    if (rc != WD_OK && rc != WD_ERR_NOMEM) {
      (*bad_files)++;
      rc = WD_OK;
    }
  }
  free(rep);
  if (rc != WD_OK)
    goto fail;
  *out = s;
  return WD_OK;
fail:
  wd_intel_set_free(s);
  return rc;
}

/* ---- the detector ---- */

#define TEXT_MAX 256

typedef struct ikey {
  wd_addr_t host;
  uint64_t ioc; /* hash of the indicator's kind and value */
} ikey;

typedef struct ival {
  wd_attack_t a;
  uint64_t hits;
  uint64_t flow_id;
  wd_addr_t peer; /* the other end of the latest hit */
  uint16_t port;  /* the peer's port */
  uint8_t proto;
  bool peer_listed; /* the peer is the listed address */
  const char *field;
  const char *type; /* STIX observable type of the indicator */
  char indicator[TEXT_MAX];
  char seen[TEXT_MAX];
  char source[64];
  char ref[96];
  char desc[TEXT_MAX];
  char stix[WD_INTEL_STIX_MAX + 1]; /* the feed's STIX indicator, "" none */
} ival;

typedef struct istate {
  wd_attack_set_t set;
  wd_table_t *t;
} istate;

static uint64_t hash_ioc(const wd_ioc_t *i) {
  uint64_t h = 1469598103934665603ull ^ i->kind;
  for (const char *c = i->value; *c; c++)
    h = (h ^ (uint8_t)*c) * 1099511628211ull;
  return h;
}

/* The STIX Cyber-observable type an indicator of this kind names. */
static const char *ioc_type(const wd_ioc_t *i) {
  switch (i->kind) {
  case WD_IOC_DOMAIN:
    return "domain-name";
  case WD_IOC_URL:
    return "url";
  default:
    return wd_addr_is_v4(&i->addr) && i->prefix_len >= 96 ? "ipv4-addr"
                                                          : "ipv6-addr";
  }
}

static void copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  (void)user;
  const ikey *k = key;
  const ival *v = val;
  al->dst = k->host;
  al->flow_id = v->flow_id;
  al->proto = v->proto;
  if (v->peer_listed) {
    al->has_src = true;
    al->src = v->peer;
  }
  wd_alert_add_str(al, "indicator", v->indicator);
  wd_alert_add_str(al, "indicator_type", v->type);
  if (v->stix[0])
    wd_alert_add_str(al, "indicator_stix", v->stix);
  wd_alert_add_str(al, "feed", v->source);
  wd_alert_add_str(al, "indicator_ref", v->ref);
  if (v->desc[0])
    wd_alert_add_str(al, "indicator_desc", v->desc);
  wd_alert_add_str(al, "field", v->field);
  wd_alert_add_str(al, "seen", v->seen);
  wd_alert_add_u64(al, "hits", v->hits);
}

static void on_evict(void *user, const void *key, void *val) {
  istate *s = user;
  ival *v = val;
  wd_attack_recycled(&s->set, &v->a, key, v, v->a.last_ns);
}

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  *state = NULL;
  wd_intel_conf_t c;
  wd_intel_conf(cfg, &c);
  if (!c.enabled)
    return WD_OK;
  istate *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  wd_attack_set_init(&s->set, &wd_detector_intel_match, cfg, fill, s);
  wd_attack_set_quiet(&s->set, (uint64_t)c.end_after_s * WD_NSEC);
  uint64_t max = wd_attack_table_max(mc, 16, sizeof(ikey), sizeof(ival), 1024);
  wd_rc rc = wd_table_new("intel.match", sizeof(ikey), sizeof(ival), max, mc,
                          on_evict, s, &s->t);
  if (rc != WD_OK) {
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

static void destroy(void *state) {
  istate *s = state;
  if (!s)
    return;
  wd_table_free(s->t);
  free(s);
}

/* One hit: host (the facility side) met indicator i in field. */
static void hit(istate *s, const wd_detect_ctx_t *ctx, const wd_ioc_t *i,
                const char *field, const char *seen, const wd_addr_t *host,
                const wd_addr_t *peer, uint16_t port, bool peer_listed,
                const wd_flow_t *f, uint64_t ts) {
  ikey k;
  memset(&k, 0, sizeof k);
  k.host = *host;
  k.ioc = hash_ioc(i);
  s->set.ctx = ctx;
  bool created = false;
  ival *v = wd_table_get(s->t, &k, ts, &created);
  if (!v)
    return;
  v->hits++;
  v->flow_id = f ? f->id : 0;
  v->peer = *peer;
  v->port = port;
  v->proto = f ? f->proto : 0;
  v->peer_listed = peer_listed;
  v->field = field;
  copy(v->seen, sizeof v->seen, seen);
  if (!wd_attack_is_open(&v->a)) {
    copy(v->indicator, sizeof v->indicator, i->value);
    copy(v->source, sizeof v->source, i->source);
    copy(v->ref, sizeof v->ref, i->ref);
    copy(v->desc, sizeof v->desc, i->desc);
    copy(v->stix, sizeof v->stix, i->stix);
    v->type = ioc_type(i);
    wd_attack_start(&s->set, ctx, &v->a, &k, v, ts, ts, ts);
  } else {
    wd_attack_seen(&v->a, ts);
  }
}

/* The facility side of a flow: the inside end, else the client. */
static const wd_addr_t *host_of(const wd_detect_ctx_t *ctx, const wd_flow_t *f,
                                const wd_addr_t **peer) {
  bool srv_in = wd_config_is_protected(ctx->cfg, &f->srv);
  bool cli_in = wd_config_is_protected(ctx->cfg, &f->cli);
  if (srv_in && !cli_in) {
    *peer = &f->cli;
    return &f->srv;
  }
  *peer = &f->srv;
  return &f->cli;
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  (void)dir;
  if (!f || !(f->pkt_events & WD_FLOW_EV_CREATED) || !ctx->intel)
    return;
  const wd_intel_set_t *set = wd_intel_slot_get(ctx->intel);
  if (!set)
    return;
  const wd_ioc_t *i;
  char a[WD_ADDR_STRLEN];
  if ((i = wd_intel_match_addr(set, &f->srv)) != NULL)
    hit(state, ctx, i, "dest_ip", wd_addr_str(&f->srv, a), &f->cli, &f->srv,
        f->sport, true, f, p->ts_ns);
  if ((i = wd_intel_match_addr(set, &f->cli)) != NULL)
    hit(state, ctx, i, "src_ip", wd_addr_str(&f->cli, a), &f->srv, &f->cli,
        f->cport, true, f, p->ts_ns);
}

/* Host without its port ("example.org:8080", "[2001:db8::1]:443"). */
static size_t host_len(const char *h) {
  if (h[0] == '[') {
    const char *e = strchr(h, ']');
    return e ? (size_t)(e - h + 1) : strlen(h);
  }
  const char *c = strchr(h, ':');
  return c ? (size_t)(c - h) : strlen(h);
}

static void on_app(void *state, const wd_detect_ctx_t *ctx,
                   const struct wd_app_event *ev, const wd_flow_t *f, int dir) {
  if (!ctx->intel)
    return;
  const wd_intel_set_t *set = wd_intel_slot_get(ctx->intel);
  if (!set)
    return;
  const wd_ioc_t *i;
  const wd_addr_t *peer;
  const wd_addr_t *host = host_of(ctx, f, &peer);
  switch (ev->kind) {
  case WD_APP_DNS: {
    const wd_dns_msg_t *m = ev->u.dns;
    if (m->qr)
      return;
    /* the asker is the sender of the query */
    const wd_addr_t *asker = dir == WD_DIR_TO_SERVER ? &f->cli : &f->srv;
    const wd_addr_t *other = dir == WD_DIR_TO_SERVER ? &f->srv : &f->cli;
    for (unsigned q = 0; q < m->n_questions; q++)
      if ((i = wd_intel_match_domain(set, m->q[q].name, (size_t)-1)) != NULL)
        hit(state, ctx, i, "dns.query", m->q[q].name, asker, other, 53, false,
            f, ev->ts_ns);
    return;
  }
  case WD_APP_TLS:
  case WD_APP_QUIC: {
    const wd_tls_hello_t *h = ev->u.tls;
    if (dir != WD_DIR_TO_SERVER || !h->has_sni)
      return;
    if ((i = wd_intel_match_domain(set, h->sni, (size_t)-1)) != NULL)
      hit(state, ctx, i, ev->kind == WD_APP_TLS ? "tls.sni" : "quic.sni",
          h->sni, host, peer, f->sport, false, f, ev->ts_ns);
    return;
  }
  case WD_APP_HTTP_REQ: {
    const wd_http_req_t *r = ev->u.req;
    if (!r->has_host)
      return;
    size_t hl = host_len(r->host);
    if ((i = wd_intel_match_domain(set, r->host, hl)) != NULL) {
      hit(state, ctx, i, "http.host", r->host, host, peer, f->sport, false, f,
          ev->ts_ns);
      return;
    }
    char url[WD_HTTP_HOST_MAX + WD_HTTP_TARGET_MAX + 16];
    if (r->target[0] == '/')
      snprintf(url, sizeof url, "http://%s%s", r->host, r->target);
    else /* absolute form (a proxy request) */
      snprintf(url, sizeof url, "%s", r->target);
    if ((i = wd_intel_match_url(set, url)) != NULL)
      hit(state, ctx, i, "http.url", url, host, peer, f->sport, false, f,
          ev->ts_ns);
    return;
  }
  default:
    return;
  }
}

/* Ended attacks leave the table. */
static void walk(istate *s, const wd_detect_ctx_t *ctx, uint64_t now,
                 bool all) {
  WD_ATTACK_TABLE_WALK(&s->set, ctx, s->t, ikey, ival, a, 0, now, all);
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, false);
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, true);
}

static const wd_detector_sig_t sigs[] = {
    {2100801,
     "Traffic naming an indicator listed in a threat-intelligence feed",
     "Potentially Bad Traffic", 2, "malicious-code", "infected-system"},
};

static const wd_detector_ref_t refs[] = {
    {"url", NULL,
     "https://www.cisa.gov/news-events/alerts/2017/05/12/"
     "indicators-associated-wannacry-ransomware",
     "CISA: indicators associated with WannaCry ransomware"},
};

const wd_detector_t wd_detector_intel_match = {
    WD_DETECTOR_ID("intel.match", WD_LINE_INTRUSION,
                   "DNS names, TLS/QUIC server names, HTTP hosts and URLs, "
                   "addresses listed in an indicator feed"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    .create = create,
    .destroy = destroy,
    .on_packet = on_packet,
    .packets = WD_PKT_FLOW_NEW,
    .on_app = on_app,
    .app_protos = WD_APP_PROTO_BIT(WD_APP_DNS) | WD_APP_PROTO_BIT(WD_APP_TLS) |
                  WD_APP_PROTO_BIT(WD_APP_QUIC) |
                  WD_APP_PROTO_BIT(WD_APP_HTTP_REQ),
    .keys = &wd_intel_keyset,
    .on_tick = on_tick,
    .on_finish = on_finish,
    .cost = 5,
};
