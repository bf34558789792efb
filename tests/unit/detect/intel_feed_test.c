/* intel_feed_test.c -- tests of src/detect/intel_feed.c: domain matching
 * of parents (and not of look-alikes), domain normalisation and refusals,
 * longest-prefix address matching for IPv4 and IPv6, URL normalisation,
 * CSV with header, comments and bad lines reported as file:line: reason,
 * STIX 2.1 bundles (supported patterns loaded, others skipped with the
 * indicator id), MISP events (attribute types, composites, to_ids,
 * objects), the format told from content not file name, the cap, the
 * built-in WannaCry feed, JSON errors with their position, and the reload
 * slot under concurrent readers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/intel_feed.h"
#include "proto/seed.h"

static wd_intel_set_t *set;
static wd_intel_report_t rep;

static int setup(void **state) {
  (void)state;
  return wd_intel_set_new(1000, &set) == WD_OK ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  wd_intel_set_free(set);
  set = NULL;
  return 0;
}

static bool has_msg(const char *needle) {
  for (unsigned i = 0; i < rep.n_msgs; i++)
    if (strstr(rep.msgs[i], needle))
      return true;
  return false;
}

static void dump(void) {
  for (unsigned i = 0; i < rep.n_msgs; i++)
    fprintf(stderr, "  report: %s\n", rep.msgs[i]);
}

static void test_domain_parents(void **state) {
  (void)state;
  const char *why;
  assert_int_equal(
      wd_intel_add(set, WD_IOC_DOMAIN, "Evil.COM.", "t", "r1", "d", &why),
      WD_OK);
  const wd_ioc_t *i = wd_intel_match_domain(set, "a.b.evil.com", (size_t)-1);
  assert_non_null(i);
  assert_string_equal(i->value, "evil.com");
  assert_string_equal(i->source, "t");
  assert_string_equal(i->ref, "r1");
  assert_non_null(wd_intel_match_domain(set, "evil.com", (size_t)-1));
  assert_non_null(wd_intel_match_domain(set, "WWW.EVIL.COM.", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "notevil.com", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "evil.com.au", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "com", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "", (size_t)-1));
  /* a length shorter than the string: only that part counts */
  assert_null(wd_intel_match_domain(set, "x.evil.co", 9));
  assert_non_null(wd_intel_match_domain(set, "x.evil.comXX", 10));
  /* the most specific listed suffix wins */
  wd_intel_add(set, WD_IOC_DOMAIN, "b.evil.com", "t", "r2", "", &why);
  assert_string_equal(
      wd_intel_match_domain(set, "a.b.evil.com", (size_t)-1)->ref, "r2");
  assert_string_equal(wd_intel_match_domain(set, "c.evil.com", (size_t)-1)->ref,
                      "r1");
}

static void test_domain_refusals(void **state) {
  (void)state;
  const char *why = NULL;
  assert_int_equal(wd_intel_add(set, WD_IOC_DOMAIN,
                                "b\xc3\xbc"
                                "cher.de",
                                "t", 0, 0, &why),
                   WD_ERR_INVAL);
  assert_non_null(strstr(why, "A-label"));
  assert_int_equal(
      wd_intel_add(set, WD_IOC_DOMAIN, "xn--bcher-kva.de", "t", 0, 0, &why),
      WD_OK);
  assert_non_null(
      wd_intel_match_domain(set, "www.XN--BCHER-KVA.de", (size_t)-1));
  assert_int_equal(wd_intel_add(set, WD_IOC_DOMAIN, "a b.com", "t", 0, 0, &why),
                   WD_ERR_INVAL);
  assert_int_equal(wd_intel_add(set, WD_IOC_DOMAIN, "a..com", "t", 0, 0, &why),
                   WD_ERR_INVAL);
  char label[80];
  memset(label, 'a', 64);
  memcpy(label + 64, ".com", 5);
  assert_int_equal(wd_intel_add(set, WD_IOC_DOMAIN, label, "t", 0, 0, &why),
                   WD_ERR_INVAL);
  assert_non_null(strstr(why, "63"));
  /* duplicates count, first kept */
  wd_intel_add(set, WD_IOC_DOMAIN, "dup.org", "first", 0, 0, &why);
  assert_int_equal(
      wd_intel_add(set, WD_IOC_DOMAIN, "DUP.org", "second", 0, 0, &why), WD_OK);
  assert_string_equal(wd_intel_match_domain(set, "dup.org", (size_t)-1)->source,
                      "first");
  wd_intel_stats_t st;
  wd_intel_set_stats(set, &st);
  assert_int_equal(st.duplicates, 1);
  assert_int_equal(st.domains, 2);
}

