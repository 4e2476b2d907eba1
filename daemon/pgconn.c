/* pgconn: opening a PostgreSQL connection, for the daemon's store and the tools alike. */
#include "pgconn.h"

#include <stdio.h>
#include <string.h>

PGconn *pgconn_open(const char *conninfo, char *err, size_t errlen)
{
    PGconn *conn = PQconnectdb(conninfo ? conninfo : "");

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
