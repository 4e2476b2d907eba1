/* ossctl_redecide: the stored inputs decided again, in their order, changing nothing. */
#include "ossctl_redecide.h"

#include <endian.h>
#include <getopt.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <malloc.h>
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
enum { C_ID, C_STATUS, C_REASONS, C_INPUT, C_DECIDED_MS, C_PARTITION, C_OFFSET, C_NIB_NEW, C_SEQ };

/*
 * The stored decisions with their input, in decision order: decision_seq, the order ossd made
 * them in (unique; its partial index submissions_decision_seq_idx of 009_record lets the cursor
 * stream in that order without a sort). A row without either is not examinable. Fetched in
 * binary: text arrives as its bytes, the numbers as int8 (col_i64). The activities an issued
 * submission registered (their risks) are read on a second connection in the same snapshot,
 * while the chain already runs (only the risk comparison waits for them).
 */
#define CURSOR_SQL                                                                                 \
    "DECLARE redecide NO SCROLL CURSOR FOR "                                                       \
    "SELECT submission_id, status, coalesce(reasons::text, '[]'), input, "                         \
    "(extract(epoch FROM decided_at) * 1000)::bigint, src_partition::bigint, "                     \
    "src_offset::bigint, coalesce(nib_new::text, ''), decision_seq::bigint AS seq FROM "           \
    "submissions "                                                                                 \
    "WHERE input IS NOT NULL AND decision_seq IS NOT NULL "                                        \
    "AND ($1::timestamptz IS NULL OR decided_at <= $1::timestamptz) ORDER BY decision_seq"
/* Rows to replay up to --until ($1), and those without input or order from --since ($2) on. */
#define COUNT_SQL                                                                                  \
    "SELECT count(*) FILTER (WHERE input IS NOT NULL AND decision_seq IS NOT NULL), "              \
    "count(*) FILTER (WHERE (input IS NULL OR decision_seq IS NULL) "                              \
    "AND ($2::timestamptz IS NULL OR decided_at >= $2::timestamptz)) "                             \
    "FROM submissions WHERE ($1::timestamptz IS NULL OR decided_at <= $1::timestamptz)"
#define ACTIVITIES_SQL "SELECT submission_id, kbli, risk FROM activities"

/*
 * The stored activities by submission: an open-addressing table over the rows of
 * ACTIVITIES_SQL (kept), each slot the first and last row of one submission_id, the rows of a
 * submission chained in result order. No copy, no allocation per row: the activities are as
 * many as the decisions.
 */
struct risk_slot {
    uint64_t hash;
    int first, last; /* rows; first -1: empty */
};
struct risk_index {
    const PGresult *res;
    struct risk_slot *slots;
    size_t mask;
    int *next; /* per row: the next row of the same submission, or -1 */
};
/*
 * The NIB actions up to --until ($1), in decision order (their decision_seq and the
 * submissions' come from one sequence, ossd_decision_seq): the exact input, what was decided
 * ("applied" or the refusal's code), and the key of the business actor that holds the NIB now
 * (the replay numbers its actors itself, so an NIB is found by its actor, not by its digits).
 * Fetched in binary like the cursor: text arrives as its bytes.
 */
#define ACTIONS_SQL                                                                                \
    "SELECT a.action_id, a.input, a.nib::text, a.action, "                                         \
    "CASE WHEN a.applied THEN 'applied' ELSE coalesce(a.error_code, '?') END, "                    \
    "coalesce(b.actor_key, ''), a.decision_seq::text AS seq, "                                     \
    "(extract(epoch FROM a.decided_at) * 1000)::bigint::text "                                     \
    "FROM nib_actions a LEFT JOIN business_actors b ON b.nib = a.nib "                             \
    "WHERE $1::timestamptz IS NULL OR a.decided_at <= $1::timestamptz ORDER BY a.decision_seq"
enum { A_ID, A_INPUT, A_NIB, A_ACTION, A_OLD, A_ACTOR_KEY, A_SEQ, A_DECIDED_MS };

