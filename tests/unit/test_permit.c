/* test_permit: daemon/permit.c: the status table (every code from every status), the deadline
 * clock (41/42/43/44 across weekends, holidays and year ends), the order of status_at and deemed
 * approval. With --cli it runs JSON-lines cases from stdin instead (tests/pylib/lifecycle.py
 * compares it with its own model; see tests/e2e/test_lifecycle_oracle.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "permit.h"
#include "util.h"

#include "cal_fixture.h"
}

/* A pending permit decided on Monday 2026-11-30 10:00 Jakarta, N = 5: L = Monday 2026-12-07. */
#define DECIDED "2026-11-30T10:00:00+07:00"

static void pending(struct permit_state *st)
{
    permit_init(st, 1, ms(DECIDED), 5, &holidays);
}

/* Applies (code, at) and requires it applied; returns the change. */
static struct permit_change apply_ok(struct permit_state *st, const char *code, const char *at)
{
    struct permit_update u = {code, ms(at)};
    struct permit_change chg;
    const char *why = NULL;

    if (permit_apply(st, &u, &holidays, &chg, &why) != PERMIT_APPLIED)
        fail_msg("%s at %s refused: %s", code, at, why);
    return chg;
}

/* Applies (code, at), requires the refusal why and that the state did not move. */
static void apply_refused(struct permit_state *st, const char *code, const char *at,
                          const char *why)
{
    struct permit_update u = {code, ms(at)};
    struct permit_change chg;
    struct permit_state before = *st;
    const char *got = NULL;

    if (permit_apply(st, &u, &holidays, &chg, &got) != PERMIT_REFUSED)
        fail_msg("%s at %s applied, wanted %s", code, at, why);
    assert_string_equal(got, why);
    assert_memory_equal(&before, st, sizeof(before));
}

/* ---- the table: every code from every state ------------------------------------------------ */

/* The states a permit can be in, as columns of the table below. */
enum col { C_PEND_RUN, C_PEND_41, C_PEND_43, C_PROV, C_ISSUED, C_DEEMED, C_SUSP, C_REJ, N_COLS };

/* Outcomes: "-" TRANSITION_INVALID, else the new state: "run" / "41" / "43" pending with that
 * clock, "prov", "issued", "deemed", "susp", "rej". */
static const struct {
    const char *code;
    const char *to[N_COLS];
} table[] = {
    /*        pend/run  pend/41 pend/43 prov     issued   deemed   susp      rej */
    {"05", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"09", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"10", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"11", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"12", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"20", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"30", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"31", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"32", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"33", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"34", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"40", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"45", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"49", {"run", "41", "43", "-", "-", "-", "-", "-"}},
    {"41", {"41", "-", "-", "-", "-", "-", "-", "-"}},
    {"43", {"43", "-", "-", "-", "-", "-", "-", "-"}},
    {"42", {"-", "run", "-", "-", "-", "-", "-", "-"}},
    {"44", {"-", "-", "run", "-", "-", "-", "-", "-"}},
    {"50", {"issued", "issued", "issued", "issued", "-", "issued", "issued", "-"}},
    {"52", {"prov", "prov", "prov", "-", "-", "-", "-", "-"}},
    {"60", {"-", "-", "-", "prov", "issued", "deemed", "-", "-"}},
    {"80", {"-", "-", "-", "prov", "issued", "deemed", "-", "-"}},
    {"70", {"-", "-", "-", "susp", "susp", "susp", "-", "-"}},
    {"90", {"rej", "rej", "rej", "rej", "-", "-", "-", "-"}},
    {"93", {"rej", "rej", "rej", "rej", "-", "-", "-", "-"}},
};

