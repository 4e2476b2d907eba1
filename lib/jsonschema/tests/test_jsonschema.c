/* test_jsonschema.c: unit tests of lib/jsonschema: the official draft-07 suite (run here only,
 * with the one list of what is not run and why: skipped_files below), paths, messages, formats,
 * numbers, regexes, $ref, depth, threads, and the schemas the repository ships (read as files:
 * OSSD_SRCDIR). Compiled with only lib/jsonschema's include path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonschema.h"

#define SUITE_DEFAULT "/usr/share/json-schema-test-suite/tests/draft7"

/* ---- helpers ---- */

struct err {
    char path[256];
    char keyword[32];
    char message[512];
};

struct errs {
    size_t n;
    struct err e[64];
};

static void collect(void *arg, const char *path, const char *keyword, const char *message)
{
    struct errs *es = arg;
    if (es->n < sizeof(es->e) / sizeof(es->e[0])) {
        snprintf(es->e[es->n].path, sizeof(es->e[0].path), "%s", path);
        snprintf(es->e[es->n].keyword, sizeof(es->e[0].keyword), "%s", keyword);
        snprintf(es->e[es->n].message, sizeof(es->e[0].message), "%s", message);
    }
    es->n++;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad test JSON (%s): %s", jerr.text, text);
    return v;
}

static struct jsonschema *compile_text(const char *text)
{
    char err[512];
    json_t *s = parse(text);
    struct jsonschema *js = jsonschema_new(s, err, sizeof(err));
    json_decref(s);
    if (!js)
        fail_msg("schema did not compile: %s\n%s", err, text);
    return js;
}

/* Validates doc_text and collects violations into es; returns the count. */
static size_t run(struct jsonschema *js, const char *doc_text, struct errs *es)
{
    json_t *doc = parse(doc_text);
    size_t n;
    memset(es, 0, sizeof(*es));
    n = jsonschema_validate(js, doc, 0, collect, es);
    json_decref(doc);
    assert_int_equal(n, es->n);
    return n;
}

static bool has_error(const struct errs *es, const char *path, const char *keyword)
{
    for (size_t i = 0; i < es->n && i < 64; i++)
        if (strcmp(es->e[i].path, path) == 0 && strcmp(es->e[i].keyword, keyword) == 0)
            return true;
    return false;
}

static void dump_errors(const struct errs *es)
{
    for (size_t i = 0; i < es->n && i < 64; i++)
        print_message("    '%s' %s: %s\n", es->e[i].path, es->e[i].keyword, es->e[i].message);
}

static const char *srcdir(void)
{
    const char *d = getenv("OSSD_SRCDIR");
    return d && *d ? d : ".";
}

static struct jsonschema *load_repo_schema(const char *rel)
{
    char path[1024], err[512];
    struct jsonschema *js;
    snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
    js = jsonschema_load_file(path, err, sizeof(err));
    if (!js)
        fail_msg("cannot load %s: %s", path, err);
    return js;
}

/* Sets (value != NULL) or deletes the member at a JSON Pointer of simple tokens. */
static void set_at(json_t *doc, const char *pointer, json_t *value)
{
    char buf[256], *tok, *save = NULL, *next;
    json_t *cur = doc;

    snprintf(buf, sizeof(buf), "%s", pointer + 1);
    tok = strtok_r(buf, "/", &save);
    while (tok) {
        next = strtok_r(NULL, "/", &save);
        if (!next) {
            if (json_is_array(cur)) {
                if (value)
                    json_array_set_new(cur, (size_t)atoi(tok), value);
                else
                    json_array_remove(cur, (size_t)atoi(tok));
            } else if (value) {
                json_object_set_new(cur, tok, value);
            } else {
                json_object_del(cur, tok);
            }
            return;
        }
        cur =
            json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
        assert_non_null(cur);
        tok = next;
    }
}

static char *repeat(const char *unit, size_t times)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * times] = '\0';
    return s;
}

/* ---- the official draft-07 suite ---- */

struct tally {
    int passed, failed, skipped;
    char skipped_list[4096];
};

static void note_skip(struct tally *t, const char *what, int cases)
{
    size_t len = strlen(t->skipped_list);
    t->skipped += cases;
    snprintf(t->skipped_list + len, sizeof(t->skipped_list) - len, "    skipped %d case(s): %s\n",
             cases, what);
}

/* Does the schema $ref the draft-07 metaschema, which only the network has? */
static bool remote_ref(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            if (strcmp(k, "$ref") == 0 && json_is_string(x) &&
                strncmp(json_string_value(x), "http://json-schema.org/", 23) == 0)
                return true;
            if (remote_ref(x))
                return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (remote_ref(x)) return true;
    }
    return false;
}

static void run_group(const char *rel, json_t *group, struct tally *t)
{
    json_t *schema = json_object_get(group, "schema"), *tests = json_object_get(group, "tests");
    json_t *tc;
    const char *gdesc = json_string_value(json_object_get(group, "description"));
    struct jsonschema *js;
    char err[512], what[512];
    size_t i;

    if (remote_ref(schema)) {
        snprintf(what, sizeof(what), "%.200s / \"%.200s\" ($ref to the metaschema on the network)",
                 rel, gdesc);
        note_skip(t, what, (int)json_array_size(tests));
        return;
    }
    js = jsonschema_new(schema, err, sizeof(err));
    json_array_foreach(tests, i, tc)
    {
        bool expect = json_is_true(json_object_get(tc, "valid")), got;
        json_t *data = json_object_get(tc, "data");
        struct errs es;
        size_t n = 0;
        if (js) {
            memset(&es, 0, sizeof(es));
            n = jsonschema_validate(js, data, 0, collect, &es);
            /* the callback count matches, and max_errors = 1 agrees */
            if (es.n != n || jsonschema_validate(js, data, 1, NULL, NULL) != (n > 0 ? 1u : 0u))
                n = (size_t)-1;
        }
        got = js && n == 0;
        if (js && n != (size_t)-1 && got == expect) {
            t->passed++;
        } else {
            t->failed++;
            print_message("FAIL %s / %s / %s: expected %s, got %s%s%s\n", rel, gdesc,
                          json_string_value(json_object_get(tc, "description")),
                          expect ? "valid" : "invalid",
                          !js ? "compile error: "
                              : (n == (size_t)-1 ? "inconsistent count"
                                 : got           ? "valid"
                                                 : "invalid"),
                          !js ? err : "", "");
        }
    }
    jsonschema_free(js);
}

