/* app: the running daemon: start-up, the main loop, reload and a clean drain. */

/*
 * The batch state machine (what a model of it must mirror).
 *
 * A consumed message is in exactly one place: app.cur (being filled and
 * decided on the main thread), writer.next (decided, submitted, not started),
 * writer.cur (in the writer's transaction, retried until it commits), the
 * writer's done list (committed, or given up), or nowhere (committed and
 * finished, or given up). Batches move cur -> next -> writer.cur -> done in
 * that order and are committed in that order. Within one assignment of a
 * partition the offsets of a later place are higher; after a revoke and a
 * new assignment of the same partition, cur may consume again what
 * writer.cur still holds. Safety does not rest on that order: the second
 * copy is a duplicate the store skips, and stored offsets only move forward
 * (tests/model/README.md, the ORDER_ONLY variation).
 *
 * Transitions: fill (poll into cur), decide (gate and chain over cur; a
 * handler RETRY resets cur's decisions), submit (cur -> next, only when next
 * is empty and no reload waits), start (next -> writer.cur), commit (success
 * -> done; failure -> retry with backoff, forever: an outage never gives a
 * batch up; a data error 3 times, a repeated unique violation included ->
 * one message at a time, a message failing alone 3 times becomes an
 * INTERNAL_ERROR dead letter), finish (done -> events, Kafka commit).
 *
 * Revoke (eager: every partition; cooperative: the revoked ones; lost: as
 * revoked): the items of those partitions are removed from cur and next, the
 * rest are kept with their order; writer.cur is left to commit. Nothing
 * waits in the rebalance callback. The stored offsets in PostgreSQL only
 * move forward (GREATEST), and a submission is decided at most once (its
 * key), so a late commit of a revoked partition by its former owner only
 * makes the new owner's copy a duplicate, which it skips.
 * Assign: a partition starts at the offset stored in PostgreSQL.
 *
 * Rewind invariant: a batch is given up uncommitted only at shutdown (the
 * writer abandons its batch when the drain times out). Whenever one is, the
 * same partitions' items are removed from every later place (next, cur) and
 * every partition it covered that is still assigned is sought back to the
 * lowest offset given up in it: no later commit can store an offset past a
 * message that was not decided.
 *
 * Reload: the new chain is loaded and waits (PAUSE_RELOAD) until the writer
 * is empty; then cur is decided again with it. Nothing is given up.
 *
 * Waits: the main thread never blocks for longer than one short poll, one
 * PostgreSQL statement (statement_timeout) or one connect (connect_timeout):
 * while the writer is busy for more than STUCK_MS, while PostgreSQL is down,
 * while a reload waits and while draining, consumption is paused and the
 * main thread keeps calling consumer_poll (the group, rebalances) and
 * pinging the watchdog.
 */
#include "app.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "consumer.h"
#include "event.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "outbox.h"
#include "pipeline.h"
#include "refdata.h"
#include "store.h"
#include "sweep.h"
#include "writer.h"

volatile sig_atomic_t app_stop_requested;
volatile sig_atomic_t app_reload_requested;

#define PAUSE_PG     1  /* PostgreSQL unavailable */
#define PAUSE_OUTBOX 2  /* the producer queue is full */
#define PAUSE_WRITER 4  /* the writer has not taken a decided batch for STUCK_MS */
#define PAUSE_RELOAD 8  /* a reloaded chain waits for the writer to be empty */
#define PAUSE_STOP   16 /* draining before exit */

#define STUCK_MS 1000 /* backpressure longer than this: pause and keep polling */

struct counters {
    uint64_t issued, rejected, dead, skipped, batches, retries;
};

/*
 * Two threads share the work: the main thread polls Kafka, runs the gate
 * and the handler chain over batch N+1 and produces the events of batch N-1,
 * while the writer thread commits batch N. The main thread has its own
 * PostgreSQL connection (`ctl`) for stored offsets, outbox bookkeeping and
 * reference data.
 */
struct app {
    const struct config *boot; /* Kafka, PostgreSQL and topics: fixed for the run */
    struct config *cfg;        /* current: pipeline, batching, logging */
    const char *log_target, *log_level;
    struct store *ctl;
    struct writer *writer;
    struct refdata *refdata;
    struct pipeline *pipeline;
    struct outbox *outbox;
    struct consumer *consumer;
    struct metrics *metrics; /* NULL: [ossd] metrics_listen is off */
    struct sweep *sweep;     /* the deemed-approval sweep's thread */
    struct event_ctx ec;

    struct batch *cur; /* being filled and decided; owned */
    size_t cur_gated;  /* items of cur through gate and pipeline */
    struct batch *spare;
    int64_t t_blocked; /* cur decided and the writer full since (0: not) */

