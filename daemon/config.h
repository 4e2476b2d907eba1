/* config: the INI file -> an immutable config object; a reload builds a new one. */
#ifndef OSSD_CONFIG_H
#define OSSD_CONFIG_H

#include <stddef.h>

#include "util.h"

/* One key = value from a pass-through or handler section, with its line. */
struct config_kv {
    char *key;
    char *value;
    int line;
};

struct config_section {
    char *name; /* "kafka", "kafka.consumer", "handler.localreg", ... */
    int line;
    struct config_kv *kv;
    size_t n_kv;
};

struct config {
    char *path;

    /* [ossd] */
    char *source;      /* CloudEvents source */
    char *schema_base; /* prefix of the dataschema URIs */
    char *datadir;     /* submission.v1.json, sql/, events/ */
    char *log_level;
    char *log_target;
    int batch_max;
    int batch_ms;
    int stats_interval_s;
    int outbox_resend_after_ms;
    int outbox_retention_s;
    int retry_backoff_max_ms;
    int handler_retry_max;
    char *start_offset;   /* "earliest" or "latest" for partitions never consumed */
    char *metrics_listen; /* host:port of the Prometheus endpoint; "" = off */

    /* [topics] */
    char *topic_submissions;
    char *topic_issuance;
    char *topic_dlq;
    char *topic_license_status, *topic_license_status_dlq; /* permit status updates */
    char *topic_nib_actions, *topic_nib_actions_dlq;       /* NIB freeze, unfreeze, revoke */

    /* [sla] */
    int sla_sweep_interval_s;

    /* [postgres] */
    char *pg_url;
    char *pg_password_file;

    /* [pipeline] */
    char *handlers;   /* comma-separated names in order */
    char *plugin_dir; /* where NAME.so handlers live */

    /* [kafka], [kafka.consumer], [kafka.producer], [handler.NAME] */
    struct config_section *sections;
    size_t n_sections;

    char *group_id; /* group.id from [kafka] or [kafka.consumer], default "ossd" */
};

/* Parses path into a new config. Returns NULL with err ("file:line: what") on
 * a syntax error, an unknown section or key, a bad value, or a librdkafka
 * property librdkafka refuses. The caller frees the result with config_free. */
struct config *config_load(const char *path, char *err, size_t errlen) MUST_CHECK;
void config_free(struct config *cfg);

/* The pass-through section named name, or NULL. */
const struct config_section *config_section(const struct config *cfg, const char *name);
/* The value of key in section, or NULL. */
const char *config_section_get(const struct config_section *sec, const char *key);

/*
 * Names the keys a reload cannot apply whose value differs between the
 * running config and next (the no-reload keys of the table, and every
 * [kafka], [kafka.consumer] and [kafka.producer] property), as
 * "[ossd] start_offset, [kafka] bootstrap.servers" in out (never a value).
 * Returns how many; 0 leaves out empty.
 */
size_t config_restart_keys(const struct config *running, const struct config *next, char *out,
                           size_t outlen);

/* 1 when a reload applies [section] key, 0 when it waits for a restart, -1
 * when the key is unknown. Any key of a pass-through section has its
 * section's flag. */
int config_key_reloadable(const char *section, const char *key);

/* Writes the reference of every [ossd]/[topics]/[postgres]/[pipeline] key with its default
 * and reload flag, then the pass-through sections with theirs. */
void config_print_reference(void);

#endif
