/* iodef_test.c -- IODEF 2.0 documents for every incident class validate
 * against RFC 7970's schema (offline, via the shared catalog), carry an
 * Address in every Node (erratum 5544), and survive hostile strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "notify/iodef.h"
#include "notify/notice_fixture.h"

static char schema_dir[4096];

static int setup(void **state) {
  (void)state;
  int n = snprintf(schema_dir, sizeof schema_dir, "%s/schemas/iodef",
                   FIXTURE_SHARED_DIR);
  return n > 0 && (size_t)n < sizeof schema_dir ? 0 : -1;
}

static xmlDocPtr parse(const char *xml, size_t len) {
  return xmlReadMemory(xml, (int)len, "t.xml", NULL, XML_PARSE_NONET);
}

static int xpath_count(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathRegisterNs(ctx, BAD_CAST "i", BAD_CAST WD_IODEF_NS);
  xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
  int n = o && o->nodesetval ? o->nodesetval->nodeNr : -1;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return n;
}

static char *xpath_str(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathRegisterNs(ctx, BAD_CAST "i", BAD_CAST WD_IODEF_NS);
  xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
  char *s = (char *)xmlXPathCastToString(o);
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  return s;
}

static void build_and_validate(int which, char **xml, size_t *len) {
  wd_notice_incident_t n;
  char err[512];
  fixture_get(which, &n);
  assert_int_equal(wd_iodef_build(&n, xml, len), WD_OK);
  assert_non_null(*xml);
  assert_int_equal(strlen(*xml), *len);
  wd_rc rc = wd_iodef_validate(*xml, *len, schema_dir, err, sizeof err);
  if (rc == WD_ERR_IO)
    skip(); /* shared/ not present */
  if (rc != WD_OK)
    fprintf(stderr, "class %d: %s\n%s\n", which, err, *xml);
  assert_int_equal(rc, WD_OK);
}

static void test_every_class_validates(void **state) {
  (void)state;
  for (int k = 0; k < FX_COUNT; k++) {
    char *xml;
    size_t len;
    build_and_validate(k, &xml, &len);
    xmlDocPtr doc = parse(xml, len);
    assert_non_null(doc);
    /* erratum 5544: every Node has an Address */
    assert_int_equal(xpath_count(doc, "//i:Node[not(i:Address)]"), 0);
    assert_true(xpath_count(doc, "//i:Node") >= 1);
    xmlFreeDoc(doc);
    free(xml);
  }
}

static void test_mapping(void **state) {
  (void)state;
  char *xml, *s;
  size_t len;
  /* compromise: takeover-system succeeded, evidence digest in base64 */
  build_and_validate(FX_COMPROMISE, &xml, &len);
  xmlDocPtr doc = parse(xml, len);
  s = xpath_str(doc, "string(//i:SystemImpact/@completion)");
  assert_string_equal(s, "succeeded");
  xmlFree(s);
  s = xpath_str(doc, "string(//i:IncidentID)");
  assert_string_equal(s, "WARD-2026-000042");
  xmlFree(s);
  s = xpath_str(doc, "string(//i:IncidentID/@name)");
  assert_string_equal(s, "csirt.example");
  xmlFree(s);
  /* sha256 9f86d0... in base64 */
  assert_non_null(strstr(xml, "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="));
  /* the targets (protected hosts, private or public) are withheld from a
   * foreign CERT, and no facility name leaks */
  assert_null(strstr(xml, "10.20.1.5"));
  assert_null(strstr(xml, "198.51.100.23"));
  assert_null(strstr(xml, "St. Example"));
  assert_int_equal(xpath_count(doc, "//i:System[@category='target']"), 0);
  assert_int_equal(xpath_count(doc, "//i:System[@category='source']"), 1);
  s = xpath_str(doc, "string(//i:Contact[@role='irt']//i:EmailTo)");
  assert_string_equal(s, "cert@cert.se.example");
  xmlFree(s);
  xmlFreeDoc(doc);
  free(xml);

  /* DDoS: spoofed source marked, reflectors intermediate, ongoing: no
   * EndTime, peak rate counter */
  build_and_validate(FX_DDOS, &xml, &len);
  doc = parse(xml, len);
  assert_int_equal(xpath_count(doc, "//i:System[@spoofed='yes']"), 1);
  assert_int_equal(xpath_count(doc, "//i:System[@category='intermediate']"), 2);
  assert_int_equal(xpath_count(doc, "/i:IODEF-Document/i:Incident/i:EndTime"),
                   0);
  assert_int_equal(
      xpath_count(doc, "//i:Counter[@type='rate'][@unit='packet']"), 1);
  s = xpath_str(doc, "string(//i:Address[.='2001:db8::53']/@category)");
  assert_string_equal(s, "ipv6-addr");
  xmlFree(s);
  xmlFreeDoc(doc);
  free(xml);

  /* worm for the facility's own SOC: internal hosts and facility shown */
  build_and_validate(FX_WORM, &xml, &len);
  doc = parse(xml, len);
  assert_non_null(strstr(xml, "10.20.1.5"));
  assert_non_null(strstr(xml, "St. Example University Hospital"));
  assert_non_null(strstr(xml, "infected by 10.20.0.7"));
  assert_int_equal(xpath_count(doc, "//i:Counter[@unit='host']"), 1);
  xmlFreeDoc(doc);
  free(xml);
}

