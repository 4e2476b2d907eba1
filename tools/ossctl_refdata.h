/* ossctl_refdata: `ossctl refdata import|list`, loading the official tables into PostgreSQL. */
#ifndef OSSCTL_REFDATA_H
#define OSSCTL_REFDATA_H

/*
 * Runs `ossctl refdata ...`. argv[0] is "refdata" (argv as after `ossctl`), argv[1] the action:
 *
 *   refdata import kbli|regions FILE.csv [--version V] [--no-activate]
 *   refdata list
 *
 * import streams FILE ("-": standard input; RFC 4180 CSV with a header: kbli code,title
 * [,description][,risk]; regions code,name) with COPY into ref_kbli / ref_regions in one
 * transaction, replacing the rows of version V (default: kbli "2020", regions
 * "kemendagri-2025"). Codes are validated (KBLI 5 digits; region NN, NN.NN, NN.NN.NN or
 * NN.NN.NN.NNNN; no duplicates) and the first bad line is reported as FILE:LINE. For kbli,
 * the risk column is honoured when present; a code the file gives no risk keeps the level it
 * had before: from V's own previous rows when V already set one for that code, else from the
 * version active until now; its per-scale levels come from the same place. The version is
 * activated (the previous one of its kind deactivated) unless --no-activate, ossd is told with
 * NOTIFY ossd_refdata, and the counts are printed.
 * list prints every version with its counts and which one is active.
 *
 * pg_url is a libpq connection string or URI (NULL: libpq's defaults and PG* variables).
 * Returns the exit status: 0 ok, 1 data error (nothing changed), 2 usage, I/O, connection or
 * database error.
 */
int ossctl_refdata_main(int argc, char **argv, const char *pg_url);

#endif /* OSSCTL_REFDATA_H */
