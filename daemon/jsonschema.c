/* jsonschema.c: compiles a draft-07 JSON Schema into the read-only tree that validation walks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

/* ---- arena: every node, array and string of one compiled schema ---- */

struct js_chunk {
    struct js_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

#define CHUNK_SIZE 16384

static void *arena_alloc(struct jsonschema *js, size_t n)
{
    struct js_chunk *ch = js->arena;
    size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    void *p;

    if (!ch || ch->cap - ch->used < need) {
        size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
        ch = malloc(sizeof(*ch) + cap);
        if (!ch)
            return NULL;
        ch->next = js->arena;
        ch->used = 0;
        ch->cap = cap;
        js->arena = ch;
    }
    p = (char *)ch->data + ch->used;
    ch->used += need;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(struct jsonschema *js, const char *s, size_t n)
{
    char *p = arena_alloc(js, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- compile context ---- */

struct memo {
    const json_t *key;
    struct js_node *node;
};

/* A schema resource ($id without fragment) or a plain-name anchor ($id "#name"). */
struct resource {
    char *uri;
    json_t *schema;
    const char *base; /* the base URI in effect inside it */
};

struct cctx {
    struct jsonschema *js;
    struct memo *memo; /* open addressing, keyed by schema JSON identity */
    size_t memo_cap, memo_len;
    struct resource *res;
    size_t nres, capres;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
    char loc[256]; /* "#" + JSON Pointer (or the $ref) of the schema being compiled */
    size_t loclen;
};

__attribute__((format(printf, 2, 3))) static void cfail(struct cctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (c->failed)
        return;
    c->failed = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->errlen > 0)
        snprintf(c->err, c->errlen, "schema at '%.*s': %s", (int)c->loclen, c->loc, msg);
}

static void oom(struct cctx *c)
{
    cfail(c, "out of memory");
}

/* Appends "/token" (escaped) to the location; returns the length to restore. */
static size_t loc_push(struct cctx *c, const char *tok, size_t len)
{
    size_t saved = c->loclen;
    if (c->loclen + 1 < sizeof(c->loc))
        c->loc[c->loclen++] = '/';
    for (size_t i = 0; i < len && c->loclen + 2 < sizeof(c->loc); i++) {
        if (tok[i] == '~' || tok[i] == '/') {
            c->loc[c->loclen++] = '~';
            c->loc[c->loclen++] = tok[i] == '~' ? '0' : '1';
        } else {
            c->loc[c->loclen++] = tok[i];
        }
    }
    return saved;
}

static size_t loc_push_index(struct cctx *c, size_t i)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%zu", i);
    return loc_push(c, buf, (size_t)n);
}

static size_t memo_slot(const struct cctx *c, const json_t *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (c->memo_cap - 1);
}

static struct js_node *memo_get(const struct cctx *c, const json_t *key)
{
    if (c->memo_cap == 0)
        return NULL;
    for (size_t i = memo_slot(c, key);; i = (i + 1) & (c->memo_cap - 1)) {
        if (c->memo[i].key == key)
            return c->memo[i].node;
        if (!c->memo[i].key)
            return NULL;
    }
}

static int memo_put(struct cctx *c, const json_t *key, struct js_node *node)
{
    if ((c->memo_len + 1) * 2 > c->memo_cap) {
        struct memo *old = c->memo;
        size_t oldcap = c->memo_cap;
        c->memo_cap = oldcap ? oldcap * 2 : 64;
        c->memo = calloc(c->memo_cap, sizeof(*c->memo));
        if (!c->memo) {
            c->memo = old;
            c->memo_cap = oldcap;
            return -1;
        }
        for (size_t i = 0; i < oldcap; i++) {
            if (old[i].key) {
                size_t j = memo_slot(c, old[i].key);
                while (c->memo[j].key)
                    j = (j + 1) & (c->memo_cap - 1);
                c->memo[j] = old[i];
            }
        }
        free(old);
    }
    size_t i = memo_slot(c, key);
    while (c->memo[i].key)
        i = (i + 1) & (c->memo_cap - 1);
    c->memo[i].key = key;
    c->memo[i].node = node;
    c->memo_len++;
    return 0;
}

/* ---- $id index and $ref resolution ---- */

static struct resource *res_find(const struct cctx *c, const char *uri)
{
    for (size_t i = 0; i < c->nres; i++)
        if (strcmp(c->res[i].uri, uri) == 0)
            return &c->res[i];
    return NULL;
}

/* Registers uri (malloc'd, taken) unless already known (the first one wins). */
static int res_add(struct cctx *c, char *uri, json_t *schema, const char *base)
{
    if (res_find(c, uri)) {
        free(uri);
        return 0;
    }
    if (c->nres == c->capres) {
        size_t cap = c->capres ? c->capres * 2 : 8;
        struct resource *r = realloc(c->res, cap * sizeof(*r));
        if (!r) {
            free(uri);
            return -1;
        }
        c->res = r;
        c->capres = cap;
    }
    c->res[c->nres].uri = uri;
    c->res[c->nres].schema = schema;
    c->res[c->nres].base = base;
    c->nres++;
    return 0;
}

/* Strips a trailing "#..." in place; returns true when the fragment was non-empty. */
static bool strip_fragment(char *uri)
{
    char *h = strchr(uri, '#');
    bool had = h && h[1] != '\0';
    if (h)
        *h = '\0';
    return had;
}

/*
 * The base URI inside schema object s whose parent's base is base: changed by
 * a non-fragment $id. Returns an arena string (or base itself), NULL on OOM.
 * When id_out is given it receives the resolved $id (malloc'd) or NULL.
 */
static const char *base_of(struct cctx *c, json_t *s, const char *base, char **id_out)
{
    json_t *id = json_object_get(s, "$id");
    char *abs, *b;

    if (id_out)
        *id_out = NULL;
    if (!json_is_string(id))
        return base;
    abs = js_uri_resolve(base, json_string_value(id));
    if (!abs)
        return NULL;
    if (json_string_value(id)[0] == '#') { /* plain-name fragment: base unchanged */
        if (id_out)
            *id_out = abs;
        else
            free(abs);
        return base;
    }
    b = arena_strndup(c->js, abs, strlen(abs));
    if (b)
        strip_fragment(b);
    if (id_out)
        *id_out = abs;
    else
        free(abs);
    return b;
}

static int index_walk(struct cctx *c, json_t *s, const char *base, int depth, bool is_root);

static int index_each(struct cctx *c, json_t *s, const char *kw, bool map, const char *base,
                      int depth)
{
    json_t *v = json_object_get(s, kw), *x;
    const char *k;
    size_t i;

    if (!v)
        return 0;
    if (json_is_array(v) && !map) {
        json_array_foreach(v, i, x)
        {
            if (index_walk(c, x, base, depth + 1, false) < 0)
                return -1;
        }
    } else if (json_is_object(v) && map) {
        json_object_foreach(v, k, x)
        {
            if (index_walk(c, x, base, depth + 1, false) < 0)
                return -1;
        }
    } else if (!map) {
        return index_walk(c, v, base, depth + 1, false);
    }
    return 0;
}

/* Finds every $id of the document before compiling, so $refs can point forward. */
static int index_walk(struct cctx *c, json_t *s, const char *base, int depth, bool is_root)
{
    static const char *const single[] = {"items",         "additionalItems", "contains",
                                         "propertyNames", "additionalProperties",
                                         "if",            "then",
                                         "else",          "not",
                                         "allOf",         "anyOf",
                                         "oneOf"};
    static const char *const maps[] = {"properties", "patternProperties", "definitions",
                                       "dependencies"};
    char *id = NULL;

    if (!json_is_object(s))
        return 0;
    if (depth > JSONSCHEMA_MAX_DEPTH) {
        cfail(c, "schema nested deeper than %d levels", JSONSCHEMA_MAX_DEPTH);
        return -1;
    }
    if (json_object_get(s, "$ref") && !is_root)
        return 0; /* draft-07: siblings of $ref, $id included, are ignored */
    base = base_of(c, s, base, &id);
    if (!base)
        goto oom;
    if (id) {
        /* "#name" (also "http://x/y#name") names a location-independent anchor;
         * a URI part names a schema resource */
        bool plain = json_string_value(json_object_get(s, "$id"))[0] == '#';
        char *doc = plain ? NULL : strdup(id);
        if (!plain && !doc) {
            free(id);
            goto oom;
        }
        if (strchr(id, '#') && strchr(id, '#')[1] != '\0') {
            if (res_add(c, id, s, base) < 0)
                id = NULL;
        } else {
            free(id);
        }
        if (doc) {
            strip_fragment(doc);
            if (res_add(c, doc, s, base) < 0)
                goto oom;
        }
        if (!id && !plain)
            goto oom;
    }
    if (json_object_get(s, "$ref"))
        return 0;
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        if (index_each(c, s, single[i], false, base, depth) < 0)
            return -1;
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
        if (index_each(c, s, maps[i], true, base, depth) < 0)
            return -1;
    return 0;
oom:
    oom(c);
    return -1;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s in place (a URI fragment); returns its new length. */
static size_t pct_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '%' && hexval((unsigned char)p[1]) >= 0 && hexval((unsigned char)p[2]) >= 0) {
            *o++ = (char)(hexval((unsigned char)p[1]) * 16 + hexval((unsigned char)p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

/* Walks JSON Pointer ptr[0..len) from *cur, updating *base at every $id met. */
static int pointer_walk(struct cctx *c, json_t **cur, const char **base, const char *ptr,
                        size_t len)
{
    char *tok = malloc(len + 1);
    size_t i = 0;

    if (!tok) {
        oom(c);
        return -1;
    }
    while (i < len) {
        size_t n = 0;
        i++; /* the '/' */
        while (i < len && ptr[i] != '/') {
            if (ptr[i] == '~' && i + 1 < len && (ptr[i + 1] == '0' || ptr[i + 1] == '1')) {
                tok[n++] = ptr[i + 1] == '0' ? '~' : '/';
                i += 2;
            } else if (ptr[i] == '~') {
                goto bad;
            } else {
                tok[n++] = ptr[i++];
            }
        }
        tok[n] = '\0';
        if (json_is_object(*cur)) {
            *cur = json_object_getn(*cur, tok, n);
        } else if (json_is_array(*cur)) {
            char *end;
            unsigned long long idx = strtoull(tok, &end, 10);
            if (n == 0 || *end || (tok[0] == '0' && n > 1) || tok[0] < '0' || tok[0] > '9')
                goto bad;
            *cur = json_array_get(*cur, (size_t)idx);
        } else {
            *cur = NULL;
        }
        if (!*cur)
            goto bad;
        if (json_is_object(*cur) && !json_object_get(*cur, "$ref")) {
            *base = base_of(c, *cur, *base, NULL);
            if (!*base) {
                free(tok);
                oom(c);
                return -1;
            }
        }
    }
    free(tok);
    return 0;
bad:
    free(tok);
    return -1;
}

/* Finds the schema a $ref designates and the base URI in effect there. */
static json_t *resolve_ref(struct cctx *c, const char *base, const char *ref,
                           const char **target_base)
{
    char *abs = js_uri_resolve(base, ref), *hash;
    struct resource *r;
    json_t *target = NULL;

    if (!abs) {
        oom(c);
        return NULL;
    }
    hash = strchr(abs, '#');
    if (hash && hash[1] != '\0' && hash[1] != '/') { /* plain-name fragment */
        r = res_find(c, abs);
        if (r) {
            target = r->schema;
            *target_base = r->base;
        }
    } else {
        if (hash)
            *hash++ = '\0';
        r = res_find(c, abs);
        if (r) {
            target = r->schema;
            *target_base = r->base;
            if (hash) {
                size_t len = pct_decode(hash);
                if (pointer_walk(c, &target, target_base, hash, len) < 0)
                    target = NULL;
            }
        }
    }
    free(abs);
    if (!target && !c->failed)
        cfail(c, "cannot resolve $ref '%s' within the document (remote references are not "
                 "fetched)",
              ref);
    return target;
}

/* ---- keyword compilation ---- */

static struct js_node *compile(struct cctx *c, json_t *s, const char *base);

static const struct js_node *sub(struct cctx *c, json_t *s, const char *kw, const char *base)
{
    size_t saved = loc_push(c, kw, strlen(kw));
    struct js_node *n = compile(c, s, base);
    c->loclen = saved;
    return n;
}

static bool get_num(json_t *v, struct js_num *out)
{
    if (json_is_integer(v)) {
        out->is_int = true;
        out->i = json_integer_value(v);
        out->d = (double)out->i;
        return true;
    }
    if (json_is_real(v)) {
        out->is_int = false;
        out->d = json_real_value(v);
        return true;
    }
    return false;
}

/* A non-negative integer keyword (2.0 counts as 2). 1 set, 0 absent, -1 invalid. */
static int get_count(struct cctx *c, json_t *s, const char *kw, size_t *out)
{
    json_t *v = json_object_get(s, kw);
    double d;

    if (!v)
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (size_t)json_integer_value(v);
        return 1;
    }
    if (json_is_real(v) && (d = json_real_value(v)) >= 0 && d == (double)(long long)d &&
        d < 9.2e18) {
        *out = (size_t)d;
        return 1;
    }
    cfail(c, "'%s' must be a non-negative integer", kw);
    return -1;
}

static int set_count(struct cctx *c, json_t *s, const char *kw, size_t *out, uint32_t flag,
                     struct js_node *n)
{
    int r = get_count(c, s, kw, out);
    if (r > 0)
        n->flags |= flag;
    return r;
}

static int set_num(struct cctx *c, json_t *s, const char *kw, struct js_num *out, uint32_t flag,
                   struct js_node *n)
{
    json_t *v = json_object_get(s, kw);
    if (!v)
        return 0;
    if (!get_num(v, out)) {
        cfail(c, "'%s' must be a number", kw);
        return -1;
    }
    n->flags |= flag;
    return 0;
}

static int add_code(struct cctx *c, pcre2_code *code)
{
    struct jsonschema *js = c->js;
    if (js->ncodes == js->capcodes) {
        size_t cap = js->capcodes ? js->capcodes * 2 : 8;
        pcre2_code **p = realloc(js->codes, cap * sizeof(*p));
        if (!p) {
            pcre2_code_free(code);
            oom(c);
            return -1;
        }
        js->codes = p;
        js->capcodes = cap;
    }
    js->codes[js->ncodes++] = code;
    return 0;
}

static int regex(struct cctx *c, const char *src, size_t len, struct js_regex *out)
{
    char err[200];
    pcre2_code *code = js_regex_compile(src, len, err, sizeof(err));

    if (!code) {
        cfail(c, "invalid regular expression '%s': %s", src, err);
        return -1;
    }
    if (add_code(c, code) < 0)
        return -1;
    out->code = code;
    out->source = arena_strndup(c->js, src, len);
    if (!out->source) {
        oom(c);
        return -1;
    }
    return 0;
}

/* "a", 1, {"b":2} for messages, shortened past ~300 bytes. */
static const char *values_text(struct cctx *c, json_t *values, bool one)
{
    char buf[320];
    size_t len = 0, i;
    json_t *v;

    buf[0] = '\0';
    for (i = 0; i < (one ? 1 : json_array_size(values)); i++) {
        char *d;
        v = one ? values : json_array_get(values, i);
        d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!d)
            return NULL;
        int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "", d);
        free(d);
        if (n < 0 || (size_t)n >= sizeof(buf) - len - 8) {
            snprintf(buf + len, sizeof(buf) - len, "%s...", i ? ", " : "");
            len = strlen(buf);
            break;
        }
        len += (size_t)n;
    }
    return arena_strndup(c->js, buf, strlen(buf));
}

static int compile_type(struct cctx *c, json_t *v, struct js_node *n)
{
    static const struct {
        const char *name;
        uint8_t bits;
    } names[] = {
        {"null", JS_T_NULL},     {"boolean", JS_T_BOOLEAN}, {"object", JS_T_OBJECT},
        {"array", JS_T_ARRAY},   {"number", JS_T_NUMBER},   {"string", JS_T_STRING},
        {"integer", JS_T_INTEGER},
    };
    size_t count = json_is_array(v) ? json_array_size(v) : 1;

    if (!json_is_string(v) && !(json_is_array(v) && count > 0)) {
        cfail(c, "'type' must be a type name or a non-empty array of them");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *t = json_is_array(v) ? json_array_get(v, i) : v;
        size_t k;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (json_is_string(t) && strcmp(json_string_value(t), names[k].name) == 0)
                break;
        if (k == sizeof(names) / sizeof(names[0])) {
            cfail(c, "'type' has an unknown type name");
            return -1;
        }
        n->types |= names[k].bits;
    }
    return 0;
}

static int compile_list(struct cctx *c, json_t *s, const char *kw, const char *base,
                        const struct js_node ***out, size_t *count)
{
    json_t *v = json_object_get(s, kw);
    const struct js_node **arr;
    size_t saved, n;

    if (!v)
        return 0;
    n = json_array_size(v);
    if (!json_is_array(v) || n == 0) {
        cfail(c, "'%s' must be a non-empty array of schemas", kw);
        return -1;
    }
    arr = arena_alloc(c->js, n * sizeof(*arr));
    if (!arr) {
        oom(c);
        return -1;
    }
    saved = loc_push(c, kw, strlen(kw));
    for (size_t i = 0; i < n; i++) {
        size_t s2 = loc_push_index(c, i);
        arr[i] = compile(c, json_array_get(v, i), base);
        c->loclen = s2;
        if (!arr[i])
            return -1;
    }
    c->loclen = saved;
    *out = arr;
    *count = n;
    return 0;
}

/* "required" and array-form "dependencies": unique strings. */
static int compile_names(struct cctx *c, json_t *v, const char *kw, const struct js_str **out,
                         size_t *count)
{
    size_t n = json_array_size(v);
    struct js_str *arr;

    if (!json_is_array(v)) {
        cfail(c, "'%s' must be an array of property names", kw);
        return -1;
    }
    arr = arena_alloc(c->js, (n ? n : 1) * sizeof(*arr));
    if (!arr) {
        oom(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_string(x)) {
            cfail(c, "'%s' must be an array of property names", kw);
            return -1;
        }
        arr[i].len = json_string_length(x);
        arr[i].s = arena_strndup(c->js, json_string_value(x), arr[i].len);
        if (!arr[i].s) {
            oom(c);
            return -1;
        }
    }
    *out = arr;
    *count = n;
    return 0;
}

static int prop_cmp(const void *a, const void *b)
{
    const struct js_prop *x = *(const struct js_prop *const *)a,
                         *y = *(const struct js_prop *const *)b;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return memcmp(x->key, y->key, x->klen);
}

static int compile_props(struct cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "properties"), *x;
    struct js_prop *arr;
    const struct js_prop **sorted;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        cfail(c, "'properties' must be an object");
        return -1;
    }
    arr = arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        oom(c);
        return -1;
    }
    saved = loc_push(c, "properties", 10);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        arr[i].klen = klen;
        arr[i].key = arena_strndup(c->js, k, klen);
        s2 = loc_push(c, k, klen);
        arr[i].node = compile(c, x, base);
        c->loclen = s2;
        if (!arr[i].key || !arr[i].node)
            return arr[i].key ? -1 : (oom(c), -1);
        i++;
    }
    c->loclen = saved;
    sorted = arena_alloc(c->js, (i + 1) * sizeof(*sorted));
    if (!sorted) {
        oom(c);
        return -1;
    }
    for (size_t j = 0; j < i; j++)
        sorted[j] = &arr[j];
    qsort(sorted, i, sizeof(*sorted), prop_cmp);
    n->props = arr;
    n->sorted = sorted;
    n->nprops = i;
    return 0;
}

