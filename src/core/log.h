/* log.h -- one-line diagnostics on standard error.
 * wd_log(level, area, fmt, ...) tests the level before formatting, so a
 * disabled level costs one comparison. Detections are never log lines: they
 * are events (src/output). Nothing per packet is logged above debug. */
#ifndef WD_CORE_LOG_H
#define WD_CORE_LOG_H

typedef enum {
  WD_LOG_ERROR = 0,
  WD_LOG_WARN = 1,
  WD_LOG_INFO = 2,
  WD_LOG_DEBUG = 3
} wd_log_level;

extern int wd_log_threshold; /* messages above this level are dropped */

void wd_log_write(wd_log_level level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define wd_log(level, area, ...)                                             \
  do {                                                                       \
    if ((int)(level) <= wd_log_threshold)                                    \
      wd_log_write((level), (area), __VA_ARGS__);                            \
  } while (0)

#endif
