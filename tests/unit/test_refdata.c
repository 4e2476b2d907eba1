/* test_refdata: daemon/refdata.c and lib/base/csv.c: building, lookups, the CSV reader, the full
 * official tables (when shared/data is present) and PostgreSQL (when OSSD_TEST_PG_URL is set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "refdata.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A small in-memory table: Jawa Tengah, Kota Semarang with two districts, villages for one. */
static struct refdata *small_refdata(void)
{
    struct refdata *rd = refdata_new();

    assert_int_equal(refdata_add_region(rd, "33", "Jawa Tengah"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74", "Kota Semarang"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.10", "Tembalang"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.10.1005", "Kramas"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.10.1001", "Bulusan"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.01", "Semarang Tengah"), 0);
    /* A village listed before its district: the district still learns it has villages. */
    assert_int_equal(refdata_add_region(rd, "33.74.11.1001", "Pudakpayung"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.11", "Banyumanik"), 0);
    /* A village whose district is not in the data. */
    assert_int_equal(refdata_add_region(rd, "33.74.12.1001", "Gunungpati"), 0);

    assert_int_equal(refdata_add_kbli(rd, "56102", "Rumah/Warung Makan", "R"), 0);
    assert_int_equal(refdata_add_kbli(rd, "10710", "Industri Produk Roti Dan Kue", "MR"), 0);
    assert_int_equal(refdata_add_kbli(rd, "11010", "Industri Minuman Beralkohol", "T"), 0);
    assert_int_equal(refdata_add_kbli(rd, "01111", "Pertanian Jagung", NULL), 0);
    assert_int_equal(refdata_add_kbli(rd, "01112", "Pertanian Gandum", ""), 0);
    assert_int_equal(refdata_add_kbli_risk(rd, "10710", "04", "MT"), 0);
    assert_int_equal(refdata_add_kbli_risk(rd, "01111", "01", "R"), 0);
    refdata_set_versions(rd, "2020", "test-1");
    return rd;
}

static void test_regions(void **state)
{
    struct refdata *rd = small_refdata();
    const struct ossd_refdata *api = refdata_api(rd);
    static const struct {
        const char *code;
        enum ossd_region_status want;
    } cases[] = {
        {"33.74.10", OSSD_REGION_KNOWN},
        {"33.74.01", OSSD_REGION_KNOWN},
        {"33.74.02", OSSD_REGION_UNKNOWN},
        {"34.01.01", OSSD_REGION_UNKNOWN},
        /* district with villages: the village decides */
        {"33.74.10.1005", OSSD_REGION_KNOWN},
        {"33.74.10.1001", OSSD_REGION_KNOWN},
        {"33.74.10.9999", OSSD_REGION_UNKNOWN},
        {"33.74.11.1001", OSSD_REGION_KNOWN},
        {"33.74.11.1002", OSSD_REGION_UNKNOWN},
        /* district without villages: the district decides */
        {"33.74.01.1001", OSSD_REGION_KNOWN},
        {"33.74.01.9999", OSSD_REGION_KNOWN},
        /* district not in the data: unknown even when the village itself is listed */
        {"33.74.12.1001", OSSD_REGION_UNKNOWN},
        {"33.74.02.1001", OSSD_REGION_UNKNOWN},
        /* other levels and malformed codes */
        {"33.74", OSSD_REGION_KNOWN},
        {"33", OSSD_REGION_KNOWN},
        {"33.75", OSSD_REGION_UNKNOWN},
        {"33.74.1", OSSD_REGION_UNKNOWN},
        {"3374.10", OSSD_REGION_UNKNOWN},
        {"33.74.10.100", OSSD_REGION_UNKNOWN},
        {"33.74.10.10055", OSSD_REGION_UNKNOWN},
        {"aa.74.10", OSSD_REGION_UNKNOWN},
        {"", OSSD_REGION_UNKNOWN},
        {NULL, OSSD_REGION_UNKNOWN},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        if (api->region(api->ctx, cases[i].code) != cases[i].want)
            fail_msg("case %zu: %s: want %d", i, cases[i].code ? cases[i].code : "NULL",
                     cases[i].want);
    assert_true(api->province_known(api->ctx, "33"));
    assert_false(api->province_known(api->ctx, "34"));
    assert_false(api->province_known(api->ctx, "3"));
    assert_false(api->province_known(api->ctx, "33.74"));
    assert_int_equal(refdata_region_count(rd), 9);
    assert_string_equal(refdata_region_name(rd, "33.74.10.1005"), "Kramas");
    assert_string_equal(refdata_region_name(rd, "33.74"), "Kota Semarang");
    assert_null(refdata_region_name(rd, "33.74.02"));
    assert_null(refdata_region_name(rd, "33.74.12")); /* only a village's parent */
    assert_null(refdata_region_name(rd, "x"));
    assert_string_equal(refdata_region_version(rd), "test-1");
    refdata_free(rd);
}

static void test_region_add_errors(void **state)
{
    struct refdata *rd = refdata_new();

    (void)state;
    assert_int_equal(refdata_add_region(rd, "33", "Jawa Tengah"), 0);
    assert_int_equal(refdata_add_region(rd, "33", "again"), -1);
    assert_int_equal(refdata_add_region(rd, "33.7", "x"), -1);
    assert_int_equal(refdata_add_region(rd, "33.74.10.1", "x"), -1);
    assert_int_equal(refdata_add_region(rd, "33.74.10", ""), -1);
    assert_int_equal(refdata_add_region(rd, "33.74.10", NULL), -1);
    assert_int_equal(refdata_add_region(rd, NULL, "x"), -1);
    /* A district first seen as a village's parent can still be added once. */
    assert_int_equal(refdata_add_region(rd, "33.74.10.1005", "Kramas"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.10", "Tembalang"), 0);
    assert_int_equal(refdata_add_region(rd, "33.74.10", "Tembalang"), -1);
    assert_int_equal(refdata_region_count(rd), 3);
    assert_string_equal(refdata_kbli_version(rd), "");
    refdata_free(rd);
}

static void test_kbli(void **state)
{
    struct refdata *rd = small_refdata();
    const struct ossd_refdata *api = refdata_api(rd);
    static const struct {
        const char *code, *scale, *want;
    } cases[] =
        {
            {"56102", "01", "R"},   {"56102", "04", "R"},  {"56102", "", "R"},
            {"56102", NULL, "R"},   {"10710", "01", "MR"}, {"10710", "03", "MR"},
            {"10710", "04", "MT"}, /* per-scale entry wins */
            {"11010", "02", "T"},   {"01111", "01", "R"},  {"01111", "02", "T"}, /* no level: T */
            {"01112", "01", "T"},   {"99999", "01", NULL}, {"5610", "01", NULL},
            {"561022", "01", NULL}, {NULL, "01", NULL},
        };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        const char *got = api->kbli_risk(api->ctx, cases[i].code, cases[i].scale);
        if (cases[i].want ? (!got || strcmp(got, cases[i].want) != 0) : got != NULL)
            fail_msg("case %zu: %s/%s: %s want %s", i, cases[i].code ? cases[i].code : "NULL",
                     cases[i].scale ? cases[i].scale : "NULL", got ? got : "NULL",
                     cases[i].want ? cases[i].want : "NULL");
    }
    assert_string_equal(api->kbli_title(api->ctx, "56102"), "Rumah/Warung Makan");
    assert_null(api->kbli_title(api->ctx, "56103"));
    assert_null(api->kbli_title(api->ctx, "5610x"));
    assert_int_equal(refdata_kbli_count(rd), 5);
    assert_string_equal(refdata_kbli_version(rd), "2020");

    assert_int_equal(refdata_add_kbli(rd, "56102", "again", "R"), -1);
    assert_int_equal(refdata_add_kbli(rd, "5610", "x", "R"), -1);
    assert_int_equal(refdata_add_kbli(rd, "56109", "x", "H"), -1);
    assert_int_equal(refdata_add_kbli(rd, "56109", "", "R"), -1);
    assert_int_equal(refdata_add_kbli_risk(rd, "56109", "01", "R"), -1); /* not added */
    assert_int_equal(refdata_add_kbli_risk(rd, "56102", "05", "R"), -1);
    assert_int_equal(refdata_add_kbli_risk(rd, "56102", "1", "R"), -1);
    assert_int_equal(refdata_add_kbli_risk(rd, "56102", "01", "X"), -1);
    assert_int_equal(refdata_add_kbli_risk(rd, "56102", "01", NULL), -1);
    assert_int_equal(refdata_kbli_count(rd), 5);
    refdata_free(rd);
    refdata_free(NULL);
}

/* Many synthetic codes: the tables grow and every code is still found. */
static void test_growth(void **state)
{
    struct refdata *rd = refdata_new();
    const struct ossd_refdata *api = refdata_api(rd);
    char code[16], name[32];

    (void)state;
    for (int d = 1; d <= 99; d++) {
        for (int v = 1001; v <= 2000; v++) {
            snprintf(code, sizeof(code), "11.01.%02d.%04d", d, v);
            snprintf(name, sizeof(name), "v%d", v);
            assert_int_equal(refdata_add_region(rd, code, name), 0);
        }
        snprintf(code, sizeof(code), "11.01.%02d", d);
        assert_int_equal(refdata_add_region(rd, code, "district"), 0);
    }
    for (int k = 0; k < 100000; k += 7) {
        snprintf(code, sizeof(code), "%05d", k);
        assert_int_equal(refdata_add_kbli(rd, code, "t", k % 2 ? "R" : NULL), 0);
    }
    assert_int_equal(refdata_region_count(rd), 99 * 1001);
    assert_int_equal(refdata_kbli_count(rd), (100000 + 6) / 7);
    for (int d = 1; d <= 99; d++) {
        snprintf(code, sizeof(code), "11.01.%02d.2000", d);
        assert_int_equal(api->region(api->ctx, code), OSSD_REGION_KNOWN);
        snprintf(code, sizeof(code), "11.01.%02d.2001", d);
        assert_int_equal(api->region(api->ctx, code), OSSD_REGION_UNKNOWN);
    }
    for (int k = 0; k < 100000; k++) {
        snprintf(code, sizeof(code), "%05d", k);
        if ((api->kbli_title(api->ctx, code) != NULL) != (k % 7 == 0))
            fail_msg("kbli %s", code);
    }
    refdata_free(rd);
}

/* ---- CSV reader ------------------------------------------------------------------------------ */

static FILE *mem(const char *s)
{
    FILE *f = fmemopen((void *)s, strlen(s), "r");

    assert_non_null(f);
    return f;
}

static void test_csv_reader(void **state)
{
    const char *text = "\xEF\xBB\xBF"
                       "code,title,description\r\n"
                       "01111,Plain,simple\r\n"
                       "\r\n"
                       "01112,\"Comma, inside\",\"He said \"\"hi\"\"\"\r\n"
                       "01113,\"Two\r\nlines\",\"\"\n"
                       "01114,last,no newline at end";
    FILE *f = mem(text);
    struct csv_reader *r = csv_open(f);
    struct csv_row row;
    char err[128];

    (void)state;
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 1);
    assert_int_equal(row.n_fields, 3);
    assert_string_equal(row.fields[0], "code"); /* BOM skipped */
    assert_int_equal(row.line, 1);
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 1);
    assert_string_equal(row.fields[1], "Plain");
    assert_int_equal(row.line, 2);
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 1);
    assert_int_equal(row.line, 4);
    assert_string_equal(row.fields[1], "Comma, inside");
    assert_string_equal(row.fields[2], "He said \"hi\"");
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 1);
    assert_int_equal(row.line, 5);
    assert_string_equal(row.fields[1], "Two\nlines");
    assert_string_equal(row.fields[2], "");
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 1);
    assert_int_equal(row.line, 7);
    assert_int_equal(row.n_fields, 3);
    assert_string_equal(row.fields[2], "no newline at end");
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 0);
    assert_int_equal(csv_next(r, &row, err, sizeof(err)), 0);
    csv_free(r);
    fclose(f);
    csv_free(NULL);
}

