/* directory.h -- the directory of responsible parties: who is told about
 * an attack from a given address (national CERTs, ISP abuse desks, a
 * facility's own security team, law enforcement).
 * In: a YAML file (attribution.directory, format in docs/incidents.md).
 * Out: a read-only wd_directory_t the caller owns (wd_directory_free);
 * wd_party_t pointers are borrowed from it until then. Matching: for an
 * address inside a facility, that facility's facility-soc entry; else the
 * longest matching prefix, else an entry listing the address's AS number,
 * else one listing its country; ties go to the earlier entry. Errors name
 * file:line:column like the configuration's. */
#ifndef WD_ENRICH_DIRECTORY_H
#define WD_ENRICH_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/rc.h"

/* Largest directory file, parties in it, entries of one list, and the
 * deepest nesting of lists and mappings (the grammar needs four). */
#define WD_DIRECTORY_FILE_MAX (4u << 20)
#define WD_DIRECTORY_DEPTH_MAX 8
#define WD_DIRECTORY_PARTIES_MAX 4096
#define WD_DIRECTORY_LIST_MAX 1024

typedef struct wd_party {
  char *name;              /* required */
  char *kind;              /* national-cert | isp-abuse | facility-soc |
                              law-enforcement (required) */
  char *email;             /* required */
  char *format;            /* iodef | stix | text (default text) */
  char *language;          /* default "en" */
  char *pgp_fingerprint;   /* NULL if none */
  uint32_t deadline_hours; /* default 72 */
  char (*countries)[3];    /* upper-case ISO alpha-2 */
  size_t n_countries;
  uint32_t *asns;
  size_t n_asns;
  wd_cidr_t *prefixes;
  size_t n_prefixes;
  char **facilities; /* facility names (facility-soc) */
  size_t n_facilities;
  /* What of the evidence capture this party gets: "omit" (nothing
   * attached), "rewrite" (internal addresses replaced by placeholders) or
   * "full" (as recorded; facility-soc only). Default: full for
   * facility-soc, rewrite for every other kind. */
  char *evidence;
  /* Senders whose replies count as this party's, besides email: full
   * addresses ("analyst@cert.example") or whole domains ("@cert.example"),
   * lowercase. */
  char **reply_from;
  size_t n_reply_from;
  unsigned line; /* where the entry starts in its file */
} wd_party_t;

typedef struct wd_directory wd_directory_t;

wd_rc wd_directory_load(const char *path, wd_directory_t **out, char *err,
                        size_t errlen);
/* From memory (tests, fuzzing); name is used in messages. */
wd_rc wd_directory_load_buffer(const char *name, const char *buf, size_t len,
                               wd_directory_t **out, char *err, size_t errlen);
void wd_directory_free(wd_directory_t *d);

size_t wd_directory_count(const wd_directory_t *d);
const wd_party_t *wd_directory_party(const wd_directory_t *d, size_t i);

/* The party responsible for addr (country "" / asn 0 when unknown;
 * facility: name of the facility holding addr, or NULL). Writes why to
 * matched_by ("facility X", "prefix P", "asn N", "country CC") or, when
 * nothing matches, returns NULL and writes "no match". d may be NULL. */
/* The party named name (and, when email is not NULL, with that address,
 * compared without case); NULL when none. */
const wd_party_t *wd_directory_find(const wd_directory_t *d, const char *name,
                                    const char *email);

/* True when the sender addr (an addr-spec) is p's email or is listed in
 * its reply_from (an address, or "@domain" for the whole domain; no
 * subdomains), compared without case. */
bool wd_party_sender_ok(const wd_party_t *p, const char *addr);

const wd_party_t *wd_directory_match(const wd_directory_t *d,
                                     const wd_addr_t *addr, const char *country,
                                     uint32_t asn, const char *facility,
                                     char *matched_by, size_t n);

#endif
