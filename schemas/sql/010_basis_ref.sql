-- 010_basis_ref: submissions.basis_id without a foreign-key check per row (docs/lifecycle.md,
-- "Explanations and re-decision"). 009's REFERENCES decision_basis ran PostgreSQL's RI trigger
-- for every decided submission, a SELECT ... FOR KEY SHARE of the one basis row: about 8 us of
-- backend CPU per decision, half of what the decision record cost the write path. PostgreSQL 15
-- has no unenforced foreign key, so the reference is kept true by construction instead: ossd
-- writes only a basis_id it read back from decision_basis (store_upsert_basis), and a basis,
-- once recorded, can be neither changed nor removed, since decisions were made with it.
-- Idempotent, as every migration.

ALTER TABLE submissions DROP CONSTRAINT IF EXISTS submissions_basis_id_fkey;

CREATE OR REPLACE FUNCTION decision_basis_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision_basis is append-only: % would change the basis decisions were made with',
        TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE TRIGGER decision_basis_append_only BEFORE UPDATE OR DELETE ON decision_basis
    FOR EACH ROW EXECUTE FUNCTION decision_basis_append_only();
CREATE OR REPLACE TRIGGER decision_basis_no_truncate BEFORE TRUNCATE ON decision_basis
    FOR EACH STATEMENT EXECUTE FUNCTION decision_basis_append_only();
