/* util: ossd's hashing and ids (the generic helpers are lib/base/base.h and timeutil.h). */
#include "util.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The digests, fetched once from the default provider. EVP_sha256() and SHA256() make
 * OpenSSL 3 look the algorithm up again on every call (EVP_Q_digest: ~23k instructions per
 * message, more than the hashing); an explicitly fetched EVP_MD is used as it is. Written once
 * under pthread_once, then only read: not mutable state. */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!md_sha256 || !md_sha1) {
        fputs("ossd: OpenSSL has no SHA-256 or SHA-1\n", stderr);
        abort();
    }
}

static void digest(const void *data, size_t len, const EVP_MD *md, unsigned char *out)
{
    if (!EVP_Digest(data, len, out, NULL, md, NULL))
        abort(); /* with a fetched algorithm, only an allocation can fail */
}

void sha256(const void *data, size_t len, unsigned char out[32])
{
    pthread_once(&md_once, md_fetch);
    digest(data, len, md_sha256, out);
}

/* ossd's UUID namespace: uuid5(NAMESPACE_URL, "urn:ossd"). */
static const unsigned char ossd_ns[16] = {0x2f, 0x3c, 0x8e, 0x41, 0x5d, 0x6a, 0x5b, 0x1e,
                                          0x9a, 0x43, 0x7c, 0x0d, 0x1e, 0x52, 0x64, 0x8b};

void uuid5_ossd(const char *name, size_t len, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE], small[256];
    unsigned char *in =
        len + sizeof(ossd_ns) <= sizeof(small) ? small : xmalloc(len + sizeof(ossd_ns));

    pthread_once(&md_once, md_fetch);
    memcpy(in, ossd_ns, sizeof(ossd_ns));
    memcpy(in + sizeof(ossd_ns), name, len);
    digest(in, len + sizeof(ossd_ns), md_sha1, md);
    if (in != small)
        free(in);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    for (size_t i = 0, o = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[36] = '\0';
}
