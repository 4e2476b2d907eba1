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

/* Called (from consumer_poll, in the rebalance callback) when the partitions
 * in parts are about to be taken away (an eager revoke names every assigned
 * one): the owner gives up the messages of those partitions that it has not
 * handed to the writer's transaction yet; it must not wait there. Their
 * next owner consumes them from the offsets stored in PostgreSQL. */
typedef void (*consumer_revoke_fn)(void *arg, const rd_kafka_topic_partition_list_t *parts);

/* A consumer subscribed to [topics] submissions, license_status and
 * nib_actions in group cfg->group_id.
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
/* Commits the next offsets of a committed batch to Kafka (async, for lag
 * tools), for the partitions still assigned. */
void consumer_commit(struct consumer *c, const struct batch *b);
/* Seeks every partition of offs that is still assigned (and not waiting for
 * its stored offset) back to the offset given for it: messages given up
 * uncommitted are consumed again. Messages fetched beyond it are discarded
 * by librdkafka. Returns how many partitions were rewound. */
int consumer_rewind(struct consumer *c, const rd_kafka_topic_partition_list_t *offs);
/* Number of assigned partitions, and the lag summed over them (-1 unknown). */
int consumer_assigned(const struct consumer *c);
long long consumer_lag(struct consumer *c);
rd_kafka_t *consumer_handle(struct consumer *c);

#endif
