/* localreg: an example external handler (a plugin, build/handlers/localreg.so). Regencies (or
 * districts) may close some business activities by local regulation (peraturan daerah), e.g.
 * alcohol retail, KBLI 47221, in Kota Semarang (33.74). A submission asking for such a KBLI at a
 * business location there is rejected with the configured reason code (LOCAL_REGULATION by
 * default), path /business/activities/<i>/kbli; the same KBLI elsewhere passes.
 *
 *     [pipeline]
 *     handlers = identity, region, kbli, activity, scale, risk, localreg
 *     plugin_dir = /usr/local/lib/ossd/handlers
 *     [handler.localreg]
 *     rules = 47221@33.74, 11010@33.74, 56290@33.74.10
 *     code = LOCAL_REGULATION
 *
 * Only <ossd/handler.h> (handler ABI 2) and libc: this file builds outside the ossd tree with
 *     cc -std=c11 -fPIC -shared -I<ossd>/include -o localreg.so localreg.c
 * Several instances may run in one chain ([handler.ID] type = localreg), each with its own
 * rules. The instance is immutable after init, so process() is thread-safe.
 */
#include <ossd/handler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCALREG_DEFAULT_CODE "LOCAL_REGULATION"

struct localreg_rule {
    char kbli[6];   /* 5 digits */
    char region[9]; /* NN.NN (regency/city) or NN.NN.NN (district) */
    size_t region_len;
};

