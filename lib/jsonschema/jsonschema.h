/* jsonschema.h: JSON Schema draft-07 validator over jansson, compiled once and validated often. */
#ifndef JSONSCHEMA_H
#define JSONSCHEMA_H

#include <stddef.h>

#include <jansson.h>

/*
 * A compiled draft-07 schema. Compilation resolves every $ref (JSON Pointer
 * fragments, $id-based URIs and "#name" plain-name $ids, all within the one
 * document: remote references are not fetched), compiles every pattern with
 * PCRE2 (ECMA-262 syntax translated) and builds a read-only tree, so
 * validating a document does no parsing and no URI work.
 *
 * Vocabulary: every draft-07 validation keyword, boolean schemas,
 * definitions. "format" asserts date, date-time, time, email, idn-email,
 * hostname, ipv4, ipv6, uri, uri-reference, iri, iri-reference, uri-template,
 * json-pointer, relative-json-pointer and regex; any other format (e.g.
 * idn-hostname) is an annotation only. contentMediaType/contentEncoding are
 * annotations. Numbers follow JSON Schema, not jansson: 1.0 is an integer,
 * 1 equals 1.0 in enum/const/uniqueItems, and integers and reals are compared
 * exactly (no rounding of large integers through double).
 *
 * Limits: one validation follows at most JSONSCHEMA_MAX_DEPTH nested schema
 * applications (document levels, $ref hops, allOf/anyOf branches, ...); past
 * that it reports a "depth" violation instead of recursing further.
 */
#define JSONSCHEMA_MAX_DEPTH 512

struct jsonschema;

/*
 * Compiles a draft-07 schema. The schema is borrowed: the compiled object
 * takes its own reference (json_incref) and reads enum/const values from it,
 * so the caller may json_decref its copy but must not modify the schema while
 * the compiled object lives. Returns a new object to release with
 * jsonschema_free(), or NULL with a message in err (errlen bytes, always
 * NUL-terminated when errlen > 0) when the schema is invalid, a $ref cannot be
 * resolved within the document, $refs form a cycle or a pattern is not a
 * valid ECMA-262 regular expression.
 */
struct jsonschema *jsonschema_new(json_t *schema, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Reads and compiles the schema in the file at path. Returns a new object
 * (the caller frees it with jsonschema_free()), or NULL with err filled
 * ("path:line:column: ..." for JSON syntax errors).
 */
struct jsonschema *jsonschema_load_file(const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Releases a compiled schema and its reference to the schema JSON. NULL is a no-op. */
void jsonschema_free(struct jsonschema *js);

/*
 * Called once per violation. All three strings are valid only during the call.
 *
 * path: RFC 6901 JSON Pointer of the offending instance value ("" for the
 *   root), with "~" escaped as "~0" and "/" as "~1". For "required" (and
 *   array-form "dependencies") it points at the MISSING property itself, e.g.
 *   "/applicant/nik", so integrators see which field to fill in; for
 *   "additionalProperties": false and "propertyNames" it points at the
 *   offending property; for "additionalItems": false at the extra item.
 * keyword: the failing keyword ("type", "required", "pattern", "format",
 *   "anyOf", ...), or "false" for a false boolean schema and "depth" when the
 *   nesting limit was reached.
 * message: English text naming the rule (the pattern, the allowed values,
 *   the limit, the missing property's name). It NEVER contains the instance
 *   value, so it is safe to log and to publish even for identity fields.
 */
typedef void (*jsonschema_error_fn)(void *arg, const char *path, const char *keyword,
                                    const char *message);

/*
 * Validates doc (borrowed, not modified) against js. Returns the number of
 * violations found, 0 when doc is valid. cb (may be NULL) is called for each.
 * With max_errors > 0 validation stops at the max_errors-th violation and
 * returns max_errors (so max_errors = 1 is the cheapest validity test);
 * 0 means no limit. Returns (size_t)-1 when js or doc is NULL or memory runs
 * out (treat it as "not validated", e.g. retry later).
 * Thread-safe: any number of threads may validate with one compiled schema at
 * the same time.
 */
size_t jsonschema_validate(const struct jsonschema *js, const json_t *doc, size_t max_errors,
                           jsonschema_error_fn cb, void *arg);

#endif
