/* reasons: building, finding and ordering the reasons of a decision (see reasons.h). */
#include "reasons.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *str_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void reasons_add(json_t **reasons, const char *code, const char *path, const char *message)
{
    if (!*reasons)
        *reasons = json_array();
    json_array_append_new(
        *reasons, json_pack("{s:s, s:s, s:s}", "code", code, "path", path, "message", message));
}

int reasons_has(const json_t *reasons, const char *code, const char *path)
{
    for (size_t i = 0; i < json_array_size(reasons); i++) {
        const json_t *r = json_array_get(reasons, i);
        const char *c = str_at(r, "code");
        const char *p = str_at(r, "path");
        if (c && p && strcmp(c, code) == 0 && strcmp(p, path) == 0)
            return 1;
    }
    return 0;
}

static int code_rank(const char *code)
{
    static const char *const order[] = {
        "SCHEMA_INVALID",     "NIK_INVALID",  "NIK_MISMATCH",   "APPLICANT_UNDERAGE",
        "NPWP_REQUIRED",      "NPWP_INVALID", "REGION_UNKNOWN", "KBLI_UNKNOWN",
        "ACTIVITY_DUPLICATE", "NIB_FROZEN",   "NIB_REVOKED",
    };
    for (size_t i = 0; i < ARRAY_SIZE(order); i++)
        if (strcmp(code, order[i]) == 0)
            return (int)i;
    return (int)ARRAY_SIZE(order);
}

/* strcmp, but runs of digits compare by value ("/2/" < "/10/"). */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int reason_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    const char *ca = str_at(a, "code"), *cb = str_at(b, "code");
    int ra = code_rank(ca), rb = code_rank(cb);
    if (ra != rb)
        return ra - rb;
    int c = strcmp(ca, cb);
    if (c)
        return c;
    c = natural_cmp(str_at(a, "path"), str_at(b, "path"));
    if (c)
        return c;
    return strcmp(str_at(a, "message"), str_at(b, "message"));
}

void reasons_sort(json_t *reasons)
{
    size_t n = json_array_size(reasons);
    json_t **v;

    if (n < 2)
        return;
    v = xmalloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(reasons, i));
    qsort(v, n, sizeof(*v), reason_cmp);
    json_array_clear(reasons);
    for (size_t i = 0; i < n; i++) {
        const json_t *prev =
            json_array_size(reasons) ? json_array_get(reasons, json_array_size(reasons) - 1) : NULL;
        /* One SCHEMA_INVALID reason per violation, even two at one pointer
         * (a birth_date can break its pattern and its format): only an exact
         * repeat goes. A rule's code at one path counts once. */
        if (prev && strcmp(str_at(prev, "code"), str_at(v[i], "code")) == 0 &&
            strcmp(str_at(prev, "path"), str_at(v[i], "path")) == 0 &&
            (strcmp(str_at(v[i], "code"), "SCHEMA_INVALID") != 0 ||
             strcmp(str_at(prev, "message"), str_at(v[i], "message")) == 0)) {
            json_decref(v[i]);
            continue;
        }
        json_array_append_new(reasons, v[i]);
    }
    free(v);
}
