/* exfil.c -- exfil.volume: bulk outbound transfer. A facility host sends
 * far more to one outside destination than it receives from it, above a
 * configured volume within a window (default 256 MiB in 10 min).
 * In: packets (on_packet: each time a flow's bytes in a direction pass a
 * MiB boundary, the MiBs passed), flow ends (the rest of the flow's bytes
 * below the last boundary). Bytes are the flow table's: wire lengths less
 * the link header (wd_flow_table_ip_bytes), so a capture cut by a snap
 * length counts what went over the wire, not what was kept. Out: one
 * attack per (host, destination): START when the window's outbound bytes
 * reach the host's threshold and are at least detect.exfil.ratio times
 * the inbound ones; UPDATEs while it goes on; END after detect.end_after
 * of quiet. Thresholds: detect.exfil.volume, or the host's facility's
 * sector in detect.exfil.sector_volume ("research=2 GiB, imaging=1 GiB").
 * Destinations in detect.exfil.exempt (the facility's own backup or cloud
 * archive) are never counted.
 * Cost: two shifts and a compare per packet; the table is touched at MiB
 * boundaries and at the end of flows that sent at least 64 KiB out (the
 * rest of a smaller flow is added only when its pair is already counted).
 * Memory: a wd_table (1/16 of detect.memcap, at least 1024 pairs), the
 * least recently touched pair recycled. Keys: detect.exfil.*. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"

extern const wd_detector_t wd_detector_exfil;

#define CHUNK_SHIFT 20 /* 1 MiB */
#define SLOTS 10       /* the window in tenths */
#define SMALL_FLOW (64u * 1024u)
#define SECTOR_OVERRIDES_MAX 16

typedef struct exfil_conf {
  bool enabled;
  uint64_t volume;
  uint32_t window_s;
  uint32_t ratio;
  wd_cidr_list_t exempt;
  char *sector_volume;
} exfil_conf;

static const wd_config_key_t keys[] = {
    WD_KEY_BOOL(exfil_conf, "detect.exfil.enabled", enabled, "true",
                "report bulk transfers from a facility host to one outside "
                "destination"),
    WD_KEY_SIZE(exfil_conf, "detect.exfil.volume", volume, "256 MiB", 1u << 20,
                1ull << 50,
                "bytes one host sends to one outside destination within the "
                "window that make an attack"),
    WD_KEY_SECS(exfil_conf, "detect.exfil.window", window_s, "10m", 10, 86400,
                "time over which the bytes are counted"),
    WD_KEY_UINT(exfil_conf, "detect.exfil.ratio", ratio, "10", 1, 1000000,
                "the host must send at least this many times what it "
                "receives from the destination"),
    WD_KEY_CIDRS(exfil_conf, "detect.exfil.exempt", exempt, "",
                 "the facilities' own backup and cloud archive destinations: "
                 "never counted"),
    WD_KEY_STR(exfil_conf, "detect.exfil.sector_volume", sector_volume, NULL, 0,
               "volumes for hosts of some sectors, e.g. \"research=2 GiB, "
               "imaging=1 GiB\""),
};
static const wd_config_keyset_t keyset =
    WD_DETECTOR_KEYSET(exfil_conf, keys, NULL);

typedef struct xkey {
  wd_addr_t host, dst;
} xkey;

typedef struct xval {
  wd_attack_t a;
  uint64_t out[SLOTS], in[SLOTS];
  uint64_t slot; /* index (time / slot length) of the newest slot */
  uint64_t total_out, total_in;
  uint64_t threshold;
  uint64_t peak_out; /* the window's outbound bytes at their highest */
  uint64_t flow_id;
  uint16_t port;  /* the destination's port of the latest flow */
  uint16_t hport; /* the host's port of that flow */
  uint8_t proto;
} xval;

typedef struct sector_vol {
  char name[32];
  uint64_t volume;
} sector_vol;

