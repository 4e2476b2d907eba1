/* ossd_handler.h: the ABI between ossd and its handlers; the only header a handler includes. */
#ifndef OSSD_HANDLER_H
#define OSSD_HANDLER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/*
 * A handler checks or enriches one submission. A handler *type* is a const
 * struct ossd_handler_type (name, description, config keys, init, process,
 * destroy); an *instance* is whatever init returns, built from the handler's
 * own config section ([handler.NAME]).
 *
 * Built-in handlers are compiled into ossd. External ones are shared objects
 * in the configured plugin directory, named NAME.so, exporting
 *
 *     const struct ossd_handler_type *ossd_handler_entry(void);
 *
 * ossd refuses a type whose abi_version is not OSSD_HANDLER_ABI_VERSION.
 *
 * Threading: process() may be called for different submissions at the same
 * time from several threads; it must treat its instance as read-only.
 * Everything a handler receives is valid only during the call.
 */
#define OSSD_HANDLER_ABI_VERSION 1

#define OSSD_MAX_ACTIVITIES 20
#define OSSD_MAX_REASONS    64

/* What a stage decided: go on, the submission is rejected (reasons were
 * appended), or a transient failure (ossd retries the batch later). */
enum ossd_result {
    OSSD_OK = 0,
    OSSD_REJECT = 1,
    OSSD_RETRY = 2,
};

/* One requested activity, as submitted. */
struct ossd_activity_in {
    const char *kbli;        /* 5 digits */
    const char *description; /* NULL when absent */
};

/*
 * A submission that passed the JSON Schema: every required field is present
 * and well-formed (formats included). Optional fields are NULL when absent.
 */
struct ossd_submission {
    const char *submission_id;
    const char *submitted_at; /* RFC 3339, as submitted */
    /* The local calendar date of submitted_at (at its own offset). */
    int submitted_year, submitted_month, submitted_day;
    const char *channel; /* "online", "counter", "outreach" */
    struct {
        const char *type; /* "01" badan usaha, "02" perseorangan */
        const char *nik;  /* 16 digits */
        const char *name;
        const char *birth_date; /* YYYY-MM-DD */
        const char *gender;     /* "F" or "M" */
        const char *npwp;       /* 15 or 16 digits, or NULL */
        const char *phone;      /* or NULL */
        const char *email;      /* or NULL */
        const char *street;
        const char *region_code; /* NN.NN.NN or NN.NN.NN.NNNN */
    } applicant;
    struct {
        const char *name;
        int has_capital;
        long long capital_idr;
        int has_sales;
        long long annual_sales_idr;
        long long workers;
        const char *region_code;
        const char *street;
        size_t n_activities;
        struct ossd_activity_in activities[OSSD_MAX_ACTIVITIES];
    } business;
    const void *doc; /* the whole parsed document (a jansson json_t *), read-only */
};

/* One reason for a rejection: a reason code of docs/rules.md, the JSON Pointer of the
 * offending value ("" for the document) and a message that names the rule
 * broken and never echoes an identity or contact value. */
struct ossd_reason {
    char code[40];
    char path[96];
    char message[200];
};

/* What ossd issues for one activity. */
struct ossd_activity_out {
    char kbli[6];
    const char *title;  /* from reference data; valid while the batch lasts */
    char risk[3];       /* "R", "MR", "MT", "T" */
    const char *permit; /* "NIB", "SS", "IZIN" */
    const char *status; /* "issued", "pending_verification" */
};

/* The decision draft every handler appends to. */
struct ossd_decision {
    size_t n_reasons;
    int reasons_truncated; /* more than OSSD_MAX_REASONS were found */
    struct ossd_reason reasons[OSSD_MAX_REASONS];

    /* Enrichment, meaningful when no reason was found. */
    char scale[3];     /* "01".."04", "" until set */
    int umk;           /* scale 01 or 02 */
    char authority[6]; /* NN.NN of the business location */
    size_t n_activities;
    struct ossd_activity_out activities[OSSD_MAX_ACTIVITIES];
};

