/* fuzz_http.c -- libFuzzer target for the HTTP/1.x head parser
 * (src/proto/http.c), requests and the responses paired with them. Input:
 * byte 0: bit 0 is the direction of the first piece, bits 1-6 the piece
 * size - 1, bit 7 the pipeline depth - 1 (1 or 2: the cap is reached and
 * responses go unpaired); then the data, fed in pieces that
 * alternate direction whenever a piece starts with 0xff (that byte is
 * dropped), with a gap of 7 bytes when a piece starts with 0xfe. Text
 * fields handed to the callbacks are read to their NUL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/http.h"

static wd_http_conn_t conn;

static void on_req(void *user, const wd_http_req_t *r) {
  volatile size_t s = strlen(r->method) + strlen(r->target) + strlen(r->host) +
                      strlen(r->user_agent);
  (void)s;
  (void)user;
}
static void on_resp(void *user, const wd_http_resp_t *r) {
  volatile size_t s = strlen(r->req_method) + r->status +
                      strlen(r->content_type) + r->req_seq +
                      (size_t)r->content_length;
  (void)s;
  (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_http_stats_t st;
  memset(&st, 0, sizeof st);
  wd_http_conn_init(&conn, &st, (unsigned)(mode >> 7) + 1); /* 1 or 2 */
  int dir = mode & 1;
  size_t piece = (size_t)((mode >> 1) & 0x3f) + 1;
  for (size_t i = 0; i < size;) {
    if (data[i] == 0xff) {
      dir ^= 1;
      i++;
      continue;
    }
    if (data[i] == 0xfe) {
      wd_http_conn_gap(&conn, dir, 7);
      i++;
      continue;
    }
    size_t n = size - i < piece ? size - i : piece;
    wd_http_conn_feed(&conn, dir, data + i, n, on_req, on_resp, NULL);
    i += n;
  }
  return 0;
}
