/* test_rules: the pure rules of handlers/rules.c, table-driven at every boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ossd_handler.h" /* the daemon's layout of the ABI handles: fake_rd */
#include "rules.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A refdata view that knows provinces 11-19, 31-36, 51-53, 61-65, 71-76, 81-82, 91-97. */
static int fake_province_known(const void *ctx, const char *p)
{
    static const char *const known[] = {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
                                        "31", "32", "33", "34", "35", "36", "51", "52", "53", "61",
                                        "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
                                        "81", "82", "91", "92", "93", "94", "95", "96"};
    (void)ctx;
    for (size_t i = 0; i < N_ELEMS(known); i++)
        if (strcmp(known[i], p) == 0)
            return 1;
    return 0;
}

static const struct ossd_refdata fake_rd = {
    .ctx = NULL,
    .province_known = fake_province_known,
};

/* ---- NIK ---------------------------------------------------------------------------------- */

static const struct nik_case {
    const char *nik;
    int sub_year;
    unsigned flaws;
    const char *date; /* "YYYY-MM-DD" when the date is valid, else NULL */
    char gender;
} nik_cases[] = {
    /* valid, men and women, century resolution */
    {"3374101203950001", 2025, 0, "1995-03-12", 'M'},
    {"3374105203950001", 2025, 0, "1995-03-12", 'F'},
    {"3374100101250001", 2025, 0, "2025-01-01", 'M'}, /* 2025 is not after 2025 */
    {"3374100101260001", 2025, 0, "1926-01-01", 'M'}, /* 2026 is: 19YY */
    {"3374100101000001", 2025, 0, "2000-01-01", 'M'},
    {"3374100101990001", 2025, 0, "1999-01-01", 'M'},
    {"3374100101259999", 2024, 0, "1925-01-01", 'M'},
    /* day field boundaries */
    {"3374100001950001", 2025, RULES_NIK_DAY, NULL, 0},
    {"3374100101950001", 2025, 0, "1995-01-01", 'M'},
    {"3374103101950001", 2025, 0, "1995-01-31", 'M'},
    {"3374103201950001", 2025, RULES_NIK_DAY, NULL, 0},
    {"3374104001950001", 2025, RULES_NIK_DAY, NULL, 0},
    {"3374104101950001", 2025, 0, "1995-01-01", 'F'},
    {"3374107101950001", 2025, 0, "1995-01-31", 'F'},
    {"3374107201950001", 2025, RULES_NIK_DAY, NULL, 0},
    {"3374109901950001", 2025, RULES_NIK_DAY, NULL, 0},
    /* month boundaries */
    {"3374101000950001", 2025, RULES_NIK_MONTH, NULL, 0},
    {"3374101012950001", 2025, 0, "1995-12-10", 'M'},
    {"3374101013950001", 2025, RULES_NIK_MONTH, NULL, 0},
    {"3374100000950001", 2025, RULES_NIK_DAY | RULES_NIK_MONTH, NULL, 0},
    /* real calendar dates */
    {"3374103104950001", 2025, RULES_NIK_DATE, NULL, 0}, /* 31 April */
    {"3374107104950001", 2025, RULES_NIK_DATE, NULL, 0}, /* 31 April, F */
    {"3374103004950001", 2025, 0, "1995-04-30", 'M'},
    {"3374102902000001", 2025, 0, "2000-02-29", 'M'},    /* 2000: leap (div by 400) */
    {"3374102902000001", 1999, RULES_NIK_DATE, NULL, 0}, /* 1900: not leap */
    {"3374106902040001", 2025, 0, "2004-02-29", 'F'},
    {"3374102902010001", 2025, RULES_NIK_DATE, NULL, 0},
    {"3374106902010001", 2025, RULES_NIK_DATE, NULL, 0},
    {"3374103002040001", 2025, RULES_NIK_DATE, NULL, 0},
    {"3374102802010001", 2025, 0, "2001-02-28", 'M'},
    {"3374102902960001", 2025, 0, "1996-02-29", 'M'},
    /* area codes and serial: the date stays valid */
    {"9974101203950001", 2025, RULES_NIK_PROVINCE, "1995-03-12", 'M'},
    {"0074101203950001", 2025, RULES_NIK_PROVINCE, "1995-03-12", 'M'},
    {"3300101203950001", 2025, RULES_NIK_REGENCY, "1995-03-12", 'M'},
    {"3374001203950001", 2025, RULES_NIK_DISTRICT, "1995-03-12", 'M'},
    {"3374101203950000", 2025, RULES_NIK_SERIAL, "1995-03-12", 'M'},
    {"3374101203959999", 2025, 0, "1995-03-12", 'M'},
    {"3374101203950010", 2025, 0, "1995-03-12", 'M'},
    {"9900001203950000", 2025,
     RULES_NIK_PROVINCE | RULES_NIK_REGENCY | RULES_NIK_DISTRICT | RULES_NIK_SERIAL, "1995-03-12",
     'M'},
    {"9900003213950000", 2025,
     RULES_NIK_PROVINCE | RULES_NIK_REGENCY | RULES_NIK_DISTRICT | RULES_NIK_SERIAL |
         RULES_NIK_DAY | RULES_NIK_MONTH,
     NULL, 0},
    /* format (the schema catches these first) */
    {"337410120395000", 2025, RULES_NIK_FORMAT, NULL, 0},
    {"33741012039500011", 2025, RULES_NIK_FORMAT, NULL, 0},
    {"33741012039500a1", 2025, RULES_NIK_FORMAT, NULL, 0},
    {"", 2025, RULES_NIK_FORMAT, NULL, 0},
};