static void test_csv_errors(void **state)
{
    static const struct {
        const char *text;
        long line;
        const char *what;
    } cases[] = {
        {"a,b\n1,\"open\n2,3\n", 2, "unterminated"},
        {"a,b\n1,\"x\"y\n", 2, "after a closing quote"},
        {"a,b\n\n\n1,\"x\" \n", 4, "after a closing quote"},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        FILE *f = mem(cases[i].text);
        struct csv_reader *r = csv_open(f);
        struct csv_row row;
        char err[128];
        int rc;

        while ((rc = csv_next(r, &row, err, sizeof(err))) == 1)
            ;
        assert_int_equal(rc, -1);
        assert_int_equal(row.line, cases[i].line);
        assert_non_null(strstr(err, cases[i].what));
        csv_free(r);
        fclose(f);
    }
}

static void test_load_csv(void **state)
{
    static const struct {
        enum refdata_kind kind;
        const char *text;
        long n;          /* rows added, or -1 */
        const char *err; /* expected substring of the error */
    } cases[] = {
        {REFDATA_KBLI, "code,title,description\n56102,Rumah/Warung Makan,\"a, b\"\n", 1, NULL},
        {REFDATA_KBLI, "Code,Title,Risk\n56102,Rumah/Warung Makan,R\n10710,Roti,\n", 2, NULL},
        {REFDATA_KBLI, "title,code\nRumah,56102\n", 1, NULL},
        {REFDATA_KBLI, "code,title\n5610,x\n", -1, "t.csv:2: KBLI code '5610' is not 5 digits"},
        {REFDATA_KBLI, "code,title\n56102,x\n56102,y\n", -1, "t.csv:3: duplicate code 56102"},
        {REFDATA_KBLI, "code,title,risk\n56102,x,HIGH\n", -1, "t.csv:2: risk 'HIGH'"},
        {REFDATA_KBLI, "code,title\n56102,\n", -1, "t.csv:2: empty title"},
        {REFDATA_KBLI, "code,name\n56102,x\n", -1, "t.csv:1: the header must name"},
        {REFDATA_KBLI, "code,title,code\n", -1, "t.csv:1: column 'code' appears twice"},
        {REFDATA_KBLI, "code,title\n56102,x,extra\n", -1, "t.csv:2: 3 fields"},
        {REFDATA_KBLI, "", -1, "t.csv: empty file"},
        {REFDATA_REGIONS, "code,name\n33,Jawa Tengah\n33.74,\"Kota Semarang\"\n", 2, NULL},
        {REFDATA_REGIONS, "code,name\n33,Jawa Tengah\n\n33.7,x\n", -1, "t.csv:4: region code"},
        {REFDATA_REGIONS, "code,name\n33,\"Jawa\nTengah\"\n33.74.1,x\n", -1, "t.csv:4:"},
        {REFDATA_REGIONS, "code,name\n33,\"Jawa Tengah\n", -1, "t.csv:2: unterminated"},
        /* holidays: date,name */
        {REFDATA_HOLIDAYS, "date,name\n2026-12-25,Hari Raya Natal\n2026-01-01,Tahun Baru\n", 2,
         NULL},
        {REFDATA_HOLIDAYS, "Name,Date\nNatal,2026-12-25\n", 1, NULL},
        {REFDATA_HOLIDAYS, "date,name\n2026-12-25,Natal\n2026-02-29,x\n", -1,
         "t.csv:3: date '2026-02-29' is not a calendar date"},
        {REFDATA_HOLIDAYS, "date,name\n2026-12-25,Natal\n\n2026-12-25,again\n", -1,
         "t.csv:4: duplicate date 2026-12-25"},
        {REFDATA_HOLIDAYS, "date,name\n25/12/2026,Natal\n", -1, "t.csv:2: date '25/12/2026'"},
        {REFDATA_HOLIDAYS, "date,name\n2026-12-25,\n", -1, "t.csv:2: empty name"},
        {REFDATA_HOLIDAYS, "date,name\n,Natal\n", -1, "t.csv:2: empty date"},
        {REFDATA_HOLIDAYS, "day,name\n2026-12-25,Natal\n", -1,
         "t.csv:1: the header must name the columns date and name"},
        /* sla: kbli,scale,working_days */
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,10\n56102,04,20\n10710,01,3\n", 3, NULL},
        {REFDATA_SLA, "kbli,working_days\n56102,10\n", 1, NULL},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,10\n56102,,12\n", -1,
         "t.csv:3: duplicate KBLI 56102 for every scale"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,04,10\n56102,04,12\n", -1,
         "t.csv:3: duplicate KBLI 56102 for scale 04"},
        {REFDATA_SLA, "kbli,scale,working_days\n5610,,10\n", -1,
         "t.csv:2: KBLI code '5610' is not 5 digits"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,05,10\n", -1, "t.csv:2: scale '05'"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,0\n", -1,
         "t.csv:2: working_days '0' of KBLI 56102 is not a whole number 1-1000"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,1001\n", -1, "t.csv:2: working_days"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,99999999999999999999\n", -1,
         "t.csv:2: working_days"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,5d\n", -1, "t.csv:2: working_days '5d'"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,-5\n", -1, "t.csv:2: working_days"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,,\n", -1, "t.csv:2: working_days ''"},
        {REFDATA_SLA, "kbli,scale\n56102,01\n", -1,
         "t.csv:1: the header must name the columns kbli and working_days"},
        {REFDATA_SLA, "kbli,scale,working_days\n56102,01\n", -1, "t.csv:2: 2 fields"},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct refdata *rd = refdata_new();
        FILE *f = mem(cases[i].text[0] ? cases[i].text : "\n");
        char err[256] = "";
        long n = refdata_load_csv(rd, cases[i].kind, f, "t.csv", err, sizeof(err));

        if (n != cases[i].n || (cases[i].err && !strstr(err, cases[i].err)))
            fail_msg("case %zu: n %ld want %ld, err '%s' want '%s'", i, n, cases[i].n, err,
                     cases[i].err ? cases[i].err : "");
        fclose(f);
        refdata_free(rd);
    }
}

