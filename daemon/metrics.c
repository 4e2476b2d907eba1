/* metrics: the Prometheus text endpoint (libmicrohttpd) and the figures it serves. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "permit.h"

#define MAX_CODES      64 /* distinct label values per family; more go to "OTHER" */
#define MAX_BUCKETS    16
#define MAX_PARTITIONS 1024

/* A counter family with one label (a reason or dead-letter code). */
struct coded {
    struct {
        char code[48];
        uint64_t n;
    } v[MAX_CODES];
    size_t n;
};

struct histogram {
    const double *bounds; /* upper bounds, ascending; +Inf is implicit */
    size_t n_bounds;
    uint64_t bucket[MAX_BUCKETS]; /* not cumulative; summed when written */
    uint64_t count;
    double sum;
};

struct lag {
    int32_t partition;
    uint8_t topic; /* index into the sample's topic names */
    int64_t lag;
};

/* The input topics a sample may name: submissions, status updates, NIB actions, and spares. */
#define MAX_LAG_TOPICS 8

static const double size_bounds[] = {1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000};
static const double commit_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,  0.5,    1,     2.5,  5,     10};

struct metrics {
    pthread_mutex_t mu; /* guards every figure below; held for microseconds */
    struct MHD_Daemon *mhd;
    double start_time; /* epoch seconds */

    uint64_t issued, rejected, duplicates, batches, retries;
    uint64_t lifecycle[2][3]; /* status updates, NIB actions x batch.h's BATCH_LC_* results */
    struct coded reasons;     /* rejected decisions carrying the code (once per decision) */
    struct coded dead;        /* dead letters by code */
    struct histogram batch_size, commit_seconds;
    uint64_t deemed, sweeps, held_watermark, held_kafka; /* the deemed-approval sweep */
    double sweep_last;                                   /* epoch seconds; 0: never */
    long overdue;                                        /* -1 unknown (served as 0) */
    long permits[METRICS_N_STATUS];                      /* by enum permit_status */
    int permits_known;                                   /* 0 until a round counted them */
    struct histogram sweep_seconds;

    int pg_up;
    long outbox_backlog; /* -1 unknown */
    size_t outbox_in_flight, outbox_waiting;
    uint64_t delivered, failed, undeliverable, rebuilds;
    char lag_topics[MAX_LAG_TOPICS][256];
    struct lag *lags;
    size_t n_lags;

    /* Main thread only. */
    double t_sample, t_backlog;
};

_Static_assert(METRICS_N_STATUS == PERMIT_REJECTED + 1, "one gauge per permit status");

/* ---- figures ------------------------------------------------------------------ */

static void coded_add(struct coded *c, const char *code)
{
    size_t i;

    if (!code || !code[0])
        code = "UNKNOWN";
    for (i = 0; i < c->n; i++)
        if (strncmp(c->v[i].code, code, sizeof(c->v[i].code) - 1) == 0)
            break;
    if (i == c->n) {
        if (c->n >= MAX_CODES - 1) {
            i = MAX_CODES - 1; /* the last slot collects every further code */
            if (c->n == MAX_CODES - 1) {
                snprintf(c->v[i].code, sizeof(c->v[i].code), "OTHER");
                c->n = MAX_CODES;
            }
        } else {
            snprintf(c->v[i].code, sizeof(c->v[i].code), "%s", code);
            c->n++;
        }
    }
    c->v[i].n++;
}

static void hist_observe(struct histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum += v;
}

/* Adds each distinct reason code of one rejected decision. */
static void count_reasons(struct coded *c, json_t *reasons)
{
    size_t i, j;
    json_t *r;

    json_array_foreach(reasons, i, r)
    {
        const char *code = json_string_value(json_object_get(r, "code"));
        int seen = 0;
        for (j = 0; j < i && !seen; j++) {
            const char *prev =
                json_string_value(json_object_get(json_array_get(reasons, j), "code"));
            seen = code && prev && strcmp(code, prev) == 0;
        }
        if (!seen)
            coded_add(c, code);
    }
}

