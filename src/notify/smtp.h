/* smtp.h -- hands one message to an SMTP server with libcurl.
 * In: a complete RFC 5322 message (borrowed), envelope sender and one
 * recipient. STARTTLS is used when the server offers it (CURLUSESSL_TRY);
 * AUTH when a username is set (password read from a file, never from the
 * configuration itself). Out: WD_OK once the server accepted the DATA
 * (250); WD_ERR_REFUSED when the server refused the recipient (5xx to
 * RCPT TO) or the message (5xx to DATA or to its end) for good; WD_AGAIN
 * for everything else, worth retrying: no connection, a timeout, a 4xx
 * reply, and also what is our own configuration's fault (a refused
 * login or sender, a bad URL); the server's reply code in *code (0 when
 * none) and a sentence in err.
 * Once the server accepted the DATA the result is WD_OK even if QUIT
 * then fails: the message is with the server. */
#ifndef WD_NOTIFY_SMTP_H
#define WD_NOTIFY_SMTP_H

#include <stddef.h>

#include "core/rc.h"

typedef struct wd_smtp_opts {
  const char *url;      /* notify.smtp.url: smtp://host:port, smtps:// */
  const char *username; /* notify.smtp.username, NULL: no AUTH */
  const char *password; /* from notify.smtp.password_file */
  long timeout_s;       /* whole transaction; 0: 60 s */
  /* Called once, the moment the server answers the end of DATA with 2xx
   * (before QUIT), so the caller can record the delivery with the
   * smallest possible window between "server has it" and "we know it".
   * Optional. */
  void (*accepted)(void *user);
  void *accepted_user;
} wd_smtp_opts_t;

wd_rc wd_smtp_send(const wd_smtp_opts_t *o, const char *from, const char *to,
                   const char *msg, size_t len, long *code, char *err,
                   size_t errlen);

/* Reads the first line of path (at most outlen-1 bytes, newline dropped)
 * and warns when the file is readable by group or others. */
wd_rc wd_smtp_read_password(const char *path, char *out, size_t outlen,
                            char *err, size_t errlen);

#endif
