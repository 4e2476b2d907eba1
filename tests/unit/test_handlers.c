/* test_handlers: the built-in handlers over hand-built submissions and a small in-memory refdata:
 * reasons (codes and paths), enrichment, chain-order independence, no identity data in messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "handler_api.h"
#include "pipeline.h"
#include "refdata.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static struct refdata *small_refdata(void)
{
    static const char *const regions[][2] = {
        {"33", "Jawa Tengah"},          {"31", "DKI Jakarta"},
        {"33.74", "Kota Semarang"},     {"33.74.10", "Tembalang"},
        {"33.74.10.1005", "Kramas"},    {"33.74.01", "Semarang Tengah"},
        {"33.01", "Kabupaten Cilacap"}, {"33.01.01", "Dayeuhluhur"},
    };
    static const char *const kbli[][3] = {
        {"56102", "Rumah/Warung Makan", "R"},
        {"10710", "Industri Produk Roti Dan Kue", "MR"},
        {"56290", "Penyediaan Jasa Boga Periode Tertentu", "MT"},
        {"11010", "Industri Minuman Beralkohol Hasil Destilasi", "T"},
        {"01111", "Pertanian Jagung", NULL},
    };
    struct refdata *rd = refdata_new();

    for (size_t i = 0; i < N_ELEMS(regions); i++)
        assert_int_equal(refdata_add_region(rd, regions[i][0], regions[i][1]), 0);
    for (size_t i = 0; i < N_ELEMS(kbli); i++)
        assert_int_equal(refdata_add_kbli(rd, kbli[i][0], kbli[i][1], kbli[i][2]), 0);
    assert_int_equal(refdata_add_kbli_risk(rd, "10710", "04", "MT"), 0);
    refdata_set_versions(rd, "2020", "test");
    return rd;
}

static int n_logs;

static void test_log(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
{
    (void)ctx;
    (void)level;
    (void)fmt;
    n_logs++;
}

/* A valid perseorangan from Tembalang: a woman born 12 March 1995, micro business. */
#define NIK_OK  "3374105203950001"
#define BIRTH   "1995-03-12"
#define PHONE   "081234567890"
#define EMAIL   "siti.rahayu88@example.id"
#define NPWP_01 "012345678901234"

static void base(struct ossd_submission *s)
{
    memset(s, 0, sizeof(*s));
    s->submission_id = "sub-1";
    s->submitted_at = "2025-11-28T08:00:00+07:00";
    s->submitted_year = 2025;
    s->submitted_month = 11;
    s->submitted_day = 28;
    s->channel = "outreach";
    s->applicant.type = "02";
    s->applicant.nik = NIK_OK;
    s->applicant.name = "Siti Rahayu";
    s->applicant.birth_date = BIRTH;
    s->applicant.gender = "F";
    s->applicant.phone = PHONE;
    s->applicant.email = EMAIL;
    s->applicant.street = "Jl. Ngesrep Timur V No. 12";
    s->applicant.region_code = "33.74.10.1005";
    s->business.name = "Warung Bu Siti";
    s->business.has_capital = 1;
    s->business.capital_idr = 15000000;
    s->business.workers = 2;
    s->business.region_code = "33.74.10";
    s->business.street = "Jl. Ngesrep Timur V No. 12";
    s->business.n_activities = 1;
    s->business.activities[0].kbli = "56102";
}

struct env {
    struct refdata *rd;
    struct ossd_ctx ctx;
};

static int setup(void **state)
{
    static struct env env;

    env.rd = small_refdata();
    env.ctx.refdata = refdata_api(env.rd);
    env.ctx.log = test_log;
    *state = &env;
    return 0;
}

static int teardown(void **state)
{
    struct env *env = *state;

    refdata_free(env->rd);
    return 0;
}

/* Runs one handler over s into a fresh draft. */
static enum ossd_result run1(const struct env *env, const struct ossd_handler_type *h,
                             const struct ossd_submission *s, struct ossd_decision *d)
{
    memset(d, 0, sizeof(*d));
    return h->process(NULL, &env->ctx, s, d);
}

/* Fails unless d holds exactly the reasons want ("CODE path", in order). */
static void expect_reasons(const struct ossd_decision *d, const char *const *want, size_t n,
                           const char *label)
{
    size_t i;

    for (i = 0; i < d->n_reasons && i < n; i++) {
        char got[160];
        snprintf(got, sizeof(got), "%s %s", d->reasons[i].code, d->reasons[i].path);
        if (strcmp(got, want[i]) != 0)
            fail_msg("%s: reason %zu is '%s' (%s), want '%s'", label, i, got, d->reasons[i].message,
                     want[i]);
    }
    if (d->n_reasons != n)
        fail_msg("%s: %zu reasons, want %zu (first extra: %s %s)", label, d->n_reasons, n,
                 d->n_reasons > n ? d->reasons[n].code : "-",
                 d->n_reasons > n ? d->reasons[n].path : "-");
}