static int compile_pattern_props(struct cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "patternProperties"), *x;
    struct js_pattern_prop *arr;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        cfail(c, "'patternProperties' must be an object");
        return -1;
    }
    arr = arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        oom(c);
        return -1;
    }
    saved = loc_push(c, "patternProperties", 17);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        s2 = loc_push(c, k, klen);
        if (regex(c, k, klen, &arr[i].re) < 0)
            return -1;
        arr[i].node = compile(c, x, base);
        c->loclen = s2;
        if (!arr[i].node)
            return -1;
        i++;
    }
    c->loclen = saved;
    n->pattern_props = arr;
    n->npattern_props = i;
    return 0;
}

static int compile_deps(struct cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "dependencies"), *x;
    struct js_dep *arr;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        cfail(c, "'dependencies' must be an object");
        return -1;
    }
    arr = arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        oom(c);
        return -1;
    }
    saved = loc_push(c, "dependencies", 12);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        arr[i].klen = klen;
        arr[i].key = arena_strndup(c->js, k, klen);
        if (!arr[i].key) {
            oom(c);
            return -1;
        }
        s2 = loc_push(c, k, klen);
        if (json_is_array(x)) {
            if (compile_names(c, x, "dependencies", &arr[i].required, &arr[i].nrequired) < 0)
                return -1;
        } else if (!(arr[i].schema = compile(c, x, base))) {
            return -1;
        }
        c->loclen = s2;
        i++;
    }
    c->loclen = saved;
    n->deps = arr;
    n->ndeps = i;
    return 0;
}

