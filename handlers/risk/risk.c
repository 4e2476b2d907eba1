/* risk: the risk level, permit and permit status of every activity. */
#include <string.h>

#include "builtin.h"
#include "rules.h"

static enum ossd_result risk_process(void *instance, const struct ossd_ctx *ctx,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = builtin_refdata(ctx);
    size_t n = ossd_submission_activity_count(s);
    const char *scale;

    (void)instance;
    if (!rd)
        return OSSD_RETRY;
    /* The risk depends on the scale: compute it here when the scale handler has not run yet
     * (or is not in the chain), so the chain order never changes the outcome. */
    if (!ossd_decision_scale(d)[0] && (scale = builtin_scale(s)))
        ossd_set_scale(d, scale);
    scale = ossd_decision_scale(d);

    ossd_clear_activities(d);
    for (size_t i = 0; i < n; i++) {
        const char *code = ossd_submission_activity_kbli(s, i);
        const char *title, *risk, *permit = "IZIN", *status = "pending_verification";

        if (!code || strlen(code) != 5)
            continue;
        title = ossd_refdata_kbli_title(rd, code);
        risk = ossd_refdata_kbli_risk(rd, code, scale);
        if (!title || !risk)
            continue; /* unknown KBLI: the kbli handler reports it */
        if (rules_permit(risk, &permit, &status) != 0)
            risk = "T"; /* never issue on a level we do not know */
        ossd_set_activity(d, code, title, risk, permit, status);
    }
    return OSSD_OK;
}

BUILTIN_HANDLER(risk, "risk level, permit and permit status per activity (from KBLI and scale)",
                risk_process);
