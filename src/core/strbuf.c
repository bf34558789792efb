/* strbuf.c -- growable byte buffer with a hard cap (see strbuf.h).
 * Memory: one malloc'd block per buffer, doubled as needed up to max
 * (plus its NUL). The model is curl's dynbuf: a cap set at init, sticky
 * errors, the block handed over whole. */
#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes asked of a file at a time by wd_strbuf_read. */
#define READ_CHUNK ((size_t)64 << 10)

void wd_strbuf_init(wd_strbuf_t *b, size_t max) {
  b->p = NULL;
  b->len = b->cap = 0;
  b->max = max ? max : WD_STRBUF_DEFAULT_CAP;
  b->rc = WD_OK;
}

void wd_strbuf_fini(wd_strbuf_t *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static wd_rc reserve(wd_strbuf_t *b, size_t n) {
  if (b->rc != WD_OK)
    return b->rc;
  if (n > b->max - b->len) {
    b->rc = WD_ERR_FULL;
    return b->rc;
  }
  size_t need = b->len + n + 1;
  if (need <= b->cap)
    return WD_OK;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (b->max < SIZE_MAX && cap > b->max + 1)
    cap = b->max + 1; /* never more than the cap can use */
  char *np = realloc(b->p, cap);
  if (!np) {
    b->rc = WD_ERR_NOMEM;
    return b->rc;
  }
  b->p = np;
  b->cap = cap;
  return WD_OK;
}

wd_rc wd_strbuf_append(wd_strbuf_t *b, const void *p, size_t n) {
  wd_rc rc = reserve(b, n);
  if (rc != WD_OK)
    return rc;
  if (n)
    memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = '\0';
  return WD_OK;
}

wd_rc wd_strbuf_puts(wd_strbuf_t *b, const char *s) {
  return wd_strbuf_append(b, s, strlen(s));
}

wd_rc wd_strbuf_putc(wd_strbuf_t *b, char c) {
  return wd_strbuf_append(b, &c, 1);
}

wd_rc wd_strbuf_vprintf(wd_strbuf_t *b, const char *fmt, va_list ap) {
  if (b->rc != WD_OK)
    return b->rc;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->rc = WD_ERR_INVAL;
    return b->rc;
  }
  wd_rc rc = reserve(b, (size_t)n);
  if (rc != WD_OK)
    return rc;
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return WD_OK;
}

wd_rc wd_strbuf_printf(wd_strbuf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  wd_rc rc = wd_strbuf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

wd_rc wd_strbuf_read(wd_strbuf_t *b, FILE *f) {
  for (;;) {
    if (b->rc != WD_OK)
      return b->rc;
    size_t room = b->max - b->len;
    if (room == 0) {
      /* Full: one more byte in f means it does not fit. */
      int c = fgetc(f);
      if (c != EOF)
        b->rc = WD_ERR_FULL;
      else if (ferror(f))
        b->rc = WD_ERR_IO;
      return b->rc;
    }
    size_t want = room < READ_CHUNK ? room : READ_CHUNK;
    wd_rc rc = reserve(b, want);
    if (rc != WD_OK)
      return rc;
    size_t n = fread(b->p + b->len, 1, want, f);
    b->len += n;
    b->p[b->len] = '\0';
    if (n < want) {
      if (ferror(f))
        b->rc = WD_ERR_IO;
      return b->rc;
    }
  }
}

const char *wd_strbuf_str(const wd_strbuf_t *b) { return b->p ? b->p : ""; }

char *wd_strbuf_take(wd_strbuf_t *b, size_t *len) {
  char *p = NULL;
  size_t n = 0;
  if (b->rc == WD_OK) {
    if (!b->p && reserve(b, 0) == WD_OK)
      b->p[0] = '\0';
    p = b->p;
    n = b->len;
    b->p = NULL;
  }
  wd_strbuf_fini(b);
  b->rc = WD_OK;
  if (len)
    *len = n;
  return p;
}
