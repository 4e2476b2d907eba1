/* writer: the store thread: commits decided batches, in order, while the main thread decides the
 * next. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"
#include "log.h"
#include "store.h"

#define DONE_MAX 4

struct writer {
    const struct config *cfg;
    const struct event_ctx *ec;
    struct store *store; /* used by the writer thread only */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* Guarded by mu. The main thread can hand over the next batch while
     * the writer commits the current one and before it took the last one
     * back: decisions, commits and publication overlap. */
    struct batch *cur;  /* being committed */
    struct batch *next; /* submitted, waiting for cur */
    struct done {
        struct batch *b;
        int committed;
        double commit_s;
    } done[DONE_MAX]; /* handed back, not taken yet, oldest first */
    size_t n_done;
    int abandon; /* give up cur */
    int stop;
    enum writer_state state;
    int pg_down;
    char pg_err[256];
    uint64_t retries;
    int64_t backoff_max_ms; /* [ossd] retry_backoff_max_ms, reloadable */
};

static void timed_wait(struct writer *w, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

#define PERMANENT_TRIES 3 /* attempts before a data error is looked at message by message */

static void note_pg(struct writer *w, int down, const char *why)
{
    pthread_mutex_lock(&w->mu);
    if (down && !w->pg_down)
        log_msg(LOG_LVL_ERROR, LOG_MSG_PG_DOWN,
                "PostgreSQL unavailable, consumption paused, no offset advances: %s", why);
    else if (!down && w->pg_down)
        log_msg(LOG_LVL_INFO, LOG_MSG_PG_UP, "PostgreSQL available again, consumption resumed");
    w->pg_down = down;
    if (down)
        snprintf(w->pg_err, sizeof(w->pg_err), "%.200s", why);
    pthread_mutex_unlock(&w->mu);
}

/* Sleeps the backoff; returns 1 when the batch in hand must be given up. */
static int pause_before_retry(struct writer *w, int64_t *backoff)
{
    pthread_mutex_lock(&w->mu);
    *backoff = *backoff ? *backoff * 2 : 100;
    if (*backoff > w->backoff_max_ms)
        *backoff = w->backoff_max_ms;
    w->retries++;
    w->state = WRITER_RETRYING;
    if (!w->abandon && !w->stop)
        timed_wait(w, *backoff);
    int give_up = w->abandon || w->stop;
    w->state = WRITER_BUSY;
    pthread_mutex_unlock(&w->mu);
    return give_up;
}

/* One attempt: 1 committed, 0 transient failure, -1 the data failed. */
static int attempt(struct writer *w, struct batch *b)
{
    char err[512];

    if (!store_connected(w->store) && store_connect(w->store, err, sizeof(err)) != 0) {
        note_pg(w, 1, err);
        return 0;
    }
    if (store_commit_batch(w->store, b, w->ec) == STORE_OK) {
        note_pg(w, 0, NULL);
        return 1;
    }
    if (!store_connected(w->store)) {
        note_pg(w, 1, "connection lost");
        return 0;
    }
    if (store_error_needs_new_session()) {
        log_warn("PostgreSQL answered SQLSTATE %s; reconnecting", store_last_sqlstate());
        store_disconnect(w->store);
        return 0;
    }
    /* A unique violation is usually a race with another instance that
     * decided the same submission: the next attempt sees its decision. One
     * that repeats is a data error like any other (a key nobody checks
     * before writing), so that the batch reaches commit_one_by_one. */
    if (strcmp(store_last_sqlstate(), "23505") == 0)
        return -1;
    return store_error_transient(w->store) ? 0 : -1;
}

/*
 * A batch that keeps failing with a data error is committed one message at
 * a time, so that one message nobody foresaw cannot stop the intake: a
 * message that still fails alone becomes an INTERNAL_ERROR dead letter
 * (recorded and published like the others), and the rest are decided.
 */
static int commit_one_by_one(struct writer *w, struct batch *b)
{
    size_t issued = 0, rejected = 0, dead = 0, skipped = 0;
    int64_t backoff = 0;

    log_error("a batch of %zu message(s) failed %d times with a data error (SQLSTATE %s); "
              "committing its messages one by one",
              b->n, PERMANENT_TRIES, store_last_sqlstate());
    batch_clear_out(b);
    for (size_t i = 0; i < b->n; i++) {
        struct batch sub;
        int failures = 0, r;

        memset(&sub, 0, sizeof(sub));
        sub.items = &b->items[i];
        sub.n = sub.cap = 1;
        sub.basis_id = b->basis_id;
        sub.holidays = b->holidays; /* a status update's 42/44 need the calendar */
        while ((r = attempt(w, &sub)) != 1) {
            struct item *it = &b->items[i];
            if (r < 0 && ++failures >= PERMANENT_TRIES && it->kind != ITEM_DEAD) {
                static const char *const field[] = {"SUBMISSION_ID", "STATUS_ID", "ACTION_ID"};
                static const char *const what[] = {"submission", "status update", "NIB action"};
                unsigned k = (unsigned)it->input < ARRAY_SIZE(field) ? (unsigned)it->input : 0;
                char f_sid[96], f_off[48];
                snprintf(f_sid, sizeof(f_sid), "%s=%s", field[k], it->submission_id);
                snprintf(f_off, sizeof(f_off), "KAFKA_OFFSET=%lld", (long long)it->offset);
                const char *fields[] = {f_sid, f_off, "ERROR_CODE=INTERNAL_ERROR", NULL};
                log_fields(LOG_LVL_ERROR, fields,
                           "%s %s at %s[%d]@%lld cannot be stored (SQLSTATE %s); it becomes a "
                           "dead letter",
                           what[k], it->submission_id, it->topic ? it->topic : "?", it->partition,
                           (long long)it->offset, store_last_sqlstate());
                char msg[200];
                snprintf(msg, sizeof(msg), "could not be stored (SQLSTATE %s); see ossd's log",
                         store_last_sqlstate());
                decide_dead_letter(it, "INTERNAL_ERROR", msg);
                failures = 0;
                continue;
            }
            if (pause_before_retry(w, &backoff)) {
                batch_clear_out(&sub);
                free(sub.out);
                return 0; /* given up: what was committed is a duplicate next time */
            }
        }
        backoff = 0;
        issued += sub.n_issued;
        rejected += sub.n_rejected;
        dead += sub.n_dead;
        skipped += sub.n_skipped;
        batch_move_out(b, &sub);
        free(sub.out);
    }
    b->n_issued = issued;
    b->n_rejected = rejected;
    b->n_dead = dead;
    b->n_skipped = skipped;
    return 1;
}

/* Commits b, retrying until it is committed or abandoned. Called without mu. */
static int commit_with_retries(struct writer *w, struct batch *b, double *commit_s)
{
    int64_t backoff = 0;
    int permanent = 0;

    for (;;) {
        double t0 = mono_s();
        int r = attempt(w, b);
        if (r == 1) {
            *commit_s = mono_s() - t0;
            return 1;
        }
        if (r < 0 && ++permanent >= PERMANENT_TRIES) {
            t0 = mono_s();
            if (!commit_one_by_one(w, b))
                return 0;
            *commit_s = mono_s() - t0;
            return 1;
        }
        if (pause_before_retry(w, &backoff))
            return 0;
    }
}

static void push_done(struct writer *w, struct batch *b, int committed, double commit_s)
{
    w->done[w->n_done].b = b;
    w->done[w->n_done].committed = committed;
    w->done[w->n_done].commit_s = commit_s;
    w->n_done++;
}

static void *run(void *arg)
{
    struct writer *w = arg;

    pthread_setname_np(pthread_self(), "ossd-writer");
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && (!w->next || w->n_done >= DONE_MAX - 1))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        w->cur = w->next;
        w->next = NULL;
        w->state = WRITER_BUSY;
        pthread_cond_broadcast(&w->cv); /* room for the next one */
        pthread_mutex_unlock(&w->mu);

        double commit_s = 0;
        /* a batch every message of which was taken away (revoked) is empty */
        int ok = w->cur->n ? commit_with_retries(w, w->cur, &commit_s) : 1;

        pthread_mutex_lock(&w->mu);
        push_done(w, w->cur, ok, commit_s);
        w->cur = NULL;
        w->abandon = 0;
        w->state = w->next ? WRITER_BUSY : WRITER_IDLE;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct writer *writer_new(const struct config *cfg, const struct event_ctx *ec, char *err,
                          size_t errlen)
{
    struct writer *w = xcalloc(1, sizeof(*w));

    w->cfg = cfg;
    w->ec = ec;
    w->backoff_max_ms = cfg->retry_backoff_max_ms;
    w->store = store_new(cfg);
    store_set_lookups_only(w->store);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (store_connect(w->store, err, errlen) != 0) {
        store_free(w->store);
        free(w);
        return NULL;
    }
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        snprintf(err, errlen, "cannot start the writer thread: %s", strerror(errno));
        store_free(w->store);
        free(w);
        return NULL;
    }
    return w;
}

