/* region: REGION_UNKNOWN for the applicant address and the business location; the authority. */
#include <string.h>

#include "builtin.h"
#include "rules.h"

static int check_code(const struct ossd_refdata *rd, const char *code, const char *path,
                      struct ossd_decision *d)
{
    char district[9];

    if (code && rd->region(rd->ctx, code) == OSSD_REGION_KNOWN)
        return 0;
    if (code && strlen(code) > 8 && rules_region_district(code, district) == 0 &&
        rd->region(rd->ctx, district) == OSSD_REGION_KNOWN)
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
    const struct ossd_refdata *rd = ctx->refdata;
    char authority[6];
    int found = 0;

    (void)instance;
    if (!rd) {
        ctx->log(ctx, OSSD_LOG_ERROR, "no reference data loaded");
        return OSSD_RETRY;
    }
    found += check_code(rd, s->applicant.region_code, "/applicant/address/region_code", d);
    found += check_code(rd, s->business.region_code, "/business/location/region_code", d);
    if (rules_region_regency(s->business.region_code, authority) == 0)
        memcpy(d->authority, authority, sizeof(authority));
    return found ? OSSD_REJECT : OSSD_OK;
}

static const struct ossd_config_key region_keys[] = {{NULL, NULL, NULL}};

const struct ossd_handler_type handler_region = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
    .name = "region",
    .description = "REGION_UNKNOWN for address and business location; sets the authority",
    .config_keys = region_keys,
    .init = NULL,
    .process = region_process,
    .destroy = NULL,
};