static void test_kind_and_shapes(void **state)
{
    enum refdata_kind k;

    (void)state;
    assert_int_equal(refdata_kind_parse("kbli", &k), 0);
    assert_int_equal(k, REFDATA_KBLI);
    assert_int_equal(refdata_kind_parse("regions", &k), 0);
    assert_int_equal(k, REFDATA_REGIONS);
    assert_int_equal(refdata_kind_parse("region", &k), -1);
    assert_int_equal(refdata_kind_parse("holidays", &k), 0);
    assert_int_equal(k, REFDATA_HOLIDAYS);
    assert_string_equal(refdata_kind_name(k), "holidays");
    assert_int_equal(refdata_kind_parse("sla", &k), 0);
    assert_int_equal(k, REFDATA_SLA);
    assert_string_equal(refdata_kind_name(k), "sla");
    assert_int_equal(refdata_kind_parse("holiday", &k), -1);
    assert_int_equal(refdata_kind_parse(NULL, &k), -1);
    assert_string_equal(refdata_kind_name(REFDATA_REGIONS), "regions");
    assert_int_equal(refdata_region_level("33"), 1);
    assert_int_equal(refdata_region_level("33.74"), 2);
    assert_int_equal(refdata_region_level("33.74.10"), 3);
    assert_int_equal(refdata_region_level("33.74.10.1005"), 4);
    assert_int_equal(refdata_region_level("3374"), 0);
    assert_int_equal(refdata_region_level("33.74.10.100"), 0);
    assert_true(refdata_kbli_code_valid("00000"));
    assert_false(refdata_kbli_code_valid("0000"));
    assert_false(refdata_kbli_code_valid("0000a"));
    assert_true(refdata_risk_valid("MT"));
    assert_false(refdata_risk_valid("M"));
}

