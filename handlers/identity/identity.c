/* identity: NIK structure and consistency, minimum age, NPWP (docs/rules.md). */
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "rules.h"

/* NIK_INVALID, then NIK_MISMATCH for birth date and gender when the NIK's date is valid. */
static int check_nik(const struct ossd_refdata *rd, const struct ossd_submission *s, int year,
                     struct ossd_decision *d)
{
    const char *birth = ossd_submission_field(s, OSSD_APPLICANT_BIRTH_DATE);
    const char *gender = ossd_submission_field(s, OSSD_APPLICANT_GENDER);
    struct rules_nik nik;
    char msg[200], date[16];
    int found = 0;

    if (rules_nik_parse(ossd_submission_field(s, OSSD_APPLICANT_NIK), year, rd, &nik)) {
        ossd_add_reason(d, "NIK_INVALID", "/applicant/nik", "%s",
                        rules_nik_flaws_message(nik.flaws, msg, sizeof(msg)));
        found++;
    }
    if (!nik.date_valid)
        return found;
    snprintf(date, sizeof(date), "%04d-%02d-%02d", nik.year, nik.month, nik.day);
    if (!birth || strcmp(birth, date) != 0) {
        ossd_add_reason(d, "NIK_MISMATCH", "/applicant/birth_date",
                        "birth_date differs from the birth date encoded in the NIK");
        found++;
    }
    if (!gender || gender[0] != nik.gender || gender[1] != '\0') {
        ossd_add_reason(d, "NIK_MISMATCH", "/applicant/gender",
                        "gender differs from the one encoded in the NIK (birth day above 40 "
                        "means F)");
        found++;
    }
    return found;
}

static int check_npwp(const struct ossd_submission *s, struct ossd_decision *d)
{
    switch (rules_npwp_check(ossd_submission_field(s, OSSD_APPLICANT_TYPE),
                             ossd_submission_field(s, OSSD_APPLICANT_NIK),
                             ossd_submission_field(s, OSSD_APPLICANT_NPWP))) {
    case RULES_NPWP_REQUIRED:
        ossd_add_reason(d, "NPWP_REQUIRED", "/applicant/npwp",
                        "a badan usaha (applicant type 01) needs an NPWP");
        return 1;
    case RULES_NPWP_INVALID:
        ossd_add_reason(d, "NPWP_INVALID", "/applicant/npwp",
                        "a 16-digit NPWP must be 0 followed by the 15-digit NPWP, or the "
                        "applicant's own NIK (perseorangan, type 02, only)");
        return 1;
    case RULES_NPWP_OK:
        break;
    }
    return 0;
}

static enum ossd_result identity_process(void *instance, const struct ossd_ctx *ctx,
                                         const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = builtin_refdata(ctx);
    int found, year, month, day;

    (void)instance;
    if (!rd)
        return OSSD_RETRY;
    ossd_submission_date(s, &year, &month, &day);
    found = check_nik(rd, s, year, d);
    if (rules_underage(ossd_submission_field(s, OSSD_APPLICANT_BIRTH_DATE), year, month, day)) {
        ossd_add_reason(d, "APPLICANT_UNDERAGE", "/applicant/birth_date",
                        "the applicant must be at least %d full years old on the submission "
                        "date",
                        RULES_MIN_AGE);
        found++;
    }
    found += check_npwp(s, d);
    return found ? OSSD_REJECT : OSSD_OK;
}

BUILTIN_HANDLER(identity,
                "NIK_INVALID, NIK_MISMATCH, APPLICANT_UNDERAGE, NPWP_REQUIRED, NPWP_INVALID",
                identity_process);
