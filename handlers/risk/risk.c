/* risk: the risk level, permit and permit status of every activity. */
#include <string.h>

#include "builtin.h"
#include "rules.h"

static enum ossd_result risk_process(void *instance, const struct ossd_ctx *ctx,
                                     const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct ossd_refdata *rd = ctx->refdata;
    const char *scale = d->scale;

    (void)instance;
    if (!rd) {
        ctx->log(ctx, OSSD_LOG_ERROR, "no reference data loaded");
        return OSSD_RETRY;
    }
    /* The risk depends on the scale: compute it here when the scale handler has not run yet
     * (or is not in the chain), so the chain order never changes the outcome. */
    if (!scale[0]) {
        const char *computed = rules_scale(s->business.has_capital, s->business.capital_idr,
                                           s->business.has_sales, s->business.annual_sales_idr);
        if (computed) {
            memcpy(d->scale, computed, 3);
            d->umk = rules_scale_umk(computed);
        }
    }

    d->n_activities = 0;
    for (size_t i = 0; i < s->business.n_activities && i < OSSD_MAX_ACTIVITIES; i++) {
        const char *code = s->business.activities[i].kbli;
        const char *title, *risk, *permit = "IZIN", *status = "pending_verification";
        struct ossd_activity_out *out;

        if (!code || strlen(code) != 5)
            continue;
        title = rd->kbli_title(rd->ctx, code);
        risk = rd->kbli_risk(rd->ctx, code, d->scale);
        if (!title || !risk)
            continue; /* unknown KBLI: the kbli handler reports it */
        if (rules_permit(risk, &permit, &status) != 0)
            risk = "T"; /* never issue on a level we do not know */
        out = &d->activities[d->n_activities++];
        memcpy(out->kbli, code, 6);
        out->title = title;
        memcpy(out->risk, risk, strlen(risk) + 1);
        out->permit = permit;
        out->status = status;
    }
    return OSSD_OK;
}

static const struct ossd_config_key risk_keys[] = {{NULL, NULL, NULL}};

const struct ossd_handler_type handler_risk = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
    .name = "risk",
    .description = "risk level, permit and permit status per activity (from KBLI and scale)",
    .config_keys = risk_keys,
    .init = NULL,
    .process = risk_process,
    .destroy = NULL,
};
