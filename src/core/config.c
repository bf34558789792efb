/* config.c -- loads and checks ward's configuration.
 * In: a YAML file or buffer (core/yaml.h: one pass over events, no
 * document tree), rules and defaults from the key tables (config_keys.c,
 * and tables from outside core), --home-net. Out: a wd_config_t the caller
 * owns and frees with wd_config_free; every string and list in it is
 * owned by it. Values are parsed by config_value.c, the per-packet lookups
 * built by prefix_index.c, the dump written by config_dump.c. Hostile
 * files: size capped (WD_CONFIG_FILE_MAX), anchors and aliases refused,
 * nesting bounded by the key schema and by the reader (WD_CONFIG_DEPTH_MAX),
 * lists capped (WD_FACILITY_MAX, WD_CIDR_LIST_MAX); the first error stops
 * the load with "FILE:LINE:COL: KEY: problem; expected ...". */
#include "core/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "core/yaml.h"

typedef wd_yaml_mark_t mark_t;

/* A section (key prefix such as "flow.timeouts") already opened, so that a
 * second "flow:" is reported as a duplicate. */
typedef struct section {
  char name[64];
  mark_t at;
} section_t;

#define SECTIONS_MAX 64
#define PATH_MAX_LEN 256

/* One key table as loaded: the core one first, then those from outside. */
typedef struct ktab {
  const wd_config_key_t *keys;
  size_t n;
  void *base;     /* cfg, or the extra table's struct */
  mark_t *set_at; /* per row: where the file gave it (line 0: not given) */
} ktab_t;

typedef struct load {
  const char *name; /* file name for messages */
  wd_yaml_t *y;
  wd_config_t *cfg;
  ktab_t *tabs; /* ntabs: [0] the core table */
  size_t ntabs;
  const wd_config_key_t *fkeys;
  size_t nfkeys;
  section_t sections[SECTIONS_MAX];
  size_t n_sections;
  wd_config_net_ref_t *nets; /* every facility network, in file order */
  size_t n_nets, cap_nets;
  mark_t *item_at; /* marks of the items of the cidr list just read */
  size_t cap_item_at;
  /* Facility sectors that are not built in, resolved against sectors:
   * once the whole file is read (it may come after the facilities). */
  char **sector_pending; /* per facility, lower-case name or NULL */
  mark_t *sector_at;
} load_t;

/* ---- messages ---- */

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

#define fail(L, at, key, ...) wd_yaml_fail((L)->y, at, key, __VA_ARGS__)

/* ---- key tables ---- */

static const wd_config_key_t *find_key(const wd_config_key_t *keys, size_t n,
                                       const char *name, size_t *idx) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(keys[i].name, name) == 0) {
      if (idx)
        *idx = i;
      return &keys[i];
    }
  return NULL;
}

/* The row called name in any table: *tab and *row say where. */
static const wd_config_key_t *find_any(const ktab_t *tabs, size_t ntabs,
                                       const char *name, size_t *tab,
                                       size_t *row) {
  for (size_t t = 0; t < ntabs; t++) {
    const wd_config_key_t *k = find_key(tabs[t].keys, tabs[t].n, name, row);
    if (k) {
      *tab = t;
      return k;
    }
  }
  return NULL;
}

static bool is_section(const ktab_t *tabs, size_t ntabs, const char *path) {
  size_t l = strlen(path);
  for (size_t t = 0; t < ntabs; t++)
    for (size_t i = 0; i < tabs[t].n; i++)
      if (strncmp(tabs[t].keys[i].name, path, l) == 0 &&
          tabs[t].keys[i].name[l] == '.')
        return true;
  return false;
}

/* a names a key b also names, or a section b is in (or the reverse). */
static bool names_clash(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
  return strncmp(a, b, l) == 0 && (la == lb || (la < lb ? b : a)[l] == '.');
}

/* The extra tables' rows must not clash with any earlier row, nor with
 * the names the loader reads itself. */
static bool extra_ok(const wd_config_keyset_t *const *extra, size_t n_extra) {
  const wd_config_key_t *core;
  size_t nc = wd_config_keys(&core);
  for (size_t t = 0; t < n_extra; t++) {
    if (!extra[t] || (extra[t]->n && !extra[t]->keys) || extra[t]->size == 0)
      return false;
    for (size_t i = 0; i < extra[t]->n; i++) {
      const char *name = extra[t]->keys[i].name;
      if (!name || names_clash(name, "facilities") ||
          names_clash(name, "sectors"))
        return false;
      for (size_t j = 0; j < nc; j++)
        if (names_clash(name, core[j].name))
          return false;
      for (size_t u = 0; u <= t; u++)
        for (size_t j = 0; j < (u == t ? i : extra[u]->n); j++)
          if (names_clash(name, extra[u]->keys[j].name))
            return false;
    }
  }
  return true;
}

/* ---- public: life cycle ---- */

void wd_config_free(wd_config_t *cfg) {
  if (!cfg)
    return;
  const wd_config_key_t *keys, *fkeys;
  size_t n = wd_config_keys(&keys), nf = wd_config_facility_keys(&fkeys);
  wd_config_free_fields(keys, n, cfg);
  for (size_t i = 0; i < cfg->n_facilities; i++)
    wd_config_free_fields(fkeys, nf, &cfg->facilities[i]);
  free(cfg->facilities);
  for (size_t i = 0; i < cfg->n_sectors; i++)
    free(cfg->sectors[i]);
  free(cfg->sectors);
  free(cfg->path);
  struct wd_config_index *x = cfg->index;
  if (x) {
    wd_config_index_free(x);
    for (size_t i = 0; i < x->n_extra; i++) {
      wd_config_extra_t *e = &x->extra[i];
      if (e->base)
        wd_config_free_fields(e->ks->keys, e->ks->n, e->base);
      free(e->base);
      free(e->set);
    }
    free(x->extra);
    free(x->set);
    free(x);
  }
  free(cfg);
}