struct localreg {
    char code[40]; /* a reason code: at most 39 characters */
    int log_matches;
    size_t n_rules;
    struct localreg_rule *rules;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 when s[0..n) is NN.NN or NN.NN.NN. */
static int region_ok(const char *s, size_t n)
{
    if (n != 5 && n != 8)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 2) {
            if (s[i] != '.')
                return 0;
        } else if (!is_digit(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Parses one "KBLI@REGION" entry [s, end) into r; 0, or -1 with err filled. */
static int parse_rule(const char *s, const char *end, int index, struct localreg_rule *r, char *err,
                      size_t errlen)
{
    const char *at = memchr(s, '@', (size_t)(end - s));
    size_t klen, rlen;

    if (!at) {
        snprintf(err, errlen, "rules: entry %d \"%.*s\" is not KBLI@REGION (e.g. 47221@33.74)",
                 index, (int)(end - s > 40 ? 40 : end - s), s);
        return -1;
    }
    klen = (size_t)(at - s);
    rlen = (size_t)(end - at - 1);
    if (klen != 5 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]) ||
        !is_digit(s[4])) {
        snprintf(err, errlen, "rules: entry %d \"%.*s\": the KBLI code must be 5 digits", index,
                 (int)(end - s > 40 ? 40 : end - s), s);
        return -1;
    }
    if (!region_ok(at + 1, rlen)) {
        snprintf(err, errlen,
                 "rules: entry %d \"%.*s\": the region must be a regency/city NN.NN or a "
                 "district NN.NN.NN",
                 index, (int)(end - s > 40 ? 40 : end - s), s);
        return -1;
    }
    memcpy(r->kbli, s, 5);
    r->kbli[5] = '\0';
    memcpy(r->region, at + 1, rlen);
    r->region[rlen] = '\0';
    r->region_len = rlen;
    return 0;
}

/* A reason code: upper-case letters, digits and '_', starting with a letter (the pattern of
 * schemas/events/rejected.v1.json), at most 39 characters. */
static int code_ok(const char *c)
{
    size_t n = c ? strlen(c) : 0;

    if (n == 0 || n >= sizeof(((struct localreg *)0)->code) || !(c[0] >= 'A' && c[0] <= 'Z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || is_digit(c[i]) || c[i] == '_'))
            return 0;
    return 1;
}

static void localreg_destroy(void *instance)
{
    struct localreg *lr = instance;

    if (!lr)
        return;
    free(lr->rules);
    free(lr);
}

static int localreg_init(void **instance, const struct ossd_handler_config *cfg, char *err,
                         size_t errlen)
{
    const char *code = ossd_config_string(cfg, "code");
    size_t n = ossd_config_list_count(cfg, "rules");
    struct localreg *lr;

    if (!code_ok(code)) {
        snprintf(err, errlen,
                 "code: \"%.40s\" must be 1-39 characters of A-Z, 0-9 and _, starting with a "
                 "letter",
                 code ? code : "");
        return -1;
    }
    lr = calloc(1, sizeof(*lr));
    if (!lr || !(lr->rules = calloc(n ? n : 1, sizeof(*lr->rules)))) {
        free(lr);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(lr->code, sizeof(lr->code), "%s", code);
    lr->log_matches = ossd_config_bool(cfg, "log_matches");
    /* ossd has split the list, trimmed every entry and refused empty ones. */
    for (size_t i = 0; i < n; i++) {
        const char *t = ossd_config_list_item(cfg, "rules", i);

        if (parse_rule(t, t + strlen(t), (int)i + 1, &lr->rules[lr->n_rules], err, errlen) != 0) {
            localreg_destroy(lr);
            return -1;
        }
        lr->n_rules++;
    }
    *instance = lr;
    return 0;
}

/* 1 when the location code lies in the rule's region (the region, then end or '.'). */
static int in_region(const struct localreg_rule *r, const char *location)
{
    return strncmp(location, r->region, r->region_len) == 0 &&
           (location[r->region_len] == '\0' || location[r->region_len] == '.');
}

static enum ossd_result localreg_process(void *instance, const struct ossd_ctx *ctx,
                                         const struct ossd_submission *s, struct ossd_decision *d)
{
    const struct localreg *lr = instance;
    const char *location = ossd_submission_field(s, OSSD_BUSINESS_REGION_CODE);
    size_t n = ossd_submission_activity_count(s);
    int found = 0;

    if (!lr || !location)
        return OSSD_OK;
    for (size_t i = 0; i < n; i++) {
        const char *kbli = ossd_submission_activity_kbli(s, i);

        if (!kbli)
            continue;
        for (size_t j = 0; j < lr->n_rules; j++) {
            const struct localreg_rule *r = &lr->rules[j];
            char path[48];

            if (strcmp(kbli, r->kbli) != 0 || !in_region(r, location))
                continue;
            snprintf(path, sizeof(path), "/business/activities/%zu/kbli", i);
            ossd_add_reason(d, lr->code, path, "KBLI %s is closed by local regulation in region %s",
                            r->kbli, r->region);
            if (lr->log_matches)
                ossd_log(ctx, OSSD_LOG_INFO, "KBLI %s closed in region %s: %s", r->kbli, r->region,
                         lr->code);
            found++;
            break; /* one reason per activity */
        }
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

static const struct ossd_config_key localreg_keys[] = {
    {.name = "rules",
     .type = OSSD_CONFIG_LIST,
     .required = 1,
     .description = "comma-separated KBLI@REGION entries: the KBLI code (5 digits) closed in a "
                    "regency/city (NN.NN) or district (NN.NN.NN), e.g. 47221@33.74, 11010@33.74"},
    {.name = "code",
     .type = OSSD_CONFIG_STRING,
     .default_value = LOCALREG_DEFAULT_CODE,
     .description = "the reason code of a rejection"},
    {.name = "log_matches",
     .type = OSSD_CONFIG_BOOL,
     .default_value = "false",
     .description = "log every closure found (KBLI, region and code only) at level info"},
    {.name = NULL},
};

static const struct ossd_handler_type localreg_type = {
    OSSD_HANDLER_TYPE_HEADER,
    .name = "localreg",
    .description = "rejects KBLI codes closed by local regulation in configured regions",
    .config_keys = localreg_keys,
    .init = localreg_init,
    .process = localreg_process,
    .destroy = localreg_destroy,
};

const struct ossd_handler_type *ossd_handler_entry(void);

const struct ossd_handler_type *ossd_handler_entry(void)
{
    return &localreg_type;
}
