/* rules.c: the pure decision rules of docs/rules.md. */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "base.h"

/* The number made of the two digits at s (which must be digits). */
static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && is_leap(y))
        return 29;
    return days[m - 1];
}

int rules_date_valid(int y, int m, int d)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    return d <= days_in_month(y, m);
}

int rules_date_parse(const char *s, int *y, int *m, int *d)
{
    int yy, mm, dd;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    yy = two(s) * 100 + two(s + 2);
    mm = two(s + 5);
    dd = two(s + 8);
    if (!rules_date_valid(yy, mm, dd))
        return -1;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

unsigned rules_nik_parse(const char *nik, int submitted_year, const struct ossd_refdata *rd,
                         struct rules_nik *out)
{
    char province[3];
    int day_field, day, month, yy, year;
    int day_ok, month_ok;

    memset(out, 0, sizeof(*out));
    if (!all_digits(nik, 16)) {
        out->flaws = RULES_NIK_FORMAT;
        return out->flaws;
    }
    memcpy(province, nik, 2);
    province[2] = '\0';
    if (rd && !ossd_refdata_province_known(rd, province))
        out->flaws |= RULES_NIK_PROVINCE;
    if (two(nik + 2) == 0)
        out->flaws |= RULES_NIK_REGENCY;
    if (two(nik + 4) == 0)
        out->flaws |= RULES_NIK_DISTRICT;
    if (strcmp(nik + 12, "0000") == 0)
        out->flaws |= RULES_NIK_SERIAL;

    day_field = two(nik + 6);
    month = two(nik + 8);
    yy = two(nik + 10);
    day_ok = (day_field >= 1 && day_field <= 31) || (day_field >= 41 && day_field <= 71);
    month_ok = month >= 1 && month <= 12;
    if (!day_ok)
        out->flaws |= RULES_NIK_DAY;
    if (!month_ok)
        out->flaws |= RULES_NIK_MONTH;
    if (!day_ok || !month_ok)
        return out->flaws;

    year = (2000 + yy <= submitted_year) ? 2000 + yy : 1900 + yy;
    day = day_field > 40 ? day_field - 40 : day_field;
    if (!rules_date_valid(year, month, day)) {
        out->flaws |= RULES_NIK_DATE;
        return out->flaws;
    }
    out->date_valid = 1;
    out->year = year;
    out->month = month;
    out->day = day;
    out->gender = day_field > 40 ? 'F' : 'M';
    return out->flaws;
}

const char *rules_nik_flaw_message(unsigned flaw)
{
    switch (flaw) {
    case RULES_NIK_FORMAT:
        return "NIK must be 16 digits";
    case RULES_NIK_PROVINCE:
        return "NIK province code is unknown";
    case RULES_NIK_REGENCY:
        return "NIK regency code must not be 00";
    case RULES_NIK_DISTRICT:
        return "NIK district code must not be 00";
    case RULES_NIK_DAY:
        return "NIK birth day must be 01-31 or 41-71";
    case RULES_NIK_MONTH:
        return "NIK birth month must be 01-12";
    case RULES_NIK_DATE:
        return "NIK birth date is not a real calendar date";
    case RULES_NIK_SERIAL:
        return "NIK serial must not be 0000";
    default:
        return "NIK is invalid";
    }
}

/* Every message together fits an ossd_reason message (200 bytes). */
char *rules_nik_flaws_message(unsigned flaws, char *buf, size_t buflen)
{
    size_t used = 0;

    if (buflen == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned bit = 1; bit <= RULES_NIK_SERIAL; bit <<= 1) {
        int n;

        if (!(flaws & bit))
            continue;
        n = snprintf(buf + used, buflen - used, "%s%s", used ? "; " : "",
                     rules_nik_flaw_message(bit));
        if (n < 0 || (size_t)n >= buflen - used)
            break; /* truncated: snprintf left a terminated prefix */
        used += (size_t)n;
    }
    if (used == 0 && flaws)
        snprintf(buf, buflen, "%s", rules_nik_flaw_message(0));
    return buf;
}

int rules_age_years(int by, int bm, int bd, int oy, int om, int od)
{
    int age = oy - by;

    if (om < bm || (om == bm && od < bd))
        age--;
    return age;
}

int rules_underage(const char *birth_date, int sub_year, int sub_month, int sub_day)
{
    int y, m, d;

    if (rules_date_parse(birth_date, &y, &m, &d) != 0)
        return 0;
    return rules_age_years(y, m, d, sub_year, sub_month, sub_day) < RULES_MIN_AGE;
}

enum rules_npwp_result rules_npwp_check(const char *type, const char *nik, const char *npwp)
{
    if (!npwp)
        return type && strcmp(type, "01") == 0 ? RULES_NPWP_REQUIRED : RULES_NPWP_OK;
    if (all_digits(npwp, 15))
        return RULES_NPWP_OK;
    if (!all_digits(npwp, 16))
        return RULES_NPWP_INVALID;
    if (npwp[0] == '0')
        return RULES_NPWP_OK;
    if (type && strcmp(type, "02") == 0 && nik && strcmp(npwp, nik) == 0)
        return RULES_NPWP_OK;
    return RULES_NPWP_INVALID;
}

int rules_actor_key(const char *type, const char *nik, const char *npwp, char *out, size_t outlen)
{
    int n;

    if (!type || outlen == 0)
        return -1;
    if (strcmp(type, "02") == 0) {
        if (!all_digits(nik, 16))
            return -1;
        n = snprintf(out, outlen, "nik:%s", nik);
    } else if (strcmp(type, "01") == 0) {
        if (rules_npwp_check(type, nik, npwp) != RULES_NPWP_OK)
            return -1;
        n = snprintf(out, outlen, "npwp:%s%s", strlen(npwp) == 15 ? "0" : "", npwp);
    } else {
        return -1;
    }
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

const char *rules_scale(int has_capital, long long capital_idr, int has_sales,
                        long long annual_sales_idr)
{
    if (has_capital) {
        if (capital_idr <= 1000000000LL)
            return "01";
        if (capital_idr <= 5000000000LL)
            return "02";
        if (capital_idr <= 10000000000LL)
            return "03";
        return "04";
    }
    if (has_sales) {
        if (annual_sales_idr <= 2000000000LL)
            return "01";
        if (annual_sales_idr <= 15000000000LL)
            return "02";
        if (annual_sales_idr <= 50000000000LL)
            return "03";
        return "04";
    }
    return NULL;
}

int rules_scale_umk(const char *scale)
{
    return scale && (strcmp(scale, "01") == 0 || strcmp(scale, "02") == 0);
}

int rules_risk_valid(const char *risk)
{
    return risk && (strcmp(risk, "R") == 0 || strcmp(risk, "MR") == 0 || strcmp(risk, "MT") == 0 ||
                    strcmp(risk, "T") == 0);
}

/* The permit and its status for each risk level: every value either may take. */
static const struct {
    const char *risk, *permit, *status;
} permit_map[] = {
    {"R", "NIB", "issued"},
    {"MR", "SS", "issued"},
    {"MT", "SS", "pending_verification"},
    {"T", "IZIN", "pending_verification"},
};

int rules_permit_known(const char *permit, const char *status, const char **permit_out,
                       const char **status_out)
{
    const char *p = NULL, *st = NULL;

    for (size_t i = 0; i < sizeof(permit_map) / sizeof(permit_map[0]); i++) {
        if (permit && !p && strcmp(permit, permit_map[i].permit) == 0)
            p = permit_map[i].permit;
        if (status && !st && strcmp(status, permit_map[i].status) == 0)
            st = permit_map[i].status;
    }
    if (!p || !st)
        return -1;
    *permit_out = p;
    *status_out = st;
    return 0;
}

int rules_permit(const char *risk, const char **permit, const char **status)
{
    const size_t n = sizeof(permit_map) / sizeof(permit_map[0]);

    if (!risk)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(risk, permit_map[i].risk) == 0) {
            *permit = permit_map[i].permit;
            *status = permit_map[i].status;
            return 0;
        }
    }
    return -1;
}

/* 1 when code starts with "NN.NN" followed by end or '.' (n_parts 2) or "NN.NN.NN" followed by
 * end or '.' (n_parts 3). */
static int has_prefix_parts(const char *code, int n_parts)
{
    size_t len = (size_t)n_parts * 3 - 1;

    if (!code || strlen(code) < len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 3 == 2) {
            if (code[i] != '.')
                return 0;
        } else if (code[i] < '0' || code[i] > '9') {
            return 0;
        }
    }
    return code[len] == '\0' || code[len] == '.';
}

int rules_region_district(const char *code, char out[9])
{
    if (!has_prefix_parts(code, 3))
        return -1;
    memcpy(out, code, 8);
    out[8] = '\0';
    return 0;
}

int rules_region_regency(const char *code, char out[6])
{
    if (!has_prefix_parts(code, 2))
        return -1;
    memcpy(out, code, 5);
    out[5] = '\0';
    return 0;
}
