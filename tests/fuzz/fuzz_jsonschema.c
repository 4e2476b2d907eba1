/* fuzz_jsonschema: the draft-07 validator: arbitrary schemas compiled (or refused) and arbitrary
 * documents validated against them. Input: SCHEMA NUL DOCUMENT; without a NUL the schema is
 * validated against itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "jsonschema.h"
#include "util.h"

struct seen {
    size_t n;
    const char *schema_text; /* every string of the schema, unescaped, and its JSON text */
    size_t schema_len;
    const json_t *doc;
};

/* Appends every string (keys and values) of v, unescaped, to b, separated by \x01. */
static void schema_strings(const json_t *v, struct buf *b, int depth)
{
    const char *k;
    json_t *x;

    if (depth > 64)
        return;
    if (json_is_string(v)) {
        buf_append(b, json_string_value(v), json_string_length(v));
        buf_putc(b, '\x01');
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            schema_strings(json_array_get(v, i), b, depth + 1);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
        {
            buf_puts(b, k);
            buf_putc(b, '\x01');
            schema_strings(x, b, depth + 1);
        }
    }
}

static int has_digit_run(const char *s, size_t len, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
        if (run >= n)
            return 1;
    }
    return 0;
}

/* The message never contains an instance value: checked for the document's identity-like
 * strings (a run of 8 digits or more) that the schema does not itself spell out (a message
 * quotes the schema: its patterns, enum values, property names, limits). */
static void check_message(const json_t *v, const char *msg, const struct seen *s, int depth)
{
    if (depth > 64)
        return;
    if (json_is_string(v)) {
        const char *str = json_string_value(v);
        size_t len = json_string_length(v);
        if (len >= 12 && !memchr(str, '\0', len) && has_digit_run(str, len, 8) &&
            !fuzz_contains(s->schema_text, s->schema_len, str, len))
            FUZZ_CHECK(!strstr(msg, str), "a message echoes an instance value: %s", msg);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && i < 64; i++)
            check_message(json_array_get(v, i), msg, s, depth + 1);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) check_message(x, msg, s, depth + 1);
    }
}

static void on_error(void *arg, const char *path, const char *keyword, const char *message)
{
    struct seen *s = arg;

    FUZZ_CHECK(path && (path[0] == '\0' || path[0] == '/'), "path '%s'", path ? path : "(null)");
    FUZZ_CHECK(keyword && keyword[0], "empty keyword");
    FUZZ_CHECK(message && message[0], "empty message (%s)", keyword);
    check_message(s->doc, message, s, 0);
    s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t slen = nul ? (size_t)(nul - in) : size;
    json_t *schema, *doc;
    struct jsonschema *js;
    char err[512];

    schema = json_loadb(in, slen, JSON_DECODE_ANY, NULL);
    if (!schema)
        return 0;
    struct buf hay = {0};
    schema_strings(schema, &hay, 0);
    char *dump = json_dumps(schema, JSON_ENCODE_ANY | JSON_COMPACT);
    if (dump) {
        buf_puts(&hay, dump);
        free(dump);
    }
    buf_putc(&hay, '\x01');
    err[0] = 'x';
    js = jsonschema_new(schema, err, sizeof(err));
    if (!js) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0], "no reason for a refused schema");
        json_decref(schema);
        buf_free(&hay);
        return 0;
    }
    if (nul)
        doc = json_loadb(nul + 1, size - slen - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    else
        doc = json_incref(schema);
    /* The compiled object holds its own reference: the caller's may go. */
    json_decref(schema);
    if (doc) {
        struct seen all = {0, hay.data, hay.len, doc}, one = all, three = all;
        size_t n = jsonschema_validate(js, doc, 0, on_error, &all);
        FUZZ_CHECK(n != (size_t)-1, "validation failed");
        FUZZ_CHECK(n == all.n, "%zu violations returned, %zu reported", n, all.n);
        size_t n1 = jsonschema_validate(js, doc, 1, on_error, &one);
        size_t n3 = jsonschema_validate(js, doc, 3, on_error, &three);
        FUZZ_CHECK(one.n == n1 && three.n == n3, "reported and returned differ");
        FUZZ_CHECK(n1 == (n ? 1 : 0), "max_errors 1: %zu of %zu", n1, n);
        FUZZ_CHECK(n3 == (n < 3 ? n : 3), "max_errors 3: %zu of %zu", n3, n);
        FUZZ_CHECK(jsonschema_validate(js, doc, 0, NULL, NULL) == n, "not deterministic");
        json_decref(doc);
    }
    jsonschema_free(js);
    buf_free(&hay);
    return 0;
}
