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
 * Only ossd_handler.h and libc: this file builds outside the ossd tree with
 *     cc -std=c11 -fPIC -shared -I<ossd>/handlers -o localreg.so localreg.c
 * The instance is immutable after init, so process() is thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "ossd_handler.h"

#define LOCALREG_DEFAULT_CODE "LOCAL_REGULATION"

struct localreg_rule {
    char kbli[6];   /* 5 digits */
    char region[9]; /* NN.NN (regency/city) or NN.NN.NN (district) */
    size_t region_len;
};

struct localreg {
    char code[40]; /* fits struct ossd_reason.code */
    size_t n_rules;
    struct localreg_rule *rules;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *trim(const char *s, const char *end, const char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *out_end = end;
    return s;
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
    size_t n = strlen(c);

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
    const char *rules = cfg->get(cfg->ctx, "rules");
    const char *code = cfg->get(cfg->ctx, "code");
    struct localreg *lr;
    size_t cap = 1;
    int index = 0;

    if (!code)
        code = LOCALREG_DEFAULT_CODE;
    if (!code_ok(code)) {
        snprintf(err, errlen,
                 "code: \"%.40s\" must be 1-39 characters of A-Z, 0-9 and _, starting with a "
                 "letter",
                 code);
        return -1;
    }
    if (!rules) {
        snprintf(err, errlen, "rules: required (e.g. rules = 47221@33.74, 11010@33.74)");
        return -1;
    }
    for (const char *p = rules; *p; p++)
        cap += *p == ',';
    lr = calloc(1, sizeof(*lr));
    if (!lr || !(lr->rules = calloc(cap, sizeof(*lr->rules)))) {
        free(lr);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(lr->code, sizeof(lr->code), "%s", code);
    for (const char *s = rules;;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *tend;
        const char *t = trim(s, end, &tend);

        index++;
        if (t == tend) {
            snprintf(err, errlen, "rules: entry %d is empty", index);
            localreg_destroy(lr);
            return -1;
        }
        if (parse_rule(t, tend, index, &lr->rules[lr->n_rules], err, errlen) != 0) {
            localreg_destroy(lr);
            return -1;
        }
        lr->n_rules++;
        if (!comma)
            break;
        s = comma + 1;
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
    const char *location = s->business.region_code;
    int found = 0;

    (void)ctx;
    if (!lr || !location)
        return OSSD_OK;
    for (size_t i = 0; i < s->business.n_activities && i < OSSD_MAX_ACTIVITIES; i++) {
        const char *kbli = s->business.activities[i].kbli;

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
            found++;
            break; /* one reason per activity */
        }
    }
    return found ? OSSD_REJECT : OSSD_OK;
}

static const struct ossd_config_key localreg_keys[] = {
    {"rules",
     "comma-separated KBLI@REGION entries: the KBLI code (5 digits) closed in a regency/city "
     "(NN.NN) or district (NN.NN.NN), e.g. 47221@33.74, 11010@33.74",
     NULL},
    {"code", "the reason code of a rejection", LOCALREG_DEFAULT_CODE},
    {NULL, NULL, NULL},
};

static const struct ossd_handler_type localreg_type = {
    .abi_version = OSSD_HANDLER_ABI_VERSION,
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
