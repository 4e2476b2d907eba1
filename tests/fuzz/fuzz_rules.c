/* fuzz_rules: the pure rule parsers of handlers/rules.h (NIK, dates and age, NPWP and actor key,
 * scale, permit, region codes) and the RFC 3339 parser, over arbitrary strings and numbers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rules.h"
#include "util.h"

/* Takes the next NUL-free string (up to a 0xff separator) from the input. */
static char *next_str(const uint8_t **p, size_t *n)
{
    size_t len = 0;
    while (len < *n && (*p)[len] != 0xff)
        len++;
    char *s = malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if ((*p)[i])
            s[k++] = (char)(*p)[i];
    s[k] = '\0';
    *p += len < *n ? len + 1 : len;
    *n -= len < *n ? len + 1 : len;
    return s;
}

static long long next_ll(const uint8_t **p, size_t *n)
{
    unsigned long long v = 0;
    for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
        v = (v << 8) | **p;
    return (long long)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ossd_refdata *rd = refdata_api(fuzz_refdata());
    const uint8_t *p = data;
    size_t n = size;
    char *nik = next_str(&p, &n), *date = next_str(&p, &n), *type = next_str(&p, &n);
    char *npwp = next_str(&p, &n), *region = next_str(&p, &n), *risk = next_str(&p, &n);
    long long a = next_ll(&p, &n), b = next_ll(&p, &n);
    int year = (int)(a % 10000), flags = (int)(b & 0xffff);
    struct rules_nik nk;
    char buf[256], key[32], out9[9], out6[6];
    int y, m, d;
    int64_t ms;

    /* NIK */
    unsigned flaws = rules_nik_parse(nik, year, (flags & 1) ? rd : NULL, &nk);
    FUZZ_CHECK(flaws == nk.flaws, "returned flaws");
    if (!all_digits(nik, 16))
        FUZZ_CHECK(flaws == RULES_NIK_FORMAT, "a malformed NIK");
    if (nk.date_valid) {
        FUZZ_CHECK(rules_date_valid(nk.year, nk.month, nk.day), "NIK date");
        FUZZ_CHECK(nk.gender == 'F' || nk.gender == 'M', "NIK gender");
        FUZZ_CHECK(nk.year <= year || nk.year < 2000, "NIK century");
    }
    if (flaws == 0)
        FUZZ_CHECK(nk.date_valid, "a valid NIK without a date");
    size_t blen = (size_t)(b >> 16 & 0xff);
    rules_nik_flaws_message(flaws | (unsigned)(b >> 24 & 0xff), buf, blen);
    if (blen)
        FUZZ_CHECK(memchr(buf, '\0', blen) != NULL, "flaws message not terminated");
    fuzz_check_no_digit_run(rules_nik_flaws_message(flaws, buf, sizeof(buf)), 5, "a NIK message");

    /* dates and age */
    if (rules_date_parse(date, &y, &m, &d) == 0) {
        FUZZ_CHECK(strlen(date) == 10 && rules_date_valid(y, m, d), "a parsed date");
        int age = rules_age_years(y, m, d, year, (int)(a >> 16 & 15), (int)(a >> 24 & 31));
        (void)age;
        rules_underage(date, year, 1 + (int)(a >> 32 & 15) % 12, 1 + (int)(a >> 40 & 31) % 28);
    } else {
        FUZZ_CHECK(rules_underage(date, year, 1, 1) == 0, "underage of a non-date");
    }
    rules_date_valid((int)a, (int)b, (int)(a >> 32));

    /* NPWP and the actor key */
    enum rules_npwp_result nr =
        rules_npwp_check((flags & 2) ? NULL : type, nik, (flags & 4) ? NULL : npwp);
    FUZZ_CHECK(nr == RULES_NPWP_OK || nr == RULES_NPWP_REQUIRED || nr == RULES_NPWP_INVALID,
               "npwp");
    size_t klen = (flags & 8) ? (size_t)(flags >> 8) % 32 : sizeof(key);
    if (rules_actor_key(type, nik, npwp, key, klen) == 0) {
        FUZZ_CHECK(strlen(key) == 20 || strlen(key) == 21, "actor key %s", key);
        FUZZ_CHECK(strncmp(key, "nik:", 4) == 0 || strncmp(key, "npwp:", 5) == 0, "actor key");
    }

    /* scale, risk, permit */
    const char *sc = rules_scale(flags & 16, a, flags & 32, b);
    FUZZ_CHECK((sc != NULL) == ((flags & 48) != 0), "scale presence");
    if (sc)
        FUZZ_CHECK(strlen(sc) == 2 && sc[0] == '0' && sc[1] >= '1' && sc[1] <= '4', "scale");
    rules_scale_umk(sc);
    const char *permit = "x", *status = "y";
    if (rules_permit(risk, &permit, &status) == 0)
        FUZZ_CHECK(rules_risk_valid(risk), "a permit for an invalid risk");
    else
        FUZZ_CHECK(!rules_risk_valid(risk) && strcmp(permit, "x") == 0, "permit untouched");

    /* region codes */
    if (rules_region_district(region, out9) == 0)
        FUZZ_CHECK(strlen(out9) == 8 && strncmp(out9, region, 8) == 0, "district");
    if (rules_region_regency(region, out6) == 0)
        FUZZ_CHECK(strlen(out6) == 5 && strncmp(out6, region, 5) == 0, "regency");
    rd->region(rd->ctx, region);
    rd->kbli_title(rd->ctx, region);
    rd->kbli_risk(rd->ctx, region, sc ? sc : risk);
    rd->province_known(rd->ctx, region);

    /* RFC 3339 (submitted_at) and masking */
    if (rfc3339_to_ms(date, &ms) == 0)
        FUZZ_CHECK(strlen(date) >= 20, "a short date-time parsed");
    rfc3339_to_ms(nik, &ms);
    char masked[64];
    mask_keep(npwp, 4, masked, (size_t)(flags >> 10) % sizeof(masked));

    free(nik);
    free(date);
    free(type);
    free(npwp);
    free(region);
    free(risk);
    return 0;
}
