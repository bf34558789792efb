/* fuzz_directory.c -- libFuzzer target for the directory of responsible
 * parties (src/enrich/directory.c). In: arbitrary bytes taken as a
 * directory YAML file. Checks: no crash, leak or undefined behaviour; a
 * load either succeeds or explains itself in the error buffer; whatever
 * loads answers matches for a few addresses with a party of its own and a
 * non-empty reason. Memory: the directory is freed before returning. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/directory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512] = "";
  wd_directory_t *d = NULL;
  wd_rc rc = wd_directory_load_buffer("fuzz.yaml", (const char *)data, size,
                                      &d, err, sizeof err);
  if (rc != WD_OK) {
    if (d || err[0] == '\0')
      abort(); /* a failure must say why and return nothing */
    return 0;
  }
  static const char *const probes[] = {"89.160.20.112", "10.20.1.1",
                                       "2001:db8::1", "1.0.0.1"};
  static const char *const countries[] = {"SE", "", "DE", "US"};
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    wd_addr_t a;
    char why[128] = "";
    if (wd_addr_parse(probes[i], &a) != WD_OK)
      abort();
    const wd_party_t *p = wd_directory_match(
        d, &a, countries[i], (uint32_t)(i * 29518u), i == 1 ? "Clinic" : NULL,
        why, sizeof why);
    if (why[0] == '\0')
      abort();
    if (p) {
      int mine = 0;
      for (size_t k = 0; k < wd_directory_count(d); k++)
        mine |= wd_directory_party(d, k) == p;
      if (!mine)
        abort();
    }
  }
  wd_directory_free(d);
  return 0;
}
