/* directory.c -- loading and matching the directory of responsible parties.
 * In: YAML text (core/yaml.h, the reader the configuration uses): a
 * mapping with one key "parties", a list of mappings (keys in
 * docs/incidents.md). Out: wd_directory_t, owning every party and its
 * strings/lists (wd_directory_free). Hostile files: size capped
 * (WD_DIRECTORY_FILE_MAX), anchors/aliases refused and nesting capped by
 * the reader (WD_DIRECTORY_DEPTH_MAX), lists capped (WD_DIRECTORY_LIST_MAX,
 * WD_DIRECTORY_PARTIES_MAX); the first error stops the load with
 * "FILE:LINE:COL: key: problem". Matching walks every party (alert rate,
 * not packet rate). */
#include "enrich/directory.h"

#include "core/limits.h"
#include "core/strbuf.h"
#include "core/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct wd_directory {
  wd_party_t *v;
  size_t n, cap;
};

typedef struct parse {
  wd_yaml_t *y;
  const wd_yaml_event_t *ev; /* the current event (the reader's) */
} parse_t;

#define fail_at(ps, m, key, ...) wd_yaml_fail((ps)->y, m, key, __VA_ARGS__)

/* Next event into ps->ev. */
static bool next(parse_t *ps) { return wd_yaml_next(ps->y, &ps->ev) == WD_OK; }

static const char *scalar(parse_t *ps) { return ps->ev->s; }

static char *dup_scalar(parse_t *ps, const char *key, size_t max) {
  if (ps->ev->kind != WD_YAML_SCALAR) {
    fail_at(ps, ps->ev->at, key, "expected a text value");
    return NULL;
  }
  size_t len = ps->ev->len;
  if (len == 0 || len > max || memchr(scalar(ps), 0, len)) {
    fail_at(ps, ps->ev->at, key, "expected 1 to %zu characters", max);
    return NULL;
  }
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)scalar(ps)[i] < 0x20) {
      fail_at(ps, ps->ev->at, key, "control character in value");
      return NULL;
    }
  char *s = strdup(scalar(ps));
  if (!s)
    fail_at(ps, ps->ev->at, key, "out of memory");
  return s;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out) {
  if (!*s || !isdigit((unsigned char)*s))
    return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max)
    return false;
  *out = (uint32_t)v;
  return true;
}

static bool one_of(const char *s, const char *const *names) {
  for (; *names; names++)
    if (strcmp(s, *names) == 0)
      return true;
  return false;
}

static const char *const kinds[] = {"national-cert", "isp-abuse",
                                    "facility-soc", "law-enforcement", NULL};
static const char *const formats[] = {"iodef", "stix", "text", NULL};
static const char *const evidence_policies[] = {"omit", "rewrite", "full",
                                                NULL};

/* Grows *arr (elem bytes each) to hold one more; false when capped. */
static bool grow(parse_t *ps, const char *key, void **arr, size_t *n,
                 size_t elem) {
  if (*n >= WD_DIRECTORY_LIST_MAX) {
    fail_at(ps, ps->ev->at, key, "more than %d entries", WD_DIRECTORY_LIST_MAX);
    return false;
  }
  void *na = realloc(*arr, (*n + 1) * elem);
  if (!na) {
    fail_at(ps, ps->ev->at, key, "out of memory");
    return false;
  }
  *arr = na;
  return true;
}

/* A list value "[a, b]" or a single scalar; each item goes to item(). */
typedef bool (*item_fn)(parse_t *ps, wd_party_t *p, const char *key);

static bool item_country(parse_t *ps, wd_party_t *p, const char *key) {
  const char *s = scalar(ps);
  if (ps->ev->len != 2 || !isalpha((unsigned char)s[0]) ||
      !isalpha((unsigned char)s[1])) {
    fail_at(ps, ps->ev->at, key, "'%.40s' is not a two-letter country code", s);
    return false;
  }
  void *arr = p->countries;
  if (!grow(ps, key, &arr, &p->n_countries, sizeof *p->countries))
    return false;
  p->countries = arr;
  p->countries[p->n_countries][0] = (char)toupper((unsigned char)s[0]);
  p->countries[p->n_countries][1] = (char)toupper((unsigned char)s[1]);
  p->countries[p->n_countries][2] = 0;
  p->n_countries++;
  return true;
}