static wd_rc config_new(const wd_config_keyset_t *const *extra, size_t n_extra,
                        wd_config_t **out) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys);
  *out = NULL;
  if (n_extra && (!extra || !extra_ok(extra, n_extra)))
    return WD_ERR_INVAL;
  wd_config_t *cfg = calloc(1, sizeof *cfg);
  if (!cfg)
    return WD_ERR_NOMEM;
  struct wd_config_index *x = cfg->index = calloc(1, sizeof *cfg->index);
  if (!x || !(x->set = calloc(n, sizeof(bool))) ||
      (n_extra && !(x->extra = calloc(n_extra, sizeof *x->extra)))) {
    wd_config_free(cfg);
    return WD_ERR_NOMEM;
  }
  wd_rc rc = wd_config_apply_defaults(keys, n, cfg);
  for (size_t i = 0; i < n_extra && rc == WD_OK; i++) {
    wd_config_extra_t *e = &x->extra[x->n_extra++];
    e->ks = extra[i];
    if (!(e->base = calloc(1, e->ks->size)) ||
        !(e->set = calloc(e->ks->n ? e->ks->n : 1, sizeof(bool))))
      rc = WD_ERR_NOMEM;
    else
      rc = wd_config_apply_defaults(e->ks->keys, e->ks->n, e->base);
  }
  if (rc != WD_OK) {
    wd_config_free(cfg);
    return rc;
  }
  *out = cfg;
  return WD_OK;
}

wd_rc wd_config_defaults_extra(const wd_config_keyset_t *const *extra,
                               size_t n_extra, wd_config_t **out) {
  wd_config_t *cfg;
  *out = NULL;
  wd_rc rc = config_new(extra, n_extra, &cfg);
  if (rc != WD_OK)
    return rc;
  if ((rc = wd_config_index_build(cfg)) != WD_OK) {
    wd_config_free(cfg);
    return rc;
  }
  *out = cfg;
  return WD_OK;
}

wd_rc wd_config_defaults(wd_config_t **out) {
  return wd_config_defaults_extra(NULL, 0, out);
}

const void *wd_config_extra(const wd_config_t *cfg,
                            const wd_config_keyset_t *ks) {
  const struct wd_config_index *x = cfg ? cfg->index : NULL;
  for (size_t i = 0; x && i < x->n_extra; i++)
    if (x->extra[i].ks == ks)
      return x->extra[i].base;
  return NULL;
}

/* ---- loading: suggestions ---- */

/* Optimal string alignment distance (a swap counts one), capped inputs. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 80 || lb > 80)
    return SIZE_MAX;
  unsigned char d[81][81];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (unsigned char)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (unsigned char)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      unsigned c = d[i - 1][j - 1] + (unsigned)(a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1u < c)
        c = d[i - 1][j] + 1u;
      if (d[i][j - 1] + 1u < c)
        c = d[i][j - 1] + 1u;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1u < c)
        c = d[i - 2][j - 2] + 1u;
      d[i][j] = (unsigned char)c;
    }
  return d[la][lb];
}

static void consider(const char *key, const char *cand, size_t clen, char *best,
                     size_t bestn, size_t *bestd) {
  char c[PATH_MAX_LEN];
  if (clen >= sizeof c)
    return;
  memcpy(c, cand, clen);
  c[clen] = '\0';
  size_t d = edit_distance(key, c);
  if (d < *bestd) {
    *bestd = d;
    snprintf(best, bestn, "%s", c);
  }
}

/* Closest key (or, with sections, section name) of the tables to path. */
static void suggest_in(const wd_config_key_t *keys, size_t n, const char *path,
                       bool sections, char *best, size_t bestn, size_t *bestd) {
  for (size_t i = 0; i < n; i++) {
    const char *name = keys[i].name;
    consider(path, name, strlen(name), best, bestn, bestd);
    if (sections)
      for (const char *d = strchr(name, '.'); d; d = strchr(d + 1, '.'))
        consider(path, name, (size_t)(d - name), best, bestn, bestd);
  }
}

/* True when the best candidate is close enough to path to suggest. */
static bool close_enough(const char *path, size_t bestd) {
  size_t len = strlen(path);
  size_t limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
  return bestd <= limit;
}

static wd_rc unknown_key(load_t *L, mark_t at, const char *slot,
                         const char *path, const char *section, bool facility) {
  char best[PATH_MAX_LEN], sh[96];
  size_t bestd = SIZE_MAX;
  if (facility) {
    suggest_in(L->fkeys, L->nfkeys, path, false, best, sizeof best, &bestd);
  } else {
    for (size_t t = 0; t < L->ntabs; t++)
      suggest_in(L->tabs[t].keys, L->tabs[t].n, path, true, best, sizeof best,
                 &bestd);
    consider(path, "facilities", 10, best, sizeof best, &bestd);
    consider(path, "sectors", 7, best, sizeof best, &bestd);
  }
  char where[96];
  if (facility)
    snprintf(where, sizeof where,
             "a facility key (name, sector, "
             "criticality, networks, max_pps, max_bps)");
  else if (section[0])
    snprintf(where, sizeof where, "a key of section '%s' (docs/config.md)",
             section);
  else
    snprintf(where, sizeof where, "a key listed in docs/config.md");
  if (close_enough(path, bestd))
    return fail(L, at, slot,
                "unknown key '%s'; expected %s; did you mean '%s'?",
                wd_text_shown(path, strlen(path), sh, sizeof sh), where, best);
  return fail(L, at, slot, "unknown key '%s'; expected %s",
              wd_text_shown(path, strlen(path), sh, sizeof sh), where);
}

/* ---- loading: values ---- */

static wd_rc item_mark(load_t *L, size_t i, mark_t at) {
  if (i >= L->cap_item_at) {
    size_t nc = L->cap_item_at ? L->cap_item_at * 2 : 16;
    mark_t *nm = realloc(L->item_at, nc * sizeof *nm);
    if (!nm)
      return WD_ERR_NOMEM;
    L->item_at = nm;
    L->cap_item_at = nc;
  }
  L->item_at[i] = at;
  return WD_OK;
}

/* The items of a cidr list (its SEQ_START, at at, is consumed) into k's
 * field at base, each item's mark in L->item_at. */
