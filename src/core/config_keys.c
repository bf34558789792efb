/* config_keys.c -- the one table of configuration keys.
 * In: nothing. Out: static rows (name, type, default, range, field, help)
 * read by config.c to load, check, default and dump, and by the tests to
 * check etc/ward.yaml and docs/config.md. Defaults live only here. Rows of
 * one section stay together, in the order of etc/ward.yaml. A new key is
 * one row plus its field in wd_config_t (a stage's own keys can instead
 * come in a table of its own: wd_config_keyset_t). */
#include <stddef.h>

#include "core/config.h"

/* Rows of the core table: fields of wd_config_t (config.h macros). */
#define K_BOOL(NAME, m, d, h) WD_KEY_BOOL(wd_config_t, NAME, m, d, h)
#define K_UINT(NAME, m, d, lo, hi, h)                                          \
  WD_KEY_UINT(wd_config_t, NAME, m, d, lo, hi, h)
#define K_SIZE(NAME, m, d, lo, hi, h)                                          \
  WD_KEY_SIZE(wd_config_t, NAME, m, d, lo, hi, h)
#define K_RATE(NAME, m, d, lo, hi, h)                                          \
  WD_KEY_RATE(wd_config_t, NAME, m, d, lo, hi, h)
#define K_BITS(NAME, m, d, lo, hi, h)                                          \
  WD_KEY_BITS(wd_config_t, NAME, m, d, lo, hi, h)
#define K_SECS(NAME, m, d, lo, hi, h)                                          \
  WD_KEY_SECS(wd_config_t, NAME, m, d, lo, hi, h)
#define K_MS(NAME, m, d, lo, hi, h)                                            \
  WD_KEY_MS(wd_config_t, NAME, m, d, lo, hi, h)
#define K_PROB(NAME, m, d, h) WD_KEY_PROB(wd_config_t, NAME, m, d, h)
#define K_STR(NAME, m, d, fl, h) WD_KEY_STR(wd_config_t, NAME, m, d, fl, h)
#define K_CIDRS(NAME, m, d, h) WD_KEY_CIDRS(wd_config_t, NAME, m, d, h)

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define TiB (1024ull * GiB)
#define DAY 86400u