static int compile_items(struct cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "items");

    if (!v)
        return 0;
    if (json_is_array(v)) {
        size_t count = json_array_size(v), saved;
        n->tuple = arena_alloc(c->js, (count + 1) * sizeof(*n->tuple));
        if (!n->tuple) {
            oom(c);
            return -1;
        }
        saved = loc_push(c, "items", 5);
        for (size_t i = 0; i < count; i++) {
            size_t s2 = loc_push_index(c, i);
            n->tuple[i] = compile(c, json_array_get(v, i), base);
            c->loclen = s2;
            if (!n->tuple[i])
                return -1;
        }
        c->loclen = saved;
        n->ntuple = count;
        n->flags |= JS_K_ITEMS_TUPLE;
        return 0;
    }
    n->items = sub(c, v, "items", base);
    return n->items ? 0 : -1;
}

/* Compiles an optional single-subschema keyword into *out. */
static int opt_sub(struct cctx *c, json_t *s, const char *kw, const char *base,
                   const struct js_node **out)
{
    json_t *v = json_object_get(s, kw);
    if (!v)
        return 0;
    *out = sub(c, v, kw, base);
    return *out ? 0 : -1;
}

static int compile_scalars(struct cctx *c, json_t *s, struct js_node *n)
{
    json_t *v;

    if ((v = json_object_get(s, "type")) && compile_type(c, v, n) < 0)
        return -1;
    if ((v = json_object_get(s, "enum"))) {
        if (!json_is_array(v)) {
            cfail(c, "'enum' must be an array");
            return -1;
        }
        n->enum_values = v;
        n->enum_text = values_text(c, v, false);
        n->flags |= JS_K_ENUM;
        if (!n->enum_text) {
            oom(c);
            return -1;
        }
    }
    if ((v = json_object_get(s, "const"))) {
        n->const_value = v;
        n->const_text = values_text(c, v, true);
        n->flags |= JS_K_CONST;
        if (!n->const_text) {
            oom(c);
            return -1;
        }
    }
    if (set_num(c, s, "multipleOf", &n->multiple_of, JS_K_MULTIPLE_OF, n) < 0 ||
        set_num(c, s, "maximum", &n->maximum, JS_K_MAXIMUM, n) < 0 ||
        set_num(c, s, "exclusiveMaximum", &n->excl_maximum, JS_K_EXCL_MAXIMUM, n) < 0 ||
        set_num(c, s, "minimum", &n->minimum, JS_K_MINIMUM, n) < 0 ||
        set_num(c, s, "exclusiveMinimum", &n->excl_minimum, JS_K_EXCL_MINIMUM, n) < 0)
        return -1;
    if ((n->flags & JS_K_MULTIPLE_OF) && !(n->multiple_of.is_int ? n->multiple_of.i > 0
                                                                   : n->multiple_of.d > 0)) {
        cfail(c, "'multipleOf' must be greater than 0");
        return -1;
    }
    if (set_count(c, s, "maxLength", &n->max_length, JS_K_MAX_LENGTH, n) < 0 ||
        set_count(c, s, "minLength", &n->min_length, JS_K_MIN_LENGTH, n) < 0 ||
        set_count(c, s, "maxItems", &n->max_items, JS_K_MAX_ITEMS, n) < 0 ||
        set_count(c, s, "minItems", &n->min_items, JS_K_MIN_ITEMS, n) < 0 ||
        set_count(c, s, "maxProperties", &n->max_props, JS_K_MAX_PROPS, n) < 0 ||
        set_count(c, s, "minProperties", &n->min_props, JS_K_MIN_PROPS, n) < 0)
        return -1;
    if ((v = json_object_get(s, "uniqueItems"))) {
        if (!json_is_boolean(v)) {
            cfail(c, "'uniqueItems' must be a boolean");
            return -1;
        }
        if (json_is_true(v))
            n->flags |= JS_K_UNIQUE_ITEMS;
    }
    if ((v = json_object_get(s, "pattern"))) {
        if (!json_is_string(v)) {
            cfail(c, "'pattern' must be a string");
            return -1;
        }
        if (regex(c, json_string_value(v), json_string_length(v), &n->pattern) < 0)
            return -1;
    }
    if ((v = json_object_get(s, "format"))) {
        if (!json_is_string(v)) {
            cfail(c, "'format' must be a string");
            return -1;
        }
        n->format = (uint8_t)js_format_lookup(json_string_value(v));
    }
    if ((v = json_object_get(s, "required")) &&
        compile_names(c, v, "required", &n->required, &n->nrequired) < 0)
        return -1;
    return 0;
}

