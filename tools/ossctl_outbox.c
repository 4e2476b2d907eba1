/* ossctl_outbox: the outbox rows parked as undeliverable, listed and released. */
#include "ossctl_outbox.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"
#include "ossctl_table.h"
#include "util.h"

/* The parked rows' columns: never msg_value (an event or dead letter can carry contact data),
 * only its size. An event's key is its subject (the NIB, or the submission id of a
 * rejection), printed when it is plain text; a dead letter's key came from the producer and
 * is printed only when it cannot be an identity number, a phone number or an email. */
#define PARKED_SQL                                                                                 \
    "WITH p AS (SELECT id, topic, msg_key, octet_length(msg_value) AS size, created_at, "          \
    "(SELECT h->>1 FROM jsonb_array_elements(headers) h WHERE h->>0 = 'ossd.error.code' "          \
    "LIMIT 1) AS code FROM outbox "                                                                \
    "WHERE attempted_at = 'infinity' AND published_at IS NULL) "                                   \
    "SELECT id, CASE WHEN code IS NULL THEN 'event' ELSE 'dead letter ' || code END AS kind, "     \
    "topic, CASE WHEN msg_key IS NULL THEN '-' "                                                   \
    "WHEN encode(msg_key, 'escape') ~ '^[A-Za-z0-9._:-]{1,64}$' AND (code IS NULL OR "             \
    "encode(msg_key, 'escape') !~ '[0-9]{10}') THEN encode(msg_key, 'escape') "                    \
    "ELSE '(' || octet_length(msg_key) || ' bytes)' END AS key, size, "                            \
    "date_trunc('second', created_at) AS created_at FROM p ORDER BY id LIMIT $1::bigint"

#define RELEASE_SQL                                                                                \
    "UPDATE outbox SET attempted_at = NULL WHERE attempted_at = 'infinity' "                       \
    "AND published_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) "               \
    "RETURNING id"

/* Prints r as aligned columns under their names; NULL as "-". */
static int usage(void)
{
    fprintf(stderr, "usage: ossctl outbox parked [--limit N]\n"
                    "       ossctl outbox release ID...|--all\n");
    return 2;
}

/* 1 when s is a decimal number of 1..18 digits (fits a bigint). */
static int id_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 18 && all_digits(s, n);
}

static int parked(PGconn *conn, int argc, char **argv)
{
    const char *limit = NULL;
    PGresult *r;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc && id_valid(argv[i + 1]))
            limit = argv[++i];
        else
            return usage();
    }
    const char *params[1] = {limit};
    r = PQexecParams(conn, PARKED_SQL, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        PQclear(r);
        return 2;
    }
    if (PQntuples(r) > 0)
        ossctl_print_table(r);
    printf("%d parked row%s\n", PQntuples(r), PQntuples(r) == 1 ? "" : "s");
    PQclear(r);
    return 0;
}

static int release(PGconn *conn, int argc, char **argv)
{
    struct buf arr = {0};
    PGresult *r = NULL;
    int all = argc == 3 && strcmp(argv[2], "--all") == 0, rc = 2;

    if (argc < 3)
        return usage();
    for (int i = 2; !all && i < argc; i++) {
        if (!id_valid(argv[i])) {
            fprintf(stderr, "ossctl: %s is no outbox id\n", argv[i]);
            return usage();
        }
        buf_printf(&arr, "%s%s", i > 2 ? "," : "{", argv[i]);
    }
    if (!all)
        buf_puts(&arr, "}");
    const char *params[1] = {all ? NULL : arr.data};
    r = PQexecParams(conn, RELEASE_SQL, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ossctl: %s", PQresultErrorMessage(r));
        goto out;
    }
    rc = 0;
    for (int i = 2; !all && i < argc; i++) {
        int found = 0;
        for (int j = 0; j < PQntuples(r) && !found; j++)
            found = strtoll(PQgetvalue(r, j, 0), NULL, 10) == strtoll(argv[i], NULL, 10);
        if (!found) {
            fprintf(stderr, "ossctl: outbox row %s is not parked\n", argv[i]);
            rc = 1;
        }
    }
    printf("released %d parked row%s\n", PQntuples(r), PQntuples(r) == 1 ? "" : "s");
out:
    PQclear(r);
    buf_free(&arr);
    return rc;
}

int ossctl_outbox_main(int argc, char **argv, const char *pg)
{
    char msg[1024];
    PGconn *conn;
    int rc;

    if (argc < 2 || (strcmp(argv[1], "parked") != 0 && strcmp(argv[1], "release") != 0) ||
        (strcmp(argv[1], "release") == 0 && argc < 3))
        return usage();
    if (!(conn = pgconn_open(pg, msg, sizeof(msg)))) {
        fprintf(stderr, "ossctl: %s\n", msg);
        return 2;
    }
    rc = strcmp(argv[1], "parked") == 0 ? parked(conn, argc, argv) : release(conn, argc, argv);
    PQfinish(conn);
    return rc;
}
