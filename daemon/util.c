/* util: small helpers shared by the daemon modules: buffers, hashing, ids, time. */
#include "util.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(void)
{
    fputs("ossd: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void buf_reserve(struct buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* The digests, fetched once from the default provider. EVP_sha256() and SHA256() make
 * OpenSSL 3 look the algorithm up again on every call (EVP_Q_digest: ~23k instructions per
 * message, more than the hashing); an explicitly fetched EVP_MD is used as it is. Written once
 * under pthread_once, then only read: not mutable state. */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!md_sha256 || !md_sha1) {
        fputs("ossd: OpenSSL has no SHA-256 or SHA-1\n", stderr);
        abort();
    }
}

static void digest(const void *data, size_t len, const EVP_MD *md, unsigned char *out)
{
    if (!EVP_Digest(data, len, out, NULL, md, NULL))
        oom(); /* with a fetched algorithm, only an allocation can fail */
}

void sha256(const void *data, size_t len, unsigned char out[32])
{
    pthread_once(&md_once, md_fetch);
    digest(data, len, md_sha256, out);
}

/* ossd's UUID namespace: uuid5(NAMESPACE_URL, "urn:ossd"). */
static const unsigned char ossd_ns[16] = {0x2f, 0x3c, 0x8e, 0x41, 0x5d, 0x6a, 0x5b, 0x1e,
                                          0x9a, 0x43, 0x7c, 0x0d, 0x1e, 0x52, 0x64, 0x8b};

void uuid5_ossd(const char *name, size_t len, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE], small[256];
    unsigned char *in =
        len + sizeof(ossd_ns) <= sizeof(small) ? small : xmalloc(len + sizeof(ossd_ns));

    pthread_once(&md_once, md_fetch);
    memcpy(in, ossd_ns, sizeof(ossd_ns));
    memcpy(in + sizeof(ossd_ns), name, len);
    digest(in, len + sizeof(ossd_ns), md_sha1, md);
    if (in != small)
        free(in);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    for (size_t i = 0, o = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[36] = '\0';
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the w last decimal digits of v at o. */
static char *put_digits(char *o, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + w;
}

void format_rfc3339_ms(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char *o = out;

    /* The hot path (every event): digits by hand, not snprintf. Same fields and widths as
     * "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" of the values below. */
    gmtime_r(&secs, &tm);
    if (ms < 0 || tm.tm_year + 1900 < 0) { /* before 1970: as it always was */
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
                 (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
                 tm.tm_sec % 100, (int)(ms % 1000));
        return;
    }
    o = put_digits(o, (unsigned)((tm.tm_year + 1900) % 10000), 4);
    *o++ = '-';
    o = put_digits(o, (unsigned)((tm.tm_mon + 1) % 100), 2);
    *o++ = '-';
    o = put_digits(o, (unsigned)(tm.tm_mday % 100), 2);
    *o++ = 'T';
    o = put_digits(o, (unsigned)(tm.tm_hour % 100), 2);
    *o++ = ':';
    o = put_digits(o, (unsigned)(tm.tm_min % 100), 2);
    *o++ = ':';
    o = put_digits(o, (unsigned)(tm.tm_sec % 100), 2);
    *o++ = '.';
    o = put_digits(o, (unsigned)(ms % 1000), 3);
    *o++ = 'Z';
    *o = '\0';
}

void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int all_digits(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void mask_keep(const char *s, size_t keep, char *out, size_t outlen)
{
    size_t n = s ? strlen(s) : 0;
    size_t i;

    if (outlen == 0)
        return;
    for (i = 0; i < n && i + 1 < outlen; i++)
        out[i] = i < keep ? s[i] : '*';
    out[i] = '\0';
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int rfc3339_to_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, frac_ms = 0, off_min = 0;

    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    if ((y = digits(s, 4)) < 0 || (mo = digits(s + 5, 2)) < 1 || mo > 12 ||
        (d = digits(s + 8, 2)) < 1 || d > 31 || (h = digits(s + 11, 2)) < 0 || h > 23 ||
        (mi = digits(s + 14, 2)) < 0 || mi > 59 || (sec = digits(s + 17, 2)) < 0 || sec > 60)
        return -1;
    s += 19;
    if (*s == '.') {
        int n = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, n++)
            if (n < 3)
                frac_ms = frac_ms * 10 + (*s - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            frac_ms *= 10;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if ((*s == '+' || *s == '-') && strlen(s) == 6 && s[3] == ':') {
        int oh = digits(s + 1, 2), om = digits(s + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59)
            return -1;
        off_min = (oh * 60 + om) * (*s == '-' ? -1 : 1);
        s += 6;
    } else {
        return -1;
    }
    if (*s)
        return -1;
    /* a leap second (60) rolls into the next minute */
    *out =
        ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)off_min * 60) *
            1000 +
        frac_ms;
    return 0;
}
