/* notice.h -- one incident as a notification needs it, and the helpers
 * every notification format shares.
 * In: a wd_notice_incident_t filled by the caller (the store loader, a
 * test) whose strings are BORROWED: they must outlive every call that is
 * given the notice. Any string may come from the network (an attacker's
 * AS name, a DNS name, an SMB path) and may hold CR/LF, quotes, angle
 * brackets or bytes that are not UTF-8: the writers (iodef.c, stix.c,
 * text.c, mime.c) pass each through wd_notice_clean() and then escape it
 * for where it goes. NULL strings mean "unknown".
 * Out: nothing is allocated here; the format writers return documents the
 * caller frees. */
#ifndef WD_NOTIFY_NOTICE_H
#define WD_NOTIFY_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/rc.h"

/* Addresses written into one notification; past this the documents say
 * how many more there were (the evidence capture has them all). A flood of
 * 50,000 spoofed sources is described, not listed. */
#define WD_NOTICE_ADDRS_MAX 256
/* Length of one cleaned string in a document (a description, an AS name). */
#define WD_NOTICE_STR_MAX 1024
/* Free-form evidence lines (SMB paths, DNS names) written per notice. */
#define WD_NOTICE_DETAILS_MAX 32

typedef enum {
  WD_NOTICE_EXPLOIT,    /* intrusion-attempts/exploit */
  WD_NOTICE_COMPROMISE, /* intrusions/system-compromise */
  WD_NOTICE_DDOS,       /* availability/ddos (also dos) */
  WD_NOTICE_SCAN,       /* information-gathering/scanning */
  WD_NOTICE_WORM,       /* malicious-code/worm (infected-system) */
  WD_NOTICE_OTHER
} wd_notice_kind;

typedef enum {
  WD_NOTICE_ROLE_ATTACKER,  /* sent the attack traffic */
  WD_NOTICE_ROLE_REFLECTOR, /* abused as a reflector/amplifier */
  WD_NOTICE_ROLE_INFECTED   /* infected host of a worm outbreak */
} wd_notice_role;

typedef struct wd_notice_attacker {
  wd_addr_t ip;
  wd_notice_role role;
  const char *country;       /* ISO 3166 alpha-2, NULL if unknown */
  uint32_t asn;              /* 0 if unknown */
  const char *as_org;        /* AS organization, NULL if unknown */
  bool attribution_reliable; /* false: spoofed or otherwise doubtful */
  const char *reason;        /* why unreliable ("spoofed SYN flood"), or NULL */
  uint64_t first_seen_ns;    /* 0: the incident's first_seen */
  const char *infected_by;   /* worm: address text of who infected it */
} wd_notice_attacker_t;

typedef struct wd_notice_target {
  wd_addr_t ip;
  const char *facility; /* facility name: only shown to the facility's own
                           team (party kind facility-soc) */
  const char *sector;   /* "healthcare", ... (always shown) */
  uint16_t port;        /* attacked service port, 0 if none */
} wd_notice_target_t;

/* What must never reach a party outside the facility, and what of it this
 * party may see. Borrowed, like the rest of the notice. */
typedef struct wd_notice_privacy {
  const wd_cidr_t *internal; /* protected networks: the facilities' networks
                                and home_net */
  size_t n_internal;
  const char *const *names; /* facility names (and other internal names) */
  size_t n_names;
  /* A facility's own team (party kind facility-soc) sees its own
   * facilities: their networks and names. own_all: it sees every
   * facility (no directory entry says which are its own). */
  const wd_cidr_t *own;
  size_t n_own;
  const char *const *own_names;
  size_t n_own_names;
  bool own_all;
} wd_notice_privacy_t;

/* A threat-intelligence indicator the incident's traffic matched
 * (intel.match), with when and how often. The documents name it and its
 * feed; STIX gives it as an indicator and a sighting of it. */
#define WD_NOTICE_INTEL_MAX 16
typedef struct wd_notice_intel {
  const char *value; /* normalised: domain, URL, "192.0.2.1/32" */
  const char *type;  /* domain-name | url | ipv4-addr | ipv6-addr */
  const char *feed;  /* the feed's name */
  const char *ref;   /* the feed's reference: line, STIX id, MISP uuid */
  const char *field; /* where it was seen: dns.query, http.url, ... */
  const char *stix;  /* a STIX feed's own indicator (compact JSON: id,
                        pattern, times), NULL when none */
  uint64_t first_ns, last_ns; /* traffic time of the first/latest hit */
  uint64_t count;             /* alerts reporting it */
} wd_notice_intel_t;