/* An int8 column of a binary result (0 for NULL). */
static int64_t col_i64(const PGresult *r, int row, int col)
{
    uint64_t v;
    if (PQgetlength(r, row, col) != (int)sizeof(v))
        return 0;
    memcpy(&v, PQgetvalue(r, row, col), sizeof(v));
    return (int64_t)be64toh(v);
}

/* One FETCH: its rows, and what the workers made of them. */
struct row {
    char *old_lines;  /* owned: the stored reasons as sorted "code path" lines (reason_lines);
                         NULL: none */
    char *new_lines;  /* owned: the chain's reasons, the same way (NULL: none, or not decided) */
    char *risk_why;   /* owned: "risk:KBLI:OLD>NEW ..." against the stored activities, or NULL */
    size_t risk_diff; /* activities whose risk differs (issued before and by the chain now) */
    int64_t decided_ms;
};

struct chunk {
    PGresult *res;        /* owned; the items' inputs point into it */
    size_t n;             /* rows */
    struct item *items;   /* owned, n; gated and run through the chain by a worker */
    struct row *rows;     /* owned, n; filled by the worker */
    int done;             /* the worker finished (under the queue lock) */
    struct worker *owner; /* the worker that made items and rows: it frees them, in its arena */
    struct chunk *next;   /* the queue, in fetch order */
};

/* The work queue: chunks in fetch order, appended by the fetch thread; workers take the first
 * not taken yet; the main thread replays the head once it is done. */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t work, done, room;
    struct chunk *head, *tail, *next_work; /* next_work: first chunk no worker took */
    size_t inflight, max_inflight;         /* chunks fetched and not replayed yet */
    int stop, eof, failed;                 /* failed: the fetch thread reported an error */
    size_t fetched;                        /* rows */
    const struct risk_index *risks; /* the stored activities' risks (work_chunk_risks waits) */
    struct chunk *spent; /* replayed chunks, their items and rows freed by their worker: their
                            results freed by the fetch thread between FETCHes */
};

static void reason_lines(const json_t *reasons, struct buf *out);
static size_t risk_changes(const struct risk_index *ri, const char *sid, const struct item *it,
                           struct buf *why);

struct worker {
    pthread_t thread;
    struct queue *q;
    struct pipeline *pipeline; /* owned; one per thread (pipeline_run is single-threaded) */
    const struct ossd_refdata *rd;
    struct chunk *spent; /* replayed chunks whose items and rows this worker is to free */
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
            it->partition = (int32_t)col_i64(c->res, (int)i, C_PARTITION);
            it->offset = col_i64(c->res, (int)i, C_OFFSET);
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
        struct row *r = &c->rows[i];
        const char *old_text = PQgetvalue(c->res, (int)i, C_REASONS);
        if (strcmp(old_text, "[]") != 0) { /* "[]": an issued decision, no JSON to parse */
            struct buf b = {0};
            json_error_t jerr;
            json_t *old = json_loads(old_text, 0, &jerr);
            reason_lines(old, &b);
            json_decref(old);
            r->old_lines = b.data;
        }
        if (it->kind == ITEM_DECIDE && json_array_size(it->reasons) > 0) {
            struct buf nb = {0};
            reason_lines(it->reasons, &nb);
            r->new_lines = nb.data;
        }
        r->decided_ms = col_i64(c->res, (int)i, C_DECIDED_MS);
    }
}

/* The risk levels of c's items against the stored activities, once work_chunk made them.
 * They are the chain's (decide_complete): compared here, not in the replay; the replay uses
 * the result when the decision stays issued. */
static void work_chunk_risks(struct chunk *c, const struct risk_index *risks)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct item *it = &c->items[i];
        struct row *r = &c->rows[i];
        if (it->kind == ITEM_DECIDE && !it->rejected &&
            strcmp(PQgetvalue(c->res, (int)i, C_STATUS), "issued") == 0) {
            struct buf rb = {0};
            r->risk_diff = risk_changes(risks, PQgetvalue(c->res, (int)i, C_ID), it, &rb);
            if (r->risk_diff)
                r->risk_why = rb.data;
            else
                buf_free(&rb);
        }
    }
}

