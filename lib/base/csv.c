/* csv.c: a streaming RFC 4180 reader. */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

#define CSV_MAX_RECORD (1024 * 1024)

struct csv_reader {
    FILE *f;
    long line;       /* the physical line the next character belongs to */
    int started;     /* the BOM check was done */
    struct buf rec;  /* the record's field bytes, each field NUL-terminated */
    size_t *offsets; /* start of each field in rec */
    size_t cap_fields;
    char **fields; /* pointers handed out in csv_row */
};

struct csv_reader *csv_open(FILE *f)
{
    struct csv_reader *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->f = f;
    r->line = 1;
    return r;
}

void csv_free(struct csv_reader *r)
{
    if (!r)
        return;
    buf_free(&r->rec);
    free(r->offsets);
    free(r->fields);
    free(r);
}

static void end_field(struct csv_reader *r, size_t *n, size_t start)
{
    if (*n == r->cap_fields) {
        r->cap_fields = r->cap_fields ? r->cap_fields * 2 : 16;
        r->offsets = xrealloc(r->offsets, r->cap_fields * sizeof(*r->offsets));
        r->fields = xrealloc(r->fields, r->cap_fields * sizeof(*r->fields));
    }
    r->offsets[(*n)++] = start;
    buf_putc(&r->rec, '\0');
}

/* States of the record parser. */
enum csv_state {
    FIELD_START, /* at the start of a field */
    UNQUOTED,    /* inside an unquoted field */
    QUOTED,      /* inside a quoted field */
    QUOTE_SEEN,  /* a quote inside a quoted field: an escape or the closing quote */
};

int csv_next(struct csv_reader *r, struct csv_row *row, char *err, size_t errlen)
{
    enum csv_state st = FIELD_START;
    size_t n = 0, start = 0;
    long rec_line;
    int c;

    if (!r->started) {
        r->started = 1;
        c = getc(r->f);
        if (c == 0xEF) {
            int c2 = getc(r->f), c3 = getc(r->f);
            if (c2 != 0xBB || c3 != 0xBF) {
                snprintf(err, errlen, "stray bytes at the start of the file");
                row->line = 1;
                return -1;
            }
        } else if (c != EOF) {
            ungetc(c, r->f);
        }
    }

    /* Skip empty lines between records. */
    for (;;) {
        c = getc(r->f);
        if (c == '\r') {
            int c2 = getc(r->f);
            if (c2 != '\n' && c2 != EOF)
                ungetc(c2, r->f);
            r->line++;
        } else if (c == '\n') {
            r->line++;
        } else {
            break;
        }
    }
    if (c == EOF) {
        if (ferror(r->f)) {
            snprintf(err, errlen, "read error");
            row->line = r->line;
            return -1;
        }
        return 0;
    }
    ungetc(c, r->f);

    buf_reset(&r->rec);
    rec_line = r->line;
    for (;;) {
        c = getc(r->f);
        if (c == EOF && ferror(r->f)) {
            snprintf(err, errlen, "read error");
            row->line = r->line;
            return -1;
        }
        if (c == '\0') {
            snprintf(err, errlen, "NUL byte in the data");
            row->line = r->line;
            return -1;
        }
        if (r->rec.len > CSV_MAX_RECORD) {
            snprintf(err, errlen, "record longer than %d bytes", CSV_MAX_RECORD);
            row->line = rec_line;
            return -1;
        }
        switch (st) {
        case FIELD_START:
            start = r->rec.len;
            if (c == '"') {
                st = QUOTED;
                continue;
            }
            st = UNQUOTED;
            /* fall through */
        case UNQUOTED:
        case QUOTE_SEEN:
            if (st == QUOTE_SEEN && c == '"') {
                buf_putc(&r->rec, '"'); /* "" inside quotes */
                st = QUOTED;
                continue;
            }
            if (c == ',') {
                end_field(r, &n, start);
                st = FIELD_START;
                continue;
            }
            if (c == '\r' || c == '\n' || c == EOF) {
                if (c == '\r') {
                    int c2 = getc(r->f);
                    if (c2 != '\n' && c2 != EOF)
                        ungetc(c2, r->f);
                }
                if (c != EOF)
                    r->line++;
                end_field(r, &n, start);
                goto done;
            }
            if (st == QUOTE_SEEN) {
                snprintf(err, errlen, "text after a closing quote");
                row->line = r->line;
                return -1;
            }
            buf_putc(&r->rec, (char)c); /* a lone quote inside an unquoted field is kept */
            continue;
        case QUOTED:
            if (c == EOF) {
                snprintf(err, errlen, "unterminated quoted field");
                row->line = rec_line;
                return -1;
            }
            if (c == '"') {
                st = QUOTE_SEEN;
                continue;
            }
            if (c == '\n')
                r->line++;
            else if (c == '\r') {
                int c2 = getc(r->f);
                if (c2 != '\n' && c2 != EOF)
                    ungetc(c2, r->f);
                r->line++;
                buf_putc(&r->rec, '\n'); /* CRLF and lone CR inside quotes become LF */
                continue;
            }
            buf_putc(&r->rec, (char)c);
            continue;
        }
    }
done:
    for (size_t i = 0; i < n; i++)
        r->fields[i] = r->rec.data + r->offsets[i];
    row->n_fields = n;
    row->fields = r->fields;
    row->line = rec_line;
    return 1;
}
