"""Permits in PostgreSQL (schemas/sql/006_permits.sql) and their operator commands: the migration
upgrading a database with stored decisions in place (each activity a permit, R/MR issued, MT/T
pending with the deadline lib/base/calendar.c gives), the SQL working-day functions agreeing with
the C calendar on a table of dates, `ossctl permit show` (the history newest last, refused
updates with their code, never the officer's identity or the note) and
`ossctl sla due` (running deadlines soonest first, --before). The rows the commands read are
inserted directly (ossd's own permits: tests/e2e/test_permits_live.py)."""
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import uuid

import psycopg2
import pytest

import harness
import lifecycle
import sample

CLI = os.path.join(harness.BUILD, "tests", "test_permit")
SEED_HOLIDAYS = ["%d-%s" % (y, md) for y in (2026, 2027)
                 for md in ("01-01", "05-01", "06-01", "08-17", "12-25")]


ossctl = harness.ossctl
sql = harness.sql


def c_deadlines(cases):
    """[(last_day ISO date, sla_due ms)] of lib/base/calendar.c for [(decided_at, n, holidays)]."""
    subprocess.run(["make", "-s", "build/tests/test_permit"], cwd=harness.REPO, check=True,
                   capture_output=True, timeout=600)
    text = "".join(json.dumps({"name": str(i), "risk": "MT", "decided_at": d, "n": n,
                               "holidays": sorted(h), "steps": []}) + "\n"
                   for i, (d, n, h) in enumerate(cases))
    p = subprocess.run([CLI, "--cli"], input=text, capture_output=True, text=True, timeout=120,
                       check=True)
    out = [json.loads(line)["final"] for line in p.stdout.splitlines()]
    return [(f["last_day"], f["sla_due"]) for f in out]


def ms_of(ts):
    return lifecycle.parse_instant(ts.isoformat())


DATES = [
    ("2026-11-30T10:00:00+07:00", 5, SEED_HOLIDAYS),   # Monday: L the next Monday
    ("2026-12-04T23:59:59.999+07:00", 1, SEED_HOLIDAYS),  # Friday night: Monday
    ("2026-12-04T17:00:00Z", 1, SEED_HOLIDAYS),        # Saturday 00:00 Jakarta: Monday
    ("2026-12-21T10:00:00+07:00", 5, SEED_HOLIDAYS),   # across Christmas
    ("2026-12-28T10:00:00+07:00", 5, SEED_HOLIDAYS),   # across New Year
    ("2026-12-31T16:59:59.999Z", 3, SEED_HOLIDAYS),    # the last ms of 2026 in Jakarta
    ("2026-08-03T16:00:00+07:00", 20, SEED_HOLIDAYS),  # across 17 August
    ("2026-04-30T12:00:00+07:00", 2, SEED_HOLIDAYS),   # 1 May (Friday) then the weekend
    ("2026-05-29T12:00:00+07:00", 1, SEED_HOLIDAYS),   # 1 June (Monday)
    ("2026-11-30T10:00:00+07:00", 5, []),
    ("2026-11-30T10:00:00+07:00", 5, ["2026-12-01", "2026-12-02", "2026-12-03"]),
    ("2027-12-20T08:00:00+07:00", 30, SEED_HOLIDAYS),
    ("2026-02-27T12:00:00+07:00", 2, []),               # February's end
]


def test_sql_calendar_agrees_with_c(env):
    want = c_deadlines(DATES)
    for (decided, n, hol), (last_day, due) in zip(DATES, want):
        got = sql(env.pg_url, "SELECT d, ossd_sla_due(d) FROM (SELECT ossd_add_working_days("
                  "ossd_jakarta_date(%s::timestamptz), %s, %s::date[]) AS d) x", decided, n,
                  list(hol))[0]
        assert (got[0].isoformat(), ms_of(got[1])) == (last_day, due), (decided, n)


# ---- the migration upgrading a database with stored decisions ---------------------------------

def partial_datadir(workdir, upto):
    """A datadir holding the migrations numbered <= upto."""
    d = os.path.join(workdir, "datadir-%d" % upto)
    os.makedirs(os.path.join(d, "sql"))
    src = os.path.join(harness.REPO, "schemas", "sql")
    for name in sorted(os.listdir(src)):
        if name.endswith(".sql") and int(name[:3]) <= upto:
            shutil.copy(os.path.join(src, name), os.path.join(d, "sql"))
    return d


