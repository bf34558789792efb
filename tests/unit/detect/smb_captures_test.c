/* smb_captures_test.c -- the SMB chain on the shared real captures:
 * libpcap -> wd_decode -> flow table -> wd_app (reassembly + SMB parser)
 * -> smb.ms17-010 and smb.doublepulsar, with flow ends and ticks driven by
 * traffic time as in the pipeline. Checks the verdicts of
 * ../shared/captures/MANIFEST.md: EternalBlue with two attempts, the second
 * succeeding (implant reply MID 82); the DoublePulsar implant (reply MID
 * 81); silence on the benign captures and on the "failed" capture that
 * holds no TCP at all; and that the parser reads the benign SMB1/2/3
 * sessions without anomalies. The captures directory is $WARD_CAPTURES,
 * else ../shared/captures beside the source tree; absent: skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "decode/decode.h"
#include "detect/smb_drive.h"
#include "flow/flow.h"
#include "proto/app.h"

extern const wd_detector_ops_t wd_detector_ms17010;
extern const wd_detector_ops_t wd_detector_doublepulsar;

static char dir_buf[4096];

static const char *captures_dir(void) {
  const char *env = getenv("WARD_CAPTURES");
  if (env && *env)
    return env;
  /* __FILE__ is <src>/tests/unit/detect/smb_captures_test.c */
  snprintf(dir_buf, sizeof dir_buf, "%s", __FILE__);
  for (int up = 0; up < 4; up++) {
    char *sl = strrchr(dir_buf, '/');
    if (!sl)
      return NULL;
    *sl = '\0';
  }
  size_t n = strlen(dir_buf);
  snprintf(dir_buf + n, sizeof dir_buf - n, "/../shared/captures");
  return dir_buf;
}

typedef struct run {
  const wd_detector_ops_t *ops[2];
  void *st[2];
  drv rec; /* alert recorder (drv_emit) and config */
  wd_app_t *app;
  wd_flow_table_t *ft;
} run;

static void on_end(void *user, wd_flow_t *f, wd_flow_end_reason why) {
  run *r = user;
  (void)why;
  for (int i = 0; i < 2; i++)
    r->ops[i]->on_flow_end(r->st[i], &r->rec.ctx, f);
  wd_app_flow_end(r->app, f);
}

static void on_smb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                   int dir) {
  run *r = user;
  for (int i = 0; i < 2; i++)
    r->ops[i]->on_smb(r->st[i], &r->rec.ctx, m, f, dir);
}

static void tick(run *r, uint64_t now) {
  wd_flow_table_expire(r->ft, now);
  for (int i = 0; i < 2; i++)
    r->ops[i]->on_tick(r->st[i], &r->rec.ctx, now);
}

