/* cpu_chain: ossd's per-message work without servers (gate, JSON Schema, handler chain, event
 * identity and encoding) over a file of messages, for a stable instructions-per-message figure. */

/*
 * usage: ossd-cpu-chain FILE [ROUNDS]
 *
 * FILE holds one message value per line (compact JSON, as tests/cpu/messages.py writes). Every
 * message goes through what the daemon does with it on the hot path: gate_check, pipeline_run
 * (the default chain, over the small reference data of tests/fuzz/common.c), then what the
 * writer does for a fresh submission: the permits' deadlines (decide_permits), event_identify
 * (the uuid5) and event_build into a reused buffer. The work is in cpu_chain_run, so `valgrind
 * --tool=callgrind
 * --toggle-collect=cpu_chain_run` counts it without the start-up (schema compilation,
 * reference data). Prints the outcome counts and a SHA-256 of every event and dead letter
 * written: the same input must give the same digest before and after an optimisation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "decide.h"
#include "event.h"
#include "gate.h"
#include "util.h"

struct tally {
    size_t n, dead, rejected, issued, event_bytes;
    struct buf all; /* every event and dead letter, for the digest */
};

void cpu_chain_run(const struct pipeline *p, const struct ossd_refdata *rd, char *const *msg,
                   const size_t *len, size_t n, struct tally *t);

static void chain(const struct pipeline *p, const struct ossd_refdata *rd, char *const *msg,
                  const size_t *len, size_t n, struct tally *t)
{
    static const struct event_ctx ec = {"urn:ossd", "urn:ossd:schemas"};
    struct buf ev = {0}, key = {0};
    struct item it;

    for (size_t i = 0; i < n; i++) {
        memset(&it, 0, sizeof(it));
        it.offset = (int64_t)i;
        gate_check(&it, msg[i], len[i]);
        if (it.kind == ITEM_DECIDE)
            pipeline_run(p, rd, &it);
        t->n++;
        if (it.kind != ITEM_DECIDE || it.retry) {
            t->dead++;
            buf_printf(&t->all, "dead %s %s\n", it.dead_code ? it.dead_code : "-", it.dead_message);
            item_clear(&it);
            continue;
        }
        /* What the store does for a fresh submission (no duplicate, a new actor). */
        it.out_kind = it.kind;
        it.out_rejected = it.rejected || !it.has_actor;
        it.out_reasons = it.reasons ? json_incref(it.reasons) : json_array();
        if (!it.rejected && !it.has_actor)
            json_array_append_new(it.out_reasons,
                                  json_pack("{s:s,s:s,s:s}", "code", "NPWP_REQUIRED", "path",
                                            "/applicant/npwp", "message", "no actor"));
        if (!it.out_rejected) {
            snprintf(it.nib, sizeof(it.nib), "8120000000017");
            it.nib_new = 1;
            decide_permits(&it, 1764316801123LL); /* the deadlines of its permits */
        }
        event_identify(&it);
        buf_reset(&ev);
        buf_reset(&key);
        event_build(&ec, &it, 1764316801123LL, &ev, &key);
        t->event_bytes += ev.len;
        if (it.out_rejected)
            t->rejected++;
        else
            t->issued++;
        buf_append(&t->all, ev.data, ev.len);
        buf_putc(&t->all, '\n');
        item_clear(&it);
    }
    buf_free(&ev);
    buf_free(&key);
}

/* The measured work. Not static, so that callgrind can toggle on it; noinline so that it stays
 * one frame. */
__attribute__((noinline)) void cpu_chain_run(const struct pipeline *p,
                                             const struct ossd_refdata *rd, char *const *msg,
                                             const size_t *len, size_t n, struct tally *t)
{
    chain(p, rd, msg, len, n, t);
}

int main(int argc, char **argv)
{
    struct tally t = {0};
    char line[1 << 16];
    char **msg = NULL;
    size_t *len = NULL, n = 0, cap = 0;
    unsigned char md[32];
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    FILE *f;

    if (argc < 2 || argc > 3 || rounds < 1) {
        fprintf(stderr, "usage: ossd-cpu-chain FILE [ROUNDS]\n");
        return 2;
    }
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    while (fgets(line, sizeof(line), f)) {
        size_t l = strcspn(line, "\n");
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            msg = xrealloc(msg, cap * sizeof(*msg));
            len = xrealloc(len, cap * sizeof(*len));
        }
        msg[n] = xstrndup(line, l);
        len[n++] = l;
    }
    fclose(f);

    const struct pipeline *p = fuzz_pipeline("identity, region, kbli, activity, scale, risk");
    const struct ossd_refdata *rd = refdata_api(fuzz_refdata());
    /* A warm-up outside the measurement: what the daemon does once (OpenSSL's algorithm
     * fetches, lazy initialisations) is not a per-message cost. */
    struct tally warm = {0};
    chain(p, rd, msg, len, n < 10 ? n : 10, &warm);
    buf_free(&warm.all);
    for (int r = 0; r < rounds; r++)
        cpu_chain_run(p, rd, msg, len, n, &t);

    sha256(t.all.data ? t.all.data : "", t.all.len, md);
    printf("messages=%zu issued=%zu rejected=%zu dead=%zu event_bytes=%zu digest=", t.n, t.issued,
           t.rejected, t.dead, t.event_bytes);
    for (size_t i = 0; i < 8; i++)
        printf("%02x", md[i]);
    printf("\n");
    for (size_t i = 0; i < n; i++)
        free(msg[i]);
    free(msg);
    free(len);
    buf_free(&t.all);
    return 0;
}