static wd_addr_t addr(const char *s) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(s, &a), WD_OK);
  return a;
}

static void test_addresses(void **state) {
  (void)state;
  const char *why;
  assert_int_equal(
      wd_intel_add(set, WD_IOC_ADDR, "10.0.0.0/8", "t", "wide", 0, &why),
      WD_OK);
  wd_intel_add(set, WD_IOC_ADDR, "10.1.0.0/16", "t", "narrow", 0, &why);
  wd_intel_add(set, WD_IOC_ADDR, "192.0.2.1", "t", "host", 0, &why);
  wd_intel_add(set, WD_IOC_ADDR, "2001:db8::/32", "t", "v6", 0, &why);
  wd_addr_t a = addr("10.1.2.3");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "narrow");
  a = addr("10.2.0.1");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "wide");
  a = addr("192.0.2.1");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "host");
  assert_string_equal(wd_intel_match_addr(set, &a)->value, "192.0.2.1/32");
  a = addr("192.0.2.2");
  assert_null(wd_intel_match_addr(set, &a));
  a = addr("2001:db8:ffff::1");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "v6");
  a = addr("2001:db9::1");
  assert_null(wd_intel_match_addr(set, &a));
  a = addr("11.0.0.1");
  assert_null(wd_intel_match_addr(set, &a));
  assert_int_equal(
      wd_intel_add(set, WD_IOC_ADDR, "10.1.2.3/16", "t", 0, 0, &why),
      WD_ERR_INVAL);
  assert_non_null(strstr(why, "host bits"));
  assert_int_equal(wd_intel_add(set, WD_IOC_ADDR, "300.1.1.1", "t", 0, 0, &why),
                   WD_ERR_INVAL);
}

static void test_urls(void **state) {
  (void)state;
  const char *why;
  assert_int_equal(
      wd_intel_add(set, WD_IOC_URL, "HTTP://Evil.COM", "t", "u", 0, &why),
      WD_OK);
  wd_intel_add(set, WD_IOC_URL, "https://x.org/Path?q=1#frag", "t", "p", 0,
               &why);
  assert_non_null(wd_intel_match_url(set, "http://evil.com/"));
  assert_non_null(wd_intel_match_url(set, "http://EVIL.com#top"));
  assert_null(wd_intel_match_url(set, "http://evil.com/x"));
  assert_string_equal(wd_intel_match_url(set, "https://X.ORG/Path?q=1")->ref,
                      "p");
  assert_null(wd_intel_match_url(set, "https://x.org/path?q=1")); /* case */
  assert_int_equal(wd_intel_add(set, WD_IOC_URL, "evil.com/x", "t", 0, 0, &why),
                   WD_ERR_INVAL);
  char out[64];
  assert_true(wd_intel_url_normalise("HtTp://a.B?x", out, sizeof out));
  assert_string_equal(out, "http://a.b/?x");
  assert_false(wd_intel_url_normalise("http://", out, sizeof out));
}

static const char csv[] =
    "type,value,description\n"                 /* header: skipped */
    "# a comment\n"                            /* 2 */
    "\n"                                       /* 3 */
    "domain,bad.example,\"C2, first stage\"\n" /* 4: quoted, with comma */
    "ip,198.51.100.7\r\n"                      /* 5: CRLF */
    "cidr,203.0.113.0/24,scanner range\n"      /* 6 */
    "url,http://bad.example/gate.php,gate\n"   /* 7 */
    "md5,d41d8cd98f00b204e9800998ecf8427e\n"   /* 8: unknown type */
    "domain,bad domain.example\n"              /* 9: invalid */
    "ip\n"                                     /* 10: no value */
    "cidr,203.0.113.1/24\n"                    /* 11: host bits */
    "hostname,  spaced.example  ,x\n";         /* 12 */

