"""`ossctl outbox parked` and `ossctl outbox release` (docs/guarantees.md, a row too large to
deliver): the rows ossd parked with attempted_at = 'infinity' listed (id, kind, topic, key,
size, created_at; never the payload, and a dead letter's key only when it cannot be an identity
number, a phone number or an email), released one by one and all at once (attempted_at back to
NULL, so the re-send claims them), and the exit codes. The rows are inserted directly."""
import json
import subprocess
import time

import psycopg2

import harness

NIB = "9120301234567"
NIK = "3171234567890123"
SECRET = "siti.rahayu@example.co.id"


ossctl = harness.ossctl
sql = harness.sql


def insert(pg_url, topic, key, value, headers=(), attempted="infinity", published=None):
    return sql(pg_url, "INSERT INTO outbox (topic, msg_key, msg_value, headers, attempted_at, "
               "published_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id", topic,
               None if key is None else key.encode(), value.encode(), json.dumps(list(headers)),
               attempted, published)[0][0]


def dead_headers(code):
    return [["ossd.error.code", code], ["ossd.error.message", "too large"],
            ["ossd.source.topic", "oss.submissions.v1"], ["ossd.source.partition", "0"],
            ["ossd.source.offset", "7"], ["ossd.failed_at", "2026-12-01T10:00:00.000Z"]]


def test_outbox_parked_and_release(env):
    pg = env.pg_url
    payload = json.dumps({"data": {"email": SECRET, "nik": NIK}, "pad": "x" * 3000})
    ev = insert(pg, "oss.issuance.v1", NIB, payload)
    dl_nik = insert(pg, "oss.submissions.v1.dlq", NIK, payload, dead_headers("SCHEMA_INVALID"))
    dl_mail = insert(pg, "oss.submissions.v1.dlq", SECRET, payload, dead_headers("BAD_JSON"))
    dl_plain = insert(pg, "oss.submissions.v1.dlq", "sub-42", "{}", dead_headers("BAD_JSON"))
    pending = insert(pg, "oss.issuance.v1", NIB, "{}", attempted=None)
    published = insert(pg, "oss.issuance.v1", NIB, "{}", attempted="infinity",
                       published="2026-12-01T10:00:00Z")

    out = ossctl(pg, "outbox", "parked").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["id", "kind", "topic", "key", "size", "created_at"], out
    assert lines[-1] == "4 parked rows", out
    rows = {int(line.split()[0]): line for line in lines[1:-1]}
    assert sorted(rows) == [ev, dl_nik, dl_mail, dl_plain], out
    assert " event " in rows[ev] and NIB in rows[ev] and str(len(payload)) in rows[ev], out
    assert "dead letter SCHEMA_INVALID" in rows[dl_nik] and "(16 bytes)" in rows[dl_nik], out
    assert "dead letter BAD_JSON" in rows[dl_mail], out
    assert "(%d bytes)" % len(SECRET) in rows[dl_mail], out
    assert "sub-42" in rows[dl_plain], out
    assert NIK not in out and SECRET not in out and "xxxx" not in out, out
    assert "example" not in out and "rahayu" not in out, out
    assert ossctl(pg, "outbox", "parked", "--limit", "1").stdout.splitlines()[-1] \
        == "1 parked row"

    # One released: attempted_at NULL, so the re-send claims it; the others stay parked.
    r = ossctl(pg, "outbox", "release", str(ev))
    assert r.stdout.strip() == "released 1 parked row", r.stdout
    assert sql(pg, "SELECT attempted_at FROM outbox WHERE id = %s", ev) == [(None,)]
    assert ossctl(pg, "outbox", "parked").stdout.splitlines()[-1] == "3 parked rows"

    # An id that is not parked (released, pending, published, absent): named, exit 1, and the
    # parked one given with it is released all the same.
    r = ossctl(pg, "outbox", "release", str(ev), str(dl_nik), str(pending), str(published),
               "999999", expect=1)
    assert r.stdout.strip() == "released 1 parked row", r.stdout
    for i in (ev, pending, published, 999999):
        assert "outbox row %d is not parked" % i in r.stderr, r.stderr
    assert str(dl_nik) not in r.stderr
    assert sql(pg, "SELECT attempted_at IS NULL FROM outbox WHERE id = %s", published) \
        == [(False,)]

    r = ossctl(pg, "outbox", "release", "--all")
    assert r.stdout.strip() == "released 2 parked rows", r.stdout
    assert ossctl(pg, "outbox", "parked").stdout.strip() == "0 parked rows"
    assert ossctl(pg, "outbox", "release", "--all").stdout.strip() == "released 0 parked rows"
    # The published row was never parked in the re-send's sense: left as it was.
    assert sql(pg, "SELECT count(*) FROM outbox WHERE attempted_at = 'infinity'") == [(1,)]


def test_a_released_row_is_sent_by_the_running_daemon(env):
    """A parked row stays in the outbox across several re-send periods; released, the running
    ossd's re-send claims it, Kafka gets it with its key and value, and the row is deleted."""
    d = env.daemon(resend_ms=500)
    col = env.collector(harness.TOPICS[1])
    key, value = "9120309876543", json.dumps({"specversion": "1.0", "id": "parked-1"})
    row = insert(env.pg_url, harness.TOPICS[1], key, value)
    time.sleep(3)  # several re-send periods: a parked row is not claimed
    col.poll(1)
    assert [m for m in col.messages if m.key() == key.encode()] == []
    assert ossctl(env.pg_url, "outbox", "parked").stdout.splitlines()[-1] == "1 parked row"
    assert ossctl(env.pg_url, "outbox", "release", "--all").stdout.strip() \
        == "released 1 parked row"
    got = col.wait(lambda ms: any(m.key() == key.encode() for m in ms), 120, "the released row")
    assert [m.value() for m in got if m.key() == key.encode()] == [value.encode()]
    harness.wait_for(lambda: not env.sql("SELECT 1 FROM outbox WHERE id = %s", row) or None,
                     60, "the published row to be deleted")
    assert d.alive()


def test_outbox_cli_usage(env):
    pg = env.pg_url
    for args in (["outbox"], ["outbox", "list"], ["outbox", "release"],
                 ["outbox", "release", "12x"], ["outbox", "release", "--all", "3"],
                 ["outbox", "release", "-1"], ["outbox", "parked", "--limit"],
                 ["outbox", "parked", "--limit", "ten"], ["outbox", "parked", "extra"]):
        r = ossctl(pg, *args, expect=2)
        assert "usage: ossctl outbox" in r.stderr, (args, r.stderr)
    r = ossctl("postgresql://127.0.0.1:1/none?connect_timeout=5", "outbox", "parked", expect=2)
    assert r.stdout == "", r.stdout
