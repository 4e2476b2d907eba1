/* jsonparse: a fast JSON parser for the common message, into the same jansson tree. */
#ifndef OSSD_JSONPARSE_H
#define OSSD_JSONPARSE_H

#include <jansson.h>
#include <stddef.h>

/* The tree json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) would return (same
 * types, values and key order), or NULL when this parser is not sure: then call json_loadb,
 * whose verdict and error message are the answer. The caller owns the tree (json_decref). */
json_t *jsonparse_fast(const char *buf, size_t len);

#endif
