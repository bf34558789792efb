/* config.h -- ward's configuration, loaded once from YAML before any
 * traffic is read.
 * In: a YAML file (core/yaml.h) and command-line overrides. Out: a
 * wd_config_t the caller owns (wd_config_free). Every key is declared once
 * in a key table (name, type, default, range, help): config_keys.c for
 * core's, and tables passed in from outside core; defaults live only
 * there. Errors name file:line:column, the key and what was expected.
 * Files: config.c loads and checks, config_value.c parses and formats
 * values, prefix_index.c answers the per-packet lookups, config_dump.c
 * writes `ward config show`. */
#ifndef WD_CORE_CONFIG_H
#define WD_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/limits.h"
#include "core/net.h"
#include "core/rc.h"

typedef enum {
  WD_SECTOR_HEALTHCARE,
  WD_SECTOR_ENERGY,
  WD_SECTOR_TRANSPORT,
  WD_SECTOR_FINANCE,
  WD_SECTOR_EDUCATION,
  WD_SECTOR_GOVERNMENT,
  WD_SECTOR_RESEARCH,
  WD_SECTOR_WATER,
  WD_SECTOR_TELECOM,
  WD_SECTOR_PUBLIC_HEALTH,
  WD_SECTOR_EMERGENCY_SERVICES,
  WD_SECTOR_OTHER,
  WD_SECTOR_EXTRA /* one the configuration names under sectors: */
} wd_sector;

typedef enum { WD_CRIT_CRITICAL, WD_CRIT_HIGH, WD_CRIT_NORMAL } wd_criticality;

/* Name of a built-in sector ("other" for WD_SECTOR_EXTRA: use
 * wd_facility_sector for a facility's). */
const char *wd_sector_name(wd_sector s);
const char *wd_criticality_name(wd_criticality c);

typedef struct wd_facility {
  char *name;
  wd_sector sector;
  const char *sector_name; /* WD_SECTOR_EXTRA: borrowed from cfg->sectors */
  wd_criticality criticality;
  wd_cidr_t *networks; /* n_networks entries */
  size_t n_networks;
  uint64_t max_pps; /* ddos.volumetric threshold for each host; 0: default */
  uint64_t max_bps;
} wd_facility_t;

/* The facility's sector name: built-in or one of the configuration's. */
const char *wd_facility_sector(const wd_facility_t *f);

typedef struct wd_cidr_list {
  wd_cidr_t *v;
  size_t n;
} wd_cidr_list_t;

