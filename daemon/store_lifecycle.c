/* store_lifecycle: status updates of permits and NIB actions, applied in the batch transaction
 * (docs/lifecycle.md): duplicates, row locks, the transition rules, history rows, events and
 * dead letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "event_nib.h"
#include "event_permit.h"
#include "log.h"
#include "permit.h"
#include "store_internal.h"

/* An instant as a SQL parameter: "$n" is epoch milliseconds. */
#define TS(n) "(timestamptz 'epoch' + " n "::bigint * interval '1 millisecond')"
/* A timestamptz column as epoch milliseconds (NULL stays NULL). */
#define MS(col) "floor(extract(epoch FROM " col ") * 1000)::bigint"

/* What one call of store_lifecycle_apply works with; the buffers are scratch space. */
struct lc {
    struct store *st;
    struct batch *b;
    const struct event_ctx *ec;
    char *err;
    size_t errlen;
    char failed_at[32];
    struct buf hex_in, hex_key, hex_sha, ev;
};

static void lc_free(struct lc *c)
{
    buf_free(&c->hex_in);
    buf_free(&c->hex_key);
    buf_free(&c->hex_sha);
    buf_free(&c->ev);
}

/* Runs one statement with text parameters (NULL: SQL NULL). The result, or NULL with c->err. */
static PGresult *q(struct lc *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c->st->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
        return r;
    snprintf(c->err, c->errlen, "%s", PQresultErrorMessage(r));
    c->err[strcspn(c->err, "\n")] = '\0';
    pg_note_error(r);
    PQclear(r);
    return NULL;
}