typedef struct wd_notice_party {
  const char *name;     /* "CERT-SE" */
  const char *kind;     /* national-cert | isp-abuse | facility-soc |
                           law-enforcement */
  const char *email;    /* one address (addr-spec) */
  const char *format;   /* iodef | stix | text */
  const char *language; /* "en"; other languages fall back to English */
  uint32_t deadline_hours;
  const char *matched_by; /* "asn 29518", ... */
  const char *evidence;   /* omit | rewrite | full; NULL: full for a
                             facility's own team, rewrite otherwise */
} wd_notice_party_t;

typedef struct wd_notice_incident {
  const char *id;         /* "WARD-2026-000042" */
  const char *rsit_class; /* "intrusions" */
  const char *rsit_type;  /* "system-compromise" */
  const char *severity;   /* critical | high | medium | low */
  const char *summary;    /* one line from the correlator, or NULL */
  uint64_t first_seen_ns, last_seen_ns; /* traffic time */
  bool ongoing;                         /* not ended when the notice was made */

  const wd_notice_attacker_t *attackers; /* n_attackers entries: the ones
                                            this party is told about */
  size_t n_attackers;
  size_t n_other_sources;    /* sources of the incident left out because
                                they belong to other parties' networks */
  size_t n_unknown_sources;  /* left out: no party is known for them */
  size_t n_withheld_sources; /* internal sources left out (not this
                                party's to see) */
  const wd_notice_target_t *targets;
  size_t n_targets;
  uint8_t proto; /* IP protocol of the attack, 0 if mixed */

  uint64_t alerts, packets, bytes;
  uint64_t peak_pps, peak_bps;
  const char *const *detectors; /* "smb.ms17-010", ... */
  size_t n_detectors;
  const char *const *details; /* extra evidence lines (network strings) */
  size_t n_details;
  const wd_notice_intel_t *intel; /* indicators matched, this party's to
                                     see (none naming what it may not) */
  size_t n_intel;
  size_t n_intel_withheld; /* left out: they name an internal address or
                              a facility this party may not see */

  const char *evidence_path;   /* pcap excerpt, NULL if none */
  const char *evidence_sha256; /* 64 hex digits, NULL if none */
  uint64_t evidence_bytes;
  /* Set by wd_compose for the capture actually offered: its file name
   * (NULL: the basename of evidence_path) and whether its internal
   * addresses were replaced; evidence_sha256/bytes then describe it. */
  const char *evidence_name;
  bool evidence_rewritten;
  bool evidence_withheld; /* policy omit: no capture, no hash */

  const wd_notice_privacy_t *privacy; /* NULL: the targets and RFC 1918 /
                                         RFC 4193 addresses are internal */

  wd_notice_party_t party;

  /* The notification itself. */
  const char *sender_name;  /* notify.sender_name: "Example National CSIRT" */
  const char *sender_email; /* notify.from: "cert@csirt.example" */
  uint64_t report_ns;       /* when this notification is made (wall clock
                               of the sender, ns since epoch) */
  const char *message_id;   /* "<...@...>" fixed before sending, or NULL */
  /* Reminder: the first notification this one recalls. */
  bool reminder;
  const char *first_message_id;
  uint64_t first_sent_ns;
} wd_notice_incident_t;

wd_notice_kind wd_notice_kind_of(const wd_notice_incident_t *n);
const char *wd_notice_kind_name(wd_notice_kind k);
/* IODEF/STIX severity word: critical and high map to "high". */
const char *wd_notice_severity3(const char *severity);
/* The facility's own team (kind facility-soc) gets its facilities' names
 * and internal addresses; everyone else gets the sector, never a
 * protected address nor a facility's name. */
bool wd_notice_is_internal_party(const wd_notice_incident_t *n);
/* True when a must not be shown to this party: a target of the incident,
 * inside privacy->internal (or RFC 1918 / RFC 4193 without privacy), and
 * not one of the party's own. */
bool wd_notice_addr_withheld(const wd_notice_incident_t *n, const wd_addr_t *a);
bool wd_notice_target_disclosed(const wd_notice_incident_t *n,
                                const wd_notice_target_t *t);
