/* pipeline: the JSON Schema check and the handler chain, run over each item of a batch. */
#ifndef OSSD_PIPELINE_H
#define OSSD_PIPELINE_H

#include <stddef.h>

#include "config.h"
#include "item.h"
#include "ossd_handler.h"
#include "reasons.h" /* reasons_sort, once declared here */
#include "util.h"

struct pipeline;

/* At most this many SCHEMA_INVALID reasons per submission (so that a
 * pathological document cannot make an event larger than Kafka accepts). */
#define PIPELINE_MAX_SCHEMA_REASONS 200

/* Builds the chain of cfg ([pipeline] handlers: built-in names or NAME.so in
 * plugin_dir, each initialised from its [handler.NAME] section) and compiles
 * <datadir>/submission.v1.json. NULL with err on any failure. */
struct pipeline *pipeline_new(const struct config *cfg, char *err, size_t errlen) MUST_CHECK;
void pipeline_free(struct pipeline *p);

/* Number of handlers and their names, for logs. */
size_t pipeline_size(const struct pipeline *p);
const char *pipeline_handler_name(const struct pipeline *p, size_t i);

/* The chain for the decision record: a new array (the caller decrefs) of
 * {"name", "type", "config_sha256"} in chain order, config_sha256 being the
 * lowercase hex SHA-256 of the handler's [handler.NAME] section as read
 * ("key=value\n" per setting, in file order; no section: of nothing). */
json_t *pipeline_chain(const struct pipeline *p);

/* Decides one gated item (kind ITEM_DECIDE) against the reference data:
 * fills reasons, enrichment, actor key and district; sets it->retry when a
 * handler reported a transient failure. One thread at a time per pipeline:
 * the decision draft and the retry count live in p. */
void pipeline_run(const struct pipeline *p, const struct ossd_refdata *rd, struct item *it);

/* Fills s from a schema-valid document (pointers into doc). */
void submission_from_json(const json_t *doc, struct ossd_submission *s);

#endif