    /* A reload loaded and waiting to be swapped in (all NULL: none); owned. */
    struct config *new_cfg;
    struct pipeline *new_pipeline;
    struct refdata *new_refdata;
    int32_t new_basis_id;

    int32_t basis_id; /* decision_basis row of the running chain and reference data */

    int paused; /* PAUSE_* reasons */
    int pg_down;
    int64_t retry_at; /* a handler asked for a retry: not before this */
    int64_t backoff_ms;
    char last_error[256];

    struct counters n;
    uint64_t decided_at_last_status;
    int64_t id_mark; /* the re-send's walk through the outbox: last id claimed */
    int64_t t_watchdog, wd_interval, t_status, t_stats, t_resend, t_mark, t_prune, t_ctl;
};

/* ---- state --------------------------------------------------------------- */

static void set_pause(struct app *a, int reason, int on)
{
    int was = a->paused;

    a->paused = on ? a->paused | reason : a->paused & ~reason;
    if (a->consumer && (was != 0) != (a->paused != 0))
        consumer_pause(a->consumer, a->paused != 0);
}

/* The main thread's connection, reconnected at most once a second (counted
 * from the end of the last attempt, which can take connect_timeout). */
static int ctl_ok(struct app *a)
{
    char err[512];

    if (store_connected(a->ctl))
        return 1;
    if (mono_ms() - a->t_ctl < 1000)
        return 0;
    if (store_connect(a->ctl, err, sizeof(err)) != 0) {
        a->t_ctl = mono_ms();
        log_debug("control connection to PostgreSQL: %s", err);
        return 0;
    }
    a->t_ctl = mono_ms();
    return 1;
}

static void ping_watchdog(struct app *a)
{
    if (a->wd_interval && mono_ms() - a->t_watchdog >= a->wd_interval) {
        notify_watchdog();
        a->t_watchdog = mono_ms();
    }
}

static struct batch *new_batch(struct app *a)
{
    struct batch *b = a->spare;
    a->spare = NULL;
    return b ? b : xcalloc(1, sizeof(*b));
}

static void recycle(struct app *a, struct batch *b)
{
    batch_clear(b);
    if (!a->spare)
        a->spare = b;
    else {
        batch_free(b);
        free(b);
    }
}

/* ---- per-message logging ----------------------------------------------- */

/* One journal line per status update or NIB action the committed batch applied or refused
 * (docs/operations.md): PERMIT_ID and STATUS_CODE, or NIB and NIB_ACTION. */
static void log_lifecycle(const struct item *it)
{
    int status = it->input == ITEM_INPUT_STATUS;
    char subject[128], what[64];
    const char *fields[] = {subject, what, NULL};

    if (!it->lc_subject[0] || !log_enabled(LOG_LVL_INFO))
        return;
    snprintf(subject, sizeof(subject), "%s=%.80s", status ? "PERMIT_ID" : "NIB", it->lc_subject);
    snprintf(what, sizeof(what), "%s=%.32s", status ? "STATUS_CODE" : "NIB_ACTION", it->lc_what);
    if (status)
        log_fields(LOG_LVL_INFO, fields, "status update %.32s of permit %.80s %s%s", it->lc_what,
                   it->lc_subject, it->lc_refusal ? "refused: " : "applied",
                   it->lc_refusal ? it->lc_refusal : "");
    else
        log_fields(LOG_LVL_INFO, fields, "NIB action %.32s of NIB %.80s %s%s", it->lc_what,
                   it->lc_subject, it->lc_refusal ? "refused: " : "applied",
                   it->lc_refusal ? it->lc_refusal : "");
}

static void log_item(const struct app *a, const struct item *it)
{
    char f_sid[96], f_topic[300], f_part[48], f_off[48], f_code[64];
    int level = it->out_kind == ITEM_DEAD ? LOG_LVL_WARNING : LOG_LVL_DEBUG;
    static const char *const id_field[] = {"SUBMISSION_ID", "STATUS_ID", "ACTION_ID"};
    const char *idf = id_field[(unsigned)it->input < ARRAY_SIZE(id_field) ? it->input : 0];

    (void)a;
    if (!log_enabled(level))
        return;
    snprintf(f_sid, sizeof(f_sid), "%s=%s", idf, it->submission_id);
    snprintf(f_topic, sizeof(f_topic), "KAFKA_TOPIC=%s", it->topic);
    snprintf(f_part, sizeof(f_part), "KAFKA_PARTITION=%d", it->partition);
    snprintf(f_off, sizeof(f_off), "KAFKA_OFFSET=%lld", (long long)it->offset);
    if (it->out_kind == ITEM_DEAD) {
        snprintf(f_code, sizeof(f_code), "ERROR_CODE=%s", it->dead_code);
        const char *fields[] = {f_code,
                                f_topic,
                                f_part,
                                f_off,
                                LOG_MSG_DEAD_LETTER,
                                it->submission_id[0] ? f_sid : NULL,
                                NULL};
        log_fields(level, fields, "dead letter %s at %s[%d]@%lld: %s", it->dead_code, it->topic,
                   it->partition, (long long)it->offset, it->dead_message);
        return;
    }
    const char *fields[] = {f_sid, f_topic, f_part, f_off, NULL};
    if (it->input != ITEM_INPUT_SUBMISSION)
        log_fields(
            level, fields, "%s %s %s",
            it->input == ITEM_INPUT_STATUS ? "status update" : "NIB action", it->submission_id,
            it->out_kind == ITEM_SKIP ? "re-delivered unchanged; already applied" : "applied");
    else if (it->out_kind == ITEM_SKIP)
        log_fields(level, fields, "submission %s re-delivered unchanged; already decided",
                   it->submission_id);
    else if (it->out_rejected)
        log_fields(level, fields, "submission %s rejected (%zu reason(s))", it->submission_id,
                   json_array_size(it->out_reasons));
    else
        log_fields(level, fields, "submission %s issued: NIB %s%s, %zu activit%s",
                   it->submission_id, it->nib, it->nib_new ? " (new)" : "", it->n_act,
                   it->n_act == 1 ? "y" : "ies");
}

