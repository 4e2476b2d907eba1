/* outbox: the producer side of the transactional outbox: produce, delivery reports, re-send. */
#ifndef OSSD_OUTBOX_H
#define OSSD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "util.h"

struct outbox;

/* An idempotent producer configured from cfg (not owned; it must outlive
 * the outbox, which builds a new producer from it after a fatal error).
 * NULL with err. Test only: the environment variable
 * OSSD_TEST_PRODUCER_FATAL_AFTER=N injects one fatal producer error once
 * N events are produced, with events in flight (tests/e2e/test_outbox_faults.py). */
struct outbox *outbox_new(const struct config *cfg, char *err, size_t errlen) MUST_CHECK;
/* Flushes (up to timeout_ms) and frees. */
void outbox_free(struct outbox *ob, int timeout_ms);

/* Takes every message of b->out into the send queue (b->out is emptied),
 * except rows this outbox already has on their way (a re-send claim of a
 * row whose delivery report has not come yet), which are dropped. Returns
 * how many were taken.
 * Messages the local producer queue cannot hold yet wait in the outbox and
 * go out on later outbox_poll calls. */
size_t outbox_enqueue(struct outbox *ob, struct batch *b);
/* Serves delivery reports and sends waiting messages; waits up to timeout_ms. */
void outbox_poll(struct outbox *ob, int timeout_ms);
/* Messages waiting to enter the producer queue (0 = no backpressure). */
size_t outbox_waiting(const struct outbox *ob);
/* Messages produced and not yet acknowledged or failed. */
size_t outbox_in_flight(const struct outbox *ob);
/* Moves the ids of acknowledged rows into *ids (caller frees); returns count. */
size_t outbox_take_acked(struct outbox *ob, int64_t **ids);
/* The rows of ids (from outbox_take_acked) are marked published: forgets
 * them and frees ids. */
void outbox_marked(struct outbox *ob, int64_t *ids, size_t n);
/* Puts ids back (marking them published failed; they are retried). */
void outbox_return_acked(struct outbox *ob, int64_t *ids, size_t n);
/* Moves the ids of rows refused for good (too large) into *ids (caller
 * frees); returns count. The caller parks them (store_park_outbox), then
 * calls outbox_marked, or outbox_return_parked when that failed. */
size_t outbox_take_parked(struct outbox *ob, int64_t **ids);
void outbox_return_parked(struct outbox *ob, int64_t *ids, size_t n);
/* Figures since start. */
uint64_t outbox_undeliverable(const struct outbox *ob);
/* Producers replaced after a fatal error. */
uint64_t outbox_rebuilds(const struct outbox *ob);
uint64_t outbox_delivered(const struct outbox *ob);
uint64_t outbox_failed(const struct outbox *ob);
/* Waits until everything queued is delivered or failed, at most timeout_ms. */
void outbox_flush(struct outbox *ob, int timeout_ms);

#endif
