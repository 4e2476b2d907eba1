/* item: one consumed message on its way through gate, pipeline, store and outbox. */
#include "item.h"

#include <stdlib.h>
#include <string.h>

void item_clear(struct item *it)
{
    json_decref(it->doc);
    free(it->name);
    free(it->phone);
    free(it->email);
    json_decref(it->reasons);
    json_decref(it->out_reasons);
    memset(it, 0, sizeof(*it));
}