static int compile_definitions(struct cctx *c, json_t *s, const char *base)
{
    json_t *v = json_object_get(s, "definitions"), *x;
    const char *k;
    size_t saved;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        cfail(c, "'definitions' must be an object");
        return -1;
    }
    saved = loc_push(c, "definitions", 11);
    json_object_foreach(v, k, x)
    {
        size_t s2 = loc_push(c, k, strlen(k));
        if (!compile(c, x, base))
            return -1;
        c->loclen = s2;
    }
    c->loclen = saved;
    return 0;
}

static int compile_object(struct cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *id = json_object_get(s, "$id");

    if (id && !json_is_string(id)) {
        cfail(c, "'$id' must be a string");
        return -1;
    }
    if (s != c->js->schema) /* the root's $id is already in the base it was given */
        base = base_of(c, s, base, NULL);
    if (!base) {
        oom(c);
        return -1;
    }
    if (compile_scalars(c, s, n) < 0 || compile_items(c, s, base, n) < 0 ||
        opt_sub(c, s, "additionalItems", base, &n->additional_items) < 0 ||
        opt_sub(c, s, "contains", base, &n->contains) < 0 || compile_props(c, s, base, n) < 0 ||
        compile_pattern_props(c, s, base, n) < 0 ||
        opt_sub(c, s, "additionalProperties", base, &n->additional_props) < 0 ||
        compile_deps(c, s, base, n) < 0 ||
        opt_sub(c, s, "propertyNames", base, &n->property_names) < 0 ||
        opt_sub(c, s, "if", base, &n->if_) < 0 || opt_sub(c, s, "then", base, &n->then_) < 0 ||
        opt_sub(c, s, "else", base, &n->else_) < 0 ||
        compile_list(c, s, "allOf", base, &n->all_of, &n->nall_of) < 0 ||
        compile_list(c, s, "anyOf", base, &n->any_of, &n->nany_of) < 0 ||
        compile_list(c, s, "oneOf", base, &n->one_of, &n->none_of) < 0 ||
        opt_sub(c, s, "not", base, &n->not_) < 0 || compile_definitions(c, s, base) < 0)
        return -1;
    if (!n->if_) /* then/else without if have no effect */
        n->then_ = n->else_ = NULL;
    return 0;
}

