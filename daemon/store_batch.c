/* store_batch: the one PostgreSQL transaction per batch: dedupe, NIB, activities, permits,
 * outbox, offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "decide.h"
#include "pipeline.h"
#include "store_internal.h"

/* Everything one attempt allocates, freed on every exit path. */
struct attempt {
    struct decide_state d; /* what was loaded, and the decisions made from it */
    struct buf subs, acts_copy, permits_copy, actors_copy, outbox, dead, scratch, key;
    char err[1024];
};

static void attempt_free(struct attempt *a)
{
    decide_free(&a->d);
    buf_free(&a->subs);
    buf_free(&a->acts_copy);
    buf_free(&a->permits_copy);
    buf_free(&a->actors_copy);
    buf_free(&a->outbox);
    buf_free(&a->dead);
    buf_free(&a->scratch);
    buf_free(&a->key);
}

static PGresult *query(struct store *st, struct attempt *a, const char *sql, int n,
                       const char *const *params, int binary)
{
    PGresult *r = PQexecParams(st->conn, sql, n, NULL, params, NULL, NULL, binary);
    if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
        return r;
    snprintf(a->err, sizeof(a->err), "%s", PQresultErrorMessage(r));
    a->err[strcspn(a->err, "\n")] = '\0';
    pg_note_error(r);
    PQclear(r);
    return NULL;
}

/* Step 1: the submission ids of the batch already decided, with their hash;
 * the core classifies duplicates and conflicts. */
static int classify_duplicates(struct store *st, struct attempt *a, struct batch *b)
{
    const char **ids = xmalloc((b->n + 1) * sizeof(*ids));
    size_t n = 0;
    PGresult *r;

    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].out_kind == ITEM_DECIDE && b->items[i].input == ITEM_INPUT_SUBMISSION)
            ids[n++] = b->items[i].submission_id;
    if (n == 0) {
        free(ids);
        return 0;
    }
    buf_reset(&a->scratch);
    pg_text_array(&a->scratch, ids, n);
    free(ids);
    const char *params[1] = {a->scratch.data};
    r = query(st, a,
              "SELECT submission_id, payload_sha256 FROM submissions "
              "WHERE submission_id = ANY($1::text[])",
              1, params, 1);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        if (PQgetlength(r, row, 1) != 32)
            continue;
        char *id = xstrndup(PQgetvalue(r, row, 0), (size_t)PQgetlength(r, row, 0));
        decide_known_submission(&a->d, id, (const unsigned char *)PQgetvalue(r, row, 1));
        free(id);
    }
    PQclear(r);
    decide_duplicates(&a->d, b);
    return 0;
}

/* Step 2: dead letters of offsets already recorded (a re-delivery after a
 * rebalance race) are not recorded or produced twice. */
static int mark_recorded_dead(struct store *st, struct attempt *a, struct batch *b)
{
    struct buf parts = {0}, offs = {0};
    const char **topics = xmalloc((b->n + 1) * sizeof(*topics));
    size_t n = 0;
    PGresult *r;

    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].out_kind != ITEM_DEAD)
            continue;
        buf_printf(&parts, "%s%d", n ? "," : "{", b->items[i].partition);
        buf_printf(&offs, "%s%lld", n ? "," : "{", (long long)b->items[i].offset);
        topics[n++] = b->items[i].topic;
    }
    if (n == 0) {
        free(topics);
        return 0;
    }
    buf_putc(&parts, '}');
    buf_putc(&offs, '}');
    buf_reset(&a->scratch);
    pg_text_array(&a->scratch, topics, n);
    free(topics);
    const char *params[3] = {a->scratch.data, parts.data, offs.data};
    r = query(st, a,
              "SELECT d.src_topic, d.src_partition, d.src_offset FROM dead_letters d "
              "JOIN unnest($1::text[], $2::int[], $3::bigint[]) AS t(s, p, o) "
              "ON d.src_topic = t.s AND d.src_partition = t.p AND d.src_offset = t.o",
              3, params, 0);
    buf_free(&parts);
    buf_free(&offs);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        const char *topic = PQgetvalue(r, row, 0);
        int p = atoi(PQgetvalue(r, row, 1));
        long long o = atoll(PQgetvalue(r, row, 2));
        for (size_t i = 0; i < b->n; i++)
            if (b->items[i].out_kind == ITEM_DEAD && b->items[i].partition == p &&
                b->items[i].offset == o && strcmp(b->items[i].topic, topic) == 0)
                b->items[i].dead_recorded = 1;
    }
    PQclear(r);
    return 0;
}

