/* common: what the fuzz harnesses share: reference data, the pipeline, a decision and its checks.
 */
#ifndef OSSD_FUZZ_COMMON_H
#define OSSD_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "item.h"
#include "pipeline.h"
#include "refdata.h"

/* Aborts (a libFuzzer crash with a stack trace) when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                     \
    } while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* 1 when $OSSD_FUZZ_KNOWN (comma-separated) names this known, reported bug: a harness then
 * tolerates it so that a long run can go on finding others. Unset in fuzz-regress. */
int fuzz_known(const char *bug);

/* The repository root (FUZZ_SRCDIR at build time, or $OSSD_SRCDIR). */
const char *fuzz_srcdir(void);

/* A small reference data set shaped like the shipped seed: every province, the
 * regencies of Jawa Tengah used below, the 16 districts of Kota Semarang, one
 * district with villages, the contract's KBLI codes with their risk levels,
 * a code without a level and one per-scale level. Built once; never freed. */
const struct refdata *fuzz_refdata(void);

/* The contract's KBLI codes and the known district codes, for generators. */
extern const char *const fuzz_kbli_codes[];
extern const size_t fuzz_n_kbli_codes;
extern const char *const fuzz_districts[];
extern const size_t fuzz_n_districts;
extern const char *const fuzz_provinces[];
extern const size_t fuzz_n_provinces;

/* A pipeline over <srcdir>/schemas with the given handler chain (built-in
 * names, comma-separated). Built once per chain string; never freed. */
struct pipeline *fuzz_pipeline(const char *handlers);

/* What one decision produced, for comparisons between chains. */
struct fuzz_outcome {
    int kind; /* enum item_kind after the gate */
    int schema_ok;
    int rejected;
    char *reasons; /* compact JSON of the reasons, or NULL */
    char scale[3];
    char authority[6];
    char acts[OSSD_MAX_ACTIVITIES * 24];
};

/*
 * Runs a message value through the daemon's path (gate, JSON Schema, handler
 * chain, event extraction, store-side identity, CloudEvent) and checks the
 * invariants every decision must hold: events are valid JSON with the
 * contract's attributes, no full NIK or NPWP anywhere in an event or a reason
 * message, nik_masked keeps at most 4 characters, reason codes are the
 * contract's, issued decisions are complete. Fills out (may be NULL; free it
 * with fuzz_outcome_clear).
 */
void fuzz_decide(const struct pipeline *p, const char *value, size_t len, struct fuzz_outcome *out);
void fuzz_outcome_clear(struct fuzz_outcome *o);

/* 1 when needle (nlen bytes, nlen > 0) occurs in hay (hlen bytes). */
int fuzz_contains(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* Fails when s holds a run of at least n ASCII digits. */
void fuzz_check_no_digit_run(const char *s, size_t n, const char *what);

#endif
