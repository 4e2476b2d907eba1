"""Intake of permit status updates ([topics] license_status, docs/lifecycle.md): every row of the
status table and every refusal code, table-driven, each case on a permit of its own; the time
boundaries (an equal status_at is applied, an earlier one refused, a later one applied); the
gate codes and SCHEMA_INVALID naming the JSON Pointer; duplicates (same bytes: nothing changes;
other bytes: DUPLICATE_CONFLICT); the status-changed events exact and valid against their schema;
`ossctl permit show` printing the history, newest last; the offsets of the status topic stored
with the effects. Permits are made by deciding submissions and running ossd_backfill_permits()
(until ossd writes them at decision time)."""
import datetime
import json
import os
import tempfile
import time

import harness
import sample
from test_event_schemas import validate
from test_metrics import get, scrape

EVENT_SCHEMA = os.path.join(harness.REPO, "schemas", "events", "permit-status-changed.v1.json")
MT_KBLI = "56290"  # MT in the shipped seed: the permit waits for verification
T0 = datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))


def make_permits(env, n, prefix="lc"):
    """n submissions of n actors, one MT activity each, decided; their permits. Returns
    [(permit_id, nib)], all pending_verification with a running clock."""
    gen = sample.Generator(seed=11, invalid_ratio=0, repeat_ratio=0, prefix=prefix)
    msgs = []
    for _ in range(n):
        s = gen.valid()
        s["applicant"]["type"] = "02"
        s["applicant"].pop("npwp", None)
        s["business"]["activities"] = [{"kbli": MT_KBLI}]
        msgs.append((sample.key_of(s), sample.encode(s)))
    env.produce(msgs)
    env.wait_decided(n)
    env.sql("SELECT ossd_backfill_permits()")
    rows = env.sql("SELECT permit_id, nib FROM permits WHERE status = 'pending_verification' "
                   "AND clock = 'running' ORDER BY permit_id")
    assert len(rows) == n, rows
    return [(p, nib.strip()) for p, nib in rows]


def update(status_id, permit_id, nib, code, at, **extra):
    doc = {"schema": "oss.license-status.v1", "status_id": status_id, "permit_id": permit_id,
           "nib": nib, "code": code, "status_at": at.isoformat(timespec="milliseconds"),
           "agency": "DINKES-3374"}
    doc.update(extra)
    return doc


