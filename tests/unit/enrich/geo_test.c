/* geo_test.c -- tests of src/enrich/geo.c: lookups in MaxMind's public
 * test databases (../shared/data/geo, skipped when absent) and in a tiny
 * database this test writes itself (a minimal MaxMind DB writer after the
 * format specification: IPv4 search tree with 24-bit records, data
 * section, metadata map); a missing or corrupt database gives a warning
 * and "unknown", never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "enrich/geo.h"

/* ---- a tiny MaxMind DB writer ---- */

typedef struct buf {
  uint8_t b[8192];
  size_t n;
} buf_t;

static void put(buf_t *b, const void *p, size_t n) {
  assert_true(b->n + n <= sizeof b->b);
  memcpy(b->b + b->n, p, n);
  b->n += n;
}

static void put1(buf_t *b, uint8_t v) { put(b, &v, 1); }

/* Control byte(s): type (1..15) and size. */
static void ctrl(buf_t *b, int type, size_t size) {
  uint8_t first = (uint8_t)((type <= 7 ? type : 0) << 5);
  uint8_t ext[3];
  size_t n_ext = 0;
  if (size < 29)
    first |= (uint8_t)size;
  else if (size < 285) {
    first |= 29;
    ext[n_ext++] = (uint8_t)(size - 29);
  } else {
    first |= 30;
    ext[n_ext++] = (uint8_t)((size - 285) >> 8);
    ext[n_ext++] = (uint8_t)(size - 285);
  }
  put1(b, first);
  if (type > 7)
    put1(b, (uint8_t)(type - 7));
  put(b, ext, n_ext);
}

static void str(buf_t *b, const char *s) {
  ctrl(b, 2, strlen(s));
  put(b, s, strlen(s));
}

