/* config: the INI file -> an immutable config object; a reload builds a new one. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum key_type { KEY_STR, KEY_INT };

enum key_reload {
    RELOAD_NO = 0, /* read at start only; a reload that changes it names it */
    RELOAD_YES = 1 /* a reload applies the new value */
};

/*
 * The table of known keys: section, name, type, default, bounds, reload,
 * doc. Parsing, the defaults, --config-reference and the reload's list of
 * keys that wait for a restart all come from it (docs/configuration.md and
 * ossd.conf(5) are checked against --config-reference).
 */
struct key_def {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;
    const char *def;
    long min, max;
    enum key_reload reload;
    const char *doc;
};

#define STR(sec, name, field, def, rl, doc)                                                        \
    {                                                                                              \
        sec, name, KEY_STR, offsetof(struct config, field), def, 0, 0, rl, doc                     \
    }
#define INT(sec, name, field, def, lo, hi, rl, doc)                                                \
    {                                                                                              \
        sec, name, KEY_INT, offsetof(struct config, field), def, lo, hi, rl, doc                   \
    }

static const struct key_def keys[] = {
    STR("ossd", "source", source, "urn:ossd", RELOAD_YES,
        "CloudEvents source attribute of decision events"),
    STR("ossd", "schema_base", schema_base, "urn:ossd:schemas", RELOAD_YES,
        "prefix of dataschema URIs; events point at <schema_base>/events/<type>.v1.json"),
    STR("ossd", "datadir", datadir, OSSD_DATADIR, RELOAD_YES,
        "folder holding submission.v1.json and sql/ (the migrations)"),
    STR("ossd", "log_level", log_level, "info", RELOAD_YES, "error, warning, info or debug"),
    STR("ossd", "log_target", log_target, "auto", RELOAD_YES,
        "journal, stderr or auto (journal when JOURNAL_STREAM is set)"),
    INT("ossd", "batch_max", batch_max, "1000", 1, 100000, RELOAD_YES,
        "most messages in one batch (one PostgreSQL transaction)"),
    INT("ossd", "batch_ms", batch_ms, "20", 1, 60000, RELOAD_YES,
        "longest wait, in ms, to fill a batch once its first message arrived"),
    INT("ossd", "stats_interval_s", stats_interval_s, "60", 0, 86400, RELOAD_YES,
        "seconds between stats log entries; 0 = off"),
    INT("ossd", "outbox_resend_after_ms", outbox_resend_after_ms, "30000", 100, 86400000,
        RELOAD_YES, "an event not acknowledged by Kafka this long after it was sent is sent again"),
    INT("ossd", "outbox_retention_s", outbox_retention_s, "0", 0, 31536000, RELOAD_YES,
        "0: an outbox row is deleted when Kafka acknowledges it; else it is marked published "
        "and deleted this many seconds later"),
    INT("ossd", "retry_backoff_max_ms", retry_backoff_max_ms, "5000", 10, 600000, RELOAD_YES,
        "longest pause between retries while PostgreSQL is unavailable"),
    STR("ossd", "start_offset", start_offset, "earliest", RELOAD_NO,
        "where to start a partition with no offset stored in PostgreSQL: earliest or latest"),
    STR("ossd", "metrics_listen", metrics_listen, "", RELOAD_NO,
        "host:port of the Prometheus /metrics endpoint (a bare :port is 127.0.0.1); "
        "empty = off"),
    STR("topics", "submissions", topic_submissions, "oss.submissions.v1", RELOAD_NO, "input topic"),
    STR("topics", "issuance", topic_issuance, "oss.issuance.v1", RELOAD_NO,
        "decision events topic"),
    STR("topics", "dlq", topic_dlq, "oss.submissions.v1.dlq", RELOAD_NO, "dead-letter topic"),
    STR("topics", "license_status", topic_license_status, "oss.license-status.v1", RELOAD_NO,
        "input topic of permit status updates"),
    STR("topics", "license_status_dlq", topic_license_status_dlq, "oss.license-status.v1.dlq",
        RELOAD_NO, "dead-letter topic of status updates"),
    STR("topics", "nib_actions", topic_nib_actions, "oss.nib-actions.v1", RELOAD_NO,
        "input topic of NIB actions (freeze, unfreeze, revoke)"),
    STR("topics", "nib_actions_dlq", topic_nib_actions_dlq, "oss.nib-actions.v1.dlq", RELOAD_NO,
        "dead-letter topic of NIB actions"),
    STR("postgres", "url", pg_url, "", RELOAD_NO,
        "libpq connection URI or key=value string (required)"),
    STR("postgres", "password_file", pg_password_file, "", RELOAD_NO,
        "file holding the password; a relative name is looked up in $CREDENTIALS_DIRECTORY"),
    STR("pipeline", "handlers", handlers, "identity, region, kbli, activity, scale, risk",
        RELOAD_YES, "the handler chain in order, after the JSON Schema check"),
    STR("pipeline", "plugin_dir", plugin_dir, "", RELOAD_YES,
        "folder of external handlers (NAME.so)"),
    INT("pipeline", "handler_retry_max", handler_retry_max, "20", 1, 1000000, RELOAD_YES,
        "a message a handler asks to retry this many times in a row becomes an INTERNAL_ERROR "
        "dead letter"),
    INT("sla", "sweep_interval_s", sla_sweep_interval_s, "60", 1, 86400, RELOAD_YES,
        "seconds between two sweeps for deemed approvals (a due permit waits at most this long)"),
};

