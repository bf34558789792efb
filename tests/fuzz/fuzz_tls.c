/* fuzz_tls.c -- libFuzzer target for the TLS hello parser
 * (src/proto/tls.c). Input: byte 0 picks the mode. Bit 7 set: the rest is
 * one handshake message for wd_tls_parse_hello. Else the rest is a TCP
 * direction fed in pieces of ((mode & 0x7f) + 1) bytes. The text fields of
 * the result are read to their NUL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/tls.h"

static wd_tls_dir_t dir;

static void touch(const wd_tls_hello_t *h) {
  volatile size_t sink = strlen(h->sni);
  for (unsigned i = 0; i < h->alpn_kept; i++)
    sink += strlen(h->alpn[i]);
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_tls_hello_t h;
  if (mode & 0x80) {
    if (wd_tls_parse_hello(data, size, &h) != WD_ERR_TRUNC)
      touch(&h);
    return 0;
  }
  wd_tls_stats_t st;
  memset(&st, 0, sizeof st);
  wd_tls_dir_init(&dir, &st);
  size_t piece = (size_t)(mode & 0x7f) + 1;
  for (size_t i = 0; i < size; i += piece) {
    size_t n = size - i < piece ? size - i : piece;
    wd_rc rc = wd_tls_dir_feed(&dir, data + i, n, &h);
    if (rc == WD_OK || rc == WD_ERR_INVAL)
      touch(&h);
  }
  return 0;
}
