/* mailbox.c -- .eml, directories, mbox and Maildir (see mailbox.h). An
 * mbox is split by GMime's parser (GMIME_FORMAT_MBOX) reading the mapped
 * file through a wd_mail_stream (mail_int.h), which bounds what GMime
 * builds per message.
 * Memory: one malloc'd buffer per message (a file's contents, or an mbox
 * message with its ">From " lines unescaped), freed after the callback;
 * GMime's objects for one mbox message at a time; mbox files are mapped
 * read-only, never loaded whole. */
#include "notify/mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/mail.h"
#include "notify/mail_int.h"

/* One mbox message p[0..len) without its "From " line: unescape
 * ">From ", ">>From " ... by one '>' (mboxrd; harmless for mboxo). */
static wd_rc emit_mbox_msg(const uint8_t *p, size_t len, const char *name,
                           uint64_t n, wd_mailbox_fn fn, void *user,
                           wd_mailbox_stats_t *st) {
  char where[4200];
  if (len > WD_MAILBOX_MSG_MAX) {
    st->skipped_large++;
    return WD_OK;
  }
  if (st->messages >= WD_MAILBOX_MSGS_MAX) {
    st->truncated = true;
    return WD_END;
  }
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf)
    return WD_ERR_NOMEM;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    const uint8_t *nl = memchr(p + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - p) + 1 : len; /* the line with its LF */
    size_t k = i;
    while (k < e && p[k] == '>')
      k++;
    size_t start =
        (k > i && e - k >= 5 && !memcmp(p + k, "From ", 5)) ? i + 1 : i;
    memcpy(buf + o, p + start, e - start);
    o += e - start;
    i = e;
  }
  snprintf(where, sizeof where, "%s#%llu", name, (unsigned long long)n);
  st->messages++;
  wd_rc rc = fn(user, where, buf, o);
  free(buf);
  return rc;
}

/* A "From " line separates messages when it starts the mbox or follows an
 * empty line, as every mbox writer leaves one before it (RFC 4155). One
 * that does not is a body line a writer forgot to escape. */
static bool separator(const uint8_t *p, gint64 at) {
  if (at == 0)
    return true;
  if (at < 2 || p[at - 1] != '\n')
    return false;
  return p[at - 2] == '\n' ||
         (at >= 3 && p[at - 2] == '\r' && p[at - 3] == '\n');
}

wd_rc wd_mailbox_mbox(const uint8_t *p, size_t len, const char *name,
                      wd_mailbox_fn fn, void *user, wd_mailbox_stats_t *st) {
  /* GMime's parser finds the "From " lines (GMIME_FORMAT_MBOX) through a
   * wd_mail_stream, which keeps each message it builds within the limits
   * of mail.h; the messages themselves are handed on as bytes, exactly as
   * they are in the file (ward parses each one again, on its own). */
  GMimeStream *s = wd_mail_stream_new(p, len, WD_MAIL_STREAM_MBOX);
  GMimeParser *ps = g_mime_parser_new_with_stream(s);
  g_mime_parser_set_format(ps, GMIME_FORMAT_MBOX);
  g_mime_parser_set_respect_content_length(ps, FALSE);
  GMimeParserOptions *opts = g_mime_parser_options_new();
  gint64 start = -1; /* first byte after the current message's "From " */
  uint64_t n = 0;
  wd_rc rc = WD_OK;
  while (rc == WD_OK && !g_mime_parser_eos(ps)) {
    GMimeMessage *msg = g_mime_parser_construct_message(ps, opts);
    if (!msg)
      break;
    gint64 at =
        wd_mail_stream_real_offset(s, g_mime_parser_get_mbox_marker_offset(ps));
    g_object_unref(msg);
    if (at < 0 || at >= (gint64)len || at < start || !separator(p, at))
      continue;
    if (start >= 0)
      rc = emit_mbox_msg(p + start, (size_t)(at - start), name, ++n, fn, user,
                         st);
    const uint8_t *nl = memchr(p + at, '\n', len - (size_t)at);
    start = nl ? (gint64)(nl - p) + 1 : (gint64)len;
  }
  if (rc == WD_OK && start >= 0)
    rc = emit_mbox_msg(p + start, len - (size_t)start, name, ++n, fn, user, st);
  g_mime_parser_options_free(opts);
  g_object_unref(ps);
  g_object_unref(s);
  return rc == WD_END ? WD_OK : rc;
}

