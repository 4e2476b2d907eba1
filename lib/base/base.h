/* base: allocation that aborts on out-of-memory, a growable byte buffer, digit checks and
 * masking. Generic: lib/base knows nothing of ossd. */
#ifndef BASE_BASE_H
#define BASE_BASE_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MUST_CHECK    __attribute__((warn_unused_result))

/* Allocation that aborts on out-of-memory (the program cannot go on without it). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer; always NUL-terminated. buf_free releases the data. */
struct buf {
    char *data;
    size_t len, cap;
};
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* 1 when s is exactly n ASCII digits. */
int all_digits(const char *s, size_t n);

/* Masks an identity value for logs and events: keeps the first keep chars,
 * replaces the rest with '*' (same length). out must hold strlen(s)+1. */
void mask_keep(const char *s, size_t keep, char *out, size_t outlen);

/* Copies src (NULL: "") into dst of size bytes (size > 0), cut to size - 1 bytes and
 * terminated: snprintf(dst, size, "%s", src) without the format parsing. */
void str_copy(char *dst, size_t size, const char *src);

#endif
