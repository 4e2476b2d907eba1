/* event: CloudEvents 1.0 decision events (structured JSON) and their stable ids. */
#ifndef OSSD_EVENT_H
#define OSSD_EVENT_H

#include <stdint.h>

#include "item.h"
#include "util.h"

#define EVENT_TYPE_ISSUED   "id.go.oss.submission.issued.v1"
#define EVENT_TYPE_REJECTED "id.go.oss.submission.rejected.v1"
#define EVENT_CONTENT_TYPE  "application/cloudevents+json; charset=UTF-8"

struct event_ctx {
    const char *source;      /* CloudEvents source */
    const char *schema_base; /* dataschema prefix */
};

/* Sets it->event_type and it->event_id (UUIDv5 of submission_id and type:
 * the same submission and type always give the same id). */
void event_identify(struct item *it);

/* Copies what the events need out of it->doc (contact fields, channel,
 * applicant type, masked NIK) so the document can be freed. */
void event_extract(struct item *it);

/* Appends the CloudEvent of a decided item to out, and its partition key
 * (NIB for issued, submission_id for rejected) to key. */
void event_build(const struct event_ctx *ec, const struct item *it, int64_t decided_ms,
                 struct buf *out, struct buf *key);

#endif
