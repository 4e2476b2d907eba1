/* test_jsonparse: the fast parser builds exactly jansson's tree, or gives up; it never accepts
 * what json_loadb refuses, and finds the gate's underflowing reals. Over a table of edge cases and
 * the fuzz seed corpora. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "jsonparse.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))
#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* 1 when the fast parser took the input (then checked against jansson), 0 when it gave up. */
static int same_as_jansson(const char *buf, size_t len, const char *what)
{
    json_error_t jerr;
    size_t under = 99;
    json_t *fast = jsonparse_fast(buf, len, &under), *slow;
    char *a, *b;

    if (!fast)
        return 0;
    if (under != gate_number_underflow(buf, len))
        fail_msg("%s: underflow at %zu, the gate's scan says %zu", what, under,
                 gate_number_underflow(buf, len));
    slow = json_loadb(buf, len, LOAD_FLAGS, &jerr);
    if (!slow)
        fail_msg("%s: the fast parser accepted what jansson refuses (%s)", what, jerr.text);
    a = json_dumps(fast, DUMP_FLAGS);
    b = json_dumps(slow, DUMP_FLAGS);
    if (!a || !b || strcmp(a, b) != 0)
        fail_msg("%s: trees differ:\n%s\n%s", what, a ? a : "-", b ? b : "-");
    free(a);
    free(b);
    json_decref(fast);
    json_decref(slow);
    return 1;
}

static void test_edge_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int fast; /* 1: the fast parser takes it */
    } cases[] = {
        {"{}", 1},
        {" [ ] ", 1},
        {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", 1},
        {"{\"a\":1,\"a\":2}", 0}, /* duplicate: jansson's error */
        {"{\"a\":1,}", 0},
        {"[1,]", 0},
        {"[01]", 0},
        {"[-]", 0},
        {"[1.]", 0},
        {"[.5]", 0},
        {"[1e]", 0},
        {"[+1]", 0},
        {"[-0]", 1},
        {"[-0.0]", 1},
        {"[1.5e3,1E-2,2e+2,0.1]", 1},
        {"[1e-400]", 1}, /* underflow is jansson's 0.0 (the gate refuses it later) */
        {"{\"a\":[0.0,0e-999,-0.00001e-400,5]}", 1},
        {"{\"a\":\"1e-400\",\"b\":1e-400}", 1},
        {"[1e400]", 0},
        {"[9223372036854775807,-9223372036854775808]", 1},
        {"[9223372036854775808]", 0},
        {"[1000000000000000000000000000000000000000000000000000000000000000000]", 0},
        {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", 1},
        {"\"\\u0041\"", 0}, /* \u: jansson */
        {"\"\\x\"", 0},
        {"\"tab\there\"", 0},
        {"\"caf\xc3\xa9 \xe4\xb8\x81 \xf0\x9f\x98\x80\"", 1},
        {"\"\xc0\xaf\"", 0},         /* overlong */
        {"\"\xed\xa0\x80\"", 0},     /* a surrogate in UTF-8 */
        {"\"\xf4\x90\x80\x80\"", 0}, /* above U+10FFFF */
        {"\"\xe4\xb8\"", 0},         /* cut short */
        {"\"\x80\"", 0},
        {"\"unterminated", 0},
        {"truex", 0},
        {"[tru]", 0},
        {"nul", 0},
        {"{} x", 0},
        {"{}{}", 0},
        {"", 0},
        {"   ", 0},
        {"{\"\":\"\"}", 1},
        {"{\"k\\n\":1,\"k\":2}", 1},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]"
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         0}, /* deeper than the fast parser goes */
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int took = same_as_jansson(cases[i].s, strlen(cases[i].s), cases[i].s);
        if (took != cases[i].fast)
            fail_msg("%s: fast parser %s", cases[i].s, took ? "took it" : "gave up");
    }
    /* a NUL byte inside the buffer */
    assert_int_equal(same_as_jansson("{\"a\":\"b\0\"}", 10, "NUL"), 0);
    assert_int_equal(same_as_jansson("{}\0", 3, "NUL after"), 0);
}

static size_t corpus(const char *dir, size_t *files)
{
    char path[8192];
    size_t took = 0;
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        fail_msg("cannot open %s", dir);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (strlen(dir) + strlen(e->d_name) + 2 > sizeof(path))
            continue;
        memcpy(path, dir, strlen(dir));
        path[strlen(dir)] = '/';
        memcpy(path + strlen(dir) + 1, e->d_name, strlen(e->d_name) + 1);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char *buf = malloc(1 << 20);
        size_t n = fread(buf, 1, 1 << 20, f);
        fclose(f);
        took += (size_t)same_as_jansson(buf, n, path);
        (*files)++;
        free(buf);
    }
    closedir(d);
    return took;
}

static void test_seed_corpora(void **state)
{
    (void)state;
    const char *src = getenv("OSSD_SRCDIR");
    char dir[4096];
    size_t files = 0, took = 0;

    if (!src)
        src = ".";
    static const char *const names[] = {"gate", "submission"};
    for (size_t i = 0; i < N_ELEMS(names); i++) {
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, names[i]);
        took += corpus(dir, &files);
    }
    print_message("fast parser took %zu of %zu seed inputs, each exactly as jansson\n", took,
                  files);
    assert_true(files > 100 && took > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_seed_corpora),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
