/* ossd-mockbroker: a Kafka-protocol broker on loopback for development and tests. */

/*
 * Built on librdkafka's mock cluster (rdkafka_mock.h, experimental API; this
 * file is written against librdkafka 2.0.2, Debian 12). What the mock gives
 * and what it does not, as checked against that version:
 *
 *  - Listeners bind to 127.0.0.1 only (INADDR_LOOPBACK) on ephemeral ports
 *    chosen by the kernel; ports cannot be chosen. The bootstrap string is
 *    therefore written to --bootstrap-file once the brokers listen.
 *  - Produce (plain and idempotent), Fetch, ListOffsets, Metadata, consumer
 *    groups (JoinGroup/SyncGroup/Heartbeat/OffsetCommit/OffsetFetch) work.
 *  - Topics requested by a client that allows auto-creation (a producer, by
 *    default) are created on first use with 4 partitions. ossd must not rely
 *    on that: the topics it uses are created here, explicitly, at start.
 *  - Retention: each partition keeps only about 5 MB of record batches
 *    (as sent, i.e. compressed if the producer compresses); older batches are
 *    dropped and the log start offset moves on. Large runs should use more
 *    partitions or a compressing producer.
 *  - Consumer groups: the first join waits ~3 s (initial rebalance delay).
 *    When the last member leaves, a member joining next waits up to
 *    session.timeout.ms - 1 s before it gets an assignment (librdkafka's
 *    default 45 s): clients restarted often (tests) should set
 *    session.timeout.ms to 6000, the lowest value that worked here.
 *  - No transactions to rely on (no aborted-transaction filtering), hence no
 *    read_committed isolation: consumers see every record.
 *  - The listen backlog is 5 connections per broker.
 *  - Everything lives in memory: stopping the process loses all data.
 *    Setting the brokers down (SIGUSR1) keeps the data; up again (SIGUSR2)
 *    serves it on the same ports.
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS     64
#define MAX_BROKERS    16
#define MAX_PARTITIONS 1024
#define TOPIC_NAME_MAX 249
#define DEFAULT_PARTS  16

/* Signal flags: the only mutable globals. The main loop acts on them. */
static volatile sig_atomic_t sig_stop;
static volatile sig_atomic_t sig_down;
static volatile sig_atomic_t sig_up;

struct topic_spec {
    char name[TOPIC_NAME_MAX + 1];
    int partitions;
};

struct options {
    int brokers;
    struct topic_spec topics[MAX_TOPICS];
    int topic_cnt;
    const char *bootstrap_file;
    const char *pid_file;
    const char *debug;
};

struct broker_ctx {
    const struct options *opt;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    int wrote_pid;
    int wrote_bootstrap;
};

__attribute__((format(printf, 1, 2))) static void logmsg(const char *fmt, ...)
{
    struct timeval tv;
    struct tm tm;
    char ts[32];
    va_list ap;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "%s.%03ldZ ossd-mockbroker[%ld]: ", ts, (long)(tv.tv_usec / 1000),
            (long)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

/* librdkafka log callback (called from librdkafka threads): to our stderr. */
static void rk_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* The handle that owns the mock cluster has no bootstrap servers of its
     * own by design; its warning about that is noise. */
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers") != NULL)
        return;
    logmsg("librdkafka %d %s: %s", level, fac, buf);
}

static void on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
        sig_stop = 1;
        break;
    case SIGUSR1:
        sig_down = 1;
        break;
    case SIGUSR2:
        sig_up = 1;
        break;
    default:
        break;
    }
}

static int install_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return -1;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ossd-mockbroker [--brokers N] [--topic NAME:PARTITIONS]...\n"
            "                       [--bootstrap-file PATH] [--pid-file PATH] [--debug CONTEXTS]\n"
            "\n"
            "A Kafka-protocol broker on 127.0.0.1 (librdkafka mock cluster), in memory.\n"
            "  --brokers N             number of brokers, 1-%d (default 1)\n"
            "  --topic NAME:PARTITIONS create a topic (repeatable); default:\n"
            "                          oss.submissions.v1, oss.issuance.v1 and\n"
            "                          oss.submissions.v1.dlq with %d partitions each\n"
            "  --bootstrap-file PATH   write \"127.0.0.1:PORT,...\" there once listening\n"
            "  --pid-file PATH         write the process id there\n"
            "  --debug CONTEXTS        librdkafka debug contexts (e.g. mock,protocol)\n"
            "Signals: TERM/INT stop; USR1 sets every broker down (data kept);\n"
            "USR2 sets them up again.\n",
            MAX_BROKERS, DEFAULT_PARTS);
}

