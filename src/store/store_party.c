/* store_party.c -- the directory of responsible parties as the store
 * keeps it (a coordination centre edits it through the API): a party's
 * JSON form, its checks, the import of a directory file, and the
 * directory the pipeline uses (the store's parties when it has any, else
 * the file at attribution.directory).
 * In: JSON objects (the API's bodies), loaded directories (src/enrich),
 * rows of the parties table (store_serve.c). Out: canonical JSON objects
 * (new references), wd_directory_t the caller frees, audit rows of an
 * import. A stored party is always read back through the directory
 * file's own loader (JSON is YAML's flow form), so the store and the file
 * mean the same and are checked by the same code. */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "enrich/directory.h"
#include "store/store.h"
#include "store/store_int.h"

/* How a stored party is written: one line, ": " and ", " between items
 * (YAML's flow form needs the space after a colon). */
#define DOC_FLAGS (JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

static json_t *str_array(char **v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

json_t *wd_party_json(const wd_party_t *p) {
  json_t *o = json_object(), *cc = json_array(), *as = json_array(),
         *px = json_array();
  if (!o || !cc || !as || !px) {
    json_decref(o);
    json_decref(cc);
    json_decref(as);
    json_decref(px);
    return NULL;
  }
  json_object_set_new(o, "name", json_string(p->name));
  json_object_set_new(o, "kind", json_string(p->kind));
  json_object_set_new(o, "email", json_string(p->email));
  json_object_set_new(o, "format", json_string(p->format));
  json_object_set_new(o, "language", json_string(p->language));
  json_object_set_new(o, "deadline_hours", json_integer(p->deadline_hours));
  for (size_t k = 0; k < p->n_countries; k++)
    json_array_append_new(cc, json_string(p->countries[k]));
  json_object_set_new(o, "countries", cc);
  for (size_t k = 0; k < p->n_asns; k++)
    json_array_append_new(as, json_integer(p->asns[k]));
  json_object_set_new(o, "asns", as);
  for (size_t k = 0; k < p->n_prefixes; k++) {
    char c[WD_ADDR_STRLEN + 4];
    json_array_append_new(px, json_string(wd_cidr_str(&p->prefixes[k], c)));
  }
  json_object_set_new(o, "prefixes", px);
  json_object_set_new(o, "facilities",
                      str_array(p->facilities, p->n_facilities));
  json_object_set_new(o, "reply_from",
                      str_array(p->reply_from, p->n_reply_from));
  json_object_set_new(o, "evidence", json_string(p->evidence));
  if (p->pgp_fingerprint) /* absent when none (YAML has no null here) */
    json_object_set_new(o, "pgp_fingerprint", json_string(p->pgp_fingerprint));
  return o;
}

/* ---- checks of a party given as JSON ---- */

static const char *const kinds[] = {"national-cert", "isp-abuse",
                                    "facility-soc", "law-enforcement", NULL};
static const char *const formats[] = {"iodef", "stix", "text", NULL};
static const char *const evidences[] = {"omit", "rewrite", "full", NULL};
static const char *const fields[] = {"name",
                                     "kind",
                                     "email",
                                     "format",
                                     "language",
                                     "deadline_hours",
                                     "countries",
                                     "asns",
                                     "prefixes",
                                     "facilities",
                                     "reply_from",
                                     "evidence",
                                     "pgp_fingerprint",
                                     NULL};

static bool one_of(const char *s, const char *const *v) {
  for (; *v; v++)
    if (!strcmp(s, *v))
      return true;
  return false;
}

static bool fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return false;
}

