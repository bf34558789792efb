/* store_fixture.h -- a scratch ward database with incidents for the
 * notify and report tests (src/store API), and small query helpers.
 * Memory: static paths; each test opens and closes its own store. */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "notify/outbox.h"
#include "store/store.h"

#define NS 1000000000ull
#define T0 (1776330169ull * NS)  /* traffic time of the incidents */
#define NOW (1776340000ull * NS) /* wall clock of the first run */

static char dir[] __attribute__((unused)) = "/tmp/ward_store_test.XXXXXX";
static char db[600];

static const wd_outbox_sender_t snd
    __attribute__((unused)) = {.name = "Example National CSIRT",
                               .email = "cert@csirt.example",
                               .compose = {.max_attachment = 1 << 20}};

static inline int setup(void **state) {
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown(void **state) {
  (void)state;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database with n incidents WARD-2026-00000k, party per k. */
static inline wd_store_t *fresh(const char *name, int n) {
  char err[512];
  wd_store_t *s;
  snprintf(db, sizeof db, "%s/%s.db", dir, name);
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

static inline long long q1(wd_store_t *s, const char *sql) {
  sqlite3_stmt *st;
  long long v = -1;
  assert_int_equal(sqlite3_prepare_v2(wd_store_db(s), sql, -1, &st, NULL),
                   SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

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

#endif
