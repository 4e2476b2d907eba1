/* store: PostgreSQL: connection, migrations, stored offsets and outbox bookkeeping. */
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "pgconn.h"

/* SQLSTATE of the last failed statement of this thread ("" when none). */
static __thread char last_sqlstate[6];

struct store *store_new(const struct config *cfg)
{
    struct store *st = xcalloc(1, sizeof(*st));
    st->cfg = cfg;
    return st;
}

void store_disconnect(struct store *st)
{
    if (st->conn)
        PQfinish(st->conn);
    st->conn = NULL;
}

int store_error_needs_new_session(void)
{
    /* read-only transaction (a standby or a demoted primary behind the same
     * address: a new session may reach the writable one), admin shutdown,
     * connection exceptions */
    return strcmp(last_sqlstate, "25006") == 0 || strncmp(last_sqlstate, "57P0", 4) == 0 ||
           strncmp(last_sqlstate, "08", 2) == 0;
}

void store_set_lookups_only(struct store *st)
{
    st->lookups_only = 1;
}

void store_free(struct store *st)
{
    if (!st)
        return;
    if (st->conn)
        PQfinish(st->conn);
    free(st->conninfo);
    free(st);
}

static int read_secret(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    char path[1024];
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    struct stat sb;
    FILE *fp;

    if (name[0] != '/' && dir)
        snprintf(path, sizeof(path), "%s/%s", dir, name);
    else
        snprintf(path, sizeof(path), "%s", name);
    fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "password file %s: %s", path, strerror(errno));
        return -1;
    }
    /* systemd's credentials are private to the service; any other file must be too */
    int in_credentials =
        dir &&
        (name[0] != '/' || (strncmp(name, dir, strlen(dir)) == 0 && name[strlen(dir)] == '/'));
    if (fstat(fileno(fp), &sb) == 0 && (sb.st_mode & (S_IRWXG | S_IRWXO)) && !in_credentials) {
        fclose(fp);
        snprintf(err, errlen, "password file %s is readable by others; chmod 600 it", path);
        return -1;
    }
    if (!fgets(out, (int)outlen, fp))
        out[0] = '\0';
    fclose(fp);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

char *store_conninfo(const struct config *cfg, char *err, size_t errlen)
{
    char pw[512];
    struct buf b = {0};

    if (!cfg->pg_password_file[0])
        return xstrdup(cfg->pg_url);
    if (read_secret(cfg->pg_password_file, pw, sizeof(pw), err, errlen) != 0)
        return NULL;
    /* Expand the URL into key=value form and add the password. */
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(cfg->pg_url, &perr);
    if (!opts) {
        snprintf(err, errlen, "[postgres] url: %s", perr ? perr : "invalid");
        PQfreemem(perr);
        return NULL;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "password") == 0)
            continue;
        buf_printf(&b, "%s='", o->keyword);
        for (const char *p = o->val; *p; p++) {
            if (*p == '\'' || *p == '\\')
                buf_putc(&b, '\\');
            buf_putc(&b, *p);
        }
        buf_puts(&b, "' ");
    }
    PQconninfoFree(opts);
    buf_puts(&b, "password='");
    for (const char *p = pw; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_putc(&b, '\\');
        buf_putc(&b, *p);
    }
    buf_puts(&b, "'");
    memset(pw, 0, sizeof(pw));
    return b.data;
}

/* Every statement and lock wait is bounded in time, as the connect is (pgconn_open): no thread
 * of ossd waits on PostgreSQL for longer than the watchdog allows. The writer's batch
 * transactions get 30 s; the main thread's control session, which pings the watchdog between
 * its statements (every WatchdogSec / 2, 15 s with the shipped unit), gets 10 s, so that one
 * statement and one connect (5 s) stay within one ping interval. */
#define STORE_STATEMENT_TIMEOUT "SET statement_timeout = '30s'; SET lock_timeout = '10s'; "
#define STORE_CONTROL_TIMEOUT   "SET statement_timeout = '10s'; SET lock_timeout = '5s'; "

