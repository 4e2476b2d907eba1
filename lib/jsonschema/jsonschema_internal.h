/* jsonschema_internal.h: the compiled-schema tree shared by the jsonschema_*.c files (private). */
#ifndef JSONSCHEMA_INTERNAL_H
#define JSONSCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>

#include "jsonschema.h"

/* Instance types as a bit set ("integer" is a subset of "number"). */
enum {
    JS_T_NULL = 1 << 0,
    JS_T_BOOLEAN = 1 << 1,
    JS_T_OBJECT = 1 << 2,
    JS_T_ARRAY = 1 << 3,
    JS_T_NUMBER = 1 << 4,
    JS_T_STRING = 1 << 5,
    JS_T_INTEGER = 1 << 6,
};

enum js_format {
    JS_F_NONE = 0, /* unknown format: annotation only */
    JS_F_DATE,
    JS_F_DATE_TIME,
    JS_F_TIME,
    JS_F_EMAIL,
    JS_F_IDN_EMAIL,
    JS_F_HOSTNAME,
    JS_F_IPV4,
    JS_F_IPV6,
    JS_F_URI,
    JS_F_URI_REFERENCE,
    JS_F_IRI,
    JS_F_IRI_REFERENCE,
    JS_F_URI_TEMPLATE,
    JS_F_JSON_POINTER,
    JS_F_RELATIVE_JSON_POINTER,
    JS_F_REGEX,
};

/* Which keywords a node carries (the ones without a pointer/array to test). */
enum {
    JS_K_MULTIPLE_OF = 1u << 0,
    JS_K_MAXIMUM = 1u << 1,
    JS_K_EXCL_MAXIMUM = 1u << 2,
    JS_K_MINIMUM = 1u << 3,
    JS_K_EXCL_MINIMUM = 1u << 4,
    JS_K_MAX_LENGTH = 1u << 5,
    JS_K_MIN_LENGTH = 1u << 6,
    JS_K_MAX_ITEMS = 1u << 7,
    JS_K_MIN_ITEMS = 1u << 8,
    JS_K_UNIQUE_ITEMS = 1u << 9,
    JS_K_MAX_PROPS = 1u << 10,
    JS_K_MIN_PROPS = 1u << 11,
    JS_K_ENUM = 1u << 12,
    JS_K_CONST = 1u << 13,
    JS_K_ITEMS_TUPLE = 1u << 14,
};

enum js_kind {
    JS_N_TRUE,   /* boolean schema true: accepts anything */
    JS_N_FALSE,  /* boolean schema false: rejects anything */
    JS_N_REF,    /* {"$ref": ...}: every sibling keyword is ignored (draft-07) */
    JS_N_SCHEMA, /* an object schema */
};

/* A JSON number as written in the schema (integers are kept exact). */
struct js_num {
    bool is_int;
    json_int_t i;
    double d;
};

struct js_regex {
    pcre2_code *code;
    const char *source; /* the ECMA-262 text, for messages */
};

struct js_node;

struct js_prop {
    const char *key;
    size_t klen;
    const struct js_node *node;
};

struct js_pattern_prop {
    struct js_regex re;
    const struct js_node *node;
};

struct js_str {
    const char *s;
    size_t len;
};

/* One "dependencies" entry: a schema, or property names (required == non-NULL). */
struct js_dep {
    const char *key;
    size_t klen;
    const struct js_node *schema;
    const struct js_str *required;
    size_t nrequired;
};

struct js_node {
    uint8_t kind;  /* enum js_kind */
    uint8_t types; /* JS_T_* accepted, 0 = no "type" keyword */
    uint8_t format;
    uint32_t flags; /* JS_K_* */
    const struct js_node *ref;

    const json_t *enum_values; /* borrowed from the schema */
    const char *enum_text;     /* "\"a\", \"b\"" for messages */
    const json_t *const_value;
    const char *const_text;