def encode(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


H = datetime.timedelta(hours=1)
MS = datetime.timedelta(milliseconds=1)

# Each case: a list of (code, status_at, expected) on one fresh pending permit; expected is
# "applied:<status>" or a dead-letter code. Covers every row of the table and its refusals.
CASES = {
    "progress": [("10", T0, "applied:pending_verification"),
                 ("49", T0 + H, "applied:pending_verification")],
    "every_progress_code": [(c, T0 + i * H, "applied:pending_verification") for i, c in enumerate(
        ["05", "09", "10", "11", "12", "20", "30", "31", "32", "33", "34", "40", "45", "49"])],
    "stop41_resume42": [("41", T0, "applied:pending_verification"),
                        ("41", T0 + H, "TRANSITION_INVALID"),
                        ("44", T0 + H, "TRANSITION_INVALID"),
                        ("42", T0 + 2 * H, "applied:pending_verification")],
    "resume42_on_running_clock": [("42", T0, "TRANSITION_INVALID")],
    "stop43_restart44": [("43", T0, "applied:pending_verification"),
                         ("42", T0 + H, "TRANSITION_INVALID"),
                         ("10", T0 + H, "applied:pending_verification"),
                         ("44", T0 + 2 * H, "applied:pending_verification")],
    "restart44_on_running_clock": [("44", T0, "TRANSITION_INVALID")],
    "approve50": [("50", T0, "applied:issued"), ("90", T0 + H, "TRANSITION_INVALID"),
                  ("10", T0 + H, "TRANSITION_INVALID"), ("60", T0 + H, "applied:issued"),
                  ("80", T0 + 2 * H, "applied:issued")],
    "provisional52": [("52", T0, "applied:provisional"), ("60", T0 + H, "applied:provisional"),
                      ("52", T0 + H, "TRANSITION_INVALID"), ("50", T0 + 2 * H, "applied:issued")],
    "provisional_rejected93": [("52", T0, "applied:provisional"),
                               ("93", T0 + H, "applied:rejected")],
    "rejected90_final": [("90", T0, "applied:rejected"), ("50", T0 + H, "TRANSITION_INVALID"),
                         ("10", T0 + H, "TRANSITION_INVALID"), ("70", T0 + H, "TRANSITION_INVALID")],
    "suspend70": [("70", T0, "TRANSITION_INVALID"), ("50", T0, "applied:issued"),
                  ("70", T0 + H, "applied:suspended"), ("60", T0 + H, "TRANSITION_INVALID"),
                  ("50", T0 + 2 * H, "applied:issued")],
    "record60_80_pending": [("60", T0, "TRANSITION_INVALID"), ("80", T0, "TRANSITION_INVALID")],
    # two refused 57s on one permit: both recorded (a deemed approval is what counts once)
    "code57": [("57", T0, "CODE_UNKNOWN"), ("57", T0 + H, "CODE_UNKNOWN")],
    "code91": [("91", T0, "CODE_UNKNOWN")],
    "code92": [("92", T0, "CODE_UNKNOWN")],
    "code99": [("99", T0, "CODE_UNKNOWN"), ("00", T0, "CODE_UNKNOWN")],
    "time_boundaries": [("10", T0, "applied:pending_verification"),
                        ("11", T0, "applied:pending_verification"),  # equal: applied
                        ("12", T0 - MS, "TRANSITION_INVALID"),        # earlier: refused
                        ("20", T0 + MS, "applied:pending_verification"),
                        ("30", T0 + 400 * 24 * H, "applied:pending_verification")],  # far ahead
}


def run_cases(env, permits):
    """Produces every case's updates (keyed by permit_id: one partition each, in order).
    Returns {status_id: (case, i, permit_id, expected, doc)}."""
    msgs, want = [], {}
    for (case, steps), (pid, nib) in zip(sorted(CASES.items()), permits):
        for i, (code, at, expected) in enumerate(steps):
            sid = "st-%s-%d" % (case, i)
            doc = update(sid, pid, nib, code, at)
            want[sid] = (case, i, pid, expected, doc)
            msgs.append((pid.encode(), encode(doc)))
    env.produce(msgs, harness.lifecycle_topics()[0])
    return msgs, want


def status_offsets(env):
    return env.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE topic = %s",
                   harness.lifecycle_topics()[0])[0][0]


def wait_status_offsets(env, n, timeout=180):
    harness.wait_for(lambda: status_offsets(env) >= n, timeout, "%d status offsets stored" % n,
                     interval=0.2)
    assert status_offsets(env) == n


