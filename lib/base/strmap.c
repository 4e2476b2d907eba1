/* strmap: a small open-addressing hash map from strings to pointers, for per-batch lookups. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

uint64_t strmap_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct strmap_entry *find(const struct strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct strmap_entry *e = &m->slots[i];
        if (!e->key || (e->hash == h && strcmp(e->key, key) == 0))
            return e;
    }
}

static void grow(struct strmap *m)
{
    struct strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key) {
            struct strmap_entry *e = find(m, old.slots[i].key, old.slots[i].hash);
            *e = old.slots[i];
            m->n++;
        }
    }
    free(old.slots);
}

void *strmap_get(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    struct strmap_entry *e = find(m, key, strmap_hash(key));
    return e->key ? e->value : NULL;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    uint64_t h = strmap_hash(key);
    struct strmap_entry *e = find(m, key, h);
    if (e->key) {
        void *old = e->value;
        e->value = value;
        return old;
    }
    e->key = xstrdup(key);
    e->value = value;
    e->hash = h;
    m->n++;
    return NULL;
}

void strmap_clear(struct strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key) {
            if (free_value)
                free_value(m->slots[i].value);
            free(m->slots[i].key);
            m->slots[i].key = NULL;
        }
    }
    m->n = 0;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
    strmap_clear(m, free_value);
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
}