/* No message may echo an identity or contact value. */
static void expect_no_pii(const struct ossd_decision *d, const struct ossd_submission *s)
{
    const char *values[] = {s->applicant.nik, s->applicant.npwp, s->applicant.phone,
                            s->applicant.email, s->applicant.birth_date};

    for (size_t i = 0; i < d->n_reasons; i++) {
        const char *m = d->reasons[i].message;
        assert_true(m[0] != '\0');
        for (size_t v = 0; v < N_ELEMS(values); v++)
            if (values[v] && values[v][0] && strstr(m, values[v]))
                fail_msg("reason %s echoes an identity value: %s", d->reasons[i].code, m);
        /* nor a recognisable part of the NIK: its date block or its serial with the date */
        if (s->applicant.nik && strlen(s->applicant.nik) == 16) {
            char part[11];
            memcpy(part, s->applicant.nik + 6, 10);
            part[10] = '\0';
            assert_null(strstr(m, part));
            memcpy(part, s->applicant.nik, 6);
            part[6] = '\0';
            assert_null(strstr(m, part));
        }
    }
}

/* ---- the table of built-ins ---------------------------------------------------------------- */

static void test_builtin_table(void **state)
{
    static const char *const order[] = {"identity", "region", "kbli", "activity", "scale", "risk"};
    size_t n = 0;

    (void)state;
    for (; ossd_builtin_handlers[n]; n++) {
        const struct ossd_handler_type *h = ossd_builtin_handlers[n];
        assert_true(n < N_ELEMS(order));
        assert_string_equal(h->name, order[n]);
        assert_int_equal(h->abi_major, OSSD_HANDLER_ABI_MAJOR);
        assert_int_equal(h->abi_minor, OSSD_HANDLER_ABI_MINOR);
        assert_int_equal(h->struct_size, sizeof(struct ossd_handler_type));
        assert_non_null(h->description);
        assert_true(!h->config_keys || !h->config_keys[0].name);
        assert_non_null(h->process);
        assert_ptr_equal(builtin_handler_find(h->name), h);
    }
    assert_int_equal(n, N_ELEMS(order));
    assert_null(builtin_handler_find("nope"));
    assert_null(builtin_handler_find(NULL));
}

/* ---- identity ------------------------------------------------------------------------------ */

struct id_case {
    const char *label;
    const char *type, *nik, *birth, *gender, *npwp;
    const char *reasons[6];
};

static const struct id_case id_cases[] = {
    {"valid woman", "02", NIK_OK, BIRTH, "F", NULL, {NULL}},
    {"valid man", "02", "3374101203950001", BIRTH, "M", NULL, {NULL}},
    {"type 02 NPWP = own NIK", "02", NIK_OK, BIRTH, "F", NIK_OK, {NULL}},
    {"type 01 legacy NPWP", "01", NIK_OK, BIRTH, "F", NPWP_01, {NULL}},
    {"type 01 16-digit NPWP", "01", NIK_OK, BIRTH, "F", "0" NPWP_01, {NULL}},
    {"unknown province, date fine",
     "02",
     "9974105203950001",
     BIRTH,
     "F",
     NULL,
     {"NIK_INVALID /applicant/nik"}},
    {"serial 0000 and another birth date",
     "02",
     "3374105203950000",
     "1995-03-13",
     "F",
     NULL,
     {"NIK_INVALID /applicant/nik", "NIK_MISMATCH /applicant/birth_date"}},
    {"gender differs", "02", NIK_OK, BIRTH, "M", NULL, {"NIK_MISMATCH /applicant/gender"}},
    {"both differ",
     "02",
     "3374101203950001",
     "1995-03-11",
     "F",
     NULL,
     {"NIK_MISMATCH /applicant/birth_date", "NIK_MISMATCH /applicant/gender"}},
    {"century: 2025 is not after the submission year",
     "02",
     "3374101201250001",
     "1925-01-12",
     "M",
     NULL,
     {"NIK_MISMATCH /applicant/birth_date"}},
    {"day 32: no date, so no mismatch",
     "02",
     "3374103203950001",
     "2001-01-01",
     "F",
     NULL,
     {"NIK_INVALID /applicant/nik"}},
    {"31 April: no date, so no mismatch",
     "02",
     "3374103104950001",
     BIRTH,
     "F",
     NULL,
     {"NIK_INVALID /applicant/nik"}},
    {"district 00", "02", "3374005203950001", BIRTH, "F", NULL, {"NIK_INVALID /applicant/nik"}},
    {"underage by one day",
     "02",
     "3374106911080001",
     "2008-11-29",
     "F",
     NULL,
     {"APPLICANT_UNDERAGE /applicant/birth_date"}},
    {"17 today", "02", "3374106811080001", "2008-11-28", "F", NULL, {NULL}},
    {"type 01 without NPWP", "01", NIK_OK, BIRTH, "F", NULL, {"NPWP_REQUIRED /applicant/npwp"}},
    {"type 01 NPWP = NIK", "01", NIK_OK, BIRTH, "F", NIK_OK, {"NPWP_INVALID /applicant/npwp"}},
    {"type 02 NPWP = someone else's NIK",
     "02",
     NIK_OK,
     BIRTH,
     "F",
     "3374105203950002",
     {"NPWP_INVALID /applicant/npwp"}},
    {"everything at once",
     "01",
     "9900006911080000",
     "2008-11-30",
     "M",
     NULL,
     {"NIK_INVALID /applicant/nik", "NIK_MISMATCH /applicant/birth_date",
      "NIK_MISMATCH /applicant/gender", "APPLICANT_UNDERAGE /applicant/birth_date",
      "NPWP_REQUIRED /applicant/npwp"}},
};

