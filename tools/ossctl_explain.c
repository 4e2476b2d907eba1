/* ossctl_explain: one decision, its reasons with their rules, its NIB and permits, its basis. */
#include "ossctl_explain.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"
#include "rules.h"
#include "util.h"

#define NOT_RECORDED "not recorded: decided before the decision record"
#define TS(col)      "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The rule behind each reason code, one line each, as docs/rules.md and docs/lifecycle.md
 * state them. */
static const struct {
    const char *code, *rule;
} rules_text[] = {
    {"SCHEMA_INVALID", "the submission breaks schemas/submission.v1.json (a type, a required "
                       "field, a pattern or format, a length, a range, an enum); no other rule "
                       "runs"},
    {"NIK_INVALID", "the NIK's structure is impossible: province not in the reference data, "
                    "regency or district 00, day not 01-31 or 41-71, month not 01-12, no such "
                    "date, or serial 0000"},
    {"NIK_MISMATCH", "birth_date or gender differs from what the NIK encodes (a day above 40 "
                     "means F)"},
    {"APPLICANT_UNDERAGE", "by birth_date the applicant is younger than 17 full years on the "
                           "date of submitted_at"},
    {"NPWP_REQUIRED", "an applicant of type 01 (badan usaha) needs an npwp"},
    {"NPWP_INVALID", "a 16-digit NPWP is neither 0 followed by 15 digits nor, for type 02, the "
                     "applicant's own NIK"},
    {"REGION_UNKNOWN", "the district (NN.NN.NN) is not in the active region data, or the "
                       "village is not, where the data holds villages of that district"},
    {"KBLI_UNKNOWN", "the KBLI code is not in the active KBLI version"},
    {"ACTIVITY_DUPLICATE", "the same KBLI earlier in the submission, or already held by the "
                           "business actor at the same district"},
    {"NIB_FROZEN", "the business actor's NIB is frozen (05): nothing is added to it until it is "
                   "unfrozen"},
    {"NIB_REVOKED", "the business actor's NIB is revoked (06, final): it gets no new activity "
                    "and no new NIB"},
};

static const char *rule_of(const char *code)
{
    for (size_t i = 0; i < ARRAY_SIZE(rules_text); i++)
        if (strcmp(rules_text[i].code, code) == 0)
            return rules_text[i].rule;
    return "a code of a handler plugin in the chain: see that handler's documentation";
}

static const char *nib_status_name(const char *s)
{
    if (strcmp(s, "01") == 0)
        return "active";
    if (strcmp(s, "05") == 0)
        return "frozen";
    if (strcmp(s, "06") == 0)
        return "revoked";
    return "unknown";
}

/* A copy of s for display (the caller frees): a run of 15 digits or more, which could be a
 * NIK or an NPWP, keeps its first 4 digits; NULL stays NULL. */
static char *masked(const char *s)
{
    if (!s)
        return NULL;
    char *out = xstrdup(s);
    for (size_t i = 0; out[i];) {
        size_t j = i;
        while (out[j] >= '0' && out[j] <= '9')
            j++;
        if (j - i >= 15)
            memset(out + i + 4, '*', j - i - 4);
        i = j > i ? j : i + 1;
    }
    return out;
}

/* A masked string value, or JSON null. */
static json_t *jstr(const char *s)
{
    char *m = masked(s);
    json_t *v = m ? json_string(m) : json_null();
    free(m);
    return v ? v : json_string("(not UTF-8)");
}