/* Holidays: kept sorted whatever the order added, with their names; duplicates refused. */
static void test_holidays(void **state)
{
    static const char *const dates[] = {"2027-01-01", "2026-12-25", "2026-05-01", "2027-12-25",
                                        "2026-01-01"};
    struct refdata *rd = refdata_new();
    const struct cal_holidays *h;
    int32_t d;

    (void)state;
    h = refdata_holidays(rd);
    assert_int_equal(h->n, 0);
    assert_int_equal(refdata_holiday_count(rd), 0);
    for (size_t i = 0; i < N_ELEMS(dates); i++)
        assert_int_equal(refdata_add_holiday(rd, dates[i], dates[i]), 0);
    assert_int_equal(refdata_add_holiday(rd, "2026-12-25", "again"), -1);
    assert_int_equal(refdata_add_holiday(rd, "2026-12-32", "x"), -1);
    assert_int_equal(refdata_add_holiday(rd, "2026-12-24", ""), -1);
    assert_int_equal(refdata_add_holiday(rd, "2026-12-24", NULL), -1);
    assert_int_equal(refdata_add_holiday(rd, NULL, "x"), -1);
    h = refdata_holidays(rd);
    assert_int_equal(h->n, N_ELEMS(dates));
    assert_int_equal(refdata_holiday_count(rd), N_ELEMS(dates));
    for (size_t i = 1; i < h->n; i++)
        assert_true(h->days[i - 1] < h->days[i]);
    assert_int_equal(cal_parse_date("2026-01-01", &d), 0);
    assert_int_equal(h->days[0], d);
    assert_string_equal(refdata_holiday_name(rd, d), "2026-01-01");
    assert_null(refdata_holiday_name(rd, d + 1));
    assert_false(cal_is_working_day(h, d));    /* a Thursday, but a holiday */
    assert_true(cal_is_working_day(h, d + 1)); /* Friday 2 January */
    /* Many, in reverse: still sorted. */
    for (int i = 400; i > 0; i--) {
        char buf[11];

        cal_format_date(cal_day_from_civil(2030, 1, 1) + i * 3, buf);
        assert_int_equal(refdata_add_holiday(rd, buf, "x"), 0);
    }
    h = refdata_holidays(rd);
    assert_int_equal(h->n, N_ELEMS(dates) + 400);
    for (size_t i = 1; i < h->n; i++)
        assert_true(h->days[i - 1] < h->days[i]);
    assert_string_equal(refdata_holiday_version(rd), "");
    refdata_set_calendar_versions(rd, "h-1", NULL);
    refdata_set_calendar_versions(rd, NULL, "s-1");
    assert_string_equal(refdata_holiday_version(rd), "h-1");
    assert_string_equal(refdata_sla_version(rd), "s-1");
    refdata_free(rd);
}