static wd_rc read_cidr_list(load_t *L, const wd_config_key_t *k, void *base,
                            const char *path, mark_t at, size_t *n_items) {
  const wd_yaml_event_t *ev;
  char tail[512], ex[200];
  wd_cidr_list_t l = {NULL, 0};
  size_t cap = 0;
  wd_rc rc;
  for (;;) {
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      break;
    if (ev->kind == WD_YAML_SEQ_END) {
      if (wd_config_cidrs_count_ok(k, l.n, tail, sizeof tail) != WD_OK)
        rc = fail(L, at, path, "%s", tail);
      break;
    }
    if (ev->kind != WD_YAML_SCALAR) {
      rc = fail(L, ev->at, path, "found %s in the list; expected %s",
                wd_yaml_what(ev), wd_config_expect(k, ex, sizeof ex));
      break;
    }
    wd_cidr_t c;
    bool ok;
    if (l.n >= k->max) {
      wd_config_cidrs_count_ok(k, l.n + 1, tail, sizeof tail);
      ok = false;
    } else {
      ok = wd_config_cidr_item(ev->s, ev->len, &c, tail, sizeof tail);
    }
    if (!ok) {
      rc = fail(L, ev->at, path, "%s", tail);
      break;
    }
    if ((rc = item_mark(L, l.n, ev->at)) != WD_OK ||
        (rc = wd_config_cidrs_push(&l, &cap, &c)) != WD_OK)
      break;
  }
  if (rc == WD_OK) {
    *n_items = l.n;
    wd_config_cidrs_store(k, base, &l);
  }
  free(l.v);
  return rc;
}

/* Reads the value of key k (its event comes next) into base. path names
 * the key in messages. Cidr lists leave each item's mark in L->item_at. */
