/* registry.c -- the detectors the pipeline runs, in order, and the lookups
 * later stages make by stored name.
 * In: the descriptors (wd_detector_t) each detector file defines. Out:
 * borrowed pointers to them (static storage). A detector is added by
 * writing its file and one line in WD_DETECTORS below; nothing else
 * names it (docs/detectors.md). No allocation. */
#include "detect/detector.h"

#include <string.h>

/* One line per detector, in the order the pipeline calls them; a new one
 * goes just above the closing comment. */
#define WD_DETECTORS(X)                                                        \
  X(wd_detector_ms17010)                                                       \
  X(wd_detector_doublepulsar)                                                  \
  X(wd_detector_smb_fanout)                                                    \
  X(wd_detector_syn_flood)                                                     \
  X(wd_detector_amplification)                                                 \
  X(wd_detector_volumetric)                                                    \
  X(wd_detector_scan_horizontal)                                               \
  X(wd_detector_scan_vertical)                                                 \
  /* end of the list */

#define DECLARE(sym) extern const wd_detector_t sym;
WD_DETECTORS(DECLARE)
#undef DECLARE

#define ENTRY(sym) &sym,
static const wd_detector_t *const all[] = {WD_DETECTORS(ENTRY)};
#undef ENTRY

#define N_ALL (sizeof all / sizeof all[0])
_Static_assert(N_ALL <= WD_DETECTORS_MAX, "raise WD_DETECTORS_MAX");

size_t wd_detectors_list(const wd_detector_t **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < N_ALL && n < max; i++)
    out[n++] = all[i];
  return n;
}

size_t wd_detector_keysets(const wd_config_keyset_t **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < N_ALL; i++) {
    const wd_config_keyset_t *ks = all[i]->keys;
    bool seen = ks == NULL;
    for (size_t j = 0; j < n && !seen; j++)
      seen = out[j] == ks;
    if (!seen && n < max)
      out[n++] = ks;
  }
  return n;
}

wd_rc wd_detect_config_defaults(wd_config_t **out) {
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX];
  size_t n = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  return wd_config_defaults_extra(ks, n, out);
}

wd_rc wd_detect_config_load_buffer(const char *name, const char *buf,
                                   size_t len, wd_config_t **out, char *err,
                                   size_t errlen) {
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX];
  size_t n = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  return wd_config_load_buffer_extra(name, buf, len, ks, n, out, err, errlen);
}

wd_rc wd_detect_config_load(const char *path, wd_config_t **out, char *err,
                            size_t errlen) {
  const wd_config_keyset_t *ks[WD_DETECTORS_MAX];
  size_t n = wd_detector_keysets(ks, WD_DETECTORS_MAX);
  return wd_config_load_extra(path, ks, n, out, err, errlen);
}

const wd_detector_t *wd_detector_find(const char *name) {
  if (!name)
    return NULL;
  for (size_t i = 0; i < N_ALL; i++)
    if (strcmp(all[i]->name, name) == 0)
      return all[i];
  return NULL;
}

const wd_detector_sig_t *wd_detector_sig(const wd_detector_t *d,
                                         uint32_t sig_id) {
  for (size_t i = 0; d && i < d->n_sigs; i++)
    if (d->sigs[i].id == sig_id)
      return &d->sigs[i];
  return NULL;
}

const char *wd_detector_line(const wd_detector_t *d, bool src_inside,
                             bool dst_inside) {
  switch (d ? d->line : WD_LINE_INTRUSION) {
  case WD_LINE_DDOS:
    return "ddos";
  case WD_LINE_WORM:
    return src_inside ? "worm" : "intrusion";
  case WD_LINE_EXPLOIT:
    return src_inside && dst_inside ? "worm" : "intrusion";
  case WD_LINE_INTRUSION:
    break;
  }
  return "intrusion";
}

void wd_alert_sign(wd_alert_t *al, const wd_detector_sig_t *sig) {
  al->signature_id = sig->id;
  al->signature = sig->text;
  al->category = sig->category;
  al->severity = sig->severity;
  al->rsit_class = sig->rsit_class;
  al->rsit_type = sig->rsit_type;
}
