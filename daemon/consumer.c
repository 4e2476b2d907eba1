/* consumer: the librdkafka group consumer; offsets come from PostgreSQL on assignment. */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafkaconf.h"
#include "log.h"

struct consumer {
    rd_kafka_t *rk;
    const struct config *cfg;
    struct store *st;
    consumer_revoke_fn on_revoke;
    void *arg;
    int cooperative;
    rd_kafka_topic_partition_list_t *pending; /* assigned, offsets not loaded yet */
    rd_kafka_topic_partition_list_t *assigned;
    int paused;
};

static void set_assigned(struct consumer *c, const rd_kafka_topic_partition_list_t *parts)
{
    if (c->assigned)
        rd_kafka_topic_partition_list_destroy(c->assigned);
    c->assigned = parts ? rd_kafka_topic_partition_list_copy(parts) : NULL;
}

/* Assigns parts at the offsets stored in PostgreSQL; 0, or -1 when they
 * could not be read (then they are kept pending). */
static int assign_stored(struct consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    int64_t dflt = strcmp(c->cfg->start_offset, "latest") == 0 ? RD_KAFKA_OFFSET_END
                                                               : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t err = 0;

    if (store_load_offsets(c->st, c->cfg->group_id, parts, dflt) != 0)
        return -1;
    for (int i = 0; i < parts->cnt; i++)
        log_debug("partition %d starts at offset %lld", parts->elems[i].partition,
                  (long long)parts->elems[i].offset);
    if (c->cooperative)
        e = rd_kafka_incremental_assign(c->rk, parts);
    else
        err = rd_kafka_assign(c->rk, parts);
    if (e) {
        log_error("assign failed: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -1;
    }
    if (err) {
        log_error("assign failed: %s", rd_kafka_err2str(err));
        return -1;
    }
    if (!c->cooperative)
        set_assigned(c, parts);
    else {
        rd_kafka_topic_partition_list_t *now = NULL;
        if (rd_kafka_assignment(c->rk, &now) == 0) {
            set_assigned(c, now);
            rd_kafka_topic_partition_list_destroy(now);
        }
    }
    /* librdkafka keeps a partition's pause flag across unassign and assign:
     * one paused, revoked and assigned back must not stay paused forever */
    if (c->paused)
        rd_kafka_pause_partitions(c->rk, parts);
    else
        rd_kafka_resume_partitions(c->rk, parts);
    return 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct consumer *c = opaque;

    /* known for sure only once the group is joined */
    c->cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (parts->cnt == 0 && c->cooperative) {
            /* an incremental round that brings nothing: it completes the
             * protocol without PostgreSQL (the next round waits for it) */
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
            return;
        }
        {
            /* per topic: "16 of oss.submissions.v1, 4 of oss.license-status.v1" */
            struct buf what = {0};
            for (int i = 0; i < parts->cnt; i++) {
                int n = 0, seen = 0;
                for (int j = 0; j < i && !seen; j++)
                    seen = strcmp(parts->elems[j].topic, parts->elems[i].topic) == 0;
                if (seen)
                    continue;
                for (int j = i; j < parts->cnt; j++)
                    n += strcmp(parts->elems[j].topic, parts->elems[i].topic) == 0;
                buf_printf(&what, "%s%d of %s", what.len ? ", " : "", n, parts->elems[i].topic);
            }
            log_info("assigned %d partition(s): %s", parts->cnt, what.len ? what.data : "-");
            buf_free(&what);
        }
        if (assign_stored(c, parts) != 0) {
            log_warn("stored offsets unavailable; %d partition(s) wait for PostgreSQL", parts->cnt);
            if (!c->pending)
                c->pending = rd_kafka_topic_partition_list_new(parts->cnt);
            for (int i = 0; i < parts->cnt; i++)
                rd_kafka_topic_partition_list_add(c->pending, parts->elems[i].topic,
                                                  parts->elems[i].partition);
            if (!c->cooperative)
                rd_kafka_assign(rk, NULL);
        }
        return;
    }
    /* Revoked (or lost): finish the batch in hand first. */
    log_info("revoking %d partition(s)%s", parts->cnt,
             rd_kafka_assignment_lost(rk) ? " (assignment lost)" : "");
    if (c->on_revoke)
        c->on_revoke(c->arg, parts);
    if (c->pending && c->cooperative) {
        /* an incremental revoke names only the partitions taken away: the
         * others still wait for their stored offsets */
        for (int i = 0; i < parts->cnt; i++)
            rd_kafka_topic_partition_list_del(c->pending, parts->elems[i].topic,
                                              parts->elems[i].partition);
        if (c->pending->cnt == 0) {
            rd_kafka_topic_partition_list_destroy(c->pending);
            c->pending = NULL;
        }
    } else if (c->pending) {
        rd_kafka_topic_partition_list_destroy(c->pending);
        c->pending = NULL;
    }
    if (c->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
        rd_kafka_topic_partition_list_t *now = NULL;
        if (rd_kafka_assignment(rk, &now) == 0) {
            set_assigned(c, now);
            rd_kafka_topic_partition_list_destroy(now);
        }
    } else {
        rd_kafka_assign(rk, NULL);
        set_assigned(c, NULL);
    }
}

