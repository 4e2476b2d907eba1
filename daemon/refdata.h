/* refdata: the reference data (KBLI codes and risk levels, Kemendagri regions, holidays and
 * service-level deadlines) in memory, immutable once built, with hash lookups; a reload builds
 * a new object and swaps it in. */
#ifndef OSSD_REFDATA_H
#define OSSD_REFDATA_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "calendar.h"
#include "csv.h"
#include "ossd_handler.h"
#include "util.h"

/*
 * Semantics (docs/rules.md):
 * - A province is known when its two-digit code was added (as a region of its own).
 * - region(code) of a district "NN.NN.NN": known when the district was added. Of a village
 *   "NN.NN.NN.NNNN": its district must be known, and when the data holds ANY village of that
 *   district the village itself must be known too; otherwise the district decides. Province and
 *   regency codes are known when added. Anything else is unknown.
 * - A KBLI code is known when added. Its risk for a scale is the per-scale entry when there is
 *   one, else the code's own level, else "T": a code whose risk nobody has set yet gets the most
 *   cautious answer (IZIN, pending verification) rather than an unchecked NIB.
 * - Holidays are Asia/Jakarta dates (non-working days besides Saturday and Sunday). The deadline
 *   of a pending permit is N working days: the row for its KBLI code and scale, else the row
 *   for its code and every scale, else the statutory fallback REFDATA_SLA_DEFAULT_DAYS.
 *
 * Building (refdata_new + refdata_add_* + refdata_set_versions) is single-threaded. Once built
 * the object is never changed, so any number of threads may read it through refdata_api() with
 * no locking. Every lookup is an open-addressing hash probe: no scans, whatever the table size.
 */
struct refdata;

/* An empty object to build; never NULL (aborts when out of memory). Free with refdata_free. */
struct refdata *refdata_new(void);

/*
 * Adds a region code ("NN", "NN.NN", "NN.NN.NN" or "NN.NN.NN.NNNN") with its name (copied).
 * Returns 0, or -1 when the code is malformed, the name empty or NULL, or the code already added.
 */
MUST_CHECK int refdata_add_region(struct refdata *rd, const char *code, const char *name);

/*
 * Adds a KBLI code (5 digits) with its title (copied) and default risk ("R", "MR", "MT", "T";
 * NULL or "" for none, which answers "T"). Returns 0, or -1 when the code is malformed, the
 * title empty or NULL, the risk not a level, or the code already added.
 */
MUST_CHECK int refdata_add_kbli(struct refdata *rd, const char *code, const char *title,
                                const char *risk);

/*
 * Sets the risk of an added KBLI code for one business scale ("01".."04"); a later call for the
 * same code and scale replaces it. Returns 0, or -1 when the code was not added first, the scale
 * or the risk is not valid.
 */
MUST_CHECK int refdata_add_kbli_risk(struct refdata *rd, const char *code, const char *scale,
                                     const char *risk);

/* Adds a holiday: date "YYYY-MM-DD" and its name (copied). Returns 0, or -1 when the date is
 * malformed, the name empty or NULL, or the date already added. */
MUST_CHECK int refdata_add_holiday(struct refdata *rd, const char *date, const char *name);

/* The statutory deadline when no row applies (UU 30/2014 art. 53 as amended by the Cipta Kerja
 * law): 5 working days. */
#define REFDATA_SLA_DEFAULT_DAYS 5u
/* The largest deadline a row may set (the database has the same bound). */
#define REFDATA_SLA_MAX_DAYS 1000

/*
 * Adds a deadline of working_days (1..REFDATA_SLA_MAX_DAYS) for a KBLI code and a scale
 * ("01".."04"; NULL or "" for every scale). Returns 0, or -1 when a value is not valid or the
 * (code, scale) pair was already added.
 */
MUST_CHECK int refdata_add_sla(struct refdata *rd, const char *kbli, const char *scale,
                               long working_days);

/* Records the version names (copied; NULL leaves one unchanged). */
void refdata_set_versions(struct refdata *rd, const char *kbli_version, const char *region_version);

/* Records the holiday and SLA version names (copied; NULL leaves one unchanged). */
void refdata_set_calendar_versions(struct refdata *rd, const char *holiday_version,
                                   const char *sla_version);

/*
 * Loads the ACTIVE versions (ref_versions.active) from PostgreSQL, in one read-only
 * repeatable-read snapshot when conn is idle (inside the caller's transaction when it is not):
 * kbli and regions must have one; holidays and sla may have none (no holidays; every deadline
 * the fallback). Returns a new object the caller frees with refdata_free, or NULL with err
 * filled (no active kbli or regions version, a query failure, a bad row).
 */
struct refdata *refdata_load_pg(PGconn *conn, char *err, size_t errlen);

/*
 * As refdata_load_pg, but per kind (indexed by enum refdata_kind: kbli, regions, holidays, sla)
 * the version named in versions[kind] instead of the active one; versions NULL or an entry NULL:
 * the active one. A named version must exist in ref_versions (err otherwise).
 */
struct refdata *refdata_load_pg_versions(PGconn *conn, const char *const versions[4], char *err,
                                         size_t errlen);