/* Reads a whole regular file (bounded) and hands it on. */
static wd_rc one_file(const char *path, wd_mailbox_fn fn, void *user,
                      wd_mailbox_stats_t *st) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    if (fd >= 0)
      close(fd);
    st->unreadable++;
    return WD_OK;
  }
  if ((uint64_t)sb.st_size > WD_MAILBOX_MSG_MAX) {
    close(fd);
    st->skipped_large++;
    return WD_OK;
  }
  if (st->messages >= WD_MAILBOX_MSGS_MAX) {
    close(fd);
    st->truncated = true;
    return WD_END;
  }
  size_t len = (size_t)sb.st_size, got = 0;
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) {
    close(fd);
    return WD_ERR_NOMEM;
  }
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  st->messages++;
  wd_rc rc = fn(user, path, buf, got);
  free(buf);
  return rc;
}

static int not_dot(const struct dirent *d) { return d->d_name[0] != '.'; }

static wd_rc scan_dir(const char *dir, wd_mailbox_fn fn, void *user,
                      wd_mailbox_stats_t *st, char *err, size_t errlen) {
  struct dirent **ents = NULL;
  int n = scandir(dir, &ents, not_dot, alphasort);
  if (n < 0) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return WD_ERR_IO;
  }
  wd_rc rc = WD_OK;
  for (int i = 0; i < n; i++) {
    if (rc == WD_OK && i < WD_MAILBOX_FILES_MAX) {
      char path[4096];
      if (snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name) <
          (int)sizeof path)
        rc = one_file(path, fn, user, st);
    } else if (i >= WD_MAILBOX_FILES_MAX) {
      st->truncated = true;
    }
    free(ents[i]);
  }
  free(ents);
  return rc == WD_END ? WD_OK : rc;
}

wd_rc wd_mailbox_scan(const char *path, wd_mailbox_fn fn, void *user,
                      wd_mailbox_stats_t *st, char *err, size_t errlen) {
  struct stat sb;
  memset(st, 0, sizeof *st);
  if (stat(path, &sb) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  if (S_ISDIR(sb.st_mode)) {
    char sub[4096];
    struct stat s2;
    bool maildir = false;
    static const char *const subs[] = {"new", "cur"};
    for (int i = 0; i < 2; i++) {
      snprintf(sub, sizeof sub, "%s/%s", path, subs[i]);
      if (stat(sub, &s2) == 0 && S_ISDIR(s2.st_mode)) {
        maildir = true;
        wd_rc rc = scan_dir(sub, fn, user, st, err, errlen);
        if (rc != WD_OK)
          return rc;
      }
    }
    return maildir ? WD_OK : scan_dir(path, fn, user, st, err, errlen);
  }
  if (!S_ISREG(sb.st_mode)) {
    snprintf(err, errlen, "%s: not a file or directory", path);
    return WD_ERR_INVAL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  char head[5] = {0};
  ssize_t hr = pread(fd, head, 5, 0);
  bool mbox = hr == 5 && !memcmp(head, "From ", 5);
  if (!mbox || sb.st_size == 0) {
    close(fd);
    wd_rc rc = one_file(path, fn, user, st);
    return rc == WD_END ? WD_OK : rc;
  }
  void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  wd_rc rc = wd_mailbox_mbox(map, (size_t)sb.st_size, path, fn, user, st);
  munmap(map, (size_t)sb.st_size);
  return rc;
}