/* Records an actor's registered activities, from the array text form
 * {"33.74.01|14120",...} (elements hold only digits, dots and '|'). */
static void put_activities(struct attempt *a, int64_t actor_id, const char *arr)
{
    char district[24];
    const char *p = arr;

    while (*p) {
        while (*p == '{' || *p == ',' || *p == '"' || *p == '}')
            p++;
        size_t n = strcspn(p, ",}\"");
        if (n == 0 || n > 20)
            break;
        const char *bar = memchr(p, '|', n);
        if (bar) {
            snprintf(district, sizeof(district), "%.*s", (int)(bar - p), p);
            char kbli[24];
            snprintf(kbli, sizeof(kbli), "%.*s", (int)(n - (size_t)(bar - p) - 1), bar + 1);
            decide_known_activity(&a->d, actor_id, district, kbli);
        }
        p += n;
    }
}

/* Step 3: the business actors of the batch, with the activities they hold. */
static int load_actors(struct store *st, struct attempt *a, struct batch *b)
{
    const char **kv = xmalloc((b->n + 1) * sizeof(*kv));
    size_t n = decide_actor_keys(b, kv);
    PGresult *r;

    if (n == 0) {
        free(kv);
        return 0;
    }
    buf_reset(&a->scratch);
    pg_text_array(&a->scratch, kv, n);
    free(kv);
    const char *params[1] = {a->scratch.data};
    r = query(st, a,
              "SELECT b.actor_key, b.actor_id, b.nib, "
              "  ARRAY(SELECT x.district || '|' || x.kbli FROM activities x "
              "        WHERE x.actor_id = b.actor_id), b.nib_status "
              "FROM business_actors b WHERE b.actor_key = ANY($1::text[])",
              1, params, 0);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        int64_t id = atoll(PQgetvalue(r, row, 1));
        decide_known_actor(&a->d, PQgetvalue(r, row, 0), id, PQgetvalue(r, row, 2),
                           PQgetvalue(r, row, 4));
        put_activities(a, id, PQgetvalue(r, row, 3));
    }
    PQclear(r);
    return 0;
}

/* Step 4: actors of issued submissions that do not exist yet get an
 * actor_id (and so an NIB) from the identity sequence; they are written
 * with COPY. Another instance creating the same actor meanwhile makes the
 * COPY fail on the unique actor_key: the attempt is retried and finds it. */
static int create_actors(struct store *st, struct attempt *a, struct batch *b)
{
    const char **keys = xmalloc((b->n + 1) * sizeof(*keys));
    size_t n = 0;
    char cnt[32];
    PGresult *r;

    n = decide_new_actors(&a->d, b, keys);
    if (n == 0) {
        free(keys);
        return 0;
    }
    snprintf(cnt, sizeof(cnt), "%zu", n);
    const char *params[2] = {cnt, "business_actors_actor_id_seq"};
    r = query(st, a, "SELECT nextval($2::regclass) FROM generate_series(1, $1::int)", 2, params, 0);
    if (!r) {
        free(keys);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t id = atoll(PQgetvalue(r, (int)i, 0));
        decide_set_actor_id(&a->d, keys[i], id);
        if (a->actors_copy.len == 0)
            copyb_header(&a->actors_copy);
        copyb_fields(&a->actors_copy, 2);
        copyb_int8(&a->actors_copy, id);
        copyb_str(&a->actors_copy, keys[i]);
    }
    PQclear(r);
    free(keys);
    return 0;
}

