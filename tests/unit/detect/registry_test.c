/* registry_test.c -- the detector registry and descriptors: every detector
 * listed once, found by its stored name and by nothing else (no prefix
 * matching), complete descriptors (hooks, signatures, references, a docs
 * page that exists and the overview table naming it), signature ids
 * unique across detectors, and the incident line rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detector.h"

/* The source tree: __FILE__ is <src>/tests/unit/detect/registry_test.c */
static const char *src_path(const char *rel, char *buf, size_t n) {
  snprintf(buf, n, "%s", __FILE__);
  for (int up = 0; up < 4; up++) {
    char *sl = strrchr(buf, '/');
    assert_non_null(sl);
    *sl = '\0';
  }
  size_t l = strlen(buf);
  snprintf(buf + l, n - l, "/%s", rel);
  return buf;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  static char text[1 << 16];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

static void listed_and_found(void **st) {
  (void)st;
  const wd_detector_t *d[WD_DETECTORS_MAX];
  size_t n = wd_detectors_list(d, WD_DETECTORS_MAX);
  static const char *const order[] = {"smb.ms17-010",       "smb.doublepulsar",
                                      "worm.smb-fanout",    "ddos.syn-flood",
                                      "ddos.amplification", "ddos.volumetric",
                                      "scan.horizontal",    "scan.vertical"};
  /* these, in this order (a new detector may come anywhere) */
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    assert_ptr_equal(wd_detector_find(d[i]->name), d[i]);
    for (size_t j = 0; j < i; j++)
      assert_true(strcmp(d[i]->name, d[j]->name) != 0);
    if (k < sizeof order / sizeof order[0] && strcmp(d[i]->name, order[k]) == 0)
      k++;
  }
  assert_int_equal(k, sizeof order / sizeof order[0]);
  assert_true(n < WD_DETECTORS_MAX);
  /* a short list is filled in order */
  const wd_detector_t *two[2];
  assert_int_equal(wd_detectors_list(two, 2), 2);
  assert_ptr_equal(two[0], d[0]);
  assert_ptr_equal(two[1], d[1]);
  /* names only, never a prefix or another spelling */
  assert_null(wd_detector_find(NULL));
  assert_null(wd_detector_find(""));
  assert_null(wd_detector_find("(other)"));
  assert_null(wd_detector_find("smb."));
  assert_null(wd_detector_find("ddos"));
  assert_null(wd_detector_find("SMB.MS17-010"));
  assert_null(wd_detector_find("smb.ms17-010 "));
}

static void descriptors_complete(void **st) {
  (void)st;
  const wd_detector_t *d[WD_DETECTORS_MAX];
  size_t n = wd_detectors_list(d, WD_DETECTORS_MAX);
  char path[4096], overview[1 << 16];
  const char *ov = slurp(src_path("docs/detectors.md", path, sizeof path));
  assert_non_null(ov);
  snprintf(overview, sizeof overview, "%s", ov);
  for (size_t i = 0; i < n; i++) {
    const wd_detector_t *x = d[i];
    assert_non_null(x->title);
    assert_non_null(x->create);
    assert_non_null(x->destroy);
    assert_true(x->on_packet || x->on_smb || x->on_app || x->on_flow_end);
    assert_non_null(x->on_finish);
    assert_true(x->n_sigs > 0);
    for (size_t s = 0; s < x->n_sigs; s++) {
      const wd_detector_sig_t *g = &x->sigs[s];
      assert_true(g->id > 0);
      assert_true(g->severity >= 1 && g->severity <= 4);
      assert_non_null(g->text);
      assert_non_null(g->category);
      assert_non_null(g->rsit_class);
      assert_non_null(g->rsit_type);
      assert_int_equal(wd_detector_sig(x, g->id)->id, g->id);
      /* no other detector uses the id */
      for (size_t j = 0; j < n; j++)
        if (j != i)
          assert_null(wd_detector_sig(d[j], g->id));
      char id[16];
      snprintf(id, sizeof id, "%u", (unsigned)g->id);
      assert_non_null(strstr(overview, id));
    }
    for (size_t r = 0; r < x->n_refs; r++) {
      assert_non_null(x->refs[r].source);
      assert_non_null(x->refs[r].url);
      assert_true(strncmp(x->refs[r].url, "https://", 8) == 0);
    }
    assert_true((x->service_port == 0) == (x->service_proto == 0));
    /* its page exists and the overview links it */
    assert_non_null(x->doc);
    assert_non_null(slurp(src_path(x->doc, path, sizeof path)));
    char link[128];
    snprintf(link, sizeof link, "(detectors/%s.md)", x->name);
    assert_non_null(strstr(overview, link));
    char page[128];
    snprintf(page, sizeof page, "docs/detectors/%s.md", x->name);
    assert_string_equal(x->doc, page);
  }
  assert_null(wd_detector_sig(NULL, 2100001));
  assert_null(wd_detector_sig(wd_detector_find("scan.vertical"), 2100001));
}

