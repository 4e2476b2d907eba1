/* jsonparse: a fast JSON parser for the common message, into the same jansson tree. */
#ifndef OSSD_JSONPARSE_H
#define OSSD_JSONPARSE_H

#include <jansson.h>
#include <stddef.h>

/* The tree json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) would return (same
 * types, values and key order), or NULL when this parser is not sure: then call json_loadb,
 * whose verdict and error message are the answer. The caller owns the tree (json_decref).
 * On success *underflow is what gate_number_underflow(buf, len) returns (the offset just past
 * the first real literal with a non-zero digit that strtod rounds to zero, or 0). */
json_t *jsonparse_fast(const char *buf, size_t len, size_t *underflow);

#endif