/* Sections passed through as key/value lists. */
static int passthrough_section(const char *name)
{
    return strcmp(name, "kafka") == 0 || strcmp(name, "kafka.consumer") == 0 ||
           strcmp(name, "kafka.producer") == 0 || strncmp(name, "handler.", 8) == 0;
}

struct parse_state {
    struct config *cfg;
    FILE *fp;
    int line;
    char err[512];
    rd_kafka_conf_t *probe; /* librdkafka validates every property */
};

static char *reader(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    char *r = fgets(str, num, st->fp);
    if (r)
        st->line++;
    return r;
}

static void set_err(struct parse_state *st, const char *fmt, const char *a, const char *b)
{
    char msg[400];
    if (st->err[0])
        return;
    snprintf(msg, sizeof(msg), fmt, a, b);
    snprintf(st->err, sizeof(st->err), "%s:%d: %s", st->cfg->path, st->line, msg);
}

static struct config_section *section_get(struct config *cfg, const char *name, int line)
{
    for (size_t i = 0; i < cfg->n_sections; i++)
        if (strcmp(cfg->sections[i].name, name) == 0)
            return &cfg->sections[i];
    cfg->sections = xrealloc(cfg->sections, (cfg->n_sections + 1) * sizeof(*cfg->sections));
    struct config_section *s = &cfg->sections[cfg->n_sections++];
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    s->line = line;
    return s;
}

static int set_key(struct parse_state *st, const struct key_def *k, const char *value)
{
    char *field = (char *)st->cfg + k->offset;

    if (k->type == KEY_STR) {
        char **p = (char **)field;
        free(*p);
        *p = xstrdup(value);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < k->min || v > k->max) {
        char range[64];
        snprintf(range, sizeof(range), "%ld..%ld", k->min, k->max);
        set_err(st, "%s must be a whole number in %s", k->name, range);
        return -1;
    }
    *(int *)field = (int)v;
    return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;

    if (!name) /* a section header alone (inih calls with name NULL when enabled) */
        return 1;
    if (passthrough_section(section)) {
        if (strncmp(section, "kafka", 5) == 0) {
            char errstr[256];
            if (rd_kafka_conf_set(st->probe, name, value, errstr, sizeof(errstr)) !=
                RD_KAFKA_CONF_OK) {
                set_err(st, "[kafka] %s: %s", name, errstr);
                return 0;
            }
        }
        struct config_section *s = section_get(st->cfg, section, st->line);
        s->kv = xrealloc(s->kv, (s->n_kv + 1) * sizeof(*s->kv));
        s->kv[s->n_kv].key = xstrdup(name);
        s->kv[s->n_kv].value = xstrdup(value);
        s->kv[s->n_kv].line = st->line;
        s->n_kv++;
        return 1;
    }
    int known_section = 0;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        known_section = 1;
        if (strcmp(keys[i].name, name) == 0)
            return set_key(st, &keys[i], value) == 0;
    }
    if (known_section)
        set_err(st, "unknown key '%s' in [%s]", name, section);
    else
        set_err(st, "unknown section [%s] (key '%s')", section, name);
    return 0;
}

