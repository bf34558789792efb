/* outbox_test.c -- the durable outbox against a real database
 * (src/store) and a real SMTP server on loopback (aiosmtpd): queueing
 * marks incidents notified in the same transaction and is idempotent; the
 * .eml outbox writes each Message-ID once; a stopped server means retries
 * with exponential backoff and nothing lost or doubled; a sender SIGKILLed
 * at known points of the SMTP dialogue loses nothing, keeps the database
 * intact, and repeats a byte-identical message with the same Message-ID
 * exactly when killed after the server stored it (see src/notify/outbox.h
 * for why); local faults (a missing, unmakeable or read-only outbox
 * directory) keep notifications queued with their error until they can
 * go; only a permanent refusal of the recipient or notify.max_age fails
 * one, and wd_outbox_requeue brings it back; a reflection attack is
 * notified to each reflector's party, each told of its own reflectors,
 * and nothing sent to a party outside the facility names it or its
 * hosts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"
#include "notify/smtp_server.h"
#include "notify/store_fixture.h"

static void test_queue_and_outbox_dir(void **state) {
  (void)state;
  char err[512], out[700];
  wd_store_t *s = fresh("eml", 5);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.queued, 5);
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE status ="
                      " 'notified'"),
                   5);
  /* queueing again adds nothing */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_queue(s, &snd, "WARD-2026-000001", NOW, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.queued, 0);
  snprintf(out, sizeof out, "%s/outbox", dir);
  mkdir(out, 0700);
  wd_transport_t t = {.outbox_dir = out};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.sent, 5);
  assert_int_equal(count_files(out, ".eml"), 5);
  /* a second run sends nothing more */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 3600 * NS, true, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 0);
  assert_int_equal(count_files(out, ".eml"), 5);
  assert_int_equal(q1("SELECT count(*) FROM notifications WHERE state ="
                      " 'sent' AND message IS NOT NULL"),
                   5);
  FILE *f = fopen("/dev/null", "w");
  assert_int_equal(wd_outbox_status(s, f, 0), WD_OK);
  fclose(f);
  wd_store_close(s);
}

static void test_server_down_backoff(void **state) {
  (void)state;
  if (!test_smtp_available())
    skip();
  char err[512], sdir[700];
  test_smtp_t srv;
  wd_store_t *s = fresh("down", 3);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  /* nobody listens yet: every notification goes back with backoff */
  int port = test_smtp_free_port();
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
  wd_transport_t t = {.smtp = {.url = url, .timeout_s = 10}};
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.retried, 3);
  assert_int_equal(q1("SELECT min(next_ns) FROM notifications"),
                   (long long)(NOW + 60 * NS));
  /* before the backoff ends nothing is tried */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 30 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.waiting, 3);
  /* second failure doubles the wait */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 61 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.retried, 3);
  assert_int_equal(q1("SELECT min(next_ns) FROM notifications"),
                   (long long)(NOW + 61 * NS + 120 * NS));
  /* the server comes up on that port: everything arrives, once */
  snprintf(sdir, sizeof sdir, "%s/down-srv", dir);
  assert_true(test_smtp_start(&srv, sdir, port));
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 200 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 3);
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 9999 * NS, true, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 0);
  assert_int_equal(test_smtp_count(&srv), 3);
  /* server stopped mid-queue: queue two more, the first goes, the
   * server dies, the second waits and goes when it is back */
  test_smtp_stop(&srv);
  assert_int_equal(wd_outbox_backoff_s(1), 60);
  assert_int_equal(wd_outbox_backoff_s(2), 120);
  assert_int_equal(wd_outbox_backoff_s(30), WD_OUTBOX_RETRY_MAX_S);
  char cmd[8192];
  snprintf(cmd, sizeof cmd,
           "for f in %s/*.eml; do /usr/bin/python3 %s \"$f\" --expect-parts 2"
           " >/dev/null || exit 1; done",
           sdir, fixture_dir_of(__FILE__, "/mime_check.py"));
  assert_int_equal(system(cmd), 0);
  wd_store_close(s);
}

