/* mailio.c -- GMime set up once, and the bounded input stream GMime's
 * parser reads mail through (see mail_int.h).
 * Why a stream of ward's own: GMime builds a whole tree for a message and
 * allocates for every header field (about 130 bytes) and every MIME part
 * (about 1.3 KiB), so 16 MiB of "--b\n\n" would cost gigabytes. GMime has
 * no limit of its own but reads its input through a GMimeStream; this one
 * counts, line by line as the parser pulls bytes, the lines that can make
 * it allocate, and ends (or, in an mbox, skips) the message at the first
 * line over a limit. Part contents are not copied: GMime refers to them as
 * substreams of this stream, which are plain bounded views.
 * Memory: the stream object only; the bytes are the caller's.
 * Threads: one stream per thread; the once-guard is pthread_once. */
#include <pthread.h>
#include <string.h>

#include "notify/mail.h"
#include "notify/mail_int.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void) { g_mime_init(); }

void wd_mail_gmime_init(void) { pthread_once(&gmime_once, gmime_init_once); }

/* --- the stream ----------------------------------------------------------*/

typedef struct budget {
  bool on;           /* the stream the parser reads (not a substream) */
  bool mbox;         /* WD_MAIL_STREAM_MBOX */
  gint64 scanned;    /* next line start not yet counted */
  gint64 stop;       /* first byte the parser must not see, or -1 */
  bool in_head;      /* inside the current message's top-level header */
  gint64 head_start; /* where that header section starts */
  uint32_t fields;   /* fields of that section */
  uint32_t field_lines, boundary_lines; /* of the current message */
  uint64_t cuts;
  /* GMime counts offsets as the bytes it was given, so after a skip its
   * offsets fall behind the real ones: each skip is recorded as (offset
   * GMime will see, real minus seen from there on). */
  gint64 seen;   /* bytes returned so far */
  GArray *skips; /* of skip_t, in order; NULL until the first */
  guint cursor;  /* first entry a later lookup can need */
} budget_t;

typedef struct skip {
  gint64 seen_at, delta;
} skip_t;

typedef struct WdMailStream {
  GMimeStream parent;
  const uint8_t *p;
  gint64 len; /* of p, the whole buffer; bounds come from GMimeStream */
  budget_t b;
} WdMailStream;

typedef struct WdMailStreamClass {
  GMimeStreamClass parent_class;
} WdMailStreamClass;

G_DEFINE_TYPE(WdMailStream, wd_mail_stream, GMIME_TYPE_STREAM)

static gint64 end_of(WdMailStream *s) {
  gint64 e = s->parent.bound_end;
  return e < 0 || e > s->len ? s->len : e;
}

static bool from_line(const WdMailStream *s, gint64 at, gint64 end) {
  return at + 5 <= end && !memcmp(s->p + at, "From ", 5);
}

/* Start of the first line at or after `at` that starts with "From ". */
static gint64 next_from(const WdMailStream *s, gint64 at, gint64 end) {
  while (at < end) {
    if ((at == 0 || s->p[at - 1] == '\n') && from_line(s, at, end))
      return at;
    const uint8_t *nl = memchr(s->p + at, '\n', (size_t)(end - at));
    if (!nl)
      return end;
    at = (gint64)(nl - s->p) + 1;
  }
  return end;
}

static void new_message(budget_t *b, gint64 head_start) {
  b->in_head = true;
  b->head_start = head_start;
  b->fields = b->field_lines = b->boundary_lines = 0;
}

static void over(budget_t *b, gint64 at) {
  b->stop = at;
  b->cuts++;
}

/* Counts the lines that start before `until`; sets b->stop at the first
 * one over a limit. */
