/* builtin.c: the table of built-in handlers and what they share. */
#include "builtin.h"

#include <stdio.h>
#include <string.h>

#include "rules.h"

const struct ossd_handler_type *const ossd_builtin_handlers[] = {
    &handler_identity, &handler_region, &handler_kbli, &handler_activity,
    &handler_scale,    &handler_risk,   NULL,
};

const struct ossd_handler_type *builtin_handler_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; ossd_builtin_handlers[i]; i++)
        if (strcmp(ossd_builtin_handlers[i]->name, name) == 0)
            return ossd_builtin_handlers[i];
    return NULL;
}

const struct ossd_refdata *builtin_refdata(const struct ossd_ctx *ctx)
{
    const struct ossd_refdata *rd = ossd_ctx_refdata(ctx);

    if (!rd)
        ossd_log(ctx, OSSD_LOG_ERROR, "no reference data loaded");
    return rd;
}

char *builtin_activity_path(size_t i, char buf[48])
{
    snprintf(buf, 48, "/business/activities/%zu/kbli", i);
    return buf;
}

const char *builtin_scale(const struct ossd_submission *s)
{
    long long capital = 0, sales = 0;
    int has_capital = ossd_submission_amount(s, OSSD_CAPITAL_IDR, &capital);
    int has_sales = ossd_submission_amount(s, OSSD_ANNUAL_SALES_IDR, &sales);

    return rules_scale(has_capital, capital, has_sales, sales);
}
