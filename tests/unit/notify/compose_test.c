/* compose_test.c -- whole notification mails: for every incident class
 * and every party format (iodef, stix, text) the message parses back with
 * Python's email package, carries the right attachments, attaches the
 * evidence pcap only under notify.max_attachment and only when its
 * SHA-256 matches, and keeps a stable Message-ID per (incident, party,
 * sequence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "notify/compose.h"
#include "notify/notice_fixture.h"

static char pcap_path[64], pcap_sha[65];

static int setup(void **state) {
  (void)state;
  uint8_t data[2000];
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen;
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 31 + 7);
  snprintf(pcap_path, sizeof pcap_path, "/tmp/compose_test.XXXXXX");
  int fd = mkstemp(pcap_path);
  if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data)
    return -1;
  close(fd);
  EVP_Digest(data, sizeof data, md, &mdlen, EVP_sha256(), NULL);
  for (unsigned i = 0; i < 32; i++)
    snprintf(pcap_sha + 2 * i, 3, "%02x", md[i]);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(pcap_path);
  return 0;
}

static int py_check(const wd_composed_t *c, int parts, const char *extra) {
  char path[] = "/tmp/compose_msg.XXXXXX", cmd[8192];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, c->msg, c->len), (ssize_t)c->len);
  close(fd);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s --expect-parts %d %s",
           fixture_dir_of(__FILE__, "/mime_check.py"), path, parts,
           extra ? extra : "");
  int rc = system(cmd);
  unlink(path);
  return rc;
}

static void prepare(int which, const char *format, wd_notice_incident_t *n,
                    char msgid[WD_COMPOSE_MSGID_MAX]) {
  fixture_get(which, n);
  n->party.format = format;
  if (n->evidence_sha256) {
    n->evidence_path = pcap_path;
    n->evidence_sha256 = pcap_sha;
    n->evidence_bytes = 2000;
  }
  assert_int_equal(
      wd_compose_message_id(n->id, n->party.email, 1, n->sender_email, msgid),
      WD_OK);
  n->message_id = msgid;
}

static void test_every_class_and_format(void **state) {
  (void)state;
  if (access("/usr/bin/python3", X_OK) != 0)
    skip();
  static const char *const formats[] = {"iodef", "stix", "text"};
  for (int k = 0; k < FX_COUNT; k++) {
    for (int f = 0; f < 3; f++) {
      wd_notice_incident_t n;
      char msgid[WD_COMPOSE_MSGID_MAX], err[256], extra[256];
      wd_composed_t c;
      wd_compose_opts_t o = {.max_attachment = 5u << 20};
      prepare(k, formats[f], &n, msgid);
      assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
      bool pcap = n.evidence_sha256 != NULL;
      assert_int_equal(c.pcap_attached, pcap);
      int parts = 1 + (f < 2) + pcap;
      snprintf(extra, sizeof extra, "--subject-has '[%s]' %s%s", n.id,
               pcap ? "--pcap-sha256 " : "", pcap ? pcap_sha : "");
      if (py_check(&c, parts, extra) != 0)
        fail_msg("class %d format %s", k, formats[f]);
      wd_composed_fini(&c);
    }
  }
}

static void test_attachment_limits(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], err[256];
  wd_composed_t c;
  wd_compose_opts_t o = {.max_attachment = 1999};
  prepare(FX_COMPROMISE, "iodef", &n, msgid);
  assert_int_equal(wd_compose(&n, &o, &c, err, sizeof err), WD_OK);
  assert_false(c.pcap_attached); /* one byte over the limit */
  assert_non_null(strstr(c.msg, "available on request"));
  wd_composed_fini(&c);
  o.max_attachment = 2000;
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
      cmocka_unit_test(test_attachment_limits),
      cmocka_unit_test(test_message_id_stable),
      cmocka_unit_test(test_reminder_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
