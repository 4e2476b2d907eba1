/* notify: the sd_notify protocol (READY, STATUS, WATCHDOG, RELOADING, STOPPING). */
#ifndef OSSD_NOTIFY_H
#define OSSD_NOTIFY_H

#include <stdint.h>

/* Reads WATCHDOG_USEC; returns the interval in ms at which to send
 * WATCHDOG=1 (half the watchdog timeout), or 0 when no watchdog is set. */
int64_t notify_watchdog_interval_ms(void);
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