/* Runs a statement whose result is not needed; 0 or -1. */
static int q_do(struct lc *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = q(c, sql, n, params);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* Hex text of bytes for decode($n, 'hex'); NULL when p is NULL. Reuses b. */
static const char *hex(struct buf *b, const void *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *s = p;

    if (!p)
        return NULL;
    buf_reset(b);
    for (size_t i = 0; i < len; i++) {
        buf_putc(b, digits[s[i] >> 4]);
        buf_putc(b, digits[s[i] & 15]);
    }
    buf_putc(b, '\0');
    return b->data;
}

static const char *str_at(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void fmt_ll(char out[24], long long v)
{
    snprintf(out, 24, "%lld", v);
}

/* Appends an outbox message to b->out and writes its outbox row (with its id). Steals
 * headers (NULL: an event). 0 or -1. */
static int outbox_row(struct lc *c, const char *topic, const void *key, size_t key_len,
                      const void *value, size_t value_len, json_t *headers)
{
    struct outmsg *m = batch_add_out(c->b, topic, key, key_len, value, value_len, headers);
    char *h = headers ? json_dumps(headers, JSON_COMPACT) : NULL;
    char at[24];
    PGresult *r;

    fmt_ll(at, c->b->decided_ms);
    const char *params[5] = {topic, hex(&c->hex_key, m->key, m->key_len),
                             hex(&c->hex_in, m->value, m->value_len), h ? h : OUTBOX_HEADERS_EVENT,
                             at};
    r = q(c,
          "INSERT INTO outbox (id, topic, msg_key, msg_value, headers, attempted_at) "
          "VALUES (nextval('outbox_id_seq'), $1, decode($2, 'hex'), decode($3, 'hex'), "
          "$4::jsonb, " TS("$5") ") RETURNING id",
          5, params);
    free(h);
    if (!r)
        return -1;
    m->id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

/* Makes it a dead letter with code and the message already in it->dead_message: its
 * dead_letters row and its message on the input's dead-letter topic. *dead_id is the row's id
 * (an offset already recorded, by a re-delivery after a rebalance race, keeps its row and is not
 * produced again). 0 or -1. */
static int dead_letter(struct lc *c, struct item *it, const char *code, int64_t *dead_id)
{
    const rd_kafka_message_t *m = it->msg;
    char part[24], off[24], at[24];
    PGresult *r;

    it->out_kind = ITEM_DEAD;
    it->dead_code = code;
    c->b->n_dead++;
    c->b->n_lc[it->input - 1][BATCH_LC_REFUSED]++;
    fmt_ll(part, it->partition);
    fmt_ll(off, it->offset);
    fmt_ll(at, c->b->decided_ms);
    const char *params[9] = {code,
                             it->dead_message,
                             it->submission_id,
                             it->topic,
                             part,
                             off,
                             hex(&c->hex_key, m->key, m->key_len),
                             hex(&c->hex_in, m->payload ? m->payload : "", m->len),
                             at};
    r = q(c,
          "INSERT INTO dead_letters (error_code, error_message, submission_id, src_topic, "
          "src_partition, src_offset, msg_key, msg_value, failed_at) VALUES ($1, $2, $3, $4, "
          "$5::int, $6::bigint, decode($7, 'hex'), decode($8, 'hex'), " TS(
              "$9") ") "
                    "ON CONFLICT (src_topic, src_partition, src_offset) DO NOTHING RETURNING id",
          9, params);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        *dead_id = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        return outbox_row(c, store_dlq_topic(c->st->cfg, it->input), m->key, m->key_len,
                          m->payload ? m->payload : "", m->len,
                          store_dead_headers(it, it->topic, c->failed_at));
    }
    PQclear(r);
    it->dead_recorded = 1;
    const char *where[3] = {it->topic, part, off};
    r = q(c,
          "SELECT id FROM dead_letters WHERE src_topic = $1 AND src_partition = $2::int "
          "AND src_offset = $3::bigint",
          3, where);
    if (!r)
        return -1;
    *dead_id = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return 0;
}

static void skipped(struct lc *c, struct item *it)
{
    it->out_kind = ITEM_SKIP;
    c->b->n_skipped++;
    c->b->n_lc[it->input - 1][BATCH_LC_SKIPPED]++;
}

/* What an id seen before makes of a message: a first sight, a redelivery (skipped here), or
 * a conflict (other bytes; the dead-letter message is set, the caller refuses it). */
enum repeat { REPEAT_ERROR = -1, REPEAT_NEW, REPEAT_SKIPPED, REPEAT_CONFLICT };

/* Whether the id of it was consumed already (not counting DUPLICATE_CONFLICT rows). sql takes
 * $1 = the id, $2 = the hex hash, and gives one boolean: stored hash = $2. what names the id
 * ("status_id") in the conflict's message. */
static enum repeat known_id(struct lc *c, const char *sql, struct item *it, const char *what)
{
    const char *params[2] = {it->submission_id, hex(&c->hex_sha, it->sha, 32)};
    PGresult *r = q(c, sql, 2, params);
    enum repeat rep = REPEAT_NEW;

    if (!r)
        return REPEAT_ERROR;
    if (PQntuples(r) > 0 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
        skipped(c, it);
        rep = REPEAT_SKIPPED;
    } else if (PQntuples(r) > 0) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 "%s %s was already consumed with other bytes", what, it->submission_id);
        rep = REPEAT_CONFLICT;
    }
    PQclear(r);
    return rep;
}

/* ---- status updates ------------------------------------------------------ */

/* What a status update says, read from its (schema-valid) document. */
struct status_msg {
    const char *permit_id, *nib, *code, *agency, *note, *permit_number, *officer_id, *officer_name;
    int64_t status_at_ms;
};

/* A permit row, locked: its state for permit_apply and what its event needs. */
struct permit_row {
    char nib[14], kbli[6];
    struct permit_state st;
};