/* Runs one capture; alerts land in r->rec, app statistics in *as. */
static void run_file(run *r, const char *name, wd_app_stats_t *as) {
  char path[4352];
  snprintf(path, sizeof path, "%s/%s", captures_dir(), name);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, err);
  if (!pc)
    fail_msg("%s: %s", path, err);
  int lt = pcap_datalink(pc);

  memset(r, 0, sizeof *r);
  drv_init(&r->rec, NULL);
  wd_config_t *cfg = &r->rec.cfg;
  cfg->flow.max = 100000;
  cfg->flow.memcap = 64u << 20;
  cfg->flow.tcp_syn_s = 30;
  cfg->flow.tcp_est_s = 300;
  cfg->flow.tcp_close_s = 10;
  cfg->flow.udp_s = 60;
  cfg->flow.icmp_s = 30;
  cfg->flow.other_s = 60;
  cfg->stream.memcap = 16u << 20;
  cfg->stream.flow_buffer = 64u << 10;
  cfg->stream.window = 128u << 10;
  wd_memcap_init(&r->rec.mc, "detect", 16u << 20);
  r->ops[0] = &wd_detector_ms17010;
  r->ops[1] = &wd_detector_doublepulsar;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(r->ops[i]->create(cfg, &r->rec.mc, &r->st[i]), WD_OK);
    assert_non_null(r->st[i]);
  }
  assert_int_equal(wd_app_new(cfg, &r->app), WD_OK);
  assert_int_equal(wd_flow_table_new(cfg, on_end, r, &r->ft), WD_OK);

  struct pcap_pkthdr *h;
  const u_char *data;
  uint64_t num = 0, last_sec = 0, now = 0;
  int rc;
  while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
    wd_packet_t p;
    memset(&p, 0, sizeof p);
    now = (uint64_t)h->ts.tv_sec * DRV_NSEC + (uint64_t)h->ts.tv_usec * 1000;
    p.ts_ns = now;
    p.num = ++num;
    uint64_t sec = now / DRV_NSEC;
    if (sec != last_sec) {
      if (last_sec)
        tick(r, sec * DRV_NSEC);
      last_sec = sec;
    }
    wd_decode(&p, lt, data, h->caplen, h->len);
    if (p.ip_version == 0)
      continue;
    int dir = WD_DIR_TO_SERVER;
    wd_flow_t *f = wd_flow_table_update(r->ft, &p, &dir);
    if (f && p.l4_proto == WD_PROTO_TCP && p.has_l4) {
      wd_app_cb_t cb = {.smb = on_smb, .user = r};
      wd_app_packet(r->app, &p, f, dir, &cb);
    }
  }
  assert_int_equal(rc, PCAP_ERROR_BREAK);
  pcap_close(pc);
  wd_flow_table_flush(r->ft);
  for (int i = 0; i < 2; i++)
    r->ops[i]->on_finish(r->st[i], &r->rec.ctx, now);
  wd_app_stats(r->app, as);
  wd_flow_table_free(r->ft);
  wd_app_free(r->app);
  for (int i = 0; i < 2; i++)
    r->ops[i]->destroy(r->st[i]);
}