/* Puts st in the state of column c (each reached through the module itself). */
static void reach(struct permit_state *st, enum col c)
{
    pending(st);
    switch (c) {
    case C_PEND_RUN:
        break;
    case C_PEND_41:
        apply_ok(st, "41", "2026-12-01T09:00:00+07:00");
        break;
    case C_PEND_43:
        apply_ok(st, "43", "2026-12-01T09:00:00+07:00");
        break;
    case C_PROV:
        apply_ok(st, "52", "2026-12-01T09:00:00+07:00");
        break;
    case C_ISSUED:
        apply_ok(st, "50", "2026-12-01T09:00:00+07:00");
        break;
    case C_DEEMED: {
        struct permit_change chg;
        assert_true(permit_deemed_due(st, ms("2026-12-08T00:00:00+07:00")));
        permit_deem(st, &chg);
        break;
    }
    case C_SUSP:
        apply_ok(st, "50", "2026-12-01T09:00:00+07:00");
        apply_ok(st, "70", "2026-12-01T10:00:00+07:00");
        break;
    case C_REJ:
        apply_ok(st, "90", "2026-12-01T09:00:00+07:00");
        break;
    case N_COLS:
        break;
    }
}

static void check_to(const struct permit_state *st, const struct permit_change *chg, const char *to,
                     const char *code, enum col c)
{
    static const struct {
        const char *to;
        enum permit_status status;
        enum permit_clock clock;
    } map[] = {
        {"run", PERMIT_PENDING_VERIFICATION, PERMIT_CLOCK_RUNNING},
        {"41", PERMIT_PENDING_VERIFICATION, PERMIT_CLOCK_STOPPED_41},
        {"43", PERMIT_PENDING_VERIFICATION, PERMIT_CLOCK_STOPPED_43},
        {"prov", PERMIT_PROVISIONAL, PERMIT_CLOCK_NONE},
        {"issued", PERMIT_ISSUED, PERMIT_CLOCK_NONE},
        {"deemed", PERMIT_APPROVED_DEEMED, PERMIT_CLOCK_NONE},
        {"susp", PERMIT_SUSPENDED, PERMIT_CLOCK_NONE},
        {"rej", PERMIT_REJECTED, PERMIT_CLOCK_NONE},
    };

    for (size_t i = 0; i < N_ELEMS(map); i++) {
        if (strcmp(map[i].to, to) != 0)
            continue;
        if (st->status != map[i].status || st->clock != map[i].clock)
            fail_msg("code %s from column %d: got %s/%s, wanted %s", code, (int)c,
                     permit_status_name(st->status), permit_clock_name(st->clock), to);
        assert_int_equal(chg->status, map[i].status);
        assert_string_equal(chg->code, code);
        assert_int_equal(chg->has_sla_due, map[i].clock == PERMIT_CLOCK_RUNNING);
        return;
    }
    fail_msg("bad outcome %s in the table", to);
}

static void test_table_every_code_from_every_state(void **state)
{
    char code[3];

    (void)state;
    for (int n = 0; n < 100; n++) {
        snprintf(code, sizeof(code), "%02d", n);
        const char *const *to = NULL;
        for (size_t i = 0; i < N_ELEMS(table); i++)
            if (strcmp(table[i].code, code) == 0)
                to = table[i].to;
        assert_int_equal(permit_code_known(code), to != NULL);
        for (int c = 0; c < N_COLS; c++) {
            struct permit_state st;
            reach(&st, (enum col)c);
            enum permit_status prev = st.status;
            const char *at = "2026-12-09T09:00:00+07:00";
            if (!to) {
                apply_refused(&st, code, at, "CODE_UNKNOWN");
            } else if (strcmp(to[c], "-") == 0) {
                apply_refused(&st, code, at, "TRANSITION_INVALID");
            } else {
                struct permit_change chg = apply_ok(&st, code, at);
                assert_int_equal(chg.previous_status, prev);
                assert_int_equal(chg.status_at_ms, ms(at));
                check_to(&st, &chg, to[c], code, (enum col)c);
            }
        }
    }
}

static void test_code_unknown(void **state)
{
    static const char *const bad[] = {"57", "91", "92", "00", "99", "5", "050", "", "4a", NULL};
    struct permit_state st;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        assert_false(permit_code_known(bad[i]));
        pending(&st);
        apply_refused(&st, bad[i], "2026-12-01T09:00:00+07:00", "CODE_UNKNOWN");
    }
}

