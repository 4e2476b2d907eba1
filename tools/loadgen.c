/* ossd-loadgen: realistic oss.submission.v1 messages produced to Kafka at full speed or a fixed
 * rate. This file is the driver (options, producer, pacing, manifest); the generator is
 * tools/loadgen_gen.c. */

/*
 * The generator is the C counterpart of tests/pylib/sample.py, deterministic
 * for a given --seed, --prefix, --epoch and --rate:
 *
 *  - sectors weighted as in the Semarang study (services 920 : handicraft 955
 *    : processed food 1,260 registered UMKM) plus retail and food stalls and
 *    a few regulated (MT/T risk) codes, mapped to their KBLI 2020 codes;
 *    1-3 activities (70/22/8 %), all three channels (online 60, counter 15,
 *    outreach 25 %);
 *  - synthetic but consistent identities: the NIK encodes a Kota Semarang
 *    district (33.74.01-16), the birth date DDMMYY (+40 on the day for women)
 *    and a serial; names match the gender; 8 % are small companies (type 01)
 *    with an NPWP (some in the legacy 15-digit form); addresses use the real
 *    kelurahan codes of each district;
 *  - repeat business actors (--repeat-ratio, 15 %) who register activities
 *    they do not hold yet, so a valid submission is always issued;
 *  - invalid submissions (--invalid-ratio, 5 %) broken in one of many ways,
 *    each with the outcome ossd must reach (see enum kind): schema
 *    violations, NIK, NPWP, region, KBLI, age, duplicate activities,
 *    re-deliveries of an earlier message, the same submission_id with another
 *    payload, and truncated JSON.
 *
 * The Kafka key is the applicant: the NPWP for type 01, else the NIK. With
 * --manifest, one line per message says what ossd must do with it:
 *   SEQ <TAB> SUBMISSION_ID|- <TAB> issued|rejected|duplicate|dead:CODE <TAB> KIND
 * The benchmark uses it to check that every submission was decided once.
 *
 * With --status-permits FILE it produces instead the agencies' oss.license-status.v1 updates
 * (keyed by permit_id) for a share (--status-share) of the permits listed in FILE, one
 * permit_id per line (ossd assigns the NIB, so the list is read back after the submissions are
 * decided, e.g. psql -Atc "SELECT permit_id FROM permits WHERE status =
 * 'pending_verification'"), plus a few invalid ones (loadgen_status_plan, loadgen_status_bad);
 * the manifest then says applied or dead:CODE of each status_id.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "loadgen_gen.h"
#include "timeutil.h"

#define MAX_XPROPS 32

static volatile sig_atomic_t stop_flag;

/* ---- Kafka ------------------------------------------------------------------------ */

