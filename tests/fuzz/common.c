/* common: what the fuzz harnesses share: reference data, the pipeline, a decision and its checks.
 */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "gate.h"
#include "log.h"
#include "rules.h"
#include "util.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "\n==fuzz== invariant broken at %s:%d: %s\n==fuzz== ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

int fuzz_known(const char *bug)
{
    const char *k = getenv("OSSD_FUZZ_KNOWN");
    size_t n = strlen(bug);

    for (const char *p = k; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, bug, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

const char *fuzz_srcdir(void)
{
    const char *s = getenv("OSSD_SRCDIR");
    return s && *s ? s : FUZZ_SRCDIR;
}

const char *const fuzz_provinces[] = {
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33",
    "34", "35", "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72",
    "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
};
const size_t fuzz_n_provinces = ARRAY_SIZE(fuzz_provinces);

const char *const fuzz_districts[] = {
    "33.74.01", "33.74.02", "33.74.03", "33.74.04", "33.74.05", "33.74.06",
    "33.74.07", "33.74.08", "33.74.09", "33.74.10", "33.74.11", "33.74.12",
    "33.74.13", "33.74.14", "33.74.15", "33.74.16", "33.01.01",
};
const size_t fuzz_n_districts = ARRAY_SIZE(fuzz_districts);

static const char *const kbli_table[][2] = {
    {"14120", "R"},  {"95291", "R"},  {"45407", "R"},  {"32903", "R"},  {"16291", "R"},
    {"13134", "R"},  {"56102", "R"},  {"56103", "R"},  {"56104", "R"},  {"47112", "R"},
    {"96111", "R"},  {"47761", "R"},  {"10710", "MR"}, {"10792", "MR"}, {"10794", "MR"},
    {"14111", "MR"}, {"56210", "MR"}, {"10750", "MR"}, {"45202", "MR"}, {"56290", "MT"},
    {"11040", "MT"}, {"47722", "MT"}, {"47721", "T"},  {"11010", "T"},  {"47221", "T"},
    {"20292", "T"},  {"01111", NULL},
};
const char *const fuzz_kbli_codes[] = {
    "14120", "95291", "45407", "32903", "16291", "13134", "56102", "56103", "56104",
    "47112", "96111", "47761", "10710", "10792", "10794", "14111", "56210", "10750",
    "45202", "56290", "11040", "47722", "47721", "11010", "47221", "20292", "01111",
};
const size_t fuzz_n_kbli_codes = ARRAY_SIZE(fuzz_kbli_codes);

const struct refdata *fuzz_refdata(void)
{
    static struct refdata *rd;
    char title[64];

    if (rd)
        return rd;
    rd = refdata_new();
    for (size_t i = 0; i < ARRAY_SIZE(fuzz_provinces); i++)
        FUZZ_CHECK(refdata_add_region(rd, fuzz_provinces[i], "Provinsi") == 0, "province");
    FUZZ_CHECK(refdata_add_region(rd, "33.74", "Kota Semarang") == 0, "regency");
    FUZZ_CHECK(refdata_add_region(rd, "33.01", "Kabupaten Cilacap") == 0, "regency");
    for (size_t i = 0; i < ARRAY_SIZE(fuzz_districts); i++)
        FUZZ_CHECK(refdata_add_region(rd, fuzz_districts[i], "Kecamatan") == 0, "district");
    /* 33.74.10 holds villages: its village codes are checked one by one. */
    FUZZ_CHECK(refdata_add_region(rd, "33.74.10.1005", "Kramas") == 0, "village");
    FUZZ_CHECK(refdata_add_region(rd, "33.74.10.1001", "Bulusan") == 0, "village");
    for (size_t i = 0; i < ARRAY_SIZE(kbli_table); i++) {
        snprintf(title, sizeof(title), "Kegiatan %s \"\\\t", kbli_table[i][0]);
        FUZZ_CHECK(refdata_add_kbli(rd, kbli_table[i][0], title, kbli_table[i][1]) == 0, "kbli");
    }
    FUZZ_CHECK(refdata_add_kbli_risk(rd, "10710", "04", "MT") == 0, "kbli risk");
    FUZZ_CHECK(refdata_add_kbli_risk(rd, "56102", "03", "MR") == 0, "kbli risk");
    refdata_set_versions(rd, "2020", "fuzz");
    return rd;
}

struct pipeline *fuzz_pipeline(const char *handlers)
{
    static struct {
        char handlers[200];
        struct config *cfg;
        struct pipeline *p;
    } cache[4];
    char path[] = "/tmp/ossd-fuzz-XXXXXX", err[1024];
    struct config *cfg;
    struct pipeline *p;
    FILE *f;
    int fd;

    for (size_t i = 0; i < ARRAY_SIZE(cache); i++)
        if (cache[i].p && strcmp(cache[i].handlers, handlers) == 0)
            return cache[i].p;
    /* Quiet: handlers' debug lines would flood the fuzzer's output. */
    FUZZ_CHECK(log_setup("stderr", "error", err, sizeof(err)) == 0, "log_setup: %s", err);
    fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0, "mkstemp");
    f = fdopen(fd, "w");
    fprintf(f,
            "[ossd]\ndatadir = %s/schemas\n[postgres]\nurl = postgresql:///fuzz\n"
            "[kafka]\nbootstrap.servers = 127.0.0.1:1\n[pipeline]\nhandlers = %s\n",
            fuzz_srcdir(), handlers);
    fclose(f);
    cfg = config_load(path, err, sizeof(err));
    unlink(path);
    FUZZ_CHECK(cfg, "config: %s", err);
    p = pipeline_new(cfg, err, sizeof(err));
    FUZZ_CHECK(p, "pipeline: %s", err);
    /* cfg stays alive with p (a pipeline may keep pointers into its sections). */
    for (size_t i = 0; i < ARRAY_SIZE(cache); i++) {
        if (!cache[i].p) {
            snprintf(cache[i].handlers, sizeof(cache[i].handlers), "%s", handlers);
            cache[i].cfg = cfg;
            cache[i].p = p;
            return p;
        }
    }
    FUZZ_CHECK(0, "too many pipelines");
}

int fuzz_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return nlen > 0 && hlen >= nlen && memmem(hay, hlen, needle, nlen) != NULL;
}

