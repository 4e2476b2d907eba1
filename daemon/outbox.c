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
    const struct config *cfg; /* not owned: outlives the outbox */
    rd_kafka_t *rk;
    /* Messages waiting for room in the producer queue, oldest first. */
    struct outmsg *wait;
    size_t n_wait, cap_wait, head;
    /* Acknowledged row ids not yet marked published. */
    int64_t *acked;
    size_t n_acked, cap_acked;
    /* Rows the broker or the producer refuses for good (too large): parked
     * in PostgreSQL by the main loop (store_park_outbox), not re-sent. */
    int64_t *parked;
    size_t n_parked, cap_parked;
    size_t in_flight;
    uint64_t produced, delivered, failed, undeliverable, rebuilds;
    int64_t t_rebuild; /* last failed attempt to replace the producer */
    /* Test only: OSSD_TEST_PRODUCER_FATAL_AFTER=N injects one fatal error
     * (rd_kafka_test_fatal_error) once N events are produced. */
    long long fatal_after;
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

static void push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = id;
}

static void push_acked(struct outbox *ob, int64_t id)
{
    push_id(&ob->acked, &ob->n_acked, &ob->cap_acked, id);
}

/* An event no broker attempt can deliver (larger than the producer or the
 * topic accepts): it stays in the outbox, parked, logged once, counted. */
static void park(struct outbox *ob, int64_t id, size_t len, const char *topic, const char *limit)
{
    ob->failed++;
    ob->undeliverable++;
    log_error("outbox row %lld (%zu bytes) is larger than %s accepts (%s); not published, "
              "kept in PostgreSQL and not sent again (ossd_outbox_undeliverable_total)",
              (long long)id, len, topic, limit);
    push_id(&ob->parked, &ob->n_parked, &ob->cap_parked, id);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct outbox *ob = opaque;
    int64_t id = (int64_t)(intptr_t)m->_private;
    (void)rk;

    ob->in_flight--;
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        /* Permanent: re-sending cannot help. */
        park(ob, id, m->len, rd_kafka_topic_name(m->rkt), "the broker's message size limit");
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

/* A new producer for ob. NULL with err. */
static rd_kafka_t *new_producer(struct outbox *ob, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = kafkaconf_new(ob->cfg, "producer", err, errlen);
    rd_kafka_t *rk;
    char errstr[512];

    if (!conf)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, ob);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        snprintf(err, errlen, "producer: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* conf is owned by rk */
}

struct outbox *outbox_new(const struct config *cfg, char *err, size_t errlen)
{
    struct outbox *ob = xcalloc(1, sizeof(*ob));
    const char *t = getenv("OSSD_TEST_PRODUCER_FATAL_AFTER");

    ob->cfg = cfg;
    ob->fatal_after = t && *t ? atoll(t) : -1;
    ob->rk = new_producer(ob, err, errlen);
    if (!ob->rk) {
        free(ob);
        return NULL;
    }
    return ob;
}

/* After a fatal error (the idempotent producer gave up on its sequence
 * numbers) the producer refuses everything: it is replaced by a new one.
 * What it still held is purged: those rows are unpublished in PostgreSQL
 * and the periodic re-send claims them again (their delivery reports take
 * them off `mine`). Messages waiting for room stay and go to the new one. */
static void rebuild(struct outbox *ob, rd_kafka_resp_err_t fe, const char *reason)
{
    char err[512];
    int64_t deadline;
    rd_kafka_t *rk;

    if (ob->t_rebuild && mono_ms() - ob->t_rebuild < 1000)
        return;
    if (!ob->t_rebuild)
        log_error("the Kafka producer failed for good (%s: %s): replacing it; the events it "
                  "held are sent again",
                  rd_kafka_err2name(fe), reason);
    rk = new_producer(ob, err, sizeof(err));
    if (!rk) {
        if (!ob->t_rebuild)
            log_error("cannot create a new Kafka producer, retrying every second: %s", err);
        ob->t_rebuild = mono_ms();
        return;
    }
    rd_kafka_purge(ob->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    deadline = mono_ms() + 5000;
    while (ob->in_flight && mono_ms() < deadline)
        rd_kafka_poll(ob->rk, 50);
    if (ob->in_flight) {
        /* Reports that never came: forget which rows are on their way, so
         * the re-send may claim them (a duplicate at worst). */
        log_warn("%zu delivery report(s) lost with the old producer", ob->in_flight);
        idset_free(&ob->mine);
        memset(&ob->mine, 0, sizeof(ob->mine));
        ob->in_flight = 0;
    }
    rd_kafka_destroy(ob->rk);
    ob->rk = rk;
    ob->rebuilds++;
    ob->t_rebuild = 0;
    log_info("a new Kafka producer is in place (%llu replaced since start)",
             (unsigned long long)ob->rebuilds);
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
        ob->produced++;
        return 0;
    }
    rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return 1;
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        park(ob, m->id, m->value_len, m->topic, "the producer's message.max.bytes");
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
    if (ob->fatal_after >= 0 && ob->produced >= (uint64_t)ob->fatal_after && ob->in_flight) {
        /* test only: with events just produced, so that some are lost with the producer */
        ob->fatal_after = -1; /* once */
        log_warn("test: injecting a fatal producer error (OSSD_TEST_PRODUCER_FATAL_AFTER)");
        rd_kafka_test_fatal_error(ob->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                  "injected by OSSD_TEST_PRODUCER_FATAL_AFTER");
    }
    return taken;
}

void outbox_poll(struct outbox *ob, int timeout_ms)
{
    char reason[512];
    rd_kafka_resp_err_t fe;

    rd_kafka_poll(ob->rk, timeout_ms);
    fe = rd_kafka_fatal_error(ob->rk, reason, sizeof(reason));
    if (fe != RD_KAFKA_RESP_ERR_NO_ERROR)
        rebuild(ob, fe, reason);
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

size_t outbox_take_parked(struct outbox *ob, int64_t **ids)
{
    size_t n = ob->n_parked;
    *ids = ob->parked;
    ob->parked = NULL;
    ob->n_parked = ob->cap_parked = 0;
    return n;
}

void outbox_return_parked(struct outbox *ob, int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        push_id(&ob->parked, &ob->n_parked, &ob->cap_parked, ids[i]);
    free(ids);
}

uint64_t outbox_undeliverable(const struct outbox *ob)
{
    return ob->undeliverable;
}

uint64_t outbox_rebuilds(const struct outbox *ob)
{
    return ob->rebuilds;
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
    free(ob->parked);
    idset_free(&ob->mine);
    rd_kafka_destroy(ob->rk);
    free(ob);
}
