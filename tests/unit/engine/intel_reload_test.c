/* intel_reload_test.c -- the indicator set swapped under a running engine
 * (what SIGHUP does in ward watch):
 *  - a DNS query for a listed name is reported by intel.match, a query for
 *    a name that only ends like it is not;
 *  - after the reopen flag is set, the worker calls the reload function and
 *    publishes its set; the packet thread moves to it with no loss of
 *    state: the attack opened before the reload stays one attack, a name
 *    listed only in the new set is reported, a name listed only in the old
 *    one no longer is;
 *  - the old set is freed by the worker once the packet thread passed a
 *    tick (ASan reports a use after free or a leak otherwise).
 * DNS queries are built by hand as raw-IP frames and fed one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"

#define NSEC 1000000000ull
#define DLT_RAW_IP 101

static uint8_t frame[512];

/* A UDP DNS query for name from 10.0.0.<host> to 10.0.0.53. */
static size_t dns_query(const char *name, uint8_t host, uint16_t id) {
  uint8_t *ip = frame, *udp = ip + 20, *dns = udp + 8;
  memset(frame, 0, sizeof frame);
  size_t n = 12;
  dns[0] = (uint8_t)(id >> 8), dns[1] = (uint8_t)id;
  dns[2] = 0x01; /* RD */
  dns[5] = 1;    /* QDCOUNT */
  const char *p = name;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    dns[n++] = (uint8_t)l;
    memcpy(dns + n, p, l);
    n += l;
    p += l + (dot ? 1 : 0);
  }
  dns[n++] = 0;
  dns[n++] = 0, dns[n++] = 1; /* A */
  dns[n++] = 0, dns[n++] = 1; /* IN */
  size_t ulen = 8 + n, tot = 20 + ulen;
  ip[0] = 0x45;
  ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
  ip[8] = 64, ip[9] = 17;
  ip[12] = 10, ip[15] = host;
  ip[16] = 10, ip[19] = 53;
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
  udp[0] = 0xc0, udp[1] = host; /* source port 49152 + host */
  udp[3] = 53;
  udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
  return tot;
}

static uint64_t feed(wd_engine_t *e, const char *name, uint8_t host,
                     uint64_t ts) {
  static uint64_t num;
  wd_frame_t fr = {.data = frame, .linktype = DLT_RAW_IP, .ts_ns = ts};
  fr.caplen = fr.wirelen = (uint32_t)dns_query(name, host, (uint16_t)host);
  fr.num = ++num;
  wd_engine_feed(e, &fr);
  wd_engine_result_t r;
  wd_engine_result(e, &r);
  return r.alerts;
}

typedef struct reload_ctx {
  _Atomic int calls;
} reload_ctx;

static wd_intel_set_t *reload(void *user) {
  reload_ctx *x = user;
  wd_intel_set_t *s = NULL;
  const char *why = NULL;
  if (wd_intel_set_new(16, &s) != WD_OK ||
      wd_intel_add(s, WD_IOC_DOMAIN, "new.example", "second", NULL, NULL,
                   &why) != WD_OK ||
      wd_intel_add(s, WD_IOC_DOMAIN, "old.example", "second", NULL, NULL,
                   &why) != WD_OK) {
    wd_intel_set_free(s);
    return NULL;
  }
  atomic_fetch_add(&x->calls, 1);
  return s;
}

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void test_reload_swaps_without_losing_state(void **st) {
  (void)st;
  wd_config_t *cfg;
  assert_int_equal(wd_detect_config_defaults(&cfg), WD_OK);
  wd_intel_set_t *first = NULL;
  const char *why = NULL;
  assert_int_equal(wd_intel_set_new(16, &first), WD_OK);
  assert_int_equal(wd_intel_add(first, WD_IOC_DOMAIN, "old.example", "first",
                                NULL, NULL, &why),
                   WD_OK);
  assert_int_equal(wd_intel_add(first, WD_IOC_DOMAIN, "gone.example", "first",
                                NULL, NULL, &why),
                   WD_OK);
  volatile sig_atomic_t reopen = 0;
  reload_ctx rc = {0};
  wd_engine_opts_t o = {.live = true,
                        .reopen = &reopen,
                        .intel = first,
                        .intel_reload = reload,
                        .intel_user = &rc};
  wd_engine_t *e;
  char err[512];
  assert_int_equal(wd_engine_new(cfg, NULL, &o, &e, err, sizeof err), WD_OK);
  uint64_t t = 1767600000ull * NSEC;
  uint64_t n = feed(e, "www.Old.Example.", 2, t);
  assert_int_equal(n, 1); /* START */
  /* a name that only shares a suffix */
  assert_int_equal(feed(e, "notold.example", 3, t + 1000), 1);
  assert_int_equal(feed(e, "new.example", 4, t + 2000), 1);

  reopen = 1;
  double deadline = mono() + 20;
  while (atomic_load(&rc.calls) == 0 && mono() < deadline) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  assert_int_equal(atomic_load(&rc.calls), 1);
  /* the packet thread moves to the new set at a packet after the swap:
   * feed until a name of the new set is reported (each from a new host) */
  uint8_t host = 10;
  uint64_t before = n;
  for (int i = 0; i < 200 && n == before && mono() < deadline; i++) {
    t += NSEC;
    n = feed(e, "new.example", host++, t);
  }
  assert_int_equal(n, before + 1);
  /* gone from the set: not reported any more */
  t += NSEC;
  assert_int_equal(feed(e, "gone.example", host++, t), n);
  /* the attack of host 2 is the same attack: its hit adds to it */
  t += NSEC;
  assert_int_equal(feed(e, "old.example", 2, t), n);
  assert_int_equal(wd_engine_finish(e, err, sizeof err), WD_OK);
  wd_engine_result_t r;
  wd_engine_result(e, &r);
  /* two attacks, each START and END */
  assert_int_equal(r.alerts, n + 2);
  wd_engine_free(e);
  wd_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reload_swaps_without_losing_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
