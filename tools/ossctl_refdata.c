/* ossctl_refdata.c: `ossctl refdata import|list` (reference data versions in PostgreSQL). */
#include "ossctl_refdata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "csv.h"
#include "refdata.h"
#include "util.h"
#include "pgconn.h"
#include "pgcopy.h"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

#define COPY_CHUNK (256 * 1024)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ossctl refdata import kbli|regions|holidays|sla FILE.csv [--version V] "
            "[--no-activate]\n"
            "       ossctl refdata activate KIND VERSION\n"
            "       ossctl refdata list\n"
            "  import  loads a table (CSV with a header; kbli: code,title[,description][,risk];\n"
            "          regions: code,name; holidays: date,name; sla: kbli,scale,working_days with\n"
            "          an empty scale for every scale) as version V (kbli: 2020, regions:\n"
            "          kemendagri-2025, holidays and sla: a new version named after the time of\n"
            "          the import), replacing that version's rows, and activates it unless\n"
            "          --no-activate\n"
            "  activate  makes an imported version (e.g. one imported with --no-activate) the\n"
            "          active one of its kind; a running ossd takes it on SIGHUP\n"
            "  list    shows every version, its counts and which one is active\n");
}

/* The exit status for a failed statement: data and integrity errors are the data's fault. */
static int pg_fail(PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : "no result";

    fprintf(stderr, "ossctl refdata: %s: %s%s", what, msg,
            msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
    if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
        return EXIT_DATA;
    return EXIT_USAGE;
}

/* Runs a statement with text parameters; 0, or the exit status (message printed). rows, when
 * given, receives the affected or returned row count. */
static int run(PGconn *conn, const char *sql, int n, const char *const *params, long *rows)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_fail(res, "query failed");
    else if (rows)
        *rows = st == PGRES_TUPLES_OK ? PQntuples(res) : atol(PQcmdTuples(res));
    PQclear(res);
    return rc;
}