/* Whole files not run, and why. */
static const struct {
    const char *file, *why;
} skipped_files[] = {
    {"refRemote.json", "remote references are not fetched"},
    {"optional/content.json", "contentMediaType/contentEncoding are annotations"},
    {"optional/format/idn-hostname.json", "idn-hostname is an annotation: no IDNA2008 tables"},
};

static void run_file(const char *dir, const char *rel, struct tally *t)
{
    char path[1024], what[512];
    json_error_t jerr;
    json_t *groups, *g;
    size_t i;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    groups = json_load_file(path, 0, &jerr);
    if (!groups && strstr(jerr.text, "too big")) {
        /* bignum.json: integers beyond 64 bits are read as reals (JSON Schema numbers) */
        groups = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
    }
    if (!groups) {
        print_message("FAIL %s: cannot parse: %s\n", rel, jerr.text);
        t->failed++;
        return;
    }
    for (size_t k = 0; k < sizeof(skipped_files) / sizeof(skipped_files[0]); k++) {
        int cases = 0;
        if (strcmp(rel, skipped_files[k].file) != 0)
            continue;
        json_array_foreach(groups, i, g) cases += (int)json_array_size(json_object_get(g, "tests"));
        snprintf(what, sizeof(what), "%.200s (%s)", rel, skipped_files[k].why);
        note_skip(t, what, cases);
        json_decref(groups);
        return;
    }
    json_array_foreach(groups, i, g) run_group(rel, g, t);
    json_decref(groups);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir, const char *sub, struct tally *t)
{
    char path[1024], *names[256];
    size_t count = 0;
    struct dirent *de;
    DIR *d;

    snprintf(path, sizeof(path), "%s%s%s", dir, *sub ? "/" : "", sub);
    d = opendir(path);
    if (!d)
        return;
    while ((de = readdir(d)) && count < 256)
        if (de->d_name[0] != '.')
            names[count++] = strdup(de->d_name);
    closedir(d);
    qsort(names, count, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < count; i++) {
        char rel[512], full[1024];
        struct stat st;
        snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", names[i]);
        snprintf(full, sizeof(full), "%s/%s", dir, rel);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            run_dir(dir, rel, t);
        else if (strlen(rel) > 5 && strcmp(rel + strlen(rel) - 5, ".json") == 0)
            run_file(dir, rel, t);
        free(names[i]);
    }
}

static void test_official_suite(void **state)
{
    const char *dir = getenv("OSSD_JSONSCHEMA_SUITE");
    struct tally t;
    struct stat st;

    (void)state;
    if (!dir || !*dir)
        dir = SUITE_DEFAULT;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        print_message("draft-07 suite not found at %s (apt-get install json-schema-test-suite)\n",
                      dir);
        skip();
    }
    memset(&t, 0, sizeof(t));
    run_dir(dir, "", &t);
    print_message("draft-07 suite (%s): passed=%d failed=%d skipped=%d\n%s", dir, t.passed,
                  t.failed, t.skipped, t.skipped_list);
    assert_true(t.passed > 0);
    assert_int_equal(t.failed, 0);
}

/* ---- paths, keywords and counts ---- */

struct path_case {
    const char *schema, *doc;
    size_t count;
    const char *expect[4]; /* "path|keyword" */
};

static void test_paths(void **state)
{
    static const struct path_case cases[] = {
        {"{\"type\":\"object\"}", "5", 1, {"|type"}},
        {"{\"properties\":{\"a/b\":{\"type\":\"string\"}}}", "{\"a/b\":1}", 1, {"/a~1b|type"}},
        {"{\"properties\":{\"m~n\":{\"type\":\"string\"}}}", "{\"m~n\":1}", 1, {"/m~0n|type"}},
        {"{\"properties\":{\"~/~\":{\"type\":\"string\"}}}", "{\"~/~\":1}", 1, {"/~0~1~0|type"}},
        {"{\"properties\":{\"applicant\":{\"required\":[\"nik\",\"name\"]}}}",
         "{\"applicant\":{\"name\":\"x\"}}",
         1,
         {"/applicant/nik|required"}},
        {"{\"items\":{\"type\":\"integer\"}}", "[1,\"x\",2,\"y\"]", 2, {"/1|type", "/3|type"}},
        {"{\"items\":{\"items\":{\"minimum\":0}}}", "[[0],[1,-1]]", 1, {"/1/1|minimum"}},
        {"{\"additionalProperties\":false,\"properties\":{\"a\":{}}}",
         "{\"a\":1,\"x~/\":2}",
         1,
         {"/x~0~1|additionalProperties"}},
        {"{\"dependencies\":{\"a\":[\"b\",\"c\"]}}", "{\"a\":1,\"c\":2}", 1, {"/b|dependencies"}},
        {"{\"items\":[{}],\"additionalItems\":false}",
         "[1,2,3]",
         2,
         {"/1|additionalItems", "/2|additionalItems"}},
        {"{\"anyOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}", "{}", 1, {"|anyOf"}},
        {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0}]}", "1", 1, {"|oneOf"}},
        {"{\"not\":{\"type\":\"string\"}}", "\"x\"", 1, {"|not"}},
        {"{\"propertyNames\":{\"maxLength\":3}}",
         "{\"abcd\":1,\"ab\":2}",
         1,
         {"/abcd|propertyNames"}},
        {"{\"definitions\":{\"d\":{\"type\":\"string\"}},"
         "\"properties\":{\"x\":{\"$ref\":\"#/definitions/d\"}}}",
         "{\"x\":1}",
         1,
         {"/x|type"}},
        {"{\"properties\":{\"x\":false}}", "{\"x\":1}", 1, {"/x|false"}},
        {"{\"if\":{\"required\":[\"a\"]},\"then\":{\"required\":[\"b\"]},"
         "\"else\":{\"required\":[\"c\"]}}",
         "{\"a\":1}",
         1,
         {"/b|required"}},
        {"{\"if\":{\"required\":[\"a\"]},\"then\":{\"required\":[\"b\"]},"
         "\"else\":{\"required\":[\"c\"]}}",
         "{}",
         1,
         {"/c|required"}},
        {"{\"type\":\"object\",\"required\":[\"a\",\"b\",\"c\"]}",
         "{}",
         3,
         {"/a|required", "/b|required", "/c|required"}},
        {"{\"contains\":{\"const\":1}}", "[2,3]", 1, {"|contains"}},
        {"{\"uniqueItems\":true}", "[1,{\"a\":[1]},{\"a\":[1.0]}]", 1, {"|uniqueItems"}},
        {"{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}}}",
         "{\"x-a\":\"s\",\"y\":\"s\"}",
         1,
         {"/x-a|type"}},
        {"{\"allOf\":[{\"minLength\":2},{\"pattern\":\"^[0-9]+$\"}]}",
         "\"a\"",
         2,
         {"|minLength", "|pattern"}},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jsonschema *js = compile_text(cases[i].schema);
        struct errs es;
        size_t n = run(js, cases[i].doc, &es);
        if (n != cases[i].count) {
            dump_errors(&es);
            fail_msg("case %zu: %zu violations, expected %zu", i, n, cases[i].count);
        }
        for (size_t k = 0; k < 4 && cases[i].expect[k]; k++) {
            char path[128];
            const char *bar = strchr(cases[i].expect[k], '|');
            snprintf(path, sizeof(path), "%.*s", (int)(bar - cases[i].expect[k]),
                     cases[i].expect[k]);
            if (!has_error(&es, path, bar + 1)) {
                dump_errors(&es);
                fail_msg("case %zu: no violation '%s' %s", i, path, bar + 1);
            }
        }
        jsonschema_free(js);
    }
}

