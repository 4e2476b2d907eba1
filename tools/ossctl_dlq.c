/* ossctl_dlq: `ossctl status` and `ossctl dlq list|show|replay`. */
#include "ossctl_dlq.h"

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafkaconf.h"
#include "ossctl_table.h"
#include "util.h"
#include "pgconn.h"

static PGconn *connect_pg(const char *pg)
{
    char err[1024];
    PGconn *conn = pgconn_open(pg, err, sizeof(err));

    if (!conn)
        fprintf(stderr, "ossctl: %s\n", err);
    return conn;
}

static int show_query(PGconn *conn, const char *title, const char *sql, int n,
                      const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    if (title)
        printf("%s\n", title);
    ossctl_print_table(r);
    PQclear(r);
    return 0;
}

int ossctl_status_main(int argc, char **argv, const char *pg, const struct config *cfg)
{
    PGconn *conn;
    int rc = 0;
    (void)argc;
    (void)argv;

    if (!(conn = connect_pg(pg)))
        return 2;
    const char *group = cfg ? cfg->group_id : "ossd";
    const char *params[1] = {group};
    rc |= show_query(conn, "decisions:",
                     "SELECT status, count(*) AS submissions, "
                     "round(count(*) FILTER (WHERE decided_at > now() - interval '1 minute') "
                     "/ 60.0, 1) AS per_s_last_minute, max(decided_at) AS last_decided "
                     "FROM submissions GROUP BY status ORDER BY status",
                     0, NULL);
    rc |= show_query(conn, "\nstored offsets (next to consume) per partition:",
                     "SELECT topic, partition, next_offset, updated_at FROM consumer_offsets "
                     "WHERE group_id = $1 ORDER BY topic, partition",
                     1, params);
    rc |= show_query(conn, "\noutbox:",
                     "SELECT count(*) FILTER (WHERE published_at IS NULL) AS unpublished, "
                     "min(created_at) FILTER (WHERE published_at IS NULL) AS oldest_unpublished, "
                     "count(*) FILTER (WHERE published_at IS NOT NULL) AS published_retained "
                     "FROM outbox",
                     0, NULL);
    rc |= show_query(conn, "\ndead letters:",
                     "SELECT error_code, count(*) AS total, count(replayed_at) AS replayed, "
                     "max(failed_at) AS last FROM dead_letters GROUP BY error_code ORDER BY 2 DESC",
                     0, NULL);
    PQfinish(conn);
    return rc ? 2 : 0;
}

static int dlq_list(PGconn *conn, int argc, char **argv)
{
    const char *code = NULL, *limit = "50";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--code") == 0 && i + 1 < argc)
            code = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = argv[++i];
        else {
            fprintf(stderr, "usage: ossctl dlq list [--code C] [--limit N]\n");
            return 2;
        }
    }
    const char *params[2] = {code, limit};
    return show_query(conn, NULL,
                      "SELECT id, error_code, coalesce(submission_id, '') AS submission_id, "
                      "src_partition AS partition, src_offset AS offset, failed_at, "
                      "coalesce(replayed_at::text, '') AS replayed_at, "
                      "left(error_message, 60) AS message FROM dead_letters "
                      "WHERE $1::text IS NULL OR error_code = $1 ORDER BY id DESC LIMIT $2::int",
                      2, params) == 0
               ? 0
               : 2;
}

/* Length of `"key" : "` at s (a JSON key naming an identity or contact
 * field, up to the opening quote of its string value), or 0. *keep is how
 * many bytes of the value stay readable; *email: the domain stays too. */
