/* ossctl_permit: a permit and its history, and the running deadlines, for operators. */
#include "ossctl_permit.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "ossctl_table.h"
#include "util.h"
#include "pgconn.h"

/* The history columns: never officer_id, officer_name or the note itself (officer identity
 * stays in PostgreSQL; a note is free text that may name people or carry an identity number),
 * only the note's length. */
#define HISTORY_COLUMNS                                                                            \
    "SELECT id, date_trunc('second', recorded_at) AS recorded_at, "                                \
    "coalesce(status_id, '(ossd)') AS status_id, code, status_at, "                                \
    "coalesce(error_code, 'applied') AS outcome, previous_status AS \"from\", "                    \
    "status AS \"to\", sla_due, agency, permit_number, "                                           \
    "length(note) || ' chars' AS note"
#define HISTORY_FROM " FROM permit_history WHERE permit_id = $1 ORDER BY id"

/* A connection in Asia/Jakarta time, or NULL (reported). The caller PQfinish()es it. */
static PGconn *connect_jakarta(const char *pg)
{
    char msg[1024];
    PGconn *conn = pgconn_open(pg, msg, sizeof(msg));
    PGresult *r = NULL;

    if (!conn) {
        fprintf(stderr, "ossctl: %s\n", msg);
        goto err;
    }
    r = PQexec(conn, "SET TIME ZONE 'Asia/Jakarta'");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        goto err;
    }
    PQclear(r);
    return conn;
err:
    PQclear(r);
    PQfinish(conn);
    return NULL;
}

/* Runs a query; returns its result (the caller PQclear()s it), or NULL (reported). */
static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Prints r as aligned columns under their names; NULL as "-". */
/* 1 when s has the shape of a permit_id: 13 digits, '-', 5 digits, '-', 6 digits. */
static int permit_id_valid(const char *s)
{
    if (strlen(s) != 26 || s[13] != '-' || s[19] != '-')
        return 0;
    for (size_t i = 0; i < 26; i++)
        if (i != 13 && i != 19 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

static int permit_show(PGconn *conn, const char *id)
{
    const char *params[1] = {id};
    PGresult *p = NULL, *h = NULL;
    int rc = 2;

    p = query(conn,
              "SELECT permit_id, nib, kbli, district, risk, status, clock, sla_days, last_day, "
              "sla_due, stopped_at, last_status_at, submission_id, decided_at, "
              "date_trunc('second', updated_at) AS updated_at "
              "FROM permits WHERE permit_id = $1",
              1, params);
    if (!p)
        goto out;
    if (PQntuples(p) == 0) {
        fprintf(stderr, "ossctl: no permit %s\n", id);
        rc = 1;
        goto out;
    }
    for (int c = 0; c < PQnfields(p); c++)
        printf("%-15s %s\n", PQfname(p, c), PQgetisnull(p, 0, c) ? "-" : PQgetvalue(p, 0, c));
    h = query(conn, HISTORY_COLUMNS HISTORY_FROM, 1, params);
    if (!h)
        goto out;
    if (PQntuples(h) == 0) {
        printf("\nhistory: no status update yet\n");
    } else {
        printf("\nhistory (%d, newest last):\n", PQntuples(h));
        ossctl_print_table(h);
    }
    rc = 0;
out:
    PQclear(h);
    PQclear(p);
    return rc;
}

int ossctl_permit_main(int argc, char **argv, const char *pg)
{
    const char *id;
    int rc;
    PGconn *conn;

    if (argc != 3 || strcmp(argv[1], "show") != 0 || argv[2][0] == '-') {
        fprintf(stderr, "usage: ossctl permit show PERMIT_ID\n");
        return 2;
    }
    id = argv[2];
    if (!permit_id_valid(id)) {
        fprintf(stderr,
                "ossctl: %s is no permit id (<13-digit NIB>-<5-digit KBLI>-<6-digit "
                "district>)\n",
                id);
        return 2;
    }
    if (!(conn = connect_jakarta(pg)))
        return 2;
    rc = permit_show(conn, id);
    PQfinish(conn);
    return rc;
}

/* --before T: RFC 3339 with offset, or YYYY-MM-DD (00:00 Asia/Jakarta). 0, or -1. */
static int parse_before(const char *s, int64_t *ms)
{
    int32_t day;

    if (cal_parse_date(s, &day) == 0) {
        *ms = cal_jakarta_midnight(day);
        return 0;
    }
    return rfc3339_to_ms(s, ms);
}

static int sla_usage(void)
{
    fprintf(stderr, "usage: ossctl sla due [--before T] [--limit N]\n");
    return 2;
}

int ossctl_sla_main(int argc, char **argv, const char *pg)
{
    char before[32] = "", now[32], limit[16] = "";
    int64_t t;
    PGconn *conn = NULL;
    PGresult *r = NULL;
    int rc = 2;

    if (argc < 2 || strcmp(argv[1], "due") != 0)
        return sla_usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--before") == 0 && i + 1 < argc) {
            if (parse_before(argv[++i], &t) != 0) {
                fprintf(stderr,
                        "ossctl: --before %s: not an RFC 3339 date-time with offset "
                        "or a date YYYY-MM-DD\n",
                        argv[i]);
                return 2;
            }
            format_rfc3339_ms(t, before);
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc && argv[i + 1][0] &&
                   strlen(argv[i + 1]) < 10 && all_digits(argv[i + 1], strlen(argv[i + 1]))) {
            snprintf(limit, sizeof(limit), "%s", argv[++i]);
        } else {
            return sla_usage();
        }
    }
    format_rfc3339_ms(now_ms(), now);
    if (!(conn = connect_jakarta(pg)))
        return 2;
    const char *params[3] = {now, before[0] ? before : NULL, limit[0] ? limit : NULL};
    r = query(conn,
              "SELECT permit_id, nib, kbli, risk, sla_days AS n, last_day, sla_due, "
              "CASE WHEN sla_due <= $1::timestamptz THEN 'yes' ELSE 'no' END AS overdue "
              "FROM permits WHERE status = 'pending_verification' AND clock = 'running' "
              "AND ($2::timestamptz IS NULL OR sla_due < $2::timestamptz) "
              "ORDER BY sla_due, permit_id LIMIT $3::bigint",
              3, params);
    if (!r)
        goto out;
    int overdue = 0;
    for (int i = 0; i < PQntuples(r); i++)
        overdue += strcmp(PQgetvalue(r, i, 7), "yes") == 0;
    if (PQntuples(r) > 0)
        ossctl_print_table(r);
    printf("%d running deadline%s%s%s, %d overdue\n", PQntuples(r), PQntuples(r) == 1 ? "" : "s",
           before[0] ? " due before " : "", before, overdue);
    rc = 0;
out:
    PQclear(r);
    PQfinish(conn);
    return rc;
}
