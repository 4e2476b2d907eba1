/* decide: the pure decision core of a batch. Given the items (gated and run through the chain)
 * and what the store loaded for them (known submission ids and their hashes, known actors and
 * their NIBs, the activities those actors hold), it computes every effect of the batch without
 * I/O: duplicate or DUPLICATE_CONFLICT, NIB reuse or a request to allocate one,
 * ACTIVITY_DUPLICATE, and the order of the reasons. The store only loads, allocates, encodes and
 * copies. The rules are those of docs/rules.md. */
#ifndef OSSD_DECIDE_H
#define OSSD_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "item.h"
#include "ossd_handler.h"
#include "strmap.h"

/* A business actor as the batch sees it. */
struct decide_actor {
    int64_t id;         /* 0 until decide_set_actor_id for a new one */
    char nib[14];       /* "812" + 10 digits */
    int is_new;         /* created by this batch */
    int first_used;     /* its first issued submission was decided */
    char nib_status[3]; /* business_actors.nib_status: "01" active, "05" frozen, "06" revoked */
};

/* What one attempt of a batch knows; zero it to start, decide_free when done. */
struct decide_state {
    struct strmap seen;   /* submission_id -> owned sha[32] */
    struct strmap actors; /* actor_key -> owned struct decide_actor */
    struct strmap acts;   /* "actor_id|district|kbli" -> (void *)1 */
};

void decide_free(struct decide_state *d);

/* Starts an attempt: every item's store results (out_*) back to what the
 * pipeline decided. */
void decide_reset_items(struct batch *b);

/* ---- what the store loaded ---------------------------------------------------------------- */

/* A submission_id already decided, with the SHA-256 of its payload. */
void decide_known_submission(struct decide_state *d, const char *id, const unsigned char sha[32]);

/* A business actor that exists, with its NIB and that NIB's status ("01", "05" frozen, "06"
 * revoked; NULL or anything else counts as "01"). */
void decide_known_actor(struct decide_state *d, const char *key, int64_t id, const char *nib,
                        const char *nib_status);

/* An activity the actor holds: KBLI kbli at district (NN.NN.NN). */
void decide_known_activity(struct decide_state *d, int64_t actor_id, const char *district,
                           const char *kbli);

/* The business actor of a submission, whose NIB the store reuses or
 * allocates: sets it->has_actor and it->actor_key (rules_actor_key). */
void decide_actor_key(struct item *it, const struct ossd_submission *s);

/* ---- deciding ----------------------------------------------------------------------------- */

/* Step 1, after decide_known_submission: a submission_id already decided (or
 * earlier in this batch) with the same bytes becomes ITEM_SKIP; with other
 * bytes an ITEM_DEAD DUPLICATE_CONFLICT. */
void decide_duplicates(struct decide_state *d, struct batch *b);

/* The actor keys the store must look up (each once): those of the items
 * still to decide. Fills keys (room for b->n, pointers into the items) and
 * returns how many. */
size_t decide_actor_keys(const struct batch *b, const char **keys);

/* Step 2, after decide_known_actor: the actors an issued submission needs
 * that do not exist yet, each once (two submissions of one new actor get one
 * NIB). Fills keys (room for b->n, pointers into the items); returns how
 * many. The store allocates an id for each and calls decide_set_actor_id. */
size_t decide_new_actors(struct decide_state *d, const struct batch *b, const char **keys);

/* The id allocated to a new actor; its NIB follows from it. */
void decide_set_actor_id(struct decide_state *d, const char *key, int64_t id);

/* The NIB of actor id: "812" followed by the 10-digit id, into out[14]. */
void decide_nib(int64_t id, char out[14]);

/* Step 3, for each ITEM_DECIDE item in offset order: ACTIVITY_DUPLICATE (the
 * same KBLI twice in the submission, or one the actor already holds at that
 * district, including from an earlier submission of this batch), NIB_FROZEN /
 * NIB_REVOKED when the actor's NIB is frozen (05) or revoked (06), then
 * NPWP_REQUIRED when nothing names an actor, the reasons in their order; an
 * issued item gets actor_id, nib and nib_new, and its activities count as
 * held for the rest of the batch. */
void decide_item(struct decide_state *d, struct item *it);

/* The NIB status an NIB action leads to from cur, or NULL when it does not apply
 * (TRANSITION_INVALID): freeze 01 -> 05, unfreeze 05 -> 01, revoke 01 or 05 -> 06 (final).
 * The rule of store_lifecycle and of ossctl redecide's replay. */
const char *decide_nib_next(const char *action, const char *cur);

/* ---- permits ------------------------------------------------------------------------------ */

/* Sets it->sla_days (N of each activity's KBLI and the item's scale) and it->holidays from the
 * reference data the chain ran with (rd: refdata_api's view). Run by the pipeline on an issued
 * item after its activities were copied. */
void decide_permit_terms(struct item *it, const struct ossd_refdata *rd);

/* 1 when activity i of an issued item makes a pending_verification permit (its clock runs). */
int decide_permit_pending(const struct item *it, size_t i);

/* The permit of activity i of an issued item: "<nib>-<kbli>-<district without dots>". */
void decide_permit_id(const struct item *it, size_t i, char out[32]);

/* Step 4, for an issued item: each pending activity's deadline (it->act_dl) from decided_ms,
 * as permit_init computes it. */
void decide_permits(struct item *it, int64_t decided_ms);

/* Turns it into a dead letter of code (a static string) with message (cut
 * to fit); its reasons go. */
void decide_dead_letter(struct item *it, const char *code, const char *message);

/*
 * Completes an issued decision whatever the chain: the scale, and per
 * activity a risk level and its permit, from the reference data when no
 * handler set them (a KBLI code the data does not hold gets T).
 */
void decide_complete(struct ossd_decision *dd, const struct ossd_submission *s,
                     const struct ossd_refdata *rd);

#endif
