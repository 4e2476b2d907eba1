/* ossctl_redecide: the stored inputs decided again, in their order, changing nothing. */
#include "ossctl_redecide.h"

#include <getopt.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "decide.h"
#include "gate.h"
#include "item.h"
#include "log.h"
#include "pgconn.h"
#include "pipeline.h"
#include "refdata.h"
#include "strmap.h"
#include "util.h"

/* Rows per FETCH, and so per chunk of work (one chunk is replayed as one batch). */
#define CHUNK_ROWS 2048
/* Columns of the cursor, in order. */
enum { C_ID, C_STATUS, C_REASONS, C_INPUT, C_DECIDED_MS, C_PARTITION, C_OFFSET, C_RISKS };

/*
 * The stored decisions with their input, in decision order: decision_seq (the order ossd made
 * them; NULL for rows decided before it was recorded, which come first), then decided_at and the
 * source position. risks: the activities an issued submission registered, "kbli=risk,..." by
 * kbli. Everything text but the input, fetched in binary (text arrives as its bytes).
 */
#define CURSOR_SQL                                                                                 \
    "DECLARE redecide NO SCROLL CURSOR FOR "                                                       \
    "SELECT s.submission_id, s.status, coalesce(s.reasons::text, '[]'), s.input, "                 \
    "(extract(epoch FROM s.decided_at) * 1000)::bigint::text, s.src_partition::text, "             \
    "s.src_offset::text, coalesce(a.risks, '') "                                                   \
    "FROM submissions s LEFT JOIN (SELECT submission_id, "                                         \
    "string_agg(kbli || '=' || risk, ',' ORDER BY kbli) AS risks "                                 \
    "FROM activities GROUP BY submission_id) a USING (submission_id) "                             \
    "WHERE s.input IS NOT NULL AND ($1::timestamptz IS NULL OR s.decided_at <= $1::timestamptz) "  \
    "ORDER BY s.decision_seq NULLS FIRST, s.decided_at, s.src_partition, s.src_offset"

/* One FETCH: its rows, and what the workers made of them. */
struct chunk {
    PGresult *res;      /* owned; the items' inputs point into it */
    size_t n;           /* rows */
    struct item *items; /* owned, n; gated and run through the chain by a worker */
    int done;           /* the worker finished (under the queue lock) */
    struct chunk *next; /* the queue, in fetch order */
};

/* The work queue: chunks in fetch order; workers take the first not taken yet. */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct chunk *head, *tail, *next_work; /* next_work: first chunk no worker took */
    int stop;
};

struct worker {
    pthread_t thread;
    struct queue *q;
    struct pipeline *pipeline; /* owned; one per thread (pipeline_run is single-threaded) */
    const struct ossd_refdata *rd;
};

/* Counts per (old -> new) transition and per reason code gained or lost. */
struct summary {
    struct strmap transitions;  /* "old -> new" -> (void *)(uintptr_t)count */
    struct strmap gained, lost; /* code -> count */
};

static void count(struct strmap *m, const char *key, size_t by)
{
    uintptr_t n = (uintptr_t)strmap_get(m, key);
    strmap_put(m, key, (void *)(n + by));
}

/* Gate and chain for every row of c: what a worker does. A handler asking for a retry gets a
 * few more tries; one still asking leaves the item dead (INTERNAL_ERROR: "retry"). */
static void work_chunk(struct worker *w, struct chunk *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct item *it = &c->items[i];
        const char *value = PQgetvalue(c->res, (int)i, C_INPUT);
        size_t len = (size_t)PQgetlength(c->res, (int)i, C_INPUT);
        for (int attempt = 0;; attempt++) {
            memset(it, 0, sizeof(*it));
            it->partition = (int32_t)atoi(PQgetvalue(c->res, (int)i, C_PARTITION));
            it->offset = strtoll(PQgetvalue(c->res, (int)i, C_OFFSET), NULL, 10);
            gate_check(it, value, len);
            if (it->kind == ITEM_DECIDE)
                pipeline_run(w->pipeline, w->rd, it);
            if (!it->retry)
                break;
            item_clear(it);
            if (attempt == 4) {
                memset(it, 0, sizeof(*it));
                decide_dead_letter(it, "INTERNAL_ERROR", "a handler kept asking to retry");
                break;
            }
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct queue *q = w->q;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->next_work && !q->stop)
            pthread_cond_wait(&q->work, &q->mu);
        if (!q->next_work)
            break;
        struct chunk *c = q->next_work;
        q->next_work = c->next;
        pthread_mutex_unlock(&q->mu);
        work_chunk(w, c);
        pthread_mutex_lock(&q->mu);
        c->done = 1;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void chunk_free(struct chunk *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n && c->items; i++)
        item_clear(&c->items[i]);
    free(c->items);
    PQclear(c->res);
    free(c);
}