static void test_max_errors(void **state)
{
    struct jsonschema *js = compile_text("{\"required\":[\"a\",\"b\",\"c\",\"d\"]}");
    json_t *doc = parse("{}");
    struct errs es;
    (void)state;

    assert_int_equal(jsonschema_validate(js, doc, 0, NULL, NULL), 4);
    memset(&es, 0, sizeof(es));
    assert_int_equal(jsonschema_validate(js, doc, 1, collect, &es), 1);
    assert_int_equal(es.n, 1);
    memset(&es, 0, sizeof(es));
    assert_int_equal(jsonschema_validate(js, doc, 3, collect, &es), 3);
    assert_int_equal(es.n, 3);
    assert_int_equal(jsonschema_validate(js, doc, 10, NULL, NULL), 4);
    json_decref(doc);
    jsonschema_free(js);
    jsonschema_free(NULL);
}

/* ---- ossd's submission schema ---- */

static const char *VALID_SUBMISSION =
    "{\"schema\":\"oss.submission.v1\",\"submission_id\":\"SUB-2026.11:0001_a\","
    "\"submitted_at\":\"2026-11-28T15:00:00+07:00\",\"channel\":\"outreach\","
    "\"applicant\":{\"type\":\"02\",\"nik\":\"3374015708900001\",\"name\":\"Siti Rahayu\","
    "\"birth_date\":\"1990-08-17\",\"gender\":\"F\",\"npwp\":\"0123456789012345\","
    "\"phone\":\"+62 812-3456-7890\",\"email\":\"siti.rahayu@example.co.id\","
    "\"address\":{\"street\":\"Jl. Pemuda No. 1\",\"region_code\":\"33.74.01\"}},"
    "\"business\":{\"name\":\"Warung Makan Bu Siti\",\"capital_idr\":25000000,"
    "\"workers\":2,\"location\":{\"region_code\":\"33.74.01.1001\",\"street\":\"Jl. Pemuda 1\"},"
    "\"activities\":[{\"kbli\":\"56102\",\"description\":\"Warung makan\"},{\"kbli\":\"47112\"}]}}";

struct sub_case {
    const char *pointer; /* member to set or delete */
    const char *value;   /* JSON text, NULL = delete */
    size_t count;        /* expected violations, 0 = valid */
    const char *path, *keyword;
};