static void chunk_free_rows(struct chunk *c);

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct queue *q = w->q;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->next_work && !q->stop && !w->spent)
            pthread_cond_wait(&q->work, &q->mu);
        if (w->spent) { /* freed by the thread that allocated them, not across arenas */
            struct chunk *spent = w->spent;
            w->spent = NULL;
            pthread_mutex_unlock(&q->mu);
            for (struct chunk *c = spent; c; c = c->next)
                chunk_free_rows(c);
            pthread_mutex_lock(&q->mu);
            while (spent) {
                struct chunk *next = spent->next;
                spent->next = q->spent;
                q->spent = spent;
                spent = next;
            }
            continue;
        }
        if (!q->next_work)
            break;
        struct chunk *c = q->next_work;
        q->next_work = c->next;
        c->owner = w;
        pthread_mutex_unlock(&q->mu);
        work_chunk(w, c);
        /* The stored activities are loaded meanwhile: only the risk comparison waits for them. */
        pthread_mutex_lock(&q->mu);
        while (!q->risks && !q->stop)
            pthread_cond_wait(&q->work, &q->mu);
        const struct risk_index *risks = q->risks;
        pthread_mutex_unlock(&q->mu);
        if (risks)
            work_chunk_risks(c, risks);
        pthread_mutex_lock(&q->mu);
        c->done = 1;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* The items and rows of c (what its worker made) freed. */
static void chunk_free_rows(struct chunk *c)
{
    for (size_t i = 0; i < c->n && c->items; i++)
        item_clear(&c->items[i]);
    for (size_t i = 0; i < c->n && c->rows; i++) {
        free(c->rows[i].old_lines);
        free(c->rows[i].new_lines);
        free(c->rows[i].risk_why);
    }
    free(c->items);
    free(c->rows);
    c->items = NULL;
    c->rows = NULL;
}