/* Printable text of 1 to max bytes, no control characters. */
static bool text_ok(const char *s, size_t max) {
  size_t n = strlen(s);
  if (!n || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

/* user@domain.tld: a local part of letters, digits and !#$%&'*+-/=?^_`{|}~.
 * (no leading, trailing or double dot), a domain of dot-separated labels
 * of letters, digits and '-' (not at a label's ends), at least two. */
static bool email_ok(const char *s) {
  const char *at = strrchr(s, '@');
  size_t n = strlen(s);
  if (!at || at == s || n > 254 || (size_t)(at - s) > 64)
    return false;
  for (const char *c = s; c < at; c++)
    if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-/=?^_`{|}~.", *c))
      return false;
  if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
    return false;
  const char *d = at + 1;
  int labels = 0;
  while (*d) {
    const char *e = strchr(d, '.');
    size_t l = e ? (size_t)(e - d) : strlen(d);
    if (!l || l > 63 || d[0] == '-' || d[l - 1] == '-')
      return false;
    for (size_t i = 0; i < l; i++)
      if (!isalnum((unsigned char)d[i]) && d[i] != '-')
        return false;
    labels++;
    d += l;
    if (*d == '.' && !*++d)
      return false; /* trailing dot */
  }
  return labels >= 2;
}

/* The member key of o: absent (NULL), or a string (false when it is not
 * one, err set). */
static bool get_str(json_t *o, const char *key, bool required, const char **v,
                    char *err, size_t n) {
  json_t *m = json_object_get(o, key);
  *v = NULL;
  if (!m || json_is_null(m))
    return !required ||
           fail(err, n, "%s: required, a text value is expected", key);
  if (!json_is_string(m))
    return fail(err, n, "%s: expected a text value", key);
  *v = json_string_value(m);
  if (strlen(*v) != json_string_length(m))
    return fail(err, n, "%s: NUL in the value", key);
  return true;
}

/* The member key of o: absent, or a list of at most WD_DIRECTORY_LIST_MAX
 * items each accepted by ok(item, i) (which sets err). */
static bool get_list(json_t *o, const char *key,
                     bool (*ok)(json_t *item, const char *key, size_t i,
                                char *err, size_t n),
                     char *err, size_t n) {
  json_t *m = json_object_get(o, key), *it;
  size_t i;
  if (!m || json_is_null(m))
    return true;
  if (!json_is_array(m))
    return fail(err, n, "%s: expected a list", key);
  if (json_array_size(m) > WD_DIRECTORY_LIST_MAX)
    return fail(err, n, "%s: more than %d entries", key, WD_DIRECTORY_LIST_MAX);
  json_array_foreach(m, i, it) if (!ok(it, key, i, err, n)) return false;
  return true;
}

static bool item_country(json_t *it, const char *key, size_t i, char *err,
                         size_t n) {
  const char *s = json_is_string(it) ? json_string_value(it) : NULL;
  if (!s || strlen(s) != 2 || !isalpha((unsigned char)s[0]) ||
      !isalpha((unsigned char)s[1]))
    return fail(err, n,
                "%s[%zu]: expected a two-letter ISO 3166 country code "
                "(e.g. \"SE\")",
                key, i);
  return true;
}

static bool item_asn(json_t *it, const char *key, size_t i, char *err,
                     size_t n) {
  if (!json_is_integer(it) || json_integer_value(it) < 1 ||
      json_integer_value(it) > (json_int_t)UINT32_MAX)
    return fail(err, n,
                "%s[%zu]: expected an AS number, a whole number from 1 to "
                "4294967295",
                key, i);
  return true;
}

static bool item_prefix(json_t *it, const char *key, size_t i, char *err,
                        size_t n) {
  wd_cidr_t c;
  if (!json_is_string(it) || wd_cidr_parse(json_string_value(it), &c) != WD_OK)
    return fail(err, n, "%s[%zu]: expected a network (e.g. \"192.0.2.0/24\")",
                key, i);
  return true;
}

static bool item_text(json_t *it, const char *key, size_t i, char *err,
                      size_t n) {
  if (!json_is_string(it) || !text_ok(json_string_value(it), WD_NAME_MAX - 1) ||
      strlen(json_string_value(it)) != json_string_length(it))
    return fail(err, n, "%s[%zu]: expected text of 1 to %d characters", key, i,
                WD_NAME_MAX - 1);
  return true;
}

static bool item_reply_from(json_t *it, const char *key, size_t i, char *err,
                            size_t n) {
  const char *s = json_is_string(it) ? json_string_value(it) : NULL;
  if (!s)
    return fail(err, n, "%s[%zu]: expected a mail address or @domain", key, i);
  char probe[300];
  snprintf(probe, sizeof probe, "%s%s", s[0] == '@' ? "x" : "", s);
  if (strlen(s) > 254 || !email_ok(probe))
    return fail(err, n,
                "%s[%zu]: '%.60s' is not a mail address or @domain "
                "(expected user@example.org or @example.org)",
                key, i, s);
  return true;
}

/* Every field of in, checked; err "FIELD: what was expected". */
static bool check_fields(json_t *in, char *err, size_t n) {
  const char *key, *name, *kind, *email, *format, *lang, *ev, *pgp;
  json_t *v;
  json_object_foreach(in, key, v) if (!one_of(key, fields)) return fail(
      err, n,
      "%.60s: unknown field; expected name, kind, email, format, language, "
      "deadline_hours, countries, asns, prefixes, facilities, reply_from, "
      "evidence or pgp_fingerprint",
      key);
  if (!get_str(in, "name", true, &name, err, n))
    return false;
  if (!text_ok(name, WD_NAME_MAX - 1) || strchr(name, '/'))
    return fail(err, n,
                "name: expected 1 to %d characters, no control character or "
                "'/'",
                WD_NAME_MAX - 1);
  if (!get_str(in, "kind", true, &kind, err, n))
    return false;
  if (!one_of(kind, kinds))
    return fail(err, n,
                "kind: '%.40s' is not one of national-cert, isp-abuse, "
                "facility-soc, law-enforcement",
                kind);
  if (!get_str(in, "email", true, &email, err, n))
    return false;
  if (!email_ok(email))
    return fail(err, n,
                "email: '%.80s' is not a mail address (expected "
                "user@example.org)",
                email);
  if (!get_str(in, "format", false, &format, err, n))
    return false;
  if (format && !one_of(format, formats))
    return fail(err, n,
                "format: '%.40s' is not a notification format; expected "
                "iodef, stix or text",
                format);
  if (!get_str(in, "language", false, &lang, err, n))
    return false;
  bool lang_ok = !lang || (strlen(lang) >= 2 && strlen(lang) <= 15);
  for (const char *c = lang; lang_ok && c && *c; c++)
    lang_ok = isalnum((unsigned char)*c) || *c == '-';
  if (!lang_ok)
    return fail(err, n,
                "language: expected a language tag of 2 to 15 letters, "
                "digits and '-' (e.g. \"en\", \"pt-BR\")");
  json_t *dh = json_object_get(in, "deadline_hours");
  if (dh && !json_is_null(dh) &&
      (!json_is_integer(dh) || json_integer_value(dh) < 0 ||
       json_integer_value(dh) > 24 * 365))
    return fail(err, n,
                "deadline_hours: expected a whole number of hours from 0 to "
                "8760 (one year)");
  if (!get_list(in, "countries", item_country, err, n) ||
      !get_list(in, "asns", item_asn, err, n) ||
      !get_list(in, "prefixes", item_prefix, err, n) ||
      !get_list(in, "facilities", item_text, err, n) ||
      !get_list(in, "reply_from", item_reply_from, err, n))
    return false;
  if (!get_str(in, "evidence", false, &ev, err, n))
    return false;
  if (ev && !one_of(ev, evidences))
    return fail(err, n, "evidence: '%.40s' is not one of omit, rewrite, full",
                ev);
  if (ev && !strcmp(ev, "full") && strcmp(kind, "facility-soc") != 0)
    return fail(err, n,
                "evidence: 'full' is only for kind facility-soc (the capture "
                "shows internal addresses); expected rewrite or omit");
  if (!get_str(in, "pgp_fingerprint", false, &pgp, err, n))
    return false;
  if (pgp && !text_ok(pgp, 127))
    return fail(err, n, "pgp_fingerprint: expected 1 to 127 characters");
  return true;
}

/* The directory of the stored docs (JSON text each), read by the
 * directory file's loader. */
static wd_rc load_docs(const char *const *docs, size_t n, wd_directory_t **out,
                       char *err, size_t errlen) {
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  wd_rc rc = wd_strbuf_append(&b, "{\"parties\": [", 13);
  for (size_t i = 0; rc == WD_OK && i < n; i++) {
    if (i)
      rc = wd_strbuf_append(&b, ",\n", 2);
    if (rc == WD_OK)
      rc = wd_strbuf_append(&b, docs[i], strlen(docs[i]));
  }
  if (rc == WD_OK)
    rc = wd_strbuf_append(&b, "]}\n", 3);
  if (rc == WD_OK)
    rc = wd_directory_load_buffer("the store's parties", wd_strbuf_str(&b),
                                  b.len, out, err, errlen);
  else
    snprintf(err, errlen, "out of memory");
  wd_strbuf_fini(&b);
  return rc;
}

json_t *wd_party_check(json_t *in, char *err, size_t errlen) {
  if (!json_is_object(in)) {
    snprintf(err, errlen, "a party is a JSON object");
    return NULL;
  }
  if (!check_fields(in, err, errlen))
    return NULL;
  /* the same loader as the file's: defaults, upper-case countries */
  char *doc = json_dumps(in, DOC_FLAGS);
  wd_directory_t *d = NULL;
  const char *docs[1] = {doc};
  json_t *out = NULL;
  if (doc && load_docs(docs, 1, &d, err, errlen) == WD_OK &&
      wd_directory_count(d) == 1)
    out = wd_party_json(wd_directory_party(d, 0));
  else if (!doc)
    snprintf(err, errlen, "out of memory");
  free(doc);
  wd_directory_free(d);
  return out;
}

wd_rc wd_store_directory(wd_store_t *s, const char *path, wd_directory_t **out,
                         bool *from_store, char *err, size_t errlen) {
  *out = NULL;
  if (from_store)
    *from_store = false;
  wd_store_party_row_t *v = NULL;
  size_t n = 0;
  wd_rc rc = s ? wd_store_party_list(s, &v, &n) : WD_OK;
  if (rc != WD_OK) {
    snprintf(err, errlen, "parties: %s", wd_store_errmsg(s));
    return rc;
  }
  if (n) {
    const char **docs = calloc(n, sizeof *docs);
    for (size_t i = 0; docs && i < n; i++)
      docs[i] = v[i].doc;
    rc = docs ? load_docs(docs, n, out, err, errlen) : WD_ERR_NOMEM;
    free(docs);
    wd_store_parties_free(v, n);
    if (rc == WD_OK && from_store)
      *from_store = true;
    return rc;
  }
  return path ? wd_directory_load(path, out, err, errlen) : WD_OK;
}

/* The audit's before/after text of a party: the whole doc when it fits
 * the audit's column, else its name, kind and email. */
static void audit_doc(char *dst, size_t n, const char *doc, json_t *j) {
  if (strlen(doc) < n) {
    snprintf(dst, n, "%s", doc);
    return;
  }
  char *s = json_dumps(json_pack("{s:O,s:O,s:O,s:b}", "name",
                                 json_object_get(j, "name"), "kind",
                                 json_object_get(j, "kind"), "email",
                                 json_object_get(j, "email"), "abridged", 1),
                       JSON_COMPACT | JSON_PRESERVE_ORDER);
  snprintf(dst, n, "%s", s ? s : "");
  free(s);
}

wd_rc wd_store_parties_import(wd_store_t *s, const wd_directory_t *d,
                              const char *who, uint64_t now_ns, size_t *added,
                              size_t *updated, char *err, size_t errlen) {
  *added = *updated = 0;
  wd_rc rc = wd_store_begin(s);
  for (size_t i = 0; rc == WD_OK && i < wd_directory_count(d); i++) {
    json_t *j = wd_party_json(wd_directory_party(d, i));
    char *doc = j ? json_dumps(j, DOC_FLAGS) : NULL;
    if (!doc) {
      json_decref(j);
      rc = WD_ERR_NOMEM;
      break;
    }
    const char *name = wd_directory_party(d, i)->name;
    wd_store_party_row_t old;
    wd_store_audit_t a = {.at_ns = now_ns};
    snprintf(a.who, sizeof a.who, "%s", who);
    snprintf(a.action, sizeof a.action, "party-import");
    snprintf(a.target, sizeof a.target, "%s", name);
    rc = wd_store_party_get(s, name, &old);
    bool change = true;
    if (rc == WD_ERR_NOTFOUND) {
      rc = wd_store_party_add(s, name, doc, now_ns);
      (*added)++;
    } else if (rc == WD_OK) {
      change = strcmp(old.doc, doc) != 0;
      if (change) {
        json_t *oj = json_loads(old.doc, 0, NULL);
        audit_doc(a.before, sizeof a.before, old.doc, oj);
        json_decref(oj);
        rc = wd_store_party_update(s, name, doc, now_ns);
        (*updated)++;
      }
      free(old.doc);
    }
    if (rc == WD_OK && change) {
      audit_doc(a.after, sizeof a.after, doc, j);
      rc = wd_store_audit_add(s, &a);
    }
    free(doc);
    json_decref(j);
  }
  if (rc == WD_OK)
    rc = wd_store_commit(s);
  if (rc != WD_OK) {
    snprintf(err, errlen, "%s", wd_store_errmsg(s));
    wd_store_rollback(s);
  }
  return rc;
}