static void test_submission_schema(void **state)
{
    static const struct sub_case cases[] = {
        /* valid variations */
        {"/applicant/npwp", "\"012345678901234\"", 0, NULL, NULL},
        {"/applicant/npwp", NULL, 0, NULL, NULL},
        {"/applicant/phone", NULL, 0, NULL, NULL},
        {"/applicant/email", NULL, 0, NULL, NULL},
        {"/business/capital_idr", "1e9", 0, NULL, NULL},
        {"/business/capital_idr", "0", 0, NULL, NULL},
        {"/business/annual_sales_idr", "1500000000", 0, NULL, NULL},
        {"/business/extra", "{\"anything\":[1,2]}", 0, NULL, NULL},
        {"/unknown_top_level", "true", 0, NULL, NULL},
        {"/applicant/birth_date", "\"2000-02-29\"", 0, NULL, NULL},
        {"/submitted_at", "\"2026-11-28T08:00:00Z\"", 0, NULL, NULL},
        {"/business/workers", "100000", 0, NULL, NULL},
        {"/applicant/address/region_code", "\"33.74.16.1005\"", 0, NULL, NULL},
        /* one violation each */
        {"/schema", "\"oss.submission.v2\"", 1, "/schema", "const"},
        {"/submission_id", "\"has space\"", 1, "/submission_id", "pattern"},
        {"/submission_id", "\"\"", 1, "/submission_id", "pattern"},
        {"/submission_id", NULL, 1, "/submission_id", "required"},
        {"/submitted_at", "\"2026-11-28T15:00:00\"", 1, "/submitted_at", "format"},
        {"/submitted_at", "\"2026-02-29T15:00:00+07:00\"", 1, "/submitted_at", "format"},
        {"/channel", "\"email\"", 1, "/channel", "enum"},
        {"/applicant/type", "\"03\"", 1, "/applicant/type", "enum"},
        {"/applicant/type", "2", 2, "/applicant/type", "type"},
        {"/applicant/nik", "\"337401570890000\"", 1, "/applicant/nik", "pattern"},
        {"/applicant/nik", "3374015708900001", 1, "/applicant/nik", "type"},
        {"/applicant/nik", NULL, 1, "/applicant/nik", "required"},
        {"/applicant/name", "\"\"", 1, "/applicant/name", "minLength"},
        {"/applicant/birth_date", "\"1990-02-30\"", 1, "/applicant/birth_date", "format"},
        {"/applicant/birth_date", "\"1900-02-29\"", 1, "/applicant/birth_date", "format"},
        {"/applicant/birth_date", "\"1990-8-17\"", 2, "/applicant/birth_date", "pattern"},
        {"/applicant/gender", "\"X\"", 1, "/applicant/gender", "enum"},
        {"/applicant/npwp", "\"12345678901234\"", 1, "/applicant/npwp", "pattern"},
        {"/applicant/npwp", "\"12345678901234567\"", 1, "/applicant/npwp", "pattern"},
        {"/applicant/email", "\"siti@@example.com\"", 1, "/applicant/email", "format"},
        {"/applicant/email", "\"siti\"", 1, "/applicant/email", "format"},
        {"/applicant/phone", "\"\"", 1, "/applicant/phone", "minLength"},
        {"/applicant/address/street", "\"\"", 1, "/applicant/address/street", "minLength"},
        {"/applicant/address/region_code", "\"33.74.1\"", 1, "/applicant/address/region_code",
         "pattern"},
        {"/applicant/address/region_code", NULL, 1, "/applicant/address/region_code", "required"},
        {"/business/capital_idr", NULL, 1, "/business", "anyOf"},
        {"/business/capital_idr", "-1", 1, "/business/capital_idr", "minimum"},
        {"/business/capital_idr", "1.5", 1, "/business/capital_idr", "type"},
        {"/business/capital_idr", "\"1000\"", 1, "/business/capital_idr", "type"},
        {"/business/workers", "100001", 1, "/business/workers", "maximum"},
        {"/business/workers", NULL, 1, "/business/workers", "required"},
        {"/business/location/street", NULL, 1, "/business/location/street", "required"},
        {"/business/activities", "[]", 1, "/business/activities", "minItems"},
        {"/business/activities/1/kbli", "\"5610\"", 1, "/business/activities/1/kbli", "pattern"},
        {"/business/activities/0/kbli", NULL, 1, "/business/activities/0/kbli", "required"},
        {"/business", "[]", 1, "/business", "type"},
    };
    struct jsonschema *js = load_repo_schema("schemas/submission.v1.json");
    json_t *base = parse(VALID_SUBMISSION);
    struct errs es;
    (void)state;

    memset(&es, 0, sizeof(es));
    if (jsonschema_validate(js, base, 0, collect, &es) != 0) {
        dump_errors(&es);
        fail_msg("the valid sample is rejected");
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_deep_copy(base);
        size_t n;
        set_at(doc, cases[i].pointer, cases[i].value ? parse(cases[i].value) : NULL);
        memset(&es, 0, sizeof(es));
        n = jsonschema_validate(js, doc, 0, collect, &es);
        if (n != cases[i].count ||
            (cases[i].path && !has_error(&es, cases[i].path, cases[i].keyword))) {
            dump_errors(&es);
            fail_msg("case %zu (%s = %s): %zu violations, expected %zu ('%s' %s)", i,
                     cases[i].pointer, cases[i].value ? cases[i].value : "(deleted)", n,
                     cases[i].count, cases[i].path ? cases[i].path : "",
                     cases[i].keyword ? cases[i].keyword : "");
        }
        json_decref(doc);
    }

    /* lengths count code points: 200 two-byte characters are fine, 201 are not */
    {
        char *name = repeat("\xc3\xa9", 200), *longer = repeat("\xc3\xa9", 201);
        json_t *doc = json_deep_copy(base);
        set_at(doc, "/business/name", json_string(name));
        assert_int_equal(jsonschema_validate(js, doc, 0, NULL, NULL), 0);
        set_at(doc, "/business/name", json_string(longer));
        memset(&es, 0, sizeof(es));
        assert_int_equal(jsonschema_validate(js, doc, 0, collect, &es), 1);
        assert_true(has_error(&es, "/business/name", "maxLength"));
        json_decref(doc);
        free(name);
        free(longer);
    }
    /* 20 activities are fine, 21 are not; a 501-character description is not */
    {
        json_t *doc = json_deep_copy(base), *acts = json_array();
        char *desc = repeat("a", 501);
        for (int i = 0; i < 21; i++)
            json_array_append_new(acts, json_pack("{s:s}", "kbli", "56102"));
        set_at(doc, "/business/activities", acts);
        assert_int_equal(jsonschema_validate(js, doc, 0, NULL, NULL), 1);
        json_array_remove(acts, 20);
        assert_int_equal(jsonschema_validate(js, doc, 0, NULL, NULL), 0);
        set_at(doc, "/business/activities/3/description", json_string(desc));
        memset(&es, 0, sizeof(es));
        assert_int_equal(jsonschema_validate(js, doc, 0, collect, &es), 1);
        assert_true(has_error(&es, "/business/activities/3/description", "maxLength"));
        json_decref(doc);
        free(desc);
    }
    json_decref(base);
    jsonschema_free(js);
}

/* Messages name the rule, never the value: a mistyped NIK is still someone's NIK. */
static void test_messages_never_echo_values(void **state)
{
    static const struct {
        const char *pointer, *value;
    } bad[] = {
        {"/applicant/nik", "\"337401570890000\""},
        {"/applicant/npwp", "\"98765432109876\""},
        {"/applicant/email", "\"budi.santoso@@mail.example\""},
        {"/applicant/phone", "\"0812345678901234567890123456789012345\""},
        {"/applicant/name", "\"\""},
        {"/applicant/birth_date", "\"1987-13-45\""},
        {"/applicant/gender", "\"Perempuan\""},
        {"/submission_id", "\"bad id with spaces\""},
        {"/submitted_at", "\"kemarin sore\""},
        {"/channel", "\"whatsapp\""},
        {"/business/capital_idr", "-123456789"},
        {"/business/workers", "987654321"},
        {"/business/activities/0/kbli", "\"561029\""},
        {"/applicant/address/region_code", "\"33-74-01\""},
    };
    static const char *const secrets[] = {
        "337401570890000", "98765432109876", "budi.santoso", "0812345678901234567890",
        "1987-13-45",      "Perempuan",      "bad id",       "kemarin",
        "whatsapp",        "123456789",      "987654321",    "561029",
        "33-74-01",
    };
    struct jsonschema *js = load_repo_schema("schemas/submission.v1.json");
    json_t *doc = parse(VALID_SUBMISSION);
    struct errs es;
    size_t n;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        set_at(doc, bad[i].pointer, parse(bad[i].value));
    json_object_del(json_object_get(doc, "business"), "annual_sales_idr");
    memset(&es, 0, sizeof(es));
    n = jsonschema_validate(js, doc, 0, collect, &es);
    assert_int_equal(n, es.n);
    assert_true(n >= sizeof(bad) / sizeof(bad[0]));
    for (size_t i = 0; i < es.n && i < 64; i++) {
        assert_true(es.e[i].message[0] != '\0');
        for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++)
            if (strstr(es.e[i].message, secrets[k]))
                fail_msg("message of '%s' %s echoes the value: %s", es.e[i].path, es.e[i].keyword,
                         es.e[i].message);
    }
    /* the message names the rule */
    memset(&es, 0, sizeof(es));
    json_decref(doc);
    doc = parse(VALID_SUBMISSION);
    set_at(doc, "/applicant/nik", NULL);
    set_at(doc, "/business/capital_idr", NULL);
    jsonschema_validate(js, doc, 0, collect, &es);
    assert_int_equal(es.n, 2);
    assert_true(has_error(&es, "/applicant/nik", "required"));
    assert_string_equal(es.e[0].message, "required property 'nik' is missing");
    assert_non_null(strstr(es.e[1].message, "capital_idr"));
    assert_non_null(strstr(es.e[1].message, "annual_sales_idr"));
    json_decref(doc);
    jsonschema_free(js);
}

