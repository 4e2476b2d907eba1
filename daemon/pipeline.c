/* pipeline: the JSON Schema check and the handler chain, run over each item of a batch. */
#include "pipeline.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "decide.h"
#include "event.h"
#include "handler_api.h"
#include "jsonschema.h"
#include "log.h"
#include "reasons.h"
#include "rules.h"

struct stage {
    const struct ossd_handler_type *type;
    void *instance;
    void *dl; /* dlopen handle of an external handler, or NULL */
    const struct config_section *section;
    char *name;      /* the instance: its [handler.NAME] section, HANDLER= in logs */
    char *type_name; /* its type: `type` in that section, else the name itself */
};

/* The message handlers last asked to retry, and how many times in a row;
 * and the last messages given up on, which stay given up on when the batch
 * is decided again for another message's retry. */
#define CONDEMNED_MAX 64
struct retry_track {
    int active;
    int32_t partition;
    int64_t offset;
    int count;
    struct {
        int32_t partition;
        int64_t offset;
    } condemned[CONDEMNED_MAX];
    size_t n_condemned, next_condemned;
};

static int condemned(const struct retry_track *t, const struct item *it)
{
    for (size_t i = 0; i < t->n_condemned; i++)
        if (t->condemned[i].partition == it->partition && t->condemned[i].offset == it->offset)
            return 1;
    return 0;
}

/* Counts one more retry asked for it; 1 when it is one too many. */
static int retry_exhausted(struct retry_track *t, const struct item *it, int max)
{
    if (condemned(t, it))
        return 1;
    if (!t->active) {
        t->active = 1;
        t->partition = it->partition;
        t->offset = it->offset;
        t->count = 0;
    }
    if (t->partition != it->partition || t->offset != it->offset)
        return 0; /* another message is being counted */
    if (++t->count <= max)
        return 0;
    t->active = 0;
    t->condemned[t->next_condemned].partition = it->partition;
    t->condemned[t->next_condemned].offset = it->offset;
    t->next_condemned = (t->next_condemned + 1) % CONDEMNED_MAX;
    if (t->n_condemned < CONDEMNED_MAX)
        t->n_condemned++;
    return 1;
}

struct pipeline {
    struct jsonschema *schema;
    struct jsonschema *lifecycle[3]; /* per enum item_input: status update, NIB action */
    struct stage *stages;
    size_t n_stages;
    int retry_max;             /* [pipeline] handler_retry_max */
    struct retry_track *retry; /* owned; mutable state of a const pipeline */
    /* owned; the decision draft, reused from message to message (it is ~22 KB: calloc'ed per
     * message it cost ~22k instructions, nearly all zeroing). All zero between runs. */
    struct ossd_decision *draft;
};

/* ---- handler loading ------------------------------------------------------------------------ */

static int stage_init(struct stage *st, const struct config *cfg, char *err, size_t errlen)
{
    struct ossd_handler_config hc;
    char ierr[256] = "";
    int rc = -1;

    if (handler_config_parse(&hc, st->name, st->type->config_keys, st->section, cfg->path, err,
                             errlen) != 0)
        goto out;
    if (st->type->init && st->type->init(&st->instance, &hc, ierr, sizeof(ierr)) != 0) {
        snprintf(err, errlen, "handler %s: %s", st->name, ierr[0] ? ierr : "init failed");
        goto out;
    }
    rc = 0;
out:
    handler_config_free(&hc);
    return rc;
}

/* NULL when type is a registration ossd can call, else what is wrong with it. */
static const char *type_refused(const struct ossd_handler_type *type, char *why, size_t whylen)
{
    if (!type)
        return "ossd_handler_entry returned NULL";
    /* abi_major is the first member in every ABI version (ABI 1 called it abi_version). */
    if (type->abi_major != OSSD_HANDLER_ABI_MAJOR) {
        snprintf(why, whylen,
                 "built for handler ABI %u, ossd %s supports ABI %d.%d only: rebuild it against "
                 "include/ossd/handler.h",
                 (unsigned)type->abi_major, OSSD_VERSION, OSSD_HANDLER_ABI_MAJOR,
                 OSSD_HANDLER_ABI_MINOR);
        return why;
    }
    if (type->abi_minor > OSSD_HANDLER_ABI_MINOR) {
        snprintf(why, whylen, "built for handler ABI %u.%u, newer than this ossd's %d.%d",
                 (unsigned)type->abi_major, (unsigned)type->abi_minor, OSSD_HANDLER_ABI_MAJOR,
                 OSSD_HANDLER_ABI_MINOR);
        return why;
    }
    if (type->struct_size < OSSD_HANDLER_TYPE_MIN_SIZE) {
        snprintf(why, whylen, "struct ossd_handler_type of %u bytes, ABI %d.%d needs %zu",
                 (unsigned)type->struct_size, OSSD_HANDLER_ABI_MAJOR, OSSD_HANDLER_ABI_MINOR,
                 (size_t)OSSD_HANDLER_TYPE_MIN_SIZE);
        return why;
    }
    if (!type->name || !type->process)
        return "no name or no process function";
    return NULL;
}