static void test_nik_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(nik_cases); i++) {
        const struct nik_case *c = &nik_cases[i];
        struct rules_nik nik;
        unsigned flaws = rules_nik_parse(c->nik, c->sub_year, &fake_rd, &nik);

        if (flaws != c->flaws || nik.flaws != flaws || nik.date_valid != (c->date != NULL))
            fail_msg("case %zu (%s, %d): flaws %#x want %#x, date_valid %d", i, c->nik, c->sub_year,
                     flaws, c->flaws, nik.date_valid);
        if (c->date) {
            char date[16];
            snprintf(date, sizeof(date), "%04d-%02d-%02d", nik.year, nik.month, nik.day);
            if (strcmp(date, c->date) != 0 || nik.gender != c->gender)
                fail_msg("case %zu (%s): date %s %c want %s %c", i, c->nik, date, nik.gender,
                         c->date, c->gender);
        }
    }
}

static void test_nik_without_refdata(void **state)
{
    struct rules_nik nik;

    (void)state;
    /* No view: the province is not checked. */
    assert_int_equal(rules_nik_parse("9974101203950001", 2025, NULL, &nik), 0);
}

static void test_nik_messages(void **state)
{
    char buf[200];
    const char *nik = "9900003213950000";
    struct rules_nik parsed;

    (void)state;
    assert_string_equal(rules_nik_flaw_message(RULES_NIK_SERIAL), "NIK serial must not be 0000");
    assert_string_equal(rules_nik_flaw_message(RULES_NIK_DATE),
                        "NIK birth date is not a real calendar date");
    rules_nik_flaws_message(rules_nik_parse(nik, 2025, &fake_rd, &parsed), buf, sizeof(buf));
    assert_non_null(strstr(buf, "NIK province code"));
    assert_non_null(strstr(buf, "NIK serial must not be 0000"));
    assert_null(strstr(buf, nik));
    assert_null(strstr(buf, "3213"));
    /* Every flaw that can come together fits one reason message. */
    rules_nik_flaws_message(RULES_NIK_PROVINCE | RULES_NIK_REGENCY | RULES_NIK_DISTRICT |
                                RULES_NIK_DAY | RULES_NIK_MONTH | RULES_NIK_SERIAL,
                            buf, sizeof(((struct ossd_reason *)0)->message));
    assert_non_null(strstr(buf, "; NIK serial must not be 0000"));
    /* A short buffer is truncated, never overrun. */
    rules_nik_flaws_message(parsed.flaws, buf, 30);
    assert_true(strlen(buf) < 30);
    rules_nik_flaws_message(0, buf, sizeof(buf));
    assert_string_equal(buf, "");
}