/* ---- event schemas ---- */

static const char *VALID_ISSUED =
    "{\"specversion\":\"1.0\",\"id\":\"9c1f0e7a-issued\",\"source\":\"urn:ossd\","
    "\"type\":\"id.go.oss.submission.issued.v1\",\"subject\":\"8120000000017\","
    "\"time\":\"2026-11-28T08:00:01.123Z\",\"datacontenttype\":\"application/json\","
    "\"dataschema\":\"urn:ossd:schemas/events/issued.v1.json\",\"partitionkey\":\"8120000000017\","
    "\"data\":{\"submission_id\":\"SUB-1\",\"nib\":\"8120000000017\",\"nib_new\":true,"
    "\"applicant\":{\"type\":\"02\",\"name\":\"Siti\",\"nik_masked\":\"3374************\","
    "\"phone\":\"+62 812\",\"email\":\"siti@example.com\"},\"scale\":\"01\",\"umk\":true,"
    "\"authority\":\"33.74\",\"channel\":\"outreach\",\"activities\":[{\"kbli\":\"56102\","
    "\"title\":\"Rumah/Warung Makan\",\"risk\":\"R\",\"permit\":\"NIB\",\"status\":\"issued\"}],"
    "\"decided_at\":\"2026-11-28T08:00:01.123Z\"}}";

static const char *VALID_REJECTED =
    "{\"specversion\":\"1.0\",\"id\":\"9c1f0e7a-rejected\",\"source\":\"urn:ossd\","
    "\"type\":\"id.go.oss.submission.rejected.v1\",\"subject\":\"SUB-2\","
    "\"time\":\"2026-11-28T08:00:01Z\",\"datacontenttype\":\"application/json\","
    "\"dataschema\":\"urn:ossd:schemas/events/rejected.v1.json\",\"partitionkey\":\"SUB-2\","
    "\"data\":{\"submission_id\":\"SUB-2\",\"applicant\":{\"name\":\"Budi\","
    "\"email\":\"not-an-email\"},\"reasons\":[{\"code\":\"NIK_MISMATCH\","
    "\"path\":\"/applicant/birth_date\",\"message\":\"birth_date differs from the NIK\"},"
    "{\"code\":\"SCHEMA_INVALID\",\"path\":\"\",\"message\":\"x\"}],"
    "\"decided_at\":\"2026-11-28T08:00:01Z\"}}";

static void test_event_schemas(void **state)
{
    static const struct {
        bool issued;
        const char *pointer, *value;
        const char *path, *keyword;
    } cases[] = {
        {true, "/data/applicant/nik_masked", "\"33740***********\"", "/data/applicant/nik_masked",
         "pattern"},
        {true, "/data/applicant/nik_masked", "\"3374015708900001\"", "/data/applicant/nik_masked",
         "pattern"},
        {true, "/data/applicant/nik", "\"3374015708900001\"", "/data/applicant/nik", "not"},
        {true, "/type", "\"id.go.oss.submission.rejected.v1\"", "/type", "const"},
        {true, "/dataschema", NULL, "/dataschema", "required"},
        {true, "/data/activities", "[]", "/data/activities", "minItems"},
        {true, "/data/scale", "\"05\"", "/data/scale", "enum"},
        {true, "/data/activities/0/status", "\"done\"", "/data/activities/0/status", "enum"},
        {true, "/data/nib", "\"812000000001\"", "/data/nib", "pattern"},
        {true, "/partitionkey", "\"SUB-1\"", "/partitionkey", "pattern"},
        {true, "/specversion", "\"0.3\"", "/specversion", "const"},
        {true, "/time", "\"yesterday\"", "/time", "format"},
        {false, "/data/reasons", "[]", "/data/reasons", "minItems"},
        {false, "/data/reasons/0/path", "\"applicant\"", "/data/reasons/0/path", "format"},
        {false, "/data/reasons/0/code", NULL, "/data/reasons/0/code", "required"},
        {false, "/data/applicant/nik", "\"3374015708900001\"", "/data/applicant/nik", "not"},
        {false, "/datacontenttype", "\"text/plain\"", "/datacontenttype", "const"},
    };
    struct jsonschema *issued = load_repo_schema("schemas/events/issued.v1.json");
    struct jsonschema *rejected = load_repo_schema("schemas/events/rejected.v1.json");
    json_t *vi = parse(VALID_ISSUED), *vr = parse(VALID_REJECTED);
    struct errs es;
    (void)state;

    memset(&es, 0, sizeof(es));
    if (jsonschema_validate(issued, vi, 0, collect, &es) != 0) {
        dump_errors(&es);
        fail_msg("valid issued event rejected");
    }
    if (jsonschema_validate(rejected, vr, 0, collect, &es) != 0) {
        dump_errors(&es);
        fail_msg("valid rejected event rejected");
    }
    /* one schema does not accept the other event */
    assert_true(jsonschema_validate(issued, vr, 0, NULL, NULL) > 0);
    assert_true(jsonschema_validate(rejected, vi, 0, NULL, NULL) > 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_deep_copy(cases[i].issued ? vi : vr);
        set_at(doc, cases[i].pointer, cases[i].value ? parse(cases[i].value) : NULL);
        memset(&es, 0, sizeof(es));
        jsonschema_validate(cases[i].issued ? issued : rejected, doc, 0, collect, &es);
        if (es.n != 1 || !has_error(&es, cases[i].path, cases[i].keyword)) {
            dump_errors(&es);
            fail_msg("event case %zu: expected exactly '%s' %s", i, cases[i].path,
                     cases[i].keyword);
        }
        json_decref(doc);
    }
    json_decref(vi);
    json_decref(vr);
    jsonschema_free(issued);
    jsonschema_free(rejected);
}

/* ---- formats, numbers, regexes ---- */