static void test_csv(void **state) {
  (void)state;
  seed_write("feed.csv", -1, (const uint8_t *)csv, sizeof csv - 1);
  assert_int_equal(wd_intel_load_buffer(set, csv, sizeof csv - 1, "feeds/a.csv",
                                        "feed-a", &rep),
                   WD_OK);
  dump();
  assert_int_equal(rep.format, WD_FEED_CSV);
  assert_int_equal(rep.loaded, 5);
  assert_int_equal(rep.rejected, 4);
  assert_true(has_msg("feeds/a.csv:8: unknown type"));
  assert_true(has_msg("feeds/a.csv:9: character not allowed"));
  assert_true(has_msg("feeds/a.csv:10: expected type,value"));
  assert_true(has_msg("feeds/a.csv:11: not an IP prefix"));
  const wd_ioc_t *i = wd_intel_match_domain(set, "x.bad.example", (size_t)-1);
  assert_non_null(i);
  assert_string_equal(i->desc, "C2, first stage");
  assert_string_equal(i->ref, "line 4");
  assert_string_equal(i->source, "feed-a");
  wd_addr_t a = addr("203.0.113.77");
  assert_string_equal(wd_intel_match_addr(set, &a)->desc, "scanner range");
  a = addr("198.51.100.7");
  assert_non_null(wd_intel_match_addr(set, &a));
  assert_non_null(wd_intel_match_url(set, "http://BAD.example/gate.php"));
  assert_non_null(wd_intel_match_domain(set, "spaced.example", (size_t)-1));
  /* a spreadsheet export: byte order mark before the header */
  static const char bom[] = "\xef\xbb\xbftype,value\ndomain,bom.example\n";
  assert_int_equal(
      wd_intel_load_buffer(set, bom, sizeof bom - 1, "bom.csv", "x", &rep),
      WD_OK);
  assert_int_equal(rep.rejected, 0);
  assert_int_equal(rep.loaded, 1);
}

static const char stix[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
    "{\"type\":\"identity\",\"id\":\"identity--1\",\"name\":\"CERT\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--dom\",\"name\":\"C2 "
    "domain\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[domain-name:value = 'c2.example.net']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--or\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[ipv4-addr:value = '198.51.100.0/24' OR "
    "ipv4-addr:value = '192.0.2.9'] OR [ipv6-addr:value = "
    "'2001:db8:1::1'] OR [url:value = 'http://c2.example.net/it\\\\'s']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--and\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[domain-name:value = 'a.example' AND "
    "domain-name:value = 'b.example']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--hash\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[file:hashes.MD5 = "
    "'d41d8cd98f00b204e9800998ecf8427e']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--snort\",\"pattern_type\":"
    "\"snort\",\"pattern\":\"alert tcp any any -> any any\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--within\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[domain-name:value = 'w.example'] WITHIN 5 "
    "SECONDS\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--revoked\",\"revoked\":true,"
    "\"pattern_type\":\"stix\",\"pattern\":\"[domain-name:value = "
    "'old.example']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--badv4\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[ipv4-addr:value = '2001:db8::1']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--baddom\",\"pattern_type\":"
    "\"stix\",\"pattern\":\"[domain-name:value = 'bad_dom ain']\"},"
    "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = "
    "'noid.example']\"}"
    "]}";

static void test_stix(void **state) {
  (void)state;
  seed_write("bundle.json", -1, (const uint8_t *)stix, sizeof stix - 1);
  assert_int_equal(wd_intel_load_buffer(set, stix, sizeof stix - 1,
                                        "bundle.json", "stix-feed", &rep),
                   WD_OK);
  dump();
  assert_int_equal(rep.format, WD_FEED_STIX);
  assert_int_equal(rep.loaded, 5);
  assert_int_equal(rep.skipped, 5);
  assert_int_equal(rep.rejected, 3);
  const wd_ioc_t *i = wd_intel_match_domain(set, "c2.example.net", (size_t)-1);
  assert_non_null(i);
  assert_string_equal(i->ref, "indicator--dom");
  assert_string_equal(i->desc, "C2 domain");
  wd_addr_t a = addr("198.51.100.200");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "indicator--or");
  a = addr("2001:db8:1::1");
  assert_non_null(wd_intel_match_addr(set, &a));
  assert_non_null(wd_intel_match_url(set, "http://c2.example.net/it's"));
  assert_null(wd_intel_match_domain(set, "a.example", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "w.example", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "old.example", (size_t)-1));
  assert_true(
      has_msg("bundle.json: indicator--and: skipped: pattern uses AND"));
  assert_true(has_msg("indicator--hash: skipped: object path other than"));
  assert_true(has_msg("indicator--snort: skipped: pattern_type 'snort'"));
  assert_true(has_msg("indicator--within: skipped"));
  assert_true(has_msg("indicator--revoked: skipped: revoked"));
  assert_true(has_msg("indicator--badv4: ipv4-addr value is not IPv4"));
  assert_true(has_msg("indicator--baddom: character not allowed"));
  assert_true(has_msg("bundle.json:objects[10]: indicator without an id"));
}