/* ---- dates and age ------------------------------------------------------------------------ */

static const struct age_case {
    const char *birth;
    int y, m, d; /* submission local date */
    int underage;
} age_cases[] = {
    {"2008-11-28", 2025, 11, 28, 0}, /* the 17th birthday itself */
    {"2008-11-29", 2025, 11, 28, 1}, /* one day short */
    {"2008-11-27", 2025, 11, 28, 0},
    {"2008-12-01", 2025, 11, 28, 1},
    {"2008-01-01", 2025, 1, 1, 0},
    {"2008-01-02", 2025, 1, 1, 1},
    {"2009-01-01", 2025, 12, 31, 1},
    {"1950-06-15", 2025, 11, 28, 0},
    {"2025-11-28", 2025, 11, 28, 1},
    {"2030-01-01", 2025, 11, 28, 1}, /* born in the future */
    /* 29 February: in a non-leap year the birthday counts from 1 March */
    {"2004-02-29", 2021, 2, 28, 1},
    {"2004-02-29", 2021, 3, 1, 0},
    {"2008-02-29", 2025, 2, 28, 1},
    {"2008-02-29", 2025, 3, 1, 0},
    /* not a real date: a schema matter, never underage here */
    {"2008-02-30", 2025, 11, 28, 0},
    {"2008-13-01", 2025, 11, 28, 0},
    {"20081128", 2025, 11, 28, 0},
};

static void test_underage_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(age_cases); i++) {
        const struct age_case *c = &age_cases[i];
        int got = rules_underage(c->birth, c->y, c->m, c->d);

        if (got != c->underage)
            fail_msg("case %zu: born %s on %04d-%02d-%02d: underage %d want %d", i, c->birth, c->y,
                     c->m, c->d, got, c->underage);
    }
    assert_int_equal(rules_underage(NULL, 2025, 1, 1), 0);
}

static void test_age_years(void **state)
{
    (void)state;
    assert_int_equal(rules_age_years(2000, 2, 29, 2004, 2, 29), 4);
    assert_int_equal(rules_age_years(2000, 2, 29, 2004, 2, 28), 3);
    assert_int_equal(rules_age_years(2000, 2, 29, 2001, 2, 28), 0);
    assert_int_equal(rules_age_years(2000, 2, 29, 2001, 3, 1), 1);
    assert_int_equal(rules_age_years(2000, 1, 1, 1999, 12, 31), -1);
}

static void test_dates(void **state)
{
    int y, m, d;

    (void)state;
    assert_true(rules_date_valid(2000, 2, 29));
    assert_false(rules_date_valid(1900, 2, 29));
    assert_true(rules_date_valid(2024, 2, 29));
    assert_false(rules_date_valid(2023, 2, 29));
    assert_false(rules_date_valid(2023, 4, 31));
    assert_true(rules_date_valid(2023, 12, 31));
    assert_false(rules_date_valid(2023, 0, 1));
    assert_false(rules_date_valid(2023, 1, 0));
    assert_int_equal(rules_date_parse("1995-03-12", &y, &m, &d), 0);
    assert_int_equal(y * 10000 + m * 100 + d, 19950312);
    assert_int_equal(rules_date_parse("1995-3-12", &y, &m, &d), -1);
    assert_int_equal(rules_date_parse("1995-03-12T", &y, &m, &d), -1);
    assert_int_equal(rules_date_parse("1995/03/12", &y, &m, &d), -1);
    assert_int_equal(rules_date_parse("1995-02-29", &y, &m, &d), -1);
    assert_int_equal(rules_date_parse(NULL, &y, &m, &d), -1);
}

