/* test_calendar: lib/base/calendar.c: Asia/Jakarta dates, working days and deadlines (stop, resume
 * and restart), table-driven over weekends, holidays, year ends and Jakarta midnight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "util.h"

#include "cal_fixture.h"
}

static void test_dates(void **state)
{
    static const struct {
        const char *date;
        int weekday; /* 0 Monday */
    } cases[] = {
        {"1970-01-01", 3}, {"2026-11-30", 0}, {"2026-12-04", 4}, {"2026-12-05", 5},
        {"2026-12-06", 6}, {"2026-12-31", 3}, {"2027-01-01", 4}, {"2028-02-29", 1},
        {"2000-02-29", 1}, {"9999-12-31", 4},
    };
    static const char *const bad[] = {
        "",           "2026-1-01",  "2026-01-1",  "2026/01/01", "2026-01-01x",
        "2026-00-10", "2026-13-01", "2026-02-29", "2100-02-29", "2026-04-31",
        "2026-01-32", "1969-12-31", "2026-01-0a", "+026-01-01", "2026-01-00",
    };
    char buf[11];
    int32_t d;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(cal_parse_date(cases[i].date, &d), 0);
        assert_int_equal(cal_weekday(d), cases[i].weekday);
        cal_format_date(d, buf);
        assert_string_equal(buf, cases[i].date);
    }
    assert_int_equal(day("1970-01-01"), 0);
    assert_int_equal(day("1970-01-02"), 1);
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        assert_int_equal(cal_parse_date(bad[i], &d), -1);
    assert_int_equal(cal_parse_date(NULL, &d), -1);
    /* Every day of four years round-trips and the weekdays cycle. */
    for (int32_t x = day("2026-01-01"); x < day("2030-01-01"); x++) {
        int32_t back;

        cal_format_date(x, buf);
        assert_int_equal(cal_parse_date(buf, &back), 0);
        assert_int_equal(back, x);
        assert_int_equal(cal_weekday(x + 1), (cal_weekday(x) + 1) % 7);
    }
}

static void test_jakarta_date(void **state)
{
    static const struct {
        const char *instant;
        const char *date;    /* its Asia/Jakarta date */
        const char *jakarta; /* cal_format_jakarta */
    } cases[] = {
        {"2026-11-30T23:59:59+07:00", "2026-11-30", "2026-11-30T23:59:59+07:00"},
        {"2026-11-30T23:59:59.999+07:00", "2026-11-30", "2026-11-30T23:59:59+07:00"},
        {"2026-12-01T00:00:00+07:00", "2026-12-01", "2026-12-01T00:00:00+07:00"},
        /* instants given in UTC (or another offset) that are already the next Jakarta day */
        {"2026-11-30T16:59:59Z", "2026-11-30", "2026-11-30T23:59:59+07:00"},
        {"2026-11-30T17:00:00Z", "2026-12-01", "2026-12-01T00:00:00+07:00"},
        {"2026-11-30T20:30:00-05:00", "2026-12-01", "2026-12-01T08:30:00+07:00"},
        {"2026-12-31T17:00:00Z", "2027-01-01", "2027-01-01T00:00:00+07:00"},
        {"2026-12-31T16:59:59.500Z", "2026-12-31", "2026-12-31T23:59:59+07:00"},
        {"1970-01-01T00:00:00Z", "1970-01-01", "1970-01-01T07:00:00+07:00"},
        {"1970-01-01T06:59:59+07:00", "1970-01-01", "1970-01-01T06:59:59+07:00"},
    };
    char buf[26], dbuf[11];

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int64_t t = ms(cases[i].instant);

        cal_format_date(cal_jakarta_date(t), dbuf);
        assert_string_equal(dbuf, cases[i].date);
        cal_format_jakarta(t, buf);
        assert_string_equal(buf, cases[i].jakarta);
    }
    /* Before the epoch the floor still holds: 1969-12-31T16:59:59Z is 23:59:59+07:00. */
    assert_int_equal(cal_jakarta_date(ms("1969-12-31T16:59:59Z") + 0), -1);
    assert_int_equal(cal_jakarta_date(-CAL_JAKARTA_OFFSET_MS), 0);
    assert_int_equal(cal_jakarta_date(-CAL_JAKARTA_OFFSET_MS - 1), -1);
    assert_true(cal_jakarta_midnight(day("2026-12-01")) == ms("2026-11-30T17:00:00Z"));
}