/* ---- the order of status_at ---------------------------------------------------------------- */

static void test_status_at_order(void **state)
{
    struct permit_state st;

    (void)state;
    pending(&st);
    /* the decision does not count: an update earlier than decided_at applies */
    apply_ok(&st, "10", "2026-11-29T08:00:00+07:00");
    apply_ok(&st, "20", "2026-12-01T09:00:00.500+07:00");
    /* the same instant again (another offset) applies; one millisecond earlier does not */
    apply_ok(&st, "30", "2026-12-01T02:00:00.500Z");
    apply_refused(&st, "31", "2026-12-01T09:00:00.499+07:00", "TRANSITION_INVALID");
    apply_refused(&st, "50", "2026-11-30T09:00:00+07:00", "TRANSITION_INVALID");
    /* a status_at ahead of any clock is accepted as given */
    apply_ok(&st, "50", "2030-01-01T00:00:00+07:00");
    apply_refused(&st, "70", "2029-12-31T23:59:59+07:00", "TRANSITION_INVALID");
    apply_ok(&st, "70", "2030-01-01T00:00:00+07:00");
    /* CODE_UNKNOWN is checked before the order */
    apply_refused(&st, "57", "2020-01-01T00:00:00+07:00", "CODE_UNKNOWN");
}

static void test_nib_status(void **state)
{
    struct permit_state st;

    (void)state;
    pending(&st);
    st.nib = PERMIT_NIB_FROZEN; /* updates still apply while frozen */
    apply_ok(&st, "10", "2026-12-01T09:00:00+07:00");
    assert_false(permit_deemed_due(&st, ms("2026-12-20T00:00:00+07:00")));
    st.nib = PERMIT_NIB_REVOKED;
    static const char *const codes[] = {"10", "41", "50", "52", "90", "93"};
    for (size_t i = 0; i < N_ELEMS(codes); i++)
        apply_refused(&st, codes[i], "2026-12-02T09:00:00+07:00", "TRANSITION_INVALID");
    apply_refused(&st, "91", "2026-12-02T09:00:00+07:00", "CODE_UNKNOWN");
    assert_false(permit_deemed_due(&st, ms("2026-12-20T00:00:00+07:00")));
    /* an issued permit of a revoked NIB: 60/70/80 refused too */
    permit_init(&st, 0, ms(DECIDED), 5, &holidays);
    st.nib = PERMIT_NIB_REVOKED;
    apply_refused(&st, "70", "2026-12-02T09:00:00+07:00", "TRANSITION_INVALID");
    st.nib = PERMIT_NIB_ACTIVE;
    apply_ok(&st, "70", "2026-12-02T09:00:00+07:00");
}

static void test_rejected_is_final(void **state)
{
    struct permit_state st;
    char code[3];

    (void)state;
    pending(&st);
    apply_ok(&st, "93", "2026-12-01T09:00:00+07:00");
    for (int n = 0; n < 100; n++) {
        snprintf(code, sizeof(code), "%02d", n);
        apply_refused(&st, code, "2026-12-02T09:00:00+07:00",
                      permit_code_known(code) ? "TRANSITION_INVALID" : "CODE_UNKNOWN");
    }
    assert_false(permit_deemed_due(&st, ms("2027-01-01T00:00:00+07:00")));
}

/* ---- the clock ------------------------------------------------------------------------------ */

static void test_initial_deadline(void **state)
{
    struct permit_state st;

    (void)state;
    pending(&st);
    assert_int_equal(st.clock, PERMIT_CLOCK_RUNNING);
    assert_int_equal(st.dl.last_day, day("2026-12-07"));
    assert_int_equal(st.dl.due_ms, ms("2026-12-08T00:00:00+07:00"));
    assert_false(st.has_last_status_at);
    permit_init(&st, 0, ms(DECIDED), 5, &holidays);
    assert_int_equal(st.status, PERMIT_ISSUED);
    assert_int_equal(st.clock, PERMIT_CLOCK_NONE);
    assert_false(permit_deemed_due(&st, ms("2030-01-01T00:00:00+07:00")));
}

