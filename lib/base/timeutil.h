/* timeutil: wall-clock and monotonic time, RFC 3339 formatting and parsing. */
#ifndef BASE_TIMEUTIL_H
#define BASE_TIMEUTIL_H

#include <stdint.h>

/* Current wall-clock time in milliseconds since the epoch, monotonic ms, and
 * monotonic seconds with nanosecond resolution (to time short intervals). */
int64_t now_ms(void);
int64_t mono_ms(void);
double mono_s(void);
/* Formats epoch milliseconds as RFC 3339 UTC with milliseconds ("...T..:..:..123Z"). */
void format_rfc3339_ms(int64_t ms, char out[32]);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant). */
int64_t days_from_civil(int y, int m, int d);
/* The civil date of a day number (days since 1970-01-01): the inverse of days_from_civil. */
void civil_from_days(int64_t z, int *y, int *m, int *d);

/* Parses an RFC 3339 date-time with offset ("2026-11-28T15:00:01.5+07:00")
 * into epoch milliseconds. 0, or -1 when malformed. */
int rfc3339_to_ms(const char *s, int64_t *out);

/* The n ASCII digits at s as a number, or -1 when one of them is not a digit. */
int parse_digits(const char *s, int n);

#endif