/* One row of permit_history: applied when chg is set, else refused with error_code. */
static int history_row(struct lc *c, const struct item *it, const struct status_msg *s,
                       const struct permit_change *chg, const char *event_id,
                       const char *error_code, int64_t dead_id)
{
    char at[24], due[24], dead[24], part[24], off[24];
    const rd_kafka_message_t *m = it->msg;

    fmt_ll(at, s->status_at_ms);
    fmt_ll(due, chg ? chg->sla_due_ms : 0);
    fmt_ll(dead, dead_id);
    fmt_ll(part, it->partition);
    fmt_ll(off, it->offset);
    const char *params[20] = {
        s->permit_id,
        it->submission_id,
        hex(&c->hex_sha, it->sha, 32),
        s->code,
        at,
        s->agency,
        s->officer_id,
        s->officer_name,
        s->note,
        s->permit_number,
        error_code,
        chg ? permit_status_name(chg->previous_status) : NULL,
        chg ? permit_status_name(chg->status) : NULL,
        chg && chg->has_sla_due ? due : NULL,
        chg ? event_id : NULL,
        chg ? NULL : dead,
        it->topic,
        part,
        off,
        hex(&c->hex_in, m->payload ? m->payload : "", m->len),
    };
    return q_do(
        c,
        "INSERT INTO permit_history (permit_id, status_id, payload_sha256, code, "
        "status_at, agency, officer_id, officer_name, note, permit_number, error_code, "
        "previous_status, status, sla_due, event_id, dead_letter_id, src_topic, "
        "src_partition, src_offset, input) VALUES ($1, $2, decode($3, 'hex'), $4, " TS(
            "$5") ", $6, $7, $8, $9, $10, $11, $12, $13, " TS("$14") ", $15::uuid, $16::bigint, "
                                                                     "$17, $18::int, $19::bigint, "
                                                                     "decode($20, 'hex'))",
        20, params);
}

/* The journal line of an applied or refused status update or NIB action (app.c writes it
 * after the commit): the permit and status code, or the NIB and action; never the officer or
 * the note. refusal NULL: applied. */
static void note_log(struct item *it, const char *subject, const char *what, const char *refusal)
{
    snprintf(it->lc_subject, sizeof(it->lc_subject), "%s", subject ? subject : "");
    snprintf(it->lc_what, sizeof(it->lc_what), "%s", what ? what : "");
    it->lc_refusal = refusal;
}

/* A refused update: its dead letter, then its history row (a permit's history keeps it). */
static int refuse_status(struct lc *c, struct item *it, const struct status_msg *s,
                         const char *code)
{
    int64_t dead_id = 0;
    note_log(it, s->permit_id, s->code, code);
    if (dead_letter(c, it, code, &dead_id) != 0)
        return -1;
    return history_row(c, it, s, NULL, NULL, code, dead_id);
}

/* Locks the permit and reads it; 1 found, 0 none, -1 error. */
static int load_permit(struct lc *c, const char *permit_id, struct permit_row *p)
{
    const char *params[1] = {permit_id};
    PGresult *r = q(c,
                    "SELECT p.nib, p.kbli, p.status, p.clock, coalesce(p.sla_days, 0), "
                    "coalesce(p.last_day - date '1970-01-01', 0), coalesce(" MS(
                        "p.sla_due") ", 0), "
                                     "coalesce(" MS("p.stopped_at") ", 0), " MS(
                                         "p.last_status_at") ", b.nib_status "
                                                             "FROM permits p JOIN business_actors "
                                                             "b ON b.actor_id = p.actor_id "
                                                             "WHERE p.permit_id = $1 FOR NO KEY "
                                                             "UPDATE OF p FOR SHARE OF b",
                    1, params);
    int status, clock, nib;

    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    memset(p, 0, sizeof(*p));
    str_copy(p->nib, sizeof(p->nib), PQgetvalue(r, 0, 0));
    str_copy(p->kbli, sizeof(p->kbli), PQgetvalue(r, 0, 1));
    status = permit_status_parse(PQgetvalue(r, 0, 2));
    clock = permit_clock_parse(PQgetvalue(r, 0, 3));
    nib = permit_nib_parse(PQgetvalue(r, 0, 9));
    p->st.status = status < 0 ? PERMIT_REJECTED : (enum permit_status)status;
    p->st.clock = clock < 0 ? PERMIT_CLOCK_NONE : (enum permit_clock)clock;
    p->st.sla_days = (unsigned)atoi(PQgetvalue(r, 0, 4));
    p->st.dl.last_day = (int32_t)atol(PQgetvalue(r, 0, 5));
    p->st.dl.due_ms = atoll(PQgetvalue(r, 0, 6));
    p->st.stopped_at_ms = atoll(PQgetvalue(r, 0, 7));
    p->st.has_last_status_at = !PQgetisnull(r, 0, 8);
    p->st.last_status_at_ms = p->st.has_last_status_at ? atoll(PQgetvalue(r, 0, 8)) : 0;
    p->st.nib = nib < 0 ? PERMIT_NIB_ACTIVE : (enum permit_nib)nib;
    PQclear(r);
    return 1;
}

