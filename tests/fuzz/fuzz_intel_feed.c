/* fuzz_intel_feed.c -- libFuzzer target for the indicator feed readers
 * (src/detect/intel_feed.c): the input is a feed (CSV, STIX 2.1 or MISP
 * JSON, told from its content) loaded into a set capped at 64 indicators;
 * then every line of the input is looked up as a domain, an address and a
 * URL, and every report message is read to its NUL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "detect/intel_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wd_intel_set_t *s;
  if (wd_intel_set_new(64, &s) != WD_OK)
    return 0;
  static wd_intel_report_t rep;
  wd_intel_load_buffer(s, (const char *)data, size, "fuzz", "fuzz", &rep);
  volatile size_t sink = 0;
  for (unsigned i = 0; i < rep.n_msgs; i++)
    sink += strlen(rep.msgs[i]);
  char line[256];
  size_t pos = 0;
  while (pos < size) {
    size_t n = 0;
    while (pos + n < size && data[pos + n] != '\n' && n < sizeof line - 1)
      n++;
    memcpy(line, data + pos, n);
    line[n] = '\0';
    pos += n + 1;
    const wd_ioc_t *i = wd_intel_match_domain(s, line, n);
    if (i)
      sink += strlen(i->value) + strlen(i->desc) + strlen(i->ref);
    wd_addr_t a;
    if (wd_addr_parse(line, &a) == WD_OK && wd_intel_match_addr(s, &a))
      sink++;
    if (wd_intel_match_url(s, line))
      sink++;
  }
  (void)sink;
  wd_intel_set_free(s);
  return 0;
}