static void uint_(buf_t *b, int type, uint64_t v) {
  uint8_t tmp[8];
  size_t n = 0;
  for (uint64_t x = v; x; x >>= 8)
    n++;
  for (size_t i = 0; i < n; i++)
    tmp[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  ctrl(b, type, n);
  put(b, tmp, n);
}

typedef struct net {
  uint32_t addr;
  int len;
  const char *cc;  /* NULL: no country */
  uint32_t asn;    /* 0: no ASN */
  const char *org; /* NULL: none */
} net_t;

#define NODES_MAX 512
static int64_t rec_[NODES_MAX][2]; /* >=0 node; -1 empty; <= -2 data */

static void write_mmdb(const char *path, const net_t *nets, size_t n_nets) {
  buf_t data = {.n = 0};
  size_t n_nodes = 1;
  rec_[0][0] = rec_[0][1] = -1;
  for (size_t i = 0; i < n_nets; i++) {
    size_t off = data.n;
    int pairs =
        (nets[i].cc != NULL) + (nets[i].asn != 0) + (nets[i].org != NULL);
    ctrl(&data, 7, (size_t)pairs);
    if (nets[i].cc) {
      str(&data, "country");
      ctrl(&data, 7, 1);
      str(&data, "iso_code");
      str(&data, nets[i].cc);
    }
    if (nets[i].asn) {
      str(&data, "autonomous_system_number");
      uint_(&data, 6, nets[i].asn);
    }
    if (nets[i].org) {
      str(&data, "autonomous_system_organization");
      str(&data, nets[i].org);
    }
    size_t node = 0;
    for (int bit = 0; bit < nets[i].len; bit++) {
      int side = (nets[i].addr >> (31 - bit)) & 1;
      if (bit == nets[i].len - 1) {
        rec_[node][side] = -2 - (int64_t)off;
        break;
      }
      if (rec_[node][side] < 0) {
        assert_true(n_nodes < NODES_MAX);
        /* a more specific network splits a leaf: both halves keep the
           wider network's data */
        rec_[n_nodes][0] = rec_[n_nodes][1] = rec_[node][side];
        rec_[node][side] = (int64_t)n_nodes++;
      }
      node = (size_t)rec_[node][side];
    }
  }
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  for (size_t i = 0; i < n_nodes; i++)
    for (int side = 0; side < 2; side++) {
      int64_t r = rec_[i][side];
      uint32_t v = r >= 0    ? (uint32_t)r
                   : r == -1 ? (uint32_t)n_nodes
                             : (uint32_t)(n_nodes + 16 + (size_t)(-2 - r));
      uint8_t b3[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
      fwrite(b3, 1, 3, f);
    }
  static const uint8_t zero16[16];
  fwrite(zero16, 1, 16, f);
  fwrite(data.b, 1, data.n, f);
  buf_t m = {.n = 0};
  put(&m, "\xAB\xCD\xEFMaxMind.com", 14);
  ctrl(&m, 7, 9);
  str(&m, "node_count");
  uint_(&m, 6, n_nodes);
  str(&m, "record_size");
  uint_(&m, 5, 24);
  str(&m, "ip_version");
  uint_(&m, 5, 4);
  str(&m, "database_type");
  str(&m, "ward-test");
  str(&m, "languages");
  ctrl(&m, 11, 1);
  str(&m, "en");
  str(&m, "binary_format_major_version");
  uint_(&m, 5, 2);
  str(&m, "binary_format_minor_version");
  uint_(&m, 5, 0);
  str(&m, "build_epoch");
  uint_(&m, 9, 1770245369);
  str(&m, "description");
  ctrl(&m, 7, 1);
  str(&m, "en");
  str(&m, "ward unit test database");
  fwrite(m.b, 1, m.n, f);
  fclose(f);
}

static char dir[64];

static void path_in(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/wd_geo_test.XXXXXX");
  assert_non_null(mkdtemp(dir));
  wd_log_threshold = WD_LOG_ERROR; /* the warnings are expected */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void look(const wd_geo_t *g, const char *ip, wd_geo_result_t *r) {
  wd_addr_t a;
  assert_int_equal(wd_addr_parse(ip, &a), WD_OK);
  wd_geo_lookup(g, &a, r);
}

static void test_own_database(void **state) {
  (void)state;
  static const net_t nets[] = {
      {0x59a01400u, 24, "SE", 29518, "Bredband2 AB"}, /* 89.160.20.0/24 */
      {0x59a01470u, 28, "NO", 0, NULL},     /* 89.160.20.112/28: deeper */
      {0xc6336400u, 24, NULL, 64500, NULL}, /* 198.51.100.0/24 */
      {0xcb007100u, 24, "de", 64501, "Bad\x01Org"}, /* 203.0.113.0/24 */
  };
  char p[128];
  path_in(p, sizeof p, "own.mmdb");
  write_mmdb(p, nets, sizeof nets / sizeof nets[0]);
  wd_geo_t *g;
  assert_int_equal(wd_geo_open(p, p, &g), WD_OK);
  assert_true(wd_geo_has_country_db(g));
  assert_true(wd_geo_has_asn_db(g));
  assert_string_equal(wd_geo_problem(g), "");
  wd_geo_result_t r;
  look(g, "89.160.20.1", &r);
  assert_true(r.has_country);
  assert_string_equal(r.country, "SE");
  assert_true(r.has_asn);
  assert_int_equal(r.asn, 29518);
  assert_string_equal(r.as_org, "Bredband2 AB");
  look(g, "89.160.20.113", &r); /* the more specific network */
  assert_string_equal(r.country, "NO");
  assert_false(r.has_asn);
  look(g, "198.51.100.9", &r); /* ASN without organisation or country */
  assert_false(r.has_country);
  assert_int_equal(r.asn, 64500);
  assert_string_equal(r.as_org, "");
  look(g, "203.0.113.5", &r); /* lower case code, control char in org */
  assert_string_equal(r.country, "DE");
  assert_string_equal(r.as_org, "Bad?Org");
  look(g, "8.8.8.8", &r); /* not in the database */
  assert_false(r.has_country);
  assert_false(r.has_asn);
  look(g, "2001:db8::1", &r); /* IPv6 in an IPv4 database: unknown */
  assert_false(r.has_country);
  look(g, "10.1.2.3", &r); /* private: never looked up */
  assert_false(r.has_country);
  wd_geo_free(g);
}

static void test_missing_and_corrupt(void **state) {
  (void)state;
  char p[128], q[128];
  path_in(p, sizeof p, "missing.mmdb");
  wd_geo_t *g;
  assert_int_equal(wd_geo_open(p, NULL, &g), WD_OK);
  assert_false(wd_geo_has_country_db(g));
  assert_non_null(strstr(wd_geo_problem(g), "missing.mmdb"));
  wd_geo_result_t r;
  look(g, "89.160.20.112", &r);
  assert_false(r.has_country);
  wd_geo_free(g);

  /* garbage, and a real database cut short */
  path_in(p, sizeof p, "garbage.mmdb");
  FILE *f = fopen(p, "wb");
  for (int i = 0; i < 5000; i++)
    fputc((i * 7919) & 0xff, f);
  fclose(f);
  static const net_t nets[] = {{0x59a01400u, 24, "SE", 29518, "X"}};
  path_in(q, sizeof q, "cut.mmdb");
  write_mmdb(q, nets, 1);
  assert_int_equal(truncate(q, 60), 0);
  assert_int_equal(wd_geo_open(p, q, &g), WD_OK);
  assert_false(wd_geo_has_country_db(g));
  assert_false(wd_geo_has_asn_db(g));
  assert_non_null(strstr(wd_geo_problem(g), "garbage.mmdb"));
  assert_non_null(strstr(wd_geo_problem(g), "cut.mmdb"));
  look(g, "89.160.20.112", &r);
  assert_false(r.has_country);
  assert_false(r.has_asn);
  wd_geo_free(g);

  /* a tree pointing past the file: lookups fail, no crash */
  path_in(p, sizeof p, "badtree.mmdb");
  write_mmdb(p, nets, 1);
  f = fopen(p, "r+b");
  uint8_t bad[6] = {0xff, 0xff, 0xf0, 0xff, 0xff, 0xf0};
  fwrite(bad, 1, 6, f); /* node 0: both records far out of range */
  fclose(f);
  assert_int_equal(wd_geo_open(p, p, &g), WD_OK);
  look(g, "89.160.20.112", &r);
  assert_false(r.has_country);
  assert_false(r.has_asn);
  wd_geo_free(g);

  /* no databases at all */
  assert_int_equal(wd_geo_open(NULL, NULL, &g), WD_OK);
  look(g, "89.160.20.112", &r);
  assert_false(r.has_country);
  wd_geo_free(g);
  wd_geo_lookup(NULL, NULL, &r); /* NULL geo: unknown */
  assert_false(r.has_asn);
}

/* MaxMind's public test databases (README in ../shared/data/geo). */
static void test_maxmind_test_databases(void **state) {
  (void)state;
  char c[512], a[600];
  snprintf(c, sizeof c, "%s", __FILE__);
  char *cut = strstr(c, "/tests/unit/");
  if (!cut)
    skip();
  *cut = 0;
  snprintf(a, sizeof a, "%s/../shared/data/geo/GeoLite2-ASN-Test.mmdb", c);
  strcat(c, "/../shared/data/geo/GeoLite2-Country-Test.mmdb");
  if (access(c, R_OK) != 0 || access(a, R_OK) != 0)
    skip();
  wd_geo_t *g;
  assert_int_equal(wd_geo_open(c, a, &g), WD_OK);
  assert_string_equal(wd_geo_problem(g), "");
  wd_geo_result_t r;
  look(g, "89.160.20.112", &r);
  assert_string_equal(r.country, "SE");
  assert_int_equal(r.asn, 29518);
  assert_string_equal(r.as_org, "Bredband2 AB");
  look(g, "::ffff:89.160.20.112", &r);
  assert_string_equal(r.country, "SE");
  look(g, "216.160.83.58", &r);
  assert_string_equal(r.country, "US");
  assert_int_equal(r.asn, 209);
  assert_string_equal(r.as_org, "");
  look(g, "2001:218::1", &r);
  assert_string_equal(r.country, "JP");
  assert_false(r.has_asn);
  look(g, "2003::1", &r);
  assert_false(r.has_country);
  assert_int_equal(r.asn, 3320);
  assert_string_equal(r.as_org, "Deutsche Telekom AG");
  look(g, "81.2.69.160", &r);
  assert_string_equal(r.country, "GB");
  look(g, "8.8.8.8", &r);
  assert_false(r.has_country);
  assert_false(r.has_asn);
  look(g, "192.168.198.204", &r);
  assert_false(r.has_country);
  wd_geo_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_own_database),
      cmocka_unit_test(test_missing_and_corrupt),
      cmocka_unit_test(test_maxmind_test_databases),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
