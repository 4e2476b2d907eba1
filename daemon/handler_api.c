/* handler_api: the accessors of include/ossd/handler.h over the daemon's layout
 * (daemon/ossd_handler.h), and the typed handler configuration. The ossd executable exports the
 * ossd_* functions to plugins (daemon/handler.sym). */
#include "handler_api.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"
#include "log.h"
#include "rules.h"

int handler_misuse(struct ossd_decision *d, const char *what)
{
    if (!d->misuse)
        d->misuse = what;
    return -1;
}

/* ---- the submission ------------------------------------------------------------------------ */

const char *ossd_submission_field(const struct ossd_submission *s, enum ossd_field field)
{
    switch (field) {
    case OSSD_SUBMISSION_ID:
        return s->submission_id;
    case OSSD_SUBMITTED_AT:
        return s->submitted_at;
    case OSSD_CHANNEL:
        return s->channel;
    case OSSD_APPLICANT_TYPE:
        return s->applicant.type;
    case OSSD_APPLICANT_NIK:
        return s->applicant.nik;
    case OSSD_APPLICANT_NAME:
        return s->applicant.name;
    case OSSD_APPLICANT_BIRTH_DATE:
        return s->applicant.birth_date;
    case OSSD_APPLICANT_GENDER:
        return s->applicant.gender;
    case OSSD_APPLICANT_NPWP:
        return s->applicant.npwp;
    case OSSD_APPLICANT_PHONE:
        return s->applicant.phone;
    case OSSD_APPLICANT_EMAIL:
        return s->applicant.email;
    case OSSD_APPLICANT_STREET:
        return s->applicant.street;
    case OSSD_APPLICANT_REGION_CODE:
        return s->applicant.region_code;
    case OSSD_BUSINESS_NAME:
        return s->business.name;
    case OSSD_BUSINESS_REGION_CODE:
        return s->business.region_code;
    case OSSD_BUSINESS_STREET:
        return s->business.street;
    }
    return NULL;
}

int ossd_submission_amount(const struct ossd_submission *s, enum ossd_amount amount,
                           long long *value)
{
    int has = 0;
    long long v = 0;

    switch (amount) {
    case OSSD_CAPITAL_IDR:
        has = s->business.has_capital;
        v = s->business.capital_idr;
        break;
    case OSSD_ANNUAL_SALES_IDR:
        has = s->business.has_sales;
        v = s->business.annual_sales_idr;
        break;
    case OSSD_WORKERS:
        has = s->business.has_workers;
        v = s->business.workers;
        break;
    }
    if (has && value)
        *value = v;
    return has;
}

void ossd_submission_date(const struct ossd_submission *s, int *year, int *month, int *day)
{
    *year = s->submitted_year;
    *month = s->submitted_month;
    *day = s->submitted_day;
}

size_t ossd_submission_activity_count(const struct ossd_submission *s)
{
    return s->business.n_activities < OSSD_MAX_ACTIVITIES ? s->business.n_activities
                                                          : OSSD_MAX_ACTIVITIES;
}

const char *ossd_submission_activity_kbli(const struct ossd_submission *s, size_t i)
{
    return i < ossd_submission_activity_count(s) ? s->business.activities[i].kbli : NULL;
}

const char *ossd_submission_activity_description(const struct ossd_submission *s, size_t i)
{
    return i < ossd_submission_activity_count(s) ? s->business.activities[i].description : NULL;
}

/* The value at an RFC 6901 pointer, or NULL. */
static const json_t *at_pointer(const struct ossd_submission *s, const char *pointer)
{
    const json_t *v = s->doc;
    char token[256];

    if (!v || !pointer)
        return NULL;
    if (!*pointer)
        return v;
    if (*pointer != '/')
        return NULL;
    while (v && *pointer == '/') {
        size_t n = 0;

        pointer++;
        for (; *pointer && *pointer != '/'; pointer++) {
            char c = *pointer;
            if (c == '~') {
                if (pointer[1] == '0')
                    c = '~';
                else if (pointer[1] == '1')
                    c = '/';
                else
                    return NULL;
                pointer++;
            }
            if (n + 1 >= sizeof(token))
                return NULL;
            token[n++] = c;
        }
        token[n] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, token);
        } else if (json_is_array(v)) {
            char *end;
            unsigned long i;

            if (n == 0 || (n > 1 && token[0] == '0') || !all_digits(token, n))
                return NULL;
            errno = 0;
            i = strtoul(token, &end, 10);
            if (errno)
                return NULL;
            v = json_array_get(v, i);
        } else {
            return NULL;
        }
    }
    return v;
}

