/* mailhtml.c -- readable text from the HTML body of a reply (see
 * mail_int.h). GMime converts text to HTML, not back, and a reply that
 * is HTML only must still show what the person wrote and keep the
 * incident reference findable.
 * Written from the HTML Living Standard's rendering of the common cases,
 * not as a full tree builder: script, style, title and template content
 * and comments are dropped; block elements (p, div, br, li, tr, headings,
 * blockquote, tables, lists) become line breaks, a list item also "- ";
 * table cells are separated by a space; white space collapses except in
 * <pre>; character references (named ones mail uses, decimal, hex) are
 * decoded. Anything else that looks like a tag is dropped, a '<' that
 * does not start one is kept.
 * Bounds: one forward pass over the input (every search moves forward),
 * output never past cap; no allocation. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "notify/mail_int.h"

typedef struct out {
  char *p;
  size_t cap, n;
  bool full;  /* a byte did not fit */
  int nl;     /* newlines at the end of the output */
  bool space; /* white space seen since the last character */
  int pre;    /* inside <pre> */
} out_t;

static void put(out_t *o, const char *s, size_t k) {
  if (o->full || o->n + k > o->cap - 1) {
    o->full = true;
    return;
  }
  memcpy(o->p + o->n, s, k);
  o->n += k;
}

/* A character of text (k bytes of UTF-8). */
static void text(out_t *o, const char *s, size_t k) {
  if (o->space && o->n && !o->nl)
    put(o, " ", 1);
  o->space = false;
  put(o, s, k);
  o->nl = 0;
}

static void blank(out_t *o) {
  if (o->n && !o->nl)
    o->space = true;
}

/* Ends the line; lines = 2 leaves an empty line (a paragraph). */
static void end_line(out_t *o, int lines) {
  o->space = false;
  if (!o->n)
    return;
  while (o->nl < lines && !o->full) {
    put(o, "\n", 1);
    if (!o->full)
      o->nl++;
  }
}

