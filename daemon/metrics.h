/* metrics: the Prometheus text endpoint (libmicrohttpd) and the figures it serves. */
#ifndef OSSD_METRICS_H
#define OSSD_METRICS_H

#include <stddef.h>

#include "batch.h"
#include "consumer.h"
#include "outbox.h"
#include "store.h"
#include "util.h"

struct metrics;

/* Starts serving GET /metrics on listen: "host:port", "[v6addr]:port", or
 * ":port" / "port" for 127.0.0.1. An empty listen means metrics are off:
 * *out stays NULL and 0 is returned. Otherwise 0 with *out set (the caller
 * frees it with metrics_free), or -1 with err (bad address, bind failure).
 * The endpoint runs on its own thread. metrics_batch_committed and
 * metrics_batch_retry may be called from any thread (a mutex guards the
 * figures, held for microseconds); metrics_sample from the main loop only.
 * Every metrics_* call takes NULL as a no-op. */
int metrics_new(const char *listen, struct metrics **out, char *err, size_t errlen) MUST_CHECK;
/* Stops the endpoint and frees; NULL is a no-op. */
void metrics_free(struct metrics *m);

/* Counts a committed batch: decisions by outcome, rejections by reason code,
 * dead letters by code, duplicates, the batch size and commit_s (the seconds
 * its transaction took). Reads b's items; call before the batch is cleared. */
void metrics_batch_committed(struct metrics *m, const struct batch *b, double commit_s);
/* Counts a batch that will be retried (handler or transaction failure). */
void metrics_batch_retry(struct metrics *m);
/* A round of the deemed-approval sweep that ran to its end (nothing due, or a transaction
 * committed with approvals permits deemed approved) in seconds; any thread. */
void metrics_sweep_done(struct metrics *m, size_t approvals, double seconds);
/* A round held back: reason "watermark" (status updates not all applied) or "kafka" (the
 * broker did not give the watermarks); any thread. */
void metrics_sweep_held(struct metrics *m, const char *reason);
/* Permits overdue and still pending after a sweep round (-1: unknown); any thread. */
void metrics_sweep_overdue(struct metrics *m, long n);
/* Permits by status (indexed by permit.h's enum permit_status, METRICS_N_STATUS of them)
 * counted by a sweep round; n NULL: unknown (the gauge keeps its last figures); any thread. */
#define METRICS_N_STATUS 6
void metrics_sweep_permits(struct metrics *m, const long *n);
/* Samples the gauges: PostgreSQL up, the consumer lag per partition, the
 * outbox; at most once a second (the backlog query every 5 s). c, ob and st
 * may be NULL (not started yet). Main thread only: it uses st's connection. */
void metrics_sample(struct metrics *m, struct consumer *c, struct outbox *ob, struct store *st,
                    int pg_up);

#endif
