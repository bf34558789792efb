/* notice_fixture.h -- sample incidents for the notify tests: one per
 * incident class ward produces (exploit, system compromise, DDoS with
 * spoofed sources and reflectors, scanning, worm), and a hostile variant
 * whose every network-derived string carries CR/LF, quotes, angle
 * brackets, bidi overrides and bytes that are not UTF-8.
 * Memory: static storage; fixture_get() fills a caller-owned notice whose
 * strings point into static data. */
#ifndef NOTICE_FIXTURE_H
#define NOTICE_FIXTURE_H

#include <string.h>

#include "notify/notice.h"

/* Directory of shared/ (schemas), found from this file's path. */
#define FIXTURE_SHARED_DIR (fixture_dir_of(__FILE__, "/../../../../shared"))

static inline const char *fixture_dir_of(const char *file, const char *rel) {
  static char buf[4096];
  const char *slash = strrchr(file, '/');
  size_t n = slash ? (size_t)(slash - file) : 0;
  int w = snprintf(buf, sizeof buf, "%.*s%s", (int)n, file, rel);
  return w > 0 && (size_t)w < sizeof buf ? buf : ".";
}

#define HOSTILE                                                                \
  "evil\r\nBcc: victim@example.org\r\n\r\n<script>&\"'\xff\xfe\xc0\xaf"        \
  "\xe2\x80\xae\x01"

enum {
  FX_EXPLOIT,
  FX_COMPROMISE,
  FX_DDOS,
  FX_SCAN,
  FX_WORM,
  FX_HOSTILE,
  FX_COUNT
};

static const char *const fx_detectors_smb[] = {"smb.ms17-010",
                                               "smb.doublepulsar"};
static const char *const fx_detectors_ddos[] = {"ddos.syn-flood",
                                                "ddos.amplification"};
static const char *const fx_detectors_scan[] = {"scan.horizontal"};
static const char *const fx_detectors_worm[] = {"worm.smb-fanout",
                                                "smb.ms17-010"};
static const char *const fx_details_hostile[] = {
    "SMB tree \\\\" HOSTILE "\\IPC$", "DNS name " HOSTILE ".example"};

/* Indicators matched: a STIX feed's own (id, pattern, times), a CSV
 * URL whose pattern needs escaping; hostile ones (not JSON, controls). */
#define FX_STIX_ID "indicator--0d7e1f5a-3c2b-4e8f-9a6d-1b2c3d4e5f60"
static const wd_notice_intel_t fx_intel[] = {
    {"c2.badcontent.example", "domain-name", "apt-feed.json", FX_STIX_ID,
     "dns.query",
     "{\"created\":\"2026-01-01T00:00:00.000Z\",\"id\":\"" FX_STIX_ID
     "\",\"modified\":\"2026-01-02T00:00:00Z\",\"pattern\":\"[domain-name:"
     "value = 'c2.badcontent.example']\"}",
     1776330169000000000ull, 1776330189000000000ull, 3},
    {"http://files.example.org/it's\\drop.bin", "url", "list.csv", "line 2",
     "http.url", NULL, 1776330170000000000ull, 1776330170000000000ull, 1},
};
static const wd_notice_intel_t fx_intel_hostile[] = {
    {"http://x.example/" HOSTILE, "url", "feed " HOSTILE, "ref " HOSTILE,
     "http.url", "{not json " HOSTILE, 1776330169000000000ull, 0, 2},
    {"192.0.2.0/24", "ipv4-addr", "feed", "line 9", "dest_ip",
     "{\"id\":\"indicator--x\",\"pattern\":\"[x]\"}", 0, 0, 0},
};

static inline wd_addr_t fx_ip(const char *s) {
  wd_addr_t a;
  memset(&a, 0, sizeof a);
  wd_addr_parse(s, &a);
  return a;
}

#define FX_T0 1776330169000000000ull /* 2026-04-16T09:02:49Z */