/* The input a topic carries (submissions for any other name). */
static enum item_input input_of(const struct config *cfg, const char *topic)
{
    if (strcmp(topic, cfg->topic_license_status) == 0)
        return ITEM_INPUT_STATUS;
    if (strcmp(topic, cfg->topic_nib_actions) == 0)
        return ITEM_INPUT_NIB_ACTION;
    return ITEM_INPUT_SUBMISSION;
}

/* ---- batches ------------------------------------------------------------ */

/* Runs gate and pipeline over the items of cur not decided yet. Returns 0,
 * or -1 when a handler asked for a retry (cur is then decided again later). */
static int decide_cur(struct app *a)
{
    const struct ossd_refdata *rd = refdata_api(a->refdata);
    struct batch *b = a->cur;
    int retry = 0;

    for (; a->cur_gated < b->n; a->cur_gated++) {
        struct item *it = &b->items[a->cur_gated];
        it->input = input_of(a->boot, it->topic);
        gate_check(it, it->msg->payload, it->msg->len);
        if (it->kind == ITEM_DECIDE) {
            pipeline_run(a->pipeline, rd, it);
            retry |= it->retry;
        }
    }
    if (!retry)
        return 0;
    snprintf(a->last_error, sizeof(a->last_error), "a handler asked to retry");
    log_warn("a handler reported a transient failure; the batch will be decided again");
    batch_reset_items(b);
    a->cur_gated = 0;
    a->n.retries++;
    metrics_batch_retry(a->metrics);
    a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : 100;
    if (a->backoff_ms > a->cfg->retry_backoff_max_ms)
        a->backoff_ms = a->cfg->retry_backoff_max_ms;
    a->retry_at = mono_ms() + a->backoff_ms;
    return -1;
}

/*
 * b is given up uncommitted: the items of its partitions are removed from
 * every later batch (the writer's next, cur) and each of its partitions
 * still assigned is sought back to the lowest offset of b in it, so that no
 * later commit stores an offset past a message that was not decided.
 */
static void give_up(struct app *a, struct batch *b)
{
    rd_kafka_topic_partition_list_t *offs;
    size_t later = 0, in_cur;
    int rewound;

    if (b->n == 0) {
        recycle(a, b);
        return;
    }
    offs = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_find(offs, it->topic, it->partition);
        if (!p) {
            p = rd_kafka_topic_partition_list_add(offs, it->topic, it->partition);
            p->offset = it->offset;
        } else if (it->offset < p->offset)
            p->offset = it->offset;
    }
    later = writer_drop_next(a->writer, offs);
    in_cur = batch_drop_partitions(a->cur, offs);
    if (in_cur) {
        batch_reset_items(a->cur);
        a->cur_gated = 0;
    }
    rewound = a->consumer ? consumer_rewind(a->consumer, offs) : 0;
    log_warn("%zu uncommitted message(s) given up (and %zu after them); %d partition(s) rewound, "
             "the others are consumed again from the stored offsets by their owner",
             b->n, later + in_cur, rewound);
    rd_kafka_topic_partition_list_destroy(offs);
    recycle(a, b);
}

/* A batch came back from the writer: publish its events, commit its offsets
 * to Kafka (for lag tools), count it; or give it up when it was abandoned. */
