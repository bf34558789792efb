/* fuzz_config.c -- libFuzzer target for the configuration loader.
 * In: arbitrary bytes taken as a YAML file. Checks: no crash, leak or
 * undefined behaviour on any input; whatever loads also dumps to YAML that
 * loads back and dumps to the same text (so `ward config show` output is
 * always a valid configuration); the lookups answer for a few addresses,
 * including after a --home-net override. Memory: everything loaded is
 * freed before returning. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static char *dump(const wd_config_t *c, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f)
    abort();
  if (wd_config_dump(c, f) != WD_OK)
    abort();
  fclose(f);
  return buf;
}

static void lookups(const wd_config_t *c) {
  static const char *const probes[] = {"10.20.1.1",   "192.168.0.1", "8.8.8.8",
                                       "2001:db8::1", "fd00::1",     "::"};
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    wd_addr_t a;
    if (wd_addr_parse(probes[i], &a) != WD_OK)
      abort();
    const wd_facility_t *f = wd_config_facility_of(c, &a);
    if (f && (f < c->facilities || f >= c->facilities + c->n_facilities))
      abort();
    (void)wd_config_is_protected(c, &a);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  wd_config_t *c = NULL, *r = NULL;
  wd_rc rc = wd_config_load_buffer("fuzz", (const char *)data, size, &c, err,
                                   sizeof err);
  if (rc != WD_OK) {
    if (c != NULL || (rc != WD_ERR_CONFIG && rc != WD_ERR_NOMEM))
      abort();
    if (rc == WD_ERR_CONFIG && strncmp(err, "fuzz:", 5) != 0)
      abort(); /* every message names the file */
    return 0;
  }
  lookups(c);
  size_t len1, len2;
  char *d1 = dump(c, &len1);
  if (wd_config_load_buffer("fuzz", d1, len1, &r, err, sizeof err) != WD_OK) {
    fprintf(stderr, "dump does not reload: %s\n%s\n", err, d1);
    abort();
  }
  char *d2 = dump(r, &len2);
  if (len1 != len2 || memcmp(d1, d2, len1) != 0) {
    fprintf(stderr, "dump differs after reload:\n%s\n---\n%s\n", d1, d2);
    abort();
  }
  /* Use a prefix of the input as a --home-net list as well. */
  char list[64];
  size_t n = size < sizeof list - 1 ? size : sizeof list - 1;
  memcpy(list, data, n);
  list[n] = '\0';
  if (wd_config_set_home_net(r, list, err, sizeof err) == WD_OK)
    lookups(r);
  wd_config_set_home_net(r, "10.0.0.0/8,2001:db8::/32", err, sizeof err);
  lookups(r);
  free(d1);
  free(d2);
  wd_config_free(r);
  wd_config_free(c);
  return 0;
}