void fuzz_check_no_digit_run(const char *s, size_t n, const char *what)
{
    size_t run = 0;

    for (const char *p = s; *p; p++) {
        run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
        FUZZ_CHECK(run < n, "%s holds a run of %zu digits: %s", what, n, s);
    }
}

static const char *str_at(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int known_code(const char *c)
{
    static const char *const codes[] = {
        "SCHEMA_INVALID", "NIK_INVALID",    "NIK_MISMATCH", "APPLICANT_UNDERAGE", "NPWP_REQUIRED",
        "NPWP_INVALID",   "REGION_UNKNOWN", "KBLI_UNKNOWN", "ACTIVITY_DUPLICATE",
    };
    for (size_t i = 0; c && i < ARRAY_SIZE(codes); i++)
        if (strcmp(c, codes[i]) == 0)
            return 1;
    return 0;
}

/* The identity values of the document that must never be echoed. */
struct secrets {
    const char *v[4];
    size_t n;
};

static void secrets_of(const json_t *doc, struct secrets *s)
{
    const json_t *a = json_object_get(doc, "applicant");
    const char *nik = str_at(a, "nik"), *npwp = str_at(a, "npwp");

    s->n = 0;
    /* A NIK-shaped value (the contract's worry) and an NPWP-shaped one. */
    if (nik && all_digits(nik, 16))
        s->v[s->n++] = nik;
    if (npwp && (all_digits(npwp, 15) || all_digits(npwp, 16)) && !(nik && strcmp(nik, npwp) == 0))
        s->v[s->n++] = npwp;
}

static void check_no_secret(const struct secrets *s, const char *text, size_t len, const char *what)
{
    for (size_t i = 0; i < s->n; i++)
        FUZZ_CHECK(!fuzz_contains(text, len, s->v[i], strlen(s->v[i])),
                   "%s carries an identity number: %.*s", what, (int)len, text);
}

static void check_event(const struct item *it, const char *ev, size_t len,
                        const struct secrets *sec)
{
    json_error_t jerr;
    json_t *e = json_loadb(ev, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *data, *app;

    FUZZ_CHECK(e, "the event is not valid JSON (%s): %.*s", jerr.text, (int)len, ev);
    FUZZ_CHECK(strcmp(str_at(e, "specversion"), "1.0") == 0, "specversion");
    FUZZ_CHECK(str_at(e, "id") && strlen(str_at(e, "id")) == 36, "id");
    FUZZ_CHECK(strcmp(str_at(e, "id"), it->event_id) == 0, "id");
    data = json_object_get(e, "data");
    FUZZ_CHECK(json_is_object(data), "data");
    FUZZ_CHECK(strcmp(str_at(data, "submission_id"), it->submission_id) == 0, "submission_id");
    app = json_object_get(data, "applicant");
    FUZZ_CHECK(json_is_object(app), "applicant");
    /* The contact fields go out exactly as they came in. */
    FUZZ_CHECK(!it->name || strcmp(str_at(app, "name"), it->name) == 0, "name round trip");
    FUZZ_CHECK(!it->phone || strcmp(str_at(app, "phone"), it->phone) == 0, "phone round trip");
    FUZZ_CHECK(!it->email || strcmp(str_at(app, "email"), it->email) == 0, "email round trip");
    FUZZ_CHECK(!json_object_get(app, "nik") && !json_object_get(app, "npwp"), "nik/npwp field");
    if (it->out_rejected) {
        const json_t *rs = json_object_get(data, "reasons");
        FUZZ_CHECK(strcmp(str_at(e, "type"), EVENT_TYPE_REJECTED) == 0, "type");
        FUZZ_CHECK(strcmp(str_at(e, "subject"), it->submission_id) == 0, "subject");
        FUZZ_CHECK(json_array_size(rs) > 0, "a rejection without reasons");
        for (size_t i = 0; i < json_array_size(rs); i++) {
            const json_t *r = json_array_get(rs, i);
            const char *path = str_at(r, "path"), *msg = str_at(r, "message");
            FUZZ_CHECK(known_code(str_at(r, "code")), "unknown code %s", str_at(r, "code"));
            FUZZ_CHECK(path && (path[0] == '\0' || path[0] == '/'), "path %s", path);
            FUZZ_CHECK(msg && msg[0], "empty message");
        }
    } else {
        const json_t *acts = json_object_get(data, "activities");
        const char *masked = str_at(app, "nik_masked");
        FUZZ_CHECK(strcmp(str_at(e, "type"), EVENT_TYPE_ISSUED) == 0, "type");
        FUZZ_CHECK(strlen(str_at(data, "nib")) == 13 || it->nib[0] == '\0', "nib");
        FUZZ_CHECK(masked && strlen(masked) == 16, "nik_masked %s", masked);
        for (size_t i = 4; masked && masked[i]; i++)
            FUZZ_CHECK(masked[i] == '*', "nik_masked keeps more than 4 digits");
        FUZZ_CHECK(json_array_size(acts) == it->n_act && it->n_act > 0, "activities");
        for (size_t i = 0; i < json_array_size(acts); i++) {
            const json_t *x = json_array_get(acts, i);
            const char *risk = str_at(x, "risk"), *permit = str_at(x, "permit");
            const char *status = str_at(x, "status"), *want_p = NULL, *want_s = NULL;
            FUZZ_CHECK(rules_risk_valid(risk), "activity %zu without a risk level", i);
            FUZZ_CHECK(rules_permit(risk, &want_p, &want_s) == 0 && strcmp(permit, want_p) == 0 &&
                           strcmp(status, want_s) == 0,
                       "permit %s/%s for risk %s", permit, status, risk);
        }
        FUZZ_CHECK(rules_scale_umk(str_at(data, "scale")) ==
                       json_is_true(json_object_get(data, "umk")),
                   "umk");
    }
    /* The contact fields are the applicant's own text (a phone number may hold any digits):
     * everything else ossd wrote must not carry the identity numbers. */
    json_object_del((json_t *)app, "name");
    json_object_del((json_t *)app, "phone");
    json_object_del((json_t *)app, "email");
    /* and so is the submission_id (upstream's identifier, which may hold any digits) */
    json_object_del((json_t *)data, "submission_id");
    json_object_del(e, "subject");
    json_object_del(e, "partitionkey");
    char *rest = json_dumps(e, JSON_COMPACT);
    check_no_secret(sec, rest, strlen(rest), "an event");
    free(rest);
    json_decref(e);
}

void fuzz_decide(const struct pipeline *p, const char *value, size_t len, struct fuzz_outcome *out)
{
    static const struct event_ctx ec = {"urn:ossd", "urn:ossd:schemas"};
    struct item it;
    struct secrets sec = {{0}, 0};
    struct buf ev = {0}, key = {0};

    memset(&it, 0, sizeof(it));
    gate_check(&it, value, len);
    if (out) {
        memset(out, 0, sizeof(*out));
        out->kind = it.kind;
    }
    if (it.kind != ITEM_DECIDE) {
        FUZZ_CHECK(it.kind == ITEM_DEAD && it.dead_code && it.dead_message[0], "gate outcome");
        fuzz_check_no_digit_run(it.dead_message, 10, "a dead-letter message");
        item_clear(&it);
        return;
    }
    secrets_of(it.doc, &sec);
    /* The secrets point into the document, which pipeline_run frees: copy them. */
    char copies[4][17];
    for (size_t i = 0; i < sec.n; i++) {
        snprintf(copies[i], sizeof(copies[i]), "%s", sec.v[i]);
        sec.v[i] = copies[i];
    }
    pipeline_run(p, refdata_api(fuzz_refdata()), &it);
    FUZZ_CHECK(!it.retry, "a built-in handler asked for a retry");
    FUZZ_CHECK(it.doc == NULL, "the document was kept after the pipeline");
    FUZZ_CHECK(it.rejected == (json_array_size(it.reasons) > 0), "rejected flag and reasons");
    if (it.reasons) {
        char *r = json_dumps(it.reasons, JSON_COMPACT);
        check_no_secret(&sec, r, strlen(r), "a reason");
        if (out)
            out->reasons = r;
        else
            free(r);
        FUZZ_CHECK(json_array_size(it.reasons) <= PIPELINE_MAX_SCHEMA_REASONS + OSSD_MAX_REASONS,
                   "%zu reasons", json_array_size(it.reasons));
    }
    if (it.schema_ok && !it.rejected) {
        FUZZ_CHECK(it.scale[0] && it.authority[0] && it.n_act > 0, "an incomplete issue");
        for (size_t i = 0; i < it.n_act; i++)
            FUZZ_CHECK(rules_risk_valid(it.act[i].risk) && it.act[i].permit && it.act[i].status,
                       "activity %zu incomplete", i);
    }
    FUZZ_CHECK(!it.schema_ok || strlen(it.nik_masked) == 16 || it.nik_masked[0] == '\0',
               "nik_masked");

    /* What the store does for a fresh submission, then the event. */
    it.out_kind = it.kind;
    it.out_rejected = it.rejected;
    it.out_reasons = it.reasons ? json_deep_copy(it.reasons) : NULL;
    if (!it.out_rejected && !it.has_actor) {
        /* the store turns an issue without an actor into NPWP_REQUIRED */
        it.out_rejected = 1;
        if (!it.out_reasons)
            it.out_reasons = json_array();
        json_array_append_new(it.out_reasons,
                              json_pack("{s:s,s:s,s:s}", "code", "NPWP_REQUIRED", "path",
                                        "/applicant/npwp", "message", "no actor"));
    } else if (!it.out_rejected) {
        snprintf(it.nib, sizeof(it.nib), "8120000000017");
        it.nib_new = 1;
    }
    event_identify(&it);
    event_build(&ec, &it, 1764316801123LL, &ev, &key);
    check_event(&it, ev.data, ev.len, &sec);
    FUZZ_CHECK(key.len > 0, "empty partition key");
    if (out) {
        out->schema_ok = it.schema_ok;
        out->rejected = it.rejected;
        memcpy(out->scale, it.scale, sizeof(out->scale));
        memcpy(out->authority, it.authority, sizeof(out->authority));
        struct buf a = {0};
        for (size_t i = 0; i < it.n_act; i++)
            buf_printf(&a, "%s:%s:%s:%s;", it.act[i].kbli, it.act[i].risk,
                       it.act[i].permit ? it.act[i].permit : "-",
                       it.act[i].status ? it.act[i].status : "-");
        snprintf(out->acts, sizeof(out->acts), "%s", a.data ? a.data : "");
        buf_free(&a);
    }
    buf_free(&ev);
    buf_free(&key);
    item_clear(&it);
}

void fuzz_outcome_clear(struct fuzz_outcome *o)
{
    free(o->reasons);
    o->reasons = NULL;
}
