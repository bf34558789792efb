/* config_dump.c -- `ward config show`: the effective configuration as
 * YAML that loads back to the same values.
 * In: a loaded wd_config_t (read only). Out: text on a caller's FILE.
 * Keys come in the order of the core table, sections opened as the dotted
 * names change; keys of tables from outside core are written inside the
 * section of the core keys they share most with (else at the end), so
 * that every section stays in one piece and the text reloads. No
 * allocation beyond a small array of row references. */
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"

static void dump_string(FILE *out, const char *s) {
  if (!s) {
    fputs("~", out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

/* A flow list of prefixes; one that starts with ':' (::1, ::/0) is
 * quoted, since YAML takes no plain value starting so inside [ ]. */
static void dump_cidrs(FILE *out, const wd_cidr_t *v, size_t n) {
  char b[WD_ADDR_STRLEN + 4];
  fputc('[', out);
  for (size_t i = 0; i < n; i++) {
    const char *s = wd_cidr_str(&v[i], b);
    const char *q = s[0] == ':' ? "\"" : "";
    fprintf(out, "%s%s%s%s", i ? ", " : "", q, s, q);
  }
  fputc(']', out);
}

static void dump_value(FILE *out, const wd_config_key_t *k, const void *base) {
  const char *p = (const char *)base + k->off;
  char b[64];
  switch (k->type) {
  case WD_CONFIG_BOOL: {
    bool v;
    memcpy(&v, p, sizeof v);
    fputs(v ? "true" : "false", out);
    break;
  }
  case WD_CONFIG_DOUBLE: {
    double d;
    memcpy(&d, p, sizeof d);
    fputs(wd_config_fmt_double(d, b, sizeof b), out);
    break;
  }
  case WD_CONFIG_STRING: {
    const char *v;
    memcpy(&v, p, sizeof v);
    dump_string(out, v);
    break;
  }
  case WD_CONFIG_ENUM: {
    int e;
    memcpy(&e, p, sizeof e);
    size_t n = 0;
    while (k->names[n])
      n++;
    fputs((unsigned)e < n ? k->names[e] : "?", out);
    break;
  }
  case WD_CONFIG_CIDRS: {
    const wd_cidr_t *v;
    size_t n;
    memcpy(&v, p, sizeof v);
    memcpy(&n, (const char *)base + k->off_n, sizeof n);
    dump_cidrs(out, v, n);
    break;
  }
  default:
    fputs(wd_config_fmt_uint(k, wd_config_uint_of(k, base), b, sizeof b), out);
    break;
  }
}

/* Number of leading dot-separated sections two names share. */
static size_t common_sections(const char *a, const char *b) {
  size_t n = 0;
  for (;;) {
    const char *da = strchr(a, '.'), *db = strchr(b, '.');
    if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)))
      return n;
    n++;
    a = da + 1;
    b = db + 1;
  }
}

/* One key as "  name: value", opening the sections that *prev (the key
 * written before) does not share. */
static void dump_key(FILE *out, const wd_config_key_t *k, const void *base,
                     const char **prev) {
  size_t common = common_sections(*prev, k->name), depth = 0;
  const char *c = k->name;
  for (const char *d; (d = strchr(c, '.')) != NULL; c = d + 1, depth++)
    if (depth >= common)
      fprintf(out, "%*s%.*s:\n", (int)(2 * depth), "", (int)(d - c), c);
  fprintf(out, "%*s%s: ", (int)(2 * depth), "", c);
  dump_value(out, k, base);
  fputc('\n', out);
  *prev = k->name;
}

/* A row of a table from outside core, and the core row it follows. */
typedef struct xref {
  const wd_config_key_t *k;
  const void *base;
  size_t after; /* core row index; n: after the last */
} xref_t;

/* Length of the section part of a name ("detect.scan" of
 * "detect.scan.alpha"). */
static size_t section_len(const char *name) {
  const char *d = strrchr(name, '.');
  return d ? (size_t)(d - name) : 0;
}

static bool xref_before(const xref_t *a, const xref_t *b) {
  if (a->after != b->after)
    return a->after < b->after;
  size_t la = section_len(a->k->name), lb = section_len(b->k->name);
  int c = strncmp(a->k->name, b->k->name, la < lb ? la : lb);
  return c < 0 || (c == 0 && la < lb);
}

/* The extra rows in the order they are written: by the core row they
 * follow, then by section (stable, so a table's order holds within). */
