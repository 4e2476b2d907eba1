/* builtin.h: the handlers compiled into ossd, in the default chain order. They use the public
 * ABI only (include/ossd/handler.h), as a plugin does. */
#ifndef OSSD_BUILTIN_H
#define OSSD_BUILTIN_H

#include <ossd/handler.h>

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

/* The registration of a built-in without config keys nor instance: handler_<id>. */
#define BUILTIN_HANDLER(id, desc, process_fn)                                                      \
    const struct ossd_handler_type handler_##id = {OSSD_HANDLER_TYPE_HEADER, .name = #id,          \
                                                   .description = (desc), .process = (process_fn)}

/* The reference data of the call; NULL (logged: the handler returns OSSD_RETRY) when none is
 * loaded. */
const struct ossd_refdata *builtin_refdata(const struct ossd_ctx *ctx);

/* Writes the JSON Pointer of activity i's KBLI code into buf[48]; returns buf. */
char *builtin_activity_path(size_t i, char buf[48]);

/* The scale of the submission's capital, else its annual sales (rules_scale), or NULL. */
const char *builtin_scale(const struct ossd_submission *s);

#endif /* OSSD_BUILTIN_H */
