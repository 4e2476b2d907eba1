/* scale: the business scale (PP 7/2021 art. 35) and the UMK flag. */
#include "builtin.h"
#include "rules.h"

static enum ossd_result scale_process(void *instance, const struct ossd_ctx *ctx,
                                      const struct ossd_submission *s, struct ossd_decision *d)
{
    const char *scale = builtin_scale(s);

    (void)instance;
    (void)ctx;
    if (!scale) {
        /* The schema requires one of the two; never issue without a scale. */
        ossd_add_reason(d, "SCHEMA_INVALID", "/business",
                        "at least one of capital_idr and annual_sales_idr is required");
        return OSSD_REJECT;
    }
    ossd_set_scale(d, scale);
    return OSSD_OK;
}

BUILTIN_HANDLER(scale, "sets the business scale (01-04) and the UMK flag", scale_process);