struct counters {
    uint64_t delivered, failed;
    char first_err[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct counters *c = opaque;
    (void)rk;
    if (m->err) {
        if (c->failed++ == 0)
            snprintf(c->first_err, sizeof(c->first_err), "%s", rd_kafka_err2str(m->err));
        if (c->failed <= 5)
            fprintf(stderr, "loadgen: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        c->delivered++;
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        fprintf(stderr, "loadgen: fatal producer error: %s\n", buf);
        stop_flag = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) /* the rest is logged by librdkafka */
        fprintf(stderr, "loadgen: kafka: %s\n", reason);
}

/* ---- options ---------------------------------------------------------------------- */

struct options {
    const char *brokers, *topic, *prefix, *compression, *manifest;
    const char *status_permits, *status_topic; /* status mode when status_permits */
    uint64_t n, seed;
    double rate, invalid_ratio, repeat_ratio, status_share;
    int64_t epoch;
    int stats, credits;
    const char *xprops[MAX_XPROPS];
    int n_xprops;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ossd-loadgen --brokers HOST:PORT[,...] [options]\n"
        "Produces realistic oss.submission.v1 messages, keyed by applicant.\n"
        "  --brokers LIST        bootstrap servers (default: $OSSD_BROKERS)\n"
        "  --topic NAME          default oss.submissions.v1\n"
        "  -n N                  number of messages (default 10000)\n"
        "  --rate R              messages per second, evenly paced; 0 = full speed (default)\n"
        "  --seed S              random seed (default 1)\n"
        "  --prefix P            submission_id prefix, unique per run (default lg-<time><pid>)\n"
        "  --epoch SECONDS       virtual clock start for submitted_at (default: now)\n"
        "  --compression C       none|gzip|snappy|lz4|zstd (default none)\n"
        "  --invalid-ratio X     share of invalid messages, 0-1 (default 0.05)\n"
        "  --repeat-ratio X      share of submissions by a known actor, 0-1 (default 0.15)\n"
        "  --manifest FILE       write what ossd must do with each message\n"
        "  --credits-stdin       produce only up to the latest total read from stdin\n"
        "                        (one integer per line; EOF lifts the limit)\n"
        "  --status-permits FILE instead of submissions, status updates for the permits of\n"
        "                        FILE (one permit_id a line), and a few invalid ones\n"
        "  --status-share X      share of the listed permits given updates, 0-1 (default 1)\n"
        "  --status-topic NAME   default oss.license-status.v1\n"
        "  -X PROP=VALUE         any librdkafka producer property (repeatable)\n"
        "  --stats               progress every second on stderr, a summary on stdout\n"
        "Exit status: 0 when every message was delivered, 1 otherwise, 2 on usage errors.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 40)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == ':' || *p == '-'))
            return 0;
    return 1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static char prefix[48];
    double v;

    memset(o, 0, sizeof(*o));
    o->brokers = getenv("OSSD_BROKERS");
    o->topic = "oss.submissions.v1";
    o->n = 10000;
    o->seed = 1;
    o->compression = "none";
    o->invalid_ratio = 0.05;
    o->repeat_ratio = 0.15;
    o->status_share = 1;
    o->status_topic = "oss.license-status.v1";
    o->epoch = (int64_t)time(NULL);
    snprintf(prefix, sizeof(prefix), "lg-%lx%lx", (unsigned long)time(NULL),
             (unsigned long)getpid());
    o->prefix = prefix;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--stats")) {
            o->stats = 1;
            continue;
        } else if (!strcmp(a, "--credits-stdin")) {
            o->credits = 1;
            continue;
        }
        if (!val) {
            fprintf(stderr, "loadgen: %s needs a value (--help)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--brokers"))
            o->brokers = val;
        else if (!strcmp(a, "--topic"))
            o->topic = val;
        else if (!strcmp(a, "--prefix"))
            o->prefix = val;
        else if (!strcmp(a, "--compression"))
            o->compression = val;
        else if (!strcmp(a, "--status-permits"))
            o->status_permits = val;
        else if (!strcmp(a, "--status-topic"))
            o->status_topic = val;
        else if (!strcmp(a, "--status-share") && parse_num(val, 0, 1, &v) == 0)
            o->status_share = v;
        else if (!strcmp(a, "--manifest"))
            o->manifest = val;
        else if (!strcmp(a, "-X") && o->n_xprops < MAX_XPROPS)
            o->xprops[o->n_xprops++] = val;
        else if (!strcmp(a, "-n") && parse_num(val, 1, 1e12, &v) == 0)
            o->n = (uint64_t)v;
        else if (!strcmp(a, "--rate") && parse_num(val, 0, 1e9, &v) == 0)
            o->rate = v;
        else if (!strcmp(a, "--seed") && parse_num(val, 0, 1.8e19, &v) == 0)
            o->seed = strtoull(val, NULL, 10);
        else if (!strcmp(a, "--epoch") && parse_num(val, 0, 1e11, &v) == 0)
            o->epoch = (int64_t)v;
        else if (!strcmp(a, "--invalid-ratio") && parse_num(val, 0, 1, &v) == 0)
            o->invalid_ratio = v;
        else if (!strcmp(a, "--repeat-ratio") && parse_num(val, 0, 1, &v) == 0)
            o->repeat_ratio = v;
        else {
            fprintf(stderr, "loadgen: bad argument %s %s (--help)\n", a, val);
            return -1;
        }
    }
    if (!o->brokers || !*o->brokers) {
        fprintf(stderr, "loadgen: --brokers (or $OSSD_BROKERS) is required\n");
        return -1;
    }
    if (!prefix_ok(o->prefix)) {
        fprintf(stderr, "loadgen: --prefix: 1-40 characters of A-Za-z0-9._:-\n");
        return -1;
    }
    return 0;
}

