/* app: the running daemon: start-up, the main loop, reload and a clean drain. */
#ifndef OSSD_APP_H
#define OSSD_APP_H

#include <signal.h>

#include "config.h"

/* Set by signal handlers only; the loop polls them. */
extern volatile sig_atomic_t app_stop_requested;
extern volatile sig_atomic_t app_reload_requested;

/* Runs ossd with cfg (owned by the caller, kept for the whole run) until a
 * stop is requested. Returns the process exit code. */
int app_run(struct config *cfg, const char *log_target_override, const char *log_level_override);

#endif
