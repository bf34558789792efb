/* timefmt.h -- ward's one UTC time formatter, and the calendar arithmetic
 * under it.
 * In: nanoseconds since 1970-01-01T00:00:00Z (packet time, database
 * times), or a civil date and time. Out: text in caller storage in one of
 * the forms ward writes (EVE events, incident JSON, STIX, IODEF, mail
 * headers, reports), or the civil fields. Proleptic Gregorian calendar, no
 * leap seconds (like POSIX time), no time zones: UTC only. No allocation,
 * no system call, no global state (unlike gmtime/strftime, nothing reads
 * TZ), so it may run on the hot path and in any thread. */
#ifndef WD_CORE_TIMEFMT_H
#define WD_CORE_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_NSEC_PER_SEC 1000000000ull

typedef enum {
  WD_TIME_RFC3339,    /* "2026-02-04T22:49:29Z" (RFC 3339, seconds) */
  WD_TIME_RFC3339_MS, /* "2026-02-04T22:49:29.123Z" (STIX) */
  WD_TIME_RFC3339_US, /* "2026-02-04T22:49:29.123456Z" (incidents, alerts) */
  WD_TIME_EVE,        /* "2026-02-04T22:49:29.123456+0000" (Suricata EVE) */
  WD_TIME_HUMAN,      /* "2026-02-04 22:49:29 UTC" (mail text, tables) */
  WD_TIME_MAIL,       /* "Wed, 04 Feb 2026 22:49:29 +0000" (RFC 5322) */
  WD_TIME_DATE        /* "2026-02-04" */
} wd_time_form;

/* Room for every form (the longest is 31 characters and the NUL). */
#define WD_TIME_STRLEN 32

/* A moment broken into its UTC calendar fields. */
typedef struct wd_civil {
  int32_t year;  /* 1970 .. 2554 from a uint64_t of nanoseconds */
  uint8_t month; /* 1..12 */
  uint8_t day;   /* 1..31 */
  uint8_t hour, min, sec;
  uint8_t wday;  /* 0 = Sunday */
  uint32_t nsec; /* 0..999999999 */
} wd_civil_t;

/* The calendar fields of ns. */
void wd_time_civil(uint64_t ns, wd_civil_t *out);

/* Nanoseconds of a civil UTC time, like timegm: fields past their range
 * carry over (day 32 of January is February 1, second 60 the next minute).
 * False when the result is before 1970 or past what 64 bits hold, or when
 * a field is out of 0..999 (month 1..999, day 1..999): callers check
 * ranges they mean. */
bool wd_time_from_civil(int32_t year, unsigned month, unsigned day,
                        unsigned hour, unsigned min, unsigned sec,
                        uint64_t *ns);

/* ns as text in form f into out (n bytes, NUL-terminated, cut when n is
 * short; WD_TIME_STRLEN always fits). Returns out. */
char *wd_time_str(uint64_t ns, wd_time_form f, char *out, size_t n);

#endif