typedef struct wd_config {
  char *path; /* file it came from, or NULL for built-in defaults */

  wd_facility_t *facilities;
  size_t n_facilities;
  /* Sectors the file adds to the built-in ones (top-level sectors:),
   * lower-case, at most WD_SECTORS_EXTRA_MAX. */
  char **sectors;
  size_t n_sectors;
  /* Protected networks when no facility is configured: RFC 1918/4193 by
   * default, replaced by --home-net. */
  wd_cidr_list_t home_net;
  /* home_net was given (key home_net or --home-net): protection follows
   * it even when facilities are configured. */
  bool home_net_set;

  struct {
    uint32_t snaplen;      /* capture.snaplen */
    uint64_t buffer_bytes; /* capture.buffer_size: kernel buffer for live */
    uint32_t timeout_ms;   /* capture.timeout_ms: live read timeout */
  } capture;

  struct {
    uint64_t cap; /* memory.cap: all tables together */
  } memory;

  struct {
    uint64_t max;         /* flow.max: flows at most */
    uint64_t memcap;      /* flow.memcap */
    uint32_t tcp_syn_s;   /* flow.timeouts.tcp_syn: handshake not done */
    uint32_t tcp_est_s;   /* flow.timeouts.tcp_established */
    uint32_t tcp_close_s; /* flow.timeouts.tcp_closed: after FIN/RST */
    uint32_t udp_s;       /* flow.timeouts.udp */
    uint32_t icmp_s;      /* flow.timeouts.icmp */
    uint32_t other_s;     /* flow.timeouts.other */
  } flow;

  struct {
    uint64_t memcap;        /* stream.memcap: all reassembly buffers */
    uint32_t flow_buffer;   /* stream.flow_buffer: bytes queued per direction */
    uint32_t window;        /* stream.window: out-of-order bytes accepted */
    uint32_t http_pipeline; /* stream.http_pipeline: HTTP requests awaiting
                               their response per connection */
  } stream;

  /* What every detector shares; each detector's own keys
   * (detect.<section>.*) are in its file (wd_detector_t.keys). */
  struct {
    uint64_t memcap;   /* detect.memcap: all detector state */
    uint32_t update_s; /* detect.update_interval: seconds between
                          update alerts of an ongoing attack */
    uint32_t quiet_s;  /* detect.end_after: seconds below threshold
                          before an attack is reported ended */
  } detect;

  struct {
    char *eve_path;   /* outputs.eve.path: NULL = none unless -o/--json */
    bool flow_events; /* outputs.eve.flow */
    uint32_t stats_interval_s; /* outputs.eve.stats_interval, 0 = end only */
    char *eve_protocols;       /* outputs.eve.protocols: "dns, tls, http" */
    uint32_t http_held;        /* outputs.eve.http_held: requests awaiting their
                                  response before their http event is written */
    uint32_t http_wait_s;      /* outputs.eve.http_wait */
  } outputs;

  struct {
    uint32_t queue;   /* engine.queue: records between the packet thread and
                         the worker (docs/architecture.md) */
    bool reader;      /* engine.reader: capture files read on a thread of
                         their own (engine/reader.h) */
    uint32_t workers; /* engine.workers: packet threads (lanes) of
                         `ward analyze` (docs/architecture.md) */
  } engine;

  struct {
    char *country_db; /* attribution.country_db: MaxMind country file */
    char *asn_db;     /* attribution.asn_db: MaxMind ASN file */
    char *directory;  /* attribution.directory: responsible parties */
  } attribution;

  struct {
    uint32_t quiet_window_s; /* incidents.quiet_window */
  } incidents;

  struct {
    char *dir;                 /* evidence.dir */
    uint32_t packets_per_flow; /* evidence.packets_per_flow */
    uint32_t flood_sample;     /* evidence.flood_sample */
  } evidence;

  struct {
    char *path;               /* db.path: older name of store.url */
    uint32_t busy_timeout_ms; /* db.busy_timeout: longest wait for another
                                 process's lock on the database */
  } db;

  struct {
    char *url; /* store.url: SQLite path or PostgreSQL URL (NULL: db.path) */
  } store;

  struct {
    char *from;               /* notify.from */
    char *sender_name;        /* notify.sender_name */
    char *smtp_url;           /* notify.smtp.url */
    char *smtp_username;      /* notify.smtp.username */
    char *smtp_password_file; /* notify.smtp.password_file */
    uint64_t max_attachment;  /* notify.max_attachment */
    uint64_t max_age_s;       /* notify.max_age: undelivered this long after
                                 being queued, a notification is failed */
  } notify;

  /* Private to src/core (config_int.h): sorted prefixes for the
   * per-packet lookups, which keys the file set, the structs of key tables
   * from outside core. */
  struct wd_config_index *index;
} wd_config_t;

/* Largest configuration file read, and deepest YAML nesting accepted. */
#define WD_CONFIG_FILE_MAX (4u << 20)
#define WD_CONFIG_DEPTH_MAX 16

/* The key table: one row per key, in the order of etc/ward.yaml. Defaults
 * are written as in YAML and parsed by the same code as the file. */
