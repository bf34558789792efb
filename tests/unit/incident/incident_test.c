/* incident_test.c -- tests of src/incident/incident.c: correlation of
 * alerts into incidents (exploit + implant -> one system-compromise; a
 * worm of several hosts -> one incident with the order of infection; a
 * long flood -> one incident; spoofed -> unreliable attribution;
 * reflection -> reflectors as parties; re-analysis -> no duplicate), the
 * quiet window, events, severity from facility criticality, directory
 * parties and evidence captures. The configuration is built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "incident/evidence.h"
#include "incident/incident.h"

#define T0 1770199200000000000ull /* 2026-02-04 10:00:00 UTC */
#define SEC 1000000000ull

static char dir[64];
static char db[128], evdir[128], dirfile[128];
static char country_db[600], asn_db[600];
static bool have_geo;

static wd_cidr_t net_mary, net_ministry;
static wd_facility_t facs[2];
static wd_config_t cfg;

typedef struct ev_log {
  int n;
  char what[64][8];
  char id[64][WD_STORE_ID_LEN];
  char type[64][48];
} ev_log_t;

static ev_log_t evs;

static void on_event(void *user, const wd_incident_t *inc, const char *what) {
  ev_log_t *l = user;
  json_t *j = wd_incident_json(inc); /* the form must always build */
  assert_non_null(j);
  json_decref(j);
  if (l->n < 64) {
    snprintf(l->what[l->n], sizeof l->what[0], "%s", what);
    snprintf(l->id[l->n], sizeof l->id[0], "%s", inc->id);
    snprintf(l->type[l->n], sizeof l->type[0], "%s", inc->rsit_type);
    l->n++;
  }
}

static const char directory[] = "parties:\n"
                                "  - name: CERT-SE\n"
                                "    kind: national-cert\n"
                                "    email: cert@cert.se\n"
                                "    countries: [SE]\n"
                                "  - name: Bredband2 abuse\n"
                                "    kind: isp-abuse\n"
                                "    email: abuse@bredband2.example\n"
                                "    prefixes: [89.160.0.0/16]\n"
                                "  - name: US abuse\n"
                                "    kind: isp-abuse\n"
                                "    email: abuse@us.example\n"
                                "    asns: [209]\n"
                                "  - name: Mary SOC\n"
                                "    kind: facility-soc\n"
                                "    email: soc@mary.example\n"
                                "    facilities: [\"St. Mary's Hospital\"]\n";

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/wd_incident_test.XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(evdir, sizeof evdir, "%s/evidence", dir);
  snprintf(dirfile, sizeof dirfile, "%s/directory.yaml", dir);
  FILE *f = fopen(dirfile, "w");
  fputs(directory, f);
  fclose(f);
  char root[512];
  snprintf(root, sizeof root, "%s", __FILE__);
  char *cut = strstr(root, "/tests/unit/");
  if (cut) {
    *cut = 0;
    snprintf(country_db, sizeof country_db,
             "%s/../shared/data/geo/GeoLite2-Country-Test.mmdb", root);
    snprintf(asn_db, sizeof asn_db,
             "%s/../shared/data/geo/GeoLite2-ASN-Test.mmdb", root);
    have_geo = access(country_db, R_OK) == 0 && access(asn_db, R_OK) == 0;
  }
  wd_log_threshold = WD_LOG_ERROR;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database and configuration for each test. */
static int per_test(void **state) {
  (void)state;
  static int k;
  snprintf(db, sizeof db, "%s/t%d.db", dir, ++k);
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(wd_cidr_parse("10.2.0.0/16", &net_mary), WD_OK);
  assert_int_equal(wd_cidr_parse("10.10.10.0/24", &net_ministry), WD_OK);
  facs[0] = (wd_facility_t){.name = "St. Mary's Hospital",
                            .sector = WD_SECTOR_HEALTHCARE,
                            .criticality = WD_CRIT_CRITICAL,
                            .networks = &net_mary,
                            .n_networks = 1};
  facs[1] = (wd_facility_t){.name = "Health Ministry",
                            .sector = WD_SECTOR_GOVERNMENT,
                            .criticality = WD_CRIT_NORMAL,
                            .networks = &net_ministry,
                            .n_networks = 1};
  cfg.facilities = facs;
  cfg.n_facilities = 2;
  cfg.incidents.quiet_window_s = 600;
  cfg.evidence.dir = evdir;
  cfg.evidence.packets_per_flow = 5;
  cfg.evidence.flood_sample = 20;
  cfg.attribution.directory = dirfile;
  if (have_geo) {
    cfg.attribution.country_db = country_db;
    cfg.attribution.asn_db = asn_db;
  }
  memset(&evs, 0, sizeof evs);
  return 0;
}

