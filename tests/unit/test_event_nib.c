/* test_event_nib: the NIB status-changed event: its stable id (a known answer from Python's
 * uuid.uuid5 with ossd's namespace), key fields, and every action's event valid against
 * schemas/events/nib-status-changed.v1.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_nib.h"
#include "jsonschema.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void test_id_known_answer(void **state)
{
    char id[37];
    (void)state;
    /* uuid.uuid5(ossd namespace, "nib-action:bkpm-2026-sk-0042"), as in schemas/asyncapi.yaml */
    event_nib_id("bkpm-2026-sk-0042", id);
    assert_string_equal(id, "b7734b85-5ac0-50b9-aa9b-0b1b14448d19");
}

static void test_events_valid(void **state)
{
    static const struct {
        const char *action, *previous, *status;
    } rows[] = {{"freeze", "01", "05"},
                {"unfreeze", "05", "01"},
                {"revoke", "01", "06"},
                {"revoke", "05", "06"}};
    const char *src = getenv("OSSD_SRCDIR");
    char path[4096], err[256], id[37];
    struct event_ctx ec = {"urn:ossd", "urn:ossd:schemas"};
    struct jsonschema *js;
    (void)state;

    snprintf(path, sizeof(path), "%s/schemas/events/nib-status-changed.v1.json", src ? src : ".");
    js = jsonschema_load_file(path, err, sizeof(err));
    if (!js)
        fail_msg("%s", err);
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        struct event_nib n = {
            .action_id = "na-1",
            .nib = "8120000000001",
            .status = rows[i].status,
            .previous_status = rows[i].previous,
            .action = rows[i].action,
            .authority = "BKPM",
            .legal_basis = "SK-42/2026",
            .acted_at_ms = 1764644400000LL,
            .decided_ms = 1764644400207LL,
        };
        struct buf out = {0};
        json_error_t jerr;
        event_nib_changed(&ec, &n, &out, id);
        json_t *doc = json_loadb(out.data, out.len, 0, &jerr);
        if (!doc)
            fail_msg("not JSON: %s", jerr.text);
        if (jsonschema_validate(js, doc, 0, NULL, NULL) != 0)
            fail_msg("row %zu does not validate: %.*s", i, (int)out.len, out.data);
        assert_string_equal(json_string_value(json_object_get(doc, "id")), id);
        assert_string_equal(json_string_value(json_object_get(doc, "subject")), "8120000000001");
        assert_string_equal(json_string_value(json_object_get(doc, "partitionkey")),
                            "8120000000001");
        json_t *data = json_object_get(doc, "data");
        assert_int_equal(json_object_size(data), 8);
        assert_string_equal(json_string_value(json_object_get(data, "acted_at")),
                            "2025-12-02T03:00:00.000Z");
        json_decref(doc);
        buf_free(&out);
    }
    jsonschema_free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_known_answer),
        cmocka_unit_test(test_events_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
