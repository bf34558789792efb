/* report.h -- the accountability report: for each responsible party (or
 * country, sector, incident class), how many incidents were notified, how
 * many mails were sent and delivered, auto-acknowledged, answered by a
 * person, substantively or formally, how many are overdue, the median
 * time to the first human reply, and how many got replies from senders
 * that are not the party (shown, never counted as its answer).
 * In: one wd_report_notice_t per notification (borrowed strings), built
 * by the caller from the store. Out: a wd_report_t (wd_report_new /
 * wd_report_free) rendered as a terminal table, CSV, JSON or one
 * self-contained printable HTML page with an inline SVG chart per row
 * (no script, no network). Everything is computed from the given times:
 * `now_ns` decides what is overdue, so a report is reproducible. */
#ifndef WD_REPORT_REPORT_H
#define WD_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "core/strbuf.h"

/* Rows in one report; more groups are refused (WD_ERR_FULL): a report
 * with more rows than this is better filtered first. */
#define WD_REPORT_ROWS_MAX 4096
/* Notifications in one report. */
#define WD_REPORT_NOTICES_MAX 1000000

typedef struct wd_report_notice {
  const char *incident_id;      /* "WARD-2026-000042" */
  const char *party;            /* party name */
  const char *country;          /* the party's (or the sources') country */
  const char *sector;           /* targeted sector */
  const char *rsit_class;       /* incident class */
  bool reminder;                /* a reminder of an earlier notification */
  uint64_t sent_ns;             /* 0: not sent (queued, failing) */
  bool delivered;               /* accepted by the server / written */
  uint32_t deadline_hours;      /* the party's; 0: no deadline */
  uint64_t first_auto_ns;       /* first automatic reply, 0 if none */
  uint64_t first_human_ns;      /* first human reply, 0 if none */
  bool substantive;             /* analyst: the reply acted on the incident */
  bool formal;                  /* analyst: a reply of form only */
  uint64_t first_unverified_ns; /* first reply from a sender that is not the
                                   party's (never counted), 0 if none */
} wd_report_notice_t;

typedef enum {
  WD_REPORT_BY_PARTY,
  WD_REPORT_BY_COUNTRY,
  WD_REPORT_BY_SECTOR,
  WD_REPORT_BY_CLASS
} wd_report_by;

typedef enum {
  WD_REPORT_TABLE,
  WD_REPORT_CSV,
  WD_REPORT_JSON,
  WD_REPORT_HTML
} wd_report_format;

typedef struct wd_report_row {
  char key[128];    /* group value */
  char party[128];  /* the party, or "(several)" */
  char country[16]; /* the country, or "(several)" */
  uint64_t incidents, sent, delivered, auto_replies, human_replies;
  uint64_t substantive, formal, overdue, reminders;
  uint64_t unverified; /* first notifications with a reply from someone who
                          is not the party (not in human/auto_replies) */
  double median_hours; /* to first human reply; < 0 when none */
  size_t first, count; /* its notices: idx[first .. first+count) */
} wd_report_row_t;

typedef struct wd_report {
  wd_report_by by;
  uint64_t now_ns, since_ns, until_ns; /* window shown (0: open) */
  const wd_report_notice_t *v;         /* borrowed notices */
  size_t n;
  size_t *idx; /* notices ordered by group, then sent time */
  wd_report_row_t *rows;
  size_t n_rows;
  wd_report_row_t total;
} wd_report_t;

const char *wd_report_by_name(wd_report_by by);
wd_rc wd_report_by_parse(const char *s, wd_report_by *out);
wd_rc wd_report_format_parse(const char *s, wd_report_format *out);

/* Groups and counts; v must outlive the report. */
wd_rc wd_report_new(const wd_report_notice_t *v, size_t n, wd_report_by by,
                    uint64_t now_ns, uint64_t since_ns, uint64_t until_ns,
                    wd_report_t **out);
void wd_report_free(wd_report_t *r);

/* Renders; detail adds one line per notification. */
wd_rc wd_report_render(const wd_report_t *r, wd_report_format f, bool detail,
                       const char *title, wd_strbuf_t *out);

#endif