static PGconn *connect_pg(const char *pg_url)
{
    char err[1024];
    PGconn *conn = pgconn_open(pg_url, err, sizeof(err));

    if (!conn) {
        fprintf(stderr, "ossctl refdata: cannot connect to PostgreSQL: %s\n", err);
        return NULL;
    }
    if (PQsetClientEncoding(conn, "UTF8") != 0) {
        fprintf(stderr, "ossctl refdata: cannot set client encoding UTF8\n");
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* ---- COPY text format ------------------------------------------------------------------------ */

/* Appends one COPY text-format field (NULL -> \N) and its separator (lib/base/pgcopy.h). */
static void copy_field(struct buf *b, const char *s, int last)
{
    copy_str(b, s, last ? '\n' : '\t');
}

/* 1 when s is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        unsigned c = *s, n, cp;

        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        s += n + 1;
    }
    return 1;
}

static int copy_flush(PGconn *conn, struct buf *b)
{
    if (b->len && PQputCopyData(conn, b->data, (int)b->len) != 1) {
        fprintf(stderr, "ossctl refdata: COPY failed: %s", PQerrorMessage(conn));
        return -1;
    }
    buf_reset(b);
    return 0;
}

/* What an import counted. */
struct import_stats {
    long rows, with_risk;
    long carried_risk, carried_scale;
    long levels[5]; /* regions per level 1-4 */
};

/*
 * Streams the CSV rows into the COPY already started on conn. Returns 0, or an exit status
 * with the message printed (the COPY is then aborted).
 */
static int copy_rows(PGconn *conn, enum refdata_kind kind, const char *version, FILE *f,
                     const char *fname, struct import_stats *st)
{
    struct csv_reader *r = csv_open(f);
    struct refdata *seen = refdata_new(); /* duplicate detection */
    struct refdata_csv_cols cols;
    struct csv_row row;
    struct buf b = {0};
    char why[256], msg[600] = "";
    int rc = EXIT_DATA, got;

    if (!r) {
        snprintf(msg, sizeof(msg), "%s: out of memory", fname);
        rc = EXIT_USAGE;
        goto out;
    }
    got = csv_next(r, &row, why, sizeof(why));
    if (got <= 0 || refdata_csv_columns(kind, &row, &cols, why, sizeof(why)) != 0) {
        if (got == 0)
            snprintf(msg, sizeof(msg), "%s: empty file", fname);
        else
            snprintf(msg, sizeof(msg), "%s:%ld: %s", fname, row.line, why);
        goto out;
    }
    while ((got = csv_next(r, &row, why, sizeof(why))) == 1) {
        struct refdata_record rec;
        int dup;

        if (refdata_csv_record(kind, &cols, &row, &rec, why, sizeof(why)) != 0) {
            snprintf(msg, sizeof(msg), "%s:%ld: %s", fname, row.line, why);
            goto out;
        }
        for (size_t i = 0; i < row.n_fields; i++) {
            if (!utf8_valid(row.fields[i])) {
                snprintf(msg, sizeof(msg), "%s:%ld: not valid UTF-8", fname, row.line);
                goto out;
            }
        }
        dup = refdata_add_record(seen, kind, &rec);
        if (dup != 0) {
            refdata_duplicate_message(kind, &rec, why, sizeof(why));
            snprintf(msg, sizeof(msg), "%s:%ld: %s", fname, row.line, why);
            goto out;
        }
        copy_field(&b, version, 0);
        copy_field(&b, rec.code, 0);
        if (kind == REFDATA_KBLI) {
            copy_field(&b, rec.title, 0);
            copy_field(&b, rec.description, 0);
            copy_field(&b, rec.risk, 1);
            st->with_risk += rec.risk != NULL;
        } else if (kind == REFDATA_SLA) {
            char days[24];

            snprintf(days, sizeof(days), "%ld", rec.working_days);
            copy_field(&b, rec.scale ? rec.scale : "", 0);
            copy_field(&b, days, 1);
            st->with_risk += rec.scale == NULL; /* sla: rows for every scale */
        } else {
            copy_field(&b, rec.title, 1);
            if (kind == REFDATA_REGIONS)
                st->levels[refdata_region_level(rec.code)]++;
        }
        st->rows++;
        if (b.len >= COPY_CHUNK && copy_flush(conn, &b) != 0) {
            rc = EXIT_USAGE;
            goto out;
        }
    }
    if (got < 0) {
        snprintf(msg, sizeof(msg), "%s:%ld: %s", fname, row.line, why);
        goto out;
    }
    if (ferror(f)) {
        snprintf(msg, sizeof(msg), "%s: read error: %s", fname, strerror(errno));
        rc = EXIT_USAGE;
        goto out;
    }
    /* An empty SLA table is a real choice (the statutory deadline for every code, like the
     * seed's); any other kind without rows is a truncated file. */
    if (st->rows == 0 && kind != REFDATA_SLA) {
        snprintf(msg, sizeof(msg), "%s: no data rows (a version must not be empty)", fname);
        goto out;
    }
    if (copy_flush(conn, &b) != 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK) {
        if (msg[0])
            fprintf(stderr, "ossctl refdata: %s\n", msg);
        PQputCopyEnd(conn, msg[0] ? msg : "aborted");
    } else if (PQputCopyEnd(conn, NULL) != 1) {
        fprintf(stderr, "ossctl refdata: COPY failed: %s", PQerrorMessage(conn));
        rc = EXIT_USAGE;
    }
    buf_free(&b);
    refdata_free(seen);
    csv_free(r);
    return rc;
}

/* Runs COPY ... FROM STDIN and feeds it; 0 or an exit status. */
static int copy_file(PGconn *conn, enum refdata_kind kind, const char *version, FILE *f,
                     const char *fname, struct import_stats *st)
{
    static const char *const sql[] = {
        [REFDATA_KBLI] = "COPY ref_kbli (version, code, title, description, risk) FROM STDIN",
        [REFDATA_REGIONS] = "COPY ref_regions (version, code, name) FROM STDIN",
        [REFDATA_HOLIDAYS] = "COPY ref_holidays (version, day, name) FROM STDIN",
        [REFDATA_SLA] = "COPY ref_sla (version, kbli, scale, working_days) FROM STDIN",
    };
    PGresult *res = PQexec(conn, sql[kind]);
    int rc;

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pg_fail(res, "COPY");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    rc = copy_rows(conn, kind, version, f, fname, st);
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == EXIT_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(res, "COPY");
        PQclear(res);
    }
    return rc;
}

/* ---- import ---------------------------------------------------------------------------------- */

/* Snapshots, before the rows are replaced, where each code's risk comes from when the file
 * gives none: V's own previous rows for codes V had set, else the active version's. */
static const char *const sql_prev_kbli =
    "CREATE TEMP TABLE ossctl_prev_kbli ON COMMIT DROP AS "
    "WITH own AS (SELECT code FROM ref_kbli WHERE version = $1 AND risk IS NOT NULL "
    "             UNION SELECT code FROM ref_kbli_risk WHERE version = $1) "
    "SELECT k.code, k.risk, k.version AS src FROM ref_kbli k "
    "WHERE (k.version = $1 AND k.code IN (SELECT code FROM own)) "
    "   OR (k.version = $2 AND k.code NOT IN (SELECT code FROM own))";
static const char *const sql_prev_risk =
    "CREATE TEMP TABLE ossctl_prev_risk ON COMMIT DROP AS "
    "SELECT r.code, r.scale, r.risk FROM ref_kbli_risk r "
    "JOIN ossctl_prev_kbli p ON p.code = r.code AND p.src = r.version";
/* Per-scale levels first, while "the file gave no risk" is still visible as risk IS NULL. */
static const char *const sql_carry_scale =
    "INSERT INTO ref_kbli_risk (version, code, scale, risk) "
    "SELECT $1, p.code, p.scale, p.risk FROM ossctl_prev_risk p "
    "JOIN ref_kbli n ON n.version = $1 AND n.code = p.code AND n.risk IS NULL";
static const char *const sql_carry_risk =
    "UPDATE ref_kbli n SET risk = p.risk FROM ossctl_prev_kbli p "
    "WHERE n.version = $1 AND n.code = p.code AND n.risk IS NULL AND p.risk IS NOT NULL";

static int import_tx(PGconn *conn, enum refdata_kind kind, const char *version, int activate,
                     FILE *f, const char *fname, struct import_stats *st)
{
    const char *kind_s = refdata_kind_name(kind);
    const char *p2[2] = {kind_s, version};
    char active[256] = "";
    char notify[300];
    PGresult *res;
    int rc;

    /* One import at a time; readers (ossd) are not blocked. */
    if ((rc = run(conn, "LOCK TABLE ref_versions IN EXCLUSIVE MODE", 0, NULL, NULL)) != 0)
        return rc;
    res = PQexecParams(conn, "SELECT version FROM ref_versions WHERE kind = $1 AND active", 1, NULL,
                       p2, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = pg_fail(res, "reading ref_versions");
        PQclear(res);
        return rc;
    }
    if (PQntuples(res) > 0)
        snprintf(active, sizeof(active), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    if (kind == REFDATA_KBLI) {
        const char *pv[2] = {version, active[0] ? active : NULL};
        if ((rc = run(conn, sql_prev_kbli, 2, pv, NULL)) != 0 ||
            (rc = run(conn, sql_prev_risk, 0, NULL, NULL)) != 0 ||
            (rc = run(conn, "DELETE FROM ref_kbli WHERE version = $1", 1, &version, NULL)) != 0)
            return rc;
    } else {
        static const char *const del[] = {
            [REFDATA_REGIONS] = "DELETE FROM ref_regions WHERE version = $1",
            [REFDATA_HOLIDAYS] = "DELETE FROM ref_holidays WHERE version = $1",
            [REFDATA_SLA] = "DELETE FROM ref_sla WHERE version = $1",
        };
        if ((rc = run(conn, del[kind], 1, &version, NULL)) != 0)
            return rc;
    }

    if ((rc = copy_file(conn, kind, version, f, fname, st)) != 0)
        return rc;

    if (kind == REFDATA_KBLI &&
        ((rc = run(conn, sql_carry_scale, 1, &version, &st->carried_scale)) != 0 ||
         (rc = run(conn, sql_carry_risk, 1, &version, &st->carried_risk)) != 0))
        return rc;

    if (activate) {
        if ((rc = run(conn,
                      "UPDATE ref_versions SET active = false "
                      "WHERE kind = $1 AND active AND version <> $2",
                      2, p2, NULL)) != 0 ||
            (rc = run(conn,
                      "INSERT INTO ref_versions (kind, version, active) VALUES ($1, $2, true) "
                      "ON CONFLICT (kind, version) DO UPDATE SET active = true, loaded_at = now()",
                      2, p2, NULL)) != 0)
            return rc;
    } else if ((rc = run(conn,
                         "INSERT INTO ref_versions (kind, version) VALUES ($1, $2) "
                         "ON CONFLICT (kind, version) DO UPDATE SET loaded_at = now()",
                         2, p2, NULL)) != 0) {
        return rc;
    }
    snprintf(notify, sizeof(notify), "%s:%s", kind_s, version);
    {
        const char *pn = notify;
        if ((rc = run(conn, "SELECT pg_notify('ossd_refdata', $1)", 1, &pn, NULL)) != 0)
            return rc;
    }
    return 0;
}

static void print_stats(enum refdata_kind kind, const char *version, const char *fname,
                        int activate, const struct import_stats *st)
{
    if (kind == REFDATA_KBLI) {
        long none = st->rows - st->with_risk - st->carried_risk;
        printf("kbli %s: %ld codes from %s; risk: %ld from the file, %ld carried forward, "
               "%ld without (answered as T); %ld per-scale levels carried forward; %s\n",
               version, st->rows, fname, st->with_risk, st->carried_risk, none, st->carried_scale,
               activate ? "active" : "not activated");
    } else if (kind == REFDATA_HOLIDAYS) {
        printf("holidays %s: %ld date%s from %s; %s\n", version, st->rows, st->rows == 1 ? "" : "s",
               fname, activate ? "active" : "not activated");
    } else if (kind == REFDATA_SLA) {
        printf("sla %s: %ld deadlines from %s (%ld for every scale, %ld for one scale; any other "
               "KBLI code: %u working days); %s\n",
               version, st->rows, fname, st->with_risk, st->rows - st->with_risk,
               REFDATA_SLA_DEFAULT_DAYS, activate ? "active" : "not activated");
    } else {
        printf("regions %s: %ld codes from %s (%ld provinces, %ld regencies/cities, "
               "%ld districts, %ld villages); %s\n",
               version, st->rows, fname, st->levels[1], st->levels[2], st->levels[3], st->levels[4],
               activate ? "active" : "not activated");
    }
}

/* A version name for a table whose every import is a new version: the UTC time of the import
 * to the microsecond ("20261201T211502.123456Z"), so names sort in import order. */
static const char *new_version_name(char *out, size_t outlen)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, outlen, "%Y%m%dT%H%M%S", &tm);

    snprintf(out + n, outlen - n, ".%06uZ", (unsigned)(ts.tv_nsec / 1000) % 1000000u);
    return out;
}

