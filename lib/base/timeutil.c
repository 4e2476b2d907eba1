/* timeutil: wall-clock and monotonic time, RFC 3339 formatting and parsing. */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

int parse_digits(const char *s, int n)
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

void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int rfc3339_to_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, frac_ms = 0, off_min = 0;

    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    if ((y = parse_digits(s, 4)) < 0 || (mo = parse_digits(s + 5, 2)) < 1 || mo > 12 ||
        (d = parse_digits(s + 8, 2)) < 1 || d > 31 || (h = parse_digits(s + 11, 2)) < 0 || h > 23 ||
        (mi = parse_digits(s + 14, 2)) < 0 || mi > 59 || (sec = parse_digits(s + 17, 2)) < 0 ||
        sec > 60)
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
        int oh = parse_digits(s + 1, 2), om = parse_digits(s + 4, 2);
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
