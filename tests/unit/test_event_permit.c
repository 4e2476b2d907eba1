/* test_event_permit: the permit status-changed event: stable ids (known answers from Python's
 * uuid.uuid5), and every built event valid against schemas/events/permit-status-changed.v1.json
 * with exactly the data fields of the schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_permit.h"
#include "jsonschema.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static struct jsonschema *load_schema(void)
{
    const char *src = getenv("OSSD_SRCDIR");
    char path[4096], err[256];
    struct jsonschema *js;

    snprintf(path, sizeof(path), "%s/schemas/events/permit-status-changed.v1.json",
             src ? src : ".");
    js = jsonschema_load_file(path, err, sizeof(err));
    if (!js)
        fail_msg("%s", err);
    return js;
}

static json_t *build(const struct event_permit *p, char id[37])
{
    struct event_ctx ec = {"urn:ossd", "urn:ossd:schemas"};
    struct buf out = {0};
    json_error_t jerr;
    json_t *doc;

    event_permit_changed(&ec, p, &out, id);
    doc = json_loadb(out.data, out.len, 0, &jerr);
    if (!doc)
        fail_msg("not JSON: %s: %.*s", jerr.text, (int)out.len, out.data);
    buf_free(&out);
    return doc;
}

static const struct event_permit deemed = {
    .permit_id = "1234567890123-47111-337401",
    .nib = "1234567890123",
    .kbli = "47111",
    .status = "approved_deemed",
    .previous_status = "pending_verification",
    .code = "57",
    .status_at_ms = 1764522000000LL, /* 2025-11-30T17:00:00Z = 00:00 WIB */
    .decided_ms = 1764522001234LL,
};

static void test_ids(void **state)
{
    (void)state;
    struct event_permit p = deemed;
    char id[37];

    event_permit_id(&p, id);
    assert_string_equal(id, "dc84e1ac-9d70-5e12-9309-cc22ff2128d8");
    p.status_id = "st-1";
    event_permit_id(&p, id);
    assert_string_equal(id, "a20a5ff4-01aa-5bfa-a936-15fb4c8b56b7");
}

static void test_deemed_event(void **state)
{
    (void)state;
    struct jsonschema *js = load_schema();
    char id[37];
    json_t *doc = build(&deemed, id), *data;

    assert_int_equal(jsonschema_validate(js, doc, 0, NULL, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), id);
    assert_string_equal(json_string_value(json_object_get(doc, "subject")), deemed.permit_id);
    assert_string_equal(json_string_value(json_object_get(doc, "partitionkey")), deemed.permit_id);
    assert_string_equal(json_string_value(json_object_get(doc, "time")),
                        "2025-11-30T17:00:01.234Z");
    data = json_object_get(doc, "data");
    assert_int_equal(json_object_size(data), 11);
    assert_string_equal(json_string_value(json_object_get(data, "status_at")),
                        "2025-11-30T17:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(data, "decided_at")),
                        "2025-11-30T17:00:01.234Z");
    assert_true(json_is_null(json_object_get(data, "sla_due")));
    assert_true(json_is_null(json_object_get(data, "agency")));
    assert_true(json_is_null(json_object_get(data, "permit_number")));
    json_decref(doc);
    jsonschema_free(js);
}

/* Updates: every field filled, and the schema's rules hold for what the builder is given. */
static void test_update_events(void **state)
{
    (void)state;
    struct jsonschema *js = load_schema();
    static const struct {
        const char *status, *previous, *code, *agency, *number;
        int has_sla_due, valid;
    } cases[] = {
        {"issued", "pending_verification", "50", "KEMENKES", "503/123/2025", 0, 1},
        {"pending_verification", "pending_verification", "20", "DPMPTSP-3374", NULL, 1, 1},
        {"rejected", "pending_verification", "90", "DPMPTSP-3374", NULL, 0, 1},
        {"suspended", "issued", "70", "KLHK", NULL, 0, 1},
        /* the schema itself refuses what a caller must never give */
        {"issued", "pending_verification", "50", "KEMENKES", NULL, 1, 0}, /* sla_due not null */
        {"approved_deemed", "pending_verification", "57", "KEMENKES", NULL, 0, 0}, /* agency */
    };

    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct event_permit p = deemed;
        char id[37];
        json_t *doc, *data;
        p.status = cases[i].status;
        p.previous_status = cases[i].previous;
        p.code = cases[i].code;
        p.agency = cases[i].agency;
        p.permit_number = cases[i].number;
        p.status_id = "st-1";
        p.has_sla_due = cases[i].has_sla_due;
        p.sla_due_ms = 1765213200000LL;
        doc = build(&p, id);
        data = json_object_get(doc, "data");
        if ((jsonschema_validate(js, doc, 0, NULL, NULL) == 0) != cases[i].valid)
            fail_msg("case %zu: valid != %d", i, cases[i].valid);
        assert_string_equal(id, "a20a5ff4-01aa-5bfa-a936-15fb4c8b56b7");
        assert_int_equal(json_object_size(data), 11);
        if (cases[i].has_sla_due)
            assert_string_equal(json_string_value(json_object_get(data, "sla_due")),
                                "2025-12-08T17:00:00.000Z");
        if (cases[i].number)
            assert_string_equal(json_string_value(json_object_get(data, "permit_number")),
                                cases[i].number);
        json_decref(doc);
    }
    jsonschema_free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_deemed_event),
        cmocka_unit_test(test_update_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
