/* text.h -- making outside text safe for a terminal.
 * In: NUL-terminated bytes from the network or a database (AS names from
 * an mmdb, SMB share paths, signatures, facility names): any bytes. Out:
 * the same text in caller storage where every byte that is not valid,
 * printable UTF-8 is written as an escape, so a human reading ward's
 * output sees what was there and a terminal never receives a control
 * sequence or a broken character. Memory: caller buffers only, no
 * allocation. Threads: any. */
#ifndef WD_CORE_TEXT_H
#define WD_CORE_TEXT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when the
 * bytes there are not one (bad lead or continuation byte, overlong form,
 * surrogate, above U+10FFFF, cut short). NUL is a sequence of 1. */
size_t wd_utf8_seq(const unsigned char *s, size_t n);

/* Copies s into out (size n, n >= 1; always NUL-terminated) for human
 * output: printable UTF-8 as it is; a byte that is not valid UTF-8 as
 * \xHH; C0 controls (tab and newline included) and DEL as \xHH; C1
 * controls, line/paragraph separators and bidirectional overrides
 * (U+0080..U+009F, U+2028, U+2029, U+202A..U+202E, U+2066..U+2069) as
 * \uXXXX. Backslashes are kept as they are. Output longer than out is cut
 * at a character (never inside an escape or a UTF-8 sequence) and ends in
 * "~". An output four times the input plus one byte always fits. s NULL
 * is "". Returns out. */
char *wd_text_escape(const char *s, char *out, size_t n);

/* Display width of already escaped text: characters (code points), not
 * bytes. */
size_t wd_text_width(const char *s);

/* Copies the first at most w characters of escaped text s into out (size
 * n, always NUL-terminated), never splitting a UTF-8 sequence. Returns the
 * number of characters copied. */
size_t wd_text_cut(const char *s, size_t w, char *out, size_t n);

/* Copies len bytes of s into buf (size n, n >= 5) for a one-line message
 * naming what a file held (a key, a value): control and non-ASCII bytes
 * become '?', text that does not fit is cut and ends in "...". Returns
 * buf. */
const char *wd_text_shown(const char *s, size_t len, char *buf, size_t n);

#endif