static void test_identity(void **state)
{
    const struct env *env = *state;

    for (size_t i = 0; i < N_ELEMS(id_cases); i++) {
        const struct id_case *c = &id_cases[i];
        struct ossd_submission s;
        struct ossd_decision d;
        size_t n = 0;
        enum ossd_result r;

        base(&s);
        s.applicant.type = c->type;
        s.applicant.nik = c->nik;
        s.applicant.birth_date = c->birth;
        s.applicant.gender = c->gender;
        s.applicant.npwp = c->npwp;
        r = run1(env, &handler_identity, &s, &d);
        while (n < N_ELEMS(c->reasons) && c->reasons[n])
            n++;
        expect_reasons(&d, c->reasons, n, c->label);
        assert_int_equal(r, n ? OSSD_REJECT : OSSD_OK);
        expect_no_pii(&d, &s);
    }
}

static void test_identity_messages(void **state)
{
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    s.applicant.nik = "3374105203950000";
    run1(env, &handler_identity, &s, &d);
    assert_int_equal(d.n_reasons, 1);
    assert_string_equal(d.reasons[0].message, "NIK serial must not be 0000");
    s.applicant.nik = "3374102902010001";
    run1(env, &handler_identity, &s, &d);
    assert_string_equal(d.reasons[0].message, "NIK birth date is not a real calendar date");
}

/* ---- region -------------------------------------------------------------------------------- */

static void test_region(void **state)
{
    static const struct {
        const char *label, *address, *location, *authority;
        const char *reasons[2];
    } cases[] = {
        {"district and known village", "33.74.10.1005", "33.74.10", "33.74", {NULL}},
        {"village of a district without villages",
         "33.01.01.2001",
         "33.74.01.1001",
         "33.74",
         {NULL}},
        {"unknown village of a district with villages",
         "33.74.10.1099",
         "33.74.10",
         "33.74",
         {"REGION_UNKNOWN /applicant/address/region_code"}},
        {"unknown business district",
         "33.74.10",
         "33.74.17",
         "33.74",
         {"REGION_UNKNOWN /business/location/region_code"}},
        {"both unknown",
         "34.01.01",
         "35.78.01.1001",
         "35.78",
         {"REGION_UNKNOWN /applicant/address/region_code",
          "REGION_UNKNOWN /business/location/region_code"}},
        {"other regency", "33.74.10", "33.01.01", "33.01", {NULL}},
    };
    const struct env *env = *state;

    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct ossd_submission s;
        struct ossd_decision d;
        size_t n = cases[i].reasons[1] ? 2 : cases[i].reasons[0] ? 1 : 0;
        enum ossd_result r;

        base(&s);
        s.applicant.region_code = cases[i].address;
        s.business.region_code = cases[i].location;
        r = run1(env, &handler_region, &s, &d);
        expect_reasons(&d, cases[i].reasons, n, cases[i].label);
        assert_int_equal(r, n ? OSSD_REJECT : OSSD_OK);
        assert_string_equal(d.authority, cases[i].authority);
        for (size_t k = 0; k < d.n_reasons; k++)
            assert_non_null(strstr(d.reasons[k].message, "reference data"));
    }
}

/* ---- kbli and activity --------------------------------------------------------------------- */

