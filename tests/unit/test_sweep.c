/* test_sweep: the deemed-approval sweep's watermark gate (sweep_gate), table-driven: every
 * stored next offset must have reached the high watermark read after the deadline; a partition
 * with nothing stored counts as reached only when it holds nothing to consume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sweep.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAXP       4

static const struct {
    const char *name;
    size_t n_marks;
    struct sweep_mark marks[MAXP];
    size_t n_stored;
    struct sweep_stored stored[MAXP];
    int reached;
    int32_t behind;
} cases[] = {
    {"a missing topic: no partitions", 0, {{0}}, 0, {{0}}, 1, -1},
    {"empty partitions, nothing stored", 2, {{0, 0, 0}, {1, 0, 0}}, 0, {{0}}, 1, -1},
    {"every stored offset at its watermark", 2, {{0, 0, 5}, {1, 0, 7}}, 2, {{0, 5}, {1, 7}}, 1, -1},
    {"stored beyond the watermark (read before a commit)", 1, {{0, 0, 5}}, 1, {{0, 9}}, 1, -1},
    {"one partition behind", 2, {{0, 0, 5}, {1, 0, 7}}, 2, {{0, 5}, {1, 6}}, 0, 1},
    {"messages and nothing stored", 2, {{0, 0, 0}, {1, 0, 3}}, 0, {{0}}, 0, 1},
    {"every message deleted by retention, nothing stored", 1, {{0, 4, 4}}, 0, {{0}}, 1, -1},
    {"some messages left after retention, nothing stored", 1, {{0, 2, 4}}, 0, {{0}}, 0, 0},
    {"stored offsets in another order",
     3,
     {{0, 0, 1}, {1, 0, 2}, {2, 0, 3}},
     3,
     {{2, 3}, {0, 1}, {1, 2}},
     1,
     -1},
    {"an offset stored for a partition the topic no longer has",
     1,
     {{0, 0, 1}},
     2,
     {{0, 1}, {5, 0}},
     1,
     -1},
    {"the first partition behind is named",
     3,
     {{0, 0, 1}, {1, 0, 2}, {2, 0, 3}},
     1,
     {{0, 1}},
     0,
     1},
};

static void test_gate(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int32_t behind = -1;
        int r = sweep_gate(cases[i].marks, cases[i].n_marks, cases[i].stored, cases[i].n_stored,
                           &behind);
        if (r != cases[i].reached || behind != cases[i].behind)
            fail_msg("%s: reached %d behind %d, expected %d and %d", cases[i].name, r, behind,
                     cases[i].reached, cases[i].behind);
    }
    /* behind may be NULL */
    assert_int_equal(
        sweep_gate(cases[4].marks, cases[4].n_marks, cases[4].stored, cases[4].n_stored, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
