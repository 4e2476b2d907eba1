/* test_decide: the decision core of a batch, table-driven, without PostgreSQL: what the store
 * loaded goes in, the effects on each item come out (dedupe, NIB reuse and allocation,
 * ACTIVITY_DUPLICATE, reason order). The store's order of calls is played by run_case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "reasons.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ITEMS  6
#define MAX_KNOWN  4

#define NIK_A        "3374015708900001"
#define NIK_B        "3374014203910002"
#define NPWP15       "012345678901234"  /* 15 digits: the same actor as "0" + them */
#define NPWP16       "0012345678901234" /* that "0" + 15 digits */
#define NPWP16_OTHER "0999999999999999" /* another actor */

/* One submission as the pipeline left it. */
struct in_item {
    const char *id;
    char sha;         /* every byte of its SHA-256 */
    const char *type; /* applicant.type: "01" or "02" */
    const char *nik, *npwp;
    const char *district;
    const char *kbli[6]; /* NULL-terminated */
    const char *reasons; /* the chain's reasons, "CODE path;CODE path", or NULL */
    enum item_kind kind; /* ITEM_DECIDE unless the gate made it a dead letter */
};

/* What each item must come out as. */
struct want {
    enum item_kind kind;
    const char *dead_code; /* for ITEM_DEAD */
    int rejected;
    const char *nib; /* for an issued item */
    int nib_new;
    const char *reasons; /* "CODE path;CODE path" in the order of the event, or NULL */
};

struct known_sub {
    const char *id;
    char sha;
};

struct known_actor {
    const char *key;
    int64_t id;
    const char *nib;
    const char *acts[4];    /* "district|kbli", NULL-terminated */
    const char *nib_status; /* NULL: "01" */
};

struct decide_case {
    const char *name;
    struct known_sub subs[MAX_KNOWN];
    struct known_actor actors[MAX_KNOWN];
    struct in_item in[MAX_ITEMS];
    struct want want[MAX_ITEMS];
    size_t n_new_actors; /* how many NIBs the store is asked to allocate */
};

#define KBLI(...)                                                                                  \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
#define DECIDE_02(id_, sha_, nik_, ...)                                                            \
    {                                                                                              \
        .id = id_, .sha = sha_, .type = "02", .nik = nik_, .district = "33.74.01",                 \
        .kbli = KBLI(__VA_ARGS__)                                                                  \
    }
#define DECIDE_01(id_, sha_, npwp_, ...)                                                           \
    {                                                                                              \
        .id = id_, .sha = sha_, .type = "01", .nik = NIK_B, .npwp = npwp_, .district = "33.74.01", \
        .kbli = KBLI(__VA_ARGS__)                                                                  \
    }
#define ISSUED(nib_, new_)                                                                         \
    {                                                                                              \
        .kind = ITEM_DECIDE, .nib = nib_, .nib_new = new_                                          \
    }
#define REJECTED(reasons_)                                                                         \
    {                                                                                              \
        .kind = ITEM_DECIDE, .rejected = 1, .reasons = reasons_                                    \
    }
#define SKIPPED                                                                                    \
    {                                                                                              \
        .kind = ITEM_SKIP                                                                          \
    }
#define DEAD(code_)                                                                                \
    {                                                                                              \
        .kind = ITEM_DEAD, .dead_code = code_                                                      \
    }

/* New actors get ids from 7 on: NIB 8120000000007, 8120000000008, ... */
#define NEW_NIB_1 "8120000000007"
#define NEW_NIB_2 "8120000000008"
#define KNOWN_NIB "8120000000042"

