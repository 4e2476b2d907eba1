/* test_pipeline: reasons_sort keeps one SCHEMA_INVALID reason per violation (even two at one
 * JSON Pointer), drops exact repeats, and keeps one reason per rule code and path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "pipeline.h"

static json_t *reasons(const char *text)
{
    json_error_t jerr;
    json_t *r = json_loads(text, 0, &jerr);
    assert_non_null(r);
    return r;
}

static void test_two_violations_at_one_pointer(void **state)
{
    (void)state;
    /* a birth_date that breaks its pattern and its format: two reasons, sorted by message */
    json_t *r = reasons("[{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/birth_date\","
                        "\"message\":\"must match the pattern\"},"
                        "{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/birth_date\","
                        "\"message\":\"must be a valid date\"},"
                        "{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/birth_date\","
                        "\"message\":\"must be a valid date\"},"
                        "{\"code\":\"SCHEMA_INVALID\",\"path\":\"/channel\","
                        "\"message\":\"must be of type string\"}]");
    reasons_sort(r);
    assert_int_equal(json_array_size(r), 3);
    const char *want[][2] = {{"/applicant/birth_date", "must be a valid date"},
                             {"/applicant/birth_date", "must match the pattern"},
                             {"/channel", "must be of type string"}};
    for (size_t i = 0; i < 3; i++) {
        const json_t *x = json_array_get(r, i);
        assert_string_equal(json_string_value(json_object_get(x, "path")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(x, "message")), want[i][1]);
    }
    json_decref(r);
}

static void test_a_rule_counts_once_per_path(void **state)
{
    (void)state;
    json_t *r = reasons("[{\"code\":\"ACTIVITY_DUPLICATE\",\"path\":\"/business/activities/1\","
                        "\"message\":\"twice in this submission\"},"
                        "{\"code\":\"ACTIVITY_DUPLICATE\",\"path\":\"/business/activities/1\","
                        "\"message\":\"already registered\"},"
                        "{\"code\":\"NIK_MISMATCH\",\"path\":\"/applicant/gender\","
                        "\"message\":\"g\"}]");
    reasons_sort(r);
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "code")),
                        "NIK_MISMATCH");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_violations_at_one_pointer),
        cmocka_unit_test(test_a_rule_counts_once_per_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
