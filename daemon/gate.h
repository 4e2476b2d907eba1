/* gate: the dead-letter checks of docs/dead-letters.md, in their order. */
#ifndef OSSD_GATE_H
#define OSSD_GATE_H

#include <stddef.h>

#include "item.h"

#define GATE_MAX_BYTES           (256 * 1024) /* a submission */
#define GATE_MAX_BYTES_LIFECYCLE (64 * 1024)  /* a status update or an NIB action */

/* Checks the message value of it (size, UTF-8 and JSON, object, id, schema
 * version) with the rules of it->input: a submission's id is submission_id, a
 * status update's status_id, an NIB action's action_id. On success it->kind = ITEM_DECIDE with
 * it->doc (owned by the item), it->submission_id and it->sha set; otherwise it->kind = ITEM_DEAD
 * with dead_code and dead_message. */
void gate_check(struct item *it, const char *value, size_t len);

/* 1 when s is a valid submission_id (1-64 of A-Za-z0-9._:-). */
int gate_valid_id(const char *s, size_t len);

/* Offset just past the first number literal that is not zero but strtod
 * rounds to zero (1e-400), or 0 when there is none. */
size_t gate_number_underflow(const char *s, size_t len);

#endif
