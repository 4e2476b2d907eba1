/* handler_api: the daemon's implementation of include/ossd/handler.h (the accessors a handler
 * calls, exported by the ossd executable) and the typed parsing of a handler instance's section. */
#ifndef OSSD_HANDLER_API_H
#define OSSD_HANDLER_API_H

#include <stddef.h>

#include "config.h"
#include "ossd_handler.h"

/*
 * Checks the section of instance (NULL: none) against the keys its type declares (NULL or
 * {NULL}-terminated) and fills *hc: an undeclared key (other than `type`), a value that is not
 * of the key's type or out of its range, an empty list entry, a required key missing: -1 with
 * err ("PATH:LINE: handler NAME: key 'K': what"). 0 on success; handler_config_free(hc) in both
 * cases.
 */
int handler_config_parse(struct ossd_handler_config *hc, const char *instance,
                         const struct ossd_config_key *keys, const struct config_section *sec,
                         const char *cfgpath, char *err, size_t errlen);
void handler_config_free(struct ossd_handler_config *hc);

/* Fills the draft's misuse once (the first one wins); returns -1 for the accessor to return. */
int handler_misuse(struct ossd_decision *d, const char *what);

#endif /* OSSD_HANDLER_API_H */
