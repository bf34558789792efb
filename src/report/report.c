/* report.c -- accountability report (see report.h).
 * Memory: the report owns its index and row arrays (one malloc each); the
 * notices stay the caller's. Rendering appends to the caller's buffer.
 * Definitions (also in docs/notifications.md): a row counts the
 * notifications of its group; reminders count as sent mail but not as new
 * incidents; a first notification is overdue when it was sent, has no
 * human reply and its party's deadline has passed at now_ns; the median
 * is over first notifications answered by a person. */
#include "report/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/timefmt.h"
#include "notify/notice.h"

#define NS_PER_HOUR 3600000000000ull

const char *wd_report_by_name(wd_report_by by) {
  switch (by) {
  case WD_REPORT_BY_PARTY:
    return "party";
  case WD_REPORT_BY_COUNTRY:
    return "country";
  case WD_REPORT_BY_SECTOR:
    return "sector";
  case WD_REPORT_BY_CLASS:
    return "class";
  }
  return "?";
}

wd_rc wd_report_by_parse(const char *s, wd_report_by *out) {
  for (int b = WD_REPORT_BY_PARTY; b <= WD_REPORT_BY_CLASS; b++)
    if (s && !strcmp(s, wd_report_by_name((wd_report_by)b))) {
      *out = (wd_report_by)b;
      return WD_OK;
    }
  return WD_ERR_INVAL;
}

wd_rc wd_report_format_parse(const char *s, wd_report_format *out) {
  static const char *const names[] = {"table", "csv", "json", "html"};
  for (int i = 0; i < 4; i++)
    if (s && !strcmp(s, names[i])) {
      *out = (wd_report_format)i;
      return WD_OK;
    }
  return WD_ERR_INVAL;
}

static const char *str_or(const char *s, const char *d) {
  return s && *s ? s : d;
}

static const char *key_of(const wd_report_notice_t *x, wd_report_by by) {
  switch (by) {
  case WD_REPORT_BY_PARTY:
    return str_or(x->party, "(no party)");
  case WD_REPORT_BY_COUNTRY:
    return str_or(x->country, "(unknown)");
  case WD_REPORT_BY_SECTOR:
    return str_or(x->sector, "(unknown)");
  case WD_REPORT_BY_CLASS:
    return str_or(x->rsit_class, "(unknown)");
  }
  return "";
}

/* qsort has no user pointer: the report being sorted, one at a time. */
static const wd_report_t *sorting;