int store_connect(struct store *st, char *err, size_t errlen)
{
    if (st->conn) {
        PQfinish(st->conn);
        st->conn = NULL;
    }
    if (!st->conninfo && !(st->conninfo = store_conninfo(st->cfg, err, errlen)))
        return -1;
    st->conn = pgconn_open(st->conninfo, err, errlen);
    if (!st->conn)
        return -1;
    /* Decisions are the system of record: never trade durability for speed. */
    /* ossd's statements are short key lookups and bulk COPYs: JIT compiling
     * them costs more than it saves, and a lookup must use its index even
     * before autovacuum has analysed a table that grew fast (a sequential
     * scan per batch would make a replay quadratic). */
    if (pg_exec(st->conn,
                st->lookups_only ? STORE_STATEMENT_TIMEOUT
                    "SET synchronous_commit = on; SET application_name = 'ossd'; "
                    "SET jit = off; SET enable_seqscan = off"
                                 : STORE_CONTROL_TIMEOUT
                    "SET synchronous_commit = on; SET application_name = 'ossd'; SET jit = off",
                err, errlen) != 0) {
        PQfinish(st->conn);
        st->conn = NULL;
        return -1;
    }
    return 0;
}

int store_connected(const struct store *st)
{
    return st->conn && PQstatus(st->conn) == CONNECTION_OK;
}

PGconn *store_conn(struct store *st)
{
    return store_connected(st) ? st->conn : NULL;
}

void pg_note_error(const PGresult *r)
{
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", code ? code : "");
}

const char *store_last_sqlstate(void)
{
    return last_sqlstate;
}

int store_error_transient(const struct store *st)
{
    static const char *const classes[] = {
        "08", /* connection exception */
        "40", /* transaction rollback: serialization failure, deadlock */
        "53", /* insufficient resources: disk full, out of memory, too many connections */
        "57", /* operator intervention: shutdown, cancel */
        "58", /* system error: I/O */
        "25", /* invalid transaction state: read-only transaction (25006) */
        "55", /* object not in prerequisite state: lock not available */
        "HV", /* foreign data wrapper (a remote side) */
    };
    if (!store_connected(st) || !last_sqlstate[0])
        return 1;
    if (strcmp(last_sqlstate, "23505") == 0) /* unique violation: a race with another instance */
        return 1;
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
        if (strncmp(last_sqlstate, classes[i], 2) == 0)
            return 1;
    return 0;
}

int pg_exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) {
        pg_note_error(r);
        snprintf(err, errlen, "%s", PQerrorMessage(conn));
        err[strcspn(err, "\n")] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int store_check_schema(struct store *st, char *err, size_t errlen)
{
    PGresult *r = PQexec(st->conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    int rc = -1;

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "no schema_migrations table: run `ossd --migrate` (%s)",
                 PQresultErrorMessage(r));
        err[strcspn(err, "\n")] = '\0';
    } else if (atoi(PQgetvalue(r, 0, 0)) < STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "database schema is at version %s, ossd needs %d: run `ossd --migrate`",
                 PQgetvalue(r, 0, 0), STORE_SCHEMA_VERSION);
    } else {
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* ---- migrations ------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    struct buf b = {0};
    char chunk[8192];
    size_t n;

    if (!fp)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(&b, chunk, n);
    fclose(fp);
    if (!b.data)
        buf_puts(&b, "");
    return b.data;
}

int store_migrate(const char *conninfo, const char *sqldir, char *err, size_t errlen)
{
    PGconn *conn = pgconn_open(conninfo, err, errlen);
    DIR *dir = NULL;
    char **names = NULL;
    size_t n = 0;
    int rc = -1;

    if (!conn)
        goto out;
    dir = opendir(sqldir);
    if (!dir) {
        snprintf(err, errlen, "%s: %s", sqldir, strerror(errno));
        goto out;
    }
    for (struct dirent *de; (de = readdir(dir));) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0 && de->d_name[0] >= '0' &&
            de->d_name[0] <= '9') {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xstrdup(de->d_name);
        }
    }
    qsort(names, n, sizeof(*names), cmp_names);
    /* One migrator at a time (several instances may start together). */
    if (pg_exec(conn, "SELECT pg_advisory_lock(815001)", err, errlen) != 0 ||
        pg_exec(conn,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char path[2048], vbuf[16];
        int version = atoi(names[i]);
        const char *params[2] = {vbuf, names[i]};

        snprintf(vbuf, sizeof(vbuf), "%d", version);
        PGresult *r = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                   NULL, params, NULL, NULL, 0);
        int applied = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
        PQclear(r);
        if (applied)
            continue;
        snprintf(path, sizeof(path), "%s/%s", sqldir, names[i]);
        char *sql = slurp(path);
        if (!sql) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        int ok = pg_exec(conn, "BEGIN", err, errlen) == 0 && pg_exec(conn, sql, err, errlen) == 0;
        free(sql);
        if (ok) {
            r = PQexecParams(conn,
                             "INSERT INTO schema_migrations (version, name) VALUES ($1, $2) "
                             "ON CONFLICT (version) DO NOTHING",
                             2, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok)
                snprintf(err, errlen, "%s", PQresultErrorMessage(r));
            PQclear(r);
        }
        if (!ok || pg_exec(conn, "COMMIT", err, errlen) != 0) {
            char e2[256];
            size_t l = strlen(err);
            snprintf(err + l, errlen > l ? errlen - l : 0, " (in %s)", names[i]);
            pg_exec(conn, "ROLLBACK", e2, sizeof(e2));
            goto out;
        }
        printf("migrate: applied %s\n", names[i]);
    }
    printf("migrate: schema is up to date (%zu migration files)\n", n);
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (dir)
        closedir(dir);
    PQfinish(conn);
    return rc;
}