void metrics_batch_committed(struct metrics *m, const struct batch *b, double commit_s)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        switch (it->out_kind) {
        case ITEM_DEAD:
            coded_add(&m->dead, it->dead_code);
            break;
        case ITEM_SKIP:
            m->duplicates++;
            break;
        case ITEM_DECIDE:
            if (it->input != ITEM_INPUT_SUBMISSION)
                break; /* an applied lifecycle message: counted below */
            if (it->out_rejected) {
                m->rejected++;
                count_reasons(&m->reasons, it->out_reasons);
            } else {
                m->issued++;
            }
            break;
        }
    }
    for (size_t i = 0; i < 2; i++)
        for (size_t r = 0; r < 3; r++)
            m->lifecycle[i][r] += b->n_lc[i][r];
    m->batches++;
    hist_observe(&m->batch_size, (double)b->n);
    hist_observe(&m->commit_seconds, commit_s);
    pthread_mutex_unlock(&m->mu);
}

void metrics_batch_retry(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->retries++;
    pthread_mutex_unlock(&m->mu);
}

void metrics_sweep_done(struct metrics *m, size_t approvals, double seconds)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->deemed += approvals;
    m->sweeps++;
    m->sweep_last = (double)now_ms() / 1000.0;
    hist_observe(&m->sweep_seconds, seconds);
    pthread_mutex_unlock(&m->mu);
}

void metrics_sweep_overdue(struct metrics *m, long n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->overdue = n;
    pthread_mutex_unlock(&m->mu);
}

void metrics_sweep_permits(struct metrics *m, const long *n)
{
    if (!m || !n)
        return;
    pthread_mutex_lock(&m->mu);
    memcpy(m->permits, n, sizeof(m->permits));
    m->permits_known = 1;
    pthread_mutex_unlock(&m->mu);
}

void metrics_sweep_held(struct metrics *m, const char *reason)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    if (strcmp(reason, "watermark") == 0)
        m->held_watermark++;
    else
        m->held_kafka++;
    pthread_mutex_unlock(&m->mu);
}

/* Lag of every assigned partition of every input topic, from librdkafka's
 * local state (no request to the broker): high watermark minus the position.
 * Partitions whose figures are not known yet are left out; so are those of a
 * topic beyond the MAX_LAG_TOPICS first. Each entry names its topic by index
 * into topics[]. Returns the count; *out is malloc'ed. */
