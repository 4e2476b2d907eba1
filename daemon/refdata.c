/* refdata.c: reference data in memory (open-addressing hash tables over integer-coded keys). */
#include "refdata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rules.h"

/* Risk levels as small integers; 0 is "none". */
static const char *const risk_names[] = {NULL, "R", "MR", "MT", "T"};
#define RISK_DEFAULT 4 /* "T": the answer for a code whose risk is not set */

static int risk_code(const char *risk)
{
    if (!risk)
        return -1;
    for (int i = 1; i <= 4; i++)
        if (strcmp(risk, risk_names[i]) == 0)
            return i;
    return -1;
}

/* ---- a string arena: names and titles live as long as the object -------------------------- */

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    char data[];
};

static const char *arena_strdup(struct arena_chunk **head, const char *s)
{
    size_t n = strlen(s) + 1;
    struct arena_chunk *c = *head;
    char *p;

    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = xmalloc(sizeof(*c) + size);
        c->next = *head;
        c->used = 0;
        c->size = size;
        *head = c;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    c->used += n;
    return p;
}

/* ---- a hash index: uint64 key -> entry number (open addressing, linear probing) ------------- */

struct htab_slot {
    uint64_t key;
    uint32_t entry; /* entry number + 1; 0 = empty */
};

struct htab {
    struct htab_slot *slots;
    size_t mask; /* capacity - 1 (a power of two) */
    size_t n;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void htab_init(struct htab *t)
{
    t->mask = 1023;
    t->n = 0;
    t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
}

/* The slot holding key, or the empty slot where it would go (the load factor stays under 1/2,
 * so there is always one). */
static struct htab_slot *htab_slot(const struct htab *t, uint64_t key)
{
    size_t i = (size_t)mix64(key) & t->mask;

    while (t->slots[i].entry && t->slots[i].key != key)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

/* The entry number of key, or -1. */
static long htab_find(const struct htab *t, uint64_t key)
{
    const struct htab_slot *s = htab_slot(t, key);

    return s->entry ? (long)s->entry - 1 : -1;
}

/* Maps a key that is not in t yet to entry number e. */
static void htab_insert(struct htab *t, uint64_t key, uint32_t e)
{
    struct htab_slot *s;

    if ((t->n + 1) * 2 > t->mask + 1) {
        struct htab old = *t;

        t->mask = (old.mask + 1) * 2 - 1;
        t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
        for (size_t i = 0; i <= old.mask; i++)
            if (old.slots[i].entry)
                *htab_slot(t, old.slots[i].key) = old.slots[i];
        free(old.slots);
    }
    s = htab_slot(t, key);
    s->key = key;
    s->entry = e + 1;
    t->n++;
}

/* ---- the object ----------------------------------------------------------------------------- */

#define REGION_PRESENT      0x01 /* the code itself was added */
#define REGION_HAS_VILLAGES 0x02 /* a district with at least one village added */

struct region {
    uint64_t key;
    const char *name;
    unsigned char flags;
};

struct kbli {
    uint64_t key;
    const char *title;
    unsigned char risk;          /* 0 none, else index in risk_names */
    unsigned char scale_risk[4]; /* per scale 01..04; 0 none */
};

struct holiday {
    int32_t day;
    const char *name;
};

struct refdata {
    struct region *regions;
    size_t n_regions_entries, cap_regions, n_regions; /* n_regions: PRESENT ones */
    struct htab region_index;

    struct kbli *kblis;
    size_t n_kbli, cap_kbli;
    struct htab kbli_index;

    struct holiday *holiday_list; /* sorted by day */
    int32_t *holiday_days;        /* the same days, for the calendar */
    size_t n_holidays, cap_holidays;
    struct cal_holidays holidays;

    struct htab sla_index; /* sla_key -> working days (stored as the entry number) */

    struct arena_chunk *arena;
    char *kbli_version, *region_version, *holiday_version, *sla_version;
    struct ossd_refdata api;
};

/*
 * The integer key of a region code: its digits with a leading 1 (so "33" and "0033" differ),
 * e.g. "33.74.10" -> 1337410. Returns the level (1-4) or 0 when malformed.
 */
static int region_key(const char *code, uint64_t *key)
{
    static const size_t lens[] = {0, 2, 5, 8, 13};
    size_t len;
    int level = 0;
    uint64_t k = 1;

    if (!code)
        return 0;
    len = strlen(code);
    for (int l = 1; l <= 4; l++)
        if (len == lens[l])
            level = l;
    if (!level)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 2 || i == 5 || i == 8) {
            if (code[i] != '.')
                return 0;
        } else if (code[i] >= '0' && code[i] <= '9') {
            k = k * 10 + (uint64_t)(code[i] - '0');
        } else {
            return 0;
        }
    }
    *key = k;
    return level;
}

