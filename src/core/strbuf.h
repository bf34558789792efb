/* strbuf.h -- ward's one growable byte buffer, with a hard cap, for
 * building one message, document or report at a time, or reading one
 * whole file (a configuration, a directory, a feed).
 * In: appended bytes, formatted text or a file. Out: a NUL-terminated buffer
 * the wd_strbuf_t owns until wd_strbuf_fini() or wd_strbuf_take() hands it to
 * the caller (then free() it). A buffer never grows past its cap: the
 * append that would cross it fails with WD_ERR_FULL and the buffer keeps
 * what it had, so a hostile input cannot make a document grow unbounded.
 * Errors are sticky: after one failure every append fails, and callers
 * check once at the end (wd_strbuf_rc); out of memory is WD_ERR_NOMEM,
 * the same way. Threads: one buffer, one thread. */
#ifndef WD_CORE_STRBUF_H
#define WD_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "core/rc.h"

/* Default cap: a notification with its evidence attachment in base64. */
#define WD_STRBUF_DEFAULT_CAP ((size_t)64 << 20)

typedef struct wd_strbuf {
  char *p;    /* NUL-terminated contents, NULL until the first append */
  size_t len; /* bytes used, without the NUL */
  size_t cap; /* bytes allocated */
  size_t max; /* hard limit on len */
  wd_rc rc;   /* first error, WD_OK while none */
} wd_strbuf_t;

void wd_strbuf_init(wd_strbuf_t *b, size_t max);
void wd_strbuf_fini(wd_strbuf_t *b);
wd_rc wd_strbuf_append(wd_strbuf_t *b, const void *p, size_t n);
wd_rc wd_strbuf_puts(wd_strbuf_t *b, const char *s);
wd_rc wd_strbuf_putc(wd_strbuf_t *b, char c);
wd_rc wd_strbuf_printf(wd_strbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
wd_rc wd_strbuf_vprintf(wd_strbuf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends everything f still holds, up to its end. WD_ERR_FULL when f
 * holds more than the cap leaves (the buffer keeps what fitted),
 * WD_ERR_IO when reading fails (errno says why), WD_ERR_NOMEM. */
wd_rc wd_strbuf_read(wd_strbuf_t *b, FILE *f);
/* Contents as a string ("" when empty); borrowed until the next append. */
const char *wd_strbuf_str(const wd_strbuf_t *b);
static inline wd_rc wd_strbuf_rc(const wd_strbuf_t *b) { return b->rc; }
/* Hands the contents to the caller (free()) and resets the buffer; NULL
 * with *len 0 after an error. */
char *wd_strbuf_take(wd_strbuf_t *b, size_t *len);

#endif