static int check_values(struct config *cfg, char *err, size_t errlen)
{
    static const char *const levels[] = {"error", "warning", "info", "debug"};
    static const char *const targets[] = {"journal", "stderr", "auto"};
    int ok = 0;

    for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
        ok |= strcmp(cfg->log_level, levels[i]) == 0;
    if (!ok) {
        snprintf(err, errlen, "%s: [ossd] log_level must be error, warning, info or debug",
                 cfg->path);
        return -1;
    }
    ok = 0;
    for (size_t i = 0; i < ARRAY_SIZE(targets); i++)
        ok |= strcmp(cfg->log_target, targets[i]) == 0;
    if (!ok) {
        snprintf(err, errlen, "%s: [ossd] log_target must be journal, stderr or auto", cfg->path);
        return -1;
    }
    if (strcmp(cfg->start_offset, "earliest") != 0 && strcmp(cfg->start_offset, "latest") != 0) {
        snprintf(err, errlen, "%s: [ossd] start_offset must be earliest or latest", cfg->path);
        return -1;
    }
    if (!cfg->pg_url[0]) {
        snprintf(err, errlen, "%s: [postgres] url is required", cfg->path);
        return -1;
    }
    const struct config_section *k = config_section(cfg, "kafka");
    if (!k || !config_section_get(k, "bootstrap.servers")) {
        snprintf(err, errlen, "%s: [kafka] bootstrap.servers is required", cfg->path);
        return -1;
    }
    return 0;
}

/*
 * 1 when one of the words of name (split at every character that is not a letter or a
 * digit, and where a lower-case letter meets an upper-case one: "sasl.oauthbearer.config",
 * "api_key", "apiKey") is one of words, or that word with a plural "s" (ASCII,
 * case-insensitive). Whole words, so that "authority" is not "auth" and "keytab" (a file)
 * is not "key".
 */
static int name_has_word(const char *name, const char *const *words, size_t n)
{
    const char *p = name;

    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (*p && isalnum((unsigned char)*p) &&
               !(p > w && islower((unsigned char)p[-1]) && isupper((unsigned char)*p)))
            p++;
        size_t wl = (size_t)(p - w);
        for (size_t i = 0; wl && i < n; i++) {
            size_t l = strlen(words[i]);
            if ((wl == l || (wl == l + 1 && (w[l] == 's' || w[l] == 'S'))) &&
                strncasecmp(w, words[i], l) == 0)
                return 1;
        }
    }
    return 0;
}

/* 1 when value carries a password the way URLs and PostgreSQL conninfo
 * strings do: scheme://user:password@host, or password=... */
static int value_has_password(const char *value)
{
    const char *p = strstr(value, "://");
    if (p) {
        p += 3;
        size_t auth = strcspn(p, "/?#@");
        if (p[auth] == '@' && memchr(p, ':', auth))
            return 1;
    }
    return strcasestr(value, "password=") != NULL;
}

/*
 * 1 when the config carries a secret a world-readable file must not hold:
 * in a [kafka*] section, a key with a word (see name_has_word) password, secret, token,
 * oauthbearer or key (sasl.password, ssl.key.pem, sasl.oauthbearer.config,
 * sasl.oauthbearer.client.secret...), except file locations (names ending
 * in .location: the file has its own mode); in a [handler.*] section, a key
 * with a word password, passwd, secret, token, key, credential or auth, or a
 * value carrying a password (scheme://user:password@host, password=...).
 * *what names the first one found (section and key, never the value).
 */
