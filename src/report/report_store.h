/* report_store.h -- loads the accountability report's input from ward's
 * database: one wd_report_notice_t per notification, with its incident's
 * sector and class, the sources' country, and its replies (automatic,
 * human, the analysts' verdicts).
 * In: an open store. Out: a wd_report_data_t owning the notices and their
 * strings until wd_report_data_fini(). */
#ifndef WD_REPORT_REPORT_STORE_H
#define WD_REPORT_REPORT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "report/report.h"
#include "store/store.h"

typedef struct wd_report_strings wd_report_strings_t;

typedef struct wd_report_data {
  wd_report_notice_t *v;
  size_t n;
  wd_report_strings_t *str; /* storage behind v's strings */
} wd_report_data_t;

/* Notifications sent (or, when not sent, queued) in [since, until); a
 * zero bound is open. */
wd_rc wd_report_load(wd_store_t *s, uint64_t since_ns, uint64_t until_ns,
                     wd_report_data_t *out, char *err, size_t errlen);
void wd_report_data_fini(wd_report_data_t *d);

#endif
