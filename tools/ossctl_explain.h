/* ossctl_explain: `ossctl explain SUBMISSION_ID [--json]`, one decision and what it rests on. */
#ifndef OSSCTL_EXPLAIN_H
#define OSSCTL_EXPLAIN_H

/*
 * Reads submissions, decision_basis (schemas/sql/009_record.sql), business_actors, activities
 * and permits; argv[0] is "explain" (argv as after `ossctl`). Prints the decision (status,
 * decided_at, channel, scale, authority), every reason with its JSON Pointer, message and the
 * rule it comes from, the NIB and its status, each permit of the submission's activities, and
 * the basis (reference-data versions, handler chain, ossd's version, the input's SHA-256);
 * what a decision made before the decision record lacks is named "not recorded". With --json,
 * one JSON object (docs/operations.md). No full NIK, NPWP, phone or email is printed: a run of
 * 15 digits or more in any printed text keeps its first 4 digits.
 *
 * Returns the process exit code: 0 ok, 1 no such submission, 2 usage or PostgreSQL error.
 */
int ossctl_explain_main(int argc, char **argv, const char *pg);

#endif