static void test_hostile_strings(void **state) {
  (void)state;
  char *xml;
  size_t len;
  build_and_validate(FX_HOSTILE, &xml, &len);
  /* no raw markup from the network, no invalid bytes, no bidi override */
  assert_null(strstr(xml, "<script>"));
  assert_non_null(strstr(xml, "&lt;script&gt;"));
  assert_null(strstr(xml, "\xff"));
  assert_null(strstr(xml, "\xe2\x80\xae"));
  assert_null(strstr(xml, "\r"));
  xmlDocPtr doc = parse(xml, len);
  assert_non_null(doc);
  char *s = xpath_str(doc, "string(//i:Contact[@role='irt']/i:ContactName)");
  assert_non_null(strstr(s, "<script>&\"'"));
  xmlFree(s);
  xmlFreeDoc(doc);
  free(xml);
}

static void test_negative_validation(void **state) {
  (void)state;
  char err[512];
  const char *bad = "<?xml version=\"1.0\"?><IODEF-Document version=\"2.00\" "
                    "xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\"/>";
  wd_rc rc = wd_iodef_validate(bad, strlen(bad), schema_dir, err, sizeof err);
  if (rc == WD_ERR_IO)
    skip();
  assert_int_equal(rc, WD_ERR_INVAL);
  assert_true(strlen(err) > 0);
  assert_int_equal(wd_iodef_validate("<a", 2, schema_dir, err, sizeof err),
                   WD_ERR_INVAL);
}

static void test_many_attackers_capped(void **state) {
  (void)state;
  static wd_notice_attacker_t many[WD_NOTICE_ADDRS_MAX + 50];
  wd_notice_incident_t n;
  fixture_get(FX_DDOS, &n);
  for (size_t i = 0; i < WD_NOTICE_ADDRS_MAX + 50; i++) {
    uint8_t v4[4] = {203, 0, (uint8_t)(i >> 8), (uint8_t)i};
    memset(&many[i], 0, sizeof many[i]);
    wd_addr_from_v4(&many[i].ip, v4);
    many[i].reason = "spoofed";
  }
  n.attackers = many;
  n.n_attackers = WD_NOTICE_ADDRS_MAX + 50;
  char *xml, err[512];
  size_t len;
  assert_int_equal(wd_iodef_build(&n, &xml, &len), WD_OK);
  wd_rc rc = wd_iodef_validate(xml, len, schema_dir, err, sizeof err);
  if (rc != WD_ERR_IO)
    assert_int_equal(rc, WD_OK);
  xmlDocPtr doc = parse(xml, len);
  assert_int_equal(xpath_count(doc, "//i:System[@category='source']"),
                   WD_NOTICE_ADDRS_MAX);
  assert_non_null(strstr(xml, "306 source addresses in total"));
  xmlFreeDoc(doc);
  free(xml);
}

/* The Method's references come from the detectors' descriptors: each URL
 * once, none for a detector that cites nothing. */
static void test_references(void **state) {
  (void)state;
  char *xml, *s;
  size_t len;
  build_and_validate(FX_EXPLOIT, &xml, &len); /* smb.ms17-010 */
  xmlDocPtr doc = parse(xml, len);
  assert_int_equal(xpath_count(doc, "//i:Method/i:Reference"), 7);
  for (int k = 143; k <= 148; k++) {
    char q[160];
    snprintf(q, sizeof q,
             "//i:Method/i:Reference[i:URL='https://www.cve.org/"
             "CVERecord?id=CVE-2017-0%d']",
             k);
    assert_int_equal(xpath_count(doc, q), 1);
  }
  s = xpath_str(doc, "string(//i:Method/i:Reference[2]/i:Description)");
  assert_string_equal(s, "CVE-2017-0144, SMBv1 remote code execution "
                         "(EternalBlue)");
  xmlFree(s);
  assert_int_equal(xpath_count(doc, "//i:Reference[contains(i:Description,"
                                    "'MS17-010')]"),
                   1);
  xmlFreeDoc(doc);
  free(xml);
  /* worm.smb-fanout and smb.ms17-010 share CVE-2017-0144: cited once */
  build_and_validate(FX_WORM, &xml, &len);
  doc = parse(xml, len);
  assert_int_equal(xpath_count(doc, "//i:Method/i:Reference"), 8);
  assert_int_equal(xpath_count(doc, "//i:Reference[i:URL='https://www.cve.org/"
                                    "CVERecord?id=CVE-2017-0144']"),
                   1);
  xmlFreeDoc(doc);
  free(xml);
  build_and_validate(FX_SCAN, &xml, &len); /* scan.horizontal: none */
  doc = parse(xml, len);
  assert_int_equal(xpath_count(doc, "//i:Reference"), 0);
  xmlFreeDoc(doc);
  free(xml);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_class_validates),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_mapping),
      cmocka_unit_test(test_hostile_strings),
      cmocka_unit_test(test_negative_validation),
      cmocka_unit_test(test_many_attackers_capped),
  };
  int rc = cmocka_run_group_tests(tests, setup, NULL);
  xmlCleanupParser();
  return rc;
}