static int cmp_idx(const void *a, const void *b) {
  const wd_report_notice_t *x = &sorting->v[*(const size_t *)a];
  const wd_report_notice_t *y = &sorting->v[*(const size_t *)b];
  int c = strcmp(key_of(x, sorting->by), key_of(y, sorting->by));
  if (c)
    return c;
  c = strcmp(str_or(x->incident_id, ""), str_or(y->incident_id, ""));
  if (c)
    return c;
  return x->sent_ns < y->sent_ns ? -1 : x->sent_ns > y->sent_ns;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void same_or_several(char *dst, size_t cap, const char *v, bool first) {
  v = str_or(v, "");
  if (first)
    snprintf(dst, cap, "%s", v);
  else if (strcmp(dst, v) != 0)
    snprintf(dst, cap, "(several)");
}

/* Counts rows [first, first+count) of idx into row (and its median). */
static wd_rc count_row(wd_report_t *r, wd_report_row_t *row, double *hours) {
  size_t nh = 0;
  const char *prev_inc = NULL;
  for (size_t k = 0; k < row->count; k++) {
    const wd_report_notice_t *x = &r->v[r->idx[row->first + k]];
    same_or_several(row->party, sizeof row->party, x->party, k == 0);
    same_or_several(row->country, sizeof row->country, x->country, k == 0);
    if (x->sent_ns)
      row->sent++;
    if (x->delivered)
      row->delivered++;
    if (x->reminder) {
      row->reminders++;
      continue;
    }
    const char *inc = str_or(x->incident_id, "");
    if (!prev_inc || strcmp(prev_inc, inc) != 0)
      row->incidents++;
    prev_inc = inc;
    if (x->first_auto_ns)
      row->auto_replies++;
    if (x->first_unverified_ns)
      row->unverified++;
    if (x->first_human_ns) {
      row->human_replies++;
      if (x->sent_ns && x->first_human_ns >= x->sent_ns)
        hours[nh++] =
            (double)(x->first_human_ns - x->sent_ns) / (double)NS_PER_HOUR;
    } else if (x->sent_ns && x->deadline_hours &&
               r->now_ns > x->sent_ns + x->deadline_hours * NS_PER_HOUR) {
      row->overdue++;
    }
    if (x->substantive)
      row->substantive++;
    else if (x->formal)
      row->formal++;
  }
  row->median_hours = -1;
  if (nh) {
    qsort(hours, nh, sizeof *hours, cmp_double);
    row->median_hours =
        nh % 2 ? hours[nh / 2] : (hours[nh / 2 - 1] + hours[nh / 2]) / 2;
  }
  return WD_OK;
}

wd_rc wd_report_new(const wd_report_notice_t *v, size_t n, wd_report_by by,
                    uint64_t now_ns, uint64_t since_ns, uint64_t until_ns,
                    wd_report_t **out) {
  *out = NULL;
  if (n > WD_REPORT_NOTICES_MAX)
    return WD_ERR_FULL;
  wd_report_t *r = calloc(1, sizeof *r);
  if (!r)
    return WD_ERR_NOMEM;
  r->by = by;
  r->now_ns = now_ns;
  r->since_ns = since_ns;
  r->until_ns = until_ns;
  r->v = v;
  r->n = n;
  r->idx = malloc((n ? n : 1) * sizeof *r->idx);
  double *hours = malloc((n ? n : 1) * sizeof *hours);
  if (!r->idx || !hours) {
    free(hours);
    wd_report_free(r);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++)
    r->idx[i] = i;
  sorting = r;
  qsort(r->idx, n, sizeof *r->idx, cmp_idx);
  sorting = NULL;
  /* rows */
  size_t groups = 0;
  for (size_t i = 0; i < n; i++)
    groups += i == 0 || strcmp(key_of(&v[r->idx[i]], by),
                               key_of(&v[r->idx[i - 1]], by)) != 0;
  if (groups > WD_REPORT_ROWS_MAX) {
    free(hours);
    wd_report_free(r);
    return WD_ERR_FULL;
  }
  r->rows = calloc(groups ? groups : 1, sizeof *r->rows);
  if (!r->rows) {
    free(hours);
    wd_report_free(r);
    return WD_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const char *k = key_of(&v[r->idx[i]], by);
    if (i == 0 || strcmp(k, key_of(&v[r->idx[i - 1]], by)) != 0) {
      wd_report_row_t *row = &r->rows[r->n_rows++];
      snprintf(row->key, sizeof row->key, "%s", k);
      row->first = i;
    }
    r->rows[r->n_rows - 1].count++;
  }
  for (size_t i = 0; i < r->n_rows; i++)
    count_row(r, &r->rows[i], hours);
  /* total: all notices as one group (incident ids counted distinct over
   * the whole report needs another order: count per row and sum instead,
   * since one incident notified to two parties is two notifications) */
  snprintf(r->total.key, sizeof r->total.key, "total");
  r->total.first = 0;
  r->total.count = n;
  count_row(r, &r->total, hours);
  r->total.incidents = 0;
  for (size_t i = 0; i < r->n_rows; i++)
    r->total.incidents += r->rows[i].incidents;
  free(hours);
  *out = r;
  return WD_OK;
}

void wd_report_free(wd_report_t *r) {
  if (!r)
    return;
  free(r->idx);
  free(r->rows);
  free(r);
}

/* --- rendering -------------------------------------------------------- */

static void time_str(uint64_t ns, char *out, size_t len) {
  if (!ns)
    snprintf(out, len, "-");
  else
    wd_notice_time_human(ns, out, len);
}

static void median_str(double h, char *out, size_t len) {
  if (h < 0)
    snprintf(out, len, "-");
  else
    snprintf(out, len, "%.1f", h);
}

/* Cleaned one-line text for any output. */
static const char *cl(const char *s, char buf[WD_NOTICE_STR_MAX]) {
  return wd_notice_cleans(s, buf, WD_CLEAN_ONELINE, "");
}

static const char *status_of(const wd_report_t *r,
                             const wd_report_notice_t *x) {
  if (!x->sent_ns)
    return "not sent";
  if (x->first_human_ns)
    return x->substantive ? "answered (substantive)"
           : x->formal    ? "answered (formal)"
                          : "answered";
  if (!x->reminder && x->deadline_hours &&
      r->now_ns > x->sent_ns + x->deadline_hours * NS_PER_HOUR)
    return "overdue";
  if (x->first_auto_ns)
    return "auto-acknowledged";
  if (x->first_unverified_ns)
    return "unverified reply only";
  return x->delivered ? "delivered" : "sent";
}

static void render_table(const wd_report_t *r, bool detail, wd_strbuf_t *b) {
  char k[WD_NOTICE_STR_MAX], m[32];
  wd_strbuf_printf(b, "%-28s %-10s %9s %5s %5s %5s %6s %6s %6s %7s %9s %7s\n",
                   r->by == WD_REPORT_BY_PARTY ? "PARTY" : "GROUP", "COUNTRY",
                   "INCIDENTS", "SENT", "DELIV", "AUTO", "HUMAN", "SUBST",
                   "FORMAL", "OVERDUE", "MEDIAN_H", "UNVERIF");
  for (size_t i = 0; i <= r->n_rows; i++) {
    const wd_report_row_t *w = i < r->n_rows ? &r->rows[i] : &r->total;
    if (i == r->n_rows)
      wd_strbuf_puts(b, "----------------------------------------------------"
                        "----------------------------------------------------"
                        "\n");
    median_str(w->median_hours, m, sizeof m);
    wd_strbuf_printf(b,
                     "%-28.28s %-10.10s %9" PRIu64 " %5" PRIu64 " %5" PRIu64
                     " %5" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64
                     " %7" PRIu64 " %9s %7" PRIu64 "\n",
                     cl(w->key, k), i < r->n_rows ? w->country : "",
                     w->incidents, w->sent, w->delivered, w->auto_replies,
                     w->human_replies, w->substantive, w->formal, w->overdue, m,
                     w->unverified);
  }
  if (r->total.unverified)
    wd_strbuf_printf(b,
                     "UNVERIF: %" PRIu64 " notification(s) got replies from "
                     "senders that are not the party's\n(its address or "
                     "reply_from in the directory); those are not counted "
                     "as its answers.\n",
                     r->total.unverified);
  if (!detail)
    return;
  wd_strbuf_puts(b, "\n");
  for (size_t i = 0; i < r->n_rows; i++) {
    const wd_report_row_t *w = &r->rows[i];
    wd_strbuf_printf(b, "%s:\n", cl(w->key, k));
    for (size_t j = 0; j < w->count; j++) {
      const wd_report_notice_t *x = &r->v[r->idx[w->first + j]];
      char t1[32], t2[32], p[WD_NOTICE_STR_MAX];
      time_str(x->sent_ns, t1, sizeof t1);
      time_str(x->first_human_ns, t2, sizeof t2);
      wd_strbuf_printf(b, "  %-17s %-9s %-20.20s sent %-23s reply %-23s %s\n",
                       cl(x->incident_id, k), x->reminder ? "reminder" : "",
                       cl(x->party, p), t1, t2, status_of(r, x));
    }
  }
}

/* CSV cell: RFC 4180 quoting, and a leading quote for cells a spreadsheet
 * would take as a formula (=, +, -, @). */
static void csv_cell(wd_strbuf_t *b, const char *s) {
  char c[WD_NOTICE_STR_MAX];
  s = cl(s, c);
  bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
  if (!formula && !strpbrk(s, ",\"\n\r")) {
    wd_strbuf_puts(b, s);
    return;
  }
  wd_strbuf_putc(b, '"');
  if (formula)
    wd_strbuf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '"')
      wd_strbuf_putc(b, '"');
    wd_strbuf_putc(b, *s);
  }
  wd_strbuf_putc(b, '"');
}

