"""Every dead-letter code of docs/dead-letters.md, with its headers, and the
daemon keeps running."""
import json

import harness
import sample

GOOD = sample.Generator(seed=7, invalid_ratio=0).valid()


def doc(**over):
    d = json.loads(json.dumps(GOOD))
    d.update(over)
    return d


def enc(d):
    return json.dumps(d).encode()


CASES = [
    # (key, value, expected code)
    (b"k-large", b'{"schema":"oss.submission.v1","submission_id":"big","pad":"' +
     b"x" * (256 * 1024) + b'"}', "TOO_LARGE"),
    (b"k-parse", b'{"schema": "oss.submission.v1", "submission_id": "trunc', "PARSE_ERROR"),
    (b"k-utf8", b'{"schema":"oss.submission.v1","submission_id":"u1","x":"\xff\xfe"}',
     "PARSE_ERROR"),
    (b"k-empty", b"", "PARSE_ERROR"),
    (b"k-array", b'[1, 2, 3]', "NOT_AN_OBJECT"),
    (b"k-string", b'"hello"', "NOT_AN_OBJECT"),
    (b"k-noid", enc({k: v for k, v in doc().items() if k != "submission_id"}), "MISSING_ID"),
    (b"k-badid", enc(doc(submission_id="has space")), "MISSING_ID"),
    (b"k-longid", enc(doc(submission_id="x" * 65)), "MISSING_ID"),
    (b"k-numid", enc(doc(submission_id=12345)), "MISSING_ID"),
    (b"k-noschema", enc({k: v for k, v in doc(submission_id="ns-1").items() if k != "schema"}),
     "UNSUPPORTED_SCHEMA"),
    (b"k-v2", enc(doc(submission_id="v2-1", schema="oss.submission.v2")), "UNSUPPORTED_SCHEMA"),
    # order: too large wins over parse errors
    (b"k-large-bad", b"[" * (256 * 1024 + 1), "TOO_LARGE"),
    # order: MISSING_ID before UNSUPPORTED_SCHEMA
    (b"k-both", b'{"schema": "nope"}', "MISSING_ID"),
]


def test_each_code_lands_in_the_dlq_with_headers(env):
    d = env.daemon()
    col = env.collector(harness.TOPICS[2])
    # all to partition-spread keys; one valid submission after them must still be decided
    env.produce([(k, v) for k, v, _ in CASES] + [(b"k-good", enc(GOOD))])
    msgs = col.wait(lambda m: len(m) >= len(CASES), 60, "%d dead letters" % len(CASES))
    by_key = {m.key(): m for m in msgs}
    assert len(by_key) == len(CASES)
    for key, value, code in CASES:
        m = by_key[key]
        h = {k: v.decode() for k, v in m.headers()}
        assert h["ossd.error.code"] == code, key
        assert m.value() == value, "the value must be unchanged"
        assert h["ossd.source.topic"] == harness.TOPICS[0]
        assert int(h["ossd.source.partition"]) >= 0
        assert int(h["ossd.source.offset"]) >= 0
        assert h["ossd.error.message"]
        assert "T" in h["ossd.failed_at"] and h["ossd.failed_at"].endswith("Z")
    rows = env.sql("SELECT error_code, src_partition, src_offset, msg_value FROM dead_letters")
    assert sorted(r[0] for r in rows) == sorted(c for _, _, c in CASES)
    for m in msgs:
        h = {k: v.decode() for k, v in m.headers()}
        stored = [r for r in rows if r[1] == int(h["ossd.source.partition"])
                  and r[2] == int(h["ossd.source.offset"])]
        assert len(stored) == 1 and bytes(stored[0][3]) == m.value()
    env.wait_decided(1)
    assert env.sql("SELECT submission_id FROM submissions") == [(GOOD["submission_id"],)]
    assert d.alive()


def test_dead_letters_are_not_repeated_after_restart(env):
    d = env.daemon()
    env.produce([(k, v) for k, v, _ in CASES[:4]])
    harness.wait_for(lambda: env.sql("SELECT count(*) FROM dead_letters")[0][0] >= 4, 60,
                     "4 dead letters")
    assert d.stop() == 0
    d.start()
    env.produce([(b"k-good", enc(GOOD))])
    env.wait_decided(1)
    assert env.sql("SELECT count(*) FROM dead_letters")[0][0] == 4