typedef struct xstate {
  const wd_config_t *cfg;
  exfil_conf conf;
  wd_attack_set_t set;
  wd_table_t *t;
  uint64_t slot_ns;
  sector_vol sectors[SECTOR_OVERRIDES_MAX];
  size_t n_sectors;
  char host[WD_ADDR_STRLEN]; /* the alert's "host": it borrows the string */
} xstate;

static uint64_t window_out(const xval *v) {
  uint64_t s = 0;
  for (int i = 0; i < SLOTS; i++)
    s += v->out[i];
  return s;
}

static uint64_t window_in(const xval *v) {
  uint64_t s = 0;
  for (int i = 0; i < SLOTS; i++)
    s += v->in[i];
  return s;
}

static void fill(void *user, const void *key, void *val, wd_alert_t *al) {
  xstate *s = user;
  const xkey *k = key;
  const xval *v = val;
  /* the receiver is the attacker's side, the facility host the target */
  al->has_src = true;
  al->src = k->dst;
  al->dst = k->host;
  al->has_ports = v->port != 0;
  al->sport = v->port;
  al->dport = v->hport;
  al->proto = v->proto;
  al->flow_id = v->flow_id;
  wd_alert_add_u64(al, "bytes_out", v->total_out);
  wd_alert_add_u64(al, "bytes_in", v->total_in);
  wd_alert_add_u64(al, "window_bytes_out", window_out(v));
  wd_alert_add_u64(al, "window_bytes_in", window_in(v));
  wd_alert_add_u64(al, "peak_window_bytes_out", v->peak_out);
  wd_alert_add_u64(al, "threshold_bytes", v->threshold);
  wd_alert_add_u64(al, "window_s", s->conf.window_s);
  wd_alert_add_str(al, "host", wd_addr_str(&k->host, s->host));
}

static void on_evict(void *user, const void *key, void *val) {
  xstate *s = user;
  xval *v = val;
  wd_attack_recycled(&s->set, &v->a, key, v, v->a.last_ns);
}

/* "research=2 GiB, imaging=1 GiB" into s->sectors; false on a bad item. */
static bool parse_sectors(xstate *s, const char *list) {
  while (list && *list) {
    while (*list == ',' || isspace((unsigned char)*list))
      list++;
    if (!*list)
      break;
    const char *eq = strchr(list, '=');
    size_t item = strcspn(list, ",");
    if (!eq || (size_t)(eq - list) >= item ||
        s->n_sectors >= SECTOR_OVERRIDES_MAX)
      return false;
    sector_vol *sv = &s->sectors[s->n_sectors];
    size_t nl = (size_t)(eq - list);
    while (nl && isspace((unsigned char)list[nl - 1]))
      nl--;
    if (!nl || nl >= sizeof sv->name)
      return false;
    for (size_t i = 0; i < nl; i++)
      sv->name[i] = (char)tolower((unsigned char)list[i]);
    sv->name[nl] = 0;
    char *end;
    double n = strtod(eq + 1, &end);
    while (isspace((unsigned char)*end))
      end++;
    static const struct {
      const char *u;
      double m;
    } units[] = {{"TiB", 1099511627776.0},
                 {"GiB", 1073741824.0},
                 {"MiB", 1048576.0},
                 {"KiB", 1024.0},
                 {"TB", 1e12},
                 {"GB", 1e9},
                 {"MB", 1e6},
                 {"KB", 1e3}};
    double mul = 1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strncmp(end, units[i].u, strlen(units[i].u)) == 0) {
        mul = units[i].m;
        end += strlen(units[i].u);
        break;
      }
    while (isspace((unsigned char)*end))
      end++;
    if (end == eq + 1 || (*end && *end != ',') || n * mul < 1048576.0)
      return false;
    sv->volume = (uint64_t)(n * mul);
    s->n_sectors++;
    list += item;
  }
  return true;
}

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  *state = NULL;
  const exfil_conf *c = wd_config_extra(cfg, &keyset);
  if (!c)
    return WD_ERR_CONFIG; /* loaded without the detectors' keys */
  if (!c->enabled)
    return WD_OK;
  xstate *s = calloc(1, sizeof *s);
  if (!s)
    return WD_ERR_NOMEM;
  s->cfg = cfg;
  s->conf = *c;
  s->slot_ns = (uint64_t)c->window_s * WD_NSEC / SLOTS;
  if (!parse_sectors(s, c->sector_volume)) {
    wd_log(WD_LOG_ERROR, "detect",
           "detect.exfil.sector_volume: '%s': expected SECTOR=SIZE[, ...] "
           "(at most %d, each at least 1 MiB)",
           c->sector_volume, SECTOR_OVERRIDES_MAX);
    free(s);
    return WD_ERR_CONFIG;
  }
  wd_attack_set_init(&s->set, &wd_detector_exfil, cfg, fill, s);
  uint64_t max = wd_attack_table_max(mc, 16, sizeof(xkey), sizeof(xval), 1024);
  wd_rc rc = wd_table_new("exfil.volume", sizeof(xkey), sizeof(xval), max, mc,
                          on_evict, s, &s->t);
  if (rc != WD_OK) {
    free(s);
    return rc;
  }
  *state = s;
  return WD_OK;
}

