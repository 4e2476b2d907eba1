/* jsonschema_format.c: the "format" assertions (RFC 3339 dates, email, hosts, IPs, URIs, pointers).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

static const struct {
    const char *name;
    enum js_format f;
    const char *text; /* for "must be a valid ..." */
} formats[] = {
    {"date", JS_F_DATE, "date (RFC 3339 full-date, YYYY-MM-DD)"},
    {"date-time", JS_F_DATE_TIME, "date-time (RFC 3339, with a time zone offset)"},
    {"time", JS_F_TIME, "time (RFC 3339 full-time, with a time zone offset)"},
    {"email", JS_F_EMAIL, "email address"},
    {"idn-email", JS_F_IDN_EMAIL, "internationalized email address"},
    {"hostname", JS_F_HOSTNAME, "hostname"},
    {"ipv4", JS_F_IPV4, "IPv4 address"},
    {"ipv6", JS_F_IPV6, "IPv6 address"},
    {"uri", JS_F_URI, "URI"},
    {"uri-reference", JS_F_URI_REFERENCE, "URI reference"},
    {"iri", JS_F_IRI, "IRI"},
    {"iri-reference", JS_F_IRI_REFERENCE, "IRI reference"},
    {"uri-template", JS_F_URI_TEMPLATE, "URI template"},
    {"json-pointer", JS_F_JSON_POINTER, "JSON Pointer"},
    {"relative-json-pointer", JS_F_RELATIVE_JSON_POINTER, "relative JSON Pointer"},
    {"regex", JS_F_REGEX, "regular expression"},
};

enum js_format js_format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(formats[i].name, name) == 0)
            return formats[i].f;
    return JS_F_NONE;
}

const char *js_format_describe(enum js_format f)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].f == f)
            return formats[i].text;
    return "value";
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* n ASCII digits at s as a number, or -1. */
static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 full-date: exactly YYYY-MM-DD, a real calendar date. */
static bool check_date(const char *s, size_t n)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    y = num(s, 4);
    m = num(s + 5, 2);
    d = num(s + 8, 2);
    return y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/*
 * RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM). A leap second (:60)
 * is accepted only where it can happen: at 23:59:60 UTC.
 */
static bool check_time(const char *s, size_t n)
{
    int hh, mm, ss, oh = 0, om = 0, sign = 0;
    size_t i = 8;

    if (n < 9 || s[2] != ':' || s[5] != ':')
        return false;
    hh = num(s, 2);
    mm = num(s + 3, 2);
    ss = num(s + 6, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return false;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '+' ? 1 : -1;
        if (n - i != 6 || s[i + 3] != ':')
            return false;
        oh = num(s + i + 1, 2);
        om = num(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        i += 6;
    } else {
        return false; /* the offset is required */
    }
    if (i != n)
        return false;
    if (ss == 60) {
        int utc = ((hh * 60 + mm - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    return true;
}

static bool check_date_time(const char *s, size_t n)
{
    return n > 11 && check_date(s, 10) && (s[10] == 'T' || s[10] == 't') &&
           check_time(s + 11, n - 11);
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static bool check_hostname(const char *s, size_t n, bool idn)
{
    size_t label = 0;

    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (label == 0 && s[i] == '-')
            return false;
        if (!alpha(s[i]) && !digit(s[i]) && s[i] != '-' && !(idn && (unsigned char)s[i] >= 0x80))
            return false;
        label++;
    }
    return true;
}

static bool check_ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        int v = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            start = ++i;
        }
        while (i < n && digit(s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return false;
    }
    return i == n;
}

static bool check_ipv6(const char *s, size_t n)
{
    char buf[64];
    unsigned char addr[16];

    if (n == 0 || n >= sizeof(buf))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!digit(s[i]) && !strchr("abcdefABCDEF:.", s[i]))
            return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

static bool atext(char c, bool idn)
{
    return alpha(c) || digit(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c)) ||
           (idn && (unsigned char)c >= 0x80);
}

static bool check_email_domain(const char *d, size_t n, bool idn)
{
    if (n >= 2 && d[0] == '[' && d[n - 1] == ']') {
        if (n > 7 && strncmp(d + 1, "IPv6:", 5) == 0)
            return check_ipv6(d + 6, n - 7);
        return check_ipv4(d + 1, n - 2);
    }
    return check_hostname(d, n, idn);
}

/*
 * RFC 5321 Mailbox: Local-part "@" (Domain / address-literal). Local-part is a
 * dot-atom (no leading, trailing or double dots) or a quoted string, at most
 * 64 bytes; Domain a host name ("localhost" included), address-literal
 * "[IPv4]" or "[IPv6:...]". idn-email also accepts non-ASCII characters.
 */
static bool check_mailbox(const char *s, size_t n, bool idn)
{
    size_t i, local;

    if (n == 0 || memchr(s, '\0', n))
        return false;
    if (s[0] == '"') {
        for (i = 1; i < n && s[i] != '"'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\' && ++i >= n)
                return false;
            c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && !idn))
                return false;
        }
        if (i >= n)
            return false;
        local = i + 1;
    } else {
        const char *at = memchr(s, '@', n);
        if (!at || at == s)
            return false;
        local = (size_t)(at - s);
        if (s[0] == '.' || s[local - 1] == '.')
            return false;
        for (i = 0; i < local; i++)
            if (!(atext(s[i], idn) || (s[i] == '.' && s[i + 1] != '.')))
                return false;
    }
    if (local > 64 || local >= n || s[local] != '@')
        return false;
    return check_email_domain(s + local + 1, n - local - 1, idn);
}

