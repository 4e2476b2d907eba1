/* ossctl: the operator tool: validate documents, migrate, reference data, status, dead letters. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gate.h"
#include "item.h"
#include "jsonschema.h"
#include "ossctl_dlq.h"
#include "ossctl_explain.h"
#include "ossctl_outbox.h"
#include "ossctl_permit.h"
#include "ossctl_redecide.h"
#include "ossctl_refdata.h"
#include "store.h"
#include "util.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: ossctl [--config FILE | --pg-url URL] COMMAND ...\n\n"
                "commands:\n"
                "  validate --schema FILE DOC...       validate JSON documents against a schema\n"
                "  migrate                             apply the SQL migrations\n"
                "  refdata import KIND FILE.csv [--version V] [--no-activate]\n"
                "        (KIND: kbli, regions, holidays, sla)\n"
                "  refdata activate KIND VERSION       make an imported version the active one\n"
                "  refdata list                        reference-data versions and counts\n"
                "  status                              decisions, offsets, outbox, dead letters\n"
                "  dlq list [--code C] [--limit N]     dead letters, newest first\n"
                "  dlq show ID                         one dead letter, with its payload\n"
                "  dlq replay ID...|--all [--code C]   re-inject into their source topics\n"
                "  outbox parked [--limit N]           outbox rows parked as undeliverable\n"
                "  outbox release ID...|--all          let the re-send take parked rows again\n"
                "  permit show PERMIT_ID               a permit and its history, newest last\n"
                "  sla due [--before T] [--limit N]    running deadlines, soonest first\n"
                "  explain SUBMISSION_ID [--json]      a decision and its basis\n"
                "  redecide [--since T] [--until T] [--refdata-version KIND=V ...] [--out F.csv]\n"
                "        [--jobs N]   today's rules over the stored inputs, changing nothing\n\n"
                "PostgreSQL: --pg-url, else [postgres] url of --config, else $OSSD_PG_URL.\n"
                "Exit status: 0 ok, 1 invalid data or failed check, 2 usage or I/O error.\n");
}

struct violation_ctx {
    const char *doc;
    size_t n;
};

static void print_violation(void *arg, const char *path, const char *keyword, const char *message)
{
    struct violation_ctx *v = arg;
    v->n++;
    printf("%s: %s: %s (%s)\n", v->doc, path[0] ? path : "/", message, keyword);
}

/* The $id of the submission schema: documents validated against it go
 * through the daemon's gate first, as on the input topic. */
#define SUBMISSION_SCHEMA_ID "urn:ossd:schemas/submission.v1.json"

/* 1 when the schema file is the submission schema (by its $id). */
static int is_submission_schema(const char *path)
{
    json_error_t jerr;
    json_t *s = json_load_file(path, JSON_DECODE_ANY, &jerr);
    const char *id = json_string_value(json_object_get(s, "$id"));
    int yes = id && strcmp(id, SUBMISSION_SCHEMA_ID) == 0;
    json_decref(s);
    return yes;
}

/* The whole file in a new buffer (NUL-terminated; *len without it), or NULL
 * with err. The caller frees it. */
static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    struct buf b = {0};
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        buf_free(&b);
        return NULL;
    }
    fclose(f);
    buf_putc(&b, '\0');
    *len = b.len - 1;
    return b.data;
}

/* A submission document as the daemon sees it: the gate (size, UTF-8 and
 * JSON with duplicate keys and unrepresentable numbers refused, object,
 * submission_id, schema version), then the schema. 0 valid, 1 invalid, 2
 * unreadable. */
static int validate_submission(const struct jsonschema *js, const char *path)
{
    struct item it;
    char err[1024];
    size_t len = 0;
    char *bytes = read_all(path, &len, err, sizeof(err));

    if (!bytes) {
        fprintf(stderr, "ossctl: %s\n", err);
        return 2;
    }
    memset(&it, 0, sizeof(it));
    gate_check(&it, bytes, len);
    free(bytes);
    if (it.kind == ITEM_DEAD) {
        printf("%s: dead letter %s: %s (gate)\n", path, it.dead_code, it.dead_message);
        item_clear(&it);
        return 1;
    }
    struct violation_ctx v = {path, 0};
    jsonschema_validate(js, it.doc, 0, print_violation, &v);
    if (v.n == 0)
        printf("%s: valid\n", path);
    item_clear(&it);
    return v.n ? 1 : 0;
}