static void test_formats(void **state)
{
    static const struct {
        const char *format, *value;
        bool valid;
    } cases[] = {
        {"date", "2024-02-29", true},
        {"date", "2000-02-29", true},
        {"date", "2023-02-29", false},
        {"date", "1900-02-29", false},
        {"date", "2024-04-31", false},
        {"date", "2024-12-31", true},
        {"date", "2024-00-10", false},
        {"date", "2024-01-00", false},
        {"date", "2024-1-01", false},
        {"date", "2024-01-01T00:00:00Z", false},
        {"date", "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa4-01-01", false},
        {"date-time", "2026-11-28T15:00:00+07:00", true},
        {"date-time", "2026-11-28T15:00:00.123456Z", true},
        {"date-time", "2026-11-28t15:00:00z", true},
        {"date-time", "2026-11-28T15:00:00", false},
        {"date-time", "2026-11-28 15:00:00Z", false},
        {"date-time", "2026-11-28T24:00:00Z", false},
        {"date-time", "2026-11-28T15:60:00Z", false},
        {"date-time", "2026-11-28T15:00:00.Z", false},
        {"date-time", "2026-11-28T15:00:00+0700", false},
        {"date-time", "2026-11-28T15:00:00+24:00", false},
        {"date-time", "1998-12-31T23:59:60Z", true},
        {"date-time", "1998-12-31T15:59:60-08:00", true},
        {"date-time", "1998-12-31T22:59:60Z", false},
        {"date-time", "2023-02-29T10:00:00Z", false},
        {"date-time", "1963-06-19T08:30:06.28123+01:00Z", false},
        {"date-time", "1963-06-1\xe0\xa7\xaaT00:00:00Z", false},
        {"date-time", "1985-04-12T23:20:50Z\n", false},
        {"date-time", "1985-04-12T23:20Z", false},
        {"date-time", "+11963-06-19T08:30:06Z", false},
        {"date-time", "0400-02-29T00:00:00Z", true},
        {"date-time", "2100-02-29T00:00:00Z", false},
        {"time", "08:30:06.283185Z", true},
        {"time", "08:30:06", false},
        {"email", "siti.rahayu@example.co.id", true},
        {"email", "a+tag@example.com", true},
        {"email", "\"quoted local\"@example.com", true},
        {"email", "user@localhost", true},
        {"email", "user@[127.0.0.1]", true},
        {"email", "user@[IPv6:::1]", true},
        {"email", "2962", false},
        {"email", "@example.com", false},
        {"email", "user@", false},
        {"email", ".user@example.com", false},
        {"email", "user.@example.com", false},
        {"email", "us..er@example.com", false},
        {"email", "user@exa_mple.com", false},
        {"email", "user@-example.com", false},
        {"email", "us er@example.com", false},
        {"email", "user@@example.com", false},
        {"email", "s\xc3\xaeti@example.com", false},
        {"ipv4", "192.168.0.1", true},
        {"ipv4", "192.168.00.1", false},
        {"hostname", "example.com", true},
        {"hostname", "-example.com", false},
        {"uri", "urn:ossd", true},
        {"uri-reference", "urn:ossd", true},
        {"json-pointer", "/applicant/nik", true},
        {"json-pointer", "applicant", false},
        {"not-a-known-format", "anything", true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char schema[128];
        json_t *doc = json_string(cases[i].value);
        struct jsonschema *js;
        snprintf(schema, sizeof(schema), "{\"format\":\"%s\"}", cases[i].format);
        js = compile_text(schema);
        assert_non_null(doc);
        if ((jsonschema_validate(js, doc, 0, NULL, NULL) == 0) != cases[i].valid)
            fail_msg("format %s: '%s' should be %s", cases[i].format, cases[i].value,
                     cases[i].valid ? "valid" : "invalid");
        json_decref(doc);
        jsonschema_free(js);
    }
}

struct doc_case {
    const char *schema, *doc;
    bool valid;
};

static void run_doc_cases(const struct doc_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct jsonschema *js = compile_text(cases[i].schema);
        struct errs es;
        size_t n = run(js, cases[i].doc, &es);
        if ((n == 0) != cases[i].valid) {
            dump_errors(&es);
            fail_msg("case %zu: %s against %s should be %s", i, cases[i].doc, cases[i].schema,
                     cases[i].valid ? "valid" : "invalid");
        }
        jsonschema_free(js);
    }
}

