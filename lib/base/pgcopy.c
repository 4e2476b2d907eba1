/* pgcopy: PostgreSQL COPY encoders (text and binary formats) into a struct buf; no libpq. */
#include "pgcopy.h"

#include <string.h>

#include "timeutil.h"

void copy_text(struct buf *b, const char *s, size_t len, char sep)
{
    buf_reserve(b, 2 * len + 2);
    for (size_t i = 0; i < len; i++) {
        char c = s[i], esc = 0;
        switch (c) {
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        }
        if (esc) {
            b->data[b->len++] = '\\';
            b->data[b->len++] = esc;
        } else {
            b->data[b->len++] = c;
        }
    }
    b->data[b->len] = '\0';
    buf_putc(b, sep);
}

void copy_str(struct buf *b, const char *s, char sep)
{
    if (!s) {
        buf_append(b, "\\N", 2);
        buf_putc(b, sep);
        return;
    }
    copy_text(b, s, strlen(s), sep);
}

void copy_bytea(struct buf *b, const void *p, size_t len, char sep)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = p;

    if (!p) {
        buf_append(b, "\\N", 2);
        buf_putc(b, sep);
        return;
    }
    buf_reserve(b, 2 * len + 4);
    buf_append(b, "\\\\x", 3);
    for (size_t i = 0; i < len; i++) {
        b->data[b->len++] = hex[u[i] >> 4];
        b->data[b->len++] = hex[u[i] & 15];
    }
    b->data[b->len] = '\0';
    buf_putc(b, sep);
}

void copy_int(struct buf *b, long long v, char sep)
{
    char tmp[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    buf_reserve(b, (size_t)n + 2);
    if (v < 0)
        b->data[b->len++] = '-';
    while (n)
        b->data[b->len++] = tmp[--n];
    b->data[b->len++] = sep;
    b->data[b->len] = '\0';
}

void copy_ts_ms(struct buf *b, int64_t ms, char sep)
{
    /* the batch's decision time repeats on every row: format it once */
    static __thread int64_t last_ms = -1;
    static __thread char ts[32];
    if (!ms) {
        buf_append(b, "\\N", 2);
        buf_putc(b, sep);
        return;
    }
    if (ms != last_ms) {
        format_rfc3339_ms(ms, ts);
        last_ms = ms;
    }
    buf_puts(b, ts);
    buf_putc(b, sep);
}

static void put_be(struct buf *b, uint64_t v, int bytes)
{
    buf_reserve(b, (size_t)bytes);
    for (int i = bytes - 1; i >= 0; i--)
        b->data[b->len++] = (char)((v >> (8 * i)) & 0xff);
    b->data[b->len] = '\0';
}

void copyb_header(struct buf *b)
{
    buf_append(b, "PGCOPY\n\377\r\n\0", 11);
    put_be(b, 0, 4); /* flags */
    put_be(b, 0, 4); /* header extension length */
}

void copyb_fields(struct buf *b, int n)
{
    put_be(b, (uint64_t)n, 2);
}

void copyb_int8(struct buf *b, int64_t v)
{
    put_be(b, 8, 4);
    put_be(b, (uint64_t)v, 8);
}

void copyb_int4(struct buf *b, int32_t v)
{
    put_be(b, 4, 4);
    put_be(b, (uint32_t)v, 4);
}

void copyb_bool(struct buf *b, int v)
{
    put_be(b, 1, 4);
    buf_putc(b, v ? 1 : 0);
}

void copyb_null(struct buf *b)
{
    put_be(b, 0xffffffffu, 4);
}

void copyb_str(struct buf *b, const char *s)
{
    copyb_bytes(b, s, s ? strlen(s) : 0);
}

void copyb_uuid(struct buf *b, const char *u)
{
    unsigned char raw[16];
    int n = 0;
    for (const char *p = u; *p && n < 32; p++) {
        int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (v < 0)
            continue; /* the dashes */
        if (n % 2 == 0)
            raw[n / 2] = (unsigned char)(v << 4);
        else
            raw[n / 2] |= (unsigned char)v;
        n++;
    }
    copyb_bytes(b, raw, 16);
}

void copyb_bytes(struct buf *b, const void *p, size_t len)
{
    if (!p) {
        put_be(b, 0xffffffffu, 4);
        return;
    }
    put_be(b, len, 4);
    buf_append(b, p, len);
}

void copyb_jsonb(struct buf *b, const char *json, size_t len)
{
    put_be(b, len + 1, 4);
    buf_putc(b, 1); /* jsonb binary format version */
    buf_append(b, json, len);
}

void copyb_timestamptz(struct buf *b, int64_t epoch_ms)
{
    /* microseconds since 2000-01-01 00:00:00 UTC */
    put_be(b, 8, 4);
    put_be(b, (uint64_t)((epoch_ms - 946684800000LL) * 1000), 8);
}

void copyb_trailer(struct buf *b)
{
    put_be(b, 0xffff, 2);
}

void pg_text_array(struct buf *b, const char *const *v, size_t n)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        buf_putc(b, '"');
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(b, '\\');
            buf_putc(b, *p);
        }
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}
