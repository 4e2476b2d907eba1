/* event: CloudEvents 1.0 decision events (structured JSON) and their stable ids. */
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void event_identify(struct item *it)
{
    char name[160];
    int n;

    it->event_type = it->out_rejected ? EVENT_TYPE_REJECTED : EVENT_TYPE_ISSUED;
    n = snprintf(name, sizeof(name), "%s\n%s", it->submission_id, it->event_type);
    uuid5_ossd(name, (size_t)n, it->event_id);
}

/* A contact field of the applicant when it is a string the schema could
 * accept in length (so a rejected event never carries a megabyte of junk). */
static void copy_contact(json_t *dst, const json_t *applicant, const char *key, size_t maxlen)
{
    const json_t *v = json_object_get(applicant, key);
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= maxlen)
        json_object_set_new(dst, key, json_stringn(json_string_value(v), json_string_length(v)));
}

static json_t *issued_data(const struct item *it, const char *decided)
{
    const json_t *a = json_object_get(it->doc, "applicant");
    json_t *app = json_object(), *acts = json_array();
    char masked[20];
    const char *nik = json_string_value(json_object_get(a, "nik"));

    json_object_set_new(app, "type", json_string(json_string_value(json_object_get(a, "type"))));
    copy_contact(app, a, "name", 800);
    mask_keep(nik ? nik : "", 4, masked, sizeof(masked));
    json_object_set_new(app, "nik_masked", json_string(masked));
    copy_contact(app, a, "phone", 64);
    copy_contact(app, a, "email", 320);
    for (size_t i = 0; i < it->n_act; i++) {
        const struct item_activity *x = &it->act[i];
        json_array_append_new(acts, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kbli", x->kbli, "title",
                                              x->title ? x->title : "", "risk", x->risk, "permit",
                                              x->permit ? x->permit : "", "status",
                                              x->status ? x->status : ""));
    }
    return json_pack("{s:s, s:s, s:b, s:o, s:s, s:b, s:s, s:s, s:o, s:s}", "submission_id",
                     it->submission_id, "nib", it->nib, "nib_new", it->nib_new, "applicant", app,
                     "scale", it->scale, "umk", it->umk, "authority", it->authority, "channel",
                     json_string_value(json_object_get(it->doc, "channel")), "activities", acts,
                     "decided_at", decided);
}

static json_t *rejected_data(const struct item *it, const char *decided)
{
    const json_t *a = json_object_get(it->doc, "applicant");
    json_t *app = json_object();

    if (json_is_object(a)) {
        copy_contact(app, a, "name", 800);
        copy_contact(app, a, "phone", 64);
        copy_contact(app, a, "email", 320);
    }
    return json_pack("{s:s, s:o, s:O, s:s}", "submission_id", it->submission_id, "applicant", app,
                     "reasons", it->out_reasons, "decided_at", decided);
}

void event_build(const struct event_ctx *ec, const struct item *it, int64_t decided_ms,
                 struct buf *out, struct buf *key)
{
    char decided[32], schema[512];
    const char *pkey = it->out_rejected ? it->submission_id : it->nib;
    json_t *data, *ev;

    format_rfc3339_ms(decided_ms, decided);
    snprintf(schema, sizeof(schema), "%s/events/%s.v1.json", ec->schema_base,
             it->out_rejected ? "rejected" : "issued");
    data = it->out_rejected ? rejected_data(it, decided) : issued_data(it, decided);
    ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0", "id",
                   it->event_id, "source", ec->source, "type", it->event_type, "subject", pkey,
                   "time", decided, "datacontenttype", "application/json", "dataschema", schema,
                   "partitionkey", pkey, "data", data);
    char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    buf_puts(out, s);
    free(s);
    json_decref(ev);
    buf_puts(key, pkey);
}