static void test_numbers(void **state)
{
    static const struct doc_case cases[] = {
        {"{\"type\":\"integer\"}", "1.0", true},
        {"{\"type\":\"integer\"}", "1e3", true},
        {"{\"type\":\"integer\"}", "1.5", false},
        {"{\"maximum\":9007199254740993}", "9007199254740993", true},
        {"{\"maximum\":9007199254740993}", "9007199254740994", false},
        {"{\"maximum\":9007199254740992.0}", "9007199254740993", false},
        {"{\"minimum\":9223372036854775807}", "9223372036854775807", true},
        {"{\"maximum\":9.3e18}", "9223372036854775807", true},
        {"{\"minimum\":-9.3e18}", "-9223372036854775807", true},
        {"{\"minimum\":0.5}", "0", false},
        {"{\"minimum\":0.5}", "1", true},
        {"{\"exclusiveMaximum\":1}", "0.9999999", true},
        {"{\"exclusiveMaximum\":1}", "1.0", false},
        {"{\"exclusiveMinimum\":-1}", "-1", false},
        {"{\"enum\":[1]}", "1.0", true},
        {"{\"const\":{\"a\":[2]}}", "{\"a\":[2.0]}", true},
        {"{\"const\":1}", "true", false},
        {"{\"enum\":[0]}", "false", false},
        {"{\"uniqueItems\":true}", "[1,1.0]", false},
        {"{\"uniqueItems\":true}", "[1,true]", true},
        {"{\"uniqueItems\":true}",
         "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,{\"a\":1,\"b\":[2]},\"x\",null]", true},
        {"{\"uniqueItems\":true}",
         "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,{\"a\":1,\"b\":[2]},\"x\","
         "{\"b\":[2.0],\"a\":1.0}]",
         false},
        {"{\"uniqueItems\":true}", "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,5.0]",
         false},
        {"{\"multipleOf\":0.01}", "0.07", true},
        {"{\"multipleOf\":0.01}", "0.075", false},
        {"{\"multipleOf\":3}", "9223372036854775806", true},
        {"{\"multipleOf\":3}", "9223372036854775807", false},
        {"{\"multipleOf\":0.123456789}", "1e308", false},
    };
    (void)state;
    run_doc_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_regex_ecma(void **state)
{
    static const struct doc_case cases[] = {
        {"{\"pattern\":\"^\\\\s$\"}", "\"\\u00a0\"", true},
        {"{\"pattern\":\"^\\\\s$\"}", "\"\\ufeff\"", true},
        {"{\"pattern\":\"^\\\\S$\"}", "\"\\u2028\"", false},
        {"{\"pattern\":\"^.$\"}", "\"\\u2028\"", false},
        {"{\"pattern\":\"^.$\"}", "\"\\r\"", false},
        {"{\"pattern\":\"^.$\"}", "\"\\u00e9\"", true},
        {"{\"pattern\":\"^a$\"}", "\"a\\n\"", false},
        {"{\"pattern\":\"^[^]$\"}", "\"\\n\"", true},
        {"{\"pattern\":\"^a[]\"}", "\"a\"", false},
        {"{\"pattern\":\"^\\\\u00e9$\"}", "\"\\u00e9\"", true},
        {"{\"pattern\":\"^\\\\uD83D\\\\uDE00$\"}", "\"\\ud83d\\ude00\"", true},
        {"{\"pattern\":\"^\\\\d$\"}", "\"\\u0663\"", false},
        {"{\"pattern\":\"^\\\\w$\"}", "\"\\u00e9\"", false},
        {"{\"pattern\":\"^\\\\p{L}+$\"}", "\"\\u00dcn\\u00efc\\u00f6d\\u00e9\"", true},
        {"{\"pattern\":\"^\\\\p{Script=Greek}$\"}", "\"\\u03b1\"", true},
        {"{\"pattern\":\"^[\\\\s]$\"}", "\"\\u3000\"", true},
        {"{\"pattern\":\"^\\\\cJ$\"}", "\"\\n\"", true},
        {"{\"pattern\":\"^\\\\v$\"}", "\"\\u000b\"", true},
        {"{\"pattern\":\"^\\\\v$\"}", "\"\\n\"", false},
        {"{\"pattern\":\"^(a)\\\\1$\"}", "\"aa\"", true},
        {"{\"pattern\":\"^(?<x>a)\\\\k<x>$\"}", "\"aa\"", true},
        {"{\"pattern\":\"^\\\\/[[]$\"}", "\"/[\"", true},
        {"{\"pattern\":\"[[:alpha:]]\"}", "\"a\"", false},
        {"{\"pattern\":\"[[:alpha:]]\"}", "\":]\"", true},
        {"{\"pattern\":\"es\"}", "\"kesehatan\"", true},
        {"{\"patternProperties\":{\"^\\\\p{Lu}\":{\"type\":\"integer\"}}}", "{\"\\u00c9x\":\"s\"}",
         false},
    };
    static const char *const invalid[] = {
        "{\"pattern\":\"\\\\Z\"}",     "{\"pattern\":\"\\\\A\"}",
        "{\"pattern\":\"(?i)a\"}",     "{\"pattern\":\"(*UTF)a\"}",
        "{\"pattern\":\"[a\"}",        "{\"pattern\":\"a\\\\\"}",
        "{\"pattern\":\"\\\\x4\"}",    "{\"pattern\":\"(\"}",
        "{\"pattern\":\"\\\\01\"}",    "{\"patternProperties\":{\"\\\\Q\":{}}}",
        "{\"pattern\":\"\\\\uD800\"}", "{\"pattern\":\"a**\"}",
    };
    (void)state;
    run_doc_cases(cases, sizeof(cases) / sizeof(cases[0]));
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        char err[256];
        json_t *s = parse(invalid[i]);
        struct jsonschema *js = jsonschema_new(s, err, sizeof(err));
        json_decref(s);
        if (js)
            fail_msg("%s should not compile", invalid[i]);
        assert_non_null(strstr(err, "regular expression"));
    }
}

/* ---- $ref and $id ---- */