/* A failed statement on the main thread's session: noted, logged, and the
 * session dropped when a new one may succeed (a read-only session after a
 * failover or an operator's default_transaction_read_only, an admin
 * shutdown, a broken connection); the caller reconnects later. */
static void ctl_failed(struct store *st, const PGresult *r, const char *what)
{
    pg_note_error(r);
    if (what)
        log_warn("%s failed: %s", what, PQresultErrorMessage(r));
    if (store_error_needs_new_session()) {
        log_warn("PostgreSQL answered SQLSTATE %s on the control session; reconnecting",
                 last_sqlstate);
        store_disconnect(st);
    }
}

/* ---- offsets ---------------------------------------------------------- */

/* ---- the decision basis ----------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int store_upsert_basis(struct store *st, const struct store_basis *b, int32_t *basis_id, char *err,
                       size_t errlen)
{
    json_t *doc =
        json_pack("{s:o,s:o,s:o,s:o,s:o,s:O,s:s}", "kbli_version", str_or_null(b->kbli_version),
                  "region_version", str_or_null(b->region_version), "risk_version",
                  str_or_null(b->risk_version), "holiday_version", str_or_null(b->holiday_version),
                  "sla_version", str_or_null(b->sla_version), "chain", (json_t *)b->chain,
                  "ossd_version", b->ossd_version);
    char *canon = NULL, *chain = NULL, digest[2 + 64 + 1] = "\\x";
    unsigned char d[32];
    PGresult *r = NULL;
    int rc = -1;

    if (!doc || !store_connected(st)) {
        snprintf(err, errlen, "%s", doc ? "PostgreSQL is unavailable" : "bad decision basis");
        goto out;
    }
    canon = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    chain = json_dumps(b->chain, JSON_COMPACT);
    sha256(canon, strlen(canon), d);
    for (size_t i = 0; i < 32; i++)
        snprintf(digest + 2 + 2 * i, 3, "%02x", d[i]);
    const char *params[8] = {digest,          b->kbli_version,    b->region_version,
                             b->risk_version, b->holiday_version, b->sla_version,
                             chain,           b->ossd_version};
    /* Looked up first: a restart or a reload that changes nothing writes nothing (and works on
     * a read-only database). Two instances inserting together: the second waits for the
     * first's row, inserts nothing and finds it with the last SELECT. */
    static const char *const lookup =
        "SELECT basis_id FROM decision_basis WHERE digest = $1::bytea";
    r = PQexecParams(st->conn, lookup, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
        PQclear(r);
        r = PQexecParams(st->conn,
                         "INSERT INTO decision_basis (digest, kbli_version, region_version, "
                         "risk_version, holiday_version, sla_version, chain, ossd_version) "
                         "VALUES ($1::bytea, $2, $3, $4, $5, $6, $7::jsonb, $8) "
                         "ON CONFLICT (digest) DO NOTHING RETURNING basis_id",
                         8, NULL, params, NULL, NULL, 0);
    }
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
        PQclear(r);
        r = PQexecParams(st->conn, lookup, 1, NULL, params, NULL, NULL, 0);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "recording the decision basis: %s",
                 PQresultStatus(r) == PGRES_TUPLES_OK ? "no row" : PQresultErrorMessage(r));
        err[strcspn(err, "\n")] = '\0';
        pg_note_error(r);
        goto out;
    }
    *basis_id = (int32_t)atol(PQgetvalue(r, 0, 0));
    rc = 0;
out:
    PQclear(r);
    free(canon);
    free(chain);
    json_decref(doc);
    return rc;
}