static wd_rc read_value(load_t *L, const wd_config_key_t *k, void *base,
                        const char *path, size_t *n_items) {
  const wd_yaml_event_t *ev;
  char tail[512], ex[200];
  *n_items = 0;
  wd_rc rc = wd_yaml_next(L->y, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = ev->at;
  if (ev->kind == WD_YAML_SCALAR) {
    rc = wd_config_apply(k, base, ev->s, ev->len, wd_yaml_is_null(ev), tail,
                         sizeof tail);
    if (rc == WD_ERR_CONFIG)
      return fail(L, at, path, "%s", tail);
    if (rc == WD_OK && k->type == WD_CONFIG_CIDRS) {
      *n_items = *wd_config_count_of(k, base);
      for (size_t i = 0; i < *n_items && rc == WD_OK; i++)
        rc = item_mark(L, i, at);
    }
    return rc;
  }
  if (ev->kind != WD_YAML_SEQ_START || k->type != WD_CONFIG_CIDRS)
    return fail(L, at, path, "found %s; expected %s", wd_yaml_what(ev),
                wd_config_expect(k, ex, sizeof ex));
  return read_cidr_list(L, k, base, path, at, n_items);
}

/* The start of a list value under key: *empty for a null; else a list
 * must start here ("found ...; expected " want). */
static wd_rc list_start(load_t *L, const char *key, const char *want,
                        bool *empty) {
  const wd_yaml_event_t *ev;
  wd_rc rc = wd_yaml_next(L->y, &ev);
  *empty = false;
  if (rc != WD_OK)
    return rc;
  if (wd_yaml_is_null(ev)) {
    *empty = true;
    return WD_OK;
  }
  if (ev->kind != WD_YAML_SEQ_START)
    return fail(L, ev->at, key, "found %s; expected %s", wd_yaml_what(ev),
                want);
  return WD_OK;
}

/* ---- loading: facilities ---- */

static wd_rc net_push(load_t *L, const wd_cidr_t *c, uint32_t fac, mark_t at) {
  if (L->n_nets == L->cap_nets) {
    size_t nc = L->cap_nets ? L->cap_nets * 2 : 64;
    wd_config_net_ref_t *nn = realloc(L->nets, nc * sizeof *nn);
    if (!nn)
      return WD_ERR_NOMEM;
    L->nets = nn;
    L->cap_nets = nc;
  }
  L->nets[L->n_nets].c = *c;
  L->nets[L->n_nets].fac = fac;
  L->nets[L->n_nets].at = at;
  L->n_nets++;
  return WD_OK;
}

/* ---- loading: sectors ---- */

static bool is_builtin_sector(const char *name) {
  for (int i = 0; i <= WD_SECTOR_OTHER; i++)
    if (strcmp(wd_sector_name((wd_sector)i), name) == 0)
      return true;
  return false;
}

/* A facility's sector: a built-in name (any case), else kept for
 * check_sectors. k is the facility key "sector". */
static wd_rc read_sector(load_t *L, const wd_config_key_t *k, size_t idx,
                         const char *path) {
  const wd_yaml_event_t *ev;
  char tail[512], ex[200];
  wd_rc rc = wd_yaml_next(L->y, &ev);
  if (rc != WD_OK)
    return rc;
  mark_t at = ev->at;
  if (ev->kind != WD_YAML_SCALAR)
    return fail(L, at, path, "found %s; expected %s", wd_yaml_what(ev),
                wd_config_expect(k, ex, sizeof ex));
  const char *v = ev->s;
  size_t len = ev->len;
  bool null = wd_yaml_is_null(ev);
  rc = wd_config_apply(k, &L->cfg->facilities[idx], v, len, null, tail,
                       sizeof tail);
  if (rc == WD_ERR_CONFIG && !null && len > 0 && len < WD_SECTOR_NAME_MAX &&
      strlen(v) == len) {
    if (!L->sector_pending &&
        (!(L->sector_pending =
               calloc(WD_FACILITY_MAX, sizeof *L->sector_pending)) ||
         !(L->sector_at = calloc(WD_FACILITY_MAX, sizeof *L->sector_at))))
      return WD_ERR_NOMEM;
    char *low = strdup(v);
    if (!low)
      return WD_ERR_NOMEM;
    for (char *c = low; *c; c++)
      if (*c >= 'A' && *c <= 'Z')
        *c = (char)(*c - 'A' + 'a');
    free(L->sector_pending[idx]);
    L->sector_pending[idx] = low;
    L->sector_at[idx] = at;
    rc = WD_OK;
  }
  if (rc == WD_ERR_CONFIG)
    return fail(L, at, path, "%s", tail);
  return rc;
}

static bool sector_name_ok(const char *s, size_t len) {
  if (len == 0 || len >= WD_SECTOR_NAME_MAX || strlen(s) != len ||
      !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-'))
      return false;
  return s[len - 1] != '-';
}

/* Top-level "sectors: [name, ...]": extra sector names. */
static wd_rc read_sectors(load_t *L) {
  const wd_yaml_event_t *ev;
  char sh[64];
  bool empty;
  wd_rc rc = list_start(
      L, "sectors", "a list of sector names like [research, water]", &empty);
  if (rc != WD_OK || empty)
    return rc;
  wd_config_t *cfg = L->cfg;
  for (;;) {
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      return rc;
    mark_t iat = ev->at;
    if (ev->kind == WD_YAML_SEQ_END)
      return WD_OK;
    if (ev->kind != WD_YAML_SCALAR)
      return fail(L, iat, "sectors", "found %s in the list; expected a name",
                  wd_yaml_what(ev));
    wd_text_shown(ev->s, ev->len, sh, sizeof sh);
    if (!sector_name_ok(ev->s, ev->len))
      return fail(L, iat, "sectors",
                  "'%s' is not a sector name; expected 1 to %d lower-case "
                  "letters, digits and '-', starting with a letter",
                  sh, WD_SECTOR_NAME_MAX - 1);
    const char *why = is_builtin_sector(ev->s) ? "is a built-in sector" : NULL;
    for (size_t i = 0; !why && i < cfg->n_sectors; i++)
      if (strcmp(cfg->sectors[i], ev->s) == 0)
        why = "is listed twice";
    if (!why && cfg->n_sectors >= WD_SECTORS_EXTRA_MAX)
      why = "is one too many";
    if (why)
      return fail(L, iat, "sectors",
                  "'%s' %s; expected at most %d distinct names that are not "
                  "built in",
                  sh, why, WD_SECTORS_EXTRA_MAX);
    if (!cfg->sectors &&
        !(cfg->sectors = calloc(WD_SECTORS_EXTRA_MAX, sizeof *cfg->sectors)))
      return WD_ERR_NOMEM;
    if (!(cfg->sectors[cfg->n_sectors] = strdup(ev->s)))
      return WD_ERR_NOMEM;
    cfg->n_sectors++;
  }
}

/* Every facility sector that is not built in must be listed in sectors:. */
static wd_rc check_sectors(load_t *L) {
  wd_config_t *cfg = L->cfg;
  if (!L->sector_pending)
    return WD_OK;
  for (size_t i = 0; i < cfg->n_facilities; i++) {
    const char *want = L->sector_pending[i];
    if (!want)
      continue;
    wd_facility_t *f = &cfg->facilities[i];
    for (size_t j = 0; j < cfg->n_sectors; j++)
      if (strcmp(cfg->sectors[j], want) == 0) {
        f->sector = WD_SECTOR_EXTRA;
        f->sector_name = cfg->sectors[j];
      }
    if (f->sector_name)
      continue;
    const wd_config_key_t *k = find_key(L->fkeys, L->nfkeys, "sector", NULL);
    char ex[300], path[64], sh[64];
    snprintf(path, sizeof path, "facilities[%zu].sector", i);
    return fail(L, L->sector_at[i], path,
                "'%s' is not a known value; expected %s, or a name listed "
                "under sectors:",
                wd_text_shown(want, strlen(want), sh, sizeof sh),
                wd_config_expect(k, ex, sizeof ex));
  }
  return WD_OK;
}

/* One "- name: ..." item; its MAPPING_START is consumed. */
static wd_rc read_facility(load_t *L, size_t idx, mark_t start) {
  wd_facility_t *f = &L->cfg->facilities[idx];
  mark_t seen[8] = {{0, 0}};
  char path[PATH_MAX_LEN], prefix[32];
  const wd_yaml_event_t *ev;
  wd_rc rc;
  snprintf(prefix, sizeof prefix, "facilities[%zu]", idx);
  for (;;) {
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      return rc;
    mark_t at = ev->at;
    if (ev->kind == WD_YAML_MAP_END)
      break;
    if (ev->kind != WD_YAML_SCALAR)
      return fail(L, at, prefix, "found %s as a key; expected a key name",
                  wd_yaml_what(ev));
    size_t klen = ev->len;
    char kbuf[64];
    wd_text_shown(ev->s, klen, kbuf, sizeof kbuf);
    snprintf(path, sizeof path, "%s.%s", prefix, kbuf);
    size_t ri;
    const wd_config_key_t *k = find_key(L->fkeys, L->nfkeys, kbuf, &ri);
    if (!k || strlen(kbuf) != klen)
      return unknown_key(L, at, path, kbuf, "", true);
    if (ri < 8 && seen[ri].line)
      return fail(L, at, path,
                  "duplicate key (first given at line %u); expected each "
                  "key once",
                  seen[ri].line);
    if (ri < 8)
      seen[ri] = at;
    if (strcmp(k->name, "sector") == 0) {
      if ((rc = read_sector(L, k, idx, path)) != WD_OK)
        return rc;
      continue;
    }
    size_t n_items;
    if ((rc = read_value(L, k, f, path, &n_items)) != WD_OK)
      return rc;
    if (k->type == WD_CONFIG_CIDRS)
      for (size_t i = 0; i < n_items; i++)
        if ((rc = net_push(L, &f->networks[i], (uint32_t)idx, L->item_at[i])) !=
            WD_OK)
          return rc;
    if (k->type == WD_CONFIG_STRING && strcmp(k->name, "name") == 0)
      for (size_t j = 0; j < idx; j++)
        if (strcmp(L->cfg->facilities[j].name, f->name) == 0)
          return fail(L, at, path,
                      "facility name '%s' is already used by "
                      "facilities[%zu]; expected unique names",
                      f->name, j);
  }
  for (size_t i = 0; i < L->nfkeys && i < 8; i++)
    if ((L->fkeys[i].flags & WD_CONFIG_REQUIRED) && !seen[i].line) {
      snprintf(path, sizeof path, "%s.%s", prefix, L->fkeys[i].name);
      return fail(L, start, path,
                  "missing key '%s'; expected name: and networks: in every "
                  "facility",
                  L->fkeys[i].name);
    }
  return WD_OK;
}

static wd_rc read_facilities(load_t *L) {
  const wd_yaml_event_t *ev;
  bool empty;
  wd_rc rc = list_start(L, "facilities", "a list of facilities ('- name: ...')",
                        &empty);
  if (rc != WD_OK || empty)
    return rc;
  size_t cap = 0;
  for (;;) {
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      return rc;
    mark_t at = ev->at;
    if (ev->kind == WD_YAML_SEQ_END)
      return WD_OK;
    wd_config_t *cfg = L->cfg;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "facilities[%zu]", cfg->n_facilities);
    if (ev->kind != WD_YAML_MAP_START)
      return fail(L, at, prefix,
                  "found %s; expected a facility mapping with name: and "
                  "networks:",
                  wd_yaml_what(ev));
    if (cfg->n_facilities >= WD_FACILITY_MAX)
      return fail(L, at, prefix,
                  "too many facilities; expected at most %d (WD_FACILITY_MAX)",
                  WD_FACILITY_MAX);
    if (cfg->n_facilities == cap) {
      size_t nc = cap ? cap * 2 : 8;
      wd_facility_t *nf = realloc(cfg->facilities, nc * sizeof *nf);
      if (!nf)
        return WD_ERR_NOMEM;
      cfg->facilities = nf;
      cap = nc;
    }
    size_t idx = cfg->n_facilities++;
    memset(&cfg->facilities[idx], 0, sizeof cfg->facilities[idx]);
    if ((rc = wd_config_apply_defaults(L->fkeys, L->nfkeys,
                                       &cfg->facilities[idx])) != WD_OK)
      return rc;
    if ((rc = read_facility(L, idx, at)) != WD_OK)
      return rc;
  }
}

/* ---- loading: sections ---- */

static wd_rc open_section(load_t *L, const char *path, mark_t at) {
  for (size_t i = 0; i < L->n_sections; i++)
    if (strcmp(L->sections[i].name, path) == 0)
      return fail(L, at, path,
                  "duplicate section (first given at line %u); expected each "
                  "section once",
                  L->sections[i].at.line);
  if (L->n_sections < SECTIONS_MAX &&
      strlen(path) < sizeof L->sections[0].name) {
    snprintf(L->sections[L->n_sections].name, sizeof L->sections[0].name, "%s",
             path);
    L->sections[L->n_sections].at = at;
    L->n_sections++;
  }
  return WD_OK;
}

/* The key at path (a row of some table) given at at: its value. */
static wd_rc read_key(load_t *L, size_t t, size_t ri, const char *path,
                      mark_t at) {
  ktab_t *kt = &L->tabs[t];
  if (kt->set_at[ri].line)
    return fail(L, at, path,
                "duplicate key (first given at line %u); expected each "
                "key once",
                kt->set_at[ri].line);
  kt->set_at[ri] = at;
  size_t n_items;
  return read_value(L, &kt->keys[ri], kt->base, path, &n_items);
}

/* Keys of a mapping under prefix ("" at the top); its MAPPING_START is
 * consumed. Dotted keys ("flow.max: 10") work at any level. A mapping is
 * only read under a prefix of some key, so the key names bound the
 * recursion (and the reader bounds nesting at WD_CONFIG_DEPTH_MAX). */
static wd_rc read_map(load_t *L, const char *prefix) {
  const wd_yaml_event_t *ev;
  wd_rc rc;
  char path[PATH_MAX_LEN];
  for (;;) {
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      return rc;
    mark_t at = ev->at;
    if (ev->kind == WD_YAML_MAP_END)
      return WD_OK;
    if (ev->kind != WD_YAML_SCALAR)
      return fail(L, at, prefix[0] ? prefix : "(top)",
                  "found %s as a key; expected a key name", wd_yaml_what(ev));
    const char *key = ev->s;
    size_t klen = ev->len;
    size_t plen = strlen(prefix);
    bool fits = plen + 1 + klen < sizeof path && strlen(key) == klen;
    if (fits) {
      if (plen)
        snprintf(path, sizeof path, "%s.%s", prefix, key);
      else
        snprintf(path, sizeof path, "%s", key);
    } else {
      char sh[96];
      snprintf(path, sizeof path, "%s%s%s", prefix, plen ? "." : "",
               wd_text_shown(key, klen, sh, sizeof sh));
    }
    size_t t, ri;
    if (fits && find_any(L->tabs, L->ntabs, path, &t, &ri)) {
      if ((rc = read_key(L, t, ri, path, at)) != WD_OK)
        return rc;
      continue;
    }
    if (fits && strcmp(path, "sectors") == 0) {
      if ((rc = open_section(L, path, at)) != WD_OK ||
          (rc = read_sectors(L)) != WD_OK)
        return rc;
      continue;
    }
    if (fits && strcmp(path, "facilities") == 0) {
      if ((rc = open_section(L, path, at)) != WD_OK ||
          (rc = read_facilities(L)) != WD_OK)
        return rc;
      continue;
    }
    if (!fits || !is_section(L->tabs, L->ntabs, path))
      return unknown_key(L, at, path, path, prefix, false);
    if ((rc = open_section(L, path, at)) != WD_OK)
      return rc;
    if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
      return rc;
    mark_t vat = ev->at;
    if (ev->kind == WD_YAML_MAP_START) {
      if ((rc = read_map(L, path)) != WD_OK)
        return rc;
      continue;
    }
    if (!wd_yaml_is_null(ev))
      return fail(L, vat, path,
                  "found %s; expected a mapping of the keys of section '%s'",
                  wd_yaml_what(ev), path);
  }
}

/* ---- loading: checks across keys ---- */

/* Where core key name was given, or line 0. */
static mark_t core_set_at(const load_t *L, const char *name) {
  size_t ri;
  mark_t none = {0, 0};
  return find_key(L->tabs[0].keys, L->tabs[0].n, name, &ri)
             ? L->tabs[0].set_at[ri]
             : none;
}

static mark_t mark_or_first(load_t *L, const char *const *names, size_t n) {
  mark_t best = {1, 1};
  /* The key given last in the file, else line 1. */
  for (size_t i = 0; i < n; i++) {
    mark_t m = core_set_at(L, names[i]);
    if (m.line &&
        (m.line > best.line || (m.line == best.line && m.col > best.col)))
      best = m;
  }
  return best;
}

static wd_rc check_memcaps(load_t *L) {
  static const char *const names[] = {"memory.cap", "flow.memcap",
                                      "stream.memcap", "detect.memcap",
                                      "engine.workers"};
  const wd_config_t *c = L->cfg;
  /* engine.workers keep a flow table each */
  uint64_t lanes = c->engine.workers ? c->engine.workers : 1;
  uint64_t parts[3] = {c->flow.memcap, c->stream.memcap, c->detect.memcap};
  if (parts[0] > UINT64_MAX / lanes)
    return fail(L, core_set_at(L, "engine.workers"), "engine.workers",
                "engine.workers x flow.memcap is too large");
  parts[0] *= lanes;
  uint64_t sum = 0;
  bool over = false;
  for (int i = 0; i < 3; i++) {
    if (sum > UINT64_MAX - parts[i])
      over = true;
    else
      sum += parts[i];
  }
  if (!over && sum <= c->memory.cap)
    return WD_OK;
  const wd_config_key_t *sk =
      find_key(L->tabs[0].keys, L->tabs[0].n, "memory.cap", NULL);
  char s[4][48];
  mark_t at = core_set_at(L, "memory.cap");
  const char *key = "memory.cap";
  if (!at.line) {
    at = mark_or_first(L, names + 1, 4);
    key = "flow.memcap";
    for (int i = 1; i < 5; i++) {
      mark_t m = core_set_at(L, names[i]);
      if (m.line == at.line && m.col == at.col)
        key = names[i];
    }
  }
  return fail(L, at, key,
              "%sflow.memcap %s + stream.memcap %s + detect.memcap %s "
              "exceed memory.cap %s; expected the three memcaps to sum to "
              "memory.cap at most%s",
              lanes > 1 ? "engine.workers x " : "",
              wd_config_fmt_uint(sk, parts[0] / lanes, s[0], 48),
              wd_config_fmt_uint(sk, parts[1], s[1], 48),
              wd_config_fmt_uint(sk, parts[2], s[2], 48),
              wd_config_fmt_uint(sk, c->memory.cap, s[3], 48),
              lanes > 1 ? " (each worker keeps a flow table)" : "");
}

/* The checks of the tables from outside core (wd_config_keyset_t.check),
 * placed at the key at fault the file gave last. */
static wd_rc check_extras(load_t *L) {
  const struct wd_config_index *x = L->cfg->index;
  char msg[400];
  for (size_t t = 0; t < x->n_extra; t++) {
    const wd_config_keyset_t *ks = x->extra[t].ks;
    const char *const *keys;
    msg[0] = '\0';
    if (!ks->check || !(keys = ks->check(x->extra[t].base, msg, sizeof msg)))
      continue;
    mark_t at = {1, 1};
    const ktab_t *kt = &L->tabs[t + 1];
    for (size_t i = 0; keys[i]; i++) {
      size_t ri;
      if (!find_key(kt->keys, kt->n, keys[i], &ri))
        continue;
      mark_t m = kt->set_at[ri];
      if (m.line && (m.line > at.line || (m.line == at.line && m.col > at.col)))
        at = m;
    }
    return fail(L, at, keys[0], "%s", msg);
  }
  return WD_OK;
}

static bool mark_after(mark_t a, mark_t b) {
  return a.line > b.line || (a.line == b.line && a.col > b.col);
}

/* Facility networks must be disjoint: an address names one facility.
 * Sorted by address, nested prefixes sit next to each other, so checking
 * neighbours finds an overlap if there is one. */
static wd_rc check_overlaps(load_t *L) {
  if (L->n_nets > 1)
    qsort(L->nets, L->n_nets, sizeof *L->nets, wd_config_net_ref_cmp);
  for (size_t i = 1; i < L->n_nets; i++) {
    const wd_config_net_ref_t *p = &L->nets[i - 1], *q = &L->nets[i];
    if (!wd_cidr_contains(&p->c, &q->c.addr))
      continue;
    const wd_config_net_ref_t *late = mark_after(q->at, p->at) ? q : p;
    const wd_config_net_ref_t *early = late == q ? p : q;
    char path[48], x[WD_ADDR_STRLEN + 4], y[WD_ADDR_STRLEN + 4];
    const wd_facility_t *lf = &L->cfg->facilities[late->fac];
    const wd_facility_t *ef = &L->cfg->facilities[early->fac];
    snprintf(path, sizeof path, "facilities[%u].networks", late->fac);
    if (late->fac == early->fac)
      return fail(L, late->at, path,
                  "%s overlaps %s of the same facility '%s'; expected "
                  "disjoint networks",
                  wd_cidr_str(&late->c, x), wd_cidr_str(&early->c, y),
                  lf->name ? lf->name : "");
    return fail(L, late->at, path,
                "%s of facility '%s' overlaps %s of facility '%s' (line %u); "
                "expected disjoint networks (an address belongs to one "
                "facility)",
                wd_cidr_str(&late->c, x), lf->name ? lf->name : "",
                wd_cidr_str(&early->c, y), ef->name ? ef->name : "",
                early->at.line);
  }
  return WD_OK;
}

/* ---- loading: document ---- */

static wd_rc read_document(load_t *L) {
  const wd_yaml_event_t *ev;
  wd_rc rc;
  if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK) /* STREAM_START */
    return rc;
  if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
    return rc;
  if (ev->kind == WD_YAML_STREAM_END)
    return WD_OK; /* empty file: defaults */
  /* DOCUMENT_START */
  if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
    return rc;
  mark_t at = ev->at;
  if (ev->kind == WD_YAML_MAP_START) {
    if ((rc = read_map(L, "")) != WD_OK)
      return rc;
  } else if (!wd_yaml_is_null(ev)) {
    return fail(L, at, "(top)",
                "found %s; expected a mapping of keys ('section: ...')",
                wd_yaml_what(ev));
  }
  if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK) /* DOCUMENT_END */
    return rc;
  if ((rc = wd_yaml_next(L->y, &ev)) != WD_OK)
    return rc;
  if (ev->kind != WD_YAML_STREAM_END)
    return fail(L, ev->at, "yaml",
                "a second document; expected a single YAML document");
  return WD_OK;
}

