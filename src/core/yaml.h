/* yaml.h -- the one YAML reader of ward (configuration, directory of
 * responsible parties): libyaml's event parser, one pass, no document
 * tree, with positions and messages in ward's form.
 * In: YAML text in memory (borrowed for the reader's life) and a name for
 * messages. Out: one event at a time, borrowed until the next call; the
 * first error as one line "NAME:LINE:COL: KEY: problem; expected ..." in
 * the caller's buffer. Hostile text: anchors and aliases are refused (no
 * expansion bombs, and one place per value keeps messages exact);
 * collections nest at most depth_max deep; bytes libyaml refuses (NUL,
 * invalid UTF-8) are placed by line and column like any other error.
 * Memory: wd_yaml_new allocates the reader and libyaml's buffers,
 * wd_yaml_free releases them. Threads: one reader per thread. */
#ifndef WD_CORE_YAML_H
#define WD_CORE_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* A place in the text: 1-based line and column (characters, not bytes);
 * line 0 means "not given". */
typedef struct wd_yaml_mark {
  uint32_t line, col;
} wd_yaml_mark_t;

typedef enum {
  WD_YAML_STREAM_START,
  WD_YAML_STREAM_END,
  WD_YAML_DOC_START,
  WD_YAML_DOC_END,
  WD_YAML_SCALAR,
  WD_YAML_SEQ_START,
  WD_YAML_SEQ_END,
  WD_YAML_MAP_START,
  WD_YAML_MAP_END
} wd_yaml_kind;

typedef struct wd_yaml_event {
  wd_yaml_kind kind;
  wd_yaml_mark_t at; /* where the event starts */
  const char *s;     /* scalars: the value, NUL-terminated; it may hold NUL
                        bytes of its own (quoted "\0"): len counts them */
  size_t len;
  bool plain; /* scalars: written without quotes (only these can be null) */
} wd_yaml_event_t;

typedef struct wd_yaml wd_yaml_t;

/* A reader over buf[0..len) named name in messages (both borrowed until
 * wd_yaml_free). depth_max: deepest nesting of lists and mappings
 * accepted (at least 1). err/errlen: where the first error goes (may be
 * NULL/0). WD_ERR_NOMEM or WD_ERR_INVAL (no name, depth_max 0). */
wd_rc wd_yaml_new(const char *name, const char *buf, size_t len,
                  unsigned depth_max, char *err, size_t errlen,
                  wd_yaml_t **out);
void wd_yaml_free(wd_yaml_t *y);

/* The next event into *ev (borrowed until the next call or wd_yaml_free).
 * WD_ERR_CONFIG on malformed text, an anchor, an alias or nesting past
 * depth_max (the message is written: "NAME:L:C: yaml: ..."),
 * WD_ERR_NOMEM when libyaml runs out of memory ("NAME: out of memory while
 * reading"). After an error every call fails the same way. */
wd_rc wd_yaml_next(wd_yaml_t *y, const wd_yaml_event_t **ev);

/* Writes "NAME:LINE:COL: KEY: " and the formatted text as the reader's
 * error, unless one is already written (the first error is the one that
 * counts). key NULL: no key part. key is shown with control and non-ASCII
 * bytes as '?'. Returns WD_ERR_CONFIG. */
wd_rc wd_yaml_fail(wd_yaml_t *y, wd_yaml_mark_t at, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* True once an error is written (by the reader or wd_yaml_fail). */
bool wd_yaml_failed(const wd_yaml_t *y);

/* The YAML null: a plain scalar that is empty, "~", "null", "Null" or
 * "NULL". False for anything but a scalar. */
bool wd_yaml_is_null(const wd_yaml_event_t *ev);

/* What an event is, for messages: "a list", "a mapping", "a value" or
 * "the end of a block". */
const char *wd_yaml_what(const wd_yaml_event_t *ev);

#endif
