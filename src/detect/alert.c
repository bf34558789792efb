/* alert.c -- small helpers to fill a wd_alert_t (see alert.h). */
#include "detect/alert.h"

const char *wd_alert_state_name(wd_alert_state s) {
  switch (s) {
  case WD_ALERT_START:
    return "start";
  case WD_ALERT_UPDATE:
    return "update";
  case WD_ALERT_END:
    return "end";
  }
  return "unknown";
}

static wd_alert_metric_t *slot(wd_alert_t *a, const char *name,
                               wd_metric_type type) {
  if (a->n_metrics >= WD_ALERT_METRICS_MAX)
    return NULL;
  wd_alert_metric_t *m = &a->metrics[a->n_metrics++];
  m->name = name;
  m->type = type;
  return m;
}

void wd_alert_add_u64(wd_alert_t *a, const char *name, uint64_t v) {
  wd_alert_metric_t *m = slot(a, name, WD_METRIC_U64);
  if (m)
    m->v.u = v;
}

void wd_alert_add_f64(wd_alert_t *a, const char *name, double v) {
  wd_alert_metric_t *m = slot(a, name, WD_METRIC_F64);
  if (m)
    m->v.d = v;
}

void wd_alert_add_str(wd_alert_t *a, const char *name, const char *v) {
  wd_alert_metric_t *m = slot(a, name, WD_METRIC_STR);
  if (m)
    m->v.s = v;
}

void wd_alert_add_bool(wd_alert_t *a, const char *name, bool v) {
  wd_alert_metric_t *m = slot(a, name, WD_METRIC_BOOL);
  if (m)
    m->v.b = v;
}

static uint64_t next_id;

uint64_t wd_alert_next_id(void) { return ++next_id; }
