-- 002_refdata: versioned reference data: KBLI codes with their risk levels (per business scale
-- where it differs) and Kemendagri region codes. One version of each kind is active; ossd loads
-- the active ones at start and on reload (daemon/refdata.c), `ossctl refdata import` writes new
-- versions (tools/ossctl_refdata.c).
-- Idempotent: every statement can run again on an up-to-date database.

-- A version of a kind of reference data ("2020", "2025" for KBLI; "kemendagri-2025" for regions).
CREATE TABLE IF NOT EXISTS ref_versions (
    kind        text NOT NULL CHECK (kind IN ('kbli', 'regions')),
    version     text NOT NULL CHECK (version <> ''),
    active      boolean NOT NULL DEFAULT false,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version)
);
-- At most one active version per kind.
CREATE UNIQUE INDEX IF NOT EXISTS ref_versions_one_active_idx ON ref_versions (kind) WHERE active;

-- KBLI five-digit codes (kelompok). risk NULL: not set yet; ossd then answers "T" (the most
-- cautious level: IZIN, pending verification).
CREATE TABLE IF NOT EXISTS ref_kbli (
    version     text NOT NULL,
    code        char(5) NOT NULL CHECK (code ~ '^[0-9]{5}$'),
    title       text NOT NULL CHECK (title <> ''),
    description text,
    risk        text CHECK (risk IN ('R', 'MR', 'MT', 'T')),
    PRIMARY KEY (version, code)
);

-- The risk of a KBLI code for one business scale (01 micro .. 04 large), where it differs from
-- the code's own level (PP 5/2021 Lampiran I sets risk per KBLI and scale).
CREATE TABLE IF NOT EXISTS ref_kbli_risk (
    version     text NOT NULL,
    code        char(5) NOT NULL,
    scale       char(2) NOT NULL CHECK (scale IN ('01', '02', '03', '04')),
    risk        text NOT NULL CHECK (risk IN ('R', 'MR', 'MT', 'T')),
    PRIMARY KEY (version, code, scale),
    FOREIGN KEY (version, code) REFERENCES ref_kbli (version, code) ON DELETE CASCADE
);

-- Kemendagri region codes: province NN, regency/city NN.NN, district NN.NN.NN, village
-- NN.NN.NN.NNNN.
CREATE TABLE IF NOT EXISTS ref_regions (
    version     text NOT NULL,
    code        text NOT NULL
                CHECK (code ~ '^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$'),
    name        text NOT NULL CHECK (name <> ''),
    PRIMARY KEY (version, code)
);
