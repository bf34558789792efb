/* store_serve_test.c -- the store functions of the console and its API
 * (store_serve.c), run once per engine (SQLite, and a throw-away
 * PostgreSQL cluster: engine_fixture.h): tokens (added once per valid
 * name, found by hash only while valid, revoked, a revoked name given a
 * new token), the audit newest first with paging, notes (refused for an
 * incident that does not exist), the replies and notifications of one
 * incident, the counts behind /metrics, and the directory of parties
 * kept in the store (added once per name, replaced, removed, in the
 * directory's order; imported from a directory file with each change
 * audited and nothing for an unchanged party; read back as the directory
 * the pipeline uses, the file only while the store has none; a party
 * given as JSON checked field by field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enrich/directory.h"
#include "store/engine_fixture.h"
#include "store/store.h"

static char dir[256] = "/tmp/wd_store_serve_test.XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

#define T0 1770199200000000000ull
#define SEC 1000000000ull

static wd_store_t *fresh(const char *name) {
  char url[1200], err[512];
  test_store_url(url, sizeof url, name);
  wd_store_t *s = NULL;
  if (wd_store_open(url, &s, err, sizeof err) != WD_OK)
    fail_msg("%s", err);
  return s;
}

static void token(wd_store_token_t *t, const char *name, const char *role,
                  const char *hash) {
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  snprintf(t->role, sizeof t->role, "%s", role);
  snprintf(t->hash, sizeof t->hash, "%s", hash);
  t->created_ns = T0;
}

static void test_tokens(void **state) {
  (void)state;
  wd_store_t *s = fresh("tokens");
  wd_store_token_t t, got;
  token(&t, "alice", "analyst", "aa");
  assert_int_equal(wd_store_token_add(s, &t), WD_OK);
  token(&t, "alice", "admin", "bb");
  assert_int_equal(wd_store_token_add(s, &t), WD_ERR_STATE);
  assert_non_null(strstr(wd_store_errmsg(s), "alice"));
  token(&t, "bob", "viewer", "cc");
  assert_int_equal(wd_store_token_add(s, &t), WD_OK);
  assert_int_equal(wd_store_token_by_hash(s, "aa", &got), WD_OK);
  assert_string_equal(got.name, "alice");
  assert_string_equal(got.role, "analyst");
  assert_int_equal(wd_store_token_by_hash(s, "bb", &got), WD_ERR_NOTFOUND);
  assert_int_equal(wd_store_token_revoke(s, "alice", T0 + SEC), WD_OK);
  assert_int_equal(wd_store_token_revoke(s, "alice", T0 + SEC),
                   WD_ERR_NOTFOUND);
  assert_int_equal(wd_store_token_by_hash(s, "aa", &got), WD_ERR_NOTFOUND);
  /* a revoked name is given a new token */
  token(&t, "alice", "admin", "dd");
  assert_int_equal(wd_store_token_add(s, &t), WD_OK);
  assert_int_equal(wd_store_token_by_hash(s, "dd", &got), WD_OK);
  assert_string_equal(got.role, "admin");
  assert_int_equal((int)got.revoked_ns, 0);
  wd_store_token_t *v;
  size_t n;
  assert_int_equal(wd_store_token_list(s, &v, &n), WD_OK);
  assert_int_equal((int)n, 2);
  assert_string_equal(v[0].name, "alice");
  assert_string_equal(v[1].name, "bob");
  free(v);
  /* a role the schema does not know is refused by the database */
  token(&t, "eve", "root", "ee");
  assert_int_not_equal(wd_store_token_add(s, &t), WD_OK);
  wd_store_close(s);
}