static const struct decide_case cases[] = {
    /* ---- dedupe ---- */
    {.name = "a new submission is decided",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(NEW_NIB_1, 1)},
     .n_new_actors = 1},
    {.name = "the same bytes again: skipped",
     .subs = {{"s1", 1}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {SKIPPED}},
    {.name = "other bytes under a decided id: DUPLICATE_CONFLICT",
     .subs = {{"s1", 1}},
     .in = {DECIDE_02("s1", 2, NIK_A, "14120")},
     .want = {DEAD("DUPLICATE_CONFLICT")}},
    {.name = "one id twice in a batch, same bytes: the second is skipped",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120"), DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(NEW_NIB_1, 1), SKIPPED},
     .n_new_actors = 1},
    {.name = "one id twice in a batch, other bytes: the second is a conflict",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120"), DECIDE_02("s1", 2, NIK_A, "14120")},
     .want = {ISSUED(NEW_NIB_1, 1), DEAD("DUPLICATE_CONFLICT")},
     .n_new_actors = 1},
    {.name = "a gate dead letter is left alone",
     .in = {{.id = "s1", .sha = 1, .kind = ITEM_DEAD}, DECIDE_02("s2", 1, NIK_A, "14120")},
     .want = {DEAD("SCHEMA"), ISSUED(NEW_NIB_1, 1)},
     .n_new_actors = 1},

    /* ---- NIB reuse and allocation ---- */
    {.name = "a known actor by NIK (type 02) keeps its NIB",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {"33.74.01|10110"}}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(KNOWN_NIB, 0)}},
    {.name = "a known actor by NPWP (type 01), 15 digits = 0 + 15",
     .actors = {{"npwp:" NPWP16, 42, KNOWN_NIB, {NULL}}},
     .in = {DECIDE_01("s1", 1, NPWP15, "14120"), DECIDE_01("s2", 1, NPWP16, "10110")},
     .want = {ISSUED(KNOWN_NIB, 0), ISSUED(KNOWN_NIB, 0)}},
    {.name = "type 01 is keyed by NPWP, not by the applicant's NIK",
     .actors = {{"nik:" NIK_B, 42, KNOWN_NIB, {NULL}}},
     .in = {DECIDE_01("s1", 1, NPWP16_OTHER, "14120")},
     .want = {ISSUED(NEW_NIB_1, 1)},
     .n_new_actors = 1},
    {.name = "two new submissions of one new actor get one NIB, new only the first time",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120"), DECIDE_02("s2", 1, NIK_A, "10110"),
            DECIDE_02("s3", 1, NIK_B, "10110")},
     .want = {ISSUED(NEW_NIB_1, 1), ISSUED(NEW_NIB_1, 0), ISSUED(NEW_NIB_2, 1)},
     .n_new_actors = 2},
    {.name = "a rejected submission of a new actor asks for no NIB",
     .in = {{.id = "s1",
             .sha = 1,
             .type = "02",
             .nik = NIK_A,
             .district = "33.74.01",
             .kbli = KBLI("14120"),
             .reasons = "NIK_INVALID /applicant/nik"}},
     .want = {REJECTED("NIK_INVALID /applicant/nik")}},
    {.name = "type 01 without a usable NPWP names no actor: NPWP_REQUIRED",
     .in = {DECIDE_01("s1", 1, NULL, "14120"), DECIDE_01("s2", 1, "1234567890123456", "14120")},
     .want = {REJECTED("NPWP_REQUIRED /applicant/npwp"),
              REJECTED("NPWP_REQUIRED /applicant/npwp")}},

    /* ---- the NIB's status ---- */
    {.name = "an active NIB (01) takes a new activity",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {NULL}, "01"}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(KNOWN_NIB, 0)}},
    {.name = "a frozen NIB (05): NIB_FROZEN, no new NIB",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {NULL}, "05"}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {REJECTED("NIB_FROZEN /applicant")}},
    {.name = "a revoked NIB (06): NIB_REVOKED, no new NIB",
     .actors = {{"npwp:" NPWP16, 42, KNOWN_NIB, {NULL}, "06"}},
     .in = {DECIDE_01("s1", 1, NPWP15, "14120")},
     .want = {REJECTED("NIB_REVOKED /applicant")}},
    {.name = "a frozen NIB and an activity it holds: both reasons, in order",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {"33.74.01|14120"}, "05"}},
     .in = {DECIDE_02("s1", 1, NIK_A, "10110", "14120")},
     .want = {REJECTED("ACTIVITY_DUPLICATE /business/activities/1/kbli;NIB_FROZEN /applicant")}},
    {.name = "a frozen NIB after the chain's reasons: every reason reported",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {NULL}, "05"}},
     .in = {{.id = "s1",
             .sha = 1,
             .type = "02",
             .nik = NIK_A,
             .district = "33.74.01",
             .kbli = KBLI("99999"),
             .reasons = "KBLI_UNKNOWN /business/activities/0/kbli"}},
     .want = {REJECTED("KBLI_UNKNOWN /business/activities/0/kbli;NIB_FROZEN /applicant")}},
    {.name = "a frozen NIB refuses every submission of the batch; another actor is issued",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {NULL}, "05"}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120"), DECIDE_02("s2", 2, NIK_B, "14120"),
            DECIDE_02("s3", 3, NIK_A, "10110")},
     .want = {REJECTED("NIB_FROZEN /applicant"), ISSUED(NEW_NIB_1, 1),
              REJECTED("NIB_FROZEN /applicant")},
     .n_new_actors = 1},
    {.name = "a status that is none of 01/05/06 counts as active",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {NULL}, ""}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(KNOWN_NIB, 0)}},

    /* ---- ACTIVITY_DUPLICATE ---- */
    {.name = "a KBLI the actor holds at that district",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {"33.74.01|14120", "33.74.02|10110"}}},
     .in = {DECIDE_02("s1", 1, NIK_A, "10110", "14120")},
     .want = {REJECTED("ACTIVITY_DUPLICATE /business/activities/1/kbli")}},
    {.name = "the same KBLI at another district is new",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {"33.74.02|14120"}}},
     .in = {DECIDE_02("s1", 1, NIK_A, "14120")},
     .want = {ISSUED(KNOWN_NIB, 0)}},
    {.name = "twice in one submission: one reason per later occurrence",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120", "10110", "14120", "14120")},
     .want = {REJECTED("ACTIVITY_DUPLICATE /business/activities/2/kbli;"
                       "ACTIVITY_DUPLICATE /business/activities/3/kbli")}},
    {.name = "twice in one submission, already given by the chain: not repeated",
     .in = {{.id = "s1",
             .sha = 1,
             .type = "02",
             .nik = NIK_A,
             .district = "33.74.01",
             .kbli = KBLI("14120", "14120"),
             .reasons = "ACTIVITY_DUPLICATE /business/activities/1/kbli"}},
     .want = {REJECTED("ACTIVITY_DUPLICATE /business/activities/1/kbli")}},
    {.name = "twice across one batch for one actor: the later one is rejected",
     .in = {DECIDE_02("s1", 1, NIK_A, "14120"), DECIDE_02("s2", 1, NIK_A, "10110", "14120"),
            DECIDE_02("s3", 1, NIK_B, "14120")},
     .want = {ISSUED(NEW_NIB_1, 1), REJECTED("ACTIVITY_DUPLICATE /business/activities/1/kbli"),
              ISSUED(NEW_NIB_2, 1)},
     .n_new_actors = 2},
    {.name = "a rejected submission registers nothing for the rest of the batch",
     .in = {{.id = "s1",
             .sha = 1,
             .type = "02",
             .nik = NIK_A,
             .district = "33.74.01",
             .kbli = KBLI("14120"),
             .reasons = "KBLI_UNKNOWN /business/activities/0/kbli"},
            DECIDE_02("s2", 1, NIK_A, "14120")},
     .want = {REJECTED("KBLI_UNKNOWN /business/activities/0/kbli"), ISSUED(NEW_NIB_1, 1)},
     .n_new_actors = 1},

    /* ---- reason order ---- */
    {.name = "a rejected known actor also gets ACTIVITY_DUPLICATE, in rank then path order",
     .actors = {{"nik:" NIK_A, 42, KNOWN_NIB, {"33.74.01|14120", "33.74.01|10110"}}},
     .in = {{.id = "s1",
             .sha = 1,
             .type = "02",
             .nik = NIK_A,
             .district = "33.74.01",
             .kbli = KBLI("01111", "01111", "14120", "10110"),
             .reasons = "KBLI_UNKNOWN /business/activities/0/kbli;APPLICANT_UNDERAGE "
                        "/applicant/birth_date"}},
     .want = {REJECTED("APPLICANT_UNDERAGE /applicant/birth_date;"
                       "KBLI_UNKNOWN /business/activities/0/kbli;"
                       "ACTIVITY_DUPLICATE /business/activities/1/kbli;"
                       "ACTIVITY_DUPLICATE /business/activities/2/kbli;"
                       "ACTIVITY_DUPLICATE /business/activities/3/kbli")}},
};