static void finish(struct app *a, struct batch *b, int committed, double commit_s)
{
    if (!committed) {
        give_up(a, b);
        return;
    }
    if (b->n == 0) { /* every message was revoked before it started */
        recycle(a, b);
        return;
    }
    a->n.batches++;
    a->n.issued += b->n_issued;
    a->n.rejected += b->n_rejected;
    a->n.dead += b->n_dead;
    a->n.skipped += b->n_skipped;
    metrics_batch_committed(a->metrics, b, commit_s);
    for (size_t i = 0; i < b->n; i++) {
        log_lifecycle(&b->items[i]);
        log_item(a, &b->items[i]);
    }
    outbox_enqueue(a->outbox, b);
    consumer_commit(a->consumer, b);
    recycle(a, b);
}

static void collect(struct app *a)
{
    int committed;
    double commit_s;
    struct batch *b;
    while ((b = writer_take(a->writer, &committed, &commit_s)))
        finish(a, b, committed, commit_s);
}

/* Hands cur to the writer when it is decided and the writer is free. */
static int submit_cur(struct app *a)
{
    if (a->cur->n == 0 || a->cur_gated < a->cur->n)
        return 0;
    a->cur->holidays = refdata_holidays(a->refdata);
    a->cur->basis_id = a->basis_id;
    if (writer_submit(a->writer, a->cur) != 0)
        return 0;
    a->cur = new_batch(a);
    a->cur_gated = 0;
    a->backoff_ms = 0;
    return 1;
}

/* Consumption is paused: serves the group (rebalances) and the watchdog.
 * A message fetched before the pause is given up: it comes after everything
 * in hand, and ossd is leaving the group. */
static void serve_while_stopping(struct app *a)
{
    rd_kafka_message_t *m;

    ping_watchdog(a);
    while ((m = consumer_poll(a->consumer, 0)))
        rd_kafka_message_destroy(m);
    outbox_poll(a->outbox, 0);
}

/* Shutdown: commits everything in hand within timeout_ms, serving the group
 * and the watchdog meanwhile; what is left is given up (uncommitted, so not
 * published; the next owner consumes it from the stored offsets). */
static void settle(struct app *a, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    set_pause(a, PAUSE_STOP, 1);
    for (;;) {
        collect(a);
        if (a->cur->n > a->cur_gated && !a->pg_down && mono_ms() >= a->retry_at)
            decide_cur(a);
        submit_cur(a);
        if (a->cur->n == 0 && writer_idle(a->writer))
            break;
        if (mono_ms() >= deadline)
            break;
        writer_wait(a->writer, 50);
        serve_while_stopping(a);
    }
    writer_drain(a->writer, 0);
    collect(a);
    if (a->cur->n) {
        log_warn("%zu undecided or uncommitted message(s) given up; they are consumed again from "
                 "the stored offsets",
                 a->cur->n);
        batch_clear(a->cur);
        a->cur_gated = 0;
    }
}

/* In the rebalance callback: gives up the revoked partitions' messages that
 * are not in a transaction yet, keeps the rest; never waits (see the note at
 * the top). */
static void on_revoke(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
    struct app *a = arg;
    size_t in_cur = batch_drop_partitions(a->cur, parts);
    size_t in_next = writer_drop_next(a->writer, parts);

    if (in_cur) {
        batch_reset_items(a->cur);
        a->cur_gated = 0;
    }
    if (in_cur + in_next)
        log_info("%zu message(s) of the revoked partition(s) given up before their transaction; "
                 "their next owner consumes them from the stored offsets",
                 in_cur + in_next);
}

/* Fills cur: waits up to wait_ms for a first message, then batch_ms for
 * more, up to batch_max. */
static void fill_cur(struct app *a, int wait_ms)
{
    rd_kafka_message_t *m = consumer_poll(a->consumer, wait_ms);
    int64_t deadline;

    if (!m)
        return;
    batch_add(a->cur, m);
    deadline = mono_ms() + a->cfg->batch_ms;
    while (a->cur->n < (size_t)a->cfg->batch_max && !app_stop_requested) {
        int64_t left = deadline - mono_ms();
        m = consumer_poll(a->consumer, left > 0 ? (int)left : 0);
        if (!m)
            break;
        batch_add(a->cur, m);
    }
}

/* ---- outbox bookkeeping -------------------------------------------------- */

static void mark_published(struct app *a, int force)
{
    int64_t *ids;
    size_t n;
    int64_t now = mono_ms();

    if (!force && now - a->t_mark < 200)
        return;
    a->t_mark = now;
    n = outbox_take_acked(a->outbox, &ids);
    if (n == 0) {
        free(ids);
        return;
    }
    if (!ctl_ok(a) || store_mark_published(a->ctl, ids, n, a->cfg->outbox_retention_s) != 0)
        outbox_return_acked(a->outbox, ids, n);
    else
        outbox_marked(a->outbox, ids, n);
    n = outbox_take_parked(a->outbox, &ids); /* refused for good: kept, not re-sent */
    if (n && (!ctl_ok(a) || store_park_outbox(a->ctl, ids, n) != 0))
        outbox_return_parked(a->outbox, ids, n);
    else
        outbox_marked(a->outbox, ids, n);
}