/* The activities an issued submission registers. */
static void write_activities(struct attempt *a, const struct item *it)
{
    struct buf *ab = &a->acts_copy;

    for (size_t i = 0; i < it->n_act; i++) {
        const struct item_activity *x = &it->act[i];
        if (ab->len == 0)
            copyb_header(ab);
        copyb_fields(ab, 7);
        copyb_int8(ab, it->actor_id);
        copyb_str(ab, it->district);
        copyb_str(ab, x->kbli);
        copyb_str(ab, x->risk);
        copyb_str(ab, x->permit);
        copyb_str(ab, x->status);
        copyb_str(ab, it->submission_id);
    }
}

/* The permits of an issued submission's activities (docs/lifecycle.md), one per activity:
 * pending_verification with its clock running and the deadline decide_permits computed, or
 * issued with no clock. */
static void write_permits(struct attempt *a, const struct item *it, int64_t decided_ms)
{
    struct buf *pb = &a->permits_copy;
    const int32_t pg_epoch = cal_day_from_civil(2000, 1, 1); /* binary date: days since then */
    char pid[32];

    for (size_t i = 0; i < it->n_act; i++) {
        const struct item_activity *x = &it->act[i];
        int pending = decide_permit_pending(it, i);
        decide_permit_id(it, i, pid);
        if (pb->len == 0)
            copyb_header(pb);
        copyb_fields(pb, 13);
        copyb_str(pb, pid);
        copyb_str(pb, it->nib);
        copyb_str(pb, x->kbli);
        copyb_str(pb, it->district);
        copyb_int8(pb, it->actor_id);
        copyb_str(pb, x->risk);
        copyb_str(pb, pending ? "pending_verification" : "issued");
        copyb_str(pb, pending ? "running" : "none");
        if (pending) {
            copyb_int4(pb, (int32_t)it->sla_days[i]);
            copyb_int4(pb, it->act_dl[i].last_day - pg_epoch);
            copyb_timestamptz(pb, it->act_dl[i].due_ms);
        } else {
            copyb_null(pb);
            copyb_null(pb);
            copyb_null(pb);
        }
        copyb_str(pb, it->submission_id);
        copyb_timestamptz(pb, decided_ms);
    }
}

/* One submissions row; input is the message value as consumed (the decision record). */
static void write_submission(struct attempt *a, const struct item *it, const char *topic,
                             int64_t decided_ms, int32_t basis_id, int64_t decision_seq)
{
    const char *channel = it->schema_ok ? it->channel : NULL;
    struct buf *s = &a->subs;
    int issued = !it->out_rejected;

    if (s->len == 0)
        copyb_header(s);
    copyb_fields(s, 19);
    copyb_str(s, it->submission_id);
    copyb_bytes(s, it->sha, 32);
    copyb_str(s, issued ? "issued" : "rejected");
    if (issued) {
        copyb_int8(s, it->actor_id);
        copyb_str(s, it->nib);
        copyb_bool(s, it->nib_new);
    } else {
        copyb_null(s);
        copyb_null(s);
        copyb_null(s);
    }
    copyb_str(s, channel);
    copyb_str(s, issued && it->scale[0] ? it->scale : NULL);
    copyb_str(s, issued && it->authority[0] ? it->authority : NULL);
    if (!issued && it->out_reasons) {
        char *r = json_dumps(it->out_reasons, JSON_COMPACT);
        copyb_jsonb(s, r, strlen(r));
        free(r);
    } else {
        copyb_null(s);
    }
    copyb_uuid(s, it->event_id);
    if (it->schema_ok && it->submitted_ms)
        copyb_timestamptz(s, it->submitted_ms);
    else
        copyb_null(s);
    copyb_timestamptz(s, decided_ms);
    copyb_str(s, topic);
    copyb_int4(s, it->partition);
    copyb_int8(s, it->offset);
    copyb_bytes(s, it->msg->payload ? it->msg->payload : "", it->msg->len);
    if (basis_id > 0)
        copyb_int4(s, basis_id);
    else
        copyb_null(s);
    copyb_int8(s, decision_seq);
}

/* One outbox row in COPY BINARY format (values are copied as they are: no
 * hex encoding of a kilobyte of event per message). */