static void set_activities(struct ossd_submission *s, const char *const *codes, size_t n)
{
    s->business.n_activities = n;
    for (size_t i = 0; i < n; i++) {
        s->business.activities[i].kbli = codes[i];
        s->business.activities[i].description = NULL;
    }
}

static void test_kbli(void **state)
{
    static const char *const codes[] = {"56102", "56101", "10710", "99999"};
    static const char *const want[] = {"KBLI_UNKNOWN /business/activities/1/kbli",
                                       "KBLI_UNKNOWN /business/activities/3/kbli"};
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    assert_int_equal(run1(env, &handler_kbli, &s, &d), OSSD_OK);
    assert_int_equal(d.n_reasons, 0);
    set_activities(&s, codes, N_ELEMS(codes));
    assert_int_equal(run1(env, &handler_kbli, &s, &d), OSSD_REJECT);
    expect_reasons(&d, want, N_ELEMS(want), "kbli");
    assert_non_null(strstr(d.reasons[0].message, "56101"));
}

static void test_activity(void **state)
{
    static const char *const codes[] = {"56102", "10710", "56102", "11010", "56102", "10710"};
    static const char *const want[] = {"ACTIVITY_DUPLICATE /business/activities/2/kbli",
                                       "ACTIVITY_DUPLICATE /business/activities/4/kbli",
                                       "ACTIVITY_DUPLICATE /business/activities/5/kbli"};
    static const char *const distinct[] = {"56102", "10710", "11010"};
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    set_activities(&s, distinct, N_ELEMS(distinct));
    assert_int_equal(run1(env, &handler_activity, &s, &d), OSSD_OK);
    assert_int_equal(d.n_reasons, 0);
    set_activities(&s, codes, N_ELEMS(codes));
    assert_int_equal(run1(env, &handler_activity, &s, &d), OSSD_REJECT);
    expect_reasons(&d, want, N_ELEMS(want), "activity");
    assert_non_null(strstr(d.reasons[0].message, "/business/activities/0"));
    assert_non_null(strstr(d.reasons[2].message, "/business/activities/1"));
}

/* ---- scale and risk ------------------------------------------------------------------------- */

static void test_scale(void **state)
{
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    assert_int_equal(run1(env, &handler_scale, &s, &d), OSSD_OK);
    assert_string_equal(d.scale, "01");
    assert_int_equal(d.umk, 1);
    s.business.capital_idr = 5000000001LL;
    run1(env, &handler_scale, &s, &d);
    assert_string_equal(d.scale, "03");
    assert_int_equal(d.umk, 0);
    s.business.has_capital = 0;
    s.business.has_sales = 1;
    s.business.annual_sales_idr = 15000000000LL;
    run1(env, &handler_scale, &s, &d);
    assert_string_equal(d.scale, "02");
    assert_int_equal(d.umk, 1);
    s.business.has_sales = 0;
    assert_int_equal(run1(env, &handler_scale, &s, &d), OSSD_REJECT);
    assert_string_equal(d.reasons[0].code, "SCHEMA_INVALID");
    assert_string_equal(d.scale, "");
}

static void test_risk(void **state)
{
    static const char *const codes[] = {"56102", "10710", "99999", "56290", "11010", "01111"};
    static const struct {
        const char *kbli, *title, *risk, *permit, *status;
    } want[] = {
        {"56102", "Rumah/Warung Makan", "R", "NIB", "issued"},
        {"10710", "Industri Produk Roti Dan Kue", "MR", "SS", "issued"},
        {"56290", "Penyediaan Jasa Boga Periode Tertentu", "MT", "SS", "pending_verification"},
        {"11010", "Industri Minuman Beralkohol Hasil Destilasi", "T", "IZIN",
         "pending_verification"},
        {"01111", "Pertanian Jagung", "T", "IZIN", "pending_verification"}, /* no level: T */
    };
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    set_activities(&s, codes, N_ELEMS(codes));
    assert_int_equal(run1(env, &handler_risk, &s, &d), OSSD_OK);
    assert_int_equal(d.n_reasons, 0);
    assert_string_equal(d.scale, "01"); /* computed by risk itself: the scale handler has not run */
    assert_int_equal(d.umk, 1);
    assert_int_equal(d.n_activities, N_ELEMS(want)); /* 99999 skipped */
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        assert_string_equal(d.activities[i].kbli, want[i].kbli);
        assert_string_equal(d.activities[i].title, want[i].title);
        assert_string_equal(d.activities[i].risk, want[i].risk);
        assert_string_equal(d.activities[i].permit, want[i].permit);
        assert_string_equal(d.activities[i].status, want[i].status);
    }

    /* A large business: the per-scale level of 10710 applies. */
    s.business.capital_idr = 20000000000LL;
    run1(env, &handler_risk, &s, &d);
    assert_string_equal(d.scale, "04");
    assert_string_equal(d.activities[1].risk, "MT");
    assert_string_equal(d.activities[1].status, "pending_verification");
}