/* Claims rows left unpublished for older_ms by any instance (a crashed
 * peer's too), one slice of the table per call: id_mark is where the
 * previous slice ended, 0 to start again from the lowest id. */
static void resend_unpublished(struct app *a, int64_t older_ms)
{
    struct batch tmp = {0};
    int n;

    if (!ctl_ok(a) || outbox_waiting(a->outbox) > 0)
        return;
    n = store_claim_unpublished(a->ctl, older_ms, a->id_mark, 5000, &tmp);
    a->id_mark = 0;
    if (n == 5000) /* more may follow: the next slice starts above this one */
        for (size_t i = 0; i < tmp.n_out; i++)
            if (tmp.out[i].id > a->id_mark)
                a->id_mark = tmp.out[i].id;
    if (n > 0) {
        size_t taken = outbox_enqueue(a->outbox, &tmp);
        if (taken)
            log_info("re-sending %zu unpublished outbox event(s)", taken);
    }
    batch_free(&tmp);
}

/* ---- status, stats, watchdog --------------------------------------------- */

static void periodic(struct app *a)
{
    int64_t now = mono_ms();

    metrics_sample(a->metrics, a->consumer, a->outbox, a->ctl, !a->pg_down);
    ping_watchdog(a);
    {
        /* deemed approvals the sweep's thread committed: their events go out like a batch's */
        struct batch tmp = {0};
        if (sweep_collect(a->sweep, &tmp))
            outbox_enqueue(a->outbox, &tmp);
        batch_free(&tmp);
    }
    if (now - a->t_status >= 2000) {
        uint64_t decided = a->n.issued + a->n.rejected;
        double secs = a->t_status ? (double)(now - a->t_status) / 1000.0 : 1.0;
        notify_status("%.0f decisions/s, %llu decided, %llu dead letters, lag %lld, outbox %zu "
                      "in flight%s%s",
                      (double)(decided - a->decided_at_last_status) / secs,
                      (unsigned long long)decided, (unsigned long long)a->n.dead,
                      consumer_lag(a->consumer),
                      outbox_in_flight(a->outbox) + outbox_waiting(a->outbox),
                      a->last_error[0] ? ", last error: " : "", a->last_error);
        a->decided_at_last_status = decided;
        a->t_status = now;
    }
    if (a->cfg->stats_interval_s && now - a->t_stats >= a->cfg->stats_interval_s * 1000LL) {
        char f[8][64];
        /* events on their way out of this instance: a count(*) of the
         * outbox would block the main thread (seconds after a long broker
         * outage); /metrics has the table's figure */
        long backlog = (long)(outbox_in_flight(a->outbox) + outbox_waiting(a->outbox));
        snprintf(f[0], 64, "STATS_ISSUED=%llu", (unsigned long long)a->n.issued);
        snprintf(f[1], 64, "STATS_REJECTED=%llu", (unsigned long long)a->n.rejected);
        snprintf(f[2], 64, "STATS_DEAD_LETTERS=%llu", (unsigned long long)a->n.dead);
        snprintf(f[3], 64, "STATS_DUPLICATES=%llu", (unsigned long long)a->n.skipped);
        snprintf(f[4], 64, "STATS_BATCHES=%llu", (unsigned long long)a->n.batches);
        snprintf(f[5], 64, "STATS_LAG=%lld", consumer_lag(a->consumer));
        snprintf(f[6], 64, "STATS_OUTBOX_BACKLOG=%ld", backlog);
        snprintf(f[7], 64, "STATS_RETRIES=%llu",
                 (unsigned long long)(a->n.retries + writer_retries(a->writer)));
        const char *fields[] = {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], NULL};
        log_fields(LOG_LVL_INFO, fields,
                   "stats: %llu issued, %llu rejected, %llu dead letters, %llu duplicates",
                   (unsigned long long)a->n.issued, (unsigned long long)a->n.rejected,
                   (unsigned long long)a->n.dead, (unsigned long long)a->n.skipped);
        a->t_stats = now;
    }
    if (now - a->t_resend >= a->cfg->outbox_resend_after_ms / 2) {
        resend_unpublished(a, a->cfg->outbox_resend_after_ms);
        a->t_resend = now;
    }
    if (a->cfg->outbox_retention_s > 0 && now - a->t_prune >= 60000) {
        if (ctl_ok(a))
            store_prune_outbox(a->ctl, a->cfg->outbox_retention_s);
        a->t_prune = now;
    }
}

/* ---- reload ---------------------------------------------------------------- */

/* Records the basis of the decisions p and rd will make (decision_basis) on
 * the control connection; *id is its row. 0, or -1 with err. */
