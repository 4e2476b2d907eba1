/* pgcopy: PostgreSQL COPY encoders, text and binary formats, appending to a struct buf. They
 * encode only (no libpq): the caller streams the buffer with PQputCopyData. */
#ifndef BASE_PGCOPY_H
#define BASE_PGCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"

/* COPY text-format field writers: each appends one field and its separator
 * (sep = '\t' or '\n'). */
void copy_text(struct buf *b, const char *s, size_t len, char sep);
void copy_str(struct buf *b, const char *s, char sep);               /* NULL -> \N */
void copy_bytea(struct buf *b, const void *p, size_t len, char sep); /* NULL p -> \N */
void copy_int(struct buf *b, long long v, char sep);
void copy_ts_ms(struct buf *b, int64_t ms, char sep); /* 0 -> \N */

/* COPY BINARY writers: the header, a tuple's field count, then its fields
 * in table order (NULL p -> SQL NULL), and the trailer. */
void copyb_header(struct buf *b);
void copyb_fields(struct buf *b, int n);
void copyb_int8(struct buf *b, int64_t v);
void copyb_int4(struct buf *b, int32_t v);
void copyb_bool(struct buf *b, int v);
void copyb_null(struct buf *b);
void copyb_str(struct buf *b, const char *s); /* text, char(n); NULL -> SQL NULL */
void copyb_uuid(struct buf *b, const char *uuid36);
void copyb_bytes(struct buf *b, const void *p, size_t len); /* text or bytea */
void copyb_jsonb(struct buf *b, const char *json, size_t len);
void copyb_timestamptz(struct buf *b, int64_t epoch_ms);
void copyb_trailer(struct buf *b);

/* Postgres array literal of strings ({"a","b"}), for ANY($1::text[]). */
void pg_text_array(struct buf *b, const char *const *v, size_t n);

#endif
