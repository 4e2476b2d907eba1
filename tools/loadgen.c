/* ossd-loadgen: realistic oss.submission.v1 messages produced to Kafka at full speed or a fixed
 * rate. */

/*
 * The generator is the C counterpart of tests/pylib/sample.py, deterministic
 * for a given --seed, --prefix, --epoch and --rate:
 *
 *  - sectors weighted as in the Semarang study (services 920 : handicraft 955
 *    : processed food 1,260 registered UMKM) plus retail and food stalls and
 *    a few regulated (MT/T risk) codes, mapped to their KBLI 2020 codes;
 *    1-3 activities (70/22/8 %), all three channels (online 60, counter 15,
 *    outreach 25 %);
 *  - synthetic but consistent identities: the NIK encodes a Kota Semarang
 *    district (33.74.01-16), the birth date DDMMYY (+40 on the day for women)
 *    and a serial; names match the gender; 8 % are small companies (type 01)
 *    with an NPWP (some in the legacy 15-digit form); addresses use the real
 *    kelurahan codes of each district;
 *  - repeat business actors (--repeat-ratio, 15 %) who register activities
 *    they do not hold yet, so a valid submission is always issued;
 *  - invalid submissions (--invalid-ratio, 5 %) broken in one of many ways,
 *    each with the outcome ossd must reach (see enum kind): schema
 *    violations, NIK, NPWP, region, KBLI, age, duplicate activities,
 *    re-deliveries of an earlier message, the same submission_id with another
 *    payload, and truncated JSON.
 *
 * The Kafka key is the applicant: the NPWP for type 01, else the NIK. With
 * --manifest, one line per message says what ossd must do with it:
 *   SEQ <TAB> SUBMISSION_ID|- <TAB> issued|rejected|duplicate|dead:CODE <TAB> KIND
 * The benchmark uses it to check that every submission was decided once.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "util.h"

#define ACTOR_POOL  65536 /* repeat actors are drawn from the last ones seen */
#define RECENT_RING 1024  /* earlier messages that can be re-delivered */
#define MSG_MAX     2048
#define MAX_ACTS    4
#define MAX_XPROPS  32

static volatile sig_atomic_t stop_flag;

/* ---- deterministic random numbers (xoshiro256**) --------------------------------- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* A uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias
 * does not matter here). */