static int cmd_validate(int argc, char **argv)
{
    const char *schema_path = NULL;
    int first = 1, rc = 0;
    char err[1024];

    for (; first < argc; first++) {
        if (strcmp(argv[first], "--schema") == 0 && first + 1 < argc)
            schema_path = argv[++first];
        else if (strncmp(argv[first], "--schema=", 9) == 0)
            schema_path = argv[first] + 9;
        else
            break;
    }
    if (!schema_path || first >= argc) {
        fprintf(stderr, "usage: ossctl validate --schema FILE DOC...\n");
        return 2;
    }
    struct jsonschema *js = jsonschema_load_file(schema_path, err, sizeof(err));
    if (!js) {
        fprintf(stderr, "ossctl: %s\n", err);
        return 2;
    }
    int gated = is_submission_schema(schema_path);
    for (int i = first; i < argc; i++) {
        if (gated) {
            int r = validate_submission(js, argv[i]);
            if (r > rc)
                rc = r;
            continue;
        }
        json_error_t jerr;
        json_t *doc = json_load_file(argv[i], JSON_DECODE_ANY, &jerr);
        if (!doc && strstr(jerr.text, "too big")) /* beyond 64 bits: compare as reals */
            doc = json_load_file(argv[i], JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
        if (!doc) {
            fprintf(stderr, "ossctl: %s:%d: %s\n", argv[i], jerr.line, jerr.text);
            rc = 2;
            continue;
        }
        struct violation_ctx v = {argv[i], 0};
        jsonschema_validate(js, doc, 0, print_violation, &v);
        if (v.n == 0)
            printf("%s: valid\n", argv[i]);
        else if (rc == 0)
            rc = 1;
        json_decref(doc);
    }
    jsonschema_free(js);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"pg-url", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cfg_path = NULL, *url = NULL;
    struct config *cfg = NULL;
    char err[1024], *conninfo = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+c:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cfg_path = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;

    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(sub_argc, sub_argv);
    if (cfg_path) {
        cfg = config_load(cfg_path, err, sizeof(err));
        if (!cfg) {
            fprintf(stderr, "ossctl: %s\n", err);
            return 2;
        }
        if (!url && !(conninfo = store_conninfo(cfg, err, sizeof(err)))) {
            fprintf(stderr, "ossctl: %s\n", err);
            config_free(cfg);
            return 2;
        }
    }
    if (!url && !conninfo)
        url = getenv("OSSD_PG_URL");
    if (!url && !conninfo) {
        fprintf(stderr, "ossctl: no PostgreSQL: give --config, --pg-url or $OSSD_PG_URL\n");
        return 2;
    }
    const char *pg = conninfo ? conninfo : url;
    if (strcmp(cmd, "migrate") == 0) {
        char sqldir[1024];
        snprintf(sqldir, sizeof(sqldir), "%s/sql",
                 cfg ? cfg->datadir
                     : (getenv("OSSD_DATADIR") ? getenv("OSSD_DATADIR") : OSSD_DATADIR));
        rc = store_migrate(pg, sqldir, err, sizeof(err)) == 0 ? 0 : 2;
        if (rc)
            fprintf(stderr, "ossctl: migrate: %s\n", err);
    } else if (strcmp(cmd, "refdata") == 0) {
        rc = ossctl_refdata_main(sub_argc, sub_argv, pg);
    } else if (strcmp(cmd, "status") == 0) {
        rc = ossctl_status_main(sub_argc, sub_argv, pg, cfg);
    } else if (strcmp(cmd, "dlq") == 0) {
        rc = ossctl_dlq_main(sub_argc, sub_argv, pg, cfg);
    } else if (strcmp(cmd, "outbox") == 0) {
        rc = ossctl_outbox_main(sub_argc, sub_argv, pg);
    } else if (strcmp(cmd, "permit") == 0) {
        rc = ossctl_permit_main(sub_argc, sub_argv, pg);
    } else if (strcmp(cmd, "redecide") == 0) {
        rc = ossctl_redecide_main(sub_argc, sub_argv, pg, cfg);
    } else if (strcmp(cmd, "sla") == 0) {
        rc = ossctl_sla_main(sub_argc, sub_argv, pg);
    } else if (strcmp(cmd, "explain") == 0) {
        rc = ossctl_explain_main(sub_argc, sub_argv, pg);
    } else {
        fprintf(stderr, "ossctl: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
    }
    free(conninfo);
    config_free(cfg);
    return rc;
}