/* ---- comparing ---------------------------------------------------------------------------- */

/* The reasons of a JSON array as sorted "code path" lines into out; codes (each once per
 * occurrence) appended to codes as "code\n". */
static void reason_lines(const json_t *reasons, struct buf *out)
{
    size_t n = json_array_size(reasons), k = 0;
    char **lines = xcalloc(n + 1, sizeof(*lines));

    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(reasons, i);
        const char *code = json_string_value(json_object_get(r, "code"));
        const char *path = json_string_value(json_object_get(r, "path"));
        struct buf b = {0};
        buf_printf(&b, "%s %s", code ? code : "?", path ? path : "");
        lines[k++] = b.data;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a handful of reasons */
        for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    buf_reset(out);
    for (size_t i = 0; i < k; i++) {
        buf_puts(out, lines[i]);
        buf_putc(out, '\n');
        free(lines[i]);
    }
    buf_putc(out, '\0');
    free(lines);
}

/* The count of each code in sorted reason lines, as "code" -> count in m. */
static void code_counts(const char *lines, struct strmap *m)
{
    char code[64];
    for (const char *p = lines; *p;) {
        size_t n = strcspn(p, " \n");
        snprintf(code, sizeof(code), "%.*s", (int)(n < 63 ? n : 63), p);
        count(m, code, 1);
        p += strcspn(p, "\n");
        if (*p)
            p++;
    }
}

/* "kbli=risk,..." by kbli for an issued item, as the risks column has it. */
static void new_risks(const struct item *it, struct buf *out)
{
    size_t order[OSSD_MAX_ACTIVITIES];
    for (size_t i = 0; i < it->n_act; i++)
        order[i] = i;
    for (size_t i = 1; i < it->n_act; i++)
        for (size_t j = i; j > 0 && strcmp(it->act[order[j - 1]].kbli, it->act[order[j]].kbli) > 0;
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    buf_reset(out);
    for (size_t i = 0; i < it->n_act; i++)
        buf_printf(out, "%s%s=%s", i ? "," : "", it->act[order[i]].kbli, it->act[order[i]].risk);
    buf_putc(out, '\0');
}

/* The risk of kbli in a "kbli=risk,..." list into risk[3] ("" when absent). */
static void risk_of(const char *list, const char *kbli, char risk[3])
{
    risk[0] = '\0';
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 6 && strncmp(p, kbli, 5) == 0 && p[5] == '=')
            snprintf(risk, 3, "%.*s", (int)(n - 6 < 2 ? n - 6 : 2), p + 6);
        p += n;
        if (*p)
            p++;
    }
}

/* "risk:KBLI:OLD>NEW" for each activity whose risk differs, space-separated, into why. */
static void risk_changes(const char *was, const char *now, struct buf *why)
{
    char kbli[6], a[3], b[3];
    for (const char *p = now; *p;) {
        size_t n = strcspn(p, ",");
        snprintf(kbli, sizeof(kbli), "%.5s", p);
        risk_of(was, kbli, a);
        risk_of(now, kbli, b);
        if (strcmp(a, b) != 0)
            buf_printf(why, "%srisk:%s:%s>%s", why->len ? " " : "", kbli, a[0] ? a : "-", b);
        p += n;
        if (*p)
            p++;
    }
}

