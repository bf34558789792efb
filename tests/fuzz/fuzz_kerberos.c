/* fuzz_kerberos.c -- libFuzzer target for the Kerberos reader and its DER
 * reader (src/proto/kerberos.c). Input: byte 0 picks the mode. Even: the
 * rest is one UDP message. Odd: the rest is a TCP stream (4-byte length
 * framing) fed in pieces of ((mode >> 1) + 1) bytes. Names are read to
 * their NUL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/kerberos.h"

static wd_krb_msg_t scratch;
static wd_krb_tcp_t tcp;

static void touch(const wd_krb_msg_t *m) {
  volatile size_t s = strlen(m->cname) + strlen(m->crealm) + strlen(m->realm) +
                      strlen(m->sname);
  (void)s;
}

static void on_msg(void *user, const wd_krb_msg_t *m, wd_rc rc) {
  (void)user;
  (void)rc;
  touch(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  wd_krb_stats_t st;
  memset(&st, 0, sizeof st);
  if (!(mode & 1)) {
    wd_krb_parse(data, size, &scratch, &st);
    touch(&scratch);
    return 0;
  }
  size_t piece = (size_t)(mode >> 1) + 1;
  wd_krb_tcp_init(&tcp, &st);
  for (size_t i = 0; i < size; i += piece)
    wd_krb_tcp_feed(&tcp, data + i, size - i < piece ? size - i : piece,
                    &scratch, on_msg, NULL);
  return 0;
}