static void account(WdMailStream *s, gint64 until, gint64 end) {
  budget_t *b = &s->b;
  while (b->stop < 0 && b->scanned < until && b->scanned < end) {
    gint64 ls = b->scanned;
    const uint8_t *nl = memchr(s->p + ls, '\n', (size_t)(end - ls));
    gint64 le = nl ? (gint64)(nl - s->p) : end; /* line is [ls, le) */
    gint64 next = nl ? le + 1 : end;
    const uint8_t *l = s->p + ls;
    size_t ll = (size_t)(le - ls);
    if (b->mbox && from_line(s, ls, end)) {
      new_message(b, next);
      b->scanned = next;
      continue;
    }
    if (b->in_head) {
      if (ll == 0 || (ll == 1 && l[0] == '\r')) {
        b->in_head = false;
      } else if (!b->mbox) {
        if (l[0] != ' ' && l[0] != '\t' && ++b->fields > WD_MAIL_FIELDS_MAX) {
          over(b, ls);
          return;
        }
        if (next - b->head_start > (gint64)WD_MAIL_HEADER_MAX) {
          /* the section may end in the middle of a line, as before */
          gint64 cut = b->head_start + (gint64)WD_MAIL_HEADER_MAX;
          over(b, cut > ls ? cut : ls);
          return;
        }
      }
    }
    if (ll && memchr(l, ':', ll) &&
        ++b->field_lines > WD_MAIL_FIELD_LINES_MAX) {
      over(b, ls);
      return;
    }
    if (ll >= 2 && l[0] == '-' && l[1] == '-' &&
        ++b->boundary_lines > WD_MAIL_BOUNDARY_LINES_MAX) {
      over(b, ls);
      return;
    }
    b->scanned = next;
  }
}

static ssize_t stream_read(GMimeStream *gs, char *buf, size_t len) {
  WdMailStream *s = (WdMailStream *)gs;
  gint64 end = end_of(s), pos = gs->position;
  if (pos < gs->bound_start)
    pos = gs->bound_start;
  if (s->b.on) {
    budget_t *b = &s->b;
    if (b->stop >= 0 && pos >= b->stop) {
      if (!b->mbox)
        return 0; /* the message ends here for GMime */
      /* skip the rest of this message; the next one counts afresh */
      pos = next_from(s, b->stop, end);
      b->stop = -1;
      b->scanned = pos;
      gs->position = pos;
      if (!b->skips)
        b->skips = g_array_new(FALSE, FALSE, sizeof(skip_t));
      skip_t k = {b->seen, pos - b->seen};
      g_array_append_val(b->skips, k);
    }
  }
  if (pos >= end || len == 0)
    return 0;
  gint64 lim = (gint64)len < end - pos ? pos + (gint64)len : end;
  if (s->b.on) {
    account(s, lim, end);
    if (s->b.stop >= 0 && s->b.stop < lim)
      lim = s->b.stop > pos ? s->b.stop : pos;
    if (lim == pos) { /* at the stop: end, or skip on the next read */
      if (!s->b.mbox)
        return 0;
      return stream_read(gs, buf, len);
    }
  }
  memcpy(buf, s->p + pos, (size_t)(lim - pos));
  gs->position = lim;
  s->b.seen += lim - pos;
  return (ssize_t)(lim - pos);
}

static ssize_t stream_write(GMimeStream *gs, const char *buf, size_t len) {
  (void)gs;
  (void)buf;
  (void)len;
  return -1; /* read only */
}

static int stream_flush(GMimeStream *gs) {
  (void)gs;
  return 0;
}

static int stream_close(GMimeStream *gs) {
  (void)gs;
  return 0;
}

static gboolean stream_eos(GMimeStream *gs) {
  WdMailStream *s = (WdMailStream *)gs;
  gint64 end = end_of(s);
  if (s->b.on && !s->b.mbox && s->b.stop >= 0 && s->b.stop < end)
    end = s->b.stop;
  return gs->position >= end;
}

static int stream_reset(GMimeStream *gs) {
  gs->position = gs->bound_start;
  return 0;
}