/* The key of the district that contains a village key (drops the last 4 digits). */
static uint64_t district_of_village(uint64_t village_key)
{
    return village_key / 10000;
}

static int kbli_key(const char *code, uint64_t *key)
{
    uint64_t k = 0;

    if (!code)
        return -1;
    for (int i = 0; i < 5; i++) {
        if (code[i] < '0' || code[i] > '9')
            return -1;
        k = k * 10 + (uint64_t)(code[i] - '0');
    }
    if (code[5] != '\0')
        return -1;
    *key = k;
    return 0;
}

static struct region *region_find(const struct refdata *rd, uint64_t key)
{
    long e = htab_find(&rd->region_index, key);

    return e < 0 ? NULL : &rd->regions[e];
}

static struct kbli *kbli_find(const struct refdata *rd, uint64_t key)
{
    long e = htab_find(&rd->kbli_index, key);

    return e < 0 ? NULL : &rd->kblis[e];
}

/* Finds the entry of key, creating an empty one (flags 0) when missing. The pointer is valid
 * until the next region_get (the array may move). */
static struct region *region_get(struct refdata *rd, uint64_t key)
{
    struct region *r = region_find(rd, key);

    if (r)
        return r;
    if (rd->n_regions_entries >= UINT32_MAX - 1)
        return NULL;
    if (rd->n_regions_entries == rd->cap_regions) {
        rd->cap_regions = rd->cap_regions ? rd->cap_regions * 2 : 1024;
        rd->regions = xrealloc(rd->regions, rd->cap_regions * sizeof(*rd->regions));
    }
    r = &rd->regions[rd->n_regions_entries];
    r->key = key;
    r->name = NULL;
    r->flags = 0;
    htab_insert(&rd->region_index, key, (uint32_t)rd->n_regions_entries++);
    return r;
}

/* The key of an SLA row: the KBLI code's digits times 10 plus the scale digit (0: every scale).
 * Returns 0, or -1 when the code or the scale is malformed. */
static int sla_key(const char *kbli, const char *scale, uint64_t *key)
{
    uint64_t k;
    int sc = 0;

    if (kbli_key(kbli, &k) != 0)
        return -1;
    if (scale && scale[0]) {
        if (scale[0] != '0' || scale[1] < '1' || scale[1] > '4' || scale[2] != '\0')
            return -1;
        sc = scale[1] - '0';
    }
    *key = k * 10 + (uint64_t)sc;
    return 0;
}

/* ---- lookups (the ossd_refdata view) -------------------------------------------------------- */

static int api_province_known(const void *ctx, const char *province2)
{
    uint64_t key;
    const struct region *r;

    if (region_key(province2, &key) != 1)
        return 0;
    r = region_find(ctx, key);
    return r && (r->flags & REGION_PRESENT);
}

static enum ossd_region_status api_region(const void *ctx, const char *code)
{
    const struct refdata *rd = ctx;
    const struct region *r, *district;
    uint64_t key;
    int level = region_key(code, &key);

    if (!level)
        return OSSD_REGION_UNKNOWN;
    if (level < 4) {
        r = region_find(rd, key);
        return r && (r->flags & REGION_PRESENT) ? OSSD_REGION_KNOWN : OSSD_REGION_UNKNOWN;
    }
    district = region_find(rd, district_of_village(key));
    if (!district || !(district->flags & REGION_PRESENT))
        return OSSD_REGION_UNKNOWN;
    if (!(district->flags & REGION_HAS_VILLAGES))
        return OSSD_REGION_KNOWN;
    r = region_find(rd, key);
    return r && (r->flags & REGION_PRESENT) ? OSSD_REGION_KNOWN : OSSD_REGION_UNKNOWN;
}

static const char *api_kbli_title(const void *ctx, const char *code)
{
    uint64_t key;
    const struct kbli *k;

    if (kbli_key(code, &key) != 0)
        return NULL;
    k = kbli_find(ctx, key);
    return k ? k->title : NULL;
}