static size_t sample_lags(rd_kafka_t *rk, char topics[MAX_LAG_TOPICS][256], struct lag **out)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    size_t n = 0, n_topics = 0;

    *out = NULL;
    if (!rk || rd_kafka_assignment(rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return 0;
    if (parts->cnt > 0 && rd_kafka_position(rk, parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        *out = xcalloc((size_t)parts->cnt, sizeof(**out));
        for (int i = 0; i < parts->cnt && n < MAX_PARTITIONS; i++) {
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            int64_t lo, hi;
            size_t t;
            if (rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) != 0 || hi < 0)
                continue;
            if (p->offset >= 0)
                (*out)[n].lag = hi > p->offset ? hi - p->offset : 0;
            else if (lo >= 0 && lo == hi)
                (*out)[n].lag = 0; /* nothing consumed yet, nothing to consume */
            else
                continue;
            for (t = 0; t < n_topics && strcmp(topics[t], p->topic) != 0; t++)
                ;
            if (t == n_topics) {
                if (n_topics == MAX_LAG_TOPICS)
                    continue;
                snprintf(topics[n_topics++], 256, "%s", p->topic);
            }
            (*out)[n].topic = (uint8_t)t;
            (*out)[n].partition = p->partition;
            n++;
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return n;
}

void metrics_sample(struct metrics *m, struct consumer *c, struct outbox *ob, struct store *st,
                    int pg_up)
{
    double now;
    long backlog = -2; /* not sampled this time */
    struct lag *lags;
    char topics[MAX_LAG_TOPICS][256] = {{0}};
    size_t n_lags;

    if (!m)
        return;
    now = mono_s();
    if (now - m->t_sample < 1.0)
        return;
    m->t_sample = now;
    pg_up = pg_up && st && store_connected(st);
    if (pg_up && now - m->t_backlog >= 5.0) {
        backlog = store_outbox_backlog(st);
        m->t_backlog = now;
    }
    n_lags = sample_lags(c ? consumer_handle(c) : NULL, topics, &lags);

    pthread_mutex_lock(&m->mu);
    m->pg_up = pg_up;
    if (backlog >= -1)
        m->outbox_backlog = backlog;
    if (ob) {
        m->outbox_in_flight = outbox_in_flight(ob);
        m->outbox_waiting = outbox_waiting(ob);
        m->delivered = outbox_delivered(ob);
        m->failed = outbox_failed(ob);
        m->undeliverable = outbox_undeliverable(ob);
        m->rebuilds = outbox_rebuilds(ob);
    }
    free(m->lags);
    m->lags = lags;
    m->n_lags = n_lags;
    memcpy(m->lag_topics, topics, sizeof(topics));
    pthread_mutex_unlock(&m->mu);
}

/* ---- the text exposition format ------------------------------------------------ */

/* A label value with \, " and newline escaped. */
static void put_label(struct buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_putc(b, '\\');
        if (*v == '\n')
            buf_puts(b, "\\n");
        else
            buf_putc(b, *v);
    }
}

static void put_head(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_coded(struct buf *b, const char *name, const char *help, const struct coded *c)
{
    put_head(b, name, "counter", help);
    for (size_t i = 0; i < c->n; i++) {
        buf_printf(b, "%s{code=\"", name);
        put_label(b, c->v[i].code);
        buf_printf(b, "\"} %llu\n", (unsigned long long)c->v[i].n);
    }
}

static void put_histogram(struct buf *b, const char *name, const char *help,
                          const struct histogram *h)
{
    uint64_t cum = 0;

    put_head(b, name, "histogram", help);
    for (size_t i = 0; i < h->n_bounds; i++) {
        cum += h->bucket[i];
        buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i], (unsigned long long)cum);
    }
    buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    buf_printf(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->count);
}

static void render(struct metrics *m, struct buf *b)
{
    pthread_mutex_lock(&m->mu);
    put_head(b, "ossd_build_info", "gauge", "ossd version; always 1");
    buf_printf(b, "ossd_build_info{version=\"%s\"} 1\n", OSSD_VERSION);
    put_head(b, "ossd_start_time_seconds", "gauge", "start of the process, epoch seconds");
    buf_printf(b, "ossd_start_time_seconds %.3f\n", m->start_time);
    put_head(b, "ossd_decisions_total", "counter", "submissions decided, by outcome");
    buf_printf(b, "ossd_decisions_total{outcome=\"issued\"} %llu\n", (unsigned long long)m->issued);
    buf_printf(b, "ossd_decisions_total{outcome=\"rejected\"} %llu\n",
               (unsigned long long)m->rejected);
    put_coded(b, "ossd_rejections_by_reason_total",
              "rejected decisions carrying a reason code (each code once per decision)",
              &m->reasons);
    put_coded(b, "ossd_dead_letters_total", "messages dead-lettered, by error code", &m->dead);
    put_head(b, "ossd_duplicates_total", "counter",
             "byte-identical re-deliveries of decided submissions (no effect)");
    buf_printf(b, "ossd_duplicates_total %llu\n", (unsigned long long)m->duplicates);
    {
        static const char *const names[2] = {"ossd_status_updates_total", "ossd_nib_actions_total"};
        static const char *const help[2] = {"permit status updates consumed, by result",
                                            "NIB actions consumed, by result"};
        static const char *const results[3] = {"applied", "skipped", "refused"};
        for (size_t i = 0; i < 2; i++) {
            put_head(b, names[i], "counter", help[i]);
            for (size_t r = 0; r < 3; r++)
                buf_printf(b, "%s{result=\"%s\"} %llu\n", names[i], results[r],
                           (unsigned long long)m->lifecycle[i][r]);
        }
    }
    put_head(b, "ossd_batches_total", "counter", "batches committed");
    buf_printf(b, "ossd_batches_total %llu\n", (unsigned long long)m->batches);
    put_head(b, "ossd_batch_retries_total", "counter",
             "batch attempts that failed and will be retried");
    buf_printf(b, "ossd_batch_retries_total %llu\n", (unsigned long long)m->retries);
    put_histogram(b, "ossd_batch_size", "messages per committed batch", &m->batch_size);
    put_histogram(b, "ossd_batch_commit_seconds",
                  "duration of the PostgreSQL transaction of a committed batch",
                  &m->commit_seconds);
    put_head(b, "ossd_consumer_lag", "gauge",
             "messages behind the high watermark, per input topic and assigned partition");
    for (size_t i = 0; i < m->n_lags; i++) {
        buf_puts(b, "ossd_consumer_lag{topic=\"");
        put_label(b, m->lag_topics[m->lags[i].topic]);
        buf_printf(b, "\",partition=\"%d\"} %lld\n", m->lags[i].partition,
                   (long long)m->lags[i].lag);
    }
    put_head(b, "ossd_postgres_up", "gauge", "1 when the PostgreSQL connection is up");
    buf_printf(b, "ossd_postgres_up %d\n", m->pg_up);
    if (m->outbox_backlog >= 0) {
        put_head(b, "ossd_outbox_backlog", "gauge",
                 "outbox rows not yet published (PostgreSQL, sampled every 5 s)");
        buf_printf(b, "ossd_outbox_backlog %ld\n", m->outbox_backlog);
    }
    put_head(b, "ossd_outbox_in_flight", "gauge", "events produced, not yet acknowledged");
    buf_printf(b, "ossd_outbox_in_flight %zu\n", m->outbox_in_flight);
    put_head(b, "ossd_outbox_waiting", "gauge", "events waiting for room in the producer queue");
    buf_printf(b, "ossd_outbox_waiting %zu\n", m->outbox_waiting);
    put_head(b, "ossd_events_delivered_total", "counter",
             "events and dead letters acknowledged by Kafka");
    buf_printf(b, "ossd_events_delivered_total %llu\n", (unsigned long long)m->delivered);
    put_head(b, "ossd_events_failed_total", "counter",
             "deliveries that failed (the rows are sent again)");
    buf_printf(b, "ossd_events_failed_total %llu\n", (unsigned long long)m->failed);
    put_head(b, "ossd_outbox_undeliverable_total", "counter",
             "events refused for good (larger than the producer or broker accepts): kept "
             "unpublished in the outbox with attempted_at 'infinity', not sent again");
    buf_printf(b, "ossd_outbox_undeliverable_total %llu\n", (unsigned long long)m->undeliverable);
    put_head(b, "ossd_producer_rebuilds_total", "counter",
             "Kafka producers replaced after a fatal producer error");
    buf_printf(b, "ossd_producer_rebuilds_total %llu\n", (unsigned long long)m->rebuilds);
    put_head(b, "ossd_deemed_approvals_total", "counter",
             "permits deemed approved (code 57) by this instance's sweep");
    buf_printf(b, "ossd_deemed_approvals_total %llu\n", (unsigned long long)m->deemed);
    put_head(b, "ossd_sweeps_total", "counter", "deemed-approval sweep rounds run to their end");
    buf_printf(b, "ossd_sweeps_total %llu\n", (unsigned long long)m->sweeps);
    put_head(b, "ossd_sweep_last_run_timestamp_seconds", "gauge",
             "end of the last deemed-approval sweep round run to its end, epoch seconds (the "
             "start time until the first)");
    buf_printf(b, "ossd_sweep_last_run_timestamp_seconds %.3f\n",
               m->sweep_last > 0 ? m->sweep_last : m->start_time);
    put_histogram(b, "ossd_sweep_seconds", "duration of a deemed-approval sweep round",
                  &m->sweep_seconds);
    put_head(b, "ossd_sweep_held_total", "counter",
             "deemed-approval sweep rounds held back, by reason: watermark (status updates "
             "produced before the deadline not all applied yet) or kafka (no watermarks)");
    buf_printf(b, "ossd_sweep_held_total{reason=\"watermark\"} %llu\n",
               (unsigned long long)m->held_watermark);
    buf_printf(b, "ossd_sweep_held_total{reason=\"kafka\"} %llu\n",
               (unsigned long long)m->held_kafka);
    put_head(b, "ossd_permits_overdue_waiting", "gauge",
             "permits past their deadline still pending with a running clock after the last "
             "sweep round (a frozen NIB, a held round), counted up to 100,000; 0 until counted");
    buf_printf(b, "ossd_permits_overdue_waiting %ld\n", m->overdue > 0 ? m->overdue : 0);
    put_head(b, "ossd_permits", "gauge",
             "permits by status, counted by each deemed-approval sweep round (0 until the "
             "first round)");
    for (int i = 0; i < METRICS_N_STATUS; i++)
        buf_printf(b, "ossd_permits{status=\"%s\"} %ld\n",
                   permit_status_name((enum permit_status)i), m->permits_known ? m->permits[i] : 0);
    pthread_mutex_unlock(&m->mu);
}

/* ---- HTTP -------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type,
                             char *body, size_t len)
{
    /* MUST_FREE: body is malloc'ed and MHD frees it with free(). */
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;

    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct metrics *m = cls;
    struct buf b = {0};
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)req_cls;

    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", xstrdup("GET only\n"), 9);
    if (strcmp(url, "/metrics") != 0) {
        static const char page[] = "ossd: the metrics are at /metrics\n";
        return reply(conn, strcmp(url, "/") == 0 ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, "text/plain",
                     xstrdup(page), sizeof(page) - 1);
    }
    render(m, &b);
    return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
}

