/* jsonschema_validate.c: validates a jansson document against a compiled draft-07 schema tree. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

/* One step of the instance path, on the C stack; rendered only when a violation is reported. */
struct pseg {
    const struct pseg *up;
    const char *key; /* NULL: array index */
    size_t klen;
    size_t idx;
};

struct vctx {
    size_t max_errors, nerr;
    jsonschema_error_fn cb;
    void *arg;
    unsigned quiet; /* > 0: only "is it valid?", stop at the first failure */
    bool failed;    /* a failure was seen in quiet mode */
    bool stop;      /* max_errors reached */
    bool oom;
    unsigned depth;
    pcre2_match_data *md; /* created on the first pattern match */
    char *capture;        /* quiet mode: the first failure's message goes here */
    size_t capsz;
    bool captured;
    const struct pseg *capture_at;
    char *path; /* rendered JSON Pointer */
    size_t pathcap;
};

#define HALT(c) ((c)->stop || (c)->oom || ((c)->quiet && (c)->failed))

static void validate(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at);

/* ---- numbers ---- */

/* Sign of i - d, exact for any int64 and double. */
static int cmp_int_dbl(json_int_t i, double d)
{
    double t;
    json_int_t ti;

    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    t = trunc(d);
    ti = (json_int_t)t;
    if (i != ti)
        return i < ti ? -1 : 1;
    return d > t ? -1 : (d < t ? 1 : 0);
}

int js_num_cmp_json(const json_t *v, const struct js_num *n)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (n->is_int)
            return (i > n->i) - (i < n->i);
        return cmp_int_dbl(i, n->d);
    }
    double d = json_real_value(v);
    if (n->is_int)
        return -cmp_int_dbl(n->i, d);
    return (d > n->d) - (d < n->d);
}

static bool is_integral(double d)
{
    return isfinite(d) && d == trunc(d);
}

static void num_text(const struct js_num *n, char *buf, size_t sz)
{
    if (n->is_int) {
        snprintf(buf, sz, "%lld", (long long)n->i);
        return;
    }
    snprintf(buf, sz, "%.15g", n->d);
    if (strtod(buf, NULL) != n->d)
        snprintf(buf, sz, "%.17g", n->d);
}

