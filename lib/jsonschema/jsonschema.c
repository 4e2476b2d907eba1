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

void *js_arena_alloc(struct jsonschema *js, size_t n)
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

char *js_arena_strndup(struct jsonschema *js, const char *s, size_t n)
{
    char *p = js_arena_alloc(js, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- compile context ---- */

struct js_memo {
    const json_t *key;
    struct js_node *node;
};

/* A schema resource ($id without fragment) or a plain-name anchor ($id "#name"). */
struct js_resource {
    char *uri;
    json_t *schema;
    const char *base; /* the base URI in effect inside it */
};

void js_cfail(struct js_cctx *c, const char *fmt, ...)
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

void js_oom(struct js_cctx *c)
{
    js_cfail(c, "out of memory");
}

/* Appends "/token" (escaped) to the location; returns the length to restore. */
size_t js_loc_push(struct js_cctx *c, const char *tok, size_t len)
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

size_t js_loc_push_index(struct js_cctx *c, size_t i)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%zu", i);
    return js_loc_push(c, buf, (size_t)n);
}

static size_t memo_slot(const struct js_cctx *c, const json_t *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (c->memo_cap - 1);
}

static struct js_node *memo_get(const struct js_cctx *c, const json_t *key)
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

static int memo_put(struct js_cctx *c, const json_t *key, struct js_node *node)
{
    if ((c->memo_len + 1) * 2 > c->memo_cap) {
        struct js_memo *old = c->memo;
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

static struct js_resource *res_find(const struct js_cctx *c, const char *uri)
{
    for (size_t i = 0; i < c->nres; i++)
        if (strcmp(c->res[i].uri, uri) == 0)
            return &c->res[i];
    return NULL;
}

/* Registers uri (malloc'd, taken) unless already known (the first one wins). */
static int res_add(struct js_cctx *c, char *uri, json_t *schema, const char *base)
{
    if (res_find(c, uri)) {
        free(uri);
        return 0;
    }
    if (c->nres == c->capres) {
        size_t cap = c->capres ? c->capres * 2 : 8;
        struct js_resource *r = realloc(c->res, cap * sizeof(*r));
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
static const char *base_of(struct js_cctx *c, json_t *s, const char *base, char **id_out)
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
    b = js_arena_strndup(c->js, abs, strlen(abs));
    if (b)
        strip_fragment(b);
    if (id_out)
        *id_out = abs;
    else
        free(abs);
    return b;
}

static int index_walk(struct js_cctx *c, json_t *s, const char *base, int depth, bool is_root);

static int index_each(struct js_cctx *c, json_t *s, const char *kw, bool map, const char *base,
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
static int index_walk(struct js_cctx *c, json_t *s, const char *base, int depth, bool is_root)
{
    static const char *const single[] = {"items",
                                         "additionalItems",
                                         "contains",
                                         "propertyNames",
                                         "additionalProperties",
                                         "if",
                                         "then",
                                         "else",
                                         "not",
                                         "allOf",
                                         "anyOf",
                                         "oneOf"};
    static const char *const maps[] = {"properties", "patternProperties", "definitions",
                                       "dependencies"};
    char *id = NULL;

    if (!json_is_object(s))
        return 0;
    if (depth > JSONSCHEMA_MAX_DEPTH) {
        js_cfail(c, "schema nested deeper than %d levels", JSONSCHEMA_MAX_DEPTH);
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
        bool anchor = strchr(id, '#') && strchr(id, '#')[1] != '\0';
        char *doc = NULL;
        int rc = 0;
        if (!plain) {
            doc = strdup(id);
            if (!doc) {
                free(id);
                goto oom;
            }
            strip_fragment(doc);
        }
        if (anchor)
            rc |= res_add(c, id, s, base);
        else
            free(id);
        if (doc)
            rc |= res_add(c, doc, s, base);
        if (rc < 0)
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
    js_oom(c);
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
static int pointer_walk(struct js_cctx *c, json_t **cur, const char **base, const char *ptr,
                        size_t len)
{
    char *tok = malloc(len + 1);
    size_t i = 0;

    if (!tok) {
        js_oom(c);
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
                js_oom(c);
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
static json_t *resolve_ref(struct js_cctx *c, const char *base, const char *ref,
                           const char **target_base)
{
    char *abs = js_uri_resolve(base, ref), *hash;
    struct js_resource *r;
    json_t *target = NULL;

    if (!abs) {
        js_oom(c);
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
        js_cfail(c,
                 "cannot resolve $ref '%s' within the document (remote references are not "
                 "fetched)",
                 ref);
    return target;
}

struct js_node *js_compile(struct js_cctx *c, json_t *s, const char *base)
{
    struct js_node *n = memo_get(c, s);
    json_t *ref;

    if (n)
        return n;
    if (c->depth >= JSONSCHEMA_MAX_DEPTH) {
        js_cfail(c, "schema nested deeper than %d levels", JSONSCHEMA_MAX_DEPTH);
        return NULL;
    }
    n = js_arena_alloc(c->js, sizeof(*n));
    if (!n || memo_put(c, s, n) < 0) {
        js_oom(c);
        return NULL;
    }
    c->depth++;
    if (json_is_boolean(s)) {
        n->kind = json_is_true(s) ? JS_N_TRUE : JS_N_FALSE;
    } else if (!json_is_object(s)) {
        js_cfail(c, "a schema must be an object or a boolean");
        n = NULL;
    } else if ((ref = json_object_get(s, "$ref"))) {
        const char *tbase = NULL;
        json_t *target;
        n->kind = JS_N_REF;
        if (!json_is_string(ref)) {
            js_cfail(c, "'$ref' must be a string");
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
            n->ref = js_compile(c, target, tbase);
            memcpy(c->loc, saved, savedlen);
            c->loclen = savedlen;
            if (!n->ref)
                n = NULL;
        }
    } else {
        json_t *id = json_object_get(s, "$id");
        n->kind = JS_N_SCHEMA;
        if (id && !json_is_string(id)) {
            js_cfail(c, "'$id' must be a string");
            n = NULL;
        } else if (s != c->js->schema && !(base = base_of(c, s, base, NULL))) {
            /* (the root's $id is already in the base it was given) */
            js_oom(c);
            n = NULL;
        } else if (js_compile_object(c, s, base, n) < 0) {
            n = NULL;
        }
    }
    c->depth--;
    return n;
}

/* Rejects $ref chains that never reach a real schema ({"$ref": "#"} at the root, a -> b -> a). */
static int check_ref_cycles(struct js_cctx *c)
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
            js_cfail(c, "$ref cycle: a chain of $refs never reaches a schema");
            return -1;
        }
    }
    return 0;
}

struct jsonschema *jsonschema_new(json_t *schema, char *err, size_t errlen)
{
    struct js_cctx c;
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
        js_cfail(&c, "no schema");
        goto out;
    }
    js = calloc(1, sizeof(*js));
    if (!js) {
        js_oom(&c);
        goto out;
    }
    js->schema = json_incref(schema);
    c.js = js;

    root_base = json_is_object(schema) ? base_of(&c, schema, "", NULL) : "";
    root_uri = root_base ? strdup("") : NULL;
    if (!root_uri || res_add(&c, root_uri, schema, root_base) < 0) { /* res_add takes root_uri */
        js_oom(&c);
        goto out;
    }
    if (index_walk(&c, schema, "", 0, true) < 0)
        goto out;
    js->root = js_compile(&c, schema, root_base);
    if (js->root)
        check_ref_cycles(&c);
out:
    if (c.failed || (js && !js->root)) {
        jsonschema_free(js);
        js = NULL;
    }
    for (size_t i = 0; i < c.nres; i++)
        free(c.res[i].uri);
    free(c.res);
    free(c.memo);
    return js;
}

struct jsonschema *jsonschema_load_file(const char *path, char *err, size_t errlen)
{
    json_error_t jerr;
    /* Any JSON value (a boolean is a schema); integers beyond 64 bits are
     * read as reals rather than refused. */
    json_t *schema = json_load_file(path, JSON_DECODE_ANY, &jerr);
    struct jsonschema *js;

    if (!schema && strstr(jerr.text, "too big"))
        schema = json_load_file(path, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
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
