-- 006_permits: the licence lifecycle's permits (one per activity of an issued submission) and
-- each permit's whole history of status updates, applied and refused (docs/lifecycle.md). The
-- rules that move a permit are in daemon/permit.c; this file only holds their state.
-- Upgrades an existing database in place: every stored activity becomes a permit (R/MR issued,
-- MT/T pending_verification with its deadline computed here, see ossd_backfill_permits below).
-- Idempotent: every statement can run again on an up-to-date database.

-- One row per permit. permit_id is <nib>-<kbli>-<district without dots>, unique because an NIB
-- holds a KBLI once per district (activities' primary key).
CREATE TABLE IF NOT EXISTS permits (
    permit_id       text COLLATE "C" PRIMARY KEY
                    CHECK (permit_id ~ '^[0-9]{13}-[0-9]{5}-[0-9]{6}$'),
    nib             char(13) COLLATE "C" NOT NULL,
    kbli            char(5) COLLATE "C" NOT NULL,
    district        text COLLATE "C" NOT NULL,  -- NN.NN.NN, as in activities
    actor_id        bigint NOT NULL,            -- business_actors.actor_id
    risk            text NOT NULL CHECK (risk IN ('R', 'MR', 'MT', 'T')),
    status          text NOT NULL CHECK (status IN ('pending_verification', 'provisional',
                        'issued', 'approved_deemed', 'suspended', 'rejected')),
    -- The deadline clock: 'none' once the permit has left pending_verification (and for a
    -- permit issued at once), else running or stopped by a 41 (a 42 resumes) or a 43 (a 44
    -- restarts).
    clock           text NOT NULL CHECK (clock IN ('none', 'running', 'stopped_41', 'stopped_43')),
    sla_days        integer CHECK (sla_days BETWEEN 1 AND 1000),  -- N, kept for a 44 restart
    last_day        date,          -- L, the deadline's last working day (Asia/Jakarta)
    sla_due         timestamptz,   -- 00:00 Asia/Jakarta of L + 1
    stopped_at      timestamptz,   -- status_at of the 41/43 that stopped the clock
    last_status_at  timestamptz,   -- status_at of the last applied update (the decision is none)
    submission_id   text COLLATE "C" NOT NULL,  -- the submission whose decision created it
    decided_at      timestamptz NOT NULL,       -- that decision's decided_at: the clock's start
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'pending_verification') = (clock <> 'none')),
    CHECK (clock = 'none' OR (sla_days IS NOT NULL AND last_day IS NOT NULL
                              AND sla_due IS NOT NULL)),
    CHECK (clock NOT IN ('stopped_41', 'stopped_43') OR stopped_at IS NOT NULL)
);
-- The deemed-approval sweep and `ossctl sla due`: running deadlines, soonest first.
CREATE INDEX IF NOT EXISTS permits_sla_due_idx ON permits (sla_due)
    WHERE status = 'pending_verification' AND clock = 'running';
-- Permits of an NIB (freeze, unfreeze, revoke; explain).
CREATE INDEX IF NOT EXISTS permits_nib_idx ON permits (nib);

-- Each status update of a permit, applied or refused, and each deemed approval (code 57,
-- status_id NULL). A refused update keeps its dead-letter code (TRANSITION_INVALID,
-- CODE_UNKNOWN, DUPLICATE_CONFLICT) and the dead letter's row; an update for no permit
-- (PERMIT_UNKNOWN) or one that fails the schema is only a dead letter. Officer identity and the
-- note are kept here and nowhere else: never in an event or a log.
CREATE TABLE IF NOT EXISTS permit_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    permit_id       text COLLATE "C" NOT NULL,
    status_id       text COLLATE "C",  -- the update's status_id; NULL for a deemed approval
    payload_sha256  bytea,             -- of the exact message value (NULL for 57)
    code            char(2) NOT NULL,
    status_at       timestamptz NOT NULL,
    agency          text,              -- kd_instansi; NULL for 57
    officer_id      text,
    officer_name    text,
    note            text,
    permit_number   text,
    error_code      text CHECK (error_code IN ('TRANSITION_INVALID', 'CODE_UNKNOWN',
                        'DUPLICATE_CONFLICT')),  -- NULL: applied
    previous_status text,              -- applied: the status before, and after
    status          text,
    sla_due         timestamptz,       -- applied: the deadline after it, NULL unless running
    event_id        uuid,              -- applied: the status-changed event's id
    dead_letter_id  bigint,            -- refused: dead_letters.id
    src_topic       text,              -- where it was consumed (NULL for 57)
    src_partition   integer,
    src_offset      bigint,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE WHEN error_code IS NULL
                THEN status IS NOT NULL AND previous_status IS NOT NULL AND event_id IS NOT NULL
                ELSE status IS NULL AND previous_status IS NULL AND event_id IS NULL
                     AND sla_due IS NULL END),
    CHECK (status_id IS NOT NULL OR (code = '57' AND error_code IS NULL))
);
CREATE INDEX IF NOT EXISTS permit_history_permit_idx ON permit_history (permit_id, id);
-- A status_id is recorded once (a repeat with the same bytes changes nothing); only a
-- DUPLICATE_CONFLICT may repeat it.
CREATE UNIQUE INDEX IF NOT EXISTS permit_history_status_id_idx ON permit_history (status_id)
    WHERE error_code IS DISTINCT FROM 'DUPLICATE_CONFLICT';