/* What the replay keeps between chunks, and the figures. */
struct replay {
    struct decide_state d; /* actors, activities and submission ids, from the replay alone */
    int64_t next_actor_id;
    int64_t since_ms; /* INT64_MIN: no --since */
    size_t replayed, examined, changed;
    struct summary sum;
    FILE *csv; /* NULL: no --out */
    struct buf old_lines, new_lines, old_risks, risks, why;
};

/* The outcome name of a new decision. */
static const char *new_outcome(const struct item *it, char *buf, size_t len)
{
    if (it->out_kind == ITEM_DECIDE)
        return it->out_rejected ? "rejected" : "issued";
    if (it->out_kind == ITEM_SKIP)
        return "duplicate";
    snprintf(buf, len, "dead:%s", it->dead_code ? it->dead_code : "?");
    return buf;
}

/* Compares one replayed row with its stored decision; counts and writes it when it changed. */
static void compare_row(struct replay *rp, const struct chunk *c, size_t i)
{
    const struct item *it = &c->items[i];
    const char *old = PQgetvalue(c->res, (int)i, C_STATUS);
    char deadbuf[48];
    const char *new = new_outcome(it, deadbuf, sizeof(deadbuf));
    json_error_t jerr;
    json_t *old_reasons = json_loads(PQgetvalue(c->res, (int)i, C_REASONS), 0, &jerr);
    struct strmap oc = {0}, nc = {0};
    int changed = strcmp(old, new) != 0;

    reason_lines(old_reasons, &rp->old_lines);
    json_decref(old_reasons);
    reason_lines(it->out_kind == ITEM_DECIDE ? it->out_reasons : NULL, &rp->new_lines);
    changed |= strcmp(rp->old_lines.data, rp->new_lines.data) != 0;
    buf_reset(&rp->why);
    buf_putc(&rp->why, '\0');
    rp->why.len = 0;
    if (strcmp(old, "issued") == 0 && strcmp(new, "issued") == 0) {
        new_risks(it, &rp->risks);
        const char *was = PQgetvalue(c->res, (int)i, C_RISKS);
        if (strcmp(was, rp->risks.data) != 0) {
            changed = 1;
            risk_changes(was, rp->risks.data, &rp->why);
        }
    }
    rp->examined++;
    if (!changed)
        return;
    rp->changed++;
    char tr[96];
    snprintf(tr, sizeof(tr), "%s -> %s", old, new);
    count(&rp->sum.transitions, tr, 1);
    code_counts(rp->old_lines.data, &oc);
    code_counts(rp->new_lines.data, &nc);
    for (size_t k = 0; k < nc.cap; k++) {
        const struct strmap_entry *e = &nc.slots[k];
        if (!e->key)
            continue;
        uintptr_t was = (uintptr_t)strmap_get(&oc, e->key), now = (uintptr_t)e->value;
        if (now > was) {
            count(&rp->sum.gained, e->key, 1);
            buf_printf(&rp->why, "%s+%s", rp->why.len ? " " : "", e->key);
        }
    }
    for (size_t k = 0; k < oc.cap; k++) {
        const struct strmap_entry *e = &oc.slots[k];
        if (!e->key)
            continue;
        uintptr_t was = (uintptr_t)e->value, now = (uintptr_t)strmap_get(&nc, e->key);
        if (was > now) {
            count(&rp->sum.lost, e->key, 1);
            buf_printf(&rp->why, "%s-%s", rp->why.len ? " " : "", e->key);
        }
    }
    strmap_free(&oc, NULL);
    strmap_free(&nc, NULL);
    if (rp->csv) /* submission ids are of A-Za-z0-9._:- and need no quoting */
        fprintf(rp->csv, "%s,%s,%s,\"%s\"\n", PQgetvalue(c->res, (int)i, C_ID), old, new,
                rp->why.len ? rp->why.data : "");
}

/* The chunk decided as one batch of the daemon, through its core: duplicates, new actors (the
 * replay numbers them), then each item in order. */
