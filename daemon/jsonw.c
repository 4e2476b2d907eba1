/* jsonw: a small JSON writer into a struct buf, for the hot path (events). */
#include "jsonw.h"

#include <string.h>

void jsonw_strn(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    buf_reserve(b, 6 * len + 2);
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

void jsonw_str(struct buf *b, const char *s)
{
    if (!s)
        buf_append(b, "null", 4);
    else
        jsonw_strn(b, s, strlen(s));
}

void jsonw_key(struct buf *b, const char *key)
{
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_append(b, "\":", 2);
}

void jsonw_kv(struct buf *b, int *first, const char *key, const char *value)
{
    if (!*first)
        buf_putc(b, ',');
    *first = 0;
    jsonw_key(b, key);
    jsonw_str(b, value);
}