/* Idle clients must not starve a scrape: one polling thread serves many
 * connections, a client silent for METRICS_IDLE_TIMEOUT_S is dropped, and
 * the limit is well above what scrapers open (16 idle connections used to
 * fill it for 10 s). */
#define METRICS_MAX_CONNECTIONS 256
#define METRICS_IDLE_TIMEOUT_S  3

/* Splits "host:port", "[v6]:port", ":port" or "port" and binds a listening
 * TCP socket; a missing host is 127.0.0.1. Returns the fd, or -1 with err. */
static int listen_on(const char *spec, char *err, size_t errlen)
{
    char host[256] = "127.0.0.1", port[16];
    const char *colon = strrchr(spec, ':');
    struct addrinfo hints, *ai = NULL;
    int fd = -1, one = 1, rc;

    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
            goto bad;
        snprintf(host, sizeof(host), "%.*s", (int)(close - spec - 1), spec + 1);
        colon = close + 1;
    } else if (colon && colon != spec) {
        if ((size_t)(colon - spec) >= sizeof(host) || memchr(spec, ':', (size_t)(colon - spec)))
            goto bad; /* an IPv6 address needs brackets */
        snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
    }
    snprintf(port, sizeof(port), "%s", colon ? colon + 1 : spec);
    if (!all_digits(port, strlen(port)) || strlen(port) > 5 || atoi(port) < 1 || atoi(port) > 65535)
        goto bad;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        snprintf(err, errlen, "[ossd] metrics_listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        snprintf(err, errlen, "[ossd] metrics_listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
bad:
    snprintf(err, errlen, "[ossd] metrics_listen %s: expected host:port, [v6addr]:port or :port",
             spec);
    return -1;
}

