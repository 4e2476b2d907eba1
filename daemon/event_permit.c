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

void event_permit_changed(const struct event_ctx *ec, const struct event_permit *p, struct buf *out,
                          char event_id[37])
{
    char decided[32], status_at[32], sla_due[32];
    int first = 1;

    event_permit_id(p, event_id);
    format_rfc3339_ms(p->decided_ms, decided);
    format_rfc3339_ms(p->status_at_ms, status_at);
    if (p->has_sla_due)
        format_rfc3339_ms(p->sla_due_ms, sla_due);
    event_envelope(out, ec, event_id, EVENT_TYPE_PERMIT_CHANGED, p->permit_id, decided,
                   "permit-status-changed.v1.json");
    /* jsonw_kv writes null for a NULL value (sla_due, agency, permit_number) */
    buf_putc(out, '{');
    jsonw_kv(out, &first, "permit_id", p->permit_id);
    jsonw_kv(out, &first, "nib", p->nib);
    jsonw_kv(out, &first, "kbli", p->kbli);
    jsonw_kv(out, &first, "status", p->status);
    jsonw_kv(out, &first, "previous_status", p->previous_status);
    jsonw_kv(out, &first, "code", p->code);
    jsonw_kv(out, &first, "status_at", status_at);
    jsonw_kv(out, &first, "sla_due", p->has_sla_due ? sla_due : NULL);
    jsonw_kv(out, &first, "agency", p->agency);
    jsonw_kv(out, &first, "permit_number", p->permit_number);
    jsonw_kv(out, &first, "decided_at", decided);
    buf_puts(out, "}}");
}