static void test_working_days(void **state)
{
    static const struct {
        const char *date;
        int with_holidays, working;
    } cases[] = {
        {"2026-11-30", 1, 1}, {"2026-12-04", 1, 1}, {"2026-12-05", 0, 0}, {"2026-12-06", 0, 0},
        {"2026-12-25", 0, 1}, {"2026-12-25", 1, 0}, {"2027-01-01", 1, 0}, {"2026-08-17", 1, 0},
        {"2026-05-01", 1, 0}, {"2026-06-01", 1, 0}, {"2026-06-02", 1, 1}, {"2027-05-01", 1, 0},
    };
    static const struct {
        const char *from, *to;
        int with_holidays;
        unsigned want;
    } between[] = {
        {"2026-11-30", "2026-12-07", 0, 5}, /* a whole week */
        {"2026-12-04", "2026-12-07", 0, 1}, /* Friday, Saturday, Sunday */
        {"2026-12-05", "2026-12-07", 0, 0}, /* a weekend */
        {"2026-12-02", "2026-12-02", 0, 0}, /* empty */
        {"2026-12-07", "2026-12-02", 0, 0}, /* backwards */
        {"2026-12-21", "2027-01-04", 0, 10},
        {"2026-12-21", "2027-01-04", 1, 8}, /* minus 25 December and 1 January */
        {"2026-01-01", "2027-01-01", 0, 261},
        {"2026-01-01", "2027-01-01", 1, 256}, /* all five 2026 holidays fall on weekdays */
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        assert_int_equal(
            cal_is_working_day(cases[i].with_holidays ? &holidays : NULL, day(cases[i].date)),
            cases[i].working);
    for (size_t i = 0; i < N_ELEMS(between); i++)
        assert_int_equal(cal_working_days_between(between[i].with_holidays ? &holidays : NULL,
                                                  day(between[i].from), day(between[i].to)),
                         between[i].want);
    /* n = 0 is the day itself, even on a weekend. */
    assert_int_equal(cal_add_working_days(&holidays, day("2026-12-05"), 0), day("2026-12-05"));
    assert_int_equal(cal_add_working_days(&holidays, day("2026-12-04"), 1), day("2026-12-07"));
    assert_int_equal(cal_add_working_days(&holidays, day("2026-12-24"), 1), day("2026-12-28"));
}

/*
 * One deadline: decided (or restarted by a 44) at start with n working days, optionally stopped
 * (41) and resumed (42), or stopped (43) and restarted (44) at restart; the expected last working
 * day L and sla_due (as an instant with its offset).
 */
struct deadline_case {
    const char *what;
    const char *start;
    unsigned n;
    int with_holidays;
    const char *stop, *resume; /* NULL: no stop */
    const char *restart;       /* NULL: no restart */
    const char *want_last;
    const char *want_due;
};

static const struct deadline_case deadline_cases[] = {
    /* the contract's example: decided on a Monday, N = 5: Tuesday to the next Monday */
    {"contract example", "2026-11-30T08:00:00+07:00", 5, 0, NULL, NULL, NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"contract example, holidays", "2026-11-30T08:00:00+07:00", 5, 1, NULL, NULL, NULL,
     "2026-12-07", "2026-12-08T00:00:00+07:00"},
    {"Friday evening", "2026-12-04T19:30:00+07:00", 5, 1, NULL, NULL, NULL, "2026-12-11",
     "2026-12-12T00:00:00+07:00"},
    {"Saturday", "2026-12-05T10:00:00+07:00", 5, 1, NULL, NULL, NULL, "2026-12-11",
     "2026-12-12T00:00:00+07:00"},
    {"Sunday", "2026-12-06T23:00:00+07:00", 5, 1, NULL, NULL, NULL, "2026-12-11",
     "2026-12-12T00:00:00+07:00"},
    {"Monday 23:59:59", "2026-11-30T23:59:59+07:00", 5, 1, NULL, NULL, NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"Monday 23:59:59.999", "2026-11-30T23:59:59.999+07:00", 5, 1, NULL, NULL, NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"Tuesday 00:00:00", "2026-12-01T00:00:00+07:00", 5, 1, NULL, NULL, NULL, "2026-12-08",
     "2026-12-09T00:00:00+07:00"},
    {"UTC, still Monday in Jakarta", "2026-11-30T16:59:59Z", 5, 1, NULL, NULL, NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"UTC, already Tuesday in Jakarta", "2026-11-30T17:00:00Z", 5, 1, NULL, NULL, NULL,
     "2026-12-08", "2026-12-09T00:00:00+07:00"},
    {"UTC, Monday in UTC, Tuesday in Jakarta", "2026-11-30T20:00:00Z", 5, 1, NULL, NULL, NULL,
     "2026-12-08", "2026-12-09T00:00:00+07:00"},
    {"on a holiday (25 Dec), across the year end", "2026-12-25T10:00:00+07:00", 5, 1, NULL, NULL,
     NULL, "2027-01-04", "2027-01-05T00:00:00+07:00"},
    {"31 Dec, 1 Jan a holiday", "2026-12-31T15:00:00+07:00", 5, 1, NULL, NULL, NULL, "2027-01-08",
     "2027-01-09T00:00:00+07:00"},
    {"31 Dec, no holidays", "2026-12-31T15:00:00+07:00", 5, 0, NULL, NULL, NULL, "2027-01-07",
     "2027-01-08T00:00:00+07:00"},
    {"31 Dec 23:30 UTC is 1 Jan in Jakarta", "2026-12-31T23:30:00Z", 5, 1, NULL, NULL, NULL,
     "2027-01-08", "2027-01-09T00:00:00+07:00"},
    {"before 17 Aug (a Monday)", "2026-08-14T09:00:00+07:00", 5, 1, NULL, NULL, NULL, "2026-08-24",
     "2026-08-25T00:00:00+07:00"},
    {"before 1 May (a Friday)", "2026-04-30T09:00:00+07:00", 5, 1, NULL, NULL, NULL, "2026-05-08",
     "2026-05-09T00:00:00+07:00"},
    {"N = 1 on a Friday", "2026-12-04T10:00:00+07:00", 1, 1, NULL, NULL, NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"N = 1 before a holiday", "2026-12-24T10:00:00+07:00", 1, 1, NULL, NULL, NULL, "2026-12-28",
     "2026-12-29T00:00:00+07:00"},
    {"N = 0", "2026-11-30T08:00:00+07:00", 0, 1, NULL, NULL, NULL, "2026-11-30",
     "2026-12-01T00:00:00+07:00"},
    {"N = 60, no holidays", "2026-11-30T08:00:00+07:00", 60, 0, NULL, NULL, NULL, "2027-02-22",
     "2027-02-23T00:00:00+07:00"},
    {"N = 60 over 25 Dec and 1 Jan", "2026-11-30T08:00:00+07:00", 60, 1, NULL, NULL, NULL,
     "2027-02-24", "2027-02-25T00:00:00+07:00"},

    /* 41 then 42 */
    {"stop and resume the same day: k = 0", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-02T10:00:00+07:00", "2026-12-02T15:00:00+07:00", NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"stopped one working day", "2026-11-30T08:00:00+07:00", 5, 1, "2026-12-02T10:00:00+07:00",
     "2026-12-03T09:00:00+07:00", NULL, "2026-12-08", "2026-12-09T00:00:00+07:00"},
    {"stopped Friday to Monday: k = 1", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-04T16:00:00+07:00", "2026-12-07T09:00:00+07:00", NULL, "2026-12-08",
     "2026-12-09T00:00:00+07:00"},
    {"stopped over a weekend only: k = 0", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-05T10:00:00+07:00", "2026-12-07T09:00:00+07:00", NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"stopped over 25 Dec, the year end and 1 Jan", "2026-12-23T09:00:00+07:00", 5, 1,
     "2026-12-24T10:00:00+07:00", "2027-01-04T10:00:00+07:00", NULL, "2027-01-08",
     "2027-01-09T00:00:00+07:00"},
    {"stopped over the year end, no holidays", "2026-12-23T09:00:00+07:00", 5, 0,
     "2026-12-24T10:00:00+07:00", "2027-01-04T10:00:00+07:00", NULL, "2027-01-08",
     "2027-01-09T00:00:00+07:00"},
    {"stop 23:59:59 and resume 00:00:00 Jakarta (in UTC): k = 1", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-01T16:59:59Z", "2026-12-01T17:00:00Z", NULL, "2026-12-08",
     "2026-12-09T00:00:00+07:00"},
    {"stop and resume within one Jakarta day (in UTC): k = 0", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-01T17:00:00Z", "2026-12-02T16:59:59Z", NULL, "2026-12-07",
     "2026-12-08T00:00:00+07:00"},
    {"stopped on L, resumed after it", "2026-11-30T08:00:00+07:00", 5, 1,
     "2026-12-07T10:00:00+07:00", "2026-12-10T10:00:00+07:00", NULL, "2026-12-10",
     "2026-12-11T00:00:00+07:00"},
    {"stopped on a holiday and the weekend after it", "2026-12-21T09:00:00+07:00", 5, 1,
     "2026-12-25T09:00:00+07:00", "2026-12-28T09:00:00+07:00", NULL, "2026-12-29",
     "2026-12-30T00:00:00+07:00"},

    /* 43 then 44: afresh from the 44's status_at */
    {"restart on a Friday", "2026-11-30T08:00:00+07:00", 5, 1, NULL, NULL,
     "2026-12-04T14:00:00+07:00", "2026-12-11", "2026-12-12T00:00:00+07:00"},
    {"restart on 31 Dec", "2026-12-01T08:00:00+07:00", 5, 1, NULL, NULL,
     "2026-12-31T08:00:00+07:00", "2027-01-08", "2027-01-09T00:00:00+07:00"},
    {"restart the same day as the decision", "2026-11-30T08:00:00+07:00", 5, 1, NULL, NULL,
     "2026-11-30T20:00:00+07:00", "2026-12-07", "2026-12-08T00:00:00+07:00"},
};

static void test_deadlines(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(deadline_cases); i++) {
        const struct deadline_case *c = &deadline_cases[i];
        const struct cal_holidays *h = c->with_holidays ? &holidays : NULL;
        struct cal_deadline dl;
        char last[11], due[26];

        cal_deadline_start(h, ms(c->start), c->n, &dl);
        if (c->stop)
            cal_deadline_resume(h, &dl, ms(c->stop), ms(c->resume));
        if (c->restart)
            cal_deadline_restart(h, ms(c->restart), c->n, &dl);
        cal_format_date(dl.last_day, last);
        cal_format_jakarta(dl.due_ms, due);
        if (strcmp(last, c->want_last) != 0 || strcmp(due, c->want_due) != 0)
            fail_msg("%s: L %s, sla_due %s; want %s, %s", c->what, last, due, c->want_last,
                     c->want_due);
        /* sla_due is always 00:00 Jakarta of L + 1. */
        assert_true(dl.due_ms == cal_jakarta_midnight(dl.last_day + 1));
        assert_true(dl.due_ms == cal_sla_due(dl.last_day));
        assert_true(dl.due_ms == ms(c->want_due));
    }
}

