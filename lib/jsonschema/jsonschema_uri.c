/* jsonschema_uri.c: RFC 3986 URI reference resolution ($id/$ref) and URI/IRI syntax checks. */
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

/* A URI reference split into its five components (RFC 3986 section 3). */
struct uri {
    const char *scheme, *auth, *path, *query, *frag;
    size_t scheme_len, auth_len, path_len, query_len, frag_len;
    bool has_scheme, has_auth, has_query, has_frag;
};

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of a valid scheme followed by ':' at s, or 0. */
static size_t scheme_len(const char *s, size_t n)
{
    if (n == 0 || !is_alpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == ':')
            return i;
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return 0;
    }
    return 0;
}

static void uri_split(const char *s, struct uri *u)
{
    size_t n = strlen(s), i = 0, k;

    memset(u, 0, sizeof(*u));
    k = scheme_len(s, n);
    if (k > 0) {
        u->has_scheme = true;
        u->scheme = s;
        u->scheme_len = k;
        i = k + 1;
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        u->has_auth = true;
        u->auth = s + i + 2;
        i += 2;
        while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
            i++;
        u->auth_len = (size_t)(s + i - u->auth);
    }
    u->path = s + i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    u->path_len = (size_t)(s + i - u->path);
    if (i < n && s[i] == '?') {
        u->has_query = true;
        u->query = s + ++i;
        while (i < n && s[i] != '#')
            i++;
        u->query_len = (size_t)(s + i - u->query);
    }
    if (i < n && s[i] == '#') {
        u->has_frag = true;
        u->frag = s + i + 1;
        u->frag_len = n - i - 1;
    }
}

/* RFC 3986 5.2.4, in place on a NUL-terminated buffer. */
static void remove_dot_segments(char *p)
{
    char *in = p, *out = p;

    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0) {
            in += 2;
        } else if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in[1] = '\0';
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            if (in[3] == '/')
                in += 3;
            else {
                in += 2;
                *in = '/';
            }
            while (out > p && *--out != '/')
                ;
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            in += strlen(in);
        } else {
            do
                *out++ = *in++;
            while (*in && *in != '/');
        }
    }
    *out = '\0';
}

static char *append(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

char *js_uri_resolve(const char *base, const char *ref)
{
    struct uri b, r;
    size_t cap;
    char *out = NULL, *path = NULL, *o;
    const char *scheme, *auth, *query;
    size_t scheme_l = 0, auth_l = 0, query_l = 0;
    bool has_scheme, has_auth, has_query;

    uri_split(base, &b);
    uri_split(ref, &r);
    cap = strlen(base) + strlen(ref) + 8;
    path = malloc(cap);
    out = malloc(cap);
    if (!path || !out)
        goto err;

    if (r.has_scheme) {
        has_scheme = true, scheme = r.scheme, scheme_l = r.scheme_len;
        has_auth = r.has_auth, auth = r.auth, auth_l = r.auth_len;
        has_query = r.has_query, query = r.query, query_l = r.query_len;
        memcpy(path, r.path, r.path_len);
        path[r.path_len] = '\0';
        remove_dot_segments(path);
    } else {
        has_scheme = b.has_scheme, scheme = b.scheme, scheme_l = b.scheme_len;
        if (r.has_auth) {
            has_auth = true, auth = r.auth, auth_l = r.auth_len;
            memcpy(path, r.path, r.path_len);
            path[r.path_len] = '\0';
            remove_dot_segments(path);
            has_query = r.has_query, query = r.query, query_l = r.query_len;
        } else {
            has_auth = b.has_auth, auth = b.auth, auth_l = b.auth_len;
            if (r.path_len == 0) {
                memcpy(path, b.path, b.path_len);
                path[b.path_len] = '\0';
                if (r.has_query)
                    has_query = true, query = r.query, query_l = r.query_len;
                else
                    has_query = b.has_query, query = b.query, query_l = b.query_len;
            } else {
                o = path;
                if (r.path[0] != '/') {
                    /* merge: the base path up to its last '/' (RFC 3986 5.2.3) */
                    if (b.has_auth && b.path_len == 0) {
                        *o++ = '/';
                    } else {
                        size_t k = b.path_len;
                        while (k > 0 && b.path[k - 1] != '/')
                            k--;
                        o = append(o, b.path, k);
                    }
                }
                o = append(o, r.path, r.path_len);
                *o = '\0';
                remove_dot_segments(path);
                has_query = r.has_query, query = r.query, query_l = r.query_len;
            }
        }
    }

    o = out;
    if (has_scheme) {
        o = append(o, scheme, scheme_l);
        *o++ = ':';
    }
    if (has_auth) {
        o = append(o, "//", 2);
        o = append(o, auth, auth_l);
    }
    o = append(o, path, strlen(path));
    if (has_query) {
        *o++ = '?';
        o = append(o, query, query_l);
    }
    if (r.has_frag) {
        *o++ = '#';
        o = append(o, r.frag, r.frag_len);
    }
    *o = '\0';
    free(path);
    return out;
err:
    free(path);
    free(out);
    return NULL;
}

/* ---- syntax checks (format uri, uri-reference, iri, iri-reference) ---- */

enum {
    C_UNRESERVED = 1, /* ALPHA DIGIT - . _ ~ (and ucschar for IRIs) */
    C_SUBDELIM = 2,   /* ! $ & ' ( ) * + , ; = */
};

static int cclass(int c, bool iri)
{
    if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~')
        return C_UNRESERVED;
    if (c >= 0x80)
        return iri ? C_UNRESERVED : 0;
    if (strchr("!$&'()*+,;=", c) && c != '\0')
        return C_SUBDELIM;
    return 0;
}

/* Checks that s[0..n) consists of unreserved / sub-delims / pct-encoded / extra. */
static bool run_ok(const char *s, size_t n, const char *extra, bool iri)
{
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            if (!is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
                return false;
            i += 2;
            continue;
        }
        if (cclass(c, iri))
            continue;
        if (c != '\0' && strchr(extra, c))
            continue;
        return false;
    }
    return true;
}

