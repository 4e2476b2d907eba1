"""Intake of NIB actions ([topics] nib_actions, docs/lifecycle.md "NIB status"): freeze 01 -> 05,
unfreeze 05 -> 01, revoke 01 or 05 -> 06 (final), anything else TRANSITION_INVALID, an unknown
NIB NIB_UNKNOWN; duplicates; the gate codes and SCHEMA_INVALID; the nib-status-changed events
exact and valid against their schema; a frozen NIB's permits still take status updates, a
revoked NIB's are TRANSITION_INVALID; and a SIGKILL while status updates and NIB actions flow
loses nothing and applies nothing twice (offsets stored per topic = applied + skipped + dead
letters; one event id per applied message)."""
import datetime
import json
import os
import random
import signal
import tempfile
import time

import harness
from test_event_schemas import validate
from test_metrics import get, scrape
from test_status_intake import T0, H, encode, make_permits, update, wait_status_offsets

EVENT_SCHEMA = os.path.join(harness.REPO, "schemas", "events", "nib-status-changed.v1.json")


def action(action_id, nib, what, at, **extra):
    doc = {"schema": "oss.nib-action.v1", "action_id": action_id, "nib": nib, "action": what,
           "acted_at": at.isoformat(timespec="milliseconds"), "authority": "BKPM",
           "legal_basis": "SK-123/2026"}
    doc.update(extra)
    return doc


def nib_topic():
    return harness.lifecycle_topics()[2]


def offsets(env, topic):
    return env.sql("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE topic = %s",
                   topic)[0][0]


def wait_offsets(env, topic, n, timeout=180):
    harness.wait_for(lambda: offsets(env, topic) >= n, timeout,
                     "%d offsets of %s stored" % (n, topic), interval=0.2)
    assert offsets(env, topic) == n


# Each case: actions on one NIB in order, with what each gives: "applied:<status>" or a code.
CASES = {
    "freeze_unfreeze": [("freeze", "applied:05"), ("freeze", "TRANSITION_INVALID"),
                        ("unfreeze", "applied:01"), ("unfreeze", "TRANSITION_INVALID")],
    "revoke_active": [("revoke", "applied:06"), ("unfreeze", "TRANSITION_INVALID"),
                      ("freeze", "TRANSITION_INVALID"), ("revoke", "TRANSITION_INVALID")],
    "revoke_frozen": [("freeze", "applied:05"), ("revoke", "applied:06"),
                      ("unfreeze", "TRANSITION_INVALID")],
    "unfreeze_active": [("unfreeze", "TRANSITION_INVALID"), ("freeze", "applied:05")],
}


def test_nib_transitions(env):
    env.daemon()
    permits = make_permits(env, len(CASES), prefix="nib")
    events = env.collector(harness.TOPICS[1])
    dlq = env.collector(harness.lifecycle_topics()[3])
    msgs, want = [], {}
    for (case, steps), (_, nib) in zip(sorted(CASES.items()), permits):
        for i, (what, expected) in enumerate(steps):
            aid = "na-%s-%d" % (case, i)
            doc = action(aid, nib, what, T0 + i * H, reason="alasan %d" % i)
            want[aid] = (case, nib, what, expected, doc)
            msgs.append((nib.encode(), encode(doc)))
    msgs.append((b"8129999999999", encode(action("na-unknown", "8129999999999", "freeze", T0))))
    env.produce(msgs, nib_topic())
    wait_offsets(env, nib_topic(), len(msgs))

    rows = {r[0]: r[1:] for r in env.sql(
        "SELECT action_id, applied, error_code, previous_status, status, event_id::text, "
        "dead_letter_id, input FROM nib_actions")}
    assert rows["na-unknown"][:2] == (False, "NIB_UNKNOWN")
    dead = {r[0]: r[1:] for r in env.sql("SELECT submission_id, error_code, id FROM dead_letters")}
    assert dead["na-unknown"][0] == "NIB_UNKNOWN"
    applied = {}
    for aid, (case, nib, what, expected, doc) in want.items():
        ok, code, prev, status, eid, dead_id, raw = rows[aid]
        assert bytes(raw) == encode(doc)
        if expected.startswith("applied:"):
            assert (ok, code, status) == (True, None, expected[8:]), (case, rows[aid])
            applied[eid] = (nib, what, prev, status, doc)
        else:
            assert (ok, code, status, eid) == (False, expected, None, None), (case, rows[aid])
            assert dead[aid] == (expected, dead_id)
    for case, steps in CASES.items():
        nib = next(w[1] for w in want.values() if w[0] == case)
        last = [e[8:] for _, e in steps if e.startswith("applied:")][-1]
        assert env.sql("SELECT nib_status FROM business_actors WHERE nib = %s", nib) == [(last,)]

    events.wait(lambda m: sum(b"nib.status-changed" in x.value() for x in m) >= len(applied),
                120, "%d NIB events" % len(applied))
    events.poll(1.0)
    evs = {}
    for m in events.messages:
        e = json.loads(m.value())
        if e["type"] == "id.go.oss.nib.status-changed.v1":
            evs.setdefault(e["id"], e)
            assert m.key().decode() == e["data"]["nib"]
    assert set(evs) == set(applied)
    for eid, e in evs.items():
        nib, what, prev, status, doc = applied[eid]
        assert e["subject"] == e["partitionkey"] == nib
        d = dict(e["data"])
        assert d.pop("decided_at")
        assert d == {"nib": nib, "status": status, "previous_status": prev, "action": what,
                     "acted_at": harness_instant(doc["acted_at"]), "authority": "BKPM",
                     "legal_basis": "SK-123/2026"}
        assert b"alasan" not in json.dumps(e).encode()  # the reason stays in PostgreSQL
    rc, out, _ = validate(EVENT_SCHEMA, list(evs.values()), tempfile.mkdtemp(), "nib")
    assert rc == 0, [v for v in out.values() if v]
    refused = sum(1 for w in want.values() if not w[3].startswith("applied:")) + 1
    dlq.wait(lambda m: len(m) >= refused, 60, "%d dead letters" % refused)
    for m in dlq.messages:
        h = {k: v.decode() for k, v in m.headers()}
        assert h["ossd.source.topic"] == nib_topic()