bool js_json_equal(const json_t *a, const json_t *b, int depth)
{
    if (a == b)
        return true;
    if (json_is_number(a) && json_is_number(b)) {
        struct js_num n;
        if (json_is_integer(b)) {
            n.is_int = true;
            n.i = json_integer_value(b);
        } else {
            n.is_int = false;
            n.d = json_real_value(b);
        }
        return js_num_cmp_json(a, &n) == 0;
    }
    if (json_typeof(a) != json_typeof(b) || depth > 4 * JSONSCHEMA_MAX_DEPTH)
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!js_json_equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return false;
        return true;
    case JSON_OBJECT: {
        const char *k;
        size_t klen;
        json_t *x;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_keylen_foreach((json_t *)a, k, klen, x)
        {
            json_t *y = json_object_getn(b, k, klen);
            if (!y || !js_json_equal(x, y, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return true; /* true, false, null */
    }
}

static unsigned type_bits(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return JS_T_OBJECT;
    case JSON_ARRAY:
        return JS_T_ARRAY;
    case JSON_STRING:
        return JS_T_STRING;
    case JSON_INTEGER:
        return JS_T_NUMBER | JS_T_INTEGER;
    case JSON_REAL:
        return is_integral(json_real_value(v)) ? JS_T_NUMBER | JS_T_INTEGER : JS_T_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE:
        return JS_T_BOOLEAN;
    default:
        return JS_T_NULL;
    }
}

/* ---- reporting ---- */

static size_t seg_len(const struct pseg *s)
{
    size_t n = 0;
    if (!s->key) {
        size_t i = s->idx;
        do
            n++;
        while (i /= 10);
        return n;
    }
    for (size_t i = 0; i < s->klen; i++)
        n += (s->key[i] == '~' || s->key[i] == '/') ? 2 : 1;
    return n;
}

/* Renders the JSON Pointer of at into c->path; "" on OOM. */
static const char *render(struct vctx *c, const struct pseg *at)
{
    size_t len = 0;
    char *end;

    for (const struct pseg *s = at; s; s = s->up)
        len += 1 + seg_len(s);
    if (len + 1 > c->pathcap) {
        char *p = realloc(c->path, len + 64);
        if (!p)
            return "";
        c->path = p;
        c->pathcap = len + 64;
    }
    end = c->path + len;
    *end = '\0';
    for (const struct pseg *s = at; s; s = s->up) {
        if (!s->key) {
            size_t i = s->idx;
            do
                *--end = (char)('0' + i % 10);
            while (i /= 10);
        } else {
            for (size_t i = s->klen; i-- > 0;) {
                char ch = s->key[i];
                if (ch == '~' || ch == '/') {
                    *--end = ch == '~' ? '0' : '1';
                    *--end = '~';
                } else {
                    *--end = ch;
                }
            }
        }
        *--end = '/';
    }
    return c->path;
}

static bool is_required_kw(const char *kw)
{
    return strcmp(kw, "required") == 0 || strcmp(kw, "dependencies") == 0;
}

__attribute__((format(printf, 4, 5))) static void report(struct vctx *c, const struct pseg *at,
                                                         const char *kw, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (c->quiet) {
        c->failed = true;
        if (c->capture && !c->captured) {
            c->captured = true;
            va_start(ap, fmt);
            vsnprintf(msg, sizeof(msg), fmt, ap);
            va_end(ap);
            if (at != c->capture_at && !is_required_kw(kw))
                snprintf(c->capture, c->capsz, "%s at '%s'", msg, render(c, at));
            else
                snprintf(c->capture, c->capsz, "%s", msg);
        }
        return;
    }
    if (c->max_errors && c->nerr >= c->max_errors) {
        /* a sibling keyword of the one that reached the limit: not reported */
        c->stop = true;
        return;
    }
    c->nerr++;
    if (c->cb) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        c->cb(c->arg, render(c, at), kw, msg);
    }
    if (c->max_errors && c->nerr >= c->max_errors)
        c->stop = true;
}

/* Is v valid against n? Nothing is reported; with buf, the first failure's message is kept. */
static bool check(struct vctx *c, const struct js_node *n, const json_t *v, const struct pseg *at,
                  char *buf, size_t bufsz)
{
    bool saved_failed = c->failed, saved_captured = c->captured, ok;
    char *saved_capture = c->capture;
    size_t saved_capsz = c->capsz;
    const struct pseg *saved_at = c->capture_at;

    c->quiet++;
    c->failed = false;
    c->capture = buf;
    c->capsz = bufsz;
    c->captured = false;
    c->capture_at = at;
    if (buf)
        buf[0] = '\0';
    validate(c, n, v, at);
    ok = !c->failed;
    c->quiet--;
    c->failed = saved_failed;
    c->capture = saved_capture;
    c->capsz = saved_capsz;
    c->captured = saved_captured;
    c->capture_at = saved_at;
    return ok;
}

static int regex_search(struct vctx *c, const struct js_regex *re, const char *s, size_t len)
{
    if (!c->md && !(c->md = pcre2_match_data_create(1, NULL))) {
        c->oom = true;
        return -1;
    }
    return js_regex_search(re->code, s, len, c->md);
}

/* ---- keywords by instance type ---- */

static void v_number(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at)
{
    char lim[40];

    if (n->flags & JS_K_MULTIPLE_OF) {
        bool ok;
        if (json_is_integer(v) && n->multiple_of.is_int) {
            ok = json_integer_value(v) % n->multiple_of.i == 0;
        } else {
            /* a relative tolerance of a few ulps: 0.07 is a multiple of 0.01 */
            double q = json_number_value(v) / n->multiple_of.d;
            ok = isfinite(q) && fabs(q - nearbyint(q)) <= 4 * DBL_EPSILON * fmax(1.0, fabs(q));
        }
        if (!ok) {
            num_text(&n->multiple_of, lim, sizeof(lim));
            report(c, at, "multipleOf", "must be a multiple of %s", lim);
        }
    }
    if ((n->flags & JS_K_MAXIMUM) && js_num_cmp_json(v, &n->maximum) > 0) {
        num_text(&n->maximum, lim, sizeof(lim));
        report(c, at, "maximum", "must be less than or equal to %s", lim);
    }
    if ((n->flags & JS_K_EXCL_MAXIMUM) && js_num_cmp_json(v, &n->excl_maximum) >= 0) {
        num_text(&n->excl_maximum, lim, sizeof(lim));
        report(c, at, "exclusiveMaximum", "must be less than %s", lim);
    }
    if ((n->flags & JS_K_MINIMUM) && js_num_cmp_json(v, &n->minimum) < 0) {
        num_text(&n->minimum, lim, sizeof(lim));
        report(c, at, "minimum", "must be greater than or equal to %s", lim);
    }
    if ((n->flags & JS_K_EXCL_MINIMUM) && js_num_cmp_json(v, &n->excl_minimum) <= 0) {
        num_text(&n->excl_minimum, lim, sizeof(lim));
        report(c, at, "exclusiveMinimum", "must be greater than %s", lim);
    }
}

static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static void v_string(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);

    /* len (bytes) bounds the code point count from above: count only when it matters */
    if ((n->flags & JS_K_MAX_LENGTH) && len > n->max_length && utf8_count(s, len) > n->max_length)
        report(c, at, "maxLength", "must be at most %zu character%s long", n->max_length,
               n->max_length == 1 ? "" : "s");
    if ((n->flags & JS_K_MIN_LENGTH) && utf8_count(s, len) < n->min_length)
        report(c, at, "minLength", "must be at least %zu character%s long", n->min_length,
               n->min_length == 1 ? "" : "s");
    if (HALT(c))
        return;
    if (n->pattern.code && regex_search(c, &n->pattern, s, len) != 1)
        report(c, at, "pattern", "must match the pattern %s", n->pattern.source);
    if (n->format != JS_F_NONE && !js_format_check((enum js_format)n->format, s, len))
        report(c, at, "format", "must be a valid %s", js_format_describe(n->format));
}