static void load_fini(load_t *L) {
  for (size_t t = 0; t < L->ntabs; t++)
    free(L->tabs[t].set_at);
  free(L->tabs);
  free(L->nets);
  free(L->item_at);
  if (L->sector_pending)
    for (size_t i = 0; i < WD_FACILITY_MAX; i++)
      free(L->sector_pending[i]);
  free(L->sector_pending);
  free(L->sector_at);
  wd_yaml_free(L->y);
}

/* The key tables of L->cfg, with room for where each key is given. */
static wd_rc load_tables(load_t *L) {
  const struct wd_config_index *x = L->cfg->index;
  L->ntabs = 1 + x->n_extra;
  if (!(L->tabs = calloc(L->ntabs, sizeof *L->tabs)))
    return WD_ERR_NOMEM;
  for (size_t t = 0; t < L->ntabs; t++) {
    ktab_t *kt = &L->tabs[t];
    if (t == 0) {
      kt->n = wd_config_keys(&kt->keys);
      kt->base = L->cfg;
    } else {
      kt->keys = x->extra[t - 1].ks->keys;
      kt->n = x->extra[t - 1].ks->n;
      kt->base = x->extra[t - 1].base;
    }
    if (!(kt->set_at = calloc(kt->n ? kt->n : 1, sizeof *kt->set_at)))
      return WD_ERR_NOMEM;
  }
  return WD_OK;
}