/* "CODE path;CODE path" into a reasons array (messages "m"). */
static json_t *parse_reasons(const char *spec)
{
    json_t *r = NULL;
    char buf[512], *save = NULL;

    if (!spec)
        return NULL;
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *sp = strchr(tok, ' ');
        assert_non_null(sp);
        *sp = '\0';
        reasons_add(&r, tok, sp + 1, "m");
    }
    return r;
}

/* A reasons array back into "CODE path;CODE path". */
static void format_reasons(const json_t *r, char *out, size_t outlen)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(r) && used < outlen; i++) {
        const json_t *x = json_array_get(r, i);
        used += (size_t)snprintf(out + used, outlen - used, "%s%s %s", i ? ";" : "",
                                 json_string_value(json_object_get(x, "code")),
                                 json_string_value(json_object_get(x, "path")));
    }
}

static void fill_item(struct item *it, const struct in_item *in)
{
    struct ossd_submission s;

    memset(it, 0, sizeof(*it));
    it->kind = in->kind;
    if (in->kind == ITEM_DEAD)
        it->dead_code = "SCHEMA";
    snprintf(it->submission_id, sizeof(it->submission_id), "%s", in->id);
    memset(it->sha, in->sha, sizeof(it->sha));
    memset(&s, 0, sizeof(s));
    s.applicant.type = in->type;
    s.applicant.nik = in->nik;
    s.applicant.npwp = in->npwp;
    if (in->kind == ITEM_DECIDE)
        decide_actor_key(it, &s); /* the key the pipeline gives it */
    snprintf(it->district, sizeof(it->district), "%s", in->district ? in->district : "");
    for (size_t i = 0; i < N_ELEMS(in->kbli) && in->kbli[i]; i++) {
        snprintf(it->act[i].kbli, sizeof(it->act[i].kbli), "%s", in->kbli[i]);
        it->n_act++;
    }
    it->reasons = parse_reasons(in->reasons);
    it->rejected = it->reasons != NULL;
}

