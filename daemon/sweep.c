/* sweep: the deemed-approval sweep (fiktif positif), on its own thread, PostgreSQL session and
 * Kafka handle, so that no statement or broker request of it holds up the main loop.
 *
 * One round:
 *   1. now = ossd's real-time clock. Nothing due (a running pending_verification permit of an
 *      active NIB with sla_due <= now): done, no request to the broker.
 *   2. t_w = the real-time clock; then the high watermarks of every partition of
 *      [topics] license_status are read from the broker, and the next offsets the group stored
 *      in PostgreSQL for that topic. Unless every stored offset has reached its watermark
 *      (sweep_gate), the round is held: a status update produced before t_w may still wait to
 *      be applied, and it wins over the deadline.
 *   3. One transaction: pg_try_advisory_xact_lock (one sweeper across instances; the loser
 *      skips the round), up to SWEEP_MAX_PER_TX permits still due at t_w and still
 *      pending_verification with a running clock (FOR UPDATE SKIP LOCKED: a permit an update is
 *      changing right now waits for the next round) become approved_deemed, each with its
 *      history row (code 57; a unique index allows one per permit) and its outbox row; COMMIT.
 *   4. The committed rows go to the main thread (sweep_collect), which hands them to the
 *      outbox producer. A crash before they are produced leaves them in the outbox table,
 *      re-sent by age by any instance with the same event id.
 */
#include "sweep.h"

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_permit.h"
#include "kafkaconf.h"
#include "log.h"
#include "permit.h"
#include "pgconn.h"
#include "store.h"

#define SWEEP_KAFKA_TIMEOUT_MS 5000
#define SWEEP_HELD_RETRY_S     5 /* a held round is tried again this soon (at most the interval) */
/* The advisory lock of the sweep: any constant shared by every instance. */
#define SWEEP_LOCK_KEY "4242057"

struct sweep {
    const struct config *boot; /* not owned */
    struct metrics *metrics;   /* not owned; may be NULL */
    char *conninfo;            /* owned */

    pthread_t thread;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* stop, or a new interval */
    int stop;
    int joined; /* main thread only */
    int interval_s;
    char *source, *schema_base; /* owned copies */
    struct batch done;          /* outbox rows committed, not collected yet */

    /* The sweep thread's only. */
    PGconn *pg;
    rd_kafka_t *rk;
    int pg_down;
};

/* ---- the gate ------------------------------------------------------------------------------ */

int sweep_gate(const struct sweep_mark *marks, size_t n_marks, const struct sweep_stored *stored,
               size_t n_stored, int32_t *behind)
{
    for (size_t i = 0; i < n_marks; i++) {
        const struct sweep_stored *st = NULL;
        for (size_t k = 0; k < n_stored; k++)
            if (stored[k].partition == marks[i].partition) {
                st = &stored[k];
                break;
            }
        int reached = st ? st->next_offset >= marks[i].high
                         : marks[i].high == 0 || marks[i].high <= marks[i].low;
        if (!reached) {
            if (behind)
                *behind = marks[i].partition;
            return 0;
        }
    }
    return 1;
}

/* ---- PostgreSQL ------------------------------------------------------------------------------ */

static void pg_drop(struct sweep *s)
{
    if (s->pg)
        PQfinish(s->pg);
    s->pg = NULL;
}

/* The session, opened when there is none (or it broke). 0 or -1. */
static int pg_ok(struct sweep *s)
{
    char err[512];
    PGresult *r;

    if (s->pg && PQstatus(s->pg) == CONNECTION_OK)
        return 0;
    pg_drop(s);
    s->pg = pgconn_open(s->conninfo, err, sizeof(err));
    if (!s->pg) {
        if (!s->pg_down)
            log_warn("deemed-approval sweep: PostgreSQL unavailable, retrying: %s", err);
        s->pg_down = 1;
        return -1;
    }
    /* Bounded like the control session (store.c): a statement 10 s, a lock wait 5 s. */
    r = PQexec(s->pg, "SET statement_timeout = '10s'; SET lock_timeout = '5s'; "
                      "SET synchronous_commit = on; SET application_name = 'ossd-sweep'; "
                      "SET jit = off");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        log_warn("deemed-approval sweep: setting up the session: %s", PQresultErrorMessage(r));
        PQclear(r);
        pg_drop(s);
        return -1;
    }
    PQclear(r);
    if (s->pg_down)
        log_info("deemed-approval sweep: PostgreSQL available");
    s->pg_down = 0;
    return 0;
}

