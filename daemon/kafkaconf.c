/* kafkaconf: librdkafka configuration objects built from the [kafka*] sections. */
#include "kafkaconf.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* Defaults that keep memory bounded and delivery safe; all overridable. */
static const char *const consumer_defaults[][2] = {
    {"enable.auto.commit", "false"}, /* offsets live in PostgreSQL */
    {"enable.auto.offset.store", "false"},
    {"auto.offset.reset", "earliest"},
    {"enable.partition.eof", "false"},
    /* a broker with nothing new answers a fetch after at most 25 ms, not
     * 500: it bounds the latency added at low rates */
    {"fetch.wait.max.ms", "25"},
    {"queued.max.messages.kbytes", "8192"}, /* prefetch: 8 MB, not 64 MB */
    {"fetch.max.bytes", "1048576"},         /* a fetch response pins its buffer while any of its
                                                messages is in a batch: keep them small */
    {"max.partition.fetch.bytes", "1048576"},
};
static const char *const producer_defaults[][2] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"linger.ms", "5"},
    {"message.timeout.ms", "30000"},
    {"queue.buffering.max.kbytes", "16384"},
    {"queue.buffering.max.messages", "50000"},
    /* a dead letter is as large as the message the source topic accepted
     * (a broker's default limit is 1,048,588 bytes, above librdkafka's
     * 1,000,000); what a broker still refuses is logged and kept in
     * PostgreSQL (outbox.c) */
    {"message.max.bytes", "2097152"},
};

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    char f[64];
    const char *fields[] = {f, strstr(buf, "brokers are down") ? LOG_MSG_BROKER_DOWN : NULL, NULL};
    (void)rk;
    snprintf(f, sizeof(f), "KAFKA_FACILITY=%s", fac);
    log_fields(level <= 3   ? LOG_LVL_ERROR
               : level <= 4 ? LOG_LVL_WARNING
                            : LOG_LVL_DEBUG,
               fields, "kafka: %s", buf);
}

/* Properties of one role only: from the shared [kafka] section they are
 * given to that role alone, so librdkafka does not warn about them. */
static const char *const consumer_only[] = {
    "group.id",
    "group.instance.id",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "enable.auto.offset.store",
    "enable.partition.eof",
    "queued.max.messages.kbytes",
    "queued.min.messages",
    "fetch.max.bytes",
    "max.partition.fetch.bytes",
    "fetch.wait.max.ms",
    "fetch.min.bytes",
    "allow.auto.create.topics",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "partition.assignment.strategy",
    "isolation.level",
    "check.crcs",
};
static const char *const producer_only[] = {
    "enable.idempotence",
    "acks",
    "request.required.acks",
    "linger.ms",
    "queue.buffering.max.ms",
    "message.timeout.ms",
    "delivery.timeout.ms",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "batch.num.messages",
    "batch.size",
    "compression.type",
    "compression.codec",
    "compression.level",
    "message.send.max.retries",
    "retries",
    "retry.backoff.ms",
    "partitioner",
    "transactional.id",
    "max.in.flight",
    "max.in.flight.requests.per.connection",
};

static int listed(const char *const *list, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], key) == 0)
            return 1;
    return 0;
}

static int apply(rd_kafka_conf_t *conf, const struct config *cfg, const char *secname, int consumer,
                 char *err, size_t errlen)
{
    const struct config_section *sec = cfg ? config_section(cfg, secname) : NULL;
    int shared = strcmp(secname, "kafka") == 0;
    char errstr[256];

    for (size_t i = 0; sec && i < sec->n_kv; i++) {
        const char *k = sec->kv[i].key;
        if (shared && consumer && listed(producer_only, ARRAY_SIZE(producer_only), k))
            continue;
        if (shared && !consumer && listed(consumer_only, ARRAY_SIZE(consumer_only), k))
            continue;
        if (rd_kafka_conf_set(conf, sec->kv[i].key, sec->kv[i].value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "%s:%d: %s", cfg->path, sec->kv[i].line, errstr);
            return -1;
        }
    }
    return 0;
}

rd_kafka_conf_t *kafkaconf_new(const struct config *cfg, const char *role, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256], secname[64];
    int consumer = strcmp(role, "consumer") == 0;
    size_t n = consumer ? ARRAY_SIZE(consumer_defaults) : ARRAY_SIZE(producer_defaults);

    for (size_t i = 0; i < n; i++) {
        const char *k = consumer ? consumer_defaults[i][0] : producer_defaults[i][0];
        const char *v = consumer ? consumer_defaults[i][1] : producer_defaults[i][1];
        if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "default %s: %s", k, errstr);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set(conf, "client.id", consumer ? "ossd-consumer" : "ossd-producer", errstr,
                      sizeof(errstr));
    if (consumer && cfg)
        rd_kafka_conf_set(conf, "group.id", cfg->group_id, errstr, sizeof(errstr));
    rd_kafka_conf_set_log_cb(conf, log_cb);
    snprintf(secname, sizeof(secname), "kafka.%s", role);
    if (apply(conf, cfg, "kafka", consumer, err, errlen) != 0 ||
        apply(conf, cfg, secname, consumer, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}