int store_load_offsets(struct store *st, const char *group, rd_kafka_topic_partition_list_t *parts,
                       int64_t dflt)
{
    struct buf pl = {0}, tl = {0};
    const char **topics;
    PGresult *r;

    if (!store_connected(st))
        return -1;
    /* One list may name partitions of several topics (the three inputs):
     * each is looked up by (topic, partition). */
    topics = xmalloc(((size_t)parts->cnt + 1) * sizeof(*topics));
    for (int i = 0; i < parts->cnt; i++) {
        parts->elems[i].offset = dflt;
        buf_printf(&pl, "%s%d", i ? "," : "{", parts->elems[i].partition);
        topics[i] = parts->elems[i].topic;
    }
    buf_puts(&pl, parts->cnt ? "}" : "{}");
    pg_text_array(&tl, topics, (size_t)parts->cnt);
    free(topics);
    const char *params[3] = {group, tl.data ? tl.data : "{}", pl.data};
    r = PQexecParams(st->conn,
                     "SELECT c.topic, c.partition, c.next_offset FROM consumer_offsets c "
                     "JOIN unnest($2::text[], $3::int[]) AS t(s, p) "
                     "ON c.topic = t.s AND c.partition = t.p WHERE c.group_id = $1",
                     3, NULL, params, NULL, NULL, 0);
    buf_free(&pl);
    buf_free(&tl);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        ctl_failed(st, r, "loading stored offsets");
        PQclear(r);
        return -1;
    }
    for (int row = 0; row < PQntuples(r); row++) {
        const char *topic = PQgetvalue(r, row, 0);
        int p = atoi(PQgetvalue(r, row, 1));
        long long off = atoll(PQgetvalue(r, row, 2));
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition == p && strcmp(parts->elems[i].topic, topic) == 0)
                parts->elems[i].offset = off;
    }
    PQclear(r);
    return 0;
}

/* ---- outbox ----------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int store_mark_published(struct store *st, int64_t *ids, size_t n, int retention_s)
{
    struct buf lo = {0}, hi = {0};
    PGresult *r;
    size_t runs = 0;
    int rc;

    if (!store_connected(st))
        return -1;
    /* Acknowledged ids come in long consecutive runs: send the runs. */
    qsort(ids, n, sizeof(*ids), cmp_id);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && ids[j + 1] <= ids[j] + 1)
            j++;
        buf_printf(&lo, "%s%lld", runs ? "," : "{", (long long)ids[i]);
        buf_printf(&hi, "%s%lld", runs ? "," : "{", (long long)ids[j]);
        runs++;
        i = j + 1;
    }
    buf_putc(&lo, '}');
    buf_putc(&hi, '}');
    const char *params[2] = {lo.data, hi.data};
    r = PQexecParams(st->conn,
                     retention_s > 0
                         ? "UPDATE outbox o SET published_at = now() "
                           "FROM unnest($1::bigint[], $2::bigint[]) AS r(lo, hi) "
                           "WHERE o.id BETWEEN r.lo AND r.hi"
                         : "DELETE FROM outbox o USING unnest($1::bigint[], $2::bigint[]) AS "
                           "r(lo, hi) WHERE o.id BETWEEN r.lo AND r.hi",
                     2, NULL, params, NULL, NULL, 0);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        ctl_failed(st, r, "marking outbox rows published");
    PQclear(r);
    buf_free(&lo);
    buf_free(&hi);
    return rc;
}

/* 1 for exactly [["content-type", EVENT_CONTENT_TYPE]]. */
static int is_event_headers(const json_t *h)
{
    const json_t *e = json_array_get(h, 0);
    return json_array_size(h) == 1 && json_array_size(e) == 2 &&
           json_is_string(json_array_get(e, 0)) && json_is_string(json_array_get(e, 1)) &&
           strcmp(json_string_value(json_array_get(e, 0)), "content-type") == 0 &&
           strcmp(json_string_value(json_array_get(e, 1)), EVENT_CONTENT_TYPE) == 0;
}

int store_claim_unpublished(struct store *st, int64_t older_ms, int64_t after_id, int limit,
                            struct batch *b)
{
    char age[32], lim[16], bound[32];
    PGresult *r;
    int n;

