/* store_internal: what store.c and store_batch.c share; not for other modules. */
#ifndef OSSD_STORE_INTERNAL_H
#define OSSD_STORE_INTERNAL_H

#include "pgcopy.h"
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

#endif