static struct js_node *compile(struct cctx *c, json_t *s, const char *base)
{
    struct js_node *n = memo_get(c, s);
    json_t *ref;

    if (n)
        return n;
    if (c->depth >= JSONSCHEMA_MAX_DEPTH) {
        cfail(c, "schema nested deeper than %d levels", JSONSCHEMA_MAX_DEPTH);
        return NULL;
    }
    n = arena_alloc(c->js, sizeof(*n));
    if (!n || memo_put(c, s, n) < 0) {
        oom(c);
        return NULL;
    }
    c->depth++;
    if (json_is_boolean(s)) {
        n->kind = json_is_true(s) ? JS_N_TRUE : JS_N_FALSE;
    } else if (!json_is_object(s)) {
        cfail(c, "a schema must be an object or a boolean");
        n = NULL;
    } else if ((ref = json_object_get(s, "$ref"))) {
        const char *tbase = NULL;
        json_t *target;
        n->kind = JS_N_REF;
        if (!json_is_string(ref)) {
            cfail(c, "'$ref' must be a string");
            n = NULL;
        } else if (!(target = resolve_ref(c, base, json_string_value(ref), &tbase))) {
            n = NULL;
        } else {
            char saved[sizeof(c->loc)];
            size_t savedlen = c->loclen;
            /* errors inside the target are reported at the $ref that reached it */
            memcpy(saved, c->loc, savedlen);
            c->loclen = (size_t)snprintf(c->loc, sizeof(c->loc), "%s", json_string_value(ref));
            if (c->loclen >= sizeof(c->loc))
                c->loclen = sizeof(c->loc) - 1;
            n->ref = compile(c, target, tbase);
            memcpy(c->loc, saved, savedlen);
            c->loclen = savedlen;
            if (!n->ref)
                n = NULL;
        }
    } else {
        n->kind = JS_N_SCHEMA;
        if (compile_object(c, s, base, n) < 0)
            n = NULL;
    }
    c->depth--;
    return n;
}

