/* geo.c -- MaxMind DB lookups for country and ASN (libmaxminddb).
 * In: two optional .mmdb paths, addresses. Out: wd_geo_result_t values.
 * Memory: wd_geo_t owns two MMDB_s (memory-mapped by libmaxminddb).
 * A file that cannot be opened, is not a MaxMind DB, or holds the wrong
 * kind of data is one warning and "unknown" afterwards; a lookup error
 * (e.g. a corrupt search tree) is "unknown" for that address and counted. */
#include "enrich/geo.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"

struct wd_geo {
  MMDB_s country, asn;
  bool has_country, has_asn;
  char problem[512];
  uint64_t lookup_errors; /* lookups that failed inside a database */
};

static void add_problem(wd_geo_t *g, const char *what, const char *why) {
  size_t n = strlen(g->problem);
  if (n && n + 2 < sizeof g->problem) {
    g->problem[n++] = ';';
    g->problem[n++] = ' ';
    g->problem[n] = 0;
  }
  snprintf(g->problem + n, sizeof g->problem - n, "%s database %s", what, why);
}

static bool open_db(wd_geo_t *g, MMDB_s *m, const char *path,
                    const char *what) {
  if (!path || !*path)
    return false;
  int rc = MMDB_open(path, MMDB_MODE_MMAP, m);
  if (rc != MMDB_SUCCESS) {
    char why[256];
    snprintf(why, sizeof why, "%s: %s", path, MMDB_strerror(rc));
    add_problem(g, what, why);
    wd_log(WD_LOG_WARN, "geo",
           "cannot open %s database %s; %s attribution will be unknown", what,
           why, what);
    return false;
  }
  return true;
}

wd_rc wd_geo_open(const char *country_db, const char *asn_db, wd_geo_t **out) {
  wd_geo_t *g = calloc(1, sizeof *g);
  *out = NULL;
  if (!g)
    return WD_ERR_NOMEM;
  g->has_country = open_db(g, &g->country, country_db, "country");
  g->has_asn = open_db(g, &g->asn, asn_db, "ASN");
  *out = g;
  return WD_OK;
}

void wd_geo_free(wd_geo_t *g) {
  if (!g)
    return;
  if (g->has_country)
    MMDB_close(&g->country);
  if (g->has_asn)
    MMDB_close(&g->asn);
  free(g);
}

bool wd_geo_has_country_db(const wd_geo_t *g) { return g && g->has_country; }
bool wd_geo_has_asn_db(const wd_geo_t *g) { return g && g->has_asn; }
const char *wd_geo_problem(const wd_geo_t *g) { return g ? g->problem : ""; }

/* Looks a up in m; false when not found or on a database error. */
static bool lookup(const wd_geo_t *g, const MMDB_s *m, const wd_addr_t *a,
                   MMDB_lookup_result_s *res) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (wd_addr_is_v4(a)) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_addr, a->b + 12, 4);
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, a->b, 16);
  }
  int err = 0;
  *res = MMDB_lookup_sockaddr(m, (const struct sockaddr *)&ss, &err);
  if (err != MMDB_SUCCESS) {
    /* counted, not logged per lookup: a corrupt file would flood */
    ((wd_geo_t *)g)->lookup_errors++;
    return false;
  }
  return res->found_entry;
}

static bool get_str(MMDB_entry_s *e, char *out, size_t n, const char *k1,
                    const char *k2) {
  MMDB_entry_data_s d;
  int rc = k2 ? MMDB_get_value(e, &d, k1, k2, NULL)
              : MMDB_get_value(e, &d, k1, NULL);
  if (rc != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
    return false;
  size_t len = d.data_size < n - 1 ? d.data_size : n - 1;
  /* keep printable ASCII and UTF-8 bytes; control characters become '?' */
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)d.utf8_string[i];
    out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  out[len] = 0;
  return len > 0;
}

static bool special(const wd_addr_t *a) {
  if (wd_addr_is_private(a))
    return true;
  if (wd_addr_is_v4(a)) {
    const uint8_t *v = a->b + 12;
    return v[0] == 0 || v[0] == 127 || (v[0] == 169 && v[1] == 254) ||
           v[0] >= 224 || (v[0] == 100 && (v[1] & 0xc0) == 64);
  }
  static const uint8_t zero[15] = {0};
  return a->b[0] == 0xff || (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) ||
         memcmp(a->b, zero, 15) == 0;
}

void wd_geo_lookup(const wd_geo_t *g, const wd_addr_t *a, wd_geo_result_t *r) {
  memset(r, 0, sizeof *r);
  if (!g || special(a))
    return;
  MMDB_lookup_result_s res;
  if (g->has_country && lookup(g, &g->country, a, &res)) {
    char cc[4];
    if (get_str(&res.entry, cc, sizeof cc, "country", "iso_code") ||
        get_str(&res.entry, cc, sizeof cc, "registered_country", "iso_code")) {
      for (int i = 0; cc[i]; i++)
        if (cc[i] >= 'a' && cc[i] <= 'z')
          cc[i] = (char)(cc[i] - 32);
      memcpy(r->country, cc, sizeof r->country);
      r->has_country = true;
    }
  }
  if (g->has_asn && lookup(g, &g->asn, a, &res)) {
    MMDB_entry_data_s d;
    if (MMDB_get_value(&res.entry, &d, "autonomous_system_number", NULL) ==
            MMDB_SUCCESS &&
        d.has_data) {
      if (d.type == MMDB_DATA_TYPE_UINT32)
        r->asn = d.uint32;
      else if (d.type == MMDB_DATA_TYPE_UINT16)
        r->asn = d.uint16;
      else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
        r->asn = (uint32_t)d.uint64;
      r->has_asn = r->asn != 0;
    }
    if (r->has_asn)
      get_str(&res.entry, r->as_org, sizeof r->as_org,
              "autonomous_system_organization", NULL);
  }
}
