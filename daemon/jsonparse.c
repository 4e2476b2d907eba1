/* jsonparse: a fast JSON parser for the common message, into the same jansson tree. */
#include "jsonparse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * jansson's json_loadb reads a byte at a time through its stream and lexer
 * (~100 instructions per byte, half of deciding a message). This parser
 * walks the buffer directly and builds the same tree with the same
 * constructors. It accepts only what it is sure jansson accepts with
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, and gives up (NULL) on
 * anything else: a syntax error, a \u escape, a number out of range, a
 * duplicate key, deep nesting. The caller then runs json_loadb, whose
 * verdict and error message stand, so an input refused here costs one
 * extra partial pass and nothing else changes.
 */

#define FAST_MAX_DEPTH 64 /* jansson allows 2048; deeper documents go to jansson */

struct p {
    const char *s, *end;
    const char *start; /* the whole buffer */
    size_t underflow;  /* offset just past the first real that underflowed to 0, or 0 */
    char *tmp;         /* owned; unescaping buffer */
    size_t tmp_cap;
};

static json_t *value(struct p *p, int depth);

static void ws(struct p *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t'))
        p->s++;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid: jansson's rules
 * (no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], v;
    size_t len;

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return len;
}

/* 1 for the bytes a string holds as they are: printable ASCII but the quote and backslash. */
static inline int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* A string at p->s (just past the opening quote): its bytes in *out (into the input, or the
 * unescaping buffer) and length; -1 to give up. */
static int string(struct p *p, const char **out, size_t *outlen)
{
    const char *start = p->s, *q = p->s, *end = p->end;
    size_t n;
    int escaped = 0;

    /* First pass: validate and find the end (locals: the loop is the parser's hottest). */
    for (;;) {
        while (q < end && plain((unsigned char)*q))
            q++;
        if (q >= end)
            return -1;
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (q + 1 >= end)
                return -1;
            char e = q[1];
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return -1; /* \u and invalid escapes: jansson decides */
            escaped = 1;
            q += 2;
            continue;
        }
        /* c >= 0x80 (plain took the rest) */
        size_t l = utf8_len((const unsigned char *)q, (size_t)(end - q));
        if (!l)
            return -1;
        q += l;
    }
    p->s = q;
    n = (size_t)(q - start); /* the unescaped string is no longer */
    if (!escaped) {
        *out = start;
        *outlen = (size_t)(p->s - start);
        p->s++;
        return 0;
    }
    if (n + 1 > p->tmp_cap) {
        char *t = realloc(p->tmp, n + 1);
        if (!t)
            return -1;
        p->tmp = t;
        p->tmp_cap = n + 1;
    }
    char *o = p->tmp;
    for (const char *r = start; r < p->s; r++) {
        if (*r != '\\') {
            *o++ = *r;
            continue;
        }
        switch (*++r) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        default: /* " \ / */
            *o++ = *r;
        }
    }
    *out = p->tmp;
    *outlen = (size_t)(o - p->tmp);
    p->s++;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number with JSON's grammar, converted as jansson converts it (strtoll, strtod). */
static json_t *number(struct p *p)
{
    const char *start = p->s, *q = p->s;
    char tmp[64];
    int real = 0;

    if (q < p->end && *q == '-')
        q++;
    if (q < p->end && *q == '0') {
        q++;
    } else if (q < p->end && *q >= '1' && *q <= '9') {
        while (q < p->end && is_digit(*q))
            q++;
    } else {
        return NULL;
    }
    if (q < p->end && *q == '.') {
        real = 1;
        q++;
        if (q >= p->end || !is_digit(*q))
            return NULL;
        while (q < p->end && is_digit(*q))
            q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < p->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= p->end || !is_digit(*q))
            return NULL;
        while (q < p->end && is_digit(*q))
            q++;
    }
    size_t n = (size_t)(q - start);
    if (n >= sizeof(tmp))
        return NULL; /* long literals: jansson */
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    p->s = q;
    errno = 0;
    if (!real) {
        long long v = strtoll(tmp, NULL, 10);
        if (errno == ERANGE)
            return NULL;
        return json_integer(v);
    }
    double d = strtod(tmp, NULL);
    if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
        return NULL;
    if (d == 0.0 && !p->underflow) {
        /* gate_number_underflow's rule: a non-zero digit before the exponent, yet 0.0 */
        size_t mant = strcspn(tmp, "eE");
        if (strcspn(tmp, "123456789") < mant)
            p->underflow = (size_t)(q - p->start);
    }
    return json_real(d);
}

