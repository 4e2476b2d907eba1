"""`ossctl dlq replay`: only what Kafka acknowledged is recorded as replayed, each letter goes
back to its source topic, and two concurrent runs never send the same row."""
import socket
import subprocess
import threading

import pytest

import harness

def ossctl(conf, *args, timeout=180):
    return subprocess.run([harness.OSSCTL, "--config", conf, *args], capture_output=True,
                          text=True, timeout=timeout)


def add_letters(env, n, topic=None, code="PARSE_ERROR", first_offset=0):
    """n dead-letter rows (as the daemon records them) from topic; their ids, in order."""
    topic = topic or harness.TOPICS[0]
    ids = []
    for i in range(n):
        off = first_offset + i
        ids.append(env.sql(
            "INSERT INTO dead_letters (error_code, error_message, submission_id, src_topic, "
            "src_partition, src_offset, msg_key, msg_value, failed_at) "
            "VALUES (%s, 'not valid UTF-8 JSON', NULL, %s, 0, %s, %s, %s, now()) RETURNING id",
            code, topic, off, b"key-%d" % off, b"{not json %d" % off)[0][0])
    return ids


def replayed(env):
    return {r[0] for r in env.sql("SELECT id FROM dead_letters WHERE replayed_at IS NOT NULL")}


def replay_headers(messages):
    """dead_letter_id header of each replayed message (a list: repeats show)."""
    out = []
    for m in messages:
        h = dict(m.headers() or [])
        if "ossd.replay.dead_letter_id" in h:
            out.append(int(h["ossd.replay.dead_letter_id"].decode()))
    return out


def config(env, timeout_ms=60000):
    """A config file for ossctl (no daemon runs: the letters are inserted as the daemon stores
    them), with this delivery timeout."""
    return harness.Daemon(env.workdir, env.pg_url, env.broker.bootstrap, name="ossctl",
                          extra_kafka="message.timeout.ms = %d" % timeout_ms).conf


def test_the_broker_refuses_connections_once_down_returns(env):
    """The harness's down() returns only once the broker is down: a client connecting right
    after it is refused (test_replay_with_the_broker_down_records_nothing raced the mock
    broker's 100 ms loop when down() only sent the signal)."""
    env.start_broker()
    host, port = env.broker.bootstrap.split(",")[0].rsplit(":", 1)
    for _ in range(1 if harness.APACHE else 5):  # an Apache broker restarts in seconds
        env.broker.down()
        with pytest.raises(OSError):
            socket.create_connection((host, int(port)), timeout=2).close()
        env.broker.up()
        socket.create_connection((host, int(port)), timeout=2).close()


def test_replay_with_the_broker_down_records_nothing(env):
    env.start_broker()
    # a short delivery timeout, so that the replay against the broker that is down gives up soon
    conf = config(env, timeout_ms=3000)
    ids = add_letters(env, 5)
    env.broker.down()
    r = ossctl(conf, "dlq", "replay", "--all")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "5 dead letter(s) not delivered" in r.stderr, r.stderr
    assert replayed(env) == set(), "nothing was acknowledged, nothing may be marked"
    env.broker.up()
    r = ossctl(config(env), "dlq", "replay", "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "replayed 5 of 5" in r.stdout
    assert replayed(env) == set(ids)
    col = env.collector(harness.TOPICS[0])
    col.wait(lambda m: len(replay_headers(m)) >= 5, 60, "5 replayed messages")
    col.poll(1.0)
    # the broker may have stored some of the first attempt's messages before it went down
    # for good; what counts is that every letter arrived at least once and is marked
    assert set(replay_headers(col.messages)) == set(ids)
    by_id = {int(dict(m.headers())["ossd.replay.dead_letter_id"]): m for m in col.messages
             if m.headers()}
    for i, lid in enumerate(ids):
        assert by_id[lid].key() == b"key-%d" % i
        assert by_id[lid].value() == b"{not json %d" % i
    # nothing left: a second --all finds nothing
    r = ossctl(conf, "dlq", "replay", "--all")
    assert r.returncode == 1, r.stdout + r.stderr


def test_replay_goes_to_the_source_topic(env):
    other_topic = harness.TOPICS[0] + ".other"  # apache mode: this test's own
    env.start_broker(extra_topics=(other_topic + ":2",))
    conf = config(env)
    own = add_letters(env, 2)
    other = add_letters(env, 3, topic=other_topic, first_offset=100)
    r = ossctl(conf, "dlq", "replay", "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    col_other = env.collector(other_topic)
    col_other.wait(lambda m: len(replay_headers(m)) >= 3, 60, "3 replayed messages")
    col_in = env.collector(harness.TOPICS[0])
    col_in.wait(lambda m: len(replay_headers(m)) >= 2, 60, "2 replayed messages")
    col_other.poll(1.0)
    col_in.poll(1.0)
    assert sorted(replay_headers(col_other.messages)) == other
    assert sorted(replay_headers(col_in.messages)) == own
    assert replayed(env) == set(own + other)


def test_two_concurrent_replays_send_each_row_once(env):
    env.start_broker()
    conf = config(env)
    ids = add_letters(env, 300)
    results = []

    def run():
        results.append(ossctl(conf, "dlq", "replay", "--all"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert r.returncode in (0, 1), r.stdout + r.stderr
    assert any(r.returncode == 0 for r in results)
    assert replayed(env) == set(ids)
    col = env.collector(harness.TOPICS[0])
    col.wait(lambda m: len(replay_headers(m)) >= len(ids), 60, "every replayed message")
    col.poll(2.0)
    got = replay_headers(col.messages)
    assert sorted(got) == ids, "%d messages for %d letters" % (len(got), len(ids))