/* Column c of row 0, or NULL when it is NULL. */
static const char *col(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorMessage(r);
        if (state && strcmp(state, "42703") == 0) /* undefined column: 009 not applied */
            fprintf(stderr,
                    "ossctl: the database has no decision record yet: run `ossctl "
                    "migrate` (%.*s)\n",
                    (int)strcspn(msg, "\n"), msg);
        else
            fprintf(stderr, "ossctl: %s", msg);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* The business actor of a rejected submission, from its recorded input: the key the store
 * would give it (rules_actor_key), or 0 when the input names none. */
static int actor_key_of_input(const PGresult *sub, char *key, size_t keylen)
{
    size_t n = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(sub, 0, 15), &n);
    json_t *doc = bytes ? json_loadb((const char *)bytes, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *a = json_object_get(doc, "applicant");
    int ok = rules_actor_key(json_string_value(json_object_get(a, "type")),
                             json_string_value(json_object_get(a, "nik")),
                             json_string_value(json_object_get(a, "npwp")), key, keylen) == 0;
    json_decref(doc);
    PQfreemem(bytes);
    return ok;
}

/* {"nib", "status", "status_name"} of the submission's business actor, or JSON null. */
static int load_nib(PGconn *conn, const PGresult *sub, json_t **out)
{
    static const char *const sql[2][2] = {
        {"SELECT nib, '01' FROM business_actors WHERE actor_id = $1::bigint",
         "SELECT nib, nib_status FROM business_actors WHERE actor_id = $1::bigint"},
        {"SELECT nib, '01' FROM business_actors WHERE actor_key = $1",
         "SELECT nib, nib_status FROM business_actors WHERE actor_key = $1"},
    };
    char key[64];
    const char *param = col(sub, 0, 9);
    int by_key = 0;

    *out = json_null();
    if (!param) {
        if (PQgetisnull(sub, 0, 15) || !actor_key_of_input(sub, key, sizeof(key)))
            return 0;
        param = key;
        by_key = 1;
    }
    PGresult *r =
        query(conn,
              "SELECT count(*) FROM pg_attribute WHERE attrelid = "
              "'business_actors'::regclass AND attname = 'nib_status' AND NOT attisdropped",
              0, NULL);
    if (!r)
        return -1;
    int has_status = atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    const char *params[1] = {param};
    if (!(r = query(conn, sql[by_key][has_status], 1, params)))
        return -1;
    if (PQntuples(r) == 1)
        *out = json_pack("{s:o,s:s,s:s}", "nib", jstr(PQgetvalue(r, 0, 0)), "status",
                         PQgetvalue(r, 0, 1), "status_name", nib_status_name(PQgetvalue(r, 0, 1)));
    PQclear(r);
    return 0;
}

/* The submission's activities, each with its permit (or "permit": null). */
static int load_permits(PGconn *conn, const char *id, json_t **out)
{
    const char *params[1] = {id};
    PGresult *r = query(
        conn,
        "SELECT a.kbli, a.district, a.risk, a.permit, p.permit_id, p.status, "
        /* A permit row keeps its last deadline after the clock ends (an audit trail);
         * explain gives the deadline only while it runs, like the events. */
        "p.clock, " TS(
            "CASE WHEN p.clock = 'running' THEN p.sla_due END") " FROM activities a "
                                                                "JOIN submissions s ON "
                                                                "s.submission_id = a.submission_id "
                                                                "LEFT JOIN permits p ON "
                                                                "p.permit_id = "
                                                                "  s.nib || '-' || a.kbli || '-' "
                                                                "|| replace(a.district, '.', '') "
                                                                "WHERE a.submission_id = $1 ORDER "
                                                                "BY a.kbli, a.district",
        1, params);
    if (!r)
        return -1;
    *out = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *permit = json_null();
        if (col(r, i, 4))
            permit = json_pack("{s:s,s:s,s:s,s:o}", "permit_id", PQgetvalue(r, i, 4), "status",
                               PQgetvalue(r, i, 5), "clock", PQgetvalue(r, i, 6), "sla_due",
                               jstr(col(r, i, 7)));
        json_array_append_new(*out, json_pack("{s:s,s:s,s:s,s:s,s:o}", "kbli", PQgetvalue(r, i, 0),
                                              "district", PQgetvalue(r, i, 1), "risk",
                                              PQgetvalue(r, i, 2), "permit_type",
                                              PQgetvalue(r, i, 3), "permit", permit));
    }
    PQclear(r);
    return 0;
}

/* The basis row of basis_id (NULL: not recorded, and every field says so). */
static int load_basis(PGconn *conn, const PGresult *sub, json_t **out)
{
    const char *basis_id = col(sub, 0, 13);

    if (!basis_id) {
        *out = json_pack("{s:b,s:s}", "recorded", 0, "note", NOT_RECORDED);
        return 0;
    }
    const char *params[1] = {basis_id};
    PGresult *r = query(conn,
                        "SELECT kbli_version, region_version, risk_version, holiday_version, "
                        "sla_version, chain::text, ossd_version, encode(digest, 'hex') "
                        "FROM decision_basis WHERE basis_id = $1::int",
                        1, params);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        fprintf(stderr, "ossctl: decision basis %s is missing\n", basis_id);
        PQclear(r);
        return -1;
    }
    json_t *chain = json_loads(PQgetvalue(r, 0, 5), 0, NULL);
    *out = json_pack("{s:b,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "recorded", 1, "basis_id",
                     atoi(basis_id), "kbli_version", jstr(col(r, 0, 0)), "region_version",
                     jstr(col(r, 0, 1)), "risk_version", jstr(col(r, 0, 2)), "holiday_version",
                     jstr(col(r, 0, 3)), "sla_version", jstr(col(r, 0, 4)), "chain",
                     chain ? chain : json_array(), "ossd_version", jstr(col(r, 0, 6)), "digest",
                     PQgetvalue(r, 0, 7));
    PQclear(r);
    return 0;
}

