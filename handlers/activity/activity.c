/* activity: ACTIVITY_DUPLICATE for the same KBLI twice in one submission (the NIB-level
 * duplicate, an activity already registered under the NIB at that district, is the store's). */
#include <string.h>

#include "builtin.h"

static enum ossd_result activity_process(void *instance, const struct ossd_ctx *ctx,
                                         const struct ossd_submission *s, struct ossd_decision *d)
{
    size_t n = ossd_submission_activity_count(s);
    int found = 0;

    (void)instance;
    (void)ctx;
    /* At most 20 activities: the quadratic scan is cheaper than any set. */
    for (size_t j = 1; j < n; j++) {
        const char *code = ossd_submission_activity_kbli(s, j);

        for (size_t i = 0; i < j; i++) {
            const char *earlier = ossd_submission_activity_kbli(s, i);
            char path[48];

            if (!code || !earlier || strcmp(code, earlier) != 0)
                continue;
            ossd_add_reason(d, "ACTIVITY_DUPLICATE", builtin_activity_path(j, path),
                            "KBLI %.10s is already requested at /business/activities/%zu", code, i);
            found++;
            break; /* one reason per later occurrence, naming the first */
        }
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

BUILTIN_HANDLER(activity, "ACTIVITY_DUPLICATE for the same KBLI twice in one submission",
                activity_process);