/* ---- NPWP --------------------------------------------------------------------------------- */

#define NIK "3374101203950001"

static const struct npwp_case {
    const char *type, *npwp;
    enum rules_npwp_result want;
    const char *key; /* the actor key, or NULL when none can be made */
} npwp_cases[] = {
    {"01", NULL, RULES_NPWP_REQUIRED, NULL},
    {"02", NULL, RULES_NPWP_OK, "nik:" NIK},
    {"01", "012345678901234", RULES_NPWP_OK, "npwp:0012345678901234"},
    {"02", "012345678901234", RULES_NPWP_OK, "nik:" NIK},
    {"01", "0012345678901234", RULES_NPWP_OK, "npwp:0012345678901234"},
    {"02", "0012345678901234", RULES_NPWP_OK, "nik:" NIK},
    {"02", NIK, RULES_NPWP_OK, "nik:" NIK},
    {"01", NIK, RULES_NPWP_INVALID, NULL}, /* a NIK is an NPWP for type 02 only */
    {"02", "3374101203950002", RULES_NPWP_INVALID, "nik:" NIK}, /* someone else's NIK */
    {"01", "1012345678901234", RULES_NPWP_INVALID, NULL},
    {"01", "01234567890123", RULES_NPWP_INVALID, NULL},    /* 14 digits */
    {"01", "00123456789012345", RULES_NPWP_INVALID, NULL}, /* 17 digits */
    {"01", "01234567890123x", RULES_NPWP_INVALID, NULL},
    {"01", "", RULES_NPWP_INVALID, NULL},
    {"03", "0012345678901234", RULES_NPWP_OK, NULL}, /* no key for other types */
};

static void test_npwp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(npwp_cases); i++) {
        const struct npwp_case *c = &npwp_cases[i];
        char key[32];
        int rc;

        if (rules_npwp_check(c->type, NIK, c->npwp) != c->want)
            fail_msg("case %zu: type %s: npwp result %d want %d", i, c->type,
                     rules_npwp_check(c->type, NIK, c->npwp), c->want);
        rc = rules_actor_key(c->type, NIK, c->npwp, key, sizeof(key));
        if (c->key ? (rc != 0 || strcmp(key, c->key) != 0) : rc != -1)
            fail_msg("case %zu: actor key rc %d '%s' want %s", i, rc, rc == 0 ? key : "",
                     c->key ? c->key : "none");
    }
}

static void test_actor_key_buffer(void **state)
{
    char key[22];

    (void)state;
    assert_int_equal(rules_actor_key("01", NIK, "012345678901234", key, sizeof(key)), 0);
    assert_string_equal(key, "npwp:0012345678901234");
    assert_int_equal(rules_actor_key("01", NIK, "012345678901234", key, 21), -1);
    assert_int_equal(rules_actor_key("02", "123", NULL, key, sizeof(key)), -1);
    assert_int_equal(rules_actor_key(NULL, NIK, NULL, key, sizeof(key)), -1);
}

/* ---- scale, risk, permit ------------------------------------------------------------------ */

static const struct scale_case {
    int has_capital;
    long long capital;
    int has_sales;
    long long sales;
    const char *scale;
    int umk;
} scale_cases[] = {
    {1, 0, 0, 0, "01", 1},
    {1, 1000000000LL, 0, 0, "01", 1},
    {1, 1000000001LL, 0, 0, "02", 1},
    {1, 5000000000LL, 0, 0, "02", 1},
    {1, 5000000001LL, 0, 0, "03", 0},
    {1, 10000000000LL, 0, 0, "03", 0},
    {1, 10000000001LL, 0, 0, "04", 0},
    {1, 9000000000000000000LL, 0, 0, "04", 0},
    {0, 0, 1, 0, "01", 1},
    {0, 0, 1, 2000000000LL, "01", 1},
    {0, 0, 1, 2000000001LL, "02", 1},
    {0, 0, 1, 15000000000LL, "02", 1},
    {0, 0, 1, 15000000001LL, "03", 0},
    {0, 0, 1, 50000000000LL, "03", 0},
    {0, 0, 1, 50000000001LL, "04", 0},
    /* capital wins when both are present */
    {1, 1000000000LL, 1, 900000000000LL, "01", 1},
    {1, 20000000000LL, 1, 0, "04", 0},
    {0, 0, 0, 0, NULL, 0},
};

