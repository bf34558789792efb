/* yaml.c -- the YAML reader (see yaml.h) over libyaml's event parser.
 * In: text in memory, borrowed. Out: wd_yaml_event_t views of libyaml's
 * events: the reader keeps the current libyaml event and deletes it when
 * the next one is read, so callers never free an event. Errors: libyaml's
 * problem and context in one line at its mark; reader errors (NUL,
 * invalid UTF-8), which libyaml gives as a byte offset, are turned into a
 * line and column by counting newlines and UTF-8 lead bytes up to it.
 * Memory: the reader struct and libyaml's parser, freed by wd_yaml_free.
 * No global state. */
#include "core/yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/text.h"

struct wd_yaml {
  const char *name; /* for messages */
  const char *buf;  /* the text, for positions of reader errors */
  size_t len;
  char *err; /* caller's message buffer (may be NULL) */
  size_t errlen;
  bool failed;        /* a message is written (or would be) */
  wd_rc rc;           /* sticky: the error every later call returns */
  unsigned depth;     /* lists and mappings open now */
  unsigned depth_max; /* deepest accepted */
  yaml_parser_t p;    /* libyaml's parser over buf */
  yaml_event_t raw;   /* the current libyaml event ... */
  bool have_raw;      /* ... when there is one */
  wd_yaml_event_t ev; /* the caller's view of raw */
};

static wd_yaml_mark_t mark_of(yaml_mark_t m) {
  wd_yaml_mark_t r;
  r.line = m.line >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)m.line + 1;
  r.col = m.column >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)m.column + 1;
  return r;
}

