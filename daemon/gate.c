/* gate: the dead-letter checks of docs/dead-letters.md, in their order. */
#include "gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"
#include "util.h"

int gate_valid_id(const char *s, size_t len)
{
    if (len < 1 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

static void dead(struct item *it, const char *code, const char *msg)
{
    it->kind = ITEM_DEAD;
    it->dead_code = code;
    snprintf(it->dead_message, sizeof(it->dead_message), "%s", msg);
}

/* Offset just past the first number literal with a non-zero digit that
 * strtod rounds to zero (1e-400, 0.000...1 with 400 zeros), or 0 when
 * there is none. jansson refuses overflow (1e400) but keeps such a number
 * as 0.0, and 0.0 is a valid integer to JSON Schema: capital_idr 1e-400
 * would be decided as a capital of 0. Runs on a document jansson accepted,
 * so every literal outside strings is well-formed. */
size_t gate_number_underflow(const char *s, size_t len)
{
    char small[64];

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9'))
            continue;
        size_t start = i, mant_end = 0;
        int nonzero = 0, real = 0;
        for (; i < len; i++) {
            c = s[i];
            if (c == '.' || c == 'e' || c == 'E') {
                real = 1;
                if (c != '.' && !mant_end)
                    mant_end = i;
            } else if (c >= '1' && c <= '9') {
                if (!mant_end)
                    nonzero = 1;
            } else if (c != '0' && c != '-' && c != '+')
                break;
        }
        if (!real || !nonzero)
            continue;
        size_t n = i - start;
        char *tok = n < sizeof(small) ? small : xmalloc(n + 1);
        memcpy(tok, s + start, n);
        tok[n] = '\0';
        double d = strtod(tok, NULL);
        if (tok != small)
            free(tok);
        if (d == 0.0)
            return i;
        i--; /* the loop's i++ looks at the character after the literal */
    }
    return 0;
}

/* What the gate checks per input topic: the size limit, the id field and the schema name. */
static const struct gate_rules {
    size_t max_bytes;
    const char *id_field;
    const char *schema;
} rules[] = {
    [ITEM_INPUT_SUBMISSION] = {GATE_MAX_BYTES, "submission_id", "oss.submission.v1"},
    [ITEM_INPUT_STATUS] = {GATE_MAX_BYTES_LIFECYCLE, "status_id", "oss.license-status.v1"},
    [ITEM_INPUT_NIB_ACTION] = {GATE_MAX_BYTES_LIFECYCLE, "action_id", "oss.nib-action.v1"},
};

void gate_check(struct item *it, const char *value, size_t len)
{
    const struct gate_rules *g = &rules[(unsigned)it->input < ARRAY_SIZE(rules) ? it->input : 0];
    json_error_t jerr;
    json_t *doc, *v;
    char msg[200];

    if (len > g->max_bytes) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 "message is %zu bytes; the limit is %zu", len, g->max_bytes);
        it->kind = ITEM_DEAD;
        it->dead_code = "TOO_LARGE";
        return;
    }
    if (!value || len == 0) {
        dead(it, "PARSE_ERROR", "empty message");
        return;
    }
    /* Duplicate keys are refused (two readers could see two documents), and
     * so is \u0000 (PostgreSQL text cannot hold it). */
    size_t under = 0;
    doc = jsonparse_fast(value, len, &under); /* NULL when unsure: then jansson decides */
    if (!doc) {
        doc = json_loadb(value, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (doc)
            under = gate_number_underflow(value, len);
    }
    if (!doc) {
        char what[JSON_ERROR_TEXT_LENGTH];
        /* jansson quotes the input ("... near '\"3374...'"): that could be a
         * NIK or a phone number, so only the rule broken is kept. */
        snprintf(what, sizeof(what), "%s", jerr.text);
        what[strcspn(what, "'\"")] = '\0';
        char *near = strstr(what, " near");
        if (near)
            *near = '\0';
        snprintf(msg, sizeof(msg), "not valid UTF-8 JSON at byte %d: %s", jerr.position, what);
        dead(it, "PARSE_ERROR", msg);
        return;
    }
    if (under) {
        json_decref(doc);
        snprintf(msg, sizeof(msg),
                 "not valid UTF-8 JSON at byte %zu: real number underflow (a non-zero number "
                 "too small for a double)",
                 under);
        dead(it, "PARSE_ERROR", msg);
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        dead(it, "NOT_AN_OBJECT", "the message is JSON but not an object");
        return;
    }
    v = json_object_get(doc, g->id_field);
    if (!json_is_string(v) || !gate_valid_id(json_string_value(v), json_string_length(v))) {
        json_decref(doc);
        snprintf(msg, sizeof(msg),
                 v ? "%s must be 1-64 characters of A-Za-z0-9._:-" : "%s is missing", g->id_field);
        dead(it, "MISSING_ID", msg);
        return;
    }
    memcpy(it->submission_id, json_string_value(v), json_string_length(v) + 1);
    v = json_object_get(doc, "schema");
    if (!json_is_string(v) || strcmp(json_string_value(v), g->schema) != 0) {
        json_decref(doc);
        snprintf(msg, sizeof(msg), v ? "schema is not %s" : "schema is missing", g->schema);
        dead(it, "UNSUPPORTED_SCHEMA", msg);
        return;
    }
    it->kind = ITEM_DECIDE;
    it->doc = doc;
    sha256(value, len, it->sha);
}
