/* fuzz_ssh.c -- libFuzzer target for the SSH transport reader
 * (src/proto/ssh.c). Input: byte 0: bit 0 the first direction, bits 1-6
 * the piece size - 1; then data fed in pieces; a piece starting with 0xff
 * switches direction (byte dropped), 0xfe reports a gap of 9 bytes. The
 * summary's strings are read to their NUL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_ssh_conn_t c;
  wd_ssh_stats_t st;
  memset(&st, 0, sizeof st);
  wd_ssh_conn_init(&c, &st);
  int dir = mode & 1;
  size_t piece = (size_t)((mode >> 1) & 0x3f) + 1;
  uint64_t t = 0;
  for (size_t i = 0; i < size;) {
    if (data[i] == 0xff) {
      dir ^= 1;
      i++;
      continue;
    }
    if (data[i] == 0xfe) {
      wd_ssh_conn_gap(&c, dir, 9);
      i++;
      continue;
    }
    size_t n = size - i < piece ? size - i : piece;
    wd_ssh_conn_feed(&c, dir, data + i, n, ++t);
    i += n;
  }
  const wd_ssh_summary_t *s = wd_ssh_conn_summary(&c);
  volatile size_t sink = 0;
  for (int d = 0; d < 2; d++)
    sink += strlen(s->dir[d].ident) + strlen(s->dir[d].proto) +
            strlen(s->dir[d].software);
  (void)sink;
  return 0;
}