static int record_basis(struct app *a, const struct pipeline *p, const struct refdata *rd,
                        int32_t *id, char *err, size_t errlen)
{
    json_t *chain = pipeline_chain(p);
    struct store_basis b = {refdata_kbli_version(rd),
                            refdata_region_version(rd),
                            refdata_kbli_version(rd), /* risk levels belong to the KBLI version */
                            refdata_holiday_version(rd),
                            refdata_sla_version(rd),
                            chain,
                            OSSD_VERSION};
    int rc = store_upsert_basis(a->ctl, &b, id, err, errlen);
    json_decref(chain);
    return rc;
}

static void free_new_chain(struct app *a)
{
    pipeline_free(a->new_pipeline);
    refdata_free(a->new_refdata);
    config_free(a->new_cfg);
    a->new_pipeline = NULL;
    a->new_refdata = NULL;
    a->new_cfg = NULL;
}

/* Swaps a reloaded chain in between two batches: the batches in the writer
 * still point into the old reference data, so they are committed first
 * (cur is not submitted meanwhile, and the main loop goes on polling);
 * cur is then decided again with the new chain. */
static void swap_chain(struct app *a)
{
    if (!a->new_cfg || !writer_idle(a->writer))
        return;
    batch_reset_items(a->cur);
    a->cur_gated = 0;
    a->retry_at = 0;
    pipeline_free(a->pipeline);
    refdata_free(a->refdata);
    if (a->cfg != a->boot)
        config_free(a->cfg);
    a->cfg = a->new_cfg;
    a->pipeline = a->new_pipeline;
    a->refdata = a->new_refdata;
    a->basis_id = a->new_basis_id;
    a->new_cfg = NULL;
    a->new_pipeline = NULL;
    a->new_refdata = NULL;
    writer_set_backoff_max(a->writer, a->cfg->retry_backoff_max_ms);
    sweep_configure(a->sweep, a->cfg);
    /* The writer is idle: no batch holds the old context any more, and the
     * next one is handed over under the writer's lock. Events already in the
     * outbox keep the bytes they were built with. */
    a->ec.source = a->cfg->source;
    a->ec.schema_base = a->cfg->schema_base;
    log_info("reloaded: %zu handler(s), KBLI %s (%zu codes), regions %s (%zu codes)",
             pipeline_size(a->pipeline), refdata_kbli_version(a->refdata),
             refdata_kbli_count(a->refdata), refdata_region_version(a->refdata),
             refdata_region_count(a->refdata));
    notify_ready();
}

static void reload(struct app *a)
{
    char err[1024], restart[1024];
    struct config *cfg;
    struct pipeline *p = NULL;
    struct refdata *rd = NULL;
    int32_t basis_id = 0;

    notify_reloading();
    log_info("reloading %s", a->boot->path);
    cfg = config_load(a->boot->path, err, sizeof(err));
    if (!cfg)
        goto fail;
    /* The no-reload keys keep their value from the start (a->boot); the
     * reload names the ones the file now changes, in one line. */
    if (config_restart_keys(a->boot, cfg, restart, sizeof(restart)) > 0)
        log_warn("reload: changed settings that wait for a restart (the running values stay): %s",
                 restart);
    p = pipeline_new(cfg, err, sizeof(err));
    if (!p)
        goto fail;
    /* connect now if the session was just dropped (a read-only answer to an outbox update
     * drops it, and ctl_ok waits a second between attempts): reading the reference data
     * needs only a session that answers, not one that may write */
    if (!store_connected(a->ctl))
        a->t_ctl = mono_ms() - 1000;
    if (!ctl_ok(a)) {
        snprintf(err, sizeof(err), "PostgreSQL is unavailable to load reference data");
        goto fail;
    }
    rd = refdata_load_pg(store_conn(a->ctl), err, sizeof(err));
    if (!rd || record_basis(a, p, rd, &basis_id, err, sizeof(err)) != 0)
        goto fail;
    /* log.c's level and target are atomics: safe while other threads log */
    if (log_setup(a->log_target ? a->log_target : cfg->log_target,
                  a->log_level ? a->log_level : cfg->log_level, err, sizeof(err)) != 0)
        goto fail;
    /* A reload not swapped in yet is replaced by this one. */
    free_new_chain(a);
    a->new_cfg = cfg;
    a->new_pipeline = p;
    a->new_refdata = rd;
    a->new_basis_id = basis_id;
    /* a number only: the writer takes it now, even while the swap waits */
    writer_set_backoff_max(a->writer, cfg->retry_backoff_max_ms);
    if (!writer_idle(a->writer))
        log_info("reload: the new chain takes over once the writer has committed the batches it "
                 "holds");
    swap_chain(a);
    return;
fail:
    snprintf(a->last_error, sizeof(a->last_error), "reload failed: %.200s", err);
    log_msg(LOG_LVL_ERROR, LOG_MSG_RELOAD_REFUSED,
            "reload failed, keeping the running configuration: %s", err);
    pipeline_free(p);
    refdata_free(rd);
    config_free(cfg);
    notify_ready();
}

