/* smtp.c -- SMTP submission with libcurl (see smtp.h).
 * Memory: one curl easy handle per message, cleaned up before returning;
 * the message is streamed from the caller's buffer by a read callback.
 * curl_global_init is done once (not thread-safe: called from the
 * notifier, which is single-threaded). */
#include "notify/smtp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "core/log.h"
#include "notify/notice.h"

typedef enum {
  CMD_OTHER, /* greeting, EHLO, STARTTLS, AUTH, MAIL FROM: ours */
  CMD_RCPT,  /* RCPT TO: about the recipient */
  CMD_DATA   /* DATA and the message itself: about the recipient's mail */
} cmd_t;

typedef struct src {
  const char *p;
  size_t left;
  const wd_smtp_opts_t *o;
  bool saw_354;  /* the server asked for the data */
  bool accepted; /* and then answered 2xx: it has the message */
  cmd_t last;    /* the command the server's next reply answers */
  cmd_t refused; /* what a 5xx reply answered (CMD_OTHER: none, or ours) */
  bool refused5; /* a 5xx reply was seen */
} src_t;

/* The commands libcurl sends, to know what a reply answers. */
static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size,
                    void *user) {
  src_t *s = user;
  (void)c;
  if (type == CURLINFO_HEADER_OUT) {
    if (size >= 4 && !strncasecmp(data, "RCPT", 4))
      s->last = CMD_RCPT;
    else if (size >= 4 && !strncasecmp(data, "DATA", 4))
      s->last = CMD_DATA;
    else
      s->last = CMD_OTHER;
  }
  return 0;
}

/* Server reply lines (libcurl hands SMTP responses to the header
 * callback): the first 2xx after 354 accepts the message. */
static size_t reply_cb(char *buf, size_t size, size_t nitems, void *user) {
  src_t *s = user;
  size_t n = size * nitems;
  if (n >= 3 && buf[0] == '5' && !s->refused5) {
    s->refused5 = true;
    s->refused = s->saw_354 ? CMD_DATA : s->last;
  }
  if (n >= 3 && !s->accepted) {
    if (!memcmp(buf, "354", 3)) {
      s->saw_354 = true;
    } else if (s->saw_354 && buf[0] == '2') {
      s->accepted = true;
      if (s->o->accepted)
        s->o->accepted(s->o->accepted_user);
    }
  }
  return n;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *user) {
  src_t *s = user;
  size_t n = size * nitems;
  if (n > s->left)
    n = s->left;
  memcpy(buf, s->p, n);
  s->p += n;
  s->left -= n;
  return n;
}

wd_rc wd_smtp_send(const wd_smtp_opts_t *o, const char *from, const char *to,
                   const char *msg, size_t len, long *code, char *err,
                   size_t errlen) {
  static bool inited;
  char ebuf[CURL_ERROR_SIZE] = "", f[300], t[300];
  *code = 0;
  if (!o->url || !wd_notice_email_ok(from) || !wd_notice_email_ok(to)) {
    snprintf(err, errlen, "no SMTP URL or invalid envelope address");
    return WD_AGAIN; /* our configuration: never the party's fault */
  }
  if (!inited) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      snprintf(err, errlen, "curl_global_init failed");
      return WD_ERR_NOMEM;
    }
    inited = true;
  }
  CURL *c = curl_easy_init();
  if (!c) {
    snprintf(err, errlen, "curl_easy_init failed");
    return WD_ERR_NOMEM;
  }
  snprintf(f, sizeof f, "<%s>", from);
  snprintf(t, sizeof t, "<%s>", to);
  struct curl_slist *rcpt = curl_slist_append(NULL, t);
  src_t s = {msg, len, o, false, false, CMD_OTHER, CMD_OTHER, false};
  curl_easy_setopt(c, CURLOPT_URL, o->url);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, f);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reply_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
  /* the debug callback sees the commands (it prints nothing) */
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &s);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 60L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (o->username) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o->username);
    curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
  }
  CURLcode rc = rcpt ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  if (rc == CURLE_OK || s.accepted)
    return WD_OK;
  snprintf(err, errlen, "%s: %s%s%s (reply %ld)", o->url,
           curl_easy_strerror(rc), ebuf[0] ? ": " : "", ebuf, *code);
  if (rc == CURLE_OUT_OF_MEMORY)
    return WD_ERR_NOMEM;
  /* final only when the receiving server refused the recipient or the
     message for good; a refused login, sender or URL is our own
     configuration, worth fixing and retrying */
  if (s.refused5 && s.refused != CMD_OTHER)
    return WD_ERR_REFUSED;
  return WD_AGAIN;
}

wd_rc wd_smtp_read_password(const char *path, char *out, size_t outlen,
                            char *err, size_t errlen) {
  struct stat st;
  FILE *fp = fopen(path, "r");
  if (!fp) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return WD_ERR_IO;
  }
  if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 077))
    wd_log(WD_LOG_WARN, "notify",
           "%s: password file is readable by others (chmod 600)", path);
  if (!fgets(out, (int)outlen, fp))
    out[0] = '\0';
  fclose(fp);
  out[strcspn(out, "\r\n")] = '\0';
  return WD_OK;
}
