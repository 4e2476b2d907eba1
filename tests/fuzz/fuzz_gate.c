/* fuzz_gate: the dead-letter gate (size, UTF-8 and JSON, object, submission_id, schema version)
 * over arbitrary message values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "gate.h"
#include "jsonparse.h"
#include "util.h"

static int is_code(const char *c)
{
    static const char *const codes[] = {"TOO_LARGE",  "PARSE_ERROR",        "NOT_AN_OBJECT",
                                        "MISSING_ID", "UNSUPPORTED_SCHEMA", NULL};
    for (size_t i = 0; c && codes[i]; i++)
        if (strcmp(c, codes[i]) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct item it;
    unsigned char sha[32];

    /* The gate's fast parser builds jansson's tree exactly, or gives up. */
    size_t under = 0;
    json_t *fast = jsonparse_fast((const char *)data, size, &under);
    if (fast) {
        FUZZ_CHECK(under == gate_number_underflow((const char *)data, size), "underflow at %zu",
                   under);
        json_error_t jerr;
        json_t *slow =
            json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        FUZZ_CHECK(slow, "the fast parser accepted what jansson refuses: %s", jerr.text);
        size_t fl = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
        char *a = json_dumps(fast, fl), *b = json_dumps(slow, fl);
        FUZZ_CHECK(a && b && strcmp(a, b) == 0, "the fast parser's tree differs: %s | %s", a, b);
        free(a);
        free(b);
        json_decref(fast);
        json_decref(slow);
    }
    memset(&it, 0, sizeof(it));
    gate_check(&it, (const char *)data, size);
    if (it.kind == ITEM_DECIDE) {
        const json_t *schema = json_object_get(it.doc, "schema");
        FUZZ_CHECK(json_is_object(it.doc), "a decided item without an object");
        FUZZ_CHECK(gate_valid_id(it.submission_id, strlen(it.submission_id)), "submission_id");
        FUZZ_CHECK(json_is_string(schema) &&
                       strcmp(json_string_value(schema), "oss.submission.v1") == 0,
                   "schema");
        FUZZ_CHECK(size <= GATE_MAX_BYTES, "too large but decided");
        sha256(data, size, sha);
        FUZZ_CHECK(memcmp(sha, it.sha, 32) == 0, "sha256 of the value");
    } else {
        FUZZ_CHECK(it.kind == ITEM_DEAD && is_code(it.dead_code), "dead code %s",
                   it.dead_code ? it.dead_code : "(null)");
        FUZZ_CHECK(it.doc == NULL, "a dead letter keeps a document");
        FUZZ_CHECK(it.dead_message[0] != '\0', "empty dead-letter message");
        FUZZ_CHECK(memchr(it.dead_message, '\0', sizeof(it.dead_message)), "unterminated");
        /* The message names the rule, never the bytes around it (a NIK, a phone). */
        fuzz_check_no_digit_run(it.dead_message, 10, "a dead-letter message");
        FUZZ_CHECK(!strchr(it.dead_message, '\n'), "a newline in a dead-letter message");
    }
    item_clear(&it);
    return 0;
}