static void vfail(wd_yaml_t *y, wd_yaml_mark_t at, const char *key,
                  const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void vfail(wd_yaml_t *y, wd_yaml_mark_t at, const char *key,
                  const char *fmt, va_list ap) {
  if (y->failed)
    return;
  y->failed = true;
  if (!y->err || y->errlen == 0)
    return;
  char k[96];
  int n;
  if (key)
    n = snprintf(y->err, y->errlen, "%s:%u:%u: %s: ", y->name, at.line, at.col,
                 wd_text_shown(key, strlen(key), k, sizeof k));
  else
    n = snprintf(y->err, y->errlen, "%s:%u:%u: ", y->name, at.line, at.col);
  if (n >= 0 && (size_t)n < y->errlen)
    vsnprintf(y->err + n, y->errlen - (size_t)n, fmt, ap);
}

wd_rc wd_yaml_fail(wd_yaml_t *y, wd_yaml_mark_t at, const char *key,
                   const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(y, at, key, fmt, ap);
  va_end(ap);
  return WD_ERR_CONFIG;
}

bool wd_yaml_failed(const wd_yaml_t *y) { return y->failed; }

wd_rc wd_yaml_new(const char *name, const char *buf, size_t len,
                  unsigned depth_max, char *err, size_t errlen,
                  wd_yaml_t **out) {
  *out = NULL;
  if (!name || depth_max == 0)
    return WD_ERR_INVAL;
  wd_yaml_t *y = calloc(1, sizeof *y);
  if (!y)
    return WD_ERR_NOMEM;
  if (!yaml_parser_initialize(&y->p)) {
    free(y);
    return WD_ERR_NOMEM;
  }
  y->name = name;
  y->buf = buf ? buf : "";
  y->len = buf ? len : 0;
  y->err = err;
  y->errlen = errlen;
  y->depth_max = depth_max;
  yaml_parser_set_input_string(&y->p, (const unsigned char *)y->buf, y->len);
  *out = y;
  return WD_OK;
}

void wd_yaml_free(wd_yaml_t *y) {
  if (!y)
    return;
  if (y->have_raw)
    yaml_event_delete(&y->raw);
  yaml_parser_delete(&y->p);
  free(y);
}

/* Where a reader error (bad bytes) is: libyaml gives a byte offset. */
static wd_yaml_mark_t offset_mark(const wd_yaml_t *y, size_t off) {
  wd_yaml_mark_t at = {1, 1};
  if (off > y->len)
    off = y->len;
  for (size_t i = 0; i < off; i++) {
    if (y->buf[i] == '\n') {
      at.line++;
      at.col = 1;
    } else if (((unsigned char)y->buf[i] & 0xc0) != 0x80) {
      at.col++;
    }
  }
  return at;
}

/* libyaml refuses a plain value that starts with ':' inside [ ] (an IPv6
 * prefix such as ::1 or ::/0) saying only that it found no node there:
 * the message then says what to write. */
static const char *flow_colon_hint(const wd_yaml_t *y) {
  const yaml_parser_t *p = &y->p;
  size_t i = p->problem_mark.index;
  if (p->error == YAML_PARSER_ERROR && p->context &&
      strstr(p->context, "flow") && i < y->len && y->buf[i] == ':')
    return " (quote a value in [ ] that starts with ':', as in [\"::1\"])";
  return "";
}

static wd_rc parse_error(wd_yaml_t *y) {
  const yaml_parser_t *p = &y->p;
  if (p->error == YAML_MEMORY_ERROR) {
    if (!y->failed && y->err && y->errlen)
      snprintf(y->err, y->errlen, "%s: out of memory while reading", y->name);
    y->failed = true;
    return WD_ERR_NOMEM;
  }
  wd_yaml_mark_t at = p->error == YAML_READER_ERROR
                          ? offset_mark(y, p->problem_offset)
                          : mark_of(p->problem_mark);
  char a[96], b[96];
  const char *prob = p->problem ? p->problem : "malformed input";
  wd_text_shown(prob, strlen(prob), b, sizeof b);
  if (p->context)
    return wd_yaml_fail(
        y, at, "yaml", "%s %s; expected well-formed YAML%s",
        wd_text_shown(p->context, strlen(p->context), a, sizeof a), b,
        flow_colon_hint(y));
  return wd_yaml_fail(y, at, "yaml", "%s; expected well-formed YAML", b);
}

static wd_rc refuse(wd_yaml_t *y, wd_rc rc) {
  y->rc = rc;
  return rc;
}

wd_rc wd_yaml_next(wd_yaml_t *y, const wd_yaml_event_t **ev) {
  *ev = NULL;
  if (y->rc != WD_OK)
    return y->rc;
  if (y->have_raw) {
    yaml_event_delete(&y->raw);
    y->have_raw = false;
  }
  if (!yaml_parser_parse(&y->p, &y->raw))
    return refuse(y, parse_error(y));
  y->have_raw = true;
  const yaml_event_t *r = &y->raw;
  wd_yaml_event_t *e = &y->ev;
  memset(e, 0, sizeof *e);
  e->at = mark_of(r->start_mark);
  const yaml_char_t *anchor = NULL;
  switch (r->type) {
  case YAML_STREAM_START_EVENT:
    e->kind = WD_YAML_STREAM_START;
    break;
  case YAML_STREAM_END_EVENT:
    e->kind = WD_YAML_STREAM_END;
    break;
  case YAML_DOCUMENT_START_EVENT:
    e->kind = WD_YAML_DOC_START;
    break;
  case YAML_DOCUMENT_END_EVENT:
    e->kind = WD_YAML_DOC_END;
    break;
  case YAML_SCALAR_EVENT:
    e->kind = WD_YAML_SCALAR;
    e->s = (const char *)r->data.scalar.value;
    e->len = r->data.scalar.length;
    e->plain = r->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    anchor = r->data.scalar.anchor;
    break;
  case YAML_SEQUENCE_START_EVENT:
    e->kind = WD_YAML_SEQ_START;
    anchor = r->data.sequence_start.anchor;
    break;
  case YAML_MAPPING_START_EVENT:
    e->kind = WD_YAML_MAP_START;
    anchor = r->data.mapping_start.anchor;
    break;
  case YAML_SEQUENCE_END_EVENT:
    e->kind = WD_YAML_SEQ_END;
    break;
  case YAML_MAPPING_END_EVENT:
    e->kind = WD_YAML_MAP_END;
    break;
  default: /* YAML_ALIAS_EVENT (YAML_NO_EVENT is never returned) */
    anchor = (const yaml_char_t *)"";
    break;
  }
  if (anchor)
    return refuse(y, wd_yaml_fail(y, e->at, "yaml",
                                  "anchors and aliases are not supported; "
                                  "expected plain values"));
  if (e->kind == WD_YAML_SEQ_START || e->kind == WD_YAML_MAP_START) {
    if (y->depth >= y->depth_max)
      return refuse(y, wd_yaml_fail(y, e->at, "yaml",
                                    "nested deeper than %u levels; expected "
                                    "at most %u levels of lists and mappings",
                                    y->depth_max, y->depth_max));
    y->depth++;
  } else if ((e->kind == WD_YAML_SEQ_END || e->kind == WD_YAML_MAP_END) &&
             y->depth > 0) {
    y->depth--;
  }
  *ev = e;
  return WD_OK;
}

bool wd_yaml_is_null(const wd_yaml_event_t *ev) {
  if (ev->kind != WD_YAML_SCALAR || !ev->plain)
    return false;
  const char *s = ev->s;
  size_t len = ev->len;
  return len == 0 || (len == 1 && s[0] == '~') ||
         (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
                       memcmp(s, "NULL", 4) == 0));
}

const char *wd_yaml_what(const wd_yaml_event_t *ev) {
  switch (ev->kind) {
  case WD_YAML_SEQ_START:
    return "a list";
  case WD_YAML_MAP_START:
    return "a mapping";
  case WD_YAML_SCALAR:
    return "a value";
  default:
    return "the end of a block";
  }
}
