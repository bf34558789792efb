/* fuzz_rdp.c -- libFuzzer target for the RDP connection start parser
 * (src/proto/rdp.c). Input: byte 0: bit 0 the first direction, bits 1-6
 * the piece size - 1, bit 7: also run wd_rdp_parse on the whole input as
 * both a request and a confirm. Then the data in pieces; a piece starting
 * with 0xff switches direction (byte dropped), 0xfe reports a gap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/rdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  if (mode & 0x80) {
    wd_rdp_summary_t s;
    memset(&s, 0, sizeof s);
    wd_rdp_parse(data, size, true, &s);
    wd_rdp_parse(data, size, false, &s);
    volatile size_t n = strlen(s.cookie);
    (void)n;
  }
  wd_rdp_conn_t c;
  wd_rdp_stats_t st;
  memset(&st, 0, sizeof st);
  wd_rdp_conn_init(&c, &st);
  int dir = mode & 1;
  size_t piece = (size_t)((mode >> 1) & 0x3f) + 1;
  for (size_t i = 0; i < size;) {
    if (data[i] == 0xff) {
      dir ^= 1;
      i++;
      continue;
    }
    if (data[i] == 0xfe) {
      wd_rdp_conn_gap(&c, dir, 3);
      i++;
      continue;
    }
    size_t n = size - i < piece ? size - i : piece;
    wd_rdp_conn_feed(&c, dir, data + i, n);
    i += n;
  }
  volatile size_t n = strlen(wd_rdp_conn_summary(&c)->cookie);
  (void)n;
  return 0;
}
