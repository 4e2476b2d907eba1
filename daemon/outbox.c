/* outbox: the producer side of the transactional outbox: produce, delivery reports, re-send. */
#include "outbox.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "idset.h"
#include "kafkaconf.h"
#include "log.h"

struct outbox {
    rd_kafka_t *rk;
    /* Messages waiting for room in the producer queue, oldest first. */
    struct outmsg *wait;
    size_t n_wait, cap_wait, head;
    /* Acknowledged row ids not yet marked published. */
    int64_t *acked;
    size_t n_acked, cap_acked;
    size_t in_flight;
    uint64_t delivered, failed;
    /* Rows this process has taken to send and not yet seen marked published
     * or failed: a re-send claim of one of them (its delivery is merely
     * slow, say a topic whose metadata has not come) is not sent twice. */
    struct idset mine;
    /* Undelivered events with the same error and topic are logged once,
     * then counted: one summary line per FAIL_WINDOW_MS (a missing topic
     * would otherwise log every event on every re-send). */
    struct {
        int err;
        char topic[256];
        int64_t since;
        uint64_t more;
    } fail;
};

#define FAIL_WINDOW_MS 10000

static void fail_summary(struct outbox *ob)
{
    if (ob->fail.more)
        log_warn("%llu more event(s) not delivered to %s in %lld s: %s (will be re-sent)",
                 (unsigned long long)ob->fail.more, ob->fail.topic,
                 (long long)((mono_ms() - ob->fail.since + 999) / 1000),
                 rd_kafka_err2str((rd_kafka_resp_err_t)ob->fail.err));
    ob->fail.more = 0;
    ob->fail.since = 0;
}

/* An event not delivered (or not accepted) that will be re-sent. */
static void note_failure(struct outbox *ob, int64_t id, const char *topic, rd_kafka_resp_err_t err)
{
    ob->failed++;
    idset_del(&ob->mine, id); /* the next re-send may claim it */
    if (ob->fail.since && ob->fail.err == (int)err && strcmp(ob->fail.topic, topic) == 0 &&
        mono_ms() - ob->fail.since < FAIL_WINDOW_MS) {
        ob->fail.more++;
        return;
    }
    fail_summary(ob);
    log_warn("event for outbox row %lld not delivered to %s: %s (will be re-sent)", (long long)id,
             topic, rd_kafka_err2str(err));
    ob->fail.err = (int)err;
    snprintf(ob->fail.topic, sizeof(ob->fail.topic), "%s", topic);
    ob->fail.since = mono_ms();
}

static void push_acked(struct outbox *ob, int64_t id)
{
    if (ob->n_acked == ob->cap_acked) {
        ob->cap_acked = ob->cap_acked ? ob->cap_acked * 2 : 1024;
        ob->acked = xrealloc(ob->acked, ob->cap_acked * sizeof(*ob->acked));
    }
    ob->acked[ob->n_acked++] = id;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct outbox *ob = opaque;
    int64_t id = (int64_t)(intptr_t)m->_private;
    (void)rk;

    ob->in_flight--;
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        /* Permanent: re-sending cannot help. The row is dropped from the
         * outbox; a dead letter stays recorded in dead_letters (ossctl dlq). */
        ob->failed++;
        log_error("outbox row %lld (%zu bytes) is larger than %s accepts; not published, "
                  "kept in PostgreSQL",
                  (long long)id, m->len, rd_kafka_topic_name(m->rkt));
        push_acked(ob, id);
        return;
    }
    if (m->err) {
        /* The row stays unpublished; the periodic re-send claims it again. */
        note_failure(ob, id, rd_kafka_topic_name(m->rkt), m->err);
        return;
    }
    ob->delivered++;
    push_acked(ob, id);
}

struct outbox *outbox_new(const struct config *cfg, char *err, size_t errlen)
{
    struct outbox *ob = xcalloc(1, sizeof(*ob));
    rd_kafka_conf_t *conf = kafkaconf_new(cfg, "producer", err, errlen);
    char errstr[512];

    if (!conf)
        goto err;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, ob);
    ob->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!ob->rk) {
        snprintf(err, errlen, "producer: %s", errstr);
        rd_kafka_conf_destroy(conf);
        goto err;
    }
    conf = NULL; /* owned by rk */
    return ob;
err:
    free(ob);
    return NULL;
}

