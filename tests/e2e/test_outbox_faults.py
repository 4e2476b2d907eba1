"""Holes of the decision core, the outbox and the producer (issue 10): a KBLI twice in one
submission with a chain that lacks the activity handler, a fatal producer error, an event
the broker refuses as too large, a crashed peer's unpublished rows, idle HTTP clients and
a misbehaving handler plugin. Each checks exact accounting."""
import json
import socket
import time
import urllib.request

import harness
import sample
from oracle import submission

NO_ACTIVITY = "identity, region, kbli, scale, risk"


def events_by_sid(col):
    return {e["data"]["submission_id"]: e for e in harness.events(col.messages)}


def test_kbli_twice_without_the_activity_handler_is_rejected_by_the_core(env):
    """The core's own duplicate check covers the same KBLI twice in one submission: without
    it COPY activities hits its primary key on every attempt and nothing is decided."""
    msgs, ids = sample.corpus(60, 31, "dupk", invalid_ratio=0)
    twice = submission("dupk-twice", serial=77, kblis=("56102", "14120", "56102"))
    msgs.append((b"twice", sample.encode(twice)))
    ids.add("dupk-twice")
    env.daemon(handlers=NO_ACTIVITY, batch_max=100)
    env.produce(msgs)
    env.wait_decided(len(ids), timeout=120)
    rows = dict(env.sql("SELECT submission_id, status FROM submissions"))
    assert set(rows) == ids
    assert rows["dupk-twice"] == "rejected"
    assert env.sql("SELECT count(*) FROM dead_letters")[0][0] == 0
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: "dupk-twice" in {e["data"]["submission_id"] for e in harness.events(m)},
             60, "the rejection")
    ev = events_by_sid(col)["dupk-twice"]
    assert ev["type"].endswith("rejected.v1")
    assert [(r["code"], r["path"]) for r in ev["data"]["reasons"]] == \
        [("ACTIVITY_DUPLICATE", "/business/activities/2/kbli")]
    assert env.sql("SELECT count(*) FROM activities WHERE submission_id = 'dupk-twice'") == [(0,)]


def test_kbli_twice_with_the_activity_handler_gives_one_reason(env):
    """With the handler in the chain the core adds no second reason at the same path."""
    twice = submission("dupk-h", serial=78, kblis=("56102", "56102"))
    env.daemon()
    env.produce([(b"h", sample.encode(twice))])
    col = env.collector(harness.TOPICS[1])
    col.wait(lambda m: len(m) >= 1, 60, "the rejection")
    ev = events_by_sid(col)["dupk-h"]
    assert [(r["code"], r["path"]) for r in ev["data"]["reasons"]] == \
        [("ACTIVITY_DUPLICATE", "/business/activities/1/kbli")]