static wd_incidents_t *open_inc(void) {
  wd_incidents_t *x;
  char err[256];
  wd_rc rc = wd_incidents_new(&cfg, db, on_event, &evs, &x, err, sizeof err);
  if (rc != WD_OK)
    fail_msg("wd_incidents_new: %s", err);
  return x;
}

static wd_alert_t mk(const char *det, const char *cls, const char *type,
                     wd_alert_state st, uint64_t id, uint64_t ts,
                     uint64_t start, const char *src, const char *dst) {
  wd_alert_t a;
  memset(&a, 0, sizeof a);
  a.detector = det;
  a.signature = det;
  a.rsit_class = cls;
  a.rsit_type = type;
  a.severity = 2;
  a.state = st;
  a.attack_id = id;
  a.ts_ns = ts;
  a.start_ns = start;
  if (src) {
    a.has_src = true;
    assert_int_equal(wd_addr_parse(src, &a.src), WD_OK);
  }
  if (dst)
    assert_int_equal(wd_addr_parse(dst, &a.dst), WD_OK);
  return a;
}

/* A fake Ethernet frame of flow id / to dst with a number in it. */
static void packet(wd_incidents_t *x, uint64_t ts, uint64_t flow_id,
                   const char *dst, unsigned n) {
  static uint8_t frame[80];
  memset(frame, 0, sizeof frame);
  frame[12] = 0x08; /* IPv4 ethertype, the rest is not decoded here */
  frame[60] = (uint8_t)n;
  frame[61] = (uint8_t)flow_id;
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  p.ts_ns = ts;
  p.linktype = 1;
  p.frame = frame;
  p.caplen = p.wirelen = sizeof frame;
  p.ip_version = 4;
  assert_int_equal(wd_addr_parse(dst, &p.dst), WD_OK);
  wd_flow_t f;
  memset(&f, 0, sizeof f);
  f.id = flow_id;
  wd_incidents_packet(x, &p, flow_id ? &f : NULL);
}

static size_t count_incidents(wd_store_t *s, char (**ids)[WD_STORE_ID_LEN]) {
  size_t n;
  assert_int_equal(wd_store_incident_ids(s, NULL, ids, &n), WD_OK);
  return n;
}

static int pcap_count(const char *path) {
  char e[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(path, e);
  if (!p)
    return -1;
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1)
    n++;
  pcap_close(p);
  return n;
}

/* ms17-010 exploitation followed by a DoublePulsar answer. */
static void run_exploit(wd_incidents_t *x) {
  for (unsigned i = 0; i < 3; i++) /* before the alert: in the ring */
    packet(x, T0 + i * 1000, 7, "10.2.0.7", i);
  wd_alert_t a =
      mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 1,
         T0 + 5000, T0, "89.160.20.112", "10.2.0.7");
  a.flow_id = 7;
  wd_alert_add_u64(&a, "packets", 40);
  wd_incidents_alert(x, &a);
  for (unsigned i = 3; i < 20; i++) /* after: watched, up to 5 in all */
    packet(x, T0 + i * 1000, 7, "10.2.0.7", i);
  packet(x, T0 + 30000, 8, "10.2.0.9", 99); /* another flow: not kept */
  wd_incidents_tick(x, T0 + SEC);
  wd_alert_t b =
      mk("smb.doublepulsar", "intrusions", "system-compromise", WD_ALERT_START,
         2, T0 + 2 * SEC, T0 + 2 * SEC, "89.160.20.112", "10.2.0.7");
  b.severity = 1;
  wd_incidents_alert(x, &b);
  a.state = WD_ALERT_END;
  a.ts_ns = T0 + 3 * SEC;
  wd_incidents_alert(x, &a);
  wd_incidents_tick(x, T0 + 3 * SEC);
}

