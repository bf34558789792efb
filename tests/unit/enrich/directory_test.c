/* directory_test.c -- tests of src/enrich/directory.c: loading, the
 * precedence of matches (facility, then longest prefix, then ASN, then
 * country), file:line:column errors for bad files, hostile input limits,
 * and that the shipped etc/directory.yaml loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/directory.h"

static const char good[] = "# test directory\n"
                           "parties:\n"
                           "  - name: CERT-SE\n"
                           "    kind: national-cert\n"
                           "    email: cert@cert.se\n"
                           "    format: iodef\n"
                           "    countries: [se]\n"
                           "  - name: Bredband2 abuse\n"
                           "    kind: isp-abuse\n"
                           "    email: abuse@bredband2.example\n"
                           "    asns: [AS29518]\n"
                           "    deadline_hours: 24\n"
                           "  - name: Wide\n"
                           "    kind: isp-abuse\n"
                           "    email: wide@example.net\n"
                           "    prefixes: [89.160.0.0/16, 2001:db8::/32]\n"
                           "  - name: Narrow\n"
                           "    kind: isp-abuse\n"
                           "    email: narrow@example.net\n"
                           "    language: sv\n"
                           "    pgp_fingerprint: 0123 4567 89AB\n"
                           "    prefixes:\n"
                           "      - 89.160.20.0/24\n"
                           "  - name: St. Mary's SOC\n"
                           "    kind: facility-soc\n"
                           "    email: soc@stmarys.example\n"
                           "    facilities: [\"St. Mary's Hospital\"]\n"
                           "    countries: [SE]\n";

static wd_directory_t *load(const char *text) {
  wd_directory_t *d;
  char err[256];
  wd_rc rc = wd_directory_load_buffer("dir.yaml", text, strlen(text), &d, err,
                                      sizeof err);
  if (rc != WD_OK)
    fail_msg("unexpected error: %s", err);
  return d;
}

static const char *match(const wd_directory_t *d, const char *ip,
                         const char *cc, uint32_t asn, const char *fac,
                         char *why, size_t n) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(ip, &a), WD_OK);
  const wd_party_t *p = wd_directory_match(d, &a, cc, asn, fac, why, n);
  return p ? p->name : NULL;
}

static void test_load_fields(void **state) {
  (void)state;
  wd_directory_t *d = load(good);
  assert_int_equal(wd_directory_count(d), 5);
  const wd_party_t *p = wd_directory_party(d, 0);
  assert_string_equal(p->name, "CERT-SE");
  assert_string_equal(p->format, "iodef");
  assert_string_equal(p->language, "en");     /* default */
  assert_int_equal(p->deadline_hours, 72);    /* default */
  assert_string_equal(p->countries[0], "SE"); /* upper-cased */
  p = wd_directory_party(d, 1);
  assert_int_equal(p->asns[0], 29518);
  assert_int_equal(p->deadline_hours, 24);
  assert_string_equal(p->format, "text");
  p = wd_directory_party(d, 3);
  assert_string_equal(p->language, "sv");
  assert_string_equal(p->pgp_fingerprint, "0123 4567 89AB");
  assert_int_equal(p->line, 17);
  assert_null(wd_directory_party(d, 5));
  wd_directory_free(d);
}

static void test_precedence(void **state) {
  (void)state;
  wd_directory_t *d = load(good);
  char why[160];
  /* longest prefix beats shorter prefix, ASN and country */
  assert_string_equal(
      match(d, "89.160.20.112", "SE", 29518, NULL, why, sizeof why), "Narrow");
  assert_string_equal(why, "prefix 89.160.20.0/24");
  assert_string_equal(
      match(d, "89.160.99.1", "SE", 29518, NULL, why, sizeof why), "Wide");
  assert_string_equal(why, "prefix 89.160.0.0/16");
  /* then the AS number, then the country */
  assert_string_equal(
      match(d, "89.161.0.1", "SE", 29518, NULL, why, sizeof why),
      "Bredband2 abuse");
  assert_string_equal(why, "asn 29518");
  assert_string_equal(match(d, "1.2.3.4", "se", 0, NULL, why, sizeof why),
                      "CERT-SE");
  assert_string_equal(why, "country SE");
  /* an internal attacker: its facility's own team, before anything */
  assert_string_equal(match(d, "89.160.20.112", "SE", 29518,
                            "St. Mary's Hospital", why, sizeof why),
                      "St. Mary's SOC");
  assert_string_equal(why, "facility St. Mary's Hospital");
  /* a facility without a team falls through to the address rules */
  assert_string_equal(match(d, "89.160.20.1", "", 0, "Other", why, sizeof why),
                      "Narrow");
  /* IPv6 prefix */
  assert_string_equal(match(d, "2001:db8::5", "", 0, NULL, why, sizeof why),
                      "Wide");
  /* nothing */
  assert_null(match(d, "8.8.8.8", "US", 15169, NULL, why, sizeof why));
  assert_string_equal(why, "no match");
  assert_null(match(NULL, "8.8.8.8", "SE", 0, NULL, why, sizeof why));
  wd_directory_free(d);
}