/* N for (kbli, scale): the scale's own row, else the every-scale row, else 5. */
static void test_sla(void **state)
{
    struct refdata *rd = refdata_new();
    static const struct {
        const char *kbli, *scale;
        unsigned want;
    } cases[] = {
        {"56102", "01", 10}, {"56102", "02", 10}, {"56102", "04", 20}, {"56102", NULL, 10},
        {"56102", "", 10},   {"10710", "01", 3},  {"10710", "02", 5},  {"10710", NULL, 5},
        {"99999", "01", 5},  {"99999", NULL, 5},  {"5610", "01", 5},   {NULL, "01", 5},
        {"56102", "05", 5},  {"56102", "1", 5},   {"11010", "03", 60}, {"11010", "04", 1000},
    };

    (void)state;
    assert_int_equal(refdata_sla_days(rd, "56102", "01"), REFDATA_SLA_DEFAULT_DAYS);
    assert_int_equal(REFDATA_SLA_DEFAULT_DAYS, 5);
    assert_int_equal(refdata_add_sla(rd, "56102", NULL, 10), 0);
    assert_int_equal(refdata_add_sla(rd, "56102", "04", 20), 0);
    assert_int_equal(refdata_add_sla(rd, "10710", "01", 3), 0);
    assert_int_equal(refdata_add_sla(rd, "11010", "03", 60), 0);
    assert_int_equal(refdata_add_sla(rd, "11010", "04", 1000), 0);
    /* refused: duplicates ("" and NULL are the same: every scale), bad values */
    assert_int_equal(refdata_add_sla(rd, "56102", "", 11), -1);
    assert_int_equal(refdata_add_sla(rd, "56102", "04", 21), -1);
    assert_int_equal(refdata_add_sla(rd, "56103", "05", 5), -1);
    assert_int_equal(refdata_add_sla(rd, "5610", NULL, 5), -1);
    assert_int_equal(refdata_add_sla(rd, "56103", NULL, 0), -1);
    assert_int_equal(refdata_add_sla(rd, "56103", NULL, -1), -1);
    assert_int_equal(refdata_add_sla(rd, "56103", NULL, 1001), -1);
    assert_int_equal(refdata_sla_count(rd), 5);
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        if (refdata_sla_days(rd, cases[i].kbli, cases[i].scale) != cases[i].want)
            fail_msg("sla(%s, %s) = %u, want %u", cases[i].kbli ? cases[i].kbli : "NULL",
                     cases[i].scale ? cases[i].scale : "NULL",
                     refdata_sla_days(rd, cases[i].kbli, cases[i].scale), cases[i].want);
    refdata_free(rd);
}

/* ---- the full official tables ------------------------------------------------------------ */

static FILE *open_shared(const char *file, char *path, size_t pathlen)
{
    const char *src = getenv("OSSD_SRCDIR");

    snprintf(path, pathlen, "%s/../shared/data/%s", src ? src : ".", file);
    return fopen(path, "r");
}