static void test_exploit_implant_one_incident(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  run_exploit(x);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  wd_store_t *s = wd_incidents_store(x);
  assert_int_equal(count_incidents(s, &ids), 1);
  assert_string_equal(ids[0], "WARD-2026-000001");
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(s, ids[0], &inc), WD_OK);
  free(ids);
  assert_string_equal(inc.rsit_class, "intrusions");
  assert_string_equal(inc.rsit_type, "system-compromise");
  assert_string_equal(inc.line, "intrusion");
  assert_int_equal(inc.severity, 1); /* critical healthcare */
  assert_int_equal(inc.alerts, 3);   /* start + end, implant start */
  assert_int_equal(inc.packets, 40);
  assert_int_equal(inc.n_attacks, 2);
  assert_false(inc.active);
  assert_string_equal(inc.facility, "St. Mary's Hospital");
  assert_string_equal(inc.sector, "healthcare");
  assert_int_equal(inc.n_attackers, 1);
  assert_string_equal(inc.attackers[0].ip, "89.160.20.112");
  assert_true(inc.attackers[0].reliable);
  if (have_geo) {
    assert_string_equal(inc.attackers[0].country, "SE");
    assert_int_equal(inc.attackers[0].asn, 29518);
    assert_string_equal(inc.attackers[0].as_org, "Bredband2 AB");
  }
  /* the prefix entry beats the country entry */
  assert_true(inc.party.set);
  assert_string_equal(inc.party.name, "Bredband2 abuse");
  assert_string_equal(inc.party.matched_by, "prefix 89.160.0.0/16");
  assert_int_equal(inc.n_targets, 1);
  assert_string_equal(inc.targets[0].facility, "St. Mary's Hospital");
  /* evidence: the first 5 packets of flow 7, never the other flow */
  assert_true(inc.evidence_path[0]);
  assert_int_equal(strlen(inc.evidence_sha256), 64);
  assert_int_equal(inc.evidence_packets, 5);
  assert_int_equal(pcap_count(inc.evidence_path), 5);
  char sha[65];
  assert_int_equal(wd_evidence_sha256_file(inc.evidence_path, sha), WD_OK);
  assert_string_equal(sha, inc.evidence_sha256);
  /* events: open first, close last, nothing after */
  assert_true(evs.n >= 2);
  assert_string_equal(evs.what[0], "open");
  assert_string_equal(evs.id[0], "WARD-2026-000001");
  assert_string_equal(evs.what[evs.n - 1], "close");
  assert_string_equal(evs.type[evs.n - 1], "system-compromise");
  /* the JSON form */
  json_t *j = wd_incident_json(&inc);
  assert_string_equal(json_string_value(json_object_get(j, "type")),
                      "system-compromise");
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(j, "evidence"), "sha256")),
                      inc.evidence_sha256);
  json_decref(j);
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
}

static void test_reanalysis_no_duplicate(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  run_exploit(x);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  wd_incident_t first;
  assert_int_equal(
      wd_store_incident_get(wd_incidents_store(x), "WARD-2026-000001", &first),
      WD_OK);
  wd_incidents_free(x);
  /* the same capture again */
  x = open_inc();
  run_exploit(x);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  wd_incidents_stats_t st;
  wd_incidents_stats(x, &st);
  assert_int_equal(st.opened, 0);
  assert_int_equal(st.merged, 1);
  assert_int_equal(st.evidence_files, 0); /* same bytes: kept the first */
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t again;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &again),
                   WD_OK);
  free(ids);
  assert_string_equal(again.id, first.id);
  assert_int_equal(again.alerts, first.alerts);
  assert_int_equal(again.n_attacks, first.n_attacks);
  assert_string_equal(again.evidence_path, first.evidence_path);
  assert_string_equal(again.evidence_sha256, first.evidence_sha256);
  wd_store_incident_fini(&first);
  wd_store_incident_fini(&again);
  wd_incidents_free(x);
}

