-- 007_intake (temporary in this branch: the sweep's tests need the column; the intake branch's
-- 007_intake.sql, which adds it with the same statement, replaces this file on merge).
ALTER TABLE business_actors ADD COLUMN IF NOT EXISTS nib_status char(2)
    NOT NULL DEFAULT '01' CHECK (nib_status IN ('01','05','06'));