static size_t identity_field(const char *s, size_t len, size_t *keep, int *email)
{
    static const struct {
        const char *key;
        size_t keep;
        int email;
    } fields[] = {{"\"nik\"", 4, 0}, {"\"npwp\"", 4, 0}, {"\"phone\"", 4, 0}, {"\"email\"", 1, 1}};

    for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
        size_t n = strlen(fields[f].key), i;
        if (len < n || memcmp(s, fields[f].key, n) != 0)
            continue;
        for (i = n; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n');)
            i++;
        if (i >= len || s[i++] != ':')
            continue;
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            i++;
        if (i >= len || s[i] != '"')
            continue;
        *keep = fields[f].keep;
        *email = fields[f].email;
        return i + 1;
    }
    return 0;
}

/*
 * Appends s to out with identity data masked, for display only (the stored
 * letter stays as it is): the string value of a "nik", "npwp" or "phone"
 * key keeps its first 4 bytes, of "email" its first byte and its domain; and
 * anywhere else (broken JSON, numbers, keys, messages) a run of 15 digits
 * or more, which could be a NIK or an NPWP, keeps its first 4 digits.
 */
static void mask_identity(const char *s, size_t len, struct buf *out)
{
    size_t i = 0, keep = 0;
    int email = 0;

    while (i < len) {
        size_t f = s[i] == '"' ? identity_field(s + i, len - i, &keep, &email) : 0;
        if (f) {
            size_t k = 0;
            int domain = 0;
            buf_append(out, s + i, f);
            for (i += f; i < len && s[i] != '"'; k++) {
                size_t step = s[i] == '\\' && i + 1 < len ? 2 : 1;
                domain |= email && s[i] == '@';
                for (size_t j = 0; j < step; j++)
                    buf_putc(out, domain || k < keep ? s[i + j] : '*');
                i += step;
            }
            continue;
        }
        if (s[i] >= '0' && s[i] <= '9') {
            size_t j = i;
            while (j < len && s[j] >= '0' && s[j] <= '9')
                j++;
            for (size_t k = i; k < j; k++)
                buf_putc(out, j - i < 15 || k - i < 4 ? s[k] : '*');
            i = j;
            continue;
        }
        buf_putc(out, s[i++]);
    }
}

/* Prints n bytes as PostgreSQL's bytea escape format does: printable
 * ASCII as is, a backslash doubled, every other byte as \ooo. */
static void print_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\')
            fputs("\\\\", stdout);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\%03o", c);
        else
            putchar(c);
    }
}

static int dlq_show(PGconn *conn, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ossctl dlq show ID\n");
        return 2;
    }
    const char *params[1] = {argv[1]};
    /* binary results: every column but the two bytea is cast to text */
    PGresult *r = PQexecParams(conn,
                               "SELECT id::text, error_code, error_message, submission_id, "
                               "src_topic, src_partition::text, src_offset::text, "
                               "failed_at::text, replayed_at::text, msg_key, msg_value "
                               "FROM dead_letters WHERE id = $1::bigint",
                               1, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        PQclear(r);
        return 2;
    }
    if (PQntuples(r) == 0) {
        fprintf(stderr, "ossctl: no dead letter %s\n", argv[1]);
        PQclear(r);
        return 1;
    }
    static const char *const names[] = {"id",          "code",      "message", "submission_id",
                                        "topic",       "partition", "offset",  "failed_at",
                                        "replayed_at", "key",       "value"};
    for (int c = 0; c < 11; c++) {
        printf("%-14s ", names[c]);
        if (PQgetisnull(r, 0, c)) {
            puts("-");
            continue;
        }
        if (c != 2 && c < 9) { /* the message and the bytes may hold identity data */
            fwrite(PQgetvalue(r, 0, c), 1, (size_t)PQgetlength(r, 0, c), stdout);
            putchar('\n');
            continue;
        }
        struct buf m = {0};
        mask_identity(PQgetvalue(r, 0, c), (size_t)PQgetlength(r, 0, c), &m);
        if (c == 2)
            fwrite(m.data ? m.data : "", 1, m.len, stdout);
        else
            print_escaped(m.data ? m.data : "", m.len);
        putchar('\n');
        buf_free(&m);
    }
    PQclear(r);
    return 0;
}