/* A hash consistent with js_json_equal (1 and 1.0 hash alike, member order does not matter). */
static uint64_t json_hash(const json_t *v, int depth)
{
    uint64_t h = 1469598103934665603ull;
    const char *k;
    size_t klen;
    json_t *x;

    if (depth > 4 * JSONSCHEMA_MAX_DEPTH)
        return 0;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(v);
        uint64_t bits;
        if (json_is_integer(v))
            return (uint64_t)json_integer_value(v) * 0x9E3779B97F4A7C15ull;
        if (is_integral(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            return (uint64_t)(json_int_t)d * 0x9E3779B97F4A7C15ull;
        memcpy(&bits, &d, sizeof(bits));
        return bits * 0x9E3779B97F4A7C15ull + 7;
    }
    case JSON_STRING: {
        const unsigned char *p = (const unsigned char *)json_string_value(v);
        for (size_t i = 0; i < json_string_length(v); i++)
            h = (h ^ p[i]) * 1099511628211ull;
        return h;
    }
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(v); i++)
            h = h * 31 + json_hash(json_array_get(v, i), depth + 1);
        return h + 11;
    case JSON_OBJECT: {
        uint64_t sum = 13;
        json_object_keylen_foreach((json_t *)v, k, klen, x)
        {
            uint64_t kh = 1469598103934665603ull;
            for (size_t i = 0; i < klen; i++)
                kh = (kh ^ (unsigned char)k[i]) * 1099511628211ull;
            sum += kh * 0x9E3779B97F4A7C15ull ^ json_hash(x, depth + 1);
        }
        return sum;
    }
    default:
        return (uint64_t)json_typeof(v) + 17;
    }
}

struct hashed {
    uint64_t h;
    size_t i;
};