/* "STATE LAST_ERROR" of notification id of the current store. */
static const char *state_of(wd_store_t *s, int id, char *buf, size_t len) {
  (void)s;
  char q[200];
  snprintf(q, sizeof q,
           "SELECT state || ' ' || last_error FROM notifications WHERE id = %d",
           id);
  return test_qtext(db, q, buf, len);
}

/* A missing outbox directory is made; one that cannot be made (its
 * parent is a regular file) keeps the notifications queued with the
 * error, and they go once it can be made. */
static void test_outbox_dir_local_faults(void **state) {
  (void)state;
  char err[512], out[800], blocker[700], b[600];
  wd_store_t *s = fresh("local", 2);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  /* missing, parents too: created */
  snprintf(out, sizeof out, "%s/not/yet/there", dir);
  wd_transport_t t = {.outbox_dir = out};
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.sent, 2);
  assert_int_equal(st.failed, 0);
  assert_int_equal(count_files(out, ".eml"), 2);
  wd_store_close(s);

  s = fresh("local2", 2);
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  snprintf(blocker, sizeof blocker, "%s/blocker", dir);
  write_file(blocker, "a regular file where a directory should be");
  snprintf(out, sizeof out, "%s/outbox", blocker);
  t.outbox_dir = out;
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.sent, 0);
  assert_int_equal(st.failed, 0);
  assert_int_equal(st.retried, 2);
  assert_non_null(strstr(state_of(s, 1, b, sizeof b), "queued"));
  assert_non_null(strstr(b, "Not a directory"));
  /* the next run, once the directory can exist, delivers them */
  unlink(blocker);
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 61 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 2);
  assert_int_equal(count_files(out, ".eml"), 2);
  wd_store_close(s);
}

/* A read-only outbox directory is a local fault too. As root chmod does
 * not stop writes: then the directory is made immutable (chattr +i), and
 * when that is not possible this sub-case is skipped, saying why. */
static void test_outbox_dir_read_only(void **state) {
  (void)state;
  char err[512], out[700], probe[800], cmd[900], b[600];
  snprintf(out, sizeof out, "%s/readonly", dir);
  assert_int_equal(mkdir(out, 0700), 0);
  chmod(out, 0500);
  snprintf(probe, sizeof probe, "%s/probe", out);
  bool writable = false;
  FILE *f = fopen(probe, "w");
  if (f) {
    fclose(f);
    unlink(probe);
    writable = true;
  }
  bool immutable = false;
  if (writable) { /* root */
    snprintf(cmd, sizeof cmd, "chattr +i '%s' 2>/dev/null", out);
    immutable = system(cmd) == 0;
    if (immutable && (f = fopen(probe, "w"))) {
      fclose(f);
      unlink(probe);
      immutable = false;
    }
    if (!immutable) {
      fprintf(stderr, "outbox_test: read-only sub-case skipped: running as "
                      "root and chattr +i is not available here\n");
      chmod(out, 0700);
      return;
    }
  }
  wd_store_t *s = fresh("readonly", 1);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  wd_transport_t t = {.outbox_dir = out};
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_run(s, &snd, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  bool queued = strstr(state_of(s, 1, b, sizeof b), "queued ") == b;
  /* writable again: delivered by the next run */
  if (immutable) {
    snprintf(cmd, sizeof cmd, "chattr -i '%s'", out);
    assert_int_equal(system(cmd), 0);
  }
  chmod(out, 0700);
  assert_true(queued);
  assert_int_equal(st.retried, 1);
  assert_int_equal(st.failed, 0);
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 61 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.sent, 1);
  wd_store_close(s);
}

/* Only notify.max_age makes a local fault final; --requeue brings the
 * notification back with a fresh max_age, and it is delivered. */
