/* fuzz_chain: schema-valid submissions generated from the input bytes (identity numbers,
 * dates, regions, KBLI codes, money at the thresholds, hostile text) through the gate, the JSON
 * Schema and the handler chain, twice: in the default order and reversed. Both must pass the
 * schema, hold the invariants of common.c and reach the same outcome (the README: "the order of
 * the rules never changes the outcome"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "util.h"

struct src {
    const uint8_t *p;
    size_t n;
};

static unsigned u8(struct src *s)
{
    if (!s->n)
        return 0;
    s->n--;
    return *s->p++;
}

static unsigned below(struct src *s, unsigned n)
{
    unsigned v = u8(s) | u8(s) << 8;
    return n ? v % n : 0;
}

static void digits(struct src *s, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + below(s, 10));
    out[n] = '\0';
}

/* Text of 1..max code points from a hostile palette: quotes, backslashes, controls, SQL and
 * shell metacharacters, right-to-left marks, Arabic and Hebrew, emoji, a lone combining mark. */
static json_t *text(struct src *s, size_t max, size_t max_cp)
{
    static const char *const pal[] = {
        "a",
        "Z",
        " ",
        "'",
        "\"",
        "\\",
        "\t",
        "\n",
        "\r",
        ";",
        "-",
        "$(",
        ")",
        "`",
        "%",
        "_",
        "\x01",
        "\x1f",
        "\x7f",
        "é",
        "ß",
        "‮",
        "‏",
        "ع",
        "שָׁ",
        "\xf0\x9f\x98\x80",
        "🇮🇩",
        "\xcc\x81",
        "'; DROP TABLE submissions; --",
        "$(rm -rf /)",
        "\\x00",
        "\xe2\x80\xa8",
        "丁",
    };
    struct buf b = {0};
    size_t n = 1 + below(s, (unsigned)max), cps = 0;
    for (size_t i = 0; i < n; i++) {
        const char *piece = pal[below(s, ARRAY_SIZE(pal))];
        size_t c = 0;
        for (const char *q = piece; *q; q++)
            c += ((unsigned char)*q & 0xc0) != 0x80;
        if (cps + c > max_cp)
            break;
        buf_puts(&b, piece);
        cps += c;
    }
    json_t *v = json_string(b.data ? b.data : "x");
    buf_free(&b);
    return v ? v : json_string("x");
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static void date(struct src *s, int *y, int *m, int *d)
{
    *y = 1900 + (int)below(s, 200);
    *m = 1 + (int)below(s, 12);
    *d = 1 + (int)below(s, (unsigned)mdays(*y, *m));
}

static json_t *money(struct src *s)
{
    static const long long edges[] = {
        0,
        1,
        999999999,
        1000000000,
        1000000001,
        5000000000LL,
        5000000001LL,
        10000000000LL,
        10000000001LL,
        2000000000LL,
        15000000000LL,
        15000000001LL,
        50000000000LL,
        50000000001LL,
        9223372036854775807LL,
    };
    switch (below(s, 4)) {
    case 0:
        return json_integer(edges[below(s, ARRAY_SIZE(edges))]);
    case 1: /* an integral real: JSON Schema counts 1e9 as an integer */
        return json_real((double)edges[below(s, ARRAY_SIZE(edges))]);
    case 2:
        return json_real(below(s, 2) ? 1e300 : 1e18);
    default:
        return json_integer((long long)(u8(s) | u8(s) << 8 | (unsigned long long)u8(s) << 16 |
                                        (unsigned long long)u8(s) << 32));
    }
}

static const char *district(struct src *s, char *buf)
{
    switch (below(s, 4)) {
    case 0: /* anything of the right shape */
        snprintf(buf, 9, "%02u.%02u.%02u", below(s, 100), below(s, 100), below(s, 100));
        return buf;
    default:
        return fuzz_districts[below(s, (unsigned)fuzz_n_districts)];
    }
}

static json_t *region_code(struct src *s)
{
    char d[9], v[16];
    const char *dist = district(s, d);
    if (below(s, 3) == 0) {
        snprintf(v, sizeof(v), "%s.%04u", dist,
                 below(s, 3) ? 1000 + below(s, 10) : below(s, 10000));
        return json_string(v);
    }
    return json_string(dist);
}

/* A NIK: usually consistent with the birth date and gender, sometimes broken on purpose. */
static void nik(struct src *s, char out[17], int y, int m, int d, int female)
{
    char prov[3];
    unsigned k = below(s, 8);
    snprintf(prov, sizeof(prov), "%s",
             k == 0 ? "00" : fuzz_provinces[below(s, (unsigned)fuzz_n_provinces)]);
    unsigned reg = below(s, 8) ? 1 + below(s, 99) : 0, dis = below(s, 8) ? 1 + below(s, 99) : 0;
    unsigned day = (unsigned)d + (female ? 40 : 0), mon = (unsigned)m, yy = (unsigned)(y % 100);
    unsigned serial = below(s, 8) ? 1 + below(s, 9999) : 0;
    if (k == 1)
        day = below(s, 100);
    if (k == 2)
        mon = below(s, 100);
    if (k == 3)
        yy = below(s, 100);
    snprintf(out, 17, "%s%02u%02u%02u%02u%02u%04u", prov, reg % 100, dis % 100, day % 100,
             mon % 100, yy % 100, serial % 10000);
    if (k == 4)
        digits(s, out, 16);
}

static json_t *submission(struct src *s, unsigned serial)
{
    char id[32], sub_at[64], birth[16], nk[17], npwp[17], tz[8];
    int sy, sm, sd, by, bm, bd, female = (int)below(s, 2);
    json_t *doc, *a, *addr, *b, *loc, *acts;

    snprintf(id, sizeof(id), "fz-%u.%u:%u_x", serial, below(s, 1000), below(s, 100));
    sy = 2000 + (int)below(s, 60);
    sm = 1 + (int)below(s, 12);
    sd = 1 + (int)below(s, (unsigned)mdays(sy, sm));
    static const char *const tzs[] = {"Z",      "+07:00", "+08:00", "+09:00",
                                      "-12:00", "+14:00", "+00:00"};
    snprintf(tz, sizeof(tz), "%s", tzs[below(s, ARRAY_SIZE(tzs))]);
    snprintf(sub_at, sizeof(sub_at), "%04d-%02d-%02dT%02u:%02u:%02u%s%s", sy, sm, sd, below(s, 24),
             below(s, 60), below(s, 60), below(s, 2) ? ".123" : "", tz);
    if (below(s, 4) == 0) { /* near the 17th birthday, across 29 February */
        by = sy - 17;
        bm = sm;
        bd = sd;
        if (below(s, 2) && bd > 1)
            bd--;
        else if (below(s, 2) && bd < mdays(by, bm))
            bd++;
        if (!below(s, 4) && bm == 3 && bd == 1 && is_leap(by - 1))
            by--;
        if (bm == 2 && bd == 29 && !is_leap(by))
            bd = 28;
    } else {
        date(s, &by, &bm, &bd);
    }
    snprintf(birth, sizeof(birth), "%04d-%02d-%02d", by, bm, bd);
    nik(s, nk, by, bm, bd, female);
    if (below(s, 6) == 0) { /* a birth date or gender that disagrees with the NIK */
        date(s, &by, &bm, &bd);
        snprintf(birth, sizeof(birth), "%04d-%02d-%02d", by, bm, bd);
    }

    doc = json_object();
    json_object_set_new(doc, "schema", json_string("oss.submission.v1"));
    json_object_set_new(doc, "submission_id", json_string(id));
    json_object_set_new(doc, "submitted_at", json_string(sub_at));
    static const char *const channels[] = {"online", "counter", "outreach"};
    json_object_set_new(doc, "channel", json_string(channels[below(s, 3)]));
    a = json_object();
    int type01 = below(s, 4) == 0;
    json_object_set_new(a, "type", json_string(type01 ? "01" : "02"));
    json_object_set_new(a, "nik", json_string(nk));
    json_object_set_new(a, "name", text(s, 12, 200));
    json_object_set_new(a, "birth_date", json_string(birth));
    json_object_set_new(a, "gender", json_string((below(s, 8) ? female : !female) ? "F" : "M"));
    switch (below(s, 6)) {
    case 0:
        break; /* none: NPWP_REQUIRED for type 01 */
    case 1:
        digits(s, npwp, 15);
        json_object_set_new(a, "npwp", json_string(npwp));
        break;
    case 2:
        npwp[0] = '0';
        digits(s, npwp + 1, 15);
        json_object_set_new(a, "npwp", json_string(npwp));
        break;
    case 3:
        json_object_set_new(a, "npwp", json_string(nk));
        break;
    default:
        digits(s, npwp, 16);
        json_object_set_new(a, "npwp", json_string(npwp));
    }
    if (below(s, 2)) {
        char ph[40];
        digits(s, ph, 1 + below(s, 31));
        json_object_set_new(a, "phone", json_string(ph));
    }
    if (below(s, 2)) {
        char em[64];
        snprintf(em, sizeof(em), "user%u.x+y@contoh%u.id", below(s, 1000), below(s, 10));
        json_object_set_new(a, "email", json_string(em));
    }
    addr = json_object();
    json_object_set_new(addr, "street", text(s, 8, 400));
    json_object_set_new(addr, "region_code", region_code(s));
    json_object_set_new(a, "address", addr);
    json_object_set_new(doc, "applicant", a);

    b = json_object();
    json_object_set_new(b, "name", text(s, 12, 200));
    unsigned which = below(s, 3);
    if (which != 1)
        json_object_set_new(b, "capital_idr", money(s));
    if (which != 0)
        json_object_set_new(b, "annual_sales_idr", money(s));
    json_object_set_new(b, "workers",
                        below(s, 4) ? json_integer(below(s, 100001))
                                    : json_real((double)below(s, 100001)));
    loc = json_object();
    json_object_set_new(loc, "region_code", region_code(s));
    json_object_set_new(loc, "street", text(s, 8, 400));
    json_object_set_new(b, "location", loc);
    acts = json_array();
    /* mostly one to three activities, sometimes up to the limit of 20 */
    unsigned n_act = below(s, 8) ? 1 + below(s, 3) : 1 + below(s, 20);
    for (unsigned i = 0; i < n_act; i++) {
        json_t *x = json_object();
        char kb[6];
        if (below(s, 6) == 0)
            digits(s, kb, 5);
        else
            snprintf(kb, sizeof(kb), "%s", fuzz_kbli_codes[below(s, (unsigned)fuzz_n_kbli_codes)]);
        json_object_set_new(x, "kbli", json_string(kb));
        if (below(s, 3) == 0)
            json_object_set_new(x, "description", text(s, 6, 500));
        json_array_append_new(acts, x);
    }
    json_object_set_new(b, "activities", acts);
    json_object_set_new(doc, "business", b);
    if (below(s, 8) == 0) /* forward compatibility: unknown fields are ignored */
        json_object_set_new(doc, "x_future", json_pack("{s:[i,s,n]}", "k", 1, "v"));
    return doc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned serial;
    struct src s = {data, size};
    struct fuzz_outcome fwd, rev;
    json_t *doc = submission(&s, serial++);
    char *value = json_dumps(doc, JSON_COMPACT | (below(&s, 2) ? JSON_ENSURE_ASCII : 0));

    json_decref(doc);
    fuzz_decide(fuzz_pipeline("identity, region, kbli, activity, scale, risk"), value,
                strlen(value), &fwd);
    FUZZ_CHECK(fwd.kind == ITEM_DECIDE, "the gate refused a generated submission: %s", value);
    FUZZ_CHECK(fwd.schema_ok, "a generated submission failed the schema: %s\nreasons: %s", value,
               fwd.reasons ? fwd.reasons : "-");
    fuzz_decide(fuzz_pipeline("risk, scale, activity, kbli, region, identity"), value,
                strlen(value), &rev);
    FUZZ_CHECK(fwd.rejected == rev.rejected, "the chain order changed the outcome: %s", value);
    FUZZ_CHECK((!fwd.reasons && !rev.reasons) ||
                   (fwd.reasons && rev.reasons && strcmp(fwd.reasons, rev.reasons) == 0),
               "the chain order changed the reasons:\n%s\n%s\n%s", fwd.reasons, rev.reasons, value);
    if (!fwd.rejected)
        FUZZ_CHECK(strcmp(fwd.scale, rev.scale) == 0 && strcmp(fwd.authority, rev.authority) == 0 &&
                       strcmp(fwd.acts, rev.acts) == 0,
                   "the chain order changed the issue: %s/%s %s | %s/%s %s", fwd.scale,
                   fwd.authority, fwd.acts, rev.scale, rev.authority, rev.acts);
    fuzz_outcome_clear(&fwd);
    fuzz_outcome_clear(&rev);
    free(value);
    return 0;
}
