/* util: ossd's hashing and ids; includes the generic helpers of lib/base (buffers, allocation,
 * time) that every daemon module uses. */
#ifndef OSSD_UTIL_H
#define OSSD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "timeutil.h"

/* SHA-256 of data into out[32]. */
void sha256(const void *data, size_t len, unsigned char out[32]);

/* RFC 4122 version-5 UUID of name in ossd's namespace, as 36 chars + NUL. */
void uuid5_ossd(const char *name, size_t len, char out[37]);

#endif
