/* util: small helpers shared by the daemon modules: buffers, hashing, ids, time. */
#ifndef OSSD_UTIL_H
#define OSSD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MUST_CHECK    __attribute__((warn_unused_result))

/* Allocation that aborts on out-of-memory (the daemon cannot go on without it). */
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

/* SHA-256 of data into out[32]. */
void sha256(const void *data, size_t len, unsigned char out[32]);

/* RFC 4122 version-5 UUID of name in ossd's namespace, as 36 chars + NUL. */
void uuid5_ossd(const char *name, size_t len, char out[37]);

/* Current wall-clock time in milliseconds since the epoch, monotonic ms, and
 * monotonic seconds with nanosecond resolution (to time short intervals). */
int64_t now_ms(void);
int64_t mono_ms(void);
double mono_s(void);
/* Formats epoch milliseconds as RFC 3339 UTC with milliseconds ("...T..:..:..123Z"). */
void format_rfc3339_ms(int64_t ms, char out[32]);

/* Copies src (NULL: "") into dst of size bytes (size > 0), cut to size - 1 bytes and
 * terminated: snprintf(dst, size, "%s", src) without the format parsing. */
void str_copy(char *dst, size_t size, const char *src);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant). */
int64_t days_from_civil(int y, int m, int d);

/* Parses an RFC 3339 date-time with offset ("2026-11-28T15:00:01.5+07:00")
 * into epoch milliseconds. 0, or -1 when malformed. */
int rfc3339_to_ms(const char *s, int64_t *out);

/* 1 when s is exactly n ASCII digits. */
int all_digits(const char *s, size_t n);

/* Masks an identity value for logs and events: keeps the first keep chars,
 * replaces the rest with '*' (same length). out must hold strlen(s)+1. */
void mask_keep(const char *s, size_t keep, char *out, size_t outlen);

#endif