/* What the file set: the index's flags, home_net_set, then the lookups. */
static wd_rc load_done(load_t *L) {
  struct wd_config_index *x = L->cfg->index;
  for (size_t t = 0; t < L->ntabs; t++) {
    bool *set = t == 0 ? x->set : x->extra[t - 1].set;
    for (size_t i = 0; i < L->tabs[t].n; i++)
      set[i] = L->tabs[t].set_at[i].line != 0;
  }
  L->cfg->home_net_set = core_set_at(L, "home_net").line != 0;
  return wd_config_index_build(L->cfg);
}

wd_rc wd_config_load_buffer_extra(const char *name, const char *buf, size_t len,
                                  const wd_config_keyset_t *const *extra,
                                  size_t n_extra, wd_config_t **out, char *err,
                                  size_t errlen) {
  load_t L;
  wd_rc rc;
  *out = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (!name)
    name = "(buffer)";
  if (!buf) {
    buf = "";
    len = 0;
  }
  if (len > WD_CONFIG_FILE_MAX) {
    put_err(err, errlen,
            "%s:1:1: (file): %zu bytes; expected a configuration of at most "
            "%u bytes",
            name, len, WD_CONFIG_FILE_MAX);
    return WD_ERR_CONFIG;
  }
  memset(&L, 0, sizeof L);
  L.name = name;
  L.nfkeys = wd_config_facility_keys(&L.fkeys);
  if ((rc = config_new(extra, n_extra, &L.cfg)) != WD_OK)
    return rc;
  if ((rc = load_tables(&L)) != WD_OK || !(L.cfg->path = strdup(name)) ||
      (rc = wd_yaml_new(name, buf, len, WD_CONFIG_DEPTH_MAX, err, errlen,
                        &L.y)) != WD_OK) {
    load_fini(&L);
    wd_config_free(L.cfg);
    return WD_ERR_NOMEM;
  }
  rc = read_document(&L);
  if (rc == WD_OK)
    rc = check_sectors(&L);
  if (rc == WD_OK)
    rc = check_memcaps(&L);
  if (rc == WD_OK)
    rc = check_extras(&L);
  if (rc == WD_OK)
    rc = check_overlaps(&L);
  if (rc == WD_OK)
    rc = load_done(&L);
  if (rc == WD_ERR_NOMEM && err && errlen && !err[0])
    put_err(err, errlen, "%s: out of memory", name);
  load_fini(&L);
  if (rc != WD_OK) {
    wd_config_free(L.cfg);
    return rc;
  }
  *out = L.cfg;
  return WD_OK;
}