static void replay_chunk(struct replay *rp, struct chunk *c)
{
    struct batch b;
    const char **keys = xmalloc((c->n + 1) * sizeof(*keys));

    memset(&b, 0, sizeof(b));
    b.items = c->items;
    b.n = c->n;
    decide_reset_items(&b);
    decide_duplicates(&rp->d, &b);
    size_t nk = decide_new_actors(&rp->d, &b, keys);
    for (size_t k = 0; k < nk; k++)
        decide_set_actor_id(&rp->d, keys[k], ++rp->next_actor_id);
    free(keys);
    for (size_t i = 0; i < c->n; i++) {
        struct item *it = &c->items[i];
        if (it->out_kind == ITEM_DECIDE)
            decide_item(&rp->d, it);
        rp->replayed++;
        if (strtoll(PQgetvalue(c->res, (int)i, C_DECIDED_MS), NULL, 10) >= rp->since_ms)
            compare_row(rp, c, i);
    }
}

/* ---- output ------------------------------------------------------------------------------- */

struct kv {
    const char *key;
    uintptr_t n;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* The entries of m, most first. */
static void print_counts(const char *title, const struct strmap *m)
{
    struct kv *v = xcalloc(m->n + 1, sizeof(*v));
    size_t n = 0;

    for (size_t k = 0; k < m->cap; k++)
        if (m->slots[k].key)
            v[n++] = (struct kv){m->slots[k].key, (uintptr_t)m->slots[k].value};
    qsort(v, n, sizeof(*v), kv_cmp);
    printf("%s:%s\n", title, n ? "" : " none");
    for (size_t i = 0; i < n; i++)
        printf("  %-40s %zu\n", v[i].key, (size_t)v[i].n);
    free(v);
}

static void progress(size_t done, size_t total, int show)
{
    if (!show)
        return;
    int width = 40, fill = total ? (int)((double)done / (double)total * width) : width;
    fprintf(stderr, "\rredecide [%.*s%*s] %zu/%zu", fill,
            "########################################", width - fill, "", done, total);
    fflush(stderr);
}

/* ---- the command -------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: ossctl --config FILE redecide [--since T] [--until T] "
                    "[--refdata-version KIND=V ...] [--out FILE.csv] [--jobs N]\n"
                    "  (KIND: kbli, regions, holidays, sla)\n");
    return 2;
}

static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params, int binary)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, binary);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    fprintf(stderr, "ossctl: redecide: %s", PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
}

/* A statement without rows: 0, or -1 (reported). */
static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = run(conn, sql, 0, NULL, 0);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* A time argument as epoch ms through PostgreSQL's own parser (what --since means there). */
static int parse_time(PGconn *conn, const char *t, int64_t *ms)
{
    const char *p[1] = {t};
    PGresult *r = run(conn, "SELECT (extract(epoch FROM $1::timestamptz) * 1000)::bigint", 1, p, 0);
    if (!r)
        return -1;
    *ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int ossctl_redecide_main(int argc, char **argv, const char *pg, const struct config *cfg)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"refdata-version", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *since = NULL, *until = NULL, *out_path = NULL;
    char *versions[4] = {NULL, NULL, NULL, NULL};
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    int c, rc = 2, show = isatty(STDERR_FILENO);
    char err[1024];
    PGconn *conn = NULL;
    PGresult *r = NULL;
    struct refdata *rdata = NULL;
    struct worker *workers = NULL;
    size_t n_workers = 0, not_examinable = 0, total = 0;
    struct queue q;
    struct replay rp;
    int64_t t0 = mono_ms();

    memset(&q, 0, sizeof(q));
    memset(&rp, 0, sizeof(rp));
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.work, NULL);
    pthread_cond_init(&q.done, NULL);
    rp.since_ms = INT64_MIN;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            since = optarg;
            break;
        case 'u':
            until = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 256) {
                fprintf(stderr, "ossctl: redecide: --jobs must be 1..256\n");
                goto out;
            }
            break;
        }
        case 'r': {
            const char *eq = strchr(optarg, '=');
            char kind_s[16];
            enum refdata_kind kind;
            if (!eq || !eq[1] || (size_t)(eq - optarg) >= sizeof(kind_s)) {
                fprintf(stderr, "ossctl: redecide: --refdata-version wants KIND=VERSION\n");
                goto out;
            }
            snprintf(kind_s, sizeof(kind_s), "%.*s", (int)(eq - optarg), optarg);
            if (refdata_kind_parse(kind_s, &kind) != 0) {
                fprintf(stderr, "ossctl: redecide: unknown reference-data kind '%s'\n", kind_s);
                goto out;
            }
            free(versions[kind]);
            versions[kind] = xstrdup(eq + 1);
            break;
        }
        default:
            usage();
            goto out;
        }
    }
    if (optind < argc || !cfg) {
        if (!cfg)
            fprintf(stderr, "ossctl: redecide needs --config (the daemon's: its handler chain)\n");
        usage();
        goto out;
    }
    if (jobs < 1)
        jobs = 1;
    (void)log_setup("stderr", "warning", err, sizeof(err));
    if (!(conn = pgconn_open(pg, err, sizeof(err)))) {
        fprintf(stderr, "ossctl: %s\n", err);
        goto out;
    }
    /* One snapshot for everything read: the reference data, the counts and the cursor. */
    if (exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0 ||
        exec_ok(conn, "SET LOCAL work_mem = '256MB'") != 0) /* the sort of the cursor */
        goto out;
    if (since && parse_time(conn, since, &rp.since_ms) != 0)
        goto out;
    if (until) {
        int64_t ignored;
        if (parse_time(conn, until, &ignored) != 0)
            goto out;
    }
    rdata = refdata_load_pg_versions(conn, (const char *const *)versions, err, sizeof(err));
    if (!rdata) {
        fprintf(stderr, "ossctl: redecide: %s\n", err);
        goto out;
    }
    /* Decisions stored before ossd kept their input cannot be examined. */
    if (!(r = run(
              conn,
              "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'submissions'::regclass "
              "AND attname = 'input' AND NOT attisdropped) "
              "AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'submissions'::regclass "
              "AND attname = 'decision_seq' AND NOT attisdropped)",
              0, NULL, 0)))
        goto out;
    int has_input = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    const char *cp[2] = {until, since};
    if (!(r = run(conn,
                  has_input
                      ? "SELECT count(*) FILTER (WHERE input IS NOT NULL), count(*) FILTER "
                        "(WHERE input IS NULL AND ($2::timestamptz IS NULL OR decided_at >= "
                        "$2::timestamptz)) FROM submissions WHERE ($1::timestamptz IS NULL OR "
                        "decided_at <= $1::timestamptz)"
                      : "SELECT 0, count(*) FROM submissions WHERE ($1::timestamptz IS NULL "
                        "OR decided_at <= $1::timestamptz) AND ($2::timestamptz IS NULL OR "
                        "decided_at >= $2::timestamptz)",
                  2, cp, 0)))
        goto out;
    total = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    not_examinable = (size_t)strtoull(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    r = NULL;
    if (out_path) {
        if (!(rp.csv = fopen(out_path, "w"))) {
            fprintf(stderr, "ossctl: redecide: %s: %m\n", out_path);
            goto out;
        }
        fprintf(rp.csv, "submission_id,old,new,reasons\n");
    }

    workers = xcalloc((size_t)jobs, sizeof(*workers));
    for (long i = 0; i < jobs; i++) {
        struct worker *w = &workers[i];
        w->q = &q;
        w->rd = refdata_api(rdata);
        if (!(w->pipeline = pipeline_new(cfg, err, sizeof(err)))) {
            fprintf(stderr, "ossctl: redecide: %s\n", err);
            goto out;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            pipeline_free(w->pipeline);
            w->pipeline = NULL;
            fprintf(stderr, "ossctl: redecide: cannot start a thread\n");
            goto out;
        }
        n_workers++;
    }

    if (has_input) {
        const char *p[1] = {until};
        if (!(r = run(conn, CURSOR_SQL, 1, p, 0)))
            goto out;
        PQclear(r);
        r = NULL;
    }
    size_t inflight = 0, max_inflight = (size_t)jobs * 2 + 2;
    int eof = !has_input;
    char fetch[64];
    snprintf(fetch, sizeof(fetch), "FETCH %d FROM redecide", CHUNK_ROWS);
    for (;;) {
        if (!eof && inflight < max_inflight) {
            PGresult *fr = run(conn, fetch, 0, NULL, 1);
            if (!fr)
                goto out;
            size_t n = (size_t)PQntuples(fr);
            if (n == 0) {
                PQclear(fr);
                eof = 1;
                continue;
            }
            struct chunk *ch = xcalloc(1, sizeof(*ch));
            ch->res = fr;
            ch->n = n;
            ch->items = xcalloc(n, sizeof(*ch->items));
            pthread_mutex_lock(&q.mu);
            if (q.tail)
                q.tail->next = ch;
            else
                q.head = ch;
            q.tail = ch;
            if (!q.next_work)
                q.next_work = ch;
            pthread_cond_signal(&q.work);
            pthread_mutex_unlock(&q.mu);
            inflight++;
            if (n < CHUNK_ROWS)
                eof = 1;
            continue;
        }
        if (inflight == 0)
            break;
        /* Replay the oldest chunk once its worker is done. */
        pthread_mutex_lock(&q.mu);
        while (!q.head->done)
            pthread_cond_wait(&q.done, &q.mu);
        struct chunk *ch = q.head;
        q.head = ch->next;
        if (!q.head)
            q.tail = NULL;
        pthread_mutex_unlock(&q.mu);
        inflight--;
        replay_chunk(&rp, ch);
        chunk_free(ch);
        progress(rp.replayed, total, show);
    }
    if (show)
        fprintf(stderr, "\n");
    if (exec_ok(conn, "COMMIT") != 0)
        goto out;
    if (rp.csv) {
        int bad = ferror(rp.csv);
        bad |= fclose(rp.csv) != 0;
        rp.csv = NULL;
        if (bad) {
            fprintf(stderr, "ossctl: redecide: %s: write failed\n", out_path);
            goto out;
        }
    }

    double seconds = (double)(mono_ms() - t0) / 1000.0;
    printf("reference data: kbli %s, regions %s, holidays %s, sla %s\n",
           refdata_kbli_version(rdata), refdata_region_version(rdata),
           refdata_holiday_version(rdata)[0] ? refdata_holiday_version(rdata) : "(none)",
           refdata_sla_version(rdata)[0] ? refdata_sla_version(rdata) : "(none)");
    printf("replayed %zu stored inputs; examined %zu; %zu would change\n", rp.replayed, rp.examined,
           rp.changed);
    if (not_examinable)
        printf("not examinable (decided before ossd kept its input): %zu\n", not_examinable);
    print_counts("transitions (old -> new)", &rp.sum.transitions);
    print_counts("reason codes gained", &rp.sum.gained);
    print_counts("reason codes lost", &rp.sum.lost);
    printf("{\"examined\": %zu, \"changed\": %zu, \"seconds\": %.3f}\n", rp.examined, rp.changed,
           seconds);
    fflush(stdout);
    rc = 0;
out:
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    q.next_work = NULL; /* workers finish their chunk and leave */
    pthread_cond_broadcast(&q.work);
    pthread_mutex_unlock(&q.mu);
    for (size_t i = 0; i < n_workers; i++)
        pthread_join(workers[i].thread, NULL);
    for (long i = 0; workers && i < jobs; i++)
        pipeline_free(workers[i].pipeline);
    free(workers);
    while (q.head) {
        struct chunk *ch = q.head;
        q.head = ch->next;
        chunk_free(ch);
    }
    if (rp.csv)
        fclose(rp.csv);
    decide_free(&rp.d);
    strmap_free(&rp.sum.transitions, NULL);
    strmap_free(&rp.sum.gained, NULL);
    strmap_free(&rp.sum.lost, NULL);
    buf_free(&rp.old_lines);
    buf_free(&rp.new_lines);
    buf_free(&rp.old_risks);
    buf_free(&rp.risks);
    buf_free(&rp.why);
    PQclear(r);
    PQfinish(conn);
    refdata_free(rdata);
    for (int k = 0; k < 4; k++)
        free(versions[k]);
    pthread_cond_destroy(&q.work);
    pthread_cond_destroy(&q.done);
    pthread_mutex_destroy(&q.mu);
    return rc;
}
