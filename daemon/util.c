/* util: ossd's hashing and ids (the generic helpers are lib/base/base.h and timeutil.h). */
#include "util.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sha256(const void *data, size_t len, unsigned char out[32])
{
    SHA256(data, len, out);
}

/* ossd's UUID namespace: uuid5(NAMESPACE_URL, "urn:ossd"). */
static const unsigned char ossd_ns[16] = {0x2f, 0x3c, 0x8e, 0x41, 0x5d, 0x6a, 0x5b, 0x1e,
                                          0x9a, 0x43, 0x7c, 0x0d, 0x1e, 0x52, 0x64, 0x8b};

void uuid5_ossd(const char *name, size_t len, char out[37])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!ctx)
        abort(); /* out of memory */
    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
    EVP_DigestUpdate(ctx, ossd_ns, sizeof(ossd_ns));
    EVP_DigestUpdate(ctx, name, len);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0],
             md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12],
             md[13], md[14], md[15]);
}
