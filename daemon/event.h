/* event: CloudEvents 1.0 decision events (structured JSON) and their stable ids. */
#ifndef OSSD_EVENT_H
#define OSSD_EVENT_H

#include <stddef.h>
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

/* A run of this many digits in a contact field could be a NIK (16) or an
 * NPWP (15): an Indonesian phone number has at most 14 (+62 and 12). */
#define EVENT_ID_NUMBER_DIGITS 15

/* 1 when s holds EVENT_ID_NUMBER_DIGITS digits or more in one run, where
 * one space or punctuation character between two digits does not end the
 * run ("3374 0145 0990 0001", "01.234.567.8-901.000"); letters, two
 * separators in a row, or a separator before a non-digit do. */
int event_holds_id_number(const char *s, size_t len);

/* Copies what the events need out of it->doc (contact fields, channel,
 * applicant type, masked NIK) so the document can be freed. Run after the
 * schema check (it reads it->reasons): a phone or email with a schema
 * violation at its pointer, or holding an id number, is left out. */
void event_extract(struct item *it);

/* Appends a CloudEvent's envelope up to ,"data": (the caller writes the data object and the
 * closing brace): id, source, type, subject (also the partitionkey), time and the dataschema
 * "<schema_base>/events/<schema_file>". */
void event_envelope(struct buf *out, const struct event_ctx *ec, const char *id, const char *type,
                    const char *subject, const char *time, const char *schema_file);

/* Appends the CloudEvent of a decided item to out, and its partition key
 * (NIB for issued, submission_id for rejected) to key. */
void event_build(const struct event_ctx *ec, const struct item *it, int64_t decided_ms,
                 struct buf *out, struct buf *key);

#endif