static xref_t *extra_order(const struct wd_config_index *x,
                           const wd_config_key_t *keys, size_t n,
                           size_t *count) {
  size_t total = 0, o = 0;
  *count = 0;
  for (size_t t = 0; x && t < x->n_extra; t++)
    total += x->extra[t].ks->n;
  if (total == 0)
    return NULL;
  xref_t *v = malloc(total * sizeof *v);
  if (!v)
    return NULL;
  for (size_t t = 0; t < x->n_extra; t++)
    for (size_t i = 0; i < x->extra[t].ks->n; i++) {
      xref_t r = {&x->extra[t].ks->keys[i], x->extra[t].base, n};
      size_t best = 0;
      for (size_t j = 0; j < n; j++) {
        size_t c = common_sections(keys[j].name, r.k->name);
        if (c > 0 && c >= best) {
          best = c;
          r.after = j;
        }
      }
      size_t p = o++;
      while (p > 0 && xref_before(&r, &v[p - 1])) {
        v[p] = v[p - 1];
        p--;
      }
      v[p] = r;
    }
  *count = total;
  return v;
}

static void dump_facilities(const wd_config_t *cfg, FILE *out) {
  const wd_config_key_t *fkeys;
  size_t nf = wd_config_facility_keys(&fkeys);
  fputs("sectors: [", out);
  for (size_t j = 0; j < cfg->n_sectors; j++)
    fprintf(out, "%s%s", j ? ", " : "", cfg->sectors[j]);
  fputs("]\n", out);
  fputs(cfg->n_facilities ? "facilities:\n" : "facilities: []\n", out);
  for (size_t j = 0; j < cfg->n_facilities; j++)
    for (size_t m = 0; m < nf; m++) {
      const wd_facility_t *f = &cfg->facilities[j];
      fprintf(out, "  %s %s: ", m ? " " : "-", fkeys[m].name);
      if (strcmp(fkeys[m].name, "sector") == 0)
        fputs(wd_facility_sector(f), out);
      else
        dump_value(out, &fkeys[m], f);
      fputc('\n', out);
    }
}

wd_rc wd_config_dump(const wd_config_t *cfg, FILE *out) {
  const wd_config_key_t *keys;
  size_t n = wd_config_keys(&keys), nx, xi = 0;
  xref_t *xs = extra_order(cfg->index, keys, n, &nx);
  if (!xs && cfg->index && cfg->index->n_extra) {
    for (size_t t = 0; t < cfg->index->n_extra; t++)
      if (cfg->index->extra[t].ks->n)
        return WD_ERR_NOMEM;
  }
  fprintf(out, "# ward effective configuration (%s)\n",
          cfg->path ? cfg->path : "built-in defaults");
  const char *prev = "";
  for (size_t i = 0; i < n; i++) {
    const wd_config_key_t *k = &keys[i];
    if (strcmp(k->name, "home_net") == 0) {
      if (!cfg->home_net_set)
        fputs("# home_net: not set; protected networks are the facilities' "
              "or, with none,\n#   RFC 1918 + RFC 4193\n",
              out);
      else {
        fputs("home_net: ", out);
        dump_value(out, k, cfg);
        fputc('\n', out);
      }
      dump_facilities(cfg, out);
    } else {
      dump_key(out, k, cfg, &prev);
    }
    for (; xi < nx && xs[xi].after == i; xi++)
      dump_key(out, xs[xi].k, xs[xi].base, &prev);
  }
  for (; xi < nx; xi++)
    dump_key(out, xs[xi].k, xs[xi].base, &prev);
  free(xs);
  return ferror(out) ? WD_ERR_IO : WD_OK;
}

wd_rc wd_config_get(const wd_config_t *cfg, const char *key, char *buf,
                    size_t n) {
  const struct wd_config_index *x = cfg ? cfg->index : NULL;
  const wd_config_key_t *keys;
  const void *base = cfg;
  size_t nk = wd_config_keys(&keys);
  const wd_config_key_t *k = NULL;
  for (size_t i = 0; key && i < nk && !k; i++)
    if (strcmp(keys[i].name, key) == 0)
      k = &keys[i];
  for (size_t t = 0; key && x && !k && t < x->n_extra; t++)
    for (size_t i = 0; i < x->extra[t].ks->n && !k; i++)
      if (strcmp(x->extra[t].ks->keys[i].name, key) == 0) {
        k = &x->extra[t].ks->keys[i];
        base = x->extra[t].base;
      }
  if (!k)
    return WD_ERR_NOTFOUND;
  if (!buf || n == 0)
    return WD_ERR_INVAL;
  FILE *f = fmemopen(buf, n, "w");
  if (!f)
    return WD_ERR_NOMEM;
  dump_value(f, k, base);
  bool full = ftell(f) >= (long)n - 1;
  fclose(f);
  return full ? WD_ERR_INVAL : WD_OK;
}