/* Decided at, N, then a stop (41 or 43) at, a resume (42 or 44) at: L and sla_due. */
static void test_stop_resume_table(void **state)
{
    static const struct {
        const char *decided;
        unsigned n;
        const char *stop_code, *stop_at, *resume_code, *resume_at;
        const char *last_day, *due;
    } cases[] = {
        /* no stop: L = the Nth working day */
        {DECIDED, 5, NULL, NULL, NULL, NULL, "2026-12-07", "2026-12-08T00:00:00+07:00"},
        /* stopped Friday, resumed Tuesday: k = Friday, Monday = 2 */
        {DECIDED, 5, "41", "2026-12-04T09:00:00+07:00", "42", "2026-12-08T10:00:00+07:00",
         "2026-12-09", "2026-12-10T00:00:00+07:00"},
        /* stopped and resumed the same day: k = 0, unchanged */
        {DECIDED, 5, "41", "2026-12-02T09:00:00+07:00", "42", "2026-12-02T17:00:00+07:00",
         "2026-12-07", "2026-12-08T00:00:00+07:00"},
        /* stopped Saturday, resumed Monday: k = 0 (the weekend is not counted) */
        {DECIDED, 5, "41", "2026-12-05T09:00:00+07:00", "42", "2026-12-07T08:00:00+07:00",
         "2026-12-07", "2026-12-08T00:00:00+07:00"},
        /* stop at 06:30 Jakarta on Friday (still Thursday in UTC): date(stop) is Friday */
        {DECIDED, 5, "41", "2026-12-03T23:30:00Z", "42", "2026-12-07T09:00:00+07:00", "2026-12-08",
         "2026-12-09T00:00:00+07:00"},
        /* Christmas (a Friday): decided Monday 21st, L = Tuesday 29th; stopped Thursday 24th,
         * resumed Tuesday 29th: k = 24, 28 = 2, L = Thursday 31st */
        {"2026-12-21T10:00:00+07:00", 5, NULL, NULL, NULL, NULL, "2026-12-29",
         "2026-12-30T00:00:00+07:00"},
        {"2026-12-21T10:00:00+07:00", 5, "41", "2026-12-24T08:00:00+07:00", "42",
         "2026-12-29T08:00:00+07:00", "2026-12-31", "2027-01-01T00:00:00+07:00"},
        /* across the year end: decided Monday 28th, L = Tuesday 5 January (1 January off);
         * stopped 31st, resumed Monday 4 January: k = 1 (31st), L = Wednesday 6th */
        {"2026-12-28T10:00:00+07:00", 5, NULL, NULL, NULL, NULL, "2027-01-05",
         "2027-01-06T00:00:00+07:00"},
        {"2026-12-28T10:00:00+07:00", 5, "41", "2026-12-31T09:00:00+07:00", "42",
         "2027-01-04T09:00:00+07:00", "2027-01-06", "2027-01-07T00:00:00+07:00"},
        /* 43 then 44: L afresh from the 44 (Thursday 10th: Fri 11 .. Thu 17) */
        {DECIDED, 5, "43", "2026-12-02T09:00:00+07:00", "44", "2026-12-10T15:00:00+07:00",
         "2026-12-17", "2026-12-18T00:00:00+07:00"},
        /* 44 on the evening of Christmas Eve: Mon 28 .. Mon 4 January (1 January off) */
        {DECIDED, 5, "43", "2026-12-02T09:00:00+07:00", "44", "2026-12-24T22:00:00+07:00",
         "2027-01-04", "2027-01-05T00:00:00+07:00"},
        /* N = 1, decided on a Friday before a holiday-free weekend: L = Monday */
        {"2026-12-04T16:00:00+07:00", 1, NULL, NULL, NULL, NULL, "2026-12-07",
         "2026-12-08T00:00:00+07:00"},
    };

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct permit_state st;
        struct permit_change chg;

        permit_init(&st, 1, ms(cases[i].decided), cases[i].n, &holidays);
        if (cases[i].stop_code) {
            chg = apply_ok(&st, cases[i].stop_code, cases[i].stop_at);
            assert_false(chg.has_sla_due); /* null while stopped */
            assert_false(permit_deemed_due(&st, ms("2030-01-01T00:00:00+07:00")));
            chg = apply_ok(&st, cases[i].resume_code, cases[i].resume_at);
            assert_true(chg.has_sla_due);
            assert_int_equal(chg.sla_due_ms, ms(cases[i].due));
        }
        if (st.dl.last_day != day(cases[i].last_day) || st.dl.due_ms != ms(cases[i].due)) {
            char got[11];
            cal_format_date(st.dl.last_day, got);
            fail_msg("case %zu: L %s, wanted %s", i, got, cases[i].last_day);
        }
    }
}