def test_status_table(env):
    env.daemon()
    permits = make_permits(env, len(CASES))
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.lifecycle_topics()[1])
    msgs, want = run_cases(env, permits)
    wait_status_offsets(env, len(msgs))

    hist = {r[0]: r[1:] for r in env.sql(
        "SELECT status_id, error_code, status, previous_status, event_id::text, dead_letter_id, "
        "input FROM permit_history")}
    dead = {r[0]: r[1:] for r in env.sql(
        "SELECT submission_id, error_code, id, src_topic FROM dead_letters")}
    applied = 0
    for sid, (case, i, pid, expected, doc) in want.items():
        code, status, prev, event_id, dead_id, raw = hist[sid]
        assert bytes(raw) == encode(doc), sid
        if expected.startswith("applied:"):
            applied += 1
            assert (code, status) == (None, expected[8:]), (case, i, hist[sid])
            assert sid not in dead
        else:
            assert code == expected, (case, i, hist[sid])
            assert status is None and event_id is None
            assert dead[sid][0] == expected and dead[sid][1] == dead_id, (case, i)
            assert dead[sid][2] == harness.lifecycle_topics()[0]
    # each permit's final status is its last applied one
    for case, steps in CASES.items():
        last = [e for _, _, e in steps if e.startswith("applied:")]
        pid = next(p for s, (c, _, p, _, _) in want.items() if c == case)
        got = env.sql("SELECT status FROM permits WHERE permit_id = %s", pid)[0][0]
        assert got == (last[-1][8:] if last else "pending_verification"), case

    # one event per applied update, under the id stored, valid against its schema, data exact
    col = events.wait(lambda m: sum(1 for x in m if json.loads(x.value())["type"] ==
                                    "id.go.oss.permit.status-changed.v1") >= applied,
                      120, "%d status-changed events" % applied)
    events.poll(1.0)
    evs = [json.loads(m.value()) for m in col
           if json.loads(m.value())["type"] == "id.go.oss.permit.status-changed.v1"]
    by_id = {}
    for e in evs:
        by_id.setdefault(e["id"], e)
    assert len(by_id) == applied
    stored = {r[0]: r for r in env.sql(
        "SELECT event_id::text, permit_id, code, status, previous_status, agency, "
        "to_char(sla_due AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), status_id "
        "FROM permit_history WHERE error_code IS NULL")}
    assert set(by_id) == set(stored)
    for eid, e in by_id.items():
        _, pid, code, status, prev, agency, due, sid = stored[eid]
        d = e["data"]
        assert e["subject"] == e["partitionkey"] == pid
        assert set(d) == {"permit_id", "nib", "kbli", "status", "previous_status", "code",
                          "status_at", "sla_due", "agency", "permit_number", "decided_at"}
        assert (d["permit_id"], d["code"], d["status"], d["previous_status"], d["agency"]) == \
            (pid, code, status, prev, agency)
        assert d["nib"] == pid[:13] and d["kbli"] == MT_KBLI and d["permit_number"] is None
        assert d["sla_due"] == due
        if status != "pending_verification" or code in ("41", "43"):
            assert d["sla_due"] is None  # the deadline only while a clock runs
    # a progress update on a running clock carries the permit's deadline
    pid = next(p for s, (c, _, p, _, _) in want.items() if c == "progress")
    due = env.sql("SELECT to_char(sla_due AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                  "FROM permits WHERE permit_id = %s", pid)[0][0]
    assert due and [e["data"]["sla_due"] for e in by_id.values()
                    if e["data"]["permit_id"] == pid] == [due, due]
    tmp = tempfile.mkdtemp(prefix="ossd-ev-")
    rc, out, _ = validate(EVENT_SCHEMA, list(by_id.values()), tmp, "status")
    assert rc == 0, [v for v in out.values() if v]

    # the dead letters: one per refused update, section 6 headers with the source topic
    refused = sum(1 for w in want.values() if not w[3].startswith("applied:"))
    dlq.wait(lambda m: len(m) >= refused, 120, "%d dead letters" % refused)
    for m in dlq.messages:
        h = {k: v.decode() for k, v in m.headers()}
        assert h["ossd.source.topic"] == harness.lifecycle_topics()[0]
        sid = json.loads(m.value())["status_id"]
        assert h["ossd.error.code"] == want[sid][3]

    # ossctl permit show: the history newest last, refused ones with their code
    pid = next(p for s, (c, _, p, _, _) in want.items() if c == "rejected90_final")
    out = harness.ossctl(env.pg_url, "permit", "show", pid).stdout
    assert out.index("90") < out.index("TRANSITION_INVALID"), out
    assert "rejected" in out
    assert "DINKES" in out or "agency" in out


def test_duplicates_and_unknown_permits(env):
    d = env.daemon()
    (pid, nib), (pid2, nib2) = make_permits(env, 2, prefix="dup")
    topic = harness.lifecycle_topics()[0]
    first = update("st-dup-1", pid, nib, "10", T0, officer={"id": "198001012005011001",
                                                           "name": "Budi Santoso"},
                   note="berkas lengkap")
    msgs = [
        (pid.encode(), encode(first)),
        (pid.encode(), encode(first)),  # the same bytes again: nothing changes
        (pid.encode(), encode(dict(first, code="11"))),  # other bytes: DUPLICATE_CONFLICT
        (pid2.encode(), encode(update("st-dup-2", pid2, nib, "10", T0))),  # wrong nib
        (b"8129999999999-56290-337401", encode(update(
            "st-dup-3", "8129999999999-56290-337401", "8129999999999", "10", T0))),  # no permit
    ]
    env.produce(msgs, topic)
    wait_status_offsets(env, len(msgs))
    rows = env.sql("SELECT status_id, code, error_code FROM permit_history ORDER BY id")
    assert rows == [("st-dup-1", "10", None), ("st-dup-1", "11", "DUPLICATE_CONFLICT")], rows
    dead = env.sql("SELECT submission_id, error_code FROM dead_letters ORDER BY 1")
    assert dead == [("st-dup-1", "DUPLICATE_CONFLICT"), ("st-dup-2", "PERMIT_UNKNOWN"),
                    ("st-dup-3", "PERMIT_UNKNOWN")], dead
    # offsets stored = applied + skipped + dead letters, per topic
    assert status_offsets(env) == 1 + 1 + 3
    # the officer's identity and the note stay in PostgreSQL: not in the log, not in the events
    assert env.sql("SELECT officer_name, note FROM permit_history WHERE error_code IS NULL") == \
        [("Budi Santoso", "berkas lengkap")]
    events = env.collector(harness.TOPICS[1])
    events.wait(lambda m: any(b"status-changed" in x.value() for x in m), 60, "the event")
    events.poll(1.0)
    for m in events.messages:
        assert b"Budi" not in m.value() and b"198001012005011001" not in m.value()
        assert b"berkas" not in m.value()
    log = d.log()
    assert "Budi" not in log and "198001012005011001" not in log and "berkas" not in log


def test_gate_and_schema(env):
    env.daemon()
    (pid, nib), = make_permits(env, 1, prefix="gate")
    topic = harness.lifecycle_topics()[0]
    good = update("st-gate-ok", pid, nib, "10", T0)
    cases = [
        (b"x" * (64 * 1024 + 1), "TOO_LARGE"),
        (b"{not json", "PARSE_ERROR"),
        (b"[1,2]", "NOT_AN_OBJECT"),
        (encode({k: v for k, v in good.items() if k != "status_id"}), "MISSING_ID"),
        (encode(dict(good, status_id="bad id!")), "MISSING_ID"),
        (encode(dict(good, status_id="st-gate-s1", schema="oss.license-status.v2")),
         "UNSUPPORTED_SCHEMA"),
        (encode(dict(good, status_id="st-gate-s2", submission_id="x",
                     schema="oss.submission.v1")), "UNSUPPORTED_SCHEMA"),
        (encode(dict(good, status_id="st-gate-s3", code="5")), "SCHEMA_INVALID:/code"),
        (encode(dict(good, status_id="st-gate-s4", permit_id="812-1-2")),
         "SCHEMA_INVALID:/permit_id"),
        (encode({k: v for k, v in dict(good, status_id="st-gate-s5").items() if k != "agency"}),
         "SCHEMA_INVALID:/agency"),
        (encode(dict(good, status_id="st-gate-s6", status_at="2026-12-01 10:00")),
         "SCHEMA_INVALID:/status_at"),
        (encode(dict(good, status_id="st-gate-s7", note="n" * 2001)), "SCHEMA_INVALID:/note"),
    ]
    # just under the limit (unknown fields are ignored): applied
    pad = encode(dict(good, x=""))
    big = dict(good, x="y" * (64 * 1024 - len(pad)))
    assert len(encode(big)) == 64 * 1024
    msgs = [(pid.encode(), v) for v, _ in cases] + [(pid.encode(), encode(big))]
    env.produce(msgs, topic)
    wait_status_offsets(env, len(msgs))
    dead = env.sql("SELECT error_code, error_message FROM dead_letters ORDER BY src_offset")
    assert len(dead) == len(cases), dead
    for (code, message), (_, want) in zip(dead, cases):
        wcode, _, pointer = want.partition(":")
        assert code == wcode, (code, message, want)
        if pointer:
            assert '"%s"' % pointer in message, message
    assert env.sql("SELECT status_id, error_code FROM permit_history") == [("st-gate-ok", None)]


def test_apply_in_order_within_a_batch(env):
    """Several updates of one permit in one batch: the second sees the first."""
    env.daemon(batch_max=1000)
    (pid, nib), = make_permits(env, 1, prefix="ord")
    steps = [("41", T0), ("42", T0 + H), ("43", T0 + 2 * H), ("44", T0 + 3 * H),
             ("52", T0 + 4 * H), ("50", T0 + 5 * H), ("70", T0 + 6 * H)]
    msgs = [(pid.encode(), encode(update("st-ord-%d" % i, pid, nib, c, at)))
            for i, (c, at) in enumerate(steps)]
    env.produce(msgs, harness.lifecycle_topics()[0])
    wait_status_offsets(env, len(msgs))
    rows = env.sql("SELECT code, error_code, status FROM permit_history ORDER BY id")
    assert [r[1] for r in rows] == [None] * len(steps), rows
    assert rows[-1][2] == "suspended"
    assert env.sql("SELECT status, clock FROM permits WHERE permit_id = %s", pid) == \
        [("suspended", "none")]


def test_restart_resumes_each_topic_at_its_own_offset(env):
    """The offsets stored per (topic, partition) are read back per (topic, partition) on
    assignment: partition 0 of the status topic far ahead of partition 0 of the submissions
    topic must neither make ossd skip submissions nor consume status updates again."""
    port = harness.free_port()
    d = env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    (pid, nib), = make_permits(env, 1, prefix="rs")
    p = harness.producer(env.broker.bootstrap)
    n = 40
    for i in range(n):
        p.produce(harness.lifecycle_topics()[0], partition=0, key=pid.encode(),
                  value=encode(update("st-rs-%d" % i, pid, nib, "10", T0 + i * H)))
    assert p.flush(30) == 0
    wait_status_offsets(env, n)
    d.stop()
    gen = sample.Generator(seed=23, invalid_ratio=0, repeat_ratio=0, prefix="rs2")
    subs = [gen.valid() for _ in range(n + 5)]  # more than the status partition's offset
    for s in subs:
        p.produce(harness.TOPICS[0], partition=0, key=sample.key_of(s), value=sample.encode(s))
    assert p.flush(30) == 0
    d.start()
    env.wait_decided(1 + len(subs), timeout=120)  # every new one decided, none skipped past
    assert env.decided() == 1 + len(subs)
    f = harness.wait_for(lambda: scrape(port)[0], 30, "the metrics")
    assert get(f, "ossd_status_updates_total", result="skipped") == 0  # nothing consumed again
    assert status_offsets(env) == n


def test_missing_lifecycle_topics_do_not_stop_the_submissions(env):
    """Input topics that do not exist yet: said once in the log (at info level: a lifecycle
    input not created yet is normal), not at every metadata refresh, and the submissions are
    decided meanwhile. (Meaningful on the Apache lane: the mock broker creates a topic when a
    client asks for it.)"""
    lc = harness.lifecycle_topics()
    d = env.daemon(lifecycle=("missing." + lc[0], lc[1], "missing." + lc[2], lc[3]))
    gen = sample.Generator(seed=29, invalid_ratio=0, prefix="miss")
    subs = [gen.valid() for _ in range(3)]
    env.produce([(sample.key_of(s), sample.encode(s)) for s in subs])
    env.wait_decided(3)
    time.sleep(4)  # several metadata refreshes (1 s in the tests' config)
    log = d.log_since_start()
    assert log.count("consumed once it exists") <= 2, log  # one line per missing topic
    assert "warning consumer:" not in log, log
    assert d.alive()
