/* decide: the pure decision core of a batch (see decide.h). No I/O. */
#include "decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "permit.h"
#include "reasons.h"
#include "refdata.h"
#include "rules.h"
#include "util.h"

void decide_free(struct decide_state *d)
{
    strmap_free(&d->seen, free);
    strmap_free(&d->actors, free);
    strmap_free(&d->acts, NULL);
}

void decide_reset_items(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        it->out_kind = it->kind;
        it->out_rejected = it->rejected;
        json_decref(it->out_reasons);
        it->out_reasons = it->reasons ? json_deep_copy(it->reasons) : NULL;
        it->dead_recorded = 0;
        it->actor_id = 0;
        it->nib[0] = '\0';
        it->nib_new = 0;
        it->lc_subject[0] = '\0';
        it->lc_refusal = NULL;
    }
}

void decide_known_submission(struct decide_state *d, const char *id, const unsigned char sha[32])
{
    unsigned char *copy = xmalloc(32);
    memcpy(copy, sha, 32);
    free(strmap_put(&d->seen, id, copy));
}

static void put_actor(struct decide_state *d, const char *key, int64_t id, const char *nib,
                      int is_new, const char *nib_status)
{
    struct decide_actor *ac = xcalloc(1, sizeof(*ac));
    ac->id = id;
    snprintf(ac->nib, sizeof(ac->nib), "%s", nib);
    ac->is_new = is_new;
    snprintf(ac->nib_status, sizeof(ac->nib_status), "%s",
             nib_status && (strcmp(nib_status, "05") == 0 || strcmp(nib_status, "06") == 0)
                 ? nib_status
                 : "01");
    free(strmap_put(&d->actors, key, ac));
}

void decide_known_actor(struct decide_state *d, const char *key, int64_t id, const char *nib,
                        const char *nib_status)
{
    put_actor(d, key, id, nib, 0, nib_status);
}

/* "%lld|%.20s|%.20s" of actor_id, district and kbli into key, without snprintf: twice per
 * activity of every decision (at most 20 + 1 + 20 + 1 + 20 characters and the NUL). */
static void activity_key(char key[64], int64_t actor_id, const char *district, const char *kbli)
{
    char digits[24];
    size_t n = 0, k = 0;
    uint64_t v = actor_id < 0 ? 0 - (uint64_t)actor_id : (uint64_t)actor_id;

    do
        digits[k++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (actor_id < 0)
        key[n++] = '-';
    while (k)
        key[n++] = digits[--k];
    key[n++] = '|';
    for (size_t i = 0; i < 20 && district[i]; i++)
        key[n++] = district[i];
    key[n++] = '|';
    for (size_t i = 0; i < 20 && kbli[i]; i++)
        key[n++] = kbli[i];
    key[n] = '\0';
}

void decide_known_activity(struct decide_state *d, int64_t actor_id, const char *district,
                           const char *kbli)
{
    char key[64];
    activity_key(key, actor_id, district, kbli);
    strmap_put(&d->acts, key, (void *)1);
}

void decide_actor_key(struct item *it, const struct ossd_submission *s)
{
    it->has_actor = rules_actor_key(s->applicant.type, s->applicant.nik, s->applicant.npwp,
                                    it->actor_key, sizeof(it->actor_key)) == 0;
}

void decide_duplicates(struct decide_state *d, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || it->input != ITEM_INPUT_SUBMISSION)
            continue; /* a status_id or action_id is checked by store_lifecycle */
        const unsigned char *prev = strmap_get(&d->seen, it->submission_id);
        if (!prev) {
            decide_known_submission(d, it->submission_id, it->sha);
        } else if (memcmp(prev, it->sha, 32) == 0) {
            it->out_kind = ITEM_SKIP;
        } else {
            it->out_kind = ITEM_DEAD; /* for this attempt only: it->kind stays */
            it->dead_code = "DUPLICATE_CONFLICT";
            snprintf(it->dead_message, sizeof(it->dead_message), "%s",
                     "submission_id was already decided with a different payload");
        }
    }
}

size_t decide_actor_keys(const struct batch *b, const char **keys)
{
    struct strmap uniq = {0};
    size_t n = 0;

    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || !it->has_actor || strmap_get(&uniq, it->actor_key))
            continue;
        strmap_put(&uniq, it->actor_key, (void *)1);
        keys[n++] = it->actor_key;
    }
    strmap_free(&uniq, NULL);
    return n;
}