static const wd_config_key_t keys[] = {
    K_CIDRS("home_net", home_net,
            "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7",
            "networks protected when no facility is configured; given here "
            "or by --home-net, they replace the facilities' networks"),

    K_UINT("capture.snaplen", capture.snaplen, "262144", 64, WD_FRAME_MAX,
           "bytes kept of each live frame"),
    K_SIZE("capture.buffer_size", capture.buffer_bytes, "64 MiB", 1 * MiB,
           1 * GiB, "kernel capture buffer of a live interface"),
    K_MS("capture.timeout_ms", capture.timeout_ms, "100", 1, 10000,
         "live read timeout: longest wait before a batch is processed"),

    K_SIZE("memory.cap", memory.cap, "128 MiB", 16 * MiB, 1 * TiB,
           "all tables together; flow + stream + detect memcaps must "
           "fit"),

    K_UINT("flow.max", flow.max, "1000000", 1024, 100000000,
           "flows tracked at most; the oldest is recycled beyond"),
    K_SIZE("flow.memcap", flow.memcap, "80 MiB", 1 * MiB, 1 * TiB,
           "bytes of flow state at most"),
    K_SECS("flow.timeouts.tcp_syn", flow.tcp_syn_s, "30s", 1, DAY,
           "idle TCP flow whose handshake did not complete"),
    K_SECS("flow.timeouts.tcp_established", flow.tcp_est_s, "300s", 1, DAY,
           "idle established TCP flow"),
    K_SECS("flow.timeouts.tcp_closed", flow.tcp_close_s, "10s", 1, DAY,
           "TCP flow after FIN or RST"),
    K_SECS("flow.timeouts.udp", flow.udp_s, "60s", 1, DAY, "idle UDP flow"),
    K_SECS("flow.timeouts.icmp", flow.icmp_s, "30s", 1, DAY, "idle ICMP flow"),
    K_SECS("flow.timeouts.other", flow.other_s, "60s", 1, DAY,
           "idle flow of any other protocol"),

    K_SIZE("stream.memcap", stream.memcap, "16 MiB", 1 * MiB, 1 * TiB,
           "all TCP reassembly buffers together"),
    K_SIZE("stream.flow_buffer", stream.flow_buffer, "64 KiB", 4 * KiB,
           16 * MiB, "in-order bytes queued per direction of a flow"),
    K_SIZE("stream.window", stream.window, "128 KiB", 4 * KiB, 64 * MiB,
           "out-of-order bytes accepted ahead of the next expected byte"),
    K_UINT("stream.http_pipeline", stream.http_pipeline, "16", 1,
           WD_HTTP_PIPELINE_MAX,
           "HTTP requests of one connection awaiting their response "
           "(pipelining); more are counted and their responses unpaired"),

    K_SIZE("detect.memcap", detect.memcap, "32 MiB", 1 * MiB, 1 * TiB,
           "all detector state together"),
    K_SECS("detect.update_interval", detect.update_s, "60s", 1, DAY,
           "time between update alerts of an ongoing attack"),
    K_SECS("detect.end_after", detect.quiet_s, "10s", 1, 3600,
           "time below threshold before an attack is reported ended"),

    K_STR("outputs.eve.path", outputs.eve_path, NULL, 0,
          "EVE JSON file written (unset: none unless -o or --json)"),
    K_BOOL("outputs.eve.flow", outputs.flow_events, "false",
           "also write one flow event per finished flow"),
    K_SECS("outputs.eve.stats_interval", outputs.stats_interval_s, "60s", 0,
           DAY, "time between stats events when watching (0: at end only)"),
    K_STR("outputs.eve.protocols", outputs.eve_protocols, NULL, 0,
          "application events written: any of dns, tls, http, separated by "
          "commas (unset: none)"),
    K_UINT("outputs.eve.http_held", outputs.http_held, "1024", 16, 1048576,
           "HTTP requests held for their response, so that one http event "
           "has both (about 1.7 KiB each); when full the oldest is written "
           "without it and counted"),
    K_SECS("outputs.eve.http_wait", outputs.http_wait_s, "60s", 1, DAY,
           "how long a request waits for its response (traffic time) before "
           "its http event is written without it"),

    K_UINT("engine.queue", engine.queue, "1024", 16, 1048576,
           "records waiting between the packet thread and the worker (about "
           "2.3 KiB each); when full, evidence frames and flow events are "
           "dropped first (watch) or the packet thread waits (analyze)"),
    K_BOOL("engine.reader", engine.reader, "true",
           "read, copy and decode capture files on a thread of their own "
           "ahead of the packet thread (analyze, on a machine of two or "
           "more processors; never live capture, never with "
           "--profile-stages)"),
    K_UINT("engine.workers", engine.workers, "1", 1, 16,
           "packet threads of `ward analyze` (lanes): each follows every "
           "flow and runs its share of the detectors, with the alerts of "
           "one thread in the same order; more than one uses the reader "
           "thread (--workers)"),

    K_STR("attribution.country_db", attribution.country_db, NULL, 0,
          "MaxMind country database (.mmdb)"),
    K_STR("attribution.asn_db", attribution.asn_db, NULL, 0,
          "MaxMind ASN database (.mmdb)"),
    K_STR("attribution.directory", attribution.directory, NULL, 0,
          "directory of responsible parties (abuse contacts)"),

    K_SECS("incidents.quiet_window", incidents.quiet_window_s, "1h", 60,
           30 * DAY,
           "alerts about the same attack within this time join one incident"),

    K_STR("evidence.dir", evidence.dir, "/var/lib/ward/evidence", 0,
          "directory of evidence captures (pcap)"),
    K_UINT("evidence.packets_per_flow", evidence.packets_per_flow, "20", 0,
           10000, "packets kept as evidence from each attacking flow"),
    K_UINT("evidence.flood_sample", evidence.flood_sample, "200", 0, 1000000,
           "packets sampled as evidence of a flood"),

    K_STR("db.path", db.path, "/var/lib/ward/ward.db", 0,
          "SQLite database of incidents and notifications (older name of "
          "store.url)"),
    K_MS("db.busy_timeout", db.busy_timeout_ms, "10s", 1, 3600000,
         "longest wait for another ward process holding the database lock"),
    K_STR("store.url", store.url, NULL, 0,
          "database of incidents and notifications: a SQLite path or "
          "postgresql://user:pass@host:port/db (replaces db.path)"),

    K_STR("notify.from", notify.from, NULL, 0,
          "sender address of notification mails"),
    K_STR("notify.sender_name", notify.sender_name, NULL, 0,
          "sender name of notification mails (your CERT)"),
    K_STR("notify.smtp.url", notify.smtp_url, NULL, 0,
          "SMTP server, e.g. smtps://mail.example.org:465"),
    K_STR("notify.smtp.username", notify.smtp_username, NULL, 0,
          "SMTP user name"),
    K_STR("notify.smtp.password_file", notify.smtp_password_file, NULL, 0,
          "file holding the SMTP password (not the password)"),
    K_SIZE("notify.max_attachment", notify.max_attachment, "5 MiB", 0, 1 * GiB,
           "largest evidence attachment of one mail"),
    K_SECS("notify.max_age", notify.max_age_s, "7d", 3600, 365 * DAY,
           "a notification not delivered this long after it was queued is "
           "given up (failed; ward notify --requeue brings it back)"),
};