static const char misp[] =
    "{\"Event\":{\"id\":\"42\",\"uuid\":\"ev-uuid\",\"info\":\"Phishing "
    "wave\",\"Attribute\":["
    "{\"type\":\"domain\",\"value\":\"phish.example\",\"to_ids\":true,"
    "\"uuid\":\"a1\"},"
    "{\"type\":\"hostname\",\"value\":\"mail.phish.example\",\"uuid\":"
    "\"a2\",\"comment\":\"sender\"},"
    "{\"type\":\"ip-dst\",\"value\":\"198.51.100.50\",\"to_ids\":false,"
    "\"uuid\":\"a3\"},"
    "{\"type\":\"ip-src\",\"value\":\"203.0.113.0/25\",\"to_ids\":\"1\","
    "\"uuid\":\"a4\"},"
    "{\"type\":\"url\",\"value\":\"https://phish.example/login\",\"uuid\":"
    "\"a5\"},"
    "{\"type\":\"domain|ip\",\"value\":\"drop.example|192.0.2.77\",\"uuid\":"
    "\"a6\"},"
    "{\"type\":\"ip-dst|port\",\"value\":\"192.0.2.88|8443\",\"uuid\":"
    "\"a7\"},"
    "{\"type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\","
    "\"uuid\":\"a8\"},"
    "{\"type\":\"domain\",\"value\":\"not a domain\",\"uuid\":\"a9\"},"
    "{\"type\":\"domain\",\"value\":\"gone.example\",\"deleted\":true}"
    "],\"Object\":[{\"name\":\"domain-ip\",\"Attribute\":["
    "{\"type\":\"domain\",\"value\":\"obj.example\",\"uuid\":\"o1\"}]}]}}";

