/* ossd-rawcopy: the raw limit: a topic's message values copied into one PostgreSQL table with COPY.
 */

/*
 * The benchmark's denominator (tests/bench/README.md): the same messages ossd
 * decides, consumed and stored with no processing at all. A straightforward
 * good implementation, neither crippled nor tuned beyond what ossd can use:
 *
 *  - librdkafka consumer configured exactly as ossd's: the consumer conf is
 *    built by ossd's own kafkaconf_new() (daemon/kafkaconf.c), from ossd's
 *    defaults, then with --config the [kafka] and [kafka.consumer] sections
 *    of ossd's config file (--print-conf shows the result). Every partition
 *    is assigned from the beginning (no group rebalance), one message per
 *    rd_kafka_consumer_poll as ossd does;
 *  - one COPY per batch (--batch messages, default 5,000, or --batch-ms after
 *    the batch's first message), streamed to the server while consuming and
 *    committed on its own (autocommit), binary format by default;
 *  - an ordinary logged table without indexes, created if missing:
 *      raw_copy(partition int, "offset" bigint, value bytea)
 *    on the server's own durability settings (fsync, synchronous_commit).
 *
 * It stops once N messages are committed and prints the elapsed time (from
 * the assignment to the last commit) and the rate.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "config.h"
#include "kafkaconf.h"
#include "pgconn.h"
#include "pgcopy.h"
#include "util.h"

#define FLUSH_BYTES (256 * 1024) /* hand COPY data to libpq in chunks of this size */

static volatile sig_atomic_t stop_flag;

#define MAX_XPROPS 32

struct options {
    const char *config, *brokers, *topic, *pg_url, *table;
    const char *xprops[MAX_XPROPS];
    int n_xprops;
    long long n;
    int batch, batch_ms, idle_s, binary, progress, print_conf;
};

/* A COPY in progress: rows are appended to buf and handed to libpq in chunks. */
struct copy {
    PGconn *pg;
    const char *sql;
    int binary;
    struct buf b; /* encoded by lib/base/pgcopy.h */
    long long rows;
    int open;
};

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ossd-rawcopy [--config OSSD.CONF] [--brokers LIST] [--pg-url URL] -n N [options]\n"
        "Copies the raw values of a topic (all partitions, from the beginning) into one\n"
        "PostgreSQL table with COPY, until N messages are committed; prints the rate.\n"
        "  --config FILE    an ossd config: its consumer settings (built as ossd builds\n"
        "                   them), brokers, PostgreSQL URL and submissions topic\n"
        "  --brokers LIST   bootstrap servers (default: $OSSD_BROKERS)\n"
        "  --pg-url URL     libpq URI or key=value string (default: $OSSD_PG_URL)\n"
        "  --topic NAME     default oss.submissions.v1\n"
        "  -X PROP=VALUE    a librdkafka consumer property on top (repeatable)\n"
        "  -n N             messages to copy (required)\n"
        "  --table NAME     default raw_copy (created if missing)\n"
        "  --batch B        messages per COPY (one transaction each), default 5000\n"
        "  --batch-ms MS    longest wait to fill a batch after its first message, default 20\n"
        "  --format F       binary (default) or text\n"
        "  --idle-timeout S give up when nothing arrives for S seconds (default 60)\n"
        "  --progress       print \"progress COPIED\" after every commit\n"
        "  --print-conf     print the consumer's librdkafka configuration and exit\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->pg_url = getenv("OSSD_PG_URL");
    o->topic = NULL;
    o->table = "raw_copy";
    o->batch = 5000;
    o->batch_ms = 20;
    o->idle_s = 60;
    o->binary = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        long long x = 0;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--progress")) {
            o->progress = 1;
            continue;
        }
        if (!strcmp(a, "--print-conf")) {
            o->print_conf = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "rawcopy: %s needs a value (--help)\n", a);
            return -1;
        }
        i++;
        errno = 0;
        x = strtoll(v, &end, 10);
        int num_ok = errno == 0 && end != v && *end == '\0' && x > 0;
        if (!strcmp(a, "--config"))
            o->config = v;
        else if (!strcmp(a, "-X") && o->n_xprops < MAX_XPROPS)
            o->xprops[o->n_xprops++] = v;
        else if (!strcmp(a, "--brokers"))
            o->brokers = v;
        else if (!strcmp(a, "--pg-url"))
            o->pg_url = v;
        else if (!strcmp(a, "--topic"))
            o->topic = v;
        else if (!strcmp(a, "--table"))
            o->table = v;
        else if (!strcmp(a, "--format") && (!strcmp(v, "binary") || !strcmp(v, "text")))
            o->binary = !strcmp(v, "binary");
        else if (!strcmp(a, "-n") && num_ok)
            o->n = x;
        else if (!strcmp(a, "--batch") && num_ok && x <= 1000000)
            o->batch = (int)x;
        else if (!strcmp(a, "--batch-ms") && num_ok && x <= 60000)
            o->batch_ms = (int)x;
        else if (!strcmp(a, "--idle-timeout") && num_ok && x <= 86400)
            o->idle_s = (int)x;
        else {
            fprintf(stderr, "rawcopy: bad argument %s %s (--help)\n", a, v);
            return -1;
        }
    }
    if (o->n <= 0 && !o->print_conf) {
        fprintf(stderr, "rawcopy: -n is required (--help)\n");
        return -1;
    }
    return 0;
}

