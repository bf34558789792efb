/* fuzz_quic.c -- libFuzzer target for the QUIC Initial reader
 * (src/proto/quic.c). Input: byte 0 picks the mode. Bit 0 clear: the rest
 * is one client datagram (header parsing, key derivation, header
 * protection, AEAD refusal). Bit 0 set: the rest is a series of
 * plaintext Initial payloads, each preceded by a 2-byte length, walked as
 * frames (what an authenticated packet would carry: CRYPTO reassembly and
 * the ClientHello parser behind it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/quic.h"

static wd_quic_ctx_t *ctx;
static wd_quic_conn_t conn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (!ctx && wd_quic_ctx_new(&ctx) != WD_OK)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_quic_stats_t st;
  memset(&st, 0, sizeof st);
  wd_quic_conn_init(&conn, &st);
  wd_tls_hello_t h;
  wd_quic_pkt_t pkt;
  if (!(mode & 1)) {
    if (wd_quic_conn_datagram(ctx, &conn, data, size, &h, &pkt) == WD_OK) {
      volatile size_t s = strlen(h.sni);
      (void)s;
    }
    return 0;
  }
  size_t i = 0;
  while (i + 2 <= size) {
    size_t n = (size_t)(data[i] << 8 | data[i + 1]);
    i += 2;
    if (n > size - i)
      n = size - i;
    if (wd_quic_conn_frames(&conn, data + i, n, &h, NULL) == WD_OK) {
      volatile size_t s = strlen(h.sni);
      (void)s;
    }
    i += n;
  }
  return 0;
}