static uint32_t rnd_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static int64_t rnd_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double rnd_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Index drawn with the given integer weights. */
static int rnd_weighted(struct rng *r, const int *w, int n)
{
    int total = 0, x;
    for (int i = 0; i < n; i++)
        total += w[i];
    x = (int)rnd_below(r, (uint32_t)total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

#define PICK(r, arr) (arr[rnd_below((r), (uint32_t)(sizeof(arr) / sizeof(arr[0])))])

/* ---- domain tables ---------------------------------------------------------------- */

/* The KBLI codes of the shipped seed, by sector; `what` names the business. */
struct kbli {
    const char *code;
    const char *what; /* business name stem */
    const char *desc; /* activity description as an applicant writes it */
};

static const struct kbli KBLI[] = {
    /* services */
    {"14120", "Penjahit", "Jahit pakaian sesuai pesanan"},
    {"95291", "Vermak", "Vermak dan permak pakaian"},
    {"45407", "Bengkel Motor", "Servis dan reparasi sepeda motor"},
    {"96111", "Pangkas Rambut", "Pangkas rambut pria"},
    {"45202", "Cuci Mobil", "Cuci dan salon mobil"},
    /* handicraft */
    {"32903", "Kerajinan", "Kerajinan tangan dan suvenir"},
    {"16291", "Anyaman Bambu", "Anyaman bambu dan rotan"},
    {"13134", "Batik", "Batik tulis dan cap Semarangan"},
    {"14111", "Konveksi", "Konveksi kaos dan seragam"},
    /* processed food */
    {"10710", "Roti", "Roti dan kue kering"},
    {"10792", "Kue Basah", "Kue basah dan jajan pasar"},
    {"10794", "Keripik", "Keripik, kerupuk dan peyek"},
    {"10750", "Lauk Matang", "Lauk matang dan makanan beku"},
    {"56210", "Katering", "Katering hajatan"},
    /* retail and food stalls */
    {"47112", "Toko Kelontong", "Toko kelontong"},
    {"56102", "Warung Makan", "Warung makan"},
    {"56103", "Kedai", "Kedai makanan dan minuman"},
    {"56104", "Angkringan", "Angkringan keliling"},
    {"47761", "Florist", "Bunga potong dan rangkaian"},
    /* regulated: MT and T risk */
    {"56290", "Katering Kantor", "Katering kantor bulanan"},
    {"11040", "Minuman Segar", "Minuman ringan kemasan"},
    {"47722", "Toko Obat", "Toko obat"},
    {"47721", "Apotek", "Apotek"},
    {"11010", "Minuman", "Minuman hasil destilasi"},
    {"47221", "Toko Minuman", "Eceran minuman"},
};
#define N_KBLI ((int)(sizeof(KBLI) / sizeof(KBLI[0])))

struct sector {
    const char *name;
    int weight;
    int first, count; /* a range of KBLI[] */
};

/* The Semarang study's three sectors, plus retail and food stalls and a few
 * regulated codes (as tests/pylib/sample.py). */
static const struct sector SECTORS[] = {
    {"services", 920, 0, 5},           {"handicraft", 955, 5, 4}, {"processed_food", 1260, 9, 5},
    {"retail_and_stalls", 600, 14, 5}, {"regulated", 60, 19, 6},
};
#define N_SECTORS ((int)(sizeof(SECTORS) / sizeof(SECTORS[0])))

static const char *const FIRST_F[] = {"Siti", "Sri",     "Dewi",  "Rina",  "Endang",
                                      "Yuni", "Lestari", "Ani",   "Wulan", "Ratna",
                                      "Puji", "Sumarni", "Tutik", "Indah", "Nur"};
static const char *const FIRST_M[] = {"Budi", "Agus",    "Slamet", "Wahyu", "Eko",
                                      "Joko", "Bambang", "Hadi",   "Teguh", "Sugeng",
                                      "Rudi", "Didik",   "Heru",   "Arif",  "Tri"};
static const char *const LAST_F[] = {"Rahayu",    "Wulandari",  "Utami",   "Lestari",
                                     "Handayani", "Kusumawati", "Susanti", "Pratiwi"};
static const char *const LAST_M[] = {"Santoso", "Prasetyo", "Kusuma",  "Hidayat", "Saputra",
                                     "Purnomo", "Setiawan", "Nugroho", "Wibowo",  "Susilo"};
static const char *const STREETS[] = {
    "Jl. Pemuda",         "Jl. Pandanaran", "Jl. Gajahmada",
    "Jl. Majapahit",      "Jl. Setiabudi",  "Jl. Ngesrep Timur",
    "Jl. Kedungmundu",    "Jl. Fatmawati",  "Jl. Wolter Monginsidi",
    "Jl. Dr. Cipto",      "Jl. Kaligawe",   "Jl. Sriwijaya",
    "Jl. Tlogosari Raya", "Jl. Banjarsari", "Jl. Gunungpati Raya",
    "Jl. Mijen Raya",     "Jl. Siliwangi",  "Jl. Imam Bonjol",
    "Gg. Melati",         "Gg. Kenanga",
};
static const char *const COMPANY[] = {"Sumber Rejeki", "Maju Jaya",     "Berkah Abadi",
                                      "Sinar Mulya",   "Karya Mandiri", "Tunas Harapan",
                                      "Sido Makmur",   "Lancar Jaya"};
/* Mobile number prefixes of the Indonesian operators. */
static const char *const PHONE_PREFIX[] = {"0812", "0813", "0821", "0822", "0852", "0853",
                                           "0856", "0857", "0858", "0877", "0878", "0881",
                                           "0895", "0896", "0897", "0838"};
/* Number of kelurahan (villages, codes 1001..) in each Kota Semarang
 * district 33.74.01-16 (Kepmendagri 2025). */
static const int VILLAGES[17] = {0, 15, 9, 10, 7, 13, 12, 10, 7, 8, 12, 11, 16, 16, 14, 10, 7};

/* ---- dates ------------------------------------------------------------------------ */

/* A civil date from days since 1970-01-01 (days_from_civil, in util, goes the other way). */

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* ---- a string builder over a fixed buffer ----------------------------------------- */

struct sb {
    char *p;
    size_t n, cap;
};

static inline void sb_mem(struct sb *b, const char *s, size_t n)
{
    if (b->n + n >= b->cap) /* cannot happen: every field is bounded */
        n = b->cap - b->n - 1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static inline void sb_str(struct sb *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

#define SB_LIT(b, lit) sb_mem((b), (lit), sizeof(lit) - 1)

static void sb_u64(struct sb *b, uint64_t v)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, t + i, (size_t)(24 - i));
}

/* v with exactly w digits, zero-padded. */
static void sb_dig(struct sb *b, uint64_t v, int w)
{
    char t[24];
    for (int i = w - 1; i >= 0; i--) {
        t[i] = (char)('0' + v % 10);
        v /= 10;
    }
    sb_mem(b, t, (size_t)w);
}

/* "key":"value" (the generated strings never need escaping). */
static void sb_kv(struct sb *b, const char *key, const char *val)
{
    SB_LIT(b, "\"");
    sb_str(b, key);
    SB_LIT(b, "\":\"");
    sb_str(b, val);
    SB_LIT(b, "\"");
}

/* ---- actors and submissions ------------------------------------------------------- */

struct actor {
    char type[3];
    char nik[17];
    char npwp[17]; /* "" when none */
    char name[40];
    const char *first;
    int by, bm, bd;
    char gender;
    char phone[16];
    char email[48];
    char street[40];
    char region[16];     /* address: district or kelurahan code */
    char loc_street[40]; /* business location */
    char loc_region[16];
    char company[40]; /* type 01: the company's name */
    uint32_t claimed; /* KBLI bits in any submission so far */
    uint32_t held;    /* KBLI bits of submissions that must be issued */
};

struct sub {
    char id[80];
    char submitted_at[32];
    const char *channel;
    char type[3];
    char nik[20];
    char name[48];
    char birth[16];
    char gender[2];
    char npwp[20];
    char phone[16];
    char email[48];
    const char *street, *region;
    char bname[64];
    long long capital, sales; /* -1: absent */
    int workers;              /* -1: absent */
    const char *loc_street, *loc_region;
    int n_act;
    struct {
        char kbli[6];
        const char *desc;
    } act[MAX_ACTS];
};

/* What a message is and what ossd must do with it. */
enum kind {
    K_VALID,
    K_SCHEMA_NIK,     /* NIK of 15 digits: SCHEMA_INVALID */
    K_SCHEMA_MISSING, /* no business.workers: SCHEMA_INVALID */
    K_SCHEMA_FORMAT,  /* an email without domain, or a bad channel */
    K_NIK_INVALID,    /* serial 0000 or month 13 */
    K_NIK_MISMATCH,   /* birth_date differs from the NIK */
    K_UNDERAGE,       /* 15-16 years old, consistent NIK */
    K_NPWP_REQUIRED,  /* type 01 without NPWP */
    K_NPWP_INVALID,   /* 16 digits, not 0 + 15 */
    K_REGION,         /* unknown district */
    K_KBLI,           /* unknown KBLI code */
    K_ACT_DUP_SAME,   /* the same KBLI twice in one submission */
    K_ACT_DUP_HELD,   /* a KBLI the actor already holds at that district */
    K_CONFLICT,       /* an earlier submission_id with another payload */
    K_REDELIVERY,     /* an earlier message again, byte for byte */
    K_PARSE,          /* truncated JSON */
    K_COUNT
};

static const char *const KIND_NAME[K_COUNT] = {
    "valid",         "schema_nik",     "schema_missing", "schema_format",
    "nik_invalid",   "nik_mismatch",   "underage",       "npwp_required",
    "npwp_invalid",  "region_unknown", "kbli_unknown",   "activity_dup",
    "activity_held", "dup_conflict",   "redelivery",     "parse_error",
};
/* Relative weights of the invalid kinds (K_VALID excluded). */
static const int KIND_WEIGHT[K_COUNT] = {0, 7, 7, 6, 10, 10, 5, 7, 5, 8, 8, 5, 5, 5, 7, 5};

struct recent {
    char value[MSG_MAX];
    size_t len;
    char key[20];
    char id[80];
    size_t ts_digit; /* offset of the last digit of submitted_at's seconds */
};

/* NIK serials: per district, birth date and gender (the NIK's first 12
 * digits) the serials run 0001, 0002, ... so every NIK is unique, as they are.
 * An open-addressing map of those 12 digits to the last serial given. */
struct serials {
    uint64_t *keys; /* 12 digits + 1; 0 = free */
    uint16_t *last;
    size_t cap, n;
};

static void serials_grow(struct serials *m)
{
    struct serials old = *m;
    m->cap = old.cap ? old.cap * 2 : 1 << 16;
    m->keys = calloc(m->cap, sizeof(*m->keys));
    m->last = calloc(m->cap, sizeof(*m->last));
    if (!m->keys || !m->last) {
        fprintf(stderr, "loadgen: out of memory\n");
        exit(1);
    }
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        size_t j = (size_t)(old.keys[i] * 0x9e3779b97f4a7c15ULL >> 20) & (m->cap - 1);
        while (m->keys[j])
            j = (j + 1) & (m->cap - 1);
        m->keys[j] = old.keys[i];
        m->last[j] = old.last[i];
        m->n++;
    }
    free(old.keys);
    free(old.last);
}

/* The next serial for a NIK starting with the 12 digits of nik. */
static int serials_next(struct serials *m, const char *nik)
{
    uint64_t key = 1;
    size_t j;

    for (int i = 0; i < 12; i++)
        key = key * 10 + (uint64_t)(nik[i] - '0');
    if (2 * (m->n + 1) > m->cap)
        serials_grow(m);
    j = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j]) {
        m->keys[j] = key;
        m->n++;
    }
    if (m->last[j] < 9999)
        m->last[j]++;
    return m->last[j];
}

