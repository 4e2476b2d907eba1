-- 009_record: the decision record (docs/lifecycle.md, "Explanations and re-decision"): for every
-- submission decided from now on, the exact input bytes, the basis it was decided with
-- (reference-data versions, handler chain with each handler's configuration digest, ossd's
-- version) and the order decisions were made in. Upgrades an existing database in place: rows
-- stored before keep NULL in the new columns, which `ossctl explain` reads as "not recorded".
-- Idempotent: every statement can run again on an up-to-date database.

-- The order decisions are made in, shared by every kind of decision (submissions here, NIB
-- actions in 007): ossd draws one value per decided submission, in batch order, inside the
-- batch's transaction.
CREATE SEQUENCE IF NOT EXISTS ossd_decision_seq;

-- One row per distinct basis. digest is the SHA-256 of the basis's canonical JSON (keys sorted,
-- compact) as ossd computes it at start and on reload; ossd inserts it once and keeps the id.
-- chain: [{"name", "type", "config_sha256"}] in chain order; config_sha256 is the SHA-256 of the
-- handler's [handler.NAME] section as ossd read it ("key=value\n" per setting, in file order).
-- risk_version: the risk levels belong to the KBLI version (ref_kbli, ref_kbli_risk), so it is
-- the KBLI version's name.
CREATE TABLE IF NOT EXISTS decision_basis (
    basis_id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest          bytea UNIQUE NOT NULL CHECK (length(digest) = 32),
    kbli_version    text,
    region_version  text,
    risk_version    text,
    holiday_version text,
    sla_version     text,
    chain           jsonb NOT NULL,
    ossd_version    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- input: the message value exactly as consumed (bytes, not parsed JSON; payload_sha256 is its
-- SHA-256). basis_id: the basis of the decision. decision_seq: nextval('ossd_decision_seq') in
-- batch order, so within a partition it follows the offsets.
ALTER TABLE submissions ADD COLUMN IF NOT EXISTS input bytea,
    ADD COLUMN IF NOT EXISTS basis_id integer REFERENCES decision_basis,
    ADD COLUMN IF NOT EXISTS decision_seq bigint;

-- Re-decision reads the decisions in the order they were made.
CREATE UNIQUE INDEX IF NOT EXISTS submissions_decision_seq_idx ON submissions (decision_seq)
    WHERE decision_seq IS NOT NULL;
