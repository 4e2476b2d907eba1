/* scale: the business scale (PP 7/2021 art. 35) and the UMK flag. */
#include <string.h>

#include "builtin.h"
#include "rules.h"

static enum ossd_result scale_process(void *instance, const struct ossd_ctx *ctx,
                                      const struct ossd_submission *s, struct ossd_decision *d)
{
    const char *scale = rules_scale(s->business.has_capital, s->business.capital_idr,
                                    s->business.has_sales, s->business.annual_sales_idr);

    (void)instance;
    (void)ctx;
    if (!scale) {
        /* The schema requires one of the two; never issue without a scale. */
        ossd_add_reason(d, "SCHEMA_INVALID", "/business",
                        "at least one of capital_idr and annual_sales_idr is required");
        return OSSD_REJECT;
    }
    memcpy(d->scale, scale, 3);
    d->umk = rules_scale_umk(scale);
    return OSSD_OK;
}

static const struct ossd_config_key scale_keys[] = {{NULL, NULL, NULL}};

const struct ossd_handler_type handler_scale = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
    .name = "scale",
    .description = "sets the business scale (01-04) and the UMK flag",
    .config_keys = scale_keys,
    .init = NULL,
    .process = scale_process,
    .destroy = NULL,
};