static size_t utf8(uint32_t c, char b[4]) {
  if (c < 0x80) {
    b[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    b[0] = (char)(0xC0 | (c >> 6));
    b[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    b[0] = (char)(0xE0 | (c >> 12));
    b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  b[0] = (char)(0xF0 | (c >> 18));
  b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  b[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static void codepoint(out_t *o, uint32_t c) {
  char b[4];
  if (c == 0xAD || c == 0x200B) /* soft hyphen, zero width space */
    return;
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
    if (o->pre) {
      if (c == '\n')
        end_line(o, o->nl + 1);
      else if (c != '\r')
        text(o, " ", 1);
    } else {
      blank(o);
    }
    return;
  }
  if (c == 0xA0 || c == 0x2002 || c == 0x2003 || c == 0x2009)
    c = ' '; /* no-break and fixed-width spaces: a space that stays */
  text(o, b, utf8(c, b));
}

/* --- character references ------------------------------------------------*/

static const struct entity {
  const char *name;
  uint16_t cp;
} entities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},
    {"quot", '"'},      {"apos", '\''},     {"nbsp", 0xA0},
    {"iexcl", 0xA1},    {"cent", 0xA2},     {"pound", 0xA3},
    {"curren", 0xA4},   {"yen", 0xA5},      {"brvbar", 0xA6},
    {"sect", 0xA7},     {"uml", 0xA8},      {"copy", 0xA9},
    {"ordf", 0xAA},     {"laquo", 0xAB},    {"not", 0xAC},
    {"shy", 0xAD},      {"reg", 0xAE},      {"macr", 0xAF},
    {"deg", 0xB0},      {"plusmn", 0xB1},   {"sup2", 0xB2},
    {"sup3", 0xB3},     {"acute", 0xB4},    {"micro", 0xB5},
    {"para", 0xB6},     {"middot", 0xB7},   {"cedil", 0xB8},
    {"sup1", 0xB9},     {"ordm", 0xBA},     {"raquo", 0xBB},
    {"frac14", 0xBC},   {"frac12", 0xBD},   {"frac34", 0xBE},
    {"iquest", 0xBF},   {"Agrave", 0xC0},   {"Aacute", 0xC1},
    {"Acirc", 0xC2},    {"Atilde", 0xC3},   {"Auml", 0xC4},
    {"Aring", 0xC5},    {"AElig", 0xC6},    {"Ccedil", 0xC7},
    {"Egrave", 0xC8},   {"Eacute", 0xC9},   {"Ecirc", 0xCA},
    {"Euml", 0xCB},     {"Igrave", 0xCC},   {"Iacute", 0xCD},
    {"Icirc", 0xCE},    {"Iuml", 0xCF},     {"ETH", 0xD0},
    {"Ntilde", 0xD1},   {"Ograve", 0xD2},   {"Oacute", 0xD3},
    {"Ocirc", 0xD4},    {"Otilde", 0xD5},   {"Ouml", 0xD6},
    {"times", 0xD7},    {"Oslash", 0xD8},   {"Ugrave", 0xD9},
    {"Uacute", 0xDA},   {"Ucirc", 0xDB},    {"Uuml", 0xDC},
    {"Yacute", 0xDD},   {"THORN", 0xDE},    {"szlig", 0xDF},
    {"agrave", 0xE0},   {"aacute", 0xE1},   {"acirc", 0xE2},
    {"atilde", 0xE3},   {"auml", 0xE4},     {"aring", 0xE5},
    {"aelig", 0xE6},    {"ccedil", 0xE7},   {"egrave", 0xE8},
    {"eacute", 0xE9},   {"ecirc", 0xEA},    {"euml", 0xEB},
    {"igrave", 0xEC},   {"iacute", 0xED},   {"icirc", 0xEE},
    {"iuml", 0xEF},     {"eth", 0xF0},      {"ntilde", 0xF1},
    {"ograve", 0xF2},   {"oacute", 0xF3},   {"ocirc", 0xF4},
    {"otilde", 0xF5},   {"ouml", 0xF6},     {"divide", 0xF7},
    {"oslash", 0xF8},   {"ugrave", 0xF9},   {"uacute", 0xFA},
    {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},
    {"thorn", 0xFE},    {"yuml", 0xFF},     {"OElig", 0x152},
    {"oelig", 0x153},   {"Scaron", 0x160},  {"scaron", 0x161},
    {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2C6},
    {"tilde", 0x2DC},   {"ensp", 0x2002},   {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"zwnj", 0x200C},   {"zwj", 0x200D},
    {"lrm", 0x200E},    {"rlm", 0x200F},    {"ndash", 0x2013},
    {"mdash", 0x2014},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D},
    {"bdquo", 0x201E},  {"dagger", 0x2020}, {"Dagger", 0x2021},
    {"bull", 0x2022},   {"hellip", 0x2026}, {"permil", 0x2030},
    {"prime", 0x2032},  {"lsaquo", 0x2039}, {"rsaquo", 0x203A},
    {"euro", 0x20AC},   {"trade", 0x2122},  {"larr", 0x2190},
    {"rarr", 0x2192},   {"minus", 0x2212},
};

/* Numeric references 128-159 name windows-1252 characters (HTML). */
static const uint16_t c1[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

static int hexdigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A reference at s[i] == '&': emits it and returns the index after it, or
 * returns i when it is not one (the '&' is then text). */
static size_t reference(out_t *o, const char *s, size_t len, size_t i) {
  size_t j = i + 1;
  if (j < len && s[j] == '#') {
    bool hex = j + 1 < len && (s[j + 1] == 'x' || s[j + 1] == 'X');
    j += hex ? 2 : 1;
    uint32_t v = 0;
    size_t d0 = j;
    for (; j < len && j - d0 < 16; j++) {
      int h = hexdigit(s[j]);
      if (h < 0 || (!hex && h > 9))
        break;
      v = v > 0x10FFFF ? v : v * (hex ? 16 : 10) + (uint32_t)h;
    }
    if (j == d0)
      return i;
    if (j < len && s[j] == ';')
      j++;
    if (v >= 0x80 && v <= 0x9F)
      v = c1[v - 0x80];
    else if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      v = 0xFFFD;
    codepoint(o, v);
    return j;
  }
  while (j < len && j - i <= 10 &&
         ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
          (s[j] >= '0' && s[j] <= '9')))
    j++;
  if (j >= len || s[j] != ';' || j == i + 1)
    return i;
  size_t nl = j - i - 1;
  for (size_t k = 0; k < sizeof entities / sizeof *entities; k++) {
    if (strlen(entities[k].name) == nl &&
        !memcmp(entities[k].name, s + i + 1, nl)) {
      codepoint(o, entities[k].cp);
      return j + 1;
    }
  }
  return i;
}

/* --- tags ------------------------------------------------------------------*/

static bool alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool one_of(const char *name, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(name, *list))
      return true;
  return false;
}

/* Index after the '>' that ends a tag whose attributes start at j (quoted
 * values may hold '>'), or len. */
static size_t tag_end(const char *s, size_t len, size_t j) {
  while (j < len && s[j] != '>') {
    if (s[j] == '"' || s[j] == '\'') {
      const char *q = memchr(s + j + 1, s[j], len - j - 1);
      j = q ? (size_t)(q - s) + 1 : len;
    } else {
      j++;
    }
  }
  return j < len ? j + 1 : len;
}