struct consumer *consumer_new(const struct config *cfg, struct store *st,
                              consumer_revoke_fn on_revoke, void *arg, char *err, size_t errlen)
{
    struct consumer *c = xcalloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = kafkaconf_new(cfg, "consumer", err, errlen);
    rd_kafka_topic_partition_list_t *topics = NULL;
    char errstr[512];

    c->cfg = cfg;
    c->st = st;
    c->on_revoke = on_revoke;
    c->arg = arg;
    if (!conf)
        goto err;
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, c);
    /* librdkafka refuses a mix of eager and cooperative assignors */
    char strategy[256];
    size_t slen = sizeof(strategy);
    if (rd_kafka_conf_get(conf, "partition.assignment.strategy", strategy, &slen) ==
        RD_KAFKA_CONF_OK)
        c->cooperative = strstr(strategy, "cooperative") != NULL;
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!c->rk) {
        snprintf(err, errlen, "consumer: %s", errstr);
        rd_kafka_conf_destroy(conf);
        goto err;
    }
    conf = NULL; /* owned by rk */
    rd_kafka_poll_set_consumer(c->rk);
    /* One group, three inputs: a topic that does not exist (yet) gets no
     * partitions, and the others are consumed meanwhile. */
    topics = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_submissions, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_license_status, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_nib_actions, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        snprintf(err, errlen, "subscribe to %s, %s and %s: %s", cfg->topic_submissions,
                 cfg->topic_license_status, cfg->topic_nib_actions, rd_kafka_err2str(e));
        goto err;
    }
    log_info("consuming %s, %s and %s in group %s (%s rebalancing)", cfg->topic_submissions,
             cfg->topic_license_status, cfg->topic_nib_actions, cfg->group_id,
             c->cooperative ? "incremental" : "eager");
    return c;
err:
    if (c->rk)
        rd_kafka_destroy(c->rk);
    free(c);
    return NULL;
}

void consumer_close(struct consumer *c)
{
    if (!c)
        return;
    c->on_revoke = NULL; /* the batch was handled by the owner already */
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    if (c->pending)
        rd_kafka_topic_partition_list_destroy(c->pending);
    if (c->assigned)
        rd_kafka_topic_partition_list_destroy(c->assigned);
    free(c);
}

rd_kafka_message_t *consumer_poll(struct consumer *c, int timeout_ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!m || !m->err)
        return m;
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m->err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
        /* a subscribed input topic that does not exist (librdkafka says so
         * once): the submissions topic missing is a misconfiguration; a
         * lifecycle input not created yet is normal until it is used */
        const char *t = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
        int lifecycle = t && (strcmp(t, c->cfg->topic_license_status) == 0 ||
                              strcmp(t, c->cfg->topic_nib_actions) == 0);
        if (lifecycle)
            log_info("consumer: %s (consumed once it exists)", rd_kafka_message_errstr(m));
        else
            log_warn("consumer: %s (consumed once it exists)", rd_kafka_message_errstr(m));
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        log_warn("consumer: %s", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
    return NULL;
}