static int hashed_cmp(const void *a, const void *b)
{
    const struct hashed *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* uniqueItems in O(n log n): 1 with dup[] = {earlier, later} indices, 0 none, -1 OOM. */
static int find_duplicate(const json_t *v, size_t dup[2])
{
    size_t size = json_array_size(v), i, j;
    struct hashed *hs;
    int found = 0;

    if (size <= 16) { /* small arrays: pairwise is cheaper than sorting */
        for (i = 1; i < size; i++)
            for (j = 0; j < i; j++)
                if (js_json_equal(json_array_get(v, j), json_array_get(v, i), 0)) {
                    dup[0] = j;
                    dup[1] = i;
                    return 1;
                }
        return 0;
    }
    hs = malloc(size * sizeof(*hs));
    if (!hs)
        return -1;
    for (i = 0; i < size; i++) {
        hs[i].h = json_hash(json_array_get(v, i), 0);
        hs[i].i = i;
    }
    qsort(hs, size, sizeof(*hs), hashed_cmp);
    for (i = 0; i < size; i++) {
        for (j = i + 1; j < size && hs[j].h == hs[i].h; j++) {
            if (js_json_equal(json_array_get(v, hs[i].i), json_array_get(v, hs[j].i), 0) &&
                (!found || hs[j].i < dup[1] || (hs[j].i == dup[1] && hs[i].i < dup[0]))) {
                dup[0] = hs[i].i;
                dup[1] = hs[j].i;
                found = 1;
            }
        }
    }
    free(hs);
    return found;
}

static void v_array(struct vctx *c, const struct js_node *n, const json_t *v, const struct pseg *at)
{
    size_t size = json_array_size(v), i;
    struct pseg seg = {.up = at};

    if ((n->flags & JS_K_MAX_ITEMS) && size > n->max_items)
        report(c, at, "maxItems", "must have at most %zu items", n->max_items);
    if ((n->flags & JS_K_MIN_ITEMS) && size < n->min_items)
        report(c, at, "minItems", "must have at least %zu items", n->min_items);
    if (n->flags & JS_K_UNIQUE_ITEMS) {
        size_t dup[2];
        int r = find_duplicate(v, dup);
        if (r < 0)
            c->oom = true;
        else if (r > 0)
            report(c, at, "uniqueItems",
                   "must not contain duplicate items (items %zu and %zu are equal)", dup[0],
                   dup[1]);
    }
    for (i = 0; i < size && !HALT(c); i++) {
        const struct js_node *item = n->items;
        seg.idx = i;
        if (n->flags & JS_K_ITEMS_TUPLE) {
            if (i < n->ntuple)
                item = n->tuple[i];
            else if (n->additional_items && n->additional_items->kind == JS_N_FALSE) {
                report(c, &seg, "additionalItems",
                       "item not allowed: the array may have at most %zu items", n->ntuple);
                continue;
            } else
                item = n->additional_items;
        }
        if (item)
            validate(c, item, json_array_get(v, i), &seg);
    }
    if (n->contains && !HALT(c)) {
        bool found = false;
        for (i = 0; i < size && !found; i++) {
            seg.idx = i;
            found = check(c, n->contains, json_array_get(v, i), &seg, NULL, 0);
        }
        if (!found)
            report(c, at, "contains", "must contain at least one item matching 'contains'");
    }
}

static int prop_cmp(const void *key, const void *elem)
{
    const struct js_str *k = key;
    const struct js_prop *p = *(const struct js_prop *const *)elem;
    if (k->len != p->klen)
        return k->len < p->klen ? -1 : 1;
    return memcmp(k->s, p->key, k->len);
}

static void v_props(struct vctx *c, const struct js_node *n, const json_t *v, const struct pseg *at)
{
    struct pseg seg = {.up = at};
    const char *k;
    size_t klen;
    json_t *x;

    if (n->npattern_props == 0 && !n->additional_props) {
        /* only "properties": look each one up */
        for (size_t i = 0; i < n->nprops && !HALT(c); i++) {
            x = json_object_getn(v, n->props[i].key, n->props[i].klen);
            if (x) {
                seg.key = n->props[i].key;
                seg.klen = n->props[i].klen;
                validate(c, n->props[i].node, x, &seg);
            }
        }
        return;
    }
    json_object_keylen_foreach((json_t *)v, k, klen, x)
    {
        struct js_str key = {k, klen};
        const struct js_prop *const *pp =
            n->nprops ? bsearch(&key, n->sorted, n->nprops, sizeof(*pp), prop_cmp) : NULL;
        const struct js_prop *p = pp ? *pp : NULL;
        bool matched = p != NULL;

        if (HALT(c))
            return;
        seg.key = k;
        seg.klen = klen;
        if (p)
            validate(c, p->node, x, &seg);
        for (size_t i = 0; i < n->npattern_props && !HALT(c); i++) {
            if (regex_search(c, &n->pattern_props[i].re, k, klen) == 1) {
                matched = true;
                validate(c, n->pattern_props[i].node, x, &seg);
            }
        }
        if (matched || !n->additional_props || HALT(c))
            continue;
        if (n->additional_props->kind == JS_N_FALSE)
            report(c, &seg, "additionalProperties",
                   "property not allowed: the object allows no additional properties");
        else
            validate(c, n->additional_props, x, &seg);
    }
}

static void v_object(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at)
{
    size_t size = json_object_size(v);
    struct pseg seg = {.up = at};

    if ((n->flags & JS_K_MAX_PROPS) && size > n->max_props)
        report(c, at, "maxProperties", "must have at most %zu properties", n->max_props);
    if ((n->flags & JS_K_MIN_PROPS) && size < n->min_props)
        report(c, at, "minProperties", "must have at least %zu properties", n->min_props);
    for (size_t i = 0; i < n->nrequired && !HALT(c); i++) {
        if (!json_object_getn(v, n->required[i].s, n->required[i].len)) {
            seg.key = n->required[i].s;
            seg.klen = n->required[i].len;
            report(c, &seg, "required", "required property '%s' is missing", n->required[i].s);
        }
    }
    if (n->nprops || n->npattern_props || n->additional_props)
        v_props(c, n, v, at);
    for (size_t i = 0; i < n->ndeps && !HALT(c); i++) {
        const struct js_dep *d = &n->deps[i];
        if (!json_object_getn(v, d->key, d->klen))
            continue;
        if (d->schema) {
            validate(c, d->schema, v, at);
            continue;
        }
        for (size_t j = 0; j < d->nrequired && !HALT(c); j++) {
            if (!json_object_getn(v, d->required[j].s, d->required[j].len)) {
                seg.key = d->required[j].s;
                seg.klen = d->required[j].len;
                report(c, &seg, "dependencies", "property '%s' is required when '%s' is present",
                       d->required[j].s, d->key);
            }
        }
    }
    if (n->property_names && !HALT(c)) {
        const char *k;
        size_t klen;
        json_t *x;
        char why[256];
        json_object_keylen_foreach((json_t *)v, k, klen, x)
        {
            json_t *name = json_stringn_nocheck(k, klen); /* keys are valid UTF-8 */
            bool ok;
            (void)x;
            if (!name) {
                c->oom = true;
                return;
            }
            seg.key = k;
            seg.klen = klen;
            ok = check(c, n->property_names, name, &seg, why, sizeof(why));
            json_decref(name);
            if (!ok)
                report(c, &seg, "propertyNames", "invalid property name: %s", why);
            if (HALT(c))
                return;
        }
    }
}

/* ---- combinators ---- */

/* anyOf/oneOf with no match: "[1] reason; [2] reason" from each branch's first failure. */
static void report_none(struct vctx *c, const struct js_node *const *list, size_t count,
                        const json_t *v, const struct pseg *at, const char *kw, const char *head)
{
    char msg[480], why[160];
    size_t len = (size_t)snprintf(msg, sizeof(msg), "%s", head);

    for (size_t i = 0; i < count && len < sizeof(msg); i++) {
        check(c, list[i], v, at, why, sizeof(why));
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s[%zu] %s", i ? "; " : ": ", i + 1,
                                why);
    }
    report(c, at, kw, "%s", msg);
}