/* ---- the chain ------------------------------------------------------------------------------ */

static enum ossd_result run_chain(const struct env *env, const struct ossd_handler_type *const *hs,
                                  const struct ossd_submission *s, struct ossd_decision *d)
{
    enum ossd_result worst = OSSD_OK;

    memset(d, 0, sizeof(*d));
    for (size_t i = 0; hs[i]; i++) {
        enum ossd_result r = hs[i]->process(NULL, &env->ctx, s, d);
        if (r > worst)
            worst = r;
    }
    return worst;
}

static void test_chain_order(void **state)
{
    static const struct ossd_handler_type *const reversed[] = {
        &handler_risk,     &handler_scale, &handler_activity, &handler_kbli, &handler_region,
        &handler_identity, NULL,
    };
    static const char *const codes[] = {"56102", "10710"};
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision a, b;

    base(&s);
    set_activities(&s, codes, N_ELEMS(codes));
    s.business.has_capital = 0;
    s.business.has_sales = 1;
    s.business.annual_sales_idr = 60000000000LL; /* large: 10710 becomes MT */
    assert_int_equal(run_chain(env, ossd_builtin_handlers, &s, &a), OSSD_OK);
    assert_int_equal(run_chain(env, reversed, &s, &b), OSSD_OK);
    assert_int_equal(a.n_reasons, 0);
    assert_string_equal(a.scale, "04");
    assert_string_equal(a.authority, "33.74");
    assert_int_equal(a.n_activities, 2);
    assert_string_equal(a.activities[1].risk, "MT");
    assert_string_equal(a.scale, b.scale);
    assert_int_equal(a.umk, b.umk);
    assert_string_equal(a.authority, b.authority);
    assert_int_equal(a.n_activities, b.n_activities);
    for (size_t i = 0; i < a.n_activities; i++) {
        assert_string_equal(a.activities[i].kbli, b.activities[i].kbli);
        assert_string_equal(a.activities[i].risk, b.activities[i].risk);
        assert_string_equal(a.activities[i].permit, b.activities[i].permit);
    }
}

/* Every reason at once, with identity and contact data that must not leak into messages. */
static void test_no_pii_anywhere(void **state)
{
    static const char *const codes[] = {"56102", "56102", "99999"};
    const struct env *env = *state;
    struct ossd_submission s;
    struct ossd_decision d;

    base(&s);
    s.applicant.type = "01";
    s.applicant.nik = "9900006911080000";
    s.applicant.birth_date = "2008-11-30";
    s.applicant.gender = "M";
    s.applicant.npwp = "9900006911080000";
    s.applicant.region_code = "34.01.01";
    s.business.region_code = "33.74.99";
    set_activities(&s, codes, N_ELEMS(codes));
    assert_int_equal(run_chain(env, ossd_builtin_handlers, &s, &d), OSSD_REJECT);
    assert_true(d.n_reasons >= 9);
    expect_no_pii(&d, &s);
}

static void test_no_refdata(void **state)
{
    struct env env = {0};
    struct ossd_submission s;
    struct ossd_decision d;

    (void)state;
    env.ctx.log = test_log;
    base(&s);
    n_logs = 0;
    assert_int_equal(run1(&env, &handler_identity, &s, &d), OSSD_RETRY);
    assert_int_equal(run1(&env, &handler_region, &s, &d), OSSD_RETRY);
    assert_int_equal(run1(&env, &handler_kbli, &s, &d), OSSD_RETRY);
    assert_int_equal(run1(&env, &handler_risk, &s, &d), OSSD_RETRY);
    assert_int_equal(n_logs, 4);
    assert_int_equal(run1(&env, &handler_activity, &s, &d), OSSD_OK);
    assert_int_equal(run1(&env, &handler_scale, &s, &d), OSSD_OK);
}

/* ---- the ABI: typed configuration --------------------------------------------------------- */

static const struct ossd_config_key typed_keys[] = {
    {.name = "limit", .type = OSSD_CONFIG_INT, .default_value = "5", .min = 1, .max = 10},
    {.name = "strict", .type = OSSD_CONFIG_BOOL, .default_value = "false"},
    {.name = "codes", .type = OSSD_CONFIG_LIST, .required = 1},
    {.name = "label", .type = OSSD_CONFIG_STRING},
    {.name = NULL},
};

