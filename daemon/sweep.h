/* sweep: the deemed-approval sweep (fiktif positif): permits whose deadline passed become
 * approved_deemed with code 57, once every status update produced before the deadline has been
 * applied (docs/lifecycle.md, "Deadlines and deemed approval"). */
#ifndef OSSD_SWEEP_H
#define OSSD_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "metrics.h"
#include "util.h"

/* Most permits deemed approved in one transaction; more due ones wait for the next round,
 * which follows at once. */
#define SWEEP_MAX_PER_TX 1000

/* One partition of [topics] license_status: its watermarks read from the broker
 * (low, high), or the next offset stored in PostgreSQL (offset). */
struct sweep_mark {
    int32_t partition;
    int64_t low, high; /* broker */
};
struct sweep_stored {
    int32_t partition;
    int64_t next_offset;
};

/* The gate, a pure function: 1 when every partition of marks has a stored next_offset >= its
 * high watermark, or has none stored and holds nothing to consume (high 0, or every message
 * deleted: high <= low); 0 otherwise, with *behind the first partition not reached. No
 * partitions (a missing topic) is reached. */
int sweep_gate(const struct sweep_mark *marks, size_t n_marks, const struct sweep_stored *stored,
               size_t n_stored, int32_t *behind);

struct sweep;

/* Starts the sweep's thread, which opens its own PostgreSQL session and Kafka handle from boot
 * (not owned; it must outlive the sweep) and runs every [sla] sweep_interval_s. metrics may be
 * NULL. NULL with err. */
struct sweep *sweep_new(const struct config *boot, struct metrics *metrics, char *err,
                        size_t errlen) MUST_CHECK;
/* Takes the interval and the event context (source, schema_base) of a (re)loaded config. */
void sweep_configure(struct sweep *s, const struct config *cfg);
/* Main thread: moves the outbox rows of committed deemed approvals into b->out (to hand to
 * outbox_enqueue). Never waits for the sweep's thread beyond a mutex held for microseconds.
 * Returns how many. */
size_t sweep_collect(struct sweep *s, struct batch *b);
/* Asks the thread to stop after its round in progress, without waiting for it. */
void sweep_request_stop(struct sweep *s);
/* Stops the thread once its round in progress has ended (committed or rolled back);
 * sweep_collect still gives what it committed. Idempotent; NULL is a no-op. */
void sweep_stop(struct sweep *s);
/* Stops the thread (a transaction in progress is finished or rolled back by PostgreSQL) and
 * frees; rows not collected stay in the outbox for the re-send. NULL is a no-op. */
void sweep_free(struct sweep *s);

#endif