static int cmd_import(int argc, char **argv, const char *pg_url)
{
    enum refdata_kind kind;
    const char *fname = NULL, *version = NULL;
    int activate = 1, rc;
    char genver[64];
    struct import_stats st = {0};
    FILE *f = NULL;
    PGconn *conn = NULL;

    if (argc < 2 || refdata_kind_parse(argv[1], &kind) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--no-activate") == 0)
            activate = 0;
        else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc)
            version = argv[++i];
        else if (strncmp(argv[i], "--version=", 10) == 0)
            version = argv[i] + 10;
        else if (!fname && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
            fname = argv[i];
        else {
            fprintf(stderr, "ossctl refdata import: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!version && kind == REFDATA_KBLI)
        version = "2020";
    else if (!version && kind == REFDATA_REGIONS)
        version = "kemendagri-2025";
    else if (!version)
        version = new_version_name(genver, sizeof(genver));
    if (!fname || !version[0] || strlen(version) > 64) {
        usage(stderr);
        return EXIT_USAGE;
    }
    f = strcmp(fname, "-") == 0 ? stdin : fopen(fname, "r");
    if (!f) {
        fprintf(stderr, "ossctl refdata: %s: %s\n", fname, strerror(errno));
        return EXIT_USAGE;
    }
    conn = connect_pg(pg_url);
    if (!conn) {
        rc = EXIT_USAGE;
        goto out;
    }
    if ((rc = run(conn, "BEGIN", 0, NULL, NULL)) != 0)
        goto out;
    rc = import_tx(conn, kind, version, activate, f, fname, &st);
    if (rc == 0)
        rc = run(conn, "COMMIT", 0, NULL, NULL);
    if (rc != 0) {
        (void)run(conn, "ROLLBACK", 0, NULL, NULL);
        fprintf(stderr, "ossctl refdata: nothing imported\n");
        goto out;
    }
    print_stats(kind, version, fname, activate, &st);
out:
    PQfinish(conn);
    if (f && f != stdin)
        fclose(f);
    return rc;
}

/* ---- activate ------------------------------------------------------------------------------ */

/* Makes (kind, version) the active version of its kind, in one transaction; 1 when there is no
 * such version. */
static int cmd_activate(int argc, char **argv, const char *pg_url)
{
    enum refdata_kind kind;
    long rows = 0;
    int rc;

    if (argc != 3 || refdata_kind_parse(argv[1], &kind) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *p2[2] = {argv[1], argv[2]};
    PGconn *conn = connect_pg(pg_url);
    if (!conn)
        return EXIT_USAGE;
    if ((rc = run(conn, "BEGIN", 0, NULL, NULL)) != 0 ||
        (rc = run(conn, "LOCK TABLE ref_versions IN EXCLUSIVE MODE", 0, NULL, NULL)) != 0 ||
        (rc = run(conn, "SELECT 1 FROM ref_versions WHERE kind = $1 AND version = $2", 2, p2,
                  &rows)) != 0)
        goto out;
    if (rows == 0) {
        fprintf(stderr, "ossctl refdata: no %s version '%s' (see `ossctl refdata list`)\n", argv[1],
                argv[2]);
        rc = EXIT_DATA;
        goto out;
    }
    char notify[300];
    snprintf(notify, sizeof(notify), "%s:%s", argv[1], argv[2]);
    const char *pn = notify;
    if ((rc = run(conn,
                  "UPDATE ref_versions SET active = false WHERE kind = $1 AND active AND "
                  "version <> $2",
                  2, p2, NULL)) != 0 ||
        (rc = run(conn, "UPDATE ref_versions SET active = true WHERE kind = $1 AND version = $2", 2,
                  p2, NULL)) != 0 ||
        (rc = run(conn, "SELECT pg_notify('ossd_refdata', $1)", 1, &pn, NULL)) != 0 ||
        (rc = run(conn, "COMMIT", 0, NULL, NULL)) != 0)
        goto out;
    printf("%s %s is now the active version (running ossd: send SIGHUP)\n", argv[1], argv[2]);
out:
    PQfinish(conn); /* an open transaction is rolled back */
    return rc;
}

/* ---- list ------------------------------------------------------------------------------------ */

static int cmd_list(const char *pg_url)
{
    static const char *const sql =
        "SELECT v.kind, v.version, v.active, to_char(v.loaded_at, 'YYYY-MM-DD HH24:MI:SS TZ'), "
        "  CASE v.kind WHEN 'kbli' THEN "
        "    (SELECT format('%s codes, %s with a risk level, %s per-scale levels', count(*), "
        "            count(k.risk), (SELECT count(*) FROM ref_kbli_risk r "
        "                            WHERE r.version = v.version)) "
        "     FROM ref_kbli k WHERE k.version = v.version) "
        "  WHEN 'holidays' THEN "
        "    (SELECT format('%s dates, %s to %s', count(*), coalesce(min(h.day)::text, '-'), "
        "            coalesce(max(h.day)::text, '-')) "
        "     FROM ref_holidays h WHERE h.version = v.version) "
        "  WHEN 'sla' THEN "
        "    (SELECT format('%s deadlines (%s for every scale); other KBLI codes: 5 working days', "
        "            count(*), count(*) FILTER (WHERE s.scale = '')) "
        "     FROM ref_sla s WHERE s.version = v.version) "
        "  ELSE (SELECT format('%s codes: %s provinces, %s regencies, %s districts, %s villages', "
        "            count(*), count(*) FILTER (WHERE length(code) = 2), "
        "            count(*) FILTER (WHERE length(code) = 5), "
        "            count(*) FILTER (WHERE length(code) = 8), "
        "            count(*) FILTER (WHERE length(code) = 13)) "
        "     FROM ref_regions g WHERE g.version = v.version) END "
        "FROM ref_versions v ORDER BY v.kind, v.loaded_at, v.version";
    PGconn *conn = connect_pg(pg_url);
    PGresult *res;
    int rc = EXIT_OK;

    if (!conn)
        return EXIT_USAGE;
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        (void)pg_fail(res, "list");
        rc = EXIT_USAGE;
        goto out;
    }
    printf("%-8s %-26s %-6s %-25s %s\n", "KIND", "VERSION", "ACTIVE", "LOADED", "CONTENT");
    for (int i = 0; i < PQntuples(res); i++)
        printf("%-8s %-26s %-6s %-25s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               strcmp(PQgetvalue(res, i, 2), "t") == 0 ? "yes" : "no", PQgetvalue(res, i, 3),
               PQgetvalue(res, i, 4));
    if (PQntuples(res) == 0)
        printf("(no reference data: run `ossctl refdata import`)\n");
out:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

int ossctl_refdata_main(int argc, char **argv, const char *pg_url)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 1, argv + 1, pg_url);
    if (strcmp(argv[1], "activate") == 0)
        return cmd_activate(argc - 1, argv + 1, pg_url);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return cmd_list(pg_url);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    usage(stderr);
    return EXIT_USAGE;
}
