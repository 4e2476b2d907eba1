/* jsonschema_keywords.c: compiles the keywords of one schema object into its node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema_internal.h"

/* ---- keyword compilation ---- */

static const struct js_node *sub(struct js_cctx *c, json_t *s, const char *kw, const char *base)
{
    size_t saved = js_loc_push(c, kw, strlen(kw));
    struct js_node *n = js_compile(c, s, base);
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
static int get_count(struct js_cctx *c, json_t *s, const char *kw, size_t *out)
{
    json_t *v = json_object_get(s, kw);
    double d;

    if (!v)
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (size_t)json_integer_value(v);
        return 1;
    }
    if (json_is_real(v) && (d = json_real_value(v)) >= 0 && d < 9.2e18 &&
        d == (double)(long long)d) {
        *out = (size_t)d;
        return 1;
    }
    js_cfail(c, "'%s' must be a non-negative integer", kw);
    return -1;
}

static int set_count(struct js_cctx *c, json_t *s, const char *kw, size_t *out, uint32_t flag,
                     struct js_node *n)
{
    int r = get_count(c, s, kw, out);
    if (r > 0)
        n->flags |= flag;
    return r;
}

static int set_num(struct js_cctx *c, json_t *s, const char *kw, struct js_num *out, uint32_t flag,
                   struct js_node *n)
{
    json_t *v = json_object_get(s, kw);
    if (!v)
        return 0;
    if (!get_num(v, out)) {
        js_cfail(c, "'%s' must be a number", kw);
        return -1;
    }
    n->flags |= flag;
    return 0;
}

static int add_code(struct js_cctx *c, pcre2_code *code)
{
    struct jsonschema *js = c->js;
    if (js->ncodes == js->capcodes) {
        size_t cap = js->capcodes ? js->capcodes * 2 : 8;
        pcre2_code **p = realloc(js->codes, cap * sizeof(*p));
        if (!p) {
            pcre2_code_free(code);
            js_oom(c);
            return -1;
        }
        js->codes = p;
        js->capcodes = cap;
    }
    js->codes[js->ncodes++] = code;
    return 0;
}

static int regex(struct js_cctx *c, const char *src, size_t len, struct js_regex *out)
{
    char err[200];
    pcre2_code *code = js_regex_compile(src, len, err, sizeof(err));

    if (!code) {
        js_cfail(c, "invalid regular expression '%s': %s", src, err);
        return -1;
    }
    if (add_code(c, code) < 0)
        return -1;
    out->code = code;
    out->source = js_arena_strndup(c->js, src, len);
    if (!out->source) {
        js_oom(c);
        return -1;
    }
    return 0;
}

/* "a", 1, {"b":2} for messages, shortened past ~300 bytes. */
static const char *values_text(struct js_cctx *c, json_t *values, bool one)
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
    return js_arena_strndup(c->js, buf, strlen(buf));
}

static int compile_type(struct js_cctx *c, json_t *v, struct js_node *n)
{
    static const struct {
        const char *name;
        uint8_t bits;
    } names[] = {
        {"null", JS_T_NULL},       {"boolean", JS_T_BOOLEAN}, {"object", JS_T_OBJECT},
        {"array", JS_T_ARRAY},     {"number", JS_T_NUMBER},   {"string", JS_T_STRING},
        {"integer", JS_T_INTEGER},
    };
    size_t count = json_is_array(v) ? json_array_size(v) : 1;

    if (!json_is_string(v) && !(json_is_array(v) && count > 0)) {
        js_cfail(c, "'type' must be a type name or a non-empty array of them");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *t = json_is_array(v) ? json_array_get(v, i) : v;
        size_t k;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (json_is_string(t) && strcmp(json_string_value(t), names[k].name) == 0)
                break;
        if (k == sizeof(names) / sizeof(names[0])) {
            js_cfail(c, "'type' has an unknown type name");
            return -1;
        }
        n->types |= names[k].bits;
    }
    return 0;
}