/* ---- PostgreSQL -------------------------------------------------------------------- */

/* Creates the table if missing and builds the COPY statement; 0 or -1. */
static int pg_prepare(PGconn *pg, const struct options *o, char *sql, size_t sqllen)
{
    char ddl[512];
    char *ident = PQescapeIdentifier(pg, o->table, strlen(o->table));
    PGresult *res;
    int rc = -1;

    if (!ident) {
        fprintf(stderr, "rawcopy: table name: %s", PQerrorMessage(pg));
        return -1;
    }
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE IF NOT EXISTS %s (partition integer NOT NULL, \"offset\" bigint NOT "
             "NULL, value bytea NOT NULL)",
             ident);
    snprintf(sql, sqllen, "COPY %s (partition, \"offset\", value) FROM STDIN%s", ident,
             o->binary ? " (FORMAT binary)" : "");
    res = PQexec(pg, ddl);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fprintf(stderr, "rawcopy: %s", PQerrorMessage(pg));
    else
        rc = 0;
    PQclear(res);
    PQfreemem(ident);
    return rc;
}

static int copy_flush(struct copy *c)
{
    if (c->b.len && PQputCopyData(c->pg, c->b.data, (int)c->b.len) != 1) {
        fprintf(stderr, "rawcopy: COPY data: %s", PQerrorMessage(c->pg));
        return -1;
    }
    buf_reset(&c->b);
    return 0;
}

static int copy_begin(struct copy *c)
{
    PGresult *res = PQexec(c->pg, c->sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;

    if (!ok)
        fprintf(stderr, "rawcopy: %s", PQerrorMessage(c->pg));
    PQclear(res);
    if (!ok)
        return -1;
    c->open = 1;
    c->rows = 0;
    if (c->binary)
        copyb_header(&c->b);
    return 0;
}

/* One row; the value is copied as is (binary) or hex-escaped (text). */
static int copy_row(struct copy *c, int32_t partition, int64_t offset, const void *val, size_t n)
{
    if (c->binary) {
        copyb_fields(&c->b, 3);
        copyb_int4(&c->b, partition);
        copyb_int8(&c->b, offset);
        copyb_bytes(&c->b, val ? val : "", n);
    } else {
        copy_int(&c->b, partition, '\t');
        copy_int(&c->b, offset, '\t');
        copy_bytea(&c->b, val ? val : "", n, '\n');
    }
    c->rows++;
    return c->b.len >= FLUSH_BYTES ? copy_flush(c) : 0;
}

/* Ends the COPY: the server commits it (autocommit). 0 or -1. */
static int copy_end(struct copy *c)
{
    PGresult *res;
    int rc = 0;

    if (c->binary)
        copyb_trailer(&c->b);
    c->open = 0;
    if (copy_flush(c) != 0 || PQputCopyEnd(c->pg, NULL) != 1) {
        fprintf(stderr, "rawcopy: COPY end: %s", PQerrorMessage(c->pg));
        rc = -1;
    }
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "rawcopy: COPY: %s", PQresultErrorMessage(res));
            rc = -1;
        }
        PQclear(res);
    }
    return rc;
}