static inline void fixture_get(int which, wd_notice_incident_t *n) {
  static wd_notice_attacker_t att[FX_COUNT][4];
  static wd_notice_target_t tgt[FX_COUNT][3];
  wd_notice_attacker_t *a = att[which];
  wd_notice_target_t *t = tgt[which];
  memset(n, 0, sizeof *n);
  memset(a, 0, sizeof att[which]);
  memset(t, 0, sizeof tgt[which]);
  n->sender_name = "Example National CSIRT";
  n->sender_email = "cert@csirt.example";
  n->report_ns = FX_T0 + 3600ull * 1000000000ull;
  n->first_seen_ns = FX_T0;
  n->last_seen_ns = FX_T0 + 41ull * 1000000000ull;
  n->severity = "critical";
  n->alerts = 3;
  n->packets = 1234;
  n->evidence_path = "/var/lib/ward/evidence/WARD-2026-000042.pcap";
  n->evidence_sha256 =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  n->evidence_bytes = 48213;
  n->party.name = "CERT-SE";
  n->party.kind = "national-cert";
  n->party.email = "cert@cert.se.example";
  n->party.format = "iodef";
  n->party.language = "en";
  n->party.deadline_hours = 72;
  n->party.matched_by = "asn 29518";
  n->attackers = a;
  n->targets = t;
  n->proto = 6;
  a[0].ip = fx_ip("89.160.20.112");
  a[0].country = "SE";
  a[0].asn = 29518;
  a[0].as_org = "Bredband2 AB";
  a[0].attribution_reliable = true;
  n->n_attackers = 1;
  t[0].ip = fx_ip("198.51.100.23");
  t[0].facility = "St. Example University Hospital";
  t[0].sector = "healthcare";
  t[0].port = 445;
  t[1].ip = fx_ip("10.20.1.5");
  t[1].facility = "St. Example University Hospital";
  t[1].sector = "healthcare";
  t[1].port = 445;
  n->n_targets = 2;
  switch (which) {
  case FX_EXPLOIT:
    n->id = "WARD-2026-000041";
    n->rsit_class = "intrusion-attempts";
    n->rsit_type = "exploit";
    n->severity = "high";
    n->detectors = fx_detectors_smb;
    n->n_detectors = 1;
    break;
  case FX_COMPROMISE:
    n->id = "WARD-2026-000042";
    n->rsit_class = "intrusions";
    n->rsit_type = "system-compromise";
    n->detectors = fx_detectors_smb;
    n->n_detectors = 2;
    n->intel = fx_intel;
    n->n_intel = 2;
    break;
  case FX_DDOS:
    n->id = "WARD-2026-000043";
    n->rsit_class = "availability";
    n->rsit_type = "ddos";
    n->ongoing = true;
    n->detectors = fx_detectors_ddos;
    n->n_detectors = 2;
    n->peak_pps = 250000;
    n->peak_bps = 1800000000ull;
    n->packets = 90000000ull;
    a[0].role = WD_NOTICE_ROLE_REFLECTOR;
    a[1].ip = fx_ip("2001:db8::53");
    a[1].role = WD_NOTICE_ROLE_REFLECTOR;
    a[1].country = "DE";
    a[1].asn = 64500;
    a[1].as_org = "Example Telecom";
    a[1].attribution_reliable = true;
    a[2].ip = fx_ip("203.0.113.77");
    a[2].attribution_reliable = false;
    a[2].reason = "spoofed SYN flood: 50000 random source addresses";
    n->n_attackers = 3;
    n->n_targets = 1;
    t[0].port = 443;
    n->proto = 17;
    break;
  case FX_SCAN:
    n->id = "WARD-2026-000044";
    n->rsit_class = "information-gathering";
    n->rsit_type = "scanning";
    n->severity = "low";
    n->detectors = fx_detectors_scan;
    n->n_detectors = 1;
    n->evidence_path = NULL;
    n->evidence_sha256 = NULL;
    n->evidence_bytes = 0;
    break;
  case FX_WORM:
    n->id = "WARD-2026-000045";
    n->rsit_class = "malicious-code";
    n->rsit_type = "worm";
    n->detectors = fx_detectors_worm;
    n->n_detectors = 2;
    n->party.name = "St. Example SOC";
    n->party.kind = "facility-soc";
    n->party.email = "soc@hospital.example";
    n->party.matched_by = "facility St. Example University Hospital";
    a[0].ip = fx_ip("10.20.0.7");
    a[0].role = WD_NOTICE_ROLE_INFECTED;
    a[0].country = NULL;
    a[0].asn = 0;
    a[0].as_org = NULL;
    a[1].ip = fx_ip("10.20.3.9");
    a[1].role = WD_NOTICE_ROLE_INFECTED;
    a[1].attribution_reliable = true;
    a[1].infected_by = "10.20.0.7";
    n->n_attackers = 2;
    break;
  case FX_HOSTILE:
    n->id = "WARD-2026-000046";
    n->rsit_class = "intrusions";
    n->rsit_type = "system-compromise";
    n->summary = "summary " HOSTILE;
    n->detectors = fx_detectors_smb;
    n->n_detectors = 2;
    n->details = fx_details_hostile;
    n->n_details = 2;
    n->intel = fx_intel_hostile;
    n->n_intel = 2;
    n->party.name = "CERT " HOSTILE;
    n->sender_name = "Sender \xc3\xa9quipe \"CSIRT\" <x> " HOSTILE;
    a[0].as_org = "AS-ORG " HOSTILE;
    a[0].country = "S\r\nE";
    a[0].reason = "reason " HOSTILE;
    a[0].attribution_reliable = false;
    t[0].facility = "Facility " HOSTILE;
    t[0].sector = "health\r\ncare";
    n->evidence_path = "/tmp/evil\r\nX: y/" HOSTILE ".pcap";
    break;
  }
}

#endif
