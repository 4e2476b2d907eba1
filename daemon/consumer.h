/* consumer: the librdkafka group consumer; offsets come from PostgreSQL on assignment. */
#ifndef OSSD_CONSUMER_H
#define OSSD_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "batch.h"
#include "config.h"
#include "store.h"
#include "util.h"

struct consumer;

/* Called when partitions are about to be taken away: the owner commits (or
 * drops) the batch in hand before the consumer lets them go. */
typedef void (*consumer_revoke_fn)(void *arg);

/* A consumer subscribed to [topics] submissions in group cfg->group_id.
 * The store is borrowed (offsets are read from it on assignment). */
struct consumer *consumer_new(const struct config *cfg, struct store *st,
                              consumer_revoke_fn on_revoke, void *arg, char *err,
                              size_t errlen) MUST_CHECK;
/* Leaves the group and frees. */
void consumer_close(struct consumer *c);

/* Next message, or NULL after timeout_ms. Errors are logged, never returned.
 * The caller owns the message. */
rd_kafka_message_t *consumer_poll(struct consumer *c, int timeout_ms);
/* Assigns partitions whose stored offsets could not be read yet (PostgreSQL
 * was down at assignment). Returns 1 while some are still waiting. */
int consumer_service(struct consumer *c);
/* Pauses or resumes fetching on every assigned partition. */
void consumer_pause(struct consumer *c, int pause);
/* Commits the next offsets of a committed batch to Kafka (async, for lag tools). */
void consumer_commit(struct consumer *c, const struct batch *b);
/* Number of assigned partitions, and the lag summed over them (-1 unknown). */
int consumer_assigned(const struct consumer *c);
long long consumer_lag(struct consumer *c);
rd_kafka_t *consumer_handle(struct consumer *c);

#endif
