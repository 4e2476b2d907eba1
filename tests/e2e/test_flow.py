"""End to end: submissions in, decisions in PostgreSQL, CloudEvents out."""
import json

import harness
import sample

EVENT_HEADER = b"application/cloudevents+json; charset=UTF-8"


def submission(sid, **over):
    gen = sample.Generator(seed=hash(sid) & 0xffff, invalid_ratio=0)
    sub = gen.valid()
    sub["submission_id"] = sid
    for k, v in over.items():
        sub[k] = v
    return sub


def test_issued_and_rejected_events(env):
    d = env.daemon()
    ok = submission("flow-ok-1")
    bad = submission("flow-bad-1")
    bad["business"]["activities"][0]["kbli"] = "99999"
    env.produce([(sample.key_of(ok), sample.encode(ok)), (sample.key_of(bad), sample.encode(bad))])
    col = env.collector(harness.TOPICS[1])
    msgs = col.wait(lambda m: len(m) >= 2, 60, "two decision events")
    by_sid = {json.loads(m.value())["data"]["submission_id"]: m for m in msgs}

    m = by_sid["flow-ok-1"]
    ev = json.loads(m.value())
    assert dict(m.headers())["content-type"] == EVENT_HEADER
    assert ev["specversion"] == "1.0"
    assert ev["type"] == "id.go.oss.submission.issued.v1"
    assert ev["source"] == "urn:ossd"
    assert ev["datacontenttype"] == "application/json"
    assert ev["dataschema"].endswith("/events/issued.v1.json")
    nib = ev["data"]["nib"]
    assert len(nib) == 13 and nib.isdigit()
    assert ev["subject"] == ev["partitionkey"] == nib == m.key().decode()
    assert ev["data"]["nib_new"] is True
    assert ev["data"]["applicant"]["nik_masked"] == ok["applicant"]["nik"][:4] + "*" * 12
    assert ok["applicant"]["nik"] not in m.value().decode()
    assert ev["data"]["authority"] == ok["business"]["location"]["region_code"][:5]
    assert ev["data"]["channel"] == ok["channel"]
    for a in ev["data"]["activities"]:
        assert a["risk"] == sample.RISK[a["kbli"]]
        assert a["title"]

    m = by_sid["flow-bad-1"]
    ev = json.loads(m.value())
    assert ev["type"] == "id.go.oss.submission.rejected.v1"
    assert ev["subject"] == ev["partitionkey"] == "flow-bad-1" == m.key().decode()
    assert {"code": "KBLI_UNKNOWN", "path": "/business/activities/0/kbli"}.items() <= \
        ev["data"]["reasons"][0].items()
    assert bad["applicant"]["nik"] not in m.value().decode()

    rows = dict(env.sql("SELECT submission_id, status FROM submissions"))
    assert rows == {"flow-ok-1": "issued", "flow-bad-1": "rejected"}
    # the stored event id is the one published
    ids = dict(env.sql("SELECT submission_id, event_id::text FROM submissions"))
    assert ids == {sid: json.loads(m.value())["id"] for sid, m in by_sid.items()}
    # every outbox row ends up published
    harness.wait_for(lambda: env.sql(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0, 30, "outbox drain")
    assert d.alive()


def test_nib_reused_by_known_actor(env):
    env.daemon()
    first = submission("nib-1")
    second = submission("nib-2")
    second["applicant"] = dict(first["applicant"])
    second["business"]["activities"] = [{"kbli": "47112"}]
    first["business"]["activities"] = [{"kbli": "14120"}]
    second["business"]["location"] = first["business"]["location"]
    env.produce([(b"k", sample.encode(first))])
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len(m) >= 1, 60, "first event")
    env.produce([(b"k", sample.encode(second))])
    msgs = col.wait(lambda m: len(m) >= 2, 60, "second event")
    evs = {e["data"]["submission_id"]: e for e in harness.events(msgs)}
    assert evs["nib-1"]["data"]["nib_new"] is True
    assert evs["nib-2"]["data"]["nib_new"] is False
    assert evs["nib-1"]["data"]["nib"] == evs["nib-2"]["data"]["nib"]
    # the same activity again under the same NIB and district is a duplicate
    third = submission("nib-3")
    third["applicant"] = dict(first["applicant"])
    third["business"]["location"] = first["business"]["location"]
    third["business"]["activities"] = [{"kbli": "14120"}]
    env.produce([(b"k", sample.encode(third))])
    msgs = col.wait(lambda m: len(m) >= 3, 60, "third event")
    ev = [e for e in harness.events(msgs) if e["data"]["submission_id"] == "nib-3"][0]
    assert ev["type"].endswith("rejected.v1")
    assert [r["code"] for r in ev["data"]["reasons"]] == ["ACTIVITY_DUPLICATE"]
    assert env.sql("SELECT count(*) FROM business_actors")[0][0] == 1


def test_redelivery_changes_nothing(env):
    d = env.daemon()
    sub = submission("dup-1")
    raw = sample.encode(sub)
    env.produce([(b"a", raw)])
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len(m) >= 1, 60, "first event")
    first = json.loads(col.messages[0].value())
    # the same bytes again, under other keys (other partitions), several times
    env.produce([(b"b", raw), (b"c", raw), (None, raw)])
    changed = dict(sub, channel="counter" if sub["channel"] != "counter" else "online")
    env.produce([(b"d", sample.encode(changed))])
    dlq = env.collector(harness.TOPICS[2])
    dl = dlq.wait(lambda m: len(m) >= 1, 60, "the conflict dead letter")
    h = dict(dl[0].headers())
    assert h["ossd.error.code"] == b"DUPLICATE_CONFLICT"
    assert dl[0].value() == sample.encode(changed)
    assert dl[0].key() == b"d"
    col.poll(1.0)
    assert len(col.messages) == 1, "a re-delivery produced a new decision event"
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == 1
    assert env.sql("SELECT error_code FROM dead_letters") == [("DUPLICATE_CONFLICT",)]
    assert first["data"]["submission_id"] == "dup-1"
    assert d.alive()


def test_event_ids_stable_across_restart_and_replay(env):
    d = env.daemon()
    subs = [submission("stable-%d" % i) for i in range(20)]
    env.produce([(sample.key_of(s), sample.encode(s)) for s in subs])
    env.wait_decided(20)
    ids = dict(env.sql("SELECT submission_id, event_id::text FROM submissions"))
    assert d.stop() == 0
    # replay: a new consumer group reads everything again
    env.sql("DELETE FROM consumer_offsets")
    d.start()
    env.produce([(sample.key_of(s), sample.encode(s)) for s in subs[:5]])
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len(m) >= 20, 60, "20 events")
    col.poll(1.0)
    for m in col.messages:
        ev = json.loads(m.value())
        assert ev["id"] == ids[ev["data"]["submission_id"]]
    assert env.sql("SELECT count(*) FROM submissions")[0][0] == 20