/* The facility name may be shown to this party (its own facility). */
bool wd_notice_name_disclosed(const wd_notice_incident_t *n,
                              const char *facility);
/* The evidence policy of the party: "omit", "rewrite" or "full". */
const char *wd_notice_evidence_policy(const wd_notice_incident_t *n);
/* Name of the evidence file offered (borrowed; NULL if none). */
const char *wd_notice_evidence_name(const wd_notice_incident_t *n);
/* One line for a party outside the facility, in place of the
 * correlator's summary (which names hosts and the facility): kind,
 * sector, how many of the party's addresses. */
void wd_notice_describe(const wd_notice_incident_t *n, char *out, size_t len);
/* Leak guard: true when the len bytes of text name something this party
 * must not see -- an IPv4 or IPv6 address that wd_notice_addr_withheld,
 * or a facility name it may not see (case ignored) -- with what it found
 * in what (a short, safe description: "an internal address", "a facility
 * name"). The sender's own name is not searched for. */
bool wd_notice_leaks(const wd_notice_incident_t *n, const char *text,
                     size_t len, char *what, size_t whatlen);
/* One line naming a matched indicator, its feed and where it was seen,
 * cleaned to one line of UTF-8: "domain-name evil.example, listed in feed
 * feed.json (indicator--...), seen in dns.query: 3 alert(s),
 * 2026-02-04T10:00:00Z .. 2026-02-04T10:05:00Z". */
void wd_notice_intel_line(const wd_notice_intel_t *e, char *out, size_t len);

/* Attackers with unreliable attribution (spoofed sources). */
size_t wd_notice_unreliable(const wd_notice_incident_t *n);

/* The public references (CVE records, advisories) of the incident's
 * detectors, looked up by name (detect/detector.h), each URL once, in
 * detector order: up to max of them into out (borrowed, static); returns
 * how many. */
#define WD_NOTICE_REFS_MAX 16
struct wd_detector_ref;
size_t wd_notice_refs(const wd_notice_incident_t *n,
                      const struct wd_detector_ref **out, size_t max);

/* wd_notice_clean flags. */
#define WD_CLEAN_ONELINE 1u /* CR, LF, TAB and other controls -> space */
#define WD_CLEAN_ASCII 2u   /* non-ASCII -> '?' (addresses, tokens) */

/* Copies in (len bytes, any content) to out as valid UTF-8 of at most
 * outcap-1 bytes plus NUL: invalid sequences, overlongs, surrogates,
 * U+FFFE/U+FFFF and C1 controls become U+FFFD; C0 controls and DEL become
 * a space (keeping \n and \t unless ONELINE); bidirectional overrides are
 * dropped; truncation never splits a character. Returns bytes written. */
size_t wd_notice_clean(const char *in, size_t len, char *out, size_t outcap,
                       unsigned flags);
/* NULL-safe wd_notice_clean of a C string into a WD_NOTICE_STR_MAX buffer;
 * returns out, or dflt when s is NULL or cleans to nothing. */
const char *wd_notice_cleans(const char *s, char out[WD_NOTICE_STR_MAX],
                             unsigned flags, const char *dflt);

/* "2026-01-02T03:04:05Z" (UTC, second precision); out >= 21 bytes. */
char *wd_notice_time_iso(uint64_t ns, char *out, size_t outlen);
/* "2026-01-02 03:04:05 UTC"; out >= 24 bytes. */
char *wd_notice_time_human(uint64_t ns, char *out, size_t outlen);
/* Checks an addr-spec we are about to put into a header or SMTP envelope:
 * printable ASCII, one '@', no spaces, quotes, angle brackets, commas. */
bool wd_notice_email_ok(const char *addr);
/* ISO 3166 alpha-2: two uppercase ASCII letters. */
bool wd_notice_country_ok(const char *cc);
/* 64 lowercase or uppercase hex digits. */
bool wd_notice_sha256_ok(const char *hex);
/* snprintf at buf+*o that never runs past cap: *o stays <= cap-1, and
 * truncated text is simply cut (callers clean the result afterwards). */
void wd_notice_catf(char *buf, size_t cap, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Last path component of a file name (borrowed from path). */
const char *wd_notice_basename(const char *path);

#endif
