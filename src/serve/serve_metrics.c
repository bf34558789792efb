/* serve_metrics.c -- /metrics of `ward serve`: the Prometheus text
 * exposition (version 0.0.4) of what the store counts -- incidents by
 * state, alerts by detector, notifications by state, the outbox's depth
 * and the age of its oldest queued mail, failed delivery attempts,
 * replies by kind, verdicts, valid tokens by role -- and of the server
 * itself (requests, failed and refused authentications, limiter
 * evictions). Names ward_..., counters end in _total, times in seconds.
 * In: an open store (the calling thread's), the server's counters.
 * Out: text appended to a strbuf. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_int.h"

/* A label value with \ " and newline escaped. */
static void label(wd_strbuf_t *b, const char *v) {
  for (const char *p = v; *p; p++) {
    if (*p == '\\' || *p == '"')
      wd_strbuf_putc(b, '\\');
    if (*p == '\n') {
      wd_strbuf_puts(b, "\\n");
      continue;
    }
    wd_strbuf_putc(b, *p);
  }
}

static void family(wd_strbuf_t *b, const char *name, const char *type,
                   const char *help) {
  wd_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The family name of every row of the store whose what is what, labelled
 * key="label" (no label when key is NULL). */
static void rows(wd_strbuf_t *b, const wd_store_metric_t *m, size_t n,
                 const char *what, const char *name, const char *type,
                 const char *key, const char *help) {
  family(b, name, type, help);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(m[i].what, what) != 0)
      continue;
    wd_strbuf_puts(b, name);
    if (key) {
      wd_strbuf_printf(b, "{%s=\"", key);
      label(b, m[i].label);
      wd_strbuf_puts(b, "\"}");
    }
    wd_strbuf_printf(b, " %" PRIu64 "\n", m[i].value);
  }
}

static uint64_t value_of(const wd_store_metric_t *m, size_t n, const char *what,
                         const char *lab) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(m[i].what, what) && (!lab || !strcmp(m[i].label, lab)))
      v += m[i].value;
  return v;
}

wd_rc wd_serve_metrics(wd_serve_t *srv, wd_store_t *s, uint64_t now_ns,
                       wd_strbuf_t *b) {
  wd_store_metric_t *m = NULL;
  size_t n = 0;
  wd_rc rc = wd_store_metrics(s, &m, &n);
  if (rc != WD_OK)
    return rc;
  rows(b, m, n, "incidents", "ward_incidents", "gauge", "state",
       "Incidents in the store by workflow state.");
  rows(b, m, n, "alerts", "ward_alerts_total", "counter", "detector",
       "Alerts recorded into incidents, by detector.");
  rows(b, m, n, "notifications", "ward_notifications", "gauge", "state",
       "Notifications by delivery state.");
  family(b, "ward_outbox_depth", "gauge",
         "Notifications queued or being sent.");
  wd_strbuf_printf(b, "ward_outbox_depth %" PRIu64 "\n",
                   value_of(m, n, "notifications", "queued") +
                       value_of(m, n, "notifications", "sending"));
  uint64_t oldest = value_of(m, n, "oldest_queued_ns", NULL);
  family(b, "ward_outbox_oldest_queued_age_seconds", "gauge",
         "Age of the oldest queued notification (0: none queued).");
  wd_strbuf_printf(b, "ward_outbox_oldest_queued_age_seconds %.3f\n",
                   oldest && now_ns > oldest ? (double)(now_ns - oldest) / 1e9
                                             : 0.0);
  family(b, "ward_delivery_failures_total", "counter",
         "Delivery attempts (SMTP or outbox) that did not deliver.");
  wd_strbuf_printf(b, "ward_delivery_failures_total %" PRIu64 "\n",
                   value_of(m, n, "delivery_failures", NULL));
  rows(b, m, n, "replies", "ward_replies_total", "counter", "kind",
       "Replies imported, by kind.");
  rows(b, m, n, "verdicts", "ward_verdicts", "gauge", "verdict",
       "Replies judged by analysts, by verdict.");
  rows(b, m, n, "tokens", "ward_api_tokens", "gauge", "role",
       "Valid API tokens by role.");
  free(m);
  family(b, "ward_serve_requests_total", "counter",
         "HTTP requests answered by this ward serve.");
  wd_strbuf_printf(b, "ward_serve_requests_total %" PRIu64 "\n",
                   (uint64_t)srv->requests);
  family(b, "ward_serve_auth_failures_total", "counter",
         "API requests with a missing, unknown or revoked token.");
  wd_strbuf_printf(b, "ward_serve_auth_failures_total %" PRIu64 "\n",
                   (uint64_t)srv->auth_failures);
  family(b, "ward_serve_auth_refused_total", "counter",
         "API requests refused because their address failed too often.");
  wd_strbuf_printf(b, "ward_serve_auth_refused_total %" PRIu64 "\n",
                   (uint64_t)srv->auth_refused);
  family(b, "ward_serve_auth_table_full_total", "counter",
         "Times the failed-authentication table was full "
         "(serve.auth.table_max) and forgot its oldest address.");
  wd_strbuf_printf(b, "ward_serve_auth_table_full_total %" PRIu64 "\n",
                   (uint64_t)srv->limit_full);
  return wd_strbuf_rc(b);
}