enum ossd_json_kind ossd_submission_kind(const struct ossd_submission *s, const char *pointer)
{
    const json_t *v = at_pointer(s, pointer);

    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return OSSD_JSON_OBJECT;
    case JSON_ARRAY:
        return OSSD_JSON_ARRAY;
    case JSON_STRING:
        return OSSD_JSON_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return OSSD_JSON_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE:
        return OSSD_JSON_BOOL;
    case JSON_NULL:
        break;
    }
    return v ? OSSD_JSON_NULL : OSSD_JSON_ABSENT;
}

const char *ossd_submission_string(const struct ossd_submission *s, const char *pointer)
{
    const json_t *v = at_pointer(s, pointer);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

int ossd_submission_number(const struct ossd_submission *s, const char *pointer, double *value)
{
    const json_t *v = at_pointer(s, pointer);

    if (json_is_number(v))
        *value = json_number_value(v);
    else if (json_is_boolean(v))
        *value = json_is_true(v) ? 1 : 0;
    else
        return 0;
    return 1;
}

size_t ossd_submission_size(const struct ossd_submission *s, const char *pointer)
{
    const json_t *v = at_pointer(s, pointer);

    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return 0;
}

const char *ossd_submission_raw(const struct ossd_submission *s, size_t *len)
{
    *len = s->raw ? s->raw_len : 0;
    return s->raw ? s->raw : "";
}

/* ---- the decision draft -------------------------------------------------------------------- */

/* A reason code: A-Z, 0-9 and _, starting with a letter, at most 39 characters. */
static int code_ok(const char *c)
{
    size_t n;

    if (!c || c[0] < 'A' || c[0] > 'Z')
        return 0;
    n = strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    return c[n] == '\0' && n < sizeof(((struct ossd_reason *)0)->code);
}

int ossd_add_reason(struct ossd_decision *d, const char *code, const char *path, const char *fmt,
                    ...)
{
    struct ossd_reason *r;
    size_t plen;
    va_list ap;

    if (!path)
        path = "";
    if (!code_ok(code))
        return handler_misuse(d, "a malformed reason code");
    if (path[0] && path[0] != '/')
        return handler_misuse(d, "a reason path that is not a JSON Pointer");
    if (d->n_reasons >= OSSD_MAX_REASONS) {
        d->reasons_truncated = 1;
        return 0;
    }
    r = &d->reasons[d->n_reasons++];
    memcpy(r->code, code, strlen(code) + 1);
    plen = strlen(path);
    if (plen >= sizeof(r->path))
        plen = sizeof(r->path) - 1;
    memcpy(r->path, path, plen);
    r->path[plen] = '\0';
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt ? fmt : "", ap);
    va_end(ap);
    return 0;
}

int ossd_has_reason(const struct ossd_decision *d, const char *code, const char *path)
{
    for (size_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i].code, code) == 0 && strcmp(d->reasons[i].path, path) == 0)
            return 1;
    return 0;
}

size_t ossd_reason_count(const struct ossd_decision *d)
{
    return d->n_reasons;
}

int ossd_set_scale(struct ossd_decision *d, const char *scale)
{
    if (!scale || scale[0] != '0' || scale[1] < '1' || scale[1] > '4' || scale[2] != '\0')
        return handler_misuse(d, "a scale outside 01..04");
    memcpy(d->scale, scale, 3);
    d->umk = rules_scale_umk(scale);
    return 0;
}

const char *ossd_decision_scale(const struct ossd_decision *d)
{
    return d->scale;
}

int ossd_set_authority(struct ossd_decision *d, const char *regency)
{
    char out[6];

    if (!regency || strlen(regency) != 5 || rules_region_regency(regency, out) != 0)
        return handler_misuse(d, "an authority that is not a regency/city code NN.NN");
    memcpy(d->authority, out, sizeof(out));
    return 0;
}