static void test_clock_refusals(void **state)
{
    struct permit_state st;

    (void)state;
    pending(&st);
    apply_refused(&st, "42", "2026-12-01T09:00:00+07:00", "TRANSITION_INVALID"); /* running */
    apply_refused(&st, "44", "2026-12-01T09:00:00+07:00", "TRANSITION_INVALID"); /* running */
    apply_ok(&st, "41", "2026-12-01T09:00:00+07:00");
    apply_refused(&st, "44", "2026-12-02T09:00:00+07:00", "TRANSITION_INVALID"); /* needs 43 */
    apply_refused(&st, "41", "2026-12-02T09:00:00+07:00", "TRANSITION_INVALID");
    apply_refused(&st, "43", "2026-12-02T09:00:00+07:00", "TRANSITION_INVALID");
    apply_ok(&st, "10", "2026-12-02T09:00:00+07:00"); /* progress while stopped */
    assert_int_equal(st.clock, PERMIT_CLOCK_STOPPED_41);
    apply_ok(&st, "42", "2026-12-03T09:00:00+07:00");
    apply_ok(&st, "43", "2026-12-03T10:00:00+07:00");
    apply_refused(&st, "42", "2026-12-04T09:00:00+07:00", "TRANSITION_INVALID"); /* needs 41 */
    apply_ok(&st, "44", "2026-12-04T09:00:00+07:00");
    assert_int_equal(st.clock, PERMIT_CLOCK_RUNNING);
    assert_int_equal(st.dl.last_day, day("2026-12-11"));
    /* a verdict while stopped ends the clock */
    apply_ok(&st, "41", "2026-12-04T10:00:00+07:00");
    struct permit_change chg = apply_ok(&st, "52", "2026-12-04T11:00:00+07:00");
    assert_false(chg.has_sla_due);
    assert_int_equal(st.clock, PERMIT_CLOCK_NONE);
}

/* ---- deemed approval ------------------------------------------------------------------------ */