static int config_secret(const struct config *cfg, char *what, size_t whatlen)
{
    static const char *const kafka_words[] = {"password", "secret", "token", "oauthbearer", "key"};
    static const char *const handler_words[] = {"password", "passwd",     "secret", "token",
                                                "key",      "credential", "auth"};

    for (size_t i = 0; i < cfg->n_sections; i++) {
        const struct config_section *sec = &cfg->sections[i];
        int kafka = strcmp(sec->name, "kafka") == 0 || strncmp(sec->name, "kafka.", 6) == 0;
        int handler = strncmp(sec->name, "handler.", 8) == 0;
        for (size_t j = 0; j < sec->n_kv && (kafka || handler); j++) {
            const char *k = sec->kv[j].key, *v = sec->kv[j].value ? sec->kv[j].value : "";
            size_t kl = strlen(k);
            int secret;
            if (!v[0])
                continue;
            if (kafka)
                secret = name_has_word(k, kafka_words, ARRAY_SIZE(kafka_words)) &&
                         !(kl >= 9 && strcmp(k + kl - 9, ".location") == 0);
            else
                secret = name_has_word(k, handler_words, ARRAY_SIZE(handler_words)) ||
                         value_has_password(v);
            if (secret) {
                snprintf(what, whatlen, "[%s] %s", sec->name, k);
                return 1;
            }
        }
    }
    return 0;
}

static int url_has_password(const char *url)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    int has = 0;

    PQfreemem(perr);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
            has = 1;
    PQconninfoFree(opts);
    return has;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct parse_state st;
    struct config *cfg = xcalloc(1, sizeof(*cfg));
    struct stat sb;

    memset(&st, 0, sizeof(st));
    cfg->path = xstrdup(path);
    st.cfg = cfg;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (set_key(&st, &keys[i], keys[i].def) != 0) {
            snprintf(err, errlen, "internal: bad default for %s", keys[i].name);
            goto err;
        }
    }
    st.fp = fopen(path, "r");
    if (!st.fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto err;
    }
    st.probe = rd_kafka_conf_new();
    int rc = ini_parse_stream(reader, &st, on_key, &st);
    rd_kafka_conf_destroy(st.probe);
    fclose(st.fp);
    if (rc != 0 || st.err[0]) {
        if (st.err[0])
            snprintf(err, errlen, "%s", st.err);
        else
            snprintf(err, errlen, "%s:%d: syntax error", path, rc > 0 ? rc : st.line);
        goto err;
    }
    if (check_values(cfg, err, errlen) != 0)
        goto err;
    /* A world-readable config must not carry a password or another secret. */
    if (stat(path, &sb) == 0 && (sb.st_mode & S_IROTH)) {
        char what[160];
        if (url_has_password(cfg->pg_url))
            snprintf(what, sizeof(what), "[postgres] url with a password");
        else if (!config_secret(cfg, what, sizeof(what)))
            what[0] = '\0';
        if (what[0]) {
            snprintf(err, errlen,
                     "%s: holds a secret (%s) but is readable by everyone; chmod o-r it, or use "
                     "[postgres] password_file",
                     path, what);
            goto err;
        }
    }
    const char *gid = NULL;
    const struct config_section *sec = config_section(cfg, "kafka.consumer");
    if (sec)
        gid = config_section_get(sec, "group.id");
    if (!gid && (sec = config_section(cfg, "kafka")))
        gid = config_section_get(sec, "group.id");
    cfg->group_id = xstrdup(gid ? gid : "ossd");
    return cfg;
err:
    config_free(cfg);
    return NULL;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (keys[i].type == KEY_STR)
            free(*(char **)((char *)cfg + keys[i].offset));
    for (size_t i = 0; i < cfg->n_sections; i++) {
        for (size_t j = 0; j < cfg->sections[i].n_kv; j++) {
            free(cfg->sections[i].kv[j].key);
            free(cfg->sections[i].kv[j].value);
        }
        free(cfg->sections[i].kv);
        free(cfg->sections[i].name);
    }
    free(cfg->sections);
    free(cfg->group_id);
    free(cfg->path);
    free(cfg);
}

const struct config_section *config_section(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_sections; i++)
        if (strcmp(cfg->sections[i].name, name) == 0)
            return &cfg->sections[i];
    return NULL;
}

const char *config_section_get(const struct config_section *sec, const char *key)
{
    const char *v = NULL;
    if (!sec)
        return NULL;
    for (size_t i = 0; i < sec->n_kv; i++)
        if (strcmp(sec->kv[i].key, key) == 0)
            v = sec->kv[i].value; /* the last one wins, as librdkafka does */
    return v;
}

/* The reload flag of a passed-through section: librdkafka's clients are built
 * once, handlers are built again by every reload. */
