/* builtin.c: the table of built-in handlers. */
#include "builtin.h"

#include <string.h>

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
