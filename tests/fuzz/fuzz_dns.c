/* fuzz_dns.c -- libFuzzer target for the DNS parser (src/proto/dns.c).
 * Input: byte 0 picks the mode. Even: the rest is one UDP message. Odd:
 * the rest is a TCP stream (2-byte length framing) fed in pieces whose
 * sizes come from the mode byte (piece = (mode >> 1) + 1 bytes), with a
 * gap notice after the stream when bit 7 is set. Every text field of every
 * kept record is read to its NUL so that ASan sees unterminated output. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/dns.h"

static wd_dns_msg_t scratch;
static wd_dns_tcp_t tcp;

static void touch(const wd_dns_msg_t *m) {
  volatile size_t sink = 0;
  for (unsigned i = 0; i < m->n_questions; i++)
    sink += strlen(m->q[i].name);
  for (unsigned i = 0; i < m->n_answers; i++)
    sink += strlen(m->an[i].name) + strlen(m->an[i].text);
  (void)sink;
}

static void on_msg(void *user, const wd_dns_msg_t *m, wd_rc rc) {
  (void)user;
  (void)rc;
  touch(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_dns_stats_t st;
  memset(&st, 0, sizeof st);
  if (!(mode & 1)) {
    wd_dns_parse(data, size, &scratch, &st);
    touch(&scratch);
    return 0;
  }
  size_t piece = (size_t)((mode >> 1) & 0x3f) + 1;
  wd_dns_tcp_init(&tcp, &st);
  for (size_t i = 0; i < size; i += piece) {
    size_t n = size - i < piece ? size - i : piece;
    wd_dns_tcp_feed(&tcp, data + i, n, &scratch, on_msg, NULL);
  }
  if (mode & 0x80) {
    wd_dns_tcp_gap(&tcp);
    wd_dns_tcp_feed(&tcp, data, size, &scratch, on_msg, NULL);
  }
  return 0;
}