static gint64 stream_seek(GMimeStream *gs, gint64 offset,
                          GMimeSeekWhence whence) {
  WdMailStream *s = (WdMailStream *)gs;
  gint64 end = end_of(s), to;
  switch (whence) {
  case GMIME_STREAM_SEEK_SET:
    to = gs->bound_start + offset;
    break;
  case GMIME_STREAM_SEEK_CUR:
    to = gs->position + offset;
    break;
  case GMIME_STREAM_SEEK_END:
    to = end + offset;
    break;
  default:
    return -1;
  }
  if (to < gs->bound_start || to > end)
    return -1;
  gs->position = to;
  return to;
}

static gint64 stream_tell(GMimeStream *gs) { return gs->position; }

static gint64 stream_length(GMimeStream *gs) {
  WdMailStream *s = (WdMailStream *)gs;
  return end_of(s) - gs->bound_start;
}

static GMimeStream *view(const uint8_t *p, gint64 len, gint64 start,
                         gint64 end) {
  WdMailStream *s = g_object_new(wd_mail_stream_get_type(), NULL);
  s->p = p;
  s->len = len;
  s->b.on = false;
  s->b.stop = -1;
  if (start < 0)
    start = 0;
  if (start > len)
    start = len;
  if (end >= 0 && end < start)
    end = start; /* an empty view rather than an inverted one */
  g_mime_stream_construct(&s->parent, start, end);
  return &s->parent;
}

static GMimeStream *stream_substream(GMimeStream *gs, gint64 start,
                                     gint64 end) {
  WdMailStream *s = (WdMailStream *)gs;
  return view(s->p, s->len, start, end);
}

static void stream_finalize(GObject *o) {
  WdMailStream *s = (WdMailStream *)o;
  if (s->b.skips)
    g_array_free(s->b.skips, TRUE);
  G_OBJECT_CLASS(wd_mail_stream_parent_class)->finalize(o);
}

static void wd_mail_stream_class_init(WdMailStreamClass *klass) {
  GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = stream_finalize;
  sc->read = stream_read;
  sc->write = stream_write;
  sc->flush = stream_flush;
  sc->close = stream_close;
  sc->eos = stream_eos;
  sc->reset = stream_reset;
  sc->seek = stream_seek;
  sc->tell = stream_tell;
  sc->length = stream_length;
  sc->substream = stream_substream;
}

static void wd_mail_stream_init(WdMailStream *s) {
  s->p = NULL;
  s->len = 0;
  memset(&s->b, 0, sizeof s->b);
  s->b.stop = -1;
}

GMimeStream *wd_mail_stream_new(const uint8_t *p, size_t len,
                                wd_mail_stream_mode mode) {
  wd_mail_gmime_init();
  static const uint8_t empty[1];
  GMimeStream *gs = view(p ? p : empty, p ? (gint64)len : 0, 0, -1);
  WdMailStream *s = (WdMailStream *)gs;
  s->b.on = true;
  s->b.mbox = mode == WD_MAIL_STREAM_MBOX;
  new_message(&s->b, 0);
  return gs;
}

uint64_t wd_mail_stream_cuts(GMimeStream *gs) {
  return ((WdMailStream *)gs)->b.cuts;
}

gint64 wd_mail_stream_real_offset(GMimeStream *gs, gint64 seen) {
  budget_t *b = &((WdMailStream *)gs)->b;
  if (!b->skips || seen < 0)
    return seen;
  const skip_t *k = (const skip_t *)(void *)b->skips->data;
  guint n = b->skips->len, i = b->cursor;
  while (i + 1 < n && k[i + 1].seen_at <= seen)
    i++;
  gint64 delta = i < n && k[i].seen_at <= seen ? k[i].delta : 0;
  b->cursor = i;
  if (b->cursor > 64) { /* lookups only move forward: drop the past */
    g_array_remove_range(b->skips, 0, b->cursor - 1);
    b->cursor = 1;
  }
  return seen + delta;
}
