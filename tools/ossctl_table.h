/* ossctl_table: the result of a query as an aligned text table, the one way ossctl prints rows. */
#ifndef OSSD_OSSCTL_TABLE_H
#define OSSD_OSSCTL_TABLE_H

#include <libpq-fe.h>

/* Prints r's column names, then its rows, to stdout: columns padded to their widest value and
 * two spaces apart, the last one not padded, NULL as "-". r stays the caller's. */
void ossctl_print_table(PGresult *r);

#endif
