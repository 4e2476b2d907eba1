/* test_idset: the outbox's id set against a plain bitmap over a million random adds, deletes and
 * lookups (clustered ids, as outbox ids are; growth; deletion inside wrapped runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "idset.h"

#define SPACE 50000

static void test_random_against_bitmap(void **state)
{
    (void)state;
    struct idset s = {0};
    unsigned char *ref = calloc(SPACE + 1, 1);
    size_t n = 0;
    unsigned seed = 12345;

    for (int step = 0; step < 1000000; step++) {
        seed = seed * 1103515245u + 12345u;
        int64_t id = 1 + (int64_t)((seed >> 8) % SPACE);
        int op = (int)((seed >> 4) % 3);
        if (op == 0) {
            idset_add(&s, id);
            n += !ref[id];
            ref[id] = 1;
        } else if (op == 1) {
            idset_del(&s, id);
            n -= ref[id];
            ref[id] = 0;
        } else
            assert_int_equal(idset_has(&s, id), ref[id]);
        assert_int_equal(s.n, n);
    }
    for (int64_t id = 1; id <= SPACE; id++)
        assert_int_equal(idset_has(&s, id), ref[id]);
    idset_free(&s);
    free(ref);
}

static void test_runs_then_empty(void **state)
{
    (void)state;
    struct idset s = {0};
    assert_false(idset_has(&s, 1));
    idset_del(&s, 1); /* empty: no-op */
    for (int64_t id = 1; id <= 200000; id++)
        idset_add(&s, id * 1024); /* ids that collide in the low bits */
    assert_int_equal(s.n, 200000);
    for (int64_t id = 1; id <= 200000; id += 2)
        idset_del(&s, id * 1024);
    for (int64_t id = 1; id <= 200000; id++)
        assert_int_equal(idset_has(&s, id * 1024), id % 2 == 0);
    for (int64_t id = 2; id <= 200000; id += 2)
        idset_del(&s, id * 1024);
    assert_int_equal(s.n, 0);
    for (size_t i = 0; i < s.cap; i++)
        assert_int_equal(s.slot[i], 0);
    idset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_bitmap),
        cmocka_unit_test(test_runs_then_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