static void render_csv(const wd_report_t *r, bool detail, wd_strbuf_t *b) {
  char m[32];
  if (detail) {
    wd_strbuf_puts(b, "group,incident,party,country,sector,class,reminder,"
                      "sent,delivered,first_auto_reply,first_human_reply,"
                      "status,first_unverified_reply\r\n");
    for (size_t i = 0; i < r->n; i++) {
      const wd_report_notice_t *x = &r->v[r->idx[i]];
      char t[4][32];
      time_str(x->sent_ns, t[0], 32);
      time_str(x->first_auto_ns, t[1], 32);
      time_str(x->first_human_ns, t[2], 32);
      time_str(x->first_unverified_ns, t[3], 32);
      csv_cell(b, key_of(x, r->by));
      const char *cells[] = {x->incident_id, x->party, x->country, x->sector,
                             x->rsit_class};
      for (int c = 0; c < 5; c++) {
        wd_strbuf_putc(b, ',');
        csv_cell(b, cells[c]);
      }
      wd_strbuf_printf(
          b, ",%s,%s,%s,%s,%s,%s,%s\r\n", x->reminder ? "yes" : "no", t[0],
          x->delivered ? "yes" : "no", t[1], t[2], status_of(r, x), t[3]);
    }
    return;
  }
  wd_strbuf_puts(b, "group,party,country,incidents,sent,delivered,"
                    "auto_replies,human_replies,substantive,formal,overdue,"
                    "median_hours_to_reply,unverified_replies\r\n");
  for (size_t i = 0; i < r->n_rows; i++) {
    const wd_report_row_t *w = &r->rows[i];
    csv_cell(b, w->key);
    wd_strbuf_putc(b, ',');
    csv_cell(b, w->party);
    wd_strbuf_putc(b, ',');
    csv_cell(b, w->country);
    if (w->median_hours < 0)
      m[0] = '\0';
    else
      snprintf(m, sizeof m, "%.1f", w->median_hours);
    wd_strbuf_printf(b,
                     ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                     ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 "\r\n",
                     w->incidents, w->sent, w->delivered, w->auto_replies,
                     w->human_replies, w->substantive, w->formal, w->overdue, m,
                     w->unverified);
  }
}