static void destroy(void *state) {
  xstate *s = state;
  if (!s)
    return;
  wd_table_free(s->t);
  free(s);
}

static uint64_t threshold_of(const xstate *s, const wd_addr_t *host) {
  const wd_facility_t *fac = wd_config_facility_of(s->cfg, host);
  if (fac && s->n_sectors) {
    const char *sec = wd_facility_sector(fac);
    for (size_t i = 0; sec && i < s->n_sectors; i++)
      if (strcmp(s->sectors[i].name, sec) == 0)
        return s->sectors[i].volume;
  }
  return s->conf.volume;
}

static bool exempt(const xstate *s, const wd_addr_t *a) {
  for (size_t i = 0; i < s->conf.exempt.n; i++)
    if (wd_cidr_contains(&s->conf.exempt.v[i], a))
      return true;
  return false;
}

/* The facility host and outside end of f; false when f is not one. */
static bool ends(const xstate *s, const wd_flow_t *f, const wd_addr_t **host,
                 const wd_addr_t **dst, int *host_dir) {
  bool cli_in = wd_config_is_protected(s->cfg, &f->cli);
  bool srv_in = wd_config_is_protected(s->cfg, &f->srv);
  if (cli_in == srv_in)
    return false;
  *host = cli_in ? &f->cli : &f->srv;
  *dst = cli_in ? &f->srv : &f->cli;
  /* the direction in which the host sends */
  *host_dir = cli_in ? WD_DIR_TO_SERVER : WD_DIR_TO_CLIENT;
  /* multicast (a video stream, a backup to a group) has no one receiver
   * to accuse */
  return wd_addr_is_host_unicast(*dst) && !exempt(s, *dst);
}

