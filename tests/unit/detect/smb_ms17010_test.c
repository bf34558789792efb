/* smb_ms17010_test.c -- tests of src/detect/smb_ms17010.c on handcrafted
 * SMB connections: EternalBlue's type-confused transaction with its
 * outcome (vulnerable answer, then a DoublePulsar implant answering after
 * the second attempt), the START/UPDATE/END sequence of one attack over
 * several connections, EternalRomance and EternalChampion patterns, the
 * MS17-010 check, attempts against a patched target that refuses the
 * primary and against a silent one, a burst of orphan secondaries (primary
 * not captured), and silence on benign SMB1/SMB2 sessions, on a benign
 * refused transaction and on consistent orphan secondaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect/smb_drive.h"

extern const wd_detector_ops_t wd_detector_ms17010;

#define ATTACKER 0x0a000042u /* 10.0.0.66 */
#define TARGET 0x0a000005u   /* 10.0.0.5 */

static drv d;

static int setup(void **s) {
  (void)s;
  drv_init(&d, &wd_detector_ms17010);
  assert_int_equal(drv_create(&d), WD_OK);
  assert_non_null(d.state);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  drv_free(&d);
  return 0;
}

static void assert_ends(const drv_alert *r) {
  char s[WD_ADDR_STRLEN], t[WD_ADDR_STRLEN];
  wd_addr_str(&r->a.src, s);
  wd_addr_str(&r->a.dst, t);
  assert_string_equal(s, "10.0.0.66");
  assert_string_equal(t, "10.0.0.5");
  assert_true(r->a.has_src);
  assert_int_equal(r->a.dport, 445);
  assert_string_equal(r->a.detector, "smb.ms17-010");
}

