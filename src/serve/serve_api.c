/* serve_api.c -- the JSON API of `ward serve`: one table of routes
 * (method, path, least role, handler) and their handlers over the store,
 * the same code as the command line: verdicts through wd_inbox_verdict
 * (as `ward reply`), the report through src/report (as `ward report
 * --format json`), incidents in their documented JSON form
 * (wd_store_incident_json).
 * In: a wd_req_t (path arguments, query, body). Out: a wd_resp_t, JSON
 * (errors {"error": "..."}) or the evidence capture. Every change is
 * also a row of the audit table: who (token name), what, target, the
 * value before and after. Path arguments are checked against what they
 * name (an incident id, a notification number, a token name) before use:
 * none reaches the file system. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "notify/inbox.h"
#include "report/report.h"
#include "report/report_store.h"
#include "serve/serve_int.h"

/* Largest page of a list. */
#define PAGE_MAX 1000
#define PAGE_DEFAULT 100

static json_t *jstr(const char *s) {
  json_t *j = json_string(s ? s : "");
  return j ? j : json_string("?");
}

static json_t *jtime(uint64_t ns) {
  char b[40];
  return ns ? json_string(wd_store_time_str(ns, b)) : json_null();
}

/* "WARD-2026-000042" */
static bool incident_id_ok(const char *s) {
  if (strlen(s) != 16 || strncmp(s, "WARD-", 5) != 0 || s[9] != '-')
    return false;
  for (int i = 5; i < 16; i++)
    if (i != 9 && (s[i] < '0' || s[i] > '9'))
      return false;
  return true;
}

static bool check_incident_id(const char *id, wd_resp_t *out) {
  if (incident_id_ok(id))
    return true;
  wd_resp_error(out, 400, "bad incident id: expected WARD-YYYY-NNNNNN");
  return false;
}

/* A whole number query argument in [0, max]; def when absent. */
static bool arg_uint(wd_req_t *r, const char *name, uint64_t def, uint64_t max,
                     uint64_t *v, wd_resp_t *out) {
  const char *a = wd_req_arg(r, name);
  *v = def;
  if (!a)
    return true;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(a, &end, 10);
  if (!*a || *end || errno || a[0] == '-' || a[0] == '+' || x > max) {
    wd_resp_error(out, 400, "%s: expected a whole number from 0 to %" PRIu64,
                  name, max);
    return false;
  }
  *v = x;
  return true;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC) into ns. */
static bool arg_date(wd_req_t *r, const char *name, uint64_t *v,
                     wd_resp_t *out) {
  const char *s = wd_req_arg(r, name);
  *v = 0;
  if (!s)
    return true;
  int y, mo, d, h = 0, mi = 0, se = 0;
  char tail = 0;
  int n =
      sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail);
  bool ok =
      (n == 3 && strlen(s) == 10) || (n == 7 && tail == 'Z' && strlen(s) == 20);
  ok = ok && y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
       mi <= 59 && se <= 60 &&
       wd_time_from_civil(y, (unsigned)mo, (unsigned)d, (unsigned)h,
                          (unsigned)mi, (unsigned)se, v);
  if (!ok)
    wd_resp_error(out, 400,
                  "%s: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
                  name);
  return ok;
}

/* The body as a JSON object; false with a 400 saying why. */
static json_t *body_object(wd_req_t *r, wd_resp_t *out) {
  json_error_t e;
  json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
  if (!j) {
    wd_resp_error(out, 400, "body is not JSON: %s (line %d, column %d)", e.text,
                  e.line, e.column);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    wd_resp_error(out, 400, "body must be a JSON object");
    return NULL;
  }
  return j;
}

/* Member key of o as a string (NULL when absent); false (400) when it is
 * there but not a string, or longer than max bytes. */
static bool member_str(json_t *o, const char *key, size_t max, bool required,
                       const char **v, wd_resp_t *out) {
  json_t *m = json_object_get(o, key);
  *v = NULL;
  if (!m || json_is_null(m)) {
    if (required)
      wd_resp_error(out, 400, "\"%s\" is required", key);
    return !required;
  }
  if (!json_is_string(m)) {
    wd_resp_error(out, 400, "\"%s\" must be a string", key);
    return false;
  }
  if (json_string_length(m) > max ||
      strlen(json_string_value(m)) != json_string_length(m)) {
    wd_resp_error(out, 400, "\"%s\": at most %zu bytes, no NUL", key, max);
    return false;
  }
  *v = json_string_value(m);
  return true;
}

/* j as compact JSON text that fits the audit's columns: when it is
 * longer, its name, kind and email (those it has) and "abridged": true. */
static char *dump_fit(json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!s || strlen(s) < WD_STORE_AUDIT_LEN || !json_is_object(j))
    return s;
  free(s);
  json_t *o = json_object();
  static const char *const keep[] = {"name", "kind", "email"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_object_get(j, keep[i]);
    if (json_is_string(v) && json_string_length(v) < 256)
      json_object_set(o, keep[i], v);
  }
  json_object_set_new(o, "abridged", json_true());
  s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return s;
}

