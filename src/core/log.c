/* log.c -- writes wd_log lines to standard error as
 * "ward: <level>: <area>: message". No buffering beyond stdio's. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

int wd_log_threshold = WD_LOG_WARN;

void wd_log_write(wd_log_level level, const char *area, const char *fmt, ...) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  va_list ap;
  fprintf(stderr, "ward: %s: %s: ", names[level & 3], area);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}