static json_t *jstr(const char *s) {
  char c[WD_NOTICE_STR_MAX];
  return json_string(cl(s, c));
}

static json_t *jtime(uint64_t ns) {
  char t[32];
  return ns ? json_string(wd_notice_time_iso(ns, t, sizeof t)) : json_null();
}

static json_t *row_json(const wd_report_row_t *w, wd_report_by by) {
  json_t *o = json_object();
  json_object_set_new(o, "group", jstr(w->key));
  json_object_set_new(o, "by", json_string(wd_report_by_name(by)));
  json_object_set_new(o, "party", jstr(w->party));
  json_object_set_new(o, "country", jstr(w->country));
  json_object_set_new(o, "incidents", json_integer((json_int_t)w->incidents));
  json_object_set_new(o, "sent", json_integer((json_int_t)w->sent));
  json_object_set_new(o, "delivered", json_integer((json_int_t)w->delivered));
  json_object_set_new(o, "auto_replies",
                      json_integer((json_int_t)w->auto_replies));
  json_object_set_new(o, "human_replies",
                      json_integer((json_int_t)w->human_replies));
  json_object_set_new(o, "substantive",
                      json_integer((json_int_t)w->substantive));
  json_object_set_new(o, "formal", json_integer((json_int_t)w->formal));
  json_object_set_new(o, "overdue", json_integer((json_int_t)w->overdue));
  json_object_set_new(o, "reminders", json_integer((json_int_t)w->reminders));
  json_object_set_new(o, "unverified_replies",
                      json_integer((json_int_t)w->unverified));
  json_object_set_new(o, "median_hours_to_reply",
                      w->median_hours < 0
                          ? json_null()
                          : json_real(round(w->median_hours * 10) / 10));
  return o;
}

