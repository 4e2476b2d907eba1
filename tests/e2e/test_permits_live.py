"""Permits made at decision time (docs/lifecycle.md): every activity of an issued submission
becomes a row of permits in the batch transaction, and the issued event's activities carry its
permit_id and, pending, its sla_due, exactly as the oracle computes them (tests/pylib/lifecycle.py
for the working days) with holidays and an SLA table imported with `ossctl refdata import`;
`ossctl permit show` finds a new decision's permit; a frozen (05) or revoked (06) NIB rejects a
submission with NIB_FROZEN / NIB_REVOKED and registers nothing; migration 008 gives the
decisions stored before ossd wrote permits theirs."""
import datetime
import json
import os
import time

import harness
import lifecycle
import oracle
import test_permit_cli as pc
from oracle import encode, submission

# the holidays of the test: the next two weekdays after today in Jakarta (so that every deadline
# counted from a decision made now crosses them), and a fixed date
TODAY = lifecycle.jakarta_date(int(time.time() * 1000))
NEXT_WEEKDAYS = [d for d in (TODAY + datetime.timedelta(days=k) for k in range(1, 8))
                 if d.isoweekday() <= 5][:2]
HOLIDAYS_CSV = "date,name\n" + "".join("%s,Libur Uji %d\n" % (d.isoformat(), i)
                                       for i, d in enumerate(NEXT_WEEKDAYS)) + \
    "2027-01-01,Tahun Baru Masehi\n"
# 56290 (MT) 7 days for every scale, 2 for scale 01; 47721 (T) 12 for scale 01 only
SLA_CSV = "kbli,scale,working_days\n56290,,7\n56290,01,2\n47721,01,12\n"


