/* permit.c: one permit's status table, deadline clock and deemed approval (pure). */
#include "permit.h"

#include <string.h>

static const char *const status_names[] = {
    [PERMIT_PENDING_VERIFICATION] = "pending_verification",
    [PERMIT_PROVISIONAL] = "provisional",
    [PERMIT_ISSUED] = "issued",
    [PERMIT_APPROVED_DEEMED] = "approved_deemed",
    [PERMIT_SUSPENDED] = "suspended",
    [PERMIT_REJECTED] = "rejected",
};

static const char *const clock_names[] = {
    [PERMIT_CLOCK_NONE] = "none",
    [PERMIT_CLOCK_RUNNING] = "running",
    [PERMIT_CLOCK_STOPPED_41] = "stopped_41",
    [PERMIT_CLOCK_STOPPED_43] = "stopped_43",
};

/* What a code does; the table of docs/lifecycle.md, one row per kind. */
enum kind {
    K_UNKNOWN,
    K_PROGRESS,
    K_STOP_41,
    K_RESUME_42,
    K_STOP_43,
    K_RESTART_44,
    K_APPROVE_50,
    K_PROVISIONAL_52,
    K_RECORD_60_80,
    K_SUSPEND_70,
    K_REJECT_90_93,
};

static const struct {
    const char code[3];
    enum kind kind;
} codes[] = {
    {"05", K_PROGRESS},     {"09", K_PROGRESS},     {"10", K_PROGRESS},   {"11", K_PROGRESS},
    {"12", K_PROGRESS},     {"20", K_PROGRESS},     {"30", K_PROGRESS},   {"31", K_PROGRESS},
    {"32", K_PROGRESS},     {"33", K_PROGRESS},     {"34", K_PROGRESS},   {"40", K_PROGRESS},
    {"45", K_PROGRESS},     {"49", K_PROGRESS},     {"41", K_STOP_41},    {"42", K_RESUME_42},
    {"43", K_STOP_43},      {"44", K_RESTART_44},   {"50", K_APPROVE_50}, {"52", K_PROVISIONAL_52},
    {"60", K_RECORD_60_80}, {"80", K_RECORD_60_80}, {"70", K_SUSPEND_70}, {"90", K_REJECT_90_93},
    {"93", K_REJECT_90_93},
};

static enum kind code_kind(const char *code)
{
    if (!code || strlen(code) != 2)
        return K_UNKNOWN;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(codes[i].code, code) == 0)
            return codes[i].kind;
    return K_UNKNOWN;
}

int permit_code_known(const char *code)
{
    return code_kind(code) != K_UNKNOWN;
}

