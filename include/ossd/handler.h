/* ossd/handler.h: the handler ABI, version 2; the only ossd header a handler includes.
 *
 * A handler checks or enriches one submission. A handler *type* is a const struct
 * ossd_handler_type (name, description, typed config keys, init, process, destroy); an *instance*
 * is whatever init returns, built from the instance's own config section:
 *
 *     [pipeline]
 *     handlers = identity, region, kbli, activity, scale, risk, closed_a, closed_b
 *     [handler.closed_a]
 *     type = localreg          ; the handler type; without it the instance name is the type
 *     rules = 47221@33.74
 *     [handler.closed_b]
 *     type = localreg
 *     rules = 11010@33.22
 *
 * Built-in types are compiled into ossd. External ones are shared objects in the configured
 * plugin directory, named TYPE.so, exporting
 *
 *     const struct ossd_handler_type *ossd_handler_entry(void);
 *
 * Nothing of ossd's memory layout is compiled into a handler: the submission, the decision
 * draft, the reference data, the context and the configuration are opaque handles read and
 * written through the functions below, which the ossd executable exports. The one struct a
 * handler fills, struct ossd_handler_type, starts with the ABI version and its own size and ends
 * with reserved slots, so that later minor versions add members without breaking older plugins.
 * ossd refuses, at start-up and with a message naming the handler, a type of another major
 * version (ABI 1 plugins included), of a newer minor version, or too small.
 *
 * Threading: process() may be called for different submissions at the same time from several
 * threads; it must treat its instance as read-only. Every handle and every string a handler
 * receives is valid only during the call (reference data strings: while the batch lasts).
 */
#ifndef OSSD_HANDLER_ABI_H
#define OSSD_HANDLER_ABI_H

#include <stddef.h>
#include <stdint.h>

#define OSSD_HANDLER_ABI_MAJOR 2
#define OSSD_HANDLER_ABI_MINOR 0

#if defined(__GNUC__)
#define OSSD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define OSSD_PRINTF(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles: ossd's own, never dereferenced by a handler. */
struct ossd_submission;     /* the submission being decided, read-only */
struct ossd_decision;       /* the decision draft every handler of the chain adds to */
struct ossd_refdata;        /* the active reference data, read-only */
struct ossd_ctx;            /* the call's context (reference data, logging) */
struct ossd_handler_config; /* an instance's config section, during init only */

/* What a stage decided: go on, the submission is rejected (reasons were added), or a transient
 * failure (ossd retries the batch later). */
enum ossd_result {
    OSSD_OK = 0,
    OSSD_REJECT = 1,
    OSSD_RETRY = 2,
};

/* ---- the submission (it passed the JSON Schema: required fields are present) --------------- */

/* The string fields of a submission. */
enum ossd_field {
    OSSD_SUBMISSION_ID = 0,
    OSSD_SUBMITTED_AT,         /* RFC 3339, as submitted */
    OSSD_CHANNEL,              /* "online", "counter", "outreach" */
    OSSD_APPLICANT_TYPE,       /* "01" badan usaha, "02" perseorangan */
    OSSD_APPLICANT_NIK,        /* 16 digits: never log it */
    OSSD_APPLICANT_NAME,       /* never log it */
    OSSD_APPLICANT_BIRTH_DATE, /* YYYY-MM-DD */
    OSSD_APPLICANT_GENDER,     /* "F" or "M" */
    OSSD_APPLICANT_NPWP,       /* 15 or 16 digits, or NULL: never log it */
    OSSD_APPLICANT_PHONE,      /* or NULL: never log it */
    OSSD_APPLICANT_EMAIL,      /* or NULL: never log it */
    OSSD_APPLICANT_STREET,
    OSSD_APPLICANT_REGION_CODE, /* NN.NN.NN or NN.NN.NN.NNNN */
    OSSD_BUSINESS_NAME,
    OSSD_BUSINESS_REGION_CODE, /* the business location */
    OSSD_BUSINESS_STREET,
};

/* The string value of a field, or NULL when absent (or for an unknown field). */
const char *ossd_submission_field(const struct ossd_submission *s, enum ossd_field field);

/* The integer fields of a submission. */
enum ossd_amount {
    OSSD_CAPITAL_IDR = 0,
    OSSD_ANNUAL_SALES_IDR,
    OSSD_WORKERS,
};

/* 1 and *value set when the amount is present (reals beyond the range saturate), else 0. */
int ossd_submission_amount(const struct ossd_submission *s, enum ossd_amount amount,
                           long long *value);