static void test_worm_infection_order(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  const char *A = "10.2.0.7", *B = "10.2.0.8", *C = "10.2.0.9";
  wd_alert_t a;
  /* A fans out from T+5; its exploit reaches B at T+10 */
  a = mk("worm.smb-fanout", "intrusion-attempts", "exploit", WD_ALERT_START, 1,
         T0 + 8 * SEC, T0 + 5 * SEC, A, NULL);
  wd_incidents_alert(x, &a);
  a = mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 2,
         T0 + 11 * SEC, T0 + 10 * SEC, A, B);
  wd_incidents_alert(x, &a);
  wd_incidents_tick(x, T0 + 12 * SEC);
  /* B's exploit of C arrives before B's fan-out alert (detector delay) */
  a = mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 3,
         T0 + 41 * SEC, T0 + 40 * SEC, B, C);
  wd_incidents_alert(x, &a);
  a = mk("worm.smb-fanout", "intrusion-attempts", "exploit", WD_ALERT_START, 4,
         T0 + 42 * SEC, T0 + 30 * SEC, B, NULL);
  wd_incidents_alert(x, &a);
  a = mk("worm.smb-fanout", "intrusion-attempts", "exploit", WD_ALERT_START, 5,
         T0 + 65 * SEC, T0 + 60 * SEC, C, NULL);
  wd_incidents_alert(x, &a);
  /* an exploit of A by C later does not make C A's infector */
  a = mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 6,
         T0 + 70 * SEC, T0 + 70 * SEC, C, A);
  wd_incidents_alert(x, &a);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_string_equal(inc.line, "worm");
  assert_string_equal(inc.rsit_class, "malicious-code");
  assert_string_equal(inc.rsit_type, "worm");
  assert_int_equal(inc.n_hosts, 3);
  assert_string_equal(inc.hosts[0].ip, A);
  assert_string_equal(inc.hosts[0].infected_by, "");
  assert_int_equal(inc.hosts[0].active_ns, T0 + 5 * SEC);
  assert_string_equal(inc.hosts[1].ip, B);
  assert_string_equal(inc.hosts[1].infected_by, A);
  assert_int_equal(inc.hosts[1].infected_ns, T0 + 10 * SEC);
  assert_string_equal(inc.hosts[2].ip, C);
  assert_string_equal(inc.hosts[2].infected_by, B);
  assert_non_null(strstr(inc.summary, "3 hosts"));
  assert_non_null(strstr(inc.summary, "from 10.2.0.7"));
  assert_non_null(strstr(inc.summary, "St. Mary's Hospital"));
  assert_true(inc.party.set);
  assert_string_equal(inc.party.name, "Mary SOC");
  assert_string_equal(inc.party.matched_by, "facility St. Mary's Hospital");
  /* attackers are internal: no country, reliable, their facility's team */
  for (size_t i = 0; i < inc.n_attackers; i++) {
    assert_string_equal(inc.attackers[i].country, "");
    assert_string_equal(inc.attackers[i].party, "Mary SOC");
  }
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
}