static void chunk_free(struct chunk *c)
{
    if (!c)
        return;
    chunk_free_rows(c);
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

/* The slot of submission sid: its rows, or an empty one (first -1) where it would go. */
static struct risk_slot *risk_find(const struct risk_index *ri, const char *sid, uint64_t h)
{
    for (size_t i = h & ri->mask;; i = (i + 1) & ri->mask) {
        struct risk_slot *e = &ri->slots[i];
        if (e->first < 0 || (e->hash == h && strcmp(PQgetvalue(ri->res, e->first, 0), sid) == 0))
            return e;
    }
}

/* ri over the rows of res (submission_id, kbli, risk). */
static void risk_index_build(struct risk_index *ri, const PGresult *res)
{
    int n = PQntuples(res);
    size_t cap = 64;

    while (cap < (size_t)n * 2)
        cap *= 2;
    ri->res = res;
    ri->mask = cap - 1;
    ri->slots = xmalloc(cap * sizeof(*ri->slots));
    for (size_t i = 0; i < cap; i++)
        ri->slots[i].first = -1;
    ri->next = xmalloc(((size_t)n + 1) * sizeof(*ri->next));
    for (int row = 0; row < n; row++) {
        const char *sid = PQgetvalue(res, row, 0);
        uint64_t h = strmap_hash(sid);
        struct risk_slot *e = risk_find(ri, sid, h);
        ri->next[row] = -1;
        if (e->first < 0) {
            e->hash = h;
            e->first = e->last = row;
        } else {
            ri->next[e->last] = row;
            e->last = row;
        }
    }
}

static void risk_index_free(struct risk_index *ri)
{
    free(ri->slots);
    free(ri->next);
    memset(ri, 0, sizeof(*ri));
}

/* The risk the stored activities of a submission (from row first on) give kbli, the last row
 * of it winning, into risk[3] ("" when absent). */
static void risk_of(const struct risk_index *ri, int first, const char *kbli, char risk[3])
{
    risk[0] = '\0';
    for (int row = first; row >= 0; row = ri->next[row]) {
        const char *r = PQgetvalue(ri->res, row, 2);
        if (r[0] && strncmp(PQgetvalue(ri->res, row, 1), kbli, 5) == 0) {
            risk[0] = r[0]; /* at most two characters, as risk[3] holds */
            risk[1] = r[1];
            risk[2] = '\0';
        }
    }
}

/* Appends "risk:KBLI:OLD>NEW" (OLD "-" when the stored decision registered none) for each
 * activity of an issued item whose risk differs from the stored activities of submission sid,
 * space-separated, to why; returns how many differ, counting a stored activity the new
 * decision lacks. */
static size_t risk_changes(const struct risk_index *ri, const char *sid, const struct item *it,
                           struct buf *why)
{
    size_t diff = 0, n_was = 0;
    const struct risk_slot *e = risk_find(ri, sid, strmap_hash(sid));
    char a[3];

    for (int row = e->first; row >= 0; row = ri->next[row])
        n_was++;
    for (size_t i = 0; i < it->n_act; i++) {
        risk_of(ri, e->first, it->act[i].kbli, a);
        if (strcmp(a, it->act[i].risk) == 0)
            continue;
        buf_printf(why, "%srisk:%s:%s>%s", why->len ? " " : "", it->act[i].kbli, a[0] ? a : "-",
                   it->act[i].risk);
        diff++;
    }
    return diff + (n_was > it->n_act ? n_was - it->n_act : 0);
}

/* What the replay keeps between chunks, and the figures. */
struct replay {
    struct decide_state d; /* actors, activities and submission ids, from the replay alone */
    int64_t next_actor_id;
    int64_t since_ms; /* INT64_MIN: no --since */
    size_t replayed, examined, changed;
    struct summary sum;
    FILE *csv; /* NULL: no --out */
    struct buf lines, why;
    const PGresult *actions;  /* the NIB actions (ACTIONS_SQL), or NULL: no table */
    int next_action;          /* the first not replayed yet */
    struct strmap action_ids; /* action_id -> (void *)1: consumed by the replay */
    size_t act_replayed, act_examined, act_changed;
    struct strmap act_transitions; /* "old -> new" -> count */
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
    const struct row *row = &c->rows[i];
    const char *old = PQgetvalue(c->res, (int)i, C_STATUS);
    char deadbuf[48];
    const char *new = new_outcome(it, deadbuf, sizeof(deadbuf));
    const char *new_lines = "", *old_lines = row->old_lines ? row->old_lines : "";
    int changed = strcmp(old, new) != 0;

    if (it->out_kind == ITEM_DECIDE) {
        /* The core added reasons (ACTIVITY_DUPLICATE, NPWP_REQUIRED): their lines again. */
        if (json_array_size(it->out_reasons) != json_array_size(it->reasons)) {
            reason_lines(it->out_reasons, &rp->lines);
            new_lines = rp->lines.data;
        } else {
            new_lines = row->new_lines ? row->new_lines : "";
        }
    }
    changed |= strcmp(old_lines, new_lines) != 0;
    buf_reset(&rp->why);
    buf_putc(&rp->why, '\0');
    rp->why.len = 0;
    if (strcmp(old, "issued") == 0 && strcmp(new, "issued") == 0) {
        if (row->risk_diff) {
            changed = 1;
            buf_puts(&rp->why, row->risk_why);
        }
        /* The NIB was new with this decision, or an earlier one of the actor made it. */
        int was_new = strcmp(PQgetvalue(c->res, (int)i, C_NIB_NEW), "true") == 0;
        if (was_new != (it->nib_new != 0)) {
            changed = 1;
            buf_printf(&rp->why, "%snib_new:%s>%s", rp->why.len ? " " : "",
                       was_new ? "true" : "false", it->nib_new ? "true" : "false");
        }
    }
    rp->examined++;
    if (!changed)
        return;
    rp->changed++;
    char tr[96];
    struct strmap oc = {0}, nc = {0};
    snprintf(tr, sizeof(tr), "%s -> %s", old, new);
    count(&rp->sum.transitions, tr, 1);
    code_counts(old_lines, &oc);
    code_counts(new_lines, &nc);
    for (size_t k = 0; k < nc.cap; k++) {
        const struct strmap_entry *e = &nc.slots[k];
        if (e->key && (uintptr_t)e->value > (uintptr_t)strmap_get(&oc, e->key)) {
            count(&rp->sum.gained, e->key, 1);
            buf_printf(&rp->why, "%s+%s", rp->why.len ? " " : "", e->key);
        }
    }
    for (size_t k = 0; k < oc.cap; k++) {
        const struct strmap_entry *e = &oc.slots[k];
        if (e->key && (uintptr_t)e->value > (uintptr_t)strmap_get(&nc, e->key)) {
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

/* A string member of an NIB action's input, or the stored column when the input lacks it. */
static const char *input_str(const json_t *doc, const char *key, const char *column)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : column;
}

/*
 * Replays the stored NIB actions decided before decision number seq (INT64_MAX: all that are
 * left) on the replay's actors, as store_lifecycle applies them: a second consumption of an
 * action_id is DUPLICATE_CONFLICT (one with the same bytes was never stored), an NIB whose actor
 * the replay has not created yet (or no actor holds) NIB_UNKNOWN, a transition decide_nib_next
 * refuses TRANSITION_INVALID; else the actor's NIB status changes and the decisions after it see
 * it. The outcome is derived again from the input and the replayed status, never copied from
 * the stored one, and compared with it.
 */
static void replay_actions(struct replay *rp, int64_t seq)
{
    const PGresult *a = rp->actions;

    for (; a && rp->next_action < PQntuples(a); rp->next_action++) {
        int i = rp->next_action;
        if (strtoll(PQgetvalue(a, i, A_SEQ), NULL, 10) >= seq)
            break;
        json_t *doc =
            json_loadb(PQgetvalue(a, i, A_INPUT), (size_t)PQgetlength(a, i, A_INPUT), 0, NULL);
        const char *aid = input_str(doc, "action_id", PQgetvalue(a, i, A_ID));
        const char *what = input_str(doc, "action", PQgetvalue(a, i, A_ACTION));
        const char *key = PQgetvalue(a, i, A_ACTOR_KEY);
        struct decide_actor *ac = key[0] ? strmap_get(&rp->d.actors, key) : NULL;
        const char *new = "applied", *next = NULL;

        if (strmap_get(&rp->action_ids, aid)) {
            new = "DUPLICATE_CONFLICT";
        } else {
            strmap_put(&rp->action_ids, aid, (void *)1);
            /* An actor of the chunk being replayed exists once its first decision is made. */
            if (!ac || (ac->is_new && !ac->first_used))
                new = "NIB_UNKNOWN";
            else if (!(next = decide_nib_next(what, ac->nib_status)))
                new = "TRANSITION_INVALID";
            else
                snprintf(ac->nib_status, sizeof(ac->nib_status), "%s", next);
        }
        json_decref(doc);
        rp->act_replayed++;
        if (strtoll(PQgetvalue(a, i, A_DECIDED_MS), NULL, 10) < rp->since_ms)
            continue;
        rp->act_examined++;
        const char *old = PQgetvalue(a, i, A_OLD);
        if (strcmp(old, new) != 0) {
            char tr[96];
            snprintf(tr, sizeof(tr), "%s -> %s", old, new);
            count(&rp->act_transitions, tr, 1);
            rp->act_changed++;
        }
    }
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
        replay_actions(rp, col_i64(c->res, (int)i, C_SEQ));
        if (it->out_kind == ITEM_DECIDE)
            decide_item(&rp->d, it);
        rp->replayed++;
        if (c->rows[i].decided_ms >= rp->since_ms)
            compare_row(rp, c, i);
    }
}

/* ---- reading ------------------------------------------------------------------------------ */

/* The fetch thread: FETCH after FETCH of the cursor on conn, each a chunk queued for the
 * workers, at most max_inflight chunks ahead of the replay. */
struct fetcher {
    pthread_t thread;
    PGconn *conn;
    struct queue *q;
};

static void *fetch_main(void *arg)
{
    struct fetcher *f = arg;
    struct queue *q = f->q;
    char sql[64];

    snprintf(sql, sizeof(sql), "FETCH %d FROM redecide", CHUNK_ROWS);
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->inflight >= q->max_inflight && !q->stop)
            pthread_cond_wait(&q->room, &q->mu);
        int stop = q->stop;
        struct chunk *spent = q->spent;
        q->spent = NULL;
        pthread_mutex_unlock(&q->mu);
        while (spent) { /* off the replay's thread */
            struct chunk *next = spent->next;
            chunk_free(spent);
            spent = next;
        }
        if (stop)
            break;
        PGresult *r = PQexecParams(f->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "ossctl: redecide: %s", PQresultErrorMessage(r));
            PQclear(r);
            pthread_mutex_lock(&q->mu);
            q->failed = q->eof = 1;
            pthread_cond_broadcast(&q->done);
            pthread_mutex_unlock(&q->mu);
            break;
        }
        size_t n = (size_t)PQntuples(r);
        struct chunk *ch = NULL;
        if (n > 0) {
            ch = xcalloc(1, sizeof(*ch));
            ch->res = r;
            ch->n = n;
            ch->items = xcalloc(n, sizeof(*ch->items));
            ch->rows = xcalloc(n, sizeof(*ch->rows));
        } else {
            PQclear(r);
        }
        pthread_mutex_lock(&q->mu);
        if (ch) {
            if (q->tail)
                q->tail->next = ch;
            else
                q->head = ch;
            q->tail = ch;
            if (!q->next_work)
                q->next_work = ch;
            q->inflight++;
            q->fetched += n;
            pthread_cond_signal(&q->work);
        }
        if (n < CHUNK_ROWS) {
            q->eof = 1;
            pthread_cond_broadcast(&q->done);
        }
        int eof = q->eof;
        pthread_mutex_unlock(&q->mu);
        if (eof)
            break;
    }
    return NULL;
}

