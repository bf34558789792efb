/* store_fixture.h -- a scratch ward database with incidents for the
 * notify and report tests (src/store API), on the engine of the run
 * (SQLite, or PostgreSQL under WARD_TEST_PG: store/engine_fixture.h), and
 * small query helpers of the test's own connection.
 * Memory: static paths; each test opens and closes its own store. */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "notify/inbox.h"
#include "notify/outbox.h"
#include "store/engine_fixture.h"
#include "store/store.h"

#define NS 1000000000ull
#define T0 (1776330169ull * NS)  /* traffic time of the incidents */
#define NOW (1776340000ull * NS) /* wall clock of the first run */

static char dir[] __attribute__((unused)) = "/tmp/ward_store_test.XXXXXX";
static char db[1200]; /* the current store: a path or a URL */

static const wd_outbox_sender_t snd
    __attribute__((unused)) = {.name = "Example National CSIRT",
                               .email = "cert@csirt.example",
                               .compose = {.max_attachment = 1 << 20}};

static inline int setup(void **state) {
  (void)state;
  test_engine_init(dir);
  return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown(void **state) {
  (void)state;
  char cmd[900];
  /* a test made a directory immutable and failed before undoing it */
  snprintf(cmd, sizeof cmd, "chattr -R -i %s 2>/dev/null; rm -rf %s", dir, dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database with n incidents WARD-2026-00000k, party per k. */
static inline wd_store_t *fresh(const char *name, int n) {
  char err[512];
  wd_store_t *s;
  test_store_url(db, sizeof db, name);
  assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
  assert_int_equal(wd_store_begin(s), WD_OK);
  for (int k = 1; k <= n; k++) {
    wd_store_incident_t inc;
    wd_store_attacker_t a;
    wd_store_target_t t;
    wd_store_attack_t at;
    memset(&inc, 0, sizeof inc);
    memset(&a, 0, sizeof a);
    memset(&t, 0, sizeof t);
    memset(&at, 0, sizeof at);
    snprintf(inc.id, sizeof inc.id, "WARD-2026-%06d", k);
    snprintf(inc.corr_key, sizeof inc.corr_key, "intrusion|k%d", k);
    strcpy(inc.line, "intrusion");
    strcpy(inc.rsit_class, "intrusions");
    strcpy(inc.rsit_type, "system-compromise");
    inc.severity = 1;
    strcpy(inc.facility, "St. Example Hospital");
    strcpy(inc.sector, "healthcare");
    inc.first_ns = T0 + (uint64_t)k * NS;
    inc.last_ns = inc.first_ns + 40 * NS;
    inc.party.set = k != 99;
    snprintf(inc.party.name, sizeof inc.party.name, "CERT-%c", 'A' + k % 3);
    strcpy(inc.party.kind, "national-cert");
    snprintf(inc.party.email, sizeof inc.party.email, "cert@%c.example",
             'a' + k % 3);
    strcpy(inc.party.format, k % 2 ? "iodef" : "stix");
    strcpy(inc.party.language, "en");
    inc.party.deadline_hours = 72;
    strcpy(inc.party.matched_by, "asn 29518");
    snprintf(a.ip, sizeof a.ip, "89.160.20.%d", 100 + k);
    strcpy(a.role, "attacker");
    strcpy(a.country, k % 3 == 0 ? "SE" : "DE");
    a.asn = 29518;
    strcpy(a.as_org, "Bredband2 AB");
    a.reliable = true;
    strcpy(t.ip, "198.51.100.23");
    strcpy(t.facility, "St. Example Hospital");
    strcpy(t.sector, "healthcare");
    strcpy(at.detector, "smb.ms17-010");
    strcpy(at.src, a.ip);
    strcpy(at.dst, t.ip);
    at.start_ns = inc.first_ns;
    at.last_ns = inc.last_ns;
    at.reports = 2;
    at.packets = 100;
    inc.attackers = &a;
    inc.n_attackers = 1;
    inc.targets = &t;
    inc.n_targets = 1;
    inc.attacks = &at;
    inc.n_attacks = 1;
    assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  }
  assert_int_equal(wd_store_commit(s), WD_OK);
  return s;
}

/* An integer from the current store (db), read on a connection of the
 * test's own. */
static inline long long q1(const char *sql) { return test_q1(db, sql); }

static inline int count_files(const char *d, const char *suffix) {
  DIR *dp = opendir(d);
  struct dirent *e;
  int n = 0;
  if (!dp)
    return 0;
  while ((e = readdir(dp))) {
    size_t l = strlen(e->d_name), sl = strlen(suffix);
    n += l > sl && !strcmp(e->d_name + l - sl, suffix) && e->d_name[0] != '.';
  }
  closedir(dp);
  return n;
}

static inline void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The directory of the scenario's parties: replies from these senders
 * are theirs (the notified address, or listed in reply_from). */
static const char fixture_directory[] __attribute__((unused)) =
    "parties:\n"
    "  - {name: CERT-A, kind: national-cert, email: cert@a.example,\n"
    "     reply_from: [someone@a.example]}\n"
    "  - {name: CERT-B, kind: national-cert, email: cert@b.example,\n"
    "     reply_from: ['@b.example']}\n"
    "  - {name: CERT-C, kind: national-cert, email: cert@c.example,\n"
    "     reply_from: [rt@c.example]}\n";

/* The replies scenario shared by the inbox and report tests: four
 * incidents notified into an .eml outbox; a Maildir with a human reply by
 * In-Reply-To, an automatic acknowledgement by References, a human reply
 * found only by the subject, spam, a stranger's "reply" naming the
 * notification of incident 4 (unverified: incident 4 stays notified and
 * still gets its reminder), and a reply naming an incident that does not
 * exist (unmatched); imported twice (once counted); analysts' verdicts;
 * one reminder for each overdue notification, threaded to the first.
 * Asserts each step; returns the open store and, in *later_out, the time
 * the reminders were sent. */
static inline wd_store_t *replies_scenario(uint64_t *later_out) {
  char err[512], out[700], inbox[700], path[2400], mid1[300], mid2[300],
      mid4[300];
  wd_store_t *s = fresh("replies", 4);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  snprintf(out, sizeof out, "%s/replies-out", dir);
  mkdir(out, 0700);
  wd_transport_t t = {.outbox_dir = out};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  wd_compose_message_id("WARD-2026-000001", "cert@b.example", 1, snd.email,
                        mid1);
  wd_compose_message_id("WARD-2026-000002", "cert@c.example", 1, snd.email,
                        mid2);
  wd_compose_message_id("WARD-2026-000004", "cert@b.example", 1, snd.email,
                        mid4);
  snprintf(inbox, sizeof inbox, "%s/Maildir", dir);
  mkdir(inbox, 0700);
  snprintf(path, sizeof path, "%s/new", inbox);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/cur", inbox);
  mkdir(path, 0700);
  char msg[2000];
  /* human reply to incident 1 by In-Reply-To, 5 hours later */
  snprintf(msg, sizeof msg,
           "From: Analyst <a@b.example>\nSubject: Re: your mail\n"
           "Date: Thu, 16 Apr 2026 16:46:40 +0000\nMessage-ID: <h1@b>\n"
           "In-Reply-To: %s\n\nWe cleaned the host.\n",
           mid1);
  snprintf(path, sizeof path, "%s/new/1.x", inbox);
  write_file(path, msg);
  /* automatic acknowledgement of incident 2 */
  snprintf(msg, sizeof msg,
           "From: rt@c.example\nSubject: [c #77] AutoReply: x\n"
           "Auto-Submitted: auto-replied\nReferences: %s\n\nTicket created\n",
           mid2);
  snprintf(path, sizeof path, "%s/new/2.x", inbox);
  write_file(path, msg);
  /* human reply to incident 3 found only by the subject */
  snprintf(path, sizeof path, "%s/cur/3.x:2,S", inbox);
  write_file(path, "From: someone@a.example\nSubject: Re: [WARD-2026-000003]"
                   "\n\nNoted.\n");
  /* spam without reference */
  snprintf(path, sizeof path, "%s/cur/4.x:2,S", inbox);
  write_file(path, "From: spam@x.example\nSubject: offer\n\nbuy\n");
  /* a stranger answering the notification of incident 4 */
  snprintf(msg, sizeof msg,
           "From: someone@evil.example.net\nSubject: Re: your mail\n"
           "Message-ID: <s1@evil>\nIn-Reply-To: %s\n\nAll handled, close "
           "it.\n",
           mid4);
  snprintf(path, sizeof path, "%s/new/5.x", inbox);
  write_file(path, msg);
  /* a reply naming an incident that does not exist */
  snprintf(path, sizeof path, "%s/new/6.x", inbox);
  write_file(path, "From: cert@a.example\nSubject: Re: [WARD-2026-000777]"
                   "\n\nDone.\n");
  wd_directory_t *pd = NULL;
  assert_int_equal(wd_directory_load_buffer("fixture", fixture_directory,
                                            strlen(fixture_directory), &pd, err,
                                            sizeof err),
                   WD_OK);
  wd_inbox_stats_t is = {0};
  assert_int_equal(wd_inbox_import(s, pd, inbox, NOW + 100 * 3600 * NS, &is,
                                   err, sizeof err),
                   WD_OK);
  assert_int_equal(is.added, 6);
  assert_int_equal(is.human, 5);
  assert_int_equal(is.automatic, 1);
  assert_int_equal(is.matched, 4);
  assert_int_equal(is.unmatched, 2);
  assert_int_equal(is.unverified, 1);
  assert_int_equal(q1("SELECT count(*) FROM replies WHERE sender ="
                      " 'unverified' AND from_addr ="
                      " 'someone@evil.example.net' AND incident_id ="
                      " 'WARD-2026-000004'"),
                   1);
  assert_int_equal(q1("SELECT count(*) FROM replies WHERE subject LIKE"
                      " '%000777%' AND incident_id = '' AND"
                      " notification_id IS NULL"),
                   1);
  /* importing again adds nothing */
  memset(&is, 0, sizeof is);
  assert_int_equal(wd_inbox_import(s, pd, inbox, NOW + 101 * 3600 * NS, &is,
                                   err, sizeof err),
                   WD_OK);
  wd_directory_free(pd);
  assert_int_equal(is.duplicate, 6);
  assert_int_equal(is.added, 0);
  /* 1 and 3 answered by their parties; 4 only by a stranger: unchanged */
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE status ="
                      " 'answered'"),
                   2);
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE id ="
                      " 'WARD-2026-000004' AND status = 'notified'"),
                   1);
  /* verdicts */
  wd_inbox_verdict_t v1 = {
      .verdict = "substantive", .note = "host reimaged", .by = "alice"};
  wd_inbox_verdict_t v3 = {.verdict = "formal", .by = "bob"};
  wd_store_verdict_t prev;
  assert_int_equal(
      wd_inbox_verdict(s, "WARD-2026-000001", &v1, NOW, &prev, err, sizeof err),
      WD_OK);
  assert_string_equal(prev.verdict, "");
  assert_int_equal(
      wd_inbox_verdict(s, "WARD-2026-000003", &v3, NOW, NULL, err, sizeof err),
      WD_OK);
  assert_int_equal(
      wd_inbox_verdict(s, "WARD-2026-999999", &v3, NOW, NULL, err, sizeof err),
      WD_ERR_NOTFOUND);
  /* another analyst's different verdict does not replace alice's */
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000001", &v3, NOW + NS, &prev,
                                    err, sizeof err),
                   WD_ERR_STATE);
  assert_non_null(strstr(err, "already judged substantive by alice"));
  assert_non_null(strstr(err, "--force"));
  assert_string_equal(prev.verdict, "substantive");
  /* the same verdict again changes nothing */
  assert_int_equal(wd_inbox_verdict(s, "WARD-2026-000001", &v1, NOW + NS, &prev,
                                    err, sizeof err),
                   WD_OK);
  assert_int_equal(q1("SELECT count(*) FROM verdicts"), 2);
  /* reminders: after the 72 h deadline, incidents 2 and 4 (no human reply)
   * get one reminder each, and only one */
  memset(&st, 0, sizeof st);
  uint64_t later = NOW + 73 * 3600 * NS;
  *later_out = later;
  assert_int_equal(wd_outbox_reminders(s, &snd, later, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.reminders, 2);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_reminders(s, &snd, later, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.reminders, 0);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, later, false, &st, err, sizeof err), WD_OK);
  assert_int_equal(st.sent, 2);
  /* the reminder threads to the first notification */
  snprintf(path, sizeof path, "grep -l 'In-Reply-To: %s' %s/*.eml >/dev/null",
           mid2, out);
  assert_int_equal(system(path), 0);
  return s;
}

#endif
