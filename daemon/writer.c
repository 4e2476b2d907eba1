/* writer: the store thread: commits decided batches, in order, while the main thread decides the
 * next. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"

struct writer {
    const struct config *cfg;
    const struct event_ctx *ec;
    struct store *store; /* used by the writer thread only */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* Guarded by mu. */
    struct batch *in;  /* submitted, not handed back yet */
    struct batch *out; /* handed back, not taken yet */
    int out_committed;
    double out_commit_s;
    int abandon; /* give up `in` */
    int stop;
    enum writer_state state;
    int pg_down;
    char pg_err[256];
    uint64_t retries;
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

static double clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Commits b, retrying until it is committed or abandoned. Called without mu. */
static int commit_with_retries(struct writer *w, struct batch *b, double *commit_s)
{
    int64_t backoff = 0;
    char err[512];

    for (;;) {
        if (!store_connected(w->store) && store_connect(w->store, err, sizeof(err)) != 0) {
            pthread_mutex_lock(&w->mu);
            if (!w->pg_down)
                log_error("PostgreSQL unavailable, consumption paused, no offset advances: %s",
                          err);
            w->pg_down = 1;
            snprintf(w->pg_err, sizeof(w->pg_err), "%.200s", err);
            pthread_mutex_unlock(&w->mu);
        } else {
            double t0 = clock_s();
            if (store_commit_batch(w->store, b, w->ec) == STORE_OK) {
                *commit_s = clock_s() - t0;
                pthread_mutex_lock(&w->mu);
                if (w->pg_down)
                    log_info("PostgreSQL available again, consumption resumed");
                w->pg_down = 0;
                pthread_mutex_unlock(&w->mu);
                return 1;
            }
            if (!store_connected(w->store)) {
                pthread_mutex_lock(&w->mu);
                if (!w->pg_down)
                    log_error("PostgreSQL unavailable, consumption paused, no offset advances: "
                              "connection lost");
                w->pg_down = 1;
                snprintf(w->pg_err, sizeof(w->pg_err), "connection lost");
                pthread_mutex_unlock(&w->mu);
            }
        }
        backoff = backoff ? backoff * 2 : 100;
        if (backoff > w->cfg->retry_backoff_max_ms)
            backoff = w->cfg->retry_backoff_max_ms;
        pthread_mutex_lock(&w->mu);
        w->retries++;
        w->state = WRITER_RETRYING;
        if (!w->abandon && !w->stop)
            timed_wait(w, backoff);
        int give_up = w->abandon || w->stop;
        w->state = WRITER_BUSY;
        pthread_mutex_unlock(&w->mu);
        if (give_up)
            return 0;
    }
}

static void *run(void *arg)
{
    struct writer *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && (!w->in || w->out))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        struct batch *b = w->in;
        w->state = WRITER_BUSY;
        pthread_mutex_unlock(&w->mu);

        double commit_s = 0;
        int ok = commit_with_retries(w, b, &commit_s);

        pthread_mutex_lock(&w->mu);
        w->in = NULL;
        w->out = b;
        w->out_committed = ok;
        w->out_commit_s = commit_s;
        w->abandon = 0;
        w->state = WRITER_IDLE;
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
    w->store = store_new(cfg);
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

void writer_free(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->in) {
        batch_free(w->in);
        free(w->in);
    }
    if (w->out) {
        batch_free(w->out);
        free(w->out);
    }
    store_free(w->store);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int writer_submit(struct writer *w, struct batch *b)
{
    int rc = -1;
    pthread_mutex_lock(&w->mu);
    if (!w->in) {
        w->in = b;
        w->state = WRITER_BUSY;
        pthread_cond_broadcast(&w->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

struct batch *writer_take(struct writer *w, int *committed, double *commit_s)
{
    struct batch *b;
    pthread_mutex_lock(&w->mu);
    b = w->out;
    if (b) {
        *committed = w->out_committed;
        *commit_s = w->out_commit_s;
        w->out = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return b;
}

void writer_wait(struct writer *w, int timeout_ms)
{
    pthread_mutex_lock(&w->mu);
    if (!w->out && w->in)
        timed_wait(w, timeout_ms);
    pthread_mutex_unlock(&w->mu);
}

void writer_drain(struct writer *w, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    pthread_mutex_lock(&w->mu);
    while (w->in && mono_ms() < deadline)
        timed_wait(w, deadline - mono_ms());
    if (w->in) {
        w->abandon = 1;
        pthread_cond_broadcast(&w->cv);
        while (w->in)
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
