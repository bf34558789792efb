/* intel_feed.h -- indicator feeds (domains, IP addresses and prefixes,
 * URLs) read from STIX 2.1 bundles, MISP event JSON and CSV, held in
 * hash sets of ward's own for matching at line rate.
 * In: feed files or buffers (the format is recognised from the content,
 * never from the file name), the built-in feed of WannaCry kill-switch
 * domains, single indicators. Out: a wd_intel_set_t answering "is this
 * name / address / URL listed, and by which indicator" (wd_ioc_t: kind,
 * value, source feed, line or object id, description).
 * Matching: a domain name matches an indicator equal to it or to any of
 * its parent domains (a.b.evil.com matches evil.com, notevil.com does
 * not); an address matches the longest listed prefix containing it (a
 * host address is a /32 or /128 prefix); a URL matches after
 * normalisation (scheme and host lowercased, fragment dropped, empty path
 * written "/"). Lookups allocate nothing and make no system call; a
 * domain's suffix hashes come from one pass over the name.
 * Loading: what is good is kept, each rejected line or object is reported
 * as "file:line: reason" or "file: object-id: reason" (bounded list, the
 * rest counted), unsupported STIX patterns are skipped and reported with
 * the indicator id, never guessed. The number of indicators is capped by
 * the caller (a configured value); past it indicators are refused and
 * counted (cap_hits).
 * Memory: a set owns its tables and strings (allocated while loading,
 * never while matching); wd_ioc_t pointers returned by lookups borrow the
 * set and are valid until it is freed.
 * Threads: a set is built by one thread and is then read-only; any number
 * of threads may match against it. Reload: build a new set, then publish
 * it with wd_intel_slot_swap (release store); readers take the current set
 * with wd_intel_slot_get (acquire load) once per packet or batch and do not
 * keep it past their next quiescent point (the packet thread's tick). The
 * swapping thread frees the old set only after every reader has passed
 * such a point (e.g. it waits for each worker to acknowledge the new
 * generation); the slot itself never frees. */
#ifndef WD_DETECT_INTEL_FEED_H
#define WD_DETECT_INTEL_FEED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/net.h"
#include "core/rc.h"

/* wd_ioc_t.kind */
enum {
  WD_IOC_DOMAIN = 1,
  WD_IOC_ADDR = 2, /* address or prefix (prefix_len on the 128-bit form) */
  WD_IOC_URL = 3
};

/* Feed formats (wd_intel_detect_format). */
enum {
  WD_FEED_UNKNOWN = 0,
  WD_FEED_STIX = 1, /* STIX 2.1 bundle */
  WD_FEED_MISP = 2, /* MISP event, or a list / response of events */
  WD_FEED_CSV = 3   /* type,value[,description] */
};

typedef struct wd_ioc {
  uint8_t kind;       /* WD_IOC_* */
  uint8_t prefix_len; /* WD_IOC_ADDR: 0..128 (IPv4 /n is 96 + n) */
  wd_addr_t addr;     /* WD_IOC_ADDR: masked network address */
  const char *value;  /* normalised text (domain, URL, CIDR/address) */
  const char *source; /* feed name given at load time */
  const char *ref;    /* "line 12", a STIX indicator id, a MISP uuid */
  const char *desc;   /* description ("" when none) */
  /* STIX feeds: the feed's own indicator as compact JSON of the properties
   * a sighting needs to reference it ({"id","pattern","created",
   * "modified","valid_from"}, those the feed gave), at most
   * WD_INTEL_STIX_MAX bytes; "" for other feeds, for an indicator whose id
   * is not of the form indicator--UUID, or when it would be longer. */
  const char *stix;
} wd_ioc_t;

typedef struct wd_intel_stats {
  uint64_t indicators; /* kept */
  uint64_t domains, addrs, prefixes, urls;
  uint64_t duplicates; /* same kind and value again: first one kept */
  uint64_t rejected;   /* lines or objects refused (malformed) */
  uint64_t skipped;    /* understood but not usable (other pattern
                          types, non-network MISP types, to_ids false,
                          revoked) */
  uint64_t cap_hits;   /* refused because the cap was reached */
} wd_intel_stats_t;

/* Messages kept per load report; further ones are counted only. */
#define WD_INTEL_REPORT_MAX 32
#define WD_INTEL_MSG_MAX 320