static void write_outbox_row(struct attempt *a, const struct outmsg *m, int64_t now)
{
    struct buf *o = &a->outbox;

    if (o->len == 0)
        copyb_header(o);
    copyb_fields(o, 6);
    copyb_int8(o, m->id);
    copyb_bytes(o, m->topic, strlen(m->topic));
    copyb_bytes(o, m->key, m->key_len);
    copyb_bytes(o, m->value, m->value_len);
    if (m->headers) {
        char *h = json_dumps(m->headers, JSON_COMPACT);
        copyb_jsonb(o, h, strlen(h));
        free(h);
    } else {
        copyb_jsonb(o, OUTBOX_HEADERS_EVENT, sizeof(OUTBOX_HEADERS_EVENT) - 1);
    }
    copyb_timestamptz(o, now);
}

json_t *store_dead_headers(const struct item *it, const char *topic, const char *failed_at)
{
    char part[16], off[32];
    snprintf(part, sizeof(part), "%d", it->partition);
    snprintf(off, sizeof(off), "%lld", (long long)it->offset);
    return json_pack("[[s,s],[s,s],[s,s],[s,s],[s,s],[s,s]]", "ossd.error.code", it->dead_code,
                     "ossd.error.message", it->dead_message, "ossd.source.topic", topic,
                     "ossd.source.partition", part, "ossd.source.offset", off, "ossd.failed_at",
                     failed_at);
}

static void write_dead(struct attempt *a, const struct item *it, const char *topic,
                       int64_t failed_ms)
{
    const rd_kafka_message_t *m = it->msg;
    struct buf *d = &a->dead;

    copy_str(d, it->dead_code, '\t');
    copy_str(d, it->dead_message, '\t');
    copy_str(d, it->submission_id[0] ? it->submission_id : NULL, '\t');
    copy_str(d, topic, '\t');
    copy_int(d, it->partition, '\t');
    copy_int(d, it->offset, '\t');
    copy_bytea(d, m->key, m->key_len, '\t');
    copy_bytea(d, m->payload ? m->payload : "", m->len, '\t');
    copy_ts_ms(d, failed_ms, '\n');
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Reserves the batch's outbox ids (so COPY can write them and the relay
 * knows them) and its n_decided decision numbers, in one round trip. The
 * numbers are sorted into *seqs (n_decided of them; the caller frees) so that
 * the batch order is the decision order. */
static int reserve_ids(struct store *st, struct attempt *a, struct batch *b, size_t n_decided,
                       int64_t **seqs)
{
    char n[32], m[32];
    size_t k = 0, o = 0;
    PGresult *r;

    *seqs = xmalloc((n_decided + 1) * sizeof(**seqs));
    if (b->n_out == 0 && n_decided == 0)
        return 0;
    snprintf(n, sizeof(n), "%zu", b->n_out);
    snprintf(m, sizeof(m), "%zu", n_decided);
    const char *params[2] = {n, m};
    r = query(st, a,
              "SELECT false, nextval('outbox_id_seq') FROM generate_series(1, $1::int) "
              "UNION ALL "
              "SELECT true, nextval('ossd_decision_seq') FROM generate_series(1, $2::int)",
              2, params, 0);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        int64_t v = atoll(PQgetvalue(r, row, 1));
        if (PQgetvalue(r, row, 0)[0] == 't' && k < n_decided)
            (*seqs)[k++] = v;
        else if (PQgetvalue(r, row, 0)[0] == 'f' && o < b->n_out)
            b->out[o++].id = v;
    }
    PQclear(r);
    if (k != n_decided || o != b->n_out) {
        snprintf(a->err, sizeof(a->err), "reserved %zu of %zu ids", k + o, n_decided + b->n_out);
        return -1;
    }
    qsort(*seqs, k, sizeof(**seqs), cmp_i64);
    return 0;
}

const char *store_dlq_topic(const struct config *cfg, enum item_input in)
{
    switch (in) {
    case ITEM_INPUT_STATUS:
        return cfg->topic_license_status_dlq;
    case ITEM_INPUT_NIB_ACTION:
        return cfg->topic_nib_actions_dlq;
    case ITEM_INPUT_SUBMISSION:
        break;
    }
    return cfg->topic_dlq;
}

