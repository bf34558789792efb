/* smb_doublepulsar_test.c -- tests of src/detect/smb_doublepulsar.c on
 * handcrafted SMB connections: the implant's answer (MID + 16/17/18) to a
 * TRANS2 SESSION_SETUP request, a probe of a clean host and its escalation
 * when the implant later answers, the Timeout opcode, attack lifetime, and
 * silence on benign SMB1/SMB2 sessions and on shifted MIDs of other
 * requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect/smb_drive.h"

extern const wd_detector_ops_t wd_detector_doublepulsar;

#define CONTROLLER 0xc0000201u /* 192.0.2.1 */
#define HOST 0xc0000205u       /* 192.0.2.5 */
#define PING                                                                   \
  0x00458658u /* Timeout bytes 58 86 45 00: sum 0x123, 0x23 = ping             \
               */

static drv d;

static int setup(void **s) {
  (void)s;
  drv_init(&d, &wd_detector_doublepulsar);
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
  assert_string_equal(s, "192.0.2.1");
  assert_string_equal(t, "192.0.2.5");
  assert_int_equal(r->a.dport, 445);
  assert_int_equal(r->a.sport, 50975);
  assert_string_equal(r->a.detector, "smb.doublepulsar");
}

static void test_implant_present(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, CONTROLLER, 50975, HOST, 7, DRV_T0);
  drv_smb1_login(&c, 0xfeff);
  drv_dp_ping(&c, 0xfeff, 65, PING, 16);
  assert_int_equal(d.n, 1);
  const drv_alert *r = &d.al[0];
  assert_int_equal(r->a.state, WD_ALERT_START);
  assert_ends(r);
  assert_int_equal(r->a.severity, 1);
  assert_int_equal(r->a.flow_id, 7);
  assert_string_equal(r->rsit_class, "intrusions");
  assert_string_equal(r->rsit_type, "system-compromise");
  assert_string_equal(drv_metric(&d, 0, "verdict"), "implant-present");
  assert_string_equal(drv_metric(&d, 0, "reply_mid_delta"), "16");
  assert_string_equal(drv_metric(&d, 0, "opcode"), "ping");
  assert_string_equal(drv_metric(&d, 0, "requests"), "1");
  /* more pings in the same minute: no alert per ping */
  c.now += DRV_NSEC;
  drv_dp_ping(&c, 0xfeff, 66, PING, 16);
  drv_dp_ping(&c, 0xfeff, 67, PING, 17);
  assert_int_equal(d.n, 1);
  drv_flow_end(&c);
  drv_tick(&d, DRV_T0 + 12 * DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_END);
  assert_int_equal(d.al[1].a.attack_id, r->a.attack_id);
  assert_string_equal(drv_metric(&d, 1, "implant_replies"), "3");
  assert_string_equal(drv_metric(&d, 1, "requests"), "3");
}

static void test_probe_then_implant(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, CONTROLLER, 50975, HOST, 7, DRV_T0);
  drv_smb1_login(&c, 1);
  drv_dp_ping(&c, 1, 65, 0x00458658, 0); /* clean host answers normally */
  assert_int_equal(d.n, 1);
  assert_int_equal(d.al[0].a.severity, 3);
  assert_string_equal(d.al[0].rsit_class, "information-gathering");
  assert_string_equal(d.al[0].rsit_type, "scanner");
  assert_string_equal(drv_metric(&d, 0, "verdict"), "no-implant");
  assert_string_equal(drv_metric(&d, 0, "implant"), "false");
  /* an exploit later plants it: the same attack escalates at once */
  c.now += 20 * DRV_NSEC;
  drv_dp_ping(&c, 1, 66, 0x0008d546, 16);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.al[1].a.state, WD_ALERT_UPDATE);
  assert_int_equal(d.al[1].a.attack_id, d.al[0].a.attack_id);
  assert_int_equal(d.al[1].a.severity, 1);
  assert_string_equal(d.al[1].rsit_class, "intrusions");
  assert_string_equal(drv_metric(&d, 1, "clean_replies"), "1");
  assert_string_equal(drv_metric(&d, 1, "implant_replies"), "1");
  drv_finish(&d, c.now + DRV_NSEC);
  assert_int_equal(d.n, 3);
  assert_int_equal(d.al[2].a.state, WD_ALERT_END);
}

static void test_opcodes(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, CONTROLLER, 50975, HOST, 7, DRV_T0);
  drv_dp_ping(&c, 1, 65, PING, 16);               /* ping */
  drv_dp_ping(&c, 1, 66, 0x00000000u + 0xc8, 16); /* exec */
  drv_dp_ping(&c, 1, 67, 0x00003344u, 16);        /* 0x77: kill */
  drv_finish(&d, DRV_T0 + DRV_NSEC);
  assert_int_equal(d.n, 2);
  assert_string_equal(drv_metric(&d, 1, "exec_requests"), "1");
  assert_string_equal(drv_metric(&d, 1, "kill_requests"), "1");
  assert_string_equal(drv_metric(&d, 1, "opcode"), "kill");
  assert_string_equal(drv_metric(&d, 1, "requests"), "3");
}

static void test_benign_silent(void **s) {
  (void)s;
  drv_conn c;
  drv_conn_init(&c, &d, CONTROLLER, 50975, HOST, 7, DRV_T0);
  drv_smb1_login(&c, 1);
  drv_benign(&c, 1);
  /* a server answering another TRANS2 request with a shifted MID is a
   * protocol violation, but not DoublePulsar's channel */
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x32, .tid = 2048, .pid = 1, .uid = 2048, .mid = 40};
  size_t n = sb_trans_req(b, &h, 0x0001, 0, 1, 0, 12, 0, 12, 0);
  drv_send(&c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  r.mid = 56;
  r.status = WD_SMB_STATUS_NOT_IMPLEMENTED;
  n = sb_empty(b, &r);
  drv_send(&c, 1, b, n);
  /* the ping without any answer yields no verdict */
  drv_dp_ping(&c, 1, 70, 0x00458658, -1);
  drv_finish(&d, DRV_T0 + 30 * DRV_NSEC);
  assert_int_equal(d.n, 0);
}

static void test_disabled(void **s) {
  (void)s;
  drv x;
  drv_init(&x, &wd_detector_doublepulsar);
  dd_set(&x.cfg, "detect.doublepulsar.enabled", "false");
  assert_int_equal(drv_create(&x), WD_OK);
  assert_null(x.state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_implant_present, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probe_then_implant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_opcodes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_benign_silent, setup, teardown),
      cmocka_unit_test(test_disabled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
