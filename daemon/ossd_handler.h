/* ossd_handler.h: ossd's side of the handler ABI. include/ossd/handler.h declares the submission,
 * the decision draft, the reference data view and the context as opaque handles; this header
 * completes them for the daemon (and its tests). A handler never includes it: the layout below
 * may change in any release without a new ABI version. daemon/handler_api.c implements the
 * accessors over it. */
#ifndef OSSD_HANDLER_H
#define OSSD_HANDLER_H

#include <ossd/handler.h>
#include <stddef.h>

#define OSSD_MAX_REASONS 64

/* One requested activity, as submitted. */
struct ossd_activity_in {
    const char *kbli;        /* 5 digits */
    const char *description; /* NULL when absent */
};

/*
 * A submission that passed the JSON Schema: every required field is present and well-formed
 * (formats included). Optional fields are NULL when absent.
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
        int has_workers;
        long long workers;
        const char *region_code;
        const char *street;
        size_t n_activities;
        struct ossd_activity_in activities[OSSD_MAX_ACTIVITIES];
    } business;
    const void *doc; /* the whole parsed document (a jansson json_t *), read-only */
    const char *raw; /* the JSON text as received, or NULL */
    size_t raw_len;
};

/* One reason for a rejection: a reason code of docs/rules.md, the JSON Pointer of the
 * offending value ("" for the document) and a message that names the rule broken and never
 * echoes an identity or contact value. */
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

/* The decision draft every handler adds to (through the accessors of include/ossd/handler.h). */
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

    /* The first misuse of an accessor by the running handler (a static string), or NULL: the
     * pipeline turns the message into an INTERNAL_ERROR dead letter naming the handler. */
    const char *misuse;
};

/* Read access to the active reference data (refdata_api() builds it). */
struct ossd_refdata {
    const void *ctx;
    int (*province_known)(const void *ctx, const char *province2);
    enum ossd_region_status (*region)(const void *ctx, const char *code);
    const char *(*kbli_title)(const void *ctx, const char *kbli);
    const char *(*kbli_risk)(const void *ctx, const char *kbli, const char *scale);
};

/* What process() gets besides the submission and the draft. */
struct ossd_ctx {
    const struct ossd_refdata *refdata;
    /* Logs a line attributed to the handler (HANDLER field) and the submission. */
    void (*log)(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    const void *opaque; /* ossd's own */
};

/* One typed, checked value of an instance's section (handler_config_*). */
struct ossd_config_value {
    const struct ossd_config_key *key;
    const char *text;  /* the section's value or the default; NULL when neither */
    long long integer; /* OSSD_CONFIG_INT, OSSD_CONFIG_BOOL */
    size_t n_items;    /* OSSD_CONFIG_LIST */
    char **items;      /* owned */
};

/* An instance's section, typed and checked (handler_config_parse). */
struct ossd_handler_config {
    const char *instance;
    size_t n_values;
    struct ossd_config_value *values; /* owned, one per declared key */
};

/* The size of the ABI 2.0 registration struct: a plugin's struct_size must be at least this. */
#define OSSD_HANDLER_TYPE_MIN_SIZE (offsetof(struct ossd_handler_type, reserved))

#endif /* OSSD_HANDLER_H */
