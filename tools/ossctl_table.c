/* ossctl_table: the result of a query as an aligned text table. */
#include "ossctl_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void ossctl_print_table(PGresult *r)
{
    int cols = PQnfields(r), rows = PQntuples(r);
    int *w = xcalloc((size_t)cols, sizeof(int));

    for (int c = 0; c < cols; c++) {
        w[c] = (int)strlen(PQfname(r, c));
        for (int i = 0; i < rows; i++) {
            int len = PQgetisnull(r, i, c) ? 1 : (int)strlen(PQgetvalue(r, i, c));
            if (len > w[c])
                w[c] = len;
        }
    }
    for (int c = 0; c < cols; c++)
        printf("%-*s%s", c + 1 < cols ? w[c] : 0, PQfname(r, c), c + 1 < cols ? "  " : "\n");
    for (int i = 0; i < rows; i++)
        for (int c = 0; c < cols; c++)
            printf("%-*s%s", c + 1 < cols ? w[c] : 0,
                   PQgetisnull(r, i, c) ? "-" : PQgetvalue(r, i, c), c + 1 < cols ? "  " : "\n");
    free(w);
}