static int stage_load(struct stage *st, const struct config *cfg, char *err, size_t errlen)
{
    char path[1024], secname[128], why[256];
    const char *type_name, *bad;
    ossd_handler_entry_fn entry;

    snprintf(secname, sizeof(secname), "handler.%s", st->name);
    st->section = config_section(cfg, secname);
    type_name = config_section_get(st->section, "type");
    if (type_name && !type_name[0]) {
        snprintf(err, errlen, "%s: [%s] type is empty", cfg->path, secname);
        return -1;
    }
    st->type_name = xstrdup(type_name ? type_name : st->name);
    st->type = builtin_handler_find(st->type_name);
    if (st->type)
        return stage_init(st, cfg, err, errlen);
    if (strchr(st->type_name, '/') || st->type_name[0] == '.') {
        snprintf(err, errlen, "handler '%s': type '%s' is not a plain name", st->name,
                 st->type_name);
        return -1;
    }
    if (!cfg->plugin_dir[0]) {
        snprintf(err, errlen, "unknown handler '%s' (no built-in of that name, no plugin_dir)",
                 st->type_name);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s.so", cfg->plugin_dir, st->type_name);
    st->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!st->dl) {
        snprintf(err, errlen, "handler '%s': %s", st->name, dlerror());
        return -1;
    }
    *(void **)&entry = dlsym(st->dl, OSSD_HANDLER_ENTRY);
    if (!entry) {
        snprintf(err, errlen, "handler '%s': %s exports no ossd_handler_entry", st->name, path);
        return -1;
    }
    st->type = entry();
    if ((bad = type_refused(st->type, why, sizeof(why)))) {
        snprintf(err, errlen, "handler '%s': %s: %s", st->name, path, bad);
        st->type = NULL;
        return -1;
    }
    return stage_init(st, cfg, err, errlen);
}

static void stage_destroy(struct stage *st)
{
    if (st->type && st->type->destroy && st->instance)
        st->type->destroy(st->instance);
    if (st->dl)
        dlclose(st->dl);
    free(st->name);
    free(st->type_name);
}

struct pipeline *pipeline_new(const struct config *cfg, char *err, size_t errlen)
{
    struct pipeline *p = xcalloc(1, sizeof(*p));
    char path[1024];
    char *list = xstrdup(cfg->handlers), *save = NULL;

    p->retry_max = cfg->handler_retry_max > 0 ? cfg->handler_retry_max : 20;
    p->retry = xcalloc(1, sizeof(*p->retry));
    p->draft = xcalloc(1, sizeof(*p->draft));

    snprintf(path, sizeof(path), "%s/submission.v1.json", cfg->datadir);
    p->schema = jsonschema_load_file(path, err, errlen);
    if (!p->schema)
        goto err;
    static const char *const lifecycle_files[] = {
        [ITEM_INPUT_STATUS] = "license-status.v1.json",
        [ITEM_INPUT_NIB_ACTION] = "nib-action.v1.json",
    };
    for (size_t i = ITEM_INPUT_STATUS; i < ARRAY_SIZE(lifecycle_files); i++) {
        snprintf(path, sizeof(path), "%s/%s", cfg->datadir, lifecycle_files[i]);
        p->lifecycle[i] = jsonschema_load_file(path, err, errlen);
        if (!p->lifecycle[i])
            goto err;
    }
    for (char *tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        for (size_t i = 0; i < p->n_stages; i++) {
            if (strcmp(p->stages[i].name, tok) == 0) {
                snprintf(err, errlen, "%s: handler '%s' is listed twice", cfg->path, tok);
                goto err;
            }
        }
        p->stages = xrealloc(p->stages, (p->n_stages + 1) * sizeof(*p->stages));
        struct stage *st = &p->stages[p->n_stages++];
        memset(st, 0, sizeof(*st));
        st->name = xstrdup(tok);
        if (stage_load(st, cfg, err, errlen) != 0)
            goto err;
    }
    /* A [handler.X] section for a handler not in the chain is a typo. */
    for (size_t i = 0; i < cfg->n_sections; i++) {
        const char *n = cfg->sections[i].name;
        if (strncmp(n, "handler.", 8) != 0)
            continue;
        int used = 0;
        for (size_t j = 0; j < p->n_stages; j++)
            used |= strcmp(p->stages[j].name, n + 8) == 0;
        if (!used) {
            snprintf(err, errlen, "%s:%d: [%s] names a handler that is not in [pipeline] handlers",
                     cfg->path, cfg->sections[i].line, n);
            goto err;
        }
    }
    free(list);
    return p;
err:
    free(list);
    pipeline_free(p);
    return NULL;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_stages; i++)
        stage_destroy(&p->stages[i]);
    free(p->stages);
    jsonschema_free(p->schema);
    for (size_t i = 0; i < ARRAY_SIZE(p->lifecycle); i++)
        jsonschema_free(p->lifecycle[i]);
    free(p->retry);
    free(p->draft);
    free(p);
}

