/* strmap: a small open-addressing hash map from strings to pointers, for per-batch lookups. */
#ifndef BASE_STRMAP_H
#define BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_entry {
    char *key; /* owned copy */
    void *value;
    uint64_t hash; /* of key: probes compare it before the key (a cache miss each) */
};

struct strmap {
    struct strmap_entry *slots;
    size_t cap, n;
};

/* The hash the map files key under (FNV-1a, 64 bits): for indexes of their own that want the
 * same spread. */
uint64_t strmap_hash(const char *key);
/* Returns the value of key, or NULL (values are never NULL by convention). */
void *strmap_get(const struct strmap *m, const char *key);
/* Sets key to value (a copy of key is kept); returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Removes every entry; free_value (may be NULL) is called on each value. */
void strmap_clear(struct strmap *m, void (*free_value)(void *));
void strmap_free(struct strmap *m, void (*free_value)(void *));

#endif
