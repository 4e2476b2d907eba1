/* store_batch: the one PostgreSQL transaction per batch: dedupe, NIB, activities, outbox, offsets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"
#include "store_internal.h"
#include "strmap.h"

#define OUTBOX_HEADERS_EVENT "[[\"content-type\",\"" EVENT_CONTENT_TYPE "\"]]"

struct actor {
    int64_t id;
    char nib[14];
    int is_new;     /* created in this transaction */
    int first_used; /* its first issued submission was seen */
};

/* Everything one attempt allocates, freed on every exit path. */
struct attempt {
    struct strmap seen;   /* submission_id -> sha[32] */
    struct strmap actors; /* actor_key -> struct actor */
    struct strmap acts;   /* "actor_id|district|kbli" -> (void *)1 */
    struct buf subs, acts_copy, actors_copy, outbox, dead, scratch, key;
    char err[1024];
};

static void attempt_free(struct attempt *a)
{
    strmap_free(&a->seen, free);
    strmap_free(&a->actors, free);
    strmap_free(&a->acts, NULL);
    buf_free(&a->subs);
    buf_free(&a->acts_copy);
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

static void reset_items(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        it->out_kind = it->kind;
        it->out_rejected = it->rejected;
        json_decref(it->out_reasons);
        it->out_reasons = it->reasons ? json_deep_copy(it->reasons) : NULL;
        it->dead_recorded = 0;
        it->actor_id = 0;
        it->nib[0] = '\0';
        it->nib_new = 0;
    }
}

/* Step 1: a submission_id already decided (or earlier in this batch) with
 * the same bytes is a duplicate; with other bytes a DUPLICATE_CONFLICT. */
static int classify_duplicates(struct store *st, struct attempt *a, struct batch *b)
{
    const char **ids = xmalloc((b->n + 1) * sizeof(*ids));
    size_t n = 0;
    PGresult *r;

    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].out_kind == ITEM_DECIDE)
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
        unsigned char *sha = xmalloc(32);
        memcpy(sha, PQgetvalue(r, row, 1), 32);
        free(strmap_put(&a->seen, id, sha));
        free(id);
    }
    PQclear(r);
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE)
            continue;
        const unsigned char *prev = strmap_get(&a->seen, it->submission_id);
        if (!prev) {
            unsigned char *sha = xmalloc(32);
            memcpy(sha, it->sha, 32);
            strmap_put(&a->seen, it->submission_id, sha);
        } else if (memcmp(prev, it->sha, 32) == 0) {
            it->out_kind = ITEM_SKIP;
        } else {
            it->out_kind = ITEM_DEAD;
            it->dead_code = "DUPLICATE_CONFLICT";
            snprintf(it->dead_message, sizeof(it->dead_message), "%s",
                     "submission_id was already decided with a different payload");
        }
    }
    return 0;
}

/* Step 2: dead letters of offsets already recorded (a re-delivery after a
 * rebalance race) are not recorded or produced twice. */
static int mark_recorded_dead(struct store *st, struct attempt *a, struct batch *b,
                              const char *topic)
{
    struct buf parts = {0}, offs = {0};
    size_t n = 0;
    PGresult *r;

    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].out_kind != ITEM_DEAD)
            continue;
        buf_printf(&parts, "%s%d", n ? "," : "{", b->items[i].partition);
        buf_printf(&offs, "%s%lld", n ? "," : "{", (long long)b->items[i].offset);
        n++;
    }
    if (n == 0)
        return 0;
    buf_putc(&parts, '}');
    buf_putc(&offs, '}');
    const char *params[3] = {topic, parts.data, offs.data};
    r = query(st, a,
              "SELECT d.src_partition, d.src_offset FROM dead_letters d "
              "JOIN unnest($2::int[], $3::bigint[]) AS t(p, o) "
              "ON d.src_partition = t.p AND d.src_offset = t.o WHERE d.src_topic = $1",
              3, params, 0);
    buf_free(&parts);
    buf_free(&offs);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        int p = atoi(PQgetvalue(r, row, 0));
        long long o = atoll(PQgetvalue(r, row, 1));
        for (size_t i = 0; i < b->n; i++)
            if (b->items[i].out_kind == ITEM_DEAD && b->items[i].partition == p &&
                b->items[i].offset == o)
                b->items[i].dead_recorded = 1;
    }
    PQclear(r);
    return 0;
}