static const char *const sector_names[] = {
    "healthcare",         "energy",   "transport", "finance", "education",
    "government",         "research", "water",     "telecom", "public-health",
    "emergency-services", "other",    NULL};
static const char *const crit_names[] = {"critical", "high", "normal", NULL};

#define F_FIELD(m, sz) WD_CONFIG_FIELD(wd_facility_t, m, sz)

static const wd_config_key_t facility_keys[] = {
    {.name = "name",
     .type = WD_CONFIG_STRING,
     .min = 1,
     .max = WD_NAME_MAX - 1,
     .flags = WD_CONFIG_REQUIRED,
     .size = sizeof(char *),
     .off = F_FIELD(name, sizeof(char *)),
     .help = "name used in alerts and reports; unique"},
    {.name = "sector",
     .type = WD_CONFIG_ENUM,
     .def = "other",
     .size = sizeof(wd_sector),
     .off = F_FIELD(sector, sizeof(int)),
     .names = sector_names,
     .help = "sector of the facility: a built-in one or one listed under "
             "sectors:"},
    {.name = "criticality",
     .type = WD_CONFIG_ENUM,
     .def = "normal",
     .size = sizeof(wd_criticality),
     .off = F_FIELD(criticality, sizeof(int)),
     .names = crit_names,
     .help = "how much its outage matters: ranks incidents"},
    {.name = "networks",
     .type = WD_CONFIG_CIDRS,
     .min = 1,
     .max = WD_CIDR_LIST_MAX,
     .flags = WD_CONFIG_REQUIRED,
     .size = sizeof(wd_cidr_list_t),
     .off = F_FIELD(networks, sizeof(wd_cidr_t *)),
     .off_n = F_FIELD(n_networks, sizeof(size_t)),
     .help = "its networks; disjoint from every other facility's"},
    WD_KEY_RATE(wd_facility_t, "max_pps", max_pps, "0", 0, 10000000000ull,
                "packets per second to one of its hosts before "
                "detect.volumetric alerts (0: detect.volumetric.max_pps)"),
    WD_KEY_BITS(wd_facility_t, "max_bps", max_bps, "0", 0, 10000000000000ull,
                "bits per second to one of its hosts before detect.volumetric "
                "alerts (0: detect.volumetric.max_bps)"),
};

size_t wd_config_keys(const wd_config_key_t **out) {
  *out = keys;
  return sizeof keys / sizeof keys[0];
}

size_t wd_config_facility_keys(const wd_config_key_t **out) {
  *out = facility_keys;
  return sizeof facility_keys / sizeof facility_keys[0];
}

const char *wd_sector_name(wd_sector s) {
  return (unsigned)s < WD_SECTOR_OTHER + 1u ? sector_names[s] : "other";
}

const char *wd_facility_sector(const wd_facility_t *f) {
  return f->sector == WD_SECTOR_EXTRA && f->sector_name
             ? f->sector_name
             : wd_sector_name(f->sector);
}

const char *wd_criticality_name(wd_criticality c) {
  return (unsigned)c < WD_CRIT_NORMAL + 1u ? crit_names[c] : "normal";
}

const char *wd_config_type_name(wd_config_type t) {
  static const char *const names[] = {"bool", "uint",     "size",   "duration",
                                      "rate", "bitrate",  "double", "string",
                                      "enum", "cidr list"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