static void test_max_age_and_requeue(void **state) {
  (void)state;
  char err[512], out[800], blocker[700], b[600];
  wd_outbox_sender_t s1 = snd;
  s1.max_age_s = 3600;
  wd_store_t *s = fresh("age", 1);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &s1, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  snprintf(blocker, sizeof blocker, "%s/age-blocker", dir);
  write_file(blocker, "x");
  snprintf(out, sizeof out, "%s/outbox", blocker);
  wd_transport_t t = {.outbox_dir = out};
  for (uint64_t at = NOW; at < NOW + 3600 * NS; at += 1200 * NS) {
    memset(&st, 0, sizeof st);
    assert_int_equal(wd_outbox_run(s, &s1, &t, at, true, &st, err, sizeof err),
                     WD_OK);
    assert_int_equal(st.retried, 1);
  }
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &s1, &t, NOW + 3601 * NS, true, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.failed, 1);
  assert_non_null(strstr(state_of(s, 1, b, sizeof b), "failed "));
  assert_non_null(strstr(b, "max_age"));
  /* nothing to requeue under other names */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_requeue(s, "WARD-2026-999999", NOW, &st, err, sizeof err),
      WD_ERR_NOTFOUND);
  assert_non_null(strstr(err, "no notification"));
  /* back in the queue, by incident id, and delivered */
  unlink(blocker);
  uint64_t later = NOW + 86400 * NS;
  assert_int_equal(
      wd_outbox_requeue(s, "WARD-2026-000001", later, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.requeued, 1);
  assert_non_null(strstr(state_of(s, 1, b, sizeof b), "queued "));
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &s1, &t, later, false, &st, err, sizeof err), WD_OK);
  assert_int_equal(st.sent, 1);
  assert_int_equal(count_files(out, ".eml"), 1);
  /* a sent one cannot be requeued */
  assert_int_equal(wd_outbox_requeue(s, "1", later, &st, err, sizeof err),
                   WD_ERR_NOTFOUND);
  assert_non_null(strstr(err, "no failed notification"));
  wd_store_close(s);
}

/* Over SMTP: a permanent refusal of the recipient fails the notification
 * at once; a refused sender (our configuration) keeps it queued. */
