/* pgconn: opening a PostgreSQL connection, for the daemon's store and the tools (ossctl,
 * ossd-rawcopy) alike, with libpq's whole error kept. */
#ifndef OSSD_PGCONN_H
#define OSSD_PGCONN_H

#include <libpq-fe.h>
#include <stddef.h>

/* Connects to conninfo (a libpq URI or key=value string; NULL is ""), with a 5 s connect
 * timeout and keepalives unless conninfo sets its own. The connection, owned by the caller
 * (PQfinish), or NULL with err: every line of libpq's message joined by "; ". */
PGconn *pgconn_open(const char *conninfo, char *err, size_t errlen);

/* Copies libpq's connection error into err with every line kept, joined by "; ". libpq
 * reports each address it tried on a line of its own (localhost is ::1 and 127.0.0.1 on
 * a stock Debian): the cause is often on the last line, not the first. */
void pgconn_error(const PGconn *conn, char *err, size_t errlen);

#endif