static void test_audit_notes_metrics(void **state) {
  (void)state;
  wd_store_t *s = fresh("audit");
  for (int i = 0; i < 5; i++) {
    wd_store_audit_t a = {.at_ns = T0 + (uint64_t)i * SEC};
    snprintf(a.who, sizeof a.who, "alice");
    snprintf(a.action, sizeof a.action, "close");
    snprintf(a.target, sizeof a.target, "WARD-2026-%06d", i);
    snprintf(a.before, sizeof a.before, "{\"status\":\"new\"}");
    snprintf(a.after, sizeof a.after, "{\"status\":\"closed\"}");
    assert_int_equal(wd_store_audit_add(s, &a), WD_OK);
  }
  wd_store_audit_t *av;
  size_t n;
  assert_int_equal(wd_store_audit_list(s, 2, 1, &av, &n), WD_OK);
  assert_int_equal((int)n, 2);
  assert_string_equal(av[0].target, "WARD-2026-000003");
  assert_string_equal(av[1].target, "WARD-2026-000002");
  assert_string_equal(av[0].after, "{\"status\":\"closed\"}");
  free(av);

  /* notes only on an incident that exists */
  wd_store_note_t note = {.at_ns = T0};
  snprintf(note.by, sizeof note.by, "alice");
  snprintf(note.text, sizeof note.text, "called the SOC");
  assert_int_equal(wd_store_note_add(s, "WARD-2026-000001", &note),
                   WD_ERR_NOTFOUND);
  wd_store_incident_t inc;
  memset(&inc, 0, sizeof inc);
  snprintf(inc.id, sizeof inc.id, "WARD-2026-000001");
  snprintf(inc.corr_key, sizeof inc.corr_key, "k");
  snprintf(inc.line, sizeof inc.line, "intrusion");
  snprintf(inc.rsit_class, sizeof inc.rsit_class, "intrusions");
  snprintf(inc.rsit_type, sizeof inc.rsit_type, "exploit");
  inc.severity = 2;
  inc.first_ns = T0;
  inc.last_ns = T0 + SEC;
  wd_store_attack_t at;
  memset(&at, 0, sizeof at);
  snprintf(at.detector, sizeof at.detector, "smb.ms17-010");
  snprintf(at.dst, sizeof at.dst, "10.0.0.1");
  at.start_ns = T0;
  at.last_ns = T0 + SEC;
  at.reports = 4;
  inc.attacks = &at;
  inc.n_attacks = 1;
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_int_equal(wd_store_note_add(s, "WARD-2026-000001", &note), WD_OK);
  wd_store_note_t *nv;
  assert_int_equal(wd_store_notes(s, "WARD-2026-000001", &nv, &n), WD_OK);
  assert_int_equal((int)n, 1);
  assert_string_equal(nv[0].text, "called the SOC");
  free(nv);

  /* nothing notified or answered yet */
  wd_store_notice_t *ntv;
  wd_store_reply_row_t *rv;
  assert_int_equal(wd_store_notices_of(s, "WARD-2026-000001", &ntv, &n), WD_OK);
  assert_int_equal((int)n, 0);
  free(ntv);
  assert_int_equal(wd_store_replies_of(s, "WARD-2026-000001", &rv, &n), WD_OK);
  assert_int_equal((int)n, 0);
  free(rv);

  wd_store_token_t t;
  token(&t, "alice", "analyst", "aa");
  assert_int_equal(wd_store_token_add(s, &t), WD_OK);
  wd_store_metric_t *m;
  assert_int_equal(wd_store_metrics(s, &m, &n), WD_OK);
  bool inc_new = false, alerts = false, tok = false, oldest = false;
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(m[i].what, "incidents") && !strcmp(m[i].label, "new"))
      inc_new = m[i].value == 1;
    if (!strcmp(m[i].what, "alerts") && !strcmp(m[i].label, "smb.ms17-010"))
      alerts = m[i].value == 4;
    if (!strcmp(m[i].what, "tokens") && !strcmp(m[i].label, "analyst"))
      tok = m[i].value == 1;
    if (!strcmp(m[i].what, "oldest_queued_ns"))
      oldest = m[i].value == 0;
  }
  free(m);
  assert_true(inc_new && alerts && tok && oldest);
  wd_store_close(s);
}

static const char yaml[] =
    "parties:\n"
    "  - {name: CERT-SE, kind: national-cert, email: cert@se.example,\n"
    "     countries: [se], asns: [29518], reply_from: ['@se.example']}\n"
    "  - {name: \"O'Brien \\\"ISP\\\"\", kind: isp-abuse,\n"
    "     email: abuse@isp.example, prefixes: [192.0.2.0/24, 2001:db8::/32],\n"
    "     format: iodef, deadline_hours: 0}\n";

