/* report_store.c -- the report's notices from the database (see
 * report_store.h): one row per notification from the store's named
 * report query (wd_store_report_rows: what counts as a reply, and when, is
 * defined there), turned into the report's notices. Memory: two arrays
 * grown together, owned by the wd_report_data_t. */
#include "report/report_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wd_report_strings {
  char id[WD_STORE_ID_LEN];
  char party[WD_NAME_MAX];
  char country[8];
  char sector[32];
  char cls[48];
};

wd_rc wd_report_load(wd_store_t *s, uint64_t since_ns, uint64_t until_ns,
                     wd_report_data_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  wd_store_report_row_t *rows = NULL;
  size_t n = 0;
  wd_rc rc = wd_store_report_rows(s, since_ns, until_ns, WD_REPORT_NOTICES_MAX,
                                  &rows, &n);
  if (rc == WD_ERR_FULL) {
    snprintf(err, errlen, "more than %d notifications: narrow --since",
             WD_REPORT_NOTICES_MAX);
    return rc;
  }
  if (rc != WD_OK) {
    snprintf(err, errlen, "report query: %s", wd_store_errmsg(s));
    return rc;
  }
  out->v = calloc(n ? n : 1, sizeof *out->v);
  out->str = calloc(n ? n : 1, sizeof *out->str);
  if (!out->v || !out->str) {
    free(rows);
    wd_report_data_fini(out);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const wd_store_report_row_t *r = &rows[i];
    wd_report_strings_t *t = &out->str[i];
    wd_report_notice_t *x = &out->v[i];
    snprintf(t->id, sizeof t->id, "%s", r->incident_id);
    snprintf(t->party, sizeof t->party, "%s", r->party);
    snprintf(t->country, sizeof t->country, "%s", r->country);
    snprintf(t->sector, sizeof t->sector, "%s", r->sector);
    snprintf(t->cls, sizeof t->cls, "%s", r->rsit_class);
    x->incident_id = t->id;
    x->party = t->party;
    x->country = t->country;
    x->sector = t->sector;
    x->rsit_class = t->cls;
    x->reminder = r->reminder;
    x->sent_ns = r->sent_ns;
    x->delivered = r->delivered;
    x->deadline_hours = r->deadline_hours;
    x->first_auto_ns = r->first_auto_ns;
    x->first_human_ns = r->first_human_ns;
    x->substantive = r->substantive;
    x->formal = r->formal;
    x->first_unverified_ns = r->first_unverified_ns;
  }
  out->n = n;
  free(rows);
  return WD_OK;
}

void wd_report_data_fini(wd_report_data_t *d) {
  free(d->v);
  free(d->str);
  memset(d, 0, sizeof *d);
}