static void test_smtp_refusals(void **state) {
  (void)state;
  if (!test_smtp_available())
    skip();
  char err[512], sdir[700], b[600];
  test_smtp_t srv;
  snprintf(sdir, sizeof sdir, "%s/refusal-srv", dir);
  assert_true(test_smtp_start(&srv, sdir, 0));
  wd_store_t *s = fresh("refusal", 2);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  test_exec(db, "UPDATE notifications SET party_email = 'reject@x.example'"
                " WHERE id = 1");
  wd_transport_t t = {.smtp = {.url = srv.url, .timeout_s = 20}};
  wd_outbox_sender_t bad = snd;
  bad.email = "reject-sender@csirt.example";
  memset(&st, 0, sizeof st);
  /* the sender refused: both stay queued, whatever the recipient */
  assert_int_equal(wd_outbox_run(s, &bad, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.retried, 2);
  assert_int_equal(st.failed, 0);
  assert_non_null(strstr(state_of(s, 2, b, sizeof b), "queued "));
  /* with our sender fixed: the refused recipient fails, the other goes */
  memset(&st, 0, sizeof st);
  assert_int_equal(
      wd_outbox_run(s, &snd, &t, NOW + 61 * NS, false, &st, err, sizeof err),
      WD_OK);
  assert_int_equal(st.failed, 1);
  assert_int_equal(st.sent, 1);
  assert_non_null(strstr(state_of(s, 1, b, sizeof b), "failed "));
  assert_non_null(strstr(b, "550"));
  test_smtp_stop(&srv);
  wd_store_close(s);
}

/* A reflection attack: one notification per party of the reflectors, each
 * listing its own reflectors only; nothing in any of them names the
 * facility or its hosts (leak_check.py over the whole message). */
static void test_reflectors_each_party(void **state) {
  (void)state;
  char err[512], out[700], cmd[8192];
  static const char dir_yaml[] =
      "parties:\n"
      "  - {name: Abuse A, kind: isp-abuse, email: abuse@a.example,\n"
      "     format: iodef, prefixes: [1.0.0.0/24]}\n"
      "  - {name: Abuse B, kind: isp-abuse, email: abuse@b.example,\n"
      "     format: stix, prefixes: [1.128.0.0/11]}\n"
      "  - {name: SOC, kind: facility-soc, email: soc@h.example,\n"
      "     facilities: [St. Example Hospital]}\n";
  static const char cfg_yaml[] = "facilities:\n"
                                 "  - name: St. Example Hospital\n"
                                 "    sector: healthcare\n"
                                 "    criticality: critical\n"
                                 "    networks: [198.51.100.0/24]\n";
  wd_directory_t *d;
  assert_int_equal(wd_directory_load_buffer("d", dir_yaml, strlen(dir_yaml), &d,
                                            err, sizeof err),
                   WD_OK);
  wd_config_t *cfg;
  assert_int_equal(wd_config_load_buffer("c", cfg_yaml, strlen(cfg_yaml), &cfg,
                                         err, sizeof err),
                   WD_OK);
  wd_store_t *s = fresh("reflect", 0);
  wd_store_incident_t inc;
  wd_store_attacker_t a[3];
  wd_store_target_t tg;
  wd_store_attack_t at;
  memset(&inc, 0, sizeof inc);
  memset(a, 0, sizeof a);
  memset(&tg, 0, sizeof tg);
  memset(&at, 0, sizeof at);
  strcpy(inc.id, "WARD-2026-000001");
  strcpy(inc.corr_key, "ddos|x");
  strcpy(inc.line, "ddos");
  strcpy(inc.rsit_class, "availability");
  strcpy(inc.rsit_type, "ddos");
  inc.severity = 1;
  strcpy(inc.facility, "St. Example Hospital");
  strcpy(inc.sector, "healthcare");
  strcpy(inc.summary, "dns amplification attack against 198.51.100.23 (St. "
                      "Example Hospital) via 3 reflectors");
  inc.first_ns = T0;
  inc.last_ns = T0 + 10 * NS;
  inc.party.set = true;
  strcpy(inc.party.name, "Abuse A");
  strcpy(inc.party.kind, "isp-abuse");
  strcpy(inc.party.email, "abuse@a.example");
  strcpy(inc.party.format, "iodef");
  strcpy(inc.party.matched_by, "reflectors: prefix 1.0.0.0/24 (2 of 3)");
  const char *ips[3] = {"1.0.0.212", "1.131.170.203", "1.0.0.9"};
  const char *pn[3] = {"Abuse A", "Abuse B", "Abuse A"};
  for (int i = 0; i < 3; i++) {
    strcpy(a[i].ip, ips[i]);
    strcpy(a[i].role, "reflector");
    a[i].reliable = true;
    strcpy(a[i].party, pn[i]);
    snprintf(a[i].matched_by, sizeof a[i].matched_by, "prefix %s",
             i == 1 ? "1.128.0.0/11" : "1.0.0.0/24");
  }
  strcpy(tg.ip, "198.51.100.23");
  strcpy(tg.facility, "St. Example Hospital");
  strcpy(tg.sector, "healthcare");
  strcpy(at.detector, "ddos.amplification");
  strcpy(at.dst, tg.ip);
  at.start_ns = T0;
  at.last_ns = T0 + 10 * NS;
  at.reports = 3;
  inc.attackers = a;
  inc.n_attackers = 3;
  inc.targets = &tg;
  inc.n_targets = 1;
  inc.attacks = &at;
  inc.n_attacks = 1;
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  wd_outbox_sender_t s1 = snd;
  s1.dir = d;
  s1.cfg = cfg;
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &s1, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.queued, 2); /* Abuse A and Abuse B, not the SOC */
  assert_int_equal(q1("SELECT count(*) FROM notifications WHERE"
                      " party_email IN ('abuse@a.example',"
                      " 'abuse@b.example')"),
                   2);
  assert_int_equal(q1("SELECT count(*) FROM incidents WHERE status ="
                      " 'notified'"),
                   1);
  snprintf(out, sizeof out, "%s/reflect-out", dir);
  wd_transport_t t = {.outbox_dir = out};
  memset(&st, 0, sizeof st);
  assert_int_equal(wd_outbox_run(s, &s1, &t, NOW, false, &st, err, sizeof err),
                   WD_OK);
  assert_int_equal(st.sent, 2);
  /* A hears of 1.0.0.212 and 1.0.0.9, B of 1.131.170.203 only */
  snprintf(cmd, sizeof cmd,
           "cd %s && a=$(grep -l 'abuse@a.example' *.eml) &&"
           " b=$(grep -l 'abuse@b.example' *.eml) &&"
           " grep -q 1.0.0.212 $a && grep -q 1.0.0.9 $a &&"
           " ! grep -q 1.131.170.203 $a && grep -q 1.131.170.203 $b &&"
           " ! grep -q 1.0.0.212 $b",
           out);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd,
           "for m in %s/*.eml; do /usr/bin/python3 %s \"$m\" --internal"
           " 'St. Example' --internal 198.51.100. --net 198.51.100.0/24 ||"
           " exit 1; done",
           out, fixture_dir_of(__FILE__, "/leak_check.py"));
  assert_int_equal(system(cmd), 0);
  wd_store_close(s);
  wd_config_free(cfg);
  wd_directory_free(d);
}