static wd_rc render_json(const wd_report_t *r, bool detail, const char *title,
                         wd_strbuf_t *b) {
  json_t *root = json_object(), *rows = json_array();
  json_object_set_new(root, "title", jstr(title));
  json_object_set_new(root, "by", json_string(wd_report_by_name(r->by)));
  json_object_set_new(root, "generated", jtime(r->now_ns));
  json_object_set_new(root, "since", jtime(r->since_ns));
  json_object_set_new(root, "until", jtime(r->until_ns));
  for (size_t i = 0; i < r->n_rows; i++)
    json_array_append_new(rows, row_json(&r->rows[i], r->by));
  json_object_set_new(root, "rows", rows);
  json_object_set_new(root, "total", row_json(&r->total, r->by));
  if (detail) {
    json_t *ns = json_array();
    for (size_t i = 0; i < r->n; i++) {
      const wd_report_notice_t *x = &r->v[r->idx[i]];
      const char *const text[][2] = {{"incident", x->incident_id},
                                     {"party", x->party},
                                     {"country", x->country},
                                     {"sector", x->sector},
                                     {"class", x->rsit_class}};
      json_t *o = json_object();
      for (size_t k = 0; k < sizeof text / sizeof text[0]; k++)
        json_object_set_new(o, text[k][0], jstr(text[k][1]));
      json_object_set_new(o, "reminder", json_boolean(x->reminder));
      json_object_set_new(o, "sent", jtime(x->sent_ns));
      json_object_set_new(o, "delivered", json_boolean(x->delivered));
      json_object_set_new(o, "first_auto_reply", jtime(x->first_auto_ns));
      json_object_set_new(o, "first_human_reply", jtime(x->first_human_ns));
      json_object_set_new(o, "first_unverified_reply",
                          jtime(x->first_unverified_ns));
      json_object_set_new(o, "status", json_string(status_of(r, x)));
      json_array_append_new(ns, o);
    }
    json_object_set_new(root, "notifications", ns);
  }
  char *s = json_dumps(root, JSON_INDENT(2));
  json_decref(root);
  if (!s)
    return WD_ERR_NOMEM;
  wd_strbuf_puts(b, s);
  wd_strbuf_putc(b, '\n');
  free(s);
  return wd_strbuf_rc(b);
}

static void html_text(wd_strbuf_t *b, const char *s) {
  char c[WD_NOTICE_STR_MAX];
  for (s = cl(s, c); *s; s++) {
    switch (*s) {
    case '<':
      wd_strbuf_puts(b, "&lt;");
      break;
    case '>':
      wd_strbuf_puts(b, "&gt;");
      break;
    case '&':
      wd_strbuf_puts(b, "&amp;");
      break;
    case '"':
      wd_strbuf_puts(b, "&quot;");
      break;
    case '\'':
      wd_strbuf_puts(b, "&#39;");
      break;
    default:
      wd_strbuf_putc(b, *s);
    }
  }
}

static int month_of(uint64_t ns) {
  wd_civil_t c;
  wd_time_civil(ns, &c);
  return c.year * 12 + (c.month - 1);
}

#define SVG_BUCKETS_MAX 48

/* Bars per month (or per k months): notifications sent, human replies and
 * automatic replies, for one row, on a common time axis. */
static void svg_chart(const wd_report_t *r, const wd_report_row_t *w, int m0,
                      int m1, wd_strbuf_t *b) {
  int span = m1 - m0 + 1, step = (span + SVG_BUCKETS_MAX - 1) / SVG_BUCKETS_MAX;
  int nb = (span + step - 1) / step;
  unsigned sent[SVG_BUCKETS_MAX] = {0}, human[SVG_BUCKETS_MAX] = {0},
           autor[SVG_BUCKETS_MAX] = {0}, top = 1;
  for (size_t j = 0; j < w->count; j++) {
    const wd_report_notice_t *x = &r->v[r->idx[w->first + j]];
    uint64_t t[3] = {x->sent_ns, x->first_human_ns, x->first_auto_ns};
    unsigned *arr[3] = {sent, human, autor};
    for (int s = 0; s < 3; s++) {
      if (!t[s])
        continue;
      int bi = (month_of(t[s]) - m0) / step;
      if (bi < 0 || bi >= nb)
        continue;
      if (++arr[s][bi] > top)
        top = arr[s][bi];
    }
  }
  const int W = 720, H = 170, left = 34, bottom = 30, plot_h = H - bottom - 24;
  double bw = (double)(W - left - 10) / nb;
  wd_strbuf_printf(b,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                   "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-label=\"notifications and replies per month\">\n",
                   W, H, W, H);
  wd_strbuf_printf(b,
                   "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
                   "fill=\"#ffffff\"/>\n",
                   W, H);
  wd_strbuf_printf(b,
                   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                   "stroke=\"#333\"/>\n<text x=\"2\" y=\"%d\" "
                   "font-size=\"10\">%u</text><text x=\"2\" y=\"%d\" "
                   "font-size=\"10\">0</text>\n",
                   left, H - bottom, W - 10, H - bottom,
                   H - bottom - plot_h + 8, top, H - bottom);
  static const char *const colors[3] = {"#4a6fa5", "#2e8b57", "#c8a24a"};
  for (int i = 0; i < nb; i++) {
    unsigned vals[3] = {sent[i], human[i], autor[i]};
    double x0 = left + i * bw + bw * 0.1, sub = bw * 0.8 / 3;
    for (int s = 0; s < 3; s++) {
      double h = (double)vals[s] / top * plot_h;
      if (vals[s])
        wd_strbuf_printf(b,
                         "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" fill=\"%s\"/>\n",
                         x0 + s * sub, H - bottom - h, sub, h, colors[s]);
    }
    int m = m0 + i * step;
    if (nb <= 12 || i % ((nb + 11) / 12) == 0)
      wd_strbuf_printf(b,
                       "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%04d-%02d"
                       "</text>\n",
                       left + i * bw, H - bottom + 12, m / 12, m % 12 + 1);
  }
  static const char *const names[3] = {"notifications sent", "human replies",
                                       "automatic replies"};
  for (int s = 0; s < 3; s++)
    wd_strbuf_printf(b,
                     "<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" "
                     "fill=\"%s\"/><text x=\"%d\" y=\"15\" font-size=\"11\">"
                     "%s</text>\n",
                     left + s * 170, colors[s], left + s * 170 + 14, names[s]);
  wd_strbuf_puts(b, "</svg>\n");
}