/* Parses a decimal integer in [lo, hi]. Returns 0 or -1. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* Kafka's legal topic names: [A-Za-z0-9._-]{1,249}, not "." or "..". */
static int topic_name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len > TOPIC_NAME_MAX)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Parses NAME:PARTITIONS into opt->topics. Returns 0 or -1 (err filled). */
static int add_topic(struct options *opt, const char *arg, char *err, size_t errlen)
{
    const char *colon = strrchr(arg, ':');
    size_t len;
    int parts, i;

    if (colon == NULL) {
        snprintf(err, errlen, "--topic %s: expected NAME:PARTITIONS", arg);
        return -1;
    }
    len = (size_t)(colon - arg);
    if (!topic_name_ok(arg, len)) {
        snprintf(err, errlen, "--topic %s: invalid topic name", arg);
        return -1;
    }
    if (parse_int(colon + 1, 1, MAX_PARTITIONS, &parts) != 0) {
        snprintf(err, errlen, "--topic %s: partitions must be 1-%d", arg, MAX_PARTITIONS);
        return -1;
    }
    for (i = 0; i < opt->topic_cnt; i++) {
        if (strlen(opt->topics[i].name) == len && memcmp(opt->topics[i].name, arg, len) == 0) {
            snprintf(err, errlen, "--topic %.*s given twice", (int)len, arg);
            return -1;
        }
    }
    if (opt->topic_cnt == MAX_TOPICS) {
        snprintf(err, errlen, "too many topics (at most %d)", MAX_TOPICS);
        return -1;
    }
    memcpy(opt->topics[opt->topic_cnt].name, arg, len);
    opt->topics[opt->topic_cnt].name[len] = '\0';
    opt->topics[opt->topic_cnt].partitions = parts;
    opt->topic_cnt++;
    return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (err filled). */
static int parse_args(int argc, char **argv, struct options *opt, char *err, size_t errlen)
{
    static const char *const defaults[] = {"oss.submissions.v1", "oss.issuance.v1",
                                           "oss.submissions.v1.dlq"};
    int i;

    memset(opt, 0, sizeof(*opt));
    opt->brokers = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--brokers") != 0 && strcmp(a, "--topic") != 0 &&
            strcmp(a, "--bootstrap-file") != 0 && strcmp(a, "--pid-file") != 0 &&
            strcmp(a, "--debug") != 0) {
            snprintf(err, errlen, "unknown argument: %s", a);
            return -1;
        }
        if (v == NULL) {
            snprintf(err, errlen, "%s needs a value", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--brokers") == 0) {
            if (parse_int(v, 1, MAX_BROKERS, &opt->brokers) != 0) {
                snprintf(err, errlen, "--brokers must be 1-%d", MAX_BROKERS);
                return -1;
            }
        } else if (strcmp(a, "--topic") == 0) {
            if (add_topic(opt, v, err, errlen) != 0)
                return -1;
        } else if (strcmp(a, "--bootstrap-file") == 0) {
            opt->bootstrap_file = v;
        } else if (strcmp(a, "--pid-file") == 0) {
            opt->pid_file = v;
        } else {
            opt->debug = v;
        }
    }
    if (opt->topic_cnt == 0) {
        for (i = 0; i < 3; i++) {
            snprintf(opt->topics[i].name, sizeof(opt->topics[i].name), "%s", defaults[i]);
            opt->topics[i].partitions = DEFAULT_PARTS;
        }
        opt->topic_cnt = 3;
    }
    return 0;
}

/* Writes "content\n" to path atomically (temp file in the same directory,
 * then rename). Returns 0 or -1 (err filled). */
static int write_file_atomic(const char *path, const char *content, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    FILE *f = NULL;
    int rc = -1;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%.300s: path too long", path);
        return -1;
    }
    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%.300s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fprintf(f, "%s\n", content) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "%.300s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "%.300s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename to %.300s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* Creates the handle that hosts the mock cluster, the cluster and its
 * topics. Returns 0 or -1 (err filled); ctx owns what was created. */