/* The indicators of intel.match attacks, through the store (both
 * engines) into the notice of a party outside the facility: one entry per
 * feed and indicator over its attacks; one naming a protected address is
 * withheld and counted; a STIX feed's own pattern naming one is not used;
 * the rest is kept as stored. */
static void test_intel_through_store(void **state) {
  (void)state;
  char err[512];
  static const char cfg_yaml[] = "facilities:\n"
                                 "  - name: St. Example Hospital\n"
                                 "    sector: healthcare\n"
                                 "    networks: [198.51.100.0/24]\n";
  wd_config_t *cfg;
  assert_int_equal(wd_config_load_buffer("c", cfg_yaml, strlen(cfg_yaml), &cfg,
                                         err, sizeof err),
                   WD_OK);
  wd_store_t *s = fresh("intel", 0);
  wd_store_incident_t inc, got;
  wd_store_target_t tg;
  wd_store_attack_t at[4];
  memset(&inc, 0, sizeof inc);
  memset(&tg, 0, sizeof tg);
  memset(at, 0, sizeof at);
  strcpy(inc.id, "WARD-2026-000007");
  strcpy(inc.corr_key, "intrusion|x");
  strcpy(inc.line, "intrusion");
  strcpy(inc.rsit_class, "malicious-code");
  strcpy(inc.rsit_type, "infected-system");
  inc.severity = 2;
  inc.first_ns = T0;
  inc.last_ns = T0 + 60 * NS;
  strcpy(tg.ip, "198.51.100.23");
  strcpy(tg.facility, "St. Example Hospital");
  static const char *const v[4] = {"c2.badcontent.example",
                                   "c2.badcontent.example", "198.51.100.23/32",
                                   "http://x.example/a'b"};
  static const char *const ty[4] = {"domain-name", "domain-name", "ipv4-addr",
                                    "url"};
  for (int i = 0; i < 4; i++) {
    strcpy(at[i].detector, "intel.match");
    strcpy(at[i].dst, tg.ip);
    at[i].start_ns = T0 + (uint64_t)i * 10 * NS;
    at[i].last_ns = at[i].start_ns + 5 * NS;
    at[i].reports = 2;
    strcpy(at[i].intel.value, v[i]);
    strcpy(at[i].intel.type, ty[i]);
    strcpy(at[i].intel.feed, i == 3 ? "list.csv" : "apt.json");
    strcpy(at[i].intel.ref, i == 3 ? "line 2" : "indicator--1");
    strcpy(at[i].intel.field, i == 3 ? "http.url" : "dns.query");
  }
  /* the feed's pattern also lists a host of the facility */
  strcpy(at[1].intel.stix,
         "{\"id\":\"indicator--1\",\"pattern\":\"[domain-name:value = "
         "'c2.badcontent.example'] OR [ipv4-addr:value = '198.51.100.9']\"}");
  inc.targets = &tg;
  inc.n_targets = 1;
  inc.attacks = at;
  inc.n_attacks = 4;
  assert_int_equal(wd_store_begin(s), WD_OK);
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  /* an update without the indicator keeps the stored one */
  wd_store_attack_t plain = at[3];
  memset(&plain.intel, 0, sizeof plain.intel);
  plain.reports = 3;
  inc.attacks = &plain;
  inc.n_attacks = 1;
  assert_int_equal(wd_store_incident_put(s, &inc), WD_OK);
  assert_int_equal(wd_store_commit(s), WD_OK);
  assert_int_equal(wd_store_incident_get(s, inc.id, &got), WD_OK);
  assert_int_equal(got.n_attacks, 4);
  assert_string_equal(got.attacks[3].intel.value, "http://x.example/a'b");
  assert_string_equal(got.attacks[3].intel.feed, "list.csv");
  assert_string_equal(got.attacks[3].intel.ref, "line 2");
  assert_string_equal(got.attacks[3].intel.field, "http.url");
  assert_string_equal(got.attacks[3].intel.type, "url");
  assert_int_equal(got.attacks[3].reports, 3);
  assert_string_equal(got.attacks[1].intel.stix, at[1].intel.stix);
  json_t *j = wd_store_incident_json(&got);
  json_t *d3 = json_array_get(json_object_get(j, "alerts_detail"), 3);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(d3, "intel"), "feed")),
      "list.csv");
  json_decref(j);

  wd_outbox_sender_t s1 = snd;
  s1.cfg = cfg;
  wd_outbox_privacy_t pv;
  assert_int_equal(wd_outbox_privacy_init(&pv, &s1, NULL, "national-cert"),
                   WD_OK);
  strcpy(got.party.name, "CERT-X");
  strcpy(got.party.kind, "national-cert");
  wd_notice_incident_t n;
  static wd_outbox_notice_buf_t b;
  wd_outbox_notice_of(&got, &s1, NULL, &pv.v, &n, &b);
  assert_int_equal(n.n_intel, 2);
  assert_int_equal(n.n_intel_withheld, 1); /* 198.51.100.23 */
  assert_string_equal(n.intel[0].value, "c2.badcontent.example");
  assert_int_equal(n.intel[0].count, 4); /* two attacks */
  assert_int_equal(n.intel[0].first_ns, T0);
  assert_int_equal(n.intel[0].last_ns, T0 + 15 * NS);
  assert_null(n.intel[0].stix); /* its pattern names a facility host */
  assert_string_equal(n.intel[1].feed, "list.csv");
  wd_outbox_privacy_fini(&pv);
  wd_store_incident_fini(&got);
  wd_store_close(s);
  wd_config_free(cfg);
}

