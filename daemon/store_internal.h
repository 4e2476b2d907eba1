/* store_internal: what store.c and store_batch.c share; not for other modules. */
#ifndef OSSD_STORE_INTERNAL_H
#define OSSD_STORE_INTERNAL_H

#include "pgcopy.h"
#include "store.h"

/* The headers of an outbox row that holds an event. */
#define OUTBOX_HEADERS_EVENT "[[\"content-type\",\"" EVENT_CONTENT_TYPE "\"]]"

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

/* The dead-letter headers of docs/dead-letters.md for it, consumed from topic
 * (a new array; the caller owns it). */
json_t *store_dead_headers(const struct item *it, const char *topic, const char *failed_at);
/* The dead-letter topic of an input. */
const char *store_dlq_topic(const struct config *cfg, enum item_input in);

/* store_lifecycle.c: applies the status updates and NIB actions of b that passed the gate and
 * their schema (out_kind ITEM_DECIDE), in offset order, inside the batch transaction already
 * open: each becomes applied (out_kind stays ITEM_DECIDE), a no-op re-delivery (ITEM_SKIP) or a
 * dead letter (ITEM_DEAD), with its rows, its outbox row and its message in b->out. Keeps no
 * state outside b: re-runs from scratch in a retried transaction. 0, or -1 with err. */
int store_lifecycle_apply(struct store *st, struct batch *b, const struct event_ctx *ec, char *err,
                          size_t errlen) MUST_CHECK;

#endif