int metrics_new(const char *listen, struct metrics **out, char *err, size_t errlen)
{
    struct metrics *m;
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    int fd;

    *out = NULL;
    if (!listen || !listen[0])
        return 0;
    fd = listen_on(listen, err, errlen);
    if (fd < 0)
        return -1;
    m = xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    m->start_time = (double)now_ms() / 1000.0;
    m->outbox_backlog = -1;
    m->overdue = -1;
    m->batch_size = (struct histogram){.bounds = size_bounds, .n_bounds = ARRAY_SIZE(size_bounds)};
    m->commit_seconds =
        (struct histogram){.bounds = commit_bounds, .n_bounds = ARRAY_SIZE(commit_bounds)};
    m->sweep_seconds =
        (struct histogram){.bounds = commit_bounds, .n_bounds = ARRAY_SIZE(commit_bounds)};
    m->t_sample = -1e9;
    m->t_backlog = -1e9;
    /* MHD takes the socket: MHD_stop_daemon closes it. */
    m->mhd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, on_request,
                         m, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)METRICS_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)METRICS_IDLE_TIMEOUT_S, MHD_OPTION_END);
    if (!m->mhd) {
        snprintf(err, errlen, "[ossd] metrics_listen %s: the HTTP server did not start", listen);
        close(fd);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0) {
        char addr[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (sa.ss_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
            port = ntohs(s6->sin6_port);
        } else if (sa.ss_family == AF_INET) {
            const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
            port = ntohs(s4->sin_port);
        }
        log_info("metrics at http://%s%s%s:%d/metrics", sa.ss_family == AF_INET6 ? "[" : "", addr,
                 sa.ss_family == AF_INET6 ? "]" : "", port);
    }
    *out = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->mhd); /* joins the HTTP thread: nothing reads m after this */
    pthread_mutex_destroy(&m->mu);
    free(m->lags);
    free(m);
}
