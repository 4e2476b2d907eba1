/* calendar.c: Asia/Jakarta working days and deadlines (day numbers, epoch milliseconds). */
#include "calendar.h"

#include <string.h>

#include "timeutil.h"

/* floor(a / b) for b > 0, also for negative a. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int32_t cal_day_from_civil(int y, int m, int d)
{
    return (int32_t)days_from_civil(y, m, d);
}

int cal_parse_date(const char *s, int32_t *day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, max;

    if (!s || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    y = parse_digits(s, 4);
    m = parse_digits(s + 5, 2);
    d = parse_digits(s + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return -1;
    max = mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    if (d > max)
        return -1;
    *day = cal_day_from_civil(y, m, d);
    return 0;
}

/* Writes v as exactly n decimal digits (the low ones). */
static void put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

void cal_format_date(int32_t day, char out[11])
{
    int y, m, d;

    civil_from_days(day, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)m, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d, 2);
    out[10] = '\0';
}

void cal_format_jakarta(int64_t ms, char out[26])
{
    int64_t local_s = floor_div(ms + CAL_JAKARTA_OFFSET_MS, 1000);
    int64_t day = floor_div(local_s, 86400), sod = local_s - day * 86400;

    cal_format_date((int32_t)day, out);
    out[10] = 'T';
    put_digits(out + 11, (unsigned)(sod / 3600), 2);
    out[13] = ':';
    put_digits(out + 14, (unsigned)(sod / 60 % 60), 2);
    out[16] = ':';
    put_digits(out + 17, (unsigned)(sod % 60), 2);
    memcpy(out + 19, "+07:00", 7);
}

int cal_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((int64_t)day % 7 + 7 + 3) % 7);
}

int32_t cal_jakarta_date(int64_t ms)
{
    return (int32_t)floor_div(ms + CAL_JAKARTA_OFFSET_MS, CAL_DAY_MS);
}

int64_t cal_jakarta_midnight(int32_t day)
{
    return (int64_t)day * CAL_DAY_MS - CAL_JAKARTA_OFFSET_MS;
}

static int is_holiday(const struct cal_holidays *h, int32_t day)
{
    size_t lo = 0, hi;

    if (!h || h->n == 0)
        return 0;
    hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (h->days[mid] == day)
            return 1;
        if (h->days[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int cal_is_working_day(const struct cal_holidays *h, int32_t day)
{
    return cal_weekday(day) < 5 && !is_holiday(h, day);
}

int32_t cal_add_working_days(const struct cal_holidays *h, int32_t day, unsigned n)
{
    /* Day by day: N is at most a few hundred and every week has working days unless the
     * holidays cover it, which only lengthens the walk by the holidays given. */
    while (n > 0) {
        day++;
        if (cal_is_working_day(h, day))
            n--;
    }
    return day;
}

unsigned cal_working_days_between(const struct cal_holidays *h, int32_t from, int32_t to)
{
    unsigned k = 0;

    for (int32_t d = from; d < to; d++)
        k += (unsigned)cal_is_working_day(h, d);
    return k;
}

int64_t cal_sla_due(int32_t last_day)
{
    return cal_jakarta_midnight(last_day + 1);
}

void cal_deadline_start(const struct cal_holidays *h, int64_t start_ms, unsigned n,
                        struct cal_deadline *dl)
{
    dl->last_day = cal_add_working_days(h, cal_jakarta_date(start_ms), n);
    dl->due_ms = cal_sla_due(dl->last_day);
}

void cal_deadline_restart(const struct cal_holidays *h, int64_t restart_ms, unsigned n,
                          struct cal_deadline *dl)
{
    cal_deadline_start(h, restart_ms, n, dl);
}

void cal_deadline_resume(const struct cal_holidays *h, struct cal_deadline *dl, int64_t stop_ms,
                         int64_t resume_ms)
{
    unsigned k =
        cal_working_days_between(h, cal_jakarta_date(stop_ms), cal_jakarta_date(resume_ms));

    dl->last_day = cal_add_working_days(h, dl->last_day, k);
    dl->due_ms = cal_sla_due(dl->last_day);
}