static void test_misp(void **state) {
  (void)state;
  seed_write("misp_event.json", -1, (const uint8_t *)misp, sizeof misp - 1);
  assert_int_equal(wd_intel_load_buffer(set, misp, sizeof misp - 1,
                                        "event.json", "misp", &rep),
                   WD_OK);
  dump();
  assert_int_equal(rep.format, WD_FEED_MISP);
  assert_int_equal(rep.loaded, 8);
  assert_int_equal(rep.skipped, 2); /* md5, to_ids false */
  assert_int_equal(rep.rejected, 1);
  const wd_ioc_t *i = wd_intel_match_domain(set, "x.phish.example", (size_t)-1);
  assert_string_equal(i->ref, "a1");
  assert_string_equal(i->desc, "Phishing wave");
  assert_string_equal(
      wd_intel_match_domain(set, "mail.phish.example", (size_t)-1)->desc,
      "sender");
  wd_addr_t a = addr("198.51.100.50");
  assert_null(wd_intel_match_addr(set, &a)); /* to_ids false */
  a = addr("203.0.113.100");
  assert_non_null(wd_intel_match_addr(set, &a));
  a = addr("192.0.2.77");
  assert_string_equal(wd_intel_match_addr(set, &a)->ref, "a6");
  a = addr("192.0.2.88");
  assert_non_null(wd_intel_match_addr(set, &a));
  assert_non_null(wd_intel_match_domain(set, "drop.example", (size_t)-1));
  assert_non_null(wd_intel_match_domain(set, "obj.example", (size_t)-1));
  assert_null(wd_intel_match_domain(set, "gone.example", (size_t)-1));
  assert_non_null(wd_intel_match_url(set, "https://phish.example/login"));
  assert_true(has_msg("event.json: a9: character not allowed"));
  assert_true(has_msg("1 attributes of types ward does not match (first: "
                      "'md5')"));
  assert_true(has_msg("1 attributes with to_ids false"));
  /* a MISP search response holding events */
  wd_intel_set_free(set);
  wd_intel_set_new(100, &set);
  static const char resp[] =
      "{\"response\":[{\"Event\":{\"info\":\"a\",\"Attribute\":[{\"type\":"
      "\"domain\",\"value\":\"r1.example\"}]}},{\"Event\":{\"info\":\"b\","
      "\"Attribute\":[{\"type\":\"domain\",\"value\":\"r2.example\"}]}}]}";
  assert_int_equal(
      wd_intel_load_buffer(set, resp, sizeof resp - 1, "r.json", "misp", &rep),
      WD_OK);
  assert_int_equal(rep.loaded, 2);
  assert_non_null(wd_intel_match_domain(set, "r2.example", (size_t)-1));
}

static void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(s, f);
  fclose(f);
}

/* The file name says .json, the content is CSV (and the reverse). */
static void test_format_from_content(void **state) {
  (void)state;
  char dir[] = "/tmp/ward-intel-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char a[300], b[300];
  snprintf(a, sizeof a, "%s/looks-like.json", dir);
  snprintf(b, sizeof b, "%s/looks-like.csv", dir);
  write_file(a, "domain,csv-in-json.example\n");
  write_file(b, misp);
  assert_int_equal(wd_intel_load_file(set, a, NULL, &rep), WD_OK);
  assert_int_equal(rep.format, WD_FEED_CSV);
  const wd_ioc_t *i =
      wd_intel_match_domain(set, "csv-in-json.example", (size_t)-1);
  assert_non_null(i);
  assert_string_equal(i->source, "looks-like.json");
  assert_int_equal(wd_intel_load_file(set, b, "named", &rep), WD_OK);
  assert_int_equal(rep.format, WD_FEED_MISP);
  assert_non_null(wd_intel_match_domain(set, "phish.example", (size_t)-1));
  unlink(a);
  unlink(b);
  rmdir(dir);
  assert_int_equal(wd_intel_load_file(set, a, NULL, &rep), WD_ERR_IO);
  assert_true(has_msg("cannot open"));
}

static void test_bad_json(void **state) {
  (void)state;
  static const char bad[] = "{\"type\":\"bundle\",\n\"objects\":[{,]}";
  assert_int_equal(
      wd_intel_load_buffer(set, bad, sizeof bad - 1, "b.json", "x", &rep),
      WD_ERR_INVAL);
  dump();
  assert_true(has_msg("b.json:2:"));
  assert_true(has_msg("JSON error"));
  static const char other[] = "{\"hello\":1}";
  assert_int_equal(
      wd_intel_load_buffer(set, other, sizeof other - 1, "o.json", "x", &rep),
      WD_ERR_INVAL);
  assert_true(has_msg("neither a STIX 2.1 bundle nor a MISP event"));
}