static int literal(struct p *p, const char *word, size_t n)
{
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return -1;
    p->s += n;
    return 0;
}

static json_t *object(struct p *p, int depth)
{
    json_t *obj = json_object();

    if (!obj)
        return NULL;
    ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return obj;
    }
    for (;;) {
        const char *key;
        size_t klen;
        json_t *v;

        ws(p);
        if (p->s >= p->end || *p->s != '"')
            goto err;
        p->s++;
        if (string(p, &key, &klen) != 0)
            goto err;
        /* the key may sit in the unescaping buffer, which the value can reuse */
        char kbuf[128], *k = klen < sizeof(kbuf) ? kbuf : malloc(klen + 1);
        if (!k)
            goto err;
        memcpy(k, key, klen);
        k[klen] = '\0';
        ws(p);
        if (p->s >= p->end || *p->s != ':') {
            if (k != kbuf)
                free(k);
            goto err;
        }
        p->s++;
        v = value(p, depth + 1);
        /* A duplicate key (jansson's error) replaces the value instead of adding one: the
         * size tells, without a lookup of its own. */
        size_t before = json_object_size(obj);
        if (!v || json_object_setn_new_nocheck(obj, k, klen, v) != 0 ||
            json_object_size(obj) != before + 1) {
            if (k != kbuf)
                free(k);
            goto err;
        }
        if (k != kbuf)
            free(k);
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == '}') {
            p->s++;
            return obj;
        }
        goto err;
    }
err:
    json_decref(obj);
    return NULL;
}

static json_t *array(struct p *p, int depth)
{
    json_t *arr = json_array();

    if (!arr)
        return NULL;
    ws(p);
    if (p->s < p->end && *p->s == ']') {
        p->s++;
        return arr;
    }
    for (;;) {
        json_t *v = value(p, depth + 1);
        if (!v || json_array_append_new(arr, v) != 0)
            goto err;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == ']') {
            p->s++;
            return arr;
        }
        goto err;
    }
err:
    json_decref(arr);
    return NULL;
}

static json_t *value(struct p *p, int depth)
{
    const char *str;
    size_t len;

    if (depth > FAST_MAX_DEPTH)
        return NULL;
    ws(p);
    if (p->s >= p->end)
        return NULL;
    switch (*p->s) {
    case '{':
        p->s++;
        return object(p, depth);
    case '[':
        p->s++;
        return array(p, depth);
    case '"':
        p->s++;
        if (string(p, &str, &len) != 0)
            return NULL;
        return json_stringn_nocheck(str, len);
    case 't':
        return literal(p, "true", 4) == 0 ? json_true() : NULL;
    case 'f':
        return literal(p, "false", 5) == 0 ? json_false() : NULL;
    case 'n':
        return literal(p, "null", 4) == 0 ? json_null() : NULL;
    default:
        return number(p);
    }
}

json_t *jsonparse_fast(const char *buf, size_t len, size_t *underflow)
{
    struct p p = {buf, buf + len, buf, 0, NULL, 0};
    json_t *v = value(&p, 1);

    if (v) {
        ws(&p);
        if (p.s != p.end) { /* trailing bytes: jansson's error */
            json_decref(v);
            v = NULL;
        }
    }
    free(p.tmp);
    *underflow = v ? p.underflow : 0;
    return v;
}