/* Ends the batch in hand and counts it as copied; 0 or -1. */
static int finish_batch(struct copy *c, long long *copied, long long *batches, int progress)
{
    if (copy_end(c) != 0)
        return -1;
    *copied += c->rows;
    c->rows = 0;
    (*batches)++;
    if (progress) {
        printf("progress %lld\n", *copied);
        fflush(stdout);
    }
    return 0;
}

/* ---- Kafka ------------------------------------------------------------------------- */

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rawcopy: %s\n", err);
        return -1;
    }
    return 0;
}

/* The consumer's conf: ossd's own (kafkaconf_new: ossd's defaults, then the [kafka] sections
 * of cfg when given), with a group of our own that never joins (partitions are assigned) and
 * never commits, then the -X properties. NULL (reported) on a refused property. */
static rd_kafka_conf_t *consumer_conf(const struct options *o, const struct config *cfg)
{
    char err[512];
    rd_kafka_conf_t *conf = kafkaconf_new(cfg, "consumer", err, sizeof(err));

    if (!conf) {
        fprintf(stderr, "rawcopy: %s\n", err);
        return NULL;
    }
    if (conf_set(conf, "client.id", "ossd-rawcopy") != 0 ||
        conf_set(conf, "group.id", "ossd-rawcopy") != 0 ||
        conf_set(conf, "enable.auto.commit", "false") != 0 ||
        (o->brokers && conf_set(conf, "bootstrap.servers", o->brokers) != 0))
        goto fail;
    for (int i = 0; i < o->n_xprops; i++) {
        char k[256];
        const char *eq = strchr(o->xprops[i], '=');
        if (!eq || (size_t)(eq - o->xprops[i]) >= sizeof(k)) {
            fprintf(stderr, "rawcopy: -X %s: expected PROP=VALUE\n", o->xprops[i]);
            goto fail;
        }
        snprintf(k, sizeof(k), "%.*s", (int)(eq - o->xprops[i]), o->xprops[i]);
        if (conf_set(conf, k, eq + 1) != 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Prints the consumer's configuration, one "key=value" a line; 0 or 1. */
static int print_conf(const struct options *o, const struct config *cfg)
{
    rd_kafka_conf_t *conf = consumer_conf(o, cfg);
    const char **kv;
    size_t n = 0;

    if (!conf)
        return 1;
    kv = rd_kafka_conf_dump(conf, &n);
    for (size_t i = 0; i + 1 < n; i += 2)
        printf("%s=%s\n", kv[i], kv[i + 1]);
    rd_kafka_conf_dump_free(kv, n);
    rd_kafka_conf_destroy(conf);
    return 0;
}

static rd_kafka_t *make_consumer(const struct options *o, const struct config *cfg)
{
    rd_kafka_conf_t *conf = consumer_conf(o, cfg);
    char err[512];
    rd_kafka_t *rk;

    if (!conf)
        return NULL;
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rawcopy: consumer: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk; /* conf is owned by rk */
}

/* Assigns every partition of the topic from its beginning; 0 or -1. */
static int assign_all(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t err;
    int rc = -1;

    err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        fprintf(stderr, "rawcopy: topic %s: %s\n", topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    err = rd_kafka_assign(rk, parts);
    if (err) {
        fprintf(stderr, "rawcopy: assign: %s\n", rd_kafka_err2str(err));
        goto out;
    }
    fprintf(stderr, "rawcopy: assigned %d partition(s) of %s\n", parts->cnt, topic);
    rc = 0;
out:
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return rc;
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct options o;
    struct copy c = {0};
    rd_kafka_t *rk = NULL;
    PGconn *pg = NULL;
    struct config *cfg = NULL;
    char sql[512];
    long long copied = 0, bytes = 0, batches = 0;
    double t0, t_first = 0, t_batch = 0, t_last_msg, t_end;
    int rc = 1;

    if (parse_args(argc, argv, &o) != 0)
        return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (o.config) {
        char err[1024];
        cfg = config_load(o.config, err, sizeof(err));
        if (!cfg) {
            fprintf(stderr, "rawcopy: %s\n", err);
            return 2;
        }
        if (!o.pg_url)
            o.pg_url = cfg->pg_url;
        if (!o.topic)
            o.topic = cfg->topic_submissions;
    } else if (!o.brokers) {
        o.brokers = getenv("OSSD_BROKERS");
    }
    if (!o.topic)
        o.topic = "oss.submissions.v1";
    if (o.print_conf) {
        rc = print_conf(&o, cfg);
        goto out;
    }
    if (!o.pg_url || (!cfg && !o.brokers)) {
        fprintf(stderr, "rawcopy: give --config, or --brokers and --pg-url (--help)\n");
        rc = 2;
        goto out;
    }

    {
        char err[1024];
        pg = pgconn_open(o.pg_url, err, sizeof(err));
        if (!pg) {
            fprintf(stderr, "rawcopy: PostgreSQL: %s\n", err);
            goto out;
        }
    }
    if (pg_prepare(pg, &o, sql, sizeof(sql)) != 0)
        goto out;
    c.pg = pg;
    c.sql = sql;
    c.binary = o.binary;
    rk = make_consumer(&o, cfg);
    if (!rk || assign_all(rk, o.topic) != 0)
        goto out;

    t0 = t_last_msg = mono_s();
    while (copied + c.rows < o.n && !stop_flag) {
        double now = mono_s();
        int timeout = 100;

        if (c.open) { /* end a batch that waited long enough */
            double left = t_batch + o.batch_ms / 1000.0 - now;
            if (left <= 0) {
                if (finish_batch(&c, &copied, &batches, o.progress) != 0)
                    goto out;
                continue;
            }
            timeout = (int)(left * 1000) + 1;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, timeout);
        if (!m) {
            if (mono_s() - t_last_msg > o.idle_s) {
                fprintf(stderr, "rawcopy: nothing consumed for %d s; %lld of %lld copied\n",
                        o.idle_s, copied, o.n);
                goto out;
            }
            continue;
        }
        if (m->err) {
            fprintf(stderr, "rawcopy: consumer: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        t_last_msg = mono_s();
        if (!t_first)
            t_first = t_last_msg;
        if (!c.open) {
            if (copy_begin(&c) != 0)
                goto out;
            t_batch = t_last_msg;
        }
        if (copy_row(&c, m->partition, m->offset, m->payload, m->len) != 0) {
            rd_kafka_message_destroy(m);
            goto out;
        }
        bytes += (long long)m->len;
        rd_kafka_message_destroy(m);
        if ((c.rows >= o.batch || copied + c.rows >= o.n) &&
            finish_batch(&c, &copied, &batches, o.progress) != 0)
            goto out;
    }
    if (c.open) { /* interrupted */
        PGresult *res;
        PQputCopyEnd(pg, "interrupted");
        while ((res = PQgetResult(pg)) != NULL)
            PQclear(res);
    }
    t_end = mono_s();
    if (copied < o.n) {
        fprintf(stderr, "rawcopy: interrupted after %lld of %lld messages\n", copied, o.n);
        goto out;
    }
    printf("rawcopy: copied %lld messages (%.1f MB) in %lld COPY batches in %.3f s: %.0f "
           "msgs/s (first message after %.3f s)\n",
           copied, (double)bytes / 1e6, batches, t_end - t0, (double)copied / (t_end - t0),
           t_first - t0);
    printf("rawcopy: messages=%lld elapsed_s=%.3f rate=%.1f\n", copied, t_end - t0,
           (double)copied / (t_end - t0));
    rc = 0;
out:
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    buf_free(&c.b);
    PQfinish(pg);
    config_free(cfg);
    return rc;
}
