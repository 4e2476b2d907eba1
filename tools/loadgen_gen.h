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
    char key[20];
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

#endif