/* Logs a failed statement and drops the session when it broke. */
static void pg_failed(struct sweep *s, PGresult *r, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(s->pg));
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("deemed-approval sweep: %s: %s", what, msg);
    if (PQstatus(s->pg) != CONNECTION_OK)
        pg_drop(s);
}

static int pg_cmd(struct sweep *s, const char *sql)
{
    PGresult *r = PQexec(s->pg, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        pg_failed(s, r, sql);
    PQclear(r);
    return rc;
}

/* The permits the sweep may deem approved at t (ms): pending, clock running, due, NIB active. */
#define DUE_WHERE                                                                                  \
    "p.status = 'pending_verification' AND p.clock = 'running' "                                   \
    "AND p.sla_due <= to_timestamp($1::bigint / 1000.0) "                                          \
    "AND EXISTS (SELECT 1 FROM business_actors b WHERE b.actor_id = p.actor_id "                   \
    "AND b.nib_status = '01')"

/* 1 when a permit is due at t_ms, 0 when none, -1 on failure. */
static int any_due(struct sweep *s, int64_t t_ms)
{
    char t[32];
    const char *params[1] = {t};
    PGresult *r;
    int rc;

    snprintf(t, sizeof(t), "%lld", (long long)t_ms);
    r = PQexecParams(s->pg, "SELECT 1 FROM permits p WHERE " DUE_WHERE " LIMIT 1", 1, NULL, params,
                     NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_failed(s, r, "looking for due permits");
        PQclear(r);
        return -1;
    }
    rc = PQntuples(r) > 0;
    PQclear(r);
    return rc;
}

/* The group's stored next offsets of the topic; *out malloc'ed. Count, or -1. */
static long stored_offsets(struct sweep *s, struct sweep_stored **out)
{
    const char *params[2] = {s->boot->group_id, s->boot->topic_license_status};
    PGresult *r = PQexecParams(s->pg,
                               "SELECT partition, next_offset FROM consumer_offsets "
                               "WHERE group_id = $1 AND topic = $2",
                               2, NULL, params, NULL, NULL, 0);
    long n;

    *out = NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_failed(s, r, "reading the stored offsets");
        PQclear(r);
        return -1;
    }
    n = PQntuples(r);
    *out = xcalloc((size_t)n + 1, sizeof(**out));
    for (long i = 0; i < n; i++) {
        (*out)[i].partition = (int32_t)atoi(PQgetvalue(r, (int)i, 0));
        (*out)[i].next_offset = strtoll(PQgetvalue(r, (int)i, 1), NULL, 10);
    }
    PQclear(r);
    return n;
}

/* ---- Kafka ------------------------------------------------------------------------------------
 */

static int kafka_ok(struct sweep *s)
{
    char err[512];
    rd_kafka_conf_t *conf;

    if (s->rk)
        return 0;
    conf = kafkaconf_new(s->boot, "producer", err, sizeof(err));
    if (!conf) {
        log_warn("deemed-approval sweep: Kafka configuration: %s", err);
        return -1;
    }
    /* a handle for metadata and watermarks only: it never produces, so it asks the broker
     * for no producer id */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "false", err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        log_warn("deemed-approval sweep: Kafka configuration: %s", err);
        return -1;
    }
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        log_warn("deemed-approval sweep: Kafka handle: %s", err);
        return -1;
    }
    return 0;
}

/* The watermarks of every partition of the topic; *out malloc'ed. Count (0: no such topic),
 * or -1 when the broker did not answer in time. */
static long watermarks(struct sweep *s, struct sweep_mark **out)
{
    const char *topic = s->boot->topic_license_status;
    const struct rd_kafka_metadata *md = NULL;
    const struct rd_kafka_metadata_topic *t = NULL;
    rd_kafka_resp_err_t e;
    long n = -1;

    *out = NULL;
    /* every topic: asked by name, a topic that does not exist makes librdkafka wait for the
     * whole timeout (and a broker that creates topics on request would create it) */
    e = rd_kafka_metadata(s->rk, 1, NULL, &md, SWEEP_KAFKA_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_warn("deemed-approval sweep: metadata of %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0)
            t = &md->topics[i];
    if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        n = 0; /* no such topic: no update can wait in it */
        goto done;
    }
    if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_warn("deemed-approval sweep: metadata of %s: %s", topic, rd_kafka_err2str(t->err));
        goto done;
    }
    *out = xcalloc((size_t)t->partition_cnt + 1, sizeof(**out));
    for (int i = 0; i < t->partition_cnt; i++) {
        struct sweep_mark *m = &(*out)[i];
        m->partition = t->partitions[i].id;
        e = rd_kafka_query_watermark_offsets(s->rk, topic, m->partition, &m->low, &m->high,
                                             SWEEP_KAFKA_TIMEOUT_MS);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_warn("deemed-approval sweep: watermarks of %s[%d]: %s", topic, m->partition,
                     rd_kafka_err2str(e));
            free(*out);
            *out = NULL;
            goto done;
        }
    }
    n = t->partition_cnt;