static bool item_asn(parse_t *ps, wd_party_t *p, const char *key) {
  const char *s = scalar(ps);
  uint32_t v;
  if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
    s += 2;
  if (!parse_u32(s, UINT32_MAX, &v) || v == 0) {
    fail_at(ps, ps->ev->at, key, "'%.40s' is not an AS number", scalar(ps));
    return false;
  }
  void *arr = p->asns;
  if (!grow(ps, key, &arr, &p->n_asns, sizeof *p->asns))
    return false;
  p->asns = arr;
  p->asns[p->n_asns++] = v;
  return true;
}

static bool item_prefix(parse_t *ps, wd_party_t *p, const char *key) {
  wd_cidr_t c;
  if (wd_cidr_parse(scalar(ps), &c) != WD_OK) {
    fail_at(ps, ps->ev->at, key, "'%.60s' is not a network (e.g. 192.0.2.0/24)",
            scalar(ps));
    return false;
  }
  void *arr = p->prefixes;
  if (!grow(ps, key, &arr, &p->n_prefixes, sizeof *p->prefixes))
    return false;
  p->prefixes = arr;
  p->prefixes[p->n_prefixes++] = c;
  return true;
}

static bool item_facility(parse_t *ps, wd_party_t *p, const char *key) {
  void *arr = p->facilities;
  if (!grow(ps, key, &arr, &p->n_facilities, sizeof *p->facilities))
    return false;
  p->facilities = arr;
  char *s = dup_scalar(ps, key, WD_NAME_MAX - 1);
  if (!s)
    return false;
  p->facilities[p->n_facilities++] = s;
  return true;
}

/* "user@domain" or "@domain": printable ASCII, no spaces or brackets,
 * a dot in the domain; stored lowercase. */
