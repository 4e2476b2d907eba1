/* event_permit: the CloudEvent id.go.oss.permit.status-changed.v1 of a permit's status change
 * (an applied status update, or a deemed approval with code 57); see docs/events.md. */
#ifndef OSSD_EVENT_PERMIT_H
#define OSSD_EVENT_PERMIT_H

#include <stdint.h>

#include "event.h"
#include "util.h"

#define EVENT_TYPE_PERMIT_CHANGED "id.go.oss.permit.status-changed.v1"

/* Every string borrowed; agency, permit_number and status_id may be NULL (null in the data;
 * status_id NULL means a deemed approval: the id is then derived from permit_id and 57). */
struct event_permit {
    const char *permit_id, *nib, *kbli, *status, *previous_status, *code, *agency /*NULL*/,
        *permit_number /*NULL*/, *status_id /*NULL for 57*/;
    int64_t status_at_ms;
    int has_sla_due;
    int64_t sla_due_ms;
    int64_t decided_ms;
};

/* The stable event id: UUIDv5 of "status:" + status_id, or of "deemed:" + permit_id + ":57"
 * when status_id is NULL. */
void event_permit_id(const struct event_permit *p, char event_id[37]);

/* Appends the whole CloudEvent of p to out and sets event_id; the Kafka key (and subject and
 * partitionkey) is p->permit_id. */
void event_permit_changed(const struct event_ctx *ec, const struct event_permit *p, struct buf *out,
                          char event_id[37]);

#endif