done:
    rd_kafka_metadata_destroy(md);
    return n;
}

/* ---- one round ------------------------------------------------------------------------------- */

enum round { ROUND_IDLE, ROUND_MORE, ROUND_HELD, ROUND_FAILED };

/* Deems the due permits approved in one transaction; the committed outbox rows are appended
 * to s->done. Returns ROUND_MORE when SWEEP_MAX_PER_TX were done (more may be due). */
static enum round deem(struct sweep *s, int64_t t_ms, size_t *n_done)
{
    char t[32], decided_s[32], limit[16];
    const char *params[3] = {t, decided_s, limit};
    struct event_ctx ec;
    struct batch out = {0};
    PGresult *r = NULL;
    enum round rc = ROUND_FAILED;
    int64_t decided_ms;
    int n = 0;

    *n_done = 0;
    if (pg_cmd(s, "BEGIN") != 0)
        return ROUND_FAILED;
    r = PQexec(s->pg, "SELECT pg_try_advisory_xact_lock(" SWEEP_LOCK_KEY ")");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_failed(s, r, "taking the sweep lock");
        goto fail;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        log_debug("deemed-approval sweep: another instance is sweeping");
        rc = ROUND_IDLE;
        goto fail; /* rolls back: nothing was written */
    }
    PQclear(r);
    /* ossd's clock gives decided_at, as for decisions */
    decided_ms = now_ms();
    snprintf(t, sizeof(t), "%lld", (long long)t_ms);
    snprintf(decided_s, sizeof(decided_s), "%lld", (long long)decided_ms);
    snprintf(limit, sizeof(limit), "%d", SWEEP_MAX_PER_TX);
    /* The due permits in a MATERIALIZED CTE, evaluated once: as a subquery of UPDATE ... FROM
     * it may be the inner side of a nested loop, rescanned for every row, and each rescan
     * locked the next SWEEP_MAX_PER_TX (tests/e2e/test_deemed_approval.py saw 2442 in one). */
    r = PQexecParams(s->pg,
                     "WITH d AS MATERIALIZED (SELECT p.permit_id FROM permits p WHERE " DUE_WHERE
                     " ORDER BY p.sla_due, p.permit_id LIMIT $3::int FOR UPDATE OF p SKIP LOCKED) "
                     "UPDATE permits u SET status = 'approved_deemed', clock = 'none', "
                     "last_status_at = u.sla_due, updated_at = to_timestamp($2::bigint / 1000.0) "
                     "FROM d WHERE u.permit_id = d.permit_id "
                     "AND u.status = 'pending_verification' AND u.clock = 'running' "
                     "RETURNING u.permit_id, u.nib, u.kbli, "
                     "(extract(epoch FROM u.sla_due) * 1000)::bigint",
                     3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_failed(s, r, "deeming due permits approved");
        goto fail;
    }
    pthread_mutex_lock(&s->mu);
    ec.source = xstrdup(s->source);
    ec.schema_base = xstrdup(s->schema_base);
    pthread_mutex_unlock(&s->mu);
    n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        struct event_permit p = {
            .permit_id = PQgetvalue(r, i, 0),
            .nib = PQgetvalue(r, i, 1),
            .kbli = PQgetvalue(r, i, 2),
            .status = "approved_deemed",
            .previous_status = "pending_verification",
            .code = "57",
            .status_at_ms = strtoll(PQgetvalue(r, i, 3), NULL, 10),
            .decided_ms = decided_ms,
        };
        struct buf ev = {0};
        char event_id[37];
        const char *hp[4] = {p.permit_id, event_id, s->boot->topic_issuance, NULL};
        PGresult *h;

        event_permit_changed(&ec, &p, &ev, event_id);
        buf_putc(&ev, '\0');
        hp[3] = ev.data;
        /* The history row (a unique index: one 57 per permit) and the outbox row, in one
         * statement; attempted_at is now, so the re-send leaves it to this instance for
         * [ossd] outbox_resend_after_ms. */
        h = PQexecParams(
            s->pg,
            "WITH h AS (INSERT INTO permit_history (permit_id, status_id, code, status_at, "
            "previous_status, status, event_id) SELECT $1, NULL, '57', sla_due, "
            "'pending_verification', 'approved_deemed', $2::uuid FROM permits "
            "WHERE permit_id = $1) "
            "INSERT INTO outbox (topic, msg_key, msg_value, headers, created_at, attempted_at) "
            "VALUES ($3, convert_to($1, 'UTF8'), convert_to($4, 'UTF8'), "
            "'[[\"content-type\",\"" EVENT_CONTENT_TYPE "\"]]'::jsonb, now(), now()) "
            "RETURNING id",
            4, NULL, hp, NULL, NULL, 0);
        if (PQresultStatus(h) != PGRES_TUPLES_OK) {
            pg_failed(s, h, "recording a deemed approval");
            PQclear(h);
            buf_free(&ev);
            goto fail_ec;
        }
        struct outmsg *m = batch_add_out(&out, s->boot->topic_issuance, p.permit_id,
                                         strlen(p.permit_id), ev.data, ev.len - 1, NULL);
        m->id = strtoll(PQgetvalue(h, 0, 0), NULL, 10);
        PQclear(h);
        buf_free(&ev);
    }
    PQclear(r);
    r = NULL;
    if (pg_cmd(s, "COMMIT") != 0)
        goto fail_ec;
    free((char *)ec.source);
    free((char *)ec.schema_base);
    pthread_mutex_lock(&s->mu);
    batch_move_out(&s->done, &out);
    pthread_mutex_unlock(&s->mu);
    batch_free(&out);
    *n_done = (size_t)n;
    return n == SWEEP_MAX_PER_TX ? ROUND_MORE : ROUND_IDLE;