static bool item_reply_from(parse_t *ps, wd_party_t *p, const char *key) {
  const char *s = scalar(ps);
  size_t len = ps->ev->len;
  const char *at = memchr(s, '@', len);
  bool ok = at && len <= 254 && strchr(at + 1, '@') == NULL &&
            strchr(at + 1, '.') && at[1] != '.' && s[len - 1] != '.';
  for (size_t i = 0; ok && i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    ok = c > 0x20 && c < 0x7F && !strchr("<>()[]\\,;:\"", c);
  }
  if (!ok) {
    fail_at(ps, ps->ev->at, key, "'%.60s' is not a mail address or @domain", s);
    return false;
  }
  void *arr = p->reply_from;
  if (!grow(ps, key, &arr, &p->n_reply_from, sizeof *p->reply_from))
    return false;
  p->reply_from = arr;
  char *v = dup_scalar(ps, key, 254);
  if (!v)
    return false;
  for (char *c = v; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  p->reply_from[p->n_reply_from++] = v;
  return true;
}

static bool parse_list(parse_t *ps, wd_party_t *p, const char *key,
                       item_fn fn) {
  if (!next(ps))
    return false;
  if (ps->ev->kind == WD_YAML_SCALAR)
    return fn(ps, p, key);
  if (ps->ev->kind != WD_YAML_SEQ_START) {
    fail_at(ps, ps->ev->at, key, "expected a list");
    return false;
  }
  for (;;) {
    if (!next(ps))
      return false;
    if (ps->ev->kind == WD_YAML_SEQ_END)
      return true;
    if (ps->ev->kind != WD_YAML_SCALAR) {
      fail_at(ps, ps->ev->at, key, "expected a list of values");
      return false;
    }
    if (!fn(ps, p, key))
      return false;
  }
}

static void party_fini(wd_party_t *p) {
  free(p->name);
  free(p->kind);
  free(p->email);
  free(p->format);
  free(p->language);
  free(p->pgp_fingerprint);
  free(p->countries);
  free(p->asns);
  free(p->prefixes);
  for (size_t i = 0; i < p->n_facilities; i++)
    free(p->facilities[i]);
  free(p->facilities);
  free(p->evidence);
  for (size_t i = 0; i < p->n_reply_from; i++)
    free(p->reply_from[i]);
  free(p->reply_from);
  memset(p, 0, sizeof *p);
}

static bool set_str(parse_t *ps, char **field, const char *key, size_t max) {
  if (!next(ps))
    return false;
  if (*field) {
    fail_at(ps, ps->ev->at, key, "given twice");
    return false;
  }
  *field = dup_scalar(ps, key, max);
  return *field != NULL;
}

/* One item of the parties list; the MAPPING_START is the current event. */
static bool parse_party(parse_t *ps, wd_party_t *p) {
  wd_yaml_mark_t start = ps->ev->at, evidence_mark = start;
  bool have_deadline = false;
  p->line = start.line;
  for (;;) {
    if (!next(ps))
      return false;
    if (ps->ev->kind == WD_YAML_MAP_END)
      break;
    if (ps->ev->kind != WD_YAML_SCALAR) {
      fail_at(ps, ps->ev->at, "parties", "expected a key");
      return false;
    }
    char key[48];
    snprintf(key, sizeof key, "%s", scalar(ps));
    wd_yaml_mark_t km = ps->ev->at;
    bool ok;
    if (strcmp(key, "name") == 0)
      ok = set_str(ps, &p->name, key, WD_NAME_MAX - 1);
    else if (strcmp(key, "kind") == 0) {
      ok = set_str(ps, &p->kind, key, 32);
      if (ok && !one_of(p->kind, kinds)) {
        fail_at(ps, ps->ev->at, key,
                "'%s' is not one of national-cert, isp-abuse, facility-soc, "
                "law-enforcement",
                p->kind);
        ok = false;
      }
    } else if (strcmp(key, "email") == 0) {
      ok = set_str(ps, &p->email, key, 254);
      if (ok && (!strchr(p->email, '@') || strpbrk(p->email, " <>,;\"\\"))) {
        fail_at(ps, ps->ev->at, key, "'%.60s' is not a plain mail address",
                p->email);
        ok = false;
      }
    } else if (strcmp(key, "format") == 0) {
      ok = set_str(ps, &p->format, key, 16);
      if (ok && !one_of(p->format, formats)) {
        fail_at(ps, ps->ev->at, key, "'%s' is not one of iodef, stix, text",
                p->format);
        ok = false;
      }
    } else if (strcmp(key, "language") == 0)
      ok = set_str(ps, &p->language, key, 15);
    else if (strcmp(key, "pgp_fingerprint") == 0)
      ok = set_str(ps, &p->pgp_fingerprint, key, 127);
    else if (strcmp(key, "deadline_hours") == 0) {
      ok = next(ps);
      if (ok && (ps->ev->kind != WD_YAML_SCALAR || have_deadline ||
                 !parse_u32(scalar(ps), 24 * 365, &p->deadline_hours))) {
        fail_at(ps, ps->ev->at, key,
                "expected hours, a whole number 0 to 8760, given once");
        ok = false;
      }
      have_deadline = true;
    } else if (strcmp(key, "countries") == 0)
      ok = parse_list(ps, p, key, item_country);
    else if (strcmp(key, "asns") == 0)
      ok = parse_list(ps, p, key, item_asn);
    else if (strcmp(key, "prefixes") == 0)
      ok = parse_list(ps, p, key, item_prefix);
    else if (strcmp(key, "facilities") == 0)
      ok = parse_list(ps, p, key, item_facility);
    else if (strcmp(key, "reply_from") == 0)
      ok = parse_list(ps, p, key, item_reply_from);
    else if (strcmp(key, "evidence") == 0) {
      ok = set_str(ps, &p->evidence, key, 16);
      if (ok)
        evidence_mark = ps->ev->at;
      if (ok && !one_of(p->evidence, evidence_policies)) {
        fail_at(ps, ps->ev->at, key, "'%s' is not one of omit, rewrite, full",
                p->evidence);
        ok = false;
      }
    } else {
      fail_at(ps, km, key,
              "unknown key; expected name, kind, email, format, language, "
              "deadline_hours, pgp_fingerprint, countries, asns, prefixes, "
              "facilities, reply_from or evidence");
      ok = false;
    }
    if (!ok)
      return false;
  }
  const char *missing = !p->name    ? "name"
                        : !p->kind  ? "kind"
                        : !p->email ? "email"
                                    : NULL;
  if (missing) {
    fail_at(ps, start, "parties", "entry without %s", missing);
    return false;
  }
  /* the unmodified capture shows the facility's internal addresses: only
     the facility's own team may have it */
  if (p->evidence && strcmp(p->evidence, "full") == 0 &&
      strcmp(p->kind, "facility-soc") != 0) {
    fail_at(ps, evidence_mark, "evidence",
            "'full' is only for kind facility-soc (the capture shows internal "
            "addresses); use rewrite or omit");
    return false;
  }
  if (!p->evidence &&
      !(p->evidence =
            strdup(strcmp(p->kind, "facility-soc") == 0 ? "full" : "rewrite")))
    return false;
  if (!p->format && !(p->format = strdup("text")))
    return false;
  if (!p->language && !(p->language = strdup("en")))
    return false;
  if (!have_deadline)
    p->deadline_hours = 72;
  return true;
}

static bool parse_doc(parse_t *ps, wd_directory_t *d) {
  bool seen = false;
  if (!next(ps) || ps->ev->kind != WD_YAML_STREAM_START)
    return false;
  if (!next(ps))
    return false;
  if (ps->ev->kind == WD_YAML_STREAM_END)
    return true; /* empty file: no parties */
  if (!next(ps))
    return false;
  if (ps->ev->kind == WD_YAML_SCALAR && ps->ev->len == 0)
    return true; /* an empty document */
  if (ps->ev->kind != WD_YAML_MAP_START) {
    fail_at(ps, ps->ev->at, NULL, "expected a mapping with 'parties'");
    return false;
  }
  for (;;) {
    if (!next(ps))
      return false;
    if (ps->ev->kind == WD_YAML_MAP_END)
      break;
    if (ps->ev->kind != WD_YAML_SCALAR || strcmp(scalar(ps), "parties") != 0 ||
        seen) {
      fail_at(ps, ps->ev->at,
              ps->ev->kind == WD_YAML_SCALAR ? scalar(ps) : NULL,
              "unknown or repeated key; expected 'parties' once");
      return false;
    }
    seen = true;
    if (!next(ps))
      return false;
    if (ps->ev->kind == WD_YAML_SCALAR && ps->ev->len == 0)
      continue; /* parties: (empty) */
    if (ps->ev->kind != WD_YAML_SEQ_START) {
      fail_at(ps, ps->ev->at, "parties", "expected a list of parties");
      return false;
    }
    for (;;) {
      if (!next(ps))
        return false;
      if (ps->ev->kind == WD_YAML_SEQ_END)
        break;
      if (ps->ev->kind != WD_YAML_MAP_START) {
        fail_at(ps, ps->ev->at, "parties",
                "expected a party (a mapping with name, kind, email, ...)");
        return false;
      }
      if (d->n >= WD_DIRECTORY_PARTIES_MAX) {
        fail_at(ps, ps->ev->at, "parties", "more than %d parties",
                WD_DIRECTORY_PARTIES_MAX);
        return false;
      }
      if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        wd_party_t *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
          fail_at(ps, ps->ev->at, "parties", "out of memory");
          return false;
        }
        d->v = nv;
        d->cap = nc;
      }
      wd_party_t *p = &d->v[d->n++];
      memset(p, 0, sizeof *p);
      if (!parse_party(ps, p))
        return false;
    }
  }
  return next(ps) && ps->ev->kind == WD_YAML_DOC_END && next(ps) &&
         (ps->ev->kind == WD_YAML_STREAM_END ||
          (fail_at(ps, ps->ev->at, NULL, "only one document allowed"), false));
}