/* ---- lifecycle ------------------------------------------------------------- */

static void wait_a_little(struct app *a, int64_t until)
{
    while (!app_stop_requested && mono_ms() < until) {
        usleep(50000);
        ping_watchdog(a);
    }
}

/* Records the basis of the chain at start. A new basis is a write: while PostgreSQL is down
 * or refuses it (read-only, full) ossd waits, as for the connection. 0, or -1 with err (a
 * stop was requested, or a failure that is not transient). */
static int start_basis(struct app *a, char *err, size_t errlen)
{
    int64_t backoff = 0;
    int waited = 0;

    for (;;) {
        snprintf(err, errlen, "PostgreSQL is unavailable");
        if (ctl_ok(a) && record_basis(a, a->pipeline, a->refdata, &a->basis_id, err, errlen) == 0)
            break;
        if (app_stop_requested || (store_connected(a->ctl) && !store_error_transient(a->ctl)))
            return -1;
        if (!waited)
            log_warn("cannot record the decision basis yet, retrying: %s", err);
        waited = 1;
        notify_status("waiting to record the decision basis: %.200s", err);
        backoff = backoff ? backoff * 2 : 100;
        if (backoff > a->boot->retry_backoff_max_ms)
            backoff = a->boot->retry_backoff_max_ms;
        wait_a_little(a, mono_ms() + backoff);
    }
    if (waited)
        log_info("decision basis recorded");
    return 0;
}

static int start(struct app *a)
{
    char err[1024];
    int64_t backoff = 0;

    if (metrics_new(a->boot->metrics_listen, &a->metrics, err, sizeof(err)) != 0)
        goto fail;
    a->ctl = store_new(a->boot);
    while (!app_stop_requested && store_connect(a->ctl, err, sizeof(err)) != 0) {
        if (!a->pg_down)
            log_msg(LOG_LVL_ERROR, LOG_MSG_PG_DOWN, "PostgreSQL unavailable at start, retrying: %s",
                    err);
        a->pg_down = 1;
        notify_status("waiting for PostgreSQL: %.200s", err);
        backoff = backoff ? backoff * 2 : 100;
        if (backoff > a->boot->retry_backoff_max_ms)
            backoff = a->boot->retry_backoff_max_ms;
        wait_a_little(a, mono_ms() + backoff);
    }
    if (app_stop_requested)
        return -1;
    if (a->pg_down)
        log_msg(LOG_LVL_INFO, LOG_MSG_PG_UP, "PostgreSQL available");
    a->pg_down = 0;
    if (store_check_schema(a->ctl, err, sizeof(err)) != 0)
        goto fail;
    a->refdata = refdata_load_pg(store_conn(a->ctl), err, sizeof(err));
    if (!a->refdata)
        goto fail;
    a->pipeline = pipeline_new(a->cfg, err, sizeof(err));
    if (!a->pipeline || start_basis(a, err, sizeof(err)) != 0)
        goto fail;
    a->writer = writer_new(a->boot, &a->ec, err, sizeof(err));
    if (!a->writer)
        goto fail;
    a->outbox = outbox_new(a->boot, err, sizeof(err));
    if (!a->outbox)
        goto fail;
    a->cur = new_batch(a);
    a->consumer = consumer_new(a->boot, a->ctl, on_revoke, a, err, sizeof(err));
    if (!a->consumer)
        goto fail;
    a->sweep = sweep_new(a->boot, a->metrics, err, sizeof(err));
    if (!a->sweep)
        goto fail;
    log_msg(LOG_LVL_INFO, LOG_MSG_STARTED,
            "ossd %s started: group %s, topic %s, %zu handler(s), KBLI %s (%zu codes), "
            "regions %s (%zu codes)",
            OSSD_VERSION, a->boot->group_id, a->boot->topic_submissions, pipeline_size(a->pipeline),
            refdata_kbli_version(a->refdata), refdata_kbli_count(a->refdata),
            refdata_region_version(a->refdata), refdata_region_count(a->refdata));
    /* Events a previous run committed but may not have published: the
     * first claim now, the rest by the periodic re-send. */
    a->id_mark = 0;
    resend_unpublished(a, 0);
    return 0;
fail:
    log_error("cannot start: %s", err);
    return -1;
}

