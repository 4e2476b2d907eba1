-- 004_refdata_calendar: two more versioned kinds of reference data for the service-level
-- deadlines of permits: the holiday calendar and the deadline (N working days) per KBLI and
-- business scale. Like KBLI and regions, `ossctl refdata import holidays|sla` writes a new
-- version of the whole table and activates it unless --no-activate; ossd loads the active ones
-- at start and on reload (daemon/refdata.c). The seed: the fixed-date national holidays of 2026
-- and 2027, and an SLA version with no rows (every permit then gets the statutory 5 working
-- days). Idempotent: every statement can run again on an up-to-date database.

ALTER TABLE ref_versions DROP CONSTRAINT IF EXISTS ref_versions_kind_check;
ALTER TABLE ref_versions ADD CONSTRAINT ref_versions_kind_check
    CHECK (kind IN ('kbli', 'regions', 'holidays', 'sla'));

-- Public holidays (non-working days besides Saturday and Sunday), as Asia/Jakarta dates.
CREATE TABLE IF NOT EXISTS ref_holidays (
    version     text NOT NULL,
    day         date NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    PRIMARY KEY (version, day)
);

-- The deadline of a pending permit in working days, per KBLI code and business scale ('' for
-- every scale; a row for the permit's own scale wins over it). A code without a row gets the
-- statutory fallback of 5 (UU 30/2014 art. 53 as amended by the Cipta Kerja law).
CREATE TABLE IF NOT EXISTS ref_sla (
    version      text NOT NULL,
    kbli         char(5) NOT NULL CHECK (kbli ~ '^[0-9]{5}$'),
    scale        text NOT NULL DEFAULT '' CHECK (scale IN ('', '01', '02', '03', '04')),
    working_days integer NOT NULL CHECK (working_days BETWEEN 1 AND 1000),
    PRIMARY KEY (version, kbli, scale)
);

INSERT INTO ref_versions (kind, version) VALUES
    ('holidays', 'national-fixed-2026-2027'),
    ('sla', 'statutory')
ON CONFLICT DO NOTHING;

INSERT INTO ref_holidays (version, day, name) VALUES
    ('national-fixed-2026-2027', '2026-01-01', 'Tahun Baru Masehi'),
    ('national-fixed-2026-2027', '2026-05-01', 'Hari Buruh Internasional'),
    ('national-fixed-2026-2027', '2026-06-01', 'Hari Lahir Pancasila'),
    ('national-fixed-2026-2027', '2026-08-17', 'Hari Proklamasi Kemerdekaan'),
    ('national-fixed-2026-2027', '2026-12-25', 'Hari Raya Natal'),
    ('national-fixed-2026-2027', '2027-01-01', 'Tahun Baru Masehi'),
    ('national-fixed-2026-2027', '2027-05-01', 'Hari Buruh Internasional'),
    ('national-fixed-2026-2027', '2027-06-01', 'Hari Lahir Pancasila'),
    ('national-fixed-2026-2027', '2027-08-17', 'Hari Proklamasi Kemerdekaan'),
    ('national-fixed-2026-2027', '2027-12-25', 'Hari Raya Natal')
ON CONFLICT DO NOTHING;

UPDATE ref_versions v SET active = true
WHERE (v.kind, v.version) IN (('holidays', 'national-fixed-2026-2027'), ('sla', 'statutory'))
  AND NOT EXISTS (SELECT 1 FROM ref_versions a WHERE a.kind = v.kind AND a.active);
