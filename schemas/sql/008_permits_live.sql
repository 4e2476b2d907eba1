-- 008_permits_live: ossd writes the permits of its decisions itself, in the batch transaction
-- (one row of permits per activity of an issued submission, docs/lifecycle.md), and refuses a
-- submission of a business actor whose NIB is frozen (05, NIB_FROZEN) or revoked (06,
-- NIB_REVOKED, docs/rules.md). Idempotent: every statement can run again.

-- The NIB's status (PIA Lampiran 14): 01 active, 05 frozen, 06 revoked. The same statement is in
-- 007_intake.sql, which sets it from the NIB actions topic; whichever runs first adds it.
ALTER TABLE business_actors ADD COLUMN IF NOT EXISTS nib_status char(2)
    NOT NULL DEFAULT '01' CHECK (nib_status IN ('01','05','06'));

-- Decisions stored between 006 and the ossd that writes permits (their activities have no
-- permit yet) get theirs now, with the active reference data, as 006 did for older ones.
SELECT ossd_backfill_permits();
