/* idset: a set of positive 64-bit ids (outbox rows): linear probing with
 * backward-shift deletion, so a long run of adds and deletes leaves no
 * tombstones behind. */
#include "idset.h"

#include <stdlib.h>

#include "base.h"

static size_t idset_home(const struct idset *s, int64_t id)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 7) & (s->cap - 1);
}

int idset_has(const struct idset *s, int64_t id)
{
    if (!s->n)
        return 0;
    for (size_t i = idset_home(s, id);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == id)
            return 1;
        if (s->slot[i] == 0)
            return 0;
    }
}

void idset_add(struct idset *s, int64_t id)
{
    if (2 * (s->n + 1) > s->cap) {
        struct idset big = {xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(int64_t)),
                            s->cap ? s->cap * 2 : 1024, 0};
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                idset_add(&big, s->slot[i]);
        free(s->slot);
        *s = big;
    }
    size_t i = idset_home(s, id);
    while (s->slot[i] && s->slot[i] != id)
        i = (i + 1) & (s->cap - 1);
    if (!s->slot[i]) {
        s->slot[i] = id;
        s->n++;
    }
}

void idset_del(struct idset *s, int64_t id)
{
    size_t i, j, k;

    if (!s->n)
        return;
    for (i = idset_home(s, id); s->slot[i] != id; i = (i + 1) & (s->cap - 1))
        if (s->slot[i] == 0)
            return;
    /* shift back the entries of the run after i that may live at i */
    for (j = (i + 1) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
        k = idset_home(s, s->slot[j]);
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            s->slot[i] = s->slot[j];
            i = j;
        }
    }
    s->slot[i] = 0;
    s->n--;
}

void idset_free(struct idset *s)
{
    free(s->slot);
    s->slot = NULL;
    s->cap = s->n = 0;
}