/* The activities loader: on a second connection in the snapshot of the first, every stored
 * activity's risk by the submission that registered it ("kbli=risk,..."), then the NIB actions
 * (ACTIONS_SQL), all in memory: they are few next to the submissions. */
struct loader {
    pthread_t thread;
    PGconn *conn;
    const char *snapshot;
    PGresult *activities;    /* owned: ACTIVITIES_SQL */
    struct risk_index risks; /* over activities */
    const char *until;       /* --until, or NULL */
    PGresult *actions;       /* owned: ACTIONS_SQL, or NULL when there is no nib_actions table */
    int failed;
};

static void *load_main(void *arg)
{
    struct loader *l = arg;
    char sql[128];
    PGresult *r = PQexec(l->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");

    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto fail;
    PQclear(r);
    /* The snapshot name is PostgreSQL's own (hex digits and dashes): no quoting to worry about. */
    snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%.64s'", l->snapshot);
    r = PQexec(l->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto fail;
    PQclear(r);
    r = PQexec(l->conn, ACTIVITIES_SQL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        goto fail;
    l->activities = r;
    risk_index_build(&l->risks, r);
    /* The NIB actions, where migration 007 made their table. */
    r = PQexec(l->conn, "SELECT to_regclass('nib_actions') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        goto fail;
    int has_actions = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (has_actions) {
        const char *p[1] = {l->until};
        r = PQexecParams(l->conn, ACTIONS_SQL, 1, NULL, p, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            goto fail;
        l->actions = r;
    }
    r = PQexec(l->conn, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto fail;
    PQclear(r);
    return NULL;
fail:
    fprintf(stderr, "ossctl: redecide: activities: %s", PQresultErrorMessage(r));
    PQclear(r);
    l->failed = 1;
    return NULL;
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
    int c, rc = 2, show = isatty(STDERR_FILENO), fetching = 0, loading = 0;
    char err[1024], snapshot[128] = "";
    PGconn *conn = NULL;
    PGresult *r = NULL;
    struct refdata *rdata = NULL;
    struct worker *workers = NULL;
    size_t n_workers = 0, not_examinable = 0, total = 0;
    struct queue q;
    struct replay rp;
    struct fetcher fetch;
    struct loader load;
    int64_t t0 = mono_ms();

    memset(&q, 0, sizeof(q));
    memset(&rp, 0, sizeof(rp));
    memset(&fetch, 0, sizeof(fetch));
    memset(&load, 0, sizeof(load));
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.work, NULL);
    pthread_cond_init(&q.done, NULL);
    pthread_cond_init(&q.room, NULL);
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
    /* Chunks (a FETCH result, their items) are megabytes, allocated and freed all the time by
     * several threads: from the heap, not mmap/munmap each time (every munmap is a TLB
     * shoot-down on every core the process runs on). */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /* A thread's arena grows its heap by exactly what an allocation lacks, one mprotect each
     * (thousands of them per run, each a TLB shoot-down too); its first heap is made with this
     * pad already usable (address space: pages are touched only when used). */
    mallopt(M_TOP_PAD, 32 << 20);
    if (!(conn = pgconn_open(pg, err, sizeof(err))) ||
        !(load.conn = pgconn_open(pg, err, sizeof(err)))) {
        fprintf(stderr, "ossctl: %s\n", err);
        goto out;
    }
    /* One snapshot for everything read: the reference data, the counts, the cursor, and (on the
     * second connection, through the exported snapshot) the activities. */
    if (exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0 ||
        exec_ok(conn, "SET LOCAL work_mem = '256MB'") != 0) /* the sort of the cursor */
        goto out;
    if (!(r = run(conn, "SELECT pg_export_snapshot()", 0, NULL, 0)))
        goto out;
    snprintf(snapshot, sizeof(snapshot), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    load.snapshot = snapshot;
    load.until = until;
    if (pthread_create(&load.thread, NULL, load_main, &load) != 0) {
        fprintf(stderr, "ossctl: redecide: cannot start a thread\n");
        goto out;
    }
    loading = 1;
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
    if (!(r = run(conn,
                  "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                  "'submissions'::regclass AND attname = 'input' AND NOT attisdropped) "
                  "AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'submissions'::regclass "
                  "AND attname = 'decision_seq' AND NOT attisdropped)",
                  0, NULL, 0)))
        goto out;
    int has_input = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    const char *cp[2] = {until, since};
    if (!(r = run(conn,
                  has_input ? COUNT_SQL
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
            fprintf(stderr, "ossctl: redecide: cannot start a thread\n");
            goto out;
        }
        n_workers++;
    }

    q.max_inflight = (size_t)jobs * 2 + 2;
    if (has_input) {
        const char *p[1] = {until};
        if (!(r = run(conn, CURSOR_SQL, 1, p, 0)))
            goto out;
        PQclear(r);
        r = NULL;
        fetch.conn = conn;
        fetch.q = &q;
        if (pthread_create(&fetch.thread, NULL, fetch_main, &fetch) != 0) {
            fprintf(stderr, "ossctl: redecide: cannot start a thread\n");
            goto out;
        }
        fetching = 1;
    } else {
        q.eof = 1;
    }
    pthread_join(load.thread, NULL); /* the activities, before the first comparison */
    loading = 0;
    if (load.failed)
        goto out;
    pthread_mutex_lock(&q.mu);
    q.risks = &load.risks;
    rp.actions = load.actions;
    pthread_cond_broadcast(&q.work);
    pthread_mutex_unlock(&q.mu);
    /* Replay the oldest chunk once its worker is done, until the fetch thread is at the end. */
    for (;;) {
        pthread_mutex_lock(&q.mu);
        while (!q.failed && !(q.head && q.head->done) && !(q.eof && !q.head))
            pthread_cond_wait(&q.done, &q.mu);
        if (q.failed || !q.head) {
            pthread_mutex_unlock(&q.mu);
            break;
        }
        struct chunk *ch = q.head;
        q.head = ch->next;
        if (!q.head)
            q.tail = NULL;
        q.inflight--;
        pthread_mutex_unlock(&q.mu);
        replay_chunk(&rp, ch);
        progress(rp.replayed, total, show);
        pthread_mutex_lock(&q.mu);
        ch->next = ch->owner->spent;
        ch->owner->spent = ch;
        pthread_cond_broadcast(&q.work);
        pthread_cond_signal(&q.room);
        pthread_mutex_unlock(&q.mu);
    }
    if (fetching) {
        pthread_join(fetch.thread, NULL);
        fetching = 0;
    }
    if (q.failed)
        goto out;
    replay_actions(&rp, INT64_MAX); /* those after the last submission */
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
    printf("replayed %zu stored inputs on %ld worker thread%s; examined %zu; %zu would change\n",
           rp.replayed, jobs, jobs == 1 ? "" : "s", rp.examined, rp.changed);
    if (not_examinable)
        printf("not examinable (decided before ossd kept its input): %zu\n", not_examinable);
    print_counts("transitions (old -> new)", &rp.sum.transitions);
    print_counts("reason codes gained", &rp.sum.gained);
    print_counts("reason codes lost", &rp.sum.lost);
    if (rp.actions) {
        printf("NIB actions: replayed %zu; examined %zu; %zu would be decided differently\n",
               rp.act_replayed, rp.act_examined, rp.act_changed);
        print_counts("NIB actions (old -> new)", &rp.act_transitions);
    }
    printf("{\"examined\": %zu, \"changed\": %zu, \"seconds\": %.3f}\n", rp.examined, rp.changed,
           seconds);
    fflush(stdout);
    rc = 0;
out:
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    q.next_work = NULL; /* workers finish their chunk and leave */
    pthread_cond_broadcast(&q.work);
    pthread_cond_broadcast(&q.room);
    pthread_mutex_unlock(&q.mu);
    if (fetching)
        pthread_join(fetch.thread, NULL);
    if (loading)
        pthread_join(load.thread, NULL);
    for (size_t i = 0; i < n_workers; i++)
        pthread_join(workers[i].thread, NULL);
    for (long i = 0; workers && i < jobs; i++)
        while (workers[i].spent) {
            struct chunk *ch = workers[i].spent;
            workers[i].spent = ch->next;
            chunk_free(ch);
        }
    for (long i = 0; workers && i < jobs; i++)
        pipeline_free(workers[i].pipeline);
    free(workers);
    while (q.head) {
        struct chunk *ch = q.head;
        q.head = ch->next;
        chunk_free(ch);
    }
    while (q.spent) {
        struct chunk *ch = q.spent;
        q.spent = ch->next;
        chunk_free(ch);
    }
    if (rp.csv)
        fclose(rp.csv);
    decide_free(&rp.d);
    strmap_free(&rp.sum.transitions, NULL);
    strmap_free(&rp.sum.gained, NULL);
    strmap_free(&rp.sum.lost, NULL);
    risk_index_free(&load.risks);
    PQclear(load.activities);
    strmap_free(&rp.action_ids, NULL);
    strmap_free(&rp.act_transitions, NULL);
    PQclear(load.actions);
    buf_free(&rp.lines);
    buf_free(&rp.why);
    PQclear(r);
    PQfinish(conn);
    PQfinish(load.conn);
    refdata_free(rdata);
    for (int k = 0; k < 4; k++)
        free(versions[k]);
    pthread_cond_destroy(&q.work);
    pthread_cond_destroy(&q.done);
    pthread_cond_destroy(&q.room);
    pthread_mutex_destroy(&q.mu);
    return rc;
}
