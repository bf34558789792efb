/* text.c -- escaping outside text for terminals (see text.h).
 * In: any bytes. Out: valid printable UTF-8 with escapes, in caller
 * buffers. Written from RFC 3629 (UTF-8) and the Unicode control and
 * bidi character lists; no allocation, no system call. */
#include "core/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t wd_utf8_seq(const unsigned char *s, size_t n) {
  if (n == 0)
    return 0;
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  uint32_t cp, min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else
    return 0; /* continuation byte, 0xc0/0xc1 (overlong), 0xf5.. */
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* Code point of a valid sequence of len bytes. */
static uint32_t decode(const unsigned char *s, size_t len) {
  static const unsigned char mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  uint32_t cp = s[0] & mask[len];
  for (size_t i = 1; i < len; i++)
    cp = cp << 6 | (s[i] & 0x3f);
  return cp;
}

/* Code points shown as \uXXXX although valid: they move the cursor,
 * break lines or reorder what follows on a terminal. */
static bool unsafe_cp(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *wd_text_escape(const char *s, char *out, size_t n) {
  if (!out || n == 0)
    return out;
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  size_t len = strlen((const char *)u), o = 0;
  for (size_t i = 0; i < len;) {
    char piece[8];
    size_t pl, l = wd_utf8_seq(u + i, len - i);
    if (l == 0) { /* not UTF-8: the byte itself */
      pl = (size_t)snprintf(piece, sizeof piece, "\\x%02X", u[i]);
      l = 1;
    } else if (l == 1 && (u[i] < 0x20 || u[i] == 0x7f))
      pl = (size_t)snprintf(piece, sizeof piece, "\\x%02X", u[i]);
    else if (l > 1 && unsafe_cp(decode(u + i, l)))
      pl = (size_t)snprintf(piece, sizeof piece, "\\u%04X",
                            (unsigned)decode(u + i, l));
    else {
      memcpy(piece, u + i, l);
      pl = l;
    }
    /* room for this piece, and for the "~" of a cut unless it is the
       last */
    bool last = i + l >= len;
    if (o + pl + (last ? 0 : 1) >= n) {
      if (o + 1 < n)
        out[o++] = '~';
      break;
    }
    memcpy(out + o, piece, pl);
    o += pl;
    i += l;
  }
  out[o] = 0;
  return out;
}

size_t wd_text_width(const char *s) {
  size_t w = 0;
  for (const unsigned char *u = (const unsigned char *)s; u && *u; u++)
    w += (*u & 0xc0) != 0x80;
  return w;
}

size_t wd_text_cut(const char *s, size_t w, char *out, size_t n) {
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  size_t o = 0, chars = 0;
  while (u[o] && chars < w) {
    size_t l = 1;
    while ((u[o + l] & 0xc0) == 0x80)
      l++;
    if (o + l >= n)
      break;
    o += l;
    chars++;
  }
  if (n) {
    memcpy(out, u, o < n ? o : n - 1);
    out[o < n ? o : n - 1] = 0;
  }
  return chars;
}

const char *wd_text_shown(const char *s, size_t len, char *buf, size_t n) {
  size_t o = 0, i;
  for (i = 0; i < len && o + 4 < n; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
  }
  if (i < len) {
    while (o + 4 > n && o > 0)
      o--;
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
  return buf;
}