fail_ec:
    free((char *)ec.source);
    free((char *)ec.schema_base);
fail:
    PQclear(r);
    batch_free(&out);
    if (s->pg && PQtransactionStatus(s->pg) != PQTRANS_IDLE) {
        PGresult *x = PQexec(s->pg, "ROLLBACK");
        PQclear(x);
    }
    return rc;
}

/* Permits overdue and still pending with a running clock at t_ms (a frozen NIB, a held
 * round, more than one transaction's worth), counted up to 100,000; -1 on failure. */
static long overdue(struct sweep *s, int64_t t_ms)
{
    char t[32];
    const char *params[1] = {t};
    PGresult *r;
    long n = -1;

    if (!s->pg)
        return -1;
    snprintf(t, sizeof(t), "%lld", (long long)t_ms);
    r = PQexecParams(s->pg,
                     "SELECT count(*) FROM (SELECT 1 FROM permits "
                     "WHERE status = 'pending_verification' AND clock = 'running' "
                     "AND sla_due <= to_timestamp($1::bigint / 1000.0) LIMIT 100000) x",
                     1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        n = atol(PQgetvalue(r, 0, 0));
    else
        pg_failed(s, r, "counting overdue permits");
    PQclear(r);
    return n;
}

/* Counts the permits by status into the metrics (one GROUP BY at the sweep's interval). */
static void count_permits(struct sweep *s)
{
    long n[METRICS_N_STATUS] = {0};
    PGresult *r;

    if (!s->pg || !s->metrics)
        return;
    r = PQexec(s->pg, "SELECT status, count(*) FROM permits GROUP BY status");
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); i++) {
            int st = permit_status_parse(PQgetvalue(r, i, 0));
            if (st >= 0 && st < METRICS_N_STATUS)
                n[st] = atol(PQgetvalue(r, i, 1));
        }
        metrics_sweep_permits(s->metrics, n);
    } else {
        pg_failed(s, r, "counting permits by status");
    }
    PQclear(r);
}

static enum round round_once(struct sweep *s)
{
    struct sweep_mark *marks = NULL;
    struct sweep_stored *stored = NULL;
    long n_marks, n_stored;
    int64_t t_w;
    int32_t behind = -1;
    size_t n_done = 0;
    double t0 = mono_s();
    enum round rc = ROUND_FAILED;
    int due;