static void test_eternalblue_two_attempts(void **s) {
  (void)s;
  uint64_t t = DRV_T0;
  drv_conn c1, c2;
  drv_conn_init(&c1, &d, ATTACKER, 50001, TARGET, 1, t);
  drv_smb1_login(&c1, 0xfeff);
  drv_dp_ping(&c1, 0xfeff, 65, 0x00458658, 0); /* no implant yet */
  assert_int_equal(d.n, 0);
  drv_eternalblue(&c1, 0xfeff, 65, 14, 0);
  assert_int_equal(d.n, 1); /* START at the first confused secondary */
  assert_int_equal(d.al[0].a.state, WD_ALERT_START);
  assert_ends(&d.al[0]);
  assert_int_equal(d.al[0].a.sport, 50001);
  assert_int_equal(d.al[0].a.severity, 2);
  assert_string_equal(d.al[0].rsit_class, "intrusion-attempts");
  assert_string_equal(d.al[0].rsit_type, "exploit");
  assert_string_equal(drv_metric(&d, 0, "variant"), "eternalblue");
  assert_string_equal(drv_metric(&d, 0, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 0, "outcome"), "unknown");
  assert_string_equal(drv_metric(&d, 0, "max_declared_data"), "66512");
  assert_int_equal(d.al[0].a.start_ns, t);

  /* the server answers the confused transaction: vulnerable */
  c1.now = t + DRV_NSEC;
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr r = {.cmd = 0x32,
              .resp = true,
              .status = WD_SMB_STATUS_INVALID_PARAMETER,
              .tid = 2048,
              .pid = 0xfeff,
              .uid = 2048,
              .mid = 65};
  size_t n = sb_empty(b, &r);
  drv_send(&c1, 1, b, n);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_UPDATE);
  assert_string_equal(drv_metric(&d, 1, "outcome"), "vulnerable");
  assert_string_equal(drv_metric(&d, 1, "overflow_answers"), "1");
  assert_string_equal(drv_metric(&d, 1, "compromised"), "false");

  /* 15 s later the implant check still says no; the exploit connection is
   * open, so the attack does not end although quiet longer than 10 s */
  drv_tick(&d, t + 12 * DRV_NSEC);
  c1.now = t + 16 * DRV_NSEC;
  drv_dp_ping(&c1, 0xfeff, 66, 0x00fad455, 0);
  drv_flow_end(&c1);
  assert_int_equal(d.n, 2);

  /* second attempt on a new connection, then the implant answers */
  drv_conn_init(&c2, &d, ATTACKER, 50002, TARGET, 2, t + 18 * DRV_NSEC);
  drv_smb1_login(&c2, 0xfeff);
  drv_dp_ping(&c2, 0xfeff, 65, 0x00548748, 0);
  drv_eternalblue(&c2, 0xfeff, 65, 16, WD_SMB_STATUS_INVALID_PARAMETER);
  drv_tick(&d, t + 30 * DRV_NSEC);
  assert_int_equal(d.n, 2); /* new attempt: no immediate alert */
  c2.now = t + 34 * DRV_NSEC;
  drv_dp_ping(&c2, 0xfeff, 66, 0x0008d546, 16);
  assert_int_equal(d.n, 3);
  const drv_alert *u = &d.al[2];
  assert_int_equal(u->a.state, WD_ALERT_UPDATE);
  assert_int_equal(u->a.attack_id, d.al[0].a.attack_id);
  assert_ends(u);
  assert_int_equal(u->a.sport, 50002);
  assert_int_equal(u->a.severity, 1);
  assert_string_equal(u->rsit_class, "intrusions");
  assert_string_equal(u->rsit_type, "system-compromise");
  assert_string_equal(drv_metric(&d, 2, "attempts"), "2");
  assert_string_equal(drv_metric(&d, 2, "compromised"), "true");
  assert_string_equal(drv_metric(&d, 2, "succeeded_attempt"), "2");
  assert_string_equal(drv_metric(&d, 2, "overflow_answers"), "2");
  assert_string_equal(drv_metric(&d, 2, "implant_checks"), "2");

  /* quiet with the connection closed: END, once */
  drv_flow_end(&c2);
  drv_tick(&d, t + 40 * DRV_NSEC);
  assert_int_equal(d.n, 3);
  drv_tick(&d, t + 45 * DRV_NSEC);
  assert_int_equal(d.n, 4);
  assert_int_equal(d.al[3].a.state, WD_ALERT_END);
  assert_int_equal(d.al[3].a.attack_id, d.al[0].a.attack_id);
  drv_finish(&d, t + 50 * DRV_NSEC);
  assert_int_equal(d.n, 4);
}

static void test_attempts_update_periodically(void **s) {
  (void)s;
  uint64_t t = DRV_T0;
  for (unsigned i = 0; i < 5; i++) {
    drv_conn c;
    drv_conn_init(&c, &d, ATTACKER, (uint16_t)(50000 + i), TARGET, 10 + i,
                  t + i * 20 * DRV_NSEC);
    drv_smb1_login(&c, 1);
    drv_eternalblue(&c, 1, 70, 3, 0);
    drv_tick(&d, c.now + DRV_NSEC);
    /* connection stays open: one attack despite 20 s between attempts */
  }
  /* START, then one UPDATE once update_s (60 s) passed */
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_UPDATE);
  assert_string_equal(drv_metric(&d, 1, "attempts"), "4");
  drv_finish(&d, t + 200 * DRV_NSEC);
  assert_int_equal(d.n, 3);
  assert_int_equal(d.al[2].a.state, WD_ALERT_END);
  assert_string_equal(drv_metric(&d, 2, "attempts"), "5");
}

static void test_patched_answer(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  drv_eternalblue(&c, 1, 65, 2, 0xc0000022u /* ACCESS_DENIED */);
  assert_int_equal(d.n, 2);
  assert_string_equal(drv_metric(&d, 1, "outcome"), "patched");
  assert_string_equal(drv_metric(&d, 1, "rejected_answers"), "1");
}

