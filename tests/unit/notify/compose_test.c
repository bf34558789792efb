/* compose_test.c -- whole notification mails: for every incident class
 * and every party format (iodef, stix, text) the message parses back with
 * Python's email package and carries the right attachments; for a party
 * outside the facility nothing in the whole message or any decoded
 * attachment names a facility, a protected address or a home-net prefix
 * (leak_check.py), the evidence capture attached is rewritten (no
 * internal address in its headers) and the SHA-256 given is the one of
 * the capture attached; policy omit sends no capture and no hash; the
 * facility's own team gets the capture as recorded; the evidence is
 * attached only under notify.max_attachment and only when its recorded
 * SHA-256 matches; the leak guard refuses a message that would show an
 * internal address; Message-IDs are stable per (incident, party,
 * sequence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "incident/evidence.h"
#include "notify/compose.h"
#include "notify/notice_fixture.h"

static char pcap_path[64], pcap_sha[65];
static size_t pcap_size;

/* What the tests' facility keeps internal: its networks (one of them
 * public: protected addresses need not be private) and its name. */
static wd_cidr_t internal_nets[3];
static const char *const internal_names[] = {"St. Example University Hospital"};
static const char *const nets_txt[] = {"10.20.0.0/16", "198.51.100.0/24",
                                       "2001:db8:20::/48"};
/* What must not reach a party outside: facility names, the fixture's
 * protected addresses, the home-net prefixes as text. */
