/* item: one consumed message on its way through gate, pipeline, store and outbox. */
#ifndef OSSD_ITEM_H
#define OSSD_ITEM_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "calendar.h"
#include "ossd_handler.h"

enum item_kind {
    ITEM_DECIDE = 0, /* passed the gate: gets a decision */
    ITEM_DEAD,       /* dead letter (gate failure or DUPLICATE_CONFLICT) */
    ITEM_SKIP,       /* byte-identical re-delivery of a decided submission */
};

/* The input topic a message came from; gate, pipeline and store route on it. */
enum item_input {
    ITEM_INPUT_SUBMISSION = 0, /* [topics] submissions */
    ITEM_INPUT_STATUS,         /* [topics] license_status: a permit status update */
    ITEM_INPUT_NIB_ACTION,     /* [topics] nib_actions: freeze, unfreeze, revoke */
};

struct item_activity {
    char kbli[6];
    const char *title; /* reference data, valid while the batch lasts */
    char risk[3];
    const char *permit;
    const char *status;
};

struct item {
    rd_kafka_message_t *msg; /* owned by the batch */
    int32_t partition;
    int64_t offset;

    enum item_kind kind;
    const char *dead_code; /* static string */
    char dead_message[200];

    /* The message's id: submission_id, or status_id / action_id of a lifecycle message. */
    char submission_id[65];
    unsigned char sha[32];
    json_t *doc; /* owned; NULL for gate failures */

    /* Pipeline results. */
    int retry;       /* a handler asked for a retry */
    int rejected;    /* at least one reason */
    json_t *reasons; /* owned array of {code, path, message}, NULL when none */
    char scale[3];
    int umk;
    char authority[6];
    size_t n_act;
    struct item_activity act[OSSD_MAX_ACTIVITIES];
    int has_actor;      /* actor_key is set (the store looks it up) */
    char actor_key[24]; /* "nik:<16>" or "npwp:<16>" */
    char district[9];   /* NN.NN.NN of the business location */

    /* What the events need, copied out of the document, which is freed as
     * soon as the pipeline has run (it is the bulk of a batch's memory). */
    char channel[12];           /* "" when the schema failed */
    char app_type[3];           /* applicant.type */
    char nik_masked[17];        /* first 4 digits, then '*' */
    char *name, *phone, *email; /* owned; NULL when absent or implausible */

    int schema_ok;        /* passed the JSON Schema */
    int64_t submitted_ms; /* submitted_at as epoch ms (when schema_ok) */

    /* Store results, recomputed on every attempt of the batch transaction. */
    enum item_kind out_kind; /* may turn ITEM_DECIDE into ITEM_SKIP or ITEM_DEAD */
    int out_rejected;
    json_t *out_reasons; /* owned: reasons plus ACTIVITY_DUPLICATE found in the store */
    int dead_recorded;   /* this offset is already in dead_letters (re-delivery) */
    int64_t actor_id;
    char nib[14];
    int nib_new;
    char event_id[37];
    const char *event_type;

    /* Lifecycle intake (status updates and NIB actions). input is set before the gate on
     * every attempt; a lifecycle item keeps doc until the store has applied it. */
    enum item_input input;
    const char *topic; /* the source topic's name, owned by msg */
    /* What its journal line says, set by the store when it applied or refused the message in
     * the transaction and written once the batch committed (a rolled-back attempt writes
     * nothing): the permit_id and status code, or the NIB and action; refusal NULL: applied.
     * lc_subject[0] == '\0': no such line (not reached, or a redelivery skipped). */
    char lc_subject[96];
    char lc_what[40];
    const char *lc_refusal; /* static string */

    /* Permits of an issued item (docs/lifecycle.md). The pipeline sets N per activity and the
     * holidays from the reference data the chain ran with (valid while the batch lasts); the
     * store computes each pending activity's deadline from decided_at on every attempt. */
    const struct cal_holidays *holidays;
    unsigned sla_days[OSSD_MAX_ACTIVITIES];
    struct cal_deadline act_dl[OSSD_MAX_ACTIVITIES]; /* while act[i] is pending_verification */
};

/* Frees what the item owns (not the message) and zeroes it. */
void item_clear(struct item *it);

#endif