static const char *api_kbli_risk(const void *ctx, const char *code, const char *scale)
{
    uint64_t key;
    const struct kbli *k;

    if (kbli_key(code, &key) != 0)
        return NULL;
    k = kbli_find(ctx, key);
    if (!k)
        return NULL;
    if (scale && scale[0] == '0' && scale[1] >= '1' && scale[1] <= '4' && scale[2] == '\0') {
        unsigned char r = k->scale_risk[scale[1] - '1'];
        if (r)
            return risk_names[r];
    }
    return risk_names[k->risk ? k->risk : RISK_DEFAULT];
}

/* ---- building -------------------------------------------------------------------------------- */

struct refdata *refdata_new(void)
{
    struct refdata *rd = xcalloc(1, sizeof(*rd));

    htab_init(&rd->region_index);
    htab_init(&rd->kbli_index);
    htab_init(&rd->sla_index);
    rd->kbli_version = xstrdup("");
    rd->region_version = xstrdup("");
    rd->holiday_version = xstrdup("");
    rd->sla_version = xstrdup("");
    rd->api.ctx = rd;
    rd->api.province_known = api_province_known;
    rd->api.region = api_region;
    rd->api.kbli_title = api_kbli_title;
    rd->api.kbli_risk = api_kbli_risk;
    return rd;
}

int refdata_add_region(struct refdata *rd, const char *code, const char *name)
{
    uint64_t key;
    int level = region_key(code, &key);
    struct region *r;

    if (!level || !name || !name[0])
        return -1;
    r = region_find(rd, key);
    if (r && (r->flags & REGION_PRESENT))
        return -1;
    if (level == 4) {
        struct region *district = region_get(rd, district_of_village(key));
        if (!district)
            return -1;
        district->flags |= REGION_HAS_VILLAGES;
    }
    r = region_get(rd, key); /* after the district: region_get may move the array */
    if (!r)
        return -1;
    r->name = arena_strdup(&rd->arena, name);
    r->flags |= REGION_PRESENT;
    rd->n_regions++;
    return 0;
}

int refdata_add_kbli(struct refdata *rd, const char *code, const char *title, const char *risk)
{
    uint64_t key;
    int rc = 0;
    struct kbli *k;

    if (kbli_key(code, &key) != 0 || !title || !title[0])
        return -1;
    if (risk && risk[0] && (rc = risk_code(risk)) < 0)
        return -1;
    if (kbli_find(rd, key) || rd->n_kbli >= UINT32_MAX - 1)
        return -1;
    if (rd->n_kbli == rd->cap_kbli) {
        rd->cap_kbli = rd->cap_kbli ? rd->cap_kbli * 2 : 256;
        rd->kblis = xrealloc(rd->kblis, rd->cap_kbli * sizeof(*rd->kblis));
    }
    k = &rd->kblis[rd->n_kbli];
    memset(k, 0, sizeof(*k));
    k->key = key;
    k->title = arena_strdup(&rd->arena, title);
    k->risk = (unsigned char)rc;
    htab_insert(&rd->kbli_index, key, (uint32_t)rd->n_kbli++);
    return 0;
}

int refdata_add_kbli_risk(struct refdata *rd, const char *code, const char *scale, const char *risk)
{
    uint64_t key;
    struct kbli *k;
    int rc = risk_code(risk);

    if (kbli_key(code, &key) != 0 || rc < 0 || !scale || scale[0] != '0' || scale[1] < '1' ||
        scale[1] > '4' || scale[2] != '\0')
        return -1;
    k = kbli_find(rd, key);
    if (!k)
        return -1;
    k->scale_risk[scale[1] - '1'] = (unsigned char)rc;
    return 0;
}