static void render_html(const wd_report_t *r, bool detail, const char *title,
                        wd_strbuf_t *b) {
  char t1[32], t2[32], t3[32], m[32];
  wd_strbuf_puts(
      b,
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
      "'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>");
  html_text(b, title);
  wd_strbuf_puts(
      b, "</title>\n<style>\n"
         "body{font-family:DejaVu Sans,Liberation Sans,Arial,sans-serif;"
         "margin:2em;color:#111;background:#fff}\n"
         "h1{font-size:1.5em;margin:0 0 .3em}\n"
         "table{border-collapse:collapse;margin:1em 0;font-size:.85em}\n"
         "th,td{border:1px solid #888;padding:.25em .6em;text-align:right}\n"
         "th{background:#e8edf3}td.k{text-align:left}\n"
         "tr.total td{font-weight:bold;background:#f3f3f3}\n"
         ".over{color:#a00;font-weight:bold}\n"
         "figure{margin:1em 0;page-break-inside:avoid}\n"
         "figcaption{font-weight:bold;margin-bottom:.3em}\n"
         "p.note{font-size:.9em;color:#333;max-width:60em}\n"
         "@media print{body{margin:0}table{font-size:8pt}th{background:#ddd}}\n"
         "</style>\n</head>\n<body>\n<h1>");
  html_text(b, title);
  time_str(r->now_ns, t1, sizeof t1);
  time_str(r->since_ns, t2, sizeof t2);
  time_str(r->until_ns, t3, sizeof t3);
  /* An open end of the period reads as such, not as a dash. */
  char span[160];
  if (r->since_ns && r->until_ns)
    snprintf(span, sizeof span, "Notifications from %s to %s", t2, t3);
  else if (r->since_ns)
    snprintf(span, sizeof span, "Notifications since %s", t2);
  else if (r->until_ns)
    snprintf(span, sizeof span, "Notifications until %s", t3);
  else
    snprintf(span, sizeof span, "All notifications");
  wd_strbuf_printf(b,
                   "</h1>\n<p class=\"note\">Grouped by %s. %s; "
                   "computed at %s. A notification is "
                   "<em>overdue</em> when its party's deadline passed "
                   "without a human reply; <em>substantive</em> and "
                   "<em>formal</em> are the analysts' verdicts on human "
                   "replies; the median is over first notifications "
                   "answered by a person. <em>Unverified replies</em> came "
                   "from senders that are not the party's (its address or "
                   "reply_from in the directory) and count as no "
                   "answer.</p>\n<table>\n<thead><tr>",
                   wd_report_by_name(r->by), span, t1);
  static const char *const cols[] = {"Incidents",
                                     "Sent",
                                     "Delivered",
                                     "Auto-acknowledged",
                                     "Human replies",
                                     "Substantive",
                                     "Formal",
                                     "Overdue",
                                     "Median hours to reply",
                                     "Unverified replies"};
  wd_strbuf_printf(b, "<th>%s</th><th>Country</th>",
                   r->by == WD_REPORT_BY_PARTY ? "Party" : "Group");
  for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
    wd_strbuf_printf(b, "<th>%s</th>", cols[c]);
  wd_strbuf_puts(b, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i <= r->n_rows; i++) {
    const wd_report_row_t *w = i < r->n_rows ? &r->rows[i] : &r->total;
    median_str(w->median_hours, m, sizeof m);
    wd_strbuf_printf(b, "<tr%s><td class=\"k\">",
                     i == r->n_rows ? " class=\"total\"" : "");
    html_text(b, i < r->n_rows ? w->key : "Total");
    wd_strbuf_puts(b, "</td><td class=\"k\">");
    html_text(b, i < r->n_rows ? w->country : "");
    wd_strbuf_printf(b,
                     "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
                     "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
                     "</td><td>%" PRIu64 "</td><td%s>%" PRIu64
                     "</td><td>%s</td><td>%" PRIu64 "</td></tr>\n",
                     w->incidents, w->sent, w->delivered, w->auto_replies,
                     w->human_replies, w->substantive, w->formal,
                     w->overdue ? " class=\"over\"" : "", w->overdue, m,
                     w->unverified);
  }
  wd_strbuf_puts(b, "</tbody>\n</table>\n");

  /* common time axis for every chart */
  int m0 = 0, m1 = 0;
  bool any = false;
  for (size_t i = 0; i < r->n; i++) {
    const wd_report_notice_t *x = &r->v[i];
    uint64_t t[3] = {x->sent_ns, x->first_human_ns, x->first_auto_ns};
    for (int s = 0; s < 3; s++) {
      if (!t[s])
        continue;
      int mm = month_of(t[s]);
      if (!any || mm < m0)
        m0 = mm;
      if (!any || mm > m1)
        m1 = mm;
      any = true;
    }
  }
  if (any && r->now_ns && month_of(r->now_ns) > m1 &&
      month_of(r->now_ns) - m0 < 1200)
    m1 = month_of(r->now_ns);
  if (any) {
    wd_strbuf_puts(b, "<h2>Notifications and replies over time</h2>\n");
    for (size_t i = 0; i < r->n_rows; i++) {
      wd_strbuf_puts(b, "<figure>\n<figcaption>");
      html_text(b, r->rows[i].key);
      wd_strbuf_puts(b, "</figcaption>\n");
      svg_chart(r, &r->rows[i], m0, m1, b);
      wd_strbuf_puts(b, "</figure>\n");
    }
  }
  if (detail) {
    wd_strbuf_puts(b, "<h2>Notifications</h2>\n<table>\n<thead><tr>"
                      "<th>Incident</th><th>Party</th><th>Reminder</th>"
                      "<th>Sent (UTC)</th><th>First human reply (UTC)</th>"
                      "<th>Status</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->n; i++) {
      const wd_report_notice_t *x = &r->v[r->idx[i]];
      time_str(x->sent_ns, t1, sizeof t1);
      time_str(x->first_human_ns, t2, sizeof t2);
      wd_strbuf_puts(b, "<tr><td class=\"k\">");
      html_text(b, x->incident_id);
      wd_strbuf_puts(b, "</td><td class=\"k\">");
      html_text(b, x->party);
      wd_strbuf_printf(b,
                       "</td><td>%s</td><td>%s</td><td>%s</td>"
                       "<td class=\"k\">%s</td></tr>\n",
                       x->reminder ? "yes" : "", t1, t2, status_of(r, x));
    }
    wd_strbuf_puts(b, "</tbody>\n</table>\n");
  }
  wd_strbuf_puts(b, "</body>\n</html>\n");
}

wd_rc wd_report_render(const wd_report_t *r, wd_report_format f, bool detail,
                       const char *title, wd_strbuf_t *out) {
  if (!title)
    title = "Notification accountability";
  switch (f) {
  case WD_REPORT_TABLE:
    render_table(r, detail, out);
    break;
  case WD_REPORT_CSV:
    render_csv(r, detail, out);
    break;
  case WD_REPORT_JSON:
    return render_json(r, detail, title, out);
  case WD_REPORT_HTML:
    render_html(r, detail, title, out);
    break;
  }
  return wd_strbuf_rc(out);
}