static void audit(wd_req_t *r, const char *action, const char *target,
                  json_t *before, json_t *after) {
  wd_store_audit_t a = {.at_ns = r->now_ns};
  snprintf(a.who, sizeof a.who, "%s", r->who);
  snprintf(a.action, sizeof a.action, "%s", action);
  snprintf(a.target, sizeof a.target, "%s", target);
  char *b = before ? dump_fit(before) : NULL;
  char *f = after ? dump_fit(after) : NULL;
  snprintf(a.before, sizeof a.before, "%s", b ? b : "");
  snprintf(a.after, sizeof a.after, "%s", f ? f : "");
  free(b);
  free(f);
  json_decref(before);
  json_decref(after);
  if (wd_store_audit_add(r->s, &a) != WD_OK)
    fprintf(stderr, "ward serve: audit: %s\n", wd_store_errmsg(r->s));
}

static void db_error(wd_req_t *r, wd_resp_t *out) {
  fprintf(stderr, "ward serve: %s\n", wd_store_errmsg(r->s));
  wd_resp_error(out, 500, "database error");
}

/* Whether a store look-up of what named name found it; false with a 404
 * ("no WHAT NAME") or a 500 response set when not. */
static bool found(wd_req_t *r, wd_rc rc, const char *what, const char *name,
                  wd_resp_t *out) {
  if (rc == WD_ERR_NOTFOUND)
    wd_resp_error(out, 404, "no %s %s", what, name);
  else if (rc != WD_OK)
    db_error(r, out);
  return rc == WD_OK;
}

/* The incident id names into *inc (wd_store_incident_fini frees); false
 * with the response set (400, 404, 500) when there is none. */
static bool get_incident(wd_req_t *r, const char *id, wd_store_incident_t *inc,
                         wd_resp_t *out) {
  if (!check_incident_id(id, out))
    return false;
  return found(r, wd_store_incident_get(r->s, id, inc), "incident", id, out);
}

/* ---- incidents ---- */

static bool party_matches(const wd_store_incident_t *inc, const char *party) {
  if (inc->party.set && !strcasecmp(inc->party.name, party))
    return true;
  for (size_t i = 0; i < inc->n_attackers; i++)
    if (!strcasecmp(inc->attackers[i].party, party))
      return true;
  return false;
}

static void h_incidents(wd_req_t *r, wd_resp_t *out) {
  uint64_t limit, offset, since;
  if (!arg_uint(r, "limit", PAGE_DEFAULT, PAGE_MAX, &limit, out) ||
      !arg_uint(r, "offset", 0, UINT32_MAX, &offset, out) ||
      !arg_date(r, "since", &since, out))
    return;
  wd_store_filter_t f = {.since_ns = since,
                         .status = wd_req_arg(r, "state"),
                         .rsit_class = wd_req_arg(r, "class"),
                         .sector = wd_req_arg(r, "sector"),
                         .facility = wd_req_arg(r, "facility"),
                         .country = wd_req_arg(r, "country")};
  const char *party = wd_req_arg(r, "party");
  char(*ids)[WD_STORE_ID_LEN] = NULL;
  size_t n = 0;
  if (wd_store_incident_ids(r->s, &f, &ids, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  json_t *arr = json_array();
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    bool in_page = total >= offset && total < offset + limit;
    if (!party && !in_page) {
      total++;
      continue;
    }
    wd_store_incident_t inc;
    if (wd_store_incident_get(r->s, ids[i], &inc) != WD_OK)
      continue;
    if (!party || party_matches(&inc, party)) {
      if (total >= offset && total < offset + limit)
        json_array_append_new(arr, wd_store_incident_json(&inc));
      total++;
    }
    wd_store_incident_fini(&inc);
  }
  free(ids);
  wd_resp_json(out, 200,
               json_pack("{s:I,s:I,s:I,s:o}", "total", (json_int_t)total,
                         "offset", (json_int_t)offset, "limit",
                         (json_int_t)limit, "incidents", arr));
}

static json_t *notice_json(const wd_store_notice_t *n) {
  json_t *o = json_object();
  char ref[32];
  snprintf(ref, sizeof ref, "%" PRId64, n->id);
  json_object_set_new(o, "ref", jstr(ref));
  json_object_set_new(o, "id", json_integer(n->id));
  json_object_set_new(o, "incident_id", jstr(n->incident_id));
  json_object_set_new(o, "party", jstr(n->party_name));
  json_object_set_new(o, "party_kind", jstr(n->party_kind));
  json_object_set_new(o, "email", jstr(n->party_email));
  json_object_set_new(o, "format", jstr(n->party_format));
  json_object_set_new(o, "deadline_hours", json_integer(n->deadline_hours));
  json_object_set_new(o, "kind", jstr(n->kind));
  json_object_set_new(o, "message_id", jstr(n->message_id));
  json_object_set_new(o, "state", jstr(n->state));
  json_object_set_new(o, "attempts", json_integer(n->attempts));
  json_object_set_new(o, "created", jtime(n->created_ns));
  json_object_set_new(o, "sent", jtime(n->sent_ns));
  json_object_set_new(o, "last_error", jstr(n->last_error));
  return o;
}

static json_t *reply_json(const wd_store_reply_row_t *p) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(p->id));
  json_object_set_new(o, "notification",
                      p->notification_id ? json_integer(p->notification_id)
                                         : json_null());
  json_object_set_new(o, "from", jstr(p->from_addr));
  json_object_set_new(o, "subject", jstr(p->subject));
  json_object_set_new(o, "date", jtime(p->date_ns));
  json_object_set_new(o, "received", jtime(p->received_ns));
  json_object_set_new(o, "kind", jstr(p->kind));
  json_object_set_new(o, "sender", jstr(p->sender));
  json_object_set_new(o, "verdict",
                      p->verdict[0] ? jstr(p->verdict) : json_null());
  json_object_set_new(o, "verdict_by", jstr(p->verdict_by));
  json_object_set_new(o, "note", jstr(p->note));
  return o;
}