/* Parses one [handler.t] section of kv (n pairs) against typed_keys; err on failure. */
static int parse_typed(struct ossd_handler_config *hc, struct config_kv *kv, size_t n, char *err,
                       size_t errlen)
{
    struct config_section sec = {.name = "handler.t", .line = 7, .kv = kv, .n_kv = n};

    return handler_config_parse(hc, "t", typed_keys, &sec, "ossd.conf", err, errlen);
}

static void test_typed_config(void **state)
{
    struct config_kv good[] = {
        {"type", "x", 8}, {"limit", "10", 9}, {"strict", "Yes", 10}, {"codes", " A1 ,B2,C3 ", 11}};
    static const struct {
        struct config_kv kv;
        const char *want; /* the whole message */
    } bad[] = {
        {{"limit", "ten", 9}, "ossd.conf:9: handler t: key 'limit': \"ten\" is not an integer"},
        {{"limit", "11", 9}, "ossd.conf:9: handler t: key 'limit': 11 is outside 1..10"},
        {{"limit", "", 9}, "ossd.conf:9: handler t: key 'limit': \"\" is not an integer"},
        {{"limit", "9999999999999999999999", 9},
         "ossd.conf:9: handler t: key 'limit': \"9999999999999999999999\" is not an integer"},
        {{"strict", "maybe", 9},
         "ossd.conf:9: handler t: key 'strict': \"maybe\" is not a boolean (true or false)"},
        {{"codes", "A1,,B2", 9}, "ossd.conf:9: handler t: key 'codes': entry 2 is empty"},
        {{"codes", "A1, ", 9}, "ossd.conf:9: handler t: key 'codes': entry 2 is empty"},
        {{"colour", "red", 9}, "ossd.conf:9: handler t has no setting 'colour'"},
    };
    struct ossd_handler_config hc;
    char err[256];

    (void)state;
    assert_int_equal(parse_typed(&hc, good, N_ELEMS(good), err, sizeof(err)), 0);
    assert_int_equal(ossd_config_int(&hc, "limit"), 10);
    assert_int_equal(ossd_config_bool(&hc, "strict"), 1);
    assert_int_equal(ossd_config_list_count(&hc, "codes"), 3);
    assert_string_equal(ossd_config_list_item(&hc, "codes", 0), "A1");
    assert_string_equal(ossd_config_list_item(&hc, "codes", 2), "C3");
    assert_null(ossd_config_list_item(&hc, "codes", 3));
    assert_null(ossd_config_string(&hc, "label"));
    assert_string_equal(ossd_config_string(&hc, "limit"), "10");
    assert_string_equal(ossd_config_instance(&hc), "t");
    assert_int_equal(ossd_config_int(&hc, "nothing"), 0);
    handler_config_free(&hc);

    /* defaults */
    assert_int_equal(parse_typed(&hc, &good[3], 1, err, sizeof(err)), 0);
    assert_int_equal(ossd_config_int(&hc, "limit"), 5);
    assert_int_equal(ossd_config_bool(&hc, "strict"), 0);
    handler_config_free(&hc);

    /* a required key missing */
    assert_int_equal(parse_typed(&hc, good, 2, err, sizeof(err)), -1);
    assert_string_equal(err, "ossd.conf: handler t: key 'codes' is required (no default)");
    handler_config_free(&hc);

    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct config_kv kv[2] = {good[3], bad[i].kv};
        err[0] = '\0';
        assert_int_equal(parse_typed(&hc, kv, 2, err, sizeof(err)), -1);
        if (strcmp(err, bad[i].want) != 0)
            fail_msg("case %zu: '%s', want '%s'", i, err, bad[i].want);
        handler_config_free(&hc);
    }
}

/* ---- the ABI: accessors and their misuse -------------------------------------------------- */