static void test_cap(void **state) {
  (void)state;
  wd_intel_set_free(set);
  assert_int_equal(wd_intel_set_new(3, &set), WD_OK);
  static const char five[] = "domain,a.example\ndomain,b.example\n"
                             "domain,c.example\ndomain,d.example\n"
                             "domain,e.example\n";
  assert_int_equal(
      wd_intel_load_buffer(set, five, sizeof five - 1, "f.csv", "x", &rep),
      WD_OK);
  assert_int_equal(rep.loaded, 3);
  assert_int_equal(rep.cap_hits, 2);
  assert_true(has_msg("f.csv:4: indicator cap 3 reached"));
  assert_int_equal(rep.n_msgs, 1); /* said once */
  wd_intel_stats_t st;
  wd_intel_set_stats(set, &st);
  assert_int_equal(st.cap_hits, 2);
  assert_null(wd_intel_match_domain(set, "e.example", (size_t)-1));
  /* the report keeps a bounded number of messages */
  wd_intel_set_free(set);
  wd_intel_set_new(10, &set);
  static char many[64 * 50];
  size_t o = 0;
  for (int k = 0; k < 50; k++)
    o += (size_t)snprintf(many + o, sizeof many - o, "bogus,x%d\n", k);
  wd_intel_load_buffer(set, many, o, "m.csv", "x", &rep);
  assert_int_equal(rep.rejected, 50);
  assert_int_equal(rep.n_msgs, WD_INTEL_REPORT_MAX);
  assert_int_equal(rep.msgs_dropped, 50 - WD_INTEL_REPORT_MAX);
}

static void test_builtin(void **state) {
  (void)state;
  assert_int_equal(wd_intel_add_builtin(set), WD_OK);
  const wd_ioc_t *i = wd_intel_match_domain(
      set, "www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", (size_t)-1);
  assert_non_null(i);
  assert_string_equal(i->source, "builtin:wannacry");
  assert_non_null(wd_intel_match_domain(
      set, "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com", (size_t)-1));
  assert_non_null(wd_intel_match_domain(
      set, "www.ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com", (size_t)-1));
  assert_null(wd_intel_match_domain(
      set, "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.org", (size_t)-1));
}

/* ---- reload under readers --------------------------------------------- */

static wd_intel_slot_t slot;
static atomic_int stop_flag;

static void *reader(void *arg) {
  unsigned long *bad = arg;
  while (!atomic_load(&stop_flag)) {
    const wd_intel_set_t *s = wd_intel_slot_get(&slot);
    bool a = wd_intel_match_domain(s, "x.a.example", (size_t)-1) != NULL;
    bool b = wd_intel_match_domain(s, "x.b.example", (size_t)-1) != NULL;
    if (a == b) /* each published set lists exactly one of them */
      (*bad)++;
  }
  return NULL;
}

static void test_reload_slot(void **state) {
  (void)state;
  wd_intel_set_t *sa, *sb;
  const char *why;
  wd_intel_set_new(10, &sa);
  wd_intel_set_new(10, &sb);
  wd_intel_add(sa, WD_IOC_DOMAIN, "a.example", "a", 0, 0, &why);
  wd_intel_add(sb, WD_IOC_DOMAIN, "b.example", "b", 0, 0, &why);
  wd_intel_slot_init(&slot, sa);
  atomic_store(&stop_flag, 0);
  pthread_t t[2];
  unsigned long bad[2] = {0, 0};
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, reader, &bad[i]), 0);
  wd_intel_set_t *cur = sa, *other = sb;
  for (int k = 0; k < 20000; k++) {
    wd_intel_set_t *old = wd_intel_slot_swap(&slot, other);
    assert_ptr_equal(old, cur);
    other = old;
    cur = wd_intel_slot_get(&slot) == sa ? sa : sb;
  }
  atomic_store(&stop_flag, 1);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(bad[0] + bad[1], 0);
  wd_intel_set_free(sa);
  wd_intel_set_free(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_domain_parents, setup, teardown),
      cmocka_unit_test_setup_teardown(test_domain_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stix, setup, teardown),
      cmocka_unit_test_setup_teardown(test_misp, setup, teardown),
      cmocka_unit_test_setup_teardown(test_format_from_content, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_builtin, setup, teardown),
      cmocka_unit_test(test_reload_slot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