def write(env, name, text):
    path = os.path.join(env.workdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def import_calendar(env, o):
    """The test's holidays and SLA table, active in PostgreSQL and in the oracle."""
    hol, sla = write(env, "holidays.csv", HOLIDAYS_CSV), write(env, "sla.csv", SLA_CSV)
    harness.ossctl(env.pg_url, "refdata", "import", "holidays", hol)
    harness.ossctl(env.pg_url, "refdata", "import", "sla", sla)
    o.rd.import_holidays_csv(hol)
    o.rd.import_sla_csv(sla)


def msgs_of(subs):
    return [(oracle.partition_key(encode(s)), encode(s)) for s in subs]


def by_sid(event_msgs):
    return {json.loads(m.value())["data"]["submission_id"]: json.loads(m.value())
            for m in event_msgs}


def test_issued_events_carry_permits_as_the_oracle_computes(env):
    o = oracle.Oracle()
    import_calendar(env, o)
    d = env.daemon()
    subs = [
        # scale 01 (capital 50 M): 56290 2 days, 47721 12 days, 56102 (R) issued
        submission("live-1", serial=1, kblis=("56290", "47721", "56102")),
        # scale 03: 56290 7 days (every scale), 47721 the statutory 5
        submission("live-2", serial=2, capital=6_000_000_000, kblis=("56290", "47721")),
        # no SLA row at all: 5 days; a village location: its district names the permit
        submission("live-3", serial=3, kblis=("11040",), location="33.74.02.1001"),
        submission("live-4", serial=4, kblis=("56102",), location="33.74.03"),
    ]
    events, dlq = oracle.run_corpus(env, msgs_of(subs), o)
    problems = oracle.compare(o, events, dlq)
    assert problems == [], "\n".join(problems)
    ev = by_sid(events)
    assert all(e["type"] == "id.go.oss.submission.issued.v1" for e in ev.values()), ev
    permits = {r[0]: r[1:] for r in env.sql(
        "SELECT permit_id, status, clock, sla_days, last_day, sla_due, submission_id, "
        "decided_at, nib, risk FROM permits")}
    n_acts = env.sql("SELECT count(*) FROM activities")[0][0]
    assert len(permits) == n_acts == sum(len(s["business"]["activities"]) for s in subs)
    want_days = {("live-1", "56290"): 2, ("live-1", "47721"): 12, ("live-2", "56290"): 7,
                 ("live-2", "47721"): 5, ("live-3", "11040"): 5}
    cal = lifecycle.Calendar(o.rd.holidays)
    for sid, e in ev.items():
        data = e["data"]
        decided = lifecycle.parse_instant(data["decided_at"])
        for a in data["activities"]:
            p = permits[a["permit_id"]]
            assert p[5] == sid and lifecycle.parse_instant(p[6].isoformat()) == decided
            assert (p[7], p[8]) == (data["nib"], a["risk"])
            if a["status"] == "pending_verification":
                n = want_days[(sid, a["kbli"])]
                last, due = cal.deadline(decided, n)
                assert p[:3] == ("pending_verification", "running", n), (sid, a, p)
                assert p[3] == last and pc.ms_of(p[4]) == due, (sid, a, p)
                assert a["sla_due"] == oracle.format_instant(due), (sid, a)
            else:
                assert p[:5] == ("issued", "none", None, None, None), (sid, a, p)
                assert "sla_due" not in a
    assert ev["live-3"]["data"]["activities"][0]["permit_id"].endswith("-11040-337402")
    # the imported holidays moved every deadline (a decision made just before midnight in
    # Jakarta could start a day later, never before them)
    plain = lifecycle.Calendar()
    for sid, e in ev.items():
        decided = lifecycle.parse_instant(e["data"]["decided_at"])
        for a in e["data"]["activities"]:
            if "sla_due" in a:
                n = want_days[(sid, a["kbli"])]
                assert lifecycle.parse_instant(a["sla_due"]) > plain.deadline(decided, n)[1] \
                    or lifecycle.jakarta_date(decided) != TODAY, (sid, a)
    # the operator finds a new decision's permit
    pid = ev["live-1"]["data"]["activities"][1]["permit_id"]
    out = harness.ossctl(env.pg_url, "permit", "show", pid).stdout
    fields = dict(ln.split(None, 1) for ln in out.splitlines()[:out.splitlines().index("")])
    assert fields["permit_id"] == pid and fields["status"] == "pending_verification", out
    assert fields["clock"] == "running", out
    assert "history: no status update yet" in out, out
    running = harness.ossctl(env.pg_url, "sla", "due").stdout.splitlines()[-1]
    assert running.startswith("%d running deadlines, " % sum(
        1 for p in permits.values() if p[1] == "running")), running
    assert d.stop() == 0


def test_frozen_or_revoked_nib_rejects_and_registers_nothing(env):
    o = oracle.Oracle()
    env.daemon()
    a, b = submission("nib-a1", serial=11), submission("nib-b1", serial=12)
    events, dlq = oracle.run_corpus(env, msgs_of([a, b]), o)
    nibs = {sid: e["data"]["nib"] for sid, e in by_sid(events).items()}
    key_a, key_b = oracle.actor_key(a), oracle.actor_key(b)
    env.sql("UPDATE business_actors SET nib_status = '05' WHERE nib = %s", nibs["nib-a1"])
    env.sql("UPDATE business_actors SET nib_status = '06' WHERE nib = %s", nibs["nib-b1"])
    o.set_nib_status(key_a, "05")
    o.set_nib_status(key_b, "06")
    before = env.sql("SELECT (SELECT count(*) FROM business_actors), "
                     "(SELECT count(*) FROM activities), (SELECT count(*) FROM permits)")[0]
    # new activities for both, one that A already holds, and a KBLI unknown to the data
    a2 = submission("nib-a2", serial=11, kblis=("47721",))
    a3 = submission("nib-a3", serial=11, kblis=("56102", "99999"))
    b2 = submission("nib-b2", serial=12, kblis=("56290",))
    events, dlq = oracle.run_corpus(env, msgs_of([a2, a3, b2]), o)
    problems = oracle.compare(o, events, dlq)
    assert problems == [], "\n".join(problems)
    ev = by_sid(events)
    for sid, code in (("nib-a2", "NIB_FROZEN"), ("nib-b2", "NIB_REVOKED")):
        assert ev[sid]["type"] == "id.go.oss.submission.rejected.v1"
        r = ev[sid]["data"]["reasons"]
        assert [(x["code"], x["path"]) for x in r] == [(code, "/applicant")], r
        nik = (a2 if sid == "nib-a2" else b2)["applicant"]["nik"]
        assert nik not in json.dumps(ev[sid]) and nik[:6] not in r[0]["message"]
    assert [x["code"] for x in ev["nib-a3"]["data"]["reasons"]] == \
        ["KBLI_UNKNOWN", "ACTIVITY_DUPLICATE", "NIB_FROZEN"]
    after = env.sql("SELECT (SELECT count(*) FROM business_actors), "
                    "(SELECT count(*) FROM activities), (SELECT count(*) FROM permits)")[0]
    assert after == before, (before, after)
    stored = dict(env.sql("SELECT submission_id, reasons::text FROM submissions "
                          "WHERE status = 'rejected'"))
    assert "NIB_FROZEN" in stored["nib-a2"] and "NIB_REVOKED" in stored["nib-b2"]
    # unfrozen: the same actor is issued again under its NIB
    env.sql("UPDATE business_actors SET nib_status = '01' WHERE nib = %s", nibs["nib-a1"])
    o.set_nib_status(key_a, "01")
    a4 = submission("nib-a4", serial=11, kblis=("47721",))
    events, dlq = oracle.run_corpus(env, msgs_of([a4]), o)
    problems = oracle.compare(o, events, dlq)
    assert problems == [], "\n".join(problems)
    e4 = by_sid(events)["nib-a4"]
    assert e4["type"] == "id.go.oss.submission.issued.v1" and e4["data"]["nib"] == nibs["nib-a1"]
    assert e4["data"]["nib_new"] is False


def test_migration_008_gives_stored_decisions_their_permits(env):
    pg = env.stack.new_database()
    pc.migrate_with(pg, pc.partial_datadir(env.workdir, 6))
    # decisions stored after 006 by an ossd that did not write permits yet
    d1 = "2026-12-22T10:00:00+07:00"
    nib = pc.store_decision(pg, "old-1", d1, "01", [("33.74.01", "56290", "MT"),
                                                    ("33.74.01", "56102", "R")])
    assert harness.sql(pg, "SELECT count(*) FROM permits")[0][0] == 0
    out = pc.migrate_with(pg, os.path.join(harness.REPO, "schemas"))
    assert "applied 008_permits_live.sql" in out, out
    rows = {r[0]: r[1:] for r in harness.sql(
        pg, "SELECT permit_id, status, clock, sla_days, last_day, sla_due FROM permits")}
    cal = lifecycle.Calendar(pc.SEED_HOLIDAYS)
    last, due = cal.deadline(lifecycle.parse_instant(d1), 5)
    p = rows[nib + "-56290-337401"]
    assert p[:4] == ("pending_verification", "running", 5, last) and pc.ms_of(p[4]) == due, p
    assert rows[nib + "-56102-337401"][:2] == ("issued", "none")
    assert len(rows) == 2
    assert harness.sql(pg, "SELECT nib_status FROM business_actors")[0][0] == "01"
    # migrating again changes nothing
    pc.migrate_with(pg, os.path.join(harness.REPO, "schemas"))
    assert harness.sql(pg, "SELECT count(*) FROM permits")[0][0] == 2


def test_one_by_one_fallback_writes_the_same_permits(env):
    """A batch that keeps failing is committed message by message (daemon/writer.c): each
    issued message still gets its permits, announced by its event, and the message the
    database refuses gets none."""
    import sample
    msgs, ids = sample.corpus(120, 83, "obo")
    poison = sorted(ids)[17]
    env.sql("CREATE FUNCTION poison_uv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'duplicate key value violates unique constraint \"poison\"' "
            "USING ERRCODE = 'unique_violation'; END $$")
    env.sql("CREATE TRIGGER poison_uv BEFORE INSERT ON submissions FOR EACH ROW "
            "WHEN (NEW.submission_id = '%s') EXECUTE FUNCTION poison_uv()" % poison)
    d = env.daemon(batch_max=200)
    events = env.collector(harness.TOPICS[1])
    env.produce(msgs)
    decided, dead = env.check_offsets(len(msgs), timeout=180)
    assert (decided, dead) == (len(msgs) - 1, 1)
    assert "one by one" in d.log_since_start()
    events.wait(lambda m: len({json.loads(x.value())["data"]["submission_id"] for x in m})
                >= decided, 120, "an event for every decision")
    permits = {r[0]: r[1:] for r in env.sql(
        "SELECT permit_id, submission_id, (extract(epoch FROM decided_at) * 1000)::bigint, "
        "(extract(epoch FROM sla_due) * 1000)::bigint FROM permits")}
    assert len(permits) == env.sql("SELECT count(*) FROM activities")[0][0] > 0
    assert not any(p[0] == poison for p in permits.values())
    checked = set()
    for m in events.messages:
        ev = json.loads(m.value())
        sid = ev["data"]["submission_id"]
        if not ev["type"].endswith(".issued.v1") or sid in checked:
            continue
        checked.add(sid)
        decided_ms = lifecycle.parse_instant(ev["data"]["decided_at"])
        for a in ev["data"]["activities"]:
            due = lifecycle.parse_instant(a["sla_due"]) if "sla_due" in a else None
            assert permits.pop(a["permit_id"]) == (sid, decided_ms, due), (sid, a)
    assert permits == {}