/* Loads text expecting an error that starts with want. */
static void bad(const char *text, const char *want) {
  wd_directory_t *d = (wd_directory_t *)1;
  char err[256] = "";
  assert_int_equal(wd_directory_load_buffer("dir.yaml", text, strlen(text), &d,
                                            err, sizeof err),
                   WD_ERR_CONFIG);
  assert_null(d);
  if (strncmp(err, want, strlen(want)) != 0)
    fail_msg("error '%s' does not start with '%s'", err, want);
}

static void test_errors(void **state) {
  (void)state;
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    colour: red\n",
      "dir.yaml:4:5: colour: unknown key");
  bad("parties:\n  - name: X\n    kind: cert\n    email: a@b\n",
      "dir.yaml:3:11: kind: 'cert' is not one of");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    prefixes: [10.0.0.0/33]\n",
      "dir.yaml:5:16: prefixes: '10.0.0.0/33' is not a network");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    prefixes: [10.0.0.1/8]\n",
      "dir.yaml:5:16: prefixes:");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n", /* no email */
      "dir.yaml:2:5: parties: entry without email");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    countries: [SWE]\n",
      "dir.yaml:5:17: countries: 'SWE' is not a two-letter");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    asns: [0]\n",
      "dir.yaml:5:12: asns: '0' is not an AS number");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: \"a@b\\r\\nBcc: "
      "x@y\"\n",
      "dir.yaml:4:12: email: control character");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    deadline_hours: soon\n",
      "dir.yaml:5:21: deadline_hours: expected hours");
  bad("parties:\n  - &a {name: X, kind: isp-abuse, email: a@b}\n  - *a\n",
      "dir.yaml:2:5: yaml: anchors and aliases");
  bad("parties: [\n", "dir.yaml:2:1: yaml: while parsing a flow node");
  bad("people: []\n", "dir.yaml:1:1: people: unknown or repeated key");
  bad("- a\n- b\n", "dir.yaml:1:1: expected a mapping");
  bad("parties:\n  - name: X\n    name: Y\n", "dir.yaml:3:11: name: given");
  /* an empty file or list is a valid, empty directory */
  wd_directory_t *d = load("");
  assert_int_equal(wd_directory_count(d), 0);
  wd_directory_free(d);
  d = load("parties: []\n");
  assert_int_equal(wd_directory_count(d), 0);
  wd_directory_free(d);
}

/* reply_from: who may answer for a party; evidence: what of the capture
 * it gets (full only for a facility's own team). */
static void test_reply_from_and_evidence(void **state) {
  (void)state;
  wd_directory_t *d =
      load("parties:\n"
           "  - name: CERT-SE\n"
           "    kind: national-cert\n"
           "    email: cert@cert.se\n"
           "    reply_from: [Analyst@CERT.se, '@ticket.cert.se']\n"
           "    evidence: omit\n"
           "  - name: SOC\n"
           "    kind: facility-soc\n"
           "    email: soc@h.example\n"
           "  - name: CERT-SE\n"
           "    kind: national-cert\n"
           "    email: other@cert.se\n");
  const wd_party_t *p = wd_directory_find(d, "CERT-SE", NULL);
  assert_non_null(p);
  assert_string_equal(p->email, "cert@cert.se");
  assert_string_equal(p->evidence, "omit");
  assert_int_equal(p->n_reply_from, 2);
  assert_string_equal(p->reply_from[0], "analyst@cert.se");
  assert_true(wd_party_sender_ok(p, "cert@cert.se"));
  assert_true(wd_party_sender_ok(p, "CERT@cert.SE"));
  assert_true(wd_party_sender_ok(p, "analyst@cert.se"));
  assert_true(wd_party_sender_ok(p, "rt@ticket.cert.se"));
  assert_false(wd_party_sender_ok(p, "someone@evil.example.net"));
  assert_false(
      wd_party_sender_ok(p, "rt@x.ticket.cert.se")); /* no subdomains */
  assert_false(wd_party_sender_ok(p, "other@cert.se"));
  assert_false(wd_party_sender_ok(p, "cert.se"));
  assert_false(wd_party_sender_ok(p, ""));
  assert_ptr_equal(wd_directory_find(d, "CERT-SE", "OTHER@cert.se"),
                   wd_directory_party(d, 2));
  assert_null(wd_directory_find(d, "CERT-FR", NULL));
  /* defaults: the facility's team gets the capture as recorded, others a
     rewritten one */
  assert_string_equal(wd_directory_find(d, "SOC", NULL)->evidence, "full");
  assert_string_equal(wd_directory_party(d, 2)->evidence, "rewrite");
  wd_directory_free(d);
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    evidence: full\n",
      "dir.yaml:5:15: evidence: 'full' is only for kind facility-soc");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    evidence: some\n",
      "dir.yaml:5:15: evidence: 'some' is not one of omit, rewrite, full");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    reply_from: [nobody]\n",
      "dir.yaml:5:18: reply_from: 'nobody' is not a mail address or @domain");
  bad("parties:\n  - name: X\n    kind: isp-abuse\n    email: a@b\n"
      "    reply_from: ['a b@c.example']\n",
      "dir.yaml:5:18: reply_from:");
}
/* Bytes the YAML reader refuses (invalid UTF-8, NUL) are placed where they
 * are, like every other error, not at the start of the file. */