static void free_batch(struct batch *b)
{
    if (b) {
        batch_free(b);
        free(b);
    }
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    free_batch(w->cur);
    free_batch(w->next);
    for (size_t i = 0; i < w->n_done; i++)
        free_batch(w->done[i].b);
    store_free(w->store);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int writer_submit(struct writer *w, struct batch *b)
{
    int rc = -1;
    pthread_mutex_lock(&w->mu);
    if (!w->next) {
        w->next = b;
        w->state = WRITER_BUSY;
        pthread_cond_broadcast(&w->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

struct batch *writer_take(struct writer *w, int *committed, double *commit_s)
{
    struct batch *b = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->n_done) {
        b = w->done[0].b;
        *committed = w->done[0].committed;
        *commit_s = w->done[0].commit_s;
        memmove(w->done, w->done + 1, (w->n_done - 1) * sizeof(w->done[0]));
        w->n_done--;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return b;
}

void writer_wait(struct writer *w, int timeout_ms)
{
    pthread_mutex_lock(&w->mu);
    if (!w->n_done && (w->cur || w->next))
        timed_wait(w, timeout_ms);
    pthread_mutex_unlock(&w->mu);
}

void writer_drain(struct writer *w, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    pthread_mutex_lock(&w->mu);
    while ((w->cur || w->next) && mono_ms() < deadline)
        timed_wait(w, deadline - mono_ms());
    if (w->next && w->n_done < DONE_MAX) { /* never started: give it back as is */
        push_done(w, w->next, 0, 0);
        w->next = NULL;
    }
    if (w->cur) {
        w->abandon = 1;
        pthread_cond_broadcast(&w->cv);
        while (w->cur)
            pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
}

enum writer_state writer_state(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    enum writer_state s = w->state;
    pthread_mutex_unlock(&w->mu);
    return s;
}

int writer_pg_down(struct writer *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    int down = w->pg_down;
    if (down && err)
        snprintf(err, errlen, "%s", w->pg_err);
    pthread_mutex_unlock(&w->mu);
    return down;
}

uint64_t writer_retries(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->retries;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void writer_set_backoff_max(struct writer *w, int64_t ms)
{
    pthread_mutex_lock(&w->mu);
    w->backoff_max_ms = ms > 0 ? ms : 1;
    pthread_mutex_unlock(&w->mu);
}

size_t writer_drop_next(struct writer *w, const rd_kafka_topic_partition_list_t *parts)
{
    size_t n = 0;
    pthread_mutex_lock(&w->mu);
    if (w->next)
        n = batch_drop_partitions(w->next, parts); /* an empty one is skipped by run() */
    pthread_mutex_unlock(&w->mu);
    return n;
}

int writer_idle(struct writer *w)
{
    pthread_mutex_lock(&w->mu);
    int idle = !w->cur && !w->next && !w->n_done;
    pthread_mutex_unlock(&w->mu);
    return idle;
}