/* Region lookups answered by ossd_refdata.region(). */
enum ossd_region_status {
    OSSD_REGION_UNKNOWN =
        0, /* the district (or the village of a district with villages) is not known */
    OSSD_REGION_KNOWN = 1,
};

/* Read access to the active reference data. */
struct ossd_refdata {
    const void *ctx;
    /* 1 when the two-digit province code exists. */
    int (*province_known)(const void *ctx, const char *province2);
    /* Status of a district (NN.NN.NN) or village (NN.NN.NN.NNNN) code. A
     * village code is checked only where the data holds villages for its
     * district; otherwise its district decides. */
    enum ossd_region_status (*region)(const void *ctx, const char *code);
    /* The KBLI title, or NULL when the code is not in the active version. */
    const char *(*kbli_title)(const void *ctx, const char *kbli);
    /* The risk level ("R", "MR", "MT", "T") of a KBLI code for a business
     * scale ("01".."04"; a per-scale entry wins over the code's default), or
     * NULL when the code is unknown. */
    const char *(*kbli_risk)(const void *ctx, const char *kbli, const char *scale);
};

/* Log levels for ossd_ctx.log. */
enum ossd_log_level {
    OSSD_LOG_ERROR = 3,
    OSSD_LOG_WARNING = 4,
    OSSD_LOG_INFO = 6,
    OSSD_LOG_DEBUG = 7,
};

/* What process() gets besides the submission and the draft. */
struct ossd_ctx {
    const struct ossd_refdata *refdata;
    /* Logs a line attributed to the handler (HANDLER field) and the
     * submission. Never pass a NIK, NPWP, phone or email. */
    void (*log)(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    const void *opaque; /* ossd's own */
};

/* A handler's config section, read-only during init. */
struct ossd_handler_config {
    const void *ctx;
    /* The value of key in [handler.NAME], or NULL when not set. */
    const char *(*get)(const void *ctx, const char *key);
};

/* A config key a handler accepts; ossd rejects keys a handler does not list. */
struct ossd_config_key {
    const char *name;
    const char *description;
    const char *default_value; /* NULL: no default */
};

struct ossd_handler_type {
    int abi_version; /* OSSD_HANDLER_ABI_VERSION */
    const char *name;
    const char *description;
    const struct ossd_config_key *config_keys; /* terminated by {NULL} */
    /* Builds an instance from the config; 0 on success, or -1 with err
     * filled. May be NULL (no instance). The instance is freed by destroy. */
    int (*init)(void **instance, const struct ossd_handler_config *cfg, char *err, size_t errlen);
    /* Checks or enriches one submission. */
    enum ossd_result (*process)(void *instance, const struct ossd_ctx *ctx,
                                const struct ossd_submission *s, struct ossd_decision *d);
    /* Frees the instance; may be NULL. */
    void (*destroy)(void *instance);
};

/* The symbol a shared-object handler exports. */
typedef const struct ossd_handler_type *(*ossd_handler_entry_fn)(void);

/*
 * Appends a reason to the draft (printf-style message). Returns OSSD_REJECT,
 * so a handler can `return ossd_reject(...)`; use ossd_add_reason and go on
 * when more reasons may follow.
 */
static inline void ossd_add_reason(struct ossd_decision *d, const char *code, const char *path,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static inline void ossd_add_reason(struct ossd_decision *d, const char *code, const char *path,
                                   const char *fmt, ...)
{
    struct ossd_reason *r;
    va_list ap;

    if (d->n_reasons >= OSSD_MAX_REASONS) {
        d->reasons_truncated = 1;
        return;
    }
    r = &d->reasons[d->n_reasons++];
    snprintf(r->code, sizeof(r->code), "%s", code);
    snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
}

/* 1 when the draft already holds a reason with this code and path. */
static inline int ossd_has_reason(const struct ossd_decision *d, const char *code, const char *path)
{
    for (size_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i].code, code) == 0 && strcmp(d->reasons[i].path, path) == 0)
            return 1;
    return 0;
}

#endif /* OSSD_HANDLER_H */
