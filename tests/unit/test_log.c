/* test_log: log_msg's MESSAGE_ID field on the stderr target (text, then the fields), the level
 * filter, and the ids of log.h: 32 lower-case hex digits, all different. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Runs one log call with stderr sent to a temporary file; returns what was written (malloc'ed,
 * the caller frees it). */
static char *captured(void (*emit)(void))
{
    char path[] = "/tmp/ossd-test-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    char *out = calloc(1, 8192);

    assert_true(fd >= 0 && saved >= 0 && out);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    emit();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    assert_true(pread(fd, out, 8191, 0) >= 0);
    close(fd);
    unlink(path);
    return out;
}

static void emit_started(void)
{
    log_msg(LOG_LVL_INFO, LOG_MSG_STARTED, "ossd %s started", "9.9");
}

static void emit_no_id(void)
{
    log_msg(LOG_LVL_WARNING, NULL, "consumer: %d", 7);
}

static void emit_debug(void)
{
    log_msg(LOG_LVL_DEBUG, LOG_MSG_DEAD_LETTER, "not written at info");
}

static void test_message_id_follows_the_text(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(log_setup("stderr", "info", err, sizeof(err)), 0);

    char *s = captured(emit_started);
    assert_non_null(
        strstr(s, " info ossd 9.9 started MESSAGE_ID=bcdc8abd8e284150aeaec91b6fb01577\n"));
    free(s);
    s = captured(emit_no_id);
    assert_non_null(strstr(s, " warning consumer: 7\n"));
    assert_null(strstr(s, "MESSAGE_ID"));
    free(s);
    s = captured(emit_debug);
    assert_string_equal(s, "");
    free(s);
}

static void test_ids_are_128_bit_and_distinct(void **state)
{
    (void)state;
    const char *ids[] = {LOG_MSG_STARTED,       LOG_MSG_STOPPED,     LOG_MSG_PG_DOWN,
                         LOG_MSG_PG_UP,         LOG_MSG_BROKER_DOWN, LOG_MSG_DEAD_LETTER,
                         LOG_MSG_RELOAD_REFUSED};
    const size_t n = sizeof(ids) / sizeof(ids[0]);

    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strncmp(ids[i], "MESSAGE_ID=", 11), 0);
        assert_int_equal(strlen(ids[i] + 11), 32);
        assert_int_equal(strspn(ids[i] + 11, "0123456789abcdef"), 32);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_id_follows_the_text),
        cmocka_unit_test(test_ids_are_128_bit_and_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