/* What the store does, without the store: load, classify, load actors, allocate, decide. */
static void run_case(const struct decide_case *c)
{
    struct item items[MAX_ITEMS];
    struct batch b = {.items = items};
    struct decide_state d = {0};
    const char *keys[MAX_ITEMS];
    char got[512], want_nib[14];

    for (size_t i = 0; i < MAX_ITEMS && c->in[i].id; i++)
        fill_item(&items[b.n++], &c->in[i]);
    b.cap = b.n;
    for (int attempt = 0; attempt < 2; attempt++) { /* a retried attempt decides the same */
        memset(&d, 0, sizeof(d));
        decide_reset_items(&b);
        for (size_t i = 0; i < MAX_KNOWN && c->subs[i].id; i++) {
            unsigned char sha[32];
            memset(sha, c->subs[i].sha, sizeof(sha));
            decide_known_submission(&d, c->subs[i].id, sha);
        }
        decide_duplicates(&d, &b);
        size_t n_keys = decide_actor_keys(&b, keys);
        for (size_t i = 0; i < MAX_KNOWN && c->actors[i].key; i++) {
            const struct known_actor *ka = &c->actors[i];
            int asked = 0;
            for (size_t k = 0; k < n_keys; k++)
                asked |= strcmp(keys[k], ka->key) == 0;
            if (!asked)
                continue; /* the store loads only the actors asked for */
            decide_known_actor(&d, ka->key, ka->id, ka->nib, ka->nib_status);
            for (size_t j = 0; j < N_ELEMS(ka->acts) && ka->acts[j]; j++) {
                char district[16];
                const char *bar = strchr(ka->acts[j], '|');
                snprintf(district, sizeof(district), "%.*s", (int)(bar - ka->acts[j]), ka->acts[j]);
                decide_known_activity(&d, ka->id, district, bar + 1);
            }
        }
        size_t n_new = decide_new_actors(&d, &b, keys);
        if (n_new != c->n_new_actors)
            fail_msg("%s: %zu NIB(s) asked for, want %zu", c->name, n_new, c->n_new_actors);
        for (size_t k = 0; k < n_new; k++)
            decide_set_actor_id(&d, keys[k], 7 + (int64_t)k);
        for (size_t i = 0; i < b.n; i++)
            if (items[i].out_kind == ITEM_DECIDE)
                decide_item(&d, &items[i]);

        for (size_t i = 0; i < b.n; i++) {
            const struct item *it = &items[i];
            const struct want *w = &c->want[i];
            if (it->out_kind != w->kind)
                fail_msg("%s: item %zu kind %d, want %d", c->name, i, it->out_kind, w->kind);
            if (w->kind == ITEM_DEAD) {
                if (strcmp(it->dead_code, w->dead_code) != 0)
                    fail_msg("%s: item %zu dead code %s, want %s", c->name, i, it->dead_code,
                             w->dead_code);
                continue;
            }
            if (w->kind != ITEM_DECIDE)
                continue;
            if (it->out_rejected != w->rejected)
                fail_msg("%s: item %zu rejected %d, want %d", c->name, i, it->out_rejected,
                         w->rejected);
            format_reasons(it->out_reasons, got, sizeof(got));
            if (strcmp(got, w->reasons ? w->reasons : "") != 0)
                fail_msg("%s: item %zu reasons\n  got  %s\n  want %s", c->name, i, got,
                         w->reasons ? w->reasons : "");
            if (w->rejected) {
                if (it->nib[0] || it->actor_id)
                    fail_msg("%s: item %zu rejected with an NIB", c->name, i);
                continue;
            }
            if (strcmp(it->nib, w->nib) != 0 || it->nib_new != w->nib_new)
                fail_msg("%s: item %zu NIB %s new %d, want %s new %d", c->name, i, it->nib,
                         it->nib_new, w->nib, w->nib_new);
            decide_nib(it->actor_id, want_nib);
            assert_string_equal(want_nib, it->nib);
        }
        decide_free(&d);
    }
    for (size_t i = 0; i < b.n; i++)
        item_clear(&items[i]);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        run_case(&cases[i]);
}

