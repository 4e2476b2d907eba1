/* store_internal: what store.c and store_batch.c share; not for other modules. */
#ifndef OSSD_STORE_INTERNAL_H
#define OSSD_STORE_INTERNAL_H

#include "store.h"

struct store {
    const struct config *cfg; /* borrowed; outlives the store */
    char *conninfo;
    PGconn *conn;
    int lookups_only; /* the writer's connection: no sequential scans */
};

/* Records the SQLSTATE of a failed result for store_error_transient. */
void pg_note_error(const PGresult *r);

/* Runs a parameterless command; 0, or -1 with err. */
int pg_exec(PGconn *conn, const char *sql, char *err, size_t errlen);
/* Streams data (COPY text format) into `copy_sql` ("COPY t (...) FROM STDIN"). */
int pg_copy(PGconn *conn, const char *copy_sql, const struct buf *data, char *err, size_t errlen);

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