static void test_scale_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(scale_cases); i++) {
        const struct scale_case *c = &scale_cases[i];
        const char *got = rules_scale(c->has_capital, c->capital, c->has_sales, c->sales);

        if (c->scale ? (!got || strcmp(got, c->scale) != 0) : got != NULL)
            fail_msg("case %zu: scale %s want %s", i, got ? got : "NULL",
                     c->scale ? c->scale : "NULL");
        if (rules_scale_umk(got) != c->umk)
            fail_msg("case %zu: umk %d want %d", i, rules_scale_umk(got), c->umk);
    }
}

static const struct permit_case {
    const char *risk, *permit, *status;
} permit_cases[] = {
    {"R", "NIB", "issued"},
    {"MR", "SS", "issued"},
    {"MT", "SS", "pending_verification"},
    {"T", "IZIN", "pending_verification"},
    {"X", NULL, NULL},
    {"", NULL, NULL},
    {"r", NULL, NULL},
    {NULL, NULL, NULL},
};

static void test_permit_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(permit_cases); i++) {
        const struct permit_case *c = &permit_cases[i];
        const char *permit = "unset", *status = "unset";
        int rc = rules_permit(c->risk, &permit, &status);

        if (c->permit) {
            assert_int_equal(rc, 0);
            assert_string_equal(permit, c->permit);
            assert_string_equal(status, c->status);
            assert_true(rules_risk_valid(c->risk));
        } else {
            assert_int_equal(rc, -1);
            assert_string_equal(permit, "unset");
            assert_false(rules_risk_valid(c->risk));
        }
    }
}

/* ---- region codes ------------------------------------------------------------------------- */

static const struct region_case {
    const char *code, *district, *regency;
} region_cases[] = {
    {"33.74.10", "33.74.10", "33.74"},
    {"33.74.10.1005", "33.74.10", "33.74"},
    {"33.74", NULL, "33.74"},
    {"33", NULL, NULL},
    {"33.7", NULL, NULL},
    {"33.74.1", NULL, "33.74"},
    {"3374.10", NULL, NULL},
    {"33-74-10", NULL, NULL},
    {"33.74.10-1005", NULL, "33.74"},
    {"", NULL, NULL},
    {NULL, NULL, NULL},
};

static void test_region_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(region_cases); i++) {
        const struct region_case *c = &region_cases[i];
        char district[9] = "", regency[6] = "";
        int rd = rules_region_district(c->code, district);
        int rr = rules_region_regency(c->code, regency);

        if (c->district ? (rd != 0 || strcmp(district, c->district) != 0) : rd != -1)
            fail_msg("case %zu (%s): district rc %d '%s'", i, c->code ? c->code : "NULL", rd,
                     district);
        if (c->regency ? (rr != 0 || strcmp(regency, c->regency) != 0) : rr != -1)
            fail_msg("case %zu (%s): regency rc %d '%s'", i, c->code ? c->code : "NULL", rr,
                     regency);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nik_table),    cmocka_unit_test(test_nik_without_refdata),
        cmocka_unit_test(test_nik_messages), cmocka_unit_test(test_underage_table),
        cmocka_unit_test(test_age_years),    cmocka_unit_test(test_dates),
        cmocka_unit_test(test_npwp_table),   cmocka_unit_test(test_actor_key_buffer),
        cmocka_unit_test(test_scale_table),  cmocka_unit_test(test_permit_table),
        cmocka_unit_test(test_region_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