static rd_kafka_t *make_producer(const struct options *o, struct counters *c)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    const char *props[][2] = {
        {"bootstrap.servers", o->brokers},
        {"client.id", "ossd-loadgen"},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"compression.codec", o->compression},
        {"message.timeout.ms", "60000"},
        {"queue.buffering.max.messages", "200000"},
        {"queue.buffering.max.kbytes", "262144"},
        {"batch.num.messages", "10000"},
    };
    rd_kafka_t *rk;

    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
            goto fail;
    for (int i = 0; i < o->n_xprops; i++) {
        char k[256];
        const char *eq = strchr(o->xprops[i], '=');
        if (!eq || (size_t)(eq - o->xprops[i]) >= sizeof(k)) {
            snprintf(err, sizeof(err), "-X %s: expected PROP=VALUE", o->xprops[i]);
            goto fail;
        }
        snprintf(k, sizeof(k), "%.*s", (int)(eq - o->xprops[i]), o->xprops[i]);
        if (rd_kafka_conf_set(conf, k, eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, c);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        goto fail;
    return rk; /* conf is owned by rk */
fail:
    fprintf(stderr, "loadgen: producer: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* ---- status mode ------------------------------------------------------------------ */

static int permit_id_ok(const char *p)
{
    static const char shape[] = "0000000000000-00000-000000";
    if (strlen(p) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? p[i] != '-' : (p[i] < '0' || p[i] > '9'))
            return 0;
    return 1;
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The status updates for o's permit list into *out (caller frees) and *n; 0, or -1 with a
 * message on stderr. Each permit is chosen with probability status_share (by seed and line). */
static int status_messages(const struct options *o, struct loadgen_msg **out, uint64_t *n)
{
    FILE *f = fopen(o->status_permits, "r");
    struct loadgen_msg *v = NULL, *nv;
    size_t cap = 0, len = 0;
    uint64_t line = 0, chosen = 0;
    int64_t at_ms = now_ms();
    char buf[256], first[32] = "";
    int rc = -1;

    if (!f) {
        fprintf(stderr, "loadgen: %s: %s\n", o->status_permits, strerror(errno));
        return -1;
    }
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\t \r\n")] = '\0';
        line++;
        if (!buf[0])
            continue;
        if (!permit_id_ok(buf)) {
            fprintf(stderr, "loadgen: %s:%" PRIu64 ": not a permit_id\n", o->status_permits, line);
            goto out;
        }
        if ((double)(mix64(o->seed ^ mix64(line)) >> 11) / 9007199254740992.0 >= o->status_share)
            continue;
        if (len + LOADGEN_STATUS_MAX > cap) {
            cap = cap ? cap * 2 : 1024;
            nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                goto oom;
            v = nv;
        }
        if (!first[0])
            snprintf(first, sizeof(first), "%s", buf);
        len += (size_t)loadgen_status_plan(o->prefix, buf, chosen, at_ms + (int64_t)chosen * 10,
                                           v + len);
        chosen++;
    }
    if (ferror(f)) {
        fprintf(stderr, "loadgen: %s: read error\n", o->status_permits);
        goto out;
    }
    if (first[0]) {
        nv = realloc(v, (len + LOADGEN_STATUS_BAD) * sizeof(*v));
        if (!nv)
            goto oom;
        v = nv;
        for (int k = 0; k < LOADGEN_STATUS_BAD; k++)
            loadgen_status_bad(o->prefix, first, k, at_ms + (int64_t)chosen * 10, v + len++);
    }
    fprintf(stderr, "loadgen: %" PRIu64 " of %" PRIu64 " listed permits get status updates\n",
            chosen, line);
    *out = v; /* ownership to the caller */
    v = NULL;
    *n = len;
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "loadgen: out of memory\n");
out:
    free(v);
    fclose(f);
    return rc;
}

/* ---- main loop -------------------------------------------------------------------- */

static void sleep_until(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_flag)
        ;
}

/* Reads credit lines from stdin (non-blocking unless wait_ms > 0). Returns the
 * new limit; UINT64_MAX after EOF. */
static uint64_t read_credits(uint64_t limit, int wait_ms)
{
    static char buf[256];
    static size_t n;
    struct pollfd p = {0, POLLIN, 0};

    while (limit != UINT64_MAX && poll(&p, 1, wait_ms) > 0) {
        ssize_t k = read(0, buf + n, sizeof(buf) - 1 - n);
        if (k <= 0)
            return UINT64_MAX;
        n += (size_t)k;
        buf[n] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            unsigned long long v = strtoull(buf, NULL, 10);
            if (v > limit)
                limit = v;
            n -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, n + 1);
        }
        if (n == sizeof(buf) - 1)
            n = 0; /* garbage */
        wait_ms = 0;
    }
    return limit;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int main(int argc, char **argv)
{
    struct options o;
    struct counters cnt = {0};
    struct loadgen_gen *g = NULL;
    struct loadgen_msg *m = malloc(sizeof(*m));
    rd_kafka_t *rk = NULL;
    FILE *manifest = NULL;
    struct loadgen_msg *status = NULL; /* status mode: every message, owned */
    uint64_t produced = 0, bytes = 0, limit = UINT64_MAX, last_produced = 0;
    double t0, next_stats, last_t, interval;
    int rc = 1;

    if (!m || parse_args(argc, argv, &o) != 0) {
        free(m);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    {
        struct loadgen_params p = {
            .seed = o.seed,
            .invalid_ratio = o.invalid_ratio,
            .repeat_ratio = o.repeat_ratio,
            .prefix = o.prefix,
            .epoch_ms = o.epoch * 1000,
            .step_us = o.rate > 0 ? (int64_t)(1e6 / o.rate) : 10000,
        };
        g = loadgen_gen_new(&p);
    }
    if (!g) {
        fprintf(stderr, "loadgen: out of memory\n");
        goto out;
    }
    if (o.status_permits) {
        if (status_messages(&o, &status, &o.n) != 0)
            goto out;
        o.topic = o.status_topic;
    }
    if (o.manifest) {
        manifest = fopen(o.manifest, "w");
        if (!manifest) {
            fprintf(stderr, "loadgen: %s: %s\n", o.manifest, strerror(errno));
            goto out;
        }
        setvbuf(manifest, NULL, _IOFBF, 1 << 20);
    }
    rk = make_producer(&o, &cnt);
    if (!rk)
        goto out;
    if (o.credits)
        limit = read_credits(0, -1);

    interval = o.rate > 0 ? 1.0 / o.rate : 0;
    t0 = last_t = mono_s();
    next_stats = t0 + 1.0;
    for (uint64_t seq = 1; seq <= o.n && !stop_flag; seq++) {
        rd_kafka_resp_err_t err;

        if (status)
            *m = status[seq - 1];
        else
            loadgen_gen_next(g, seq, m);
        if (manifest)
            fprintf(manifest, "%" PRIu64 "\t%s\t%s\t%s\n", seq, m->id[0] ? m->id : "-", m->expect,
                    m->kind < 0 ? "status" : loadgen_kind_name(m->kind));
        while (o.credits && produced >= limit && !stop_flag) {
            rd_kafka_poll(rk, 0);
            limit = read_credits(limit, 20);
        }
        if (interval > 0) {
            double due = t0 + (double)(seq - 1) * interval, now = mono_s();
            if (due > now)
                sleep_until(due);
            else if (now - due > 0.1) /* fell behind: no burst to catch up */
                t0 += now - due;
        }
        for (;;) {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(m->key, strlen(m->key)),
                                    RD_KAFKA_V_VALUE(m->value, m->len), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop_flag)
                break;
            rd_kafka_poll(rk, 5);
        }
        if (err) {
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(err));
            break;
        }
        produced++;
        bytes += m->len;
        if (interval > 0 || (produced & 1023) == 0)
            rd_kafka_poll(rk, 0);
        if (o.stats && (produced & 255) == 0) {
            double now = mono_s();
            if (now >= next_stats) {
                fprintf(stderr,
                        "loadgen: %" PRIu64 " produced, %.0f msgs/s, %" PRIu64
                        " delivered, %d queued\n",
                        produced, (double)(produced - last_produced) / (now - last_t),
                        cnt.delivered, rd_kafka_outq_len(rk));
                last_produced = produced;
                last_t = now;
                next_stats = now + 1.0;
            }
        }
    }
    if (manifest && fclose(manifest) != 0) {
        fprintf(stderr, "loadgen: %s: %s\n", o.manifest, strerror(errno));
        cnt.failed++;
    }
    manifest = NULL;
    double t_prod = mono_s() - t0;
    rd_kafka_flush(rk, 60000);
    double t_all = mono_s() - t0;
    uint64_t lost = produced - cnt.delivered - cnt.failed;
    if (o.stats) {
        printf("loadgen: produced %" PRIu64 " messages (%.1f MB, avg %.0f B) in %.3f s: %.0f "
               "msgs/s; all acknowledged after %.3f s: %.0f msgs/s\n",
               produced, (double)bytes / 1e6, produced ? (double)bytes / (double)produced : 0.0,
               t_prod, (double)produced / t_prod, t_all, (double)produced / t_all);
        printf("loadgen: mix:");
        for (int k = 0; k < LOADGEN_KINDS; k++)
            if (loadgen_kind_count(g, k))
                printf(" %s=%" PRIu64, loadgen_kind_name(k), loadgen_kind_count(g, k));
        printf("\n");
    }
    printf("loadgen: produced=%" PRIu64 " delivered=%" PRIu64 " failed=%" PRIu64
           " undelivered=%" PRIu64 " elapsed_s=%.3f rate=%.0f\n",
           produced, cnt.delivered, cnt.failed, lost, t_all, (double)produced / t_all);
    fflush(stdout);
    if (cnt.failed || lost || produced < o.n) {
        fprintf(stderr, "loadgen: %" PRIu64 " of %" PRIu64 " messages not delivered%s%s\n",
                o.n - cnt.delivered, o.n, cnt.first_err[0] ? ": " : "", cnt.first_err);
        goto out;
    }
    rc = 0;
out:
    if (manifest)
        fclose(manifest);
    if (rk)
        rd_kafka_destroy(rk);
    loadgen_gen_free(g);
    free(status);
    free(m);
    return rc;
}
