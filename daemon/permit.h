/* permit: the licence lifecycle of one permit: its status table, its deadline clock and deemed
 * approval (pure computation, no I/O, no clock: every instant is passed in). */
#ifndef OSSD_PERMIT_H
#define OSSD_PERMIT_H

#include <stdint.h>

#include "calendar.h"

/*
 * The rules (docs/lifecycle.md; the table of permit status codes, PIA Lampiran 10):
 * - progress codes 05 09 10 11 12 20 30 31 32 33 34 40 45 49: pending_verification, any clock
 *   state -> unchanged (recorded);
 * - 41 / 43: pending_verification with a running clock -> the clock stopped by 41 / by 43;
 *   42: stopped by 41 -> running, L moved by the working days spent stopped; 44: stopped by 43
 *   -> running, L computed afresh from the 44's status_at;
 * - 50: pending_verification, provisional, approved_deemed, suspended -> issued;
 *   52: pending_verification -> provisional;
 *   60 / 80: issued, approved_deemed, provisional -> unchanged (recorded);
 *   70: issued, approved_deemed, provisional -> suspended;
 *   90 / 93: pending_verification, provisional -> rejected (final);
 * - 57 (deemed approval, set by ossd only), the withdrawn 91 / 92 and any code outside
 *   Lampiran 10 are CODE_UNKNOWN; every other combination is TRANSITION_INVALID.
 * Where the rules are silent, this module chooses (and its tests pin):
 * - the checks run in this order: CODE_UNKNOWN (a property of the update alone), then the
 *   NIB revoked (TRANSITION_INVALID), then status_at earlier than the last applied status_at
 *   (TRANSITION_INVALID), then the table;
 * - a deemed approval is an applied status change: its status_at (= sla_due) becomes the last
 *   applied status_at (unless a later one was applied before the sweep), so a later update must
 *   not be earlier than the deadline;
 * - leaving pending_verification ends the clock (PERMIT_CLOCK_NONE) and the event's sla_due is
 *   null; a stopped clock also gives a null sla_due (it is the deadline while a clock runs).
 */

enum permit_status {
    PERMIT_PENDING_VERIFICATION,
    PERMIT_PROVISIONAL,
    PERMIT_ISSUED,
    PERMIT_APPROVED_DEEMED,
    PERMIT_SUSPENDED,
    PERMIT_REJECTED,
};

enum permit_clock {
    PERMIT_CLOCK_NONE,       /* not pending: no deadline */
    PERMIT_CLOCK_RUNNING,    /* the deadline runs */
    PERMIT_CLOCK_STOPPED_41, /* stopped by 41: a 42 resumes it */
    PERMIT_CLOCK_STOPPED_43, /* stopped by 43: a 44 restarts it */
};

/* NIB status codes (PIA Lampiran 14) that matter to a permit. */
enum permit_nib {
    PERMIT_NIB_ACTIVE,  /* 01 */
    PERMIT_NIB_FROZEN,  /* 05: updates apply, deemed approval waits */
    PERMIT_NIB_REVOKED, /* 06: every update is TRANSITION_INVALID */
};

/* The state of one permit, plain data owned by the caller. */
struct permit_state {
    enum permit_status status;
    enum permit_clock clock;
    unsigned sla_days;         /* N: a 44 restarts the deadline with it */
    struct cal_deadline dl;    /* L and sla_due; meaningful while clock != NONE */
    int64_t stopped_at_ms;     /* status_at of the 41/43 that stopped the clock */
    int has_last_status_at;    /* 0 until the first applied update */
    int64_t last_status_at_ms; /* status_at of the last applied update (or deemed approval) */
    enum permit_nib nib;
};

/* One status update from the topic: its two-digit code and when the authority acted. */
struct permit_update {
    const char *code;
    int64_t status_at_ms;
};

enum permit_outcome {
    PERMIT_APPLIED,
    PERMIT_REFUSED,
};

/* What an applied update changed: the fields of the status-changed event. */
struct permit_change {
    enum permit_status status;
    enum permit_status previous_status;
    char code[3];
    int64_t status_at_ms;
    int has_sla_due; /* 0: sla_due is null in the event */
    int64_t sla_due_ms;
};

/* A new permit of a decision decided at decided_ms: pending_verification with its clock running
 * (N = sla_days working days, h may be NULL) when pending, else issued with no clock. */
void permit_init(struct permit_state *st, int pending, int64_t decided_ms, unsigned sla_days,
                 const struct cal_holidays *h);

/* Applies upd to st. PERMIT_APPLIED: st is the new state and *chg describes it. PERMIT_REFUSED:
 * st is unchanged and *refusal is the dead-letter code ("TRANSITION_INVALID" or "CODE_UNKNOWN",
 * a static string). h is the holiday calendar (may be NULL). */
enum permit_outcome permit_apply(struct permit_state *st, const struct permit_update *upd,
                                 const struct cal_holidays *h, struct permit_change *chg,
                                 const char **refusal);

/* 1 when the permit is due for deemed approval at now_ms: pending_verification, clock running,
 * NIB active (neither frozen nor revoked) and now_ms >= sla_due. */
int permit_deemed_due(const struct permit_state *st, int64_t now_ms);

/* Applies the deemed approval (the caller checked permit_deemed_due): approved_deemed, code 57,
 * status_at = sla_due; fills *chg. */
void permit_deem(struct permit_state *st, struct permit_change *chg);

/* 1 when code is a status code of Lampiran 10 that the topic may carry (not 57, 91 or 92). */
int permit_code_known(const char *code);

/* The status as it is spelt in events and PostgreSQL ("pending_verification", ...). */
const char *permit_status_name(enum permit_status s);

/* The status of a name, or -1 when the name is none. */
int permit_status_parse(const char *name);

/* The clock as it is spelt in PostgreSQL: "none", "running", "stopped_41", "stopped_43". */
const char *permit_clock_name(enum permit_clock c);

/* The clock of a name, or -1 when the name is none. */
int permit_clock_parse(const char *name);

/* The NIB status of a Lampiran 14 code ("01" active, "05" frozen, "06" revoked), or -1. */
int permit_nib_parse(const char *code);

#endif /* OSSD_PERMIT_H */