static const char *const internal_strings[] = {
    "St. Example", "10.20.",        "198.51.100.", "2001:db8:20:",
    "10.20.1.5",   "198.51.100.23", "10.20.0.7",   "10.20.3.9"};

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *b, size_t n, uint32_t s) {
  for (size_t i = 0; i < n; i++)
    s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* One Ethernet/IPv4/TCP frame src -> dst:445 with text in its payload. */
static size_t frame(uint8_t *f, const char *src, const char *dst,
                    const char *text) {
  static const uint8_t mac[12] = {0, 0x1b, 0x21, 1, 2, 3,
                                  0, 0x1b, 0x21, 4, 5, 6};
  memcpy(f, mac, 12);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14, *tcp = ip + 20;
  size_t pl = strlen(text);
  memset(ip, 0, 40);
  ip[0] = 0x45;
  put16(ip + 2, (unsigned)(40 + pl));
  ip[8] = 64;
  ip[9] = 6;
  wd_addr_t a;
  wd_addr_parse(src, &a);
  memcpy(ip + 12, a.b + 12, 4);
  wd_addr_parse(dst, &a);
  memcpy(ip + 16, a.b + 12, 4);
  put16(ip + 10, csum(ip, 20, 0));
  put16(tcp, 49152);
  put16(tcp + 2, 445);
  tcp[12] = 0x50;
  tcp[13] = 0x18;
  memcpy(tcp + 20, text, pl);
  uint8_t ph[12];
  memcpy(ph, ip + 12, 8);
  ph[8] = 0;
  ph[9] = 6;
  put16(ph + 10, (unsigned)(20 + pl));
  uint16_t p1 = csum(ph, 12, 0);
  put16(tcp + 16, csum(tcp, 20 + pl, (uint16_t)~p1));
  return 54 + pl;
}

/* A real evidence capture: the fixture's attacker against its targets,
 * with the targets and the facility named in the payload (as an SMB tree
 * path would), and the worm's hosts. */
static int setup(void **state) {
  (void)state;
  for (int i = 0; i < 3; i++)
    if (wd_cidr_parse(nets_txt[i], &internal_nets[i]) != WD_OK)
      return -1;
  snprintf(pcap_path, sizeof pcap_path, "/tmp/compose_test.XXXXXX");
  int fd = mkstemp(pcap_path);
  if (fd < 0)
    return -1;
  close(fd);
  pcap_t *pd = pcap_open_dead(1, 65535);
  pcap_dumper_t *d = pcap_dump_open(pd, pcap_path);
  if (!d)
    return -1;
  static const char *const fl[][3] = {
      {"89.160.20.112", "198.51.100.23",
       "\\\\198.51.100.23\\IPC$ of St. Example University Hospital"},
      {"89.160.20.112", "10.20.1.5", "\\\\10.20.1.5\\IPC$"},
      {"10.20.0.7", "10.20.3.9", "worm 10.20.0.7 -> 10.20.3.9"},
      {"203.0.113.77", "198.51.100.23", "flood"}};
  for (size_t i = 0; i < 4; i++) {
    uint8_t f[256];
    struct pcap_pkthdr h = {.ts = {1776330169 + (long)i, 0}};
    h.caplen = h.len = (uint32_t)frame(f, fl[i][0], fl[i][1], fl[i][2]);
    pcap_dump((u_char *)d, &h, f);
  }
  pcap_dump_close(d);
  pcap_close(pd);
  FILE *f = fopen(pcap_path, "rb");
  fseek(f, 0, SEEK_END);
  pcap_size = (size_t)ftell(f);
  fclose(f);
  return wd_evidence_sha256_file(pcap_path, pcap_sha) == WD_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  unlink(pcap_path);
  return 0;
}

static int write_msg(const wd_composed_t *c, char path[32]) {
  snprintf(path, 32, "/tmp/compose_msg.XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, c->msg, c->len), (ssize_t)c->len);
  close(fd);
  return 0;
}

static int py_check(const wd_composed_t *c, int parts, const char *extra) {
  char path[32], cmd[8192];
  write_msg(c, path);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s --expect-parts %d %s",
           fixture_dir_of(__FILE__, "/mime_check.py"), path, parts,
           extra ? extra : "");
  int rc = system(cmd);
  unlink(path);
  return rc;
}

/* leak_check.py over the whole message and its decoded attachments. */
static int leak_check(const wd_composed_t *c, const char *extra) {
  char path[32], cmd[8192];
  size_t o = 0;
  write_msg(c, path);
  o += (size_t)snprintf(cmd + o, sizeof cmd - o, "/usr/bin/python3 %s %s",
                        fixture_dir_of(__FILE__, "/leak_check.py"), path);
  for (size_t i = 0; i < sizeof internal_strings / sizeof *internal_strings;
       i++)
    o += (size_t)snprintf(cmd + o, sizeof cmd - o, " --internal '%s'",
                          internal_strings[i]);
  for (size_t i = 0; i < 3; i++)
    o += (size_t)snprintf(cmd + o, sizeof cmd - o, " --net %s", nets_txt[i]);
  snprintf(cmd + o, sizeof cmd - o, " %s", extra ? extra : "");
  int rc = system(cmd);
  unlink(path);
  return rc;
}

static wd_notice_privacy_t privacy = {
    .internal = internal_nets,
    .n_internal = 3,
    .names = internal_names,
    .n_names = 1,
};

/* The facility's own team sees its facility. */
static wd_notice_privacy_t soc_privacy = {
    .internal = internal_nets,
    .n_internal = 3,
    .names = internal_names,
    .n_names = 1,
    .own = internal_nets,
    .n_own = 3,
    .own_names = internal_names,
    .n_own_names = 1,
};

static void prepare(int which, const char *format, wd_notice_incident_t *n,
                    char msgid[WD_COMPOSE_MSGID_MAX]) {
  fixture_get(which, n);
  n->party.format = format;
  n->privacy = wd_notice_is_internal_party(n) ? &soc_privacy : &privacy;
  if (n->evidence_sha256) {
    n->evidence_path = pcap_path;
    n->evidence_sha256 = pcap_sha;
    n->evidence_bytes = pcap_size;
  }
  assert_int_equal(
      wd_compose_message_id(n->id, n->party.email, 1, n->sender_email, msgid),
      WD_OK);
  n->message_id = msgid;
}

/* The worm incident as a party outside the facility would get it. */
static void as_outside(wd_notice_incident_t *n) {
  n->privacy = &privacy;
  n->party.name = "CERT-SE";
  n->party.kind = "national-cert";
  n->party.email = "cert@cert.se.example";
  n->party.matched_by = "asn 29518";
}

static void test_every_class_and_format(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0)
    skip();
  static const char *const formats[] = {"iodef", "stix", "text"};
  for (int k = 0; k < FX_COUNT; k++) {
    for (int f = 0; f < 3; f++) {
      for (int outside = 0; outside < 2; outside++) {
        wd_notice_incident_t n;
        char msgid[WD_COMPOSE_MSGID_MAX], err[256], extra[256];
        wd_composed_t c;
        wd_compose_opts_t o = {.max_attachment = 5u << 20};
        prepare(k, formats[f], &n, msgid);
        if (outside)
          as_outside(&n);
        else if (!wd_notice_is_internal_party(&n))
          continue; /* the facility's own team: the worm only */
        if (wd_compose(&n, &o, &c, err, sizeof err) != WD_OK)
          fail_msg("class %d format %s: %s", k, formats[f], err);
        bool pcap = n.evidence_sha256 != NULL;
        assert_int_equal(c.pcap_attached, pcap);
        int parts = 1 + (f < 2) + pcap;
        snprintf(extra, sizeof extra, "--subject-has '[%s]'", n.id);
        if (py_check(&c, parts, extra) != 0)
          fail_msg("class %d format %s: not a valid message", k, formats[f]);
        if (outside) {
          /* nothing internal anywhere; a rewritten capture, whose own
           * hash is the one given (never the recorded one) */
          snprintf(extra, sizeof extra, "--pcap %s --no-sha256 %s",
                   pcap ? "yes" : "no", pcap_sha);
          if (leak_check(&c, extra) != 0)
            fail_msg("class %d format %s: leaks to a party outside", k,
                     formats[f]);
          assert_non_null(strstr(c.msg, pcap ? "-rewritten.pcap" : ""));
        } else {
          /* the facility's own team: its name, the capture as recorded */
          assert_non_null(strstr(c.msg, "St. Example University Hospital"));
          char want[128];
          snprintf(want, sizeof want, "SHA-256 %s", pcap_sha);
          assert_non_null(strstr(c.msg, want));
        }
        wd_composed_fini(&c);
      }
    }
  }
}