/* The local calendar date of submitted_at (at its own offset). */
void ossd_submission_date(const struct ossd_submission *s, int *year, int *month, int *day);

/* The number of requested activities (at most OSSD_MAX_ACTIVITIES), and the KBLI code (5 digits)
 * and description (or NULL) of activity i (NULL when i is out of range). */
#define OSSD_MAX_ACTIVITIES 20
size_t ossd_submission_activity_count(const struct ossd_submission *s);
const char *ossd_submission_activity_kbli(const struct ossd_submission *s, size_t i);
const char *ossd_submission_activity_description(const struct ossd_submission *s, size_t i);

/* Any value of the document by JSON Pointer (RFC 6901, "" is the document): */
enum ossd_json_kind {
    OSSD_JSON_ABSENT = 0,
    OSSD_JSON_NULL,
    OSSD_JSON_BOOL,
    OSSD_JSON_NUMBER,
    OSSD_JSON_STRING,
    OSSD_JSON_ARRAY,
    OSSD_JSON_OBJECT,
};
/* its kind (OSSD_JSON_ABSENT when nothing is there); */
enum ossd_json_kind ossd_submission_kind(const struct ossd_submission *s, const char *pointer);
/* a string, or NULL when the value is not a string; */
const char *ossd_submission_string(const struct ossd_submission *s, const char *pointer);
/* a number (or a boolean as 0/1) into *value: 1, or 0 when it is neither; */
int ossd_submission_number(const struct ossd_submission *s, const char *pointer, double *value);
/* the number of members of an array or object (0 for anything else). */
size_t ossd_submission_size(const struct ossd_submission *s, const char *pointer);

/* The submission's JSON text as received (not terminated), its length in *len; read-only. */
const char *ossd_submission_raw(const struct ossd_submission *s, size_t *len);

/* ---- the decision draft -------------------------------------------------------------------- */

/*
 * Adds a reason for a rejection: a reason code of docs/rules.md or the handler's own (1-39
 * characters of A-Z, 0-9 and _, starting with a letter), the JSON Pointer of the offending value
 * ("" for the document) and a printf-style message that names the rule broken and never echoes
 * an identity or contact value. Returns 0; -1 when the code or path is malformed (the message
 * then becomes an INTERNAL_ERROR dead letter naming the handler). Reasons beyond the draft's
 * capacity (64) are counted, not kept.
 */
int ossd_add_reason(struct ossd_decision *d, const char *code, const char *path, const char *fmt,
                    ...) OSSD_PRINTF(4, 5);

/* 1 when the draft already holds a reason with this code and path. */
int ossd_has_reason(const struct ossd_decision *d, const char *code, const char *path);

/* The number of reasons the draft holds. */
size_t ossd_reason_count(const struct ossd_decision *d);

/* Sets the business scale ("01".."04"; the UMK flag follows: 01 and 02); 0, or -1 for another
 * value (then a dead letter, as above). */
int ossd_set_scale(struct ossd_decision *d, const char *scale);

/* The scale set so far ("" until set). */
const char *ossd_decision_scale(const struct ossd_decision *d);

/* Sets the authority, the regency/city NN.NN of the business location; 0, or -1 when malformed
 * (then a dead letter). */
int ossd_set_authority(struct ossd_decision *d, const char *regency);

/*
 * Sets what ossd issues for one requested activity: risk "R", "MR", "MT" or "T", permit "NIB",
 * "SS" or "IZIN", status "issued" or "pending_verification"; title must be a reference data
 * string (ossd_refdata_kbli_title) or static. An activity already set for kbli is replaced.
 * Returns 0; -1 for a value outside those sets or a full draft (then a dead letter).
 */
int ossd_set_activity(struct ossd_decision *d, const char *kbli, const char *title,
                      const char *risk, const char *permit, const char *status);

/* Forgets every activity set so far. */
void ossd_clear_activities(struct ossd_decision *d);

/* ---- reference data and context ------------------------------------------------------------ */

/* The active reference data, or NULL when none is loaded (return OSSD_RETRY then). */
const struct ossd_refdata *ossd_ctx_refdata(const struct ossd_ctx *ctx);

enum ossd_log_level {
    OSSD_LOG_ERROR = 3,
    OSSD_LOG_WARNING = 4,
    OSSD_LOG_INFO = 6,
    OSSD_LOG_DEBUG = 7,
};

/* Logs a line attributed to the handler instance (HANDLER field) and the submission. Never pass a
 * NIK, NPWP, phone, email or name. */