static void test_full_tables(void **state)
{
    char path[4096], err[512];
    FILE *kf, *rf;
    struct refdata *rd;
    const struct ossd_refdata *api;
    struct timespec t0, t1;
    long n, hits = 0;
    double ns;

    (void)state;
    kf = open_shared("kbli2020-kelompok.csv", path, sizeof(path));
    rf = open_shared("regions-kemendagri-2025.csv", path, sizeof(path));
    if (!kf || !rf) {
        if (kf)
            fclose(kf);
        if (rf)
            fclose(rf);
        skip();
    }
    rd = refdata_new();
    n = refdata_load_csv(rd, REFDATA_KBLI, kf, "kbli2020-kelompok.csv", err, sizeof(err));
    if (n < 0)
        fail_msg("%s", err);
    assert_int_equal(n, 1790);
    n = refdata_load_csv(rd, REFDATA_REGIONS, rf, "regions-kemendagri-2025.csv", err, sizeof(err));
    if (n < 0)
        fail_msg("%s", err);
    assert_int_equal(n, 91599);
    fclose(kf);
    fclose(rf);
    assert_int_equal(refdata_kbli_count(rd), 1790);
    assert_int_equal(refdata_region_count(rd), 91599);

    api = refdata_api(rd);
    assert_string_equal(api->kbli_title(api->ctx, "56102"), "Rumah/Warung Makan");
    assert_string_equal(api->kbli_title(api->ctx, "10794"),
                        "Industri Kerupuk, Keripik, Peyek Dan Sejenisnya");
    assert_string_equal(api->kbli_risk(api->ctx, "56102", "01"), "T"); /* no risk column */
    assert_null(api->kbli_title(api->ctx, "56100"));
    for (int p = 0; p < 100; p++) {
        char p2[3] = {(char)('0' + p / 10), (char)('0' + p % 10), 0};
        hits += api->province_known(api->ctx, p2);
    }
    assert_int_equal(hits, 38);
    assert_true(api->province_known(api->ctx, "33"));
    assert_int_equal(api->region(api->ctx, "33.74.10"), OSSD_REGION_KNOWN);
    assert_int_equal(api->region(api->ctx, "33.74.16"), OSSD_REGION_KNOWN);
    assert_int_equal(api->region(api->ctx, "33.74.17"), OSSD_REGION_UNKNOWN);
    /* Tembalang has villages: a real one is known, a made-up one is not. */
    assert_int_equal(api->region(api->ctx, "33.74.10.1005"), OSSD_REGION_KNOWN);
    assert_int_equal(api->region(api->ctx, "33.74.10.1099"), OSSD_REGION_UNKNOWN);
    assert_int_equal(api->region(api->ctx, "12.07.28.1007"), OSSD_REGION_KNOWN);

    /* Lookups cost nothing: two million of them, timed (printed, loosely bounded). */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hits = 0;
    for (int i = 0; i < 1000000; i++) {
        char code[16];
        snprintf(code, sizeof(code), "33.74.%02d.%04d", 1 + i % 16, 1001 + i % 20);
        hits += api->region(api->ctx, code) == OSSD_REGION_KNOWN;
        snprintf(code, sizeof(code), "%05d", 10000 + i % 90000);
        hits += api->kbli_title(api->ctx, code) != NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 2e6;
    print_message("full tables: 2,000,000 lookups, %.0f ns each (formatting included), %ld hits\n",
                  ns, hits);
    assert_true(ns < 5000);
    refdata_free(rd);
}

/* ---- the shipped seed (schemas/sql/003_refdata_seed.sql) ------------------------------------ */

/* docs/rules.md: the KBLI codes the shipped data must hold, with their risk levels. */
static const struct {
    const char *code, *risk;
} contract_kbli[] = {
    {"14120", "R"},  {"95291", "R"},  {"45407", "R"},  {"32903", "R"},  {"16291", "R"},
    {"13134", "R"},  {"56102", "R"},  {"56103", "R"},  {"56104", "R"},  {"47112", "R"},
    {"96111", "R"},  {"47761", "R"},  {"10710", "MR"}, {"10792", "MR"}, {"10794", "MR"},
    {"14111", "MR"}, {"56210", "MR"}, {"10750", "MR"}, {"45202", "MR"}, {"56290", "MT"},
    {"11040", "MT"}, {"47722", "MT"}, {"47721", "T"},  {"11010", "T"},  {"47221", "T"},
    {"20292", "T"},
};

/* Parses one SQL row "    ('a', 'b', NULL, 'c')," into up to max fields (NULL for NULL);
 * the strings are written into buf. Returns the field count, or -1. */
static int parse_sql_tuple(const char *line, char *buf, size_t buflen, const char **fields, int max)
{
    const char *p = strchr(line, '(');
    size_t used = 0;
    int n = 0;

    if (!p)
        return -1;
    p++;
    while (n < max) {
        while (*p == ' ')
            p++;
        if (strncmp(p, "NULL", 4) == 0) {
            fields[n++] = NULL;
            p += 4;
        } else if (*p == '\'') {
            fields[n++] = buf + used;
            for (p++;; p++) {
                if (*p == '\0' || used + 1 >= buflen)
                    return -1;
                if (*p == '\'' && p[1] == '\'') {
                    buf[used++] = '\'';
                    p++;
                } else if (*p == '\'') {
                    p++;
                    break;
                } else {
                    buf[used++] = *p;
                }
            }
            buf[used++] = '\0';
        } else {
            return -1;
        }
        while (*p == ' ')
            p++;
        if (*p == ')')
            return n;
        if (*p != ',')
            return -1;
        p++;
    }
    return -1;
}

/* Reads the seed's rows into a refdata (offline: no database needed). */
static struct refdata *seed_refdata(void)
{
    char path[4096], line[8192], buf[8192];
    const char *src = getenv("OSSD_SRCDIR");
    struct refdata *rd = refdata_new();
    FILE *f;

    snprintf(path, sizeof(path), "%s/schemas/sql/003_refdata_seed.sql", src ? src : ".");
    f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof(line), f)) {
        const char *fl[5];
        int n;

        if (strncmp(line, "    ('", 6) != 0)
            continue;
        n = parse_sql_tuple(line, buf, sizeof(buf), fl, 5);
        if (n == 5 && strcmp(fl[0], "2020") == 0)
            assert_int_equal(refdata_add_kbli(rd, fl[1], fl[2], fl[4]), 0);
        else if (n == 3 && strcmp(fl[0], "kemendagri-2025") == 0)
            assert_int_equal(refdata_add_region(rd, fl[1], fl[2]), 0);
        else if (n != 2) /* the ref_versions rows */
            fail_msg("unexpected seed row: %s", line);
    }
    fclose(f);
    return rd;
}

