/* proto_int.h -- helpers shared by the protocol parsers of src/proto only:
 * big-endian reads (the caller has checked the length) and text escaping
 * of wire bytes. Pure, no allocation. */
#ifndef WD_PROTO_INT_H
#define WD_PROTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t wd_be16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t wd_be24(const uint8_t *p) {
  return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t wd_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t wd_le16p(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t wd_le32p(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

/* Copies n wire bytes into out (size cap > 0) as printable ASCII: bytes
 * outside 0x20..0x7e and the backslash become \DDD (decimal, as in DNS
 * presentation format); lower: also fold A-Z to a-z. Always NUL-terminates;
 * returns true when all of it fit, false when the text was cut. *escaped is
 * set when an escape was written (may be NULL). */
static inline bool wd_text_escape(char *out, size_t cap, const uint8_t *p,
                                  size_t n, bool lower, bool *escaped) {
  size_t o = 0;
  bool fit = true;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c >= 0x20 && c <= 0x7e && c != '\\') {
      if (o + 1 >= cap) {
        fit = false;
        break;
      }
      if (lower && c >= 'A' && c <= 'Z')
        c = (uint8_t)(c + 32);
      out[o++] = (char)c;
    } else {
      if (o + 4 >= cap) {
        fit = false;
        break;
      }
      out[o++] = '\\';
      out[o++] = (char)('0' + c / 100);
      out[o++] = (char)('0' + (c / 10) % 10);
      out[o++] = (char)('0' + c % 10);
      if (escaped)
        *escaped = true;
    }
  }
  out[o] = '\0';
  return fit;
}

#endif