typedef struct event {
  uint64_t ns;
  json_t *o;
} event_t;

static int event_cmp(const void *a, const void *b) {
  const event_t *x = a, *y = b;
  return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* One entry of the timeline. */
static void event(event_t *ev, size_t *n, uint64_t ns, const char *kind,
                  json_t *what) {
  json_t *o = json_object();
  json_object_set_new(o, "at", jtime(ns));
  json_object_set_new(o, "kind", jstr(kind));
  json_object_update_new(o, what);
  ev[(*n)++] = (event_t){ns, o};
}

static void h_incident(wd_req_t *r, wd_resp_t *out) {
  const char *id = r->args[0];
  wd_store_incident_t inc;
  if (!get_incident(r, id, &inc, out))
    return;
  json_t *o = wd_store_incident_json(&inc);
  wd_store_notice_t *nv = NULL;
  wd_store_reply_row_t *rv = NULL;
  wd_store_note_t *tv = NULL;
  wd_store_verdict_t *vv = NULL;
  size_t nn = 0, nr = 0, nt = 0, nvd = 0;
  if (wd_store_notices_of(r->s, id, &nv, &nn) != WD_OK ||
      wd_store_replies_of(r->s, id, &rv, &nr) != WD_OK ||
      wd_store_notes(r->s, id, &tv, &nt) != WD_OK ||
      wd_store_verdict_history(r->s, id, &vv, &nvd) != WD_OK) {
    json_decref(o);
    free(nv);
    free(rv);
    free(tv);
    free(vv);
    wd_store_incident_fini(&inc);
    db_error(r, out);
    return;
  }
  size_t cap = 2 * inc.n_attacks + 2 * nn + nr + nt + nvd, ne = 0;
  event_t *ev = calloc(cap ? cap : 1, sizeof *ev);
  json_t *na = json_array(), *ra = json_array(), *ta = json_array();
  for (size_t i = 0; i < inc.n_attacks; i++) {
    const wd_store_attack_t *a = &inc.attacks[i];
    json_t *w =
        json_pack("{s:s,s:s,s:s,s:I}", "detector", a->detector, "src", a->src,
                  "dst", a->dst, "alerts", (json_int_t)a->reports);
    if (ev && w) {
      event(ev, &ne, a->start_ns, "attack-start", json_deep_copy(w));
      if (a->ended)
        event(ev, &ne, a->last_ns, "attack-end", json_incref(w));
    }
    json_decref(w);
  }
  for (size_t i = 0; i < nn; i++) {
    json_array_append_new(na, notice_json(&nv[i]));
    if (!ev)
      continue;
    event(ev, &ne, nv[i].created_ns, "notification-queued",
          json_pack("{s:I,s:s}", "notification", (json_int_t)nv[i].id, "party",
                    nv[i].party_name));
    if (nv[i].sent_ns)
      event(ev, &ne, nv[i].sent_ns, "notification-sent",
            json_pack("{s:I,s:s}", "notification", (json_int_t)nv[i].id,
                      "party", nv[i].party_name));
  }
  for (size_t i = 0; i < nr; i++) {
    json_array_append_new(ra, reply_json(&rv[i]));
    if (ev)
      event(ev, &ne, rv[i].received_ns, "reply",
            json_pack("{s:I,s:s,s:s}", "reply", (json_int_t)rv[i].id, "from",
                      rv[i].from_addr, "reply_kind", rv[i].kind));
  }
  for (size_t i = 0; i < nt; i++) {
    json_array_append_new(ta,
                          json_pack("{s:o,s:s,s:s}", "at", jtime(tv[i].at_ns),
                                    "by", tv[i].by, "note", tv[i].text));
    if (ev)
      event(ev, &ne, tv[i].at_ns, "note",
            json_pack("{s:s,s:s}", "by", tv[i].by, "note", tv[i].text));
  }
  for (size_t i = 0; i < nvd && ev; i++)
    event(ev, &ne, vv[i].at_ns, "verdict",
          json_pack("{s:s,s:s,s:s,s:s}", "verdict", vv[i].verdict, "by",
                    vv[i].by, "note", vv[i].note, "replaced", vv[i].replaced));
  json_t *tl = json_array();
  if (ev) {
    qsort(ev, ne, sizeof *ev, event_cmp);
    for (size_t i = 0; i < ne; i++)
      json_array_append_new(tl, ev[i].o);
  }
  free(ev);
  json_object_set_new(o, "notifications", na);
  json_object_set_new(o, "replies", ra);
  json_object_set_new(o, "notes", ta);
  json_object_set_new(o, "timeline", tl);
  free(nv);
  free(rv);
  free(tv);
  free(vv);
  wd_store_incident_fini(&inc);
  wd_resp_json(out, 200, o);
}

static void h_evidence(wd_req_t *r, wd_resp_t *out) {
  const char *id = r->args[0];
  wd_store_incident_t inc;
  if (!get_incident(r, id, &inc, out))
    return;
  if (!inc.evidence_path[0]) {
    wd_store_incident_fini(&inc);
    wd_resp_error(out, 404, "incident %s has no evidence capture", id);
    return;
  }
  int fd = open(inc.evidence_path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    wd_store_incident_fini(&inc);
    wd_resp_error(out, 410, "the evidence capture of %s is no longer there",
                  id);
    return;
  }
  out->status = 200;
  out->fd = fd;
  out->fd_size = (uint64_t)st.st_size;
  out->ctype = "application/vnd.tcpdump.pcap";
  snprintf(out->hdr_name, sizeof out->hdr_name, "X-Evidence-SHA256");
  snprintf(out->hdr_value, sizeof out->hdr_value, "%s", inc.evidence_sha256);
  snprintf(out->disposition, sizeof out->disposition,
           "attachment; filename=\"%.16s.pcap\"", id);
  wd_store_incident_fini(&inc);
}

static void h_note(wd_req_t *r, wd_resp_t *out) {
  const char *id = r->args[0], *text;
  if (!check_incident_id(id, out))
    return;
  json_t *b = body_object(r, out);
  if (!b)
    return;
  if (!member_str(b, "note", WD_STORE_NOTE_LEN - 1, true, &text, out)) {
    json_decref(b);
    return;
  }
  if (!*text) {
    json_decref(b);
    wd_resp_error(out, 400, "\"note\" is empty");
    return;
  }
  wd_store_note_t nt = {.at_ns = r->now_ns};
  snprintf(nt.by, sizeof nt.by, "%s", r->who);
  snprintf(nt.text, sizeof nt.text, "%s", text);
  json_decref(b);
  wd_rc rc = wd_store_note_add(r->s, id, &nt);
  if (rc == WD_ERR_NOTFOUND) {
    wd_resp_error(out, 404, "no incident %s", id);
    return;
  }
  if (rc != WD_OK) {
    db_error(r, out);
    return;
  }
  audit(r, "note", id, NULL, json_pack("{s:s}", "note", nt.text));
  wd_resp_json(out, 201,
               json_pack("{s:s,s:o,s:s,s:s}", "incident", id, "at",
                         jtime(nt.at_ns), "by", nt.by, "note", nt.text));
}

static void h_close(wd_req_t *r, wd_resp_t *out) {
  const char *id = r->args[0];
  wd_store_incident_t inc;
  if (!get_incident(r, id, &inc, out))
    return;
  char before[16];
  snprintf(before, sizeof before, "%s", inc.status);
  wd_store_incident_fini(&inc);
  wd_rc rc;
  if (!strcmp(before, "closed")) {
    wd_resp_json(out, 200,
                 json_pack("{s:s,s:s}", "incident", id, "status", "closed"));
    return;
  }
  rc = wd_store_incident_set_status(r->s, id, "closed");
  if (rc != WD_OK) {
    db_error(r, out);
    return;
  }
  audit(r, "close", id, json_pack("{s:s}", "status", before),
        json_pack("{s:s}", "status", "closed"));
  wd_resp_json(out, 200,
               json_pack("{s:s,s:s}", "incident", id, "status", "closed"));
}

/* ---- notifications ---- */

static void h_notifications(wd_req_t *r, wd_resp_t *out) {
  uint64_t limit;
  if (!arg_uint(r, "limit", PAGE_DEFAULT, PAGE_MAX, &limit, out))
    return;
  wd_store_notice_t *v = NULL;
  size_t n = 0;
  if (wd_store_notice_list(r->s, limit, &v, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, notice_json(&v[i]));
  free(v);
  wd_resp_json(out, 200, json_pack("{s:o}", "notifications", a));
}

/* A notification's number; false with a 400 when ref is not one. */
static bool ref_number(const char *ref, long long *v, wd_resp_t *out) {
  char *end;
  errno = 0;
  long long n = strtoll(ref, &end, 10);
  if (!*ref || *end || errno || n <= 0 || ref[0] == '+') {
    wd_resp_error(out, 400,
                  "bad notification ref: expected its number or an incident "
                  "id WARD-YYYY-NNNNNN");
    return false;
  }
  if (v)
    *v = n;
  return true;
}

/* The incident a notification ref names: its number, or an incident id.
 * False with the response set when it names none. */
static bool ref_incident(wd_req_t *r, const char *ref, char id[WD_STORE_ID_LEN],
                         wd_resp_t *out) {
  if (incident_id_ok(ref)) {
    snprintf(id, WD_STORE_ID_LEN, "%.16s", ref);
    return true;
  }
  long long n;
  if (!ref_number(ref, &n, out))
    return false;
  wd_store_notice_t nt;
  wd_rc rc = wd_store_notice_get(r->s, n, &nt);
  if (rc == WD_ERR_NOTFOUND) {
    wd_resp_error(out, 404, "no notification %lld", n);
    return false;
  }
  if (rc != WD_OK) {
    db_error(r, out);
    return false;
  }
  snprintf(id, WD_STORE_ID_LEN, "%s", nt.incident_id);
  return true;
}

static void h_judgement(wd_req_t *r, wd_resp_t *out) {
  char id[WD_STORE_ID_LEN];
  if (!ref_incident(r, r->args[0], id, out))
    return;
  json_t *b = body_object(r, out);
  if (!b)
    return;
  const char *verdict, *note;
  json_t *force = json_object_get(b, "force");
  if (!member_str(b, "judgement", 16, true, &verdict, out) ||
      !member_str(b, "note", WD_STORE_TEXT_LEN - 1, false, &note, out)) {
    json_decref(b);
    return;
  }
  if (force && !json_is_boolean(force)) {
    json_decref(b);
    wd_resp_error(out, 400, "\"force\" must be true or false");
    return;
  }
  if (strcmp(verdict, "substantive") != 0 && strcmp(verdict, "formal") != 0) {
    json_decref(b);
    wd_resp_error(out, 400, "\"judgement\" must be substantive or formal");
    return;
  }
  wd_inbox_verdict_t v = {.verdict = verdict,
                          .note = note,
                          .by = r->who,
                          .force = force && json_is_true(force)};
  wd_store_verdict_t prev;
  char err[768] = "";
  wd_rc rc = wd_inbox_verdict(r->s, id, &v, r->now_ns, &prev, err, sizeof err);
  if (rc == WD_OK) {
    bool same =
        !strcmp(prev.verdict, verdict) && !strcmp(prev.note, note ? note : "");
    if (!same)
      audit(r, "judgement", id,
            prev.verdict[0]
                ? json_pack("{s:s,s:s,s:s}", "judgement", prev.verdict, "note",
                            prev.note, "by", prev.by)
                : NULL,
            json_pack("{s:s,s:s}", "judgement", verdict, "note",
                      note ? note : ""));
    wd_resp_json(
        out, 200,
        json_pack("{s:s,s:s,s:b,s:o}", "incident", id, "judgement", verdict,
                  "changed", !same, "replaced",
                  prev.verdict[0] && !same ? jstr(prev.verdict) : json_null()));
  } else if (rc == WD_ERR_STATE) {
    wd_resp_error(out, 409, "%s (send \"force\": true to replace it)", err);
  } else if (rc == WD_ERR_NOTFOUND) {
    wd_resp_error(out, 404, "%s", err);
  } else if (rc == WD_ERR_INVAL) {
    wd_resp_error(out, 400, "%s", err);
  } else {
    fprintf(stderr, "ward serve: judgement: %s\n", err);
    wd_resp_error(out, 500, "database error");
  }
  json_decref(b);
}

static void h_requeue(wd_req_t *r, wd_resp_t *out) {
  const char *ref = r->args[0];
  if (!incident_id_ok(ref) && !ref_number(ref, NULL, out))
    return;
  uint64_t n = 0;
  if (wd_store_notice_count_ref(r->s, ref, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  if (!n) {
    wd_resp_error(out, 404, "no notification %s", ref);
    return;
  }
  if (wd_store_notice_requeue(r->s, ref, r->now_ns, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  if (n)
    audit(r, "requeue", ref, json_pack("{s:s}", "state", "failed"),
          json_pack("{s:s,s:I}", "state", "queued", "count", (json_int_t)n));
  wd_resp_json(out, 200,
               json_pack("{s:s,s:I}", "ref", ref, "requeued", (json_int_t)n));
}

/* ---- report, parties ---- */

static void h_report(wd_req_t *r, wd_resp_t *out) {
  uint64_t since, until;
  wd_report_by by = WD_REPORT_BY_PARTY;
  const char *bs = wd_req_arg(r, "by");
  if (!arg_date(r, "since", &since, out) || !arg_date(r, "until", &until, out))
    return;
  if (bs && wd_report_by_parse(bs, &by) != WD_OK) {
    wd_resp_error(out, 400, "by: expected party, country, sector or class");
    return;
  }
  char err[512] = "";
  wd_report_data_t d = {0};
  wd_report_t *rep = NULL;
  wd_strbuf_t b;
  wd_strbuf_init(&b, 0);
  wd_rc rc = wd_report_load(r->s, since, until, &d, err, sizeof err);
  if (rc == WD_OK)
    rc = wd_report_new(d.v, d.n, by, r->now_ns, since, until, &rep);
  if (rc == WD_OK)
    rc = wd_report_render(rep, WD_REPORT_JSON, false,
                          "Notification accountability", &b);
  json_t *j = rc == WD_OK ? json_loadb(b.p ? b.p : "", b.len, 0, NULL) : NULL;
  wd_strbuf_fini(&b);
  wd_report_free(rep);
  if (d.v)
    wd_report_data_fini(&d);
  if (!j) {
    fprintf(stderr, "ward serve: report: %s\n", err[0] ? err : wd_rc_str(rc));
    wd_resp_error(out, 500, "the report could not be made");
    return;
  }
  wd_resp_json(out, 200, j);
}

/* The parties: the store's when it has any, else the directory file's
 * (serve's attribution.directory, read at start). */
/* ---- sensors (the fleet: what `ward ingest` stored per sensor) ---- */

/* The window of the sensors' rates; a sensor with nothing stored in it is
 * silent. */
#define SENSOR_WINDOW_S 300

static void h_sensors(wd_req_t *r, wd_resp_t *out) {
  uint64_t win = (uint64_t)SENSOR_WINDOW_S * 1000000000ull;
  uint64_t since = r->now_ns > win ? r->now_ns - win : 0;
  wd_store_fleet_sensor_t *v = NULL;
  size_t n = 0;
  if (wd_store_fleet_sensors(r->s, since, &v, &n) != WD_OK) {
    wd_resp_error(out, 500, "reading the sensors failed");
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    const wd_store_fleet_sensor_t *x = &v[i];
    double mins = SENSOR_WINDOW_S / 60.0;
    json_array_append_new(
        a,
        json_pack("{s:o,s:s,s:I,s:I,s:o,s:o,s:f,s:f}", "name", jstr(x->name),
                  "state", x->last_stored_ns >= since ? "live" : "silent",
                  "messages", (json_int_t)x->messages, "alerts",
                  (json_int_t)x->alerts, "last_event", jtime(x->last_event_ns),
                  "last_stored", jtime(x->last_stored_ns),
                  "messages_per_minute", (double)x->recent_messages / mins,
                  "alerts_per_minute", (double)x->recent_alerts / mins));
  }
  free(v);
  wd_resp_json(
      out, 200,
      json_pack("{s:i,s:o}", "window_s", SENSOR_WINDOW_S, "sensors", a));
}

static void h_parties(wd_req_t *r, wd_resp_t *out) {
  wd_store_party_row_t *v = NULL;
  size_t n = 0;
  if (wd_store_party_list(r->s, &v, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *j = json_loads(v[i].doc, 0, NULL);
    if (j)
      json_array_append_new(a, j);
  }
  wd_store_parties_free(v, n);
  const wd_directory_t *d = n ? NULL : r->srv->dir;
  for (size_t i = 0; i < wd_directory_count(d); i++) {
    json_t *j = wd_party_json(wd_directory_party(d, i));
    if (j)
      json_array_append_new(a, j);
  }
  wd_resp_json(
      out, 200,
      json_pack("{s:s,s:o}", "source", n ? "store" : "file", "parties", a));
}

/* Before the first change through the API the store takes the directory
 * file's parties (ward parties import does the same by hand), so that an
 * edit changes one party, not the whole directory. False with a 500 when
 * that fails. */
static bool parties_seed(wd_req_t *r, wd_resp_t *out) {
  wd_store_party_row_t *v = NULL;
  size_t n = 0, added, updated;
  char err[512];
  if (wd_store_party_list(r->s, &v, &n) != WD_OK) {
    db_error(r, out);
    return false;
  }
  wd_store_parties_free(v, n);
  if (n || !wd_directory_count(r->srv->dir))
    return true;
  if (wd_store_parties_import(r->s, r->srv->dir, r->who, r->now_ns, &added,
                              &updated, err, sizeof err) != WD_OK) {
    fprintf(stderr, "ward serve: parties: %s\n", err);
    wd_resp_error(out, 500, "database error");
    return false;
  }
  return true;
}

/* The body as a checked party (canonical form) with its stored text;
 * path_name, when given, is the name the path gives. False with a 400
 * naming the field. */
static json_t *party_body(wd_req_t *r, const char *path_name, char **doc,
                          wd_resp_t *out) {
  json_t *b = body_object(r, out);
  if (!b)
    return NULL;
  json_t *nm = json_object_get(b, "name");
  if (path_name && !nm)
    json_object_set_new(b, "name", json_string(path_name));
  else if (path_name &&
           (!json_is_string(nm) || strcmp(json_string_value(nm), path_name))) {
    json_decref(b);
    wd_resp_error(out, 400,
                  "name: the path names %s; a party is not renamed (delete "
                  "it and add the new name)",
                  path_name);
    return NULL;
  }
  char err[512];
  json_t *p = wd_party_check(b, err, sizeof err);
  json_decref(b);
  if (!p) {
    wd_resp_error(out, 400, "%s", err);
    return NULL;
  }
  *doc = json_dumps(p, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
  if (!*doc) {
    json_decref(p);
    wd_resp_error(out, 500, "out of memory");
    return NULL;
  }
  return p;
}

static void h_party_add(wd_req_t *r, wd_resp_t *out) {
  char *doc = NULL;
  json_t *p = party_body(r, NULL, &doc, out);
  if (!p)
    return;
  const char *name = json_string_value(json_object_get(p, "name"));
  wd_rc rc = parties_seed(r, out)
                 ? wd_store_party_add(r->s, name, doc, r->now_ns)
                 : WD_ERR_INVAL;
  free(doc);
  if (rc == WD_OK) {
    audit(r, "party-add", name, NULL, json_incref(p));
    wd_resp_json(out, 201, p);
    return;
  }
  if (rc == WD_ERR_STATE)
    wd_resp_error(out, 409, "a party named %s exists; change it with PUT",
                  name);
  else if (rc != WD_ERR_INVAL)
    db_error(r, out);
  json_decref(p);
}

/* The party the path names into *old (its doc the caller frees); false
 * with a 404 / 500. */
static bool party_old(wd_req_t *r, const char *name, wd_store_party_row_t *old,
                      wd_resp_t *out) {
  if (!parties_seed(r, out))
    return false;
  return found(r, wd_store_party_get(r->s, name, old), "party named", name,
               out);
}

/* The members of a that differ in b (both objects): before -> after of a
 * change, only what changed. */
static json_t *changed(json_t *a, json_t *b) {
  json_t *o = json_object(), *v;
  const char *k;
  json_object_foreach(a, k, v) if (!json_equal(v, json_object_get(b, k)))
      json_object_set(o, k, v);
  return o;
}

static void h_party_update(wd_req_t *r, wd_resp_t *out) {
  const char *name = r->args[0];
  char *doc = NULL;
  json_t *p = party_body(r, name, &doc, out);
  if (!p)
    return;
  wd_store_party_row_t old;
  if (!party_old(r, name, &old, out)) {
    free(doc);
    json_decref(p);
    return;
  }
  json_t *oj = json_loads(old.doc, 0, NULL);
  free(old.doc);
  if (!oj)
    oj = json_object();
  wd_rc rc = json_equal(oj, p)
                 ? WD_OK
                 : wd_store_party_update(r->s, name, doc, r->now_ns);
  free(doc);
  if (rc != WD_OK) {
    json_decref(oj);
    json_decref(p);
    db_error(r, out);
    return;
  }
  if (!json_equal(oj, p))
    audit(r, "party-update", name, changed(oj, p), changed(p, oj));
  json_decref(oj);
  wd_resp_json(out, 200, p);
}

static void h_party_delete(wd_req_t *r, wd_resp_t *out) {
  const char *name = r->args[0];
  wd_store_party_row_t old, *v = NULL;
  size_t n = 0;
  if (!party_old(r, name, &old, out))
    return;
  json_t *oj = json_loads(old.doc, 0, NULL);
  free(old.doc);
  wd_rc rc = wd_store_party_list(r->s, &v, &n);
  wd_store_parties_free(v, n);
  if (rc == WD_OK && n == 1) {
    /* with no party in the store the directory file is read again */
    json_decref(oj);
    wd_resp_error(out, 409,
                  "%s is the last party: with none, the directory file "
                  "(attribution.directory) would be used again; add another "
                  "first",
                  name);
    return;
  }
  if (rc != WD_OK || wd_store_party_delete(r->s, name) != WD_OK) {
    json_decref(oj);
    db_error(r, out);
    return;
  }
  audit(r, "party-delete", name, oj, NULL);
  wd_resp_json(out, 200, json_pack("{s:s,s:b}", "name", name, "deleted", 1));
}

/* ---- who am I, tokens, audit ---- */

static void h_whoami(wd_req_t *r, wd_resp_t *out) {
  wd_resp_json(
      out, 200,
      json_pack("{s:s,s:s}", "name", r->who, "role", wd_role_name(r->role)));
}

static json_t *token_json(const wd_store_token_t *t) {
  return json_pack("{s:s,s:s,s:o,s:o}", "name", t->name, "role", t->role,
                   "created", jtime(t->created_ns), "revoked",
                   jtime(t->revoked_ns));
}

static void h_tokens(wd_req_t *r, wd_resp_t *out) {
  wd_store_token_t *v = NULL;
  size_t n = 0;
  if (wd_store_token_list(r->s, &v, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, token_json(&v[i]));
  free(v);
  wd_resp_json(out, 200, json_pack("{s:o}", "tokens", a));
}

bool wd_token_name_ok(const char *s) {
  size_t n = strlen(s);
  if (!n || n >= WD_STORE_TOKEN_NAME_LEN)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
          c == '@'))
      return false;
  }
  return s[0] != '.';
}

static void h_token_add(wd_req_t *r, wd_resp_t *out) {
  json_t *b = body_object(r, out);
  if (!b)
    return;
  const char *name, *role;
  if (!member_str(b, "name", 64, true, &name, out) ||
      !member_str(b, "role", 16, true, &role, out)) {
    json_decref(b);
    return;
  }
  if (!wd_token_name_ok(name) || !wd_role_parse(role)) {
    json_decref(b);
    wd_resp_error(out, 400,
                  "\"name\": 1 to 63 of A-Z a-z 0-9 - _ . @; \"role\": "
                  "viewer, analyst or admin");
    return;
  }
  char tok[WD_TOKEN_LEN];
  wd_store_token_t t = {.created_ns = r->now_ns};
  snprintf(t.name, sizeof t.name, "%s", name);
  snprintf(t.role, sizeof t.role, "%s", role);
  json_decref(b);
  if (wd_token_new(tok) != WD_OK) {
    wd_resp_error(out, 500, "no random bytes");
    return;
  }
  wd_token_hash(tok, t.hash);
  wd_rc rc = wd_store_token_add(r->s, &t);
  if (rc == WD_ERR_STATE) {
    wd_resp_error(out, 409, "a valid token named %s exists; revoke it first",
                  t.name);
    return;
  }
  if (rc != WD_OK) {
    db_error(r, out);
    return;
  }
  audit(r, "token-add", t.name, NULL, json_pack("{s:s}", "role", t.role));
  wd_resp_json(
      out, 201,
      json_pack("{s:s,s:s,s:s}", "name", t.name, "role", t.role, "token", tok));
}

static void h_token_revoke(wd_req_t *r, wd_resp_t *out) {
  const char *name = r->args[0];
  if (!wd_token_name_ok(name)) {
    wd_resp_error(out, 400, "bad token name");
    return;
  }
  wd_rc rc = wd_store_token_revoke(r->s, name, r->now_ns);
  if (rc == WD_ERR_NOTFOUND) {
    wd_resp_error(out, 404, "no valid token named %s", name);
    return;
  }
  if (rc != WD_OK) {
    db_error(r, out);
    return;
  }
  audit(r, "token-revoke", name, json_pack("{s:s}", "state", "valid"),
        json_pack("{s:s}", "state", "revoked"));
  wd_resp_json(out, 200, json_pack("{s:s,s:b}", "name", name, "revoked", 1));
}

static void h_audit(wd_req_t *r, wd_resp_t *out) {
  uint64_t limit, offset;
  if (!arg_uint(r, "limit", PAGE_DEFAULT, PAGE_MAX, &limit, out) ||
      !arg_uint(r, "offset", 0, UINT32_MAX, &offset, out))
    return;
  wd_store_audit_t *v = NULL;
  size_t n = 0;
  if (wd_store_audit_list(r->s, limit, offset, &v, &n) != WD_OK) {
    db_error(r, out);
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *bj = v[i].before[0] ? json_loads(v[i].before, 0, NULL) : NULL;
    json_t *aj = v[i].after[0] ? json_loads(v[i].after, 0, NULL) : NULL;
    json_array_append_new(
        a, json_pack("{s:I,s:o,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)v[i].id,
                     "at", jtime(v[i].at_ns), "who", v[i].who, "action",
                     v[i].action, "target", v[i].target, "before",
                     bj ? bj : json_null(), "after", aj ? aj : json_null()));
  }
  free(v);
  wd_resp_json(out, 200, json_pack("{s:o}", "audit", a));
}

const wd_route_t wd_routes[] = {
    {"GET", "/api/whoami", WD_ROLE_VIEWER, h_whoami},
    {"GET", "/api/incidents", WD_ROLE_VIEWER, h_incidents},
    {"GET", "/api/incidents/{}", WD_ROLE_VIEWER, h_incident},
    {"GET", "/api/incidents/{}/evidence", WD_ROLE_VIEWER, h_evidence},
    {"POST", "/api/incidents/{}/notes", WD_ROLE_ANALYST, h_note},
    {"POST", "/api/incidents/{}/close", WD_ROLE_ANALYST, h_close},
    {"GET", "/api/notifications", WD_ROLE_VIEWER, h_notifications},
    {"POST", "/api/notifications/{}/judgement", WD_ROLE_ANALYST, h_judgement},
    {"POST", "/api/notifications/{}/requeue", WD_ROLE_ANALYST, h_requeue},
    {"GET", "/api/report", WD_ROLE_VIEWER, h_report},
    {"GET", "/api/parties", WD_ROLE_VIEWER, h_parties},
    {"GET", "/api/sensors", WD_ROLE_VIEWER, h_sensors},
    {"POST", "/api/parties", WD_ROLE_ADMIN, h_party_add},
    {"PUT", "/api/parties/{}", WD_ROLE_ADMIN, h_party_update},
    {"DELETE", "/api/parties/{}", WD_ROLE_ADMIN, h_party_delete},
    {"GET", "/api/tokens", WD_ROLE_ADMIN, h_tokens},
    {"POST", "/api/tokens", WD_ROLE_ADMIN, h_token_add},
    {"DELETE", "/api/tokens/{}", WD_ROLE_ADMIN, h_token_revoke},
    {"GET", "/api/audit", WD_ROLE_ADMIN, h_audit},
};
const size_t wd_n_routes = sizeof wd_routes / sizeof wd_routes[0];
