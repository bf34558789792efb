/* transport.c -- SMTP or .eml directory delivery (see transport.h).
 * The .eml file is written to a temporary name, fsync'd, then linked to
 * its final name (link() fails with EEXIST when already delivered) and
 * the directory fsync'd, so a crash leaves either no message or the whole
 * one, never a partial file under the final name. A missing directory is
 * created (mkdir -p); every failure here is local (missing, read-only or
 * full directory) and returned as WD_AGAIN: retried, never final. */
#include "notify/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void wd_transport_eml_name(const char *message_id, char *out, size_t len) {
  size_t o = 0;
  for (const char *p = message_id ? message_id : ""; *p && o + 5 < len; p++) {
    char c = *p;
    if (c == '<' || c == '>')
      continue;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
              c == '@';
    out[o++] = ok ? (c == '@' ? '_' : c) : '_';
  }
  snprintf(out + o, len - o, ".eml");
}

static wd_rc write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return WD_ERR_IO;
    }
    p += w;
    n -= (size_t)w;
  }
  return WD_OK;
}

/* mkdir -p dir (mode 0750); false with errno set when it cannot. */
static bool make_dirs(const char *dir) {
  char tmp[4096];
  struct stat st;
  if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return false;
  }
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return false;
      *p = '/';
    }
  if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
    return false;
  if (stat(tmp, &st) != 0)
    return false;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return false;
  }
  return true;
}

static wd_rc to_dir(const char *dir, const char *message_id, const char *msg,
                    size_t len, char *err, size_t errlen) {
  char name[300], path[4096], tmp[4096];
  wd_transport_eml_name(message_id, name, sizeof name);
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
      snprintf(tmp, sizeof tmp, "%s/.tmp.%ld.%s", dir, (long)getpid(), name) >=
          (int)sizeof tmp) {
    snprintf(err, errlen, "outbox path too long");
    return WD_AGAIN; /* a local fault: retried, never final */
  }
  if (access(path, F_OK) == 0)
    return WD_OK; /* delivered before a crash: no second copy */
  if (!make_dirs(dir)) {
    snprintf(err, errlen, "outbox %s: %s", dir, strerror(errno));
    return WD_AGAIN;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    return WD_AGAIN;
  }
  wd_rc rc = write_all(fd, msg, len);
  if (rc == WD_OK && fsync(fd) != 0)
    rc = WD_ERR_IO;
  close(fd);
  if (rc == WD_OK && link(tmp, path) != 0 && errno != EEXIST)
    rc = WD_ERR_IO;
  if (rc != WD_OK)
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
  unlink(tmp);
  if (rc == WD_OK) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  return rc == WD_OK ? WD_OK : WD_AGAIN;
}

wd_rc wd_transport_send(const wd_transport_t *t, const char *from,
                        const char *to, const char *message_id, const char *msg,
                        size_t len, char *err, size_t errlen) {
  if (t->outbox_dir)
    return to_dir(t->outbox_dir, message_id, msg, len, err, errlen);
  long code = 0;
  return wd_smtp_send(&t->smtp, from, to, msg, len, &code, err, errlen);
}
