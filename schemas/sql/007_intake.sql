-- 007_intake: the intake of the two lifecycle topics (docs/lifecycle.md): the NIB status of
-- each business actor, one row per consumed NIB action, and the exact bytes of each status
-- update in the permit history. Idempotent: every statement can run again.

-- NIB status codes of PIA Lampiran 14: 01 active (at issue), 05 frozen, 06 revoked.
ALTER TABLE business_actors ADD COLUMN IF NOT EXISTS nib_status char(2)
    NOT NULL DEFAULT '01' CHECK (nib_status IN ('01', '05', '06'));
-- The NIB actions of an actor are found by NIB (the column is generated from actor_id).
CREATE INDEX IF NOT EXISTS business_actors_nib_idx ON business_actors (nib);

-- The order in which ossd made its decisions, across kinds (submissions, status updates, NIB
-- actions).
CREATE SEQUENCE IF NOT EXISTS ossd_decision_seq;

-- One row per consumed NIB action that passed its schema, applied or refused. A refused one
-- keeps its dead-letter code (NIB_UNKNOWN, TRANSITION_INVALID, DUPLICATE_CONFLICT) and the
-- dead letter's row; an applied one the status before and after and its event's id.
CREATE TABLE IF NOT EXISTS nib_actions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id       text COLLATE "C" NOT NULL,
    nib             char(13) COLLATE "C" NOT NULL,
    action          text NOT NULL CHECK (action IN ('freeze', 'unfreeze', 'revoke')),
    acted_at        timestamptz NOT NULL,
    authority       text NOT NULL,
    legal_basis     text NOT NULL,
    reason          text,
    input           bytea NOT NULL,    -- the exact message value
    payload_sha256  bytea NOT NULL,    -- of input
    applied         boolean NOT NULL,
    error_code      text CHECK (error_code IN ('NIB_UNKNOWN', 'TRANSITION_INVALID',
                        'DUPLICATE_CONFLICT')),
    previous_status char(2),
    status          char(2),
    event_id        uuid,
    dead_letter_id  bigint,            -- refused: dead_letters.id
    src_topic       text NOT NULL,
    src_partition   integer NOT NULL,
    src_offset      bigint NOT NULL,
    decided_at      timestamptz NOT NULL,
    decision_seq    bigint NOT NULL DEFAULT nextval('ossd_decision_seq'),
    CHECK (applied = (error_code IS NULL)),
    CHECK (CASE WHEN applied
                THEN status IS NOT NULL AND previous_status IS NOT NULL AND event_id IS NOT NULL
                ELSE status IS NULL AND event_id IS NULL AND dead_letter_id IS NOT NULL END)
);
-- An action_id is recorded once (a repeat with the same bytes changes nothing); only a
-- DUPLICATE_CONFLICT may repeat it.
CREATE UNIQUE INDEX IF NOT EXISTS nib_actions_action_id_idx ON nib_actions (action_id)
    WHERE error_code IS DISTINCT FROM 'DUPLICATE_CONFLICT';
CREATE INDEX IF NOT EXISTS nib_actions_nib_idx ON nib_actions (nib, id);

-- The exact bytes of each status update (NULL for a deemed approval, code 57).
ALTER TABLE permit_history ADD COLUMN IF NOT EXISTS input bytea;

-- A permit is deemed approved at most once: 006's index counted every row with code 57, so a
-- second status update carrying the refused code 57 (CODE_UNKNOWN, recorded in the history
-- like every refused update) broke it and stopped the batch. Only deemed approvals (status_id
-- NULL) are counted now. A writer of deemed approvals that relies on the index with
-- ON CONFLICT names the same predicate: (permit_id) WHERE code = '57' AND status_id IS NULL.
DROP INDEX IF EXISTS permit_history_deemed_idx;
CREATE UNIQUE INDEX permit_history_deemed_idx ON permit_history (permit_id)
    WHERE code = '57' AND status_id IS NULL;