wd_rc wd_directory_load_buffer(const char *name, const char *buf, size_t len,
                               wd_directory_t **out, char *err, size_t errlen) {
  *out = NULL;
  if (err && errlen)
    err[0] = 0;
  if (len > WD_DIRECTORY_FILE_MAX) {
    if (err)
      snprintf(err, errlen, "%s: larger than %u bytes", name,
               WD_DIRECTORY_FILE_MAX);
    return WD_ERR_CONFIG;
  }
  wd_directory_t *d = calloc(1, sizeof *d);
  if (!d)
    return WD_ERR_NOMEM;
  parse_t ps = {0};
  wd_rc rc =
      wd_yaml_new(name, buf, len, WD_DIRECTORY_DEPTH_MAX, err, errlen, &ps.y);
  if (rc != WD_OK) {
    free(d);
    return rc;
  }
  bool ok = parse_doc(&ps, d);
  bool said = wd_yaml_failed(ps.y);
  wd_yaml_free(ps.y);
  if (!ok) {
    if (!said && err && errlen)
      snprintf(err, errlen, "%s: malformed directory", name);
    wd_directory_free(d);
    return WD_ERR_CONFIG;
  }
  *out = d;
  return WD_OK;
}

wd_rc wd_directory_load(const char *path, wd_directory_t **out, char *err,
                        size_t errlen) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  wd_strbuf_t b;
  wd_strbuf_init(&b, WD_DIRECTORY_FILE_MAX);
  wd_rc rc = wd_strbuf_read(&b, f);
  fclose(f);
  if (rc == WD_ERR_IO)
    snprintf(err, errlen, "%s: read error", path);
  else if (rc == WD_ERR_FULL) {
    snprintf(err, errlen, "%s: larger than %u bytes", path,
             WD_DIRECTORY_FILE_MAX);
    rc = WD_ERR_CONFIG;
  } else if (rc == WD_OK)
    rc = wd_directory_load_buffer(path, wd_strbuf_str(&b), b.len, out, err,
                                  errlen);
  wd_strbuf_fini(&b);
  return rc;
}