    if (pg_ok(s) != 0)
        return ROUND_FAILED;
    due = any_due(s, now_ms());
    if (due == 0)
        metrics_sweep_done(s->metrics, 0, mono_s() - t0);
    if (due <= 0) {
        /* none due may still leave overdue permits of frozen NIBs */
        metrics_sweep_overdue(s->metrics, due == 0 ? overdue(s, now_ms()) : -1);
        if (due == 0)
            count_permits(s);
        return due == 0 ? ROUND_IDLE : ROUND_FAILED;
    }
    if (kafka_ok(s) != 0) {
        metrics_sweep_held(s->metrics, "kafka");
        return ROUND_HELD;
    }
    /* The instant before the watermarks are read: an update produced before it is below them. */
    t_w = now_ms();
    n_marks = watermarks(s, &marks);
    if (n_marks < 0) {
        metrics_sweep_held(s->metrics, "kafka");
        rc = ROUND_HELD;
        goto done;
    }
    n_stored = stored_offsets(s, &stored);
    if (n_stored < 0)
        goto done;
    if (!sweep_gate(marks, (size_t)n_marks, stored, (size_t)n_stored, &behind)) {
        log_debug("deemed-approval sweep held: %s[%d] is not consumed up to its high watermark",
                  s->boot->topic_license_status, behind);
        metrics_sweep_held(s->metrics, "watermark");
        rc = ROUND_HELD;
        goto done;
    }
    rc = deem(s, t_w, &n_done);
    if (rc == ROUND_IDLE || rc == ROUND_MORE) {
        metrics_sweep_done(s->metrics, n_done, mono_s() - t0);
        if (n_done)
            log_msg(LOG_LVL_INFO, LOG_MSG_DEEMED,
                    "%zu permit(s) deemed approved (code 57): their deadline passed with no "
                    "verdict",
                    n_done);
    }
done:
    free(marks);
    free(stored);
    metrics_sweep_overdue(s->metrics, overdue(s, now_ms()));
    count_permits(s);
    return rc;
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void *sweep_main(void *arg)
{
    struct sweep *s = arg;
    enum round last = ROUND_MORE; /* the first round at once: what fell due while ossd was down */
    struct timespec t_end;        /* the end of the last round */

    clock_gettime(CLOCK_MONOTONIC, &t_end);
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int wait_s = s->interval_s;
        struct timespec until = t_end, now;

        if (last == ROUND_MORE)
            wait_s = 0;
        else if (last != ROUND_IDLE && wait_s > SWEEP_HELD_RETRY_S)
            wait_s = SWEEP_HELD_RETRY_S;
        until.tv_sec += wait_s;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < until.tv_sec ||
            (now.tv_sec == until.tv_sec && now.tv_nsec < until.tv_nsec)) {
            /* woken early (a stop, a reload's new interval) or timed out: look again */
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
            continue;
        }
        pthread_mutex_unlock(&s->mu);
        last = round_once(s);
        clock_gettime(CLOCK_MONOTONIC, &t_end);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct sweep *sweep_new(const struct config *boot, struct metrics *metrics, char *err,
                        size_t errlen)
{
    struct sweep *s = xcalloc(1, sizeof(*s));
    pthread_condattr_t ca;

    s->boot = boot;
    s->metrics = metrics;
    s->conninfo = store_conninfo(boot, err, errlen);
    if (!s->conninfo) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    sweep_configure(s, boot);
    if (pthread_create(&s->thread, NULL, sweep_main, s) != 0) {
        snprintf(err, errlen, "cannot start the deemed-approval sweep's thread");
        s->joined = 1; /* no thread to stop */
        sweep_free(s);
        return NULL;
    }
    return s;
}

void sweep_configure(struct sweep *s, const struct config *cfg)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    free(s->source);
    free(s->schema_base);
    s->source = xstrdup(cfg->source);
    s->schema_base = xstrdup(cfg->schema_base);
    if (s->interval_s != cfg->sla_sweep_interval_s) {
        s->interval_s = cfg->sla_sweep_interval_s;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

size_t sweep_collect(struct sweep *s, struct batch *b)
{
    size_t n;

    if (!s)
        return 0;
    pthread_mutex_lock(&s->mu);
    n = s->done.n_out;
    if (n)
        batch_move_out(b, &s->done);
    pthread_mutex_unlock(&s->mu);
    return n;
}

void sweep_request_stop(struct sweep *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void sweep_stop(struct sweep *s)
{
    if (!s || s->joined)
        return;
    sweep_request_stop(s);
    pthread_join(s->thread, NULL);
    s->joined = 1;
}

void sweep_free(struct sweep *s)
{
    if (!s)
        return;
    sweep_stop(s);
    pg_drop(s);
    if (s->rk)
        rd_kafka_destroy(s->rk);
    batch_free(&s->done);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->source);
    free(s->schema_base);
    free(s->conninfo);
    free(s);
}