static void test_deemed_approval(void **state)
{
    struct permit_state st;
    struct permit_change chg;
    int64_t due = ms("2026-12-08T00:00:00+07:00");

    (void)state;
    pending(&st);
    assert_false(permit_deemed_due(&st, due - 1));
    assert_true(permit_deemed_due(&st, due));
    st.nib = PERMIT_NIB_FROZEN;
    assert_false(permit_deemed_due(&st, due + 1));
    st.nib = PERMIT_NIB_ACTIVE;
    permit_deem(&st, &chg);
    assert_int_equal(chg.status, PERMIT_APPROVED_DEEMED);
    assert_int_equal(chg.previous_status, PERMIT_PENDING_VERIFICATION);
    assert_string_equal(chg.code, "57");
    assert_int_equal(chg.status_at_ms, due);
    assert_false(chg.has_sla_due);
    assert_false(permit_deemed_due(&st, due + 1)); /* once */
    /* a late verdict: not earlier than the deadline; 50 issues, 90 is refused */
    apply_refused(&st, "50", "2026-12-07T23:59:59+07:00", "TRANSITION_INVALID");
    apply_refused(&st, "90", "2026-12-08T09:00:00+07:00", "TRANSITION_INVALID");
    chg = apply_ok(&st, "50", "2026-12-08T09:00:00+07:00");
    assert_int_equal(chg.previous_status, PERMIT_APPROVED_DEEMED);
    assert_int_equal(st.status, PERMIT_ISSUED);

    /* stopped: never due; resumed: due at the moved deadline */
    pending(&st);
    apply_ok(&st, "41", "2026-12-04T09:00:00+07:00");
    assert_false(permit_deemed_due(&st, ms("2027-01-01T00:00:00+07:00")));
    apply_ok(&st, "42", "2026-12-08T10:00:00+07:00");
    assert_false(permit_deemed_due(&st, ms("2026-12-09T23:59:59.999+07:00")));
    assert_true(permit_deemed_due(&st, ms("2026-12-10T00:00:00+07:00")));

    /* a progress update after the deadline, before the sweep: the last status_at stays it */
    pending(&st);
    apply_ok(&st, "10", "2026-12-09T09:00:00+07:00");
    permit_deem(&st, &chg);
    assert_int_equal(chg.status_at_ms, due);
    apply_refused(&st, "50", "2026-12-09T08:00:00+07:00", "TRANSITION_INVALID");
    apply_ok(&st, "50", "2026-12-09T09:00:00+07:00");
}

static void test_names(void **state)
{
    (void)state;
    for (int s = PERMIT_PENDING_VERIFICATION; s <= PERMIT_REJECTED; s++)
        assert_int_equal(permit_status_parse(permit_status_name((enum permit_status)s)), s);
    assert_int_equal(permit_status_parse("approved"), -1);
    assert_int_equal(permit_status_parse(NULL), -1);
    assert_string_equal(permit_clock_name(PERMIT_CLOCK_STOPPED_43), "stopped_43");
    for (int c = PERMIT_CLOCK_NONE; c <= PERMIT_CLOCK_STOPPED_43; c++)
        assert_int_equal(permit_clock_parse(permit_clock_name((enum permit_clock)c)), c);
    assert_int_equal(permit_clock_parse("stopped"), -1);
    assert_int_equal(permit_nib_parse("01"), PERMIT_NIB_ACTIVE);
    assert_int_equal(permit_nib_parse("05"), PERMIT_NIB_FROZEN);
    assert_int_equal(permit_nib_parse("06"), PERMIT_NIB_REVOKED);
    assert_int_equal(permit_nib_parse("02"), -1);
    assert_int_equal(permit_nib_parse(NULL), -1);
}

/* ---- --cli: JSON-lines cases (see tests/pylib/lifecycle.py) --------------------------------- */

static json_t *ms_or_null(int has, int64_t v)
{
    return has ? json_integer(v) : json_null();
}

static json_t *change_json(const struct permit_change *chg)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "outcome", "applied", "status",
                     permit_status_name(chg->status), "previous_status",
                     permit_status_name(chg->previous_status), "code", chg->code, "status_at",
                     (json_int_t)chg->status_at_ms, "sla_due",
                     ms_or_null(chg->has_sla_due, chg->sla_due_ms));
}

