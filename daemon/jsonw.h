/* jsonw: a small JSON writer into a struct buf, for the hot path (events). */
#ifndef OSSD_JSONW_H
#define OSSD_JSONW_H

#include <stddef.h>

#include "util.h"

/* Appends s (len bytes of valid UTF-8) as a quoted, escaped JSON string. */
void jsonw_strn(struct buf *b, const char *s, size_t len);
void jsonw_str(struct buf *b, const char *s); /* NULL writes null */
/* Appends "key": (the key is trusted ASCII). */
void jsonw_key(struct buf *b, const char *key);
/* Appends ,"key":"value" or "key":"value" when first. */
void jsonw_kv(struct buf *b, int *first, const char *key, const char *value);

#endif
