/* smtp_test.c -- delivery to a real SMTP server on loopback (Debian's
 * python3-aiosmtpd with the smtp_sink handler, started here): each message
 * arrives once, parses as MIME with its attachments; a stopped server is a
 * transient failure (WD_AGAIN), a 550 to the recipient or a 554 to the
 * message a permanent one (WD_ERR_REFUSED), a 451 or a refused sender
 * (our own configuration) transient; the outbox directory writes each
 * Message-ID once and is created when missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "notify/compose.h"
#include "notify/smtp_server.h"
#include "notify/transport.h"

static test_smtp_t srv;
static char dir[] = "/tmp/smtp_test.XXXXXX";

static int setup(void **state) {
  (void)state;
  if (!test_smtp_available())
    return 0;
  if (!mkdtemp(dir))
    return -1;
  char sub[300];
  snprintf(sub, sizeof sub, "%s/srv", dir);
  return test_smtp_start(&srv, sub, 0) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[400];
  test_smtp_stop(&srv);
  if (dir[strlen(dir) - 1] != 'X') {
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
  }
  return 0;
}

static void compose(int which, const char *fmt, wd_composed_t *c,
                    wd_notice_incident_t *n, char *msgid) {
  char err[256];
  wd_compose_opts_t o = {0};
  fixture_get(which, n);
  n->party.format = fmt;
  wd_compose_message_id(n->id, n->party.email, 1, n->sender_email, msgid);
  n->message_id = msgid;
  assert_int_equal(wd_compose(n, &o, c, err, sizeof err), WD_OK);
}

static void on_accepted(void *user) {
  (*(int *)user)++;
  /* the server already holds the message when it says 2xx to DATA */
  assert_int_equal(test_smtp_count(&srv), *(int *)user);
}

static void test_delivers_each_once(void **state) {
  (void)state;
  if (!srv.pid)
    skip();
  int accepted = 0;
  wd_transport_t t = {.smtp = {.url = srv.url,
                               .timeout_s = 20,
                               .accepted = on_accepted,
                               .accepted_user = &accepted}};
  const char *fmts[] = {"iodef", "stix", "text"};
  for (int i = 0; i < 3; i++) {
    wd_composed_t c;
    wd_notice_incident_t n;
    char msgid[WD_COMPOSE_MSGID_MAX], err[512];
    compose(i, fmts[i], &c, &n, msgid);
    wd_rc rc = wd_transport_send(&t, n.sender_email, n.party.email, msgid,
                                 c.msg, c.len, err, sizeof err);
    if (rc != WD_OK)
      fail_msg("send: %s", err);
    wd_composed_fini(&c);
  }
  assert_int_equal(test_smtp_count(&srv), 3);
  assert_int_equal(accepted, 3); /* the callback saw each DATA accepted */
  char cmd[8192];
  for (int i = 1; i <= 3; i++) {
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s/%d.eml --expect-parts %d",
             fixture_dir_of(__FILE__, "/mime_check.py"), srv.dir, i,
             i == 3 ? 1 : 2);
    assert_int_equal(system(cmd), 0);
  }
  /* envelope: from the sender, to the party */
  snprintf(cmd, sizeof cmd,
           "grep -q '^1 cert@csirt.example cert@cert.se.example$' %s/log",
           srv.dir);
  assert_int_equal(system(cmd), 0);
}

static void test_failures_classified(void **state) {
  (void)state;
  if (!srv.pid)
    skip();
  wd_composed_t c;
  wd_notice_incident_t n;
  char msgid[WD_COMPOSE_MSGID_MAX], err[512];
  long code;
  compose(FX_SCAN, "text", &c, &n, msgid);
  wd_smtp_opts_t o = {.url = srv.url, .timeout_s = 20};
  int before = test_smtp_count(&srv);
  /* the recipient or the message refused for good: final */
  assert_int_equal(wd_smtp_send(&o, n.sender_email, "reject@x.example", c.msg,
                                c.len, &code, err, sizeof err),
                   WD_ERR_REFUSED);
  assert_int_equal(code, 550);
  assert_int_equal(wd_smtp_send(&o, n.sender_email, "refuse-data@x.example",
                                c.msg, c.len, &code, err, sizeof err),
                   WD_ERR_REFUSED);
  assert_int_equal(code, 554);
  /* our sender refused: our configuration, not the party's fault */
  assert_int_equal(wd_smtp_send(&o, "reject-sender@csirt.example",
                                n.party.email, c.msg, c.len, &code, err,
                                sizeof err),
                   WD_AGAIN);
  assert_int_equal(code, 550);
  assert_int_equal(wd_smtp_send(&o, n.sender_email, "later@x.example", c.msg,
                                c.len, &code, err, sizeof err),
                   WD_AGAIN);
  assert_int_equal(code, 451);
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", test_smtp_free_port());
  o.url = url; /* nobody listens there */
  assert_int_equal(wd_smtp_send(&o, n.sender_email, n.party.email, c.msg, c.len,
                                &code, err, sizeof err),
                   WD_AGAIN);
  assert_int_equal(test_smtp_count(&srv), before);
  wd_composed_fini(&c);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_outbox_dir_once(void **state) {
  (void)state;
  char out[400], err[256], name[300], path[800];
  snprintf(out, sizeof out, "%s/outbox",
           dir[strlen(dir) - 1] == 'X' ? "/tmp" : dir);
  mkdir(out, 0700);
  wd_transport_t t = {.outbox_dir = out};
  const char *id = "<ward.WARD-2026-000042.1.x@csirt.example>";
  assert_int_equal(wd_transport_send(&t, "a@b.example", "c@d.example", id,
                                     "first", 5, err, sizeof err),
                   WD_OK);
  /* a retry of the same Message-ID does not write a second copy */
  assert_int_equal(wd_transport_send(&t, "a@b.example", "c@d.example", id,
                                     "second", 6, err, sizeof err),
                   WD_OK);
  wd_transport_eml_name(id, name, sizeof name);
  assert_string_equal(name, "ward.WARD-2026-000042.1.x_csirt.example.eml");
  snprintf(path, sizeof path, "%s/%s", out, name);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char buf[16] = "";
  assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  assert_string_equal(buf, "first");
  unlink(path);
  rmdir(out);
  /* a missing directory is created, parents too */
  char deep[500];
  snprintf(deep, sizeof deep, "%s/a/b", out);
  t.outbox_dir = deep;
  assert_int_equal(wd_transport_send(&t, "a@b.example", "c@d.example", id, "x",
                                     1, err, sizeof err),
                   WD_OK);
  snprintf(path, sizeof path, "%s/%s", deep, name);
  assert_int_equal(access(path, R_OK), 0);
  unlink(path);
  rmdir(deep);
  snprintf(path, sizeof path, "%s/a", out);
  rmdir(path);
  rmdir(out);
  /* one that cannot be made (its parent is a file) is a local fault:
     WD_AGAIN, to retry, with the reason */
  write_text(out, "not a directory");
  snprintf(deep, sizeof deep, "%s/sub", out);
  t.outbox_dir = deep;
  assert_int_equal(wd_transport_send(&t, "a@b.example", "c@d.example", id, "x",
                                     1, err, sizeof err),
                   WD_AGAIN);
  assert_non_null(strstr(err, "Not a directory"));
  unlink(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_delivers_each_once),
      cmocka_unit_test(test_failures_classified),
      cmocka_unit_test(test_outbox_dir_once),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