static void test_parties(void **state) {
  (void)state;
  wd_store_t *s = fresh("parties");
  char err[512];
  wd_directory_t *file = NULL, *d = NULL;
  assert_int_equal(wd_directory_load_buffer("t.yaml", yaml, sizeof yaml - 1,
                                            &file, err, sizeof err),
                   WD_OK);
  /* no parties yet: the file (here: none given) */
  bool from_store = true;
  assert_int_equal(
      wd_store_directory(s, NULL, &d, &from_store, err, sizeof err), WD_OK);
  assert_null(d);
  assert_false(from_store);

  size_t added, updated;
  assert_int_equal(wd_store_parties_import(s, file, "cli:t", T0, &added,
                                           &updated, err, sizeof err),
                   WD_OK);
  assert_int_equal(added, 2);
  assert_int_equal(updated, 0);
  assert_int_equal(wd_store_parties_import(s, file, "cli:t", T0 + SEC, &added,
                                           &updated, err, sizeof err),
                   WD_OK);
  assert_int_equal(added + updated, 0); /* unchanged: nothing written */
  wd_store_audit_t *au;
  size_t na;
  assert_int_equal(wd_store_audit_list(s, 10, 0, &au, &na), WD_OK);
  assert_int_equal(na, 2);
  assert_string_equal(au[0].action, "party-import");
  assert_string_equal(au[0].before, "");
  assert_non_null(strstr(au[1].after, "cert@se.example"));
  free(au);

  /* read back as the pipeline's directory: the same parties, in order */
  assert_int_equal(wd_store_directory(s, "/nonexistent.yaml", &d, &from_store,
                                      err, sizeof err),
                   WD_OK);
  assert_true(from_store);
  assert_int_equal(wd_directory_count(d), 2);
  const wd_party_t *p = wd_directory_party(d, 1);
  assert_string_equal(p->name, "O'Brien \"ISP\"");
  assert_int_equal(p->n_prefixes, 2);
  assert_int_equal(p->deadline_hours, 0);
  assert_string_equal(p->format, "iodef");
  p = wd_directory_party(d, 0);
  assert_string_equal(p->countries[0], "SE");
  assert_true(wd_party_sender_ok(p, "x@se.example"));
  wd_directory_free(d);

  /* add, replace, remove */
  json_t *in =
      json_pack("{s:s,s:s,s:s,s:[s]}", "name", "CERT-NO", "kind",
                "national-cert", "email", "cert@no.example", "countries", "no");
  json_t *c = wd_party_check(in, err, sizeof err);
  assert_non_null(c);
  char *doc = json_dumps(c, JSON_PRESERVE_ORDER);
  assert_int_equal(wd_store_party_add(s, "CERT-NO", doc, T0), WD_OK);
  assert_int_equal(wd_store_party_add(s, "CERT-NO", doc, T0), WD_ERR_STATE);
  free(doc);
  json_object_set_new(c, "email", json_string("noc@no.example"));
  doc = json_dumps(c, JSON_PRESERVE_ORDER);
  assert_int_equal(wd_store_party_update(s, "CERT-NO", doc, T0 + SEC), WD_OK);
  assert_int_equal(wd_store_party_update(s, "CERT-XX", doc, T0),
                   WD_ERR_NOTFOUND);
  free(doc);
  json_decref(c);
  json_decref(in);
  wd_store_party_row_t row;
  assert_int_equal(wd_store_party_get(s, "CERT-NO", &row), WD_OK);
  assert_non_null(strstr(row.doc, "noc@no.example"));
  assert_int_equal(row.updated_ns, T0 + SEC);
  free(row.doc);
  assert_int_equal(wd_store_party_delete(s, "CERT-SE"), WD_OK);
  assert_int_equal(wd_store_party_delete(s, "CERT-SE"), WD_ERR_NOTFOUND);
  assert_int_equal(wd_store_party_get(s, "CERT-SE", &row), WD_ERR_NOTFOUND);
  wd_store_party_row_t *v;
  size_t n;
  assert_int_equal(wd_store_party_list(s, &v, &n), WD_OK);
  assert_int_equal(n, 2);
  assert_string_equal(v[0].name, "O'Brien \"ISP\"");
  assert_string_equal(v[1].name, "CERT-NO");
  wd_store_parties_free(v, n);
  wd_directory_free(file);
  wd_store_close(s);
}

/* One field wrong at a time: refused with the field named first. */
static void test_party_check(void **state) {
  (void)state;
  static const struct {
    const char *json, *field;
  } bad[] = {
      {"{\"kind\":\"isp-abuse\",\"email\":\"a@b.example\"}", "name:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b\"}", "email:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a..b@c.example\"}",
       "email:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"format\":\"pdf\"}",
       "format:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"countries\":[\"S\"]}",
       "countries[0]:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"asns\":[1,-5]}",
       "asns[1]:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"deadline_hours\":8761}",
       "deadline_hours:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"reply_from\":[\"@\"]}",
       "reply_from[0]:"},
      {"{\"name\":\"x\",\"kind\":\"isp-abuse\",\"email\":\"a@b.example\","
       "\"extra\":1}",
       "extra:"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *in = json_loads(bad[i].json, 0, NULL);
    char err[512] = "";
    assert_non_null(in);
    json_t *out = wd_party_check(in, err, sizeof err);
    if (out || strncmp(err, bad[i].field, strlen(bad[i].field)) != 0)
      fail_msg("%s: got '%s'", bad[i].json, err);
    json_decref(in);
  }
}

int main(void) {
  test_engine_init(dir);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tokens),
      cmocka_unit_test(test_audit_notes_metrics),
      cmocka_unit_test(test_parties),
      cmocka_unit_test(test_party_check),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