static void put_actor(struct attempt *a, const char *key, int64_t id, const char *nib, int is_new)
{
    struct actor *ac = xcalloc(1, sizeof(*ac));
    ac->id = id;
    snprintf(ac->nib, sizeof(ac->nib), "%s", nib);
    ac->is_new = is_new;
    free(strmap_put(&a->actors, key, ac));
}

/* Records an actor's registered activities, from the array text form
 * {"33.74.01|14120",...} (elements hold only digits, dots and '|'). */
static void put_activities(struct attempt *a, int64_t actor_id, const char *arr)
{
    char key[64];
    const char *p = arr;

    while (*p) {
        while (*p == '{' || *p == ',' || *p == '"' || *p == '}')
            p++;
        size_t n = strcspn(p, ",}\"");
        if (n == 0 || n > 20)
            break;
        snprintf(key, sizeof(key), "%lld|%.*s", (long long)actor_id, (int)n, p);
        strmap_put(&a->acts, key, (void *)1);
        p += n;
    }
}

/* Step 3: the business actors of the batch, with the activities they hold. */
static int load_actors(struct store *st, struct attempt *a, struct batch *b)
{
    struct strmap uniq = {0};
    const char **kv = xmalloc((b->n + 1) * sizeof(*kv));
    size_t n = 0;
    PGresult *r;

    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || !it->has_actor || strmap_get(&uniq, it->actor_key))
            continue;
        strmap_put(&uniq, it->actor_key, (void *)1);
        kv[n++] = it->actor_key;
    }
    strmap_free(&uniq, NULL);
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
              "        WHERE x.actor_id = b.actor_id) "
              "FROM business_actors b WHERE b.actor_key = ANY($1::text[])",
              1, params, 0);
    if (!r)
        return -1;
    for (int row = 0; row < PQntuples(r); row++) {
        int64_t id = atoll(PQgetvalue(r, row, 1));
        put_actor(a, PQgetvalue(r, row, 0), id, PQgetvalue(r, row, 2), 0);
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

    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || !it->has_actor || it->out_rejected ||
            strmap_get(&a->actors, it->actor_key))
            continue;
        put_actor(a, it->actor_key, 0, "", 1); /* id filled below */
        keys[n++] = it->actor_key;
    }
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
        struct actor *ac = strmap_get(&a->actors, keys[i]);
        ac->id = atoll(PQgetvalue(r, (int)i, 0));
        snprintf(ac->nib, sizeof(ac->nib), "812%010lld", (long long)ac->id);
        if (a->actors_copy.len == 0)
            copyb_header(&a->actors_copy);
        copyb_fields(&a->actors_copy, 2);
        copyb_int8(&a->actors_copy, ac->id);
        copyb_str(&a->actors_copy, keys[i]);
    }
    PQclear(r);
    free(keys);
    return 0;
}

static void add_reason(struct item *it, const char *code, const char *path, const char *msg)
{
    if (!it->out_reasons)
        it->out_reasons = json_array();
    json_array_append_new(it->out_reasons,
                          json_pack("{s:s, s:s, s:s}", "code", code, "path", path, "message", msg));
    it->out_rejected = 1;
}

/* 1 when it already carries a reason with this code at this path. */
static int has_reason(const struct item *it, const char *code, const char *path)
{
    for (size_t i = 0; i < json_array_size(it->out_reasons); i++) {
        const json_t *r = json_array_get(it->out_reasons, i);
        const char *c = json_string_value(json_object_get(r, "code"));
        const char *p = json_string_value(json_object_get(r, "path"));
        if (c && p && strcmp(c, code) == 0 && strcmp(p, path) == 0)
            return 1;
    }
    return 0;
}