/* The exploit's client side against a patched target: the server refuses
 * the incomplete NT_TRANSACT at once; the exploit sends its TRANS2
 * secondaries anyway (no answers), an ECHO on the same MID and the last
 * secondary. One attempt, outcome patched from the START on. */
static void test_patched_refuses_primary(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  sb_hdr h = {.cmd = 0xa0, .tid = 2048, .pid = 1, .uid = 2048, .mid = 65};
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  drv_send(&c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  n = sb_empty(b, &r);
  drv_send(&c, 1, b, n);
  assert_int_equal(d.n, 0); /* a refused primary alone is no attempt */
  h.cmd = 0x33;
  for (unsigned i = 0; i < 15; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    drv_send(&c, 0, b, n);
  }
  assert_int_equal(d.n, 1);
  assert_int_equal(d.al[0].a.state, WD_ALERT_START);
  assert_ends(&d.al[0]);
  assert_int_equal(d.al[0].a.severity, 2);
  assert_string_equal(d.al[0].rsit_class, "intrusion-attempts");
  assert_string_equal(d.al[0].rsit_type, "exploit");
  assert_string_equal(drv_metric(&d, 0, "variant"), "eternalblue");
  assert_string_equal(drv_metric(&d, 0, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 0, "outcome"), "patched");
  assert_string_equal(drv_metric(&d, 0, "rejected_answers"), "1");
  assert_string_equal(drv_metric(&d, 0, "max_declared_data"), "66512");
  /* ECHO on the MID, then the last secondary a second later */
  c.now = DRV_T0 + DRV_NSEC;
  h.cmd = r.cmd = 0x2b;
  r.status = 0;
  uint8_t w[2] = {1, 0};
  n = sb_smb1(b, &h, w, 1, (const uint8_t *)"ping", 4, 0);
  drv_send(&c, 0, b, n);
  n = sb_smb1(b, &r, w, 1, (const uint8_t *)"ping", 4, 0);
  drv_send(&c, 1, b, n);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, 62416);
  drv_send(&c, 0, b, n);
  drv_flow_end(&c);
  drv_finish(&d, DRV_T0 + 5 * DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_END);
  assert_int_equal(d.al[1].a.attack_id, d.al[0].a.attack_id);
  assert_string_equal(drv_metric(&d, 1, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 1, "outcome"), "patched");
  assert_string_equal(drv_metric(&d, 1, "compromised"), "false");
}

/* A target that answers nothing (filtered, crashed, one-way capture): the
 * attempt is reported with outcome unknown. */
static void test_no_answer(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  sb_hdr h = {.cmd = 0xa0, .tid = 2048, .pid = 1, .uid = 2048, .mid = 65};
  n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  drv_send(&c, 0, b, n);
  h.cmd = 0x33;
  for (unsigned i = 0; i < 16; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    drv_send(&c, 0, b, n);
  }
  assert_int_equal(d.n, 1);
  assert_int_equal(d.al[0].a.state, WD_ALERT_START);
  assert_ends(&d.al[0]);
  assert_string_equal(drv_metric(&d, 0, "variant"), "eternalblue");
  assert_string_equal(drv_metric(&d, 0, "outcome"), "unknown");
  drv_flow_end(&c);
  drv_tick(&d, DRV_T0 + 20 * DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_END);
  assert_string_equal(drv_metric(&d, 1, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 1, "outcome"), "unknown");
  assert_string_equal(drv_metric(&d, 1, "rejected_answers"), "0");
}

/* The capture missed the NT_TRANSACT: TRANS2 secondaries on one MID whose
 * blocks lie beyond their own declared total. A burst is an attempt; the
 * answer to it proves nothing without the primary. */