static bool ipv6_literal_ok(const char *s, size_t n)
{
    if (n > 0 && (s[0] == 'v' || s[0] == 'V')) { /* IPvFuture */
        size_t i = 1;
        while (i < n && is_hex((unsigned char)s[i]))
            i++;
        if (i == 1 || i >= n || s[i] != '.' || i + 1 >= n)
            return false;
        return run_ok(s + i + 1, n - i - 1, ":", false);
    }
    return js_format_check(JS_F_IPV6, s, n);
}

static bool authority_ok(const char *s, size_t n, bool iri)
{
    const char *at = memchr(s, '@', n), *host = s, *end = s + n, *colon;

    if (at) {
        if (!run_ok(s, (size_t)(at - s), ":", iri))
            return false;
        host = at + 1;
    }
    if (host < end && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close || !ipv6_literal_ok(host + 1, (size_t)(close - host - 1)))
            return false;
        colon = close + 1;
        if (colon < end && *colon != ':')
            return false;
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        if (!colon)
            colon = end;
        if (!run_ok(host, (size_t)(colon - host), "", iri))
            return false;
    }
    for (const char *p = colon + (colon < end); p < end; p++)
        if (!is_digit((unsigned char)*p))
            return false;
    return true;
}

bool js_uri_valid(const char *s, size_t n, bool iri, bool reference)
{
    size_t k = scheme_len(s, n), i = 0;
    const char *q;

    if (memchr(s, '\0', n))
        return false;
    if (k > 0) {
        i = k + 1;
    } else if (!reference) {
        return false;
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, e = a;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        if (!authority_ok(s + a, e - a, iri))
            return false;
        i = e;
    } else if (k == 0) {
        /* path-noscheme: no ':' in the first segment */
        size_t e = i;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#') {
            if (s[e] == ':')
                return false;
            e++;
        }
    }
    q = s + i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    if (!run_ok(q, (size_t)(s + i - q), ":@/", iri))
        return false;
    if (i < n && s[i] == '?') {
        q = s + ++i;
        while (i < n && s[i] != '#')
            i++;
        if (!run_ok(q, (size_t)(s + i - q), ":@/?", iri))
            return false;
    }
    if (i < n && s[i] == '#') {
        i++;
        if (!run_ok(s + i, n - i, ":@/?", iri))
            return false;
    }
    return true;
}
