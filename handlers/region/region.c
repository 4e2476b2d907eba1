/* region: REGION_UNKNOWN for the applicant address and the business location; the authority. */
#include <string.h>

#include "builtin.h"
#include "rules.h"

static int check_code(const struct ossd_refdata *rd, const char *code, const char *path,
                      struct ossd_decision *d)
{
    char district[9];

    if (code && ossd_refdata_region(rd, code) == OSSD_REGION_KNOWN)
        return 0;
    if (code && strlen(code) > 8 && rules_region_district(code, district) == 0 &&
        ossd_refdata_region(rd, district) == OSSD_REGION_KNOWN)
        ossd_add_reason(d, "REGION_UNKNOWN", path,
                        "village %.20s is not in the reference data of district %s", code,
                        district);
    else
        ossd_add_reason(d, "REGION_UNKNOWN", path,
                        "district of region code %.20s is not in "
                        "the reference data",
                        code ? code : "(none)");
    return 1;
}

static enum ossd_result region_process(void *instance, const struct ossd_ctx *ctx,
                                       const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = builtin_refdata(ctx);
    const char *location = ossd_submission_field(s, OSSD_BUSINESS_REGION_CODE);
    char authority[6];
    int found = 0;

    (void)instance;
    if (!rd)
        return OSSD_RETRY;
    found += check_code(rd, ossd_submission_field(s, OSSD_APPLICANT_REGION_CODE),
                        "/applicant/address/region_code", d);
    found += check_code(rd, location, "/business/location/region_code", d);
    if (rules_region_regency(location, authority) == 0)
        ossd_set_authority(d, authority);
    return found ? OSSD_REJECT : OSSD_OK;
}

BUILTIN_HANDLER(region, "REGION_UNKNOWN for address and business location; sets the authority",
                region_process);