def migrate_with(pg_url, datadir):
    r = subprocess.run([harness.OSSCTL, "--pg-url", pg_url, "migrate"],
                       env=dict(os.environ, OSSD_DATADIR=datadir), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def store_decision(pg_url, sid, decided_at, scale, activities):
    """A stored issued decision as ossd writes it (actor, submission, activities); returns the
    NIB. activities: [(district, kbli, risk)]."""
    nib = sql(pg_url, "INSERT INTO business_actors (actor_key) VALUES (%s) RETURNING nib",
              "nik:%016d" % (abs(hash(sid)) % 10 ** 16))[0][0]
    actor = sql(pg_url, "SELECT actor_id FROM business_actors WHERE nib = %s", nib)[0][0]
    sql(pg_url, "INSERT INTO submissions (submission_id, payload_sha256, status, actor_id, nib, "
        "nib_new, channel, scale, event_id, decided_at, src_topic, src_partition, src_offset) "
        "VALUES (%s, %s, 'issued', %s, %s, true, 'web', %s, %s, %s, 'oss.submissions.v1', 0, 0)",
        sid, hashlib.sha256(sid.encode()).digest(), actor, nib, scale, str(uuid.uuid4()),
        decided_at)
    for district, kbli, risk in activities:
        status = "issued" if risk in ("R", "MR") else "pending_verification"
        sql(pg_url, "INSERT INTO activities (actor_id, district, kbli, risk, permit, "
            "permit_status, submission_id) VALUES (%s, %s, %s, %s, %s, %s, %s)", actor,
            district, kbli, risk, "IZIN" if risk == "T" else "NIB", status, sid)
    return nib


def test_migration_makes_permits_of_stored_activities(env):
    pg = env.stack.new_database()
    migrate_with(pg, partial_datadir(env.workdir, 4))
    assert sql(pg, "SELECT to_regclass('permits')")[0][0] is None
    # N per KBLI in the active SLA version: 10 for 56102 of every scale, 3 for scale 01
    sql(pg, "INSERT INTO ref_versions (kind, version) VALUES ('sla', 'v2')")
    sql(pg, "INSERT INTO ref_sla (version, kbli, scale, working_days) VALUES "
        "('v2', '56102', '', 10), ('v2', '56102', '01', 3)")
    sql(pg, "UPDATE ref_versions SET active = (version = 'v2') WHERE kind = 'sla'")
    d1, d2 = "2026-12-21T10:00:00+07:00", "2026-12-28T15:30:00+07:00"
    nib1 = store_decision(pg, "sub-1", d1, "02", [("33.74.01", "56102", "MT"),
                                                  ("33.74.01", "47111", "R"),
                                                  ("33.74.02", "10110", "T")])
    nib2 = store_decision(pg, "sub-2", d2, "01", [("31.71.01", "56102", "MT"),
                                                  ("31.71.01", "62010", "MR")])
    out = migrate_with(pg, os.path.join(harness.REPO, "schemas"))
    assert "applied 006_permits.sql" in out, out
    rows = sql(pg, "SELECT permit_id, nib, kbli, district, risk, status, clock, sla_days, "
               "last_day, sla_due, submission_id, decided_at FROM permits ORDER BY permit_id")
    by_id = {r[0]: r for r in rows}
    assert set(by_id) == {nib1 + "-56102-337401", nib1 + "-47111-337401",
                          nib1 + "-10110-337402", nib2 + "-56102-317101",
                          nib2 + "-62010-317101"}
    want = c_deadlines([(d1, 10, SEED_HOLIDAYS), (d1, 5, SEED_HOLIDAYS),
                        (d2, 3, SEED_HOLIDAYS)])
    for pid, n, (last_day, due) in ((nib1 + "-56102-337401", 10, want[0]),
                                    (nib1 + "-10110-337402", 5, want[1]),
                                    (nib2 + "-56102-317101", 3, want[2])):
        r = by_id[pid]
        assert r[5:8] == ("pending_verification", "running", n), r
        assert (r[8].isoformat(), ms_of(r[9])) == (last_day, due), r
    for pid in (nib1 + "-47111-337401", nib2 + "-62010-317101"):
        assert by_id[pid][5:10] == ("issued", "none", None, None, None), by_id[pid]
    assert by_id[nib1 + "-10110-337402"][10] == "sub-1"
    assert ms_of(by_id[nib2 + "-62010-317101"][11]) == lifecycle.parse_instant(d2)
    # migrating again changes nothing; the backfill adds only what is missing
    migrate_with(pg, os.path.join(harness.REPO, "schemas"))
    assert sql(pg, "SELECT count(*) FROM permits")[0][0] == 5
    assert sql(pg, "SELECT ossd_backfill_permits()")[0][0] == 0
    store_decision(pg, "sub-3", d2, "03", [("31.71.02", "56102", "MT")])
    assert sql(pg, "SELECT ossd_backfill_permits()")[0][0] == 1
    ossctl(pg, "sla", "due")


def undo_006(pg):
    """Takes a database back to the schema before 006 (which only adds)."""
    sql(pg, "DROP TABLE permits, permit_history; DROP FUNCTION ossd_backfill_permits(), "
        "ossd_add_working_days(date, integer, date[]), ossd_sla_due(date), "
        "ossd_jakarta_date(timestamptz); DELETE FROM schema_migrations WHERE version = 6")


def lifecycle_submissions(n, prefix):
    """n valid submissions, every other one with an MT or a T activity besides its own."""
    gen = sample.Generator(seed=61, invalid_ratio=0, prefix=prefix)
    msgs = []
    for i in range(n):
        sub = gen.valid()
        if i % 2 == 0:
            kbli = ("47721", "56290")[i % 4 // 2]
            if all(a["kbli"] != kbli for a in sub["business"]["activities"]):
                sub["business"]["activities"].append({"kbli": kbli, "description": "Apotek"})
        msgs.append((sample.key_of(sub), sample.encode(sub)))
    return msgs


def test_upgrade_of_decisions_by_ossd_then_ossd_runs_on_it(env):
    d = env.daemon()
    env.produce(lifecycle_submissions(40, "up"))
    env.wait_decided(40)
    assert d.stop() == 0
    undo_006(env.pg_url)  # ossd writes permits now: the decisions it made lose theirs
    out = migrate_with(env.pg_url, os.path.join(harness.REPO, "schemas"))
    assert "applied 006_permits.sql" in out, out
    acts = env.sql("SELECT b.nib, a.kbli, a.district, a.risk, a.permit_status, s.decided_at "
                   "FROM activities a JOIN business_actors b USING (actor_id) "
                   "JOIN submissions s USING (submission_id) ORDER BY 1, 2, 3")
    pending = [a for a in acts if a[4] == "pending_verification"]
    assert len(pending) >= 10 and len(acts) > len(pending), acts
    permits = {r[0]: r[1:] for r in env.sql(
        "SELECT permit_id, status, clock, last_day, sla_due FROM permits")}
    assert len(permits) == len(acts)
    want = c_deadlines([(a[5].isoformat(), 5, SEED_HOLIDAYS) for a in pending])
    for a in acts:
        p = permits["%s-%s-%s" % (a[0], a[1], a[2].replace(".", ""))]
        assert p[0] == a[4] and p[1] == ("running" if a[4] == "pending_verification" else "none")
    for a, (last_day, due) in zip(pending, want):
        p = permits["%s-%s-%s" % (a[0], a[1], a[2].replace(".", ""))]
        assert (p[2].isoformat(), ms_of(p[3])) == (last_day, due), a
    # ossd starts on the upgraded schema and goes on deciding
    env.daemon()
    env.produce(lifecycle_submissions(50, "up")[40:])
    env.wait_decided(50)
    # the backfilled permits and those of the new decisions, which ossd writes itself
    running = env.sql("SELECT count(*) FROM permits WHERE clock = 'running'")[0][0]
    assert running > len(pending)
    assert env.sql("SELECT count(*) FROM permits")[0][0] == \
        env.sql("SELECT count(*) FROM activities")[0][0]
    last = ossctl(env.pg_url, "sla", "due").stdout.splitlines()[-1]
    assert last.startswith("%d running deadlines, " % running), last


# ---- ossctl permit show ----------------------------------------------------------------------

PID = "8120000000017-56102-337401"
OFFICER_ID, OFFICER_NAME = "198001012005011002", "Siti Rahmawati"


def insert_permit(pg, pid, status="pending_verification", clock="running", due=None,
                  last_day=None, n=5, risk="MT"):
    sql(pg, "INSERT INTO permits (permit_id, nib, kbli, district, actor_id, risk, status, "
        "clock, sla_days, last_day, sla_due, stopped_at, submission_id, decided_at) VALUES "
        "(%s, %s, %s, %s, 17, %s, %s, %s, %s, %s, %s, %s, 'sub-17', "
        "'2026-11-30T10:00:00+07:00')", pid, pid[:13], pid[14:19],
        "%s.%s.%s" % (pid[20:22], pid[22:24], pid[24:26]), risk, status, clock,
        n if clock != "none" else None, last_day, due,
        "2026-12-04T09:00:00+07:00" if clock.startswith("stopped") else None)


def insert_history(pg, pid, status_id, code, at, error=None, prev=None, to=None, due=None,
                   note=None, number=None):
    sql(pg, "INSERT INTO permit_history (permit_id, status_id, code, status_at, agency, "
        "officer_id, officer_name, note, permit_number, error_code, previous_status, status, "
        "sla_due, event_id, src_topic, src_partition, src_offset) VALUES (%s, %s, %s, %s, "
        "'K04', %s, %s, %s, %s, %s, %s, %s, %s, %s, 'oss.license-status.v1', 0, 0)",
        pid, status_id, code, at, OFFICER_ID, OFFICER_NAME, note, number, error, prev, to,
        due, None if error else str(uuid.uuid4()))


def test_permit_show_history_newest_last(env):
    pg = env.pg_url
    insert_permit(pg, PID, status="issued", clock="none")
    insert_history(pg, PID, "st-1", "10", "2026-12-01T09:00:00+07:00",
                   prev="pending_verification", to="pending_verification",
                   due="2026-12-08T00:00:00+07:00", note="dokumen lengkap, NIK 3374010101900001")
    insert_history(pg, PID, "st-2", "90", "2026-11-30T09:00:00+07:00",
                   error="TRANSITION_INVALID")
    insert_history(pg, PID, "st-3", "57", "2026-12-01T09:00:00+07:00", error="CODE_UNKNOWN")
    insert_history(pg, PID, "st-4", "50", "2026-12-02T11:00:00+07:00",
                   prev="pending_verification", to="issued", number="503/IZIN/2026")
    out = ossctl(pg, "permit", "show", PID).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["permit_id", PID], out
    fields = dict(ln.split(None, 1) for ln in lines[:lines.index("")])
    assert fields["status"] == "issued" and fields["clock"] == "none"
    assert fields["sla_due"] == "-" and fields["decided_at"] == "2026-11-30 10:00:00+07"
    hist = lines[lines.index("history (4, newest last):") + 2:]
    assert [ln.split()[3] for ln in hist] == ["st-1", "st-2", "st-3", "st-4"], out
    assert "TRANSITION_INVALID" in hist[1] and "CODE_UNKNOWN" in hist[2]
    assert "applied" in hist[0] and "503/IZIN/2026" in hist[3]
    assert "2026-12-02 11:00:00+07" in hist[3]  # Asia/Jakarta
    for secret in (OFFICER_ID, OFFICER_NAME, "dokumen lengkap", "3374010101900001"):
        assert secret not in out
    assert "37 chars" in hist[0]  # only the note's length


def test_permit_show_without_history_and_errors(env):
    pg = env.pg_url
    insert_permit(pg, PID, due="2026-12-08T00:00:00+07:00", last_day="2026-12-07")
    out = ossctl(pg, "permit", "show", PID).stdout
    assert "history: no status update yet" in out
    assert "2026-12-08 00:00:00+07" in out and "running" in out
    r = ossctl(pg, "permit", "show", "8120000000017-56102-337402", expect=1)
    assert "no permit 8120000000017-56102-337402" in r.stderr
    for bad in (["permit", "show", "8120000000017-56102-33740"], ["permit", "show"],
                ["permit", "list"], ["permit", "show", PID, "--notes"],
                ["permit", "show", PID, PID]):
        ossctl(pg, *bad, expect=2)


# ---- ossctl sla due --------------------------------------------------------------------------

def test_sla_due_lists_running_deadlines_soonest_first(env):
    pg = env.pg_url
    now = datetime.datetime.now(datetime.timezone.utc)
    past = (now - datetime.timedelta(days=1)).isoformat()
    soon = (now + datetime.timedelta(days=2)).isoformat()
    later = (now + datetime.timedelta(days=30)).isoformat()
    a, b, c = ("8120000000001-56102-337401", "8120000000002-56102-337401",
               "8120000000003-10110-317101")
    insert_permit(pg, c, due=later, last_day="2030-01-01")
    insert_permit(pg, a, due=soon, last_day="2030-01-01")
    insert_permit(pg, b, due=past, last_day="2030-01-01")
    insert_permit(pg, "8120000000004-56102-337401", clock="stopped_41", due=past,
                  last_day="2030-01-01")
    insert_permit(pg, "8120000000005-56102-337401", status="approved_deemed", clock="none")
    out = ossctl(pg, "sla", "due").stdout
    rows = [ln.split() for ln in out.splitlines()[1:-1]]
    assert [r[0] for r in rows] == [b, a, c], out
    assert [r[-1] for r in rows] == ["yes", "no", "no"], out
    assert out.splitlines()[-1] == "3 running deadlines, 1 overdue", out
    out = ossctl(pg, "sla", "due", "--before", (now + datetime.timedelta(days=3)).isoformat()
                 ).stdout
    assert [ln.split()[0] for ln in out.splitlines()[1:-1]] == [b, a], out
    out = ossctl(pg, "sla", "due", "--before", "2000-01-01").stdout
    assert out.startswith("0 running deadlines due before 1999-12-31T17:00:00.000Z"), out
    out = ossctl(pg, "sla", "due", "--limit", "1").stdout
    assert [ln.split()[0] for ln in out.splitlines()[1:-1]] == [b], out
    for bad in (["sla", "due", "--before", "tomorrow"], ["sla", "due", "--before"],
                ["sla", "list"], ["sla", "due", "--limit", "x"]):
        ossctl(pg, *bad, expect=2)


@pytest.mark.parametrize("cmd", [["permit", "show", PID], ["sla", "due"]])
def test_commands_listed_in_usage_and_man(cmd):
    r = subprocess.run([harness.OSSCTL, "--help"], capture_output=True, text=True, timeout=60)
    assert " ".join(cmd[:2]) in r.stdout
    with open(os.path.join(harness.REPO, "man", "ossctl.1"), encoding="utf-8") as f:
        assert ".B %s" % " ".join(cmd[:2]) in f.read()


# ---- the schema's own guards -----------------------------------------------------------------

def refused(pg, query, *args):
    with pytest.raises(psycopg2.IntegrityError):
        sql(pg, query, *args)


def test_schema_refuses_inconsistent_rows(env):
    pg = env.pg_url
    insert_permit(pg, PID, due="2026-12-08T00:00:00+07:00", last_day="2026-12-07")
    base = ("INSERT INTO permits (permit_id, nib, kbli, district, actor_id, risk, status, clock, "
            "sla_days, last_day, sla_due, submission_id, decided_at) VALUES (%s, '8120000000018', "
            "'56102', '33.74.01', 18, 'MT', %s, %s, %s, %s, %s, 's', now())")
    other = "8120000000018-56102-337401"
    refused(pg, base, other, "pending_verification", "none", None, None, None)
    refused(pg, base, other, "issued", "running", 5, "2026-12-07", "2026-12-08")
    refused(pg, base, other, "pending_verification", "running", 5, None, None)
    refused(pg, base, other, "pending_verification", "stopped_41", 5, "2026-12-07", "2026-12-08")
    refused(pg, base, other, "approved", "none", None, None, None)
    refused(pg, base, "8120000000018-56102-33.74.01", "issued", "none", None, None, None)
    # a deemed approval is recorded once per permit, a status_id once (but for a conflict)
    deemed = ("INSERT INTO permit_history (permit_id, code, status_at, previous_status, status, "
              "event_id) VALUES (%s, '57', '2026-12-08T00:00:00+07:00', 'pending_verification', "
              "'approved_deemed', %s)")
    sql(pg, deemed, PID, str(uuid.uuid4()))
    refused(pg, deemed, PID, str(uuid.uuid4()))
    insert_history(pg, PID, "st-9", "50", "2026-12-09T09:00:00+07:00",
                   prev="approved_deemed", to="issued")
    refused(pg, "INSERT INTO permit_history (permit_id, status_id, code, status_at, error_code) "
            "VALUES (%s, 'st-9', '90', now(), 'TRANSITION_INVALID')", PID)
    for _ in range(2):
        insert_history(pg, PID, "st-9", "90", "2026-12-09T09:00:00+07:00",
                       error="DUPLICATE_CONFLICT")
    # an applied row needs its statuses and event id; a refused one has no event
    refused(pg, "INSERT INTO permit_history (permit_id, status_id, code, status_at) "
            "VALUES (%s, 'st-10', '10', now())", PID)
    refused(pg, "INSERT INTO permit_history (permit_id, status_id, code, status_at, error_code, "
            "event_id) VALUES (%s, 'st-11', '10', now(), 'CODE_UNKNOWN', %s)", PID,
            str(uuid.uuid4()))
    refused(pg, "INSERT INTO permit_history (permit_id, status_id, code, status_at, error_code) "
            "VALUES (%s, 'st-12', '10', now(), 'PERMIT_UNKNOWN')", PID)