static void test_refs(void **state)
{
    static const struct doc_case cases[] = {
        /* $id-based resolution, relative to the enclosing $id */
        {"{\"$id\":\"http://example.com/root.json\",\"items\":{\"$ref\":\"item.json\"},"
         "\"definitions\":{\"i\":{\"$id\":\"item.json\",\"type\":\"integer\"}}}",
         "[1,2]", true},
        {"{\"$id\":\"http://example.com/root.json\",\"items\":{\"$ref\":\"item.json\"},"
         "\"definitions\":{\"i\":{\"$id\":\"item.json\",\"type\":\"integer\"}}}",
         "[1,\"x\"]", false},
        /* a pointer into a sub-resource, and the absolute form of a local ref */
        {"{\"$id\":\"http://example.com/root.json\","
         "\"properties\":{\"a\":{\"$ref\":\"http://example.com/other.json#/definitions/s\"},"
         "\"b\":{\"$ref\":\"http://example.com/root.json#/definitions/n\"}},"
         "\"definitions\":{\"n\":{\"type\":\"number\"},\"o\":{\"$id\":\"other.json\","
         "\"definitions\":{\"s\":{\"type\":\"string\"}}}}}",
         "{\"a\":\"x\",\"b\":1}", true},
        {"{\"$id\":\"http://example.com/root.json\","
         "\"properties\":{\"a\":{\"$ref\":\"http://example.com/other.json#/definitions/s\"}},"
         "\"definitions\":{\"o\":{\"$id\":\"other.json\","
         "\"definitions\":{\"s\":{\"type\":\"string\"}}}}}",
         "{\"a\":1}", false},
        /* plain-name fragment $id */
        {"{\"properties\":{\"a\":{\"$ref\":\"#pos\"}},"
         "\"definitions\":{\"p\":{\"$id\":\"#pos\",\"minimum\":0}}}",
         "{\"a\":-1}", false},
        /* urn base, as ossd's schemas use */
        {"{\"$id\":\"urn:ossd:test\",\"properties\":{\"a\":{\"$ref\":\"#/definitions/d\"}},"
         "\"definitions\":{\"d\":{\"const\":1}}}",
         "{\"a\":1}", true},
        /* recursion through $ref "#" */
        {"{\"properties\":{\"child\":{\"$ref\":\"#\"},\"v\":{\"type\":\"integer\"}}}",
         "{\"child\":{\"child\":{\"v\":\"x\"}}}", false},
        /* percent-encoded and escaped pointer tokens */
        {"{\"definitions\":{\"a b\":{\"type\":\"null\"},\"c/d\":{\"type\":\"null\"}},"
         "\"allOf\":[{\"$ref\":\"#/definitions/a%20b\"},{\"$ref\":\"#/definitions/c~1d\"}]}",
         "null", true},
        /* $ref ignores a sibling $id: foo.json is resolved against the parent's base */
        {"{\"$id\":\"http://localhost:1234/sibling_id/base/\",\"definitions\":{"
         "\"base_foo\":{\"$id\":\"foo.json\",\"type\":\"number\"},\"foo\":{\"$id\":"
         "\"http://localhost:1234/sibling_id/foo.json\",\"type\":\"string\"}},\"allOf\":[{"
         "\"$id\":\"http://localhost:1234/sibling_id/\",\"$ref\":\"foo.json\"}]}",
         "1", true},
        /* an anchor given with an absolute URI */
        {"{\"allOf\":[{\"$ref\":\"http://localhost:1234/bar#foo\"}],\"definitions\":{\"A\":{"
         "\"$id\":\"http://localhost:1234/bar#foo\",\"type\":\"integer\"}}}",
         "\"a\"", false},
        /* $id resolved against the nearest parent $id, through "not" */
        {"{\"$id\":\"http://example.com/a.json\",\"definitions\":{\"x\":{\"$id\":"
         "\"http://example.com/b/c.json\",\"not\":{\"definitions\":{\"y\":{\"$id\":\"d.json\","
         "\"type\":\"number\"}}}}},\"allOf\":[{\"$ref\":\"http://example.com/b/d.json\"}]}",
         "\"a\"", false},
        /* a URN with an r-component, an absolute-path reference, empty pointer tokens */
        {"{\"$id\":\"urn:example:foo-bar-baz-qux?+CCResolve:cc=uk\",\"definitions\":{\"bar\":{"
         "\"type\":\"string\"}},\"properties\":{\"foo\":{\"$ref\":\"#/definitions/bar\"}}}",
         "{\"foo\":12}", false},
        {"{\"$id\":\"http://example.com/ref/absref.json\",\"definitions\":{\"a\":{\"$id\":"
         "\"http://example.com/ref/absref/foobar.json\",\"type\":\"number\"},\"b\":{\"$id\":"
         "\"http://example.com/absref/foobar.json\",\"type\":\"string\"}},\"allOf\":[{\"$ref\":"
         "\"/absref/foobar.json\"}]}",
         "\"foo\"", true},
        {"{\"definitions\":{\"\":{\"definitions\":{\"\":{\"type\":\"number\"}}}},\"allOf\":[{"
         "\"$ref\":\"#/definitions//definitions/\"}]}",
         "\"a\"", false},
        /* a $ref inside enum is data, not a reference */
        {"{\"definitions\":{\"s\":{\"type\":\"string\"}},\"enum\":[{\"$ref\":\"#/definitions/"
         "s\"}]}",
         "\"a string\"", false},
        /* a ref into a keyword this validator does not know still resolves */
        {"{\"x-lib\":{\"t\":{\"type\":\"string\"}},\"$ref\":\"#/x-lib/t\"}", "1", false},
    };
    static const char *const bad[] = {
        "{\"$ref\":\"#/definitions/missing\"}",
        "{\"$ref\":\"http://example.com/elsewhere.json\"}",
        "{\"$ref\":\"#nowhere\"}",
        "{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
        "\"b\":{\"$ref\":\"#/definitions/a\"}},\"$ref\":\"#/definitions/a\"}",
        "{\"$ref\":\"#\"}",
        "{\"type\":5}",
        "{\"type\":\"text\"}",
        "{\"minLength\":-1}",
        "{\"maxItems\":1.5}",
        "{\"required\":\"a\"}",
        "{\"properties\":{\"a\":3}}",
        "{\"multipleOf\":0}",
        "{\"allOf\":[]}",
        "{\"enum\":1}",
        "\"a string is not a schema\"",
    };
    (void)state;
    run_doc_cases(cases, sizeof(cases) / sizeof(cases[0]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        json_t *s = parse(bad[i]);
        struct jsonschema *js = jsonschema_new(s, err, sizeof(err));
        json_decref(s);
        if (js)
            fail_msg("%s should not compile", bad[i]);
        assert_true(err[0] != '\0');
    }
    {
        char err[256];
        assert_null(jsonschema_load_file("/nonexistent/schema.json", err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent/schema.json"));
        assert_null(jsonschema_new(NULL, err, sizeof(err)));
    }
}

/* ---- robustness ---- */

static void test_depth_limit(void **state)
{
    struct jsonschema *js = compile_text("{\"items\":{\"$ref\":\"#\"}}");
    struct jsonschema *loop = compile_text("{\"anyOf\":[{\"$ref\":\"#\"}]}");
    json_t *doc = json_array(), *cur = doc;
    struct errs es;
    (void)state;

    for (int i = 0; i < 5000; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    memset(&es, 0, sizeof(es));
    assert_int_equal(jsonschema_validate(js, doc, 0, collect, &es), 1);
    assert_string_equal(es.e[0].keyword, "depth");
    assert_int_equal(strncmp(es.e[0].path, "/0/0/0/0/", 9), 0);
    /* a schema that recurses without consuming the document */
    memset(&es, 0, sizeof(es));
    assert_int_equal(jsonschema_validate(loop, doc, 0, collect, &es), 1);
    json_decref(doc);
    jsonschema_free(js);
    jsonschema_free(loop);
}

struct thread_arg {
    const struct jsonschema *js;
    json_t *good, *bad;
    size_t expect_bad;
    int mismatches;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        if (jsonschema_validate(a->js, a->good, 0, NULL, NULL) != 0)
            a->mismatches++;
        if (jsonschema_validate(a->js, a->bad, 0, NULL, NULL) != a->expect_bad)
            a->mismatches++;
    }
    return NULL;
}

static void test_concurrent_validation(void **state)
{
    struct jsonschema *js = load_repo_schema("schemas/submission.v1.json");
    json_t *good = parse(VALID_SUBMISSION), *bad = json_deep_copy(good);
    struct thread_arg args[4];
    pthread_t th[4];
    (void)state;

    set_at(bad, "/applicant/nik", json_string("12"));
    set_at(bad, "/business/activities/0/kbli", json_string("1"));
    set_at(bad, "/applicant/email", json_string("x"));
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){js, good, bad, 3, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].mismatches, 0);
    }
    json_decref(good);
    json_decref(bad);
    jsonschema_free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_suite),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_max_errors),
        cmocka_unit_test(test_submission_schema),
        cmocka_unit_test(test_messages_never_echo_values),
        cmocka_unit_test(test_event_schemas),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_regex_ecma),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_concurrent_validation),
    };
    return cmocka_run_group_tests_name("jsonschema", tests, NULL, NULL);
}
