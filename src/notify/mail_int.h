/* mail_int.h -- what the mail reader (mail.c, mailbox.c) and builder
 * (mime.c) share, on top of GMime 3: GMime set up once per process, a
 * read-only GMime stream over caller bytes that holds GMime's parser to
 * ward's input limits, and HTML turned into text.
 * Threads: wd_mail_gmime_init() may be called from any thread, any number
 * of times; a stream belongs to one thread. */
#ifndef WD_NOTIFY_MAIL_INT_H
#define WD_NOTIFY_MAIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmime/gmime.h>

/* g_mime_init() exactly once (pthread_once); call before any GMime use. */
void wd_mail_gmime_init(void);

/* What a limit does to the parser reading a wd_mail_stream:
 * MESSAGE: one message; the stream ends where the limit is reached, so
 *   GMime sees a shorter (truncated) message.
 * MBOX: an mbox; every line starting with "From " begins a new message
 *   and new counts, and a message over a limit is skipped up to the next
 *   such line, so GMime sees it shortened and goes on with the next. */
typedef enum {
  WD_MAIL_STREAM_MESSAGE,
  WD_MAIL_STREAM_MBOX
} wd_mail_stream_mode;

/* A GMimeStream over p[0..len) (borrowed: it must outlive the stream and
 * every part GMime builds from it; nothing is copied). While the parser
 * reads it, it counts per message the lines that can make GMime allocate:
 * lines holding a ':' (header fields, WD_MAIL_FIELD_LINES_MAX) and lines
 * starting with "--" (MIME boundaries, WD_MAIL_BOUNDARY_LINES_MAX); in
 * MESSAGE mode also the fields and bytes of the top-level header section
 * (WD_MAIL_FIELDS_MAX, WD_MAIL_HEADER_MAX). Substreams (part contents)
 * count nothing. Release with g_object_unref(). */
GMimeStream *wd_mail_stream_new(const uint8_t *p, size_t len,
                                wd_mail_stream_mode mode);
/* How many times a limit cut what the parser saw (0: it saw everything). */
uint64_t wd_mail_stream_cuts(GMimeStream *s);
/* The real offset in p of what GMime's parser reports as offset `seen`
 * (they differ after an MBOX skip). Lookups must not go backwards. */
gint64 wd_mail_stream_real_offset(GMimeStream *s, gint64 seen);

/* Readable text from HTML (UTF-8): script, style, title and comments
 * dropped, character references decoded, block elements as line breaks,
 * other white space collapsed except in <pre>. Writes at most cap - 1
 * bytes and a NUL to out; sets *truncated when the text did not fit.
 * Returns the length written. One pass over the input, no allocation. */
size_t wd_mail_html_text(const char *html, size_t len, char *out, size_t cap,
                         bool *truncated);

#endif
