/* fuzz_decode.c -- libFuzzer target for wd_decode().
 * Input: byte 0 picks one of the supported link types, the rest is the
 * frame. Each input is decoded twice: as a frame that really ended there
 * (wirelen == caplen) and as a snap-length cut of a longer one. Besides the
 * sanitizers' checks, aborts when the decoded view breaks its contract:
 * pointers outside the frame, an error code without an error kind (or the
 * reverse), transport fields without an IP layer. No memory kept. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "decode/decode.h"

static const int linktypes[] = {1, 113, 276, 12, 14, 101, 228, 229, 0, 108};

static void check(const wd_packet_t *p, wd_rc rc, const uint8_t *f,
                  uint32_t len) {
  if ((rc == WD_OK) != (p->err == WD_DECODE_ERR_NONE))
    abort();
  if (rc != WD_OK && rc != WD_ERR_TRUNC && rc != WD_ERR_INVAL)
    abort();
  if ((unsigned)p->err >= WD_DECODE_ERR_COUNT)
    abort();
  if (p->l3 && (p->l3 < f || p->l3_len > len - (uint32_t)(p->l3 - f)))
    abort();
  if (p->payload &&
      (p->payload < f || p->payload_len > len - (uint32_t)(p->payload - f)))
    abort();
  if (p->ip_version != 0 && p->ip_version != 4 && p->ip_version != 6)
    abort();
  if (p->ip_version == 0 && (p->has_l4 || p->l4_proto || p->payload))
    abort();
  if (p->vlan_depth > WD_VLAN_MAX)
    abort();
  if (p->first_fragment && !p->fragment)
    abort();
  if (p->fragment && !p->first_fragment && p->has_l4)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size - 1 > WD_FRAME_MAX)
    return 0;
  int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
  uint32_t len = (uint32_t)(size - 1);
  /* A copy of exactly len bytes, so that reading past it is caught. */
  uint8_t *f = malloc(len ? len : 1);
  if (!f)
    return 0;
  memcpy(f, data + 1, len);
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  check(&p, wd_decode(&p, lt, f, len, len), f, len);
  check(&p, wd_decode(&p, lt, f, len, len + 1500), f, len);
  free(f);
  return 0;
}
