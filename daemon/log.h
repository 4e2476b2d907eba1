/* log: structured logging to journald (native fields) or stderr, with PII masking helpers. */
#ifndef OSSD_LOG_H
#define OSSD_LOG_H

#include <stddef.h>

#define LOG_LVL_ERROR   3
#define LOG_LVL_WARNING 4
#define LOG_LVL_INFO    6
#define LOG_LVL_DEBUG   7

/* Chooses the target ("journal", "stderr", "auto": the journal when
 * JOURNAL_STREAM is set) and the level ("error".."debug"). 0, or -1 with err. */
int log_setup(const char *target, const char *level, char *err, size_t errlen);
/* 1 when messages at level are written. */
int log_enabled(int level);
/* 1 when writing to the journal. */
int log_to_journal(void);

/* Writes one entry. fields is NULL or a NULL-terminated list of "KEY=value"
 * strings (journald field names: upper case, digits, underscore). Callers
 * never pass a full NIK, NPWP, phone or email: see log_mask_*. */
void log_fields(int level, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_fields(LOG_LVL_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_fields(LOG_LVL_WARNING, NULL, __VA_ARGS__)
#define log_info(...)  log_fields(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_fields(LOG_LVL_DEBUG, NULL, __VA_ARGS__)

/* MESSAGE_ID fields (journald) of the entries an operator acts on. Each is a
 * fixed 128-bit id with an entry in systemd/ossd.catalog, which `journalctl -x`
 * shows with the entry; never change or reuse one (`journalctl MESSAGE_ID=...`
 * finds the entries of every ossd version). */
#define LOG_MSG_STARTED        "MESSAGE_ID=bcdc8abd8e284150aeaec91b6fb01577"
#define LOG_MSG_STOPPED        "MESSAGE_ID=b2babfe9cc0841b991e7d2435d6f19b0"
#define LOG_MSG_PG_DOWN        "MESSAGE_ID=7e9a1fa64aa44dd783047bcd3a349b15"
#define LOG_MSG_PG_UP          "MESSAGE_ID=abbce6a91af940c19ded173f5fa5412a"
#define LOG_MSG_BROKER_DOWN    "MESSAGE_ID=7d2ea10f091a408d8f7ced360dd31f31"
#define LOG_MSG_DEAD_LETTER    "MESSAGE_ID=dbd9e2edd57b4637b0b6c1999fb30e75"
#define LOG_MSG_RELOAD_REFUSED "MESSAGE_ID=4b27e23af1a2478ba8a021b0793fde97"
#define LOG_MSG_DEEMED         "MESSAGE_ID=280576d766d74df291c3ece10b836922"

/* Writes one entry with the field message_id (one of LOG_MSG_*; NULL: none),
 * as log_fields does. */
void log_msg(int level, const char *message_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Masks for identity values: a NIK keeps its first 4 digits (the region),
 * an NPWP or phone its first 2 characters, an email its first character and
 * its domain. out must hold at least 64 bytes; NULL prints as "". */
void log_mask_nik(const char *nik, char *out, size_t outlen);
void log_mask_email(const char *email, char *out, size_t outlen);

#endif