    struct js_num multiple_of, maximum, excl_maximum, minimum, excl_minimum;

    size_t max_length, min_length;
    struct js_regex pattern;

    const struct js_node *items;  /* one schema for every item */
    const struct js_node **tuple; /* or one per position (JS_K_ITEMS_TUPLE) */
    size_t ntuple;
    const struct js_node *additional_items;
    size_t max_items, min_items;
    const struct js_node *contains;

    size_t max_props, min_props;
    const struct js_str *required;
    size_t nrequired;
    const struct js_prop *props;         /* in schema order */
    const struct js_prop *const *sorted; /* the same, by key length then bytes */
    size_t nprops;
    const struct js_pattern_prop *pattern_props;
    size_t npattern_props;
    const struct js_node *additional_props;
    const struct js_dep *deps;
    size_t ndeps;
    const struct js_node *property_names;

    const struct js_node *if_, *then_, *else_;
    const struct js_node **all_of, **any_of, **one_of;
    size_t nall_of, nany_of, none_of;
    const struct js_node *not_;
};

struct js_chunk;

struct jsonschema {
    json_t *schema; /* our reference */
    const struct js_node *root;
    struct js_chunk *arena; /* every node, array and string of the tree */
    pcre2_code **codes;     /* every compiled pattern, to free */
    size_t ncodes, capcodes;
};

/* ---- compilation (jsonschema.c, jsonschema_keywords.c) ---- */

struct js_memo;
struct js_resource;

/* State of one jsonschema_new() call. */
struct js_cctx {
    struct jsonschema *js;
    struct js_memo *memo; /* open addressing, keyed by schema JSON identity */
    size_t memo_cap, memo_len;
    struct js_resource *res;
    size_t nres, capres;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
    char loc[256]; /* "#" + JSON Pointer (or the $ref) of the schema being compiled */
    size_t loclen;
};

/* Zeroed memory that lives as long as js; NULL on OOM. */
void *js_arena_alloc(struct jsonschema *js, size_t n);
char *js_arena_strndup(struct jsonschema *js, const char *s, size_t n);
/* Records the first compile error, prefixed with the schema location. */
__attribute__((format(printf, 2, 3))) void js_cfail(struct js_cctx *c, const char *fmt, ...);
void js_oom(struct js_cctx *c);
/* Appends "/token" to the location for messages; returns the length to restore. */
size_t js_loc_push(struct js_cctx *c, const char *tok, size_t len);
size_t js_loc_push_index(struct js_cctx *c, size_t i);
/* The node for schema s (memoized by identity: cycles through $ref are fine); NULL on error. */
struct js_node *js_compile(struct js_cctx *c, json_t *s, const char *base);
/* Fills n from the keywords of object schema s, whose base URI is base. 0 or -1. */
int js_compile_object(struct js_cctx *c, json_t *s, const char *base, struct js_node *n);

/* jsonschema_regex.c: ECMA-262 pattern -> PCRE2 code (JIT-compiled when possible). */
pcre2_code *js_regex_compile(const char *src, size_t len, char *err, size_t errlen);
/* 1 match, 0 no match, -1 error (counted as a failed match). md is the caller's. */
int js_regex_search(const pcre2_code *code, const char *s, size_t len, pcre2_match_data *md);

/* jsonschema_format.c */
enum js_format js_format_lookup(const char *name);
const char *js_format_describe(enum js_format f);
bool js_format_check(enum js_format f, const char *s, size_t len);

/* jsonschema_uri.c: RFC 3986 reference resolution; malloc'd result or NULL. */
char *js_uri_resolve(const char *base, const char *ref);
bool js_uri_valid(const char *s, size_t len, bool iri, bool reference);

/* jsonschema_validate.c: JSON Schema numeric semantics. */
int js_num_cmp_json(const json_t *v, const struct js_num *n); /* sign of v - n */
bool js_json_equal(const json_t *a, const json_t *b, int depth);

#endif