static void add(xstate *s, const wd_detect_ctx_t *ctx, const wd_flow_t *f,
                uint64_t out, uint64_t in, bool create_entry, uint64_t ts) {
  const wd_addr_t *host, *dst;
  int hd;
  if (!ends(s, f, &host, &dst, &hd))
    return;
  if (hd == WD_DIR_TO_CLIENT) { /* counts were given by flow direction */
    uint64_t t = out;
    out = in;
    in = t;
  }
  xkey k;
  memset(&k, 0, sizeof k);
  k.host = *host;
  k.dst = *dst;
  s->set.ctx = ctx;
  bool created = false;
  xval *v = create_entry ? wd_table_get(s->t, &k, ts, &created)
                         : wd_table_find(s->t, &k);
  if (!v)
    return;
  if (created)
    v->threshold = threshold_of(s, host);
  uint64_t slot = ts / s->slot_ns;
  if (slot > v->slot) {
    uint64_t n = slot - v->slot;
    for (uint64_t i = 1; i <= n && i <= SLOTS; i++) {
      v->out[(v->slot + i) % SLOTS] = 0;
      v->in[(v->slot + i) % SLOTS] = 0;
    }
    v->slot = slot;
  }
  v->out[v->slot % SLOTS] += out;
  v->in[v->slot % SLOTS] += in;
  v->total_out += out;
  v->total_in += in;
  v->flow_id = f->id;
  v->port = hd == WD_DIR_TO_SERVER ? f->sport : f->cport;
  v->hport = hd == WD_DIR_TO_SERVER ? f->cport : f->sport;
  v->proto = f->proto;
  uint64_t wo = window_out(v);
  if (wo > v->peak_out)
    v->peak_out = wo;
  if (wd_attack_is_open(&v->a)) {
    if (out)
      wd_attack_seen(&v->a, ts);
    return;
  }
  if (wo >= v->threshold && wo >= (uint64_t)s->conf.ratio * window_in(v))
    wd_attack_start(&s->set, ctx, &v->a, &k, v, f->first_ns, ts, ts);
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  if (!f)
    return;
  uint64_t b = f->bytes[dir];
  uint64_t len = wd_flow_table_ip_bytes(p);
  if (len > b || ((b - len) >> CHUNK_SHIFT) == (b >> CHUNK_SHIFT))
    return;
  uint64_t mib = (b >> CHUNK_SHIFT) - ((b - len) >> CHUNK_SHIFT);
  uint64_t bytes = mib << CHUNK_SHIFT;
  add(state, ctx, f, dir == WD_DIR_TO_SERVER ? bytes : 0,
      dir == WD_DIR_TO_SERVER ? 0 : bytes, true, p->ts_ns);
}

static void on_flow_end(void *state, const wd_detect_ctx_t *ctx,
                        const wd_flow_t *f) {
  uint64_t mask = (1ull << CHUNK_SHIFT) - 1;
  uint64_t r0 = f->bytes[0] & mask, r1 = f->bytes[1] & mask;
  if (!r0 && !r1)
    return;
  /* a flow that sent little out only adds to a pair already counted */
  bool big = f->bytes[0] >= SMALL_FLOW || f->bytes[1] >= SMALL_FLOW;
  add(state, ctx, f, r0, r1, big, f->last_ns);
}

/* Ended attacks, and pairs quiet for a window that never became one,
 * leave the table. */
static void walk(xstate *s, const wd_detect_ctx_t *ctx, uint64_t now,
                 bool all) {
  WD_ATTACK_TABLE_WALK(&s->set, ctx, s->t, xkey, xval, a,
                       (uint64_t)s->conf.window_s * WD_NSEC, now, all);
}

static void on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, false);
}

static void on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now) {
  walk(state, ctx, now, true);
}

static const wd_detector_sig_t sigs[] = {
    {2100601,
     "Bulk transfer from a facility host to one outside destination "
     "(possible data exfiltration)",
     "Potential Corporate Privacy Violation", 2, "information-content-security",
     "data-exfiltration"},
};

static const wd_detector_ref_t refs[] = {
    {"mitre-attack", "T1048", "https://attack.mitre.org/techniques/T1048/",
     "MITRE ATT&CK: Exfiltration Over Alternative Protocol"},
};

const wd_detector_t wd_detector_exfil = {
    WD_DETECTOR_ID("exfil.volume", WD_LINE_INTRUSION,
                   "a facility host sending far more to one outside "
                   "destination than it receives, above a volume"),
    .flags = WD_DETECTOR_NEXT_STAGE,
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    .create = create,
    .destroy = destroy,
    .on_packet = on_packet,
    .on_flow_end = on_flow_end,
    .keys = &keyset,
    .on_tick = on_tick,
    .on_finish = on_finish,
    .cost = 16,
};
