/* ossctl_outbox: `ossctl outbox parked` and `ossctl outbox release ID...|--all`. */
#ifndef OSSCTL_OUTBOX_H
#define OSSCTL_OUTBOX_H

/*
 * Parked outbox rows are those the daemon refused for good as too large to deliver
 * (attempted_at = 'infinity', daemon/store.c store_park_outbox; docs/guarantees.md); argv as
 * after `ossctl` (argv[0] is "outbox").
 *
 *   outbox parked [--limit N]
 *     id, kind (event, or dead letter with its code), topic, key, size (bytes of the value)
 *     and created_at, oldest first. Never the payload (it can carry contact data); a dead
 *     letter's key (the producer's, which may be anything) only when it has no '@', no '+'
 *     and no run of 10 or more digits, else only its length.
 *   outbox release ID...|--all
 *     sets attempted_at back to NULL on those parked rows, so the daemon's re-send claims
 *     them again; prints how many. An ID that is not a parked row is named on stderr.
 *
 * Return the process exit code: 0 ok, 1 an ID given is not a parked row (the others are
 * released), 2 usage, PostgreSQL or I/O error.
 */
int ossctl_outbox_main(int argc, char **argv, const char *pg);

#endif
