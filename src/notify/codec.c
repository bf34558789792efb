/* codec.c -- base64, hex and UUIDv5 (see codec.h). SHA-1 for UUIDv5 comes
 * from OpenSSL's libcrypto (EVP). Written from RFC 4648 and RFC 9562. */
#include "notify/codec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

wd_rc wd_codec_base64(wd_strbuf_t *out, const void *vp, size_t n,
                      unsigned wrap) {
  const uint8_t *p = vp;
  char line[80];
  size_t col = 0;
  unsigned w = wrap ? (wrap / 4) * 4 : 76;
  if (w == 0 || w > 76)
    w = 76;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    size_t left = n - i;
    if (left > 1)
      v |= (uint32_t)p[i + 1] << 8;
    if (left > 2)
      v |= p[i + 2];
    line[col++] = b64[(v >> 18) & 63];
    line[col++] = b64[(v >> 12) & 63];
    line[col++] = left > 1 ? b64[(v >> 6) & 63] : '=';
    line[col++] = left > 2 ? b64[v & 63] : '=';
    if (col >= w) {
      wd_strbuf_append(out, line, col);
      if (wrap)
        wd_strbuf_append(out, "\r\n", 2);
      col = 0;
    }
  }
  if (col) {
    wd_strbuf_append(out, line, col);
    if (wrap)
      wd_strbuf_append(out, "\r\n", 2);
  }
  return wd_strbuf_rc(out);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool wd_codec_hex_decode(const char *hex, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!hex[2 * i] || !hex[2 * i + 1])
      return false;
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return hex[2 * n] == '\0';
}

wd_rc wd_codec_uuid5(const char *ns, const void *name, size_t len,
                     char out[37]) {
  uint8_t nsb[16], md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  char hex[33];
  size_t h = 0;
  for (size_t i = 0; ns[i] && h < 32; i++)
    if (ns[i] != '-')
      hex[h++] = ns[i];
  hex[h] = '\0';
  if (h != 32 || !wd_codec_hex_decode(hex, nsb, 16))
    return WD_ERR_INVAL;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx)
    return WD_ERR_NOMEM;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
            EVP_DigestUpdate(ctx, nsb, 16) == 1 &&
            EVP_DigestUpdate(ctx, name, len) == 1 &&
            EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 16;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return WD_ERR_UNSUPPORTED;
  md[6] = (uint8_t)((md[6] & 0x0F) | 0x50);
  md[8] = (uint8_t)((md[8] & 0x3F) | 0x80);
  snprintf(out, 37,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x%02x%02x%02x%02x",
           md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9],
           md[10], md[11], md[12], md[13], md[14], md[15]);
  return WD_OK;
}