/* Policy omit: no capture, no hash; the text says how to ask. */
static void test_policy_omit(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0)
    skip();
  static const char *const formats[] = {"iodef", "stix", "text"};
  for (int f = 0; f < 3; f++) {
    wd_notice_incident_t n;
    char msgid[WD_COMPOSE_MSGID_MAX], err[256], extra[256];
    wd_composed_t c;
    wd_compose_opts_t o = {.max_attachment = 5u << 20};
    prepare(FX_COMPROMISE, formats[f], &n, msgid);
    n.party.evidence = "omit";
    assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
    assert_false(c.pcap_attached);
    assert_non_null(strstr(c.msg, "not sent to your organization"));
    snprintf(extra, sizeof extra, "--pcap no --no-sha256 %s", pcap_sha);
    assert_int_equal(leak_check(&c, extra), 0);
    wd_composed_fini(&c);
  }
}

/* The team of another facility is outside this one. */
static void test_other_facility_soc(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0)
    skip();
  static const char *const own[] = {"St. Mary's Hospital"};
  wd_cidr_t mary;
  assert_int_equal(wd_cidr_parse("10.30.0.0/16", &mary), WD_OK);
  wd_notice_privacy_t pv = privacy;
  pv.own = &mary;
  pv.n_own = 1;
  pv.own_names = own;
  pv.n_own_names = 1;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], err[256], extra[256];
  wd_composed_t c;
  wd_compose_opts_t o = {.max_attachment = 5u << 20};
  prepare(FX_WORM, "iodef", &n, msgid);
  n.privacy = &pv;
  n.party.name = "St. Mary's SOC";
  n.party.matched_by = "facility St. Mary's Hospital";
  if (wd_compose(&n, &o, &c, err, sizeof err) != WD_OK)
    fail_msg("%s", err);
  assert_true(c.pcap_attached);
  snprintf(extra, sizeof extra, "--pcap yes --no-sha256 %s", pcap_sha);
  assert_int_equal(leak_check(&c, extra), 0);
  wd_composed_fini(&c);
}

/* A notice that would show an internal address to a party outside is
 * refused, not sent. */