/* Step 5, in offset order: ACTIVITY_DUPLICATE against what the actor already
 * holds (and what earlier submissions of this batch registered), NIB and
 * nib_new for the issued. */
static void decide_in_order(struct attempt *a, struct item *it, const char *topic)
{
    struct actor *ac = it->has_actor ? strmap_get(&a->actors, it->actor_key) : NULL;
    char key[64], path[64], msg[160];
    int dup = 0;

    /* The same KBLI twice in one submission (the activity handler's rule,
     * enforced here too: a chain without that handler would otherwise make
     * COPY activities hit its primary key on every attempt). One reason per
     * later occurrence, unless a handler already gave it. */
    for (size_t j = 1; j < it->n_act; j++) {
        for (size_t i = 0; i < j; i++) {
            if (strcmp(it->act[j].kbli, it->act[i].kbli) != 0)
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", j);
            if (!has_reason(it, "ACTIVITY_DUPLICATE", path)) {
                snprintf(msg, sizeof(msg),
                         "KBLI %.10s is already requested at /business/activities/%zu",
                         it->act[j].kbli, i);
                add_reason(it, "ACTIVITY_DUPLICATE", path, msg);
                dup = 1;
            }
            break;
        }
    }
    if (ac) {
        for (size_t i = 0; i < it->n_act; i++) {
            snprintf(key, sizeof(key), "%lld|%s|%s", (long long)ac->id, it->district,
                     it->act[i].kbli);
            if (!strmap_get(&a->acts, key))
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", i);
            snprintf(msg, sizeof(msg),
                     "KBLI %s is already registered under this NIB at district %s", it->act[i].kbli,
                     it->district);
            add_reason(it, "ACTIVITY_DUPLICATE", path, msg);
            dup = 1;
        }
    }
    if (dup)
        reasons_sort(it->out_reasons);
    if (!it->out_rejected && !ac)
        add_reason(it, "NPWP_REQUIRED", "/applicant/npwp",
                   "a business actor needs a NIK (type 02) or an NPWP (type 01)");
    if (!it->out_rejected) {
        it->actor_id = ac->id;
        memcpy(it->nib, ac->nib, sizeof(it->nib));
        it->nib_new = ac->is_new && !ac->first_used;
        ac->first_used = 1;
        for (size_t i = 0; i < it->n_act; i++) {
            const struct item_activity *x = &it->act[i];
            snprintf(key, sizeof(key), "%lld|%s|%s", (long long)ac->id, it->district, x->kbli);
            strmap_put(&a->acts, key, (void *)1);
            struct buf *ab = &a->acts_copy;
            if (ab->len == 0)
                copyb_header(ab);
            copyb_fields(ab, 7);
            copyb_int8(ab, ac->id);
            copyb_str(ab, it->district);
            copyb_str(ab, x->kbli);
            copyb_str(ab, x->risk);
            copyb_str(ab, x->permit);
            copyb_str(ab, x->status);
            copyb_str(ab, it->submission_id);
        }
    }
    event_identify(it);
    (void)topic;
}