static void test_flood_one_incident_spoofed(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  const char *V = "10.10.10.10";
  wd_alert_t a = mk("ddos.syn-flood", "availability", "ddos", WD_ALERT_START, 9,
                    T0 + SEC, T0, NULL, V);
  wd_alert_add_bool(&a, "spoofed", true);
  wd_alert_add_u64(&a, "sources", 37623);
  wd_alert_add_u64(&a, "peak_pps", 23620);
  wd_incidents_alert(x, &a);
  for (unsigned i = 0; i < 200; i++)
    packet(x, T0 + SEC + i * 1000, 1000 + i, V, i); /* flood sample */
  for (int k = 1; k <= 50; k++) {
    a.state = WD_ALERT_UPDATE;
    a.ts_ns = T0 + (uint64_t)(k + 1) * 10 * SEC; /* 8+ minutes in all */
    a.metrics[2].v.u = 20000 + (uint64_t)k * 10;
    wd_incidents_alert(x, &a);
    wd_incidents_tick(x, a.ts_ns);
  }
  a.state = WD_ALERT_END;
  a.ts_ns += 10 * SEC;
  wd_incidents_alert(x, &a);
  /* the same flood also seen with a source address, said spoofed */
  wd_alert_t b = mk("ddos.volumetric", "availability", "ddos", WD_ALERT_START,
                    10, T0 + 20 * SEC, T0 + 19 * SEC, "216.160.83.58", V);
  wd_alert_add_bool(&b, "spoofed", true);
  wd_incidents_alert(x, &b);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_string_equal(inc.line, "ddos");
  assert_true(inc.spoofed);
  assert_int_equal(inc.alerts, 52 + 1);
  assert_int_equal(inc.peak_pps, 23620);
  assert_int_equal(inc.sources, 37623);
  assert_non_null(strstr(inc.attribution, "spoofed"));
  assert_non_null(strstr(inc.summary, "spoofed"));
  assert_int_equal(inc.n_attackers, 1);
  assert_false(inc.attackers[0].reliable);
  assert_non_null(strstr(inc.attackers[0].reason, "spoofed"));
  /* no party from a spoofed source address */
  assert_false(inc.party.set);
  assert_non_null(strstr(inc.party.matched_by, "Health Ministry"));
  assert_int_equal(inc.evidence_packets, 20); /* flood_sample */
  wd_store_incident_fini(&inc);
  /* events: one open, updates, one close for the one incident */
  int opens = 0, closes = 0;
  for (int i = 0; i < evs.n; i++) {
    opens += strcmp(evs.what[i], "open") == 0;
    closes += strcmp(evs.what[i], "close") == 0;
  }
  assert_int_equal(opens, 1);
  assert_int_equal(closes, 1);
  wd_incidents_free(x);
}

static void test_amplification_reflectors(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  wd_alert_t a =
      mk("ddos.amplification", "availability", "ddos", WD_ALERT_START, 3,
         T0 + SEC, T0, "216.160.83.58", "10.10.10.10");
  wd_alert_add_str(&a, "protocol", "SNMP");
  wd_alert_add_u64(&a, "reflectors", 4028);
  wd_alert_add_str(&a, "top_reflectors",
                   "216.160.83.58:50, 89.160.20.112:40, [2001:218::1]:3, "
                   "junk, 89.160.20.130");
  wd_incidents_alert(x, &a);
  wd_addr_t more[1];
  assert_int_equal(wd_addr_parse("67.43.156.1", &more[0]), WD_OK);
  wd_incidents_sources(x, &a, more, 1);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_int_equal(inc.n_attackers, 5);
  for (size_t i = 0; i < inc.n_attackers; i++) {
    assert_string_equal(inc.attackers[i].role, "reflector");
    assert_true(inc.attackers[i].reliable);
  }
  assert_int_equal(inc.sources, 4028);
  assert_non_null(strstr(inc.summary, "SNMP amplification"));
  assert_non_null(strstr(inc.attribution, "reflectors"));
  /* two reflectors in 89.160/16: that party is told, as reflectors */
  assert_true(inc.party.set);
  assert_string_equal(inc.party.name, "Bredband2 abuse");
  assert_non_null(strstr(inc.party.matched_by, "reflectors"));
  json_t *j = wd_incident_json(&inc);
  assert_int_equal(json_array_size(json_object_get(j, "reflectors")), 5);
  assert_int_equal(json_array_size(json_object_get(j, "attackers")), 0);
  json_decref(j);
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
}

/* ddos.amplification names its reflectors in reflectors_sample: they are
 * the incident's reflectors, and their party is told. */
static void test_amplification_reflectors_sample(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  wd_alert_t a = mk("ddos.amplification", "availability", "ddos",
                    WD_ALERT_START, 4, T0 + SEC, T0, NULL, "10.10.10.10");
  wd_alert_add_str(&a, "protocol", "dns");
  wd_alert_add_u64(&a, "reflectors", 2008);
  wd_alert_add_str(&a, "reflectors_sample",
                   "89.160.20.112,89.160.20.130,216.160.83.58");
  wd_incidents_alert(x, &a);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_int_equal(inc.n_attackers, 3);
  for (size_t i = 0; i < inc.n_attackers; i++)
    assert_string_equal(inc.attackers[i].role, "reflector");
  assert_true(inc.party.set);
  assert_string_equal(inc.party.name, "Bredband2 abuse");
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
}

