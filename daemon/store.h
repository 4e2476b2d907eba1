/* store: PostgreSQL: migrations, stored offsets, and the one transaction per batch. */
#ifndef OSSD_STORE_H
#define OSSD_STORE_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "event.h"
#include "util.h"

/* The newest migration this build knows; ossd refuses an older schema. */
#define STORE_SCHEMA_VERSION 9 /* 007 intake, 008 live permits, 009 the decision record */

enum store_result {
    STORE_OK = 0,
    STORE_RETRY, /* transient: connection lost, conflict with another instance */
};

struct store;

/* A store for cfg (not connected yet). Frees with store_free. */
struct store *store_new(const struct config *cfg);
void store_free(struct store *st);
/* For a connection that runs only key lookups and COPY (the writer's): the
 * planner is told not to scan tables sequentially. Call before connecting. */
void store_set_lookups_only(struct store *st);

/* Connects (or reconnects) and prepares statements. 0, or -1 with err. */
int store_connect(struct store *st, char *err, size_t errlen) MUST_CHECK;
/* 1 when the connection is up. */
int store_connected(const struct store *st);
/* The live connection, for reference-data loads; NULL when down. */
PGconn *store_conn(struct store *st);
/* Checks that migrations up to STORE_SCHEMA_VERSION were applied. */
int store_check_schema(struct store *st, char *err, size_t errlen) MUST_CHECK;

/* Applies <sqldir>/NNN_*.sql not yet applied, each in its own transaction,
 * recording them in schema_migrations. Prints what it did to stdout. */
int store_migrate(const char *conninfo, const char *sqldir, char *err, size_t errlen) MUST_CHECK;
/* Connection string of cfg with the password file applied (caller frees). */
char *store_conninfo(const struct config *cfg, char *err, size_t errlen);

/* The basis of the decisions one chain makes (table decision_basis). */
struct store_basis {
    /* reference-data versions in effect; NULL: none */
    const char *kbli_version, *region_version, *risk_version, *holiday_version, *sla_version;
    const json_t *chain;      /* pipeline_chain(): [{"name", "type", "config_sha256"}] */
    const char *ossd_version; /* OSSD_VERSION */
};

/* Records the basis once: its digest is the SHA-256 of its canonical JSON
 * (keys sorted, compact), inserted unless a row has it already. Sets
 * *basis_id to that row's id. 0, or -1 with err. Runs outside a transaction. */
int store_upsert_basis(struct store *st, const struct store_basis *b, int32_t *basis_id, char *err,
                       size_t errlen) MUST_CHECK;

/* Fills the offset of each partition in parts (topic from the list) with the
 * next offset stored for group; partitions with none get `dflt`. 0 or -1. */
int store_load_offsets(struct store *st, const char *group, rd_kafka_topic_partition_list_t *parts,
                       int64_t dflt) MUST_CHECK;

/* Writes the decisions, dead letters, outbox rows and next offsets of the
 * batch in ONE transaction. Items must have been through gate and pipeline.
 * On STORE_OK, b->out holds the outbox messages to produce (ids set) and
 * every item's out_* fields are final; on STORE_RETRY nothing was written. */
enum store_result store_commit_batch(struct store *st, struct batch *b,
                                     const struct event_ctx *ec) MUST_CHECK;

/* After a failure of this thread's last store call: 1 when it is worth
 * retrying as is (connection lost, a race with another instance, a
 * read-only or full database, a deadlock), 0 when the same batch would fail
 * the same way (a data error). */
int store_error_transient(const struct store *st);
/* 1 when this thread's last failure calls for a new session (read-only
 * transaction, admin shutdown, connection exception). */
int store_error_needs_new_session(void);
/* Closes the connection; the next store_connect opens a new one. */
void store_disconnect(struct store *st);
/* The SQLSTATE of this thread's last failed statement, or "". */
const char *store_last_sqlstate(void);

/* Acknowledged outbox rows: deleted when retention_s is 0, else marked
 * published (and pruned later). Sorts ids. 0 or -1 (the caller keeps the
 * ids and retries). */
int store_mark_published(struct store *st, int64_t *ids, size_t n, int retention_s) MUST_CHECK;
/* Claims up to limit rows unpublished, written and not attempted for
 * older_ms (whichever instance wrote them), with an id above after_id, in
 * id order (a primary-key scan; the caller walks the table in slices by
 * passing the highest id of the previous claim), and appends them to
 * b->out. A claimed row's attempted_at is now: no other instance claims it
 * for older_ms (rows being claimed are skipped, not waited for). Returns
 * the number claimed or -1. */
int store_claim_unpublished(struct store *st, int64_t older_ms, int64_t after_id, int limit,
                            struct batch *b);
/* Rows no broker accepts (too large): kept, unpublished, with attempted_at
 * 'infinity' so that no claim takes them again. 0 or -1 (keep the ids). */
int store_park_outbox(struct store *st, const int64_t *ids, size_t n) MUST_CHECK;
/* Deletes rows published more than retention_s ago; returns rows or -1. */
long store_prune_outbox(struct store *st, int retention_s);
/* Unpublished rows, counted up to 100,000 (a bigger backlog reads 100,000), or -1. */
long store_outbox_backlog(struct store *st);

#endif