wd_rc wd_config_load_buffer(const char *name, const char *buf, size_t len,
                            wd_config_t **out, char *err, size_t errlen) {
  return wd_config_load_buffer_extra(name, buf, len, NULL, 0, out, err, errlen);
}

wd_rc wd_config_load_extra(const char *path,
                           const wd_config_keyset_t *const *extra,
                           size_t n_extra, wd_config_t **out, char *err,
                           size_t errlen) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    put_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  wd_strbuf_t b;
  wd_strbuf_init(&b, WD_CONFIG_FILE_MAX);
  wd_rc rc = wd_strbuf_read(&b, f);
  if (rc == WD_ERR_IO)
    put_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
  else if (rc == WD_ERR_FULL) {
    put_err(err, errlen,
            "%s:1:1: (file): larger than %u bytes; expected a "
            "configuration of at most %u bytes",
            path, WD_CONFIG_FILE_MAX, WD_CONFIG_FILE_MAX);
    rc = WD_ERR_CONFIG;
  }
  fclose(f);
  if (rc == WD_OK)
    rc = wd_config_load_buffer_extra(path, wd_strbuf_str(&b), b.len, extra,
                                     n_extra, out, err, errlen);
  wd_strbuf_fini(&b);
  return rc;
}

wd_rc wd_config_load(const char *path, wd_config_t **out, char *err,
                     size_t errlen) {
  return wd_config_load_extra(path, NULL, 0, out, err, errlen);
}

/* ---- --home-net ---- */

