/* jsonschema_regex.c: translates ECMA-262 (u-mode) regular expressions to PCRE2 and compiles them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

/*
 * PCRE2's JIT reads a few bytes past the end of the subject (within the same
 * page) and Memcheck reports that as use of uninitialised memory. Under
 * valgrind we use the interpreter instead, which gives the same results.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/*
 * What differs between ECMA-262 and PCRE2 (UTF mode, no UCP), and what we emit:
 *   \s \S   ECMA includes Unicode spaces and U+FEFF -> an explicit class
 *           (inside [...] \S stays PCRE's ASCII \S: a documented approximation)
 *   .       ECMA excludes \n \r U+2028 U+2029        -> [^\n\r\x{2028}\x{2029}]
 *   $       ECMA never matches before a final "\n"   -> PCRE2_DOLLAR_ENDONLY
 *   \v      ECMA: U+000B; PCRE: vertical-space class -> \x{0b}
 *   \uXXXX \u{X} \xHH \0 (surrogate pairs joined)    -> \x{...}
 *   [^] []  match anything / nothing                 -> [\s\S] / (?!)
 *   \1..\9  back references                          -> \g{N}
 *   \p{Script=X} \p{gc=X}                            -> \p{X}
 * and rejects what ECMA (u-mode) rejects but PCRE would accept: \A \Z \z \G \h
 * \R \K \X \Q \E, (?i) and other (? groups, (*VERB), octal escapes.
 */

#define S_BODY                                                                                     \
    "\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}"  \
    "\\x{3000}\\x{feff}"
#define DOT "[^\\n\\r\\x{2028}\\x{2029}]"

struct sb {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct sb *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putcp(struct sb *b, unsigned long cp)
{
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "\\x{%lx}", cp);
    put(b, buf, (size_t)n);
}