static void test_quiet_window_and_lines(void **state) {
  (void)state;
  wd_incidents_t *x = open_inc();
  /* a scan, then 20 min later (past the 10 min window) an exploit */
  wd_alert_t a = mk("scan.horizontal", "information-gathering", "scanning",
                    WD_ALERT_START, 1, T0, T0, "2001:218::1", "10.10.10.1");
  a.severity = 3;
  wd_incidents_alert(x, &a);
  wd_incidents_tick(x, T0 + SEC);
  wd_incidents_tick(x, T0 + 601 * SEC); /* closes the scan incident */
  int closes = 0;
  for (int i = 0; i < evs.n; i++)
    closes += strcmp(evs.what[i], "close") == 0;
  assert_int_equal(closes, 1);
  a = mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 2,
         T0 + 1200 * SEC, T0 + 1200 * SEC, "2001:218::1", "10.10.10.2");
  wd_incidents_alert(x, &a);
  /* another attacker against the same facility: its own incident */
  a = mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 3,
         T0 + 1201 * SEC, T0 + 1201 * SEC, "216.160.83.58", "10.10.10.2");
  wd_incidents_alert(x, &a);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 3);
  wd_incident_t inc;
  /* newest first: the 216.160.83.58 one */
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  assert_string_equal(inc.attackers[0].ip, "216.160.83.58");
  assert_int_equal(inc.severity, 2); /* normal criticality: as detected */
  if (have_geo) {
    assert_true(inc.party.set); /* AS209 */
    assert_string_equal(inc.party.matched_by, "asn 209");
    /* AS209 has no organization name in the test database: no blank
       before the parenthesis */
    assert_non_null(strstr(inc.summary, "(US, AS209)"));
  }
  assert_null(strstr(inc.summary, " )"));
  wd_store_incident_fini(&inc);
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[2], &inc),
                   WD_OK);
  assert_string_equal(inc.rsit_type, "scanning");
  assert_int_equal(inc.severity, 3);
  if (have_geo)
    assert_string_equal(inc.attackers[0].country, "JP");
  wd_store_incident_fini(&inc);
  free(ids);
  wd_incidents_free(x);
}

static void test_lines_and_ranks(void **state) {
  (void)state;
  assert_string_equal(wd_incident_line("ddos.amplification", false, true),
                      "ddos");
  assert_string_equal(wd_incident_line("worm.smb-fanout", true, true), "worm");
  assert_string_equal(wd_incident_line("worm.smb-fanout", false, true),
                      "intrusion");
  assert_string_equal(wd_incident_line("smb.ms17-010", true, true), "worm");
  assert_string_equal(wd_incident_line("smb.ms17-010", false, true),
                      "intrusion");
  assert_string_equal(wd_incident_line("scan.vertical", false, true),
                      "intrusion");
  assert_true(wd_incident_class_rank("intrusions", "system-compromise") >
              wd_incident_class_rank("intrusion-attempts", "exploit"));
  assert_true(wd_incident_class_rank("intrusion-attempts", "exploit") >
              wd_incident_class_rank("information-gathering", "scanning"));
  assert_true(wd_incident_class_rank("malicious-code", "worm") >
              wd_incident_class_rank("intrusions", "system-compromise"));
}