int ossd_set_activity(struct ossd_decision *d, const char *kbli, const char *title,
                      const char *risk, const char *permit, const char *status)
{
    const char *p, *st;
    struct ossd_activity_out *o = NULL;

    if (!kbli || strlen(kbli) != 5 || !all_digits(kbli, 5))
        return handler_misuse(d, "an activity KBLI code that is not 5 digits");
    if (!rules_risk_valid(risk))
        return handler_misuse(d, "a risk level outside R, MR, MT, T");
    if (rules_permit_known(permit, status, &p, &st) != 0)
        return handler_misuse(d, "a permit or permit status outside its value set");
    for (size_t i = 0; i < d->n_activities && !o; i++)
        if (memcmp(d->activities[i].kbli, kbli, 6) == 0)
            o = &d->activities[i];
    if (!o) {
        if (d->n_activities >= OSSD_MAX_ACTIVITIES)
            return handler_misuse(d, "more activities than the submission has");
        o = &d->activities[d->n_activities++];
        memcpy(o->kbli, kbli, 6);
    }
    o->title = title;
    memcpy(o->risk, risk, strlen(risk) + 1);
    o->permit = p;
    o->status = st;
    return 0;
}

void ossd_clear_activities(struct ossd_decision *d)
{
    d->n_activities = 0;
}

/* ---- reference data and context ------------------------------------------------------------ */

const struct ossd_refdata *ossd_ctx_refdata(const struct ossd_ctx *ctx)
{
    return ctx->refdata;
}

void ossd_log(const struct ossd_ctx *ctx, enum ossd_log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!log_enabled((int)level)) /* before the formatting: a debug line costs a call */
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx->log(ctx, level, "%s", msg);
}

int ossd_refdata_province_known(const struct ossd_refdata *rd, const char *province2)
{
    return rd->province_known(rd->ctx, province2);
}

enum ossd_region_status ossd_refdata_region(const struct ossd_refdata *rd, const char *code)
{
    return rd->region(rd->ctx, code);
}

const char *ossd_refdata_kbli_title(const struct ossd_refdata *rd, const char *kbli)
{
    return rd->kbli_title(rd->ctx, kbli);
}

const char *ossd_refdata_kbli_risk(const struct ossd_refdata *rd, const char *kbli,
                                   const char *scale)
{
    return rd->kbli_risk(rd->ctx, kbli, scale);
}

/* ---- configuration ------------------------------------------------------------------------- */

static const struct ossd_config_value *value_of(const struct ossd_handler_config *cfg,
                                                const char *key)
{
    for (size_t i = 0; cfg && i < cfg->n_values; i++)
        if (strcmp(cfg->values[i].key->name, key) == 0)
            return &cfg->values[i];
    return NULL;
}

const char *ossd_config_string(const struct ossd_handler_config *cfg, const char *key)
{
    const struct ossd_config_value *v = value_of(cfg, key);

    return v ? v->text : NULL;
}

long long ossd_config_int(const struct ossd_handler_config *cfg, const char *key)
{
    const struct ossd_config_value *v = value_of(cfg, key);

    return v && v->text ? v->integer : 0;
}

int ossd_config_bool(const struct ossd_handler_config *cfg, const char *key)
{
    return ossd_config_int(cfg, key) != 0;
}

size_t ossd_config_list_count(const struct ossd_handler_config *cfg, const char *key)
{
    const struct ossd_config_value *v = value_of(cfg, key);

    return v ? v->n_items : 0;
}

const char *ossd_config_list_item(const struct ossd_handler_config *cfg, const char *key, size_t i)
{
    const struct ossd_config_value *v = value_of(cfg, key);

    return v && i < v->n_items ? v->items[i] : NULL;
}

const char *ossd_config_instance(const struct ossd_handler_config *cfg)
{
    return cfg->instance;
}

