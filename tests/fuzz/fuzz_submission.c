/* fuzz_submission: arbitrary message values through the daemon's whole decision path: the gate,
 * the submission JSON Schema, submission_from_json, the built-in handler chain and the
 * CloudEvent, with the invariants of common.c (valid events, no identity number anywhere, a
 * complete issue). */
#include <stdint.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_decide(fuzz_pipeline("identity, region, kbli, activity, scale, risk"), (const char *)data,
                size, NULL);
    return 0;
}