size_t pipeline_size(const struct pipeline *p)
{
    return p->n_stages;
}

const char *pipeline_handler_name(const struct pipeline *p, size_t i)
{
    return p->stages[i].name;
}

json_t *pipeline_chain(const struct pipeline *p)
{
    json_t *chain = json_array();
    struct buf text = {0};

    for (size_t i = 0; i < p->n_stages; i++) {
        const struct stage *st = &p->stages[i];
        unsigned char d[32];
        char hex[65];
        buf_reset(&text);
        for (size_t k = 0; st->section && k < st->section->n_kv; k++)
            buf_printf(&text, "%s=%s\n", st->section->kv[k].key, st->section->kv[k].value);
        sha256(text.data ? text.data : "", text.len, d);
        for (size_t k = 0; k < 32; k++)
            snprintf(hex + 2 * k, 3, "%02x", d[k]);
        json_array_append_new(chain, json_pack("{s:s,s:s,s:s}", "name", st->name, "type",
                                               st->type->name ? st->type->name : "",
                                               "config_sha256", hex));
    }
    buf_free(&text);
    return chain;
}

/* ---- submissions ------------------------------------------------------ */

static const char *str_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer-valued JSON number as long long; reals beyond the range (the
 * schema accepts 1e300 as an integer) saturate, which keeps their meaning
 * for the thresholds ("more than 10 billion"). */
static long long number_ll(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    double d = json_real_value(v);
    if (d >= 9.2e18)
        return LLONG_MAX;
    if (d <= -9.2e18)
        return LLONG_MIN;
    return (long long)d;
}

void submission_from_json(const json_t *doc, struct ossd_submission *s)
{
    const json_t *a = json_object_get(doc, "applicant");
    const json_t *addr = json_object_get(a, "address");
    const json_t *b = json_object_get(doc, "business");
    const json_t *loc = json_object_get(b, "location");
    const json_t *acts = json_object_get(b, "activities");
    const json_t *v;

    memset(s, 0, sizeof(*s));
    s->doc = doc;
    s->submission_id = str_at(doc, "submission_id");
    s->submitted_at = str_at(doc, "submitted_at");
    if (s->submitted_at && strlen(s->submitted_at) >= 10) {
        char date[11]; /* the local date YYYY-MM-DD that starts an RFC 3339 date-time */
        memcpy(date, s->submitted_at, 10);
        date[10] = '\0';
        if (rules_date_parse(date, &s->submitted_year, &s->submitted_month, &s->submitted_day))
            s->submitted_year = s->submitted_month = s->submitted_day = 0;
    }
    s->channel = str_at(doc, "channel");
    s->applicant.type = str_at(a, "type");
    s->applicant.nik = str_at(a, "nik");
    s->applicant.name = str_at(a, "name");
    s->applicant.birth_date = str_at(a, "birth_date");
    s->applicant.gender = str_at(a, "gender");
    s->applicant.npwp = str_at(a, "npwp");
    s->applicant.phone = str_at(a, "phone");
    s->applicant.email = str_at(a, "email");
    s->applicant.street = str_at(addr, "street");
    s->applicant.region_code = str_at(addr, "region_code");
    s->business.name = str_at(b, "name");
    if ((v = json_object_get(b, "capital_idr")) && json_is_number(v)) {
        s->business.has_capital = 1;
        s->business.capital_idr = number_ll(v);
    }
    if ((v = json_object_get(b, "annual_sales_idr")) && json_is_number(v)) {
        s->business.has_sales = 1;
        s->business.annual_sales_idr = number_ll(v);
    }
    if ((v = json_object_get(b, "workers")) && json_is_number(v)) {
        s->business.has_workers = 1;
        s->business.workers = number_ll(v);
    }
    s->business.region_code = str_at(loc, "region_code");
    s->business.street = str_at(loc, "street");
    for (size_t i = 0; i < json_array_size(acts) && i < OSSD_MAX_ACTIVITIES; i++) {
        const json_t *act = json_array_get(acts, i);
        s->business.activities[i].kbli = str_at(act, "kbli");
        s->business.activities[i].description = str_at(act, "description");
        s->business.n_activities++;
    }
}

