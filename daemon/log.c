/* log: structured logging to journald (native fields) or stderr, with PII masking helpers. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "util.h"

/* atomics: a reload sets them while other threads log */
static _Atomic int log_level = LOG_LVL_INFO;
static _Atomic int log_journal;

int log_setup(const char *target, const char *level, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"error", LOG_LVL_ERROR},
                  {"warning", LOG_LVL_WARNING},
                  {"info", LOG_LVL_INFO},
                  {"debug", LOG_LVL_DEBUG}};
    int found = 0;

    for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
        if (strcmp(level, levels[i].name) == 0) {
            log_level = levels[i].level;
            found = 1;
        }
    }
    if (!found) {
        snprintf(err, errlen, "log level must be error, warning, info or debug");
        return -1;
    }
    if (strcmp(target, "journal") == 0)
        log_journal = 1;
    else if (strcmp(target, "stderr") == 0)
        log_journal = 0;
    else if (strcmp(target, "auto") == 0)
        log_journal = getenv("JOURNAL_STREAM") != NULL;
    else {
        snprintf(err, errlen, "log target must be journal, stderr or auto");
        return -1;
    }
    return 0;
}

int log_enabled(int level)
{
    return level <= log_level;
}

int log_to_journal(void)
{
    return log_journal;
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_LVL_ERROR:
        return "error";
    case LOG_LVL_WARNING:
        return "warning";
    case LOG_LVL_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* Writes msg and its fields to the journal, else (or when journald is unreachable) to stderr. */
static void log_write(int level, const char *const *fields, const char *msg)
{
    if (log_journal) {
        struct iovec iov[32];
        char m[2100], prio[16];
        int n = 0;

        snprintf(m, sizeof(m), "MESSAGE=%s", msg);
        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        iov[n++] = (struct iovec){m, strlen(m)};
        iov[n++] = (struct iovec){prio, strlen(prio)};
        iov[n++] = (struct iovec){(void *)"SYSLOG_IDENTIFIER=ossd", 22};
        for (size_t i = 0; fields && fields[i] && n < 32; i++)
            iov[n++] = (struct iovec){(void *)fields[i], strlen(fields[i])};
        if (sd_journal_sendv(iov, n) >= 0)
            return;
        /* journald unreachable: fall back to stderr below */
    }

    char ts[32];
    struct buf b = {0};
    format_rfc3339_ms(now_ms(), ts);
    buf_printf(&b, "%s %s %s", ts, level_name(level), msg);
    for (size_t i = 0; fields && fields[i]; i++)
        buf_printf(&b, " %s", fields[i]);
    buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stderr);
    buf_free(&b);
}

static void log_vfields(int level, const char *const *fields, const char *fmt, va_list ap)
{
    char msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_write(level, fields, msg);
}

void log_fields(int level, const char *const *fields, const char *fmt, ...)
{
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    log_vfields(level, fields, fmt, ap);
    va_end(ap);
}

void log_msg(int level, const char *message_id, const char *fmt, ...)
{
    const char *fields[] = {message_id, NULL};
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    log_vfields(level, fields, fmt, ap);
    va_end(ap);
}

void log_mask_nik(const char *nik, char *out, size_t outlen)
{
    mask_keep(nik ? nik : "", 4, out, outlen);
}

void log_mask_email(const char *email, char *out, size_t outlen)
{
    const char *at = email ? strchr(email, '@') : NULL;
    if (!email) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    if (!at) {
        mask_keep(email, 1, out, outlen);
        return;
    }
    snprintf(out, outlen, "%.1s***%s", email, at);
}