typedef enum {
  WD_CONFIG_BOOL,     /* true/false, yes/no, on/off */
  WD_CONFIG_UINT,     /* whole number, "1_000_000" allowed */
  WD_CONFIG_SIZE,     /* bytes: "128 MiB", "64KiB", "512 KB" (1000), 4096 */
  WD_CONFIG_DURATION, /* "30s", "5m", "1h", "1d", "250ms"; bare number in
                         the field's unit */
  WD_CONFIG_RATE,     /* per second: 200000, "200k", "1.5M", "2G" */
  WD_CONFIG_BITRATE,  /* bits per second: "500 Mbit/s", "500M", "2Gbps" */
  WD_CONFIG_DOUBLE,   /* decimal number */
  WD_CONFIG_STRING,   /* text; null or "" leave it unset (NULL) */
  WD_CONFIG_ENUM,     /* one of names[] */
  WD_CONFIG_CIDRS     /* list of networks "[10.0.0.0/8, 2001:db8::/32]" */
} wd_config_type;

#define WD_CONFIG_REQUIRED 0x1u /* must be given (facility keys) */
#define WD_CONFIG_OPEN 0x2u     /* doubles: dmin and dmax excluded */

typedef struct wd_config_key {
  const char *name; /* dotted: "flow.timeouts.tcp_syn" */
  wd_config_type type;
  const char *def;          /* default as written in YAML; NULL: unset */
  uint64_t min, max;        /* integers: range in the field's unit; strings:
                               length; cidr lists: entries */
  double dmin, dmax;        /* doubles */
  uint32_t unit_ms;         /* durations: 1 (field in ms) or 1000 (seconds) */
  uint8_t size;             /* bytes of the field */
  uint8_t flags;            /* WD_CONFIG_REQUIRED | _OPEN */
  size_t off;               /* field offset in wd_config_t (wd_facility_t for
                               facility keys); cidr lists: the array pointer */
  size_t off_n;             /* cidr lists: offset of the size_t count */
  const char *const *names; /* enums: names in value order, NULL-ended */
  const char *help;         /* one line */
} wd_config_key_t;

/* Rows for key tables, in the struct T the offsets point into: the core
 * table (config_keys.c, T = wd_config_t) and tables from outside core.
 * A field whose size does not match its row is a compile error, not a
 * silent overwrite. Durations: lo and hi in the field's unit (seconds for
 * _SECS, milliseconds for _MS). */
#define WD_CONFIG_FIELD(T, m, sz)                                              \
  (offsetof(T, m) + 0 * sizeof(char[sizeof(((T *)0)->m) == (sz) ? 1 : -1]))
#define WD_CONFIG_INT_SIZE(T, m) (sizeof(((T *)0)->m) == 4 ? 4 : 8)
#define WD_CONFIG_INT_FIELD(T, m)                                              \
  WD_CONFIG_FIELD(T, m,                                                        \
                  sizeof(((T *)0)->m) == 4 || sizeof(((T *)0)->m) == 8         \
                      ? sizeof(((T *)0)->m)                                    \
                      : 0)
#define WD_KEY_BOOL(T, NAME, m, d, h)                                          \
  {                                                                            \
    .name = NAME, .type = WD_CONFIG_BOOL, .def = d, .size = sizeof(bool),      \
    .off = WD_CONFIG_FIELD(T, m, sizeof(bool)), .help = h                      \
  }
#define WD_KEY_NUM(T, NAME, t, m, d, lo, hi, h)                                \
  {                                                                            \
    .name = NAME, .type = t, .def = d, .min = lo, .max = hi,                   \
    .size = WD_CONFIG_INT_SIZE(T, m), .off = WD_CONFIG_INT_FIELD(T, m),        \
    .help = h                                                                  \
  }
#define WD_KEY_DURATION(T, NAME, unit, m, d, lo, hi, h)                        \
  {                                                                            \
    .name = NAME, .type = WD_CONFIG_DURATION, .def = d, .min = lo, .max = hi,  \
    .unit_ms = unit, .size = WD_CONFIG_INT_SIZE(T, m),                         \
    .off = WD_CONFIG_INT_FIELD(T, m), .help = h                                \
  }