/* What docs/rules.md asks of the shipped data, checked on any refdata holding it. */
static void check_seed_content(const struct refdata *rd)
{
    const struct ossd_refdata *api = refdata_api(rd);
    char code[16];
    int provinces = 0, regencies = 0;

    for (size_t i = 0; i < N_ELEMS(contract_kbli); i++) {
        const char *risk = api->kbli_risk(api->ctx, contract_kbli[i].code, "01");
        if (!risk || strcmp(risk, contract_kbli[i].risk) != 0)
            fail_msg("KBLI %s: risk %s, want %s", contract_kbli[i].code, risk ? risk : "NULL",
                     contract_kbli[i].risk);
    }
    assert_string_equal(api->kbli_title(api->ctx, "56102"), "Rumah/Warung Makan");
    for (int p = 10; p < 100; p++) {
        snprintf(code, sizeof(code), "%02d", p);
        provinces += api->province_known(api->ctx, code);
    }
    assert_int_equal(provinces, 38);
    for (int r = 1; r < 100; r++) {
        snprintf(code, sizeof(code), "33.%02d", r);
        regencies += api->region(api->ctx, code) == OSSD_REGION_KNOWN;
    }
    assert_int_equal(regencies, 35); /* 29 kabupaten, 6 kota */
    for (int d = 1; d <= 17; d++) {
        snprintf(code, sizeof(code), "33.74.%02d", d);
        assert_int_equal(api->region(api->ctx, code),
                         d <= 16 ? OSSD_REGION_KNOWN : OSSD_REGION_UNKNOWN);
    }
    assert_int_equal(api->region(api->ctx, "33.74.10.1005"), OSSD_REGION_KNOWN);
}

static void test_seed(void **state)
{
    struct refdata *seed = seed_refdata();
    const struct ossd_refdata *api = refdata_api(seed);
    char path[4096], err[512];
    struct refdata *full;
    FILE *kf, *rf;

    (void)state;
    assert_int_equal(refdata_kbli_count(seed), N_ELEMS(contract_kbli));
    assert_int_equal(refdata_region_count(seed), 38 + 35 + 16);
    check_seed_content(seed);

    /* Titles and names are the official ones. */
    kf = open_shared("kbli2020-kelompok.csv", path, sizeof(path));
    rf = open_shared("regions-kemendagri-2025.csv", path, sizeof(path));
    if (kf && rf) {
        const struct ossd_refdata *fa;

        full = refdata_new();
        assert_true(refdata_load_csv(full, REFDATA_KBLI, kf, "kbli", err, sizeof(err)) > 0);
        assert_true(refdata_load_csv(full, REFDATA_REGIONS, rf, "regions", err, sizeof(err)) > 0);
        fa = refdata_api(full);
        for (size_t i = 0; i < N_ELEMS(contract_kbli); i++)
            assert_string_equal(api->kbli_title(api->ctx, contract_kbli[i].code),
                                fa->kbli_title(fa->ctx, contract_kbli[i].code));
        refdata_free(full);
    }
    if (kf)
        fclose(kf);
    if (rf)
        fclose(rf);
    refdata_free(seed);
}

/* ---- PostgreSQL ------------------------------------------------------------------------------ */

static void exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *data;
    long len;

    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = calloc(1, (size_t)len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return data;
}