/* 1 when a KBLI appears twice in it (decide_item will reject it). */
static int kbli_repeats(const struct item *it)
{
    for (size_t j = 1; j < it->n_act; j++)
        for (size_t i = 0; i < j; i++)
            if (strcmp(it->act[j].kbli, it->act[i].kbli) == 0)
                return 1;
    return 0;
}

size_t decide_new_actors(struct decide_state *d, const struct batch *b, const char **keys)
{
    size_t n = 0;

    /* A submission that will be rejected creates no actor (docs/rules.md),
     * even when only the core finds its reason: a chain without the
     * activity handler leaves a KBLI given twice to decide_item. */
    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || !it->has_actor || it->out_rejected || kbli_repeats(it) ||
            strmap_get(&d->actors, it->actor_key))
            continue;
        put_actor(d, it->actor_key, 0, "", 1, NULL); /* id set by decide_set_actor_id */
        keys[n++] = it->actor_key;
    }
    return n;
}

void decide_nib(int64_t id, char out[14])
{
    snprintf(out, 14, "812%010lld", (long long)id);
}

void decide_set_actor_id(struct decide_state *d, const char *key, int64_t id)
{
    struct decide_actor *ac = strmap_get(&d->actors, key);
    if (!ac)
        return;
    ac->id = id;
    decide_nib(id, ac->nib);
}

static void add_reason(struct item *it, const char *code, const char *path, const char *msg)
{
    reasons_add(&it->out_reasons, code, path, msg);
    it->out_rejected = 1;
}

void decide_item(struct decide_state *d, struct item *it)
{
    struct decide_actor *ac = it->has_actor ? strmap_get(&d->actors, it->actor_key) : NULL;
    char key[64], path[64], msg[160];
    int dup = 0;

    /* The same KBLI twice in one submission (the activity handler's rule,
     * enforced here too: a chain without that handler would otherwise make
     * COPY activities hit its primary key on every attempt). One reason per
     * later occurrence, unless a handler already gave it. */
    for (size_t j = 1; j < it->n_act; j++) {
        for (size_t i = 0; i < j; i++) {
            if (strcmp(it->act[j].kbli, it->act[i].kbli) != 0)
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", j);
            if (!reasons_has(it->out_reasons, "ACTIVITY_DUPLICATE", path)) {
                snprintf(msg, sizeof(msg),
                         "KBLI %.10s is already requested at /business/activities/%zu",
                         it->act[j].kbli, i);
                add_reason(it, "ACTIVITY_DUPLICATE", path, msg);
                dup = 1;
            }
            break;
        }
    }
    if (ac) {
        for (size_t i = 0; i < it->n_act; i++) {
            activity_key(key, ac->id, it->district, it->act[i].kbli);
            if (!strmap_get(&d->acts, key))
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", i);
            snprintf(msg, sizeof(msg),
                     "KBLI %s is already registered under this NIB at district %s", it->act[i].kbli,
                     it->district);
            add_reason(it, "ACTIVITY_DUPLICATE", path, msg);
            dup = 1;
        }
    }
    /* A frozen or revoked NIB takes no new activity: the submission is rejected (its applicant
     * only is named, never its NIK) and no NIB is allocated. */
    if (ac && strcmp(ac->nib_status, "01") != 0) {
        int frozen = strcmp(ac->nib_status, "05") == 0;
        add_reason(it, frozen ? "NIB_FROZEN" : "NIB_REVOKED", "/applicant",
                   frozen ? "the NIB of this business actor is frozen (status 05): no activity "
                            "can be registered under it until it is unfrozen"
                          : "the NIB of this business actor is revoked (status 06): no activity "
                            "can be registered under it");
        dup = 1;
    }
    if (dup)
        reasons_sort(it->out_reasons);
    if (!it->out_rejected && !ac)
        add_reason(it, "NPWP_REQUIRED", "/applicant/npwp",
                   "a business actor needs a NIK (type 02) or an NPWP (type 01)");
    if (it->out_rejected)
        return;
    it->actor_id = ac->id;
    memcpy(it->nib, ac->nib, sizeof(it->nib));
    it->nib_new = ac->is_new && !ac->first_used;
    ac->first_used = 1;
    for (size_t i = 0; i < it->n_act; i++)
        decide_known_activity(d, ac->id, it->district, it->act[i].kbli);
}

