/* ossctl_redecide: re-runs today's rules (or named reference-data versions) over the stored
 * inputs, changing nothing, and reports which decisions would change (docs/lifecycle.md,
 * "Explanations and re-decision"; docs/operations.md). */
#ifndef OSSD_OSSCTL_REDECIDE_H
#define OSSD_OSSCTL_REDECIDE_H

#include "config.h"

/*
 * ossctl redecide [--since T] [--until T] [--refdata-version KIND=V ...] [--out FILE.csv]
 *                 [--jobs N]
 *
 * Reads one REPEATABLE READ READ ONLY snapshot of pg; replays every stored input in decision
 * order through the daemon's gate, schema, handler chain (cfg's [pipeline]) and decision core,
 * with business actors and activities rebuilt by the replay alone; compares each new decision
 * with the stored one. cfg is required (the chain is the daemon's). The last line of stdout is
 * {"examined": N, "changed": M, "seconds": S}.
 *
 * Returns the process exit code: 0 ok (whatever changed), 2 usage, PostgreSQL or I/O error.
 */
int ossctl_redecide_main(int argc, char **argv, const char *pg, const struct config *cfg);

#endif