static void drain_and_stop(struct app *a)
{
    notify_stopping();
    log_info("stopping: finishing the batches in hand and flushing events");
    sweep_request_stop(a->sweep); /* its round in progress ends while the batches settle */
    settle(a, 10000);
    {
        /* the sweep's round in progress ends (committed or rolled back); its rows go out */
        struct batch tmp = {0};
        sweep_stop(a->sweep);
        if (sweep_collect(a->sweep, &tmp))
            outbox_enqueue(a->outbox, &tmp);
        batch_free(&tmp);
    }
    for (int64_t until = mono_ms() + 10000;
         mono_ms() < until && outbox_in_flight(a->outbox) + outbox_waiting(a->outbox) > 0;) {
        outbox_flush(a->outbox, 500);
        ping_watchdog(a);
    }
    mark_published(a, 1);
    consumer_close(a->consumer);
    a->consumer = NULL;
    outbox_free(a->outbox, 1000);
    a->outbox = NULL;
    log_msg(LOG_LVL_INFO, LOG_MSG_STOPPED,
            "stopped: %llu issued, %llu rejected, %llu dead letters, %llu duplicates",
            (unsigned long long)a->n.issued, (unsigned long long)a->n.rejected,
            (unsigned long long)a->n.dead, (unsigned long long)a->n.skipped);
}

static void cleanup(struct app *a)
{
    sweep_free(a->sweep);
    if (a->consumer)
        consumer_close(a->consumer);
    writer_free(a->writer);
    outbox_free(a->outbox, 0);
    if (a->cur) {
        batch_free(a->cur);
        free(a->cur);
    }
    if (a->spare) {
        batch_free(a->spare);
        free(a->spare);
    }
    pipeline_free(a->pipeline);
    refdata_free(a->refdata);
    free_new_chain(a);
    store_free(a->ctl);
    metrics_free(a->metrics);
    if (a->cfg != a->boot)
        config_free(a->cfg);
}

/* One turn of the main loop. */
static void turn(struct app *a)
{
    char err[256];
    int down;

    periodic(a);
    outbox_poll(a->outbox, 0);
    mark_published(a, 0);
    collect(a);
    swap_chain(a);

    down = writer_pg_down(a->writer, err, sizeof(err));
    if (down != a->pg_down) {
        a->pg_down = down;
        if (down)
            snprintf(a->last_error, sizeof(a->last_error), "PostgreSQL: %.200s", err);
    }
    set_pause(a, PAUSE_PG, down);
    set_pause(a, PAUSE_OUTBOX, outbox_waiting(a->outbox) > 0);
    set_pause(a, PAUSE_RELOAD, a->new_cfg != NULL);
    if (ctl_ok(a))
        consumer_service(a->consumer);

    if (!a->new_cfg && submit_cur(a)) {
        a->t_blocked = 0;
        set_pause(a, PAUSE_WRITER, 0);
        return;
    }
    if (a->cur->n && a->cur_gated == a->cur->n) {
        /* decided, the writer is busy: wait for it (backpressure); when it
         * lasts, pause consumption and keep serving the group */
        int64_t now = mono_ms();
        if (!a->t_blocked)
            a->t_blocked = now;
        if (now - a->t_blocked >= STUCK_MS)
            set_pause(a, PAUSE_WRITER, 1);
        if (a->paused)
            goto keepalive;
        writer_wait(a->writer, 5);
        return;
    }
    a->t_blocked = 0;
    set_pause(a, PAUSE_WRITER, 0);
    if (a->cur->n && mono_ms() < a->retry_at) {
        usleep(10000);
        goto keepalive;
    }
    if (a->paused) {
    keepalive:
        /* Consumption is held back: keep serving the group; a message that
         * was fetched before the pause joins cur. */
        {
            rd_kafka_message_t *m = consumer_poll(a->consumer, a->paused ? 20 : 0);
            if (m)
                batch_add(a->cur, m);
        }
        if (a->cur->n > a->cur_gated && !a->pg_down && mono_ms() >= a->retry_at)
            decide_cur(a);
        return;
    }
    if (a->cur->n == 0)
        fill_cur(a, writer_state(a->writer) == WRITER_IDLE ? 100 : 5);
    if (a->cur->n > a->cur_gated)
        decide_cur(a);
}

int app_run(struct config *cfg, const char *log_target, const char *log_level)
{
    struct app a;
    int rc = 0;

    memset(&a, 0, sizeof(a));
    a.boot = cfg;
    a.cfg = cfg;
    a.log_target = log_target;
    a.log_level = log_level;
    a.ec.source = cfg->source;
    a.ec.schema_base = cfg->schema_base;
    a.wd_interval = notify_watchdog_interval_ms();

    if (start(&a) != 0) {
        rc = app_stop_requested ? 0 : 1;
        cleanup(&a);
        return rc;
    }
    notify_ready();
    while (!app_stop_requested) {
        if (app_reload_requested) {
            app_reload_requested = 0;
            reload(&a);
        }
        turn(&a);
    }
    drain_and_stop(&a);
    cleanup(&a);
    return rc;
}
