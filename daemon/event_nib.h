/* event_nib: the CloudEvent id.go.oss.nib.status-changed.v1 of an applied NIB action (freeze,
 * unfreeze, revoke); see docs/events.md. */
#ifndef OSSD_EVENT_NIB_H
#define OSSD_EVENT_NIB_H

#include <stdint.h>

#include "event.h"
#include "util.h"

#define EVENT_TYPE_NIB_CHANGED "id.go.oss.nib.status-changed.v1"

/* Every string borrowed. status and previous_status are Lampiran 14 codes ("01", "05", "06"). */
struct event_nib {
    const char *action_id, *nib, *status, *previous_status, *action, *authority, *legal_basis;
    int64_t acted_at_ms;
    int64_t decided_ms;
};

/* The stable event id: UUIDv5 of "nib-action:" + action_id. */
void event_nib_id(const char *action_id, char event_id[37]);

/* Appends the whole CloudEvent of n to out and sets event_id; the Kafka key (and subject and
 * partitionkey) is n->nib. The reason of the action stays in PostgreSQL. */
void event_nib_changed(const struct event_ctx *ec, const struct event_nib *n, struct buf *out,
                       char event_id[37]);

#endif