static enum key_reload section_reload(const char *name)
{
    return strncmp(name, "handler.", 8) == 0 ? RELOAD_YES : RELOAD_NO;
}

/* Appends ", what" (or "what" first) to out; returns the number added (1). */
static size_t add_name(char *out, size_t outlen, size_t n, const char *sec, const char *key)
{
    size_t len = strlen(out);
    if (len < outlen)
        snprintf(out + len, outlen - len, "%s[%s] %s", n ? ", " : "", sec, key);
    return 1;
}

/* 1 when key has the same value (the last one set) in a and b, or is set in
 * neither; a or b may be NULL (no such section). */
static int same_value(const struct config_section *a, const struct config_section *b,
                      const char *key)
{
    const char *va = config_section_get(a, key), *vb = config_section_get(b, key);
    if (!va || !vb)
        return va == vb;
    return strcmp(va, vb) == 0;
}

/* Names the keys of a no-reload pass-through section that differ between a
 * and b (either may be NULL), each once. */
static size_t section_diff(const char *name, const struct config_section *a,
                           const struct config_section *b, char *out, size_t outlen, size_t n)
{
    size_t added = 0;
    for (int side = 0; side < 2; side++) {
        const struct config_section *s = side ? b : a;
        for (size_t i = 0; s && i < s->n_kv; i++) {
            const char *key = s->kv[i].key;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) /* a key set twice: once */
                seen = strcmp(s->kv[j].key, key) == 0;
            if (side && a) /* already named from a's side */
                seen |= config_section_get(a, key) != NULL;
            if (!seen && !same_value(a, b, key))
                added += add_name(out, outlen, n + added, name, key);
        }
    }
    return added;
}

size_t config_restart_keys(const struct config *running, const struct config *next, char *out,
                           size_t outlen)
{
    size_t n = 0;

    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        const struct key_def *k = &keys[i];
        const char *fa = (const char *)running + k->offset, *fb = (const char *)next + k->offset;
        int same;
        if (k->reload == RELOAD_YES)
            continue;
        if (k->type == KEY_STR)
            same = strcmp(*(char *const *)fa, *(char *const *)fb) == 0;
        else
            same = *(const int *)fa == *(const int *)fb;
        if (!same)
            n += add_name(out, outlen, n, k->section, k->name);
    }
    static const char *const kafka[] = {"kafka", "kafka.consumer", "kafka.producer"};
    for (size_t i = 0; i < ARRAY_SIZE(kafka); i++) {
        if (section_reload(kafka[i]) == RELOAD_YES)
            continue;
        n += section_diff(kafka[i], config_section(running, kafka[i]),
                          config_section(next, kafka[i]), out, outlen, n);
    }
    return n;
}

int config_key_reloadable(const char *section, const char *key)
{
    if (passthrough_section(section))
        return section_reload(section) == RELOAD_YES;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, key) == 0)
            return keys[i].reload == RELOAD_YES;
    return -1;
}

static const char *reload_word(enum key_reload r)
{
    return r == RELOAD_YES ? "yes" : "no";
}

void config_print_reference(void)
{
    const char *sec = "";
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (strcmp(sec, keys[i].section) != 0) {
            sec = keys[i].section;
            printf("%s[%s]\n", i ? "\n" : "", sec);
        }
        printf("; %s\n; reload: %s\n%s = %s\n", keys[i].doc, reload_word(keys[i].reload),
               keys[i].name, keys[i].def);
    }
    printf("\n[kafka]\n; any librdkafka property, for the consumer and the producer\n"
           "; reload: %s\n"
           "bootstrap.servers = 127.0.0.1:9092\ngroup.id = ossd\n"
           "\n[kafka.consumer]\n; librdkafka properties for the consumer only\n; reload: %s\n"
           "\n[kafka.producer]\n; librdkafka properties for the producer only\n; reload: %s\n"
           "\n[handler.NAME]\n; the settings of handler instance NAME: type = its handler type "
           "(default NAME),\n; then the typed keys that type declares (docs/configuration.md)\n"
           "; reload: %s\n",
           reload_word(section_reload("kafka")), reload_word(section_reload("kafka.consumer")),
           reload_word(section_reload("kafka.producer")),
           reload_word(section_reload("handler.NAME")));
}
