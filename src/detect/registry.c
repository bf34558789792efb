/* registry.c -- the list of detectors the pipeline runs, in order.
 * A detector is added by defining its wd_detector_ops_t in its own file
 * and naming it here. */
#include "detect/detector.h"

#include <stddef.h>

/* Weak references: a detector not linked into a given binary (unit tests
 * link single areas) is simply absent from the list. */
#define WD_DETECTOR(sym) extern const wd_detector_ops_t sym __attribute__((weak));
WD_DETECTOR(wd_detector_ms17010)
WD_DETECTOR(wd_detector_doublepulsar)
WD_DETECTOR(wd_detector_smb_fanout)
WD_DETECTOR(wd_detector_syn_flood)
WD_DETECTOR(wd_detector_amplification)
WD_DETECTOR(wd_detector_volumetric)
WD_DETECTOR(wd_detector_scan_horizontal)
WD_DETECTOR(wd_detector_scan_vertical)
#undef WD_DETECTOR

static const wd_detector_ops_t *const all[] = {
    &wd_detector_ms17010,        &wd_detector_doublepulsar,
    &wd_detector_smb_fanout,     &wd_detector_syn_flood,
    &wd_detector_amplification,  &wd_detector_volumetric,
    &wd_detector_scan_horizontal, &wd_detector_scan_vertical,
};

size_t wd_detectors_list(const wd_detector_ops_t **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof all / sizeof all[0] && n < max; i++)
    if (all[i] != NULL)
      out[n++] = all[i];
  return n;
}
