/* attack_test.c -- the attack life cycle: ids, END after the quiet period
 * (at least a second), UPDATE every interval and none when it is 0, the
 * alert header, time text and bounded text lists, table budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/table.h"
#include "detect/attack.h"
#include "detect/det_drive.h"

static const wd_alert_kind_t K = {"test.kind",    42,    "sig", "cat", 3,
                                  "availability", "ddos"};

static void life_cycle(void **st) {
  (void)st;
  wd_config_t c;
  dd_defaults(&c);
  c.detect.update_s = 60;
  c.detect.quiet_s = 10;
  wd_attack_t a;
  memset(&a, 0, sizeof a);
  assert_false(wd_attack_is_open(&a));
  assert_int_equal(wd_attack_due(&a, &c, DD_T0), WD_ATTACK_DUE_NONE);
  wd_attack_open(&a, DD_T0 - DD_NSEC, DD_T0);
  assert_true(wd_attack_is_open(&a));
  uint64_t id = a.id;
  assert_true(id > 0);
  assert_int_equal(a.start_ns, DD_T0 - DD_NSEC);
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 9 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 10 * DD_NSEC),
                   WD_ATTACK_DUE_END);
  /* Evidence keeps coming: updates every 60 s. */
  a.last_ns = DD_T0 + 59 * DD_NSEC;
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 59 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  a.last_ns = DD_T0 + 60 * DD_NSEC;
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 60 * DD_NSEC),
                   WD_ATTACK_DUE_UPDATE);
  wd_alert_t al;
  wd_attack_alert(&al, &K, &a, WD_ALERT_UPDATE, DD_T0 + 60 * DD_NSEC);
  assert_int_equal(a.report_ns, DD_T0 + 60 * DD_NSEC);
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 61 * DD_NSEC),
                   WD_ATTACK_DUE_NONE);
  assert_string_equal(al.detector, "test.kind");
  assert_int_equal(al.signature_id, 42);
  assert_int_equal(al.severity, 3);
  assert_int_equal(al.attack_id, id);
  assert_int_equal(al.start_ns, DD_T0 - DD_NSEC);
  assert_int_equal(al.ts_ns, DD_T0 + 60 * DD_NSEC);
  assert_int_equal(al.n_metrics, 0);
  /* END does not restart the update interval. */
  wd_attack_alert(&al, &K, &a, WD_ALERT_END, DD_T0 + 70 * DD_NSEC);
  assert_int_equal(a.report_ns, DD_T0 + 60 * DD_NSEC);
  wd_attack_close(&a);
  assert_false(wd_attack_is_open(&a));
  wd_attack_open(&a, DD_T0, DD_T0);
  assert_true(a.id > id);
}

static void zero_intervals(void **st) {
  (void)st;
  wd_config_t c;
  dd_defaults(&c);
  c.detect.update_s = 0;
  c.detect.quiet_s = 0;
  wd_attack_t a;
  wd_attack_open(&a, DD_T0, DD_T0);
  assert_int_equal(wd_attack_quiet_ns(&c), DD_NSEC);
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + DD_NSEC / 2),
                   WD_ATTACK_DUE_NONE);
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + DD_NSEC), WD_ATTACK_DUE_END);
  a.last_ns = DD_T0 + 1000 * DD_NSEC;
  assert_int_equal(wd_attack_due(&a, &c, DD_T0 + 1000 * DD_NSEC),
                   WD_ATTACK_DUE_NONE); /* never an UPDATE */
}

static void texts(void **st) {
  (void)st;
  char t[32];
  /* 2021-04-28T10:30:21.099510Z */
  assert_string_equal(wd_attack_time_str(1619605821099510000ull, t),
                      "2021-04-28T10:30:21.099510Z");
  char buf[24] = "";
  wd_addr_t a = dd_ip("10.0.0.1"), b = dd_ip("192.168.100.200");
  wd_attack_list_addr(buf, sizeof buf, &a);
  assert_string_equal(buf, "10.0.0.1");
  wd_attack_list_addr(buf, sizeof buf, &a);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1");
  wd_attack_list_addr(buf, sizeof buf, &b); /* does not fit: left out */
  assert_string_equal(buf, "10.0.0.1,10.0.0.1");
  wd_attack_list_u64(buf, sizeof buf, 445);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1,445");
  wd_attack_list_u64(buf, sizeof buf, 4444);
  assert_string_equal(buf, "10.0.0.1,10.0.0.1,445");
}

static void budgets(void **st) {
  (void)st;
  wd_memcap_t mc;
  wd_memcap_init(&mc, "detect", 16u << 20);
  /* 2 MiB / 240-byte entries. */
  assert_int_equal(wd_table_entry_size(16, 200), 240);
  assert_int_equal(wd_attack_table_max(&mc, 8, 16, 200, 10), 8738);
  assert_int_equal(wd_attack_table_max(&mc, 64, 16, 200, 10), 1092);
  wd_memcap_init(&mc, "detect", 1000);
  assert_int_equal(wd_attack_table_max(&mc, 8, 16, 200, 10), 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(life_cycle),
      cmocka_unit_test(zero_intervals),
      cmocka_unit_test(texts),
      cmocka_unit_test(budgets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
