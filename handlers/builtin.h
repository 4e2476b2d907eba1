/* builtin.h: the handlers compiled into ossd, in the default chain order. */
#ifndef OSSD_BUILTIN_H
#define OSSD_BUILTIN_H

#include "ossd_handler.h"

/* The checks and enrichment of docs/rules.md, one handler each. */
extern const struct ossd_handler_type handler_identity; /* NIK, age, NPWP */
extern const struct ossd_handler_type handler_region;   /* region codes, authority */
extern const struct ossd_handler_type handler_kbli;     /* KBLI codes known */
extern const struct ossd_handler_type handler_activity; /* same KBLI twice */
extern const struct ossd_handler_type handler_scale;    /* business scale, UMK */
extern const struct ossd_handler_type handler_risk;     /* risk, permit per activity */

/* Every built-in handler in the default chain order, NULL-terminated. */
extern const struct ossd_handler_type *const ossd_builtin_handlers[];

/* The built-in handler called name, or NULL. */
const struct ossd_handler_type *builtin_handler_find(const char *name);

#endif /* OSSD_BUILTIN_H */