static void test_nib_form(void **state)
{
    char nib[14];
    (void)state;
    decide_nib(1, nib);
    assert_string_equal(nib, "8120000000001");
    decide_nib(9999999999LL, nib);
    assert_string_equal(nib, "8129999999999");
}

/* The same actor key as the NIK/NPWP rules: what the chain checks is what the store looks up. */
static void test_actor_key(void **state)
{
    static const struct {
        const char *type, *nik, *npwp, *key; /* key NULL: no actor */
    } t[] = {
        {"02", NIK_A, NULL, "nik:" NIK_A},
        {"02", NIK_A, NPWP15, "nik:" NIK_A},
        {"02", "33740157089000", NULL, NULL},
        {"01", NIK_A, NPWP15, "npwp:0" NPWP15},
        {"01", NIK_A, NPWP16, "npwp:" NPWP16},
        {"01", NIK_A, "1234567890123456", NULL}, /* NPWP_INVALID for type 01 */
        {"01", NIK_A, NULL, NULL},
        {"03", NIK_A, NPWP15, NULL},
        {NULL, NIK_A, NPWP15, NULL},
    };
    (void)state;
    for (size_t i = 0; i < N_ELEMS(t); i++) {
        struct item it;
        struct ossd_submission s;
        memset(&it, 0, sizeof(it));
        memset(&s, 0, sizeof(s));
        s.applicant.type = t[i].type;
        s.applicant.nik = t[i].nik;
        s.applicant.npwp = t[i].npwp;
        decide_actor_key(&it, &s);
        if (!t[i].key) {
            if (it.has_actor)
                fail_msg("case %zu: an actor %s, want none", i, it.actor_key);
            continue;
        }
        if (!it.has_actor || strcmp(it.actor_key, t[i].key) != 0)
            fail_msg("case %zu: actor %s, want %s", i, it.has_actor ? it.actor_key : "(none)",
                     t[i].key);
    }
}

/* The permits of an issued item: their id and, pending, the deadline of permit_init. */
static void test_permits(void **state)
{
    struct item it;
    char pid[32];
    (void)state;
    memset(&it, 0, sizeof(it));
    snprintf(it.nib, sizeof(it.nib), "%s", KNOWN_NIB);
    snprintf(it.district, sizeof(it.district), "%s", "33.74.01");
    it.n_act = 2;
    snprintf(it.act[0].kbli, sizeof(it.act[0].kbli), "%s", "56102");
    it.act[0].status = "pending_verification";
    snprintf(it.act[1].kbli, sizeof(it.act[1].kbli), "%s", "47111");
    it.act[1].status = "issued";
    it.sla_days[0] = 3;
    decide_permit_id(&it, 0, pid);
    assert_string_equal(pid, KNOWN_NIB "-56102-337401");
    decide_permit_id(&it, 1, pid);
    assert_string_equal(pid, KNOWN_NIB "-47111-337401");
    assert_true(decide_permit_pending(&it, 0));
    assert_false(decide_permit_pending(&it, 1));
    /* Monday 2026-11-30 10:00 Jakarta, 3 working days, no holidays: L Thursday 3 December,
     * sla_due Friday 4 December 00:00 Jakarta = 3 December 17:00 UTC. */
    decide_permits(&it, 1796007600000LL);
    assert_int_equal(it.act_dl[0].last_day, cal_day_from_civil(2026, 12, 3));
    assert_int_equal(it.act_dl[0].due_ms, 1796317200000LL);
    assert_int_equal(it.sla_days[1], 5); /* unset: the statutory fallback */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_nib_form),
        cmocka_unit_test(test_actor_key),
        cmocka_unit_test(test_permits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