#define WD_KEY_UINT(T, NAME, m, d, lo, hi, h)                                  \
  WD_KEY_NUM(T, NAME, WD_CONFIG_UINT, m, d, lo, hi, h)
#define WD_KEY_SIZE(T, NAME, m, d, lo, hi, h)                                  \
  WD_KEY_NUM(T, NAME, WD_CONFIG_SIZE, m, d, lo, hi, h)
#define WD_KEY_RATE(T, NAME, m, d, lo, hi, h)                                  \
  WD_KEY_NUM(T, NAME, WD_CONFIG_RATE, m, d, lo, hi, h)
#define WD_KEY_BITS(T, NAME, m, d, lo, hi, h)                                  \
  WD_KEY_NUM(T, NAME, WD_CONFIG_BITRATE, m, d, lo, hi, h)
#define WD_KEY_SECS(T, NAME, m, d, lo, hi, h)                                  \
  WD_KEY_DURATION(T, NAME, 1000, m, d, lo, hi, h)
#define WD_KEY_MS(T, NAME, m, d, lo, hi, h)                                    \
  WD_KEY_DURATION(T, NAME, 1, m, d, lo, hi, h)
/* A probability: a double strictly between 0 and 1. */
#define WD_KEY_PROB(T, NAME, m, d, h)                                          \
  {                                                                            \
    .name = NAME, .type = WD_CONFIG_DOUBLE, .def = d, .dmin = 0.0,             \
    .dmax = 1.0, .flags = WD_CONFIG_OPEN, .size = sizeof(double),              \
    .off = WD_CONFIG_FIELD(T, m, sizeof(double)), .help = h                    \
  }
#define WD_KEY_STR(T, NAME, m, d, fl, h)                                       \
  {                                                                            \
    .name = NAME, .type = WD_CONFIG_STRING, .def = d, .min = 0, .max = 4095,   \
    .flags = fl, .size = sizeof(char *),                                       \
    .off = WD_CONFIG_FIELD(T, m, sizeof(char *)), .help = h                    \
  }
/* m is a wd_cidr_list_t. */
#define WD_KEY_CIDRS(T, NAME, m, d, h)                                         \
  {                                                                            \
    .name = NAME, .type = WD_CONFIG_CIDRS, .def = d, .min = 0,                 \
    .max = WD_CIDR_LIST_MAX, .size = sizeof(wd_cidr_list_t),                   \
    .off = WD_CONFIG_FIELD(T, m.v, sizeof(wd_cidr_t *)),                       \
    .off_n = WD_CONFIG_FIELD(T, m.n, sizeof(size_t)), .help = h                \
  }

/* The key table (static storage); returns the number of rows. */
size_t wd_config_keys(const wd_config_key_t **out);
/* Keys of one item of the facilities list ("name", "networks", ...). */
size_t wd_config_facility_keys(const wd_config_key_t **out);
/* "size", "duration", ... as in docs/config.md. */
const char *wd_config_type_name(wd_config_type t);
/* True when the loaded file gave key (a name from the key table). */
bool wd_config_is_set(const wd_config_t *cfg, const char *key);

/* A key table from outside core (a stage's or a detector's own keys):
 * rows as in the core table, their offsets into a struct of size bytes
 * that the configuration allocates, fills with the rows' defaults and the
 * file's values, and owns (wd_config_extra). Its names are keys of the
 * same file ("detect.scan.theta0"), checked, suggested, dumped and known
 * to wd_config_is_set like the core ones; a name the core table or an
 * earlier table already has is refused (WD_ERR_INVAL). The table itself is
 * borrowed for the configuration's life (static storage). */
typedef struct wd_config_keyset {
  const wd_config_key_t *keys;
  size_t n;
  size_t size; /* bytes of the struct the rows' offsets point into */
  /* Checks across the table's keys once a file is read (NULL: none).
   * Returns NULL when conf is good; else the keys at fault, NULL-ended,
   * the one to report first (the message places the error at the one the
   * file gave last), with "problem; expected ..." in msg. */
  const char *const *(*check)(const void *conf, char *msg, size_t n);
} wd_config_keyset_t;

