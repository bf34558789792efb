/* timefmt.c -- UTC calendar arithmetic and the time forms (timefmt.h).
 * Days are counted from 0000-03-01 of the proleptic Gregorian calendar,
 * so that the leap day ends each year: a date is then 400-, 100-, 4- and
 * 1-year blocks (146097, 36524, 1461 and 365 days) plus a day of a
 * March-first year. 1970-01-01 is day 719468 of that count. Text is
 * written digit by digit into a local buffer, then copied (cut to the
 * caller's size). No allocation, no system call. */
#include "core/timefmt.h"

#include <string.h>

#define DAYS_TO_1970 719468u /* 0000-03-01 .. 1970-01-01 */
#define DAY_S 86400u

/* First day of each month of a March-first year (March = 0). */
static const uint16_t month_start[12] = {0,   31,  61,  92,  122, 153,
                                         184, 214, 245, 275, 306, 337};

void wd_time_civil(uint64_t ns, wd_civil_t *out) {
  uint64_t s = ns / WD_NSEC_PER_SEC;
  uint64_t days = s / DAY_S;
  uint32_t sod = (uint32_t)(s % DAY_S);
  out->nsec = (uint32_t)(ns % WD_NSEC_PER_SEC);
  out->hour = (uint8_t)(sod / 3600);
  out->min = (uint8_t)(sod / 60 % 60);
  out->sec = (uint8_t)(sod % 60);
  out->wday = (uint8_t)((days + 4) % 7); /* 1970-01-01 was a Thursday */

  uint64_t z = days + DAYS_TO_1970;
  uint64_t q400 = z / 146097, r = z % 146097;
  uint64_t q100 = r / 36524;
  if (q100 == 4) /* the last day of a 400-year block is a leap day */
    q100 = 3;
  r -= q100 * 36524;
  uint64_t q4 = r / 1461;
  r -= q4 * 1461;
  uint64_t q1 = r / 365;
  if (q1 == 4) /* the last day of a 4-year block is a leap day */
    q1 = 3;
  r -= q1 * 365;
  uint64_t year = 400 * q400 + 100 * q100 + 4 * q4 + q1;
  unsigned m = 11;
  while (month_start[m] > r)
    m--;
  out->day = (uint8_t)(r - month_start[m] + 1);
  /* March..December are months 3..12 of that year, January and February
   * 1 and 2 of the next. */
  out->month = (uint8_t)(m < 10 ? m + 3 : m - 9);
  out->year = (int32_t)(year + (m >= 10));
}

bool wd_time_from_civil(int32_t year, unsigned month, unsigned day,
                        unsigned hour, unsigned min, unsigned sec,
                        uint64_t *ns) {
  if (year < 1 || year > 1000000 || month < 1 || month > 999 || day < 1 ||
      day > 999 || hour > 999 || min > 999 || sec > 999)
    return false;
  uint64_t y = (uint64_t)year + (month - 1) / 12;
  unsigned m = (month - 1) % 12 + 1;
  if (m <= 2)
    y--; /* January and February end the March-first year before */
  unsigned mi = m <= 2 ? m + 9 : m - 3;
  uint64_t z = 365 * y + y / 4 - y / 100 + y / 400 + month_start[mi] + day - 1;
  if (z < DAYS_TO_1970)
    return false;
  uint64_t s = (z - DAYS_TO_1970) * DAY_S + (uint64_t)hour * 3600 +
               (uint64_t)min * 60 + sec;
  if (s > UINT64_MAX / WD_NSEC_PER_SEC)
    return false;
  *ns = s * WD_NSEC_PER_SEC;
  return true;
}

/* Writes v as exactly w decimal digits at p; returns the end. */
static char *digits(char *p, uint32_t v, int w) {
  for (int i = w - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + w;
}

/* "YYYY-MM-DD" */
static char *date_part(char *p, const wd_civil_t *c) {
  p = digits(p, (uint32_t)c->year, 4);
  *p++ = '-';
  p = digits(p, c->month, 2);
  *p++ = '-';
  return digits(p, c->day, 2);
}

/* "HH:MM:SS" */
static char *clock_part(char *p, const wd_civil_t *c) {
  p = digits(p, c->hour, 2);
  *p++ = ':';
  p = digits(p, c->min, 2);
  *p++ = ':';
  return digits(p, c->sec, 2);
}

static char *text(char *p, const char *s) {
  size_t l = strlen(s);
  memcpy(p, s, l);
  return p + l;
}

char *wd_time_str(uint64_t ns, wd_time_form f, char *out, size_t n) {
  static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                   "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char b[WD_TIME_STRLEN], *p = b;
  wd_civil_t c;
  wd_time_civil(ns, &c);
  switch (f) {
  case WD_TIME_MAIL:
    p = text(p, wdays[c.wday]);
    p = text(p, ", ");
    p = digits(p, c.day, 2);
    *p++ = ' ';
    p = text(p, months[c.month - 1]);
    *p++ = ' ';
    p = digits(p, (uint32_t)c.year, 4);
    *p++ = ' ';
    p = clock_part(p, &c);
    p = text(p, " +0000");
    break;
  case WD_TIME_HUMAN:
    p = date_part(p, &c);
    *p++ = ' ';
    p = clock_part(p, &c);
    p = text(p, " UTC");
    break;
  case WD_TIME_DATE:
    p = date_part(p, &c);
    break;
  default:
    p = date_part(p, &c);
    *p++ = 'T';
    p = clock_part(p, &c);
    if (f == WD_TIME_RFC3339_MS) {
      *p++ = '.';
      p = digits(p, c.nsec / 1000000u, 3);
    } else if (f == WD_TIME_RFC3339_US || f == WD_TIME_EVE) {
      *p++ = '.';
      p = digits(p, c.nsec / 1000u, 6);
    }
    p = text(p, f == WD_TIME_EVE ? "+0000" : "Z");
    break;
  }
  *p = '\0';
  if (n > 0) {
    size_t l = (size_t)(p - b);
    if (l >= n)
      l = n - 1;
    memcpy(out, b, l);
    out[l] = '\0';
  }
  return out;
}
