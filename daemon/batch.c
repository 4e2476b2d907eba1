/* batch: the messages of one poll round, and the outbox messages their transaction wrote. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct item *batch_add(struct batch *b, rd_kafka_message_t *msg)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
    }
    struct item *it = &b->items[b->n++];
    memset(it, 0, sizeof(*it));
    it->msg = msg;
    it->partition = msg->partition;
    it->offset = msg->offset;
    it->topic = msg->rkt ? rd_kafka_topic_name(msg->rkt) : "";
    return it;
}

struct outmsg *batch_add_out(struct batch *b, const char *topic, const void *key, size_t key_len,
                             const void *value, size_t value_len, json_t *headers)
{
    if (b->n_out == b->cap_out) {
        b->cap_out = b->cap_out ? b->cap_out * 2 : 256;
        b->out = xrealloc(b->out, b->cap_out * sizeof(*b->out));
    }
    struct outmsg *m = &b->out[b->n_out++];
    memset(m, 0, sizeof(*m));
    m->topic = xstrdup(topic);
    if (key) {
        m->key = xmalloc(key_len ? key_len : 1);
        memcpy(m->key, key, key_len);
        m->key_len = key_len;
    }
    m->value = xmalloc(value_len ? value_len : 1);
    memcpy(m->value, value, value_len);
    m->value_len = value_len;
    m->headers = headers;
    return m;
}

void outmsg_clear(struct outmsg *m)
{
    free(m->topic);
    free(m->key);
    free(m->value);
    json_decref(m->headers);
    memset(m, 0, sizeof(*m));
}

void batch_clear_out(struct batch *b)
{
    for (size_t i = 0; i < b->n_out; i++)
        outmsg_clear(&b->out[i]);
    b->n_out = 0;
}

void batch_clear(struct batch *b)
{
    batch_clear_out(b);
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].msg)
            rd_kafka_message_destroy(b->items[i].msg);
        item_clear(&b->items[i]);
    }
    b->n = 0;
}

void batch_free(struct batch *b)
{
    batch_clear(b);
    free(b->items);
    free(b->out);
    memset(b, 0, sizeof(*b));
}

static int in_parts(const rd_kafka_topic_partition_list_t *parts, const char *topic,
                    int32_t partition)
{
    if (!parts)
        return 1;
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].partition == partition && strcmp(parts->elems[i].topic, topic) == 0)
            return 1;
    return 0;
}

size_t batch_drop_partitions(struct batch *b, const rd_kafka_topic_partition_list_t *parts)
{
    size_t kept = 0, n = b->n;

    for (size_t i = 0; i < n; i++) {
        struct item *it = &b->items[i];
        if (!in_parts(parts, it->topic, it->partition)) {
            if (kept != i)
                b->items[kept] = *it;
            kept++;
            continue;
        }
        if (it->msg)
            rd_kafka_message_destroy(it->msg);
        item_clear(it);
    }
    b->n = kept;
    return n - kept;
}

void batch_reset_items(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        rd_kafka_message_t *m = it->msg;
        const char *topic = it->topic;
        item_clear(it);
        it->msg = m;
        it->partition = m->partition;
        it->offset = m->offset;
        it->topic = topic;
    }
}

void batch_move_out(struct batch *dst, struct batch *src)
{
    if (dst->n_out + src->n_out > dst->cap_out) {
        dst->cap_out = dst->n_out + src->n_out + 64;
        dst->out = xrealloc(dst->out, dst->cap_out * sizeof(*dst->out));
    }
    if (src->n_out)
        memcpy(dst->out + dst->n_out, src->out, src->n_out * sizeof(*src->out));
    dst->n_out += src->n_out;
    src->n_out = 0;
}