/* Child: sends everything due, forever re-running (killed by parent). */
static void child_sender(const char *url) {
  char err[512];
  wd_store_t *s;
  if (wd_store_open(db, &s, err, sizeof err) != WD_OK)
    _exit(3);
  wd_transport_t t = {.smtp = {.url = url, .timeout_s = 600}};
  for (;;) {
    wd_outbox_stats_t st = {0};
    wd_outbox_run(s, &snd, &t, NOW, true, &st, err, sizeof err);
    if (!st.sent && !st.retried)
      _exit(0);
  }
}

/* Waits (generously: 60 s) until path exists. */
static bool wait_file(const char *path) {
  for (int i = 0; i < 3000; i++) {
    if (access(path, F_OK) == 0)
      return true;
    struct timespec d = {0, 20000000L};
    nanosleep(&d, NULL);
  }
  return false;
}

/* A sender is SIGKILLed at known points of the SMTP dialogue, chosen by
 * the test server (smtp_sink.py stalls there and says so): while its RCPT
 * TO waits for an answer, and after the server stored the message but
 * before it answered the end of DATA -- the one window where a copy can
 * be repeated. Each kill is checked to have happened while the
 * notification was recorded as `sending`; afterwards every notification
 * arrives, copies of one Message-ID are byte-identical, exactly one
 * repeated copy per kill after DATA, and the database is intact. No
 * timing: every step waits for a file or a process. */