static int cluster_start(struct broker_ctx *ctx, char *err, size_t errlen)
{
    const struct options *opt = ctx->opt;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    int i, replication = opt->brokers < 3 ? opt->brokers : 3;

    rd_kafka_conf_set_log_cb(conf, rk_log_cb);
    if (rd_kafka_conf_set(conf, "client.id", "ossd-mockbroker", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK ||
        (opt->debug != NULL && rd_kafka_conf_set(conf, "debug", opt->debug, errstr,
                                                 sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
        snprintf(err, errlen, "librdkafka config: %.300s", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    ctx->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (ctx->rk == NULL) {
        snprintf(err, errlen, "rd_kafka_new: %.300s", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    conf = NULL; /* owned by ctx->rk */

    ctx->mc = rd_kafka_mock_cluster_new(ctx->rk, opt->brokers);
    if (ctx->mc == NULL) {
        snprintf(err, errlen, "could not create a mock cluster of %d broker(s)", opt->brokers);
        return -1;
    }
    for (i = 0; i < opt->topic_cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(ctx->mc, opt->topics[i].name,
                                                           opt->topics[i].partitions, replication);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(err, errlen, "create topic %s: %s", opt->topics[i].name, rd_kafka_err2str(e));
            return -1;
        }
        logmsg("topic %s: %d partition(s), replication %d", opt->topics[i].name,
               opt->topics[i].partitions, replication);
    }
    return 0;
}

/* Sets every broker up or down, one by one (broker ids are 1..N). */
static void brokers_set(struct broker_ctx *ctx, int up)
{
    int id;

    for (id = 1; id <= ctx->opt->brokers; id++) {
        rd_kafka_resp_err_t e = up ? rd_kafka_mock_broker_set_up(ctx->mc, id)
                                   : rd_kafka_mock_broker_set_down(ctx->mc, id);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            logmsg("broker %d: set %s failed: %s", id, up ? "up" : "down", rd_kafka_err2str(e));
    }
    logmsg("all %d broker(s) %s", ctx->opt->brokers,
           up ? "up: accepting connections" : "down: connections closed, data kept");
}

/* Removes path if it still holds "content\n": another instance may have
 * replaced it since (a restart racing with our shutdown). */
static void unlink_if_ours(const char *path, const char *content)
{
    char buf[1024];
    size_t n, len = strlen(content);
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return;
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n == len + 1 && memcmp(buf, content, len) == 0 && buf[len] == '\n')
        unlink(path);
}

static void ctx_cleanup(struct broker_ctx *ctx)
{
    char pid[32];

    /* The files go first: once the bootstrap file is gone nobody should
     * connect, and the pid file goes last, just before we exit. */
    if (ctx->wrote_bootstrap && ctx->mc != NULL)
        unlink_if_ours(ctx->opt->bootstrap_file, rd_kafka_mock_cluster_bootstraps(ctx->mc));
    if (ctx->mc != NULL)
        rd_kafka_mock_cluster_destroy(ctx->mc);
    ctx->mc = NULL;
    if (ctx->rk != NULL)
        rd_kafka_destroy(ctx->rk);
    ctx->rk = NULL;
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if (ctx->wrote_pid)
        unlink_if_ours(ctx->opt->pid_file, pid);
}

int main(int argc, char **argv)
{
    struct options opt;
    struct broker_ctx ctx;
    char err[512], buf[64];
    const char *bootstraps;
    int rc, exit_code = 1;

    memset(&ctx, 0, sizeof(ctx));
    ctx.opt = &opt;
    rc = parse_args(argc, argv, &opt, err, sizeof(err));
    if (rc != 0) {
        if (rc > 0) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "ossd-mockbroker: %s\n", err);
        usage(stderr);
        return 2;
    }
    if (install_signals() != 0) {
        logmsg("sigaction: %s", strerror(errno));
        return 1;
    }

    if (cluster_start(&ctx, err, sizeof(err)) != 0) {
        logmsg("%s", err);
        goto out;
    }
    bootstraps = rd_kafka_mock_cluster_bootstraps(ctx.mc);
    if (opt.pid_file != NULL) {
        snprintf(buf, sizeof(buf), "%ld", (long)getpid());
        if (write_file_atomic(opt.pid_file, buf, err, sizeof(err)) != 0) {
            logmsg("pid file: %s", err);
            goto out;
        }
        ctx.wrote_pid = 1;
    }
    /* Written last: its appearance tells a waiting script we are ready. */
    if (opt.bootstrap_file != NULL) {
        if (write_file_atomic(opt.bootstrap_file, bootstraps, err, sizeof(err)) != 0) {
            logmsg("bootstrap file: %s", err);
            goto out;
        }
        ctx.wrote_bootstrap = 1;
    }
    logmsg("ready: %d broker(s) at %s (librdkafka %s)", opt.brokers, bootstraps,
           rd_kafka_version_str());

    while (!sig_stop) {
        if (sig_down) {
            sig_down = 0;
            brokers_set(&ctx, 0);
        }
        if (sig_up) {
            sig_up = 0;
            brokers_set(&ctx, 1);
        }
        rd_kafka_poll(ctx.rk, 100);
    }
    logmsg("stopping");
    exit_code = 0;
out:
    ctx_cleanup(&ctx);
    return exit_code;
}