int consumer_service(struct consumer *c)
{
    if (!c->pending)
        return 0;
    if (assign_stored(c, c->pending) != 0)
        return 1;
    log_info("stored offsets loaded; %d waiting partition(s) assigned", c->pending->cnt);
    rd_kafka_topic_partition_list_destroy(c->pending);
    c->pending = NULL;
    return 0;
}

void consumer_pause(struct consumer *c, int pause)
{
    if (c->paused == pause)
        return;
    c->paused = pause;
    if (!c->assigned || c->assigned->cnt == 0)
        return;
    if (pause)
        rd_kafka_pause_partitions(c->rk, c->assigned);
    else
        rd_kafka_resume_partitions(c->rk, c->assigned);
}

static int is_assigned(const struct consumer *c, const char *topic, int32_t partition)
{
    if (!c->assigned || !rd_kafka_topic_partition_list_find(c->assigned, topic, partition))
        return 0;
    return !c->pending || !rd_kafka_topic_partition_list_find(c->pending, topic, partition);
}

void consumer_commit(struct consumer *c, const struct batch *b)
{
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(16);

    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        /* another member owns it now: its commits are not ours to move */
        if (!is_assigned(c, it->topic, it->partition))
            continue;
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_find(offs, it->topic, it->partition);
        if (!p)
            p = rd_kafka_topic_partition_list_add(offs, it->topic, it->partition);
        if (it->offset + 1 > p->offset)
            p->offset = it->offset + 1;
    }
    if (offs->cnt > 0)
        rd_kafka_commit(c->rk, offs, 1);
    rd_kafka_topic_partition_list_destroy(offs);
}

int consumer_rewind(struct consumer *c, const rd_kafka_topic_partition_list_t *offs)
{
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(offs->cnt);
    rd_kafka_error_t *e;
    int n;

    for (int i = 0; i < offs->cnt; i++)
        if (is_assigned(c, offs->elems[i].topic, offs->elems[i].partition))
            rd_kafka_topic_partition_list_add(seek, offs->elems[i].topic, offs->elems[i].partition)
                ->offset = offs->elems[i].offset;
    n = seek->cnt;
    if (n > 0 && (e = rd_kafka_seek_partitions(c->rk, seek, 5000))) {
        log_error("cannot rewind %d partition(s): %s", n, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    for (int i = 0; i < seek->cnt; i++) {
        if (seek->elems[i].err)
            log_error("cannot rewind %s partition %d to offset %lld: %s", seek->elems[i].topic,
                      seek->elems[i].partition, (long long)seek->elems[i].offset,
                      rd_kafka_err2str(seek->elems[i].err));
        else
            log_info("%s partition %d rewound to offset %lld", seek->elems[i].topic,
                     seek->elems[i].partition, (long long)seek->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(seek);
    return n;
}

int consumer_assigned(const struct consumer *c)
{
    return c->assigned ? c->assigned->cnt : 0;
}

long long consumer_lag(struct consumer *c)
{
    long long lag = 0;
    rd_kafka_topic_partition_list_t *pos;

    if (!c->assigned || c->assigned->cnt == 0)
        return 0;
    pos = rd_kafka_topic_partition_list_copy(c->assigned);
    if (rd_kafka_position(c->rk, pos) != 0) {
        rd_kafka_topic_partition_list_destroy(pos);
        return -1;
    }
    for (int i = 0; i < pos->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(c->rk, pos->elems[i].topic, pos->elems[i].partition, &lo,
                                           &hi) != 0 ||
            hi < 0)
            continue;
        if (pos->elems[i].offset >= 0 && hi > pos->elems[i].offset)
            lag += hi - pos->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(pos);
    return lag;
}

rd_kafka_t *consumer_handle(struct consumer *c)
{
    return c->rk;
}
