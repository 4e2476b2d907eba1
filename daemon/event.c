/* event: CloudEvents 1.0 decision events (structured JSON) and their stable ids. */
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "jsonw.h"

void event_identify(struct item *it)
{
    char name[sizeof(it->submission_id) + 1 + sizeof(EVENT_TYPE_REJECTED)];
    size_t n = strnlen(it->submission_id, sizeof(it->submission_id) - 1);
    size_t t;

    it->event_type = it->out_rejected ? EVENT_TYPE_REJECTED : EVENT_TYPE_ISSUED;
    t = strlen(it->event_type);
    /* "<submission_id>\n<type>" */
    memcpy(name, it->submission_id, n);
    name[n] = '\n';
    memcpy(name + n + 1, it->event_type, t);
    uuid5_ossd(name, n + 1 + t, it->event_id);
}

int event_holds_id_number(const char *s, size_t len)
{
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= '0' && c <= '9') {
            if (++run >= EVENT_ID_NUMBER_DIGITS)
                return 1;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80 || i + 1 >= len ||
                   !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
            run = 0; /* a letter, two separators in a row, or a separator not before a digit */
        }
    }
    return 0;
}

/* 1 when the schema found a violation at pointer (or inside it). */
static int schema_failed_at(const json_t *reasons, const char *pointer)
{
    size_t n = strlen(pointer);

    for (size_t i = 0; i < json_array_size(reasons); i++) {
        const json_t *r = json_array_get(reasons, i);
        const char *code = json_string_value(json_object_get(r, "code"));
        const char *path = json_string_value(json_object_get(r, "path"));
        if (code && path && strcmp(code, "SCHEMA_INVALID") == 0 && strncmp(path, pointer, n) == 0 &&
            (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

/* A contact field when it is a string the schema could accept in length
 * (a rejected event never carries a megabyte of junk); NULL otherwise. */
static char *contact(const json_t *applicant, const char *key, size_t maxlen)
{
    const json_t *v = json_object_get(applicant, key);
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= maxlen)
        return xstrndup(json_string_value(v), json_string_length(v));
    return NULL;
}

/* A phone or email for the events: NULL when absent, when the schema found
 * a violation at its pointer (a NIK typed into email fails the email
 * format, and must not travel), or when it holds what could be a NIK or an
 * NPWP (event_holds_id_number). */
static char *contact_checked(const struct item *it, const json_t *applicant, const char *key,
                             const char *pointer, size_t maxlen)
{
    char *v = contact(applicant, key, maxlen);
    if (v && (schema_failed_at(it->reasons, pointer) || event_holds_id_number(v, strlen(v)))) {
        free(v);
        v = NULL;
    }
    return v;
}

void event_extract(struct item *it)
{
    const json_t *a = json_object_get(it->doc, "applicant");
    const char *s;

    if (!json_is_object(a))
        return;
    it->name = contact(a, "name", 800); /* 200 code points of up to 4 bytes */
    it->phone = contact_checked(it, a, "phone", "/applicant/phone", 128); /* 32 code points */
    it->email = contact_checked(it, a, "email", "/applicant/email", 320);
    if (!it->schema_ok)
        return;
    s = json_string_value(json_object_get(it->doc, "channel"));
    str_copy(it->channel, sizeof(it->channel), s);
    s = json_string_value(json_object_get(a, "type"));
    str_copy(it->app_type, sizeof(it->app_type), s);
    mask_keep(json_string_value(json_object_get(a, "nik")), 4, it->nik_masked,
              sizeof(it->nik_masked));
}

/* Appends ,"key":value; the key a string literal, its punctuation written in one append. */
#define field(b, key, value) field_lit((b), ",\"" key "\":", sizeof(",\"" key "\":") - 1, (value))

static void field_lit(struct buf *b, const char *prefix, size_t n, const char *value)
{
    buf_append(b, prefix, n);
    jsonw_str(b, value);
}

/* Appends ,"key":"value" for a value known to need no escaping (digits, '-', ':', '.', 'T',
 * 'Z'): a permit id or an instant. */
#define field_plain(b, key, value, n)                                                              \
    field_plain_lit((b), ",\"" key "\":\"", sizeof(",\"" key "\":\"") - 1, (value), (n))

static void field_plain_lit(struct buf *b, const char *prefix, size_t n, const char *value,
                            size_t len)
{
    buf_append(b, prefix, n);
    buf_append(b, value, len);
    buf_putc(b, '"');
}

static void issued_data(struct buf *b, const struct item *it, const char *decided)
{
    buf_puts(b, "{\"submission_id\":");
    jsonw_str(b, it->submission_id);
    field(b, "nib", it->nib);
    buf_puts(b, it->nib_new ? ",\"nib_new\":true" : ",\"nib_new\":false");
    buf_puts(b, ",\"applicant\":{\"type\":");
    jsonw_str(b, it->app_type);
    if (it->name)
        field(b, "name", it->name);
    field(b, "nik_masked", it->nik_masked);
    if (it->phone)
        field(b, "phone", it->phone);
    if (it->email)
        field(b, "email", it->email);
    buf_putc(b, '}');
    field(b, "scale", it->scale);
    buf_puts(b, it->umk ? ",\"umk\":true" : ",\"umk\":false");
    field(b, "authority", it->authority);
    field(b, "channel", it->channel);
    buf_puts(b, ",\"activities\":[");
    for (size_t i = 0; i < it->n_act; i++) {
        const struct item_activity *x = &it->act[i];
        buf_puts(b, i ? ",{\"kbli\":" : "{\"kbli\":");
        jsonw_str(b, x->kbli);
        field(b, "title", x->title ? x->title : "");
        field(b, "risk", x->risk);
        field(b, "permit", x->permit ? x->permit : "");
        field(b, "status", x->status ? x->status : "");
        char pid[32];
        decide_permit_id(it, i, pid);
        field_plain(b, "permit_id", pid, strlen(pid));
        if (decide_permit_pending(it, i)) {
            char due[32];
            format_rfc3339_ms(it->act_dl[i].due_ms, due);
            field_plain(b, "sla_due", due, strlen(due));
        }
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
    field(b, "decided_at", decided);
    buf_putc(b, '}');
}

static void rejected_data(struct buf *b, const struct item *it, const char *decided)
{
    int first = 1;

    buf_puts(b, "{\"submission_id\":");
    jsonw_str(b, it->submission_id);
    buf_puts(b, ",\"applicant\":{");
    if (it->name)
        jsonw_kv(b, &first, "name", it->name);
    if (it->phone)
        jsonw_kv(b, &first, "phone", it->phone);
    if (it->email)
        jsonw_kv(b, &first, "email", it->email);
    buf_puts(b, "},\"reasons\":[");
    for (size_t i = 0; i < json_array_size(it->out_reasons); i++) {
        const json_t *r = json_array_get(it->out_reasons, i);
        buf_puts(b, i ? ",{\"code\":" : "{\"code\":");
        jsonw_str(b, json_string_value(json_object_get(r, "code")));
        field(b, "path", json_string_value(json_object_get(r, "path")));
        field(b, "message", json_string_value(json_object_get(r, "message")));
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
    field(b, "decided_at", decided);
    buf_putc(b, '}');
}

void event_envelope(struct buf *out, const struct event_ctx *ec, const char *id, const char *type,
                    const char *subject, const char *time, const char *schema_file)
{
    /* "<schema_base>/events/<schema_file>", cut to 511 bytes as snprintf into 512 made it */
    char schema[512];
    size_t n = strnlen(ec->schema_base, sizeof(schema) - 1);
    const char *parts[2] = {"/events/", schema_file};

    memcpy(schema, ec->schema_base, n);
    for (size_t i = 0; i < 2; i++) { /* memcpy, not snprintf: this is on every event */
        size_t t = strlen(parts[i]);
        if (t > sizeof(schema) - 1 - n)
            t = sizeof(schema) - 1 - n;
        memcpy(schema + n, parts[i], t);
        n += t;
    }
    schema[n] = '\0';

    buf_puts(out, "{\"specversion\":\"1.0\",\"id\":");
    jsonw_str(out, id);
    field(out, "source", ec->source);
    field(out, "type", type);
    field(out, "subject", subject);
    field(out, "time", time);
    field(out, "datacontenttype", "application/json");
    field(out, "dataschema", schema);
    field(out, "partitionkey", subject);
    buf_puts(out, ",\"data\":");
}

void event_build(const struct event_ctx *ec, const struct item *it, int64_t decided_ms,
                 struct buf *out, struct buf *key)
{
    char decided[32];
    const char *pkey = it->out_rejected ? it->submission_id : it->nib;

    format_rfc3339_ms(decided_ms, decided);
    event_envelope(out, ec, it->event_id, it->event_type, pkey, decided,
                   it->out_rejected ? "rejected.v1.json" : "issued.v1.json");
    if (it->out_rejected)
        rejected_data(out, it, decided);
    else
        issued_data(out, it, decided);
    buf_putc(out, '}');
    buf_puts(key, pkey);
}