/* What one load did. */
typedef struct wd_intel_report {
  uint8_t format;  /* WD_FEED_* recognised */
  uint32_t loaded; /* indicators added */
  uint32_t rejected, skipped, duplicates, cap_hits;
  uint32_t n_msgs;       /* kept in msgs[] */
  uint32_t msgs_dropped; /* messages beyond WD_INTEL_REPORT_MAX */
  char msgs[WD_INTEL_REPORT_MAX][WD_INTEL_MSG_MAX]; /* "file:line: why" */
} wd_intel_report_t;

typedef struct wd_intel_set wd_intel_set_t;

/* An empty set holding at most max_indicators (1 .. 2^26). */
wd_rc wd_intel_set_new(size_t max_indicators, wd_intel_set_t **out);
void wd_intel_set_free(wd_intel_set_t *s);

/* Adds one indicator given as text. kind: WD_IOC_DOMAIN (normalised:
 * lowercase, one trailing dot removed, ASCII letters/digits/-/_ labels of
 * 1..63, at most 253; IDNs in their xn-- A-label form), WD_IOC_ADDR
 * ("192.0.2.1", "2001:db8::/32"; host bits beyond the prefix refused),
 * WD_IOC_URL ("scheme://host..."). source, ref and desc are copied (ref and
 * desc may be NULL). Returns WD_OK (also for a duplicate, counted),
 * WD_ERR_INVAL with *why set to a sentence, WD_ERR_FULL at the cap,
 * WD_ERR_NOMEM. */
wd_rc wd_intel_add(wd_intel_set_t *s, int kind, const char *value,
                   const char *source, const char *ref, const char *desc,
                   const char **why);

/* Recognises a feed's format from its first bytes. */
int wd_intel_detect_format(const char *data, size_t len);

/* Loads a feed held in memory. label names it in report messages (a file
 * name); source is stored in each indicator. rep may be NULL. Returns
 * WD_OK when the feed was read (even with rejected parts: see rep),
 * WD_ERR_INVAL when it is not a feed at all (unparseable JSON, unknown
 * format; rep->msgs says why), WD_ERR_NOMEM. */
wd_rc wd_intel_load_buffer(wd_intel_set_t *s, const char *data, size_t len,
                           const char *label, const char *source,
                           wd_intel_report_t *rep);

/* Loads a feed file (read whole, at most WD_FEED_FILE_MAX bytes). source
 * NULL: the file's base name. WD_ERR_IO when it cannot be read. */
wd_rc wd_intel_load_file(wd_intel_set_t *s, const char *path,
                         const char *source, wd_intel_report_t *rep);

/* Adds the built-in feed "builtin:wannacry" (kill-switch domains, see
 * docs/protocols.md for their public origin). */
wd_rc wd_intel_add_builtin(wd_intel_set_t *s);

/* Lookups. name: a DNS name (case and one trailing dot ignored); len of
 * name, or (size_t)-1 for a NUL-terminated string. Return the indicator
 * matched (the longest listed domain suffix, the longest prefix) or NULL. */
const wd_ioc_t *wd_intel_match_domain(const wd_intel_set_t *s, const char *name,
                                      size_t len);
const wd_ioc_t *wd_intel_match_addr(const wd_intel_set_t *s,
                                    const wd_addr_t *a);
const wd_ioc_t *wd_intel_match_url(const wd_intel_set_t *s, const char *url);

/* Normalises a URL into out (cap bytes); false when it is not a URL of the
 * form scheme://host[...] or does not fit. */
bool wd_intel_url_normalise(const char *url, char *out, size_t cap);

void wd_intel_set_stats(const wd_intel_set_t *s, wd_intel_stats_t *out);

/* The published set, for reload (threading rule above). */
typedef struct wd_intel_slot {
  _Atomic(wd_intel_set_t *) cur;
} wd_intel_slot_t;

void wd_intel_slot_init(wd_intel_slot_t *slot, wd_intel_set_t *s);
/* The current set (may be NULL); borrowed until the caller's next
 * quiescent point. */
const wd_intel_set_t *wd_intel_slot_get(wd_intel_slot_t *slot);
/* Publishes s; returns the previous set for the caller to free once every
 * reader has passed a quiescent point. */
wd_intel_set_t *wd_intel_slot_swap(wd_intel_slot_t *slot, wd_intel_set_t *s);

#endif
