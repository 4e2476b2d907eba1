/* idset: a set of positive 64-bit ids (outbox rows), for membership tests
 * on the hot path. Zero-initialise; idset_free releases. */
#ifndef BASE_IDSET_H
#define BASE_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
    int64_t *slot; /* 0 = empty */
    size_t cap, n; /* cap: a power of two, or 0 */
};

/* id must be > 0. */
void idset_add(struct idset *s, int64_t id);
void idset_del(struct idset *s, int64_t id);
int idset_has(const struct idset *s, int64_t id);
void idset_free(struct idset *s);

#endif
