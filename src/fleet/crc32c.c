/* crc32c.c -- CRC-32C by table (see crc32c.h). */
#include "fleet/crc32c.h"

#include <pthread.h>

static uint32_t table[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
}

uint32_t wd_crc32c(uint32_t crc, const void *p, size_t len) {
  pthread_once(&once, build);
  const uint8_t *b = p;
  crc = ~crc;
  for (size_t i = 0; i < len; i++)
    crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}