/* Reasons are built and ordered by reasons.c; the pipeline gives them to the item. */
static void add_reason(struct item *it, const char *code, const char *path, const char *message)
{
    reasons_add(&it->reasons, code, path, message);
}

/* ---- running ---------------------------------------------------------- */

struct schema_cb_ctx {
    struct item *it;
};

static void on_schema_error(void *arg, const char *path, const char *keyword, const char *message)
{
    struct schema_cb_ctx *c = arg;
    (void)keyword;
    add_reason(c->it, "SCHEMA_INVALID", path, message);
}

struct log_opaque {
    const char *handler;
    const struct item *it;
};

static void handler_log(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
{
    const struct log_opaque *lo = ctx->opaque;
    char msg[1024], f_handler[96], f_sid[96];
    va_list ap;

    if (!log_enabled((int)level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(f_handler, sizeof(f_handler), "HANDLER=%s", lo->handler);
    snprintf(f_sid, sizeof(f_sid), "SUBMISSION_ID=%s", lo->it->submission_id);
    const char *fields[] = {f_handler, f_sid, NULL};
    log_fields((int)level, fields, "%s: %s", lo->handler, msg);
}

/* The message becomes an INTERNAL_ERROR dead letter: a handler failed on it. */
static void handler_failed(struct item *it, const char *handler, const char *what)
{
    char f_sid[96], f_off[48], f_h[80];
    snprintf(f_sid, sizeof(f_sid), "SUBMISSION_ID=%s", it->submission_id);
    snprintf(f_off, sizeof(f_off), "KAFKA_OFFSET=%lld", (long long)it->offset);
    snprintf(f_h, sizeof(f_h), "HANDLER=%s", handler);
    const char *fields[] = {f_sid, f_off, f_h, "ERROR_CODE=INTERNAL_ERROR", NULL};
    log_fields(LOG_LVL_ERROR, fields,
               "handler %s %s for submission %s at partition %d offset %lld; it becomes a dead "
               "letter",
               handler, what, it->submission_id, it->partition, (long long)it->offset);
    char msg[200];
    snprintf(msg, sizeof(msg), "handler %.40s %.120s", handler, what);
    decide_dead_letter(it, "INTERNAL_ERROR", msg);
    json_decref(it->doc);
    it->doc = NULL;
}

/* Keeps what the store and the events need; the document goes. */
static void release_doc(struct item *it)
{
    event_extract(it);
    json_decref(it->doc);
    it->doc = NULL;
}

/* Zeroes again what a run may have written in the draft: the counts and the enrichment, and
 * the reason and activity slots below the highest counts the chain left (a handler writes a slot
 * and counts it; one that lowers a count, as risk does for the activities, leaves slots above it
 * written, hence the high-water marks). Everything when a handler left counts out of bounds. */
static void draft_reset(struct ossd_decision *d, size_t hw_reasons, size_t hw_acts, int all)
{
    if (all || hw_reasons > OSSD_MAX_REASONS || hw_acts > OSSD_MAX_ACTIVITIES) {
        memset(d, 0, sizeof(*d));
        return;
    }
    memset(d->reasons, 0, hw_reasons * sizeof(d->reasons[0]));
    memset(d->activities, 0, hw_acts * sizeof(d->activities[0]));
    d->n_reasons = 0;
    d->reasons_truncated = 0;
    memset(d->scale, 0, sizeof(d->scale));
    d->umk = 0;
    memset(d->authority, 0, sizeof(d->authority));
    d->n_activities = 0;
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))

static void on_first_lifecycle_error(void *arg, const char *path, const char *keyword,
                                     const char *message)
{
    char *msg = arg;
    (void)keyword;
    if (!msg[0])
        snprintf(msg, sizeof(((struct item *)0)->dead_message), "at \"%s\": %s", path, message);
}

/* A status update or an NIB action: only its JSON Schema, no handler chain; the document
 * stays with the item for the store (docs/lifecycle.md). */
static void run_lifecycle(const struct pipeline *p, struct item *it)
{
    char msg[sizeof(it->dead_message)] = "";
    size_t nerr =
        jsonschema_validate(p->lifecycle[it->input], it->doc, 1, on_first_lifecycle_error, msg);
    if (nerr == (size_t)-1) { /* out of memory: transient */
        it->retry = 1;
        return;
    }
    if (nerr > 0) {
        decide_dead_letter(it, "SCHEMA_INVALID", msg);
        json_decref(it->doc);
        it->doc = NULL;
        return;
    }
    it->schema_ok = 1;
}

void pipeline_run(const struct pipeline *p, const struct ossd_refdata *rd, struct item *it)
{
    struct ossd_submission s;
    struct ossd_decision *d = p->draft;
    struct schema_cb_ctx scb = {it};
    size_t hw_reasons = 0, hw_acts = 0;
    int failed = 0;

    if (it->input != ITEM_INPUT_SUBMISSION) {
        run_lifecycle(p, it);
        return;
    }
    size_t nerr =
        jsonschema_validate(p->schema, it->doc, PIPELINE_MAX_SCHEMA_REASONS, on_schema_error, &scb);
    if (nerr == (size_t)-1) { /* out of memory: transient */
        it->retry = 1;
        return;
    }
    if (nerr > 0) {
        it->rejected = 1;
        reasons_sort(it->reasons);
        release_doc(it);
        return;
    }
    it->schema_ok = 1;
    submission_from_json(it->doc, &s);
    if (it->msg) {
        s.raw = it->msg->payload;
        s.raw_len = it->msg->len;
    }
    if (rfc3339_to_ms(s.submitted_at, &it->submitted_ms) != 0)
        it->submitted_ms = 0;
    for (size_t i = 0; i < p->n_stages; i++) {
        const struct stage *st = &p->stages[i];
        struct log_opaque lo = {st->name, it};
        struct ossd_ctx ctx = {rd, handler_log, &lo};
        enum ossd_result r = st->type->process(st->instance, &ctx, &s, d);
        if (d->misuse || (r != OSSD_OK && r != OSSD_REJECT && r != OSSD_RETRY)) {
            char what[120];
            if (d->misuse)
                snprintf(what, sizeof(what), "passed %s", d->misuse);
            else
                snprintf(what, sizeof(what), "returned an unknown result code");
            handler_failed(it, st->name, what);
            failed = 1;
            goto out;
        }
        hw_reasons = MAX(hw_reasons, d->n_reasons);
        hw_acts = MAX(hw_acts, d->n_activities);
        if (r == OSSD_RETRY && !it->retry) {
            if (retry_exhausted(p->retry, it, p->retry_max)) {
                char what[120];
                snprintf(what, sizeof(what), "asked to retry more than %d times in a row",
                         p->retry_max);
                handler_failed(it, st->name, what);
                goto out;
            }
            it->retry = 1;
        }
    }
    if (!it->retry && p->retry->active && p->retry->partition == it->partition &&
        p->retry->offset == it->offset)
        p->retry->active = 0; /* decided at last */
    for (size_t i = 0; i < d->n_reasons; i++)
        add_reason(it, d->reasons[i].code, d->reasons[i].path, d->reasons[i].message);
    it->rejected = d->n_reasons > 0;
    if (!it->rejected)
        decide_complete(d, &s, rd);
    hw_acts = MAX(hw_acts, d->n_activities);
    reasons_sort(it->reasons);

    memcpy(it->scale, d->scale, sizeof(it->scale));
    it->umk = d->umk;
    memcpy(it->authority, d->authority, sizeof(it->authority));
    it->n_act = s.business.n_activities;
    for (size_t i = 0; i < it->n_act; i++) {
        struct item_activity *a = &it->act[i];
        str_copy(a->kbli, sizeof(a->kbli), s.business.activities[i].kbli);
        for (size_t j = 0; j < d->n_activities; j++) {
            const struct ossd_activity_out *o = &d->activities[j];
            if (strcmp(o->kbli, a->kbli) == 0) {
                a->title = o->title;
                memcpy(a->risk, o->risk, sizeof(a->risk));
                a->permit = o->permit;
                a->status = o->status;
                break;
            }
        }
    }
    if (!it->rejected && !it->authority[0] && s.business.region_code)
        str_copy(it->authority, sizeof(it->authority), s.business.region_code); /* %.5s */
    if (s.business.region_code)
        str_copy(it->district, sizeof(it->district), s.business.region_code); /* %.8s */
    if (!it->rejected)
        decide_permit_terms(it, rd);
    decide_actor_key(it, &s);
    release_doc(it);
out:
    draft_reset(d, hw_reasons, hw_acts, failed);
}
