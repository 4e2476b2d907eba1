/* test_config: the config table: defaults, integer bounds, unknown sections and keys with
 * file:line, the value checks, the reload flags, and the list of changed keys a reload cannot
 * apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define BASE                                                                                       \
    "[postgres]\nurl = postgresql://ossd@127.0.0.1/ossd\n[kafka]\nbootstrap.servers = k:9092\n"

/* Writes text to a new file of mode 0600; its path goes to path (PATH_MAX-sized). */
static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/ossd-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Loads text; NULL with err filled when refused. */
static struct config *load(const char *text, char *path, char *err, size_t errlen)
{
    write_file(path, text);
    err[0] = '\0';
    struct config *cfg = config_load(path, err, errlen);
    unlink(path);
    return cfg;
}

/* Asserts text is refused with "PATH:line: " followed by a message holding what. */
static void refused_at(const char *text, int line, const char *what)
{
    char path[64], err[512], want[128];
    struct config *cfg = load(text, path, err, sizeof(err));

    assert_null(cfg);
    snprintf(want, sizeof(want), "%s:%d: ", path, line);
    if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, what))
        fail_msg("refusal '%s', expected '%s...%s'", err, want, what);
}

/* Asserts text is refused, anywhere, with a message holding what. */
static void refused(const char *text, const char *what)
{
    char path[64], err[512];
    struct config *cfg = load(text, path, err, sizeof(err));

    assert_null(cfg);
    if (!strstr(err, what))
        fail_msg("refusal '%s', expected '%s'", err, what);
}

static void test_defaults_come_from_the_table(void **state)
{
    char path[64], err[512];
    (void)state;
    struct config *cfg = load(BASE, path, err, sizeof(err));

    assert_non_null(cfg);
    assert_string_equal(cfg->source, "urn:ossd");
    assert_string_equal(cfg->schema_base, "urn:ossd:schemas");
    assert_string_equal(cfg->log_level, "info");
    assert_string_equal(cfg->start_offset, "earliest");
    assert_string_equal(cfg->metrics_listen, "");
    assert_string_equal(cfg->topic_submissions, "oss.submissions.v1");
    assert_string_equal(cfg->handlers, "identity, region, kbli, activity, scale, risk");
    assert_int_equal(cfg->batch_max, 1000);
    assert_int_equal(cfg->batch_ms, 20);
    assert_int_equal(cfg->stats_interval_s, 60);
    assert_int_equal(cfg->outbox_retention_s, 0);
    assert_int_equal(cfg->retry_backoff_max_ms, 5000);
    assert_string_equal(cfg->group_id, "ossd");
    config_free(cfg);
}

static void test_values_are_typed_and_bounded(void **state)
{
    char path[64], err[512];
    (void)state;
    struct config *cfg = load("[ossd]\nbatch_max = 100000\nstats_interval_s = 0\n"
                              "source = urn:x\n" BASE,
                              path, err, sizeof(err));
    assert_non_null(cfg);
    assert_int_equal(cfg->batch_max, 100000);
    assert_int_equal(cfg->stats_interval_s, 0);
    assert_string_equal(cfg->source, "urn:x");
    config_free(cfg);

    refused_at("[ossd]\nbatch_max = 0\n" BASE, 2, "batch_max must be a whole number in 1..100000");
    refused_at("[ossd]\n\nbatch_max = 100001\n" BASE, 3, "1..100000");
    refused_at("[ossd]\nbatch_ms = 12x\n" BASE, 2, "batch_ms must be a whole number");
    refused_at("[ossd]\nretry_backoff_max_ms = \n" BASE, 2, "10..600000");
    refused_at("[ossd]\nstats_interval_s = -1\n" BASE, 2, "0..86400");
    refused_at("[ossd]\nbatch_max = 99999999999999999999\n" BASE, 2, "batch_max");
}

static void test_unknown_keys_and_sections_are_refused_with_file_line(void **state)
{
    (void)state;
    refused_at("[ossd]\nbatch_max = 10\nbatchmax = 10\n" BASE, 3,
               "unknown key 'batchmax' in [ossd]");
    refused_at(BASE "[topics]\nsubmission = x\n", 6, "unknown key 'submission' in [topics]");
    refused_at(BASE "; comment\n[nope]\nx = 1\n", 7, "unknown section [nope]");
    /* a librdkafka property librdkafka refuses */
    refused_at(BASE "no.such.property = 1\n", 5, "[kafka] no.such.property");
    refused_at("[ossd\n" BASE, 1, "syntax error");
}

