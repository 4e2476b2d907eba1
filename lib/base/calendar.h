/* calendar: working days in Asia/Jakarta and the service-level deadlines built on them (pure
 * computation, no I/O, no clock: every instant is passed in). */
#ifndef BASE_CALENDAR_H
#define BASE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Semantics (the service-level deadlines of the licence lifecycle):
 * - An instant is epoch milliseconds (UTC). A date is a day number: days since 1970-01-01 of
 *   the Asia/Jakarta calendar date. Asia/Jakarta is UTC+7 with no daylight saving, and has been
 *   since 1 January 1964 (the tz database's last change for it), so a fixed offset of +07:00 is
 *   exact for every instant this code will see; no tz database is needed.
 * - A working day is Monday to Friday and not a holiday of the set.
 * - The deadline of N working days from an instant: its last working day L is the Nth working
 *   day after the instant's date; sla_due is 00:00 Asia/Jakarta of the day after L.
 * - A stop (codes 41 and 43) and a resume (42): k = the number of working days d with
 *   date(stop) <= d < date(resume); L moves to the kth working day after L (unchanged when
 *   k = 0), and sla_due follows L. A restart (44) computes L afresh from its own instant.
 */

#define CAL_JAKARTA_OFFSET_MS (7LL * 3600 * 1000)
#define CAL_DAY_MS            (86400LL * 1000)

/* A set of holiday dates, sorted ascending without repeats; the caller owns days. */
struct cal_holidays {
    const int32_t *days;
    size_t n;
};

/* A running deadline: its last working day and the instant it falls due. */
struct cal_deadline {
    int32_t last_day; /* L */
    int64_t due_ms;   /* 00:00 Asia/Jakarta of L + 1, as epoch ms */
};

/* The day number of a civil date (proleptic Gregorian); no range check. The other way:
 * civil_from_days (timeutil.h). */
int32_t cal_day_from_civil(int y, int m, int d);

/* Parses exactly "YYYY-MM-DD" (a real calendar date, year 1970-9999). Returns 0 with *day set,
 * or -1 when malformed. */
int cal_parse_date(const char *s, int32_t *day);

/* Formats a day number as "YYYY-MM-DD" into out (11 bytes). */
void cal_format_date(int32_t day, char out[11]);

/* Formats an instant as Asia/Jakarta local time "YYYY-MM-DDTHH:MM:SS+07:00" (out: 26 bytes). */
void cal_format_jakarta(int64_t ms, char out[26]);

/* 0 Monday .. 6 Sunday. */
int cal_weekday(int32_t day);

/* The Asia/Jakarta date of an instant (floor: 23:59:59.999+07:00 is still that day). */
int32_t cal_jakarta_date(int64_t ms);

/* 00:00 Asia/Jakarta of a date, as epoch ms. */
int64_t cal_jakarta_midnight(int32_t day);

/* 1 when day is Monday-Friday and not in h (h may be NULL: no holidays). */
int cal_is_working_day(const struct cal_holidays *h, int32_t day);

/* The nth working day after day (day itself never counts); day when n = 0. */
int32_t cal_add_working_days(const struct cal_holidays *h, int32_t day, unsigned n);

/* The number of working days d with from <= d < to (0 when to <= from). */
unsigned cal_working_days_between(const struct cal_holidays *h, int32_t from, int32_t to);

/* sla_due of a last working day L: 00:00 Asia/Jakarta of L + 1, as epoch ms. */
int64_t cal_sla_due(int32_t last_day);

/* The deadline of n working days from the instant start_ms (the decision's decided_at). */
void cal_deadline_start(const struct cal_holidays *h, int64_t start_ms, unsigned n,
                        struct cal_deadline *dl);

/* A 44 (after a 43): the deadline computed afresh as if the decision were at restart_ms. */
void cal_deadline_restart(const struct cal_holidays *h, int64_t restart_ms, unsigned n,
                          struct cal_deadline *dl);

/* Moves dl for a clock stopped at stop_ms and resumed at resume_ms (a 41 then a 42). */
void cal_deadline_resume(const struct cal_holidays *h, struct cal_deadline *dl, int64_t stop_ms,
                         int64_t resume_ms);

#endif /* BASE_CALENDAR_H */