/* Why permit_apply refused an update, for the dead letter's message. */
static void refusal_message(struct item *it, const struct permit_row *p, const struct status_msg *s,
                            const char *refusal)
{
    char *msg = it->dead_message;
    size_t n = sizeof(it->dead_message);

    if (strcmp(refusal, "CODE_UNKNOWN") == 0)
        snprintf(msg, n,
                 "code %s is not a status code the topic may carry (PIA Lampiran 10; 57 is set "
                 "by ossd only, 91 and 92 are withdrawn)",
                 s->code);
    else if (p->st.nib == PERMIT_NIB_REVOKED)
        snprintf(msg, n, "the NIB of permit %s is revoked", s->permit_id);
    else if (p->st.has_last_status_at && s->status_at_ms < p->st.last_status_at_ms)
        snprintf(msg, n, "status_at is earlier than that of the permit's last applied update");
    else
        snprintf(msg, n, "code %s does not apply to a %s permit (clock %s)", s->code,
                 permit_status_name(p->st.status), permit_clock_name(p->st.clock));
}

/* The permit's row after an applied update. */
static int update_permit(struct lc *c, const char *permit_id, const struct permit_state *st)
{
    char day[24], due[24], stopped[24], last[24];
    int clock_on = st->clock != PERMIT_CLOCK_NONE;
    int stopped_on = st->clock == PERMIT_CLOCK_STOPPED_41 || st->clock == PERMIT_CLOCK_STOPPED_43;

    fmt_ll(day, st->dl.last_day);
    fmt_ll(due, st->dl.due_ms);
    fmt_ll(stopped, st->stopped_at_ms);
    fmt_ll(last, st->last_status_at_ms);
    const char *params[7] = {permit_id,
                             permit_status_name(st->status),
                             permit_clock_name(st->clock),
                             clock_on ? day : NULL,
                             clock_on ? due : NULL,
                             stopped_on ? stopped : NULL,
                             last};
    return q_do(c,
                "UPDATE permits SET status = $2, clock = $3, "
                "last_day = coalesce(date '1970-01-01' + $4::int, last_day), "
                "sla_due = coalesce(" TS(
                    "$5") ", sla_due), "
                          "stopped_at = coalesce(" TS(
                              "$6") ", stopped_at), "
                                    "last_status_at = " TS(
                                        "$7") ", updated_at = now() WHERE permit_id = $1",
                7, params);
}