/* The whole explanation as one JSON object in *out (the caller decrefs). Returns 0, 1 when
 * there is no such submission, 2 on a PostgreSQL error (reported). */
static int explain(PGconn *conn, const char *id, json_t **out)
{
    const char *params[1] = {id};
    json_t *o, *nib = NULL, *permits = NULL, *basis = NULL, *reasons = json_array();
    PGresult *r = query(
        conn,
        "SELECT status, " TS("decided_at") ", " TS(
            "submitted_at") ", channel, "
                            "scale, authority, event_id::text, reasons::text, nib, actor_id::text, "
                            "src_topic, src_partition::text, src_offset::text, basis_id::text, "
                            "decision_seq::text, input, length(input)::text, "
                            "encode(payload_sha256, 'hex') FROM submissions WHERE submission_id = "
                            "$1",
        1, params);

    *out = NULL;
    if (!r)
        goto err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        json_decref(reasons);
        return 1;
    }
    json_t *stored = col(r, 0, 7) ? json_loads(PQgetvalue(r, 0, 7), 0, NULL) : NULL;
    size_t i;
    json_t *reason;
    json_array_foreach(stored, i, reason)
    {
        const char *code = json_string_value(json_object_get(reason, "code"));
        json_array_append_new(
            reasons, json_pack("{s:o,s:o,s:o,s:s}", "code", jstr(code), "path",
                               jstr(json_string_value(json_object_get(reason, "path"))), "message",
                               jstr(json_string_value(json_object_get(reason, "message"))), "rule",
                               rule_of(code ? code : "")));
    }
    json_decref(stored);
    if (load_nib(conn, r, &nib) != 0 || load_permits(conn, id, &permits) != 0 ||
        load_basis(conn, r, &basis) != 0)
        goto err;
    json_t *input =
        json_pack("{s:b,s:s}", "recorded", !PQgetisnull(r, 0, 15), "sha256", PQgetvalue(r, 0, 17));
    if (!PQgetisnull(r, 0, 15))
        json_object_set_new(input, "bytes", json_integer(atoll(PQgetvalue(r, 0, 16))));
    else
        json_object_set_new(input, "note", json_string(NOT_RECORDED));
    o = json_pack(
        "{s:o,s:{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:{s:s,s:i,s:I},s:o},s:o,s:o,s:o,s:o,s:o}",
        "submission_id", jstr(id), "decision", "status", PQgetvalue(r, 0, 0), "decided_at",
        PQgetvalue(r, 0, 1), "submitted_at", jstr(col(r, 0, 2)), "channel", jstr(col(r, 0, 3)),
        "scale", jstr(col(r, 0, 4)), "authority", jstr(col(r, 0, 5)), "event_id",
        PQgetvalue(r, 0, 6), "source", "topic", PQgetvalue(r, 0, 10), "partition",
        atoi(PQgetvalue(r, 0, 11)), "offset", (json_int_t)atoll(PQgetvalue(r, 0, 12)),
        "decision_seq", col(r, 0, 14) ? json_integer(atoll(PQgetvalue(r, 0, 14))) : json_null(),
        "reasons", reasons, "nib", nib, "permits", permits, "basis", basis, "input", input);
    PQclear(r);
    *out = o;
    return o ? 0 : 2;
err:
    PQclear(r);
    json_decref(reasons);
    json_decref(nib);
    json_decref(permits);
    json_decref(basis);
    return 2;
}