static void test_sigkill_mid_send(void **state) {
  (void)state;
  if (!test_smtp_available())
    skip();
  enum { N = 30, ROUNDS = 12 };
  char err[512], sdir[700], path[900], stalled[900];
  test_smtp_t srv;
  wd_store_t *s = fresh("kill", N);
  wd_outbox_stats_t st = {0};
  assert_int_equal(wd_outbox_queue(s, &snd, NULL, NOW, &st, err, sizeof err),
                   WD_OK);
  wd_store_close(s);
  snprintf(sdir, sizeof sdir, "%s/kill-srv", dir);
  assert_true(test_smtp_start(&srv, sdir, 0));
  int kills = 0, data_kills = 0;
  for (int round = 0; round < ROUNDS; round++) {
    /* even rounds: stall after the DATA of the (round % 3 + 1)-th message
       of this sender; odd rounds: at its RCPT */
    const char *what = round % 2 ? "rcpt" : "data";
    snprintf(path, sizeof path, "%s/stall-%s", sdir, what);
    snprintf(stalled, sizeof stalled, "%s/stalled-%s", sdir, what);
    char k[8];
    snprintf(k, sizeof k, "%d", round % 3);
    write_file(path, k);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
      child_sender(srv.url);
    assert_true(wait_file(stalled));
    /* the sender is inside the dialogue: its attempt is on record */
    assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
    assert_int_equal(q1("SELECT count(*) FROM notifications WHERE state"
                        " = 'sending'"),
                     1);
    wd_store_close(s);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    kills++;
    data_kills += round % 2 == 0;
    unlink(stalled);
    /* nothing lost, the database intact */
    assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
    test_integrity_ok(db);
    assert_int_equal(q1("SELECT count(*) FROM notifications"), N);
    assert_true(q1("SELECT count(*) FROM notifications WHERE state !="
                   " 'sent'") > 0);
    wd_store_close(s);
  }
  assert_int_equal(kills, ROUNDS);
  /* a last sender, left alone, delivers the rest */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    child_sender(srv.url);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(wd_store_open(db, &s, err, sizeof err), WD_OK);
  assert_int_equal(q1("SELECT count(*) FROM notifications WHERE state"
                      " = 'sent'"),
                   N);
  wd_store_close(s);
  test_smtp_stop(&srv);
  /* every Message-ID arrived; copies of one Message-ID are identical; one
   * repeated copy per kill after the server stored the message */
  char cmd[8192];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 - %s %d %d <<'PY'\n"
           "import email, glob, sys, collections\n"
           "seen = collections.defaultdict(list)\n"
           "for p in glob.glob(sys.argv[1] + '/*.eml'):\n"
           "    raw = open(p, 'rb').read()\n"
           "    seen[email.message_from_bytes(raw)['Message-ID']].append(raw)\n"
           "dups = sum(len(v) - 1 for v in seen.values())\n"
           "same = all(all(r == v[0] for r in v) for v in seen.values())\n"
           "print(f'{len(seen)} distinct, {dups} repeated copies')\n"
           "sys.exit(0 if len(seen) == int(sys.argv[2]) and same and\n"
           "         dups == int(sys.argv[3]) else 1)\n"
           "PY",
           sdir, N, data_kills);
  fprintf(stderr, "sigkill test: %d kills (%d after DATA); ", kills,
          data_kills);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  wd_log_threshold = WD_LOG_ERROR; /* retries and warnings are expected */
  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_queue_and_outbox_dir),
      cmocka_unit_test(test_server_down_backoff),
      cmocka_unit_test(test_outbox_dir_local_faults),
      cmocka_unit_test(test_outbox_dir_read_only),
      cmocka_unit_test(test_max_age_and_requeue),
      cmocka_unit_test(test_smtp_refusals),
      cmocka_unit_test(test_reflectors_each_party),
      cmocka_unit_test(test_intel_through_store),
      cmocka_unit_test(test_sigkill_mid_send),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