static int produce_one(struct outbox *ob, struct outmsg *m)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(m->headers ? json_array_size(m->headers) : 1);
    rd_kafka_resp_err_t err;

    if (!m->headers)
        rd_kafka_header_add(hdrs, "content-type", -1, EVENT_CONTENT_TYPE, -1);
    for (size_t i = 0; i < json_array_size(m->headers); i++) {
        json_t *h = json_array_get(m->headers, i);
        const char *k = json_string_value(json_array_get(h, 0));
        const char *v = json_string_value(json_array_get(h, 1));
        if (k && v)
            rd_kafka_header_add(hdrs, k, -1, v, -1);
    }
    err = rd_kafka_producev(
        ob->rk, RD_KAFKA_V_TOPIC(m->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->value, m->value_len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE((void *)(intptr_t)m->id), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ob->in_flight++;
        return 0;
    }
    rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return 1;
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        log_error("outbox row %lld (%zu bytes) is larger than the producer accepts "
                  "(message.max.bytes); not published, kept in PostgreSQL",
                  (long long)m->id, m->value_len);
        ob->failed++;
        push_acked(ob, m->id);
        return 0;
    }
    /* Unknown topic and the like: leave the row for the re-send. */
    note_failure(ob, m->id, m->topic, err);
    return 0;
}

static void send_waiting(struct outbox *ob)
{
    while (ob->head < ob->n_wait) {
        if (produce_one(ob, &ob->wait[ob->head]) == 1)
            break;
        outmsg_clear(&ob->wait[ob->head]);
        ob->head++;
    }
    if (ob->head == ob->n_wait)
        ob->head = ob->n_wait = 0;
}

size_t outbox_enqueue(struct outbox *ob, struct batch *b)
{
    size_t taken = 0;

    if (ob->head > 0 && ob->head == ob->n_wait)
        ob->head = ob->n_wait = 0;
    if (ob->head > 0) { /* compact */
        memmove(ob->wait, ob->wait + ob->head, (ob->n_wait - ob->head) * sizeof(*ob->wait));
        ob->n_wait -= ob->head;
        ob->head = 0;
    }
    if (ob->n_wait + b->n_out > ob->cap_wait) {
        ob->cap_wait = ob->n_wait + b->n_out + 256;
        ob->wait = xrealloc(ob->wait, ob->cap_wait * sizeof(*ob->wait));
    }
    for (size_t i = 0; i < b->n_out; i++) {
        if (idset_has(&ob->mine, b->out[i].id)) { /* re-send claim of a row on its way */
            outmsg_clear(&b->out[i]);
            continue;
        }
        idset_add(&ob->mine, b->out[i].id);
        ob->wait[ob->n_wait++] = b->out[i];
        taken++;
    }
    b->n_out = 0; /* ownership moved */
    send_waiting(ob);
    return taken;
}

void outbox_poll(struct outbox *ob, int timeout_ms)
{
    rd_kafka_poll(ob->rk, timeout_ms);
    send_waiting(ob);
    if (ob->fail.since && mono_ms() - ob->fail.since >= FAIL_WINDOW_MS)
        fail_summary(ob);
}

size_t outbox_waiting(const struct outbox *ob)
{
    return ob->n_wait - ob->head;
}

size_t outbox_in_flight(const struct outbox *ob)
{
    return ob->in_flight;
}

size_t outbox_take_acked(struct outbox *ob, int64_t **ids)
{
    size_t n = ob->n_acked;
    *ids = ob->acked;
    ob->acked = NULL;
    ob->n_acked = ob->cap_acked = 0;
    return n;
}

void outbox_marked(struct outbox *ob, int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idset_del(&ob->mine, ids[i]);
    free(ids);
}

void outbox_return_acked(struct outbox *ob, int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        push_acked(ob, ids[i]);
    free(ids);
}

uint64_t outbox_delivered(const struct outbox *ob)
{
    return ob->delivered;
}

uint64_t outbox_failed(const struct outbox *ob)
{
    return ob->failed;
}

void outbox_flush(struct outbox *ob, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while ((outbox_waiting(ob) || ob->in_flight) && mono_ms() < deadline)
        outbox_poll(ob, 50);
}

void outbox_free(struct outbox *ob, int timeout_ms)
{
    if (!ob)
        return;
    outbox_flush(ob, timeout_ms);
    fail_summary(ob);
    for (size_t i = ob->head; i < ob->n_wait; i++)
        outmsg_clear(&ob->wait[i]);
    free(ob->wait);
    free(ob->acked);
    idset_free(&ob->mine);
    rd_kafka_destroy(ob->rk);
    free(ob);
}