static void test_orphan_burst(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  sb_hdr h = {.cmd = 0x33, .tid = 2048, .pid = 1, .uid = 2048, .mid = 65};
  for (unsigned i = 0; i < 3; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    drv_send(&c, 0, b, n);
  }
  assert_int_equal(d.n, 0); /* below the burst */
  for (unsigned i = 3; i < 16; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    drv_send(&c, 0, b, n);
  }
  assert_int_equal(d.n, 1);
  assert_int_equal(d.al[0].a.state, WD_ALERT_START);
  assert_ends(&d.al[0]);
  assert_string_equal(d.al[0].rsit_class, "intrusion-attempts");
  assert_string_equal(drv_metric(&d, 0, "variant"), "orphan-secondaries");
  assert_string_equal(drv_metric(&d, 0, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 0, "orphan_data_end"), "17360");
  sb_hdr r = h;
  r.cmd = 0x32;
  r.resp = true;
  r.status = WD_SMB_STATUS_INVALID_PARAMETER;
  n = sb_empty(b, &r);
  drv_send(&c, 1, b, n);
  drv_finish(&d, DRV_T0 + DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_END);
  assert_string_equal(drv_metric(&d, 1, "attempts"), "1");
  assert_string_equal(drv_metric(&d, 1, "outcome"), "unknown");
  assert_string_equal(drv_metric(&d, 1, "orphan_data_end"), "66512");
}

/* Ordinary SMB that looks a little like the above stays silent: a client
 * whose large TRANS2 is refused and that stops (then reuses the MID), and
 * a capture starting inside a genuine multi-part TRANS2 (orphan
 * secondaries whose blocks fit their declared totals). */
