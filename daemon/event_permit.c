/* event_permit: the CloudEvent id.go.oss.permit.status-changed.v1 of a permit's status change. */
#include "event_permit.h"

#include <string.h>

#include "jsonw.h"

void event_permit_id(const struct event_permit *p, char event_id[37])
{
    struct buf name = {0};

    if (p->status_id) {
        buf_puts(&name, "status:");
        buf_puts(&name, p->status_id);
    } else {
        buf_puts(&name, "deemed:");
        buf_puts(&name, p->permit_id);
        buf_puts(&name, ":57");
    }
    uuid5_ossd(name.data, name.len, event_id);
    buf_free(&name);
}

/* ,"key":"value" or ,"key":null when value is NULL */
static void field_or_null(struct buf *b, const char *key, const char *value)
{
    buf_puts(b, ",\"");
    buf_puts(b, key);
    buf_puts(b, "\":");
    if (value)
        jsonw_str(b, value);
    else
        buf_puts(b, "null");
}

void event_permit_changed(const struct event_ctx *ec, const struct event_permit *p, struct buf *out,
                          char event_id[37])
{
    char decided[32], status_at[32], sla_due[32];

    event_permit_id(p, event_id);
    format_rfc3339_ms(p->decided_ms, decided);
    format_rfc3339_ms(p->status_at_ms, status_at);
    if (p->has_sla_due)
        format_rfc3339_ms(p->sla_due_ms, sla_due);

    buf_puts(out, "{\"specversion\":\"1.0\",\"id\":");
    jsonw_str(out, event_id);
    field_or_null(out, "source", ec->source);
    field_or_null(out, "type", EVENT_TYPE_PERMIT_CHANGED);
    field_or_null(out, "subject", p->permit_id);
    field_or_null(out, "time", decided);
    field_or_null(out, "datacontenttype", "application/json");
    buf_puts(out, ",\"dataschema\":");
    {
        struct buf schema = {0};
        buf_puts(&schema, ec->schema_base);
        buf_puts(&schema, "/events/permit-status-changed.v1.json");
        buf_putc(&schema, '\0');
        jsonw_str(out, schema.data);
        buf_free(&schema);
    }
    field_or_null(out, "partitionkey", p->permit_id);
    buf_puts(out, ",\"data\":{\"permit_id\":");
    jsonw_str(out, p->permit_id);
    field_or_null(out, "nib", p->nib);
    field_or_null(out, "kbli", p->kbli);
    field_or_null(out, "status", p->status);
    field_or_null(out, "previous_status", p->previous_status);
    field_or_null(out, "code", p->code);
    field_or_null(out, "status_at", status_at);
    field_or_null(out, "sla_due", p->has_sla_due ? sla_due : NULL);
    field_or_null(out, "agency", p->agency);
    field_or_null(out, "permit_number", p->permit_number);
    field_or_null(out, "decided_at", decided);
    buf_puts(out, "}}");
}