static int apply_status(struct lc *c, struct item *it)
{
    const json_t *d = it->doc, *officer = json_object_get(it->doc, "officer");
    struct status_msg s = {
        .permit_id = str_at(d, "permit_id"),
        .nib = str_at(d, "nib"),
        .code = str_at(d, "code"),
        .agency = str_at(d, "agency"),
        .note = str_at(d, "note"),
        .permit_number = str_at(d, "permit_number"),
        .officer_id = str_at(officer, "id"),
        .officer_name = str_at(officer, "name"),
    };
    struct permit_row p;
    struct permit_change chg;
    const char *refusal = NULL;
    char event_id[37];
    int found;
    int64_t dead_id = 0;

    if (rfc3339_to_ms(str_at(d, "status_at"), &s.status_at_ms) != 0) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 "at \"/status_at\": not an RFC 3339 date-time ossd can read");
        return dead_letter(c, it, "SCHEMA_INVALID", &dead_id);
    }
    switch (known_id(c,
                     "SELECT payload_sha256 = decode($2, 'hex') FROM permit_history "
                     "WHERE status_id = $1 AND error_code IS DISTINCT FROM 'DUPLICATE_CONFLICT' "
                     "LIMIT 1",
                     it, "status_id")) {
    case REPEAT_ERROR:
        return -1;
    case REPEAT_SKIPPED:
        return 0;
    case REPEAT_CONFLICT:
        return refuse_status(c, it, &s, "DUPLICATE_CONFLICT");
    case REPEAT_NEW:
        break;
    }
    found = load_permit(c, s.permit_id, &p);
    if (found < 0)
        return -1;
    if (!found || strcmp(p.nib, s.nib) != 0) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 found ? "permit %s does not belong to the NIB given" : "no permit %s",
                 s.permit_id);
        return dead_letter(c, it, "PERMIT_UNKNOWN", &dead_id);
    }
    struct permit_update upd = {s.code, s.status_at_ms};
    if (permit_apply(&p.st, &upd, c->b->holidays, &chg, &refusal) != PERMIT_APPLIED) {
        refusal_message(it, &p, &s, refusal); /* p.st is unchanged */
        return refuse_status(c, it, &s, refusal);
    }
    struct event_permit ep = {
        .permit_id = s.permit_id,
        .nib = p.nib,
        .kbli = p.kbli,
        .status = permit_status_name(chg.status),
        .previous_status = permit_status_name(chg.previous_status),
        .code = chg.code,
        .agency = s.agency,
        .permit_number = s.permit_number,
        .status_id = it->submission_id,
        .status_at_ms = chg.status_at_ms,
        .has_sla_due = chg.has_sla_due,
        .sla_due_ms = chg.sla_due_ms,
        .decided_ms = c->b->decided_ms,
    };
    buf_reset(&c->ev);
    event_permit_changed(c->ec, &ep, &c->ev, event_id);
    memcpy(it->event_id, event_id, sizeof(event_id));
    it->event_type = EVENT_TYPE_PERMIT_CHANGED;
    c->b->n_lc[it->input - 1][BATCH_LC_APPLIED]++;
    note_log(it, s.permit_id, s.code, NULL);
    if (update_permit(c, s.permit_id, &p.st) != 0 ||
        history_row(c, it, &s, &chg, event_id, NULL, 0) != 0)
        return -1;
    /* the event buffer is copied by batch_add_out before hex() reuses others */
    return outbox_row(c, c->st->cfg->topic_issuance, s.permit_id, strlen(s.permit_id), c->ev.data,
                      c->ev.len, NULL);
}

/* ---- NIB actions --------------------------------------------------------- */

/* One row of nib_actions: applied when event_id is set, else refused with error_code. */
static int action_row(struct lc *c, const struct item *it, int64_t acted_ms, const char *previous,
                      const char *status, const char *event_id, const char *error_code,
                      int64_t dead_id)
{
    const json_t *d = it->doc;
    const rd_kafka_message_t *m = it->msg;
    char acted[24], dead[24], part[24], off[24], at[24];

    fmt_ll(acted, acted_ms);
    fmt_ll(dead, dead_id);
    fmt_ll(part, it->partition);
    fmt_ll(off, it->offset);
    fmt_ll(at, c->b->decided_ms);
    const char *params[19] = {
        it->submission_id,
        str_at(d, "nib"),
        str_at(d, "action"),
        acted,
        str_at(d, "authority"),
        str_at(d, "legal_basis"),
        str_at(d, "reason"),
        hex(&c->hex_in, m->payload ? m->payload : "", m->len),
        hex(&c->hex_sha, it->sha, 32),
        event_id ? "true" : "false",
        error_code,
        previous,
        event_id ? status : NULL,
        event_id,
        event_id ? NULL : dead,
        it->topic,
        part,
        off,
        at,
    };
    return q_do(
        c,
        "INSERT INTO nib_actions (action_id, nib, action, acted_at, authority, "
        "legal_basis, reason, input, payload_sha256, applied, error_code, "
        "previous_status, status, event_id, dead_letter_id, src_topic, src_partition, "
        "src_offset, decided_at) VALUES ($1, $2, $3, " TS(
            "$4") ", $5, $6, $7, "
                  "decode($8, 'hex'), decode($9, 'hex'), $10::boolean, $11, $12, $13, $14::uuid, "
                  "$15::bigint, $16, $17::int, $18::bigint, " TS("$19") ")",
        19, params);
}