/* Rejects $ref chains that never reach a real schema ({"$ref": "#"} at the root, a -> b -> a). */
static int check_ref_cycles(struct cctx *c)
{
    for (size_t i = 0; i < c->memo_cap; i++) {
        const struct js_node *n = c->memo[i].node;
        size_t steps = 0;
        if (!c->memo[i].key)
            continue;
        while (n && n->kind == JS_N_REF && steps <= c->memo_len) {
            n = n->ref;
            steps++;
        }
        if (steps > c->memo_len) {
            c->loclen = 1;
            cfail(c, "$ref cycle: a chain of $refs never reaches a schema");
            return -1;
        }
    }
    return 0;
}

struct jsonschema *jsonschema_new(json_t *schema, char *err, size_t errlen)
{
    struct cctx c;
    struct jsonschema *js = NULL;
    const char *root_base;
    char *root_uri;

    memset(&c, 0, sizeof(c));
    c.loc[0] = '#';
    c.loclen = 1;
    c.err = err;
    c.errlen = errlen;
    if (errlen > 0)
        err[0] = '\0';
    if (!schema) {
        cfail(&c, "no schema");
        goto err;
    }
    js = calloc(1, sizeof(*js));
    if (!js) {
        oom(&c);
        goto err;
    }
    js->schema = json_incref(schema);
    c.js = js;