static int compile_list(struct js_cctx *c, json_t *s, const char *kw, const char *base,
                        const struct js_node ***out, size_t *count)
{
    json_t *v = json_object_get(s, kw);
    const struct js_node **arr;
    size_t saved, n;

    if (!v)
        return 0;
    n = json_array_size(v);
    if (!json_is_array(v) || n == 0) {
        js_cfail(c, "'%s' must be a non-empty array of schemas", kw);
        return -1;
    }
    arr = js_arena_alloc(c->js, n * sizeof(*arr));
    if (!arr) {
        js_oom(c);
        return -1;
    }
    saved = js_loc_push(c, kw, strlen(kw));
    for (size_t i = 0; i < n; i++) {
        size_t s2 = js_loc_push_index(c, i);
        arr[i] = js_compile(c, json_array_get(v, i), base);
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
static int compile_names(struct js_cctx *c, json_t *v, const char *kw, const struct js_str **out,
                         size_t *count)
{
    size_t n = json_array_size(v);
    struct js_str *arr;

    if (!json_is_array(v)) {
        js_cfail(c, "'%s' must be an array of property names", kw);
        return -1;
    }
    arr = js_arena_alloc(c->js, (n ? n : 1) * sizeof(*arr));
    if (!arr) {
        js_oom(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_string(x)) {
            js_cfail(c, "'%s' must be an array of property names", kw);
            return -1;
        }
        arr[i].len = json_string_length(x);
        arr[i].s = js_arena_strndup(c->js, json_string_value(x), arr[i].len);
        if (!arr[i].s) {
            js_oom(c);
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

static int compile_props(struct js_cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "properties"), *x;
    struct js_prop *arr;
    const struct js_prop **sorted;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        js_cfail(c, "'properties' must be an object");
        return -1;
    }
    arr = js_arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        js_oom(c);
        return -1;
    }
    saved = js_loc_push(c, "properties", 10);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        arr[i].klen = klen;
        arr[i].key = js_arena_strndup(c->js, k, klen);
        s2 = js_loc_push(c, k, klen);
        arr[i].node = js_compile(c, x, base);
        c->loclen = s2;
        if (!arr[i].key) {
            js_oom(c);
            return -1;
        }
        if (!arr[i].node)
            return -1;
        i++;
    }
    c->loclen = saved;
    sorted = js_arena_alloc(c->js, (i + 1) * sizeof(*sorted));
    if (!sorted) {
        js_oom(c);
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

static int compile_pattern_props(struct js_cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "patternProperties"), *x;
    struct js_pattern_prop *arr;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        js_cfail(c, "'patternProperties' must be an object");
        return -1;
    }
    arr = js_arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        js_oom(c);
        return -1;
    }
    saved = js_loc_push(c, "patternProperties", 17);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        s2 = js_loc_push(c, k, klen);
        if (regex(c, k, klen, &arr[i].re) < 0)
            return -1;
        arr[i].node = js_compile(c, x, base);
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

static int compile_deps(struct js_cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "dependencies"), *x;
    struct js_dep *arr;
    const char *k;
    size_t i = 0, saved, klen;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        js_cfail(c, "'dependencies' must be an object");
        return -1;
    }
    arr = js_arena_alloc(c->js, (json_object_size(v) + 1) * sizeof(*arr));
    if (!arr) {
        js_oom(c);
        return -1;
    }
    saved = js_loc_push(c, "dependencies", 12);
    json_object_keylen_foreach(v, k, klen, x)
    {
        size_t s2;
        arr[i].klen = klen;
        arr[i].key = js_arena_strndup(c->js, k, klen);
        if (!arr[i].key) {
            js_oom(c);
            return -1;
        }
        s2 = js_loc_push(c, k, klen);
        if (json_is_array(x)) {
            if (compile_names(c, x, "dependencies", &arr[i].required, &arr[i].nrequired) < 0)
                return -1;
        } else if (!(arr[i].schema = js_compile(c, x, base))) {
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

static int compile_items(struct js_cctx *c, json_t *s, const char *base, struct js_node *n)
{
    json_t *v = json_object_get(s, "items");

    if (!v)
        return 0;
    if (json_is_array(v)) {
        size_t count = json_array_size(v), saved;
        n->tuple = js_arena_alloc(c->js, (count + 1) * sizeof(*n->tuple));
        if (!n->tuple) {
            js_oom(c);
            return -1;
        }
        saved = js_loc_push(c, "items", 5);
        for (size_t i = 0; i < count; i++) {
            size_t s2 = js_loc_push_index(c, i);
            n->tuple[i] = js_compile(c, json_array_get(v, i), base);
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
static int opt_sub(struct js_cctx *c, json_t *s, const char *kw, const char *base,
                   const struct js_node **out)
{
    json_t *v = json_object_get(s, kw);
    if (!v)
        return 0;
    *out = sub(c, v, kw, base);
    return *out ? 0 : -1;
}

static int compile_scalars(struct js_cctx *c, json_t *s, struct js_node *n)
{
    json_t *v;

    if ((v = json_object_get(s, "type")) && compile_type(c, v, n) < 0)
        return -1;
    if ((v = json_object_get(s, "enum"))) {
        if (!json_is_array(v)) {
            js_cfail(c, "'enum' must be an array");
            return -1;
        }
        n->enum_values = v;
        n->enum_text = values_text(c, v, false);
        n->flags |= JS_K_ENUM;
        if (!n->enum_text) {
            js_oom(c);
            return -1;
        }
    }
    if ((v = json_object_get(s, "const"))) {
        n->const_value = v;
        n->const_text = values_text(c, v, true);
        n->flags |= JS_K_CONST;
        if (!n->const_text) {
            js_oom(c);
            return -1;
        }
    }
    if (set_num(c, s, "multipleOf", &n->multiple_of, JS_K_MULTIPLE_OF, n) < 0 ||
        set_num(c, s, "maximum", &n->maximum, JS_K_MAXIMUM, n) < 0 ||
        set_num(c, s, "exclusiveMaximum", &n->excl_maximum, JS_K_EXCL_MAXIMUM, n) < 0 ||
        set_num(c, s, "minimum", &n->minimum, JS_K_MINIMUM, n) < 0 ||
        set_num(c, s, "exclusiveMinimum", &n->excl_minimum, JS_K_EXCL_MINIMUM, n) < 0)
        return -1;
    if ((n->flags & JS_K_MULTIPLE_OF) &&
        !(n->multiple_of.is_int ? n->multiple_of.i > 0 : n->multiple_of.d > 0)) {
        js_cfail(c, "'multipleOf' must be greater than 0");
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
            js_cfail(c, "'uniqueItems' must be a boolean");
            return -1;
        }
        if (json_is_true(v))
            n->flags |= JS_K_UNIQUE_ITEMS;
    }
    if ((v = json_object_get(s, "pattern"))) {
        if (!json_is_string(v)) {
            js_cfail(c, "'pattern' must be a string");
            return -1;
        }
        if (regex(c, json_string_value(v), json_string_length(v), &n->pattern) < 0)
            return -1;
    }
    if ((v = json_object_get(s, "format"))) {
        if (!json_is_string(v)) {
            js_cfail(c, "'format' must be a string");
            return -1;
        }
        n->format = (uint8_t)js_format_lookup(json_string_value(v));
    }
    if ((v = json_object_get(s, "required")) &&
        compile_names(c, v, "required", &n->required, &n->nrequired) < 0)
        return -1;
    return 0;
}

static int compile_definitions(struct js_cctx *c, json_t *s, const char *base)
{
    json_t *v = json_object_get(s, "definitions"), *x;
    const char *k;
    size_t saved;

    if (!v)
        return 0;
    if (!json_is_object(v)) {
        js_cfail(c, "'definitions' must be an object");
        return -1;
    }
    saved = js_loc_push(c, "definitions", 11);
    json_object_foreach(v, k, x)
    {
        size_t s2 = js_loc_push(c, k, strlen(k));
        if (!js_compile(c, x, base))
            return -1;
        c->loclen = s2;
    }
    c->loclen = saved;
    return 0;
}

int js_compile_object(struct js_cctx *c, json_t *s, const char *base, struct js_node *n)
{
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