int refdata_add_holiday(struct refdata *rd, const char *date, const char *name)
{
    int32_t day;
    size_t lo = 0, hi = rd->n_holidays;

    if (cal_parse_date(date, &day) != 0 || !name || !name[0])
        return -1;
    while (lo < hi) { /* the insertion point: files are small and mostly sorted already */
        size_t mid = lo + (hi - lo) / 2;

        if (rd->holiday_list[mid].day == day)
            return -1;
        if (rd->holiday_list[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (rd->n_holidays == rd->cap_holidays) {
        rd->cap_holidays = rd->cap_holidays ? rd->cap_holidays * 2 : 64;
        rd->holiday_list = xrealloc(rd->holiday_list, rd->cap_holidays * sizeof(*rd->holiday_list));
        rd->holiday_days = xrealloc(rd->holiday_days, rd->cap_holidays * sizeof(*rd->holiday_days));
    }
    memmove(&rd->holiday_list[lo + 1], &rd->holiday_list[lo],
            (rd->n_holidays - lo) * sizeof(*rd->holiday_list));
    memmove(&rd->holiday_days[lo + 1], &rd->holiday_days[lo],
            (rd->n_holidays - lo) * sizeof(*rd->holiday_days));
    rd->holiday_list[lo].day = day;
    rd->holiday_list[lo].name = arena_strdup(&rd->arena, name);
    rd->holiday_days[lo] = day;
    rd->n_holidays++;
    rd->holidays.days = rd->holiday_days;
    rd->holidays.n = rd->n_holidays;
    return 0;
}

int refdata_add_sla(struct refdata *rd, const char *kbli, const char *scale, long working_days)
{
    uint64_t key;

    if (sla_key(kbli, scale, &key) != 0 || working_days < 1 ||
        working_days > REFDATA_SLA_MAX_DAYS || htab_find(&rd->sla_index, key) >= 0)
        return -1;
    htab_insert(&rd->sla_index, key, (uint32_t)working_days);
    return 0;
}

static void set_version(char **slot, const char *v)
{
    if (v) {
        free(*slot);
        *slot = xstrdup(v);
    }
}

void refdata_set_calendar_versions(struct refdata *rd, const char *holiday_version,
                                   const char *sla_version)
{
    set_version(&rd->holiday_version, holiday_version);
    set_version(&rd->sla_version, sla_version);
}

void refdata_set_versions(struct refdata *rd, const char *kbli_version, const char *region_version)
{
    set_version(&rd->kbli_version, kbli_version);
    set_version(&rd->region_version, region_version);
}

const struct ossd_refdata *refdata_api(const struct refdata *rd)
{
    return &rd->api;
}

const char *refdata_region_name(const struct refdata *rd, const char *code)
{
    uint64_t key;
    const struct region *r;

    if (!region_key(code, &key))
        return NULL;
    r = region_find(rd, key);
    return r && (r->flags & REGION_PRESENT) ? r->name : NULL;
}

const char *refdata_kbli_version(const struct refdata *rd)
{
    return rd->kbli_version;
}

const char *refdata_region_version(const struct refdata *rd)
{
    return rd->region_version;
}

size_t refdata_kbli_count(const struct refdata *rd)
{
    return rd->n_kbli;
}

size_t refdata_region_count(const struct refdata *rd)
{
    return rd->n_regions;
}

const char *refdata_holiday_version(const struct refdata *rd)
{
    return rd->holiday_version;
}

const char *refdata_sla_version(const struct refdata *rd)
{
    return rd->sla_version;
}

size_t refdata_holiday_count(const struct refdata *rd)
{
    return rd->n_holidays;
}

size_t refdata_sla_count(const struct refdata *rd)
{
    return rd->sla_index.n;
}

const struct cal_holidays *refdata_holidays(const struct refdata *rd)
{
    return &rd->holidays;
}

const char *refdata_holiday_name(const struct refdata *rd, int32_t day)
{
    size_t lo = 0, hi = rd->n_holidays;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (rd->holiday_list[mid].day == day)
            return rd->holiday_list[mid].name;
        if (rd->holiday_list[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

unsigned refdata_sla_days(const struct refdata *rd, const char *kbli, const char *scale)
{
    uint64_t key;
    long days;

    if (sla_key(kbli, scale, &key) != 0)
        return REFDATA_SLA_DEFAULT_DAYS;
    if (key % 10 != 0 && (days = htab_find(&rd->sla_index, key)) >= 0)
        return (unsigned)days;
    if ((days = htab_find(&rd->sla_index, key - key % 10)) >= 0)
        return (unsigned)days;
    return REFDATA_SLA_DEFAULT_DAYS;
}

void refdata_free(struct refdata *rd)
{
    struct arena_chunk *c, *next;

    if (!rd)
        return;
    for (c = rd->arena; c; c = next) {
        next = c->next;
        free(c);
    }
    free(rd->regions);
    free(rd->region_index.slots);
    free(rd->kblis);
    free(rd->kbli_index.slots);
    free(rd->holiday_list);
    free(rd->holiday_days);
    free(rd->sla_index.slots);
    free(rd->kbli_version);
    free(rd->region_version);
    free(rd->holiday_version);
    free(rd->sla_version);
    free(rd);
}

/* ---- shapes ------------------------------------------------------------------------------------
 */

int refdata_region_level(const char *code)
{
    uint64_t key;

    return region_key(code, &key);
}

int refdata_kbli_code_valid(const char *code)
{
    uint64_t key;

    return kbli_key(code, &key) == 0;
}

int refdata_risk_valid(const char *risk)
{
    return rules_risk_valid(risk); /* the one definition of the levels */
}

/* ---- PostgreSQL -------------------------------------------------------------------------------
 */

/* Runs a one-parameter query; the result on PGRES_TUPLES_OK, else NULL with err filled. */
static PGresult *query1(PGconn *conn, const char *sql, const char *param, char *err, size_t errlen)
{
    PGresult *res =
        PQexecParams(conn, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "refdata: %s", PQresultErrorMessage(res));
        err[strcspn(err, "\n")] = '\0';
        PQclear(res);
        return NULL;
    }
    return res;
}

static int exec_simple(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        snprintf(err, errlen, "refdata: %s", PQresultErrorMessage(res));
        err[strcspn(err, "\n")] = '\0';
    }
    PQclear(res);
    return ok ? 0 : -1;
}

static int load_rows(struct refdata *rd, PGconn *conn, const char *kbli_v, const char *region_v,
                     char *err, size_t errlen)
{
    PGresult *res;
    int rc = -1;

    res = query1(conn, "SELECT code, title, risk FROM ref_kbli WHERE version = $1", kbli_v, err,
                 errlen);
    if (!res)
        goto err;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *risk = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
        if (refdata_add_kbli(rd, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), risk) != 0) {
            snprintf(err, errlen, "refdata: kbli %s: bad row for code '%s'", kbli_v,
                     PQgetvalue(res, i, 0));
            goto err;
        }
    }
    PQclear(res);

    res = query1(conn, "SELECT code, scale, risk FROM ref_kbli_risk WHERE version = $1", kbli_v,
                 err, errlen);
    if (!res)
        goto err;
    for (int i = 0; i < PQntuples(res); i++) {
        if (refdata_add_kbli_risk(rd, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                  PQgetvalue(res, i, 2)) != 0) {
            snprintf(err, errlen, "refdata: kbli %s: bad per-scale risk for code '%s'", kbli_v,
                     PQgetvalue(res, i, 0));
            goto err;
        }
    }
    PQclear(res);

    res = query1(conn, "SELECT code, name FROM ref_regions WHERE version = $1", region_v, err,
                 errlen);
    if (!res)
        goto err;
    for (int i = 0; i < PQntuples(res); i++) {
        if (refdata_add_region(rd, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0) {
            snprintf(err, errlen, "refdata: regions %s: bad row for code '%s'", region_v,
                     PQgetvalue(res, i, 0));
            goto err;
        }
    }
    rc = 0;
err:
    PQclear(res);
    return rc;
}

/* Loads the rows of the active holiday and SLA versions (either may be NULL: none active). */
static int load_calendar_rows(struct refdata *rd, PGconn *conn, const char *holiday_v,
                              const char *sla_v, char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = -1;

    if (holiday_v) {
        res = query1(conn,
                     "SELECT to_char(day, 'YYYY-MM-DD'), name FROM ref_holidays WHERE version = $1",
                     holiday_v, err, errlen);
        if (!res)
            goto err;
        for (int i = 0; i < PQntuples(res); i++) {
            if (refdata_add_holiday(rd, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0) {
                snprintf(err, errlen, "refdata: holidays %s: bad row for date '%s'", holiday_v,
                         PQgetvalue(res, i, 0));
                goto err;
            }
        }
        PQclear(res);
        res = NULL;
    }
    if (sla_v) {
        res = query1(conn, "SELECT kbli, scale, working_days FROM ref_sla WHERE version = $1",
                     sla_v, err, errlen);
        if (!res)
            goto err;
        for (int i = 0; i < PQntuples(res); i++) {
            if (refdata_add_sla(rd, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                atol(PQgetvalue(res, i, 2))) != 0) {
                snprintf(err, errlen, "refdata: sla %s: bad row for KBLI '%s' scale '%s'", sla_v,
                         PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
                goto err;
            }
        }
    }
    rc = 0;
err:
    PQclear(res);
    return rc;
}

/* Says which calendar tables a load took (at start and on every reload): nothing in the
 * "reloaded:" line of the caller names them yet. */
static void log_calendar(const struct refdata *rd)
{
    char hv[96], sv[96];
    const char *fields[] = {hv, sv, NULL};

    snprintf(hv, sizeof(hv), "HOLIDAYS_VERSION=%.64s", rd->holiday_version);
    snprintf(sv, sizeof(sv), "SLA_VERSION=%.64s", rd->sla_version);
    log_fields(LOG_LVL_INFO, fields,
               "reference data: holidays %s (%zu dates), SLA %s (%zu deadlines; otherwise %u "
               "working days)",
               rd->holiday_version[0] ? rd->holiday_version : "(none active)", rd->n_holidays,
               rd->sla_version[0] ? rd->sla_version : "(none active)", rd->sla_index.n,
               REFDATA_SLA_DEFAULT_DAYS);
}

struct refdata *refdata_load_pg(PGconn *conn, char *err, size_t errlen)
{
    return refdata_load_pg_versions(conn, NULL, err, errlen);
}

/* 0 when ref_versions holds (kind, version), -1 with err otherwise. */
static int version_exists(PGconn *conn, const char *kind, const char *version, char *err,
                          size_t errlen)
{
    const char *params[2] = {kind, version};
    PGresult *r = PQexecParams(conn, "SELECT 1 FROM ref_versions WHERE kind = $1 AND version = $2",
                               2, NULL, params, NULL, NULL, 0);
    int rc = -1;

    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        snprintf(err, errlen, "refdata: %s", PQresultErrorMessage(r));
    else if (PQntuples(r) == 0)
        snprintf(err, errlen, "refdata: no %s version '%s' in ref_versions", kind, version);
    else
        rc = 0;
    PQclear(r);
    return rc;
}

struct refdata *refdata_load_pg_versions(PGconn *conn, const char *const versions[4], char *err,
                                         size_t errlen)
{
    struct refdata *rd = NULL;
    PGresult *res = NULL;
    char *kbli_v = NULL, *region_v = NULL, *holiday_v = NULL, *sla_v = NULL;
    char **named[4] = {&kbli_v, &region_v, &holiday_v, &sla_v}; /* enum refdata_kind order */
    int own_tx = PQtransactionStatus(conn) == PQTRANS_IDLE;

    if (own_tx &&
        exec_simple(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) != 0)
        return NULL;
    for (int k = 0; versions && k < 4; k++) {
        if (!versions[k])
            continue;
        if (version_exists(conn, refdata_kind_name((enum refdata_kind)k), versions[k], err,
                           errlen) != 0)
            goto err;
        *named[k] = xstrdup(versions[k]);
    }
    res = query1(conn, "SELECT kind, version FROM ref_versions WHERE active", NULL, err, errlen);
    if (!res)
        goto err;
    for (int i = 0; i < PQntuples(res); i++) {
        enum refdata_kind k;
        if (refdata_kind_parse(PQgetvalue(res, i, 0), &k) == 0 && !*named[k])
            *named[k] = xstrdup(PQgetvalue(res, i, 1));
    }
    if (!kbli_v || !region_v) {
        snprintf(err, errlen,
                 "refdata: no active %s version in ref_versions (load one with "
                 "`ossctl refdata import`)",
                 !kbli_v ? "kbli" : "regions");
        goto err;
    }
    rd = refdata_new();
    refdata_set_versions(rd, kbli_v, region_v);
    refdata_set_calendar_versions(rd, holiday_v, sla_v);
    if (load_rows(rd, conn, kbli_v, region_v, err, errlen) != 0 ||
        load_calendar_rows(rd, conn, holiday_v, sla_v, err, errlen) != 0)
        goto err;
    if (own_tx && exec_simple(conn, "COMMIT", err, errlen) != 0)
        goto err;
    log_calendar(rd);
    PQclear(res);
    free(kbli_v);
    free(region_v);
    free(holiday_v);
    free(sla_v);
    return rd;
err:
    if (own_tx && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        char ignored[8];
        (void)exec_simple(conn, "ROLLBACK", ignored, sizeof(ignored));
    }
    PQclear(res);
    free(kbli_v);
    free(region_v);
    free(holiday_v);
    free(sla_v);
    refdata_free(rd);
    return NULL;
}

/* ---- CSV
 * ----------------------------------------------------------------------------------------- */

static const char *const kind_names[] = {"kbli", "regions", "holidays", "sla"};

int refdata_kind_parse(const char *s, enum refdata_kind *kind)
{
    for (size_t i = 0; s && i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *kind = (enum refdata_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *refdata_kind_name(enum refdata_kind kind)
{
    return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
}

static int set_col(int *col, size_t i, const char *name, char *err, size_t errlen)
{
    if (*col >= 0) {
        snprintf(err, errlen, "column '%s' appears twice in the header", name);
        return -1;
    }
    *col = (int)i;
    return 0;
}

int refdata_csv_columns(enum refdata_kind kind, const struct csv_row *header,
                        struct refdata_csv_cols *cols, char *err, size_t errlen)
{
    const char *title_name = kind == REFDATA_KBLI ? "title" : "name";
    const char *code_name = kind == REFDATA_HOLIDAYS ? "date"
                            : kind == REFDATA_SLA    ? "kbli"
                                                     : "code";

    cols->code = cols->title = cols->description = cols->risk = -1;
    cols->scale = cols->working_days = -1;
    cols->n_cols = header->n_fields;
    for (size_t i = 0; i < header->n_fields; i++) {
        const char *h = header->fields[i];
        int rc = 0;

        if (strcasecmp(h, code_name) == 0)
            rc = set_col(&cols->code, i, h, err, errlen);
        else if (kind != REFDATA_SLA && strcasecmp(h, title_name) == 0)
            rc = set_col(&cols->title, i, h, err, errlen);
        else if (kind == REFDATA_KBLI && strcasecmp(h, "description") == 0)
            rc = set_col(&cols->description, i, h, err, errlen);
        else if (kind == REFDATA_KBLI && strcasecmp(h, "risk") == 0)
            rc = set_col(&cols->risk, i, h, err, errlen);
        else if (kind == REFDATA_SLA && strcasecmp(h, "scale") == 0)
            rc = set_col(&cols->scale, i, h, err, errlen);
        else if (kind == REFDATA_SLA && strcasecmp(h, "working_days") == 0)
            rc = set_col(&cols->working_days, i, h, err, errlen);
        if (rc != 0)
            return -1;
    }
    if (kind == REFDATA_SLA && (cols->code < 0 || cols->working_days < 0)) {
        snprintf(err, errlen,
                 "the header must name the columns kbli and working_days "
                 "(and scale, empty for every scale)");
        return -1;
    }
    if (kind != REFDATA_SLA && (cols->code < 0 || cols->title < 0)) {
        snprintf(err, errlen, "the header must name the columns %s and %s", code_name, title_name);
        return -1;
    }
    return 0;
}

static const char *field(const struct csv_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->n_fields || !row->fields[col][0])
        return NULL;
    return row->fields[col];
}

/* The holidays and sla rows of refdata_csv_record. */
static int calendar_record(enum refdata_kind kind, const struct refdata_csv_cols *cols,
                           const struct csv_row *row, struct refdata_record *rec, char *err,
                           size_t errlen)
{
    const char *days = field(row, cols->working_days);
    int32_t day;

    if (kind == REFDATA_HOLIDAYS) {
        if (!rec->code) {
            snprintf(err, errlen, "empty date");
            return -1;
        }
        if (cal_parse_date(rec->code, &day) != 0) {
            snprintf(err, errlen, "date '%.40s' is not a calendar date YYYY-MM-DD", rec->code);
            return -1;
        }
        if (!rec->title) {
            snprintf(err, errlen, "empty name for date %s", rec->code);
            return -1;
        }
        return 0;
    }
    if (!rec->code) {
        snprintf(err, errlen, "empty kbli");
        return -1;
    }
    if (!refdata_kbli_code_valid(rec->code)) {
        snprintf(err, errlen, "KBLI code '%.40s' is not 5 digits", rec->code);
        return -1;
    }
    if (rec->scale && !(rec->scale[0] == '0' && rec->scale[1] >= '1' && rec->scale[1] <= '4' &&
                        rec->scale[2] == '\0')) {
        snprintf(err, errlen, "scale '%.20s' of KBLI %s is not 01, 02, 03, 04 or empty", rec->scale,
                 rec->code);
        return -1;
    }
    rec->working_days = 0;
    for (const char *p = days; p && *p; p++) {
        if (*p < '0' || *p > '9' || rec->working_days > REFDATA_SLA_MAX_DAYS) {
            rec->working_days = -1;
            break;
        }
        rec->working_days = rec->working_days * 10 + (*p - '0');
    }
    if (rec->working_days < 1 || rec->working_days > REFDATA_SLA_MAX_DAYS) {
        snprintf(err, errlen, "working_days '%.20s' of KBLI %s is not a whole number 1-%d",
                 days ? days : "", rec->code, REFDATA_SLA_MAX_DAYS);
        return -1;
    }
    return 0;
}

int refdata_csv_record(enum refdata_kind kind, const struct refdata_csv_cols *cols,
                       const struct csv_row *row, struct refdata_record *rec, char *err,
                       size_t errlen)
{
    if (row->n_fields != cols->n_cols) {
        snprintf(err, errlen, "%zu fields where the header has %zu", row->n_fields, cols->n_cols);
        return -1;
    }
    rec->code = field(row, cols->code);
    rec->title = field(row, cols->title);
    rec->description = field(row, cols->description);
    rec->risk = field(row, cols->risk);
    rec->scale = field(row, cols->scale);
    rec->working_days = 0;
    if (kind == REFDATA_HOLIDAYS || kind == REFDATA_SLA)
        return calendar_record(kind, cols, row, rec, err, errlen);
    if (!rec->code) {
        snprintf(err, errlen, "empty code");
        return -1;
    }
    if (kind == REFDATA_KBLI && !refdata_kbli_code_valid(rec->code)) {
        snprintf(err, errlen, "KBLI code '%.40s' is not 5 digits", rec->code);
        return -1;
    }
    if (kind == REFDATA_REGIONS && !refdata_region_level(rec->code)) {
        snprintf(err, errlen, "region code '%.40s' is not NN, NN.NN, NN.NN.NN or NN.NN.NN.NNNN",
                 rec->code);
        return -1;
    }
    if (!rec->title) {
        snprintf(err, errlen, "empty %s for code %s", kind == REFDATA_KBLI ? "title" : "name",
                 rec->code);
        return -1;
    }
    if (rec->risk && !refdata_risk_valid(rec->risk)) {
        snprintf(err, errlen, "risk '%.20s' of code %s is not R, MR, MT or T", rec->risk,
                 rec->code);
        return -1;
    }
    return 0;
}

int refdata_add_record(struct refdata *rd, enum refdata_kind kind, const struct refdata_record *rec)
{
    switch (kind) {
    case REFDATA_KBLI:
        return refdata_add_kbli(rd, rec->code, rec->title, rec->risk);
    case REFDATA_REGIONS:
        return refdata_add_region(rd, rec->code, rec->title);
    case REFDATA_HOLIDAYS:
        return refdata_add_holiday(rd, rec->code, rec->title);
    case REFDATA_SLA:
        return refdata_add_sla(rd, rec->code, rec->scale, rec->working_days);
    }
    return -1;
}

void refdata_duplicate_message(enum refdata_kind kind, const struct refdata_record *rec, char *out,
                               size_t outlen)
{
    if (kind == REFDATA_HOLIDAYS)
        snprintf(out, outlen, "duplicate date %s", rec->code);
    else if (kind == REFDATA_SLA)
        snprintf(out, outlen, "duplicate KBLI %s for %s%s", rec->code,
                 rec->scale ? "scale " : "every scale", rec->scale ? rec->scale : "");
    else
        snprintf(out, outlen, "duplicate code %s", rec->code);
}

long refdata_load_csv(struct refdata *rd, enum refdata_kind kind, FILE *f, const char *name,
                      char *err, size_t errlen)
{
    struct csv_reader *r = csv_open(f);
    struct refdata_csv_cols cols;
    struct csv_row row;
    char why[256];
    long n = -1, count = 0;
    int rc;

    if (!r) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    rc = csv_next(r, &row, why, sizeof(why));
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s: empty file", name);
        else
            snprintf(err, errlen, "%s:%ld: %s", name, row.line, why);
        goto out;
    }
    if (refdata_csv_columns(kind, &row, &cols, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s:%ld: %s", name, row.line, why);
        goto out;
    }
    while ((rc = csv_next(r, &row, why, sizeof(why))) == 1) {
        struct refdata_record rec;

        if (refdata_csv_record(kind, &cols, &row, &rec, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%ld: %s", name, row.line, why);
            goto out;
        }
        if (refdata_add_record(rd, kind, &rec) != 0) {
            refdata_duplicate_message(kind, &rec, why, sizeof(why));
            snprintf(err, errlen, "%s:%ld: %s", name, row.line, why);
            goto out;
        }
        count++;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s:%ld: %s", name, row.line, why);
        goto out;
    }
    n = count;
out:
    csv_free(r);
    return n;
}