    root_base = json_is_object(schema) ? base_of(&c, schema, "", NULL) : "";
    root_uri = strdup("");
    if (!root_base || !root_uri || res_add(&c, root_uri, schema, root_base) < 0) {
        oom(&c);
        goto err;
    }
    if (index_walk(&c, schema, "", 0, true) < 0)
        goto err;
    js->root = compile(&c, schema, root_base);
    if (!js->root || check_ref_cycles(&c) < 0)
        goto err;
    for (size_t i = 0; i < c.nres; i++)
        free(c.res[i].uri);
    free(c.res);
    free(c.memo);
    return js;
err:
    for (size_t i = 0; i < c.nres; i++)
        free(c.res[i].uri);
    free(c.res);
    free(c.memo);
    jsonschema_free(js);
    return NULL;
}

struct jsonschema *jsonschema_load_file(const char *path, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *schema = json_load_file(path, 0, &jerr);
    struct jsonschema *js;

    if (!schema) {
        if (errlen > 0)
            snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    js = jsonschema_new(schema, err, errlen);
    json_decref(schema);
    if (!js && errlen > 0) {
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
        snprintf(err, errlen, "%s", tmp);
    }
    return js;
}

void jsonschema_free(struct jsonschema *js)
{
    if (!js)
        return;
    for (size_t i = 0; i < js->ncodes; i++)
        pcre2_code_free(js->codes[i]);
    free(js->codes);
    while (js->arena) {
        struct js_chunk *next = js->arena->next;
        free(js->arena);
        js->arena = next;
    }
    json_decref(js->schema);
    free(js);
}