static void test_benign_refused_and_orphans(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  sb_hdr h = {.cmd = 0x32, .tid = 2048, .pid = 1, .uid = 2048, .mid = 30};
  n = sb_trans_req(b, &h, 0x0008, 0, 1, 0, 10, 60000, 10, 1000);
  drv_send(&c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  n = sb_empty(b, &r);
  drv_send(&c, 1, b, n);
  n = sb_trans_req(b, &h, 0x0001, 0, 1, 0, 40, 0, 40, 0);
  drv_send(&c, 0, b, n);
  r.status = 0;
  n = sb_trans_resp(b, &r, 10, 200);
  drv_send(&c, 1, b, n);
  drv_conn c2;
  drv_conn_init(&c2, &d, ATTACKER, 50002, TARGET, 2, DRV_T0);
  h.mid = 40;
  h.cmd = 0x33;
  for (unsigned i = 0; i < 12; i++) {
    n = sb_trans_sec(b, &h, 0, 60000, 0, 0, 4000, (uint16_t)(4000 + i * 4000));
    drv_send(&c2, 0, b, n);
  }
  r.mid = 40;
  r.cmd = 0x32;
  n = sb_trans_resp(b, &r, 0, 20);
  drv_send(&c2, 1, b, n);
  drv_finish(&d, DRV_T0 + 30 * DRV_NSEC);
  assert_int_equal(d.n, 0);
}

static void test_ms17010_check(void **s) {
  (void)s;
  drv_conn c;
  uint8_t b[SMB_BUILD_MAX];
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  /* TRANSACTION PeekNamedPipe on FID 0 */
  sb_hdr h = {.cmd = 0x25, .tid = 2048, .pid = 1, .uid = 2048, .mid = 5};
  size_t n = sb_trans_req(b, &h, 0x23, 0, 2, 0, 0, 0, 0, 0);
  drv_send(&c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  r.status = WD_SMB_STATUS_INSUFF_SERVER_RESOURCES;
  n = sb_empty(b, &r);
  drv_send(&c, 1, b, n);
  assert_int_equal(d.n, 1);
  assert_ends(&d.al[0]);
  assert_string_equal(d.al[0].rsit_class, "information-gathering");
  assert_string_equal(d.al[0].rsit_type, "scanner");
  assert_string_equal(drv_metric(&d, 0, "outcome"), "vulnerable");
  assert_string_equal(drv_metric(&d, 0, "variant"), "check");
  /* on a patched host */
  drv_conn c2;
  drv_conn_init(&c2, &d, ATTACKER, 50002, 0x0a000006u, 2, DRV_T0);
  drv_smb1_login(&c2, 1);
  n = sb_trans_req(b, &h, 0x23, 0, 2, 0, 0, 0, 0, 0);
  drv_send(&c2, 0, b, n);
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  n = sb_empty(b, &r);
  drv_send(&c2, 1, b, n);
  assert_int_equal(d.n, 2);
  assert_string_equal(drv_metric(&d, 1, "outcome"), "patched");
  assert_int_equal(d.al[1].a.severity, 3);
  /* the same request on a real pipe FID answered normally: nothing */
  drv_conn c3;
  drv_conn_init(&c3, &d, ATTACKER, 50003, 0x0a000007u, 3, DRV_T0);
  n = sb_trans_req(b, &h, 0x23, 0x4001, 2, 0, 0, 0, 0, 0);
  drv_send(&c3, 0, b, n);
  r.status = WD_SMB_STATUS_ACCESS_DENIED;
  n = sb_empty(b, &r);
  drv_send(&c3, 1, b, n);
  assert_int_equal(d.n, 2);
}

static void test_romance_and_champion(void **s) {
  (void)s;
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  /* TRANSACTION declaring more data than sent, then WRITE_ANDX on its MID */
  sb_hdr h = {.cmd = 0x25, .tid = 2048, .pid = 1, .uid = 2048, .mid = 9};
  n = sb_trans_req(b, &h, 0x26, 0x4000, 2, 0, 0, 5000, 0, 100);
  drv_send(&c, 0, b, n);
  h.cmd = 0x2f;
  uint8_t w[28] = {0xff};
  n = sb_smb1(b, &h, w, 14, NULL, 0, 0);
  drv_send(&c, 0, b, n);
  assert_int_equal(d.n, 1);
  assert_string_equal(drv_metric(&d, 0, "variant"), "eternalromance");
  /* NT_TRANSACT_RENAME continued by a secondary: a second attempt */
  h.cmd = 0xa0, h.mid = 20;
  n = sb_nt_trans_req(b, &h, WD_SMB_NT_TRANSACT_RENAME, 10, 100, 10, 0);
  drv_send(&c, 0, b, n);
  h.cmd = 0xa1;
  n = sb_nt_trans_sec(b, &h, 10, 100, 0, 0, 100, 0);
  drv_send(&c, 0, b, n);
  drv_finish(&d, DRV_T0 + DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_string_equal(drv_metric(&d, 1, "attempts"), "2");
  assert_string_equal(drv_metric(&d, 1, "variant"),
                      "eternalromance,eternalchampion");
}

static void test_benign_silent(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, ATTACKER, 50001, TARGET, 1, DRV_T0);
  drv_smb1_login(&c, 1);
  drv_benign(&c, 1);
  /* a DoublePulsar implant answer without any exploit attempt is not
   * MS17-010 exploitation (smb.doublepulsar reports it) */
  drv_dp_ping(&c, 1, 30, 0x00458658, 16);
  drv_tick(&d, DRV_T0 + 20 * DRV_NSEC);
  drv_finish(&d, DRV_T0 + 30 * DRV_NSEC);
  assert_int_equal(d.n, 0);
}

static void test_disabled(void **s) {
  (void)s;
  drv x;
  drv_init(&x, &wd_detector_ms17010);
  dd_set(&x.cfg, "detect.ms17010.enabled", "false");
  assert_int_equal(drv_create(&x), WD_OK);
  assert_null(x.state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_eternalblue_two_attempts, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_attempts_update_periodically, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_patched_answer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_patched_refuses_primary, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_no_answer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_orphan_burst, setup, teardown),
      cmocka_unit_test_setup_teardown(test_benign_refused_and_orphans, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_ms17010_check, setup, teardown),
      cmocka_unit_test_setup_teardown(test_romance_and_champion, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_benign_silent, setup, teardown),
      cmocka_unit_test(test_disabled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
