/* reasons: the one place that builds, finds and orders the reasons of a decision (a JSON array
 * of {code, path, message}), for the schema check, the handler chain and the decision core. */
#ifndef OSSD_REASONS_H
#define OSSD_REASONS_H

#include <jansson.h>

/* Appends {code, path, message} to *reasons, creating the array when it is NULL. */
void reasons_add(json_t **reasons, const char *code, const char *path, const char *message);

/* 1 when reasons (may be NULL) holds a reason with this code at this path. */
int reasons_has(const json_t *reasons, const char *code, const char *path);

/* Sorts a reasons array (code rank, then path in natural order, then
 * message), so the order of the rules never changes the outcome. Drops a
 * repeat: for SCHEMA_INVALID only an exact one (each violation is its own
 * reason, even two at one pointer), for other codes the same code at the
 * same path. */
void reasons_sort(json_t *reasons);

#endif