static void test_value_checks(void **state)
{
    (void)state;
    refused("[ossd]\nlog_level = loud\n" BASE, "log_level must be error, warning, info or debug");
    refused("[ossd]\nlog_target = syslog\n" BASE, "log_target must be journal, stderr or auto");
    refused("[ossd]\nstart_offset = middle\n" BASE, "start_offset must be earliest or latest");
    refused("[kafka]\nbootstrap.servers = k:9092\n", "[postgres] url is required");
    refused("[postgres]\nurl = x\n", "[kafka] bootstrap.servers is required");
}

static void test_reload_flags(void **state)
{
    (void)state;
    assert_int_equal(config_key_reloadable("ossd", "batch_max"), 1);
    assert_int_equal(config_key_reloadable("ossd", "log_level"), 1);
    assert_int_equal(config_key_reloadable("ossd", "source"), 1);
    assert_int_equal(config_key_reloadable("ossd", "retry_backoff_max_ms"), 1);
    assert_int_equal(config_key_reloadable("pipeline", "handlers"), 1);
    assert_int_equal(config_key_reloadable("ossd", "start_offset"), 0);
    assert_int_equal(config_key_reloadable("ossd", "metrics_listen"), 0);
    assert_int_equal(config_key_reloadable("topics", "submissions"), 0);
    assert_int_equal(config_key_reloadable("postgres", "url"), 0);
    assert_int_equal(config_key_reloadable("kafka", "bootstrap.servers"), 0);
    assert_int_equal(config_key_reloadable("kafka.consumer", "anything"), 0);
    assert_int_equal(config_key_reloadable("handler.localreg", "rules"), 1);
    assert_int_equal(config_key_reloadable("ossd", "no_such_key"), -1);
    assert_int_equal(config_key_reloadable("nope", "batch_max"), -1);
}

static void test_restart_keys_name_exactly_the_changed_no_reload_keys(void **state)
{
    char path[64], err[512], out[512];
    (void)state;
    struct config *a = load("[ossd]\nbatch_max = 10\nstart_offset = earliest\n" BASE
                            "session.timeout.ms = 6000\nclient.id = a\nclient.id = b\n"
                            "[kafka.consumer]\nfetch.wait.max.ms = 100\n",
                            path, err, sizeof(err));
    assert_non_null(a);
    struct config *same =
        load("[ossd]\nbatch_max = 10\n" BASE "session.timeout.ms = 6000\nclient.id = b\n"
             "[kafka.consumer]\nfetch.wait.max.ms = 100\n",
             path, err, sizeof(err));
    assert_non_null(same);
    assert_int_equal(config_restart_keys(a, same, out, sizeof(out)), 0);
    assert_string_equal(out, "");

    /* reloadable changes (batch_max, source, log_level, handlers) are not named; a changed
     * value, an added and a removed librdkafka property are, each once, never with a value */
    struct config *b = load("[ossd]\nbatch_max = 20\nsource = urn:b\nlog_level = debug\n"
                            "start_offset = latest\n[pipeline]\nhandlers = identity\n"
                            "[postgres]\nurl = postgresql://ossd@127.0.0.2/ossd\n"
                            "[kafka]\nbootstrap.servers = k:9092\nsession.timeout.ms = 7000\n"
                            "client.id = b\n[kafka.producer]\nlinger.ms = 50\n"
                            "[handler.x]\nk = 1\n",
                            path, err, sizeof(err));
    assert_non_null(b);
    assert_int_equal(config_restart_keys(a, b, out, sizeof(out)), 5);
    assert_string_equal(out, "[ossd] start_offset, [postgres] url, [kafka] session.timeout.ms, "
                             "[kafka.consumer] fetch.wait.max.ms, [kafka.producer] linger.ms");
    assert_null(strstr(out, "7000"));
    /* a short buffer: cut, still terminated, still counted */
    char small[16];
    assert_int_equal(config_restart_keys(a, b, small, sizeof(small)), 5);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    config_free(a);
    config_free(same);
    config_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_come_from_the_table),
        cmocka_unit_test(test_values_are_typed_and_bounded),
        cmocka_unit_test(test_unknown_keys_and_sections_are_refused_with_file_line),
        cmocka_unit_test(test_value_checks),
        cmocka_unit_test(test_reload_flags),
        cmocka_unit_test(test_restart_keys_name_exactly_the_changed_no_reload_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