/* The read-only view handlers get (ctx = rd). It lives as long as rd: do not free it. */
const struct ossd_refdata *refdata_api(const struct refdata *rd);

/* The name of a region code as added, or NULL; it lives as long as rd. */
const char *refdata_region_name(const struct refdata *rd, const char *code);

/* Version names ("" when unset) and counts of codes added; they live as long as rd. */
const char *refdata_kbli_version(const struct refdata *rd);
const char *refdata_region_version(const struct refdata *rd);
size_t refdata_kbli_count(const struct refdata *rd);
size_t refdata_region_count(const struct refdata *rd);
const char *refdata_holiday_version(const struct refdata *rd);
const char *refdata_sla_version(const struct refdata *rd);
size_t refdata_holiday_count(const struct refdata *rd);
size_t refdata_sla_count(const struct refdata *rd);

/* The holidays, sorted, for the calendar functions; they live as long as rd. */
const struct cal_holidays *refdata_holidays(const struct refdata *rd);

/* The name of a holiday (a day number of calendar.h), or NULL when it is none. */
const char *refdata_holiday_name(const struct refdata *rd, int32_t day);

/* N for a permit: the working days of (kbli, scale), else of (kbli, every scale), else
 * REFDATA_SLA_DEFAULT_DAYS (also for a malformed code or scale). */
unsigned refdata_sla_days(const struct refdata *rd, const char *kbli, const char *scale);

/* Frees rd and everything it handed out; refdata_free(NULL) is a no-op. */
void refdata_free(struct refdata *rd);

/* ---- code shapes, shared with `ossctl refdata import` ------------------------------------- */

/* The level of a region code: 1 province "NN", 2 regency/city "NN.NN", 3 district "NN.NN.NN",
 * 4 village "NN.NN.NN.NNNN"; 0 when malformed. */
int refdata_region_level(const char *code);

/* 1 when code is exactly 5 digits. */
int refdata_kbli_code_valid(const char *code);

/* 1 when risk is "R", "MR", "MT" or "T". */
int refdata_risk_valid(const char *risk);

/* ---- CSV files (the official tables), shared with ossctl and the tests -------------------- */

enum refdata_kind {
    REFDATA_KBLI = 0,     /* code,title[,description][,risk] */
    REFDATA_REGIONS = 1,  /* code,name */
    REFDATA_HOLIDAYS = 2, /* date,name */
    REFDATA_SLA = 3,      /* kbli,scale,working_days (scale empty or absent: every scale) */
};

/* Parses "kbli", "regions", "holidays" or "sla"; 0, or -1 for anything else. */
int refdata_kind_parse(const char *s, enum refdata_kind *kind);
const char *refdata_kind_name(enum refdata_kind kind);

/* Column positions found in a header row; -1 when absent. Other columns are ignored. */
struct refdata_csv_cols {
    int code, title, description, risk; /* kbli ("title" is "name" for regions and holidays) */
    int scale, working_days;            /* sla ("code" is "kbli"; "code" is "date" for holidays) */
    size_t n_cols;
};

/* Maps the header row (case-insensitive names). Returns 0, or -1 with err filled when a
 * required column (kbli and regions: code, and title or name; holidays: date and name; sla:
 * kbli and working_days) is missing or a name appears twice. */
int refdata_csv_columns(enum refdata_kind kind, const struct csv_row *header,
                        struct refdata_csv_cols *cols, char *err, size_t errlen);

/* One validated data row; the strings point into the csv_row. */
struct refdata_record {
    const char *code;        /* KBLI code, region code or holiday date */
    const char *title;       /* KBLI title, region or holiday name; never empty (not for sla) */
    const char *description; /* NULL when absent or empty */
    const char *risk;        /* NULL when absent or empty; else a valid level */
    const char *scale;       /* sla: NULL for every scale, else "01".."04" */
    long working_days;       /* sla: 1..REFDATA_SLA_MAX_DAYS */
};

/* Validates one data row (field count, code or date shape, non-empty title/name, risk level,
 * scale, working days). Returns 0, or -1 with err filled (without a location: the caller adds
 * FILE:LINE). */
int refdata_csv_record(enum refdata_kind kind, const struct refdata_csv_cols *cols,
                       const struct csv_row *row, struct refdata_record *rec, char *err,
                       size_t errlen);

/*
 * Reads a whole CSV of the given kind from f (name is used in messages) into rd: header, then
 * every row through refdata_csv_record and refdata_add_record. Returns the number of rows
 * added, or -1 with err = "NAME:LINE: what" for the first bad row (a malformed CSV, a bad field,
 * a duplicate code, date or (kbli, scale)).
 */
/* Adds a validated record of the given kind to rd; 0, or -1 when it is a duplicate. */
MUST_CHECK int refdata_add_record(struct refdata *rd, enum refdata_kind kind,
                                  const struct refdata_record *rec);

/* The message for a record refdata_add_record refused as a duplicate ("duplicate date ..."). */
void refdata_duplicate_message(enum refdata_kind kind, const struct refdata_record *rec, char *out,
                               size_t outlen);

long refdata_load_csv(struct refdata *rd, enum refdata_kind kind, FILE *f, const char *name,
                      char *err, size_t errlen);

#endif /* OSSD_REFDATA_H */