const char *decide_nib_next(const char *action, const char *cur)
{
    if (strcmp(action, "freeze") == 0)
        return strcmp(cur, "01") == 0 ? "05" : NULL;
    if (strcmp(action, "unfreeze") == 0)
        return strcmp(cur, "05") == 0 ? "01" : NULL;
    if (strcmp(action, "revoke") == 0)
        return strcmp(cur, "01") == 0 || strcmp(cur, "05") == 0 ? "06" : NULL;
    return NULL;
}

void decide_dead_letter(struct item *it, const char *code, const char *message)
{
    it->dead_code = code;
    snprintf(it->dead_message, sizeof(it->dead_message), "%s", message);
    it->kind = ITEM_DEAD;
    it->retry = 0;
    it->rejected = 0;
    json_decref(it->reasons);
    it->reasons = NULL;
}

/* 1 when both are one of the contract's values (a handler may set them). */
static int permit_valid(const char *permit, const char *status)
{
    return permit && status &&
           (strcmp(permit, "NIB") == 0 || strcmp(permit, "SS") == 0 ||
            strcmp(permit, "IZIN") == 0) &&
           (strcmp(status, "issued") == 0 || strcmp(status, "pending_verification") == 0);
}

void decide_complete(struct ossd_decision *d, const struct ossd_submission *s,
                     const struct ossd_refdata *rd)
{
    if (!d->scale[0]) {
        const char *sc = rules_scale(s->business.has_capital, s->business.capital_idr,
                                     s->business.has_sales, s->business.annual_sales_idr);
        snprintf(d->scale, sizeof(d->scale), "%s", sc ? sc : "04");
        d->umk = rules_scale_umk(d->scale);
    }
    for (size_t i = 0; i < s->business.n_activities; i++) {
        const char *kbli = s->business.activities[i].kbli;
        struct ossd_activity_out *o = NULL;
        for (size_t j = 0; j < d->n_activities; j++)
            if (strcmp(d->activities[j].kbli, kbli) == 0)
                o = &d->activities[j];
        if (!o) {
            if (d->n_activities >= OSSD_MAX_ACTIVITIES)
                continue;
            o = &d->activities[d->n_activities++];
            memset(o, 0, sizeof(*o));
            snprintf(o->kbli, sizeof(o->kbli), "%s", kbli);
        }
        o->title = rd->kbli_title(rd->ctx, kbli); /* never a handler's pointer */
        if (!rules_risk_valid(o->risk)) {
            const char *risk = rd->kbli_risk(rd->ctx, kbli, d->scale);
            snprintf(o->risk, sizeof(o->risk), "%s", risk && rules_risk_valid(risk) ? risk : "T");
        }
        if (!permit_valid(o->permit, o->status))
            rules_permit(o->risk, &o->permit, &o->status);
    }
}

/* ---- permits ------------------------------------------------------------------------------ */

void decide_permit_terms(struct item *it, const struct ossd_refdata *rd)
{
    const struct refdata *r = rd ? rd->ctx : NULL; /* refdata_api: ctx is the object */

    it->holidays = r ? refdata_holidays(r) : NULL;
    for (size_t i = 0; i < it->n_act && i < OSSD_MAX_ACTIVITIES; i++)
        it->sla_days[i] =
            r ? refdata_sla_days(r, it->act[i].kbli, it->scale) : REFDATA_SLA_DEFAULT_DAYS;
}

int decide_permit_pending(const struct item *it, size_t i)
{
    return it->act[i].status && strcmp(it->act[i].status, "pending_verification") == 0;
}

void decide_permit_id(const struct item *it, size_t i, char out[32])
{
    /* memcpy, not snprintf: this is on the path of every issued activity, twice */
    size_t n = strnlen(it->nib, 13), k = strnlen(it->act[i].kbli, 5);
    char *o = out;

    memcpy(o, it->nib, n);
    o += n;
    *o++ = '-';
    memcpy(o, it->act[i].kbli, k);
    o += k;
    *o++ = '-';
    for (const char *p = it->district; *p && o < out + 31; p++)
        if (*p != '.')
            *o++ = *p;
    *o = '\0';
}

void decide_permits(struct item *it, int64_t decided_ms)
{
    for (size_t i = 0; i < it->n_act; i++) {
        struct permit_state st;
        int pending = decide_permit_pending(it, i);
        unsigned n = it->sla_days[i] ? it->sla_days[i] : REFDATA_SLA_DEFAULT_DAYS;
        permit_init(&st, pending, decided_ms, n, it->holidays);
        it->sla_days[i] = n;
        it->act_dl[i] = st.dl;
    }
}