/* Everything happens in one transaction that is rolled back: the database is left as found. */
static void test_load_pg(void **state)
{
    const char *url = getenv("OSSD_TEST_PG_URL");
    const char *src = getenv("OSSD_SRCDIR");
    PGconn *conn;
    struct refdata *rd;
    const struct ossd_refdata *api;
    char path[4096], err[512], *sql;

    (void)state;
    if (!url || !url[0])
        skip();
    conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("connect: %s", PQerrorMessage(conn));
    exec_ok(conn, "SET client_min_messages = warning");
    exec_ok(conn, "BEGIN");
    snprintf(path, sizeof(path), "%s/schemas/sql/002_refdata.sql", src ? src : ".");
    sql = read_file(path);
    exec_ok(conn, sql);
    free(sql);
    exec_ok(conn, "UPDATE ref_versions SET active = false");

    /* No active version: an error, and the caller's transaction is left alone. */
    rd = refdata_load_pg(conn, err, sizeof(err));
    assert_null(rd);
    assert_non_null(strstr(err, "no active kbli version"));
    exec_ok(conn, "ROLLBACK");
    exec_ok(conn, "BEGIN");
    sql = read_file(path);
    exec_ok(conn, sql);
    free(sql);
    exec_ok(conn, "UPDATE ref_versions SET active = false");
    exec_ok(conn, "INSERT INTO ref_versions (kind, version, active) VALUES "
                  "('kbli', 'unit-test', true), ('regions', 'unit-test', true), "
                  "('kbli', 'unit-test-old', false)");
    exec_ok(conn, "INSERT INTO ref_kbli (version, code, title, risk) VALUES "
                  "('unit-test', '56102', 'Rumah/Warung Makan', 'R'), "
                  "('unit-test', '10710', 'Industri Produk Roti Dan Kue', 'MR'), "
                  "('unit-test', '01111', 'Pertanian Jagung', NULL), "
                  "('unit-test-old', '99999', 'Old', 'R')");
    exec_ok(conn, "INSERT INTO ref_kbli_risk (version, code, scale, risk) VALUES "
                  "('unit-test', '10710', '04', 'MT')");
    exec_ok(conn, "INSERT INTO ref_regions (version, code, name) VALUES "
                  "('unit-test', '33', 'Jawa Tengah'), ('unit-test', '33.74', 'Kota Semarang'), "
                  "('unit-test', '33.74.10', 'Tembalang'), "
                  "('unit-test', '33.74.10.1005', 'Kramas'), "
                  "('unit-test', '33.74.01', 'Semarang Tengah')");
    rd = refdata_load_pg(conn, err, sizeof(err));
    if (!rd)
        fail_msg("%s", err);
    assert_int_equal(PQtransactionStatus(conn), PQTRANS_INTRANS);
    api = refdata_api(rd);
    assert_string_equal(refdata_kbli_version(rd), "unit-test");
    assert_string_equal(refdata_region_version(rd), "unit-test");
    assert_int_equal(refdata_kbli_count(rd), 3);
    assert_int_equal(refdata_region_count(rd), 5);
    assert_null(api->kbli_title(api->ctx, "99999"));
    assert_string_equal(api->kbli_risk(api->ctx, "10710", "04"), "MT");
    assert_string_equal(api->kbli_risk(api->ctx, "10710", "01"), "MR");
    assert_string_equal(api->kbli_risk(api->ctx, "01111", "01"), "T");
    assert_int_equal(api->region(api->ctx, "33.74.10.1005"), OSSD_REGION_KNOWN);
    assert_int_equal(api->region(api->ctx, "33.74.10.1006"), OSSD_REGION_UNKNOWN);
    assert_int_equal(api->region(api->ctx, "33.74.01.1006"), OSSD_REGION_KNOWN);
    refdata_free(rd);
    exec_ok(conn, "ROLLBACK");

    /* The shipped seed, loaded on empty tables, has what docs/rules.md asks. */
    exec_ok(conn, "BEGIN");
    sql = read_file(path);
    exec_ok(conn, sql);
    free(sql);
    exec_ok(conn, "DELETE FROM ref_versions; DELETE FROM ref_kbli; DELETE FROM ref_regions");
    snprintf(path, sizeof(path), "%s/schemas/sql/003_refdata_seed.sql", src ? src : ".");
    sql = read_file(path);
    exec_ok(conn, sql);
    exec_ok(conn, sql); /* idempotent */
    free(sql);
    rd = refdata_load_pg(conn, err, sizeof(err));
    if (!rd)
        fail_msg("%s", err);
    assert_string_equal(refdata_kbli_version(rd), "2020");
    assert_string_equal(refdata_region_version(rd), "kemendagri-2025");
    check_seed_content(rd);
    refdata_free(rd);
    exec_ok(conn, "ROLLBACK");

    /* The calendar tables (004): the shipped holidays and the empty SLA version are active, an
     * imported SLA version answers per (kbli, scale), and an inactive one is not loaded. */
    exec_ok(conn, "BEGIN");
    snprintf(path, sizeof(path), "%s/schemas/sql/004_refdata_calendar.sql", src ? src : ".");
    sql = read_file(path);
    exec_ok(conn, sql);
    exec_ok(conn, "DELETE FROM ref_versions WHERE kind IN ('holidays', 'sla'); "
                  "DELETE FROM ref_holidays; DELETE FROM ref_sla");
    exec_ok(conn, sql);
    exec_ok(conn, sql); /* idempotent */
    free(sql);
    rd = refdata_load_pg(conn, err, sizeof(err));
    if (!rd)
        fail_msg("%s", err);
    assert_string_equal(refdata_holiday_version(rd), "national-fixed-2026-2027");
    assert_int_equal(refdata_holiday_count(rd), 10);
    assert_string_equal(refdata_sla_version(rd), "statutory");
    assert_int_equal(refdata_sla_count(rd), 0);
    assert_int_equal(refdata_sla_days(rd, "56102", "01"), 5);
    {
        int32_t d;
        assert_int_equal(cal_parse_date("2026-08-17", &d), 0);
        assert_string_equal(refdata_holiday_name(rd, d), "Hari Proklamasi Kemerdekaan");
        assert_false(cal_is_working_day(refdata_holidays(rd), d));
    }
    refdata_free(rd);
    exec_ok(conn, "UPDATE ref_versions SET active = false WHERE kind IN ('holidays', 'sla')");
    exec_ok(conn, "INSERT INTO ref_versions (kind, version, active) VALUES "
                  "('sla', 'unit-test', true), ('sla', 'unit-test-old', false)");
    exec_ok(conn, "INSERT INTO ref_sla (version, kbli, scale, working_days) VALUES "
                  "('unit-test', '56102', '', 10), ('unit-test', '56102', '04', 20), "
                  "('unit-test-old', '10710', '', 7)");
    rd = refdata_load_pg(conn, err, sizeof(err));
    if (!rd)
        fail_msg("%s", err);
    assert_string_equal(refdata_holiday_version(rd), ""); /* none active: no holidays */
    assert_int_equal(refdata_holiday_count(rd), 0);
    assert_string_equal(refdata_sla_version(rd), "unit-test");
    assert_int_equal(refdata_sla_days(rd, "56102", "01"), 10);
    assert_int_equal(refdata_sla_days(rd, "56102", "04"), 20);
    assert_int_equal(refdata_sla_days(rd, "10710", "01"), 5);
    refdata_free(rd);
    exec_ok(conn, "ROLLBACK");

    /* An idle connection: refdata_load_pg opens and closes its own snapshot. */
    rd = refdata_load_pg(conn, err, sizeof(err));
    if (rd) {
        assert_int_equal(PQtransactionStatus(conn), PQTRANS_IDLE);
        refdata_free(rd);
    }
    assert_int_equal(PQtransactionStatus(conn), PQTRANS_IDLE);
    PQfinish(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regions),     cmocka_unit_test(test_region_add_errors),
        cmocka_unit_test(test_kbli),        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_csv_reader),  cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_load_csv),    cmocka_unit_test(test_kind_and_shapes),
        cmocka_unit_test(test_full_tables), cmocka_unit_test(test_seed),
        cmocka_unit_test(test_load_pg),     cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_sla),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
