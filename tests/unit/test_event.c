/* test_event: contact fields in decision events: what may travel and what never does (a phone
 * or email that failed the schema at its pointer, or that holds a NIK/NPWP-like digit run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "item.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *s;
    int id_number;
} digit_runs[] = {
    {"3374014509900001", 1},           /* a NIK */
    {"012345678901234", 1},            /* an NPWP of 15 */
    {"3374 0145 0990 0001", 1},        /* spaced */
    {"01.234.567.8-901.000", 1},       /* the printed NPWP form */
    {"3374014509900001@contoh.id", 1}, /* a NIK as the local part */
    {"siti.3374014509900001@contoh.id", 1},
    {"08123456789", 0},
    {"+62 812-3456-7890", 0},                /* 13 digits */
    {"+62 812-3456-7890 ext. 123456789", 0}, /* letters end the run */
    {"+6281234567890", 0},                   /* 14 */
    {"+628123456789012", 1},                 /* 15 */
    {"0812 3456 7890 / 0812 3456 7890", 0},  /* " / ": two separators end the run */
    {"08123456789--0812345", 0},
    {"siti.rahayu@contoh.id", 0},
    {"", 0},
    {"12345678901234", 0},
    {"12345678901234-", 0},
};

static void test_id_number_runs(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(digit_runs); i++) {
        const char *s = digit_runs[i].s;
        if (event_holds_id_number(s, strlen(s)) != digit_runs[i].id_number)
            fail_msg("event_holds_id_number(\"%s\") != %d", s, digit_runs[i].id_number);
    }
}

/* A rejected item as the pipeline leaves it: the document and its reasons. */
static void rejected_item(struct item *it, const char *doc, const char *reasons)
{
    json_error_t jerr;
    memset(it, 0, sizeof(*it));
    snprintf(it->submission_id, sizeof(it->submission_id), "s-1");
    it->doc = json_loads(doc, 0, &jerr);
    assert_non_null(it->doc);
    it->reasons = json_loads(reasons, 0, &jerr);
    assert_non_null(it->reasons);
    it->rejected = 1;
    event_extract(it);
    it->out_rejected = 1;
    it->out_reasons = json_incref(it->reasons);
    event_identify(it);
}

static char *build(const struct item *it)
{
    struct event_ctx ec = {"urn:ossd", "https://example.invalid/schemas"};
    struct buf out = {0}, key = {0};
    event_build(&ec, it, 0, &out, &key);
    buf_free(&key);
    buf_putc(&out, '\0');
    return out.data;
}

/* Known answers (Python's uuid.uuid5 and hashlib.sha256): event ids are stable across
 * releases, and the digests are computed without OpenSSL's per-call algorithm lookup. */
static void test_ids_and_digests(void **state)
{
    (void)state;
    struct item it;
    char name[301], id[37], hex[65];
    unsigned char md[32];

    memset(&it, 0, sizeof(it));
    snprintf(it.submission_id, sizeof(it.submission_id), "s-1");
    it.out_rejected = 1;
    event_identify(&it);
    assert_string_equal(it.event_id, "921757d4-4584-5a6b-a920-60ae211f8f92");
    memset(name, 'x', 300); /* longer than the stack buffer */
    name[300] = '\0';
    uuid5_ossd(name, 300, id);
    assert_string_equal(id, "4e350491-854a-59d4-91bd-3c75a1c9b4e2");
    sha256("abc", 3, md);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256("", 0, md);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The event time and the bounded copies, written by hand on the hot path. */
static void test_time_and_copies(void **state)
{
    (void)state;
    char t[32], small[6];

    format_rfc3339_ms(1764316801123LL, t);
    assert_string_equal(t, "2025-11-28T08:00:01.123Z");
    format_rfc3339_ms(0, t);
    assert_string_equal(t, "1970-01-01T00:00:00.000Z");
    format_rfc3339_ms(253402300799999LL, t);
    assert_string_equal(t, "9999-12-31T23:59:59.999Z");
    str_copy(small, sizeof(small), "33.74.01.1005");
    assert_string_equal(small, "33.74");
    str_copy(small, sizeof(small), "ab");
    assert_string_equal(small, "ab");
    str_copy(small, sizeof(small), NULL);
    assert_string_equal(small, "");
}

static void test_nik_in_email_does_not_travel(void **state)
{
    (void)state;
    struct item it;
    rejected_item(&it,
                  "{\"applicant\":{\"name\":\"Siti\",\"nik\":\"3374014509900001\","
                  "\"email\":\"3374014509900001\",\"phone\":\"08123456789\"}}",
                  "[{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/email\","
                  "\"message\":\"not a valid email\"}]");
    assert_null(it.email);
    assert_string_equal(it.phone, "08123456789");
    char *ev = build(&it);
    assert_null(strstr(ev, "3374014509900001"));
    assert_null(strstr(ev, "\"email\""));
    assert_non_null(strstr(ev, "\"phone\":\"08123456789\""));
    free(ev);
    item_clear(&it);
}

static void test_contact_failing_the_schema_does_not_travel(void **state)
{
    (void)state;
    struct item it;
    /* a 33-character phone (maxLength 32) fails at its pointer; the email is fine */
    rejected_item(&it,
                  "{\"applicant\":{\"phone\":\"081234567890 081234567890 0812\","
                  "\"email\":\"siti@contoh.id\"}}",
                  "[{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/phone\","
                  "\"message\":\"longer than 32\"},"
                  "{\"code\":\"SCHEMA_INVALID\",\"path\":\"/applicant/phoneX\","
                  "\"message\":\"another field\"}]");
    assert_null(it.phone);
    assert_string_equal(it.email, "siti@contoh.id");
    item_clear(&it);
}

static void test_schema_valid_id_number_does_not_travel(void **state)
{
    (void)state;
    struct item it;
    /* schema-valid (phone has no format), but it is a NIK: left out all the same */
    rejected_item(&it,
                  "{\"applicant\":{\"phone\":\"3374 0145 0990 0001\","
                  "\"email\":\"3374014509900001@contoh.id\",\"name\":\"Siti\"}}",
                  "[{\"code\":\"NIK_MISMATCH\",\"path\":\"/applicant/gender\","
                  "\"message\":\"gender differs\"}]");
    assert_null(it.phone);
    assert_null(it.email);
    assert_string_equal(it.name, "Siti");
    item_clear(&it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_number_runs),
        cmocka_unit_test(test_ids_and_digests),
        cmocka_unit_test(test_time_and_copies),
        cmocka_unit_test(test_nik_in_email_does_not_travel),
        cmocka_unit_test(test_contact_failing_the_schema_does_not_travel),
        cmocka_unit_test(test_schema_valid_id_number_does_not_travel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