static void test_leak_guard(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], err[256];
  wd_composed_t c;
  wd_compose_opts_t o = {0};
  prepare(FX_SCAN, "text", &n, msgid);
  /* an internal source is left out, never listed */
  wd_notice_attacker_t a = n.attackers[0];
  a.ip = fx_ip("10.20.9.9");
  n.attackers = &a;
  n.n_attackers = 1;
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_null(strstr(c.msg, "10.20.9.9"));
  assert_non_null(
      strstr(c.msg, "1 internal host(s) of the facility, withheld"));
  wd_composed_fini(&c);
  /* any other text naming one is refused */
  n.party.matched_by = "attacker 10.20.9.9: prefix 10.20.0.0/16";
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_ERR_STATE);
  assert_null(c.msg);
  assert_non_null(strstr(err, "internal address"));
  prepare(FX_SCAN, "stix", &n, msgid);
  n.party.name = "CERT for St. Example University Hospital";
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_ERR_STATE);
  assert_non_null(strstr(err, "facility name"));
}

static void test_attachment_limits(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], err[256];
  wd_composed_t c;
  /* the facility's own team gets the capture as recorded: its size */
  wd_compose_opts_t o = {.max_attachment = pcap_size - 1};
  prepare(FX_WORM, "iodef", &n, msgid);
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_false(c.pcap_attached); /* one byte over the limit */
  assert_non_null(strstr(c.msg, "available on request"));
  wd_composed_fini(&c);
  o.max_attachment = pcap_size;
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_true(c.pcap_attached);
  assert_non_null(strstr(c.msg, "application/vnd.tcpdump.pcap"));
  wd_composed_fini(&c);
  /* recorded hash differs from the file: never attach */
  n.evidence_sha256 =
      "0000000000000000000000000000000000000000000000000000000000000000";
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_false(c.pcap_attached);
  wd_composed_fini(&c);
  /* outside: the rewritten capture too large to attach is offered on
   * request under its own hash, not the recorded one */
  prepare(FX_COMPROMISE, "text", &n, msgid);
  o.max_attachment = 100;
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_false(c.pcap_attached);
  assert_non_null(strstr(c.msg, "available on request"));
  assert_null(strstr(c.msg, pcap_sha));
  assert_non_null(strstr(c.msg, "-rewritten.pcap"));
  wd_composed_fini(&c);
  /* missing Message-ID is refused */
  n.message_id = NULL;
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_ERR_INVAL);
}

static void test_message_id_stable(void **state) {
  (void)state;
  char a[WD_COMPOSE_MSGID_MAX], b[WD_COMPOSE_MSGID_MAX],
      c2[WD_COMPOSE_MSGID_MAX];
  assert_int_equal(wd_compose_message_id("WARD-2026-000042", "x@y.example", 1,
                                         "cert@csirt.example", a),
                   WD_OK);
  assert_int_equal(wd_compose_message_id("WARD-2026-000042", "x@y.example", 1,
                                         "cert@csirt.example", b),
                   WD_OK);
  assert_int_equal(wd_compose_message_id("WARD-2026-000042", "x@y.example", 2,
                                         "cert@csirt.example", c2),
                   WD_OK);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c2);
  assert_true(strncmp(a, "<ward.WARD-2026-000042.1.", 25) == 0);
  assert_non_null(strstr(a, "@csirt.example>"));
  assert_int_equal(wd_compose_message_id("WARD-1", "x@y", 1, "bad", a),
                   WD_ERR_INVAL);
}

static void test_reminder_threads(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], first[WD_COMPOSE_MSGID_MAX], err[256];
  wd_composed_t c;
  wd_compose_opts_t o = {0};
  prepare(FX_EXPLOIT, "text", &n, msgid);
  wd_compose_message_id(n.id, n.party.email, 1, n.sender_email, first);
  wd_compose_message_id(n.id, n.party.email, 2, n.sender_email, msgid);
  n.reminder = true;
  n.first_message_id = first;
  n.first_sent_ns = FX_T0 + 100ull * 1000000000ull;
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  char hdr[400];
  snprintf(hdr, sizeof hdr, "In-Reply-To: %s\r\n", first);
  assert_non_null(strstr(c.msg, hdr));
  assert_non_null(strstr(c.subject, "Reminder"));
  assert_non_null(strstr(c.msg, "reminder of our notification"));
  wd_composed_fini(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_class_and_format),
      cmocka_unit_test(test_policy_omit),
      cmocka_unit_test(test_other_facility_soc),
      cmocka_unit_test(test_leak_guard),
      cmocka_unit_test(test_attachment_limits),
      cmocka_unit_test(test_message_id_stable),
      cmocka_unit_test(test_reminder_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