static void test_decision_accessors(void **state)
{
    struct ossd_decision d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ossd_add_reason(&d, "LOCAL_RULE", "/business", "n=%d", 3), 0);
    assert_int_equal(ossd_reason_count(&d), 1);
    assert_true(ossd_has_reason(&d, "LOCAL_RULE", "/business"));
    assert_string_equal(d.reasons[0].message, "n=3");
    assert_null(d.misuse);
    assert_int_equal(ossd_set_scale(&d, "02"), 0);
    assert_string_equal(ossd_decision_scale(&d), "02");
    assert_int_equal(d.umk, 1);
    assert_int_equal(ossd_set_authority(&d, "33.74"), 0);
    assert_string_equal(d.authority, "33.74");
    assert_int_equal(ossd_set_activity(&d, "56102", "t", "MT", "SS", "pending_verification"), 0);
    assert_int_equal(ossd_set_activity(&d, "56102", "t", "R", "NIB", "issued"), 0);
    assert_int_equal(d.n_activities, 1); /* the same KBLI is replaced */
    assert_string_equal(d.activities[0].risk, "R");
    ossd_clear_activities(&d);
    assert_int_equal(d.n_activities, 0);
    for (int i = 0; i < 70; i++)
        assert_int_equal(ossd_add_reason(&d, "MANY", "", "x"), 0);
    assert_int_equal(ossd_reason_count(&d), OSSD_MAX_REASONS);
    assert_true(d.reasons_truncated);
    assert_null(d.misuse);

    /* every misuse is recorded, the first one wins, and nothing is written */
    static const char *const first[] = {"a malformed reason code",
                                        "a malformed reason code",
                                        "a malformed reason code",
                                        "a reason path that is not a JSON Pointer",
                                        "a scale outside 01..04",
                                        "an authority that is not a regency/city code NN.NN",
                                        "a risk level outside R, MR, MT, T",
                                        "a permit or permit status outside its value set",
                                        "an activity KBLI code that is not 5 digits"};
    for (size_t i = 0; i < N_ELEMS(first); i++) {
        memset(&d, 0, sizeof(d));
        switch (i) {
        case 0:
            assert_int_equal(ossd_add_reason(&d, "lower", "", "x"), -1);
            break;
        case 1:
            assert_int_equal(
                ossd_add_reason(&d, "A_CODE_LONGER_THAN_THIRTY_NINE_CHARACTERS", "", "x"), -1);
            break;
        case 2:
            assert_int_equal(ossd_add_reason(&d, NULL, "", "x"), -1);
            break;
        case 3:
            assert_int_equal(ossd_add_reason(&d, "CODE", "business", "x"), -1);
            break;
        case 4:
            assert_int_equal(ossd_set_scale(&d, "05"), -1);
            break;
        case 5:
            assert_int_equal(ossd_set_authority(&d, "33.74.10"), -1);
            break;
        case 6:
            assert_int_equal(ossd_set_activity(&d, "56102", NULL, "X", "NIB", "issued"), -1);
            break;
        case 7:
            assert_int_equal(ossd_set_activity(&d, "56102", NULL, "R", "NIB", "done"), -1);
            break;
        case 8:
            assert_int_equal(ossd_set_activity(&d, "5610", NULL, "R", "NIB", "issued"), -1);
            break;
        }
        assert_string_equal(d.misuse, first[i]);
        assert_int_equal(d.n_reasons, 0);
        assert_int_equal(d.n_activities, 0);
        assert_string_equal(d.scale, "");
        assert_int_equal(ossd_set_scale(&d, "09"), -1);
        assert_string_equal(d.misuse, first[i]);
    }
}

static void test_submission_accessors(void **state)
{
    static const char text[] =
        "{\"submission_id\":\"sub-9\",\"submitted_at\":\"2025-11-28T08:00:00+07:00\","
        "\"applicant\":{\"type\":\"02\",\"nik\":\"" NIK_OK "\",\"a/b\":1,\"m~n\":true},"
        "\"business\":{\"capital_idr\":15000000,\"workers\":0,\"location\":{\"region_code\":"
        "\"33.74.10\"},\"activities\":[{\"kbli\":\"56102\"},{\"kbli\":\"10710\","
        "\"description\":\"roti\"}]}}";
    json_t *doc = json_loads(text, 0, NULL);
    struct ossd_submission s;
    long long v = -1;
    double x = -1;
    size_t len;
    int y, m, dd;

    (void)state;
    assert_non_null(doc);
    submission_from_json(doc, &s);
    s.raw = text;
    s.raw_len = sizeof(text) - 1;
    assert_string_equal(ossd_submission_field(&s, OSSD_SUBMISSION_ID), "sub-9");
    assert_string_equal(ossd_submission_field(&s, OSSD_APPLICANT_NIK), NIK_OK);
    assert_string_equal(ossd_submission_field(&s, OSSD_BUSINESS_REGION_CODE), "33.74.10");
    assert_null(ossd_submission_field(&s, OSSD_APPLICANT_NPWP));
    assert_null(ossd_submission_field(&s, (enum ossd_field)999));
    assert_int_equal(ossd_submission_amount(&s, OSSD_CAPITAL_IDR, &v), 1);
    assert_int_equal(v, 15000000);
    assert_int_equal(ossd_submission_amount(&s, OSSD_WORKERS, &v), 1);
    assert_int_equal(v, 0); /* present, and zero */
    assert_int_equal(ossd_submission_amount(&s, OSSD_ANNUAL_SALES_IDR, &v), 0);
    ossd_submission_date(&s, &y, &m, &dd);
    assert_int_equal(y * 10000 + m * 100 + dd, 20251128);
    assert_int_equal(ossd_submission_activity_count(&s), 2);
    assert_string_equal(ossd_submission_activity_kbli(&s, 1), "10710");
    assert_string_equal(ossd_submission_activity_description(&s, 1), "roti");
    assert_null(ossd_submission_activity_description(&s, 0));
    assert_null(ossd_submission_activity_kbli(&s, 2));

    /* JSON Pointer (RFC 6901) */
    assert_int_equal(ossd_submission_kind(&s, ""), OSSD_JSON_OBJECT);
    assert_int_equal(ossd_submission_kind(&s, "/business/activities"), OSSD_JSON_ARRAY);
    assert_int_equal(ossd_submission_size(&s, "/business/activities"), 2);
    assert_string_equal(ossd_submission_string(&s, "/business/activities/1/kbli"), "10710");
    assert_null(ossd_submission_string(&s, "/business/activities/01/kbli"));
    assert_null(ossd_submission_string(&s, "/business/activities/2/kbli"));
    assert_null(ossd_submission_string(&s, "/business/activities/-/kbli"));
    assert_null(ossd_submission_string(&s, "business"));
    assert_int_equal(ossd_submission_kind(&s, "/nothing"), OSSD_JSON_ABSENT);
    assert_int_equal(ossd_submission_number(&s, "/applicant/a~1b", &x), 1);
    assert_true(x == 1);
    assert_int_equal(ossd_submission_kind(&s, "/applicant/m~0n"), OSSD_JSON_BOOL);
    assert_int_equal(ossd_submission_kind(&s, "/applicant/m~2n"), OSSD_JSON_ABSENT);
    assert_int_equal(ossd_submission_number(&s, "/applicant/nik", &x), 0);
    assert_int_equal(ossd_submission_kind(&s, "/applicant/nik/0"), OSSD_JSON_ABSENT);
    assert_ptr_equal(ossd_submission_raw(&s, &len), text);
    assert_int_equal(len, sizeof(text) - 1);
    json_decref(doc);
}