def harness_instant(s):
    """An RFC 3339 instant as ossd writes it: UTC with milliseconds."""
    t = datetime.datetime.fromisoformat(s).astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def test_duplicates_gate_and_schema(env):
    port = harness.free_port()
    env.daemon(extra_ossd="metrics_listen = 127.0.0.1:%d" % port)
    (_, nib), = make_permits(env, 1, prefix="nibg")
    good = action("na-g-1", nib, "freeze", T0)
    cases = [
        (encode(good), "applied"),
        (encode(good), "skipped"),
        (encode(dict(good, reason="lain")), "DUPLICATE_CONFLICT"),
        (b"x" * (64 * 1024 + 1), "TOO_LARGE"),
        (b"\xff\xfe", "PARSE_ERROR"),
        (b"\"freeze\"", "NOT_AN_OBJECT"),
        (encode({k: v for k, v in good.items() if k != "action_id"}), "MISSING_ID"),
        (encode(dict(good, action_id="na-g-2", schema="oss.nib-action.v2")), "UNSUPPORTED_SCHEMA"),
        (encode(dict(good, action_id="na-g-3", action="suspend")), "SCHEMA_INVALID:/action"),
        (encode(dict(good, action_id="na-g-4", nib="812")), "SCHEMA_INVALID:/nib"),
        (encode({k: v for k, v in dict(good, action_id="na-g-5").items()
                 if k != "legal_basis"}), "SCHEMA_INVALID:/legal_basis"),
        (encode(dict(good, action_id="na-g-6", authority="")), "SCHEMA_INVALID:/authority"),
    ]
    env.produce([(nib.encode(), v) for v, _ in cases], nib_topic())
    wait_offsets(env, nib_topic(), len(cases))
    dead = env.sql("SELECT src_offset, error_code, error_message FROM dead_letters "
                   "ORDER BY src_offset")
    want = [(i, w) for i, (_, w) in enumerate(cases) if w not in ("applied", "skipped")]
    assert [(o, c) for o, c, _ in dead] == [(i, w.partition(":")[0]) for i, w in want], dead
    for (_, _, message), (_, w) in zip(dead, want):
        if ":" in w:
            assert '"%s"' % w.partition(":")[2] in message, message
    assert env.sql("SELECT action_id, applied, error_code FROM nib_actions ORDER BY id") == [
        ("na-g-1", True, None), ("na-g-1", False, "DUPLICATE_CONFLICT")]
    assert env.sql("SELECT nib_status FROM business_actors") == [("05",)]
    # the metrics count them by result; a lifecycle message is not a decision
    f = harness.wait_for(lambda: (lambda f: f if get(f, "ossd_nib_actions_total", result="refused")
                                  == len(want) else None)(scrape(port)[0]), 30, "the metrics")
    assert get(f, "ossd_nib_actions_total", result="applied") == 1
    assert get(f, "ossd_nib_actions_total", result="skipped") == 1
    assert get(f, "ossd_status_updates_total", result="applied") == 0
    assert get(f, "ossd_decisions_total", outcome="issued") == 1  # the submission only