    if (!store_connected(st))
        return -1;
    snprintf(age, sizeof(age), "%lld", (long long)older_ms);
    snprintf(lim, sizeof(lim), "%d", limit);
    snprintf(bound, sizeof(bound), "%lld", (long long)after_id);
    const char *params[3] = {age, lim, bound};
    r = PQexecParams(st->conn,
                     "UPDATE outbox o SET attempted_at = now() FROM ("
                     "  SELECT id FROM outbox WHERE id > $3::bigint AND published_at IS NULL"
                     "  AND created_at < now() - make_interval(secs => $1::bigint / 1000.0)"
                     "  AND (attempted_at IS NULL OR"
                     "       attempted_at < now() - make_interval(secs => $1::bigint / 1000.0))"
                     "  ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED) c "
                     "WHERE o.id = c.id "
                     "RETURNING o.id, o.topic, o.msg_key, o.msg_value, o.headers::text",
                     3, NULL, params, NULL, NULL, 1 /* binary: bytea raw */);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        ctl_failed(st, r, "claiming unpublished outbox rows");
        PQclear(r);
        return -1;
    }
    n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        /* binary format: id is int8 big-endian; text columns are raw bytes */
        const unsigned char *idp = (const unsigned char *)PQgetvalue(r, i, 0);
        int64_t id = 0;
        for (int k = 0; k < 8; k++)
            id = (id << 8) | idp[k];
        /* headers::text in binary mode is the jsonb text; an event's are implied */
        json_t *headers = json_loadb(PQgetvalue(r, i, 4), (size_t)PQgetlength(r, i, 4), 0, NULL);
        if (is_event_headers(headers)) {
            json_decref(headers);
            headers = NULL;
        }
        char *topic = xstrndup(PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
        struct outmsg *m =
            batch_add_out(b, topic, PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
                          (size_t)PQgetlength(r, i, 2), PQgetvalue(r, i, 3),
                          (size_t)PQgetlength(r, i, 3), headers);
        free(topic);
        m->id = id;
    }
    PQclear(r);
    return n;
}

int store_park_outbox(struct store *st, const int64_t *ids, size_t n)
{
    struct buf arr = {0};
    PGresult *r;
    int rc;

    if (!store_connected(st))
        return -1;
    for (size_t i = 0; i < n; i++)
        buf_printf(&arr, "%s%lld", i ? "," : "{", (long long)ids[i]);
    buf_puts(&arr, n ? "}" : "{}");
    const char *params[1] = {arr.data};
    r = PQexecParams(st->conn,
                     "UPDATE outbox SET attempted_at = 'infinity' "
                     "WHERE id = ANY($1::bigint[]) AND published_at IS NULL",
                     1, NULL, params, NULL, NULL, 0);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        ctl_failed(st, r, "parking undeliverable outbox rows");
    PQclear(r);
    buf_free(&arr);
    return rc;
}

long store_prune_outbox(struct store *st, int retention_s)
{
    char ret[32];
    PGresult *r;
    long n;

    if (!store_connected(st))
        return -1;
    snprintf(ret, sizeof(ret), "%d", retention_s);
    const char *params[1] = {ret};
    r = PQexecParams(
        st->conn, "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1::int)",
        1, NULL, params, NULL, NULL, 0);
    n = PQresultStatus(r) == PGRES_COMMAND_OK ? atol(PQcmdTuples(r)) : -1;
    if (n < 0)
        ctl_failed(st, r, "pruning published outbox rows");
    PQclear(r);
    return n;
}

#define STORE_BACKLOG_CAP_S "100000"

long store_outbox_backlog(struct store *st)
{
    PGresult *r;
    long n;

    if (!store_connected(st))
        return -1;
    /* bounded: on the main thread every few seconds, so never a scan of a backlog of
     * millions after a long broker outage; past the cap the gauge reads the cap */
    r = PQexec(st->conn, "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE published_at IS NULL "
                         "LIMIT " STORE_BACKLOG_CAP_S ") s");
    n = PQresultStatus(r) == PGRES_TUPLES_OK ? atol(PQgetvalue(r, 0, 0)) : -1;
    if (n < 0)
        ctl_failed(st, r, NULL);
    PQclear(r);
    return n;
}

/* ---- COPY helpers ------------------------------------------------------ */

int pg_copy(PGconn *conn, const char *copy_sql, const struct buf *data, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;

    if (!ok) {
        pg_note_error(r);
        PQclear(r);
        snprintf(err, errlen, "%s", PQerrorMessage(conn));
        return -1;
    }
    PQclear(r);
    for (size_t off = 0; off < data->len;) {
        size_t n = data->len - off > 1 << 20 ? 1 << 20 : data->len - off;
        if (PQputCopyData(conn, data->data + off, (int)n) != 1) {
            snprintf(err, errlen, "%s", PQerrorMessage(conn));
            return -1;
        }
        off += n;
    }
    if (PQputCopyEnd(conn, NULL) != 1) {
        snprintf(err, errlen, "%s", PQerrorMessage(conn));
        return -1;
    }
    ok = 1;
    while ((r = PQgetResult(conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (ok) {
                snprintf(err, errlen, "%s", PQresultErrorMessage(r));
                pg_note_error(r);
            }
            ok = 0;
        }
        PQclear(r);
    }
    if (!ok)
        err[strcspn(err, "\n")] = '\0';
    return ok ? 0 : -1;
}