/* Two stops in a row add up, and the deadline never moves backwards. */
static void test_two_stops(void **state)
{
    struct cal_deadline dl;
    char due[26];

    (void)state;
    cal_deadline_start(&holidays, ms("2026-11-30T08:00:00+07:00"), 5, &dl);
    cal_deadline_resume(&holidays, &dl, ms("2026-12-01T09:00:00+07:00"),
                        ms("2026-12-02T09:00:00+07:00")); /* k = 1 */
    cal_deadline_resume(&holidays, &dl, ms("2026-12-03T09:00:00+07:00"),
                        ms("2026-12-07T09:00:00+07:00")); /* Thu, Fri: k = 2 */
    cal_format_jakarta(dl.due_ms, due);
    assert_string_equal(due, "2026-12-11T00:00:00+07:00");
    for (int32_t d = day("2026-11-01"); d < day("2027-03-01"); d++) {
        struct cal_deadline a, b;

        cal_deadline_start(&holidays, cal_jakarta_midnight(d), 5, &a);
        cal_deadline_start(&holidays, cal_jakarta_midnight(d + 1), 5, &b);
        assert_true(b.due_ms >= a.due_ms);
        assert_true(cal_is_working_day(&holidays, a.last_day));
        assert_int_equal(cal_working_days_between(&holidays, d + 1, a.last_day + 1), 5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),        cmocka_unit_test(test_jakarta_date),
        cmocka_unit_test(test_working_days), cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_two_stops),
    };

    return cmocka_run_group_tests(tests, setup_holidays, NULL);
}
