/* csv: a streaming RFC 4180 reader (quoted fields, "" escapes, newlines inside quotes, CRLF). */
#ifndef BASE_CSV_H
#define BASE_CSV_H

#include <stddef.h>
#include <stdio.h>

/* One record. The field strings belong to the reader and stay valid until the next
 * csv_next() or csv_free(). */
struct csv_row {
    size_t n_fields;
    char **fields; /* NUL-terminated */
    long line;     /* the physical line the record starts on (1-based) */
};

struct csv_reader;

/*
 * A reader over f (not closed by the reader; the caller keeps it open while reading). A UTF-8
 * byte-order mark at the start is skipped. Returns NULL only when out of memory.
 */
struct csv_reader *csv_open(FILE *f);

/*
 * Reads the next record into *row: 1 for a record, 0 at end of input, -1 on malformed input
 * (an unterminated quote, text after a closing quote, a NUL byte, a record over 1 MiB) or a
 * read error, with err filled and row->line set to the line of the error. Empty lines are
 * skipped.
 */
int csv_next(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen);

/* Frees the reader; csv_free(NULL) is a no-op. */
void csv_free(struct csv_reader *r);

#endif /* BASE_CSV_H */
