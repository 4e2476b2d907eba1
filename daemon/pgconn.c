/* pgconn: opening a PostgreSQL connection, for the daemon's store and the tools alike. */
#include "pgconn.h"

#include <stdio.h>
#include <string.h>

/*
 * Every session is bounded in time, so that no thread of ossd (nor a tool) waits on
 * PostgreSQL for longer than the watchdog allows: a connect (a black-holed address would
 * otherwise hang for minutes), and a dead peer found by keepalives. Defaults: the conninfo
 * may set connect_timeout and the keepalives itself (it comes after these, so it wins).
 */
#define PGCONN_CONNECT_TIMEOUT_S "5"
#define PGCONN_KEEPALIVES_IDLE_S "10"
#define PGCONN_KEEPALIVES_COUNT  "3"

PGconn *pgconn_open(const char *conninfo, char *err, size_t errlen)
{
    static const char *const keys[] = {"connect_timeout",  "keepalives_idle", "keepalives_interval",
                                       "keepalives_count", "dbname",          NULL};
    const char *vals[6] = {PGCONN_CONNECT_TIMEOUT_S,
                           PGCONN_KEEPALIVES_IDLE_S,
                           PGCONN_KEEPALIVES_IDLE_S,
                           PGCONN_KEEPALIVES_COUNT,
                           conninfo ? conninfo : "", /* expanded: a URL or key=value string */
                           NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);

    if (PQstatus(conn) != CONNECTION_OK) {
        pgconn_error(conn, err, errlen);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

void pgconn_error(const PGconn *conn, char *err, size_t errlen)
{
    const char *p = PQerrorMessage(conn);
    size_t n = 0;

    if (!errlen)
        return;
    err[0] = '\0';
    while (*p) {
        size_t len = strcspn(p, "\n");
        const char *line = p;

        p += len;
        if (*p == '\n')
            p++;
        while (len && (*line == ' ' || *line == '\t')) { /* libpq indents its hints */
            line++;
            len--;
        }
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            len--;
        if (!len)
            continue;
        int w = snprintf(err + n, errlen - n, "%s%.*s", n ? "; " : "", (int)len, line);
        if (w < 0 || (size_t)w >= errlen - n)
            return; /* full: truncated by snprintf, still terminated */
        n += (size_t)w;
    }
}