wd_rc wd_config_set_home_net(wd_config_t *cfg, const char *list, char *err,
                             size_t errlen) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys);
  const wd_config_key_t *k = find_key(keys, n, "home_net", NULL);
  wd_cidr_list_t old = cfg->home_net;
  char tail[512];
  if (!k || !list)
    return WD_ERR_INVAL;
  cfg->home_net.v = NULL;
  cfg->home_net.n = 0;
  wd_rc rc =
      wd_config_apply(k, cfg, list, strlen(list), false, tail, sizeof tail);
  if (rc == WD_OK && cfg->home_net.n == 0) {
    snprintf(tail, sizeof tail,
             "no networks; expected CIDR[,CIDR...] like "
             "10.0.0.0/8,2001:db8::/32");
    rc = WD_ERR_CONFIG;
  }
  if (rc != WD_OK) {
    free(cfg->home_net.v);
    cfg->home_net = old;
    if (rc == WD_ERR_CONFIG)
      put_err(err, errlen, "%s", tail);
    return rc;
  }
  bool was = cfg->home_net_set;
  cfg->home_net_set = true;
  if ((rc = wd_config_index_build(cfg)) != WD_OK) {
    free(cfg->home_net.v);
    cfg->home_net = old;
    cfg->home_net_set = was;
    return rc;
  }
  free(old.v);
  return WD_OK;
}

bool wd_config_is_set(const wd_config_t *cfg, const char *key) {
  const struct wd_config_index *x = cfg->index;
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys), i;
  if (!x)
    return false;
  if (find_key(keys, n, key, &i))
    return x->set[i];
  for (size_t t = 0; t < x->n_extra; t++)
    if (find_key(x->extra[t].ks->keys, x->extra[t].ks->n, key, &i))
      return x->extra[t].set[i];
  return false;
}

/* The row called key, in the core table or a table cfg was loaded with:
 * *base is the struct its offset points into, *set its given flag. */
static const wd_config_key_t *row_of(const wd_config_t *cfg, const char *key,
                                     void **base, bool **set,
                                     const wd_config_keyset_t **ks) {
  const struct wd_config_index *x = cfg->index;
  const wd_config_key_t *keys, *k;
  size_t n = wd_config_keys(&keys), i;
  if (!x || !key)
    return NULL;
  if ((k = find_key(keys, n, key, &i)) != NULL) {
    *base = (void *)cfg;
    *set = &x->set[i];
    *ks = NULL;
    return k;
  }
  for (size_t t = 0; t < x->n_extra; t++)
    if ((k = find_key(x->extra[t].ks->keys, x->extra[t].ks->n, key, &i))) {
      *base = x->extra[t].base;
      *set = &x->extra[t].set[i];
      *ks = x->extra[t].ks;
      return k;
    }
  return NULL;
}

wd_rc wd_config_set(wd_config_t *cfg, const char *key, const char *value,
                    char *err, size_t errlen) {
  void *base;
  bool *set;
  const wd_config_keyset_t *ks;
  char tail[512];
  if (!cfg || !value)
    return WD_ERR_INVAL;
  const wd_config_key_t *k = row_of(cfg, key, &base, &set, &ks);
  if (!k) {
    put_err(err, errlen,
            "%s: no such key; expected a key that `ward config "
            "show` lists",
            key ? key : "(null)");
    return WD_ERR_CONFIG;
  }
  if (!ks && strcmp(k->name, "home_net") == 0)
    return wd_config_set_home_net(cfg, value, err, errlen);
  /* Apply to a copy of the struct's bytes so a bad value, or one the
   * table's check refuses, leaves cfg as it was. The copy shares the
   * pointer fields; only k's own field is replaced. */
  size_t size = ks ? ks->size : sizeof *cfg;
  unsigned char *copy = malloc(size);
  if (!copy)
    return WD_ERR_NOMEM;
  memcpy(copy, base, size);
  if (k->type == WD_CONFIG_CIDRS || k->type == WD_CONFIG_STRING)
    memset(copy + k->off, 0, sizeof(void *));
  wd_rc rc =
      wd_config_apply(k, copy, value, strlen(value), false, tail, sizeof tail);
  const char *const *bad = NULL;
  if (rc == WD_OK && ks && ks->check)
    bad = ks->check(copy, tail, sizeof tail);
  if (rc != WD_OK || bad) {
    put_err(err, errlen, "%s: %s", bad ? bad[0] : key, tail);
    wd_config_free_fields(k, 1, copy);
    free(copy);
    return rc == WD_ERR_NOMEM ? rc : WD_ERR_CONFIG;
  }
  wd_config_free_fields(k, 1, base);
  memcpy((char *)base + k->off, copy + k->off, k->size);
  if (k->type == WD_CONFIG_CIDRS)
    memcpy((char *)base + k->off_n, copy + k->off_n, sizeof(size_t));
  free(copy);
  *set = true;
  return ks ? WD_OK : wd_config_index_build(cfg);
}

bool wd_config_bool(const wd_config_t *cfg, const char *key, bool *out) {
  void *base;
  bool *set;
  const wd_config_keyset_t *ks;
  const wd_config_key_t *k = cfg ? row_of(cfg, key, &base, &set, &ks) : NULL;
  if (!k || k->type != WD_CONFIG_BOOL)
    return false;
  memcpy(out, (const char *)base + k->off, sizeof *out);
  return true;
}

bool wd_config_uint(const wd_config_t *cfg, const char *key, uint64_t *out) {
  void *base;
  bool *set;
  const wd_config_keyset_t *ks;
  const wd_config_key_t *k = cfg ? row_of(cfg, key, &base, &set, &ks) : NULL;
  if (!k || k->type <= WD_CONFIG_BOOL || k->type > WD_CONFIG_BITRATE)
    return false;
  *out = wd_config_uint_of(k, base);
  return true;
}

const wd_cidr_list_t *wd_config_cidrs(const wd_config_t *cfg, const char *key) {
  void *base;
  bool *set;
  const wd_config_keyset_t *ks;
  const wd_config_key_t *k = cfg ? row_of(cfg, key, &base, &set, &ks) : NULL;
  if (!k || k->type != WD_CONFIG_CIDRS)
    return NULL;
  /* the row's offset is that of the list's v; the list begins there */
  return (const wd_cidr_list_t *)(const void *)((const char *)base + k->off);
}