const char *permit_status_name(enum permit_status s)
{
    return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

int permit_status_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (strcmp(status_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *permit_clock_name(enum permit_clock c)
{
    return (unsigned)c < sizeof(clock_names) / sizeof(clock_names[0]) ? clock_names[c] : "?";
}

int permit_clock_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof(clock_names) / sizeof(clock_names[0]); i++)
        if (strcmp(clock_names[i], name) == 0)
            return (int)i;
    return -1;
}

int permit_nib_parse(const char *code)
{
    if (!code)
        return -1;
    if (strcmp(code, "01") == 0)
        return PERMIT_NIB_ACTIVE;
    if (strcmp(code, "05") == 0)
        return PERMIT_NIB_FROZEN;
    if (strcmp(code, "06") == 0)
        return PERMIT_NIB_REVOKED;
    return -1;
}

void permit_init(struct permit_state *st, int pending, int64_t decided_ms, unsigned sla_days,
                 const struct cal_holidays *h)
{
    memset(st, 0, sizeof(*st));
    st->sla_days = sla_days;
    st->nib = PERMIT_NIB_ACTIVE;
    if (pending) {
        st->status = PERMIT_PENDING_VERIFICATION;
        st->clock = PERMIT_CLOCK_RUNNING;
        cal_deadline_start(h, decided_ms, sla_days, &st->dl);
    } else {
        st->status = PERMIT_ISSUED;
        st->clock = PERMIT_CLOCK_NONE;
    }
}

/* The status a kind leads to from st, or -1 when the table refuses it. Clock rules apart. */
static int next_status(const struct permit_state *st, enum kind k)
{
    enum permit_status s = st->status;
    int pending = s == PERMIT_PENDING_VERIFICATION;
    int granted = s == PERMIT_ISSUED || s == PERMIT_APPROVED_DEEMED || s == PERMIT_PROVISIONAL;

    switch (k) {
    case K_PROGRESS:
        return pending ? (int)s : -1;
    case K_STOP_41:
    case K_STOP_43:
        return pending && st->clock == PERMIT_CLOCK_RUNNING ? (int)s : -1;
    case K_RESUME_42:
        return pending && st->clock == PERMIT_CLOCK_STOPPED_41 ? (int)s : -1;
    case K_RESTART_44:
        return pending && st->clock == PERMIT_CLOCK_STOPPED_43 ? (int)s : -1;
    case K_APPROVE_50:
        return pending || s == PERMIT_PROVISIONAL || s == PERMIT_APPROVED_DEEMED ||
                       s == PERMIT_SUSPENDED
                   ? PERMIT_ISSUED
                   : -1;
    case K_PROVISIONAL_52:
        return pending ? PERMIT_PROVISIONAL : -1;
    case K_RECORD_60_80:
        return granted ? (int)s : -1;
    case K_SUSPEND_70:
        return granted ? PERMIT_SUSPENDED : -1;
    case K_REJECT_90_93:
        return pending || s == PERMIT_PROVISIONAL ? PERMIT_REJECTED : -1;
    case K_UNKNOWN:
        break;
    }
    return -1;
}

/* The event's sla_due: the deadline while the clock runs, else null. */
static void fill_sla_due(const struct permit_state *st, struct permit_change *chg)
{
    chg->has_sla_due =
        st->status == PERMIT_PENDING_VERIFICATION && st->clock == PERMIT_CLOCK_RUNNING;
    chg->sla_due_ms = chg->has_sla_due ? st->dl.due_ms : 0;
}

enum permit_outcome permit_apply(struct permit_state *st, const struct permit_update *upd,
                                 const struct cal_holidays *h, struct permit_change *chg,
                                 const char **refusal)
{
    enum kind k = code_kind(upd->code);
    int next;

    if (k == K_UNKNOWN) {
        *refusal = "CODE_UNKNOWN";
        return PERMIT_REFUSED;
    }
    if (st->nib == PERMIT_NIB_REVOKED ||
        (st->has_last_status_at && upd->status_at_ms < st->last_status_at_ms) ||
        (next = next_status(st, k)) < 0) {
        *refusal = "TRANSITION_INVALID";
        return PERMIT_REFUSED;
    }
    memset(chg, 0, sizeof(*chg));
    chg->previous_status = st->status;
    memcpy(chg->code, upd->code, 3);
    chg->status_at_ms = upd->status_at_ms;
    switch (k) {
    case K_STOP_41:
    case K_STOP_43:
        st->clock = k == K_STOP_41 ? PERMIT_CLOCK_STOPPED_41 : PERMIT_CLOCK_STOPPED_43;
        st->stopped_at_ms = upd->status_at_ms;
        break;
    case K_RESUME_42:
        cal_deadline_resume(h, &st->dl, st->stopped_at_ms, upd->status_at_ms);
        st->clock = PERMIT_CLOCK_RUNNING;
        break;
    case K_RESTART_44:
        cal_deadline_restart(h, upd->status_at_ms, st->sla_days, &st->dl);
        st->clock = PERMIT_CLOCK_RUNNING;
        break;
    default:
        break;
    }
    st->status = (enum permit_status)next;
    if (st->status != PERMIT_PENDING_VERIFICATION)
        st->clock = PERMIT_CLOCK_NONE;
    st->has_last_status_at = 1;
    st->last_status_at_ms = upd->status_at_ms;
    chg->status = st->status;
    fill_sla_due(st, chg);
    return PERMIT_APPLIED;
}

int permit_deemed_due(const struct permit_state *st, int64_t now_ms)
{
    return st->status == PERMIT_PENDING_VERIFICATION && st->clock == PERMIT_CLOCK_RUNNING &&
           st->nib == PERMIT_NIB_ACTIVE && now_ms >= st->dl.due_ms;
}

void permit_deem(struct permit_state *st, struct permit_change *chg)
{
    memset(chg, 0, sizeof(*chg));
    chg->previous_status = st->status;
    memcpy(chg->code, "57", 3);
    chg->status_at_ms = st->dl.due_ms;
    st->status = PERMIT_APPROVED_DEEMED;
    st->clock = PERMIT_CLOCK_NONE;
    /* A progress update applied after the deadline but before the sweep keeps its later
     * status_at as the last one: the history's order never goes back. */
    if (!st->has_last_status_at || st->last_status_at_ms < chg->status_at_ms)
        st->last_status_at_ms = chg->status_at_ms;
    st->has_last_status_at = 1;
    chg->status = st->status;
    fill_sla_due(st, chg);
}
