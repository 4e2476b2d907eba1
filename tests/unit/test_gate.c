/* test_gate: the dead-letter checks of docs/dead-letters.md in their order, table-driven, and the
 * number-underflow scan with its boundaries (the smallest double rounds up, half of it to zero). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "item.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define GOOD_HEAD "{\"schema\":\"oss.submission.v1\",\"submission_id\":\"s-1\""

static const struct {
    const char *value;
    const char *code; /* NULL: passes the gate */
} cases[] = {
    {"", "PARSE_ERROR"},
    {"{", "PARSE_ERROR"},
    {"{\"a\":1,\"a\":2}", "PARSE_ERROR"},
    {"{\"a\":\"\\u0000\"}", "PARSE_ERROR"},
    {"{\"a\":1e400}", "PARSE_ERROR"},
    {"{\"a\":18446744073709551616}", "PARSE_ERROR"},
    {GOOD_HEAD ",\"x\":1e-400}", "PARSE_ERROR"},
    {GOOD_HEAD ",\"x\":-1e-400}", "PARSE_ERROR"},
    {GOOD_HEAD ",\"x\":[2.4e-324]}", "PARSE_ERROR"},
    {"[1e-400]", "PARSE_ERROR"}, /* parse errors come before NOT_AN_OBJECT */
    {"[1]", "NOT_AN_OBJECT"},
    {"\"s\"", "NOT_AN_OBJECT"},
    {"null", "NOT_AN_OBJECT"},
    {"{}", "MISSING_ID"},
    {"{\"submission_id\":7}", "MISSING_ID"},
    {"{\"submission_id\":\"\"}", "MISSING_ID"},
    {"{\"submission_id\":\"a b\"}", "MISSING_ID"},
    {"{\"submission_id\":\"1234567890123456789012345678901234567890123456789012345678901234"
     "5\"}",
     "MISSING_ID"},
    {"{\"submission_id\":\"s-1\"}", "UNSUPPORTED_SCHEMA"},
    {"{\"submission_id\":\"s-1\",\"schema\":\"oss.submission.v2\"}", "UNSUPPORTED_SCHEMA"},
    {GOOD_HEAD "}", NULL},
    {GOOD_HEAD ",\"x\":0}", NULL},
    {GOOD_HEAD ",\"x\":0.0e-999}", NULL},         /* zero written as zero is zero */
    {GOOD_HEAD ",\"x\":-0.000e+5}", NULL},        /* so is negative zero */
    {GOOD_HEAD ",\"x\":5e-324}", NULL},           /* the smallest subnormal double */
    {GOOD_HEAD ",\"x\":2.5e-324}", NULL},         /* rounds up to it */
    {GOOD_HEAD ",\"x\":1e-300}", NULL},           /* small, not zero */
    {GOOD_HEAD ",\"x\":10e-325}", "PARSE_ERROR"}, /* 1e-324: below half of 5e-324 */
    {GOOD_HEAD ",\"x\":\"1e-400\"}", NULL},       /* a string, not a number */
    {GOOD_HEAD ",\"x\":\"a\\\"1e-400\"}", NULL},
    {GOOD_HEAD ",\"1e-400\":1}", NULL},
};

static void test_gate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct item it;
        memset(&it, 0, sizeof(it));
        gate_check(&it, cases[i].value, strlen(cases[i].value));
        if (cases[i].code) {
            if (it.kind != ITEM_DEAD || strcmp(it.dead_code, cases[i].code) != 0)
                fail_msg("case %zu %s: expected %s, got %s", i, cases[i].value, cases[i].code,
                         it.kind == ITEM_DEAD ? it.dead_code : "a pass");
        } else if (it.kind != ITEM_DECIDE)
            fail_msg("case %zu %s: expected a pass, got %s (%s)", i, cases[i].value, it.dead_code,
                     it.dead_message);
        if (it.kind == ITEM_DEAD)
            assert_true(it.dead_message[0] != '\0');
        json_decref(it.doc);
    }
}

static void test_underflow_offset(void **state)
{
    (void)state;
    const char *v = "{\"a\":[1,2.5,0e-400,\"1e-400\"],\"b\":-12.5e-400 }";
    size_t at = gate_number_underflow(v, strlen(v));
    /* just past the literal -12.5e-400 */
    assert_int_equal(at, strstr(v, " }") - v);
    assert_int_equal(gate_number_underflow("{\"a\":1e-300}", 12), 0);
    /* a literal far longer than the scan's stack buffer */
    char *big = malloc(2000);
    strcpy(big, "[0.");
    memset(big + 3, '0', 1000);
    strcpy(big + 1003, "1]");
    assert_int_equal(gate_number_underflow(big, strlen(big)), strlen(big) - 1);
    big[3 + 300] = '1'; /* 1e-301: representable */
    assert_int_equal(gate_number_underflow(big, strlen(big)), 0);
    free(big);
}