struct tr {
    const char *s;
    size_t n, i;
    struct sb out;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct tr *t, const char *fmt, ...)
{
    va_list ap;
    if (t->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(t->err, t->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads exactly k hex digits at t->i; -1 if not there. */
static long hex_fixed(struct tr *t, int k)
{
    long v = 0;
    if (t->i + (size_t)k > t->n)
        return -1;
    for (int j = 0; j < k; j++) {
        int h = hexv((unsigned char)t->s[t->i + (size_t)j]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    t->i += (size_t)k;
    return v;
}

/* \u escapes: t->i is just past the 'u'. */
static int unicode_escape(struct tr *t)
{
    long cp;

    if (t->i < t->n && t->s[t->i] == '{') {
        size_t j = ++t->i;
        cp = 0;
        while (t->i < t->n && hexv((unsigned char)t->s[t->i]) >= 0 && cp <= 0x10FFFF)
            cp = cp * 16 + hexv((unsigned char)t->s[t->i++]);
        if (t->i == j || t->i >= t->n || t->s[t->i] != '}' || cp > 0x10FFFF)
            return fail(t, "invalid \\u{...} escape");
        t->i++;
    } else if ((cp = hex_fixed(t, 4)) < 0) {
        return fail(t, "invalid \\u escape");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF && t->i + 1 < t->n && t->s[t->i] == '\\' &&
        t->s[t->i + 1] == 'u') {
        size_t save = t->i;
        long lo;
        t->i += 2;
        lo = hex_fixed(t, 4);
        if (lo >= 0xDC00 && lo <= 0xDFFF)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        else
            t->i = save;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return fail(t, "lone surrogate escapes are not supported");
    putcp(&t->out, (unsigned long)cp);
    return 0;
}

/* \p{...} / \P{...}: t->i is just past the 'p' or 'P'. */
static int property_escape(struct tr *t, char pc)
{
    static const struct {
        const char *prefix, *to;
    } map[] = {
        {"Script=", ""}, {"sc=", ""},      {"General_Category=", ""},
        {"gc=", ""},     {"scx=", "scx:"}, {"Script_Extensions=", "scx:"},
    };
    const char *close;
    const char *name;
    size_t len;

    if (t->i >= t->n || t->s[t->i] != '{' || !(close = memchr(t->s + t->i, '}', t->n - t->i)))
        return fail(t, "\\%c needs a {property}", pc);
    name = t->s + t->i + 1;
    len = (size_t)(close - name);
    put(&t->out, pc == 'p' ? "\\p{" : "\\P{", 3);
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        size_t pl = strlen(map[k].prefix);
        if (len > pl && strncmp(name, map[k].prefix, pl) == 0) {
            puts_(&t->out, map[k].to);
            name += pl;
            len -= pl;
            break;
        }
    }
    put(&t->out, name, len);
    put(&t->out, "}", 1);
    t->i = (size_t)(close - t->s) + 1;
    return 0;
}

/* One escape; t->i is just past the backslash. */
static int escape(struct tr *t, bool in_class)
{
    char c;
    long v;

    if (t->i >= t->n)
        return fail(t, "pattern ends with a backslash");
    c = t->s[t->i++];
    switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        put(&t->out, "\\", 1);
        put(&t->out, &c, 1);
        return 0;
    case 's':
        puts_(&t->out, in_class ? S_BODY : "[" S_BODY "]");
        return 0;
    case 'S':
        puts_(&t->out, in_class ? "\\S" : "[^" S_BODY "]");
        return 0;
    case 'b':
        puts_(&t->out, in_class ? "\\x{08}" : "\\b");
        return 0;
    case 'B':
        if (in_class)
            return fail(t, "\\B is not allowed in a character class");
        puts_(&t->out, "\\B");
        return 0;
    case 'v':
        puts_(&t->out, "\\x{0b}");
        return 0;
    case '0':
        if (t->i < t->n && t->s[t->i] >= '0' && t->s[t->i] <= '9')
            return fail(t, "octal escapes are not allowed");
        puts_(&t->out, "\\x{0}");
        return 0;
    case 'c':
        if (t->i >= t->n ||
            !((t->s[t->i] >= 'a' && t->s[t->i] <= 'z') || (t->s[t->i] >= 'A' && t->s[t->i] <= 'Z')))
            return fail(t, "\\c needs a letter");
        putcp(&t->out, (unsigned long)(t->s[t->i++] % 32));
        return 0;
    case 'x':
        if ((v = hex_fixed(t, 2)) < 0)
            return fail(t, "\\x needs two hex digits");
        putcp(&t->out, (unsigned long)v);
        return 0;
    case 'u':
        return unicode_escape(t);
    case 'p':
    case 'P':
        return property_escape(t, c);
    case 'k': {
        const char *close;
        if (in_class || t->i >= t->n || t->s[t->i] != '<' ||
            !(close = memchr(t->s + t->i, '>', t->n - t->i)))
            return fail(t, "invalid \\k escape");
        put(&t->out, "\\k", 2);
        put(&t->out, t->s + t->i, (size_t)(close - (t->s + t->i)) + 1);
        t->i = (size_t)(close - t->s) + 1;
        return 0;
    }
    default:
        break;
    }
    if (c >= '1' && c <= '9') {
        size_t start = t->i - 1;
        if (in_class)
            return fail(t, "back references are not allowed in a character class");
        while (t->i < t->n && t->s[t->i] >= '0' && t->s[t->i] <= '9')
            t->i++;
        put(&t->out, "\\g{", 3);
        put(&t->out, t->s + start, t->i - start);
        put(&t->out, "}", 1);
        return 0;
    }
    if (strchr("^$\\.*+?()[]{}|/-", c) && c != '\0') {
        put(&t->out, "\\", 1);
        put(&t->out, &c, 1);
        return 0;
    }
    return fail(t, "invalid escape \\%c", c);
}

static int char_class(struct tr *t)
{
    bool negate = false;

    t->i++; /* '[' */
    if (t->i < t->n && t->s[t->i] == '^') {
        negate = true;
        t->i++;
    }
    if (t->i < t->n && t->s[t->i] == ']') {
        t->i++;
        puts_(&t->out, negate ? "[\\s\\S]" : "(?!)");
        return 0;
    }
    puts_(&t->out, negate ? "[^" : "[");
    while (t->i < t->n && t->s[t->i] != ']') {
        char c = t->s[t->i];
        if (c == '\\') {
            t->i++;
            if (escape(t, true) < 0)
                return -1;
        } else if (c == '[') {
            puts_(&t->out, "\\[");
            t->i++;
        } else {
            put(&t->out, &c, 1);
            t->i++;
        }
    }
    if (t->i >= t->n)
        return fail(t, "unterminated character class");
    t->i++;
    put(&t->out, "]", 1);
    return 0;
}

static int group_open(struct tr *t)
{
    const char *s = t->s + t->i;
    size_t left = t->n - t->i;

    if (left >= 2 && s[1] == '*')
        return fail(t, "nothing to repeat");
    if (left >= 2 && s[1] == '?') {
        bool ok = left >= 3 && (s[2] == ':' || s[2] == '=' || s[2] == '!');
        if (!ok && left >= 4 && s[2] == '<')
            ok = s[3] == '=' || s[3] == '!' || s[3] == '_' || s[3] == '$' ||
                 (s[3] >= 'a' && s[3] <= 'z') || (s[3] >= 'A' && s[3] <= 'Z');
        if (!ok)
            return fail(t, "unsupported group syntax");
        put(&t->out, "(?", 2);
        t->i += 2;
        return 0;
    }
    put(&t->out, "(", 1);
    t->i++;
    return 0;
}

static char *translate(const char *src, size_t len, char *err, size_t errlen)
{
    struct tr t = {.s = src, .n = len, .err = err, .errlen = errlen};

    put(&t.out, "", 0);
    while (t.i < t.n) {
        char c = t.s[t.i];
        int r = 0;
        if (c == '\\') {
            t.i++;
            r = escape(&t, false);
        } else if (c == '.') {
            puts_(&t.out, DOT);
            t.i++;
        } else if (c == '[') {
            r = char_class(&t);
        } else if (c == '(') {
            r = group_open(&t);
        } else {
            put(&t.out, &c, 1);
            t.i++;
        }
        if (r < 0) {
            free(t.out.p);
            return NULL;
        }
    }
    if (t.out.oom) {
        free(t.out.p);
        fail(&t, "out of memory");
        return NULL;
    }
    return t.out.p;
}

pcre2_code *js_regex_compile(const char *src, size_t len, char *err, size_t errlen)
{
    char *pat = translate(src, len, err, errlen);
    pcre2_code *code;
    int ec;
    PCRE2_SIZE eo;

    if (!pat)
        return NULL;
    code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
                         &ec, &eo, NULL);
    free(pat);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        if (errlen > 0)
            snprintf(err, errlen, "%s", (const char *)msg);
        return NULL;
    }
    if (!RUNNING_ON_VALGRIND)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    return code;
}

int js_regex_search(const pcre2_code *code, const char *s, size_t len, pcre2_match_data *md)
{
    int rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
