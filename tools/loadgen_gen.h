/* loadgen_gen: ossd-loadgen's generator of realistic oss.submission.v1 messages (what each one
 * is and what ossd must do with it); tools/loadgen.c is the driver that produces them. */
#ifndef OSSD_LOADGEN_GEN_H
#define OSSD_LOADGEN_GEN_H

#include <stddef.h>
#include <stdint.h>

#define LOADGEN_MSG_MAX 2048
#define LOADGEN_KINDS   16 /* valid, then the ways a message is broken (loadgen_kind_name) */

struct loadgen_params {
    uint64_t seed;
    double invalid_ratio, repeat_ratio;
    const char *prefix; /* borrowed; outlives the generator */
    int64_t epoch_ms;   /* virtual clock start */
    int64_t step_us;    /* virtual clock step per message */
};

/* One generated message. */
struct loadgen_msg {
    char value[LOADGEN_MSG_MAX];
    size_t len;
    char key[32];       /* the applicant, or a permit_id */
    char id[80];        /* "" when the message has no readable id */
    const char *expect; /* what ossd must do: issued, rejected, duplicate or dead:CODE */
    int kind;           /* 0 .. LOADGEN_KINDS-1 */
};

struct loadgen_gen;

/* A generator, or NULL when out of memory. The caller frees it with loadgen_gen_free. */
struct loadgen_gen *loadgen_gen_new(const struct loadgen_params *p);
void loadgen_gen_free(struct loadgen_gen *g);

/* Generates message seq (1-based, consecutive) into m. */
void loadgen_gen_next(struct loadgen_gen *g, uint64_t seq, struct loadgen_msg *m);

/* The name of a kind ("valid", "nik_invalid", ...), and how many of it g generated. */
const char *loadgen_kind_name(int kind);
uint64_t loadgen_kind_count(const struct loadgen_gen *g, int kind);

/* ---- oss.license-status.v1 updates (--status-permits) ------------------------------------ */

#define LOADGEN_STATUS_MAX 4 /* updates of one permit at most */
#define LOADGEN_STATUS_BAD 3 /* the invalid ones of a run: unknown permit, code 91, schema */

/* The agency's updates of one listed permit (permit_id "<nib>-<kbli>-<district>", borrowed),
 * the i-th (0-based) chosen of the list, in a realistic mix by i: received (10) then one of
 * 30+50 issued, 52 provisional, 90 rejected (every other one followed by a 50:
 * TRANSITION_INVALID), 41+42 stopped and resumed, 20 progress only, or nothing more. status_at
 * at_ms + k (UTC). Writes up to LOADGEN_STATUS_MAX messages into m (key = permit_id, id =
 * status_id "<prefix>-st-<i>-<k>", expect "applied" or "dead:CODE", kind -1) and returns how
 * many. */
int loadgen_status_plan(const char *prefix, const char *permit_id, uint64_t i, int64_t at_ms,
                        struct loadgen_msg m[LOADGEN_STATUS_MAX]);

/* The k-th (0 .. LOADGEN_STATUS_BAD-1) invalid update, about permit_id (borrowed): for an
 * unknown permit of its NIB (PERMIT_UNKNOWN), with the withdrawn code 91 (CODE_UNKNOWN), and
 * without status_at (SCHEMA_INVALID). */
void loadgen_status_bad(const char *prefix, const char *permit_id, int k, int64_t at_ms,
                        struct loadgen_msg *m);

#endif
