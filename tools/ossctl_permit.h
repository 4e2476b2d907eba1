/* ossctl_permit: `ossctl permit show PERMIT_ID` and `ossctl sla due [--before T]`. */
#ifndef OSSCTL_PERMIT_H
#define OSSCTL_PERMIT_H

/*
 * Both read the permits and permit_history tables (schemas/sql/006_permits.sql); argv[0] is
 * the command ("permit" or "sla", argv as after `ossctl`). Times are printed in Asia/Jakarta.
 *
 *   permit show PERMIT_ID
 *     the permit (status, clock, deadline, its decision) and its whole history, applied and
 *     refused updates, oldest first and newest last. Neither the officer's identity nor the
 *     agency's note is printed (the note is free text that may name people or carry an
 *     identity number): only the note's length.
 *   sla due [--before T] [--limit N]
 *     the running deadlines (pending_verification, clock running), soonest first; with
 *     --before only those due before T (RFC 3339 with offset, or a date YYYY-MM-DD meaning
 *     00:00 Asia/Jakarta of that day); overdue = due at ossctl's own clock.
 *
 * Return the process exit code: 0 ok, 1 no such permit, 2 usage, PostgreSQL or I/O error.
 */
int ossctl_permit_main(int argc, char **argv, const char *pg);
int ossctl_sla_main(int argc, char **argv, const char *pg);

#endif
