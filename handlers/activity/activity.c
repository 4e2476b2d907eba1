/* activity: ACTIVITY_DUPLICATE for the same KBLI twice in one submission (the NIB-level
 * duplicate, an activity already registered under the NIB at that district, is the store's). */
#include <stdio.h>
#include <string.h>

#include "builtin.h"

static enum ossd_result activity_process(void *instance, const struct ossd_ctx *ctx,
                                         const struct ossd_submission *s, struct ossd_decision *d)
{
    size_t n = s->business.n_activities;
    int found = 0;

    (void)instance;
    (void)ctx;
    if (n > OSSD_MAX_ACTIVITIES)
        n = OSSD_MAX_ACTIVITIES;
    /* At most 20 activities: the quadratic scan is cheaper than any set. */
    for (size_t j = 1; j < n; j++) {
        const char *code = s->business.activities[j].kbli;

        for (size_t i = 0; i < j; i++) {
            const char *earlier = s->business.activities[i].kbli;
            char path[48];

            if (!code || !earlier || strcmp(code, earlier) != 0)
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", j);
            ossd_add_reason(d, "ACTIVITY_DUPLICATE", path,
                            "KBLI %.10s is already requested at /business/activities/%zu", code, i);
            found++;
            break; /* one reason per later occurrence, naming the first */
        }
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

static const struct ossd_config_key activity_keys[] = {{NULL, NULL, NULL}};

const struct ossd_handler_type handler_activity = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
    .name = "activity",
    .description = "ACTIVITY_DUPLICATE for the same KBLI twice in one submission",
    .config_keys = activity_keys,
    .init = NULL,
    .process = activity_process,
    .destroy = NULL,
};