void wd_directory_free(wd_directory_t *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->n; i++)
    party_fini(&d->v[i]);
  free(d->v);
  free(d);
}

size_t wd_directory_count(const wd_directory_t *d) { return d ? d->n : 0; }

const wd_party_t *wd_directory_party(const wd_directory_t *d, size_t i) {
  return d && i < d->n ? &d->v[i] : NULL;
}

const wd_party_t *wd_directory_find(const wd_directory_t *d, const char *name,
                                    const char *email) {
  for (size_t i = 0; d && name && i < d->n; i++)
    if (strcmp(d->v[i].name, name) == 0 &&
        (!email || strcasecmp(d->v[i].email, email) == 0))
      return &d->v[i];
  return NULL;
}

bool wd_party_sender_ok(const wd_party_t *p, const char *addr) {
  const char *at = addr ? strrchr(addr, '@') : NULL;
  if (!p || !at || at == addr)
    return false;
  if (strcasecmp(p->email, addr) == 0)
    return true;
  for (size_t i = 0; i < p->n_reply_from; i++) {
    const char *r = p->reply_from[i];
    if (r[0] == '@' ? strcasecmp(r, at) == 0 : strcasecmp(r, addr) == 0)
      return true;
  }
  return false;
}

const wd_party_t *wd_directory_match(const wd_directory_t *d,
                                     const wd_addr_t *addr, const char *country,
                                     uint32_t asn, const char *facility,
                                     char *matched_by, size_t n) {
  const wd_party_t *best = NULL;
  int best_len = -1;
  size_t best_pi = 0;
  if (d && facility && *facility) {
    for (size_t i = 0; i < d->n; i++) {
      const wd_party_t *p = &d->v[i];
      if (strcmp(p->kind, "facility-soc") != 0)
        continue;
      for (size_t j = 0; j < p->n_facilities; j++)
        if (strcmp(p->facilities[j], facility) == 0) {
          snprintf(matched_by, n, "facility %s", facility);
          return p;
        }
    }
  }
  for (size_t i = 0; d && addr && i < d->n; i++) {
    const wd_party_t *p = &d->v[i];
    for (size_t j = 0; j < p->n_prefixes; j++)
      if ((int)p->prefixes[j].len > best_len &&
          wd_cidr_contains(&p->prefixes[j], addr)) {
        best = p;
        best_len = p->prefixes[j].len;
        best_pi = j;
      }
  }
  if (best) {
    char c[WD_ADDR_STRLEN + 4];
    snprintf(matched_by, n, "prefix %s",
             wd_cidr_str(&best->prefixes[best_pi], c));
    return best;
  }
  for (size_t i = 0; d && asn && i < d->n; i++)
    for (size_t j = 0; j < d->v[i].n_asns; j++)
      if (d->v[i].asns[j] == asn) {
        snprintf(matched_by, n, "asn %u", asn);
        return &d->v[i];
      }
  for (size_t i = 0; d && country && country[0] && i < d->n; i++)
    for (size_t j = 0; j < d->v[i].n_countries; j++)
      if (strcasecmp(d->v[i].countries[j], country) == 0) {
        snprintf(matched_by, n, "country %s", d->v[i].countries[j]);
        return &d->v[i];
      }
  snprintf(matched_by, n, "no match");
  return NULL;
}
