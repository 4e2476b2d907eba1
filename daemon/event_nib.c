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

void event_nib_changed(const struct event_ctx *ec, const struct event_nib *n, struct buf *out,
                       char event_id[37])
{
    char decided[32], acted[32];
    int first = 1;

    event_nib_id(n->action_id, event_id);
    format_rfc3339_ms(n->decided_ms, decided);
    format_rfc3339_ms(n->acted_at_ms, acted);
    event_envelope(out, ec, event_id, EVENT_TYPE_NIB_CHANGED, n->nib, decided,
                   "nib-status-changed.v1.json");
    buf_putc(out, '{');
    jsonw_kv(out, &first, "nib", n->nib);
    jsonw_kv(out, &first, "status", n->status);
    jsonw_kv(out, &first, "previous_status", n->previous_status);
    jsonw_kv(out, &first, "action", n->action);
    jsonw_kv(out, &first, "acted_at", acted);
    jsonw_kv(out, &first, "authority", n->authority);
    jsonw_kv(out, &first, "legal_basis", n->legal_basis);
    jsonw_kv(out, &first, "decided_at", decided);
    buf_puts(out, "}}");
}