-- A permit is deemed approved at most once, whatever the number of instances.
CREATE UNIQUE INDEX IF NOT EXISTS permit_history_deemed_idx ON permit_history (permit_id)
    WHERE code = '57';

-- ---- the working-day calendar, for the backfill ----------------------------------------------
-- These functions mirror daemon/calendar.c (cal_jakarta_date, cal_add_working_days,
-- cal_sla_due) so the migration can give the permits of decisions stored before it their
-- deadline; ossd itself computes deadlines in C. tests/e2e/test_permit_cli.py checks that both
-- agree on a table of dates. Asia/Jakarta is a fixed UTC+7 (no daylight saving since 1964).

-- The Asia/Jakarta calendar date of an instant.
CREATE OR REPLACE FUNCTION ossd_jakarta_date(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ((t AT TIME ZONE 'UTC') + interval '7 hours')::date
$$;

-- The nth working day after d (d itself never counts; d when n = 0): Monday to Friday and not
-- one of holidays.
CREATE OR REPLACE FUNCTION ossd_add_working_days(d date, n integer, holidays date[])
RETURNS date LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    WHILE n > 0 LOOP
        d := d + 1;
        IF extract(isodow FROM d) < 6 AND NOT (d = ANY (holidays)) THEN
            n := n - 1;
        END IF;
    END LOOP;
    RETURN d;
END
$$;

-- sla_due of a last working day: 00:00 Asia/Jakarta of the day after it.
CREATE OR REPLACE FUNCTION ossd_sla_due(last_day date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ((last_day + 1)::timestamp - interval '7 hours') AT TIME ZONE 'UTC'
$$;

-- Makes a permit of every stored activity that has none yet, with the active reference data:
-- N of (kbli, the submission's scale), else of (kbli, every scale), else 5; the holidays of the
-- active version. Returns how many it added. 006 runs it once; a later migration may run it
-- again for the activities stored before ossd writes permits itself.
CREATE OR REPLACE FUNCTION ossd_backfill_permits() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    hol date[] := coalesce((SELECT array_agg(h.day ORDER BY h.day)
                            FROM ref_holidays h JOIN ref_versions v
                              ON v.kind = 'holidays' AND v.active AND v.version = h.version),
                           '{}');
    sla_version text := (SELECT version FROM ref_versions WHERE kind = 'sla' AND active);
    added bigint;
BEGIN
    WITH a AS (
        SELECT b.nib || '-' || act.kbli || '-' || replace(act.district, '.', '') AS permit_id,
               b.nib, act.kbli, act.district, act.actor_id, act.risk, act.submission_id,
               s.decided_at,
               CASE WHEN act.permit_status IN ('issued', 'pending_verification')
                    THEN act.permit_status
                    WHEN act.risk IN ('MT', 'T') THEN 'pending_verification'
                    ELSE 'issued' END AS status,
               coalesce((SELECT r.working_days FROM ref_sla r
                         WHERE r.version = sla_version AND r.kbli = act.kbli
                           AND r.scale IN (coalesce(s.scale, ''), '')
                         ORDER BY r.scale DESC LIMIT 1), 5) AS n
        FROM activities act
        JOIN business_actors b ON b.actor_id = act.actor_id
        JOIN submissions s ON s.submission_id = act.submission_id
    ), p AS (
        SELECT a.*, CASE WHEN a.status = 'pending_verification'
                         THEN ossd_add_working_days(ossd_jakarta_date(a.decided_at), a.n, hol)
                    END AS last_day
        FROM a
    ), ins AS (
        INSERT INTO permits (permit_id, nib, kbli, district, actor_id, risk, status, clock,
                             sla_days, last_day, sla_due, submission_id, decided_at)
        SELECT permit_id, nib, kbli, district, actor_id, risk, status,
               CASE WHEN status = 'pending_verification' THEN 'running' ELSE 'none' END,
               CASE WHEN status = 'pending_verification' THEN n END,
               last_day, ossd_sla_due(last_day), submission_id, decided_at
        FROM p
        ON CONFLICT (permit_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO added FROM ins;
    RETURN added;
END
$$;

SELECT ossd_backfill_permits();