/* The struct of key table ks in cfg, or NULL when cfg was not loaded with
 * ks. Borrowed until wd_config_free. */
const void *wd_config_extra(const wd_config_t *cfg,
                            const wd_config_keyset_t *ks);

/* Sets key (a name of the core table or of a table cfg was loaded with)
 * from its text, as a file's scalar would ("30s", "10.0.0.0/8,
 * 192.168.0.0/16"); a key of a table from outside core is checked with
 * its table's check again (`--set KEY=VALUE`, tests).
 * On a bad key or value returns WD_ERR_CONFIG with "key: problem;
 * expected ..." in err and leaves cfg as it was. */
wd_rc wd_config_set(wd_config_t *cfg, const char *key, const char *value,
                    char *err, size_t errlen);

/* Typed values by key name, for a stage that reads another's key (a
 * detector reading another detector's threshold, once, at create): false
 * / NULL when cfg has no such key of that type. wd_config_uint takes any
 * integer key (counts, sizes, rates, durations in their field's unit). */
bool wd_config_bool(const wd_config_t *cfg, const char *key, bool *out);
bool wd_config_uint(const wd_config_t *cfg, const char *key, uint64_t *out);
const wd_cidr_list_t *wd_config_cidrs(const wd_config_t *cfg, const char *key);

/* Key's value as `ward config show` writes it, into buf (WD_ERR_NOTFOUND:
 * no such key; WD_ERR_INVAL: buf too small). */
wd_rc wd_config_get(const wd_config_t *cfg, const char *key, char *buf,
                    size_t n);

/* Writes the effective configuration as YAML that loads back to the same
 * values (`ward config show`). */
wd_rc wd_config_dump(const wd_config_t *cfg, FILE *out);

/* Built-in defaults, no file. */
wd_rc wd_config_defaults(wd_config_t **out);

/* Loads path; on error returns WD_ERR_CONFIG (or WD_ERR_IO) and writes a
 * one-line message "file:line:col: key: problem, expected ..." to err. */
wd_rc wd_config_load(const char *path, wd_config_t **out, char *err,
                     size_t errlen);

/* Loads from memory (tests, fuzzing); name is used in messages. */
wd_rc wd_config_load_buffer(const char *name, const char *buf, size_t len,
                            wd_config_t **out, char *err, size_t errlen);

/* Replaces the protected networks by a "CIDR[,CIDR...]" list (--home-net). */
wd_rc wd_config_set_home_net(wd_config_t *cfg, const char *list, char *err,
                             size_t errlen);

/* The same three with key tables from outside core (extra[0..n_extra),
 * none when n_extra is 0). */
wd_rc wd_config_defaults_extra(const wd_config_keyset_t *const *extra,
                               size_t n_extra, wd_config_t **out);
wd_rc wd_config_load_extra(const char *path,
                           const wd_config_keyset_t *const *extra,
                           size_t n_extra, wd_config_t **out, char *err,
                           size_t errlen);
wd_rc wd_config_load_buffer_extra(const char *name, const char *buf, size_t len,
                                  const wd_config_keyset_t *const *extra,
                                  size_t n_extra, wd_config_t **out, char *err,
                                  size_t errlen);

void wd_config_free(wd_config_t *cfg);

/* The facility holding addr, or NULL. With no facility configured,
 * wd_config_is_protected() falls back to home_net. */
const wd_facility_t *wd_config_facility_of(const wd_config_t *cfg,
                                           const wd_addr_t *addr);
bool wd_config_is_protected(const wd_config_t *cfg, const wd_addr_t *addr);

/* The database of incidents and notifications: store.url when set, else
 * db.path (its older name, a SQLite file). */
static inline const char *wd_config_store_url(const wd_config_t *c) {
  return c->store.url ? c->store.url : c->db.path;
}

#endif