/* Every function include/ossd/handler.h declares is in daemon/handler.sym, which ossd exports;
 * and every name there is declared. */
static void test_exports_match_the_header(void **state)
{
    const char *src = getenv("OSSD_SRCDIR");
    char path[1024], line[512], sym[8192] = "", hdr[8192] = "";
    FILE *f;
    int n = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/daemon/handler.sym", src ? src : ".");
    assert_non_null(f = fopen(path, "r"));
    while (fgets(line, sizeof(line), f)) {
        char name[128];
        if (sscanf(line, " %127[a-z_] ;", name) == 1 && strncmp(name, "ossd_", 5) == 0) {
            strncat(sym, " ", sizeof(sym) - strlen(sym) - 1);
            strncat(sym, name, sizeof(sym) - strlen(sym) - 1);
            strncat(sym, " ", sizeof(sym) - strlen(sym) - 1);
        }
    }
    fclose(f);
    snprintf(path, sizeof(path), "%s/include/ossd/handler.h", src ? src : ".");
    assert_non_null(f = fopen(path, "r"));
    while (fgets(line, sizeof(line), f)) {
        for (char *p = strstr(line, "ossd_"); p; p = strstr(p + 1, "ossd_")) {
            char name[128], want[132];
            size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
            if (k >= sizeof(name) || p[k] != '(')
                continue; /* not a function declaration (a type, the entry typedef) */
            memcpy(name, p, k);
            name[k] = '\0';
            if (strcmp(name, "ossd_handler_entry") == 0)
                continue; /* the plugin's export, not ossd's */
            snprintf(want, sizeof(want), " %s ", name);
            if (!strstr(sym, want))
                fail_msg("%s is declared in include/ossd/handler.h but not exported", name);
            strncat(hdr, want, sizeof(hdr) - strlen(hdr) - 1);
            n++;
        }
    }
    fclose(f);
    assert_true(n >= 30);
    for (char *p = strstr(sym, " ossd_"); p; p = strstr(p + 1, " ossd_")) {
        char name[128], want[132];
        size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
        memcpy(name, p + 1, k);
        name[k] = '\0';
        snprintf(want, sizeof(want), " %s ", name);
        if (!strstr(hdr, want))
            fail_msg("daemon/handler.sym exports %s, which the header does not declare", name);
        p += k;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_identity_messages),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_kbli),
        cmocka_unit_test(test_activity),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_risk),
        cmocka_unit_test(test_chain_order),
        cmocka_unit_test(test_no_pii_anywhere),
        cmocka_unit_test(test_no_refdata),
        cmocka_unit_test(test_typed_config),
        cmocka_unit_test(test_decision_accessors),
        cmocka_unit_test(test_submission_accessors),
        cmocka_unit_test(test_exports_match_the_header),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