struct gen {
    struct rng r;
    double invalid_ratio, repeat_ratio;
    const char *prefix;
    int64_t epoch_ms;   /* virtual clock start */
    int64_t step_us;    /* virtual clock step per message */
    uint64_t serial;    /* new actors so far */
    struct serials nik; /* the last NIK serial per district and birth date */
    struct actor *pool; /* ring of ACTOR_POOL */
    size_t n_pool, pool_next;
    struct recent *ring; /* ring of RECENT_RING */
    size_t n_ring, ring_next;
    uint64_t count[K_COUNT];
};

/* dst = a + sep + b, truncated to cap (the hot path avoids snprintf). */
static void join(char *dst, size_t cap, const char *a, const char *sep, const char *b)
{
    struct sb t = {dst, 0, cap};
    sb_str(&t, a);
    sb_str(&t, sep);
    sb_str(&t, b);
    dst[t.n] = '\0';
}

/* "STREET No. N" */
static void fmt_street(char *dst, size_t cap, const char *street, unsigned no)
{
    struct sb t = {dst, 0, cap};
    sb_str(&t, street);
    SB_LIT(&t, " No. ");
    sb_u64(&t, no);
    dst[t.n] = '\0';
}

/* Writes v as exactly w digits, zero-padded (no terminator). */
static void put_dig(char *p, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* YYYY-MM-DD into out (11 bytes). */
static void fmt_date(char *out, int y, int m, int d)
{
    put_dig(out, (unsigned)y, 4);
    out[4] = '-';
    put_dig(out + 5, (unsigned)m, 2);
    out[7] = '-';
    put_dig(out + 8, (unsigned)d, 2);
    out[10] = '\0';
}

static void fmt_nik(char *out, int district, int y, int m, int d, int female, int serial)
{
    memcpy(out, "3374", 4);
    put_dig(out + 4, (unsigned)district, 2);
    put_dig(out + 6, (unsigned)(d + (female ? 40 : 0)), 2);
    put_dig(out + 8, (unsigned)m, 2);
    put_dig(out + 10, (unsigned)(y % 100), 2);
    put_dig(out + 12, (unsigned)serial, 4);
    out[16] = '\0';
}

/* A district code 33.74.DD, or one of its kelurahan 33.74.DD.1NNN. */
static void region_code(struct rng *r, char *out, int district, int village_pct)
{
    memcpy(out, "33.74.", 6);
    put_dig(out + 6, (unsigned)district, 2);
    out[8] = '\0';
    if ((int)rnd_below(r, 100) < village_pct) {
        out[8] = '.';
        put_dig(out + 9, 1001 + rnd_below(r, (uint32_t)VILLAGES[district]), 4);
        out[13] = '\0';
    }
}

/* A new business actor living in Kota Semarang, aged 18-70 at `today` (days). */
static struct actor *new_actor(struct gen *g, int64_t today)
{
    struct rng *r = &g->r;
    struct actor *a = &g->pool[g->pool_next];
    int female = rnd_below(r, 100) < 55;
    int home = 1 + (int)rnd_below(r, 16), nik_district = home;
    const char *last = female ? PICK(r, LAST_F) : PICK(r, LAST_M);

    g->pool_next = (g->pool_next + 1) % ACTOR_POOL;
    if (g->n_pool < ACTOR_POOL)
        g->n_pool++;
    memset(a, 0, sizeof(*a));
    civil_from_days(today - rnd_range(r, 18 * 366, 70 * 365), &a->by, &a->bm, &a->bd);
    if (rnd_below(r, 100) < 15) /* moved since the NIK was issued */
        nik_district = 1 + (int)rnd_below(r, 16);
    g->serial++;
    fmt_nik(a->nik, nik_district, a->by, a->bm, a->bd, female, 0);
    fmt_nik(a->nik, nik_district, a->by, a->bm, a->bd, female, serials_next(&g->nik, a->nik));
    a->gender = female ? 'F' : 'M';
    a->first = female ? PICK(r, FIRST_F) : PICK(r, FIRST_M);
    join(a->name, sizeof(a->name), a->first, " ", last);
    memcpy(a->phone, PICK(r, PHONE_PREFIX), 4);
    put_dig(a->phone + 4, rnd_below(r, 100000000), 8);
    a->phone[12] = '\0';
    if (rnd_below(r, 100) < 25)
        snprintf(a->email, sizeof(a->email), "%.12s.%" PRIu64 "@contoh.id", a->first,
                 g->serial % 100000);
    for (char *p = a->email; *p && *p != '@'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *street = PICK(r, STREETS);
    fmt_street(a->street, sizeof(a->street), street, 1 + rnd_below(r, 200));
    region_code(r, a->region, home, 50);
    if (rnd_below(r, 100) < 80) { /* a home business */
        memcpy(a->loc_street, a->street, sizeof(a->street));
        region_code(r, a->loc_region, home, 0);
    } else { /* a stall or a workshop elsewhere in the city */
        street = PICK(r, STREETS);
        fmt_street(a->loc_street, sizeof(a->loc_street), street, 1 + rnd_below(r, 200));
        region_code(r, a->loc_region, 1 + (int)rnd_below(r, 16), 30);
    }
    memcpy(a->type, "02", 3);
    if (rnd_below(r, 100) < 8) { /* a small company (CV/PT) with an NPWP */
        memcpy(a->type, "01", 3);
        uint64_t tax = (uint64_t)rnd_range(r, 10000000000000LL, 999999999999999LL);
        if (rnd_below(r, 100) < 20)
            snprintf(a->npwp, sizeof(a->npwp), "%015" PRIu64, tax); /* legacy form */
        else
            snprintf(a->npwp, sizeof(a->npwp), "0%015" PRIu64, tax);
        const char *form = rnd_below(r, 100) < 70 ? "CV" : "PT";
        join(a->company, sizeof(a->company), form, " ", PICK(r, COMPANY));
    } else if (rnd_below(r, 100) < 10) {
        memcpy(a->npwp, a->nik, sizeof(a->nik)); /* an individual's NPWP is the NIK */
    }
    return a;
}

/* Picks a sector weighted as the study, and up to k codes of it the actor has
 * not claimed yet; returns how many (0 when the actor holds every code of
 * every sector it tried). */
static int pick_activities(struct gen *g, struct actor *a, int k, int *codes)
{
    static int weights[N_SECTORS];
    struct rng *r = &g->r;

    if (!weights[0])
        for (int i = 0; i < N_SECTORS; i++)
            weights[i] = SECTORS[i].weight;
    for (int tries = 0; tries < 4; tries++) {
        const struct sector *s = &SECTORS[rnd_weighted(r, weights, N_SECTORS)];
        int fresh[8], nf = 0, n = 0;
        for (int i = s->first; i < s->first + s->count; i++)
            if (!(a->claimed & (1u << i)))
                fresh[nf++] = i;
        while (n < k && nf > 0) {
            int j = (int)rnd_below(r, (uint32_t)nf);
            codes[n++] = fresh[j];
            fresh[j] = fresh[--nf];
        }
        if (n > 0)
            return n;
    }
    return 0;
}

/* Fills s with a valid submission of message seq; returns its actor. */
static struct actor *make_valid(struct gen *g, uint64_t seq, struct sub *s, int *codes, int *nc)
{
    static const int ACT_W[] = {70, 22, 8};
    static const int CH_W[] = {60, 15, 25};
    static const char *const CHANNELS[] = {"online", "counter", "outreach"};
    struct rng *r = &g->r;
    int64_t now_ms = g->epoch_ms + (int64_t)(seq * (uint64_t)g->step_us / 1000);
    int64_t delay_s, local_s;
    struct actor *a = NULL;
    int y, mo, d, k = 1 + rnd_weighted(r, ACT_W, 3), ch = rnd_weighted(r, CH_W, 3);

    /* submitted_at: online now; at the counter moments ago; outreach officers
     * upload their registrations some hours later. */
    delay_s = ch == 0   ? rnd_range(r, 0, 2)
              : ch == 1 ? rnd_range(r, 5, 120)
                        : rnd_range(r, 60, 6 * 3600);
    local_s = now_ms / 1000 - delay_s + 7 * 3600;
    civil_from_days(local_s / 86400, &y, &mo, &d);
    fmt_date(s->submitted_at, y, mo, d);
    s->submitted_at[10] = 'T';
    put_dig(s->submitted_at + 11, (unsigned)(local_s % 86400 / 3600), 2);
    s->submitted_at[13] = ':';
    put_dig(s->submitted_at + 14, (unsigned)(local_s % 3600 / 60), 2);
    s->submitted_at[16] = ':';
    put_dig(s->submitted_at + 17, (unsigned)(local_s % 60), 2);
    memcpy(s->submitted_at + 19, "+07:00", 7);

    *nc = 0;
    if (g->n_pool > 0 && rnd_unit(r) < g->repeat_ratio) {
        a = &g->pool[rnd_below(r, (uint32_t)g->n_pool)];
        *nc = pick_activities(g, a, k, codes);
    }
    if (*nc == 0) {
        a = new_actor(g, local_s / 86400);
        *nc = pick_activities(g, a, k, codes);
    }
    for (int i = 0; i < *nc; i++)
        a->claimed |= 1u << codes[i];

    {
        struct sb t = {s->id, 0, sizeof(s->id)};
        sb_str(&t, g->prefix);
        SB_LIT(&t, "-");
        if (seq < 100000000)
            sb_dig(&t, seq, 8);
        else
            sb_u64(&t, seq);
        s->id[t.n] = '\0';
    }
    s->channel = CHANNELS[ch];
    memcpy(s->type, a->type, 3);
    memcpy(s->nik, a->nik, 17);
    memcpy(s->name, a->name, sizeof(a->name));
    fmt_date(s->birth, a->by, a->bm, a->bd);
    s->gender[0] = a->gender;
    s->gender[1] = 0;
    memcpy(s->npwp, a->npwp, sizeof(a->npwp));
    memcpy(s->phone, a->phone, sizeof(a->phone));
    memcpy(s->email, a->email, sizeof(a->email));
    s->street = a->street;
    s->region = a->region;
    if (a->company[0])
        join(s->bname, sizeof(s->bname), a->company, "", "");
    else
        join(s->bname, sizeof(s->bname), KBLI[codes[0]].what, " ", a->first);
    s->capital = rnd_below(r, 100) < 90 ? rnd_range(r, 5, 900) * 1000000LL
                                        : rnd_range(r, 1, 4) * 1000000000LL + 100000000LL;
    s->sales = -1;
    if (rnd_below(r, 100) < 20) { /* an existing business declares its sales instead */
        s->sales = rnd_range(r, 20, 1900) * 1000000LL;
        s->capital = -1;
    }
    s->workers = (int)rnd_below(r, 13);
    s->loc_street = a->loc_street;
    s->loc_region = a->loc_region;
    s->n_act = *nc;
    for (int i = 0; i < *nc; i++) {
        memcpy(s->act[i].kbli, KBLI[codes[i]].code, 6);
        /* the description is optional; a quarter of the applicants write one */
        s->act[i].desc = rnd_below(r, 100) < 25 ? KBLI[codes[i]].desc : NULL;
    }
    return a;
}

/* Serialises s; returns the length; *ts_digit gets the offset of the last
 * digit of submitted_at's seconds. */
static size_t encode(const struct sub *s, char *out, size_t cap, size_t *ts_digit)
{
    struct sb b = {out, 0, cap};

    SB_LIT(&b, "{\"schema\":\"oss.submission.v1\",");
    sb_kv(&b, "submission_id", s->id);
    SB_LIT(&b, ",");
    sb_kv(&b, "submitted_at", s->submitted_at);
    *ts_digit = b.n - 8; /* ...SS+07:00" */
    SB_LIT(&b, ",");
    sb_kv(&b, "channel", s->channel);
    SB_LIT(&b, ",\"applicant\":{");
    sb_kv(&b, "type", s->type);
    SB_LIT(&b, ",");
    sb_kv(&b, "nik", s->nik);
    SB_LIT(&b, ",");
    sb_kv(&b, "name", s->name);
    SB_LIT(&b, ",");
    sb_kv(&b, "birth_date", s->birth);
    SB_LIT(&b, ",");
    sb_kv(&b, "gender", s->gender);
    if (s->npwp[0]) {
        SB_LIT(&b, ",");
        sb_kv(&b, "npwp", s->npwp);
    }
    if (s->phone[0]) {
        SB_LIT(&b, ",");
        sb_kv(&b, "phone", s->phone);
    }
    if (s->email[0]) {
        SB_LIT(&b, ",");
        sb_kv(&b, "email", s->email);
    }
    SB_LIT(&b, ",\"address\":{");
    sb_kv(&b, "street", s->street);
    SB_LIT(&b, ",");
    sb_kv(&b, "region_code", s->region);
    SB_LIT(&b, "}},\"business\":{");
    sb_kv(&b, "name", s->bname);
    if (s->capital >= 0) {
        SB_LIT(&b, ",\"capital_idr\":");
        sb_u64(&b, (uint64_t)s->capital);
    }
    if (s->sales >= 0) {
        SB_LIT(&b, ",\"annual_sales_idr\":");
        sb_u64(&b, (uint64_t)s->sales);
    }
    if (s->workers >= 0) {
        SB_LIT(&b, ",\"workers\":");
        sb_u64(&b, (uint64_t)s->workers);
    }
    SB_LIT(&b, ",\"location\":{");
    sb_kv(&b, "street", s->loc_street);
    SB_LIT(&b, ",");
    sb_kv(&b, "region_code", s->loc_region);
    SB_LIT(&b, "},\"activities\":[");
    for (int i = 0; i < s->n_act; i++) {
        if (i)
            SB_LIT(&b, ",");
        SB_LIT(&b, "{");
        sb_kv(&b, "kbli", s->act[i].kbli);
        if (s->act[i].desc) {
            SB_LIT(&b, ",");
            sb_kv(&b, "description", s->act[i].desc);
        }
        SB_LIT(&b, "}");
    }
    SB_LIT(&b, "]}}");
    out[b.n] = '\0';
    return b.n;
}

/* Breaks s (built by make_valid for actor a) in the way `kind` says; returns
 * kind, or K_VALID for a kind this function does not handle. */
static enum kind corrupt(struct gen *g, enum kind kind, struct sub *s, struct actor *a)
{
    struct rng *r = &g->r;
    int sy, sm, sd;

    switch (kind) {
    case K_SCHEMA_NIK:
        s->nik[15] = '\0';
        break;
    case K_SCHEMA_MISSING:
        s->workers = -1;
        break;
    case K_SCHEMA_FORMAT:
        if (rnd_below(r, 2))
            snprintf(s->email, sizeof(s->email), "%.12s.rahayu@", a->first);
        else
            s->channel = "walk-in";
        break;
    case K_NIK_INVALID:
        if (rnd_below(r, 2))
            memcpy(s->nik + 12, "0000", 4); /* serial 0000 */
        else
            memcpy(s->nik + 8, "13", 2); /* month 13 */
        break;
    case K_NIK_MISMATCH:
        fmt_date(s->birth, a->by - 1 - (int)rnd_below(r, 3), a->bm, a->bd > 28 ? 28 : a->bd);
        break;
    case K_UNDERAGE: { /* a consistent identity, 15 or 16 years old */
        int y, m, d;
        sscanf(s->submitted_at, "%d-%d-%d", &sy, &sm, &sd);
        civil_from_days(days_from_civil(sy, sm, sd) - rnd_range(r, 15 * 365 + 10, 16 * 365 + 300),
                        &y, &m, &d);
        int district = 1 + (int)rnd_below(r, 16), female = s->gender[0] == 'F';
        fmt_nik(s->nik, district, y, m, d, female, 0);
        fmt_nik(s->nik, district, y, m, d, female, serials_next(&g->nik, s->nik));
        fmt_date(s->birth, y, m, d);
        if (s->npwp[0] && s->type[1] == '2')
            memcpy(s->npwp, s->nik, 17);
        break;
    }
    case K_NPWP_REQUIRED:
        memcpy(s->type, "01", 3);
        s->npwp[0] = '\0';
        break;
    case K_NPWP_INVALID:
        memcpy(s->type, "01", 3);
        snprintf(s->npwp, sizeof(s->npwp), "%" PRIu64,
                 (uint64_t)rnd_range(r, 1000000000000000LL, 9999999999999999LL));
        break;
    case K_REGION:
        s->loc_region = rnd_below(r, 2) ? "33.74.99" : "33.99.01";
        break;
    case K_KBLI: {
        int i = (int)rnd_below(r, (uint32_t)s->n_act);
        memcpy(s->act[i].kbli, rnd_below(r, 2) ? "99999" : "00000", 6);
    } break;
    case K_ACT_DUP_SAME:
        if (s->n_act < MAX_ACTS) {
            s->act[s->n_act] = s->act[0];
            s->n_act++;
        }
        break;
    default:
        return K_VALID;
    }
    return kind;
}

/* For K_ACT_DUP_HELD: an actor of the pool holding an activity that was
 * issued (registered under its NIB at its business location), or NULL. */
static struct actor *actor_holding(struct gen *g)
{
    for (int tries = 0; tries < 16 && g->n_pool; tries++) {
        struct actor *a = &g->pool[rnd_below(&g->r, (uint32_t)g->n_pool)];
        if (a->held)
            return a;
    }
    return NULL;
}

/* ---- one message ------------------------------------------------------------------ */

struct msg {
    char value[MSG_MAX];
    size_t len;
    char key[20];
    char id[80];        /* "" when the message has no readable id */
    const char *expect; /* what ossd must do */
    enum kind kind;
};

static void remember(struct gen *g, const struct msg *m, size_t ts_digit)
{
    struct recent *e = &g->ring[g->ring_next];
    memcpy(e->value, m->value, m->len);
    e->len = m->len;
    memcpy(e->key, m->key, sizeof(e->key));
    memcpy(e->id, m->id, sizeof(e->id));
    e->ts_digit = ts_digit;
    g->ring_next = (g->ring_next + 1) % RECENT_RING;
    if (g->n_ring < RECENT_RING)
        g->n_ring++;
}

static void set_key(struct msg *m, const struct sub *s)
{
    join(m->key, sizeof(m->key), s->npwp[0] ? s->npwp : s->nik, "", "");
}

/* Generates message seq (1-based) into m. */
static void gen_next(struct gen *g, uint64_t seq, struct msg *m)
{
    static int weights[K_COUNT];
    struct rng *r = &g->r;
    struct sub s;
    struct actor *a;
    int codes[MAX_ACTS], nc;
    size_t ts_digit;
    enum kind kind = K_VALID;

    if (!weights[1])
        memcpy(weights, KIND_WEIGHT, sizeof(weights));
    if (rnd_unit(r) < g->invalid_ratio)
        kind = (enum kind)rnd_weighted(r, weights, K_COUNT);

    if ((kind == K_REDELIVERY || kind == K_CONFLICT) && g->n_ring > 0) {
        const struct recent *e = &g->ring[rnd_below(r, (uint32_t)g->n_ring)];
        memcpy(m->value, e->value, e->len);
        m->len = e->len;
        m->value[m->len] = '\0';
        memcpy(m->key, e->key, sizeof(m->key));
        memcpy(m->id, e->id, sizeof(m->id));
        m->kind = kind;
        if (kind == K_REDELIVERY) {
            m->expect = "duplicate";
        } else { /* re-submitted a few seconds later under the same id */
            char *c = &m->value[e->ts_digit];
            *c = (char)(*c == '9' ? '0' : *c + 1);
            m->expect = "dead:DUPLICATE_CONFLICT";
        }
        g->count[kind]++;
        return;
    }
    if (kind == K_REDELIVERY || kind == K_CONFLICT)
        kind = K_VALID;

    a = make_valid(g, seq, &s, codes, &nc);
    if (kind == K_ACT_DUP_HELD) {
        struct actor *h = actor_holding(g);
        if (h) { /* h registers again one activity it holds at the same place */
            int held[32], nh = 0;
            for (int i = 0; i < N_KBLI; i++)
                if (h->held & (1u << i))
                    held[nh++] = i;
            int c = held[rnd_below(r, (uint32_t)nh)];
            a = h;
            memcpy(s.type, h->type, 3);
            memcpy(s.nik, h->nik, 17);
            memcpy(s.name, h->name, sizeof(h->name));
            fmt_date(s.birth, h->by, h->bm, h->bd);
            s.gender[0] = h->gender;
            memcpy(s.npwp, h->npwp, sizeof(h->npwp));
            memcpy(s.phone, h->phone, sizeof(h->phone));
            memcpy(s.email, h->email, sizeof(h->email));
            s.street = h->street;
            s.region = h->region;
            s.loc_street = h->loc_street;
            s.loc_region = h->loc_region;
            if (h->company[0])
                join(s.bname, sizeof(s.bname), h->company, "", "");
            else
                join(s.bname, sizeof(s.bname), KBLI[c].what, " ", h->first);
            s.n_act = 1;
            memcpy(s.act[0].kbli, KBLI[c].code, 6);
            s.act[0].desc = KBLI[c].desc;
            nc = 0; /* nothing new held */
        } else {
            kind = K_ACT_DUP_SAME;
        }
    }
    if (kind != K_ACT_DUP_HELD && kind != K_VALID && kind != K_PARSE)
        kind = corrupt(g, kind, &s, a);
    if (kind == K_VALID)
        for (int i = 0; i < nc; i++)
            a->held |= 1u << codes[i];

    m->len = encode(&s, m->value, sizeof(m->value), &ts_digit);
    set_key(m, &s);
    m->kind = kind;
    g->count[kind]++;
    if (kind == K_PARSE) { /* cut off in transit, or by a buggy client */
        m->len = m->len * (40 + rnd_below(r, 50)) / 100;
        m->value[m->len] = '\0';
        m->id[0] = '\0';
        m->expect = "dead:PARSE_ERROR";
        return;
    }
    memcpy(m->id, s.id, sizeof(m->id));
    m->expect = kind == K_VALID ? "issued" : "rejected";
    remember(g, m, ts_digit);
}

/* ---- Kafka ------------------------------------------------------------------------ */

struct counters {
    uint64_t delivered, failed;
    char first_err[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct counters *c = opaque;
    (void)rk;
    if (m->err) {
        if (c->failed++ == 0)
            snprintf(c->first_err, sizeof(c->first_err), "%s", rd_kafka_err2str(m->err));
        if (c->failed <= 5)
            fprintf(stderr, "loadgen: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        c->delivered++;
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        fprintf(stderr, "loadgen: fatal producer error: %s\n", buf);
        stop_flag = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) /* the rest is logged by librdkafka */
        fprintf(stderr, "loadgen: kafka: %s\n", reason);
}

/* ---- options ---------------------------------------------------------------------- */

struct options {
    const char *brokers, *topic, *prefix, *compression, *manifest;
    uint64_t n, seed;
    double rate, invalid_ratio, repeat_ratio;
    int64_t epoch;
    int stats, credits;
    const char *xprops[MAX_XPROPS];
    int n_xprops;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ossd-loadgen --brokers HOST:PORT[,...] [options]\n"
        "Produces realistic oss.submission.v1 messages, keyed by applicant.\n"
        "  --brokers LIST        bootstrap servers (default: $OSSD_BROKERS)\n"
        "  --topic NAME          default oss.submissions.v1\n"
        "  -n N                  number of messages (default 10000)\n"
        "  --rate R              messages per second, evenly paced; 0 = full speed (default)\n"
        "  --seed S              random seed (default 1)\n"
        "  --prefix P            submission_id prefix, unique per run (default lg-<time><pid>)\n"
        "  --epoch SECONDS       virtual clock start for submitted_at (default: now)\n"
        "  --compression C       none|gzip|snappy|lz4|zstd (default none)\n"
        "  --invalid-ratio X     share of invalid messages, 0-1 (default 0.05)\n"
        "  --repeat-ratio X      share of submissions by a known actor, 0-1 (default 0.15)\n"
        "  --manifest FILE       write what ossd must do with each message\n"
        "  --credits-stdin       produce only up to the latest total read from stdin\n"
        "                        (one integer per line; EOF lifts the limit)\n"
        "  -X PROP=VALUE         any librdkafka producer property (repeatable)\n"
        "  --stats               progress every second on stderr, a summary on stdout\n"
        "Exit status: 0 when every message was delivered, 1 otherwise, 2 on usage errors.\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 40)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == ':' || *p == '-'))
            return 0;
    return 1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static char prefix[48];
    double v;

    memset(o, 0, sizeof(*o));
    o->brokers = getenv("OSSD_BROKERS");
    o->topic = "oss.submissions.v1";
    o->n = 10000;
    o->seed = 1;
    o->compression = "none";
    o->invalid_ratio = 0.05;
    o->repeat_ratio = 0.15;
    o->epoch = (int64_t)time(NULL);
    snprintf(prefix, sizeof(prefix), "lg-%lx%lx", (unsigned long)time(NULL),
             (unsigned long)getpid());
    o->prefix = prefix;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--stats")) {
            o->stats = 1;
            continue;
        } else if (!strcmp(a, "--credits-stdin")) {
            o->credits = 1;
            continue;
        }
        if (!val) {
            fprintf(stderr, "loadgen: %s needs a value (--help)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--brokers"))
            o->brokers = val;
        else if (!strcmp(a, "--topic"))
            o->topic = val;
        else if (!strcmp(a, "--prefix"))
            o->prefix = val;
        else if (!strcmp(a, "--compression"))
            o->compression = val;
        else if (!strcmp(a, "--manifest"))
            o->manifest = val;
        else if (!strcmp(a, "-X") && o->n_xprops < MAX_XPROPS)
            o->xprops[o->n_xprops++] = val;
        else if (!strcmp(a, "-n") && parse_num(val, 1, 1e12, &v) == 0)
            o->n = (uint64_t)v;
        else if (!strcmp(a, "--rate") && parse_num(val, 0, 1e9, &v) == 0)
            o->rate = v;
        else if (!strcmp(a, "--seed") && parse_num(val, 0, 1.8e19, &v) == 0)
            o->seed = strtoull(val, NULL, 10);
        else if (!strcmp(a, "--epoch") && parse_num(val, 0, 1e11, &v) == 0)
            o->epoch = (int64_t)v;
        else if (!strcmp(a, "--invalid-ratio") && parse_num(val, 0, 1, &v) == 0)
            o->invalid_ratio = v;
        else if (!strcmp(a, "--repeat-ratio") && parse_num(val, 0, 1, &v) == 0)
            o->repeat_ratio = v;
        else {
            fprintf(stderr, "loadgen: bad argument %s %s (--help)\n", a, val);
            return -1;
        }
    }
    if (!o->brokers || !*o->brokers) {
        fprintf(stderr, "loadgen: --brokers (or $OSSD_BROKERS) is required\n");
        return -1;
    }
    if (!prefix_ok(o->prefix)) {
        fprintf(stderr, "loadgen: --prefix: 1-40 characters of A-Za-z0-9._:-\n");
        return -1;
    }
    return 0;
}

static rd_kafka_t *make_producer(const struct options *o, struct counters *c)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    const char *props[][2] = {
        {"bootstrap.servers", o->brokers},
        {"client.id", "ossd-loadgen"},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"compression.codec", o->compression},
        {"message.timeout.ms", "60000"},
        {"queue.buffering.max.messages", "200000"},
        {"queue.buffering.max.kbytes", "262144"},
        {"batch.num.messages", "10000"},
    };
    rd_kafka_t *rk;

    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
            goto fail;
    for (int i = 0; i < o->n_xprops; i++) {
        char k[256];
        const char *eq = strchr(o->xprops[i], '=');
        if (!eq || (size_t)(eq - o->xprops[i]) >= sizeof(k)) {
            snprintf(err, sizeof(err), "-X %s: expected PROP=VALUE", o->xprops[i]);
            goto fail;
        }
        snprintf(k, sizeof(k), "%.*s", (int)(eq - o->xprops[i]), o->xprops[i]);
        if (rd_kafka_conf_set(conf, k, eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, c);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        goto fail;
    return rk; /* conf is owned by rk */
fail:
    fprintf(stderr, "loadgen: producer: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* ---- main loop -------------------------------------------------------------------- */

static void sleep_until(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_flag)
        ;
}

/* Reads credit lines from stdin (non-blocking unless wait_ms > 0). Returns the
 * new limit; UINT64_MAX after EOF. */
static uint64_t read_credits(uint64_t limit, int wait_ms)
{
    static char buf[256];
    static size_t n;
    struct pollfd p = {0, POLLIN, 0};

    while (limit != UINT64_MAX && poll(&p, 1, wait_ms) > 0) {
        ssize_t k = read(0, buf + n, sizeof(buf) - 1 - n);
        if (k <= 0)
            return UINT64_MAX;
        n += (size_t)k;
        buf[n] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            unsigned long long v = strtoull(buf, NULL, 10);
            if (v > limit)
                limit = v;
            n -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, n + 1);
        }
        if (n == sizeof(buf) - 1)
            n = 0; /* garbage */
        wait_ms = 0;
    }
    return limit;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int main(int argc, char **argv)
{
    struct options o;
    struct counters cnt = {0};
    struct gen g;
    struct msg *m = malloc(sizeof(*m));
    rd_kafka_t *rk = NULL;
    FILE *manifest = NULL;
    uint64_t produced = 0, bytes = 0, limit = UINT64_MAX, last_produced = 0;
    double t0, next_stats, last_t, interval;
    int rc = 1;

    if (!m || parse_args(argc, argv, &o) != 0) {
        free(m);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    memset(&g, 0, sizeof(g));
    rng_seed(&g.r, o.seed);
    g.invalid_ratio = o.invalid_ratio;
    g.repeat_ratio = o.repeat_ratio;
    g.prefix = o.prefix;
    g.epoch_ms = o.epoch * 1000;
    g.step_us = o.rate > 0 ? (int64_t)(1e6 / o.rate) : 10000;
    if (g.step_us < 1)
        g.step_us = 1;
    g.pool = calloc(ACTOR_POOL, sizeof(*g.pool));
    g.ring = calloc(RECENT_RING, sizeof(*g.ring));
    if (!g.pool || !g.ring) {
        fprintf(stderr, "loadgen: out of memory\n");
        goto out;
    }
    if (o.manifest) {
        manifest = fopen(o.manifest, "w");
        if (!manifest) {
            fprintf(stderr, "loadgen: %s: %s\n", o.manifest, strerror(errno));
            goto out;
        }
        setvbuf(manifest, NULL, _IOFBF, 1 << 20);
    }
    rk = make_producer(&o, &cnt);
    if (!rk)
        goto out;
    if (o.credits)
        limit = read_credits(0, -1);

    interval = o.rate > 0 ? 1.0 / o.rate : 0;
    t0 = last_t = mono_s();
    next_stats = t0 + 1.0;
    for (uint64_t seq = 1; seq <= o.n && !stop_flag; seq++) {
        rd_kafka_resp_err_t err;

        gen_next(&g, seq, m);
        if (manifest)
            fprintf(manifest, "%" PRIu64 "\t%s\t%s\t%s\n", seq, m->id[0] ? m->id : "-", m->expect,
                    KIND_NAME[m->kind]);
        while (o.credits && produced >= limit && !stop_flag) {
            rd_kafka_poll(rk, 0);
            limit = read_credits(limit, 20);
        }
        if (interval > 0) {
            double due = t0 + (double)(seq - 1) * interval, now = mono_s();
            if (due > now)
                sleep_until(due);
            else if (now - due > 0.1) /* fell behind: no burst to catch up */
                t0 += now - due;
        }
        for (;;) {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(m->key, strlen(m->key)),
                                    RD_KAFKA_V_VALUE(m->value, m->len), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop_flag)
                break;
            rd_kafka_poll(rk, 5);
        }
        if (err) {
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(err));
            break;
        }
        produced++;
        bytes += m->len;
        if (interval > 0 || (produced & 1023) == 0)
            rd_kafka_poll(rk, 0);
        if (o.stats && (produced & 255) == 0) {
            double now = mono_s();
            if (now >= next_stats) {
                fprintf(stderr,
                        "loadgen: %" PRIu64 " produced, %.0f msgs/s, %" PRIu64
                        " delivered, %d queued\n",
                        produced, (double)(produced - last_produced) / (now - last_t),
                        cnt.delivered, rd_kafka_outq_len(rk));
                last_produced = produced;
                last_t = now;
                next_stats = now + 1.0;
            }
        }
    }
    if (manifest && fclose(manifest) != 0) {
        fprintf(stderr, "loadgen: %s: %s\n", o.manifest, strerror(errno));
        cnt.failed++;
    }
    manifest = NULL;
    double t_prod = mono_s() - t0;
    rd_kafka_flush(rk, 60000);
    double t_all = mono_s() - t0;
    uint64_t lost = produced - cnt.delivered - cnt.failed;
    if (o.stats) {
        printf("loadgen: produced %" PRIu64 " messages (%.1f MB, avg %.0f B) in %.3f s: %.0f "
               "msgs/s; all acknowledged after %.3f s: %.0f msgs/s\n",
               produced, (double)bytes / 1e6, produced ? (double)bytes / (double)produced : 0.0,
               t_prod, (double)produced / t_prod, t_all, (double)produced / t_all);
        printf("loadgen: mix:");
        for (int k = 0; k < K_COUNT; k++)
            if (g.count[k])
                printf(" %s=%" PRIu64, KIND_NAME[k], g.count[k]);
        printf("\n");
    }
    printf("loadgen: produced=%" PRIu64 " delivered=%" PRIu64 " failed=%" PRIu64
           " undelivered=%" PRIu64 " elapsed_s=%.3f rate=%.0f\n",
           produced, cnt.delivered, cnt.failed, lost, t_all, (double)produced / t_all);
    fflush(stdout);
    if (cnt.failed || lost || produced < o.n) {
        fprintf(stderr, "loadgen: %" PRIu64 " of %" PRIu64 " messages not delivered%s%s\n",
                o.n - cnt.delivered, o.n, cnt.first_err[0] ? ": " : "", cnt.first_err);
        goto out;
    }
    rc = 0;
out:
    if (manifest)
        fclose(manifest);
    if (rk)
        rd_kafka_destroy(rk);
    free(g.pool);
    free(g.ring);
    free(g.nik.keys);
    free(g.nik.last);
    free(m);
    return rc;
}
