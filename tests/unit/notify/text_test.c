/* text_test.c -- the plain-text notification says what, when (UTC), from
 * which addresses, against which sector, the evidence hash, the ask and
 * the reference; never a facility name, a targeted (protected) address or
 * raw control byte to an outside party. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "notify/notice_fixture.h"
#include "notify/text.h"

static void test_external_party(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char subj[WD_TEXT_SUBJECT_MAX + 1];
  wd_strbuf_t b;
  fixture_get(FX_COMPROMISE, &n);
  assert_int_equal(wd_text_subject(&n, subj, sizeof subj), WD_OK);
  assert_string_equal(subj, "[WARD-2026-000042] System compromise from "
                            "AS29518 (SE) against a healthcare facility");
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, true, "IODEF 2.0 (RFC 7970)", &b), WD_OK);
  const char *t = wd_strbuf_str(&b);
  assert_non_null(strstr(t, "Dear CERT-SE,"));
  assert_non_null(strstr(t, "2026-04-16 09:02:49 UTC to 2026-04-16 "
                            "09:03:30 UTC"));
  assert_non_null(strstr(t, "89.160.20.112"));
  assert_non_null(strstr(t, "AS29518 Bredband2 AB, SE"));
  assert_non_null(strstr(t, "facility of the healthcare sector"));
  assert_non_null(strstr(t, n.evidence_sha256));
  assert_non_null(strstr(t, "attached to this message"));
  assert_non_null(strstr(t, "keep [WARD-2026-000042] in the subject"));
  assert_non_null(strstr(t, "within 72 hours"));
  /* no target is listed to a party outside the facility, public or not:
     they are all protected hosts */
  assert_null(strstr(t, "198.51.100.23"));
  assert_null(strstr(t, "10.20.1.5"));
  assert_non_null(strstr(t, "2 internal host(s) of a healthcare-sector"));
  assert_null(strstr(t, "St. Example")); /* no facility name */
  wd_strbuf_fini(&b);
}

static void test_internal_party_and_worm(void **state) {
  (void)state;
  wd_notice_incident_t n;
  wd_strbuf_t b;
  fixture_get(FX_WORM, &n);
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, false, NULL, &b), WD_OK);
  const char *t = wd_strbuf_str(&b);
  assert_non_null(strstr(t, "in order of infection"));
  assert_non_null(strstr(t, "[infected by 10.20.0.7]"));
  assert_non_null(strstr(t, "St. Example University Hospital"));
  assert_non_null(strstr(t, "10.20.1.5"));
  assert_non_null(strstr(t, "available on request"));
  wd_strbuf_fini(&b);
}

static void test_spoofed_not_accused(void **state) {
  (void)state;
  wd_notice_incident_t n;
  wd_strbuf_t b;
  fixture_get(FX_DDOS, &n);
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, false, NULL, &b), WD_OK);
  assert_non_null(strstr(wd_strbuf_str(&b), "203.0.113.77"));
  assert_non_null(strstr(wd_strbuf_str(&b), "[probably spoofed, not accused"));
  assert_non_null(strstr(wd_strbuf_str(&b), "now (still going on)"));
  assert_non_null(strstr(wd_strbuf_str(&b), "BCP 38"));
  wd_strbuf_fini(&b);
}

/* A reflector's operator is told its server is abused, not accused; the
 * scan detectors' "scanner" type reads as scanning. */
static void test_subjects(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char subj[WD_TEXT_SUBJECT_MAX + 1];
  fixture_get(FX_DDOS, &n);
  assert_int_equal(wd_text_subject(&n, subj, sizeof subj), WD_OK);
  assert_string_equal(subj, "[WARD-2026-000043] Reflectors in AS29518 (SE) "
                            "abused for a denial-of-service attack against "
                            "a healthcare facility");
  fixture_get(FX_SCAN, &n);
  n.rsit_type = "scanner";
  assert_int_equal(wd_text_subject(&n, subj, sizeof subj), WD_OK);
  assert_string_equal(subj, "[WARD-2026-000044] Network scanning from AS29518 "
                            "(SE) against a healthcare facility");
}

static void test_hostile(void **state) {
  (void)state;
  wd_notice_incident_t n;
  char subj[WD_TEXT_SUBJECT_MAX + 1];
  wd_strbuf_t b;
  fixture_get(FX_HOSTILE, &n);
  assert_int_equal(wd_text_subject(&n, subj, sizeof subj), WD_OK);
  assert_null(strpbrk(subj, "\r\n"));
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, false, NULL, &b), WD_OK);
  const char *t = wd_strbuf_str(&b);
  assert_null(strchr(t, '\r'));
  assert_null(strstr(t, "\n\nBcc"));
  assert_null(strstr(t, "\nBcc:"));
  assert_null(strstr(t, "\xff"));
  assert_null(strstr(t, "\xe2\x80\xae"));
  assert_null(strchr(t, '\x01'));
  wd_strbuf_fini(&b);
}

/* The references of the incident's detectors, from their descriptors. */
static void test_references(void **state) {
  (void)state;
  wd_notice_incident_t n;
  wd_strbuf_t b;
  fixture_get(FX_EXPLOIT, &n);
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, false, NULL, &b), WD_OK);
  const char *t = wd_strbuf_str(&b);
  const char *r = strstr(t, "\nReferences:\n");
  assert_non_null(r);
  assert_non_null(strstr(r, "  - CVE-2017-0143: SMBv1 remote code execution "
                            "(EternalSynergy)\n    https://www.cve.org/"
                            "CVERecord?id=CVE-2017-0143\n"));
  assert_non_null(strstr(r, "  - MS17-010: Microsoft Security Bulletin"));
  assert_true(r < strstr(t, "\nEvidence:\n"));
  wd_strbuf_fini(&b);
  fixture_get(FX_SCAN, &n);
  wd_strbuf_init(&b, 0);
  assert_int_equal(wd_text_body(&n, false, NULL, &b), WD_OK);
  assert_null(strstr(wd_strbuf_str(&b), "References:"));
  wd_strbuf_fini(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_external_party),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_internal_party_and_worm),
      cmocka_unit_test(test_spoofed_not_accused),
      cmocka_unit_test(test_subjects),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