/* Parses text as the key's type into v; NULL, or what is wrong (into why). */
static const char *value_parse(struct ossd_config_value *v, const char *text, char *why,
                               size_t whylen)
{
    const struct ossd_config_key *k = v->key;

    v->text = text;
    switch (k->type) {
    case OSSD_CONFIG_STRING:
        return NULL;
    case OSSD_CONFIG_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(text, &end, 10);
        if (!*text || *end || errno) {
            snprintf(why, whylen, "\"%.40s\" is not an integer", text);
            return why;
        }
        if ((k->min || k->max) && (n < k->min || n > k->max)) {
            snprintf(why, whylen, "%lld is outside %lld..%lld", n, k->min, k->max);
            return why;
        }
        v->integer = n;
        return NULL;
    }
    case OSSD_CONFIG_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1", NULL};
        static const char *const no[] = {"false", "no", "off", "0", NULL};
        for (size_t i = 0; yes[i]; i++) {
            if (strcasecmp(text, yes[i]) == 0) {
                v->integer = 1;
                return NULL;
            }
            if (strcasecmp(text, no[i]) == 0) {
                v->integer = 0;
                return NULL;
            }
        }
        snprintf(why, whylen, "\"%.40s\" is not a boolean (true or false)", text);
        return why;
    }
    case OSSD_CONFIG_LIST: {
        size_t index = 0;
        for (const char *s = text;;) {
            const char *comma = strchr(s, ',');
            const char *end = comma ? comma : s + strlen(s);

            index++;
            while (s < end && (*s == ' ' || *s == '\t'))
                s++;
            while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            if (s == end) {
                snprintf(why, whylen, "entry %zu is empty", index);
                return why;
            }
            v->items = xrealloc(v->items, (v->n_items + 1) * sizeof(*v->items));
            v->items[v->n_items++] = xstrndup(s, (size_t)(end - s));
            if (!comma)
                break;
            s = comma + 1;
        }
        return NULL;
    }
    }
    snprintf(why, whylen, "the handler declares it with an unknown type %d", (int)k->type);
    return why;
}

int handler_config_parse(struct ossd_handler_config *hc, const char *instance,
                         const struct ossd_config_key *keys, const struct config_section *sec,
                         const char *cfgpath, char *err, size_t errlen)
{
    size_t n = 0;
    char why[160];

    memset(hc, 0, sizeof(*hc));
    hc->instance = instance;
    /* Unknown keys are refused, as fluent-bit does; `type` names the instance's type. */
    for (size_t i = 0; sec && i < sec->n_kv; i++) {
        int known = strcmp(sec->kv[i].key, "type") == 0;
        for (const struct ossd_config_key *k = keys; k && k->name && !known; k++)
            known = strcmp(k->name, sec->kv[i].key) == 0;
        if (!known) {
            snprintf(err, errlen, "%s:%d: handler %s has no setting '%s'", cfgpath, sec->kv[i].line,
                     instance, sec->kv[i].key);
            return -1;
        }
    }
    for (const struct ossd_config_key *k = keys; k && k->name; k++)
        n++;
    hc->values = xcalloc(n ? n : 1, sizeof(*hc->values));
    for (const struct ossd_config_key *k = keys; k && k->name; k++) {
        struct ossd_config_value *v = &hc->values[hc->n_values++];
        const char *text = config_section_get(sec, k->name);
        int line = sec ? sec->line : 0;

        v->key = k;
        for (size_t i = 0; sec && i < sec->n_kv; i++)
            if (strcmp(sec->kv[i].key, k->name) == 0)
                line = sec->kv[i].line;
        if (!text)
            text = k->default_value;
        if (!text) {
            if (k->required) {
                snprintf(err, errlen, "%s: handler %s: key '%s' is required (%s)", cfgpath,
                         instance, k->name, k->description ? k->description : "no default");
                return -1;
            }
            continue;
        }
        if (value_parse(v, text, why, sizeof(why))) {
            snprintf(err, errlen, "%s:%d: handler %s: key '%s': %s", cfgpath, line, instance,
                     k->name, why);
            return -1;
        }
    }
    return 0;
}

void handler_config_free(struct ossd_handler_config *hc)
{
    for (size_t i = 0; i < hc->n_values; i++) {
        for (size_t j = 0; j < hc->values[i].n_items; j++)
            free(hc->values[i].items[j]);
        free(hc->values[i].items);
    }
    free(hc->values);
    memset(hc, 0, sizeof(*hc));
}