static void test_bad_bytes_placed(void **state) {
  (void)state;
  bad("parties:\n  - name: X\xff\n", "dir.yaml:2:12: yaml: ");
  wd_directory_t *d = (wd_directory_t *)1;
  char err[256] = "";
  const char text[] = "parties:\n  - name: Y\n    kind: is\0p-abuse\n";
  assert_int_equal(wd_directory_load_buffer("dir.yaml", text, sizeof text - 1,
                                            &d, err, sizeof err),
                   WD_ERR_CONFIG);
  assert_null(d);
  if (strncmp(err, "dir.yaml:3:13: yaml: control characters", 39) != 0)
    fail_msg("error '%s'",
             err); /* Malformed text right where a value is read: an error, not
                    * a read of an event that is not there. */
  bad("parties:\n  - name: X\n    evidence: `x\n", "dir.yaml:3:15: yaml: ");
  bad("parties:\n  - name: X\n    kind: `x\n", "dir.yaml:3:11: yaml: ");
  bad("parties:\n  - name: X\n    countries: [`x]\n", "dir.yaml:3:17: yaml: ");
}

static void test_limits(void **state) {
  (void)state;
  /* more list entries than allowed */
  size_t cap = 64 + (WD_DIRECTORY_LIST_MAX + 1) * 6;
  char *t = malloc(cap);
  size_t n = (size_t)snprintf(t, cap,
                              "parties:\n  - name: X\n    kind: "
                              "isp-abuse\n    email: a@b\n    asns: [");
  for (int i = 0; i <= WD_DIRECTORY_LIST_MAX; i++)
    n += (size_t)snprintf(t + n, cap - n, "%d,", i + 1);
  t[n - 1] = ']';
  t[n] = 0;
  wd_directory_t *d;
  char err[256];
  assert_int_equal(
      wd_directory_load_buffer("big.yaml", t, n, &d, err, sizeof err),
      WD_ERR_CONFIG);
  assert_non_null(strstr(err, "more than"));
  free(t);
  /* a missing file */
  assert_int_equal(
      wd_directory_load("/nonexistent/dir.yaml", &d, err, sizeof err),
      WD_ERR_IO);
  assert_non_null(strstr(err, "/nonexistent/dir.yaml"));
}

static void test_shipped_directory(void **state) {
  (void)state;
  char p[512];
  snprintf(p, sizeof p, "%s", __FILE__);
  char *cut = strstr(p, "/tests/unit/");
  if (!cut)
    skip();
  strcpy(cut, "/etc/directory.yaml");
  wd_directory_t *d;
  char err[256];
  if (wd_directory_load(p, &d, err, sizeof err) != WD_OK)
    fail_msg("%s", err);
  assert_true(wd_directory_count(d) >= 5);
  char why[160];
  assert_string_equal(match(d, "89.160.20.112", "SE", 0, NULL, why, sizeof why),
                      "CERT-SE");
  assert_string_equal(match(d, "192.0.2.1", "DE", 0, NULL, why, sizeof why),
                      "CERT-Bund");
  wd_directory_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_fields),
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_bad_bytes_placed),
      cmocka_unit_test(test_reply_from_and_evidence),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_shipped_directory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