static int refuse_action(struct lc *c, struct item *it, int64_t acted_ms, const char *previous,
                         const char *code)
{
    int64_t dead_id = 0;
    note_log(it, str_at(it->doc, "nib"), str_at(it->doc, "action"), code);
    if (dead_letter(c, it, code, &dead_id) != 0)
        return -1;
    return action_row(c, it, acted_ms, previous, NULL, NULL, code, dead_id);
}

static int apply_nib_action(struct lc *c, struct item *it)
{
    const json_t *d = it->doc;
    const char *nib = str_at(d, "nib"), *action = str_at(d, "action"), *next;
    char cur[3], event_id[37];
    int64_t acted_ms = 0, dead_id = 0;
    PGresult *r;

    if (rfc3339_to_ms(str_at(d, "acted_at"), &acted_ms) != 0) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 "at \"/acted_at\": not an RFC 3339 date-time ossd can read");
        return dead_letter(c, it, "SCHEMA_INVALID", &dead_id);
    }
    switch (known_id(c,
                     "SELECT payload_sha256 = decode($2, 'hex') FROM nib_actions "
                     "WHERE action_id = $1 AND error_code IS DISTINCT FROM 'DUPLICATE_CONFLICT' "
                     "LIMIT 1",
                     it, "action_id")) {
    case REPEAT_ERROR:
        return -1;
    case REPEAT_SKIPPED:
        return 0;
    case REPEAT_CONFLICT:
        return refuse_action(c, it, acted_ms, NULL, "DUPLICATE_CONFLICT");
    case REPEAT_NEW:
        break;
    }
    const char *params[2] = {nib, NULL};
    r = q(c, "SELECT nib_status FROM business_actors WHERE nib = $1 FOR UPDATE", 1, params);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(it->dead_message, sizeof(it->dead_message), "no business actor holds NIB %s", nib);
        return refuse_action(c, it, acted_ms, NULL, "NIB_UNKNOWN");
    }
    str_copy(cur, sizeof(cur), PQgetvalue(r, 0, 0));
    PQclear(r);
    next = decide_nib_next(action, cur);
    if (!next) {
        snprintf(it->dead_message, sizeof(it->dead_message),
                 "%s does not apply to an NIB of status %s", action, cur);
        return refuse_action(c, it, acted_ms, cur, "TRANSITION_INVALID");
    }
    params[1] = next;
    if (q_do(c, "UPDATE business_actors SET nib_status = $2 WHERE nib = $1", 2, params) != 0)
        return -1;
    struct event_nib en = {
        .action_id = it->submission_id,
        .nib = nib,
        .status = next,
        .previous_status = cur,
        .action = action,
        .authority = str_at(d, "authority"),
        .legal_basis = str_at(d, "legal_basis"),
        .acted_at_ms = acted_ms,
        .decided_ms = c->b->decided_ms,
    };
    buf_reset(&c->ev);
    event_nib_changed(c->ec, &en, &c->ev, event_id);
    memcpy(it->event_id, event_id, sizeof(event_id));
    it->event_type = EVENT_TYPE_NIB_CHANGED;
    c->b->n_lc[it->input - 1][BATCH_LC_APPLIED]++;
    note_log(it, nib, action, NULL);
    if (action_row(c, it, acted_ms, cur, next, event_id, NULL, 0) != 0)
        return -1;
    return outbox_row(c, c->st->cfg->topic_issuance, nib, strlen(nib), c->ev.data, c->ev.len, NULL);
}

int store_lifecycle_apply(struct store *st, struct batch *b, const struct event_ctx *ec, char *err,
                          size_t errlen)
{
    struct lc c = {.st = st, .b = b, .ec = ec, .err = err, .errlen = errlen};
    int rc = 0;

    format_rfc3339_ms(b->decided_ms, c.failed_at);
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        struct item *it = &b->items[i];
        if (it->out_kind != ITEM_DECIDE || it->input == ITEM_INPUT_SUBMISSION || !it->doc)
            continue;
        rc = it->input == ITEM_INPUT_STATUS ? apply_status(&c, it) : apply_nib_action(&c, it);
    }
    lc_free(&c);
    return rc;
}
