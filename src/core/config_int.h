/* config_int.h -- what the files of the configuration share, and nothing
 * outside src/core uses: config.c (loading), config_value.c (values and
 * units), prefix_index.c (the per-packet lookups), config_dump.c
 * (`ward config show`). */
#ifndef WD_CORE_CONFIG_INT_H
#define WD_CORE_CONFIG_INT_H

#include "core/config.h"
#include "core/prefix_index.h"
#include "core/yaml.h"

/* A key table from outside core, as loaded: its struct (owned) and which
 * of its keys the file gave. */
typedef struct wd_config_extra {
  const wd_config_keyset_t *ks;
  void *base; /* ks->size bytes, defaults then the file's values */
  bool *set;  /* per row of ks */
} wd_config_extra_t;

/* The private part of a wd_config_t (cfg->index). */
struct wd_config_index {
  wd_prefix_set_t fac;      /* facility networks */
  uint32_t *fac_id;         /* facility index of each fac.v entry */
  wd_prefix_set_t prot;     /* protected networks, nested ones dropped */
  bool prot_is_fac;         /* protected = the facilities' networks: use fac */
  bool *set;                /* per core key table row: given by the file */
  wd_config_extra_t *extra; /* the key tables from outside core */
  size_t n_extra;
};

/* One facility network: for the overlap check (with where the file gave
 * it) and for building the facility lookup. */
typedef struct wd_config_net_ref {
  wd_cidr_t c;
  uint32_t fac;
  wd_yaml_mark_t at;
} wd_config_net_ref_t;

/* By prefix, then facility (qsort). */
int wd_config_net_ref_cmp(const void *a, const void *b);

/* ---- prefix_index.c ---- */

/* Rebuilds the lookups from facilities, home_net and home_net_set. The
 * facility networks are disjoint (checked at load). */
wd_rc wd_config_index_build(wd_config_t *cfg);
/* Frees the lookups (not the struct, not set or extra). */
void wd_config_index_free(struct wd_config_index *x);

/* ---- config_value.c ---- */

/* Parses one scalar (s, len; null: the YAML null) into k's field at
 * base. On a bad value returns WD_ERR_CONFIG with "problem; expected ..."
 * in tail. */
wd_rc wd_config_apply(const wd_config_key_t *k, void *base, const char *s,
                      size_t len, bool null, char *tail, size_t tn);
/* Every row's default into base; WD_ERR_INVAL for a row whose default
 * does not parse (a bad table). */
wd_rc wd_config_apply_defaults(const wd_config_key_t *keys, size_t n,
                               void *base);
/* Frees the strings and lists the rows' fields at base hold. */
void wd_config_free_fields(const wd_config_key_t *keys, size_t n, void *base);

/* A value of k's unit as text ("64 MiB", "30s", "500 Mbit/s", "1000"). */
const char *wd_config_fmt_uint(const wd_config_key_t *k, uint64_t v, char *buf,
                               size_t n);
/* A double that reads back to the same value. */
const char *wd_config_fmt_double(double v, char *buf, size_t n);
/* "a size from 1 MiB to 1 TiB, like ..." for messages. */
const char *wd_config_expect(const wd_config_key_t *k, char *buf, size_t n);

/* k's integer field at base; the count field of a cidr list. */
uint64_t wd_config_uint_of(const wd_config_key_t *k, const void *base);
size_t *wd_config_count_of(const wd_config_key_t *k, void *base);

/* One network of a list. On error writes "problem; expected ..." to tail. */
bool wd_config_cidr_item(const char *s, size_t len, wd_cidr_t *out, char *tail,
                         size_t tn);
wd_rc wd_config_cidrs_push(wd_cidr_list_t *l, size_t *cap, const wd_cidr_t *c);
/* Moves l into k's field at base (freeing what was there). */
void wd_config_cidrs_store(const wd_config_key_t *k, void *base,
                           wd_cidr_list_t *l);
/* WD_ERR_CONFIG with a message in tail when n is outside k's range. */
wd_rc wd_config_cidrs_count_ok(const wd_config_key_t *k, size_t n, char *tail,
                               size_t tn);

#endif