void ossd_log(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
    OSSD_PRINTF(3, 4);

enum ossd_region_status {
    OSSD_REGION_UNKNOWN = 0, /* the district (or the village of a district with villages) */
    OSSD_REGION_KNOWN = 1,
};

/* 1 when the two-digit province code exists. */
int ossd_refdata_province_known(const struct ossd_refdata *rd, const char *province2);
/* Status of a district (NN.NN.NN) or village (NN.NN.NN.NNNN) code; a village code is checked
 * only where the data holds villages for its district, otherwise its district decides. */
enum ossd_region_status ossd_refdata_region(const struct ossd_refdata *rd, const char *code);
/* The KBLI title, or NULL when the code is not in the active version. */
const char *ossd_refdata_kbli_title(const struct ossd_refdata *rd, const char *kbli);
/* The risk level ("R", "MR", "MT", "T") of a KBLI code for a scale ("01".."04"; a per-scale
 * entry wins over the code's default), or NULL when the code is unknown. */
const char *ossd_refdata_kbli_risk(const struct ossd_refdata *rd, const char *kbli,
                                   const char *scale);

/* ---- configuration ------------------------------------------------------------------------- */

/* The type of a config key. ossd parses and checks every key before init: a key the type does
 * not declare, a value of the wrong type or out of range, or a missing required key stops the
 * start-up (and a reload) with a message naming the instance and the key. */
enum ossd_config_type {
    OSSD_CONFIG_STRING = 1,
    OSSD_CONFIG_INT,  /* decimal, within [min, max] */
    OSSD_CONFIG_BOOL, /* true/false, yes/no, on/off, 1/0 */
    OSSD_CONFIG_LIST, /* comma-separated, each entry trimmed, no empty entry */
};

struct ossd_config_key {
    const char *name;
    enum ossd_config_type type;
    const char *default_value; /* NULL: no default */
    int required;              /* 1: the section must set it */
    long long min, max;        /* OSSD_CONFIG_INT only; both 0: any */
    const char *description;
};

/* The value of a key during init (the default when the section does not set it): */
/* a string (also the raw text of any other type), or NULL when neither set nor defaulted; */
const char *ossd_config_string(const struct ossd_handler_config *cfg, const char *key);
/* an integer or a boolean (0 when unset); */
long long ossd_config_int(const struct ossd_handler_config *cfg, const char *key);
int ossd_config_bool(const struct ossd_handler_config *cfg, const char *key);
/* a list: its entry count, and entry i (NULL when out of range). */
size_t ossd_config_list_count(const struct ossd_handler_config *cfg, const char *key);
const char *ossd_config_list_item(const struct ossd_handler_config *cfg, const char *key, size_t i);
/* The instance's name (the [handler.NAME] it was built from). */
const char *ossd_config_instance(const struct ossd_handler_config *cfg);

/* ---- registration -------------------------------------------------------------------------- */

struct ossd_handler_type {
    uint32_t abi_major;   /* OSSD_HANDLER_ABI_MAJOR */
    uint32_t abi_minor;   /* OSSD_HANDLER_ABI_MINOR */
    uint32_t struct_size; /* sizeof(struct ossd_handler_type) */
    uint32_t flags;       /* 0; reserved */
    const char *name;
    const char *description;
    const struct ossd_config_key *config_keys; /* terminated by {NULL}; may be NULL */
    /* Builds an instance from the config; 0, or -1 with err filled. May be NULL (no instance).
     * The instance is freed by destroy. */
    int (*init)(void **instance, const struct ossd_handler_config *cfg, char *err, size_t errlen);
    /* Checks or enriches one submission. */
    enum ossd_result (*process)(void *instance, const struct ossd_ctx *ctx,
                                const struct ossd_submission *s, struct ossd_decision *d);
    /* Frees the instance; may be NULL. */
    void (*destroy)(void *instance);
    void *reserved[8]; /* zero: room for later minor versions */
};

/* The initializer of the version members: OSSD_HANDLER_TYPE_HEADER, .name = ... */
#define OSSD_HANDLER_TYPE_HEADER                                                                   \
    .abi_major = OSSD_HANDLER_ABI_MAJOR, .abi_minor = OSSD_HANDLER_ABI_MINOR,                      \
    .struct_size = (uint32_t)sizeof(struct ossd_handler_type)

/* The symbol a shared-object handler exports. */
typedef const struct ossd_handler_type *(*ossd_handler_entry_fn)(void);
#define OSSD_HANDLER_ENTRY "ossd_handler_entry"

#ifdef __cplusplus
}
#endif

#endif /* OSSD_HANDLER_ABI_H */