static void v_combinators(struct vctx *c, const struct js_node *n, const json_t *v,
                          const struct pseg *at)
{
    for (size_t i = 0; i < n->nall_of && !HALT(c); i++)
        validate(c, n->all_of[i], v, at);
    if (n->nany_of && !HALT(c)) {
        bool ok = false;
        for (size_t i = 0; i < n->nany_of && !ok; i++)
            ok = check(c, n->any_of[i], v, at, NULL, 0);
        if (!ok) {
            if (c->quiet)
                report(c, at, "anyOf", "must match at least one schema in anyOf");
            else
                report_none(c, n->any_of, n->nany_of, v, at, "anyOf",
                            "must match at least one schema in anyOf");
        }
    }
    if (n->none_of && !HALT(c)) {
        size_t matched = 0;
        for (size_t i = 0; i < n->none_of && matched < 2; i++)
            matched += check(c, n->one_of[i], v, at, NULL, 0);
        if (matched > 1)
            report(c, at, "oneOf", "must match exactly one schema in oneOf, but matches several");
        else if (matched == 0 && c->quiet)
            report(c, at, "oneOf", "must match exactly one schema in oneOf");
        else if (matched == 0)
            report_none(c, n->one_of, n->none_of, v, at, "oneOf",
                        "must match exactly one schema in oneOf, but matches none");
    }
    if (n->not_ && !HALT(c) && check(c, n->not_, v, at, NULL, 0))
        report(c, at, "not", "must not match the schema in 'not'");
    if (n->if_ && !HALT(c)) {
        const struct js_node *next = check(c, n->if_, v, at, NULL, 0) ? n->then_ : n->else_;
        if (next)
            validate(c, next, v, at);
    }
}