/* Index after the end tag "</name ...>" of a raw-text element, or len. */
static size_t raw_end(const char *s, size_t len, size_t j, const char *name) {
  size_t nl = strlen(name);
  while (j < len) {
    const char *lt = memchr(s + j, '<', len - j);
    if (!lt)
      return len;
    j = (size_t)(lt - s) + 1;
    if (j + 1 + nl <= len && s[j] == '/' && !strncasecmp(s + j + 1, name, nl) &&
        (j + 1 + nl == len || !alpha(s[j + 1 + nl])))
      return tag_end(s, len, j + 1 + nl);
  }
  return len;
}

static void element(out_t *o, const char *name, bool closing) {
  static const char *const para[] = {
      "p",       "h1",         "h2",       "h3",      "h4",     "h5",
      "h6",      "blockquote", "table",    "ul",      "ol",     "dl",
      "hr",      "form",       "fieldset", "address", "center", "section",
      "article", "header",     "footer",   "nav",     "aside",  "main",
      "figure",  "details",    "pre",      NULL};
  static const char *const line[] = {
      "br",      "div",     "li",         "tr",     "dt",     "dd",
      "caption", "summary", "figcaption", "option", "legend", NULL};
  if (!strcmp(name, "pre")) {
    if (closing && o->pre > 0)
      o->pre--;
    else if (!closing && o->pre < 64)
      o->pre++;
  }
  if (one_of(name, para)) {
    end_line(o, 2);
  } else if (one_of(name, line)) {
    end_line(o, 1);
    if (!closing && !strcmp(name, "li"))
      text(o, "- ", 2);
  } else if (!strcmp(name, "td") || !strcmp(name, "th")) {
    blank(o);
  }
}

size_t wd_mail_html_text(const char *s, size_t len, char *buf, size_t cap,
                         bool *truncated) {
  static const char *const raw[] = {"script",  "style",    "title", "template",
                                    "noembed", "noframes", NULL};
  out_t o = {.p = buf, .cap = cap};
  if (cap == 0)
    return 0;
  size_t i = 0;
  while (i < len && !o.full) {
    char c = s[i];
    if (c == '<' && i + 1 < len) {
      char d = s[i + 1];
      if (d == '!' && i + 3 < len && s[i + 2] == '-' && s[i + 3] == '-') {
        size_t j = i + 4;
        for (;; j++) { /* comment: up to "-->" */
          const char *dash = j < len ? memchr(s + j, '-', len - j) : NULL;
          if (!dash || (size_t)(dash - s) + 2 >= len) {
            j = len;
            break;
          }
          j = (size_t)(dash - s);
          if (s[j + 1] == '-' && s[j + 2] == '>') {
            j += 3;
            break;
          }
        }
        i = j;
        continue;
      }
      if (d == '!' || d == '?') { /* doctype, CDATA, processing */
        i = tag_end(s, len, i + 2);
        continue;
      }
      bool closing = d == '/';
      size_t j = i + 1 + (closing ? 1 : 0);
      if (j < len && alpha(s[j])) {
        char name[16];
        size_t n = 0;
        while (j < len && (alpha(s[j]) || (s[j] >= '0' && s[j] <= '9'))) {
          if (n < sizeof name - 1)
            name[n++] = (char)(s[j] | 0x20);
          else
            n = sizeof name; /* too long: no element we know */
          j++;
        }
        name[n < sizeof name ? n : 0] = '\0';
        size_t after = tag_end(s, len, j);
        bool self = after >= 2 && after <= len && s[after - 1] == '>' &&
                    s[after - 2] == '/';
        if (!closing && !self && one_of(name, raw))
          after = raw_end(s, len, after, name);
        else
          element(&o, name, closing);
        i = after;
        continue;
      }
    }
    if (c == '&') {
      size_t j = reference(&o, s, len, i);
      if (j != i) {
        i = j;
        continue;
      }
    }
    unsigned char u = (unsigned char)c;
    if (u == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) {
      codepoint(&o, 0xA0); /* UTF-8 no-break space */
      i += 2;
    } else if (u < 0x80) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
        codepoint(&o, (uint32_t)u);
      else
        text(&o, &c, 1);
      i++;
    } else {
      size_t k = 1; /* a UTF-8 sequence stays whole */
      while (i + k < len && k < 4 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
        k++;
      text(&o, s + i, k);
      i += k;
    }
  }
  while (o.n && (o.p[o.n - 1] == '\n' || o.p[o.n - 1] == ' '))
    o.n--;
  o.p[o.n] = '\0';
  if (truncated)
    *truncated = o.full;
  return o.n;
}
