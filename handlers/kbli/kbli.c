/* kbli: KBLI_UNKNOWN for every activity whose code is not in the active reference data. */
#include <stdio.h>

#include "builtin.h"

static enum ossd_result kbli_process(void *instance, const struct ossd_ctx *ctx,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = ctx->refdata;
    int found = 0;

    (void)instance;
    if (!rd) {
        ctx->log(ctx, OSSD_LOG_ERROR, "no reference data loaded");
        return OSSD_RETRY;
    }
    for (size_t i = 0; i < s->business.n_activities && i < OSSD_MAX_ACTIVITIES; i++) {
        const char *code = s->business.activities[i].kbli;
        char path[48];

        if (code && rd->kbli_title(rd->ctx, code))
            continue;
        snprintf(path, sizeof(path), "/business/activities/%zu/kbli", i);
        ossd_add_reason(d, "KBLI_UNKNOWN", path, "KBLI %.10s is not in the active KBLI version",
                        code ? code : "(none)");
        found++;
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

static const struct ossd_config_key kbli_keys[] = {{NULL, NULL, NULL}};

const struct ossd_handler_type handler_kbli = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
    .name = "kbli",
    .description = "KBLI_UNKNOWN for activities whose code is not in the reference data",
    .config_keys = kbli_keys,
    .init = NULL,
    .process = kbli_process,
    .destroy = NULL,
};
