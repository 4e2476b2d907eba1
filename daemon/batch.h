/* batch: the messages of one poll round, and the outbox messages their transaction wrote. */
#ifndef OSSD_BATCH_H
#define OSSD_BATCH_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "item.h"

/* One message to produce: a decision event or a dead letter. Owns its copies. */
struct outmsg {
    int64_t id; /* outbox row id */
    char *topic;
    char *key; /* NULL: no key */
    size_t key_len;
    char *value;
    size_t value_len;
    json_t *headers; /* [[name, value], ...] */
};

enum { BATCH_LC_APPLIED, BATCH_LC_SKIPPED, BATCH_LC_REFUSED };

struct cal_holidays;

struct batch {
    struct item *items;
    size_t n, cap;
    struct outmsg *out;
    size_t n_out, cap_out;
    int64_t decided_ms;
    /* The holiday calendar of the reference data the batch was decided with (status updates
     * 42/44 need it); set when the batch is handed to the writer, NULL: none. */
    const struct cal_holidays *holidays;
    int32_t basis_id; /* decision_basis row of the chain that decided it (0: none) */
    /* Figures of the last successful commit. */
    size_t n_issued, n_rejected, n_dead, n_skipped;
    /* Lifecycle messages of the last commit, per input (ITEM_INPUT_STATUS - 1,
     * ITEM_INPUT_NIB_ACTION - 1) and result (BATCH_LC_APPLIED, _SKIPPED, _REFUSED). */
    size_t n_lc[2][3];
};

/* Appends a consumed message (the batch owns it from now on). */
struct item *batch_add(struct batch *b, rd_kafka_message_t *msg);
/* Appends an outbox message (copies key and value; steals headers, which
 * may be NULL for a decision event). */
struct outmsg *batch_add_out(struct batch *b, const char *topic, const void *key, size_t key_len,
                             const void *value, size_t value_len, json_t *headers);
/* Removes (and frees) the items of the (topic, partition) pairs in parts, NULL:
 * all; the others keep their order and their decisions. Returns how many were
 * removed. */
size_t batch_drop_partitions(struct batch *b, const rd_kafka_topic_partition_list_t *parts);
/* Forgets every decision (gate, pipeline, store) but keeps the messages. */
void batch_reset_items(struct batch *b);
/* Moves every outbox message of src to the end of dst. */
void batch_move_out(struct batch *dst, struct batch *src);
/* Drops the outbox messages (after they were produced, or on rollback). */
void batch_clear_out(struct batch *b);
/* Frees every item and message; the batch can be reused. */
void batch_clear(struct batch *b);
void batch_free(struct batch *b);

void outmsg_clear(struct outmsg *m);

#endif