static const char *s_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static void print_text(const json_t *o)
{
    const json_t *d = json_object_get(o, "decision"), *src = json_object_get(d, "source");
    const json_t *nib = json_object_get(o, "nib"), *b = json_object_get(o, "basis");
    const json_t *in = json_object_get(o, "input"), *v;
    size_t i;

    printf("submission    %s\n", s_or(o, "submission_id", "-"));
    printf("decision      %s\n", s_or(d, "status", "-"));
    printf("decided_at    %s\n", s_or(d, "decided_at", "-"));
    printf("submitted_at  %s\n", s_or(d, "submitted_at", "-"));
    printf("channel       %s\n", s_or(d, "channel", "-"));
    printf("scale         %s\n", s_or(d, "scale", "-"));
    printf("authority     %s\n", s_or(d, "authority", "-"));
    printf("event_id      %s\n", s_or(d, "event_id", "-"));
    printf("source        %s[%lld]@%lld\n", s_or(src, "topic", "-"),
           (long long)json_integer_value(json_object_get(src, "partition")),
           (long long)json_integer_value(json_object_get(src, "offset")));
    v = json_object_get(d, "decision_seq");
    if (json_is_integer(v))
        printf("decision_seq  %lld\n", (long long)json_integer_value(v));
    else
        printf("decision_seq  %s\n", NOT_RECORDED);
    printf("reasons       %zu\n", json_array_size(json_object_get(o, "reasons")));
    json_array_foreach(json_object_get(o, "reasons"), i, v)
    {
        printf("  %s at %s: %s\n", s_or(v, "code", "-"), s_or(v, "path", "-"),
               s_or(v, "message", "-"));
        printf("      rule: %s\n", s_or(v, "rule", "-"));
    }
    if (json_is_object(nib))
        printf("nib           %s, status %s (%s)\n", s_or(nib, "nib", "-"),
               s_or(nib, "status", "-"), s_or(nib, "status_name", "-"));
    else
        printf("nib           none (no business actor %s)\n",
               strcmp(s_or(d, "status", ""), "issued") == 0 ? "recorded"
                                                            : "known for this applicant");
    printf("permits       %zu activit%s\n", json_array_size(json_object_get(o, "permits")),
           json_array_size(json_object_get(o, "permits")) == 1 ? "y" : "ies");
    json_array_foreach(json_object_get(o, "permits"), i, v)
    {
        const json_t *p = json_object_get(v, "permit");
        if (json_is_object(p))
            printf("  %s  kbli %s risk %s  %s, clock %s, sla_due %s\n", s_or(p, "permit_id", "-"),
                   s_or(v, "kbli", "-"), s_or(v, "risk", "-"), s_or(p, "status", "-"),
                   s_or(p, "clock", "-"), s_or(p, "sla_due", "-"));
        else
            printf("  kbli %s at %s risk %s: no permit\n", s_or(v, "kbli", "-"),
                   s_or(v, "district", "-"), s_or(v, "risk", "-"));
    }
    printf("basis\n");
    if (json_is_true(json_object_get(b, "recorded"))) {
        printf("  basis_id    %lld (digest %s)\n",
               (long long)json_integer_value(json_object_get(b, "basis_id")),
               s_or(b, "digest", "-"));
        printf("  kbli        %s\n", s_or(b, "kbli_version", "-"));
        printf("  regions     %s\n", s_or(b, "region_version", "-"));
        printf("  risk        %s\n", s_or(b, "risk_version", "-"));
        printf("  holidays    %s\n", s_or(b, "holiday_version", "-"));
        printf("  sla         %s\n", s_or(b, "sla_version", "-"));
        printf("  ossd        %s\n", s_or(b, "ossd_version", "-"));
        printf("  chain       %zu handler(s)\n", json_array_size(json_object_get(b, "chain")));
        json_array_foreach(json_object_get(b, "chain"), i, v)
            printf("    %s (type %s, config sha256 %s)\n", s_or(v, "name", "-"),
                   s_or(v, "type", "-"), s_or(v, "config_sha256", "-"));
    } else {
        printf("  versions, chain, ossd: %s\n", NOT_RECORDED);
    }
    printf("input         sha256 %s, ", s_or(in, "sha256", "-"));
    if (json_is_true(json_object_get(in, "recorded")))
        printf("%lld bytes recorded\n",
               (long long)json_integer_value(json_object_get(in, "bytes")));
    else
        printf("bytes %s\n", NOT_RECORDED);
}

int ossctl_explain_main(int argc, char **argv, const char *pg)
{
    const char *id = NULL;
    int as_json = 0, rc = 2;
    char msg[1024];
    PGconn *conn = NULL;
    json_t *o = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else
            id = NULL, i = argc;
    }
    if (!id || argc > 3) {
        fprintf(stderr, "usage: ossctl explain SUBMISSION_ID [--json]\n");
        return 2;
    }
    if (!(conn = pgconn_open(pg, msg, sizeof(msg)))) {
        fprintf(stderr, "ossctl: %s\n", msg);
        goto out;
    }
    rc = explain(conn, id, &o);
    if (rc == 1) {
        char *m = masked(id);
        fprintf(stderr, "ossctl: no submission %s (never decided here)\n", m);
        free(m);
    }
    if (rc != 0)
        goto out;
    if (as_json) {
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
    } else {
        print_text(o);
    }
    rc = 0;
out:
    json_decref(o);
    PQfinish(conn);
    return rc;
}
