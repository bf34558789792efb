/* fuzz_party.c -- libFuzzer target for the checks of a responsible party
 * given as JSON through the API (src/store/store_party.c, wd_party_check:
 * the field checks, then the directory file's own loader over the JSON
 * text). In: arbitrary bytes taken as a request body. Checks: no crash,
 * leak or undefined behaviour; a refusal says why; an accepted party is
 * in canonical form (checking it again gives the same party). Memory:
 * every JSON value is released before returning. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *in =
      json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (!in)
    return 0;
  char err[512] = "";
  json_t *p = wd_party_check(in, err, sizeof err);
  json_decref(in);
  if (!p) {
    if (err[0] == '\0')
      abort(); /* a refusal must say why */
    return 0;
  }
  char again_err[512] = "";
  json_t *again = wd_party_check(p, again_err, sizeof again_err);
  if (!again || !json_equal(again, p))
    abort(); /* the stored form is accepted as it is */
  json_decref(again);
  json_decref(p);
  return 0;
}
