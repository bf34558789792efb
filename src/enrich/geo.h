/* geo.h -- country and autonomous system of an address, from MaxMind-format
 * databases (libmaxminddb): a country database (country.iso_code) and an
 * ASN database (autonomous_system_number / _organization).
 * In: file paths (either may be NULL); addresses to look up. Out: results
 * in caller storage. A missing or unreadable database is one warning at
 * open and "unknown" for every lookup afterwards, never an error: ward
 * must still report incidents without attribution. Memory: wd_geo_t owns
 * the mapped files. Lookups allocate nothing; alerts-rate only (not per
 * packet). */
#ifndef WD_ENRICH_GEO_H
#define WD_ENRICH_GEO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"
#include "core/rc.h"

typedef struct wd_geo_result {
  bool has_country; /* country[] valid */
  char country[4];  /* ISO 3166-1 alpha-2, upper case; "" if unknown */
  bool has_asn;     /* asn valid (as_org may still be "") */
  uint32_t asn;
  char as_org[128]; /* "" if the database has no organisation */
} wd_geo_result_t;

typedef struct wd_geo wd_geo_t;

/* Opens what can be opened; problems are logged (warning) and kept for
 * wd_geo_problem(). Fails only for lack of memory. */
wd_rc wd_geo_open(const char *country_db, const char *asn_db, wd_geo_t **out);
void wd_geo_free(wd_geo_t *g);

/* Fills r (zeroed first). Private and special addresses are never looked
 * up. g may be NULL (everything unknown). */
void wd_geo_lookup(const wd_geo_t *g, const wd_addr_t *a, wd_geo_result_t *r);

bool wd_geo_has_country_db(const wd_geo_t *g);
bool wd_geo_has_asn_db(const wd_geo_t *g);
/* The open-time problems as one line ("" if none), borrowed from g. */
const char *wd_geo_problem(const wd_geo_t *g);

#endif