static void lines(void **st) {
  (void)st;
  const wd_detector_t *ms = wd_detector_find("smb.ms17-010");
  const wd_detector_t *worm = wd_detector_find("worm.smb-fanout");
  const wd_detector_t *flood = wd_detector_find("ddos.amplification");
  const wd_detector_t *scan = wd_detector_find("scan.vertical");
  assert_int_equal(ms->line, WD_LINE_EXPLOIT);
  assert_int_equal(worm->line, WD_LINE_WORM);
  assert_int_equal(flood->line, WD_LINE_DDOS);
  assert_int_equal(scan->line, WD_LINE_INTRUSION);
  assert_string_equal(wd_detector_line(ms, true, true), "worm");
  assert_string_equal(wd_detector_line(ms, false, true), "intrusion");
  assert_string_equal(wd_detector_line(ms, true, false), "intrusion");
  assert_string_equal(wd_detector_line(worm, true, false), "worm");
  assert_string_equal(wd_detector_line(worm, false, true), "intrusion");
  assert_string_equal(wd_detector_line(flood, false, true), "ddos");
  assert_string_equal(wd_detector_line(flood, true, true), "ddos");
  assert_string_equal(wd_detector_line(scan, true, true), "intrusion");
  assert_string_equal(wd_detector_line(NULL, true, true), "intrusion");
  /* only the reflection detector names reflectors */
  const wd_detector_t *d[WD_DETECTORS_MAX];
  size_t n = wd_detectors_list(d, WD_DETECTORS_MAX);
  for (size_t i = 0; i < n; i++)
    assert_int_equal((d[i]->flags & WD_DETECTOR_REFLECTED) != 0, d[i] == flood);
  /* MS17-010 cites its six CVEs */
  size_t cves = 0;
  for (size_t r = 0; r < ms->n_refs; r++)
    if (strcmp(ms->refs[r].source, "cve") == 0) {
      char want[16];
      snprintf(want, sizeof want, "CVE-2017-%04zu", 143 + cves);
      assert_string_equal(ms->refs[r].id, want);
      assert_non_null(strstr(ms->refs[r].url, want));
      cves++;
    }
  assert_int_equal(cves, 6);
  assert_int_equal(ms->service_port, 445);
}

static void sign(void **st) {
  (void)st;
  const wd_detector_t *dp = wd_detector_find("smb.doublepulsar");
  wd_alert_t al;
  memset(&al, 0, sizeof al);
  wd_alert_sign(&al, &dp->sigs[1]);
  assert_int_equal(al.signature_id, dp->sigs[1].id);
  assert_string_equal(al.signature, dp->sigs[1].text);
  assert_string_equal(al.category, dp->sigs[1].category);
  assert_int_equal(al.severity, dp->sigs[1].severity);
  assert_string_equal(al.rsit_class, dp->sigs[1].rsit_class);
  assert_string_equal(al.rsit_type, dp->sigs[1].rsit_type);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(listed_and_found),
      cmocka_unit_test(descriptors_complete),
      cmocka_unit_test(lines),
      cmocka_unit_test(sign),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
