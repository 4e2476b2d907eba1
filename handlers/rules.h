/* rules.h: the pure decision rules of docs/rules.md (NIK, age, NPWP, scale, permit, region
 * codes), shared by the built-in handlers. No state, no allocation, thread-safe. */
#ifndef OSSD_RULES_H
#define OSSD_RULES_H

#include <ossd/handler.h>
#include <stddef.h>

/* ---- NIK ---------------------------------------------------------------------------------- */

/* The rules a NIK can break (a bit set: a NIK can break several at once). */
enum rules_nik_flaw {
    RULES_NIK_FORMAT = 1 << 0,   /* not 16 digits (the schema normally catches it) */
    RULES_NIK_PROVINCE = 1 << 1, /* province code not in the reference data */
    RULES_NIK_REGENCY = 1 << 2,  /* regency/city code 00 */
    RULES_NIK_DISTRICT = 1 << 3, /* district code 00 */
    RULES_NIK_DAY = 1 << 4,      /* day not 01-31 or 41-71 */
    RULES_NIK_MONTH = 1 << 5,    /* month not 01-12 */
    RULES_NIK_DATE = 1 << 6,     /* day and month in range but not a real calendar date */
    RULES_NIK_SERIAL = 1 << 7,   /* serial 0000 */
};

/* What a NIK says. */
struct rules_nik {
    unsigned flaws;       /* enum rules_nik_flaw bits; 0 when the NIK is valid */
    int date_valid;       /* 1 when DDMMYY is a real date (the fields below are then set) */
    int year, month, day; /* the birth date, century resolved (see rules_nik_parse) */
    char gender;          /* 'F' (day field above 40) or 'M' */
};

/*
 * Decodes and checks a NIK: province(2) regency(2) district(2) DDMMYY serial(4), women with
 * day + 40. The century is 20YY when that year is not after submitted_year, else 19YY; leap
 * years follow from the resolved year. The province is checked through rd->province_known
 * (skipped when rd is NULL). Always fills *out; returns out->flaws (0: valid).
 */
unsigned rules_nik_parse(const char *nik, int submitted_year, const struct ossd_refdata *rd,
                         struct rules_nik *out);

/* The message for one flaw bit ("NIK serial must not be 0000"); never contains the NIK. */
const char *rules_nik_flaw_message(unsigned flaw);

/*
 * Writes every flaw's message, joined by "; ", into buf (truncated to buflen). Returns buf.
 */
char *rules_nik_flaws_message(unsigned flaws, char *buf, size_t buflen);

/* ---- dates and age ------------------------------------------------------------------------ */

/* 1 when y-m-d is a real Gregorian calendar date (years 1-9999). */
int rules_date_valid(int y, int m, int d);

/* Parses "YYYY-MM-DD" (exactly) into a real date; 0 on success, -1 otherwise. */
int rules_date_parse(const char *s, int *y, int *m, int *d);

/*
 * Full years between a birth date and a day: the year difference, minus one when the (month,
 * day) of `on` comes before that of the birth. Someone born on 29 February therefore turns a
 * year older on 1 March in a non-leap year (and on 29 February in a leap year). Negative when
 * `on` precedes the birth.
 */
int rules_age_years(int by, int bm, int bd, int oy, int om, int od);

#define RULES_MIN_AGE 17

/*
 * 1 when the applicant born on birth_date ("YYYY-MM-DD") is younger than RULES_MIN_AGE full
 * years on the local submission date; the birthday itself counts as old enough. 0 otherwise,
 * and 0 when birth_date is not a real date (that is a schema matter).
 */
int rules_underage(const char *birth_date, int sub_year, int sub_month, int sub_day);

/* ---- NPWP and the business actor ---------------------------------------------------------- */

enum rules_npwp_result {
    RULES_NPWP_OK = 0,
    RULES_NPWP_REQUIRED, /* type 01 without an NPWP */
    RULES_NPWP_INVALID,  /* not 15 digits, nor a 16-digit NIK (type 02) or "0" + 15 digits */
};

/*
 * Checks the NPWP of an applicant of type "01" (badan usaha) or "02" (perseorangan): 15 digits
 * (legacy) are valid; 16 digits must be "0" + 15 digits, or, for type 02 only, the applicant's
 * own NIK. npwp may be NULL (absent).
 */
enum rules_npwp_result rules_npwp_check(const char *type, const char *nik, const char *npwp);

/*
 * The business actor key, one NIB per actor: type 02 -> "nik:<NIK>"; type 01 ->
 * "npwp:<16 digits>", a 15-digit NPWP normalised to "0" + 15 digits. Writes into out (at
 * least 22 bytes); returns 0, or -1 when no key can be made (type 01 without a valid NPWP, an
 * unknown type, a buffer too small).
 */
int rules_actor_key(const char *type, const char *nik, const char *npwp, char *out, size_t outlen);

/* ---- scale, risk and permit --------------------------------------------------------------- */

/*
 * Business scale (PP 7/2021 art. 35): from capital when present (<= 1e9 "01", <= 5e9 "02",
 * <= 10e9 "03", else "04"), otherwise from annual sales (<= 2e9, <= 15e9, <= 50e9). Returns a
 * static string, or NULL when neither is present.
 */
const char *rules_scale(int has_capital, long long capital_idr, int has_sales,
                        long long annual_sales_idr);

/* 1 for a micro or small business (scale "01" or "02"). */
int rules_scale_umk(const char *scale);

/* 1 when risk is "R", "MR", "MT" or "T". */
int rules_risk_valid(const char *risk);

/*
 * The permit for a risk level: R -> NIB/issued; MR -> SS/issued; MT -> SS/pending_verification;
 * T -> IZIN/pending_verification. Static strings; returns 0, or -1 for an unknown level (the
 * outputs are then left alone).
 */
int rules_permit(const char *risk, const char **permit, const char **status);

/* The static strings equal to a permit ("NIB", "SS", "IZIN") and a permit status ("issued",
 * "pending_verification") into the outputs; 0, or -1 when either is outside its set (the
 * outputs are then left alone). */
int rules_permit_known(const char *permit, const char *status, const char **permit_out,
                       const char **status_out);

/* ---- region codes ------------------------------------------------------------------------- */

/* The district (first 8 chars, "NN.NN.NN") of a district or village code into out[9]; 0, or -1
 * when the code does not start with a district. */
int rules_region_district(const char *code, char out[9]);

/* The regency/city ("NN.NN", the authority) of a regency, district or village code into
 * out[6]; 0, or -1 when the code does not start with one. */
int rules_region_regency(const char *code, char out[6]);

#endif /* OSSD_RULES_H */