static void write_submission(struct attempt *a, const struct item *it, const char *topic,
                             int64_t decided_ms)
{
    const char *channel = it->schema_ok ? it->channel : NULL;
    struct buf *s = &a->subs;
    int issued = !it->out_rejected;

    if (s->len == 0)
        copyb_header(s);
    copyb_fields(s, 16);
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

static json_t *dead_headers(const struct item *it, const char *topic, const char *failed_at)
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

/* Reserves n outbox ids (so COPY can write them and the relay knows them). */
static int reserve_ids(struct store *st, struct attempt *a, struct batch *b)
{
    char n[32];
    PGresult *r;

    if (b->n_out == 0)
        return 0;
    snprintf(n, sizeof(n), "%zu", b->n_out);
    const char *params[2] = {n, "outbox_id_seq"};
    r = query(st, a, "SELECT nextval($2::regclass) FROM generate_series(1, $1::int)", 2, params, 0);
    if (!r)
        return -1;
    for (size_t i = 0; i < b->n_out && (int)i < PQntuples(r); i++)
        b->out[i].id = atoll(PQgetvalue(r, (int)i, 0));
    PQclear(r);
    return 0;
}

static int save_offsets(struct store *st, struct attempt *a, struct batch *b, const char *topic)
{
    struct buf parts = {0}, offs = {0};
    size_t n = 0;
    PGresult *r;

    /* Items are in consumption order, so the last of a partition is its highest. */
    for (size_t i = 0; i < b->n; i++) {
        int last = 1;
        for (size_t j = i + 1; j < b->n && last; j++)
            last = b->items[j].partition != b->items[i].partition;
        if (!last)
            continue;
        buf_printf(&parts, "%s%d", n ? "," : "{", b->items[i].partition);
        buf_printf(&offs, "%s%lld", n ? "," : "{", (long long)b->items[i].offset + 1);
        n++;
    }
    buf_putc(&parts, '}');
    buf_putc(&offs, '}');
    const char *params[4] = {st->cfg->group_id, topic, parts.data, offs.data};
    r = query(st, a,
              "INSERT INTO consumer_offsets AS c (group_id, topic, partition, next_offset) "
              "SELECT $1, $2, p, o FROM unnest($3::int[], $4::bigint[]) AS t(p, o) "
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
    const char *topic = st->cfg->topic_submissions;
    char failed_at[32];

    memset(&a, 0, sizeof(a));
    pg_note_error(NULL);
    batch_clear_out(b);
    reset_items(b);
    if (!store_connected(st))
        return STORE_RETRY;
    b->decided_ms = now_ms();
    format_rfc3339_ms(b->decided_ms, failed_at);

    int64_t t[8];
    t[0] = mono_ms();
    if (pg_exec(st->conn, "BEGIN", a.err, sizeof(a.err)) != 0)
        goto err;
    if (classify_duplicates(st, &a, b) != 0 || mark_recorded_dead(st, &a, b, topic) != 0)
        goto err;
    t[6] = mono_ms();
    if (load_actors(st, &a, b) != 0 || create_actors(st, &a, b) != 0)
        goto err;
    t[1] = mono_ms();

    b->n_issued = b->n_rejected = b->n_dead = b->n_skipped = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind == ITEM_DECIDE) {
            decide_in_order(&a, it, topic);
            write_submission(&a, it, topic, b->decided_ms);
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
            if (it->dead_recorded)
                continue;
            write_dead(&a, it, topic, b->decided_ms);
            batch_add_out(b, st->cfg->topic_dlq, it->msg->key, it->msg->key_len,
                          it->msg->payload ? it->msg->payload : "", it->msg->len,
                          dead_headers(it, topic, failed_at));
        } else {
            b->n_skipped++;
        }
    }
    t[2] = mono_ms();
    if (reserve_ids(st, &a, b) != 0)
        goto err;
    for (size_t i = 0; i < b->n_out; i++)
        write_outbox_row(&a, &b->out[i], b->decided_ms);
    struct buf *binary[] = {&a.outbox, &a.subs, &a.acts_copy, &a.actors_copy};
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
                 "decided_at, src_topic, src_partition, src_offset) FROM STDIN (FORMAT binary)",
                 &a.subs, a.err, sizeof(a.err)) != 0) ||
        (a.acts_copy.len &&
         pg_copy(st->conn,
                 "COPY activities (actor_id, district, kbli, risk, permit, permit_status, "
                 "submission_id) FROM STDIN (FORMAT binary)",
                 &a.acts_copy, a.err, sizeof(a.err)) != 0) ||
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
    t[3] = mono_ms();
    if (save_offsets(st, &a, b, topic) != 0)
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
    attempt_free(&a);
    return STORE_OK;
err:
    if (PQstatus(st->conn) == CONNECTION_OK) {
        char e2[256];
        pg_exec(st->conn, "ROLLBACK", e2, sizeof(e2));
    }
    log_warn("batch transaction failed (%zu messages), will retry: %s", b->n, a.err);
    batch_clear_out(b);
    attempt_free(&a);
    return STORE_RETRY;
}
