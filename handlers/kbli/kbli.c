/* kbli: KBLI_UNKNOWN for every activity whose code is not in the active reference data. */
#include "builtin.h"

static enum ossd_result kbli_process(void *instance, const struct ossd_ctx *ctx,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = builtin_refdata(ctx);
    size_t n = ossd_submission_activity_count(s);
    int found = 0;

    (void)instance;
    if (!rd)
        return OSSD_RETRY;
    for (size_t i = 0; i < n; i++) {
        const char *code = ossd_submission_activity_kbli(s, i);
        char path[48];

        if (code && ossd_refdata_kbli_title(rd, code))
            continue;
        ossd_add_reason(d, "KBLI_UNKNOWN", builtin_activity_path(i, path),
                        "KBLI %.10s is not in the active KBLI version", code ? code : "(none)");
        found++;
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

BUILTIN_HANDLER(kbli, "KBLI_UNKNOWN for activities whose code is not in the reference data",
                kbli_process);