/* Runs one case object; returns its result object, or NULL with *err set (static text). */
static json_t *run_case(json_t *c, const char **err)
{
    json_t *hol = json_object_get(c, "holidays"), *steps = json_object_get(c, "steps");
    const char *risk = json_string_value(json_object_get(c, "risk"));
    const char *decided = json_string_value(json_object_get(c, "decided_at"));
    json_int_t n = json_integer_value(json_object_get(c, "n"));
    int32_t *days = NULL;
    int64_t decided_ms;
    size_t nh = json_array_size(hol), i;
    json_t *results = NULL, *out = NULL, *step;
    struct permit_state st;

    if (!risk || !decided || rfc3339_to_ms(decided, &decided_ms) != 0 || n < 1 ||
        !json_is_array(steps)) {
        *err = "a case needs risk, decided_at, n >= 1 and steps";
        goto out;
    }
    days = calloc(nh ? nh : 1, sizeof(*days));
    for (i = 0; i < nh; i++)
        if (cal_parse_date(json_string_value(json_array_get(hol, i)), &days[i]) != 0 ||
            (i > 0 && days[i] <= days[i - 1])) {
            *err = "holidays: sorted YYYY-MM-DD dates without repeats";
            goto out;
        }
    struct cal_holidays h = {days, nh};
    int pending = strcmp(risk, "MT") == 0 || strcmp(risk, "T") == 0;
    permit_init(&st, pending, decided_ms, (unsigned)n, &h);
    results = json_array();
    json_array_foreach(steps, i, step)
    {
        const char *code = json_string_value(json_object_get(step, "code"));
        const char *at = json_string_value(json_object_get(step, "status_at"));
        const char *sweep = json_string_value(json_object_get(step, "sweep"));
        const char *nib = json_string_value(json_object_get(step, "nib"));
        struct permit_change chg;
        int64_t t;

        if (code && at && rfc3339_to_ms(at, &t) == 0) {
            struct permit_update u = {code, t};
            const char *why = NULL;
            if (permit_apply(&st, &u, &h, &chg, &why) == PERMIT_APPLIED)
                json_array_append_new(results, change_json(&chg));
            else
                json_array_append_new(results,
                                      json_pack("{s:s, s:s}", "outcome", "refused", "error", why));
        } else if (sweep && rfc3339_to_ms(sweep, &t) == 0) {
            if (permit_deemed_due(&st, t)) {
                permit_deem(&st, &chg);
                json_array_append_new(results, change_json(&chg));
            } else {
                json_array_append_new(results, json_pack("{s:s}", "outcome", "not_due"));
            }
        } else if (nib && permit_nib_parse(nib) >= 0) {
            st.nib = (enum permit_nib)permit_nib_parse(nib);
            json_array_append_new(results, json_pack("{s:s}", "outcome", "nib"));
        } else {
            *err = "a step is {code, status_at}, {sweep} or {nib: 01|05|06}";
            goto out;
        }
    }
    char last[11];
    cal_format_date(st.dl.last_day, last);
    out = json_pack("{s:O, s:o, s:{s:s, s:s, s:o, s:o}}", "name", json_object_get(c, "name"),
                    "results", results, "final", "status", permit_status_name(st.status), "clock",
                    permit_clock_name(st.clock), "last_day",
                    st.clock != PERMIT_CLOCK_NONE ? json_string(last) : json_null(), "sla_due",
                    ms_or_null(st.clock != PERMIT_CLOCK_NONE, st.dl.due_ms));
    results = NULL; /* owned by out */
out:
    json_decref(results);
    free(days);
    return out;
}

static int cli(void)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    while (getline(&line, &cap, stdin) > 0) {
        json_error_t jerr;
        const char *err = NULL;
        json_t *c = json_loads(line, 0, &jerr), *res;

        if (!c) {
            fprintf(stderr, "test_permit --cli: %s\n", jerr.text);
            rc = 2;
            break;
        }
        res = run_case(c, &err);
        json_decref(c);
        if (!res) {
            fprintf(stderr, "test_permit --cli: %s\n", err);
            rc = 2;
            break;
        }
        char *s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
        json_decref(res);
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_every_code_from_every_state),
        cmocka_unit_test(test_code_unknown),
        cmocka_unit_test(test_status_at_order),
        cmocka_unit_test(test_nib_status),
        cmocka_unit_test(test_rejected_is_final),
        cmocka_unit_test(test_initial_deadline),
        cmocka_unit_test(test_stop_resume_table),
        cmocka_unit_test(test_clock_refusals),
        cmocka_unit_test(test_deemed_approval),
        cmocka_unit_test(test_names),
    };

    if (argc == 2 && strcmp(argv[1], "--cli") == 0)
        return cli();
    return cmocka_run_group_tests(tests, setup_holidays, NULL);
}
