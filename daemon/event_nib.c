/* event_nib: the CloudEvent id.go.oss.nib.status-changed.v1 of an applied NIB action. */
#include "event_nib.h"

#include <string.h>

#include "jsonw.h"

void event_nib_id(const char *action_id, char event_id[37])
{
    struct buf name = {0};

    buf_puts(&name, "nib-action:");
    buf_puts(&name, action_id);
    uuid5_ossd(name.data, name.len, event_id);
    buf_free(&name);
}

/* ,"key":"value" */
static void field(struct buf *b, const char *key, const char *value)
{
    buf_puts(b, ",\"");
    buf_puts(b, key);
    buf_puts(b, "\":");
    jsonw_str(b, value);
}

void event_nib_changed(const struct event_ctx *ec, const struct event_nib *n, struct buf *out,
                       char event_id[37])
{
    char decided[32], acted[32];
    struct buf schema = {0};

    event_nib_id(n->action_id, event_id);
    format_rfc3339_ms(n->decided_ms, decided);
    format_rfc3339_ms(n->acted_at_ms, acted);
    buf_puts(&schema, ec->schema_base);
    buf_puts(&schema, "/events/nib-status-changed.v1.json");
    buf_putc(&schema, '\0');

    buf_puts(out, "{\"specversion\":\"1.0\",\"id\":");
    jsonw_str(out, event_id);
    field(out, "source", ec->source);
    field(out, "type", EVENT_TYPE_NIB_CHANGED);
    field(out, "subject", n->nib);
    field(out, "time", decided);
    field(out, "datacontenttype", "application/json");
    field(out, "dataschema", schema.data);
    field(out, "partitionkey", n->nib);
    buf_puts(out, ",\"data\":{\"nib\":");
    jsonw_str(out, n->nib);
    field(out, "status", n->status);
    field(out, "previous_status", n->previous_status);
    field(out, "action", n->action);
    field(out, "acted_at", acted);
    field(out, "authority", n->authority);
    field(out, "legal_basis", n->legal_basis);
    field(out, "decided_at", decided);
    buf_puts(out, "}}");
    buf_free(&schema);
}