/* One dead letter being replayed: its delivery report lands here. */
struct replay_msg {
    long long id;
    int state; /* 0 in flight, 1 acknowledged by Kafka, -1 failed */
    rd_kafka_resp_err_t err;
};

static void replay_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct replay_msg *rm = m->_private;
    (void)rk;
    (void)opaque;
    if (!rm)
        return;
    rm->state = m->err ? -1 : 1;
    rm->err = m->err;
}

/* The producer for a replay: [kafka] and [kafka.producer] of cfg, else
 * $OSSD_BROKERS; delivery reports to replay_dr. *wait_ms is how long a
 * message may take (message.timeout.ms) plus a margin. NULL with err. */
static rd_kafka_t *replay_producer(const struct config *cfg, int *wait_ms, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf;
    char tmo[32];
    size_t tmolen = sizeof(tmo);

    if (cfg) {
        if (!(conf = kafkaconf_new(cfg, "producer", err, errlen)))
            return NULL;
    } else {
        const char *brokers = getenv("OSSD_BROKERS");
        conf = rd_kafka_conf_new();
        if (!brokers) {
            snprintf(err, errlen, "no Kafka: give --config or $OSSD_BROKERS");
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
        if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, errlen) ||
            rd_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    *wait_ms = 300000 + 10000;
    if (rd_kafka_conf_get(conf, "message.timeout.ms", tmo, &tmolen) == RD_KAFKA_CONF_OK &&
        atoi(tmo) > 0)
        *wait_ms = atoi(tmo) + 10000;
    rd_kafka_conf_set_dr_msg_cb(conf, replay_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    /* else rd_kafka_new took conf */
    return rk;
}

static void replay_usage(void)
{
    fprintf(stderr, "usage: ossctl dlq replay ID...|--all [--code C]\n");
}

/*
 * Re-injects dead letters into their source topic (recorded with each
 * letter), byte for byte with their key, and records replayed_at only for
 * the letters Kafka acknowledged (a delivery report without error). The
 * rows are claimed (SELECT ... FOR UPDATE SKIP LOCKED) in a transaction held
 * across the produce and the flush, so two concurrent runs never send the
 * same row. A replayed message is decided like any other: a fixed payload
 * decides, the same bytes dead-letter again. If recording fails after
 * delivery, a later replay sends the letter again (a submission decided
 * from it is not decided twice: the same bytes are a duplicate).
 */
static int dlq_replay(PGconn *conn, int argc, char **argv, const struct config *cfg)
{
    const char *code = NULL;
    int all = 0, rc = 2, wait_ms = 0, n = 0, acked = 0, failed = 0;
    struct buf ids = {0}, done = {0};
    size_t nids = 0;
    char err[512];
    rd_kafka_t *rk = NULL;
    PGresult *r = NULL;
    struct replay_msg *msgs = NULL;
    rd_kafka_resp_err_t first_err = RD_KAFKA_RESP_ERR_NO_ERROR;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            all = 1;
        else if (strcmp(argv[i], "--code") == 0 && i + 1 < argc)
            code = argv[++i];
        else if (all_digits(argv[i], strlen(argv[i])) && strlen(argv[i]) < 19)
            buf_printf(&ids, "%s%s", nids++ ? "," : "{", argv[i]);
        else {
            replay_usage();
            goto out;
        }
    }
    if (!all && nids == 0) {
        replay_usage();
        goto out;
    }
    buf_puts(&ids, nids ? "}" : "{}");

    if (!(rk = replay_producer(cfg, &wait_ms, err, sizeof(err)))) {
        fprintf(stderr, "ossctl: %s\n", err);
        goto out;
    }
    r = PQexec(conn, "BEGIN");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        goto out;
    }
    PQclear(r);
    const char *params[3] = {all ? "t" : "f", ids.data, code};
    r = PQexecParams(conn,
                     "SELECT id::text, src_topic, msg_key, msg_value FROM dead_letters WHERE "
                     "($1::bool OR id = ANY($2::bigint[])) AND "
                     "($3::text IS NULL OR error_code = $3) "
                     "AND ($1::bool = false OR replayed_at IS NULL) ORDER BY id "
                     "FOR UPDATE SKIP LOCKED",
                     3, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        goto out;
    }
    n = PQntuples(r);
    msgs = xcalloc((size_t)n + 1, sizeof(*msgs));
    for (int i = 0; i < n; i++) {
        struct replay_msg *rm = &msgs[i];
        rm->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(h, "ossd.replay.dead_letter_id", -1, PQgetvalue(r, i, 0), -1);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(PQgetvalue(r, i, 1)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
                           (size_t)PQgetlength(r, i, 2)),
            RD_KAFKA_V_VALUE(PQgetvalue(r, i, 3), (size_t)PQgetlength(r, i, 3)),
            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(rm), RD_KAFKA_V_END);
        if (e) {
            rd_kafka_headers_destroy(h);
            rm->state = -1;
            rm->err = e;
        }
        /* else the message owns h */
    }
    PQclear(r);
    r = NULL;
    /* Every message gets its report: acknowledged, failed, or purged after
     * the wait (a purged message may still have arrived: it is not recorded
     * and a later replay sends it again). */
    if (rd_kafka_flush(rk, wait_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        (void)rd_kafka_flush(rk, 5000);
    }
    for (int i = 0; i < n; i++) {
        if (msgs[i].state == 1) {
            buf_printf(&done, "%s%lld", done.len ? "," : "{", msgs[i].id);
            acked++;
            continue;
        }
        if (!first_err)
            first_err = msgs[i].state ? msgs[i].err : RD_KAFKA_RESP_ERR__TIMED_OUT;
        failed++;
    }
    if (acked) {
        buf_putc(&done, '}');
        const char *p2[1] = {done.data};
        r = PQexecParams(conn,
                         "UPDATE dead_letters SET replayed_at = now() WHERE id = ANY($1::bigint[])",
                         1, NULL, p2, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr,
                    "ossctl: %d dead letter(s) delivered but not recorded as replayed "
                    "(a later replay sends them again): %s",
                    acked, PQresultErrorMessage(r));
            goto out;
        }
        PQclear(r);
    }
    r = PQexec(conn, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr,
                "ossctl: %d dead letter(s) delivered but not recorded as replayed "
                "(a later replay sends them again): %s",
                acked, PQresultErrorMessage(r));
        goto out;
    }
    printf("replayed %d of %d dead letter(s) into their source topics\n", acked, n);
    if (failed) {
        fprintf(stderr,
                "ossctl: %d dead letter(s) not delivered (%s); they are not recorded as "
                "replayed: replay them again later\n",
                failed, rd_kafka_err2str(first_err));
        goto out;
    }
    rc = n ? 0 : 1;
out:
    PQclear(r);
    if (rc == 2 && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
    if (rk)
        rd_kafka_destroy(rk);
    free(msgs);
    buf_free(&ids);
    buf_free(&done);
    return rc;
}

int ossctl_dlq_main(int argc, char **argv, const char *pg, const struct config *cfg)
{
    PGconn *conn;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: ossctl dlq list|show|replay ...\n");
        return 2;
    }
    if (!(conn = connect_pg(pg)))
        return 2;
    if (strcmp(argv[1], "list") == 0)
        rc = dlq_list(conn, argc - 1, argv + 1);
    else if (strcmp(argv[1], "show") == 0)
        rc = dlq_show(conn, argc - 1, argv + 1);
    else if (strcmp(argv[1], "replay") == 0)
        rc = dlq_replay(conn, argc - 1, argv + 1, cfg);
    else {
        fprintf(stderr, "ossctl: unknown dlq command '%s'\n", argv[1]);
        rc = 2;
    }
    PQfinish(conn);
    return rc;
}