static const char *types_text(unsigned bits, char *buf, size_t sz)
{
    static const char *const names[] = {"null",   "boolean", "object", "array",
                                        "number", "string",  "integer"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 7; i++) {
        if (bits & (1u << i))
            len += (size_t)snprintf(buf + len, sz - len, "%s%s", len ? " or " : "", names[i]);
        if (len >= sz)
            break;
    }
    return buf;
}

static void v_schema(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at)
{
    unsigned t = type_bits(v);

    if (n->types && !(n->types & t)) {
        char buf[80];
        report(c, at, "type", "must be of type %s", types_text(n->types, buf, sizeof(buf)));
    }
    if (n->flags & JS_K_ENUM) {
        size_t i, count = json_array_size(n->enum_values);
        for (i = 0; i < count; i++)
            if (js_json_equal(v, json_array_get(n->enum_values, i), 0))
                break;
        if (i == count)
            report(c, at, "enum", "must be one of: %s", n->enum_text);
    }
    if ((n->flags & JS_K_CONST) && !js_json_equal(v, n->const_value, 0))
        report(c, at, "const", "must be equal to %s", n->const_text);
    if (HALT(c))
        return;
    if (t & JS_T_NUMBER)
        v_number(c, n, v, at);
    else if (t & JS_T_STRING)
        v_string(c, n, v, at);
    else if (t & JS_T_ARRAY)
        v_array(c, n, v, at);
    else if (t & JS_T_OBJECT)
        v_object(c, n, v, at);
    if (!HALT(c))
        v_combinators(c, n, v, at);
}

static void validate(struct vctx *c, const struct js_node *n, const json_t *v,
                     const struct pseg *at)
{
    if (c->depth >= JSONSCHEMA_MAX_DEPTH) {
        report(c, at, "depth", "nesting exceeds the limit of %d levels", JSONSCHEMA_MAX_DEPTH);
        return;
    }
    c->depth++;
    switch (n->kind) {
    case JS_N_TRUE:
        break;
    case JS_N_FALSE:
        report(c, at, "false", "no value is allowed here");
        break;
    case JS_N_REF:
        validate(c, n->ref, v, at);
        break;
    default:
        v_schema(c, n, v, at);
        break;
    }
    c->depth--;
}

size_t jsonschema_validate(const struct jsonschema *js, const json_t *doc, size_t max_errors,
                           jsonschema_error_fn cb, void *arg)
{
    struct vctx c;

    if (!js || !doc)
        return (size_t)-1;
    memset(&c, 0, sizeof(c));
    c.max_errors = max_errors;
    c.cb = cb;
    c.arg = arg;
    validate(&c, js->root, doc, NULL);
    pcre2_match_data_free(c.md);
    free(c.path);
    return c.oom ? (size_t)-1 : c.nerr;
}