static void test_bad_directory_and_missing_geo(void **state) {
  (void)state;
  char bad[160];
  snprintf(bad, sizeof bad, "%s/bad.yaml", dir);
  FILE *f = fopen(bad, "w");
  fputs("parties:\n  - name: X\n    kind: nope\n", f);
  fclose(f);
  cfg.attribution.directory = bad;
  wd_incidents_t *x;
  char err[256];
  assert_int_equal(wd_incidents_new(&cfg, db, NULL, NULL, &x, err, sizeof err),
                   WD_ERR_CONFIG);
  assert_non_null(strstr(err, "bad.yaml:3:11: kind:"));
  /* missing geo databases: a warning, incidents still work */
  cfg.attribution.directory = NULL;
  cfg.attribution.country_db = "/nonexistent/country.mmdb";
  cfg.attribution.asn_db = "/nonexistent/asn.mmdb";
  cfg.evidence.dir = NULL;
  assert_int_equal(wd_incidents_new(&cfg, db, NULL, NULL, &x, err, sizeof err),
                   WD_OK);
  wd_alert_t a = mk("smb.ms17-010", "intrusion-attempts", "exploit",
                    WD_ALERT_START, 1, T0, T0, "89.160.20.112", "10.2.0.7");
  wd_incidents_alert(x, &a);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  wd_incident_t inc;
  assert_int_equal(
      wd_store_incident_get(wd_incidents_store(x), "WARD-2026-000001", &inc),
      WD_OK);
  assert_string_equal(inc.attackers[0].country, "");
  assert_non_null(strstr(inc.attackers[0].reason, "unknown"));
  assert_false(inc.party.set);
  assert_string_equal(inc.evidence_path, "");
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
  /* no database path at all */
  cfg.db.path = NULL;
  assert_int_not_equal(
      wd_incidents_new(&cfg, NULL, NULL, NULL, &x, err, sizeof err), WD_OK);
}

/* The sensors that saw an incident: this host when the alert names none,
 * else the alert's sensor (alerts ingested from a fleet), each with the
 * evidence times of its own alerts; a later run of another sensor over
 * the same attack adds itself to the same incident. */
static void test_sensors_from_alerts(void **state) {
  (void)state;
  char host[WD_STORE_SENSOR_LEN] = "";
  assert_int_equal(gethostname(host, sizeof host - 1), 0);
  wd_incidents_t *x = open_inc();
  wd_alert_t a =
      mk("smb.ms17-010", "intrusion-attempts", "exploit", WD_ALERT_START, 1,
         T0 + 5000, T0, "89.160.20.112", "10.2.0.7");
  wd_incidents_alert(x, &a); /* this host */
  wd_alert_t b =
      mk("smb.doublepulsar", "intrusions", "system-compromise", WD_ALERT_START,
         2, T0 + 2 * SEC, T0 + 2 * SEC, "89.160.20.112", "10.2.0.7");
  b.sensor = "edge-2";
  wd_incidents_alert(x, &b);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  wd_incidents_free(x);
  x = open_inc(); /* another sensor, later, the same attack */
  b.sensor = "edge-3";
  b.ts_ns = b.start_ns = T0 + 4 * SEC;
  wd_incidents_alert(x, &b);
  assert_int_equal(wd_incidents_finish(x), WD_OK);
  char(*ids)[WD_STORE_ID_LEN];
  assert_int_equal(count_incidents(wd_incidents_store(x), &ids), 1);
  wd_incident_t inc;
  assert_int_equal(wd_store_incident_get(wd_incidents_store(x), ids[0], &inc),
                   WD_OK);
  free(ids);
  assert_int_equal(inc.n_sensors, 3);
  assert_string_equal(inc.sensors[0].name, host);
  assert_int_equal(inc.sensors[0].first_ns, T0);
  assert_string_equal(inc.sensors[1].name, "edge-2");
  assert_int_equal(inc.sensors[1].first_ns, T0 + 2 * SEC);
  assert_string_equal(inc.sensors[2].name, "edge-3");
  assert_int_equal(inc.sensors[2].last_ns, T0 + 4 * SEC);
  wd_store_incident_fini(&inc);
  wd_incidents_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_exploit_implant_one_incident, per_test),
      cmocka_unit_test_setup(test_reanalysis_no_duplicate, per_test),
      cmocka_unit_test_setup(test_worm_infection_order, per_test),
      cmocka_unit_test_setup(test_flood_one_incident_spoofed, per_test),
      cmocka_unit_test_setup(test_amplification_reflectors, per_test),
      cmocka_unit_test_setup(test_amplification_reflectors_sample, per_test),
      cmocka_unit_test_setup(test_quiet_window_and_lines, per_test),
      cmocka_unit_test_setup(test_sensors_from_alerts, per_test),
      cmocka_unit_test(test_lines_and_ranks),
      cmocka_unit_test_setup(test_bad_directory_and_missing_geo, per_test),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