static void test_dead_message_has_no_input(void **state)
{
    (void)state;
    /* the message names the rule, never the bytes (that could be a NIK) */
    const char *v = "{\"nik\":\"3374010101900001\",";
    struct item it;
    memset(&it, 0, sizeof(it));
    gate_check(&it, v, strlen(v));
    assert_int_equal(it.kind, ITEM_DEAD);
    assert_null(strstr(it.dead_message, "3374"));
}

/* The lifecycle inputs: their own size limit, id field and schema name, the same order. */
static const struct {
    enum item_input input;
    const char *head; /* a value up to its closing brace */
    const char *code; /* NULL: passes the gate */
} lc_cases[] = {
    {ITEM_INPUT_STATUS, "{\"schema\":\"oss.license-status.v1\",\"status_id\":\"st-1\"", NULL},
    {ITEM_INPUT_STATUS, "{\"schema\":\"oss.license-status.v1\",\"submission_id\":\"st-1\"",
     "MISSING_ID"},
    {ITEM_INPUT_STATUS, "{\"schema\":\"oss.license-status.v1\",\"status_id\":\"a b\"",
     "MISSING_ID"},
    {ITEM_INPUT_STATUS, "{\"schema\":\"oss.submission.v1\",\"status_id\":\"st-1\"",
     "UNSUPPORTED_SCHEMA"},
    {ITEM_INPUT_STATUS, "{\"status_id\":\"st-1\"", "UNSUPPORTED_SCHEMA"},
    {ITEM_INPUT_NIB_ACTION, "{\"schema\":\"oss.nib-action.v1\",\"action_id\":\"na-1\"", NULL},
    {ITEM_INPUT_NIB_ACTION, "{\"schema\":\"oss.nib-action.v1\",\"status_id\":\"na-1\"",
     "MISSING_ID"},
    {ITEM_INPUT_NIB_ACTION, "{\"schema\":\"oss.license-status.v1\",\"action_id\":\"na-1\"",
     "UNSUPPORTED_SCHEMA"},
    {ITEM_INPUT_SUBMISSION, "{\"schema\":\"oss.nib-action.v1\",\"action_id\":\"na-1\"",
     "MISSING_ID"},
};

static void run_lc(enum item_input in, const char *value, size_t len, const char *code)
{
    struct item it;
    memset(&it, 0, sizeof(it));
    it.input = in;
    gate_check(&it, value, len);
    if (code) {
        if (it.kind != ITEM_DEAD || strcmp(it.dead_code, code) != 0)
            fail_msg("input %d %.60s: expected %s, got %s", in, value, code,
                     it.kind == ITEM_DEAD ? it.dead_code : "a pass");
    } else if (it.kind != ITEM_DECIDE)
        fail_msg("input %d %.60s: expected a pass, got %s (%s)", in, value, it.dead_code,
                 it.dead_message);
    json_decref(it.doc);
}

static void test_gate_lifecycle(void **state)
{
    (void)state;
    char buf[300];
    for (size_t i = 0; i < N_ELEMS(lc_cases); i++) {
        snprintf(buf, sizeof(buf), "%s}", lc_cases[i].head);
        run_lc(lc_cases[i].input, buf, strlen(buf), lc_cases[i].code);
    }
    /* 64 KiB exactly passes, one byte more is TOO_LARGE; a submission may be 256 KiB */
    static const struct {
        enum item_input input;
        const char *head;
        size_t len;
        const char *code;
    } sizes[] = {
        {ITEM_INPUT_STATUS, "{\"schema\":\"oss.license-status.v1\",\"status_id\":\"s\",\"x\":\"",
         65536, NULL},
        {ITEM_INPUT_STATUS, "{\"schema\":\"oss.license-status.v1\",\"status_id\":\"s\",\"x\":\"",
         65537, "TOO_LARGE"},
        {ITEM_INPUT_NIB_ACTION, "{\"schema\":\"oss.nib-action.v1\",\"action_id\":\"s\",\"x\":\"",
         65537, "TOO_LARGE"},
        {ITEM_INPUT_SUBMISSION,
         "{\"schema\":\"oss.submission.v1\",\"submission_id\":\"s\",\"x\":\"", 65537, NULL},
    };
    char *big = malloc(65537);
    for (size_t i = 0; i < N_ELEMS(sizes); i++) {
        size_t h = strlen(sizes[i].head), len = sizes[i].len;
        memcpy(big, sizes[i].head, h);
        memset(big + h, 'y', len - h - 2);
        memcpy(big + len - 2, "\"}", 2);
        run_lc(sizes[i].input, big, len, sizes[i].code);
    }
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_table),
        cmocka_unit_test(test_underflow_offset),
        cmocka_unit_test(test_dead_message_has_no_input),
        cmocka_unit_test(test_gate_lifecycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