def test_frozen_applies_revoked_refuses(env):
    env.daemon()
    (p1, n1), (p2, n2) = make_permits(env, 2, prefix="fr")
    env.produce([(n1.encode(), encode(action("na-fr-1", n1, "freeze", T0))),
                 (n2.encode(), encode(action("na-fr-2", n2, "revoke", T0)))], nib_topic())
    wait_offsets(env, nib_topic(), 2)
    env.produce([(p1.encode(), encode(update("st-fr-1", p1, n1, "50", T0 + H))),
                 (p2.encode(), encode(update("st-fr-2", p2, n2, "50", T0 + H)))],
                harness.lifecycle_topics()[0])
    wait_status_offsets(env, 2)
    assert env.sql("SELECT status_id, error_code, status FROM permit_history ORDER BY 1") == [
        ("st-fr-1", None, "issued"), ("st-fr-2", "TRANSITION_INVALID", None)]
    msg = env.sql("SELECT error_message FROM dead_letters WHERE submission_id = 'st-fr-2'")[0][0]
    assert "revoked" in msg


def test_sigkill_with_lifecycle_flowing(env):
    """Status updates and NIB actions flow while ossd is killed (SIGKILL) and restarted:
    per topic, offsets stored = applied + skipped + dead letters, every message recorded once,
    one event id per applied message and every applied one published."""
    d = env.daemon(batch_max=20)
    permits = make_permits(env, 24, prefix="kill")
    rnd = random.Random(5)
    st_msgs, na_msgs = [], []
    for i, (pid, nib) in enumerate(permits):
        for j in range(12):  # mostly progress, some refused, a few verdicts and duplicates
            code = rnd.choice(["10", "11", "20", "41", "42", "43", "44", "60", "57", "50"])
            doc = update("st-k-%d-%d" % (i, j), pid, nib, code, T0 + j * H)
            st_msgs.append((pid.encode(), encode(doc)))
            if rnd.random() < 0.1:
                st_msgs.append((pid.encode(), encode(doc)))  # a re-delivery: skipped
        if i % 3 == 0:
            for j, what in enumerate(["freeze", "unfreeze", "freeze", "freeze"]):
                na_msgs.append((nib.encode(), encode(action("na-k-%d-%d" % (i, j), nib, what,
                                                            T0 + j * H))))
    status_topic = harness.lifecycle_topics()[0]
    half_st, half_na = len(st_msgs) // 2, len(na_msgs) // 2
    env.produce(st_msgs[:half_st], status_topic)
    env.produce(na_msgs[:half_na], nib_topic())
    time.sleep(0.3)
    d.kill()  # SIGKILL, mid-flow
    env.produce(st_msgs[half_st:], status_topic)
    env.produce(na_msgs[half_na:], nib_topic())
    d.start()
    wait_offsets(env, status_topic, len(st_msgs), timeout=240)
    wait_offsets(env, nib_topic(), len(na_msgs), timeout=240)

    distinct_st = {json.loads(v)["status_id"] for _, v in st_msgs}
    hist = env.sql("SELECT status_id, error_code, event_id::text FROM permit_history")
    assert sorted(r[0] for r in hist) == sorted(distinct_st)  # each recorded once
    dead_st = env.sql("SELECT count(*) FROM dead_letters WHERE src_topic = %s", status_topic)[0][0]
    applied_st = [r for r in hist if r[1] is None]
    skipped_st = len(st_msgs) - len(distinct_st)
    assert len(applied_st) + skipped_st + dead_st == len(st_msgs)
    assert dead_st == len(hist) - len(applied_st)

    acts = env.sql("SELECT action_id, applied, event_id::text FROM nib_actions")
    assert sorted(r[0] for r in acts) == sorted(json.loads(v)["action_id"] for _, v in na_msgs)
    dead_na = env.sql("SELECT count(*) FROM dead_letters WHERE src_topic = %s", nib_topic())[0][0]
    applied_na = [r for r in acts if r[1]]
    assert len(applied_na) + dead_na == len(na_msgs)

    want_ids = {r[2] for r in applied_st} | {r[2] for r in applied_na}
    assert len(want_ids) == len(applied_st) + len(applied_na)
    events = env.collector(harness.TOPICS[1])
    lc = lambda m: {json.loads(x.value())["id"] for x in m  # noqa: E731
                    if b"status-changed" in x.value()}
    events.wait(lambda m: lc(m) >= want_ids, 180, "an event per applied message")
    assert lc(events.messages) == want_ids
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                     [0][0] == 0, 60, "the outbox to drain")
    assert d.alive()
    assert signal.SIGKILL  # the kill above is a real SIGKILL (harness.Daemon.kill)
