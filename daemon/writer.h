/* writer: the store thread: commits decided batches, in order, while the main thread decides the
 * next. */
#ifndef OSSD_WRITER_H
#define OSSD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "event.h"
#include "util.h"

/*
 * The writer owns a PostgreSQL connection and a thread. The main thread
 * submits one decided batch at a time; the writer runs its transaction
 * (store_commit_batch), retrying with backoff while PostgreSQL is down or a
 * race with another instance rolled it back, and hands it back committed.
 * Batches are committed in the order submitted, so per-partition order holds.
 */
struct writer;

enum writer_state {
    WRITER_IDLE,     /* nothing in hand: submit a batch */
    WRITER_BUSY,     /* committing */
    WRITER_RETRYING, /* the last attempt failed; retrying with backoff */
};

/* Starts the thread. cfg and ec are borrowed and must outlive the writer. */
struct writer *writer_new(const struct config *cfg, const struct event_ctx *ec, char *err,
                          size_t errlen) MUST_CHECK;
/* Stops the thread (abandoning a batch still in hand) and frees. */
void writer_free(struct writer *w);

/* Hands b to the writer (it may still be committing the previous one); 0,
 * or -1 when one is already waiting. */
int writer_submit(struct writer *w, struct batch *b) MUST_CHECK;
/* The oldest batch handed back: committed, or abandoned (*committed = 0);
 * NULL when none.
 * The caller owns it again. commit_s: the duration of the successful attempt. */
struct batch *writer_take(struct writer *w, int *committed, double *commit_s);
/* Waits until a batch is handed back or timeout_ms passes. */
void writer_wait(struct writer *w, int timeout_ms);
/* Gives up the batch in hand if it is not committed within timeout_ms
 * (revocation with PostgreSQL down, shutdown). It comes back via writer_take. */
void writer_drain(struct writer *w, int timeout_ms);

/* Removes the messages of parts (NULL: all) from the batch submitted and not
 * started yet (revocation); the batch being committed is left alone. Returns
 * how many were removed. */
size_t writer_drop_next(struct writer *w, const rd_kafka_topic_partition_list_t *parts);
/* 1 when the writer has no batch: none waiting, committing or handed back. */
int writer_idle(struct writer *w);
/* The longest backoff between attempts (reload). */
void writer_set_backoff_max(struct writer *w, int64_t ms);

enum writer_state writer_state(struct writer *w);
/* 1 while PostgreSQL is unreachable for the writer; *err gets the reason. */
int writer_pg_down(struct writer *w, char *err, size_t errlen);
uint64_t writer_retries(struct writer *w);

#endif