static bool check_json_pointer(const char *s, size_t n)
{
    if (n > 0 && s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
            return false;
    return true;
}

static bool check_relative_json_pointer(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && digit(s[i]))
        i++;
    if (i == 0 || (s[0] == '0' && i > 1))
        return false;
    if (i < n && s[i] == '#')
        return i + 1 == n;
    return check_json_pointer(s + i, n - i);
}

/* RFC 6570 level 4 syntax. */
static bool check_uri_template(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '}' || c < 0x20 || (c != 0 && strchr(" \"'<>\\^`|", c)))
            return false;
        if (c != '{')
            continue;
        if (++i < n && strchr("+#./;?&=,!@|", s[i]) && s[i] != '\0')
            i++;
        for (;;) { /* varspec *( "," varspec ) */
            size_t start = i;
            while (i < n && (alpha(s[i]) || digit(s[i]) || s[i] == '_' || s[i] == '%' ||
                             (s[i] == '.' && i > start && s[i - 1] != '.')))
                i++;
            if (i == start || s[i - 1] == '.')
                return false;
            if (i < n && s[i] == '*') {
                i++;
            } else if (i < n && s[i] == ':') {
                size_t d = ++i;
                while (i < n && digit(s[i]) && i - d < 4)
                    i++;
                if (i == d || s[d] == '0')
                    return false;
            }
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            break;
        }
        if (i >= n || s[i] != '}')
            return false;
    }
    return true;
}

static bool check_regex(const char *s, size_t n)
{
    char err[8];
    pcre2_code *code = js_regex_compile(s, n, err, sizeof(err));
    pcre2_code_free(code);
    return code != NULL;
}

bool js_format_check(enum js_format f, const char *s, size_t n)
{
    switch (f) {
    case JS_F_DATE:
        return check_date(s, n);
    case JS_F_DATE_TIME:
        return check_date_time(s, n);
    case JS_F_TIME:
        return check_time(s, n);
    case JS_F_EMAIL:
        return check_mailbox(s, n, false);
    case JS_F_IDN_EMAIL:
        return check_mailbox(s, n, true);
    case JS_F_HOSTNAME:
        return check_hostname(s, n, false);
    case JS_F_IPV4:
        return check_ipv4(s, n);
    case JS_F_IPV6:
        return check_ipv6(s, n);
    case JS_F_URI:
        return js_uri_valid(s, n, false, false);
    case JS_F_URI_REFERENCE:
        return js_uri_valid(s, n, false, true);
    case JS_F_IRI:
        return js_uri_valid(s, n, true, false);
    case JS_F_IRI_REFERENCE:
        return js_uri_valid(s, n, true, true);
    case JS_F_URI_TEMPLATE:
        return check_uri_template(s, n);
    case JS_F_JSON_POINTER:
        return check_json_pointer(s, n);
    case JS_F_RELATIVE_JSON_POINTER:
        return check_relative_json_pointer(s, n);
    case JS_F_REGEX:
        return check_regex(s, n);
    default:
        return true;
    }
}