/* The next offset of every (topic, partition) of the batch, in the batch transaction. */
static int save_offsets(struct store *st, struct attempt *a, struct batch *b)
{
    struct buf parts = {0}, offs = {0};
    const char **topics = xmalloc((b->n + 1) * sizeof(*topics));
    size_t n = 0;
    PGresult *r;

    /* Items are in consumption order, so the last of a partition is its highest. */
    for (size_t i = 0; i < b->n; i++) {
        int last = 1;
        for (size_t j = i + 1; j < b->n && last; j++)
            last = b->items[j].partition != b->items[i].partition ||
                   strcmp(b->items[j].topic, b->items[i].topic) != 0;
        if (!last)
            continue;
        buf_printf(&parts, "%s%d", n ? "," : "{", b->items[i].partition);
        buf_printf(&offs, "%s%lld", n ? "," : "{", (long long)b->items[i].offset + 1);
        topics[n++] = b->items[i].topic;
    }
    buf_putc(&parts, '}');
    buf_putc(&offs, '}');
    buf_reset(&a->scratch);
    pg_text_array(&a->scratch, topics, n);
    free(topics);
    const char *params[4] = {st->cfg->group_id, a->scratch.data, parts.data, offs.data};
    r = query(st, a,
              "INSERT INTO consumer_offsets AS c (group_id, topic, partition, next_offset) "
              "SELECT $1, s, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS t(s, p, o) "
              "ON CONFLICT (group_id, topic, partition) DO UPDATE SET "
              "next_offset = GREATEST(c.next_offset, EXCLUDED.next_offset), updated_at = now()",
              4, params, 0);
    buf_free(&parts);
    buf_free(&offs);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

enum store_result store_commit_batch(struct store *st, struct batch *b, const struct event_ctx *ec)
{
    struct attempt a;
    char failed_at[32];
    int64_t *seqs = NULL; /* the batch's decision numbers, in batch order; owned */

    memset(&a, 0, sizeof(a));
    pg_note_error(NULL);
    batch_clear_out(b);
    decide_reset_items(b);
    if (!store_connected(st))
        return STORE_RETRY;
    b->decided_ms = now_ms();
    format_rfc3339_ms(b->decided_ms, failed_at);

    int64_t t[8];
    t[0] = mono_ms();
    if (pg_exec(st->conn, "BEGIN", a.err, sizeof(a.err)) != 0)
        goto err;
    if (classify_duplicates(st, &a, b) != 0 || mark_recorded_dead(st, &a, b) != 0)
        goto err;
    t[6] = mono_ms();
    if (load_actors(st, &a, b) != 0 || create_actors(st, &a, b) != 0)
        goto err;
    t[1] = mono_ms();

    b->n_issued = b->n_rejected = b->n_dead = b->n_skipped = 0;
    memset(b->n_lc, 0, sizeof(b->n_lc));
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind == ITEM_DECIDE && it->input != ITEM_INPUT_SUBMISSION) {
            continue; /* applied by store_lifecycle_apply, after the submissions */
        } else if (it->out_kind == ITEM_DECIDE) {
            decide_item(&a.d, it);
            if (!it->out_rejected) {
                write_activities(&a, it);
                decide_permits(it, b->decided_ms);
                write_permits(&a, it, b->decided_ms);
            }
            event_identify(it);
            buf_reset(&a.scratch);
            buf_reset(&a.key);
            event_build(ec, it, b->decided_ms, &a.scratch, &a.key);
            batch_add_out(b, st->cfg->topic_issuance, a.key.data, a.key.len, a.scratch.data,
                          a.scratch.len, NULL);
            if (it->out_rejected)
                b->n_rejected++;
            else
                b->n_issued++;
        } else if (it->out_kind == ITEM_DEAD) {
            b->n_dead++;
            if (it->input != ITEM_INPUT_SUBMISSION)
                b->n_lc[it->input - 1][BATCH_LC_REFUSED]++;
            if (it->dead_recorded)
                continue;
            write_dead(&a, it, it->topic, b->decided_ms);
            batch_add_out(b, store_dlq_topic(st->cfg, it->input), it->msg->key, it->msg->key_len,
                          it->msg->payload ? it->msg->payload : "", it->msg->len,
                          store_dead_headers(it, it->topic, failed_at));
        } else {
            b->n_skipped++;
        }
    }
    t[2] = mono_ms();
    if (reserve_ids(st, &a, b, b->n_issued + b->n_rejected, &seqs) != 0)
        goto err;
    /* Submissions are written once their decision numbers are known, in batch order. */
    for (size_t i = 0, k = 0; i < b->n; i++)
        if (b->items[i].out_kind == ITEM_DECIDE && b->items[i].input == ITEM_INPUT_SUBMISSION)
            write_submission(&a, &b->items[i], b->items[i].topic, b->decided_ms, b->basis_id,
                             seqs[k++]);
    for (size_t i = 0; i < b->n_out; i++)
        write_outbox_row(&a, &b->out[i], b->decided_ms);
    struct buf *binary[] = {&a.outbox, &a.subs, &a.acts_copy, &a.permits_copy, &a.actors_copy};
    for (size_t i = 0; i < ARRAY_SIZE(binary); i++)
        if (binary[i]->len)
            copyb_trailer(binary[i]);

    if ((a.actors_copy.len &&
         pg_copy(st->conn, "COPY business_actors (actor_id, actor_key) FROM STDIN (FORMAT binary)",
                 &a.actors_copy, a.err, sizeof(a.err)) != 0) ||
        (a.subs.len &&
         pg_copy(st->conn,
                 "COPY submissions (submission_id, payload_sha256, status, actor_id, nib, "
                 "nib_new, channel, scale, authority, reasons, event_id, submitted_at, "
                 "decided_at, src_topic, src_partition, src_offset, input, basis_id, decision_seq) "
                 "FROM STDIN (FORMAT binary)",
                 &a.subs, a.err, sizeof(a.err)) != 0) ||
        (a.acts_copy.len &&
         pg_copy(st->conn,
                 "COPY activities (actor_id, district, kbli, risk, permit, permit_status, "
                 "submission_id) FROM STDIN (FORMAT binary)",
                 &a.acts_copy, a.err, sizeof(a.err)) != 0) ||
        (a.permits_copy.len &&
         pg_copy(st->conn,
                 "COPY permits (permit_id, nib, kbli, district, actor_id, risk, status, clock, "
                 "sla_days, last_day, sla_due, submission_id, decided_at) FROM STDIN "
                 "(FORMAT binary)",
                 &a.permits_copy, a.err, sizeof(a.err)) != 0) ||
        (a.outbox.len &&
         pg_copy(st->conn,
                 "COPY outbox (id, topic, msg_key, msg_value, headers, attempted_at) FROM STDIN "
                 "(FORMAT binary)",
                 &a.outbox, a.err, sizeof(a.err)) != 0) ||
        (a.dead.len &&
         pg_copy(st->conn,
                 "COPY dead_letters (error_code, error_message, submission_id, src_topic, "
                 "src_partition, src_offset, msg_key, msg_value, failed_at) FROM STDIN",
                 &a.dead, a.err, sizeof(a.err)) != 0))
        goto err;
    if (store_lifecycle_apply(st, b, ec, a.err, sizeof(a.err)) != 0)
        goto err;
    t[3] = mono_ms();
    if (save_offsets(st, &a, b) != 0)
        goto err;
    t[4] = mono_ms();
    if (pg_exec(st->conn, "COMMIT", a.err, sizeof(a.err)) != 0)
        goto err;
    t[5] = mono_ms();
    log_debug("batch of %zu: dups %lld ms, lookups %lld ms, decide %lld ms, copy %lld ms, offsets "
              "%lld ms, "
              "commit %lld ms",
              b->n, (long long)(t[6] - t[0]), (long long)(t[1] - t[0]), (long long)(t[2] - t[1]),
              (long long)(t[3] - t[2]), (long long)(t[4] - t[3]), (long long)(t[5] - t[4]));
    free(seqs);
    attempt_free(&a);
    return STORE_OK;
err:
    if (PQstatus(st->conn) == CONNECTION_OK) {
        char e2[256];
        pg_exec(st->conn, "ROLLBACK", e2, sizeof(e2));
    }
    log_warn("batch transaction failed (%zu messages), will retry: %s", b->n, a.err);
    batch_clear_out(b);
    free(seqs);
    attempt_free(&a);
    return STORE_RETRY;
}