static int have_captures(void **s) {
  (void)s;
  struct stat sb;
  const char *d = captures_dir();
  if (!d || stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return 0;
  return 1;
}

#define NEED_CAPTURES()                                                        \
  do {                                                                         \
    if (!have_captures(NULL)) {                                                \
      print_message("no shared captures at %s: skipped\n",                     \
                    captures_dir() ? captures_dir() : "?");                    \
      skip();                                                                  \
    }                                                                          \
  } while (0)

static run R;

static unsigned count(const run *r, const char *det, int state) {
  unsigned n = 0;
  for (unsigned i = 0; i < r->rec.n; i++)
    if (strcmp(r->rec.al[i].a.detector, det) == 0 &&
        (state < 0 || (int)r->rec.al[i].a.state == state))
      n++;
  return n;
}

static void assert_pair(const drv_alert *x, const char *src, const char *dst) {
  char s[WD_ADDR_STRLEN], t[WD_ADDR_STRLEN];
  wd_addr_str(&x->a.src, s);
  wd_addr_str(&x->a.dst, t);
  assert_string_equal(s, src);
  assert_string_equal(t, dst);
}

static void test_eternalblue_success(void **s) {
  (void)s;
  NEED_CAPTURES();
  wd_app_stats_t as;
  run_file(&R, "eternalblue-success-unpatched-win7.pcap", &as);
  /* one MS17-010 attack, not one per connection */
  assert_int_equal(count(&R, "smb.ms17-010", WD_ALERT_START), 1);
  assert_int_equal(count(&R, "smb.ms17-010", WD_ALERT_END), 1);
  int last = -1, compromise = -1;
  for (unsigned i = 0; i < R.rec.n; i++) {
    const drv_alert *x = &R.rec.al[i];
    if (strcmp(x->a.detector, "smb.ms17-010") != 0)
      continue;
    assert_pair(x, "192.168.198.204", "192.168.198.203");
    assert_int_equal(x->a.dport, 445);
    last = (int)i;
    if (compromise < 0 &&
        strcmp(drv_metric(&R.rec, i, "compromised"), "true") == 0)
      compromise = (int)i;
  }
  assert_true(compromise >= 0);
  const drv_alert *c = &R.rec.al[compromise];
  assert_int_equal(c->a.state, WD_ALERT_UPDATE);
  assert_int_equal(c->a.severity, 1);
  assert_string_equal(c->rsit_class, "intrusions");
  /* the implant answered at 17:23:23.532 (frame 566) */
  assert_int_equal(c->a.ts_ns / 1000000, 1492363403532ull);
  assert_string_equal(drv_metric(&R.rec, compromise, "attempts"), "2");
  assert_string_equal(drv_metric(&R.rec, compromise, "succeeded_attempt"), "2");
  assert_string_equal(drv_metric(&R.rec, compromise, "variant"), "eternalblue");
  assert_string_equal(drv_metric(&R.rec, last, "outcome"), "vulnerable");
  assert_string_equal(drv_metric(&R.rec, last, "overflow_answers"), "2");
  /* DoublePulsar: probes first, then the implant (MID 82 = 66 + 16) */
  assert_int_equal(count(&R, "smb.doublepulsar", WD_ALERT_START), 1);
  int implant = -1;
  for (unsigned i = 0; i < R.rec.n; i++) {
    const drv_alert *x = &R.rec.al[i];
    if (strcmp(x->a.detector, "smb.doublepulsar") != 0)
      continue;
    assert_pair(x, "192.168.198.204", "192.168.198.203");
    if (implant < 0 && strcmp(drv_metric(&R.rec, i, "implant"), "true") == 0)
      implant = (int)i;
  }
  assert_true(implant >= 0);
  assert_int_equal(R.rec.al[implant].a.severity, 1);
  assert_string_equal(drv_metric(&R.rec, implant, "reply_mid_delta"), "16");
  assert_string_equal(drv_metric(&R.rec, implant, "opcode"), "ping");
  /* reassembly and parsing: every message found, nothing lost */
  assert_int_equal(as.stream.gaps, 0);
  assert_int_equal(as.smb.resyncs, 0);
  assert_int_equal(as.smb.smb2, 41); /* the grooming headers */
}

static void test_doublepulsar_connect(void **s) {
  (void)s;
  NEED_CAPTURES();
  wd_app_stats_t as;
  run_file(&R, "doublepulsar-backdoor-connect-win7.pcap", &as);
  assert_int_equal(count(&R, "smb.ms17-010", -1), 0);
  assert_int_equal(count(&R, "smb.doublepulsar", WD_ALERT_START), 1);
  const drv_alert *x = &R.rec.al[0];
  assert_int_equal(x->a.state, WD_ALERT_START);
  assert_pair(x, "192.168.198.204", "192.168.198.203");
  assert_int_equal(x->a.severity, 1);
  assert_string_equal(x->rsit_type, "system-compromise");
  assert_string_equal(drv_metric(&R.rec, 0, "verdict"), "implant-present");
  assert_int_equal(x->a.ts_ns / 1000000, 1492358992484ull);
  /* the benign NetBIOS session on port 139 was parsed too */
  assert_true(as.smb.netbios_control >= 2);
  assert_true(as.smb.smb1 > 20);
}

static void test_silent(const char *name, bool smb) {
  wd_app_stats_t as;
  run_file(&R, name, &as);
  for (unsigned i = 0; i < R.rec.n; i++)
    print_error("%s: unexpected %s alert\n", name, R.rec.al[i].a.detector);
  assert_int_equal(R.rec.n, 0);
  if (smb) {
    assert_true(as.smb.messages > 0);
    assert_int_equal(as.smb.anomalies, 0);
    assert_int_equal(as.smb.not_smb, 0);
    assert_int_equal(as.smb.bad_framing, 0);
  }
}

static void test_benign_and_failed(void **s) {
  (void)s;
  NEED_CAPTURES();
  test_silent("eternalblue-failed-patched-win7.pcap", false);
  test_silent("benign-smb1-ipc-named-pipe.pcap", true);
  test_silent("benign-smb1-session-macos.pcap", true);
  test_silent("benign-smb2-file-copy.pcap", true);
  test_silent("benign-smb3-encrypted-share.pcap", true);
  test_silent("benign-http-apt-get.pcap", false);
  test_silent("benign-tls-session-resumption.pcap", false);
  test_silent("benign-ssh-session.pcap", false);
  test_silent("benign-dns-udp-a-aaaa-mx.pcap", false);
  test_silent("portscan.pcap", false); /* SYNs to 445 and 139 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eternalblue_success),
      cmocka_unit_test(test_doublepulsar_connect),
      cmocka_unit_test(test_benign_and_failed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
