/* cal_fixture: what the calendar's and the permit lifecycle's unit tests share: the shipped
 * seed holidays, and instants and dates read from the tables (a bad one fails the test).
 * Included by tests/unit/test_calendar.c and tests/unit/test_permit.c after cmocka.h. */
#ifndef OSSD_TEST_CAL_FIXTURE_H
#define OSSD_TEST_CAL_FIXTURE_H

#include "calendar.h"
#include "util.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The shipped fixed-date national holidays of 2026 and 2027, as the seed holds them. */
static const char *const seed_holidays[] = {
    "2026-01-01", "2026-05-01", "2026-06-01", "2026-08-17", "2026-12-25",
    "2027-01-01", "2027-05-01", "2027-06-01", "2027-08-17", "2027-12-25",
};
static int32_t holiday_days[N_ELEMS(seed_holidays)];
static struct cal_holidays holidays = {holiday_days, N_ELEMS(seed_holidays)};

static int setup_holidays(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(seed_holidays); i++)
        if (cal_parse_date(seed_holidays[i], &holiday_days[i]) != 0)
            return -1;
    return 0;
}

static int64_t ms(const char *rfc3339)
{
    int64_t v = 0;

    if (rfc3339_to_ms(rfc3339, &v) != 0)
        fail_msg("bad instant in the table: %s", rfc3339);
    return v;
}

static int32_t day(const char *date)
{
    int32_t d = 0;

    if (cal_parse_date(date, &d) != 0)
        fail_msg("bad date in the table: %s", date);
    return d;

#endif
